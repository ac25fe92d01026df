//! `ec2.instance`: one EC2 virtual machine.
//!
//! Maps to RunInstances / DescribeInstances / TerminateInstances; ModifyInstanceAttribute
//! for the instance type (stop, modify, start), security groups and source/dest check;
//! Associate/ReplaceIamInstanceProfileAssociation for the profile. Waits for `running`
//! after create and `terminated` after delete. Force-new: `ami`, `subnet-id`,
//! `user-data` (it only runs at first boot), `key-name`, `associate-public-ip-address`.

use std::sync::LazyLock;

use strata_engine::{Attribute, Schema, Type};

use crate::aws::tags;

/// The `ec2.instance` resource type.
pub struct Instance {
    pub(crate) aws: crate::aws::client::Aws,
}

crate::aws::schema_only!(resource Instance, "ec2.instance", SCHEMA);

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
