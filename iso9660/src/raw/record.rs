//! Directory records (ECMA-119 §9.1).

use super::bytes::{both_u16, both_u32, enc_both_u16, enc_both_u32, slice, u8_at};
use super::date::{decode_short, UnixTime};
use super::Malformed;

/// File flags of a directory record (ECMA-119 §9.1.6), an open bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileFlags(pub u8);

impl FileFlags {
    /// The entry need not be shown to the user.
    pub const HIDDEN: FileFlags = FileFlags(0x01);
    /// The entry is a directory.
    pub const DIRECTORY: FileFlags = FileFlags(0x02);
    /// An associated file.
    pub const ASSOCIATED: FileFlags = FileFlags(0x04);
    /// Record format is given in the extended attribute record.
    pub const RECORD: FileFlags = FileFlags(0x08);
    /// Owner and permissions are given in the extended attribute record.
    pub const PROTECTION: FileFlags = FileFlags(0x10);
    /// This is not the final directory record of the file (ISO level 3 multi-extent).
    pub const MULTI_EXTENT: FileFlags = FileFlags(0x80);

    /// Whether all bits of `other` are set.
    pub fn contains(self, other: FileFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for FileFlags {
    type Output = FileFlags;
    fn bitor(self, rhs: FileFlags) -> FileFlags {
        FileFlags(self.0 | rhs.0)
    }
}

/// Identifier of a directory's own record ("." in POSIX terms).
pub const ID_SELF: &[u8] = &[0x00];
/// Identifier of the record pointing at the parent ("..").
pub const ID_PARENT: &[u8] = &[0x01];

/// Length of the fixed part of a directory record, before the file identifier.
pub const FIXED_LEN: usize = 33;

/// Largest directory record: its length field is one byte, and we keep records even.
pub const MAX_RECORD_LEN: usize = 254;

/// One parsed or to-be-written directory record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirRecord<'a> {
    /// Extended attribute record length in sectors (BP 2); always 0 when we write.
    pub ext_attr_len: u8,
    /// First LBA of the extent (BP 3–10).
    pub extent: u32,
    /// Data length in bytes (BP 11–18).
    pub data_length: u32,
    /// Recording date, 7-byte form (BP 19–25), kept raw.
    pub recorded: [u8; 7],
    /// File flags (BP 26).
    pub flags: FileFlags,
    /// File unit size for interleaved files (BP 27).
    pub file_unit_size: u8,
    /// Interleave gap size (BP 28).
    pub interleave_gap: u8,
    /// Volume sequence number (BP 29–32).
    pub volume_seq: u16,
    /// File identifier (BP 34 onwards).
    pub identifier: &'a [u8],
    /// System use field (SUSP entries).
    pub system_use: &'a [u8],
}

impl<'a> DirRecord<'a> {
    /// Length of a record with this identifier and system use length, padded to even.
    pub fn encoded_len(id_len: usize, su_len: usize) -> usize {
        let base = FIXED_LEN + id_len + usize::from(id_len.is_multiple_of(2));
        let n = base + su_len;
        n + n % 2
    }

    /// Offset of the system use field within a record with this identifier length.
    pub fn system_use_offset(id_len: usize) -> usize {
        FIXED_LEN + id_len + usize::from(id_len.is_multiple_of(2))
    }

    /// Appends the encoded record to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let len = Self::encoded_len(self.identifier.len(), self.system_use.len());
        let start = out.len();
        out.push(len as u8);
        out.push(self.ext_attr_len);
        out.extend_from_slice(&enc_both_u32(self.extent));
        out.extend_from_slice(&enc_both_u32(self.data_length));
        out.extend_from_slice(&self.recorded);
        out.push(self.flags.0);
        out.push(self.file_unit_size);
        out.push(self.interleave_gap);
        out.extend_from_slice(&enc_both_u16(self.volume_seq));
        out.push(self.identifier.len() as u8);
        out.extend_from_slice(self.identifier);
        if self.identifier.len().is_multiple_of(2) {
            out.push(0);
        }
        out.extend_from_slice(self.system_use);
        out.resize(start + len, 0);
    }

