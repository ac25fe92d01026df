//! `strata state list`: every resource in the state, one per line, sorted by address:
//! address, type, cloud id, and a note for lookups and tainted resources.

use std::path::Path;
use std::process::ExitCode;

use strata_state::{Mode, Status};

use crate::commands::workspace;

pub fn run(dir: &Path, env: &str) -> ExitCode {
    workspace::exit(list(dir, env))
}

fn list(dir: &Path, env: &str) -> Result<(), ExitCode> {
    let (spec, _registry) = workspace::load_spec(dir, env)?;
    let store = workspace::store(&spec, dir)?;
    let Some(state) = workspace::load_state(&store)? else {
        eprintln!(
            "no state for environment {env} yet: {} does not exist",
            store.path().display()
        );
        return Ok(());
    };
    if state.resources.is_empty() {
        eprintln!("the state of environment {env} holds no resource");
    }
    let address_width = state.resources.keys().map(|a| a.len()).max().unwrap_or(0);
    let type_width = state
        .resources
        .values()
        .map(|r| r.type_name.len())
        .max()
        .unwrap_or(0);
    let id_width = state
        .resources
        .values()
        .map(|r| r.id.len())
        .max()
        .unwrap_or(0);
    for (address, record) in &state.resources {
        let mut notes = Vec::new();
        if record.mode == Mode::Lookup {
            notes.push("lookup".to_owned());
        }
        if record.status == Status::Tainted {
            notes.push("tainted".to_owned());
        }
        if !record.deposed.is_empty() {
            notes.push(format!("{} deposed", record.deposed.len()));
        }
        let line = format!(
            "{address:<address_width$}  {:<type_width$}",
            record.type_name
        );
        if notes.is_empty() {
            println!("{line}  {}", record.id);
        } else {
            println!("{line}  {:<id_width$}  ({})", record.id, notes.join(", "));
        }
    }
    Ok(())
}
