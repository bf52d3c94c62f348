//! The in-memory tree of the image-to-be: names, metadata and where each file's bytes come
//! from. File contents are never held here.
//!
//! Its size is what bounds a million-file image, so a node holds no paths: a file found by
//! scanning a directory records the index of that directory's path ([`Origin::Child`]), and its
//! own path is rebuilt from it when the file is read. Children are a vector of node ids sorted
//! by name (4 bytes each) rather than a map holding a second copy of every name; a scanned
//! directory's entries are sorted once and merged into what is already there in one pass.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Replacement, Result};
use crate::raw::checksum::Digest;
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
    /// A file on disk (at the node's [`Origin`]), read while writing. It is opened then
    /// without following symbolic links and must still be the same file (`file_id`) with the
    /// same size and mtime.
    Disk {
        size: u64,
        /// `(st_dev, st_ino)` as surveyed.
        file_id: (u64, u64),
        /// `(st_dev, st_ino)` when the file has more than one link, to share its extent (boxed:
        /// few files have one, and every node would pay for the room).
        link: Option<Box<(u64, u64)>>,
    },
    /// A file of an earlier session, referenced where it already is.
    Imported {
        size: u64,
        extents: Box<[Extent]>,
        /// Its MD5 as that session recorded it, carried into this session's checksum array:
        /// an index into [`Tree::carried_md5`].
        md5: Option<u32>,
    },
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Dir {
        /// Sorted by name, no name twice.
        children: Vec<NodeId>,
    },
    File(FileData),
    Symlink(Vec<u8>),
    /// Character or block device (the mode tells which), with its `st_rdev`.
    Device(u64),
    Fifo,
}

/// Where a node came from on the local file system: its path, for reading and for error
/// messages, is an entry of [`Tree::sources`], or such an entry joined with the node's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Synthetic directories and entries imported from an earlier session.
    None,
    /// A graft source: its path is `sources[i]`.
    Path(u32),
    /// Found scanning the directory at `sources[i]`: its path is that joined with its name.
    Child(u32),
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub name: Box<[u8]>,
    pub meta: Meta,
    pub kind: Kind,
    pub origin: Origin,
    /// Imported from an earlier session (new sources replace these silently).
    pub imported: bool,
}

impl Node {
    pub(crate) fn is_dir(&self) -> bool {
        matches!(self.kind, Kind::Dir { .. })
    }

    /// Children in name order (none for a non-directory).
    pub(crate) fn children(&self) -> &[NodeId] {
        match &self.kind {
            Kind::Dir { children } => children,
            _ => &[],
        }
    }
}

/// Arena of nodes; node 0 is the root directory.
#[derive(Debug)]
pub(crate) struct Tree {
    pub nodes: Vec<Node>,
    pub warnings: Vec<Warning>,
    /// MD5s of imported files as their session recorded them (see [`FileData::Imported`]).
    pub carried_md5: Vec<Digest>,
    /// Graft sources and scanned directories, indexed by [`Origin`].
    sources: Vec<PathBuf>,
    synthetic_time: UnixTime,
}

impl Tree {
    pub(crate) fn new(synthetic_time: UnixTime) -> Tree {
        Tree {
            nodes: vec![Node {
                name: Box::default(),
                meta: Meta::synthetic_dir(synthetic_time),
                kind: Kind::Dir {
                    children: Vec::new(),
                },
                origin: Origin::None,
                imported: false,
            }],
            warnings: Vec::new(),
            carried_md5: Vec::new(),
            sources: Vec::new(),
            synthetic_time,
        }
    }

