//! The mock's directory: one exclusive `flock` around every load-execute-save, the state file,
//! the sector image and the undo file of the drive buffer.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind as IoKind, Write};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use nix::fcntl::{Flock, FlockArg};

use super::state::{DriveState, BLOCK, STATE_VERSION};
use crate::{Error, ErrorKind, Result};

/// The file whose presence makes a directory a mock drive.
pub const STATE_FILE: &str = "state.json";
pub(crate) const LOCK_FILE: &str = "lock";
/// The lock file a process holds for a whole operation on the drive ([`crate::lease`]); the
/// `lock` file above is held for one command at a time.
pub const LEASE_FILE: &str = "drive.lease";
pub(crate) const MEDIA_FILE: &str = "media.img";
pub(crate) const UNDO_FILE: &str = "undo.bin";
pub(crate) const TRANSCRIPT_FILE: &str = "transcript.log";

/// Paths and file operations of one mock directory.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    pub dir: PathBuf,
    /// The last `state.json` this process read or wrote, and its parsed form. A load whose
    /// bytes equal `text` reuses `state` instead of parsing; any change by another process
    /// changes the bytes (at least the command counter), so the comparison is exact.
    cache: Arc<Mutex<Option<Cached>>>,
    /// Data files kept open between commands: opening by path costs more than a small
    /// command. See [`Store::open_file`].
    files: Arc<Mutex<Files>>,
}

#[derive(Debug, Default)]
struct Files {
    /// Counts [`Store::lock`] calls: a handle is checked once per lock.
    epoch: u64,
    /// Open handle and the epoch it was last checked in.
    open: HashMap<&'static str, (Arc<File>, u64)>,
}

#[derive(Debug)]
struct Cached {
    text: Vec<u8>,
    state: DriveState,
}

/// Padding left after a shrinking rewrite of `state.json` beyond which the file is
/// truncated to its content.
const MAX_PADDING: usize = 4096;

/// Held while a process works on the drive; dropping it releases the `flock`.
pub(crate) type Lock = Flock<File>;

