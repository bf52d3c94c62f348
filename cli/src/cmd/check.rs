//! `spindle check`: verifies a disc or image against the MD5 checksums recorded in it
//! (libisofs's format, written by spindle and by `xorriso -md5 on`), without the sources.

use std::io::Write;
use std::os::unix::ffi::OsStrExt;

use clap::Args;
use iso9660::{BlockRange, FileCheck, Md5Report, TagCheck, VerifiedFiles};
use serde_json::json;

use crate::disc::files::view::printable;
use crate::disc::sectors::DiscSectors;
use crate::disc::session::{self, DiscSessions, Session};
use crate::disc::target::Target;
use crate::exit;

/// Arguments of `spindle check`.
#[derive(Debug, Args)]
#[command(after_help = "\
Checks every session on the disc, as `xorriso -md5 on -check_media` checks every session's
tags: each session's checksum tags (superblock, tree, session), its session MD5 and the MD5
of every file its tree records, reported session by session, oldest first. File data is read
once: a file recorded again with the same blocks and MD5 (a hard link, or a file a later
session kept) takes the verdict already reached (\"already verified\"). A file that only an
older session still references (replaced or removed later) is read and checked there.
On overwritable media (DVD+RW, BD-RE, formatted DVD-RW) and image files, the copy of the last
session's superblock at LBA 0 is checked too, by its relocated superblock tag.

Sessions written without MD5s (growisofs, mkisofs, --no-md5) are reported as \"no MD5
checksums recorded\": neither good nor bad. Files kept from such a session are listed with
\"no MD5 recorded (not verified)\", as xorriso reports them. Each bad file is named with its
session and the blocks it occupies; each bad tag with the block range the damage is in. A
session whose image was cut off (a failed burn a reader passes over) is listed, not checked.

--last checks only the session a reader sees (the quick check: the files it shows, kept ones
included, but not the blocks of older sessions or the files only they reference);
--session N checks session N alone (1 is the first, as the report numbers them).

Exit codes: 0 everything recorded matches (sessions and files without MD5s are listed, not
counted as bad); 16 a mismatch, a damaged tag, a damaged session or an unreadable block in
any session; 17 no session checked records any checksum; others as for every spindle command.

Examples:
  spindle check /dev/sr0
  spindle check --last /dev/sr0
  spindle check --json --session 2 mock:/tmp/drive
  spindle check backup.iso")]
pub struct CheckArgs {
    /// The disc: /dev/srN, /dev/sgN, mock:DIR, or an image file.
    pub target: String,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Check only the session a reader sees (the last whole one).
    #[arg(long, conflicts_with = "session")]
    pub last: bool,
    /// Check only session N (1 is the first).
    #[arg(long, value_name = "N")]
    pub session: Option<u32>,
}

impl CheckArgs {
    /// Every session of `target`, as text.
    pub fn every_session(target: &str) -> CheckArgs {
        CheckArgs {
            target: target.to_owned(),
            json: false,
            last: false,
            session: None,
        }
    }
}

/// What became of one session.
#[derive(Debug)]
pub enum Outcome {
    /// Checked against what it records (possibly nothing: see [`Md5Report::has_checksums`]).
    Checked(Md5Report),
    /// The survey found no ISO 9660 volume in it (an audio or foreign track): nothing to check.
    NoVolume,
    /// Its image was cut off (a failed burn); readers pass over it, so does the check.
    CutOff,
    /// Its volume could not be opened or walked although its descriptors are there, or its
    /// descriptors are gone while its superblock checksum tag is still in place; and why.
    Damaged(String),
}

/// One session's result.
#[derive(Debug)]
pub struct SessionCheck {
    /// 1 for the first session.
    pub number: u32,
    /// First block.
    pub start: u32,
    /// Its volume label.
    pub volume_id: Option<String>,
    /// Whether it is the session a reader sees.
    pub current: bool,
    /// What the check found.
    pub outcome: Outcome,
}

impl SessionCheck {
    /// Whether something recorded does not match, or the session is damaged.
    pub fn is_bad(&self) -> bool {
        match &self.outcome {
            Outcome::Checked(r) => !r.problems.is_empty() || (r.has_checksums() && !r.is_ok()),
            Outcome::Damaged(_) => true,
            Outcome::NoVolume | Outcome::CutOff => false,
        }
    }

    /// The files checked (none unless [`Outcome::Checked`]).
    pub fn files(&self) -> &[FileCheck] {
        match &self.outcome {
            Outcome::Checked(r) => &r.files,
            _ => &[],
        }
    }

    /// Whether it records checksums.
    pub fn has_checksums(&self) -> bool {
        matches!(&self.outcome, Outcome::Checked(r) if r.has_checksums())
    }

    fn status(&self) -> &'static str {
        match &self.outcome {
            _ if self.is_bad() => "bad",
            Outcome::Checked(r) if r.has_checksums() => "ok",
            Outcome::Checked(_) => "no_checksums",
            Outcome::NoVolume => "no_volume",
            Outcome::CutOff => "cut_off",
            Outcome::Damaged(_) => "bad",
        }
    }
}

