//! A fault-injecting HTTP/1.1 proxy for tests: it sits on a loopback port between
//! strata and the emulator and, for a configurable share of the requests, answers in
//! the emulator's place the way a struggling AWS does: a throttling error in the
//! protocol of the service called (EC2 `RequestLimitExceeded`, S3 `SlowDown` with 503,
//! `Throttling` for the query and REST-XML services, `ThrottlingException` for the JSON
//! ones), an HTTP 500 or 503, a connection closed without an answer, or a slow answer.
//! It counts the requests it saw and what it injected ([`Counts`]).
//!
//! Which requests fail is drawn from a seeded generator over the order requests arrive
//! in, in blocks of [`BLOCK`]: in every block exactly `rate × BLOCK` (rounded) requests,
//! at seeded positions, get a fault of a seeded kind. So the share of faults is the rate
//! to within one block at any moment (a test asserting "at least 15% faulted" cannot be
//! unlucky), consecutive faults still happen (a retry can fail again), and with one seed
//! the n-th request meets the same fault in every run; which call that is depends on
//! how the client's parallel calls interleave.
//!
//! Invariant: no request that changes anything is ever lost *after* the emulator acted
//! on it. A create whose answer is lost cannot be retried safely by any client (the
//! retry makes a second VPC, or fails on a name now taken), so for mutating calls the
//! proxy injects errors and closed connections only *before* forwarding. Only reads
//! (query and JSON actions named `Describe*`, `Get*`, `List*`, `Head*`, and REST
//! `GET` / `HEAD`) may also be forwarded and then have their connection closed instead
//! of answered ([`Fault::ResetAfter`]).
//!
//! Invariants: it only listens on 127.0.0.1 and only forwards to the upstream it was
//! given; requests are passed through byte for byte (headers, `chunked` or
//! `content-length` bodies) and answers too, but for the hop-by-hop `Connection`
//! header: the client's connection is kept alive (as AWS keeps it) even though the
//! emulator closes its own after each answer. One thread per client connection. It
//! depends on no AWS SDK crate.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

/// What the proxy can do to one request instead of forwarding it plainly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The service's throttling error (HTTP 400; S3: `SlowDown`, HTTP 503).
    Throttle,
    /// HTTP 500 with the service's `InternalError` shape.
    Http500,
    /// HTTP 503 with the service's `ServiceUnavailable` shape.
    Http503,
    /// The request is read, not forwarded, and the connection closed unanswered.
    ResetBefore,
    /// The request is forwarded, and the connection closed instead of answering. Reads
    /// only: a mutating request drawn for it gets [`Fault::ResetBefore`].
    ResetAfter,
    /// The request is forwarded after [`Faults::delay`].
    Slow,
}

impl Fault {
    /// Every kind, in the order [`Counts`] lists them.
    pub const ALL: [Fault; 6] = [
        Fault::Throttle,
        Fault::Http500,
        Fault::Http503,
        Fault::ResetBefore,
        Fault::ResetAfter,
        Fault::Slow,
    ];

    fn index(self) -> usize {
        Fault::ALL.iter().position(|f| *f == self).unwrap_or(0)
    }

    /// A short name for reports: `throttle`, `http-500`, ...
    pub fn name(self) -> &'static str {
        match self {
            Fault::Throttle => "throttle",
            Fault::Http500 => "http-500",
            Fault::Http503 => "http-503",
            Fault::ResetBefore => "reset-before-forwarding",
            Fault::ResetAfter => "reset-after-forwarding",
            Fault::Slow => "slow",
        }
    }
}

