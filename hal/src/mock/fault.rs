//! Deterministic fault injection, persisted in the mock's directory.
//!
//! A [`Fault`] names an opcode and the how-manieth command with that opcode it hits
//! (counted from when the fault was added), and what happens instead of the command: CHECK
//! CONDITION with given sense, a transport error, a power loss, or a short transfer. Faults
//! live in `state.json`, so a [`FaultHandle`] (or `spindle mock fault` in another process)
//! can add them while the drive is in use elsewhere.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::store::Store;
use crate::{ErrorKind, Result};

/// What an injected fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FaultEffect {
    /// The command is not executed and ends in CHECK CONDITION with this sense (fixed
    /// format, key/ASC/ASCQ).
    Sense {
        /// Sense key (0-F).
        key: u8,
        /// Additional sense code.
        asc: u8,
        /// Additional sense code qualifier.
        ascq: u8,
    },
    /// The command is not executed; `execute` returns [`crate::Error::Timeout`].
    Timeout,
    /// The command is not executed; `execute` returns [`crate::Error::HostStatus`] with
    /// DID_NO_CONNECT, as when a USB drive is unplugged.
    Disconnect,
    /// The command runs normally but reports `residual` more bytes not transferred (capped
    /// at the data phase length). The data buffer is left as the command filled it.
    ShortTransfer {
        /// Bytes reported as not moved.
        residual: usize,
    },
    /// Power fails as the command arrives: it is not executed and `execute` returns
    /// [`crate::Error::Timeout`]; data in the drive buffer is lost, a running operation is
    /// abandoned, both prevent states are cleared, page 05 and speeds return to defaults, and
    /// the next command sees UNIT ATTENTION 06/29/00 (power on, reset).
    PowerLoss,
}

/// One injected fault. Build with [`Fault::on`]:
///
/// ```
/// use hal::mock::Fault;
/// let f = Fault::on(0x2A).nth(3).sense(0x3, 0x0C, 0x00); // 3rd WRITE(10): write error
/// let g = Fault::on(0x35).timeout().sticky(); // every SYNCHRONIZE CACHE times out
/// # let _ = (f, g);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// The opcode (CDB byte 0) it applies to.
    pub opcode: u8,
    /// Fire on the `nth` command with this opcode (1 = the next one).
    pub nth: u32,
    /// What happens.
    pub effect: FaultEffect,
    /// Keep firing on every later command with this opcode instead of once.
    pub sticky: bool,
}

impl Fault {
    /// A fault on the next command with `opcode`. Unless another effect is chosen it is a
    /// HARDWARE ERROR, 4/44/00 (internal target failure).
    pub fn on(opcode: u8) -> Fault {
        Fault {
            opcode,
            nth: 1,
            effect: FaultEffect::Sense {
                key: 0x4,
                asc: 0x44,
                ascq: 0x00,
            },
            sticky: false,
        }
    }

    /// Fire on the `n`th matching command (1-based; 0 is treated as 1).
    pub fn nth(mut self, n: u32) -> Fault {
        self.nth = n.max(1);
        self
    }

    /// End the command in CHECK CONDITION with this sense key, ASC and ASCQ.
    pub fn sense(mut self, key: u8, asc: u8, ascq: u8) -> Fault {
        self.effect = FaultEffect::Sense {
            key: key & 0x0f,
            asc,
            ascq,
        };
        self
    }

    /// Fail the exchange with a transport timeout ([`crate::Error::Timeout`]).
    pub fn timeout(mut self) -> Fault {
        self.effect = FaultEffect::Timeout;
        self
    }

    /// Fail the exchange with a transport error of this kind: `Timeout` gives
    /// [`crate::Error::Timeout`], anything else a lost connection (DID_NO_CONNECT).
    pub fn transport(mut self, kind: ErrorKind) -> Fault {
        self.effect = match kind {
            ErrorKind::Timeout => FaultEffect::Timeout,
            _ => FaultEffect::Disconnect,
        };
        self
    }

    /// Report `residual` bytes not transferred.
    pub fn short_transfer(mut self, residual: usize) -> Fault {
        self.effect = FaultEffect::ShortTransfer { residual };
        self
    }

    /// Lose power as this command arrives (see [`FaultEffect::PowerLoss`]).
    pub fn power_loss(mut self) -> Fault {
        self.effect = FaultEffect::PowerLoss;
        self
    }

