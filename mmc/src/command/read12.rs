use super::{Command, Opcode, Transfer};
use crate::bytes;
use crate::ParseError;

/// READ(12) (A8h), MMC-6 §6.16: `blocks` logical blocks from `lba`, optionally as a streaming
/// read (no error recovery delays).
#[doc(alias = "READ(12)")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Read12 {
    /// b2-5.
    pub lba: u32,
    /// b6-9: transfer length in blocks.
    pub blocks: u32,
    /// Bytes per block (2048 for data discs).
    pub block_size: u32,
    /// Streaming (b10 bit 7).
    pub streaming: bool,
    /// FUA (b1 bit 3).
    pub force_unit_access: bool,
}

impl Read12 {
    /// `blocks` 2048-byte blocks from `lba`.
    pub fn new(lba: u32, blocks: u32) -> Self {
        Read12 {
            lba,
            blocks,
            block_size: 2048,
            streaming: false,
            force_unit_access: false,
        }
    }

    fn len(&self) -> usize {
        usize::try_from(u64::from(self.blocks) * u64::from(self.block_size)).unwrap_or(usize::MAX)
    }
}

impl Command for Read12 {
    const NAME: &'static str = "READ(12)";
    type Cdb = [u8; 12];
    type Response = Vec<u8>;

    fn cdb(&self) -> [u8; 12] {
        let [l0, l1, l2, l3] = self.lba.to_be_bytes();
        let [n0, n1, n2, n3] = self.blocks.to_be_bytes();
        let b1 = u8::from(self.force_unit_access) << 3;
        let b10 = u8::from(self.streaming) << 7;
        [
            Opcode::READ_12.0,
            b1,
            l0,
            l1,
            l2,
            l3,
            n0,
            n1,
            n2,
            n3,
            b10,
            0,
        ]
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::In(self.len())
    }

    /// # Errors
    /// `Truncated` when fewer bytes than `blocks × block_size` arrived.
    fn parse(&self, data: &[u8]) -> Result<Vec<u8>, ParseError> {
        bytes::slice(data, 0, self.len(), "READ(12) data").map(<[u8]>::to_vec)
    }

    fn lba(&self) -> Option<u32> {
        Some(self.lba)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdb() {
        // observed: READ(12) LBA 16 x1  CDB: a8 00 00 00 00 10 00 00 00 01 00 00
        assert_eq!(
            Read12::new(16, 1).cdb(),
            [0xa8, 0, 0, 0, 0, 0x10, 0, 0, 0, 0x01, 0, 0]
        );
        let s = Read12 {
            streaming: true,
            ..Read12::new(0, 0x0102_0304)
        };
        assert_eq!(s.cdb(), [0xa8, 0, 0, 0, 0, 0, 1, 2, 3, 4, 0x80, 0]);
        assert!(Read12::new(0, 2).parse(&[0; 4095]).is_err());
        assert_eq!(Read12::new(0, 2).parse(&[7; 4096]).unwrap().len(), 4096);
    }
}
