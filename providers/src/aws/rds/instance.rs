//! `rds.instance`: a single RDS database instance (Postgres, MySQL, MariaDB...), new or
//! restored from a snapshot.
//!
//! Maps to CreateDBInstance, or RestoreDBInstanceFromDBSnapshot when
//! `snapshot-identifier` is set; DescribeDBInstances; ModifyDBInstance (with
//! ApplyImmediately from `apply-immediately`); DeleteDBInstance, with a final snapshot
//! unless `skip-final-snapshot`; tags through AddTagsToResource / RemoveTagsFromResource.
//! The id is the identifier as AWS keeps it (lowercased).
//!
//! Create converges: once the new instance is `available`, whatever the create call
//! could not set (a restore takes no password, engine version or backup retention;
//! a restore keeps the snapshot's settings where the call left them out) is set with
//! one ModifyDBInstance, then the type waits for `available` again. An update sends
//! one ModifyDBInstance holding only what differs from what AWS has now. Waits are for
//! status `available` with no pending modification (when applied immediately), and
//! for DescribeDBInstances to answer DBInstanceNotFound after delete.
//!
//! Invariants: the master password is never read back (AWS never returns it), so it is
//! left out of what `read` observes and is sent only when the spec's value changed (or
//! on restore); `manage-master-password` reads back as whether AWS holds a Secrets
//! Manager secret for the instance. A delete refuses, naming the setting, while
//! deletion protection is on. Force-new: `identifier`, `engine`, `db-name`, `username`,
//! `snapshot-identifier`, `storage-encrypted`, `kms-key-id`.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_rds::types::{DbInstance, PendingModifiedValues};
use strata_engine::plan::diff::same;
use strata_engine::provider::{
    Attrs, CreateError, CreateToken, ErrorKind, Observed, ProviderError,
};
use strata_engine::{Attribute, Constraint, ResourceType, Schema, Type};

use crate::aws::attrs::{Out, boolean, int, required, string, string_map, string_set, strings};
use crate::aws::error::{invalid, sdk};
use crate::aws::rds::{as_written, sync_tags, tags_of, to_tags};
use crate::aws::{finish_create, tags, wait_for};

/// How long an instance may take to become available after a create or restore.
const CREATE_LIMIT: Duration = Duration::from_secs(60 * 60);
/// How long a modification may take to be applied.
const MODIFY_LIMIT: Duration = Duration::from_secs(80 * 60);
/// How long a deletion may take.
const DELETE_LIMIT: Duration = Duration::from_secs(60 * 60);
const POLL: Duration = Duration::from_secs(10);

/// The `rds.instance` resource type.
pub struct Instance {
    pub(crate) aws: crate::aws::client::Aws,
}