/// Which requests get which faults.
#[derive(Debug, Clone, PartialEq)]
pub struct Faults {
    /// The share of requests that get a fault, 0.0 to 1.0 (in steps of 1/[`BLOCK`]).
    pub rate: f64,
    /// Seeds the draw: one seed, one sequence of faults over the arrival order.
    pub seed: u64,
    /// The kinds drawn from, uniformly; empty means no fault.
    pub kinds: Vec<Fault>,
    /// How long a [`Fault::Slow`] request waits before being forwarded.
    pub delay: Duration,
    /// Fault only requests the SDK marks as attempt N or lower (`amz-sdk-request:
    /// attempt=N`); None faults any attempt.
    pub up_to_attempt: Option<u32>,
    /// A rate-limited API: a request arriving while this many are being forwarded is
    /// throttled (counted as a [`Fault::Throttle`]); None: no limit.
    pub max_concurrent: Option<usize>,
}

impl Faults {
    /// Nothing injected: a plain forwarding proxy.
    pub fn none() -> Self {
        Faults {
            rate: 0.0,
            seed: 0,
            kinds: Vec::new(),
            delay: Duration::ZERO,
            up_to_attempt: None,
            max_concurrent: None,
        }
    }

    /// `rate` of the requests get one of every kind of fault (slow ones wait 300 ms).
    pub fn all(rate: f64, seed: u64) -> Self {
        Faults {
            rate,
            seed,
            kinds: Fault::ALL.to_vec(),
            delay: Duration::from_millis(300),
            up_to_attempt: None,
            max_concurrent: None,
        }
    }

    /// `rate` of the requests get `kind`.
    pub fn only(kind: Fault, rate: f64, seed: u64) -> Self {
        Faults {
            kinds: vec![kind],
            ..Faults::all(rate, seed)
        }
    }

    /// No fault drawn; a request arriving while `limit` are being forwarded is
    /// throttled, as a rate-limited API does.
    pub fn concurrency_limit(limit: usize) -> Self {
        Faults {
            max_concurrent: Some(limit),
            ..Faults::none()
        }
    }

    /// Every request is forwarded after `delay`.
    pub fn slow(delay: Duration) -> Self {
        Faults {
            delay,
            ..Faults::only(Fault::Slow, 1.0, 0)
        }
    }
}

/// What the proxy saw and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Complete requests read from clients.
    pub requests: u64,
    /// Requests the SDK marked as a retry (`amz-sdk-request: attempt=N`, N > 1).
    pub retries: u64,
    /// Requests that were (also) sent to the emulator.
    pub forwarded: u64,
    /// Faults injected, indexed like [`Fault::ALL`].
    pub injected: [u64; 6],
}

impl Counts {
    /// How many times `kind` was injected.
    pub fn of(&self, kind: Fault) -> u64 {
        self.injected[kind.index()]
    }

    /// Faults injected, of any kind.
    pub fn faults(&self) -> u64 {
        self.injected.iter().sum()
    }

    /// Faults injected, excluding slow answers (which are answered, just late).
    pub fn failures(&self) -> u64 {
        self.faults() - self.of(Fault::Slow)
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let share = if self.requests == 0 {
            0.0
        } else {
            100.0 * self.faults() as f64 / self.requests as f64
        };
        write!(
            f,
            "{} requests ({} retries), {} faults ({share:.1}%):",
            self.requests,
            self.retries,
            self.faults()
        )?;
        for kind in Fault::ALL {
            write!(f, " {} {}", kind.name(), self.of(kind))?;
        }
        Ok(())
    }
}

/// A running proxy; dropping it stops it.
pub struct FaultProxy {
    port: u16,
    shared: Arc<Shared>,
    accepting: Mutex<Option<thread::JoinHandle<()>>>,
}

struct Shared {
    upstream: String,
    faults: Mutex<Faults>,
    /// How many requests were eligible for a fault so far (their arrival order).
    drawn: AtomicU64,
    requests: AtomicU64,
    retries: AtomicU64,
    forwarded: AtomicU64,
    injected: [AtomicU64; 6],
    /// Requests being forwarded now (for `Faults::max_concurrent`).
    forwarding: AtomicU64,
    stopped: AtomicBool,
    /// The client connections open now, to close them on stop.
    clients: Mutex<HashMap<u64, TcpStream>>,
    next_client: AtomicU64,
}

