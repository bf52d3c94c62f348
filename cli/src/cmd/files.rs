//! `spindle ls|lsl|put|get|rm|commit TARGET …`: file-level access to the last session of a
//! drive, a mock drive or an ISO image file.
//!
//! `put` and `rm` record changes in a small journal next to the target (image file:
//! `.NAME.spindle-pending` in its directory; mock drive: `DIR/spindle-pending.json`; drive:
//! `$XDG_STATE_HOME/spindle/pending/DEV.json`), so several commands can build one session;
//! `commit` writes them as one new session and removes the journal. `--commit` on `put` or
//! `rm` does both at once. The journal names the session it was made against: if the medium
//! changed in between, `commit` refuses (`commit --discard` drops the journal).

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;
use serde::{Deserialize, Serialize};

use crate::disc::files::restore::{
    check_no_symlink_on_the_way, restore_dir, restore_file, restore_symlink, set_metadata,
};
use crate::disc::files::view::{leaf, long_line, normalize, printable, quote_name, safe_relative};
use crate::disc::files::{CommitOptions, Medium, NoSpace, Node, NodeKind, Pending, Scope, Target};

/// `TARGET [PATH…]` for `ls` and `lsl`.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// `/dev/srN`, `mock:DIR` (or a mock drive's directory), or an ISO image file.
    pub target: String,
    /// Paths in the image (default `/`).
    pub paths: Vec<String>,
    /// Print the entries as JSON (docs/schema/ls.json).
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `spindle put`.
#[derive(Debug, Args)]
#[command(after_help = "\
Copies as `cp -r` does: with one SOURCE, DEST is its new name, unless DEST is a directory in
the image; with several, they go into directory DEST. Parents are made as needed.

Examples:
  spindle put /tmp/b.iso /srv/data /data --commit
  spindle put mock:/tmp/drive notes.txt /docs/   (recorded; `spindle commit` writes it)")]
pub struct PutArgs {
    /// The target.
    pub target: String,
    /// Local files or directories, then the destination path in the image.
    #[arg(required = true, num_args = 2..)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub commit: CommitFlags,
}

/// Arguments of `spindle rm`.
#[derive(Debug, Args)]
pub struct RmArgs {
    /// The target.
    pub target: String,
    /// Paths in the image.
    #[arg(required = true)]
    pub paths: Vec<String>,
    /// Remove directories and everything below them.
    #[arg(short, long)]
    pub recursive: bool,
    #[command(flatten)]
    pub commit: CommitFlags,
}

/// Arguments of `spindle get`.
#[derive(Debug, Args)]
#[command(after_help = "\
Files and directory trees are written below DESTDIR only: names with `..` or `/`, and
existing symlinks on the way, are refused. Symlinks in the image are restored as symlinks
after everything else.")]
pub struct GetArgs {
    /// The target.
    pub target: String,
    /// Paths in the image, then the local directory they go to (created if missing).
    #[arg(required = true, num_args = 2..)]
    pub paths: Vec<String>,
}

/// Options shared by `commit` and the `--commit` of `put`/`rm`.
#[derive(Debug, Args)]
pub struct CommitFlags {
    /// Write the changes now as a new session (for `put`/`rm`).
    #[arg(long)]
    pub commit: bool,
    /// Volume label of the new session (default: keep the last one, ISOIMAGE on blank media).
    #[arg(long = "volid", short = 'V', value_name = "LABEL")]
    pub volume_id: Option<String>,
    /// Close a write-once disc for good.
    #[arg(long)]
    pub finalize: bool,
    /// Leave out the Joliet tree.
    #[arg(long)]
    pub no_joliet: bool,
}

/// Arguments of `spindle commit`.
#[derive(Debug, Args)]
pub struct CommitArgs {
    /// The target.
    pub target: String,
    #[command(flatten)]
    pub flags: CommitFlags,
    /// Drop the recorded changes instead of writing them.
    #[arg(long)]
    pub discard: bool,
    /// Print what would be written and stop.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    target: String,
    volume_blocks: u32,
    volume_id: String,
    /// Which medium the changes were made against ([`medium_identity`]); a journal without
    /// one (from an older spindle) matches none.
    #[serde(default)]
    medium: String,
    pending: Pending,
}

