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

/// One environment's AWS handle and the registry whose types share it.
pub struct Connection {
    pub registry: Registry,
    /// Checks access once (`Aws::check_access`) before a command touches any resource;
    /// the configuration it loads is the one every type then uses.
    pub aws: aws::client::Aws,
}

/// The types of `environment`, reaching AWS as it says (region, profile, endpoint), for
/// the spec folder `root` (relative file paths in specs are taken from there).
pub fn connect(
    environment: &strata_engine::spec::Environment,
    root: &std::path::Path,
) -> Connection {
    let aws = aws::client::Aws::new(aws::client::Settings::of(environment, root));
    let mut registry = Registry::with_backpressure(aws.backpressure().clone());
    aws::register(&mut registry, &aws);
    Connection { registry, aws }
}
