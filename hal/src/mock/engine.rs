//! Runs one command against the loaded state: fault plan, unit attention, long-operation
//! polling and the no-medium check come first, in that order, then the command's handler.
//! Also owns the drive buffer and power loss, which several commands and the host-side API
//! share.

use std::time::Duration;

use super::bytes::Cdb;
use super::fault::{self, FaultEffect};
use super::media::{Ctx, Media, Medium};
use super::sense::{
    Sense, INVALID_COMMAND_OPERATION_CODE, MEDIUM_NOT_PRESENT, MEDIUM_NOT_PRESENT_TRAY_CLOSED,
    MEDIUM_NOT_PRESENT_TRAY_OPEN, NO_SENSE, UA_POWER_ON_RESET,
};
use super::state::{Action, DriveState, Extent, PendingOp, BLOCK};
use super::store::{Store, MEDIA_FILE, UNDO_FILE};
use crate::{Completion, DataPhase, Error, Result, ScsiStatus, SenseBytes};

/// What a handler produced.
#[derive(Debug)]
pub(crate) enum Reply {
    /// No data phase.
    Good,
    /// Data-in: the full reply; `alloc` bytes at most go to the host (allocation length).
    Data { data: Vec<u8>, alloc: usize },
    /// Data-out: bytes taken from the host's buffer.
    Consumed(usize),
}

/// Why a handler did not produce a reply.
#[derive(Debug)]
pub(crate) enum Fail {
    /// CHECK CONDITION.
    Sense(Sense),
    /// The exchange failed (mock file I/O, malformed request).
    Transport(Error),
}

impl From<Sense> for Fail {
    fn from(s: Sense) -> Fail {
        Fail::Sense(s)
    }
}

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        Fail::Transport(e)
    }
}

pub(crate) type CmdResult = std::result::Result<Reply, Fail>;

/// The data phase a command defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dir {
    None,
    In,
    Out,
}

/// Static facts about an opcode.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CmdInfo {
    pub name: &'static str,
    pub len: usize,
    pub dir: Dir,
    /// Fails NOT READY, MEDIUM NOT PRESENT without a loaded medium.
    pub needs_medium: bool,
    /// Runs despite a pending UNIT ATTENTION (SPC: INQUIRY, REQUEST SENSE; MMC: GET
    /// CONFIGURATION, GET EVENT STATUS NOTIFICATION).
    pub ua_exempt: bool,
    /// Runs while a long operation is in progress.
    pub busy_exempt: bool,
}

