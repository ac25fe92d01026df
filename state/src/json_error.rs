//! JSON errors explained for people: where the problem is (the path of the value in the
//! document, the line and column) and what it is, in the words of a JSON document
//! ("a list", "an object", "a whole number") rather than those of the Rust types it is
//! read into ("a sequence", "a map", "u64").
//!
//! Invariants: never panics, whatever the bytes and whatever position the error gives
//! (offsets are clamped to the text and to character boundaries); the wording of serde's
//! messages is only rephrased, never dropped, so nothing the parser said is lost.

/// Nesting the parser accepts (serde_json's recursion limit).
const JSON_MAX_DEPTH: usize = 128;

/// Path segments shown before the rest is elided.
const PATH_SHOWN: usize = 6;

/// A JSON error as a reason (lowercase, no location) and the 1-based line and column
/// it is at, when the parser knows them.
pub(crate) fn explain(bytes: &[u8], e: &serde_json::Error) -> (String, Option<(usize, usize)>) {
    let location = format!(" at line {} column {}", e.line(), e.column());
    let text = e.to_string();
    let message = text.strip_suffix(&location).unwrap_or(&text);
    let at = (e.line() > 0).then(|| (e.line(), e.column()));
    let Some((line, column)) = at else {
        return (reword(message), None);
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        return (reword(message), at);
    };
    let offset = offset_of(text, line, column);
    if let Some(bracket) = after_trailing_comma(text, offset) {
        return (
            format!("trailing comma before `{bracket}` (JSON allows none there)"),
            at,
        );
    }
    // A missing field is missing from the object itself, not from its last member.
    let path = path_at(text, offset, !message.starts_with("missing field"));
    let reason = if path.is_empty() {
        reword(message)
    } else {
        format!("at {path}: {}", reword(message))
    };
    (reason, at)
}

/// serde's message in the terms of the document.
fn reword(message: &str) -> String {
    if message == "recursion limit exceeded" {
        return format!(
            "values nested more than {JSON_MAX_DEPTH} levels deep (strata never writes such a file)"
        );
    }
    if let Some(what) = message.strip_prefix("EOF while parsing ") {
        let what = match what {
            "a list" => "a list",
            "an object" => "an object",
            "a string" => "a string",
            _ => "a value",
        };
        return format!("the file ends inside {what}: it was cut short");
    }
    if message == "control character (\\u0000-\\u001F) found while parsing a string" {
        return "a control character (U+0000 to U+001F) inside a string, where JSON needs an \
                escape such as \\u0000"
            .into();
    }
    match message {
        "expected value" => return "not JSON here: expected a value".into(),
        "expected ident" => {
            return "not JSON here: a bare word (JSON strings are in double quotes)".into();
        }
        "key must be a string" => {
            return "not JSON here: an object key must be a string in double quotes".into();
        }
        _ => {}
    }
    let mut out = message.to_owned();
    for (from, to) in [
        (
            "expected u64",
            "expected a whole number from 0 to 18446744073709551615",
        ),
        (
            "expected u32",
            "expected a whole number from 0 to 4294967295",
        ),
        ("expected a sequence", "expected a list"),
        ("expected a map", "expected an object"),
        ("invalid type: sequence", "invalid type: list"),
        ("invalid type: map", "invalid type: object"),
        ("invalid type: floating point", "invalid type: number"),
    ] {
        out = out.replace(from, to);
    }
    out
}

