use super::{clip_len16, Command, Opcode, Transfer};
use crate::bytes;
use crate::ParseError;

/// READ DISC INFORMATION (51h), MMC-6 §6.22, data type 000b (standard disc information).
#[doc(alias = "READ DISC INFORMATION")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadDiscInformation {
    /// Allocation length (b7-8); 34 covers everything but the OPC tables.
    pub allocation_length: u16,
}

impl Default for ReadDiscInformation {
    fn default() -> Self {
        ReadDiscInformation {
            allocation_length: 34,
        }
    }
}

/// Disc status (b2 bits 1-0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DiscStatus {
    /// 00b: blank.
    Blank,
    /// 01b: incomplete (appendable).
    Appendable,
    /// 10b: complete (finalized, or a ROM).
    Complete,
    /// 11b: others (e.g. DVD-RAM, random-access media).
    Other,
}

impl DiscStatus {
    /// "blank", "appendable", "complete" or "other".
    pub fn as_str(self) -> &'static str {
        match self {
            DiscStatus::Blank => "blank",
            DiscStatus::Appendable => "appendable",
            DiscStatus::Complete => "complete",
            DiscStatus::Other => "other",
        }
    }
}

/// State of the last session (b2 bits 3-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionState {
    /// 00b: empty.
    Empty,
    /// 01b: incomplete (open).
    Incomplete,
    /// 10b: reserved / damaged.
    Damaged,
    /// 11b: complete.
    Complete,
}

impl SessionState {
    /// "empty", "incomplete", "damaged" or "complete".
    pub fn as_str(self) -> &'static str {
        match self {
            SessionState::Empty => "empty",
            SessionState::Incomplete => "incomplete",
            SessionState::Damaged => "damaged",
            SessionState::Complete => "complete",
        }
    }
}

/// Background format status (b7 bits 1-0), meaningful for DVD+RW and BD-RE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BgFormatStatus {
    /// 00b: neither formatted nor formatting (blank DVD+RW).
    None,
    /// 01b: a background format was started but is not running (suspended).
    Suspended,
    /// 10b: background format in progress.
    InProgress,
    /// 11b: background format complete.
    Complete,
}

/// Standard disc information (MMC-6 table 311).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscInformation {
    /// b0-1: disc information length (`total − 2`; 0020h without OPC tables).
    pub length: u16,
    /// b2 bit 4: the medium can be blanked/erased (CD-RW, DVD-RW).
    pub erasable: bool,
    /// b2 bits 3-2.
    pub last_session_state: SessionState,
    /// b2 bits 1-0.
    pub disc_status: DiscStatus,
    /// b3: number of the first track on the disc.
    pub first_track: u8,
    /// b4 | b9 << 8.
    pub sessions: u16,
    /// b5 | b10 << 8: first track in the last session.
    pub first_track_in_last_session: u16,
    /// b6 | b11 << 8: last track in the last session (including an invisible or incomplete
    /// track on appendable media).
    pub last_track_in_last_session: u16,
    /// b7 bit 7 DID_V.
    pub disc_id_valid: bool,
    /// b7 bit 6 DBC_V.
    pub bar_code_valid: bool,
    /// b7 bit 5 URU: unrestricted use.
    pub unrestricted_use: bool,
    /// b7 bit 4 DAC_V.
    pub application_code_valid: bool,
    /// b7 bit 2 Dbit: MRW / DVD+RW dirty bit.
    pub dirty: bool,
    /// b7 bits 1-0.
    pub bg_format_status: BgFormatStatus,
    /// b8: disc type (00h CD-DA/CD-ROM, 10h CD-I, 20h CD-ROM XA, FFh undefined).
    pub disc_type: u8,
    /// b12-15, when DID_V.
    pub disc_id: Option<u32>,
    /// b16-19 raw: last session lead-in start (CD: `00 M S F`; otherwise an LBA).
    pub last_session_lead_in: u32,
    /// b20-23 raw: last possible lead-out start (CD: `00 M S F`; blank CD-R: capacity).
    pub last_possible_lead_out: u32,
    /// b24-31, when DBC_V and present.
    pub bar_code: Option<[u8; 8]>,
    /// b32, when DAC_V and present.
    pub application_code: Option<u8>,
    /// b33: number of OPC tables (0 when absent).
    pub opc_tables: u8,
}

