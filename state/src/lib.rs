//! strata-state: everything strata persists about an environment — the state file
//! format, the local store that reads and writes it, the lock that keeps two runs
//! apart, the edits people make to a state by hand, and the plan file.
//!
//! Invariants: a state is only ever replaced atomically and only by a newer version of
//! itself (same environment, same lineage, next serial); nothing that is refused is
//! modified; sensitive values exist here only as salted digests. Every error is a
//! [`StateError`] with a stable `state::...` code and a help line.

pub mod edit;
pub mod error;
pub mod format;
mod json_error;
pub mod local;
pub mod lock;
pub mod planfile;

pub use error::{Result, StateError};
pub use format::StateFile;
pub use local::LocalStore;
pub use lock::{Liveness, LockGuard, LockInfo};
pub use planfile::PlanFile;
pub use strata_engine::state::{
    FORMAT_VERSION, Mode, ResourceState, STRATA_VERSION, SensitiveDigest, State, Status,
    StoredValue,
};
