//! Behaviour of the renderers that snapshots alone do not pin down: the sensitive marker
//! in every format, colour being only decoration, escaping, layout of large values.

use std::collections::BTreeMap;

use super::layout::{KeyChange, WIDTH, block, change_block, map_changes};
use super::*;
use crate::plan::{AttrDiff, Drift, ReplaceReason, Shown, Snapshot};
use crate::state::Mode;
use crate::value::Value;

fn plan(changes: Vec<Change>) -> Plan {
    Plan {
        kind: PlanKind::Apply,
        environment: "dev".into(),
        base: Some(Snapshot {
            lineage: "0b6f3c52-3f0e-4a57-9d51-7d0a8f1b2c3d".into(),
            serial: 3,
        }),
        refreshed: true,
        changes,
        drift: Vec::new(),
        outputs: Vec::new(),
        refreshed_records: BTreeMap::new(),
        recovered: Vec::new(),
        request: Default::default(),
        lookup_values: Default::default(),
        refresh_pace: None,
    }
}

fn change(address: &str, type_name: &str, action: Action, attributes: Vec<AttrDiff>) -> Change {
    Change {
        address: address.into(),
        stack: address.split('.').next().unwrap_or_default().into(),
        type_name: type_name.into(),
        mode: Mode::Managed,
        action,
        replace_reason: None,
        create_before_destroy: false,
        id: (action != Action::Create).then(|| format!("id-{address}")),
        deposed: None,
        attributes,
        refresh_error: None,
        depends_on: Vec::new(),
        fingerprint: None,
        canonical: None,
    }
}

fn attr(name: &str, before: Shown, after: Shown) -> AttrDiff {
    AttrDiff {
        name: name.into(),
        before,
        after,
        forces_replacement: false,
    }
}

fn known(v: impl Into<Value>) -> Shown {
    Shown::Known(v.into())
}

fn strings(items: &[&str]) -> Value {
    Value::List(items.iter().map(|s| Value::from(*s)).collect())
}

/// A plan with a `Shown::Sensitive` in every place a value can be: created, updated
/// (both sides), replaced, deleted, drifted (both sides), outputs (both sides).
fn sensitive_plan() -> (Plan, usize) {
    let mut replaced = change(
        "data.db",
        "rds.instance",
        Action::Replace,
        vec![
            attr("master-password", Shown::Sensitive, Shown::Sensitive),
            AttrDiff {
                forces_replacement: true,
                ..attr("engine", known("postgres"), known("mysql"))
            },
        ],
    );
    replaced.replace_reason = Some(ReplaceReason::ForceNew {
        attributes: vec!["engine".into()],
    });
    let mut p = plan(vec![
        change(
            "data.secret",
            "secrets.secret",
            Action::Create,
            vec![attr("value", Shown::Absent, Shown::Sensitive)],
        ),
        change(
            "data.token",
            "ssm.parameter",
            Action::Update,
            vec![attr("value", Shown::Sensitive, Shown::Sensitive)],
        ),
        replaced,
        change(
            "data.old",
            "ssm.parameter",
            Action::Delete,
            vec![attr("value", Shown::Sensitive, Shown::Absent)],
        ),
    ]);
    p.drift.push(Drift {
        address: "data.token".into(),
        stack: "data".into(),
        type_name: "ssm.parameter".into(),
        kind: DriftKind::Changed,
        attributes: vec![attr("value", Shown::Sensitive, Shown::Sensitive)],
    });
    p.outputs.push(OutputChange {
        name: "data.password".into(),
        action: Action::Update,
        before: Shown::Sensitive,
        after: Shown::Sensitive,
    });
    // Created 1, updated 2, replaced 2, deleted 1, drift 2, output 2.
    (p, 10)
}

