//! strata-state: the state file format, its local store and locking.
