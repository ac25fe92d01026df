//! `ec2.route-table`: a VPC route table, its routes and the subnets associated with it.
//!
//! Maps to CreateRouteTable / DescribeRouteTables / DeleteRouteTable, CreateRoute /
//! ReplaceRoute / DeleteRoute for `route` blocks and AssociateRouteTable /
//! DisassociateRouteTable for `subnet-ids`. Force-new: `vpc-id`. The VPC's implicit
//! `local` route is not written in specs and is never shown as drift. Written routes
//! and associations are authoritative: others show as drift and are removed on apply.

use std::sync::LazyLock;

use strata_engine::{Attribute, BlockSchema, Constraint, Schema, Type};

use crate::aws::tags;

/// The `ec2.route-table` resource type.
pub struct RouteTable {
    pub(crate) aws: crate::aws::client::Aws,
}

crate::aws::schema_only!(resource RouteTable, "ec2.route-table", SCHEMA);

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "A route table with its routes and subnet associations.",
        vec![
            Attribute::required("vpc-id", Type::String)
                .force_new()
                .doc("The VPC the table belongs to."),
            Attribute::optional("route", Type::block(route()))
                .repeated()
                .doc("A route; its argument is the IPv4 destination: `route \"0.0.0.0/0\" gateway-id=(ref)\"igw.id\"`. A table without routes only reaches its VPC (an isolated subnet)."),
            Attribute::optional("subnet-ids", Type::list(Type::String))
                .doc("Subnets using this table (a subnet not listed in any table uses the VPC's main table)."),
            tags(),
            Attribute::computed("id", Type::String).doc("The route table id, `rtb-...`."),
            Attribute::computed("arn", Type::String).doc("The route table ARN."),
            Attribute::computed("owner-id", Type::String)
                .doc("The account that owns the route table."),
        ],
    )
});

fn route() -> BlockSchema {
    BlockSchema::new(vec![
        Attribute::optional("destination-cidr-block", Type::String)
            .doc("The IPv4 destination (the block's argument), e.g. `\"0.0.0.0/0\"`."),
        Attribute::optional("destination-ipv6-cidr-block", Type::String)
            .doc("An IPv6 destination, e.g. `\"::/0\"`."),
        Attribute::optional("destination-prefix-list-id", Type::String)
            .doc("A managed prefix list as destination."),
        Attribute::optional("gateway-id", Type::String)
            .doc("An internet gateway (or virtual private gateway) as target."),
        Attribute::optional("nat-gateway-id", Type::String)
            .doc("A NAT gateway as target (private subnets reaching out)."),
        Attribute::optional("egress-only-gateway-id", Type::String)
            .doc("An egress-only internet gateway as target (IPv6)."),
        Attribute::optional("network-interface-id", Type::String)
            .doc("A network interface as target (e.g. a NAT instance)."),
        Attribute::optional("vpc-peering-connection-id", Type::String)
            .doc("A VPC peering connection as target."),
        Attribute::optional("transit-gateway-id", Type::String).doc("A transit gateway as target."),
        Attribute::optional("vpc-endpoint-id", Type::String)
            .doc("A gateway load balancer endpoint as target."),
    ])
    .with_args("destination-cidr-block")
    .with_constraint(Constraint::ExactlyOneOf(vec![
        "destination-cidr-block",
        "destination-ipv6-cidr-block",
        "destination-prefix-list-id",
    ]))
    .with_constraint(Constraint::ExactlyOneOf(vec![
        "gateway-id",
        "nat-gateway-id",
        "egress-only-gateway-id",
        "network-interface-id",
        "vpc-peering-connection-id",
        "transit-gateway-id",
        "vpc-endpoint-id",
    ]))
}
