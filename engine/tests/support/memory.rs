//! An in-memory cloud for the engine's tests: resources live in a map, every call is
//! logged, and a test can inject faults (a failing create, update, delete or read, a
//! create that fails after making the resource), delays, and changes made "outside
//! strata" to produce drift.
//!
//! Like a real cloud, it computes attributes on create (`id`, `arn`, ...), chooses a
//! value for optional-computed attributes left out, and never returns sensitive
//! attributes on read (they are write-only, as passwords are).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use strata_engine::Value;
use strata_engine::pace::Backpressure;
use strata_engine::provider::{
    Attrs, CreateError, CreateToken, ErrorKind, LookupType, Observed, ProviderError, ResourceType,
};
use strata_engine::schema::{Presence, Schema, Type};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Read,
    Create,
    Update,
    Delete,
    /// Looking for what an interrupted create made.
    Find,
}

/// A fault: the operation fails for resources whose attribute `attribute` is `value`
/// (desired for create/update, stored for read/delete).
#[derive(Debug, Clone)]
struct Fault {
    op: Op,
    attribute: String,
    value: Value,
    /// For create: make the resource, then fail (a waiter timing out).
    after_effect: bool,
    /// For create: make the resource, then lose the answer (no id, no error code).
    answer_lost: bool,
    /// Panic instead of returning an error (a bug in a provider).
    panics: bool,
}

#[derive(Default)]
struct Inner {
    /// id → (type, attributes).
    resources: BTreeMap<String, (String, Attrs)>,
    /// create token → id, as a cloud keeps a tag or an idempotency token.
    tokens: BTreeMap<String, String>,
    next: u64,
    faults: Vec<Fault>,
    log: Vec<String>,
}

#[derive(Default)]
pub struct Cloud {
    inner: Mutex<Inner>,
    /// How long each create/update/delete takes.
    delay: Mutex<Duration>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    /// The throttling signal of the registries over this cloud.
    pub backpressure: Backpressure,
    /// At most this many calls served at once, each taking this long (see
    /// `throttle_calls_above`).
    call_limit: Mutex<Option<(usize, Duration)>>,
    served: AtomicUsize,
    max_served: AtomicUsize,
    throttled: AtomicUsize,
}

impl Cloud {
    pub fn set_delay(&self, delay: Duration) {
        *self.delay.lock().unwrap() = delay;
    }

    /// `op` fails for resources whose `attribute` is `value`.
    pub fn fail(&self, op: Op, attribute: &str, value: impl Into<Value>) {
        self.inner.lock().unwrap().faults.push(Fault {
            op,
            attribute: attribute.into(),
            value: value.into(),
            after_effect: false,
            answer_lost: false,
            panics: false,
        });
    }

    /// `op` panics for resources whose `attribute` is `value`.
    pub fn panic_on(&self, op: Op, attribute: &str, value: impl Into<Value>) {
        self.inner.lock().unwrap().faults.push(Fault {
            op,
            attribute: attribute.into(),
            value: value.into(),
            after_effect: false,
            answer_lost: false,
            panics: true,
        });
    }

    /// Creating a resource whose `attribute` is `value` makes it, then fails.
    pub fn fail_after_create(&self, attribute: &str, value: impl Into<Value>) {
        self.inner.lock().unwrap().faults.push(Fault {
            op: Op::Create,
            attribute: attribute.into(),
            value: value.into(),
            after_effect: true,
            answer_lost: false,
            panics: false,
        });
    }

    /// Creating a resource whose `attribute` is `value` makes it, then the answer is
    /// lost on the way (a connection reset): the caller gets no id and no error code.
    pub fn lose_create_answer(&self, attribute: &str, value: impl Into<Value>) {
        self.inner.lock().unwrap().faults.push(Fault {
            op: Op::Create,
            attribute: attribute.into(),
            value: value.into(),
            after_effect: true,
            answer_lost: true,
            panics: false,
        });
    }

    pub fn clear_faults(&self) {
        self.inner.lock().unwrap().faults.clear();
    }

    /// Every operation so far, as `"create net.vpc vpc-1"` lines.
    pub fn log(&self) -> Vec<String> {
        self.inner.lock().unwrap().log.clone()
    }

    pub fn clear_log(&self) {
        self.inner.lock().unwrap().log.clear();
    }

    /// Ids of the resources of `type_name` that exist.
    pub fn ids(&self, type_name: &str) -> Vec<String> {
        let inner = self.inner.lock().unwrap();
        inner
            .resources
            .iter()
            .filter(|(_, (t, _))| t == type_name)
            .map(|(id, _)| id.clone())
            .collect()
    }

    pub fn count(&self) -> usize {
        self.inner.lock().unwrap().resources.len()
    }

    pub fn get(&self, id: &str) -> Option<Attrs> {
        let inner = self.inner.lock().unwrap();
        inner.resources.get(id).map(|(_, a)| a.clone())
    }

