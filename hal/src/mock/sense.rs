//! Sense data the mock returns, and the sense codes it uses, named as SPC/MMC name them.

use serde::{Deserialize, Serialize};

/// One sense condition: key, ASC, ASCQ, plus the optional INFORMATION field (the failing
/// LBA) and sense-key-specific progress (0..=65535 of 65536) of a long operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Sense {
    pub key: u8,
    pub asc: u8,
    pub ascq: u8,
    #[serde(default)]
    pub info: Option<u32>,
    #[serde(default)]
    pub progress: Option<u16>,
}

impl Sense {
    pub(crate) const fn new(key: u8, asc: u8, ascq: u8) -> Sense {
        Sense {
            key,
            asc,
            ascq,
            info: None,
            progress: None,
        }
    }

    /// Sets INFORMATION (and the VALID bit), e.g. to the first LBA that failed.
    pub(crate) fn with_info(mut self, info: u32) -> Sense {
        self.info = Some(info);
        self
    }

    /// Sets sense-key-specific progress (SKSV = 1).
    pub(crate) fn with_progress(mut self, progress: u16) -> Sense {
        self.progress = Some(progress);
        self
    }

    /// Fixed-format sense (SPC-4 §4.5.3), 18 bytes: response code 70h, VALID when
    /// INFORMATION is set, additional length 0Ah, SKSV + progress in bytes 15-17.
    pub(crate) fn fixed(&self) -> [u8; 18] {
        let mut s = [0u8; 18];
        s[0] = 0x70;
        s[2] = self.key & 0x0f;
        if let Some(info) = self.info {
            s[0] |= 0x80;
            s[3..7].copy_from_slice(&info.to_be_bytes());
        }
        s[7] = 0x0a;
        s[12] = self.asc;
        s[13] = self.ascq;
        if let Some(p) = self.progress {
            s[15] = 0x80;
            s[16..18].copy_from_slice(&p.to_be_bytes());
        }
        s
    }

    /// Descriptor-format sense (SPC-4 §4.5.2), response code 72h. Progress is reported twice:
    /// in a sense-key-specific descriptor (type 02h, SKSV + progress in bytes 5-6) as SPC
    /// defines it, and in a progress indication descriptor (type 0Ah, progress in bytes 6-7)
    /// which some parsers look for.
    pub(crate) fn descriptor(&self) -> Vec<u8> {
        let mut s = vec![0x72, self.key & 0x0f, self.asc, self.ascq, 0, 0, 0, 0];
        if let Some(info) = self.info {
            s.extend_from_slice(&[0x00, 0x0a, 0x80, 0x00]);
            s.extend_from_slice(&u64::from(info).to_be_bytes());
        }
        if let Some(p) = self.progress {
            let [hi, lo] = p.to_be_bytes();
            s.extend_from_slice(&[0x02, 0x06, 0x00, 0x00, 0x80, hi, lo, 0x00]);
            s.extend_from_slice(&[
                0x0a,
                0x06,
                self.key & 0x0f,
                self.asc,
                self.ascq,
                0x00,
                hi,
                lo,
            ]);
        }
        let additional = s.len() - 8;
        if let Some(b) = s.get_mut(7) {
            *b = u8::try_from(additional).unwrap_or(u8::MAX);
        }
        s
    }

    /// `K/AA/QQ`, as transcripts and state dumps write it.
    pub(crate) fn code(&self) -> String {
        format!("{:X}/{:02X}/{:02X}", self.key, self.asc, self.ascq)
    }
}

pub(crate) const NO_SENSE: Sense = Sense::new(0x0, 0x00, 0x00);

// NOT READY (2)
pub(crate) const BECOMING_READY: Sense = Sense::new(0x2, 0x04, 0x01);
pub(crate) const FORMAT_IN_PROGRESS: Sense = Sense::new(0x2, 0x04, 0x04);
pub(crate) const OPERATION_IN_PROGRESS: Sense = Sense::new(0x2, 0x04, 0x07);
pub(crate) const LONG_WRITE_IN_PROGRESS: Sense = Sense::new(0x2, 0x04, 0x08);
pub(crate) const MEDIUM_NOT_PRESENT: Sense = Sense::new(0x2, 0x3a, 0x00);
pub(crate) const MEDIUM_NOT_PRESENT_TRAY_CLOSED: Sense = Sense::new(0x2, 0x3a, 0x01);
pub(crate) const MEDIUM_NOT_PRESENT_TRAY_OPEN: Sense = Sense::new(0x2, 0x3a, 0x02);

