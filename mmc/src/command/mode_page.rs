//! Typed mode pages: 05h Write Parameters (parse and build) and 2Ah Capabilities and
//! Mechanical Status (parse). Offsets are within the page, header included, as in the spec
//! tables and `docs/mmc-notes.md` §2.2.10.

use std::fmt;

use crate::bytes;
use crate::ParseError;

/// Write type (page 05h b2 bits 3-0). An open code space.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct WriteType(pub u8);

impl WriteType {
    /// 0: packet / incremental.
    pub const PACKET: WriteType = WriteType(0);
    /// 1: track at once.
    pub const TAO: WriteType = WriteType(1);
    /// 2: session at once / disc at once.
    pub const SAO: WriteType = WriteType(2);
    /// 3: raw.
    pub const RAW: WriteType = WriteType(3);
    /// 4: layer jump.
    pub const LAYER_JUMP: WriteType = WriteType(4);

    /// The write type's name.
    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "packet/incremental",
            1 => "track at once",
            2 => "session at once",
            3 => "raw",
            4 => "layer jump",
            _ => "reserved",
        }
    }
}

impl fmt::Debug for WriteType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WriteType({} {})", self.0, self.name())
    }
}

/// Multi-session field (page 05h b3 bits 7-6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MultiSession {
    /// 00b: no further session; closing the session finalizes the disc.
    Finalize = 0,
    /// 01b: no next session allowed (CD: B0 pointer FF:FF:FF).
    NoNextSession = 1,
    /// 10b: reserved.
    Reserved = 2,
    /// 11b: next session allowed (disc stays appendable).
    NextSessionAllowed = 3,
}

/// Page 05h, Write Parameters (MMC-6 table 644).
///
/// [`to_bytes`](Self::to_bytes) writes the page at the length the drive reported (0x32 by
/// default; some drives use 0x36), keeping any bytes past offset 52 as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteParametersPage {
    /// b1: page length.
    pub page_length: u8,
    /// b2 bit 6 BUFE: buffer underrun protection.
    pub buffer_underrun_free: bool,
    /// b2 bit 5 LS_V: link size valid.
    pub link_size_valid: bool,
    /// b2 bit 4: Test Write (simulation).
    pub test_write: bool,
    /// b2 bits 3-0.
    pub write_type: WriteType,
    /// b3 bits 7-6.
    pub multi_session: MultiSession,
    /// b3 bit 5 FP: fixed packet.
    pub fixed_packet: bool,
    /// b3 bit 4: Copy.
    pub copy: bool,
    /// b3 bits 3-0: track mode (4 data, 5 data incremental, 0 audio).
    pub track_mode: u8,
    /// b4 bits 3-0: data block type (8 = Mode 1, 2048 bytes).
    pub data_block_type: u8,
    /// b5: link size (16 for DVD-R incremental).
    pub link_size: u8,
    /// b7 bits 5-0: host application code.
    pub host_application_code: u8,
    /// b8: session format (00h CD-DA/CD-ROM, 10h CD-I, 20h CD-ROM XA).
    pub session_format: u8,
    /// b10-13: packet size (16 for DVD incremental).
    pub packet_size: u32,
    /// b14-15: audio pause length (150).
    pub audio_pause_length: u16,
    /// b16-31: media catalog number (b16 bit 7 MCVAL).
    pub media_catalog_number: [u8; 16],
    /// b32-47: ISRC (b32 bit 7 TCVAL).
    pub isrc: [u8; 16],
    /// b48-51: sub-header.
    pub sub_header: [u8; 4],
    /// Bytes from offset 52 up to the page length, as read (vendor specific).
    pub vendor: Vec<u8>,
}

impl WriteParametersPage {
    /// The page code.
    pub const CODE: u8 = 0x05;
    /// The standard page length.
    pub const STANDARD_LENGTH: u8 = 0x32;

    fn base() -> Self {
        WriteParametersPage {
            page_length: Self::STANDARD_LENGTH,
            buffer_underrun_free: true,
            link_size_valid: false,
            test_write: false,
            write_type: WriteType::TAO,
            multi_session: MultiSession::Finalize,
            fixed_packet: false,
            copy: false,
            track_mode: 4,
            data_block_type: 8,
            link_size: 0,
            host_application_code: 0,
            session_format: 0,
            packet_size: 0,
            audio_pause_length: 150,
            media_catalog_number: [0; 16],
            isrc: [0; 16],
            sub_header: [0; 4],
            vendor: Vec::new(),
        }
    }

