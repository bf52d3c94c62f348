//! Mapping POSIX names to ECMA-119 identifiers and Joliet names, and their sort orders.
//!
//! The mapping is a pure function of the directory's sorted list of names, so the same inputs
//! always give the same identifiers. A name whose identifier is taken gets the first free
//! numbered suffix (`_1`, `_2`, …) before its extension, in the order of the children.
//!
//! Finding that suffix is linear in the directory, however many names collide: for each
//! family of candidates that differ only in the digits of the suffix (same truncated stem,
//! same tail, same number of digits) [`Namer`] remembers the lowest number not yet known to
//! be taken. The set of taken identifiers only grows, so skipping the numbers below it gives
//! the same identifiers as trying `_1`, `_2`, … from the start every time, which made 20,000
//! collisions cost 200 million probes.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};

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

fn truncated<T>(v: &[T], n: usize) -> &[T] {
    v.get(..n.min(v.len())).unwrap_or(v)
}

/// Identifiers of one directory's children, stored end to end: one allocation per directory
/// rather than one per name, which matters with a million names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct IdentList<T> {
    units: Vec<T>,
    ends: Vec<usize>,
}

impl<T: Copy> IdentList<T> {
    fn with_capacity(entries: usize, units: usize) -> IdentList<T> {
        IdentList {
            units: Vec::with_capacity(units),
            ends: Vec::with_capacity(entries),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The `i`th identifier (empty past the end).
    pub(crate) fn get(&self, i: usize) -> &[T] {
        let start = match i.checked_sub(1) {
            Some(p) => self.ends.get(p).copied().unwrap_or(0),
            None => 0,
        };
        let end = self.ends.get(i).copied().unwrap_or(start);
        self.units.get(start..end).unwrap_or(&[])
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &[T]> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    fn push(&mut self, id: &[T]) {
        self.units.extend_from_slice(id);
        self.ends.push(self.units.len());
    }
}

/// One directory's recorded identifiers, in the order they were named: ECMA-119 bytes, or
/// Joliet UCS-2 units that are written out big-endian as each record is made, so that the
/// plan holds one copy of the names, not a sorted copy and an encoded one besides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Idents {
    Iso(IdentList<u8>),
    Joliet(IdentList<u16>),
}

impl Idents {
    /// The recorded bytes of identifier `i` (`scratch` holds a Joliet one's encoding).
    pub(crate) fn bytes<'a>(&'a self, i: usize, scratch: &'a mut Vec<u8>) -> &'a [u8] {
        match self {
            Idents::Iso(list) => list.get(i),
            Idents::Joliet(list) => {
                scratch.clear();
                scratch.extend(list.get(i).iter().flat_map(|u| u.to_be_bytes()));
                scratch
            }
        }
    }
}

/// Hands out identifiers that are unique within one directory (see the module doc).
#[derive(Debug)]
struct Namer<T> {
    ids: IdentList<T>,
    /// Open-addressing hash set of the identifiers handed out: `index + 1` into `ids`, 0 for an
    /// empty slot, never more than half full. Four bytes a name instead of an owned copy of
    /// each. (A directory has fewer than 2^32 children: node ids are `u32`.)
    slots: Vec<u32>,
    hasher: RandomState,
    /// Per family of suffixed candidates: the lowest number not yet known to be taken. The key
    /// is the truncated stem, the tail, the truncated stem's length and the number of digits,
    /// end to end (built in `family` by [`Namer::push_unique`]), so that looking it up does not
    /// allocate.
    next: HashMap<Vec<T>, u64>,
    family: Vec<T>,
    candidate: Vec<T>,
}

impl<T: Copy + Eq + Hash + From<u8>> Namer<T> {
    /// A namer for `entries` names of about `units` units in all (both only size the tables:
    /// reserving them up front spares a million-name directory its growth by doubling).
    fn new(entries: usize, units: usize) -> Namer<T> {
        Namer {
            ids: IdentList::with_capacity(entries, units),
            slots: vec![0; (entries.max(4) * 2).next_power_of_two()],
            hasher: RandomState::new(),
            next: HashMap::new(),
            family: Vec::new(),
            candidate: Vec::new(),
        }
    }

    /// The slot holding `id`, or the empty slot where it would go, and whether it is there.
    fn find(&self, id: &[T]) -> (usize, bool) {
        let mask = self.slots.len() - 1;
        let mut at = self.hasher.hash_one(id) as usize & mask;
        // Ends: the table always has empty slots.
        loop {
            match self.slots.get(at).copied().unwrap_or(0) {
                0 => return (at, false),
                s if self.ids.get(s as usize - 1) == id => return (at, true),
                _ => at = (at + 1) & mask,
            }
        }
    }

    /// Hands out `self.candidate` unless it is taken.
    fn take_candidate(&mut self) -> bool {
        let (slot, taken) = self.find(&self.candidate);
        if taken {
            return false;
        }
        self.ids.push(&self.candidate);
        if let Some(s) = self.slots.get_mut(slot) {
            *s = self.ids.len() as u32;
        }
        if self.ids.len() * 2 > self.slots.len() {
            self.grow();
        }
        true
    }

    fn grow(&mut self) {
        let mut slots = vec![0u32; self.slots.len() * 2];
        let mask = slots.len() - 1;
        for (i, id) in self.ids.iter().enumerate() {
            let mut at = self.hasher.hash_one(id) as usize & mask;
            while slots.get(at).is_some_and(|&s| s != 0) {
                at = (at + 1) & mask;
            }
            if let Some(s) = slots.get_mut(at) {
                *s = i as u32 + 1;
            }
        }
        self.slots = slots;
    }

    /// Hands out the first free one of: `stem` cut to `room`, then `tail`; then the same with
    /// `_1`, `_2`, … between them, the stem cut shorter so that the suffix fits in `room`.
    fn push_unique(&mut self, stem: &[T], room: usize, tail: &[T]) {
        self.candidate.clear();
        self.candidate.extend_from_slice(truncated(stem, room));
        self.candidate.extend_from_slice(tail);
        if self.take_candidate() {
            return;
        }
        // Ends: a directory has fewer names than there are candidates with up to 10 digits.
        for digits in 1u8.. {
            let prefix = truncated(stem, room.saturating_sub(usize::from(digits) + 1));
            self.family.clear();
            self.family.extend_from_slice(prefix);
            self.family.extend_from_slice(tail);
            // The stem is at most 64 units long (Joliet), so both fit a unit; with them the
            // key decodes to exactly one (stem, tail, digits).
            self.family.push(T::from(prefix.len() as u8));
            self.family.push(T::from(digits));
            let end = 10u64.saturating_pow(u32::from(digits));
            let mut n = self
                .next
                .get(self.family.as_slice())
                .copied()
                .unwrap_or_else(|| 10u64.saturating_pow(u32::from(digits) - 1));
            let mut found = false;
            while n < end && !found {
                self.candidate.clear();
                self.candidate.extend_from_slice(prefix);
                self.candidate.push(T::from(b'_'));
                push_decimal(&mut self.candidate, n);
                self.candidate.extend_from_slice(tail);
                found = self.take_candidate();
                n += 1;
            }
            match self.next.get_mut(self.family.as_slice()) {
                Some(next) => *next = n,
                None => {
                    self.next.insert(self.family.clone(), n);
                }
            }
            if found {
                return;
            }
        }
    }
}

fn push_decimal<T: From<u8>>(out: &mut Vec<T>, n: u64) {
    let digits = n.to_string();
    out.extend(digits.bytes().map(T::from));
}

/// ECMA-119 identifiers for one directory's children, given in POSIX-name order as
/// `(name, is_dir)`. Files get `NAME.EXT;1`; directories get `NAME`.
pub(crate) fn iso_identifiers<'a>(
    children: impl Iterator<Item = (&'a [u8], bool)> + Clone,
) -> IdentList<u8> {
    // Room for a suffix and ";1" beyond the name, at most a full identifier.
    let units = children.clone().map(|(n, _)| (n.len() + 8).min(33)).sum();
    let mut namer = Namer::new(children.size_hint().0, units);
    let mut tail = Vec::new();
    for (name, is_dir) in children {
        tail.clear();
        if is_dir {
            namer.push_unique(&d_chars(name), ISO_DIR_MAX, &tail);
        } else {
            let (stem, ext) = split_stem_ext(name);
            let ext = d_chars(ext);
            let ext = truncated(&ext, ISO_EXT_MAX);
            tail.push(b'.');
            tail.extend_from_slice(ext);
            tail.extend_from_slice(b";1");
            namer.push_unique(&d_chars(stem), ISO_FILE_MAX - ext.len(), &tail);
        }
    }
    namer.ids
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

/// Joliet names (UCS-2 code units) for one directory's children, in POSIX-name order.
/// Files get no ";1" version suffix: genisoimage and xorriso record Joliet names without one,
/// so `isoinfo -J -x /NAME` and Windows find the same names on their images and ours.
pub(crate) fn joliet_identifiers<'a>(
    children: impl Iterator<Item = (&'a [u8], bool)> + Clone,
) -> IdentList<u16> {
    let units = children.clone().map(|(n, _)| (n.len() + 8).min(64)).sum();
    let mut namer = Namer::new(children.size_hint().0, units);
    let mut tail = Vec::new();
    let dot = u16::from(b'.');
    for (name, _is_dir) in children {
        let units = joliet_units(name);
        let (stem, ext): (&[u16], &[u16]) = match units.iter().rposition(|&c| c == dot) {
            Some(p) if p > 0 && units.len() - p <= 16 => (
                units.get(..p).unwrap_or(&units),
                units.get(p..).unwrap_or(&[]),
            ),
            _ => (&units, &[]),
        };
        tail.clear();
        tail.extend_from_slice(ext);
        namer.push_unique(stem, JOLIET_MAX - tail.len(), &tail);
    }
    namer.ids
}

/// The identifiers [`Layout`](super::Layout) records for one child of a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifiers {
    /// The POSIX name (what Rock Ridge records).
    pub name: Vec<u8>,
    /// Whether the child is a directory.
    pub is_dir: bool,
    /// ECMA-119 file identifier: `NAME.EXT;1` for files, `NAME` for directories, in
    /// d-characters, at most 30 characters of name and extension (31 for directories).
    pub iso9660: Vec<u8>,
    /// Joliet identifier as UCS-2 code units, without a version, at most 64 units.
    pub joliet: Vec<u16>,
}

/// The ECMA-119 and Joliet identifiers the writer gives the children of one directory, given
/// as `(POSIX name, is_dir)` in any order; the result is in POSIX-name (byte) order, which is
/// the order in which colliding names get their numbers. It is what planning does for every
/// directory of regular files and subdirectories (symbolic links and special files take part
/// in the ECMA-119 naming too but have no Joliet name), so it shows how names will look to
/// readers without Rock Ridge, without building an image. Names should be distinct, as in a
/// directory.
pub fn directory_identifiers<N: AsRef<[u8]>>(
    children: impl IntoIterator<Item = (N, bool)>,
) -> Vec<Identifiers> {
    let mut kids: Vec<(N, bool)> = children.into_iter().collect();
    kids.sort_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
    let iso = iso_identifiers(kids.iter().map(|(n, d)| (n.as_ref(), *d)));
    let joliet = joliet_identifiers(kids.iter().map(|(n, d)| (n.as_ref(), *d)));
    kids.iter()
        .enumerate()
        .map(|(i, (name, is_dir))| Identifiers {
            name: name.as_ref().to_vec(),
            is_dir: *is_dir,
            iso9660: iso.get(i).to_vec(),
            joliet: joliet.get(i).to_vec(),
        })
        .collect()
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

/// Compares `a` and `b` as if the shorter were padded with `pad`. The common length is
/// compared as slices (memcmp for bytes): sorting a million identifiers makes 20 million of
/// these comparisons.
fn cmp_padded<T: Copy + Ord>(a: &[T], b: &[T], pad: T) -> Ordering {
    let n = a.len().min(b.len());
    let (head_a, tail_a) = a.split_at(n);
    let (head_b, tail_b) = b.split_at(n);
    head_a.cmp(head_b).then_with(|| {
        let tail_vs_pad = |t: &[T]| {
            t.iter()
                .map(|&x| x.cmp(&pad))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        };
        if tail_a.is_empty() {
            tail_vs_pad(tail_b).reverse()
        } else {
            tail_vs_pad(tail_a)
        }
    })
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
    ucs2_be(truncated(&joliet_units(id.as_bytes()), 16))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(names: &[(&str, bool)]) -> Vec<String> {
        iso_identifiers(names.iter().map(|(n, d)| (n.as_bytes(), *d)))
            .iter()
            .map(|v| String::from_utf8(v.to_vec()).unwrap())
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
        assert_eq!(String::from_utf16(got.get(0)).unwrap(), "a_b");
        assert_eq!(String::from_utf16(got.get(1)).unwrap(), "a_b_1");
        assert_eq!(got.get(2).len(), 64);
        assert_eq!(String::from_utf16(got.get(3)).unwrap(), "x.tar.gz");
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

    /// The definition the namer must match: try the bare candidate, then `_1`, `_2`, … in
    /// order, against everything handed out so far (quadratic, so only for small inputs).
    fn naive<T: Copy + Eq + Hash + From<u8>>(names: &[(Vec<T>, usize, Vec<T>)]) -> Vec<Vec<T>> {
        let mut used: std::collections::HashSet<Vec<T>> = Default::default();
        let mut out = Vec::new();
        for (stem, room, tail) in names {
            let id = (0u64..)
                .map(|n| {
                    let suffix: Vec<T> = if n == 0 {
                        Vec::new()
                    } else {
                        format!("_{n}").bytes().map(T::from).collect()
                    };
                    let mut id = truncated(stem, room - suffix.len()).to_vec();
                    id.extend(suffix);
                    id.extend_from_slice(tail);
                    id
                })
                .find(|id| !used.contains(id))
                .unwrap();
            used.insert(id.clone());
            out.push(id);
        }
        out
    }

    #[test]
    fn namer_matches_the_naive_definition() {
        // Families that share candidates only once the suffix cuts the stem shorter (stems
        // equal up to their last characters), literal names that look suffixed ("AB_1"),
        // stems shorter than the room, and runs long enough to cross 9 -> 10 and 99 -> 100.
        let mut names: Vec<(Vec<u8>, usize, Vec<u8>)> = Vec::new();
        let mut x = 7u64;
        for i in 0..1500 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = (x >> 33) as usize;
            let stem: Vec<u8> = match r % 5 {
                0 => format!("ABCDEFGH{}", r % 3).into_bytes(),
                1 => format!("ABCDEFG_{}", r % 12).into_bytes(),
                2 => b"ABCDEFGH".to_vec(),
                3 => format!("AB_{}", r % 30).into_bytes(),
                _ => format!("ABCDEFGHIJ{i}").into_bytes(),
            };
            let tail = if r.is_multiple_of(7) {
                b".X;1".to_vec()
            } else {
                b".Y;1".to_vec()
            };
            names.push((stem, 9, tail));
        }
        let mut namer = Namer::new(0, 0);
        for (stem, room, tail) in &names {
            namer.push_unique(stem, *room, tail);
        }
        let got: Vec<Vec<u8>> = namer.ids.iter().map(<[u8]>::to_vec).collect();
        assert_eq!(got, naive(&names));
        assert!(
            got.iter().any(|id| id.starts_with(b"ABCD_100")),
            "no 3-digit suffix"
        );
    }

    #[test]
    fn many_collisions_are_unique_and_bounded() {
        let names: Vec<String> = (0..30_000)
            .map(|i| format!("IMG_20260101_holiday_photo_number_{i:05}.jpeg"))
            .collect();
        let iso = iso_identifiers(names.iter().map(|n| (n.as_bytes(), false)));
        let joliet = joliet_identifiers(names.iter().map(|n| (n.as_bytes(), false)));
        assert_eq!(iso.len(), names.len());
        let unique: std::collections::HashSet<&[u8]> = iso.iter().collect();
        assert_eq!(unique.len(), names.len());
        assert!(iso.iter().all(|id| id.len() <= ISO_FILE_MAX + 3));
        assert_eq!(iso.get(0), b"IMG_20260101_HOLIDAY_PHOTO.JPEG;1");
        assert_eq!(iso.get(29_999), b"IMG_20260101_HOLIDAY_29999.JPEG;1");
        // Joliet keeps 64 characters, so these long names do not collide there.
        let unique: std::collections::HashSet<&[u16]> = joliet.iter().collect();
        assert_eq!(unique.len(), names.len());
    }

    #[test]
    fn padded_comparison_matches_its_definition() {
        let slow = |a: &[u8], b: &[u8]| -> Ordering {
            let n = a.len().max(b.len());
            (0..n)
                .map(|i| {
                    let x = a.get(i).copied().unwrap_or(b' ');
                    let y = b.get(i).copied().unwrap_or(b' ');
                    x.cmp(&y)
                })
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        };
        let words: [&[u8]; 9] = [b"", b" ", b"  ", b"A", b"A ", b"A!", b"A\x1f", b"AB", b"B"];
        for a in words {
            for b in words {
                assert_eq!(cmp_padded(a, b, b' '), slow(a, b), "{a:?} {b:?}");
            }
        }
    }
}
