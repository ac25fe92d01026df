//! Edits by hand: lookups with suggestions, forgetting resources, renaming addresses.

mod common;

use common::{sample_state, text};
use strata_state::{Mode, ResourceState, State, edit};

/// The sample state plus a subnet that depends on the VPC.
fn state() -> State {
    let mut state = sample_state("dev");
    let mut subnet = ResourceState::new("ec2.subnet", Mode::Managed, "subnet-1");
    subnet.dependencies = vec!["network.vpc".into()];
    state.resources.insert("network.subnet".into(), subnet);
    state
}

#[test]
fn lookups_suggest_the_closest_name() {
    let state = state();
    assert_eq!(
        edit::resource(&state, "network.vpc").unwrap().id,
        "vpc-0a1b2c3d"
    );
    let e = edit::resource(&state, "network.vcp").unwrap_err();
    assert_eq!(e.code(), "state::unknown_address");
    assert_eq!(
        text(&e),
        "no resource `network.vcp` in the state of environment \"dev\"\nhelp: did you mean `network.vpc`?"
    );
    let e = edit::resource(&state, "storage.bucket").unwrap_err();
    assert!(
        text(&e).ends_with("help: `strata state list` shows the addresses in the state"),
        "{}",
        text(&e)
    );
    let e = edit::resource(&State::new("dev"), "network.vpc").unwrap_err();
    assert!(text(&e).ends_with("help: the state holds no resource"));

    assert!(edit::output(&state, "network.vpc-id").is_ok());
    let e = edit::output(&state, "network.vpcid").unwrap_err();
    assert_eq!(e.code(), "state::unknown_output");
    assert_eq!(
        text(&e),
        "no output `network.vpcid` in the state of environment \"dev\"\nhelp: did you mean `network.vpc-id`?"
    );
}

#[test]
fn remove_forgets_every_address_or_none() {
    let mut state = state();
    let before = state.clone();
    let e = edit::remove(&mut state, &["network.vpc".into(), "network.nope".into()]).unwrap_err();
    assert_eq!(e.code(), "state::unknown_address");
    assert_eq!(state, before, "a refused removal changes nothing");

    let removed = edit::remove(
        &mut state,
        &[
            "network.vpc".into(),
            "auth.pool".into(),
            "network.vpc".into(),
        ],
    )
    .unwrap();
    let names: Vec<&str> = removed.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(names, ["network.vpc", "auth.pool"]);
    assert_eq!(removed[0].1.id, "vpc-0a1b2c3d");
    let left: Vec<&String> = state.resources.keys().collect();
    assert_eq!(left, ["database.main", "network.subnet"]);
    // Dependents keep naming what they were applied after.
    assert_eq!(
        state.resources["network.subnet"].dependencies,
        ["network.vpc"]
    );
}

#[test]
fn rename_moves_the_record_and_its_dependents() {
    let mut state = state();
    let vpc = state.resources["network.vpc"].clone();
    let rewritten = edit::rename(&mut state, "network.vpc", "core.vpc").unwrap();
    assert_eq!(rewritten, ["database.main", "network.subnet"]);
    assert_eq!(state.resources["core.vpc"], vpc);
    assert!(!state.resources.contains_key("network.vpc"));
    assert_eq!(state.resources["database.main"].dependencies, ["core.vpc"]);
    assert_eq!(state.resources["network.subnet"].dependencies, ["core.vpc"]);
}

#[test]
fn rename_refuses_and_changes_nothing() {
    let mut state = state();
    let before = state.clone();

    let e = edit::rename(&mut state, "network.vcp", "core.vpc").unwrap_err();
    assert_eq!(e.code(), "state::unknown_address");
    assert!(text(&e).ends_with("did you mean `network.vpc`?"));

    let e = edit::rename(&mut state, "network.vpc", "database.main").unwrap_err();
    assert_eq!(e.code(), "state::address_taken");
    assert_eq!(
        text(&e),
        "`database.main` is already in the state of environment \"dev\" (a rds.instance with id db-1)\n\
         help: nothing was changed; to replace that record, forget it first with `strata state rm database.main` (the cloud object stays)"
    );

    let e = edit::rename(&mut state, "network.vpc", "vpc").unwrap_err();
    assert_eq!(e.code(), "state::invalid_address");
    assert_eq!(
        text(&e),
        "`vpc` is not a resource address\nhelp: an address is `stack.name`, like `network.vpc`"
    );
    assert_eq!(state, before);
}
