//! Commands that read or change the medium: READ(10/12), WRITE(10/12), SYNCHRONIZE CACHE,
//! CLOSE TRACK/SESSION, BLANK, FORMAT UNIT and RESERVE TRACK.

use super::bytes::{get_be16, get_be24, get_be32, get_u8, Cdb};
use super::engine::{CmdResult, Engine, Fail, Reply};
use super::kind::MediaKind;
use super::media::FormatRequest;
use super::sense::{
    COMMAND_SEQUENCE_ERROR, FORMAT_IN_PROGRESS, INVALID_FIELD_IN_CDB,
    INVALID_FIELD_IN_PARAMETER_LIST, LBA_OUT_OF_RANGE, LONG_WRITE_IN_PROGRESS,
    OPERATION_IN_PROGRESS, PARAMETER_LIST_LENGTH_ERROR, WRITE_PROTECTED,
};
use super::state::{Action, BLOCK};
use crate::Error;

fn transfer_bytes(blocks: u32) -> usize {
    usize::try_from(u64::from(blocks) * BLOCK as u64).unwrap_or(usize::MAX)
}

/// Media written by track at an NWA under page 05 control.
fn uses_page05(kind: MediaKind) -> bool {
    matches!(
        kind,
        MediaKind::CdR | MediaKind::CdRw | MediaKind::DvdR | MediaKind::DvdRw
    )
}

impl Engine<'_> {
    /// READ(10)/READ(12): recorded blocks only (sequential media fail 05/21/00 on unwritten
    /// areas and 05/64/00 on CD run-out), from the buffer where it holds newer data.
    pub(crate) fn read(&mut self, lba: u32, blocks: u32, cdb: Cdb<'_>, in_len: usize) -> CmdResult {
        // RelAdr and the obsolete bits of byte 1.
        if cdb.u8(1) & 0xe0 != 0 {
            return Err(INVALID_FIELD_IN_CDB.into());
        }
        if blocks == 0 {
            return Ok(Reply::Good);
        }
        let bytes = transfer_bytes(blocks);
        if bytes > in_len {
            return Err(Fail::Transport(Error::InvalidRequest(format!(
                "READ of {blocks} blocks needs {bytes} bytes, the data-in buffer has {in_len}"
            ))));
        }
        self.media()?.check_read(lba, blocks)?;
        let mut data = vec![0u8; bytes];
        self.read_blocks(lba, &mut data)?;
        Ok(Reply::Data { data, alloc: bytes })
    }

    /// WRITE(10)/WRITE(12): checked by the medium (NWA, capacity, format state), then
    /// acknowledged into the drive buffer. FUA writes the data through at once.
    pub(crate) fn write(&mut self, lba: u32, blocks: u32, cdb: Cdb<'_>, out: &[u8]) -> CmdResult {
        let bytes = transfer_bytes(blocks);
        let Some(payload) = out.get(..bytes) else {
            return Err(Fail::Transport(Error::InvalidRequest(format!(
                "WRITE of {blocks} blocks needs {bytes} bytes, the data-out buffer has {}",
                out.len()
            ))));
        };
        if blocks == 0 {
            return Ok(Reply::Consumed(0));
        }
        let ctx = self.ctx();
        let m = self.media()?;
        let kind = m.kind();
        if kind.is_rom() {
            return Err(WRITE_PROTECTED.into());
        }
        if uses_page05(kind) {
            if ctx.quirks.strict_page05 && !ctx.wp.selected {
                return Err(COMMAND_SEQUENCE_ERROR.into());
            }
            if ctx.wp.test_write {
                // Simulation: the drive goes through the motions and records nothing.
                if u64::from(lba) + u64::from(blocks) > u64::from(m.capacity()) {
                    return Err(LBA_OUT_OF_RANGE.with_info(lba).into());
                }
                return Ok(Reply::Consumed(bytes));
            }
        }
        self.media_mut()?.write(lba, blocks, &ctx)?;
        self.buffer_write(lba, payload)?;
        if cdb.bit(1, 3) {
            self.flush_all()?;
        }
        Ok(Reply::Consumed(bytes))
    }

    /// SYNCHRONIZE CACHE(10) (35h): flushes the buffer; with Immed (byte 1 bit 1) the flush
    /// happens after the polls, during which commands see 02/04/08.
    pub(crate) fn synchronize_cache(&mut self, cdb: Cdb<'_>) -> CmdResult {
        self.long_op(cdb.bit(1, 1), LONG_WRITE_IN_PROGRESS, Action::Sync)
    }

    /// CLOSE TRACK/SESSION (5Bh): function in byte 2 bits 2-0, track in bytes 4-5, Immed in
    /// byte 1 bit 0. The buffer is flushed first.
    pub(crate) fn close_track_session(&mut self, cdb: Cdb<'_>) -> CmdResult {
        let action = Action::Close {
            function: cdb.u8(2) & 0x07,
            track: cdb.be16(4),
        };
        self.long_op(cdb.bit(1, 0), OPERATION_IN_PROGRESS, action)
    }

    /// BLANK (A1h): types 000b (full) and 001b (minimal); Immed in byte 1 bit 4.
    pub(crate) fn blank(&mut self, cdb: Cdb<'_>) -> CmdResult {
        let minimal = match cdb.u8(1) & 0x07 {
            0b000 => false,
            0b001 => true,
            _ => return Err(INVALID_FIELD_IN_CDB.into()),
        };
        self.long_op(
            cdb.bit(1, 4),
            OPERATION_IN_PROGRESS,
            Action::Blank { minimal },
        )
    }

    /// FORMAT UNIT (04h): FmtData = 1 and format code 001b, with the 12-byte parameter list
    /// (4-byte header with Immed in byte 1 bit 1, one 8-byte format descriptor).
    pub(crate) fn format_unit(&mut self, cdb: Cdb<'_>, out: &[u8]) -> CmdResult {
        if !cdb.bit(1, 4) || cdb.u8(1) & 0x07 != 0b001 {
            return Err(INVALID_FIELD_IN_CDB.into());
        }
        if out.len() < 12 {
            return Err(PARAMETER_LIST_LENGTH_ERROR.into());
        }
        if get_be16(out, 2) != 8 {
            return Err(INVALID_FIELD_IN_PARAMETER_LIST.into());
        }
        let immed = get_u8(out, 1) & 0x02 != 0;
        let req = FormatRequest {
            format_type: get_u8(out, 8) >> 2,
            subtype: get_u8(out, 8) & 0x03,
            blocks: get_be32(out, 4),
            tdp: get_be24(out, 9),
        };
        self.long_op(immed, FORMAT_IN_PROGRESS, Action::Format(req))?;
        Ok(Reply::Consumed(12))
    }

    /// RESERVE TRACK (53h) with ARSV = 0: reservation size in blocks, bytes 5-8.
    pub(crate) fn reserve_track(&mut self, cdb: Cdb<'_>) -> CmdResult {
        if cdb.bit(1, 0) {
            return Err(INVALID_FIELD_IN_CDB.into());
        }
        self.media_mut()?.reserve(cdb.be32(5))?;
        Ok(Reply::Good)
    }
}
