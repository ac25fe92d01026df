//! `strata force-unlock`: remove the lock a run left on an environment's state, given
//! the lock's id (which the `state::locked` error shows). Only that lock is removed: a
//! wrong id, or no lock, removes nothing and says whose lock is there.

use std::path::Path;
use std::process::ExitCode;

use strata_state::Liveness;

use super::workspace;

pub fn run(dir: &Path, env: &str, lock_id: &str) -> ExitCode {
    workspace::exit(force_unlock(dir, env, lock_id))
}

fn force_unlock(dir: &Path, env: &str, lock_id: &str) -> Result<(), ExitCode> {
    let (spec, _registry) = workspace::load_spec(dir, env)?;
    let store = workspace::store(&spec, dir)?;
    let holder = store
        .force_unlock(lock_id)
        .map_err(|e| workspace::report(&e))?;
    println!(
        "removed the lock {} on the state of environment {env}: it was held by {} (pid {}, running `{}`, since {})",
        holder.id,
        holder.holder(),
        holder.pid,
        holder.command,
        holder.created
    );
    if holder.liveness() == Liveness::Running {
        eprintln!(
            "warning: pid {} is still running on this host; if it is that strata run, it may still write the state",
            holder.pid
        );
    }
    Ok(())
}
