//! DVD-R (profile 0011h) and DVD-RW, which is either Sequential (0014h) or Restricted
//! Overwrite (0013h).
//!
//! Sequential writing follows page 05: write type 0 (incremental, multi-session per the
//! multi-session field) or 2 (DAO: RESERVE TRACK first; the disc completes once the reserved
//! track is fully written and flushed). With a fixed packet size in page 05, writes must be
//! whole packets. FORMAT UNIT 00h/10h (full) or 15h (quick) turns a DVD-RW into Restricted
//! Overwrite, 13h (quick grow) re-enters the intermediate state, CLOSE 010b leaves it, and
//! BLANK turns the disc back into a blank Sequential one.

use serde::{Deserialize, Serialize};

use super::super::config::Quirks;
use super::super::kind::MediaKind;
use super::super::sense::{
    Sense, CANNOT_FORMAT_MEDIUM, COMMAND_SEQUENCE_ERROR, ILLEGAL_MODE_FOR_THIS_TRACK,
    INVALID_ADDRESS_FOR_WRITE, INVALID_FIELD_IN_CDB, INVALID_FIELD_IN_PARAMETER_LIST,
    INVALID_PACKET_SIZE,
};
use super::sequential::{Rules, SeqDisc, COMPLETE};
use super::{
    check_overwrite, Ctx, DiscStatus, DiscSummary, FormatCapacities, FormatRequest, Media,
    SessionState, SessionView, TrackFormat, TrackView,
};

const RULES: Rules = Rules {
    first_gap: 0,
    later_gap: 0,
    reserve_unit: 16,
};

/// Restricted Overwrite writes whole 32 KiB ECC blocks.
const RO_UNIT: u32 = 16;

/// Restricted Overwrite state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RestrictedOverwrite {
    pub formatted: u32,
    /// After quick format (15h) or quick grow (13h), until CLOSE SESSION.
    pub intermediate: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DvdMinusDisc {
    pub rewritable: bool,
    pub seq: SeqDisc,
    #[serde(default)]
    pub ro: Option<RestrictedOverwrite>,
    /// Blanked with BLANK 001b (see quirk `dvd_rw_quick_blank_no_incremental`).
    #[serde(default)]
    pub quick_blanked: bool,
}

impl DvdMinusDisc {
    pub(crate) fn new(rewritable: bool, restricted_overwrite: bool) -> DvdMinusDisc {
        let cap = MediaKind::DvdR.nominal_capacity().unwrap_or(0);
        DvdMinusDisc {
            rewritable,
            seq: SeqDisc::new(cap),
            ro: (rewritable && restricted_overwrite).then_some(RestrictedOverwrite {
                formatted: cap,
                intermediate: false,
            }),
            quick_blanked: false,
        }
    }

    fn no_incremental(&self, quirks: &Quirks) -> bool {
        self.quick_blanked && quirks.dvd_rw_quick_blank_no_incremental
    }
}

impl Media for DvdMinusDisc {
    fn kind(&self) -> MediaKind {
        match (self.rewritable, self.ro.is_some()) {
            (false, _) => MediaKind::DvdR,
            (true, false) => MediaKind::DvdRw,
            (true, true) => MediaKind::DvdRwRo,
        }
    }

    fn capacity(&self) -> u32 {
        self.ro
            .as_ref()
            .map_or(self.seq.capacity, |ro| ro.formatted)
    }

    fn summary(&self) -> DiscSummary {
        match &self.ro {
            None => self.seq.summary(),
            Some(ro) => DiscSummary {
                status: if ro.intermediate {
                    DiscStatus::Appendable
                } else {
                    DiscStatus::Complete
                },
                last_session: if ro.intermediate {
                    SessionState::Incomplete
                } else {
                    SessionState::Complete
                },
                sessions: 1,
                first_track: 1,
                first_track_last_session: 1,
                last_track_last_session: 1,
                bg_format: 0,
                lead_in: None,
                last_lead_out: None,
            },
        }
    }

