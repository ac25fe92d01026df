//! Interrupted creates, for every resource type against the emulator: what a `create`
//! marked with a [`CreateToken`] made is what `find` with that token answers (the same
//! id, exactly as `read` has it), and `find` answers nothing for a create that never
//! happened (a fresh token; for the types the spec names, a name nobody used).
//!
//! One spec holds a resource of every registered type. It is applied through the
//! workflow, so that the state holds each resource's inputs exactly as the engine hands
//! them to `create` (and, for an interrupted create, to `find`); everything is then
//! destroyed and created again type by type, in dependency order, with tokens of the
//! test's own, the ids of what was made before replacing the old ones in the inputs.
//!
//! The EC2 token tag is checked on the cloud's side too (DescribeTags), and never in
//! what strata reads: the plan after apply, and after a tag change, stays empty.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::Filter;
use strata_engine::Value;
use strata_engine::plan::Action;
use strata_engine::provider::{Attrs, CreateToken, Observed};
use strata_engine::state::{PendingCreate, StoredValue};
use support::{Env, run};

/// How `find` recognises what a create made.
#[derive(Debug, Clone, Copy)]
enum Mark {
    /// The EC2 tag `strata:create-token`, given in the create call.
    Tag,
    /// CloudFront's caller reference.
    CallerReference,
    /// Secrets Manager: the id of the secret's first version (found by name and token).
    FirstVersion,
    /// The spec names it: these attributes, set to names nobody used, find nothing.
    Name(&'static [&'static str]),
}

/// Every resource of [`SPEC`] in dependency order, with how its type is found.
const CASES: &[(&str, Mark)] = &[
    ("all.vpc", Mark::Tag),
    ("all.public", Mark::Tag),
    ("all.private", Mark::Tag),
    ("all.igw", Mark::Tag),
    ("all.rt", Mark::Tag),
    ("all.app", Mark::Tag),
    ("all.db", Mark::Tag),
    ("all.db-from-app", Mark::Tag),
    ("all.app-out", Mark::Tag),
    ("all.ip", Mark::Tag),
    ("all.nat", Mark::Tag),
    ("all.web", Mark::Tag),
    ("all.db-subnets", Mark::Name(&["name"])),
    ("all.database", Mark::Name(&["identifier"])),
    ("all.site", Mark::Name(&["bucket"])),
    ("all.index", Mark::Name(&["key"])),
    ("all.oac", Mark::Name(&["name"])),
    ("all.cdn", Mark::CallerReference),
    ("all.site-policy", Mark::Name(&["bucket"])),
    ("all.secret", Mark::FirstVersion),
];

const SPEC: &str = r#"stack all {
    ec2.vpc vpc {
        cidr-block "10.0.0.0/22"
        tags Name=vpc Team=a
    }
    ec2.subnet public {
        vpc-id (ref)"vpc.id"
        cidr-block "10.0.0.0/26"
        availability-zone "eu-west-3a"
        tags Team=a
    }
    ec2.subnet private {
        vpc-id (ref)"vpc.id"
        cidr-block "10.0.0.64/26"
        availability-zone "eu-west-3b"
    }
    ec2.internet-gateway igw {
        vpc-id (ref)"vpc.id"
        tags Team=a
    }
    ec2.route-table rt {
        vpc-id (ref)"vpc.id"
        route "0.0.0.0/0" gateway-id=(ref)"igw.id"
        subnet-ids (ref)"public.id"
        tags Team=a
    }
    ec2.security-group app {
        name "app"
        vpc-id (ref)"vpc.id"
        tags Team=a
    }
    ec2.security-group db {
        name "db"
        vpc-id (ref)"vpc.id"
    }
    ec2.security-group-ingress db-from-app {
        security-group-id (ref)"db.id"
        protocol tcp
        from-port 5432
        to-port 5432
        source-security-group-id (ref)"app.id"
        description "the application to the database"
    }
    ec2.security-group-egress app-out {
        security-group-id (ref)"app.id"
        protocol tcp
        from-port 443
        to-port 443
        cidr-blocks "10.1.0.0/16" "10.2.0.0/16"
    }
    ec2.elastic-ip ip {
        tags Team=a
    }
    ec2.nat-gateway nat {
        subnet-id (ref)"public.id"
        allocation-id (ref)"ip.id"
        tags Team=a
        depends-on igw
    }
    ec2.instance web {
        ami ami-0123456789abcdef0
        instance-type t3.micro
        subnet-id (ref)"public.id"
        security-group-ids (ref)"app.id"
        tags Team=a
    }
    rds.subnet-group db-subnets {
        name "token-db-subnets"
        subnet-ids (ref)"public.id" (ref)"private.id"
    }
    rds.instance database {
        identifier "token-db"
        engine postgres
        instance-class db.t3.micro
        allocated-storage 20
        username dbadmin
        manage-master-password #true
        db-subnet-group-name (ref)"db-subnets.name"
        vpc-security-group-ids (ref)"db.id"
        skip-final-snapshot #true
    }
    s3.bucket site {
        bucket "strata-token-site"
    }
    secretsmanager.secret secret {
        name "token-secret"
        generate length=24
        // Deleted at once, so that the name is free when the test creates it again.
        recovery-window-in-days 0
    }
    s3.object index {
        bucket (ref)"site.bucket"
        key "index.html"
        content "<h1>digidex</h1>"
    }
    cloudfront.origin-access-control oac {
        name "token-oac"
        origin-type s3
    }
    cloudfront.distribution cdn {
        origin site domain-name=(ref)"site.bucket-regional-domain-name" \
            origin-access-control-id=(ref)"oac.id" {
            s3-origin
        }
        default-cache-behavior target-origin-id=site viewer-protocol-policy=redirect-to-https
        tags Team=a
    }
    s3.bucket-policy site-policy {
        bucket (ref)"site.bucket"
        statement CloudFrontReads {
            actions "s3:GetObject"
            resources "${site.arn}/*"
            principal {
                service cloudfront.amazonaws.com
            }
            condition StringEquals variable="AWS:SourceArn" {
                values (ref)"cdn.arn"
            }
        }
    }
}
"#;

