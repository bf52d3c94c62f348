use std::fmt;

use super::{clip_len16, Command, Opcode, Transfer};
use crate::bytes;
use crate::ParseError;

/// A CD time address: minute, second, frame (75 frames per second).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Msf {
    /// Minutes.
    pub m: u8,
    /// Seconds (0-59).
    pub s: u8,
    /// Frames (0-74).
    pub f: u8,
}

impl Msf {
    /// Frames per second.
    pub const FRAMES_PER_SECOND: i32 = 75;
    /// The 2-second pregap between MSF 00:00:00 and LBA 0.
    pub const LBA_OFFSET: i32 = 150;
    /// MSF minutes 90-99 address the lead-in: LBA = frames − 450150 (MMC-6 table 10).
    pub const LEAD_IN_OFFSET: i32 = 450_150;

    /// Builds an MSF.
    pub fn new(m: u8, s: u8, f: u8) -> Self {
        Msf { m, s, f }
    }

    fn frames(self) -> i32 {
        (i32::from(self.m) * 60 + i32::from(self.s)) * Self::FRAMES_PER_SECOND + i32::from(self.f)
    }

    /// CD LBA per MMC: frames − 150 for M < 90, frames − 450150 for M ≥ 90 (negative lead-in
    /// addresses, as ATIP reports the lead-in start).
    pub fn to_lba(self) -> i32 {
        if self.m >= 90 {
            self.frames() - Self::LEAD_IN_OFFSET
        } else {
            self.frames() - Self::LBA_OFFSET
        }
    }

    /// frames − 150 with no lead-in rule. TOC addresses are never in the lead-in, and on DVD
    /// images past 90 minutes (QEMU reports 116:32:38 for a 1 GiB image) the lead-in rule
    /// would be wrong.
    pub fn to_lba_linear(self) -> i32 {
        self.frames() - Self::LBA_OFFSET
    }

    /// The MSF of a CD LBA: `lba + 150` frames for `lba ≥ −150`, `lba + 450150` below
    /// (lead-in). Minutes saturate at 255 for addresses no CD has.
    pub fn from_lba(lba: i32) -> Msf {
        let frames = if lba >= -Self::LBA_OFFSET {
            i64::from(lba) + i64::from(Self::LBA_OFFSET)
        } else {
            i64::from(lba) + i64::from(Self::LEAD_IN_OFFSET)
        }
        .max(0);
        let f = frames % 75;
        let secs = frames / 75;
        Msf {
            m: u8::try_from(secs / 60).unwrap_or(u8::MAX),
            s: u8::try_from(secs % 60).unwrap_or(0),
            f: u8::try_from(f).unwrap_or(0),
        }
    }

    fn read(buf: &[u8], off: usize) -> Result<Msf, ParseError> {
        let [m, s, f] = bytes::array::<3>(buf, off, "MSF address")?;
        Ok(Msf { m, s, f })
    }
}

impl fmt::Debug for Msf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}:{:02}", self.m, self.s, self.f)
    }
}

impl fmt::Display for Msf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A 4-byte TOC address field: an LBA (two's complement) or `00 M S F`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Address {
    /// MSF bit clear.
    Lba(i32),
    /// MSF bit set.
    Msf(Msf),
}

impl Address {
    fn read(buf: &[u8], off: usize, msf: bool) -> Result<Address, ParseError> {
        if msf {
            Ok(Address::Msf(Msf::read(buf, off + 1)?))
        } else {
            Ok(Address::Lba(bytes::be_i32(buf, off)?))
        }
    }

    /// The address as an LBA ([`Msf::to_lba_linear`] for MSF).
    pub fn lba(self) -> i32 {
        match self {
            Address::Lba(l) => l,
            Address::Msf(m) => m.to_lba_linear(),
        }
    }
}

