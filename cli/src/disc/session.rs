//! Which session of a disc a reader sees: one rule for every command (`ls`, `get`, `verify`,
//! the xorriso front, the consistency check, and the import of a new session).
//!
//! **The rule: the last session whose image is whole.** A session's ISO 9660 volume
//! declares its size (the volume space size in its primary volume descriptor); a burn cut
//! off and then closed leaves a session that declares more blocks than it holds. Such a
//! session is passed over, with a warning naming it, and the one before it is read.
//!
//! **Volume space size, both conventions.** mkisofs/genisoimage `-C` and libisofs (xorriso)
//! record a session's size counted from the session's start; the superblock at LBA 16 of an
//! overwritable medium (growisofs and libisoburn rewrite it after each session) records the
//! absolute end. A session at `start` whose descriptor says `v` therefore ends at
//! `start + v`; at LBA 0 both readings agree. (spindle writes sessions the same way, see
//! [`crate::disc::write`].)
//!
//! **Where the sessions are.**
//! - Write-once media (CD-R/RW, DVD±R, DVD-RW sequential, BD-R) and read-only media (pressed
//!   discs, and write-once discs a drive reports as DVD-ROM once closed): the drive's track
//!   list (READ TRACK INFORMATION, or READ TOC for ROM profiles), grouped by session. The open
//!   last session of an interrupted burn is not a session a reader sees.
//! - Overwritable media (DVD+RW, DVD-RW restricted overwrite, BD-RE) and image files keep no
//!   session list; like libisoburn, spindle reads the chain of sessions the filesystem
//!   records: the superblock at LBA 16 gives the end of the whole volume; when a volume
//!   starts at LBA 32 (libisoburn's and spindle's first session), each session's own
//!   descriptors give its size, and the next session starts at that end rounded up to 32
//!   blocks. A reader opens the superblock at LBA 0: it is a copy of the last session's
//!   descriptors, so it shows the last session's tree. A medium whose first session was
//!   written at LBA 0 (growisofs) shows one session.

use std::fs::File;
use std::io;

use anyhow::Context;
use iso9660::raw::descriptor::{DescriptorType, VolumeDescriptor};
use serde::Serialize;

use crate::disc::sectors::{AnyDrive, DiscSectors};
use crate::disc::target::Target;

/// Where libisoburn and spindle put the first session on overwritable media and image files:
/// LBA 0..31 then holds the superblock, and every session keeps its own descriptors.
pub const OVERWRITABLE_FIRST_SESSION: u32 = 32;
/// Logical block of the first volume descriptor (ECMA-119 §6.2.1: the system area is 0..15).
const DESCRIPTOR_START: u32 = 16;
/// Sessions followed in an emulated chain at most (a hostile chain cannot loop forever).
const MAX_CHAIN: usize = 10_000;

/// The start of the session after a volume that ends at `end` (growisofs method; the
/// alignment is [`iso9660::multisession::next_session_start`]'s, the burner's too).
pub fn next_session_start(end: u64) -> u64 {
    match u32::try_from(end) {
        Ok(e) => u64::from(iso9660::multisession::next_session_start(e)),
        Err(_) => end.div_ceil(32) * 32,
    }
}

/// One session on the medium.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    /// 1 for the first session.
    pub number: u32,
    /// First block.
    pub start: u32,
    /// Blocks recorded for it: its tracks on write-once and ROM media; its volume on
    /// overwritable media and image files.
    pub recorded_blocks: u64,
    /// The volume's label, when the session holds an ISO 9660 volume.
    pub volume_id: Option<String>,
    /// The volume space size its descriptors record (counted from `start`).
    pub volume_blocks: Option<u32>,
    /// Whether its image is whole: the volume fits in what was recorded.
    pub whole: bool,
}

impl Session {
    /// The block after the session's volume (or after what was recorded, without one).
    pub fn end(&self) -> u64 {
        u64::from(self.start) + self.volume_blocks.map_or(self.recorded_blocks, u64::from)
    }
}

/// What is on a target, session by session, and which session a reader sees.
#[derive(Debug, Clone, Serialize)]
pub struct DiscSessions {
    /// The target's name.
    pub target: String,
    /// The medium: a profile name, or "image file".
    pub medium: String,
    /// Overwritable media and image files (sessions emulated by the filesystem).
    pub overwritable: bool,
    /// Every session, oldest first.
    pub sessions: Vec<Session>,
    /// Blocks a reader may read.
    pub readable_blocks: u64,
    /// The session a reader sees (its number), `None` when there is none.
    pub current: Option<u32>,
    /// Where a reader opens the volume: the current session's start on write-once and ROM
    /// media, 0 (the superblock) on overwritable media and image files.
    pub read_start: Option<u32>,
    /// Later sessions passed over because their image was cut off, newest first.
    pub passed_over: Vec<u32>,
    /// The emulated chain did not reach the end the superblock records (another tool wrote
    /// over part of it); the sessions listed are the ones found.
    pub chain_broken: bool,
}

