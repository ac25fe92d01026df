//! Security group rules as sets of single-peer rules: the one representation the
//! inline `ingress` / `egress` blocks of `ec2.security-group` and the standalone
//! `ec2.security-group-ingress` / `-egress` types are compared, authorized and revoked
//! in.
//!
//! AWS stores a rule per (protocol, port range, peer): one spec block with three CIDR
//! blocks is three AWS rules (three `sgr-` ids), each with its own description. A block
//! is flattened into such [`Atom`]s; what AWS returns is flattened the same way, so
//! that comparing rules is comparing sets of atoms, whatever order or grouping AWS
//! answers in.
//!
//! Invariants: protocols are compared canonically (`6` is `tcp`, `all` is `-1`), and
//! ports only where the protocol has them (tcp, udp, icmp, icmpv6); an atom's identity
//! is everything but its description (AWS cannot hold two rules differing only in
//! description, and changes a description in place); blocks rebuilt from AWS keep the
//! spec's own block (its spelling and order) whenever all of its atoms exist.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range, PrefixListId, UserIdGroupPair};
use strata_engine::Value;
use strata_engine::provider::{Attrs, CreateToken, ProviderError};

use super::Direction;
use crate::aws::attrs::{blocks, boolean, int, string, strings};
use crate::aws::error::sdk;

/// Whom a rule lets traffic come from (ingress) or go to (egress).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Peer {
    Cidr(String),
    Ipv6(String),
    PrefixList(String),
    Group(String),
}

/// One AWS rule: a protocol, a port range and one peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Atom {
    /// Canonical: `tcp`, `udp`, `icmp`, `icmpv6`, `-1` or a protocol number.
    pub protocol: String,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub peer: Peer,
    pub description: Option<String>,
}

/// An atom's identity: all but the description.
pub(crate) type Key = (String, Option<i64>, Option<i64>, Peer);

impl Atom {
    pub fn key(&self) -> Key {
        (self.protocol.clone(), self.from, self.to, self.peer.clone())
    }

    /// AWS's default egress rule of a new group: every protocol to 0.0.0.0/0 (and, in
    /// a VPC with IPv6, to ::/0).
    pub fn is_default_egress(&self) -> bool {
        self.protocol == "-1"
            && match &self.peer {
                Peer::Cidr(c) => c == "0.0.0.0/0",
                Peer::Ipv6(c) => c == "::/0",
                _ => false,
            }
    }

    /// The IPv4 default egress rule, the one `revoke-default-egress` is about.
    pub fn default_egress() -> Atom {
        Atom {
            protocol: "-1".into(),
            from: None,
            to: None,
            peer: Peer::Cidr("0.0.0.0/0".into()),
            description: None,
        }
    }
}

/// The canonical form of a protocol as written or as AWS returns it.
pub(crate) fn canonical_protocol(protocol: &str) -> String {
    match protocol.trim().to_ascii_lowercase().as_str() {
        "tcp" | "6" => "tcp".into(),
        "udp" | "17" => "udp".into(),
        "icmp" | "1" => "icmp".into(),
        "icmpv6" | "58" => "icmpv6".into(),
        "all" | "-1" => "-1".into(),
        other => other.into(),
    }
}

/// The protocol as the spec writes it by default (`-1` is `all`).
fn written_protocol(canonical: &str) -> String {
    if canonical == "-1" {
        "all".into()
    } else {
        canonical.into()
    }
}

fn has_ports(protocol: &str) -> bool {
    matches!(protocol, "tcp" | "udp" | "icmp" | "icmpv6")
}

/// The peer-group attribute of a direction.
pub(crate) fn peer_attribute(direction: Direction) -> &'static str {
    match direction {
        Direction::Ingress => "source-security-group-id",
        Direction::Egress => "destination-security-group-id",
    }
}

