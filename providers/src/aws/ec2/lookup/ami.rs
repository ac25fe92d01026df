//! `lookup ec2.ami`: finds a machine image (AMI) by owner, name pattern and filters.
//!
//! Maps to DescribeImages (Owners, Filters; `name-filter` is the `name` filter).
//! `most-recent #true` picks the match with the latest creation date; without it, more
//! than one match is an error naming how many matched. No match is an error saying what
//! was searched. At least one of `owners`, `name-filter` or `filter` is required: an
//! unfiltered search of every public image is slow (and useless).

use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_ec2::types::Filter;
use strata_engine::provider::{Attrs, Observed, ProviderError};
use strata_engine::{Attribute, LookupType, Schema, Type};

use super::filter;
use crate::aws::attrs::{Out, blocks, boolean, string, strings};
use crate::aws::error::{invalid, sdk};

/// The `ec2.ami` lookup type.
pub struct Ami {
    pub(crate) aws: crate::aws::client::Aws,
}

#[async_trait]
impl LookupType for Ami {
    fn type_name(&self) -> &'static str {
        "ec2.ami"
    }

    fn schema(&self) -> &Schema {
        &SCHEMA
    }

    async fn read(&self, filters: &Attrs) -> Result<Observed, ProviderError> {
        let owners = strings(filters, "owners");
        let mut api_filters = Vec::new();
        if let Some(name) = string(filters, "name-filter") {
            api_filters.push(Filter::builder().name("name").values(name).build());
        }
        for f in blocks(filters, "filter") {
            if let Some(name) = string(f, "name") {
                api_filters.push(
                    Filter::builder()
                        .name(name)
                        .set_values(Some(strings(f, "values")))
                        .build(),
                );
            }
        }
        if owners.is_empty() && api_filters.is_empty() {
            return Err(invalid(
                "an AMI lookup needs `owners`, `name-filter` or a `filter`: searching every public image is too slow",
            ));
        }
        let searched = describe_search(&owners, filters);
        let ec2 = self.aws.ec2().await?;
        let found = ec2
            .describe_images()
            .set_owners(Some(owners).filter(|o| !o.is_empty()))
            .set_filters(Some(api_filters).filter(|f| !f.is_empty()))
            .send()
            .await
            .map_err(|e| sdk("DescribeImages", e))?;
        let mut images = found.images.unwrap_or_default();
        let image = match images.len() {
            0 => return Err(invalid(format!("no AMI matches {searched}"))),
            1 => images.remove(0),
            n if boolean(filters, "most-recent") == Some(true) => {
                images.sort_by(|a, b| a.creation_date().cmp(&b.creation_date()));
                images.remove(n - 1)
            }
            n => {
                return Err(invalid(format!(
                    "{n} AMIs match {searched}; narrow the search or set `most-recent #true`"
                )));
            }
        };
        let id = image
            .image_id()
            .ok_or_else(|| ProviderError::other("DescribeImages returned an image without id"))?
            .to_owned();
        let mut out = Out(filters.clone());
        out.set("id", id.as_str())
            .str("name", image.name())
            .str(
                "architecture",
                image.architecture().map(|a| a.as_str().to_owned()),
            )
            .str("creation-date", image.creation_date())
            .str("owner-id", image.owner_id())
            .str("description", image.description());
        Ok(Observed::new(id, out.into_attrs()))
    }
}

/// What was searched, for error messages.
fn describe_search(owners: &[String], filters: &Attrs) -> String {
    let mut parts = Vec::new();
    if !owners.is_empty() {
        parts.push(format!("owners {}", owners.join(", ")));
    }
    if let Some(name) = string(filters, "name-filter") {
        parts.push(format!("name `{name}`"));
    }
    for f in blocks(filters, "filter") {
        parts.push(format!(
            "{} in [{}]",
            string(f, "name").unwrap_or_default(),
            strings(f, "values").join(", ")
        ));
    }
    parts.join(", ")
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "Finds an AMI.",
        vec![
            Attribute::optional("owners", Type::list(Type::String))
                .doc("Owners to search: account ids, `self`, `amazon`, `aws-marketplace`."),
            Attribute::optional("name-filter", Type::String)
                .doc("A name pattern with `*` wildcards, e.g. `al2023-ami-2023.*-x86_64`."),
            filter(),
            Attribute::optional("most-recent", Type::Bool)
                .default(false)
                .doc("Pick the newest of several matches instead of failing."),
            Attribute::computed("id", Type::String).doc("The image id, `ami-...`."),
            Attribute::computed("name", Type::String).doc("The image name."),
            Attribute::computed("architecture", Type::String).doc("`x86_64`, `arm64`, `i386`..."),
            Attribute::computed("creation-date", Type::String)
                .doc("When the image was created (ISO 8601)."),
            Attribute::computed("owner-id", Type::String).doc("The account that owns the image."),
            Attribute::computed("description", Type::String).doc("The image description."),
        ],
    )
});