#[async_trait]
impl ResourceType for Instance {
    fn type_name(&self) -> &'static str {
        "rds.instance"
    }

    fn schema(&self) -> &Schema {
        &SCHEMA
    }

    async fn read(&self, id: &str, prior: &Attrs) -> Result<Option<Observed>, ProviderError> {
        let rds = self.aws.rds().await?;
        Ok(describe(&rds, id).await?.map(|db| observed(id, &db, prior)))
    }

    async fn create(&self, desired: &Attrs, _token: &CreateToken) -> Result<Observed, CreateError> {
        let rds = self.aws.rds().await?;
        let identifier = required(desired, "identifier")?;
        let restoring = string(desired, "snapshot-identifier").is_some();
        let created = if let Some(snapshot) = string(desired, "snapshot-identifier") {
            self.restore(&rds, identifier, snapshot, desired).await?
        } else {
            self.create_new(&rds, identifier, desired).await?
        };
        let id = created
            .db_instance_identifier()
            .unwrap_or(identifier)
            .to_owned();
        finish_create(&id, async {
            wait_available(&rds, &id, true, CREATE_LIMIT, "to be created").await?;
            let current = self.read(&id, desired).await?.ok_or_else(|| gone(&id))?;
            // A restore cannot set the password: it is set now. A new instance got it
            // from CreateDBInstance.
            if self
                .modify(&rds, &id, &current.attributes, desired, restoring)
                .await?
            {
                wait_available(&rds, &id, true, MODIFY_LIMIT, "to apply its settings").await?;
            }
            self.read(&id, desired).await?.ok_or_else(|| gone(&id))
        })
        .await
    }

    /// An instance is named by the spec: the instance of that identifier (as AWS keeps
    /// it, lowercased, the id create returns) is what the create made.
    async fn find(
        &self,
        desired: &Attrs,
        _token: &CreateToken,
    ) -> Result<Option<Observed>, ProviderError> {
        let identifier = required(desired, "identifier")?.to_ascii_lowercase();
        self.read(&identifier, desired).await
    }

    async fn update(
        &self,
        id: &str,
        prior: &Attrs,
        desired: &Attrs,
        changed: &[String],
    ) -> Result<Observed, ProviderError> {
        let rds = self.aws.rds().await?;
        let current = self.read(id, prior).await?.ok_or_else(|| gone(id))?;
        if changed.iter().any(|c| c == "tags") {
            let arn = required(&current.attributes, "arn")?;
            sync_tags(&rds, arn, &string_map(desired, "tags")).await?;
        }
        let password = changed.iter().any(|c| c == "password");
        if self
            .modify(&rds, id, &current.attributes, desired, password)
            .await?
        {
            let immediately = boolean(desired, "apply-immediately").unwrap_or(true);
            wait_available(&rds, id, immediately, MODIFY_LIMIT, "to apply the changes").await?;
        }
        self.read(id, desired).await?.ok_or_else(|| gone(id))
    }

    async fn delete(&self, id: &str, prior: &Attrs) -> Result<(), ProviderError> {
        let rds = self.aws.rds().await?;
        let Some(db) = describe(&rds, id).await? else {
            return Ok(());
        };
        if db.deletion_protection() == Some(true) {
            return Err(ProviderError::new(
                ErrorKind::Other,
                Some("DeletionProtection".into()),
                format!(
                    "DB instance {id} has deletion protection on, so AWS refuses to delete it; set `deletion-protection #false`, apply, then delete it"
                ),
            ));
        }
        if db.db_instance_status() != Some("deleting") {
            let skip = boolean(prior, "skip-final-snapshot").unwrap_or(false);
            let call = rds
                .delete_db_instance()
                .db_instance_identifier(id)
                .skip_final_snapshot(skip);
            let call = if skip {
                call
            } else {
                call.final_db_snapshot_identifier(final_snapshot_name(id, prior))
            };
            if let Err(e) = call.send().await {
                let e = sdk("DeleteDBInstance", e);
                if e.kind != ErrorKind::NotFound {
                    return Err(e);
                }
            }
        }
        wait_for(
            &format!("DB instance {id} to be deleted"),
            DELETE_LIMIT,
            POLL,
            || async { Ok(describe(&rds, id).await?.is_none().then_some(())) },
        )
        .await
    }
}

impl Instance {
    async fn create_new(
        &self,
        rds: &aws_sdk_rds::Client,
        identifier: &str,
        desired: &Attrs,
    ) -> Result<DbInstance, ProviderError> {
        let managed = boolean(desired, "manage-master-password").unwrap_or(false);
        let username = string(desired, "username").ok_or_else(|| {
            invalid("`username` is required for a new instance (only a snapshot brings its own)")
        })?;
        let storage = int(desired, "allocated-storage").ok_or_else(|| {
            invalid(
                "`allocated-storage` is required for a new instance (only a snapshot brings its own)",
            )
        })?;
        let password = string(desired, "password");
        if password.is_none() && !managed {
            return Err(invalid(
                "a new instance needs a master password: set `password`, or `manage-master-password #true`",
            ));
        }
        let out = rds
            .create_db_instance()
            .db_instance_identifier(identifier)
            .engine(required(desired, "engine")?)
            .set_engine_version(string(desired, "engine-version").map(str::to_owned))
            .db_instance_class(required(desired, "instance-class")?)
            .allocated_storage(to_i32(storage)?)
            .set_storage_type(string(desired, "storage-type").map(str::to_owned))
            .set_storage_encrypted(boolean(desired, "storage-encrypted"))
            .set_kms_key_id(string(desired, "kms-key-id").map(str::to_owned))
            .set_db_name(string(desired, "db-name").map(str::to_owned))
            .master_username(username)
            .set_master_user_password(password.filter(|_| !managed).map(str::to_owned))
            .set_manage_master_user_password(managed.then_some(true))
            .set_port(int(desired, "port").map(to_i32).transpose()?)
            .set_db_subnet_group_name(string(desired, "db-subnet-group-name").map(str::to_owned))
            .set_vpc_security_group_ids(security_groups(desired))
            .set_db_parameter_group_name(string(desired, "parameter-group-name").map(str::to_owned))
            .set_publicly_accessible(boolean(desired, "publicly-accessible"))
            .set_enable_iam_database_authentication(boolean(desired, "iam-database-authentication"))
            .set_backup_retention_period(
                int(desired, "backup-retention-period")
                    .map(to_i32)
                    .transpose()?,
            )
            .set_multi_az(boolean(desired, "multi-az"))
            .set_deletion_protection(boolean(desired, "deletion-protection"))
            .set_tags(to_tags(&string_map(desired, "tags")))
            .send()
            .await
            .map_err(|e| sdk("CreateDBInstance", e))?;
        out.db_instance
            .ok_or_else(|| ProviderError::other("CreateDBInstance returned no DB instance"))
    }