/// The atoms of one rule block (or of a standalone rule's attributes); `own` is the id
/// of the group the rule belongs to, the peer of `self`.
pub(crate) fn flatten(rule: &Attrs, direction: Direction, own: &str) -> Vec<Atom> {
    let protocol = canonical_protocol(string(rule, "protocol").unwrap_or("-1"));
    let ports = has_ports(&protocol);
    let from = int(rule, "from-port").filter(|_| ports);
    let to = int(rule, "to-port").filter(|_| ports);
    let description = string(rule, "description").map(str::to_owned);
    let mut peers: Vec<Peer> = Vec::new();
    peers.extend(strings(rule, "cidr-blocks").into_iter().map(Peer::Cidr));
    peers.extend(
        strings(rule, "ipv6-cidr-blocks")
            .into_iter()
            .map(Peer::Ipv6),
    );
    peers.extend(
        strings(rule, "prefix-list-ids")
            .into_iter()
            .map(Peer::PrefixList),
    );
    if let Some(group) = string(rule, peer_attribute(direction)) {
        peers.push(Peer::Group(group.to_owned()));
    }
    if boolean(rule, "self") == Some(true) {
        peers.push(Peer::Group(own.to_owned()));
    }
    let mut atoms: Vec<Atom> = Vec::new();
    for peer in peers {
        let atom = Atom {
            protocol: protocol.clone(),
            from,
            to,
            peer,
            description: description.clone(),
        };
        if !atoms.iter().any(|a| a.key() == atom.key()) {
            atoms.push(atom);
        }
    }
    atoms
}

/// The atoms of every block of `name` in `attrs`.
pub(crate) fn flatten_blocks(
    attrs: &Attrs,
    name: &str,
    direction: Direction,
    own: &str,
) -> Vec<Atom> {
    let mut atoms: Vec<Atom> = Vec::new();
    for block in blocks(attrs, name) {
        for atom in flatten(block, direction, own) {
            if !atoms.iter().any(|a| a.key() == atom.key()) {
                atoms.push(atom);
            }
        }
    }
    atoms
}

/// The atoms of the permissions AWS returned for a group (DescribeSecurityGroups).
pub(crate) fn atoms_of(permissions: &[IpPermission]) -> Vec<Atom> {
    let mut atoms = Vec::new();
    for p in permissions {
        let protocol = canonical_protocol(p.ip_protocol().unwrap_or("-1"));
        let ports = has_ports(&protocol);
        let from = p.from_port().map(i64::from).filter(|_| ports);
        let to = p.to_port().map(i64::from).filter(|_| ports);
        let mut push = |peer: Peer, description: Option<&str>| {
            atoms.push(Atom {
                protocol: protocol.clone(),
                from,
                to,
                peer,
                description: description.filter(|d| !d.is_empty()).map(str::to_owned),
            })
        };
        for r in p.ip_ranges() {
            if let Some(c) = r.cidr_ip() {
                push(Peer::Cidr(c.to_owned()), r.description());
            }
        }
        for r in p.ipv6_ranges() {
            if let Some(c) = r.cidr_ipv6() {
                push(Peer::Ipv6(c.to_owned()), r.description());
            }
        }
        for r in p.prefix_list_ids() {
            if let Some(id) = r.prefix_list_id() {
                push(Peer::PrefixList(id.to_owned()), r.description());
            }
        }
        for r in p.user_id_group_pairs() {
            if let Some(id) = r.group_id() {
                push(Peer::Group(id.to_owned()), r.description());
            }
        }
    }
    atoms
}

/// The atom of one rule as DescribeSecurityGroupRules returns it.
pub(crate) fn atom_of_rule(rule: &aws_sdk_ec2::types::SecurityGroupRule) -> Option<Atom> {
    let protocol = canonical_protocol(rule.ip_protocol().unwrap_or("-1"));
    let ports = has_ports(&protocol);
    let peer = if let Some(c) = rule.cidr_ipv4() {
        Peer::Cidr(c.to_owned())
    } else if let Some(c) = rule.cidr_ipv6() {
        Peer::Ipv6(c.to_owned())
    } else if let Some(p) = rule.prefix_list_id() {
        Peer::PrefixList(p.to_owned())
    } else {
        Peer::Group(rule.referenced_group_info()?.group_id()?.to_owned())
    };
    Some(Atom {
        protocol,
        from: rule.from_port().map(i64::from).filter(|_| ports),
        to: rule.to_port().map(i64::from).filter(|_| ports),
        peer,
        description: rule
            .description()
            .filter(|d| !d.is_empty())
            .map(str::to_owned),
    })
}

