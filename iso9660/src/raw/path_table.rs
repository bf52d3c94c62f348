//! Path tables (ECMA-119 §9.4): every directory, listed by depth, with its parent's number.

use super::bytes::{be_u16, be_u32, le_u16, le_u32, slice, u8_at};
use super::Malformed;

/// Byte order of a path table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endian {
    /// Type L: little-endian numbers.
    Little,
    /// Type M: big-endian numbers.
    Big,
}

/// One path table record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRecord {
    /// LBA of the directory's extent.
    pub extent: u32,
    /// 1-based number of the parent directory's record (the root is its own parent, 1).
    pub parent: u16,
    /// Directory identifier (`[0]` for the root).
    pub identifier: Vec<u8>,
}

/// Encoded length of a record with an identifier of `id_len` bytes.
pub fn record_len(id_len: usize) -> usize {
    8 + id_len + id_len % 2
}

/// Appends one record to `out`.
pub fn encode(rec_extent: u32, parent: u16, identifier: &[u8], endian: Endian, out: &mut Vec<u8>) {
    out.push(identifier.len() as u8);
    out.push(0);
    match endian {
        Endian::Little => {
            out.extend_from_slice(&rec_extent.to_le_bytes());
            out.extend_from_slice(&parent.to_le_bytes());
        }
        Endian::Big => {
            out.extend_from_slice(&rec_extent.to_be_bytes());
            out.extend_from_slice(&parent.to_be_bytes());
        }
    }
    out.extend_from_slice(identifier);
    if identifier.len() % 2 == 1 {
        out.push(0);
    }
}

/// Parses a whole path table. Every parent number must refer to an earlier record, so the
/// result describes a tree.
pub fn parse(table: &[u8], endian: Endian) -> Result<Vec<PathRecord>, Malformed> {
    let mut out = Vec::new();
    let mut off = 0usize;
    while off < table.len() {
        let id_len = usize::from(u8_at(table, off, "path table identifier length")?);
        if id_len == 0 {
            return Err(Malformed("path table record with empty identifier"));
        }
        let (extent, parent) = match endian {
            Endian::Little => (
                le_u32(table, off + 2, "path table extent")?,
                le_u16(table, off + 6, "path table parent")?,
            ),
            Endian::Big => (
                be_u32(table, off + 2, "path table extent")?,
                be_u16(table, off + 6, "path table parent")?,
            ),
        };
        let identifier = slice(table, off + 8, id_len, "path table identifier")?.to_vec();
        if parent == 0 || usize::from(parent) > out.len().max(1) {
            return Err(Malformed("path table parent out of order"));
        }
        out.push(PathRecord {
            extent,
            parent,
            identifier,
        });
        off += record_len(id_len);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_both_orders() {
        for endian in [Endian::Little, Endian::Big] {
            let mut t = Vec::new();
            encode(20, 1, &[0], endian, &mut t);
            encode(21, 1, b"AB", endian, &mut t);
            encode(22, 2, b"C", endian, &mut t);
            // 10 + 10 + 10 bytes (odd identifiers get a pad byte).
            assert_eq!(t.len(), 30);
            let p = parse(&t, endian).unwrap();
            assert_eq!(p.len(), 3);
            assert_eq!(
                p[2],
                PathRecord {
                    extent: 22,
                    parent: 2,
                    identifier: b"C".to_vec()
                }
            );
        }
    }

    #[test]
    fn rejects_forward_parent() {
        let mut t = Vec::new();
        encode(20, 1, &[0], Endian::Little, &mut t);
        encode(21, 3, b"A", Endian::Little, &mut t);
        assert!(parse(&t, Endian::Little).is_err());
        assert!(parse(&t[..5], Endian::Little).is_err());
    }
}
