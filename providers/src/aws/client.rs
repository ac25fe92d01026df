//! The one place AWS clients are configured: per environment, the standard credential
//! chain (or a named profile), the region, an optional endpoint override, adaptive retry
//! and timeouts. Every resource type reaches AWS through an [`Aws`] handle.
//!
//! The configuration is loaded lazily, on the first call that needs it, so that
//! `validate` and plans that never reach the cloud need neither credentials nor network.
//! Credentials are resolved once, eagerly on that first use, so that missing credentials
//! are one clear error naming what to set instead of a dispatch failure per resource.
//!
//! Invariants: an endpoint override comes from the environment's `endpoint` or else the
//! standard `AWS_ENDPOINT_URL`; with an override, S3 uses path-style addressing; static
//! dummy credentials are used only for a loopback endpoint (the local emulator) when the
//! process has no credentials of its own.

use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use strata_engine::provider::{ErrorKind, ProviderError};
use tokio::sync::OnceCell;

/// How many times a call is attempted before its error is reported, unless the
/// standard `AWS_MAX_ATTEMPTS` says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;

/// Where and as whom to reach AWS: an environment's `aws` node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint: Option<String>,
    /// The spec folder: relative file paths in attributes (`s3.object source`) are
    /// taken from here, never from the current directory.
    pub root: std::path::PathBuf,
}

impl Settings {
    /// The settings of a spec environment, for the spec folder `root`.
    pub fn of(environment: &strata_engine::spec::Environment, root: &std::path::Path) -> Self {
        Settings {
            region: Some(environment.region.clone()).filter(|r| !r.is_empty()),
            profile: environment.profile.clone(),
            endpoint: environment.endpoint.clone(),
            root: root.to_owned(),
        }
    }

    /// The endpoint override: the environment's, else `AWS_ENDPOINT_URL`.
    pub fn effective_endpoint(&self) -> Option<String> {
        self.endpoint.clone().or_else(|| {
            std::env::var("AWS_ENDPOINT_URL")
                .ok()
                .filter(|v| !v.trim().is_empty())
        })
    }
}

/// A shared, lazily configured handle on one environment's AWS account and region.
#[derive(Clone, Default)]
pub struct Aws {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    /// None: no environment was chosen (`validate`), so no call can be made.
    settings: Option<Settings>,
    config: OnceCell<SdkConfig>,
    ec2: OnceCell<aws_sdk_ec2::Client>,
    s3: OnceCell<aws_sdk_s3::Client>,
    rds: OnceCell<aws_sdk_rds::Client>,
    cloudfront: OnceCell<aws_sdk_cloudfront::Client>,
    ssm: OnceCell<aws_sdk_ssm::Client>,
    secretsmanager: OnceCell<aws_sdk_secretsmanager::Client>,
}

impl Aws {
    /// A handle that reaches AWS as `settings` say.
    pub fn new(settings: Settings) -> Self {
        Aws {
            inner: Arc::new(Inner {
                settings: Some(settings),
                ..Inner::default()
            }),
        }
    }

    /// A handle for checking specs only: every call fails, saying an environment is
    /// needed.
    pub fn unconfigured() -> Self {
        Aws::default()
    }

    /// The settings this handle was made with.
    pub fn settings(&self) -> Option<&Settings> {
        self.inner.settings.as_ref()
    }

    /// The loaded SDK configuration, credentials checked.
    pub async fn config(&self) -> Result<&SdkConfig, ProviderError> {
        self.loaded().await.map_err(ProviderError::from)
    }

    /// Whether AWS can be reached at all (a region, credentials), before any resource
    /// is touched; the configuration stays loaded for the calls that follow.
    pub async fn check_access(&self) -> Result<(), AccessProblem> {
        self.loaded().await.map(|_| ())
    }

    async fn loaded(&self) -> Result<&SdkConfig, AccessProblem> {
        self.inner
            .config
            .get_or_try_init(|| async {
                let settings = self.inner.settings.as_ref().ok_or_else(|| AccessProblem {
                    code: "NoEnvironment",
                    message: "no environment was chosen, so AWS cannot be reached".into(),
                    help: "pass --env NAME".into(),
                })?;
                load(settings).await
            })
            .await
    }

    pub async fn ec2(&self) -> Result<aws_sdk_ec2::Client, ProviderError> {
        let config = self.config().await?;
        Ok(self
            .inner
            .ec2
            .get_or_init(|| async { aws_sdk_ec2::Client::new(config) })
            .await
            .clone())
    }

    pub async fn s3(&self) -> Result<aws_sdk_s3::Client, ProviderError> {
        let config = self.config().await?;
        Ok(self
            .inner
            .s3
            .get_or_init(|| async {
                // An endpoint override (the emulator) serves buckets by path, not host.
                let conf = aws_sdk_s3::config::Builder::from(config)
                    .force_path_style(config.endpoint_url().is_some())
                    .build();
                aws_sdk_s3::Client::from_conf(conf)
            })
            .await
            .clone())
    }

    pub async fn rds(&self) -> Result<aws_sdk_rds::Client, ProviderError> {
        let config = self.config().await?;
        Ok(self
            .inner
            .rds
            .get_or_init(|| async { aws_sdk_rds::Client::new(config) })
            .await
            .clone())
    }

