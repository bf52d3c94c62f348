//! `spindle ls|lsl|put|get|rm|commit TARGET …`: file-level access to the last session of a
//! drive, a mock drive or an ISO image file.
//!
//! `put` and `rm` record changes in a small journal next to the target (image file:
//! `.NAME.spindle-pending` in its directory; mock drive: `DIR/spindle-pending.json`; drive:
//! `$XDG_STATE_HOME/spindle/pending/DEV.json`), so several commands can build one session;
//! `commit` writes them as one new session and removes the journal. `--commit` on `put` or
//! `rm` does both at once. The journal names the session it was made against: if the medium
//! changed in between, `commit` refuses (`commit --discard` drops the journal).

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;
use serde::{Deserialize, Serialize};

use crate::disc::files::view::{long_line, normalize, quote_name, safe_relative};
use crate::disc::files::{CommitOptions, Medium, NoSpace, NodeKind, Pending, Target};

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
    pending: Pending,
}

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
            Path::new(&d["mock:".len()..]).join("spindle-pending.json")
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
    let t = Target::parse(spec)?;
    let mut m = Medium::load(&t).with_context(|| format!("loading {spec}"))?;
    let jp = journal_path(&t);
    if let Ok(text) = std::fs::read_to_string(&jp) {
        let j: Journal = serde_json::from_str(&text)
            .with_context(|| format!("reading the journal {}", jp.display()))?;
        if j.volume_blocks != m.volume_blocks || j.volume_id != m.volume_id {
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
        pending: m.view.pending().clone(),
    };
    std::fs::write(&jp, serde_json::to_vec_pretty(&j)?)
        .with_context(|| format!("writing {}", jp.display()))?;
    Ok(())
}

fn options(f: &CommitFlags) -> CommitOptions {
    CommitOptions {
        volume_id: f.volume_id.clone(),
        joliet: !f.no_joliet,
        finalize: f.finalize,
        speed: None,
    }
}

fn do_commit(m: &mut Medium, f: &CommitFlags, out: &mut dyn Write) -> anyhow::Result<()> {
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
        Err(e) if e.downcast_ref::<NoSpace>().is_some() => {
            Err(e.context("the disc is full: nothing was written; the changes stay pending"))
        }
        Err(e) => Err(e),
    }
}

