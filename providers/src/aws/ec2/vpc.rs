//! `ec2.vpc`: a virtual private cloud, the network every other EC2 networking resource
//! lives in.
//!
//! Maps to CreateVpc / DescribeVpcs / DeleteVpc, ModifyVpcAttribute for the two DNS
//! settings, CreateTags / DeleteTags. Force-new: `cidr-block` (the primary range cannot
//! change) and `instance-tenancy` (AWS only allows dedicated → default in place). AWS
//! creates a main route table, a default security group and a default network ACL with
//! the VPC; their ids are exported here, and they go away with it. CreateVpc carries
//! the create token tag; `find` is DescribeVpcs by that tag.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, ResourceType as Kind, Tenancy, VpcAttributeName};
use strata_engine::provider::{Attrs, CreateError, CreateToken, Observed, ProviderError};
use strata_engine::{Attribute, ResourceType, Schema, Type, Value};

use crate::aws::attrs::{Out, boolean, required, string, string_map};
use crate::aws::ec2::{first_found, sync_tags, tag_specification, tagged_ids, tags_of};
use crate::aws::error::{found, sdk};
use crate::aws::{delete_attempt, finish_create, read_back, tags, wait_for};

/// The `ec2.vpc` resource type.
pub struct Vpc {
    pub(crate) aws: crate::aws::client::Aws,
}

#[async_trait]
impl ResourceType for Vpc {
    fn type_name(&self) -> &'static str {
        "ec2.vpc"
    }

    fn schema(&self) -> &Schema {
        &SCHEMA
    }

    async fn read(&self, id: &str, _prior: &Attrs) -> Result<Option<Observed>, ProviderError> {
        let ec2 = self.aws.ec2().await?;
        let described = found(
            ec2.describe_vpcs()
                .vpc_ids(id)
                .send()
                .await
                .map_err(|e| sdk("DescribeVpcs", e)),
        )?;
        let Some(vpc) = described.and_then(|d| d.vpcs.unwrap_or_default().into_iter().next())
        else {
            return Ok(None);
        };
        let by_vpc = || Filter::builder().name("vpc-id").values(id).build();
        let (dns_support, dns_hostnames, main_table, default_group, default_acl) = tokio::try_join!(
            async {
                ec2.describe_vpc_attribute()
                    .vpc_id(id)
                    .attribute(VpcAttributeName::EnableDnsSupport)
                    .send()
                    .await
                    .map_err(|e| sdk("DescribeVpcAttribute", e))
            },
            async {
                ec2.describe_vpc_attribute()
                    .vpc_id(id)
                    .attribute(VpcAttributeName::EnableDnsHostnames)
                    .send()
                    .await
                    .map_err(|e| sdk("DescribeVpcAttribute", e))
            },
            async {
                ec2.describe_route_tables()
                    .filters(by_vpc())
                    .filters(
                        Filter::builder()
                            .name("association.main")
                            .values("true")
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| sdk("DescribeRouteTables", e))
            },
            async {
                ec2.describe_security_groups()
                    .filters(by_vpc())
                    .filters(
                        Filter::builder()
                            .name("group-name")
                            .values("default")
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| sdk("DescribeSecurityGroups", e))
            },
            async {
                ec2.describe_network_acls()
                    .filters(by_vpc())
                    .filters(Filter::builder().name("default").values("true").build())
                    .send()
                    .await
                    .map_err(|e| sdk("DescribeNetworkAcls", e))
            },
        )?;
        let region = self.aws.region().await?;
        let owner = vpc.owner_id().unwrap_or_default();
        let mut out = Out::new();
        out.str("cidr-block", vpc.cidr_block())
            .bool(
                "enable-dns-support",
                dns_support.enable_dns_support().and_then(|a| a.value()),
            )
            .bool(
                "enable-dns-hostnames",
                dns_hostnames.enable_dns_hostnames().and_then(|a| a.value()),
            )
            .str(
                "instance-tenancy",
                vpc.instance_tenancy().map(|t| t.as_str().to_owned()),
            )
            .set("tags", tags_of(vpc.tags()))
            .set("id", id)
            .set("arn", format!("arn:aws:ec2:{region}:{owner}:vpc/{id}"))
            .str("owner-id", vpc.owner_id())
            .str(
                "main-route-table-id",
                main_table
                    .route_tables()
                    .first()
                    .and_then(|t| t.route_table_id()),
            )
            .str(
                "default-security-group-id",
                default_group
                    .security_groups()
                    .first()
                    .and_then(|g| g.group_id()),
            )
            .str(
                "default-network-acl-id",
                default_acl
                    .network_acls()
                    .first()
                    .and_then(|a| a.network_acl_id()),
            );
        Ok(Some(Observed::new(id, out.into_attrs())))
    }

    async fn create(&self, desired: &Attrs, token: &CreateToken) -> Result<Observed, CreateError> {
        let ec2 = self.aws.ec2().await?;
        let created = ec2
            .create_vpc()
            .cidr_block(required(desired, "cidr-block")?)
            .instance_tenancy(Tenancy::from(
                string(desired, "instance-tenancy").unwrap_or("default"),
            ))
            .tag_specifications(tag_specification(
                Kind::Vpc,
                &string_map(desired, "tags"),
                token,
            ))
            .send()
            .await
            .map_err(|e| sdk("CreateVpc", e))?;
        let id = created
            .vpc()
            .and_then(|v| v.vpc_id())
            .ok_or_else(|| ProviderError::other("CreateVpc returned no VPC id"))?
            .to_owned();
        finish_create(&id, async {
            wait_for(
                &format!("VPC {id} to become available"),
                Duration::from_secs(300),
                Duration::from_secs(2),
                || async {
                    let out = ec2
                        .describe_vpcs()
                        .vpc_ids(&id)
                        .send()
                        .await
                        .map_err(|e| sdk("DescribeVpcs", e))?;
                    Ok(out
                        .vpcs()
                        .first()
                        .filter(|v| v.state().is_some_and(|s| s.as_str() == "available"))
                        .map(|_| ()))
                },
            )
            .await?;
            // A new VPC has DNS support on and DNS hostnames off.
            self.set_dns(&ec2, &id, &Attrs::from(defaults()), desired)
                .await?;
            read_back(self.read(&id, desired), "VPC", &id, "after create").await
        })
        .await
    }

    async fn find(
        &self,
        desired: &Attrs,
        token: &CreateToken,
    ) -> Result<Option<Observed>, ProviderError> {
        let ec2 = self.aws.ec2().await?;
        let ids = tagged_ids!(ec2, describe_vpcs, "DescribeVpcs", vpcs, vpc_id, token);
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
        self.set_dns(&ec2, id, prior, desired).await?;
        read_back(self.read(id, desired), "VPC", id, "during update").await
    }

    async fn delete(&self, id: &str, _prior: &Attrs) -> Result<(), ProviderError> {
        let ec2 = self.aws.ec2().await?;
        // Gateways and network interfaces of just-deleted dependents can take a moment
        // to let go: DependencyViolation is retried for a while.
        wait_for(
            &format!("VPC {id} to be deletable (its dependencies to go)"),
            Duration::from_secs(300),
            Duration::from_secs(3),
            || async {
                let result = ec2.delete_vpc().vpc_id(id).send().await;
                delete_attempt(
                    result.map_err(|e| sdk("DeleteVpc", e)),
                    &["DependencyViolation"],
                )
            },
        )
        .await
    }
}

