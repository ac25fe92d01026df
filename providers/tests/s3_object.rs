//! `s3.object` against the emulator: one file through its whole life (a local edit is
//! an update), inline content, and a folder of site assets.

mod support;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Tag, Tagging};
use strata_engine::Value;
use strata_engine::plan::Action;
use support::{Env, run};

const BUCKET: &str = "strata-objects";

fn file_spec(key: &str, cache: &str, team: &str) -> String {
    format!(
        r#"stack web {{
    s3.bucket assets {{
        bucket "{BUCKET}"
        force-destroy #true
    }}
    s3.object page {{
        bucket (ref)"assets.bucket"
        key "{key}"
        source "site/index.html"
        cache-control "{cache}"
        metadata owner=web
        tags Team={team}
    }}
}}
"#
    )
}

async fn body(s3: &aws_sdk_s3::Client, key: &str) -> Option<String> {
    let out = s3.get_object().bucket(BUCKET).key(key).send().await.ok()?;
    let bytes = out.body.collect().await.unwrap().into_bytes();
    Some(String::from_utf8(bytes.to_vec()).unwrap())
}

#[test]
fn file_object_lifecycle() {
    run(async {
        let env = Env::new();
        let s3 = env.aws.s3().await.unwrap();
        env.write_file("site/index.html", b"<h1>one</h1>");

        // create → read
        env.write(&file_spec("index.html", "max-age=300", "web"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "web.page", Action::Create);
        let id = env.id("web.page");
        assert_eq!(id, "strata-objects/index.html");
        let head = s3
            .head_object()
            .bucket(BUCKET)
            .key("index.html")
            .send()
            .await
            .unwrap();
        assert_eq!(head.content_type(), Some("text/html"));
        assert_eq!(head.cache_control(), Some("max-age=300"));
        assert_eq!(
            head.metadata().unwrap().get("owner").map(String::as_str),
            Some("web")
        );
        assert!(head.metadata().unwrap().contains_key("strata-sha256"));
        assert_eq!(
            body(&s3, "index.html").await.as_deref(),
            Some("<h1>one</h1>")
        );
        assert_eq!(
            env.attr("web.page", "content-type"),
            Value::from("text/html")
        );
        // strata's own metadata never shows in the attribute
        assert_eq!(
            env.attr("web.page", "metadata"),
            Value::Map([("owner".to_owned(), Value::from("web"))].into())
        );

        // apply-then-plan is empty
        env.assert_no_changes().await;

        // a change outside strata is drift, and apply converges
        s3.put_object_tagging()
            .bucket(BUCKET)
            .key("index.html")
            .tagging(
                Tagging::builder()
                    .tag_set(Tag::builder().key("Team").value("ops").build().unwrap())
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        let plan = env.assert_drift("web.page", "tags").await;
        Env::assert_action(&plan, "web.page", Action::Update);
        env.apply().await;
        env.assert_no_changes().await;
        let tags = s3
            .get_object_tagging()
            .bucket(BUCKET)
            .key("index.html")
            .send()
            .await
            .unwrap();
        assert_eq!(tags.tag_set()[0].value(), "web");

        // editing the local file is an update of `source`, in place
        env.write_file("site/index.html", b"<h1>two</h1>");
        let plan = env.plan().await;
        Env::assert_action(&plan, "web.page", Action::Update);
        let change = plan
            .changes
            .iter()
            .find(|c| c.address == "web.page")
            .unwrap();
        let source = change
            .attributes
            .iter()
            .find(|a| a.name == "source")
            .expect("the plan changes `source`");
        let shown = format!("{:?}", source.before);
        assert!(shown.contains("content in S3 differs"), "{shown}");
        env.write(&file_spec("index.html", "max-age=60", "web"));
        env.apply().await;
        assert_eq!(env.id("web.page"), id);
        assert_eq!(
            body(&s3, "index.html").await.as_deref(),
            Some("<h1>two</h1>")
        );
        let head = s3
            .head_object()
            .bucket(BUCKET)
            .key("index.html")
            .send()
            .await
            .unwrap();
        assert_eq!(head.cache_control(), Some("max-age=60"));
        env.assert_no_changes().await;

        // a new key forces a replacement
        env.write(&file_spec("home.html", "max-age=60", "web"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "web.page", Action::Replace);
        assert_eq!(env.id("web.page"), "strata-objects/home.html");
        assert!(
            body(&s3, "index.html").await.is_none(),
            "the old object remains"
        );
        assert_eq!(
            body(&s3, "home.html").await.as_deref(),
            Some("<h1>two</h1>")
        );
        env.assert_no_changes().await;

        // an object deleted outside strata is planned again
        s3.delete_object()
            .bucket(BUCKET)
            .key("home.html")
            .send()
            .await
            .unwrap();
        let plan = env.plan().await;
        Env::assert_action(&plan, "web.page", Action::Create);
        env.apply().await;

        // destroy → gone
        env.destroy().await;
        assert!(s3.head_bucket().bucket(BUCKET).send().await.is_err());
        assert!(env.state().resources.is_empty());
    });
}

fn content_spec(text: &str) -> String {
    format!(
        r#"stack web {{
    s3.bucket assets {{
        bucket "{BUCKET}"
    }}
    s3.object robots {{
        bucket (ref)"assets.bucket"
        key "robots.txt"
        content "{text}"
    }}
}}
"#
    )
}

#[test]
fn inline_content_is_compared_with_the_object() {
    run(async {
        let env = Env::new();
        let s3 = env.aws.s3().await.unwrap();
        env.write(&content_spec("User-agent: *"));
        env.apply().await;
        let head = s3
            .head_object()
            .bucket(BUCKET)
            .key("robots.txt")
            .send()
            .await
            .unwrap();
        assert_eq!(head.content_type(), Some("text/plain"));
        env.assert_no_changes().await;

        // the object overwritten outside strata shows its own body as drift
        s3.put_object()
            .bucket(BUCKET)
            .key("robots.txt")
            .body(ByteStream::from_static(b"Disallow: /"))
            .send()
            .await
            .unwrap();
        let plan = env.assert_drift("web.robots", "content").await;
        let drift = &plan.drift[0].attributes[0];
        assert!(format!("{:?}", drift.after).contains("Disallow: /"));
        env.apply().await;
        env.assert_no_changes().await;
        assert_eq!(
            body(&s3, "robots.txt").await.as_deref(),
            Some("User-agent: *")
        );

        // new content is an update in place
        env.write(&content_spec("User-agent: bot"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "web.robots", Action::Update);
        assert_eq!(
            body(&s3, "robots.txt").await.as_deref(),
            Some("User-agent: bot")
        );
        env.assert_no_changes().await;
        env.destroy().await;
        assert!(s3.head_bucket().bucket(BUCKET).send().await.is_err());
    });
}

fn folder_spec(prefix: &str) -> String {
    format!(
        r#"stack web {{
    s3.bucket assets {{
        bucket "{BUCKET}"
        force-destroy #true
    }}
    s3.object site {{
        bucket (ref)"assets.bucket"
        key "{prefix}"
        source "dist"
        cache-control "max-age=300"
    }}
}}
"#
    )
}

