use super::{Command, Opcode, Transfer};
use crate::bytes;
use crate::ParseError;

/// READ(10) (28h), SBC-4 §5.14 / MMC-6 §6.15: `blocks` logical blocks from `lba`.
///
/// Verify written data with this through SG_IO, not through `read(2)` on `/dev/srN`, whose
/// page cache does not see SG_IO writes.
#[doc(alias = "READ(10)")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Read10 {
    /// b2-5.
    pub lba: u32,
    /// b7-8: transfer length in blocks.
    pub blocks: u16,
    /// Bytes per block (2048 for data discs).
    pub block_size: u32,
    /// FUA (b1 bit 3): read from the medium, not the cache.
    pub force_unit_access: bool,
}

impl Read10 {
    /// `blocks` 2048-byte blocks from `lba`.
    pub fn new(lba: u32, blocks: u16) -> Self {
        Read10 {
            lba,
            blocks,
            block_size: 2048,
            force_unit_access: false,
        }
    }

    fn len(&self) -> usize {
        usize::try_from(u64::from(self.blocks) * u64::from(self.block_size)).unwrap_or(usize::MAX)
    }
}

impl Command for Read10 {
    const NAME: &'static str = "READ(10)";
    type Cdb = [u8; 10];
    type Response = Vec<u8>;

    fn cdb(&self) -> [u8; 10] {
        let [l0, l1, l2, l3] = self.lba.to_be_bytes();
        let [n0, n1] = self.blocks.to_be_bytes();
        let b1 = u8::from(self.force_unit_access) << 3;
        [Opcode::READ_10.0, b1, l0, l1, l2, l3, 0, n0, n1, 0]
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::In(self.len())
    }

    /// # Errors
    /// `Truncated` when fewer bytes than `blocks × block_size` arrived.
    fn parse(&self, data: &[u8]) -> Result<Vec<u8>, ParseError> {
        bytes::slice(data, 0, self.len(), "READ(10) data").map(<[u8]>::to_vec)
    }

    fn lba(&self) -> Option<u32> {
        Some(self.lba)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdb_and_data() {
        // observed: READ(10) LBA 16 x1  CDB: 28 00 00 00 00 10 00 00 01 00
        let r = Read10::new(16, 1);
        assert_eq!(r.cdb(), [0x28, 0, 0, 0, 0, 0x10, 0, 0, 0x01, 0]);
        assert_eq!(r.data_phase(), Transfer::In(2048));
        assert_eq!(r.lba(), Some(16));
        // observed: the PVD at LBA 16 starts 01 "CD001".
        let mut d = vec![0u8; 2048];
        d[..6].copy_from_slice(b"\x01CD001");
        assert_eq!(&r.parse(&d).unwrap()[1..6], b"CD001");
        assert!(r.parse(&d[..2047]).is_err());
        // observed: READ(10) LBA 0x100000 (beyond end)  CDB: 28 00 00 10 00 00 00 00 01 00
        assert_eq!(
            Read10::new(0x10_0000, 1).cdb(),
            [0x28, 0, 0, 0x10, 0, 0, 0, 0, 1, 0]
        );
        let fua = Read10 {
            force_unit_access: true,
            ..Read10::new(0, 32)
        };
        assert_eq!(fua.cdb(), [0x28, 0x08, 0, 0, 0, 0, 0, 0, 32, 0]);
    }
}
