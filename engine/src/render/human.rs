//! The human plan, for a terminal: drift first ("Changes outside strata"), interrupted
//! creates resolved (adopted, never made, or unknown), then one
//! section per stack with a block per listed resource (symbol, address, type, why it is
//! replaced, its attributes before → after), the outputs that change, and the summary.
//!
//! Invariants: without `color` the text holds no escape sequence; with it, only SGR
//! colour codes around symbols, headings and warnings. Attribute lines start at column 6
//! under a resource, nested entries four columns further.

use crate::plan::{Action, AttrDiff, Change, Drift, DriftKind, OutputChange, Plan, Shown};
use crate::render::layout::{
    self, KeyChange, change_block, clean, hidden_keys, map_changes, shown_block, width,
};
use crate::render::{
    DEFERRED_READ, DEPOSED, by_stack, recovered_text, refresh_failure, summary_line, symbol,
};

/// Renders `plan` for a terminal; `color` adds ANSI colours (the caller decides, from
/// the terminal and `NO_COLOR`).
pub fn human(plan: &Plan, color: bool) -> String {
    let mut out = Out {
        text: String::new(),
        color,
    };
    if !plan.refreshed {
        out.line(
            0,
            &out.paint(
                Style::Warn,
                "Planned without refreshing: the cloud was not read, so drift is not shown.",
            ),
        );
        out.blank();
    }
    if !plan.drift.is_empty() {
        out.heading("Changes outside strata (state → cloud):");
        for drift in &plan.drift {
            out.drift(drift);
            out.blank();
        }
    }
    if !plan.recovered.is_empty() {
        out.heading("Interrupted creates (strata stopped before recording their outcome):");
        for r in &plan.recovered {
            out.line(
                2,
                &format!(
                    "{} ({}): {}",
                    clean(&r.address),
                    clean(&r.type_name),
                    clean(&recovered_text(r))
                ),
            );
        }
        out.blank();
    }
    for (stack, changes) in by_stack(plan) {
        out.heading(&format!("Stack {}:", clean(stack)));
        for change in changes {
            out.change(change);
            out.blank();
        }
    }
    let outputs: Vec<&OutputChange> = plan.outputs.iter().filter(|o| o.is_change()).collect();
    if !outputs.is_empty() {
        out.heading("Outputs:");
        for output in outputs {
            out.output(output);
        }
        out.blank();
    }
    let summary = summary_line(plan);
    out.line(0, &out.paint(Style::Bold, &summary));
    let c = plan.counts();
    let mut tally = Vec::new();
    if c.unchanged > 0 {
        tally.push(format!("{} unchanged", c.unchanged));
    }
    if c.read > 0 {
        tally.push(format!("{} to read", c.read));
    }
    if !tally.is_empty() {
        out.line(0, &format!("{}.", tally.join(", ")));
    }
    if c.unknown > 0 {
        let text = if c.unknown == 1 {
            "? 1 resource could not be refreshed; it is planned from the last known state."
                .to_owned()
        } else {
            format!(
                "? {} resources could not be refreshed; they are planned from the last known state.",
                c.unknown
            )
        };
        out.line(0, &out.paint(Style::Warn, &text));
    }
    out.text
}

#[derive(Clone, Copy)]
enum Style {
    Bold,
    Green,
    Yellow,
    Red,
    Magenta,
    Cyan,
    Warn,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Bold => "1",
            Style::Green => "32",
            Style::Yellow => "33",
            Style::Red => "31",
            Style::Magenta => "35",
            Style::Cyan => "36",
            Style::Warn => "1;33",
        }
    }

    fn of_symbol(symbol: &str) -> Style {
        match symbol {
            "+" => Style::Green,
            "~" => Style::Yellow,
            "-" => Style::Red,
            "<=" => Style::Cyan,
            "?" => Style::Warn,
            _ => Style::Magenta,
        }
    }
}

/// Which sides of a value change are shown.
#[derive(Clone, Copy, PartialEq)]
enum Sides {
    /// A create: the new value only.
    After,
    /// A delete: the old value only.
    Before,
    Both,
}

struct Out {
    text: String,
    color: bool,
}

