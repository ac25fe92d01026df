//! `cloudfront.origin-access-control`: lets a distribution sign its requests to a
//! private origin (an S3 bucket whose policy admits only that distribution).
//!
//! Maps to CreateOriginAccessControl / GetOriginAccessControl /
//! UpdateOriginAccessControl (with the ETag as IfMatch) / DeleteOriginAccessControl.
//! No force-new attribute: everything is updatable.

use std::sync::LazyLock;

use strata_engine::{Attribute, Schema, Type};

/// The `cloudfront.origin-access-control` resource type.
pub struct OriginAccessControl {
    pub(crate) aws: crate::aws::client::Aws,
}

crate::aws::schema_only!(resource OriginAccessControl, "cloudfront.origin-access-control", SCHEMA);

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "A CloudFront origin access control (the successor of origin access identities).",
        vec![
            Attribute::required("name", Type::String)
                .doc("The name, unique in the account (up to 64 characters)."),
            Attribute::optional("description", Type::String)
                .doc("A description."),
            Attribute::required(
                "origin-type",
                Type::one_of(&["s3", "mediastore", "mediapackagev2", "lambda"]),
            )
            .doc("The kind of origin it signs for."),
            Attribute::optional(
                "signing-behavior",
                Type::one_of(&["always", "never", "no-override"]),
            )
            .default("always")
            .doc("`always` sign requests (the usual choice), `never`, or `no-override` (sign unless the viewer sent an Authorization header)."),
            Attribute::optional("signing-protocol", Type::one_of(&["sigv4"]))
                .default("sigv4")
                .doc("The signing protocol; only `sigv4` exists."),
            Attribute::computed("id", Type::String)
                .doc("The origin access control id, what an origin's `origin-access-control-id` takes."),
            Attribute::computed("etag", Type::String)
                .doc("The current version, sent back on update and delete."),
        ],
    )
});
