//! Comparing a tree on a disc with a tree on the local filesystem, by the rules of Cedar
//! Backup's consistency check: regular files only, keyed by the path below the compared
//! directory; directories are not entries (empty ones are ignored) and symbolic links are
//! left out; the SHA-1 of each file is compared, and every file that differs is named.
//! The disc side is read through the drive ([`crate::disc::session`]): no mount, no root,
//! and no stale page cache.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha1::{Digest, Sha1};

/// SHA-1 of each regular file on the disc, keyed by its path below the compared directory.
/// A hash map: ordered maps of paths compare them component by component, which was a
/// fifth of the time of a check over 200,000 files.
pub type Digests = HashMap<Key, [u8; 20]>;

/// SHA-1 of each regular file of the local tree, in the order they were read: the local
/// side is only ever looked up in the disc's map, so it needs no map of its own.
pub type LocalDigests = Vec<(Key, [u8; 20])>;

/// A path below the compared directory, as bytes: `Path` compares component by component,
/// which costs more than the hashing of small files.
pub type Key = Vec<u8>;

fn path(k: &[u8]) -> PathBuf {
    PathBuf::from(std::ffi::OsStr::from_bytes(k))
}

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
    /// Whether nothing differs.
    pub fn is_empty(&self) -> bool {
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

fn sha1_of(mut r: impl Read) -> std::io::Result<[u8; 20]> {
    thread_local! {
        // One buffer per thread: a million small files must not mean a million allocations.
        static BUF: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; 64 * 1024]);
    }
    BUF.with(|b| {
        let mut buf = b.borrow_mut();
        let mut h = Sha1::new();
        loop {
            let n = r.read(&mut buf)?;
            if n == 0 {
                return Ok(h.finalize().into());
            }
            h.update(buf.get(..n).unwrap_or(&[]));
        }
    })
}

/// The digests of `dir` on the disc and of the local tree at `local_root`, computed side by
/// side: the local files are hashed in a second thread while the disc is read, so the two
/// take about as long as the slower one, not their sum.
///
/// # Errors
/// As [`image_digests`] and [`local_digests`].
pub fn digests_side_by_side<R: Read + std::io::Seek>(
    image: &mut iso9660::Image<R>,
    dir: &str,
    local_root: &Path,
) -> anyhow::Result<(Option<Digests>, LocalDigests)> {
    std::thread::scope(|s| {
        let local = s.spawn(|| local_digests(local_root));
        let disc = image_digests(image, dir);
        let local = local
            .join()
            .map_err(|_| anyhow::anyhow!("hashing {} failed", local_root.display()))?;
        Ok((disc?, local?))
    })
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
/// The tree is listed first, then its files are hashed by as many threads as the machine
/// has cores (at most four): a million small files cost one open, two reads and a close
/// each, which one thread does slower than `sha1sum`.
///
/// # Errors
/// A directory or file cannot be read.
pub fn local_digests(root: &Path) -> anyhow::Result<LocalDigests> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    // Each file's key and the index of its directory in `dirs`; the name is the key's last
    // component.
    let mut files: Vec<(Key, u32)> = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let dir = root.join(&rel);
        let index = u32::try_from(dirs.len()).context("more than 2^32 directories")?;
        let rd = std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?;
        for e in rd {
            let e = e.with_context(|| format!("reading {}", dir.display()))?;
            let ft = e
                .file_type()
                .with_context(|| format!("reading {}", dir.display()))?;
            let r = rel.join(e.file_name());
            if ft.is_dir() {
                stack.push(r);
            } else if ft.is_file() {
                files.push((r.into_os_string().into_vec(), index));
            }
        }
        dirs.push(dir);
    }
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .clamp(1, 4);
    let digests = hash_in_parallel(&dirs, &files, workers)?;
    Ok(files.into_iter().map(|(k, _)| k).zip(digests).collect())
}

/// Files handed to a hashing thread at a time: few enough to share the work evenly, many
/// enough that taking them costs nothing.
const HASH_CHUNK: usize = 256;