impl Out {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("\x1b[{}m{text}\x1b[0m", style.code())
        } else {
            text.to_owned()
        }
    }

    /// A symbol right-aligned in three columns, the padding left uncoloured.
    fn symbol(&self, symbol: &str) -> String {
        let pad = " ".repeat(3usize.saturating_sub(width(symbol)));
        format!("{pad}{}", self.paint(Style::of_symbol(symbol), symbol))
    }

    fn line(&mut self, indent: usize, text: &str) {
        for _ in 0..indent {
            self.text.push(' ');
        }
        self.text.push_str(text);
        self.text.push('\n');
    }

    fn blank(&mut self) {
        self.text.push('\n');
    }

    fn heading(&mut self, text: &str) {
        let text = self.paint(Style::Bold, text);
        self.line(0, &text);
        self.blank();
    }

    /// `  + network.vpc (ec2.vpc)`: the symbol right-aligned in three columns.
    fn header(&mut self, symbol: &str, address: &str, type_name: &str, tail: &str) {
        let sym = self.symbol(symbol);
        let line = format!("{sym} {} ({}){tail}", clean(address), clean(type_name));
        self.line(0, &line);
    }

    fn comment(&mut self, text: &str) {
        self.line(6, &format!("# {text}"));
    }

    fn warning(&mut self, text: &str) {
        let text = self.paint(Style::Warn, &format!("? {text}"));
        self.line(6, &text);
    }

    fn change(&mut self, change: &Change) {
        let tail = match &change.deposed {
            Some(id) => format!(" (deposed instance {})", clean(id)),
            None => String::new(),
        };
        self.header(symbol(change), &change.address, &change.type_name, &tail);
        if change.refresh_error.is_some() {
            for line in refresh_failure(change) {
                self.warning(&line);
            }
        }
        if change.deposed.is_some() {
            self.comment(DEPOSED);
        }
        if change.action == Action::Read && change.refresh_error.is_none() {
            self.comment(DEFERRED_READ);
        }
        if let Some(reason) = layout::replace_reason(change) {
            self.comment(&reason);
            self.comment(layout::replace_order(change));
        }
        let sides = match change.action {
            Action::Create => Sides::After,
            Action::Delete => Sides::Before,
            _ => Sides::Both,
        };
        for attr in &change.attributes {
            self.attribute(6, attr, sides);
        }
    }

    fn drift(&mut self, drift: &Drift) {
        match drift.kind {
            DriftKind::Deleted => self.header(
                "-",
                &drift.address,
                &drift.type_name,
                ": deleted outside strata",
            ),
            DriftKind::Changed => {
                self.header("~", &drift.address, &drift.type_name, "");
                for attr in &drift.attributes {
                    self.attribute(6, attr, Sides::Both);
                }
            }
        }
    }

    fn output(&mut self, output: &OutputChange) {
        let symbol = match output.action {
            Action::Create => "+",
            Action::Delete => "-",
            _ => "~",
        };
        let sides = match output.action {
            Action::Create => Sides::After,
            Action::Delete => Sides::Before,
            _ => Sides::Both,
        };
        let sym = self.symbol(symbol);
        let lines = self.value_lines(
            4,
            &clean(&output.name),
            &output.before,
            &output.after,
            sides,
            false,
        );
        self.emit(&format!("{sym} "), lines);
    }

    /// `name: before → after` at column `indent`, continuation lines below it.
    fn attribute(&mut self, indent: usize, attr: &AttrDiff, sides: Sides) {
        let lines = self.value_lines(
            indent,
            &clean(&attr.name),
            &attr.before,
            &attr.after,
            sides,
            attr.forces_replacement,
        );
        self.emit(&" ".repeat(indent), lines);
    }

    /// Writes laid-out lines: the first after `lead`, the others as they are.
    fn emit(&mut self, lead: &str, lines: Vec<String>) {
        let mut lines = lines.into_iter();
        if let Some(first) = lines.next() {
            self.text.push_str(lead);
            self.text.push_str(&first);
            self.text.push('\n');
        }
        for line in lines {
            self.line(0, &line);
        }
    }

    /// The lines of one named value change starting at column `indent` (the first line
    /// without its indentation): the value on one line when it fits, else laid out over
    /// several; a large map that changes shows only the keys that differ.
    fn value_lines(
        &self,
        indent: usize,
        name: &str,
        before: &Shown,
        after: &Shown,
        sides: Sides,
        forces: bool,
    ) -> Vec<String> {
        let head = format!("{name}: ");
        let used = indent + width(&head);
        let note = if forces {
            format!("  {}", self.paint(Style::Red, "# forces replacement"))
        } else {
            String::new()
        };
        let mut lines = match sides {
            Sides::After => prefixed(&head, shown_block(after, indent, used)),
            Sides::Before => prefixed(&head, shown_block(before, indent, used)),
            Sides::Both => match map_changes(before, after, used) {
                Some((keys, unchanged)) => {
                    let mut lines = vec![format!("{name}:")];
                    let inner = indent + 4;
                    let pad = " ".repeat(inner);
                    for k in keys {
                        // Laid out after `~ key = `: a two-column mark, the key, ` = `.
                        let (mark, style, key) = match &k {
                            KeyChange::Added(key, _) => ("+", Style::Green, key),
                            KeyChange::Removed(key, _) => ("-", Style::Red, key),
                            KeyChange::Changed(key, _, _) => ("~", Style::Yellow, key),
                        };
                        let used = inner + 2 + width(key) + 3;
                        let value = match k {
                            KeyChange::Added(_, v) | KeyChange::Removed(_, v) => {
                                layout::block(v, inner, used)
                            }
                            KeyChange::Changed(_, b, a) => {
                                let (b, a) = (Shown::Known(b.clone()), Shown::Known(a.clone()));
                                change_block(&b, &a, inner, used)
                            }
                        };
                        let head = format!("{pad}{} {key} = ", self.paint(style, mark));
                        lines.extend(prefixed(&head, value));
                    }
                    if unchanged > 0 {
                        lines.push(format!("{pad}{}", hidden_keys(unchanged)));
                    }
                    lines
                }
                None => prefixed(&head, change_block(before, after, indent, used)),
            },
        };
        if let Some(first) = lines.first_mut() {
            first.push_str(&note);
        }
        lines
    }
}

/// `head` before the first of `lines`.
fn prefixed(head: &str, mut lines: Vec<String>) -> Vec<String> {
    match lines.first_mut() {
        Some(first) => first.insert_str(0, head),
        None => lines.push(head.trim_end().to_owned()),
    }
    lines
}
