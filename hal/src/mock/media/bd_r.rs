//! BD-R in Sequential Recording Mode (profile 0041h).
//!
//! Written like DVD+R (CLOSE 001b track, 010b session, 110b finalize), in 32-block
//! clusters for RESERVE TRACK. FORMAT UNIT 00h/32h with subtype 01b (SRM without
//! pseudo-overwrite) is accepted on a blank disc and changes nothing the mock models;
//! pseudo-overwrite (subtype 00b) and RRM (10b) are refused with 05/26/00.

use serde::{Deserialize, Serialize};

use super::super::kind::MediaKind;
use super::super::sense::{
    Sense, CANNOT_FORMAT_MEDIUM, INVALID_FIELD_IN_CDB, INVALID_FIELD_IN_PARAMETER_LIST,
};
use super::sequential::{Rules, SeqDisc};
use super::{
    Ctx, DiscSummary, FormatCapacities, FormatRequest, Media, SessionView, TrackFormat, TrackView,
};

const RULES: Rules = Rules {
    first_gap: 0,
    later_gap: 0,
    reserve_unit: 32,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BdRDisc {
    pub seq: SeqDisc,
}

impl BdRDisc {
    pub(crate) fn new() -> BdRDisc {
        BdRDisc {
            seq: SeqDisc::new(MediaKind::BdR.nominal_capacity().unwrap_or(0)),
        }
    }
}

impl Media for BdRDisc {
    fn kind(&self) -> MediaKind {
        MediaKind::BdR
    }

    fn capacity(&self) -> u32 {
        self.seq.capacity
    }

    fn summary(&self) -> DiscSummary {
        self.seq.summary()
    }

    fn tracks(&self) -> Vec<TrackView> {
        self.seq.tracks_view()
    }

    fn sessions(&self) -> Vec<SessionView> {
        self.seq.sessions_view(None)
    }

    fn last_lba(&self) -> u32 {
        self.seq.last_lba()
    }

    fn check_read(&self, lba: u32, blocks: u32) -> Result<(), Sense> {
        self.seq.check_read(lba, blocks)
    }

    fn write(&mut self, lba: u32, blocks: u32, _ctx: &Ctx) -> Result<(), Sense> {
        self.seq.write(lba, blocks)
    }

    fn forget(&mut self, lba: u32, blocks: u32) {
        self.seq.forget(lba, blocks);
    }

    fn close(&mut self, function: u8, track: u16, _ctx: &Ctx) -> Result<(), Sense> {
        match function {
            // Track FFh is only defined for CD and DVD+R.
            0b001 if track != 0xff => self.seq.close_track(track, 0),
            0b010 => self.seq.close_session(false, 0b11, 0, &RULES),
            0b110 => self.seq.close_session(true, 0b00, 0, &RULES),
            _ => Err(INVALID_FIELD_IN_CDB),
        }
    }

    fn reserve(&mut self, blocks: u32) -> Result<(), Sense> {
        self.seq.reserve(blocks, &RULES)
    }

    fn format_capacities(&self) -> FormatCapacities {
        let cap = self.seq.capacity;
        FormatCapacities {
            current_blocks: cap,
            current_type: if self.seq.is_blank() { 0b01 } else { 0b10 },
            formats: vec![(cap, 0x00, 0), (cap, 0x32, 0)],
        }
    }

    fn format(&mut self, req: &FormatRequest, _ctx: &Ctx) -> Result<(), Sense> {
        if !self.seq.is_blank() {
            return Err(CANNOT_FORMAT_MEDIUM);
        }
        match (req.format_type, req.subtype) {
            (0x00 | 0x32, 0b01) => Ok(()),
            _ => Err(INVALID_FIELD_IN_PARAMETER_LIST),
        }
    }

    fn track_format(&self) -> TrackFormat {
        TrackFormat {
            track_mode: 7,
            data_mode: 1,
            packet: false,
            fixed_packet: false,
            packet_size: 0,
        }
    }
}
