//! `rds.subnet-group` and `rds.instance` against the emulator: a subnet group, an
//! instance created empty, an instance restored from a snapshot made here with the
//! SDK, deletion protection, and an instance brought under management by import.

mod support;

use aws_sdk_rds::types::Tag;
use strata_engine::Value;
use strata_engine::plan::Action;
use strata_engine::workflow;
use support::{Env, run};

/// The default subnets of the region's default VPC, one per availability zone, in
/// zone order.
async fn default_subnets(env: &Env) -> Vec<String> {
    let ec2 = env.aws.ec2().await.unwrap();
    let out = ec2
        .describe_subnets()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("default-for-az")
                .values("true")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut subnets: Vec<(String, String)> = out
        .subnets()
        .iter()
        .map(|s| {
            (
                s.availability_zone().unwrap().to_owned(),
                s.subnet_id().unwrap().to_owned(),
            )
        })
        .collect();
    subnets.sort();
    assert!(subnets.len() >= 3, "the default VPC has a subnet per zone");
    subnets.into_iter().map(|(_, id)| id).collect()
}

/// A security group in the default VPC, made with the SDK.
async fn security_group(env: &Env, name: &str) -> String {
    let ec2 = env.aws.ec2().await.unwrap();
    ec2.create_security_group()
        .group_name(name)
        .description("strata rds test")
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_owned()
}

fn quoted(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("\"{i}\""))
        .collect::<Vec<_>>()
        .join(" ")
}

async fn describe_group(env: &Env, name: &str) -> Option<aws_sdk_rds::types::DbSubnetGroup> {
    let rds = env.aws.rds().await.unwrap();
    match rds
        .describe_db_subnet_groups()
        .db_subnet_group_name(name)
        .send()
        .await
    {
        Ok(out) => out.db_subnet_groups().first().cloned(),
        Err(e) => {
            let code = aws_sdk_rds::error::ProvideErrorMetadata::code(&e).map(str::to_owned);
            assert_eq!(code.as_deref(), Some("DBSubnetGroupNotFoundFault"), "{e:?}");
            None
        }
    }
}

async fn describe_instance(env: &Env, id: &str) -> Option<aws_sdk_rds::types::DbInstance> {
    let rds = env.aws.rds().await.unwrap();
    match rds
        .describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
    {
        Ok(out) => out.db_instances().first().cloned(),
        Err(e) => {
            let code = aws_sdk_rds::error::ProvideErrorMetadata::code(&e).map(str::to_owned);
            assert_eq!(code.as_deref(), Some("DBInstanceNotFound"), "{e:?}");
            None
        }
    }
}

