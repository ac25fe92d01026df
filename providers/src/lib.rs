//! strata-providers: the AWS resource and lookup types, one file per type.

use strata_engine::Registry;

/// A registry holding every type this crate provides.
pub fn registry() -> Registry {
    Registry::new()
}