/// What tells one medium in a target from another that looks the same (two blank discs have
/// the same volume id and size): the kind of medium, and for an image file the file itself
/// (device and inode), so a file replaced under the same name is another medium. A mock
/// drive's journal is dropped when its medium changes (`spindle mock new|insert|eject`).
fn medium_identity(m: &Medium) -> String {
    use std::os::unix::fs::MetadataExt;
    let file = match m.target() {
        Target::Image(p) => match std::fs::symlink_metadata(p) {
            Ok(md) => format!(" file {}:{}", md.dev(), md.ino()),
            Err(_) => " no file".to_owned(),
        },
        Target::Drive(_) => String::new(),
    };
    format!("{} at {}{file}", m.media_kind, m.session_start)
}

/// The journal's lock, held by `put`, `rm` and `commit` from reading the journal to writing
/// it back, so concurrent commands on one target take turns instead of losing updates.
fn lock_journal(t: &Target) -> anyhow::Result<nix::fcntl::Flock<std::fs::File>> {
    let mut lp = journal_path(t).into_os_string();
    lp.push(".lock");
    let lp = PathBuf::from(lp);
    if let Some(d) = lp.parent() {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
        .open(&lp)
        .with_context(|| format!("opening the journal lock {}", lp.display()))?;
    nix::fcntl::Flock::lock(f, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, e)| anyhow::anyhow!("locking {}: {e}", lp.display()))
}

/// Reads the journal without following a symlink (a planted link must not make us read, or
/// later replace, a file elsewhere).
fn read_journal(jp: &Path) -> anyhow::Result<Option<Journal>> {
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
        .open(jp);
    let mut f = match f {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(nix::libc::ELOOP) => bail!(
            "the journal {} is a symlink; refusing to use it (remove it)",
            jp.display()
        ),
        Err(e) => return Err(e).with_context(|| format!("opening {}", jp.display())),
    };
    if !f.metadata()?.is_file() {
        bail!("the journal {} is not a regular file", jp.display());
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut f, &mut text)
        .with_context(|| format!("reading {}", jp.display()))?;
    let j = serde_json::from_str(&text)
        .with_context(|| format!("reading the journal {}", jp.display()))?;
    Ok(Some(j))
}

/// Removes the journal of the mock drive in `dir` (its medium changed). Used by
/// `spindle mock`.
pub fn drop_mock_journal(dir: &Path) {
    let _ = std::fs::remove_file(dir.join(MOCK_JOURNAL));
}

/// The journal's name in a mock drive's directory.
const MOCK_JOURNAL: &str = "spindle-pending.json";

fn journal_path(t: &Target) -> PathBuf {
    match t {
        Target::Image(p) => {
            let name = p
                .file_name()
                .map_or_else(|| "image".into(), |n| n.to_os_string());
            let mut j = OsString::from(".");
            j.push(name);
            j.push(".spindle-pending");
            p.with_file_name(j)
        }
        Target::Drive(d) if d.starts_with("mock:") => {
            Path::new(&d["mock:".len()..]).join(MOCK_JOURNAL)
        }
        Target::Drive(d) => {
            let base = std::env::var_os("XDG_STATE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local/state")))
                .unwrap_or_else(|| PathBuf::from("/tmp"));
            base.join("spindle/pending").join(format!(
                "{}.json",
                d.trim_start_matches('/').replace('/', "_")
            ))
        }
    }
}

/// Loads the target and replays the journal, if any.
fn open(spec: &str) -> anyhow::Result<Medium> {
    open_scoped(spec, &Scope::All)
}

/// As [`open`], reading only the directories `scope` needs when nothing is pending (pending
/// changes replay against the whole tree).
fn open_scoped(spec: &str, scope: &Scope) -> anyhow::Result<Medium> {
    let t = Target::parse(spec)?;
    let jp = journal_path(&t);
    let journal = read_journal(&jp)?;
    let scope = if journal.is_some() {
        &Scope::All
    } else {
        scope
    };
    let mut m = Medium::load_scoped(&t, scope).with_context(|| format!("loading {spec}"))?;
    if let Some(j) = journal {
        if j.volume_blocks != m.volume_blocks
            || j.volume_id != m.volume_id
            || j.medium != medium_identity(&m)
        {
            bail!(
                "{spec} changed since the pending changes in {} were recorded; \
                 `spindle commit {spec} --discard` drops them",
                jp.display()
            );
        }
        m.view
            .replay(&j.pending)
            .with_context(|| format!("replaying {}", jp.display()))?;
    }
    Ok(m)
}

