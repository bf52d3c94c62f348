//! Number formatting for people.

/// `4.70 GB (4,700,372,992 bytes)`-style size in decimal units, as disc labels count.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.2} {}", UNITS[u])
    }
}

/// Thousands separators: 2295104 → "2,295,104".
pub fn grouped(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Lower-case hex bytes separated by spaces.
pub fn hex(data: &[u8]) -> String {
    let mut s = String::with_capacity(data.len() * 3);
    for (i, b) in data.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&format!("{b:02x}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(grouped(2_295_104), "2,295,104");
        assert_eq!(grouped(12), "12");
        assert_eq!(grouped(123_456), "123,456");
        assert_eq!(bytes(4_700_372_992), "4.70 GB");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(hex(&[0x12, 0x0a]), "12 0a");
    }
}
