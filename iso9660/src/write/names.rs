//! Mapping POSIX names to ECMA-119 identifiers and Joliet names, and their sort orders.
//!
//! The mapping is a pure function of the directory's sorted list of names, so the same inputs
//! always give the same identifiers, and collisions are resolved by numbered suffixes until the
//! identifier is unique within its directory.

use std::cmp::Ordering;
use std::collections::HashSet;

/// Longest file identifier without ";1": ECMA-119 §7.5.1 limits name plus extension to 30.
const ISO_FILE_MAX: usize = 30;
/// Longest directory identifier (ECMA-119 §7.6.3 at levels 2 and 3).
const ISO_DIR_MAX: usize = 31;
/// Longest extension we keep, so that a long extension does not eat the whole name.
const ISO_EXT_MAX: usize = 8;
/// Joliet identifiers are at most 64 UCS-2 characters (128 bytes).
const JOLIET_MAX: usize = 64;

/// Maps a byte of a POSIX name to a d-character (A–Z, 0–9, `_`).
fn d_char(c: u8) -> u8 {
    match c {
        b'A'..=b'Z' | b'0'..=b'9' | b'_' => c,
        b'a'..=b'z' => c.to_ascii_uppercase(),
        _ => b'_',
    }
}

/// Characters rather than bytes: multibyte UTF-8 sequences become one `_`.
fn d_chars(name: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len());
    match std::str::from_utf8(name) {
        Ok(s) => out.extend(
            s.chars()
                .map(|c| if c.is_ascii() { d_char(c as u8) } else { b'_' }),
        ),
        Err(_) => out.extend(name.iter().map(|&c| d_char(c))),
    }
    out
}

fn split_stem_ext(name: &[u8]) -> (&[u8], &[u8]) {
    match name.iter().rposition(|&c| c == b'.') {
        Some(p) if p > 0 => (
            name.get(..p).unwrap_or(name),
            name.get(p + 1..).unwrap_or(&[]),
        ),
        _ => (name, &[]),
    }
}

fn truncated(v: &[u8], n: usize) -> &[u8] {
    v.get(..n.min(v.len())).unwrap_or(v)
}

/// ECMA-119 identifiers for one directory's children, given in POSIX-name order as
/// `(name, is_dir)`. Files get `NAME.EXT;1`; directories get `NAME`.
pub(crate) fn iso_identifiers<'a>(
    children: impl Iterator<Item = (&'a [u8], bool)>,
) -> Vec<Vec<u8>> {
    let mut used: HashSet<Vec<u8>> = HashSet::new();
    let mut out = Vec::new();
    for (name, is_dir) in children {
        let id = if is_dir {
            let base = d_chars(name);
            unique(&mut used, |suffix| {
                let mut id = truncated(&base, ISO_DIR_MAX - suffix.len()).to_vec();
                id.extend_from_slice(suffix);
                id
            })
        } else {
            let (stem, ext) = split_stem_ext(name);
            let ext = d_chars(ext);
            let ext = truncated(&ext, ISO_EXT_MAX).to_vec();
            let stem = d_chars(stem);
            unique(&mut used, |suffix| {
                let room = ISO_FILE_MAX - ext.len() - suffix.len();
                let mut id = truncated(&stem, room).to_vec();
                id.extend_from_slice(suffix);
                id.push(b'.');
                id.extend_from_slice(&ext);
                id.extend_from_slice(b";1");
                id
            })
        };
        out.push(id);
    }
    out
}

/// Tries `make("")`, then `make("_1")`, `make("_2")`… until the result is not in `used`.
fn unique<T: Eq + std::hash::Hash + Clone>(used: &mut HashSet<T>, make: impl Fn(&[u8]) -> T) -> T {
    let mut n = 0u32;
    loop {
        let suffix = if n == 0 {
            String::new()
        } else {
            format!("_{n}")
        };
        let id = make(suffix.as_bytes());
        if used.insert(id.clone()) {
            return id;
        }
        n += 1;
    }
}

/// Maps a POSIX name to UCS-2 code units allowed in Joliet names.
fn joliet_units(name: &[u8]) -> Vec<u16> {
    String::from_utf8_lossy(name)
        .chars()
        .map(|c| match c {
            '\0'..='\u{1f}' | '*' | '/' | ':' | ';' | '?' | '\\' => u16::from(b'_'),
            c if u32::from(c) > 0xFFFF => u16::from(b'_'),
            c => u32::from(c) as u16,
        })
        .collect()
}

fn truncated16(v: &[u16], n: usize) -> &[u16] {
    v.get(..n.min(v.len())).unwrap_or(v)
}

/// Joliet names (UCS-2 code units) for one directory's children, in POSIX-name order.
/// Files get a ";1" version suffix, as mkisofs writes them.
pub(crate) fn joliet_identifiers<'a>(
    children: impl Iterator<Item = (&'a [u8], bool)>,
) -> Vec<Vec<u16>> {
    let mut used: HashSet<Vec<u16>> = HashSet::new();
    let mut out = Vec::new();
    let dot = u16::from(b'.');
    for (name, is_dir) in children {
        let units = joliet_units(name);
        let (stem, ext): (&[u16], &[u16]) = match units.iter().rposition(|&c| c == dot) {
            Some(p) if p > 0 && units.len() - p <= 16 => (
                units.get(..p).unwrap_or(&units),
                units.get(p..).unwrap_or(&[]),
            ),
            _ => (&units, &[]),
        };
        let version: &[u16] = if is_dir { &[] } else { &[0x3B, 0x31] };
        let id = unique(&mut used, |suffix| {
            let room = JOLIET_MAX - ext.len() - suffix.len() - version.len();
            let mut id = truncated16(stem, room).to_vec();
            id.extend(suffix.iter().map(|&b| u16::from(b)));
            id.extend_from_slice(ext);
            id.extend_from_slice(version);
            id
        });
        out.push(id);
    }
    out
}

