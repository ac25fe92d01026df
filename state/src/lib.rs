//! strata-state: everything strata persists about an environment — the state file
//! format, the local store that reads and writes it, the lock that keeps two runs
//! apart, the edits people make to a state by hand, and the plan file.
//!
//! Invariants: a state file is only ever replaced atomically and only by a version of
//! itself (same environment, same lineage; the next serial, or the same one when its
//! journal is folded in); its journal only grows by whole lines, each on disk before the
//! save it records returns; nothing that is refused is modified; sensitive values exist
//! here only as salted digests. Every error is a
//! [`StateError`] with a stable `state::...` code and a help line.

pub mod edit;
pub mod error;
pub mod format;
mod journal;
mod json_error;
pub mod local;
pub mod lock;
pub mod planfile;

pub use error::{Result, StateError};
pub use format::StateFile;
pub use local::{LocalStore, WriteStats};
pub use lock::{Liveness, LockGuard, LockInfo};
pub use planfile::PlanFile;
pub use strata_engine::state::{
    Changed, FORMAT_VERSION, Mode, ResourceState, STRATA_VERSION, SensitiveDigest, State, Status,
    StoredValue,
};
