//! Plan, apply and destroy semantics against the in-memory cloud, through the same
//! workflow the CLI runs: ordering, replacement, lifecycle rules, drift, targeting,
//! failures, cancellation, saved plans, locking, refused states and secrets.

mod support;

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use strata_engine::Value;
use strata_engine::apply::ApplyOptions;
use strata_engine::apply::Cancel;
use strata_engine::graph::DepGraph;
use strata_engine::plan::{Action, DriftKind, PlanKind, PlanOptions, ReplaceReason, Shown};
use strata_engine::provider::CreateToken;
use strata_engine::state::{Changed, State, StateSink, Status, StoredValue};
use strata_engine::workflow::{Outcome, PlanSource, Stop};
use strata_state::LocalStore;
use support::harness::{Harness, position};
use support::memory::Op;

const SPEC: &str = r#"
variable secret type=string sensitive=#true
stack network {
    net.vpc main {
        cidr-block "10.0.0.0/16"
        tags Name=main
    }
    net.subnet a {
        vpc-id (ref)"main.id"
        cidr-block "10.0.0.0/24"
    }
    net.subnet b {
        vpc-id (ref)"main.id"
        cidr-block "10.0.1.0/24"
    }
    net.group db {
        name "db"
        subnet-ids (ref)"a.id" (ref)"b.id"
    }
    output vpc-id (ref)"main.id"
}
stack storage depends-on=network {
    store.bucket site {
        bucket "site"
        password (var)secret
    }
}
"#;

fn action(plan: &strata_engine::plan::Plan, address: &str) -> Action {
    plan.change(address)
        .unwrap_or_else(|| panic!("no change for {address}"))
        .action
}

fn planned(plan: &strata_engine::plan::Plan) -> Vec<&str> {
    plan.changes.iter().map(|c| c.address.as_str()).collect()
}

fn addresses(state: &strata_engine::state::State) -> BTreeSet<String> {
    state.resources.keys().cloned().collect()
}