impl Vpc {
    /// Sets the two DNS attributes where `desired` differs from `current` (AWS changes
    /// one attribute per call).
    async fn set_dns(
        &self,
        ec2: &aws_sdk_ec2::Client,
        id: &str,
        current: &Attrs,
        desired: &Attrs,
    ) -> Result<(), ProviderError> {
        use aws_sdk_ec2::types::AttributeBooleanValue as B;
        for name in ["enable-dns-support", "enable-dns-hostnames"] {
            let Some(want) = boolean(desired, name) else {
                continue;
            };
            if Some(want) == boolean(current, name) {
                continue;
            }
            let value = B::builder().value(want).build();
            let call = ec2.modify_vpc_attribute().vpc_id(id);
            let call = if name == "enable-dns-support" {
                call.enable_dns_support(value)
            } else {
                call.enable_dns_hostnames(value)
            };
            call.send()
                .await
                .map_err(|e| sdk("ModifyVpcAttribute", e))?;
        }
        Ok(())
    }
}

/// The DNS settings AWS gives a new VPC.
fn defaults() -> [(String, Value); 2] {
    [
        ("enable-dns-support".to_owned(), Value::Bool(true)),
        ("enable-dns-hostnames".to_owned(), Value::Bool(false)),
    ]
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "A VPC: an isolated IPv4 network with DNS settings.",
        vec![
            Attribute::required("cidr-block", Type::String)
                .force_new()
                .doc("The primary IPv4 range, quoted: `cidr-block \"10.0.0.0/22\"` (/16 to /28)."),
            Attribute::optional("enable-dns-support", Type::Bool)
                .default(true)
                .doc("Resolve DNS through the Amazon-provided resolver (VPC+2)."),
            Attribute::optional("enable-dns-hostnames", Type::Bool)
                .default(false)
                .doc("Give instances with a public IP a public DNS name (needs DNS support)."),
            Attribute::optional("instance-tenancy", Type::one_of(&["default", "dedicated"]))
                .default("default")
                .force_new()
                .doc("`dedicated` runs every instance on single-tenant hardware."),
            tags(),
            Attribute::computed("id", Type::String).doc("The VPC id, `vpc-...`."),
            Attribute::computed("arn", Type::String).doc("The VPC ARN."),
            Attribute::computed("default-security-group-id", Type::String)
                .doc("The security group AWS created with the VPC."),
            Attribute::computed("main-route-table-id", Type::String)
                .doc("The route table AWS created with the VPC, used by subnets with no table of their own."),
            Attribute::computed("default-network-acl-id", Type::String)
                .doc("The network ACL AWS created with the VPC."),
            Attribute::computed("owner-id", Type::String)
                .doc("The account that owns the VPC."),
        ],
    )
});
