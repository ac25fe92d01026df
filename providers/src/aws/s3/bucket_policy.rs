//! `s3.bucket-policy`: the resource policy of one bucket, written either as a JSON
//! document (`policy`) or as `statement` blocks that strata renders to the same JSON.
//!
//! Maps to PutBucketPolicy / GetBucketPolicy / DeleteBucketPolicy. A bucket has a single
//! policy, so this resource owns it whole; its id is the bucket name (`find` reads the
//! policy of the desired bucket). Force-new:
//! `bucket`. Read compares documents semantically, never as text: both sides are parsed
//! and put in a canonical form (object keys sorted, a one-element list equal to its
//! single value, string lists as sets, `Principal: "*"` equal to `{"AWS": "*"}`). When
//! the documents agree, read answers with the value last applied (the spec's own text
//! or statements), so that apply-then-plan is empty; when they differ, with what AWS
//! holds (the JSON text, or statements parsed back from it). A bucket without a policy
//! reads as gone.

use std::sync::LazyLock;

use async_trait::async_trait;
use serde_json::{Map, Value as Json, json};
use strata_engine::provider::{
    Attrs, CreateError, CreateToken, ErrorKind, Observed, ProviderError,
};
use strata_engine::{Attribute, BlockSchema, Constraint, ResourceType, Schema, Type, Value};

use crate::aws::attrs::{Out, block, blocks, required, string, strings};
use crate::aws::error::{invalid, sdk};
use crate::aws::{finish_create, read_back};

/// The `s3.bucket-policy` resource type.
pub struct BucketPolicy {
    pub(crate) aws: crate::aws::client::Aws,
}

#[async_trait]
impl ResourceType for BucketPolicy {
    fn type_name(&self) -> &'static str {
        "s3.bucket-policy"
    }

    fn schema(&self) -> &Schema {
        &SCHEMA
    }

    async fn read(&self, id: &str, prior: &Attrs) -> Result<Option<Observed>, ProviderError> {
        let s3 = self.aws.s3().await?;
        let text = match s3.get_bucket_policy().bucket(id).send().await {
            Ok(out) => out.policy.unwrap_or_default(),
            Err(e) => {
                let e = sdk("GetBucketPolicy", e);
                // NoSuchBucketPolicy and NoSuchBucket alike: no policy is there.
                if e.kind == ErrorKind::NotFound {
                    return Ok(None);
                }
                return Err(e);
            }
        };
        let held: Json = serde_json::from_str(&text)
            .map_err(|e| invalid(format!("the policy of bucket {id} is not valid JSON: {e}")))?;
        let held_canon = canonical(&held);
        let mut out = Out::new();
        out.set("bucket", id).set("id", id);
        match (prior.get("policy"), prior.get("statement")) {
            (_, Some(statements)) => {
                let same =
                    render(&blocks(prior, "statement")).map(|p| canonical(&p)) == Ok(held_canon);
                if same {
                    out.set("statement", statements.clone());
                } else {
                    out.set("statement", parse_statements(&held));
                }
            }
            (Some(written), None) => {
                let same = document(written).is_ok_and(|w| canonical(&w) == held_canon);
                out.set(
                    "policy",
                    if same {
                        written.clone()
                    } else {
                        Value::String(text)
                    },
                );
            }
            (None, None) => {
                out.set("policy", Value::String(text));
            }
        }
        Ok(Some(Observed::new(id, out.into_attrs())))
    }

    async fn create(&self, desired: &Attrs, _token: &CreateToken) -> Result<Observed, CreateError> {
        let bucket = required(desired, "bucket")?.to_owned();
        self.put(&bucket, desired).await?;
        let read = self.read(&bucket, desired);
        finish_create(
            &bucket,
            read_back(read, "the policy of bucket", &bucket, "after create"),
        )
        .await
    }

    /// A policy is its bucket's: the policy that bucket holds is what the create put.
    async fn find(
        &self,
        desired: &Attrs,
        _token: &CreateToken,
    ) -> Result<Option<Observed>, ProviderError> {
        self.read(required(desired, "bucket")?, desired).await
    }

    async fn update(
        &self,
        id: &str,
        _prior: &Attrs,
        desired: &Attrs,
        _changed: &[String],
    ) -> Result<Observed, ProviderError> {
        self.put(id, desired).await?;
        read_back(
            self.read(id, desired),
            "the policy of bucket",
            id,
            "during update",
        )
        .await
    }

    async fn delete(&self, id: &str, _prior: &Attrs) -> Result<(), ProviderError> {
        let s3 = self.aws.s3().await?;
        match s3.delete_bucket_policy().bucket(id).send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = sdk("DeleteBucketPolicy", e);
                if e.kind == ErrorKind::NotFound {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }
}

