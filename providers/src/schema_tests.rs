//! Checks every registered type's schema is well-formed: the rules a spec writer relies
//! on (kebab-case names, one meaning per name, references have something to read) and the
//! ones the engine relies on (force-new only on what a spec can set, defaults that fit
//! their type, constraints that can be satisfied).

use std::collections::HashSet;
use std::path::Path;

use strata_engine::{Attribute, BlockSchema, Constraint, Presence, Schema, Type, Value};

use crate::aws::tags;

const RESOURCES: &[&str] = &[
    "cloudfront.distribution",
    "cloudfront.origin-access-control",
    "ec2.elastic-ip",
    "ec2.instance",
    "ec2.internet-gateway",
    "ec2.nat-gateway",
    "ec2.route-table",
    "ec2.security-group",
    "ec2.security-group-egress",
    "ec2.security-group-ingress",
    "ec2.subnet",
    "ec2.vpc",
    "rds.instance",
    "rds.subnet-group",
    "s3.bucket",
    "s3.bucket-policy",
    "s3.object",
    "secretsmanager.secret",
];

const LOOKUPS: &[&str] = &[
    "ec2.ami",
    "ec2.availability-zones",
    "ec2.subnets",
    "ec2.vpc",
    "secretsmanager.secret-value",
    "ssm.parameter",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Resource,
    Lookup,
}

/// Every registered type with its schema.
fn all_types() -> Vec<(Kind, &'static str, Schema)> {
    let registry = crate::registry();
    let mut all = Vec::new();
    for name in registry.resource_names() {
        let schema = registry.resource(name).unwrap().schema().clone();
        all.push((Kind::Resource, name, schema));
    }
    for name in registry.lookup_names() {
        let schema = registry.lookup(name).unwrap().schema().clone();
        all.push((Kind::Lookup, name, schema));
    }
    all
}

/// Calls `check` on every block of a schema (the body, then nested blocks), with a path
/// naming the block (`s3.bucket/lifecycle-rule`) for failure messages.
fn walk_blocks(path: &str, block: &BlockSchema, check: &mut dyn FnMut(&str, &BlockSchema)) {
    check(path, block);
    for attr in &block.attributes {
        if let Some(nested) = nested_block(&attr.ty) {
            walk_blocks(&format!("{path}/{}", attr.name), nested, check);
        }
    }
}

fn nested_block(ty: &Type) -> Option<&BlockSchema> {
    match ty {
        Type::Block(block) => Some(block),
        Type::List(of) | Type::Map(of) => nested_block(of),
        _ => None,
    }
}

/// Calls `check` on every attribute of every type, nested ones included.
fn each_attribute(mut check: impl FnMut(&str, &Attribute)) {
    for (_, name, schema) in all_types() {
        walk_blocks(name, &schema.body, &mut |path, block| {
            for attr in &block.attributes {
                check(path, attr);
            }
        });
    }
}

fn is_kebab_case(name: &str) -> bool {
    !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && !name.contains("--")
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Whether `value` is a valid value of `ty`.
fn fits(value: &Value, ty: &Type) -> bool {
    match (ty, value) {
        (Type::Any | Type::Json, _) => true,
        (Type::String, Value::String(_)) => true,
        (Type::Int, Value::Int(_)) => true,
        (Type::Number, Value::Int(_) | Value::Float(_)) => true,
        (Type::Bool, Value::Bool(_)) => true,
        (Type::Enum(allowed), Value::String(s)) => allowed.contains(&s.as_str()),
        (Type::List(of), Value::List(items)) => items.iter().all(|item| fits(item, of)),
        (Type::Map(of), Value::Map(entries)) => entries.values().all(|v| fits(v, of)),
        _ => false,
    }
}

#[test]
fn the_registry_holds_exactly_the_expected_types() {
    let registry = crate::registry();
    assert_eq!(registry.resource_names(), RESOURCES);
    assert_eq!(registry.lookup_names(), LOOKUPS);
}

#[test]
fn every_type_has_its_own_file_opening_with_a_module_doc() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/aws");
    for (kind, name, _) in all_types() {
        let (service, type_kind) = name.split_once('.').unwrap();
        let file = format!("{}.rs", type_kind.replace('-', "_"));
        let path = match kind {
            Kind::Resource => root.join(service).join(file),
            Kind::Lookup => root.join(service).join("lookup").join(file),
        };
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{name}: cannot read {}: {e}", path.display()));
        let first = text.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("//! `") && first.contains(name),
            "{name}: {} must open with a `//!` paragraph naming the type, found {first:?}",
            path.display()
        );
        assert!(
            text.contains(&format!("\"{name}\"")) && text.contains("LazyLock<Schema>"),
            "{name}: {} must define the type and its LazyLock schema",
            path.display()
        );
    }
}

