//! One module per subcommand; each turns flags into engine and state calls and prints.
//! `workspace` holds what the commands working on an environment share.

pub mod apply;
pub mod fmt;
pub mod force_unlock;
pub mod graph;
pub mod import;
pub mod output;
pub mod plan;
pub mod planning;
pub mod state;
pub mod validate;
pub mod workspace;

use strata_engine::diag::Failure;

/// Prints a failure's diagnostics for a person, on stderr.
pub fn print_failure(failure: &Failure) {
    let width = terminal_width();
    eprint!("{}", failure.render_human(crate::color_enabled(), width));
}

pub(crate) fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}
