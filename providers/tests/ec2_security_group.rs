//! `ec2.security-group` (with inline rules) and the standalone
//! `ec2.security-group-ingress` / `ec2.security-group-egress` rules against the emulator.

mod support;

use aws_sdk_ec2::types::{IpPermission, IpRange, SecurityGroup, SecurityGroupRule, Tag};
use strata_engine::Value;
use strata_engine::plan::Action;
use support::{Env, run};

async fn group(ec2: &aws_sdk_ec2::Client, id: &str) -> Option<SecurityGroup> {
    match ec2.describe_security_groups().group_ids(id).send().await {
        Ok(out) => out.security_groups().first().cloned(),
        Err(_) => None,
    }
}

/// `(protocol, from, to, peer)` of every rule of a group in one direction.
fn rules_of(permissions: &[IpPermission]) -> Vec<(String, Option<i32>, Option<i32>, String)> {
    let mut out = Vec::new();
    for p in permissions {
        let proto = p.ip_protocol().unwrap_or("").to_owned();
        let (f, t) = (p.from_port(), p.to_port());
        for r in p.ip_ranges() {
            out.push((proto.clone(), f, t, r.cidr_ip().unwrap().to_owned()));
        }
        for r in p.ipv6_ranges() {
            out.push((proto.clone(), f, t, r.cidr_ipv6().unwrap().to_owned()));
        }
        for r in p.prefix_list_ids() {
            out.push((proto.clone(), f, t, r.prefix_list_id().unwrap().to_owned()));
        }
        for r in p.user_id_group_pairs() {
            out.push((proto.clone(), f, t, r.group_id().unwrap().to_owned()));
        }
    }
    out.sort();
    out
}

fn rule(
    proto: &str,
    from: Option<i32>,
    to: Option<i32>,
    peer: &str,
) -> (String, Option<i32>, Option<i32>, String) {
    (proto.to_owned(), from, to, peer.to_owned())
}

/// `app`: inline ingress (CIDRs, IPv6, a prefix list, self) and one egress rule with the
/// default revoked. `db`: Postgres from `app` only (a group-to-group rule), no egress
/// written (the default rule is kept).
fn spec(ssh_port: u16, ssh_note: &str, pg_note: &str, db_name: &str, prefix_list: &str) -> String {
    format!(
        r#"stack net {{
    ec2.vpc vpc {{
        cidr-block "10.0.0.0/16"
    }}

    ec2.security-group app {{
        name app-sg
        description "application servers"
        vpc-id (ref)"vpc.id"
        revoke-default-egress #true
        ingress tcp from-port={ssh_port} to-port={ssh_port} description="{ssh_note}" {{
            cidr-blocks "10.0.0.0/8" "192.168.0.0/16"
            ipv6-cidr-blocks "2001:db8::/32"
        }}
        ingress all self=#true
        ingress tcp from-port=443 to-port=443 {{
            prefix-list-ids "{prefix_list}"
        }}
        egress tcp from-port=443 to-port=443 {{
            cidr-blocks "0.0.0.0/0"
        }}
        tags Team=web
    }}

    ec2.security-group db {{
        name {db_name}
        description "database"
        vpc-id (ref)"vpc.id"
        ingress tcp from-port=5432 to-port=5432 source-security-group-id=(ref)"app.id" description="{pg_note}"
        tags Team=data
    }}
}}
"#
    )
}