#[test]
fn types_and_attributes_are_documented() {
    for (_, name, schema) in all_types() {
        assert!(
            schema.description.ends_with('.'),
            "{name}: the description must be a sentence, got {:?}",
            schema.description
        );
    }
    each_attribute(|path, attr| {
        assert!(
            !attr.description.trim().is_empty(),
            "{path}.{} has no doc",
            attr.name
        );
    });
}

#[test]
fn attribute_names_are_kebab_case_and_unique_in_their_block() {
    for (_, name, schema) in all_types() {
        walk_blocks(name, &schema.body, &mut |path, block| {
            let mut seen = HashSet::new();
            for attr in &block.attributes {
                assert!(
                    is_kebab_case(attr.name),
                    "{path}.{} is not kebab-case",
                    attr.name
                );
                assert!(
                    seen.insert(attr.name),
                    "{path}.{} is declared twice",
                    attr.name
                );
            }
        });
    }
}

#[test]
fn every_type_exports_a_computed_attribute_for_references() {
    for (_, name, schema) in all_types() {
        let computed: Vec<_> = schema
            .body
            .attributes
            .iter()
            .filter(|a| a.presence == Presence::Computed)
            .map(|a| a.name)
            .collect();
        assert!(
            !computed.is_empty(),
            "{name} has no computed attribute a reference could read"
        );
        for attr in &schema.body.attributes {
            if attr.presence == Presence::Computed {
                assert!(
                    schema.exported().any(|e| e.name == attr.name),
                    "{name}.{} is computed but not exported",
                    attr.name
                );
            }
        }
    }
}

#[test]
fn force_new_attributes_are_settable() {
    each_attribute(|path, attr| {
        if attr.force_new {
            assert!(
                attr.is_settable(),
                "{path}.{} is force-new but computed: a spec could never change it",
                attr.name
            );
        }
    });
}

#[test]
fn computed_attributes_are_plain_outputs() {
    each_attribute(|path, attr| {
        if attr.presence == Presence::Computed {
            assert!(
                attr.default.is_none() && !attr.force_new && !attr.repeated,
                "{path}.{} is computed: it takes no default, force-new or repeated",
                attr.name
            );
        }
    });
}

#[test]
fn defaults_are_on_optional_attributes_and_fit_their_type() {
    each_attribute(|path, attr| {
        let Some(default) = &attr.default else { return };
        assert_eq!(
            attr.presence,
            Presence::Optional,
            "{path}.{} has a default but is not simply optional",
            attr.name
        );
        assert!(
            fits(default, &attr.ty),
            "{path}.{}: default {default} is not {}",
            attr.name,
            attr.ty.describe()
        );
    });
}

#[test]
fn only_blocks_repeat_and_block_arguments_fill_a_settable_scalar_or_list() {
    each_attribute(|path, attr| {
        if attr.repeated {
            assert!(
                matches!(attr.ty, Type::Block(_)),
                "{path}.{} is repeated but not a block",
                attr.name
            );
        }
    });
    for (_, name, schema) in all_types() {
        assert!(
            schema.body.args.is_none(),
            "{name}: a resource body takes no arguments (its argument is its name)"
        );
        walk_blocks(name, &schema.body, &mut |path, block| {
            let Some(args) = block.args else { return };
            let attr = block.attribute(args).unwrap();
            assert!(
                attr.is_settable() && (attr.ty.is_scalar() || matches!(attr.ty, Type::List(_))),
                "{path}: its arguments fill `{args}`, which must be a settable scalar or list"
            );
        });
    }
}

#[test]
fn constraints_name_optional_attributes_without_defaults() {
    for (_, name, schema) in all_types() {
        walk_blocks(name, &schema.body, &mut |path, block| {
            for constraint in &block.constraints {
                let (Constraint::ExactlyOneOf(names) | Constraint::AtMostOneOf(names)) = constraint;
                assert!(
                    names.len() >= 2,
                    "{path}: a constraint needs two attributes"
                );
                for member in names {
                    let attr = block.attribute(member).unwrap();
                    assert!(
                        attr.presence == Presence::Optional && attr.default.is_none(),
                        "{path}.{member} is in a constraint, so it must be optional with no \
                         default (else the constraint is always or never met)"
                    );
                }
            }
        });
    }
}

#[test]
fn tags_are_the_shared_attribute_everywhere() {
    let shared = tags();
    let mut taggable = 0;
    for (kind, name, schema) in all_types() {
        walk_blocks(name, &schema.body, &mut |path, block| {
            if path != name {
                assert!(block.attribute("tags").is_none(), "{path} has nested tags");
            }
        });
        let Some(attr) = schema.attribute("tags") else {
            continue;
        };
        taggable += 1;
        match kind {
            Kind::Resource => assert_eq!(attr, &shared, "{name}.tags differs from aws::tags()"),
            Kind::Lookup => assert!(
                attr.ty == shared.ty && attr.presence == shared.presence,
                "{name}.tags (a filter) must have the shared type"
            ),
        }
    }
    assert!(taggable >= 15, "only {taggable} types have tags");
}

