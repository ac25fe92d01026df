//! What the emulator must hold before a spec folder can be applied, and what must be
//! gone after it is destroyed: the things the spec's teams own outside the spec (an RDS
//! snapshot taken by hand, an SSM parameter put by hand), made with the SDK exactly as
//! a person would; and a census of everything strata could have left behind.
//!
//! Invariant: only ever talks to a loopback endpoint (the emulator), with dummy
//! credentials.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ec2::types::Filter;

/// The digidex database snapshot the spec restores from.
pub const DIGIDEX_SNAPSHOT: &str = "digidexapi-db-snapshot";
/// The SSM parameter holding the digidex database password.
pub const DIGIDEX_PASSWORD_PARAMETER: &str = "/digimon-api/db/password";
/// The password seeded there: tests check it never reaches a file or an output.
pub const DIGIDEX_PASSWORD: &str = "seeded-digidex-pa55word";

/// SDK configuration for the emulator at `endpoint`.
pub async fn config(endpoint: &str, region: &str) -> SdkConfig {
    assert!(
        endpoint.starts_with("http://127.0.0.1") || endpoint.starts_with("http://localhost"),
        "the seed only talks to a local emulator, not {endpoint}"
    );
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_ec2::config::Credentials::new(
            "seed", "seed", None, None, "seed",
        ))
        .load()
        .await
}

/// Creates the digidex prerequisites: the password parameter (SecureString) and the
/// database snapshot (from a throwaway instance, deleted afterwards). Idempotent.
pub async fn digidex(endpoint: &str, region: &str) -> Result<Vec<String>, String> {
    let config = config(endpoint, region).await;
    let ssm = aws_sdk_ssm::Client::new(&config);
    let rds = aws_sdk_rds::Client::new(&config);
    let mut done = Vec::new();
    ssm.put_parameter()
        .name(DIGIDEX_PASSWORD_PARAMETER)
        .value(DIGIDEX_PASSWORD)
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await
        .map_err(|e| format!("putting SSM parameter {DIGIDEX_PASSWORD_PARAMETER}: {e:?}"))?;
    done.push(format!(
        "SSM parameter {DIGIDEX_PASSWORD_PARAMETER} (SecureString)"
    ));

    let exists = rds
        .describe_db_snapshots()
        .db_snapshot_identifier(DIGIDEX_SNAPSHOT)
        .send()
        .await
        .is_ok_and(|o| !o.db_snapshots().is_empty());
    if !exists {
        let source = "digidexapi-seed-source";
        rds.create_db_instance()
            .db_instance_identifier(source)
            .engine("postgres")
            .engine_version("13.7")
            .db_instance_class("db.t3.micro")
            .allocated_storage(20)
            .master_username("digidex")
            .master_user_password(DIGIDEX_PASSWORD)
            .send()
            .await
            .map_err(|e| format!("creating the snapshot's source instance: {e:?}"))?;
        rds.create_db_snapshot()
            .db_instance_identifier(source)
            .db_snapshot_identifier(DIGIDEX_SNAPSHOT)
            .send()
            .await
            .map_err(|e| format!("creating snapshot {DIGIDEX_SNAPSHOT}: {e:?}"))?;
        rds.delete_db_instance()
            .db_instance_identifier(source)
            .skip_final_snapshot(true)
            .send()
            .await
            .map_err(|e| format!("deleting the snapshot's source instance: {e:?}"))?;
    }
    done.push(format!("RDS snapshot {DIGIDEX_SNAPSHOT} (postgres 13.7)"));
    Ok(done)
}

/// Everything in the emulator that a spec could have created and is still there,
/// leaving out what AWS makes by itself (the default VPC and its parts, default
/// groups) and what the seed made, as `"kind id"` lines. Empty after a complete destroy.
pub async fn leftovers(endpoint: &str, region: &str) -> Result<Vec<String>, String> {
    Ok(inventory(endpoint, region)
        .await?
        .into_iter()
        .map(|item| format!("{} {}", item.kind, item.id))
        .collect())
}

