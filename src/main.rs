//! The `strata` command line: parses flags and calls the engine. No planning here.

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
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

/// Whether to colour output: only on a terminal, never with NO_COLOR set.
pub fn color_enabled() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate { dir, env, format } => {
            commands::validate::run(&dir, env.as_deref(), format)
        }
        Command::Fmt { dir, check } => commands::fmt::run(&dir, check),
    }
}
