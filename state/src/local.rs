//! The local store: one environment's state in one JSON file on disk.
//!
//! Next to the state file `P` live `P.backup` (the version before the last write) and
//! `P.lock` (see `lock`). Temporary files are `.NAME.RANDOM.tmp` in the same directory;
//! those a killed run leaves behind are removed by the next run that takes the lock.
//!
//! Invariants:
//! - Loading never modifies anything; a file that is not a state of this environment in a
//!   format this strata reads is refused, with the reason.
//! - Writing replaces the file atomically: the new version is written to a temporary file
//!   created with mode 0600 in the same directory, flushed to disk, the previous version
//!   becomes the backup (also 0600), the temporary file is renamed over the state file and
//!   the directory is flushed. A process killed at any moment leaves the old or the new
//!   version in place, never a mix.
//! - Writing never overwrites a file that is not the state being written: the file on disk
//!   must be a state of the same environment and lineage whose serial is the one this state
//!   was read at (or written at). Each successful write increments the serial by one.
//! - The store remembers the identity (device, inode, size, mtime) of the file it last read
//!   or wrote, so a write re-reads the file only when something else changed it: writing
//!   after every resource operation stays cheap on large states.

use std::ffi::OsString;
use std::fs::{self, DirBuilder, File, Metadata, OpenOptions};
use std::io::{self, BufWriter, Read};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use crate::error::{Result, StateError};
use crate::format::{FORMAT_VERSION, State, StateFile};
use crate::lock::{self, LockGuard, LockInfo};

/// The state of one environment, kept in a local file.
#[derive(Debug)]
pub struct LocalStore {
    path: PathBuf,
    environment: String,
    /// The spec folder as the user named it, for messages (`strata force-unlock DIR`).
    spec_dir: Option<PathBuf>,
    /// What the file at `path` was when this store last read or wrote it.
    known: Mutex<Option<Known>>,
}

#[derive(Debug)]
struct Known {
    identity: Identity,
    lineage: String,
    serial: u64,
}

/// Enough of a file's metadata to tell that it was replaced or modified.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Identity {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: i64,
    mtime_nsec: i64,
}

impl Identity {
    fn of(meta: &Metadata) -> Self {
        Identity {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            mtime: meta.mtime(),
            mtime_nsec: meta.mtime_nsec(),
        }
    }
}

impl LocalStore {
    /// The store for `environment` whose state file is `path` (which need not exist yet).
    pub fn new(path: impl Into<PathBuf>, environment: impl Into<String>) -> Self {
        LocalStore {
            path: path.into(),
            environment: environment.into(),
            spec_dir: None,
            known: Mutex::new(None),
        }
    }

    /// Names the spec folder this store belongs to, as the user wrote it, so that a
    /// locked state's help gives the exact `strata force-unlock` command.
    pub fn with_spec_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.spec_dir = Some(dir.into());
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn environment(&self) -> &str {
        &self.environment
    }

    /// Where the previous version is kept: `<path>.backup`.
    pub fn backup_path(&self) -> PathBuf {
        with_suffix(&self.path, ".backup")
    }

    /// The lock file: `<path>.lock`.
    pub fn lock_path(&self) -> PathBuf {
        with_suffix(&self.path, ".lock")
    }

    /// The state, or None when there is no state file yet.
    pub fn load(&self) -> Result<Option<State>> {
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        let Some((state, identity)) = self.read_file()? else {
            *known = None;
            return Ok(None);
        };
        *known = Some(Known {
            identity,
            lineage: state.lineage.clone(),
            serial: state.serial,
        });
        Ok(Some(state))
    }

    /// Write `state` as the new version of the file, incrementing its serial (on success
    /// only). Refuses, leaving the file as it is, when the file holds anything but the
    /// version of this state that `state` was read at.
    pub fn write(&self, state: &mut State) -> Result<()> {
        if state.environment != self.environment {
            return Err(StateError::WrongEnvironment {
                path: self.path.clone(),
                found: state.environment.clone(),
                expected: self.environment.clone(),
            });
        }
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        let existing = self.check_target(&known, state)?;

        let previous = (
            state.serial,
            state.format_version,
            std::mem::replace(&mut state.strata_version, crate::STRATA_VERSION.to_owned()),
        );
        state.serial += 1;
        state.format_version = FORMAT_VERSION;
        match self.replace_file(state, existing.as_ref()) {
            Ok(identity) => {
                *known = Some(Known {
                    identity,
                    lineage: state.lineage.clone(),
                    serial: state.serial,
                });
                Ok(())
            }
            Err(e) => {
                (state.serial, state.format_version, state.strata_version) = previous;
                Err(e)
            }
        }
    }

