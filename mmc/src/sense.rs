//! Sense data: decoding of fixed (70h/71h) and descriptor (72h/73h) formats, sense keys, and
//! the retry classification of SPC/MMC conditions.
//!
//! # References
//! SPC-5 §4.4 (sense data), §4.4.2.4 (progress indication descriptor), §4.4.3 (fixed format);
//! MMC-6 §4.11 and annex F; `docs/mmc-notes.md` §1.4, §4.1-4.3.

use std::fmt;

use crate::asc::AscAscq;
use crate::bytes;
use crate::ParseError;

/// The sense key (SPC-5 table 48): a closed set of sixteen values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum SenseKey {
    /// 0: no specific sense key information.
    NoSense = 0x0,
    /// 1: the command completed after recovery; treat as success.
    RecoveredError = 0x1,
    /// 2: the logical unit is not ready (no medium, becoming ready, long operation running).
    NotReady = 0x2,
    /// 3: a flaw in the medium or the recorded data.
    MediumError = 0x3,
    /// 4: a hardware failure.
    HardwareError = 0x4,
    /// 5: something in the CDB or parameter list is not acceptable.
    IllegalRequest = 0x5,
    /// 6: medium changed, reset, or parameters changed since the last command.
    UnitAttention = 0x6,
    /// 7: the medium is write protected.
    DataProtect = 0x7,
    /// 8: blank or non-blank medium where the other was expected.
    BlankCheck = 0x8,
    /// 9: vendor specific.
    VendorSpecific = 0x9,
    /// A: a copy command was aborted.
    CopyAborted = 0xA,
    /// B: the device aborted the command; retrying may succeed.
    AbortedCommand = 0xB,
    /// C: obsolete (formerly EQUAL).
    Obsolete = 0xC,
    /// D: a buffered device reached the end of its partition.
    VolumeOverflow = 0xD,
    /// E: source data did not match the medium.
    Miscompare = 0xE,
    /// F: completed (SPC-5).
    Completed = 0xF,
}

impl SenseKey {
    /// The key for the low nibble of `code`.
    pub fn from_nibble(code: u8) -> SenseKey {
        use SenseKey::*;
        match code & 0x0f {
            0x0 => NoSense,
            0x1 => RecoveredError,
            0x2 => NotReady,
            0x3 => MediumError,
            0x4 => HardwareError,
            0x5 => IllegalRequest,
            0x6 => UnitAttention,
            0x7 => DataProtect,
            0x8 => BlankCheck,
            0x9 => VendorSpecific,
            0xA => CopyAborted,
            0xB => AbortedCommand,
            0xC => Obsolete,
            0xD => VolumeOverflow,
            0xE => Miscompare,
            _ => Completed,
        }
    }

    /// The numeric key.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The name as SPC writes it ("MEDIUM ERROR").
    pub fn name(self) -> &'static str {
        use SenseKey::*;
        match self {
            NoSense => "NO SENSE",
            RecoveredError => "RECOVERED ERROR",
            NotReady => "NOT READY",
            MediumError => "MEDIUM ERROR",
            HardwareError => "HARDWARE ERROR",
            IllegalRequest => "ILLEGAL REQUEST",
            UnitAttention => "UNIT ATTENTION",
            DataProtect => "DATA PROTECT",
            BlankCheck => "BLANK CHECK",
            VendorSpecific => "VENDOR SPECIFIC",
            CopyAborted => "COPY ABORTED",
            AbortedCommand => "ABORTED COMMAND",
            Obsolete => "OBSOLETE",
            VolumeOverflow => "VOLUME OVERFLOW",
            Miscompare => "MISCOMPARE",
            Completed => "COMPLETED",
        }
    }
}

impl fmt::Display for SenseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which sense data format the device used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SenseFormat {
    /// Fixed format, response code 70h (current) or 71h (deferred).
    Fixed,
    /// Descriptor format, response code 72h (current) or 73h (deferred).
    Descriptor,
    /// Empty, or a response code this crate does not know.
    Unrecognized,
}

/// Progress of a long operation as reported in sense-key-specific bytes or a progress
/// indication descriptor: a fraction of 65536.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Progress(pub u16);

impl Progress {
    /// Completed fraction in `0.0..1.0`.
    pub fn fraction(self) -> f64 {
        f64::from(self.0) / 65536.0
    }

