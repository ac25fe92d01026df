//! The lock that keeps two runs from changing one state at the same time.
//!
//! A lock is a file next to the state (`<state path>.lock`), created with `O_EXCL`
//! (`create_new`) and mode 0600, holding JSON that names its holder: a random id, the
//! pid, host, user, the command being run and when it started (RFC 3339, UTC).
//!
//! Invariants:
//! - Taking a lock never waits and never takes over an existing lock: if the file exists
//!   the caller is told at once who holds it, and whether the holder looks gone (same host
//!   and the pid no longer runs).
//! - Strata only ever removes a lock whose id it was given: the guard removes its own lock
//!   on drop and `force_unlock` needs the holder's id. A lock file that cannot be read is
//!   reported, never deleted.

use std::fs::{self, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::error::{Locked, Result, StateError};

/// What a lock file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// A random UUID; `strata force-unlock ID` needs it.
    pub id: String,
    pub pid: u32,
    pub host: String,
    pub user: String,
    /// The command that took the lock, e.g. `apply`.
    pub command: String,
    /// When the lock was taken, RFC 3339 in UTC (`2025-11-23T18:39:00Z`).
    pub created: String,
}

/// Whether the holder of a lock still runs, as far as this host can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// Same host, and the pid is running (it may, rarely, be another process that
    /// reused the pid).
    Running,
    /// Same host, and no process has that pid: the lock is stale.
    Gone,
    /// Another host (or the pid cannot be checked).
    Unknown,
}

impl LockInfo {
    /// A lock for this process, now.
    fn current(command: &str) -> Self {
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            pid: std::process::id(),
            host: current_host().unwrap_or_else(|| "unknown-host".into()),
            user: current_user(),
            command: command.to_owned(),
            created: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        }
    }

    /// `user@host`.
    pub fn holder(&self) -> String {
        format!("{}@{}", self.user, self.host)
    }

    /// `created` as a time, when it parses.
    pub fn created_at(&self) -> Option<SystemTime> {
        humantime::parse_rfc3339_weak(&self.created).ok()
    }

    /// How long ago the lock was taken (None when `created` does not parse or lies in
    /// the future of this host's clock).
    pub fn age(&self) -> Option<Duration> {
        SystemTime::now().duration_since(self.created_at()?).ok()
    }

    /// Whether the holder still runs; see [`Liveness`].
    pub fn liveness(&self) -> Liveness {
        if current_host().as_deref() != Some(self.host.as_str()) {
            return Liveness::Unknown;
        }
        match pid_alive(self.pid) {
            Some(true) => Liveness::Running,
            Some(false) => Liveness::Gone,
            None => Liveness::Unknown,
        }
    }
}

/// A held lock. Dropping it removes the lock file if it still holds this lock's id;
/// [`LockGuard::release`] does the same and reports what went wrong.
#[derive(Debug)]
pub struct LockGuard {
    path: PathBuf,
    info: LockInfo,
    released: bool,
}

impl LockGuard {
    pub fn id(&self) -> &str {
        &self.info.id
    }

    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Remove the lock now. Fails with `state::lock_lost` if the lock file no longer
    /// holds this lock (someone forced it and perhaps locked again: that lock is kept).
    pub fn release(mut self) -> Result<()> {
        self.release_once()
    }

    fn release_once(&mut self) -> Result<()> {
        if self.released {
            return Ok(());
        }
        self.released = true;
        match read(&self.path)? {
            Some(current) if current.id == self.info.id => fs::remove_file(&self.path)
                .map_err(|e| StateError::io("remove the lock file", &self.path, e)),
            _ => Err(StateError::LockLost {
                path: self.path.clone(),
                id: self.info.id.clone(),
            }),
        }
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // Nothing useful can be done with an error here; `release` reports it.
        let _ = self.release_once();
    }
}

/// Who asks for a lock: the state it protects and where the user named it from.
pub(crate) struct Request<'a> {
    pub state_path: &'a Path,
    pub environment: &'a str,
    pub spec_dir: Option<&'a Path>,
    /// The command taking the lock, e.g. `apply`.
    pub command: &'a str,
}

/// Take the lock at `lock_path` for `request`.
pub(crate) fn acquire(lock_path: &Path, request: &Request<'_>) -> Result<LockGuard> {
    let Request {
        state_path,
        command,
        ..
    } = *request;
    crate::local::create_parent_dir(lock_path)?;
    let info = LockInfo::current(command);
    // A holder may release between our failed create and our read: try again then.
    for _ in 0..10 {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(lock_path);
        match file {
            Ok(file) => {
                if let Err(e) = write_lock(file, &info) {
                    let _ = fs::remove_file(lock_path);
                    return Err(StateError::io("write the lock file", lock_path, e));
                }
                return Ok(LockGuard {
                    path: lock_path.to_owned(),
                    info,
                    released: false,
                });
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if let Some(holder) = read(lock_path)? {
                    let age = holder.age();
                    let liveness = holder.liveness();
                    return Err(StateError::Locked(Box::new(Locked {
                        state_path: state_path.to_owned(),
                        lock_path: lock_path.to_owned(),
                        holder,
                        age,
                        liveness,
                        environment: request.environment.to_owned(),
                        spec_dir: request.spec_dir.map(Path::to_owned),
                    })));
                }
            }
            Err(e) => return Err(StateError::io("create the lock file", lock_path, e)),
        }
    }
    Err(StateError::io(
        "take the lock, which kept being taken and released by other runs,",
        lock_path,
        io::ErrorKind::WouldBlock.into(),
    ))
}

