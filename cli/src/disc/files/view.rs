//! The tree a user sees: the last session's entries with the pending changes applied, and the
//! pending changes themselves in the form a commit replays them.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use iso9660::{EntryKind, GraftPoint};
use serde::{Deserialize, Serialize};

/// File types the view distinguishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    /// A directory.
    Dir,
    /// A regular file.
    File,
    /// A symbolic link and its target.
    Symlink(Vec<u8>),
    /// A device file, fifo or socket.
    Special,
}

/// Where a node's content is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// On the medium, in the last session.
    Medium,
    /// A local file to be copied in by the next commit.
    Local(PathBuf),
    /// A directory made implicitly as the parent of a pending copy.
    Implicit,
}

/// One entry of the view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Type.
    pub kind: NodeKind,
    /// POSIX mode with type bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Size in bytes (0 for directories, the target length for symlinks).
    pub size: u64,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
    /// Access time, seconds since the epoch (restores keep it).
    pub atime: i64,
    /// Where the content is.
    pub origin: Origin,
}

impl Node {
    /// Whether this is a directory.
    pub fn is_dir(&self) -> bool {
        self.kind == NodeKind::Dir
    }

    fn from_entry(e: &iso9660::Entry) -> Node {
        Node {
            kind: match &e.kind {
                EntryKind::Directory => NodeKind::Dir,
                EntryKind::File => NodeKind::File,
                EntryKind::Symlink(t) => NodeKind::Symlink(t.clone()),
                _ => NodeKind::Special,
            },
            mode: e.mode,
            uid: e.uid,
            gid: e.gid,
            size: match &e.kind {
                EntryKind::Directory => 0,
                EntryKind::Symlink(t) => t.len() as u64,
                _ => e.size,
            },
            mtime: e.mtime,
            atime: e.atime,
            origin: Origin::Medium,
        }
    }

    fn from_local(path: &Path, md: &std::fs::Metadata) -> anyhow::Result<Node> {
        let ft = md.file_type();
        let kind = if ft.is_dir() {
            NodeKind::Dir
        } else if ft.is_file() {
            NodeKind::File
        } else if ft.is_symlink() {
            let t = std::fs::read_link(path)
                .with_context(|| format!("reading the link {}", path.display()))?;
            NodeKind::Symlink(t.into_os_string().into_vec())
        } else {
            NodeKind::Special
        };
        Ok(Node {
            size: match &kind {
                NodeKind::Dir => 0,
                NodeKind::Symlink(t) => t.len() as u64,
                _ => md.len(),
            },
            kind,
            mode: md.mode(),
            uid: md.uid(),
            gid: md.gid(),
            mtime: md.mtime(),
            atime: md.atime(),
            origin: Origin::Local(path.to_path_buf()),
        })
    }
}

/// Normalizes an image path against `cwd`: absolute, `/`-separated, no `.`, `..` resolved
/// (never above the root), no trailing slash. The root is `/`.
pub fn normalize(cwd: &[u8], path: &[u8]) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = Vec::new();
    let joined: Vec<&[u8]> = if path.first() == Some(&b'/') {
        vec![path]
    } else {
        vec![cwd, path]
    };
    for piece in joined {
        for c in piece.split(|&b| b == b'/') {
            match c {
                b"" | b"." => {}
                b".." => {
                    parts.pop();
                }
                c => parts.push(c),
            }
        }
    }
    let mut out = Vec::new();
    for p in parts {
        out.push(b'/');
        out.extend_from_slice(p);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

/// The parent of a normalized path (`/` for `/`).
pub fn parent(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&b| b == b'/') {
        Some(0) | None => b"/",
        Some(i) => &path[..i],
    }
}

/// The last component of a normalized path (empty for `/`).
pub fn leaf(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut out = dir.to_vec();
    if out.last() != Some(&b'/') {
        out.push(b'/');
    }
    out.extend_from_slice(name);
    out
}

fn is_under(path: &[u8], top: &[u8]) -> bool {
    top == b"/" || path == top || (path.starts_with(top) && path.get(top.len()) == Some(&b'/'))
}

/// One pending copy into the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingCopy {
    /// Normalized image path.
    pub dest: OsString,
    /// Absolute local path.
    pub source: PathBuf,
}

