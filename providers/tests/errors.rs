//! AWS errors as users see them, against the emulator: the failing resource's address,
//! the AWS error code and message, the operation, and the spec line; an answer in HTML
//! (an API the endpoint lacks) as "operation not supported by this endpoint".

mod support;

use strata_engine::provider::ErrorKind;
use strata_providers::aws::error::sdk;
use support::{Env, run};

#[test]
fn an_html_answer_is_reported_as_not_supported_by_this_endpoint() {
    run(async {
        let env = Env::new();
        let cloudfront = env.aws.cloudfront().await.unwrap();
        // moto 5.2.5 lacks GetOriginAccessControlConfig and answers with an HTML page;
        // AWS implements it.
        let err = cloudfront
            .get_origin_access_control_config()
            .id("E000000000000")
            .send()
            .await
            .expect_err("the emulator lacks this API");
        let err = sdk("GetOriginAccessControlConfig", err);
        assert_eq!(err.kind, ErrorKind::Unsupported, "{err}");
        assert!(
            err.message
                .starts_with("operation not supported by this endpoint: GetOriginAccessControlConfig answered HTTP"),
            "{err}"
        );
    });
}

#[test]
fn a_refused_create_names_the_address_the_aws_code_and_message_and_the_spec_line() {
    run(async {
        let env = Env::new();
        env.write(
            "stack net {\n    ec2.vpc main {\n        cidr-block \"10.0.0.0/8\"\n    }\n    ec2.vpc fine {\n        cidr-block \"10.9.0.0/16\"\n    }\n}\n",
        );
        let (_, report) = env.try_apply().await.expect("an apply ran");
        assert_eq!(report.failed.len(), 1, "{}", support::failures(&report));
        let failed = &report.failed[0];
        assert_eq!(failed.address, "net.main");
        let message = &failed.diagnostic.message;
        assert!(message.contains("`net.main` (ec2.vpc)"), "{message}");
        // AWS and moto both refuse a VPC larger than /16 with this code.
        assert!(message.contains("InvalidVpc.Range"), "{message}");
        assert!(message.contains("10.0.0.0/8"), "{message}");
        assert!(message.contains("(in CreateVpc)"), "{message}");
        let label = failed
            .diagnostic
            .labels
            .first()
            .expect("a label on the spec");
        assert!(label.span.start > 0, "the label points into the spec");
        // The independent VPC was created, and nothing of the refused one is in the state.
        let state = env.state();
        assert!(state.resources.contains_key("net.fine"));
        assert!(!state.resources.contains_key("net.main"));
    });
}

#[test]
fn reading_a_resource_that_no_longer_exists_means_it_is_gone() {
    run(async {
        let env = Env::new();
        env.write("stack s {\n}\n");
        let (_, registry) = env.load();
        let empty = strata_engine::provider::Attrs::new();
        for (ty, id) in [
            ("ec2.vpc", "vpc-0123456789abcdef0"),
            ("s3.bucket", "strata-no-such-bucket"),
            ("rds.instance", "no-such-db"),
            ("cloudfront.distribution", "E0000000000000"),
        ] {
            let read = registry.resource(ty).unwrap().read(id, &empty).await;
            assert!(
                matches!(read, Ok(None)),
                "{ty} {id}: expected gone, got {read:?}"
            );
        }
    });
}