#[test]
fn every_type_finds_what_a_create_with_its_token_made() {
    run(async {
        let env = Env::new();
        let ec2 = env.aws.ec2().await.unwrap();
        let registry = env.registry();

        // Applied through the workflow: the EC2 resources carry a token tag, which
        // strata never reads back (the plan is empty) and a tag change leaves alone.
        env.write(SPEC);
        env.apply().await;
        env.assert_no_changes().await;
        let tagged: Vec<String> = CASES
            .iter()
            .filter(|(_, mark)| matches!(mark, Mark::Tag))
            .flat_map(|(address, _)| ids_of(&env.id(address)))
            .collect();
        let before = token_tags(&ec2, &tagged).await;
        assert_eq!(
            before.len(),
            tagged.len(),
            "every EC2 resource carries a token tag: {before:?}"
        );
        env.write(&SPEC.replace("Team=a", "Team=b"));
        let (plan, _) = env.apply().await;
        Env::assert_action(&plan, "all.vpc", Action::Update);
        Env::assert_action(&plan, "all.nat", Action::Update);
        env.assert_no_changes().await;
        assert_eq!(
            token_tags(&ec2, &tagged).await,
            before,
            "a tag change keeps the token tags"
        );

        // What the engine hands to create, per resource; then nothing is left.
        let state = env.state();
        let recorded: Vec<Recorded> = CASES
            .iter()
            .map(|(address, mark)| {
                let record = &state.resources[*address];
                let inputs: Attrs = record
                    .inputs
                    .iter()
                    .map(|(k, v)| {
                        let plain = v.as_plain().unwrap_or_else(|| {
                            panic!("{address}: input `{k}` is not plain; find would not get it")
                        });
                        (k.clone(), plain.clone())
                    })
                    .collect();
                Recorded {
                    address,
                    mark: *mark,
                    type_name: record.type_name.clone(),
                    id: record.id.clone(),
                    dependencies: record.dependencies.clone(),
                    inputs,
                }
            })
            .collect();
        let covered: BTreeSet<&str> = recorded.iter().map(|r| r.type_name.as_str()).collect();
        let registered: BTreeSet<&str> = registry.resource_names().into_iter().collect();
        assert_eq!(covered, registered, "every resource type is checked");
        env.destroy().await;

        // Created again with tokens of this test's own, each found by its token.
        let mut renamed: Vec<(String, String)> = Vec::new();
        let mut pending = BTreeMap::new();
        let mut made_ids = BTreeMap::new();
        for r in &recorded {
            let address = r.address;
            let ty = registry.resource(&r.type_name).unwrap();
            let desired = renaming(&r.inputs, &renamed);
            let token = CreateToken::new();
            let made = ty
                .create(&desired, &token)
                .await
                .unwrap_or_else(|e| panic!("{address}: the create failed: {e:?}"));
            no_token_tag(address, &made);
            if matches!(r.mark, Mark::Tag) {
                let ids = ids_of(&made.id);
                let held = token_tags(&ec2, &ids).await;
                assert_eq!(
                    held,
                    ids.iter()
                        .map(|id| (id.clone(), token.to_string()))
                        .collect::<BTreeSet<_>>(),
                    "{address}: what the create made carries its token"
                );
            }

            let found = ty
                .find(&desired, &token)
                .await
                .unwrap_or_else(|e| panic!("{address}: find failed: {e}"))
                .unwrap_or_else(|| panic!("{address}: find found nothing of {}", made.id));
            assert_eq!(found.id, made.id, "{address}: find names what create made");
            let read = ty.read(&made.id, &desired).await.unwrap();
            assert_eq!(
                Some(&found),
                read.as_ref(),
                "{address}: find answers as read"
            );
            no_token_tag(address, &found);

            let (absent, what) = match r.mark {
                Mark::Tag | Mark::CallerReference | Mark::FirstVersion => {
                    (desired.clone(), "a fresh token")
                }
                Mark::Name(names) => {
                    let mut absent = desired.clone();
                    for name in names {
                        let unused = format!("absent-{}", &CreateToken::new().as_str()[7..19]);
                        absent.insert((*name).to_owned(), Value::from(unused.as_str()));
                    }
                    (absent, "a name nobody used")
                }
            };
            let nothing = ty
                .find(&absent, &CreateToken::new())
                .await
                .unwrap_or_else(|e| panic!("{address}: find with {what} failed: {e}"));
            assert_eq!(nothing, None, "{address}: find with {what} finds nothing");

            pending.insert(
                address.to_owned(),
                PendingCreate {
                    type_name: r.type_name.clone(),
                    token,
                    dependencies: r.dependencies.clone(),
                    inputs: desired
                        .iter()
                        .map(|(k, v)| (k.clone(), StoredValue::plain(v.clone())))
                        .collect(),
                },
            );
            made_ids.insert(address, made.id.clone());
            if r.id != made.id {
                renamed.push((r.id.clone(), made.id));
            }
        }

        // The same creates, as a process killed during each call leaves them in the
        // state: the plan adopts what each made, and what it made is what the spec says.
        let mut state = env.state();
        assert!(state.resources.is_empty(), "destroyed: {state:?}");
        state.pending = pending;
        env.store().write(&mut state).unwrap();
        let plan = env.plan().await;
        for r in &recorded {
            let recovered = plan
                .recovered
                .iter()
                .find(|x| x.address == r.address)
                .unwrap_or_else(|| panic!("{} was not looked for", r.address));
            assert_eq!(recovered.error, None, "{}", r.address);
            assert!(recovered.found.is_some(), "{} was not found", r.address);
        }
        assert!(
            !plan.has_changes(),
            "what the interrupted creates made is what the spec says:\n{}",
            strata_engine::render::human(&plan, false)
        );
        let (_, report) = env.try_apply().await.expect("the adoption is applied");
        assert!(report.is_success(), "{}", support::failures(&report));
        let state = env.state();
        assert!(state.pending.is_empty(), "{:?}", state.pending);
        for r in &recorded {
            assert_eq!(
                state.resources[r.address].id, made_ids[r.address],
                "{} is adopted with the id its create made",
                r.address
            );
        }
        env.assert_no_changes().await;
        env.destroy().await;
    });
}

