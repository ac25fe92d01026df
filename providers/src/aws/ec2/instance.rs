//! `ec2.instance`: one EC2 virtual machine.
//!
//! Maps to RunInstances / DescribeInstances / TerminateInstances; DescribeInstanceAttribute
//! for the user data; ModifyInstanceAttribute for the instance type (stop, modify,
//! start) and the security groups; Associate / Replace / DisassociateIamInstanceProfile
//! for the profile; CreateTags / DeleteTags. Waits for `running` after create (and after
//! a type change) and for `terminated` after delete; a terminated (or shutting-down)
//! instance reads as gone. Force-new: `ami`, `subnet-id`, `user-data` (it only runs at
//! first boot), `key-name`, `associate-public-ip-address`. RunInstances carries the
//! create token as tag and as ClientToken (a repeated call launches nothing new);
//! `find` is DescribeInstances by the tag, a terminated instance being nothing.
//!
//! Invariants: `user-data` is plain text in the spec and the state; strata encodes it to
//! base64 for RunInstances and decodes what DescribeInstanceAttribute returns, so the
//! text itself is compared. `security-group-ids` is a set (spec order kept).
//! `iam-instance-profile` is the profile's name (the last segment of the ARN of the
//! instance's profile association). `associate-public-ip-address` reads back as whether the instance has a
//! public IPv4 address.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    AttributeValue, Filter, IamInstanceProfileSpecification, InstanceAttributeName,
    InstanceNetworkInterfaceSpecification, InstanceStateName, ResourceType as Kind,
};
use strata_engine::provider::{
    Attrs, CreateError, CreateToken, ErrorKind, Observed, ProviderError,
};
use strata_engine::{Attribute, ResourceType, Schema, Type};

use super::{first_found, marked, sync_tags, tag_specification, tags_of, token_filter};
use crate::aws::attrs::{Out, boolean, required, string, string_map, string_set, strings};
use crate::aws::error::sdk;
use crate::aws::{finish_create, read_back, tags, wait_for};

/// The `ec2.instance` resource type.
pub struct Instance {
    pub(crate) aws: crate::aws::client::Aws,
}

/// How long an instance may take to reach a state.
const STATE_LIMIT: Duration = Duration::from_secs(600);
const POLL: Duration = Duration::from_secs(2);