    /// Fire on the `nth` matching command and every one after it.
    pub fn sticky(mut self) -> Fault {
        self.sticky = true;
        self
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "opcode {:02X}h #{}{}: ",
            self.opcode,
            self.nth,
            if self.sticky { "+" } else { "" }
        )?;
        match self.effect {
            FaultEffect::Sense { key, asc, ascq } => {
                write!(f, "sense {key:X}/{asc:02X}/{ascq:02X}")
            }
            FaultEffect::Timeout => f.write_str("timeout"),
            FaultEffect::Disconnect => f.write_str("disconnect"),
            FaultEffect::ShortTransfer { residual } => {
                write!(f, "short transfer, residual {residual}")
            }
            FaultEffect::PowerLoss => f.write_str("power loss"),
        }
    }
}

/// A fault in the plan, with how many matching commands it has seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FaultEntry {
    pub fault: Fault,
    pub seen: u32,
}

/// Counts a command with `opcode` against the plan and returns the effect that fires, if
/// any. One-shot faults are removed when they fire; the first matching entry wins.
pub(crate) fn take(plan: &mut Vec<FaultEntry>, opcode: u8) -> Option<FaultEffect> {
    let mut fired = None;
    for e in plan.iter_mut().filter(|e| e.fault.opcode == opcode) {
        e.seen = e.seen.saturating_add(1);
        if fired.is_none() && (e.seen == e.fault.nth || (e.fault.sticky && e.seen > e.fault.nth)) {
            fired = Some(e.fault);
        }
    }
    let fault = fired?;
    if !fault.sticky {
        if let Some(i) = plan
            .iter()
            .position(|e| e.fault == fault && e.seen == fault.nth)
        {
            plan.remove(i);
        }
    }
    Some(fault.effect)
}

/// A cloneable handle to a mock drive's fault plan. It holds only the directory, so it stays
/// usable after the [`MockDrive`](super::MockDrive) has been moved into something else,
/// and from other processes.
#[derive(Debug, Clone)]
pub struct FaultHandle {
    pub(crate) store: Store,
}

impl FaultHandle {
    /// Adds a fault; its count starts now.
    ///
    /// # Errors
    /// The mock's state cannot be locked, read or written ([`crate::Error::CorruptMock`],
    /// [`crate::Error::Io`]).
    pub fn add(&self, fault: Fault) -> Result<()> {
        self.store
            .update(|st| st.faults.push(FaultEntry { fault, seen: 0 }))
    }

    /// Removes every pending fault.
    ///
    /// # Errors
    /// As for [`FaultHandle::add`].
    pub fn clear(&self) -> Result<()> {
        self.store.update(|st| st.faults.clear())
    }

    /// The faults that have not fired yet (and sticky ones).
    ///
    /// # Errors
    /// As for [`FaultHandle::add`].
    pub fn pending(&self) -> Result<Vec<Fault>> {
        self.store
            .update(|st| st.faults.iter().map(|e| e.fault).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(faults: &[Fault]) -> Vec<FaultEntry> {
        faults
            .iter()
            .map(|&fault| FaultEntry { fault, seen: 0 })
            .collect()
    }

    #[test]
    fn nth_fires_once() {
        let mut p = plan(&[Fault::on(0x2a).nth(3).sense(3, 0x0c, 0)]);
        assert_eq!(take(&mut p, 0x2a), None);
        assert_eq!(take(&mut p, 0x28), None);
        assert_eq!(take(&mut p, 0x2a), None);
        assert_eq!(
            take(&mut p, 0x2a),
            Some(FaultEffect::Sense {
                key: 3,
                asc: 0x0c,
                ascq: 0
            })
        );
        assert!(p.is_empty());
        assert_eq!(take(&mut p, 0x2a), None);
    }

    #[test]
    fn sticky_keeps_firing() {
        let mut p = plan(&[Fault::on(0x35).nth(2).timeout().sticky()]);
        assert_eq!(take(&mut p, 0x35), None);
        assert_eq!(take(&mut p, 0x35), Some(FaultEffect::Timeout));
        assert_eq!(take(&mut p, 0x35), Some(FaultEffect::Timeout));
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn builder_and_display() {
        let f = Fault::on(0x2a).nth(0).transport(ErrorKind::Disconnected);
        assert_eq!(f.nth, 1);
        assert_eq!(f.effect, FaultEffect::Disconnect);
        assert_eq!(
            Fault::on(0x28).short_transfer(5).to_string(),
            "opcode 28h #1: short transfer, residual 5"
        );
        let json = serde_json::to_string(&Fault::on(0x2a).power_loss()).unwrap();
        assert_eq!(
            serde_json::from_str::<Fault>(&json).unwrap(),
            Fault::on(0x2a).power_loss()
        );
    }
}
