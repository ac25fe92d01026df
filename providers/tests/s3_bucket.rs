//! `s3.bucket` against the emulator: the whole life of one bucket and its settings,
//! emptying with `force-destroy`, and import by name.

mod support;

use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Tag, Tagging};
use strata_engine::Value;
use strata_engine::plan::Action;
use support::{Env, run};

struct Site<'a> {
    bucket: &'a str,
    versioning: bool,
    expire_days: i64,
    error_document: &'a str,
    cors: bool,
    team: &'a str,
}

/// The bucket's versioning status as the SDK reads it; on moto, from the raw body.
async fn versioning(s3: &aws_sdk_s3::Client, bucket: &str) -> Option<String> {
    match s3.get_bucket_versioning().bucket(bucket).send().await {
        // AWS: the answer parses.
        Ok(out) => out.status().map(|s| s.as_str().to_owned()),
        // moto: the XML root is `GetBucketVersioningResponse`, which the SDK refuses;
        // the `<Status>` inside is AWS's.
        Err(SdkError::ServiceError(e)) => {
            let body = String::from_utf8_lossy(e.raw().body().bytes().unwrap()).into_owned();
            assert!(body.contains("<GetBucketVersioningResponse"), "{body}");
            let start = body.find("<Status>")? + "<Status>".len();
            let end = body.find("</Status>")?;
            Some(body[start..end].to_owned())
        }
        Err(e) => panic!("GetBucketVersioning failed: {e:?}"),
    }
}

fn spec(s: &Site) -> String {
    let cors = if s.cors {
        r#"
        cors-rule {
            allowed-methods GET HEAD
            allowed-origins "https://www.example.com"
            allowed-headers "*"
            max-age-seconds 300
        }"#
    } else {
        ""
    };
    format!(
        r#"stack web {{
    s3.bucket site {{
        bucket "{bucket}"
        versioning #{versioning}
        encryption AES256
        public-access-block block-public-policy=#false
        lifecycle-rule old-versions noncurrent-version-expiration-days=30
        lifecycle-rule logs prefix="logs/" expiration-days={expire_days} abort-incomplete-multipart-upload-days=2
        website index-document=index.html error-document="{error_document}"{cors}
        tags Name=site Team={team}
    }}
}}
"#,
        bucket = s.bucket,
        versioning = s.versioning,
        expire_days = s.expire_days,
        error_document = s.error_document,
        team = s.team,
    )
}

#[test]
fn bucket_lifecycle() {
    run(async {
        let env = Env::new();
        let s3 = env.aws.s3().await.unwrap();
        let mut site = Site {
            bucket: "strata-site-one",
            versioning: true,
            expire_days: 7,
            error_document: "error.html",
            cors: true,
            team: "web",
        };

        // create → read
        env.write(&spec(&site));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "web.site", Action::Create);
        let id = env.id("web.site");
        assert_eq!(id, "strata-site-one");
        assert_eq!(versioning(&s3, &id).await.as_deref(), Some("Enabled"));
        let location = s3.get_bucket_location().bucket(&id).send().await.unwrap();
        assert_eq!(
            location.location_constraint().map(|c| c.as_str()),
            Some("eu-west-3")
        );
        let website = s3.get_bucket_website().bucket(&id).send().await.unwrap();
        assert_eq!(website.index_document().unwrap().suffix(), "index.html");
        let lifecycle = s3
            .get_bucket_lifecycle_configuration()
            .bucket(&id)
            .send()
            .await
            .unwrap();
        assert_eq!(lifecycle.rules().len(), 2);
        let access = s3
            .get_public_access_block()
            .bucket(&id)
            .send()
            .await
            .unwrap();
        let access = access.public_access_block_configuration().unwrap();
        assert_eq!(access.block_public_policy(), Some(false));
        assert_eq!(access.block_public_acls(), Some(true));
        let cors = s3.get_bucket_cors().bucket(&id).send().await.unwrap();
        assert_eq!(cors.cors_rules()[0].allowed_methods(), ["GET", "HEAD"]);
        assert_eq!(
            env.attr("web.site", "bucket-regional-domain-name"),
            Value::from("strata-site-one.s3.eu-west-3.amazonaws.com")
        );
        assert_eq!(
            env.attr("web.site", "arn"),
            Value::from("arn:aws:s3:::strata-site-one")
        );

        // apply-then-plan is empty
        env.assert_no_changes().await;

        // changes outside strata are drift, and apply converges
        s3.put_bucket_tagging()
            .bucket(&id)
            .tagging(
                Tagging::builder()
                    .tag_set(Tag::builder().key("Team").value("ops").build().unwrap())
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        s3.delete_bucket_cors().bucket(&id).send().await.unwrap();
        s3.delete_bucket_website().bucket(&id).send().await.unwrap();
        let plan = env.assert_drift("web.site", "tags").await;
        let drifted: Vec<&str> = plan.drift[0]
            .attributes
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert!(drifted.contains(&"cors-rule"), "{drifted:?}");
        assert!(drifted.contains(&"website"), "{drifted:?}");
        Env::assert_action(&plan, "web.site", Action::Update);
        env.apply().await;
        env.assert_no_changes().await;
        assert!(s3.get_bucket_cors().bucket(&id).send().await.is_ok());
        let tags = s3.get_bucket_tagging().bucket(&id).send().await.unwrap();
        assert!(
            tags.tag_set()
                .iter()
                .any(|t| t.key() == "Team" && t.value() == "web")
        );

        // an update in place keeps the id
        site.versioning = false;
        site.expire_days = 14;
        site.error_document = "404.html";
        site.cors = false;
        site.team = "data";
        env.write(&spec(&site));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "web.site", Action::Update);
        assert_eq!(env.id("web.site"), id);
        assert_eq!(versioning(&s3, &id).await.as_deref(), Some("Suspended"));
        let website = s3.get_bucket_website().bucket(&id).send().await.unwrap();
        assert_eq!(website.error_document().unwrap().key(), "404.html");
        let lifecycle = s3
            .get_bucket_lifecycle_configuration()
            .bucket(&id)
            .send()
            .await
            .unwrap();
        let logs = lifecycle
            .rules()
            .iter()
            .find(|r| r.id() == Some("logs"))
            .unwrap();
        assert_eq!(logs.expiration().unwrap().days(), Some(14));
        assert!(
            s3.get_bucket_cors().bucket(&id).send().await.is_err(),
            "the CORS configuration remains"
        );
        env.assert_no_changes().await;

        // a new name forces a replacement
        site.bucket = "strata-site-two";
        env.write(&spec(&site));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "web.site", Action::Replace);
        let new_id = env.id("web.site");
        assert_eq!(new_id, "strata-site-two");
        assert!(
            s3.head_bucket().bucket(&id).send().await.is_err(),
            "the old bucket remains"
        );
        env.assert_no_changes().await;

        // destroy → gone
        env.destroy().await;
        assert!(
            s3.head_bucket().bucket(&new_id).send().await.is_err(),
            "the bucket remains"
        );
        assert!(env.state().resources.is_empty());
    });
}

