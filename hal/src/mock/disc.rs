//! Commands that describe the medium: READ CAPACITY, READ DISC INFORMATION, READ TRACK
//! INFORMATION, READ TOC/PMA/ATIP, READ FORMAT CAPACITIES and READ DISC STRUCTURE.

use super::bytes::{msf_field, put_be16, put_be24, put_be32, put_slice, put_u8, Cdb};
use super::engine::{CmdResult, Engine, Reply};
use super::kind::MediaKind;
use super::media::{track_containing, DiscStatus, TrackView};
use super::sense::{
    CANNOT_READ_MEDIUM_INCOMPATIBLE_FORMAT, INVALID_FIELD_IN_CDB, LBA_OUT_OF_RANGE,
};

/// DVD physical sector number of LBA 0.
const DVD_FIRST_PSN: u32 = 0x0003_0000;

impl Engine<'_> {
    /// An address field: `00 M S F` on CD when `msf`, otherwise the LBA (two's complement for
    /// the negative lead-in addresses).
    fn address(lba: i64, msf: bool) -> u32 {
        if msf {
            msf_field(lba)
        } else {
            // Addresses are 32-bit two's complement on the wire.
            lba as i32 as u32
        }
    }

    /// READ CAPACITY(10) (25h): last LBA and block length 2048.
    pub(crate) fn read_capacity(&mut self, cdb: Cdb<'_>) -> CmdResult {
        if !cdb.bit(8, 0) && cdb.be32(2) != 0 {
            return Err(INVALID_FIELD_IN_CDB.into());
        }
        let m = self.media()?;
        let mut data = vec![0u8; 8];
        put_be32(&mut data, 0, m.last_lba());
        put_be32(&mut data, 4, 2048);
        Ok(Reply::Data { data, alloc: 8 })
    }

    /// READ DISC INFORMATION (51h), data type 000b: 34 bytes, no OPC tables.
    pub(crate) fn read_disc_information(&mut self, cdb: Cdb<'_>) -> CmdResult {
        if cdb.u8(1) & 0x07 != 0 {
            return Err(INVALID_FIELD_IN_CDB.into());
        }
        let m = self.media()?;
        let kind = m.kind();
        let s = m.summary();
        let mut d = vec![0u8; 34];
        put_be16(&mut d, 0, 32);
        put_u8(
            &mut d,
            2,
            u8::from(kind.is_erasable()) << 4 | (s.last_session as u8) << 2 | s.status as u8,
        );
        put_u8(&mut d, 3, s.first_track.to_be_bytes()[1]);
        let [sess_hi, sess_lo] = s.sessions.to_be_bytes();
        let [ftl_hi, ftl_lo] = s.first_track_last_session.to_be_bytes();
        let [ltl_hi, ltl_lo] = s.last_track_last_session.to_be_bytes();
        put_u8(&mut d, 4, sess_lo);
        put_u8(&mut d, 5, ftl_lo);
        put_u8(&mut d, 6, ltl_lo);
        // URU: the disc is for unrestricted use.
        put_u8(&mut d, 7, 0x20 | (s.bg_format & 0x03));
        put_u8(&mut d, 9, sess_hi);
        put_u8(&mut d, 10, ftl_hi);
        put_u8(&mut d, 11, ltl_hi);
        let qemu = self.st.config.qemu_compat;
        let encode = |a: Option<i64>| match a {
            Some(lba) => Self::address(lba, kind.is_cd()),
            // QEMU reports zeros where a complete disc has FFFFFFFFh.
            None if qemu => 0,
            None => u32::MAX,
        };
        put_be32(&mut d, 16, encode(s.lead_in));
        put_be32(&mut d, 20, encode(s.last_lead_out));
        Ok(Reply::Data {
            data: d,
            alloc: usize::from(cdb.be16(7)),
        })
    }

    /// READ TRACK INFORMATION (52h): address type 00b LBA, 01b track number (FFh = the
    /// invisible track, CD and DVD+R only), 10b session number. 48 bytes.
    pub(crate) fn read_track_information(&mut self, cdb: Cdb<'_>) -> CmdResult {
        let value = cdb.be32(2);
        let m = self.media()?;
        let kind = m.kind();
        let summary = m.summary();
        if self.st.config.quirks.track_info_fails_when_complete
            && summary.status == DiscStatus::Complete
        {
            return Err(INVALID_FIELD_IN_CDB.into());
        }
        let tracks = m.tracks();
        let t: &TrackView = match cdb.u8(1) & 0x03 {
            0b00 => match track_containing(&tracks, value) {
                Some(t) => t,
                None if value >= m.capacity() => return Err(LBA_OUT_OF_RANGE.into()),
                None => return Err(INVALID_FIELD_IN_CDB.into()),
            },
            0b01 if value == 0xff => {
                let ff_ok =
                    kind.is_cd() || matches!(kind, MediaKind::DvdPlusR | MediaKind::DvdPlusRDl);
                match tracks.last() {
                    Some(t) if ff_ok && !t.closed && summary.status != DiscStatus::Complete => t,
                    _ => return Err(INVALID_FIELD_IN_CDB.into()),
                }
            }
            0b01 => tracks
                .iter()
                .find(|t| u32::from(t.number) == value)
                .ok_or(INVALID_FIELD_IN_CDB)?,
            0b10 => tracks
                .iter()
                .find(|t| u32::from(t.session) == value)
                .ok_or(INVALID_FIELD_IN_CDB)?,
            _ => return Err(INVALID_FIELD_IN_CDB.into()),
        };
        let tf = m.track_format();
        let mut d = vec![0u8; 48];
        put_be16(&mut d, 0, 46);
        let [num_hi, num_lo] = t.number.to_be_bytes();
        let [ses_hi, ses_lo] = t.session.to_be_bytes();
        put_u8(&mut d, 2, num_lo);
        put_u8(&mut d, 3, ses_lo);
        put_u8(&mut d, 32, num_hi);
        put_u8(&mut d, 33, ses_hi);
        put_u8(&mut d, 5, tf.track_mode & 0x0f);
        put_u8(
            &mut d,
            6,
            u8::from(t.reserved) << 7
                | u8::from(t.blank) << 6
                | u8::from(tf.packet) << 5
                | u8::from(tf.fixed_packet) << 4
                | (tf.data_mode & 0x0f),
        );
        put_u8(
            &mut d,
            7,
            u8::from(t.last_recorded.is_some()) << 1 | u8::from(t.nwa.is_some()),
        );
        put_be32(&mut d, 8, t.start);
        let mut nwa = t.nwa.unwrap_or(0);
        if self.st.config.quirks.cd_nwa_minus_150
            && kind.is_cd()
            && summary.status == DiscStatus::Blank
        {
            nwa = Self::address(-150, false);
        }
        put_be32(&mut d, 12, nwa);
        put_be32(&mut d, 16, t.free);
        put_be32(&mut d, 20, if tf.fixed_packet { tf.packet_size } else { 0 });
        put_be32(&mut d, 24, t.size);
        put_be32(&mut d, 28, t.last_recorded.unwrap_or(0));
        Ok(Reply::Data {
            data: d,
            alloc: usize::from(cdb.be16(7)),
        })
    }

    /// READ TOC/PMA/ATIP (43h): formats 0 (TOC), 1 (session information), 2 (full TOC,
    /// CD only, always MSF) and 4 (ATIP, recordable CD only). Only complete sessions are in
    /// the TOC, so a disc without one answers 05/24/00.
    pub(crate) fn read_toc(&mut self, cdb: Cdb<'_>) -> CmdResult {
        let msf = cdb.bit(1, 1);
        // SFF-8020 drives took the format from byte 9 bits 7-6.
        let format = match cdb.u8(2) & 0x0f {
            0 => cdb.u8(9) >> 6,
            f => f,
        };
        let number = cdb.u8(6);
        let alloc = usize::from(cdb.be16(7));
        let m = self.media()?;
        let kind = m.kind();
        let sessions = m.sessions();
        let tracks = m.tracks();
        let ctl = 0x10
            | if m.track_format().track_mode == 5 {
                0x05
            } else {
                0x04
            };
        let mut data = vec![0u8; 4];
        match format {
            0 => {
                let (Some(first), Some(last)) = (sessions.first(), sessions.last()) else {
                    return Err(INVALID_FIELD_IN_CDB.into());
                };
                if number > u8::try_from(last.last_track).unwrap_or(u8::MAX) && number != 0xaa {
                    return Err(INVALID_FIELD_IN_CDB.into());
                }
                put_u8(
                    &mut data,
                    2,
                    u8::try_from(first.first_track).unwrap_or(u8::MAX),
                );
                put_u8(
                    &mut data,
                    3,
                    u8::try_from(last.last_track).unwrap_or(u8::MAX),
                );
                if number != 0xaa {
                    for t in tracks
                        .iter()
                        .filter(|t| t.session <= last.number && t.number >= u16::from(number))
                    {
                        data.extend_from_slice(&[
                            0,
                            ctl,
                            u8::try_from(t.number).unwrap_or(u8::MAX),
                            0,
                        ]);
                        data.extend_from_slice(
                            &Self::address(i64::from(t.start), msf).to_be_bytes(),
                        );
                    }
                }
                // QEMU gives the lead-out control 6 (copy permitted); drives repeat the data
                // track's control.
                let leadout_ctl = if self.st.config.qemu_compat {
                    0x16
                } else {
                    ctl
                };
                data.extend_from_slice(&[0, leadout_ctl, 0xaa, 0]);
                data.extend_from_slice(&Self::address(i64::from(last.leadout), msf).to_be_bytes());
            }
            1 => {
                let (Some(first), Some(last)) = (sessions.first(), sessions.last()) else {
                    return Err(INVALID_FIELD_IN_CDB.into());
                };
                let start = tracks
                    .iter()
                    .find(|t| t.number == last.first_track)
                    .map_or(0, |t| t.start);
                put_u8(&mut data, 2, u8::try_from(first.number).unwrap_or(u8::MAX));
                put_u8(&mut data, 3, u8::try_from(last.number).unwrap_or(u8::MAX));
                data.extend_from_slice(&[
                    0,
                    ctl,
                    u8::try_from(last.first_track).unwrap_or(u8::MAX),
                    0,
                ]);
                data.extend_from_slice(&Self::address(i64::from(start), msf).to_be_bytes());
            }
            2 => {
                if !kind.is_cd() {
                    return Err(INVALID_FIELD_IN_CDB.into());
                }
                let (Some(first), Some(last)) = (sessions.first(), sessions.last()) else {
                    return Err(INVALID_FIELD_IN_CDB.into());
                };
                put_u8(&mut data, 2, u8::try_from(first.number).unwrap_or(u8::MAX));
                put_u8(&mut data, 3, u8::try_from(last.number).unwrap_or(u8::MAX));
                let capacity = i64::from(m.capacity());
                for s in sessions.iter().filter(|s| s.number >= u16::from(number)) {
                    let sn = u8::try_from(s.number).unwrap_or(u8::MAX);
                    let pmsf = |lba: i64| {
                        let [_, mm, ss, ff] = msf_field(lba).to_be_bytes();
                        [mm, ss, ff]
                    };
                    let mut point =
                        |adr_ctl: u8, point: u8, msf3: [u8; 3], zero: u8, p: [u8; 3]| {
                            data.extend_from_slice(&[sn, adr_ctl, 0, point]);
                            data.extend_from_slice(&msf3);
                            data.push(zero);
                            data.extend_from_slice(&p);
                        };
                    // A0: first track, disc type 00h (CD-DA/CD-ROM); A1: last track; A2: lead-out.
                    point(
                        ctl,
                        0xa0,
                        [0; 3],
                        0,
                        [u8::try_from(s.first_track).unwrap_or(0), 0, 0],
                    );
                    point(
                        ctl,
                        0xa1,
                        [0; 3],
                        0,
                        [u8::try_from(s.last_track).unwrap_or(0), 0, 0],
                    );
                    point(ctl, 0xa2, [0; 3], 0, pmsf(i64::from(s.leadout)));
                    for t in tracks.iter().filter(|t| t.session == s.number) {
                        point(
                            ctl,
                            u8::try_from(t.number).unwrap_or(0),
                            [0; 3],
                            0,
                            pmsf(i64::from(t.start)),
                        );
                    }
                    // B0 (mode 5): next program area start, or FF:FF:FF when closed without
                    // a next session; then the last possible lead-out.
                    match s.next_session {
                        Some(Some(next)) => point(
                            0x50 | (ctl & 0x0f),
                            0xb0,
                            pmsf(i64::from(next)),
                            1,
                            pmsf(capacity),
                        ),
                        Some(None) => {
                            point(0x50 | (ctl & 0x0f), 0xb0, [0xff; 3], 1, pmsf(capacity))
                        }
                        None => {}
                    }
                }
            }
            4 => {
                let atip = m.atip().ok_or(INVALID_FIELD_IN_CDB)?;
                data.resize(28, 0);
                // Byte 6: bit 7 always set, bit 6 disc type (CD-RW).
                put_u8(&mut data, 6, 0x80 | u8::from(atip.rewritable) << 6);
                put_be32(&mut data, 8, msf_field(atip.lead_in) << 8);
                put_be32(&mut data, 12, msf_field(atip.last_lead_out) << 8);
            }
            _ => return Err(INVALID_FIELD_IN_CDB.into()),
        }
        let total = data.len();
        put_be16(&mut data, 0, u16::try_from(total - 2).unwrap_or(u16::MAX));
        Ok(Reply::Data { data, alloc })
    }

    /// READ FORMAT CAPACITIES (23h): the current/maximum descriptor and formattable
    /// descriptors.
    pub(crate) fn read_format_capacities(&mut self, cdb: Cdb<'_>) -> CmdResult {
        let fc = self.media()?.format_capacities();
        let mut data = vec![0u8; 12];
        put_u8(
            &mut data,
            3,
            u8::try_from(8 * (1 + fc.formats.len())).unwrap_or(u8::MAX),
        );
        put_be32(&mut data, 4, fc.current_blocks);
        put_u8(&mut data, 8, fc.current_type & 0x03);
        put_be24(&mut data, 9, 2048);
        for (blocks, format_type, tdp) in fc.formats {
            let mut d = [0u8; 8];
            put_be32(&mut d, 0, blocks);
            put_u8(&mut d, 4, format_type << 2);
            put_be24(&mut d, 5, tdp);
            data.extend_from_slice(&d);
        }
        Ok(Reply::Data {
            data,
            alloc: usize::from(cdb.be16(7)),
        })
    }

    /// READ DISC STRUCTURE (ADh): DVD formats 00h (physical format), 01h (copyright) and
    /// FFh (list); BD (media type 1) formats 00h (disc information) and FFh.
    pub(crate) fn read_disc_structure(&mut self, cdb: Cdb<'_>) -> CmdResult {
        let layer = cdb.u8(6);
        let format = cdb.u8(7);
        let alloc = usize::from(cdb.be16(8));
        let m = self.media()?;
        let kind = m.kind();
        let capacity = m.capacity();
        let data = match cdb.u8(1) & 0x0f {
            0 if !kind.is_dvd() => return Err(CANNOT_READ_MEDIUM_INCOMPATIBLE_FORMAT.into()),
            0 => match format {
                0x00 => {
                    let dl = kind == MediaKind::DvdPlusRDl;
                    if layer > u8::from(dl) {
                        return Err(INVALID_FIELD_IN_CDB.into());
                    }
                    let (book, layer_type) = match kind {
                        MediaKind::DvdRom => (0x01, 0x01),
                        MediaKind::DvdR => (0x25, 0x02),
                        MediaKind::DvdRw | MediaKind::DvdRwRo => (0x32, 0x04),
                        MediaKind::DvdPlusRw => (0x92, 0x04),
                        MediaKind::DvdPlusR => (0xa1, 0x02),
                        _ => (0xe1, 0x02),
                    };
                    let mut d = vec![0u8; 4 + 2048];
                    put_be16(&mut d, 0, 2050);
                    put_u8(&mut d, 4, book);
                    // 120 mm disc, maximum rate not specified.
                    put_u8(&mut d, 5, 0x0f);
                    // Two layers, opposite track path, for DL.
                    put_u8(&mut d, 6, if dl { 0x30 | layer_type } else { layer_type });
                    put_be32(&mut d, 8, DVD_FIRST_PSN);
                    put_be32(&mut d, 12, DVD_FIRST_PSN + capacity.saturating_sub(1));
                    if dl {
                        put_be32(&mut d, 16, DVD_FIRST_PSN + (capacity / 2).saturating_sub(1));
                    }
                    d
                }
                0x01 => vec![0x00, 0x06, 0, 0, 0, 0, 0, 0],
                0xff => vec![
                    0x00, 0x0e, 0, 0, 0x00, 0x40, 0x08, 0x04, 0x01, 0x40, 0x00, 0x08, 0xff, 0x40,
                    0x00, 0x10,
                ],
                _ => return Err(INVALID_FIELD_IN_CDB.into()),
            },
            1 if !kind.is_bd() => return Err(CANNOT_READ_MEDIUM_INCOMPATIBLE_FORMAT.into()),
            1 => match format {
                0x00 => {
                    // One disc information unit: "DI", format 1, unit 0, disc type ID.
                    let mut d = vec![0u8; 4 + 112];
                    put_be16(&mut d, 0, 114);
                    put_slice(&mut d, 4, b"DI");
                    put_u8(&mut d, 6, 1);
                    put_u8(&mut d, 11, 112);
                    put_slice(
                        &mut d,
                        12,
                        if kind == MediaKind::BdRe {
                            b"BDW"
                        } else {
                            b"BDR"
                        },
                    );
                    d
                }
                0xff => vec![
                    0x00, 0x0a, 0, 0, 0x00, 0x40, 0x00, 0x74, 0xff, 0x40, 0x00, 0x0c,
                ],
                _ => return Err(INVALID_FIELD_IN_CDB.into()),
            },
            _ => return Err(INVALID_FIELD_IN_CDB.into()),
        };
        Ok(Reply::Data { data, alloc })
    }
}
