//! Additional sense codes: the [`AscAscq`] newtype and the full T10 ASC/ASCQ description
//! table (SPC-5 annex, "ASC/ASCQ assignments"), including the ranged entries.
//!
//! The table was typed up for this crate from the T10 assignment list; it is a sorted static
//! array searched with `binary_search`. Ranged entries (40/NN, 4D/NN, 70/NN), vendor-specific
//! codes (ASC or ASCQ 80h-FFh) and unknown codes are handled in [`AscAscq::description`].
//!
//! # References
//! SPC-5 §4.4.8 table 49 (ASC and ASCQ assignments); MMC-6 annex F (MMC error lists).

use std::borrow::Cow;
use std::fmt;

/// An additional sense code and qualifier pair. An open code space: named constants for the
/// codes this crate acts on, [`description`](Self::description) for all of them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct AscAscq(pub u8, pub u8);

macro_rules! codes {
    ($($name:ident = $asc:literal / $ascq:literal;)*) => {
        impl AscAscq {
            $(
                #[doc = concat!("`", stringify!($asc), "/", stringify!($ascq), "`.")]
                pub const $name: AscAscq = AscAscq($asc, $ascq);
            )*
        }
    };
}

codes! {
    NO_ADDITIONAL_SENSE = 0x00 / 0x00;
    OPERATION_IN_PROGRESS_INFO = 0x00 / 0x16;
    NOT_READY_CAUSE_NOT_REPORTABLE = 0x04 / 0x00;
    BECOMING_READY = 0x04 / 0x01;
    INITIALIZING_COMMAND_REQUIRED = 0x04 / 0x02;
    MANUAL_INTERVENTION_REQUIRED = 0x04 / 0x03;
    FORMAT_IN_PROGRESS = 0x04 / 0x04;
    OPERATION_IN_PROGRESS = 0x04 / 0x07;
    LONG_WRITE_IN_PROGRESS = 0x04 / 0x08;
    WRITE_ERROR = 0x0C / 0x00;
    WRITE_ERROR_LOSS_OF_STREAMING = 0x0C / 0x09;
    UNRECOVERED_READ_ERROR = 0x11 / 0x00;
    PARAMETER_LIST_LENGTH_ERROR = 0x1A / 0x00;
    INVALID_COMMAND_OPERATION_CODE = 0x20 / 0x00;
    LBA_OUT_OF_RANGE = 0x21 / 0x00;
    INVALID_ADDRESS_FOR_WRITE = 0x21 / 0x02;
    INVALID_FIELD_IN_CDB = 0x24 / 0x00;
    INVALID_FIELD_IN_PARAMETER_LIST = 0x26 / 0x00;
    WRITE_PROTECTED = 0x27 / 0x00;
    MEDIUM_MAY_HAVE_CHANGED = 0x28 / 0x00;
    POWER_ON_RESET = 0x29 / 0x00;
    PARAMETERS_CHANGED = 0x2A / 0x00;
    COMMAND_SEQUENCE_ERROR = 0x2C / 0x00;
    INCOMPATIBLE_MEDIUM = 0x30 / 0x00;
    CANNOT_WRITE_INCOMPATIBLE_FORMAT = 0x30 / 0x05;
    CANNOT_FORMAT_INCOMPATIBLE_MEDIUM = 0x30 / 0x06;
    MEDIUM_FORMAT_CORRUPTED = 0x31 / 0x00;
    SAVING_PARAMETERS_NOT_SUPPORTED = 0x39 / 0x00;
    MEDIUM_NOT_PRESENT = 0x3A / 0x00;
    MEDIUM_NOT_PRESENT_TRAY_CLOSED = 0x3A / 0x01;
    MEDIUM_NOT_PRESENT_TRAY_OPEN = 0x3A / 0x02;
    MEDIUM_REMOVAL_PREVENTED = 0x53 / 0x02;
    END_OF_USER_AREA = 0x63 / 0x00;
    ILLEGAL_MODE_FOR_THIS_TRACK = 0x64 / 0x00;
    SESSION_FIXATION_ERROR = 0x72 / 0x00;
    POWER_CALIBRATION_AREA_ALMOST_FULL = 0x73 / 0x01;
    POWER_CALIBRATION_AREA_FULL = 0x73 / 0x02;
}

impl AscAscq {
    /// The additional sense code.
    pub fn asc(self) -> u8 {
        self.0
    }

    /// The additional sense code qualifier.
    pub fn ascq(self) -> u8 {
        self.1
    }

    /// The table text for exactly this pair, without the ranged and vendor rules.
    pub fn table_description(self) -> Option<&'static str> {
        let key = (self.0, self.1);
        TABLE
            .binary_search_by(|&(a, q, _)| (a, q).cmp(&key))
            .ok()
            .and_then(|i| TABLE.get(i))
            .map(|&(_, _, text)| text)
    }

    /// Lower-case description following the T10 list: exact entries first, then the ranged
    /// entries (40/NN, 4D/NN, 70/NN), then vendor-specific codes, else "unknown".
    pub fn description(self) -> Cow<'static, str> {
        if let Some(text) = self.table_description() {
            return Cow::Borrowed(text);
        }
        let AscAscq(asc, ascq) = self;
        match asc {
            0x40 if ascq >= 0x80 => {
                Cow::Owned(format!("diagnostic failure on component {ascq:02X}h"))
            }
            0x4D => Cow::Owned(format!("tagged overlapped commands (task tag {ascq:02X}h)")),
            0x70 => Cow::Owned(format!(
                "decompression exception short algorithm ID of {ascq:02X}h"
            )),
            0x80..=0xFF => Cow::Borrowed("vendor specific"),
            _ if ascq >= 0x80 => match AscAscq(asc, 0).table_description() {
                Some(base) => Cow::Owned(format!("{base} (vendor specific qualifier {ascq:02X}h)")),
                None => Cow::Borrowed("vendor specific qualifier"),
            },
            _ => Cow::Borrowed("unknown ASC/ASCQ"),
        }
    }
}

impl fmt::Display for AscAscq {
    /// `3A/00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02X}/{:02X}", self.0, self.1)
    }
}

impl fmt::Debug for AscAscq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AscAscq({:02X}/{:02X} {})",
            self.0,
            self.1,
            self.description()
        )
    }
}

