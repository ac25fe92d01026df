//! `ec2.security-group`: a VPC security group, optionally with its rules written inline.
//!
//! Maps to CreateSecurityGroup / DescribeSecurityGroups / DeleteSecurityGroup and
//! Authorize/RevokeSecurityGroupIngress/Egress for the `ingress` / `egress` blocks.
//! Force-new: `name`, `description`, `vpc-id` (AWS cannot change them).
//!
//! Rules: when `ingress` (or `egress`) blocks are written they are the group's whole rule
//! set in that direction; when none are written, strata does not manage that direction
//! here (rules are read back, and may come from `ec2.security-group-ingress` /
//! `ec2.security-group-egress` resources — the way to express two groups that refer to
//! each other, which inline rules would make a reference cycle).
//! AWS gives every new group an allow-all egress rule (all protocols to 0.0.0.0/0);
//! `revoke-default-egress #true` removes it (CDK's `allowAllOutbound: false`), otherwise
//! it is kept and never shown as drift.

use std::sync::LazyLock;

use strata_engine::{Attribute, BlockSchema, Schema, Type};

use super::{Direction, rule_attributes};
use crate::aws::tags;

/// The `ec2.security-group` resource type.
pub struct SecurityGroup {
    pub(crate) aws: crate::aws::client::Aws,
}

crate::aws::schema_only!(resource SecurityGroup, "ec2.security-group", SCHEMA);

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let rule = |direction| {
        Type::block(BlockSchema::new(rule_attributes(direction, false)).with_args("protocol"))
    };
    Schema::new(
        "A security group: a stateful firewall attached to network interfaces.",
        vec![
            Attribute::required("name", Type::String)
                .force_new()
                .doc("The group name, unique in its VPC (it may not start with `sg-`)."),
            Attribute::optional("description", Type::String)
                .default("Managed by strata")
                .force_new()
                .doc("The group description (AWS cannot change it)."),
            Attribute::optional_computed("vpc-id", Type::String)
                .force_new()
                .doc("The VPC of the group; when absent, the region's default VPC."),
            Attribute::optional("revoke-default-egress", Type::Bool)
                .default(false)
                .doc("Remove the allow-all egress rule AWS adds to every new group, so the group allows no outbound traffic except its `egress` rules."),
            Attribute::optional_computed("ingress", rule(Direction::Ingress))
                .repeated()
                .doc("An inbound rule, its argument the protocol: `ingress tcp from-port=443 to-port=443 cidr-blocks=\"0.0.0.0/0\"`. When written, the blocks are all the group's inbound rules."),
            Attribute::optional_computed("egress", rule(Direction::Egress))
                .repeated()
                .doc("An outbound rule, its argument the protocol: `egress tcp from-port=5432 to-port=5432 destination-security-group-id=(ref)\"db.id\"`. When written, the blocks (plus the default rule unless revoked) are all the group's outbound rules."),
            tags(),
            Attribute::computed("id", Type::String).doc("The group id, `sg-...`."),
            Attribute::computed("arn", Type::String).doc("The group ARN."),
            Attribute::computed("owner-id", Type::String)
                .doc("The account that owns the group."),
        ],
    )
});
