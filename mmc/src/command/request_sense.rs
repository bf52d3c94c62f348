use super::{Command, Opcode, RetryPolicy, Transfer};
use crate::sense::Sense;
use crate::ParseError;

/// REQUEST SENSE (03h), SPC-5 §6.39: the pending sense data, or NO SENSE. Used as a fallback
/// source of long-operation progress (some drives report it only here).
///
/// ide-cd (ATAPI) keeps returning the *stale* last error here, so callers must not read a
/// current condition into it without checking the key.
#[doc(alias = "REQUEST SENSE")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestSense {
    /// Allocation length (18 is the fixed-format size; at most 252).
    pub allocation_length: u8,
    /// DESC: ask for descriptor format (0 = fixed, which every MMC drive supports).
    pub descriptor: bool,
}

impl Default for RequestSense {
    fn default() -> Self {
        RequestSense {
            allocation_length: 18,
            descriptor: false,
        }
    }
}

impl Command for RequestSense {
    const NAME: &'static str = "REQUEST SENSE";
    type Cdb = [u8; 6];
    type Response = Sense;

    fn cdb(&self) -> [u8; 6] {
        [
            Opcode::REQUEST_SENSE.0,
            u8::from(self.descriptor),
            0,
            0,
            self.allocation_length,
            0,
        ]
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::In(usize::from(self.allocation_length))
    }

    fn parse(&self, data: &[u8]) -> Result<Sense, ParseError> {
        Sense::parse(data)
    }

    fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy::NoWait
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AscAscq, SenseKey};
    use proptest::prelude::*;

    #[test]
    fn cdb() {
        // docs/qemu-notes.md §3.9: REQUEST SENSE  CDB: 03 00 00 00 12 00
        assert_eq!(RequestSense::default().cdb(), [0x03, 0, 0, 0, 0x12, 0]);
        assert_eq!(RequestSense::default().data_phase(), Transfer::In(18));
    }

    #[test]
    fn scsi_cd_no_sense() {
        // docs/qemu-notes.md §3.9: fixed format 70h, key 0, additional length 0Ah.
        let d = [
            0x70, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00,
        ];
        let s = RequestSense::default().parse(&d).unwrap();
        assert_eq!(s.key(), SenseKey::NoSense);
        assert_eq!(s.asc_ascq(), AscAscq::NO_ADDITIONAL_SENSE);
    }

    #[test]
    fn ide_cd_stale_sense() {
        // docs/qemu-notes.md §6: F0h (VALID + 70h), stale 5/20/00.
        let d = [
            0xf0, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00,
            0x00, 0x00, 0x00, 0x00,
        ];
        let s = RequestSense::default().parse(&d).unwrap();
        assert_eq!(s.key(), SenseKey::IllegalRequest);
        assert_eq!(s.asc_ascq(), AscAscq::INVALID_COMMAND_OPERATION_CODE);
        assert_eq!(s.information(), Some(0));
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(RequestSense::default().parse(&[]).is_err());
        assert!(RequestSense::default().parse(&[0x00; 18]).is_err());
    }

    proptest! {
        #[test]
        fn never_panics(raw in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = RequestSense::default().parse(&raw);
        }
    }
}
