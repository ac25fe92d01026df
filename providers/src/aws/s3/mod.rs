//! Amazon S3: buckets (with their bucket-level settings), bucket policies and objects.

use std::sync::Arc;

use strata_engine::Registry;

mod bucket;
mod bucket_policy;
mod object;

pub use bucket::Bucket;
pub use bucket_policy::BucketPolicy;
pub use object::Object;

pub fn register(registry: &mut Registry, aws: &crate::aws::client::Aws) {
    registry.register(Arc::new(Bucket { aws: aws.clone() }));
    registry.register(Arc::new(BucketPolicy { aws: aws.clone() }));
    registry.register(Arc::new(Object { aws: aws.clone() }));
}
