use super::{clip_len16, Command, Opcode, Transfer};
use crate::bytes;
use crate::ParseError;

/// READ BUFFER CAPACITY (5Ch), MMC-6 §6.20: drive buffer size and free space, for throttling
/// writes.
#[doc(alias = "READ BUFFER CAPACITY")]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadBufferCapacity {
    /// Block (b1 bit 0): report the available space in blocks (feature 0107h RBCB).
    pub block: bool,
}

/// Buffer capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferCapacity {
    /// b4-7: buffer length in bytes (`None` in block mode, where the field is reserved).
    pub buffer_length: Option<u32>,
    /// b8-11: available (free) buffer, bytes or blocks.
    pub available: u32,
    /// True when `available` counts blocks.
    pub in_blocks: bool,
}

impl Command for ReadBufferCapacity {
    const NAME: &'static str = "READ BUFFER CAPACITY";
    type Cdb = [u8; 10];
    type Response = BufferCapacity;

    fn cdb(&self) -> [u8; 10] {
        [
            Opcode::READ_BUFFER_CAPACITY.0,
            u8::from(self.block),
            0,
            0,
            0,
            0,
            0,
            0,
            12,
            0,
        ]
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::In(12)
    }

    fn parse(&self, data: &[u8]) -> Result<BufferCapacity, ParseError> {
        let d = clip_len16(data)?;
        bytes::need(d, 12, "buffer capacity")?;
        Ok(BufferCapacity {
            buffer_length: if self.block {
                None
            } else {
                Some(bytes::be_u32(d, 4)?)
            },
            available: bytes::be_u32(d, 8)?,
            in_blocks: self.block,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bytes_mode() {
        // Hand-built per MMC-6 table 468: length 000Ah, 2 MiB buffer, 1 MiB free.
        let d = [
            0x00, 0x0a, 0, 0, 0x00, 0x20, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00,
        ];
        assert_eq!(
            ReadBufferCapacity::default().cdb(),
            [0x5c, 0, 0, 0, 0, 0, 0, 0, 12, 0]
        );
        let b = ReadBufferCapacity::default().parse(&d).unwrap();
        assert_eq!(b.buffer_length, Some(2 << 20));
        assert_eq!(b.available, 1 << 20);
        let b = ReadBufferCapacity { block: true }.parse(&d).unwrap();
        assert_eq!(b.buffer_length, None);
        assert!(b.in_blocks);
        assert!(ReadBufferCapacity::default().parse(&d[..11]).is_err());
    }

    proptest! {
        #[test]
        fn never_panics(raw in proptest::collection::vec(any::<u8>(), 0..16)) {
            let _ = ReadBufferCapacity::default().parse(&raw);
        }
    }
}
