//! Amazon RDS: DB subnet groups and DB instances.

use std::sync::Arc;

use strata_engine::Registry;

mod instance;
mod subnet_group;

pub use instance::Instance;
pub use subnet_group::SubnetGroup;

pub fn register(registry: &mut Registry, aws: &crate::aws::client::Aws) {
    registry.register(Arc::new(Instance { aws: aws.clone() }));
    registry.register(Arc::new(SubnetGroup { aws: aws.clone() }));
}
