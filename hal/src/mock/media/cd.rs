//! CD-R (profile 0009h) and CD-RW (000Ah), written Track-at-Once.
//!
//! Multi-session follows page 05: CLOSE SESSION finalizes unless the multi-session field
//! is 11b, and the next session starts 11400 blocks after the first session's lead-out
//! (6900 after later ones). With write type TAO, closing a track appends 2 run-out blocks
//! (quirk `cd_tao_runout`). SAO needs a cue sheet, which the mock does not take, so WRITE
//! with write type 2 fails 05/2C/00.

use serde::{Deserialize, Serialize};

use super::super::config::Quirks;
use super::super::kind::{MediaKind, CD_80MIN_BLOCKS};
use super::super::sense::{
    Sense, COMMAND_SEQUENCE_ERROR, ILLEGAL_MODE_FOR_THIS_TRACK, INVALID_FIELD_IN_CDB,
};
use super::sequential::{Rules, SeqDisc, COMPLETE};
use super::{
    Atip, Ctx, DiscStatus, DiscSummary, FormatCapacities, Media, SessionView, TrackFormat,
    TrackView,
};

const RULES: Rules = Rules {
    first_gap: 11_400,
    later_gap: 6_900,
    reserve_unit: 1,
};

/// ATIP lead-in start of typical media, 97:26:66 (a negative LBA).
pub(crate) const ATIP_LEAD_IN: i64 = -11_634;

/// Lead-in (4500 blocks, 60 s) plus the first track's 150-block pregap.
const LEAD_IN_AND_PREGAP: i64 = 4_650;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CdDisc {
    pub rewritable: bool,
    pub seq: SeqDisc,
}

impl CdDisc {
    pub(crate) fn new(rewritable: bool) -> CdDisc {
        CdDisc {
            rewritable,
            seq: SeqDisc::new(CD_80MIN_BLOCKS),
        }
    }

    fn runout(ctx: &Ctx) -> u32 {
        if ctx.quirks.cd_tao_runout && ctx.wp.write_type == 1 {
            2
        } else {
            0
        }
    }
}

impl Media for CdDisc {
    fn kind(&self) -> MediaKind {
        if self.rewritable {
            MediaKind::CdRw
        } else {
            MediaKind::CdR
        }
    }

    fn capacity(&self) -> u32 {
        self.seq.capacity
    }

    fn summary(&self) -> DiscSummary {
        let mut s = self.seq.summary();
        s.lead_in = match s.status {
            DiscStatus::Blank => Some(ATIP_LEAD_IN),
            DiscStatus::Appendable => self
                .seq
                .invisible()
                .map(|t| i64::from(t.start) - LEAD_IN_AND_PREGAP),
            DiscStatus::Complete => None,
        };
        s
    }

    fn tracks(&self) -> Vec<TrackView> {
        self.seq.tracks_view()
    }

    fn sessions(&self) -> Vec<SessionView> {
        self.seq.sessions_view(Some(&RULES))
    }

    fn last_lba(&self) -> u32 {
        self.seq.last_lba()
    }

    fn check_read(&self, lba: u32, blocks: u32) -> Result<(), Sense> {
        self.seq.check_read(lba, blocks)
    }

    fn write(&mut self, lba: u32, blocks: u32, ctx: &Ctx) -> Result<(), Sense> {
        match ctx.wp.write_type {
            0 | 1 => self.seq.write(lba, blocks),
            2 => Err(COMMAND_SEQUENCE_ERROR),
            _ => Err(ILLEGAL_MODE_FOR_THIS_TRACK),
        }
    }

    fn forget(&mut self, lba: u32, blocks: u32) {
        self.seq.forget(lba, blocks);
    }

    fn close(&mut self, function: u8, track: u16, ctx: &Ctx) -> Result<(), Sense> {
        match function {
            0b001 => {
                let n = if track == 0xff {
                    self.seq.last_track_number()
                } else {
                    track
                };
                self.seq.close_track(n, Self::runout(ctx))
            }
            0b010 => {
                let multi = ctx.wp.multi_session;
                self.seq
                    .close_session(multi != 0b11, multi, Self::runout(ctx), &RULES)
            }
            _ => Err(INVALID_FIELD_IN_CDB),
        }
    }

    fn reserve(&mut self, blocks: u32) -> Result<(), Sense> {
        self.seq.reserve(blocks, &RULES)
    }

    fn format_capacities(&self) -> FormatCapacities {
        FormatCapacities {
            current_blocks: self.seq.capacity,
            current_type: 0b11,
            formats: Vec::new(),
        }
    }

    fn blank(&mut self, _minimal: bool, _ctx: &Ctx) -> Result<(), Sense> {
        if !self.rewritable {
            return Err(COMPLETE);
        }
        self.seq = SeqDisc::new(self.seq.capacity);
        Ok(())
    }

    fn track_format(&self) -> TrackFormat {
        TrackFormat {
            track_mode: 4,
            data_mode: 1,
            packet: false,
            fixed_packet: false,
            packet_size: 0,
        }
    }

    fn incremental_current(&self, _quirks: &Quirks) -> bool {
        true
    }

    fn atip(&self) -> Option<Atip> {
        Some(Atip {
            lead_in: ATIP_LEAD_IN,
            last_lead_out: i64::from(self.seq.capacity),
            rewritable: self.rewritable,
        })
    }
}