    /// Completed percentage in `0.0..100.0`.
    pub fn percent(self) -> f64 {
        self.fraction() * 100.0
    }
}

/// What the retry policy should do about a CHECK CONDITION (`docs/mmc-notes.md` §4.3, "The retry
/// policy"). Kept separate from the text so callers decide on codes, not messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// The command completed after recovery (RECOVERED ERROR, NO SENSE): use the result.
    Recovered,
    /// Transient: the command may be repeated a bounded number of times (ABORTED COMMAND,
    /// NOT READY 04/00).
    Retry,
    /// NOT READY while becoming ready or running a long operation (04/01, 04/04, 04/07,
    /// 04/08): poll TEST UNIT READY, then repeat.
    WaitReady {
        /// Progress of the long operation, when the drive reports it.
        progress: Option<Progress>,
    },
    /// UNIT ATTENTION: the command was not executed; repeat it once and treat the medium as
    /// possibly changed.
    MediumChanged,
    /// No medium (ASC 3Ah).
    NoMedium,
    /// Anything else: report it.
    Fatal,
}

/// Decoded sense data. Keeps the raw bytes next to the decoded key, ASC/ASCQ, information and
/// progress, from either format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sense {
    raw: Box<[u8]>,
    format: SenseFormat,
    deferred: bool,
    key: SenseKey,
    asc_ascq: AscAscq,
    information: Option<u64>,
    progress: Option<Progress>,
    filemark: bool,
    eom: bool,
    ili: bool,
}

impl Sense {
    /// Decodes sense bytes. Never fails: empty or unknown data gives
    /// [`SenseFormat::Unrecognized`] (key NO SENSE, 00/00, disposition `Fatal`), so a CHECK
    /// CONDITION without usable sense is still reported as an error.
    pub fn new(raw: &[u8]) -> Sense {
        let mut s = Sense {
            raw: raw.into(),
            format: SenseFormat::Unrecognized,
            deferred: false,
            key: SenseKey::NoSense,
            asc_ascq: AscAscq(0, 0),
            information: None,
            progress: None,
            filemark: false,
            eom: false,
            ili: false,
        };
        match raw.first().map(|b| b & 0x7f) {
            Some(code @ (0x70 | 0x71)) => {
                s.format = SenseFormat::Fixed;
                s.deferred = code == 0x71;
                s.decode_fixed(raw);
            }
            Some(code @ (0x72 | 0x73)) => {
                s.format = SenseFormat::Descriptor;
                s.deferred = code == 0x73;
                s.decode_descriptor(raw);
            }
            _ => {}
        }
        s
    }

    /// Decodes sense bytes, failing on empty or unknown formats (used for REQUEST SENSE data).
    ///
    /// # Errors
    /// [`ParseError::Truncated`] for empty data, [`ParseError::Invalid`] for an unknown
    /// response code.
    pub fn parse(raw: &[u8]) -> Result<Sense, ParseError> {
        let code = bytes::u8_at(raw, 0)?;
        let s = Sense::new(raw);
        if s.format == SenseFormat::Unrecognized {
            return Err(ParseError::Invalid {
                what: "sense response code",
                value: u32::from(code),
            });
        }
        Ok(s)
    }

    fn decode_fixed(&mut self, raw: &[u8]) {
        // b7 additional sense length: the sense ends at 8 + b7 (or earlier if cut short).
        let len = match raw.get(7) {
            Some(&add) => (8 + usize::from(add)).min(raw.len()),
            None => raw.len(),
        };
        let raw = bytes::clip(raw, len);
        let valid = raw.first().is_some_and(|b| b & 0x80 != 0);
        if let Some(&b2) = raw.get(2) {
            self.key = SenseKey::from_nibble(b2);
            self.filemark = bytes::bit(b2, 7);
            self.eom = bytes::bit(b2, 6);
            self.ili = bytes::bit(b2, 5);
        }
        if valid {
            self.information = bytes::be_u32(raw, 3).ok().map(u64::from);
        }
        let asc = raw.get(12).copied().unwrap_or(0);
        let ascq = raw.get(13).copied().unwrap_or(0);
        self.asc_ascq = AscAscq(asc, ascq);
        // b15 bit7 SKSV; for NOT READY and NO SENSE, b16-17 are the progress indication.
        let sksv = raw.get(15).is_some_and(|b| b & 0x80 != 0);
        if sksv && matches!(self.key, SenseKey::NotReady | SenseKey::NoSense) {
            self.progress = bytes::be_u16(raw, 16).ok().map(Progress);
        }
    }

