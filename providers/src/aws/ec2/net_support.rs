//! Small helpers shared by the EC2 networking types (subnet, gateways, route table,
//! Elastic IP): AWS's empty strings as absence, ARNs, and the retry of calls AWS
//! refuses while dependents are still letting go. ("Not found" as absence is
//! [`crate::aws::error::found`].)
//!
//! Invariants: a retried call is retried only on the error codes named by its caller,
//! within a limit, and a timeout names what was waited for.

use std::time::Duration;

use strata_engine::provider::{ErrorKind, ProviderError};

use crate::aws::error::timeout;

/// A string AWS returned, `None` when absent or empty (some endpoints answer `""` for
/// an unset field).
pub(crate) fn present(value: Option<&str>) -> Option<&str> {
    value.filter(|s| !s.is_empty())
}

/// Sets `name` to what AWS returned; when AWS returned nothing but the last applied
/// attributes (`prior`) set it, to `Null`, so that a value removed outside strata (a
/// gateway detached, an address disassociated) shows as drift instead of being taken
/// for "not read back". An attribute neither returned nor applied stays unset.
pub(crate) fn str_or_null(
    out: &mut crate::aws::attrs::Out,
    name: &str,
    value: Option<&str>,
    prior: &strata_engine::provider::Attrs,
) {
    match value {
        Some(v) => {
            out.set(name, v);
        }
        None if prior
            .get(name)
            .is_some_and(|v| !matches!(v, strata_engine::Value::Null)) =>
        {
            out.set(name, strata_engine::Value::Null);
        }
        None => {}
    }
}

/// The ARN of an EC2 resource: `arn:aws:ec2:REGION:OWNER:KIND/ID`.
pub(crate) fn arn(region: &str, owner: &str, kind: &str, id: &str) -> String {
    format!("arn:aws:ec2:{region}:{owner}:{kind}/{id}")
}

/// Runs `call` until it succeeds, retrying while it fails with one of `codes` (e.g.
/// `DependencyViolation` while a deleted dependent's network interface lets go), for at
/// most `limit`; `what` names what the wait is for.
pub(crate) async fn retry_while<F, Fut>(
    what: &str,
    codes: &[&str],
    limit: Duration,
    mut call: F,
) -> Result<(), ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), ProviderError>>,
{
    let start = std::time::Instant::now();
    loop {
        match call().await {
            Ok(()) => return Ok(()),
            Err(e) if e.code.as_deref().is_some_and(|c| codes.contains(&c)) => {
                if start.elapsed() >= limit {
                    let waited = timeout(what, limit);
                    return Err(ProviderError::new(
                        ErrorKind::Timeout,
                        waited.code,
                        format!("{}; last refusal: {e}", waited.message),
                    ));
                }
                tokio::time::sleep(Duration::from_secs(3)).await;
            }
            Err(e) => return Err(e),
        }
    }
}
