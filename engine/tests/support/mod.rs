//! Test resource types for the engine's tests: small, but shaped like real ones
//! (required and computed attributes, blocks, repeated blocks, enums, JSON, lookups).

#![allow(dead_code)] // each test binary uses a different part of the support module

pub mod harness;
pub mod memory;

use std::sync::{Arc, LazyLock};

use strata_engine::Registry;
use strata_engine::schema::{Attribute, BlockSchema, Constraint, Schema, Type};

use memory::{Cloud, MemoryLookup, MemoryType};

fn tags() -> Attribute {
    Attribute::optional("tags", Type::map(Type::String))
}

static VPC: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "a test network",
        vec![
            Attribute::required("cidr-block", Type::String).force_new(),
            Attribute::optional("enable-dns", Type::Bool).default(true),
            tags(),
            Attribute::computed("id", Type::String),
            Attribute::computed("arn", Type::String),
        ],
    )
});

static SUBNET: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "a test subnet",
        vec![
            Attribute::required("vpc-id", Type::String).force_new(),
            Attribute::required("cidr-block", Type::String).force_new(),
            Attribute::optional_computed("availability-zone", Type::String),
            tags(),
            Attribute::computed("id", Type::String),
        ],
    )
});

static GROUP: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "a test group of subnets",
        vec![
            Attribute::required("name", Type::String),
            Attribute::required("subnet-ids", Type::list(Type::String)),
            Attribute::optional("port", Type::Int),
            Attribute::computed("arn", Type::String),
            Attribute::computed("member-ids", Type::list(Type::String)),
        ],
    )
});

static BUCKET: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "a test bucket",
        vec![
            Attribute::required("bucket", Type::String).force_new(),
            Attribute::optional("versioning", Type::Bool).default(false),
            Attribute::optional(
                "encryption",
                Type::block(BlockSchema::new(vec![
                    Attribute::required("algorithm", Type::one_of(&["AES256", "aws:kms"])),
                    Attribute::optional("kms-key-id", Type::String),
                ])),
            ),
            Attribute::optional(
                "lifecycle-rule",
                Type::block(
                    BlockSchema::new(vec![
                        Attribute::required("id", Type::String),
                        Attribute::optional("enabled", Type::Bool).default(true),
                        Attribute::optional("expiration-days", Type::Int),
                    ])
                    .with_args("id"),
                ),
            )
            .repeated(),
            Attribute::optional("password", Type::String).sensitive(),
            tags(),
            Attribute::computed("arn", Type::String),
            Attribute::computed("domain-name", Type::String),
        ],
    )
});

static POLICY: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "a test bucket policy",
        vec![
            Attribute::required("bucket", Type::String).force_new(),
            Attribute::optional("policy", Type::Json),
            Attribute::optional(
                "statement",
                Type::block(
                    BlockSchema::new(vec![
                        Attribute::optional("sid", Type::String),
                        Attribute::optional("effect", Type::one_of(&["Allow", "Deny"]))
                            .default("Allow"),
                        Attribute::required("actions", Type::list(Type::String)),
                        Attribute::required("resources", Type::list(Type::String)),
                    ])
                    .with_args("sid"),
                ),
            )
            .repeated(),
            Attribute::computed("id", Type::String),
        ],
    )
    .with_constraint(Constraint::ExactlyOneOf(vec!["policy", "statement"]))
});

static DEFAULT_VPC: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "finds a test network",
        vec![
            Attribute::optional("default", Type::Bool),
            Attribute::computed("id", Type::String),
            Attribute::computed("cidr-block", Type::String),
        ],
    )
});

static SECRET: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "finds a test secret",
        vec![
            Attribute::required("name", Type::String),
            Attribute::computed("id", Type::String),
            Attribute::computed("value", Type::String).sensitive(),
        ],
    )
});

/// The test types, backed by a fresh in-memory cloud (for tests that only check specs).
pub fn registry() -> Registry {
    registry_with(&Arc::new(Cloud::default()))
}

/// The test types, backed by `cloud`.
pub fn registry_with(cloud: &Arc<Cloud>) -> Registry {
    let mut r = Registry::with_backpressure(cloud.backpressure.clone());
    for (name, schema) in [
        ("net.vpc", &VPC),
        ("net.subnet", &SUBNET),
        ("net.group", &GROUP),
        ("store.bucket", &BUCKET),
        ("store.policy", &POLICY),
    ] {
        r.register(Arc::new(MemoryType {
            name,
            schema,
            cloud: cloud.clone(),
        }));
    }
    r.register_lookup(Arc::new(MemoryLookup {
        name: "net.vpc",
        schema: &DEFAULT_VPC,
    }));
    r.register_lookup(Arc::new(MemoryLookup {
        name: "vault.secret",
        schema: &SECRET,
    }));
    r
}