fn group_subnets(group: &aws_sdk_rds::types::DbSubnetGroup) -> Vec<String> {
    let mut ids: Vec<String> = group
        .subnets()
        .iter()
        .map(|s| s.subnet_identifier().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn sorted(items: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = items.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

fn group_spec(name: &str, description: &str, subnets: &[&str], team: &str) -> String {
    format!(
        r#"stack data {{
    rds.subnet-group db {{
        name "{name}"
        description "{description}"
        subnet-ids {}
        tags Team={team}
    }}
}}
"#,
        quoted(subnets)
    )
}

#[test]
fn subnet_group_lifecycle() {
    run(async {
        let env = Env::new();
        let rds = env.aws.rds().await.unwrap();
        let subnets = default_subnets(&env).await;
        let (a, b, c) = (
            subnets[0].as_str(),
            subnets[1].as_str(),
            subnets[2].as_str(),
        );

        // create → read; AWS lowercases the name, which reads back as written
        env.write(&group_spec("Data-Subnets", "first", &[b, a], "web"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "data.db", Action::Create);
        assert_eq!(env.id("data.db"), "data-subnets");
        let group = describe_group(&env, "data-subnets").await.unwrap();
        assert_eq!(group.db_subnet_group_description(), Some("first"));
        assert_eq!(group_subnets(&group), sorted(&[a, b]));
        assert!(
            env.attr("data.db", "vpc-id")
                .as_str()
                .unwrap()
                .starts_with("vpc-")
        );
        let arn = env.attr("data.db", "arn").as_str().unwrap().to_owned();
        assert!(arn.starts_with("arn:aws:rds:"), "{arn}");

        // apply-then-plan is empty (the subnets' order and the name's case are kept)
        env.assert_no_changes().await;

        // a tag added outside strata is drift, and apply removes it
        rds.add_tags_to_resource()
            .resource_name(&arn)
            .tags(Tag::builder().key("Owner").value("ops").build())
            .send()
            .await
            .unwrap();
        let plan = env.assert_drift("data.db", "tags").await;
        Env::assert_action(&plan, "data.db", Action::Update);
        env.apply().await;
        env.assert_no_changes().await;
        let tags = rds
            .list_tags_for_resource()
            .resource_name(&arn)
            .send()
            .await
            .unwrap();
        assert_eq!(tags.tag_list().len(), 1);
        assert_eq!(tags.tag_list()[0].key(), Some("Team"));

        // an update of the tags in place keeps the id
        env.write(&group_spec("Data-Subnets", "first", &[b, a], "data"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "data.db", Action::Update);
        assert_eq!(env.id("data.db"), "data-subnets");
        let tags = rds
            .list_tags_for_resource()
            .resource_name(&arn)
            .send()
            .await
            .unwrap();
        assert_eq!(tags.tag_list()[0].value(), Some("data"));
        env.assert_no_changes().await;

        // new subnets and description are an update in place (ModifyDBSubnetGroup)
        env.write(&group_spec("Data-Subnets", "second", &[a, b, c], "data"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "data.db", Action::Update);
        assert_eq!(env.id("data.db"), "data-subnets");
        assert_eq!(
            env.attr("data.db", "subnet-ids"),
            Value::List(vec![a.into(), b.into(), c.into()])
        );
        assert_eq!(env.attr("data.db", "description"), Value::from("second"));
        // moto: ModifyDBSubnetGroup answers with the modified group but deletes it, so
        // the next refresh finds it gone and plans it again; AWS: the group is modified
        // in place, keeps its id and the plan is empty.
        assert!(describe_group(&env, "data-subnets").await.is_none());
        let plan = env.plan().await;
        Env::assert_action(&plan, "data.db", Action::Create);
        env.apply().await;
        let group = describe_group(&env, "data-subnets").await.unwrap();
        assert_eq!(group.db_subnet_group_description(), Some("second"));
        assert_eq!(group_subnets(&group), sorted(&[a, b, c]));
        env.assert_no_changes().await;

        // a new name forces a replacement
        env.write(&group_spec("other-subnets", "second", &[a, b, c], "data"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "data.db", Action::Replace);
        assert_eq!(env.id("data.db"), "other-subnets");
        assert!(describe_group(&env, "data-subnets").await.is_none());
        assert!(describe_group(&env, "other-subnets").await.is_some());
        env.assert_no_changes().await;

        // destroy → gone
        env.destroy().await;
        assert!(describe_group(&env, "other-subnets").await.is_none());
        assert!(env.state().resources.is_empty());
    });
}

struct Db<'a> {
    identifier: &'a str,
    class: &'a str,
    storage: i64,
    db_name: &'a str,
    password: &'a str,
    iam: bool,
    groups: &'a [&'a str],
    protected: bool,
    skip_final: bool,
    team: &'a str,
}

fn instance_spec(subnets: &[&str], db: &Db<'_>) -> String {
    format!(
        r#"stack data {{
    rds.subnet-group subnets {{
        name "app-subnets"
        subnet-ids {subnets}
    }}
    rds.instance db {{
        identifier "{identifier}"
        engine postgres
        engine-version "13.7"
        instance-class "{class}"
        allocated-storage {storage}
        db-name "{db_name}"
        username dbadmin
        password "{password}"
        db-subnet-group-name (ref)"subnets.name"
        vpc-security-group-ids {groups}
        iam-database-authentication #{iam}
        backup-retention-period 1
        deletion-protection #{protected}
        skip-final-snapshot #{skip_final}
        final-snapshot-identifier "app-db-final"
        tags Team={team}
    }}
}}
"#,
        subnets = quoted(subnets),
        identifier = db.identifier,
        class = db.class,
        storage = db.storage,
        db_name = db.db_name,
        password = db.password,
        groups = quoted(db.groups),
        iam = db.iam,
        protected = db.protected,
        skip_final = db.skip_final,
        team = db.team,
    )
}

fn instance_groups(db: &aws_sdk_rds::types::DbInstance) -> Vec<String> {
    let mut ids: Vec<String> = db
        .vpc_security_groups()
        .iter()
        .map(|g| g.vpc_security_group_id().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[test]
fn instance_created_empty_lifecycle() {
    run(async {
        let env = Env::new();
        let rds = env.aws.rds().await.unwrap();
        let subnets = default_subnets(&env).await;
        let subnets = [subnets[0].as_str(), subnets[1].as_str()];
        let sg1 = security_group(&env, "db-one").await;
        let sg2 = security_group(&env, "db-two").await;
        let mut db = Db {
            identifier: "app-db",
            class: "db.t3.micro",
            storage: 20,
            db_name: "app",
            password: "first-Secret-1",
            iam: true,
            groups: &[sg1.as_str()],
            protected: false,
            skip_final: false,
            team: "web",
        };

        // create → read
        env.write(&instance_spec(&subnets, &db));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "data.db", Action::Create);
        assert_eq!(env.id("data.db"), "app-db");
        let found = describe_instance(&env, "app-db").await.unwrap();
        assert_eq!(found.db_instance_status(), Some("available"));
        assert_eq!(found.engine(), Some("postgres"));
        assert_eq!(found.engine_version(), Some("13.7"));
        assert_eq!(found.db_instance_class(), Some("db.t3.micro"));
        assert_eq!(found.allocated_storage(), Some(20));
        assert_eq!(found.db_name(), Some("app"));
        assert_eq!(found.master_username(), Some("dbadmin"));
        assert_eq!(found.iam_database_authentication_enabled(), Some(true));
        assert_eq!(found.backup_retention_period(), Some(1));
        assert_eq!(
            found.db_subnet_group().unwrap().db_subnet_group_name(),
            Some("app-subnets")
        );
        assert_eq!(instance_groups(&found), vec![sg1.clone()]);
        let address = env.attr("data.db", "address").as_str().unwrap().to_owned();
        assert_eq!(
            env.attr("data.db", "endpoint"),
            Value::String(format!("{address}:5432"))
        );
        assert_eq!(env.attr("data.db", "port"), Value::Int(5432));
        assert!(
            env.attr("data.db", "resource-id")
                .as_str()
                .unwrap()
                .starts_with("db-")
        );
        // the password is kept only as a digest
        let text = std::fs::read_to_string(env.state_path()).unwrap();
        assert!(!text.contains("first-Secret-1"));

        // apply-then-plan is empty
        env.assert_no_changes().await;

        // a change outside strata is drift, and apply converges
        rds.modify_db_instance()
            .db_instance_identifier("app-db")
            .backup_retention_period(7)
            .apply_immediately(true)
            .send()
            .await
            .unwrap();
        let plan = env.assert_drift("data.db", "backup-retention-period").await;
        Env::assert_action(&plan, "data.db", Action::Update);
        env.apply().await;
        env.assert_no_changes().await;
        let found = describe_instance(&env, "app-db").await.unwrap();
        assert_eq!(found.backup_retention_period(), Some(1));

        // an update in place keeps the id
        db.class = "db.t3.small";
        db.storage = 30;
        db.iam = false;
        let both = [sg2.as_str(), sg1.as_str()];
        db.groups = &both;
        db.password = "second-Secret-2";
        db.team = "data";
        env.write(&instance_spec(&subnets, &db));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "data.db", Action::Update);
        let change = plan
            .changes
            .iter()
            .find(|c| c.address == "data.db")
            .unwrap();
        assert!(change.attributes.iter().any(|a| a.name == "password"));
        assert_eq!(env.id("data.db"), "app-db");
        let found = describe_instance(&env, "app-db").await.unwrap();
        assert_eq!(found.db_instance_class(), Some("db.t3.small"));
        assert_eq!(found.allocated_storage(), Some(30));
        assert_eq!(found.iam_database_authentication_enabled(), Some(false));
        let mut expected = vec![sg1.clone(), sg2.clone()];
        expected.sort();
        assert_eq!(instance_groups(&found), expected);
        assert!(
            found
                .tag_list()
                .iter()
                .any(|t| t.key() == Some("Team") && t.value() == Some("data"))
        );
        let text = std::fs::read_to_string(env.state_path()).unwrap();
        assert!(!text.contains("second-Secret-2"));
        env.assert_no_changes().await;

        // deletion protection: set in place, and a destroy then fails clearly
        db.protected = true;
        env.write(&instance_spec(&subnets, &db));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "data.db", Action::Update);
        let found = describe_instance(&env, "app-db").await.unwrap();
        assert_eq!(found.deletion_protection(), Some(true));
        env.assert_no_changes().await;
        let report = env.try_destroy().await;
        let failure = report
            .failed
            .iter()
            .find(|f| f.address == "data.db")
            .expect("the protected instance's delete fails");
        assert!(
            failure.diagnostic.message.contains("deletion protection"),
            "{}",
            failure.diagnostic.message
        );
        assert!(describe_instance(&env, "app-db").await.is_some());
        db.protected = false;
        env.write(&instance_spec(&subnets, &db));
        env.apply().await;
        env.assert_no_changes().await;

        // a new identifier forces a replacement; the old instance leaves its final
        // snapshot
        db.identifier = "app-db-2";
        env.write(&instance_spec(&subnets, &db));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "data.db", Action::Replace);
        assert_eq!(env.id("data.db"), "app-db-2");
        assert!(describe_instance(&env, "app-db").await.is_none());
        let found = describe_instance(&env, "app-db-2").await.unwrap();
        assert_eq!(found.db_instance_class(), Some("db.t3.small"));
        let snapshot = rds
            .describe_db_snapshots()
            .db_snapshot_identifier("app-db-final")
            .send()
            .await
            .unwrap();
        assert_eq!(
            snapshot.db_snapshots()[0].db_instance_identifier(),
            Some("app-db")
        );
        env.assert_no_changes().await;

        // destroy → gone (no final snapshot asked for this time)
        db.skip_final = true;
        env.write(&instance_spec(&subnets, &db));
        env.apply().await;
        env.destroy().await;
        assert!(describe_instance(&env, "app-db-2").await.is_none());
        assert!(describe_group(&env, "app-subnets").await.is_none());
        let snapshots = rds
            .describe_db_snapshots()
            .db_instance_identifier("app-db-2")
            .send()
            .await
            .unwrap();
        assert!(snapshots.db_snapshots().is_empty());
        assert!(env.state().resources.is_empty());
    });
}

