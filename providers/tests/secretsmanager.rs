//! `secretsmanager.secret` and `lookup secretsmanager.secret-value` against the
//! emulator: a secret with a value the spec gives and one whose value AWS generates,
//! each through its whole life; `find` after an interrupted create; the lookup handing
//! a value to a dependent. Values are read back with the SDK here, and the state file
//! is checked never to hold one.

mod support;

use std::sync::Arc;

use aws_sdk_secretsmanager::types::Tag;
use strata_engine::plan::Action;
use strata_engine::provider::{Attrs, CreateToken, ErrorKind};
use strata_engine::{ResourceType, Value, render};
use support::{Env, run};

const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

async fn client(env: &Env) -> aws_sdk_secretsmanager::Client {
    env.aws.secretsmanager().await.unwrap()
}

/// The current value of a secret, read as a consumer would.
async fn value(env: &Env, id: &str) -> String {
    client(env)
        .await
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .unwrap()
        .secret_string()
        .unwrap()
        .to_owned()
}

async fn describe(
    env: &Env,
    id: &str,
) -> Option<aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretOutput> {
    client(env)
        .await
        .describe_secret()
        .secret_id(id)
        .send()
        .await
        .ok()
}

fn state_text(env: &Env) -> String {
    std::fs::read_to_string(env.state_path()).unwrap()
}

fn given_spec(name: &str, description: &str, value: &str, team: &str) -> String {
    format!(
        r#"stack app {{
    secretsmanager.secret db {{
        name "{name}"
        description "{description}"
        secret-string "{value}"
        tags Team={team}
        recovery-window-in-days 0
    }}
}}
"#
    )
}

