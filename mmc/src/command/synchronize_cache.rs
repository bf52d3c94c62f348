use std::time::Duration;

use super::{timeouts, Command, Opcode, Transfer};
use crate::ParseError;

/// SYNCHRONIZE CACHE(10) (35h), SBC-4 §5.22 / MMC-6 §6.41: flush the drive's write buffer to
/// the medium. Send with Immed and poll (NOT READY 04/08) — never with a bare short timeout.
#[doc(alias = "SYNCHRONIZE CACHE")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynchronizeCache {
    /// Immed (b1 bit 1).
    pub immediate: bool,
    /// b2-5 (0 = from the start).
    pub lba: u32,
    /// b7-8 (0 = everything).
    pub blocks: u16,
}

impl SynchronizeCache {
    /// Everything, Immed: `35 02 00 00 00 00 00 00 00 00`.
    pub fn immediate() -> Self {
        SynchronizeCache {
            immediate: true,
            lba: 0,
            blocks: 0,
        }
    }

    /// Everything, waiting for completion: `35 00 …`.
    pub fn blocking() -> Self {
        SynchronizeCache {
            immediate: false,
            lba: 0,
            blocks: 0,
        }
    }
}

impl Command for SynchronizeCache {
    const NAME: &'static str = "SYNCHRONIZE CACHE";
    type Cdb = [u8; 10];
    type Response = ();

    fn cdb(&self) -> [u8; 10] {
        let [l0, l1, l2, l3] = self.lba.to_be_bytes();
        let [n0, n1] = self.blocks.to_be_bytes();
        let b1 = u8::from(self.immediate) << 1;
        [
            Opcode::SYNCHRONIZE_CACHE.0,
            b1,
            l0,
            l1,
            l2,
            l3,
            0,
            n0,
            n1,
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
        if self.immediate {
            timeouts::WRITE
        } else {
            timeouts::CLOSE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdbs() {
        // docs/mmc-notes.md §2.1: sync cache Immed = 35 02 00 …; docs/qemu-notes.md §4: 35 00 … 00.
        assert_eq!(
            SynchronizeCache::immediate().cdb(),
            [0x35, 0x02, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(
            SynchronizeCache::blocking().cdb(),
            [0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(SynchronizeCache::blocking().timeout(), timeouts::CLOSE);
    }
}
