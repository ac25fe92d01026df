//! `strata state mv`: give a resource's record a new address (after renaming the
//! resource in the spec, or moving it to another stack), so that the next plan keeps the
//! cloud object instead of replacing it. Records that depended on the old address now
//! name the new one. The lock is held while the state is read, edited and written; the
//! previous version is kept as the backup.

use std::path::Path;
use std::process::ExitCode;

use strata_state::edit;

use super::warn_if_in_spec;
use crate::commands::workspace;

pub fn run(dir: &Path, env: &str, from: &str, to: &str) -> ExitCode {
    workspace::exit(mv(dir, env, from, to))
}

fn mv(dir: &Path, env: &str, from: &str, to: &str) -> Result<(), ExitCode> {
    let (spec, _registry) = workspace::load_spec(dir, env)?;
    let store = workspace::store(&spec, dir)?;
    let guard = workspace::lock(&store, "state mv")?;
    let mut state = workspace::require_state(&store)?;
    let rewritten = edit::rename(&mut state, from, to).map_err(|e| workspace::report(&e))?;
    store.write(&mut state).map_err(|e| workspace::report(&e))?;
    workspace::release(guard)?;
    let record = &state.resources[to];
    println!(
        "moved {from} to {to} ({} {}) in the state of environment {env}",
        record.type_name, record.id
    );
    if !rewritten.is_empty() {
        println!("{} now depend on {to}", rewritten.join(", "));
    }
    println!(
        "the previous state is kept in {}",
        store.backup_path().display()
    );
    warn_if_in_spec(&spec, from);
    match spec.find_str(to) {
        None => eprintln!(
            "note: the spec has no resource `{to}`: the next plan would delete it; rename it in the spec too"
        ),
        Some(resource) if resource.type_name != record.type_name => eprintln!(
            "note: in the spec `{to}` is a {}, but the record moved there is a {}",
            resource.type_name, record.type_name
        ),
        Some(_) => {}
    }
    Ok(())
}
