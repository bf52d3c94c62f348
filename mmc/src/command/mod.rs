//! Typed MMC commands: one file per command, CDB builder and reply parser together.
//!
//! Every command implements [`Command`]: `cdb()` builds the descriptor block with
//! `to_be_bytes`, `data_phase()` says what moves, and `parse()` decodes the reply bytes that
//! actually arrived. Parsers honour the reply's own length field and the received length,
//! ignore trailing or vendor bytes, and never panic. Run them through
//! [`Drive::run`](crate::Drive::run).
//!
//! # References
//! T10 MMC-6 (draft mmc6r02g) and SPC-5 sections cited per command; `docs/mmc-notes.md` §2.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use crate::ParseError;

mod blank;
mod close_track_session;
mod format_unit;
mod get_configuration;
mod get_event_status_notification;
mod get_performance;
mod inquiry;
mod mechanism_status;
mod mode_page;
mod mode_select;
mod mode_sense;
mod prevent_allow_medium_removal;
mod read10;
mod read12;
mod read_buffer_capacity;
mod read_capacity;
mod read_disc_information;
mod read_format_capacities;
mod read_toc;
mod read_track_information;
mod request_sense;
mod reserve_track;
mod set_cd_speed;
mod set_streaming;
mod start_stop_unit;
mod synchronize_cache;
mod test_unit_ready;
mod write10;
mod write12;

pub use blank::{Blank, BlankType};
pub use close_track_session::{CloseFunction, CloseTrackSession};
pub use format_unit::{FormatDescriptor, FormatType, FormatUnit};
pub use get_configuration::{Configuration, GetConfiguration, RequestType};
pub use get_event_status_notification::{
    EventStatus, GetEventStatusNotification, MediaEvent, MediaStatus,
};
pub use get_performance::{
    GetPerformance, GetWriteSpeeds, Performance, PerformanceDescriptor, WriteSpeedDescriptor,
    WriteSpeeds,
};
pub use inquiry::{Designator, Inquiry, InquiryData, InquiryVpd, VpdPage};
pub use mechanism_status::{MechanismStatus, MechanismStatusData};
pub use mode_page::{
    CapabilitiesPage, MultiSession, WriteParametersPage, WriteSpeedEntry, WriteType,
};
pub use mode_select::ModeSelect10;
pub use mode_sense::{ModePage, ModeParameters, ModeSense10, PageControl};
pub use prevent_allow_medium_removal::{PreventAllowMediumRemoval, PreventMode};
pub use read10::Read10;
pub use read12::Read12;
pub use read_buffer_capacity::{BufferCapacity, ReadBufferCapacity};
pub use read_capacity::{CapacityData, ReadCapacity};
pub use read_disc_information::{
    BgFormatStatus, DiscInformation, DiscStatus, ReadDiscInformation, SessionState,
};
pub use read_format_capacities::{
    CurrentCapacity, DescriptorType, FormatCapacities, FormattableDescriptor, ReadFormatCapacities,
};
pub use read_toc::{
    Address, Atip, FullToc, FullTocEntry, Msf, ReadAtip, ReadFullToc, ReadSessionInfo, ReadToc,
    SessionInfo, Toc, TocEntry,
};
pub use read_track_information::{ReadTrackInformation, TrackAddress, TrackInformation};
pub use request_sense::RequestSense;
pub use reserve_track::ReserveTrack;
pub use set_cd_speed::SetCdSpeed;
pub use set_streaming::{SetStreaming, StreamingDescriptor};
pub use start_stop_unit::StartStopUnit;
pub use synchronize_cache::SynchronizeCache;
pub use test_unit_ready::TestUnitReady;
pub use write10::Write10;
pub use write12::Write12;

/// Timeouts from `docs/mmc-notes.md` §1.5 (libburn's defaults): explicit for every command, generous for
/// long operations, and always paired with Immed + polling for BLANK/FORMAT/CLOSE/SYNC.
pub mod timeouts {
    use std::time::Duration;

    /// Ordinary commands.
    pub const DEFAULT: Duration = Duration::from_secs(30);
    /// WRITE(10)/(12), RESERVE TRACK, and long operations sent with Immed.
    pub const WRITE: Duration = Duration::from_secs(200);
    /// START STOP UNIT with load or start.
    pub const LOAD: Duration = Duration::from_secs(300);
    /// CLOSE TRACK/SESSION and SYNCHRONIZE CACHE without Immed.
    pub const CLOSE: Duration = Duration::from_secs(3600);
    /// BLANK and FORMAT UNIT without Immed.
    pub const BLANK: Duration = Duration::from_secs(18000);
}

