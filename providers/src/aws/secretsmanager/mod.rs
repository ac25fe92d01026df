//! AWS Secrets Manager: secrets strata creates (with a value the spec gives or one AWS
//! generates) and a lookup reading the value of a secret, whoever made it.
//!
//! Invariant: no type here ever returns a secret's value from `read`, `create` or
//! `update`; a value reaches the engine only through the lookup, whose result the
//! schema marks sensitive (so that the engine keeps only a digest of it).

use std::sync::Arc;

use strata_engine::Registry;

pub mod lookup;
mod secret;

pub use secret::Secret;

pub fn register(registry: &mut Registry, aws: &crate::aws::client::Aws) {
    registry.register(Arc::new(Secret { aws: aws.clone() }));
    lookup::register(registry, aws);
}
