//! `lookup ec2.vpc`: finds one existing VPC, by id, as the region's default VPC, by
//! CIDR block, by tags or by filters.
//!
//! Maps to DescribeVpcs (VpcIds, Filters `is-default`, `cidr`, `tag:KEY`, raw `filter`
//! blocks) and DescribeRouteTables for the main route table. Exactly one VPC must
//! match: none is a `NotFound` error naming the filters, several an error listing them.
//! Its `tags` are the VPC's own (all of them, the filter being a subset match).

use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_ec2::types::Filter;
use strata_engine::provider::{Attrs, ErrorKind, Observed, ProviderError};
use strata_engine::{Attribute, LookupType, Schema, Type};

use super::{api_filters, describe_filters, filter};
use crate::aws::attrs::{Out, boolean, string};
use crate::aws::ec2::tags_of;
use crate::aws::error::sdk;
use crate::aws::tags;

/// The `ec2.vpc` lookup type.
pub struct Vpc {
    pub(crate) aws: crate::aws::client::Aws,
}

#[async_trait]
impl LookupType for Vpc {
    fn type_name(&self) -> &'static str {
        "ec2.vpc"
    }

    fn schema(&self) -> &Schema {
        &SCHEMA
    }

    async fn read(&self, filters: &Attrs) -> Result<Observed, ProviderError> {
        let ec2 = self.aws.ec2().await?;
        let mut api = api_filters(filters);
        if let Some(default) = boolean(filters, "default") {
            api.push(
                Filter::builder()
                    .name("is-default")
                    .values(default.to_string())
                    .build(),
            );
        }
        if let Some(cidr) = string(filters, "cidr-block") {
            api.push(Filter::builder().name("cidr").values(cidr).build());
        }
        let out = ec2
            .describe_vpcs()
            .set_vpc_ids(string(filters, "id").map(|id| vec![id.to_owned()]))
            .set_filters(Some(api).filter(|f| !f.is_empty()))
            .send()
            .await
            .map_err(|e| {
                let e = sdk("DescribeVpcs", e);
                if e.kind == ErrorKind::NotFound {
                    no_match(filters)
                } else {
                    e
                }
            })?;
        let vpcs = out.vpcs();
        let vpc = match vpcs {
            [] => return Err(no_match(filters)),
            [one] => one,
            several => {
                let ids: Vec<&str> = several.iter().filter_map(|v| v.vpc_id()).collect();
                return Err(ProviderError::other(format!(
                    "{} VPCs match ({}): {}; narrow the filters to one",
                    ids.len(),
                    describe_filters(filters),
                    ids.join(", ")
                )));
            }
        };
        let id = vpc
            .vpc_id()
            .ok_or_else(|| ProviderError::other("DescribeVpcs returned a VPC without id"))?;
        let main = ec2
            .describe_route_tables()
            .filters(Filter::builder().name("vpc-id").values(id).build())
            .filters(
                Filter::builder()
                    .name("association.main")
                    .values("true")
                    .build(),
            )
            .send()
            .await
            .map_err(|e| sdk("DescribeRouteTables", e))?;
        let region = self.aws.region().await?;
        let owner = vpc.owner_id().unwrap_or_default();
        let mut attrs = Out::new();
        attrs
            .set("id", id)
            .set("default", vpc.is_default().unwrap_or(false))
            .str("cidr-block", vpc.cidr_block())
            .set("tags", tags_of(vpc.tags()))
            .set("arn", format!("arn:aws:ec2:{region}:{owner}:vpc/{id}"))
            .str(
                "main-route-table-id",
                main.route_tables().first().and_then(|t| t.route_table_id()),
            )
            .str("owner-id", vpc.owner_id());
        if let Some(f) = filters.get("filter") {
            attrs.set("filter", f.clone());
        }
        Ok(Observed::new(id, attrs.into_attrs()))
    }
}

fn no_match(filters: &Attrs) -> ProviderError {
    ProviderError::new(
        ErrorKind::NotFound,
        None,
        format!("no VPC matches ({})", describe_filters(filters)),
    )
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "Finds a VPC.",
        vec![
            Attribute::optional_computed("id", Type::String)
                .doc("The VPC id to find (`vpc-...`); found when searching otherwise."),
            Attribute::optional_computed("default", Type::Bool)
                .doc("`default #true` finds the region's default VPC."),
            Attribute::optional_computed("cidr-block", Type::String)
                .doc("The primary IPv4 range to match; found when searching otherwise."),
            tags().doc("Tags the VPC must carry (a subset match): `tags Name=main`."),
            filter(),
            Attribute::computed("arn", Type::String).doc("The VPC ARN."),
            Attribute::computed("main-route-table-id", Type::String)
                .doc("The VPC's main route table."),
            Attribute::computed("owner-id", Type::String).doc("The account that owns the VPC."),
        ],
    )
});
