//! `cloudfront.distribution`: a CloudFront distribution (a CDN in front of one or more
//! origins).
//!
//! Maps to CreateDistribution(WithTags) / GetDistribution (config, status and ETag in
//! one answer) and ListTagsForResource / UpdateDistribution (the whole config, built
//! from the spec over a fresh GetDistributionConfig whose ETag goes as IfMatch) /
//! TagResource, UntagResource / DeleteDistribution (which needs the distribution
//! disabled and deployed first: delete disables it when enabled, waits until
//! `Deployed`, then deletes with the latest ETag). Create and update wait for
//! `Deployed` unless `wait-for-deployment #false`. The caller reference of a new
//! distribution is the create token (AWS answers a repeated create with the
//! distribution it made); `find` lists the distributions and fetches each config
//! (GetDistributionConfig) until one carries it. No force-new attribute: everything
//! is updatable in place. Caching uses either a cache policy (`cache-policy-id`, e.g.
//! the managed CachingOptimized policy) or the legacy settings (`min-ttl` /
//! `default-ttl` / `max-ttl`, AWS's 0 / 86400 / 31536000 when left out; no query
//! string or cookie forwarded).
//!
//! Invariants: an update never drops what strata does not manage: the caller
//! reference, logging, origin groups and continuous deployment settings of the
//! distribution, the function and Lambda@Edge associations, trusted signers and key
//! groups of each cache behavior (matched by path pattern), and the connection and
//! Origin Shield settings of each origin (matched by id) are carried over from the
//! current config. Read normalises AWS's answer to the spec's shape: empty strings and
//! empty lists read as absent; method, alias, location and TLS lists keep the spec's
//! order; the legacy TTLs, `error-caching-min-ttl` and the viewer certificate's
//! `ssl-support-method` / `minimum-protocol-version` (which AWS always answers) are
//! read back where the spec sets them or where they differ from what strata sends in
//! their absence; `wait-for-deployment` (no AWS setting) reads as last applied; and an
//! origin returned with neither an S3 nor a custom config (which AWS never does, but an
//! endpoint that drops those fields does) keeps the access settings last applied to it.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_cloudfront::types::{
    Aliases, AllowedMethods, CacheBehavior, CacheBehaviors, CachedMethods, CookiePreference,
    CustomErrorResponse, CustomErrorResponses, CustomHeaders, CustomOriginConfig,
    DefaultCacheBehavior, Distribution as AwsDistribution, DistributionConfig,
    DistributionConfigWithTags, ForwardedValues, GeoRestriction, GeoRestrictionType, HttpVersion,
    ItemSelection, Method, MinimumProtocolVersion, Origin, OriginCustomHeader,
    OriginProtocolPolicy, OriginSslProtocols, Origins, PriceClass, Restrictions, S3OriginConfig,
    SslProtocol, SslSupportMethod, Tag, TagKeys, Tags, ViewerCertificate, ViewerProtocolPolicy,
};
use strata_engine::provider::{
    Attrs, CreateError, CreateToken, ErrorKind, Observed, ProviderError,
};
use strata_engine::{Attribute, BlockSchema, Constraint, ResourceType, Schema, Type, Value};

use crate::aws::attrs::{
    Out, block, blocks, boolean, int, required, string, string_map, string_set, strings, tags_value,
};
use crate::aws::error::{invalid, sdk};
use crate::aws::{delete_attempt, finish_create, read_back, tags, wait_for};

/// The Route 53 hosted zone of every CloudFront domain name (for alias records).
const HOSTED_ZONE_ID: &str = "Z2FDTNDATAQYW2";
/// How long a change may take to reach every edge location.
const DEPLOY_LIMIT: Duration = Duration::from_secs(45 * 60);
const DEPLOY_POLL: Duration = Duration::from_secs(15);
/// AWS's legacy TTLs when a behavior without a cache policy leaves them out.
const LEGACY_TTLS: [(&str, i64); 3] = [
    ("min-ttl", 0),
    ("default-ttl", 86_400),
    ("max-ttl", 31_536_000),
];
/// AWS's error caching TTL when a custom error response leaves it out.
const ERROR_CACHING_DEFAULT: i64 = 10;

/// The `cloudfront.distribution` resource type.
pub struct Distribution {
    pub(crate) aws: crate::aws::client::Aws,
}