fn toc_cdb(msf: bool, format: u8, number: u8, allocation: u16, legacy: bool) -> [u8; 10] {
    let [a0, a1] = allocation.to_be_bytes();
    // SFF-8020 drives (QEMU's ide-cd) read the format from b9 bits 7-6 instead of b2.
    let control = if legacy { (format & 0x03) << 6 } else { 0 };
    [
        Opcode::READ_TOC_PMA_ATIP.0,
        u8::from(msf) << 1,
        format & 0x0f,
        0,
        0,
        0,
        number,
        a0,
        a1,
        control,
    ]
}

/// READ TOC/PMA/ATIP (43h) format 0000b, MMC-6 §6.26.2.2: the formatted TOC.
#[doc(alias = "READ TOC/PMA/ATIP")]
#[doc(alias = "READ TOC")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadToc {
    /// MSF (b1 bit 1): addresses as `00 M S F` instead of LBAs.
    pub msf: bool,
    /// Starting track (b6); 0 = from the first track. AAh asks for the lead-out only.
    pub track: u8,
    /// Allocation length (b7-8); 804 covers 100 descriptors.
    pub allocation_length: u16,
}

impl Default for ReadToc {
    fn default() -> Self {
        ReadToc {
            msf: false,
            track: 0,
            allocation_length: 804,
        }
    }
}

/// One formatted TOC track descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TocEntry {
    /// b1 bits 7-4.
    pub adr: u8,
    /// b1 bits 3-0: bit 2 = data track.
    pub control: u8,
    /// b2: track number (AAh = lead-out).
    pub track: u8,
    /// b4-7.
    pub address: Address,
}

impl TocEntry {
    /// The lead-out's track number.
    pub const LEAD_OUT: u8 = 0xAA;

    /// True for data tracks (CONTROL bit 2).
    pub fn is_data(&self) -> bool {
        self.control & 0x04 != 0
    }

    /// True for the lead-out entry.
    pub fn is_lead_out(&self) -> bool {
        self.track == Self::LEAD_OUT
    }
}

/// The formatted TOC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toc {
    /// b2.
    pub first_track: u8,
    /// b3.
    pub last_track: u8,
    /// The track descriptors, lead-out last.
    pub entries: Vec<TocEntry>,
}

impl Toc {
    /// The lead-out entry.
    pub fn lead_out(&self) -> Option<&TocEntry> {
        self.entries.iter().find(|e| e.is_lead_out())
    }

    /// The track entries (without the lead-out).
    pub fn tracks(&self) -> impl Iterator<Item = &TocEntry> {
        self.entries.iter().filter(|e| !e.is_lead_out())
    }
}

impl Command for ReadToc {
    const NAME: &'static str = "READ TOC/PMA/ATIP";
    type Cdb = [u8; 10];
    type Response = Toc;

    fn cdb(&self) -> [u8; 10] {
        toc_cdb(self.msf, 0, self.track, self.allocation_length, false)
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::In(usize::from(self.allocation_length))
    }

    fn parse(&self, data: &[u8]) -> Result<Toc, ParseError> {
        let d = clip_len16(data)?;
        bytes::need(d, 4, "TOC header")?;
        let entries = bytes::tail(d, 4)
            .chunks_exact(8)
            .map(|e| {
                let b1 = bytes::u8_at(e, 1)?;
                Ok(TocEntry {
                    adr: b1 >> 4,
                    control: b1 & 0x0f,
                    track: bytes::u8_at(e, 2)?,
                    address: Address::read(e, 4, self.msf)?,
                })
            })
            .collect::<Result<_, ParseError>>()?;
        Ok(Toc {
            first_track: bytes::u8_at(d, 2)?,
            last_track: bytes::u8_at(d, 3)?,
            entries,
        })
    }
}

/// READ TOC/PMA/ATIP (43h) format 0001b, MMC-6 §6.26.2.3: multi-session information (the
/// first track of the last complete session and its start, as the kernel uses to mount the
/// last session). QEMU's scsi-cd zeroes the descriptor.
#[doc(alias = "READ TOC/PMA/ATIP")]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadSessionInfo {
    /// MSF (b1 bit 1).
    pub msf: bool,
    /// Also put the format in b9 bits 7-6 (SFF-8020 drives such as QEMU's ide-cd).
    pub legacy_format: bool,
}