/// Permissions for `atoms`, one per (protocol, port range), as Authorize* / Revoke* /
/// UpdateSecurityGroupRuleDescriptions* take them.
pub(crate) fn permissions(atoms: &[Atom]) -> Vec<IpPermission> {
    type PortKey = (String, Option<i64>, Option<i64>);
    let mut grouped: BTreeMap<PortKey, Vec<&Atom>> = BTreeMap::new();
    for a in atoms {
        grouped
            .entry((a.protocol.clone(), a.from, a.to))
            .or_default()
            .push(a);
    }
    grouped
        .into_iter()
        .map(|((protocol, from, to), atoms)| {
            let mut p = IpPermission::builder()
                .ip_protocol(protocol)
                .set_from_port(from.map(|v| v as i32))
                .set_to_port(to.map(|v| v as i32));
            for a in atoms {
                let d = a.description.clone();
                p = match &a.peer {
                    Peer::Cidr(c) => {
                        p.ip_ranges(IpRange::builder().cidr_ip(c).set_description(d).build())
                    }
                    Peer::Ipv6(c) => {
                        p.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(c).set_description(d).build())
                    }
                    Peer::PrefixList(id) => p.prefix_list_ids(
                        PrefixListId::builder()
                            .prefix_list_id(id)
                            .set_description(d)
                            .build(),
                    ),
                    Peer::Group(id) => p.user_id_group_pairs(
                        UserIdGroupPair::builder()
                            .group_id(id)
                            .set_description(d)
                            .build(),
                    ),
                };
            }
            p.build()
        })
        .collect()
}

/// Rebuilds the blocks of one direction from the atoms AWS holds: each of the
/// `prior` blocks whose atoms all exist (with their descriptions) as it was written,
/// then the remaining atoms grouped into blocks of the canonical shape, in AWS's
/// order. `hide` drops remaining atoms no block claims (the default egress rule).
pub(crate) fn blocks_of(
    mut observed: Vec<Atom>,
    prior: &[&Attrs],
    direction: Direction,
    own: &str,
    hide: impl Fn(&Atom) -> bool,
) -> Vec<Value> {
    let mut out = Vec::new();
    for block in prior {
        let wanted = flatten(block, direction, own);
        if wanted.is_empty() {
            continue;
        }
        let all_there = wanted.iter().all(|w| observed.iter().any(|o| o == w));
        if all_there {
            observed.retain(|o| !wanted.iter().any(|w| w.key() == o.key()));
            out.push(Value::Map((*block).clone()));
        }
    }
    observed.retain(|a| !hide(a));
    // The rest: one block per (protocol, ports, description) for CIDRs, prefix lists
    // and `self`, one per other peer group.
    type Group = (String, Option<i64>, Option<i64>, Option<String>);
    let mut order: Vec<Group> = Vec::new();
    let mut plain: BTreeMap<Group, Vec<&Atom>> = BTreeMap::new();
    let mut peers: Vec<&Atom> = Vec::new();
    for a in &observed {
        match &a.peer {
            Peer::Group(g) if g != own => peers.push(a),
            _ => {
                let k = (a.protocol.clone(), a.from, a.to, a.description.clone());
                if !plain.contains_key(&k) {
                    order.push(k.clone());
                }
                plain.entry(k).or_default().push(a);
            }
        }
    }
    for k in order {
        out.push(canonical_block(&plain[&k], direction, own));
    }
    for a in peers {
        out.push(canonical_block(&[a], direction, own));
    }
    out
}

