//! `s3.bucket`: an S3 bucket together with the bucket-level settings AWS manages through
//! separate sub-resource APIs (versioning, default encryption, public access block,
//! lifecycle, website, CORS, tagging).
//!
//! Maps to CreateBucket (with a LocationConstraint outside us-east-1) / HeadBucket /
//! DeleteBucket plus PutBucketVersioning, PutBucketEncryption, PutPublicAccessBlock,
//! PutBucketLifecycleConfiguration, PutBucketWebsite, PutBucketCors and PutBucketTagging
//! (and their Get/Delete pairs). The id is the bucket name, which is also how `find`
//! knows what an interrupted create made. Force-new: `bucket` (a bucket cannot be
//! renamed).
//!
//! Read normalises every sub-configuration to the spec's shape: a getter answering
//! `NoSuch...` means "not set" (never "gone": only HeadBucket decides that); versioning
//! reads `#false` for both never-enabled and suspended; lifecycle and CORS rules keep the
//! spec's order when AWS holds the same rules; a setting the spec wrote that AWS no
//! longer has reads as an empty value, so that it shows as drift. `force-destroy` is
//! strata's own and never read back: when set, delete first removes every object
//! version and delete marker (page by page, DeleteObjects), then DeleteBucket; without
//! it a non-empty bucket fails with AWS's `BucketNotEmpty`.

use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketLocationConstraint,
    BucketVersioningStatus, CorsConfiguration, CorsRule, CreateBucketConfiguration, ErrorDocument,
    ExpirationStatus, IndexDocument, LifecycleExpiration, LifecycleRule, LifecycleRuleFilter,
    NoncurrentVersionExpiration, ObjectIdentifier, PublicAccessBlockConfiguration,
    RedirectAllRequestsTo, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging,
    VersioningConfiguration, WebsiteConfiguration,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use strata_engine::provider::{
    Attrs, CreateError, CreateToken, ErrorKind, Observed, ProviderError,
};
use strata_engine::{Attribute, BlockSchema, Constraint, ResourceType, Schema, Type, Value};

use super::{built, not_set};
use crate::aws::attrs::{
    Out, block, block_set, blocks, boolean, int, required, string, string_map, strings, tags_value,
};
use crate::aws::error::sdk;
use crate::aws::{finish_create, read_back, tags};

/// The `s3.bucket` resource type.
pub struct Bucket {
    pub(crate) aws: crate::aws::client::Aws,
}

/// The settings applied by sub-resource APIs, in the order they are applied.
const SETTINGS: &[&str] = &[
    "versioning",
    "encryption",
    "public-access-block",
    "lifecycle-rule",
    "website",
    "cors-rule",
    "tags",
];