#[test]
fn security_group_with_inline_rules_lifecycle() {
    run(async {
        let env = Env::new();
        let ec2 = env.aws.ec2().await.unwrap();
        let prefix_list = ec2
            .describe_managed_prefix_lists()
            .send()
            .await
            .unwrap()
            .prefix_lists()
            .first()
            .and_then(|p| p.prefix_list_id())
            .expect("the emulator has AWS-managed prefix lists")
            .to_owned();

        // create → read
        env.write(&spec(22, "ssh", "postgres from app", "db-sg", &prefix_list));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "net.app", Action::Create);
        Env::assert_action(&plan, "net.db", Action::Create);
        let app_id = env.id("net.app");
        let db_id = env.id("net.db");
        assert!(app_id.starts_with("sg-"), "{app_id}");
        let app = group(&ec2, &app_id).await.unwrap();
        assert_eq!(app.group_name(), Some("app-sg"));
        assert_eq!(rules_of(app.ip_permissions()), {
            let mut v = vec![
                rule("tcp", Some(22), Some(22), "10.0.0.0/8"),
                rule("tcp", Some(22), Some(22), "192.168.0.0/16"),
                rule("tcp", Some(22), Some(22), "2001:db8::/32"),
                rule("-1", None, None, &app_id),
                rule("tcp", Some(443), Some(443), &prefix_list),
            ];
            v.sort();
            v
        });
        // The default allow-all egress rule was revoked; only the written one remains.
        assert_eq!(
            rules_of(app.ip_permissions_egress()),
            vec![rule("tcp", Some(443), Some(443), "0.0.0.0/0")]
        );
        let db = group(&ec2, &db_id).await.unwrap();
        assert_eq!(
            rules_of(db.ip_permissions()),
            vec![rule("tcp", Some(5432), Some(5432), &app_id)]
        );
        assert_eq!(
            db.ip_permissions()[0].user_id_group_pairs()[0].description(),
            Some("postgres from app")
        );
        // No egress written and the default not revoked: AWS's allow-all rule stays.
        assert_eq!(
            rules_of(db.ip_permissions_egress()),
            vec![rule("-1", None, None, "0.0.0.0/0")]
        );
        assert_eq!(
            env.attr("net.db", "revoke-default-egress"),
            Value::Bool(false)
        );
        assert!(
            env.attr("net.app", "arn")
                .as_str()
                .unwrap()
                .ends_with(&format!("security-group/{app_id}"))
        );

        // apply-then-plan is empty
        env.assert_no_changes().await;

        // changes outside strata are drift: a rule added to a managed direction, the
        // default egress rule revoked from a group that keeps it, a tag
        ec2.authorize_security_group_ingress()
            .group_id(&app_id)
            .ip_permissions(
                IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(8080)
                    .to_port(8080)
                    .ip_ranges(IpRange::builder().cidr_ip("1.2.3.4/32").build())
                    .build(),
            )
            .send()
            .await
            .unwrap();
        ec2.revoke_security_group_egress()
            .group_id(&db_id)
            .ip_permissions(
                IpPermission::builder()
                    .ip_protocol("-1")
                    .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                    .build(),
            )
            .send()
            .await
            .unwrap();
        ec2.create_tags()
            .resources(&db_id)
            .tags(Tag::builder().key("Team").value("ops").build())
            .send()
            .await
            .unwrap();
        let plan = env.assert_drift("net.app", "ingress").await;
        let db_drift = plan
            .drift
            .iter()
            .find(|d| d.address == "net.db")
            .expect("drift on net.db");
        let names: Vec<&str> = db_drift
            .attributes
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert!(names.contains(&"revoke-default-egress"), "{names:?}");
        assert!(names.contains(&"tags"), "{names:?}");
        Env::assert_action(&plan, "net.app", Action::Update);
        Env::assert_action(&plan, "net.db", Action::Update);
        env.apply().await;
        env.assert_no_changes().await;
        let app = group(&ec2, &app_id).await.unwrap();
        assert!(
            !rules_of(app.ip_permissions())
                .iter()
                .any(|r| r.3 == "1.2.3.4/32"),
            "the rule added outside strata was revoked"
        );
        let db = group(&ec2, &db_id).await.unwrap();
        assert_eq!(
            rules_of(db.ip_permissions_egress()),
            vec![rule("-1", None, None, "0.0.0.0/0")],
            "the default egress rule is back"
        );

        // an update in place: a rule's port and description, the group rule's description
        env.write(&spec(
            2222,
            "ssh on 2222",
            "postgres",
            "db-sg",
            &prefix_list,
        ));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "net.app", Action::Update);
        Env::assert_action(&plan, "net.db", Action::Update);
        assert_eq!(env.id("net.app"), app_id);
        assert_eq!(env.id("net.db"), db_id);
        let app = group(&ec2, &app_id).await.unwrap();
        let ssh: Vec<_> = rules_of(app.ip_permissions())
            .into_iter()
            .filter(|r| r.0 == "tcp" && r.1 != Some(443))
            .collect();
        assert_eq!(ssh.len(), 3, "{ssh:?}");
        assert!(ssh.iter().all(|r| r.1 == Some(2222)), "{ssh:?}");
        let ssh_perm = app
            .ip_permissions()
            .iter()
            .find(|p| p.from_port() == Some(2222))
            .unwrap();
        assert_eq!(ssh_perm.ip_ranges()[0].description(), Some("ssh on 2222"));
        let db = group(&ec2, &db_id).await.unwrap();
        // moto: UpdateSecurityGroupRuleDescriptionsIngress silently skips rules whose
        // peer is a group (it matches the pair including its old description), so the
        // description stays and the next plan updates it again; AWS: changed in place.
        assert_eq!(
            db.ip_permissions()[0].user_id_group_pairs()[0].description(),
            Some("postgres from app")
        );
        let plan = env.plan().await;
        Env::assert_action(&plan, "net.db", Action::Update);
        // Back to the description the emulator kept: the apply only records it.
        env.write(&spec(
            2222,
            "ssh on 2222",
            "postgres from app",
            "db-sg",
            &prefix_list,
        ));
        env.apply().await;
        env.assert_no_changes().await;

        // a new name forces a replacement
        env.write(&spec(
            2222,
            "ssh on 2222",
            "postgres from app",
            "db-sg-2",
            &prefix_list,
        ));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "net.db", Action::Replace);
        let new_db = env.id("net.db");
        assert_ne!(new_db, db_id);
        assert!(group(&ec2, &db_id).await.is_none(), "the old group remains");
        assert_eq!(
            group(&ec2, &new_db).await.unwrap().group_name(),
            Some("db-sg-2")
        );
        env.assert_no_changes().await;

        // destroy → gone
        env.destroy().await;
        assert!(group(&ec2, &new_db).await.is_none(), "the db group remains");
        assert!(
            group(&ec2, &app_id).await.is_none(),
            "the app group remains"
        );
        assert!(env.state().resources.is_empty());
    });
}

