//! `s3.object`: one object in a bucket, uploaded from a local file (`source`) or from
//! a string written in the spec (`content`).
//!
//! Maps to PutObject / HeadObject / DeleteObject (PutObjectTagging for tags; metadata
//! changes rewrite the object). Force-new: `bucket`, `key`. A change of the file's
//! content or of `content` is an in-place update (a new PutObject, a new version when
//! the bucket is versioned). `source` is a path relative to the spec folder.

use std::sync::LazyLock;

use strata_engine::{Attribute, Constraint, Schema, Type};

use crate::aws::tags;

/// The `s3.object` resource type.
pub struct Object {
    pub(crate) aws: crate::aws::client::Aws,
}

crate::aws::schema_only!(resource Object, "s3.object", SCHEMA);

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "An object in an S3 bucket, from a local file or from inline content.",
        vec![
            Attribute::required("bucket", Type::String)
                .force_new()
                .doc("The name of the bucket holding the object."),
            Attribute::required("key", Type::String)
                .force_new()
                .doc("The object key, e.g. `index.html` or `assets/logo.png` (no leading slash)."),
            Attribute::optional("source", Type::String)
                .doc("A local file to upload, relative to the spec folder; a change of its content is a change of the object. Exclusive with `content`."),
            Attribute::optional("content", Type::String)
                .doc("The object's content, written in the spec (UTF-8). Exclusive with `source`."),
            Attribute::optional_computed("content-type", Type::String)
                .doc("The Content-Type served; when absent, guessed from the key's extension (`binary/octet-stream` when unknown)."),
            Attribute::optional("cache-control", Type::String)
                .doc("The Cache-Control header served, e.g. `max-age=300`."),
            Attribute::optional("content-encoding", Type::String)
                .doc("The Content-Encoding header served, e.g. `gzip` for a pre-compressed file."),
            Attribute::optional("metadata", Type::map(Type::String))
                .doc("User metadata (`x-amz-meta-*` headers), written as properties."),
            tags(),
            Attribute::computed("etag", Type::String)
                .doc("The object's ETag (the MD5 of its content for a single-part upload)."),
            Attribute::computed("version-id", Type::String)
                .doc("The version written by the last apply, when the bucket is versioned."),
        ],
    )
    .with_constraint(Constraint::ExactlyOneOf(vec!["source", "content"]))
});
