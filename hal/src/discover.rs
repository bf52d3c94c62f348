//! Finds the optical drives the kernel knows, from sysfs (docs/mmc-notes.md §1.9).
//!
//! A drive is a SCSI device of peripheral type 5. It normally has a block node `srN`
//! (sr_mod) and a generic node `sgM` (sg); either may be missing when its driver is not
//! loaded, so both directions are walked.

use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// One optical drive found in sysfs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "mock", derive(serde::Serialize))]
pub struct DriveNode {
    /// `/dev/srN`, when sr_mod is bound.
    pub block: Option<PathBuf>,
    /// `/dev/sgN`, when the sg driver is loaded.
    pub sg: Option<PathBuf>,
    /// The SCSI address `host:channel:target:lun`.
    pub hctl: String,
    /// INQUIRY vendor as the kernel cached it.
    pub vendor: String,
    /// INQUIRY product.
    pub product: String,
    /// INQUIRY revision.
    pub revision: String,
}

impl DriveNode {
    /// The node to use for SG_IO: the block node when present (docs/mmc-notes.md §1.8), else sg.
    pub fn preferred(&self) -> Option<&Path> {
        self.block.as_deref().or(self.sg.as_deref())
    }
}

/// Lists the optical drives on this machine, ordered by SCSI address.
///
/// # Errors
/// Only when sysfs itself cannot be read; a machine without drives gives an empty list.
pub fn list() -> Result<Vec<DriveNode>> {
    list_in(Path::new("/sys"), Path::new("/dev"))
}

/// [`list`] against another sysfs root and device directory (for tests).
///
/// # Errors
/// When `sysfs/bus/scsi/devices` exists but cannot be read.
pub fn list_in(sysfs: &Path, dev: &Path) -> Result<Vec<DriveNode>> {
    let devices = sysfs.join("bus/scsi/devices");
    let entries = match std::fs::read_dir(&devices) {
        Ok(e) => e,
        // No SCSI subsystem at all: no drives, not an error.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(format!("reading {}", devices.display()), e)),
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let dir = entry.path();
        let hctl = entry.file_name().to_string_lossy().into_owned();
        // Hosts and targets also live here; devices are the H:C:T:L entries.
        if hctl.split(':').count() != 4 {
            continue;
        }
        if read_trim(&dir.join("type")).as_deref() != Some("5") {
            continue;
        }
        let block = first_child(&dir.join("block")).or_else(|| legacy_child(&dir, "block:"));
        let sg =
            first_child(&dir.join("scsi_generic")).or_else(|| legacy_child(&dir, "scsi_generic:"));
        found.push(DriveNode {
            block: block.map(|n| dev.join(n)),
            sg: sg.map(|n| dev.join(n)),
            vendor: read_trim(&dir.join("vendor")).unwrap_or_default(),
            product: read_trim(&dir.join("model")).unwrap_or_default(),
            revision: read_trim(&dir.join("rev")).unwrap_or_default(),
            hctl,
        });
    }
    found.sort_by_key(|d| hctl_key(&d.hctl));
    Ok(found)
}

fn read_trim(p: &Path) -> Option<String> {
    std::fs::read_to_string(p)
        .ok()
        .map(|s| s.trim().to_string())
}

fn first_child(dir: &Path) -> Option<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names.into_iter().next()
}

/// Old kernels (CONFIG_SYSFS_DEPRECATED) name the link `block:sr0` in the device dir.
fn legacy_child(dir: &Path, prefix: &str) -> Option<String> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_string_lossy()
                .strip_prefix(prefix)
                .map(str::to_string)
        })
        .next()
}

fn hctl_key(hctl: &str) -> Vec<u64> {
    hctl.split(':')
        .map(|p| p.parse().unwrap_or(u64::MAX))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn device(root: &Path, hctl: &str, ty: &str, block: Option<&str>, sg: Option<&str>) {
        let d = root.join("bus/scsi/devices").join(hctl);
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join("type"), format!("{ty}\n")).unwrap();
        fs::write(d.join("vendor"), "QEMU    \n").unwrap();
        fs::write(d.join("model"), "QEMU CD-ROM     \n").unwrap();
        fs::write(d.join("rev"), "2.5+\n").unwrap();
        if let Some(b) = block {
            fs::create_dir_all(d.join("block").join(b)).unwrap();
        }
        if let Some(s) = sg {
            fs::create_dir_all(d.join("scsi_generic").join(s)).unwrap();
        }
    }

    #[test]
    fn finds_type_5_devices_only_in_address_order() {
        let t = tempfile::tempdir().unwrap();
        device(t.path(), "2:0:1:0", "5", Some("sr1"), Some("sg2"));
        device(t.path(), "2:0:0:0", "5", Some("sr0"), None);
        device(t.path(), "0:0:0:0", "0", Some("sda"), Some("sg0"));
        device(t.path(), "10:0:0:0", "5", None, Some("sg5"));
        fs::create_dir_all(t.path().join("bus/scsi/devices/host0")).unwrap();
        let got = list_in(t.path(), Path::new("/dev")).unwrap();
        let names: Vec<_> = got
            .iter()
            .map(|d| (d.hctl.as_str(), d.block.clone(), d.sg.clone()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("2:0:0:0", Some(PathBuf::from("/dev/sr0")), None),
                (
                    "2:0:1:0",
                    Some(PathBuf::from("/dev/sr1")),
                    Some(PathBuf::from("/dev/sg2"))
                ),
                ("10:0:0:0", None, Some(PathBuf::from("/dev/sg5"))),
            ]
        );
        assert_eq!(got[0].vendor, "QEMU");
        assert_eq!(got[0].product, "QEMU CD-ROM");
        assert_eq!(got[2].preferred(), Some(Path::new("/dev/sg5")));
    }

    #[test]
    fn no_scsi_subsystem_is_an_empty_list() {
        let t = tempfile::tempdir().unwrap();
        assert!(list_in(t.path(), Path::new("/dev")).unwrap().is_empty());
    }
}