/// Changes not yet committed, in the form a commit replays them: every removal first, then
/// every copy in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// Image paths deleted from the last session (subtrees for directories).
    pub removes: Vec<OsString>,
    /// Local files and directories copied in.
    pub copies: Vec<PendingCopy>,
}

impl Pending {
    /// Whether there is nothing to commit.
    pub fn is_empty(&self) -> bool {
        self.removes.is_empty() && self.copies.is_empty()
    }

    /// The copies as graft points: a directory's contents go to its destination.
    pub fn grafts(&self) -> Vec<GraftPoint> {
        self.copies
            .iter()
            .map(|c| GraftPoint {
                dest: c.dest.clone(),
                source: c.source.clone(),
            })
            .collect()
    }
}

/// Why a change was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The path is not in the tree.
    NotFound,
    /// A directory where a file was expected.
    IsDirectory,
    /// A removal inside a directory that a pending copy brings in (commit first).
    InsidePendingCopy,
    /// A copy over a pending directory, or under a file.
    NotADirectory,
}

/// Which part of a session to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every directory (what changes and commits need).
    All,
    /// Only what these normalized paths need: the directories on the way to each, and, for
    /// a directory, its entries (`false`) or its whole subtree (`true`). `ls` and `get` read
    /// no directory they do not show.
    Paths(Vec<(Vec<u8>, bool)>),
}

/// The last session's tree plus pending changes.
#[derive(Debug, Clone, Default)]
pub struct View {
    nodes: BTreeMap<Vec<u8>, Node>,
    /// Paths that were on the medium when the view was loaded.
    on_medium: std::collections::BTreeSet<Vec<u8>>,
    /// Entries of the medium that could not be read, by normalized path, with why.
    damaged: BTreeMap<Vec<u8>, String>,
    pending: Pending,
}

impl View {
    /// An empty tree (a blank medium).
    pub fn blank() -> View {
        let mut v = View::default();
        v.nodes.insert(
            b"/".to_vec(),
            Node {
                kind: NodeKind::Dir,
                mode: 0o40755,
                uid: 0,
                gid: 0,
                size: 0,
                mtime: 0,
                atime: 0,
                origin: Origin::Medium,
            },
        );
        v
    }

    /// The tree of an opened session. Damaged entries are left out and listed in
    /// [`View::damaged`]; the rest loads.
    ///
    /// # Errors
    /// The root is unreadable; the walk exceeds the image's budget.
    pub fn load<R: std::io::Read + std::io::Seek>(
        image: &mut iso9660::Image<R>,
    ) -> anyhow::Result<View> {
        View::load_scoped(image, &Scope::All)
    }

    /// As [`View::load`], reading only the directories `scope` needs.
    ///
    /// # Errors
    /// The root is unreadable; the walk exceeds the image's budget.
    pub fn load_scoped<R: std::io::Read + std::io::Seek>(
        image: &mut iso9660::Image<R>,
        scope: &Scope,
    ) -> anyhow::Result<View> {
        let mut v = View::blank();
        let root = image.root().context("reading the root directory")?;
        if let Some(r) = v.nodes.get_mut(b"/".as_slice()) {
            *r = Node::from_entry(&root);
        }
        let wanted: Vec<(Vec<u8>, bool)> = match scope {
            Scope::All => vec![(b"/".to_vec(), true)],
            Scope::Paths(p) => p.clone(),
        };
        // Directories already read, so overlapping requests read each once.
        let mut listed = std::collections::BTreeSet::new();
        for (path, recursive) in wanted {
            let mut dir = root.clone();
            let mut at = b"/".to_vec();
            let mut found = true;
            let comps: Vec<&[u8]> = path
                .split(|&c| c == b'/')
                .filter(|c| !c.is_empty())
                .collect();
            for comp in comps {
                let listing = v.list(image, &dir, &at, &mut listed)?;
                at = join(&at, comp);
                match listing.into_iter().find(|e| e.name.as_bytes() == comp) {
                    Some(e) if e.is_dir() || at == path => dir = e,
                    _ => {
                        found = false;
                        break;
                    }
                }
            }
            if !found || !dir.is_dir() {
                continue;
            }
            if !recursive {
                v.list(image, &dir, &at, &mut listed)?;
                continue;
            }
            let base = PathBuf::from(OsStr::from_bytes(&at[1..]));
            let mut found = Vec::new();
            let mut damaged = Vec::new();
            image
                .walk_lossy(
                    &dir,
                    &base,
                    |w| {
                        let path = normalize(b"/", w.path.as_os_str().as_bytes());
                        found.push((path, Node::from_entry(&w.entry)));
                        Ok(())
                    },
                    |d| {
                        damaged.push(d.clone());
                        Ok(())
                    },
                )
                .context("reading the directory tree")?;
            for (p, n) in found {
                v.on_medium.insert(p.clone());
                v.nodes.insert(p, n);
            }
            for d in damaged {
                v.note_damage(&d);
            }
        }
        Ok(v)
    }