/// One block in the shape the spec gives a rule: protocol, ports where present, the
/// non-empty peer lists, `self` (always, its default being filled in).
pub(crate) fn canonical_block(atoms: &[&Atom], direction: Direction, own: &str) -> Value {
    let first = atoms[0];
    let mut m = Attrs::new();
    m.insert("protocol".into(), written_protocol(&first.protocol).into());
    if let Some(f) = first.from {
        m.insert("from-port".into(), Value::Int(f));
    }
    if let Some(t) = first.to {
        m.insert("to-port".into(), Value::Int(t));
    }
    if let Some(d) = &first.description {
        m.insert("description".into(), d.clone().into());
    }
    let mut cidrs = Vec::new();
    let mut ipv6 = Vec::new();
    let mut lists = Vec::new();
    let mut own_peer = false;
    for a in atoms {
        match &a.peer {
            Peer::Cidr(c) => cidrs.push(Value::from(c.as_str())),
            Peer::Ipv6(c) => ipv6.push(Value::from(c.as_str())),
            Peer::PrefixList(p) => lists.push(Value::from(p.as_str())),
            Peer::Group(g) if g == own => own_peer = true,
            Peer::Group(g) => {
                m.insert(peer_attribute(direction).into(), g.clone().into());
            }
        }
    }
    for (name, list) in [
        ("cidr-blocks", cidrs),
        ("ipv6-cidr-blocks", ipv6),
        ("prefix-list-ids", lists),
    ] {
        if !list.is_empty() {
            m.insert(name.into(), Value::List(list));
        }
    }
    m.insert("self".into(), Value::Bool(own_peer));
    Value::Map(m)
}

/// Makes the rules of group `id` in `direction` exactly `desired`: authorizes the
/// missing ones first (so traffic allowed before and after is never cut), changes
/// descriptions in place, then revokes the rules no longer wanted.
pub(crate) async fn sync(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    direction: Direction,
    current: &[Atom],
    desired: &[Atom],
) -> Result<(), ProviderError> {
    let add: Vec<Atom> = desired
        .iter()
        .filter(|d| !current.iter().any(|c| c.key() == d.key()))
        .cloned()
        .collect();
    let describe: Vec<Atom> = desired
        .iter()
        .filter(|d| {
            current
                .iter()
                .any(|c| c.key() == d.key() && c.description != d.description)
        })
        .cloned()
        .collect();
    let remove: Vec<Atom> = current
        .iter()
        .filter(|c| !desired.iter().any(|d| c.key() == d.key()))
        .cloned()
        .collect();
    if !add.is_empty() {
        authorize(ec2, id, direction, &add, None).await?;
    }
    if !describe.is_empty() {
        update_descriptions(ec2, id, direction, &describe).await?;
    }
    if !remove.is_empty() {
        revoke(ec2, id, direction, &remove).await?;
    }
    Ok(())
}

/// Authorizes `atoms` on group `id`; returns the ids of the rules AWS made. With a
/// `token` (a standalone rule's create), the new rules carry its tag from the call on.
pub(crate) async fn authorize(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    direction: Direction,
    atoms: &[Atom],
    token: Option<&CreateToken>,
) -> Result<Vec<String>, ProviderError> {
    let p = Some(permissions(atoms));
    let marks = token.map(|t| {
        vec![
            aws_sdk_ec2::types::TagSpecification::builder()
                .resource_type(aws_sdk_ec2::types::ResourceType::SecurityGroupRule)
                .tags(super::token_tag(t))
                .build(),
        ]
    });
    let rules = match direction {
        Direction::Ingress => ec2
            .authorize_security_group_ingress()
            .group_id(id)
            .set_ip_permissions(p)
            .set_tag_specifications(marks)
            .send()
            .await
            .map_err(|e| sdk("AuthorizeSecurityGroupIngress", e))?
            .security_group_rules
            .unwrap_or_default(),
        Direction::Egress => ec2
            .authorize_security_group_egress()
            .group_id(id)
            .set_ip_permissions(p)
            .set_tag_specifications(marks)
            .send()
            .await
            .map_err(|e| sdk("AuthorizeSecurityGroupEgress", e))?
            .security_group_rules
            .unwrap_or_default(),
    };
    Ok(rules
        .iter()
        .filter_map(|r| r.security_group_rule_id().map(str::to_owned))
        .collect())
}