#[async_trait]
impl ResourceType for Distribution {
    fn type_name(&self) -> &'static str {
        "cloudfront.distribution"
    }

    fn schema(&self) -> &Schema {
        &SCHEMA
    }

    async fn read(&self, id: &str, prior: &Attrs) -> Result<Option<Observed>, ProviderError> {
        let cloudfront = self.aws.cloudfront().await?;
        let (distribution, etag) = match cloudfront.get_distribution().id(id).send().await {
            Ok(out) => {
                let etag = out.e_tag().map(str::to_owned);
                match out.distribution {
                    Some(d) => (d, etag),
                    None => return Ok(None),
                }
            }
            Err(e) => {
                let e = sdk("GetDistribution", e);
                if e.kind == ErrorKind::NotFound {
                    return Ok(None);
                }
                return Err(e);
            }
        };
        let tags = cloudfront
            .list_tags_for_resource()
            .resource(distribution.arn())
            .send()
            .await
            .map_err(|e| sdk("ListTagsForResource", e))?;
        let tags = tags
            .tags()
            .map(|t| t.items())
            .unwrap_or_default()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().unwrap_or_default().to_owned()));
        let mut out = observe(&distribution, prior)?;
        out.set("tags", tags_value(tags)).str("etag", etag);
        Ok(Some(Observed::new(id, out.into_attrs())))
    }

    async fn create(&self, desired: &Attrs, token: &CreateToken) -> Result<Observed, CreateError> {
        let cloudfront = self.aws.cloudfront().await?;
        // The token is the caller reference: AWS answers a repeated create with the
        // distribution it made, and `find` looks for it.
        let config = build_config(desired, None, token.as_str().to_owned())?;
        let tags = tags_of(desired);
        let created = if tags.items().is_empty() {
            cloudfront
                .create_distribution()
                .distribution_config(config)
                .send()
                .await
                .map_err(|e| sdk("CreateDistribution", e))?
                .distribution
        } else {
            cloudfront
                .create_distribution_with_tags()
                .distribution_config_with_tags(
                    DistributionConfigWithTags::builder()
                        .distribution_config(config)
                        .tags(tags)
                        .build(),
                )
                .send()
                .await
                .map_err(|e| sdk("CreateDistributionWithTags", e))?
                .distribution
        };
        let id = created
            .map(|d| d.id().to_owned())
            .filter(|id| !id.is_empty())
            .ok_or_else(|| invalid("CreateDistribution returned no distribution id"))?;
        finish_create(&id, async {
            if boolean(desired, "wait-for-deployment").unwrap_or(true) {
                self.wait_deployed(&id).await?;
            }
            read_back(self.read(&id, desired), "distribution", &id, "after create").await
        })
        .await
    }

    /// The distribution whose caller reference is the token. The listed summaries do
    /// not hold it, so each distribution's config is fetched until one matches (one
    /// call per distribution of the account).
    async fn find(
        &self,
        desired: &Attrs,
        token: &CreateToken,
    ) -> Result<Option<Observed>, ProviderError> {
        let cloudfront = self.aws.cloudfront().await?;
        let mut pages = cloudfront.list_distributions().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sdk("ListDistributions", e))?;
            let ids: Vec<String> = page
                .distribution_list()
                .map(|l| l.items().iter().map(|d| d.id().to_owned()).collect())
                .unwrap_or_default();
            for id in ids {
                let config = match self.config(&id).await {
                    Ok((config, _)) => config,
                    // Deleted since it was listed.
                    Err(e) if e.kind == ErrorKind::NotFound => continue,
                    Err(e) => return Err(e),
                };
                if config.caller_reference() == token.as_str() {
                    return self.read(&id, desired).await;
                }
            }
        }
        Ok(None)
    }

    async fn update(
        &self,
        id: &str,
        _prior: &Attrs,
        desired: &Attrs,
        changed: &[String],
    ) -> Result<Observed, ProviderError> {
        let cloudfront = self.aws.cloudfront().await?;
        let config_changed = changed
            .iter()
            .any(|c| c != "tags" && c != "wait-for-deployment");
        if config_changed {
            let (current, etag) = self.config(id).await?;
            let reference = current.caller_reference().to_owned();
            let config = build_config(desired, Some(&current), reference)?;
            cloudfront
                .update_distribution()
                .id(id)
                .set_if_match(etag)
                .distribution_config(config)
                .send()
                .await
                .map_err(|e| sdk("UpdateDistribution", e))?;
        }
        if changed.iter().any(|c| c == "tags") {
            self.sync_tags(id, desired).await?;
        }
        if config_changed && boolean(desired, "wait-for-deployment").unwrap_or(true) {
            self.wait_deployed(id).await?;
        }
        read_back(self.read(id, desired), "distribution", id, "during update").await
    }

    async fn delete(&self, id: &str, _prior: &Attrs) -> Result<(), ProviderError> {
        let cloudfront = self.aws.cloudfront().await?;
        let (current, etag) = match self.config(id).await {
            Ok(found) => found,
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        if current.enabled() {
            let reference = current.caller_reference().to_owned();
            let disabled = rebuild(&current, reference)
                .enabled(false)
                .build()
                .map_err(|e| invalid(format!("distribution config: {e}")))?;
            cloudfront
                .update_distribution()
                .id(id)
                .set_if_match(etag)
                .distribution_config(disabled)
                .send()
                .await
                .map_err(|e| sdk("UpdateDistribution", e))?;
        }
        wait_for(
            &format!("distribution {id} to be disabled and deployed, then deleted"),
            DEPLOY_LIMIT,
            DEPLOY_POLL,
            || async {
                let (status, etag) = match cloudfront.get_distribution().id(id).send().await {
                    Ok(out) => (
                        out.distribution().map(|d| d.status().to_owned()),
                        out.e_tag().map(str::to_owned),
                    ),
                    Err(e) => {
                        let e = sdk("GetDistribution", e);
                        if e.kind == ErrorKind::NotFound {
                            return Ok(Some(()));
                        }
                        return Err(e);
                    }
                };
                if status.as_deref() != Some("Deployed") {
                    return Ok(None);
                }
                let result = cloudfront
                    .delete_distribution()
                    .id(id)
                    .set_if_match(etag)
                    .send()
                    .await;
                // Refused while the disabling has not reached every edge location.
                delete_attempt(
                    result.map_err(|e| sdk("DeleteDistribution", e)),
                    &["DistributionNotDisabled", "PreconditionFailed"],
                )
            },
        )
        .await
    }
}

impl Distribution {
    /// The current config and its ETag (a NotFound error when the distribution is gone).
    async fn config(
        &self,
        id: &str,
    ) -> Result<(DistributionConfig, Option<String>), ProviderError> {
        let cloudfront = self.aws.cloudfront().await?;
        let out = cloudfront
            .get_distribution_config()
            .id(id)
            .send()
            .await
            .map_err(|e| sdk("GetDistributionConfig", e))?;
        let etag = out.e_tag().map(str::to_owned);
        let config = out
            .distribution_config
            .ok_or_else(|| invalid(format!("GetDistributionConfig returned no config for {id}")))?;
        Ok((config, etag))
    }

    async fn wait_deployed(&self, id: &str) -> Result<(), ProviderError> {
        let cloudfront = self.aws.cloudfront().await?;
        wait_for(
            &format!("distribution {id} to be deployed"),
            DEPLOY_LIMIT,
            DEPLOY_POLL,
            || async {
                let out = cloudfront
                    .get_distribution()
                    .id(id)
                    .send()
                    .await
                    .map_err(|e| sdk("GetDistribution", e))?;
                Ok(out
                    .distribution()
                    .filter(|d| d.status() == "Deployed")
                    .map(|_| ()))
            },
        )
        .await
    }

    /// Makes the distribution's tags exactly the desired ones.
    async fn sync_tags(&self, id: &str, desired: &Attrs) -> Result<(), ProviderError> {
        let cloudfront = self.aws.cloudfront().await?;
        let arn = cloudfront
            .get_distribution()
            .id(id)
            .send()
            .await
            .map_err(|e| sdk("GetDistribution", e))?
            .distribution()
            .map(|d| d.arn().to_owned())
            .ok_or_else(|| invalid(format!("GetDistribution returned nothing for {id}")))?;
        let current = cloudfront
            .list_tags_for_resource()
            .resource(&arn)
            .send()
            .await
            .map_err(|e| sdk("ListTagsForResource", e))?;
        let wanted = string_map(desired, "tags");
        let stale: Vec<String> = current
            .tags()
            .map(|t| t.items())
            .unwrap_or_default()
            .iter()
            .map(|t| t.key().to_owned())
            .filter(|k| !wanted.contains_key(k))
            .collect();
        if !stale.is_empty() {
            cloudfront
                .untag_resource()
                .resource(&arn)
                .tag_keys(TagKeys::builder().set_items(Some(stale)).build())
                .send()
                .await
                .map_err(|e| sdk("UntagResource", e))?;
        }
        if !wanted.is_empty() {
            cloudfront
                .tag_resource()
                .resource(&arn)
                .tags(tags_of(desired))
                .send()
                .await
                .map_err(|e| sdk("TagResource", e))?;
        }
        Ok(())
    }
}