/// Splits an identifier into (name, extension, version) at the last '.' and last ';'.
fn parts<T: Copy + PartialEq>(id: &[T], dot: T, semi: T) -> (&[T], &[T], &[T]) {
    let (body, version) = match id.iter().rposition(|&c| c == semi) {
        Some(p) => (id.get(..p).unwrap_or(id), id.get(p + 1..).unwrap_or(&[])),
        None => (id, &[][..]),
    };
    match body.iter().rposition(|&c| c == dot) {
        Some(p) => (
            body.get(..p).unwrap_or(body),
            body.get(p + 1..).unwrap_or(&[]),
            version,
        ),
        None => (body, &[][..], version),
    }
}

fn cmp_padded<T: Copy + Ord>(a: &[T], b: &[T], pad: T) -> Ordering {
    let n = a.len().max(b.len());
    (0..n)
        .map(|i| {
            let x = a.get(i).copied().unwrap_or(pad);
            let y = b.get(i).copied().unwrap_or(pad);
            x.cmp(&y)
        })
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// Directory record order of ECMA-119 §9.3: name, then extension (both padded with spaces),
/// then version descending.
pub(crate) fn iso_order(a: &[u8], b: &[u8]) -> Ordering {
    let (an, ae, av) = parts(a, b'.', b';');
    let (bn, be, bv) = parts(b, b'.', b';');
    cmp_padded(an, bn, b' ')
        .then_with(|| cmp_padded(ae, be, b' '))
        .then_with(|| cmp_padded(bv, av, b' '))
}

/// The same order for Joliet names.
pub(crate) fn joliet_order(a: &[u16], b: &[u16]) -> Ordering {
    let (an, ae, av) = parts(a, 0x2E, 0x3B);
    let (bn, be, bv) = parts(b, 0x2E, 0x3B);
    cmp_padded(an, bn, 0x20)
        .then_with(|| cmp_padded(ae, be, 0x20))
        .then_with(|| cmp_padded(bv, av, 0x20))
}

/// UCS-2 big-endian bytes of `units`.
pub(crate) fn ucs2_be(units: &[u16]) -> Vec<u8> {
    units.iter().flat_map(|u| u.to_be_bytes()).collect()
}

/// Joliet volume identifier: at most 16 UCS-2 characters.
pub(crate) fn joliet_volume_id(id: &str) -> Vec<u8> {
    ucs2_be(truncated16(&joliet_units(id.as_bytes()), 16))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(names: &[(&str, bool)]) -> Vec<String> {
        iso_identifiers(names.iter().map(|(n, d)| (n.as_bytes(), *d)))
            .into_iter()
            .map(|v| String::from_utf8(v).unwrap())
            .collect()
    }

    #[test]
    fn iso_mapping_is_unique_and_bounded() {
        let got = iso(&[
            ("A.TXT", false),
            ("a.txt", false),
            ("a.txt.gz", false),
            (".bashrc", false),
            ("dir.with.dots", true),
            ("Dir.With.Dots", true),
            ("ünïcode name", false),
            ("noext", false),
            (&"x".repeat(100), false),
            (&"x".repeat(101), false),
            ("file.verylongextension", false),
        ]);
        assert_eq!(
            got,
            [
                "A.TXT;1",
                "A_1.TXT;1",
                "A_TXT.GZ;1",
                "_BASHRC.;1",
                "DIR_WITH_DOTS",
                "DIR_WITH_DOTS_1",
                "_N_CODE_NAME.;1",
                "NOEXT.;1",
                &format!("{}.;1", "X".repeat(30)),
                &format!("{}_1.;1", "X".repeat(28)),
                "FILE.VERYLONG;1",
            ]
        );
        for id in &got {
            assert!(id.len() <= 33, "{id}");
        }
    }

    #[test]
    fn joliet_mapping() {
        let long = "é".repeat(100);
        let names = [
            ("a:b", false),
            ("a_b", false),
            (long.as_str(), true),
            ("x.tar.gz", false),
        ];
        let got = joliet_identifiers(names.iter().map(|(n, d)| (n.as_bytes(), *d)));
        assert_eq!(String::from_utf16(&got[0]).unwrap(), "a_b;1");
        assert_eq!(String::from_utf16(&got[1]).unwrap(), "a_b_1;1");
        assert_eq!(got[2].len(), 64);
        assert_eq!(String::from_utf16(&got[3]).unwrap(), "x.tar.gz;1");
    }

    #[test]
    fn ecma_sort_order() {
        // "A" sorts before "A0" (space padding), and "AB.;1" before "AB.C;1".
        let mut ids: Vec<&[u8]> = vec![b"B.;1", b"A0.;1", b"A.Z;1", b"A.;1", b"AB.C;1", b"AB.;1"];
        ids.sort_by(|a, b| iso_order(a, b));
        assert_eq!(
            ids,
            [
                &b"A.;1"[..],
                b"A.Z;1",
                b"A0.;1",
                b"AB.;1",
                b"AB.C;1",
                b"B.;1"
            ]
        );
        let a: Vec<u16> = "a;1".encode_utf16().collect();
        let b: Vec<u16> = "a.b;1".encode_utf16().collect();
        assert_eq!(joliet_order(&a, &b), Ordering::Less);
    }
}
