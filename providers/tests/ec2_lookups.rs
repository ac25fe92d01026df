//! The EC2 networking lookups against the emulator: `ec2.vpc`, `ec2.availability-zones`
//! and `ec2.subnets`, through a spec (what a resource referencing them gets) and called
//! directly (what each filter selects, and the error when nothing matches).

mod support;

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, ResourceType as Kind, Tag, TagSpecification};
use strata_engine::Value;
use strata_engine::provider::{Attrs, ErrorKind};
use support::{Env, run};

fn attrs(pairs: &[(&str, Value)]) -> Attrs {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn tags(pairs: &[(&str, &str)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn tagged(kind: Kind, pairs: &[(&str, &str)]) -> TagSpecification {
    let mut spec = TagSpecification::builder().resource_type(kind);
    for (k, v) in pairs {
        spec = spec.tags(Tag::builder().key(*k).value(*v).build());
    }
    spec.build()
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::List(items) => items
            .iter()
            .map(|i| i.as_str().unwrap().to_owned())
            .collect(),
        other => panic!("not a list: {other:?}"),
    }
}

async fn vpc(ec2: &aws_sdk_ec2::Client, cidr: &str, pairs: &[(&str, &str)]) -> String {
    ec2.create_vpc()
        .cidr_block(cidr)
        .tag_specifications(tagged(Kind::Vpc, pairs))
        .send()
        .await
        .unwrap()
        .vpc()
        .unwrap()
        .vpc_id()
        .unwrap()
        .to_owned()
}

async fn subnet(
    ec2: &aws_sdk_ec2::Client,
    vpc: &str,
    cidr: &str,
    zone: &str,
    pairs: &[(&str, &str)],
) -> String {
    ec2.create_subnet()
        .vpc_id(vpc)
        .cidr_block(cidr)
        .availability_zone(zone)
        .tag_specifications(tagged(Kind::Subnet, pairs))
        .send()
        .await
        .unwrap()
        .subnet()
        .unwrap()
        .subnet_id()
        .unwrap()
        .to_owned()
}

async fn default_vpc(ec2: &aws_sdk_ec2::Client) -> String {
    ec2.describe_vpcs()
        .filters(Filter::builder().name("is-default").values("true").build())
        .send()
        .await
        .unwrap()
        .vpcs()[0]
        .vpc_id()
        .unwrap()
        .to_owned()
}

#[test]
fn lookups_feed_resources_in_a_spec() {
    run(async {
        let env = Env::new();
        let ec2 = env.aws.ec2().await.unwrap();
        let default = default_vpc(&ec2).await;
        env.write(
            r#"stack net {
    lookup ec2.vpc default {
        default #true
    }
    lookup ec2.availability-zones zones {
    }
    lookup ec2.subnets defaults {
        vpc-id (ref)"default.id"
        filter default-for-az {
            values "true"
        }
    }
    ec2.subnet extra {
        vpc-id (ref)"default.id"
        cidr-block "172.31.128.0/24"
    }
    output zones (ref)"zones.names"
    output default-subnets (ref)"defaults.ids"
}
"#,
        );
        env.apply().await;
        let id = env.id("net.extra");
        let found = ec2.describe_subnets().subnet_ids(&id).send().await.unwrap();
        // the subnet landed in the region's default VPC
        assert_eq!(found.subnets()[0].vpc_id(), Some(default.as_str()));
        assert_eq!(env.id("net.default"), default);
        assert_eq!(
            env.attr("net.default", "cidr-block"),
            Value::from("172.31.0.0/16")
        );
        assert!(
            env.attr("net.default", "main-route-table-id")
                .as_str()
                .unwrap()
                .starts_with("rtb-")
        );
        // moto: three zones per region, all `available` (AWS: as many as the region has)
        assert_eq!(
            strings(&env.attr("net.zones", "names")),
            vec!["eu-west-3a", "eu-west-3b", "eu-west-3c"]
        );
        assert_eq!(
            strings(&env.attr("net.zones", "zone-ids")),
            vec!["euw3-az1", "euw3-az2", "euw3-az3"]
        );
        // the default VPC has one default subnet per zone (moto as AWS); `extra` is not
        // one of them
        assert_eq!(strings(&env.attr("net.defaults", "ids")).len(), 3);
        env.assert_no_changes().await;
        env.destroy().await;
        assert!(ec2.describe_subnets().subnet_ids(&id).send().await.is_err());
        // the looked-up VPC is never touched
        assert_eq!(
            ec2.describe_vpcs()
                .vpc_ids(&default)
                .send()
                .await
                .unwrap()
                .vpcs()
                .len(),
            1
        );
    });
}

#[test]
fn the_vpc_lookup_selects_by_id_cidr_tags_and_filters() {
    run(async {
        let env = Env::new();
        let ec2 = env.aws.ec2().await.unwrap();
        let registry = env.registry();
        let lookup = registry.lookup("ec2.vpc").unwrap();
        let web = vpc(&ec2, "10.10.0.0/16", &[("Team", "web"), ("Env", "dev")]).await;
        let data = vpc(&ec2, "10.20.0.0/16", &[("Team", "data"), ("Env", "dev")]).await;

        let by_id = lookup
            .read(&attrs(&[("id", Value::from(web.as_str()))]))
            .await
            .unwrap();
        assert_eq!(by_id.id, web);
        assert_eq!(
            by_id.attributes.get("cidr-block"),
            Some(&Value::from("10.10.0.0/16"))
        );
        assert_eq!(by_id.attributes.get("default"), Some(&Value::Bool(false)));
        assert_eq!(
            by_id.attributes.get("tags"),
            Some(&tags(&[("Env", "dev"), ("Team", "web")]))
        );
        assert_eq!(
            by_id.attributes.get("arn"),
            Some(&Value::from(
                format!("arn:aws:ec2:eu-west-3:123456789012:vpc/{web}").as_str()
            ))
        );

        let by_cidr = lookup
            .read(&attrs(&[("cidr-block", Value::from("10.20.0.0/16"))]))
            .await
            .unwrap();
        assert_eq!(by_cidr.id, data);

        // tags are a subset match
        let by_tags = lookup
            .read(&attrs(&[("tags", tags(&[("Team", "data")]))]))
            .await
            .unwrap();
        assert_eq!(by_tags.id, data);

        let by_filter = lookup
            .read(&attrs(&[(
                "filter",
                Value::List(vec![Value::Map(attrs(&[
                    ("name", Value::from("tag:Team")),
                    ("values", Value::List(vec![Value::from("web")])),
                ]))]),
            )]))
            .await
            .unwrap();
        assert_eq!(by_filter.id, web);

        let default = lookup
            .read(&attrs(&[("default", Value::Bool(true))]))
            .await
            .unwrap();
        assert_eq!(default.id, default_vpc(&ec2).await);

        // several matches: an error naming them
        let several = lookup
            .read(&attrs(&[("tags", tags(&[("Env", "dev")]))]))
            .await
            .unwrap_err();
        assert!(several.message.contains("2 VPCs match"), "{several}");
        assert!(several.message.contains(&web) && several.message.contains(&data));

        // nothing matches: a clear error naming the filters
        let none = lookup
            .read(&attrs(&[("tags", tags(&[("Team", "nobody")]))]))
            .await
            .unwrap_err();
        assert_eq!(none.kind, ErrorKind::NotFound);
        assert_eq!(none.message, "no VPC matches (tags={Team=nobody})");
        let unknown = lookup
            .read(&attrs(&[("id", Value::from("vpc-0123456789abcdef0"))]))
            .await
            .unwrap_err();
        assert_eq!(unknown.kind, ErrorKind::NotFound);
        assert!(
            unknown
                .message
                .starts_with("no VPC matches (id=vpc-0123456789abcdef0)"),
            "{unknown}"
        );
    });
}

#[test]
fn a_vpc_lookup_matching_nothing_fails_the_plan_clearly() {
    run(async {
        let env = Env::new();
        env.write(
            r#"stack net {
    lookup ec2.vpc shared {
        tags Name=shared
    }
    ec2.subnet sub {
        vpc-id (ref)"shared.id"
        cidr-block "10.0.0.0/24"
    }
}
"#,
        );
        let plan = env.plan().await;
        let read = plan
            .change("net.shared")
            .expect("the lookup is in the plan");
        assert_eq!(
            read.refresh_error.as_deref(),
            Some("no VPC matches (tags={Name=shared})")
        );
        // nothing can be created on top of it
        let outcome = env.try_apply().await;
        let (_, report) = outcome.expect("the apply ran");
        assert!(!report.is_success());
        assert!(!env.state().resources.contains_key("net.sub"));
    });
}