/// A list's items as AWS takes them: absent when there are none (with quantity 0).
fn non_empty<T>(items: Vec<T>) -> Option<Vec<T>> {
    (!items.is_empty()).then_some(items)
}

fn tags_of(desired: &Attrs) -> Tags {
    let items: Vec<Tag> = string_map(desired, "tags")
        .into_iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect();
    Tags::builder().set_items(Some(items)).build()
}

fn built<T, E: std::fmt::Display>(what: &str, r: Result<T, E>) -> Result<T, ProviderError> {
    r.map_err(|e| invalid(format!("{what}: {e}")))
}

/// A builder holding every field of `current`, with `reference` as caller reference.
fn rebuild(
    current: &DistributionConfig,
    reference: String,
) -> aws_sdk_cloudfront::types::builders::DistributionConfigBuilder {
    DistributionConfig::builder()
        .caller_reference(reference)
        .set_aliases(current.aliases.clone())
        .set_default_root_object(current.default_root_object.clone())
        .set_origins(current.origins.clone())
        .set_origin_groups(current.origin_groups.clone())
        .set_default_cache_behavior(current.default_cache_behavior.clone())
        .set_cache_behaviors(current.cache_behaviors.clone())
        .set_custom_error_responses(current.custom_error_responses.clone())
        .comment(current.comment())
        .set_logging(current.logging.clone())
        .set_price_class(current.price_class.clone())
        .enabled(current.enabled())
        .set_viewer_certificate(current.viewer_certificate.clone())
        .set_restrictions(current.restrictions.clone())
        .set_web_acl_id(current.web_acl_id.clone())
        .set_http_version(current.http_version.clone())
        .set_is_ipv6_enabled(current.is_ipv6_enabled)
        .set_continuous_deployment_policy_id(current.continuous_deployment_policy_id.clone())
        .set_staging(current.staging)
        .set_anycast_ip_list_id(current.anycast_ip_list_id.clone())
        .set_tenant_config(current.tenant_config.clone())
        .set_connection_mode(current.connection_mode.clone())
        .set_viewer_mtls_config(current.viewer_mtls_config.clone())
        .set_connection_function_association(current.connection_function_association.clone())
        .set_cache_tag_config(current.cache_tag_config.clone())
}

/// The AWS config for the desired attributes; what strata does not manage comes from
/// `current` (on update).
fn build_config(
    desired: &Attrs,
    current: Option<&DistributionConfig>,
    reference: String,
) -> Result<DistributionConfig, ProviderError> {
    let mut builder = match current {
        Some(c) => rebuild(c, reference),
        None => DistributionConfig::builder().caller_reference(reference),
    };
    let aliases = strings(desired, "aliases");
    builder = builder
        .aliases(built(
            "aliases",
            Aliases::builder()
                .quantity(aliases.len() as i32)
                .set_items(non_empty(aliases))
                .build(),
        )?)
        .default_root_object(string(desired, "default-root-object").unwrap_or_default())
        .comment(string(desired, "comment").unwrap_or_default())
        .enabled(boolean(desired, "enabled").unwrap_or(true))
        .price_class(PriceClass::from(
            string(desired, "price-class").unwrap_or("PriceClass_All"),
        ))
        .is_ipv6_enabled(boolean(desired, "is-ipv6-enabled").unwrap_or(false))
        .http_version(HttpVersion::from(
            string(desired, "http-version").unwrap_or("http2"),
        ))
        .web_acl_id(string(desired, "web-acl-id").unwrap_or_default());

    let current_origins: Vec<&Origin> = current
        .and_then(|c| c.origins.as_ref())
        .map(|o| o.items().iter().collect())
        .unwrap_or_default();
    let mut origins = Vec::new();
    for o in blocks(desired, "origin") {
        let id = required(o, "id")?;
        let existing = current_origins.iter().find(|c| c.id() == id);
        origins.push(aws_origin(o, existing.copied())?);
    }
    builder = builder.origins(built(
        "origins",
        Origins::builder()
            .quantity(origins.len() as i32)
            .set_items(Some(origins))
            .build(),
    )?);

    let current_default = current.and_then(|c| c.default_cache_behavior.as_ref());
    let default = block(desired, "default-cache-behavior")
        .ok_or_else(|| invalid("`default-cache-behavior` is required but was not given"))?;
    builder = builder.default_cache_behavior(default_behavior(default, current_default)?);

    let current_ordered: Vec<&CacheBehavior> = current
        .and_then(|c| c.cache_behaviors.as_ref())
        .map(|b| b.items().iter().collect())
        .unwrap_or_default();
    let mut ordered = Vec::new();
    for b in blocks(desired, "ordered-cache-behavior") {
        let pattern = required(b, "path-pattern")?;
        let existing = current_ordered
            .iter()
            .find(|c| c.path_pattern() == pattern)
            .copied();
        ordered.push(ordered_behavior(b, existing)?);
    }
    builder = builder.cache_behaviors(built(
        "cache behaviors",
        CacheBehaviors::builder()
            .quantity(ordered.len() as i32)
            .set_items(non_empty(ordered))
            .build(),
    )?);

    let mut errors = Vec::new();
    for e in blocks(desired, "custom-error-response") {
        let code = int(e, "error-code")
            .ok_or_else(|| invalid("`error-code` is required but was not given"))?;
        errors.push(built(
            "custom error response",
            CustomErrorResponse::builder()
                .error_code(code as i32)
                .set_response_code(int(e, "response-code").map(|c| c.to_string()))
                .set_response_page_path(string(e, "response-page-path").map(str::to_owned))
                .set_error_caching_min_ttl(int(e, "error-caching-min-ttl"))
                .build(),
        )?);
    }
    builder = builder.custom_error_responses(built(
        "custom error responses",
        CustomErrorResponses::builder()
            .quantity(errors.len() as i32)
            .set_items(non_empty(errors))
            .build(),
    )?);

    builder =
        builder.viewer_certificate(aws_viewer_certificate(block(desired, "viewer-certificate")));

    let geo = match block(desired, "geo-restriction") {
        Some(g) => {
            let locations = strings(g, "locations");
            GeoRestriction::builder()
                .restriction_type(GeoRestrictionType::from(
                    string(g, "restriction-type").unwrap_or("none"),
                ))
                .quantity(locations.len() as i32)
                .set_items((!locations.is_empty()).then_some(locations))
                .build()
        }
        None => GeoRestriction::builder()
            .restriction_type(GeoRestrictionType::None)
            .quantity(0)
            .build(),
    };
    builder = builder.restrictions(
        Restrictions::builder()
            .geo_restriction(built("geo restriction", geo)?)
            .build(),
    );
    built("distribution config", builder.build())
}

