//! `lookup ssm.parameter` against the emulator: the name selects the parameter, a
//! SecureString is decrypted on request, a missing parameter is a clear error, and a
//! secret read this way never reaches the state in plain text, even when it feeds a
//! resource (an RDS master password).

mod support;

use aws_sdk_ssm::types::ParameterType;
use strata_engine::plan::Action;
use strata_engine::provider::{Attrs, ErrorKind};
use strata_engine::{Value, render};
use support::{Env, run};

async fn put(env: &Env, name: &str, value: &str, kind: ParameterType) {
    env.aws
        .ssm()
        .await
        .unwrap()
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(kind)
        .overwrite(true)
        .send()
        .await
        .unwrap();
}

/// The `ssm.parameter` lookup type as the harness's environment reaches AWS.
fn lookup(env: &Env) -> std::sync::Arc<dyn strata_engine::LookupType> {
    env.write("stack s {\n}\n");
    env.load().1.lookup("ssm.parameter").unwrap().clone()
}

fn filters(name: &str, decrypt: Option<bool>) -> Attrs {
    let mut f = Attrs::from([("name".to_owned(), Value::from(name))]);
    if let Some(d) = decrypt {
        f.insert("with-decryption".into(), Value::Bool(d));
    }
    f
}

#[test]
fn the_name_selects_the_parameter_and_secure_strings_are_decrypted() {
    run(async {
        let env = Env::new();
        put(&env, "/app/plain", "alpha", ParameterType::String).await;
        put(
            &env,
            "/app/secret",
            "bravo-Secret",
            ParameterType::SecureString,
        )
        .await;
        put(&env, "/app/list", "x,y", ParameterType::StringList).await;
        put(
            &env,
            "/other/secret",
            "charlie",
            ParameterType::SecureString,
        )
        .await;
        let ty = lookup(&env);

        let found = ty.read(&filters("/app/secret", Some(true))).await.unwrap();
        assert_eq!(found.id, "/app/secret");
        assert_eq!(found.attributes["value"], Value::from("bravo-Secret"));
        assert_eq!(found.attributes["type"], Value::from("SecureString"));
        assert_eq!(found.attributes["version"], Value::Int(1));
        assert_eq!(found.attributes["name"], Value::from("/app/secret"));
        assert!(
            found.attributes["arn"]
                .as_str()
                .unwrap()
                .ends_with(":parameter/app/secret")
        );
        assert!(ty.schema().attribute("value").unwrap().sensitive);

        let plain = ty.read(&filters("/app/plain", None)).await.unwrap();
        assert_eq!(plain.attributes["value"], Value::from("alpha"));
        assert_eq!(plain.attributes["type"], Value::from("String"));
        let list = ty.read(&filters("/app/list", None)).await.unwrap();
        assert_eq!(list.attributes["value"], Value::from("x,y"));
        assert_eq!(list.attributes["type"], Value::from("StringList"));

        // without decryption, a SecureString reads as its encrypted form
        let sealed = ty.read(&filters("/app/secret", Some(false))).await.unwrap();
        let sealed = sealed.attributes["value"].as_str().unwrap().to_owned();
        assert_ne!(sealed, "bravo-Secret");
        // moto: the "encrypted" form is `kms:KEY:PLAINTEXT`; AWS: an opaque ciphertext.
        assert!(sealed.starts_with("kms:"), "{sealed}");

        // a new version is read as such
        put(
            &env,
            "/app/secret",
            "bravo-Secret-2",
            ParameterType::SecureString,
        )
        .await;
        let again = ty.read(&filters("/app/secret", Some(true))).await.unwrap();
        assert_eq!(again.attributes["value"], Value::from("bravo-Secret-2"));
        assert_eq!(again.attributes["version"], Value::Int(2));
    });
}

