//! Limits on what a spec file may hold, so that hostile text cannot crash the parser.
//!
//! The KDL parser (kdl 6.7) is recursive: one level per nested block `{`, per nested
//! block comment, per `/-` of a chain of slashdashes, per token of a block comment, and
//! one per error it recovers from at the top of a document. A stack overflow aborts the
//! process (it is not a panic), so `strata validate` on a file of 100,000 `{` would die
//! instead of reporting it. Two measures keep every input safe:
//! - [`scan`] reads the text once, skipping strings and comments as KDL defines them,
//!   and refuses a file larger than [`MAX_FILE_BYTES`], blocks or block comments nested
//!   deeper than [`MAX_DEPTH`], and chains of more than [`MAX_DEPTH`] slashdashes: the
//!   recursion that costs most stack per byte of text is bounded before parsing starts;
//! - [`parse_stack_size`] sizes the stack of the thread the parser runs on for the rest,
//!   which costs at most one small frame per byte of text (error recovery, comment
//!   tokens).
//!
//! Invariants: `scan` runs in one pass and allocates nothing; a text it accepts is parsed
//! on a stack of `parse_stack_size(text.len())` bytes; a document that nests deeper than
//! [`MAX_DEPTH`] never leaves the parser thread (see `raw::parse_kdl`), so every
//! recursive walk over a parsed spec (conversion, checking, formatting, dropping) is
//! bounded.

/// The deepest nesting of blocks (`{ ... }`), of block comments (`/* /* */ */`) and the
/// longest chain of slashdashes (`/- /- ...`) a spec file may hold. Real specs nest a
/// handful of levels (stack, resource, block, nested block).
pub const MAX_DEPTH: usize = 64;

/// The largest spec file strata reads. A generated stack of 2,500 resources is about
/// 350 KiB; hand-written files are far smaller.
pub const MAX_FILE_BYTES: usize = 1 << 20;

/// Stack for what the scan bounds: `MAX_DEPTH` levels of each kind of deep recursion
/// (a block level costs about 34 KiB of stack in a debug build, 7 KiB optimised) plus
/// the parser's own frames.
const BASE_STACK: usize = 16 << 20;

/// Stack per byte of text for the recursion the scan does not bound (measured: about
/// 0.6 KiB per recovered error and under 1 KiB per comment token when optimised, 3.6 KiB
/// in a debug build; each needs at least one byte of text).
const STACK_PER_BYTE: usize = if cfg!(debug_assertions) {
    4 << 10
} else {
    1 << 10
};

/// The stack size of the thread that parses a text of `len` bytes (at most
/// [`MAX_FILE_BYTES`]).
pub fn parse_stack_size(len: usize) -> usize {
    BASE_STACK + len.min(MAX_FILE_BYTES) * STACK_PER_BYTE
}

/// Why a text was refused before parsing: a diagnostic without a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub code: &'static str,
    pub message: String,
    /// Byte range the label points at.
    pub start: usize,
    pub end: usize,
    pub label: String,
    pub help: String,
}