/// SHA-1 of each of `files` (key, index of its directory in `dirs`), in their order, by
/// `workers` threads taking [`HASH_CHUNK`] files at a time. A file is opened by its name in
/// its open directory, not following a symbolic link. The first error stops every thread.
fn hash_in_parallel(
    dirs: &[PathBuf],
    files: &[(Key, u32)],
    workers: usize,
) -> anyhow::Result<Vec<[u8; 20]>> {
    use rustix::fs::{Mode, OFlags};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let one = |open: &mut Option<(u32, std::os::fd::OwnedFd)>,
               key: &[u8],
               dir_index: u32|
     -> anyhow::Result<[u8; 20]> {
        let dir = dirs
            .get(dir_index as usize)
            .context("a file without its directory")?;
        let fd = match open {
            Some((i, fd)) if *i == dir_index => fd,
            _ => {
                let fd = rustix::fs::open(
                    dir,
                    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                    Mode::empty(),
                )
                .with_context(|| format!("opening {}", dir.display()))?;
                &mut open.insert((dir_index, fd)).1
            }
        };
        let name = key.rsplit(|&c| c == b'/').next().unwrap_or(key);
        let shown = || {
            dir.join(std::ffi::OsStr::from_bytes(name))
                .display()
                .to_string()
        };
        let f = rustix::fs::openat(
            &*fd,
            std::ffi::OsStr::from_bytes(name),
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .with_context(shown)?;
        sha1_of(std::fs::File::from(f)).with_context(shown)
    };
    let work = || -> anyhow::Result<Vec<(usize, Vec<[u8; 20]>)>> {
        let mut done = Vec::new();
        let mut open = None;
        while !failed.load(Ordering::Relaxed) {
            let start = next.fetch_add(HASH_CHUNK, Ordering::Relaxed);
            let chunk = files
                .get(start..files.len().min(start.saturating_add(HASH_CHUNK)))
                .unwrap_or(&[]);
            if chunk.is_empty() {
                break;
            }
            let mut ds = Vec::with_capacity(chunk.len());
            for (key, dir_index) in chunk {
                match one(&mut open, key, *dir_index) {
                    Ok(d) => ds.push(d),
                    Err(e) => {
                        failed.store(true, Ordering::Relaxed);
                        return Err(e);
                    }
                }
            }
            done.push((start, ds));
        }
        Ok(done)
    };
    let parts = std::thread::scope(|s| {
        let helpers: Vec<_> = (1..workers).map(|_| s.spawn(work)).collect();
        let mut parts = vec![work()];
        for h in helpers {
            parts.push(
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a hashing thread failed"))),
            );
        }
        parts
    });
    let mut out = vec![[0u8; 20]; files.len()];
    for part in parts {
        for (start, ds) in part? {
            if let Some(dst) = out.get_mut(start..start + ds.len()) {
                dst.copy_from_slice(&ds);
            }
        }
    }
    Ok(out)
}

/// SHA-1 of every regular file below `dir` (a path in the image).
///
/// The tree is walked first, one directory record at a time, keeping only each file's path
/// and extents; the files are then read in the order of their first block, so the disc (or
/// the image file) is read from start to end instead of back and forth.
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
    if !top.is_dir() {
        anyhow::bail!("/{dir} on the disc is not a directory");
    }
    // One extent for nearly every file; the few multi-extent files keep all of theirs.
    let mut files: Vec<(Key, iso9660::Extent)> = Vec::new();
    let mut sectioned: Vec<(Key, Vec<iso9660::Extent>)> = Vec::new();
    image
        .walk_lossy(
            &top,
            Path::new(""),
            |w| {
                if w.entry.kind == iso9660::EntryKind::File {
                    let key = w.path.as_os_str().as_bytes().to_vec();
                    match w.entry.extents.as_slice() {
                        [one] => files.push((key, *one)),
                        many => sectioned.push((key, many.to_vec())),
                    }
                }
                Ok(())
            },
            |d| {
                Err(iso9660::Error::Corrupt {
                    lba: d.lba,
                    what: d.what,
                })
            },
        )
        .with_context(|| format!("reading /{dir} on the disc"))?;
    files.sort_unstable_by_key(|(_, x)| x.lba);
    let mut out = Digests::with_capacity(files.len() + sectioned.len());
    let mut hash = |key: Key, extents: &[iso9660::Extent]| -> anyhow::Result<()> {
        let shown = || format!("/{dir}/{}", path(&key).display());
        let f = image
            .open_extents(extents)
            .with_context(|| format!("opening {} on the disc", shown()))?;
        let d = sha1_of(f).with_context(|| format!("reading {} on the disc", shown()))?;
        out.insert(key, d);
        Ok(())
    };
    for (key, x) in files {
        hash(key, &[x])?;
    }
    for (key, xs) in sectioned {
        hash(key, &xs)?;
    }
    Ok(Some(out))
}

/// Compares one staging dir's digests with the disc's. Each local file is looked up once
/// and taken out of `disc`; what is left there is on the disc only.
pub fn compare(suffix: &str, local: &[(Key, [u8; 20])], mut disc: Digests) -> Mismatch {
    let mut m = Mismatch {
        suffix: suffix.to_owned(),
        ..Mismatch::default()
    };
    for (k, v) in local {
        match disc.remove(k) {
            None => m.missing_on_disc.push(path(k)),
            Some(d) if d != *v => m.differ.push(path(k)),
            Some(_) => {}
        }
    }
    m.only_on_disc = disc.keys().map(|k| path(k)).collect();
    m.missing_on_disc.sort();
    m.differ.sort();
    m.only_on_disc.sort();
    m
}