/// Multi-session information.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionInfo {
    /// b2: first complete session number.
    pub first_complete_session: u8,
    /// b3: last complete session number.
    pub last_complete_session: u8,
    /// b5 bits 7-4.
    pub adr: u8,
    /// b5 bits 3-0.
    pub control: u8,
    /// b6: first track number in the last complete session.
    pub first_track_in_last_session: u8,
    /// b8-11: its start address.
    pub start: Address,
}

impl Command for ReadSessionInfo {
    const NAME: &'static str = "READ TOC/PMA/ATIP";
    type Cdb = [u8; 10];
    type Response = SessionInfo;

    fn cdb(&self) -> [u8; 10] {
        toc_cdb(self.msf, 1, 0, 12, self.legacy_format)
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::In(12)
    }

    fn parse(&self, data: &[u8]) -> Result<SessionInfo, ParseError> {
        let d = clip_len16(data)?;
        bytes::need(d, 12, "session information")?;
        let b5 = bytes::u8_at(d, 5)?;
        Ok(SessionInfo {
            first_complete_session: bytes::u8_at(d, 2)?,
            last_complete_session: bytes::u8_at(d, 3)?,
            adr: b5 >> 4,
            control: b5 & 0x0f,
            first_track_in_last_session: bytes::u8_at(d, 6)?,
            start: Address::read(d, 8, self.msf)?,
        })
    }
}

/// READ TOC/PMA/ATIP (43h) format 0010b, MMC-6 §6.26.2.4: the full (raw) TOC, CD only. Use
/// MSF addressing. QEMU's ide-cd ignores the b2 format and answers format 0 (see
/// [`legacy_format`](Self::legacy_format)).
#[doc(alias = "READ TOC/PMA/ATIP")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadFullToc {
    /// Starting session (b6).
    pub session: u8,
    /// MSF (b1 bit 1).
    pub msf: bool,
    /// Allocation length (b7-8).
    pub allocation_length: u16,
    /// Also put the format in b9 bits 7-6 (SFF-8020 drives).
    pub legacy_format: bool,
}

impl Default for ReadFullToc {
    fn default() -> Self {
        ReadFullToc {
            session: 0,
            msf: true,
            allocation_length: 804,
            legacy_format: false,
        }
    }
}

/// One 11-byte full TOC descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FullTocEntry {
    /// Session number.
    pub session: u8,
    /// ADR (bits 7-4 of the second byte).
    pub adr: u8,
    /// CONTROL (bits 3-0).
    pub control: u8,
    /// TNO (0 in the lead-in).
    pub tno: u8,
    /// POINT: 01-63 track start; A0 first track; A1 last track; A2 lead-out; B0 next
    /// writable address; C0 ATIP values.
    pub point: u8,
    /// ATIME minute.
    pub min: u8,
    /// ATIME second.
    pub sec: u8,
    /// ATIME frame.
    pub frame: u8,
    /// ZERO byte.
    pub zero: u8,
    /// PMIN.
    pub pmin: u8,
    /// PSEC.
    pub psec: u8,
    /// PFRAME.
    pub pframe: u8,
}

impl FullTocEntry {
    /// POINT A0h: first track number (PMIN) and disc type (PSEC).
    pub const FIRST_TRACK: u8 = 0xA0;
    /// POINT A1h: last track number (PMIN).
    pub const LAST_TRACK: u8 = 0xA1;
    /// POINT A2h: lead-out start (PMSF).
    pub const LEAD_OUT: u8 = 0xA2;
    /// POINT B0h: next writable address (ATIME); FF:FF:FF when no further session.
    pub const NEXT_WRITABLE: u8 = 0xB0;

    /// PMIN:PSEC:PFRAME.
    pub fn pmsf(&self) -> Msf {
        Msf::new(self.pmin, self.psec, self.pframe)
    }

