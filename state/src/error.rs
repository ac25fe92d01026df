//! Every way reading, writing or locking a state can fail, as one diagnostic type.
//!
//! Invariants: each variant has a stable code (`state::...`, also returned by
//! [`StateError::code`] so callers and tests can match on it without rendering), a
//! lowercase message without a trailing period that names the file involved, and a
//! help line that says what the user can do about it. An error about a file never
//! means the file was changed: every refusal happens before anything is written.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};

use crate::lock::{Liveness, LockInfo};

/// A failed state operation. See the module documentation for the conventions.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// A file system call failed; `action` says what strata was doing ("read the state
    /// file", "rename the temporary file over the state file", ...).
    #[error("could not {action} {}: {error}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        error: io::Error,
    },

    /// The file is not valid JSON, or is JSON that does not have the shape of a strata
    /// state of a version this strata reads.
    #[error("{0}")]
    Corrupt(Box<Corrupt>),

    /// The file is valid JSON but is not a strata state (a Terraform state, a Pulumi
    /// checkpoint, some other document).
    #[error("{} is not a strata state file: {what}", .path.display())]
    NotStrata {
        path: PathBuf,
        /// What it looks like instead, e.g. "it is a Terraform state (terraform_version 1.9.5)".
        what: String,
    },

    /// The file is a strata state of a format version this strata does not read.
    #[error(
        "state file {} has format version {found}, and this strata ({}) reads format version {supported}",
        .path.display(), crate::STRATA_VERSION
    )]
    UnknownVersion {
        path: PathBuf,
        found: u64,
        supported: u32,
    },

    /// The file (or the state being written) belongs to another environment.
    #[error(
        "state file {} belongs to environment \"{found}\", not to environment \"{expected}\"",
        .path.display()
    )]
    WrongEnvironment {
        path: PathBuf,
        found: String,
        expected: String,
    },

    /// The file at the path is a different state (another lineage) than the one being
    /// written: writing would destroy it.
    #[error(
        "state file {} has lineage {found}, but the state being written has lineage {expected}: they are two different states",
        .path.display()
    )]
    LineageMismatch {
        path: PathBuf,
        found: String,
        expected: String,
    },

    /// The file changed since the state being written was read (its serial differs).
    #[error(
        "state file {} changed since this run read it: serial {found} is on disk, this run read serial {expected}",
        .path.display()
    )]
    Stale {
        path: PathBuf,
        found: u64,
        expected: u64,
    },

    /// Another run holds the lock.
    #[error("{0}")]
    Locked(Box<Locked>),

    /// The lock file exists but cannot be understood.
    #[error("lock file {} cannot be read as a strata lock: {reason}", .path.display())]
    LockCorrupt { path: PathBuf, reason: String },

    /// `force_unlock` was given an id that is not the id of the current lock.
    #[error(
        "lock id {given} does not match the lock on {}, whose id is {} (held by {})",
        .path.display(), .current.id, .current.holder()
    )]
    LockMismatch {
        path: PathBuf,
        given: String,
        current: Box<LockInfo>,
    },

    /// `force_unlock` found no lock.
    #[error("there is no lock to remove: {} does not exist", .path.display())]
    NotLocked { path: PathBuf },

    /// A lock guard found, when releasing, that its lock had been replaced or removed.
    #[error(
        "the lock {id} on {} was removed by someone else while this run held it",
        .path.display()
    )]
    LockLost { path: PathBuf, id: String },

    /// The environment keeps its state in a backend this build cannot use.
    #[error(
        "the state of environment \"{environment}\" is kept in {backend}, and this build of strata cannot use that backend yet"
    )]
    BackendUnsupported {
        environment: String,
        /// Where, e.g. "S3 (bucket b, key k)".
        backend: String,
    },

    /// A command needs the state of an environment that has none yet.
    #[error(
        "there is no state for environment \"{environment}\" yet: {} does not exist",
        .path.display()
    )]
    NoState { path: PathBuf, environment: String },

    /// No resource has this address in the state.
    #[error("no resource `{address}` in the state of environment \"{environment}\"")]
    UnknownAddress {
        address: String,
        environment: String,
        /// The closest address in the state, if one is close.
        suggestion: Option<String>,
        /// The state holds no resource at all.
        none: bool,
    },

    /// A rename would overwrite another resource's record.
    #[error(
        "`{address}` is already in the state of environment \"{environment}\" (a {type_name} with id {id})"
    )]
    AddressTaken {
        address: String,
        environment: String,
        type_name: String,
        id: String,
    },

    /// The text does not have the shape of a resource address.
    #[error("`{address}` is not a resource address")]
    InvalidAddress { address: String },

    /// No output has this name in the state.
    #[error("no output `{name}` in the state of environment \"{environment}\"")]
    UnknownOutput {
        name: String,
        environment: String,
        /// The closest output name, if one is close.
        suggestion: Option<String>,
        /// The state holds no output at all.
        none: bool,
    },

    /// The value of a sensitive output was asked for; the state holds only its digest.
    #[error(
        "output `{name}` is sensitive: the state keeps only a salted digest of it, not its value"
    )]
    SensitiveOutput { name: String },

    /// The file is not a strata plan file.
    #[error("{} is not a strata plan file: {what}", .path.display())]
    NotAPlan {
        path: PathBuf,
        /// What it is instead, e.g. "it is a strata state file".
        what: String,
    },

    /// The file is a strata plan of a format version this strata does not read.
    #[error(
        "plan file {} has format version {found}, and this strata ({}) reads plan format version {supported}",
        .path.display(), crate::STRATA_VERSION
    )]
    PlanVersion {
        path: PathBuf,
        found: u64,
        supported: u32,
    },

    /// The file is marked as a strata plan but does not have a plan's shape.
    #[error("plan file {} is damaged: {reason}", .path.display())]
    PlanCorrupt { path: PathBuf, reason: String },

    /// Writing a plan would replace a file that is not a plan.
    #[error("will not write the plan over {}: {what}", .path.display())]
    PlanOverwrite {
        path: PathBuf,
        /// What the file is, e.g. "it is a strata state file".
        what: String,
    },
}