#[test]
fn a_given_value_through_the_whole_life_of_a_secret() {
    run(async {
        let env = Env::new();
        let sm = client(&env).await;

        // create → read; the value reaches AWS and only a digest reaches the state
        env.write(&given_spec("strata/db", "first", "given-Value-1", "data"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "app.db", Action::Create);
        assert!(!render::human(&plan, false).contains("given-Value-1"));
        let arn = env.id("app.db");
        assert!(
            arn.starts_with("arn:aws:secretsmanager:eu-west-3:123456789012:secret:strata/db-"),
            "{arn}"
        );
        assert_eq!(env.attr("app.db", "arn"), Value::from(arn.as_str()));
        assert_eq!(env.attr("app.db", "id"), Value::from(arn.as_str()));
        let version = env.attr("app.db", "version-id");
        assert!(
            version.as_str().unwrap().starts_with("strata-"),
            "{version}"
        );
        assert_eq!(value(&env, "strata/db").await, "given-Value-1");
        let held = describe(&env, &arn).await.unwrap();
        assert_eq!(held.description(), Some("first"));
        assert_eq!(held.tags().len(), 1);
        assert!(!state_text(&env).contains("given-Value-1"));
        assert!(env.state().resources["app.db"].inputs["secret-string"].is_sensitive());

        // apply-then-plan is empty
        env.assert_no_changes().await;

        // a description changed outside strata is drift, and apply puts it back
        sm.update_secret()
            .secret_id(&arn)
            .description("changed outside")
            .send()
            .await
            .unwrap();
        let plan = env.assert_drift("app.db", "description").await;
        Env::assert_action(&plan, "app.db", Action::Update);
        env.apply().await;
        assert_eq!(
            describe(&env, &arn).await.unwrap().description(),
            Some("first")
        );
        env.assert_no_changes().await;

        // a value put outside strata is drift of the (sensitive) value, never shown;
        // apply writes the spec's value again
        sm.put_secret_value()
            .secret_id(&arn)
            .secret_string("put-Outside-2")
            .send()
            .await
            .unwrap();
        let plan = env.assert_drift("app.db", "secret-string").await;
        Env::assert_action(&plan, "app.db", Action::Update);
        let shown = render::human(&plan, false);
        assert!(!shown.contains("put-Outside-2") && !shown.contains("given-Value-1"));
        env.apply().await;
        assert_eq!(value(&env, &arn).await, "given-Value-1");
        env.assert_no_changes().await;
        let text = state_text(&env);
        assert!(!text.contains("put-Outside-2") && !text.contains("given-Value-1"));

        // a tag added outside strata is drift, and apply removes it
        sm.tag_resource()
            .secret_id(&arn)
            .tags(Tag::builder().key("Owner").value("ops").build())
            .send()
            .await
            .unwrap();
        env.assert_drift("app.db", "tags").await;
        env.apply().await;
        let tags = describe(&env, &arn).await.unwrap().tags().to_vec();
        assert_eq!(tags.len(), 1);
        assert_eq!(tags[0].key(), Some("Team"));
        env.assert_no_changes().await;

        // update in place: description, tags and a new value; the ARN stays
        env.write(&given_spec("strata/db", "second", "given-Value-3", "web"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "app.db", Action::Update);
        assert_eq!(env.id("app.db"), arn);
        assert_eq!(value(&env, &arn).await, "given-Value-3");
        let held = describe(&env, &arn).await.unwrap();
        assert_eq!(held.description(), Some("second"));
        assert_eq!(held.tags()[0].value(), Some("web"));
        assert_ne!(env.attr("app.db", "version-id"), version);
        // the previous value is AWSPREVIOUS, as after any change of value
        let previous = sm
            .get_secret_value()
            .secret_id(&arn)
            .version_stage("AWSPREVIOUS")
            .send()
            .await
            .unwrap();
        assert_eq!(previous.secret_string(), Some("given-Value-1"));
        assert!(!state_text(&env).contains("given-Value-3"));
        env.assert_no_changes().await;

        // a new name replaces the secret; with no recovery window the old one is gone
        env.write(&given_spec("strata/db2", "second", "given-Value-3", "web"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "app.db", Action::Replace);
        let new_arn = env.id("app.db");
        assert_ne!(new_arn, arn);
        assert!(describe(&env, &arn).await.is_none());
        assert_eq!(value(&env, "strata/db2").await, "given-Value-3");
        env.assert_no_changes().await;

        // destroy → gone
        env.destroy().await;
        assert!(describe(&env, &new_arn).await.is_none());
        assert!(env.state().resources.is_empty());
    });
}

fn key_spec(settings: &str) -> String {
    format!(
        r#"stack app {{
    secretsmanager.secret db {{
        name "strata/keyed"
        secret-string "keyed-Value"
        {settings}
        recovery-window-in-days 0
    }}
}}
"#
    )
}

#[test]
fn a_kms_key_and_a_description_are_set_and_removed_in_place() {
    run(async {
        let env = Env::new();
        env.write(&key_spec(
            "kms-key-id \"alias/strata-secrets\"\n        description \"with a key\"",
        ));
        env.apply().await;
        let arn = env.id("app.db");
        let held = describe(&env, &arn).await.unwrap();
        assert_eq!(held.kms_key_id(), Some("alias/strata-secrets"));
        assert_eq!(held.description(), Some("with a key"));
        env.assert_no_changes().await;

        // both removed: an update in place, back to the AWS managed key
        env.write(&key_spec(""));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "app.db", Action::Update);
        assert_eq!(env.id("app.db"), arn);
        let held = describe(&env, &arn).await.unwrap();
        // AWS leaves KmsKeyId out for the AWS managed key; the emulator answers "".
        assert_eq!(held.kms_key_id().filter(|k| !k.is_empty()), None);
        // The emulator ignores an empty Description in UpdateSecret (AWS clears it): the
        // old one stays, and since the spec no longer sets one it is not drift.
        assert_eq!(held.description(), Some("with a key"));
        env.assert_no_changes().await;
        assert_eq!(value(&env, &arn).await, "keyed-Value");
        env.destroy().await;
    });
}

fn generated_spec(length: u32) -> String {
    format!(
        r##"stack app {{
    secretsmanager.secret token {{
        name "strata/token"
        generate {{
            length {length}
            exclude-characters "abcXYZ"
            exclude-punctuation #true
        }}
    }}
    secretsmanager.secret login {{
        name "strata/login"
        generate length=24 exclude-numbers=#true secret-string-template=#"{{"username":"app"}}"# generate-string-key=password
        recovery-window-in-days 0
    }}
}}
"##
    )
}

