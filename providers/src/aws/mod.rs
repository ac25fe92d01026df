//! Amazon Web Services: one module per service, each registering its resource and
//! lookup types, plus the attribute shapes several services share.

use strata_engine::{Attribute, Registry, Type};

pub mod cloudfront;
pub mod ec2;
pub mod rds;
pub mod s3;
pub mod ssm;

/// Registers every AWS resource and lookup type.
pub fn register(registry: &mut Registry) {
    cloudfront::register(registry);
    ec2::register(registry);
    rds::register(registry);
    s3::register(registry);
    ssm::register(registry);
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
