//! EC2 lookups: read-only data sources for AMIs, VPCs, subnets and availability zones
//! owned elsewhere. Their settable attributes are filters, their computed attributes
//! what was found; a lookup that finds nothing (or, where one result is expected,
//! several) is an error at plan time.

use std::sync::Arc;

use strata_engine::{Attribute, BlockSchema, Registry, Type};

mod ami;
mod availability_zones;
mod subnets;
mod vpc;

pub use ami::Ami;
pub use availability_zones::AvailabilityZones;
pub use subnets::Subnets;
pub use vpc::Vpc;

pub fn register(registry: &mut Registry, aws: &crate::aws::client::Aws) {
    registry.register_lookup(Arc::new(Ami { aws: aws.clone() }));
    registry.register_lookup(Arc::new(AvailabilityZones { aws: aws.clone() }));
    registry.register_lookup(Arc::new(Subnets { aws: aws.clone() }));
    registry.register_lookup(Arc::new(Vpc { aws: aws.clone() }));
}

/// The `filter` block of the EC2 Describe* calls, shared by every EC2 lookup:
/// `filter architecture { values x86_64 }` or `filter "tag:Tier" { values public }`.
pub(crate) fn filter() -> Attribute {
    Attribute::optional(
        "filter",
        Type::block(
            BlockSchema::new(vec![
                Attribute::required("name", Type::String)
                    .doc("The EC2 filter name (its argument), e.g. `architecture` or `tag:Name`."),
                Attribute::required("values", Type::list(Type::String))
                    .doc("Accepted values; `*` and `?` are wildcards."),
            ])
            .with_args("name"),
        ),
    )
    .repeated()
    .doc("A raw EC2 API filter, its argument the filter name: `filter architecture { values x86_64 }`. All filters must match.")
}