/// A Postgres instance made with the SDK, and a manual snapshot of it per name.
async fn source_with_snapshots(env: &Env, snapshots: &[&str]) {
    let rds = env.aws.rds().await.unwrap();
    rds.create_db_instance()
        .db_instance_identifier("source-db")
        .engine("postgres")
        .engine_version("13.7")
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username("owner")
        .master_user_password("source-Secret-0")
        .db_name("catalog")
        .backup_retention_period(3)
        .publicly_accessible(true)
        .send()
        .await
        .unwrap();
    for name in snapshots {
        rds.create_db_snapshot()
            .db_instance_identifier("source-db")
            .db_snapshot_identifier(*name)
            .send()
            .await
            .unwrap();
    }
}

fn restored_spec(identifier: &str, snapshot: &str, class: &str, secret: &str, app: &str) -> String {
    format!(
        r#"stack data {{
    rds.instance db {{
        identifier "{identifier}"
        snapshot-identifier "{snapshot}"
        engine postgres
        engine-version "13.7"
        instance-class "{class}"
        {secret}
        publicly-accessible #false
        iam-database-authentication #true
        backup-retention-period 0
        skip-final-snapshot #true
        tags app={app}
    }}
}}
"#
    )
}

#[test]
fn instance_restored_from_a_snapshot_lifecycle() {
    run(async {
        let env = Env::new();
        let rds = env.aws.rds().await.unwrap();
        source_with_snapshots(&env, &["source-snap-1", "source-snap-2"]).await;
        let password = r#"password "restored-Secret-1""#;

        // create (restore, then modify what the restore cannot set) → read
        env.write(&restored_spec(
            "restored-db",
            "source-snap-1",
            "db.t3.micro",
            password,
            "digidex",
        ));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "data.db", Action::Create);
        assert_eq!(env.id("data.db"), "restored-db");
        let found = describe_instance(&env, "restored-db").await.unwrap();
        assert_eq!(found.db_instance_status(), Some("available"));
        // the snapshot brings the master user, the database and the storage
        assert_eq!(found.master_username(), Some("owner"));
        assert_eq!(found.db_name(), Some("catalog"));
        assert_eq!(found.allocated_storage(), Some(20));
        assert_eq!(found.iam_database_authentication_enabled(), Some(true));
        // moto: the restore ignores every false or zero override (it keeps the
        // snapshot's 3 days and public access), so these two come from the
        // ModifyDBInstance that follows; AWS: the restore sets them itself.
        assert_eq!(found.backup_retention_period(), Some(0));
        assert_eq!(found.publicly_accessible(), Some(false));
        assert_eq!(env.attr("data.db", "username"), Value::from("owner"));
        let text = std::fs::read_to_string(env.state_path()).unwrap();
        assert!(!text.contains("restored-Secret-1"));

        // apply-then-plan is empty
        env.assert_no_changes().await;

        // a change outside strata is drift, and apply converges
        let arn = env.attr("data.db", "arn").as_str().unwrap().to_owned();
        rds.add_tags_to_resource()
            .resource_name(&arn)
            .tags(Tag::builder().key("app").value("other").build())
            .tags(Tag::builder().key("extra").value("x").build())
            .send()
            .await
            .unwrap();
        let plan = env.assert_drift("data.db", "tags").await;
        Env::assert_action(&plan, "data.db", Action::Update);
        env.apply().await;
        env.assert_no_changes().await;
        let found = describe_instance(&env, "restored-db").await.unwrap();
        assert_eq!(found.tag_list().len(), 1);
        assert_eq!(found.tag_list()[0].value(), Some("digidex"));

        // an update in place: the password handed to Secrets Manager, a new class
        env.write(&restored_spec(
            "restored-db",
            "source-snap-1",
            "db.t3.small",
            "manage-master-password #true",
            "digidex",
        ));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "data.db", Action::Update);
        assert_eq!(env.id("data.db"), "restored-db");
        let found = describe_instance(&env, "restored-db").await.unwrap();
        assert_eq!(found.db_instance_class(), Some("db.t3.small"));
        let secret = found.master_user_secret().expect("a managed master secret");
        assert_eq!(
            env.attr("data.db", "master-user-secret-arn"),
            Value::from(secret.secret_arn().unwrap())
        );
        env.assert_no_changes().await;

        // another snapshot forces a replacement
        env.write(&restored_spec(
            "restored-db",
            "source-snap-2",
            "db.t3.small",
            "manage-master-password #true",
            "digidex",
        ));
        let plan = env.plan().await;
        Env::assert_action(&plan, "data.db", Action::Replace);
        // (with another identifier too, so that the new instance has a new id)
        env.write(&restored_spec(
            "restored-db-2",
            "source-snap-2",
            "db.t3.small",
            "manage-master-password #true",
            "digidex",
        ));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "data.db", Action::Replace);
        assert_eq!(env.id("data.db"), "restored-db-2");
        assert!(describe_instance(&env, "restored-db").await.is_none());
        let found = describe_instance(&env, "restored-db-2").await.unwrap();
        assert!(found.master_user_secret().is_some());
        assert_eq!(found.backup_retention_period(), Some(0));
        env.assert_no_changes().await;

        // destroy → gone, without a final snapshot
        env.destroy().await;
        assert!(describe_instance(&env, "restored-db-2").await.is_none());
        let snapshots = rds
            .describe_db_snapshots()
            .db_instance_identifier("restored-db-2")
            .send()
            .await
            .unwrap();
        assert!(snapshots.db_snapshots().is_empty());
        assert!(describe_instance(&env, "source-db").await.is_some());
    });
}

