use std::time::Duration;

use super::{timeouts, Command, Opcode, Transfer};
use crate::ParseError;

/// RESERVE TRACK (53h), MMC-6 §6.31, ARSV=0: reserve `blocks` for the invisible track (DVD-R
/// DAO needs the exact size; DVD+R/BD-R optionally, rounded up to the ECC unit).
#[doc(alias = "RESERVE TRACK")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReserveTrack {
    /// b5-8: reservation size in blocks.
    pub blocks: u32,
}

impl Command for ReserveTrack {
    const NAME: &'static str = "RESERVE TRACK";
    type Cdb = [u8; 10];
    type Response = ();

    fn cdb(&self) -> [u8; 10] {
        let [s0, s1, s2, s3] = self.blocks.to_be_bytes();
        [Opcode::RESERVE_TRACK.0, 0, 0, 0, 0, s0, s1, s2, s3, 0]
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::None
    }

    fn parse(&self, _data: &[u8]) -> Result<(), ParseError> {
        Ok(())
    }

    fn timeout(&self) -> Duration {
        timeouts::WRITE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdb() {
        assert_eq!(
            ReserveTrack { blocks: 2_295_104 }.cdb(),
            [0x53, 0, 0, 0, 0, 0x00, 0x23, 0x05, 0x40, 0]
        );
    }
}