/// Details of a [`StateError::Corrupt`] (boxed: it carries the file's text for the
/// rendered snippet).
#[derive(Debug)]
pub struct Corrupt {
    pub path: PathBuf,
    /// The damaged file is the state's journal (`path`), not the state file.
    pub journal: bool,
    /// 1-based line and column of the problem, when the parser knows it.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// What is wrong, lowercase, without the location.
    pub reason: String,
    /// A previous version kept next to the file, when one exists.
    pub backup: Option<PathBuf>,
    /// The file holds git merge-conflict markers.
    pub conflict_markers: bool,
    pub(crate) source: Option<NamedSource<String>>,
    pub(crate) span: Option<miette::SourceSpan>,
}

impl fmt::Display for Corrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.journal {
            "state journal"
        } else {
            "state file"
        };
        write!(f, "{what} {} is corrupt", self.path.display())?;
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, " at line {line}, column {column}")?,
            (Some(line), None) if self.journal => write!(f, " at line {line}")?,
            _ => {}
        }
        write!(f, ": {}", self.reason)
    }
}

/// Details of a [`StateError::Locked`].
#[derive(Debug)]
pub struct Locked {
    /// The state file the lock protects.
    pub state_path: PathBuf,
    /// The lock file.
    pub lock_path: PathBuf,
    pub holder: LockInfo,
    /// How long the lock has been held, when its creation time could be read.
    pub age: Option<Duration>,
    pub liveness: Liveness,
    /// The environment whose state it is.
    pub environment: String,
    /// The spec folder as the user named it, when known (the CLI sets it), so that the
    /// help can give the exact `strata force-unlock` command.
    pub spec_dir: Option<PathBuf>,
}

impl Locked {
    /// The command that removes this lock: `strata force-unlock DIR --env ENV ID`, with
    /// the spec folder filled in when it is known.
    pub fn unlock_command(&self) -> String {
        let dir = self
            .spec_dir
            .as_deref()
            .map_or_else(|| "DIR".to_owned(), |d| shell_word(&d.to_string_lossy()));
        format!(
            "strata force-unlock {dir} --env {} {}",
            shell_word(&self.environment),
            self.holder.id
        )
    }
}

/// `word` as one shell word: as it is when it is plain, else in single quotes.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:@+=,".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