/// One thing in the emulator: its kind (`VPC`, `bucket`, ...) and its id as strata's
/// state records it (an object is `bucket/key`, a security-group rule its `sgr-` id).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Item {
    pub kind: &'static str,
    pub id: String,
}

fn item(kind: &'static str, id: Option<&str>) -> Item {
    Item {
        kind,
        id: id.unwrap_or("?").to_owned(),
    }
}

/// What [`leftovers`] lists, plus the objects in each bucket and the inbound rules of
/// each group it lists: the census a crash test compares with the state.
pub async fn inventory(endpoint: &str, region: &str) -> Result<Vec<Item>, String> {
    let config = config(endpoint, region).await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let rds = aws_sdk_rds::Client::new(&config);
    let cloudfront = aws_sdk_cloudfront::Client::new(&config);
    let mut left = Vec::new();

    let vpcs = ec2
        .describe_vpcs()
        .filters(Filter::builder().name("is-default").values("false").build())
        .send()
        .await
        .map_err(listing("VPCs"))?;
    left.extend(vpcs.vpcs().iter().map(|v| item("VPC", v.vpc_id())));
    let default_vpc: Vec<String> = ec2
        .describe_vpcs()
        .filters(Filter::builder().name("is-default").values("true").build())
        .send()
        .await
        .map_err(listing("VPCs"))?
        .vpcs()
        .iter()
        .filter_map(|v| v.vpc_id().map(str::to_owned))
        .collect();
    let outside_default =
        |vpc: Option<&str>| !vpc.is_some_and(|v| default_vpc.iter().any(|d| d == v));
    let subnets = ec2
        .describe_subnets()
        .send()
        .await
        .map_err(listing("subnets"))?;
    left.extend(
        subnets
            .subnets()
            .iter()
            .filter(|s| outside_default(s.vpc_id()))
            .map(|s| item("subnet", s.subnet_id())),
    );
    let groups = ec2
        .describe_security_groups()
        .send()
        .await
        .map_err(listing("security groups"))?;
    left.extend(
        groups
            .security_groups()
            .iter()
            .filter(|g| g.group_name() != Some("default"))
            .map(|g| item("security group", g.group_id())),
    );
    let rules = ec2
        .describe_security_group_rules()
        .send()
        .await
        .map_err(listing("security group rules"))?;
    let listed_group = |id: Option<&str>| {
        groups
            .security_groups()
            .iter()
            .any(|g| g.group_name() != Some("default") && g.group_id() == id)
    };
    left.extend(
        rules
            .security_group_rules()
            .iter()
            .filter(|r| r.is_egress() == Some(false) && listed_group(r.group_id()))
            .map(|r| item("ingress rule", r.security_group_rule_id())),
    );
    let gateways = ec2
        .describe_internet_gateways()
        .send()
        .await
        .map_err(listing("internet gateways"))?;
    left.extend(
        gateways
            .internet_gateways()
            .iter()
            .filter(|g| {
                g.attachments().is_empty()
                    || g.attachments().iter().any(|a| outside_default(a.vpc_id()))
            })
            .map(|g| item("internet gateway", g.internet_gateway_id())),
    );
    let tables = ec2
        .describe_route_tables()
        .send()
        .await
        .map_err(listing("route tables"))?;
    left.extend(
        tables
            .route_tables()
            .iter()
            .filter(|t| outside_default(t.vpc_id()))
            // A VPC's main table comes and goes with the VPC.
            .filter(|t| !t.associations().iter().any(|a| a.main() == Some(true)))
            .map(|t| item("route table", t.route_table_id())),
    );
    let addresses = ec2
        .describe_addresses()
        .send()
        .await
        .map_err(listing("elastic IPs"))?;
    left.extend(
        addresses
            .addresses()
            .iter()
            .map(|a| item("elastic IP", a.allocation_id())),
    );
    let reservations = ec2
        .describe_instances()
        .send()
        .await
        .map_err(listing("instances"))?;
    for r in reservations.reservations() {
        for i in r.instances() {
            let state = i
                .state()
                .and_then(|s| s.name())
                .map(|n| n.as_str().to_owned());
            if state.as_deref() != Some("terminated") {
                left.push(item("instance", i.instance_id()));
            }
        }
    }

    let buckets = s3.list_buckets().send().await.map_err(listing("buckets"))?;
    left.extend(buckets.buckets().iter().map(|b| item("bucket", b.name())));
    for bucket in buckets.buckets().iter().filter_map(|b| b.name()) {
        let objects = s3
            .list_objects_v2()
            .bucket(bucket)
            .send()
            .await
            .map_err(listing("objects"))?;
        left.extend(objects.contents().iter().filter_map(|o| {
            let key = o.key()?;
            Some(item("object", Some(&format!("{bucket}/{key}"))))
        }));
    }

    let instances = rds
        .describe_db_instances()
        .send()
        .await
        .map_err(listing("DB instances"))?;
    left.extend(
        instances
            .db_instances()
            .iter()
            .map(|d| item("DB instance", d.db_instance_identifier())),
    );
    let subnet_groups = rds
        .describe_db_subnet_groups()
        .send()
        .await
        .map_err(listing("DB subnet groups"))?;
    left.extend(
        subnet_groups
            .db_subnet_groups()
            .iter()
            .filter(|g| g.db_subnet_group_name() != Some("default"))
            .map(|g| item("DB subnet group", g.db_subnet_group_name())),
    );

    let distributions = cloudfront
        .list_distributions()
        .send()
        .await
        .map_err(listing("distributions"))?;
    if let Some(list) = distributions.distribution_list() {
        left.extend(
            list.items()
                .iter()
                .map(|d| item("distribution", Some(d.id()))),
        );
    }
    let controls = cloudfront
        .list_origin_access_controls()
        .send()
        .await
        .map_err(listing("origin access controls"))?;
    if let Some(list) = controls.origin_access_control_list() {
        left.extend(
            list.items()
                .iter()
                .map(|c| item("origin access control", Some(c.id()))),
        );
    }
    Ok(left)
}

