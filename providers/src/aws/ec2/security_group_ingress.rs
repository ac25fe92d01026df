//! `ec2.security-group-ingress`: one inbound rule of a security group, managed apart from
//! the group (CloudFormation's `AWS::EC2::SecurityGroupIngress`).
//!
//! Use it when rules of two groups refer to each other (a database group admitting an
//! application group that may only reach the database): written inline, the two groups
//! would reference each other, a cycle. The group must then not have inline `ingress`
//! blocks. Maps to AuthorizeSecurityGroupIngress / RevokeSecurityGroupIngress, the rules
//! being found again by their ids (DescribeSecurityGroupRules);
//! UpdateSecurityGroupRuleDescriptionsIngress changes the description in place.
//! Force-new: everything but `description`. The peer group is `source-security-group-id`.

use std::sync::LazyLock;

use strata_engine::Schema;

use super::{Direction, standalone_rule_schema};

/// The `ec2.security-group-ingress` resource type.
pub struct SecurityGroupIngress {
    pub(crate) aws: crate::aws::client::Aws,
}

crate::aws::schema_only!(resource SecurityGroupIngress, "ec2.security-group-ingress", SCHEMA);

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| standalone_rule_schema(Direction::Ingress));
