//! Rendering a [`Plan`] for people and tools: [`human`] for a terminal, [`json`] for
//! tools (a documented, versioned document) and [`markdown`] for a pull-request comment.
//!
//! All three read the plan only; none reads the environment, the terminal or the clock,
//! so the same plan always renders to the same text (the CLI decides on colour).
//! Invariants:
//! - A sensitive value is never printed: the plan holds none, and every
//!   [`Shown::Sensitive`](crate::plan::Shown::Sensitive) renders as the sensitive marker
//!   (`(sensitive)`, or `"sensitive"` in JSON).
//! - The text formats list what changes, what is read and what could not be refreshed,
//!   grouped by stack in the plan's order; unchanged resources are only counted.
//! - Deletions and replacements are never hidden: the human plan marks each one, the
//!   markdown comment lists every one before anything else.
//! - Colour (ANSI) appears only when the caller asks for it.

mod human;
mod json;
mod layout;
mod markdown;

#[cfg(test)]
mod tests;

use std::collections::HashMap;

use crate::plan::{Action, Change, DriftKind, OutputChange, Plan, PlanKind};

pub use human::human;
pub use json::json;
pub use markdown::markdown;

/// The one-line summary: `Plan: 3 to add, 1 to change, 0 to replace, 2 to destroy.`, or
/// `No changes. ...` when no resource and no output changes (saying so when the refresh
/// found drift, which the state takes on without any change to the cloud).
pub fn summary_line(plan: &Plan) -> String {
    let c = plan.counts();
    let changes = c.create + c.update + c.replace + c.delete > 0
        || plan.outputs.iter().any(OutputChange::is_change);
    if changes {
        return format!(
            "Plan: {} to add, {} to change, {} to replace, {} to destroy.",
            c.create, c.update, c.replace, c.delete
        );
    }
    let head = match plan.kind {
        PlanKind::Apply => "No changes. The infrastructure matches the spec",
        PlanKind::Destroy => "No changes. There is nothing to destroy",
    };
    if plan.drift.is_empty() {
        return format!("{head}.");
    }
    format!("{head} ({}).", drift_note(plan))
}

/// `2 resources changed outside strata` (or deleted, or changed or deleted).
fn drift_note(plan: &Plan) -> String {
    let deleted = plan
        .drift
        .iter()
        .filter(|d| d.kind == DriftKind::Deleted)
        .count();
    let how = if deleted == 0 {
        "changed"
    } else if deleted == plan.drift.len() {
        "deleted"
    } else {
        "changed or deleted"
    };
    format!(
        "{} {how} outside strata",
        layout::count(plan.drift.len(), "resource", "resources")
    )
}

/// Whether a change is listed by the text formats: it changes something, it is a read,
/// or its refresh failed (the user must know it was planned from the state alone).
fn listed(change: &Change) -> bool {
    change.action != Action::NoOp || change.refresh_error.is_some()
}

/// The symbol of a listed change: `+`, `~`, `-/+` (`+/-` with create-before-destroy),
/// `-`, `<=` for a read, `?` for an unchanged resource whose refresh failed.
fn symbol(change: &Change) -> &'static str {
    match change.action {
        Action::Create => "+",
        Action::Update => "~",
        Action::Replace if change.create_before_destroy => "+/-",
        Action::Replace => "-/+",
        Action::Delete => "-",
        Action::Read => "<=",
        Action::NoOp => "?",
    }
}

/// The listed changes grouped by stack: stacks in order of first appearance, each
/// stack's changes in plan order (deletions of resources gone from the spec, which the
/// plan puts last, join their stack).
fn by_stack(plan: &Plan) -> Vec<(&str, Vec<&Change>)> {
    let mut groups: Vec<(&str, Vec<&Change>)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for change in plan.changes.iter().filter(|c| listed(c)) {
        let i = *index.entry(&change.stack).or_insert_with(|| {
            groups.push((&change.stack, Vec::new()));
            groups.len() - 1
        });
        groups[i].1.push(change);
    }
    groups
}

/// What the refresh-failure warning says, for a managed resource or a lookup.
/// What the plan learnt of one interrupted create, in words.
fn recovered_text(r: &crate::plan::Recovered) -> String {
    match (&r.found, &r.error) {
        (_, Some(error)) => format!(
            "cannot tell whether it reached the cloud ({error}); it is not created again until a plan can tell"
        ),
        (Some(id), None) => format!("found {id} in the cloud: adopted into the state"),
        (None, None) => "it never reached the cloud: nothing to adopt".to_owned(),
    }
}

fn refresh_failure(change: &Change) -> [String; 2] {
    let error = layout::clean(change.refresh_error.as_deref().unwrap_or_default());
    match change.mode {
        crate::state::Mode::Managed => [
            format!("refresh failed: {error}"),
            "planned from the last known state: it is not deleted or replaced because of this"
                .to_owned(),
        ],
        crate::state::Mode::Lookup => [
            format!("lookup failed: {error}"),
            "planned from the values it last read (known after apply if it was never read)"
                .to_owned(),
        ],
    }
}

/// The comment under a read: why it is listed.
const DEFERRED_READ: &str =
    "read during apply: not read yet, or its filters use values known only after apply";

/// The comment under a deposed instance's deletion.
const DEPOSED: &str = "left by an earlier create-before-destroy replacement";
