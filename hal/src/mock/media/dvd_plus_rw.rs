//! DVD+RW (profile 001Ah) with background formatting.
//!
//! FORMAT UNIT type 26h starts a background format: after the Immed phase the disc is
//! usable at once and disc information byte 7 reports 10b (running) until
//! `bg_format_commands` further commands have passed, then 11b (complete). CLOSE 000b
//! (quick stop) and 010b (compatible stop) suspend a running format (01b); FORMAT 26h with
//! the Restart bit resumes it. Writes go anywhere once a format has started.

use serde::{Deserialize, Serialize};

use super::super::kind::MediaKind;
use super::super::sense::{
    Sense, INVALID_FIELD_IN_CDB, INVALID_FIELD_IN_PARAMETER_LIST, LBA_OUT_OF_RANGE,
    MEDIUM_NOT_FORMATTED,
};
use super::{
    check_overwrite, Ctx, DiscStatus, DiscSummary, FormatCapacities, FormatRequest, Media,
    SessionState, SessionView, TrackFormat, TrackView,
};

/// Disc information byte 7 bits 1-0, with the running format's countdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum BgFormat {
    Unformatted,
    Running { remaining: u32 },
    Suspended,
    Complete,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DvdPlusRwDisc {
    pub capacity: u32,
    pub bg: BgFormat,
}

impl DvdPlusRwDisc {
    pub(crate) fn new(formatted: bool) -> DvdPlusRwDisc {
        DvdPlusRwDisc {
            capacity: MediaKind::DvdPlusRw.nominal_capacity().unwrap_or(0),
            bg: if formatted {
                BgFormat::Complete
            } else {
                BgFormat::Unformatted
            },
        }
    }

    fn formatted(&self) -> bool {
        self.bg != BgFormat::Unformatted
    }
}

impl Media for DvdPlusRwDisc {
    fn kind(&self) -> MediaKind {
        MediaKind::DvdPlusRw
    }

    fn capacity(&self) -> u32 {
        self.capacity
    }

    fn summary(&self) -> DiscSummary {
        let formatted = self.formatted();
        DiscSummary {
            status: if formatted {
                DiscStatus::Complete
            } else {
                DiscStatus::Blank
            },
            last_session: if formatted {
                SessionState::Complete
            } else {
                SessionState::Empty
            },
            sessions: 1,
            first_track: 1,
            first_track_last_session: 1,
            last_track_last_session: 1,
            bg_format: match self.bg {
                BgFormat::Unformatted => 0b00,
                BgFormat::Suspended => 0b01,
                BgFormat::Running { .. } => 0b10,
                BgFormat::Complete => 0b11,
            },
            lead_in: (!formatted).then_some(0),
            last_lead_out: (!formatted).then_some(i64::from(self.capacity)),
        }
    }

    fn tracks(&self) -> Vec<TrackView> {
        let formatted = self.formatted();
        vec![TrackView {
            number: 1,
            session: 1,
            start: 0,
            size: self.capacity,
            nwa: formatted.then_some(0),
            free: self.capacity,
            last_recorded: None,
            blank: !formatted,
            reserved: false,
            invisible: false,
            closed: formatted,
        }]
    }

    fn sessions(&self) -> Vec<SessionView> {
        if !self.formatted() {
            return Vec::new();
        }
        vec![SessionView {
            number: 1,
            first_track: 1,
            last_track: 1,
            leadout: self.capacity,
            next_session: None,
        }]
    }

    fn last_lba(&self) -> u32 {
        if self.formatted() {
            self.capacity.saturating_sub(1)
        } else {
            0
        }
    }

    fn check_read(&self, lba: u32, blocks: u32) -> Result<(), Sense> {
        if !self.formatted() {
            return Err(LBA_OUT_OF_RANGE.with_info(lba));
        }
        check_overwrite(lba, blocks, self.capacity)
    }

    fn write(&mut self, lba: u32, blocks: u32, _ctx: &Ctx) -> Result<(), Sense> {
        if !self.formatted() {
            return Err(MEDIUM_NOT_FORMATTED);
        }
        check_overwrite(lba, blocks, self.capacity)
    }

    fn close(&mut self, function: u8, _track: u16, _ctx: &Ctx) -> Result<(), Sense> {
        match function {
            0b000 | 0b010 => {
                if let BgFormat::Running { .. } = self.bg {
                    self.bg = BgFormat::Suspended;
                }
                Ok(())
            }
            _ => Err(INVALID_FIELD_IN_CDB),
        }
    }

    fn format_capacities(&self) -> FormatCapacities {
        FormatCapacities {
            current_blocks: self.capacity,
            current_type: if self.formatted() { 0b10 } else { 0b01 },
            formats: vec![(self.capacity, 0x26, 0)],
        }
    }

    fn format(&mut self, req: &FormatRequest, ctx: &Ctx) -> Result<(), Sense> {
        if req.format_type != 0x26 || (req.blocks > self.capacity && req.blocks != u32::MAX) {
            return Err(INVALID_FIELD_IN_PARAMETER_LIST);
        }
        let restart = req.tdp & 1 != 0;
        let running = if ctx.bg_format_commands == 0 {
            BgFormat::Complete
        } else {
            BgFormat::Running {
                remaining: ctx.bg_format_commands,
            }
        };
        self.bg = match (restart, self.bg) {
            (true, BgFormat::Suspended) => running,
            (true, BgFormat::Running { .. } | BgFormat::Complete) => self.bg,
            (true, BgFormat::Unformatted) => return Err(INVALID_FIELD_IN_PARAMETER_LIST),
            (false, _) => running,
        };
        Ok(())
    }

    fn tick(&mut self) {
        if let BgFormat::Running { remaining } = self.bg {
            self.bg = match remaining.saturating_sub(1) {
                0 => BgFormat::Complete,
                remaining => BgFormat::Running { remaining },
            };
        }
    }

    fn interrupt(&mut self) {
        if let BgFormat::Running { .. } = self.bg {
            self.bg = BgFormat::Suspended;
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

    fn random_writable(&self) -> bool {
        self.formatted()
    }

    fn format_state(&self) -> Option<String> {
        Some(match self.bg {
            BgFormat::Unformatted => "unformatted".to_string(),
            BgFormat::Running { remaining } => {
                format!("background format running ({remaining} commands left)")
            }
            BgFormat::Suspended => "background format suspended".to_string(),
            BgFormat::Complete => "formatted".to_string(),
        })
    }
}
