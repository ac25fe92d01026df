//! Test support shared by strata's test binaries: the local AWS emulator.
//!
//! `snapshot` runs fixture folders against expected output files; `faults` is an HTTP
//! proxy that injects throttling, server errors, dropped connections and delays between
//! strata and the emulator.
//!
//! `emulator()` starts one moto server per test binary, on a free loopback port, the
//! first time a test asks for it (`own_emulator()` starts one for the caller alone),
//! waits until it answers HTTP, and makes sure it stops when the test binary ends (a
//! watchdog process kills it once the test process is gone, since statics are never
//! dropped). A test that needs the emulator and cannot start it fails with a message
//! naming `make test`, which installs it.
//! Invariant: the emulator only ever listens on 127.0.0.1.

pub mod faults;
pub mod snapshot;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The moto version the project pins (also in the Makefile).
pub const MOTO_VERSION: &str = "5.2.5";

pub struct Emulator {
    pub endpoint: String,
    pub port: u16,
    child: Child,
}

impl Emulator {
    /// Wipes all emulator state (`POST /moto-api/reset`), for tests sharing one server.
    pub fn reset(&self) -> Result<(), String> {
        let (status, _) = http(self.port, "POST", "/moto-api/reset", "")?;
        if status == 200 {
            Ok(())
        } else {
            Err(format!("resetting the emulator answered HTTP {status}"))
        }
    }

    /// A raw HTTP request to the emulator: (status, body).
    pub fn request(&self, method: &str, path: &str, body: &str) -> Result<(u16, String), String> {
        http(self.port, method, path, body)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The workspace's own emulator install, made by `make test` / `make emulator`.
pub fn default_server_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.emulator/venv/bin/moto_server")
}

/// The shared emulator of this test binary; panics with instructions if it cannot start.
pub fn emulator() -> &'static Emulator {
    static EMULATOR: OnceLock<Emulator> = OnceLock::new();
    EMULATOR.get_or_init(own_emulator)
}

/// An emulator of the calling test's own, stopped when dropped: for a test that resets
/// it or counts everything it holds while other tests of the binary run alongside (as
/// they do under `cargo test`). Panics with instructions if it cannot start.
pub fn own_emulator() -> Emulator {
    let path = std::env::var_os("STRATA_MOTO_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(default_server_path);
    match start(&path) {
        Ok(emulator) => emulator,
        Err(message) => panic!("{message}"),
    }
}

/// Starts a moto server from `server` (the `moto_server` executable).
pub fn start(server: &Path) -> Result<Emulator, String> {
    if !server.exists() {
        return Err(format!(
            "the AWS emulator is not installed: {} does not exist.\n\
             Run `make test` (it installs moto[server]=={MOTO_VERSION} in .emulator/venv and runs every test), \
             or `make emulator` to install it only; STRATA_MOTO_SERVER may point at another moto_server.",
            server.display()
        ));
    }
    let port = free_port()?;
    let child = Command::new(server)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        .env("MOTO_ACM_VALIDATION_WAIT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            format!(
                "cannot start the AWS emulator {}: {e}; run `make test` to (re)install it",
                server.display()
            )
        })?;
    watch(child.id());
    let mut emulator = Emulator {
        endpoint: format!("http://127.0.0.1:{port}"),
        port,
        child,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok((200, _)) = http(port, "GET", "/moto-api/data.json", "") {
            return Ok(emulator);
        }
        if let Ok(Some(status)) = emulator.child.try_wait() {
            return Err(format!(
                "the AWS emulator exited at start ({status}); run `make test` to reinstall it"
            ));
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the AWS emulator did not answer on port {port} within 30 s; run `make test` to reinstall it"
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Kills the emulator once this test process is gone, even if it is killed.
fn watch(child: u32) {
    let me = std::process::id();
    let script =
        format!("while kill -0 {me} 2>/dev/null; do sleep 1; done; kill {child} 2>/dev/null");
    let _ = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| format!("cannot find a free loopback port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("cannot find a free loopback port: {e}"))
}

fn http(port: u16, method: &str, path: &str, body: &str) -> Result<(u16, String), String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|e| e.to_string())?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an HTTP answer: {:.80}", response))?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}