#[test]
fn a_missing_parameter_is_a_clear_error() {
    run(async {
        let env = Env::new();
        let ty = lookup(&env);
        let err = ty
            .read(&filters("/app/missing", None))
            .await
            .expect_err("no such parameter");
        assert_eq!(err.kind, ErrorKind::NotFound);
        assert_eq!(err.code.as_deref(), Some("ParameterNotFound"));
        assert!(
            err.message
                .contains("no SSM parameter named `/app/missing` exists in eu-west-3"),
            "{err}"
        );

        // through the engine: the plan shows the failed read, the apply fails with it
        env.write(
            r#"stack data {
    lookup ssm.parameter pw {
        name "/app/missing"
    }
    output length (ref)"pw.version"
}
"#,
        );
        let plan = env.plan().await;
        let read = plan
            .changes
            .iter()
            .find(|c| c.address == "data.pw")
            .expect("the lookup is in the plan");
        assert_eq!(read.action, Action::Read);
        assert!(
            read.refresh_error
                .as_deref()
                .is_some_and(|e| e.contains("no SSM parameter named `/app/missing`")),
            "{:?}",
            read.refresh_error
        );
        let (_, report) = env.try_apply().await.expect("an apply ran");
        assert!(!report.is_success());
        let failure = report
            .failed
            .iter()
            .find(|f| f.address == "data.pw")
            .expect("the lookup failed");
        assert!(
            failure
                .diagnostic
                .message
                .contains("no SSM parameter named `/app/missing`"),
            "{}",
            failure.diagnostic.message
        );
    });
}

fn database_spec() -> &'static str {
    r#"stack data {
    lookup ssm.parameter db-password {
        name "/digidex/db/password"
    }
    rds.instance db {
        identifier "digidex-db"
        engine postgres
        instance-class db.t3.micro
        allocated-storage 20
        username digidex
        password (ref)"db-password.value"
        skip-final-snapshot #true
    }
}
"#
}

#[test]
fn a_secret_read_from_ssm_feeds_a_password_and_never_reaches_the_state() {
    run(async {
        let env = Env::new();
        let secret = "s3cr3t-Db-P4ssw0rd";
        put(
            &env,
            "/digidex/db/password",
            secret,
            ParameterType::SecureString,
        )
        .await;
        env.write(database_spec());

        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "data.db", Action::Create);
        assert!(!render::human(&plan, false).contains(secret));
        let rds = env.aws.rds().await.unwrap();
        let found = rds
            .describe_db_instances()
            .db_instance_identifier("digidex-db")
            .send()
            .await
            .unwrap();
        assert_eq!(found.db_instances()[0].master_username(), Some("digidex"));
        let text = std::fs::read_to_string(env.state_path()).unwrap();
        assert!(
            !text.contains(secret),
            "the state holds the secret:\n{text}"
        );
        // both the lookup's value and the password it fed are kept, as digests
        let state = env.state();
        assert!(state.resources["data.db-password"].outputs["value"].is_sensitive());
        assert!(state.resources["data.db"].inputs["password"].is_sensitive());
        // the lookup's other results are kept in plain text
        assert_eq!(
            env.attr("data.db-password", "type"),
            Value::from("SecureString")
        );

        // re-planning reads the secret again and finds nothing to do
        env.assert_no_changes().await;

        // a new secret in SSM is a password change of the instance, shown only as such
        put(
            &env,
            "/digidex/db/password",
            "n3w-Db-P4ssw0rd",
            ParameterType::SecureString,
        )
        .await;
        let plan = env.plan().await;
        Env::assert_action(&plan, "data.db", Action::Update);
        let change = plan
            .changes
            .iter()
            .find(|c| c.address == "data.db")
            .unwrap();
        let names: Vec<&str> = change.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, vec!["password"]);
        let shown = render::human(&plan, false);
        assert!(!shown.contains("n3w-Db-P4ssw0rd") && !shown.contains(secret));
        env.apply().await;
        let text = std::fs::read_to_string(env.state_path()).unwrap();
        assert!(!text.contains("n3w-Db-P4ssw0rd") && !text.contains(secret));
        env.assert_no_changes().await;

        env.destroy().await;
    });
}