fn aws_origin(o: &Attrs, current: Option<&Origin>) -> Result<Origin, ProviderError> {
    let headers: Vec<OriginCustomHeader> = blocks(o, "custom-header")
        .into_iter()
        .map(|h| {
            built(
                "custom header",
                OriginCustomHeader::builder()
                    .header_name(string(h, "name").unwrap_or_default())
                    .header_value(string(h, "value").unwrap_or_default())
                    .build(),
            )
        })
        .collect::<Result<_, _>>()?;
    let mut builder = Origin::builder()
        .id(required(o, "id")?)
        .domain_name(required(o, "domain-name")?)
        .origin_path(string(o, "origin-path").unwrap_or_default())
        .origin_access_control_id(string(o, "origin-access-control-id").unwrap_or_default())
        .custom_headers(built(
            "custom headers",
            CustomHeaders::builder()
                .quantity(headers.len() as i32)
                .set_items(non_empty(headers))
                .build(),
        )?);
    if let Some(c) = current {
        builder = builder
            .set_connection_attempts(c.connection_attempts)
            .set_connection_timeout(c.connection_timeout)
            .set_response_completion_timeout(c.response_completion_timeout)
            .set_origin_shield(c.origin_shield.clone());
    }
    if let Some(s3) = block(o, "s3-origin") {
        builder = builder.s3_origin_config(
            S3OriginConfig::builder()
                .origin_access_identity(string(s3, "origin-access-identity").unwrap_or_default())
                .build(),
        );
    }
    if let Some(c) = block(o, "custom-origin") {
        let protocols: Vec<SslProtocol> = strings(c, "ssl-protocols")
            .iter()
            .map(|p| SslProtocol::from(p.as_str()))
            .collect();
        builder = builder.custom_origin_config(built(
            "custom origin",
            CustomOriginConfig::builder()
                .origin_protocol_policy(OriginProtocolPolicy::from(required(c, "protocol-policy")?))
                .http_port(int(c, "http-port").unwrap_or(80) as i32)
                .https_port(int(c, "https-port").unwrap_or(443) as i32)
                .origin_ssl_protocols(built(
                    "ssl protocols",
                    OriginSslProtocols::builder()
                        .quantity(protocols.len() as i32)
                        .set_items(Some(protocols))
                        .build(),
                )?)
                .origin_read_timeout(int(c, "read-timeout").unwrap_or(30) as i32)
                .origin_keepalive_timeout(int(c, "keepalive-timeout").unwrap_or(5) as i32)
                .build(),
        )?);
    }
    built("origin", builder.build())
}

/// The settings shared by the default and the ordered cache behaviors.
struct BehaviorParts {
    allowed: AllowedMethods,
    policy: Option<String>,
    forwarded: Option<ForwardedValues>,
    ttls: [Option<i64>; 3],
}

// The legacy TTL and forwarded-values fields are deprecated by AWS in favour of cache
// policies, and still the only way to cache without one.
#[allow(deprecated)]
fn behavior_parts(b: &Attrs) -> Result<BehaviorParts, ProviderError> {
    let methods = |name: &str| -> Vec<Method> {
        let listed = strings(b, name);
        let listed = if listed.is_empty() {
            vec!["GET".to_owned(), "HEAD".to_owned()]
        } else {
            listed
        };
        listed.iter().map(|m| Method::from(m.as_str())).collect()
    };
    let allowed = methods("allowed-methods");
    let cached = methods("cached-methods");
    let allowed = built(
        "allowed methods",
        AllowedMethods::builder()
            .quantity(allowed.len() as i32)
            .set_items(Some(allowed))
            .cached_methods(built(
                "cached methods",
                CachedMethods::builder()
                    .quantity(cached.len() as i32)
                    .set_items(Some(cached))
                    .build(),
            )?)
            .build(),
    )?;
    let policy = string(b, "cache-policy-id").map(str::to_owned);
    let (forwarded, ttls) = if policy.is_some() {
        (None, [None; 3])
    } else {
        let forwarded = built(
            "forwarded values",
            ForwardedValues::builder()
                .query_string(false)
                .cookies(built(
                    "cookies",
                    CookiePreference::builder()
                        .forward(ItemSelection::None)
                        .build(),
                )?)
                .build(),
        )?;
        let ttls = LEGACY_TTLS.map(|(name, default)| Some(int(b, name).unwrap_or(default)));
        (Some(forwarded), ttls)
    };
    Ok(BehaviorParts {
        allowed,
        policy,
        forwarded,
        ttls,
    })
}

// The legacy TTL and forwarded-values fields are deprecated by AWS in favour of cache
// policies, and still the only way to cache without one.
#[allow(deprecated)]
fn default_behavior(
    b: &Attrs,
    current: Option<&DefaultCacheBehavior>,
) -> Result<DefaultCacheBehavior, ProviderError> {
    let parts = behavior_parts(b)?;
    let mut builder = DefaultCacheBehavior::builder()
        .target_origin_id(required(b, "target-origin-id")?)
        .viewer_protocol_policy(ViewerProtocolPolicy::from(required(
            b,
            "viewer-protocol-policy",
        )?))
        .allowed_methods(parts.allowed)
        .compress(boolean(b, "compress").unwrap_or(false))
        .set_cache_policy_id(parts.policy)
        .set_origin_request_policy_id(string(b, "origin-request-policy-id").map(str::to_owned))
        .set_response_headers_policy_id(string(b, "response-headers-policy-id").map(str::to_owned))
        .set_forwarded_values(parts.forwarded)
        .set_min_ttl(parts.ttls[0])
        .set_default_ttl(parts.ttls[1])
        .set_max_ttl(parts.ttls[2]);
    if let Some(c) = current {
        builder = builder
            .set_trusted_signers(c.trusted_signers.clone())
            .set_trusted_key_groups(c.trusted_key_groups.clone())
            .set_smooth_streaming(c.smooth_streaming)
            .set_lambda_function_associations(c.lambda_function_associations.clone())
            .set_function_associations(c.function_associations.clone())
            .set_field_level_encryption_id(c.field_level_encryption_id.clone())
            .set_realtime_log_config_arn(c.realtime_log_config_arn.clone())
            .set_grpc_config(c.grpc_config.clone());
    }
    built("default cache behavior", builder.build())
}

