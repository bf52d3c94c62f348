use super::format_unit::FormatType;
use super::{Command, Opcode, Transfer};
use crate::bytes;
use crate::ParseError;

/// READ FORMAT CAPACITIES (23h), MMC-6 §6.24: the current/maximum capacity and the formats the
/// medium accepts.
#[doc(alias = "READ FORMAT CAPACITIES")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadFormatCapacities {
    /// Allocation length (b7-8); 252 holds 30 descriptors.
    pub allocation_length: u16,
}

impl Default for ReadFormatCapacities {
    fn default() -> Self {
        ReadFormatCapacities {
            allocation_length: 252,
        }
    }
}

/// Descriptor type of the current/maximum capacity descriptor (b4 bits 1-0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DescriptorType {
    /// 00b: reserved.
    Reserved,
    /// 01b: unformatted medium; the maximum formattable capacity.
    Unformatted,
    /// 10b: formatted medium; the current capacity.
    Formatted,
    /// 11b: no medium, or capacity unknown.
    NoMedium,
}

/// The current/maximum capacity descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentCapacity {
    /// b0-3: number of blocks.
    pub blocks: u32,
    /// b4 bits 1-0.
    pub descriptor_type: DescriptorType,
    /// b5-7: block length.
    pub block_length: u32,
}

/// A formattable capacity descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormattableDescriptor {
    /// b0-3: number of blocks.
    pub blocks: u32,
    /// b4 bits 7-2.
    pub format_type: FormatType,
    /// b5-7: type dependent parameter.
    pub parameter: u32,
}

/// A decoded READ FORMAT CAPACITIES reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatCapacities {
    /// The current/maximum capacity descriptor.
    pub current: CurrentCapacity,
    /// The formattable descriptors that arrived whole.
    pub formattable: Vec<FormattableDescriptor>,
}

impl FormatCapacities {
    /// The first formattable descriptor of this type.
    pub fn find(&self, format_type: FormatType) -> Option<&FormattableDescriptor> {
        self.formattable
            .iter()
            .find(|d| d.format_type == format_type)
    }
}

impl Command for ReadFormatCapacities {
    const NAME: &'static str = "READ FORMAT CAPACITIES";
    type Cdb = [u8; 10];
    type Response = FormatCapacities;

    fn cdb(&self) -> [u8; 10] {
        let [a0, a1] = self.allocation_length.to_be_bytes();
        [
            Opcode::READ_FORMAT_CAPACITIES.0,
            0,
            0,
            0,
            0,
            0,
            0,
            a0,
            a1,
            0,
        ]
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::In(usize::from(self.allocation_length))
    }

    fn parse(&self, data: &[u8]) -> Result<FormatCapacities, ParseError> {
        // b3: capacity list length (a multiple of 8) after the 4-byte header.
        let list_len = bytes::u8_at(data, 3)?;
        let d = bytes::clip(data, 4 + usize::from(list_len));
        bytes::need(d, 12, "current/maximum capacity descriptor")?;
        let b4 = bytes::u8_at(d, 8)?;
        let current = CurrentCapacity {
            blocks: bytes::be_u32(d, 4)?,
            descriptor_type: match b4 & 3 {
                0 => DescriptorType::Reserved,
                1 => DescriptorType::Unformatted,
                2 => DescriptorType::Formatted,
                _ => DescriptorType::NoMedium,
            },
            block_length: bytes::be_u24(d, 9)?,
        };
        let formattable = bytes::tail(d, 12)
            .chunks_exact(8)
            .map(|e| {
                Ok(FormattableDescriptor {
                    blocks: bytes::be_u32(e, 0)?,
                    format_type: FormatType(bytes::u8_at(e, 4)? >> 2),
                    parameter: bytes::be_u24(e, 5)?,
                })
            })
            .collect::<Result<_, ParseError>>()?;
        Ok(FormatCapacities {
            current,
            formattable,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cdb() {
        // observed: READ FORMAT CAPACITIES  CDB: 23 00 00 00 00 00 00 00 fc 00
        assert_eq!(
            ReadFormatCapacities::default().cdb(),
            [0x23, 0, 0, 0, 0, 0, 0, 0, 0xfc, 0]
        );
    }

    #[test]
    fn blank_dvd_plus_rw() {
        // Hand-built per MMC-6 table 489 for an unformatted DVD+RW: list length 10h; current
        // descriptor 2_295_104 blocks, type 01b (unformatted), block length 800h; one
        // formattable descriptor, type 26h (b4 = 98h), TDP 0.
        let mut d = vec![0, 0, 0, 0x10];
        d.extend_from_slice(&2_295_104u32.to_be_bytes());
        d.extend_from_slice(&[0x01, 0x00, 0x08, 0x00]);
        d.extend_from_slice(&2_295_104u32.to_be_bytes());
        d.extend_from_slice(&[0x98, 0x00, 0x00, 0x00]);
        d.extend_from_slice(&[0xee; 12]); // padding past the list length
        let f = ReadFormatCapacities::default().parse(&d).unwrap();
        assert_eq!(f.current.descriptor_type, DescriptorType::Unformatted);
        assert_eq!(f.current.blocks, 2_295_104);
        assert_eq!(f.current.block_length, 2048);
        assert_eq!(f.formattable.len(), 1);
        let d26 = f.find(FormatType::DVD_PLUS_RW_BASIC).unwrap();
        assert_eq!(d26.blocks, 2_295_104);
        assert_eq!(d26.parameter, 0);
    }

    #[test]
    fn formatted_bd_re() {
        // Hand-built formatted BD-RE: list length 20h; current 11_826_176 blocks type 10b;
        // descriptors 00h (TDP 3000h spare), 30h, 31h (12_219_392, TDP 800h).
        let mut d = vec![0, 0, 0, 0x20];
        d.extend_from_slice(&11_826_176u32.to_be_bytes());
        d.extend_from_slice(&[0x02, 0x00, 0x08, 0x00]);
        d.extend_from_slice(&11_826_176u32.to_be_bytes());
        d.extend_from_slice(&[0x00, 0x00, 0x30, 0x00]);
        d.extend_from_slice(&11_826_176u32.to_be_bytes());
        d.extend_from_slice(&[0xc0, 0x00, 0x30, 0x00]);
        d.extend_from_slice(&12_219_392u32.to_be_bytes());
        d.extend_from_slice(&[0xc4, 0x00, 0x08, 0x00]);
        let f = ReadFormatCapacities::default().parse(&d).unwrap();
        assert_eq!(f.current.descriptor_type, DescriptorType::Formatted);
        assert_eq!(f.formattable.len(), 3);
        assert_eq!(f.formattable[1].format_type, FormatType::BD_RE_WITH_SPARES);
        assert_eq!(
            f.find(FormatType::BD_RE_WITHOUT_SPARES).unwrap().blocks,
            12_219_392
        );
        assert_eq!(
            f.find(FormatType::BD_RE_WITHOUT_SPARES).unwrap().parameter,
            0x800
        );
        // List length honoured: claim only the current descriptor.
        d[3] = 0x08;
        assert!(ReadFormatCapacities::default()
            .parse(&d)
            .unwrap()
            .formattable
            .is_empty());
        assert!(ReadFormatCapacities::default().parse(&d[..10]).is_err());
    }

    proptest! {
        #[test]
        fn never_panics(raw in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = ReadFormatCapacities::default().parse(&raw);
        }
    }
}