    fn decode_descriptor(&mut self, raw: &[u8]) {
        let len = match raw.get(7) {
            Some(&add) => (8 + usize::from(add)).min(raw.len()),
            None => raw.len(),
        };
        let raw = bytes::clip(raw, len);
        if let Some(&b1) = raw.get(1) {
            self.key = SenseKey::from_nibble(b1);
        }
        self.asc_ascq = AscAscq(
            raw.get(2).copied().unwrap_or(0),
            raw.get(3).copied().unwrap_or(0),
        );
        let mut off = 8;
        while let (Some(&kind), Some(&add)) = (raw.get(off), raw.get(off + 1)) {
            let end = off + 2 + usize::from(add);
            let Some(d) = raw.get(off..end) else { break };
            match kind {
                // Information: b2 bit7 VALID, b4-11 INFORMATION.
                0x00 if d.get(2).is_some_and(|b| b & 0x80 != 0) => {
                    self.information = bytes::be_u64(d, 4).ok();
                }
                // Sense key specific: b4 bit7 SKSV, b5-6 progress for NOT READY / NO SENSE.
                0x02 => {
                    let sksv = d.get(4).is_some_and(|b| b & 0x80 != 0);
                    if sksv && matches!(self.key, SenseKey::NotReady | SenseKey::NoSense) {
                        self.progress = bytes::be_u16(d, 5).ok().map(Progress);
                    }
                }
                // Stream commands: b3 bit7 FILEMARK, bit6 EOM, bit5 ILI.
                0x04 => {
                    if let Some(&b3) = d.get(3) {
                        self.filemark = bytes::bit(b3, 7);
                        self.eom = bytes::bit(b3, 6);
                        self.ili = bytes::bit(b3, 5);
                    }
                }
                // Progress indication: b2-4 key/ASC/ASCQ of the operation, b6-7 progress.
                0x0A => {
                    if let Ok(p) = bytes::be_u16(d, 6) {
                        self.progress = Some(Progress(p));
                    }
                }
                _ => {}
            }
            off = end;
        }
    }

    /// The raw bytes as received.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// The format the device used.
    pub fn format(&self) -> SenseFormat {
        self.format
    }

    /// True for deferred errors (71h/73h): they belong to an earlier command.
    pub fn is_deferred(&self) -> bool {
        self.deferred
    }

    /// The sense key.
    pub fn key(&self) -> SenseKey {
        self.key
    }

    /// The additional sense code and qualifier.
    pub fn asc_ascq(&self) -> AscAscq {
        self.asc_ascq
    }

    /// The INFORMATION field when marked valid (often the failing LBA).
    pub fn information(&self) -> Option<u64> {
        self.information
    }

    /// Long-operation progress, when reported (SKSV with NOT READY / NO SENSE, or a progress
    /// indication descriptor).
    pub fn progress(&self) -> Option<Progress> {
        self.progress
    }

    /// FILEMARK, EOM and ILI bits.
    pub fn flags(&self) -> (bool, bool, bool) {
        (self.filemark, self.eom, self.ili)
    }

    /// True when the sense says there is no medium (ASC 3Ah, as NOT READY or as the UNIT
    /// ATTENTION QEMU raises after a removal).
    pub fn is_no_medium(&self) -> bool {
        self.format != SenseFormat::Unrecognized && self.asc_ascq.0 == 0x3A
    }

    /// Tray state implied by a no-medium sense: 3A/01 closed, 3A/02 open; `None` otherwise.
    pub fn tray_open(&self) -> Option<bool> {
        match self.asc_ascq {
            AscAscq::MEDIUM_NOT_PRESENT_TRAY_CLOSED => Some(false),
            AscAscq::MEDIUM_NOT_PRESENT_TRAY_OPEN => Some(true),
            _ => None,
        }
    }

