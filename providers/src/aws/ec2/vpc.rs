//! `ec2.vpc`: a virtual private cloud, the network every other EC2 networking resource
//! lives in.
//!
//! Maps to CreateVpc / DescribeVpcs / DeleteVpc, ModifyVpcAttribute for the two DNS
//! settings, CreateTags / DeleteTags. Force-new: `cidr-block` (the primary range cannot
//! change) and `instance-tenancy` (AWS only allows dedicated → default in place). AWS
//! creates a main route table, a default security group and a default network ACL with
//! the VPC; their ids are exported here, and they go away with it.

use std::sync::LazyLock;

use strata_engine::{Attribute, Schema, Type};

use crate::aws::tags;

/// The `ec2.vpc` resource type.
pub struct Vpc;

crate::aws::schema_only!(resource Vpc, "ec2.vpc", SCHEMA);

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "A VPC: an isolated IPv4 network with DNS settings.",
        vec![
            Attribute::required("cidr-block", Type::String)
                .force_new()
                .doc("The primary IPv4 range, quoted: `cidr-block \"10.0.0.0/22\"` (/16 to /28)."),
            Attribute::optional("enable-dns-support", Type::Bool)
                .default(true)
                .doc("Resolve DNS through the Amazon-provided resolver (VPC+2)."),
            Attribute::optional("enable-dns-hostnames", Type::Bool)
                .default(false)
                .doc("Give instances with a public IP a public DNS name (needs DNS support)."),
            Attribute::optional("instance-tenancy", Type::one_of(&["default", "dedicated"]))
                .default("default")
                .force_new()
                .doc("`dedicated` runs every instance on single-tenant hardware."),
            tags(),
            Attribute::computed("id", Type::String).doc("The VPC id, `vpc-...`."),
            Attribute::computed("arn", Type::String).doc("The VPC ARN."),
            Attribute::computed("default-security-group-id", Type::String)
                .doc("The security group AWS created with the VPC."),
            Attribute::computed("main-route-table-id", Type::String)
                .doc("The route table AWS created with the VPC, used by subnets with no table of their own."),
            Attribute::computed("default-network-acl-id", Type::String)
                .doc("The network ACL AWS created with the VPC."),
            Attribute::computed("owner-id", Type::String)
                .doc("The account that owns the VPC."),
        ],
    )
});
