//! "Did you mean" suggestions for misspelled names.
//!
//! Invariant: a suggestion is offered only when it is close (by Damerau-Levenshtein
//! distance relative to the name's length), so help never points somewhere absurd.

/// The closest candidate to `name`, if one is close enough to be a likely typo.
pub fn closest<'a, I, S>(name: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str> + 'a,
{
    let limit = (name.chars().count() / 3).max(1);
    let mut best: Option<(usize, String)> = None;
    for candidate in candidates {
        let candidate = candidate.as_ref();
        if candidate == name {
            continue;
        }
        let distance = strsim::damerau_levenshtein(name, candidate);
        // Replacing every character of a short name is no typo (`b` is not a misspelt `a`).
        if distance >= name.chars().count() || distance >= candidate.chars().count() {
            continue;
        }
        let close = distance <= limit
            || (candidate.len() > 3
                && (candidate.contains(name) || name.contains(candidate))
                && name.len() > 2);
        if close && best.as_ref().is_none_or(|(d, _)| distance < *d) {
            best = Some((distance, candidate.to_owned()));
        }
    }
    best.map(|(_, s)| s)
}

/// `did you mean `x`?` help text, if a candidate is close.
pub fn did_you_mean<'a, I, S>(name: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str> + 'a,
{
    closest(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["registrations", "handler-role", "site"];
        assert_eq!(
            closest("registration", names).as_deref(),
            Some("registrations")
        );
        assert_eq!(
            closest("handler-rol", names).as_deref(),
            Some("handler-role")
        );
        assert_eq!(closest("stie", names).as_deref(), Some("site"));
        assert_eq!(closest("database", names), None);
    }
}
