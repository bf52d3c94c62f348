use std::fmt;
use std::time::Duration;

use super::{timeouts, Command, Opcode, Transfer};
use crate::ParseError;

/// The blanking type (b1 bits 2-0) of BLANK.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlankType(pub u8);

impl BlankType {
    /// 000b: blank the whole disc.
    pub const FULL: BlankType = BlankType(0);
    /// 001b: minimal blank (PMA, TOC, first track pregap).
    pub const MINIMAL: BlankType = BlankType(1);
    /// 010b: blank a track.
    pub const TRACK: BlankType = BlankType(2);
    /// 011b: unreserve a track.
    pub const UNRESERVE_TRACK: BlankType = BlankType(3);
    /// 100b: blank a track tail.
    pub const TRACK_TAIL: BlankType = BlankType(4);
    /// 101b: unclose the last session.
    pub const UNCLOSE_LAST_SESSION: BlankType = BlankType(5);
    /// 110b: erase the last session.
    pub const ERASE_LAST_SESSION: BlankType = BlankType(6);
}

impl fmt::Debug for BlankType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlankType({:03b}b)", self.0)
    }
}

/// BLANK (A1h), MMC-6 §6.2: erase CD-RW / DVD-RW. Use [`BlankType::FULL`] or
/// [`BlankType::MINIMAL`] (the only two all drives implement), Immed, and poll TEST UNIT READY
/// for progress. A quick-blanked DVD-RW may lose incremental writing (feature 0021h).
#[doc(alias = "BLANK")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blank {
    /// Immed (b1 bit 4).
    pub immediate: bool,
    /// b1 bits 2-0.
    pub blank_type: BlankType,
    /// b2-5: start address or track number, per type.
    pub address: u32,
}

impl Blank {
    /// Full blank, Immed: `A1 10 00 …`.
    pub fn full() -> Self {
        Blank {
            immediate: true,
            blank_type: BlankType::FULL,
            address: 0,
        }
    }

    /// Minimal blank, Immed: `A1 11 00 …`.
    pub fn minimal() -> Self {
        Blank {
            immediate: true,
            blank_type: BlankType::MINIMAL,
            address: 0,
        }
    }
}

impl Command for Blank {
    const NAME: &'static str = "BLANK";
    type Cdb = [u8; 12];
    type Response = ();

    fn cdb(&self) -> [u8; 12] {
        let [a0, a1, a2, a3] = self.address.to_be_bytes();
        let b1 = u8::from(self.immediate) << 4 | (self.blank_type.0 & 0x07);
        [Opcode::BLANK.0, b1, a0, a1, a2, a3, 0, 0, 0, 0, 0, 0]
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::None
    }

    fn parse(&self, _data: &[u8]) -> Result<(), ParseError> {
        Ok(())
    }

    fn timeout(&self) -> Duration {
        if self.immediate {
            timeouts::WRITE
        } else {
            timeouts::BLANK
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdbs() {
        // docs/mmc-notes.md §2.1: BLANK minimal / full, Immed: A1 11 00… / A1 10 00…
        assert_eq!(
            Blank::minimal().cdb(),
            [0xa1, 0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(
            Blank::full().cdb(),
            [0xa1, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        // observed: BLANK (minimal) without Immed: a1 01 00 …
        let b = Blank {
            immediate: false,
            ..Blank::minimal()
        };
        assert_eq!(b.cdb(), [0xa1, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(b.timeout(), timeouts::BLANK);
    }
}