    fn tracks(&self) -> Vec<TrackView> {
        match &self.ro {
            None => self.seq.tracks_view(),
            Some(ro) => vec![TrackView {
                number: 1,
                session: 1,
                start: 0,
                size: ro.formatted,
                nwa: Some(0),
                free: ro.formatted,
                last_recorded: None,
                blank: false,
                reserved: false,
                invisible: false,
                closed: !ro.intermediate,
            }],
        }
    }

    fn sessions(&self) -> Vec<SessionView> {
        match &self.ro {
            None => self.seq.sessions_view(None),
            Some(ro) => vec![SessionView {
                number: 1,
                first_track: 1,
                last_track: 1,
                leadout: ro.formatted,
                next_session: None,
            }],
        }
    }

    fn last_lba(&self) -> u32 {
        match &self.ro {
            None => self.seq.last_lba(),
            Some(ro) => ro.formatted.saturating_sub(1),
        }
    }

    fn check_read(&self, lba: u32, blocks: u32) -> Result<(), Sense> {
        match &self.ro {
            None => self.seq.check_read(lba, blocks),
            Some(ro) => check_overwrite(lba, blocks, ro.formatted),
        }
    }

    fn write(&mut self, lba: u32, blocks: u32, ctx: &Ctx) -> Result<(), Sense> {
        if let Some(ro) = &self.ro {
            if !lba.is_multiple_of(RO_UNIT) {
                return Err(INVALID_ADDRESS_FOR_WRITE.with_info(lba));
            }
            if !blocks.is_multiple_of(RO_UNIT) {
                return Err(INVALID_PACKET_SIZE.with_info(lba));
            }
            return check_overwrite(lba, blocks, ro.formatted);
        }
        let idx = self.seq.writable_track(lba)?;
        match ctx.wp.write_type {
            0 => {
                if self.no_incremental(&ctx.quirks) {
                    return Err(ILLEGAL_MODE_FOR_THIS_TRACK.with_info(lba));
                }
                let packet = ctx.wp.packet_size;
                if ctx.wp.fixed_packet && packet > 0 {
                    let offset = lba - self.seq.start_of(idx);
                    if !offset.is_multiple_of(packet) || !blocks.is_multiple_of(packet) {
                        return Err(INVALID_PACKET_SIZE.with_info(lba));
                    }
                }
            }
            2 if !self.seq.is_reserved(idx) => return Err(COMMAND_SEQUENCE_ERROR),
            2 => {}
            _ => return Err(ILLEGAL_MODE_FOR_THIS_TRACK.with_info(lba)),
        }
        self.seq.record(idx, blocks)
    }

    fn forget(&mut self, lba: u32, blocks: u32) {
        if self.ro.is_none() {
            self.seq.forget(lba, blocks);
        }
    }

    fn close(&mut self, function: u8, track: u16, ctx: &Ctx) -> Result<(), Sense> {
        if let Some(ro) = &mut self.ro {
            return match function {
                0b010 => {
                    ro.intermediate = false;
                    Ok(())
                }
                _ => Err(INVALID_FIELD_IN_CDB),
            };
        }
        match function {
            // Track FFh is only defined for CD and DVD+R.
            0b001 if track != 0xff => self.seq.close_track(track, 0),
            0b010 => {
                let multi = ctx.wp.multi_session;
                self.seq.close_session(multi != 0b11, multi, 0, &RULES)
            }
            _ => Err(INVALID_FIELD_IN_CDB),
        }
    }

    fn reserve(&mut self, blocks: u32) -> Result<(), Sense> {
        if self.ro.is_some() {
            return Err(COMMAND_SEQUENCE_ERROR);
        }
        self.seq.reserve(blocks, &RULES)
    }