/// One resource as the first apply recorded it.
struct Recorded {
    address: &'static str,
    mark: Mark,
    type_name: String,
    id: String,
    dependencies: Vec<String>,
    /// Its inputs, all plain: what `create` (and `find`) get.
    inputs: Attrs,
}

/// The cloud ids behind an engine id (a standalone rule's is several, comma-joined).
fn ids_of(id: &str) -> Vec<String> {
    id.split(',').map(str::to_owned).collect()
}

/// (resource id, token) of the token tags on `ids`, as EC2 reports them.
async fn token_tags(ec2: &aws_sdk_ec2::Client, ids: &[String]) -> BTreeSet<(String, String)> {
    let out = ec2
        .describe_tags()
        .filters(
            Filter::builder()
                .name("key")
                .values(CreateToken::TAG)
                .build(),
        )
        .filters(
            Filter::builder()
                .name("resource-id")
                .set_values(Some(ids.to_vec()))
                .build(),
        )
        .send()
        .await
        .unwrap();
    out.tags()
        .iter()
        .filter(|t| t.key() == Some(CreateToken::TAG))
        .filter_map(|t| Some((t.resource_id()?.to_owned(), t.value()?.to_owned())))
        .filter(|(id, _)| ids.contains(id))
        .collect()
}

/// Asserts that no `strata:` tag shows in what strata read.
fn no_token_tag(address: &str, observed: &Observed) {
    if let Some(Value::Map(tags)) = observed.attributes.get("tags") {
        assert!(
            !tags.keys().any(|k| k.starts_with("strata:")),
            "{address}: strata's own tag was read back: {tags:?}"
        );
    }
}

/// `value` with each old id replaced by the new one, inside strings too (ARNs).
fn renaming(inputs: &Attrs, renamed: &[(String, String)]) -> Attrs {
    fn walk(value: &Value, renamed: &[(String, String)]) -> Value {
        match value {
            Value::String(s) => Value::String(
                renamed
                    .iter()
                    .fold(s.clone(), |s, (old, new)| s.replace(old.as_str(), new)),
            ),
            Value::List(items) => Value::List(items.iter().map(|v| walk(v, renamed)).collect()),
            Value::Map(m) => Value::Map(
                m.iter()
                    .map(|(k, v)| (k.clone(), walk(v, renamed)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    inputs
        .iter()
        .map(|(k, v)| (k.clone(), walk(v, renamed)))
        .collect()
}
