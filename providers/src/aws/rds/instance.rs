//! `rds.instance`: a single RDS database instance (Postgres, MySQL, MariaDB...), new or
//! restored from a snapshot.
//!
//! Maps to CreateDBInstance, or RestoreDBInstanceFromDBSnapshot when
//! `snapshot-identifier` is set; DescribeDBInstances; ModifyDBInstance (with
//! ApplyImmediately from `apply-immediately`); DeleteDBInstance with a final snapshot
//! unless `skip-final-snapshot`. Waits for `available` after create and modify, and for
//! the instance to be gone after delete. Force-new: `identifier`, `engine`, `db-name`,
//! `username`, `snapshot-identifier`, `storage-encrypted`, `kms-key-id`.

use std::sync::LazyLock;

use strata_engine::{Attribute, Constraint, Schema, Type};

use crate::aws::tags;

/// The `rds.instance` resource type.
pub struct Instance {
    pub(crate) aws: crate::aws::client::Aws,
}

crate::aws::schema_only!(resource Instance, "rds.instance", SCHEMA);

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "An RDS DB instance.",
        vec![
            Attribute::required("identifier", Type::String)
                .force_new()
                .doc("The instance identifier (lowercase letters, digits, hyphens), part of its endpoint."),
            Attribute::required("engine", Type::String)
                .force_new()
                .doc("The engine: `postgres`, `mysql`, `mariadb`... (also written when restoring a snapshot)."),
            Attribute::optional_computed("engine-version", Type::String)
                .doc("The engine version, e.g. `\"13.7\"`; a change is an in-place upgrade. When absent, the default (or the snapshot's)."),
            Attribute::required("instance-class", Type::String)
                .doc("The instance class, e.g. `db.t3.micro`."),
            Attribute::optional_computed("allocated-storage", Type::Int)
                .doc("Storage in GiB (required for a new instance; from the snapshot when restoring). It can only grow."),
            Attribute::optional_computed(
                "storage-type",
                Type::one_of(&["standard", "gp2", "gp3", "io1", "io2"]),
            )
            .doc("The storage type; when absent, AWS's default (gp2, or the snapshot's)."),
            Attribute::optional_computed("storage-encrypted", Type::Bool)
                .force_new()
                .doc("Encrypt the storage at rest; when absent, unencrypted (or as the snapshot)."),
            Attribute::optional_computed("kms-key-id", Type::String)
                .force_new()
                .doc("The KMS key for storage encryption; when absent, the `aws/rds` key."),
            Attribute::optional("db-name", Type::String)
                .force_new()
                .doc("A database created in the instance (not with a snapshot, which brings its own)."),
            Attribute::optional_computed("username", Type::String)
                .force_new()
                .doc("The master user name (from the snapshot when restoring)."),
            Attribute::optional("password", Type::String)
                .sensitive()
                .doc("The master password, e.g. from `lookup ssm.parameter` or `(env)\"DB_PASSWORD\"`; never stored in plain text. Exclusive with `manage-master-password`."),
            Attribute::optional("manage-master-password", Type::Bool)
                .doc("Let RDS generate the master password and keep it in Secrets Manager (see `master-user-secret-arn`)."),
            Attribute::optional_computed("port", Type::Int)
                .doc("The port the database listens on; when absent, the engine's default (5432 for postgres)."),
            Attribute::optional_computed("db-subnet-group-name", Type::String)
                .doc("The `rds.subnet-group` (its `name`) placing the instance in a VPC; when absent, the default VPC."),
            Attribute::optional_computed("vpc-security-group-ids", Type::list(Type::String))
                .doc("Security groups of the instance; when absent, the VPC's default group."),
            Attribute::optional_computed("parameter-group-name", Type::String)
                .doc("The DB parameter group; when absent, the engine version's default group."),
            Attribute::optional("publicly-accessible", Type::Bool)
                .default(false)
                .doc("Give the instance a public DNS name resolving to a public address."),
            Attribute::optional("iam-database-authentication", Type::Bool)
                .default(false)
                .doc("Let IAM users and roles connect with an auth token (`rds-db:connect`)."),
            Attribute::optional_computed("backup-retention-period", Type::Int)
                .doc("Days automated backups are kept, 0 to disable them; when absent, AWS's default (1)."),
            Attribute::optional("multi-az", Type::Bool)
                .default(false)
                .doc("Keep a synchronous standby in another availability zone."),
            Attribute::optional("deletion-protection", Type::Bool)
                .default(false)
                .doc("Refuse deletion (at the AWS level, for anyone) while set."),
            Attribute::optional("skip-final-snapshot", Type::Bool)
                .default(false)
                .doc("Delete without a final snapshot. By default a destroy keeps one, named by `final-snapshot-identifier`."),
            Attribute::optional("final-snapshot-identifier", Type::String)
                .doc("The name of the final snapshot taken on delete; when absent, `IDENTIFIER-final-YYYYMMDDHHMMSS`."),
            Attribute::optional("snapshot-identifier", Type::String)
                .force_new()
                .doc("Create the instance by restoring this DB snapshot (name or ARN)."),
            Attribute::optional("apply-immediately", Type::Bool)
                .default(true)
                .doc("Apply modifications now rather than in the next maintenance window (a deferred change would show as a diff until then)."),
            tags(),
            Attribute::computed("arn", Type::String).doc("The instance ARN."),
            Attribute::computed("resource-id", Type::String)
                .doc("The region-unique resource id, `db-...`: what `rds-db:connect` policies name."),
            Attribute::computed("address", Type::String)
                .doc("The endpoint host name."),
            Attribute::computed("endpoint", Type::String)
                .doc("The endpoint as `HOST:PORT`."),
            Attribute::computed("hosted-zone-id", Type::String)
                .doc("The Route 53 zone of the endpoint."),
            Attribute::computed("master-user-secret-arn", Type::String)
                .doc("The Secrets Manager secret holding the master password, with `manage-master-password`."),
        ],
    )
    .with_constraint(Constraint::AtMostOneOf(vec![
        "password",
        "manage-master-password",
    ]))
});
