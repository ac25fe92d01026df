//! strata-providers: the AWS resource and lookup types, one file per type.
//!
//! Layout: `aws/<service>/<kind>.rs` for a resource type, `aws/<service>/lookup/<kind>.rs`
//! for a lookup (read-only data source). Each file declares its type's schema and its
//! cloud operations; `aws::client` is the one place clients are configured.
//! Invariant: every type defined here is registered by `registry()` (checked by the
//! schema tests, which also check that every registered type has its file).

pub mod aws;

#[cfg(test)]
mod schema_tests;

use strata_engine::Registry;

/// A registry holding every type this crate provides, for checking specs: its types
/// cannot reach AWS (every call says an environment is needed).
pub fn registry() -> Registry {
    let mut registry = Registry::new();
    aws::register(&mut registry, &aws::client::Aws::unconfigured());
    registry
}

/// Whether `environment` can reach AWS at all (a region, credentials), checked before a
/// command touches any resource so that missing credentials are one clear error.
pub async fn check_access(
    environment: &strata_engine::spec::Environment,
    root: &std::path::Path,
) -> Result<(), aws::client::AccessProblem> {
    aws::client::Aws::new(aws::client::Settings::of(environment, root))
        .check_access()
        .await
}

/// A registry whose types reach AWS as `environment` says (region, profile, endpoint),
/// for the spec folder `root` (relative file paths in specs are taken from there).
pub fn registry_for(
    environment: &strata_engine::spec::Environment,
    root: &std::path::Path,
) -> Registry {
    let mut registry = Registry::new();
    let aws = aws::client::Aws::new(aws::client::Settings::of(environment, root));
    aws::register(&mut registry, &aws);
    registry
}
