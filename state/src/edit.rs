//! Looking things up in a state by name, and the edits people make by hand: forgetting
//! resources (`strata state rm`) and renaming an address (`strata state mv`).
//!
//! Invariants:
//! - An edit is all or nothing: every address is checked before anything changes, and a
//!   refused edit leaves the state as it was.
//! - An unknown address or output name is an error that suggests the closest one.
//! - These functions change the state in memory only; the caller writes it through a
//!   store (holding the lock), which keeps the backup and checks the serial.
//! - Forgetting a resource leaves the `dependencies` of other records as they are: they
//!   say what was applied in what order, and if the resource comes back under the same
//!   address (imported again) a destroy must still delete the dependents first.
//!   Renaming rewrites them, since the resource itself is still there.

use crate::error::{Result, StateError};
use crate::{ResourceState, State, StoredValue};

/// The record at `address`, or `state::unknown_address` with a suggestion.
pub fn resource<'a>(state: &'a State, address: &str) -> Result<&'a ResourceState> {
    state
        .resources
        .get(address)
        .ok_or_else(|| unknown_address(state, address))
}

/// The output `name` (`stack.output`), or `state::unknown_output` with a suggestion.
pub fn output<'a>(state: &'a State, name: &str) -> Result<&'a StoredValue> {
    state
        .outputs
        .get(name)
        .ok_or_else(|| StateError::UnknownOutput {
            name: name.to_owned(),
            environment: state.environment.clone(),
            suggestion: strata_engine::suggest::closest(name, state.outputs.keys()),
            none: state.outputs.is_empty(),
        })
}

/// Forget the resources at `addresses` (each once, whatever the repetitions), returning
/// their records in the order given. Nothing is removed if any address is unknown.
pub fn remove(state: &mut State, addresses: &[String]) -> Result<Vec<(String, ResourceState)>> {
    for address in addresses {
        resource(state, address)?;
    }
    let mut removed = Vec::with_capacity(addresses.len());
    for address in addresses {
        if let Some(record) = state.resources.remove(address) {
            removed.push((address.clone(), record));
        }
    }
    Ok(removed)
}

/// Move the record at `from` to the address `to`, and make every record that depended on
/// `from` depend on `to`. Returns the addresses of those records, sorted. Refuses when
/// `from` is not in the state, `to` is not an address, or `to` is already taken.
pub fn rename(state: &mut State, from: &str, to: &str) -> Result<Vec<String>> {
    resource(state, from)?;
    if !is_address(to) {
        return Err(StateError::InvalidAddress {
            address: to.to_owned(),
        });
    }
    if let Some(existing) = state.resources.get(to) {
        return Err(StateError::AddressTaken {
            address: to.to_owned(),
            environment: state.environment.clone(),
            type_name: existing.type_name.clone(),
            id: existing.id.clone(),
        });
    }
    let record = state
        .resources
        .remove(from)
        .expect("checked to be present above");
    state.resources.insert(to.to_owned(), record);
    let mut rewritten = Vec::new();
    for (address, record) in &mut state.resources {
        if !record.dependencies.iter().any(|d| d == from) {
            continue;
        }
        let mut seen = std::collections::HashSet::new();
        record.dependencies = record
            .dependencies
            .iter()
            .map(|d| if d == from { to.to_owned() } else { d.clone() })
            .filter(|d| seen.insert(d.clone()))
            .collect();
        rewritten.push(address.clone());
    }
    Ok(rewritten)
}

/// Whether `text` has the shape of a resource address: `stack.name`, where the stack is
/// a spec name (letters, digits, `-`, `_`) and the name is not empty (it may carry a
/// `["key"]` suffix, as instances of `for-each` will).
pub fn is_address(text: &str) -> bool {
    let is_name = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    let Some((stack, rest)) = text.split_once('.') else {
        return false;
    };
    let name = match rest.split_once('[') {
        Some((name, key)) => {
            let quoted = key
                .strip_suffix(']')
                .and_then(|k| k.strip_prefix('"'))
                .and_then(|k| k.strip_suffix('"'));
            if quoted.is_none_or(|k| k.contains('"')) {
                return false;
            }
            name
        }
        None => rest,
    };
    is_name(stack) && is_name(name)
}

fn unknown_address(state: &State, address: &str) -> StateError {
    StateError::UnknownAddress {
        address: address.to_owned(),
        environment: state.environment.clone(),
        suggestion: strata_engine::suggest::closest(address, state.resources.keys()),
        none: state.resources.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_have_a_stack_and_a_name() {
        for ok in [
            "network.vpc",
            "a_b.c-d",
            "api.handler[\"crew\"]",
            "s.n[\"\"]",
        ] {
            assert!(is_address(ok), "{ok}");
        }
        for bad in [
            "",
            "vpc",
            ".vpc",
            "network.",
            "net work.vpc",
            "network.vpc.id",
            "api.handler[crew]",
            "api.handler[\"a\"\"]",
            "api.handler[\"crew\"",
        ] {
            assert!(!is_address(bad), "{bad}");
        }
    }
}
