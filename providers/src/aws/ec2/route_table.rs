//! `ec2.route-table`: a VPC route table, its routes and the subnets associated with it.
//!
//! Maps to CreateRouteTable / DescribeRouteTables / DeleteRouteTable, CreateRoute /
//! ReplaceRoute / DeleteRoute for `route` blocks and AssociateRouteTable /
//! DisassociateRouteTable / ReplaceRouteTableAssociation for `subnet-ids`; tags through
//! CreateTags / DeleteTags. Force-new: `vpc-id`. CreateRouteTable carries the create
//! token as tag and as ClientToken; `find` is DescribeRouteTables by the tag.
//!
//! Routes and associations are sets: read keeps the spec's order when the members
//! agree. A route is identified by its destination; a changed target is replaced in
//! place. Routes AWS manages itself are never read back: the VPC's implicit `local`
//! route, propagated ones, and those a gateway VPC endpoint adds (prefix list to
//! `vpce-...`). Written routes and associations are authoritative: others show as
//! drift and are removed on apply, always from what the table holds now. A subnet
//! associated with another table is moved to this one (ReplaceRouteTableAssociation).
//! Delete removes the table's subnet associations first.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, ResourceType as Kind, Route};
use strata_engine::provider::{Attrs, CreateError, CreateToken, Observed, ProviderError};
use strata_engine::{Attribute, BlockSchema, Constraint, ResourceType, Schema, Type, Value};

use super::net_support::{arn, present};
use crate::aws::attrs::{
    Out, block_set, blocks, required, string, string_map, string_set, strings,
};
use crate::aws::ec2::{first_found, sync_tags, tag_specification, tagged_ids, tags_of};
use crate::aws::error::{deleted, found, invalid, sdk};
use crate::aws::{finish_create, read_back, tags};

/// The destination attributes of a `route` block, one of which identifies it.
const DESTINATIONS: [&str; 3] = [
    "destination-cidr-block",
    "destination-ipv6-cidr-block",
    "destination-prefix-list-id",
];

/// The target attributes of a `route` block, exactly one of which is set.
const TARGETS: [&str; 7] = [
    "gateway-id",
    "nat-gateway-id",
    "egress-only-gateway-id",
    "network-interface-id",
    "vpc-peering-connection-id",
    "transit-gateway-id",
    "vpc-endpoint-id",
];

/// The `ec2.route-table` resource type.
pub struct RouteTable {
    pub(crate) aws: crate::aws::client::Aws,
}