    /// Restores `snapshot` with everything RestoreDBInstanceFromDBSnapshot takes; the
    /// rest is set by the modification that follows.
    async fn restore(
        &self,
        rds: &aws_sdk_rds::Client,
        identifier: &str,
        snapshot: &str,
        desired: &Attrs,
    ) -> Result<DbInstance, ProviderError> {
        let out = rds
            .restore_db_instance_from_db_snapshot()
            .db_instance_identifier(identifier)
            .db_snapshot_identifier(snapshot)
            .engine(required(desired, "engine")?)
            .db_instance_class(required(desired, "instance-class")?)
            .set_allocated_storage(int(desired, "allocated-storage").map(to_i32).transpose()?)
            .set_storage_type(string(desired, "storage-type").map(str::to_owned))
            .set_port(int(desired, "port").map(to_i32).transpose()?)
            .set_db_subnet_group_name(string(desired, "db-subnet-group-name").map(str::to_owned))
            .set_vpc_security_group_ids(security_groups(desired))
            .set_db_parameter_group_name(string(desired, "parameter-group-name").map(str::to_owned))
            .set_publicly_accessible(boolean(desired, "publicly-accessible"))
            .set_enable_iam_database_authentication(boolean(desired, "iam-database-authentication"))
            .set_backup_retention_period(
                int(desired, "backup-retention-period")
                    .map(to_i32)
                    .transpose()?,
            )
            .set_multi_az(boolean(desired, "multi-az"))
            .set_deletion_protection(boolean(desired, "deletion-protection"))
            .set_manage_master_user_password(
                boolean(desired, "manage-master-password").filter(|m| *m),
            )
            .set_tags(to_tags(&string_map(desired, "tags")))
            .send()
            .await
            .map_err(|e| sdk("RestoreDBInstanceFromDBSnapshot", e))?;
        out.db_instance.ok_or_else(|| {
            ProviderError::other("RestoreDBInstanceFromDBSnapshot returned no DB instance")
        })
    }

