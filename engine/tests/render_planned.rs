//! The renderers on plans made by the real planner against the in-memory cloud (the
//! snapshot fixtures are written by hand; these check that what the planner produces
//! renders as the fixtures assume): a first plan, then a plan with a replacement, an
//! update, a rotated secret, drift and a failed refresh. A sensitive variable's value
//! flows into the spec, and no rendering may ever show it.

mod support;

use strata_engine::Value;
use strata_engine::plan::Plan;
use strata_engine::render;
use support::harness::{ENV, Harness};
use support::memory::Op;

const SECRET: &str = "hunter2-very-secret";
const ROTATED: &str = "rotated-secret-value";

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
    output vpc-id (ref)"main.id"
}
stack storage depends-on=network {
    store.bucket site {
        bucket "site"
        password (var)secret
    }
}
"#;

/// The three renderings, each checked to hold no secret and the sensitive marker.
fn rendered(plan: &Plan) -> (String, String, String) {
    let human = render::human(plan, false);
    let json = serde_json::to_string_pretty(&render::json(plan)).expect("json");
    let markdown = render::markdown(plan);
    for (format, text) in [("human", &human), ("json", &json), ("markdown", &markdown)] {
        for secret in [SECRET, ROTATED] {
            assert!(!text.contains(secret), "{format} shows a secret:\n{text}");
        }
    }
    assert!(human.contains("(sensitive)"), "{human}");
    assert!(markdown.contains("(sensitive)"), "{markdown}");
    assert!(json.contains("\"sensitive\""), "{json}");
    (human, json, markdown)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_plan_lists_every_create() {
    let h = Harness::new(SPEC);
    let plan = h.plan_default().await;
    let (human, json, markdown) = rendered(&plan);
    assert!(
        human.contains("Stack network:\n\n  + network.a (net.subnet)\n"),
        "{human}"
    );
    assert!(
        human.contains("      vpc-id: (known after apply)\n"),
        "{human}"
    );
    assert!(
        human.contains("  + storage.site (store.bucket)\n"),
        "{human}"
    );
    assert!(human.contains("      password: (sensitive)\n"), "{human}");
    assert!(
        human.contains("  + network.vpc-id: (known after apply)\n"),
        "{human}"
    );
    assert!(
        human.ends_with("Plan: 4 to add, 0 to change, 0 to replace, 0 to destroy.\n"),
        "{human}"
    );
    assert!(json.contains("\"kind\": \"plan\""));
    assert!(!markdown.contains("[!WARNING]"), "{markdown}");
    assert!(
        markdown.contains("| `network` | 3 | 0 | 0 | 0 |"),
        "{markdown}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_plan_shows_replacement_drift_and_a_failed_refresh() {
    let h = Harness::new(SPEC);
    h.apply().await;
    let state = h.state();
    h.cloud.modify(
        &state.resources["network.main"].id,
        "tags",
        Value::Map([("Name".to_owned(), Value::from("changed"))].into()),
    );
    h.cloud.fail(Op::Read, "cidr-block", "10.0.1.0/24");
    h.write(&SPEC.replace("10.0.0.0/24", "10.0.8.0/24"));
    std::fs::write(h.root().join("env/test.kdl"), ENV.replace(SECRET, ROTATED)).unwrap();

    let plan = h.plan_default().await;
    let (human, json, markdown) = rendered(&plan);
    assert!(
        human.starts_with(concat!(
            "Changes outside strata (state → cloud):\n\n",
            "  ~ network.main (net.vpc)\n",
            "      tags: {Name=\"main\"} → {Name=\"changed\"}\n",
        )),
        "{human}"
    );
    assert!(
        human.contains(concat!(
            "-/+ network.a (net.subnet)\n",
            "      # forces replacement: cidr-block\n",
        )),
        "{human}"
    );
    assert!(
        human.contains(
            "      cidr-block: \"10.0.0.0/24\" → \"10.0.8.0/24\"  # forces replacement\n"
        ),
        "{human}"
    );
    assert!(
        human.contains("  ? network.b (net.subnet)\n      ? refresh failed: "),
        "{human}"
    );
    assert!(
        human.contains("      password: (sensitive) → (sensitive)\n"),
        "{human}"
    );
    let c = plan.counts();
    assert!(human.contains(&render::summary_line(&plan)));
    assert!(json.contains(&format!("\"replace\": {}", c.replace)));
    assert!(
        markdown
            .contains("> - replace `network.a` (`net.subnet`): forces replacement: `cidr-block`"),
        "{markdown}"
    );
    assert!(
        markdown.contains("**1 resource could not be read from the cloud.**"),
        "{markdown}"
    );
}
