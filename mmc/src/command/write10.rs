use std::borrow::Cow;
use std::time::Duration;

use super::{timeouts, Command, Opcode, RetryPolicy, Transfer};
use crate::ParseError;

/// WRITE(10) (2Ah), MMC-6 §6.45: whole blocks from `data` at `lba`. Sequential media accept
/// only the next writable address (else 05/21/02); keep writes in the medium's ECC unit (DVD
/// 32 KiB, BD 64 KiB).
#[doc(alias = "WRITE(10)")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Write10<'a> {
    /// b2-5.
    pub lba: u32,
    /// b7-8: transfer length in blocks.
    pub blocks: u16,
    /// The data: exactly `blocks` blocks.
    pub data: &'a [u8],
    /// FUA (b1 bit 3).
    pub force_unit_access: bool,
}

impl<'a> Write10<'a> {
    /// Writes `data` (a whole number of 2048-byte blocks, at most 65535) at `lba`; `None`
    /// when `data` is empty, not block-aligned or too long.
    pub fn new(lba: u32, data: &'a [u8]) -> Option<Self> {
        Self::with_block_size(lba, data, 2048)
    }

    /// As [`new`](Self::new) with another block size.
    pub fn with_block_size(lba: u32, data: &'a [u8], block_size: usize) -> Option<Self> {
        if block_size == 0 || data.is_empty() || !data.len().is_multiple_of(block_size) {
            return None;
        }
        let blocks = u16::try_from(data.len() / block_size).ok()?;
        Some(Write10 {
            lba,
            blocks,
            data,
            force_unit_access: false,
        })
    }
}

impl Command for Write10<'_> {
    const NAME: &'static str = "WRITE(10)";
    type Cdb = [u8; 10];
    type Response = ();

    fn cdb(&self) -> [u8; 10] {
        let [l0, l1, l2, l3] = self.lba.to_be_bytes();
        let [n0, n1] = self.blocks.to_be_bytes();
        let b1 = u8::from(self.force_unit_access) << 3;
        [Opcode::WRITE_10.0, b1, l0, l1, l2, l3, 0, n0, n1, 0]
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::Out(Cow::Borrowed(self.data))
    }

    fn parse(&self, _data: &[u8]) -> Result<(), ParseError> {
        Ok(())
    }

    fn timeout(&self) -> Duration {
        timeouts::WRITE
    }

    fn lba(&self) -> Option<u32> {
        Some(self.lba)
    }

    fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy::Write
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdb() {
        // observed: WRITE(10) LBA 32 x1  CDB: 2a 00 00 00 00 20 00 00 01 00
        let data = [0u8; 2048];
        let w = Write10::new(32, &data).unwrap();
        assert_eq!(w.cdb(), [0x2a, 0, 0, 0, 0, 0x20, 0, 0, 0x01, 0]);
        assert_eq!(w.data_phase().len(), 2048);
        assert_eq!(w.retry_policy(), RetryPolicy::Write);
        assert_eq!(w.timeout(), timeouts::WRITE);
        let big = vec![0u8; 32 * 1024];
        assert_eq!(
            Write10::new(0x12345678, &big).unwrap().cdb(),
            [0x2a, 0, 0x12, 0x34, 0x56, 0x78, 0, 0, 16, 0]
        );
        assert!(Write10::new(0, &data[..100]).is_none());
        assert!(Write10::new(0, &[]).is_none());
        assert!(Write10::with_block_size(0, &data, 0).is_none());
    }
}