    fn session(keep_open: bool) -> MultiSession {
        if keep_open {
            MultiSession::NextSessionAllowed
        } else {
            MultiSession::Finalize
        }
    }

    /// CD-R/RW track at once, data Mode 1 (`docs/mmc-notes.md` §3.5): BUFE, TAO, track mode 4, block
    /// type 8, pause 150; multi-session 11b when `keep_open`, else 00b.
    pub fn cd_tao(keep_open: bool) -> Self {
        WriteParametersPage {
            multi_session: Self::session(keep_open),
            ..Self::base()
        }
    }

    /// DVD-R/-RW incremental (`docs/mmc-notes.md` §3.4): BUFE, LS_V, write type 0, FP, track mode 5,
    /// block type 8, packet size 16, and the drive's link size (feature 0021h; 16).
    pub fn dvd_incremental(keep_open: bool, link_size: u8) -> Self {
        WriteParametersPage {
            link_size_valid: true,
            write_type: WriteType::PACKET,
            multi_session: Self::session(keep_open),
            fixed_packet: true,
            track_mode: 5,
            link_size,
            packet_size: 16,
            audio_pause_length: 0,
            ..Self::base()
        }
    }

    /// DVD-R/-RW disc at once (`docs/mmc-notes.md` §3.4): write type 2, track mode 5, block type 8,
    /// single session, no packets.
    pub fn dvd_dao() -> Self {
        WriteParametersPage {
            write_type: WriteType::SAO,
            track_mode: 5,
            audio_pause_length: 0,
            ..Self::base()
        }
    }

    /// Decodes a page (header included).
    ///
    /// # Errors
    /// [`ParseError::Invalid`] for another page code, `Truncated` below 16 bytes.
    pub fn parse(page: &[u8]) -> Result<Self, ParseError> {
        let code = bytes::u8_at(page, 0)? & 0x3f;
        if code != Self::CODE {
            return Err(ParseError::Invalid {
                what: "page code",
                value: u32::from(code),
            });
        }
        let page_length = bytes::u8_at(page, 1)?;
        let p = bytes::clip(page, usize::from(page_length) + 2);
        bytes::need(p, 16, "write parameters page")?;
        let b2 = bytes::u8_at(p, 2)?;
        let b3 = bytes::u8_at(p, 3)?;
        Ok(WriteParametersPage {
            page_length,
            buffer_underrun_free: bytes::bit(b2, 6),
            link_size_valid: bytes::bit(b2, 5),
            test_write: bytes::bit(b2, 4),
            write_type: WriteType(b2 & 0x0f),
            multi_session: match b3 >> 6 {
                0 => MultiSession::Finalize,
                1 => MultiSession::NoNextSession,
                2 => MultiSession::Reserved,
                _ => MultiSession::NextSessionAllowed,
            },
            fixed_packet: bytes::bit(b3, 5),
            copy: bytes::bit(b3, 4),
            track_mode: b3 & 0x0f,
            data_block_type: bytes::u8_at(p, 4)? & 0x0f,
            link_size: bytes::u8_at(p, 5)?,
            host_application_code: bytes::u8_at(p, 7)? & 0x3f,
            session_format: bytes::u8_at(p, 8)?,
            packet_size: bytes::be_u32(p, 10)?,
            audio_pause_length: bytes::be_u16(p, 14)?,
            media_catalog_number: bytes::array::<16>(p, 16, "MCN").unwrap_or([0; 16]),
            isrc: bytes::array::<16>(p, 32, "ISRC").unwrap_or([0; 16]),
            sub_header: bytes::array::<4>(p, 48, "sub-header").unwrap_or([0; 4]),
            vendor: bytes::tail(p, 52).to_vec(),
        })
    }

