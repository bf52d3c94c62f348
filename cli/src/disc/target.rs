//! What a TARGET or DEVICE argument names: the one classifier every command uses.
//!
//! | spelling | target |
//! |---|---|
//! | `mock:DIR` | the mock drive in DIR |
//! | a directory holding a mock drive (`DIR/state.json`) | the same, so tools that need a path without a colon (duplicity's `XORRISO_ARGS`) can name a mock |
//! | a block or character device node, or any path under `/dev/` | a drive (`/dev/srN`, `/dev/sgN`, `/dev/cdrom`) |
//! | `stdio:PATH` (xorriso's spelling) or any other path | an ISO image file, used as an overwritable medium; it need not exist yet |
//!
//! A directory that holds no mock drive is refused here, with what to do, rather than
//! later as "is a directory" or "not a regular file".

use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::bail;
use mmc::Drive;

/// The drive type every command uses.
pub type AnyDrive = Drive<Box<dyn hal::Transport>>;

/// What a target argument names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A drive, named as `hal::open` takes it: `/dev/srN`, `/dev/sgN`, or `mock:DIR`.
    Drive(String),
    /// An ISO image file, used as an overwritable medium.
    Image(PathBuf),
}

impl Target {
    /// Classifies `spec` (see the [module documentation](self)).
    ///
    /// # Errors
    /// A directory that does not hold a mock drive.
    pub fn parse(spec: &str) -> anyhow::Result<Target> {
        if spec.starts_with("mock:") {
            return Ok(Target::Drive(spec.to_owned()));
        }
        if let Some(p) = spec.strip_prefix("stdio:") {
            return Ok(Target::Image(PathBuf::from(p)));
        }
        let p = Path::new(spec);
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => {
                if p.join(hal::mock::STATE_FILE).is_file() {
                    Ok(Target::Drive(format!("mock:{spec}")))
                } else {
                    bail!(
                        "{spec}: is a directory that holds no mock drive; name a drive (/dev/srN, /dev/sgN), a mock drive (mock:DIR, made with `spindle mock new DIR --media …`) or an image file"
                    )
                }
            }
            Ok(m) if m.file_type().is_block_device() || m.file_type().is_char_device() => {
                Ok(Target::Drive(spec.to_owned()))
            }
            _ if spec.starts_with("/dev/") => Ok(Target::Drive(spec.to_owned())),
            _ => Ok(Target::Image(p.to_path_buf())),
        }
    }

    /// The name as the user reads it and as the drive layer takes it.
    pub fn name(&self) -> String {
        match self {
            Target::Image(p) => p.display().to_string(),
            Target::Drive(d) => d.clone(),
        }
    }

    /// Whether this is an image file.
    pub fn is_image(&self) -> bool {
        matches!(self, Target::Image(_))
    }

    /// Whether this is a mock drive.
    pub fn is_mock(&self) -> bool {
        matches!(self, Target::Drive(d) if d.starts_with("mock:"))
    }

    /// Opens the drive. `what` names the command, for the error an image file gets.
    ///
    /// # Errors
    /// An image file (`what` needs a drive); open failures (no such device, permission,
    /// not an optical drive, busy), each with its own [`hal::ErrorKind`].
    pub fn open_drive(&self, what: &str) -> anyhow::Result<AnyDrive> {
        match self {
            Target::Drive(d) => open_drive_name(d, false),
            Target::Image(p) => bail!(
                "{}: is {}; {what} needs a drive (/dev/srN, /dev/sgN, mock:DIR)",
                p.display(),
                if p.exists() {
                    "an image file"
                } else {
                    "no drive (no such file)"
                }
            ),
        }
    }
}

/// Refuses a drive whose medium is mounted, as Cedar Backup does: writing under a mounted
/// filesystem leaves the kernel with stale caches of what it thinks is on the disc. The
/// mount table is matched by device number, so every name of the drive counts: `/dev/srN`,
/// the `/dev/cdrom` and `/dev/dvd` links, and the `/dev/sgN` node of the same drive.
///
/// # Errors
/// The mount point and the name it was mounted by, as a busy device (exit 14).
pub fn refuse_if_mounted(name: &str) -> anyhow::Result<()> {
    refuse_if_mounted_in(name, Path::new("/proc/self/mountinfo"))
}