/// What `spindle check` found on a disc.
#[derive(Debug)]
pub struct DiscCheck {
    /// The checked sessions, oldest first.
    pub sessions: Vec<SessionCheck>,
    /// File data read and hashed.
    pub files_read: u64,
    /// File verdicts taken from a file already checked (hard links, files a later session
    /// kept) instead of read again.
    pub files_reused: u64,
    /// The session a reader sees.
    pub current: Option<u32>,
    /// What the survey found amiss: sessions passed over, a broken session chain (sessions
    /// it could not reach are not checked).
    pub warnings: Vec<String>,
}

impl DiscCheck {
    /// Whether any checked session is bad.
    pub fn is_bad(&self) -> bool {
        self.sessions.iter().any(SessionCheck::is_bad)
    }

    /// Whether any checked session records checksums.
    pub fn has_checksums(&self) -> bool {
        self.sessions.iter().any(SessionCheck::has_checksums)
    }

    /// Whether everything recorded was verified and matches.
    pub fn is_ok(&self) -> bool {
        self.has_checksums() && !self.is_bad()
    }
}

/// Runs `spindle check`; returns the exit code.
pub fn run(a: &CheckArgs, out: &mut dyn Write) -> u8 {
    match check(a, out) {
        Ok(r) if r.is_bad() => exit::spindle::MISMATCH,
        Ok(r) if !r.has_checksums() => exit::spindle::NO_CHECKSUMS,
        Ok(_) => exit::spindle::OK,
        Err(e) => {
            crate::report_error("spindle", &e);
            exit::spindle_device_code(&e)
        }
    }
}

fn check(a: &CheckArgs, out: &mut dyn Write) -> anyhow::Result<DiscCheck> {
    let target = Target::parse(&a.target)?;
    let (sessions, src) = session::survey(&target)?;
    let report = check_sessions(a, &sessions, src)?;
    if a.json {
        writeln!(out, "{:#}", to_json(&a.target, &report))?;
    } else {
        print_text(&report, out)?;
    }
    Ok(report)
}

/// Checks the sessions `a` asks for, newest first so that older sessions share the verdicts
/// on the files later ones kept ([`VerifiedFiles`]).
fn check_sessions(
    a: &CheckArgs,
    sessions: &DiscSessions,
    mut src: DiscSectors,
) -> anyhow::Result<DiscCheck> {
    // Reported in the text and the JSON rather than logged: they bear on what was checked.
    let warnings = sessions.warnings();
    let wanted: Vec<&Session> = match (a.last, a.session) {
        (true, _) => sessions.current_session().into_iter().collect(),
        (false, Some(n)) => sessions.sessions.iter().filter(|s| s.number == n).collect(),
        (false, None) => sessions.sessions.iter().collect(),
    };
    if wanted.is_empty() {
        match a.session {
            Some(n) if !a.last => anyhow::bail!(
                "{}: there is no session {n} ({} session(s) on the medium; `spindle sessions {}` lists them)",
                sessions.target,
                sessions.sessions.len(),
                sessions.target
            ),
            _ => anyhow::bail!(
                "{}: no ISO 9660 session on the medium ({}, {} session(s) recorded)",
                sessions.target,
                sessions.medium,
                sessions.sessions.len()
            ),
        }
    }
    let mut seen = VerifiedFiles::default();
    let mut checked = Vec::new();
    for s in wanted.iter().rev() {
        let current = sessions.current == Some(s.number);
        let outcome = if s.volume_blocks.is_none() {
            match tag_without_volume(&mut src, s.start) {
                Some(lba) => Outcome::Damaged(format!(
                    "no volume descriptor at LBA {}, but a checksum tag at LBA {lba}: the \
                     session was written with MD5s and its descriptors are damaged",
                    u64::from(s.start) + 16
                )),
                None => Outcome::NoVolume,
            }
        } else if !s.whole || sessions.passed_over.contains(&s.number) {
            Outcome::CutOff
        } else {
            // The session a reader sees is opened where a reader opens it: on overwritable
            // media the superblock at LBA 0, so its copy is checked too.
            let at = match sessions.read_start {
                Some(r) if current => r,
                _ => s.start,
            };
            match iso9660::Image::open_session(&mut src, iso9660::Lba(at))
                .and_then(|mut img| img.check_md5_sharing(&mut seen))
            {
                Ok(r) => Outcome::Checked(r),
                // The survey found its descriptors, so a volume that will not open or walk
                // is damage (the report's header names the session).
                Err(e) => Outcome::Damaged(format!("{:#}", anyhow::Error::from(e))),
            }
        };
        checked.push(SessionCheck {
            number: s.number,
            start: s.start,
            volume_id: s.volume_id.clone(),
            current,
            outcome,
        });
    }
    checked.reverse();
    Ok(DiscCheck {
        sessions: checked,
        files_read: seen.reads(),
        files_reused: seen.reused(),
        current: sessions.current,
        warnings,
    })
}

