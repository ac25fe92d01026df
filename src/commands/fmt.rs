//! `strata fmt`: rewrite spec files in canonical form, or list those that differ.

use std::path::Path;
use std::process::ExitCode;

use strata_engine::spec::fmt::format_folder;

pub fn run(dir: &Path, check: bool) -> ExitCode {
    let changes = match format_folder(dir) {
        Ok(changes) => changes,
        Err(failure) => {
            super::print_failure(&failure);
            eprintln!("nothing was formatted: fix the syntax errors first");
            return ExitCode::from(1);
        }
    };
    if check {
        for change in &changes {
            println!("{}", change.path.display());
        }
        if changes.is_empty() {
            return ExitCode::SUCCESS;
        }
        eprintln!(
            "{} file(s) are not formatted; run `strata fmt {}`",
            changes.len(),
            dir.display()
        );
        return ExitCode::from(1);
    }
    for change in &changes {
        // Write beside, then rename: an interrupted fmt never leaves half a file.
        let tmp = change.path.with_extension("kdl.fmt-tmp");
        let result = std::fs::write(&tmp, &change.formatted)
            .and_then(|()| std::fs::rename(&tmp, &change.path));
        if let Err(e) = result {
            eprintln!("error: cannot write {}: {e}", change.path.display());
            let _ = std::fs::remove_file(&tmp);
            return ExitCode::from(1);
        }
        println!("formatted {}", change.path.display());
    }
    ExitCode::SUCCESS
}
