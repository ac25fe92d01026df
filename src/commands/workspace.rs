//! What every command that works on one environment needs, in one place: the spec
//! checked for that environment, the environment's state store, the lock, and printing
//! a diagnostic for a person.
//!
//! Each helper prints its own problem (spec diagnostics through `print_failure`, state
//! errors through `print_diagnostic`) and returns the exit status to end with, so a
//! command is a sequence of `?` inside a function returning `Result<(), ExitCode>`,
//! finished by [`exit`].
//!
//! Invariants: a spec that does not check stops the command before any state is read;
//! state paths of local backends are relative to the spec folder, never to the current
//! directory; colour only when `crate::color_enabled()`.

use std::path::Path;
use std::process::ExitCode;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme};
use strata_engine::spec::{self, Spec, StateBackend};
use strata_providers::Connection;
use strata_state::{LocalStore, LockGuard, State, StateError};

/// The project in `dir` loaded and checked for environment `env`, with the connection
/// (registry and AWS handle) for that environment. On failure the diagnostics are
/// printed and the status is 1.
pub fn load_spec(dir: &Path, env: &str) -> Result<(Spec, Connection), ExitCode> {
    let registry = strata_providers::registry();
    let project = spec::load(dir).map_err(|failure| {
        super::print_failure(&failure);
        ExitCode::from(1)
    })?;
    let spec = spec::check(&project, &registry, Some(env)).map_err(|failure| {
        super::print_failure(&failure);
        ExitCode::from(1)
    })?;
    let connection = strata_providers::connect(
        spec.environment
            .as_ref()
            .expect("a spec checked for an environment has it"),
        dir,
    );
    Ok((spec, connection))
}

/// The state store of the environment `spec` was checked for (by [`load_spec`]); a
/// relative `state path=` is taken from the spec folder `dir`. An S3 backend is reported
/// as not available in this build (`state::backend_unsupported`, status 1).
pub fn store(spec: &Spec, dir: &Path) -> Result<LocalStore, ExitCode> {
    let environment = spec
        .environment
        .as_ref()
        .expect("workspace::store needs a spec checked for an environment (load_spec)");
    match &environment.state {
        StateBackend::Local { path } => {
            Ok(LocalStore::new(dir.join(path), &environment.name).with_spec_dir(dir))
        }
        StateBackend::S3 {
            bucket,
            key,
            region,
        } => {
            let region = region
                .as_deref()
                .map(|r| format!(", region {r}"))
                .unwrap_or_default();
            Err(report(&StateError::BackendUnsupported {
                environment: environment.name.clone(),
                backend: format!("S3 (bucket {bucket}, key {key}{region})"),
            }))
        }
    }
}

/// The state in `store`, or None when it has no file yet.
pub fn load_state(store: &LocalStore) -> Result<Option<State>, ExitCode> {
    store.load().map_err(|e| report(&e))
}

/// The state in `store`; a missing file is `state::no_state`.
pub fn require_state(store: &LocalStore) -> Result<State, ExitCode> {
    load_state(store)?.ok_or_else(|| {
        report(&StateError::NoState {
            path: store.path().to_owned(),
            environment: store.environment().to_owned(),
        })
    })
}

/// Take the lock of `store` for `command` (as shown to whoever finds it taken, e.g.
/// `"state rm"`).
pub fn lock(store: &LocalStore, command: &str) -> Result<LockGuard, ExitCode> {
    store.lock(command).map_err(|e| report(&e))
}

/// Release a lock taken with [`lock`], reporting a lock lost meanwhile.
pub fn release(guard: LockGuard) -> Result<(), ExitCode> {
    guard.release().map_err(|e| report(&e))
}

/// Prints a diagnostic (a `StateError`, or any miette diagnostic) for a person, on
/// stderr: code, message, labels when it has source text, help.
pub fn print_diagnostic(diagnostic: &dyn Diagnostic) {
    let theme = if crate::color_enabled() {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let mut out = String::new();
    GraphicalReportHandler::new_themed(theme)
        .with_width(super::terminal_width())
        .with_links(false)
        .render_report(&mut out, diagnostic)
        .expect("rendering into a String cannot fail");
    eprint!("{out}");
}

/// Prints `diagnostic` and returns exit status 1: `.map_err(|e| report(&e))?`.
pub fn report(diagnostic: &dyn Diagnostic) -> ExitCode {
    print_diagnostic(diagnostic);
    ExitCode::from(1)
}

/// The exit status of a command written as `Result<(), ExitCode>`.
pub fn exit(result: Result<(), ExitCode>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}