#[async_trait]
impl ResourceType for Instance {
    fn type_name(&self) -> &'static str {
        "ec2.instance"
    }

    fn schema(&self) -> &Schema {
        &SCHEMA
    }

    async fn read(&self, id: &str, prior: &Attrs) -> Result<Option<Observed>, ProviderError> {
        let ec2 = self.aws.ec2().await?;
        let Some((owner, instance)) = describe(&ec2, id).await? else {
            return Ok(None);
        };
        let state = instance.state().and_then(|s| s.name()).cloned();
        if matches!(
            state,
            Some(InstanceStateName::Terminated | InstanceStateName::ShuttingDown)
        ) {
            return Ok(None);
        }
        let (user_data, associations) = tokio::try_join!(
            async {
                ec2.describe_instance_attribute()
                    .instance_id(id)
                    .attribute(InstanceAttributeName::UserData)
                    .send()
                    .await
                    .map_err(|e| sdk("DescribeInstanceAttribute", e))
            },
            async {
                ec2.describe_iam_instance_profile_associations()
                    .filters(Filter::builder().name("instance-id").values(id).build())
                    .send()
                    .await
                    .map_err(|e| sdk("DescribeIamInstanceProfileAssociations", e))
            },
        )?;
        let user_data = user_data
            .user_data()
            .and_then(|v| v.value())
            .filter(|v| !v.is_empty())
            .map(|v| {
                aws_smithy_types::base64::decode(v)
                    .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                    .unwrap_or_else(|_| v.to_owned())
            });
        // The profile as its association has it (the source of truth a replacement
        // changes), else as the instance describes it.
        let profile = associations
            .iam_instance_profile_associations()
            .iter()
            .find(|a| {
                a.state()
                    .is_some_and(|s| matches!(s.as_str(), "associated" | "associating"))
            })
            .and_then(|a| a.iam_instance_profile())
            .and_then(|p| p.arn())
            .or_else(|| instance.iam_instance_profile().and_then(|p| p.arn()))
            .map(|arn| arn.rsplit('/').next().unwrap_or(arn).to_owned());
        let region = self.aws.region().await?;
        let groups: Vec<String> = instance
            .security_groups()
            .iter()
            .filter_map(|g| g.group_id().map(str::to_owned))
            .collect();
        let mut out = Out::new();
        out.str("ami", instance.image_id())
            .str(
                "instance-type",
                instance.instance_type().map(|t| t.as_str().to_owned()),
            )
            .str("subnet-id", instance.subnet_id())
            .set(
                "security-group-ids",
                string_set(groups, prior.get("security-group-ids")),
            )
            .str("user-data", user_data)
            .str("iam-instance-profile", profile)
            .str("key-name", instance.key_name())
            .set(
                "associate-public-ip-address",
                instance.public_ip_address().is_some(),
            )
            .set("tags", tags_of(instance.tags()))
            .set("id", id)
            .set("arn", format!("arn:aws:ec2:{region}:{owner}:instance/{id}"))
            .str("private-ip", instance.private_ip_address())
            .str("public-ip", instance.public_ip_address())
            .str(
                "private-dns",
                instance.private_dns_name().filter(|d| !d.is_empty()),
            )
            .str(
                "public-dns",
                instance.public_dns_name().filter(|d| !d.is_empty()),
            )
            .str(
                "availability-zone",
                instance.placement().and_then(|p| p.availability_zone()),
            )
            .str("state", state.map(|s| s.as_str().to_owned()));
        Ok(Some(Observed::new(id, out.into_attrs())))
    }

    async fn create(&self, desired: &Attrs, token: &CreateToken) -> Result<Observed, CreateError> {
        let ec2 = self.aws.ec2().await?;
        let subnet = string(desired, "subnet-id").map(str::to_owned);
        let groups = Some(strings(desired, "security-group-ids")).filter(|g| !g.is_empty());
        let mut run = ec2
            .run_instances()
            .client_token(token.as_str())
            .image_id(required(desired, "ami")?)
            .instance_type(required(desired, "instance-type")?.into())
            .min_count(1)
            .max_count(1)
            .set_key_name(string(desired, "key-name").map(str::to_owned))
            .set_user_data(string(desired, "user-data").map(aws_smithy_types::base64::encode))
            .set_iam_instance_profile(string(desired, "iam-instance-profile").map(|name| {
                IamInstanceProfileSpecification::builder()
                    .name(name)
                    .build()
            }))
            .tag_specifications(tag_specification(
                Kind::Instance,
                &string_map(desired, "tags"),
                token,
            ));
        run = match boolean(desired, "associate-public-ip-address") {
            // The public address is a property of the primary network interface, which
            // then carries the subnet and groups too.
            Some(public) => run.network_interfaces(
                InstanceNetworkInterfaceSpecification::builder()
                    .device_index(0)
                    .associate_public_ip_address(public)
                    .set_subnet_id(subnet)
                    .set_groups(groups)
                    .build(),
            ),
            None => run.set_subnet_id(subnet).set_security_group_ids(groups),
        };
        let created = run.send().await.map_err(|e| sdk("RunInstances", e))?;
        let id = created
            .instances()
            .first()
            .and_then(|i| i.instance_id())
            .ok_or_else(|| ProviderError::other("RunInstances returned no instance id"))?
            .to_owned();
        finish_create(&id, async {
            self.wait_state(&ec2, &id, InstanceStateName::Running)
                .await?;
            read_back(self.read(&id, desired), "instance", &id, "after launch").await
        })
        .await
    }

    async fn find(
        &self,
        desired: &Attrs,
        token: &CreateToken,
    ) -> Result<Option<Observed>, ProviderError> {
        let ec2 = self.aws.ec2().await?;
        let mut pages = ec2
            .describe_instances()
            .filters(token_filter(token))
            .into_paginator()
            .send();
        let mut ids = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sdk("DescribeInstances", e))?;
            for reservation in page.reservations() {
                ids.extend(marked(
                    reservation.instances(),
                    token,
                    |i| i.tags(),
                    |i| i.instance_id(),
                ));
            }
        }
        // A terminated instance reads as gone: nothing of this create is left.
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
        let has = |name: &str| changed.iter().any(|c| c == name);
        if has("tags") {
            sync_tags(&ec2, id, prior, desired).await?;
        }
        if has("security-group-ids") {
            let groups = strings(desired, "security-group-ids");
            if !groups.is_empty() {
                ec2.modify_instance_attribute()
                    .instance_id(id)
                    .set_groups(Some(groups))
                    .send()
                    .await
                    .map_err(|e| sdk("ModifyInstanceAttribute", e))?;
            }
        }
        if has("iam-instance-profile") {
            self.set_profile(&ec2, id, string(desired, "iam-instance-profile"))
                .await?;
        }
        if has("instance-type") {
            // The type of a running instance cannot change: stop, modify, start.
            ec2.stop_instances()
                .instance_ids(id)
                .send()
                .await
                .map_err(|e| sdk("StopInstances", e))?;
            self.wait_state(&ec2, id, InstanceStateName::Stopped)
                .await?;
            ec2.modify_instance_attribute()
                .instance_id(id)
                .instance_type(
                    AttributeValue::builder()
                        .value(required(desired, "instance-type")?)
                        .build(),
                )
                .send()
                .await
                .map_err(|e| sdk("ModifyInstanceAttribute", e))?;
            ec2.start_instances()
                .instance_ids(id)
                .send()
                .await
                .map_err(|e| sdk("StartInstances", e))?;
            self.wait_state(&ec2, id, InstanceStateName::Running)
                .await?;
        }
        read_back(self.read(id, desired), "instance", id, "during update").await
    }

    async fn delete(&self, id: &str, _prior: &Attrs) -> Result<(), ProviderError> {
        let ec2 = self.aws.ec2().await?;
        match ec2.terminate_instances().instance_ids(id).send().await {
            Ok(_) => {}
            Err(e) => {
                let e = sdk("TerminateInstances", e);
                if e.kind == ErrorKind::NotFound {
                    return Ok(());
                }
                return Err(e);
            }
        }
        self.wait_state(&ec2, id, InstanceStateName::Terminated)
            .await
    }
}

