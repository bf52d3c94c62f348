//! check_data: after a write, read the last session back through the drive and compare it
//! with the staging dirs that went into it (`docs/cedar-notes.md` §3.6).
//!
//! Cedar mounts the disc (root) and compares `<staging dir>` with `<mount>/<YYYY/MM/DD>`. Here
//! the last session's ISO 9660 + Rock Ridge tree is read with READ(10) through
//! [`crate::disc::session::open_last_session`]: no mount, no root, and no stale page cache.
//! The rules are Cedar's: regular files only, keyed by the path below the daily dir;
//! directories are not entries (empty ones are ignored) and symbolic links are left out;
//! the SHA-1 of each file is compared. Unlike Cedar, which stops at the first difference,
//! every file that differs is named.

use anyhow::Context;

use super::DailyDir;
use crate::disc::compare::{compare, digests_side_by_side, Mismatch};

/// The check failed: the files named differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckFailed(pub Vec<Mismatch>);

impl std::fmt::Display for CheckFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("consistency check failed: the disc does not match the staging directories: ")?;
        let v: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&v.join(" | "))
    }
}

impl std::error::Error for CheckFailed {}

/// Runs the check for the dirs just written to `device`.
///
/// # Errors
/// [`CheckFailed`] naming every file that differs; read errors.
pub fn check(device: &str, dirs: &[DailyDir]) -> anyhow::Result<()> {
    log::info!("consistency check: reading the last session of {device}");
    let mut image = crate::disc::session::open_last_session(device)
        .with_context(|| format!("{device}: reading the last session for the consistency check"))?;
    let mut failures = Vec::new();
    for d in dirs {
        let (disc, local) = digests_side_by_side(&mut image, &d.suffix, &d.path)?;
        let m = match disc {
            Some(disc) => compare(&d.suffix, &local, disc),
            // Nothing of the day on the disc: every staged file is missing.
            None => compare(&d.suffix, &local, Default::default()),
        };
        if m.is_empty() {
            log::info!(
                "consistency check: /{} matches {} ({} files)",
                d.suffix,
                d.path.display(),
                local.len()
            );
        } else {
            log::error!("consistency check: {m}");
            failures.push(m);
        }
    }
    if failures.is_empty() {
        log::info!("consistency check succeeded");
        Ok(())
    } else {
        Err(CheckFailed(failures).into())
    }
}
