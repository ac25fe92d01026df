//! `strata output`: the stack outputs recorded in the state of an environment by the
//! last apply, keyed `stack.output`. A sensitive output's value is not stored (only a
//! salted digest), so it shows as `(sensitive)` and cannot be printed alone.

use std::path::Path;
use std::process::ExitCode;

use serde_json::{Map, Value as Json, json};
use strata_engine::Value;
use strata_state::{State, StateError, StoredValue, edit};

use super::state::shown;
use super::workspace;

pub fn run(dir: &Path, env: &str, name: Option<&str>, json: bool) -> ExitCode {
    workspace::exit(output(dir, env, name, json))
}

fn output(dir: &Path, env: &str, name: Option<&str>, json: bool) -> Result<(), ExitCode> {
    let (spec, _registry) = workspace::load_spec(dir, env)?;
    let store = workspace::store(&spec, dir)?;
    if let Some(name) = name {
        let state = workspace::require_state(&store)?;
        let stored = edit::output(&state, name).map_err(|e| workspace::report(&e))?;
        let Some(value) = stored.as_plain() else {
            return Err(workspace::report(&StateError::SensitiveOutput {
                name: name.to_owned(),
            }));
        };
        match (json, value) {
            (true, value) => println!("{}", to_json(&json!(value), true)),
            (false, Value::String(s)) => println!("{s}"),
            (false, value) => println!("{}", to_json(&json!(value), false)),
        }
        return Ok(());
    }
    let Some(state) = workspace::load_state(&store)? else {
        if json {
            println!("{{}}");
        }
        eprintln!(
            "no state for environment {env} yet: {} does not exist",
            store.path().display()
        );
        return Ok(());
    };
    if json {
        let all: Map<String, Json> = state
            .outputs
            .iter()
            .map(|(name, stored)| {
                let entry = match stored {
                    StoredValue::Plain(v) => json!({ "value": v, "sensitive": false }),
                    StoredValue::Sensitive(_) => json!({ "sensitive": true }),
                };
                (name.clone(), entry)
            })
            .collect();
        println!("{}", to_json(&Json::Object(all), true));
        return Ok(());
    }
    if state.outputs.is_empty() {
        eprintln!("the state of environment {env} holds no output");
    }
    print_table(&state);
    Ok(())
}

/// Prints every output of `state`, one `name = value` line each, names aligned.
pub fn print_table(state: &State) {
    let width = state.outputs.keys().map(|k| k.len()).max().unwrap_or(0);
    for (name, stored) in &state.outputs {
        println!("{name:<width$} = {}", shown(stored));
    }
}

fn to_json(value: &Json, pretty: bool) -> String {
    let text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    };
    text.expect("a JSON value always serialises")
}
