//! Linux SG_IO on `/dev/srN` (the block node, preferred) and `/dev/sgN`.
//!
//! Opening follows docs/mmc-notes.md §1.7: `O_RDWR | O_NONBLOCK` so the cdrom layer neither closes the
//! tray nor refuses an empty drive, falling back to read-only where write access is denied
//! (then only read-class commands pass the kernel's command filter), and `O_EXCL` on request.

use std::fs::{File, OpenOptions as FsOpenOptions};
use std::os::fd::AsFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::{
    Completion, DataPhase, Error, ErrorKind, Request, Result, ScsiStatus, SenseBytes, Transport,
};

#[allow(unsafe_code)]
mod sys;

/// The transfer size assumed when sysfs does not say (libburn's transport buffer).
const DEFAULT_MAX_TRANSFER: usize = 64 * 1024;
/// Linux device majors: SCSI CD-ROM (sr) and SCSI generic (sg).
const SCSI_CDROM_MAJOR: u64 = 11;
const SCSI_GENERIC_MAJOR: u64 = 21;

/// How to open a device node.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Claim the device exclusively (`O_EXCL`): fails with [`ErrorKind::Busy`] if it is
    /// mounted or another burner holds it.
    pub exclusive: bool,
    /// Open read-only from the start. Without it, a write-access open is tried first and
    /// read-only is the fallback when write access is denied.
    pub read_only: bool,
}

/// An MMC device reached through the SG_IO ioctl.
#[derive(Debug)]
pub struct SgDevice {
    file: File,
    name: String,
    writable: bool,
    max_transfer: usize,
}

impl SgDevice {
    /// Opens `path` (`/dev/srN`, `/dev/sgN`, or a link to one).
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] for a missing node, [`ErrorKind::PermissionDenied`] with the
    /// group to join, [`ErrorKind::NotMmc`] for a directory, a regular file or a node that
    /// does not speak SG_IO, [`ErrorKind::Busy`] when `exclusive` loses.
    pub fn open(path: impl AsRef<Path>, opts: &OpenOptions) -> Result<SgDevice> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|e| open_error(path, &e))?;
        let ft = meta.file_type();
        if ft.is_dir() {
            return Err(not_mmc(path, "is a directory, not a device node; give a drive such as /dev/sr0 (run `mmc-probe` with no argument to list them)"));
        }
        if ft.is_file() {
            return Err(not_mmc(path, "is a regular file, not a device node; to use an image file with the mock drive, load it with `spindle mock new DIR --media cd-rom --image FILE` and use mock:DIR"));
        }
        if !ft.is_block_device() && !ft.is_char_device() {
            return Err(not_mmc(path, "is not a device node"));
        }

        let mut writable = !opts.read_only;
        let file = match open_node(path, writable, opts.exclusive) {
            Ok(f) => f,
            Err(e)
                if writable
                    && matches!(
                        e.raw_os_error(),
                        Some(libc::EACCES) | Some(libc::EROFS) | Some(libc::EPERM)
                    ) =>
            {
                log::warn!("{name}: no write access ({e}); opening read-only, so only read commands will pass the kernel's filter");
                writable = false;
                open_node(path, false, opts.exclusive).map_err(|e| open_error(path, &e))?
            }
            Err(e) => return Err(open_error(path, &e)),
        };
        match sys::version_num(file.as_fd()) {
            Ok(v) if v >= 30000 => {}
            Ok(v) => {
                return Err(not_mmc(
                    path,
                    &format!(
                        "speaks SG interface version {v}; version 3 (30000) or later is needed"
                    ),
                ));
            }
            Err(_) => {
                return Err(not_mmc(path, "does not accept SG_IO (not a SCSI or ATAPI device); give an optical drive such as /dev/sr0"));
            }
        }
        let max_transfer =
            sysfs_max_transfer(meta.rdev(), ft.is_block_device()).unwrap_or(DEFAULT_MAX_TRANSFER);
        log::debug!(
            "{name}: opened {} (max transfer {max_transfer} bytes)",
            if writable { "read-write" } else { "read-only" }
        );
        Ok(SgDevice {
            file,
            name,
            writable,
            max_transfer,
        })
    }

    /// False when the node was opened read-only (write-class commands will be refused by the
    /// kernel with EPERM).
    pub fn is_writable(&self) -> bool {
        self.writable
    }
}