    /// The id of the resource of `type_name` whose `attribute` is `value`.
    pub fn find(
        &self,
        type_name: &str,
        attribute: &str,
        value: impl Into<Value>,
    ) -> Option<String> {
        let value = value.into();
        let inner = self.inner.lock().unwrap();
        inner
            .resources
            .iter()
            .find(|(_, (t, a))| t == type_name && a.get(attribute) == Some(&value))
            .map(|(id, _)| id.clone())
    }

    /// A change made outside strata.
    pub fn modify(&self, id: &str, attribute: &str, value: impl Into<Value>) {
        let mut inner = self.inner.lock().unwrap();
        let (_, attrs) = inner.resources.get_mut(id).expect("no such resource");
        attrs.insert(attribute.into(), value.into());
    }

    /// A deletion made outside strata.
    pub fn remove(&self, id: &str) {
        self.inner.lock().unwrap().resources.remove(id);
    }

    /// Every call (read, create, update, delete) takes `latency`, and one arriving while
    /// `limit` are being served is throttled, as a rate-limited API does: the throttling
    /// is reported on `backpressure` and the call retried after a backoff (as an SDK
    /// client does), so it succeeds in the end, later.
    pub fn throttle_calls_above(&self, limit: usize, latency: Duration) {
        *self.call_limit.lock().unwrap() = Some((limit, latency));
    }

    /// Calls throttled so far (each retried).
    pub fn throttled(&self) -> usize {
        self.throttled.load(Ordering::SeqCst)
    }

    /// The most calls served at the same time under `throttle_calls_above`.
    pub fn max_served(&self) -> usize {
        self.max_served.load(Ordering::SeqCst)
    }

    async fn serve_limited(&self) {
        let Some((limit, latency)) = *self.call_limit.lock().unwrap() else {
            return;
        };
        loop {
            let now = self.served.fetch_add(1, Ordering::SeqCst) + 1;
            if now > limit {
                self.served.fetch_sub(1, Ordering::SeqCst);
                self.throttled.fetch_add(1, Ordering::SeqCst);
                self.backpressure.throttled();
                tokio::time::sleep(latency * 4).await;
                continue;
            }
            self.max_served.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(latency).await;
            self.served.fetch_sub(1, Ordering::SeqCst);
            return;
        }
    }

