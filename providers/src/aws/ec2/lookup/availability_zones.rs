//! `lookup ec2.availability-zones`: the availability zones of the environment's region.
//!
//! Maps to DescribeAvailabilityZones (Filter `state`; Local Zones and Wavelength Zones
//! that the account has not opted into are left out).

use std::sync::LazyLock;

use strata_engine::{Attribute, Schema, Type};

/// The `ec2.availability-zones` lookup type.
pub struct AvailabilityZones {
    pub(crate) aws: crate::aws::client::Aws,
}

crate::aws::schema_only!(lookup AvailabilityZones, "ec2.availability-zones", SCHEMA);

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "Lists the region's availability zones.",
        vec![
            Attribute::optional(
                "state",
                Type::one_of(&["available", "information", "impaired", "unavailable"]),
            )
            .default("available")
            .doc("Only zones in this state."),
            Attribute::computed("names", Type::list(Type::String))
                .doc("The zone names, sorted: `eu-west-3a`, `eu-west-3b`..."),
            Attribute::computed("zone-ids", Type::list(Type::String))
                .doc("The zone ids in the same order: `euw3-az1`..."),
        ],
    )
});
