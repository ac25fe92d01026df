//! `ec2.security-group-ingress`: one inbound rule of a security group, managed apart from
//! the group (CloudFormation's `AWS::EC2::SecurityGroupIngress`).
//!
//! Use it when rules of two groups refer to each other (a database group admitting an
//! application group that may only reach the database): written inline, the two groups
//! would reference each other, a cycle. The group must then not have inline `ingress`
//! blocks. The engine id is the rule ids (`sgr-...`, one per peer) joined with commas.
//! Maps to AuthorizeSecurityGroupIngress / RevokeSecurityGroupIngress, the rules
//! being found again by their ids (DescribeSecurityGroupRules);
//! UpdateSecurityGroupRuleDescriptionsIngress changes the description in place.
//! Force-new: everything but `description`. The peer group is `source-security-group-id`.

use std::sync::LazyLock;

use strata_engine::Schema;

use super::standalone_rule::RuleType;
use super::{Direction, standalone_rule_schema};

/// The `ec2.security-group-ingress` resource type, run by
/// [`StandaloneRule`](super::StandaloneRule) like its other-direction twin.
pub(crate) static SECURITY_GROUP_INGRESS: RuleType = RuleType {
    type_name: "ec2.security-group-ingress",
    direction: Direction::Ingress,
    schema: &SCHEMA,
};

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| standalone_rule_schema(Direction::Ingress));