// The legacy TTL and forwarded-values fields are deprecated by AWS in favour of cache
// policies, and still the only way to cache without one.
#[allow(deprecated)]
fn ordered_behavior(
    b: &Attrs,
    current: Option<&CacheBehavior>,
) -> Result<CacheBehavior, ProviderError> {
    let parts = behavior_parts(b)?;
    let mut builder = CacheBehavior::builder()
        .path_pattern(required(b, "path-pattern")?)
        .target_origin_id(required(b, "target-origin-id")?)
        .viewer_protocol_policy(ViewerProtocolPolicy::from(required(
            b,
            "viewer-protocol-policy",
        )?))
        .allowed_methods(parts.allowed)
        .compress(boolean(b, "compress").unwrap_or(false))
        .set_cache_policy_id(parts.policy)
        .set_origin_request_policy_id(string(b, "origin-request-policy-id").map(str::to_owned))
        .set_response_headers_policy_id(string(b, "response-headers-policy-id").map(str::to_owned))
        .set_forwarded_values(parts.forwarded)
        .set_min_ttl(parts.ttls[0])
        .set_default_ttl(parts.ttls[1])
        .set_max_ttl(parts.ttls[2]);
    if let Some(c) = current {
        builder = builder
            .set_trusted_signers(c.trusted_signers.clone())
            .set_trusted_key_groups(c.trusted_key_groups.clone())
            .set_smooth_streaming(c.smooth_streaming)
            .set_lambda_function_associations(c.lambda_function_associations.clone())
            .set_function_associations(c.function_associations.clone())
            .set_field_level_encryption_id(c.field_level_encryption_id.clone())
            .set_realtime_log_config_arn(c.realtime_log_config_arn.clone())
            .set_grpc_config(c.grpc_config.clone());
    }
    built("cache behavior", builder.build())
}

/// The viewer certificate: the `*.cloudfront.net` one when the spec names none; with a
/// certificate, SNI and the TLSv1.2_2021 policy unless the spec says otherwise.
fn aws_viewer_certificate(v: Option<&Attrs>) -> ViewerCertificate {
    let certificate = v.and_then(|v| {
        string(v, "acm-certificate-arn")
            .map(|arn| (true, arn))
            .or_else(|| string(v, "iam-certificate-id").map(|id| (false, id)))
    });
    let Some((acm, name)) = certificate else {
        let mut builder = ViewerCertificate::builder().cloud_front_default_certificate(true);
        if let Some(p) = v.and_then(|v| string(v, "minimum-protocol-version")) {
            builder = builder.minimum_protocol_version(MinimumProtocolVersion::from(p));
        }
        return builder.build();
    };
    let v = v.expect("a certificate comes from the block");
    let builder = ViewerCertificate::builder()
        .cloud_front_default_certificate(false)
        .ssl_support_method(SslSupportMethod::from(
            string(v, "ssl-support-method").unwrap_or("sni-only"),
        ))
        .minimum_protocol_version(MinimumProtocolVersion::from(
            string(v, "minimum-protocol-version").unwrap_or("TLSv1.2_2021"),
        ));
    if acm {
        builder.acm_certificate_arn(name).build()
    } else {
        builder.iam_certificate_id(name).build()
    }
}

/// The distribution as the spec writes it (tags and ETag aside).
// The legacy TTL and forwarded-values fields are deprecated by AWS in favour of cache
// policies, and still the only way to cache without one.
#[allow(deprecated)]
fn observe(d: &AwsDistribution, prior: &Attrs) -> Result<Out, ProviderError> {
    let c = d
        .distribution_config()
        .ok_or_else(|| invalid(format!("GetDistribution returned no config for {}", d.id())))?;
    let mut out = Out::new();
    let aliases: Vec<String> = c.aliases().map(|a| a.items().to_vec()).unwrap_or_default();
    if !aliases.is_empty() || prior.contains_key("aliases") {
        out.set("aliases", string_set(aliases, prior.get("aliases")));
    }
    out.bool("enabled", Some(c.enabled()))
        .str("comment", Some(c.comment()).filter(|s| !s.is_empty()))
        .str(
            "default-root-object",
            c.default_root_object().filter(|s| !s.is_empty()),
        )
        .str(
            "price-class",
            c.price_class().map(|p| p.as_str().to_owned()),
        )
        .bool("is-ipv6-enabled", c.is_ipv6_enabled())
        .str(
            "http-version",
            c.http_version().map(|h| h.as_str().to_owned()),
        )
        .str("web-acl-id", c.web_acl_id().filter(|s| !s.is_empty()));

    let prior_origins = blocks(prior, "origin");
    let origins: Vec<Value> = c
        .origins()
        .map(|o| o.items())
        .unwrap_or_default()
        .iter()
        .map(|o| {
            let before = prior_origins
                .iter()
                .find(|p| string(p, "id") == Some(o.id()))
                .copied();
            observe_origin(o, before)
        })
        .collect();
    out.list("origin", in_prior_order(origins, prior.get("origin"), "id"));

    if let Some(b) = c.default_cache_behavior() {
        let before = block(prior, "default-cache-behavior");
        let mut m = Out::new();
        m.set("target-origin-id", b.target_origin_id()).set(
            "viewer-protocol-policy",
            b.viewer_protocol_policy().as_str(),
        );
        observe_behavior(
            &mut m,
            before,
            Behavior {
                allowed: b.allowed_methods(),
                compress: b.compress(),
                cache_policy: b.cache_policy_id(),
                request_policy: b.origin_request_policy_id(),
                headers_policy: b.response_headers_policy_id(),
                ttls: [b.min_ttl(), b.default_ttl(), b.max_ttl()],
            },
        );
        out.set("default-cache-behavior", Value::Map(m.into_attrs()));
    }

    let prior_ordered = blocks(prior, "ordered-cache-behavior");
    let ordered: Vec<Value> = c
        .cache_behaviors()
        .map(|b| b.items())
        .unwrap_or_default()
        .iter()
        .map(|b| {
            let before = prior_ordered
                .iter()
                .find(|p| string(p, "path-pattern") == Some(b.path_pattern()))
                .copied();
            let mut m = Out::new();
            m.set("path-pattern", b.path_pattern())
                .set("target-origin-id", b.target_origin_id())
                .set(
                    "viewer-protocol-policy",
                    b.viewer_protocol_policy().as_str(),
                );
            observe_behavior(
                &mut m,
                before,
                Behavior {
                    allowed: b.allowed_methods(),
                    compress: b.compress(),
                    cache_policy: b.cache_policy_id(),
                    request_policy: b.origin_request_policy_id(),
                    headers_policy: b.response_headers_policy_id(),
                    ttls: [b.min_ttl(), b.default_ttl(), b.max_ttl()],
                },
            );
            Value::Map(m.into_attrs())
        })
        .collect();
    if !ordered.is_empty() {
        out.list("ordered-cache-behavior", ordered);
    }

    let prior_errors = blocks(prior, "custom-error-response");
    let errors: Vec<Value> = c
        .custom_error_responses()
        .map(|e| e.items())
        .unwrap_or_default()
        .iter()
        .map(|e| {
            let code = i64::from(e.error_code());
            let before = prior_errors
                .iter()
                .find(|p| int(p, "error-code") == Some(code))
                .copied();
            let mut m = Out::new();
            m.set("error-code", code)
                .int(
                    "response-code",
                    e.response_code().and_then(|r| r.trim().parse::<i64>().ok()),
                )
                .str(
                    "response-page-path",
                    e.response_page_path().filter(|p| !p.is_empty()),
                );
            let ttl = e.error_caching_min_ttl();
            let wanted = before.is_some_and(|p| p.contains_key("error-caching-min-ttl"));
            if wanted || ttl.is_some_and(|t| t != ERROR_CACHING_DEFAULT) {
                m.int("error-caching-min-ttl", ttl);
            }
            Value::Map(m.into_attrs())
        })
        .collect();
    if !errors.is_empty() {
        out.list(
            "custom-error-response",
            in_prior_order(errors, prior.get("custom-error-response"), "error-code"),
        );
    }

    if let Some(v) = c.viewer_certificate() {
        let before = block(prior, "viewer-certificate");
        let mut m = Out::new();
        let acm = v.acm_certificate_arn().filter(|s| !s.is_empty());
        let iam = v.iam_certificate_id().filter(|s| !s.is_empty());
        let custom = acm.is_some() || iam.is_some();
        m.str("acm-certificate-arn", acm)
            .str("iam-certificate-id", iam);
        if !custom {
            m.set("cloudfront-default-certificate", true);
        }
        // AWS always answers these: they are read back where the spec sets them, or
        // where they differ from what strata sends when the spec leaves them out.
        let keep = |name: &str, value: Option<&str>, default: &str| {
            before.is_some_and(|b| b.contains_key(name)) || value.is_some_and(|v| v != default)
        };
        let method = v.ssl_support_method().map(|s| s.as_str());
        if custom && keep("ssl-support-method", method, "sni-only") {
            m.str("ssl-support-method", method);
        }
        let version = v.minimum_protocol_version().map(|s| s.as_str());
        let default_version = if custom { "TLSv1.2_2021" } else { "TLSv1" };
        if keep("minimum-protocol-version", version, default_version) {
            m.str("minimum-protocol-version", version);
        }
        if custom || before.is_some() {
            out.set("viewer-certificate", Value::Map(m.into_attrs()));
        }
    }

    let geo = c.restrictions().and_then(|r| r.geo_restriction());
    if let Some(g) = geo {
        let before = block(prior, "geo-restriction");
        let kind = g.restriction_type().as_str();
        let locations: Vec<String> = g.items().to_vec();
        if kind != "none" || !locations.is_empty() || before.is_some() {
            let mut m = Out::new();
            m.set("restriction-type", kind);
            if !locations.is_empty() || before.is_some_and(|b| b.contains_key("locations")) {
                m.set(
                    "locations",
                    string_set(locations, before.and_then(|b| b.get("locations"))),
                );
            }
            out.set("geo-restriction", Value::Map(m.into_attrs()));
        }
    }

    // Not an AWS setting: what was applied, else the default.
    out.set(
        "wait-for-deployment",
        prior
            .get("wait-for-deployment")
            .cloned()
            .unwrap_or(Value::Bool(true)),
    );
    out.set("id", d.id())
        .set("arn", d.arn())
        .set("domain-name", d.domain_name())
        .set("hosted-zone-id", HOSTED_ZONE_ID)
        .set("status", d.status());
    Ok(out)
}

