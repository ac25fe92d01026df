//! `lookup ssm.parameter`: reads one Parameter Store parameter by name.
//!
//! Maps to GetParameter (WithDecryption from `with-decryption`). The id is the
//! parameter's name as AWS answers it. The value is always sensitive, whatever the
//! parameter's type: the engine keeps it only as a digest in the state, never writes it
//! in plain text to plan files or output, and whatever reads it (an RDS password) is
//! sensitive too. A parameter that does not exist is an error naming it and the
//! region, never an empty value.

use std::sync::LazyLock;

use async_trait::async_trait;
use strata_engine::provider::{Attrs, ErrorKind, Observed, ProviderError};
use strata_engine::{Attribute, LookupType, Schema, Type};

use crate::aws::attrs::{Out, boolean, required};
use crate::aws::error::sdk;

/// The `ssm.parameter` lookup type.
pub struct Parameter {
    pub(crate) aws: crate::aws::client::Aws,
}

#[async_trait]
impl LookupType for Parameter {
    fn type_name(&self) -> &'static str {
        "ssm.parameter"
    }

    fn schema(&self) -> &Schema {
        &SCHEMA
    }

    async fn read(&self, filters: &Attrs) -> Result<Observed, ProviderError> {
        let ssm = self.aws.ssm().await?;
        let name = required(filters, "name")?;
        let decrypt = boolean(filters, "with-decryption").unwrap_or(true);
        let out = match ssm
            .get_parameter()
            .name(name)
            .with_decryption(decrypt)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                let e = sdk("GetParameter", e);
                if e.kind == ErrorKind::NotFound {
                    let region = self.aws.region().await.unwrap_or_default();
                    return Err(ProviderError::new(
                        ErrorKind::NotFound,
                        e.code,
                        format!("no SSM parameter named `{name}` exists in {region}"),
                    ));
                }
                return Err(e);
            }
        };
        let parameter = out.parameter.ok_or_else(|| {
            ProviderError::other(format!("GetParameter returned no parameter for `{name}`"))
        })?;
        let mut found = Out::new();
        found
            .set("name", name)
            .set("with-decryption", decrypt)
            .str("value", parameter.value())
            .str("type", parameter.r#type().map(|t| t.as_str().to_owned()))
            .int("version", Some(parameter.version()))
            .str("arn", parameter.arn());
        let id = parameter.name().unwrap_or(name).to_owned();
        Ok(Observed::new(id, found.into_attrs()))
    }
}

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
