//! strata-providers: the AWS resource and lookup types, one file per type.
//!
//! Layout: `aws/<service>/<kind>.rs` for a resource type, `aws/<service>/lookup/<kind>.rs`
//! for a lookup (read-only data source). Each file declares its type's schema; the cloud
//! operations come later, behind the same types.
//! Invariant: every type defined here is registered by `registry()` (checked by the
//! schema tests, which also check that every registered type has its file).

pub mod aws;

#[cfg(test)]
mod schema_tests;

use strata_engine::Registry;

/// A registry holding every type this crate provides.
pub fn registry() -> Registry {
    let mut registry = Registry::new();
    aws::register(&mut registry);
    registry
}
