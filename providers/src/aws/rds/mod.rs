//! Amazon RDS: DB subnet groups and DB instances.
//!
//! Both types are named by their identifier (AWS lowercases it), which is also how
//! `find` knows what an interrupted create made, and tagged through
//! their ARN (AddTagsToResource / RemoveTagsFromResource); the helpers here keep the
//! tags of either type exactly as the spec writes them, AWS-managed `aws:` tags aside.

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_sdk_rds::types::Tag;
use strata_engine::provider::ProviderError;
use strata_engine::{Registry, Value};

use crate::aws::attrs::tags_value;
use crate::aws::error::sdk;

mod instance;
mod subnet_group;

pub use instance::Instance;
pub use subnet_group::SubnetGroup;

pub fn register(registry: &mut Registry, aws: &crate::aws::client::Aws) {
    registry.register(Arc::new(Instance { aws: aws.clone() }));
    registry.register(Arc::new(SubnetGroup { aws: aws.clone() }));
}

/// The tags to create a resource with (None: no tags).
pub(crate) fn to_tags(tags: &BTreeMap<String, String>) -> Option<Vec<Tag>> {
    (!tags.is_empty()).then(|| {
        tags.iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect()
    })
}

/// The tags AWS returned as the `tags` attribute, without AWS's own (`aws:`).
pub(crate) fn tags_of(tags: &[Tag]) -> Value {
    tags_value(tags.iter().filter_map(|t| {
        let key = t.key()?;
        (!key.starts_with("aws:")).then(|| (key.to_owned(), t.value().unwrap_or("").to_owned()))
    }))
}

/// The tags of the resource `arn` now, AWS's own left out.
pub(crate) async fn current_tags(
    rds: &aws_sdk_rds::Client,
    arn: &str,
) -> Result<BTreeMap<String, String>, ProviderError> {
    let out = rds
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map_err(|e| sdk("ListTagsForResource", e))?;
    Ok(out
        .tag_list()
        .iter()
        .filter_map(|t| {
            let key = t.key()?;
            (!key.starts_with("aws:")).then(|| (key.to_owned(), t.value().unwrap_or("").to_owned()))
        })
        .collect())
}

/// Makes the tags of resource `arn` exactly `desired`: removes the keys AWS has that
/// are not wanted (added outside strata included), writes the new and changed ones.
pub(crate) async fn sync_tags(
    rds: &aws_sdk_rds::Client,
    arn: &str,
    desired: &BTreeMap<String, String>,
) -> Result<(), ProviderError> {
    let before = current_tags(rds, arn).await?;
    let removed: Vec<String> = before
        .keys()
        .filter(|k| !desired.contains_key(*k))
        .cloned()
        .collect();
    if !removed.is_empty() {
        rds.remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(|e| sdk("RemoveTagsFromResource", e))?;
    }
    let changed: BTreeMap<String, String> = desired
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Some(tags) = to_tags(&changed) {
        rds.add_tags_to_resource()
            .resource_name(arn)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| sdk("AddTagsToResource", e))?;
    }
    Ok(())
}

/// A name AWS lowercased, written back as the spec wrote it when they agree.
pub(crate) fn as_written(observed: &str, prior: Option<&str>) -> String {
    match prior {
        Some(p) if p.eq_ignore_ascii_case(observed) => p.to_owned(),
        _ => observed.to_owned(),
    }
}
