//! `cloudfront.origin-access-control` and `cloudfront.distribution` against the
//! emulator: the whole life of each, in the shape the digidex frontend stack uses (a
//! private S3 origin signed by an origin access control, a managed cache policy, a
//! single-page-app error response, aliases with an ACM certificate), plus import by id.
//!
//! Neither type has a force-new attribute (CloudFront updates everything in place), so
//! their replacement is the one `--replace` asks for.

mod support;

use aws_sdk_cloudfront::types::{
    DistributionConfig, OriginAccessControlConfig, OriginAccessControlOriginTypes,
    OriginAccessControlSigningBehaviors, OriginAccessControlSigningProtocols, Tag, Tags,
};
use strata_engine::Value;
use strata_engine::plan::Action;
use support::{Env, run};

const CERTIFICATE: &str =
    "arn:aws:acm:us-east-1:123456789012:certificate/1f6e3a2b-0c4d-4e5f-8a9b-0c1d2e3f4a5b";
const SITE_DOMAIN: &str = "digidex-front-test.s3.eu-west-3.amazonaws.com";

fn oac_spec(description: &str, behavior: &str) -> String {
    format!(
        r#"stack web {{
    cloudfront.origin-access-control oac {{
        name "site-oac"
        description "{description}"
        origin-type s3
        signing-behavior {behavior}
        signing-protocol sigv4
    }}
}}
"#
    )
}