    /// Parses the record at the start of `buf`, which must hold at least the whole record.
    /// Returns `Ok(None)` for a zero length byte (the rest of the sector is padding).
    pub fn parse(buf: &'a [u8]) -> Result<Option<DirRecord<'a>>, Malformed> {
        let len = usize::from(u8_at(buf, 0, "directory record length")?);
        if len == 0 {
            return Ok(None);
        }
        if len < FIXED_LEN + 1 {
            return Err(Malformed("directory record shorter than 34 bytes"));
        }
        let rec = slice(buf, 0, len, "directory record crosses its sector")?;
        let id_len = usize::from(u8_at(rec, 32, "identifier length")?);
        let identifier = slice(rec, FIXED_LEN, id_len, "identifier past record end")?;
        let su_off = Self::system_use_offset(id_len);
        let system_use = rec.get(su_off..).unwrap_or(&[]);
        Ok(Some(DirRecord {
            ext_attr_len: u8_at(rec, 1, "extended attribute length")?,
            extent: both_u32(rec, 2, "extent")?,
            data_length: both_u32(rec, 10, "data length")?,
            recorded: super::bytes::array(rec, 18, "recording date")?,
            flags: FileFlags(u8_at(rec, 25, "file flags")?),
            file_unit_size: u8_at(rec, 26, "file unit size")?,
            interleave_gap: u8_at(rec, 27, "interleave gap")?,
            volume_seq: both_u16(rec, 28, "volume sequence number")?,
            identifier,
            system_use,
        }))
    }

    /// Total encoded length of a parsed record, from its length byte.
    pub fn len_in(buf: &[u8]) -> Result<usize, Malformed> {
        Ok(usize::from(u8_at(buf, 0, "directory record length")?))
    }

    /// The recording date, if specified and valid.
    pub fn recorded_time(&self) -> Option<UnixTime> {
        decode_short(&self.recorded).ok().flatten()
    }

    /// Whether this is a directory's own record.
    pub fn is_self(&self) -> bool {
        self.identifier == ID_SELF
    }

    /// Whether this is the parent record.
    pub fn is_parent(&self) -> bool {
        self.identifier == ID_PARENT
    }
}

/// Largest data length of one extent: 4 GiB − 2 KiB, so every section but the last ends on a
/// sector boundary (ECMA-119 allows any length; xorriso uses this one).
pub const MAX_SECTION: u32 = 0xFFFF_F800;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_parse_round_trip() {
        let r = DirRecord {
            ext_attr_len: 0,
            extent: 0x1234,
            data_length: 2048,
            recorded: [124, 1, 2, 3, 4, 5, 0],
            flags: FileFlags::DIRECTORY,
            file_unit_size: 0,
            interleave_gap: 0,
            volume_seq: 1,
            identifier: b"ABC",
            system_use: b"PX",
        };
        let mut out = Vec::new();
        r.encode(&mut out);
        // len_dr = 33 + 3 (odd id: no pad) + 2 = 38.
        assert_eq!(out.len(), 38);
        assert_eq!(out[0], 38);
        assert_eq!(&out[2..10], &[0x34, 0x12, 0, 0, 0, 0, 0x12, 0x34]);
        assert_eq!(out[25], 2);
        assert_eq!(out[32], 3);
        assert_eq!(DirRecord::parse(&out), Ok(Some(r)));
    }

    #[test]
    fn even_identifier_gets_pad_byte() {
        assert_eq!(DirRecord::encoded_len(1, 0), 34);
        assert_eq!(DirRecord::encoded_len(2, 0), 36);
        assert_eq!(DirRecord::system_use_offset(2), 36);
    }

    #[test]
    fn malformed_records() {
        assert_eq!(DirRecord::parse(&[0]), Ok(None));
        assert!(DirRecord::parse(&[10; 10]).is_err());
        let mut b = vec![0u8; 40];
        b[0] = 40;
        b[32] = 100;
        assert!(DirRecord::parse(&b).is_err());
        b[0] = 60;
        assert!(DirRecord::parse(&b).is_err());
    }
}