    /// How the retry policy treats this condition (`docs/mmc-notes.md` §4.3).
    pub fn disposition(&self) -> Disposition {
        if self.format == SenseFormat::Unrecognized {
            return Disposition::Fatal;
        }
        let progress = self.progress;
        match self.key {
            SenseKey::NoSense if self.asc_ascq == AscAscq::OPERATION_IN_PROGRESS_INFO => {
                Disposition::WaitReady { progress }
            }
            SenseKey::NoSense | SenseKey::RecoveredError | SenseKey::Completed => {
                Disposition::Recovered
            }
            SenseKey::NotReady => match self.asc_ascq {
                AscAscq(0x3A, _) => Disposition::NoMedium,
                AscAscq::BECOMING_READY
                | AscAscq::FORMAT_IN_PROGRESS
                | AscAscq::OPERATION_IN_PROGRESS
                | AscAscq::LONG_WRITE_IN_PROGRESS => Disposition::WaitReady { progress },
                AscAscq::NOT_READY_CAUSE_NOT_REPORTABLE => Disposition::Retry,
                _ => Disposition::Fatal,
            },
            SenseKey::UnitAttention => Disposition::MediumChanged,
            SenseKey::AbortedCommand => Disposition::Retry,
            _ => Disposition::Fatal,
        }
    }
}

impl fmt::Display for Sense {
    /// `MEDIUM ERROR 3/0C/00 write error`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.format == SenseFormat::Unrecognized {
            if self.raw.is_empty() {
                return f.write_str("no sense data");
            }
            return write!(f, "unrecognized sense data [{}]", bytes::hex(&self.raw));
        }
        write!(
            f,
            "{} {:X}/{:02X}/{:02X} {}",
            self.key.name(),
            self.key.code(),
            self.asc_ascq.0,
            self.asc_ascq.1,
            self.asc_ascq.description()
        )?;
        if self.deferred {
            f.write_str(" (deferred)")?;
        }
        Ok(())
    }
}

