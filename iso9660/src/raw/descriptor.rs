//! Volume descriptors (ECMA-119 §8): primary, supplementary (Joliet) and the set terminator.

use super::bytes::{
    array, be_u32, both_u16, both_u32, enc_both_u16, enc_both_u32, le_u32, put, put_padded, slice,
    u8_at,
};
use super::date::{decode_long, encode_long, UnixTime, LONG_UNSPECIFIED};
use super::{Malformed, SECTOR_SIZE};

/// Standard identifier of every volume descriptor (BP 2–6).
pub const STANDARD_ID: &[u8; 5] = b"CD001";

/// Volume descriptor type (BP 1), an open code space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DescriptorType(pub u8);

impl DescriptorType {
    /// Boot record (ECMA-119 §8.2).
    pub const BOOT_RECORD: DescriptorType = DescriptorType(0);
    /// Primary volume descriptor (ECMA-119 §8.4).
    pub const PRIMARY: DescriptorType = DescriptorType(1);
    /// Supplementary or enhanced volume descriptor (ECMA-119 §8.5); Joliet uses it.
    pub const SUPPLEMENTARY: DescriptorType = DescriptorType(2);
    /// Volume partition descriptor (ECMA-119 §8.6).
    pub const PARTITION: DescriptorType = DescriptorType(3);
    /// Volume descriptor set terminator (ECMA-119 §8.3).
    pub const TERMINATOR: DescriptorType = DescriptorType(255);

    /// The spec's name for this type, if it has one.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::BOOT_RECORD => "Boot Record",
            Self::PRIMARY => "Primary Volume Descriptor",
            Self::SUPPLEMENTARY => "Supplementary Volume Descriptor",
            Self::PARTITION => "Volume Partition Descriptor",
            Self::TERMINATOR => "Volume Descriptor Set Terminator",
            _ => return None,
        })
    }
}

/// Joliet's escape sequences (BP 89–91 of the SVD) for UCS-2 levels 1–3.
pub const JOLIET_ESCAPES: [&[u8; 3]; 3] = [b"%/@", b"%/C", b"%/E"];

/// The fields of a primary or supplementary volume descriptor that this crate uses.
///
/// Identifier fields are stored as encoded bytes (a-/d-characters for the PVD, UCS-2BE for
/// Joliet) without padding; `encode` pads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeDescriptor {
    /// PRIMARY or SUPPLEMENTARY.
    pub kind: DescriptorType,
    /// Escape sequences (BP 89–120); Joliet's "%/E" in an SVD.
    pub escapes: [u8; 3],
    /// System identifier (BP 9–40).
    pub system_id: Vec<u8>,
    /// Volume identifier (BP 41–72): the disc label.
    pub volume_id: Vec<u8>,
    /// Volume space size in sectors (BP 81–88).
    pub volume_space_size: u32,
    /// Path table size in bytes (BP 133–140).
    pub path_table_size: u32,
    /// LBA of the type L path table (BP 141–144).
    pub path_table_l: u32,
    /// LBA of the type M path table (BP 149–152).
    pub path_table_m: u32,
    /// The root directory record, 34 bytes (BP 157–190).
    pub root_record: [u8; 34],
    /// Volume set identifier (BP 191–318).
    pub volume_set_id: Vec<u8>,
    /// Publisher identifier (BP 319–446).
    pub publisher_id: Vec<u8>,
    /// Data preparer identifier (BP 447–574).
    pub preparer_id: Vec<u8>,
    /// Application identifier (BP 575–702).
    pub application_id: Vec<u8>,
    /// Volume creation date (BP 814–830).
    pub created: Option<UnixTime>,
    /// Volume modification date (BP 831–847).
    pub modified: Option<UnixTime>,
}

