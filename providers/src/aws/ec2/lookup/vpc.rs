//! `lookup ec2.vpc`: finds one existing VPC, by id, as the region's default VPC, by
//! CIDR block, by tags or by filters.
//!
//! Maps to DescribeVpcs (VpcIds, Filters `is-default`, `cidr`, `tag:KEY`). Exactly one VPC
//! must match.

use std::sync::LazyLock;

use strata_engine::{Attribute, Schema, Type};

use super::filter;
use crate::aws::tags;

/// The `ec2.vpc` lookup type.
pub struct Vpc {
    pub(crate) aws: crate::aws::client::Aws,
}

crate::aws::schema_only!(lookup Vpc, "ec2.vpc", SCHEMA);

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "Finds a VPC.",
        vec![
            Attribute::optional_computed("id", Type::String)
                .doc("The VPC id to find (`vpc-...`); found when searching otherwise."),
            Attribute::optional_computed("default", Type::Bool)
                .doc("`default #true` finds the region's default VPC."),
            Attribute::optional_computed("cidr-block", Type::String)
                .doc("The primary IPv4 range to match; found when searching otherwise."),
            tags().doc("Tags the VPC must carry (a subset match): `tags Name=main`."),
            filter(),
            Attribute::computed("arn", Type::String).doc("The VPC ARN."),
            Attribute::computed("main-route-table-id", Type::String)
                .doc("The VPC's main route table."),
            Attribute::computed("owner-id", Type::String).doc("The account that owns the VPC."),
        ],
    )
});
