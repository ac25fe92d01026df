//! Amazon EC2 and VPC networking: VPCs, subnets, gateways, route tables, security groups
//! and their rules, instances, Elastic IPs; lookups for AMIs, VPCs, subnets and
//! availability zones.
//!
//! Interrupted creates: every type's create call carries the tag `strata:create-token`
//! (the engine's token) in its TagSpecifications, so the mark exists from the moment the
//! resource does, and `find` lists by that tag (checking it on what comes back too,
//! since some endpoints ignore tag filters). `strata:` tags are never read back (no
//! drift), and tag updates only touch the keys the spec wrote, so the mark stays.

use std::sync::Arc;

use aws_sdk_ec2::types::Filter;
use strata_engine::provider::{CreateToken, Observed, ProviderError};
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
pub use standalone_rule::StandaloneRule;
pub use subnet::Subnet;
pub use vpc::Vpc;

pub fn register(registry: &mut Registry, aws: &crate::aws::client::Aws) {
    registry.register(Arc::new(ElasticIp { aws: aws.clone() }));
    registry.register(Arc::new(Instance { aws: aws.clone() }));
    registry.register(Arc::new(InternetGateway { aws: aws.clone() }));
    registry.register(Arc::new(NatGateway { aws: aws.clone() }));
    registry.register(Arc::new(RouteTable { aws: aws.clone() }));
    registry.register(Arc::new(SecurityGroup { aws: aws.clone() }));
    registry.register(Arc::new(StandaloneRule {
        aws: aws.clone(),
        rule: &security_group_egress::SECURITY_GROUP_EGRESS,
    }));
    registry.register(Arc::new(StandaloneRule {
        aws: aws.clone(),
        rule: &security_group_ingress::SECURITY_GROUP_INGRESS,
    }));
    registry.register(Arc::new(Subnet { aws: aws.clone() }));
    registry.register(Arc::new(Vpc { aws: aws.clone() }));
    lookup::register(registry, aws);
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

/// The tags to create a resource with, as a tag specification: the user's `tags` plus
/// [`CreateToken::TAG`] set to `token`, so that what a create call made can be found
/// again (see [`marked`]). Given in the create call itself, the tag is there from the
/// moment the resource exists.
pub(crate) fn tag_specification(
    kind: aws_sdk_ec2::types::ResourceType,
    tags: &std::collections::BTreeMap<String, String>,
    token: &CreateToken,
) -> aws_sdk_ec2::types::TagSpecification {
    let mut tags = to_tags(tags);
    tags.push(token_tag(token));
    aws_sdk_ec2::types::TagSpecification::builder()
        .resource_type(kind)
        .set_tags(Some(tags))
        .build()
}

/// The tag marking what the create call carrying `token` made.
pub(crate) fn token_tag(token: &CreateToken) -> aws_sdk_ec2::types::Tag {
    aws_sdk_ec2::types::Tag::builder()
        .key(CreateToken::TAG)
        .value(token.as_str())
        .build()
}

/// The Describe* filter selecting what carries `token`. Some endpoints ignore tag
/// filters on some calls (the emulator on DescribeNatGateways): callers check the tag
/// on what comes back too, with [`marked`].
pub(crate) fn token_filter(token: &CreateToken) -> Filter {
    Filter::builder()
        .name(format!("tag:{}", CreateToken::TAG))
        .values(token.as_str())
        .build()
}

/// The ids of what the EC2 call `$describe` lists (every page) carrying the tag of
/// `$token`, for a `find`: `$items` names the list in a page and `$id` the id of an
/// item. The filter narrows the listing; `marked` checks the tag again on each item.
macro_rules! tagged_ids {
    ($ec2:expr, $describe:ident, $operation:literal, $items:ident, $id:ident, $token:expr) => {{
        let mut pages = $ec2
            .$describe()
            .filters($crate::aws::ec2::token_filter($token))
            .into_paginator()
            .send();
        let mut ids = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| $crate::aws::error::sdk($operation, e))?;
            ids.extend($crate::aws::ec2::marked(
                page.$items(),
                $token,
                |v| v.tags(),
                |v| v.$id(),
            ));
        }
        ids
    }};
}
pub(crate) use tagged_ids;

