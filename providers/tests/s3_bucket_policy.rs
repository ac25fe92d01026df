//! `s3.bucket-policy` against the emulator: a policy written as statements through its
//! whole life, and one written as JSON compared semantically.

mod support;

use serde_json::Value as Json;
use strata_engine::plan::Action;
use support::{Env, run};

const DISTRIBUTION: &str = "arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE";

fn spec(target: &str, actions: &str) -> String {
    format!(
        r#"stack web {{
    s3.bucket site {{
        bucket "strata-policy-site"
    }}
    s3.bucket other {{
        bucket "strata-policy-other"
    }}
    s3.bucket-policy read {{
        bucket (ref)"{target}.bucket"
        statement AllowCloudFrontReadOnly {{
            actions {actions}
            resources "${{{target}.arn}}/*"
            principal {{
                service cloudfront.amazonaws.com
            }}
            condition StringEquals variable="AWS:SourceArn" {{
                values "{DISTRIBUTION}"
            }}
        }}
    }}
}}
"#
    )
}

async fn policy_of(s3: &aws_sdk_s3::Client, bucket: &str) -> Option<Json> {
    match s3.get_bucket_policy().bucket(bucket).send().await {
        Ok(out) => Some(serde_json::from_str(out.policy().unwrap()).unwrap()),
        Err(_) => None,
    }
}

#[test]
fn statement_policy_lifecycle() {
    run(async {
        let env = Env::new();
        let s3 = env.aws.s3().await.unwrap();

        // create → read
        env.write(&spec("site", "\"s3:GetObject\""));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "web.read", Action::Create);
        let id = env.id("web.read");
        assert_eq!(id, "strata-policy-site");
        let held = policy_of(&s3, &id).await.expect("a policy on the bucket");
        let statement = &held["Statement"][0];
        assert_eq!(statement["Sid"], "AllowCloudFrontReadOnly");
        assert_eq!(statement["Effect"], "Allow");
        assert_eq!(
            statement["Principal"]["Service"][0],
            "cloudfront.amazonaws.com"
        );
        assert_eq!(
            statement["Resource"][0],
            "arn:aws:s3:::strata-policy-site/*"
        );
        assert_eq!(
            statement["Condition"]["StringEquals"]["AWS:SourceArn"][0],
            DISTRIBUTION
        );

        // apply-then-plan is empty
        env.assert_no_changes().await;

        // the same policy rewritten outside strata (single values, other key order) is
        // no change; a different one is drift, and apply converges
        let same = format!(
            r#"{{"Statement":{{"Resource":"arn:aws:s3:::strata-policy-site/*","Action":"s3:GetObject",
            "Principal":{{"Service":"cloudfront.amazonaws.com"}},"Effect":"Allow","Sid":"AllowCloudFrontReadOnly",
            "Condition":{{"StringEquals":{{"AWS:SourceArn":"{DISTRIBUTION}"}}}}}},"Version":"2012-10-17"}}"#
        );
        s3.put_bucket_policy()
            .bucket(&id)
            .policy(same)
            .send()
            .await
            .unwrap();
        env.assert_no_changes().await;
        let other = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::strata-policy-site/*"}]}"#;
        s3.put_bucket_policy()
            .bucket(&id)
            .policy(other)
            .send()
            .await
            .unwrap();
        let plan = env.assert_drift("web.read", "statement").await;
        Env::assert_action(&plan, "web.read", Action::Update);
        env.apply().await;
        env.assert_no_changes().await;
        let held = policy_of(&s3, &id).await.unwrap();
        assert_eq!(held["Statement"][0]["Sid"], "AllowCloudFrontReadOnly");

        // an update in place keeps the id
        env.write(&spec("site", "\"s3:GetObject\" \"s3:ListBucket\""));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "web.read", Action::Update);
        assert_eq!(env.id("web.read"), id);
        let held = policy_of(&s3, &id).await.unwrap();
        assert_eq!(
            held["Statement"][0]["Action"],
            serde_json::json!(["s3:GetObject", "s3:ListBucket"])
        );
        env.assert_no_changes().await;

        // another bucket forces a replacement
        env.write(&spec("other", "\"s3:GetObject\" \"s3:ListBucket\""));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "web.read", Action::Replace);
        let new_id = env.id("web.read");
        assert_eq!(new_id, "strata-policy-other");
        assert!(
            policy_of(&s3, &id).await.is_none(),
            "the old policy remains"
        );
        assert!(policy_of(&s3, &new_id).await.is_some());
        env.assert_no_changes().await;

        // a policy deleted outside strata is planned again
        s3.delete_bucket_policy()
            .bucket(&new_id)
            .send()
            .await
            .unwrap();
        let plan = env.plan().await;
        Env::assert_action(&plan, "web.read", Action::Create);
        env.apply().await;

        // destroy → gone
        env.destroy().await;
        assert!(
            policy_of(&s3, &new_id).await.is_none(),
            "the policy remains"
        );
        assert!(env.state().resources.is_empty());
    });
}

fn json_spec(document: &str) -> String {
    format!(
        r##"stack web {{
    s3.bucket site {{
        bucket "strata-policy-json"
    }}
    s3.bucket-policy doc {{
        bucket (ref)"site.bucket"
        policy #"{document}"#
    }}
}}
"##
    )
}

#[test]
fn json_policy_is_compared_semantically() {
    run(async {
        let env = Env::new();
        let s3 = env.aws.s3().await.unwrap();
        let written = r#"{ "Version": "2012-10-17", "Statement": [ { "Effect": "Allow", "Principal": { "AWS": "*" }, "Action": "s3:GetObject", "Resource": [ "arn:aws:s3:::strata-policy-json/*" ] } ] }"#;
        env.write(&json_spec(written));
        env.apply().await;
        let id = env.id("web.doc");
        let held = policy_of(&s3, &id).await.unwrap();
        assert_eq!(held["Statement"][0]["Action"], "s3:GetObject");
        env.assert_no_changes().await;

        // AWS rewrites a stored policy compactly, in its own key order, and `{"AWS": "*"}`
        // as `"*"`: none of that is a change.
        let rewritten = r#"{"Statement":[{"Resource":"arn:aws:s3:::strata-policy-json/*","Action":["s3:GetObject"],"Principal":"*","Effect":"Allow"}],"Version":"2012-10-17"}"#;
        s3.put_bucket_policy()
            .bucket(&id)
            .policy(rewritten)
            .send()
            .await
            .unwrap();
        env.assert_no_changes().await;

        // a real change outside strata is drift, shown as AWS's document
        let widened = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::strata-policy-json/*"}]}"#;
        s3.put_bucket_policy()
            .bucket(&id)
            .policy(widened)
            .send()
            .await
            .unwrap();
        let plan = env.assert_drift("web.doc", "policy").await;
        Env::assert_action(&plan, "web.doc", Action::Update);
        env.apply().await;
        env.assert_no_changes().await;
        let held = policy_of(&s3, &id).await.unwrap();
        assert_eq!(held["Statement"][0]["Action"], "s3:GetObject");

        // an edited document is an update in place
        env.write(&json_spec(
            &written.replace("s3:GetObject", "s3:GetObjectVersion"),
        ));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "web.doc", Action::Update);
        assert_eq!(env.id("web.doc"), id);
        let held = policy_of(&s3, &id).await.unwrap();
        assert_eq!(held["Statement"][0]["Action"], "s3:GetObjectVersion");
        env.assert_no_changes().await;

        env.destroy().await;
        assert!(policy_of(&s3, &id).await.is_none());
    });
}
