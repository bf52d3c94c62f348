use std::path::PathBuf;

/// What kind of failure a transport error is, for portable retry and exit-code decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The device node or mock directory does not exist.
    NotFound,
    /// The caller may not open the node or send this command.
    PermissionDenied,
    /// The node exists but is not an MMC (peripheral type 5) device.
    NotMmc,
    /// The device is claimed by someone else (O_EXCL, mounted).
    Busy,
    /// The command did not complete within its timeout.
    Timeout,
    /// The device went away or the host adapter reported a fatal transport error.
    Disconnected,
    /// The request itself is malformed (CDB length, transfer too large).
    InvalidRequest,
    /// Mock drive state on disk is unreadable or inconsistent.
    Corrupt,
    /// Anything else from the operating system.
    Other,
}

/// A transport failure: the command did not complete as a SCSI exchange.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Opening the device failed.
    #[error("cannot open {path}: {reason}")]
    Open {
        /// The device node or mock directory.
        path: PathBuf,
        /// The decided category.
        kind: ErrorKind,
        /// Human-readable advice, e.g. which group to join.
        reason: String,
        /// The OS error, when there is one.
        #[source]
        source: Option<std::io::Error>,
    },
    /// The SG_IO ioctl itself failed (errno).
    #[error("{device}: SG_IO for opcode {opcode:02X}h failed: {source}")]
    Ioctl {
        /// Device name.
        device: String,
        /// First CDB byte.
        opcode: u8,
        /// The errno.
        #[source]
        source: std::io::Error,
    },
    /// The host adapter reported a non-zero host status (DID_*).
    #[error("{device}: opcode {opcode:02X}h: host adapter status {host_status:#04x} ({})", host_status_name(*host_status))]
    HostStatus {
        /// Device name.
        device: String,
        /// First CDB byte.
        opcode: u8,
        /// DID_* value.
        host_status: u16,
    },
    /// The command timed out (DID_TIME_OUT, or an injected transport timeout on the mock).
    #[error("{device}: opcode {opcode:02X}h timed out after {timeout_ms} ms")]
    Timeout {
        /// Device name.
        device: String,
        /// First CDB byte.
        opcode: u8,
        /// The timeout that was given.
        timeout_ms: u64,
    },
    /// The request is malformed before it reaches the device.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The mock drive's directory holds unusable state.
    #[error("mock drive {dir}: {what}")]
    CorruptMock {
        /// The mock directory.
        dir: PathBuf,
        /// What is wrong and what to do.
        what: String,
    },
    /// An I/O error on mock drive files or sysfs.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The portable category of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Open { kind, .. } => *kind,
            Error::Ioctl { source, .. } => match source.raw_os_error() {
                Some(libc::EPERM) | Some(libc::EACCES) => ErrorKind::PermissionDenied,
                Some(libc::ENODEV) | Some(libc::ENXIO) => ErrorKind::Disconnected,
                Some(libc::EINVAL) | Some(libc::EMSGSIZE) | Some(libc::EIO) => {
                    ErrorKind::InvalidRequest
                }
                _ => ErrorKind::Other,
            },
            Error::HostStatus { host_status, .. } => match host_status {
                0x01 | 0x04 | 0x0E | 0x0F => ErrorKind::Disconnected,
                0x03 => ErrorKind::Timeout,
                _ => ErrorKind::Other,
            },
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::InvalidRequest(_) => ErrorKind::InvalidRequest,
            Error::CorruptMock { .. } => ErrorKind::Corrupt,
            Error::Io { source, .. } => match source.kind() {
                std::io::ErrorKind::NotFound => ErrorKind::NotFound,
                std::io::ErrorKind::PermissionDenied => ErrorKind::PermissionDenied,
                _ => ErrorKind::Other,
            },
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// Names of the Linux `DID_*` host status codes (include/scsi/scsi_status.h).
pub fn host_status_name(code: u16) -> &'static str {
    match code {
        0x00 => "DID_OK",
        0x01 => "DID_NO_CONNECT",
        0x02 => "DID_BUS_BUSY",
        0x03 => "DID_TIME_OUT",
        0x04 => "DID_BAD_TARGET",
        0x05 => "DID_ABORT",
        0x06 => "DID_PARITY",
        0x07 => "DID_ERROR",
        0x08 => "DID_RESET",
        0x09 => "DID_BAD_INTR",
        0x0A => "DID_PASSTHROUGH",
        0x0B => "DID_SOFT_ERROR",
        0x0C => "DID_IMM_RETRY",
        0x0D => "DID_REQUEUE",
        0x0E => "DID_TRANSPORT_DISRUPTED",
        0x0F => "DID_TRANSPORT_FAILFAST",
        0x10 => "DID_TARGET_FAILURE",
        0x11 => "DID_NEXUS_FAILURE",
        _ => "unknown host status",
    }
}

/// `hal`'s result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
