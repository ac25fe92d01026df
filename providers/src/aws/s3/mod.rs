//! Amazon S3: buckets (with their bucket-level settings), bucket policies and objects.
//!
//! Shared here: turning an SDK builder's missing-field error into a provider error, and
//! telling "this sub-configuration is not set" (`NoSuchCORSConfiguration` and the
//! like, which S3 answers for an absent setting of an existing bucket) from "the bucket
//! is gone" (`NoSuchBucket`).

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

/// The value of an SDK builder whose required fields strata always sets; a missing one
/// is a bug, reported instead of panicking.
pub(crate) fn built<T>(
    what: &str,
    result: Result<T, aws_sdk_s3::error::BuildError>,
) -> Result<T, strata_engine::provider::ProviderError> {
    result.map_err(|e| crate::aws::error::invalid(format!("could not build the {what}: {e}")))
}

/// Whether an error of a bucket sub-configuration getter means "not set": any not-found
/// code other than `NoSuchBucket`, and S3's one odd code for encryption.
pub(crate) fn not_set(e: &strata_engine::provider::ProviderError) -> bool {
    let code = e.code.as_deref().unwrap_or_default();
    code != "NoSuchBucket"
        && (e.kind == strata_engine::provider::ErrorKind::NotFound
            || code == "ServerSideEncryptionConfigurationNotFoundError")
}
