//! Pressed CD-ROM (0008h) and DVD-ROM (0010h), read from an image: one complete session with
//! one data track covering the image. Every write-class command fails 07/27/00 (write
//! protected), as QEMU's scsi-cd answers WRITE.

use serde::{Deserialize, Serialize};

use super::super::kind::MediaKind;
use super::super::sense::{Sense, LBA_OUT_OF_RANGE, WRITE_PROTECTED};
use super::{
    Ctx, DiscStatus, DiscSummary, FormatCapacities, FormatRequest, Media, SessionState,
    SessionView, TrackFormat, TrackView,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RomDisc {
    pub cd: bool,
    pub blocks: u32,
}

impl RomDisc {
    pub(crate) fn new(cd: bool, blocks: u32) -> RomDisc {
        RomDisc { cd, blocks }
    }
}

impl Media for RomDisc {
    fn kind(&self) -> MediaKind {
        if self.cd {
            MediaKind::CdRom
        } else {
            MediaKind::DvdRom
        }
    }

    fn capacity(&self) -> u32 {
        self.blocks
    }

    fn summary(&self) -> DiscSummary {
        DiscSummary {
            status: DiscStatus::Complete,
            last_session: SessionState::Complete,
            sessions: 1,
            first_track: 1,
            first_track_last_session: 1,
            last_track_last_session: 1,
            bg_format: 0,
            lead_in: None,
            last_lead_out: None,
        }
    }

    fn tracks(&self) -> Vec<TrackView> {
        vec![TrackView {
            number: 1,
            session: 1,
            start: 0,
            size: self.blocks,
            nwa: None,
            free: 0,
            last_recorded: self.blocks.checked_sub(1),
            blank: false,
            reserved: false,
            invisible: false,
            closed: true,
        }]
    }

    fn sessions(&self) -> Vec<SessionView> {
        vec![SessionView {
            number: 1,
            first_track: 1,
            last_track: 1,
            leadout: self.blocks,
            next_session: None,
        }]
    }

    fn last_lba(&self) -> u32 {
        self.blocks.saturating_sub(1)
    }

    fn check_read(&self, lba: u32, blocks: u32) -> Result<(), Sense> {
        if u64::from(lba) + u64::from(blocks) > u64::from(self.blocks) {
            return Err(LBA_OUT_OF_RANGE.with_info(lba.max(self.blocks)));
        }
        Ok(())
    }

    fn write(&mut self, _lba: u32, _blocks: u32, _ctx: &Ctx) -> Result<(), Sense> {
        Err(WRITE_PROTECTED)
    }

    fn close(&mut self, _function: u8, _track: u16, _ctx: &Ctx) -> Result<(), Sense> {
        Err(WRITE_PROTECTED)
    }

    fn reserve(&mut self, _blocks: u32) -> Result<(), Sense> {
        Err(WRITE_PROTECTED)
    }

    fn format_capacities(&self) -> FormatCapacities {
        FormatCapacities {
            current_blocks: self.blocks,
            current_type: 0b10,
            formats: Vec::new(),
        }
    }

    fn format(&mut self, _req: &FormatRequest, _ctx: &Ctx) -> Result<(), Sense> {
        Err(WRITE_PROTECTED)
    }

    fn blank(&mut self, _minimal: bool, _ctx: &Ctx) -> Result<(), Sense> {
        Err(WRITE_PROTECTED)
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
}
