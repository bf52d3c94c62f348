//! Per-medium state machines.
//!
//! Each family has its own file and struct; [`Medium`] is the serializable sum of them and
//! hands out `&dyn Media`, which is all the command layer sees. An enum rather than a
//! `Box<dyn Media>` because the state lives in `state.json` between commands and serde
//! needs to know the concrete type.
//!
//! Write-once families (CD-R/RW, DVD-R/RW, DVD+R, BD-R) share [`sequential::SeqDisc`]:
//! blank → appendable (open invisible track, NWA advancing) → complete. Overwritable
//! families (DVD+RW, BD-RE, DVD-RW Restricted Overwrite) go unformatted → formatted.

use serde::{Deserialize, Serialize};

use super::config::Quirks;
use super::kind::MediaKind;
use super::sense::Sense;

pub(crate) mod bd_r;
pub(crate) mod bd_re;
pub(crate) mod cd;
pub(crate) mod dvd_minus;
pub(crate) mod dvd_plus_r;
pub(crate) mod dvd_plus_rw;
pub(crate) mod rom;
pub(crate) mod sequential;

/// Disc information byte 2 bits 1-0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DiscStatus {
    Blank = 0,
    Appendable = 1,
    Complete = 2,
}

impl DiscStatus {
    pub(crate) fn name(self) -> &'static str {
        match self {
            DiscStatus::Blank => "blank",
            DiscStatus::Appendable => "appendable",
            DiscStatus::Complete => "complete",
        }
    }
}

/// Disc information byte 2 bits 3-2: state of the last session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionState {
    Empty = 0,
    Incomplete = 1,
    Complete = 3,
}

impl SessionState {
    pub(crate) fn name(self) -> &'static str {
        match self {
            SessionState::Empty => "empty",
            SessionState::Incomplete => "incomplete",
            SessionState::Complete => "complete",
        }
    }
}

/// What READ DISC INFORMATION reports, before encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DiscSummary {
    pub status: DiscStatus,
    pub last_session: SessionState,
    /// Number of sessions, counting an open (empty or incomplete) last session.
    pub sessions: u16,
    pub first_track: u16,
    pub first_track_last_session: u16,
    pub last_track_last_session: u16,
    /// Byte 7 bits 1-0 (DVD+RW background format status).
    pub bg_format: u8,
    /// Last session lead-in start; `None` = FFFFFFFFh (complete disc).
    pub lead_in: Option<i64>,
    /// Last possible lead-out start; `None` = FFFFFFFFh.
    pub last_lead_out: Option<i64>,
}

/// One track as READ TRACK INFORMATION and READ TOC see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TrackView {
    pub number: u16,
    pub session: u16,
    pub start: u32,
    pub size: u32,
    pub nwa: Option<u32>,
    pub free: u32,
    pub last_recorded: Option<u32>,
    pub blank: bool,
    pub reserved: bool,
    /// The open-ended last track of an appendable disc (track FFh on CD and DVD+R).
    pub invisible: bool,
    pub closed: bool,
}

impl TrackView {
    pub(crate) fn end(&self) -> u64 {
        u64::from(self.start) + u64::from(self.size)
    }
}

/// A complete session, for READ TOC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SessionView {
    pub number: u16,
    pub first_track: u16,
    pub last_track: u16,
    pub leadout: u32,
    /// CD full TOC point B0: `Some(Some(lba))` next program area start, `Some(None)`
    /// FF:FF:FF (closed with multi-session 01b), `None` no B0 (00b, or not a CD).
    pub next_session: Option<Option<u32>>,
}

/// Track-format bits of READ TRACK INFORMATION bytes 5-6 and 20-23.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TrackFormat {
    pub track_mode: u8,
    pub data_mode: u8,
    pub packet: bool,
    pub fixed_packet: bool,
    pub packet_size: u32,
}

/// READ FORMAT CAPACITIES content: the current/maximum descriptor and the formattable list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FormatCapacities {
    pub current_blocks: u32,
    /// 01b unformatted, 10b formatted, 11b no medium / unknown.
    pub current_type: u8,
    /// (number of blocks, format type, type-dependent parameter).
    pub formats: Vec<(u32, u8, u32)>,
}

