//! `lookup ec2.subnets`: finds the ids of every subnet matching a VPC, a zone, tags and
//! filters (none found is an empty list, not an error: a VPC may have no subnet of a
//! kind yet).
//!
//! Maps to DescribeSubnets (Filters `vpc-id`, `availability-zone`, `tag:KEY`, raw
//! `filter` blocks), following every page. `ids` is sorted, so that the same subnets
//! always read the same. The lookup's id is the ids joined with commas (`none` when
//! empty).

use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_ec2::types::Filter;
use strata_engine::provider::{Attrs, Observed, ProviderError};
use strata_engine::{Attribute, LookupType, Schema, Type, Value};

use super::{api_filters, filter};
use crate::aws::attrs::string;
use crate::aws::error::sdk;
use crate::aws::tags;

/// The `ec2.subnets` lookup type.
pub struct Subnets {
    pub(crate) aws: crate::aws::client::Aws,
}

#[async_trait]
impl LookupType for Subnets {
    fn type_name(&self) -> &'static str {
        "ec2.subnets"
    }

    fn schema(&self) -> &Schema {
        &SCHEMA
    }

    async fn read(&self, filters: &Attrs) -> Result<Observed, ProviderError> {
        let ec2 = self.aws.ec2().await?;
        let mut api = api_filters(filters);
        if let Some(vpc) = string(filters, "vpc-id") {
            api.push(Filter::builder().name("vpc-id").values(vpc).build());
        }
        if let Some(zone) = string(filters, "availability-zone") {
            api.push(
                Filter::builder()
                    .name("availability-zone")
                    .values(zone)
                    .build(),
            );
        }
        let mut ids = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = ec2
                .describe_subnets()
                .set_filters(Some(api.clone()).filter(|f| !f.is_empty()))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| sdk("DescribeSubnets", e))?;
            ids.extend(
                out.subnets()
                    .iter()
                    .filter_map(|s| s.subnet_id().map(str::to_owned)),
            );
            match out.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => break,
            }
        }
        ids.sort();
        ids.dedup();
        let id = if ids.is_empty() {
            "none".to_owned()
        } else {
            ids.join(",")
        };
        let mut attrs = filters.clone();
        attrs.insert(
            "ids".into(),
            Value::List(ids.into_iter().map(Value::String).collect()),
        );
        Ok(Observed::new(id, attrs))
    }
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "Finds the subnets matching filters.",
        vec![
            Attribute::optional("vpc-id", Type::String).doc("Only subnets of this VPC."),
            Attribute::optional("availability-zone", Type::String)
                .doc("Only subnets in this zone."),
            tags().doc("Tags the subnets must carry (a subset match): `tags Tier=private`."),
            filter(),
            Attribute::computed("ids", Type::list(Type::String))
                .doc("The ids of the matching subnets, sorted."),
        ],
    )
});