    /// Reads directory `dir` (at normalized `at`) into the view once; returns its entries.
    fn list<R: std::io::Read + std::io::Seek>(
        &mut self,
        image: &mut iso9660::Image<R>,
        dir: &iso9660::Entry,
        at: &[u8],
        listed: &mut std::collections::BTreeSet<Vec<u8>>,
    ) -> anyhow::Result<Vec<iso9660::Entry>> {
        let listing = match image.read_dir_lossy(dir) {
            Ok(l) => l,
            Err(e) => {
                self.damaged.insert(at.to_vec(), e.to_string());
                return Ok(Vec::new());
            }
        };
        if listed.insert(at.to_vec()) {
            for e in &listing.entries {
                let p = join(at, e.name.as_bytes());
                self.on_medium.insert(p.clone());
                self.nodes.insert(p, Node::from_entry(e));
            }
            let base = PathBuf::from(OsStr::from_bytes(at.get(1..).unwrap_or(b"")));
            for mut d in listing.damaged {
                d.path = base.join(&d.path);
                self.note_damage(&d);
            }
        }
        Ok(listing.entries)
    }

    fn note_damage(&mut self, d: &iso9660::Damaged) {
        let p = normalize(b"/", d.path.as_os_str().as_bytes());
        let what = if d.is_dir {
            format!("{d} (directory: its contents are lost)")
        } else {
            d.to_string()
        };
        // A directory that is itself in the view but unreadable keeps its node (it exists)
        // and is marked damaged.
        self.damaged.insert(p, what);
    }

    /// Entries of the medium that could not be read, by normalized path, with why.
    pub fn damaged(&self) -> &BTreeMap<Vec<u8>, String> {
        &self.damaged
    }

    /// The damaged entries at or below `path`.
    pub fn damaged_under(&self, path: &[u8]) -> Vec<(&[u8], &str)> {
        self.damaged
            .iter()
            .filter(|(p, _)| is_under(p, path))
            .map(|(p, w)| (p.as_slice(), w.as_str()))
            .collect()
    }

    /// The pending changes.
    pub fn pending(&self) -> &Pending {
        &self.pending
    }

    /// The node at a normalized path.
    pub fn get(&self, path: &[u8]) -> Option<&Node> {
        self.nodes.get(path)
    }