impl DiscSessions {
    /// The session a reader sees.
    pub fn current_session(&self) -> Option<&Session> {
        let n = self.current?;
        self.sessions.iter().find(|s| s.number == n)
    }

    /// The session written last (whole or not).
    pub fn last_session(&self) -> Option<&Session> {
        self.sessions.last()
    }

    /// The warnings a reader should see: sessions passed over, a broken chain.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        for k in &self.passed_over {
            let Some(s) = self.sessions.iter().find(|s| s.number == *k) else {
                continue;
            };
            w.push(format!(
                "{}: session {k} (LBA {}) holds an image that was cut off (its volume declares {} blocks, {} were recorded); {}",
                self.target,
                s.start,
                s.volume_blocks.unwrap_or(0),
                s.recorded_blocks,
                match self.current {
                    Some(c) => format!("reading session {c} instead"),
                    None => "no earlier session holds a volume".to_owned(),
                }
            ));
        }
        if self.chain_broken {
            w.push(format!(
                "{}: the chain of session descriptors does not reach the end of the volume (another tool wrote over part of it); the last session is read through the superblock at LBA 16",
                self.target
            ));
        }
        w
    }
}

/// The primary volume descriptor in `block`, if it holds one.
pub fn primary_descriptor(block: &[u8]) -> Option<VolumeDescriptor> {
    if block.get(1..6) != Some(b"CD001".as_slice()) {
        return None;
    }
    let d = VolumeDescriptor::parse(block).ok()?;
    (d.kind == DescriptorType::PRIMARY).then_some(d)
}

fn read_pvd(src: &mut DiscSectors, session_start: u32) -> io::Result<Option<VolumeDescriptor>> {
    let Some(lba) = session_start.checked_add(DESCRIPTOR_START) else {
        return Ok(None);
    };
    Ok(src.read_block(lba)?.as_deref().and_then(primary_descriptor))
}

fn label(d: &VolumeDescriptor) -> String {
    String::from_utf8_lossy(&d.volume_id).into_owned()
}

/// The emulated session chain of an overwritable medium or image file (see the
/// [module documentation](self)).
fn chain(
    src: &mut DiscSectors,
    target: String,
    medium: String,
    readable: u64,
) -> io::Result<DiscSessions> {
    let mut out = DiscSessions {
        target,
        medium,
        overwritable: true,
        sessions: Vec::new(),
        readable_blocks: readable,
        current: None,
        read_start: None,
        passed_over: Vec::new(),
        chain_broken: false,
    };
    let Some(superblock) = read_pvd(src, 0)? else {
        return Ok(out);
    };
    let end = u64::from(superblock.volume_space_size);
    out.read_start = Some(0);
    let first = match read_pvd(src, OVERWRITABLE_FIRST_SESSION)? {
        Some(d) if end > u64::from(OVERWRITABLE_FIRST_SESSION) => Some(d),
        _ => None,
    };
    let Some(mut d) = first else {
        out.sessions.push(Session {
            number: 1,
            start: 0,
            recorded_blocks: end,
            volume_id: Some(label(&superblock)),
            volume_blocks: Some(superblock.volume_space_size),
            whole: end <= readable,
        });
        out.current = Some(1);
        return Ok(out);
    };
    let mut start = OVERWRITABLE_FIRST_SESSION;
    loop {
        let number = u32::try_from(out.sessions.len() + 1).unwrap_or(u32::MAX);
        let s_end = u64::from(start) + u64::from(d.volume_space_size);
        out.sessions.push(Session {
            number,
            start,
            recorded_blocks: u64::from(d.volume_space_size),
            volume_id: Some(label(&d)),
            volume_blocks: Some(d.volume_space_size),
            whole: s_end <= readable,
        });
        if s_end >= end || out.sessions.len() >= MAX_CHAIN || d.volume_space_size == 0 {
            out.chain_broken = s_end != end;
            break;
        }
        let next = next_session_start(s_end);
        let Ok(next32) = u32::try_from(next) else {
            out.chain_broken = true;
            break;
        };
        match read_pvd(src, next32)? {
            Some(n) if next < end => {
                d = n;
                start = next32;
            }
            _ => {
                out.chain_broken = true;
                break;
            }
        }
    }
    if out.chain_broken {
        // The superblock is what every reader mounts; whatever the chain says, its tree is
        // the last session's.
        log::debug!(
            "{}: session chain stops before the superblock's end {end}",
            out.target
        );
    }
    out.current = out.sessions.last().map(|s| s.number);
    Ok(out)
}

