//! BD-RE (profile 0043h): unformatted until FORMAT UNIT 00h, 30h (with spare areas) or 31h
//! (without), then written anywhere in the formatted area.

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

/// Formatted without spare areas (31h), and the blank disc's maximum.
const MAX_BLOCKS: u32 = 12_219_392;
/// Formatted with the default spare areas (00h, 30h): 393,216 blocks fewer.
const WITH_SPARES: u32 = 11_826_176;
/// Spare area size as the 00h/30h type-dependent parameter, in 32-block clusters.
const SPARE_CLUSTERS: u32 = (MAX_BLOCKS - WITH_SPARES) / 32;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BdReDisc {
    /// Formatted size in blocks.
    pub formatted: Option<u32>,
}

impl BdReDisc {
    /// A disc inserted "formatted" has no spare areas, so it has the full 12,219,392 blocks.
    pub(crate) fn new(formatted: bool) -> BdReDisc {
        BdReDisc {
            formatted: formatted.then_some(MAX_BLOCKS),
        }
    }
}

impl Media for BdReDisc {
    fn kind(&self) -> MediaKind {
        MediaKind::BdRe
    }

    fn capacity(&self) -> u32 {
        self.formatted.unwrap_or(MAX_BLOCKS)
    }

    fn summary(&self) -> DiscSummary {
        let formatted = self.formatted.is_some();
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
            bg_format: 0,
            lead_in: (!formatted).then_some(0),
            last_lead_out: (!formatted).then_some(i64::from(MAX_BLOCKS)),
        }
    }

    fn tracks(&self) -> Vec<TrackView> {
        let formatted = self.formatted.is_some();
        vec![TrackView {
            number: 1,
            session: 1,
            start: 0,
            size: self.capacity(),
            nwa: formatted.then_some(0),
            free: self.capacity(),
            last_recorded: None,
            blank: !formatted,
            reserved: false,
            invisible: false,
            closed: formatted,
        }]
    }

    fn sessions(&self) -> Vec<SessionView> {
        match self.formatted {
            Some(blocks) => {
                vec![SessionView {
                    number: 1,
                    first_track: 1,
                    last_track: 1,
                    leadout: blocks,
                    next_session: None,
                }]
            }
            None => Vec::new(),
        }
    }

    fn last_lba(&self) -> u32 {
        self.formatted.map_or(0, |b| b.saturating_sub(1))
    }

    fn check_read(&self, lba: u32, blocks: u32) -> Result<(), Sense> {
        match self.formatted {
            Some(f) => check_overwrite(lba, blocks, f),
            None => Err(LBA_OUT_OF_RANGE.with_info(lba)),
        }
    }

    fn write(&mut self, lba: u32, blocks: u32, _ctx: &Ctx) -> Result<(), Sense> {
        match self.formatted {
            Some(f) => check_overwrite(lba, blocks, f),
            None => Err(MEDIUM_NOT_FORMATTED),
        }
    }

    fn close(&mut self, _function: u8, _track: u16, _ctx: &Ctx) -> Result<(), Sense> {
        Err(INVALID_FIELD_IN_CDB)
    }

    fn format_capacities(&self) -> FormatCapacities {
        FormatCapacities {
            current_blocks: self.capacity(),
            current_type: if self.formatted.is_some() { 0b10 } else { 0b01 },
            formats: vec![
                (WITH_SPARES, 0x00, SPARE_CLUSTERS),
                (WITH_SPARES, 0x30, SPARE_CLUSTERS),
                (MAX_BLOCKS, 0x31, 0),
            ],
        }
    }

    fn format(&mut self, req: &FormatRequest, _ctx: &Ctx) -> Result<(), Sense> {
        let size = match req.format_type {
            0x00 | 0x30 => WITH_SPARES,
            0x31 => MAX_BLOCKS,
            _ => return Err(INVALID_FIELD_IN_PARAMETER_LIST),
        };
        if req.blocks > size && req.blocks != u32::MAX {
            return Err(INVALID_FIELD_IN_PARAMETER_LIST);
        }
        self.formatted = Some(size);
        Ok(())
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
        self.formatted.is_some()
    }

    fn format_state(&self) -> Option<String> {
        Some(match self.formatted {
            None => "unformatted".to_string(),
            Some(b) => format!("formatted, {b} blocks"),
        })
    }
}
