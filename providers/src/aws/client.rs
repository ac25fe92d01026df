//! The one place AWS clients are configured: per environment, the standard credential
//! chain (or a named profile), the region, an optional endpoint override, retries
//! (adaptive, `AWS_MAX_ATTEMPTS` attempts, default 8, at most 10 s apart; a refused
//! connection is not retried) and timeouts. Every resource type reaches AWS through an
//! [`Aws`] handle.
//!
//! The configuration is loaded lazily, on the first call that needs it, so that
//! `validate` and plans that never reach the cloud need neither credentials nor network.
//! Credentials are resolved once, eagerly on that first use, so that missing credentials
//! are one clear error naming what to set instead of a dispatch failure per resource.
//!
//! `check_access`, which every command that touches the cloud calls first, also makes
//! one cheap call (STS `GetCallerIdentity`, which needs no permission) with retries off:
//! an endpoint nothing answers on (connection refused, a name that does not resolve, no
//! connection within the connect timeout) stops the command at once with one
//! diagnostic, instead of every resource spending its retries on it. Whatever the
//! probe's answer says otherwise (an error, throttling, a dropped connection) is left
//! to the calls that follow, which retry.
//!
//! Invariants: an endpoint override comes from the environment's `endpoint` or else the
//! standard `AWS_ENDPOINT_URL`; with an override, S3 uses path-style addressing; static
//! dummy credentials are used only for a loopback endpoint (the local emulator) when the
//! process has no credentials of its own; the access check makes exactly one call.

use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, InterceptorContext,
};
use aws_smithy_runtime_api::client::result::{ConnectorError, DispatchFailure, SdkError};
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use strata_engine::pace::Backpressure;
use strata_engine::provider::{ErrorKind, ProviderError};

use super::error::THROTTLE_CODES;
use tokio::sync::OnceCell;

/// How many times a call is attempted before its error is reported, unless the
/// standard `AWS_MAX_ATTEMPTS` says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;

