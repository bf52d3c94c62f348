use super::{Command, Opcode, Transfer};
use crate::ParseError;

/// The PREVENT field (b4 bits 1-0) of PREVENT ALLOW MEDIUM REMOVAL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreventMode {
    /// 00b: allow removal (clears the non-persistent prevent).
    Allow = 0,
    /// 01b: prevent removal.
    Prevent = 1,
    /// 10b: clear the persistent prevent.
    ClearPersistent = 2,
    /// 11b: set the persistent prevent.
    SetPersistent = 3,
}

/// PREVENT ALLOW MEDIUM REMOVAL (1Eh), SPC-5 §6.13 / MMC-6 §6.11: lock or unlock the tray.
///
/// Needs a file descriptor opened for writing (kernel command filter). The kernel sends ALLOW
/// on the last close of `/dev/srN`, so a lock does not outlive the process. QEMU ignores the
/// persistent bit.
#[doc(alias = "PREVENT ALLOW MEDIUM REMOVAL")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreventAllowMediumRemoval {
    /// What to do.
    pub mode: PreventMode,
}

impl PreventAllowMediumRemoval {
    /// Lock: `1E 00 00 00 01 00`.
    pub fn prevent() -> Self {
        PreventAllowMediumRemoval {
            mode: PreventMode::Prevent,
        }
    }

    /// Unlock: `1E 00 00 00 00 00`.
    pub fn allow() -> Self {
        PreventAllowMediumRemoval {
            mode: PreventMode::Allow,
        }
    }

    /// Set the persistent prevent: `1E 00 00 00 03 00`.
    pub fn set_persistent() -> Self {
        PreventAllowMediumRemoval {
            mode: PreventMode::SetPersistent,
        }
    }

    /// Clear the persistent prevent: `1E 00 00 00 02 00`.
    pub fn clear_persistent() -> Self {
        PreventAllowMediumRemoval {
            mode: PreventMode::ClearPersistent,
        }
    }
}

impl Command for PreventAllowMediumRemoval {
    const NAME: &'static str = "PREVENT ALLOW MEDIUM REMOVAL";
    type Cdb = [u8; 6];
    type Response = ();

    fn cdb(&self) -> [u8; 6] {
        [
            Opcode::PREVENT_ALLOW_MEDIUM_REMOVAL.0,
            0,
            0,
            0,
            self.mode as u8,
            0,
        ]
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::None
    }

    fn parse(&self, _data: &[u8]) -> Result<(), ParseError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdbs() {
        // docs/mmc-notes.md §2.1 examples; docs/qemu-notes.md §4 PREVENT/ALLOW.
        assert_eq!(
            PreventAllowMediumRemoval::prevent().cdb(),
            [0x1e, 0, 0, 0, 0x01, 0]
        );
        assert_eq!(
            PreventAllowMediumRemoval::allow().cdb(),
            [0x1e, 0, 0, 0, 0x00, 0]
        );
        assert_eq!(
            PreventAllowMediumRemoval::clear_persistent().cdb(),
            [0x1e, 0, 0, 0, 0x02, 0]
        );
        assert_eq!(
            PreventAllowMediumRemoval::set_persistent().cdb(),
            [0x1e, 0, 0, 0, 0x03, 0]
        );
    }
}
