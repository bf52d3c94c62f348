use std::fmt;
use std::time::Duration;

use hal::ScsiStatus;

use crate::sense::{Disposition, Sense};

/// A reply that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The reply (as clipped to its own length field and to the bytes received) is too short.
    #[error("{what}: need {need} bytes, got {got}")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Bytes needed.
        need: usize,
        /// Bytes available.
        got: usize,
    },
    /// A field holds a value the parser cannot accept (wrong page code, unknown format).
    #[error("{what}: unexpected value {value:#x}")]
    Invalid {
        /// The field.
        what: &'static str,
        /// The value found.
        value: u32,
    },
}

/// An MMC-level failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The exchange itself failed (ioctl error, host status, transport timeout).
    #[error("transport failure")]
    Transport(#[from] hal::Error),
    /// The drive answered CHECK CONDITION.
    #[error("{command}{}: {sense}", AtLba(*lba))]
    CheckCondition {
        /// The command's name (`Command::NAME`).
        command: &'static str,
        /// The LBA the command addressed, for reads and writes.
        lba: Option<u32>,
        /// The decoded sense data.
        sense: Sense,
    },
    /// The drive answered a status other than GOOD or CHECK CONDITION (BUSY after the retry
    /// budget, RESERVATION CONFLICT, TASK ABORTED, ...).
    #[error("{command}: SCSI status {status}")]
    Status {
        /// The command's name.
        command: &'static str,
        /// The status byte.
        status: ScsiStatus,
    },
    /// The reply could not be decoded.
    #[error("{command}: malformed reply")]
    Parse {
        /// The command's name.
        command: &'static str,
        /// What was wrong.
        #[source]
        source: ParseError,
    },
    /// The drive or medium lacks something the operation needs.
    #[error("unsupported: {feature}")]
    Unsupported {
        /// What is missing, e.g. "READ TRACK INFORMATION".
        feature: &'static str,
    },
    /// A polling loop ran out of its time budget.
    #[error("{command}: drive still not ready after {} s", waited.as_secs())]
    Timeout {
        /// The command that was being polled or waited for.
        command: &'static str,
        /// How long we waited.
        waited: Duration,
        /// The last sense seen while waiting, if any.
        last: Option<Sense>,
    },
    /// The device is not an MMC (CD/DVD/BD) device: its INQUIRY peripheral type is not 5.
    #[error("not an optical (MMC) drive: peripheral device type {peripheral_type:#04x}")]
    NotMmc {
        /// The INQUIRY peripheral device type.
        peripheral_type: u8,
    },
    /// The image does not fit on the medium (found before anything is written).
    #[error(
        "the image needs {needed} blocks ({} MB) but the disc has {available} blocks ({} MB) available",
        needed * 2048 / 1_000_000,
        available * 2048 / 1_000_000
    )]
    InsufficientCapacity {
        /// Blocks the write needs, padding included.
        needed: u64,
        /// Blocks available for it.
        available: u64,
    },
    /// The medium cannot take the requested operation in its current state.
    #[error("{medium}: {reason}")]
    NotWritable {
        /// The medium (profile name).
        medium: &'static str,
        /// Why not.
        reason: &'static str,
    },
    /// The image is not what the target needs (not an ISO 9660 image, or built for another
    /// start address).
    #[error("image does not fit the target: {reason} (the next session starts at LBA {start})")]
    ImageMismatch {
        /// What is wrong.
        reason: &'static str,
        /// Where the session will be written.
        start: u32,
    },
    /// Reading the image source failed.
    #[error("reading the image at byte {offset}")]
    Source {
        /// Bytes read before the failure.
        offset: u64,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A burn stopped part way: how far it got and what the disc is left as.
    #[error(
        "burn stopped while {step} after {written} of {planned} blocks (session at LBA {start}); {left}"
    )]
    Burn {
        /// What the burner was doing.
        step: &'static str,
        /// Blocks of the image acknowledged by the drive.
        written: u32,
        /// Blocks planned.
        planned: u32,
        /// Where the session starts.
        start: u32,
        /// What state the disc is left in.
        left: crate::burn::DiscLeft,
        /// The failure.
        #[source]
        source: Box<Error>,
    },
    /// The burn was asked to stop (the flag given to `Burner::stop_when` was set); it stopped
    /// before the next WRITE.
    #[error("interrupted: stopped before the next write as asked")]
    Interrupted,
    /// Verification found a block that differs from the image.
    #[error(
        "verify: LBA {lba} differs from the image (first difference at byte {offset} of the block)"
    )]
    Miscompare {
        /// The block address.
        lba: u32,
        /// Offset of the first differing byte within the block.
        offset: u32,
    },
}

impl Error {
    /// The error a [`Error::Burn`] wraps (recursively); `self` for every other variant.
    pub fn innermost(&self) -> &Error {
        match self {
            Error::Burn { source, .. } => source.innermost(),
            other => other,
        }
    }

    /// The sense data, for CHECK CONDITION errors.
    pub fn sense(&self) -> Option<&Sense> {
        match self {
            Error::Burn { source, .. } => source.sense(),
            Error::CheckCondition { sense, .. } => Some(sense),
            Error::Timeout { last, .. } => last.as_ref(),
            _ => None,
        }
    }