impl VolumeDescriptor {
    /// Encodes into one 2048-byte sector. Identifier fields are padded with spaces, or with
    /// UCS-2 spaces (`00 20`) in a supplementary descriptor.
    pub fn encode(&self) -> [u8; SECTOR_SIZE] {
        let mut s = [0u8; SECTOR_SIZE];
        let ucs2 = self.kind == DescriptorType::SUPPLEMENTARY;
        let field = |s: &mut [u8; SECTOR_SIZE], off: usize, width: usize, text: &[u8]| {
            if ucs2 {
                for i in (0..width).step_by(2) {
                    put(s, off + i, &[0, b' ']);
                }
                put(
                    s,
                    off,
                    slice(text, 0, text.len().min(width & !1), "").unwrap_or(&[]),
                );
            } else {
                put_padded(s, off, width, text);
            }
        };
        put(&mut s, 0, &[self.kind.0]);
        put(&mut s, 1, STANDARD_ID);
        put(&mut s, 6, &[1]);
        field(&mut s, 8, 32, &self.system_id);
        field(&mut s, 40, 32, &self.volume_id);
        put(&mut s, 80, &enc_both_u32(self.volume_space_size));
        if ucs2 {
            put(&mut s, 88, &self.escapes);
        }
        put(&mut s, 120, &enc_both_u16(1));
        put(&mut s, 124, &enc_both_u16(1));
        put(&mut s, 128, &enc_both_u16(SECTOR_SIZE as u16));
        put(&mut s, 132, &enc_both_u32(self.path_table_size));
        put(&mut s, 140, &self.path_table_l.to_le_bytes());
        put(&mut s, 148, &self.path_table_m.to_be_bytes());
        put(&mut s, 156, &self.root_record);
        field(&mut s, 190, 128, &self.volume_set_id);
        field(&mut s, 318, 128, &self.publisher_id);
        field(&mut s, 446, 128, &self.preparer_id);
        field(&mut s, 574, 128, &self.application_id);
        field(&mut s, 702, 37, b"");
        field(&mut s, 739, 37, b"");
        field(&mut s, 776, 37, b"");
        let date = |t: Option<UnixTime>| t.map_or(LONG_UNSPECIFIED, encode_long);
        put(&mut s, 813, &date(self.created));
        put(&mut s, 830, &date(self.modified));
        put(&mut s, 847, &LONG_UNSPECIFIED);
        put(&mut s, 864, &date(self.created));
        put(&mut s, 881, &[1]);
        s
    }

    /// Parses a primary or supplementary descriptor. Identifier fields keep their padding
    /// stripped (trailing spaces, or UCS-2 spaces/NULs for an SVD).
    pub fn parse(s: &[u8]) -> Result<VolumeDescriptor, Malformed> {
        let kind = DescriptorType(u8_at(s, 0, "descriptor type")?);
        if slice(s, 1, 5, "standard identifier")? != STANDARD_ID {
            return Err(Malformed("volume descriptor without CD001"));
        }
        let ucs2 = kind == DescriptorType::SUPPLEMENTARY;
        let text = |off: usize, width: usize| -> Result<Vec<u8>, Malformed> {
            let raw = slice(s, off, width, "identifier field")?;
            Ok(if ucs2 {
                let mut v = raw.to_vec();
                while v.ends_with(&[0, b' ']) || v.ends_with(&[0, 0]) {
                    v.truncate(v.len() - 2);
                }
                if v.len() % 2 == 1 {
                    v.pop();
                }
                v
            } else {
                let end = raw
                    .iter()
                    .rposition(|&c| c != b' ' && c != 0)
                    .map_or(0, |p| p + 1);
                raw.get(..end).unwrap_or(&[]).to_vec()
            })
        };
        let block = both_u16(s, 128, "logical block size")?;
        if usize::from(block) != SECTOR_SIZE {
            return Err(Malformed("logical block size is not 2048"));
        }
        Ok(VolumeDescriptor {
            kind,
            escapes: array(s, 88, "escape sequences")?,
            system_id: text(8, 32)?,
            volume_id: text(40, 32)?,
            volume_space_size: both_u32(s, 80, "volume space size")?,
            path_table_size: both_u32(s, 132, "path table size")?,
            path_table_l: le_u32(s, 140, "type L path table")?,
            path_table_m: be_u32(s, 148, "type M path table")?,
            root_record: array(s, 156, "root directory record")?,
            volume_set_id: text(190, 128)?,
            publisher_id: text(318, 128)?,
            preparer_id: text(446, 128)?,
            application_id: text(574, 128)?,
            created: decode_long(slice(s, 813, 17, "creation date")?)
                .ok()
                .flatten(),
            modified: decode_long(slice(s, 830, 17, "modification date")?)
                .ok()
                .flatten(),
        })
    }