/// The data phase a command needs.
#[derive(Clone, PartialEq, Eq)]
pub enum Transfer<'a> {
    /// No data moves.
    None,
    /// Data-in: the drive sends at most this many bytes (the allocation or transfer length).
    In(usize),
    /// Data-out: these bytes go to the drive.
    Out(Cow<'a, [u8]>),
}

impl Transfer<'_> {
    /// Bytes offered in either direction.
    pub fn len(&self) -> usize {
        match self {
            Transfer::None => 0,
            Transfer::In(n) => *n,
            Transfer::Out(b) => b.len(),
        }
    }

    /// True when nothing moves.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for Transfer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Transfer::None => f.write_str("None"),
            Transfer::In(n) => write!(f, "In({n})"),
            Transfer::Out(b) => write!(f, "Out({} bytes)", b.len()),
        }
    }
}

/// How [`Drive::run`](crate::Drive::run) may repeat a command after a transient condition
/// (`docs/mmc-notes.md` §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryPolicy {
    /// UNIT ATTENTION: repeat once per distinct condition. NOT READY 04/01, 04/04, 04/07,
    /// 04/08: poll TEST UNIT READY, then repeat. BUSY, ABORTED COMMAND, NOT READY 04/00:
    /// bounded repeats.
    Standard,
    /// Writes: UNIT ATTENTION (the command was not executed) and NOT READY 04/08 (long write
    /// in progress, buffer full) are waited out; nothing else is repeated.
    Write,
    /// NOT READY is returned as is, so polling loops see it (TEST UNIT READY, REQUEST
    /// SENSE). UNIT ATTENTION and BUSY are still handled.
    NoWait,
}

/// One MMC command: CDB, data phase and reply parser.
pub trait Command {
    /// The command's name as the spec writes it ("READ DISC INFORMATION"), used in errors
    /// and logs.
    const NAME: &'static str;
    /// The CDB: `[u8; 6]`, `[u8; 10]` or `[u8; 12]`.
    type Cdb: AsRef<[u8]>;
    /// The decoded reply.
    type Response;

    /// Builds the CDB.
    fn cdb(&self) -> Self::Cdb;

    /// What moves in the data phase.
    fn data_phase(&self) -> Transfer<'_>;

    /// Decodes the data-in bytes that arrived (already clipped to `len − residual`).
    ///
    /// # Errors
    /// [`ParseError`] when the reply is too short or inconsistent.
    fn parse(&self, data: &[u8]) -> Result<Self::Response, ParseError>;

    /// How long the transport may wait for this command.
    fn timeout(&self) -> Duration {
        timeouts::DEFAULT
    }

    /// The LBA the command addresses, reported in errors.
    fn lba(&self) -> Option<u32> {
        None
    }

    /// How the drive facade may repeat this command.
    fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy::Standard
    }
}

/// A SCSI/MMC operation code. An open code space, so a newtype with named constants.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Opcode(pub u8);

macro_rules! opcodes {
    ($($name:ident = $code:literal, $text:literal;)*) => {
        impl Opcode {
            $(
                #[doc = concat!("`", stringify!($code), "`: ", $text, ".")]
                pub const $name: Opcode = Opcode($code);
            )*

            /// The command name ("READ DISC INFORMATION"), or "unknown opcode".
            pub fn name(self) -> &'static str {
                match self.0 {
                    $($code => $text,)*
                    _ => "unknown opcode",
                }
            }
        }
    };
}

