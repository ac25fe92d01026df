//! The local store: one environment's state on disk, as a snapshot file and a journal.
//!
//! Next to the state file `P` live `P.journal` (the saves made since `P` was written,
//! one line each: see `journal`), `P.backup` (the snapshot before `P`) and `P.lock` (see
//! `lock`). Temporary files are `.NAME.RANDOM.tmp` in the same directory; those a killed
//! run leaves behind are removed by the next run that takes the lock.
//!
//! Invariants:
//! - Loading never modifies anything. The state is `P` plus the journal lines whose
//!   serials follow `P`'s, applied in order; a torn last line (the process died while
//!   appending it, so the save was never acknowledged) is ignored. A file that is not a
//!   state of this environment in a format this strata reads, and a journal damaged
//!   anywhere else (a bad line before the last, a serial gap, another lineage, no `P`
//!   to continue), refuse the state, with the reason and the line.
//! - A save appends one line holding only what it changed (`Changed`: records and
//!   pending creates by address, the outputs when they changed) and flushes it to disk
//!   before it returns: a process killed at any moment leaves every acknowledged save
//!   on disk, and a save costs the size of its change, not of the state. A new journal
//!   is created with mode 0600 and its directory flushed before its first line counts.
//!   An append that fails is cut off again, and the next append overwrites whatever torn
//!   line a killed run left.
//! - Compaction writes the whole state to `P` atomically — a temporary file created with
//!   mode 0600 in the same directory, flushed to disk, the previous `P` kept as the
//!   backup (also 0600), the temporary file renamed over `P`, the directory flushed —
//!   then removes the journal. Any crash leaves a loadable state: before the rename,
//!   the old `P` and the whole journal; after it, the new `P` and journal lines that are
//!   all at or below its serial, which replay skips and the next append starts over.
//!   A save compacts instead of appending when the journal would outgrow
//!   max(`P`, 64 KiB), so that the bytes written stay linear in the work done; a command
//!   that saved compacts at its end (`compact`: same version, same serial), so that no
//!   journal is left after a clean run. A whole write (`write`, a hand edit) folds a
//!   journal first, so that the backup is the version before it.
//! - Writing never overwrites a state that is not the one being written: the state on
//!   disk (`P` and its journal) must be of the same environment and lineage, at the
//!   serial this state was read at (or last saved at). Each save increments the serial
//!   by one.
//! - The store remembers the identity (device, inode, size, mtime) of `P` and of the
//!   journal as it last read or wrote them, so a save re-reads them only when something
//!   else changed them.

use std::ffi::OsString;
use std::fs::{self, DirBuilder, File, Metadata, OpenOptions};
use std::io::{self, BufWriter, Read};
use std::os::unix::fs::{DirBuilderExt, FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use strata_engine::state::Changed;

use crate::error::{Corrupt, Result, StateError};
use crate::format::{FORMAT_VERSION, State, StateFile};
use crate::journal;
use crate::lock::{self, LockGuard, LockInfo};

/// Below this size a journal is never compacted during a run, whatever the size of the
/// state file: small states would otherwise be rewritten every few saves.
const JOURNAL_MIN_BOUND: u64 = 64 << 10;

/// The state of one environment, kept in local files.
#[derive(Debug)]
pub struct LocalStore {
    path: PathBuf,
    environment: String,
    /// The spec folder as the user named it, for messages (`strata force-unlock DIR`).
    spec_dir: Option<PathBuf>,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// What is on disk, as this store last read or wrote it (None: unknown, or nothing).
    known: Option<Known>,
    stats: WriteStats,
}

/// What a store has written since it was made: for benchmarks and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Whole states written to the state file (first write, compactions, hand edits).
    pub snapshots: u64,
    pub snapshot_bytes: u64,
    /// Lines appended to the journal (one per save that did not compact).
    pub appends: u64,
    pub journal_bytes: u64,
}