    /// The most operations that ran at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    fn fault(&self, op: Op, attrs: &Attrs) -> Option<Fault> {
        let inner = self.inner.lock().unwrap();
        inner
            .faults
            .iter()
            .find(|f| f.op == op && attrs.get(&f.attribute) == Some(&f.value))
            .cloned()
    }

    async fn work(&self) {
        self.serve_limited().await;
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let delay = *self.delay.lock().unwrap();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

fn injected(op: Op) -> ProviderError {
    ProviderError::new(
        ErrorKind::Other,
        Some("InjectedFault".into()),
        format!("injected {op:?} failure").to_lowercase(),
    )
}

pub struct MemoryType {
    pub name: &'static str,
    pub schema: &'static LazyLock<Schema>,
    pub cloud: std::sync::Arc<Cloud>,
}

impl MemoryType {
    /// What a read returns: everything but sensitive attributes.
    fn observe(&self, id: &str, attrs: &Attrs) -> Observed {
        let visible = attrs
            .iter()
            .filter(|(k, _)| !self.schema.attribute(k).is_some_and(|a| a.sensitive))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Observed::new(id, visible)
    }

    /// Desired attributes plus what the cloud computes.
    fn complete(&self, id: &str, desired: &Attrs) -> Attrs {
        let mut attrs = desired.clone();
        for attr in &self.schema.body.attributes {
            let computed = match attr.presence {
                Presence::Computed => true,
                Presence::OptionalComputed => !desired.contains_key(attr.name),
                _ => false,
            };
            if !computed {
                continue;
            }
            let value = match (attr.name, &attr.ty) {
                ("id", _) => Value::from(id),
                ("arn", _) => Value::String(format!("arn:test:{}:{id}", self.name)),
                (_, Type::List(_)) => Value::List(vec![Value::from(id)]),
                (name, _) => Value::String(format!("{name}-of-{id}")),
            };
            attrs.insert(attr.name.into(), value);
        }
        attrs
    }
}

#[async_trait]
impl ResourceType for MemoryType {
    fn type_name(&self) -> &'static str {
        self.name
    }

    fn schema(&self) -> &Schema {
        self.schema
    }

    async fn read(&self, id: &str, _prior: &Attrs) -> Result<Option<Observed>, ProviderError> {
        self.cloud.serve_limited().await;
        let stored = self.cloud.get(id);
        if let Some(attrs) = &stored
            && self.cloud.fault(Op::Read, attrs).is_some_and(|f| f.panics)
        {
            panic!("injected panic in read");
        }
        if let Some(attrs) = &stored
            && self.cloud.fault(Op::Read, attrs).is_some()
        {
            return Err(ProviderError::new(
                ErrorKind::Throttled,
                Some("Throttling".into()),
                "rate exceeded",
            ));
        }
        Ok(stored.map(|attrs| self.observe(id, &attrs)))
    }

    async fn create(&self, desired: &Attrs, token: &CreateToken) -> Result<Observed, CreateError> {
        self.cloud.work().await;
        let fault = self.cloud.fault(Op::Create, desired);
        if let Some(f) = &fault
            && f.panics
        {
            panic!("injected panic in create");
        }
        if let Some(f) = &fault
            && !f.after_effect
        {
            return Err(injected(Op::Create).into());
        }
        let id = {
            let mut inner = self.cloud.inner.lock().unwrap();
            inner.next += 1;
            let prefix = self.name.split('.').nth(1).unwrap_or("r");
            format!("{prefix}-{}", inner.next)
        };
        let attrs = self.complete(&id, desired);
        {
            let mut inner = self.cloud.inner.lock().unwrap();
            inner
                .resources
                .insert(id.clone(), (self.name.into(), attrs.clone()));
            inner.tokens.insert(token.as_str().into(), id.clone());
            inner.log.push(format!("create {} {id}", self.name));
        }
        if fault.as_ref().is_some_and(|f| f.answer_lost) {
            return Err(ProviderError::new(
                ErrorKind::NoAnswer,
                None,
                "connection reset by peer while reading the answer",
            )
            .into());
        }
        if fault.is_some() {
            return Err(CreateError {
                error: ProviderError::new(
                    ErrorKind::Timeout,
                    None,
                    "timed out waiting for the resource to become ready",
                ),
                id: Some(id),
            });
        }
        Ok(self.observe(&id, &attrs))
    }

    async fn find(
        &self,
        desired: &Attrs,
        token: &CreateToken,
    ) -> Result<Option<Observed>, ProviderError> {
        if self.cloud.fault(Op::Find, desired).is_some() {
            return Err(ProviderError::new(
                ErrorKind::Throttled,
                Some("Throttling".into()),
                "rate exceeded",
            ));
        }
        let id = {
            let mut inner = self.cloud.inner.lock().unwrap();
            inner.log.push(format!("find {} {token}", self.name));
            inner.tokens.get(token.as_str()).cloned()
        };
        Ok(id.and_then(|id| self.cloud.get(&id).map(|attrs| self.observe(&id, &attrs))))
    }

    async fn update(
        &self,
        id: &str,
        _prior: &Attrs,
        desired: &Attrs,
        changed: &[String],
    ) -> Result<Observed, ProviderError> {
        self.cloud.work().await;
        if self.cloud.fault(Op::Update, desired).is_some() {
            return Err(injected(Op::Update));
        }
        let mut inner = self.cloud.inner.lock().unwrap();
        let Some((_, attrs)) = inner.resources.get_mut(id) else {
            return Err(ProviderError::new(
                ErrorKind::NotFound,
                Some("NotFound".into()),
                format!("no resource {id}"),
            ));
        };
        for name in changed {
            match desired.get(name) {
                Some(v) => attrs.insert(name.clone(), v.clone()),
                None => attrs.remove(name),
            };
        }
        let attrs = attrs.clone();
        inner
            .log
            .push(format!("update {} {id} {}", self.name, changed.join(",")));
        drop(inner);
        Ok(self.observe(id, &attrs))
    }

    async fn delete(&self, id: &str, _prior: &Attrs) -> Result<(), ProviderError> {
        self.cloud.work().await;
        if let Some(attrs) = self.cloud.get(id)
            && self.cloud.fault(Op::Delete, &attrs).is_some()
        {
            return Err(injected(Op::Delete));
        }
        let mut inner = self.cloud.inner.lock().unwrap();
        inner.resources.remove(id);
        inner.log.push(format!("delete {} {id}", self.name));
        Ok(())
    }
}

/// `lookup net.vpc`: always finds the same default network.
pub struct MemoryLookup {
    pub name: &'static str,
    pub schema: &'static LazyLock<Schema>,
}

#[async_trait]
impl LookupType for MemoryLookup {
    fn type_name(&self) -> &'static str {
        self.name
    }

    fn schema(&self) -> &Schema {
        self.schema
    }

    async fn read(&self, filters: &Attrs) -> Result<Observed, ProviderError> {
        let mut attrs = filters.clone();
        if self.name == "vault.secret" {
            let name = filters["name"].as_str().unwrap_or_default().to_owned();
            attrs.insert(
                "value".into(),
                Value::from(format!("{name}-s3cr3t-from-vault")),
            );
            return Ok(Observed::new(format!("secret/{name}"), attrs));
        }
        attrs.insert("cidr-block".into(), Value::from("172.31.0.0/16"));
        Ok(Observed::new("vpc-default", attrs))
    }
}
