//! `strata plan`: what `apply` would do, rendered for a person, a tool or a pull
//! request; optionally saved for `apply FILE`. Writes nothing else.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use strata_engine::plan::PlanOptions;
use strata_engine::render;
use strata_engine::workflow;

use super::planning::{PlanFlags, PlanFormat, check_access, runtime, stop};
use super::workspace::{self, exit};

pub struct Args<'a> {
    pub dir: &'a Path,
    pub env: &'a str,
    pub flags: PlanFlags,
    pub out: Option<PathBuf>,
    pub format: PlanFormat,
    pub detailed_exitcode: bool,
}

pub fn run(args: Args<'_>) -> ExitCode {
    exit(plan(args))
}

fn plan(args: Args<'_>) -> Result<(), ExitCode> {
    let (spec, connection) = workspace::load_spec(args.dir, args.env)?;
    let store = workspace::store(&spec, args.dir)?;
    let options: PlanOptions = args.flags.options();
    let rt = runtime();
    if options.refresh {
        check_access(&spec, &connection, &rt)?;
    }
    let plan = rt
        .block_on(workflow::plan(
            &spec,
            &connection.registry,
            &store,
            &options,
        ))
        .map_err(|s| stop(&spec, s))?;
    match args.format {
        PlanFormat::Human => print!("{}", render::human(&plan, crate::stdout_color())),
        PlanFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&render::json(&plan)).expect("json")
        ),
        PlanFormat::Markdown => print!("{}", render::markdown(&plan)),
    }
    if let Some(out) = &args.out {
        let file = strata_state::planfile::PlanFile::new(args.dir, plan.clone())
            .map_err(|e| workspace::report(&e))?;
        strata_state::planfile::write(out, &file).map_err(|e| workspace::report(&e))?;
        if args.format == PlanFormat::Human {
            println!(
                "\nSaved the plan to {}; `strata apply {}` applies exactly it.",
                out.display(),
                out.display()
            );
        }
    }
    if args.detailed_exitcode && plan.has_changes() {
        return Err(ExitCode::from(2));
    }
    Ok(())
}
