//! `strata import DIR --env ENV ADDR ID`: brings an existing cloud resource under the
//! spec's address, recording what the cloud holds; the next plan shows how the spec
//! differs from it.

use std::path::Path;
use std::process::ExitCode;

use strata_engine::workflow;

use super::planning::{check_access, runtime, stop};
use super::workspace::{self, exit};

pub fn run(dir: &Path, env: &str, address: &str, id: &str) -> ExitCode {
    exit(import(dir, env, address, id))
}

fn import(dir: &Path, env: &str, address: &str, id: &str) -> Result<(), ExitCode> {
    let (spec, connection) = workspace::load_spec(dir, env)?;
    let store = workspace::store(&spec, dir)?;
    let rt = runtime();
    check_access(&spec, &connection, &rt)?;
    let record = rt
        .block_on(workflow::import(
            &spec,
            &connection.registry,
            &store,
            address,
            id,
        ))
        .map_err(|s| stop(&spec, s))?;
    println!(
        "Imported {address} ({} {}). Run `strata plan {} --env {env}` to see how the spec differs from it.",
        record.type_name,
        record.id,
        dir.display()
    );
    Ok(())
}