/// The opcodes the mock implements; `None` means 05/20/00.
pub(crate) fn command_info(op: u8) -> Option<CmdInfo> {
    let (name, len, dir, needs_medium) = match op {
        0x00 => ("TEST UNIT READY", 6, Dir::None, true),
        0x03 => ("REQUEST SENSE", 6, Dir::In, false),
        0x04 => ("FORMAT UNIT", 6, Dir::Out, true),
        0x12 => ("INQUIRY", 6, Dir::In, false),
        0x15 => ("MODE SELECT(6)", 6, Dir::Out, false),
        0x1a => ("MODE SENSE(6)", 6, Dir::In, false),
        0x1b => ("START STOP UNIT", 6, Dir::None, false),
        0x1e => ("PREVENT ALLOW MEDIUM REMOVAL", 6, Dir::None, false),
        0x23 => ("READ FORMAT CAPACITIES", 10, Dir::In, true),
        0x25 => ("READ CAPACITY(10)", 10, Dir::In, true),
        0x28 => ("READ(10)", 10, Dir::In, true),
        0x2a => ("WRITE(10)", 10, Dir::Out, true),
        0x35 => ("SYNCHRONIZE CACHE(10)", 10, Dir::None, true),
        0x43 => ("READ TOC/PMA/ATIP", 10, Dir::In, true),
        0x46 => ("GET CONFIGURATION", 10, Dir::In, false),
        0x4a => ("GET EVENT STATUS NOTIFICATION", 10, Dir::In, false),
        0x51 => ("READ DISC INFORMATION", 10, Dir::In, true),
        0x52 => ("READ TRACK INFORMATION", 10, Dir::In, true),
        0x53 => ("RESERVE TRACK", 10, Dir::None, true),
        0x54 => ("SEND OPC INFORMATION", 10, Dir::Out, true),
        0x55 => ("MODE SELECT(10)", 10, Dir::Out, false),
        0x5a => ("MODE SENSE(10)", 10, Dir::In, false),
        0x5b => ("CLOSE TRACK/SESSION", 10, Dir::None, true),
        0x5c => ("READ BUFFER CAPACITY", 10, Dir::In, false),
        0xa1 => ("BLANK", 12, Dir::None, true),
        0xa8 => ("READ(12)", 12, Dir::In, true),
        0xaa => ("WRITE(12)", 12, Dir::Out, true),
        0xac => ("GET PERFORMANCE", 12, Dir::In, true),
        0xad => ("READ DISC STRUCTURE", 12, Dir::In, true),
        0xb6 => ("SET STREAMING", 12, Dir::Out, true),
        0xbb => ("SET CD SPEED", 12, Dir::None, false),
        0xbd => ("MECHANISM STATUS", 12, Dir::In, false),
        _ => return None,
    };
    let ua_exempt = matches!(op, 0x03 | 0x12 | 0x46 | 0x4a);
    // READ BUFFER CAPACITY and MECHANISM STATUS are answered while a drive is busy: hosts
    // watch the buffer drain during a SYNCHRONIZE CACHE.
    let busy_exempt = ua_exempt || matches!(op, 0x5c | 0xbd);
    Some(CmdInfo {
        name,
        len,
        dir,
        needs_medium,
        ua_exempt,
        busy_exempt,
    })
}

/// The result of one exchange, and how many bytes READ/WRITE moved (for pacing).
#[derive(Debug)]
pub(crate) struct Exec {
    pub outcome: Result<Completion>,
    pub moved: u64,
}

/// The loaded state of one drive, for the duration of one locked operation.
#[derive(Debug)]
pub(crate) struct Engine<'a> {
    pub st: &'a mut DriveState,
    pub store: &'a Store,
    pub device: &'a str,
}

