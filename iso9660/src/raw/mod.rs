//! On-disk records of ECMA-119 (ISO 9660), byte for byte.
//!
//! Everything here is a pure function of bytes: encoders write into caller-provided buffers and
//! decoders take `&[u8]`, check every bound and return [`Malformed`] instead of panicking.
//! Higher layers attach the LBA the bytes came from (see [`crate::Error::Corrupt`]).
//!
//! # References
//! ECMA-119 4th edition (2019), §8 (volume descriptors), §9.1 (directory records),
//! §9.4 (path tables), §8.4.26.1 (17-byte dates), §9.1.5 (7-byte dates).

pub mod bytes;
pub mod checksum;
pub mod date;
pub mod descriptor;
pub mod path_table;
pub mod record;

/// Size of a logical sector (and logical block) in bytes; the only size this crate supports.
pub const SECTOR_SIZE: usize = 2048;

/// [`SECTOR_SIZE`] as a `u64`, for byte-offset arithmetic.
pub const SECTOR_BYTES: u64 = SECTOR_SIZE as u64;

/// The first sector after the 16-sector system area: where volume descriptors start.
pub const FIRST_DESCRIPTOR_LBA: u32 = 16;

/// A structure in the bytes is not what ECMA-119, SUSP or RRIP allow. `.0` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed(pub &'static str);

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// A logical block address (2048-byte sectors from the start of the medium).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Lba(pub u32);

impl Lba {
    /// Byte offset of this sector from the start of the medium.
    pub fn byte_offset(self) -> u64 {
        u64::from(self.0) * SECTOR_BYTES
    }
}

impl std::fmt::Display for Lba {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LBA {}", self.0)
    }
}

/// Number of whole sectors needed for `bytes` bytes.
pub fn sectors_for(bytes: u64) -> u64 {
    bytes.div_ceil(SECTOR_BYTES)
}
