//! The operations of `ec2.security-group-ingress` and `ec2.security-group-egress`: one
//! rule block managed apart from its group, both directions sharing this code. Each
//! type's file holds its name, direction and schema ([`RuleType`]); [`StandaloneRule`]
//! is the resource type of either.
//!
//! The engine id is the `sgr-` ids AWS gave the rule (one per peer), sorted and joined
//! with commas; the rule is found again by those ids (DescribeSecurityGroupRules), so
//! rules of the same group written elsewhere are never mistaken for it. The Authorize
//! call tags the new rules with the create token, and `find` looks for that tag among
//! the group's rules (not for the content: an identical rule made by someone else, which
//! made the create fail as a duplicate, is not this one). It is gone when none of its
//! ids exists any more; a part of it deleted outside strata reads as a changed peer
//! list, which replaces it. Only the description changes in place
//! (UpdateSecurityGroupRuleDescriptions*); everything else is force-new.

use std::sync::LazyLock;

use async_trait::async_trait;
use strata_engine::provider::{
    Attrs, CreateError, CreateToken, ErrorKind, Observed, ProviderError,
};
use strata_engine::{ResourceType, Schema, Value};

use super::rules::{self, Atom, Peer, canonical_protocol, peer_attribute};
use super::{Direction, marked, token_filter};
use crate::aws::attrs::{Out, int, required, string, string_set};
use crate::aws::client::Aws;
use crate::aws::error::{invalid, sdk};
use crate::aws::{finish_create, read_back};

/// What tells the two standalone rule types apart.
pub(crate) struct RuleType {
    pub(crate) type_name: &'static str,
    pub(crate) direction: Direction,
    pub(crate) schema: &'static LazyLock<Schema>,
}

/// The `ec2.security-group-ingress` or `ec2.security-group-egress` resource type, after
/// its [`RuleType`].
pub struct StandaloneRule {
    pub(crate) aws: Aws,
    pub(crate) rule: &'static RuleType,
}

#[async_trait]
impl ResourceType for StandaloneRule {
    fn type_name(&self) -> &'static str {
        self.rule.type_name
    }

    fn schema(&self) -> &Schema {
        self.rule.schema
    }

    async fn read(&self, id: &str, prior: &Attrs) -> Result<Option<Observed>, ProviderError> {
        read(&self.aws, self.rule.direction, id, prior).await
    }

    async fn create(&self, desired: &Attrs, token: &CreateToken) -> Result<Observed, CreateError> {
        create(&self.aws, self.rule.direction, desired, token).await
    }

    async fn find(
        &self,
        desired: &Attrs,
        token: &CreateToken,
    ) -> Result<Option<Observed>, ProviderError> {
        find(&self.aws, self.rule.direction, desired, token).await
    }

    async fn update(
        &self,
        id: &str,
        _prior: &Attrs,
        desired: &Attrs,
        _changed: &[String],
    ) -> Result<Observed, ProviderError> {
        update(&self.aws, self.rule.direction, id, desired).await
    }

    async fn delete(&self, id: &str, prior: &Attrs) -> Result<(), ProviderError> {
        delete(&self.aws, self.rule.direction, id, prior).await
    }
}

