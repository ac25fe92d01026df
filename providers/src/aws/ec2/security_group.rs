//! `ec2.security-group`: a VPC security group, optionally with its rules written inline.
//!
//! Maps to CreateSecurityGroup / DescribeSecurityGroups / DeleteSecurityGroup,
//! Authorize/RevokeSecurityGroupIngress/Egress and
//! UpdateSecurityGroupRuleDescriptionsIngress/Egress for the `ingress` / `egress`
//! blocks, CreateTags / DeleteTags. Force-new: `name`, `description`, `vpc-id` (AWS
//! cannot change them). CreateSecurityGroup carries the create token tag, and `find`
//! looks for the tag rather than the name: a group of that name made by someone else
//! (which made the create fail) is not this one.
//!
//! Rules are compared as sets of single-peer AWS rules (see `rules.rs`): a block's order,
//! and how AWS groups the rules it returns, are never a change. When `ingress` (or
//! `egress`) blocks are written they are the group's whole rule set in that direction:
//! rules added outside strata show as drift and are revoked. When none are written,
//! strata does not manage that direction here: the attribute is not read back, so rules
//! from `ec2.security-group-ingress` / `ec2.security-group-egress` resources (the way to
//! express two groups that refer to each other, which inline rules would make a
//! reference cycle) are never drift of the group. An import reads both directions.
//!
//! The default egress rule: AWS gives every new group an allow-all egress rule (all
//! protocols to 0.0.0.0/0, and to ::/0 in a VPC with IPv6). It is modelled by
//! `revoke-default-egress` alone, never as an `egress` block: `#false` (the default,
//! AWS's and CloudFormation's behaviour) keeps the IPv4 rule, `#true` removes both (CDK's
//! `allowAllOutbound: false`). Read back, `revoke-default-egress` is whether the IPv4
//! rule is absent, so deleting it (or adding it) outside strata is drift; and an
//! unclaimed default rule is left out of the `egress` blocks read back, so a group
//! written without egress, or with egress blocks, shows no drift for it. An `egress`
//! block that writes the allow-all rule itself keeps it whatever the flag says.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::ResourceType as Kind;
use strata_engine::provider::{Attrs, CreateError, CreateToken, Observed, ProviderError};
use strata_engine::{Attribute, BlockSchema, ResourceType, Schema, Type};

use super::rules::{self, Atom};
use super::{
    Direction, first_found, rule_attributes, sync_tags, tag_specification, tagged_ids, tags_of,
};
use crate::aws::attrs::{Out, blocks, boolean, required, string, string_map};
use crate::aws::error::{found, sdk};
use crate::aws::{delete_attempt, finish_create, read_back, tags, wait_for};

/// The `ec2.security-group` resource type.
pub struct SecurityGroup {
    pub(crate) aws: crate::aws::client::Aws,
}

/// The two rule directions with their attribute names.
const DIRECTIONS: [(Direction, &str); 2] = [
    (Direction::Ingress, "ingress"),
    (Direction::Egress, "egress"),
];