/// A decoded FORMAT UNIT parameter list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FormatRequest {
    pub format_type: u8,
    pub subtype: u8,
    pub blocks: u32,
    pub tdp: u32,
}

/// The write parameters page (05h) fields the media care about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WriteParams {
    /// 0 packet/incremental, 1 TAO, 2 SAO/DAO, 3 raw, 4 layer jump.
    pub write_type: u8,
    pub test_write: bool,
    /// 00b finalize, 01b close without next session (B0 = FF:FF:FF), 11b keep appendable.
    pub multi_session: u8,
    pub fixed_packet: bool,
    pub packet_size: u32,
    /// True once the host has sent page 05 with MODE SELECT since the medium was loaded.
    pub selected: bool,
}

/// ATIP (READ TOC format 4) values of a recordable CD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Atip {
    pub lead_in: i64,
    pub last_lead_out: i64,
    pub rewritable: bool,
}

/// What a medium needs to know about the drive's settings while it changes state.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub wp: WriteParams,
    pub quirks: Quirks,
    pub bg_format_commands: u32,
}

/// A medium's behaviour, as the command layer sees it. Addresses are LBAs; failures are
/// the sense data a drive would return.
pub(crate) trait Media {
    /// The current kind (a DVD-RW reports DvdRw or DvdRwRo depending on its mode).
    fn kind(&self) -> MediaKind;
    /// User-area capacity in blocks (formatted size for overwritable media).
    fn capacity(&self) -> u32;
    fn summary(&self) -> DiscSummary;
    /// Every track, including the invisible one.
    fn tracks(&self) -> Vec<TrackView>;
    /// Complete sessions, for READ TOC.
    fn sessions(&self) -> Vec<SessionView>;
    /// The last LBA READ CAPACITY reports (0 on blank media, as drives do).
    fn last_lba(&self) -> u32;
    fn check_read(&self, lba: u32, blocks: u32) -> Result<(), Sense>;
    /// Validates a WRITE and, when it is acceptable, records it (advancing the NWA).
    fn write(&mut self, lba: u32, blocks: u32, ctx: &Ctx) -> Result<(), Sense>;
    /// Undoes recorded blocks whose data was lost from the drive buffer (power loss).
    fn forget(&mut self, _lba: u32, _blocks: u32) {}
    fn close(&mut self, function: u8, track: u16, ctx: &Ctx) -> Result<(), Sense>;
    fn reserve(&mut self, _blocks: u32) -> Result<(), Sense> {
        Err(super::sense::CANNOT_WRITE_MEDIUM_INCOMPATIBLE_FORMAT)
    }
    fn format_capacities(&self) -> FormatCapacities;
    fn format(&mut self, _req: &FormatRequest, _ctx: &Ctx) -> Result<(), Sense> {
        Err(super::sense::CANNOT_FORMAT_MEDIUM)
    }
    /// BLANK types 000b (full) and 001b (minimal).
    fn blank(&mut self, _minimal: bool, _ctx: &Ctx) -> Result<(), Sense> {
        Err(super::sense::CANNOT_WRITE_MEDIUM_INCOMPATIBLE_FORMAT)
    }
    /// One command has passed (background formatting advances).
    fn tick(&mut self) {}
    /// Power was lost (a running background format stops).
    fn interrupt(&mut self) {}
    /// The drive buffer has just been flushed to the medium.
    fn after_flush(&mut self, _ctx: &Ctx) {}
    fn track_format(&self) -> TrackFormat;
    /// Feature 0021h (Incremental Streaming Writable) is current.
    fn incremental_current(&self, _quirks: &Quirks) -> bool {
        false
    }
    /// Feature 0020h (Random Writable) is current: formatted overwritable medium.
    fn random_writable(&self) -> bool {
        false
    }
    fn atip(&self) -> Option<Atip> {
        None
    }
    /// A short description of format state for `MockState` (None when not formattable).
    fn format_state(&self) -> Option<String> {
        None
    }
}

