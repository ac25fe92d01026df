//! `ec2.internet-gateway`: the gateway between a VPC and the internet, optionally
//! attached to a VPC.
//!
//! Maps to CreateInternetGateway / DescribeInternetGateways / DeleteInternetGateway and
//! AttachInternetGateway / DetachInternetGateway; tags through CreateTags / DeleteTags.
//! A change of `vpc-id` is an in-place detach then attach, and delete detaches from
//! every VPC first. No force-new attribute. Detaching is refused
//! (`DependencyViolation`) while the VPC still has mapped public addresses (a NAT
//! gateway or an Elastic IP being deleted alongside): it is retried for a while.
//! A gateway detached outside strata reads `vpc-id` as null (drift) when the spec
//! attaches it. A subnet becomes public through a route to the gateway (`ec2.route-table`).
//! CreateInternetGateway carries the create token tag; `find` is
//! DescribeInternetGateways by that tag.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::ResourceType as Kind;
use strata_engine::provider::{Attrs, CreateError, CreateToken, Observed, ProviderError};
use strata_engine::{Attribute, ResourceType, Schema, Type};

use super::net_support::{arn, present, retry_while, str_or_null};
use crate::aws::attrs::{Out, string, string_map};
use crate::aws::ec2::{first_found, sync_tags, tag_specification, tagged_ids, tags_of};
use crate::aws::error::{deleted, found, sdk};
use crate::aws::{finish_create, read_back, tags};

/// How long a detach or delete refused for a dependency is retried.
const DEPENDENCY_WAIT: Duration = Duration::from_secs(300);

/// The `ec2.internet-gateway` resource type.
pub struct InternetGateway {
    pub(crate) aws: crate::aws::client::Aws,
}