    /// The children of a directory, sorted by name.
    pub fn children(&self, dir: &[u8]) -> Vec<(&[u8], &Node)> {
        let prefix = join(dir, b"");
        let mut out: Vec<(&[u8], &Node)> = self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| k.len() > prefix.len() && !k[prefix.len()..].contains(&b'/'))
            .map(|(k, n)| (&k[prefix.len()..], n))
            .collect();
        out.sort_by(|a, b| a.0.cmp(b.0));
        out
    }

    /// Removes `path` (a subtree when `recursive`).
    ///
    /// # Errors
    /// [`Refusal`] when it is missing, a directory without `recursive`, or inside a pending
    /// directory copy.
    pub fn remove(&mut self, path: &[u8], recursive: bool) -> Result<(), Refusal> {
        let node = self.nodes.get(path).ok_or(Refusal::NotFound)?;
        if node.is_dir() && !recursive {
            return Err(Refusal::IsDirectory);
        }
        if path == b"/" {
            return Err(Refusal::IsDirectory);
        }
        if self
            .pending
            .copies
            .iter()
            .any(|c| is_under(path, c.dest.as_bytes()) && path != c.dest.as_bytes())
        {
            return Err(Refusal::InsidePendingCopy);
        }
        self.pending
            .copies
            .retain(|c| !is_under(c.dest.as_bytes(), path));
        if self.on_medium.iter().any(|p| is_under(p, path)) {
            let p = OsString::from_vec(path.to_vec());
            if !self.pending.removes.contains(&p) {
                self.pending.removes.push(p);
            }
        }
        let doomed: Vec<Vec<u8>> = self
            .nodes
            .keys()
            .filter(|k| is_under(k, path))
            .cloned()
            .collect();
        for k in doomed {
            self.nodes.remove(&k);
        }
        Ok(())
    }

    /// Copies a local file or directory tree to image path `dest` (normalized; parents are
    /// made as needed). Returns the number of files and directories added.
    ///
    /// # Errors
    /// The source cannot be read; [`Refusal::NotADirectory`] (as an error message) when a
    /// parent is a file.
    pub fn copy_in(&mut self, source: &Path, dest: &[u8]) -> anyhow::Result<u64> {
        let source = std::path::absolute(source)
            .with_context(|| format!("resolving {}", source.display()))?;
        let md = std::fs::symlink_metadata(&source)
            .with_context(|| format!("cannot read '{}'", source.display()))?;
        // Parents first: every ancestor must be (or become) a directory.
        let mut ancestors = Vec::new();
        let mut p = parent(dest);
        while p != b"/" {
            ancestors.push(p.to_vec());
            p = parent(p);
        }
        for a in ancestors.iter().rev() {
            match self.nodes.get(a) {
                Some(n) if n.is_dir() => {}
                Some(_) => anyhow::bail!(
                    "'{}' in the image is not a directory",
                    String::from_utf8_lossy(a)
                ),
                None => {
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_secs() as i64);
                    self.nodes.insert(
                        a.clone(),
                        Node {
                            kind: NodeKind::Dir,
                            mode: 0o40755,
                            uid: 0,
                            gid: 0,
                            size: 0,
                            mtime: now,
                            atime: now,
                            origin: Origin::Implicit,
                        },
                    );
                }
            }
        }
        // Replace whatever is there (a directory copy merges into an existing directory,
        // as cp -r does).
        let merge = md.is_dir() && self.nodes.get(dest).is_some_and(Node::is_dir);
        if !merge && dest != b"/" {
            let doomed: Vec<Vec<u8>> = self
                .nodes
                .keys()
                .filter(|k| is_under(k, dest))
                .cloned()
                .collect();
            for k in doomed {
                self.nodes.remove(&k);
            }
            if self.on_medium.iter().any(|p| is_under(p, dest)) {
                // Whatever the last session has there goes first, so the copy never meets
                // an imported entry of another type.
                let p = OsString::from_vec(dest.to_vec());
                if !self.pending.removes.contains(&p) {
                    self.pending.removes.push(p);
                }
            }
        }
        self.pending.copies.retain(|c| c.dest.as_bytes() != dest);
        self.pending.copies.push(PendingCopy {
            dest: OsString::from_vec(dest.to_vec()),
            source: source.clone(),
        });
        let mut added = 0;
        let mut stack = vec![(source.clone(), dest.to_vec(), md)];
        while let Some((src, dst, md)) = stack.pop() {
            let node = Node::from_local(&src, &md)?;
            let is_dir = node.is_dir();
            if !(is_dir && self.nodes.get(&dst).is_some_and(Node::is_dir)) || dst == dest {
                self.nodes.insert(dst.clone(), node);
            }
            added += 1;
            if is_dir {
                let rd = std::fs::read_dir(&src)
                    .with_context(|| format!("cannot read directory '{}'", src.display()))?;
                for e in rd {
                    let e = e.with_context(|| format!("reading '{}'", src.display()))?;
                    let md = std::fs::symlink_metadata(e.path())
                        .with_context(|| format!("cannot read '{}'", e.path().display()))?;
                    if md.file_type().is_socket_like() {
                        continue;
                    }
                    stack.push((e.path(), join(&dst, e.file_name().as_bytes()), md));
                }
            }
        }
        Ok(added)
    }

    /// Replays recorded pending changes (a journal) on a freshly loaded view.
    ///
    /// # Errors
    /// A recorded removal no longer applies, or a source cannot be read.
    pub fn replay(&mut self, pending: &Pending) -> anyhow::Result<()> {
        for r in &pending.removes {
            self.remove(r.as_bytes(), true).map_err(|e| {
                anyhow::anyhow!(
                    "recorded removal of '{}' no longer applies: {e:?}",
                    r.to_string_lossy()
                )
            })?;
        }
        for c in &pending.copies {
            self.copy_in(&c.source, c.dest.as_bytes())?;
        }
        Ok(())
    }
}