/// Sessions of a write-once or ROM medium from the probe's track list.
fn tracked(
    src: &mut DiscSectors,
    target: String,
    medium: &mmc::MediumInfo,
    profile: String,
    readable: u64,
) -> io::Result<DiscSessions> {
    let mut out = DiscSessions {
        target,
        medium: profile,
        overwritable: false,
        sessions: Vec::new(),
        readable_blocks: readable,
        current: None,
        read_start: None,
        passed_over: Vec::new(),
        chain_broken: false,
    };
    let complete = if medium.last_session_state == "complete" || medium.disc_status == "complete" {
        medium.sessions
    } else {
        medium.sessions.saturating_sub(1)
    };
    for n in 1..=complete.max(1) {
        let tracks: Vec<_> = medium
            .tracks
            .iter()
            .filter(|t| t.session == n && !t.blank && t.mode != "audio")
            .collect();
        let Some(first) = tracks.first() else {
            continue;
        };
        let end = tracks
            .iter()
            .map(|t| u64::from(t.start_lba) + u64::from(t.size_blocks))
            .max()
            .unwrap_or(u64::from(first.start_lba));
        if n > complete {
            break;
        }
        let start = first.start_lba;
        let pvd = read_pvd(src, start)?;
        // A drive that gives no track size (some ROM drives and tgt's closed DVD+R answer
        // READ TOC with no usable lead-out) leaves the readable capacity as the only bound.
        let recorded = match end.saturating_sub(u64::from(start)) {
            0 => readable.saturating_sub(u64::from(start)),
            n => n,
        };
        let whole = pvd
            .as_ref()
            .is_some_and(|d| u64::from(d.volume_space_size) <= recorded);
        out.sessions.push(Session {
            number: n,
            start,
            recorded_blocks: recorded,
            volume_id: pvd.as_ref().map(label),
            volume_blocks: pvd.as_ref().map(|d| d.volume_space_size),
            whole,
        });
    }
    for s in out.sessions.iter().rev() {
        if s.whole {
            out.current = Some(s.number);
            out.read_start = Some(s.start);
            break;
        }
        if s.volume_blocks.is_some() {
            out.passed_over.push(s.number);
        }
    }
    Ok(out)
}

/// Surveys the medium in `drive`: its sessions, and the one a reader sees. Returns the
/// sectors, bounded by what is readable, for reading it.
///
/// # Errors
/// No medium; drive errors.
pub fn survey_drive(mut drive: AnyDrive) -> anyhow::Result<(DiscSessions, DiscSectors)> {
    let name = drive.name().to_owned();
    let report = drive.probe().with_context(|| name.clone())?;
    let Some(m) = report.medium.clone() else {
        anyhow::bail!("{name}: no medium in the drive");
    };
    let profile = report
        .current_profile
        .as_ref()
        .map_or_else(|| "unknown medium".to_owned(), |p| p.name.clone());
    let overwritable = m.formatted.is_some();
    let mut blocks = if overwritable {
        m.capacity.total_blocks
    } else {
        m.capacity.used_blocks
    };
    if blocks == 0 {
        // ROM media without track information: READ CAPACITY is all there is.
        blocks = drive
            .run(&mmc::command::ReadCapacity)
            .map(|c| c.blocks())
            .unwrap_or(0);
    }
    let mut src = DiscSectors::new(drive, blocks);
    let sessions = if overwritable {
        chain(&mut src, name, profile, blocks)
    } else {
        tracked(&mut src, name, &m, profile, blocks)
    }?;
    Ok((sessions, src))
}

/// Surveys an image file (an overwritable medium).
///
/// # Errors
/// Open and read errors.
pub fn survey_file(path: &std::path::Path) -> anyhow::Result<(DiscSessions, DiscSectors)> {
    let name = path.display().to_string();
    let f = File::open(path).with_context(|| name.clone())?;
    let mut src = DiscSectors::file(f, &name).with_context(|| name.clone())?;
    let blocks = src.blocks();
    let s = chain(&mut src, name.clone(), "image file".to_owned(), blocks)
        .with_context(|| name.clone())?;
    Ok((s, src))
}