fn save(m: &Medium) -> anyhow::Result<()> {
    let jp = journal_path(m.target());
    if m.view.pending().is_empty() {
        let _ = std::fs::remove_file(&jp);
        return Ok(());
    }
    if let Some(d) = jp.parent() {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    let j = Journal {
        target: m.target().name(),
        volume_blocks: m.volume_blocks,
        volume_id: m.volume_id.clone(),
        medium: medium_identity(m),
        pending: m.view.pending().clone(),
    };
    // A new file renamed over the old one: a reader sees the old journal or the new, never
    // a half-written one, and a symlink at the journal's name is replaced, not followed.
    let mut tmp = jp.clone().into_os_string();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    let written = (|| -> anyhow::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
            .open(&tmp)?;
        f.write_all(&serde_json::to_vec_pretty(&j)?)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &jp)?;
        Ok(())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.with_context(|| format!("writing {}", jp.display()))
}

fn options(f: &CommitFlags) -> CommitOptions {
    CommitOptions {
        volume_id: f.volume_id.clone(),
        joliet: !f.no_joliet,
        finalize: f.finalize,
        speed: None,
        md5: false,
    }
}

/// Commits; `recorded` says whether the changes are in the journal (`commit`) or only in
/// this command (`put --commit`), so a full disc is reported truthfully.
fn do_commit(
    m: &mut Medium,
    f: &CommitFlags,
    recorded: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match m.commit(&options(f)) {
        Ok(Some(c)) => {
            let _ = std::fs::remove_file(journal_path(m.target()));
            writeln!(
                out,
                "committed: {} sectors at LBA {} on {}",
                c.sectors,
                c.start_lba,
                m.target().name()
            )?;
            Ok(())
        }
        Ok(None) => {
            writeln!(out, "nothing to commit")?;
            Ok(())
        }
        Err(e) if e.downcast_ref::<NoSpace>().is_some() => Err(e.context(if recorded {
            "the disc is full: nothing was written; the changes stay pending"
        } else {
            "the disc is full: nothing was written, and this command's changes were not \
             recorded (run it without --commit to record them)"
        })),
        Err(e) => Err(e),
    }
}

/// `spindle ls` / `spindle lsl`.
///
/// # Errors
/// Load failures and missing paths.
pub fn ls(a: &LsArgs, long: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let default = ["/".to_owned()];
    let paths = if a.paths.is_empty() {
        &default[..]
    } else {
        &a.paths[..]
    };
    let scope = Scope::Paths(
        paths
            .iter()
            .map(|p| (normalize(b"/", p.as_bytes()), false))
            .collect(),
    );
    let m = open_scoped(&a.target, &scope)?;
    if a.json {
        let summary = crate::cmd::json::ls_summary(&a.target, &m.view, paths);
        crate::cmd::json::print(out, &summary)?;
        if !summary.missing.is_empty() {
            bail!("not in the image: {}", summary.missing.join(", "));
        }
        if !summary.damaged.is_empty() {
            bail!(
                "{} damaged entries could not be listed",
                summary.damaged.len()
            );
        }
        return Ok(());
    }
    let mut missing = Vec::new();
    let mut damaged = 0usize;
    for p in paths {
        let n = normalize(b"/", p.as_bytes());
        // What could not be read here is named, so a listing never hides a loss.
        for (path, what) in m.view.damaged_under(&n) {
            if path == n.as_slice() || crate::disc::files::view::parent(path) == n.as_slice() {
                damaged += 1;
                eprintln!("spindle: damaged: {}: {what}", quote_name(path));
            }
        }
        match m.view.get(&n) {
            None if m.view.damaged().contains_key(&n) => {}
            None => missing.push(p.clone()),
            Some(node) if node.is_dir() => {
                if paths.len() > 1 {
                    writeln!(out, "{}:", quote_name(&n))?;
                }
                for (name, node) in m.view.children(&n) {
                    if long {
                        writeln!(out, "{}", long_line(node, name, now))?;
                    } else {
                        writeln!(out, "{}", printable(name))?;
                    }
                }
            }
            Some(node) => {
                if long {
                    writeln!(out, "{}", long_line(node, p.as_bytes(), now))?;
                } else {
                    writeln!(out, "{}", printable(p.as_bytes()))?;
                }
            }
        }
    }
    let pending = m.view.pending();
    if !pending.is_empty() {
        eprintln!(
            "spindle: {} copies and {} removals pending (shown above); `spindle commit {}` writes them",
            pending.copies.len(),
            pending.removes.len(),
            a.target
        );
    }
    if !missing.is_empty() {
        bail!("not in the image: {}", missing.join(", "));
    }
    if damaged > 0 {
        bail!("{damaged} damaged entries could not be listed (named above)");
    }
    Ok(())
}

/// `spindle put`.
///
/// # Errors
/// Unreadable sources, a file where a directory is needed, commit failures.
pub fn put(a: &PutArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let _journal = lock_journal(&Target::parse(&a.target)?)?;
    let mut m = open(&a.target)?;
    let Some((dest, sources)) = a.paths.split_last() else {
        bail!("put needs SOURCE… DEST");
    };
    let dest = normalize(b"/", dest.as_os_str().as_bytes());
    let into_dir = sources.len() > 1 || m.view.get(&dest).is_some_and(|n| n.is_dir());
    for s in sources {
        let target = if into_dir {
            let name = s
                .file_name()
                .with_context(|| format!("'{}' has no file name", s.display()))?;
            normalize(&dest, name.as_bytes())
        } else {
            dest.clone()
        };
        m.view.copy_in(s, &target)?;
        writeln!(out, "added {} as {}", s.display(), printable(&target))?;
    }
    if a.commit.commit {
        do_commit(&mut m, &a.commit, false, out)
    } else {
        save(&m)
    }
}

/// `spindle rm`.
///
/// # Errors
/// Missing paths, directories without `-r`.
pub fn rm(a: &RmArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let _journal = lock_journal(&Target::parse(&a.target)?)?;
    let mut m = open(&a.target)?;
    for p in &a.paths {
        let n = normalize(b"/", p.as_bytes());
        m.view
            .remove(&n, a.recursive)
            .map_err(|r| anyhow::anyhow!("cannot remove '{p}': {r:?}"))?;
        writeln!(out, "removed {}", printable(&n))?;
    }
    if a.commit.commit {
        do_commit(&mut m, &a.commit, false, out)
    } else {
        save(&m)
    }
}

/// `spindle commit`.
///
/// # Errors
/// A full disc (nothing written), stale journals, write failures.
pub fn commit(a: &CommitArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let t = Target::parse(&a.target)?;
    let _journal = lock_journal(&t)?;
    if a.discard {
        let jp = journal_path(&t);
        match std::fs::remove_file(&jp) {
            Ok(()) => writeln!(out, "pending changes dropped")?,
            Err(_) => writeln!(out, "nothing pending")?,
        }
        return Ok(());
    }
    let mut m = open(&a.target)?;
    if a.dry_run {
        let p = m.view.pending();
        for r in &p.removes {
            writeln!(out, "remove {}", r.to_string_lossy())?;
        }
        for c in &p.copies {
            writeln!(
                out,
                "add {} = {}",
                c.dest.to_string_lossy(),
                c.source.display()
            )?;
        }
        if !p.is_empty() {
            let s = crate::disc::files::plan_sectors(&m, &options(&a.flags))?;
            let free = m
                .free_blocks
                .map_or_else(|| "unknown".to_owned(), |f| f.to_string());
            writeln!(out, "new session: {s} sectors; free: {free} sectors")?;
        }
        return Ok(());
    }
    do_commit(&mut m, &a.flags, true, out)
}

/// `spindle get`: restores what it can, names what it could not, and fails if anything
/// could not be restored.
///
/// Restores keep each entry's mode, access and modification times, and, when run as root,
/// its owner and group (as `tar -p` and xorriso's `-osirrox` do); without root, the
/// set-user-ID, set-group-ID and sticky bits are left off, since the files belong to the
/// caller. Files are written under a temporary name and renamed into place, and
/// directories get their final mode and times after their contents, so a run into the
/// same destination again (read-only files and directories and symlinks included) works.
///
/// # Errors
/// Names that would land outside the destination, damaged entries, read and write failures:
/// after everything else was restored, naming each.
pub fn get(a: &GetArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let Some((dest, paths)) = a.paths.split_last() else {
        bail!("get needs PATH… DESTDIR");
    };
    let scope = Scope::Paths(
        paths
            .iter()
            .map(|p| (normalize(b"/", p.as_bytes()), true))
            .collect(),
    );
    let m = open_scoped(&a.target, &scope)?;
    let dest = PathBuf::from(dest);
    std::fs::create_dir_all(&dest).with_context(|| format!("creating {}", dest.display()))?;
    let dest = dest
        .canonicalize()
        .with_context(|| format!("resolving {}", dest.display()))?;
    let as_root = nix::unistd::geteuid().is_root();
    let mut failed: Vec<String> = Vec::new();
    let mut fail = |what: String| {
        eprintln!("spindle: not restored: {what}");
        failed.push(what);
    };
    for p in paths {
        let n = normalize(b"/", p.as_bytes());
        for (path, what) in m.view.damaged_under(&n) {
            fail(format!("{}: {what}", quote_name(path)));
        }
        let Some(node) = m.view.get(&n) else {
            if !m.view.damaged().contains_key(&n) {
                fail(format!("'{p}' is not in the image"));
            }
            continue;
        };
        let base = if n == b"/" {
            PathBuf::new()
        } else {
            match safe_relative(OsStr::from_bytes(leaf(&n))) {
                Ok(b) => b,
                Err(e) => {
                    fail(format!("{}: {e:#}", quote_name(&n)));
                    continue;
                }
            }
        };
        // (image path, path relative to dest, node), parents before children.
        let mut items: Vec<(Vec<u8>, PathBuf, Node)> =
            vec![(n.clone(), base.clone(), node.clone())];
        if node.is_dir() {
            let mut stack = vec![(n.clone(), base)];
            while let Some((dir, rel)) = stack.pop() {
                for (name, child) in m.view.children(&dir) {
                    let ip = normalize(&dir, name);
                    let r = match safe_relative(OsStr::from_bytes(name)) {
                        Ok(r) => rel.join(r),
                        Err(e) => {
                            fail(format!("{}: {e:#}", quote_name(&ip)));
                            continue;
                        }
                    };
                    if child.is_dir() {
                        stack.push((ip.clone(), r.clone()));
                    }
                    items.push((ip, r, child.clone()));
                }
            }
        }
        let mut links = Vec::new();
        let mut dirs = Vec::new();
        for (ip, rel, node) in items {
            let local = dest.join(&rel);
            let parents_ok = match rel.parent() {
                Some(parent) => check_no_symlink_on_the_way(&dest, parent),
                None => Ok(()),
            };
            if let Err(e) = parents_ok {
                fail(format!("{}: {e:#}", quote_name(&ip)));
                continue;
            }
            let done = match &node.kind {
                NodeKind::Dir => restore_dir(&local).map(|()| dirs.push((local.clone(), node))),
                NodeKind::File => restore_file(&m, &ip, &local, &node, as_root).map(|()| {
                    let _ = writeln!(out, "{}", printable(local.as_os_str().as_bytes()));
                }),
                NodeKind::Symlink(_) => {
                    links.push((ip.clone(), local, node));
                    Ok(())
                }
                NodeKind::Special => {
                    eprintln!(
                        "spindle: skipping {} (device file, fifo or socket)",
                        quote_name(&ip)
                    );
                    Ok(())
                }
            };
            if let Err(e) = done {
                fail(format!("{}: {e:#}", quote_name(&ip)));
            }
        }
        // Links last, so nothing is ever written through one.
        for (ip, local, node) in links {
            match restore_symlink(&local, &node, as_root) {
                Ok(()) => writeln!(out, "{}", printable(local.as_os_str().as_bytes()))?,
                Err(e) => fail(format!("{}: {e:#}", quote_name(&ip))),
            }
        }
        // Directories' own modes and times once nothing more is written into them, deepest
        // first (a read-only directory must not stop its own contents).
        for (local, node) in dirs.iter().rev() {
            if let Err(e) = set_metadata(local, node, as_root, false) {
                fail(format!("{}: {e:#}", local.display()));
            }
        }
    }
    if !failed.is_empty() {
        bail!(
            "{} entries could not be restored (the rest were): {}",
            failed.len(),
            failed.join("; ")
        );
    }
    Ok(())
}