opcodes! {
    TEST_UNIT_READY = 0x00, "TEST UNIT READY";
    REQUEST_SENSE = 0x03, "REQUEST SENSE";
    FORMAT_UNIT = 0x04, "FORMAT UNIT";
    INQUIRY = 0x12, "INQUIRY";
    MODE_SELECT_6 = 0x15, "MODE SELECT(6)";
    MODE_SENSE_6 = 0x1A, "MODE SENSE(6)";
    START_STOP_UNIT = 0x1B, "START STOP UNIT";
    PREVENT_ALLOW_MEDIUM_REMOVAL = 0x1E, "PREVENT ALLOW MEDIUM REMOVAL";
    READ_FORMAT_CAPACITIES = 0x23, "READ FORMAT CAPACITIES";
    READ_CAPACITY = 0x25, "READ CAPACITY(10)";
    READ_10 = 0x28, "READ(10)";
    WRITE_10 = 0x2A, "WRITE(10)";
    SEEK_10 = 0x2B, "SEEK(10)";
    WRITE_AND_VERIFY_10 = 0x2E, "WRITE AND VERIFY(10)";
    VERIFY_10 = 0x2F, "VERIFY(10)";
    SYNCHRONIZE_CACHE = 0x35, "SYNCHRONIZE CACHE(10)";
    WRITE_BUFFER = 0x3B, "WRITE BUFFER";
    READ_BUFFER = 0x3C, "READ BUFFER";
    READ_SUB_CHANNEL = 0x42, "READ SUB-CHANNEL";
    READ_TOC_PMA_ATIP = 0x43, "READ TOC/PMA/ATIP";
    PLAY_AUDIO_10 = 0x45, "PLAY AUDIO(10)";
    GET_CONFIGURATION = 0x46, "GET CONFIGURATION";
    PLAY_AUDIO_MSF = 0x47, "PLAY AUDIO MSF";
    GET_EVENT_STATUS_NOTIFICATION = 0x4A, "GET EVENT STATUS NOTIFICATION";
    PAUSE_RESUME = 0x4B, "PAUSE/RESUME";
    READ_DISC_INFORMATION = 0x51, "READ DISC INFORMATION";
    READ_TRACK_INFORMATION = 0x52, "READ TRACK INFORMATION";
    RESERVE_TRACK = 0x53, "RESERVE TRACK";
    SEND_OPC_INFORMATION = 0x54, "SEND OPC INFORMATION";
    MODE_SELECT_10 = 0x55, "MODE SELECT(10)";
    REPAIR_TRACK = 0x58, "REPAIR TRACK";
    MODE_SENSE_10 = 0x5A, "MODE SENSE(10)";
    CLOSE_TRACK_SESSION = 0x5B, "CLOSE TRACK/SESSION";
    READ_BUFFER_CAPACITY = 0x5C, "READ BUFFER CAPACITY";
    SEND_CUE_SHEET = 0x5D, "SEND CUE SHEET";
    SERVICE_ACTION_IN_16 = 0x9E, "SERVICE ACTION IN(16)";
    REPORT_LUNS = 0xA0, "REPORT LUNS";
    BLANK = 0xA1, "BLANK";
    SECURITY_PROTOCOL_IN = 0xA2, "SECURITY PROTOCOL IN";
    SEND_KEY = 0xA3, "SEND KEY";
    REPORT_KEY = 0xA4, "REPORT KEY";
    LOAD_UNLOAD_MEDIUM = 0xA6, "LOAD/UNLOAD MEDIUM";
    SET_READ_AHEAD = 0xA7, "SET READ AHEAD";
    READ_12 = 0xA8, "READ(12)";
    WRITE_12 = 0xAA, "WRITE(12)";
    READ_MEDIA_SERIAL_NUMBER = 0xAB, "READ MEDIA SERIAL NUMBER";
    GET_PERFORMANCE = 0xAC, "GET PERFORMANCE";
    READ_DISC_STRUCTURE = 0xAD, "READ DISC STRUCTURE";
    SECURITY_PROTOCOL_OUT = 0xB5, "SECURITY PROTOCOL OUT";
    SET_STREAMING = 0xB6, "SET STREAMING";
    READ_CD_MSF = 0xB9, "READ CD MSF";
    SET_CD_SPEED = 0xBB, "SET CD SPEED";
    MECHANISM_STATUS = 0xBD, "MECHANISM STATUS";
    READ_CD = 0xBE, "READ CD";
    SEND_DISC_STRUCTURE = 0xBF, "SEND DISC STRUCTURE";
}

impl fmt::Debug for Opcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Opcode({:02X}h {})", self.0, self.name())
    }
}

impl fmt::Display for Opcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Reply length from a 16-bit length field that counts the bytes after itself (`total − 2`),
/// clipped to what arrived.
pub(crate) fn clip_len16(data: &[u8]) -> Result<&[u8], ParseError> {
    let len = crate::bytes::be_u16(data, 0)?;
    Ok(crate::bytes::clip(data, usize::from(len) + 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opcode_names() {
        assert_eq!(
            Opcode::READ_DISC_INFORMATION.name(),
            "READ DISC INFORMATION"
        );
        assert_eq!(Opcode(0x51), Opcode::READ_DISC_INFORMATION);
        assert_eq!(Opcode(0xFF).name(), "unknown opcode");
        assert_eq!(format!("{:?}", Opcode::BLANK), "Opcode(A1h BLANK)");
    }

    #[test]
    fn transfer_len() {
        assert_eq!(Transfer::None.len(), 0);
        assert!(Transfer::None.is_empty());
        assert_eq!(Transfer::In(34).len(), 34);
        assert_eq!(Transfer::Out(Cow::Borrowed(&[1, 2, 3])).len(), 3);
        assert_eq!(
            format!("{:?}", Transfer::Out(Cow::Owned(vec![0; 60]))),
            "Out(60 bytes)"
        );
    }
}