impl Store {
    pub(crate) fn new(dir: &Path) -> Store {
        Store {
            dir: dir.to_path_buf(),
            cache: Arc::default(),
            files: Arc::default(),
        }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn recreate_hint(&self) -> String {
        format!(
            "run `spindle mock new {} --media …` to recreate it",
            self.dir.display()
        )
    }

    fn corrupt(&self, what: String) -> Error {
        Error::CorruptMock {
            dir: self.dir.clone(),
            what,
        }
    }

    /// Checks that the directory holds a mock drive, without locking.
    pub(crate) fn check_exists(&self) -> Result<()> {
        let not_found = |reason: String, source: Option<std::io::Error>| Error::Open {
            path: self.dir.clone(),
            kind: ErrorKind::NotFound,
            reason,
            source,
        };
        match fs::metadata(&self.dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(not_found("not a directory".into(), None)),
            Err(e) if e.kind() == IoKind::NotFound => {
                return Err(not_found("no such mock drive directory".into(), Some(e)))
            }
            Err(e) => {
                return Err(Error::io(
                    format!("cannot open mock directory {}", self.dir.display()),
                    e,
                ))
            }
        }
        if !self.path(STATE_FILE).exists() {
            return Err(not_found(
                format!("no mock drive here ({STATE_FILE} is missing); create one with `spindle mock new {} --media …`", self.dir.display()),
                None,
            ));
        }
        Ok(())
    }

    /// Takes the exclusive lock on the drive (blocking while another process holds it).
    pub(crate) fn lock(&self) -> Result<Lock> {
        let path = self.path(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(format!("cannot open {}", path.display()), e))?;
        let lock = Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, errno)| {
            Error::io(format!("cannot lock {}", path.display()), errno.into())
        })?;
        self.files
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .epoch += 1;
        Ok(lock)
    }

    /// An open handle on data file `name` (read-write; created if `create`, else `None`
    /// when it does not exist). Handles are kept between commands; the first use after
    /// each [`Store::lock`] checks that the file is still linked into the directory,
    /// because another process may have removed or replaced it (`spindle mock new`,
    /// compaction of `undo.bin`), and reopens it if not. Must be called with the lock.
    fn open_file(&self, name: &'static str, create: bool) -> Result<Option<Arc<File>>> {
        let mut files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        let epoch = files.epoch;
        if let Some((f, checked)) = files.open.get_mut(name) {
            if *checked == epoch || f.metadata().is_ok_and(|m| m.nlink() > 0) {
                *checked = epoch;
                return Ok(Some(Arc::clone(f)));
            }
        }
        files.open.remove(name);
        let path = self.path(name);
        // The transcript is only ever appended to; O_APPEND saves asking for its length.
        let append = name == TRANSCRIPT_FILE;
        let file = match OpenOptions::new()
            .read(true)
            .write(!append)
            .append(append)
            .create(create)
            .truncate(false)
            .open(&path)
        {
            Ok(f) => Arc::new(f),
            Err(e) if e.kind() == IoKind::NotFound && !create => return Ok(None),
            Err(e) => return Err(Error::io(format!("cannot open {}", path.display()), e)),
        };
        files.open.insert(name, (Arc::clone(&file), epoch));
        Ok(Some(file))
    }

    /// As [`Store::open_file`], creating the file if it does not exist.
    fn file(&self, name: &'static str) -> Result<Arc<File>> {
        self.open_file(name, true)?.ok_or_else(|| {
            Error::io(
                format!("cannot create {}", self.path(name).display()),
                IoKind::NotFound.into(),
            )
        })
    }

    /// Forgets the handles on files that were renamed or removed by path.
    fn forget_files(&self, names: &[&str]) {
        let mut files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        files.open.retain(|name, _| !names.contains(name));
    }

    /// Reads and checks `state.json`. Must be called with the lock held.
    pub(crate) fn load(&self) -> Result<DriveState> {
        let text = match self.read_all(STATE_FILE) {
            Ok(Some(t)) => t,
            Ok(None) => {
                return Err(Error::Open {
                    path: self.dir.clone(),
                    kind: ErrorKind::NotFound,
                    reason: format!("no mock drive here ({STATE_FILE} is missing)"),
                    source: None,
                })
            }
            Err(e) => {
                return Err(self.corrupt(format!(
                    "cannot read {STATE_FILE}: {e}; {}",
                    self.recreate_hint()
                )))
            }
        };
        let cached = {
            let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            cache
                .as_ref()
                .filter(|c| c.text == text)
                .map(|c| c.state.clone())
        };
        if let Some(st) = cached {
            self.validate(&st)?;
            return Ok(st);
        }
        // Check the version first so an old or future layout gets a clear message rather
        // than a field-level parse error.
        let value: serde_json::Value = serde_json::from_slice(&text).map_err(|e| {
            self.corrupt(format!(
                "{STATE_FILE} is not valid JSON ({e}); {}",
                self.recreate_hint()
            ))
        })?;
        match value.get("version").and_then(serde_json::Value::as_u64) {
            Some(v) if v == u64::from(STATE_VERSION) => {}
            Some(v) => {
                return Err(self.corrupt(format!(
                    "{STATE_FILE} has version {v}, this build reads version {STATE_VERSION}; {}",
                    self.recreate_hint()
                )))
            }
            None => {
                return Err(self.corrupt(format!(
                    "{STATE_FILE} has no version field; {}",
                    self.recreate_hint()
                )))
            }
        }
        let st: DriveState = serde_json::from_value(value).map_err(|e| {
            self.corrupt(format!(
                "{STATE_FILE} does not describe a mock drive ({e}); {}",
                self.recreate_hint()
            ))
        })?;
        self.validate(&st)?;
        *self.cache.lock().unwrap_or_else(PoisonError::into_inner) = Some(Cached {
            text,
            state: st.clone(),
        });
        Ok(st)
    }

    /// Cross-checks the state against the data files.
    fn validate(&self, st: &DriveState) -> Result<()> {
        let undo_len = if st.buffer.extents.iter().any(|e| e.undo.is_some()) {
            self.len(UNDO_FILE)?
        } else {
            0
        };
        if let Some((e, end)) = st
            .buffer
            .extents
            .iter()
            .filter_map(|e| e.undo.map(|o| (e, o + e.bytes())))
            .find(|&(_, end)| end > undo_len)
        {
            return Err(self.corrupt(format!(
                "{UNDO_FILE} is {undo_len} bytes but the state expects the previous contents of LBA {} up to byte {end}; {}",
                e.lba,
                self.recreate_hint()
            )));
        }
        if let Some(blocks) = st.medium.as_ref().and_then(|m| m.rom_blocks()) {
            let have = self.len(MEDIA_FILE)?;
            if have < u64::from(blocks) * BLOCK as u64 {
                return Err(self.corrupt(format!(
                    "{MEDIA_FILE} holds {have} bytes but the loaded ROM image has {blocks} blocks; re-insert it with `spindle mock insert {} --media … --image FILE`",
                    self.dir.display()
                )));
            }
        }
        Ok(())
    }

    /// Writes `state.json` in place with a single `pwrite`, padded with spaces (JSON
    /// whitespace) to the old length, so that at every moment the file holds one complete
    /// state even if the process dies; skipped when the content is unchanged. Not durable
    /// across a real crash of the machine, which the mock does not model. Must be called
    /// with the lock.
    pub(crate) fn save(&self, st: &DriveState) -> Result<()> {
        let text = serde_json::to_vec_pretty(st)
            .map_err(|e| Error::io("cannot encode mock state", std::io::Error::other(e)))?;
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.as_ref().is_some_and(|c| holds(&c.text, &text)) {
            return Ok(());
        }
        let path = self.path(STATE_FILE);
        let wrap = |e| Error::io(format!("cannot write {}", path.display()), e);
        let old_len = cache.as_ref().map(|c| c.text.len());
        // Invalidate first: if the write fails, the next load parses the file.
        *cache = None;
        let file = self.file(STATE_FILE)?;
        // The cache holds what the file holds (load refreshed it under this lock).
        let old = match old_len {
            Some(n) => n,
            None => usize::try_from(file.metadata().map_err(wrap)?.len()).unwrap_or(usize::MAX),
        };
        let mut padded = text.clone();
        if padded.len() < old {
            padded.resize(old, b' ');
        }
        file.write_all_at(&padded, 0).map_err(wrap)?;
        if padded.len() - text.len() > MAX_PADDING {
            file.set_len(text.len() as u64).map_err(wrap)?;
            padded = text;
        }
        *cache = Some(Cached {
            text: padded,
            state: st.clone(),
        });
        Ok(())
    }

    /// Locks, loads, applies `f`, saves.
    pub(crate) fn update<R>(&self, f: impl FnOnce(&mut DriveState) -> R) -> Result<R> {
        self.check_exists()?;
        let _lock = self.lock()?;
        let mut st = self.load()?;
        let r = f(&mut st);
        self.save(&st)?;
        Ok(r)
    }

    /// Locks and loads, for a look without changes.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&DriveState) -> R) -> Result<R> {
        self.check_exists()?;
        let _lock = self.lock()?;
        Ok(f(&self.load()?))
    }

    /// Reads `buf.len()` bytes of `name` at `offset`; bytes past the end of the file read as
    /// zero (the image is sparse).
    pub(crate) fn read_at(&self, name: &'static str, offset: u64, buf: &mut [u8]) -> Result<()> {
        buf.fill(0);
        let Some(file) = self.open_file(name, false)? else {
            return Ok(());
        };
        let mut done = 0;
        while done < buf.len() {
            let Some(rest) = buf.get_mut(done..) else {
                break;
            };
            match file.read_at(rest, offset + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == IoKind::Interrupted => {}
                Err(e) => {
                    return Err(Error::io(
                        format!("cannot read {}", self.path(name).display()),
                        e,
                    ))
                }
            }
        }
        Ok(())
    }

    /// The whole of a file, `None` if it does not exist.
    fn read_all(&self, name: &'static str) -> Result<Option<Vec<u8>>> {
        let Some(file) = self.open_file(name, false)? else {
            return Ok(None);
        };
        let len = file
            .metadata()
            .map_err(|e| Error::io(format!("cannot stat {}", self.path(name).display()), e))?
            .len();
        let mut text = vec![0u8; usize::try_from(len).unwrap_or(0)];
        self.read_at(name, 0, &mut text)?;
        Ok(Some(text))
    }

    pub(crate) fn write_at(&self, name: &'static str, offset: u64, data: &[u8]) -> Result<()> {
        let wrap = |e| Error::io(format!("cannot write {}", self.path(name).display()), e);
        let file = self.file(name)?;
        file.write_all_at(data, offset).map_err(wrap)
    }

    /// The length of a data file (0 if it does not exist).
    pub(crate) fn len(&self, name: &'static str) -> Result<u64> {
        match self.open_file(name, false)? {
            Some(f) => f
                .metadata()
                .map(|m| m.len())
                .map_err(|e| Error::io(format!("cannot stat {}", self.path(name).display()), e)),
            None => Ok(0),
        }
    }

    /// Cuts a data file to `len` bytes (or extends it with a hole), creating it if needed.
    pub(crate) fn set_len(&self, name: &'static str, len: u64) -> Result<()> {
        let wrap = |e| Error::io(format!("cannot resize {}", self.path(name).display()), e);
        let file = self.file(name)?;
        file.set_len(len).map_err(wrap)
    }

    /// Empties a data file (creating it if needed).
    pub(crate) fn truncate(&self, name: &'static str) -> Result<()> {
        self.set_len(name, 0)
    }

    /// Replaces `media.img` with a copy of a ROM image. `std::fs::copy` uses
    /// `copy_file_range`, which shares extents on filesystems that support reflinks.
    pub(crate) fn install_image(&self, image: &Path) -> Result<u64> {
        let dst = self.path(MEDIA_FILE);
        self.forget_files(&[MEDIA_FILE]);
        fs::copy(image, &dst).map_err(|e| {
            Error::io(
                format!("cannot copy image {} to {}", image.display(), dst.display()),
                e,
            )
        })
    }

    pub(crate) fn rename(&self, from: &str, to: &str) -> Result<()> {
        self.forget_files(&[from, to]);
        let (a, b) = (self.path(from), self.path(to));
        fs::rename(&a, &b).map_err(|e| {
            Error::io(
                format!("cannot rename {} to {}", a.display(), b.display()),
                e,
            )
        })
    }

    /// Appends one line to `transcript.log`, with a single write.
    pub(crate) fn append_transcript(&self, line: &str) -> Result<()> {
        let mut text = String::with_capacity(line.len() + 1);
        text.push_str(line);
        text.push('\n');
        let wrap = |e| {
            Error::io(
                format!("cannot append to {}", self.path(TRANSCRIPT_FILE).display()),
                e,
            )
        };
        let file = self.file(TRANSCRIPT_FILE)?;
        (&*file).write_all(text.as_bytes()).map_err(wrap)
    }

    /// Removes the data files of a previous drive in this directory.
    pub(crate) fn remove_data(&self) -> Result<()> {
        self.forget_files(&[MEDIA_FILE, UNDO_FILE, TRANSCRIPT_FILE]);
        for name in [
            MEDIA_FILE,
            UNDO_FILE,
            TRANSCRIPT_FILE,
            "undo.bin.tmp",
            "state.json.tmp",
            // Names used by earlier layouts.
            "buffer.bin",
            "buffer.bin.tmp",
        ] {
            let path = self.path(name);
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == IoKind::NotFound => {}
                Err(e) => return Err(Error::io(format!("cannot remove {}", path.display()), e)),
            }
        }
        Ok(())
    }
}

/// `file` is `json` followed by nothing but padding spaces.
fn holds(file: &[u8], json: &[u8]) -> bool {
    file.get(..json.len()) == Some(json)
        && file
            .get(json.len()..)
            .is_some_and(|rest| rest.iter().all(|&b| b == b' '))
}
