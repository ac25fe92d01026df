//! AWS Systems Manager Parameter Store: a lookup for parameters managed elsewhere
//! (typically secrets put there by hand, like a database password).

use strata_engine::Registry;

pub mod lookup;

pub fn register(registry: &mut Registry, aws: &crate::aws::client::Aws) {
    lookup::register(registry, aws);
}
