//! Checked big-endian readers for reply parsing.
//!
//! Every parser in this crate reads through these helpers instead of indexing, so a short or
//! garbage reply becomes a [`ParseError::Truncated`] rather than a panic. Offsets follow the
//! spec tables ("b4-7" is `be_u32(buf, 4)`).

use crate::ParseError;

/// The byte at `off`.
///
/// # Errors
/// [`ParseError::Truncated`] when `buf` is shorter than `off + 1`.
pub fn u8_at(buf: &[u8], off: usize) -> Result<u8, ParseError> {
    buf.get(off).copied().ok_or(ParseError::Truncated {
        what: "byte field",
        need: off.saturating_add(1),
        got: buf.len(),
    })
}

/// The big-endian `u16` at `off`.
///
/// # Errors
/// [`ParseError::Truncated`] when `buf` is shorter than `off + 2`.
pub fn be_u16(buf: &[u8], off: usize) -> Result<u16, ParseError> {
    array::<2>(buf, off, "16-bit field").map(u16::from_be_bytes)
}

/// The big-endian 24-bit value at `off`.
///
/// # Errors
/// [`ParseError::Truncated`] when `buf` is shorter than `off + 3`.
pub fn be_u24(buf: &[u8], off: usize) -> Result<u32, ParseError> {
    array::<3>(buf, off, "24-bit field").map(|[a, b, c]| u32::from_be_bytes([0, a, b, c]))
}

/// The big-endian `u32` at `off`.
///
/// # Errors
/// [`ParseError::Truncated`] when `buf` is shorter than `off + 4`.
pub fn be_u32(buf: &[u8], off: usize) -> Result<u32, ParseError> {
    array::<4>(buf, off, "32-bit field").map(u32::from_be_bytes)
}

/// The big-endian two's-complement `i32` at `off` (MMC addresses such as −150 = `FF FF FF 6A`).
///
/// # Errors
/// [`ParseError::Truncated`] when `buf` is shorter than `off + 4`.
pub fn be_i32(buf: &[u8], off: usize) -> Result<i32, ParseError> {
    array::<4>(buf, off, "32-bit field").map(i32::from_be_bytes)
}

/// The big-endian `u64` at `off`.
///
/// # Errors
/// [`ParseError::Truncated`] when `buf` is shorter than `off + 8`.
pub fn be_u64(buf: &[u8], off: usize) -> Result<u64, ParseError> {
    array::<8>(buf, off, "64-bit field").map(u64::from_be_bytes)
}

/// `N` bytes starting at `off`, copied into an array.
///
/// # Errors
/// [`ParseError::Truncated`] naming `what` when `buf` is shorter than `off + N`.
pub fn array<const N: usize>(
    buf: &[u8],
    off: usize,
    what: &'static str,
) -> Result<[u8; N], ParseError> {
    let s = slice(buf, off, N, what)?;
    let mut out = [0u8; N];
    out.copy_from_slice(s);
    Ok(out)
}

/// `len` bytes starting at `off`.
///
/// # Errors
/// [`ParseError::Truncated`] naming `what` when `buf` is shorter than `off + len`.
pub fn slice<'a>(
    buf: &'a [u8],
    off: usize,
    len: usize,
    what: &'static str,
) -> Result<&'a [u8], ParseError> {
    let end = off.checked_add(len).ok_or(ParseError::Truncated {
        what,
        need: usize::MAX,
        got: buf.len(),
    })?;
    buf.get(off..end).ok_or(ParseError::Truncated {
        what,
        need: end,
        got: buf.len(),
    })
}

/// Everything from `off` on; empty when `off` is past the end.
pub fn tail(buf: &[u8], off: usize) -> &[u8] {
    buf.get(off..).unwrap_or(&[])
}

/// The first `len` bytes, or all of `buf` when it is shorter. This is how a reply's own length
/// field is honoured without trusting it: bytes the drive did not send are never read, and
/// bytes past the declared length (padding, stale buffer contents) are ignored.
pub fn clip(buf: &[u8], len: usize) -> &[u8] {
    buf.get(..len).unwrap_or(buf)
}

