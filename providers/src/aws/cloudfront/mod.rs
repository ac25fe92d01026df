//! Amazon CloudFront: distributions and origin access controls.
//!
//! CloudFront is global: its API lives in us-east-1 whatever the environment's region,
//! and certificates it uses must be issued in us-east-1.

use std::sync::Arc;

use strata_engine::Registry;

mod distribution;
mod origin_access_control;

pub use distribution::Distribution;
pub use origin_access_control::OriginAccessControl;

pub fn register(registry: &mut Registry, aws: &crate::aws::client::Aws) {
    registry.register(Arc::new(Distribution { aws: aws.clone() }));
    registry.register(Arc::new(OriginAccessControl { aws: aws.clone() }));
}
