//! The markdown plan, for a pull-request comment (GitHub-flavoured): a heading naming the
//! environment; every deletion and replacement in a warning callout before anything
//! else, then the resources that could not be refreshed; the summary line; a table of
//! counts per stack; drift in a collapsed section; one collapsed block per listed
//! resource, grouped by stack, holding a `diff` code block; the outputs that change.
//!
//! Invariants: text from the plan is escaped for where it lands (HTML in `<summary>`,
//! code spans that hold backticks, `|` in table cells, a code fence longer than any
//! backtick run of its content), so no value can break the comment's structure; every
//! line of a value inside a `diff` block carries its `+`/`-` marker, so multi-line values
//! are highlighted whole.

use crate::plan::{
    Action, AttrDiff, Change, DriftKind, OutputChange, Plan, PlanKind, ReplaceReason, Shown,
};
use crate::render::layout::{
    self, KeyChange, clean, count, hidden_keys, map_changes, shown_block, width,
};
use crate::render::{
    DEFERRED_READ, DEPOSED, by_stack, recovered_text, refresh_failure, summary_line, symbol,
};

/// Renders `plan` as a pull-request comment.
pub fn markdown(plan: &Plan) -> String {
    let mut out = String::new();
    let title = match plan.kind {
        PlanKind::Apply => "strata plan",
        PlanKind::Destroy => "strata destroy plan",
    };
    out.push_str(&format!("## {title} for {}\n\n", code(&plan.environment)));
    if !plan.refreshed {
        out.push_str(
            "_Planned without refreshing: the cloud was not read, so drift is not shown._\n\n",
        );
    }
    destructive_warning(&mut out, plan);
    refresh_warning(&mut out, plan);
    recovered_note(&mut out, plan);
    out.push_str(&format!("**{}**\n\n", summary_line(plan)));
    let stacks = by_stack(plan);
    if !stacks.is_empty() {
        table(&mut out, plan, &stacks);
    }
    if !plan.drift.is_empty() {
        drift(&mut out, plan);
    }
    for (stack, changes) in &stacks {
        out.push_str(&format!("### Stack {}\n\n", code(stack)));
        for change in changes {
            resource(&mut out, change);
        }
    }
    let outputs: Vec<&OutputChange> = plan.outputs.iter().filter(|o| o.is_change()).collect();
    if !outputs.is_empty() {
        let mut lines = Vec::new();
        for o in &outputs {
            let sides = match o.action {
                Action::Create => Sides::After,
                Action::Delete => Sides::Before,
                _ => Sides::Both,
            };
            value_lines(
                &mut lines,
                0,
                &clean(&o.name),
                &o.before,
                &o.after,
                sides,
                false,
            );
        }
        details(
            &mut out,
            &format!("Outputs: {}", count(outputs.len(), "change", "changes")),
            &lines,
        );
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// Every deletion, then every replacement, listed before anything else.
fn destructive_warning(out: &mut String, plan: &Plan) {
    let of = |action| {
        plan.changes
            .iter()
            .filter(move |c: &&Change| c.action == action)
    };
    let (deletes, replaces) = (of(Action::Delete).count(), of(Action::Replace).count());
    if deletes + replaces == 0 {
        return;
    }
    let mut what = Vec::new();
    if deletes > 0 {
        what.push(format!(
            "destroys {}",
            count(deletes, "resource", "resources")
        ));
    }
    if replaces > 0 {
        what.push(format!(
            "replaces {}",
            count(replaces, "resource", "resources")
        ));
    }
    out.push_str(&format!(
        "> [!WARNING]\n> **This plan {}.**\n",
        what.join(" and ")
    ));
    for change in of(Action::Delete).chain(of(Action::Replace)) {
        let target = format!("{} ({})", code(&change.address), code(&change.type_name));
        let mut line = match &change.deposed {
            Some(id) => format!("destroy {target}: deposed instance {}", code(id)),
            None if change.action == Action::Delete => format!("destroy {target}"),
            None => match reason(change) {
                Some(r) => format!("replace {target}: {r}"),
                None => format!("replace {target}"),
            },
        };
        if change.action == Action::Replace && change.create_before_destroy {
            line.push_str(" (the new one is created before the old one is deleted)");
        }
        out.push_str(&format!("> - {line}\n"));
    }
    out.push('\n');
}

/// The resources planned from the state alone because reading them failed.
fn refresh_warning(out: &mut String, plan: &Plan) {
    let failed: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.refresh_error.is_some())
        .collect();
    if failed.is_empty() {
        return;
    }
    let n = count(failed.len(), "resource", "resources");
    let each = if failed.len() == 1 {
        "It is"
    } else {
        "Each is"
    };
    out.push_str(&format!(
        "> [!WARNING]\n> **{n} could not be read from the cloud.** {each} planned from what the state last recorded; nothing is deleted or replaced because of it.\n",
    ));
    for change in failed {
        let error = clean(change.refresh_error.as_deref().unwrap_or_default());
        out.push_str(&format!(
            "> - {} ({}): {}\n",
            code(&change.address),
            code(&change.type_name),
            code(&error)
        ));
    }
    out.push('\n');
}

/// Interrupted creates the plan resolved: what was adopted, never made, or unknown.
fn recovered_note(out: &mut String, plan: &Plan) {
    if plan.recovered.is_empty() {
        return;
    }
    let n = count(plan.recovered.len(), "create was", "creates were");
    out.push_str(&format!(
        "> [!NOTE]\n> **{n} interrupted before strata recorded the outcome.**\n"
    ));
    for r in &plan.recovered {
        out.push_str(&format!(
            "> - {} ({}): {}\n",
            code(&r.address),
            code(&r.type_name),
            clean(&recovered_text(r))
        ));
    }
    out.push('\n');
}

/// One row per stack with listed changes: how many resources each action touches.
fn table(out: &mut String, plan: &Plan, stacks: &[(&str, Vec<&Change>)]) {
    let reads = plan.changes.iter().any(|c| c.action == Action::Read);
    let mut columns = vec![
        ("Add", Action::Create),
        ("Change", Action::Update),
        ("Replace", Action::Replace),
        ("Destroy", Action::Delete),
    ];
    if reads {
        columns.push(("Read", Action::Read));
    }
    out.push_str("| Stack |");
    for (name, _) in &columns {
        out.push_str(&format!(" {name} |"));
    }
    out.push_str("\n|:--|");
    for _ in &columns {
        out.push_str("--:|");
    }
    out.push('\n');
    for (stack, changes) in stacks {
        out.push_str(&format!("| {} |", code(stack).replace('|', "\\|")));
        for (_, action) in &columns {
            let n = changes.iter().filter(|c| c.action == *action).count();
            out.push_str(&format!(" {n} |"));
        }
        out.push('\n');
    }
    out.push('\n');
}

fn drift(out: &mut String, plan: &Plan) {
    let mut lines = vec!["# - the state, + the cloud".to_owned()];
    for d in &plan.drift {
        let target = format!("{} ({})", clean(&d.address), clean(&d.type_name));
        match d.kind {
            DriftKind::Deleted => lines.push(format!("- {target}: deleted outside strata")),
            DriftKind::Changed => {
                lines.push(format!("~ {target}"));
                for attr in &d.attributes {
                    attribute(&mut lines, 4, attr, Sides::Both);
                }
            }
        }
    }
    let n = count(plan.drift.len(), "resource", "resources");
    details(out, &format!("Changes outside strata: {n}"), &lines);
}

/// One collapsed block for a listed resource: what happens in its summary, why and the
/// attributes in a `diff` block.
fn resource(out: &mut String, change: &Change) {
    let verb = match change.action {
        Action::Create => "create",
        Action::Update => "update",
        Action::Replace if change.create_before_destroy => "replace (create before destroy)",
        Action::Replace => "replace",
        Action::Delete => "destroy",
        Action::Read => "read",
        Action::NoOp => "unchanged",
    };
    let mut summary = format!(
        "<code>{}</code> {verb} <code>{}</code> (<code>{}</code>)",
        html(symbol(change)),
        html(&change.address),
        html(&change.type_name)
    );
    if let Some(id) = &change.deposed {
        summary.push_str(&format!(", deposed instance <code>{}</code>", html(id)));
    }
    if change.refresh_error.is_some() {
        summary.push_str(", not refreshed");
    }
    let mut lines = Vec::new();
    if change.refresh_error.is_some() {
        for line in refresh_failure(change) {
            lines.push(format!("# {line}"));
        }
    }
    if change.deposed.is_some() {
        lines.push(format!("# {DEPOSED}"));
    }
    if change.action == Action::Read && change.refresh_error.is_none() {
        lines.push(format!("# {DEFERRED_READ}"));
    }
    if let Some(reason) = layout::replace_reason(change) {
        lines.push(format!("# {reason}"));
        lines.push(format!("# {}", layout::replace_order(change)));
    }
    let sides = match change.action {
        Action::Create => Sides::After,
        Action::Delete => Sides::Before,
        _ => Sides::Both,
    };
    for attr in &change.attributes {
        attribute(&mut lines, 0, attr, sides);
    }
    details_html(out, &summary, &lines);
}

/// The reason for a replacement, attribute names as code.
fn reason(change: &Change) -> Option<String> {
    match change.replace_reason.as_ref()? {
        ReplaceReason::ForceNew { attributes } => {
            let names: Vec<String> = attributes.iter().map(|a| code(a)).collect();
            Some(format!("forces replacement: {}", names.join(", ")))
        }
        ReplaceReason::Requested => Some("replacement requested (`--replace`)".to_owned()),
        ReplaceReason::Tainted => layout::replace_reason(change),
    }
}

#[derive(Clone, Copy)]
enum Sides {
    After,
    Before,
    Both,
}

fn attribute(lines: &mut Vec<String>, indent: usize, attr: &AttrDiff, sides: Sides) {
    value_lines(
        lines,
        indent,
        &clean(&attr.name),
        &attr.before,
        &attr.after,
        sides,
        attr.forces_replacement,
    );
}

/// Diff lines for one named value at content column `indent` (after the two columns of
/// the `+`/`-` marker): the old value as `-` lines, the new as `+` lines; an absent side
/// is left out; a large map that changes shows only the keys that differ.
fn value_lines(
    lines: &mut Vec<String>,
    indent: usize,
    name: &str,
    before: &Shown,
    after: &Shown,
    sides: Sides,
    forces: bool,
) {
    let note = if forces { "  # forces replacement" } else { "" };
    let head = format!("{}{name}: ", " ".repeat(indent));
    // Laid out as if the marker were part of the indentation, then the marker put in.
    let column = 2 + width(&head);
    let show_before = matches!(sides, Sides::Before | Sides::Both) && *before != Shown::Absent;
    let show_after = matches!(sides, Sides::After | Sides::Both) && *after != Shown::Absent;
    if matches!(sides, Sides::Both)
        && let Some((keys, unchanged)) = map_changes(before, after, column)
    {
        lines.push(format!("  {}{name}:{note}", " ".repeat(indent)));
        let inner = 2 + indent + 4;
        let pad = " ".repeat(indent + 4);
        for k in keys {
            let (key, before, after) = match k {
                KeyChange::Added(key, v) => (key, None, Some(v)),
                KeyChange::Removed(key, v) => (key, Some(v), None),
                KeyChange::Changed(key, b, a) => (key, Some(b), Some(a)),
            };
            let head = format!("{pad}{key} = ");
            let column = 2 + width(&head);
            if let Some(b) = before {
                marked(lines, '-', &head, layout::block(b, inner, column), "");
            }
            if let Some(a) = after {
                marked(lines, '+', &head, layout::block(a, inner, column), "");
            }
        }
        if unchanged > 0 {
            lines.push(format!("  {pad}{}", hidden_keys(unchanged)));
        }
        return;
    }
    if show_before {
        let note = if show_after { "" } else { note };
        marked(
            lines,
            '-',
            &head,
            shown_block(before, 2 + indent, column),
            note,
        );
    }
    if show_after {
        marked(
            lines,
            '+',
            &head,
            shown_block(after, 2 + indent, column),
            note,
        );
    }
}

/// `mark head first-line note`, then the continuation lines with the marker put in their
/// first column (they are indented by at least two).
fn marked(lines: &mut Vec<String>, mark: char, head: &str, value: Vec<String>, note: &str) {
    let mut value = value.into_iter();
    let first = value.next().unwrap_or_default();
    lines.push(format!("{mark} {head}{first}{note}"));
    for line in value {
        let rest = line.get(2..).unwrap_or_default();
        lines.push(format!("{mark} {rest}"));
    }
}

/// A collapsed section with a plain-text summary and a `diff` block.
fn details(out: &mut String, summary: &str, lines: &[String]) {
    details_html(out, &html(summary), lines);
}

/// A collapsed section whose summary is already HTML.
fn details_html(out: &mut String, summary: &str, lines: &[String]) {
    out.push_str(&format!("<details><summary>{summary}</summary>\n\n"));
    if !lines.is_empty() {
        let body = lines.join("\n");
        let fence = fence(&body);
        out.push_str(&format!("{fence}diff\n{body}\n{fence}\n\n"));
    }
    out.push_str("</details>\n\n");
}

/// A code fence longer than any run of backticks in `body`.
fn fence(body: &str) -> String {
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// `text` as an inline code span, whatever backticks it holds.
fn code(text: &str) -> String {
    let text = clean(text);
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let ticks = "`".repeat(longest + 1);
    if text.starts_with('`') || text.ends_with('`') {
        format!("{ticks} {text} {ticks}")
    } else {
        format!("{ticks}{text}{ticks}")
    }
}

/// Plain text for HTML content.
fn html(text: &str) -> String {
    clean(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
