//! `spindle check`: verifies a disc or image against the MD5 checksums recorded in it
//! (libisofs's format, written by spindle and by `xorriso -md5 on`), without the sources.

use std::io::Write;
use std::os::unix::ffi::OsStrExt;

use anyhow::Context;
use clap::Args;
use iso9660::{BlockRange, Md5Report, TagCheck};
use serde_json::json;

use crate::disc::files::view::printable;
use crate::disc::session;
use crate::disc::target::Target;
use crate::exit;

/// Arguments of `spindle check`.
#[derive(Debug, Args)]
#[command(after_help = "\
Checks the session a reader sees: its checksum tags (superblock, tree, session), the session
MD5 and every file's MD5, as `xorriso -md5 on -check_md5 FAILURE --` and `-check_media` do.
On overwritable media (DVD+RW, BD-RE, formatted DVD-RW) and image files, the copy of the
session's superblock at LBA 0 is checked too, by its relocated superblock tag. Files kept
from an earlier session carry the MD5 that session recorded; files from a session written
without MD5s (growisofs, mkisofs) are listed with \"no MD5 recorded (not verified)\":
neither good nor bad, as xorriso reports them. Each bad file is named with the blocks it
occupies; each bad tag with the block range the damage is in.

Exit codes: 0 everything recorded matches (files without an MD5 are listed, not counted as
bad); 16 a mismatch, a damaged tag or an unreadable block; 17 the session records no
checksums; others as for every spindle command.

Examples:
  spindle check /dev/sr0
  spindle check --json mock:/tmp/drive
  spindle check backup.iso")]
pub struct CheckArgs {
    /// The disc: /dev/srN, /dev/sgN, mock:DIR, or an image file.
    pub target: String,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `spindle check`; returns the exit code.
pub fn run(a: &CheckArgs, out: &mut dyn Write) -> u8 {
    match check(a, out) {
        Ok(r) if r.is_ok() => exit::spindle::OK,
        Ok(r) if !r.has_checksums() => exit::spindle::NO_CHECKSUMS,
        Ok(_) => exit::spindle::MISMATCH,
        Err(e) => {
            crate::report_error("spindle", &e);
            exit::spindle_device_code(&e)
        }
    }
}

fn check(a: &CheckArgs, out: &mut dyn Write) -> anyhow::Result<Md5Report> {
    let target = Target::parse(&a.target)?;
    let (sessions, src) = session::survey(&target)?;
    let mut image = session::open_current(&sessions, src)?;
    let report = image
        .check_md5()
        .with_context(|| format!("{}: checking MD5s", a.target))?;
    if a.json {
        writeln!(out, "{:#}", to_json(&a.target, &report))?;
    } else {
        print_text(&report, out)?;
    }
    Ok(report)
}

fn range_json(r: &BlockRange) -> serde_json::Value {
    json!({ "start": r.start, "sectors": r.sectors })
}

fn tag_json(t: &TagCheck) -> serde_json::Value {
    json!({
        "kind": t.kind.name(),
        "lba": t.lba,
        "range": range_json(&t.range),
        "ok": t.ok,
        "suspect": t.suspect.as_ref().map(range_json),
    })
}

fn to_json(target: &str, r: &Md5Report) -> serde_json::Value {
    json!({
        "target": target,
        "ok": r.is_ok(),
        "has_checksums": r.has_checksums(),
        "session_start": r.session_start,
        "session_md5_ok": r.session_ok,
        "array_ok": r.array_ok,
        "tags": r.tags.iter().map(tag_json).collect::<Vec<_>>(),
        "superblock_copy": r.superblock_copy.as_ref().map(tag_json),
        "files_checked": r.files.len(),
        "files_without_md5": r.files_without_md5.len(),
        "no_md5_files": r.files_without_md5.iter().map(|p| p.to_string_lossy()).collect::<Vec<_>>(),
        "bad_files": r.files.iter().filter(|f| !f.ok).map(|f| json!({
            "path": f.path.to_string_lossy(),
            "size": f.size,
            "ranges": f.ranges.iter().map(range_json).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "problems": r.problems.iter().map(|p| json!({ "lba": p.lba, "what": p.what }))
            .collect::<Vec<_>>(),
    })
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "ok"
    } else {
        "MISMATCH"
    }
}

fn print_text(r: &Md5Report, out: &mut dyn Write) -> anyhow::Result<()> {
    if !r.has_checksums() {
        writeln!(
            out,
            "session at LBA {}: no MD5 checksums recorded",
            r.session_start
        )?;
        return Ok(());
    }
    writeln!(out, "session at LBA {}", r.session_start)?;
    for t in r.superblock_copy.iter().chain(&r.tags) {
        write!(
            out,
            "{} tag at LBA {} ({}): {}",
            t.kind.name(),
            t.lba,
            t.range,
            verdict(t.ok)
        )?;
        match &t.suspect {
            Some(s) => writeln!(out, ", damage in {s}")?,
            None => writeln!(out)?,
        }
    }
    if let Some(ok) = r.session_ok {
        writeln!(out, "session MD5: {}", verdict(ok))?;
    }
    if let Some(ok) = r.array_ok {
        writeln!(out, "checksum array: {}", verdict(ok))?;
    }
    for f in r.files.iter().filter(|f| !f.ok) {
        let ranges: Vec<String> = f.ranges.iter().map(ToString::to_string).collect();
        writeln!(
            out,
            "file {}: MISMATCH ({} bytes in {})",
            printable(f.path.as_os_str().as_bytes()),
            f.size,
            ranges.join(", ")
        )?;
    }
    for p in &r.problems {
        writeln!(out, "problem at LBA {}: {}", p.lba, p.what)?;
    }
    for p in &r.files_without_md5 {
        writeln!(
            out,
            "file {}: no MD5 recorded (not verified)",
            printable(p.as_os_str().as_bytes())
        )?;
    }
    let bad = r.files.iter().filter(|f| !f.ok).count();
    writeln!(
        out,
        "{} files checked, {} bad, {} without MD5 (not verified): {}",
        r.files.len(),
        bad,
        r.files_without_md5.len(),
        if r.is_ok() { "OK" } else { "FAILED" }
    )?;
    Ok(())
}
