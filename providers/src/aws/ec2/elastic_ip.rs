//! `ec2.elastic-ip`: a static public IPv4 address, optionally associated with an
//! instance or a network interface.
//!
//! Maps to AllocateAddress / DescribeAddresses / ReleaseAddress and AssociateAddress /
//! DisassociateAddress (a change of association is in place). Force-new: `domain`.

use std::sync::LazyLock;

use strata_engine::{Attribute, Constraint, Schema, Type};

use crate::aws::tags;

/// The `ec2.elastic-ip` resource type.
pub struct ElasticIp {
    pub(crate) aws: crate::aws::client::Aws,
}

crate::aws::schema_only!(resource ElasticIp, "ec2.elastic-ip", SCHEMA);

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "An Elastic IP address.",
        vec![
            Attribute::optional("domain", Type::one_of(&["vpc", "standard"]))
                .default("vpc")
                .force_new()
                .doc("`vpc` (the only kind since EC2-Classic was retired)."),
            Attribute::optional("instance-id", Type::String)
                .doc("The instance the address is associated with."),
            Attribute::optional("network-interface-id", Type::String)
                .doc("The network interface the address is associated with."),
            tags(),
            Attribute::computed("id", Type::String).doc(
                "The allocation id, `eipalloc-...` (what a NAT gateway's `allocation-id` takes).",
            ),
            Attribute::computed("arn", Type::String).doc("The address ARN."),
            Attribute::computed("public-ip", Type::String).doc("The public IPv4 address."),
            Attribute::computed("association-id", Type::String)
                .doc("The association id, `eipassoc-...`, when associated."),
            Attribute::computed("private-ip", Type::String)
                .doc("The private address it maps to, when associated."),
        ],
    )
    .with_constraint(Constraint::AtMostOneOf(vec![
        "instance-id",
        "network-interface-id",
    ]))
});