impl Command for ReadDiscInformation {
    const NAME: &'static str = "READ DISC INFORMATION";
    type Cdb = [u8; 10];
    type Response = DiscInformation;

    fn cdb(&self) -> [u8; 10] {
        let [a0, a1] = self.allocation_length.to_be_bytes();
        [Opcode::READ_DISC_INFORMATION.0, 0, 0, 0, 0, 0, 0, a0, a1, 0]
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::In(usize::from(self.allocation_length))
    }

    fn parse(&self, data: &[u8]) -> Result<DiscInformation, ParseError> {
        let d = clip_len16(data)?;
        bytes::need(d, 24, "disc information")?;
        let b2 = bytes::u8_at(d, 2)?;
        let b7 = bytes::u8_at(d, 7)?;
        let lsb_msb = |lo: usize, hi: usize| -> Result<u16, ParseError> {
            Ok(u16::from(bytes::u8_at(d, lo)?) | u16::from(bytes::u8_at(d, hi)?) << 8)
        };
        let did_v = bytes::bit(b7, 7);
        let dbc_v = bytes::bit(b7, 6);
        let dac_v = bytes::bit(b7, 4);
        Ok(DiscInformation {
            length: bytes::be_u16(d, 0)?,
            erasable: bytes::bit(b2, 4),
            last_session_state: match (b2 >> 2) & 3 {
                0 => SessionState::Empty,
                1 => SessionState::Incomplete,
                2 => SessionState::Damaged,
                _ => SessionState::Complete,
            },
            disc_status: match b2 & 3 {
                0 => DiscStatus::Blank,
                1 => DiscStatus::Appendable,
                2 => DiscStatus::Complete,
                _ => DiscStatus::Other,
            },
            first_track: bytes::u8_at(d, 3)?,
            sessions: lsb_msb(4, 9)?,
            first_track_in_last_session: lsb_msb(5, 10)?,
            last_track_in_last_session: lsb_msb(6, 11)?,
            disc_id_valid: did_v,
            bar_code_valid: dbc_v,
            unrestricted_use: bytes::bit(b7, 5),
            application_code_valid: dac_v,
            dirty: bytes::bit(b7, 2),
            bg_format_status: match b7 & 3 {
                0 => BgFormatStatus::None,
                1 => BgFormatStatus::Suspended,
                2 => BgFormatStatus::InProgress,
                _ => BgFormatStatus::Complete,
            },
            disc_type: bytes::u8_at(d, 8)?,
            disc_id: if did_v {
                Some(bytes::be_u32(d, 12)?)
            } else {
                None
            },
            last_session_lead_in: bytes::be_u32(d, 16)?,
            last_possible_lead_out: bytes::be_u32(d, 20)?,
            bar_code: if dbc_v {
                bytes::array::<8>(d, 24, "bar code").ok()
            } else {
                None
            },
            application_code: if dac_v { d.get(32).copied() } else { None },
            opc_tables: d.get(33).copied().unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // docs/qemu-notes.md §3.7 (same on ide-cd and CD media): length 0020h, b2 0Eh
    // (complete session, complete disc), first track 1, 1 session, tracks 1/1, b7 20h (URU),
    // disc type 0, no addresses.
    const QEMU: [u8; 34] = [
        0x00, 0x20, 0x0e, 0x01, 0x01, 0x01, 0x01, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00,
    ];

    #[test]
    fn cdb() {
        // docs/qemu-notes.md §2 and docs/mmc-notes.md §2.1: 51 00 00 00 00 00 00 00 22 00
        assert_eq!(
            ReadDiscInformation::default().cdb(),
            [0x51, 0, 0, 0, 0, 0, 0, 0, 0x22, 0]
        );
    }

    #[test]
    fn qemu_complete_rom() {
        let d = ReadDiscInformation::default().parse(&QEMU).unwrap();
        assert_eq!(d.length, 32);
        assert_eq!(d.disc_status, DiscStatus::Complete);
        assert_eq!(d.last_session_state, SessionState::Complete);
        assert!(!d.erasable);
        assert_eq!((d.first_track, d.sessions), (1, 1));
        assert_eq!(
            (d.first_track_in_last_session, d.last_track_in_last_session),
            (1, 1)
        );
        assert!(d.unrestricted_use && !d.disc_id_valid);
        assert_eq!(d.bg_format_status, BgFormatStatus::None);
        assert_eq!(d.disc_id, None);
        assert_eq!(d.opc_tables, 0);
    }

    #[test]
    fn appendable_dvd_plus_r() {
        // Hand-built per MMC-6 table 311: appendable DVD+R, 2 sessions (b4), first track in
        // last session 2 (b5), last track 3 (b6: the invisible track), last session
        // incomplete (b2 = 01b << 2 | 01b = 05h).
        let mut d = QEMU;
        d[2] = 0x05;
        d[4] = 0x02;
        d[5] = 0x02;
        d[6] = 0x03;
        d[7] = 0x00;
        d[20..24].copy_from_slice(&2_295_104u32.to_be_bytes());
        let i = ReadDiscInformation::default().parse(&d).unwrap();
        assert_eq!(i.disc_status, DiscStatus::Appendable);
        assert_eq!(i.last_session_state, SessionState::Incomplete);
        assert_eq!(i.sessions, 2);
        assert_eq!(i.last_track_in_last_session, 3);
        assert_eq!(i.last_possible_lead_out, 2_295_104);
        d[9] = 0x01; // sessions MSB
        d[11] = 0x01; // last track MSB
        let i = ReadDiscInformation::default().parse(&d).unwrap();
        assert_eq!(i.sessions, 258);
        assert_eq!(i.last_track_in_last_session, 259);
    }

    #[test]
    fn blank_dvd_plus_rw_and_bg_format() {
        // Hand-built: DVD+RW, erasable (b2 bit 4), status other, BG format suspended (b7 01b),
        // DID_V with disc id, DBC_V with bar code, DAC_V with application code 0x42.
        let mut d = QEMU;
        d[2] = 0x1f;
        d[7] = 0xd1;
        d[12..16].copy_from_slice(&0xdead_beefu32.to_be_bytes());
        d[24..32].copy_from_slice(b"BARCODE!");
        d[32] = 0x42;
        let i = ReadDiscInformation::default().parse(&d).unwrap();
        assert!(i.erasable);
        assert_eq!(i.disc_status, DiscStatus::Other);
        assert_eq!(i.bg_format_status, BgFormatStatus::Suspended);
        assert_eq!(i.disc_id, Some(0xdead_beef));
        assert_eq!(i.bar_code, Some(*b"BARCODE!"));
        assert_eq!(i.application_code, Some(0x42));
    }

    #[test]
    fn honours_length_field() {
        // Length 0016h (24 bytes total) in a 34-byte buffer full of junk past byte 24.
        let mut d = [0xffu8; 34];
        d[..24].copy_from_slice(&QEMU[..24]);
        d[0] = 0;
        d[1] = 22;
        d[7] = 0x70; // DBC_V, URU, DAC_V: their fields lie past the declared length
        let i = ReadDiscInformation::default().parse(&d).unwrap();
        assert_eq!(i.bar_code, None);
        assert_eq!(i.application_code, None);
        assert_eq!(i.opc_tables, 0);
        assert!(ReadDiscInformation::default().parse(&QEMU[..20]).is_err());
    }

    proptest! {
        #[test]
        fn never_panics(raw in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = ReadDiscInformation::default().parse(&raw);
        }
    }
}
