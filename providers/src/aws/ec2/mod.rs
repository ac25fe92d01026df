//! Amazon EC2 and VPC networking: VPCs, subnets, gateways, route tables, security groups
//! and their rules, instances, Elastic IPs; lookups for AMIs, VPCs, subnets and
//! availability zones.

use std::sync::Arc;

use strata_engine::{Attribute, Registry, Schema, Type};

pub mod lookup;

mod elastic_ip;
mod instance;
mod internet_gateway;
mod nat_gateway;
mod route_table;
mod security_group;
mod security_group_egress;
mod security_group_ingress;
mod subnet;
mod vpc;

pub use elastic_ip::ElasticIp;
pub use instance::Instance;
pub use internet_gateway::InternetGateway;
pub use nat_gateway::NatGateway;
pub use route_table::RouteTable;
pub use security_group::SecurityGroup;
pub use security_group_egress::SecurityGroupEgress;
pub use security_group_ingress::SecurityGroupIngress;
pub use subnet::Subnet;
pub use vpc::Vpc;

pub fn register(registry: &mut Registry) {
    registry.register(Arc::new(ElasticIp));
    registry.register(Arc::new(Instance));
    registry.register(Arc::new(InternetGateway));
    registry.register(Arc::new(NatGateway));
    registry.register(Arc::new(RouteTable));
    registry.register(Arc::new(SecurityGroup));
    registry.register(Arc::new(SecurityGroupEgress));
    registry.register(Arc::new(SecurityGroupIngress));
    registry.register(Arc::new(Subnet));
    registry.register(Arc::new(Vpc));
    lookup::register(registry);
}

/// Which way a security group rule lets traffic through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Ingress,
    Egress,
}

/// The attributes of one security group rule, shared by the inline `ingress` / `egress`
/// blocks of `ec2.security-group` and the standalone `ec2.security-group-ingress` /
/// `ec2.security-group-egress` types, so that a rule reads the same everywhere.
///
/// The peer group is `source-security-group-id` for ingress and
/// `destination-security-group-id` for egress (as in CloudFormation). A standalone rule
/// cannot be modified in place except for its description, so `standalone` marks the
/// other attributes force-new; inside a group's block a changed rule is an update of the
/// group (revoke the old rule, authorize the new one).
pub(crate) fn rule_attributes(direction: Direction, standalone: bool) -> Vec<Attribute> {
    let replace = |attr: Attribute| if standalone { attr.force_new() } else { attr };
    let (peer, peer_doc, cidr_doc) = match direction {
        Direction::Ingress => (
            "source-security-group-id",
            "Allow traffic coming from the members of this security group.",
            "IPv4 ranges traffic may come from, e.g. `\"10.0.0.0/16\"` or `\"0.0.0.0/0\"`.",
        ),
        Direction::Egress => (
            "destination-security-group-id",
            "Allow traffic going to the members of this security group.",
            "IPv4 ranges traffic may go to, e.g. `\"0.0.0.0/0\"`.",
        ),
    };
    vec![
        replace(Attribute::required("protocol", Type::String)).doc(
            "`tcp`, `udp`, `icmp`, `icmpv6`, a protocol number, or `all` (AWS `-1`: every protocol and port).",
        ),
        replace(Attribute::optional("from-port", Type::Int)).doc(
            "The first port of the range (the ICMP type for icmp); omit for `all`.",
        ),
        replace(Attribute::optional("to-port", Type::Int)).doc(
            "The last port of the range (the ICMP code for icmp); omit for `all`.",
        ),
        replace(Attribute::optional("cidr-blocks", Type::list(Type::String))).doc(cidr_doc),
        replace(Attribute::optional("ipv6-cidr-blocks", Type::list(Type::String)))
            .doc("IPv6 ranges, e.g. `\"::/0\"`."),
        replace(Attribute::optional("prefix-list-ids", Type::list(Type::String)))
            .doc("Managed prefix lists (e.g. the S3 gateway endpoint's) as peers."),
        replace(Attribute::optional(peer, Type::String)).doc(peer_doc),
        replace(Attribute::optional("self", Type::Bool))
            .default(false)
            .doc("The group the rule belongs to is itself a peer (members talk to each other)."),
        Attribute::optional("description", Type::String)
            .doc("A description of the rule (may be changed in place)."),
    ]
}

/// The schema of a rule managed apart from its group (`ec2.security-group-ingress` /
/// `-egress`): the group, the rule's attributes (all force-new but the description),
/// and the rule ids AWS assigns.
pub(crate) fn standalone_rule_schema(direction: Direction) -> Schema {
    let mut attributes = vec![
        Attribute::required("security-group-id", Type::String)
            .force_new()
            .doc("The group the rule belongs to."),
    ];
    attributes.extend(rule_attributes(direction, true));
    attributes.push(
        Attribute::computed("rule-ids", Type::list(Type::String))
            .doc("The ids (`sgr-...`) AWS gave the rule, one per peer."),
    );
    let description = match direction {
        Direction::Ingress => "One inbound rule of a security group.",
        Direction::Egress => "One outbound rule of a security group.",
    };
    Schema::new(description, attributes)
}