impl Instance {
    /// Polls until instance `id` is in `state` (an instance gone counts as terminated).
    async fn wait_state(
        &self,
        ec2: &aws_sdk_ec2::Client,
        id: &str,
        state: InstanceStateName,
    ) -> Result<(), ProviderError> {
        wait_for(
            &format!("instance {id} to be {}", state.as_str()),
            STATE_LIMIT,
            POLL,
            || async {
                let now = describe(ec2, id)
                    .await?
                    .and_then(|(_, i)| i.state().and_then(|s| s.name()).cloned());
                Ok(match now {
                    None if state == InstanceStateName::Terminated => Some(()),
                    None => {
                        return Err(ProviderError::new(
                            ErrorKind::NotFound,
                            None,
                            format!(
                                "instance {id} disappeared while waiting for it to be {}",
                                state.as_str()
                            ),
                        ));
                    }
                    Some(s) if s == state => Some(()),
                    Some(InstanceStateName::Terminated) => {
                        return Err(ProviderError::other(format!(
                            "instance {id} terminated while waiting for it to be {}",
                            state.as_str()
                        )));
                    }
                    Some(_) => None,
                })
            },
        )
        .await
    }

    /// Gives the instance the profile `name` (None: no profile).
    async fn set_profile(
        &self,
        ec2: &aws_sdk_ec2::Client,
        id: &str,
        name: Option<&str>,
    ) -> Result<(), ProviderError> {
        let current = ec2
            .describe_iam_instance_profile_associations()
            .filters(Filter::builder().name("instance-id").values(id).build())
            .send()
            .await
            .map_err(|e| sdk("DescribeIamInstanceProfileAssociations", e))?;
        let association = current
            .iam_instance_profile_associations()
            .iter()
            .find(|a| {
                a.state()
                    .is_some_and(|s| matches!(s.as_str(), "associated" | "associating"))
            })
            .and_then(|a| a.association_id())
            .map(str::to_owned);
        let spec = |name: &str| {
            IamInstanceProfileSpecification::builder()
                .name(name)
                .build()
        };
        match (association, name) {
            (Some(assoc), Some(name)) => ec2
                .replace_iam_instance_profile_association()
                .association_id(assoc)
                .iam_instance_profile(spec(name))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk("ReplaceIamInstanceProfileAssociation", e)),
            (Some(assoc), None) => ec2
                .disassociate_iam_instance_profile()
                .association_id(assoc)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk("DisassociateIamInstanceProfile", e)),
            (None, Some(name)) => ec2
                .associate_iam_instance_profile()
                .instance_id(id)
                .iam_instance_profile(spec(name))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk("AssociateIamInstanceProfile", e)),
            (None, None) => Ok(()),
        }
    }
}

