//! `ec2.elastic-ip`: a static public IPv4 address, optionally associated with an
//! instance or a network interface.
//!
//! Maps to AllocateAddress / DescribeAddresses / ReleaseAddress and AssociateAddress /
//! DisassociateAddress (a change of association is in place: the old one is removed,
//! the new one made); tags through CreateTags / DeleteTags. Force-new: `domain`, whose
//! only value is `vpc` (EC2-Classic `standard` addresses have no allocation id).
//! Read reports the association as `instance-id` when it is an instance's (AWS then
//! also names the instance's network interface, which is not reported), else as
//! `network-interface-id`; one the spec names but AWS no longer has reads as null
//! (drift). An association made by someone else (a NAT gateway's) is
//! only touched when the spec names one: an address the spec leaves unassociated is
//! not detached from a NAT gateway using it. Delete removes the association first and
//! retries the release while AWS still reports the address in use (a NAT gateway just
//! deleted lets go of it a little later). AllocateAddress carries the create token tag;
//! `find` is DescribeAddresses by that tag.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{DomainType, ResourceType as Kind};
use strata_engine::provider::{Attrs, CreateError, CreateToken, Observed, ProviderError};
use strata_engine::{Attribute, Constraint, ResourceType, Schema, Type};

use super::net_support::{arn, present, retry_while, str_or_null};
use crate::aws::attrs::{Out, string, string_map};
use crate::aws::ec2::{first_found, marked, sync_tags, tag_specification, tags_of, token_filter};
use crate::aws::error::{deleted, found, sdk};
use crate::aws::{finish_create, read_back, tags};

/// The `ec2.elastic-ip` resource type.
pub struct ElasticIp {
    pub(crate) aws: crate::aws::client::Aws,
}

#[async_trait]
impl ResourceType for ElasticIp {
    fn type_name(&self) -> &'static str {
        "ec2.elastic-ip"
    }

    fn schema(&self) -> &Schema {
        &SCHEMA
    }

    async fn read(&self, id: &str, prior: &Attrs) -> Result<Option<Observed>, ProviderError> {
        let Some(address) = self.describe(id).await? else {
            return Ok(None);
        };
        let region = self.aws.region().await?;
        let owner = match present(address.network_interface_owner_id()) {
            Some(owner) => owner.to_owned(),
            None => self.account().await?,
        };
        let instance = present(address.instance_id());
        let mut out = Out::new();
        out.set("domain", address.domain().map_or("vpc", |d| d.as_str()));
        str_or_null(&mut out, "instance-id", instance, prior);
        str_or_null(
            &mut out,
            "network-interface-id",
            present(address.network_interface_id()).filter(|_| instance.is_none()),
            prior,
        );
        out.set("tags", tags_of(address.tags()))
            .set("id", id)
            .set("arn", arn(&region, &owner, "elastic-ip", id))
            .str("public-ip", present(address.public_ip()))
            .str("association-id", present(address.association_id()))
            .str("private-ip", present(address.private_ip_address()));
        Ok(Some(Observed::new(id, out.into_attrs())))
    }

    async fn create(&self, desired: &Attrs, token: &CreateToken) -> Result<Observed, CreateError> {
        let ec2 = self.aws.ec2().await?;
        let allocated = ec2
            .allocate_address()
            .domain(DomainType::from(string(desired, "domain").unwrap_or("vpc")))
            .tag_specifications(tag_specification(
                Kind::ElasticIp,
                &string_map(desired, "tags"),
                token,
            ))
            .send()
            .await
            .map_err(|e| sdk("AllocateAddress", e))?;
        let id = allocated
            .allocation_id()
            .ok_or_else(|| ProviderError::other("AllocateAddress returned no allocation id"))?
            .to_owned();
        finish_create(&id, async {
            associate(&ec2, &id, desired).await?;
            read_back(self.read(&id, desired), "Elastic IP", &id, "after create").await
        })
        .await
    }

    async fn find(
        &self,
        desired: &Attrs,
        token: &CreateToken,
    ) -> Result<Option<Observed>, ProviderError> {
        let ec2 = self.aws.ec2().await?;
        // DescribeAddresses is not paginated.
        let out = ec2
            .describe_addresses()
            .filters(token_filter(token))
            .send()
            .await
            .map_err(|e| sdk("DescribeAddresses", e))?;
        let ids = marked(out.addresses(), token, |a| a.tags(), |a| a.allocation_id());
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
        if changed
            .iter()
            .any(|c| c == "instance-id" || c == "network-interface-id")
        {
            if let Some(association) = self
                .describe(id)
                .await?
                .and_then(|a| present(a.association_id()).map(str::to_owned))
            {
                disassociate(&ec2, &association).await?;
            }
            associate(&ec2, id, desired).await?;
        }
        if changed.iter().any(|c| c == "tags") {
            sync_tags(&ec2, id, prior, desired).await?;
        }
        read_back(self.read(id, desired), "Elastic IP", id, "during update").await
    }

    async fn delete(&self, id: &str, _prior: &Attrs) -> Result<(), ProviderError> {
        let ec2 = self.aws.ec2().await?;
        let Some(address) = self.describe(id).await? else {
            return Ok(());
        };
        if let Some(association) = present(address.association_id()) {
            disassociate(&ec2, association).await?;
        }
        retry_while(
            &format!("Elastic IP {id} to be released (no longer in use)"),
            &["InvalidIPAddress.InUse"],
            Duration::from_secs(300),
            || async {
                deleted(
                    ec2.release_address()
                        .allocation_id(id)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| sdk("ReleaseAddress", e)),
                )
            },
        )
        .await
    }
}

