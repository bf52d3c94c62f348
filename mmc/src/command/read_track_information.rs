use super::{clip_len16, Command, Opcode, Transfer};
use crate::bytes;
use crate::ParseError;

/// The address type and value of READ TRACK INFORMATION (b1 bits 1-0, b2-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackAddress {
    /// 00b: the track containing this LBA.
    Lba(u32),
    /// 01b: this track number (FFh = the invisible/incomplete track on CD and DVD+R).
    Track(u32),
    /// 10b: the first track of this session.
    Session(u32),
}

/// READ TRACK INFORMATION (52h), MMC-6 §6.27.
///
/// Which track to ask for the next writable address (`docs/mmc-notes.md` §2.2.7): CD, DVD+R, DVD+R DL
/// → FFh; DVD-R, DVD-RW sequential, DVD-R DL, BD-R SRM, ROM media → the last track of the
/// last session; overwritable media → track 1. ROM-only drives (QEMU) reject the command with
/// 05/20/00; use READ TOC there.
#[doc(alias = "READ TRACK INFORMATION")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadTrackInformation {
    /// What to ask about.
    pub address: TrackAddress,
    /// Allocation length (b7-8); 48 covers DVD-R DL layer jump fields.
    pub allocation_length: u16,
}

impl ReadTrackInformation {
    /// The invisible (next writable) track: track number FFh.
    pub const INVISIBLE_TRACK: u32 = 0xFF;

    /// Track `n`: e.g. `52 01 00 00 00 01 00 00 30 00` for track 1.
    pub fn track(n: u32) -> Self {
        ReadTrackInformation {
            address: TrackAddress::Track(n),
            allocation_length: 48,
        }
    }

    /// The invisible track (FFh): `52 01 00 00 00 FF 00 00 30 00`.
    pub fn invisible() -> Self {
        Self::track(Self::INVISIBLE_TRACK)
    }

    /// The track containing `lba`.
    pub fn lba(lba: u32) -> Self {
        ReadTrackInformation {
            address: TrackAddress::Lba(lba),
            allocation_length: 48,
        }
    }

    /// The first track of session `n`.
    pub fn session(n: u32) -> Self {
        ReadTrackInformation {
            address: TrackAddress::Session(n),
            allocation_length: 48,
        }
    }
}

/// Track information (MMC-6 table 525).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackInformation {
    /// b0-1: data length (`total − 2`).
    pub length: u16,
    /// b2 | b32 << 8.
    pub track_number: u16,
    /// b3 | b33 << 8.
    pub session_number: u16,
    /// b5 bits 7-6: layer jump recording status.
    pub layer_jump_recording_status: u8,
    /// b5 bit 5: Damage.
    pub damage: bool,
    /// b5 bit 4: Copy.
    pub copy: bool,
    /// b5 bits 3-0: track mode (bit 2 set = data; 4 uninterrupted, 5 incremental).
    pub track_mode: u8,
    /// b6 bit 7 RT: reserved track.
    pub reserved_track: bool,
    /// b6 bit 6: Blank.
    pub blank: bool,
    /// b6 bit 5: Packet/Inc.
    pub packet: bool,
    /// b6 bit 4 FP: fixed packet.
    pub fixed_packet: bool,
    /// b6 bits 3-0: data mode (1 or Fh = Mode 1, 2048-byte blocks).
    pub data_mode: u8,
    /// b8-11: track start address.
    pub track_start: u32,
    /// b12-15 when NWA_V (b7 bit 0).
    pub next_writable_address: Option<u32>,
    /// b16-19: free blocks.
    pub free_blocks: u32,
    /// b20-23: fixed packet size / blocking factor (16 on DVD).
    pub fixed_packet_size: u32,
    /// b24-27: track size in blocks.
    pub track_size: u32,
    /// b28-31 when LRA_V (b7 bit 1) and present.
    pub last_recorded_address: Option<u32>,
    /// b36-39 when present (DVD+R read compatibility LBA).
    pub read_compatibility_lba: Option<u32>,
    /// b40-43 when present (DVD-R DL next layer jump address).
    pub next_layer_jump_address: Option<u32>,
    /// b44-47 when present (DVD-R DL last layer jump address).
    pub last_layer_jump_address: Option<u32>,
}

impl TrackInformation {
    /// True for data tracks (track mode bit 2).
    pub fn is_data(&self) -> bool {
        self.track_mode & 0x04 != 0
    }
}

impl Command for ReadTrackInformation {
    const NAME: &'static str = "READ TRACK INFORMATION";
    type Cdb = [u8; 10];
    type Response = TrackInformation;

    fn cdb(&self) -> [u8; 10] {
        let (kind, value) = match self.address {
            TrackAddress::Lba(v) => (0u8, v),
            TrackAddress::Track(v) => (1, v),
            TrackAddress::Session(v) => (2, v),
        };
        let [v0, v1, v2, v3] = value.to_be_bytes();
        let [a0, a1] = self.allocation_length.to_be_bytes();
        [
            Opcode::READ_TRACK_INFORMATION.0,
            kind,
            v0,
            v1,
            v2,
            v3,
            0,
            a0,
            a1,
            0,
        ]
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::In(usize::from(self.allocation_length))
    }