#[async_trait]
impl ResourceType for RouteTable {
    fn type_name(&self) -> &'static str {
        "ec2.route-table"
    }

    fn schema(&self) -> &Schema {
        &SCHEMA
    }

    async fn read(&self, id: &str, prior: &Attrs) -> Result<Option<Observed>, ProviderError> {
        let Some(table) = self.describe(id).await? else {
            return Ok(None);
        };
        let region = self.aws.region().await?;
        let owner = table.owner_id().unwrap_or_default();
        let routes: Vec<Value> = table
            .routes()
            .iter()
            .filter_map(route_value)
            .map(Value::Map)
            .collect();
        let subnets: Vec<String> = associations(&table)
            .into_iter()
            .map(|(subnet, _)| subnet)
            .collect();
        let mut out = Out::new();
        out.str("vpc-id", table.vpc_id())
            .set("route", block_set(routes, prior.get("route")))
            .set("subnet-ids", string_set(subnets, prior.get("subnet-ids")))
            .set("tags", tags_of(table.tags()))
            .set("id", id)
            .set("arn", arn(&region, owner, "route-table", id))
            .str("owner-id", present(table.owner_id()));
        Ok(Some(Observed::new(id, out.into_attrs())))
    }

    async fn create(&self, desired: &Attrs, token: &CreateToken) -> Result<Observed, CreateError> {
        let ec2 = self.aws.ec2().await?;
        let created = ec2
            .create_route_table()
            .client_token(token.as_str())
            .vpc_id(required(desired, "vpc-id")?)
            .tag_specifications(tag_specification(
                Kind::RouteTable,
                &string_map(desired, "tags"),
                token,
            ))
            .send()
            .await
            .map_err(|e| sdk("CreateRouteTable", e))?;
        let id = created
            .route_table()
            .and_then(|t| t.route_table_id())
            .ok_or_else(|| ProviderError::other("CreateRouteTable returned no route table id"))?
            .to_owned();
        finish_create(&id, async {
            self.sync_routes(&ec2, &id, desired).await?;
            self.sync_associations(&ec2, &id, desired).await?;
            read_back(self.read(&id, desired), "route table", &id, "after create").await
        })
        .await
    }

    async fn find(
        &self,
        desired: &Attrs,
        token: &CreateToken,
    ) -> Result<Option<Observed>, ProviderError> {
        let ec2 = self.aws.ec2().await?;
        let ids = tagged_ids!(
            ec2,
            describe_route_tables,
            "DescribeRouteTables",
            route_tables,
            route_table_id,
            token
        );
        first_found(ids, |id| async move { self.read(&id, desired).await }).await
    }

    async fn update(
        &self,
        id: &str,
        prior: &Attrs,
        desired: &Attrs,
        changed: &[String],
    ) -> Result<Observed, ProviderError> {
        let ec2 = self.aws.ec2().await?;
        if changed.iter().any(|c| c == "route") {
            self.sync_routes(&ec2, id, desired).await?;
        }
        if changed.iter().any(|c| c == "subnet-ids") {
            self.sync_associations(&ec2, id, desired).await?;
        }
        if changed.iter().any(|c| c == "tags") {
            sync_tags(&ec2, id, prior, desired).await?;
        }
        read_back(self.read(id, desired), "route table", id, "during update").await
    }

    async fn delete(&self, id: &str, _prior: &Attrs) -> Result<(), ProviderError> {
        let ec2 = self.aws.ec2().await?;
        let Some(table) = self.describe(id).await? else {
            return Ok(());
        };
        for (_, association) in associations(&table) {
            disassociate(&ec2, &association).await?;
        }
        deleted(
            ec2.delete_route_table()
                .route_table_id(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk("DeleteRouteTable", e)),
        )
    }
}

impl RouteTable {
    async fn describe(
        &self,
        id: &str,
    ) -> Result<Option<aws_sdk_ec2::types::RouteTable>, ProviderError> {
        let ec2 = self.aws.ec2().await?;
        let described = found(
            ec2.describe_route_tables()
                .route_table_ids(id)
                .send()
                .await
                .map_err(|e| sdk("DescribeRouteTables", e)),
        )?;
        Ok(described.and_then(|d| d.route_tables.unwrap_or_default().into_iter().next()))
    }