    pub(crate) fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id as usize)
    }

    fn name(&self, id: NodeId) -> &[u8] {
        self.node(id).map_or(&[], |n| &n.name)
    }

    /// Where `id` is on the local file system, if it came from there.
    pub(crate) fn source_path(&self, id: NodeId) -> Option<PathBuf> {
        let node = self.node(id)?;
        match node.origin {
            Origin::None => None,
            Origin::Path(i) => self.sources.get(i as usize).cloned(),
            Origin::Child(i) => {
                let dir = self.sources.get(i as usize)?;
                Some(dir.join(OsStr::from_bytes(&node.name)))
            }
        }
    }

    fn add_source(&mut self, path: &Path) -> u32 {
        self.sources.push(path.to_path_buf());
        (self.sources.len() - 1) as u32
    }

    /// Position of `name` among `dir`'s children: `Ok` where it is, `Err` where it would go.
    fn search(&self, dir: NodeId, name: &[u8]) -> std::result::Result<usize, usize> {
        let kids = self.node(dir).map_or(&[][..], Node::children);
        kids.binary_search_by(|&c| self.name(c).cmp(name))
    }

    fn child(&self, dir: NodeId, name: &[u8]) -> Option<NodeId> {
        let at = self.search(dir, name).ok()?;
        self.node(dir)?.children().get(at).copied()
    }

    fn alloc(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        (self.nodes.len() - 1) as NodeId
    }

    fn children_mut(&mut self, dir: NodeId) -> Option<&mut Vec<NodeId>> {
        match &mut self.nodes.get_mut(dir as usize)?.kind {
            Kind::Dir { children } => Some(children),
            _ => None,
        }
    }

    /// Puts `id` into `dir` under its name, replacing a child of the same name. One insertion
    /// into a sorted vector: for single grafts, not for whole directories (see `merge`).
    fn link(&mut self, dir: NodeId, id: NodeId) {
        let at = self.search(dir, self.name(id));
        if let Some(kids) = self.children_mut(dir) {
            match at {
                Ok(i) => {
                    if let Some(k) = kids.get_mut(i) {
                        *k = id;
                    }
                }
                Err(i) => kids.insert(i, id),
            }
        }
    }

    /// What happens to `new` at a name where `existing` already is: directories merge (the
    /// newer source's metadata wins, children are kept), an imported entry is replaced, and
    /// anything else is a conflict. Changes nothing.
    fn resolve(&self, existing: NodeId, new: &Node, dest: &Path) -> Result<Resolution> {
        let old = self.node(existing).ok_or(Error::LayoutMismatch {
            what: "tree node",
            planned: 0,
            actual: u64::from(existing),
        })?;
        if old.is_dir() && new.is_dir() {
            Ok(Resolution::MergeDirs)
        } else if old.imported {
            Ok(Resolution::Replace)
        } else {
            Err(Error::Conflict {
                dest: dest.to_path_buf(),
                first: self.source_path(existing).unwrap_or_default(),
                second: self.origin_path(new).unwrap_or_default(),
            })
        }
    }

    /// The source path a node not yet in the arena would have.
    fn origin_path(&self, node: &Node) -> Option<PathBuf> {
        match node.origin {
            Origin::None => None,
            Origin::Path(i) => self.sources.get(i as usize).cloned(),
            Origin::Child(i) => Some(
                self.sources
                    .get(i as usize)?
                    .join(OsStr::from_bytes(&node.name)),
            ),
        }
    }

    /// Merges the metadata of a directory source into the existing directory `id`.
    fn merge_dir(&mut self, id: NodeId, meta: Meta, origin: Origin) {
        if let Some(n) = self.nodes.get_mut(id as usize) {
            if n.imported || n.origin == Origin::None {
                n.meta = meta;
                n.origin = origin;
            }
            n.imported = false;
        }
    }

    /// Inserts `node` as a child of `dir`, merging directories and letting new sources replace
    /// imported entries. Returns the id now at that name.
    fn insert(&mut self, dir: NodeId, node: Node, dest: &Path) -> Result<NodeId> {
        if let Some(existing) = self.child(dir, &node.name) {
            if self.resolve(existing, &node, dest)? == Resolution::MergeDirs {
                self.merge_dir(existing, node.meta, node.origin);
                return Ok(existing);
            }
        }
        let id = self.alloc(node);
        self.link(dir, id);
        Ok(id)
    }

    /// Links a whole directory's worth of new nodes, already in the arena and sorted by name
    /// (no name twice), into `dir` in one pass over both lists, with `insert`'s rules; a new
    /// directory merged into an existing one is left unlinked. Returns the ids of the
    /// directories now at those names (new or merged), in name order. On a conflict nothing
    /// is linked.
    fn merge(&mut self, dir: NodeId, new: &[NodeId], dest: &Path) -> Result<Vec<NodeId>> {
        let old = self.node(dir).map_or(&[][..], Node::children);
        // First pass, read-only: resolve every collision, failing before anything changes.
        let mut hits: Vec<(usize, NodeId, Resolution)> = Vec::new();
        let mut o = 0;
        for (i, &n) in new.iter().enumerate() {
            let name = self.name(n);
            while old.get(o).is_some_and(|&c| self.name(c) < name) {
                o += 1;
            }
            if let Some(&c) = old.get(o).filter(|&&c| self.name(c) == name) {
                let node = self.node(n).ok_or(Error::LayoutMismatch {
                    what: "tree node",
                    planned: 0,
                    actual: u64::from(n),
                })?;
                let r = self.resolve(c, node, &dest.join(OsStr::from_bytes(name)))?;
                hits.push((i, c, r));
            }
        }
        let old = self
            .children_mut(dir)
            .map(std::mem::take)
            .unwrap_or_default();
        let mut merged = Vec::with_capacity(old.len() + new.len());
        let mut dirs = Vec::new();
        let mut hits = hits.into_iter().peekable();
        let mut old = old.into_iter().peekable();
        for (i, &n) in new.iter().enumerate() {
            let hit = hits.next_if(|h| h.0 == i);
            while let Some(&c) = old.peek() {
                if self.name(c) >= self.name(n) {
                    break;
                }
                merged.push(c);
                old.next();
            }
            let id = match hit {
                Some((_, existing, Resolution::MergeDirs)) => {
                    old.next();
                    if let Some((meta, origin)) = self.node(n).map(|x| (x.meta, x.origin)) {
                        self.merge_dir(existing, meta, origin);
                    }
                    existing
                }
                Some((_, _, Resolution::Replace)) => {
                    old.next();
                    n
                }
                None => n,
            };
            merged.push(id);
            if self.node(id).is_some_and(Node::is_dir) {
                dirs.push(id);
            }
        }
        merged.extend(old);
        if let Some(kids) = self.children_mut(dir) {
            *kids = merged;
        }
        Ok(dirs)
    }

    /// Walks to (creating as needed) the directory at `components`, returning its id.
    fn ensure_dir(&mut self, components: &[Vec<u8>], dest: &Path) -> Result<NodeId> {
        let mut dir = ROOT;
        for c in components {
            dir = match self.child(dir, c) {
                Some(id) if self.node(id).is_some_and(|n| n.is_dir()) => id,
                _ => {
                    let node = Node {
                        name: c.clone().into_boxed_slice(),
                        meta: Meta::synthetic_dir(self.synthetic_time),
                        kind: Kind::Dir {
                            children: Vec::new(),
                        },
                        origin: Origin::None,
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
        let origin = Origin::Path(self.add_source(source));
        if md.is_dir() {
            let dir = self.ensure_dir(dest, dest_text)?;
            if let Some(n) = self.nodes.get_mut(dir as usize) {
                n.meta = Meta::from_fs(&st);
                n.origin = origin;
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
            if let Some(node) =
                self.node_from_fs(source, name.as_slice().into(), origin, &st, target)?
            {
                self.insert(dir, node, dest_text)?;
            }
            Ok(())
        }
    }

    /// Makes the node for one surveyed entry; `target` reads a symbolic link's target.
    fn node_from_fs(
        &mut self,
        path: &Path,
        name: Box<[u8]>,
        origin: Origin,
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
                children: Vec::new(),
            },
            S_IFREG => {
                let link = (md.nlink > 1).then(|| Box::new(md.id()));
                Kind::File(FileData::Disk {
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
            origin,
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
        let replaced = || Error::FileReplaced {
            path: path.to_path_buf(),
            how: Replacement::NotDirectory,
        };
        let mut handle = match nix::dir::Dir::open(
            path,
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        ) {
            Ok(d) => d,
            // ELOOP: now a link; ENOTDIR: now something else.
            Err(nix::errno::Errno::ELOOP) | Err(nix::errno::Errno::ENOTDIR) => {
                return Err(replaced())
            }
            Err(e) => return Err(nix_io(path, e)),
        };
        let dirfd = std::os::fd::AsRawFd::as_raw_fd(&handle);
        let own = nix::sys::stat::fstat(dirfd).map_err(|e| nix_io(path, e))?;
        if (own.st_dev, own.st_ino) != id {
            return Err(replaced());
        }
        let source = self.add_source(path);
        // Nodes go straight into the arena (a second vector of them would double the peak for
        // a large directory); if linking them fails they are dropped again.
        let first = self.nodes.len();
        let mut found: Vec<NodeId> = Vec::new();
        // The subdirectories' identities, to check when they are scanned in turn.
        let mut subdir_ids: Vec<(NodeId, (u64, u64))> = Vec::new();
        for entry in handle.iter() {
            let entry = entry.map_err(|e| nix_io(path, e))?;
            let cname = entry.file_name();
            let name = cname.to_bytes();
            if name == b"." || name == b".." {
                continue;
            }
            let child_path = path.join(OsStr::from_bytes(name));
            let st = nix::sys::stat::fstatat(Some(dirfd), cname, AtFlags::AT_SYMLINK_NOFOLLOW)
                .map_err(|e| nix_io(&child_path, e))?;
            let st = Stat::from_nix(&st);
            let target = || {
                nix::fcntl::readlinkat(Some(dirfd), cname)
                    .map(PathBuf::from)
                    .map_err(|e| nix_io(&child_path, e))
            };
            let name = name.to_vec().into_boxed_slice();
            if let Some(node) =
                self.node_from_fs(&child_path, name, Origin::Child(source), &st, target)?
            {
                let is_dir = node.is_dir();
                let id = self.alloc(node);
                found.push(id);
                if is_dir {
                    subdir_ids.push((id, st.id()));
                }
            }
        }
        drop(handle);
        found.sort_unstable_by(|&a, &b| self.name(a).cmp(self.name(b)));
        subdir_ids.sort_unstable_by(|a, b| self.name(a.0).cmp(self.name(b.0)));
        let dirs = match self.merge(dir, &found, dest) {
            Ok(dirs) => dirs,
            Err(e) => {
                self.nodes.truncate(first);
                return Err(e);
            }
        };
        for id in dirs {
            let name = OsStr::from_bytes(self.name(id)).to_owned();
            // A directory merged into an existing one keeps the existing id; find the
            // identity surveyed here by name.
            let Some(&(_, sub_id)) = subdir_ids
                .binary_search_by(|probe| self.name(probe.0).cmp(name.as_bytes()))
                .ok()
                .and_then(|i| subdir_ids.get(i))
            else {
                return Err(Error::LayoutMismatch {
                    what: "surveyed subdirectory",
                    planned: u64::from(id),
                    actual: 0,
                });
            };
            self.scan_dir(id, &path.join(&name), sub_id, &dest.join(&name))?;
        }
        Ok(())
    }

    /// Adds an entry read from an earlier session below `dir`, unsorted: call
    /// [`Tree::sort_imported`] once the import is complete.
    /// `md5` is the file's MD5 as the earlier session recorded it.
    pub(crate) fn add_imported(
        &mut self,
        dir: NodeId,
        entry: &Entry,
        md5: Option<Digest>,
    ) -> Result<NodeId> {
        let kind = match &entry.kind {
            EntryKind::Directory => Kind::Dir {
                children: Vec::new(),
            },
            EntryKind::File => Kind::File(FileData::Imported {
                size: entry.size,
                extents: entry.extents.clone().into_boxed_slice(),
                md5: md5.map(|d| {
                    self.carried_md5.push(d);
                    (self.carried_md5.len() - 1) as u32
                }),
            }),
            EntryKind::Symlink(t) => Kind::Symlink(t.clone()),
            EntryKind::CharDevice | EntryKind::BlockDevice => Kind::Device(entry.rdev),
            EntryKind::Fifo => Kind::Fifo,
            EntryKind::Socket => return Ok(dir),
        };
        let node = Node {
            name: entry.name.as_bytes().into(),
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
            origin: Origin::None,
            imported: true,
        };
        let id = self.alloc(node);
        if let Some(kids) = self.children_mut(dir) {
            kids.push(id);
        }
        Ok(id)
    }

    /// Sorts every directory's children by name after an import. An image that records a
    /// name twice in one directory keeps the later entry, as a map insertion would.
    pub(crate) fn sort_imported(&mut self) {
        for d in 0..self.nodes.len() {
            let Some(mut kids) = self.children_mut(d as NodeId).map(std::mem::take) else {
                continue;
            };
            // Stable, so that of equal names the later one comes last and is kept.
            kids.sort_by(|&a, &b| self.name(a).cmp(self.name(b)));
            let mut out: Vec<NodeId> = Vec::with_capacity(kids.len());
            for id in kids {
                match out.last_mut() {
                    Some(last) if self.name(*last) == self.name(id) => *last = id,
                    _ => out.push(id),
                }
            }
            if let Some(k) = self.children_mut(d as NodeId) {
                *k = out;
            }
        }
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
        let Ok(at) = self.search(dir, name) else {
            return false;
        };
        if let Some(kids) = self.children_mut(dir) {
            kids.remove(at);
        }
        true
    }
}

/// What inserting at an occupied name does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resolution {
    MergeDirs,
    Replace,
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
        assert_eq!(t.node(d).unwrap().children().len(), 2);
        fs::write(b.path().join("d/x"), b"3").unwrap();
        fs::write(b.path().join("d/w"), b"4").unwrap();
        let err = t.add_graft(&[], b.path(), Path::new("/")).unwrap_err();
        match &err {
            Error::Conflict {
                dest,
                first,
                second,
            } => {
                assert_eq!(dest, Path::new("/d/x"));
                assert_eq!(first, &a.path().join("d/x"));
                assert_eq!(second, &b.path().join("d/x"));
            }
            _ => panic!("{err}"),
        }
        // The conflict is found before anything changes: "w", before "x", was not added.
        let names: Vec<&[u8]> = t
            .node(d)
            .unwrap()
            .children()
            .iter()
            .map(|&c| t.name(c))
            .collect();
        assert_eq!(names, [&b"x"[..], b"y"]);
    }

    fn imported(name: &str, kind: EntryKind) -> Entry {
        Entry {
            name: name.into(),
            kind,
            mode: 0o100_444,
            uid: 0,
            gid: 0,
            nlink: 1,
            serial: None,
            mtime: 0,
            atime: 0,
            ctime: 0,
            size: 0,
            extents: Vec::new(),
            rdev: 0,
            md5_index: None,
        }
    }

    #[test]
    fn new_sources_merge_into_an_imported_tree() {
        let mut t = Tree::new(0);
        // Recorded order is ISO 9660 order, not name order, and a broken image may repeat a
        // name: the later entry wins.
        let d = t
            .add_imported(ROOT, &imported("d", EntryKind::Directory), None)
            .unwrap();
        t.add_imported(d, &imported("z", EntryKind::File), None)
            .unwrap();
        t.add_imported(d, &imported("b", EntryKind::File), None)
            .unwrap();
        let later = t.add_imported(d, &imported("z", EntryKind::Symlink(b"t".to_vec())), None);
        let later = later.unwrap();
        t.add_imported(d, &imported("sub", EntryKind::Directory), None)
            .unwrap();
        t.sort_imported();
        let names = |t: &Tree, d| -> Vec<Vec<u8>> {
            let kids = t.node(d).unwrap().children();
            kids.iter().map(|&c| t.name(c).to_vec()).collect()
        };
        assert_eq!(
            names(&t, d),
            [b"b".to_vec(), b"sub".to_vec(), b"z".to_vec()]
        );
        assert_eq!(t.child(d, b"z"), Some(later));

        // A new source replaces the imported file "b", merges into "sub" and adds "c".
        let src = tempfile::tempdir().unwrap();
        fs::create_dir_all(src.path().join("sub/inner")).unwrap();
        fs::write(src.path().join("b"), b"new").unwrap();
        fs::write(src.path().join("c"), b"new").unwrap();
        t.add_graft(&components(b"d"), src.path(), Path::new("/d"))
            .unwrap();
        assert_eq!(
            names(&t, d),
            [b"b".to_vec(), b"c".to_vec(), b"sub".to_vec(), b"z".to_vec()]
        );
        let b = t.child(d, b"b").unwrap();
        assert!(!t.node(b).unwrap().imported);
        assert_eq!(t.source_path(b).unwrap(), src.path().join("b"));
        let sub = t.child(d, b"sub").unwrap();
        assert!(t.child(sub, b"inner").is_some());
        assert_eq!(t.source_path(sub).unwrap(), src.path().join("sub"));
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
