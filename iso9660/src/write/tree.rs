//! The in-memory tree of the image-to-be: names, metadata and where each file's bytes come
//! from. File contents are never held here.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Replacement, Result};
use crate::raw::date::UnixTime;
use crate::read::{Entry, EntryKind, Extent};
use crate::write::{Warning, MAX_SYMLINK_TARGET};

pub(crate) type NodeId = u32;
pub(crate) const ROOT: NodeId = 0;

/// POSIX file type bits.
pub(crate) const S_IFMT: u32 = 0o170_000;
pub(crate) const S_IFDIR: u32 = 0o040_000;
pub(crate) const S_IFREG: u32 = 0o100_000;
const S_IFLNK: u32 = 0o120_000;
const S_IFCHR: u32 = 0o020_000;
const S_IFBLK: u32 = 0o060_000;
const S_IFIFO: u32 = 0o010_000;

/// Metadata recorded through Rock Ridge.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Meta {
    /// Full `st_mode`, file type bits included.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: UnixTime,
    pub mtime_nsec: u32,
    pub atime: UnixTime,
    pub ctime: UnixTime,
}

/// What the survey records of one source entry (`lstat`), from either `std::fs::Metadata`
/// (graft sources) or `fstatat` relative to an opened directory (their contents).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stat {
    mode: u32,
    uid: u32,
    gid: u32,
    size: u64,
    nlink: u64,
    dev: u64,
    ino: u64,
    rdev: u64,
    mtime: UnixTime,
    mtime_nsec: i64,
    atime: UnixTime,
    ctime: UnixTime,
}

impl Stat {
    fn of(md: &fs::Metadata) -> Stat {
        Stat {
            mode: md.mode(),
            uid: md.uid(),
            gid: md.gid(),
            size: md.len(),
            nlink: md.nlink(),
            dev: md.dev(),
            ino: md.ino(),
            rdev: md.rdev(),
            mtime: md.mtime(),
            mtime_nsec: md.mtime_nsec(),
            atime: md.atime(),
            ctime: md.ctime(),
        }
    }

    // `st_nlink` is u64 on x86_64 and u32 on aarch64.
    #[allow(clippy::useless_conversion)]
    fn from_nix(st: &nix::sys::stat::FileStat) -> Stat {
        Stat {
            mode: st.st_mode,
            uid: st.st_uid,
            gid: st.st_gid,
            size: u64::try_from(st.st_size).unwrap_or(0),
            nlink: u64::from(st.st_nlink),
            dev: st.st_dev,
            ino: st.st_ino,
            rdev: st.st_rdev,
            mtime: st.st_mtime,
            mtime_nsec: st.st_mtime_nsec,
            atime: st.st_atime,
            ctime: st.st_ctime,
        }
    }

    fn file_type(&self) -> u32 {
        self.mode & S_IFMT
    }

    fn id(&self) -> (u64, u64) {
        (self.dev, self.ino)
    }
}

impl Meta {
    fn from_fs(md: &Stat) -> Meta {
        Meta {
            mode: md.mode,
            uid: md.uid,
            gid: md.gid,
            mtime: md.mtime,
            mtime_nsec: md.mtime_nsec.clamp(0, 999_999_999) as u32,
            atime: md.atime,
            ctime: md.ctime,
        }
    }

    pub(crate) fn synthetic_dir(time: UnixTime) -> Meta {
        Meta {
            mode: S_IFDIR | 0o755,
            uid: 0,
            gid: 0,
            mtime: time,
            mtime_nsec: 0,
            atime: time,
            ctime: time,
        }
    }
}

/// Where a regular file's bytes come from.
#[derive(Debug, Clone)]
pub(crate) enum FileData {
    /// A file on disk, read while writing. It is opened then without following symbolic
    /// links and must still be the same file (`file_id`) with the same size and mtime.
    Disk {
        path: PathBuf,
        size: u64,
        /// `(st_dev, st_ino)` as surveyed.
        file_id: (u64, u64),
        /// `(st_dev, st_ino)` when the file has more than one link, to share its extent.
        link: Option<(u64, u64)>,
    },
    /// A file of an earlier session, referenced where it already is.
    Imported { size: u64, extents: Vec<Extent> },
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Dir {
        children: BTreeMap<Vec<u8>, NodeId>,
    },
    File(FileData),
    Symlink(Vec<u8>),
    /// Character or block device (the mode tells which), with its `st_rdev`.
    Device(u64),
    Fifo,
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub name: Vec<u8>,
    pub meta: Meta,
    pub kind: Kind,
    /// Where the node came from, for error messages; `None` for synthetic directories.
    pub origin: Option<PathBuf>,
    /// Imported from an earlier session (new sources replace these silently).
    pub imported: bool,
}