#[async_trait]
impl ResourceType for InternetGateway {
    fn type_name(&self) -> &'static str {
        "ec2.internet-gateway"
    }

    fn schema(&self) -> &Schema {
        &SCHEMA
    }

    async fn read(&self, id: &str, prior: &Attrs) -> Result<Option<Observed>, ProviderError> {
        let Some(gateway) = self.describe(id).await? else {
            return Ok(None);
        };
        let region = self.aws.region().await?;
        let owner = gateway.owner_id().unwrap_or_default();
        let mut out = Out::new();
        let vpc = attached_vpcs(&gateway).into_iter().next();
        str_or_null(&mut out, "vpc-id", vpc.as_deref(), prior);
        out.set("tags", tags_of(gateway.tags()))
            .set("id", id)
            .set("arn", arn(&region, owner, "internet-gateway", id))
            .str("owner-id", present(gateway.owner_id()));
        Ok(Some(Observed::new(id, out.into_attrs())))
    }

    async fn create(&self, desired: &Attrs, token: &CreateToken) -> Result<Observed, CreateError> {
        let ec2 = self.aws.ec2().await?;
        let created = ec2
            .create_internet_gateway()
            .tag_specifications(tag_specification(
                Kind::InternetGateway,
                &string_map(desired, "tags"),
                token,
            ))
            .send()
            .await
            .map_err(|e| sdk("CreateInternetGateway", e))?;
        let id = created
            .internet_gateway()
            .and_then(|g| g.internet_gateway_id())
            .ok_or_else(|| ProviderError::other("CreateInternetGateway returned no gateway id"))?
            .to_owned();
        finish_create(&id, async {
            if let Some(vpc) = string(desired, "vpc-id") {
                attach(&ec2, &id, vpc).await?;
            }
            read_back(
                self.read(&id, desired),
                "internet gateway",
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
            describe_internet_gateways,
            "DescribeInternetGateways",
            internet_gateways,
            internet_gateway_id,
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
        if changed.iter().any(|c| c == "vpc-id") {
            let want = string(desired, "vpc-id");
            let current = match self.describe(id).await? {
                Some(gateway) => attached_vpcs(&gateway),
                None => Vec::new(),
            };
            for vpc in current.iter().filter(|v| Some(v.as_str()) != want) {
                detach(&ec2, id, vpc).await?;
            }
            if let Some(vpc) = want.filter(|w| !current.iter().any(|c| c == w)) {
                attach(&ec2, id, vpc).await?;
            }
        }
        if changed.iter().any(|c| c == "tags") {
            sync_tags(&ec2, id, prior, desired).await?;
        }
        read_back(
            self.read(id, desired),
            "internet gateway",
            id,
            "during update",
        )
        .await
    }

    async fn delete(&self, id: &str, _prior: &Attrs) -> Result<(), ProviderError> {
        let ec2 = self.aws.ec2().await?;
        let Some(gateway) = self.describe(id).await? else {
            return Ok(());
        };
        for vpc in attached_vpcs(&gateway) {
            detach(&ec2, id, &vpc).await?;
        }
        retry_while(
            &format!("internet gateway {id} to be deletable"),
            &["DependencyViolation"],
            DEPENDENCY_WAIT,
            || async {
                deleted(
                    ec2.delete_internet_gateway()
                        .internet_gateway_id(id)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| sdk("DeleteInternetGateway", e)),
                )
            },
        )
        .await
    }
}

impl InternetGateway {
    async fn describe(
        &self,
        id: &str,
    ) -> Result<Option<aws_sdk_ec2::types::InternetGateway>, ProviderError> {
        let ec2 = self.aws.ec2().await?;
        let described = found(
            ec2.describe_internet_gateways()
                .internet_gateway_ids(id)
                .send()
                .await
                .map_err(|e| sdk("DescribeInternetGateways", e)),
        )?;
        Ok(described.and_then(|d| d.internet_gateways.unwrap_or_default().into_iter().next()))
    }
}

/// The VPCs the gateway is attached to (or being attached to): AWS reports an attached
/// gateway's attachment as `available`.
fn attached_vpcs(gateway: &aws_sdk_ec2::types::InternetGateway) -> Vec<String> {
    gateway
        .attachments()
        .iter()
        .filter(|a| {
            a.state()
                .is_none_or(|s| matches!(s.as_str(), "available" | "attached" | "attaching"))
        })
        .filter_map(|a| present(a.vpc_id()).map(str::to_owned))
        .collect()
}

async fn attach(ec2: &aws_sdk_ec2::Client, id: &str, vpc: &str) -> Result<(), ProviderError> {
    ec2.attach_internet_gateway()
        .internet_gateway_id(id)
        .vpc_id(vpc)
        .send()
        .await
        .map_err(|e| sdk("AttachInternetGateway", e))?;
    Ok(())
}

/// Detaches the gateway from `vpc`; already detached (or the VPC gone) is success.
async fn detach(ec2: &aws_sdk_ec2::Client, id: &str, vpc: &str) -> Result<(), ProviderError> {
    retry_while(
        &format!("internet gateway {id} to be detachable from {vpc} (its public addresses to be unmapped)"),
        &["DependencyViolation"],
        DEPENDENCY_WAIT,
        || async {
            match ec2
                .detach_internet_gateway()
                .internet_gateway_id(id)
                .vpc_id(vpc)
                .send()
                .await
                .map_err(|e| sdk("DetachInternetGateway", e))
            {
                Ok(_) => Ok(()),
                Err(e) if e.code.as_deref() == Some("Gateway.NotAttached") => Ok(()),
                Err(e) => deleted(Err(e)),
            }
        },
    )
    .await
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "An internet gateway, attached to a VPC.",
        vec![
            Attribute::optional("vpc-id", Type::String)
                .doc("The VPC the gateway is attached to; when absent the gateway is detached."),
            tags(),
            Attribute::computed("id", Type::String).doc("The gateway id, `igw-...`."),
            Attribute::computed("arn", Type::String).doc("The gateway ARN."),
            Attribute::computed("owner-id", Type::String).doc("The account that owns the gateway."),
        ],
    )
});
