//! `rds.subnet-group`: the subnets (in at least two availability zones) an RDS instance
//! may be placed in.
//!
//! Maps to CreateDBSubnetGroup / DescribeDBSubnetGroups / DeleteDBSubnetGroup; tags
//! through AddTagsToResource / RemoveTagsFromResource. Force-new: `name`, and also
//! `subnet-ids` and `description`: both would go through ModifyDBSubnetGroup, which the
//! emulator implements by deleting the group (see EMULATOR.md). On AWS, replacing a group
//! that an instance uses fails until the instance moves to another group.

use std::sync::LazyLock;

use strata_engine::{Attribute, Schema, Type};

use crate::aws::tags;

/// The `rds.subnet-group` resource type.
pub struct SubnetGroup {
    pub(crate) aws: crate::aws::client::Aws,
}

crate::aws::schema_only!(resource SubnetGroup, "rds.subnet-group", SCHEMA);

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "A DB subnet group.",
        vec![
            Attribute::required("name", Type::String)
                .force_new()
                .doc("The group name (lowercase; AWS lowercases it), what `rds.instance` takes as `db-subnet-group-name`."),
            Attribute::optional("description", Type::String)
                .default("Managed by strata")
                .force_new()
                .doc("The group description."),
            Attribute::required("subnet-ids", Type::list(Type::String))
                .force_new()
                .doc("The subnets, covering at least two availability zones."),
            tags(),
            Attribute::computed("arn", Type::String).doc("The subnet group ARN."),
            Attribute::computed("vpc-id", Type::String)
                .doc("The VPC of the subnets."),
        ],
    )
});