/// Where a checksum tag is among the blocks libisofs puts a session's superblock tag in
/// (after its descriptors), in a session the survey found no volume descriptor in. A data
/// session without ISO 9660 is not checked; one that has such a tag was written with MD5s,
/// so its descriptors were damaged since, which must not pass as "nothing to check".
fn tag_without_volume(src: &mut DiscSectors, start: u32) -> Option<u32> {
    let first = start.checked_add(17)?;
    (first..first.saturating_add(32)).find(|&lba| match src.read_block(lba) {
        Ok(Some(b)) => !matches!(iso9660::raw::checksum::Tag::decode(&b), Ok(None)),
        _ => false,
    })
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

fn bad_file_json(session: u32, f: &FileCheck) -> serde_json::Value {
    json!({
        "session": session,
        "path": f.path.to_string_lossy(),
        "size": f.size,
        "ranges": f.ranges.iter().map(range_json).collect::<Vec<_>>(),
    })
}

fn session_json(s: &SessionCheck) -> serde_json::Value {
    let mut v = json!({
        "number": s.number,
        "start": s.start,
        "volume_id": s.volume_id,
        "current": s.current,
        "status": s.status(),
        "ok": s.status() == "ok",
        "has_checksums": s.has_checksums(),
    });
    let r = match &s.outcome {
        Outcome::Checked(r) => r,
        Outcome::Damaged(what) => {
            v["problems"] = json!([{ "lba": s.start, "what": what }]);
            return v;
        }
        Outcome::NoVolume | Outcome::CutOff => return v,
    };
    let fields = json!({
        "session_start": r.session_start,
        "session_md5_ok": r.session_ok,
        "array_ok": r.array_ok,
        "tags": r.tags.iter().map(tag_json).collect::<Vec<_>>(),
        "superblock_copy": r.superblock_copy.as_ref().map(tag_json),
        "files_checked": r.files.len(),
        "files_shared": r.files.iter().filter(|f| f.reused).count(),
        "files_without_md5": r.files_without_md5.len(),
        "no_md5_files": r.files_without_md5.iter().map(|p| p.to_string_lossy()).collect::<Vec<_>>(),
        "bad_files": r.files.iter().filter(|f| !f.ok).map(|f| bad_file_json(s.number, f))
            .collect::<Vec<_>>(),
        "problems": r.problems.iter().map(|p| json!({ "lba": p.lba, "what": p.what }))
            .collect::<Vec<_>>(),
    });
    if let (Some(v), Some(f)) = (v.as_object_mut(), fields.as_object()) {
        v.extend(f.clone());
    }
    v
}

fn to_json(target: &str, r: &DiscCheck) -> serde_json::Value {
    let sessions: Vec<serde_json::Value> = r.sessions.iter().map(session_json).collect();
    let gather = |key: &str| -> Vec<serde_json::Value> {
        sessions
            .iter()
            .flat_map(|s| s[key].as_array().cloned().unwrap_or_default())
            .collect()
    };
    let problems: Vec<serde_json::Value> = r
        .sessions
        .iter()
        .zip(&sessions)
        .flat_map(|(s, j)| {
            j["problems"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |mut p| {
                    p["session"] = json!(s.number);
                    p
                })
        })
        .collect();
    let count = |status: &str| r.sessions.iter().filter(|s| s.status() == status).count();
    json!({
        "target": target,
        "ok": r.is_ok(),
        "has_checksums": r.has_checksums(),
        "current": r.current,
        "sessions_checked": r.sessions.len(),
        "sessions_ok": count("ok"),
        "sessions_bad": count("bad"),
        "sessions_without_checksums": count("no_checksums"),
        "files_checked": r.sessions.iter().map(|s| s.files().len()).sum::<usize>(),
        "files_read": r.files_read,
        "files_shared": r.files_reused,
        "bad_files": gather("bad_files"),
        "problems": problems,
        "warnings": r.warnings,
        "sessions": sessions,
    })
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "ok"
    } else {
        "MISMATCH"
    }
}