    /// The page bytes for MODE SELECT: PS clear, `page_length + 2` bytes (at least the
    /// standard 52).
    pub fn to_bytes(&self) -> Vec<u8> {
        let len = self.page_length.max(Self::STANDARD_LENGTH);
        let mut p = Vec::with_capacity(usize::from(len) + 2);
        p.push(Self::CODE);
        p.push(len);
        p.push(
            u8::from(self.buffer_underrun_free) << 6
                | u8::from(self.link_size_valid) << 5
                | u8::from(self.test_write) << 4
                | (self.write_type.0 & 0x0f),
        );
        p.push(
            (self.multi_session as u8) << 6
                | u8::from(self.fixed_packet) << 5
                | u8::from(self.copy) << 4
                | (self.track_mode & 0x0f),
        );
        p.push(self.data_block_type & 0x0f);
        p.push(self.link_size);
        p.push(0);
        p.push(self.host_application_code & 0x3f);
        p.push(self.session_format);
        p.push(0);
        p.extend_from_slice(&self.packet_size.to_be_bytes());
        p.extend_from_slice(&self.audio_pause_length.to_be_bytes());
        p.extend_from_slice(&self.media_catalog_number);
        p.extend_from_slice(&self.isrc);
        p.extend_from_slice(&self.sub_header);
        p.extend_from_slice(&self.vendor);
        p.resize(usize::from(len) + 2, 0);
        p
    }
}

/// One write speed descriptor of page 2Ah (b32 on, 4 bytes each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteSpeedEntry {
    /// b1 bits 2-0: rotation control (0 CLV, 1 CAV).
    pub rotation_control: u8,
    /// b2-3: write speed in kB/s.
    pub kbytes_per_sec: u16,
}

/// Page 2Ah, CD/DVD Capabilities and Mechanical Status (MMC-3 table 361; legacy but present
/// on every drive). Pages may be as short as 12h (QEMU sends 14h); later fields are `None`
/// when absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapabilitiesPage {
    /// b1.
    pub page_length: u8,
    /// b2 bit 0.
    pub read_cd_r: bool,
    /// b2 bit 1.
    pub read_cd_rw: bool,
    /// b2 bit 3.
    pub read_dvd_rom: bool,
    /// b2 bit 4.
    pub read_dvd_r: bool,
    /// b2 bit 5.
    pub read_dvd_ram: bool,
    /// b3 bit 0.
    pub write_cd_r: bool,
    /// b3 bit 1.
    pub write_cd_rw: bool,
    /// b3 bit 2: test write.
    pub test_write: bool,
    /// b3 bit 4.
    pub write_dvd_r: bool,
    /// b3 bit 5.
    pub write_dvd_ram: bool,
    /// b4 bit 7 BUF: buffer underrun protection.
    pub buffer_underrun_protection: bool,
    /// b6 bits 7-5: loading mechanism (0 caddy, 1 tray, 2 pop-up, 4/5 changer).
    pub loading_mechanism: u8,
    /// b6 bit 3: Eject supported.
    pub eject: bool,
    /// b6 bit 2: prevent jumper present.
    pub prevent_jumper: bool,
    /// b6 bit 1: Lock State — the medium is currently locked in.
    pub lock_state: bool,
    /// b6 bit 0: Lock supported.
    pub lock: bool,
    /// b8-9: maximum read speed, kB/s (obsolete in MMC-4+, still filled in).
    pub max_read_speed: u16,
    /// b12-13: buffer size, KiB.
    pub buffer_size_kib: u16,
    /// b14-15: current read speed, kB/s.
    pub current_read_speed: u16,
    /// b18-19: maximum write speed, kB/s.
    pub max_write_speed: Option<u16>,
    /// b20-21: current write speed, kB/s.
    pub current_write_speed: Option<u16>,
    /// b28-29: current write speed selected, kB/s.
    pub current_write_speed_selected: Option<u16>,
    /// b32…: write speed descriptors (count at b30-31, clipped to what arrived).
    pub write_speeds: Vec<WriteSpeedEntry>,
}

impl CapabilitiesPage {
    /// The page code.
    pub const CODE: u8 = 0x2A;

