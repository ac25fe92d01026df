//! `cloudfront.origin-access-control`: lets a distribution sign its requests to a
//! private origin (an S3 bucket whose policy admits only that distribution).
//!
//! Maps to CreateOriginAccessControl / GetOriginAccessControl (the config and the ETag
//! in one answer; GetOriginAccessControlConfig is not needed) /
//! UpdateOriginAccessControl (the whole config, with a fresh ETag as IfMatch) /
//! DeleteOriginAccessControl (IfMatch too; retried while a distribution still uses the
//! control, which lasts until the distribution's own deletion has gone through). No
//! force-new attribute: everything is updatable in place. An empty description reads
//! as absent, so that leaving it out of the spec is never a change. Names are unique
//! in the account: `find` looks the desired name up (ListOriginAccessControls).

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_cloudfront::types::{
    OriginAccessControlConfig, OriginAccessControlOriginTypes, OriginAccessControlSigningBehaviors,
    OriginAccessControlSigningProtocols,
};
use strata_engine::provider::{
    Attrs, CreateError, CreateToken, ErrorKind, Observed, ProviderError,
};
use strata_engine::{Attribute, ResourceType, Schema, Type};

use crate::aws::attrs::{Out, required, string};
use crate::aws::error::{invalid, sdk};
use crate::aws::{delete_attempt, finish_create, read_back, wait_for};

/// The `cloudfront.origin-access-control` resource type.
pub struct OriginAccessControl {
    pub(crate) aws: crate::aws::client::Aws,
}

#[async_trait]
impl ResourceType for OriginAccessControl {
    fn type_name(&self) -> &'static str {
        "cloudfront.origin-access-control"
    }

    fn schema(&self) -> &Schema {
        &SCHEMA
    }

    async fn read(&self, id: &str, _prior: &Attrs) -> Result<Option<Observed>, ProviderError> {
        let Some((config, etag)) = self.current(id).await? else {
            return Ok(None);
        };
        let mut out = Out::new();
        out.set("name", config.name())
            .str(
                "description",
                config.description().filter(|d| !d.is_empty()),
            )
            .set(
                "origin-type",
                config.origin_access_control_origin_type().as_str(),
            )
            .set("signing-behavior", config.signing_behavior().as_str())
            .set("signing-protocol", config.signing_protocol().as_str())
            .set("id", id)
            .str("etag", etag);
        Ok(Some(Observed::new(id, out.into_attrs())))
    }

    async fn create(&self, desired: &Attrs, _token: &CreateToken) -> Result<Observed, CreateError> {
        let cloudfront = self.aws.cloudfront().await?;
        let created = cloudfront
            .create_origin_access_control()
            .origin_access_control_config(config(desired)?)
            .send()
            .await
            .map_err(|e| sdk("CreateOriginAccessControl", e))?;
        let id = created
            .origin_access_control()
            .map(|c| c.id().to_owned())
            .filter(|id| !id.is_empty())
            .ok_or_else(|| invalid("CreateOriginAccessControl returned no id"))?;
        let read = self.read(&id, desired);
        finish_create(
            &id,
            read_back(read, "origin access control", &id, "after create"),
        )
        .await
    }

    /// A control is named by the spec (names are unique in the account): the control
    /// of that name is what the create made.
    async fn find(
        &self,
        desired: &Attrs,
        _token: &CreateToken,
    ) -> Result<Option<Observed>, ProviderError> {
        let name = required(desired, "name")?;
        let cloudfront = self.aws.cloudfront().await?;
        let mut pages = cloudfront
            .list_origin_access_controls()
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sdk("ListOriginAccessControls", e))?;
            let named = page
                .origin_access_control_list()
                .and_then(|l| l.items().iter().find(|c| c.name() == name))
                .map(|c| c.id().to_owned());
            if let Some(id) = named {
                return self.read(&id, desired).await;
            }
        }
        Ok(None)
    }

    async fn update(
        &self,
        id: &str,
        _prior: &Attrs,
        desired: &Attrs,
        _changed: &[String],
    ) -> Result<Observed, ProviderError> {
        let cloudfront = self.aws.cloudfront().await?;
        let (_, etag) = self.current(id).await?.ok_or_else(|| {
            ProviderError::new(
                ErrorKind::NotFound,
                None,
                format!("origin access control {id} no longer exists"),
            )
        })?;
        cloudfront
            .update_origin_access_control()
            .id(id)
            .set_if_match(etag)
            .origin_access_control_config(config(desired)?)
            .send()
            .await
            .map_err(|e| sdk("UpdateOriginAccessControl", e))?;
        read_back(
            self.read(id, desired),
            "origin access control",
            id,
            "during update",
        )
        .await
    }

    async fn delete(&self, id: &str, _prior: &Attrs) -> Result<(), ProviderError> {
        let cloudfront = self.aws.cloudfront().await?;
        // A distribution that used the control may still be letting go of it.
        wait_for(
            &format!("origin access control {id} to be deletable (no distribution using it)"),
            Duration::from_secs(600),
            Duration::from_secs(10),
            || async {
                let Some((_, etag)) = self.current(id).await? else {
                    return Ok(Some(()));
                };
                let result = cloudfront
                    .delete_origin_access_control()
                    .id(id)
                    .set_if_match(etag)
                    .send()
                    .await;
                delete_attempt(
                    result.map_err(|e| sdk("DeleteOriginAccessControl", e)),
                    &["OriginAccessControlInUse", "PreconditionFailed"],
                )
            },
        )
        .await
    }
}