/// Sets the descriptions of the rules `atoms` of group `id` (the one thing of a rule
/// that changes in place).
pub(crate) async fn update_descriptions(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    direction: Direction,
    atoms: &[Atom],
) -> Result<(), ProviderError> {
    let p = Some(permissions(atoms));
    match direction {
        Direction::Ingress => ec2
            .update_security_group_rule_descriptions_ingress()
            .group_id(id)
            .set_ip_permissions(p)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk("UpdateSecurityGroupRuleDescriptionsIngress", e)),
        Direction::Egress => ec2
            .update_security_group_rule_descriptions_egress()
            .group_id(id)
            .set_ip_permissions(p)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk("UpdateSecurityGroupRuleDescriptionsEgress", e)),
    }
}

/// Revokes `atoms` from group `id`.
pub(crate) async fn revoke(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    direction: Direction,
    atoms: &[Atom],
) -> Result<(), ProviderError> {
    let p = Some(permissions(atoms));
    match direction {
        Direction::Ingress => ec2
            .revoke_security_group_ingress()
            .group_id(id)
            .set_ip_permissions(p)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk("RevokeSecurityGroupIngress", e)),
        Direction::Egress => ec2
            .revoke_security_group_egress()
            .group_id(id)
            .set_ip_permissions(p)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk("RevokeSecurityGroupEgress", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(pairs: &[(&str, Value)]) -> Attrs {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    #[test]
    fn a_block_is_one_atom_per_peer_with_canonical_protocol() {
        let block = rule(&[
            ("protocol", "6".into()),
            ("from-port", Value::Int(443)),
            ("to-port", Value::Int(443)),
            (
                "cidr-blocks",
                Value::List(vec!["10.0.0.0/8".into(), "10.0.0.0/8".into()]),
            ),
            ("self", Value::Bool(true)),
        ]);
        let atoms = flatten(&block, Direction::Ingress, "sg-own");
        assert_eq!(atoms.len(), 2);
        assert_eq!(atoms[0].protocol, "tcp");
        assert_eq!(atoms[1].peer, Peer::Group("sg-own".into()));
        let all = rule(&[
            ("protocol", "all".into()),
            ("from-port", Value::Int(0)),
            ("cidr-blocks", Value::List(vec!["0.0.0.0/0".into()])),
        ]);
        let atoms = flatten(&all, Direction::Egress, "sg-own");
        assert!(atoms[0].is_default_egress());
        assert_eq!(atoms[0].from, None);
    }

    #[test]
    fn blocks_rebuilt_keep_the_spec_block_and_group_the_rest() {
        let written = rule(&[
            ("protocol", "tcp".into()),
            ("from-port", Value::Int(22)),
            ("to-port", Value::Int(22)),
            ("cidr-blocks", Value::List(vec!["10.0.0.0/8".into()])),
            ("self", Value::Bool(false)),
        ]);
        let mut observed = flatten(&written, Direction::Ingress, "sg-own");
        observed.push(Atom {
            protocol: "udp".into(),
            from: Some(53),
            to: Some(53),
            peer: Peer::Group("sg-other".into()),
            description: None,
        });
        let blocks = blocks_of(observed, &[&written], Direction::Ingress, "sg-own", |_| {
            false
        });
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0], Value::Map(written.clone()));
        let Value::Map(other) = &blocks[1] else {
            panic!()
        };
        assert_eq!(
            other.get("source-security-group-id"),
            Some(&Value::from("sg-other"))
        );
        assert_eq!(other.get("self"), Some(&Value::Bool(false)));
    }
}