/// The ids the state holds are exactly the ids the cloud holds.
fn assert_state_matches_cloud(h: &Harness) {
    let state = h.state();
    let mut in_state: BTreeSet<String> = BTreeSet::new();
    for record in state.resources.values() {
        in_state.insert(record.id.clone());
        in_state.extend(record.deposed.iter().cloned());
    }
    let mut in_cloud = BTreeSet::new();
    for ty in [
        "net.vpc",
        "net.subnet",
        "net.group",
        "store.bucket",
        "store.policy",
    ] {
        in_cloud.extend(h.cloud.ids(ty));
    }
    assert_eq!(in_state, in_cloud, "state and cloud disagree");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_creates_in_dependency_order_and_replans_empty() {
    let h = Harness::new(SPEC);
    let (plan, report) = h.apply().await;
    assert_eq!(plan.counts().create, 5);
    assert!(report.is_success(), "{report:#?}");
    let log = h.cloud.log();
    let vpc = position(&log, &["create net.vpc"]);
    let a = position(&log, &["create net.subnet subnet-2"])
        .min(position(&log, &["create net.subnet subnet-3"]));
    let group = position(&log, &["create net.group"]);
    let bucket = position(&log, &["create store.bucket"]);
    assert!(vpc < a && a < group, "{log:#?}");
    assert!(
        bucket > group,
        "storage depends on the whole network stack: {log:#?}"
    );

    // Ids computed by the cloud flowed into dependents.
    let state = h.state();
    let vpc_id = &state.resources["network.main"].id;
    let subnet = h.cloud.get(&state.resources["network.a"].id).unwrap();
    assert_eq!(subnet["vpc-id"], Value::from(vpc_id.as_str()));
    let group = h.cloud.get(&state.resources["network.db"].id).unwrap();
    assert_eq!(
        group["subnet-ids"],
        Value::List(vec![
            Value::from(state.resources["network.a"].id.as_str()),
            Value::from(state.resources["network.b"].id.as_str()),
        ])
    );
    assert_eq!(
        state.outputs["network.vpc-id"],
        StoredValue::plain(Value::from(vpc_id.as_str()))
    );
    assert_state_matches_cloud(&h);

    let again = h.plan_default().await;
    assert!(!again.has_changes(), "{again:#?}");
    assert!(again.changes.iter().all(|c| c.action == Action::NoOp));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_new_change_replaces_and_dependents_follow() {
    let h = Harness::new(SPEC);
    h.apply().await;
    let old = h.state();
    h.cloud.clear_log();
    h.write(&SPEC.replace("10.0.0.0/16", "10.9.0.0/16"));
    let plan = h.plan_default().await;
    let main = plan.change("network.main").unwrap();
    assert_eq!(main.action, Action::Replace);
    assert_eq!(
        main.replace_reason,
        Some(ReplaceReason::ForceNew {
            attributes: vec!["cidr-block".into()]
        })
    );
    assert!(
        main.attributes
            .iter()
            .any(|a| a.name == "cidr-block" && a.forces_replacement)
    );
    // The subnets' vpc-id is unknown until the new network exists, and forces new.
    assert_eq!(action(&plan, "network.a"), Action::Replace);
    assert_eq!(action(&plan, "network.b"), Action::Replace);
    let db = plan.change("network.db").unwrap();
    assert_eq!(db.action, Action::Update);
    assert_eq!(db.attributes[0].after, Shown::Unknown);
    assert_eq!(action(&plan, "storage.site"), Action::NoOp);

    let (_, report) = h.apply().await;
    assert!(report.is_success(), "{report:#?}");
    let log = h.cloud.log();
    let old_vpc = &old.resources["network.main"].id;
    let old_a = &old.resources["network.a"].id;
    let delete_a = position(&log, &["delete net.subnet", old_a]);
    let delete_vpc = position(&log, &["delete net.vpc", old_vpc]);
    let create_vpc = position(&log, &["create net.vpc"]);
    let create_subnet = position(&log, &["create net.subnet"]);
    let update_db = position(&log, &["update net.group"]);
    assert!(
        delete_a < delete_vpc,
        "subnets go before their network: {log:#?}"
    );
    assert!(
        delete_vpc < create_vpc,
        "delete-then-create by default: {log:#?}"
    );
    assert!(
        create_vpc < create_subnet && create_subnet < update_db,
        "{log:#?}"
    );
    assert_state_matches_cloud(&h);
    assert!(!h.plan_default().await.has_changes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_place_update_changes_only_what_differs() {
    let h = Harness::new(SPEC);
    h.apply().await;
    let id = h.state().resources["network.main"].id.clone();
    h.write(&SPEC.replace("tags Name=main", "tags Name=main Team=platform"));
    let plan = h.plan_default().await;
    let main = plan.change("network.main").unwrap();
    assert_eq!(main.action, Action::Update);
    assert_eq!(
        main.attributes
            .iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>(),
        ["tags"]
    );
    assert_eq!(plan.counts().update, 1);
    assert_eq!(plan.counts().unchanged, 4);
    h.apply().await;
    let vpc = h.cloud.get(&id).expect("same resource, updated in place");
    assert_eq!(
        vpc["tags"],
        Value::Map(
            [("Name", "main"), ("Team", "platform")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), Value::from(v)))
                .collect()
        )
    );
    assert!(!h.plan_default().await.has_changes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removed_resource_is_deleted_after_its_dependents_move_away() {
    let h = Harness::new(SPEC);
    h.apply().await;
    h.cloud.clear_log();
    let spec = SPEC
        .replace("    net.subnet b {\n        vpc-id (ref)\"main.id\"\n        cidr-block \"10.0.1.0/24\"\n    }\n", "")
        .replace(" (ref)\"b.id\"", "");
    h.write(&spec);
    let plan = h.plan_default().await;
    assert_eq!(action(&plan, "network.b"), Action::Delete);
    assert_eq!(action(&plan, "network.db"), Action::Update);
    assert_eq!(
        plan.changes.last().unwrap().address,
        "network.b",
        "deletions come last"
    );
    let (_, report) = h.apply().await;
    assert!(report.is_success(), "{report:#?}");
    let log = h.cloud.log();
    assert!(position(&log, &["update net.group"]) < position(&log, &["delete net.subnet"]));
    assert!(!addresses(&h.state()).contains("network.b"));
    assert_state_matches_cloud(&h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_before_destroy_creates_the_new_instance_first() {
    let spec = SPEC.replace(
        "        bucket \"site\"\n",
        "        bucket \"site\"\n        lifecycle create-before-destroy=#true\n",
    );
    let h = Harness::new(&spec);
    h.apply().await;
    let old = h.state().resources["storage.site"].id.clone();
    h.cloud.clear_log();
    h.write(&spec.replace("bucket \"site\"", "bucket \"site-2\""));
    let plan = h.plan_default().await;
    let site = plan.change("storage.site").unwrap();
    assert_eq!(site.action, Action::Replace);
    assert!(site.create_before_destroy);
    let (_, report) = h.apply().await;
    assert!(report.is_success(), "{report:#?}");
    let log = h.cloud.log();
    assert!(
        position(&log, &["create store.bucket"]) < position(&log, &["delete store.bucket", &old]),
        "{log:#?}"
    );
    let record = &h.state().resources["storage.site"];
    assert!(record.deposed.is_empty());
    assert_ne!(record.id, old);
    assert_eq!(h.cloud.ids("store.bucket"), vec![record.id.clone()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposed_instance_left_by_a_failed_delete_is_deleted_next_time() {
    let spec = SPEC.replace(
        "        bucket \"site\"\n",
        "        bucket \"site\"\n        lifecycle create-before-destroy=#true\n",
    );
    let h = Harness::new(&spec);
    h.apply().await;
    let old = h.state().resources["storage.site"].id.clone();
    h.cloud.fail(Op::Delete, "bucket", "site");
    h.write(&spec.replace("bucket \"site\"", "bucket \"site-2\""));
    let (_, report) = h.apply().await;
    assert_eq!(report.failed.len(), 1, "{report:#?}");
    let record = &h.state().resources["storage.site"];
    assert_eq!(
        record.deposed,
        vec![old.clone()],
        "the old instance is still tracked"
    );
    assert_state_matches_cloud(&h);

    h.cloud.clear_faults();
    let plan = h.plan_default().await;
    let deposed = plan
        .changes
        .iter()
        .find(|c| c.deposed.is_some())
        .expect("a deletion of the deposed instance");
    assert_eq!(deposed.action, Action::Delete);
    assert_eq!(deposed.deposed.as_deref(), Some(old.as_str()));
    h.apply().await;
    assert!(h.state().resources["storage.site"].deposed.is_empty());
    assert_state_matches_cloud(&h);
    assert!(!h.plan_default().await.has_changes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deposed_instance_is_never_forgotten_by_a_later_replace() {
    let cbd = SPEC.replace(
        "        bucket \"site\"\n",
        "        bucket \"site\"\n        lifecycle create-before-destroy=#true\n",
    );
    let h = Harness::new(&cbd);
    h.apply().await;
    let old = h.state().resources["storage.site"].id.clone();
    h.cloud.fail(Op::Delete, "bucket", "site");
    h.write(&cbd.replace("bucket \"site\"", "bucket \"site-2\""));
    h.apply().await;
    assert_eq!(
        h.state().resources["storage.site"].deposed,
        vec![old.clone()]
    );

    // Now a delete-then-create replace of the same address while the deposed
    // instance still cannot be deleted: the replace waits, and nothing is forgotten.
    h.write(&SPEC.replace("bucket \"site\"", "bucket \"site-3\""));
    let (_, report) = h.apply().await;
    assert_eq!(report.failed.len(), 1, "{report:#?}");
    assert!(
        report.skipped.iter().any(|s| s.address == "storage.site"),
        "{report:#?}"
    );
    assert_eq!(h.state().resources["storage.site"].deposed, vec![old]);
    assert_state_matches_cloud(&h);

    h.cloud.clear_faults();
    let (_, report) = h.apply().await;
    assert!(report.is_success(), "{report:#?}");
    assert_state_matches_cloud(&h);
    assert!(!h.plan_default().await.has_changes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prevent_destroy_refuses_a_replace_and_a_destroy() {
    let spec = SPEC.replace(
        "        bucket \"site\"\n",
        "        bucket \"site\"\n        lifecycle prevent-destroy=#true\n",
    );
    let h = Harness::new(&spec);
    h.apply().await;
    h.write(&spec.replace("bucket \"site\"", "bucket \"site-2\""));
    let err = h.plan_default_err().await;
    assert_eq!(err.code(), "plan::prevent_destroy");
    let Stop::Spec(failure) = &err else { panic!() };
    let text = failure.render_human(false, 100);
    assert!(
        text.contains("`storage.site` has `prevent-destroy`"),
        "{text}"
    );

    h.write(&spec);
    let destroy = h
        .run(
            PlanKind::Destroy,
            PlanSource::Fresh(PlanOptions::default()),
            4,
            &Cancel::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(destroy.code(), "plan::prevent_destroy");
    assert_eq!(h.cloud.count(), 5, "nothing was deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignore_changes_ignores_spec_and_cloud_changes() {
    let spec = SPEC.replace(
        "        tags Name=main\n",
        "        tags Name=main\n        lifecycle {\n            ignore-changes tags\n        }\n",
    );
    let h = Harness::new(&spec);
    h.apply().await;
    let id = h.state().resources["network.main"].id.clone();
    h.cloud.modify(&id, "tags", Value::Map(Default::default()));
    h.write(&spec.replace("tags Name=main", "tags Name=other"));
    let plan = h.plan_default().await;
    assert_eq!(action(&plan, "network.main"), Action::NoOp);
    assert_eq!(plan.counts().update, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_refresh_leaves_the_resource_unknown_never_recreated() {
    let h = Harness::new(SPEC);
    h.apply().await;
    h.cloud.fail(Op::Read, "cidr-block", "10.0.0.0/16");
    let plan = h.plan_default().await;
    let main = plan.change("network.main").unwrap();
    assert_eq!(main.action, Action::NoOp);
    assert!(
        main.refresh_error
            .as_deref()
            .unwrap()
            .contains("Throttling")
    );
    assert_eq!(plan.counts().unknown, 1);
    assert_eq!(
        plan.counts().create + plan.counts().replace + plan.counts().delete,
        0
    );
    assert!(plan.drift.is_empty());
    // Its dependents still plan from what the state knows of it.
    assert_eq!(action(&plan, "network.a"), Action::NoOp);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_is_shown_apart_and_apply_converges() {
    let h = Harness::new(SPEC);
    h.apply().await;
    let state = h.state();
    let vpc = state.resources["network.main"].id.clone();
    h.cloud.modify(
        &vpc,
        "tags",
        Value::Map([("Name".to_owned(), Value::from("changed"))].into()),
    );
    h.cloud.remove(&state.resources["network.a"].id);
    let plan = h.plan_default().await;
    assert_eq!(plan.drift.len(), 2, "{:#?}", plan.drift);
    let changed = plan
        .drift
        .iter()
        .find(|d| d.address == "network.main")
        .unwrap();
    assert_eq!(changed.kind, DriftKind::Changed);
    assert_eq!(changed.attributes[0].name, "tags");
    let gone = plan
        .drift
        .iter()
        .find(|d| d.address == "network.a")
        .unwrap();
    assert_eq!(gone.kind, DriftKind::Deleted);
    assert_eq!(action(&plan, "network.main"), Action::Update);
    assert_eq!(action(&plan, "network.a"), Action::Create);
    assert_eq!(action(&plan, "network.db"), Action::Update);

    let (_, report) = h.apply().await;
    assert!(report.is_success(), "{report:#?}");
    assert_state_matches_cloud(&h);
    let after = h.plan_default().await;
    assert!(!after.has_changes(), "{after:#?}");
    assert!(after.drift.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn target_brings_dependencies_and_exclude_takes_dependents() {
    let h = Harness::new(SPEC);
    let targeted = h
        .plan(PlanOptions {
            targets: vec!["network.a".into()],
            ..PlanOptions::default()
        })
        .await
        .unwrap();
    assert_eq!(planned(&targeted), ["network.a", "network.main"]);

    let excluded = h
        .plan(PlanOptions {
            excludes: vec!["network.db".into()],
            ..PlanOptions::default()
        })
        .await
        .unwrap();
    // storage depends on the whole network stack, so it waits too.
    assert_eq!(
        planned(&excluded),
        ["network.a", "network.b", "network.main"]
    );

    let (_, report) = h
        .apply_with(PlanOptions {
            targets: vec!["network.a".into()],
            ..PlanOptions::default()
        })
        .await;
    assert!(report.is_success());
    assert_eq!(
        addresses(&h.state()),
        ["network.a", "network.main"].map(String::from).into()
    );

    let unknown = h
        .plan(PlanOptions {
            targets: vec!["network.mian".into()],
            ..PlanOptions::default()
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), "plan::unknown_address");
    let Stop::Spec(failure) = unknown else {
        panic!()
    };
    let help = failure
        .diagnostics
        .iter()
        .next()
        .unwrap()
        .help
        .clone()
        .unwrap();
    assert!(help.contains("network.main"), "{help}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_skips_its_dependents_only_and_the_state_records_what_exists() {
    let h = Harness::new(SPEC);
    h.cloud.fail(Op::Create, "cidr-block", "10.0.0.0/24");
    let (_, report) = h.apply().await;
    let failed: Vec<_> = report.failed.iter().map(|f| f.address.as_str()).collect();
    assert_eq!(failed, ["network.a"]);
    let d = &report.failed[0].diagnostic;
    assert_eq!(d.code, "apply::create_failed");
    assert!(d.message.contains("InjectedFault"), "{}", d.message);
    assert_eq!(d.labels.len(), 1, "points at the resource in the spec");
    let mut skipped: Vec<_> = report
        .skipped
        .iter()
        .map(|s| (s.address.as_str(), s.because.as_str()))
        .collect();
    skipped.sort();
    assert_eq!(
        skipped,
        [("network.db", "network.a"), ("storage.site", "network.a")]
    );
    let mut succeeded: Vec<_> = report
        .succeeded
        .iter()
        .map(|s| s.address.as_str())
        .collect();
    succeeded.sort();
    assert_eq!(succeeded, ["network.b", "network.main"]);
    assert_eq!(
        addresses(&report.state),
        ["network.b", "network.main"].map(String::from).into()
    );
    assert_eq!(addresses(&h.state()), addresses(&report.state));
    assert_state_matches_cloud(&h);

    h.cloud.clear_faults();
    let (plan, report) = h.apply().await;
    assert_eq!(plan.counts().create, 3);
    assert!(report.is_success());
    assert!(!h.plan_default().await.has_changes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_panics_fails_its_operation_only_and_the_state_stays_valid() {
    let h = Harness::new(SPEC);
    h.cloud.panic_on(Op::Create, "cidr-block", "10.0.0.0/24");
    let (_, report) = h.apply().await;
    let failed: Vec<_> = report.failed.iter().map(|f| f.address.as_str()).collect();
    assert_eq!(failed, ["network.a"]);
    let message = &report.failed[0].diagnostic.message;
    assert!(message.contains("StrataBug"), "{message}");
    assert!(message.contains("injected panic in create"), "{message}");
    assert!(message.contains("bug in strata"), "{message}");
    // Independent work finished and was saved; the state file is valid and unlocked.
    assert_eq!(
        addresses(&h.state()),
        ["network.b", "network.main"].map(String::from).into()
    );
    assert_state_matches_cloud(&h);
    assert!(!h.store().lock_path().exists(), "the lock is released");

    // A read that panics leaves the resource unknown, never deleted or replaced.
    h.cloud.clear_faults();
    h.apply().await;
    h.cloud.panic_on(Op::Read, "cidr-block", "10.0.1.0/24");
    let plan = h.plan_default().await;
    let b = plan.change("network.b").unwrap();
    assert_eq!(b.action, Action::NoOp);
    assert!(
        b.refresh_error
            .as_deref()
            .is_some_and(|e| e.contains("the read panicked")),
        "{:?}",
        b.refresh_error
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_that_half_succeeds_is_recorded_tainted_and_replaced() {
    let h = Harness::new(SPEC);
    h.cloud.fail_after_create("bucket", "site");
    let (_, report) = h.apply().await;
    assert_eq!(report.failed.len(), 1);
    assert!(
        report.failed[0]
            .diagnostic
            .help
            .as_deref()
            .unwrap()
            .contains("tainted")
    );
    let record = h.state().resources["storage.site"].clone();
    assert_eq!(record.status, Status::Tainted);
    assert_eq!(h.cloud.ids("store.bucket"), vec![record.id.clone()]);
    assert_state_matches_cloud(&h);

    h.cloud.clear_faults();
    let plan = h.plan_default().await;
    let site = plan.change("storage.site").unwrap();
    assert_eq!(site.action, Action::Replace);
    assert_eq!(site.replace_reason, Some(ReplaceReason::Tainted));
    h.apply().await;
    let ids = h.cloud.ids("store.bucket");
    assert_eq!(ids.len(), 1);
    assert_ne!(ids[0], record.id);
    assert_eq!(h.state().resources["storage.site"].status, Status::Created);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_is_entered_as_pending_in_the_saved_state_before_the_call_is_made() {
    let h = std::sync::Arc::new(Harness::new(SPEC));
    h.cloud.set_delay(Duration::from_millis(400));
    let running = {
        let h = h.clone();
        tokio::spawn(async move { h.apply().await })
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let pending = loop {
        if let Ok(Some(state)) = h.store().load()
            && let Some(p) = state.pending.get("network.main")
        {
            break p.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no pending create was saved"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    // Saved while the call is still in flight: the cloud has made nothing yet.
    assert!(h.cloud.ids("net.vpc").is_empty());
    assert_eq!(pending.type_name, "net.vpc");
    assert!(pending.token.as_str().starts_with("strata-"));
    let (_, report) = running.await.unwrap();
    assert!(report.is_success(), "{report:#?}");
    assert!(h.state().pending.is_empty());
    assert_state_matches_cloud(&h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_whose_answer_is_lost_is_found_and_adopted_by_the_next_plan() {
    let h = Harness::new(SPEC);
    h.cloud.lose_create_answer("cidr-block", "10.0.0.0/16");
    let (_, report) = h.apply().await;
    assert_eq!(report.failed.len(), 1, "{report:#?}");
    let help = report.failed[0].diagnostic.help.clone().unwrap_or_default();
    assert!(help.contains("looks for it"), "{help}");
    // The cloud made the VPC; the state does not know its id, only the pending create.
    let made = h.cloud.ids("net.vpc");
    assert_eq!(made.len(), 1);
    let state = h.state();
    assert!(!state.resources.contains_key("network.main"));
    assert!(state.pending.contains_key("network.main"));

    h.cloud.clear_faults();
    let plan = h.plan_default().await;
    assert_eq!(plan.recovered.len(), 1);
    assert_eq!(plan.recovered[0].found.as_deref(), Some(made[0].as_str()));
    assert_eq!(action(&plan, "network.main"), Action::NoOp);
    assert_eq!(action(&plan, "network.a"), Action::Create);
    let human = strata_engine::render::human(&plan, false);
    assert!(
        human.contains(&format!(
            "found {} in the cloud: adopted into the state",
            made[0]
        )),
        "{human}"
    );
    // Planning wrote nothing.
    assert!(h.state().pending.contains_key("network.main"));

    let (_, report) = h.apply().await;
    assert!(report.is_success(), "{report:#?}");
    let state = h.state();
    assert!(state.pending.is_empty());
    assert_eq!(state.resources["network.main"].id, made[0]);
    assert_eq!(h.cloud.ids("net.vpc"), made, "no second VPC");
    assert_state_matches_cloud(&h);
    let plan = h.plan_default().await;
    assert!(!plan.has_changes(), "{plan:#?}");
    assert!(plan.recovered.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_create_that_never_reached_the_cloud_is_dropped_and_made() {
    let h = Harness::new(SPEC);
    let mut state = h.state();
    state.pending.insert(
        "network.main".into(),
        strata_engine::state::PendingCreate {
            type_name: "net.vpc".into(),
            token: CreateToken::new(),
            dependencies: Vec::new(),
            inputs: Default::default(),
        },
    );
    h.store().write(&mut state).unwrap();
    let plan = h.plan_default().await;
    assert_eq!(plan.recovered.len(), 1);
    assert_eq!(plan.recovered[0].found, None);
    assert_eq!(plan.recovered[0].error, None);
    assert_eq!(action(&plan, "network.main"), Action::Create);
    let (_, report) = h.apply().await;
    assert!(report.is_success(), "{report:#?}");
    assert!(h.state().pending.is_empty());
    assert_eq!(h.cloud.ids("net.vpc").len(), 1);
    assert_state_matches_cloud(&h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_create_strata_cannot_resolve_is_never_created_twice() {
    let h = Harness::new(SPEC);
    h.cloud.lose_create_answer("cidr-block", "10.0.0.0/16");
    h.apply().await;
    h.cloud.clear_faults();
    h.cloud.fail(Op::Find, "cidr-block", "10.0.0.0/16");
    let plan = h.plan_default().await;
    let error = plan.recovered[0].error.clone().unwrap_or_default();
    assert!(error.contains("rate exceeded"), "{error}");
    let main = plan.change("network.main").unwrap();
    assert!(
        main.refresh_error
            .as_deref()
            .is_some_and(|e| e.contains("cannot tell whether it reached the cloud")),
        "{main:#?}"
    );
    let (_, report) = h.apply().await;
    assert!(
        report.failed.iter().any(|f| f.address == "network.main"
            && f.diagnostic
                .message
                .contains("cannot tell whether it reached the cloud")),
        "{report:#?}"
    );
    assert_eq!(h.cloud.ids("net.vpc").len(), 1, "created only once");
    assert!(h.state().pending.contains_key("network.main"));

    // Once the cloud answers, the next plan adopts it.
    h.cloud.clear_faults();
    let (plan, report) = h.apply().await;
    assert_eq!(
        plan.recovered[0].found.as_deref(),
        Some(h.cloud.ids("net.vpc")[0].as_str())
    );
    assert!(report.is_success(), "{report:#?}");
    assert_eq!(h.cloud.ids("net.vpc").len(), 1);
    assert_state_matches_cloud(&h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_finds_and_deletes_what_an_interrupted_create_made() {
    let h = Harness::new(SPEC);
    h.cloud.lose_create_answer("cidr-block", "10.0.0.0/16");
    h.apply().await;
    h.cloud.clear_faults();
    assert_eq!(h.cloud.ids("net.vpc").len(), 1);
    let (plan, report) = h.destroy().await;
    assert_eq!(plan.recovered.len(), 1);
    assert!(report.is_success(), "{report:#?}");
    assert!(
        h.cloud.ids("net.vpc").is_empty(),
        "the adopted VPC is deleted"
    );
    assert_eq!(h.cloud.count(), 0);
    let state = h.state();
    assert!(state.pending.is_empty() && state.resources.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellation_stops_new_work_and_saves_what_finished() {
    let h = Harness::new(SPEC);
    h.cloud.set_delay(Duration::from_millis(50));
    // Ctrl-C while the second operation is in flight.
    let outcome = h
        .run_cancelling(
            PlanKind::Apply,
            PlanSource::Fresh(PlanOptions::default()),
            1,
            &Cancel::new(),
            2,
        )
        .await
        .unwrap();
    let Outcome::Applied(_, report) = outcome else {
        panic!("{outcome:?}")
    };
    let report = *report;
    assert!(report.cancelled);
    assert!(!report.not_started.is_empty(), "{report:#?}");
    assert!(report.failed.is_empty());
    // The operation in flight when Ctrl-C came finished and was saved.
    assert_eq!(report.succeeded.len(), 2, "{report:#?}");
    assert_eq!(h.state().resources.len(), 2);
    assert_state_matches_cloud(&h);
    assert!(h.event_lines().iter().any(|l| l.starts_with("cancelling")));
    assert!(
        h.store().lock_holder().unwrap().is_none(),
        "the lock is released"
    );

    h.cloud.set_delay(Duration::ZERO);
    let (plan, report) = h.apply().await;
    assert_eq!(plan.counts().create, 3);
    assert!(report.is_success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_plan_applies_exactly_and_a_stale_one_is_refused() {
    let h = Harness::new(SPEC);
    // Through JSON, as `plan --out` and `apply FILE` do.
    let saved = h.plan_default().await;
    let saved: strata_engine::plan::Plan =
        serde_json::from_str(&serde_json::to_string(&saved).unwrap()).unwrap();
    let outcome = h.apply_saved(saved).await.unwrap();
    assert!(matches!(outcome, Outcome::Applied(_, ref r) if r.is_success()));
    assert!(!h.plan_default().await.has_changes());

    // The state moves on after the plan was made.
    h.write(&SPEC.replace("tags Name=main", "tags Name=one"));
    let stale = h.plan_default().await;
    h.write(&SPEC.replace("tags Name=main", "tags Name=two"));
    h.apply().await;
    let err = h.apply_saved(stale).await.unwrap_err();
    let Stop::StalePlan(why) = &err else {
        panic!("{err:?}")
    };
    assert!(
        why.contains("the state changed since the plan was made"),
        "{why}"
    );

    // The spec changes after the plan was made.
    h.write(&SPEC.replace("tags Name=main", "tags Name=three"));
    let planned = h.plan_default().await;
    h.write(&SPEC.replace("tags Name=main", "tags Name=four"));
    let err = h.apply_saved(planned).await.unwrap_err();
    let Stop::StalePlan(why) = &err else {
        panic!("{err:?}")
    };
    assert!(
        why.contains("desired values of `network.main` changed"),
        "{why}"
    );
    let tags = h
        .cloud
        .get(&h.state().resources["network.main"].id)
        .unwrap()["tags"]
        .clone();
    assert_eq!(tags.to_string(), "{Name=\"two\"}", "nothing was applied");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_apply_fails_at_once_naming_the_lock_holder() {
    let h = Harness::new(SPEC);
    let guard = h.store().lock("apply").unwrap();
    let err = h
        .run(
            PlanKind::Apply,
            PlanSource::Fresh(PlanOptions::default()),
            4,
            &Cancel::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "state::locked");
    let Stop::State(e) = &err else { panic!() };
    let message = e.to_string();
    assert!(
        message.contains(guard.id()) || message.contains(&std::process::id().to_string()),
        "{message}"
    );
    assert_eq!(h.cloud.count(), 0);
    drop(guard);
    let (_, report) = h.apply().await;
    assert!(report.is_success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_or_foreign_state_is_refused_and_left_untouched() {
    let h = Harness::new(SPEC);
    std::fs::create_dir_all(h.state_path().parent().unwrap()).unwrap();
    for (content, code) in [
        ("{\"format_version\": 1, \"lineage\": ", "state::corrupt"),
        (
            "{\"version\": 4, \"terraform_version\": \"1.9.0\", \"resources\": []}",
            "state::not_strata",
        ),
        ("{\"format_version\": 99}", "state::unknown_version"),
    ] {
        std::fs::write(h.state_path(), content).unwrap();
        let err = h.plan(PlanOptions::default()).await.unwrap_err();
        assert_eq!(err.code(), code);
        let err = h
            .run(
                PlanKind::Apply,
                PlanSource::Fresh(PlanOptions::default()),
                4,
                &Cancel::new(),
            )
            .await
            .unwrap_err();
        assert_eq!(err.code(), code);
        assert_eq!(std::fs::read_to_string(h.state_path()).unwrap(), content);
        assert!(!h.store().backup_path().exists());
        assert_eq!(h.cloud.count(), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sensitive_values_never_reach_the_state_or_the_plan() {
    let h = Harness::new(SPEC);
    let (plan, _) = h.apply().await;
    let secret = "hunter2-very-secret";
    let plan_json = serde_json::to_string(&plan).unwrap();
    assert!(!plan_json.contains(secret));
    let site = plan.change("storage.site").unwrap();
    let password = site
        .attributes
        .iter()
        .find(|a| a.name == "password")
        .unwrap();
    assert_eq!(password.after, Shown::Sensitive);

    let text = std::fs::read_to_string(h.state_path()).unwrap();
    assert!(!text.contains(secret));
    assert!(h.state().resources["storage.site"].inputs["password"].is_sensitive());
    let mode = std::fs::metadata(h.state_path())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    // The cloud did get the value.
    let bucket = h
        .cloud
        .get(&h.state().resources["storage.site"].id)
        .unwrap();
    assert_eq!(bucket["password"], Value::from(secret));

    // Unchanged secret: no change (the digest matches); changed: an update, still hidden.
    assert!(!h.plan_default().await.has_changes());
    std::fs::write(
        h.root().join("env/test.kdl"),
        support::harness::ENV.replace(secret, "another-secret-value"),
    )
    .unwrap();
    let plan = h.plan_default().await;
    let site = plan.change("storage.site").unwrap();
    assert_eq!(site.action, Action::Update);
    assert_eq!(site.attributes[0].before, Shown::Sensitive);
    assert_eq!(site.attributes[0].after, Shown::Sensitive);
    assert!(
        !serde_json::to_string(&plan)
            .unwrap()
            .contains("another-secret-value")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sensitive_lookup_result_reaches_dependents_but_never_the_state() {
    let h = Harness::new(
        r#"
variable secret type=string sensitive=#true
stack storage {
    lookup vault.secret db { name "db" }
    store.bucket site {
        bucket "site"
        password (ref)"db.value"
    }
}
"#,
    );
    let secret = "db-s3cr3t-from-vault";
    let (plan, report) = h.apply().await;
    assert!(report.is_success());
    assert!(!serde_json::to_string(&plan).unwrap().contains(secret));
    assert!(!format!("{plan:?}").contains(secret));
    let bucket = h
        .cloud
        .get(&h.state().resources["storage.site"].id)
        .unwrap();
    assert_eq!(bucket["password"], Value::from(secret));
    let text = std::fs::read_to_string(h.state_path()).unwrap();
    assert!(
        !text.contains(secret),
        "the state holds the lookup's secret"
    );
    assert!(h.state().resources["storage.db"].outputs["value"].is_sensitive());

    // Re-planning, with or without a refresh, knows the value: nothing to do, and the
    // state is not rewritten with a new digest of the same secret.
    let serial = h.state().serial;
    assert!(!h.plan_default().await.has_changes());
    let no_refresh = PlanOptions {
        refresh: false,
        ..PlanOptions::default()
    };
    assert!(!h.plan(no_refresh.clone()).await.unwrap().has_changes());

    // A saved plan (serialised, as `plan --out` writes it) still hands the value over.
    h.write(
        r#"
variable secret type=string sensitive=#true
stack storage {
    lookup vault.secret db { name "db" }
    store.bucket site {
        bucket "site"
        password (ref)"db.value"
        versioning #true
    }
}
"#,
    );
    let plan = h.plan(no_refresh).await.unwrap();
    assert_eq!(action(&plan, "storage.site"), Action::Update);
    let saved: strata_engine::plan::Plan =
        serde_json::from_str(&serde_json::to_string(&plan).unwrap()).unwrap();
    assert!(saved.lookup_values.0.is_empty());
    match h.apply_saved(saved).await.expect("the saved plan applies") {
        Outcome::Applied(_, report) => assert!(report.is_success()),
        other => panic!("expected an apply, got {other:?}"),
    }
    let bucket = h
        .cloud
        .get(&h.state().resources["storage.site"].id)
        .unwrap();
    assert_eq!(bucket["password"], Value::from(secret));
    assert_eq!(bucket["versioning"], Value::Bool(true));
    assert!(h.state().serial > serial);
    assert!(
        !std::fs::read_to_string(h.state_path())
            .unwrap()
            .contains(secret)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_document_rewritten_with_the_same_meaning_is_no_change() {
    let spec = |policy: &str| {
        format!(
            r#"
variable secret type=string sensitive=#true
stack storage {{
    store.policy p {{
        bucket "site"
        policy "{policy}"
    }}
}}
"#
        )
    };
    let h = Harness::new(&spec(
        r#"{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\"}]}"#,
    ));
    h.apply().await;
    h.write(&spec(
        r#"{\"Statement\":[{\"Effect\":\"Allow\"}],\"Version\":\"2012-10-17\"}"#,
    ));
    let plan = h.plan_default().await;
    assert!(
        !plan.has_changes(),
        "{}",
        strata_engine::render::human(&plan, false)
    );
    h.write(&spec(
        r#"{\"Statement\":[{\"Effect\":\"Deny\"}],\"Version\":\"2012-10-17\"}"#,
    ));
    assert_eq!(action(&h.plan_default().await, "storage.p"), Action::Update);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_changed_outside_strata_is_never_shown_or_stored_in_plain() {
    let h = Harness::new(
        r#"
variable secret type=string sensitive=#true
stack storage {
    store.bucket site {
        bucket "site"
        tags Owner="${var.secret}"
    }
}
"#,
    );
    h.apply().await;
    let id = h.state().resources["storage.site"].id.clone();
    assert!(h.state().resources["storage.site"].inputs["tags"].is_sensitive());
    // Someone rotates the value in the console.
    let rotated = "rotated-in-the-console-0042";
    h.cloud.modify(
        &id,
        "tags",
        Value::Map([("Owner".to_owned(), Value::from(rotated))].into()),
    );
    let plan = h.plan_default().await;
    assert!(!plan.drift.is_empty(), "the change is drift");
    let drifted = &plan.drift[0].attributes[0];
    assert_eq!(
        (&drifted.before, &drifted.after),
        (&Shown::Sensitive, &Shown::Sensitive)
    );
    let site = plan.change("storage.site").unwrap();
    assert_eq!(site.action, Action::Update);
    assert_eq!(site.attributes[0].before, Shown::Sensitive);
    for text in [
        serde_json::to_string(&plan).unwrap(),
        strata_engine::render::human(&plan, false),
        strata_engine::render::markdown(&plan),
        serde_json::to_string(&strata_engine::render::json(&plan)).unwrap(),
    ] {
        assert!(!text.contains(rotated) && !text.contains("hunter2-very-secret"));
    }
    h.apply().await;
    let file = std::fs::read_to_string(h.state_path()).unwrap();
    assert!(
        !file.contains(rotated),
        "the rotated value reached the state"
    );
    assert!(!file.contains("hunter2-very-secret"));
    assert_eq!(
        h.cloud.get(&id).unwrap()["tags"],
        Value::Map([("Owner".to_owned(), Value::from("hunter2-very-secret"))].into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_deletes_everything_dependents_first() {
    let h = Harness::new(SPEC);
    h.apply().await;
    h.cloud.clear_log();
    let (plan, report) = h.destroy().await;
    assert_eq!(plan.counts().delete, 5);
    assert!(report.is_success(), "{report:#?}");
    let log = h.cloud.log();
    let bucket = position(&log, &["delete store.bucket"]);
    let group = position(&log, &["delete net.group"]);
    let subnet = position(&log, &["delete net.subnet"]);
    let vpc = position(&log, &["delete net.vpc"]);
    assert!(bucket < group && group < subnet && subnet < vpc, "{log:#?}");
    assert_eq!(h.cloud.count(), 0);
    let state = h.state();
    assert!(state.resources.is_empty());
    assert!(state.outputs.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallelism_bounds_operations_in_flight() {
    let mut spec = String::from("variable secret type=string\nstack many {\n");
    for i in 0..12 {
        spec.push_str(&format!(
            "    net.vpc v{i} {{\n        cidr-block \"10.{i}.0.0/16\"\n    }}\n"
        ));
    }
    spec.push_str("}\n");
    let h = Harness::new(&spec);
    h.cloud.set_delay(Duration::from_millis(30));
    let outcome = h
        .run(
            PlanKind::Apply,
            PlanSource::Fresh(PlanOptions::default()),
            3,
            &Cancel::new(),
        )
        .await
        .unwrap();
    assert!(matches!(outcome, Outcome::Applied(_, ref r) if r.is_success()));
    assert_eq!(h.cloud.max_in_flight(), 3);
}

/// A spec of `n` independent resources.
fn many_vpcs(n: usize) -> String {
    let mut spec = String::from("variable secret type=string\nstack many {\n");
    for i in 0..n {
        spec.push_str(&format!(
            "    net.vpc v{i} {{\n        cidr-block \"10.{}.{}.0/24\"\n    }}\n",
            i / 256,
            i % 256
        ));
    }
    spec.push_str("}\n");
    spec
}

// A cloud that serves 4 calls at once and throttles the rest: a walk at a fixed 16
// would have every call beyond the fourth throttled and retried, over and over (more
// throttles than calls); the paced walks halve their concurrency on throttling and
// settle near what the cloud accepts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_slows_down_when_the_cloud_throttles() {
    const N: usize = 400;
    let h = Harness::new(&many_vpcs(N));
    let outcome = h
        .run(
            PlanKind::Apply,
            PlanSource::Fresh(PlanOptions::default()),
            16,
            &Cancel::new(),
        )
        .await
        .unwrap();
    assert!(matches!(outcome, Outcome::Applied(_, ref r) if r.is_success()));
    h.cloud.throttle_calls_above(4, Duration::from_millis(1));
    let plan = h
        .plan(PlanOptions {
            parallelism: 16,
            ..PlanOptions::default()
        })
        .await
        .expect("plan");
    assert!(plan.changes.iter().all(|c| c.action == Action::NoOp));
    assert!(plan.changes.iter().all(|c| c.refresh_error.is_none()));
    let pace = plan
        .refresh_pace
        .expect("a refreshed plan says how it paced");
    let throttled = h.cloud.throttled();
    assert_eq!(pace.throttled as usize, throttled);
    assert!(pace.cuts >= 2, "16 → 8 → 4 at least: {pace:?}");
    assert!(pace.lowest <= 4, "{pace:?}");
    assert!(
        throttled < N / 4,
        "{throttled} of {N} reads throttled: the refresh did not slow down ({pace:?})"
    );
    assert!(h.cloud.max_served() <= 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_slows_down_when_the_cloud_throttles() {
    const N: usize = 200;
    let h = Harness::new(&many_vpcs(N));
    h.cloud.throttle_calls_above(4, Duration::from_millis(1));
    let outcome = h
        .run(
            PlanKind::Apply,
            PlanSource::Fresh(PlanOptions {
                refresh: false,
                ..PlanOptions::default()
            }),
            16,
            &Cancel::new(),
        )
        .await
        .unwrap();
    let Outcome::Applied(_, report) = outcome else {
        panic!("applied")
    };
    assert!(report.is_success());
    assert_eq!(report.succeeded.len(), N);
    let throttled = h.cloud.throttled();
    assert_eq!(report.pace.throttled as usize, throttled);
    assert!(report.pace.lowest <= 4, "{:?}", report.pace);
    assert!(
        throttled < N / 2,
        "{throttled} of {N} creates throttled: the apply did not slow down ({:?})",
        report.pace
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_adopts_an_existing_resource() {
    let h = Harness::new(SPEC);
    let vpc_type = h.registry.resource("net.vpc").unwrap().clone();
    let desired = [
        ("cidr-block".to_owned(), Value::from("10.0.0.0/16")),
        ("enable-dns".to_owned(), Value::from(true)),
        (
            "tags".to_owned(),
            Value::Map([("Name".to_owned(), Value::from("main"))].into()),
        ),
    ]
    .into();
    let existing = vpc_type
        .create(&desired, &CreateToken::new())
        .await
        .unwrap();
    let record = strata_engine::workflow::import(
        &h.spec(),
        &h.registry,
        &h.checked_store(),
        "network.main",
        &existing.id,
    )
    .await
    .unwrap();
    assert_eq!(record.id, existing.id);
    let plan = h.plan_default().await;
    assert_eq!(action(&plan, "network.main"), Action::NoOp);
    assert_eq!(plan.counts().create, 4);

    let again = strata_engine::workflow::import(
        &h.spec(),
        &h.registry,
        &h.store(),
        "network.main",
        "vpc-9",
    )
    .await
    .unwrap_err();
    assert_eq!(again.code(), "import::already_managed");
    let missing = strata_engine::workflow::import(
        &h.spec(),
        &h.registry,
        &h.store(),
        "network.b",
        "subnet-404",
    )
    .await
    .unwrap_err();
    assert_eq!(missing.code(), "import::not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_saves_to_the_journal_and_leaves_one_state_file() {
    let h = Harness::new(SPEC);
    let store = h.store();
    let (_, report) = h.apply().await;
    assert!(report.is_success(), "{report:#?}");
    // Every save after the first was a journal line; the run's end folded them in.
    assert!(
        !store.journal_path().exists(),
        "a clean run leaves no journal"
    );
    let after_first = h.state();
    assert_eq!(after_first, report.state);

    // The backup is the state as it was before the run.
    h.write(&SPEC.replace("10.0.1.0/24", "10.0.2.0/24"));
    let (_, report) = h.apply().await;
    assert!(report.is_success(), "{report:#?}");
    assert!(!store.journal_path().exists());
    let backup = LocalStore::new(store.backup_path(), "test")
        .load()
        .unwrap()
        .unwrap();
    assert_eq!(backup, after_first);
    assert!(h.state().serial > after_first.serial);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_reader_sees_the_saves_in_the_journal() {
    let h = Harness::new(SPEC);
    h.apply().await;
    // A run killed after these saves: they are only in the journal.
    let store = h.store();
    let mut state = store.load().unwrap().unwrap();
    let mut changed = Changed::new();
    state.resources.remove("network.b");
    changed.resource("network.b");
    store.save(&mut state, &changed).unwrap();
    assert!(store.journal_path().exists());

    assert!(!h.state().resources.contains_key("network.b"));
    let plan = h.plan_default().await;
    assert_eq!(action(&plan, "network.b"), Action::Create, "{plan:#?}");
    // The next run goes on from there and folds the journal in.
    let (_, report) = h.apply().await;
    assert!(report.is_success(), "{report:#?}");
    assert!(!store.journal_path().exists());
    assert!(h.state().resources.contains_key("network.b"));
}

/// The real store, refusing every save from the `fail_at`-th on (a full disk).
struct FailingSink {
    store: LocalStore,
    saves: std::sync::atomic::AtomicUsize,
    fail_at: usize,
}

impl StateSink for FailingSink {
    fn save(
        &self,
        state: &mut State,
        changed: &Changed,
    ) -> Result<(), strata_engine::workflow::BoxedDiagnostic> {
        let n = self.saves.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if n + 1 >= self.fail_at {
            return Err(Box::new(strata_state::StateError::Io {
                action: "append to the state journal",
                path: self.store.journal_path(),
                error: std::io::ErrorKind::StorageFull.into(),
            }));
        }
        StateSink::save(&self.store, state, changed)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_a_save_fails_nothing_more_starts_and_the_saved_state_knows_all_the_cloud_holds() {
    for fail_at in 1..=6 {
        let h = Harness::new(SPEC);
        let spec = h.spec();
        let graph = DepGraph::build(&spec);
        let state = State::new("test");
        let plan =
            strata_engine::plan::plan(&spec, &graph, &h.registry, &state, &PlanOptions::default())
                .await
                .unwrap();
        let sink = FailingSink {
            store: h.store(),
            saves: Default::default(),
            fail_at,
        };
        let report = strata_engine::apply::apply(
            &plan,
            &spec,
            &graph,
            &h.registry,
            state,
            &sink,
            &ApplyOptions { parallelism: 4 },
            &Cancel::new(),
            &|_| {},
        )
        .await;
        assert!(
            report.state_error.is_some(),
            "fail at {fail_at}: {report:#?}"
        );
        assert!(!report.is_success());
        assert!(
            !report.not_started.is_empty() || !report.failed.is_empty(),
            "fail at {fail_at}: {report:#?}"
        );
        // Whatever the cloud made, the last saved state has its record or its pending
        // create: a create never starts before its pending entry is saved.
        let saved = h
            .store()
            .load()
            .unwrap()
            .unwrap_or_else(|| State::new("test"));
        let known: BTreeSet<String> = saved.resources.values().map(|r| r.id.clone()).collect();
        for ty in ["net.vpc", "net.subnet", "net.group"] {
            let unknown = h
                .cloud
                .ids(ty)
                .into_iter()
                .filter(|id| !known.contains(id))
                .count();
            let pending = saved.pending.values().filter(|p| p.type_name == ty).count();
            assert!(
                unknown <= pending,
                "fail at {fail_at}: {unknown} {ty} unknown to the saved state, {pending} pending"
            );
        }
    }
}
