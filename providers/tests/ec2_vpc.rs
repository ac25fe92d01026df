//! `ec2.vpc` against the emulator: the whole life of one VPC.

mod support;

use aws_sdk_ec2::types::{AttributeBooleanValue, Tag};
use strata_engine::Value;
use strata_engine::plan::Action;
use support::{Env, run};

fn spec(cidr: &str, hostnames: bool, team: &str) -> String {
    format!(
        r#"stack net {{
    ec2.vpc main {{
        cidr-block "{cidr}"
        enable-dns-hostnames #{hostnames}
        tags Name=main Team={team}
    }}
}}
"#
    )
}

#[test]
fn vpc_lifecycle() {
    run(async {
        let env = Env::new();
        let ec2 = env.aws.ec2().await.unwrap();

        // create → read
        env.write(&spec("10.0.0.0/22", true, "web"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "net.main", Action::Create);
        let id = env.id("net.main");
        assert!(id.starts_with("vpc-"), "{id}");
        let vpc = ec2.describe_vpcs().vpc_ids(&id).send().await.unwrap();
        assert_eq!(vpc.vpcs()[0].cidr_block(), Some("10.0.0.0/22"));
        assert!(
            env.attr("net.main", "main-route-table-id")
                .as_str()
                .unwrap()
                .starts_with("rtb-")
        );
        assert!(
            env.attr("net.main", "default-security-group-id")
                .as_str()
                .unwrap()
                .starts_with("sg-")
        );

        // apply-then-plan is empty
        env.assert_no_changes().await;

        // a change outside strata is drift, and apply converges
        ec2.create_tags()
            .resources(&id)
            .tags(Tag::builder().key("Team").value("ops").build())
            .send()
            .await
            .unwrap();
        ec2.modify_vpc_attribute()
            .vpc_id(&id)
            .enable_dns_hostnames(AttributeBooleanValue::builder().value(false).build())
            .send()
            .await
            .unwrap();
        let plan = env.assert_drift("net.main", "tags").await;
        assert!(
            plan.drift[0]
                .attributes
                .iter()
                .any(|a| a.name == "enable-dns-hostnames")
        );
        Env::assert_action(&plan, "net.main", Action::Update);
        env.apply().await;
        env.assert_no_changes().await;
        assert_eq!(
            env.attr("net.main", "enable-dns-hostnames"),
            Value::Bool(true)
        );

        // an update in place keeps the id
        env.write(&spec("10.0.0.0/22", false, "data"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "net.main", Action::Update);
        assert_eq!(env.id("net.main"), id);
        let tags = ec2.describe_vpcs().vpc_ids(&id).send().await.unwrap();
        assert!(
            tags.vpcs()[0]
                .tags()
                .iter()
                .any(|t| t.key() == Some("Team") && t.value() == Some("data"))
        );
        env.assert_no_changes().await;

        // a new CIDR block forces a replacement
        env.write(&spec("10.1.0.0/22", false, "data"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "net.main", Action::Replace);
        let new_id = env.id("net.main");
        assert_ne!(new_id, id);
        let old = ec2.describe_vpcs().vpc_ids(&id).send().await;
        assert!(
            old.is_err() || old.unwrap().vpcs().is_empty(),
            "the old VPC remains"
        );
        env.assert_no_changes().await;

        // destroy → gone
        env.destroy().await;
        let gone = ec2.describe_vpcs().vpc_ids(&new_id).send().await;
        assert!(
            gone.is_err() || gone.unwrap().vpcs().is_empty(),
            "the VPC remains"
        );
        assert!(env.state().resources.is_empty());
    });
}

#[test]
fn a_vpc_deleted_outside_strata_is_planned_again() {
    run(async {
        let env = Env::new();
        let ec2 = env.aws.ec2().await.unwrap();
        env.write(&spec("10.2.0.0/24", false, "web"));
        env.apply().await;
        let id = env.id("net.main");
        ec2.delete_vpc().vpc_id(&id).send().await.unwrap();
        let plan = env.plan().await;
        Env::assert_action(&plan, "net.main", Action::Create);
    });
}
