//! `strata state list|show|rm|mv`: look at the state of an environment, and the edits
//! people make to it by hand. The spec is loaded only to find the environment's state;
//! the edits themselves are `strata_state::edit`, written through the store (lock held,
//! backup kept, serial checked).

pub mod list;
pub mod mv;
pub mod rm;
pub mod show;

use strata_engine::spec::Spec;
use strata_state::StoredValue;

/// A stored value as people read it: sensitive values are only `(sensitive)`.
pub fn shown(value: &StoredValue) -> String {
    match value.as_plain() {
        Some(v) => v.to_string(),
        None => "(sensitive)".to_owned(),
    }
}

/// Warns when `address` is still declared in the spec: forgetting or moving its record
/// means the next plan creates it again.
pub fn warn_if_in_spec(spec: &Spec, address: &str) {
    if spec.find_str(address).is_some() {
        eprintln!(
            "note: `{address}` is still in the spec: the next plan would create it again; remove or rename it in the spec too"
        );
    }
}