#[test]
fn an_existing_instance_is_imported_by_identifier() {
    run(async {
        let env = Env::new();
        source_with_snapshots(&env, &[]).await;
        env.write(
            r#"stack data {
    rds.instance db {
        identifier "source-db"
        engine postgres
        engine-version "13"
        instance-class db.t3.micro
        allocated-storage 20
        db-name catalog
        username owner
        publicly-accessible #true
        backup-retention-period 3
        skip-final-snapshot #true
    }
}
"#,
        );
        // importing what does not exist says so
        match env.import("data.db", "no-such-db").await {
            Err(workflow::Stop::Spec(failure)) => {
                let text = failure.render_human(false, 100);
                assert!(
                    text.contains("no rds.instance with id `no-such-db`"),
                    "{text}"
                );
            }
            _ => panic!("importing a missing instance must fail"),
        }

        let record = env
            .import("data.db", "source-db")
            .await
            .unwrap_or_else(|_| panic!("the import failed"));
        assert_eq!(record.id, "source-db");
        assert_eq!(env.attr("data.db", "engine-version"), Value::from("13.7"));
        // Two changes are left, neither of them a call to AWS: the spec writes `13`
        // where the import read AWS's 13.7 (the same version; recorded as written once
        // applied), and what AWS cannot say (skip-final-snapshot) reads as the schema's
        // default while the spec says `#true`.
        let plan = env.plan().await;
        Env::assert_action(&plan, "data.db", Action::Update);
        let change = plan
            .changes
            .iter()
            .find(|c| c.address == "data.db")
            .unwrap();
        let names: Vec<&str> = change.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, vec!["engine-version", "skip-final-snapshot"]);
        env.apply().await;
        env.assert_no_changes().await;
        let found = describe_instance(&env, "source-db").await.unwrap();
        assert_eq!(found.engine_version(), Some("13.7"));
        assert_eq!(env.attr("data.db", "engine-version"), Value::from("13"));

        env.destroy().await;
        assert!(describe_instance(&env, "source-db").await.is_none());
    });
}

