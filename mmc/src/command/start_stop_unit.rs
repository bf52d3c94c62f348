use std::time::Duration;

use super::{timeouts, Command, Opcode, Transfer};
use crate::ParseError;

/// START STOP UNIT (1Bh), SBC-4 §5.25 / MMC-6 §6.39: spin up or down, eject or load the tray.
///
/// Sent through SG_IO, an eject bypasses the kernel's door-lock bookkeeping; only the drive's
/// own prevent state protects the medium (ILLEGAL REQUEST 53/02 "medium removal prevented").
#[doc(alias = "START STOP UNIT")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartStopUnit {
    /// Immed (b1 bit 0): return before the operation completes.
    pub immediate: bool,
    /// Power condition (b4 bits 7-4); 0 honours LoEj and Start.
    pub power_condition: u8,
    /// LoEj (b4 bit 1): load (with Start) or eject (without).
    pub load_eject: bool,
    /// Start (b4 bit 0).
    pub start: bool,
}

impl StartStopUnit {
    /// Eject the medium / open the tray (`1B 00 00 00 02 00`).
    pub fn eject() -> Self {
        StartStopUnit {
            immediate: false,
            power_condition: 0,
            load_eject: true,
            start: false,
        }
    }

    /// Load the medium / close the tray (`1B 00 00 00 03 00`).
    pub fn load() -> Self {
        StartStopUnit {
            immediate: false,
            power_condition: 0,
            load_eject: true,
            start: true,
        }
    }

    /// Spin up (`1B 00 00 00 01 00`).
    pub fn start() -> Self {
        StartStopUnit {
            immediate: false,
            power_condition: 0,
            load_eject: false,
            start: true,
        }
    }

    /// Spin down (`1B 00 00 00 00 00`).
    pub fn stop() -> Self {
        StartStopUnit {
            immediate: false,
            power_condition: 0,
            load_eject: false,
            start: false,
        }
    }

    /// Sets Immed.
    pub fn immediate(mut self, immediate: bool) -> Self {
        self.immediate = immediate;
        self
    }
}

impl Command for StartStopUnit {
    const NAME: &'static str = "START STOP UNIT";
    type Cdb = [u8; 6];
    type Response = ();

    fn cdb(&self) -> [u8; 6] {
        let b4 = (self.power_condition & 0x0f) << 4
            | u8::from(self.load_eject) << 1
            | u8::from(self.start);
        [
            Opcode::START_STOP_UNIT.0,
            u8::from(self.immediate),
            0,
            0,
            b4,
            0,
        ]
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::None
    }

    fn parse(&self, _data: &[u8]) -> Result<(), ParseError> {
        Ok(())
    }

    fn timeout(&self) -> Duration {
        if self.start && !self.immediate {
            timeouts::LOAD
        } else {
            timeouts::DEFAULT
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdbs() {
        // docs/mmc-notes.md §2.1 example CDBs and docs/qemu-notes.md §4.
        assert_eq!(StartStopUnit::eject().cdb(), [0x1b, 0, 0, 0, 0x02, 0]);
        assert_eq!(StartStopUnit::load().cdb(), [0x1b, 0, 0, 0, 0x03, 0]);
        assert_eq!(
            StartStopUnit::start().immediate(true).cdb(),
            [0x1b, 0x01, 0, 0, 0x01, 0]
        );
        assert_eq!(StartStopUnit::stop().cdb(), [0x1b, 0, 0, 0, 0x00, 0]);
        assert_eq!(StartStopUnit::load().timeout(), timeouts::LOAD);
        assert_eq!(StartStopUnit::eject().timeout(), timeouts::DEFAULT);
        assert_eq!(StartStopUnit::eject().data_phase(), Transfer::None);
    }
}
