//! check_data: after a write, read the last session back through the drive and compare it
//! with the staging dirs that went into it (`cedar-duplicity.md` §3.6).
//!
//! Cedar mounts the disc (root) and compares `<staging dir>` with `<mount>/<YYYY/MM/DD>`. Here
//! the last session's ISO 9660 + Rock Ridge tree is read with READ(10) through
//! [`crate::disc_reader::open_last_session`]: no mount, no root, and no stale page cache.
//! The rules are Cedar's: regular files only, keyed by the path below the daily dir;
//! directories are not entries (empty ones are ignored) and symbolic links are left out;
//! the SHA-1 of each file is compared. Unlike Cedar, which stops at the first difference,
//! every file that differs is named.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha1::{Digest, Sha1};

use super::DailyDir;

type Digests = BTreeMap<PathBuf, [u8; 20]>;

/// How a staging dir and its copy on the disc differ.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mismatch {
    /// The daily dir (`YYYY/MM/DD`).
    pub suffix: String,
    /// Files in the staging dir that are not on the disc.
    pub missing_on_disc: Vec<PathBuf>,
    /// Files on the disc that are not in the staging dir.
    pub only_on_disc: Vec<PathBuf>,
    /// Files whose contents differ.
    pub differ: Vec<PathBuf>,
}

impl Mismatch {
    fn is_empty(&self) -> bool {
        self.missing_on_disc.is_empty() && self.only_on_disc.is_empty() && self.differ.is_empty()
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        let list = |v: &[PathBuf]| {
            v.iter()
                .map(|p| format!("[{}]", p.display()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !self.differ.is_empty() {
            parts.push(format!("file contents vary for {}", list(&self.differ)));
        }
        if !self.missing_on_disc.is_empty() {
            parts.push(format!("not on the disc: {}", list(&self.missing_on_disc)));
        }
        if !self.only_on_disc.is_empty() {
            parts.push(format!(
                "on the disc but not staged: {}",
                list(&self.only_on_disc)
            ));
        }
        write!(f, "/{}: {}", self.suffix, parts.join("; "))
    }
}

/// The check failed: the files named differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckFailed(pub Vec<Mismatch>);

impl fmt::Display for CheckFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("consistency check failed: the disc does not match the staging directories: ")?;
        let v: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&v.join(" | "))
    }
}

impl std::error::Error for CheckFailed {}

fn sha1_of(mut r: impl Read) -> std::io::Result<[u8; 20]> {
    let mut h = Sha1::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            return Ok(h.finalize().into());
        }
        h.update(buf.get(..n).unwrap_or(&[]));
    }
}

/// SHA-1 of one local file.
///
/// # Errors
/// The file cannot be read.
pub fn file_digest(path: &Path) -> anyhow::Result<[u8; 20]> {
    let f = std::fs::File::open(path).with_context(|| format!("{}", path.display()))?;
    sha1_of(f).with_context(|| format!("{}", path.display()))
}

/// SHA-1 of every regular file below `root`, keyed by the path relative to it.
///
/// # Errors
/// A directory or file cannot be read.
pub fn local_digests(root: &Path) -> anyhow::Result<Digests> {
    let mut out = Digests::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let dir = root.join(&rel);
        let rd = std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?;
        for e in rd {
            let e = e.with_context(|| format!("reading {}", dir.display()))?;
            let ft = e.file_type()?;
            let r = rel.join(e.file_name());
            if ft.is_dir() {
                stack.push(r);
            } else if ft.is_file() {
                let p = e.path();
                let f = std::fs::File::open(&p).with_context(|| format!("{}", p.display()))?;
                out.insert(r, sha1_of(f).with_context(|| format!("{}", p.display()))?);
            }
        }
    }
    Ok(out)
}

