//! DVD+R (profile 001Bh) and DVD+R DL (002Bh).
//!
//! No page 05: CLOSE function 001b closes a track (FFh names the invisible track), 010b
//! closes the session and leaves the disc appendable, 101b and 110b finalize.

use serde::{Deserialize, Serialize};

use super::super::kind::MediaKind;
use super::super::sense::{Sense, INVALID_FIELD_IN_CDB};
use super::sequential::{Rules, SeqDisc};
use super::{Ctx, DiscSummary, FormatCapacities, Media, SessionView, TrackFormat, TrackView};

const RULES: Rules = Rules {
    first_gap: 0,
    later_gap: 0,
    reserve_unit: 16,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DvdPlusRDisc {
    pub double_layer: bool,
    pub seq: SeqDisc,
}

impl DvdPlusRDisc {
    pub(crate) fn new(double_layer: bool) -> DvdPlusRDisc {
        let kind = if double_layer {
            MediaKind::DvdPlusRDl
        } else {
            MediaKind::DvdPlusR
        };
        DvdPlusRDisc {
            double_layer,
            seq: SeqDisc::new(kind.nominal_capacity().unwrap_or(0)),
        }
    }
}

impl Media for DvdPlusRDisc {
    fn kind(&self) -> MediaKind {
        if self.double_layer {
            MediaKind::DvdPlusRDl
        } else {
            MediaKind::DvdPlusR
        }
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
            0b001 => {
                let n = if track == 0xff {
                    self.seq.last_track_number()
                } else {
                    track
                };
                self.seq.close_track(n, 0)
            }
            0b010 => self.seq.close_session(false, 0b11, 0, &RULES),
            0b101 | 0b110 => self.seq.close_session(true, 0b00, 0, &RULES),
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
