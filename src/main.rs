//! The `strata` command line: parses flags and calls the engine and the state crate. No
//! planning here.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod commands;

#[derive(Parser)]
#[command(
    name = "strata",
    version,
    about = "Declarative infrastructure for AWS: describe it in KDL, plan, apply, destroy",
    after_help = "Examples:\n  strata validate specs/digidex --env dev\n  strata fmt specs/digidex --check"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a spec folder: syntax, types, references, cycles. Touches neither state nor cloud.
    #[command(
        after_help = "Examples:\n  strata validate specs/digidex\n  strata validate specs/digidex --env dev\n  strata validate specs/digidex --format json\n\nExit status: 0 when the spec is valid, 1 when there are problems.\nWithout --env every environment in env/ is checked."
    )]
    Validate {
        /// The spec folder (holds *.kdl and env/<name>.kdl).
        dir: PathBuf,
        /// Check for this environment only (env/<ENV>.kdl).
        #[arg(long)]
        env: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Rewrite spec files in canonical form, keeping comments.
    #[command(
        after_help = "Examples:\n  strata fmt specs/digidex\n  strata fmt specs/digidex --check\n\nWith --check nothing is written; exit status 1 lists the files that would change."
    )]
    Fmt {
        /// The spec folder.
        dir: PathBuf,
        /// Only report files that are not formatted.
        #[arg(long)]
        check: bool,
    },
    /// Show what apply would change: create, update, replace, delete, and drift.
    #[command(
        after_help = "Examples:\n  strata plan specs/digidex --env dev\n  strata plan specs/digidex --env dev --format markdown > plan.md\n  strata plan specs/digidex --env prod --out prod.plan\n  strata plan specs/digidex --env dev --target network.vpc --no-refresh\n\nReads the resources in the state from the cloud first (unless --no-refresh); writes\nnothing but the --out file. A resource whose read fails is shown as unknown and never\ndeleted or replaced because of it.\nExit status: 0 success, 1 error; with --detailed-exitcode 0 no changes, 1 error, 2 changes."
    )]
    Plan {
        /// The spec folder.
        dir: PathBuf,
        /// The environment (env/<ENV>.kdl).
        #[arg(long)]
        env: String,
        #[command(flatten)]
        flags: commands::planning::PlanFlags,
        /// Save the plan to FILE for `strata apply FILE` (no secrets in it; mode 0600).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Output format: human (terminal), json (tools, versioned), markdown (pull requests).
        #[arg(long, value_enum, default_value_t = commands::planning::PlanFormat::Human)]
        format: commands::planning::PlanFormat,
        /// Exit 2 when the plan has changes, 0 when it has none, 1 on error.
        #[arg(long)]
        detailed_exitcode: bool,
    },
    /// Make the cloud match the spec: plan, confirm, then create/update/delete in dependency order.
    #[command(
        after_help = "Examples:\n  strata apply specs/digidex --env dev\n  strata apply specs/digidex --env dev --auto-approve --parallelism 8\n  strata plan specs/digidex --env prod --out prod.plan && strata apply prod.plan\n\nAsks for `yes` on a terminal; without one it needs --auto-approve or a saved plan file.\nA saved plan is applied exactly, and refused if the state or the spec changed since.\nThe state is saved after every operation. Ctrl-C starts nothing new, waits for the\noperations in flight, saves and exits with status 130."
    )]
    Apply {
        /// The spec folder, or a plan file saved by `strata plan --out`.
        #[arg(value_name = "DIR|FILE")]
        path: PathBuf,
        /// The environment (env/<ENV>.kdl); taken from the plan file when applying one.
        #[arg(long)]
        env: Option<String>,
        #[command(flatten)]
        flags: commands::planning::PlanFlags,
        /// Apply without asking.
        #[arg(long)]
        auto_approve: bool,
    },
    /// Delete every resource of an environment, dependents first.
    #[command(
        after_help = "Examples:\n  strata destroy specs/digidex --env dev\n  strata destroy specs/digidex --env local --auto-approve\n\nResources with `lifecycle prevent-destroy=#true` stop the command before anything is\ndeleted. The state is saved after every deletion."
    )]
    Destroy {
        /// The spec folder.
        dir: PathBuf,
        /// The environment (env/<ENV>.kdl).
        #[arg(long)]
        env: String,
        #[command(flatten)]
        flags: commands::planning::PlanFlags,
        /// Destroy without asking.
        #[arg(long)]
        auto_approve: bool,
    },
    /// Bring an existing cloud resource under a spec address, without changing it.
    #[command(
        after_help = "Examples:\n  strata import specs/digidex --env dev network.vpc vpc-0abc123\n\nThe resource must be declared in the spec; the next plan shows how the spec differs\nfrom what was imported."
    )]
    Import {
        /// The spec folder.
        dir: PathBuf,
        /// The environment (env/<ENV>.kdl).
        #[arg(long)]
        env: String,
        /// The spec address to record it under (stack.name).
        address: String,
        /// The cloud id of the existing resource.
        id: String,
    },
    /// Draw the dependency graph of a spec as Graphviz DOT or a Mermaid flowchart.
    #[command(
        after_help = "Examples:\n  strata graph specs/digidex --env dev | dot -Tsvg > graph.svg\n  strata graph specs/digidex --env dev --format mermaid\n\nOne box per resource, labelled `address (type)`, grouped by stack. An arrow goes from a\nresource to one that needs it (references; dashed or dotted: explicit depends-on); one\nbold arrow joins two stacks for each `stack ... depends-on=`. Mermaid renders on GitHub\ninside a ```mermaid block. Touches neither state nor cloud."
    )]
    Graph {
        /// The spec folder.
        dir: PathBuf,
        /// The environment (env/<ENV>.kdl).
        #[arg(long)]
        env: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
    },
    /// Look at or edit the state of an environment: list, show, rm, mv.
    #[command(
        subcommand,
        after_help = "Examples:\n  strata state list specs/digidex --env dev\n  strata state show specs/digidex --env dev network.vpc\n  strata state mv specs/digidex --env dev network.main network.vpc\n  strata state rm specs/digidex --env dev data.images\n\nThe spec folder is loaded only to find where the environment keeps its state."
    )]
    State(StateCommand),
    /// Show the stack outputs recorded in the state by the last apply.
    #[command(
        after_help = "Examples:\n  strata output specs/digidex --env dev\n  strata output specs/digidex --env dev --json\n  strata output specs/digidex --env dev data.db-address\n\nOutputs are named `stack.output`. With NAME, only that value is printed: a string as it\nis, anything else as JSON. Sensitive outputs show as (sensitive): the state keeps only a\nsalted digest of them, never the value, so strata cannot print it. With --json all\noutputs are printed as {\"stack.output\": {\"value\": ..., \"sensitive\": false}, ...}, a\nsensitive one as {\"sensitive\": true}."
    )]
    Output {
        /// The spec folder.
        dir: PathBuf,
        /// The environment (env/<ENV>.kdl).
        #[arg(long)]
        env: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Print only this output (`stack.output`).
        name: Option<String>,
    },
    /// Remove the lock a run left on the state of an environment.
    #[command(
        after_help = "Examples:\n  strata force-unlock specs/digidex --env dev 6f1d2c3e-8a9b-4c5d-9e0f-123456789abc\n\nLOCK_ID is the id shown by the error of a run that found the state locked. Only a lock\nwith that id is removed; a wrong id removes nothing and names the lock's holder. Make\nsure the run that took the lock has stopped: two runs writing one state lose resources."
    )]
    ForceUnlock {
        /// The spec folder.
        dir: PathBuf,
        /// The environment (env/<ENV>.kdl).
        #[arg(long)]
        env: String,
        /// The id of the lock to remove.
        lock_id: String,
    },
}