impl BucketPolicy {
    /// Writes the policy `desired` describes: its JSON text as written, or the rendered
    /// statements.
    async fn put(&self, bucket: &str, desired: &Attrs) -> Result<(), ProviderError> {
        let text = match desired.get("policy") {
            Some(Value::String(text)) => text.clone(),
            Some(other) => serde_json::to_string(&to_json(other))
                .map_err(|e| invalid(format!("could not write the policy as JSON: {e}")))?,
            None => serde_json::to_string(&render(&blocks(desired, "statement"))?)
                .map_err(|e| invalid(format!("could not write the policy as JSON: {e}")))?,
        };
        let s3 = self.aws.s3().await?;
        s3.put_bucket_policy()
            .bucket(bucket)
            .policy(text)
            .send()
            .await
            .map_err(|e| sdk("PutBucketPolicy", e))?;
        Ok(())
    }
}

/// A `policy` value as a JSON document: its text parsed, or a document written as KDL.
fn document(value: &Value) -> Result<Json, ProviderError> {
    match value {
        Value::String(text) => serde_json::from_str(text)
            .map_err(|e| invalid(format!("the policy is not valid JSON: {e}"))),
        other => Ok(to_json(other)),
    }
}

fn to_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => json!(i),
        Value::Float(f) => json!(f),
        Value::String(s) => Json::String(s.clone()),
        Value::List(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(m) => Json::Object(m.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
    }
}

/// The policy document the `statement` blocks describe (Version 2012-10-17).
pub(crate) fn render(statements: &[&Attrs]) -> Result<Json, ProviderError> {
    let mut rendered = Vec::new();
    for st in statements {
        let mut o = Map::new();
        if let Some(sid) = string(st, "sid") {
            o.insert("Sid".into(), json!(sid));
        }
        o.insert(
            "Effect".into(),
            json!(string(st, "effect").unwrap_or("Allow")),
        );
        let mut principal = Map::new();
        if let Some(p) = block(st, "principal") {
            for (name, key) in [("aws", "AWS"), ("service", "Service")] {
                let values = strings(p, name);
                if !values.is_empty() {
                    principal.insert(key.into(), json!(values));
                }
            }
        }
        if principal.is_empty() {
            return Err(invalid(
                "a policy statement needs a principal: `principal { service ... }` or `principal { aws ... }`",
            ));
        }
        o.insert("Principal".into(), Json::Object(principal));
        o.insert("Action".into(), json!(strings(st, "actions")));
        o.insert("Resource".into(), json!(strings(st, "resources")));
        let mut conditions = Map::new();
        for c in blocks(st, "condition") {
            let test = required(c, "test")?;
            let variable = required(c, "variable")?;
            let entry = conditions
                .entry(test.to_owned())
                .or_insert_with(|| Json::Object(Map::new()));
            if let Json::Object(vars) = entry {
                vars.insert(variable.to_owned(), json!(strings(c, "values")));
            }
        }
        if !conditions.is_empty() {
            o.insert("Condition".into(), Json::Object(conditions));
        }
        rendered.push(Json::Object(o));
    }
    Ok(json!({ "Version": "2012-10-17", "Statement": rendered }))
}

/// A document in a form where semantically equal policies are equal: object keys
/// sorted, a one-element list replaced by its element, lists of strings sorted and
/// deduplicated, a `"*"` principal written as `{"AWS": "*"}`.
pub(crate) fn canonical(doc: &Json) -> Json {
    match doc {
        Json::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                let v = &o[k.as_str()];
                let v = match (k.as_str(), v) {
                    ("Principal" | "NotPrincipal", Json::String(s)) if s == "*" => {
                        json!({ "AWS": "*" })
                    }
                    _ => canonical(v),
                };
                out.insert(k.clone(), v);
            }
            Json::Object(out)
        }
        Json::Array(items) => {
            let mut items: Vec<Json> = items.iter().map(canonical).collect();
            if items.iter().all(Json::is_string) {
                items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                items.dedup();
            }
            if items.len() == 1 {
                items.pop().unwrap_or(Json::Null)
            } else {
                Json::Array(items)
            }
        }
        other => other.clone(),
    }
}

/// A JSON string or list of strings as a list value.
fn string_list(v: Option<&Json>) -> Vec<Value> {
    match v {
        Some(Json::String(s)) => vec![Value::String(s.clone())],
        Some(Json::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(|s| Value::String(s.to_owned())))
            .collect(),
        _ => Vec::new(),
    }
}

