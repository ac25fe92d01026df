//! `lookup ssm.parameter`: reads one Parameter Store parameter by name.
//!
//! Maps to GetParameter (WithDecryption). The value is always sensitive, whatever the
//! parameter's type: it is never written in plain text to state, plan files or output,
//! and whatever reads it (an RDS password) is sensitive too.

use std::sync::LazyLock;

use strata_engine::{Attribute, Schema, Type};

/// The `ssm.parameter` lookup type.
pub struct Parameter {
    pub(crate) aws: crate::aws::client::Aws,
}

crate::aws::schema_only!(lookup Parameter, "ssm.parameter", SCHEMA);

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "Reads an SSM parameter.",
        vec![
            Attribute::required("name", Type::String)
                .doc("The parameter name, e.g. `/digimon-api/db/password` (or its ARN)."),
            Attribute::optional("with-decryption", Type::Bool)
                .default(true)
                .doc("Decrypt a SecureString value (needs `kms:Decrypt` on its key)."),
            Attribute::computed("value", Type::String)
                .sensitive()
                .doc("The parameter's value (a StringList as its comma-separated text)."),
            Attribute::computed("type", Type::String)
                .doc("`String`, `StringList` or `SecureString`."),
            Attribute::computed("version", Type::Int).doc("The parameter's version number."),
            Attribute::computed("arn", Type::String).doc("The parameter ARN."),
        ],
    )
});
