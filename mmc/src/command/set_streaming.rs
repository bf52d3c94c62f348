use std::borrow::Cow;

use super::{Command, Opcode, Transfer};
use crate::ParseError;

/// The 28-byte performance descriptor of SET STREAMING (MMC-6 table 589).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamingDescriptor {
    /// b0 bits 4-3: write rotation control.
    pub wrc: u8,
    /// b0 bit 2 RDD: restore drive defaults.
    pub restore_defaults: bool,
    /// b0 bit 1: Exact.
    pub exact: bool,
    /// b0 bit 0 RA: random access.
    pub random_access: bool,
    /// b4-7.
    pub start_lba: u32,
    /// b8-11 (capacity − 1).
    pub end_lba: u32,
    /// b12-15: read size, kB.
    pub read_size: u32,
    /// b16-19: read time, ms.
    pub read_time: u32,
    /// b20-23: write size, kB.
    pub write_size: u32,
    /// b24-27: write time, ms.
    pub write_time: u32,
}

impl StreamingDescriptor {
    /// Read and write at `kbytes_per_sec` over `0..=end_lba` (sizes in kB per 1000 ms, as
    /// growisofs and libburn do).
    pub fn speed(end_lba: u32, kbytes_per_sec: u32) -> Self {
        StreamingDescriptor {
            wrc: 0,
            restore_defaults: false,
            exact: false,
            random_access: false,
            start_lba: 0,
            end_lba,
            read_size: kbytes_per_sec,
            read_time: 1000,
            write_size: kbytes_per_sec,
            write_time: 1000,
        }
    }

    /// The descriptor bytes.
    pub fn to_bytes(&self) -> [u8; 28] {
        let mut b = [0u8; 28];
        let b0 = (self.wrc & 0x03) << 3
            | u8::from(self.restore_defaults) << 2
            | u8::from(self.exact) << 1
            | u8::from(self.random_access);
        let fields = [
            self.start_lba,
            self.end_lba,
            self.read_size,
            self.read_time,
            self.write_size,
            self.write_time,
        ];
        for (chunk, v) in b.chunks_exact_mut(4).skip(1).zip(fields) {
            chunk.copy_from_slice(&v.to_be_bytes());
        }
        if let Some(first) = b.first_mut() {
            *first = b0;
        }
        b
    }
}

/// SET STREAMING (B6h), MMC-6 §6.39, type 00h (performance descriptor): selects read/write
/// speed on DVD/BD drives (fall back to SET CD SPEED when unsupported).
#[doc(alias = "SET STREAMING")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetStreaming {
    /// The descriptor.
    pub descriptor: StreamingDescriptor,
    bytes: [u8; 28],
}

impl SetStreaming {
    /// Sends `descriptor`.
    pub fn new(descriptor: StreamingDescriptor) -> Self {
        SetStreaming {
            bytes: descriptor.to_bytes(),
            descriptor,
        }
    }
}

impl Command for SetStreaming {
    const NAME: &'static str = "SET STREAMING";
    type Cdb = [u8; 12];
    type Response = ();

    fn cdb(&self) -> [u8; 12] {
        let [l0, l1] = 28u16.to_be_bytes();
        // b8 type 00h (performance descriptor); b9-10 parameter list length.
        [
            Opcode::SET_STREAMING.0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0x00,
            l0,
            l1,
            0,
        ]
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::Out(Cow::Borrowed(&self.bytes))
    }

    fn parse(&self, _data: &[u8]) -> Result<(), ParseError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_layout() {
        let s = SetStreaming::new(StreamingDescriptor::speed(2_295_103, 11_080));
        assert_eq!(s.cdb(), [0xb6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 28, 0]);
        let b = s.descriptor.to_bytes();
        assert_eq!(b[0], 0);
        assert_eq!(&b[4..8], &0u32.to_be_bytes());
        assert_eq!(&b[8..12], &2_295_103u32.to_be_bytes());
        assert_eq!(&b[12..16], &11_080u32.to_be_bytes());
        assert_eq!(&b[16..20], &1000u32.to_be_bytes());
        assert_eq!(&b[20..24], &11_080u32.to_be_bytes());
        assert_eq!(&b[24..28], &1000u32.to_be_bytes());
        assert_eq!(s.data_phase().len(), 28);
        let mut d = StreamingDescriptor::speed(1, 1);
        d.wrc = 1;
        d.restore_defaults = true;
        d.exact = true;
        d.random_access = true;
        assert_eq!(d.to_bytes()[0], 0x0f);
    }
}
