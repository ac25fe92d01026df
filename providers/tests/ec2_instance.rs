//! `ec2.instance` and `lookup ec2.ami` against the emulator.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;

use aws_sdk_ec2::types::{AttributeValue, InstanceStateName, Tag};
use strata_engine::Value;
use strata_engine::plan::Action;
use strata_engine::provider::Attrs;
use support::{Env, run};

/// Creates an IAM instance profile in the emulator (the crate has no IAM client): an
/// IAM query call with a SigV4-shaped Authorization header, which moto routes by its
/// credential scope and does not verify.
fn instance_profile(env: &Env, name: &str) {
    let port = env
        .endpoint
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    let body =
        format!("Action=CreateInstanceProfile&InstanceProfileName={name}&Version=2010-05-08");
    let request = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 200"),
        "CreateInstanceProfile failed: {response}"
    );
}

/// A default subnet of the region's default VPC.
async fn default_subnet(ec2: &aws_sdk_ec2::Client) -> String {
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
    let mut ids: Vec<String> = out
        .subnets()
        .iter()
        .filter_map(|s| s.subnet_id().map(str::to_owned))
        .collect();
    ids.sort();
    ids.remove(0)
}

/// Two images of our own, `app-1` then `app-2` (newer), made from a throwaway instance.
async fn images(ec2: &aws_sdk_ec2::Client) -> (String, String) {
    let base = ec2
        .describe_images()
        .owners("amazon")
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("name")
                .values("amzn2-ami-hvm-*")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let base = base.images()[0].image_id().unwrap().to_owned();
    let seed = ec2
        .run_instances()
        .image_id(&base)
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .unwrap();
    let seed = seed.instances()[0].instance_id().unwrap().to_owned();
    let first = ec2
        .create_image()
        .instance_id(&seed)
        .name("app-1")
        .send()
        .await
        .unwrap()
        .image_id()
        .unwrap()
        .to_owned();
    // Creation dates have a one-second resolution.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let second = ec2
        .create_image()
        .instance_id(&seed)
        .name("app-2")
        .send()
        .await
        .unwrap()
        .image_id()
        .unwrap()
        .to_owned();
    ec2.terminate_instances()
        .instance_ids(&seed)
        .send()
        .await
        .unwrap();
    (first, second)
}

fn spec(subnet: &str, ami: &str, ty: &str, profile: &str, group: &str, script: &str) -> String {
    format!(
        r#"stack web {{
    lookup ec2.ami app {{
        owners self
        name-filter "app-*"
        most-recent #true
        filter architecture {{
            values x86_64
        }}
    }}

    ec2.security-group web-sg {{
        name web-sg
        ingress tcp from-port=80 to-port=80 {{
            cidr-blocks "0.0.0.0/0"
        }}
    }}

    ec2.security-group admin {{
        name admin-sg
    }}

    ec2.instance web {{
        ami {ami}
        instance-type {ty}
        subnet-id "{subnet}"
        security-group-ids (ref)"{group}.id"
        user-data "{script}"
        iam-instance-profile {profile}
        tags Name=web
    }}
}}
"#
    )
}

async fn instance(ec2: &aws_sdk_ec2::Client, id: &str) -> Option<aws_sdk_ec2::types::Instance> {
    let out = ec2
        .describe_instances()
        .instance_ids(id)
        .send()
        .await
        .ok()?;
    out.reservations()
        .first()
        .and_then(|r| r.instances().first())
        .cloned()
}

fn state(i: &aws_sdk_ec2::types::Instance) -> InstanceStateName {
    i.state().and_then(|s| s.name()).cloned().unwrap()
}