/// (ASC, ASCQ, description), sorted by (ASC, ASCQ).
#[rustfmt::skip]
static TABLE: &[(u8, u8, &str)] = &[
// 757 entries
    (0x00, 0x00, "no additional sense information"),
    (0x00, 0x01, "filemark detected"),
    (0x00, 0x02, "end-of-partition/medium detected"),
    (0x00, 0x03, "setmark detected"),
    (0x00, 0x04, "beginning-of-partition/medium detected"),
    (0x00, 0x05, "end-of-data detected"),
    (0x00, 0x06, "I/O process terminated"),
    (0x00, 0x07, "programmable early warning detected"),
    (0x00, 0x11, "audio play operation in progress"),
    (0x00, 0x12, "audio play operation paused"),
    (0x00, 0x13, "audio play operation successfully completed"),
    (0x00, 0x14, "audio play operation stopped due to error"),
    (0x00, 0x15, "no current audio status to return"),
    (0x00, 0x16, "operation in progress"),
    (0x00, 0x17, "cleaning requested"),
    (0x00, 0x18, "erase operation in progress"),
    (0x00, 0x19, "locate operation in progress"),
    (0x00, 0x1A, "rewind operation in progress"),
    (0x00, 0x1B, "set capacity operation in progress"),
    (0x00, 0x1C, "verify operation in progress"),
    (0x00, 0x1D, "ATA pass through information available"),
    (0x00, 0x1E, "conflicting SA creation request"),
    (0x00, 0x1F, "logical unit transitioning to another power condition"),
    (0x00, 0x20, "extended copy information available"),
    (0x00, 0x21, "atomic command aborted due to ACA"),
    (0x00, 0x22, "deferred microcode is pending"),
    (0x01, 0x00, "no index/sector signal"),
    (0x02, 0x00, "no seek complete"),
    (0x03, 0x00, "peripheral device write fault"),
    (0x03, 0x01, "no write current"),
    (0x03, 0x02, "excessive write errors"),
    (0x04, 0x00, "logical unit not ready, cause not reportable"),
    (0x04, 0x01, "logical unit is in process of becoming ready"),
    (0x04, 0x02, "logical unit not ready, initializing command required"),
    (0x04, 0x03, "logical unit not ready, manual intervention required"),
    (0x04, 0x04, "logical unit not ready, format in progress"),
    (0x04, 0x05, "logical unit not ready, rebuild in progress"),
    (0x04, 0x06, "logical unit not ready, recalculation in progress"),
    (0x04, 0x07, "logical unit not ready, operation in progress"),
    (0x04, 0x08, "logical unit not ready, long write in progress"),
    (0x04, 0x09, "logical unit not ready, self-test in progress"),
    (0x04, 0x0A, "logical unit not accessible, asymmetric access state transition"),
    (0x04, 0x0B, "logical unit not accessible, target port in standby state"),
    (0x04, 0x0C, "logical unit not accessible, target port in unavailable state"),
    (0x04, 0x0D, "logical unit not ready, structure check required"),
    (0x04, 0x0E, "logical unit not ready, security session in progress"),
    (0x04, 0x10, "logical unit not ready, auxiliary memory not accessible"),
    (0x04, 0x11, "logical unit not ready, notify (enable spinup) required"),
    (0x04, 0x12, "logical unit not ready, offline"),
    (0x04, 0x13, "logical unit not ready, SA creation in progress"),
    (0x04, 0x14, "logical unit not ready, space allocation in progress"),
    (0x04, 0x15, "logical unit not ready, robotics disabled"),
    (0x04, 0x16, "logical unit not ready, configuration required"),
    (0x04, 0x17, "logical unit not ready, calibration required"),
    (0x04, 0x18, "logical unit not ready, a door is open"),
    (0x04, 0x19, "logical unit not ready, operating in sequential mode"),
    (0x04, 0x1A, "logical unit not ready, start stop unit command in progress"),
    (0x04, 0x1B, "logical unit not ready, sanitize in progress"),
    (0x04, 0x1C, "logical unit not ready, additional power use not yet granted"),
    (0x04, 0x1D, "logical unit not ready, configuration in progress"),
    (0x04, 0x1E, "logical unit not ready, microcode activation required"),
    (0x04, 0x1F, "logical unit not ready, microcode download required"),
    (0x04, 0x20, "logical unit not ready, logical unit reset required"),
    (0x04, 0x21, "logical unit not ready, hard reset required"),
    (0x04, 0x22, "logical unit not ready, power cycle required"),
    (0x04, 0x23, "logical unit not ready, affiliation required"),
    (0x04, 0x24, "depopulation in progress"),
    (0x05, 0x00, "logical unit does not respond to selection"),
    (0x06, 0x00, "no reference position found"),
    (0x07, 0x00, "multiple peripheral devices selected"),
    (0x08, 0x00, "logical unit communication failure"),
    (0x08, 0x01, "logical unit communication time-out"),
    (0x08, 0x02, "logical unit communication parity error"),
    (0x08, 0x03, "logical unit communication CRC error (Ultra-DMA/32)"),
    (0x08, 0x04, "unreachable copy target"),
    (0x09, 0x00, "track following error"),
    (0x09, 0x01, "tracking servo failure"),
    (0x09, 0x02, "focus servo failure"),
    (0x09, 0x03, "spindle servo failure"),
    (0x09, 0x04, "head select fault"),
    (0x09, 0x05, "vibration induced tracking error"),
    (0x0A, 0x00, "error log overflow"),
    (0x0B, 0x00, "warning"),
    (0x0B, 0x01, "warning - specified temperature exceeded"),
    (0x0B, 0x02, "warning - enclosure degraded"),
    (0x0B, 0x03, "warning - background self-test failed"),
    (0x0B, 0x04, "warning - background pre-scan detected medium error"),
    (0x0B, 0x05, "warning - background medium scan detected medium error"),
    (0x0B, 0x06, "warning - non-volatile cache now volatile"),
    (0x0B, 0x07, "warning - degraded power to non-volatile cache"),
    (0x0B, 0x08, "warning - power loss expected"),
    (0x0B, 0x09, "warning - device statistics notification active"),
    (0x0B, 0x0A, "warning - high critical temperature limit exceeded"),
    (0x0B, 0x0B, "warning - low critical temperature limit exceeded"),
    (0x0B, 0x0C, "warning - high operating temperature limit exceeded"),
    (0x0B, 0x0D, "warning - low operating temperature limit exceeded"),
    (0x0B, 0x0E, "warning - high critical humidity limit exceeded"),
    (0x0B, 0x0F, "warning - low critical humidity limit exceeded"),
    (0x0B, 0x10, "warning - high operating humidity limit exceeded"),
    (0x0B, 0x11, "warning - low operating humidity limit exceeded"),
    (0x0B, 0x12, "warning - microcode security at risk"),
    (0x0B, 0x13, "warning - microcode digital signature validation failure"),
    (0x0B, 0x14, "warning - physical element status change"),
    (0x0C, 0x00, "write error"),
    (0x0C, 0x01, "write error - recovered with auto reallocation"),
    (0x0C, 0x02, "write error - auto reallocation failed"),
    (0x0C, 0x03, "write error - recommend reassignment"),
    (0x0C, 0x04, "compression check miscompare error"),
    (0x0C, 0x05, "data expansion occurred during compression"),
    (0x0C, 0x06, "block not compressible"),
    (0x0C, 0x07, "write error - recovery needed"),
    (0x0C, 0x08, "write error - recovery failed"),
    (0x0C, 0x09, "write error - loss of streaming"),
    (0x0C, 0x0A, "write error - padding blocks added"),
    (0x0C, 0x0B, "auxiliary memory write error"),
    (0x0C, 0x0C, "write error - unexpected unsolicited data"),
    (0x0C, 0x0D, "write error - not enough unsolicited data"),
    (0x0C, 0x0E, "multiple write errors"),
    (0x0C, 0x0F, "defects in error window"),
    (0x0C, 0x10, "incomplete multiple atomic write operations"),
    (0x0C, 0x11, "write error - recovery scan needed"),
    (0x0C, 0x12, "write error - insufficient zone resources"),
    (0x0D, 0x00, "error detected by third party temporary initiator"),
    (0x0D, 0x01, "third party device failure"),
    (0x0D, 0x02, "copy target device not reachable"),
    (0x0D, 0x03, "incorrect copy target device type"),
    (0x0D, 0x04, "copy target device data underrun"),
    (0x0D, 0x05, "copy target device data overrun"),
    (0x0E, 0x00, "invalid information unit"),
    (0x0E, 0x01, "information unit too short"),
    (0x0E, 0x02, "information unit too long"),
    (0x0E, 0x03, "invalid field in command information unit"),
    (0x10, 0x00, "ID CRC or ECC error"),
    (0x10, 0x01, "logical block guard check failed"),
    (0x10, 0x02, "logical block application tag check failed"),
    (0x10, 0x03, "logical block reference tag check failed"),
    (0x10, 0x04, "logical block protection error on recover buffered data"),
    (0x10, 0x05, "logical block protection method error"),
    (0x11, 0x00, "unrecovered read error"),
    (0x11, 0x01, "read retries exhausted"),
    (0x11, 0x02, "error too long to correct"),
    (0x11, 0x03, "multiple read errors"),
    (0x11, 0x04, "unrecovered read error - auto reallocate failed"),
    (0x11, 0x05, "L-EC uncorrectable error"),
    (0x11, 0x06, "CIRC unrecovered error"),
    (0x11, 0x07, "data re-synchronization error"),
    (0x11, 0x08, "incomplete block read"),
    (0x11, 0x09, "no gap found"),
    (0x11, 0x0A, "miscorrected error"),
    (0x11, 0x0B, "unrecovered read error - recommend reassignment"),
    (0x11, 0x0C, "unrecovered read error - recommend rewrite the data"),
    (0x11, 0x0D, "de-compression CRC error"),
    (0x11, 0x0E, "cannot decompress using declared algorithm"),
    (0x11, 0x0F, "error reading UPC/EAN number"),
    (0x11, 0x10, "error reading ISRC number"),
    (0x11, 0x11, "read error - loss of streaming"),
    (0x11, 0x12, "auxiliary memory read error"),
    (0x11, 0x13, "read error - failed retransmission request"),
    (0x11, 0x14, "read error - LBA marked bad by application client"),
    (0x11, 0x15, "write after sanitize required"),
    (0x12, 0x00, "address mark not found for ID field"),
    (0x13, 0x00, "address mark not found for data field"),
    (0x14, 0x00, "recorded entity not found"),
    (0x14, 0x01, "record not found"),
    (0x14, 0x02, "filemark or setmark not found"),
    (0x14, 0x03, "end-of-data not found"),
    (0x14, 0x04, "block sequence error"),
    (0x14, 0x05, "record not found - recommend reassignment"),
    (0x14, 0x06, "record not found - data auto-reallocated"),
    (0x14, 0x07, "locate operation failure"),
    (0x15, 0x00, "random positioning error"),
    (0x15, 0x01, "mechanical positioning error"),
    (0x15, 0x02, "positioning error detected by read of medium"),
    (0x16, 0x00, "data synchronization mark error"),
    (0x16, 0x01, "data sync error - data rewritten"),
    (0x16, 0x02, "data sync error - recommend rewrite"),
    (0x16, 0x03, "data sync error - data auto-reallocated"),
    (0x16, 0x04, "data sync error - recommend reassignment"),
    (0x17, 0x00, "recovered data with no error correction applied"),
    (0x17, 0x01, "recovered data with retries"),
    (0x17, 0x02, "recovered data with positive head offset"),
    (0x17, 0x03, "recovered data with negative head offset"),
    (0x17, 0x04, "recovered data with retries and/or CIRC applied"),
    (0x17, 0x05, "recovered data using previous sector ID"),
    (0x17, 0x06, "recovered data without ECC - data auto-reallocated"),
    (0x17, 0x07, "recovered data without ECC - recommend reassignment"),
    (0x17, 0x08, "recovered data without ECC - recommend rewrite"),
    (0x17, 0x09, "recovered data without ECC - data rewritten"),
    (0x18, 0x00, "recovered data with error correction applied"),
    (0x18, 0x01, "recovered data with error correction and retries applied"),
    (0x18, 0x02, "recovered data - data auto-reallocated"),
    (0x18, 0x03, "recovered data with CIRC"),
    (0x18, 0x04, "recovered data with L-EC"),
    (0x18, 0x05, "recovered data - recommend reassignment"),
    (0x18, 0x06, "recovered data - recommend rewrite"),
    (0x18, 0x07, "recovered data with ECC - data rewritten"),
    (0x18, 0x08, "recovered data with linking"),
    (0x19, 0x00, "defect list error"),
    (0x19, 0x01, "defect list not available"),
    (0x19, 0x02, "defect list error in primary list"),
    (0x19, 0x03, "defect list error in grown list"),
    (0x1A, 0x00, "parameter list length error"),
    (0x1B, 0x00, "synchronous data transfer error"),
    (0x1C, 0x00, "defect list not found"),
    (0x1C, 0x01, "primary defect list not found"),
    (0x1C, 0x02, "grown defect list not found"),
    (0x1D, 0x00, "miscompare during verify operation"),
    (0x1D, 0x01, "miscompare verify of unmapped LBA"),
    (0x1E, 0x00, "recovered ID with ECC correction"),
    (0x1F, 0x00, "partial defect list transfer"),
    (0x20, 0x00, "invalid command operation code"),
    (0x20, 0x01, "access denied - initiator pending-enrolled"),
    (0x20, 0x02, "access denied - no access rights"),
    (0x20, 0x03, "access denied - invalid management ID key"),
    (0x20, 0x04, "illegal command while in write capable state"),
    (0x20, 0x05, "obsolete"),
    (0x20, 0x06, "illegal command while in explicit address mode"),
    (0x20, 0x07, "illegal command while in implicit address mode"),
    (0x20, 0x08, "access denied - enrollment conflict"),
    (0x20, 0x09, "access denied - invalid LU identifier"),
    (0x20, 0x0A, "access denied - invalid proxy token"),
    (0x20, 0x0B, "access denied - ACL LUN conflict"),
    (0x20, 0x0C, "illegal command when not in append-only mode"),
    (0x20, 0x0D, "not an administrative logical unit"),
    (0x20, 0x0E, "not a subsidiary logical unit"),
    (0x20, 0x0F, "not a conglomerate logical unit"),
    (0x21, 0x00, "logical block address out of range"),
    (0x21, 0x01, "invalid element address"),
    (0x21, 0x02, "invalid address for write"),
    (0x21, 0x03, "invalid write crossing layer jump"),
    (0x21, 0x04, "unaligned write command"),
    (0x21, 0x05, "write boundary violation"),
    (0x21, 0x06, "attempt to read invalid data"),
    (0x21, 0x07, "read boundary violation"),
    (0x21, 0x08, "misaligned write command"),
    (0x21, 0x09, "attempt to access gap zone"),
    (0x22, 0x00, "illegal function (use 20 00, 24 00, or 26 00)"),
    (0x23, 0x00, "invalid token operation, cause not reportable"),
    (0x23, 0x01, "invalid token operation, unsupported token type"),
    (0x23, 0x02, "invalid token operation, remote token usage not supported"),
    (0x23, 0x03, "invalid token operation, remote ROD token creation not supported"),
    (0x23, 0x04, "invalid token operation, token unknown"),
    (0x23, 0x05, "invalid token operation, token corrupt"),
    (0x23, 0x06, "invalid token operation, token revoked"),
    (0x23, 0x07, "invalid token operation, token expired"),
    (0x23, 0x08, "invalid token operation, token cancelled"),
    (0x23, 0x09, "invalid token operation, token deleted"),
    (0x23, 0x0A, "invalid token operation, invalid token length"),
    (0x24, 0x00, "invalid field in CDB"),
    (0x24, 0x01, "CDB decryption error"),
    (0x24, 0x02, "obsolete"),
    (0x24, 0x03, "obsolete"),
    (0x24, 0x04, "security audit value frozen"),
    (0x24, 0x05, "security working key frozen"),
    (0x24, 0x06, "nonce not unique"),
    (0x24, 0x07, "nonce timestamp out of range"),
    (0x24, 0x08, "invalid XCDB"),
    (0x24, 0x09, "invalid fast format"),
    (0x25, 0x00, "logical unit not supported"),
    (0x26, 0x00, "invalid field in parameter list"),
    (0x26, 0x01, "parameter not supported"),
    (0x26, 0x02, "parameter value invalid"),
    (0x26, 0x03, "threshold parameters not supported"),
    (0x26, 0x04, "invalid release of persistent reservation"),
    (0x26, 0x05, "data decryption error"),
    (0x26, 0x06, "too many target descriptors"),
    (0x26, 0x07, "unsupported target descriptor type code"),
    (0x26, 0x08, "too many segment descriptors"),
    (0x26, 0x09, "unsupported segment descriptor type code"),
    (0x26, 0x0A, "unexpected inexact segment"),
    (0x26, 0x0B, "inline data length exceeded"),
    (0x26, 0x0C, "invalid operation for copy source or destination"),
    (0x26, 0x0D, "copy segment granularity violation"),
    (0x26, 0x0E, "invalid parameter while port is enabled"),
    (0x26, 0x0F, "invalid data-out buffer integrity check value"),
    (0x26, 0x10, "data decryption key fail limit reached"),
    (0x26, 0x11, "incomplete key-associated data set"),
    (0x26, 0x12, "vendor specific key reference not found"),
    (0x26, 0x13, "application tag mode page is invalid"),
    (0x26, 0x14, "tape stream mirroring prevented"),
    (0x26, 0x15, "copy source or copy destination not authorized"),
    (0x26, 0x16, "fast copy not possible"),
    (0x27, 0x00, "write protected"),
    (0x27, 0x01, "hardware write protected"),
    (0x27, 0x02, "logical unit software write protected"),
    (0x27, 0x03, "associated write protect"),
    (0x27, 0x04, "persistent write protect"),
    (0x27, 0x05, "permanent write protect"),
    (0x27, 0x06, "conditional write protect"),
    (0x27, 0x07, "space allocation failed write protect"),
    (0x27, 0x08, "zone is read only"),
    (0x28, 0x00, "not ready to ready change, medium may have changed"),
    (0x28, 0x01, "import or export element accessed"),
    (0x28, 0x02, "format-layer may have changed"),
    (0x28, 0x03, "import/export element accessed, medium changed"),
    (0x29, 0x00, "power on, reset, or bus device reset occurred"),
    (0x29, 0x01, "power on occurred"),
    (0x29, 0x02, "SCSI bus reset occurred"),
    (0x29, 0x03, "bus device reset function occurred"),
    (0x29, 0x04, "device internal reset"),
    (0x29, 0x05, "transceiver mode changed to single-ended"),
    (0x29, 0x06, "transceiver mode changed to LVD"),
    (0x29, 0x07, "I_T nexus loss occurred"),
    (0x2A, 0x00, "parameters changed"),
    (0x2A, 0x01, "mode parameters changed"),
    (0x2A, 0x02, "log parameters changed"),
    (0x2A, 0x03, "reservations preempted"),
    (0x2A, 0x04, "reservations released"),
    (0x2A, 0x05, "registrations preempted"),
    (0x2A, 0x06, "asymmetric access state changed"),
    (0x2A, 0x07, "implicit asymmetric access state transition failed"),
    (0x2A, 0x08, "priority changed"),
    (0x2A, 0x09, "capacity data has changed"),
    (0x2A, 0x0A, "error history I_T nexus cleared"),
    (0x2A, 0x0B, "error history snapshot released"),
    (0x2A, 0x0C, "error recovery attributes have changed"),
    (0x2A, 0x0D, "data encryption capabilities changed"),
    (0x2A, 0x10, "timestamp changed"),
    (0x2A, 0x11, "data encryption parameters changed by another I_T nexus"),
    (0x2A, 0x12, "data encryption parameters changed by vendor specific event"),
    (0x2A, 0x13, "data encryption key instance counter has changed"),
    (0x2A, 0x14, "SA creation capabilities data has changed"),
    (0x2A, 0x15, "medium removal prevention preempted"),
    (0x2A, 0x16, "zone reset write pointer recommended"),
    (0x2B, 0x00, "copy cannot execute since host cannot disconnect"),
    (0x2C, 0x00, "command sequence error"),
    (0x2C, 0x01, "too many windows specified"),
    (0x2C, 0x02, "invalid combination of windows specified"),
    (0x2C, 0x03, "current program area is not empty"),
    (0x2C, 0x04, "current program area is empty"),
    (0x2C, 0x05, "illegal power condition request"),
    (0x2C, 0x06, "persistent prevent conflict"),
    (0x2C, 0x07, "previous busy status"),
    (0x2C, 0x08, "previous task set full status"),
    (0x2C, 0x09, "previous reservation conflict status"),
    (0x2C, 0x0A, "partition or collection contains user objects"),
    (0x2C, 0x0B, "not reserved"),
    (0x2C, 0x0C, "ORWRITE generation does not match"),
    (0x2C, 0x0D, "reset write pointer not allowed"),
    (0x2C, 0x0E, "zone is offline"),
    (0x2C, 0x0F, "stream not open"),
    (0x2C, 0x10, "unwritten data in zone"),
    (0x2C, 0x11, "descriptor format sense data required"),
    (0x2C, 0x12, "zone is inactive"),
    (0x2D, 0x00, "overwrite error on update in place"),
    (0x2E, 0x00, "insufficient time for operation"),
    (0x2E, 0x01, "command timeout before processing"),
    (0x2E, 0x02, "command timeout during processing"),
    (0x2E, 0x03, "command timeout during processing due to error recovery"),
    (0x2F, 0x00, "commands cleared by another initiator"),
    (0x2F, 0x01, "commands cleared by power loss notification"),
    (0x2F, 0x02, "commands cleared by device server"),
    (0x2F, 0x03, "some commands cleared by queuing layer event"),
    (0x30, 0x00, "incompatible medium installed"),
    (0x30, 0x01, "cannot read medium - unknown format"),
    (0x30, 0x02, "cannot read medium - incompatible format"),
    (0x30, 0x03, "cleaning cartridge installed"),
    (0x30, 0x04, "cannot write medium - unknown format"),
    (0x30, 0x05, "cannot write medium - incompatible format"),
    (0x30, 0x06, "cannot format medium - incompatible medium"),
    (0x30, 0x07, "cleaning failure"),
    (0x30, 0x08, "cannot write - application code mismatch"),
    (0x30, 0x09, "current session not fixated for append"),
    (0x30, 0x0A, "cleaning request rejected"),
    (0x30, 0x0C, "WORM medium - overwrite attempted"),
    (0x30, 0x0D, "WORM medium - integrity check"),
    (0x30, 0x10, "medium not formatted"),
    (0x30, 0x11, "incompatible volume type"),
    (0x30, 0x12, "incompatible volume qualifier"),
    (0x30, 0x13, "cleaning volume expired"),
    (0x31, 0x00, "medium format corrupted"),
    (0x31, 0x01, "format command failed"),
    (0x31, 0x02, "zoned formatting failed due to spare linking"),
    (0x31, 0x03, "sanitize command failed"),
    (0x31, 0x04, "depopulation failed"),
    (0x31, 0x05, "depopulation restoration failed"),
    (0x32, 0x00, "no defect spare location available"),
    (0x32, 0x01, "defect list update failure"),
    (0x33, 0x00, "tape length error"),
    (0x34, 0x00, "enclosure failure"),
    (0x35, 0x00, "enclosure services failure"),
    (0x35, 0x01, "unsupported enclosure function"),
    (0x35, 0x02, "enclosure services unavailable"),
    (0x35, 0x03, "enclosure services transfer failure"),
    (0x35, 0x04, "enclosure services transfer refused"),
    (0x35, 0x05, "enclosure services checksum error"),
    (0x36, 0x00, "ribbon, ink, or toner failure"),
    (0x37, 0x00, "rounded parameter"),
    (0x38, 0x00, "event status notification"),
    (0x38, 0x02, "ESN - power management class event"),
    (0x38, 0x04, "ESN - media class event"),
    (0x38, 0x06, "ESN - device busy class event"),
    (0x38, 0x07, "thin provisioning soft threshold reached"),
    (0x39, 0x00, "saving parameters not supported"),
    (0x3A, 0x00, "medium not present"),
    (0x3A, 0x01, "medium not present - tray closed"),
    (0x3A, 0x02, "medium not present - tray open"),
    (0x3A, 0x03, "medium not present - loadable"),
    (0x3A, 0x04, "medium not present - medium auxiliary memory accessible"),
    (0x3B, 0x00, "sequential positioning error"),
    (0x3B, 0x01, "tape position error at beginning-of-medium"),
    (0x3B, 0x02, "tape position error at end-of-medium"),
    (0x3B, 0x03, "tape or electronic vertical forms unit not ready"),
    (0x3B, 0x04, "slew failure"),
    (0x3B, 0x05, "paper jam"),
    (0x3B, 0x06, "failed to sense top-of-form"),
    (0x3B, 0x07, "failed to sense bottom-of-form"),
    (0x3B, 0x08, "reposition error"),
    (0x3B, 0x09, "read past end of medium"),
    (0x3B, 0x0A, "read past beginning of medium"),
    (0x3B, 0x0B, "position past end of medium"),
    (0x3B, 0x0C, "position past beginning of medium"),
    (0x3B, 0x0D, "medium destination element full"),
    (0x3B, 0x0E, "medium source element empty"),
    (0x3B, 0x0F, "end of medium reached"),
    (0x3B, 0x11, "medium magazine not accessible"),
    (0x3B, 0x12, "medium magazine removed"),
    (0x3B, 0x13, "medium magazine inserted"),
    (0x3B, 0x14, "medium magazine locked"),
    (0x3B, 0x15, "medium magazine unlocked"),
    (0x3B, 0x16, "mechanical positioning or changer error"),
    (0x3B, 0x17, "read past end of user object"),
    (0x3B, 0x18, "element disabled"),
    (0x3B, 0x19, "element enabled"),
    (0x3B, 0x1A, "data transfer device removed"),
    (0x3B, 0x1B, "data transfer device inserted"),
    (0x3B, 0x1C, "too many logical objects on partition to support operation"),
    (0x3B, 0x20, "element static information changed"),
    (0x3D, 0x00, "invalid bits in identify message"),
    (0x3E, 0x00, "logical unit has not self-configured yet"),
    (0x3E, 0x01, "logical unit failure"),
    (0x3E, 0x02, "timeout on logical unit"),
    (0x3E, 0x03, "logical unit failed self-test"),
    (0x3E, 0x04, "logical unit unable to update self-test log"),
    (0x3F, 0x00, "target operating conditions have changed"),
    (0x3F, 0x01, "microcode has been changed"),
    (0x3F, 0x02, "changed operating definition"),
    (0x3F, 0x03, "inquiry data has changed"),
    (0x3F, 0x04, "component device attached"),
    (0x3F, 0x05, "device identifier changed"),
    (0x3F, 0x06, "redundancy group created or modified"),
    (0x3F, 0x07, "redundancy group deleted"),
    (0x3F, 0x08, "spare created or modified"),
    (0x3F, 0x09, "spare deleted"),
    (0x3F, 0x0A, "volume set created or modified"),
    (0x3F, 0x0B, "volume set deleted"),
    (0x3F, 0x0C, "volume set deassigned"),
    (0x3F, 0x0D, "volume set reassigned"),
    (0x3F, 0x0E, "reported LUNs data has changed"),
    (0x3F, 0x0F, "echo buffer overwritten"),
    (0x3F, 0x10, "medium loadable"),
    (0x3F, 0x11, "medium auxiliary memory accessible"),
    (0x3F, 0x12, "iSCSI IP address added"),
    (0x3F, 0x13, "iSCSI IP address removed"),
    (0x3F, 0x14, "iSCSI IP address changed"),
    (0x3F, 0x15, "inspect referrals sense descriptors"),
    (0x3F, 0x16, "microcode has been changed without reset"),
    (0x3F, 0x17, "zone transition to full"),
    (0x3F, 0x18, "bind completed"),
    (0x3F, 0x19, "bind redirected"),
    (0x3F, 0x1A, "subsidiary binding changed"),
    (0x40, 0x00, "RAM failure (should use 40 NN)"),
    (0x41, 0x00, "data path failure (should use 40 NN)"),
    (0x42, 0x00, "power-on or self-test failure (should use 40 NN)"),
    (0x43, 0x00, "message error"),
    (0x44, 0x00, "internal target failure"),
    (0x44, 0x01, "persistent reservation information lost"),
    (0x44, 0x71, "ATA device failed set features"),
    (0x45, 0x00, "select or reselect failure"),
    (0x46, 0x00, "unsuccessful soft reset"),
    (0x47, 0x00, "SCSI parity error"),
    (0x47, 0x01, "data phase CRC error detected"),
    (0x47, 0x02, "SCSI parity error detected during ST data phase"),
    (0x47, 0x03, "information unit iuCRC error detected"),
    (0x47, 0x04, "asynchronous information protection error detected"),
    (0x47, 0x05, "protocol service CRC error"),
    (0x47, 0x06, "phy test function in progress"),
    (0x47, 0x7F, "some commands cleared by iSCSI protocol event"),
    (0x48, 0x00, "initiator detected error message received"),
    (0x49, 0x00, "invalid message error"),
    (0x4A, 0x00, "command phase error"),
    (0x4B, 0x00, "data phase error"),
    (0x4B, 0x01, "invalid target port transfer tag received"),
    (0x4B, 0x02, "too much write data"),
    (0x4B, 0x03, "ACK/NAK timeout"),
    (0x4B, 0x04, "NAK received"),
    (0x4B, 0x05, "data offset error"),
    (0x4B, 0x06, "initiator response timeout"),
    (0x4B, 0x07, "connection lost"),
    (0x4B, 0x08, "data-in buffer overflow - data buffer size"),
    (0x4B, 0x09, "data-in buffer overflow - data buffer descriptor area"),
    (0x4B, 0x0A, "data-in buffer error"),
    (0x4B, 0x0B, "data-out buffer overflow - data buffer size"),
    (0x4B, 0x0C, "data-out buffer overflow - data buffer descriptor area"),
    (0x4B, 0x0D, "data-out buffer error"),
    (0x4B, 0x0E, "PCIe fabric error"),
    (0x4B, 0x0F, "PCIe completion timeout"),
    (0x4B, 0x10, "PCIe completer abort"),
    (0x4B, 0x11, "PCIe poisoned TLP received"),
    (0x4B, 0x12, "PCIe ECRC check failed"),
    (0x4B, 0x13, "PCIe unsupported request"),
    (0x4B, 0x14, "PCIe ACS violation"),
    (0x4B, 0x15, "PCIe TLP prefix blocked"),
    (0x4C, 0x00, "logical unit failed self-configuration"),
    (0x4E, 0x00, "overlapped commands attempted"),
    (0x50, 0x00, "write append error"),
    (0x50, 0x01, "write append position error"),
    (0x50, 0x02, "position error related to timing"),
    (0x51, 0x00, "erase failure"),
    (0x51, 0x01, "erase failure - incomplete erase operation detected"),
    (0x52, 0x00, "cartridge fault"),
    (0x53, 0x00, "media load or eject failed"),
    (0x53, 0x01, "unload tape failure"),
    (0x53, 0x02, "medium removal prevented"),
    (0x53, 0x03, "medium removal prevented by data transfer element"),
    (0x53, 0x04, "medium thread or unthread failure"),
    (0x53, 0x05, "volume identifier invalid"),
    (0x53, 0x06, "volume identifier missing"),
    (0x53, 0x07, "duplicate volume identifier"),
    (0x53, 0x08, "element status unknown"),
    (0x53, 0x09, "data transfer device error - load failed"),
    (0x53, 0x0A, "data transfer device error - unload failed"),
    (0x53, 0x0B, "data transfer device error - unload missing"),
    (0x53, 0x0C, "data transfer device error - eject failed"),
    (0x53, 0x0D, "data transfer device error - library communication failed"),
    (0x54, 0x00, "SCSI to host system interface failure"),
    (0x55, 0x00, "system resource failure"),
    (0x55, 0x01, "system buffer full"),
    (0x55, 0x02, "insufficient reservation resources"),
    (0x55, 0x03, "insufficient resources"),
    (0x55, 0x04, "insufficient registration resources"),
    (0x55, 0x05, "insufficient access control resources"),
    (0x55, 0x06, "auxiliary memory out of space"),
    (0x55, 0x07, "quota error"),
    (0x55, 0x08, "maximum number of supplemental decryption keys exceeded"),
    (0x55, 0x09, "medium auxiliary memory not accessible"),
    (0x55, 0x0A, "data currently unavailable"),
    (0x55, 0x0B, "insufficient power for operation"),
    (0x55, 0x0C, "insufficient resources to create ROD"),
    (0x55, 0x0D, "insufficient resources to create ROD token"),
    (0x55, 0x0E, "insufficient zone resources"),
    (0x55, 0x0F, "insufficient zone resources to complete write"),
    (0x55, 0x10, "maximum number of streams open"),
    (0x55, 0x11, "insufficient resources to bind"),
    (0x57, 0x00, "unable to recover table-of-contents"),
    (0x58, 0x00, "generation does not exist"),
    (0x59, 0x00, "updated block read"),
    (0x5A, 0x00, "operator request or state change input"),
    (0x5A, 0x01, "operator medium removal request"),
    (0x5A, 0x02, "operator selected write protect"),
    (0x5A, 0x03, "operator selected write permit"),
    (0x5B, 0x00, "log exception"),
    (0x5B, 0x01, "threshold condition met"),
    (0x5B, 0x02, "log counter at maximum"),
    (0x5B, 0x03, "log list codes exhausted"),
    (0x5C, 0x00, "RPL status change"),
    (0x5C, 0x01, "spindles synchronized"),
    (0x5C, 0x02, "spindles not synchronized"),
    (0x5D, 0x00, "failure prediction threshold exceeded"),
    (0x5D, 0x01, "media failure prediction threshold exceeded"),
    (0x5D, 0x02, "logical unit failure prediction threshold exceeded"),
    (0x5D, 0x03, "spare area exhaustion prediction threshold exceeded"),
    (0x5D, 0x10, "hardware impending failure general hard drive failure"),
    (0x5D, 0x11, "hardware impending failure drive error rate too high"),
    (0x5D, 0x12, "hardware impending failure data error rate too high"),
    (0x5D, 0x13, "hardware impending failure seek error rate too high"),
    (0x5D, 0x14, "hardware impending failure too many block reassigns"),
    (0x5D, 0x15, "hardware impending failure access times too high"),
    (0x5D, 0x16, "hardware impending failure start unit times too high"),
    (0x5D, 0x17, "hardware impending failure channel parametrics"),
    (0x5D, 0x18, "hardware impending failure controller detected"),
    (0x5D, 0x19, "hardware impending failure throughput performance"),
    (0x5D, 0x1A, "hardware impending failure seek time performance"),
    (0x5D, 0x1B, "hardware impending failure spin-up retry count"),
    (0x5D, 0x1C, "hardware impending failure drive calibration retry count"),
    (0x5D, 0x1D, "hardware impending failure power loss protection circuit"),
    (0x5D, 0x20, "controller impending failure general hard drive failure"),
    (0x5D, 0x21, "controller impending failure drive error rate too high"),
    (0x5D, 0x22, "controller impending failure data error rate too high"),
    (0x5D, 0x23, "controller impending failure seek error rate too high"),
    (0x5D, 0x24, "controller impending failure too many block reassigns"),
    (0x5D, 0x25, "controller impending failure access times too high"),
    (0x5D, 0x26, "controller impending failure start unit times too high"),
    (0x5D, 0x27, "controller impending failure channel parametrics"),
    (0x5D, 0x28, "controller impending failure controller detected"),
    (0x5D, 0x29, "controller impending failure throughput performance"),
    (0x5D, 0x2A, "controller impending failure seek time performance"),
    (0x5D, 0x2B, "controller impending failure spin-up retry count"),
    (0x5D, 0x2C, "controller impending failure drive calibration retry count"),
    (0x5D, 0x30, "data channel impending failure general hard drive failure"),
    (0x5D, 0x31, "data channel impending failure drive error rate too high"),
    (0x5D, 0x32, "data channel impending failure data error rate too high"),
    (0x5D, 0x33, "data channel impending failure seek error rate too high"),
    (0x5D, 0x34, "data channel impending failure too many block reassigns"),
    (0x5D, 0x35, "data channel impending failure access times too high"),
    (0x5D, 0x36, "data channel impending failure start unit times too high"),
    (0x5D, 0x37, "data channel impending failure channel parametrics"),
    (0x5D, 0x38, "data channel impending failure controller detected"),
    (0x5D, 0x39, "data channel impending failure throughput performance"),
    (0x5D, 0x3A, "data channel impending failure seek time performance"),
    (0x5D, 0x3B, "data channel impending failure spin-up retry count"),
    (0x5D, 0x3C, "data channel impending failure drive calibration retry count"),
    (0x5D, 0x40, "servo impending failure general hard drive failure"),
    (0x5D, 0x41, "servo impending failure drive error rate too high"),
    (0x5D, 0x42, "servo impending failure data error rate too high"),
    (0x5D, 0x43, "servo impending failure seek error rate too high"),
    (0x5D, 0x44, "servo impending failure too many block reassigns"),
    (0x5D, 0x45, "servo impending failure access times too high"),
    (0x5D, 0x46, "servo impending failure start unit times too high"),
    (0x5D, 0x47, "servo impending failure channel parametrics"),
    (0x5D, 0x48, "servo impending failure controller detected"),
    (0x5D, 0x49, "servo impending failure throughput performance"),
    (0x5D, 0x4A, "servo impending failure seek time performance"),
    (0x5D, 0x4B, "servo impending failure spin-up retry count"),
    (0x5D, 0x4C, "servo impending failure drive calibration retry count"),
    (0x5D, 0x50, "spindle impending failure general hard drive failure"),
    (0x5D, 0x51, "spindle impending failure drive error rate too high"),
    (0x5D, 0x52, "spindle impending failure data error rate too high"),
    (0x5D, 0x53, "spindle impending failure seek error rate too high"),
    (0x5D, 0x54, "spindle impending failure too many block reassigns"),
    (0x5D, 0x55, "spindle impending failure access times too high"),
    (0x5D, 0x56, "spindle impending failure start unit times too high"),
    (0x5D, 0x57, "spindle impending failure channel parametrics"),
    (0x5D, 0x58, "spindle impending failure controller detected"),
    (0x5D, 0x59, "spindle impending failure throughput performance"),
    (0x5D, 0x5A, "spindle impending failure seek time performance"),
    (0x5D, 0x5B, "spindle impending failure spin-up retry count"),
    (0x5D, 0x5C, "spindle impending failure drive calibration retry count"),
    (0x5D, 0x60, "firmware impending failure general hard drive failure"),
    (0x5D, 0x61, "firmware impending failure drive error rate too high"),
    (0x5D, 0x62, "firmware impending failure data error rate too high"),
    (0x5D, 0x63, "firmware impending failure seek error rate too high"),
    (0x5D, 0x64, "firmware impending failure too many block reassigns"),
    (0x5D, 0x65, "firmware impending failure access times too high"),
    (0x5D, 0x66, "firmware impending failure start unit times too high"),
    (0x5D, 0x67, "firmware impending failure channel parametrics"),
    (0x5D, 0x68, "firmware impending failure controller detected"),
    (0x5D, 0x69, "firmware impending failure throughput performance"),
    (0x5D, 0x6A, "firmware impending failure seek time performance"),
    (0x5D, 0x6B, "firmware impending failure spin-up retry count"),
    (0x5D, 0x6C, "firmware impending failure drive calibration retry count"),
    (0x5D, 0x73, "media impending failure endurance limit met"),
    (0x5D, 0xFF, "failure prediction threshold exceeded (false)"),
    (0x5E, 0x00, "low power condition on"),
    (0x5E, 0x01, "idle condition activated by timer"),
    (0x5E, 0x02, "standby condition activated by timer"),
    (0x5E, 0x03, "idle condition activated by command"),
    (0x5E, 0x04, "standby condition activated by command"),
    (0x5E, 0x05, "idle_b condition activated by timer"),
    (0x5E, 0x06, "idle_b condition activated by command"),
    (0x5E, 0x07, "idle_c condition activated by timer"),
    (0x5E, 0x08, "idle_c condition activated by command"),
    (0x5E, 0x09, "standby_y condition activated by timer"),
    (0x5E, 0x0A, "standby_y condition activated by command"),
    (0x5E, 0x41, "power state change to active"),
    (0x5E, 0x42, "power state change to idle"),
    (0x5E, 0x43, "power state change to standby"),
    (0x5E, 0x45, "power state change to sleep"),
    (0x5E, 0x47, "power state change to device control"),
    (0x60, 0x00, "lamp failure"),
    (0x61, 0x00, "video acquisition error"),
    (0x61, 0x01, "unable to acquire video"),
    (0x61, 0x02, "out of focus"),
    (0x62, 0x00, "scan head positioning error"),
    (0x63, 0x00, "end of user area encountered on this track"),
    (0x63, 0x01, "packet does not fit in available space"),
    (0x64, 0x00, "illegal mode for this track"),
    (0x64, 0x01, "invalid packet size"),
    (0x65, 0x00, "voltage fault"),
    (0x66, 0x00, "automatic document feeder cover up"),
    (0x66, 0x01, "automatic document feeder lift up"),
    (0x66, 0x02, "document jam in automatic document feeder"),
    (0x66, 0x03, "document miss feed automatic in document feeder"),
    (0x67, 0x00, "configuration failure"),
    (0x67, 0x01, "configuration of incapable logical units failed"),
    (0x67, 0x02, "add logical unit failed"),
    (0x67, 0x03, "modification of logical unit failed"),
    (0x67, 0x04, "exchange of logical unit failed"),
    (0x67, 0x05, "remove of logical unit failed"),
    (0x67, 0x06, "attachment of logical unit failed"),
    (0x67, 0x07, "creation of logical unit failed"),
    (0x67, 0x08, "assign failure occurred"),
    (0x67, 0x09, "multiply assigned logical unit"),
    (0x67, 0x0A, "set target port groups command failed"),
    (0x67, 0x0B, "ATA device feature not enabled"),
    (0x67, 0x0C, "command rejected"),
    (0x67, 0x0D, "explicit bind not allowed"),
    (0x68, 0x00, "logical unit not configured"),
    (0x68, 0x01, "subsidiary logical unit not configured"),
    (0x69, 0x00, "data loss on logical unit"),
    (0x69, 0x01, "multiple logical unit failures"),
    (0x69, 0x02, "parity/data mismatch"),
    (0x6A, 0x00, "informational, refer to log"),
    (0x6B, 0x00, "state change has occurred"),
    (0x6B, 0x01, "redundancy level got better"),
    (0x6B, 0x02, "redundancy level got worse"),
    (0x6C, 0x00, "rebuild failure occurred"),
    (0x6D, 0x00, "recalculate failure occurred"),
    (0x6E, 0x00, "command to logical unit failed"),
    (0x6F, 0x00, "copy protection key exchange failure - authentication failure"),
    (0x6F, 0x01, "copy protection key exchange failure - key not present"),
    (0x6F, 0x02, "copy protection key exchange failure - key not established"),
    (0x6F, 0x03, "read of scrambled sector without authentication"),
    (0x6F, 0x04, "media region code is mismatched to logical unit region"),
    (0x6F, 0x05, "drive region must be permanent/region reset count error"),
    (0x6F, 0x06, "insufficient block count for binding nonce recording"),
    (0x6F, 0x07, "conflict in binding nonce recording"),
    (0x6F, 0x08, "insufficient permission"),
    (0x6F, 0x09, "invalid drive-host pairing server"),
    (0x6F, 0x0A, "drive-host pairing suspended"),
    (0x71, 0x00, "decompression exception long algorithm ID"),
    (0x72, 0x00, "session fixation error"),
    (0x72, 0x01, "session fixation error writing lead-in"),
    (0x72, 0x02, "session fixation error writing lead-out"),
    (0x72, 0x03, "session fixation error - incomplete track in session"),
    (0x72, 0x04, "empty or partially written reserved track"),
    (0x72, 0x05, "no more track reservations allowed"),
    (0x72, 0x06, "RMZ extension is not allowed"),
    (0x72, 0x07, "no more test zone extensions are allowed"),
    (0x73, 0x00, "CD control error"),
    (0x73, 0x01, "power calibration area almost full"),
    (0x73, 0x02, "power calibration area is full"),
    (0x73, 0x03, "power calibration area error"),
    (0x73, 0x04, "program memory area update failure"),
    (0x73, 0x05, "program memory area is full"),
    (0x73, 0x06, "RMA/PMA is almost full"),
    (0x73, 0x10, "current power calibration area almost full"),
    (0x73, 0x11, "current power calibration area is full"),
    (0x73, 0x17, "RDZ is full"),
    (0x74, 0x00, "security error"),
    (0x74, 0x01, "unable to decrypt data"),
    (0x74, 0x02, "unencrypted data encountered while decrypting"),
    (0x74, 0x03, "incorrect data encryption key"),
    (0x74, 0x04, "cryptographic integrity validation failed"),
    (0x74, 0x05, "error decrypting data"),
    (0x74, 0x06, "unknown signature verification key"),
    (0x74, 0x07, "encryption parameters not useable"),
    (0x74, 0x08, "digital signature validation failure"),
    (0x74, 0x09, "encryption mode mismatch on read"),
    (0x74, 0x0A, "encrypted block not raw read enabled"),
    (0x74, 0x0B, "incorrect encryption parameters"),
    (0x74, 0x0C, "unable to decrypt parameter list"),
    (0x74, 0x0D, "encryption algorithm disabled"),
    (0x74, 0x10, "SA creation parameter value invalid"),
    (0x74, 0x11, "SA creation parameter value rejected"),
    (0x74, 0x12, "invalid SA usage"),
    (0x74, 0x21, "data encryption configuration prevented"),
    (0x74, 0x30, "SA creation parameter not supported"),
    (0x74, 0x40, "authentication failed"),
    (0x74, 0x61, "external data encryption key manager access error"),
    (0x74, 0x62, "external data encryption key manager error"),
    (0x74, 0x63, "external data encryption key not found"),
    (0x74, 0x64, "external data encryption request not authorized"),
    (0x74, 0x6E, "external data encryption control timeout"),
    (0x74, 0x6F, "external data encryption control error"),
    (0x74, 0x71, "logical unit access not authorized"),
    (0x74, 0x79, "security conflict in translated device"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        for w in TABLE.windows(2) {
            assert!(
                (w[0].0, w[0].1) < (w[1].0, w[1].1),
                "{:02X}/{:02X}",
                w[1].0,
                w[1].1
            );
        }
        assert!(TABLE.len() > 700);
        assert!(TABLE.iter().all(|(_, _, t)| !t.is_empty()));
    }

    #[test]
    fn exact_entries() {
        assert_eq!(AscAscq::WRITE_ERROR.description(), "write error");
        assert_eq!(
            AscAscq(0x20, 0x00).description(),
            "invalid command operation code"
        );
        assert_eq!(AscAscq(0x24, 0x00).description(), "invalid field in CDB");
        assert_eq!(AscAscq(0x3A, 0x00).description(), "medium not present");
        assert_eq!(
            AscAscq(0x3A, 0x02).description(),
            "medium not present - tray open"
        );
        assert_eq!(
            AscAscq(0x53, 0x02).description(),
            "medium removal prevented"
        );
        assert_eq!(
            AscAscq(0x28, 0x00).description(),
            "not ready to ready change, medium may have changed"
        );
        assert_eq!(
            AscAscq(0x04, 0x04).description(),
            "logical unit not ready, format in progress"
        );
        assert_eq!(
            AscAscq(0x73, 0x01).description(),
            "power calibration area almost full"
        );
        assert_eq!(
            AscAscq(0x5D, 0x1C).description(),
            "hardware impending failure drive calibration retry count"
        );
        assert_eq!(
            AscAscq(0x5D, 0xFF).description(),
            "failure prediction threshold exceeded (false)"
        );
    }

    #[test]
    fn ranged_vendor_and_unknown() {
        assert_eq!(
            AscAscq(0x40, 0x00).description(),
            "RAM failure (should use 40 NN)"
        );
        assert_eq!(
            AscAscq(0x40, 0x83).description(),
            "diagnostic failure on component 83h"
        );
        assert_eq!(AscAscq(0x40, 0x05).description(), "unknown ASC/ASCQ");
        assert_eq!(
            AscAscq(0x4D, 0x12).description(),
            "tagged overlapped commands (task tag 12h)"
        );
        assert_eq!(
            AscAscq(0x70, 0x02).description(),
            "decompression exception short algorithm ID of 02h"
        );
        assert_eq!(AscAscq(0x80, 0x00).description(), "vendor specific");
        assert_eq!(AscAscq(0xFF, 0xFF).description(), "vendor specific");
        assert_eq!(
            AscAscq(0x0C, 0x90).description(),
            "write error (vendor specific qualifier 90h)"
        );
        assert_eq!(AscAscq(0x56, 0x00).description(), "unknown ASC/ASCQ");
        assert_eq!(AscAscq(0x3A, 0x01).to_string(), "3A/01");
        assert_eq!(
            format!("{:?}", AscAscq(0x3A, 0x00)),
            "AscAscq(3A/00 medium not present)"
        );
    }

    #[test]
    fn every_pair_has_a_description() {
        for asc in 0..=255u8 {
            for ascq in 0..=255u8 {
                assert!(!AscAscq(asc, ascq).description().is_empty());
            }
        }
    }
}