/// Fails unless `buf` holds at least `need` bytes.
///
/// # Errors
/// [`ParseError::Truncated`] naming `what`.
pub fn need(buf: &[u8], need: usize, what: &'static str) -> Result<(), ParseError> {
    if buf.len() < need {
        Err(ParseError::Truncated {
            what,
            need,
            got: buf.len(),
        })
    } else {
        Ok(())
    }
}

/// Bit `n` (0 = least significant) of `byte`.
pub fn bit(byte: u8, n: u8) -> bool {
    n < 8 && (byte >> n) & 1 == 1
}

/// Printable ASCII from `len` bytes at `off`, with trailing spaces and NULs removed and any
/// non-printable byte shown as `?`. Missing bytes are simply absent from the result.
pub fn ascii(buf: &[u8], off: usize, len: usize) -> String {
    let end = off.saturating_add(len).min(buf.len());
    let s: String = buf
        .get(off..end)
        .unwrap_or(&[])
        .iter()
        .map(|&b| {
            if b == 0 || (0x20..0x7f).contains(&b) {
                char::from(b)
            } else {
                '?'
            }
        })
        .collect();
    s.trim_end_matches([' ', '\0']).trim_start().to_owned()
}

/// Hex bytes separated by spaces (`"51 00 22"`), for logs and messages.
pub fn hex(buf: &[u8]) -> String {
    let mut s = String::with_capacity(buf.len() * 3);
    for (i, b) in buf.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&format!("{b:02X}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_decode_big_endian() {
        let b = [0x00, 0x07, 0xff, 0xff, 0x00, 0x00, 0x08, 0x00];
        assert_eq!(u8_at(&b, 1).unwrap(), 0x07);
        assert_eq!(be_u16(&b, 2).unwrap(), 0xffff);
        assert_eq!(be_u24(&b, 1).unwrap(), 0x07ffff);
        assert_eq!(be_u32(&b, 0).unwrap(), 524_287);
        assert_eq!(be_u32(&b, 4).unwrap(), 2048);
        assert_eq!(be_u64(&b, 0).unwrap(), 0x0007_ffff_0000_0800);
        assert_eq!(be_i32(&[0xff, 0xff, 0xff, 0x6a], 0).unwrap(), -150);
    }

    #[test]
    fn short_reads_report_need_and_got() {
        let b = [1u8, 2, 3];
        assert_eq!(
            be_u32(&b, 0),
            Err(ParseError::Truncated {
                what: "32-bit field",
                need: 4,
                got: 3
            })
        );
        assert_eq!(
            u8_at(&b, 3),
            Err(ParseError::Truncated {
                what: "byte field",
                need: 4,
                got: 3
            })
        );
        assert!(slice(&b, usize::MAX, 2, "x").is_err());
        assert!(be_u16(&b, usize::MAX).is_err());
        assert_eq!(tail(&b, 5), &[] as &[u8]);
        assert_eq!(clip(&b, 10), &b);
        assert_eq!(clip(&b, 2), &b[..2]);
        assert!(need(&b, 4, "x").is_err());
        assert!(need(&b, 3, "x").is_ok());
    }

    #[test]
    fn ascii_trims_and_masks() {
        // INQUIRY vendor field from docs/qemu-notes.md §3.1, bytes 8-15.
        let b = b"QEMU    QEMU CD-ROM     2.5+";
        assert_eq!(ascii(b, 0, 8), "QEMU");
        assert_eq!(ascii(b, 8, 16), "QEMU CD-ROM");
        assert_eq!(ascii(b, 24, 10), "2.5+");
        assert_eq!(ascii(&[0x41, 0x01, 0x42], 0, 3), "A?B");
        assert!(bit(0x02, 1) && !bit(0x02, 0) && !bit(0xff, 9));
        assert_eq!(hex(&[0x51, 0, 0x22]), "51 00 22");
    }
}
