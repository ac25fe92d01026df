//! `ec2.subnet`: a range of a VPC's addresses in one availability zone.
//!
//! Maps to CreateSubnet / DescribeSubnets / DeleteSubnet and ModifySubnetAttribute for
//! `map-public-ip-on-launch`. Force-new: `vpc-id`, `cidr-block`, `availability-zone`.
//! Whether a subnet is "public", "private" or "isolated" is decided by its route table
//! (`ec2.route-table` with `subnet-ids`), not here.

use std::sync::LazyLock;

use strata_engine::{Attribute, Schema, Type};

use crate::aws::tags;

/// The `ec2.subnet` resource type.
pub struct Subnet {
    pub(crate) aws: crate::aws::client::Aws,
}

crate::aws::schema_only!(resource Subnet, "ec2.subnet", SCHEMA);

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "A subnet: part of a VPC's range, in one availability zone.",
        vec![
            Attribute::required("vpc-id", Type::String)
                .force_new()
                .doc("The VPC the subnet belongs to."),
            Attribute::required("cidr-block", Type::String)
                .force_new()
                .doc("The subnet's IPv4 range inside the VPC's, quoted: `\"10.0.0.0/26\"`."),
            Attribute::optional_computed("availability-zone", Type::String)
                .force_new()
                .doc("The zone, e.g. `eu-west-3a` or `\"${region}a\"`; when absent AWS picks one."),
            Attribute::optional("map-public-ip-on-launch", Type::Bool)
                .default(false)
                .doc("Give instances launched here a public IPv4 address (for public subnets)."),
            tags(),
            Attribute::computed("id", Type::String).doc("The subnet id, `subnet-...`."),
            Attribute::computed("arn", Type::String).doc("The subnet ARN."),
            Attribute::computed("availability-zone-id", Type::String)
                .doc("The zone's account-independent id, e.g. `euw3-az1`."),
        ],
    )
});