impl fmt::Display for Locked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = &self.holder;
        write!(
            f,
            "state {} is locked by {} (pid {}, running `{}`, since {}",
            self.state_path.display(),
            h.holder(),
            h.pid,
            h.command,
            h.created
        )?;
        if let Some(age) = self.age {
            write!(f, ", {} ago", crate::lock::format_age(age))?;
        }
        write!(f, "); lock id {}", h.id)?;
        match self.liveness {
            Liveness::Running => write!(f, "; that process is still running"),
            Liveness::Gone => write!(
                f,
                "; the lock is stale: pid {} is no longer running on {}",
                h.pid, h.host
            ),
            Liveness::Unknown => write!(
                f,
                "; it was taken on another host, so strata cannot tell whether it is still running"
            ),
        }
    }
}

impl StateError {
    /// The stable diagnostic code, e.g. `"state::corrupt"`.
    pub fn code(&self) -> &'static str {
        match self {
            StateError::Io { .. } => "state::io",
            StateError::Corrupt(_) => "state::corrupt",
            StateError::NotStrata { .. } => "state::not_strata",
            StateError::UnknownVersion { .. } => "state::unknown_version",
            StateError::WrongEnvironment { .. } => "state::wrong_environment",
            StateError::LineageMismatch { .. } => "state::lineage_mismatch",
            StateError::Stale { .. } => "state::stale",
            StateError::Locked(_) => "state::locked",
            StateError::LockCorrupt { .. } => "state::lock_corrupt",
            StateError::LockMismatch { .. } => "state::lock_mismatch",
            StateError::NotLocked { .. } => "state::not_locked",
            StateError::LockLost { .. } => "state::lock_lost",
            StateError::BackendUnsupported { .. } => "state::backend_unsupported",
            StateError::NoState { .. } => "state::no_state",
            StateError::UnknownAddress { .. } => "state::unknown_address",
            StateError::AddressTaken { .. } => "state::address_taken",
            StateError::InvalidAddress { .. } => "state::invalid_address",
            StateError::UnknownOutput { .. } => "state::unknown_output",
            StateError::SensitiveOutput { .. } => "state::sensitive_output",
            StateError::NotAPlan { .. } => "state::not_a_plan",
            StateError::PlanVersion { .. } => "state::plan_version",
            StateError::PlanCorrupt { .. } => "state::plan_corrupt",
            StateError::PlanOverwrite { .. } => "state::plan_overwrite",
        }
    }

    /// An I/O error: `action` is what strata was doing, in the form "read the state file".
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, error: io::Error) -> Self {
        StateError::Io {
            action,
            path: path.into(),
            error,
        }
    }

    /// The help line (also what [`Diagnostic::help`] returns).
    pub fn help_text(&self) -> String {
        match self {
            StateError::Io { path, error, .. } => match error.kind() {
                io::ErrorKind::PermissionDenied => format!(
                    "check that you may read and write {} and its directory",
                    path.display()
                ),
                io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
                    "free some disk space and run the command again; the state file was not replaced".into()
                }
                io::ErrorKind::IsADirectory | io::ErrorKind::NotADirectory => format!(
                    "the state path must name a file; check the `state path=` of this environment ({})",
                    path.display()
                ),
                _ => "check the path and the file system, then run the command again".into(),
            },
            StateError::Corrupt(c) if c.journal && c.line.is_none() => {
                "strata has not changed it: a journal only records saves on top of its state file; put the state file back (its previous version may be in the .backup file next to it, if the journal continues that one), or move the journal away if that state is gone for good".into()
            }
            StateError::Corrupt(c) if c.journal => {
                "strata has not changed it. Each line records one save, in order, on top of the state file next to it: repair the damaged line by hand (one JSON object per line), or cut the journal just before it, which forgets what that save and every later one recorded".into()
            }
            StateError::Corrupt(c) => {
                if c.conflict_markers {
                    "the file holds git merge-conflict markers (<<<<<<<): resolve the conflict so that each resource appears once, then run again".into()
                } else if let Some(backup) = &c.backup {
                    format!(
                        "strata has not changed the file; fix it by hand (it is plain JSON), or restore the previous version kept in {}",
                        backup.display()
                    )
                } else {
                    "strata has not changed the file; fix it by hand (it is plain JSON)".into()
                }
            }
            StateError::NotStrata { .. } => {
                "strata keeps its own state and will not overwrite this file: give this environment another `state path=`".into()
            }
            StateError::UnknownVersion {
                found, supported, ..
            } => {
                if u64::from(*supported) < *found {
                    format!(
                        "it was written by a newer strata: upgrade strata to a release that reads format version {found}"
                    )
                } else {
                    format!(
                        "it was written by an older pre-release strata: recreate the state, or convert it to format version {supported}"
                    )
                }
            }
            StateError::WrongEnvironment { found, .. } => format!(
                "each environment needs its own state file: run with `--env {found}`, or give this environment another `state path=`"
            ),
            StateError::LineageMismatch { .. } => {
                "strata refused to overwrite it; move that file away, or give this environment another `state path=`".into()
            }
            StateError::Stale { .. } => {
                "another run (or a person) wrote the state meanwhile, and nothing was overwritten: run the command again so that it starts from the current state".into()
            }
            StateError::Locked(l) => match l.liveness {
                Liveness::Gone => format!(
                    "the run that took the lock ended without releasing it (it was killed, crashed, or its machine restarted); if no other strata run is using this state, remove the lock with `{}`",
                    l.unlock_command()
                ),
                Liveness::Running => format!(
                    "wait for that run to finish; if it is stuck, stop it, and only then run `{}`",
                    l.unlock_command()
                ),
                Liveness::Unknown => format!(
                    "ask {} whether that run is still going; once it is not, run `{}`",
                    l.holder.holder(),
                    l.unlock_command()
                ),
            },
            StateError::LockCorrupt { path, .. } => format!(
                "strata has left it in place; if no strata run is using this state, delete {} by hand",
                path.display()
            ),
            StateError::LockMismatch { current, .. } => format!(
                "check the id; if it came from an older message, that lock was released and this one taken by another run since: make sure nobody is using the state before running `strata force-unlock DIR --env ENV {}`",
                current.id
            ),
            StateError::NotLocked { .. } => "the state is not locked; there is nothing to do".into(),
            StateError::LockLost { .. } => {
                "another run may have written the state meanwhile: check the state (`strata plan`) before applying again".into()
            }
            StateError::BackendUnsupported { environment, .. } => format!(
                "until the S3 backend lands, keep this environment's state in a local file: `state path=\".strata/{environment}.state.json\"` in env/{environment}.kdl"
            ),
            StateError::NoState { .. } => {
                "nothing has been applied to this environment yet; if it has been, check its `state path=`".into()
            }
            StateError::UnknownAddress {
                suggestion, none, ..
            } => match (suggestion, none) {
                (Some(s), _) => format!("did you mean `{s}`?"),
                (None, true) => "the state holds no resource".into(),
                (None, false) => "`strata state list` shows the addresses in the state".into(),
            },
            StateError::AddressTaken { address, .. } => format!(
                "nothing was changed; to replace that record, forget it first with `strata state rm {address}` (the cloud object stays)"
            ),
            StateError::InvalidAddress { .. } => {
                "an address is `stack.name`, like `network.vpc`".into()
            }
            StateError::UnknownOutput {
                suggestion, none, ..
            } => match (suggestion, none) {
                (Some(s), _) => format!("did you mean `{s}`?"),
                (None, true) => "the state holds no output; `strata apply` records them".into(),
                (None, false) => "`strata output` lists the outputs in the state".into(),
            },
            StateError::SensitiveOutput { .. } => {
                "read the value where it comes from (the secret store, variable or environment variable that provided it)".into()
            }
            StateError::NotAPlan { .. } => {
                "`strata apply FILE` takes a plan written by `strata plan --out FILE`".into()
            }
            StateError::PlanVersion { .. } => {
                "a plan is applied by the strata that made it: make the plan again with this strata (`strata plan --out FILE`)".into()
            }
            StateError::PlanCorrupt { .. } => {
                "nothing was applied; make the plan again (`strata plan --out FILE`)".into()
            }
            StateError::PlanOverwrite { .. } => {
                "nothing was written; give `--out` another file name, such as plan.json".into()
            }
        }
    }
}

impl Diagnostic for StateError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(StateError::code(self)))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.help_text()))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        match self {
            StateError::Corrupt(c) => c.source.as_ref().map(|s| s as &dyn SourceCode),
            _ => None,
        }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        match self {
            StateError::Corrupt(c) => match (&c.source, c.span) {
                (Some(_), Some(span)) => Some(Box::new(std::iter::once(
                    LabeledSpan::new_with_span(Some(c.reason.clone()), span),
                ))),
                _ => None,
            },
            _ => None,
        }
    }
}

/// `Result` with [`StateError`].
pub type Result<T, E = StateError> = std::result::Result<T, E>;
