//! Amazon Web Services: one module per service, each registering its resource and
//! lookup types, plus the attribute shapes several services share.

use strata_engine::{Attribute, Registry, Type};

pub mod attrs;
pub mod client;
pub mod cloudfront;
pub mod ec2;
pub mod error;
pub mod rds;
pub mod s3;
pub mod ssm;

/// Implements the provider contract for a type whose AWS calls are not written yet:
/// its schema is real (specs validate and plan against it), and each cloud operation
/// answers with an `Unsupported` error naming the type, so `apply` fails clearly
/// instead of pretending.
macro_rules! schema_only {
    (resource $ty:ident, $name:literal, $schema:ident) => {
        #[async_trait::async_trait]
        impl strata_engine::ResourceType for $ty {
            fn type_name(&self) -> &'static str {
                $name
            }
            fn schema(&self) -> &strata_engine::Schema {
                &$schema
            }
            async fn read(
                &self,
                _id: &str,
                _prior: &strata_engine::provider::Attrs,
            ) -> Result<
                Option<strata_engine::provider::Observed>,
                strata_engine::provider::ProviderError,
            > {
                let _ = &self.aws;
                Err(crate::aws::pending($name))
            }
            async fn create(
                &self,
                _desired: &strata_engine::provider::Attrs,
            ) -> Result<strata_engine::provider::Observed, strata_engine::provider::CreateError>
            {
                Err(crate::aws::pending($name).into())
            }
            async fn update(
                &self,
                _id: &str,
                _prior: &strata_engine::provider::Attrs,
                _desired: &strata_engine::provider::Attrs,
                _changed: &[String],
            ) -> Result<strata_engine::provider::Observed, strata_engine::provider::ProviderError>
            {
                Err(crate::aws::pending($name))
            }
            async fn delete(
                &self,
                _id: &str,
                _prior: &strata_engine::provider::Attrs,
            ) -> Result<(), strata_engine::provider::ProviderError> {
                Err(crate::aws::pending($name))
            }
        }
    };
    (lookup $ty:ident, $name:literal, $schema:ident) => {
        #[async_trait::async_trait]
        impl strata_engine::LookupType for $ty {
            fn type_name(&self) -> &'static str {
                $name
            }
            fn schema(&self) -> &strata_engine::Schema {
                &$schema
            }
            async fn read(
                &self,
                _filters: &strata_engine::provider::Attrs,
            ) -> Result<strata_engine::provider::Observed, strata_engine::provider::ProviderError>
            {
                let _ = &self.aws;
                Err(crate::aws::pending($name))
            }
        }
    };
}
pub(crate) use schema_only;

pub(crate) fn pending(type_name: &str) -> strata_engine::provider::ProviderError {
    strata_engine::provider::ProviderError::new(
        strata_engine::provider::ErrorKind::Unsupported,
        None,
        format!(
            "this strata build cannot call AWS for `{type_name}` yet: its operations are not implemented"
        ),
    )
}

/// Registers every AWS resource and lookup type.
pub fn register(registry: &mut Registry, aws: &client::Aws) {
    cloudfront::register(registry, aws);
    ec2::register(registry, aws);
    rds::register(registry, aws);
    s3::register(registry, aws);
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
