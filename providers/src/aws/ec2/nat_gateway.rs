//! `ec2.nat-gateway`: a managed NAT gateway letting private subnets reach out.
//!
//! Maps to CreateNatGateway / DescribeNatGateways / DeleteNatGateway; tags through
//! CreateTags / DeleteTags (a NAT gateway cannot be modified otherwise). Create waits
//! for `available` (a `failed` gateway is an error carrying AWS's failure message and
//! the gateway's id), delete waits for `deleted` (minutes on AWS each). Force-new:
//! `subnet-id`, `allocation-id`, `connectivity-type`. A gateway in state `deleted`
//! (AWS lists them for an hour) reads as gone. `allocation-id` and the addresses are
//! those of the primary address. A public gateway sits in a public subnet with an
//! Elastic IP. CreateNatGateway carries the create token as tag and as ClientToken;
//! `find` is DescribeNatGateways by the tag and the subnet (the emulator ignores the tag
//! filter there: the tag is checked on each gateway listed).

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{ConnectivityType, NatGatewayAddress, ResourceType as Kind};
use strata_engine::provider::{Attrs, CreateError, CreateToken, Observed, ProviderError};
use strata_engine::{Attribute, ResourceType, Schema, Type};

use super::net_support::present;
use crate::aws::attrs::{Out, required, string, string_map};
use crate::aws::ec2::{first_found, marked, sync_tags, tag_specification, tags_of, token_filter};
use crate::aws::error::{deleted, found, invalid, sdk};
use crate::aws::{finish_create, read_back, tags, wait_for};

/// How long create and delete wait for the gateway (AWS takes a few minutes).
const WAIT: Duration = Duration::from_secs(900);

/// The `ec2.nat-gateway` resource type.
pub struct NatGateway {
    pub(crate) aws: crate::aws::client::Aws,
}

#[async_trait]
impl ResourceType for NatGateway {
    fn type_name(&self) -> &'static str {
        "ec2.nat-gateway"
    }

    fn schema(&self) -> &Schema {
        &SCHEMA
    }

    async fn read(&self, id: &str, _prior: &Attrs) -> Result<Option<Observed>, ProviderError> {
        let Some(gateway) = self.describe(id).await? else {
            return Ok(None);
        };
        if state(&gateway) == "deleted" {
            return Ok(None);
        }
        let primary = primary(&gateway);
        // A gateway made with an Elastic IP is public (some endpoints leave the type out).
        let connectivity = gateway
            .connectivity_type()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_else(|| {
                if primary.and_then(|a| present(a.allocation_id())).is_some() {
                    "public".to_owned()
                } else {
                    "private".to_owned()
                }
            });
        let mut out = Out::new();
        out.str("subnet-id", gateway.subnet_id())
            .str(
                "allocation-id",
                primary.and_then(|a| present(a.allocation_id())),
            )
            .set("connectivity-type", connectivity)
            .set("tags", tags_of(gateway.tags()))
            .set("id", id)
            .str("public-ip", primary.and_then(|a| present(a.public_ip())))
            .str("private-ip", primary.and_then(|a| present(a.private_ip())))
            .str(
                "network-interface-id",
                primary.and_then(|a| present(a.network_interface_id())),
            );
        Ok(Some(Observed::new(id, out.into_attrs())))
    }

    async fn create(&self, desired: &Attrs, token: &CreateToken) -> Result<Observed, CreateError> {
        let ec2 = self.aws.ec2().await?;
        let created = ec2
            .create_nat_gateway()
            .client_token(token.as_str())
            .subnet_id(required(desired, "subnet-id")?)
            .set_allocation_id(string(desired, "allocation-id").map(str::to_owned))
            .connectivity_type(ConnectivityType::from(
                string(desired, "connectivity-type").unwrap_or("public"),
            ))
            .tag_specifications(tag_specification(
                Kind::Natgateway,
                &string_map(desired, "tags"),
                token,
            ))
            .send()
            .await
            .map_err(|e| sdk("CreateNatGateway", e))?;
        let id = created
            .nat_gateway()
            .and_then(|g| g.nat_gateway_id())
            .ok_or_else(|| ProviderError::other("CreateNatGateway returned no gateway id"))?
            .to_owned();
        finish_create(&id, async {
            wait_for(
                &format!("NAT gateway {id} to become available"),
                WAIT,
                Duration::from_secs(5),
                || async {
                    let Some(gateway) = self.describe(&id).await? else {
                        // Just created: not listed yet.
                        return Ok(None);
                    };
                    match state(&gateway) {
                        "available" => Ok(Some(())),
                        "failed" | "deleting" | "deleted" => Err(invalid(format!(
                            "NAT gateway {id} is {} instead of available: {}",
                            state(&gateway),
                            gateway
                                .failure_message()
                                .unwrap_or("AWS gave no failure message")
                        ))),
                        _ => Ok(None),
                    }
                },
            )
            .await?;
            read_back(self.read(&id, desired), "NAT gateway", &id, "after create").await
        })
        .await
    }

    async fn find(
        &self,
        desired: &Attrs,
        token: &CreateToken,
    ) -> Result<Option<Observed>, ProviderError> {
        let ec2 = self.aws.ec2().await?;
        // The emulator ignores the tag filter here (`marked` checks the tag): the
        // subnet narrows what it lists.
        let mut filters = vec![token_filter(token)];
        if let Some(subnet) = string(desired, "subnet-id") {
            filters.push(
                aws_sdk_ec2::types::Filter::builder()
                    .name("subnet-id")
                    .values(subnet)
                    .build(),
            );
        }
        let mut pages = ec2
            .describe_nat_gateways()
            .set_filter(Some(filters))
            .into_paginator()
            .send();
        let mut ids = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sdk("DescribeNatGateways", e))?;
            ids.extend(marked(
                page.nat_gateways(),
                token,
                |v| v.tags(),
                |v| v.nat_gateway_id(),
            ));
        }
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
        read_back(self.read(id, desired), "NAT gateway", id, "during update").await
    }

    async fn delete(&self, id: &str, _prior: &Attrs) -> Result<(), ProviderError> {
        let ec2 = self.aws.ec2().await?;
        // Described first: some endpoints answer DeleteNatGateway for an unknown id with
        // an HTML error page rather than `NatGatewayNotFound`.
        match self.describe(id).await? {
            None => return Ok(()),
            Some(g) if state(&g) == "deleted" => return Ok(()),
            Some(g) if state(&g) == "deleting" => {}
            Some(_) => deleted(
                ec2.delete_nat_gateway()
                    .nat_gateway_id(id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| sdk("DeleteNatGateway", e)),
            )?,
        }
        wait_for(
            &format!("NAT gateway {id} to be deleted"),
            WAIT,
            Duration::from_secs(5),
            || async {
                Ok(match self.describe(id).await? {
                    Some(g) if state(&g) != "deleted" => None,
                    _ => Some(()),
                })
            },
        )
        .await
    }
}

