use std::fmt;
use std::time::Duration;

use crate::Result;

/// The data phase of a command, borrowed for the duration of the exchange.
#[derive(Debug)]
pub enum DataPhase<'a> {
    /// No data moves (TEST UNIT READY, START STOP UNIT, CLOSE TRACK/SESSION, …).
    None,
    /// Data-in: the device fills this buffer (INQUIRY, READ(10), …).
    In(&'a mut [u8]),
    /// Data-out: the device receives this buffer (WRITE(10), MODE SELECT(10), …).
    Out(&'a [u8]),
}

impl DataPhase<'_> {
    /// Number of bytes the host offers to move.
    pub fn len(&self) -> usize {
        match self {
            DataPhase::None => 0,
            DataPhase::In(b) => b.len(),
            DataPhase::Out(b) => b.len(),
        }
    }

    /// True when no data moves.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// "none", "in" or "out", as transcripts write it.
    pub fn direction(&self) -> &'static str {
        match self {
            DataPhase::None => "none",
            DataPhase::In(_) => "in",
            DataPhase::Out(_) => "out",
        }
    }
}

/// One command to execute.
#[derive(Debug)]
pub struct Request<'a> {
    /// The command descriptor block, 6 to 16 bytes.
    pub cdb: &'a [u8],
    /// The data phase.
    pub data: DataPhase<'a>,
    /// How long the command may take before the transport aborts it.
    pub timeout: Duration,
}

/// SAM status byte (SAM-5 §5.3). An open code space, so a newtype with named values.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScsiStatus(pub u8);

impl ScsiStatus {
    /// GOOD.
    pub const GOOD: ScsiStatus = ScsiStatus(0x00);
    /// CHECK CONDITION: sense data describes the error.
    pub const CHECK_CONDITION: ScsiStatus = ScsiStatus(0x02);
    /// CONDITION MET.
    pub const CONDITION_MET: ScsiStatus = ScsiStatus(0x04);
    /// BUSY: try again later.
    pub const BUSY: ScsiStatus = ScsiStatus(0x08);
    /// RESERVATION CONFLICT.
    pub const RESERVATION_CONFLICT: ScsiStatus = ScsiStatus(0x18);
    /// TASK SET FULL.
    pub const TASK_SET_FULL: ScsiStatus = ScsiStatus(0x28);
    /// ACA ACTIVE.
    pub const ACA_ACTIVE: ScsiStatus = ScsiStatus(0x30);
    /// TASK ABORTED.
    pub const TASK_ABORTED: ScsiStatus = ScsiStatus(0x40);

    /// The status name, as SAM spells it.
    pub fn name(self) -> &'static str {
        match self.0 {
            0x00 => "GOOD",
            0x02 => "CHECK CONDITION",
            0x04 => "CONDITION MET",
            0x08 => "BUSY",
            0x18 => "RESERVATION CONFLICT",
            0x28 => "TASK SET FULL",
            0x30 => "ACA ACTIVE",
            0x40 => "TASK ABORTED",
            _ => "unknown status",
        }
    }
}

impl fmt::Debug for ScsiStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ScsiStatus({:#04x} {})", self.0, self.name())
    }
}

impl fmt::Display for ScsiStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Raw sense bytes as the device returned them (at most 64; SPC allows 252 but no MMC drive
/// sends more than the 18 to 32 bytes libburn and growisofs ask for).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SenseBytes {
    buf: [u8; SenseBytes::CAPACITY],
    len: u8,
}

impl SenseBytes {
    /// How many sense bytes are kept.
    pub const CAPACITY: usize = 64;

    /// No sense data.
    pub const fn empty() -> Self {
        SenseBytes {
            buf: [0; Self::CAPACITY],
            len: 0,
        }
    }

    /// Keeps the first [`Self::CAPACITY`] bytes of `bytes`.
    pub fn new(bytes: &[u8]) -> Self {
        let n = bytes.len().min(Self::CAPACITY);
        let mut buf = [0; Self::CAPACITY];
        buf[..n].copy_from_slice(&bytes[..n]);
        SenseBytes { buf, len: n as u8 }
    }

    /// The sense bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }

    /// True when the device sent no sense.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Default for SenseBytes {
    fn default() -> Self {
        Self::empty()
    }
}

impl fmt::Debug for SenseBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SenseBytes[")?;
        for (i, b) in self.as_slice().iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{b:02X}")?;
        }
        f.write_str("]")
    }
}

/// The outcome of an exchange that reached the device. Undecoded: `mmc` gives it meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Completion {
    /// The SAM status byte.
    pub status: ScsiStatus,
    /// Sense bytes, present with CHECK CONDITION.
    pub sense: SenseBytes,
    /// Bytes of the data phase that did not move (requested − transferred). Linux often
    /// reports 0 even for short replies, so parsers must also honour length fields.
    pub residual: usize,
}

impl Completion {
    /// A GOOD completion that moved everything.
    pub fn good() -> Self {
        Completion {
            status: ScsiStatus::GOOD,
            sense: SenseBytes::empty(),
            residual: 0,
        }
    }

    /// A CHECK CONDITION with the given sense bytes.
    pub fn check_condition(sense: &[u8]) -> Self {
        Completion {
            status: ScsiStatus::CHECK_CONDITION,
            sense: SenseBytes::new(sense),
            residual: 0,
        }
    }

    /// True for GOOD (and CONDITION MET).
    pub fn is_good(&self) -> bool {
        self.status == ScsiStatus::GOOD || self.status == ScsiStatus::CONDITION_MET
    }
}

/// Something that executes SCSI commands: a real drive or the mock.
pub trait Transport {
    /// Executes one command. A CHECK CONDITION is `Ok` with sense bytes; `Err` means the
    /// exchange itself failed (ioctl error, host status, timeout).
    ///
    /// # Errors
    /// Transport failures only; see [`crate::Error`].
    fn execute(&mut self, req: Request<'_>) -> Result<Completion>;

    /// The name users know this device by (`/dev/sr0`, `mock:/tmp/drive`).
    fn name(&self) -> &str;

    /// The largest data phase, in bytes, this transport accepts in one command.
    fn max_transfer(&self) -> usize;
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn execute(&mut self, req: Request<'_>) -> Result<Completion> {
        (**self).execute(req)
    }
    fn name(&self) -> &str {
        (**self).name()
    }
    fn max_transfer(&self) -> usize {
        (**self).max_transfer()
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn execute(&mut self, req: Request<'_>) -> Result<Completion> {
        (**self).execute(req)
    }
    fn name(&self) -> &str {
        (**self).name()
    }
    fn max_transfer(&self) -> usize {
        (**self).max_transfer()
    }
}
