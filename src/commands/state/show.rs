//! `strata state show`: one resource's record as the state holds it: type, mode, cloud
//! id, status, dependencies, inputs and outputs. Sensitive values are stored only as
//! salted digests, so they show as `(sensitive)`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use strata_state::{Mode, Status, StoredValue, edit};

use super::shown;
use crate::commands::workspace;

pub fn run(dir: &Path, env: &str, address: &str) -> ExitCode {
    workspace::exit(show(dir, env, address))
}

fn show(dir: &Path, env: &str, address: &str) -> Result<(), ExitCode> {
    let (spec, _registry) = workspace::load_spec(dir, env)?;
    let store = workspace::store(&spec, dir)?;
    let state = workspace::require_state(&store)?;
    let record = edit::resource(&state, address).map_err(|e| workspace::report(&e))?;
    let list = |items: &[String]| {
        if items.is_empty() {
            "(none)".to_owned()
        } else {
            items.join(", ")
        }
    };
    println!("{address}");
    println!("  type          {}", record.type_name);
    let mode = match record.mode {
        Mode::Managed => "managed",
        Mode::Lookup => "lookup (read only, owned elsewhere)",
    };
    println!("  mode          {mode}");
    println!("  id            {}", record.id);
    let status = match record.status {
        Status::Created => "created",
        Status::Tainted => "tainted (a create half-succeeded: the next apply replaces it)",
    };
    println!("  status        {status}");
    println!("  dependencies  {}", list(&record.dependencies));
    if !record.deposed.is_empty() {
        println!(
            "  deposed       {} (replaced, not deleted yet)",
            list(&record.deposed)
        );
    }
    print_values("inputs", &record.inputs);
    print_values("outputs", &record.outputs);
    Ok(())
}

fn print_values(section: &str, values: &BTreeMap<String, StoredValue>) {
    if values.is_empty() {
        println!("  {section:<12}  (none)");
        return;
    }
    println!("  {section}");
    let width = values.keys().map(|k| k.len()).max().unwrap_or(0);
    for (name, value) in values {
        println!("    {name:<width$} = {}", shown(value));
    }
}
