//! `strata apply` and `strata destroy`: plan (or read a saved plan), ask, execute with
//! progress lines, summarise; Ctrl-C stops new work, waits for what is in flight and
//! exits 130 with the state saved.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use strata_engine::apply::{ApplyOptions, ApplyReport, Cancel, Event, Operation};
use strata_engine::diag::{Diagnostics, Failure};
use strata_engine::plan::{Plan, PlanKind};
use strata_engine::render;
use strata_engine::spec::Spec;
use strata_engine::workflow::{self, Outcome, PlanSource};

use super::planning::{PlanFlags, check_access, runtime, stop};
use super::workspace::{self, exit};

pub struct Args<'a> {
    /// A spec folder, or (for apply) a plan file saved by `plan --out`.
    pub target: &'a Path,
    pub env: Option<&'a str>,
    pub kind: PlanKind,
    pub flags: PlanFlags,
    pub auto_approve: bool,
}

pub fn run(args: Args<'_>) -> ExitCode {
    exit(apply(args))
}

fn apply(args: Args<'_>) -> Result<(), ExitCode> {
    let verb = match args.kind {
        PlanKind::Apply => "apply",
        PlanKind::Destroy => "destroy",
    };
    let (dir, env, source): (PathBuf, String, PlanSource) = if args.target.is_file() {
        let file = strata_state::planfile::read(args.target).map_err(|e| workspace::report(&e))?;
        if let Some(env) = args.env
            && env != file.environment
        {
            return Err(usage(&format!(
                "the plan file is for environment `{}`, not `{env}`",
                file.environment
            )));
        }
        (
            file.spec_dir,
            file.environment,
            PlanSource::Saved(Box::new(file.plan)),
        )
    } else {
        let Some(env) = args.env else {
            return Err(usage(&format!(
                "`strata {verb} DIR` needs `--env NAME` (the environment to {verb})"
            )));
        };
        (
            args.target.to_owned(),
            env.to_owned(),
            PlanSource::Fresh(args.flags.options()),
        )
    };
    let saved = matches!(source, PlanSource::Saved(_));
    // A saved plan was reviewed when it was made; anything else is confirmed here.
    let confirm = !saved && !args.auto_approve;
    if confirm && !std::io::stdin().is_terminal() {
        return Err(usage(&format!(
            "`strata {verb}` asks for confirmation and there is no terminal to ask on: pass --auto-approve, or apply a reviewed plan file (`strata plan --out FILE`, then `strata apply FILE`)"
        )));
    }
    let (spec, connection) = workspace::load_spec(&dir, &env)?;
    let store = workspace::store(&spec, &dir)?;

    let rt = runtime();
    check_access(&spec, &connection, &rt)?;
    let cancel = Cancel::new();
    let on_interrupt = cancel.clone();
    rt.spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_interrupt.cancel();
        }
        while tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("still waiting for the operations in flight, so that the state records them");
        }
    });
    let color = crate::stdout_color();
    let mut approve = |plan: &Plan| {
        if !confirm {
            if !saved {
                print!("{}", render::human(plan, color));
            }
            return true;
        }
        print!("{}", render::human(plan, color));
        print!(
            "\nDo you want to {verb} these changes in environment `{env}`?\nOnly `yes` is accepted: "
        );
        let _ = std::io::stdout().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        answer.trim() == "yes"
    };
    let started = Instant::now();
    let outcome = rt
        .block_on(workflow::apply(
            &spec,
            &connection.registry,
            &store,
            args.kind,
            source,
            &ApplyOptions {
                parallelism: usize::from(args.flags.parallelism),
            },
            &mut approve,
            &cancel,
            &progress,
        ))
        .map_err(|s| stop(&spec, s))?;
    match outcome {
        Outcome::NoChanges(plan) => {
            print!("{}", render::human(&plan, color));
            Ok(())
        }
        Outcome::Declined(_) => {
            println!("\n{verb} cancelled: nothing was changed.");
            Err(ExitCode::from(1))
        }
        Outcome::Applied(_, report) => finish(&spec, args.kind, &report, started),
    }
}

fn progress(event: Event<'_>) {
    match event {
        Event::Started {
            address,
            operation,
            id,
        } => match id {
            Some(id) => println!("{address}: {}... ({id})", operation.progressive()),
            None => println!("{address}: {}...", operation.progressive()),
        },
        Event::Finished {
            address,
            operation,
            elapsed,
            id,
            error,
        } => {
            let secs = elapsed.as_secs_f64();
            match (error, id) {
                (Some(_), _) => {
                    println!(
                        "{address}: {} failed after {secs:.1}s",
                        operation.progressive()
                    )
                }
                (None, Some(id)) => {
                    println!("{address}: {} ({id}) in {secs:.1}s", operation.past())
                }
                (None, None) => println!("{address}: {} in {secs:.1}s", operation.past()),
            }
        }
        Event::Cancelling { in_flight } => eprintln!(
            "interrupted: starting nothing new; waiting for {in_flight} operation(s) in flight, then saving the state"
        ),
    }
    let _ = std::io::stdout().flush();
}

fn finish(
    spec: &Spec,
    kind: PlanKind,
    report: &ApplyReport,
    started: Instant,
) -> Result<(), ExitCode> {
    let count = |ops: &[Operation]| {
        report
            .succeeded
            .iter()
            .filter(|d| ops.contains(&d.operation))
            .count()
    };
    let created = count(&[Operation::Create]);
    let updated = count(&[Operation::Update]);
    let deleted = count(&[Operation::Delete, Operation::DeleteReplaced]);
    let done = match kind {
        PlanKind::Apply => format!("{created} created, {updated} updated, {deleted} deleted"),
        PlanKind::Destroy => format!("{deleted} deleted"),
    };
    let what = match kind {
        PlanKind::Apply => "Apply",
        PlanKind::Destroy => "Destroy",
    };
    let secs = started.elapsed().as_secs_f64();
    if report.is_success() {
        println!("\n{what} complete in {secs:.1}s: {done}.");
        if kind == PlanKind::Apply && !report.state.outputs.is_empty() {
            println!("\nOutputs:");
            super::output::print_table(&report.state);
        }
        return Ok(());
    }
    println!("\n{what} incomplete after {secs:.1}s: {done}.");
    for s in &report.skipped {
        println!(
            "  skipped {} ({}): it depends on `{}`, which failed",
            s.address,
            s.operation.progressive(),
            s.because
        );
    }
    for (address, operation) in &report.not_started {
        println!("  not started: {address} ({})", operation.progressive());
    }
    if let Some(e) = &report.state_error {
        eprintln!("the state could not be saved, so nothing more was started: {e}");
    }
    if !report.failed.is_empty() {
        let mut diagnostics = Diagnostics::new();
        for f in &report.failed {
            diagnostics.push(f.diagnostic.clone());
        }
        let failure = Failure {
            sources: spec.sources.clone(),
            diagnostics,
        };
        let n = report.failed.len();
        let message = if n == 1 {
            "1 operation failed".to_owned()
        } else {
            format!("{n} operations failed")
        };
        eprint!(
            "{}",
            failure.render_human_as(
                (
                    "apply::failed",
                    message,
                    "everything that succeeded is recorded in the state; fix the cause and run the command again",
                ),
                crate::color_enabled(),
                super::terminal_width(),
            )
        );
    }
    if report.cancelled {
        eprintln!("interrupted: the state records everything that was done");
        return Err(ExitCode::from(130));
    }
    Err(ExitCode::from(1))
}

fn usage(message: &str) -> ExitCode {
    workspace::report(&miette::MietteDiagnostic::new(message.to_owned()).with_code("cli::usage"))
}
