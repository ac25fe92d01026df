//! The state file format: round trips, layout, sensitive values, snapshots.

mod common;

use std::path::Path;
use std::time::Instant;

use common::{map, sample_state};
use strata_engine::Value;
use strata_state::{
    FORMAT_VERSION, Mode, ResourceState, STRATA_VERSION, State, StateFile, StoredValue,
};

fn encode(state: &State) -> Vec<u8> {
    let mut out = Vec::new();
    state.encode(&mut out).unwrap();
    out
}

fn decode(bytes: &[u8]) -> State {
    State::decode(bytes, Path::new("test.json"), "dev").unwrap()
}

#[test]
fn new_state_has_a_fresh_uuid_v4_lineage() {
    let a = State::new("dev");
    let b = State::new("dev");
    assert_ne!(a.lineage, b.lineage);
    let uuid = uuid::Uuid::parse_str(&a.lineage).unwrap();
    assert_eq!(uuid.get_version_num(), 4);
    assert_eq!(a.serial, 0);
    assert_eq!(a.format_version, FORMAT_VERSION);
    assert_eq!(a.strata_version, STRATA_VERSION);
    assert_eq!(a.environment, "dev");
    assert!(a.resources.is_empty() && a.outputs.is_empty());
}

#[test]
fn round_trip_keeps_everything() {
    let state = sample_state("dev");
    let bytes = encode(&state);
    let back = decode(&bytes);
    assert_eq!(back, state);
    // And the encoding is a fixed point: decode then encode gives the same bytes.
    assert_eq!(encode(&back), bytes);
}

#[test]
fn layout_is_pretty_header_first_and_sorted() {
    let mut state = State::new("dev");
    // Inserted out of order on purpose.
    for address in ["zeta.b", "alpha.a", "mid.m"] {
        let mut r = ResourceState::new("t.x", Mode::Managed, "id");
        r.inputs.insert("z-last".into(), Value::Int(1).into());
        r.inputs.insert("a-first".into(), Value::Int(2).into());
        state.resources.insert(address.into(), r);
    }
    let text = String::from_utf8(encode(&state)).unwrap();
    assert!(
        text.starts_with(&format!(
            "{{\n  \"format_version\": 1,\n  \"lineage\": \"{}\",\n  \"serial\": 0,\n  \"environment\": \"dev\",\n",
            state.lineage
        )),
        "{text}"
    );
    assert!(text.ends_with("}\n"));
    let pos = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("{needle}"));
    assert!(pos("\"alpha.a\"") < pos("\"mid.m\"") && pos("\"mid.m\"") < pos("\"zeta.b\""));
    assert!(pos("\"a-first\"") < pos("\"z-last\""));
    // One attribute per line: diff-able.
    assert!(text.contains("\n        \"a-first\": 2,\n"), "{text}");
    assert!(text.contains("\"type\": \"t.x\""));
}

#[test]
fn sensitive_plain_text_is_never_written() {
    let state = sample_state("dev");
    let bytes = encode(&state);
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(!text.contains("pl41n-t3xt-s3cr3t"), "{text}");
    assert!(!text.contains("admin"), "{text}");
    assert_eq!(text.matches("\"sensitive\": \"").count(), 2 + 1, "{text}");

    let back = decode(&bytes);
    let password = &back.resources["database.main"].inputs["password"];
    assert!(password.is_sensitive());
    assert!(password.as_plain().is_none());
    assert!(password.matches(&Value::from("pl41n-t3xt-s3cr3t")));
    assert!(!password.matches(&Value::from("pl41n-t3xt-s3cr3T")));
    assert!(!password.matches(&Value::Null));
    let url = &back.outputs["database.url"];
    assert!(url.matches(&Value::from("postgres://admin:pl41n-t3xt-s3cr3t@db")));
    assert!(!url.matches(&Value::from("pl41n-t3xt-s3cr3t")));
}

#[test]
fn the_same_secret_is_stored_differently_each_time() {
    let secret = Value::from("hunter2");
    let a = StoredValue::sensitive(&secret);
    let b = StoredValue::sensitive(&secret);
    assert_ne!(a, b);
    assert!(a.matches(&secret) && b.matches(&secret));
}

#[test]
fn plain_values_match_by_equality() {
    let v = StoredValue::plain(Value::Int(5432));
    assert!(v.matches(&Value::Int(5432)));
    assert!(!v.matches(&Value::Float(5432.0)));
    assert!(!v.matches(&Value::from("5432")));
    assert_eq!(v.as_plain(), Some(&Value::Int(5432)));
}

#[test]
fn maps_that_look_like_markers_stay_plain() {
    let state = sample_state("dev");
    let text = String::from_utf8(encode(&state)).unwrap();
    assert!(text.contains("\"plain\": {\n"), "{text}");
    let back = decode(text.as_bytes());
    let inputs = &back.resources["database.main"].inputs;
    assert_eq!(
        inputs["looks-like-marker"],
        StoredValue::Plain(map(&[("sensitive", Value::from("not a digest"))]))
    );
    assert_eq!(
        inputs["looks-like-escape"],
        StoredValue::Plain(map(&[("plain", Value::Int(1))]))
    );
}

#[test]
fn same_snapshot_compares_lineage_and_serial() {
    let mut state = State::new("dev");
    let lineage = state.lineage.clone();
    assert!(state.same_snapshot(&lineage, 0));
    assert!(!state.same_snapshot(&lineage, 1));
    assert!(!state.same_snapshot(&State::new("dev").lineage, 0));
    state.serial = 41;
    assert!(state.same_snapshot(&lineage, 41));
}

#[test]
fn ten_thousand_resources_round_trip() {
    let mut state = State::new("dev");
    for i in 0..10_000 {
        let mut r = ResourceState::new("lambda.function", Mode::Managed, format!("fn-{i}"));
        r.dependencies = vec![format!("iam.role{}", i % 10)];
        r.inputs
            .insert("runtime".into(), Value::from("python3.12").into());
        r.inputs.insert("memory".into(), Value::Int(128).into());
        r.inputs.insert(
            "environment".into(),
            map(&[("TABLE", Value::from(format!("table-{i}")))]).into(),
        );
        r.outputs.insert(
            "arn".into(),
            Value::from(format!("arn:aws:lambda:eu-west-3:1:function:fn-{i}")).into(),
        );
        state.resources.insert(format!("api.handler[\"{i}\"]"), r);
    }
    let started = Instant::now();
    let bytes = encode(&state);
    let encoded = started.elapsed();
    let back = decode(&bytes);
    eprintln!(
        "10,000 resources: {} bytes, encoded in {encoded:?}, decoded in {:?}",
        bytes.len(),
        started.elapsed() - encoded
    );
    assert_eq!(back, state);
}
