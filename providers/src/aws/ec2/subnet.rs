//! `ec2.subnet`: a range of a VPC's addresses in one availability zone.
//!
//! Maps to CreateSubnet / DescribeSubnets / DeleteSubnet and ModifySubnetAttribute for
//! `map-public-ip-on-launch`; tags through CreateTags / DeleteTags. Force-new: `vpc-id`,
//! `cidr-block`, `availability-zone`. Create waits for the subnet to be `available`;
//! delete retries `DependencyViolation` for a while, since the network interfaces of
//! just-deleted dependents (NAT gateways, Lambda functions) take time to go. Whether a
//! subnet is "public", "private" or "isolated" is decided by its route table
//! (`ec2.route-table` with `subnet-ids`), not here. CreateSubnet carries the create
//! token tag; `find` is DescribeSubnets by that tag.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType as Kind};
use strata_engine::provider::{Attrs, CreateError, CreateToken, Observed, ProviderError};
use strata_engine::{Attribute, ResourceType, Schema, Type};

use super::net_support::{arn, retry_while};
use crate::aws::attrs::{Out, boolean, required, string, string_map};
use crate::aws::ec2::{first_found, sync_tags, tag_specification, tagged_ids, tags_of};
use crate::aws::error::{deleted, found, sdk};
use crate::aws::{finish_create, read_back, tags, wait_for};

/// The `ec2.subnet` resource type.
pub struct Subnet {
    pub(crate) aws: crate::aws::client::Aws,
}

#[async_trait]
impl ResourceType for Subnet {
    fn type_name(&self) -> &'static str {
        "ec2.subnet"
    }

    fn schema(&self) -> &Schema {
        &SCHEMA
    }

    async fn read(&self, id: &str, _prior: &Attrs) -> Result<Option<Observed>, ProviderError> {
        let ec2 = self.aws.ec2().await?;
        let described = found(
            ec2.describe_subnets()
                .subnet_ids(id)
                .send()
                .await
                .map_err(|e| sdk("DescribeSubnets", e)),
        )?;
        let Some(subnet) = described.and_then(|d| d.subnets.unwrap_or_default().into_iter().next())
        else {
            return Ok(None);
        };
        let region = self.aws.region().await?;
        let owner = subnet.owner_id().unwrap_or_default();
        let mut out = Out::new();
        out.str("vpc-id", subnet.vpc_id())
            .str("cidr-block", subnet.cidr_block())
            .str("availability-zone", subnet.availability_zone())
            .set(
                "map-public-ip-on-launch",
                subnet.map_public_ip_on_launch().unwrap_or(false),
            )
            .set("tags", tags_of(subnet.tags()))
            .set("id", id)
            .set(
                "arn",
                subnet
                    .subnet_arn()
                    .map(str::to_owned)
                    .unwrap_or_else(|| arn(&region, owner, "subnet", id)),
            )
            .str("availability-zone-id", subnet.availability_zone_id());
        Ok(Some(Observed::new(id, out.into_attrs())))
    }

    async fn create(&self, desired: &Attrs, token: &CreateToken) -> Result<Observed, CreateError> {
        let ec2 = self.aws.ec2().await?;
        let created = ec2
            .create_subnet()
            .vpc_id(required(desired, "vpc-id")?)
            .cidr_block(required(desired, "cidr-block")?)
            .set_availability_zone(string(desired, "availability-zone").map(str::to_owned))
            .tag_specifications(tag_specification(
                Kind::Subnet,
                &string_map(desired, "tags"),
                token,
            ))
            .send()
            .await
            .map_err(|e| sdk("CreateSubnet", e))?;
        let id = created
            .subnet()
            .and_then(|s| s.subnet_id())
            .ok_or_else(|| ProviderError::other("CreateSubnet returned no subnet id"))?
            .to_owned();
        finish_create(&id, async {
            wait_for(
                &format!("subnet {id} to become available"),
                Duration::from_secs(300),
                Duration::from_secs(2),
                || async {
                    let out = ec2
                        .describe_subnets()
                        .subnet_ids(&id)
                        .send()
                        .await
                        .map_err(|e| sdk("DescribeSubnets", e))?;
                    Ok(out
                        .subnets()
                        .first()
                        .filter(|s| s.state().is_some_and(|s| s.as_str() == "available"))
                        .map(|_| ()))
                },
            )
            .await?;
            // A new subnet does not map public addresses.
            if boolean(desired, "map-public-ip-on-launch") == Some(true) {
                set_map_public_ip(&ec2, &id, true).await?;
            }
            read_back(self.read(&id, desired), "subnet", &id, "after create").await
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
            describe_subnets,
            "DescribeSubnets",
            subnets,
            subnet_id,
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
        if changed.iter().any(|c| c == "map-public-ip-on-launch") {
            let want = boolean(desired, "map-public-ip-on-launch").unwrap_or(false);
            set_map_public_ip(&ec2, id, want).await?;
        }
        if changed.iter().any(|c| c == "tags") {
            sync_tags(&ec2, id, prior, desired).await?;
        }
        read_back(self.read(id, desired), "subnet", id, "during update").await
    }

    async fn delete(&self, id: &str, _prior: &Attrs) -> Result<(), ProviderError> {
        let ec2 = self.aws.ec2().await?;
        retry_while(
            &format!("subnet {id} to be deletable (its network interfaces to go)"),
            &["DependencyViolation"],
            Duration::from_secs(300),
            || async {
                deleted(
                    ec2.delete_subnet()
                        .subnet_id(id)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| sdk("DeleteSubnet", e)),
                )
            },
        )
        .await
    }
}

async fn set_map_public_ip(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    value: bool,
) -> Result<(), ProviderError> {
    ec2.modify_subnet_attribute()
        .subnet_id(id)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(value).build())
        .send()
        .await
        .map_err(|e| sdk("ModifySubnetAttribute", e))?;
    Ok(())
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "A subnet: part of a VPC's range, in one availability zone.",
        vec![
            Attribute::required("vpc-id", Type::String)
                .force_new()
                .doc("The VPC the subnet belongs to."),
            Attribute::required("cidr-block", Type::String)
                .force_new()
                .doc("The subnet's IPv4 range inside the VPC's, quoted: `\"10.0.0.0/26\"`."),
            Attribute::optional_computed("availability-zone", Type::String)
                .force_new()
                .doc("The zone, e.g. `eu-west-3a` or `\"${region}a\"`; when absent AWS picks one."),
            Attribute::optional("map-public-ip-on-launch", Type::Bool)
                .default(false)
                .doc("Give instances launched here a public IPv4 address (for public subnets)."),
            tags(),
            Attribute::computed("id", Type::String).doc("The subnet id, `subnet-...`."),
            Attribute::computed("arn", Type::String).doc("The subnet ARN."),
            Attribute::computed("availability-zone-id", Type::String)
                .doc("The zone's account-independent id, e.g. `euw3-az1`."),
        ],
    )
});
