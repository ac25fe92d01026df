//! `lookup secretsmanager.secret-value`: reads the value of one Secrets Manager secret,
//! by name or ARN, whoever made it (a secret created outside the spec, or a
//! `secretsmanager.secret` whose value AWS generated).
//!
//! Maps to GetSecretValue (the current version, or the one `version-id` /
//! `version-stage` names). The id is the secret's ARN. `secret-string` is always
//! sensitive: the engine keeps it only as a digest in the state, never writes it in
//! plain text to plan files or output, and reads the lookup again whenever a dependent
//! needs the value; whatever it feeds is sensitive too. `json-key` selects one key of a
//! JSON secret (`{"username":"app","password":"..."}`): a string as it is, any other
//! JSON value as its JSON text. A missing secret, a secret scheduled for deletion, a
//! binary secret, a secret that is not a JSON object or lacks the key: each is an
//! error naming the secret, never an empty value, and no error ever quotes the value.

use std::sync::LazyLock;

use async_trait::async_trait;
use strata_engine::provider::{Attrs, ErrorKind, Observed, ProviderError};
use strata_engine::{Attribute, LookupType, Schema, Type};

use crate::aws::attrs::{Out, required, string};
use crate::aws::error::{invalid, sdk};

/// The `secretsmanager.secret-value` lookup type.
pub struct SecretValue {
    pub(crate) aws: crate::aws::client::Aws,
}

#[async_trait]
impl LookupType for SecretValue {
    fn type_name(&self) -> &'static str {
        "secretsmanager.secret-value"
    }

    fn schema(&self) -> &Schema {
        &SCHEMA
    }

    async fn read(&self, filters: &Attrs) -> Result<Observed, ProviderError> {
        let sm = self.aws.secretsmanager().await?;
        let id = required(filters, "secret-id")?;
        let out = sm
            .get_secret_value()
            .secret_id(id)
            .set_version_id(string(filters, "version-id").map(str::to_owned))
            .set_version_stage(string(filters, "version-stage").map(str::to_owned))
            .send()
            .await;
        let out = match out {
            Ok(out) => out,
            Err(e) => {
                let e = sdk("GetSecretValue", e);
                if e.kind == ErrorKind::NotFound {
                    let region = self.aws.region().await.unwrap_or_default();
                    return Err(ProviderError::new(
                        ErrorKind::NotFound,
                        e.code,
                        format!("no secret `{id}` (or no such version of it) exists in {region}"),
                    ));
                }
                return Err(e);
            }
        };
        let Some(text) = out.secret_string() else {
            return Err(invalid(if out.secret_binary().is_some() {
                format!("the secret `{id}` holds a binary value; only text values can be read")
            } else {
                format!("the secret `{id}` has no value")
            }));
        };
        let value = match string(filters, "json-key") {
            Some(key) => json_field(id, text, key)?,
            None => text.to_owned(),
        };
        let arn = out.arn().unwrap_or(id).to_owned();
        let mut found = Out::new();
        found
            .set("secret-id", id)
            .str("json-key", string(filters, "json-key"))
            .str("version-stage", string(filters, "version-stage"))
            .str("version-id", out.version_id())
            .set("secret-string", value)
            .str("name", out.name())
            .set("arn", arn.as_str());
        Ok(Observed::new(arn, found.into_attrs()))
    }
}

/// The value under `key` of the JSON object `text`, as text. Errors never quote the
/// value (the keys are named: they say what a secret holds, not what it is).
fn json_field(id: &str, text: &str, key: &str) -> Result<String, ProviderError> {
    let Ok(serde_json::Value::Object(object)) = serde_json::from_str::<serde_json::Value>(text)
    else {
        return Err(invalid(format!(
            "the secret `{id}` is not a JSON object, so `json-key` cannot select `{key}` from it"
        )));
    };
    match object.get(key) {
        Some(serde_json::Value::String(s)) => Ok(s.clone()),
        Some(other) => Ok(other.to_string()),
        None => {
            let keys: Vec<String> = object.keys().map(|k| format!("`{k}`")).collect();
            Err(invalid(format!(
                "the secret `{id}` has no key `{key}`; its keys are {}",
                if keys.is_empty() {
                    "none".to_owned()
                } else {
                    keys.join(", ")
                }
            )))
        }
    }
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "Reads the value of a Secrets Manager secret.",
        vec![
            Attribute::required("secret-id", Type::String)
                .doc("The secret's name (`entrix-jwt-secret`) or ARN, e.g. `(ref)\"jwt.arn\"`."),
            Attribute::optional("json-key", Type::String)
                .doc("For a secret holding a JSON object: return only the value under this key (`password`)."),
            Attribute::optional("version-stage", Type::String)
                .doc("The staging label of the version to read (`AWSPREVIOUS`); when absent, `AWSCURRENT`."),
            Attribute::optional_computed("version-id", Type::String)
                .doc("The version to read; when absent, the current one, whose id is returned."),
            Attribute::computed("secret-string", Type::String)
                .sensitive()
                .doc("The value (or the value under `json-key`); sensitive: stored only as a digest."),
            Attribute::computed("name", Type::String).doc("The secret's name."),
            Attribute::computed("arn", Type::String).doc("The secret's ARN."),
        ],
    )
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_key_selects_one_field_and_errors_never_quote_the_value() {
        let text = r#"{"username":"app","password":"hunter2-SECRET","port":5432}"#;
        assert_eq!(
            json_field("db", text, "password").unwrap(),
            "hunter2-SECRET"
        );
        assert_eq!(json_field("db", text, "port").unwrap(), "5432");
        let missing = json_field("db", text, "host").unwrap_err();
        assert!(missing.message.contains("`password`"), "{missing}");
        assert!(!missing.message.contains("hunter2"), "{missing}");
        let plain = json_field("db", "hunter2-SECRET", "password").unwrap_err();
        assert!(plain.message.contains("not a JSON object"), "{plain}");
        assert!(!plain.message.contains("hunter2"), "{plain}");
    }
}
