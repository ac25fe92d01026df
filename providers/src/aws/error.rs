//! AWS SDK errors turned into the engine's [`ProviderError`]: the AWS error code and
//! message, the operation that failed, and a kind the engine acts on.
//!
//! Invariants: "not found" is decided from the error code only (never from a message);
//! an answer whose body is HTML (an emulator's 404/500 page for an action it lacks) is
//! `Unsupported`, "operation not supported by this endpoint"; network failures say
//! which endpoint could not be reached. `code` is only ever the cloud's: a call that got
//! no answer it could read (a timeout, a connection failure) has none, which tells the
//! engine that a create may have reached the cloud (its pending entry stays, for the
//! next plan to find) rather than been refused.

use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_types::error::display::DisplayErrorContext;
use strata_engine::provider::{ErrorKind, ProviderError};

/// The error of SDK call `operation` (`"CreateVpc"`).
pub fn sdk<E>(operation: &str, err: SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &err {
        SdkError::ServiceError(service) => {
            let raw = service.raw();
            let status = raw.status().as_u16();
            let body = raw.body().bytes().unwrap_or_default();
            if looks_like_html(body) {
                return unsupported(operation, status);
            }
            let inner = service.err();
            let code = inner.code().map(str::to_owned);
            let message = inner
                .message()
                .map(str::to_owned)
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| match &code {
                    Some(_) => format!("HTTP {status}"),
                    None => format!("HTTP {status}: {}", DisplayErrorContext(inner)),
                });
            let kind = classify(code.as_deref(), status);
            ProviderError::new(kind, code, format!("{message} (in {operation})"))
        }
        SdkError::ResponseError(response) => {
            let raw = response.raw();
            let status = raw.status().as_u16();
            if looks_like_html(raw.body().bytes().unwrap_or_default()) {
                return unsupported(operation, status);
            }
            ProviderError::new(
                if status == 404 {
                    ErrorKind::Unsupported
                } else {
                    ErrorKind::NoAnswer
                },
                None,
                format!(
                    "{operation} got an answer it could not read (HTTP {status}): {}",
                    DisplayErrorContext(&err)
                ),
            )
        }
        SdkError::TimeoutError(_) => ProviderError::new(
            ErrorKind::NoAnswer,
            None,
            format!("{operation} timed out: {}", causes(&err)),
        ),
        SdkError::DispatchFailure(_) => ProviderError::new(
            ErrorKind::NoAnswer,
            None,
            format!("{operation} could not reach the endpoint: {}", causes(&err)),
        ),
        _ => ProviderError::other(format!("{operation} failed: {}", DisplayErrorContext(&err))),
    }
}

/// The messages of an error and its sources, joined with `: `, each said once (the
/// SDK's wrappers often repeat their source's message).
fn causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// The error codes AWS services throttle with.
pub const THROTTLE_CODES: [&str; 12] = [
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
    "PriorRequestNotComplete",
    "ProvisionedThroughputExceededException",
    "BandwidthLimitExceeded",
    "EC2ThrottledException",
];

/// What the engine should make of an AWS error code.
pub fn classify(code: Option<&str>, status: u16) -> ErrorKind {
    let Some(code) = code else {
        return match status {
            404 => ErrorKind::NotFound,
            403 => ErrorKind::Denied,
            429 => ErrorKind::Throttled,
            _ => ErrorKind::Other,
        };
    };
    if is_not_found(code) {
        ErrorKind::NotFound
    } else if THROTTLE_CODES.contains(&code) {
        ErrorKind::Throttled
    } else if matches!(
        code,
        "AccessDenied"
            | "AccessDeniedException"
            | "UnauthorizedOperation"
            | "AuthFailure"
            | "InvalidClientTokenId"
            | "SignatureDoesNotMatch"
            | "ExpiredToken"
            | "ExpiredTokenException"
            | "UnrecognizedClientException"
            | "InvalidAccessKeyId"
    ) {
        ErrorKind::Denied
    } else {
        ErrorKind::Other
    }
}

/// Error codes meaning "this resource does not exist", across the services.
pub fn is_not_found(code: &str) -> bool {
    // `InvalidVpcID.NotFound`, `ParameterNotFound`, `DBSubnetGroupNotFoundFault`,
    // `ResourceNotFoundException`, `NoSuchBucket`, and S3's bare `404`.
    code == "404"
        || code.starts_with("NoSuch")
        || ["NotFound", "NotFoundFault", "NotFoundException"]
            .iter()
            .any(|end| code.ends_with(end))
}

fn looks_like_html(body: &[u8]) -> bool {
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let head: Vec<u8> = body[start..]
        .iter()
        .take(15)
        .map(u8::to_ascii_lowercase)
        .collect();
    head.starts_with(b"<!doctype html") || head.starts_with(b"<html")
}

fn unsupported(operation: &str, status: u16) -> ProviderError {
    ProviderError::new(
        ErrorKind::Unsupported,
        None,
        format!(
            "operation not supported by this endpoint: {operation} answered HTTP {status} with an HTML page"
        ),
    )
}

/// A call's result with "not found" turned into `None` (a describe of a resource that
/// is gone). Only the `NotFound` error kind ever becomes absence.
pub(crate) fn found<T>(result: Result<T, ProviderError>) -> Result<Option<T>, ProviderError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// A delete result with "not found" counted as success.
pub(crate) fn deleted(result: Result<(), ProviderError>) -> Result<(), ProviderError> {
    found(result).map(|_| ())
}

/// An error of strata's own making about a resource (a waiter gave up, a value AWS
/// needs is missing).
pub fn invalid(message: impl Into<String>) -> ProviderError {
    ProviderError::new(ErrorKind::Other, None, message)
}

/// A waiter that gave up: `what` names what it waited for.
pub fn timeout(what: impl std::fmt::Display, waited: std::time::Duration) -> ProviderError {
    ProviderError::new(
        ErrorKind::Timeout,
        Some("WaiterTimeout".into()),
        format!("gave up after {} s waiting for {what}", waited.as_secs()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_codes_of_every_service_are_recognised() {
        for code in [
            "InvalidVpcID.NotFound",
            "NoSuchBucket",
            "NoSuchKey",
            "DBInstanceNotFound",
            "DBSubnetGroupNotFoundFault",
            "NoSuchDistribution",
            "ParameterNotFound",
            "InvalidAllocationID.NotFound",
            "NatGatewayNotFound",
        ] {
            assert_eq!(classify(Some(code), 400), ErrorKind::NotFound, "{code}");
        }
        assert_eq!(
            classify(Some("InvalidParameterValue"), 400),
            ErrorKind::Other
        );
        assert_eq!(
            classify(Some("RequestLimitExceeded"), 503),
            ErrorKind::Throttled
        );
        assert_eq!(
            classify(Some("UnauthorizedOperation"), 403),
            ErrorKind::Denied
        );
        assert_eq!(classify(None, 404), ErrorKind::NotFound);
    }

    #[test]
    fn html_bodies_are_recognised() {
        assert!(looks_like_html(b"\n  <!DOCTYPE HTML PUBLIC"));
        assert!(looks_like_html(b"<html><body>500</body></html>"));
        assert!(!looks_like_html(b"<?xml version=\"1.0\"?><Error/>"));
        assert!(!looks_like_html(b"{\"__type\":\"x\"}"));
    }
}