fn observe_origin(o: &Origin, before: Option<&Attrs>) -> Value {
    let mut m = Out::new();
    m.set("id", o.id())
        .set("domain-name", o.domain_name())
        .str("origin-path", o.origin_path().filter(|p| !p.is_empty()))
        .str(
            "origin-access-control-id",
            o.origin_access_control_id().filter(|p| !p.is_empty()),
        );
    match (o.s3_origin_config(), o.custom_origin_config()) {
        (Some(s3), _) => {
            let mut s = Out::new();
            s.str(
                "origin-access-identity",
                Some(s3.origin_access_identity()).filter(|p| !p.is_empty()),
            );
            m.set("s3-origin", Value::Map(s.into_attrs()));
        }
        (None, Some(c)) => {
            let before = before.and_then(|b| block(b, "custom-origin"));
            let protocols: Vec<String> = c
                .origin_ssl_protocols()
                .map(|p| p.items().iter().map(|p| p.as_str().to_owned()).collect())
                .unwrap_or_default();
            let mut s = Out::new();
            s.set("protocol-policy", c.origin_protocol_policy().as_str())
                .set("http-port", i64::from(c.http_port()))
                .set("https-port", i64::from(c.https_port()))
                .set(
                    "ssl-protocols",
                    string_set(protocols, before.and_then(|b| b.get("ssl-protocols"))),
                )
                .int("read-timeout", c.origin_read_timeout())
                .int("keepalive-timeout", c.origin_keepalive_timeout());
            m.set("custom-origin", Value::Map(s.into_attrs()));
        }
        (None, None) => {
            // AWS always answers one of the two configs; an endpoint that drops them
            // (and the origin's access control with them) is taken to hold what was
            // last applied, else an S3 origin (the only kind without a config of its
            // own to lose).
            match before {
                Some(b) => {
                    for name in ["s3-origin", "custom-origin", "origin-access-control-id"] {
                        if let Some(v) = b.get(name) {
                            m.set(name, v.clone());
                        }
                    }
                }
                None => {
                    m.set("s3-origin", Value::Map(Attrs::new()));
                }
            }
        }
    }
    let headers: Vec<Value> = o
        .custom_headers()
        .map(|h| h.items())
        .unwrap_or_default()
        .iter()
        .map(|h| {
            let mut hm = Out::new();
            hm.set("name", h.header_name())
                .set("value", h.header_value());
            Value::Map(hm.into_attrs())
        })
        .collect();
    if !headers.is_empty() {
        m.list(
            "custom-header",
            in_prior_order(headers, before.and_then(|b| b.get("custom-header")), "name"),
        );
    }
    Value::Map(m.into_attrs())
}

/// What the default and the ordered cache behaviors answer alike.
struct Behavior<'a> {
    allowed: Option<&'a AllowedMethods>,
    compress: Option<bool>,
    cache_policy: Option<&'a str>,
    request_policy: Option<&'a str>,
    headers_policy: Option<&'a str>,
    ttls: [Option<i64>; 3],
}

