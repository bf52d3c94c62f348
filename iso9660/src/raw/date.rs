//! Dates: the 7-byte binary form of directory records and RRIP TF (ECMA-119 §9.1.5) and the
//! 17-byte digit form of volume descriptors (ECMA-119 §8.4.26.1).
//!
//! This crate always writes UTC with a GMT offset of 0 (some writers put −24 h offsets into
//! dates after 2038). Readers apply whatever offset they find, clamped to the range ECMA-119
//! allows (−48..=52 quarter hours).

use super::Malformed;

/// Seconds since 1970-01-01T00:00:00Z; may be negative.
pub type UnixTime = i64;

/// Days since 1970-01-01 of a proleptic Gregorian civil date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date (year, month 1–12, day 1–31) of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Broken-down UTC time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

fn to_civil(t: UnixTime) -> Civil {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400) as u32;
    let (year, month, day) = civil_from_days(days);
    Civil {
        year,
        month,
        day,
        hour: secs / 3600,
        minute: secs / 60 % 60,
        second: secs % 60,
    }
}

/// First and last instants the 7-byte form can hold (1900-01-01 and 2155-12-31 23:59:59).
pub const SHORT_MIN: UnixTime = -2_208_988_800;
/// See [`SHORT_MIN`].
pub const SHORT_MAX: UnixTime = 5_869_583_999;

/// Encodes the 7-byte form (ECMA-119 §9.1.5), clamping to 1900..=2155.
pub fn encode_short(t: UnixTime) -> [u8; 7] {
    let c = to_civil(t.clamp(SHORT_MIN, SHORT_MAX));
    [
        (c.year - 1900) as u8,
        c.month as u8,
        c.day as u8,
        c.hour as u8,
        c.minute as u8,
        c.second as u8,
        0,
    ]
}

/// Decodes the 7-byte form. An all-zero field ("not specified") decodes to `None`.
pub fn decode_short(b: &[u8]) -> Result<Option<UnixTime>, Malformed> {
    let b: [u8; 7] = super::bytes::array(b, 0, "7-byte date")?;
    if b == [0; 7] {
        return Ok(None);
    }
    let [y, mo, d, h, mi, s, off] = b;
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return Err(Malformed("7-byte date out of range"));
    }
    let days = days_from_civil(1900 + i64::from(y), u32::from(mo), u32::from(d));
    let local = days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s);
    Ok(Some(local - gmt_offset_seconds(off)))
}

fn gmt_offset_seconds(off: u8) -> i64 {
    i64::from((off as i8).clamp(-48, 52)) * 15 * 60
}

/// Encodes the 17-byte form (ECMA-119 §8.4.26.1), clamping to years 1..=9999.
pub fn encode_long(t: UnixTime) -> [u8; 17] {
    let c = to_civil(t.clamp(-62_135_596_800, 253_402_300_799));
    let text = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}00",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    );
    let mut out = [0u8; 17];
    super::bytes::put(&mut out, 0, text.as_bytes());
    out
}

/// The 17-byte "not specified" value: sixteen '0' digits and a zero offset.
pub const LONG_UNSPECIFIED: [u8; 17] = *b"0000000000000000\0";

/// Decodes the 17-byte form; "not specified" decodes to `None`.
pub fn decode_long(b: &[u8]) -> Result<Option<UnixTime>, Malformed> {
    let b: [u8; 17] = super::bytes::array(b, 0, "17-byte date")?;
    if b == LONG_UNSPECIFIED || b == [0; 17] {
        return Ok(None);
    }
    let num = |from: usize, len: usize| -> Result<u32, Malformed> {
        let s = super::bytes::slice(&b, from, len, "17-byte date")?;
        s.iter().try_fold(0u32, |acc, &c| {
            if c.is_ascii_digit() {
                Ok(acc * 10 + u32::from(c - b'0'))
            } else {
                Err(Malformed("17-byte date has a non-digit"))
            }
        })
    };
    let (y, mo, d, h, mi, s) = (
        num(0, 4)?,
        num(4, 2)?,
        num(6, 2)?,
        num(8, 2)?,
        num(10, 2)?,
        num(12, 2)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return Err(Malformed("17-byte date out of range"));
    }
    let days = days_from_civil(i64::from(y), mo, d);
    let local = days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s);
    Ok(Some(local - gmt_offset_seconds(b[16])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [
            -800_000i64,
            -25_567,
            -1,
            0,
            1,
            11_016,
            24_837,
            47_482,
            2_932_896,
        ] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn short_form() {
        // 2100-03-01 12:34:56Z: year byte 200, offset 0 (ECMA-119 §9.1.5 bytes 1–7).
        let t = days_from_civil(2100, 3, 1) * 86_400 + 12 * 3600 + 34 * 60 + 56;
        assert_eq!(encode_short(t), [200, 3, 1, 12, 34, 56, 0]);
        assert_eq!(decode_short(&encode_short(t)), Ok(Some(t)));
        assert_eq!(decode_short(&encode_short(0)), Ok(Some(0)));
        assert_eq!(decode_short(&encode_short(-86_399)), Ok(Some(-86_399)));
        assert_eq!(decode_short(&encode_short(i64::MIN)), Ok(Some(SHORT_MIN)));
        assert_eq!(decode_short(&encode_short(i64::MAX)), Ok(Some(SHORT_MAX)));
        assert_eq!(decode_short(&[0; 7]), Ok(None));
        // Offset +4 quarter hours: 01:00 local is 00:00Z.
        assert_eq!(decode_short(&[70, 1, 1, 1, 0, 0, 4]), Ok(Some(0)));
        assert!(decode_short(&[70, 13, 1, 0, 0, 0, 0]).is_err());
        assert!(decode_short(&[70, 1]).is_err());
    }

    #[test]
    fn long_form() {
        let t = 1_700_000_000;
        let e = encode_long(t);
        assert_eq!(&e, b"2023111422132000\0");
        assert_eq!(decode_long(&e), Ok(Some(t)));
        assert_eq!(decode_long(&LONG_UNSPECIFIED), Ok(None));
        assert!(decode_long(b"2023x11422132000\0").is_err());
    }
}
