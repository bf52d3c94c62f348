//! Exit codes. Scripts depend on these, so they are documented in the README and in each
//! tool's `--help`, and never renumbered.
//!
//! `mmc-probe` (a diagnostic tool of its own) uses small numbers. `spindle` keeps Cedar
//! Backup's codes 0-6 for its backup actions and uses 10 and up for device problems, so a
//! wrapper written for `cback3` keeps working.

use hal::ErrorKind;

/// The categories a device failure falls into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceFailure {
    /// Anything not listed below.
    Other,
    /// The device node or mock directory does not exist.
    NoSuchDevice,
    /// Opening or commanding the device was refused by the OS.
    PermissionDenied,
    /// The node is not an optical (MMC) drive.
    NotOptical,
    /// The drive has no medium (or the tray is open).
    NoMedium,
    /// Someone else holds the device.
    Busy,
}

/// Classifies an error chain by the first hal or mmc error in it.
pub fn classify(e: &anyhow::Error) -> DeviceFailure {
    for cause in e.chain() {
        if let Some(h) = cause.downcast_ref::<hal::Error>() {
            return from_kind(h.kind());
        }
        if let Some(m) = cause.downcast_ref::<mmc::Error>() {
            let m = m.innermost();
            if let mmc::Error::Transport(h) = m {
                return from_kind(h.kind());
            }
            if matches!(m, mmc::Error::NotMmc { .. }) {
                return DeviceFailure::NotOptical;
            }
            if m.is_no_medium() {
                return DeviceFailure::NoMedium;
            }
            return DeviceFailure::Other;
        }
    }
    DeviceFailure::Other
}

fn from_kind(k: ErrorKind) -> DeviceFailure {
    match k {
        ErrorKind::NotFound => DeviceFailure::NoSuchDevice,
        ErrorKind::PermissionDenied => DeviceFailure::PermissionDenied,
        ErrorKind::NotMmc => DeviceFailure::NotOptical,
        ErrorKind::Busy => DeviceFailure::Busy,
        _ => DeviceFailure::Other,
    }
}

/// `mmc-probe` exit codes.
pub mod probe {
    /// Success: the drive was probed and holds a medium (or drives were listed).
    pub const OK: u8 = 0;
    /// Any other failure (a command the drive refused, I/O trouble).
    pub const FAILURE: u8 = 1;
    /// Bad command line.
    pub const USAGE: u8 = 2;
    /// No such device node or mock directory.
    pub const NO_SUCH_DEVICE: u8 = 3;
    /// Permission denied (join the group that owns the node).
    pub const PERMISSION_DENIED: u8 = 4;
    /// The path is not an optical drive (a regular file, a directory, /dev/null, a disk).
    pub const NOT_OPTICAL: u8 = 5;
    /// The drive answered but holds no medium or its tray is open; the report is printed.
    pub const NO_MEDIUM: u8 = 6;
    /// The device is busy (mounted, or held exclusively by another program).
    pub const BUSY: u8 = 7;
    /// `--battery --against`: the battery differs from the report's beyond the medium fields.
    pub const DIFFERS: u8 = 8;
    /// `--write-test`: refused before anything was written (no `--yes-write`; a disc that
    /// holds data without `--yes-erase`; a medium it cannot test).
    pub const REFUSED: u8 = 9;
    /// `--write-test`: a step failed; the verdicts say which.
    pub const TEST_FAILED: u8 = 10;

    /// Every code with its meaning, for the manual page (`spindle-gen man`).
    pub const TABLE: &[(u8, &str)] = &[
        (
            OK,
            "the drive was probed and holds a medium, or the drives were listed",
        ),
        (
            FAILURE,
            "another failure; the message names the command and the decoded sense",
        ),
        (USAGE, "bad command line"),
        (NO_SUCH_DEVICE, "no such device node or mock directory"),
        (
            PERMISSION_DENIED,
            "permission denied; the message names the group to join",
        ),
        (
            NOT_OPTICAL,
            "not an optical drive (a regular file, a directory, /dev/null, a disk)",
        ),
        (
            NO_MEDIUM,
            "no medium, or the tray is open; the report is still printed",
        ),
        (
            BUSY,
            "the device is busy (mounted, or held exclusively by another program)",
        ),
        (
            DIFFERS,
            "--battery --against: the battery differs from the report's beyond the medium fields",
        ),
        (
            REFUSED,
            "--write-test refused before writing: no --yes-write, a disc holding data without --yes-erase, or a medium it cannot test",
        ),
        (TEST_FAILED, "--write-test: a step failed; the verdicts say which"),
    ];
}