#[async_trait]
impl ResourceType for Bucket {
    fn type_name(&self) -> &'static str {
        "s3.bucket"
    }

    fn schema(&self) -> &Schema {
        &SCHEMA
    }

    async fn read(&self, id: &str, prior: &Attrs) -> Result<Option<Observed>, ProviderError> {
        let s3 = self.aws.s3().await?;
        let head = match s3.head_bucket().bucket(id).send().await {
            Ok(head) => head,
            Err(e) => {
                let e = sdk("HeadBucket", e);
                if e.kind == ErrorKind::NotFound {
                    return Ok(None);
                }
                return Err(e);
            }
        };
        let (versioning, encryption, access, lifecycle, website, cors, tagging) = tokio::try_join!(
            versioning_status(&s3, id),
            async {
                maybe(
                    "GetBucketEncryption",
                    s3.get_bucket_encryption().bucket(id).send().await,
                )
            },
            async {
                maybe(
                    "GetPublicAccessBlock",
                    s3.get_public_access_block().bucket(id).send().await,
                )
            },
            async {
                maybe(
                    "GetBucketLifecycleConfiguration",
                    s3.get_bucket_lifecycle_configuration()
                        .bucket(id)
                        .send()
                        .await,
                )
            },
            async {
                maybe(
                    "GetBucketWebsite",
                    s3.get_bucket_website().bucket(id).send().await,
                )
            },
            async {
                maybe(
                    "GetBucketCors",
                    s3.get_bucket_cors().bucket(id).send().await,
                )
            },
            async {
                maybe(
                    "GetBucketTagging",
                    s3.get_bucket_tagging().bucket(id).send().await,
                )
            },
        )?;
        let region = match head.bucket_region() {
            Some(r) => r.to_owned(),
            None => self.aws.region().await?,
        };
        let had = |name: &str| prior.contains_key(name);
        let mut out = Out::new();
        out.set("bucket", id)
            .set("versioning", versioning.as_deref() == Some("Enabled"));

        let encryption = encryption.and_then(|e| {
            let rule = e
                .server_side_encryption_configuration()?
                .rules()
                .first()?
                .clone();
            let default = rule.apply_server_side_encryption_by_default()?;
            let mut m = Out::new();
            m.set("algorithm", default.sse_algorithm().as_str())
                .str("kms-key-id", default.kms_master_key_id())
                .set(
                    "bucket-key-enabled",
                    rule.bucket_key_enabled().unwrap_or(false),
                );
            Some(Value::Map(m.into_attrs()))
        });
        set_or_empty(&mut out, "encryption", encryption, had("encryption"));

        let access = access.and_then(|a| {
            let c = a.public_access_block_configuration()?;
            let mut m = Out::new();
            m.set("block-public-acls", c.block_public_acls().unwrap_or(false))
                .set(
                    "block-public-policy",
                    c.block_public_policy().unwrap_or(false),
                )
                .set(
                    "ignore-public-acls",
                    c.ignore_public_acls().unwrap_or(false),
                )
                .set(
                    "restrict-public-buckets",
                    c.restrict_public_buckets().unwrap_or(false),
                );
            Some(Value::Map(m.into_attrs()))
        });
        set_or_empty(
            &mut out,
            "public-access-block",
            access,
            had("public-access-block"),
        );

        let rules: Vec<Value> = lifecycle
            .map(|l| l.rules().iter().map(lifecycle_value).collect())
            .unwrap_or_default();
        if !rules.is_empty() || had("lifecycle-rule") {
            out.set(
                "lifecycle-rule",
                block_set(rules, prior.get("lifecycle-rule")),
            );
        }

        let website = website.and_then(|w| {
            let mut m = Out::new();
            m.str("index-document", w.index_document().map(|d| d.suffix()))
                .str("error-document", w.error_document().map(|d| d.key()))
                .str(
                    "redirect-all-requests-to",
                    w.redirect_all_requests_to().map(|r| r.host_name()),
                );
            let m = m.into_attrs();
            (!m.is_empty()).then_some(Value::Map(m))
        });
        set_or_empty(&mut out, "website", website, had("website"));

        let cors: Vec<Value> = cors
            .map(|c| c.cors_rules().iter().map(cors_value).collect())
            .unwrap_or_default();
        if !cors.is_empty() || had("cors-rule") {
            out.set("cors-rule", block_set(cors, prior.get("cors-rule")));
        }

        let tags: Vec<(String, String)> = tagging
            .map(|t| {
                t.tag_set()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        if !tags.is_empty() || had("tags") {
            out.set("tags", tags_value(tags));
        }

        out.set("arn", format!("arn:aws:s3:::{id}"))
            .set("bucket-domain-name", format!("{id}.s3.amazonaws.com"))
            .set(
                "bucket-regional-domain-name",
                format!("{id}.s3.{region}.amazonaws.com"),
            )
            .set("region", region);
        Ok(Some(Observed::new(id, out.into_attrs())))
    }

    async fn create(&self, desired: &Attrs, _token: &CreateToken) -> Result<Observed, CreateError> {
        let s3 = self.aws.s3().await?;
        let name = required(desired, "bucket")?.to_owned();
        let region = self.aws.region().await?;
        let mut call = s3.create_bucket().bucket(&name);
        // us-east-1 is the one region that refuses a LocationConstraint naming itself.
        if region != "us-east-1" {
            call = call.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region.as_str()))
                    .build(),
            );
        }
        call.send().await.map_err(|e| sdk("CreateBucket", e))?;
        finish_create(&name, async {
            self.configure(&s3, &name, desired, SETTINGS, true).await?;
            read_back(self.read(&name, desired), "bucket", &name, "after create").await
        })
        .await
    }

    /// A bucket is named by the spec: the bucket of that name is what the create made.
    /// (A name another account holds answers 403: an error, "cannot tell".)
    async fn find(
        &self,
        desired: &Attrs,
        _token: &CreateToken,
    ) -> Result<Option<Observed>, ProviderError> {
        self.read(required(desired, "bucket")?, desired).await
    }

    async fn update(
        &self,
        id: &str,
        _prior: &Attrs,
        desired: &Attrs,
        changed: &[String],
    ) -> Result<Observed, ProviderError> {
        let s3 = self.aws.s3().await?;
        let names: Vec<&str> = SETTINGS
            .iter()
            .copied()
            .filter(|s| changed.iter().any(|c| c == s))
            .collect();
        self.configure(&s3, id, desired, &names, false).await?;
        read_back(self.read(id, desired), "bucket", id, "during update").await
    }

    async fn delete(&self, id: &str, prior: &Attrs) -> Result<(), ProviderError> {
        let s3 = self.aws.s3().await?;
        if boolean(prior, "force-destroy") == Some(true) {
            empty(&s3, id).await?;
        }
        match s3.delete_bucket().bucket(id).send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = sdk("DeleteBucket", e);
                if e.kind == ErrorKind::NotFound {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }
}