#[test]
fn instance_lifecycle() {
    run(async {
        let env = Env::new();
        let ec2 = env.aws.ec2().await.unwrap();
        instance_profile(&env, "web-profile");
        instance_profile(&env, "web-profile-2");
        let subnet = default_subnet(&ec2).await;
        let (old_image, new_image) = images(&ec2).await;
        let script = r"#!/bin/sh\necho hello\n";
        let from_lookup = r#"(ref)"app.id""#;

        // create → read: the AMI from the lookup (the newest of our images)
        env.write(&spec(
            &subnet,
            from_lookup,
            "t3.micro",
            "web-profile",
            "web-sg",
            script,
        ));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "web.web", Action::Create);
        let id = env.id("web.web");
        assert!(id.starts_with("i-"), "{id}");
        assert_eq!(env.attr("web.app", "id"), Value::from(new_image.as_str()));
        let vm = instance(&ec2, &id).await.unwrap();
        assert_eq!(state(&vm), InstanceStateName::Running);
        assert_eq!(vm.image_id(), Some(new_image.as_str()));
        assert_eq!(vm.instance_type().map(|t| t.as_str()), Some("t3.micro"));
        assert_eq!(vm.subnet_id(), Some(subnet.as_str()));
        let web_sg = env.id("web.web-sg");
        assert_eq!(
            vm.security_groups()
                .iter()
                .filter_map(|g| g.group_id())
                .collect::<Vec<_>>(),
            [web_sg.as_str()]
        );
        assert!(
            vm.iam_instance_profile()
                .and_then(|p| p.arn())
                .unwrap()
                .ends_with("instance-profile/web-profile")
        );
        let user_data = ec2
            .describe_instance_attribute()
            .instance_id(&id)
            .attribute(aws_sdk_ec2::types::InstanceAttributeName::UserData)
            .send()
            .await
            .unwrap();
        let decoded = aws_smithy_types::base64::decode(
            user_data.user_data().and_then(|u| u.value()).unwrap(),
        )
        .unwrap();
        assert_eq!(decoded, b"#!/bin/sh\necho hello\n");
        assert_eq!(
            env.attr("web.web", "user-data"),
            Value::from("#!/bin/sh\necho hello\n")
        );
        assert_eq!(env.attr("web.web", "state"), Value::from("running"));
        assert!(
            env.attr("web.web", "arn")
                .as_str()
                .unwrap()
                .ends_with(&format!(":instance/{id}"))
        );

        // apply-then-plan is empty
        env.assert_no_changes().await;

        // changes outside strata are drift: a tag, the security groups
        let admin_sg = env.id("web.admin");
        ec2.create_tags()
            .resources(&id)
            .tags(Tag::builder().key("Name").value("renamed").build())
            .send()
            .await
            .unwrap();
        ec2.modify_instance_attribute()
            .instance_id(&id)
            .groups(&admin_sg)
            .send()
            .await
            .unwrap();
        let plan = env.assert_drift("web.web", "tags").await;
        assert!(
            plan.drift[0]
                .attributes
                .iter()
                .any(|a| a.name == "security-group-ids")
        );
        Env::assert_action(&plan, "web.web", Action::Update);
        env.apply().await;
        env.assert_no_changes().await;
        let vm = instance(&ec2, &id).await.unwrap();
        assert_eq!(vm.security_groups()[0].group_id(), Some(web_sg.as_str()));
        assert!(
            vm.tags()
                .iter()
                .any(|t| t.key() == Some("Name") && t.value() == Some("web"))
        );

        // an update in place: the type (stop, modify, start), the groups, the profile
        env.write(&spec(
            &subnet,
            from_lookup,
            "t3.small",
            "web-profile-2",
            "admin",
            script,
        ));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "web.web", Action::Update);
        assert_eq!(env.id("web.web"), id);
        let vm = instance(&ec2, &id).await.unwrap();
        assert_eq!(state(&vm), InstanceStateName::Running);
        assert_eq!(vm.instance_type().map(|t| t.as_str()), Some("t3.small"));
        assert_eq!(vm.security_groups()[0].group_id(), Some(admin_sg.as_str()));
        let associations = ec2
            .describe_iam_instance_profile_associations()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("instance-id")
                    .values(&id)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        assert!(
            associations.iam_instance_profile_associations()[0]
                .iam_instance_profile()
                .and_then(|p| p.arn())
                .unwrap()
                .ends_with("instance-profile/web-profile-2")
        );
        // moto: ReplaceIamInstanceProfileAssociation changes the association but not the
        // profile DescribeInstances shows; AWS: both show the new profile. strata reads
        // the association.
        assert!(
            vm.iam_instance_profile()
                .and_then(|p| p.arn())
                .unwrap()
                .ends_with("instance-profile/web-profile")
        );
        assert_eq!(
            env.attr("web.web", "iam-instance-profile"),
            Value::from("web-profile-2")
        );
        env.assert_no_changes().await;

        // a new AMI forces a replacement: the old instance is terminated
        env.write(&spec(
            &subnet,
            &old_image,
            "t3.small",
            "web-profile-2",
            "admin",
            script,
        ));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "web.web", Action::Replace);
        let new_id = env.id("web.web");
        assert_ne!(new_id, id);
        let old = instance(&ec2, &id).await;
        assert!(
            old.is_none_or(|i| state(&i) == InstanceStateName::Terminated),
            "the old instance still runs"
        );
        assert_eq!(
            instance(&ec2, &new_id).await.unwrap().image_id(),
            Some(old_image.as_str())
        );
        env.assert_no_changes().await;

        // new user data forces a replacement too (it only runs at first boot)
        env.write(&spec(
            &subnet,
            &old_image,
            "t3.small",
            "web-profile-2",
            "admin",
            r"#!/bin/sh\necho bye\n",
        ));
        let plan = env.plan().await;
        Env::assert_action(&plan, "web.web", Action::Replace);

        // destroy → gone (terminated)
        env.destroy().await;
        let gone = instance(&ec2, &new_id).await;
        assert!(
            gone.is_none_or(|i| state(&i) == InstanceStateName::Terminated),
            "the instance still runs"
        );
        assert!(env.state().resources.is_empty());
    });
}