fn port_spec(port: u16, multi_az: bool) -> String {
    format!(
        r#"stack data {{
    rds.instance db {{
        identifier "port-db"
        engine postgres
        instance-class db.t3.micro
        allocated-storage 20
        username dbadmin
        password "port-Secret-1"
        port {port}
        multi-az #{multi_az}
        skip-final-snapshot #true
    }}
}}
"#
    )
}

#[test]
fn port_and_multi_az_change_in_place() {
    run(async {
        let env = Env::new();
        env.write(&port_spec(5432, false));
        env.apply().await;
        env.assert_no_changes().await;

        env.write(&port_spec(5433, true));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "data.db", Action::Update);
        assert_eq!(env.id("data.db"), "port-db");
        let found = describe_instance(&env, "port-db").await.unwrap();
        assert_eq!(found.multi_az(), Some(true));
        // moto: ModifyDBInstance ignores DBPortNumber, so the port stays 5432 and the
        // next plan still wants 5433; AWS: the instance moves to the new port and the
        // plan is empty.
        assert_eq!(found.endpoint().unwrap().port(), Some(5432));
        let plan = env.plan().await;
        Env::assert_action(&plan, "data.db", Action::Update);
        let change = plan
            .changes
            .iter()
            .find(|c| c.address == "data.db")
            .unwrap();
        let names: Vec<&str> = change.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, vec!["port"]);

        // back to 5432: nothing to change, only the state's 5433 shows as drift
        env.write(&port_spec(5432, true));
        let plan = env.assert_drift("data.db", "port").await;
        assert!(
            plan.changes
                .iter()
                .all(|c| c.address != "data.db" || c.action == Action::NoOp)
        );
        env.destroy().await;
        assert!(describe_instance(&env, "port-db").await.is_none());
    });
}