#[test]
fn every_sensitive_value_renders_as_the_marker_in_every_format() {
    let (p, n) = sensitive_plan();
    let human = human(&p, false);
    assert_eq!(human.matches("(sensitive)").count(), n, "{human}");
    assert!(human.contains("      master-password: (sensitive) → (sensitive)\n"));
    assert!(human.contains("      value: (sensitive)\n"));

    let md = markdown(&p);
    assert_eq!(md.matches("(sensitive)").count(), n, "{md}");
    assert!(md.contains("- master-password: (sensitive)\n+ master-password: (sensitive)\n"));

    let doc = serde_json::to_value(json(&p)).unwrap();
    let mut markers = 0;
    let mut values = Vec::new();
    for attrs in doc["changes"]
        .as_array()
        .into_iter()
        .chain(doc["drift"].as_array())
        .flatten()
        .map(|c| c["attributes"].as_array().cloned().unwrap_or_default())
    {
        values.extend(
            attrs
                .iter()
                .flat_map(|a| [a["before"].clone(), a["after"].clone()]),
        );
    }
    for o in doc["outputs"].as_array().into_iter().flatten() {
        values.extend([o["before"].clone(), o["after"].clone()]);
    }
    for v in &values {
        if v == "sensitive" {
            markers += 1;
        } else {
            // Every other value is one of the three other encodings.
            assert!(
                v == "absent" || v == "unknown" || v.get("known").is_some(),
                "unexpected value encoding {v}"
            );
        }
    }
    assert_eq!(markers, n, "{doc:#}");
}

