//! `rds.subnet-group`: the subnets (in at least two availability zones) an RDS instance
//! may be placed in.
//!
//! Maps to CreateDBSubnetGroup / DescribeDBSubnetGroups / ModifyDBSubnetGroup /
//! DeleteDBSubnetGroup; tags through ListTagsForResource / AddTagsToResource /
//! RemoveTagsFromResource on the group's ARN. The id is the name as AWS keeps it
//! (lowercased); `name` reads back as the spec wrote it when the two agree.
//!
//! Force-new: `name` only. `description` and `subnet-ids` change in place with
//! ModifyDBSubnetGroup (which always takes the full subnet list), as on AWS; what an
//! update returns is the group as that call's answer describes it. The emulator
//! implements ModifyDBSubnetGroup by deleting the group (see EMULATOR.md): there an
//! update succeeds and the next refresh finds the group gone and plans it again.
//! On AWS, deleting a group an instance still uses fails until the instance moves.

use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_rds::types::DbSubnetGroup;
use strata_engine::provider::{
    Attrs, CreateError, CreateToken, ErrorKind, Observed, ProviderError,
};
use strata_engine::{Attribute, ResourceType, Schema, Type, Value};

use crate::aws::attrs::{Out, required, string, string_map, string_set, strings, tags_value};
use crate::aws::error::sdk;
use crate::aws::rds::{as_written, current_tags, sync_tags, to_tags};
use crate::aws::{finish_create, read_back, tags};

/// The `rds.subnet-group` resource type.
pub struct SubnetGroup {
    pub(crate) aws: crate::aws::client::Aws,
}

#[async_trait]
impl ResourceType for SubnetGroup {
    fn type_name(&self) -> &'static str {
        "rds.subnet-group"
    }

    fn schema(&self) -> &Schema {
        &SCHEMA
    }

    async fn read(&self, id: &str, prior: &Attrs) -> Result<Option<Observed>, ProviderError> {
        let rds = self.aws.rds().await?;
        let found = match rds
            .describe_db_subnet_groups()
            .db_subnet_group_name(id)
            .send()
            .await
        {
            Ok(out) => out.db_subnet_groups.unwrap_or_default().into_iter().next(),
            Err(e) => {
                let e = sdk("DescribeDBSubnetGroups", e);
                if e.kind == ErrorKind::NotFound {
                    return Ok(None);
                }
                return Err(e);
            }
        };
        let Some(group) = found else { return Ok(None) };
        let tags = match group.db_subnet_group_arn() {
            Some(arn) => current_tags(&rds, arn).await?,
            None => Default::default(),
        };
        Ok(Some(observed(id, &group, prior, tags_value(tags))))
    }

    async fn create(&self, desired: &Attrs, _token: &CreateToken) -> Result<Observed, CreateError> {
        let rds = self.aws.rds().await?;
        let name = required(desired, "name")?;
        let created = rds
            .create_db_subnet_group()
            .db_subnet_group_name(name)
            .db_subnet_group_description(description(desired))
            .set_subnet_ids(Some(strings(desired, "subnet-ids")))
            .set_tags(to_tags(&string_map(desired, "tags")))
            .send()
            .await
            .map_err(|e| sdk("CreateDBSubnetGroup", e))?;
        let id = created
            .db_subnet_group()
            .and_then(|g| g.db_subnet_group_name())
            .unwrap_or(name)
            .to_owned();
        let read = self.read(&id, desired);
        finish_create(&id, read_back(read, "DB subnet group", &id, "after create")).await
    }

    /// A group is named by the spec: the group of that name (as AWS keeps it,
    /// lowercased, the id create returns) is what the create made.
    async fn find(
        &self,
        desired: &Attrs,
        _token: &CreateToken,
    ) -> Result<Option<Observed>, ProviderError> {
        let name = required(desired, "name")?.to_ascii_lowercase();
        self.read(&name, desired).await
    }

    async fn update(
        &self,
        id: &str,
        _prior: &Attrs,
        desired: &Attrs,
        changed: &[String],
    ) -> Result<Observed, ProviderError> {
        let rds = self.aws.rds().await?;
        let wanted_tags = string_map(desired, "tags");
        if changed.iter().any(|c| c == "tags") {
            let arn = match self.read(id, desired).await? {
                Some(o) => string(&o.attributes, "arn").map(str::to_owned),
                None => None,
            }
            .ok_or_else(|| ProviderError::other(format!("DB subnet group {id} vanished")))?;
            sync_tags(&rds, &arn, &wanted_tags).await?;
        }
        if changed
            .iter()
            .any(|c| c == "description" || c == "subnet-ids")
        {
            let out = rds
                .modify_db_subnet_group()
                .db_subnet_group_name(id)
                .db_subnet_group_description(description(desired))
                .set_subnet_ids(Some(strings(desired, "subnet-ids")))
                .send()
                .await
                .map_err(|e| sdk("ModifyDBSubnetGroup", e))?;
            let group = out.db_subnet_group().ok_or_else(|| {
                ProviderError::other("ModifyDBSubnetGroup returned no DB subnet group")
            })?;
            // The answer describes the modified group; its tags are the ones just
            // made to match the spec (or unchanged, and then equal to it).
            return Ok(observed(id, group, desired, tags_value(wanted_tags)));
        }
        read_back(
            self.read(id, desired),
            "DB subnet group",
            id,
            "during update",
        )
        .await
    }

    async fn delete(&self, id: &str, _prior: &Attrs) -> Result<(), ProviderError> {
        let rds = self.aws.rds().await?;
        match rds
            .delete_db_subnet_group()
            .db_subnet_group_name(id)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = sdk("DeleteDBSubnetGroup", e);
                if e.kind == ErrorKind::NotFound {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }
}

fn description(desired: &Attrs) -> &str {
    string(desired, "description").unwrap_or(DEFAULT_DESCRIPTION)
}

/// The group as AWS describes it, in the spec's shape.
fn observed(id: &str, group: &DbSubnetGroup, prior: &Attrs, tags: Value) -> Observed {
    let subnets = group
        .subnets()
        .iter()
        .filter_map(|s| s.subnet_identifier().map(str::to_owned))
        .collect();
    let mut out = Out::new();
    out.set(
        "name",
        as_written(
            group.db_subnet_group_name().unwrap_or(id),
            string(prior, "name"),
        ),
    )
    .str("description", group.db_subnet_group_description())
    .set("subnet-ids", string_set(subnets, prior.get("subnet-ids")))
    .set("tags", tags)
    .str("arn", group.db_subnet_group_arn())
    .str("vpc-id", group.vpc_id());
    Observed::new(id, out.into_attrs())
}

const DEFAULT_DESCRIPTION: &str = "Managed by strata";

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "A DB subnet group.",
        vec![
            Attribute::required("name", Type::String)
                .force_new()
                .doc("The group name (lowercase; AWS lowercases it), what `rds.instance` takes as `db-subnet-group-name`."),
            Attribute::optional("description", Type::String)
                .default(DEFAULT_DESCRIPTION)
                .doc("The group description (changed in place)."),
            Attribute::required("subnet-ids", Type::list(Type::String))
                .doc("The subnets, covering at least two availability zones (changed in place; a subnet an instance uses cannot be removed)."),
            tags(),
            Attribute::computed("arn", Type::String).doc("The subnet group ARN."),
            Attribute::computed("vpc-id", Type::String)
                .doc("The VPC of the subnets."),
        ],
    )
});