/// Checks that the sources (DEST=SRC graft points or PATHs, as given to `burn --tree`) are in
/// the last session of `device` with identical contents: the SHA-1 of every regular file,
/// read through the drive. Files on the disc that the sources do not have (earlier days,
/// other grafts) are logged but are not a failure. Returns how many files were compared.
///
/// # Errors
/// Files missing on the disc or differing (each named); read errors.
pub fn verify_sources(device: &str, tree: &[std::ffi::OsString]) -> anyhow::Result<usize> {
    let mut image = crate::disc::session::open_last_session(device)
        .with_context(|| format!("{device}: reading the last session"))?;
    let mut bad = Vec::new();
    let mut files = 0usize;
    for spec in tree {
        let g = iso9660::GraftPoint::parse(spec)
            .with_context(|| format!("--tree '{}'", spec.to_string_lossy()))?;
        let dest = g.dest.to_string_lossy().trim_matches('/').to_string();
        let meta =
            std::fs::metadata(&g.source).with_context(|| format!("{}", g.source.display()))?;
        let lookup_of = |dir: &str| {
            if dir.is_empty() {
                "/".to_string()
            } else {
                dir.to_string()
            }
        };
        let (dir, local, disc) = if meta.is_dir() {
            let (disc, local) = digests_side_by_side(&mut image, &lookup_of(&dest), &g.source)?;
            (dest.clone(), local, disc)
        } else {
            // A file goes to DEST itself, or DEST/NAME when DEST names a directory
            // (ends in '/', or is the root).
            let name = g.source.file_name().map(PathBuf::from).unwrap_or_default();
            let on_disc = if g.dest.to_string_lossy().ends_with('/') || dest.is_empty() {
                PathBuf::from(&dest).join(&name)
            } else {
                PathBuf::from(&dest)
            };
            let parent = on_disc
                .parent()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            let leaf = on_disc.file_name().map(PathBuf::from).unwrap_or_default();
            let one = vec![(leaf.into_os_string().into_vec(), file_digest(&g.source)?)];
            let disc = image_digests(&mut image, &lookup_of(&parent))?;
            (parent, one, disc)
        };
        files += local.len();
        let m = match disc {
            Some(disc) => {
                let mut m = compare(&dir, &local, disc);
                for extra in std::mem::take(&mut m.only_on_disc) {
                    log::info!(
                        "{device}: /{dir}/{} is on the disc but not in the sources",
                        extra.display()
                    );
                }
                m
            }
            None => {
                let mut m = compare(&dir, &local, Default::default());
                m.only_on_disc.clear();
                m
            }
        };
        if !(m.missing_on_disc.is_empty() && m.differ.is_empty()) {
            bad.push(m.to_string());
        }
    }
    if !bad.is_empty() {
        anyhow::bail!("{device}: verify failed: {}", bad.join(" | "));
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_names_every_difference() {
        let a: Digests = [
            (b"p/a".to_vec(), [1; 20]),
            (b"p/b".to_vec(), [2; 20]),
            (b"cback.stage".to_vec(), [0; 20]),
        ]
        .into();
        let b: Digests = [
            (b"p/a".to_vec(), [9; 20]),
            (b"p/c".to_vec(), [3; 20]),
            (b"cback.stage".to_vec(), [0; 20]),
        ]
        .into();
        let a: LocalDigests = a.into_iter().collect();
        let m = compare("2024/03/05", &a, b);
        assert_eq!(m.differ, [PathBuf::from("p/a")]);
        assert_eq!(m.missing_on_disc, [PathBuf::from("p/b")]);
        assert_eq!(m.only_on_disc, [PathBuf::from("p/c")]);
        assert!(m.to_string().contains("[p/a]"));
    }

    #[test]
    fn local_digests_of_many_files_in_many_dirs_match_each_file() {
        // More files than one hashing chunk, spread over directories, so several threads
        // share the work and change directories within a chunk.
        let t = tempfile::tempdir().unwrap();
        let mut want = std::collections::BTreeMap::new();
        for d in 0..5 {
            let dir = t.path().join(format!("d{d}/sub"));
            std::fs::create_dir_all(&dir).unwrap();
            for f in 0..(HASH_CHUNK / 2 + d * 7) {
                let rel = format!("d{d}/sub/f{f}");
                std::fs::write(t.path().join(&rel), format!("{rel} content")).unwrap();
                want.insert(
                    rel.clone().into_bytes(),
                    file_digest(&t.path().join(&rel)).unwrap(),
                );
            }
        }
        let got: std::collections::BTreeMap<_, _> =
            local_digests(t.path()).unwrap().into_iter().collect();
        assert_eq!(got.len(), want.len());
        assert_eq!(got, want);
        let dirs = [t.path().join("d0/sub")];
        let files: Vec<(Key, u32)> = (0..HASH_CHUNK + 3)
            .map(|i| (format!("d0/sub/f{}", i % 100).into_bytes(), 0))
            .collect();
        let one = hash_in_parallel(&dirs, &files, 3).unwrap();
        for ((k, _), d) in files.iter().zip(&one) {
            assert_eq!(want[k], *d, "{}", String::from_utf8_lossy(k));
        }
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
        assert_eq!(d[0].0, b"x/f");
        assert_eq!(d[0].1[..4], [0xa9, 0x99, 0x3e, 0x36]);
    }
}
