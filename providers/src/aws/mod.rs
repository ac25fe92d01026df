//! Amazon Web Services: one module per service, each registering its resource and
//! lookup types, plus the attribute shapes and the create/update/delete steps several
//! services share.

use strata_engine::provider::{CreateError, Observed, ProviderError};
use strata_engine::{Attribute, Registry, Type};

pub mod attrs;
pub mod client;
pub mod cloudfront;
pub mod ec2;
pub mod error;
pub mod rds;
pub mod s3;
pub mod secretsmanager;
pub mod ssm;

/// Registers every AWS resource and lookup type.
pub fn register(registry: &mut Registry, aws: &client::Aws) {
    cloudfront::register(registry, aws);
    ec2::register(registry, aws);
    rds::register(registry, aws);
    s3::register(registry, aws);
    secretsmanager::register(registry, aws);
    ssm::register(registry, aws);
}

/// The `tags` attribute of every taggable type: `tags Project=digidex Environment=dev`.
///
/// Written tags are authoritative: a tag added outside strata shows as drift and is
/// removed on the next apply. Lookups reuse it (with their own doc) as a tag filter.
pub(crate) fn tags() -> Attribute {
    Attribute::optional("tags", Type::map(Type::String)).doc(
        "Tags on the resource, written as properties (`tags Project=digidex Env=dev`). \
         Authoritative: tags added outside strata show as drift.",
    )
}

/// Runs `finish`, the work that follows a successful create call (waiting, further
/// settings, reading the resource back). A failure carries the new resource's `id`, so
/// that the resource is recorded (and can be deleted) instead of orphaned.
pub(crate) async fn finish_create<T>(
    id: &str,
    finish: impl std::future::Future<Output = Result<T, ProviderError>>,
) -> Result<T, CreateError> {
    finish.await.map_err(|error| CreateError {
        error,
        id: Some(id.to_owned()),
    })
}

/// Reads a resource back after a change: what `read` observed, or, when it found
/// nothing, the error "`what` `id` vanished `when`" (`"VPC vpc-1 vanished after
/// create"`; `when` is e.g. `"after create"` or `"during update"`).
pub(crate) async fn read_back(
    read: impl std::future::Future<Output = Result<Option<Observed>, ProviderError>>,
    what: &str,
    id: &str,
    when: &str,
) -> Result<Observed, ProviderError> {
    read.await?
        .ok_or_else(|| ProviderError::other(format!("{what} {id} vanished {when}")))
}

/// One delete attempt as a [`wait_for`] step: done (`Some`) when the delete succeeded
/// or the resource is already gone, not yet (`None`) when AWS refused it with one of
/// `retry` (e.g. `DependencyViolation` while dependents let go), else the error.
pub(crate) fn delete_attempt<T>(
    result: Result<T, ProviderError>,
    retry: &[&str],
) -> Result<Option<()>, ProviderError> {
    match result {
        Ok(_) => Ok(Some(())),
        Err(e) if e.kind == strata_engine::provider::ErrorKind::NotFound => Ok(Some(())),
        Err(e) if e.code.as_deref().is_some_and(|c| retry.contains(&c)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Polls `check` every `every` until it answers `Some`, for at most `limit`; then a
/// timeout error naming `what`.
pub(crate) async fn wait_for<T, F, Fut>(
    what: &str,
    limit: std::time::Duration,
    every: std::time::Duration,
    mut check: F,
) -> Result<T, strata_engine::provider::ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, strata_engine::provider::ProviderError>>,
{
    let start = std::time::Instant::now();
    loop {
        if let Some(done) = check().await? {
            return Ok(done);
        }
        if start.elapsed() >= limit {
            return Err(crate::aws::error::timeout(what, limit));
        }
        tokio::time::sleep(every).await;
    }
}
