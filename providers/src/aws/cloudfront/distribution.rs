//! `cloudfront.distribution`: a CloudFront distribution (a CDN in front of one or more
//! origins).
//!
//! Maps to CreateDistributionWithTags / GetDistribution / UpdateDistribution (the whole
//! config, with the ETag as IfMatch) / DeleteDistribution (which needs the distribution
//! disabled and deployed first: delete disables, waits, then deletes). Waits for
//! `Deployed` after create and update unless `wait-for-deployment #false`. No
//! force-new attribute: everything is updatable in place. Caching uses either a cache
//! policy (`cache-policy-id`, e.g. the managed CachingOptimized policy) or the legacy
//! settings (`min-ttl` / `default-ttl` / `max-ttl`, no query string or cookie forwarded).

use std::sync::LazyLock;

use strata_engine::{Attribute, BlockSchema, Constraint, Schema, Type, Value};

use crate::aws::tags;

/// The `cloudfront.distribution` resource type.
pub struct Distribution {
    pub(crate) aws: crate::aws::client::Aws,
}

crate::aws::schema_only!(resource Distribution, "cloudfront.distribution", SCHEMA);

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