    /// Decodes a page (header included).
    ///
    /// # Errors
    /// [`ParseError::Invalid`] for another page code, `Truncated` below 16 bytes.
    pub fn parse(page: &[u8]) -> Result<Self, ParseError> {
        let code = bytes::u8_at(page, 0)? & 0x3f;
        if code != Self::CODE {
            return Err(ParseError::Invalid {
                what: "page code",
                value: u32::from(code),
            });
        }
        let page_length = bytes::u8_at(page, 1)?;
        let p = bytes::clip(page, usize::from(page_length) + 2);
        bytes::need(p, 16, "capabilities page")?;
        let b2 = bytes::u8_at(p, 2)?;
        let b3 = bytes::u8_at(p, 3)?;
        let b6 = bytes::u8_at(p, 6)?;
        let opt16 = |off: usize| bytes::be_u16(p, off).ok();
        let count = opt16(30).unwrap_or(0);
        let write_speeds = bytes::tail(p, 32)
            .chunks_exact(4)
            .take(usize::from(count))
            .map(|d| WriteSpeedEntry {
                rotation_control: d.get(1).copied().unwrap_or(0) & 0x07,
                kbytes_per_sec: bytes::be_u16(d, 2).unwrap_or(0),
            })
            .collect();
        Ok(CapabilitiesPage {
            page_length,
            read_cd_r: bytes::bit(b2, 0),
            read_cd_rw: bytes::bit(b2, 1),
            read_dvd_rom: bytes::bit(b2, 3),
            read_dvd_r: bytes::bit(b2, 4),
            read_dvd_ram: bytes::bit(b2, 5),
            write_cd_r: bytes::bit(b3, 0),
            write_cd_rw: bytes::bit(b3, 1),
            test_write: bytes::bit(b3, 2),
            write_dvd_r: bytes::bit(b3, 4),
            write_dvd_ram: bytes::bit(b3, 5),
            buffer_underrun_protection: bytes::bit(bytes::u8_at(p, 4)?, 7),
            loading_mechanism: b6 >> 5,
            eject: bytes::bit(b6, 3),
            prevent_jumper: bytes::bit(b6, 2),
            lock_state: bytes::bit(b6, 1),
            lock: bytes::bit(b6, 0),
            max_read_speed: bytes::be_u16(p, 8)?,
            buffer_size_kib: bytes::be_u16(p, 12)?,
            current_read_speed: bytes::be_u16(p, 14)?,
            max_write_speed: opt16(18),
            current_write_speed: opt16(20),
            current_write_speed_selected: opt16(28),
            write_speeds,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // docs/qemu-notes.md §3.4: page 2Ah, length 14h.
    const SCSI_CD: [u8; 22] = [
        0x2a, 0x14, 0x3b, 0x00, 0x7f, 0xff, 0x2d, 0x00, 0x22, 0x60, 0x00, 0x02, 0x08, 0x00, 0x0b,
        0x00, 0x00, 0x00, 0x0b, 0x00, 0x0b, 0x00,
    ];
    // docs/qemu-notes.md §6: page 2Ah, length 14h.
    const IDE_CD: [u8; 22] = [
        0x2a, 0x14, 0x3b, 0x00, 0x71, 0x60, 0x29, 0x00, 0x02, 0xc0, 0x00, 0x02, 0x02, 0x00, 0x02,
        0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    #[test]
    fn scsi_cd_capabilities() {
        let c = CapabilitiesPage::parse(&SCSI_CD).unwrap();
        // b2 3Bh: CD-R, CD-RW, DVD-ROM, DVD-R, DVD-RAM read; b3 0: no writing.
        assert!(c.read_cd_r && c.read_cd_rw && c.read_dvd_rom && c.read_dvd_r && c.read_dvd_ram);
        assert!(!c.write_cd_r && !c.write_dvd_r && !c.test_write);
        // b6 2Dh: tray (001b), eject, prevent jumper, not locked, lock supported.
        assert_eq!(c.loading_mechanism, 1);
        assert!(c.eject && c.prevent_jumper && !c.lock_state && c.lock);
        assert_eq!(c.max_read_speed, 8800);
        assert_eq!(c.buffer_size_kib, 2048);
        assert_eq!(c.current_read_speed, 2816);
        assert_eq!(c.max_write_speed, Some(2816));
        assert_eq!(c.current_write_speed, Some(2816));
        // Page length 14h ends at byte 22: no b28-31, no descriptors.
        assert_eq!(c.current_write_speed_selected, None);
        assert!(c.write_speeds.is_empty());
    }

    #[test]
    fn ide_cd_capabilities_and_lock_state() {
        let c = CapabilitiesPage::parse(&IDE_CD).unwrap();
        // b6 29h: tray, eject, no prevent jumper, not locked, lock supported.
        assert!(c.eject && !c.prevent_jumper && !c.lock_state && c.lock);
        assert_eq!(c.max_read_speed, 704);
        assert_eq!(c.buffer_size_kib, 512);
        assert_eq!(c.max_write_speed, Some(0));
        let mut locked = IDE_CD;
        locked[6] |= 0x02;
        assert!(CapabilitiesPage::parse(&locked).unwrap().lock_state);
    }

    #[test]
    fn short_and_full_pages() {
        // Page length 12h (libburn's minimum): ends at b19.
        let mut short = SCSI_CD[..20].to_vec();
        short[1] = 0x12;
        let c = CapabilitiesPage::parse(&short).unwrap();
        assert_eq!(c.max_write_speed, Some(2816));
        assert_eq!(c.current_write_speed, None);
        // A DVD writer's page: length 2Ch (MMC-3), 3 descriptors at b32.
        let mut full = vec![0u8; 0x2e];
        full[..22].copy_from_slice(&SCSI_CD);
        full[1] = 0x2c;
        full[28..30].copy_from_slice(&11_080u16.to_be_bytes());
        full[30..32].copy_from_slice(&3u16.to_be_bytes());
        for (i, s) in [22_160u16, 11_080, 5_540].iter().enumerate() {
            full[32 + 4 * i + 1] = 1;
            full[34 + 4 * i..36 + 4 * i].copy_from_slice(&s.to_be_bytes());
        }
        let c = CapabilitiesPage::parse(&full).unwrap();
        assert_eq!(c.current_write_speed_selected, Some(11_080));
        assert_eq!(
            c.write_speeds,
            vec![
                WriteSpeedEntry {
                    rotation_control: 1,
                    kbytes_per_sec: 22_160
                },
                WriteSpeedEntry {
                    rotation_control: 1,
                    kbytes_per_sec: 11_080
                },
                WriteSpeedEntry {
                    rotation_control: 1,
                    kbytes_per_sec: 5_540
                },
            ]
        );
        // Count larger than the bytes present: clipped.
        full[31] = 9;
        assert_eq!(
            CapabilitiesPage::parse(&full).unwrap().write_speeds.len(),
            3
        );
        assert!(CapabilitiesPage::parse(&SCSI_CD[..12]).is_err());
        assert!(CapabilitiesPage::parse(&[0x05, 0x32]).is_err());
    }

    #[test]
    fn write_parameters_round_trip() {
        let p = WriteParametersPage::cd_tao(true);
        let b = p.to_bytes();
        assert_eq!(b.len(), 52);
        // docs/mmc-notes.md §3.5: BUFE + TAO = 41h; multi-session 11b + track mode 4 = C4h; block type 8;
        // pause 150 at b14-15.
        assert_eq!(&b[..6], &[0x05, 0x32, 0x41, 0xc4, 0x08, 0x00]);
        assert_eq!(&b[14..16], &150u16.to_be_bytes());
        assert_eq!(WriteParametersPage::parse(&b).unwrap(), p);

        let p = WriteParametersPage::dvd_incremental(false, 16);
        let b = p.to_bytes();
        // BUFE + LS_V + packet = 60h; FP + track mode 5 = 25h; link size 16; packet size 16.
        assert_eq!(&b[2..6], &[0x60, 0x25, 0x08, 0x10]);
        assert_eq!(&b[10..14], &16u32.to_be_bytes());
        assert_eq!(WriteParametersPage::parse(&b).unwrap(), p);

        let b = WriteParametersPage::dvd_dao().to_bytes();
        assert_eq!(&b[2..4], &[0x42, 0x05]);
    }

    #[test]
    fn write_parameters_keeps_drive_length_and_vendor_bytes() {
        // A 36h page as some drives report it, PS set, vendor bytes at 52-55.
        let mut page = WriteParametersPage::cd_tao(false).to_bytes();
        page[0] |= 0x80;
        page[1] = 0x36;
        page.extend_from_slice(&[1, 2, 3, 4]);
        let p = WriteParametersPage::parse(&page).unwrap();
        assert_eq!(p.page_length, 0x36);
        assert_eq!(p.vendor, vec![1, 2, 3, 4]);
        let out = p.to_bytes();
        assert_eq!(out.len(), 56);
        assert_eq!(out[0], 0x05, "PS must be clear for MODE SELECT");
        assert_eq!(&out[52..], &[1, 2, 3, 4]);
        assert!(WriteParametersPage::parse(&page[..10]).is_err());
        assert!(WriteParametersPage::parse(&SCSI_CD).is_err());
    }

    proptest! {
        #[test]
        fn never_panics(raw in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = CapabilitiesPage::parse(&raw);
            if let Ok(p) = WriteParametersPage::parse(&raw) {
                let _ = p.to_bytes();
            }
        }
    }
}
