//! Canonical formatting of spec files (`strata fmt`).
//!
//! The formatter works on tokens of the source text, not on a parsed document, so that
//! nothing the author wrote can be lost: every comment, every value exactly as written
//! (`0x10`, raw strings, multi-line strings) and every slashdash comes out again. Rules:
//! four spaces per nesting level, one node per line (`;` becomes a line break; a `\`
//! continuation is kept, its next line one level deeper), one space between entries, `{` at the end of its node's
//! line, `}` on its own line, at most one blank line in a row and none just inside
//! braces, no trailing whitespace, one final newline. Tokens written without space
//! between them (`key="v"`, `(ref)"a.b"`) stay together.
//! Invariant: formatting is idempotent, keeps every comment, and never changes what a
//! file means: the result is parsed again and compared with the original, node for
//! node, before anything is returned.

use crate::spec::raw::{ParseError, parse_kdl};

const INDENT: &str = "    ";

#[derive(Debug, Clone, PartialEq)]
enum Tok<'a> {
    /// Any value, name, property or annotation text, or a block comment: kept as is.
    Text(&'a str),
    LineComment(&'a str),
    Open,
    Close,
    /// A newline or `;` that ends a node.
    End,
    /// A blank line in the source.
    Blank,
    /// A `\` line continuation, with the comment written after it, if any.
    Cont(Option<&'a str>),
}

/// Formats one file; `Err` when the text is not valid KDL or is beyond the limits of
/// `limits` (nothing to rewrite then).
pub fn format(text: &str) -> Result<String, ParseError> {
    let original = meaning(text)?;
    let formatted = print(&lex(text));
    // The formatter must never change meaning; if it ever did, keep the file as it is.
    match meaning(&formatted) {
        Ok(m) if m == original => Ok(formatted),
        _ => Ok(text.to_owned()),
    }
}

/// The document without its formatting: equal for two texts that mean the same.
fn meaning(text: &str) -> Result<String, ParseError> {
    parse_kdl(text, |doc| {
        let mut doc = doc.clone();
        doc.clear_format_recursive();
        doc.to_string()
    })
}

/// Splits source text into tokens, each with whether whitespace came before it.
fn lex(text: &str) -> Vec<(bool, Tok<'_>)> {
    let bytes = text.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    let mut space = false;
    let mut newlines = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        let c = rest.chars().next().unwrap_or(' ');
        if c == '\n' {
            newlines += 1;
            if newlines == 2 {
                toks.push((true, Tok::Blank));
            } else if newlines == 1 {
                toks.push((true, Tok::End));
            }
            space = true;
            i += 1;
            continue;
        }
        if c.is_whitespace() || c == '\u{feff}' {
            space = true;
            i += c.len_utf8();
            continue;
        }
        newlines = 0;
        if rest.starts_with("//") {
            let end = rest.find('\n').unwrap_or(rest.len());
            toks.push((space, Tok::LineComment(rest[..end].trim_end())));
            i += end;
        } else if rest.starts_with("/*") {
            let len = block_comment_len(rest);
            toks.push((space, Tok::Text(&rest[..len])));
            i += len;
        } else if c == '\\' {
            // Line continuation: the node goes on, on the next line; a comment after it
            // stays there.
            i += 1;
            let mut comment = None;
            while i < bytes.len() && bytes[i] != b'\n' {
                if text[i..].starts_with("//") {
                    let end = text[i..].find('\n').map_or(text.len(), |e| i + e);
                    comment = Some(text[i..end].trim_end());
                    i = end;
                    break;
                }
                i += 1;
            }
            i += 1; // the newline
            toks.push((space, Tok::Cont(comment)));
        } else if c == '{' {
            toks.push((space, Tok::Open));
            i += 1;
        } else if c == '}' {
            toks.push((space, Tok::Close));
            i += 1;
        } else if c == ';' {
            toks.push((space, Tok::End));
            i += 1;
        } else if c == '"' || (c == '#' && raw_string_start(rest).is_some()) {
            let len = string_len(rest);
            toks.push((space, Tok::Text(&rest[..len])));
            i += len;
        } else {
            // A bare word runs to whitespace or a character that starts another token.
            let mut len = 0;
            for (j, ch) in rest.char_indices() {
                if ch.is_whitespace()
                    || matches!(ch, '{' | '}' | ';' | '"' | '\\')
                    || (j > 0 && rest[j..].starts_with("/*"))
                    || (j > 0 && rest[j..].starts_with("//"))
                {
                    break;
                }
                if ch == '#' && j > 0 && raw_string_start(&rest[j..]).is_some() {
                    break;
                }
                len = j + ch.len_utf8();
            }
            let len = len.max(c.len_utf8());
            toks.push((space, Tok::Text(&rest[..len])));
            i += len;
        }
        space = false;
    }
    toks
}

fn block_comment_len(s: &str) -> usize {
    let mut depth = 0;
    let mut j = 0;
    while j < s.len() {
        if s[j..].starts_with("/*") {
            depth += 1;
            j += 2;
        } else if s[j..].starts_with("*/") {
            depth -= 1;
            j += 2;
            if depth == 0 {
                return j;
            }
        } else {
            j += s[j..].chars().next().map_or(1, char::len_utf8);
        }
    }
    s.len()
}

/// `#"`, `##"`, ...: the number of hashes, if `s` opens a raw string.
fn raw_string_start(s: &str) -> Option<usize> {
    let hashes = s.bytes().take_while(|&b| b == b'#').count();
    (hashes > 0 && s[hashes..].starts_with('"')).then_some(hashes)
}

/// Length of the string literal at the start of `s` (quoted, multi-line or raw).
fn string_len(s: &str) -> usize {
    let hashes = raw_string_start(s).unwrap_or(0);
    let body = &s[hashes..];
    let triple = body.starts_with("\"\"\"");
    let open = if triple { 3 } else { 1 };
    let close: String = format!(
        "{}{}",
        if triple { "\"\"\"" } else { "\"" },
        "#".repeat(hashes)
    );
    let mut j = hashes + open;
    while j < s.len() {
        if hashes == 0 && s[j..].starts_with('\\') {
            j += 1 + s[j + 1..].chars().next().map_or(0, char::len_utf8);
            continue;
        }
        if s[j..].starts_with(&close) {
            return j + close.len();
        }
        j += s[j..].chars().next().map_or(1, char::len_utf8);
    }
    s.len()
}

fn print(toks: &[(bool, Tok<'_>)]) -> String {
    let mut p = Lines {
        out: String::new(),
        line: String::new(),
        line_depth: 0,
        comments: Vec::new(),
        blank: false,
    };
    let mut depth: usize = 0;
    // After `{` or `}` the next value starts a new line; comments may stay.
    let mut must_break = false;
    for (space, tok) in toks {
        match tok {
            Tok::Text(t) => {
                if must_break {
                    p.flush();
                    must_break = false;
                }
                if p.line.is_empty() {
                    p.line_depth = depth;
                } else if *space && !p.line.ends_with(INDENT) {
                    p.line.push(' ');
                }
                p.line.push_str(t);
            }
            Tok::Cont(comment) => {
                if p.line.is_empty() {
                    continue; // a continuation with nothing before it continues nothing
                }
                p.line.push_str(" \\");
                if let Some(c) = comment {
                    p.line.push(' ');
                    p.line.push_str(c);
                }
                p.line.push('\n');
                for _ in 0..=p.line_depth {
                    p.line.push_str(INDENT);
                }
            }
            Tok::LineComment(c) => {
                if p.line.is_empty() {
                    p.line_depth = depth;
                }
                p.comments.push(c);
            }
            Tok::Open => {
                if p.line.is_empty() {
                    p.line_depth = depth;
                } else {
                    p.line.push(' ');
                }
                p.line.push('{');
                depth += 1;
                must_break = true;
            }
            Tok::Close => {
                p.flush();
                depth = depth.saturating_sub(1);
                p.blank = false;
                p.line_depth = depth;
                p.line.push('}');
                must_break = true;
            }
            Tok::End => {
                p.flush();
                must_break = false;
            }
            Tok::Blank => {
                p.flush();
                p.blank = true;
            }
        }
    }
    p.flush();
    p.out
}

struct Lines<'a> {
    out: String,
    line: String,
    line_depth: usize,
    comments: Vec<&'a str>,
    blank: bool,
}

impl Lines<'_> {
    fn indent(&mut self) {
        for _ in 0..self.line_depth {
            self.out.push_str(INDENT);
        }
    }

    fn flush(&mut self) {
        if self.line.is_empty() && self.comments.is_empty() {
            return;
        }
        if self.blank && !self.out.is_empty() && !self.out.ends_with("{\n") && self.line != "}" {
            self.out.push('\n');
        }
        self.blank = false;
        let mut comments = std::mem::take(&mut self.comments).into_iter();
        if !self.line.is_empty() {
            self.indent();
            let line = std::mem::take(&mut self.line);
            self.out.push_str(&line);
            if let Some(first) = comments.next() {
                self.out.push(' ');
                self.out.push_str(first);
            }
            self.out.push('\n');
        }
        for c in comments {
            self.indent();
            self.out.push_str(c);
            self.out.push('\n');
        }
    }
}

/// A file whose formatted text differs from what is on disk.
#[derive(Debug)]
pub struct Change {
    pub path: std::path::PathBuf,
    pub formatted: String,
}

/// Formats every spec file of a folder in memory. Returns the files that would change,
/// or the syntax errors of the files that do not parse (then nothing should be written).
pub fn format_folder(dir: &std::path::Path) -> Result<Vec<Change>, crate::diag::Failure> {
    use crate::diag::{Diagnostic, Diagnostics, Failure};
    use crate::source::Sources;
    use std::sync::Arc;

    let mut sources = Sources::new();
    let mut diags = Diagnostics::new();
    let mut changes = Vec::new();
    let (top, envs) = crate::spec::project::spec_files(dir).map_err(|e| {
        let mut d = Diagnostics::new();
        d.push(Diagnostic::error(
            "spec::io",
            format!("cannot read spec folder {}: {e}", dir.display()),
        ));
        Failure {
            sources: Arc::new(Sources::new()),
            diagnostics: d,
        }
    })?;
    for path in top.iter().chain(&envs) {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                diags.push(Diagnostic::error(
                    "spec::io",
                    format!("cannot read {}: {e}", path.display()),
                ));
                continue;
            }
        };
        let id = sources.add(path.display().to_string(), path, text.as_str());
        // Parse through the same path as `load`, so syntax errors read the same.
        if crate::spec::raw::parse(id, &text, &mut diags).is_none() {
            continue;
        }
        if let Ok(formatted) = format(&text)
            && formatted != text
        {
            changes.push(Change {
                path: path.clone(),
                formatted,
            });
        }
    }
    if diags.has_errors() {
        return Err(Failure {
            sources: Arc::new(sources),
            diagnostics: diags,
        });
    }
    Ok(changes)
}
