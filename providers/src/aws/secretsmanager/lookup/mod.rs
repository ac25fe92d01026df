//! Secrets Manager lookups: read-only data sources for secrets' values.

use std::sync::Arc;

use strata_engine::Registry;

mod secret_value;

pub use secret_value::SecretValue;

pub fn register(registry: &mut Registry, aws: &crate::aws::client::Aws) {
    registry.register_lookup(Arc::new(SecretValue { aws: aws.clone() }));
}
