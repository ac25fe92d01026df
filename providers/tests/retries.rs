//! The client's retry policy against every fault the test proxy injects, service by
//! service: each call below meets its fault on its first attempt only, and must
//! succeed on its second. So the SDK's retry classifiers really treat the proxy's
//! throttling shapes (EC2 `RequestLimitExceeded`, S3 `SlowDown`, `Throttling` for RDS
//! and CloudFront, `ThrottlingException` for SSM), HTTP 500 and 503, and a connection
//! closed before or after forwarding as retryable. A create whose first attempt was
//! dropped makes exactly one resource. Throttling and 503 answers, and only they, are
//! reported on the engine's backpressure signal, once each.

mod support;

use aws_sdk_ec2::types::Filter;
use aws_sdk_s3::primitives::ByteStream;
use strata_providers::aws::client::{Aws, Settings};
use strata_testkit::faults::{Fault, FaultProxy, Faults};
use support::{REGION, run};

/// The calls of [`run_calls`] (`all`, else one read per service) through a proxy that
/// faults each first attempt with `kind`: each is tried exactly twice.
fn each_call_retried_once(kind: Fault, all: bool) {
    let emulator = strata_testkit::emulator();
    let proxy = FaultProxy::start(
        &emulator.endpoint,
        Faults {
            up_to_attempt: Some(1),
            ..Faults::only(kind, 1.0, 11)
        },
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let aws = Aws::new(Settings {
        region: Some(REGION.into()),
        profile: None,
        endpoint: Some(proxy.endpoint()),
        root: dir.path().to_owned(),
    });
    let name = format!("strata-retries-{}", kind.name());
    let n = Fault::ALL.iter().position(|k| *k == kind).unwrap();
    let calls = if all {
        run_calls(&aws, &name, &format!("10.{}.0.0/16", 70 + n))
    } else {
        one_read_per_service(&aws)
    };
    let counts = proxy.counts();
    assert_eq!(
        counts.requests,
        2 * calls,
        "{kind:?}: each of the {calls} calls was tried exactly twice: {counts}"
    );
    assert_eq!(counts.retries, calls, "{kind:?}: {counts}");
    assert_eq!(counts.faults(), calls, "{kind:?}: {counts}");
    // Throttling and 503 are the cloud pushing back: each is reported, once, to the
    // engine's pace; other faults are not.
    let pushed_back = matches!(kind, Fault::Throttle | Fault::Http503);
    assert_eq!(
        aws.backpressure().count(),
        if pushed_back { calls } else { 0 },
        "{kind:?}: throttling answers reported to the engine"
    );
}

/// Makes the calls, asserting each succeeded; returns how many were made.
fn run_calls(aws: &Aws, name: &str, cidr: &str) -> u64 {
    let mut calls = 0;
    run(async {
        let ec2 = aws.ec2().await.unwrap();
        let vpc = ec2
            .create_vpc()
            .cidr_block(cidr)
            .send()
            .await
            .expect("CreateVpc retried")
            .vpc
            .and_then(|v| v.vpc_id)
            .unwrap();
        calls += 1;
        let same_cidr = ec2
            .describe_vpcs()
            .filters(Filter::builder().name("cidr").values(cidr).build())
            .send()
            .await
            .expect("DescribeVpcs retried");
        calls += 1;
        let made: Vec<_> = same_cidr.vpcs().iter().filter_map(|v| v.vpc_id()).collect();
        assert_eq!(made, [vpc.as_str()], "one create, one VPC");
        ec2.delete_vpc()
            .vpc_id(&vpc)
            .send()
            .await
            .expect("DeleteVpc retried");
        calls += 1;

        let s3 = aws.s3().await.unwrap();
        s3.create_bucket()
            .bucket(name)
            .create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(REGION))
                    .build(),
            )
            .send()
            .await
            .expect("CreateBucket retried");
        calls += 1;
        let body = "x".repeat(100_000);
        s3.put_object()
            .bucket(name)
            .key("k")
            .body(ByteStream::from(body.clone().into_bytes()))
            .send()
            .await
            .expect("PutObject retried");
        calls += 1;
        let head = s3
            .head_object()
            .bucket(name)
            .key("k")
            .send()
            .await
            .expect("HeadObject retried");
        calls += 1;
        assert_eq!(head.content_length(), Some(100_000));
        let got = s3
            .get_object()
            .bucket(name)
            .key("k")
            .send()
            .await
            .expect("GetObject retried")
            .body
            .collect()
            .await
            .unwrap()
            .into_bytes();
        calls += 1;
        assert_eq!(got.as_ref(), body.as_bytes());
        s3.delete_object()
            .bucket(name)
            .key("k")
            .send()
            .await
            .expect("DeleteObject retried");
        calls += 1;
        s3.delete_bucket()
            .bucket(name)
            .send()
            .await
            .expect("DeleteBucket retried");
        calls += 1;

        aws.rds()
            .await
            .unwrap()
            .describe_db_subnet_groups()
            .send()
            .await
            .expect("DescribeDBSubnetGroups retried");
        calls += 1;
        aws.cloudfront()
            .await
            .unwrap()
            .list_distributions()
            .send()
            .await
            .expect("ListDistributions retried");
        calls += 1;
        aws.ssm()
            .await
            .unwrap()
            .describe_parameters()
            .send()
            .await
            .expect("DescribeParameters retried");
        calls += 1;
    });
    calls
}

/// One read per service (each protocol's error shape); returns how many calls.
fn one_read_per_service(aws: &Aws) -> u64 {
    run(async {
        aws.ec2()
            .await
            .unwrap()
            .describe_vpcs()
            .send()
            .await
            .expect("DescribeVpcs retried");
        aws.s3()
            .await
            .unwrap()
            .list_buckets()
            .send()
            .await
            .expect("ListBuckets retried");
        aws.rds()
            .await
            .unwrap()
            .describe_db_subnet_groups()
            .send()
            .await
            .expect("DescribeDBSubnetGroups retried");
        aws.cloudfront()
            .await
            .unwrap()
            .list_distributions()
            .send()
            .await
            .expect("ListDistributions retried");
        aws.ssm()
            .await
            .unwrap()
            .describe_parameters()
            .send()
            .await
            .expect("DescribeParameters retried");
    });
    5
}

/// Throttling is retried after the adaptive rate limiter's delay (up to the 10 s
/// maximum backoff each), so this test makes one call per service only.
#[test]
fn throttling_in_each_protocol_is_retried() {
    each_call_retried_once(Fault::Throttle, false);
}

#[test]
fn http_500_is_retried() {
    each_call_retried_once(Fault::Http500, true);
}

#[test]
fn http_503_is_retried() {
    each_call_retried_once(Fault::Http503, true);
}

#[test]
fn a_connection_closed_before_forwarding_is_retried() {
    each_call_retried_once(Fault::ResetBefore, true);
}

#[test]
fn a_read_whose_answer_is_lost_is_retried_and_a_write_is_never_lost_after_forwarding() {
    each_call_retried_once(Fault::ResetAfter, true);
}
