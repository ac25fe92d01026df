//! The provider contract: resource and lookup types, and the registry that names them.
//!
//! The engine only ever reaches a type through this registry, by the name written in
//! the spec (`s3.bucket`); it never matches on type names itself.
//! Invariant: a type name is `<service>.<kind>`, lowercase kebab-case, registered once.

use std::collections::HashMap;
use std::sync::Arc;

use crate::schema::Schema;

/// A kind of cloud resource strata manages (`s3.bucket`, `ec2.vpc`).
pub trait ResourceType: Send + Sync {
    /// `<service>.<kind>`, as written in specs.
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
}

/// A read-only data source (`lookup ec2.vpc default { default #true }`): its settable
/// attributes are filters, its computed attributes what the lookup finds.
pub trait LookupType: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
}

#[derive(Default, Clone)]
pub struct Registry {
    resources: HashMap<&'static str, Arc<dyn ResourceType>>,
    lookups: HashMap<&'static str, Arc<dyn LookupType>>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a resource type. Panics on a malformed or duplicate name: that is a
    /// programming error in a provider, not a user error.
    pub fn register(&mut self, ty: Arc<dyn ResourceType>) {
        let name = ty.type_name();
        check_type_name(name);
        let previous = self.resources.insert(name, ty);
        assert!(
            previous.is_none(),
            "resource type `{name}` registered twice"
        );
    }

    pub fn register_lookup(&mut self, ty: Arc<dyn LookupType>) {
        let name = ty.type_name();
        check_type_name(name);
        let previous = self.lookups.insert(name, ty);
        assert!(previous.is_none(), "lookup type `{name}` registered twice");
    }

    pub fn resource(&self, name: &str) -> Option<&Arc<dyn ResourceType>> {
        self.resources.get(name)
    }

    pub fn lookup(&self, name: &str) -> Option<&Arc<dyn LookupType>> {
        self.lookups.get(name)
    }

    /// Registered resource type names, sorted.
    pub fn resource_names(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.resources.keys().copied().collect();
        names.sort_unstable();
        names
    }

    /// Registered lookup type names, sorted.
    pub fn lookup_names(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.lookups.keys().copied().collect();
        names.sort_unstable();
        names
    }
}

fn check_type_name(name: &str) {
    let valid = name.split_once('.').is_some_and(|(service, kind)| {
        let ok = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        ok(service) && ok(kind)
    });
    assert!(
        valid,
        "type name `{name}` is not `<service>.<kind>` in kebab-case"
    );
}