fn observe_behavior(m: &mut Out, before: Option<&Attrs>, b: Behavior<'_>) {
    let names = |methods: &[Method]| -> Vec<String> {
        methods.iter().map(|m| m.as_str().to_owned()).collect()
    };
    if let Some(allowed) = b.allowed {
        m.set(
            "allowed-methods",
            string_set(
                names(allowed.items()),
                before.and_then(|p| p.get("allowed-methods")),
            ),
        );
        if let Some(cached) = allowed.cached_methods() {
            m.set(
                "cached-methods",
                string_set(
                    names(cached.items()),
                    before.and_then(|p| p.get("cached-methods")),
                ),
            );
        }
    }
    m.bool("compress", b.compress)
        .str("cache-policy-id", b.cache_policy.filter(|s| !s.is_empty()))
        .str(
            "origin-request-policy-id",
            b.request_policy.filter(|s| !s.is_empty()),
        )
        .str(
            "response-headers-policy-id",
            b.headers_policy.filter(|s| !s.is_empty()),
        );
    // Legacy TTLs mean nothing under a cache policy; without one, AWS always answers
    // them, so they are read back where the spec sets them, or where they differ from
    // the defaults strata sends when the spec leaves them out.
    if b.cache_policy.is_none_or(str::is_empty) {
        for ((name, default), value) in LEGACY_TTLS.iter().zip(b.ttls) {
            let set = before.is_some_and(|p| p.contains_key(*name));
            if set || value.is_some_and(|v| v != *default) {
                m.int(name, value);
            }
        }
    }
}

/// Blocks keyed by `key`, in `prior`'s order for the keys it has, the rest after them
/// in AWS's order (AWS may answer a set in its own order).
fn in_prior_order(mut observed: Vec<Value>, prior: Option<&Value>, key: &str) -> Vec<Value> {
    let key_of = |v: &Value| match v {
        Value::Map(m) => m.get(key).cloned(),
        _ => None,
    };
    let Some(Value::List(prior)) = prior else {
        return observed;
    };
    let mut ordered = Vec::with_capacity(observed.len());
    for p in prior {
        let Some(k) = key_of(p) else { continue };
        if let Some(i) = observed.iter().position(|o| key_of(o).as_ref() == Some(&k)) {
            ordered.push(observed.remove(i));
        }
    }
    ordered.extend(observed);
    ordered
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "A CloudFront distribution.",
        vec![
            Attribute::optional("enabled", Type::Bool)
                .default(true)
                .doc("Whether the distribution serves requests."),
            Attribute::optional("comment", Type::String)
                .doc("A comment (up to 128 characters), shown in the console list."),
            Attribute::optional("aliases", Type::list(Type::String))
                .doc("Alternate domain names (CNAMEs) served, e.g. `www.example.com example.com`; needs a `viewer-certificate` covering them."),
            Attribute::optional("default-root-object", Type::String)
                .doc("The object returned for a request on `/`, e.g. `index.html`."),
            Attribute::optional(
                "price-class",
                Type::one_of(&["PriceClass_All", "PriceClass_200", "PriceClass_100"]),
            )
            .default("PriceClass_All")
            .doc("Which edge locations serve: all, or the cheaper subsets 200 and 100 (North America and Europe)."),
            Attribute::optional("is-ipv6-enabled", Type::Bool)
                .default(false)
                .doc("Answer over IPv6 too (add AAAA alias records for the aliases)."),
            Attribute::optional(
                "http-version",
                Type::one_of(&["http1.1", "http2", "http2and3", "http3"]),
            )
            .default("http2")
            .doc("The highest HTTP version viewers may use."),
            Attribute::optional("web-acl-id", Type::String)
                .doc("The WAFv2 web ACL (its ARN, created in us-east-1) protecting the distribution."),
            Attribute::required("origin", Type::block(origin()))
                .repeated()
                .doc("An origin, named by its argument (the origin id cache behaviors target): `origin site domain-name=(ref)\"site.bucket-regional-domain-name\" { s3-origin }`."),
            Attribute::required("default-cache-behavior", Type::block(cache_behavior(false)))
                .doc("How requests matching no `ordered-cache-behavior` are routed and cached."),
            Attribute::optional("ordered-cache-behavior", Type::block(cache_behavior(true)))
                .repeated()
                .doc("A cache behavior for a path pattern (its argument), tried in the order written: `ordered-cache-behavior \"/api/*\" target-origin-id=api ...`."),
            Attribute::optional("custom-error-response", Type::block(custom_error_response()))
                .repeated()
                .doc("What to serve for an HTTP error from the origin, its argument the error code: `custom-error-response 403 response-code=200 response-page-path=\"/index.html\"`."),
            Attribute::optional("viewer-certificate", Type::block(viewer_certificate()))
                .doc("The certificate served to viewers; when absent, the `*.cloudfront.net` certificate (no aliases possible)."),
            Attribute::optional("geo-restriction", Type::block(geo_restriction()))
                .doc("Restrict viewers by country: `geo-restriction whitelist { locations FR BE }`; when absent, no restriction."),
            Attribute::optional("wait-for-deployment", Type::Bool)
                .default(true)
                .doc("Wait until the change is deployed to every edge location (minutes) before the apply goes on."),
            tags(),
            Attribute::computed("id", Type::String).doc("The distribution id, e.g. `E2QWRUHAPOMQZL`."),
            Attribute::computed("arn", Type::String)
                .doc("The distribution ARN (what an S3 bucket policy's `AWS:SourceArn` condition names)."),
            Attribute::computed("domain-name", Type::String)
                .doc("The distribution's domain name, `d111111abcdef8.cloudfront.net`."),
            Attribute::computed("hosted-zone-id", Type::String)
                .doc("The Route 53 zone for alias records to CloudFront (always `Z2FDTNDATAQYW2`)."),
            Attribute::computed("etag", Type::String)
                .doc("The current config version, sent back on update and delete."),
            Attribute::computed("status", Type::String)
                .doc("`InProgress` while a change is deploying, then `Deployed`."),
        ],
    )
});

fn origin() -> BlockSchema {
    BlockSchema::new(vec![
        Attribute::required("id", Type::String)
            .doc("The origin id (its argument), unique in the distribution."),
        Attribute::required("domain-name", Type::String)
            .doc("The origin's host: a bucket's `bucket-regional-domain-name`, a load balancer or API domain..."),
        Attribute::optional("origin-path", Type::String)
            .doc("A path prefix added to every request to the origin, e.g. `/prod` (no trailing slash)."),
        Attribute::optional("origin-access-control-id", Type::String)
            .doc("The `cloudfront.origin-access-control` signing requests to a private origin."),
        Attribute::optional("s3-origin", Type::block(s3_origin()))
            .doc("Marks an S3 bucket origin (REST endpoint): write `s3-origin` alone with an origin access control. Exclusive with `custom-origin`."),
        Attribute::optional("custom-origin", Type::block(custom_origin()))
            .doc("Marks any other HTTP origin (including an S3 website endpoint), with its connection settings. Exclusive with `s3-origin`."),
        Attribute::optional("custom-header", Type::block(custom_header()))
            .repeated()
            .doc("A header CloudFront adds to requests to the origin, its argument the name: `custom-header X-Origin-Verify value=...`."),
    ])
    .with_args("id")
    .with_constraint(Constraint::ExactlyOneOf(vec!["s3-origin", "custom-origin"]))
}

