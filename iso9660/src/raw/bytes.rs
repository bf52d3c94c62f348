//! Checked field access and both-endian encoding (ECMA-119 §7.2, §7.3).
//!
//! Readers of both-endian fields take the little-endian half: real writers agree on it, while a
//! few historic ones botch the big-endian copy.

use super::Malformed;

/// `len` bytes at `off`, or `Malformed(what)`.
pub fn slice<'a>(
    buf: &'a [u8],
    off: usize,
    len: usize,
    what: &'static str,
) -> Result<&'a [u8], Malformed> {
    off.checked_add(len)
        .and_then(|end| buf.get(off..end))
        .ok_or(Malformed(what))
}

/// `N` bytes at `off` as an array.
pub fn array<const N: usize>(
    buf: &[u8],
    off: usize,
    what: &'static str,
) -> Result<[u8; N], Malformed> {
    slice(buf, off, N, what)?
        .try_into()
        .map_err(|_| Malformed(what))
}

/// The byte at `off`.
pub fn u8_at(buf: &[u8], off: usize, what: &'static str) -> Result<u8, Malformed> {
    buf.get(off).copied().ok_or(Malformed(what))
}

/// A little-endian `u16` at `off` (ECMA-119 §7.2.1).
pub fn le_u16(buf: &[u8], off: usize, what: &'static str) -> Result<u16, Malformed> {
    Ok(u16::from_le_bytes(array(buf, off, what)?))
}

/// A big-endian `u16` at `off` (ECMA-119 §7.2.2).
pub fn be_u16(buf: &[u8], off: usize, what: &'static str) -> Result<u16, Malformed> {
    Ok(u16::from_be_bytes(array(buf, off, what)?))
}

/// A little-endian `u32` at `off` (ECMA-119 §7.3.1).
pub fn le_u32(buf: &[u8], off: usize, what: &'static str) -> Result<u32, Malformed> {
    Ok(u32::from_le_bytes(array(buf, off, what)?))
}

/// A big-endian `u32` at `off` (ECMA-119 §7.3.2).
pub fn be_u32(buf: &[u8], off: usize, what: &'static str) -> Result<u32, Malformed> {
    Ok(u32::from_be_bytes(array(buf, off, what)?))
}

/// A both-endian `u16` (4 bytes, ECMA-119 §7.2.3); the little-endian half is used.
pub fn both_u16(buf: &[u8], off: usize, what: &'static str) -> Result<u16, Malformed> {
    slice(buf, off, 4, what)?;
    le_u16(buf, off, what)
}

/// A both-endian `u32` (8 bytes, ECMA-119 §7.3.3); the little-endian half is used.
pub fn both_u32(buf: &[u8], off: usize, what: &'static str) -> Result<u32, Malformed> {
    slice(buf, off, 8, what)?;
    le_u32(buf, off, what)
}

/// Encodes a both-endian `u16`.
pub fn enc_both_u16(v: u16) -> [u8; 4] {
    let l = v.to_le_bytes();
    let b = v.to_be_bytes();
    [l[0], l[1], b[0], b[1]]
}

/// Encodes a both-endian `u32`.
pub fn enc_both_u32(v: u32) -> [u8; 8] {
    let l = v.to_le_bytes();
    let b = v.to_be_bytes();
    [l[0], l[1], l[2], l[3], b[0], b[1], b[2], b[3]]
}

/// Copies `src` into `dst[off..]`, truncating at the end of `dst`. Writers only call this with
/// offsets they computed themselves, so truncation never happens in practice; it keeps the
/// encoders free of panicking slice indexing.
pub fn put(dst: &mut [u8], off: usize, src: &[u8]) {
    if let Some(tail) = dst.get_mut(off..) {
        let n = src.len().min(tail.len());
        if let (Some(d), Some(s)) = (tail.get_mut(..n), src.get(..n)) {
            d.copy_from_slice(s);
        }
    }
}

/// Writes `text` into `dst[off..off + width]`, padded with spaces (a- and d-character fields).
pub fn put_padded(dst: &mut [u8], off: usize, width: usize, text: &[u8]) {
    if let Some(field) = off.checked_add(width).and_then(|end| dst.get_mut(off..end)) {
        field.fill(b' ');
        let n = text.len().min(width);
        if let (Some(d), Some(s)) = (field.get_mut(..n), text.get(..n)) {
            d.copy_from_slice(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_endian_round_trip() {
        // ECMA-119 §7.3.3 example layout: LE then BE.
        assert_eq!(enc_both_u32(0x0102_0304), [4, 3, 2, 1, 1, 2, 3, 4]);
        assert_eq!(both_u32(&enc_both_u32(77), 0, "x"), Ok(77));
        assert_eq!(enc_both_u16(0x0102), [2, 1, 1, 2]);
        assert_eq!(both_u16(&enc_both_u16(2048), 0, "x"), Ok(2048));
    }

    #[test]
    fn truncated_reads_fail() {
        assert_eq!(both_u32(&[0; 7], 0, "size"), Err(Malformed("size")));
        assert_eq!(le_u32(&[0; 4], usize::MAX, "off"), Err(Malformed("off")));
        assert_eq!(slice(&[0; 4], 2, 3, "s"), Err(Malformed("s")));
    }

    #[test]
    fn put_never_panics() {
        let mut b = [0u8; 4];
        put(&mut b, 3, b"xyz");
        assert_eq!(b, [0, 0, 0, b'x']);
        put(&mut b, 10, b"xyz");
        put_padded(&mut b, 0, 4, b"ab");
        assert_eq!(&b, b"ab  ");
        put_padded(&mut b, 2, 4, b"ab");
        assert_eq!(&b, b"ab  ");
    }
}
