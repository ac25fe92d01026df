//! EC2 lookups: read-only data sources for AMIs, VPCs, subnets and availability zones
//! owned elsewhere. Their settable attributes are filters, their computed attributes
//! what was found; a lookup that finds nothing (or, where one result is expected,
//! several) is an error at plan time.

use std::sync::Arc;

use strata_engine::{Attribute, BlockSchema, Registry, Type};

mod ami;
mod availability_zones;
mod subnets;
mod vpc;

pub use ami::Ami;
pub use availability_zones::AvailabilityZones;
pub use subnets::Subnets;
pub use vpc::Vpc;

pub fn register(registry: &mut Registry, aws: &crate::aws::client::Aws) {
    registry.register_lookup(Arc::new(Ami { aws: aws.clone() }));
    registry.register_lookup(Arc::new(AvailabilityZones { aws: aws.clone() }));
    registry.register_lookup(Arc::new(Subnets { aws: aws.clone() }));
    registry.register_lookup(Arc::new(Vpc { aws: aws.clone() }));
}

/// The `filter` block of the EC2 Describe* calls, shared by every EC2 lookup:
/// `filter architecture { values x86_64 }` or `filter "tag:Tier" { values public }`.
pub(crate) fn filter() -> Attribute {
    Attribute::optional(
        "filter",
        Type::block(
            BlockSchema::new(vec![
                Attribute::required("name", Type::String)
                    .doc("The EC2 filter name (its argument), e.g. `architecture` or `tag:Name`."),
                Attribute::required("values", Type::list(Type::String))
                    .doc("Accepted values; `*` and `?` are wildcards."),
            ])
            .with_args("name"),
        ),
    )
    .repeated()
    .doc("A raw EC2 API filter, its argument the filter name: `filter architecture { values x86_64 }`. All filters must match.")
}

/// The EC2 API filters a lookup's attributes ask for: one `tag:KEY` filter per tag,
/// then every `filter` block as written.
pub(crate) fn api_filters(
    filters: &strata_engine::provider::Attrs,
) -> Vec<aws_sdk_ec2::types::Filter> {
    use crate::aws::attrs::{blocks, string, string_map, strings};
    let mut out: Vec<aws_sdk_ec2::types::Filter> = string_map(filters, "tags")
        .into_iter()
        .map(|(k, v)| {
            aws_sdk_ec2::types::Filter::builder()
                .name(format!("tag:{k}"))
                .values(v)
                .build()
        })
        .collect();
    for block in blocks(filters, "filter") {
        if let Some(name) = string(block, "name") {
            out.push(
                aws_sdk_ec2::types::Filter::builder()
                    .name(name)
                    .set_values(Some(strings(block, "values")))
                    .build(),
            );
        }
    }
    out
}

/// The filters a lookup was given, as `name=value` text for an error message.
pub(crate) fn describe_filters(filters: &strata_engine::provider::Attrs) -> String {
    use strata_engine::Value;
    let text: Vec<String> = filters
        .iter()
        .filter(|(_, v)| !matches!(v, Value::Null))
        .map(|(k, v)| format!("{k}={}", render(v)))
        .collect();
    if text.is_empty() {
        "no filters".to_owned()
    } else {
        text.join(" ")
    }
}

fn render(v: &strata_engine::Value) -> String {
    use strata_engine::Value;
    match v {
        Value::List(items) => format!(
            "[{}]",
            items.iter().map(render).collect::<Vec<_>>().join(", ")
        ),
        Value::Map(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{k}={}", render(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => crate::aws::attrs::value_string(other).unwrap_or_else(|| "null".to_owned()),
    }
}