/// The statements of a policy held by AWS, in the shape of `statement` blocks (what
/// blocks cannot express, such as `NotAction`, is left out).
fn parse_statements(doc: &Json) -> Value {
    let statements = match doc.get("Statement") {
        Some(Json::Array(items)) => items.clone(),
        Some(single @ Json::Object(_)) => vec![single.clone()],
        _ => Vec::new(),
    };
    let parsed = statements
        .iter()
        .map(|st| {
            let mut m = Out::new();
            m.str(
                "sid",
                st.get("Sid")
                    .and_then(Json::as_str)
                    .filter(|s| !s.is_empty()),
            )
            .set(
                "effect",
                st.get("Effect").and_then(Json::as_str).unwrap_or("Allow"),
            )
            .list("actions", string_list(st.get("Action")))
            .list("resources", string_list(st.get("Resource")));
            let mut principal = Out::new();
            match st.get("Principal") {
                Some(Json::String(s)) => {
                    principal.list("aws", vec![Value::String(s.clone())]);
                }
                Some(Json::Object(p)) => {
                    if let Some(aws) = p.get("AWS") {
                        principal.list("aws", string_list(Some(aws)));
                    }
                    if let Some(service) = p.get("Service") {
                        principal.list("service", string_list(Some(service)));
                    }
                }
                _ => {}
            }
            m.set("principal", Value::Map(principal.into_attrs()));
            let mut conditions = Vec::new();
            if let Some(Json::Object(tests)) = st.get("Condition") {
                for (test, vars) in tests {
                    if let Json::Object(vars) = vars {
                        for (variable, values) in vars {
                            let mut c = Out::new();
                            c.set("test", test.as_str())
                                .set("variable", variable.as_str())
                                .list("values", string_list(Some(values)));
                            conditions.push(Value::Map(c.into_attrs()));
                        }
                    }
                }
            }
            if !conditions.is_empty() {
                m.list("condition", conditions);
            }
            Value::Map(m.into_attrs())
        })
        .collect();
    Value::List(parsed)
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "The policy of an S3 bucket: a JSON document or statement blocks.",
        vec![
            Attribute::required("bucket", Type::String)
                .force_new()
                .doc("The name of the bucket the policy applies to."),
            Attribute::optional("policy", Type::Json)
                .doc("The whole policy as a JSON document (`Version` 2012-10-17). Exclusive with `statement`."),
            Attribute::optional("statement", Type::block(statement()))
                .repeated()
                .doc("A policy statement, named by its optional argument (the Sid). Strata renders the statements into the policy document (Version 2012-10-17)."),
            Attribute::computed("id", Type::String)
                .doc("The name of the bucket the policy is attached to."),
        ],
    )
    .with_constraint(Constraint::ExactlyOneOf(vec!["policy", "statement"]))
});

fn statement() -> BlockSchema {
    BlockSchema::new(vec![
        Attribute::optional("sid", Type::String)
            .doc("The statement id (its argument): `statement AllowCloudFront { ... }`."),
        Attribute::optional("effect", Type::one_of(&["Allow", "Deny"]))
            .default("Allow")
            .doc("Allow or Deny."),
        Attribute::required("actions", Type::list(Type::String))
            .doc("The actions, e.g. `\"s3:GetObject\"` (wildcards allowed)."),
        Attribute::required("resources", Type::list(Type::String))
            .doc("The ARNs the statement covers: the bucket ARN and/or `ARN/*` for its objects."),
        Attribute::required("principal", Type::block(principal()))
            .doc("Who the statement applies to: `principal { service cloudfront.amazonaws.com }`; `principal { aws \"*\" }` is everyone."),
        Attribute::optional("condition", Type::block(condition()))
            .repeated()
            .doc("A condition, its argument the operator: `condition StringEquals variable=\"AWS:SourceArn\" { values ... }`. All conditions must hold."),
    ])
    .with_args("sid")
}

fn principal() -> BlockSchema {
    BlockSchema::new(vec![
        Attribute::optional("service", Type::list(Type::String))
            .doc("AWS service principals, e.g. `cloudfront.amazonaws.com`."),
        Attribute::optional("aws", Type::list(Type::String))
            .doc("AWS principals: account ids, user or role ARNs, or `*` for anyone."),
    ])
}

fn condition() -> BlockSchema {
    BlockSchema::new(vec![
        Attribute::required("test", Type::String)
            .doc("The condition operator (its argument): StringEquals, StringLike, ArnLike, Bool, IpAddress..."),
        Attribute::required("variable", Type::String)
            .doc("The context key tested, e.g. `AWS:SourceArn` or `aws:SecureTransport`."),
        Attribute::required("values", Type::list(Type::String))
            .doc("The values compared with the key; the condition holds when any one matches."),
    ])
    .with_args("test")
}
