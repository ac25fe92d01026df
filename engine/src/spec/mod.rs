//! The spec language: a folder of KDL files in, a checked `Spec` (or every problem) out.
//!
//! `project::load` reads and parses a folder into declarations; `check::check` resolves
//! them for an environment against the type registry; `fmt` rewrites files in canonical
//! form. Invariant: nothing in this module writes state or talks to a cloud.

pub mod check;
pub mod expr;
pub mod fmt;
pub mod limits;
pub mod model;
pub mod project;
pub mod raw;
pub mod template;

pub use check::{check, validate};
pub use expr::{Expr, Part, Ref, ResourceId};
pub use model::{
    Address, Environment, Lifecycle, Output, Resource, Spec, Stack, StateBackend, Variable,
};
pub use project::{Mode, Project, SpecFile, load, load_files};
