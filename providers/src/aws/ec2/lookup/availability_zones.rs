//! `lookup ec2.availability-zones`: the availability zones of the environment's region.
//!
//! Maps to DescribeAvailabilityZones (Filter `state`); Local Zones and Wavelength Zones
//! that the account has not opted into are left out (AWS's default answer). `names` is
//! sorted and `zone-ids` follows the same order. No zone in the state asked for is an
//! error. The lookup's id is the region.

use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_ec2::types::Filter;
use strata_engine::provider::{Attrs, ErrorKind, Observed, ProviderError};
use strata_engine::{Attribute, LookupType, Schema, Type, Value};

use crate::aws::attrs::string;
use crate::aws::error::sdk;

/// The `ec2.availability-zones` lookup type.
pub struct AvailabilityZones {
    pub(crate) aws: crate::aws::client::Aws,
}

#[async_trait]
impl LookupType for AvailabilityZones {
    fn type_name(&self) -> &'static str {
        "ec2.availability-zones"
    }

    fn schema(&self) -> &Schema {
        &SCHEMA
    }

    async fn read(&self, filters: &Attrs) -> Result<Observed, ProviderError> {
        let ec2 = self.aws.ec2().await?;
        let state = string(filters, "state").unwrap_or("available");
        let out = ec2
            .describe_availability_zones()
            .filters(Filter::builder().name("state").values(state).build())
            .send()
            .await
            .map_err(|e| sdk("DescribeAvailabilityZones", e))?;
        let mut zones: Vec<(String, String)> = out
            .availability_zones()
            .iter()
            .filter(|z| z.state().is_none_or(|s| s.as_str() == state))
            .filter_map(|z| {
                Some((
                    z.zone_name()?.to_owned(),
                    z.zone_id().unwrap_or_default().to_owned(),
                ))
            })
            .collect();
        zones.sort();
        let region = self.aws.region().await?;
        if zones.is_empty() {
            return Err(ProviderError::new(
                ErrorKind::NotFound,
                None,
                format!("no availability zone of {region} is in state {state}"),
            ));
        }
        let mut attrs = filters.clone();
        attrs.insert("state".into(), Value::from(state));
        attrs.insert(
            "names".into(),
            Value::List(zones.iter().map(|(n, _)| Value::from(n.as_str())).collect()),
        );
        attrs.insert(
            "zone-ids".into(),
            Value::List(zones.iter().map(|(_, i)| Value::from(i.as_str())).collect()),
        );
        Ok(Observed::new(region, attrs))
    }
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "Lists the region's availability zones.",
        vec![
            Attribute::optional(
                "state",
                Type::one_of(&["available", "information", "impaired", "unavailable"]),
            )
            .default("available")
            .doc("Only zones in this state."),
            Attribute::computed("names", Type::list(Type::String))
                .doc("The zone names, sorted: `eu-west-3a`, `eu-west-3b`..."),
            Attribute::computed("zone-ids", Type::list(Type::String))
                .doc("The zone ids in the same order: `euw3-az1`..."),
        ],
    )
});