fn write_lock(file: fs::File, info: &LockInfo) -> io::Result<()> {
    let mut w = BufWriter::new(file);
    serde_json::to_writer_pretty(&mut w, info)?;
    w.write_all(b"\n")?;
    w.into_inner()
        .map_err(io::IntoInnerError::into_error)?
        .sync_all()
}

/// The current lock, if any.
pub(crate) fn read(lock_path: &Path) -> Result<Option<LockInfo>> {
    let mut retries = 0;
    loop {
        let bytes = match fs::read(lock_path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StateError::io("read the lock file", lock_path, e)),
        };
        match serde_json::from_slice::<LockInfo>(&bytes) {
            Ok(info) => return Ok(Some(info)),
            // A lock being written by its holder reads empty or cut short for a moment.
            Err(e) if (bytes.is_empty() || e.is_eof()) && retries < 20 => {
                retries += 1;
                std::thread::sleep(Duration::from_millis(25));
            }
            Err(e) => {
                let reason = if bytes.is_empty() {
                    "the file is empty".to_owned()
                } else {
                    e.to_string()
                };
                return Err(StateError::LockCorrupt {
                    path: lock_path.to_owned(),
                    reason,
                });
            }
        }
    }
}

/// Remove the lock if its id is `id`; returns who held it.
pub(crate) fn force_unlock(lock_path: &Path, id: &str) -> Result<LockInfo> {
    let Some(current) = read(lock_path)? else {
        return Err(StateError::NotLocked {
            path: lock_path.to_owned(),
        });
    };
    if current.id != id.trim() {
        return Err(StateError::LockMismatch {
            path: lock_path.to_owned(),
            given: id.to_owned(),
            current: Box::new(current),
        });
    }
    match fs::remove_file(lock_path) {
        Ok(()) => Ok(current),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(current),
        Err(e) => Err(StateError::io("remove the lock file", lock_path, e)),
    }
}

/// `1h 2m 3s`, to the second.
pub(crate) fn format_age(age: Duration) -> String {
    humantime::format_duration(Duration::from_secs(age.as_secs())).to_string()
}

fn current_host() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for `buf.len()` bytes; gethostname writes at most that.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8(buf[..end].to_vec())
        .ok()
        .filter(|h| !h.is_empty())
}

/// `$USER`, else `$LOGNAME`, else the name of the uid in the password database, else
/// `uid-N`.
fn current_user() -> String {
    if let Some(user) = ["USER", "LOGNAME"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|u| !u.is_empty()))
    {
        return user;
    }
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    user_name(uid).unwrap_or_else(|| format!("uid-{uid}"))
}

fn user_name(uid: libc::uid_t) -> Option<String> {
    // SAFETY: an all-zero passwd is a valid value to be overwritten.
    let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 4096];
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call, and `buf.len()` is its size.
    let rc = unsafe { libc::getpwuid_r(uid, &mut entry, buf.as_mut_ptr(), buf.len(), &mut found) };
    if rc != 0 || found.is_null() || entry.pw_name.is_null() {
        return None;
    }
    // SAFETY: on success pw_name points to a NUL-terminated string inside `buf`.
    let name = unsafe { std::ffi::CStr::from_ptr(entry.pw_name) };
    name.to_str()
        .ok()
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
}

/// Some(alive) for a pid this host can check; None for one it cannot (0, or beyond
/// `pid_t`: `kill(0, ...)` and negative pids address process groups).
fn pid_alive(pid: u32) -> Option<bool> {
    let pid = libc::pid_t::try_from(pid).ok().filter(|p| *p > 0)?;
    // SAFETY: signal 0 sends nothing; it only checks that the process exists.
    if unsafe { libc::kill(pid, 0) } == 0 {
        return Some(true);
    }
    match io::Error::last_os_error().raw_os_error() {
        Some(libc::ESRCH) => Some(false),
        // It exists but belongs to someone else.
        Some(libc::EPERM) => Some(true),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_pid_is_alive_and_pid_zero_is_not_checked() {
        assert_eq!(pid_alive(std::process::id()), Some(true));
        assert_eq!(pid_alive(0), None);
        assert_eq!(pid_alive(u32::MAX), None);
    }

    #[test]
    fn current_lock_info_is_complete_and_fresh() {
        let info = LockInfo::current("apply");
        assert_eq!(info.pid, std::process::id());
        assert!(uuid::Uuid::parse_str(&info.id).is_ok());
        assert!(info.created.ends_with('Z'), "{}", info.created);
        assert!(info.age().unwrap() < Duration::from_secs(5));
        assert_eq!(info.liveness(), Liveness::Running);
    }

    #[test]
    fn ages_read_well() {
        assert_eq!(format_age(Duration::from_millis(3_723_400)), "1h 2m 3s");
        assert_eq!(format_age(Duration::from_millis(10)), "0s");
    }

    #[test]
    fn the_current_user_has_a_name() {
        // SAFETY: getuid cannot fail.
        let uid = unsafe { libc::getuid() };
        let name = user_name(uid).expect("the test user is in the password database");
        assert!(!name.is_empty());
        assert!(!current_user().is_empty());
    }

    #[test]
    fn other_host_is_unknown() {
        let mut info = LockInfo::current("apply");
        info.host = "some-other-host.invalid".into();
        assert_eq!(info.liveness(), Liveness::Unknown);
    }
}
