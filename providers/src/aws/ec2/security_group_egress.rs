//! `ec2.security-group-egress`: one outbound rule of a security group, managed apart from
//! the group (CloudFormation's `AWS::EC2::SecurityGroupEgress`).
//!
//! Use it when rules of two groups refer to each other (a database group admitting an
//! application group that may only reach the database): written inline, the two groups
//! would reference each other, a cycle. The group must then not have inline `egress`
//! blocks. The engine id is the rule ids (`sgr-...`, one per peer) joined with commas.
//! Maps to AuthorizeSecurityGroupEgress / RevokeSecurityGroupEgress, the rules
//! being found again by their ids (DescribeSecurityGroupRules);
//! UpdateSecurityGroupRuleDescriptionsEgress changes the description in place.
//! Force-new: everything but `description`. The peer group is `destination-security-group-id`.

use std::sync::LazyLock;

use async_trait::async_trait;
use strata_engine::provider::{Attrs, CreateError, Observed, ProviderError};
use strata_engine::{ResourceType, Schema};

use super::{Direction, standalone_rule, standalone_rule_schema};

/// The `ec2.security-group-egress` resource type.
pub struct SecurityGroupEgress {
    pub(crate) aws: crate::aws::client::Aws,
}

#[async_trait]
impl ResourceType for SecurityGroupEgress {
    fn type_name(&self) -> &'static str {
        "ec2.security-group-egress"
    }

    fn schema(&self) -> &Schema {
        &SCHEMA
    }

    async fn read(&self, id: &str, prior: &Attrs) -> Result<Option<Observed>, ProviderError> {
        standalone_rule::read(&self.aws, Direction::Egress, id, prior).await
    }

    async fn create(&self, desired: &Attrs) -> Result<Observed, CreateError> {
        standalone_rule::create(&self.aws, Direction::Egress, desired).await
    }

    async fn update(
        &self,
        id: &str,
        _prior: &Attrs,
        desired: &Attrs,
        _changed: &[String],
    ) -> Result<Observed, ProviderError> {
        standalone_rule::update(&self.aws, Direction::Egress, id, desired).await
    }

    async fn delete(&self, id: &str, prior: &Attrs) -> Result<(), ProviderError> {
        standalone_rule::delete(&self.aws, Direction::Egress, id, prior).await
    }
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| standalone_rule_schema(Direction::Egress));