trait SocketLike {
    fn is_socket_like(&self) -> bool;
}

impl SocketLike for std::fs::FileType {
    fn is_socket_like(&self) -> bool {
        use std::os::unix::fs::FileTypeExt;
        self.is_socket()
    }
}

/// A name from an image or a disc as text safe to print on a terminal: control characters
/// (C0, DEL and C1, which include escape sequences that would move the cursor, retitle the
/// window or worse) and invalid UTF-8 become `\xNN` escapes; a backslash is doubled so the
/// escapes stay unambiguous.
pub fn printable(name: &[u8]) -> String {
    let mut out = String::with_capacity(name.len());
    for chunk in name.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => {
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        out.push_str(&format!("\\x{b:02x}"));
                    }
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Quotes a name the way xorriso's listings do: in single quotes, an embedded `'` written as
/// `'"'"'`; control characters escaped as [`printable`] does.
pub fn quote_name(name: &[u8]) -> String {
    let mut s = String::from("'");
    for part in printable(name).split('\'').enumerate() {
        if part.0 > 0 {
            s.push_str("'\"'\"'");
        }
        s.push_str(part.1);
    }
    s.push('\'');
    s
}

/// `ls -l` style type and permission characters (10 of them).
pub fn mode_string(mode: u32) -> String {
    let t = match mode & 0o170000 {
        0o040000 => 'd',
        0o120000 => 'l',
        0o020000 => 'c',
        0o060000 => 'b',
        0o010000 => 'p',
        0o140000 => 's',
        _ => '-',
    };
    let mut s = String::with_capacity(10);
    s.push(t);
    let bit = |m: u32, c: char| if mode & m != 0 { c } else { '-' };
    let exec =
        |x: u32, special: u32, on: char, off: char| match (mode & x != 0, mode & special != 0) {
            (true, true) => on,
            (false, true) => off,
            (true, false) => 'x',
            (false, false) => '-',
        };
    s.push(bit(0o400, 'r'));
    s.push(bit(0o200, 'w'));
    s.push(exec(0o100, 0o4000, 's', 'S'));
    s.push(bit(0o040, 'r'));
    s.push(bit(0o020, 'w'));
    s.push(exec(0o010, 0o2000, 's', 'S'));
    s.push(bit(0o004, 'r'));
    s.push(bit(0o002, 'w'));
    s.push(exec(0o001, 0o1000, 't', 'T'));
    s
}

/// One `-lsl` line, as xorriso prints it: type and permissions, a flag column, link count,
/// owner, group, size, date (`Mon DD HH:MM` within 180 days, else `Mon DD  YYYY`, local
/// time) and the quoted name, with ` -> 'target'` for symlinks.
pub fn long_line(node: &Node, name: &[u8], now: i64) -> String {
    use chrono::TimeZone;
    let date = match chrono::Local.timestamp_opt(node.mtime, 0).single() {
        Some(t) if (now - node.mtime).abs() < 180 * 86_400 => t.format("%b %e %H:%M").to_string(),
        Some(t) => t.format("%b %e  %Y").to_string(),
        None => "Jan  1  1970".to_owned(),
    };
    let mut line = format!(
        "{} {:>4} {:<8} {:<8} {:>8} {} {}",
        mode_string(node.mode),
        1,
        node.uid,
        node.gid,
        node.size,
        date,
        quote_name(name)
    );
    if let NodeKind::Symlink(t) = &node.kind {
        line.push_str(" -> ");
        line.push_str(&quote_name(t));
    }
    line
}

/// Checks that a name from the image is safe to create below a local destination directory:
/// relative, no `..`, no empty components. Returns the relative path.
///
/// # Errors
/// A description of what is wrong.
pub fn safe_relative(name: &OsStr) -> anyhow::Result<PathBuf> {
    let b = name.as_bytes();
    if b.first() == Some(&b'/') {
        anyhow::bail!("refusing absolute name '{}'", name.to_string_lossy());
    }
    let mut out = PathBuf::new();
    for c in b.split(|&x| x == b'/') {
        match c {
            b"" | b"." => {}
            b".." => anyhow::bail!("refusing name with '..': '{}'", name.to_string_lossy()),
            c => out.push(OsStr::from_bytes(c)),
        }
    }
    if out.as_os_str().is_empty() {
        anyhow::bail!("empty name");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizing() {
        assert_eq!(normalize(b"/", b""), b"/");
        assert_eq!(normalize(b"/", b"/a//b/"), b"/a/b");
        assert_eq!(normalize(b"/x", b"../../y/./z"), b"/y/z");
        assert_eq!(normalize(b"/x", b"y"), b"/x/y");
        assert_eq!(parent(b"/a/b"), b"/a");
        assert_eq!(parent(b"/a"), b"/");
        assert_eq!(leaf(b"/a/b c"), b"b c");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(printable(b"a\x1b]0;owned\x07b"), "a\\x1b]0;owned\\x07b");
        assert_eq!(printable(b"x\ny\\z"), "x\\x0ay\\\\z");
        assert_eq!(printable("\u{9b}2J".as_bytes()), "\\xc2\\x9b2J");
        assert_eq!(printable(b"\xffok"), "\\xffok");
        assert_eq!(quote_name(b"t\tab"), "'t\\x09ab'");
    }

    #[test]
    fn quoting_names() {
        assert_eq!(quote_name(b"a.txt"), "'a.txt'");
        assert_eq!(quote_name(b"it's"), "'it'\"'\"'s'");
        assert_eq!(quote_name(b"b c"), "'b c'");
    }

    #[test]
    fn long_lines_match_xorriso_columns() {
        let n = Node {
            kind: NodeKind::File,
            mode: 0o100644,
            uid: 0,
            gid: 0,
            size: 6,
            mtime: 0,
            atime: 0,
            origin: Origin::Medium,
        };
        let line = long_line(&n, b"a.txt", 0);
        let fields: Vec<&str> = line.splitn(9, char::is_whitespace).collect();
        assert!(
            line.starts_with("-rw-r--r--    1 0        0               6 "),
            "{line}"
        );
        assert!(line.ends_with(" 'a.txt'"), "{line}");
        assert_eq!(line.split_whitespace().count(), 9, "{fields:?}");
        assert_eq!(mode_string(0o40755), "drwxr-xr-x");
        assert_eq!(mode_string(0o104755), "-rwsr-xr-x");
        assert_eq!(mode_string(0o41777), "drwxrwxrwt");
    }

    #[test]
    fn safe_names() {
        assert!(safe_relative(OsStr::new("../x")).is_err());
        assert!(safe_relative(OsStr::new("/etc/passwd")).is_err());
        assert!(safe_relative(OsStr::new("a/../../b")).is_err());
        assert_eq!(
            safe_relative(OsStr::new("a/./b")).unwrap(),
            Path::new("a/b")
        );
    }

    #[test]
    fn pending_changes_normalize() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, b"hello").unwrap();
        let mut v = View::blank();
        v.copy_in(&f, b"/a/b").unwrap();
        assert!(v.get(b"/a").unwrap().is_dir());
        assert_eq!(v.get(b"/a/b").unwrap().size, 5);
        v.copy_in(&f, b"/a/b").unwrap();
        assert_eq!(v.pending().copies.len(), 1);
        v.remove(b"/a/b", false).unwrap();
        assert!(v.pending().is_empty());
        assert_eq!(v.remove(b"/nope", false), Err(Refusal::NotFound));
        assert_eq!(v.remove(b"/a", false), Err(Refusal::IsDirectory));
        v.copy_in(dir.path(), b"/d").unwrap();
        assert_eq!(v.children(b"/d").len(), 1);
        assert_eq!(v.remove(b"/d/f", false), Err(Refusal::InsidePendingCopy));
    }
}