/// The rules with these ids that still exist (none: the rule is gone).
async fn by_ids(
    ec2: &aws_sdk_ec2::Client,
    ids: &[&str],
) -> Result<Vec<aws_sdk_ec2::types::SecurityGroupRule>, ProviderError> {
    let describe = |ids: Vec<String>| async move {
        match ec2
            .describe_security_group_rules()
            .set_security_group_rule_ids(Some(ids))
            .send()
            .await
        {
            Ok(out) => Ok(Some(out.security_group_rules.unwrap_or_default())),
            Err(e) => {
                let e = sdk("DescribeSecurityGroupRules", e);
                if e.kind == ErrorKind::NotFound {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    };
    let all: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    if let Some(found) = describe(all).await? {
        return Ok(found);
    }
    // One id is gone, so the whole call failed: ask for each.
    let mut found = Vec::new();
    for id in ids {
        if let Some(rules) = describe(vec![(*id).to_owned()]).await? {
            found.extend(rules);
        }
    }
    Ok(found)
}

async fn read(
    aws: &Aws,
    direction: Direction,
    id: &str,
    prior: &Attrs,
) -> Result<Option<Observed>, ProviderError> {
    let ec2 = aws.ec2().await?;
    let ids: Vec<&str> = id.split(',').filter(|s| !s.is_empty()).collect();
    let egress = direction == Direction::Egress;
    let found: Vec<_> = by_ids(&ec2, &ids)
        .await?
        .into_iter()
        .filter(|r| r.is_egress() == Some(egress))
        .collect();
    let Some(group) = found.first().and_then(|r| r.group_id()).map(str::to_owned) else {
        return Ok(None);
    };
    let mut atoms: Vec<Atom> = found.iter().filter_map(rules::atom_of_rule).collect();
    if atoms
        .iter()
        .any(|a| matches!(a.peer, Peer::Group(_)) && a.description.is_none())
    {
        describe_group_peers(&ec2, &group, direction, &mut atoms).await?;
    }
    let Some(first) = atoms.first() else {
        return Ok(None);
    };
    let mut out = Out::new();
    out.set("security-group-id", group.as_str());
    let protocol = match string(prior, "protocol") {
        Some(p) if canonical_protocol(p) == first.protocol => p.to_owned(),
        _ if first.protocol == "-1" => "all".to_owned(),
        _ => first.protocol.clone(),
    };
    out.set("protocol", protocol);
    if first.from.is_some() || first.to.is_some() {
        out.int("from-port", first.from).int("to-port", first.to);
    } else {
        // A protocol without ports (all, esp...): AWS ignores any written.
        out.int("from-port", int(prior, "from-port"))
            .int("to-port", int(prior, "to-port"));
    }
    let mut cidrs = Vec::new();
    let mut ipv6 = Vec::new();
    let mut lists = Vec::new();
    let mut own = false;
    let peer_attr = peer_attribute(direction);
    for a in &atoms {
        match &a.peer {
            Peer::Cidr(c) => cidrs.push(c.clone()),
            Peer::Ipv6(c) => ipv6.push(c.clone()),
            Peer::PrefixList(p) => lists.push(p.clone()),
            Peer::Group(g) if *g == group && string(prior, peer_attr) != Some(g) => own = true,
            Peer::Group(g) => {
                out.set(peer_attr, g.as_str());
            }
        }
    }
    for (name, list) in [
        ("cidr-blocks", cidrs),
        ("ipv6-cidr-blocks", ipv6),
        ("prefix-list-ids", lists),
    ] {
        if !list.is_empty() || prior.contains_key(name) {
            out.set(name, string_set(list, prior.get(name)));
        }
    }
    out.set("self", own)
        .str("description", first.description.clone())
        // In the id's order, whatever order AWS lists them in.
        .list(
            "rule-ids",
            ids.iter()
                .filter(|id| {
                    found
                        .iter()
                        .any(|r| r.security_group_rule_id() == Some(**id))
                })
                .map(|id| Value::from(*id))
                .collect(),
        );
    Ok(Some(Observed::new(id, out.into_attrs())))
}

/// Fills in the descriptions of group-peer rules from the group's own permissions
/// (DescribeSecurityGroups), for endpoints whose DescribeSecurityGroupRules leaves them
/// out (moto does; AWS returns them, and then this is not called unless the rule has
/// none, which the permissions confirm).
async fn describe_group_peers(
    ec2: &aws_sdk_ec2::Client,
    group: &str,
    direction: Direction,
    atoms: &mut [Atom],
) -> Result<(), ProviderError> {
    let out = match ec2.describe_security_groups().group_ids(group).send().await {
        Ok(out) => out,
        Err(e) => {
            let e = sdk("DescribeSecurityGroups", e);
            return if e.kind == ErrorKind::NotFound {
                Ok(())
            } else {
                Err(e)
            };
        }
    };
    let Some(g) = out.security_groups().first() else {
        return Ok(());
    };
    let permissions = match direction {
        Direction::Ingress => g.ip_permissions(),
        Direction::Egress => g.ip_permissions_egress(),
    };
    let held = rules::atoms_of(permissions);
    for atom in atoms.iter_mut() {
        if matches!(atom.peer, Peer::Group(_)) && atom.description.is_none() {
            atom.description = held
                .iter()
                .find(|h| h.key() == atom.key())
                .and_then(|h| h.description.clone());
        }
    }
    Ok(())
}

async fn create(
    aws: &Aws,
    direction: Direction,
    desired: &Attrs,
    token: &CreateToken,
) -> Result<Observed, CreateError> {
    let ec2 = aws.ec2().await?;
    let group = required(desired, "security-group-id")?;
    let atoms = rules::flatten(desired, direction, group);
    if atoms.is_empty() {
        return Err(invalid(format!(
            "a rule needs a peer: set `cidr-blocks`, `ipv6-cidr-blocks`, `prefix-list-ids`, `{}` or `self #true`",
            peer_attribute(direction)
        ))
        .into());
    }
    let mut ids = rules::authorize(&ec2, group, direction, &atoms, Some(token)).await?;
    if ids.len() != atoms.len() {
        // An endpoint that does not return the new rules' ids: find them by content.
        // The rules exist: a failure here must not read as a refusal (an error code), so
        // that the engine keeps the create pending and the next plan finds them by tag.
        ids = by_content(&ec2, group, direction, &atoms)
            .await
            .map_err(|error| CreateError {
                error: ProviderError {
                    code: None,
                    message: format!("the rules were made, but listing them failed: {error}"),
                    ..error
                },
                id: None,
            })?;
    }
    ids.sort();
    let id = ids.join(",");
    let read = read(aws, direction, &id, desired);
    finish_create(
        &id,
        read_back(read, "security group rule", &id, "after create"),
    )
    .await
}

/// The rule a create carrying `token` made: the rules of this direction, in the desired
/// group, that carry its tag (one per peer, all made by the one Authorize call), as
/// `read` has them.
async fn find(
    aws: &Aws,
    direction: Direction,
    desired: &Attrs,
    token: &CreateToken,
) -> Result<Option<Observed>, ProviderError> {
    let ec2 = aws.ec2().await?;
    let mut call = ec2
        .describe_security_group_rules()
        .filters(token_filter(token));
    if let Some(group) = string(desired, "security-group-id") {
        call = call.filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-id")
                .values(group)
                .build(),
        );
    }
    let mut pages = call.into_paginator().send();
    let egress = direction == Direction::Egress;
    let mut ids = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| sdk("DescribeSecurityGroupRules", e))?;
        ids.extend(marked(
            page.security_group_rules()
                .iter()
                .filter(|r| r.is_egress() == Some(egress)),
            token,
            |r| r.tags(),
            |r| r.security_group_rule_id(),
        ));
    }
    if ids.is_empty() {
        return Ok(None);
    }
    ids.sort();
    read(aws, direction, &ids.join(","), desired).await
}

