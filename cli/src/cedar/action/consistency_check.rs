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
//!
//! **Without the staging dir.** A staging dir that no longer exists when the check runs, or
//! that was purged (it holds no file while the disc holds the day's files), cannot be
//! compared with. Cedar then fails the check; spindle verifies the day against the MD5s the
//! disc records instead (the engine of `spindle check`, [`iso9660::Image::check_md5_below`]):
//! the session's checksum tags and array, and every file below the day's directory. It says
//! so in the log, with the session and the files checked. The check fails when the session
//! records no MD5s, when a file of the day has none (kept from a session written without
//! them), when a file or the session does not match, and when the day is not on the disc.

use std::path::{Path, PathBuf};

use anyhow::Context;
use iso9660::Md5Report;

use super::DailyDir;
use crate::disc::compare::{compare, digests_side_by_side, Mismatch};

/// Files named in one log line at most; the rest are counted.
const NAMED_FILES: usize = 50;

/// The check failed: the files named differ, or could not be verified.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CheckFailed {
    /// Days compared with their staging dirs that differ.
    pub mismatches: Vec<Mismatch>,
    /// Days verified against the disc's recorded MD5s that failed, and why.
    pub md5_failures: Vec<String>,
}

impl std::fmt::Display for CheckFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("consistency check failed: ")?;
        let mut v: Vec<String> = Vec::new();
        if !self.mismatches.is_empty() {
            v.push(format!(
                "the disc does not match the staging directories: {}",
                self.mismatches
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" | ")
            ));
        }
        v.extend(self.md5_failures.iter().cloned());
        f.write_str(&v.join(" | "))
    }
}

impl std::error::Error for CheckFailed {}

/// What the check did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Checked {
    /// The days (`YYYY/MM/DD`) verified against the disc's recorded MD5s because their
    /// staging dir was gone or purged; the others were compared with their staging dir.
    pub by_md5: Vec<String>,
}

/// Runs the check for the dirs just written to `device`.
///
/// # Errors
/// [`CheckFailed`] naming every file that differs or could not be verified; read errors.
pub fn check(device: &str, dirs: &[DailyDir]) -> anyhow::Result<Checked> {
    log::info!("consistency check: reading the last session of {device}");
    let mut image = crate::disc::session::open_last_session(device)
        .with_context(|| format!("{device}: reading the last session for the consistency check"))?;
    let mut failed = CheckFailed::default();
    let mut without_staging: Vec<&DailyDir> = Vec::new();
    for d in dirs {
        if !d.path.exists() {
            log::warn!(
                "consistency check: the staging dir {} no longer exists; /{} is verified \
                 against the MD5 checksums recorded on the disc instead",
                d.path.display(),
                d.suffix
            );
            without_staging.push(d);
            continue;
        }
        let (disc, local) = digests_side_by_side(&mut image, &d.suffix, &d.path)?;
        if local.is_empty() && disc.as_ref().is_some_and(|x| !x.is_empty()) {
            log::warn!(
                "consistency check: the staging dir {} holds no files any more (purged); /{} \
                 is verified against the MD5 checksums recorded on the disc instead",
                d.path.display(),
                d.suffix
            );
            without_staging.push(d);
            continue;
        }
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
            failed.mismatches.push(m);
        }
    }
    let mut checked = Checked::default();
    if !without_staging.is_empty() {
        let paths: Vec<PathBuf> = without_staging
            .iter()
            .map(|d| Path::new("/").join(&d.suffix))
            .collect();
        let report = image
            .check_md5_below(&paths)
            .with_context(|| format!("{device}: checking the recorded MD5s"))?;
        let session = session_verdict(device, &report);
        for d in without_staging {
            match verify_day(device, &d.suffix, &report, session.as_deref()) {
                Ok(()) => checked.by_md5.push(d.suffix.clone()),
                Err(why) => {
                    log::error!("consistency check: {why}");
                    failed.md5_failures.push(why);
                }
            }
        }
    }
    if failed.mismatches.is_empty() && failed.md5_failures.is_empty() {
        log::info!("consistency check succeeded");
        Ok(checked)
    } else {
        Err(failed.into())
    }
}

