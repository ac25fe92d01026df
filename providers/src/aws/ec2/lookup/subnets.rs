//! `lookup ec2.subnets`: finds the ids of every subnet matching a VPC, a zone, tags and
//! filters (none found is an empty list, not an error).
//!
//! Maps to DescribeSubnets (Filters `vpc-id`, `availability-zone`, `tag:KEY`).

use std::sync::LazyLock;

use strata_engine::{Attribute, Schema, Type};

use super::filter;
use crate::aws::tags;

/// The `ec2.subnets` lookup type.
pub struct Subnets {
    pub(crate) aws: crate::aws::client::Aws,
}

crate::aws::schema_only!(lookup Subnets, "ec2.subnets", SCHEMA);

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "Finds the subnets matching filters.",
        vec![
            Attribute::optional("vpc-id", Type::String).doc("Only subnets of this VPC."),
            Attribute::optional("availability-zone", Type::String)
                .doc("Only subnets in this zone."),
            tags().doc("Tags the subnets must carry (a subset match): `tags Tier=private`."),
            filter(),
            Attribute::computed("ids", Type::list(Type::String))
                .doc("The ids of the matching subnets, sorted."),
        ],
    )
});
