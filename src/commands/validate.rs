//! `strata validate`: load and check a spec folder, report every problem.

use std::path::Path;
use std::process::ExitCode;

use strata_engine::diag::{Diagnostics, Failure, diagnostics_json};
use strata_engine::source::Sources;
use strata_engine::spec;

use crate::Format;

pub fn run(dir: &Path, env: Option<&str>, format: Format) -> ExitCode {
    let registry = strata_providers::registry();
    let failure = match spec::load(dir) {
        Err(failure) => Some(failure),
        Ok(project) => {
            let diagnostics = spec::validate(&project, &registry, env);
            (!diagnostics.is_empty()).then(|| Failure {
                sources: project.sources.clone(),
                diagnostics,
            })
        }
    };
    match (format, &failure) {
        (Format::Json, Some(f)) => println!(
            "{}",
            serde_json::to_string_pretty(&f.to_json()).expect("json")
        ),
        (Format::Json, None) => println!(
            "{}",
            serde_json::to_string_pretty(&diagnostics_json(&Sources::new(), &Diagnostics::new()))
                .expect("json")
        ),
        (Format::Human, Some(f)) => super::print_failure(f),
        (Format::Human, None) => match env {
            Some(env) => println!("{} is valid for environment {env}", dir.display()),
            None => println!("{} is valid", dir.display()),
        },
    }
    match failure {
        Some(f) if f.diagnostics.has_errors() => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}