fn refuse_if_mounted_in(name: &str, mountinfo: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt;
    if name.starts_with("mock:") {
        return Ok(());
    }
    let Ok(real) = std::fs::canonicalize(name) else {
        // Opening it will say what is wrong with the name.
        return Ok(());
    };
    let mut nodes = vec![real.clone()];
    if let Ok(drives) = hal::discover::list() {
        for d in drives {
            if d.sg.as_deref() == Some(real.as_path()) || d.block.as_deref() == Some(real.as_path())
            {
                nodes.extend(d.block);
            }
        }
    }
    let devices: Vec<(u64, u64)> = nodes
        .iter()
        .filter_map(|n| std::fs::metadata(n).ok())
        .filter(|m| m.file_type().is_block_device())
        .map(|m| {
            let r = m.rdev();
            (nix::sys::stat::major(r), nix::sys::stat::minor(r))
        })
        .collect();
    if devices.is_empty() {
        return Ok(());
    }
    let table = std::fs::read_to_string(mountinfo).unwrap_or_default();
    for line in table.lines() {
        // ID PARENT MAJOR:MINOR ROOT MOUNT_POINT OPTIONS [OPTIONAL…] - FSTYPE SOURCE SUPER
        let f: Vec<&str> = line.split(' ').collect();
        let Some((maj, min)) = f.get(2).and_then(|d| d.split_once(':')) else {
            continue;
        };
        let (Ok(maj), Ok(min)) = (maj.parse::<u64>(), min.parse::<u64>()) else {
            continue;
        };
        if !devices.contains(&(maj, min)) {
            continue;
        }
        let point = f.get(4).copied().unwrap_or("?").replace("\\040", " ");
        let source = line
            .split(" - ")
            .nth(1)
            .and_then(|t| t.split(' ').nth(1))
            .unwrap_or("?");
        return Err(anyhow::Error::new(hal::Error::Open {
            path: PathBuf::from(name),
            kind: hal::ErrorKind::Busy,
            reason: format!(
                "the medium is mounted on {point} (as {source}); unmount it first (`umount {point}`)"
            ),
            source: None,
        }));
    }
    Ok(())
}

/// Parses `spec` and opens it as a drive to write to: refused while its medium is mounted
/// ([`refuse_if_mounted`]).
///
/// # Errors
/// As [`open_drive`]; a mounted medium (busy).
pub fn open_writer(spec: &str, what: &str) -> anyhow::Result<AnyDrive> {
    match Target::parse(spec)? {
        Target::Drive(d) => {
            refuse_if_mounted(&d)?;
            open_drive_name(&d, true)
        }
        t => t.open_drive(what),
    }
}

/// Takes exclusive use of the drive `spec` names for as long as the returned lease lives
/// (nothing for image files): a command that opens its drive several times holds this
/// across all of them, so no other process gets in between ([`hal::lease`]).
///
/// # Errors
/// The drive is busy (another process holds it: [`hal::ErrorKind::Busy`], exit 14).
pub fn lease(spec: &str) -> anyhow::Result<Option<std::sync::Arc<hal::lease::Lease>>> {
    let Ok(Target::Drive(d)) = Target::parse(spec) else {
        return Ok(None);
    };
    let path = match d.strip_prefix("mock:") {
        Some(dir) if Path::new(dir).is_dir() => Path::new(dir).join(hal::mock::LEASE_FILE),
        Some(_) => return Ok(None),
        None => match hal::lease::sg_lock_path(Path::new(&d)) {
            Some(p) => p,
            None => return Ok(None),
        },
    };
    match hal::lease::acquire(&path, &d) {
        Ok(l) => Ok(Some(l)),
        Err(e) if e.kind() == hal::ErrorKind::Busy => Err(e.into()),
        Err(e) => {
            log::warn!("{d}: {e}; relying on the exclusive open alone");
            Ok(None)
        }
    }
}