    fn parse(&self, data: &[u8]) -> Result<TrackInformation, ParseError> {
        let d = clip_len16(data)?;
        bytes::need(d, 28, "track information")?;
        let b5 = bytes::u8_at(d, 5)?;
        let b6 = bytes::u8_at(d, 6)?;
        let b7 = bytes::u8_at(d, 7)?;
        let msb = |i: usize| u16::from(d.get(i).copied().unwrap_or(0)) << 8;
        let opt = |off: usize| bytes::be_u32(d, off).ok();
        Ok(TrackInformation {
            length: bytes::be_u16(d, 0)?,
            track_number: u16::from(bytes::u8_at(d, 2)?) | msb(32),
            session_number: u16::from(bytes::u8_at(d, 3)?) | msb(33),
            layer_jump_recording_status: b5 >> 6,
            damage: bytes::bit(b5, 5),
            copy: bytes::bit(b5, 4),
            track_mode: b5 & 0x0f,
            reserved_track: bytes::bit(b6, 7),
            blank: bytes::bit(b6, 6),
            packet: bytes::bit(b6, 5),
            fixed_packet: bytes::bit(b6, 4),
            data_mode: b6 & 0x0f,
            track_start: bytes::be_u32(d, 8)?,
            next_writable_address: if bytes::bit(b7, 0) {
                Some(bytes::be_u32(d, 12)?)
            } else {
                None
            },
            free_blocks: bytes::be_u32(d, 16)?,
            fixed_packet_size: bytes::be_u32(d, 20)?,
            track_size: bytes::be_u32(d, 24)?,
            last_recorded_address: if bytes::bit(b7, 1) { opt(28) } else { None },
            read_compatibility_lba: opt(36),
            next_layer_jump_address: opt(40),
            last_layer_jump_address: opt(44),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Hand-built DVD+R invisible track per MMC-6 table 525: length 0026h (40 bytes), track 2,
    /// session 2, track mode 7 (b5), blank + FP-less incremental data mode 1 (b6 = 41h),
    /// NWA_V (b7 = 01h), start 0x5000, NWA 0x5000, free 2_274_624, packet 16, size
    /// 2_274_624, read compatibility LBA 0x4ff0.
    fn dvd_plus_r_invisible() -> Vec<u8> {
        let mut d = vec![0u8; 48];
        d[1] = 0x26;
        d[2] = 2;
        d[3] = 2;
        d[5] = 0x07;
        d[6] = 0x41;
        d[7] = 0x01;
        d[8..12].copy_from_slice(&0x5000u32.to_be_bytes());
        d[12..16].copy_from_slice(&0x5000u32.to_be_bytes());
        d[16..20].copy_from_slice(&2_274_624u32.to_be_bytes());
        d[20..24].copy_from_slice(&16u32.to_be_bytes());
        d[24..28].copy_from_slice(&2_274_624u32.to_be_bytes());
        d[36..40].copy_from_slice(&0x4ff0u32.to_be_bytes());
        d
    }

    #[test]
    fn cdbs() {
        // observed: READ TRACK INFORMATION track 1 (alloc 24h there).
        let mut r = ReadTrackInformation::track(1);
        r.allocation_length = 0x24;
        assert_eq!(r.cdb(), [0x52, 0x01, 0, 0, 0, 0x01, 0, 0, 0x24, 0]);
        // docs/mmc-notes.md §2.1 example, track FFh.
        assert_eq!(
            ReadTrackInformation::invisible().cdb(),
            [0x52, 0x01, 0, 0, 0, 0xff, 0, 0, 0x30, 0]
        );
        assert_eq!(
            ReadTrackInformation::lba(0x12345).cdb(),
            [0x52, 0, 0, 0x01, 0x23, 0x45, 0, 0, 0x30, 0]
        );
        assert_eq!(ReadTrackInformation::session(2).cdb()[1], 0x02);
    }

    #[test]
    fn dvd_plus_r_invisible_track() {
        let t = ReadTrackInformation::invisible()
            .parse(&dvd_plus_r_invisible())
            .unwrap();
        assert_eq!((t.track_number, t.session_number), (2, 2));
        assert!(t.blank && t.is_data() && !t.damage && !t.reserved_track);
        assert_eq!(t.track_mode, 7);
        assert_eq!(t.data_mode, 1);
        assert_eq!(t.track_start, 0x5000);
        assert_eq!(t.next_writable_address, Some(0x5000));
        assert_eq!(t.free_blocks, 2_274_624);
        assert_eq!(t.fixed_packet_size, 16);
        assert_eq!(t.last_recorded_address, None);
        assert_eq!(t.read_compatibility_lba, Some(0x4ff0));
        // Length 26h ends the reply at byte 40: layer jump fields are absent, not zero.
        assert_eq!(t.next_layer_jump_address, None);
    }

    #[test]
    fn closed_track_with_lra() {
        // Hand-built closed data track 1: track mode 4, not blank, LRA_V only (b7 = 02h),
        // LRA 0x4fff, 36-byte reply (length 0022h), track 300 via MSB byte 32.
        let mut d = dvd_plus_r_invisible();
        d.truncate(36);
        d[1] = 0x22;
        d[2] = 0x2c;
        d[32] = 0x01;
        d[5] = 0x04;
        d[6] = 0x01;
        d[7] = 0x02;
        d[28..32].copy_from_slice(&0x4fffu32.to_be_bytes());
        let t = ReadTrackInformation::track(300).parse(&d).unwrap();
        assert_eq!(t.track_number, 300);
        assert!(!t.blank);
        assert_eq!(t.next_writable_address, None);
        assert_eq!(t.last_recorded_address, Some(0x4fff));
        assert_eq!(t.read_compatibility_lba, None);
        assert!(ReadTrackInformation::track(1).parse(&d[..20]).is_err());
    }

    proptest! {
        #[test]
        fn never_panics(raw in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = ReadTrackInformation::track(1).parse(&raw);
        }
    }
}