fn plain(bucket: &str, force_destroy: bool) -> String {
    format!(
        r#"stack web {{
    s3.bucket data {{
        bucket "{bucket}"
        versioning #true
        force-destroy #{force_destroy}
    }}
}}
"#
    )
}

#[test]
fn force_destroy_empties_every_version_and_without_it_deletion_fails() {
    run(async {
        let env = Env::new();
        let s3 = env.aws.s3().await.unwrap();
        env.write(&plain("strata-data", false));
        env.apply().await;
        for body in ["one", "two", "three"] {
            s3.put_object()
                .bucket("strata-data")
                .key("a.txt")
                .body(ByteStream::from_static(body.as_bytes()))
                .send()
                .await
                .unwrap();
        }
        s3.put_object()
            .bucket("strata-data")
            .key("b.txt")
            .body(ByteStream::from_static(b"b"))
            .send()
            .await
            .unwrap();
        // A delete marker on top of b.txt's version.
        s3.delete_object()
            .bucket("strata-data")
            .key("b.txt")
            .send()
            .await
            .unwrap();

        // Without force-destroy, AWS's own refusal is reported and the bucket stays.
        env.write("stack web {\n}\n");
        let (_, report) = env.try_apply().await.expect("an apply with changes");
        assert!(!report.is_success());
        let failure = support::failures(&report);
        assert!(failure.contains("BucketNotEmpty"), "{failure}");
        assert!(s3.head_bucket().bucket("strata-data").send().await.is_ok());

        // With it, every version and delete marker goes, then the bucket.
        env.write(&plain("strata-data", true));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "web.data", Action::Update);
        env.assert_no_changes().await;
        env.destroy().await;
        assert!(
            s3.head_bucket().bucket("strata-data").send().await.is_err(),
            "the bucket remains"
        );
    });
}

#[test]
fn a_bucket_is_imported_by_name() {
    run(async {
        let env = Env::new();
        let s3 = env.aws.s3().await.unwrap();
        s3.create_bucket()
            .bucket("strata-imported")
            .create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest3)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        s3.put_bucket_tagging()
            .bucket("strata-imported")
            .tagging(
                Tagging::builder()
                    .tag_set(Tag::builder().key("Team").value("web").build().unwrap())
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        env.write(
            r#"stack web {
    s3.bucket old {
        bucket "strata-imported"
        tags Team=web
    }
}
"#,
        );
        let (_, registry) = env.load();
        let record = env
            .import("web.old", "strata-imported")
            .await
            .unwrap_or_else(|stop| panic!("the import failed: {}", stop_text(&stop)));
        assert_eq!(record.id, "strata-imported");
        assert_eq!(env.id("web.old"), "strata-imported");

        // Only strata's own `force-destroy`, which AWS cannot tell, is left to record.
        let plan = env.plan().await;
        Env::assert_action(&plan, "web.old", Action::Update);
        let change = plan
            .changes
            .iter()
            .find(|c| c.address == "web.old")
            .unwrap();
        let names: Vec<&str> = change.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["force-destroy"]);
        env.apply().await;
        env.assert_no_changes().await;

        // An id that names nothing is an error, not an empty record.
        let ty = registry.resource("s3.bucket").unwrap();
        assert!(ty.import("strata-no-such-bucket").await.unwrap().is_none());
    });
}

fn stop_text(stop: &strata_engine::workflow::Stop) -> String {
    match stop {
        strata_engine::workflow::Stop::Spec(f) => f.render_human(false, 100),
        other => format!("{other:?}"),
    }
}
