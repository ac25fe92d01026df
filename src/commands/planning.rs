//! What `plan`, `apply`, `destroy` and `import` share: the flags that shape a plan,
//! the output formats, the async runtime, and printing why a command stopped.

use std::process::ExitCode;

use clap::ValueEnum;
use strata_engine::diag::Failure;
use strata_engine::plan::PlanOptions;
use strata_engine::spec::Spec;
use strata_engine::workflow::Stop;

use super::workspace;

/// Flags that choose what a plan covers.
#[derive(clap::Args, Debug, Clone)]
pub struct PlanFlags {
    /// Do not read the resources in the state from the cloud first (faster; drift goes unseen).
    #[arg(long)]
    pub no_refresh: bool,
    /// Plan only this resource (stack.name) and what it depends on; repeatable.
    #[arg(long, value_name = "ADDR")]
    pub target: Vec<String>,
    /// Leave this resource and what depends on it out; repeatable.
    #[arg(long, value_name = "ADDR")]
    pub exclude: Vec<String>,
    /// Replace this resource even though nothing forces it; repeatable.
    #[arg(long, value_name = "ADDR")]
    pub replace: Vec<String>,
    /// How many cloud operations run at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..))]
    pub parallelism: u16,
}

impl PlanFlags {
    pub fn options(&self) -> PlanOptions {
        PlanOptions {
            refresh: !self.no_refresh,
            targets: self.target.clone(),
            excludes: self.exclude.clone(),
            replace: self.replace.clone(),
            parallelism: usize::from(self.parallelism),
        }
    }
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum PlanFormat {
    Human,
    Json,
    Markdown,
}

/// The runtime cloud calls run on.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("starting the async runtime")
}

/// Stops the command (`aws::no_credentials`, `aws::no_region`, `aws::unreachable`,
/// status 1) when the environment cannot reach AWS at all, before any resource is read
/// or changed and before the state is locked.
pub fn check_access(
    spec: &Spec,
    connection: &strata_providers::Connection,
    runtime: &tokio::runtime::Runtime,
) -> Result<(), ExitCode> {
    let environment = spec
        .environment
        .as_ref()
        .expect("a spec checked for an environment has it");
    let Err(problem) = runtime.block_on(connection.aws.check_access()) else {
        return Ok(());
    };
    let code = match problem.code {
        "NoRegion" => "aws::no_region",
        "Unreachable" => "aws::unreachable",
        _ => "aws::no_credentials",
    };
    let diagnostic = strata_engine::diag::Diagnostic::error(
        code,
        format!(
            "environment `{}` cannot reach AWS: {}",
            environment.name, problem.message
        ),
    )
    .label(environment.span, "the environment's AWS settings")
    .help(format!("{}; nothing was read or changed", problem.help));
    let mut diagnostics = strata_engine::diag::Diagnostics::new();
    diagnostics.push(diagnostic);
    let failure = Failure {
        sources: spec.sources.clone(),
        diagnostics,
    };
    eprint!(
        "{}",
        failure.render_human_as(
            (
                "aws::access",
                "AWS cannot be reached".to_owned(),
                "nothing was planned or applied",
            ),
            crate::color_enabled(),
            super::terminal_width(),
        )
    );
    Err(ExitCode::from(1))
}

/// Prints why a command stopped and returns exit status 1.
pub fn stop(spec: &Spec, stop: Stop) -> ExitCode {
    match stop {
        Stop::Spec(diagnostics) => {
            let failure = Failure {
                sources: spec.sources.clone(),
                diagnostics: diagnostics.diagnostics,
            };
            let n = failure.diagnostics.len();
            eprint!(
                "{}",
                failure.render_human_as(
                    (
                        "plan::refused",
                        if n == 1 {
                            "1 problem stops this command".to_owned()
                        } else {
                            format!("{n} problems stop this command")
                        },
                        "nothing was applied; fix these and run the command again",
                    ),
                    crate::color_enabled(),
                    super::terminal_width(),
                )
            );
            ExitCode::from(1)
        }
        Stop::State(e) => workspace::report(&*e),
        Stop::StalePlan(why) => workspace::report(
            &miette::MietteDiagnostic::new(format!("the saved plan no longer applies: {why}"))
                .with_code("plan::stale")
                .with_help("nothing was applied; make a new plan with `strata plan --out FILE`, review it, and apply that"),
        ),
    }
}