    /// Take the lock for `command` (e.g. `"apply"`), or fail at once naming its holder.
    /// Holding the lock, it removes the temporary files a killed run may have left.
    pub fn lock(&self, command: &str) -> Result<LockGuard> {
        let guard = lock::acquire(
            &self.lock_path(),
            &lock::Request {
                state_path: &self.path,
                environment: &self.environment,
                spec_dir: self.spec_dir.as_deref(),
                command,
            },
        )?;
        self.remove_leftover_temp_files();
        Ok(guard)
    }

    /// Who holds the lock, if anyone.
    pub fn lock_holder(&self) -> Result<Option<LockInfo>> {
        lock::read(&self.lock_path())
    }

    /// Remove the lock whose id is `id` (`strata force-unlock ID`), returning who held it.
    /// Fails, removing nothing, when there is no lock or it has another id.
    pub fn force_unlock(&self, id: &str) -> Result<LockInfo> {
        lock::force_unlock(&self.lock_path(), id)
    }

    /// Read and decode the file; None when it does not exist.
    fn read_file(&self) -> Result<Option<(State, Identity)>> {
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StateError::io("open the state file", &self.path, e)),
        };
        let meta = file
            .metadata()
            .map_err(|e| StateError::io("inspect the state file", &self.path, e))?;
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        file.read_to_end(&mut bytes)
            .map_err(|e| StateError::io("read the state file", &self.path, e))?;
        let state = State::decode(&bytes, &self.path, &self.environment).map_err(|e| match e {
            StateError::Corrupt(mut c) => {
                let backup = self.backup_path();
                c.backup = backup.is_file().then_some(backup);
                StateError::Corrupt(c)
            }
            e => e,
        })?;
        Ok(Some((state, Identity::of(&meta))))
    }

    /// Check that the file at the path, if any, is the version `state` was read at.
    /// Returns its metadata when it exists.
    fn check_target(&self, known: &Option<Known>, state: &State) -> Result<Option<Metadata>> {
        let meta = match fs::metadata(&self.path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StateError::io("inspect the state file", &self.path, e)),
        };
        let (lineage, serial) = match known {
            Some(k) if k.identity == Identity::of(&meta) => (k.lineage.clone(), k.serial),
            _ => match self.read_file()? {
                Some((on_disk, _)) => (on_disk.lineage, on_disk.serial),
                // Removed since we looked: nothing to protect.
                None => return Ok(None),
            },
        };
        if lineage != state.lineage {
            return Err(StateError::LineageMismatch {
                path: self.path.clone(),
                found: lineage,
                expected: state.lineage.clone(),
            });
        }
        if serial != state.serial {
            return Err(StateError::Stale {
                path: self.path.clone(),
                found: serial,
                expected: state.serial,
            });
        }
        Ok(Some(meta))
    }

    /// The atomic replacement; returns the identity of the new file.
    fn replace_file(&self, state: &State, existing: Option<&Metadata>) -> Result<Identity> {
        create_parent_dir(&self.path)?;
        let tmp = self.temp_path("");
        let result = (|| {
            let file = create_private(&tmp)
                .map_err(|e| StateError::io("create the temporary state file", &tmp, e))?;
            let mut w = BufWriter::with_capacity(1 << 16, file);
            let written = state
                .encode(&mut w)
                .and_then(|()| w.into_inner().map_err(io::IntoInnerError::into_error));
            let file =
                written.map_err(|e| StateError::io("write the temporary state file", &tmp, e))?;
            file.sync_all()
                .map_err(|e| StateError::io("flush to disk the temporary state file", &tmp, e))?;
            let identity = Identity::of(
                &file
                    .metadata()
                    .map_err(|e| StateError::io("inspect the temporary state file", &tmp, e))?,
            );
            if let Some(meta) = existing {
                self.keep_backup(meta)?;
            }
            fs::rename(&tmp, &self.path)
                .map_err(|e| StateError::io("move the new version into place at", &self.path, e))?;
            let dir = parent_dir(&self.path);
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| StateError::io("flush to disk the state directory", dir, e))?;
            Ok(identity)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Make the current file the backup, atomically. A hard link when the file is private
    /// (no copy, and its data is already on disk); a fresh 0600 copy otherwise.
    fn keep_backup(&self, meta: &Metadata) -> Result<()> {
        let backup = self.backup_path();
        let tmp = self.temp_path(".backup");
        let private = meta.permissions().mode() & 0o077 == 0;
        let linked = private && fs::hard_link(&self.path, &tmp).is_ok();
        let result = (|| {
            if !linked {
                copy_private(&self.path, &tmp)
                    .map_err(|e| StateError::io("copy the state file to", &tmp, e))?;
            }
            fs::rename(&tmp, &backup).map_err(|e| StateError::io("replace the backup", &backup, e))
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Best effort: remove `.NAME.RANDOM.tmp` and `.NAME.backup.RANDOM.tmp` files (only
    /// ours: the random part must be 16 hex digits). Only called with the lock held, when
    /// no other well-behaved run can be writing one.
    fn remove_leftover_temp_files(&self) {
        let Some(name) = self.path.file_name().and_then(|n| n.to_str()) else {
            return;
        };
        let Ok(entries) = fs::read_dir(parent_dir(&self.path)) else {
            return;
        };
        let prefix = format!(".{name}.");
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            let Some(rest) = file_name.to_str().and_then(|f| f.strip_prefix(&prefix)) else {
                continue;
            };
            let random = rest.strip_prefix("backup.").unwrap_or(rest);
            let ours = random
                .strip_suffix(".tmp")
                .is_some_and(|r| r.len() == 16 && r.bytes().all(|b| b.is_ascii_hexdigit()));
            if ours {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    /// `.NAME<infix>.RANDOM.tmp` next to the state file.
    fn temp_path(&self, infix: &str) -> PathBuf {
        temp_path_beside(&self.path, infix)
    }
}

/// `.NAME<infix>.RANDOM.tmp` next to `path` (RANDOM: 16 hex digits).
pub(crate) fn temp_path_beside(path: &Path, infix: &str) -> PathBuf {
    let mut name = OsString::from(".");
    name.push(path.file_name().unwrap_or("state".as_ref()));
    name.push(format!("{infix}.{}.tmp", random_hex()));
    parent_dir(path).join(name)
}

/// Create the directory that holds `path` (mode 0700) when it is missing.
pub(crate) fn create_parent_dir(path: &Path) -> Result<()> {
    let dir = parent_dir(path);
    if dir.is_dir() {
        return Ok(());
    }
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| StateError::io("create the state directory", dir, e))
}

pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// A new file only this user can read, created with that mode (never chmod-ed after).
pub(crate) fn create_private(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

fn copy_private(from: &Path, to: &Path) -> io::Result<()> {
    let mut source = File::open(from)?;
    let mut target = create_private(to)?;
    io::copy(&mut source, &mut target)?;
    target.sync_all()
}

fn random_hex() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl strata_engine::state::StateSink for LocalStore {
    fn save(
        &self,
        state: &mut State,
    ) -> std::result::Result<(), Box<dyn miette::Diagnostic + Send + Sync>> {
        self.write(state).map_err(|e| Box::new(e) as _)
    }
}

impl strata_engine::workflow::StateStore for LocalStore {
    fn load_state(
        &self,
    ) -> std::result::Result<Option<State>, strata_engine::workflow::BoxedDiagnostic> {
        self.load().map_err(|e| Box::new(e) as _)
    }

    fn lock_state(
        &self,
        command: &str,
    ) -> std::result::Result<Box<dyn Send>, strata_engine::workflow::BoxedDiagnostic> {
        self.lock(command)
            .map(|guard| Box::new(guard) as Box<dyn Send>)
            .map_err(|e| Box::new(e) as _)
    }

    fn environment(&self) -> &str {
        LocalStore::environment(self)
    }
}