/// The longest wait between two attempts of a call.
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// How long a call waits for its connection to be accepted.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the access check's probe waits for its answer.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(15);

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
    /// Where every client reports throttling.
    backpressure: Backpressure,
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

    /// The throttling signal every client of this handle reports on.
    pub fn backpressure(&self) -> &Backpressure {
        &self.inner.backpressure
    }

    /// The settings this handle was made with.
    pub fn settings(&self) -> Option<&Settings> {
        self.inner.settings.as_ref()
    }

    /// The loaded SDK configuration, credentials checked.
    pub async fn config(&self) -> Result<&SdkConfig, ProviderError> {
        self.loaded().await.map_err(ProviderError::from)
    }

    /// Whether AWS can be reached at all (a region, credentials, an endpoint that
    /// accepts connections), before any resource is touched; the configuration stays
    /// loaded for the calls that follow.
    pub async fn check_access(&self) -> Result<(), AccessProblem> {
        let config = self.loaded().await?;
        probe(config).await
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
            .get_or_init(|| async {
                aws_sdk_ec2::Client::from_conf(
                    aws_sdk_ec2::config::Builder::from(config)
                        .retry_classifier(RefusedIsFinal)
                        .interceptor(ThrottleSignal(self.inner.backpressure.clone()))
                        .build(),
                )
            })
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
                    .retry_classifier(RefusedIsFinal)
                    .interceptor(ThrottleSignal(self.inner.backpressure.clone()))
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
            .get_or_init(|| async {
                aws_sdk_rds::Client::from_conf(
                    aws_sdk_rds::config::Builder::from(config)
                        .retry_classifier(RefusedIsFinal)
                        .interceptor(ThrottleSignal(self.inner.backpressure.clone()))
                        .build(),
                )
            })
            .await
            .clone())
    }

    pub async fn cloudfront(&self) -> Result<aws_sdk_cloudfront::Client, ProviderError> {
        let config = self.config().await?;
        Ok(self
            .inner
            .cloudfront
            .get_or_init(|| async {
                aws_sdk_cloudfront::Client::from_conf(
                    aws_sdk_cloudfront::config::Builder::from(config)
                        .retry_classifier(RefusedIsFinal)
                        .interceptor(ThrottleSignal(self.inner.backpressure.clone()))
                        .build(),
                )
            })
            .await
            .clone())
    }

    pub async fn ssm(&self) -> Result<aws_sdk_ssm::Client, ProviderError> {
        let config = self.config().await?;
        Ok(self
            .inner
            .ssm
            .get_or_init(|| async {
                aws_sdk_ssm::Client::from_conf(
                    aws_sdk_ssm::config::Builder::from(config)
                        .retry_classifier(RefusedIsFinal)
                        .interceptor(ThrottleSignal(self.inner.backpressure.clone()))
                        .build(),
                )
            })
            .await
            .clone())
    }

    pub async fn secretsmanager(&self) -> Result<aws_sdk_secretsmanager::Client, ProviderError> {
        let config = self.config().await?;
        Ok(self
            .inner
            .secretsmanager
            .get_or_init(|| async {
                aws_sdk_secretsmanager::Client::from_conf(
                    aws_sdk_secretsmanager::config::Builder::from(config)
                        .retry_classifier(RefusedIsFinal)
                        .interceptor(ThrottleSignal(self.inner.backpressure.clone()))
                        .build(),
                )
            })
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

/// The retry mode: `AWS_RETRY_MODE=standard` (or `legacy`) turns the adaptive client
/// rate limiter off; adaptive otherwise. Adaptive mode slows every call to a service
/// down after a throttling error, and waits up to the maximum backoff (10 s) before
/// each retry of a throttled call.
pub fn retry_config() -> RetryConfig {
    let standard = std::env::var("AWS_RETRY_MODE").is_ok_and(|mode| {
        let mode = mode.trim();
        mode.eq_ignore_ascii_case("standard") || mode.eq_ignore_ascii_case("legacy")
    });
    let config = if standard {
        RetryConfig::standard()
    } else {
        RetryConfig::adaptive()
    };
    config
        .with_max_attempts(max_attempts())
        .with_max_backoff(MAX_BACKOFF)
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
        .retry_config(retry_config())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
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

/// One `GetCallerIdentity`, one attempt: an `Unreachable` problem when nothing
/// accepted the connection; any answer, even an error, means the endpoint is there.
async fn probe(config: &SdkConfig) -> Result<(), AccessProblem> {
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(config)
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .operation_timeout(PROBE_TIMEOUT)
                    .build(),
            )
            .build(),
    );
    let cause = match sts.get_caller_identity().send().await {
        Err(SdkError::DispatchFailure(failure)) => match connect_failure(&failure) {
            Some(cause) => cause,
            None => return Ok(()),
        },
        Err(SdkError::TimeoutError(_)) => format!(
            "it accepted the connection but did not answer within {} s",
            PROBE_TIMEOUT.as_secs()
        ),
        _ => return Ok(()),
    };
    let region = config.region().map(|r| r.to_string()).unwrap_or_default();
    Err(match config.endpoint_url() {
        Some(endpoint) => AccessProblem {
            code: "Unreachable",
            message: format!("nothing answers at {endpoint} ({cause})"),
            help: format!(
                "start the service that should listen at {endpoint}, or correct the environment's `endpoint`"
            ),
        },
        None => AccessProblem {
            code: "Unreachable",
            message: format!("the AWS endpoints of region {region} do not answer ({cause})"),
            help: "check this machine's network connection to AWS (DNS, firewall, proxy) and the region".into(),
        },
    })
}

/// What stopped a call from connecting, when it never got a connection: refused, a host
/// name that does not resolve, an unreachable network, the connect timeout. None when
/// it connected and then failed (the endpoint is there).
fn connect_failure(failure: &DispatchFailure) -> Option<String> {
    if failure.is_timeout() {
        return Some(format!(
            "no connection within {} s",
            CONNECT_TIMEOUT.as_secs()
        ));
    }
    let mut next = failure.as_connector_error().map(as_error);
    while let Some(error) = next {
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            let cause = match io.kind() {
                std::io::ErrorKind::ConnectionRefused => Some("connection refused"),
                std::io::ErrorKind::HostUnreachable => Some("host unreachable"),
                std::io::ErrorKind::NetworkUnreachable => Some("network unreachable"),
                std::io::ErrorKind::AddrNotAvailable => Some("address not available"),
                _ => None,
            };
            if let Some(cause) = cause {
                return Some(cause.to_owned());
            }
        }
        // hyper's connector names a failed lookup `dns error`; its type is private.
        if error.to_string().starts_with("dns error") {
            return Some("its host name does not resolve".to_owned());
        }
        next = error.source();
    }
    None
}

fn as_error(error: &ConnectorError) -> &(dyn std::error::Error + 'static) {
    error
}

/// Whether a connection was refused somewhere in `error`'s chain of causes.
fn refused(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(error) = next {
        if error
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
        {
            return true;
        }
        next = error.source();
    }
    false
}

