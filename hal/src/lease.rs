//! Exclusive use of a drive across processes: an `flock(2)` on a lock file that names the
//! drive, held for as long as a [`Lease`] lives.
//!
//! A second process that wants the drive meanwhile gets [`ErrorKind::Busy`] at once, with
//! who holds it (the holder writes its pid and command line into the lock file). Within one
//! process, leases on one drive are shared ([`acquire`] hands out the live one), so nested
//! opens in one command never lock each other out.
//!
//! Lock files: a mock drive's is `DIR/drive.lease`; a real drive's is
//! `/run/lock/spindle-MAJOR-MINOR.lock`, named by the block device (an sg node's sibling sr
//! node), so `/dev/sr0` and its `/dev/sgN` are one drive. The kernel's `O_EXCL` on the node
//! keeps out other programs (a mount, another burner); the lock file keeps out other
//! spindles between their opens, and says who they are.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use nix::fcntl::{Flock, FlockArg};

use crate::{Error, ErrorKind, Result};

/// Exclusive use of one drive; released when the last clone is dropped.
#[derive(Debug)]
pub struct Lease {
    path: PathBuf,
    _lock: Flock<File>,
}

impl Lease {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Leases this process holds, by lock file.
static HELD: Mutex<Vec<(PathBuf, Weak<Lease>)>> = Mutex::new(Vec::new());

/// Whether this process holds a lease on `lock_path` now.
pub fn is_held(lock_path: &Path) -> bool {
    let held = HELD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    held.iter()
        .any(|(p, w)| p == lock_path && w.strong_count() > 0)
}

/// Takes (or shares, within this process) the lease on the drive `device` whose lock file is
/// `lock_path`.
///
/// # Errors
/// [`ErrorKind::Busy`] when another process holds it, naming that process when it wrote
/// itself down; [`ErrorKind::Other`] when the lock file cannot be made.
pub fn acquire(lock_path: &Path, device: &str) -> Result<Arc<Lease>> {
    let mut held = HELD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    held.retain(|(_, w)| w.strong_count() > 0);
    if let Some(l) = held
        .iter()
        .find(|(p, _)| p == lock_path)
        .and_then(|(_, w)| w.upgrade())
    {
        return Ok(l);
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(lock_path)
        .or_else(|_| {
            // Someone else's lock file (another user's spindle): locking needs only read
            // access; we just cannot sign it.
            OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                .open(lock_path)
        })
        .map_err(|e| Error::io("cannot open the drive's lock file", e))?;
    let mut lock = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(l) => l,
        Err((mut file, nix::errno::Errno::EWOULDBLOCK)) => {
            let mut who = String::new();
            let _ = file.read_to_string(&mut who);
            let who = who.trim();
            let reason = if who.is_empty() {
                "another spindle is using this drive; wait for it to finish".to_owned()
            } else {
                format!("in use by {who}; wait for it to finish")
            };
            return Err(Error::Open {
                path: PathBuf::from(device),
                kind: ErrorKind::Busy,
                reason,
                source: None,
            });
        }
        Err((_, errno)) => {
            return Err(Error::io(
                "cannot lock the drive's lock file",
                std::io::Error::from(errno),
            ))
        }
    };
    // Sign the lock so a refused process can say who holds the drive.
    let me = format!(
        "pid {} ({})",
        std::process::id(),
        std::env::args().collect::<Vec<_>>().join(" ")
    );
    if lock.set_len(0).is_ok() && lock.rewind().is_ok() {
        let _ = lock.write_all(me.as_bytes());
    }
    let lease = Arc::new(Lease {
        path: lock_path.to_path_buf(),
        _lock: lock,
    });
    held.push((lock_path.to_path_buf(), Arc::downgrade(&lease)));
    Ok(lease)
}

/// The lock file of the real drive at `node`: by its block device, else by the node itself.
/// `None` when the node cannot be examined (the open that follows reports why).
pub fn sg_lock_path(node: &Path) -> Option<PathBuf> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let md = std::fs::metadata(node).ok()?;
    let rdev = md.rdev();
    let (mut major, mut minor) = (crate::sg::dev_major(rdev), crate::sg::dev_minor(rdev));
    if md.file_type().is_char_device() {
        // An sg node: its sibling sr node names the drive, when it has one.
        let dev = format!("/sys/dev/char/{major}:{minor}/device/block");
        if let Some(blk) = std::fs::read_dir(dev)
            .ok()
            .and_then(|mut d| d.next())
            .and_then(|e| e.ok())
        {
            if let Ok(text) = std::fs::read_to_string(blk.path().join("dev")) {
                if let Some((a, b)) = text.trim().split_once(':') {
                    if let (Ok(a), Ok(b)) = (a.parse(), b.parse()) {
                        (major, minor) = (a, b);
                    }
                }
            }
        }
    }
    let dir = ["/run/lock", "/var/lock"]
        .into_iter()
        .map(Path::new)
        .find(|d| d.is_dir())
        .map_or_else(std::env::temp_dir, Path::to_path_buf);
    Some(dir.join(format!("spindle-{major}-{minor}.lock")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_in_process_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("l");
        let a = acquire(&p, "d").unwrap();
        let b = acquire(&p, "d").unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert!(is_held(&p));
        drop((a, b));
        assert!(!is_held(&p));
        // A fresh lock (another open file description) is refused while one is held.
        let c = acquire(&p, "d").unwrap();
        let other = File::open(&p).unwrap();
        assert!(Flock::lock(other, FlockArg::LockExclusiveNonblock).is_err());
        let mut who = String::new();
        File::open(&p).unwrap().read_to_string(&mut who).unwrap();
        assert!(
            who.starts_with(&format!("pid {} ", std::process::id())),
            "{who}"
        );
        drop(c);
    }
}
