//! MODE SENSE(10) / MODE SELECT(10) (5Ah/55h, SPC-4 §6.13/§6.11), and their 6-byte forms
//! (1Ah/15h, §6.12/§6.9), with pages 01h, 05h
//! (write parameters, MMC-6 §7.5) and 2Ah (capabilities and mechanical status, MMC-3
//! §5.5.10), and the speed tables the capabilities page and GET PERFORMANCE share.

use super::bytes::{get_be16, get_be32, get_u8, put_be16, put_u8, Cdb};
use super::engine::{CmdResult, Engine, Fail, Reply};
use super::kind::MediaKind;
use super::media::WriteParams;
use super::sense::{
    INVALID_FIELD_IN_CDB, INVALID_FIELD_IN_PARAMETER_LIST, PARAMETER_LIST_LENGTH_ERROR,
    SAVING_PARAMETERS_NOT_SUPPORTED,
};
use crate::Error;

/// Page 05h with its 2-byte header: page length 32h.
pub(crate) const PAGE05_LEN: usize = 0x32 + 2;

/// Page control (CDB byte 2 bits 7-6).
const PC_CURRENT: u8 = 0;
const PC_CHANGEABLE: u8 = 1;
const PC_SAVED: u8 = 3;

/// The page 05 a drive holds after power-on or a medium change: BUFE on, write type TAO
/// (incremental on DVD-R/RW), multi-session 00b (finalize), track mode 4 (5 on DVD-R/RW),
/// data block type 8 (Mode 1, 2048 bytes), audio pause 150.
pub(crate) fn default_page05(kind: Option<MediaKind>) -> Vec<u8> {
    let dvd_minus = matches!(kind, Some(MediaKind::DvdR | MediaKind::DvdRw));
    let mut p = vec![0u8; PAGE05_LEN];
    put_u8(&mut p, 0, 0x05);
    put_u8(&mut p, 1, 0x32);
    put_u8(&mut p, 2, 0x40 | if dvd_minus { 0 } else { 1 });
    put_u8(&mut p, 3, if dvd_minus { 5 } else { 4 });
    put_u8(&mut p, 4, 8);
    put_be16(&mut p, 14, 150);
    p
}

/// Which bits of page 05 MODE SELECT may change (PC = 01b).
fn changeable_page05() -> Vec<u8> {
    let mut p = vec![0u8; PAGE05_LEN];
    put_u8(&mut p, 0, 0x05);
    put_u8(&mut p, 1, 0x32);
    for (i, mask) in [
        (2, 0x7f),
        (3, 0xff),
        (4, 0x0f),
        (5, 0xff),
        (7, 0x3f),
        (8, 0xff),
    ] {
        put_u8(&mut p, i, mask);
    }
    for i in (10..16).chain(16..52) {
        put_u8(&mut p, i, 0xff);
    }
    p
}

/// Decodes the fields of page 05 the media act on.
pub(crate) fn write_params(page: &[u8], selected: bool) -> WriteParams {
    WriteParams {
        write_type: get_u8(page, 2) & 0x0f,
        test_write: get_u8(page, 2) & 0x10 != 0,
        multi_session: get_u8(page, 3) >> 6,
        fixed_packet: get_u8(page, 3) & 0x20 != 0,
        packet_size: get_be32(page, 10),
        selected,
    }
}

/// Write speeds in kB/s (1000 bytes/s), fastest first. 1x: CD 176.4, DVD 1385, BD 4495.5.
pub(crate) fn write_speeds(kind: Option<MediaKind>) -> &'static [u32] {
    match kind {
        Some(MediaKind::CdR | MediaKind::CdRw) => &[8467, 7056, 5645, 4234, 2822, 1411],
        Some(MediaKind::DvdR | MediaKind::DvdPlusR) => &[22_160, 11_080, 5_540, 3_324],
        Some(MediaKind::DvdPlusRDl) => &[11_080, 5_540, 3_324],
        Some(MediaKind::DvdRw | MediaKind::DvdRwRo) => &[8_310, 5_540, 2_770],
        Some(MediaKind::DvdPlusRw) => &[11_080, 5_540, 3_324],
        Some(MediaKind::BdR) => &[53_940, 26_970, 17_982, 8_991],
        Some(MediaKind::BdRe) => &[8_991, 4_496],
        Some(MediaKind::CdRom | MediaKind::DvdRom) | None => &[],
    }
}

