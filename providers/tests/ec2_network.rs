//! The EC2 networking types against the emulator, each through its whole life: subnet,
//! internet gateway, route table, Elastic IP, NAT gateway. Every spec holds a VPC (an
//! already tested type) plus the type under test and what it needs.

mod support;

use aws_sdk_ec2::types::{AttributeBooleanValue, Tag};
use strata_engine::Value;
use strata_engine::plan::Action;
use strata_engine::provider::Attrs;
use support::{Env, run};

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

fn has_tag(tags: &[Tag], key: &str, value: &str) -> bool {
    tags.iter()
        .any(|t| t.key() == Some(key) && t.value() == Some(value))
}

fn subnet_spec(cidr: &str, public: bool, team: &str) -> String {
    format!(
        r#"stack net {{
    ec2.vpc vpc {{
        cidr-block "10.0.0.0/22"
    }}
    ec2.subnet sub {{
        vpc-id (ref)"vpc.id"
        cidr-block "{cidr}"
        availability-zone "eu-west-3b"
        map-public-ip-on-launch #{public}
        tags Name=sub Team={team}
    }}
}}
"#
    )
}

#[test]
fn subnet_lifecycle() {
    run(async {
        let env = Env::new();
        let ec2 = env.aws.ec2().await.unwrap();

        // create → read
        env.write(&subnet_spec("10.0.0.0/26", false, "web"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "net.sub", Action::Create);
        let id = env.id("net.sub");
        assert!(id.starts_with("subnet-"), "{id}");
        let found = ec2.describe_subnets().subnet_ids(&id).send().await.unwrap();
        let subnet = &found.subnets()[0];
        assert_eq!(subnet.cidr_block(), Some("10.0.0.0/26"));
        assert_eq!(subnet.availability_zone(), Some("eu-west-3b"));
        assert_eq!(subnet.map_public_ip_on_launch(), Some(false));
        assert_eq!(subnet.vpc_id(), Some(env.id("net.vpc").as_str()));
        assert!(has_tag(subnet.tags(), "Team", "web"));
        assert_eq!(
            env.attr("net.sub", "availability-zone-id"),
            Value::from("euw3-az2")
        );
        assert!(
            env.attr("net.sub", "arn")
                .as_str()
                .unwrap()
                .ends_with(&format!(":subnet/{id}"))
        );

        // apply-then-plan is empty
        env.assert_no_changes().await;

        // a change outside strata is drift, and apply converges
        ec2.modify_subnet_attribute()
            .subnet_id(&id)
            .map_public_ip_on_launch(AttributeBooleanValue::builder().value(true).build())
            .send()
            .await
            .unwrap();
        ec2.create_tags()
            .resources(&id)
            .tags(tag("Team", "ops"))
            .send()
            .await
            .unwrap();
        let plan = env.assert_drift("net.sub", "map-public-ip-on-launch").await;
        assert!(
            plan.drift[0].attributes.iter().any(|a| a.name == "tags"),
            "tag drift expected"
        );
        Env::assert_action(&plan, "net.sub", Action::Update);
        env.apply().await;
        env.assert_no_changes().await;
        let found = ec2.describe_subnets().subnet_ids(&id).send().await.unwrap();
        assert_eq!(found.subnets()[0].map_public_ip_on_launch(), Some(false));
        assert!(has_tag(found.subnets()[0].tags(), "Team", "web"));

        // an update in place keeps the id
        env.write(&subnet_spec("10.0.0.0/26", true, "data"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "net.sub", Action::Update);
        assert_eq!(env.id("net.sub"), id);
        let found = ec2.describe_subnets().subnet_ids(&id).send().await.unwrap();
        assert_eq!(found.subnets()[0].map_public_ip_on_launch(), Some(true));
        assert!(has_tag(found.subnets()[0].tags(), "Team", "data"));
        env.assert_no_changes().await;

        // import by id reads what apply read
        let imported = env
            .registry()
            .resource("ec2.subnet")
            .unwrap()
            .import(&id)
            .await
            .unwrap()
            .expect("the subnet is found");
        assert_eq!(imported.id, id);
        assert_eq!(
            imported.attributes.get("cidr-block"),
            Some(&Value::from("10.0.0.0/26"))
        );
        assert_eq!(
            imported.attributes.get("map-public-ip-on-launch"),
            Some(&Value::Bool(true))
        );
        assert_eq!(
            imported.attributes.get("vpc-id"),
            Some(&Value::from(env.id("net.vpc").as_str()))
        );
        let missing = env
            .registry()
            .resource("ec2.subnet")
            .unwrap()
            .import("subnet-0123456789abcdef0")
            .await
            .unwrap();
        assert!(missing.is_none(), "an unknown subnet imports as nothing");

        // a new CIDR block forces a replacement
        env.write(&subnet_spec("10.0.0.64/26", true, "data"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "net.sub", Action::Replace);
        let new_id = env.id("net.sub");
        assert_ne!(new_id, id);
        assert!(
            ec2.describe_subnets().subnet_ids(&id).send().await.is_err(),
            "the old subnet remains"
        );
        env.assert_no_changes().await;

        // destroy → gone
        env.destroy().await;
        assert!(
            ec2.describe_subnets()
                .subnet_ids(&new_id)
                .send()
                .await
                .is_err(),
            "the subnet remains"
        );
        assert!(env.state().resources.is_empty());
    });
}

#[test]
fn a_subnet_deleted_outside_strata_is_planned_again() {
    run(async {
        let env = Env::new();
        let ec2 = env.aws.ec2().await.unwrap();
        env.write(&subnet_spec("10.0.0.0/26", false, "web"));
        env.apply().await;
        let id = env.id("net.sub");
        ec2.delete_subnet().subnet_id(&id).send().await.unwrap();
        let plan = env.plan().await;
        Env::assert_action(&plan, "net.sub", Action::Create);
    });
}

fn gateway_spec(vpc: &str, team: &str) -> String {
    format!(
        r#"stack net {{
    ec2.vpc a {{
        cidr-block "10.0.0.0/22"
    }}
    ec2.vpc b {{
        cidr-block "10.1.0.0/22"
    }}
    ec2.internet-gateway igw {{
        vpc-id (ref)"{vpc}.id"
        tags Name=igw Team={team}
    }}
}}
"#
    )
}

async fn attached(ec2: &aws_sdk_ec2::Client, igw: &str) -> Vec<String> {
    let out = ec2
        .describe_internet_gateways()
        .internet_gateway_ids(igw)
        .send()
        .await
        .unwrap();
    out.internet_gateways()[0]
        .attachments()
        .iter()
        .filter_map(|a| a.vpc_id().map(str::to_owned))
        .collect()
}

#[test]
fn internet_gateway_lifecycle() {
    run(async {
        let env = Env::new();
        let ec2 = env.aws.ec2().await.unwrap();

        // create → read: attached to VPC a
        env.write(&gateway_spec("a", "web"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "net.igw", Action::Create);
        let id = env.id("net.igw");
        let vpc_a = env.id("net.a");
        let vpc_b = env.id("net.b");
        assert!(id.starts_with("igw-"), "{id}");
        assert_eq!(attached(&ec2, &id).await, vec![vpc_a.clone()]);
        assert_eq!(env.attr("net.igw", "owner-id"), Value::from("123456789012"));

        // apply-then-plan is empty
        env.assert_no_changes().await;

        // detached outside strata: drift, and apply attaches it again
        ec2.detach_internet_gateway()
            .internet_gateway_id(&id)
            .vpc_id(&vpc_a)
            .send()
            .await
            .unwrap();
        let plan = env.assert_drift("net.igw", "vpc-id").await;
        Env::assert_action(&plan, "net.igw", Action::Update);
        env.apply().await;
        assert_eq!(attached(&ec2, &id).await, vec![vpc_a.clone()]);
        env.assert_no_changes().await;

        // moving it to VPC b is an update in place: detach, then attach
        env.write(&gateway_spec("b", "data"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "net.igw", Action::Update);
        assert_eq!(env.id("net.igw"), id);
        assert_eq!(attached(&ec2, &id).await, vec![vpc_b.clone()]);
        let out = ec2
            .describe_internet_gateways()
            .internet_gateway_ids(&id)
            .send()
            .await
            .unwrap();
        assert!(has_tag(out.internet_gateways()[0].tags(), "Team", "data"));
        env.assert_no_changes().await;

        // ec2.internet-gateway has no force-new attribute (an attachment change is in
        // place): the replacement path is taken with --replace. The new gateway is
        // attached to the same VPC once the old one is detached and deleted.
        let (plan, _) = env.apply_replacing("net.igw").await;
        Env::assert_action(&plan, "net.igw", Action::Replace);
        let old = id;
        let id = env.id("net.igw");
        assert_ne!(id, old);
        assert!(
            ec2.describe_internet_gateways()
                .internet_gateway_ids(&old)
                .send()
                .await
                .is_err(),
            "the replaced gateway remains"
        );
        assert_eq!(attached(&ec2, &id).await, vec![vpc_b.clone()]);
        env.assert_no_changes().await;

        // destroy → gone, detached first (a VPC with an attached gateway cannot go)
        env.destroy().await;
        assert!(
            ec2.describe_internet_gateways()
                .internet_gateway_ids(&id)
                .send()
                .await
                .is_err(),
            "the gateway remains"
        );
        assert!(env.state().resources.is_empty());
    });
}

fn table_spec(vpc: &str, routes: &str, subnets: &str, team: &str) -> String {
    format!(
        r#"stack net {{
    ec2.vpc vpc {{
        cidr-block "10.0.0.0/22"
    }}
    ec2.vpc other {{
        cidr-block "10.1.0.0/22"
    }}
    ec2.internet-gateway igw {{
        vpc-id (ref)"vpc.id"
    }}
    ec2.subnet a {{
        vpc-id (ref)"vpc.id"
        cidr-block "10.0.0.0/26"
    }}
    ec2.subnet b {{
        vpc-id (ref)"vpc.id"
        cidr-block "10.0.0.64/26"
    }}
    ec2.route-table rt {{
        vpc-id (ref)"{vpc}.id"
        {routes}
        {subnets}
        tags Name=rt Team={team}
    }}
}}
"#
    )
}

/// The (destination, target) pairs of a table's routes, and its associated subnets.
async fn table(ec2: &aws_sdk_ec2::Client, id: &str) -> (Vec<(String, String)>, Vec<String>) {
    let out = ec2
        .describe_route_tables()
        .route_table_ids(id)
        .send()
        .await
        .unwrap();
    let t = &out.route_tables()[0];
    let mut routes: Vec<(String, String)> = t
        .routes()
        .iter()
        .map(|r| {
            (
                r.destination_cidr_block().unwrap_or_default().to_owned(),
                r.gateway_id()
                    .or(r.nat_gateway_id())
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    routes.sort();
    let mut subnets: Vec<String> = t
        .associations()
        .iter()
        .filter_map(|a| a.subnet_id().map(str::to_owned))
        .collect();
    subnets.sort();
    (routes, subnets)
}

fn sorted(mut v: Vec<(String, String)>) -> Vec<(String, String)> {
    v.sort();
    v
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_owned(), b.to_owned())
}

#[test]
fn route_table_lifecycle() {
    run(async {
        let env = Env::new();
        let ec2 = env.aws.ec2().await.unwrap();

        // create → read: one route to the gateway, two subnets written in reverse order
        let both = r#"subnet-ids (ref)"b.id" (ref)"a.id""#;
        let to_igw = r#"route "0.0.0.0/0" gateway-id=(ref)"igw.id""#;
        env.write(&table_spec("vpc", to_igw, both, "web"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "net.rt", Action::Create);
        let id = env.id("net.rt");
        let igw = env.id("net.igw");
        let (a, b) = (env.id("net.a"), env.id("net.b"));
        assert!(id.starts_with("rtb-"), "{id}");
        let (routes, subnets) = table(&ec2, &id).await;
        assert_eq!(
            routes,
            sorted(vec![pair("0.0.0.0/0", &igw), pair("10.0.0.0/22", "local")])
        );
        let mut expected = vec![a.clone(), b.clone()];
        expected.sort();
        assert_eq!(subnets, expected);
        // the spec's order is kept, the implicit local route is not shown
        assert_eq!(
            env.attr("net.rt", "subnet-ids"),
            Value::List(vec![Value::from(b.as_str()), Value::from(a.as_str())])
        );

        // apply-then-plan is empty
        env.assert_no_changes().await;

        // a route added and an association removed outside strata: drift, and apply
        // converges (the extra route removed, the subnet associated again)
        ec2.create_route()
            .route_table_id(&id)
            .destination_cidr_block("192.168.0.0/16")
            .gateway_id(&igw)
            .send()
            .await
            .unwrap();
        let assoc = ec2
            .describe_route_tables()
            .route_table_ids(&id)
            .send()
            .await
            .unwrap()
            .route_tables()[0]
            .associations()
            .iter()
            .find(|x| x.subnet_id() == Some(a.as_str()))
            .and_then(|x| x.route_table_association_id())
            .unwrap()
            .to_owned();
        ec2.disassociate_route_table()
            .association_id(&assoc)
            .send()
            .await
            .unwrap();
        let plan = env.assert_drift("net.rt", "route").await;
        assert!(
            plan.drift[0]
                .attributes
                .iter()
                .any(|x| x.name == "subnet-ids")
        );
        Env::assert_action(&plan, "net.rt", Action::Update);
        env.apply().await;
        let (routes, subnets) = table(&ec2, &id).await;
        assert_eq!(
            routes,
            sorted(vec![pair("0.0.0.0/0", &igw), pair("10.0.0.0/22", "local")])
        );
        assert_eq!(subnets, expected);
        env.assert_no_changes().await;

        // an update in place: a second route, subnet a no longer associated
        let two_routes =
            format!("{to_igw}\n        route \"172.16.0.0/12\" gateway-id=(ref)\"igw.id\"");
        env.write(&table_spec(
            "vpc",
            &two_routes,
            r#"subnet-ids (ref)"b.id""#,
            "data",
        ));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "net.rt", Action::Update);
        assert_eq!(env.id("net.rt"), id);
        let (routes, subnets) = table(&ec2, &id).await;
        assert_eq!(
            routes,
            sorted(vec![
                pair("0.0.0.0/0", &igw),
                pair("10.0.0.0/22", "local"),
                pair("172.16.0.0/12", &igw)
            ])
        );
        assert_eq!(subnets, vec![b.clone()]);
        env.assert_no_changes().await;

        // another VPC forces a replacement (no routes, no subnets there)
        env.write(&table_spec("other", "", "", "data"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "net.rt", Action::Replace);
        let new_id = env.id("net.rt");
        assert_ne!(new_id, id);
        assert!(
            ec2.describe_route_tables()
                .route_table_ids(&id)
                .send()
                .await
                .is_err(),
            "the old table remains"
        );
        let (routes, subnets) = table(&ec2, &new_id).await;
        assert_eq!(routes, vec![pair("10.1.0.0/22", "local")]);
        assert!(subnets.is_empty());
        env.assert_no_changes().await;

        // destroy → gone
        env.destroy().await;
        assert!(
            ec2.describe_route_tables()
                .route_table_ids(&new_id)
                .send()
                .await
                .is_err(),
            "the table remains"
        );
        assert!(env.state().resources.is_empty());
    });
}

#[test]
fn a_subnet_of_another_table_is_moved() {
    run(async {
        let env = Env::new();
        let ec2 = env.aws.ec2().await.unwrap();
        env.write(&table_spec("vpc", "", r#"subnet-ids (ref)"a.id""#, "web"));
        env.apply().await;
        let a = env.id("net.a");
        let vpc = env.id("net.vpc");
        // a table made outside strata takes subnet a away
        let other = ec2
            .create_route_table()
            .vpc_id(&vpc)
            .send()
            .await
            .unwrap()
            .route_table()
            .unwrap()
            .route_table_id()
            .unwrap()
            .to_owned();
        let rt = env.id("net.rt");
        let assoc = ec2
            .describe_route_tables()
            .route_table_ids(&rt)
            .send()
            .await
            .unwrap()
            .route_tables()[0]
            .associations()[0]
            .route_table_association_id()
            .unwrap()
            .to_owned();
        ec2.replace_route_table_association()
            .association_id(&assoc)
            .route_table_id(&other)
            .send()
            .await
            .unwrap();
        env.assert_drift("net.rt", "subnet-ids").await;
        // moto: AssociateRouteTable for a subnet another table holds answers with the
        // old association and changes nothing; AWS: `Resource.AlreadyAssociated`. Both
        // are handled by moving the association (ReplaceRouteTableAssociation).
        env.apply().await;
        assert_eq!(table(&ec2, &rt).await.1, vec![a.clone()]);
        assert!(table(&ec2, &other).await.1.is_empty());
        env.assert_no_changes().await;
        ec2.delete_route_table()
            .route_table_id(&other)
            .send()
            .await
            .unwrap();
        env.destroy().await;
    });
}

fn eip_spec(interface: Option<&str>, team: &str) -> String {
    let interface = interface
        .map(|i| format!("network-interface-id \"{i}\""))
        .unwrap_or_default();
    format!(
        r#"stack net {{
    ec2.vpc vpc {{
        cidr-block "10.0.0.0/22"
    }}
    ec2.subnet sub {{
        vpc-id (ref)"vpc.id"
        cidr-block "10.0.0.0/26"
    }}
    ec2.elastic-ip ip {{
        {interface}
        tags Name=ip Team={team}
    }}
}}
"#
    )
}

async fn address(ec2: &aws_sdk_ec2::Client, id: &str) -> aws_sdk_ec2::types::Address {
    ec2.describe_addresses()
        .allocation_ids(id)
        .send()
        .await
        .unwrap()
        .addresses()[0]
        .clone()
}

#[test]
fn elastic_ip_lifecycle() {
    run(async {
        let env = Env::new();
        let ec2 = env.aws.ec2().await.unwrap();

        // create → read, unassociated
        env.write(&eip_spec(None, "web"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "net.ip", Action::Create);
        let id = env.id("net.ip");
        assert!(id.starts_with("eipalloc-"), "{id}");
        let found = address(&ec2, &id).await;
        assert_eq!(env.attr("net.ip", "public-ip").as_str(), found.public_ip());
        assert!(has_tag(found.tags(), "Team", "web"));
        assert_eq!(
            env.attr("net.ip", "arn"),
            Value::from(format!("arn:aws:ec2:eu-west-3:123456789012:elastic-ip/{id}").as_str())
        );
        env.assert_no_changes().await;

        // a tag changed outside strata is drift, and apply converges
        ec2.create_tags()
            .resources(&id)
            .tags(tag("Team", "ops"))
            .send()
            .await
            .unwrap();
        let plan = env.assert_drift("net.ip", "tags").await;
        Env::assert_action(&plan, "net.ip", Action::Update);
        env.apply().await;
        assert!(has_tag(address(&ec2, &id).await.tags(), "Team", "web"));
        env.assert_no_changes().await;

        // associating it with a network interface is an update in place
        let subnet = env.id("net.sub");
        let eni = ec2
            .create_network_interface()
            .subnet_id(&subnet)
            .send()
            .await
            .unwrap()
            .network_interface()
            .unwrap()
            .network_interface_id()
            .unwrap()
            .to_owned();
        env.write(&eip_spec(Some(&eni), "data"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "net.ip", Action::Update);
        assert_eq!(env.id("net.ip"), id);
        let found = address(&ec2, &id).await;
        assert_eq!(found.network_interface_id(), Some(eni.as_str()));
        assert!(has_tag(found.tags(), "Team", "data"));
        assert!(
            env.attr("net.ip", "association-id")
                .as_str()
                .unwrap()
                .starts_with("eipassoc-")
        );
        env.assert_no_changes().await;

        // disassociated outside strata: drift, and apply associates it again
        ec2.disassociate_address()
            .association_id(found.association_id().unwrap())
            .send()
            .await
            .unwrap();
        env.assert_drift("net.ip", "network-interface-id").await;
        env.apply().await;
        assert_eq!(
            address(&ec2, &id).await.network_interface_id(),
            Some(eni.as_str())
        );
        env.assert_no_changes().await;

        // `domain` is the only force-new attribute and `vpc` its only value (EC2-Classic
        // addresses are gone): the replacement path is taken with --replace, and the new
        // address takes over the association.
        let (plan, _) = env.apply_replacing("net.ip").await;
        Env::assert_action(&plan, "net.ip", Action::Replace);
        let old = id;
        let id = env.id("net.ip");
        assert_ne!(id, old);
        assert!(
            ec2.describe_addresses()
                .allocation_ids(&old)
                .send()
                .await
                .map_or(true, |o| o.addresses().is_empty()),
            "the replaced address remains"
        );
        assert_eq!(
            address(&ec2, &id).await.network_interface_id(),
            Some(eni.as_str())
        );
        env.assert_no_changes().await;

        // destroy → gone: the association is removed, the address released
        env.write(&eip_spec(None, "data"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "net.ip", Action::Update);
        // moto: an unassociated address reads NetworkInterfaceId "" (AWS leaves it out);
        // both read as no association.
        assert!(
            address(&ec2, &id)
                .await
                .network_interface_id()
                .is_none_or(str::is_empty)
        );
        ec2.delete_network_interface()
            .network_interface_id(&eni)
            .send()
            .await
            .unwrap();
        env.destroy().await;
        assert!(
            ec2.describe_addresses()
                .allocation_ids(&id)
                .send()
                .await
                .is_err(),
            "the address remains"
        );
        assert!(env.state().resources.is_empty());
    });
}

fn nat_spec(public: bool, team: &str) -> String {
    let gateway = if public {
        "allocation-id (ref)\"ip.id\"".to_owned()
    } else {
        "connectivity-type private".to_owned()
    };
    format!(
        r#"stack net {{
    ec2.vpc vpc {{
        cidr-block "10.0.0.0/22"
    }}
    ec2.internet-gateway igw {{
        vpc-id (ref)"vpc.id"
    }}
    ec2.subnet public {{
        vpc-id (ref)"vpc.id"
        cidr-block "10.0.0.0/26"
        map-public-ip-on-launch #true
    }}
    ec2.route-table rt {{
        vpc-id (ref)"vpc.id"
        route "0.0.0.0/0" gateway-id=(ref)"igw.id"
        subnet-ids (ref)"public.id"
    }}
    ec2.elastic-ip ip {{
        tags Name=nat
    }}
    ec2.nat-gateway nat {{
        subnet-id (ref)"public.id"
        {gateway}
        tags Name=nat Team={team}
        depends-on igw
    }}
}}
"#
    )
}

async fn nat_state(ec2: &aws_sdk_ec2::Client, id: &str) -> Option<String> {
    let out = ec2.describe_nat_gateways().nat_gateway_ids(id).send().await;
    out.ok()
        .and_then(|o| o.nat_gateways().first().cloned())
        .and_then(|g| g.state().map(|s| s.as_str().to_owned()))
}

#[test]
fn nat_gateway_lifecycle() {
    run(async {
        let env = Env::new();
        let ec2 = env.aws.ec2().await.unwrap();

        // create → read: available, with the Elastic IP
        env.write(&nat_spec(true, "web"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "net.nat", Action::Create);
        let id = env.id("net.nat");
        assert!(id.starts_with("nat-"), "{id}");
        // moto: a NAT gateway is `available` at once; AWS: `pending` for minutes (create
        // waits for `available`).
        assert_eq!(nat_state(&ec2, &id).await.as_deref(), Some("available"));
        let gateway = ec2
            .describe_nat_gateways()
            .nat_gateway_ids(&id)
            .send()
            .await
            .unwrap()
            .nat_gateways()[0]
            .clone();
        assert_eq!(gateway.subnet_id(), Some(env.id("net.public").as_str()));
        assert_eq!(
            gateway.nat_gateway_addresses()[0].allocation_id(),
            Some(env.id("net.ip").as_str())
        );
        assert_eq!(
            env.attr("net.nat", "public-ip"),
            env.attr("net.ip", "public-ip")
        );
        assert_eq!(
            env.attr("net.nat", "connectivity-type"),
            Value::from("public")
        );
        assert!(
            env.attr("net.nat", "network-interface-id")
                .as_str()
                .unwrap()
                .starts_with("eni-")
        );
        // the Elastic IP, now used by the gateway, shows no change either
        env.assert_no_changes().await;

        // a tag changed outside strata is drift, and apply converges
        ec2.create_tags()
            .resources(&id)
            .tags(tag("Team", "ops"))
            .send()
            .await
            .unwrap();
        let plan = env.assert_drift("net.nat", "tags").await;
        Env::assert_action(&plan, "net.nat", Action::Update);
        env.apply().await;
        env.assert_no_changes().await;

        // new tags are an update in place
        env.write(&nat_spec(true, "data"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "net.nat", Action::Update);
        assert_eq!(env.id("net.nat"), id);
        let tags = ec2
            .describe_nat_gateways()
            .nat_gateway_ids(&id)
            .send()
            .await
            .unwrap();
        assert!(has_tag(tags.nat_gateways()[0].tags(), "Team", "data"));
        env.assert_no_changes().await;

        // a private gateway (no Elastic IP) replaces the public one
        env.write(&nat_spec(false, "data"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "net.nat", Action::Replace);
        let new_id = env.id("net.nat");
        assert_ne!(new_id, id);
        // moto and AWS both keep listing a deleted gateway as `deleted` for a while.
        assert_eq!(nat_state(&ec2, &id).await.as_deref(), Some("deleted"));
        assert_eq!(
            env.attr("net.nat", "connectivity-type"),
            Value::from("private")
        );
        env.assert_no_changes().await;

        // destroy → gone
        env.destroy().await;
        let state = nat_state(&ec2, &new_id).await;
        assert!(
            state.is_none() || state.as_deref() == Some("deleted"),
            "the gateway remains: {state:?}"
        );
        assert!(env.state().resources.is_empty());
    });
}

#[test]
fn a_deleted_nat_gateway_reads_as_gone() {
    run(async {
        let env = Env::new();
        let ec2 = env.aws.ec2().await.unwrap();
        env.write(&nat_spec(false, "web"));
        env.apply().await;
        let id = env.id("net.nat");
        ec2.delete_nat_gateway()
            .nat_gateway_id(&id)
            .send()
            .await
            .unwrap();
        let read = env
            .registry()
            .resource("ec2.nat-gateway")
            .unwrap()
            .read(&id, &Attrs::new())
            .await
            .unwrap();
        assert!(read.is_none(), "a deleted gateway is gone: {read:?}");
        let plan = env.plan().await;
        Env::assert_action(&plan, "net.nat", Action::Create);
    });
}