impl NatGateway {
    /// The gateway, None when AWS does not know it (AWS answers `NatGatewayNotFound`;
    /// some endpoints an empty list).
    async fn describe(
        &self,
        id: &str,
    ) -> Result<Option<aws_sdk_ec2::types::NatGateway>, ProviderError> {
        let ec2 = self.aws.ec2().await?;
        let described = found(
            ec2.describe_nat_gateways()
                .nat_gateway_ids(id)
                .send()
                .await
                .map_err(|e| sdk("DescribeNatGateways", e)),
        )?;
        Ok(described.and_then(|d| d.nat_gateways.unwrap_or_default().into_iter().next()))
    }
}

fn state(gateway: &aws_sdk_ec2::types::NatGateway) -> &str {
    gateway.state().map_or("", |s| s.as_str())
}

/// The gateway's primary address (the first when none is marked primary).
fn primary(gateway: &aws_sdk_ec2::types::NatGateway) -> Option<&NatGatewayAddress> {
    let addresses = gateway.nat_gateway_addresses();
    addresses
        .iter()
        .find(|a| a.is_primary() == Some(true))
        .or_else(|| addresses.first())
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "A NAT gateway.",
        vec![
            Attribute::required("subnet-id", Type::String)
                .force_new()
                .doc("The subnet the gateway lives in (a public subnet for a public gateway)."),
            Attribute::optional("allocation-id", Type::String)
                .force_new()
                .doc("The Elastic IP (`ec2.elastic-ip`'s `id`) of a public gateway; none for a private one."),
            Attribute::optional("connectivity-type", Type::one_of(&["public", "private"]))
                .default("public")
                .force_new()
                .doc("`public` (to the internet through an internet gateway) or `private` (to other networks only)."),
            tags(),
            Attribute::computed("id", Type::String).doc("The gateway id, `nat-...`."),
            Attribute::computed("public-ip", Type::String)
                .doc("The gateway's public address (public gateways)."),
            Attribute::computed("private-ip", Type::String)
                .doc("The gateway's private address in its subnet."),
            Attribute::computed("network-interface-id", Type::String)
                .doc("The network interface AWS created for the gateway."),
        ],
    )
});