#[test]
fn origin_access_control_lifecycle() {
    run(async {
        let env = Env::new();
        let cloudfront = env.aws.cloudfront().await.unwrap();

        // create → read
        env.write(&oac_spec("for the site", "always"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "web.oac", Action::Create);
        let id = env.id("web.oac");
        let got = cloudfront
            .get_origin_access_control()
            .id(&id)
            .send()
            .await
            .unwrap();
        let config = got
            .origin_access_control()
            .unwrap()
            .origin_access_control_config()
            .unwrap();
        assert_eq!(config.name(), "site-oac");
        assert_eq!(config.description(), Some("for the site"));
        assert_eq!(config.signing_behavior().as_str(), "always");
        assert_eq!(config.origin_access_control_origin_type().as_str(), "s3");
        assert_eq!(env.attr("web.oac", "id"), Value::from(id.as_str()));
        env.assert_no_changes().await;

        // a change outside strata is drift, and apply converges
        cloudfront
            .update_origin_access_control()
            .id(&id)
            .if_match(got.e_tag().unwrap())
            .origin_access_control_config(
                OriginAccessControlConfig::builder()
                    .name("site-oac")
                    .description("for the site")
                    .origin_access_control_origin_type(OriginAccessControlOriginTypes::S3)
                    .signing_behavior(OriginAccessControlSigningBehaviors::Never)
                    .signing_protocol(OriginAccessControlSigningProtocols::Sigv4)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        let plan = env.assert_drift("web.oac", "signing-behavior").await;
        Env::assert_action(&plan, "web.oac", Action::Update);
        env.apply().await;
        env.assert_no_changes().await;
        let behavior = |out: &aws_sdk_cloudfront::operation::get_origin_access_control::GetOriginAccessControlOutput| {
            out.origin_access_control()
                .unwrap()
                .origin_access_control_config()
                .unwrap()
                .signing_behavior()
                .as_str()
                .to_owned()
        };
        let got = cloudfront
            .get_origin_access_control()
            .id(&id)
            .send()
            .await
            .unwrap();
        assert_eq!(behavior(&got), "always");

        // an update in place keeps the id
        env.write(&oac_spec("the site's bucket", "no-override"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "web.oac", Action::Update);
        assert_eq!(env.id("web.oac"), id);
        let got = cloudfront
            .get_origin_access_control()
            .id(&id)
            .send()
            .await
            .unwrap();
        assert_eq!(behavior(&got), "no-override");
        assert_eq!(
            got.origin_access_control()
                .unwrap()
                .origin_access_control_config()
                .unwrap()
                .description(),
            Some("the site's bucket")
        );
        env.assert_no_changes().await;

        // a replacement (nothing forces one: `--replace`) makes a new control and
        // deletes the old one
        let (plan, _) = env.apply_replacing("web.oac").await;
        Env::assert_action(&plan, "web.oac", Action::Replace);
        let new_id = env.id("web.oac");
        assert_ne!(new_id, id);
        assert!(
            cloudfront
                .get_origin_access_control()
                .id(&id)
                .send()
                .await
                .is_err(),
            "the old origin access control remains"
        );
        env.assert_no_changes().await;

        // destroy → gone
        env.destroy().await;
        assert!(
            cloudfront
                .get_origin_access_control()
                .id(&new_id)
                .send()
                .await
                .is_err(),
            "the origin access control remains"
        );
        assert!(env.state().resources.is_empty());
    });
}

#[test]
fn an_origin_access_control_is_imported_by_id() {
    run(async {
        let env = Env::new();
        let cloudfront = env.aws.cloudfront().await.unwrap();
        let made = cloudfront
            .create_origin_access_control()
            .origin_access_control_config(
                OriginAccessControlConfig::builder()
                    .name("site-oac")
                    .description("for the site")
                    .origin_access_control_origin_type(OriginAccessControlOriginTypes::S3)
                    .signing_behavior(OriginAccessControlSigningBehaviors::Always)
                    .signing_protocol(OriginAccessControlSigningProtocols::Sigv4)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        let id = made.origin_access_control().unwrap().id().to_owned();
        env.write(&oac_spec("for the site", "always"));
        let record = env
            .import("web.oac", &id)
            .await
            .unwrap_or_else(|_| panic!("the import failed"));
        assert_eq!(record.id, id);
        assert_eq!(env.attr("web.oac", "name"), Value::from("site-oac"));
        env.assert_no_changes().await;

        // an id that names nothing is refused
        env.write(&oac_spec("for the site", "always").replace("oac {", "other {"));
        assert!(env.import("web.other", "E0NOSUCHID").await.is_err());
    });
}

/// The digidex frontend's shape, with an API origin and a legacy-cached behavior for it.
fn distribution_spec(comment: &str, price: &str, error_path: &str, team: &str) -> String {
    format!(
        r#"stack front {{
    cloudfront.origin-access-control site-oac {{
        name "front-oac"
        description "signs requests to the site bucket"
        origin-type s3
        signing-behavior always
        signing-protocol sigv4
    }}

    cloudfront.distribution cdn {{
        comment "{comment}"
        aliases www.example.com example.com
        default-root-object index.html
        is-ipv6-enabled #true
        enabled #true
        http-version http2
        price-class {price}

        origin site domain-name="{SITE_DOMAIN}" \
            origin-access-control-id=(ref)"site-oac.id" {{
            s3-origin
        }}
        origin api domain-name=api.example.com origin-path="/prod" {{
            custom-origin protocol-policy=https-only
            custom-header X-Origin-Verify value=secret
        }}

        default-cache-behavior target-origin-id=site viewer-protocol-policy=redirect-to-https {{
            allowed-methods GET HEAD
            cached-methods GET HEAD
            compress #true
            cache-policy-id "658327ea-f89d-4fab-a63d-7e88639e58f6"
        }}
        ordered-cache-behavior "/api/*" target-origin-id=api viewer-protocol-policy=https-only {{
            allowed-methods GET HEAD OPTIONS PUT POST PATCH DELETE
            cached-methods GET HEAD
            default-ttl 0
        }}

        custom-error-response 403 response-code=200 response-page-path="{error_path}" error-caching-min-ttl=1800
        custom-error-response 404 response-code=200 response-page-path="{error_path}"

        viewer-certificate acm-certificate-arn="{CERTIFICATE}" \
            ssl-support-method=sni-only minimum-protocol-version=TLSv1.2_2021

        tags app=digidexapi team={team}
    }}

    output distribution-id (ref)"cdn.id"
}}
"#
    )
}

/// A builder holding every field the emulator returns of `c`.
fn rebuild(
    c: &DistributionConfig,
) -> aws_sdk_cloudfront::types::builders::DistributionConfigBuilder {
    DistributionConfig::builder()
        .caller_reference(c.caller_reference())
        .set_aliases(c.aliases().cloned())
        .set_default_root_object(c.default_root_object().map(str::to_owned))
        .set_origins(c.origins().cloned())
        .set_default_cache_behavior(c.default_cache_behavior().cloned())
        .set_cache_behaviors(c.cache_behaviors().cloned())
        .set_custom_error_responses(c.custom_error_responses().cloned())
        .comment(c.comment())
        .set_price_class(c.price_class().cloned())
        .enabled(c.enabled())
        .set_viewer_certificate(c.viewer_certificate().cloned())
        .set_restrictions(c.restrictions().cloned())
        .set_web_acl_id(c.web_acl_id().map(str::to_owned))
        .set_http_version(c.http_version().cloned())
        .set_is_ipv6_enabled(c.is_ipv6_enabled())
}

#[test]
fn distribution_lifecycle() {
    run(async {
        let env = Env::new();
        let cloudfront = env.aws.cloudfront().await.unwrap();

        // create → read
        env.write(&distribution_spec(
            "digidex front",
            "PriceClass_All",
            "/index.html",
            "web",
        ));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "front.cdn", Action::Create);
        let id = env.id("front.cdn");
        let oac = env.id("front.site-oac");
        let got = cloudfront.get_distribution().id(&id).send().await.unwrap();
        let d = got.distribution().unwrap();
        assert_eq!(d.status(), "Deployed");
        let c = d.distribution_config().unwrap();
        assert_eq!(c.comment(), "digidex front");
        assert!(c.enabled());
        assert_eq!(c.default_root_object(), Some("index.html"));
        assert_eq!(c.price_class().unwrap().as_str(), "PriceClass_All");
        let mut aliases = c.aliases().unwrap().items().to_vec();
        aliases.sort();
        assert_eq!(aliases, ["example.com", "www.example.com"]);
        let vc = c.viewer_certificate().unwrap();
        assert_eq!(vc.acm_certificate_arn(), Some(CERTIFICATE));
        assert_eq!(vc.ssl_support_method().unwrap().as_str(), "sni-only");
        assert_eq!(
            vc.minimum_protocol_version().unwrap().as_str(),
            "TLSv1.2_2021"
        );
        assert_eq!(vc.cloud_front_default_certificate(), Some(false));
        let errors = c.custom_error_responses().unwrap().items();
        assert_eq!(errors.len(), 2);
        let forbidden = errors.iter().find(|e| e.error_code() == 403).unwrap();
        assert_eq!(forbidden.response_code(), Some("200"));
        assert_eq!(forbidden.response_page_path(), Some("/index.html"));
        assert_eq!(forbidden.error_caching_min_ttl(), Some(1800));
        let dcb = c.default_cache_behavior().unwrap();
        assert_eq!(
            dcb.cache_policy_id(),
            Some("658327ea-f89d-4fab-a63d-7e88639e58f6")
        );
        assert_eq!(dcb.viewer_protocol_policy().as_str(), "redirect-to-https");
        let api_behavior = &c.cache_behaviors().unwrap().items()[0];
        assert_eq!(api_behavior.path_pattern(), "/api/*");
        assert_eq!(api_behavior.allowed_methods().unwrap().items().len(), 7);
        let origins = c.origins().unwrap().items();
        let site = origins.iter().find(|o| o.id() == "site").unwrap();
        // moto: the origin's OriginAccessControlId and S3OriginConfig are dropped on
        // read-back; AWS returns both (the control's id, an empty OriginAccessIdentity).
        // Read keeps what was applied to such an origin, so the plan below stays empty.
        assert_eq!(site.origin_access_control_id(), None);
        assert!(site.s3_origin_config().is_none());
        let api = origins.iter().find(|o| o.id() == "api").unwrap();
        assert_eq!(api.origin_path(), Some("/prod"));
        let custom = api.custom_origin_config().unwrap();
        assert_eq!(custom.origin_protocol_policy().as_str(), "https-only");
        assert_eq!(custom.https_port(), 443);
        assert_eq!(
            api.custom_headers().unwrap().items()[0].header_name(),
            "X-Origin-Verify"
        );
        let tags = cloudfront
            .list_tags_for_resource()
            .resource(d.arn())
            .send()
            .await
            .unwrap();
        assert!(
            tags.tags()
                .unwrap()
                .items()
                .iter()
                .any(|t| t.key() == "team" && t.value() == Some("web"))
        );
        assert_eq!(env.attr("front.cdn", "arn"), Value::from(d.arn()));
        assert_eq!(
            env.attr("front.cdn", "domain-name"),
            Value::from(d.domain_name())
        );
        assert_eq!(
            env.attr("front.cdn", "hosted-zone-id"),
            Value::from("Z2FDTNDATAQYW2")
        );
        assert_eq!(env.attr("front.cdn", "status"), Value::from("Deployed"));
        let site_origin = match env.attr("front.cdn", "origin") {
            Value::List(items) => items[0].clone(),
            other => panic!("origin is {other:?}"),
        };
        let Value::Map(site_origin) = site_origin else {
            panic!("origin is not a block")
        };
        assert_eq!(
            site_origin.get("origin-access-control-id"),
            Some(&Value::from(oac.as_str()))
        );

        // apply-then-plan is empty
        env.assert_no_changes().await;

        // a change outside strata is drift, and apply converges
        cloudfront
            .tag_resource()
            .resource(d.arn())
            .tags(
                Tags::builder()
                    .items(Tag::builder().key("team").value("ops").build().unwrap())
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let current = cloudfront
            .get_distribution_config()
            .id(&id)
            .send()
            .await
            .unwrap();
        cloudfront
            .update_distribution()
            .id(&id)
            .if_match(current.e_tag().unwrap())
            .distribution_config(
                rebuild(current.distribution_config().unwrap())
                    .comment("changed by hand")
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        let plan = env.assert_drift("front.cdn", "tags").await;
        assert!(
            plan.drift[0].attributes.iter().any(|a| a.name == "comment"),
            "the comment changed outside strata is not drift"
        );
        Env::assert_action(&plan, "front.cdn", Action::Update);
        env.apply().await;
        env.assert_no_changes().await;
        let got = cloudfront.get_distribution().id(&id).send().await.unwrap();
        assert_eq!(
            got.distribution()
                .unwrap()
                .distribution_config()
                .unwrap()
                .comment(),
            "digidex front"
        );

        // an update in place keeps the id
        let etag = env.attr("front.cdn", "etag");
        env.write(&distribution_spec(
            "digidex front v2",
            "PriceClass_100",
            "/",
            "data",
        ));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "front.cdn", Action::Update);
        Env::assert_action(&plan, "front.site-oac", Action::NoOp);
        assert_eq!(env.id("front.cdn"), id);
        let got = cloudfront.get_distribution().id(&id).send().await.unwrap();
        let c = got.distribution().unwrap().distribution_config().unwrap();
        assert_eq!(c.comment(), "digidex front v2");
        assert_eq!(c.price_class().unwrap().as_str(), "PriceClass_100");
        assert!(
            c.custom_error_responses()
                .unwrap()
                .items()
                .iter()
                .all(|e| e.response_page_path() == Some("/"))
        );
        let tags = cloudfront
            .list_tags_for_resource()
            .resource(got.distribution().unwrap().arn())
            .send()
            .await
            .unwrap();
        assert!(
            tags.tags()
                .unwrap()
                .items()
                .iter()
                .any(|t| t.key() == "team" && t.value() == Some("data"))
        );
        // moto: ETags never change (any IfMatch is accepted); AWS gives each update a
        // new one, which is why every update and delete fetches the current ETag first.
        assert_eq!(got.e_tag().map(Value::from), Some(etag.clone()));
        assert_eq!(env.attr("front.cdn", "etag"), etag);
        env.assert_no_changes().await;

        // a replacement (nothing forces one: `--replace`) makes a new distribution; the
        // old one is disabled, waited for and deleted
        let (plan, _) = env.apply_replacing("front.cdn").await;
        Env::assert_action(&plan, "front.cdn", Action::Replace);
        let new_id = env.id("front.cdn");
        assert_ne!(new_id, id);
        let old = cloudfront.get_distribution().id(&id).send().await;
        assert!(old.is_err(), "the old distribution remains");
        env.assert_no_changes().await;

        // destroy → gone, the distribution before its origin access control
        env.destroy().await;
        assert!(
            cloudfront
                .get_distribution()
                .id(&new_id)
                .send()
                .await
                .is_err(),
            "the distribution remains"
        );
        assert!(
            cloudfront
                .get_origin_access_control()
                .id(&oac)
                .send()
                .await
                .is_err(),
            "the origin access control remains"
        );
        assert!(env.state().resources.is_empty());
    });
}

#[test]
fn a_minimal_distribution_with_defaults_is_stable_and_importable() {
    run(async {
        let env = Env::new();
        let cloudfront = env.aws.cloudfront().await.unwrap();
        let spec = r#"stack front {
    cloudfront.distribution cdn {
        enabled #false
        origin web domain-name=www.example.org {
            custom-origin protocol-policy=match-viewer
        }
        default-cache-behavior target-origin-id=web viewer-protocol-policy=allow-all
        geo-restriction whitelist {
            locations BE FR
        }
    }
}
"#;
        env.write(spec);
        env.apply().await;
        let id = env.id("front.cdn");
        let got = cloudfront.get_distribution().id(&id).send().await.unwrap();
        let c = got.distribution().unwrap().distribution_config().unwrap();
        assert!(!c.enabled());
        assert_eq!(
            c.viewer_certificate()
                .unwrap()
                .cloud_front_default_certificate(),
            Some(true)
        );
        let geo = c.restrictions().unwrap().geo_restriction().unwrap();
        assert_eq!(geo.restriction_type().as_str(), "whitelist");
        // The legacy TTLs left out of the spec are sent as AWS's defaults.
        #[allow(deprecated)]
        let ttls = {
            let b = c.default_cache_behavior().unwrap();
            (b.min_ttl(), b.default_ttl(), b.max_ttl())
        };
        assert_eq!(ttls, (Some(0), Some(86_400), Some(31_536_000)));
        env.assert_no_changes().await;

        // deleted from the state, then imported back by id: the plan is empty again
        let mut state = env.state();
        state.resources.remove("front.cdn");
        let store = env.store();
        let mut changed = strata_engine::state::Changed::new();
        changed.resource("front.cdn");
        strata_engine::state::StateSink::save(&store, &mut state, &changed).unwrap();
        let record = env
            .import("front.cdn", &id)
            .await
            .unwrap_or_else(|_| panic!("the import failed"));
        assert_eq!(record.id, id);
        env.assert_no_changes().await;

        // destroying a disabled distribution deletes it without disabling it first
        env.destroy().await;
        assert!(
            cloudfront.get_distribution().id(&id).send().await.is_err(),
            "the distribution remains"
        );

        // a distribution deleted outside strata is planned again
        env.apply().await;
        let id = env.id("front.cdn");
        let got = cloudfront.get_distribution().id(&id).send().await.unwrap();
        let etag = got.e_tag().unwrap();
        cloudfront
            .delete_distribution()
            .id(&id)
            .if_match(etag)
            .send()
            .await
            .unwrap();
        let plan = env.plan().await;
        Env::assert_action(&plan, "front.cdn", Action::Create);
    });
}
