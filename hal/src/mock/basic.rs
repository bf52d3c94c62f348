//! Drive-level commands: REQUEST SENSE, INQUIRY, START STOP UNIT, PREVENT ALLOW MEDIUM
//! REMOVAL, GET EVENT STATUS NOTIFICATION, MECHANISM STATUS, READ BUFFER CAPACITY, and the
//! speed commands (SET CD SPEED, SET STREAMING, GET PERFORMANCE).

use super::bytes::{get_be32, put_be16, put_be32, put_slice, put_u8, Cdb};
use super::engine::{CmdResult, Engine, Fail, Reply};
use super::mode::{max_read_speed, write_speeds};
use super::sense::{
    Sense, INVALID_FIELD_IN_CDB, INVALID_FIELD_IN_PARAMETER_LIST, MEDIUM_REMOVAL_PREVENTED,
    NO_SENSE, PARAMETER_LIST_LENGTH_ERROR,
};
use super::state::BLOCK;
use crate::Error;

/// GESN event codes (MMC-6 table 149).
pub(crate) const EVENT_EJECT_REQUEST: u8 = 1;
pub(crate) const EVENT_NEW_MEDIA: u8 = 2;

/// GESN notification class 4 (media), as a class request bit.
const MEDIA_CLASS: u8 = 0x10;

/// Standard INQUIRY data length. 96 bytes like many drives (and QEMU), so the additional
/// length is 91.
const INQUIRY_LEN: usize = 96;

fn ascii_field(s: &str, len: usize) -> Vec<u8> {
    let mut v: Vec<u8> = s
        .bytes()
        .map(|b| {
            if b.is_ascii_graphic() || b == b' ' {
                b
            } else {
                b'?'
            }
        })
        .take(len)
        .collect();
    v.resize(len, b' ');
    v
}