/// Maximum read speed in kB/s: 48x CD, 16x DVD, 8x BD.
pub(crate) fn max_read_speed(kind: Option<MediaKind>) -> u32 {
    match kind {
        Some(k) if k.is_bd() => 35_964,
        Some(k) if k.is_dvd() => 22_160,
        _ => 8_467,
    }
}

/// The supported speed at or below `requested` (drives round down), or the slowest.
pub(crate) fn round_speed(speeds: &[u32], requested: u32) -> u32 {
    speeds
        .iter()
        .copied()
        .find(|&s| s <= requested)
        .or_else(|| speeds.last().copied())
        .unwrap_or(requested)
}

fn u16_speed(kbs: u32) -> u16 {
    u16::try_from(kbs).unwrap_or(u16::MAX)
}

impl Engine<'_> {
    fn kind(&self) -> Option<MediaKind> {
        self.st.loaded().map(|m| m.get().kind())
    }

    pub(crate) fn current_write_speed(&self) -> u32 {
        let speeds = write_speeds(self.kind());
        let max = speeds.first().copied().unwrap_or(0);
        self.st
            .write_speed_kbs
            .map_or(max, |s| round_speed(speeds, s))
    }

    pub(crate) fn current_read_speed(&self) -> u32 {
        let max = max_read_speed(self.kind());
        self.st.read_speed_kbs.map_or(max, |s| s.min(max))
    }

    /// Page 01h, read/write error recovery: retry counts only.
    fn page01(pc: u8) -> Vec<u8> {
        let mut p = vec![0u8; 12];
        put_u8(&mut p, 0, 0x01);
        put_u8(&mut p, 1, 0x0a);
        if pc != PC_CHANGEABLE {
            put_u8(&mut p, 3, 0x20); // read retry count
            put_u8(&mut p, 8, 0x20); // write retry count
        }
        p
    }

    fn page05(&self, pc: u8) -> Vec<u8> {
        match pc {
            PC_CURRENT => self.st.page05.clone(),
            PC_CHANGEABLE => changeable_page05(),
            _ => default_page05(self.kind()),
        }
    }

    /// Page 2Ah. Byte 6 bit 1 (Lock State) mirrors the prevent state; bytes 32 on list the
    /// current medium's write speeds (none with quirk `legacy_page_2a`, where the page is the
    /// MMC-2 length 14h).
    pub(crate) fn page2a(&self, pc: u8) -> Vec<u8> {
        let legacy = self.st.config.quirks.legacy_page_2a;
        let speeds = if legacy {
            &[][..]
        } else {
            write_speeds(self.kind())
        };
        let len = if legacy { 22 } else { 32 + 4 * speeds.len() };
        let mut p = vec![0u8; len];
        put_u8(&mut p, 0, 0x2a);
        put_u8(&mut p, 1, u8::try_from(len - 2).unwrap_or(u8::MAX));
        if pc == PC_CHANGEABLE {
            return p;
        }
        // Reads CD-R, CD-RW, Method 2, DVD-ROM, DVD-R; writes CD-R, CD-RW, test write, DVD-R.
        put_u8(&mut p, 2, 0x3b);
        put_u8(&mut p, 3, 0x17);
        // BUF (underrun-free), multi-session, Mode 2 Form 1 and 2.
        put_u8(&mut p, 4, 0xf0);
        // Tray loading mechanism (001b), Eject, Lock, and the Lock State bit.
        put_u8(&mut p, 6, 0x29 | if self.st.locked() { 0x02 } else { 0 });
        put_be16(&mut p, 8, u16_speed(max_read_speed(self.kind())));
        put_be16(
            &mut p,
            12,
            u16::try_from(self.st.config.buffer_bytes / 1024).unwrap_or(u16::MAX),
        );
        put_be16(&mut p, 14, u16_speed(self.current_read_speed()));
        put_be16(
            &mut p,
            18,
            u16_speed(write_speeds(self.kind()).first().copied().unwrap_or(0)),
        );
        put_be16(&mut p, 20, u16_speed(self.current_write_speed()));
        if !legacy {
            put_be16(&mut p, 28, u16_speed(self.current_write_speed()));
            put_be16(&mut p, 30, u16::try_from(speeds.len()).unwrap_or(u16::MAX));
            for (i, &s) in speeds.iter().enumerate() {
                // Byte 1: rotation control 00b (CLV); bytes 2-3: the speed.
                put_be16(&mut p, 32 + 4 * i + 2, u16_speed(s));
            }
        }
        p
    }

    /// The pages MODE SENSE returns for a page code (3Fh: all).
    fn mode_pages(&self, cdb: Cdb<'_>) -> Result<Vec<u8>, Fail> {
        let pc = cdb.u8(2) >> 6;
        let page = cdb.u8(2) & 0x3f;
        if pc == PC_SAVED {
            return Err(SAVING_PARAMETERS_NOT_SUPPORTED.into());
        }
        if cdb.u8(3) != 0 {
            return Err(INVALID_FIELD_IN_CDB.into());
        }
        if let Some(p) = self.st.config.profile.as_ref() {
            if !p.mode_pages.is_empty() {
                return self.recorded_mode_pages(p, page, pc);
            }
        }
        let pages = match page {
            0x01 => vec![Self::page01(pc)],
            0x05 => vec![self.page05(pc)],
            0x2a => vec![self.page2a(pc)],
            0x3f => vec![Self::page01(pc), self.page05(pc), self.page2a(pc)],
            _ => return Err(INVALID_FIELD_IN_CDB.into()),
        };
        Ok(pages.concat())
    }

    /// The pages of a recorded drive: page 05h is the mock's (the host writes it), page
    /// 2Ah carries the mock's lock state, the rest are replayed; a page the drive did not
    /// report is refused as it would be. Changeable values (PC 01b) of a replayed page are
    /// all zero: the mock lets the host change nothing but page 05h.
    fn recorded_mode_pages(
        &self,
        profile: &super::profile::DriveProfile,
        page: u8,
        pc: u8,
    ) -> Result<Vec<u8>, Fail> {
        let replay = |p: &[u8]| -> Vec<u8> {
            if pc == PC_CHANGEABLE {
                let mut z = vec![0u8; p.len()];
                put_u8(&mut z, 0, get_u8(p, 0) & 0x3f);
                put_u8(&mut z, 1, get_u8(p, 1));
                z
            } else if get_u8(p, 0) & 0x3f == 0x2a {
                super::profile::page2a_with_lock(p, self.st.locked())
            } else {
                p.to_vec()
            }
        };
        match page {
            0x05 => Ok(self.page05(pc)),
            0x3f => Ok(profile
                .mode_pages
                .iter()
                .map(|p| {
                    if get_u8(p, 0) & 0x3f == 0x05 {
                        self.page05(pc)
                    } else {
                        replay(p)
                    }
                })
                .collect::<Vec<_>>()
                .concat()),
            _ => profile
                .mode_page(page)
                .map(replay)
                .ok_or_else(|| INVALID_FIELD_IN_CDB.into()),
        }
    }

    /// MODE SENSE(10) (5Ah): no block descriptors (MMC), mode data length = total − 2.
    pub(crate) fn mode_sense(&mut self, cdb: Cdb<'_>) -> CmdResult {
        let mut data = vec![0u8; 8];
        data.extend_from_slice(&self.mode_pages(cdb)?);
        let total = data.len();
        put_be16(&mut data, 0, u16::try_from(total - 2).unwrap_or(u16::MAX));
        Ok(Reply::Data {
            data,
            alloc: usize::from(cdb.be16(7)),
        })
    }

    /// MODE SENSE(6) (1Ah, SPC-4 §6.12): the same pages after a 4-byte header, mode data
    /// length = total − 1. MMC drives answer it too; Linux's sr driver asks for page 2Ah
    /// with it on SCSI transports (it falls back from 10 to 6 bytes, never the other way),
    /// and takes a drive that refuses it for a read-only "scsi-1 drive".
    pub(crate) fn mode_sense6(&mut self, cdb: Cdb<'_>) -> CmdResult {
        let mut data = vec![0u8; 4];
        data.extend_from_slice(&self.mode_pages(cdb)?);
        let total = data.len();
        put_u8(&mut data, 0, u8::try_from(total - 1).unwrap_or(u8::MAX));
        Ok(Reply::Data {
            data,
            alloc: usize::from(cdb.u8(4)),
        })
    }

    /// MODE SELECT(10) (55h): PF must be 1 and SP 0. Page 05 is checked whole before it
    /// replaces the current one; page 01 is accepted and ignored; others are not changeable.
    pub(crate) fn mode_select(&mut self, cdb: Cdb<'_>, out: &[u8]) -> CmdResult {
        self.mode_select_list(cdb, usize::from(cdb.be16(7)), 8, out)
    }

    /// MODE SELECT(6) (15h, SPC-4 §6.9): as MODE SELECT(10) with a 4-byte header.
    pub(crate) fn mode_select6(&mut self, cdb: Cdb<'_>, out: &[u8]) -> CmdResult {
        self.mode_select_list(cdb, usize::from(cdb.u8(4)), 4, out)
    }

    fn mode_select_list(
        &mut self,
        cdb: Cdb<'_>,
        len: usize,
        header: usize,
        out: &[u8],
    ) -> CmdResult {
        if !cdb.bit(1, 4) || cdb.bit(1, 0) {
            return Err(INVALID_FIELD_IN_CDB.into());
        }
        if len == 0 {
            return Ok(Reply::Consumed(0));
        }
        let Some(list) = out.get(..len) else {
            return Err(Fail::Transport(Error::InvalidRequest(format!(
                "MODE SELECT parameter list length {len}, but only {} bytes sent",
                out.len()
            ))));
        };
        if len < header {
            return Err(PARAMETER_LIST_LENGTH_ERROR.into());
        }
        let descriptors = if header == 8 {
            usize::from(get_be16(list, 6))
        } else {
            usize::from(get_u8(list, 3))
        };
        let mut pos = header + descriptors;
        if pos > len {
            return Err(PARAMETER_LIST_LENGTH_ERROR.into());
        }
        let mut new05 = None;
        while pos < len {
            let code = get_u8(list, pos);
            let end = pos + 2 + usize::from(get_u8(list, pos + 1));
            let Some(page) = list.get(pos..end) else {
                return Err(PARAMETER_LIST_LENGTH_ERROR.into());
            };
            // PS must be 0 when selecting; subpage format is not used by these pages.
            if code & 0xc0 != 0 {
                return Err(INVALID_FIELD_IN_PARAMETER_LIST.into());
            }
            match code & 0x3f {
                0x05 => new05 = Some(Self::check_page05(page)?),
                0x01 => {}
                _ => return Err(INVALID_FIELD_IN_PARAMETER_LIST.into()),
            }
            pos = end;
        }
        if let Some(p) = new05 {
            self.st.page05 = p;
            self.st.page05_selected = true;
        }
        Ok(Reply::Consumed(len))
    }

    fn check_page05(page: &[u8]) -> Result<Vec<u8>, Fail> {
        if page.len() < PAGE05_LEN {
            return Err(PARAMETER_LIST_LENGTH_ERROR.into());
        }
        let wp = write_params(page, true);
        // Packet/incremental, TAO and SAO/DAO; the mock does not write raw or layer jump.
        let bad = wp.write_type > 2
            || wp.multi_session == 0b10
            || (wp.fixed_packet && wp.packet_size == 0);
        if bad {
            return Err(INVALID_FIELD_IN_PARAMETER_LIST.into());
        }
        let mut p = page
            .get(..PAGE05_LEN)
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        put_u8(&mut p, 0, 0x05);
        put_u8(&mut p, 1, 0x32);
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_page05_decodes() {
        let wp = write_params(&default_page05(Some(MediaKind::CdR)), false);
        assert_eq!(
            (wp.write_type, wp.multi_session, wp.test_write),
            (1, 0, false)
        );
        let wp = write_params(&default_page05(Some(MediaKind::DvdR)), false);
        assert_eq!(wp.write_type, 0);
        assert_eq!(default_page05(None).len(), 52);
    }

    #[test]
    fn speeds_round_down() {
        let s = write_speeds(Some(MediaKind::DvdPlusR));
        assert_eq!(round_speed(s, 6000), 5540);
        assert_eq!(round_speed(s, 100), 3324);
        assert_eq!(round_speed(s, u32::MAX), 22_160);
        assert_eq!(round_speed(&[], 5), 5);
    }
}
