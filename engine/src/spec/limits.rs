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
    let b = text.as_bytes();
    let mut i = 0;
    let mut depth = 0usize;
    // Slashdashes since the last token that was not whitespace, a comment or one.
    let mut chain = 0usize;
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
                chain += 1;
                if chain > MAX_DEPTH {
                    return Err(Violation {
                        code: "spec::too_deep",
                        message: format!("more than {MAX_DEPTH} slashdashes (`/-`) in a row"),
                        start: i,
                        end: i + 2,
                        label: format!("slashdash number {chain} of the chain"),
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
            // Whitespace and line continuations do not end a chain of slashdashes; nor
            // do the bytes of non-ASCII characters (some are KDL whitespace).
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c' | b'\\' | 0x80.. => i += 1,
            _ => {
                chain = 0;
                i += 1;
            }
        }
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
                    start: j,
                    end: j + 2,
                    label: format!("comment level {depth} opens here"),
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