impl ElasticIp {
    async fn describe(
        &self,
        id: &str,
    ) -> Result<Option<aws_sdk_ec2::types::Address>, ProviderError> {
        let ec2 = self.aws.ec2().await?;
        let described = found(
            ec2.describe_addresses()
                .allocation_ids(id)
                .send()
                .await
                .map_err(|e| sdk("DescribeAddresses", e)),
        )?;
        Ok(described.and_then(|d| d.addresses.unwrap_or_default().into_iter().next()))
    }

    /// The account id, for the ARN of an unassociated address (DescribeAddresses does
    /// not name the owner then).
    async fn account(&self) -> Result<String, ProviderError> {
        let ec2 = self.aws.ec2().await?;
        let out = ec2
            .describe_security_groups()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("group-name")
                    .values("default")
                    .build(),
            )
            .max_results(5)
            .send()
            .await
            .map_err(|e| sdk("DescribeSecurityGroups", e))?;
        Ok(out
            .security_groups()
            .first()
            .and_then(|g| g.owner_id())
            .unwrap_or_default()
            .to_owned())
    }
}

/// Associates the address with what `desired` names, if anything.
async fn associate(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    desired: &Attrs,
) -> Result<(), ProviderError> {
    let instance = string(desired, "instance-id");
    let interface = string(desired, "network-interface-id");
    if instance.is_none() && interface.is_none() {
        return Ok(());
    }
    ec2.associate_address()
        .allocation_id(id)
        .set_instance_id(instance.map(str::to_owned))
        .set_network_interface_id(interface.map(str::to_owned))
        .send()
        .await
        .map_err(|e| sdk("AssociateAddress", e))?;
    Ok(())
}

/// Removes an association; already gone is success.
async fn disassociate(ec2: &aws_sdk_ec2::Client, association: &str) -> Result<(), ProviderError> {
    deleted(
        ec2.disassociate_address()
            .association_id(association)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk("DisassociateAddress", e)),
    )
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "An Elastic IP address.",
        vec![
            Attribute::optional("domain", Type::one_of(&["vpc"]))
                .default("vpc")
                .force_new()
                .doc("`vpc`, the only kind: EC2-Classic (`standard`) addresses were retired."),
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