fn open_node(path: &Path, write: bool, exclusive: bool) -> std::io::Result<File> {
    let mut flags = libc::O_NONBLOCK | libc::O_CLOEXEC;
    if exclusive {
        flags |= libc::O_EXCL;
    }
    FsOpenOptions::new()
        .read(true)
        .write(write)
        .custom_flags(flags)
        .open(path)
}

fn not_mmc(path: &Path, why: &str) -> Error {
    Error::Open {
        path: path.to_path_buf(),
        kind: ErrorKind::NotMmc,
        reason: why.to_string(),
        source: None,
    }
}

fn open_error(path: &Path, e: &std::io::Error) -> Error {
    let (kind, reason) = match e.raw_os_error() {
        Some(libc::ENOENT) | Some(libc::ENOTDIR) => (
            ErrorKind::NotFound,
            "no such device; run `mmc-probe` with no argument to list the drives".to_string(),
        ),
        Some(libc::ENXIO) | Some(libc::ENODEV) => (
            ErrorKind::NotFound,
            "the node exists but no device is behind it (driver not loaded, or the drive was unplugged)".to_string(),
        ),
        Some(libc::EACCES) | Some(libc::EPERM) => (ErrorKind::PermissionDenied, permission_advice(path)),
        Some(libc::EBUSY) => (
            ErrorKind::Busy,
            "the device is busy: it is mounted or another program holds it exclusively; unmount it or stop that program".to_string(),
        ),
        _ => (ErrorKind::Other, e.to_string()),
    };
    Error::Open {
        path: path.to_path_buf(),
        kind,
        reason,
        source: Some(std::io::Error::from_raw_os_error(
            e.raw_os_error().unwrap_or(0),
        )),
    }
}

/// Says which group owns the node, since that is what an admin needs to fix it.
fn permission_advice(path: &Path) -> String {
    let group = std::fs::metadata(path)
        .ok()
        .and_then(|m| {
            nix::unistd::Group::from_gid(nix::unistd::Gid::from_raw(m.gid()))
                .ok()
                .flatten()
        })
        .map(|g| g.name);
    match group {
        Some(g) => format!("permission denied; add your user to the '{g}' group (for example `sudo usermod -aG {g} $USER`, then log in again)"),
        None => "permission denied; ask your administrator for read-write access to the drive's node".to_string(),
    }
}

/// Reads the hard transfer limit from sysfs (`queue/max_hw_sectors_kb`): larger requests
/// fail with EIO before reaching the drive (docs/mmc-notes.md §1.6).
fn sysfs_max_transfer(rdev: u64, is_block: bool) -> Option<usize> {
    let (major, minor) = (libc_major(rdev), libc_minor(rdev));
    let queue = if is_block && major == SCSI_CDROM_MAJOR {
        PathBuf::from(format!(
            "/sys/dev/block/{major}:{minor}/queue/max_hw_sectors_kb"
        ))
    } else if !is_block && major == SCSI_GENERIC_MAJOR {
        // An sg node has no queue of its own; use its sibling block device's, if any.
        let dev = PathBuf::from(format!("/sys/dev/char/{major}:{minor}/device/block"));
        let blk = std::fs::read_dir(dev).ok()?.flatten().next()?.path();
        blk.join("queue/max_hw_sectors_kb")
    } else {
        return None;
    };
    let kb: usize = std::fs::read_to_string(queue).ok()?.trim().parse().ok()?;
    Some((kb * 1024).max(2048))
}

/// The major number of a device number (glibc's `gnu_dev_major`).
pub(crate) fn dev_major(rdev: u64) -> u64 {
    libc_major(rdev)
}

/// The minor number of a device number (glibc's `gnu_dev_minor`).
pub(crate) fn dev_minor(rdev: u64) -> u64 {
    libc_minor(rdev)
}

fn libc_major(rdev: u64) -> u64 {
    ((rdev >> 32) & 0xffff_f000) | ((rdev >> 8) & 0x0000_0fff)
}