    /// Makes the table's routes those of `desired`: creates the missing ones, replaces
    /// those whose target changed, deletes the others (compared with what AWS holds).
    async fn sync_routes(
        &self,
        ec2: &aws_sdk_ec2::Client,
        id: &str,
        desired: &Attrs,
    ) -> Result<(), ProviderError> {
        let table = self
            .describe(id)
            .await?
            .ok_or_else(|| invalid(format!("route table {id} no longer exists")))?;
        let current: BTreeMap<(String, String), Attrs> = table
            .routes()
            .iter()
            .filter_map(route_value)
            .filter_map(|r| destination(&r).map(|d| (d, r)))
            .collect();
        let mut wanted: BTreeMap<(String, String), Attrs> = BTreeMap::new();
        for route in blocks(desired, "route") {
            let key = destination(route)
                .ok_or_else(|| invalid(format!("a route of {id} has no destination")))?;
            let route: Attrs = route
                .iter()
                .filter(|(k, v)| {
                    !matches!(v, Value::Null)
                        && (DESTINATIONS.contains(&k.as_str()) || TARGETS.contains(&k.as_str()))
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if wanted.insert(key.clone(), route).is_some() {
                return Err(invalid(format!(
                    "two routes of {id} have the destination {}",
                    key.1
                )));
            }
        }
        for key in current.keys() {
            if !wanted.contains_key(key) {
                let (name, value) = key;
                let call = ec2.delete_route().route_table_id(id);
                let call = match name.as_str() {
                    "destination-cidr-block" => call.destination_cidr_block(value),
                    "destination-ipv6-cidr-block" => call.destination_ipv6_cidr_block(value),
                    _ => call.destination_prefix_list_id(value),
                };
                deleted(
                    call.send()
                        .await
                        .map(|_| ())
                        .map_err(|e| sdk("DeleteRoute", e)),
                )?;
            }
        }
        for (key, route) in &wanted {
            let (name, value) = key;
            let target = |t: &str| string(route, t).map(str::to_owned);
            match current.get(key) {
                Some(now) if same_route(now, route) => {}
                Some(_) => {
                    let call = ec2.replace_route().route_table_id(id);
                    let call = match name.as_str() {
                        "destination-cidr-block" => call.destination_cidr_block(value),
                        "destination-ipv6-cidr-block" => call.destination_ipv6_cidr_block(value),
                        _ => call.destination_prefix_list_id(value),
                    };
                    call.set_gateway_id(target("gateway-id"))
                        .set_nat_gateway_id(target("nat-gateway-id"))
                        .set_egress_only_internet_gateway_id(target("egress-only-gateway-id"))
                        .set_network_interface_id(target("network-interface-id"))
                        .set_vpc_peering_connection_id(target("vpc-peering-connection-id"))
                        .set_transit_gateway_id(target("transit-gateway-id"))
                        .set_vpc_endpoint_id(target("vpc-endpoint-id"))
                        .send()
                        .await
                        .map_err(|e| sdk("ReplaceRoute", e))?;
                }
                None => {
                    let call = ec2.create_route().route_table_id(id);
                    let call = match name.as_str() {
                        "destination-cidr-block" => call.destination_cidr_block(value),
                        "destination-ipv6-cidr-block" => call.destination_ipv6_cidr_block(value),
                        _ => call.destination_prefix_list_id(value),
                    };
                    call.set_gateway_id(target("gateway-id"))
                        .set_nat_gateway_id(target("nat-gateway-id"))
                        .set_egress_only_internet_gateway_id(target("egress-only-gateway-id"))
                        .set_network_interface_id(target("network-interface-id"))
                        .set_vpc_peering_connection_id(target("vpc-peering-connection-id"))
                        .set_transit_gateway_id(target("transit-gateway-id"))
                        .set_vpc_endpoint_id(target("vpc-endpoint-id"))
                        .send()
                        .await
                        .map_err(|e| sdk("CreateRoute", e))?;
                }
            }
        }
        Ok(())
    }

    /// Makes the subnets associated with the table those of `desired`: removes the
    /// others, associates the new ones (moving a subnet another table holds).
    async fn sync_associations(
        &self,
        ec2: &aws_sdk_ec2::Client,
        id: &str,
        desired: &Attrs,
    ) -> Result<(), ProviderError> {
        let table = self
            .describe(id)
            .await?
            .ok_or_else(|| invalid(format!("route table {id} no longer exists")))?;
        let current = associations(&table);
        let wanted = strings(desired, "subnet-ids");
        for (subnet, association) in &current {
            if !wanted.contains(subnet) {
                disassociate(ec2, association).await?;
            }
        }
        for subnet in &wanted {
            if current.iter().any(|(s, _)| s == subnet) {
                continue;
            }
            // A subnet another table holds is moved. (Asking AWS first: some endpoints
            // answer AssociateRouteTable for such a subnet with the old association
            // instead of `Resource.AlreadyAssociated`.)
            if let Some(previous) = subnet_association(ec2, subnet).await? {
                move_association(ec2, id, &previous).await?;
                continue;
            }
            let associated = ec2
                .associate_route_table()
                .route_table_id(id)
                .subnet_id(subnet)
                .send()
                .await
                .map_err(|e| sdk("AssociateRouteTable", e));
            match associated {
                Ok(_) => {}
                Err(e) if e.code.as_deref() == Some("Resource.AlreadyAssociated") => {
                    let Some(previous) = subnet_association(ec2, subnet).await? else {
                        return Err(e);
                    };
                    move_association(ec2, id, &previous).await?;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// The subnet associations of a table: (subnet id, association id).
fn associations(table: &aws_sdk_ec2::types::RouteTable) -> Vec<(String, String)> {
    table
        .associations()
        .iter()
        .filter(|a| a.main() != Some(true))
        .filter(|a| {
            a.association_state()
                .and_then(|s| s.state())
                .is_none_or(|s| matches!(s.as_str(), "associated" | "associating"))
        })
        .filter_map(|a| {
            Some((
                present(a.subnet_id())?.to_owned(),
                present(a.route_table_association_id())?.to_owned(),
            ))
        })
        .collect()
}

/// The explicit association of `subnet` with any table, if it has one.
async fn subnet_association(
    ec2: &aws_sdk_ec2::Client,
    subnet: &str,
) -> Result<Option<String>, ProviderError> {
    let out = ec2
        .describe_route_tables()
        .filters(
            Filter::builder()
                .name("association.subnet-id")
                .values(subnet)
                .build(),
        )
        .send()
        .await
        .map_err(|e| sdk("DescribeRouteTables", e))?;
    Ok(out
        .route_tables()
        .iter()
        .flat_map(|t| t.associations())
        .find(|a| a.subnet_id() == Some(subnet))
        .and_then(|a| a.route_table_association_id())
        .map(str::to_owned))
}

/// Moves an existing subnet association to table `id`.
async fn move_association(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    association: &str,
) -> Result<(), ProviderError> {
    ec2.replace_route_table_association()
        .association_id(association)
        .route_table_id(id)
        .send()
        .await
        .map_err(|e| sdk("ReplaceRouteTableAssociation", e))?;
    Ok(())
}

async fn disassociate(ec2: &aws_sdk_ec2::Client, association: &str) -> Result<(), ProviderError> {
    deleted(
        ec2.disassociate_route_table()
            .association_id(association)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk("DisassociateRouteTable", e)),
    )
}

/// A route as a `route` block, or None for the routes AWS manages itself.
fn route_value(route: &Route) -> Option<Attrs> {
    let gateway = present(route.gateway_id());
    if gateway == Some("local") {
        return None;
    }
    if route.origin().is_some_and(|o| {
        o.as_str() == "EnableVgwRoutePropagation" || o.as_str() == "CreateRouteTable"
    }) {
        return None;
    }
    let endpoint = gateway.filter(|g| g.starts_with("vpce-"));
    if endpoint.is_some() && present(route.destination_prefix_list_id()).is_some() {
        // A gateway endpoint's route, managed by the endpoint.
        return None;
    }
    let mut out = Out::new();
    out.str(
        "destination-cidr-block",
        present(route.destination_cidr_block()),
    )
    .str(
        "destination-ipv6-cidr-block",
        present(route.destination_ipv6_cidr_block()),
    )
    .str(
        "destination-prefix-list-id",
        present(route.destination_prefix_list_id()),
    );
    if let Some(endpoint) = endpoint {
        out.set("vpc-endpoint-id", endpoint);
    } else if let Some(gateway) = gateway {
        out.set("gateway-id", gateway);
    } else if let Some(nat) = present(route.nat_gateway_id()) {
        out.set("nat-gateway-id", nat);
    } else if let Some(egress) = present(route.egress_only_internet_gateway_id()) {
        out.set("egress-only-gateway-id", egress);
    } else if let Some(peering) = present(route.vpc_peering_connection_id()) {
        out.set("vpc-peering-connection-id", peering);
    } else if let Some(transit) = present(route.transit_gateway_id()) {
        out.set("transit-gateway-id", transit);
    } else if let Some(interface) = present(route.network_interface_id()) {
        out.set("network-interface-id", interface);
    }
    Some(out.into_attrs())
}

/// A route's identity: its destination attribute and value.
fn destination(route: &Attrs) -> Option<(String, String)> {
    DESTINATIONS
        .iter()
        .find_map(|d| string(route, d).map(|v| ((*d).to_owned(), v.to_owned())))
}

/// Whether two routes to the same destination have the same target.
fn same_route(a: &Attrs, b: &Attrs) -> bool {
    TARGETS.iter().all(|t| string(a, t) == string(b, t))
}

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
