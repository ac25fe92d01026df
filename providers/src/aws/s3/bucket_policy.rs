//! `s3.bucket-policy`: the resource policy of one bucket, written either as a JSON
//! document (`policy`) or as `statement` blocks that strata renders to the same JSON.
//!
//! Maps to PutBucketPolicy / GetBucketPolicy / DeleteBucketPolicy. A bucket has a single
//! policy, so this resource owns it whole. Force-new: `bucket`. Read compares documents
//! semantically (key order, single value vs one-element list), never as text.

use std::sync::LazyLock;

use strata_engine::{Attribute, BlockSchema, Constraint, Schema, Type};

/// The `s3.bucket-policy` resource type.
pub struct BucketPolicy {
    pub(crate) aws: crate::aws::client::Aws,
}

crate::aws::schema_only!(resource BucketPolicy, "s3.bucket-policy", SCHEMA);

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "The policy of an S3 bucket: a JSON document or statement blocks.",
        vec![
            Attribute::required("bucket", Type::String)
                .force_new()
                .doc("The name of the bucket the policy applies to."),
            Attribute::optional("policy", Type::Json)
                .doc("The whole policy as a JSON document (`Version` 2012-10-17). Exclusive with `statement`."),
            Attribute::optional("statement", Type::block(statement()))
                .repeated()
                .doc("A policy statement, named by its optional argument (the Sid). Strata renders the statements into the policy document (Version 2012-10-17)."),
            Attribute::computed("id", Type::String)
                .doc("The name of the bucket the policy is attached to."),
        ],
    )
    .with_constraint(Constraint::ExactlyOneOf(vec!["policy", "statement"]))
});

fn statement() -> BlockSchema {
    BlockSchema::new(vec![
        Attribute::optional("sid", Type::String)
            .doc("The statement id (its argument): `statement AllowCloudFront { ... }`."),
        Attribute::optional("effect", Type::one_of(&["Allow", "Deny"]))
            .default("Allow")
            .doc("Allow or Deny."),
        Attribute::required("actions", Type::list(Type::String))
            .doc("The actions, e.g. `\"s3:GetObject\"` (wildcards allowed)."),
        Attribute::required("resources", Type::list(Type::String))
            .doc("The ARNs the statement covers: the bucket ARN and/or `ARN/*` for its objects."),
        Attribute::required("principal", Type::block(principal()))
            .doc("Who the statement applies to: `principal { service cloudfront.amazonaws.com }`; `principal { aws \"*\" }` is everyone."),
        Attribute::optional("condition", Type::block(condition()))
            .repeated()
            .doc("A condition, its argument the operator: `condition StringEquals variable=\"AWS:SourceArn\" { values ... }`. All conditions must hold."),
    ])
    .with_args("sid")
}

fn principal() -> BlockSchema {
    BlockSchema::new(vec![
        Attribute::optional("service", Type::list(Type::String))
            .doc("AWS service principals, e.g. `cloudfront.amazonaws.com`."),
        Attribute::optional("aws", Type::list(Type::String))
            .doc("AWS principals: account ids, user or role ARNs, or `*` for anyone."),
    ])
}

fn condition() -> BlockSchema {
    BlockSchema::new(vec![
        Attribute::required("test", Type::String)
            .doc("The condition operator (its argument): StringEquals, StringLike, ArnLike, Bool, IpAddress..."),
        Attribute::required("variable", Type::String)
            .doc("The context key tested, e.g. `AWS:SourceArn` or `aws:SecureTransport`."),
        Attribute::required("values", Type::list(Type::String))
            .doc("The values compared with the key; the condition holds when any one matches."),
    ])
    .with_args("test")
}