/// `spindle` exit codes.
pub mod spindle {
    /// Success.
    pub const OK: u8 = 0;
    /// A failure not covered below.
    pub const FAILURE: u8 = 1;
    /// Bad command line (Cedar: 2).
    pub const USAGE: u8 = 2;
    /// Logging could not be set up (Cedar: 3).
    pub const LOGGING: u8 = 3;
    /// The configuration is unreadable or invalid (Cedar: 4).
    pub const CONFIG: u8 = 4;
    /// Interrupted (Cedar: 5).
    pub const INTERRUPTED: u8 = 5;
    /// A backup action failed (Cedar: 6).
    pub const ACTION_FAILED: u8 = 6;
    /// No such device node or mock directory.
    pub const NO_SUCH_DEVICE: u8 = 10;
    /// Permission denied on the device.
    pub const PERMISSION_DENIED: u8 = 11;
    /// The path is not an optical drive.
    pub const NOT_OPTICAL: u8 = 12;
    /// No medium in the drive, or the tray is open.
    pub const NO_MEDIUM: u8 = 13;
    /// The device is busy.
    pub const BUSY: u8 = 14;
    /// The drive refused a command (the message carries the decoded sense).
    pub const DRIVE_ERROR: u8 = 15;
    /// `check`: a checksum mismatch, a damaged checksum tag or session, or an unreadable
    /// block, in any session checked.
    pub const MISMATCH: u8 = 16;
    /// `check`: no session checked records checksums to verify.
    pub const NO_CHECKSUMS: u8 = 17;

    /// Every code with its meaning, for the manual pages (`spindle-gen man`).
    pub const TABLE: &[(u8, &str)] = &[
        (OK, "success"),
        (FAILURE, "a failure not listed below"),
        (USAGE, "bad command line (Cedar Backup: 2)"),
        (
            LOGGING,
            "the log file could not be set up (Cedar Backup: 3)",
        ),
        (
            CONFIG,
            "the configuration is unreadable or invalid (Cedar Backup: 4)",
        ),
        (INTERRUPTED, "interrupted (Cedar Backup: 5)"),
        (
            ACTION_FAILED,
            "a Cedar Backup action failed (Cedar Backup: 6)",
        ),
        (NO_SUCH_DEVICE, "no such device node or mock directory"),
        (PERMISSION_DENIED, "permission denied on the device"),
        (NOT_OPTICAL, "not an optical drive"),
        (NO_MEDIUM, "no medium in the drive, or the tray is open"),
        (BUSY, "the device is busy"),
        (
            DRIVE_ERROR,
            "the drive refused a command; the message carries the decoded sense",
        ),
        (
            MISMATCH,
            "check: a checksum mismatch, a damaged tag or an unreadable block",
        ),
        (NO_CHECKSUMS, "check: no session checked records checksums"),
    ];
}

/// Maps a device error to `mmc-probe`'s code.
pub fn probe_code(e: &anyhow::Error) -> u8 {
    match classify(e) {
        DeviceFailure::NoSuchDevice => probe::NO_SUCH_DEVICE,
        DeviceFailure::PermissionDenied => probe::PERMISSION_DENIED,
        DeviceFailure::NotOptical => probe::NOT_OPTICAL,
        DeviceFailure::NoMedium => probe::NO_MEDIUM,
        DeviceFailure::Busy => probe::BUSY,
        DeviceFailure::Other => probe::FAILURE,
    }
}

/// Maps a device error to `spindle`'s code.
pub fn spindle_device_code(e: &anyhow::Error) -> u8 {
    let is_drive_refusal = e.chain().any(|c| {
        matches!(
            c.downcast_ref::<mmc::Error>().map(mmc::Error::innermost),
            Some(mmc::Error::CheckCondition { .. })
        )
    });
    if crate::disc::write::is_interrupted(e) {
        return spindle::INTERRUPTED;
    }
    match classify(e) {
        DeviceFailure::NoSuchDevice => spindle::NO_SUCH_DEVICE,
        DeviceFailure::PermissionDenied => spindle::PERMISSION_DENIED,
        DeviceFailure::NotOptical => spindle::NOT_OPTICAL,
        DeviceFailure::NoMedium => spindle::NO_MEDIUM,
        DeviceFailure::Busy => spindle::BUSY,
        DeviceFailure::Other if is_drive_refusal => spindle::DRIVE_ERROR,
        DeviceFailure::Other => spindle::FAILURE,
    }
}
