//! `${...}` templates inside strings.
//!
//! `"impressionnistes-${env}"` splits into literal text and placeholders; `$${` writes a
//! literal `${`. Placeholders are resolved by the checker (`env`, `region`, `var.NAME`,
//! or a reference path).
//! Invariant: offsets are byte offsets into the string value, so the checker can turn
//! them into spans when the string was written without escapes.

#[derive(Debug, Clone, PartialEq)]
pub enum Piece<'a> {
    Text(String),
    Placeholder {
        expr: &'a str,
        start: usize,
        end: usize,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct TemplateError {
    pub message: &'static str,
    pub start: usize,
    pub end: usize,
}

/// Splits a string into text and placeholders. `None` pieces means no `${` at all.
pub fn parse(s: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut rest = 0;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' && s[i..].starts_with("$${") {
            text.push_str(&s[rest..i]);
            text.push_str("${");
            i += 3;
            rest = i;
        } else if bytes[i] == b'$' && s[i..].starts_with("${") {
            text.push_str(&s[rest..i]);
            let Some(close) = s[i + 2..].find('}') else {
                return Err(TemplateError {
                    message: "unclosed `${`",
                    start: i,
                    end: s.len(),
                });
            };
            let end = i + 2 + close + 1;
            let inner = &s[i + 2..end - 1];
            let trimmed = inner.trim();
            if trimmed.is_empty() {
                return Err(TemplateError {
                    message: "empty `${}`",
                    start: i,
                    end,
                });
            }
            if !text.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut text)));
            }
            pieces.push(Piece::Placeholder {
                expr: trimmed,
                start: i,
                end,
            });
            i = end;
            rest = i;
        } else {
            i += 1;
        }
    }
    text.push_str(&s[rest..]);
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_text_and_placeholders() {
        let pieces = parse("a-${env}-${ site.arn }/*").unwrap();
        assert_eq!(
            pieces,
            vec![
                Piece::Text("a-".into()),
                Piece::Placeholder {
                    expr: "env",
                    start: 2,
                    end: 8
                },
                Piece::Text("-".into()),
                Piece::Placeholder {
                    expr: "site.arn",
                    start: 9,
                    end: 22
                },
                Piece::Text("/*".into()),
            ]
        );
    }

    #[test]
    fn escapes_and_errors() {
        assert_eq!(parse("$${x}").unwrap(), vec![Piece::Text("${x}".into())]);
        assert_eq!(parse("plain").unwrap(), vec![Piece::Text("plain".into())]);
        assert_eq!(parse("a ${b").unwrap_err().message, "unclosed `${`");
        assert_eq!(parse("${ }").unwrap_err().message, "empty `${}`");
    }
}