/// Checks `text` against the limits; see the module documentation.
pub fn scan(text: &str) -> Result<(), Violation> {
    if text.len() > MAX_FILE_BYTES {
        return Err(too_large(text.len()));
    }
    check_characters(text)?;
    let b = text.as_bytes();
    let mut i = 0;
    let mut depth = 0usize;
    // Slashdashes since the last token that was not whitespace, a comment or one, and
    // where the first of them is.
    let mut chain = 0usize;
    let mut chain_start = 0usize;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i = skip_string(b, i, 0);
                chain = 0;
            }
            b'#' => {
                let hashes = b[i..].iter().take_while(|&&c| c == b'#').count();
                if b.get(i + hashes) == Some(&b'"') {
                    i = skip_string(b, i + hashes, hashes);
                } else {
                    i += hashes;
                }
                chain = 0;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = b[i..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(b.len(), |p| i + p);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => i = skip_block_comment(b, i)?,
            b'/' if b.get(i + 1) == Some(&b'-') => {
                if chain == 0 {
                    chain_start = i;
                }
                chain += 1;
                if chain > MAX_DEPTH {
                    return Err(Violation {
                        code: "spec::too_deep",
                        message: format!("more than {MAX_DEPTH} slashdashes (`/-`) in a row"),
                        start: chain_start,
                        end: chain_start + 2,
                        label: "the chain starts here".into(),
                        help: "one `/-` comments out the node, value or block after it; remove \
                               the repeated ones"
                            .into(),
                    });
                }
                i += 2;
            }
            b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(Violation {
                        code: "spec::too_deep",
                        message: format!("blocks nested more than {MAX_DEPTH} levels deep"),
                        start: i,
                        end: i + 1,
                        label: format!("level {depth} opens here"),
                        help: "a spec nests a few levels (stack, resource, block); check for \
                               a missing `}`, or flatten the blocks"
                            .into(),
                    });
                }
                chain = 0;
                i += 1;
            }
            b'}' => {
                depth = depth.saturating_sub(1);
                chain = 0;
                i += 1;
            }
            // Whitespace and line continuations do not end a chain of slashdashes.
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c' | b'\\' => i += 1,
            _ => {
                let c = text[i..].chars().next().unwrap_or(' ');
                if is_space(c) {
                    i += c.len_utf8();
                    continue;
                }
                let end = word_end(text, i);
                check_integer(&text[i..end], i)?;
                chain = 0;
                i = end;
            }
        }
    }
    Ok(())
}

/// KDL's whitespace and newlines beyond ASCII.
fn is_space(c: char) -> bool {
    matches!(
        c,
        '\u{85}' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// The end of the bare word (identifier, number, keyword) starting at `i`, or of the one
/// punctuation character there.
fn word_end(text: &str, i: usize) -> usize {
    let is_delimiter = |c: char| {
        c.is_ascii_whitespace()
            || is_space(c)
            || matches!(
                c,
                '{' | '}' | '(' | ')' | ';' | '=' | '[' | ']' | '"' | '\\' | '/' | '#'
            )
    };
    let mut chars = text[i..].char_indices();
    match chars.next() {
        Some((_, c)) if is_delimiter(c) => i + c.len_utf8(),
        _ => chars
            .find(|&(_, c)| is_delimiter(c))
            .map_or(text.len(), |(j, _)| i + j),
    }
}

/// Refuses an integer literal too large for the parser (128 bits), which would
/// otherwise be reported as a cascade of unrelated syntax errors.
fn check_integer(word: &str, at: usize) -> Result<(), Violation> {
    let unsigned = word.strip_prefix(['+', '-']).unwrap_or(word);
    if !unsigned.starts_with(|c: char| c.is_ascii_digit()) {
        return Ok(());
    }
    let (radix, digits) = match unsigned.get(..2) {
        Some("0x") => (16, &unsigned[2..]),
        Some("0o") => (8, &unsigned[2..]),
        Some("0b") => (2, &unsigned[2..]),
        _ => (10, unsigned),
    };
    let digits: String = digits.chars().filter(|&c| c != '_').collect();
    let is_integer = !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix));
    if is_integer && u128::from_str_radix(&digits, radix).map_or(true, |n| n > i128::MAX as u128) {
        return Err(Violation {
            code: "spec::invalid_value",
            message: "integer out of range".into(),
            start: at,
            end: at + word.len(),
            label: "does not fit in 64 bits".into(),
            help: "use a smaller number, or quote it if it is an identifier (\"12345...\")".into(),
        });
    }
    Ok(())
}