    /// True when the drive reports no medium (ASC 3Ah, any sense key).
    pub fn is_no_medium(&self) -> bool {
        matches!(self, Error::CheckCondition { sense, .. } if sense.is_no_medium())
    }

    /// True when a READ found nothing recorded there: LBA out of range (05/21/xx), BLANK
    /// CHECK, or an unformatted medium (02/30/10). Such a block holds no filesystem; any other
    /// failure is a real read error.
    pub fn is_unrecorded(&self) -> bool {
        self.sense().is_some_and(|s| {
            s.key() == crate::SenseKey::BlankCheck
                || (s.key() == crate::SenseKey::IllegalRequest && s.asc_ascq().0 == 0x21)
                || s.asc_ascq() == crate::AscAscq(0x30, 0x10)
        })
    }

    /// True for a UNIT ATTENTION that survived the retry policy.
    pub fn is_unit_attention(&self) -> bool {
        matches!(self, Error::CheckCondition { sense, .. }
            if sense.key() == crate::SenseKey::UnitAttention)
    }

    /// True when the drive does not implement the command (ILLEGAL REQUEST 20/00), which
    /// callers treat as "fall back to another way".
    pub fn is_invalid_opcode(&self) -> bool {
        matches!(self, Error::CheckCondition { sense, .. }
            if sense.key() == crate::SenseKey::IllegalRequest
                && sense.asc_ascq() == crate::AscAscq::INVALID_COMMAND_OPERATION_CODE)
    }

    /// True for ILLEGAL REQUEST of any kind (unsupported command, field or parameter).
    pub fn is_illegal_request(&self) -> bool {
        matches!(self, Error::CheckCondition { sense, .. }
            if sense.key() == crate::SenseKey::IllegalRequest)
    }

    /// The retry class of a CHECK CONDITION, or `None` for other errors.
    pub fn disposition(&self) -> Option<Disposition> {
        self.sense().map(Sense::disposition)
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// " at LBA n" or nothing.
struct AtLba(Option<u32>);

impl fmt::Display for AtLba {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(lba) => write!(f, " at LBA {lba}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Fixed-format sense 3/0C/00 (write error), hand-built per SPC fixed format: b0 70h, b2
    // key, b7 additional length 0Ah, b12 ASC, b13 ASCQ.
    const WRITE_ERROR: [u8; 18] = [
        0x70, 0, 0x03, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0x0c, 0x00, 0, 0, 0, 0,
    ];

    #[test]
    fn check_condition_reads_like_a_sentence() {
        let e = Error::CheckCondition {
            command: "WRITE(10)",
            lba: Some(1234),
            sense: Sense::new(&WRITE_ERROR),
        };
        assert_eq!(
            e.to_string(),
            "WRITE(10) at LBA 1234: MEDIUM ERROR 3/0C/00 write error"
        );
        let e = Error::CheckCondition {
            command: "INQUIRY",
            lba: None,
            sense: Sense::new(&WRITE_ERROR),
        };
        assert_eq!(e.to_string(), "INQUIRY: MEDIUM ERROR 3/0C/00 write error");
        assert!(!e.is_no_medium() && !e.is_unit_attention() && !e.is_illegal_request());
    }

    #[test]
    fn kind_helpers() {
        // docs/qemu-notes.md §5: TEST UNIT READY sense 2/3A/00.
        let no_medium = [
            0x70, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x3a, 0x00,
            0x00, 0x00, 0x00, 0x00,
        ];
        let e = Error::CheckCondition {
            command: "TEST UNIT READY",
            lba: None,
            sense: Sense::new(&no_medium),
        };
        assert!(e.is_no_medium());
        assert_eq!(e.disposition(), Some(Disposition::NoMedium));
        // docs/qemu-notes.md §7: UNIT ATTENTION 6/28/00 after a medium change.
        let mut ua = no_medium;
        ua[2] = 0x06;
        ua[12] = 0x28;
        let e = Error::CheckCondition {
            command: "TEST UNIT READY",
            lba: None,
            sense: Sense::new(&ua),
        };
        assert!(e.is_unit_attention());
        // docs/qemu-notes.md §3.8: READ TRACK INFORMATION 5/20/00.
        let mut bad_op = no_medium;
        bad_op[2] = 0x05;
        bad_op[12] = 0x20;
        let e = Error::CheckCondition {
            command: "READ TRACK INFORMATION",
            lba: None,
            sense: Sense::new(&bad_op),
        };
        assert!(e.is_invalid_opcode() && e.is_illegal_request());
        assert_eq!(
            e.to_string(),
            "READ TRACK INFORMATION: ILLEGAL REQUEST 5/20/00 invalid command operation code"
        );
        let e = Error::NotMmc { peripheral_type: 0 };
        assert_eq!(
            e.to_string(),
            "not an optical (MMC) drive: peripheral device type 0x00"
        );
        assert!(e.sense().is_none());
    }

    #[test]
    fn error_stays_small() {
        assert!(
            std::mem::size_of::<Error>() <= 128,
            "{}",
            std::mem::size_of::<Error>()
        );
    }
}