/// What is wrong with the session as a whole (its tags, session MD5, array, unreadable
/// blocks), or `None` when it all matches.
fn session_verdict(device: &str, r: &Md5Report) -> Option<String> {
    let mut bad: Vec<String> = Vec::new();
    for t in r.superblock_copy.iter().chain(&r.tags).filter(|t| !t.ok) {
        bad.push(match t.suspect {
            Some(s) => format!(
                "the {} tag at LBA {} does not match ({s})",
                t.kind.name(),
                t.lba
            ),
            None => format!("the {} tag at LBA {} does not match", t.kind.name(), t.lba),
        });
    }
    if r.session_ok == Some(false) {
        bad.push("the session does not match its recorded MD5".to_owned());
    }
    if r.array_ok == Some(false) {
        bad.push("the checksum array is damaged".to_owned());
    }
    bad.extend(
        r.problems
            .iter()
            .map(|p| format!("LBA {}: {}", p.lba, p.what)),
    );
    (!bad.is_empty()).then(|| {
        format!(
            "{device}: the session at LBA {} does not match its recorded checksums: {}",
            r.session_start,
            bad.join("; ")
        )
    })
}

fn names(paths: &[&Path]) -> String {
    let mut v: Vec<String> = paths
        .iter()
        .take(NAMED_FILES)
        .map(|p| format!("[{}]", p.display()))
        .collect();
    if paths.len() > NAMED_FILES {
        v.push(format!("and {} more", paths.len() - NAMED_FILES));
    }
    v.join(", ")
}

/// Verifies the day `suffix` from a report on its files (the staging dir being gone).
fn verify_day(
    device: &str,
    suffix: &str,
    r: &Md5Report,
    session: Option<&str>,
) -> Result<(), String> {
    if !r.has_checksums() {
        return Err(format!(
            "/{suffix}: its staging dir is gone and the last session of {device} records no \
             MD5 checksums (written without them, or by another program), so the day cannot \
             be verified: keep staging dirs until store has checked them (purge after store), \
             or compare the disc with a copy of the day's files with `spindle verify \
             {device} --tree {suffix}=COPY`"
        ));
    }
    let day = Path::new("/").join(suffix);
    let files: Vec<_> = r
        .files
        .iter()
        .filter(|f| f.path.starts_with(&day))
        .collect();
    let no_md5: Vec<&Path> = r
        .files_without_md5
        .iter()
        .filter(|p| p.starts_with(&day))
        .map(PathBuf::as_path)
        .collect();
    if files.is_empty() && no_md5.is_empty() {
        return Err(format!(
            "/{suffix}: its staging dir is gone and the day is not on {device} (no file below \
             /{suffix} in the session at LBA {})",
            r.session_start
        ));
    }
    let bad: Vec<String> = files
        .iter()
        .filter(|f| !f.ok)
        .map(|f| {
            let ranges: Vec<String> = f.ranges.iter().map(ToString::to_string).collect();
            format!("[{}] ({})", f.path.display(), ranges.join(", "))
        })
        .collect();
    let mut why: Vec<String> = Vec::new();
    if !bad.is_empty() {
        why.push(format!(
            "file contents do not match the MD5 recorded on the disc for {}",
            bad.join(", ")
        ));
    }
    if let Some(s) = session {
        why.push(s.to_owned());
    }
    if !no_md5.is_empty() {
        why.push(format!(
            "its staging dir is gone and these files have no MD5 recorded on the disc, so \
             they cannot be verified: {}; compare them with a copy of the day's files with \
             `spindle verify {device} --tree {suffix}=COPY`",
            names(&no_md5)
        ));
    }
    if !why.is_empty() {
        return Err(format!("/{suffix}: {}", why.join("; ")));
    }
    let ok: Vec<&Path> = files.iter().map(|f| f.path.as_path()).collect();
    log::info!(
        "consistency check: /{suffix} verified against the MD5s recorded on {device} (no \
         staging dir): the session at LBA {} matches its checksum tags, and {} files match \
         their MD5: {}",
        r.session_start,
        files.len(),
        names(&ok)
    );
    Ok(())
}