/// Two groups referring to each other through standalone rules (the digidex shape).
fn standalone_spec(pg_port: u16, note: &str) -> String {
    format!(
        r#"stack net {{
    ec2.vpc vpc {{
        cidr-block "10.0.0.0/16"
    }}

    ec2.security-group app {{
        name app-sg
        vpc-id (ref)"vpc.id"
        revoke-default-egress #true
    }}

    ec2.security-group db {{
        name db-sg
        vpc-id (ref)"vpc.id"
        revoke-default-egress #true
    }}

    ec2.security-group-egress app-to-db {{
        security-group-id (ref)"app.id"
        protocol tcp
        from-port {pg_port}
        to-port {pg_port}
        destination-security-group-id (ref)"db.id"
        description "postgres to db"
    }}

    ec2.security-group-ingress db-from-app {{
        security-group-id (ref)"db.id"
        protocol tcp
        from-port {pg_port}
        to-port {pg_port}
        source-security-group-id (ref)"app.id"
    }}

    ec2.security-group-ingress db-admin {{
        security-group-id (ref)"db.id"
        protocol "6"
        from-port 22
        to-port 22
        cidr-blocks "10.1.0.0/16" "10.2.0.0/16"
        description "{note}"
    }}
}}
"#
    )
}

async fn rules_by_id(ec2: &aws_sdk_ec2::Client, ids: &str) -> Vec<SecurityGroupRule> {
    let mut out = Vec::new();
    for id in ids.split(',') {
        if let Ok(found) = ec2
            .describe_security_group_rules()
            .security_group_rule_ids(id)
            .send()
            .await
        {
            out.extend(found.security_group_rules().iter().cloned());
        }
    }
    out
}