#[test]
fn ids_and_arns_are_strings_the_cloud_reports() {
    for (_, name, schema) in all_types() {
        for attr in &schema.body.attributes {
            if attr.name == "id" || attr.name == "arn" || attr.name.ends_with("-arn") {
                let from_cloud = matches!(
                    attr.presence,
                    Presence::Computed | Presence::OptionalComputed
                );
                let set_by_user = attr.name != "id" && attr.name != "arn";
                assert!(
                    attr.ty == Type::String && (from_cloud || set_by_user),
                    "{name}.{} must be a string computed by the cloud",
                    attr.name
                );
            }
        }
    }
}

#[test]
fn lists_have_plural_names() {
    each_attribute(|path, attr| {
        if matches!(attr.ty, Type::List(_)) {
            assert!(
                !attr.name.ends_with("-id") && !attr.name.ends_with("-arn"),
                "{path}.{} is a list: name it in the plural (`-ids`, `-arns`)",
                attr.name
            );
        }
    });
}

#[test]
fn secrets_are_sensitive_and_nothing_else_is() {
    let mut sensitive = Vec::new();
    for (_, name, schema) in all_types() {
        walk_blocks(name, &schema.body, &mut |path, block| {
            for attr in &block.attributes {
                if attr.sensitive {
                    sensitive.push(format!("{path}.{}", attr.name));
                }
            }
        });
    }
    sensitive.sort();
    assert_eq!(
        sensitive,
        [
            "rds.instance.password",
            "secretsmanager.secret-value.secret-string",
            "secretsmanager.secret.secret-string",
            "ssm.parameter.value"
        ]
    );
}

#[test]
fn digidex_choices_are_expressible() {
    let registry = crate::registry();
    let schema = |name: &str| registry.resource(name).unwrap().schema().clone();

    // The site bucket's policy is either JSON or statements, never both.
    let policy = schema("s3.bucket-policy");
    assert!(
        policy
            .body
            .constraints
            .contains(&Constraint::ExactlyOneOf(vec!["policy", "statement"]))
    );

    // A DB group with no default egress, whose rules refer to another group.
    let group = schema("ec2.security-group");
    assert_eq!(
        group.attribute("revoke-default-egress").unwrap().default,
        Some(Value::Bool(false))
    );
    let ingress = nested_block(&group.attribute("ingress").unwrap().ty).unwrap();
    let egress = nested_block(&group.attribute("egress").unwrap().ty).unwrap();
    assert!(ingress.attribute("source-security-group-id").is_some());
    assert!(egress.attribute("destination-security-group-id").is_some());
    assert_eq!(ingress.args, Some("protocol"));
    for standalone in ["ec2.security-group-ingress", "ec2.security-group-egress"] {
        let rule = schema(standalone);
        for attr in &rule.body.attributes {
            let expected = attr.is_settable() && attr.name != "description";
            assert_eq!(attr.force_new, expected, "{standalone}.{}", attr.name);
        }
    }

    // Restoring the database from a snapshot is a replacement when the snapshot changes.
    let db = schema("rds.instance");
    assert!(db.attribute("snapshot-identifier").unwrap().force_new);
    assert!(db.body.constraints.contains(&Constraint::AtMostOneOf(vec![
        "password",
        "manage-master-password"
    ])));
    // Subnet changes modify the group in place, as AWS allows (the emulator deletes it
    // on modify; its test says so), so an instance using it is never left without one.
    assert!(
        !schema("rds.subnet-group")
            .attribute("subnet-ids")
            .unwrap()
            .force_new
    );

    // 403 -> / with a 30 minute TTL: the error code is the block's argument.
    let distribution = schema("cloudfront.distribution");
    let error = nested_block(&distribution.attribute("custom-error-response").unwrap().ty);
    assert_eq!(error.unwrap().args, Some("error-code"));
}

#[test]
fn the_checks_reject_malformed_names_and_defaults() {
    // The helpers above must be able to fail, or the tests prove nothing.
    assert!(is_kebab_case("bucket-regional-domain-name"));
    for bad in ["Bucket", "bucket_name", "-id", "id-", "a--b", "", "9lives"] {
        assert!(!is_kebab_case(bad), "{bad:?} accepted");
    }
    assert!(fits(
        &Value::from("vpc"),
        &Type::one_of(&["vpc", "standard"])
    ));
    assert!(!fits(
        &Value::from("VPC"),
        &Type::one_of(&["vpc", "standard"])
    ));
    assert!(!fits(&Value::Int(80), &Type::String));
    assert!(!fits(
        &Value::List(vec![Value::from("GET"), Value::Int(1)]),
        &Type::list(Type::String)
    ));
}