    /// MIN:SEC:FRAME.
    pub fn atime(&self) -> Msf {
        Msf::new(self.min, self.sec, self.frame)
    }
}

/// The full TOC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullToc {
    /// b2: first complete session.
    pub first_complete_session: u8,
    /// b3: last complete session.
    pub last_complete_session: u8,
    /// The descriptors: `(length − 2) / 11` of them.
    pub entries: Vec<FullTocEntry>,
}

impl FullToc {
    /// The lead-out start of `session` (POINT A2h PMSF).
    pub fn lead_out(&self, session: u8) -> Option<Msf> {
        self.entries
            .iter()
            .find(|e| e.session == session && e.point == FullTocEntry::LEAD_OUT)
            .map(FullTocEntry::pmsf)
    }

    /// Track starts (POINT 01h-63h) as `(track, start)`.
    pub fn track_starts(&self) -> Vec<(u8, Msf)> {
        self.entries
            .iter()
            .filter(|e| (0x01..=0x63).contains(&e.point))
            .map(|e| (e.point, e.pmsf()))
            .collect()
    }
}

impl Command for ReadFullToc {
    const NAME: &'static str = "READ TOC/PMA/ATIP";
    type Cdb = [u8; 10];
    type Response = FullToc;

    fn cdb(&self) -> [u8; 10] {
        toc_cdb(
            self.msf,
            2,
            self.session,
            self.allocation_length,
            self.legacy_format,
        )
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::In(usize::from(self.allocation_length))
    }

    fn parse(&self, data: &[u8]) -> Result<FullToc, ParseError> {
        let d = clip_len16(data)?;
        bytes::need(d, 4, "full TOC header")?;
        let entries = bytes::tail(d, 4)
            .chunks_exact(11)
            .map(|e| {
                let [session, ctl, tno, point, min, sec, frame, zero, pmin, psec, pframe] =
                    bytes::array::<11>(e, 0, "full TOC descriptor")?;
                Ok(FullTocEntry {
                    session,
                    adr: ctl >> 4,
                    control: ctl & 0x0f,
                    tno,
                    point,
                    min,
                    sec,
                    frame,
                    zero,
                    pmin,
                    psec,
                    pframe,
                })
            })
            .collect::<Result<_, ParseError>>()?;
        Ok(FullToc {
            first_complete_session: bytes::u8_at(d, 2)?,
            last_complete_session: bytes::u8_at(d, 3)?,
            entries,
        })
    }
}

/// READ TOC/PMA/ATIP (43h) format 0100b, MMC-6 §6.26.2.6: ATIP of CD-R/RW media. Fails on
/// pressed CDs (QEMU: 05/24/00) and returns garbage on some drives, so check
/// [`Atip::is_plausible`].
#[doc(alias = "READ TOC/PMA/ATIP")]
#[doc(alias = "ATIP")]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadAtip;

/// ATIP data (MMC-6 table 496); offsets are from the start of the reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Atip {
    /// b4 bits 7-4: indicative target writing power.
    pub writing_power: u8,
    /// b4 bit 3: DDCD.
    pub ddcd: bool,
    /// b4 bits 2-0: reference speed.
    pub reference_speed: u8,
    /// b5 bit 6: URU.
    pub unrestricted_use: bool,
    /// b6 bit 6: disc type (set = CD-RW).
    pub cd_rw: bool,
    /// b6 bits 5-3: disc sub-type.
    pub disc_subtype: u8,
    /// b6 bits 2-0: A1, A2, A3 valid.
    pub a_valid: (bool, bool, bool),
    /// b8-10: start time of the lead-in (minute ≥ 90).
    pub lead_in_start: Msf,
    /// b12-14: last possible start time of the lead-out (the medium's capacity).
    pub last_possible_lead_out: Msf,
}

impl Atip {
    /// True when the lead-in is at minute ≥ 90 and before a positive lead-out.
    pub fn is_plausible(&self) -> bool {
        self.lead_in_start.m >= 90
            && self.last_possible_lead_out.m < 90
            && self.last_possible_lead_out.to_lba() > 0
    }
}