#[test]
fn standalone_rules_lifecycle() {
    run(async {
        let env = Env::new();
        let ec2 = env.aws.ec2().await.unwrap();

        // create → read
        env.write(&standalone_spec(5432, "admin"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "net.app-to-db", Action::Create);
        let app_id = env.id("net.app");
        let db_id = env.id("net.db");
        let egress_id = env.id("net.app-to-db");
        let ingress_id = env.id("net.db-from-app");
        let admin_id = env.id("net.db-admin");
        assert!(egress_id.starts_with("sgr-"), "{egress_id}");
        // One rule per peer: the two CIDR blocks are two AWS rules, one engine id.
        assert_eq!(admin_id.split(',').count(), 2, "{admin_id}");
        let egress = rules_by_id(&ec2, &egress_id).await;
        assert_eq!(egress.len(), 1);
        assert_eq!(egress[0].is_egress(), Some(true));
        assert_eq!(egress[0].group_id(), Some(app_id.as_str()));
        assert_eq!(
            egress[0].referenced_group_info().and_then(|g| g.group_id()),
            Some(db_id.as_str())
        );
        // moto: DescribeSecurityGroupRules leaves out the description of a rule whose
        // peer is a group (DescribeSecurityGroups has it, and strata reads it there
        // when missing); AWS: returned by both.
        assert_eq!(egress[0].description(), None);
        let app = group(&ec2, &app_id).await.unwrap();
        assert_eq!(
            app.ip_permissions_egress()[0].user_id_group_pairs()[0].description(),
            Some("postgres to db")
        );
        assert_eq!(
            env.attr("net.app-to-db", "description"),
            Value::from("postgres to db")
        );
        let admin = rules_by_id(&ec2, &admin_id).await;
        let mut cidrs: Vec<_> = admin.iter().filter_map(|r| r.cidr_ipv4()).collect();
        cidrs.sort();
        assert_eq!(cidrs, ["10.1.0.0/16", "10.2.0.0/16"]);
        assert!(admin.iter().all(|r| r.description() == Some("admin")));
        // The groups' own egress: the default rule revoked, the standalone rule there.
        let app = group(&ec2, &app_id).await.unwrap();
        assert_eq!(
            rules_of(app.ip_permissions_egress()),
            vec![rule("tcp", Some(5432), Some(5432), &db_id)]
        );
        assert_eq!(
            env.attr("net.db-admin", "rule-ids"),
            Value::List(admin_id.split(',').map(Value::from).collect())
        );

        // apply-then-plan is empty: the groups do not manage the directions their
        // standalone rules fill
        env.assert_no_changes().await;

        // a description changed outside strata is drift
        ec2.update_security_group_rule_descriptions_ingress()
            .group_id(&db_id)
            .ip_permissions(
                IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(22)
                    .to_port(22)
                    .ip_ranges(
                        IpRange::builder()
                            .cidr_ip("10.1.0.0/16")
                            .description("changed")
                            .build(),
                    )
                    .ip_ranges(
                        IpRange::builder()
                            .cidr_ip("10.2.0.0/16")
                            .description("changed")
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let plan = env.assert_drift("net.db-admin", "description").await;
        Env::assert_action(&plan, "net.db-admin", Action::Update);
        env.apply().await;
        env.assert_no_changes().await;
        assert!(
            rules_by_id(&ec2, &admin_id)
                .await
                .iter()
                .all(|r| r.description() == Some("admin"))
        );

        // an update in place: the description
        env.write(&standalone_spec(5432, "administration"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "net.db-admin", Action::Update);
        assert_eq!(env.id("net.db-admin"), admin_id);
        assert!(
            rules_by_id(&ec2, &admin_id)
                .await
                .iter()
                .all(|r| r.description() == Some("administration"))
        );
        env.assert_no_changes().await;

        // a new port forces new rules
        env.write(&standalone_spec(6432, "administration"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "net.app-to-db", Action::Replace);
        Env::assert_action(&plan, "net.db-from-app", Action::Replace);
        let new_egress = env.id("net.app-to-db");
        assert_ne!(new_egress, egress_id);
        assert!(
            rules_by_id(&ec2, &egress_id).await.is_empty(),
            "the old rule remains"
        );
        assert!(rules_by_id(&ec2, &ingress_id).await.is_empty());
        let app = group(&ec2, &app_id).await.unwrap();
        assert_eq!(
            rules_of(app.ip_permissions_egress()),
            vec![rule("tcp", Some(6432), Some(6432), &db_id)]
        );
        env.assert_no_changes().await;

        // a rule revoked outside strata is planned again
        ec2.revoke_security_group_egress()
            .group_id(&app_id)
            .security_group_rule_ids(&new_egress)
            .send()
            .await
            .unwrap();
        let plan = env.plan().await;
        Env::assert_action(&plan, "net.app-to-db", Action::Create);
        env.apply().await;
        env.assert_no_changes().await;

        // destroy → gone
        let last_egress = env.id("net.app-to-db");
        env.destroy().await;
        assert!(rules_by_id(&ec2, &last_egress).await.is_empty());
        assert!(group(&ec2, &app_id).await.is_none());
        assert!(group(&ec2, &db_id).await.is_none());
        assert!(env.state().resources.is_empty());
    });
}

#[test]
fn an_existing_group_is_imported_by_id() {
    run(async {
        let env = Env::new();
        let ec2 = env.aws.ec2().await.unwrap();
        let vpc = ec2
            .create_vpc()
            .cidr_block("10.9.0.0/16")
            .send()
            .await
            .unwrap()
            .vpc()
            .unwrap()
            .vpc_id()
            .unwrap()
            .to_owned();
        let id = ec2
            .create_security_group()
            .group_name("legacy")
            .description("made by hand")
            .vpc_id(&vpc)
            .send()
            .await
            .unwrap()
            .group_id()
            .unwrap()
            .to_owned();
        ec2.authorize_security_group_ingress()
            .group_id(&id)
            .ip_permissions(
                IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(443)
                    .to_port(443)
                    .ip_ranges(
                        IpRange::builder()
                            .cidr_ip("10.0.0.0/8")
                            .description("https")
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap();
        env.write(&format!(
            r#"stack net {{
    ec2.security-group legacy {{
        name legacy
        description "made by hand"
        vpc-id "{vpc}"
        ingress tcp from-port=443 to-port=443 description=https {{
            cidr-blocks "10.0.0.0/8"
        }}
    }}
}}
"#
        ));
        let (_, registry) = env.load();
        let record = env
            .import("net.legacy", &id)
            .await
            .unwrap_or_else(|_| panic!("the import failed"));
        assert_eq!(record.id, id);
        // What was imported is what the spec says: nothing to do, the rule kept.
        env.assert_no_changes().await;
        assert_eq!(
            env.attr("net.legacy", "revoke-default-egress"),
            Value::Bool(false)
        );
        // A group that does not exist imports as nothing.
        let missing = registry
            .resource("ec2.security-group")
            .unwrap()
            .import("sg-0123456789abcdef0")
            .await
            .unwrap();
        assert!(missing.is_none());
    });
}