/// `spindle ls` / `spindle lsl`.
///
/// # Errors
/// Load failures and missing paths.
pub fn ls(a: &LsArgs, long: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let m = open(&a.target)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let default = ["/".to_owned()];
    let paths = if a.paths.is_empty() {
        &default[..]
    } else {
        &a.paths[..]
    };
    if a.json {
        let summary = crate::cmd::json::ls_summary(&a.target, &m.view, paths);
        crate::cmd::json::print(out, &summary)?;
        if !summary.missing.is_empty() {
            bail!("not in the image: {}", summary.missing.join(", "));
        }
        return Ok(());
    }
    let mut missing = Vec::new();
    for p in paths {
        let n = normalize(b"/", p.as_bytes());
        match m.view.get(&n) {
            None => missing.push(p.clone()),
            Some(node) if node.is_dir() => {
                if paths.len() > 1 {
                    writeln!(out, "{}:", quote_name(&n))?;
                }
                for (name, node) in m.view.children(&n) {
                    if long {
                        writeln!(out, "{}", long_line(node, name, now))?;
                    } else {
                        writeln!(out, "{}", String::from_utf8_lossy(name))?;
                    }
                }
            }
            Some(node) => {
                if long {
                    writeln!(out, "{}", long_line(node, p.as_bytes(), now))?;
                } else {
                    writeln!(out, "{p}")?;
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
    Ok(())
}

/// `spindle put`.
///
/// # Errors
/// Unreadable sources, a file where a directory is needed, commit failures.
pub fn put(a: &PutArgs, out: &mut dyn Write) -> anyhow::Result<()> {
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
        writeln!(
            out,
            "added {} as {}",
            s.display(),
            String::from_utf8_lossy(&target)
        )?;
    }
    if a.commit.commit {
        do_commit(&mut m, &a.commit, out)
    } else {
        save(&m)
    }
}

/// `spindle rm`.
///
/// # Errors
/// Missing paths, directories without `-r`.
pub fn rm(a: &RmArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut m = open(&a.target)?;
    for p in &a.paths {
        let n = normalize(b"/", p.as_bytes());
        m.view
            .remove(&n, a.recursive)
            .map_err(|r| anyhow::anyhow!("cannot remove '{p}': {r:?}"))?;
        writeln!(out, "removed {}", String::from_utf8_lossy(&n))?;
    }
    if a.commit.commit {
        do_commit(&mut m, &a.commit, out)
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
    do_commit(&mut m, &a.flags, out)
}

/// `spindle get`.
///
/// # Errors
/// Missing paths, names that would land outside the destination, write failures.
pub fn get(a: &GetArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let m = open(&a.target)?;
    let Some((dest, paths)) = a.paths.split_last() else {
        bail!("get needs PATH… DESTDIR");
    };
    let dest = PathBuf::from(dest);
    std::fs::create_dir_all(&dest).with_context(|| format!("creating {}", dest.display()))?;
    let dest = dest
        .canonicalize()
        .with_context(|| format!("resolving {}", dest.display()))?;
    for p in paths {
        let n = normalize(b"/", p.as_bytes());
        let node = m
            .view
            .get(&n)
            .with_context(|| format!("'{p}' is not in the image"))?;
        // (image path, path relative to dest)
        let mut items: Vec<(Vec<u8>, PathBuf, NodeKind)> = Vec::new();
        let base = if n == b"/" {
            PathBuf::new()
        } else {
            safe_relative(std::ffi::OsStr::from_bytes(crate::disc::files::view::leaf(
                &n,
            )))?
        };
        items.push((n.clone(), base.clone(), node.kind.clone()));
        if node.is_dir() {
            let mut stack = vec![(n.clone(), base)];
            while let Some((dir, rel)) = stack.pop() {
                for (name, child) in m.view.children(&dir) {
                    let r = rel.join(safe_relative(std::ffi::OsStr::from_bytes(name))?);
                    let ip = normalize(&dir, name);
                    if child.is_dir() {
                        stack.push((ip.clone(), r.clone()));
                    }
                    items.push((ip, r, child.kind.clone()));
                }
            }
        }
        let mut links = Vec::new();
        for (ip, rel, kind) in items {
            let local = dest.join(&rel);
            check_no_symlink_on_the_way(&dest, &rel)?;
            match kind {
                NodeKind::Dir => {
                    std::fs::create_dir_all(&local)
                        .with_context(|| format!("creating {}", local.display()))?;
                }
                NodeKind::File => {
                    let mut f = std::fs::OpenOptions::new()
                        .write(true)
                        .create(true)
                        .truncate(true)
                        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
                        .open(&local)
                        .with_context(|| format!("creating {}", local.display()))?;
                    m.read_file(&ip, &mut f)?;
                    writeln!(out, "{}", local.display())?;
                }
                NodeKind::Symlink(t) => links.push((local, t)),
                NodeKind::Special => eprintln!(
                    "spindle: skipping {} (device file, fifo or socket)",
                    String::from_utf8_lossy(&ip)
                ),
            }
        }
        // Links last, so nothing is ever written through one.
        for (local, t) in links {
            if std::fs::symlink_metadata(&local).is_ok() {
                bail!(
                    "{} exists; not replacing it with a symlink",
                    local.display()
                );
            }
            std::os::unix::fs::symlink(OsString::from_vec(t), &local)
                .with_context(|| format!("creating the symlink {}", local.display()))?;
            writeln!(out, "{}", local.display())?;
        }
    }
    Ok(())
}

fn check_no_symlink_on_the_way(dest: &Path, rel: &Path) -> anyhow::Result<()> {
    let mut cur = dest.to_path_buf();
    for c in rel.components() {
        cur.push(c);
        if let Ok(md) = std::fs::symlink_metadata(&cur) {
            if md.file_type().is_symlink() {
                bail!(
                    "{} is a symlink: refusing to write through it (it may lead outside {})",
                    cur.display(),
                    dest.display()
                );
            }
        }
    }
    Ok(())
}
