//! strata-engine: everything strata does that does not talk to a cloud or a disk format.
//!
//! The spec language (loading, checking, formatting), diagnostics, the dependency graph
//! and the provider contract live here. Invariant: no AWS SDK crate is a dependency of
//! this crate, so its tests build in seconds.

pub mod provider;
pub mod schema;
pub mod state;
pub mod value;

pub use provider::{LookupType, Registry, ResourceType};
pub use schema::{Attribute, BlockSchema, Constraint, Presence, Schema, Type};
pub use value::Value;
pub mod apply;
pub mod diag;
pub mod graph;
pub mod pace;
pub mod plan;
pub mod render;
pub mod source;
pub mod spec;
pub mod suggest;
pub mod workflow;