#[test]
fn the_subnets_lookup_selects_by_vpc_zone_tags_and_filters() {
    run(async {
        let env = Env::new();
        let ec2 = env.aws.ec2().await.unwrap();
        let registry = env.registry();
        let lookup = registry.lookup("ec2.subnets").unwrap();
        let main = vpc(&ec2, "10.30.0.0/16", &[]).await;
        let other = vpc(&ec2, "10.40.0.0/16", &[]).await;
        let private_a = subnet(
            &ec2,
            &main,
            "10.30.0.0/24",
            "eu-west-3a",
            &[("Tier", "private")],
        )
        .await;
        let private_b = subnet(
            &ec2,
            &main,
            "10.30.1.0/24",
            "eu-west-3b",
            &[("Tier", "private")],
        )
        .await;
        let public_a = subnet(
            &ec2,
            &main,
            "10.30.2.0/24",
            "eu-west-3a",
            &[("Tier", "public")],
        )
        .await;
        let elsewhere = subnet(
            &ec2,
            &other,
            "10.40.0.0/24",
            "eu-west-3a",
            &[("Tier", "private")],
        )
        .await;
        let ids = |found: &strata_engine::provider::Observed| {
            strings(found.attributes.get("ids").unwrap())
        };
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v
        };

        let in_vpc = lookup
            .read(&attrs(&[("vpc-id", Value::from(main.as_str()))]))
            .await
            .unwrap();
        assert_eq!(
            ids(&in_vpc),
            sorted(vec![private_a.clone(), private_b.clone(), public_a.clone()])
        );

        let private = lookup
            .read(&attrs(&[
                ("vpc-id", Value::from(main.as_str())),
                ("tags", tags(&[("Tier", "private")])),
            ]))
            .await
            .unwrap();
        assert_eq!(
            ids(&private),
            sorted(vec![private_a.clone(), private_b.clone()])
        );
        assert_eq!(
            private.id,
            sorted(vec![private_a.clone(), private_b.clone()]).join(",")
        );

        let in_zone = lookup
            .read(&attrs(&[
                ("vpc-id", Value::from(main.as_str())),
                ("availability-zone", Value::from("eu-west-3a")),
            ]))
            .await
            .unwrap();
        assert_eq!(
            ids(&in_zone),
            sorted(vec![private_a.clone(), public_a.clone()])
        );

        let everywhere = lookup
            .read(&attrs(&[(
                "filter",
                Value::List(vec![Value::Map(attrs(&[
                    ("name", Value::from("tag:Tier")),
                    ("values", Value::List(vec![Value::from("private")])),
                ]))]),
            )]))
            .await
            .unwrap();
        assert_eq!(
            ids(&everywhere),
            sorted(vec![
                private_a.clone(),
                private_b.clone(),
                elsewhere.clone()
            ])
        );

        // none found is an empty list (documented), not an error
        let none = lookup
            .read(&attrs(&[
                ("vpc-id", Value::from(other.as_str())),
                ("tags", tags(&[("Tier", "public")])),
            ]))
            .await
            .unwrap();
        assert!(ids(&none).is_empty());
        assert_eq!(none.id, "none");
    });
}

#[test]
fn the_availability_zones_lookup_filters_by_state() {
    run(async {
        let env = Env::new();
        let registry = env.registry();
        let lookup = registry.lookup("ec2.availability-zones").unwrap();
        let available = lookup
            .read(&attrs(&[("state", Value::from("available"))]))
            .await
            .unwrap();
        assert_eq!(available.id, "eu-west-3");
        assert_eq!(
            strings(available.attributes.get("names").unwrap()),
            vec!["eu-west-3a", "eu-west-3b", "eu-west-3c"]
        );
        // moto: every zone is `available`, so no zone is `impaired`; the lookup then
        // fails, naming the region and the state
        let impaired = lookup
            .read(&attrs(&[("state", Value::from("impaired"))]))
            .await
            .unwrap_err();
        assert_eq!(impaired.kind, ErrorKind::NotFound);
        assert_eq!(
            impaired.message,
            "no availability zone of eu-west-3 is in state impaired"
        );
    });
}
