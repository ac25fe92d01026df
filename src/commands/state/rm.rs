//! `strata state rm`: forget resources without deleting them in the cloud. All the
//! addresses must be in the state, or nothing is forgotten. The lock is held while the
//! state is read, edited and written; the previous version is kept as the backup.

use std::path::Path;
use std::process::ExitCode;

use strata_state::edit;

use super::warn_if_in_spec;
use crate::commands::workspace;

pub fn run(dir: &Path, env: &str, addresses: &[String]) -> ExitCode {
    workspace::exit(rm(dir, env, addresses))
}

fn rm(dir: &Path, env: &str, addresses: &[String]) -> Result<(), ExitCode> {
    let (spec, _registry) = workspace::load_spec(dir, env)?;
    let store = workspace::store(&spec, dir)?;
    let guard = workspace::lock(&store, "state rm")?;
    let mut state = workspace::require_state(&store)?;
    let removed = edit::remove(&mut state, addresses).map_err(|e| workspace::report(&e))?;
    store.write(&mut state).map_err(|e| workspace::report(&e))?;
    workspace::release(guard)?;
    for (address, record) in &removed {
        println!("removed {address} ({} {})", record.type_name, record.id);
    }
    let count = match removed.len() {
        1 => "1 resource".to_owned(),
        n => format!("{n} resources"),
    };
    println!(
        "forgot {count} in the state of environment {env}: the cloud objects still exist, and strata no longer manages them"
    );
    println!(
        "the previous state is kept in {}",
        store.backup_path().display()
    );
    for (address, _) in &removed {
        warn_if_in_spec(&spec, address);
    }
    Ok(())
}