#[test]
fn a_generated_value_respects_its_settings_and_is_never_stored() {
    run(async {
        let env = Env::new();
        let sm = client(&env).await;

        env.write(&generated_spec(40));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "app.token", Action::Create);
        Env::assert_action(&plan, "app.login", Action::Create);
        let token_arn = env.id("app.token");

        // the generated value follows the settings
        let token = value(&env, "strata/token").await;
        assert_eq!(token.chars().count(), 40, "length");
        assert!(
            !token.contains(['a', 'b', 'c', 'X', 'Y', 'Z']),
            "excluded characters"
        );
        assert!(!token.contains(|c| PUNCTUATION.contains(c)), "punctuation");
        let login: serde_json::Value =
            serde_json::from_str(&value(&env, "strata/login").await).unwrap();
        assert_eq!(login["username"], "app");
        let password = login["password"].as_str().unwrap().to_owned();
        assert_eq!(password.chars().count(), 24);
        assert!(!password.contains(|c: char| c.is_ascii_digit()));

        // strata holds neither value anywhere
        let text = state_text(&env);
        assert!(!text.contains(&token) && !text.contains(&password));
        assert!(!render::human(&plan, false).contains(&token));
        // the settings are kept (with their defaults), the value is not
        let state = env.state();
        let record = &state.resources["app.token"];
        assert!(!record.inputs.contains_key("secret-string"));
        assert!(!record.outputs.contains_key("secret-string"));
        let generate = record.inputs["generate"].as_plain().unwrap().clone();
        let Value::Map(generate) = generate else {
            panic!("generate is a block: {generate}")
        };
        assert_eq!(generate["length"], Value::Int(40));
        assert_eq!(generate["require-each-included-type"], Value::Bool(true));
        env.assert_no_changes().await;

        // a generated value changed outside strata (a rotation) is not drift
        sm.put_secret_value()
            .secret_id(&token_arn)
            .secret_string("rotated-elsewhere")
            .send()
            .await
            .unwrap();
        env.assert_no_changes().await;

        // new settings write a newly generated value as a new version of the same secret
        let before = env.attr("app.token", "version-id");
        env.write(&generated_spec(48));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "app.token", Action::Update);
        Env::assert_action(&plan, "app.login", Action::NoOp);
        assert_eq!(env.id("app.token"), token_arn);
        assert_ne!(env.attr("app.token", "version-id"), before);
        let second = value(&env, &token_arn).await;
        assert_eq!(second.chars().count(), 48);
        assert_ne!(second, token);
        assert!(!state_text(&env).contains(&second));
        env.assert_no_changes().await;

        // destroy: the token keeps AWS's 30-day recovery window, so it is scheduled for
        // deletion (and reads as gone); the login had none and is gone for good
        env.destroy().await;
        let scheduled = describe(&env, &token_arn).await.unwrap();
        assert!(scheduled.deleted_date().is_some());
        assert!(describe(&env, "strata/login").await.is_none());
        let ty = env
            .registry()
            .resource("secretsmanager.secret")
            .unwrap()
            .clone();
        assert_eq!(ty.read(&token_arn, &Attrs::new()).await.unwrap(), None);

        // its name is not free until then: a new apply says so and how to get it back
        let (_, report) = env.try_apply().await.expect("an apply ran");
        let failure = report
            .failed
            .iter()
            .find(|f| f.address == "app.token")
            .expect("the token's create failed");
        assert!(
            failure
                .diagnostic
                .message
                .contains("a secret named `strata/token` is scheduled for deletion"),
            "{}",
            failure.diagnostic.message
        );
        env.destroy().await;
    });
}

#[test]
fn an_imported_secret_keeps_its_value_when_generate_is_ignored() {
    run(async {
        let env = Env::new();
        client(&env)
            .await
            .create_secret()
            .name("strata/imported")
            .secret_string("made-by-hand-1")
            .send()
            .await
            .unwrap();
        env.write(
            r#"stack app {
    secretsmanager.secret old {
        name "strata/imported"
        generate length=16
        recovery-window-in-days 0
        lifecycle {
            ignore-changes generate
        }
    }
}
"#,
        );
        let record = env.import("app.old", "strata/imported").await.unwrap();
        assert!(
            record.id.contains(":secret:strata/imported-"),
            "{}",
            record.id
        );
        // the value is never fetched: the state holds nothing of it
        assert!(!state_text(&env).contains("made-by-hand-1"));
        let plan = env.plan().await;
        let change = plan
            .changes
            .iter()
            .find(|c| c.address == "app.old")
            .unwrap();
        let names: Vec<&str> = change.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            ["recovery-window-in-days"],
            "strata's own setting only"
        );
        env.apply().await;
        env.assert_no_changes().await;
        assert_eq!(value(&env, "strata/imported").await, "made-by-hand-1");
        env.destroy().await;
        assert!(describe(&env, "strata/imported").await.is_none());
    });
}