/// Surveys `target`.
///
/// # Errors
/// As [`survey_drive`] and [`survey_file`].
pub fn survey(target: &Target) -> anyhow::Result<(DiscSessions, DiscSectors)> {
    match target {
        Target::Image(p) => survey_file(p),
        Target::Drive(_) => survey_drive(target.open_drive("reading")?),
    }
}

/// Opens the volume a reader sees on surveyed sectors, logging the survey's warnings.
///
/// # Errors
/// No session with an ISO 9660 volume; a volume that cannot be opened.
pub fn open_current(
    sessions: &DiscSessions,
    src: DiscSectors,
) -> anyhow::Result<iso9660::Image<DiscSectors>> {
    for w in sessions.warnings() {
        log::warn!("{w}");
    }
    let Some(start) = sessions.read_start else {
        anyhow::bail!(
            "{}: no ISO 9660 session on the medium ({}, {} session(s) recorded)",
            sessions.target,
            sessions.medium,
            sessions.sessions.len()
        );
    };
    iso9660::Image::open_session(src, iso9660::Lba(start)).with_context(|| {
        format!(
            "{}: no ISO 9660 volume in the session at LBA {start}",
            sessions.target
        )
    })
}

/// Opens the ISO 9660 volume of the session a reader sees on `spec`: a drive of any profile
/// (`/dev/srN`, `/dev/sgN`, `mock:DIR`, a mock directory) or an image file.
///
/// # Errors
/// Open failures, no medium, drive errors, no session with an ISO 9660 volume.
pub fn open_last_session(spec: &str) -> anyhow::Result<iso9660::Image<DiscSectors>> {
    let target = Target::parse(spec)?;
    let (sessions, src) = survey(&target)?;
    open_current(&sessions, src)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rom_medium(track_blocks: u32, state: &str) -> mmc::MediumInfo {
        mmc::MediumInfo {
            disc_status: "complete".into(),
            last_session_state: state.into(),
            erasable: false,
            formatted: None,
            sessions: 1,
            first_track: 1,
            last_track: 1,
            tracks: vec![mmc::TrackInfo {
                number: 1,
                session: 1,
                start_lba: 0,
                size_blocks: track_blocks,
                mode: "data".into(),
                blank: false,
                incomplete: false,
                next_writable_address: None,
                free_blocks: None,
                last_recorded_address: None,
            }],
            next_writable_address: None,
            last_session_start_lba: Some(0),
            capacity: mmc::Capacity {
                block_size: 2048,
                total_blocks: 0,
                used_blocks: 0,
                free_blocks: 0,
                total_bytes: 0,
                used_bytes: 0,
                free_bytes: 0,
            },
        }
    }

    fn small_image() -> (tempfile::NamedTempFile, u64) {
        let src = tempfile::tempdir().unwrap();
        std::fs::write(src.path().join("f"), b"data").unwrap();
        let mut b = iso9660::ImageBuilder::new(iso9660::Options::default()).unwrap();
        b.add(&iso9660::GraftPoint::path(src.path())).unwrap();
        let layout = b.plan().unwrap();
        let t = tempfile::NamedTempFile::new().unwrap();
        let mut w = iso9660::SparseFileWriter::new(t.reopen().unwrap());
        layout.write_to(&mut w).unwrap();
        w.finish().unwrap();
        (t, u64::from(layout.sectors()))
    }

    #[test]
    fn a_track_without_a_size_is_bounded_by_the_readable_capacity() {
        // tgt's closed DVD+R (DVD-ROM) gives a track of size 0 in its TOC: the session is
        // whole if its volume fits in what READ CAPACITY says is readable.
        let (img, blocks) = small_image();
        let mut src = DiscSectors::file(img.reopen().unwrap(), "t").unwrap();
        let s = tracked(
            &mut src,
            "t".into(),
            &rom_medium(0, "complete"),
            "DVD-ROM".into(),
            blocks,
        )
        .unwrap();
        assert_eq!(s.current, Some(1), "{s:?}");
        assert!(s.passed_over.is_empty());
        // A track that does report its size and is shorter than the volume: cut off.
        let s = tracked(
            &mut src,
            "t".into(),
            &rom_medium(5, "complete"),
            "DVD-ROM".into(),
            blocks,
        )
        .unwrap();
        assert_eq!(s.current, None, "{s:?}");
        assert_eq!(s.passed_over, [1]);
    }

    #[test]
    fn next_session_is_aligned_to_32() {
        assert_eq!(next_session_start(0), 0);
        assert_eq!(next_session_start(1), 32);
        assert_eq!(next_session_start(57), 64);
        assert_eq!(next_session_start(64), 64);
    }
}
