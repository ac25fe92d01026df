//! The fault proxy itself, with raw HTTP against the emulator: it forwards keep-alive
//! connections and chunked bodies unchanged, answers injected errors in the service's
//! shape, never forwards a mutating request it drops, and refuses connections once
//! stopped. (That the AWS SDK retries each injected fault is checked in
//! providers/tests/retries.rs; the SDK is not a dependency here.)

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use strata_testkit::faults::{Fault, FaultProxy, Faults};

const AUTH: &str = "Authorization: AWS4-HMAC-SHA256 Credential=testkit/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0\r\n";

struct Client {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Client {
    fn connect(port: u16) -> Client {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("the proxy accepts");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        Client {
            writer: stream.try_clone().unwrap(),
            reader: BufReader::new(stream),
        }
    }

    /// Sends `request` (a whole HTTP request) and reads the answer: Some((status,
    /// body)), or None when the connection was closed without an answer.
    fn send(&mut self, request: &str, head: bool) -> Option<(u16, String)> {
        self.writer.write_all(request.as_bytes()).ok()?;
        let mut status_line = String::new();
        if self.reader.read_line(&mut status_line).ok()? == 0 {
            return None;
        }
        let status = status_line.split_whitespace().nth(1)?.parse().ok()?;
        let mut length = 0;
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).ok()?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; if head { 0 } else { length }];
        self.reader.read_exact(&mut body).ok()?;
        Some((status, String::from_utf8_lossy(&body).into_owned()))
    }
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{AUTH}\r\n")
}

#[test]
fn keep_alive_and_chunked_bodies_pass_through_unchanged() {
    let emulator = strata_testkit::emulator();
    let proxy = FaultProxy::start(&emulator.endpoint, Faults::none()).unwrap();
    let mut client = Client::connect(proxy.port());
    let (status, _) = client
        .send(
            &format!(
                "PUT /testkit-proxy-chunked HTTP/1.1\r\nHost: 127.0.0.1\r\n{AUTH}Content-Length: 0\r\n\r\n"
            ),
            false,
        )
        .expect("create bucket answered");
    assert_eq!(status, 200);
    // Same connection: a chunked PUT, then reads of what it stored.
    let (status, _) = client
        .send(
            &format!(
                "PUT /testkit-proxy-chunked/k HTTP/1.1\r\nHost: 127.0.0.1\r\n{AUTH}Transfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n"
            ),
            false,
        )
        .expect("put object answered");
    assert_eq!(status, 200);
    let (status, body) = client
        .send(&get("/testkit-proxy-chunked/k"), false)
        .expect("get object answered");
    assert_eq!((status, body.as_str()), (200, "hello world"));
    let (status, _) = client
        .send(
            &format!("HEAD /testkit-proxy-chunked/k HTTP/1.1\r\nHost: 127.0.0.1\r\n{AUTH}\r\n"),
            true,
        )
        .expect("head object answered");
    assert_eq!(status, 200);
    let (status, body) = client
        .send(&get("/testkit-proxy-chunked"), false)
        .expect("list objects answered");
    assert_eq!(status, 200);
    assert!(body.contains("<Key>k</Key>"), "{body}");
    let counts = proxy.counts();
    assert_eq!(
        (counts.requests, counts.forwarded, counts.faults()),
        (5, 5, 0),
        "{counts}"
    );
}

#[test]
fn injected_errors_have_the_service_shape_and_are_counted() {
    let emulator = strata_testkit::emulator();
    let proxy =
        FaultProxy::start(&emulator.endpoint, Faults::only(Fault::Throttle, 1.0, 1)).unwrap();
    let mut client = Client::connect(proxy.port());
    let (status, body) = client.send(&get("/"), false).expect("an answer");
    assert_eq!(status, 503);
    assert!(body.contains("<Error><Code>SlowDown</Code>"), "{body}");
    // The connection stays usable after an injected error.
    proxy.set_faults(Faults::only(Fault::Http500, 1.0, 1));
    let (status, body) = client.send(&get("/"), false).expect("an answer");
    assert_eq!(status, 500);
    assert!(body.contains("<Code>InternalError</Code>"), "{body}");
    proxy.set_faults(Faults::none());
    let (status, _) = client.send(&get("/"), false).expect("an answer");
    assert_eq!(status, 200);
    let counts = proxy.counts();
    assert_eq!(counts.requests, 3, "{counts}");
    assert_eq!(counts.of(Fault::Throttle), 1, "{counts}");
    assert_eq!(counts.of(Fault::Http500), 1, "{counts}");
    assert_eq!(counts.forwarded, 1, "{counts}");
}

#[test]
fn a_mutating_request_is_never_dropped_after_the_emulator_acted() {
    let emulator = strata_testkit::emulator();
    // Every request drawn for a reset after forwarding: a read is forwarded and its
    // answer dropped; a write is dropped before it reaches the emulator.
    let proxy =
        FaultProxy::start(&emulator.endpoint, Faults::only(Fault::ResetAfter, 1.0, 3)).unwrap();
    let mut client = Client::connect(proxy.port());
    let create = format!(
        "PUT /testkit-proxy-never-made HTTP/1.1\r\nHost: 127.0.0.1\r\n{AUTH}Content-Length: 0\r\n\r\n"
    );
    assert_eq!(client.send(&create, false), None, "no answer to the create");
    let mut client = Client::connect(proxy.port());
    assert_eq!(client.send(&get("/"), false), None, "no answer to the read");
    let counts = proxy.counts();
    assert_eq!(counts.of(Fault::ResetBefore), 1, "{counts}");
    assert_eq!(counts.of(Fault::ResetAfter), 1, "{counts}");
    assert_eq!(counts.forwarded, 1, "only the read was forwarded: {counts}");
    let (status, _) = emulator
        .request("HEAD", "/testkit-proxy-never-made", "")
        .unwrap();
    assert_eq!(status, 404, "the dropped create never reached the emulator");
}

#[test]
fn a_stopped_proxy_refuses_connections_and_closes_open_ones() {
    let emulator = strata_testkit::emulator();
    let proxy = FaultProxy::start(&emulator.endpoint, Faults::none()).unwrap();
    let mut open = Client::connect(proxy.port());
    assert_eq!(open.send(&get("/"), false).map(|a| a.0), Some(200));
    proxy.stop();
    assert_eq!(
        open.send(&get("/"), false),
        None,
        "the open connection is closed"
    );
    let refused = TcpStream::connect(("127.0.0.1", proxy.port()));
    assert_eq!(
        refused.err().map(|e| e.kind()),
        Some(std::io::ErrorKind::ConnectionRefused)
    );
}