/// Refuses the characters KDL does not allow anywhere, strings included: control
/// characters, bidirectional controls (they make text display otherwise than it reads)
/// and a byte order mark anywhere but at the start.
fn check_characters(text: &str) -> Result<(), Violation> {
    let found = |at: usize, c: char, what: &str, help: &str| Violation {
        code: "spec::invalid_character",
        message: format!("the file holds {what} (U+{:04X})", c as u32),
        start: at,
        end: at + c.len_utf8(),
        label: "here".into(),
        help: help.into(),
    };
    let bytes = text.as_bytes();
    // Only bytes below 0x20, 0x7F and the non-ASCII characters can be refused.
    let suspicious = |b: &u8| *b < 0x20 || *b >= 0x7F;
    let mut i = 0;
    while let Some(p) = bytes[i..].iter().position(suspicious) {
        let at = i + p;
        let c = text[at..].chars().next().unwrap_or_default();
        match c {
            '\t' | '\n' | '\r' | '\x0b' | '\x0c' => {}
            '\0' => {
                return Err(found(
                    at,
                    c,
                    "a NUL character",
                    "spec files are text: remove the NUL bytes (a binary or UTF-16 file saved as .kdl has many)",
                ));
            }
            '\x01'..='\x1f' | '\x7f' => {
                return Err(found(
                    at,
                    c,
                    "a control character",
                    "KDL allows no control characters, even in strings: remove it, or write it as an escape such as \"\\u{1b}\"",
                ));
            }
            '\u{200E}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {
                return Err(found(
                    at,
                    c,
                    "a bidirectional control character",
                    "these make text display otherwise than it reads: remove it, or write it as an escape such as \"\\u{202e}\"",
                ));
            }
            '\u{FEFF}' if at > 0 => {
                return Err(found(
                    at,
                    c,
                    "a byte order mark",
                    "a byte order mark may only start a file: remove this one",
                ));
            }
            _ => {}
        }
        i = at + c.len_utf8().max(1);
    }
    Ok(())
}

fn too_large(len: usize) -> Violation {
    Violation {
        code: "spec::file_too_large",
        message: format!(
            "spec file is {len} bytes, more than the limit of {MAX_FILE_BYTES} bytes (1 MiB)"
        ),
        start: 0,
        end: 0,
        label: "this file".into(),
        help: "split the stacks over several files: every `*.kdl` at the top of the spec \
               folder is read"
            .into(),
    }
}

/// The index just past the string opening at `open` (a `"` after `hashes` `#`): a
/// quoted string with escapes, a `"""` multi-line string, or a raw string (`#"..."#`,
/// no escapes). An unterminated string ends at its opening quote, so that the rest of
/// the text is still scanned as the parser's error recovery may read it.
fn skip_string(b: &[u8], open: usize, hashes: usize) -> usize {
    let triple = b[open..].starts_with(b"\"\"\"");
    let quotes = if triple { 3 } else { 1 };
    let mut j = open + quotes;
    while j < b.len() {
        match b[j] {
            b'\\' if hashes == 0 => j += 2,
            b'"' if b[j..].starts_with(&b"\"\"\""[..quotes])
                && b[j + quotes..]
                    .iter()
                    .take(hashes)
                    .filter(|&&c| c == b'#')
                    .count()
                    == hashes =>
            {
                return j + quotes + hashes;
            }
            _ => j += 1,
        }
    }
    open + 1
}