impl Engine<'_> {
    /// REQUEST SENSE (03h, SPC-4 §6.39): a pending UNIT ATTENTION (consumed), the progress of a
    /// long operation (counted as a poll), or NO SENSE. DESC = 1 asks for descriptor format.
    pub(crate) fn request_sense(&mut self, cdb: Cdb<'_>) -> CmdResult {
        let sense = if let Some((asc, ascq)) = self.st.unit_attentions.pop_front() {
            Sense::new(0x6, asc, ascq)
        } else if self.st.pending.is_some() {
            self.poll()
        } else {
            NO_SENSE
        };
        let data = if cdb.bit(1, 0) {
            sense.descriptor()
        } else {
            sense.fixed().to_vec()
        };
        Ok(Reply::Data {
            data,
            alloc: usize::from(cdb.u8(4)),
        })
    }

    /// INQUIRY (12h, SPC-4 §6.6): peripheral device type 5 (MMC), removable; VPD pages 00h
    /// and 83h.
    pub(crate) fn inquiry(&mut self, cdb: Cdb<'_>) -> CmdResult {
        let alloc = usize::from(cdb.be16(3));
        if cdb.bit(1, 1) {
            return Err(INVALID_FIELD_IN_CDB.into());
        }
        let page = cdb.u8(2);
        let profile = self.st.config.profile.as_ref();
        let data = if !cdb.bit(1, 0) {
            if page != 0 {
                return Err(INVALID_FIELD_IN_CDB.into());
            }
            if let Some(d) = profile.and_then(|p| p.inquiry.clone()) {
                return Ok(Reply::Data { data: d, alloc });
            }
            let c = &self.st.config;
            let mut d = vec![0u8; INQUIRY_LEN];
            put_u8(&mut d, 0, 0x05); // qualifier 0, peripheral device type 5
            put_u8(&mut d, 1, 0x80); // RMB
            put_u8(&mut d, 2, 0x05); // SPC-3
            put_u8(&mut d, 3, 0x12); // HiSup, response data format 2
            put_u8(&mut d, 4, u8::try_from(INQUIRY_LEN - 5).unwrap_or(u8::MAX));
            put_slice(&mut d, 8, &ascii_field(&c.vendor, 8));
            put_slice(&mut d, 16, &ascii_field(&c.product, 16));
            put_slice(&mut d, 32, &ascii_field(&c.revision, 4));
            d
        } else if let Some(d) = profile.and_then(|p| p.vpd_page(page)) {
            d.to_vec()
        } else {
            match page {
                0x00 => vec![0x05, 0x00, 0x00, 0x02, 0x00, 0x83],
                0x83 => {
                    // One designator: T10 vendor ID based (type 1), ASCII, vendor + serial.
                    let mut id = ascii_field(&self.st.config.vendor, 8);
                    id.extend(self.st.config.serial.bytes().filter(u8::is_ascii_graphic));
                    id.truncate(250);
                    let mut d = vec![0x05, 0x83, 0x00, 0x00, 0x02, 0x01, 0x00, 0x00];
                    put_u8(&mut d, 7, u8::try_from(id.len()).unwrap_or(u8::MAX));
                    d.extend_from_slice(&id);
                    let page_len = u16::try_from(d.len() - 4).unwrap_or(u16::MAX);
                    put_be16(&mut d, 2, page_len);
                    d
                }
                _ => return Err(INVALID_FIELD_IN_CDB.into()),
            }
        };
        Ok(Reply::Data { data, alloc })
    }

    /// START STOP UNIT (1Bh, MMC-6 §6.39): LoEj with Start = 0 opens the tray (refused with
    /// 05/53/02 while either prevent state is set; the buffer is flushed first), with
    /// Start = 1 closes it. Without LoEj, and with a power condition, nothing visible happens.
    pub(crate) fn start_stop_unit(&mut self, cdb: Cdb<'_>) -> CmdResult {
        let b4 = cdb.u8(4);
        if b4 >> 4 != 0 || b4 & 0x02 == 0 {
            return Ok(Reply::Good);
        }
        if b4 & 0x01 != 0 {
            if self.st.tray_open {
                self.st.tray_open = false;
                if self.st.medium.is_some() {
                    self.st.media_events.push_back(EVENT_NEW_MEDIA);
                    self.spin_up();
                }
            }
        } else {
            if self.st.locked() {
                return Err(MEDIUM_REMOVAL_PREVENTED.into());
            }
            if !self.st.tray_open {
                self.flush_all()?;
                self.st.tray_open = true;
            }
        }
        Ok(Reply::Good)
    }

    /// PREVENT ALLOW MEDIUM REMOVAL (1Eh): byte 4 bits 1-0 — 00b allow (non-persistent only),
    /// 01b prevent, 10b clear persistent prevent, 11b set persistent prevent.
    pub(crate) fn prevent_allow(&mut self, cdb: Cdb<'_>) -> CmdResult {
        match cdb.u8(4) & 0x03 {
            0b00 => self.st.prevent = false,
            0b01 => self.st.prevent = true,
            0b10 => self.st.persistent_prevent = false,
            _ => self.st.persistent_prevent = true,
        }
        Ok(Reply::Good)
    }

    /// GET EVENT STATUS NOTIFICATION (4Ah), polled only, media class only. The event
    /// descriptor length is total − 2 (6 with a media descriptor, 2 for header only). An
    /// event is consumed once its code byte reaches the host.
    pub(crate) fn get_event_status(&mut self, cdb: Cdb<'_>) -> CmdResult {
        if !cdb.bit(1, 0) {
            return Err(INVALID_FIELD_IN_CDB.into());
        }
        let alloc = usize::from(cdb.be16(7));
        let data = if cdb.u8(4) & MEDIA_CLASS == 0 {
            vec![0x00, 0x02, 0x80, MEDIA_CLASS]
        } else {
            let event = if alloc > 4 {
                self.st.media_events.pop_front().unwrap_or(0)
            } else {
                0
            };
            let status = u8::from(self.st.tray_open) | u8::from(self.st.loaded().is_some()) << 1;
            let mut d = vec![
                0x00,
                0x06,
                0x04,
                MEDIA_CLASS,
                event & 0x0f,
                status,
                0x00,
                0x00,
            ];
            // A recorded drive's header (QEMU counts the event data length as total − 4).
            if let Some(h) = self
                .st
                .config
                .profile
                .as_ref()
                .and_then(|p| p.event_header.as_deref())
            {
                for (i, &b) in h.iter().take(4).enumerate() {
                    put_u8(&mut d, i, b);
                }
            }
            d
        };
        Ok(Reply::Data { data, alloc })
    }

    /// MECHANISM STATUS (BDh): the 8-byte header, door-open bit included; no changer.
    pub(crate) fn mechanism_status(&mut self, cdb: Cdb<'_>) -> CmdResult {
        let mut data = vec![0u8; 8];
        put_u8(&mut data, 1, if self.st.tray_open { 0x10 } else { 0 });
        Ok(Reply::Data {
            data,
            alloc: usize::from(cdb.be16(8)),
        })
    }

    /// READ BUFFER CAPACITY (5Ch): buffer length and free bytes, or (Block = 1) free blocks.
    pub(crate) fn read_buffer_capacity(&mut self, cdb: Cdb<'_>) -> CmdResult {
        let cap = self.st.config.buffer_bytes;
        let free = u64::from(cap).saturating_sub(self.st.buffer.fill());
        let free = u32::try_from(free).unwrap_or(u32::MAX);
        let mut data = vec![0u8; 12];
        put_be16(&mut data, 0, 10);
        if cdb.bit(1, 0) {
            put_u8(&mut data, 3, 0x01);
            put_be32(&mut data, 8, free / BLOCK as u32);
        } else {
            put_be32(&mut data, 4, cap);
            put_be32(&mut data, 8, free);
        }
        Ok(Reply::Data {
            data,
            alloc: usize::from(cdb.be16(7)),
        })
    }

    /// SET CD SPEED (BBh): kB/s, FFFFh = fastest; rounded down to what the medium supports.
    pub(crate) fn set_cd_speed(&mut self, cdb: Cdb<'_>) -> CmdResult {
        let speed = |v: u16| (v != 0xffff).then_some(u32::from(v));
        self.st.read_speed_kbs = speed(cdb.be16(2));
        self.st.write_speed_kbs = speed(cdb.be16(4));
        Ok(Reply::Good)
    }

    /// SET STREAMING (B6h) with a performance descriptor (type 0): speed = size / time.
    pub(crate) fn set_streaming(&mut self, cdb: Cdb<'_>, out: &[u8]) -> CmdResult {
        if cdb.u8(8) != 0 {
            return Err(INVALID_FIELD_IN_CDB.into());
        }
        let len = usize::from(cdb.be16(9));
        let Some(list) = out.get(..len) else {
            return Err(Fail::Transport(Error::InvalidRequest(format!(
                "SET STREAMING parameter list length {len}, but only {} bytes sent",
                out.len()
            ))));
        };
        if len < 28 {
            return Err(PARAMETER_LIST_LENGTH_ERROR.into());
        }
        let rate = |size: u32, ms: u32| {
            (ms != 0)
                .then(|| u32::try_from(u64::from(size) * 1000 / u64::from(ms)).unwrap_or(u32::MAX))
        };
        let (Some(read), Some(write)) = (
            rate(get_be32(list, 12), get_be32(list, 16)),
            rate(get_be32(list, 20), get_be32(list, 24)),
        ) else {
            return Err(INVALID_FIELD_IN_PARAMETER_LIST.into());
        };
        self.st.read_speed_kbs = Some(read);
        self.st.write_speed_kbs = Some(write);
        Ok(Reply::Consumed(len))
    }

    /// GET PERFORMANCE (ACh): type 00h (one nominal descriptor for read or write, no
    /// exceptions) and type 03h (write speed descriptors). The data length counts every
    /// available descriptor; at most "maximum number of descriptors" are returned.
    pub(crate) fn get_performance(&mut self, cdb: Cdb<'_>) -> CmdResult {
        let max = usize::from(cdb.be16(8));
        let data_type = cdb.u8(1);
        let m = self.media()?;
        let kind = m.kind();
        let end = m.capacity().saturating_sub(1);
        if let Some(r) = self
            .st
            .config
            .profile
            .as_ref()
            .and_then(|p| p.performance_reply(cdb))
        {
            let data = super::profile::clip_performance(r, max);
            let alloc = data.len();
            return Ok(Reply::Data { data, alloc });
        }
        let mut header = vec![0u8; 8];
        let descriptors: Vec<[u8; 16]> = match cdb.u8(10) {
            0x00 => {
                let write = data_type & 0x04 != 0;
                put_u8(
                    &mut header,
                    4,
                    u8::from(write) << 1 | u8::from(data_type & 0x03 != 0),
                );
                if data_type & 0x03 != 0 {
                    Vec::new()
                } else {
                    let perf = if write {
                        self.current_write_speed()
                    } else {
                        self.current_read_speed()
                    };
                    let mut d = [0u8; 16];
                    put_be32(&mut d, 4, perf);
                    put_be32(&mut d, 8, end);
                    put_be32(&mut d, 12, perf);
                    vec![d]
                }
            }
            0x03 => write_speeds(Some(kind))
                .iter()
                .map(|&s| {
                    let mut d = [0u8; 16];
                    put_be32(&mut d, 4, end);
                    put_be32(&mut d, 8, max_read_speed(Some(kind)));
                    put_be32(&mut d, 12, s);
                    d
                })
                .collect(),
            _ => return Err(INVALID_FIELD_IN_CDB.into()),
        };
        put_be32(
            &mut header,
            0,
            u32::try_from(4 + 16 * descriptors.len()).unwrap_or(u32::MAX),
        );
        let mut data = header;
        for d in descriptors.iter().take(max) {
            data.extend_from_slice(d);
        }
        let alloc = data.len();
        Ok(Reply::Data { data, alloc })
    }
}
