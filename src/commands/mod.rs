//! One module per subcommand; each turns flags into one engine call and prints.

pub mod fmt;
pub mod validate;

use strata_engine::diag::Failure;

/// Prints a failure's diagnostics for a person, on stderr.
pub fn print_failure(failure: &Failure) {
    let width = terminal_width();
    eprint!("{}", failure.render_human(crate::color_enabled(), width));
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}