/// SHA-1 of every regular file below `dir` (a path in the image).
///
/// # Errors
/// `dir` is missing from the image, or the image cannot be read.
pub fn image_digests<R: Read + std::io::Seek>(
    image: &mut iso9660::Image<R>,
    dir: &str,
) -> anyhow::Result<Option<Digests>> {
    let top = match image.lookup(dir) {
        Ok(e) => e,
        Err(iso9660::Error::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("looking up /{dir} on the disc")),
    };
    let mut out = Digests::new();
    let mut stack = vec![(PathBuf::new(), top)];
    while let Some((rel, entry)) = stack.pop() {
        let kids = image
            .read_dir(&entry)
            .with_context(|| format!("reading /{dir}/{} on the disc", rel.display()))?;
        for k in kids {
            let r = rel.join(&k.name);
            match k.kind {
                iso9660::EntryKind::Directory => stack.push((r, k)),
                iso9660::EntryKind::File => {
                    let f = image
                        .open_file(&k)
                        .with_context(|| format!("opening /{dir}/{} on the disc", r.display()))?;
                    let d = sha1_of(f)
                        .with_context(|| format!("reading /{dir}/{} on the disc", r.display()))?;
                    out.insert(r, d);
                }
                _ => {}
            }
        }
    }
    Ok(Some(out))
}

/// Compares one staging dir's digests with the disc's.
pub fn compare(suffix: &str, local: &Digests, disc: &Digests) -> Mismatch {
    let mut m = Mismatch {
        suffix: suffix.to_owned(),
        ..Mismatch::default()
    };
    for (k, v) in local {
        match disc.get(k) {
            None => m.missing_on_disc.push(k.clone()),
            Some(d) if d != v => m.differ.push(k.clone()),
            Some(_) => {}
        }
    }
    m.only_on_disc = disc
        .keys()
        .filter(|k| !local.contains_key(*k))
        .cloned()
        .collect();
    m
}

/// Runs the check for the dirs just written to `device`.
///
/// # Errors
/// [`CheckFailed`] naming every file that differs; read errors.
pub fn check(device: &str, dirs: &[DailyDir]) -> anyhow::Result<()> {
    log::info!("consistency check: reading the last session of {device}");
    let mut image = crate::disc_reader::open_last_session(device)
        .with_context(|| format!("{device}: reading the last session for the consistency check"))?;
    let mut failures = Vec::new();
    for d in dirs {
        let local = local_digests(&d.path)?;
        let disc = image_digests(&mut image, &d.suffix)?;
        let m = match disc {
            Some(disc) => compare(&d.suffix, &local, &disc),
            None => Mismatch {
                suffix: d.suffix.clone(),
                missing_on_disc: local.keys().cloned().collect(),
                ..Mismatch::default()
            },
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_names_every_difference() {
        let a: Digests = [
            (PathBuf::from("p/a"), [1; 20]),
            (PathBuf::from("p/b"), [2; 20]),
            (PathBuf::from("cback.stage"), [0; 20]),
        ]
        .into();
        let b: Digests = [
            (PathBuf::from("p/a"), [9; 20]),
            (PathBuf::from("p/c"), [3; 20]),
            (PathBuf::from("cback.stage"), [0; 20]),
        ]
        .into();
        let m = compare("2024/03/05", &a, &b);
        assert_eq!(m.differ, [PathBuf::from("p/a")]);
        assert_eq!(m.missing_on_disc, [PathBuf::from("p/b")]);
        assert_eq!(m.only_on_disc, [PathBuf::from("p/c")]);
        assert!(m.to_string().contains("[p/a]"));
    }

    #[test]
    fn local_digests_skip_links_and_dirs() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("x/empty")).unwrap();
        std::fs::write(t.path().join("x/f"), b"abc").unwrap();
        std::os::unix::fs::symlink("f", t.path().join("x/l")).unwrap();
        let d = local_digests(t.path()).unwrap();
        assert_eq!(d.len(), 1);
        // SHA-1("abc")
        assert_eq!(d[Path::new("x/f")][..4], [0xa9, 0x99, 0x3e, 0x36]);
    }
}