/// Byte offset of a 1-based line and column as serde_json counts them (column 0 is the
/// newline ending the previous line; columns count bytes), clamped to the text and to
/// the start of the character it falls in.
pub(crate) fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let mut offset = (line_start + column.saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The closing bracket at `offset` when the previous non-blank character is a comma:
/// serde_json reports some of those as "key must be a string".
fn after_trailing_comma(text: &str, offset: usize) -> Option<char> {
    let bracket = text[offset..]
        .chars()
        .next()
        .filter(|c| matches!(c, '}' | ']'))?;
    text[..offset].trim_end().ends_with(',').then_some(bracket)
}

enum Frame {
    /// An object, with the key of the member being read once its key is known.
    Object(Option<String>),
    /// An array, with the index of the element being read.
    Array(usize),
}

/// Where `offset` is in the document, as a path like `resources["network.vpc"].status`
/// (empty at the top level). Reads the text up to `offset` only, which the parser has
/// accepted, so a simple scan of strings and brackets is enough.
fn path_at(text: &str, offset: usize, member: bool) -> String {
    let b = &text.as_bytes()[..offset];
    let mut stack: Vec<Frame> = Vec::new();
    let mut expecting_key = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                let end = j.min(b.len());
                // A string the error cuts short is no key yet.
                if expecting_key
                    && j < b.len()
                    && let Some(Frame::Object(key)) = stack.last_mut()
                {
                    let quoted = text.get(start - 1..end + 1).unwrap_or("");
                    let raw = text.get(start..end).unwrap_or("");
                    *key = Some(
                        serde_json::from_str::<String>(quoted).unwrap_or_else(|_| raw.to_owned()),
                    );
                    expecting_key = false;
                }
                i = j + 1;
            }
            b'{' => {
                stack.push(Frame::Object(None));
                expecting_key = true;
                i += 1;
            }
            b'[' => {
                stack.push(Frame::Array(0));
                i += 1;
            }
            b'}' | b']' => {
                stack.pop();
                expecting_key = false;
                i += 1;
            }
            b',' => {
                match stack.last_mut() {
                    Some(Frame::Object(key)) => {
                        *key = None;
                        expecting_key = true;
                    }
                    Some(Frame::Array(index)) => *index += 1,
                    None => {}
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    if !member && let Some(Frame::Object(key)) = stack.last_mut() {
        *key = None;
    }
    let mut path = String::new();
    for (n, frame) in stack.iter().enumerate() {
        if n == PATH_SHOWN {
            path.push('…');
            break;
        }
        match frame {
            Frame::Object(Some(key)) if is_plain(key) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Frame::Object(Some(key)) => path.push_str(&format!("[{key:?}]")),
            Frame::Object(None) => break,
            Frame::Array(index) => path.push_str(&format!("[{index}]")),
        }
    }
    if path.is_empty() {
        path
    } else {
        format!("`{path}`")
    }
}

fn is_plain(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(text: &str) -> String {
        let e = serde_json::from_str::<strata_engine::state::State>(text).unwrap_err();
        explain(text.as_bytes(), &e).0
    }

    #[test]
    fn offsets_follow_serde_json_lines_and_columns() {
        let text = "{\n  \"a\": x\n}\n";
        assert_eq!(&text[offset_of(text, 2, 8)..offset_of(text, 2, 8) + 1], "x");
        assert_eq!(offset_of(text, 1, 1), 0);
        assert_eq!(offset_of(text, 99, 99), text.len());
        // Never inside a character.
        assert_eq!(offset_of("é", 1, 2), 0);
    }

    #[test]
    fn reasons_name_the_value_in_json_terms() {
        let head = r#"{"format_version": 1, "lineage": "l", "serial": 1, "environment": "dev", "strata_version": "0", "outputs": {}, "resources": "#;
        assert_eq!(
            reason(&format!(
                r#"{head}{{"net.vpc": {{"type": "t", "mode": "managed", "id": "i", "status": "created", "dependencies": "x"}}}}}}"#
            )),
            r#"at `resources["net.vpc"].dependencies`: invalid type: string "x", expected a list"#
        );
        assert_eq!(
            reason(&format!("{head}[]}}")),
            "at `resources`: invalid type: list, expected an object"
        );
        assert_eq!(
            reason(r#"{"serial": 1.5"#),
            "at `serial`: invalid type: number `1.5`, expected a whole number from 0 to 18446744073709551615"
        );
        assert_eq!(
            reason(r#"{"format_version": 1, "lineage": "#),
            "at `lineage`: the file ends inside a value: it was cut short"
        );
    }
}
