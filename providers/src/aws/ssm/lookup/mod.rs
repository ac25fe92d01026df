//! SSM lookups: read-only data sources for Parameter Store parameters.

use std::sync::Arc;

use strata_engine::Registry;

mod parameter;

pub use parameter::Parameter;

pub fn register(registry: &mut Registry, aws: &crate::aws::client::Aws) {
    registry.register_lookup(Arc::new(Parameter { aws: aws.clone() }));
}