/// The error of listing `what`, for `map_err`.
fn listing<E: std::fmt::Debug>(what: &str) -> impl Fn(E) -> String + '_ {
    move |err| format!("listing {what}: {err:?}")
}

/// Puts a SecureString parameter, as a person would by hand.
pub async fn put_secure_parameter(
    endpoint: &str,
    region: &str,
    name: &str,
    value: &str,
) -> Result<(), String> {
    let config = config(endpoint, region).await;
    aws_sdk_ssm::Client::new(&config)
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| format!("putting SSM parameter {name}: {e:?}"))
}

/// The current value of a Secrets Manager secret (by name or ARN), as a consumer of the
/// secret reads it.
pub async fn secret_value(endpoint: &str, region: &str, id: &str) -> Result<String, String> {
    let config = config(endpoint, region).await;
    let out = aws_sdk_secretsmanager::Client::new(&config)
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .map_err(|e| format!("getting the value of secret {id}: {e:?}"))?;
    out.secret_string()
        .map(str::to_owned)
        .ok_or_else(|| format!("secret {id} has no text value"))
}

/// The body of an S3 object, as text.
pub async fn object_text(
    endpoint: &str,
    region: &str,
    bucket: &str,
    key: &str,
) -> Result<String, String> {
    let config = config(endpoint, region).await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let object = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| format!("getting s3://{bucket}/{key}: {e:?}"))?;
    let bytes = object
        .body
        .collect()
        .await
        .map_err(|e| format!("reading s3://{bucket}/{key}: {e}"))?;
    String::from_utf8(bytes.to_vec()).map_err(|e| format!("s3://{bucket}/{key} is not text: {e}"))
}