fn print_text(d: &DiscCheck, out: &mut dyn Write) -> anyhow::Result<()> {
    for s in &d.sessions {
        write!(out, "session {} at LBA {}", s.number, s.start)?;
        if let Some(v) = s.volume_id.as_ref().filter(|v| !v.is_empty()) {
            write!(out, " ({v})")?;
        }
        if s.current {
            write!(out, ", the one a reader sees")?;
        }
        let r = match &s.outcome {
            Outcome::Checked(r) if r.has_checksums() || !r.problems.is_empty() => r,
            Outcome::Checked(_) => {
                writeln!(out, ": no MD5 checksums recorded")?;
                continue;
            }
            Outcome::NoVolume => {
                writeln!(out, ": no ISO 9660 volume (not checked)")?;
                continue;
            }
            Outcome::CutOff => {
                writeln!(out, ": image cut off, passed over by readers (not checked)")?;
                continue;
            }
            Outcome::Damaged(what) => {
                writeln!(out, ": DAMAGED: {what}")?;
                continue;
            }
        };
        writeln!(out, ": {}", if s.is_bad() { "FAILED" } else { "OK" })?;
        print_session(s, r, out)?;
    }
    for w in &d.warnings {
        writeln!(out, "warning: {w}")?;
    }
    let files: usize = d.sessions.iter().map(|s| s.files().len()).sum();
    let bad: usize = d
        .sessions
        .iter()
        .map(|s| s.files().iter().filter(|f| !f.ok).count())
        .sum();
    let no_sums = d
        .sessions
        .iter()
        .filter(|s| matches!(&s.outcome, Outcome::Checked(r) if !r.has_checksums()))
        .count();
    writeln!(
        out,
        "{} session(s) checked, {} bad, {} without checksums; {} file(s) checked ({} read, {} already verified), {} bad: {}",
        d.sessions.len(),
        d.sessions.iter().filter(|s| s.is_bad()).count(),
        no_sums,
        files,
        d.files_read,
        d.files_reused,
        bad,
        if d.is_ok() {
            "OK"
        } else if d.is_bad() {
            "FAILED"
        } else {
            "NO CHECKSUMS RECORDED"
        }
    )?;
    Ok(())
}

fn print_session(s: &SessionCheck, r: &Md5Report, out: &mut dyn Write) -> anyhow::Result<()> {
    let number = s.number;
    if r.session_start != s.start {
        // isofs.ca names another start than the survey found: say which one was checked.
        writeln!(out, "  checked at LBA {}", r.session_start)?;
    }
    for t in r.superblock_copy.iter().chain(&r.tags) {
        write!(
            out,
            "  {} tag at LBA {} ({}): {}",
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
        writeln!(out, "  session MD5: {}", verdict(ok))?;
    }
    if let Some(ok) = r.array_ok {
        writeln!(out, "  checksum array: {}", verdict(ok))?;
    }
    for f in r.files.iter().filter(|f| !f.ok) {
        let ranges: Vec<String> = f.ranges.iter().map(ToString::to_string).collect();
        writeln!(
            out,
            "  session {number}: file {}: MISMATCH ({} bytes in {})",
            printable(f.path.as_os_str().as_bytes()),
            f.size,
            ranges.join(", ")
        )?;
    }
    for p in &r.problems {
        writeln!(
            out,
            "  session {number}: problem at LBA {}: {}",
            p.lba, p.what
        )?;
    }
    for p in &r.files_without_md5 {
        writeln!(
            out,
            "  file {}: no MD5 recorded (not verified)",
            printable(p.as_os_str().as_bytes())
        )?;
    }
    writeln!(
        out,
        "  {} files checked ({} already verified), {} bad, {} without MD5 (not verified)",
        r.files.len(),
        r.files.iter().filter(|f| f.reused).count(),
        r.files.iter().filter(|f| !f.ok).count(),
        r.files_without_md5.len(),
    )?;
    Ok(())
}