fn s3_origin() -> BlockSchema {
    BlockSchema::new(vec![
        Attribute::optional("origin-access-identity", Type::String)
            .doc("A legacy origin access identity (`origin-access-identity/cloudfront/ID`); prefer `origin-access-control-id`."),
    ])
}

fn custom_origin() -> BlockSchema {
    let ssl = Type::one_of(&["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2"]);
    BlockSchema::new(vec![
        Attribute::required(
            "protocol-policy",
            Type::one_of(&["http-only", "https-only", "match-viewer"]),
        )
        .doc("How CloudFront connects to the origin."),
        Attribute::optional("http-port", Type::Int)
            .default(80i64)
            .doc("The origin's HTTP port."),
        Attribute::optional("https-port", Type::Int)
            .default(443i64)
            .doc("The origin's HTTPS port."),
        Attribute::optional("ssl-protocols", Type::list(ssl))
            .default(Value::List(vec![Value::from("TLSv1.2")]))
            .doc("TLS versions CloudFront may use with the origin."),
        Attribute::optional("read-timeout", Type::Int)
            .default(30i64)
            .doc("Seconds to wait for a response from the origin (1-60)."),
        Attribute::optional("keepalive-timeout", Type::Int)
            .default(5i64)
            .doc("Seconds to keep an idle connection to the origin open (1-60)."),
    ])
}

fn custom_header() -> BlockSchema {
    BlockSchema::new(vec![
        Attribute::required("name", Type::String).doc("The header name (its argument)."),
        Attribute::required("value", Type::String).doc("The header value."),
    ])
    .with_args("name")
}

/// The attributes of a cache behavior; an ordered one also has its path pattern.
fn cache_behavior(ordered: bool) -> BlockSchema {
    let methods = || {
        Type::list(Type::one_of(&[
            "GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE",
        ]))
    };
    let get_head = || Value::List(vec![Value::from("GET"), Value::from("HEAD")]);
    let mut attributes = Vec::new();
    if ordered {
        attributes.push(
            Attribute::required("path-pattern", Type::String)
                .doc("The request paths this behavior serves (its argument), e.g. `\"/api/*\"`."),
        );
    }
    attributes.extend([
        Attribute::required("target-origin-id", Type::String)
            .doc("The `origin` (its id) requests are sent to."),
        Attribute::required(
            "viewer-protocol-policy",
            Type::one_of(&["allow-all", "https-only", "redirect-to-https"]),
        )
        .doc("What viewers on plain HTTP get: served, refused, or redirected to HTTPS."),
        Attribute::optional("allowed-methods", methods())
            .default(get_head())
            .doc("Methods passed to the origin: GET HEAD, GET HEAD OPTIONS, or all seven."),
        Attribute::optional("cached-methods", methods())
            .default(get_head())
            .doc("Methods whose responses are cached: GET HEAD, or GET HEAD OPTIONS."),
        Attribute::optional("compress", Type::Bool)
            .default(false)
            .doc("Compress responses (gzip, brotli) for viewers that accept it."),
        Attribute::optional("cache-policy-id", Type::String)
            .doc("A cache policy, e.g. the managed CachingOptimized `658327ea-f89d-4fab-a63d-7e88639e58f6`. Exclusive with the `*-ttl` settings."),
        Attribute::optional("origin-request-policy-id", Type::String)
            .doc("An origin request policy: which headers, cookies and query strings reach the origin."),
        Attribute::optional("response-headers-policy-id", Type::String)
            .doc("A response headers policy (CORS, security headers)."),
        Attribute::optional("min-ttl", Type::Int)
            .doc("Legacy caching (no cache policy): the minimum seconds an object stays cached."),
        Attribute::optional("default-ttl", Type::Int)
            .doc("Legacy caching: seconds an object stays cached when the origin sends no Cache-Control."),
        Attribute::optional("max-ttl", Type::Int)
            .doc("Legacy caching: the maximum seconds an object stays cached."),
    ]);
    let mut block = BlockSchema::new(attributes);
    if ordered {
        block = block.with_args("path-pattern");
    }
    for ttl in ["min-ttl", "default-ttl", "max-ttl"] {
        block = block.with_constraint(Constraint::AtMostOneOf(vec!["cache-policy-id", ttl]));
    }
    block
}

fn custom_error_response() -> BlockSchema {
    BlockSchema::new(vec![
        Attribute::required("error-code", Type::Int)
            .doc("The HTTP error code from the origin (its argument), e.g. 403 or 404."),
        Attribute::optional("response-code", Type::Int)
            .doc("The status returned to the viewer instead (with `response-page-path`), e.g. 200 for a single-page app."),
        Attribute::optional("response-page-path", Type::String)
            .doc("The object served instead, e.g. `/index.html` (with `response-code`)."),
        Attribute::optional("error-caching-min-ttl", Type::Int)
            .doc("Seconds CloudFront caches this error response (AWS default 10)."),
    ])
    .with_args("error-code")
}

fn viewer_certificate() -> BlockSchema {
    BlockSchema::new(vec![
        Attribute::optional("acm-certificate-arn", Type::String)
            .doc("An ACM certificate, which must be in us-east-1, covering the aliases."),
        Attribute::optional("iam-certificate-id", Type::String)
            .doc("A certificate uploaded to IAM instead."),
        Attribute::optional("cloudfront-default-certificate", Type::Bool)
            .doc("Use the `*.cloudfront.net` certificate explicitly."),
        Attribute::optional_computed(
            "ssl-support-method",
            Type::one_of(&["sni-only", "vip", "static-ip"]),
        )
        .doc("How HTTPS is served for the aliases: `sni-only` (the default with a certificate) or `vip` (dedicated IPs, costly)."),
        Attribute::optional_computed("minimum-protocol-version", Type::String)
            .doc("The minimum TLS policy for viewers, e.g. `TLSv1.2_2021` (the default with a certificate)."),
    ])
    .with_constraint(Constraint::ExactlyOneOf(vec![
        "acm-certificate-arn",
        "iam-certificate-id",
        "cloudfront-default-certificate",
    ]))
}

fn geo_restriction() -> BlockSchema {
    BlockSchema::new(vec![
        Attribute::required(
            "restriction-type",
            Type::one_of(&["none", "whitelist", "blacklist"]),
        )
        .doc("`whitelist` (only these countries), `blacklist` (all but these) or `none` (its argument)."),
        Attribute::optional("locations", Type::list(Type::String))
            .doc("ISO 3166-1 alpha-2 country codes, e.g. `FR BE`."),
    ])
    .with_args("restriction-type")
}