    pub async fn cloudfront(&self) -> Result<aws_sdk_cloudfront::Client, ProviderError> {
        let config = self.config().await?;
        Ok(self
            .inner
            .cloudfront
            .get_or_init(|| async { aws_sdk_cloudfront::Client::new(config) })
            .await
            .clone())
    }

    pub async fn ssm(&self) -> Result<aws_sdk_ssm::Client, ProviderError> {
        let config = self.config().await?;
        Ok(self
            .inner
            .ssm
            .get_or_init(|| async { aws_sdk_ssm::Client::new(config) })
            .await
            .clone())
    }

    pub async fn secretsmanager(&self) -> Result<aws_sdk_secretsmanager::Client, ProviderError> {
        let config = self.config().await?;
        Ok(self
            .inner
            .secretsmanager
            .get_or_init(|| async { aws_sdk_secretsmanager::Client::new(config) })
            .await
            .clone())
    }

    /// `path` as written in a spec, made absolute against the spec folder.
    pub fn resolve(&self, path: &str) -> std::path::PathBuf {
        let path = std::path::Path::new(path);
        match &self.inner.settings {
            Some(settings) if path.is_relative() => settings.root.join(path),
            _ => path.to_owned(),
        }
    }

    /// The region calls go to.
    pub async fn region(&self) -> Result<String, ProviderError> {
        Ok(self
            .config()
            .await?
            .region()
            .map(|r| r.to_string())
            .unwrap_or_default())
    }
}

/// The maximum attempts per call: `AWS_MAX_ATTEMPTS` when set to a positive number.
pub fn max_attempts() -> u32 {
    std::env::var("AWS_MAX_ATTEMPTS")
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_MAX_ATTEMPTS)
}

/// Whether `endpoint` is on this machine (the local emulator).
pub fn is_loopback(endpoint: &str) -> bool {
    let rest = endpoint
        .split_once("://")
        .map_or(endpoint, |(_, rest)| rest);
    let host = rest.split(['/', '?']).next().unwrap_or("");
    let host = if let Some(v6) = host.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    host == "localhost" || host == "::1" || host.starts_with("127.")
}

fn has_own_credentials(settings: &Settings) -> bool {
    settings.profile.is_some()
        || [
            "AWS_ACCESS_KEY_ID",
            "AWS_PROFILE",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
        ]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|v| !v.is_empty()))
}

async fn load(settings: &Settings) -> Result<SdkConfig, AccessProblem> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(
            RetryConfig::adaptive()
                .with_max_attempts(max_attempts())
                .with_max_backoff(Duration::from_secs(10)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(120))
                .build(),
        );
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    let endpoint = settings.effective_endpoint();
    if let Some(endpoint) = &endpoint {
        loader = loader.endpoint_url(endpoint);
        if is_loopback(endpoint) && !has_own_credentials(settings) {
            loader = loader.credentials_provider(Credentials::new(
                "strata-local",
                "strata-local",
                None,
                None,
                "strata-loopback",
            ));
        }
    }
    let config = loader.load().await;
    if config.region().is_none() {
        return Err(AccessProblem {
            code: "NoRegion",
            message: "no AWS region is set".into(),
            help: "write `aws region=...` in the environment file, or set AWS_REGION".into(),
        });
    }
    let Some(provider) = config.credentials_provider() else {
        return Err(no_credentials(settings, None));
    };
    if let Err(e) = provider.provide_credentials().await {
        // The SDK's message lists every provider it tried, over many lines; the first
        // line says what went wrong.
        let cause = e.to_string();
        let cause = cause.lines().next().unwrap_or_default().to_owned();
        return Err(no_credentials(settings, Some(cause)));
    }
    Ok(config)
}

/// Why an environment cannot reach AWS at all: what is wrong and what to set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessProblem {
    /// `NoCredentials`, `NoRegion` or `NoEnvironment`.
    pub code: &'static str,
    pub message: String,
    pub help: String,
}

impl From<AccessProblem> for ProviderError {
    fn from(p: AccessProblem) -> Self {
        ProviderError::new(
            ErrorKind::Denied,
            Some(p.code.to_owned()),
            format!("{}; {}", p.message, p.help),
        )
    }
}

fn no_credentials(settings: &Settings, cause: Option<String>) -> AccessProblem {
    let cause = cause.map(|c| format!(" ({c})")).unwrap_or_default();
    match &settings.profile {
        Some(profile) => AccessProblem {
            code: "NoCredentials",
            message: format!("the AWS profile `{profile}` gave no credentials{cause}"),
            help: format!(
                "check the profile in ~/.aws/config and ~/.aws/credentials, or run `aws sso login --profile {profile}`"
            ),
        },
        // The chain's own cause ("the credential provider was not enabled") says less
        // than the list of what to set.
        None => AccessProblem {
            code: "NoCredentials",
            message: "no AWS credentials were found".into(),
            help: "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, set AWS_PROFILE, or write `aws profile=NAME` in the environment file".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_endpoints_are_recognised() {
        assert!(is_loopback("http://127.0.0.1:5000"));
        assert!(is_loopback("http://localhost:4566/"));
        assert!(is_loopback("http://[::1]:5000"));
        assert!(!is_loopback("https://s3.eu-west-3.amazonaws.com"));
        assert!(!is_loopback("http://127example.com"));
    }
}