impl Command for ReadAtip {
    const NAME: &'static str = "READ TOC/PMA/ATIP";
    type Cdb = [u8; 10];
    type Response = Atip;

    fn cdb(&self) -> [u8; 10] {
        toc_cdb(true, 4, 0, 32, false)
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::In(32)
    }

    fn parse(&self, data: &[u8]) -> Result<Atip, ParseError> {
        let d = clip_len16(data)?;
        bytes::need(d, 15, "ATIP")?;
        let b4 = bytes::u8_at(d, 4)?;
        let b6 = bytes::u8_at(d, 6)?;
        Ok(Atip {
            writing_power: b4 >> 4,
            ddcd: bytes::bit(b4, 3),
            reference_speed: b4 & 0x07,
            unrestricted_use: bytes::bit(bytes::u8_at(d, 5)?, 6),
            cd_rw: bytes::bit(b6, 6),
            disc_subtype: (b6 >> 3) & 0x07,
            a_valid: (bytes::bit(b6, 2), bytes::bit(b6, 1), bytes::bit(b6, 0)),
            lead_in_start: Msf::read(d, 8)?,
            last_possible_lead_out: Msf::read(d, 12)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // docs/qemu-notes.md §3.6 (identical on ide-cd): format 0, LBA. Length 0012h, tracks
    // 1-1; track 1 ADR 1 CTL 4 at 0; lead-out AAh ADR 1 CTL 6 at 524288.
    const DVD_TOC_LBA: [u8; 20] = [
        0x00, 0x12, 0x01, 0x01, 0x00, 0x14, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x16, 0xaa,
        0x00, 0x00, 0x08, 0x00, 0x00,
    ];
    // docs/qemu-notes.md §3.6: format 0, MSF. Track 1 at 00:02:00; lead-out 116:32:38.
    const DVD_TOC_MSF: [u8; 20] = [
        0x00, 0x12, 0x01, 0x01, 0x00, 0x14, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x16, 0xaa,
        0x00, 0x00, 0x74, 0x20, 0x26,
    ];
    // docs/qemu-notes.md §4: lead-out LBA 1649 / MSF 00:23:74.
    const CD_TOC_MSF: [u8; 20] = [
        0x00, 0x12, 0x01, 0x01, 0x00, 0x14, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x16, 0xaa,
        0x00, 0x00, 0x00, 0x17, 0x4a,
    ];

    #[test]
    fn cdbs() {
        // observed: READ TOC format 0 (LBA)  CDB: 43 00 00 00 00 00 00 03 24 00
        assert_eq!(
            ReadToc::default().cdb(),
            [0x43, 0, 0, 0, 0, 0, 0, 0x03, 0x24, 0]
        );
        // observed: format 0 (MSF)  CDB: 43 02 00 00 00 00 00 03 24 00
        let msf = ReadToc {
            msf: true,
            ..ReadToc::default()
        };
        assert_eq!(msf.cdb(), [0x43, 0x02, 0, 0, 0, 0, 0, 0x03, 0x24, 0]);
        // observed: format 1  CDB: 43 00 01 00 00 00 00 00 0c 00
        assert_eq!(
            ReadSessionInfo::default().cdb(),
            [0x43, 0, 0x01, 0, 0, 0, 0, 0, 0x0c, 0]
        );
        // README: sg_raw 43 … 0c 40 gets the session info from ide-cd.
        let legacy = ReadSessionInfo {
            legacy_format: true,
            ..Default::default()
        };
        assert_eq!(legacy.cdb(), [0x43, 0, 0x01, 0, 0, 0, 0, 0, 0x0c, 0x40]);
        // observed: format 2 MSF  CDB: 43 02 02 00 00 00 00 03 24 00
        assert_eq!(
            ReadFullToc::default().cdb(),
            [0x43, 0x02, 0x02, 0, 0, 0, 0, 0x03, 0x24, 0]
        );
        assert_eq!(ReadAtip.cdb(), [0x43, 0x02, 0x04, 0, 0, 0, 0, 0, 0x20, 0]);
    }

    #[test]
    fn toc_lba_and_msf() {
        let mut buf = vec![0u8; 804];
        buf[..20].copy_from_slice(&DVD_TOC_LBA);
        let t = ReadToc::default().parse(&buf).unwrap();
        assert_eq!((t.first_track, t.last_track), (1, 1));
        assert_eq!(t.entries.len(), 2);
        let t1 = t.tracks().next().unwrap();
        assert_eq!((t1.adr, t1.control, t1.track), (1, 4, 1));
        assert!(t1.is_data());
        assert_eq!(t1.address, Address::Lba(0));
        let lo = t.lead_out().unwrap();
        assert_eq!(lo.control, 6);
        assert_eq!(lo.address.lba(), 524_288);

        let msf = ReadToc {
            msf: true,
            ..ReadToc::default()
        };
        let t = msf.parse(&DVD_TOC_MSF).unwrap();
        assert_eq!(t.entries[0].address, Address::Msf(Msf::new(0, 2, 0)));
        assert_eq!(t.entries[0].address.lba(), 0);
        assert_eq!(
            t.lead_out().unwrap().address,
            Address::Msf(Msf::new(116, 32, 38))
        );
        assert_eq!(t.lead_out().unwrap().address.lba(), 524_288);
        let t = msf.parse(&CD_TOC_MSF).unwrap();
        assert_eq!(t.lead_out().unwrap().address.lba(), 1649);
    }

    #[test]
    fn session_info() {
        // docs/qemu-notes.md §4: 00 0a 01 01 00 00 00 00 00 00 00 00 (zeroed
        // descriptor, a QEMU quirk).
        let s = ReadSessionInfo::default()
            .parse(&[0x00, 0x0a, 0x01, 0x01, 0, 0, 0, 0, 0, 0, 0, 0])
            .unwrap();
        assert_eq!((s.first_complete_session, s.last_complete_session), (1, 1));
        assert_eq!(s.first_track_in_last_session, 0);
        assert_eq!(s.start, Address::Lba(0));
        // Real drive, second session starting at LBA 18000 (hand-built per MMC-6 table 480).
        let mut d = [0x00, 0x0a, 0x01, 0x02, 0x00, 0x14, 0x02, 0x00, 0, 0, 0, 0];
        d[8..12].copy_from_slice(&18000u32.to_be_bytes());
        let s = ReadSessionInfo::default().parse(&d).unwrap();
        assert_eq!(s.first_track_in_last_session, 2);
        assert_eq!(s.start.lba(), 18000);
        // docs/qemu-notes.md §6: ide-cd ignored b2 and sent format 0 data
        // clipped to 12 bytes; it still parses, which is why legacy_format exists.
        assert!(ReadSessionInfo::default().parse(&DVD_TOC_LBA[..12]).is_ok());
        assert!(ReadSessionInfo::default().parse(&DVD_TOC_LBA[..8]).is_err());
    }

    #[test]
    fn full_toc() {
        // docs/qemu-notes.md §3.6: format 2 MSF, length 002Eh = 4 descriptors: A0
        // (first track 1, disc type 0), A1 (last track 1), A2 (lead-out 116:32:38), track 1
        // at 00:02:00.
        let d = [
            0x00, 0x2e, 0x01, 0x01, //
            0x01, 0x14, 0x00, 0xa0, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, //
            0x01, 0x14, 0x00, 0xa1, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, //
            0x01, 0x14, 0x00, 0xa2, 0x00, 0x00, 0x00, 0x00, 0x74, 0x20, 0x26, //
            0x01, 0x14, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, //
            0x00, 0x00, 0x00,
        ];
        let t = ReadFullToc::default().parse(&d).unwrap();
        assert_eq!(t.entries.len(), 4);
        assert_eq!(t.entries[0].point, FullTocEntry::FIRST_TRACK);
        assert_eq!(t.entries[0].pmin, 1);
        assert_eq!(t.lead_out(1), Some(Msf::new(116, 32, 38)));
        assert_eq!(t.track_starts(), vec![(1, Msf::new(0, 2, 0))]);
        assert_eq!(t.lead_out(2), None);
        // docs/qemu-notes.md §4: lead-out 00:23:74.
        let mut cd = d;
        cd[34..37].copy_from_slice(&[0x00, 0x17, 0x4a]);
        let t = ReadFullToc::default().parse(&cd).unwrap();
        assert_eq!(t.lead_out(1).unwrap().to_lba(), 1649);
    }

    #[test]
    fn atip() {
        // Hand-built CD-RW ATIP per MMC-6 table 496: b6 = C0h (1, CD-RW), lead-in 97:26:66,
        // last possible lead-out 79:59:74.
        let d = [
            0x00, 0x1a, 0x00, 0x00, 0x52, 0x00, 0xc0, 0x00, 97, 26, 66, 0x00, 79, 59, 74, 0x00,
        ];
        let a = ReadAtip.parse(&d).unwrap();
        assert!(a.cd_rw);
        assert_eq!(a.writing_power, 5);
        assert_eq!(a.reference_speed, 2);
        assert_eq!(a.lead_in_start, Msf::new(97, 26, 66));
        assert_eq!(a.lead_in_start.to_lba(), -11634);
        assert_eq!(a.last_possible_lead_out.to_lba(), 359_849);
        assert!(a.is_plausible());
        let mut bad = d;
        bad[8] = 10;
        assert!(!ReadAtip.parse(&bad).unwrap().is_plausible());
    }

    #[test]
    fn msf_conversions() {
        assert_eq!(Msf::new(0, 2, 0).to_lba(), 0);
        assert_eq!(Msf::new(0, 0, 0).to_lba(), -150);
        assert_eq!(Msf::new(79, 59, 74).to_lba(), 359_849);
        assert_eq!(Msf::new(90, 0, 0).to_lba(), -45_150);
        // The lead-in ends right before 00:00:00 (LBA −150).
        assert_eq!(Msf::new(99, 59, 74).to_lba(), -151);
        assert_eq!(Msf::new(116, 32, 38).to_lba_linear(), 524_288);
        for lba in [-45_150, -11_634, -151, -150, -1, 0, 1, 1649, 359_849] {
            assert_eq!(Msf::from_lba(lba).to_lba(), lba, "{lba}");
        }
        assert_eq!(Msf::from_lba(-150), Msf::new(0, 0, 0));
        assert_eq!(Msf::from_lba(-1), Msf::new(0, 1, 74));
        assert_eq!(Msf::from_lba(-151), Msf::new(99, 59, 74));
        assert_eq!(Msf::from_lba(i32::MIN), Msf::new(0, 0, 0));
        assert_eq!(Msf::from_lba(i32::MAX).m, u8::MAX);
        assert_eq!(Msf::new(1, 2, 3).to_string(), "01:02:03");
        // Two's-complement LBA field: −150 = FF FF FF 6A.
        assert_eq!(
            Address::read(&[0xff, 0xff, 0xff, 0x6a], 0, false)
                .unwrap()
                .lba(),
            -150
        );
    }

    proptest! {
        #[test]
        fn never_panics(raw in proptest::collection::vec(any::<u8>(), 0..120), msf in any::<bool>()) {
            let _ = ReadToc { msf, ..ReadToc::default() }.parse(&raw);
            let _ = ReadSessionInfo { msf, legacy_format: false }.parse(&raw);
            let _ = ReadFullToc::default().parse(&raw);
            let _ = ReadAtip.parse(&raw).map(|a| a.is_plausible());
        }

        #[test]
        fn msf_round_trips(lba in -45_150i32..=404_849) {
            prop_assert_eq!(Msf::from_lba(lba).to_lba(), lba);
        }
    }
}