/// The medium in the drive, in serializable form.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "family", rename_all = "snake_case")]
pub(crate) enum Medium {
    Cd(cd::CdDisc),
    DvdMinus(dvd_minus::DvdMinusDisc),
    DvdPlusR(dvd_plus_r::DvdPlusRDisc),
    DvdPlusRw(dvd_plus_rw::DvdPlusRwDisc),
    BdR(bd_r::BdRDisc),
    BdRe(bd_re::BdReDisc),
    Rom(rom::RomDisc),
}

impl Medium {
    /// A fresh medium of `kind`. `formatted` applies to overwritable kinds; `rom_blocks` is
    /// the image size for ROM kinds.
    pub(crate) fn new(kind: MediaKind, formatted: bool, rom_blocks: u32) -> Medium {
        match kind {
            MediaKind::CdR => Medium::Cd(cd::CdDisc::new(false)),
            MediaKind::CdRw => Medium::Cd(cd::CdDisc::new(true)),
            MediaKind::DvdR => Medium::DvdMinus(dvd_minus::DvdMinusDisc::new(false, false)),
            MediaKind::DvdRw => Medium::DvdMinus(dvd_minus::DvdMinusDisc::new(true, false)),
            MediaKind::DvdRwRo => Medium::DvdMinus(dvd_minus::DvdMinusDisc::new(true, true)),
            MediaKind::DvdPlusR => Medium::DvdPlusR(dvd_plus_r::DvdPlusRDisc::new(false)),
            MediaKind::DvdPlusRDl => Medium::DvdPlusR(dvd_plus_r::DvdPlusRDisc::new(true)),
            MediaKind::DvdPlusRw => Medium::DvdPlusRw(dvd_plus_rw::DvdPlusRwDisc::new(formatted)),
            MediaKind::BdR => Medium::BdR(bd_r::BdRDisc::new()),
            MediaKind::BdRe => Medium::BdRe(bd_re::BdReDisc::new(formatted)),
            MediaKind::CdRom => Medium::Rom(rom::RomDisc::new(true, rom_blocks)),
            MediaKind::DvdRom => Medium::Rom(rom::RomDisc::new(false, rom_blocks)),
        }
    }

    pub(crate) fn get(&self) -> &dyn Media {
        match self {
            Medium::Cd(m) => m,
            Medium::DvdMinus(m) => m,
            Medium::DvdPlusR(m) => m,
            Medium::DvdPlusRw(m) => m,
            Medium::BdR(m) => m,
            Medium::BdRe(m) => m,
            Medium::Rom(m) => m,
        }
    }

    pub(crate) fn get_mut(&mut self) -> &mut dyn Media {
        match self {
            Medium::Cd(m) => m,
            Medium::DvdMinus(m) => m,
            Medium::DvdPlusR(m) => m,
            Medium::DvdPlusRw(m) => m,
            Medium::BdR(m) => m,
            Medium::BdRe(m) => m,
            Medium::Rom(m) => m,
        }
    }

    /// The image size in blocks a ROM medium expects in `media.img`.
    pub(crate) fn rom_blocks(&self) -> Option<u32> {
        match self {
            Medium::Rom(r) => Some(r.blocks),
            _ => None,
        }
    }
}

/// Finds the track an LBA belongs to (READ TRACK INFORMATION address type 00b).
pub(crate) fn track_containing(tracks: &[TrackView], lba: u32) -> Option<&TrackView> {
    tracks
        .iter()
        .find(|t| t.start <= lba && u64::from(lba) < t.end())
}

/// Rounds up to a multiple of `unit` (ECC blocks), saturating.
pub(crate) fn round_up(blocks: u32, unit: u32) -> u32 {
    if unit <= 1 {
        return blocks;
    }
    blocks.div_ceil(unit).saturating_mul(unit)
}

/// Checks a write against an overwritable medium's formatted area.
pub(crate) fn check_overwrite(lba: u32, blocks: u32, formatted: u32) -> Result<(), Sense> {
    if u64::from(lba) + u64::from(blocks) > u64::from(formatted) {
        return Err(super::sense::LBA_OUT_OF_RANGE.with_info(lba.max(formatted)));
    }
    Ok(())
}