/// Parses `spec` and opens it as a drive: [`Target::parse`] then [`Target::open_drive`].
///
/// # Errors
/// As those two.
pub fn open_drive(spec: &str, what: &str) -> anyhow::Result<AnyDrive> {
    Target::parse(spec)?.open_drive(what)
}

/// Opens a drive by the name `hal::open` takes. Mock drives finish Immed operations after a
/// count of polls, not after time, so they are polled without pauses.
fn open_drive_name(name: &str, exclusive: bool) -> anyhow::Result<AnyDrive> {
    let transport = if exclusive {
        hal::open_exclusive(name)?
    } else {
        hal::open(name)?
    };
    let mut d = Drive::new(transport);
    if name.starts_with("mock:") {
        d.set_policy(mmc::DrivePolicy {
            poll_interval: Duration::from_millis(1),
            ..mmc::DrivePolicy::default()
        });
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mounted_drive_is_refused_by_any_of_its_names() {
        // A block device this test can name: the root filesystem's, if it has one.
        let table = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let Some(dev) = table
            .lines()
            .filter_map(|l| l.split(" - ").nth(1)?.split(' ').nth(1).map(str::to_owned))
            .find(|s| s.starts_with("/dev/") && Path::new(s).exists())
        else {
            eprintln!("NOT RUN: no block-device mount to check against");
            return;
        };
        let e = refuse_if_mounted(&dev).unwrap_err();
        assert!(format!("{e:#}").contains("is mounted on"), "{e:#}");
        assert!(
            e.chain().any(|c| c
                .downcast_ref::<hal::Error>()
                .is_some_and(|h| h.kind() == hal::ErrorKind::Busy)),
            "{e:#}"
        );
        // The same device through a symlink, as /dev/cdrom is.
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("cdrom");
        std::os::unix::fs::symlink(&dev, &link).unwrap();
        assert!(refuse_if_mounted(link.to_str().unwrap()).is_err());
        // An empty mount table: nothing is mounted.
        let empty = dir.path().join("mountinfo");
        std::fs::write(&empty, "").unwrap();
        refuse_if_mounted_in(&dev, &empty).unwrap();
        refuse_if_mounted("mock:/nowhere").unwrap();
    }

    #[test]
    fn every_spelling_is_classified_once() {
        let dir = tempfile::tempdir().unwrap();
        let mock = dir.path().join("drive");
        std::fs::create_dir(&mock).unwrap();
        std::fs::write(mock.join(hal::mock::STATE_FILE), b"{}").unwrap();
        let plain = dir.path().join("plain");
        std::fs::create_dir(&plain).unwrap();
        let img = dir.path().join("a.iso");
        std::fs::write(&img, b"").unwrap();
        let m = mock.to_str().unwrap();
        assert_eq!(
            Target::parse(m).unwrap(),
            Target::Drive(format!("mock:{m}"))
        );
        assert_eq!(
            Target::parse("mock:/x").unwrap(),
            Target::Drive("mock:/x".into())
        );
        assert_eq!(
            Target::parse("/dev/sr7").unwrap(),
            Target::Drive("/dev/sr7".into())
        );
        assert_eq!(
            Target::parse("/dev/null").unwrap(),
            Target::Drive("/dev/null".into())
        );
        assert_eq!(
            Target::parse(img.to_str().unwrap()).unwrap(),
            Target::Image(img.clone())
        );
        assert_eq!(
            Target::parse("stdio:/tmp/new.iso").unwrap(),
            Target::Image("/tmp/new.iso".into())
        );
        assert_eq!(
            Target::parse("relative/new.iso").unwrap(),
            Target::Image("relative/new.iso".into())
        );
        let e = Target::parse(plain.to_str().unwrap()).unwrap_err();
        assert!(e.to_string().contains("holds no mock drive"), "{e}");
        let e = Target::parse(img.to_str().unwrap())
            .unwrap()
            .open_drive("close")
            .unwrap_err();
        assert!(e.to_string().contains("close needs a drive"), "{e}");
    }
}