impl OriginAccessControl {
    /// The control's config and ETag, or None when it does not exist.
    async fn current(
        &self,
        id: &str,
    ) -> Result<Option<(OriginAccessControlConfig, Option<String>)>, ProviderError> {
        let cloudfront = self.aws.cloudfront().await?;
        match cloudfront.get_origin_access_control().id(id).send().await {
            Ok(out) => {
                let etag = out.e_tag().map(str::to_owned);
                let config = out
                    .origin_access_control
                    .and_then(|c| c.origin_access_control_config)
                    .ok_or_else(|| {
                        invalid(format!(
                            "GetOriginAccessControl returned no config for {id}"
                        ))
                    })?;
                Ok(Some((config, etag)))
            }
            Err(e) => {
                let e = sdk("GetOriginAccessControl", e);
                if e.kind == ErrorKind::NotFound {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }
}

/// The AWS config for the desired attributes.
fn config(desired: &Attrs) -> Result<OriginAccessControlConfig, ProviderError> {
    OriginAccessControlConfig::builder()
        .name(required(desired, "name")?)
        .description(string(desired, "description").unwrap_or_default())
        .origin_access_control_origin_type(OriginAccessControlOriginTypes::from(required(
            desired,
            "origin-type",
        )?))
        .signing_behavior(OriginAccessControlSigningBehaviors::from(
            string(desired, "signing-behavior").unwrap_or("always"),
        ))
        .signing_protocol(OriginAccessControlSigningProtocols::from(
            string(desired, "signing-protocol").unwrap_or("sigv4"),
        ))
        .build()
        .map_err(|e| invalid(format!("origin access control config: {e}")))
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        "A CloudFront origin access control (the successor of origin access identities).",
        vec![
            Attribute::required("name", Type::String)
                .doc("The name, unique in the account (up to 64 characters)."),
            Attribute::optional("description", Type::String)
                .doc("A description."),
            Attribute::required(
                "origin-type",
                Type::one_of(&["s3", "mediastore", "mediapackagev2", "lambda"]),
            )
            .doc("The kind of origin it signs for."),
            Attribute::optional(
                "signing-behavior",
                Type::one_of(&["always", "never", "no-override"]),
            )
            .default("always")
            .doc("`always` sign requests (the usual choice), `never`, or `no-override` (sign unless the viewer sent an Authorization header)."),
            Attribute::optional("signing-protocol", Type::one_of(&["sigv4"]))
                .default("sigv4")
                .doc("The signing protocol; only `sigv4` exists."),
            Attribute::computed("id", Type::String)
                .doc("The origin access control id, what an origin's `origin-access-control-id` takes."),
            Attribute::computed("etag", Type::String)
                .doc("The current version, sent back on update and delete."),
        ],
    )
});
