//! `ec2.nat-gateway`: a managed NAT gateway letting private subnets reach out.
//!
//! Maps to CreateNatGateway / DescribeNatGateways / DeleteNatGateway; waits for
//! `available` after create and `deleted` after delete (minutes on AWS). Force-new:
//! `subnet-id`, `allocation-id`, `connectivity-type` (a NAT gateway cannot be modified,
//! only retagged). A public gateway sits in a public subnet with an Elastic IP.

use std::sync::LazyLock;

use strata_engine::{Attribute, Schema, Type};

use crate::aws::tags;

/// The `ec2.nat-gateway` resource type.
pub struct NatGateway {
    pub(crate) aws: crate::aws::client::Aws,
}

crate::aws::schema_only!(resource NatGateway, "ec2.nat-gateway", SCHEMA);

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "A NAT gateway.",
        vec![
            Attribute::required("subnet-id", Type::String)
                .force_new()
                .doc("The subnet the gateway lives in (a public subnet for a public gateway)."),
            Attribute::optional("allocation-id", Type::String)
                .force_new()
                .doc("The Elastic IP (`ec2.elastic-ip`'s `id`) of a public gateway; none for a private one."),
            Attribute::optional("connectivity-type", Type::one_of(&["public", "private"]))
                .default("public")
                .force_new()
                .doc("`public` (to the internet through an internet gateway) or `private` (to other networks only)."),
            tags(),
            Attribute::computed("id", Type::String).doc("The gateway id, `nat-...`."),
            Attribute::computed("public-ip", Type::String)
                .doc("The gateway's public address (public gateways)."),
            Attribute::computed("private-ip", Type::String)
                .doc("The gateway's private address in its subnet."),
            Attribute::computed("network-interface-id", Type::String)
                .doc("The network interface AWS created for the gateway."),
        ],
    )
});