impl FaultProxy {
    /// A proxy on a free loopback port forwarding to `upstream` (`http://127.0.0.1:PORT`
    /// or `127.0.0.1:PORT`), injecting `faults`.
    pub fn start(upstream: &str, faults: Faults) -> Result<FaultProxy, String> {
        FaultProxy::start_at(upstream, 0, faults)
    }

    /// A proxy on loopback port `port` (0: any free one), e.g. to bring an endpoint
    /// back up where a stopped proxy was.
    pub fn start_at(upstream: &str, port: u16, faults: Faults) -> Result<FaultProxy, String> {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        if !(upstream.starts_with("127.0.0.1:") || upstream.starts_with("localhost:")) {
            return Err(format!(
                "the fault proxy only forwards to this machine, not {upstream}"
            ));
        }
        let listener = TcpListener::bind(("127.0.0.1", port))
            .map_err(|e| format!("the fault proxy cannot listen on port {port}: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("the fault proxy cannot listen: {e}"))?
            .port();
        let shared = Arc::new(Shared {
            upstream,
            faults: Mutex::new(faults),
            drawn: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            forwarded: AtomicU64::new(0),
            injected: Default::default(),
            forwarding: AtomicU64::new(0),
            stopped: AtomicBool::new(false),
            clients: Mutex::new(HashMap::new()),
            next_client: AtomicU64::new(0),
        });
        let accepting = Arc::clone(&shared);
        let accepting = thread::Builder::new()
            .name("fault-proxy".into())
            .spawn(move || accept(listener, accepting))
            .map_err(|e| format!("the fault proxy cannot start: {e}"))?;
        Ok(FaultProxy {
            port,
            shared,
            accepting: Mutex::new(Some(accepting)),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`, for a spec's `endpoint`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What was seen and injected so far.
    pub fn counts(&self) -> Counts {
        let s = &self.shared;
        let mut injected = [0; 6];
        for (n, count) in injected.iter_mut().zip(&s.injected) {
            *n = count.load(Ordering::Relaxed);
        }
        Counts {
            requests: s.requests.load(Ordering::Relaxed),
            retries: s.retries.load(Ordering::Relaxed),
            forwarded: s.forwarded.load(Ordering::Relaxed),
            injected,
        }
    }

    /// Injects `faults` from the next request on.
    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.shared.faults) = faults;
    }

    /// Stops listening and closes every client connection: from now on the port
    /// refuses connections, as if the endpoint went down. A request already forwarded
    /// is still answered (its connection closes after); one not yet forwarded is
    /// dropped unforwarded. So a stop never leaves a create done but unanswered, which
    /// no client could recover from (a real endpoint dying mid-request can).
    pub fn stop(&self) {
        if self.shared.stopped.swap(true, Ordering::SeqCst) {
            return;
        }
        // Wake the accepting thread and wait until it has dropped the listener.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(accepting) = lock(&self.accepting).take() {
            let _ = accepting.join();
        }
        // Wakes the connections waiting for a request; those busy with one finish it.
        for (_, client) in lock(&self.shared.clients).drain() {
            let _ = client.shutdown(Shutdown::Read);
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn accept(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopped.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let id = shared.next_client.fetch_add(1, Ordering::Relaxed);
        if let Ok(clone) = stream.try_clone() {
            lock(&shared.clients).insert(id, clone);
        }
        let shared = Arc::clone(&shared);
        let _ = thread::Builder::new()
            .name("fault-proxy-conn".into())
            .spawn(move || {
                let _ = serve(stream, &shared);
                lock(&shared.clients).remove(&id);
            });
    }
}

/// One HTTP message head and its body, as read (raw bytes, forwarded unchanged).
struct Message {
    /// The start line without its CRLF: `GET / HTTP/1.1`, `HTTP/1.1 200 OK`.
    start: String,
    headers: Vec<(String, String)>,
    /// The head, start line to the blank line included, as received.
    head: Vec<u8>,
    /// The body as received (still chunk-encoded if it was).
    body: Vec<u8>,
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn has_token(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    fn bytes(&self) -> Vec<u8> {
        let mut all = self.head.clone();
        all.extend_from_slice(&self.body);
        all
    }
}

/// Reads a head; None at a clean end of the stream before any byte.
fn read_head(reader: &mut impl BufRead) -> io::Result<Option<Message>> {
    let mut head = Vec::new();
    let mut lines = Vec::new();
    loop {
        let mut line = Vec::new();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 {
            if head.is_empty() {
                return Ok(None);
            }
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        head.extend_from_slice(&line);
        if head.len() > 64 * 1024 {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "head too long"));
        }
        let text = String::from_utf8_lossy(&line)
            .trim_end_matches(['\r', '\n'])
            .to_owned();
        if text.is_empty() {
            if lines.is_empty() {
                // Stray CRLF between messages.
                head.clear();
                continue;
            }
            break;
        }
        lines.push(text);
    }
    let start = lines.remove(0);
    let headers = lines
        .into_iter()
        .filter_map(|l| {
            l.split_once(':')
                .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        })
        .collect();
    Ok(Some(Message {
        start,
        headers,
        head,
        body: Vec::new(),
    }))
}

/// Reads the body `message` announces into `message.body`, raw. `to_eof`: a response
/// without length reads until the connection closes.
fn read_body(reader: &mut impl BufRead, message: &mut Message, to_eof: bool) -> io::Result<()> {
    if message.has_token("transfer-encoding", "chunked") {
        loop {
            let mut size_line = Vec::new();
            if reader.read_until(b'\n', &mut size_line)? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            message.body.extend_from_slice(&size_line);
            let text = String::from_utf8_lossy(&size_line);
            let hex = text.trim().split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(hex, 16)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
            if size == 0 {
                // Trailers, up to the blank line.
                loop {
                    let mut line = Vec::new();
                    if reader.read_until(b'\n', &mut line)? == 0 {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                    message.body.extend_from_slice(&line);
                    if line == b"\r\n" || line == b"\n" {
                        return Ok(());
                    }
                }
            }
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            message.body.extend_from_slice(&chunk);
        }
    } else if let Some(length) = message.header("content-length") {
        let length: usize = length
            .parse()
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad content-length"))?;
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        message.body = body;
        Ok(())
    } else if to_eof {
        reader.read_to_end(&mut message.body).map(|_| ())
    } else {
        Ok(())
    }
}

/// Serves one client connection, request after request, until it closes.
fn serve(client: TcpStream, shared: &Shared) -> io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut client = client;
    let mut upstream: Option<Upstream> = None;
    loop {
        if shared.stopped.load(Ordering::SeqCst) {
            return Ok(());
        }
        let Some(mut request) = read_head(&mut reader)? else {
            return Ok(());
        };
        if request.has_token("expect", "100-continue") {
            client.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        }
        read_body(&mut reader, &mut request, false)?;
        if shared.stopped.load(Ordering::SeqCst) {
            return Ok(());
        }
        shared.requests.fetch_add(1, Ordering::Relaxed);
        let attempt = attempt(&request);
        if attempt > 1 {
            shared.retries.fetch_add(1, Ordering::Relaxed);
        }
        let call = Call::of(&request);
        let fault = draw(shared, attempt).map(|fault| match fault {
            Fault::ResetAfter if !call.read => Fault::ResetBefore,
            other => other,
        });
        let (delay, limit) = {
            let faults = lock(&shared.faults);
            (faults.delay, faults.max_concurrent)
        };
        let forwarding = Forwarding::enter(shared);
        let fault = match (fault, limit) {
            (None, Some(limit)) if forwarding.now > limit as u64 => Some(Fault::Throttle),
            (fault, _) => fault,
        };
        if let Some(fault) = fault {
            shared.injected[fault.index()].fetch_add(1, Ordering::Relaxed);
        }
        match fault {
            Some(Fault::ResetBefore) => {
                let _ = client.shutdown(Shutdown::Both);
                return Ok(());
            }
            Some(kind @ (Fault::Throttle | Fault::Http500 | Fault::Http503)) => {
                client.write_all(&call.error_answer(kind))?;
                continue;
            }
            Some(Fault::Slow) => thread::sleep(delay),
            Some(Fault::ResetAfter) | None => {}
        }
        if shared.stopped.load(Ordering::SeqCst) {
            let _ = client.shutdown(Shutdown::Both);
            return Ok(());
        }
        let response = match forward(shared, &mut upstream, &request, call.head) {
            Ok(answer) => answer,
            Err(_) => {
                // The emulator is gone: the client sees its connection closed.
                let _ = client.shutdown(Shutdown::Both);
                return Ok(());
            }
        };
        if fault == Some(Fault::ResetAfter) {
            let _ = client.shutdown(Shutdown::Both);
            return Ok(());
        }
        client.write_all(&response)?;
        if request.has_token("connection", "close") || shared.stopped.load(Ordering::SeqCst) {
            let _ = client.shutdown(Shutdown::Both);
            return Ok(());
        }
    }
}

/// One request counted as being forwarded until dropped.
struct Forwarding<'a> {
    shared: &'a Shared,
    /// How many are being forwarded, this one included.
    now: u64,
}

impl<'a> Forwarding<'a> {
    fn enter(shared: &'a Shared) -> Self {
        let now = shared.forwarding.fetch_add(1, Ordering::SeqCst) + 1;
        Forwarding { shared, now }
    }
}

impl Drop for Forwarding<'_> {
    fn drop(&mut self) {
        self.shared.forwarding.fetch_sub(1, Ordering::SeqCst);
    }
}

struct Upstream {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
}

/// Sends `request` upstream (on the kept connection, or a new one if it was closed
/// meanwhile) and reads the whole answer, as the client is to get it.
fn forward(
    shared: &Shared,
    upstream: &mut Option<Upstream>,
    request: &Message,
    head_request: bool,
) -> io::Result<Vec<u8>> {
    let bytes = request.bytes();
    for fresh in [false, true] {
        if fresh || upstream.is_none() {
            let stream = TcpStream::connect(&shared.upstream)?;
            stream.set_read_timeout(Some(Duration::from_secs(300)))?;
            *upstream = Some(Upstream {
                writer: stream.try_clone()?,
                reader: BufReader::new(stream),
            });
        }
        let Some(conn) = upstream.as_mut() else {
            unreachable!("connected above")
        };
        let reused = !fresh;
        if let Err(e) = conn.writer.write_all(&bytes) {
            *upstream = None;
            if reused {
                continue;
            }
            return Err(e);
        }
        let mut response = match read_head(&mut conn.reader) {
            Ok(Some(head)) => head,
            // A kept connection the emulator had closed: nothing was read, so the
            // request was not served; send it again on a new connection.
            Ok(None) if reused => {
                *upstream = None;
                continue;
            }
            Ok(None) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Err(e) => {
                *upstream = None;
                return Err(e);
            }
        };
        // 1xx answers precede the real one.
        while response.start.split_whitespace().nth(1) == Some("100") {
            match read_head(&mut conn.reader)? {
                Some(next) => response = next,
                None => return Err(io::ErrorKind::UnexpectedEof.into()),
            }
        }
        let status: u16 = response
            .start
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let no_body = head_request || status == 204 || status == 304;
        let framed = response.has_token("transfer-encoding", "chunked")
            || response.header("content-length").is_some();
        if !no_body {
            read_body(&mut conn.reader, &mut response, true)?;
        }
        shared.forwarded.fetch_add(1, Ordering::Relaxed);
        let upstream_keeps = (no_body || framed)
            && !response.has_token("connection", "close")
            && !response.start.starts_with("HTTP/1.0");
        if !upstream_keeps {
            *upstream = None;
        }
        return Ok(for_client(&response, no_body || framed));
    }
    Err(io::ErrorKind::ConnectionAborted.into())
}

/// The answer as the client gets it: `Connection` is a hop-by-hop header (the emulator
/// closes its connection after every answer; the client's stays open), and an answer
/// the emulator delimited by closing gets a `Content-Length`.
fn for_client(response: &Message, framed: bool) -> Vec<u8> {
    let mut head = format!("{}\r\n", response.start);
    for (name, value) in &response.headers {
        if name.eq_ignore_ascii_case("connection") || name.eq_ignore_ascii_case("keep-alive") {
            continue;
        }
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !framed {
        head.push_str(&format!("Content-Length: {}\r\n", response.body.len()));
    }
    head.push_str("\r\n");
    let mut all = head.into_bytes();
    all.extend_from_slice(&response.body);
    all
}

/// The SDK's attempt number (`amz-sdk-request: attempt=2; max=8`); 1 when absent.
fn attempt(request: &Message) -> u32 {
    request
        .header("amz-sdk-request")
        .and_then(|v| {
            v.split(';')
                .find_map(|p| p.trim().strip_prefix("attempt="))
                .and_then(|n| n.trim().parse().ok())
        })
        .unwrap_or(1)
}

/// Faults are placed in blocks of this many requests; rates are rounded to
/// multiples of 1/BLOCK.
pub const BLOCK: u64 = 20;

/// The fault for the request now arriving, if any.
fn draw(shared: &Shared, attempt: u32) -> Option<Fault> {
    let faults = lock(&shared.faults).clone();
    if faults.kinds.is_empty() || faults.rate <= 0.0 {
        return None;
    }
    if faults.up_to_attempt.is_some_and(|max| attempt > max) {
        return None;
    }
    let n = shared.drawn.fetch_add(1, Ordering::Relaxed);
    let per_block = (faults.rate.min(1.0) * BLOCK as f64).round() as u64;
    // This block's faulted positions: the first `per_block` of a seeded shuffle.
    let block = n / BLOCK;
    let mut order: Vec<u64> = (0..BLOCK).collect();
    let mut state = splitmix(faults.seed ^ splitmix(block));
    for i in (1..order.len()).rev() {
        state = splitmix(state);
        order.swap(i, (state % (i as u64 + 1)) as usize);
    }
    if !order[..per_block as usize].contains(&(n % BLOCK)) {
        return None;
    }
    let pick = splitmix(faults.seed ^ splitmix(n ^ 0x5eed)) % faults.kinds.len() as u64;
    faults.kinds.get(pick as usize).copied()
}

fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The wire protocol an AWS service speaks, which decides the shape of its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// EC2: `<Response><Errors><Error>`.
    Ec2,
    /// S3: a bare `<Error>`.
    S3,
    /// The query services (RDS, IAM, STS, SNS) and REST-XML ones (CloudFront, Route 53):
    /// `<ErrorResponse><Error>`.
    XmlWrapped,
    /// JSON services (SSM, DynamoDB, ...): `{"__type": ...}`.
    Json,
}

/// What the proxy knows of one call.
struct Call {
    protocol: Protocol,
    /// Only reads: `Describe*`, `Get*`, `List*`, `Head*` actions, REST `GET` / `HEAD`.
    read: bool,
    /// A `HEAD` request: its answer has no body.
    head: bool,
}

impl Call {
    fn of(request: &Message) -> Call {
        let method = request.start.split_whitespace().next().unwrap_or("");
        let target = request.start.split_whitespace().nth(1).unwrap_or("");
        // The SigV4 credential scope names the service: Credential=AK/DATE/REGION/SERVICE/aws4_request.
        let service = request
            .header("authorization")
            .and_then(|a| a.split("Credential=").nth(1))
            .and_then(|c| c.split('/').nth(3))
            .unwrap_or("")
            .to_ascii_lowercase();
        let json_target = request.header("x-amz-target");
        let protocol = match service.as_str() {
            "ec2" => Protocol::Ec2,
            "s3" => Protocol::S3,
            _ if json_target.is_some() => Protocol::Json,
            _ if request
                .header("content-type")
                .is_some_and(|c| c.contains("json")) =>
            {
                Protocol::Json
            }
            _ => Protocol::XmlWrapped,
        };
        // The operation of query and JSON protocols: `Action=` in the form body or the
        // query string, or the part of `X-Amz-Target` after the dot.
        let action = json_target
            .and_then(|t| t.rsplit('.').next().map(str::to_owned))
            .or_else(|| {
                let body = String::from_utf8_lossy(&request.body);
                let query = target.split_once('?').map_or("", |(_, q)| q);
                body.split('&')
                    .chain(query.split('&'))
                    .find_map(|p| p.strip_prefix("Action=").map(str::to_owned))
            });
        let read = match action {
            Some(action) => ["Describe", "Get", "List", "Head"]
                .iter()
                .any(|p| action.starts_with(p)),
            None => method == "GET" || method == "HEAD",
        };
        Call {
            protocol,
            read,
            head: method == "HEAD",
        }
    }

    /// The whole HTTP answer for an injected error of `kind`.
    fn error_answer(&self, kind: Fault) -> Vec<u8> {
        let (status, reason, code, message) = match (kind, self.protocol) {
            (Fault::Throttle, Protocol::S3) => (
                503,
                "Slow Down",
                "SlowDown",
                "Please reduce your request rate.",
            ),
            (Fault::Throttle, Protocol::Ec2) => (
                400,
                "Bad Request",
                "RequestLimitExceeded",
                "Request limit exceeded.",
            ),
            (Fault::Throttle, Protocol::Json) => {
                (400, "Bad Request", "ThrottlingException", "Rate exceeded")
            }
            (Fault::Throttle, Protocol::XmlWrapped) => {
                (400, "Bad Request", "Throttling", "Rate exceeded")
            }
            (Fault::Http500, _) => (
                500,
                "Internal Server Error",
                "InternalError",
                "We encountered an internal error. Please try again.",
            ),
            (_, Protocol::Ec2) => (
                503,
                "Service Unavailable",
                "Unavailable",
                "The server is overloaded or is not accepting requests.",
            ),
            _ => (
                503,
                "Service Unavailable",
                "ServiceUnavailable",
                "Service is unable to handle request.",
            ),
        };
        let request_id = "fa017000-0000-4000-8000-000000000000";
        let (content_type, body) = match self.protocol {
            Protocol::Ec2 => (
                "text/xml;charset=UTF-8",
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
                ),
            ),
            Protocol::S3 => (
                "application/xml",
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>{request_id}</RequestId></Error>"
                ),
            ),
            Protocol::XmlWrapped => (
                "text/xml",
                format!(
                    "<ErrorResponse><Error><Type>{}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
                    if status < 500 { "Sender" } else { "Receiver" }
                ),
            ),
            Protocol::Json => (
                "application/x-amz-json-1.1",
                format!("{{\"__type\":\"{code}\",\"message\":\"{message}\"}}"),
            ),
        };
        let body = if self.head { String::new() } else { body };
        let mut answer = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nx-amzn-RequestId: {request_id}\r\nx-amz-request-id: {request_id}\r\n",
            body.len()
        );
        if self.protocol == Protocol::Json {
            answer.push_str(&format!("x-amzn-ErrorType: {code}\r\n"));
        }
        answer.push_str("\r\n");
        answer.push_str(&body);
        answer.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(text: &str) -> Message {
        let mut reader = BufReader::new(text.as_bytes());
        let mut message = read_head(&mut reader).unwrap().unwrap();
        read_body(&mut reader, &mut message, false).unwrap();
        message
    }

    #[test]
    fn reads_and_writes_are_told_apart() {
        let auth = |service: &str| {
            format!(
                "Authorization: AWS4-HMAC-SHA256 Credential=AK/20250101/eu-west-3/{service}/aws4_request, SignedHeaders=host, Signature=0\r\n"
            )
        };
        let body = "Action=DescribeVpcs&Version=2016-11-15";
        let call = Call::of(&request(&format!(
            "POST / HTTP/1.1\r\n{}Content-Length: {}\r\n\r\n{body}",
            auth("ec2"),
            body.len()
        )));
        assert_eq!(call.protocol, Protocol::Ec2);
        assert!(call.read);
        let body = "Action=CreateVpc&CidrBlock=10.0.0.0%2F16";
        let call = Call::of(&request(&format!(
            "POST / HTTP/1.1\r\n{}Content-Length: {}\r\n\r\n{body}",
            auth("ec2"),
            body.len()
        )));
        assert!(!call.read);
        let call = Call::of(&request(&format!(
            "PUT /bucket/key HTTP/1.1\r\n{}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            auth("s3")
        )));
        assert_eq!(call.protocol, Protocol::S3);
        assert!(!call.read);
        let call = Call::of(&request(&format!(
            "HEAD /bucket HTTP/1.1\r\n{}\r\n",
            auth("s3")
        )));
        assert!(call.read && call.head);
        let call = Call::of(&request(&format!(
            "POST / HTTP/1.1\r\n{}X-Amz-Target: AmazonSSM.GetParameter\r\nContent-Length: 2\r\n\r\n{{}}",
            auth("ssm")
        )));
        assert_eq!(call.protocol, Protocol::Json);
        assert!(call.read);
        let call = Call::of(&request(&format!(
            "POST /2020-05-31/distribution HTTP/1.1\r\n{}Content-Length: 0\r\n\r\n",
            auth("cloudfront")
        )));
        assert_eq!(call.protocol, Protocol::XmlWrapped);
        assert!(!call.read);
    }

    #[test]
    fn chunked_bodies_are_kept_raw() {
        let message = request(
            "PUT /b/k HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nx-amz-checksum-crc32: AAAA\r\n\r\nNEXT",
        );
        assert_eq!(
            message.body,
            b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nx-amz-checksum-crc32: AAAA\r\n\r\n"
        );
    }

    #[test]
    fn the_draw_is_reproducible_and_keeps_the_rate() {
        let shared = |seed| Shared {
            upstream: String::new(),
            faults: Mutex::new(Faults::all(0.2, seed)),
            drawn: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            forwarded: AtomicU64::new(0),
            injected: Default::default(),
            forwarding: AtomicU64::new(0),
            stopped: AtomicBool::new(false),
            clients: Mutex::new(HashMap::new()),
            next_client: AtomicU64::new(0),
        };
        let run = |seed| {
            let s = shared(seed);
            (0..2000).map(|_| draw(&s, 1)).collect::<Vec<_>>()
        };
        let first = run(7);
        assert_eq!(first, run(7), "same seed, same faults");
        assert_ne!(first, run(8), "another seed, other faults");
        for (i, block) in first.chunks(BLOCK as usize).enumerate() {
            let faulted = block.iter().filter(|f| f.is_some()).count();
            assert_eq!(faulted, 4, "block {i}: {block:?}");
        }
        assert!(
            first.windows(2).any(|w| w[0].is_some() && w[1].is_some()),
            "consecutive faults happen"
        );
        for kind in Fault::ALL {
            assert!(first.contains(&Some(kind)), "{kind:?} never drawn");
        }
        // Only first attempts are eligible when asked; they do not use up positions.
        let s = shared(7);
        *s.faults.lock().unwrap() = Faults {
            up_to_attempt: Some(1),
            ..Faults::all(1.0, 7)
        };
        assert!(draw(&s, 2).is_none());
        assert!(draw(&s, 1).is_some());
    }
}