/// The instance `id` with the account owning its reservation, or None when unknown.
async fn describe(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
) -> Result<Option<(String, aws_sdk_ec2::types::Instance)>, ProviderError> {
    match ec2.describe_instances().instance_ids(id).send().await {
        Ok(out) => Ok(out
            .reservations
            .unwrap_or_default()
            .into_iter()
            .find_map(|r| {
                let owner = r.owner_id().unwrap_or_default().to_owned();
                r.instances
                    .unwrap_or_default()
                    .into_iter()
                    .next()
                    .map(|i| (owner, i))
            })),
        Err(e) => {
            let e = sdk("DescribeInstances", e);
            if e.kind == ErrorKind::NotFound {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "An EC2 instance.",
        vec![
            Attribute::required("ami", Type::String)
                .force_new()
                .doc("The image to boot, `ami-...` (see `lookup ec2.ami`)."),
            Attribute::required("instance-type", Type::String)
                .doc("The instance type, e.g. `t3.micro`; a change stops and restarts the instance."),
            Attribute::optional_computed("subnet-id", Type::String)
                .force_new()
                .doc("The subnet to launch in; when absent, a default subnet of the default VPC."),
            Attribute::optional_computed("security-group-ids", Type::list(Type::String))
                .doc("Security groups of the instance; when absent, the VPC's default group."),
            Attribute::optional("user-data", Type::String)
                .force_new()
                .doc("A script or cloud-init document run at first boot (plain text; strata encodes it)."),
            Attribute::optional("iam-instance-profile", Type::String)
                .doc("The name of the IAM instance profile giving the instance its role."),
            Attribute::optional("key-name", Type::String)
                .force_new()
                .doc("The EC2 key pair allowed to log in over SSH."),
            Attribute::optional_computed("associate-public-ip-address", Type::Bool)
                .force_new()
                .doc("Give the instance a public IPv4 address; when absent, the subnet's `map-public-ip-on-launch` decides."),
            tags(),
            Attribute::computed("id", Type::String).doc("The instance id, `i-...`."),
            Attribute::computed("arn", Type::String).doc("The instance ARN."),
            Attribute::computed("private-ip", Type::String)
                .doc("The primary private IPv4 address."),
            Attribute::computed("public-ip", Type::String)
                .doc("The public IPv4 address, if any (changes on stop/start unless an Elastic IP is attached)."),
            Attribute::computed("private-dns", Type::String)
                .doc("The private DNS name."),
            Attribute::computed("public-dns", Type::String)
                .doc("The public DNS name, if any (needs `enable-dns-hostnames` on the VPC)."),
            Attribute::computed("availability-zone", Type::String)
                .doc("The zone the instance runs in."),
            Attribute::computed("state", Type::String)
                .doc("The instance state: pending, running, stopping, stopped..."),
        ],
    )
});
