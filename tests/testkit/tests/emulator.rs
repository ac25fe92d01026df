//! The emulator harness itself: it starts, answers AWS calls, resets, and a missing
//! install fails with instructions rather than passing or hanging.

use std::path::Path;

#[test]
fn emulator_answers_aws_calls_and_resets() {
    let emulator = strata_testkit::emulator();
    assert!(emulator.endpoint.starts_with("http://127.0.0.1:"));
    // S3 CreateBucket then ListBuckets, as raw REST calls.
    let (status, _) = emulator
        .request("PUT", "/testkit-probe-bucket", "")
        .expect("create bucket");
    assert_eq!(status, 200);
    let (status, body) = emulator.request("GET", "/", "").expect("list buckets");
    assert_eq!(status, 200);
    assert!(
        body.contains("<Name>testkit-probe-bucket</Name>"),
        "bucket listed: {body}"
    );
    emulator.reset().expect("reset");
    let (_, body) = emulator.request("GET", "/", "").expect("list buckets");
    assert!(
        !body.contains("testkit-probe-bucket"),
        "reset wipes state: {body}"
    );
}

#[test]
fn missing_emulator_fails_naming_make_test() {
    let err = match strata_testkit::start(Path::new("/nonexistent/moto_server")) {
        Ok(_) => panic!("a missing emulator must not start"),
        Err(e) => e,
    };
    assert!(err.contains("make test"), "{err}");
    assert!(err.contains("/nonexistent/moto_server"), "{err}");
}
