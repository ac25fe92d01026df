//! `ec2.internet-gateway`: the gateway between a VPC and the internet, optionally
//! attached to a VPC.
//!
//! Maps to CreateInternetGateway / DescribeInternetGateways / DeleteInternetGateway and
//! AttachInternetGateway / DetachInternetGateway: a change of `vpc-id` is an in-place
//! detach then attach, and delete detaches first. No force-new attribute.
//! A subnet becomes public through a route to the gateway (`ec2.route-table`).

use std::sync::LazyLock;

use strata_engine::{Attribute, Schema, Type};

use crate::aws::tags;

/// The `ec2.internet-gateway` resource type.
pub struct InternetGateway {
    pub(crate) aws: crate::aws::client::Aws,
}

crate::aws::schema_only!(resource InternetGateway, "ec2.internet-gateway", SCHEMA);

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