/// A refused connection is not retried. The SDK retries it as a transient error, 8
/// attempts over some 20 s of backoff per call; but an endpoint refuses connections
/// when nothing listens there (the emulator stopped, a wrong port), not under load
/// (AWS then throttles or answers 503, which stay retried). Without this, an endpoint
/// that goes down mid-apply costs every operation in flight or starting its 20 s.
#[derive(Debug)]
struct RefusedIsFinal;

impl ClassifyRetry for RefusedIsFinal {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        match ctx.output_or_error() {
            Some(Err(error))
                if error
                    .as_connector_error()
                    .is_some_and(|c| refused(as_error(c))) =>
            {
                RetryAction::RetryForbidden
            }
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "strata: connection refused is final"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// Reports every throttling answer (HTTP 429, 503, or a throttling error code) on the
/// engine's backpressure signal, once per attempt, including those the client then
/// retries with success: the engine's walks slow down on it (`strata_engine::pace`).
/// An interceptor, not a retry classifier: classifiers run more than once per attempt.
#[derive(Debug)]
struct ThrottleSignal(Backpressure);

impl Intercept for ThrottleSignal {
    fn name(&self) -> &'static str {
        "strata: throttling slows the walk down"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        let status = response.status().as_u16();
        let code_header = response.headers().get("x-amzn-errortype");
        if is_throttling(status, code_header, response.body().bytes()) {
            self.0.throttled();
        }
        Ok(())
    }
}

/// Whether an answer is the cloud pushing back: 429, 503, or a 4xx whose error code
/// (in the `x-amzn-ErrorType` header, or the XML or JSON body) is a throttling code.
pub fn is_throttling(status: u16, code_header: Option<&str>, body: Option<&[u8]>) -> bool {
    if status == 429 || status == 503 {
        return true;
    }
    if !(400..500).contains(&status) {
        return false;
    }
    let named = |code: &str| {
        let code = code.split([':', ',']).next().unwrap_or(code);
        let code = code.rsplit('#').next().unwrap_or(code).trim();
        THROTTLE_CODES.contains(&code)
    };
    if code_header.is_some_and(named) {
        return true;
    }
    let Some(body) = body else {
        return false;
    };
    let body = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    THROTTLE_CODES.iter().any(|code| {
        body.contains(&format!(">{code}<"))
            || body.contains(&format!("\"{code}\""))
            || body.contains(&format!("#{code}\""))
    })
}

/// Why an environment cannot reach AWS at all: what is wrong and what to set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessProblem {
    /// `NoCredentials`, `NoRegion`, `NoEnvironment` or `Unreachable`.
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
    fn throttling_answers_are_recognised_in_every_protocol() {
        // Query and REST-XML (S3, RDS, CloudFront), EC2's own XML, JSON (SSM, Secrets
        // Manager) in the body or the header.
        let xml = b"<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>";
        assert!(is_throttling(400, None, Some(xml)));
        let ec2 = b"<Response><Errors><Error><Code>RequestLimitExceeded</Code></Error></Errors></Response>";
        assert!(is_throttling(503, None, Some(ec2)));
        assert!(is_throttling(400, None, Some(ec2)));
        let json =
            br#"{"__type":"com.amazonaws.ssm#ThrottlingException","message":"Rate exceeded"}"#;
        assert!(is_throttling(400, None, Some(json)));
        assert!(is_throttling(
            400,
            Some("ThrottlingException:http://internal.amazon.com/"),
            None
        ));
        assert!(is_throttling(429, None, None));
        let slow_down = b"<Error><Code>SlowDown</Code></Error>";
        assert!(is_throttling(503, None, Some(slow_down)));
    }

    #[test]
    fn other_errors_are_not_throttling() {
        let denied = b"<Error><Code>AccessDenied</Code><Message>Throttling is not the issue</Message></Error>";
        assert!(!is_throttling(403, None, Some(denied)));
        let not_found = br#"{"__type":"ResourceNotFoundException","message":"no Throttling here"}"#;
        assert!(!is_throttling(400, None, Some(not_found)));
        assert!(!is_throttling(500, None, Some(b"<Code>Throttling</Code>")));
        assert!(!is_throttling(200, None, Some(b"<Code>Throttling</Code>")));
    }

    #[test]
    fn loopback_endpoints_are_recognised() {
        assert!(is_loopback("http://127.0.0.1:5000"));
        assert!(is_loopback("http://localhost:4566/"));
        assert!(is_loopback("http://[::1]:5000"));
        assert!(!is_loopback("https://s3.eu-west-3.amazonaws.com"));
        assert!(!is_loopback("http://127example.com"));
    }
}