async fn keys(s3: &aws_sdk_s3::Client) -> Vec<String> {
    let out = s3.list_objects_v2().bucket(BUCKET).send().await.unwrap();
    out.contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect()
}

#[test]
fn folder_of_site_assets() {
    run(async {
        let env = Env::new();
        let s3 = env.aws.s3().await.unwrap();
        env.write_file("dist/index.html", b"<h1>home</h1>");
        env.write_file("dist/css/app.css", b"body{}");
        env.write_file("dist/img/logo.png", b"\x89PNG");

        // create: every file under the prefix, each with its own content type
        env.write(&folder_spec("app/"));
        env.apply().await;
        let id = env.id("web.site");
        assert_eq!(id, "strata-objects/app/");
        assert_eq!(
            keys(&s3).await,
            ["app/css/app.css", "app/img/logo.png", "app/index.html"]
        );
        for (key, ty) in [
            ("app/css/app.css", "text/css"),
            ("app/img/logo.png", "image/png"),
            ("app/index.html", "text/html"),
        ] {
            let head = s3
                .head_object()
                .bucket(BUCKET)
                .key(key)
                .send()
                .await
                .unwrap();
            assert_eq!(head.content_type(), Some(ty), "{key}");
            assert_eq!(head.cache_control(), Some("max-age=300"), "{key}");
        }
        env.assert_no_changes().await;

        // an object under the prefix that strata did not write is left alone
        s3.put_object()
            .bucket(BUCKET)
            .key("app/uploads/user.txt")
            .body(ByteStream::from_static(b"mine"))
            .send()
            .await
            .unwrap();
        env.assert_no_changes().await;

        // an edited, an added and a removed file: one update in place
        env.write_file("dist/index.html", b"<h1>home v2</h1>");
        env.write_file("dist/about.html", b"<h1>about</h1>");
        std::fs::remove_file(env.root().join("dist/img/logo.png")).unwrap();
        let plan = env.plan().await;
        Env::assert_action(&plan, "web.site", Action::Update);
        let change = plan
            .changes
            .iter()
            .find(|c| c.address == "web.site")
            .unwrap();
        let shown = format!("{:?}", change.attributes[0].before);
        assert!(
            shown.contains("1 changed, 1 missing, 1 removed locally"),
            "{shown}"
        );
        env.apply().await;
        assert_eq!(env.id("web.site"), id);
        assert_eq!(
            keys(&s3).await,
            [
                "app/about.html",
                "app/css/app.css",
                "app/index.html",
                "app/uploads/user.txt"
            ]
        );
        assert_eq!(
            body(&s3, "app/index.html").await.as_deref(),
            Some("<h1>home v2</h1>")
        );
        env.assert_no_changes().await;

        // a cache-control changed outside strata on one object is drift (the copy keeps
        // the object's metadata, strata's marks included)
        let head = s3
            .head_object()
            .bucket(BUCKET)
            .key("app/about.html")
            .send()
            .await
            .unwrap();
        s3.copy_object()
            .set_metadata(head.metadata().cloned())
            .bucket(BUCKET)
            .key("app/about.html")
            .copy_source(format!("{BUCKET}/app/about.html"))
            .metadata_directive(aws_sdk_s3::types::MetadataDirective::Replace)
            .cache_control("no-cache")
            .content_type("text/html")
            .send()
            .await
            .unwrap();
        env.assert_drift("web.site", "cache-control").await;
        env.apply().await;
        env.assert_no_changes().await;

        // a new prefix replaces the folder
        env.write(&folder_spec("v2/"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "web.site", Action::Replace);
        assert_eq!(env.id("web.site"), "strata-objects/v2/");
        assert_eq!(
            keys(&s3).await,
            [
                "app/uploads/user.txt",
                "v2/about.html",
                "v2/css/app.css",
                "v2/index.html"
            ]
        );

        // destroy: the folder's objects, then the bucket (force-destroy takes the rest)
        env.destroy().await;
        assert!(s3.head_bucket().bucket(BUCKET).send().await.is_err());
    });
}
