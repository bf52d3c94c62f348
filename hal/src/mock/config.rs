//! How a mock drive identifies itself and which drive behaviours it imitates.

use serde::{Deserialize, Serialize};

use super::profile::DriveProfile;

/// Settings of a mock drive, stored in its `state.json` and fixed at
/// [`MockDrive::create`](super::MockDrive::create) (change them later with
/// [`MockDrive::set_config`](super::MockDrive::set_config)).
///
/// Every field has a default (`#[serde(default)]`), so a hand-edited state file may leave
/// fields out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MockConfig {
    /// INQUIRY vendor identification (8 ASCII characters, space padded or cut).
    pub vendor: String,
    /// INQUIRY product identification (16 characters).
    pub product: String,
    /// INQUIRY product revision level (4 characters).
    pub revision: String,
    /// Serial number, reported in VPD page 83h.
    pub serial: String,
    /// Size of the drive's write buffer in bytes (READ BUFFER CAPACITY, page 2Ah). WRITE data
    /// stays there until SYNCHRONIZE CACHE, CLOSE TRACK/SESSION, eject, or overflow.
    pub buffer_bytes: u32,
    /// Number of commands that see NOT READY with progress after an Immed FORMAT UNIT,
    /// BLANK, CLOSE TRACK/SESSION or SYNCHRONIZE CACHE. 0 completes them at once.
    pub immed_polls: u32,
    /// Number of commands a DVD+RW background format keeps running (disc information BG
    /// format status 10b) before it completes (11b).
    pub bg_format_commands: u32,
    /// Number of commands answered 02/04/01 (becoming ready) after a medium is loaded.
    pub spin_up_polls: u32,
    /// Imitate QEMU's `scsi-cd` where it differs from real drives: no medium is always
    /// 02/3A/00 (never 3A/01 or 3A/02), an insert queues 06/3A/00 before 06/28/00, and
    /// READ DISC INFORMATION on complete discs reports zero lead-in/lead-out addresses.
    pub qemu_compat: bool,
    /// Pace READ and WRITE at this rate in kB/s (1000 bytes/s; 4x DVD is 5540). `None`
    /// runs at full speed.
    pub pace_kbs: Option<u32>,
    /// Append one line per command to `DIR/transcript.log`.
    pub transcript: bool,
    /// The largest data phase, in bytes, the mock accepts (`Transport::max_transfer`).
    pub max_transfer: usize,
    /// Drive quirks.
    pub quirks: Quirks,
    /// A recorded drive's answers about itself, replayed on top of the medium model
    /// (`spindle mock new --profile`); `None` for the mock's own identity and features.
    pub profile: Option<DriveProfile>,
}

/// Drive behaviours that differ between real drives; each can be switched to test the
/// code that copes with them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Quirks {
    /// CD Track-at-Once: closing a track appends 2 run-out blocks that belong to the track but
    /// fail READ with 05/64/00. On by default, as on real drives.
    pub cd_tao_runout: bool,
    /// Refuse WRITE on CD and DVD-R/RW with 05/2C/00 until the host has sent page 05 with
    /// MODE SELECT (real drives keep a default page and accept the write).
    pub strict_page05: bool,
    /// After BLANK minimal (001b) a DVD-RW loses feature 0021h (Incremental Streaming) and
    /// incremental writes fail with 05/64/00, as on many real drives.
    pub dvd_rw_quick_blank_no_incremental: bool,
    /// READ TRACK INFORMATION on a blank CD-R/RW reports NWA −150 (FFFFFF6Ah).
    pub cd_nwa_minus_150: bool,
    /// MODE SENSE page 2Ah in the short MMC-2 form (page length 14h, no write speed
    /// descriptors), as QEMU and old drives return it.
    pub legacy_page_2a: bool,
    /// READ TRACK INFORMATION on a complete (finalized) disc fails with 05/24/00.
    pub track_info_fails_when_complete: bool,
    /// "Pioneer mode": during an Immed operation TEST UNIT READY answers GOOD (it still
    /// counts as a poll); other commands see NOT READY.
    pub pioneer_tur_ready: bool,
    /// SET STREAMING is an unknown opcode (05/20/00); hosts fall back to SET CD SPEED.
    pub set_streaming_unsupported: bool,
    /// GET CONFIGURATION is an unknown opcode (05/20/00), as on MMC-1 drives.
    pub get_configuration_unsupported: bool,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            vendor: "SPINDLE".into(),
            product: "MOCK BD WRITER".into(),
            revision: "1.00".into(),
            serial: "MOCK0001".into(),
            buffer_bytes: 4 * 1024 * 1024,
            immed_polls: 3,
            bg_format_commands: 8,
            spin_up_polls: 0,
            qemu_compat: false,
            pace_kbs: None,
            transcript: true,
            max_transfer: 64 * 1024,
            quirks: Quirks::default(),
            profile: None,
        }
    }
}

impl Default for Quirks {
    fn default() -> Self {
        Quirks {
            cd_tao_runout: true,
            strict_page05: false,
            dvd_rw_quick_blank_no_incremental: false,
            cd_nwa_minus_150: false,
            legacy_page_2a: false,
            track_info_fails_when_complete: false,
            pioneer_tur_ready: false,
            set_streaming_unsupported: false,
            get_configuration_unsupported: false,
        }
    }
}

impl MockConfig {
    /// A configuration that identifies as QEMU's emulated CD-ROM (`QEMU` / `QEMU CD-ROM` /
    /// `2.5+`) with [`MockConfig::qemu_compat`] and the short page 2Ah, for differential
    /// tests against the observations of the QEMU drive lab.
    pub fn qemu_like() -> Self {
        MockConfig {
            vendor: "QEMU".into(),
            product: "QEMU CD-ROM".into(),
            revision: "2.5+".into(),
            qemu_compat: true,
            quirks: Quirks {
                legacy_page_2a: true,
                ..Quirks::default()
            },
            ..MockConfig::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_json_fills_defaults() {
        let c: MockConfig =
            serde_json::from_str(r#"{"immed_polls": 7, "quirks": {"strict_page05": true}}"#)
                .unwrap();
        assert_eq!(c.immed_polls, 7);
        assert!(c.quirks.strict_page05);
        assert!(c.quirks.cd_tao_runout);
        assert_eq!(c.buffer_bytes, 4 * 1024 * 1024);
        assert!(c.transcript);
    }
}
