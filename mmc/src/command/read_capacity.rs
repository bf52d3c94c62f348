use super::{Command, Opcode, Transfer};
use crate::bytes;
use crate::ParseError;

/// READ CAPACITY(10) (25h), SBC-4 §5.16 / MMC-6 §6.23.
///
/// The reply holds the *last* LBA, not a count. On CD it may point past the readable data; on
/// blank sequential media it is often 0 or an error; on formatted overwritable media it is the
/// formatted size − 1.
#[doc(alias = "READ CAPACITY")]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadCapacity;

/// READ CAPACITY(10) data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapacityData {
    /// b0-3: the last logical block address.
    pub last_lba: u32,
    /// b4-7: the block length in bytes (2048).
    pub block_length: u32,
}

impl CapacityData {
    /// Number of blocks: `last_lba + 1`.
    pub fn blocks(&self) -> u64 {
        u64::from(self.last_lba) + 1
    }
}

impl Command for ReadCapacity {
    const NAME: &'static str = "READ CAPACITY(10)";
    type Cdb = [u8; 10];
    type Response = CapacityData;

    fn cdb(&self) -> [u8; 10] {
        [Opcode::READ_CAPACITY.0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::In(8)
    }

    fn parse(&self, data: &[u8]) -> Result<CapacityData, ParseError> {
        bytes::need(data, 8, "READ CAPACITY data")?;
        Ok(CapacityData {
            last_lba: bytes::be_u32(data, 0)?,
            block_length: bytes::be_u32(data, 4)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn observed() {
        // docs/qemu-notes.md §3.5: CDB 25 00 .. 00; reply 00 07 ff ff 00 00 08 00.
        assert_eq!(ReadCapacity.cdb(), [0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let c = ReadCapacity
            .parse(&[0x00, 0x07, 0xff, 0xff, 0x00, 0x00, 0x08, 0x00])
            .unwrap();
        assert_eq!(
            c,
            CapacityData {
                last_lba: 524_287,
                block_length: 2048
            }
        );
        assert_eq!(c.blocks(), 524_288);
        // docs/qemu-notes.md §4: 00 00 06 70 00 00 08 00 = 1648.
        let c = ReadCapacity
            .parse(&[0x00, 0x00, 0x06, 0x70, 0x00, 0x00, 0x08, 0x00])
            .unwrap();
        assert_eq!(c.blocks(), 1649);
        assert!(ReadCapacity.parse(&[0; 7]).is_err());
        let c = ReadCapacity.parse(&[0xff; 8]).unwrap();
        assert_eq!(c.blocks(), 1 << 32);
    }

    proptest! {
        #[test]
        fn never_panics(raw in proptest::collection::vec(any::<u8>(), 0..16)) {
            let _ = ReadCapacity.parse(&raw);
        }
    }
}