    fn format_capacities(&self) -> FormatCapacities {
        let cap = self.seq.capacity;
        // Types 00h, 10h-15h carry the ECC block size (16) as type-dependent parameter.
        let full = vec![(cap, 0x00, 16), (cap, 0x10, 16), (cap, 0x15, 16)];
        match (&self.ro, self.rewritable) {
            (_, false) => FormatCapacities {
                current_blocks: cap,
                current_type: 0b11,
                formats: Vec::new(),
            },
            (None, true) => FormatCapacities {
                current_blocks: cap,
                current_type: 0b01,
                formats: full,
            },
            (Some(ro), true) => {
                let mut formats = full;
                formats.push((cap, 0x13, 16));
                FormatCapacities {
                    current_blocks: ro.formatted,
                    current_type: if ro.intermediate { 0b11 } else { 0b10 },
                    formats,
                }
            }
        }
    }

    fn format(&mut self, req: &FormatRequest, _ctx: &Ctx) -> Result<(), Sense> {
        if !self.rewritable {
            return Err(CANNOT_FORMAT_MEDIUM);
        }
        let cap = self.seq.capacity;
        if req.blocks > cap && req.blocks != u32::MAX {
            return Err(INVALID_FIELD_IN_PARAMETER_LIST);
        }
        match req.format_type {
            0x00 | 0x10 | 0x15 => {
                self.ro = Some(RestrictedOverwrite {
                    formatted: cap,
                    intermediate: req.format_type == 0x15,
                });
                self.seq = SeqDisc::new(cap);
                self.quick_blanked = false;
                Ok(())
            }
            0x13 => match &mut self.ro {
                Some(ro) => {
                    ro.intermediate = true;
                    Ok(())
                }
                None => Err(INVALID_FIELD_IN_PARAMETER_LIST),
            },
            _ => Err(INVALID_FIELD_IN_PARAMETER_LIST),
        }
    }

    fn blank(&mut self, minimal: bool, _ctx: &Ctx) -> Result<(), Sense> {
        if !self.rewritable {
            return Err(COMPLETE);
        }
        self.ro = None;
        self.seq = SeqDisc::new(self.seq.capacity);
        self.quick_blanked = minimal;
        Ok(())
    }

    fn after_flush(&mut self, ctx: &Ctx) {
        // DAO: a fully written reserved track completes the disc without CLOSE commands.
        if self.ro.is_some() || ctx.wp.write_type != 2 {
            return;
        }
        let full = self
            .seq
            .tracks
            .iter()
            .find(|t| !t.closed && t.reserved.is_some_and(|r| t.recorded >= r))
            .map(|t| t.number);
        if let Some(n) = full {
            let done = self
                .seq
                .close_track(n, 0)
                .and_then(|()| self.seq.close_session(true, 0, 0, &RULES));
            if let Err(e) = done {
                log::warn!("mock: DAO completion of track {n} failed: {}", e.code());
            }
        }
    }

    fn track_format(&self) -> TrackFormat {
        match (&self.ro, self.rewritable) {
            (Some(_), _) => TrackFormat {
                track_mode: 4,
                data_mode: 1,
                packet: true,
                fixed_packet: true,
                packet_size: RO_UNIT,
            },
            // Sequential DVD-R and DVD-RW report variable packets, even for tracks written
            // with page 05 set to fixed packets of 16 (which drives take and ignore):
            // growisofs reads READ TRACK INFORMATION before its page 05, for -Z of the
            // blank track and for -M of the last written one, and stops on FP = 1 ("track
            // is formatted for fixed packet size").
            (None, _) => TrackFormat {
                track_mode: 5,
                data_mode: 1,
                packet: true,
                fixed_packet: false,
                packet_size: 0,
            },
        }
    }

    fn incremental_current(&self, quirks: &Quirks) -> bool {
        self.ro.is_none() && !self.no_incremental(quirks)
    }

    fn random_writable(&self) -> bool {
        self.ro.is_some()
    }

    fn format_state(&self) -> Option<String> {
        if !self.rewritable {
            return None;
        }
        Some(
            match &self.ro {
                None if self.quick_blanked => "sequential (quick blanked)",
                None => "sequential",
                Some(ro) if ro.intermediate => "restricted overwrite, intermediate",
                Some(_) => "restricted overwrite, formatted",
            }
            .to_string(),
        )
    }
}