impl From<&hal::SenseBytes> for Sense {
    fn from(s: &hal::SenseBytes) -> Sense {
        Sense::new(s.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Fixed format sense as QEMU scsi-cd sends it (byte 0 = 70h), with key/ASC/ASCQ patched
    /// in at b2/b12/b13.
    fn fixed(b0: u8, key: u8, asc: u8, ascq: u8) -> [u8; 18] {
        [
            b0, 0, key, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, asc, ascq, 0, 0, 0, 0,
        ]
    }

    #[test]
    fn observed_fixed_sense() {
        // docs/qemu-notes.md §3.2, INQUIRY VPD 0x80: 5/24/00.
        let s = Sense::new(&[
            0x70, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x24, 0x00,
            0x00, 0x00, 0x00, 0x00,
        ]);
        assert_eq!(s.format(), SenseFormat::Fixed);
        assert_eq!(s.key(), SenseKey::IllegalRequest);
        assert_eq!(s.asc_ascq(), AscAscq::INVALID_FIELD_IN_CDB);
        assert_eq!(s.information(), None);
        assert_eq!(
            s.to_string(),
            "ILLEGAL REQUEST 5/24/00 invalid field in CDB"
        );
        assert_eq!(s.disposition(), Disposition::Fatal);
        // docs/qemu-notes.md §3.8, READ TRACK INFORMATION: 5/20/00.
        let s = Sense::new(&fixed(0x70, 0x05, 0x20, 0x00));
        assert_eq!(
            s.to_string(),
            "ILLEGAL REQUEST 5/20/00 invalid command operation code"
        );
        // docs/qemu-notes.md §5, TEST UNIT READY: 2/3A/00.
        let s = Sense::new(&fixed(0x70, 0x02, 0x3a, 0x00));
        assert!(s.is_no_medium());
        assert_eq!(s.tray_open(), None);
        assert_eq!(s.disposition(), Disposition::NoMedium);
        assert_eq!(s.to_string(), "NOT READY 2/3A/00 medium not present");
        // docs/qemu-notes.md §7, TEST UNIT READY after a change: 6/28/00.
        let s = Sense::new(&fixed(0x70, 0x06, 0x28, 0x00));
        assert_eq!(s.disposition(), Disposition::MediumChanged);
        assert_eq!(
            s.to_string(),
            "UNIT ATTENTION 6/28/00 not ready to ready change, medium may have changed"
        );
        // docs/qemu-notes.md §4, eject while locked: 5/53/02.
        let s = Sense::new(&fixed(0x70, 0x05, 0x53, 0x02));
        assert_eq!(s.asc_ascq(), AscAscq::MEDIUM_REMOVAL_PREVENTED);
        assert_eq!(
            s.to_string(),
            "ILLEGAL REQUEST 5/53/02 medium removal prevented"
        );
    }

    #[test]
    fn ide_cd_valid_bit() {
        // docs/qemu-notes.md §6, INQUIRY VPD 0x80: byte 0 = F0h (VALID + 70h),
        // INFORMATION b3-6 = 0.
        let s = Sense::new(&[
            0xf0, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x24, 0x00,
            0x00, 0x00, 0x00, 0x00,
        ]);
        assert_eq!(s.format(), SenseFormat::Fixed);
        assert_eq!(s.key(), SenseKey::IllegalRequest);
        assert_eq!(s.information(), Some(0));
        assert!(!s.is_deferred());
    }

    #[test]
    fn fixed_information_and_progress() {
        // 3/0C/00 at LBA 0x1234 (VALID, b3-6), hand-built.
        let mut b = fixed(0xf0, 0x03, 0x0c, 0x00);
        b[3..7].copy_from_slice(&0x1234u32.to_be_bytes());
        let s = Sense::new(&b);
        assert_eq!(s.information(), Some(0x1234));
        assert_eq!(s.disposition(), Disposition::Fatal);
        // 2/04/04 format in progress, SKSV (b15 bit7) with progress 0x8000 at b16-17.
        let mut b = fixed(0x70, 0x02, 0x04, 0x04);
        b[15] = 0x80;
        b[16] = 0x80;
        let s = Sense::new(&b);
        assert_eq!(s.progress(), Some(Progress(0x8000)));
        assert_eq!(
            s.disposition(),
            Disposition::WaitReady {
                progress: Some(Progress(0x8000))
            }
        );
        assert!((s.progress().unwrap().percent() - 50.0).abs() < 1e-9);
        // SKSV clear: no progress.
        b[15] = 0;
        assert_eq!(Sense::new(&b).progress(), None);
        // Deferred 71h.
        let s = Sense::new(&fixed(0x71, 0x03, 0x0c, 0x00));
        assert!(s.is_deferred());
        assert!(s.to_string().ends_with("(deferred)"));
    }

    #[test]
    fn fixed_honours_additional_length() {
        // Additional length 5 ends the sense at byte 13: ASC present, ASCQ not.
        let mut b = fixed(0x70, 0x02, 0x04, 0x07);
        b[7] = 5;
        let s = Sense::new(&b);
        assert_eq!(s.asc_ascq(), AscAscq(0x04, 0x00));
        // Cut short by the transport.
        let s = Sense::new(&fixed(0x70, 0x06, 0x28, 0x00)[..3]);
        assert_eq!(s.key(), SenseKey::UnitAttention);
        assert_eq!(s.asc_ascq(), AscAscq(0, 0));
    }

    #[test]
    fn descriptor_format_with_progress_and_information() {
        // Hand-built 72h sense, SPC-5 §4.4.2: b1 key 2, b2-3 04/07, b7 additional length 20;
        // information descriptor (00h, len 0Ah, VALID, b4-11 = 77) then progress indication
        // descriptor (0Ah, len 06h, b2-4 = 2/04/07, b6-7 = 4000h).
        let raw = [
            0x72, 0x02, 0x04, 0x07, 0x00, 0x00, 0x00, 20, //
            0x00, 0x0a, 0x80, 0x00, 0, 0, 0, 0, 0, 0, 0, 77, //
            0x0a, 0x06, 0x02, 0x04, 0x07, 0x00, 0x40, 0x00,
        ];
        let s = Sense::new(&raw);
        assert_eq!(s.format(), SenseFormat::Descriptor);
        assert_eq!(s.key(), SenseKey::NotReady);
        assert_eq!(s.asc_ascq(), AscAscq::OPERATION_IN_PROGRESS);
        assert_eq!(s.information(), Some(77));
        assert_eq!(s.progress(), Some(Progress(0x4000)));
        assert_eq!(
            s.disposition(),
            Disposition::WaitReady {
                progress: Some(Progress(0x4000))
            }
        );
        assert_eq!(s.raw(), &raw);
        assert_eq!(
            s.to_string(),
            "NOT READY 2/04/07 logical unit not ready, operation in progress"
        );
        // Sense key specific descriptor (02h): SKSV b4 bit7, progress b5-6.
        let raw = [
            0x72, 0x02, 0x04, 0x04, 0, 0, 0, 8, 0x02, 0x06, 0, 0, 0x80, 0x20, 0x00, 0x00,
        ];
        assert_eq!(Sense::new(&raw).progress(), Some(Progress(0x2000)));
        // A descriptor running past the end is ignored, not read.
        let raw = [0x72, 0x02, 0x04, 0x07, 0, 0, 0, 4, 0x0a, 0x06, 0x02, 0x04];
        assert_eq!(Sense::new(&raw).progress(), None);
    }

    #[test]
    fn unrecognized_is_fatal() {
        let s = Sense::new(&[]);
        assert_eq!(s.format(), SenseFormat::Unrecognized);
        assert_eq!(s.disposition(), Disposition::Fatal);
        assert_eq!(s.to_string(), "no sense data");
        assert!(Sense::parse(&[]).is_err());
        let s = Sense::new(&[0x12, 0x34]);
        assert_eq!(s.to_string(), "unrecognized sense data [12 34]");
        assert_eq!(
            Sense::parse(&[0x12]),
            Err(ParseError::Invalid {
                what: "sense response code",
                value: 0x12
            })
        );
    }

    #[test]
    fn dispositions() {
        let d = |k, a, q| Sense::new(&fixed(0x70, k, a, q)).disposition();
        assert_eq!(d(0x1, 0x17, 0x01), Disposition::Recovered);
        assert_eq!(d(0x0, 0x00, 0x00), Disposition::Recovered);
        assert_eq!(
            d(0x2, 0x04, 0x01),
            Disposition::WaitReady { progress: None }
        );
        assert_eq!(
            d(0x2, 0x04, 0x08),
            Disposition::WaitReady { progress: None }
        );
        assert_eq!(d(0x2, 0x04, 0x00), Disposition::Retry);
        assert_eq!(d(0x2, 0x04, 0x02), Disposition::Fatal);
        assert_eq!(d(0x2, 0x04, 0x03), Disposition::Fatal);
        assert_eq!(d(0x2, 0x3a, 0x02), Disposition::NoMedium);
        assert_eq!(d(0x6, 0x29, 0x00), Disposition::MediumChanged);
        assert_eq!(d(0x6, 0x3a, 0x00), Disposition::MediumChanged);
        assert_eq!(d(0xb, 0x00, 0x00), Disposition::Retry);
        assert_eq!(d(0x3, 0x0c, 0x00), Disposition::Fatal);
        assert_eq!(d(0x5, 0x21, 0x02), Disposition::Fatal);
        assert_eq!(d(0x7, 0x27, 0x00), Disposition::Fatal);
        assert_eq!(
            Sense::new(&fixed(0x70, 0x2, 0x3a, 0x02)).tray_open(),
            Some(true)
        );
        assert_eq!(
            Sense::new(&fixed(0x70, 0x2, 0x3a, 0x01)).tray_open(),
            Some(false)
        );
    }

    #[test]
    fn all_sixteen_keys_round_trip() {
        for code in 0..16u8 {
            let k = SenseKey::from_nibble(code);
            assert_eq!(k.code(), code);
            assert!(!k.name().is_empty());
        }
        assert_eq!(SenseKey::from_nibble(0xf3), SenseKey::MediumError);
    }

    proptest! {
        #[test]
        fn never_panics(raw in proptest::collection::vec(any::<u8>(), 0..80)) {
            let s = Sense::new(&raw);
            let _ = s.to_string();
            let _ = s.disposition();
            let _ = Sense::parse(&raw);
        }

        #[test]
        fn never_panics_on_descriptor_shapes(
            tail in proptest::collection::vec(any::<u8>(), 0..64), add in any::<u8>()
        ) {
            let mut raw = vec![0x72, 0x02, 0x04, 0x07, 0, 0, 0, add];
            raw.extend(tail);
            let _ = Sense::new(&raw).to_string();
        }
    }
}