    /// Whether this SVD announces Joliet.
    pub fn is_joliet(&self) -> bool {
        self.kind == DescriptorType::SUPPLEMENTARY
            && JOLIET_ESCAPES.iter().any(|e| **e == self.escapes)
    }
}

/// Encodes a volume descriptor set terminator (ECMA-119 §8.3).
pub fn encode_terminator() -> [u8; SECTOR_SIZE] {
    let mut s = [0u8; SECTOR_SIZE];
    put(&mut s, 0, &[DescriptorType::TERMINATOR.0]);
    put(&mut s, 1, STANDARD_ID);
    put(&mut s, 6, &[1]);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(kind: DescriptorType) -> VolumeDescriptor {
        VolumeDescriptor {
            kind,
            escapes: if kind == DescriptorType::SUPPLEMENTARY {
                *b"%/E"
            } else {
                [0; 3]
            },
            system_id: if kind == DescriptorType::SUPPLEMENTARY {
                vec![0, b'L', 0, b'X']
            } else {
                b"LINUX".to_vec()
            },
            volume_id: if kind == DescriptorType::SUPPLEMENTARY {
                vec![0, b'A', 0, b'B']
            } else {
                b"CEDAR BACKUP 2026-11-22".to_vec()
            },
            volume_space_size: 1234,
            path_table_size: 10,
            path_table_l: 19,
            path_table_m: 20,
            root_record: [34; 34],
            volume_set_id: vec![0, b'S'],
            publisher_id: vec![],
            preparer_id: vec![],
            application_id: vec![0, b'P'],
            created: Some(1_700_000_000),
            modified: Some(1_700_000_000),
        }
    }

    #[test]
    fn pvd_layout_and_round_trip() {
        let d = sample(DescriptorType::PRIMARY);
        let s = d.encode();
        assert_eq!(&s[0..7], b"\x01CD001\x01");
        // BP 41–72: volume id, space padded.
        assert_eq!(&s[40..63], b"CEDAR BACKUP 2026-11-22");
        assert_eq!(s[63], b' ');
        // BP 129–132: block size 2048 both-endian.
        assert_eq!(&s[128..132], &[0, 8, 8, 0]);
        assert_eq!(s[881], 1);
        assert_eq!(VolumeDescriptor::parse(&s), Ok(d));
    }

    #[test]
    fn joliet_svd_round_trip() {
        let d = sample(DescriptorType::SUPPLEMENTARY);
        let s = d.encode();
        assert_eq!(&s[88..91], b"%/E");
        assert_eq!(&s[40..46], &[0, b'A', 0, b'B', 0, b' ']);
        let p = VolumeDescriptor::parse(&s).unwrap();
        assert!(p.is_joliet());
        assert_eq!(p, d);
    }

    #[test]
    fn rejects_garbage() {
        assert!(VolumeDescriptor::parse(&[0u8; 100]).is_err());
        let mut s = sample(DescriptorType::PRIMARY).encode();
        s[129] = 4;
        assert!(VolumeDescriptor::parse(&s).is_err());
        assert_eq!(encode_terminator()[0], 255);
    }
}