impl Engine<'_> {
    /// Executes one command.
    pub(crate) fn execute(
        &mut self,
        cdb: &[u8],
        data: &mut DataPhase<'_>,
        timeout: Duration,
    ) -> Exec {
        let op = Cdb(cdb).opcode();
        self.st.commands = self.st.commands.saturating_add(1);
        let requested = data.len();
        let transport = |outcome: Error| Exec {
            outcome: Err(outcome),
            moved: 0,
        };
        let mut short = 0;
        match fault::take(&mut self.st.faults, op) {
            Some(FaultEffect::Sense { key, asc, ascq }) => {
                return Exec {
                    outcome: Ok(check(Sense::new(key, asc, ascq), requested)),
                    moved: 0,
                }
            }
            Some(FaultEffect::Timeout) => return transport(self.timeout_error(op, timeout)),
            Some(FaultEffect::Disconnect) => {
                return transport(Error::HostStatus {
                    device: self.device.to_string(),
                    opcode: op,
                    host_status: 0x01,
                })
            }
            Some(FaultEffect::PowerLoss) => {
                if let Err(e) = self.power_loss() {
                    return transport(e);
                }
                return transport(self.timeout_error(op, timeout));
            }
            Some(FaultEffect::ShortTransfer { residual }) => short = residual,
            None => {}
        }
        match self.run(op, cdb, data) {
            Ok(residual) => {
                let residual = residual.saturating_add(short).min(requested);
                let moved = if matches!(op, 0x28 | 0xa8 | 0x2a | 0xaa) {
                    requested - residual
                } else {
                    0
                };
                let c = Completion {
                    status: ScsiStatus::GOOD,
                    sense: SenseBytes::empty(),
                    residual,
                };
                Exec {
                    outcome: Ok(c),
                    moved: moved as u64,
                }
            }
            Err(Fail::Sense(s)) => Exec {
                outcome: Ok(check(s, requested)),
                moved: 0,
            },
            Err(Fail::Transport(e)) => transport(e),
        }
    }

    fn timeout_error(&self, opcode: u8, timeout: Duration) -> Error {
        Error::Timeout {
            device: self.device.to_string(),
            opcode,
            timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
        }
    }

    /// The gates, then the handler; returns the residual.
    fn run(
        &mut self,
        op: u8,
        cdb: &[u8],
        data: &mut DataPhase<'_>,
    ) -> std::result::Result<usize, Fail> {
        if let Some(m) = self.st.medium.as_mut() {
            m.get_mut().tick();
        }
        self.complete_due()?;
        let quirks = &self.st.config.quirks;
        if (op == 0x46 && quirks.get_configuration_unsupported)
            || (op == 0xb6 && quirks.set_streaming_unsupported)
        {
            return Err(INVALID_COMMAND_OPERATION_CODE.into());
        }
        // A recorded drive's refusals come first, as the unknown-opcode check does: a drive
        // rejects what it lacks before it looks at its state.
        if let Some([k, a, q]) = self.st.config.profile.as_ref().and_then(|p| p.refusal(cdb)) {
            return Err(Sense::new(k, a, q).into());
        }
        let info = command_info(op).ok_or(INVALID_COMMAND_OPERATION_CODE)?;
        if cdb.len() < info.len {
            return Err(Error::InvalidRequest(format!(
                "{} needs a {}-byte CDB, got {} bytes",
                info.name,
                info.len,
                cdb.len()
            ))
            .into());
        }
        let wrong_direction = match data {
            DataPhase::In(b) => info.dir == Dir::Out && !b.is_empty(),
            DataPhase::Out(b) => info.dir != Dir::Out && !b.is_empty(),
            DataPhase::None => false,
        };
        if wrong_direction {
            return Err(Error::InvalidRequest(format!(
                "{} with a data-{} phase",
                info.name,
                data.direction()
            ))
            .into());
        }
        if !info.ua_exempt {
            if let Some((asc, ascq)) = self.st.unit_attentions.pop_front() {
                return Err(Sense::new(0x6, asc, ascq).into());
            }
        }
        if !info.busy_exempt && self.st.pending.is_some() {
            let busy = self.poll();
            // Pioneer drives answer TEST UNIT READY with GOOD while still busy.
            if op == 0x00 && self.st.config.quirks.pioneer_tur_ready {
                return Ok(0);
            }
            return Err(busy.into());
        }
        if info.needs_medium && self.st.loaded().is_none() {
            return Err(self.no_medium().into());
        }
        let out: &[u8] = match data {
            DataPhase::Out(b) => b,
            _ => &[],
        };
        let in_len = match data {
            DataPhase::In(b) => b.len(),
            _ => 0,
        };
        let reply = self.dispatch(op, Cdb(cdb), out, in_len)?;
        Ok(match (reply, data) {
            (Reply::Good, d) => d.len(),
            (Reply::Data { data, alloc }, DataPhase::In(buf)) => {
                let n = alloc.min(data.len()).min(buf.len());
                if let (Some(dst), Some(src)) = (buf.get_mut(..n), data.get(..n)) {
                    dst.copy_from_slice(src);
                }
                buf.len() - n
            }
            (Reply::Data { .. }, d) => d.len(),
            (Reply::Consumed(n), d) => d.len().saturating_sub(n),
        })
    }

    fn dispatch(&mut self, op: u8, cdb: Cdb<'_>, out: &[u8], in_len: usize) -> CmdResult {
        match op {
            0x00 => Ok(Reply::Good),
            0x03 => self.request_sense(cdb),
            0x04 => self.format_unit(cdb, out),
            0x12 => self.inquiry(cdb),
            0x15 => self.mode_select6(cdb, out),
            0x1a => self.mode_sense6(cdb),
            0x1b => self.start_stop_unit(cdb),
            0x1e => self.prevent_allow(cdb),
            0x23 => self.read_format_capacities(cdb),
            0x25 => self.read_capacity(cdb),
            0x28 => self.read(cdb.be32(2), u32::from(cdb.be16(7)), cdb, in_len),
            0xa8 => self.read(cdb.be32(2), cdb.be32(6), cdb, in_len),
            0x2a => self.write(cdb.be32(2), u32::from(cdb.be16(7)), cdb, out),
            0xaa => self.write(cdb.be32(2), cdb.be32(6), cdb, out),
            0x35 => self.synchronize_cache(cdb),
            0x43 => self.read_toc(cdb),
            0x46 => self.get_configuration(cdb),
            0x4a => self.get_event_status(cdb),
            0x51 => self.read_disc_information(cdb),
            0x52 => self.read_track_information(cdb),
            0x53 => self.reserve_track(cdb),
            0x54 => Ok(Reply::Good),
            0x55 => self.mode_select(cdb, out),
            0x5a => self.mode_sense(cdb),
            0x5b => self.close_track_session(cdb),
            0x5c => self.read_buffer_capacity(cdb),
            0xa1 => self.blank(cdb),
            0xac => self.get_performance(cdb),
            0xad => self.read_disc_structure(cdb),
            0xb6 => self.set_streaming(cdb, out),
            0xbb => self.set_cd_speed(cdb),
            0xbd => self.mechanism_status(cdb),
            _ => Err(INVALID_COMMAND_OPERATION_CODE.into()),
        }
    }

    /// NOT READY, MEDIUM NOT PRESENT with the tray state, or QEMU's unqualified 3A/00.
    pub(crate) fn no_medium(&self) -> Sense {
        if self.st.config.qemu_compat {
            MEDIUM_NOT_PRESENT
        } else if self.st.tray_open {
            MEDIUM_NOT_PRESENT_TRAY_OPEN
        } else {
            MEDIUM_NOT_PRESENT_TRAY_CLOSED
        }
    }

    /// The loaded medium, or the no-medium sense.
    pub(crate) fn media(&self) -> std::result::Result<&dyn Media, Sense> {
        self.st
            .loaded()
            .map(Medium::get)
            .ok_or_else(|| self.no_medium())
    }

    pub(crate) fn media_mut(&mut self) -> std::result::Result<&mut dyn Media, Sense> {
        let sense = self.no_medium();
        if self.st.tray_open {
            return Err(sense);
        }
        self.st.medium.as_mut().map(Medium::get_mut).ok_or(sense)
    }

    pub(crate) fn ctx(&self) -> Ctx {
        Ctx {
            wp: super::mode::write_params(&self.st.page05, self.st.page05_selected),
            quirks: self.st.config.quirks.clone(),
            bg_format_commands: self.st.config.bg_format_commands,
        }
    }

    // ---- long operations -------------------------------------------------------------

    /// Starts FORMAT UNIT, BLANK, CLOSE TRACK/SESSION or SYNCHRONIZE CACHE. The request is
    /// checked against a copy of the medium first, so a bad one fails at once; with Immed
    /// the next `immed_polls` commands then see `busy` with progress, and the operation takes
    /// effect after them (a power loss in between abandons it).
    pub(crate) fn long_op(&mut self, immed: bool, busy: Sense, action: Action) -> CmdResult {
        if let Some(m) = self.st.loaded() {
            let mut probe = m.clone();
            let ctx = self.ctx();
            let p = probe.get_mut();
            match &action {
                Action::Format(req) => p.format(req, &ctx)?,
                Action::Blank { minimal } => p.blank(*minimal, &ctx)?,
                Action::Close { function, track } => p.close(*function, *track, &ctx)?,
                Action::Sync | Action::SpinUp => {}
            }
        }
        let polls = self.st.config.immed_polls;
        if immed && polls > 0 {
            self.st.pending = Some(PendingOp {
                sense: busy,
                total: polls,
                remaining: polls,
                action,
            });
        } else {
            self.run_action(&action)?;
        }
        Ok(Reply::Good)
    }

    /// Starts the spin-up delay after a medium is loaded, if configured.
    pub(crate) fn spin_up(&mut self) {
        let polls = self.st.config.spin_up_polls;
        if polls > 0 && self.st.pending.is_none() {
            self.st.pending = Some(PendingOp {
                sense: super::sense::BECOMING_READY,
                total: polls,
                remaining: polls,
                action: Action::SpinUp,
            });
        }
    }

    /// Answers one command during a long operation and counts it as a poll.
    pub(crate) fn poll(&mut self) -> Sense {
        let Some(p) = self.st.pending.as_mut() else {
            return NO_SENSE;
        };
        let k = u64::from(p.total.saturating_sub(p.remaining));
        p.remaining = p.remaining.saturating_sub(1);
        let progress = ((k + 1) * 65536 / (u64::from(p.total) + 1)).min(65535);
        p.sense
            .with_progress(u16::try_from(progress).unwrap_or(u16::MAX))
    }

    /// Finishes a long operation whose polls have all been answered.
    fn complete_due(&mut self) -> std::result::Result<(), Fail> {
        if self.st.pending.as_ref().is_some_and(|p| p.remaining == 0) {
            self.finish_pending()?;
        }
        Ok(())
    }

    /// Finishes the pending operation now (host-side actions wait for the drive).
    pub(crate) fn finish_pending(&mut self) -> std::result::Result<(), Fail> {
        if let Some(p) = self.st.pending.take() {
            match self.run_action(&p.action) {
                Ok(()) => {}
                // Checked when it started; a later failure can only come from a state change
                // the host cannot see (DAO completion), so a drive would not report it.
                Err(Fail::Sense(s)) => {
                    log::warn!("mock: deferred {} failed: {}", p.action.name(), s.code())
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn run_action(&mut self, action: &Action) -> std::result::Result<(), Fail> {
        let ctx = self.ctx();
        match action {
            Action::Sync => self.flush_all()?,
            Action::Close { function, track } => {
                self.flush_all()?;
                self.media_mut()?.close(*function, *track, &ctx)?;
            }
            Action::Format(req) => {
                self.flush_all()?;
                self.media_mut()?.format(req, &ctx)?;
            }
            Action::Blank { minimal } => {
                // The data is gone: drop what was buffered and empty the image so outside
                // tools see a blank disc too.
                self.drop_buffer(false)?;
                self.media_mut()?.blank(*minimal, &ctx)?;
                self.store.truncate(MEDIA_FILE)?;
            }
            Action::SpinUp => {}
        }
        Ok(())
    }

    // ---- drive buffer ------------------------------------------------------------------

    /// Acknowledges WRITE data into the buffer, flushing the oldest data to make room. The
    /// bytes go to `media.img` at once; the buffer index records how to undo them (the
    /// previous bytes, saved only where something was recorded there).
    pub(crate) fn buffer_write(&mut self, lba: u32, data: &[u8]) -> Result<()> {
        let cap = u64::from(self.st.config.buffer_bytes);
        let len = data.len() as u64;
        let at = lba_offset(lba);
        if len > cap {
            // Larger than the whole buffer: it streams through.
            self.flush_all()?;
            return self.store.write_at(MEDIA_FILE, at, data);
        }
        let fill = self.st.buffer.fill();
        if fill + len > cap {
            self.flush_oldest(fill + len - cap)?;
        }
        let media_len = self.store.len(MEDIA_FILE)?;
        let undo = if at < media_len {
            let mut old = vec![0u8; data.len()];
            self.store.read_at(MEDIA_FILE, at, &mut old)?;
            if old.iter().all(|&b| b == 0) {
                None
            } else {
                let offset = self.undo_slot(len);
                self.store.write_at(UNDO_FILE, offset, &old)?;
                self.st.buffer.file_len = self.st.buffer.file_len.max(offset + len);
                Some(offset)
            }
        } else {
            None
        };
        self.store.write_at(MEDIA_FILE, at, data)?;
        let blocks = u32::try_from(data.len() / BLOCK).unwrap_or(u32::MAX);
        if let Some(last) = self.st.buffer.extents.last_mut() {
            let follows = u64::from(last.lba) + u64::from(last.blocks) == u64::from(lba);
            let undo_follows = match (last.undo, undo) {
                (None, None) => true,
                (Some(a), Some(b)) => a + last.bytes() == b,
                _ => false,
            };
            if follows && undo_follows {
                last.blocks = last.blocks.saturating_add(blocks);
                return Ok(());
            }
        }
        self.st.buffer.extents.push(Extent {
            lba,
            blocks,
            undo,
            media_len,
        });
        Ok(())
    }

    /// Where in `undo.bin` to save `len` bytes: right after the newest saved extent, else at
    /// the start, wherever that overlaps no unflushed saved extent and stays within twice
    /// the buffer size (so the file is used as a ring and needs no compaction while
    /// streaming); else at the end of the file.
    fn undo_slot(&self, len: u64) -> u64 {
        let b = &self.st.buffer;
        let ring = 2 * u64::from(self.st.config.buffer_bytes);
        let saved = || {
            b.extents
                .iter()
                .filter_map(|e| e.undo.map(|o| (o, o + e.bytes())))
        };
        let free = |at: u64| at + len <= ring && saved().all(|(s, t)| at + len <= s || t <= at);
        match saved().next_back().map(|(_, t)| t) {
            None => 0,
            Some(at) if free(at) => at,
            Some(_) if free(0) => 0,
            Some(_) => b.file_len,
        }
    }

    /// The buffer is on the medium: forget how to undo it.
    pub(crate) fn flush_all(&mut self) -> Result<()> {
        let extents = std::mem::take(&mut self.st.buffer.extents);
        self.clear_undo()?;
        if !extents.is_empty() {
            let ctx = self.ctx();
            if let Some(m) = self.st.medium.as_mut() {
                m.get_mut().after_flush(&ctx);
            }
        }
        Ok(())
    }

    fn clear_undo(&mut self) -> Result<()> {
        if self.st.buffer.file_len > 0 {
            self.store.truncate(UNDO_FILE)?;
        }
        self.st.buffer.file_len = 0;
        Ok(())
    }

    /// Flushes at least `need` bytes, oldest data first, splitting an extent where only its
    /// front has to go.
    fn flush_oldest(&mut self, need: u64) -> Result<()> {
        let mut flushed = 0;
        while flushed < need {
            let Some(&first) = self.st.buffer.extents.first() else {
                break;
            };
            let want = need - flushed;
            let blocks = u32::try_from(want.div_ceil(BLOCK as u64)).unwrap_or(u32::MAX);
            if blocks >= first.blocks {
                self.st.buffer.extents.remove(0);
                flushed += first.bytes();
                continue;
            }
            if let Some(rest) = self.st.buffer.extents.first_mut() {
                rest.lba = rest.lba.saturating_add(blocks);
                rest.blocks -= blocks;
                rest.undo = rest.undo.map(|o| o + u64::from(blocks) * BLOCK as u64);
                // The flushed front stays on the medium even if the rest is undone.
                rest.media_len = rest.media_len.max(lba_offset(rest.lba));
            }
            flushed += u64::from(blocks) * BLOCK as u64;
        }
        let b = &self.st.buffer;
        let saved: u64 = b
            .extents
            .iter()
            .filter(|e| e.undo.is_some())
            .map(Extent::bytes)
            .sum();
        // Bytes of undo.bin that belong to extents already flushed.
        let dead = b.file_len - saved;
        if saved == 0 {
            self.clear_undo()?;
        } else if dead >= 2 * u64::from(self.st.config.buffer_bytes) {
            // Reclaim flushed space if the ring could not be used (rare: writes that fit
            // no gap): amortised, each byte is copied at most once more.
            self.compact()?;
        }
        Ok(())
    }

    fn compact(&mut self) -> Result<()> {
        const TMP: &str = "undo.bin.tmp";
        self.store.truncate(TMP)?;
        let mut offset = 0u64;
        let mut extents = std::mem::take(&mut self.st.buffer.extents);
        for e in &mut extents {
            let Some(from) = e.undo else {
                continue;
            };
            let mut data = vec![0u8; e.bytes() as usize];
            self.store.read_at(UNDO_FILE, from, &mut data)?;
            self.store.write_at(TMP, offset, &data)?;
            e.undo = Some(offset);
            offset += e.bytes();
        }
        self.store.rename(TMP, UNDO_FILE)?;
        self.st.buffer = super::state::BufferIndex {
            extents,
            file_len: offset,
        };
        Ok(())
    }

    /// Discards the buffer and returns what was in it. With `restore`, `media.img` gets back
    /// what it held before the lost writes, newest first so that overlapping writes unwind
    /// to the flushed contents; without, the caller replaces the medium's data anyway.
    pub(crate) fn drop_buffer(&mut self, restore: bool) -> Result<Vec<Extent>> {
        let lost = std::mem::take(&mut self.st.buffer.extents);
        if restore {
            for e in lost.iter().rev() {
                self.undo_extent(e)?;
            }
        }
        self.clear_undo()?;
        Ok(lost)
    }

    fn undo_extent(&self, e: &Extent) -> Result<()> {
        let at = lba_offset(e.lba);
        let mut old = vec![0u8; e.bytes() as usize];
        if let Some(from) = e.undo {
            self.store.read_at(UNDO_FILE, from, &mut old)?;
        }
        // Only the part below the old length needs its bytes back; the rest is cut off.
        let keep = e.media_len.saturating_sub(at).min(e.bytes()) as usize;
        if let Some(part) = old.get(..keep) {
            if !part.is_empty() {
                self.store.write_at(MEDIA_FILE, at, part)?;
            }
        }
        if self.store.len(MEDIA_FILE)? > e.media_len {
            self.store.set_len(MEDIA_FILE, e.media_len)?;
        }
        Ok(())
    }

    /// Reads blocks as the drive sees them; its cache is coherent, and buffered writes are
    /// already in `media.img`.
    pub(crate) fn read_blocks(&self, lba: u32, buf: &mut [u8]) -> Result<()> {
        self.store.read_at(MEDIA_FILE, lba_offset(lba), buf)
    }

    // ---- power and reset -----------------------------------------------------------

    /// Power fails: buffered data is lost (and the medium forgets it was recorded), a long
    /// operation is abandoned, the drive resets.
    pub(crate) fn power_loss(&mut self) -> Result<()> {
        let lost = self.drop_buffer(true)?;
        if let Some(m) = self.st.medium.as_mut() {
            let m = m.get_mut();
            for e in &lost {
                m.forget(e.lba, e.blocks);
            }
            m.interrupt();
        }
        self.st.pending = None;
        self.st.prevent = false;
        self.st.persistent_prevent = false;
        self.st.unit_attentions.clear();
        self.st.unit_attentions.push_back(UA_POWER_ON_RESET);
        self.reset_write_settings();
        Ok(())
    }

    /// Page 05 and speeds back to the drive's defaults for the loaded medium.
    pub(crate) fn reset_write_settings(&mut self) {
        let kind = self.st.medium.as_ref().map(|m| m.get().kind());
        self.st.page05 = super::mode::default_page05(kind);
        self.st.page05_selected = false;
        self.st.read_speed_kbs = None;
        self.st.write_speed_kbs = None;
    }
}

/// A CHECK CONDITION completion: nothing moved.
pub(crate) fn check(sense: Sense, requested: usize) -> Completion {
    Completion {
        status: ScsiStatus::CHECK_CONDITION,
        sense: SenseBytes::new(&sense.fixed()),
        residual: requested,
    }
}

pub(crate) fn lba_offset(lba: u32) -> u64 {
    u64::from(lba) * BLOCK as u64
}