impl Bucket {
    /// Applies the sub-configurations named in `names` as `desired` has them. An absent
    /// setting is deleted, except on create, where a new bucket has none of them (and
    /// encryption and the public access block keep AWS's defaults).
    async fn configure(
        &self,
        s3: &aws_sdk_s3::Client,
        name: &str,
        desired: &Attrs,
        names: &[&str],
        creating: bool,
    ) -> Result<(), ProviderError> {
        for setting in names {
            match *setting {
                "versioning" => {
                    let on = boolean(desired, "versioning").unwrap_or(false);
                    if creating && !on {
                        continue;
                    }
                    let status = if on {
                        BucketVersioningStatus::Enabled
                    } else {
                        BucketVersioningStatus::Suspended
                    };
                    s3.put_bucket_versioning()
                        .bucket(name)
                        .versioning_configuration(
                            VersioningConfiguration::builder().status(status).build(),
                        )
                        .send()
                        .await
                        .map_err(|e| sdk("PutBucketVersioning", e))?;
                }
                "encryption" => match block(desired, "encryption") {
                    Some(enc) => {
                        let mut default = ServerSideEncryptionByDefault::builder().sse_algorithm(
                            ServerSideEncryption::from(
                                string(enc, "algorithm").unwrap_or("AES256"),
                            ),
                        );
                        if let Some(key) = string(enc, "kms-key-id") {
                            default = default.kms_master_key_id(key);
                        }
                        let rule = ServerSideEncryptionRule::builder()
                            .apply_server_side_encryption_by_default(built(
                                "default encryption",
                                default.build(),
                            )?)
                            .bucket_key_enabled(boolean(enc, "bucket-key-enabled").unwrap_or(false))
                            .build();
                        s3.put_bucket_encryption()
                            .bucket(name)
                            .server_side_encryption_configuration(built(
                                "encryption configuration",
                                ServerSideEncryptionConfiguration::builder()
                                    .rules(rule)
                                    .build(),
                            )?)
                            .send()
                            .await
                            .map_err(|e| sdk("PutBucketEncryption", e))?;
                    }
                    None if creating => {}
                    None => {
                        s3.delete_bucket_encryption()
                            .bucket(name)
                            .send()
                            .await
                            .map_err(|e| sdk("DeleteBucketEncryption", e))?;
                    }
                },
                "public-access-block" => match block(desired, "public-access-block") {
                    Some(b) => {
                        let flag = |n: &str| boolean(b, n).unwrap_or(true);
                        s3.put_public_access_block()
                            .bucket(name)
                            .public_access_block_configuration(
                                PublicAccessBlockConfiguration::builder()
                                    .block_public_acls(flag("block-public-acls"))
                                    .block_public_policy(flag("block-public-policy"))
                                    .ignore_public_acls(flag("ignore-public-acls"))
                                    .restrict_public_buckets(flag("restrict-public-buckets"))
                                    .build(),
                            )
                            .send()
                            .await
                            .map_err(|e| sdk("PutPublicAccessBlock", e))?;
                    }
                    None if creating => {}
                    None => {
                        s3.delete_public_access_block()
                            .bucket(name)
                            .send()
                            .await
                            .map_err(|e| sdk("DeletePublicAccessBlock", e))?;
                    }
                },
                "lifecycle-rule" => {
                    let rules = blocks(desired, "lifecycle-rule");
                    if rules.is_empty() {
                        if !creating {
                            s3.delete_bucket_lifecycle()
                                .bucket(name)
                                .send()
                                .await
                                .map_err(|e| sdk("DeleteBucketLifecycle", e))?;
                        }
                        continue;
                    }
                    let mut config = BucketLifecycleConfiguration::builder();
                    for rule in rules {
                        config = config.rules(lifecycle_rule_of(rule)?);
                    }
                    s3.put_bucket_lifecycle_configuration()
                        .bucket(name)
                        .lifecycle_configuration(built("lifecycle configuration", config.build())?)
                        .send()
                        .await
                        .map_err(|e| sdk("PutBucketLifecycleConfiguration", e))?;
                }
                "website" => match block(desired, "website") {
                    Some(w) => {
                        let mut config = WebsiteConfiguration::builder();
                        if let Some(index) = string(w, "index-document") {
                            config = config.index_document(built(
                                "index document",
                                IndexDocument::builder().suffix(index).build(),
                            )?);
                        }
                        if let Some(error) = string(w, "error-document") {
                            config = config.error_document(built(
                                "error document",
                                ErrorDocument::builder().key(error).build(),
                            )?);
                        }
                        if let Some(host) = string(w, "redirect-all-requests-to") {
                            config = config.redirect_all_requests_to(built(
                                "website redirect",
                                RedirectAllRequestsTo::builder().host_name(host).build(),
                            )?);
                        }
                        s3.put_bucket_website()
                            .bucket(name)
                            .website_configuration(config.build())
                            .send()
                            .await
                            .map_err(|e| sdk("PutBucketWebsite", e))?;
                    }
                    None if creating => {}
                    None => {
                        s3.delete_bucket_website()
                            .bucket(name)
                            .send()
                            .await
                            .map_err(|e| sdk("DeleteBucketWebsite", e))?;
                    }
                },
                "cors-rule" => {
                    let rules = blocks(desired, "cors-rule");
                    if rules.is_empty() {
                        if !creating {
                            s3.delete_bucket_cors()
                                .bucket(name)
                                .send()
                                .await
                                .map_err(|e| sdk("DeleteBucketCors", e))?;
                        }
                        continue;
                    }
                    let mut config = CorsConfiguration::builder();
                    for rule in rules {
                        config = config.cors_rules(cors_rule_of(rule)?);
                    }
                    s3.put_bucket_cors()
                        .bucket(name)
                        .cors_configuration(built("CORS configuration", config.build())?)
                        .send()
                        .await
                        .map_err(|e| sdk("PutBucketCors", e))?;
                }
                "tags" => {
                    let tags = string_map(desired, "tags");
                    if tags.is_empty() {
                        if !creating {
                            s3.delete_bucket_tagging()
                                .bucket(name)
                                .send()
                                .await
                                .map_err(|e| sdk("DeleteBucketTagging", e))?;
                        }
                        continue;
                    }
                    let mut tagging = Tagging::builder();
                    for (k, v) in tags {
                        tagging =
                            tagging.tag_set(built("tag", Tag::builder().key(k).value(v).build())?);
                    }
                    s3.put_bucket_tagging()
                        .bucket(name)
                        .tagging(built("tag set", tagging.build())?)
                        .send()
                        .await
                        .map_err(|e| sdk("PutBucketTagging", e))?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Removes every object version and delete marker from a bucket, page by page.
async fn empty(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<(), ProviderError> {
    loop {
        let page = match s3.list_object_versions().bucket(bucket).send().await {
            Ok(page) => page,
            Err(e) => {
                let e = sdk("ListObjectVersions", e);
                if e.kind == ErrorKind::NotFound {
                    return Ok(());
                }
                return Err(e);
            }
        };
        let mut ids = Vec::new();
        for v in page.versions() {
            if let Some(key) = v.key() {
                ids.push((key.to_owned(), v.version_id().map(str::to_owned)));
            }
        }
        for m in page.delete_markers() {
            if let Some(key) = m.key() {
                ids.push((key.to_owned(), m.version_id().map(str::to_owned)));
            }
        }
        if ids.is_empty() {
            return Ok(());
        }
        let mut delete = aws_sdk_s3::types::Delete::builder().quiet(true);
        for (key, version) in ids {
            delete = delete.objects(built(
                "object identifier",
                ObjectIdentifier::builder()
                    .key(key)
                    .set_version_id(version)
                    .build(),
            )?);
        }
        let out = s3
            .delete_objects()
            .bucket(bucket)
            .delete(built("delete request", delete.build())?)
            .send()
            .await
            .map_err(|e| sdk("DeleteObjects", e))?;
        if let Some(failed) = out.errors().first() {
            return Err(ProviderError::new(
                ErrorKind::Other,
                failed.code().map(str::to_owned),
                format!(
                    "could not delete {} from bucket {bucket} while emptying it: {} (in DeleteObjects)",
                    failed.key().unwrap_or("an object"),
                    failed.message().unwrap_or("no message")
                ),
            ));
        }
    }
}

/// The bucket's versioning status (`Enabled`, `Suspended`, None when never set).
///
/// An answer of HTTP 200 that the SDK cannot parse is read for its `<Status>` element:
/// moto (5.2.5) names the XML root `GetBucketVersioningResponse` instead of AWS's
/// `VersioningConfiguration`, which the SDK refuses; the element inside is the same.
async fn versioning_status(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<Option<String>, ProviderError> {
    match s3.get_bucket_versioning().bucket(bucket).send().await {
        Ok(out) => Ok(out.status().map(|s| s.as_str().to_owned())),
        Err(e) => {
            let raw = match &e {
                SdkError::ServiceError(se) => Some(se.raw()),
                SdkError::ResponseError(re) => Some(re.raw()),
                _ => None,
            };
            let body = raw
                .filter(|r| r.status().as_u16() == 200)
                .and_then(|r| r.body().bytes())
                .map(|b| String::from_utf8_lossy(b).into_owned());
            match body {
                Some(body) if body.contains("Versioning") => Ok(xml_element(&body, "Status")),
                _ => Err(sdk("GetBucketVersioning", e)),
            }
        }
    }
}

/// The text of the first `<name>` element of an XML document.
fn xml_element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(xml[start..end].trim().to_owned()).filter(|s| !s.is_empty())
}

/// The result of a sub-configuration getter, None when that configuration is not set.
fn maybe<T, E>(
    operation: &str,
    result: Result<T, SdkError<E, HttpResponse>>,
) -> Result<Option<T>, ProviderError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) => {
            let e = sdk(operation, e);
            if not_set(&e) { Ok(None) } else { Err(e) }
        }
    }
}

/// Sets a single-block setting read back; when AWS has none but the last apply wrote
/// one, an empty block, so that its removal outside strata shows as a change.
fn set_or_empty(out: &mut Out, name: &str, value: Option<Value>, had: bool) {
    match value {
        Some(v) => {
            out.set(name, v);
        }
        None if had => {
            out.set(name, Value::Map(Attrs::new()));
        }
        None => {}
    }
}

fn lifecycle_value(rule: &LifecycleRule) -> Value {
    // A rule written before filters existed (by another tool) has a top-level prefix.
    #[allow(deprecated)]
    let prefix = rule
        .filter()
        .and_then(|f| f.prefix())
        .or(rule.prefix())
        .filter(|p| !p.is_empty());
    let mut m = Out::new();
    m.str("id", rule.id())
        .set("enabled", rule.status() == &ExpirationStatus::Enabled)
        .str("prefix", prefix)
        .int("expiration-days", rule.expiration().and_then(|e| e.days()))
        .int(
            "noncurrent-version-expiration-days",
            rule.noncurrent_version_expiration()
                .and_then(|n| n.noncurrent_days()),
        )
        .int(
            "abort-incomplete-multipart-upload-days",
            rule.abort_incomplete_multipart_upload()
                .and_then(|a| a.days_after_initiation()),
        );
    Value::Map(m.into_attrs())
}

fn lifecycle_rule_of(rule: &Attrs) -> Result<LifecycleRule, ProviderError> {
    let days = |name: &str| int(rule, name).map(|d| d as i32);
    let mut b = LifecycleRule::builder()
        .id(required(rule, "id")?)
        .status(if boolean(rule, "enabled").unwrap_or(true) {
            ExpirationStatus::Enabled
        } else {
            ExpirationStatus::Disabled
        })
        .filter(
            LifecycleRuleFilter::builder()
                .prefix(string(rule, "prefix").unwrap_or_default())
                .build(),
        );
    if let Some(d) = days("expiration-days") {
        b = b.expiration(LifecycleExpiration::builder().days(d).build());
    }
    if let Some(d) = days("noncurrent-version-expiration-days") {
        b = b.noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .noncurrent_days(d)
                .build(),
        );
    }
    if let Some(d) = days("abort-incomplete-multipart-upload-days") {
        b = b.abort_incomplete_multipart_upload(
            AbortIncompleteMultipartUpload::builder()
                .days_after_initiation(d)
                .build(),
        );
    }
    built("lifecycle rule", b.build())
}

fn cors_value(rule: &CorsRule) -> Value {
    let list = |items: &[String]| Value::List(items.iter().cloned().map(Value::String).collect());
    let mut m = Out::new();
    m.set("allowed-methods", list(rule.allowed_methods()))
        .set("allowed-origins", list(rule.allowed_origins()));
    if !rule.allowed_headers().is_empty() {
        m.set("allowed-headers", list(rule.allowed_headers()));
    }
    if !rule.expose_headers().is_empty() {
        m.set("expose-headers", list(rule.expose_headers()));
    }
    m.int("max-age-seconds", rule.max_age_seconds());
    Value::Map(m.into_attrs())
}

fn cors_rule_of(rule: &Attrs) -> Result<CorsRule, ProviderError> {
    let b = CorsRule::builder()
        .set_allowed_methods(Some(strings(rule, "allowed-methods")))
        .set_allowed_origins(Some(strings(rule, "allowed-origins")))
        .set_allowed_headers(Some(strings(rule, "allowed-headers")).filter(|h| !h.is_empty()))
        .set_expose_headers(Some(strings(rule, "expose-headers")).filter(|h| !h.is_empty()))
        .set_max_age_seconds(int(rule, "max-age-seconds").map(|s| s as i32));
    built("CORS rule", b.build())
}

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