/// The ids of the `items` that carry the tag of `token`, in the order AWS listed them.
pub(crate) fn marked<'a, T: 'a>(
    items: impl IntoIterator<Item = &'a T>,
    token: &CreateToken,
    tags: impl Fn(&'a T) -> &'a [aws_sdk_ec2::types::Tag],
    id: impl Fn(&'a T) -> Option<&'a str>,
) -> Vec<String> {
    items
        .into_iter()
        .filter(|item| {
            tags(item)
                .iter()
                .any(|t| t.key() == Some(CreateToken::TAG) && t.value() == Some(token.as_str()))
        })
        .filter_map(|item| id(item).map(str::to_owned))
        .collect()
}

/// What a create marked with a token made, as `read` has it: the first of `ids` (the
/// resources carrying the token) that `read` finds. One create call makes one resource,
/// so there is at most one; were there more, the first is taken and the others are
/// left alone. One that exists no more (a terminated instance) is nothing.
pub(crate) async fn first_found<F, Fut>(
    ids: Vec<String>,
    read: F,
) -> Result<Option<Observed>, ProviderError>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<Option<Observed>, ProviderError>>,
{
    for id in ids {
        if let Some(found) = read(id).await? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

pub(crate) fn to_tags(
    tags: &std::collections::BTreeMap<String, String>,
) -> Vec<aws_sdk_ec2::types::Tag> {
    tags.iter()
        .map(|(k, v)| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build())
        .collect()
}

/// The tags AWS returned as the `tags` attribute, without the ones AWS manages itself
/// (`aws:` prefix) and strata's own (`strata:`, the create token): those are never
/// drift, and since [`sync_tags`] only touches keys the spec wrote, never removed.
pub(crate) fn tags_of(tags: &[aws_sdk_ec2::types::Tag]) -> strata_engine::Value {
    crate::aws::attrs::tags_value(tags.iter().filter_map(|t| {
        let key = t.key()?;
        (!key.starts_with("aws:") && !key.starts_with(STRATA_PREFIX))
            .then(|| (key.to_owned(), t.value().unwrap_or("").to_owned()))
    }))
}

/// The prefix of the tags strata puts on resources for itself.
const STRATA_PREFIX: &str = "strata:";

/// Makes the tags of resource `id` exactly the desired `tags` attribute: removes the
/// keys no longer wanted, writes the new and changed ones. Only keys of `prior` or
/// `desired` are touched, so strata's own tags (never read back) stay.
pub(crate) async fn sync_tags(
    client: &aws_sdk_ec2::Client,
    id: &str,
    prior: &strata_engine::provider::Attrs,
    desired: &strata_engine::provider::Attrs,
) -> Result<(), strata_engine::provider::ProviderError> {
    use crate::aws::attrs::string_map;
    use crate::aws::error::sdk;
    let before = string_map(prior, "tags");
    let after = string_map(desired, "tags");
    let removed: Vec<aws_sdk_ec2::types::Tag> = before
        .keys()
        .filter(|k| !after.contains_key(*k))
        .map(|k| aws_sdk_ec2::types::Tag::builder().key(k).build())
        .collect();
    if !removed.is_empty() {
        client
            .delete_tags()
            .resources(id)
            .set_tags(Some(removed))
            .send()
            .await
            .map_err(|e| sdk("DeleteTags", e))?;
    }
    let changed: std::collections::BTreeMap<String, String> = after
        .into_iter()
        .filter(|(k, v)| before.get(k) != Some(v))
        .collect();
    if !changed.is_empty() {
        client
            .create_tags()
            .resources(id)
            .set_tags(Some(to_tags(&changed)))
            .send()
            .await
            .map_err(|e| sdk("CreateTags", e))?;
    }
    Ok(())
}

mod net_support;
mod rules;
mod standalone_rule;