#[test]
fn an_instance_terminated_outside_strata_is_planned_again() {
    run(async {
        let env = Env::new();
        let ec2 = env.aws.ec2().await.unwrap();
        instance_profile(&env, "web-profile");
        let subnet = default_subnet(&ec2).await;
        let _ = images(&ec2).await;
        env.write(&spec(
            &subnet,
            r#"(ref)"app.id""#,
            "t3.micro",
            "web-profile",
            "web-sg",
            "echo hi",
        ));
        env.apply().await;
        let id = env.id("web.web");
        ec2.terminate_instances()
            .instance_ids(&id)
            .send()
            .await
            .unwrap();
        let plan = env.plan().await;
        Env::assert_action(&plan, "web.web", Action::Create);
        // The type can also change outside strata, which is drift.
        env.apply().await;
        let id = env.id("web.web");
        ec2.stop_instances().instance_ids(&id).send().await.unwrap();
        ec2.modify_instance_attribute()
            .instance_id(&id)
            .instance_type(AttributeValue::builder().value("t3.large").build())
            .send()
            .await
            .unwrap();
        ec2.start_instances()
            .instance_ids(&id)
            .send()
            .await
            .unwrap();
        env.assert_drift("web.web", "instance-type").await;
        env.apply().await;
        env.assert_no_changes().await;
    });
}

fn filters(pairs: &[(&str, Value)]) -> Attrs {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

#[test]
fn ami_lookup_selects_by_owner_name_and_filters() {
    run(async {
        let env = Env::new();
        let ec2 = env.aws.ec2().await.unwrap();
        let (first, second) = images(&ec2).await;
        let registry = env.registry();
        let ami = registry.lookup("ec2.ami").unwrap();
        let owners = || Value::List(vec![Value::from("self")]);

        // most-recent picks the newest of several matches
        let found = ami
            .read(&filters(&[
                ("owners", owners()),
                ("name-filter", "app-*".into()),
                ("most-recent", Value::Bool(true)),
            ]))
            .await
            .unwrap();
        assert_eq!(found.id, second);
        assert_eq!(found.attributes.get("name"), Some(&Value::from("app-2")));
        assert_eq!(
            found.attributes.get("owner-id"),
            Some(&Value::from("123456789012"))
        );
        assert_eq!(
            found.attributes.get("architecture"),
            Some(&Value::from("x86_64"))
        );

        // an exact name selects one
        let found = ami
            .read(&filters(&[
                ("owners", owners()),
                ("name-filter", "app-1".into()),
                ("most-recent", Value::Bool(false)),
            ]))
            .await
            .unwrap();
        assert_eq!(found.id, first);

        // a raw filter block narrows the search too
        let filter = Value::List(vec![Value::Map(filters(&[
            ("name", "image-id".into()),
            ("values", Value::List(vec![Value::from(first.as_str())])),
        ]))]);
        let found = ami
            .read(&filters(&[
                ("owners", owners()),
                ("filter", filter),
                ("most-recent", Value::Bool(false)),
            ]))
            .await
            .unwrap();
        assert_eq!(found.id, first);

        // several matches without most-recent: an error saying so
        let err = ami
            .read(&filters(&[
                ("owners", owners()),
                ("name-filter", "app-*".into()),
                ("most-recent", Value::Bool(false)),
            ]))
            .await
            .unwrap_err();
        assert!(err.message.contains("2 AMIs match"), "{err}");
        assert!(err.message.contains("most-recent"), "{err}");

        // nothing matches: a clear error naming the search
        let err = ami
            .read(&filters(&[
                ("owners", owners()),
                ("name-filter", "nothing-*".into()),
                ("most-recent", Value::Bool(true)),
            ]))
            .await
            .unwrap_err();
        assert!(
            err.message.contains("no AMI matches") && err.message.contains("nothing-*"),
            "{err}"
        );

        // no search criteria at all is refused before any call
        let err = ami
            .read(&filters(&[("most-recent", Value::Bool(true))]))
            .await
            .unwrap_err();
        assert!(err.message.contains("needs `owners`"), "{err}");
    });
}