// ILLEGAL REQUEST (5)
pub(crate) const PARAMETER_LIST_LENGTH_ERROR: Sense = Sense::new(0x5, 0x1a, 0x00);
pub(crate) const INVALID_COMMAND_OPERATION_CODE: Sense = Sense::new(0x5, 0x20, 0x00);
pub(crate) const LBA_OUT_OF_RANGE: Sense = Sense::new(0x5, 0x21, 0x00);
pub(crate) const INVALID_ADDRESS_FOR_WRITE: Sense = Sense::new(0x5, 0x21, 0x02);
pub(crate) const INVALID_FIELD_IN_CDB: Sense = Sense::new(0x5, 0x24, 0x00);
pub(crate) const INVALID_FIELD_IN_PARAMETER_LIST: Sense = Sense::new(0x5, 0x26, 0x00);
pub(crate) const COMMAND_SEQUENCE_ERROR: Sense = Sense::new(0x5, 0x2c, 0x00);
pub(crate) const CANNOT_READ_MEDIUM_INCOMPATIBLE_FORMAT: Sense = Sense::new(0x5, 0x30, 0x02);
pub(crate) const CANNOT_WRITE_MEDIUM_INCOMPATIBLE_FORMAT: Sense = Sense::new(0x5, 0x30, 0x05);
pub(crate) const CANNOT_FORMAT_MEDIUM: Sense = Sense::new(0x5, 0x30, 0x06);
pub(crate) const MEDIUM_NOT_FORMATTED: Sense = Sense::new(0x5, 0x30, 0x10);
pub(crate) const SAVING_PARAMETERS_NOT_SUPPORTED: Sense = Sense::new(0x5, 0x39, 0x00);
pub(crate) const MEDIUM_REMOVAL_PREVENTED: Sense = Sense::new(0x5, 0x53, 0x02);
pub(crate) const ILLEGAL_MODE_FOR_THIS_TRACK: Sense = Sense::new(0x5, 0x64, 0x00);
pub(crate) const INVALID_PACKET_SIZE: Sense = Sense::new(0x5, 0x64, 0x01);
pub(crate) const EMPTY_OR_PARTIALLY_WRITTEN_RESERVED_TRACK: Sense = Sense::new(0x5, 0x72, 0x04);

// UNIT ATTENTION (6): only ASC/ASCQ are queued.
pub(crate) const UA_MEDIUM_MAY_HAVE_CHANGED: (u8, u8) = (0x28, 0x00);
pub(crate) const UA_POWER_ON_RESET: (u8, u8) = (0x29, 0x00);
pub(crate) const UA_MEDIUM_NOT_PRESENT: (u8, u8) = (0x3a, 0x00);

// DATA PROTECT (7)
pub(crate) const WRITE_PROTECTED: Sense = Sense::new(0x7, 0x27, 0x00);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_layout() {
        // SPC-4 table 48: byte 2 key, 7 additional length, 12 ASC, 13 ASCQ.
        let s = LBA_OUT_OF_RANGE.fixed();
        assert_eq!(
            s,
            [0x70, 0, 5, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0x21, 0, 0, 0, 0, 0]
        );
        let s = FORMAT_IN_PROGRESS
            .with_progress(0x8000)
            .with_info(0x1234)
            .fixed();
        assert_eq!(s[0], 0xf0);
        assert_eq!(&s[3..7], &[0, 0, 0x12, 0x34]);
        assert_eq!(&s[15..18], &[0x80, 0x80, 0x00]);
    }

    #[test]
    fn descriptor_layout() {
        let s = INVALID_FIELD_IN_CDB.descriptor();
        assert_eq!(s, vec![0x72, 5, 0x24, 0, 0, 0, 0, 0]);
        let s = OPERATION_IN_PROGRESS.with_progress(0x1234).descriptor();
        assert_eq!(s.len(), 24);
        assert_eq!(s[7], 16);
        assert_eq!(&s[8..16], &[0x02, 0x06, 0, 0, 0x80, 0x12, 0x34, 0]);
        assert_eq!(&s[16..24], &[0x0a, 0x06, 2, 4, 7, 0, 0x12, 0x34]);
    }
}