/// The ids of the rules of `group` matching `atoms`.
async fn by_content(
    ec2: &aws_sdk_ec2::Client,
    group: &str,
    direction: Direction,
    atoms: &[Atom],
) -> Result<Vec<String>, ProviderError> {
    let all = ec2
        .describe_security_group_rules()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-id")
                .values(group)
                .build(),
        )
        .send()
        .await
        .map_err(|e| sdk("DescribeSecurityGroupRules", e))?;
    let egress = direction == Direction::Egress;
    Ok(all
        .security_group_rules()
        .iter()
        .filter(|r| r.is_egress() == Some(egress))
        .filter(|r| {
            rules::atom_of_rule(r).is_some_and(|a| atoms.iter().any(|w| w.key() == a.key()))
        })
        .filter_map(|r| r.security_group_rule_id().map(str::to_owned))
        .collect())
}

/// Only the description changes in place.
async fn update(
    aws: &Aws,
    direction: Direction,
    id: &str,
    desired: &Attrs,
) -> Result<Observed, ProviderError> {
    let ec2 = aws.ec2().await?;
    let group = required(desired, "security-group-id")?;
    let atoms = rules::flatten(desired, direction, group);
    rules::update_descriptions(&ec2, group, direction, &atoms).await?;
    read_back(
        read(aws, direction, id, desired),
        "security group rule",
        id,
        "during update",
    )
    .await
}

/// Revokes the rule's ids that still exist; none left is success.
async fn delete(
    aws: &Aws,
    direction: Direction,
    id: &str,
    prior: &Attrs,
) -> Result<(), ProviderError> {
    let Some(current) = read(aws, direction, id, prior).await? else {
        return Ok(());
    };
    let ec2 = aws.ec2().await?;
    let group = string(&current.attributes, "security-group-id").unwrap_or_default();
    let ids: Vec<String> = match current.attributes.get("rule-ids") {
        Some(Value::List(ids)) => ids
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    let result = match direction {
        Direction::Ingress => ec2
            .revoke_security_group_ingress()
            .group_id(group)
            .set_security_group_rule_ids(Some(ids))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk("RevokeSecurityGroupIngress", e)),
        Direction::Egress => ec2
            .revoke_security_group_egress()
            .group_id(group)
            .set_security_group_rule_ids(Some(ids))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk("RevokeSecurityGroupEgress", e)),
    };
    match result {
        Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
        other => other,
    }
}