fn libc_minor(rdev: u64) -> u64 {
    ((rdev >> 12) & 0xffff_ff00) | (rdev & 0x0000_00ff)
}

impl Transport for SgDevice {
    fn execute(&mut self, req: Request<'_>) -> Result<Completion> {
        let opcode = req.cdb.first().copied().unwrap_or(0);
        if !(6..=16).contains(&req.cdb.len()) {
            return Err(Error::InvalidRequest(format!(
                "CDB of {} bytes; SG_IO takes 6 to 16",
                req.cdb.len()
            )));
        }
        if req.data.len() > self.max_transfer {
            return Err(Error::InvalidRequest(format!(
                "{}: {} bytes in one command exceeds the device's limit of {} bytes",
                self.name,
                req.data.len(),
                self.max_transfer
            )));
        }
        let timeout_ms = u32::try_from(req.timeout.as_millis())
            .unwrap_or(u32::MAX)
            .max(1);
        let dir = match req.data {
            DataPhase::None => sys::Dir::None,
            DataPhase::In(b) => sys::Dir::In(b),
            DataPhase::Out(b) => sys::Dir::Out(b),
        };
        let mut sense = [0u8; 64];
        let out = sys::execute(self.file.as_fd(), req.cdb, dir, timeout_ms, &mut sense).map_err(
            |errno| Error::Ioctl {
                device: self.name.clone(),
                opcode,
                source: std::io::Error::from_raw_os_error(errno as i32),
            },
        )?;
        // Evaluation order of docs/mmc-notes.md §1.3: host status, driver status, then SAM status.
        const DID_TIME_OUT: u16 = 0x03;
        const DRIVER_TIMEOUT: u16 = 0x06;
        if out.host_status == DID_TIME_OUT || out.driver_status & 0x0f == DRIVER_TIMEOUT {
            return Err(Error::Timeout {
                device: self.name.clone(),
                opcode,
                timeout_ms: u64::from(timeout_ms),
            });
        }
        if out.host_status != 0 {
            return Err(Error::HostStatus {
                device: self.name.clone(),
                opcode,
                host_status: out.host_status,
            });
        }
        let sense = SenseBytes::new(sense.get(..out.sense_len).unwrap_or(&[]));
        let mut status = ScsiStatus(out.status);
        // Some stacks deliver sense with status 0 and DRIVER_SENSE set; treat it as the
        // CHECK CONDITION it is.
        if status == ScsiStatus::GOOD && !sense.is_empty() && out.driver_status & 0x08 != 0 {
            status = ScsiStatus::CHECK_CONDITION;
        }
        Ok(Completion {
            status,
            sense,
            residual: out.resid,
        })
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn max_transfer(&self) -> usize {
        self.max_transfer
    }
}

/// Default timeout for ordinary commands (libburn uses 30 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_node_is_not_found() {
        let e = SgDevice::open("/dev/does-not-exist-sr9", &OpenOptions::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert!(e.to_string().contains("mmc-probe"), "{e}");
    }

    #[test]
    fn directory_is_not_mmc() {
        let d = tempfile::tempdir().unwrap();
        let e = SgDevice::open(d.path(), &OpenOptions::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotMmc);
        assert!(e.to_string().contains("is a directory"), "{e}");
    }

    #[test]
    fn regular_file_is_not_mmc() {
        let f = tempfile::NamedTempFile::new().unwrap();
        let e = SgDevice::open(f.path(), &OpenOptions::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotMmc);
        assert!(e.to_string().contains("regular file"), "{e}");
    }

    #[test]
    fn dev_null_is_not_mmc() {
        let e = SgDevice::open("/dev/null", &OpenOptions::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotMmc, "{e}");
        assert!(e.to_string().contains("SG_IO"), "{e}");
    }

    #[test]
    fn major_minor_split_matches_glibc() {
        // makedev(11, 0) and makedev(21, 3) as glibc encodes them.
        assert_eq!((libc_major(0xb00), libc_minor(0xb00)), (11, 0));
        assert_eq!((libc_major(0x1503), libc_minor(0x1503)), (21, 3));
        let big = libc::makedev(259, 70000);
        assert_eq!((libc_major(big), libc_minor(big)), (259, 70000));
    }
}