#[derive(Debug)]
struct Known {
    lineage: String,
    /// The serial of the state on disk: the state file's, or its journal's last line's.
    serial: u64,
    /// The state file.
    snapshot: Identity,
    snapshot_serial: u64,
    /// The journal, when there is one.
    journal: Option<JournalFile>,
}

#[derive(Debug)]
struct JournalFile {
    identity: Identity,
    /// Bytes of the whole lines; anything after them is a torn line, never acknowledged.
    valid_len: u64,
    /// The serial of the last whole line, if it has one.
    last_serial: Option<u64>,
    /// Open for appending, once this store has appended.
    file: Option<File>,
}

impl Known {
    /// The journal holds saves that the state file does not.
    fn journal_is_live(&self) -> bool {
        self.journal
            .as_ref()
            .and_then(|j| j.last_serial)
            .is_some_and(|last| last > self.snapshot_serial)
    }
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

/// What reading the state file and its journal found.
enum Reading {
    Nothing,
    Found(Box<(State, Known)>),
    /// The state file was replaced while the journal was being read: read again.
    Moved,
}

impl LocalStore {
    /// The store for `environment` whose state file is `path` (which need not exist yet).
    pub fn new(path: impl Into<PathBuf>, environment: impl Into<String>) -> Self {
        LocalStore {
            path: path.into(),
            environment: environment.into(),
            spec_dir: None,
            inner: Mutex::new(Inner::default()),
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

    /// Where the previous snapshot is kept: `<path>.backup`.
    pub fn backup_path(&self) -> PathBuf {
        with_suffix(&self.path, ".backup")
    }

    /// The journal of the saves since the state file was written: `<path>.journal`.
    pub fn journal_path(&self) -> PathBuf {
        with_suffix(&self.path, ".journal")
    }

    /// The lock file: `<path>.lock`.
    pub fn lock_path(&self) -> PathBuf {
        with_suffix(&self.path, ".lock")
    }

    /// What this store has written since it was made.
    pub fn write_stats(&self) -> WriteStats {
        self.lock_inner().stats
    }

    fn lock_inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The state (the state file and its journal), or None when there is no state file
    /// yet.
    pub fn load(&self) -> Result<Option<State>> {
        let mut inner = self.lock_inner();
        match self.read_all()? {
            Some((state, known)) => {
                inner.known = Some(known);
                Ok(Some(state))
            }
            None => {
                inner.known = None;
                Ok(None)
            }
        }
    }

    /// Saves `state` as the next version, given what changed since the version it was
    /// read or last saved at, incrementing its serial (on success only): one line
    /// appended to the journal, flushed to disk; or, when the journal has grown past its
    /// bound or `changed` is `everything`, the whole state written as the state file.
    /// Refuses, writing nothing, when the state on disk is anything but the version
    /// `state` was read or saved at.
    pub fn save(&self, state: &mut State, changed: &Changed) -> Result<()> {
        self.check_environment(state)?;
        let mut inner = self.lock_inner();
        let inner = &mut *inner;
        let existing = self.current(&mut inner.known, state)?;
        let line = match &inner.known {
            Some(known) if !changed.everything => {
                let line = journal::encode(state, known.serial + 1, changed);
                let base = known
                    .journal
                    .as_ref()
                    .filter(|j| j.last_serial == Some(known.serial))
                    .map_or(0, |j| j.valid_len);
                let bound = known.snapshot.len.max(JOURNAL_MIN_BOUND);
                (base + line.len() as u64 <= bound).then_some(line)
            }
            _ => None,
        };
        if let Some(line) = line {
            let known = inner.known.as_mut().expect("checked above");
            return match self.append(known, &line) {
                Ok(()) => {
                    bump(state);
                    inner.stats.appends += 1;
                    inner.stats.journal_bytes += line.len() as u64;
                    Ok(())
                }
                Err(e) => {
                    // Whatever the failed append left is found again by the next save.
                    inner.known = None;
                    Err(e)
                }
            };
        }
        let mut existing = existing;
        if changed.everything && inner.known.as_ref().is_some_and(Known::journal_is_live) {
            // Fold the journal first, so that the backup is the version before this one.
            let Some((on_disk, _)) = self.read_all()? else {
                return Err(StateError::io(
                    "read the state file",
                    &self.path,
                    io::ErrorKind::NotFound.into(),
                ));
            };
            self.write_snapshot(inner, &on_disk, existing.as_ref())?;
            existing = Some(
                fs::metadata(&self.path)
                    .map_err(|e| StateError::io("inspect the state file", &self.path, e))?,
            );
        }
        let previous = (
            state.serial,
            state.format_version,
            state.strata_version.clone(),
        );
        bump(state);
        let written = self.write_snapshot(inner, state, existing.as_ref());
        if written.is_err() {
            (state.serial, state.format_version, state.strata_version) = previous;
        }
        written
    }

    /// Writes `state` whole as the new version of the state file (its journal folded
    /// first), incrementing its serial (on success only): what a hand edit does. Refuses,
    /// leaving the files as they are, when the state on disk is anything but the version
    /// of this state that `state` was read at.
    pub fn write(&self, state: &mut State) -> Result<()> {
        self.save(state, &Changed::everything())
    }

    /// Folds the journal into the state file: `state` must be the state exactly as last
    /// saved through this store or loaded (its serial and lineage are checked; its
    /// content is the caller's promise). Writes the same version (same serial) whole,
    /// keeps the previous state file as the backup and removes the journal. Does nothing
    /// when there is no journal; removes a journal whose lines the state file already
    /// holds.
    pub fn compact(&self, state: &State) -> Result<()> {
        self.check_environment(state)?;
        let mut inner = self.lock_inner();
        let inner = &mut *inner;
        let existing = self.current(&mut inner.known, state)?;
        let Some(known) = inner.known.as_mut() else {
            return Ok(());
        };
        if known.journal_is_live() {
            return self.write_snapshot(inner, state, existing.as_ref());
        }
        if known.journal.is_some() {
            known.journal = None;
            if !self.remove_journal() {
                // Still there: read it again before the next save.
                inner.known = None;
            }
        }
        Ok(())
    }

    fn check_environment(&self, state: &State) -> Result<()> {
        if state.environment != self.environment {
            return Err(StateError::WrongEnvironment {
                path: self.path.clone(),
                found: state.environment.clone(),
                expected: self.environment.clone(),
            });
        }
        Ok(())
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

    /// Read the state file and replay its journal; None when there is no state file.
    fn read_all(&self) -> Result<Option<(State, Known)>> {
        // A compaction may replace the state file between the two reads: try again.
        for _ in 0..16 {
            match self.read_once(false)? {
                Reading::Nothing => return Ok(None),
                Reading::Found(found) => return Ok(Some(*found)),
                Reading::Moved => continue,
            }
        }
        match self.read_once(true)? {
            Reading::Found(found) => Ok(Some(*found)),
            _ => Ok(None),
        }
    }

    /// One attempt of [`read_all`](Self::read_all); `last` reports a damaged journal
    /// even if the state file moved meanwhile.
    fn read_once(&self, last: bool) -> Result<Reading> {
        let journal_path = self.journal_path();
        let Some((mut state, snapshot)) = self.read_file()? else {
            return match fs::symlink_metadata(&journal_path) {
                Ok(_) => Err(StateError::Corrupt(Box::new(Corrupt {
                    path: journal_path,
                    journal: true,
                    line: None,
                    column: None,
                    reason: format!(
                        "there is no state file {} for it to continue",
                        self.path.display()
                    ),
                    backup: None,
                    conflict_markers: false,
                    source: None,
                    span: None,
                }))),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Reading::Nothing),
                Err(e) => Err(StateError::io(
                    "inspect the state journal",
                    &journal_path,
                    e,
                )),
            };
        };
        let snapshot_serial = state.serial;
        let journal = match File::open(&journal_path) {
            Ok(mut file) => {
                let meta = file
                    .metadata()
                    .map_err(|e| StateError::io("inspect the state journal", &journal_path, e))?;
                let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
                file.read_to_end(&mut bytes)
                    .map_err(|e| StateError::io("read the state journal", &journal_path, e))?;
                Some((meta, journal::replay(&mut state, &bytes, &journal_path)))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(StateError::io("open the state journal", &journal_path, e)),
        };
        // The pair is one version only if the state file was not replaced meanwhile: a
        // compaction may have removed the journal it continued (the state file alone
        // would be an older version) or started a new one (which does not continue it).
        let moved = fs::metadata(&self.path).map_or(true, |m| Identity::of(&m) != snapshot);
        if moved && !last {
            return Ok(Reading::Moved);
        }
        let journal = match journal {
            Some((meta, replayed)) => {
                let replayed = replayed?;
                Some(JournalFile {
                    identity: Identity::of(&meta),
                    valid_len: replayed.valid_len,
                    last_serial: replayed.last_serial,
                    file: None,
                })
            }
            None => None,
        };
        let known = Known {
            lineage: state.lineage.clone(),
            serial: state.serial,
            snapshot,
            snapshot_serial,
            journal,
        };
        Ok(Reading::Found(Box::new((state, known))))
    }

    /// Read and decode the state file alone; None when it does not exist.
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

    /// Brings `known` up to date with the disk (re-reading only what changed since this
    /// store last looked) and checks that the state there is the version `state` was
    /// read or saved at. Returns the state file's metadata; None when there is no state
    /// on disk.
    fn current(&self, known: &mut Option<Known>, state: &State) -> Result<Option<Metadata>> {
        let meta = match fs::metadata(&self.path) {
            Ok(meta) => Some(meta),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(StateError::io("inspect the state file", &self.path, e)),
        };
        let journal_path = self.journal_path();
        let journal = match fs::metadata(&journal_path) {
            Ok(meta) => Some(Identity::of(&meta)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(StateError::io(
                    "inspect the state journal",
                    &journal_path,
                    e,
                ));
            }
        };
        let up_to_date = match (known.as_ref(), &meta) {
            (Some(k), Some(meta)) => {
                k.snapshot == Identity::of(meta)
                    && k.journal.as_ref().map(|j| &j.identity) == journal.as_ref()
            }
            _ => false,
        };
        if !up_to_date {
            if meta.is_none() && journal.is_none() {
                // Nothing on disk (or removed since we looked): nothing to protect.
                *known = None;
                return Ok(None);
            }
            *known = self.read_all()?.map(|(_, k)| k);
        }
        let Some(k) = known.as_ref() else {
            return Ok(None);
        };
        if k.lineage != state.lineage {
            return Err(StateError::LineageMismatch {
                path: self.path.clone(),
                found: k.lineage.clone(),
                expected: state.lineage.clone(),
            });
        }
        if k.serial != state.serial {
            return Err(StateError::Stale {
                path: self.path.clone(),
                found: k.serial,
                expected: state.serial,
            });
        }
        Ok(meta)
    }

    /// Appends `line` (the version `known.serial + 1`) to the journal and flushes it to
    /// disk. A journal whose lines the state file already holds is started over; a torn
    /// line after the last whole one is overwritten.
    fn append(&self, known: &mut Known, line: &[u8]) -> Result<()> {
        let path = self.journal_path();
        if known.journal.is_none() {
            let file = create_private(&path)
                .map_err(|e| StateError::io("create the state journal", &path, e))?;
            // The journal's name must be on disk before any line in it counts.
            sync_dir(&path)?;
            let meta = file
                .metadata()
                .map_err(|e| StateError::io("inspect the state journal", &path, e))?;
            known.journal = Some(JournalFile {
                identity: Identity::of(&meta),
                valid_len: 0,
                last_serial: None,
                file: Some(file),
            });
        }
        let journal = known.journal.as_mut().expect("created above");
        if journal.file.is_none() {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .map_err(|e| StateError::io("open the state journal", &path, e))?;
            let meta = file
                .metadata()
                .map_err(|e| StateError::io("inspect the state journal", &path, e))?;
            if meta.permissions().mode() & 0o077 != 0 {
                file.set_permissions(fs::Permissions::from_mode(0o600))
                    .map_err(|e| StateError::io("make private the state journal", &path, e))?;
            }
            journal.file = Some(file);
        }
        let file = journal.file.as_ref().expect("opened above");
        let base = if journal.last_serial == Some(known.serial) {
            journal.valid_len
        } else {
            // Empty, or only saves the state file already holds.
            0
        };
        let written = (|| {
            if journal.identity.len != base {
                file.set_len(base)?;
            }
            file.write_all_at(line, base)?;
            file.sync_data()?;
            file.metadata()
        })();
        match written {
            Ok(meta) => {
                journal.identity = Identity::of(&meta);
                journal.valid_len = base + line.len() as u64;
                known.serial += 1;
                journal.last_serial = Some(known.serial);
                Ok(())
            }
            Err(e) => {
                // Cut off what may have reached the file; the caller forgets what it
                // knew, so that the next save reads the journal again either way.
                let _ = file.set_len(base).and_then(|()| file.sync_data());
                Err(StateError::io("append to the state journal", &path, e))
            }
        }
    }

    /// Writes `state` whole as the state file (atomically, the previous one kept as the
    /// backup), then removes the journal, whose saves it now holds.
    fn write_snapshot(
        &self,
        inner: &mut Inner,
        state: &State,
        existing: Option<&Metadata>,
    ) -> Result<()> {
        let (identity, bytes) = self.replace_file(state, existing)?;
        inner.stats.snapshots += 1;
        inner.stats.snapshot_bytes += bytes;
        // Closes the journal if this store had it open.
        inner.known = None;
        if self.remove_journal() {
            inner.known = Some(Known {
                lineage: state.lineage.clone(),
                serial: state.serial,
                snapshot: identity,
                snapshot_serial: state.serial,
                journal: None,
            });
        }
        Ok(())
    }

    /// Removes a journal whose saves the state file holds; false when it is still
    /// there. Best effort: a journal left behind is harmless (replay skips its lines,
    /// the next append starts it over), so its removal need not reach the disk either.
    fn remove_journal(&self) -> bool {
        match fs::remove_file(self.journal_path()) {
            Ok(()) => true,
            Err(e) => e.kind() == io::ErrorKind::NotFound,
        }
    }

    /// The atomic replacement; returns the identity and size of the new file.
    fn replace_file(&self, state: &State, existing: Option<&Metadata>) -> Result<(Identity, u64)> {
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
            let meta = file
                .metadata()
                .map_err(|e| StateError::io("inspect the temporary state file", &tmp, e))?;
            if let Some(meta) = existing {
                self.keep_backup(meta)?;
            }
            fs::rename(&tmp, &self.path)
                .map_err(|e| StateError::io("move the new version into place at", &self.path, e))?;
            sync_dir(&self.path)?;
            Ok((Identity::of(&meta), meta.len()))
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

/// The new version's fields a save sets: the next serial, this strata's format and
/// version.
fn bump(state: &mut State) {
    state.serial += 1;
    state.format_version = FORMAT_VERSION;
    crate::STRATA_VERSION.clone_into(&mut state.strata_version);
}

/// Flush to disk the directory that holds `path`, so that names created, renamed or
/// removed there stay so.
fn sync_dir(path: &Path) -> Result<()> {
    let dir = parent_dir(path);
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StateError::io("flush to disk the state directory", dir, e))
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
        changed: &Changed,
    ) -> std::result::Result<(), Box<dyn miette::Diagnostic + Send + Sync>> {
        LocalStore::save(self, state, changed).map_err(|e| Box::new(e) as _)
    }

    fn compact(
        &self,
        state: &State,
    ) -> std::result::Result<(), Box<dyn miette::Diagnostic + Send + Sync>> {
        LocalStore::compact(self, state).map_err(|e| Box::new(e) as _)
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
