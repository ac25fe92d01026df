//! `s3.bucket`: an S3 bucket together with the bucket-level settings AWS manages through
//! separate sub-resource APIs (versioning, default encryption, public access block,
//! lifecycle, website, CORS, tagging).
//!
//! Maps to CreateBucket / HeadBucket / DeleteBucket plus PutBucketVersioning,
//! PutBucketEncryption, PutPublicAccessBlock, PutBucketLifecycleConfiguration,
//! PutBucketWebsite, PutBucketCors and PutBucketTagging (and their Get/Delete pairs).
//! Force-new: `bucket` (a bucket cannot be renamed). `force-destroy` is strata's own:
//! it empties the bucket (every object version) before DeleteBucket.

use std::sync::LazyLock;

use strata_engine::{Attribute, BlockSchema, Constraint, Schema, Type};

use crate::aws::tags;

/// The `s3.bucket` resource type.
pub struct Bucket {
    pub(crate) aws: crate::aws::client::Aws,
}

crate::aws::schema_only!(resource Bucket, "s3.bucket", SCHEMA);

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "An S3 bucket with its versioning, default encryption, public access block, \
         lifecycle rules, website and CORS configuration.",
        vec![
            Attribute::required("bucket", Type::String)
                .force_new()
                .doc("The bucket name, globally unique (3-63 lowercase letters, digits, dots, hyphens)."),
            Attribute::optional("force-destroy", Type::Bool)
                .default(false)
                .doc("Delete every object and object version before deleting the bucket; without it, destroying a non-empty bucket fails."),
            Attribute::optional("versioning", Type::Bool)
                .default(false)
                .doc("Keep every version of every object. Turning it off suspends versioning (S3 cannot return to unversioned)."),
            Attribute::optional_computed("encryption", Type::block(encryption()))
                .doc("Default server-side encryption of new objects: `encryption AES256` or `encryption \"aws:kms\" kms-key-id=...`. When absent, AWS applies SSE-S3 (AES256), read back here."),
            Attribute::optional_computed("public-access-block", Type::block(public_access_block()))
                .doc("The bucket's public access block. Every setting defaults to #true, so `public-access-block` alone blocks all public access. When absent, the settings AWS applied are read back (new buckets block everything)."),
            Attribute::optional("lifecycle-rule", Type::block(lifecycle_rule()))
                .repeated()
                .doc("A lifecycle rule, named by its argument: `lifecycle-rule old-versions noncurrent-version-expiration-days=30`. Written rules are the bucket's whole lifecycle configuration."),
            Attribute::optional("website", Type::block(website()))
                .doc("Static website hosting: `website index-document=index.html error-document=error.html`."),
            Attribute::optional("cors-rule", Type::block(cors_rule()))
                .repeated()
                .doc("A CORS rule; written rules are the bucket's whole CORS configuration."),
            tags(),
            Attribute::computed("arn", Type::String).doc("The bucket ARN, `arn:aws:s3:::NAME`."),
            Attribute::computed("bucket-domain-name", Type::String)
                .doc("The global domain name, `NAME.s3.amazonaws.com`."),
            Attribute::computed("bucket-regional-domain-name", Type::String)
                .doc("The regional domain name, `NAME.s3.REGION.amazonaws.com`: the one to use as a CloudFront origin."),
            Attribute::computed("region", Type::String)
                .doc("The region the bucket lives in (the environment's region)."),
        ],
    )
});

fn encryption() -> BlockSchema {
    BlockSchema::new(vec![
        Attribute::required("algorithm", Type::one_of(&["AES256", "aws:kms", "aws:kms:dsse"]))
            .doc("`AES256` (SSE-S3, keys managed by S3), `aws:kms` (SSE-KMS) or `aws:kms:dsse` (dual-layer SSE-KMS)."),
        Attribute::optional("kms-key-id", Type::String)
            .doc("The KMS key (id or ARN) for `aws:kms`; when absent with `aws:kms`, the AWS-managed `aws/s3` key."),
        Attribute::optional("bucket-key-enabled", Type::Bool)
            .default(false)
            .doc("Use an S3 Bucket Key to cut KMS request costs (SSE-KMS only)."),
    ])
    .with_args("algorithm")
}

fn public_access_block() -> BlockSchema {
    BlockSchema::new(vec![
        Attribute::optional("block-public-acls", Type::Bool)
            .default(true)
            .doc("Refuse requests that set public ACLs on the bucket or its objects."),
        Attribute::optional("block-public-policy", Type::Bool)
            .default(true)
            .doc("Refuse bucket policies that grant public access."),
        Attribute::optional("ignore-public-acls", Type::Bool)
            .default(true)
            .doc("Ignore public ACLs already on the bucket and its objects."),
        Attribute::optional("restrict-public-buckets", Type::Bool)
            .default(true)
            .doc("Restrict access under a public policy to AWS services and the bucket owner's account."),
    ])
}

fn lifecycle_rule() -> BlockSchema {
    BlockSchema::new(vec![
        Attribute::required("id", Type::String)
            .doc("The rule's name (its argument), unique in the bucket."),
        Attribute::optional("enabled", Type::Bool)
            .default(true)
            .doc("Whether the rule applies."),
        Attribute::optional("prefix", Type::String)
            .doc("Apply the rule only to keys starting with this prefix; when absent, to the whole bucket."),
        Attribute::optional("expiration-days", Type::Int)
            .doc("Expire (delete, or add a delete marker when versioned) current objects this many days after creation."),
        Attribute::optional("noncurrent-version-expiration-days", Type::Int)
            .doc("Delete noncurrent object versions this many days after they become noncurrent."),
        Attribute::optional("abort-incomplete-multipart-upload-days", Type::Int)
            .doc("Abort multipart uploads still incomplete this many days after they started."),
    ])
    .with_args("id")
}

fn website() -> BlockSchema {
    BlockSchema::new(vec![
        Attribute::optional("index-document", Type::String)
            .doc("The suffix served for a request on a folder, e.g. `index.html`."),
        Attribute::optional("error-document", Type::String).doc("The key served on a 4xx error."),
        Attribute::optional("redirect-all-requests-to", Type::String)
            .doc("Redirect every request to this host name instead of serving objects."),
    ])
    .with_constraint(Constraint::ExactlyOneOf(vec![
        "index-document",
        "redirect-all-requests-to",
    ]))
}

fn cors_rule() -> BlockSchema {
    let methods = Type::one_of(&["GET", "PUT", "POST", "DELETE", "HEAD"]);
    BlockSchema::new(vec![
        Attribute::required("allowed-methods", Type::list(methods))
            .doc("The HTTP methods allowed from the origins: GET, PUT, POST, DELETE, HEAD."),
        Attribute::required("allowed-origins", Type::list(Type::String))
            .doc("The origins allowed, e.g. `https://www.example.com` (one `*` wildcard allowed)."),
        Attribute::optional("allowed-headers", Type::list(Type::String))
            .doc("Headers allowed in a preflight request (`Access-Control-Request-Headers`)."),
        Attribute::optional("expose-headers", Type::list(Type::String))
            .doc("Response headers the browser lets the page read."),
        Attribute::optional("max-age-seconds", Type::Int)
            .doc("How long a browser may cache the preflight response."),
    ])
}