/// The index just past the block comment opening at `open`, refusing one nested deeper
/// than `MAX_DEPTH`. An unterminated comment ends at its opening `/*`, so that the rest
/// of the text is still scanned.
fn skip_block_comment(b: &[u8], open: usize) -> Result<usize, Violation> {
    let mut depth = 0usize;
    let mut j = open;
    while j < b.len() {
        if b[j..].starts_with(b"/*") {
            depth += 1;
            if depth > MAX_DEPTH {
                return Err(Violation {
                    code: "spec::too_deep",
                    message: format!("block comments nested more than {MAX_DEPTH} levels deep"),
                    start: open,
                    end: open + 2,
                    label: format!("this comment has a comment nested {depth} levels deep"),
                    help: "each `/*` inside a block comment opens another one that needs its \
                           own `*/`; use `//` line comments instead"
                        .into(),
                });
            }
            j += 2;
        } else if b[j..].starts_with(b"*/") {
            depth -= 1;
            j += 2;
            if depth == 0 {
                return Ok(j);
            }
        } else {
            j += 1;
        }
    }
    Ok(open + 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> Option<&'static str> {
        scan(text).err().map(|v| v.code)
    }

    #[test]
    fn nesting_at_the_limit_passes_and_beyond_it_is_refused() {
        let nested = |n: usize| format!("{}{}", "a {".repeat(n), "}".repeat(n));
        assert_eq!(code(&nested(MAX_DEPTH)), None);
        assert_eq!(code(&nested(MAX_DEPTH + 1)), Some("spec::too_deep"));
        let v = scan(&"a {".repeat(100_000)).unwrap_err();
        assert_eq!((v.start, v.end), (3 * MAX_DEPTH + 2, 3 * MAX_DEPTH + 3));
    }

    #[test]
    fn braces_in_strings_and_comments_do_not_count() {
        let deep = "{".repeat(MAX_DEPTH + 1);
        for text in [
            format!("a \"{deep}\""),
            format!("a \"\\\"{deep}\""),
            format!("a #\"{deep}\"#"),
            format!("a ##\"\"#{deep}\"##"),
            format!("a \"\"\"\n{deep}\n\"\"\""),
            format!("a #\"\"\"\n\"\"\"{deep}\n\"\"\"#"),
            format!("// {deep}\na"),
            format!("/* /* */ {deep} */ a"),
        ] {
            assert_eq!(code(&text), None, "{text}");
        }
    }

    #[test]
    fn an_unterminated_string_or_comment_does_not_hide_what_follows() {
        let deep = "a {".repeat(MAX_DEPTH + 1);
        assert_eq!(code(&format!("a \"{deep}")), Some("spec::too_deep"));
        assert_eq!(code(&format!("a #\"{deep}")), Some("spec::too_deep"));
        assert_eq!(code(&format!("/* {deep}")), Some("spec::too_deep"));
    }

    #[test]
    fn comment_nesting_and_slashdash_chains_are_bounded() {
        let comments = |n: usize| format!("{}{}", "/*".repeat(n), "*/".repeat(n));
        assert_eq!(code(&comments(MAX_DEPTH)), None);
        assert_eq!(code(&comments(MAX_DEPTH + 1)), Some("spec::too_deep"));
        let chain = |n: usize| format!("a {}b", "/- ".repeat(n));
        assert_eq!(code(&chain(MAX_DEPTH)), None);
        assert_eq!(code(&chain(MAX_DEPTH + 1)), Some("spec::too_deep"));
        // Slashdashes each followed by something are not a chain.
        assert_eq!(code(&"a /-b ".repeat(1000)), None);
        // Unicode whitespace between slashdashes is whitespace; other characters are not.
        assert_eq!(
            code(&format!("a {}b", "/-\u{3000}".repeat(MAX_DEPTH + 1))),
            Some("spec::too_deep")
        );
        assert_eq!(code(&format!("a {}b", "/-é ".repeat(MAX_DEPTH + 1))), None);
    }

    #[test]
    fn integers_beyond_128_bits_are_refused() {
        for ok in [
            "a 1",
            "a -170141183460469231731687303715884105727",
            "a 0xff_ff",
            "a 1e999",
            "a x99999999999999999999999999999999999999999",
            "a \"99999999999999999999999999999999999999999\"",
        ] {
            assert_eq!(code(ok), None, "{ok}");
        }
        for bad in [
            "a 170141183460469231731687303715884105728",
            "a k=-99999999999999999999999999999999999999999",
            "a 0x1_0000_0000_0000_0000_0000_0000_0000_0000",
            "a (t)0b1111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111",
        ] {
            assert_eq!(code(bad), Some("spec::invalid_value"), "{bad}");
        }
    }

    #[test]
    fn characters_kdl_forbids_are_refused_where_they_are() {
        let v = scan("a \"b\0\"").unwrap_err();
        assert_eq!((v.code, v.start, v.end), ("spec::invalid_character", 4, 5));
        assert_eq!(code("a \"\u{202e}\""), Some("spec::invalid_character"));
        assert_eq!(code("a \u{7f}"), Some("spec::invalid_character"));
        assert_eq!(code("a b\u{feff}"), Some("spec::invalid_character"));
        assert_eq!(code("\u{feff}a \"é\t\r\n\""), None);
    }

    #[test]
    fn size_is_bounded() {
        assert_eq!(code(&" ".repeat(MAX_FILE_BYTES)), None);
        assert_eq!(
            code(&" ".repeat(MAX_FILE_BYTES + 1)),
            Some("spec::file_too_large")
        );
    }
}