#[async_trait]
impl ResourceType for SecurityGroup {
    fn type_name(&self) -> &'static str {
        "ec2.security-group"
    }

    fn schema(&self) -> &Schema {
        &SCHEMA
    }

    async fn read(&self, id: &str, prior: &Attrs) -> Result<Option<Observed>, ProviderError> {
        self.read_group(id, prior, false).await
    }

    async fn import(&self, id: &str) -> Result<Option<Observed>, ProviderError> {
        self.read_group(id, &Attrs::new(), true).await
    }

    async fn create(&self, desired: &Attrs, token: &CreateToken) -> Result<Observed, CreateError> {
        let ec2 = self.aws.ec2().await?;
        let created = ec2
            .create_security_group()
            .group_name(required(desired, "name")?)
            .description(string(desired, "description").unwrap_or("Managed by strata"))
            .set_vpc_id(string(desired, "vpc-id").map(str::to_owned))
            .tag_specifications(tag_specification(
                Kind::SecurityGroup,
                &string_map(desired, "tags"),
                token,
            ))
            .send()
            .await
            .map_err(|e| sdk("CreateSecurityGroup", e))?;
        let id = created
            .group_id()
            .ok_or_else(|| ProviderError::other("CreateSecurityGroup returned no group id"))?
            .to_owned();
        finish_create(&id, async {
            self.sync_rules(&ec2, &id, desired).await?;
            read_back(
                self.read(&id, desired),
                "security group",
                &id,
                "after create",
            )
            .await
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
            describe_security_groups,
            "DescribeSecurityGroups",
            security_groups,
            group_id,
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
        if changed.iter().any(|c| c == "tags") {
            sync_tags(&ec2, id, prior, desired).await?;
        }
        self.sync_rules(&ec2, id, desired).await?;
        read_back(
            self.read(id, desired),
            "security group",
            id,
            "during update",
        )
        .await
    }

    async fn delete(&self, id: &str, _prior: &Attrs) -> Result<(), ProviderError> {
        let ec2 = self.aws.ec2().await?;
        // Network interfaces of just-terminated instances (and rules of other groups
        // naming this one, being revoked) can hold the group for a while:
        // DependencyViolation is retried.
        wait_for(
            &format!("security group {id} to be deletable (its network interfaces and referencing rules to go)"),
            Duration::from_secs(600),
            Duration::from_secs(5),
            || async {
                let result = ec2.delete_security_group().group_id(id).send().await;
                delete_attempt(
                    result.map_err(|e| sdk("DeleteSecurityGroup", e)),
                    &["DependencyViolation"],
                )
            },
        )
        .await
    }
}

impl SecurityGroup {
    /// The group as AWS has it. A rule direction is read back when `prior` manages it
    /// (or on import, `all`); see the module doc for the default egress rule.
    async fn read_group(
        &self,
        id: &str,
        prior: &Attrs,
        all: bool,
    ) -> Result<Option<Observed>, ProviderError> {
        let ec2 = self.aws.ec2().await?;
        let Some(group) = describe(&ec2, id).await? else {
            return Ok(None);
        };
        let region = self.aws.region().await?;
        let owner = group.owner_id().unwrap_or_default();
        let ingress = rules::atoms_of(group.ip_permissions());
        let egress = rules::atoms_of(group.ip_permissions_egress());
        let prior_egress = rules::flatten_blocks(prior, "egress", Direction::Egress, id);
        let claimed = prior_egress.iter().any(|a| a.is_default_egress());
        let has_default = egress
            .iter()
            .any(|a| a.key() == Atom::default_egress().key());
        let revoke = if claimed && has_default {
            boolean(prior, "revoke-default-egress").unwrap_or(false)
        } else {
            !has_default
        };
        let mut out = Out::new();
        out.str("name", group.group_name())
            .str("description", group.description())
            .str("vpc-id", group.vpc_id())
            .set("revoke-default-egress", revoke)
            .set("tags", tags_of(group.tags()))
            .set("id", id)
            .str("owner-id", group.owner_id())
            .set(
                "arn",
                group
                    .security_group_arn()
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("arn:aws:ec2:{region}:{owner}:security-group/{id}")),
            );
        for ((direction, name), atoms) in DIRECTIONS.into_iter().zip([ingress, egress]) {
            if !(all || prior.contains_key(name)) {
                continue;
            }
            let written = blocks(prior, name);
            let hide = |a: &Atom| direction == Direction::Egress && a.is_default_egress();
            out.list(name, rules::blocks_of(atoms, &written, direction, id, hide));
        }
        Ok(Some(Observed::new(id, out.into_attrs())))
    }

    /// Makes the group's rules what `desired` says: each written direction exactly its
    /// blocks; the default egress rule present or not as `revoke-default-egress` says.
    async fn sync_rules(
        &self,
        ec2: &aws_sdk_ec2::Client,
        id: &str,
        desired: &Attrs,
    ) -> Result<(), ProviderError> {
        let group = describe(ec2, id)
            .await?
            .ok_or_else(|| ProviderError::other(format!("security group {id} not found")))?;
        let revoke_default = boolean(desired, "revoke-default-egress").unwrap_or(false);
        for (direction, name) in DIRECTIONS {
            let current = match direction {
                Direction::Ingress => rules::atoms_of(group.ip_permissions()),
                Direction::Egress => rules::atoms_of(group.ip_permissions_egress()),
            };
            let mut wanted = if desired.contains_key(name) {
                rules::flatten_blocks(desired, name, direction, id)
            } else {
                current.clone()
            };
            if direction == Direction::Egress {
                let written = rules::flatten_blocks(desired, name, direction, id);
                if revoke_default {
                    // Both default rules go, unless a block writes them.
                    wanted.retain(|a| {
                        !a.is_default_egress() || written.iter().any(|w| w.key() == a.key())
                    });
                } else {
                    // The IPv4 default stays (or comes back); an IPv6 one AWS added
                    // with the group is left alone.
                    let default = Atom::default_egress();
                    if !wanted.iter().any(|a| a.key() == default.key()) {
                        wanted.push(
                            current
                                .iter()
                                .find(|a| a.key() == default.key())
                                .cloned()
                                .unwrap_or(default),
                        );
                    }
                    for a in current.iter().filter(|a| a.is_default_egress()) {
                        if !wanted.iter().any(|w| w.key() == a.key()) {
                            wanted.push(a.clone());
                        }
                    }
                }
            }
            rules::sync(ec2, id, direction, &current, &wanted).await?;
        }
        Ok(())
    }
}

/// The group `id`, or None when it does not exist.
async fn describe(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
) -> Result<Option<aws_sdk_ec2::types::SecurityGroup>, ProviderError> {
    let described = found(
        ec2.describe_security_groups()
            .group_ids(id)
            .send()
            .await
            .map_err(|e| sdk("DescribeSecurityGroups", e)),
    )?;
    Ok(described.and_then(|d| d.security_groups.unwrap_or_default().into_iter().next()))
}

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
                .doc("An inbound rule, its argument the protocol: `ingress tcp from-port=443 to-port=443 { cidr-blocks \"0.0.0.0/0\" }`. When written, the blocks are all the group's inbound rules; when none is written, inbound rules are not managed here (see `ec2.security-group-ingress`)."),
            Attribute::optional_computed("egress", rule(Direction::Egress))
                .repeated()
                .doc("An outbound rule, its argument the protocol: `egress tcp from-port=5432 to-port=5432 destination-security-group-id=(ref)\"db.id\"`. When written, the blocks (plus the default allow-all rule unless `revoke-default-egress`) are all the group's outbound rules; when none is written, outbound rules are not managed here."),
            tags(),
            Attribute::computed("id", Type::String).doc("The group id, `sg-...`."),
            Attribute::computed("arn", Type::String).doc("The group ARN."),
            Attribute::computed("owner-id", Type::String)
                .doc("The account that owns the group."),
        ],
    )
});
