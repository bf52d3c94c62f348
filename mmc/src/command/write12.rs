use std::borrow::Cow;
use std::time::Duration;

use super::{timeouts, Command, Opcode, RetryPolicy, Transfer};
use crate::ParseError;

/// WRITE(12) (AAh), MMC-6 §6.46: like WRITE(10) with a 32-bit length and the Streaming bit
/// (BD-RE full-speed writes without defect management need it, in 64 KiB units).
#[doc(alias = "WRITE(12)")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Write12<'a> {
    /// b2-5.
    pub lba: u32,
    /// b6-9: transfer length in blocks.
    pub blocks: u32,
    /// The data: exactly `blocks` blocks.
    pub data: &'a [u8],
    /// Streaming (b10 bit 7).
    pub streaming: bool,
    /// FUA (b1 bit 3).
    pub force_unit_access: bool,
}

impl<'a> Write12<'a> {
    /// Writes `data` (a whole number of 2048-byte blocks) at `lba`; `None` when `data` is
    /// empty or not block-aligned.
    pub fn new(lba: u32, data: &'a [u8]) -> Option<Self> {
        if data.is_empty() || !data.len().is_multiple_of(2048) {
            return None;
        }
        let blocks = u32::try_from(data.len() / 2048).ok()?;
        Some(Write12 {
            lba,
            blocks,
            data,
            streaming: false,
            force_unit_access: false,
        })
    }

    /// Sets the Streaming bit.
    pub fn streaming(mut self, streaming: bool) -> Self {
        self.streaming = streaming;
        self
    }
}

impl Command for Write12<'_> {
    const NAME: &'static str = "WRITE(12)";
    type Cdb = [u8; 12];
    type Response = ();

    fn cdb(&self) -> [u8; 12] {
        let [l0, l1, l2, l3] = self.lba.to_be_bytes();
        let [n0, n1, n2, n3] = self.blocks.to_be_bytes();
        let b1 = u8::from(self.force_unit_access) << 3;
        [
            Opcode::WRITE_12.0,
            b1,
            l0,
            l1,
            l2,
            l3,
            n0,
            n1,
            n2,
            n3,
            u8::from(self.streaming) << 7,
            0,
        ]
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
        let data = vec![0u8; 64 * 1024];
        let w = Write12::new(0x100, &data).unwrap().streaming(true);
        assert_eq!(w.cdb(), [0xaa, 0, 0, 0, 0x01, 0x00, 0, 0, 0, 32, 0x80, 0]);
        assert_eq!(w.lba(), Some(0x100));
        assert!(Write12::new(0, &data[..1]).is_none());
    }
}
