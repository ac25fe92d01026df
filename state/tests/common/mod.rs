//! Helpers shared by the integration tests of strata-state.
#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use strata_engine::Value;
use strata_state::{Mode, ResourceState, State, StateError, Status, StoredValue};

/// The permission bits of a file.
pub fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// The names in a directory, sorted.
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Message and help, as a user would read them.
pub fn text(e: &StateError) -> String {
    format!("{e}\nhelp: {}", e.help_text())
}

pub fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    )
}

/// A state with a bit of everything: both modes, both statuses, every kind of value,
/// sensitive values, and plain maps that look like markers.
pub fn sample_state(environment: &str) -> State {
    let mut state = State::new(environment);

    let mut vpc = ResourceState::new("ec2.vpc", Mode::Managed, "vpc-0a1b2c3d");
    vpc.inputs
        .insert("cidr-block".into(), Value::from("10.0.0.0/16").into());
    vpc.inputs
        .insert("enable-dns".into(), Value::Bool(true).into());
    vpc.inputs.insert(
        "tags".into(),
        map(&[("Name", Value::from("main")), ("Team", Value::from("core"))]).into(),
    );
    vpc.outputs.insert(
        "arn".into(),
        Value::from("arn:aws:ec2:eu-west-3:123456789012:vpc/vpc-0a1b2c3d").into(),
    );
    state.resources.insert("network.vpc".into(), vpc);

    let mut db = ResourceState::new("rds.instance", Mode::Managed, "db-1");
    db.status = Status::Tainted;
    db.dependencies = vec!["network.vpc".into()];
    db.inputs.insert("port".into(), Value::Int(5432).into());
    db.inputs
        .insert("storage-ratio".into(), Value::Float(0.75).into());
    db.inputs.insert("nothing".into(), Value::Null.into());
    db.inputs.insert(
        "zones".into(),
        Value::List(vec![Value::from("eu-west-3a"), Value::from("eu-west-3b")]).into(),
    );
    db.inputs.insert(
        "password".into(),
        StoredValue::sensitive(&Value::from("pl41n-t3xt-s3cr3t")),
    );
    db.inputs.insert(
        "looks-like-marker".into(),
        map(&[("sensitive", Value::from("not a digest"))]).into(),
    );
    db.inputs.insert(
        "looks-like-escape".into(),
        map(&[("plain", Value::Int(1))]).into(),
    );
    state.resources.insert("database.main".into(), db);

    let mut pool = ResourceState::new("cognito.user-pool", Mode::Lookup, "eu-west-3_AbC");
    pool.outputs
        .insert("id".into(), Value::from("eu-west-3_AbC").into());
    state.resources.insert("auth.pool".into(), pool);

    state
        .outputs
        .insert("network.vpc-id".into(), Value::from("vpc-0a1b2c3d").into());
    state.outputs.insert(
        "database.url".into(),
        StoredValue::sensitive(&Value::from("postgres://admin:pl41n-t3xt-s3cr3t@db")),
    );
    state.outputs.insert("empty".into(), map(&[]).into());
    state
}