#[test]
fn colour_is_decoration_only() {
    let (p, _) = sensitive_plan();
    let plain = human(&p, false);
    let coloured = human(&p, true);
    assert!(!plain.contains('\x1b'));
    assert!(coloured.contains("\x1b[35m-/+\x1b[0m data.db (rds.instance)"));
    assert!(coloured.contains("\x1b[31m# forces replacement\x1b[0m"));
    assert_eq!(strip_ansi(&coloured), plain);
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn summary_lines() {
    let mut p = plan(vec![
        change("a.x", "t", Action::Create, Vec::new()),
        change("a.y", "t", Action::Delete, Vec::new()),
        change("a.z", "t", Action::NoOp, Vec::new()),
    ]);
    assert_eq!(
        summary_line(&p),
        "Plan: 1 to add, 0 to change, 0 to replace, 1 to destroy."
    );
    p.changes.retain(|c| c.action == Action::NoOp);
    assert_eq!(
        summary_line(&p),
        "No changes. The infrastructure matches the spec."
    );
    let drifted = |kind| Drift {
        address: "a.z".into(),
        stack: "a".into(),
        type_name: "t".into(),
        kind,
        attributes: Vec::new(),
    };
    p.drift.push(drifted(DriftKind::Changed));
    assert_eq!(
        summary_line(&p),
        "No changes. The infrastructure matches the spec (1 resource changed outside strata)."
    );
    p.drift.push(drifted(DriftKind::Deleted));
    assert_eq!(
        summary_line(&p),
        "No changes. The infrastructure matches the spec (2 resources changed or deleted outside strata)."
    );
    p.outputs.push(OutputChange {
        name: "a.out".into(),
        action: Action::Create,
        before: Shown::Absent,
        after: Shown::Unknown,
    });
    assert_eq!(
        summary_line(&p),
        "Plan: 0 to add, 0 to change, 0 to replace, 0 to destroy."
    );
    let mut empty = plan(Vec::new());
    empty.kind = PlanKind::Destroy;
    assert_eq!(
        summary_line(&empty),
        "No changes. There is nothing to destroy."
    );
}

#[test]
fn text_from_the_plan_cannot_inject_escapes_or_lines() {
    let mut c = change("a.x\x1b[2J", "t", Action::NoOp, Vec::new());
    c.refresh_error = Some("denied\n\x1b[31mfake line".into());
    let mut tags = BTreeMap::new();
    tags.insert("k\x1b]0;title\x07".to_owned(), Value::from("v"));
    c.attributes = vec![attr("tags", Shown::Absent, Shown::Known(Value::Map(tags)))];
    let p = plan(vec![c]);
    for text in [human(&p, false), markdown(&p)] {
        assert!(!text.contains('\x1b'), "{text}");
        assert!(!text.contains('\x07'), "{text}");
        assert!(
            text.contains(r"refresh failed: denied\n\u{1b}[31mfake line"),
            "{text}"
        );
    }
}

#[test]
fn large_values_are_laid_out_one_entry_per_line() {
    assert_eq!(block(&strings(&["a", "b"]), 6, 20), vec![r#"["a", "b"]"#]);
    let long: Vec<String> = (0..12).map(|i| format!("subnet-{i:08}")).collect();
    let long = Value::List(long.into_iter().map(Value::from).collect());
    let lines = block(&long, 6, 20);
    assert_eq!(lines.len(), 14);
    assert_eq!(lines[0], "[");
    assert_eq!(lines[1], r#"          "subnet-00000000","#);
    assert_eq!(lines[13], "      ]");
    assert!(lines.iter().all(|l| l.chars().count() <= WIDTH));

    let mut map = BTreeMap::new();
    map.insert("subnets".to_owned(), long.clone());
    map.insert("name".to_owned(), Value::from("db"));
    let lines = block(&Value::Map(map), 0, 10);
    assert_eq!(lines[0], "{");
    assert_eq!(lines[1], r#"    name = "db""#);
    assert_eq!(lines[2], "    subnets = [");
    assert_eq!(lines[3], r#"        "subnet-00000000","#);
    assert_eq!(lines.last().map(String::as_str), Some("}"));

    let lines = change_block(&Shown::Absent, &Shown::Known(long), 0, 10);
    assert_eq!(lines[0], "(unset) → [");
}

#[test]
fn a_large_map_change_shows_the_keys_that_differ() {
    let before: BTreeMap<String, Value> = (0..10)
        .map(|i| (format!("VARIABLE_{i}"), Value::from(format!("value-{i}"))))
        .collect();
    let mut after = before.clone();
    after.insert("VARIABLE_3".into(), Value::from("changed"));
    after.remove("VARIABLE_7");
    after.insert("ADDED".into(), Value::from("new"));
    let (b, a) = (
        Shown::Known(Value::Map(before)),
        Shown::Known(Value::Map(after)),
    );
    let (keys, unchanged) = map_changes(&b, &a, 10).expect("too long for one line");
    let names: Vec<String> = keys
        .iter()
        .map(|k| match k {
            KeyChange::Added(k, _) => format!("+{k}"),
            KeyChange::Removed(k, _) => format!("-{k}"),
            KeyChange::Changed(k, _, _) => format!("~{k}"),
        })
        .collect();
    assert_eq!(names, ["+ADDED", "~VARIABLE_3", "-VARIABLE_7"]);
    assert_eq!(unchanged, 8);

    let p = plan(vec![change(
        "api.handler",
        "lambda.function",
        Action::Update,
        vec![attr("environment", b, a)],
    )]);
    let text = human(&p, false);
    assert!(
        text.contains(concat!(
            "      environment:\n",
            "          + ADDED = \"new\"\n",
            "          ~ VARIABLE_3 = \"value-3\" → \"changed\"\n",
            "          - VARIABLE_7 = \"value-7\"\n",
            "          # 8 unchanged keys hidden\n",
        )),
        "{text}"
    );
    let md = markdown(&p);
    assert!(
        md.contains(concat!(
            "  environment:\n",
            "+     ADDED = \"new\"\n",
            "-     VARIABLE_3 = \"value-3\"\n",
            "+     VARIABLE_3 = \"changed\"\n",
            "-     VARIABLE_7 = \"value-7\"\n",
            "      # 8 unchanged keys hidden\n",
        )),
        "{md}"
    );
}

#[test]
fn markdown_keeps_its_structure_whatever_the_values_hold() {
    let p = plan(vec![change(
        "web.page",
        "s3.object",
        Action::Create,
        vec![attr("content", Shown::Absent, known("```\n</details>"))],
    )]);
    let md = markdown(&p);
    // The fence is longer than the value's backtick run.
    assert!(
        md.contains("````diff\n+ content: \"```\\n</details>\"\n````\n"),
        "{md}"
    );
    assert!(md.contains(
        "<summary><code>+</code> create <code>web.page</code> (<code>s3.object</code>)</summary>"
    ));
    let mut read = change("net.ami", "ec2.ami", Action::Read, Vec::new());
    read.mode = Mode::Lookup;
    let md = markdown(&plan(vec![read]));
    assert!(md.contains("<code>&lt;=</code> read"), "{md}");
}

#[test]
fn json_leaves_out_the_plan_internals() {
    let mut p = plan(vec![change("a.x", "t", Action::NoOp, Vec::new())]);
    p.changes[0].fingerprint = Some(crate::state::SensitiveDigest::of(&Value::from("x")));
    p.refreshed_records.insert("a.x".into(), None);
    let doc = serde_json::to_value(json(&p)).unwrap();
    let keys: Vec<&str> = doc
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        [
            "format_version",
            "kind",
            "environment",
            "base",
            "refreshed",
            "summary",
            "changes",
            "drift",
            "recovered",
            "outputs"
        ]
    );
    assert!(doc["changes"][0].get("fingerprint").is_none());
    assert_eq!(doc["changes"][0]["action"], "no-op");
    assert_eq!(doc["format_version"], crate::plan::PLAN_FORMAT_VERSION);
}
