//! `lookup ec2.ami`: finds a machine image (AMI) by owner, name pattern and filters.
//!
//! Maps to DescribeImages (Owners, Filters). `most-recent #true` picks the newest match;
//! without it, more than one match is an error. Always give `owners` or a filter: an
//! unfiltered search of public images is slow.

use std::sync::LazyLock;

use strata_engine::{Attribute, Schema, Type};

use super::filter;

/// The `ec2.ami` lookup type.
pub struct Ami {
    pub(crate) aws: crate::aws::client::Aws,
}

crate::aws::schema_only!(lookup Ami, "ec2.ami", SCHEMA);

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