    /// Sends one ModifyDBInstance with every modifiable attribute whose desired value
    /// differs from `current` (what AWS has now), and the password when `password`
    /// says it is to be set. Returns whether there was anything to send.
    async fn modify(
        &self,
        rds: &aws_sdk_rds::Client,
        id: &str,
        current: &Attrs,
        desired: &Attrs,
        password: bool,
    ) -> Result<bool, ProviderError> {
        let differs = |name: &str| match (desired.get(name), current.get(name)) {
            (Some(want), Some(have)) => !same(want, have),
            (Some(_), None) => true,
            (None, _) => false,
        };
        let mut call = rds
            .modify_db_instance()
            .db_instance_identifier(id)
            .apply_immediately(boolean(desired, "apply-immediately").unwrap_or(true));
        let mut any = false;
        if differs("instance-class") {
            call = call.db_instance_class(required(desired, "instance-class")?);
            any = true;
        }
        // `13` asks for no upgrade of an instance running 13.7 (after an import, the
        // state may hold AWS's more precise version).
        let version_differs = match (
            string(desired, "engine-version"),
            string(current, "engine-version"),
        ) {
            (Some(want), Some(have)) => version_as_written(have, Some(want)) != want,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if version_differs {
            // A new major version must be allowed explicitly; the spec asks for it.
            call = call
                .engine_version(required(desired, "engine-version")?)
                .allow_major_version_upgrade(true);
            any = true;
        }
        if let Some(v) = int(desired, "allocated-storage").filter(|_| differs("allocated-storage"))
        {
            call = call.allocated_storage(to_i32(v)?);
            any = true;
        }
        if differs("storage-type") {
            call = call.storage_type(required(desired, "storage-type")?);
            any = true;
        }
        if let Some(v) = int(desired, "port").filter(|_| differs("port")) {
            call = call.db_port_number(to_i32(v)?);
            any = true;
        }
        if differs("db-subnet-group-name") {
            call = call.db_subnet_group_name(required(desired, "db-subnet-group-name")?);
            any = true;
        }
        if desired.contains_key("vpc-security-group-ids") {
            let mut want = strings(desired, "vpc-security-group-ids");
            let mut have = strings(current, "vpc-security-group-ids");
            want.sort();
            have.sort();
            if want != have {
                call = call.set_vpc_security_group_ids(Some(want));
                any = true;
            }
        }
        if differs("parameter-group-name") {
            call = call.db_parameter_group_name(required(desired, "parameter-group-name")?);
            any = true;
        }
        if let Some(v) =
            boolean(desired, "publicly-accessible").filter(|_| differs("publicly-accessible"))
        {
            call = call.publicly_accessible(v);
            any = true;
        }
        if let Some(v) = boolean(desired, "iam-database-authentication")
            .filter(|_| differs("iam-database-authentication"))
        {
            call = call.enable_iam_database_authentication(v);
            any = true;
        }
        if let Some(v) = boolean(desired, "multi-az").filter(|_| differs("multi-az")) {
            call = call.multi_az(v);
            any = true;
        }
        if let Some(v) =
            boolean(desired, "deletion-protection").filter(|_| differs("deletion-protection"))
        {
            call = call.deletion_protection(v);
            any = true;
        }
        if let Some(v) =
            int(desired, "backup-retention-period").filter(|_| differs("backup-retention-period"))
        {
            call = call.backup_retention_period(to_i32(v)?);
            any = true;
        }
        let managed = boolean(desired, "manage-master-password");
        let mut send_password = password && managed != Some(true);
        if let Some(m) = managed.filter(|_| differs("manage-master-password")) {
            call = call.manage_master_user_password(m);
            // Handing the password back from Secrets Manager needs a new one.
            send_password |= !m;
            any = true;
        }
        if send_password && let Some(p) = string(desired, "password") {
            call = call.master_user_password(p);
            any = true;
        }
        if !any {
            return Ok(false);
        }
        call.send().await.map_err(|e| sdk("ModifyDBInstance", e))?;
        Ok(true)
    }
}

/// The instance `id`, or None when AWS does not know it.
async fn describe(
    rds: &aws_sdk_rds::Client,
    id: &str,
) -> Result<Option<DbInstance>, ProviderError> {
    match rds
        .describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
    {
        Ok(out) => Ok(out.db_instances.unwrap_or_default().into_iter().next()),
        Err(e) => {
            let e = sdk("DescribeDBInstances", e);
            if e.kind == ErrorKind::NotFound {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }
}

/// Waits until the instance is `available` and, when changes are applied
/// immediately, has no modification pending.
async fn wait_available(
    rds: &aws_sdk_rds::Client,
    id: &str,
    immediately: bool,
    limit: Duration,
    why: &str,
) -> Result<(), ProviderError> {
    let nothing_pending = PendingModifiedValues::builder().build();
    wait_for(
        &format!("DB instance {id} {why} (status `available`)"),
        limit,
        POLL,
        || async {
            let db = describe(rds, id).await?.ok_or_else(|| gone(id))?;
            let available = db.db_instance_status() == Some("available");
            let settled = !immediately
                || db
                    .pending_modified_values()
                    .is_none_or(|p| *p == nothing_pending);
            Ok((available && settled).then_some(()))
        },
    )
    .await
}

/// The instance as AWS describes it, in the spec's shape.
fn observed(id: &str, db: &DbInstance, prior: &Attrs) -> Observed {
    let endpoint = db.endpoint();
    let port = endpoint.and_then(|e| e.port()).or(db.db_instance_port());
    let groups = db
        .vpc_security_groups()
        .iter()
        .filter(|g| g.status() != Some("removing"))
        .filter_map(|g| g.vpc_security_group_id().map(str::to_owned))
        .collect();
    let mut out = Out::new();
    out.set(
        "identifier",
        as_written(
            db.db_instance_identifier().unwrap_or(id),
            string(prior, "identifier"),
        ),
    )
    .str("engine", db.engine())
    .str(
        "engine-version",
        db.engine_version()
            .map(|v| version_as_written(v, string(prior, "engine-version"))),
    )
    .str("instance-class", db.db_instance_class())
    .int("allocated-storage", db.allocated_storage())
    .str("storage-type", db.storage_type())
    .bool("storage-encrypted", db.storage_encrypted())
    .str(
        "kms-key-id",
        db.kms_key_id()
            .map(|k| key_as_written(k, string(prior, "kms-key-id"))),
    )
    .str("db-name", db.db_name())
    .str("username", db.master_username())
    .set("manage-master-password", db.master_user_secret().is_some())
    .int("port", port)
    .str(
        "db-subnet-group-name",
        db.db_subnet_group()
            .and_then(|g| g.db_subnet_group_name())
            .map(|n| as_written(n, string(prior, "db-subnet-group-name"))),
    )
    .set(
        "vpc-security-group-ids",
        string_set(groups, prior.get("vpc-security-group-ids")),
    )
    .str(
        "parameter-group-name",
        db.db_parameter_groups()
            .first()
            .and_then(|g| g.db_parameter_group_name()),
    )
    // AWS always answers these four; absent, they are AWS's (and the schema's) default.
    .set(
        "publicly-accessible",
        db.publicly_accessible().unwrap_or(false),
    )
    .set(
        "iam-database-authentication",
        db.iam_database_authentication_enabled().unwrap_or(false),
    )
    .set("multi-az", db.multi_az().unwrap_or(false))
    .set(
        "deletion-protection",
        db.deletion_protection().unwrap_or(false),
    )
    .int("backup-retention-period", db.backup_retention_period())
    .set("tags", tags_of(db.tag_list()))
    .str("arn", db.db_instance_arn())
    .str("resource-id", db.dbi_resource_id())
    .str("address", endpoint.and_then(|e| e.address()))
    .str(
        "endpoint",
        endpoint
            .and_then(|e| e.address())
            .zip(port)
            .map(|(a, p)| format!("{a}:{p}")),
    )
    .str("hosted-zone-id", endpoint.and_then(|e| e.hosted_zone_id()))
    .str(
        "master-user-secret-arn",
        db.master_user_secret().and_then(|s| s.secret_arn()),
    )
    // strata's own settings, which AWS does not hold: as last applied, else the
    // schema's defaults (so that an imported instance differs only where the spec
    // says otherwise).
    .set(
        "skip-final-snapshot",
        boolean(prior, "skip-final-snapshot").unwrap_or(false),
    )
    .set(
        "apply-immediately",
        boolean(prior, "apply-immediately").unwrap_or(true),
    )
    .str(
        "final-snapshot-identifier",
        string(prior, "final-snapshot-identifier"),
    )
    .str("snapshot-identifier", string(prior, "snapshot-identifier"));
    Observed::new(id, out.into_attrs())
}

/// The engine version as the spec wrote it when AWS's is the same version, more
/// precisely (`13` written, `13.7` running).
fn version_as_written(observed: &str, prior: Option<&str>) -> String {
    match prior {
        Some(p) if observed == p || observed.starts_with(&format!("{p}.")) => p.to_owned(),
        _ => observed.to_owned(),
    }
}

/// The KMS key as the spec wrote it when AWS's ARN names that key (AWS answers with the
/// key's ARN whatever it was given; an alias cannot be matched without KMS).
fn key_as_written(observed: &str, prior: Option<&str>) -> String {
    match prior {
        Some(p) if observed == p || observed.ends_with(&format!("/{p}")) => p.to_owned(),
        _ => observed.to_owned(),
    }
}

/// The name of the snapshot taken on delete: the spec's, else
/// `IDENTIFIER-final-YYYYMMDDHHMMSS` (UTC).
fn final_snapshot_name(id: &str, prior: &Attrs) -> String {
    if let Some(name) = string(prior, "final-snapshot-identifier") {
        return name.to_owned();
    }
    let now = aws_smithy_types::DateTime::from(std::time::SystemTime::now())
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default();
    let stamp: String = now.chars().filter(char::is_ascii_digit).take(14).collect();
    format!("{id}-final-{stamp}")
}

fn security_groups(desired: &Attrs) -> Option<Vec<String>> {
    let groups = strings(desired, "vpc-security-group-ids");
    (!groups.is_empty()).then_some(groups)
}

fn to_i32(v: i64) -> Result<i32, ProviderError> {
    i32::try_from(v).map_err(|_| invalid(format!("{v} is out of range")))
}

fn gone(id: &str) -> ProviderError {
    ProviderError::new(
        ErrorKind::NotFound,
        Some("DBInstanceNotFound".into()),
        format!("DB instance {id} vanished while strata was working on it"),
    )
}

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