fn attrs(pairs: &[(&str, Value)]) -> Attrs {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

#[test]
fn find_adopts_only_the_secret_its_create_token_made() {
    run(async {
        let env = Env::new();
        env.write("stack s {\n}\n");
        let ty: Arc<dyn ResourceType> = env
            .registry()
            .resource("secretsmanager.secret")
            .unwrap()
            .clone();
        let sm = client(&env).await;

        // a secret with a value carries the token as its first version's id
        let desired = attrs(&[
            ("name", Value::from("strata/found")),
            ("secret-string", Value::from("found-Value")),
            ("recovery-window-in-days", Value::Int(0)),
        ]);
        let token = CreateToken::new();
        let made = ty.create(&desired, &token).await.unwrap();
        let found = ty
            .find(&desired, &token)
            .await
            .unwrap()
            .expect("found by name");
        assert_eq!(found.id, made.id);
        assert_eq!(found.attributes["name"], Value::from("strata/found"));
        // another create's token: a secret of that name that this create did not make
        assert_eq!(ty.find(&desired, &CreateToken::new()).await.unwrap(), None);
        // no secret of that name
        let missing = attrs(&[("name", Value::from("strata/nowhere"))]);
        assert_eq!(ty.find(&missing, &token).await.unwrap(), None);
        // import takes the name or the ARN
        assert_eq!(
            ty.import("strata/found").await.unwrap().unwrap().id,
            made.id
        );
        assert_eq!(ty.import(&made.id).await.unwrap().unwrap().id, made.id);

        // a secret without a value has no version: a tag carries the token, never shown
        let bare = attrs(&[
            ("name", Value::from("strata/bare")),
            (
                "tags",
                Value::Map([("Team".to_owned(), Value::from("ops"))].into()),
            ),
            ("recovery-window-in-days", Value::Int(0)),
        ]);
        let bare_token = CreateToken::new();
        let made_bare = ty.create(&bare, &bare_token).await.unwrap();
        assert_eq!(
            made_bare.attributes["tags"],
            Value::Map([("Team".to_owned(), Value::from("ops"))].into())
        );
        assert!(!made_bare.attributes.contains_key("version-id"));
        let found = ty
            .find(&bare, &bare_token)
            .await
            .unwrap()
            .expect("found by tag");
        assert_eq!(found.id, made_bare.id);
        assert_eq!(ty.find(&bare, &CreateToken::new()).await.unwrap(), None);

        // a secret someone else made under the name is never adopted
        sm.create_secret()
            .name("strata/theirs")
            .secret_string("theirs")
            .send()
            .await
            .unwrap();
        let theirs = attrs(&[("name", Value::from("strata/theirs"))]);
        assert_eq!(ty.find(&theirs, &CreateToken::new()).await.unwrap(), None);

        for (id, prior) in [(&made.id, &desired), (&made_bare.id, &bare)] {
            ty.delete(id, prior).await.unwrap();
            assert_eq!(ty.read(id, prior).await.unwrap(), None);
            // deleting what is gone is done
            ty.delete(id, prior).await.unwrap();
        }
    });
}

const LOOKUP_SPEC: &str = r#"stack app {
    secretsmanager.secret jwt {
        name "entrix-jwt-secret"
        generate length=64 exclude-punctuation=#true
        recovery-window-in-days 0
    }
    lookup secretsmanager.secret-value jwt-value {
        secret-id (ref)"jwt.arn"
    }
    lookup secretsmanager.secret-value db-password {
        secret-id "strata/db-login"
        json-key password
    }
    s3.bucket b {
        bucket "strata-secret-values"
        force-destroy #true
    }
    s3.object jwt-copy {
        bucket (ref)"b.bucket"
        key "jwt.txt"
        content (ref)"jwt-value.secret-string"
    }
    s3.object password-copy {
        bucket (ref)"b.bucket"
        key "password.txt"
        content (ref)"db-password.secret-string"
    }
}
"#;