#[derive(Subcommand)]
enum StateCommand {
    /// List the resources in the state: address, type and cloud id, sorted by address.
    #[command(after_help = "Examples:\n  strata state list specs/digidex --env dev")]
    List {
        /// The spec folder.
        dir: PathBuf,
        /// The environment (env/<ENV>.kdl).
        #[arg(long)]
        env: String,
    },
    /// Show one resource as the state records it (sensitive values show as (sensitive)).
    #[command(
        after_help = "Examples:\n  strata state show specs/digidex --env dev network.vpc\n\nSensitive values are stored only as salted digests: they show as (sensitive)."
    )]
    Show {
        /// The spec folder.
        dir: PathBuf,
        /// The environment (env/<ENV>.kdl).
        #[arg(long)]
        env: String,
        /// The resource address (`stack.name`).
        address: String,
    },
    /// Forget resources without deleting them in the cloud.
    #[command(
        after_help = "Examples:\n  strata state rm specs/digidex --env dev data.images\n  strata state rm specs/digidex --env dev frontend.site frontend.site-policy\n\nThe cloud objects stay as they are; strata no longer manages them. Remove them from the\nspec too, or the next plan creates them again. Every address must be in the state, or\nnothing is removed. Takes the state lock; the previous state is kept as <state>.backup."
    )]
    Rm {
        /// The spec folder.
        dir: PathBuf,
        /// The environment (env/<ENV>.kdl).
        #[arg(long)]
        env: String,
        /// The resource addresses (`stack.name`).
        #[arg(required = true)]
        addresses: Vec<String>,
    },
    /// Give a resource's record a new address, e.g. after renaming it in the spec.
    #[command(
        after_help = "Examples:\n  strata state mv specs/digidex --env dev network.main network.vpc\n  strata state mv specs/digidex --env dev network.db data.db\n\nThe cloud object is kept: the next plan sees it under its new address instead of\nreplacing it. Records that depended on FROM now depend on TO. Refused when FROM is not in\nthe state or TO already is. Takes the state lock; the previous state is kept as\n<state>.backup."
    )]
    Mv {
        /// The spec folder.
        dir: PathBuf,
        /// The environment (env/<ENV>.kdl).
        #[arg(long)]
        env: String,
        /// The address in the state now.
        from: String,
        /// The new address.
        to: String,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum GraphFormat {
    /// Graphviz DOT (`dot -Tsvg`).
    Dot,
    /// A Mermaid flowchart (renders on GitHub).
    Mermaid,
}

/// Whether to colour output: only on a terminal, never with NO_COLOR set.
pub fn color_enabled() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// Whether to colour what goes to stdout (plans): only on a terminal, never with NO_COLOR.
pub fn stdout_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

// The engine allocates many small values; glibc's malloc spent a third of plan time on
// them (see `make bench-plan`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// What a panic says to the user: a bug report, not a Rust backtrace.
fn bug_report(message: &str, location: Option<String>) -> String {
    let at = location.map(|l| format!(" (at {l})")).unwrap_or_default();
    format!(
        "strata: internal error: {message}{at}\n\
         This is a bug in strata, not in your spec. The state is written after every \
         completed operation, so it is valid and records everything that finished.\n\
         Please report it with the command you ran and this message; \
         RUST_BACKTRACE=1 adds a backtrace.\n"
    )
}

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        let message = strata_engine::apply::panic_message(info.payload());
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()));
        eprint!("{}", bug_report(&message, location));
        if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0") {
            eprintln!("{}", std::backtrace::Backtrace::force_capture());
        }
    }));
    let cli = Cli::parse();
    match cli.command {
        Command::Validate { dir, env, format } => {
            commands::validate::run(&dir, env.as_deref(), format)
        }
        Command::Fmt { dir, check } => commands::fmt::run(&dir, check),
        Command::Plan {
            dir,
            env,
            flags,
            out,
            format,
            detailed_exitcode,
        } => commands::plan::run(commands::plan::Args {
            dir: &dir,
            env: &env,
            flags,
            out,
            format,
            detailed_exitcode,
        }),
        Command::Apply {
            path,
            env,
            flags,
            auto_approve,
        } => commands::apply::run(commands::apply::Args {
            target: &path,
            env: env.as_deref(),
            kind: strata_engine::plan::PlanKind::Apply,
            flags,
            auto_approve,
        }),
        Command::Destroy {
            dir,
            env,
            flags,
            auto_approve,
        } => commands::apply::run(commands::apply::Args {
            target: &dir,
            env: Some(&env),
            kind: strata_engine::plan::PlanKind::Destroy,
            flags,
            auto_approve,
        }),
        Command::Import {
            dir,
            env,
            address,
            id,
        } => commands::import::run(&dir, &env, &address, &id),
        Command::Graph { dir, env, format } => commands::graph::run(&dir, &env, format),
        Command::State(command) => match command {
            StateCommand::List { dir, env } => commands::state::list::run(&dir, &env),
            StateCommand::Show { dir, env, address } => {
                commands::state::show::run(&dir, &env, &address)
            }
            StateCommand::Rm {
                dir,
                env,
                addresses,
            } => commands::state::rm::run(&dir, &env, &addresses),
            StateCommand::Mv { dir, env, from, to } => {
                commands::state::mv::run(&dir, &env, &from, &to)
            }
        },
        Command::Output {
            dir,
            env,
            json,
            name,
        } => commands::output::run(&dir, &env, name.as_deref(), json),
        Command::ForceUnlock { dir, env, lock_id } => {
            commands::force_unlock::run(&dir, &env, &lock_id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::bug_report;

    #[test]
    fn a_panic_reads_as_a_bug_report_with_its_message_and_place() {
        let text = bug_report("index out of bounds", Some("engine/src/x.rs:3".into()));
        assert!(
            text.starts_with(
                "strata: internal error: index out of bounds (at engine/src/x.rs:3)\n"
            )
        );
        assert!(text.contains("This is a bug in strata, not in your spec"));
        assert!(text.contains("Please report it"));
    }
}
