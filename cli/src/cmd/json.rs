//! The `--json` summaries of `burn`, `verify`, `ls`/`lsl` and the Cedar Backup actions: one
//! JSON document on stdout per run, in the shapes `docs/schema/*.json` define (a test
//! validates real output against them). People get text; scripts get these.

use std::io::Write;

use serde::Serialize;

use crate::disc::files::view::{normalize, parent, NodeKind, View};

/// `spindle burn --json` (docs/schema/burn.json).
#[derive(Debug, Clone, Serialize)]
pub struct BurnSummary {
    /// The target as given.
    pub device: String,
    /// "image" (an image file was written) or "tree" (`--tree`).
    pub source: &'static str,
    /// With `--dry-run`: planned only, nothing written.
    pub dry_run: bool,
    /// Whether the session fits the medium (always true once written).
    pub fits: bool,
    /// "new-disc", "session" or "grow".
    pub method: String,
    /// The session's first block.
    pub start_lba: u32,
    /// Blocks of the image.
    pub image_blocks: u32,
    /// Blocks written (planned, with `dry_run`), padding included.
    pub write_blocks: u64,
    /// Blocks the session may use.
    pub available_blocks: u64,
    /// Regular files the session writes (`--tree` only).
    pub files: Option<u64>,
    /// The disc was (or is to be) finalized.
    pub finalized: bool,
}

/// The name of an append method as the JSON and the plan text call it.
pub fn method_name(m: mmc::burn::AppendMethod) -> &'static str {
    match m {
        mmc::burn::AppendMethod::NewDisc => "new-disc",
        mmc::burn::AppendMethod::Session => "session",
        mmc::burn::AppendMethod::Grow => "grow",
    }
}

/// `spindle verify --json` (docs/schema/verify.json).
#[derive(Debug, Clone, Serialize)]
pub struct VerifySummary {
    /// The target as given.
    pub device: String,
    /// "image" or "tree".
    pub against: &'static str,
    /// Where the image was compared (image only).
    pub start_lba: Option<u32>,
    /// Bytes compared (image only).
    pub bytes: Option<u64>,
    /// Regular files compared (tree only).
    pub files: Option<usize>,
    /// Always true: a difference is an error (exit code non-zero, no JSON).
    pub identical: bool,
}

/// One entry of `spindle ls --json` (docs/schema/ls.json).
#[derive(Debug, Clone, Serialize)]
pub struct LsEntry {
    /// Absolute path in the image.
    pub path: String,
    /// "dir", "file", "symlink" or "special".
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// POSIX mode, type bits included.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Bytes (0 for directories).
    pub size: u64,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
    /// A symlink's target.
    pub link_target: Option<String>,
}

/// `spindle ls --json`.
#[derive(Debug, Clone, Serialize)]
pub struct LsSummary {
    /// The target as given.
    pub target: String,
    /// The entries: a directory's children, or the file itself, for each path asked.
    pub entries: Vec<LsEntry>,
    /// Paths asked for that are not in the image.
    pub missing: Vec<String>,
    /// Entries at the paths asked that could not be read, and why.
    pub damaged: Vec<Damaged>,
    /// Changes recorded by `put`/`rm` and not yet committed (the entries include them).
    pub pending_copies: usize,
    /// Removals not yet committed.
    pub pending_removes: usize,
}

/// An entry the reader could not read (a damaged directory record, an unreadable extent).
#[derive(Debug, Clone, Serialize)]
pub struct Damaged {
    /// Absolute path in the image.
    pub path: String,
    /// What is wrong with it.
    pub what: String,
}

fn entry(path: &[u8], node: &crate::disc::files::view::Node) -> LsEntry {
    let (kind, link_target) = match &node.kind {
        NodeKind::Dir => ("dir", None),
        NodeKind::File => ("file", None),
        NodeKind::Symlink(t) => ("symlink", Some(String::from_utf8_lossy(t).into_owned())),
        NodeKind::Special => ("special", None),
    };
    LsEntry {
        path: String::from_utf8_lossy(path).into_owned(),
        kind,
        mode: node.mode,
        uid: node.uid,
        gid: node.gid,
        size: node.size,
        mtime: node.mtime,
        link_target,
    }
}

/// Lists `paths` of `view` as an [`LsSummary`].
pub fn ls_summary(target: &str, view: &View, paths: &[String]) -> LsSummary {
    let mut entries = Vec::new();
    let mut missing = Vec::new();
    let mut damaged = Vec::new();
    for p in paths {
        let n = normalize(b"/", p.as_bytes());
        // As the text listing: the damaged entry itself, or a damaged child of a directory.
        for (path, what) in view.damaged_under(&n) {
            if path == n.as_slice() || parent(path) == n.as_slice() {
                damaged.push(Damaged {
                    path: String::from_utf8_lossy(path).into_owned(),
                    what: what.to_owned(),
                });
            }
        }
        match view.get(&n) {
            None if view.damaged().contains_key(&n) => {}
            None => missing.push(p.clone()),
            Some(node) if node.is_dir() => {
                for (name, child) in view.children(&n) {
                    let mut full = n.clone();
                    if !full.ends_with(b"/") {
                        full.push(b'/');
                    }
                    full.extend_from_slice(name);
                    entries.push(entry(&full, child));
                }
            }
            Some(node) => entries.push(entry(&n, node)),
        }
    }
    let pending = view.pending();
    LsSummary {
        target: target.to_owned(),
        entries,
        missing,
        damaged,
        pending_copies: pending.copies.len(),
        pending_removes: pending.removes.len(),
    }
}

/// Writes `v` as one pretty JSON document and a newline.
///
/// # Errors
/// Write errors.
pub fn print<T: Serialize>(out: &mut dyn Write, v: &T) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, v)?;
    writeln!(out)?;
    Ok(())
}