impl Node {
    pub(crate) fn is_dir(&self) -> bool {
        matches!(self.kind, Kind::Dir { .. })
    }

    pub(crate) fn children(&self) -> impl Iterator<Item = (&Vec<u8>, NodeId)> {
        let map = match &self.kind {
            Kind::Dir { children } => Some(children),
            _ => None,
        };
        map.into_iter().flat_map(|m| m.iter().map(|(k, v)| (k, *v)))
    }
}

/// Arena of nodes; node 0 is the root directory.
#[derive(Debug)]
pub(crate) struct Tree {
    pub nodes: Vec<Node>,
    pub warnings: Vec<Warning>,
    synthetic_time: UnixTime,
}

impl Tree {
    pub(crate) fn new(synthetic_time: UnixTime) -> Tree {
        Tree {
            nodes: vec![Node {
                name: Vec::new(),
                meta: Meta::synthetic_dir(synthetic_time),
                kind: Kind::Dir {
                    children: BTreeMap::new(),
                },
                origin: None,
                imported: false,
            }],
            warnings: Vec::new(),
            synthetic_time,
        }
    }

    pub(crate) fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id as usize)
    }

    fn child(&self, dir: NodeId, name: &[u8]) -> Option<NodeId> {
        match &self.node(dir)?.kind {
            Kind::Dir { children } => children.get(name).copied(),
            _ => None,
        }
    }

    fn alloc(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        (self.nodes.len() - 1) as NodeId
    }

    fn link(&mut self, dir: NodeId, name: Vec<u8>, id: NodeId) {
        if let Some(Node {
            kind: Kind::Dir { children },
            ..
        }) = self.nodes.get_mut(dir as usize)
        {
            children.insert(name, id);
        }
    }

    fn unlink(&mut self, dir: NodeId, name: &[u8]) {
        if let Some(Node {
            kind: Kind::Dir { children },
            ..
        }) = self.nodes.get_mut(dir as usize)
        {
            children.remove(name);
        }
    }

    /// Inserts `node` as `name` in `dir`, merging directories and letting new sources replace
    /// imported entries. Returns the id now at that name.
    fn insert(&mut self, dir: NodeId, node: Node, dest: &Path) -> Result<NodeId> {
        let name = node.name.clone();
        if let Some(existing) = self.child(dir, &name) {
            let old = self.node(existing).ok_or(Error::LayoutMismatch {
                what: "tree node",
                planned: 0,
                actual: u64::from(existing),
            })?;
            if old.is_dir() && node.is_dir() {
                // Merge: the newer source's metadata wins, children are kept.
                let (meta, origin) = (node.meta, node.origin.clone());
                if let Some(n) = self.nodes.get_mut(existing as usize) {
                    if n.imported || n.origin.is_none() {
                        n.meta = meta;
                        n.origin = origin;
                    }
                    n.imported = false;
                }
                return Ok(existing);
            }
            if !old.imported {
                return Err(Error::Conflict {
                    dest: dest.to_path_buf(),
                    first: old.origin.clone().unwrap_or_default(),
                    second: node.origin.clone().unwrap_or_default(),
                });
            }
        }
        let id = self.alloc(node);
        self.link(dir, name, id);
        Ok(id)
    }

    /// Walks to (creating as needed) the directory at `components`, returning its id.
    fn ensure_dir(&mut self, components: &[Vec<u8>], dest: &Path) -> Result<NodeId> {
        let mut dir = ROOT;
        for c in components {
            dir = match self.child(dir, c) {
                Some(id) if self.node(id).is_some_and(|n| n.is_dir()) => id,
                _ => {
                    let node = Node {
                        name: c.clone(),
                        meta: Meta::synthetic_dir(self.synthetic_time),
                        kind: Kind::Dir {
                            children: BTreeMap::new(),
                        },
                        origin: None,
                        imported: false,
                    };
                    self.insert(dir, node, dest)?
                }
            };
        }
        Ok(dir)
    }

    /// Adds `source` at `dest` (a path inside the image). A directory source has its contents
    /// put at `dest`; any other source is put at `dest` itself.
    pub(crate) fn add_graft(
        &mut self,
        dest: &[Vec<u8>],
        source: &Path,
        dest_text: &Path,
    ) -> Result<()> {
        let md = fs::symlink_metadata(source).map_err(|e| Error::source_io(source, e))?;
        let st = Stat::of(&md);
        if md.is_dir() {
            let dir = self.ensure_dir(dest, dest_text)?;
            if let Some(n) = self.nodes.get_mut(dir as usize) {
                n.meta = Meta::from_fs(&st);
                n.origin = Some(source.to_path_buf());
                n.imported = false;
            }
            self.scan_dir(dir, source, st.id(), dest_text)
        } else {
            let (name, parent) = dest.split_last().ok_or(Error::InvalidGraft {
                spec: source.as_os_str().to_owned(),
                reason: "a file cannot be the root",
            })?;
            let dir = self.ensure_dir(parent, dest_text)?;
            let target = || fs::read_link(source).map_err(|e| Error::source_io(source, e));
            if let Some(node) = self.node_from_fs(source, name.clone(), &st, target)? {
                self.insert(dir, node, dest_text)?;
            }
            Ok(())
        }
    }

    /// Makes the node for one surveyed entry; `target` reads a symbolic link's target.
    fn node_from_fs(
        &mut self,
        path: &Path,
        name: Vec<u8>,
        md: &Stat,
        target: impl FnOnce() -> Result<PathBuf>,
    ) -> Result<Option<Node>> {
        if name.len() > 255 {
            return Err(Error::NameTooLong {
                path: path.to_path_buf(),
            });
        }
        let kind = match md.file_type() {
            S_IFDIR => Kind::Dir {
                children: BTreeMap::new(),
            },
            S_IFREG => {
                let link = (md.nlink > 1).then(|| md.id());
                Kind::File(FileData::Disk {
                    path: path.to_path_buf(),
                    size: md.size,
                    file_id: md.id(),
                    link,
                })
            }
            S_IFLNK => {
                let target = target()?.into_os_string().into_encoded_bytes();
                if target.len() > MAX_SYMLINK_TARGET {
                    return Err(Error::SymlinkTooLong {
                        path: path.to_path_buf(),
                        len: target.len(),
                        max: MAX_SYMLINK_TARGET,
                    });
                }
                Kind::Symlink(target)
            }
            S_IFCHR | S_IFBLK => Kind::Device(md.rdev),
            S_IFIFO => Kind::Fifo,
            _ => {
                log::warn!("skipping socket {}", path.display());
                self.warnings
                    .push(Warning::SkippedSocket(path.to_path_buf()));
                return Ok(None);
            }
        };
        Ok(Some(Node {
            name,
            meta: Meta::from_fs(md),
            kind,
            origin: Some(path.to_path_buf()),
            imported: false,
        }))
    }

    /// Surveys the directory at `path`, which was seen as the directory `id` (`st_dev`,
    /// `st_ino`). It is opened without following a symbolic link and must still be that
    /// directory; its entries are then examined relative to the open descriptor, so a
    /// directory swapped for a link between the two looks cannot lead the survey elsewhere.
    fn scan_dir(&mut self, dir: NodeId, path: &Path, id: (u64, u64), dest: &Path) -> Result<()> {
        use nix::fcntl::{AtFlags, OFlag};
        use nix::sys::stat::Mode;
        let nix_io = |p: &Path, e: nix::errno::Errno| Error::source_io(p, e.into());
        let mut handle = match nix::dir::Dir::open(
            path,
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        ) {
            Ok(d) => d,
            // ELOOP: now a link; ENOTDIR: now something else.
            Err(nix::errno::Errno::ELOOP) | Err(nix::errno::Errno::ENOTDIR) => {
                return Err(Error::FileReplaced {
                    path: path.to_path_buf(),
                    how: Replacement::NotDirectory,
                })
            }
            Err(e) => return Err(nix_io(path, e)),
        };
        let dirfd = std::os::fd::AsRawFd::as_raw_fd(&handle);
        let own = nix::sys::stat::fstat(dirfd).map_err(|e| nix_io(path, e))?;
        if (own.st_dev, own.st_ino) != id {
            return Err(Error::FileReplaced {
                path: path.to_path_buf(),
                how: Replacement::NotDirectory,
            });
        }
        let mut subdirs = Vec::new();
        for entry in handle.iter() {
            let entry = entry.map_err(|e| nix_io(path, e))?;
            let cname = entry.file_name();
            let name = cname.to_bytes().to_vec();
            if name == b"." || name == b".." {
                continue;
            }
            let child_path = path.join(OsStr::from_bytes(&name));
            let st = nix::sys::stat::fstatat(Some(dirfd), cname, AtFlags::AT_SYMLINK_NOFOLLOW)
                .map_err(|e| nix_io(&child_path, e))?;
            let st = Stat::from_nix(&st);
            let child_dest = dest.join(OsStr::from_bytes(&name));
            let target = || {
                nix::fcntl::readlinkat(Some(dirfd), cname)
                    .map(PathBuf::from)
                    .map_err(|e| nix_io(&child_path, e))
            };
            if let Some(node) = self.node_from_fs(&child_path, name, &st, target)? {
                let is_dir = node.is_dir();
                let id = self.insert(dir, node, &child_dest)?;
                if is_dir {
                    subdirs.push((id, child_path, st.id(), child_dest));
                }
            }
        }
        drop(handle);
        for (node, p, id, d) in subdirs {
            self.scan_dir(node, &p, id, &d)?;
        }
        Ok(())
    }

    /// Adds an entry read from an earlier session below `dir`.
    pub(crate) fn add_imported(&mut self, dir: NodeId, entry: &Entry) -> Result<NodeId> {
        let kind = match &entry.kind {
            EntryKind::Directory => Kind::Dir {
                children: BTreeMap::new(),
            },
            EntryKind::File => Kind::File(FileData::Imported {
                size: entry.size,
                extents: entry.extents.clone(),
            }),
            EntryKind::Symlink(t) => Kind::Symlink(t.clone()),
            EntryKind::CharDevice | EntryKind::BlockDevice => Kind::Device(entry.rdev),
            EntryKind::Fifo => Kind::Fifo,
            EntryKind::Socket => return Ok(dir),
        };
        let node = Node {
            name: entry.name.as_bytes().to_vec(),
            meta: Meta {
                mode: entry.mode,
                uid: entry.uid,
                gid: entry.gid,
                mtime: entry.mtime,
                mtime_nsec: 0,
                atime: entry.atime,
                ctime: entry.ctime,
            },
            kind,
            origin: None,
            imported: true,
        };
        let id = self.alloc(node);
        self.link(dir, entry.name.as_bytes().to_vec(), id);
        Ok(id)
    }

    pub(crate) fn set_root_meta(&mut self, meta: Meta) {
        if let Some(root) = self.nodes.get_mut(ROOT as usize) {
            root.meta = meta;
            root.imported = true;
        }
    }

    /// Removes the entry at `path` (any type, with everything below it). Returns whether it
    /// existed.
    pub(crate) fn remove(&mut self, components: &[Vec<u8>]) -> bool {
        let Some((name, parent)) = components.split_last() else {
            return false;
        };
        let mut dir = ROOT;
        for c in parent {
            match self.child(dir, c) {
                Some(id) => dir = id,
                None => return false,
            }
        }
        let existed = self.child(dir, name).is_some();
        self.unlink(dir, name);
        existed
    }
}