async fn object(env: &Env, key: &str) -> String {
    let out = env
        .aws
        .s3()
        .await
        .unwrap()
        .get_object()
        .bucket("strata-secret-values")
        .key(key)
        .send()
        .await
        .unwrap();
    String::from_utf8(out.body.collect().await.unwrap().into_bytes().to_vec()).unwrap()
}

#[test]
fn the_lookup_hands_a_value_to_a_dependent_and_the_state_keeps_a_digest() {
    run(async {
        let env = Env::new();
        client(&env)
            .await
            .create_secret()
            .name("strata/db-login")
            .secret_string(r#"{"username":"app","password":"json-Pa55word"}"#)
            .send()
            .await
            .unwrap();
        env.write(LOOKUP_SPEC);
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "app.jwt-copy", Action::Create);

        let jwt = value(&env, "entrix-jwt-secret").await;
        assert_eq!(jwt.chars().count(), 64);
        assert_eq!(object(&env, "jwt.txt").await, jwt);
        assert_eq!(object(&env, "password.txt").await, "json-Pa55word");

        let text = state_text(&env);
        for secret in [jwt.as_str(), "json-Pa55word"] {
            assert!(!text.contains(secret), "the state holds a secret:\n{text}");
        }
        let state = env.state();
        assert!(state.resources["app.jwt-value"].outputs["secret-string"].is_sensitive());
        assert!(state.resources["app.jwt-copy"].inputs["content"].is_sensitive());
        assert!(state.resources["app.password-copy"].inputs["content"].is_sensitive());
        assert_eq!(
            env.attr("app.db-password", "name"),
            Value::from("strata/db-login")
        );
        assert_eq!(
            env.attr("app.jwt-value", "arn"),
            Value::from(env.id("app.jwt").as_str())
        );
        env.assert_no_changes().await;

        // a new value of the JSON secret reaches the dependent, shown only as sensitive
        client(&env)
            .await
            .put_secret_value()
            .secret_id("strata/db-login")
            .secret_string(r#"{"username":"app","password":"json-N3w"}"#)
            .send()
            .await
            .unwrap();
        let plan = env.plan().await;
        Env::assert_action(&plan, "app.password-copy", Action::Update);
        assert!(!render::human(&plan, false).contains("json-N3w"));
        env.apply().await;
        assert_eq!(object(&env, "password.txt").await, "json-N3w");
        assert!(!state_text(&env).contains("json-N3w"));
        env.assert_no_changes().await;

        env.destroy().await;
        assert!(describe(&env, "entrix-jwt-secret").await.is_none());
    });
}

#[test]
fn lookup_errors_name_the_secret_and_never_the_value() {
    run(async {
        let env = Env::new();
        env.write("stack s {\n}\n");
        let ty = env
            .load()
            .1
            .lookup("secretsmanager.secret-value")
            .unwrap()
            .clone();
        client(&env)
            .await
            .create_secret()
            .name("strata/plain")
            .secret_string("plain-Secret-9")
            .send()
            .await
            .unwrap();

        let found = ty
            .read(&attrs(&[("secret-id", Value::from("strata/plain"))]))
            .await
            .unwrap();
        assert_eq!(
            found.attributes["secret-string"],
            Value::from("plain-Secret-9")
        );
        assert!(found.id.contains(":secret:strata/plain-"), "{}", found.id);
        assert!(ty.schema().attribute("secret-string").unwrap().sensitive);

        let missing = ty
            .read(&attrs(&[("secret-id", Value::from("strata/none"))]))
            .await
            .unwrap_err();
        assert_eq!(missing.kind, ErrorKind::NotFound);
        assert!(
            missing
                .message
                .contains("no secret `strata/none` (or no such version of it) exists in eu-west-3"),
            "{missing}"
        );

        let not_json = ty
            .read(&attrs(&[
                ("secret-id", Value::from("strata/plain")),
                ("json-key", Value::from("password")),
            ]))
            .await
            .unwrap_err();
        assert!(
            not_json.message.contains("is not a JSON object"),
            "{not_json}"
        );
        assert!(!not_json.message.contains("plain-Secret-9"));
    });
}