/// Splits an image path ("/a/b", "a/b/") into its non-empty components.
pub(crate) fn components(path: &[u8]) -> Vec<Vec<u8>> {
    path.split(|&c| c == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
        .map(<[u8]>::to_vec)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graft_merges_dirs_and_rejects_file_conflicts() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        fs::create_dir(a.path().join("d")).unwrap();
        fs::write(a.path().join("d/x"), b"1").unwrap();
        fs::create_dir(b.path().join("d")).unwrap();
        fs::write(b.path().join("d/y"), b"2").unwrap();
        let mut t = Tree::new(0);
        t.add_graft(&[], a.path(), Path::new("/")).unwrap();
        t.add_graft(&[], b.path(), Path::new("/")).unwrap();
        let d = t.child(ROOT, b"d").unwrap();
        assert_eq!(t.node(d).unwrap().children().count(), 2);
        fs::write(b.path().join("d/x"), b"3").unwrap();
        let err = t.add_graft(&[], b.path(), Path::new("/")).unwrap_err();
        assert!(matches!(err, Error::Conflict { .. }), "{err}");
    }

    #[test]
    fn graft_file_and_remove() {
        let a = tempfile::tempdir().unwrap();
        fs::write(a.path().join("f"), b"1").unwrap();
        let mut t = Tree::new(0);
        t.add_graft(
            &components(b"/x/y/g"),
            &a.path().join("f"),
            Path::new("/x/y/g"),
        )
        .unwrap();
        let x = t.child(ROOT, b"x").unwrap();
        let y = t.child(x, b"y").unwrap();
        assert!(t.child(y, b"g").is_some());
        assert!(t.remove(&components(b"x/y")));
        assert!(t.child(x, b"y").is_none());
        assert!(!t.remove(&components(b"nope/z")));
    }
}
