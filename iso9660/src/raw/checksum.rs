//! MD5 checksum records as libisofs writes them and xorriso `-check_md5` / `-check_media`
//! read them: checksum tags (one sector of text each), the checksum array's location
//! (AAIP attribute `isofs.ca` of the root) and a file's index into it (`isofs.cx`).
//!
//! A session with checksums carries three tags, each holding the MD5 of every sector from
//! the session start up to the tag (earlier tags included): the superblock tag right after
//! the volume descriptor set terminator, the tree tag after the directory records, and the
//! session tag after everything else, the checksum array included. The array holds N + 2
//! MD5s: entry 0 covers the session start up to the array, entries 1 to N the data files,
//! entry N + 1 the entries before it.
//!
//! # References
//! libisofs `doc/checksums.txt` (tags and array), `doc/susp_aaip_2_0.txt` (AL entries),
//! `doc/susp_aaip_isofs_names.txt` (`isofs.ca`, `isofs.cx`).

use md5::{Digest as _, Md5};

use super::{Malformed, SECTOR_SIZE};

/// An MD5 digest.
pub type Digest = [u8; 16];

/// Bytes of one checksum array entry.
pub const ENTRY_LEN: usize = 16;

/// MD5 of `bytes`.
pub fn md5(bytes: &[u8]) -> Digest {
    Md5::digest(bytes).into()
}

/// A running MD5 whose digest can be taken at any point without ending it.
#[derive(Debug, Clone, Default)]
pub struct Running(Md5);

impl Running {
    /// Adds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The digest of everything added so far; adding may continue.
    pub fn digest(&self) -> Digest {
        self.0.clone().finalize().into()
    }
}

/// Which tag: the identifier that starts its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagKind {
    /// `libisofs_sb_checksum_tag_v1`: after the volume descriptors.
    Superblock,
    /// `libisofs_tree_checksum_tag_v1`: after the directory records.
    Tree,
    /// `libisofs_checksum_tag_v1`: after the whole session.
    Session,
    /// `libisofs_rlsb32_checksum_tag_v1`: in the copy of a session's superblock that
    /// overwritable media keep at LBA 0 (covers that copy, not the session).
    RelocatedSuperblock,
}

impl TagKind {
    /// The identifier as recorded.
    pub fn id(self) -> &'static str {
        match self {
            TagKind::Superblock => "libisofs_sb_checksum_tag_v1",
            TagKind::Tree => "libisofs_tree_checksum_tag_v1",
            TagKind::Session => "libisofs_checksum_tag_v1",
            TagKind::RelocatedSuperblock => "libisofs_rlsb32_checksum_tag_v1",
        }
    }

    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            TagKind::Superblock => "superblock",
            TagKind::Tree => "tree",
            TagKind::Session => "session",
            TagKind::RelocatedSuperblock => "relocated superblock",
        }
    }

    /// The name of the field after `range_size=`: where the next tag is, or for the
    /// relocated superblock tag the session its copy describes.
    fn next_key(self) -> &'static str {
        match self {
            TagKind::RelocatedSuperblock => "session_start",
            _ => "next",
        }
    }

    fn from_id(id: &[u8]) -> Option<TagKind> {
        [
            TagKind::Superblock,
            TagKind::Tree,
            TagKind::Session,
            TagKind::RelocatedSuperblock,
        ]
        .into_iter()
        .find(|k| k.id().as_bytes() == id)
    }
}

/// One checksum tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag {
    /// Which tag.
    pub kind: TagKind,
    /// The LBA the tag says it is recorded at.
    pub pos: u32,
    /// First LBA covered.
    pub range_start: u32,
    /// Sectors covered, from `range_start`.
    pub range_size: u32,
    /// Where the next tag is (superblock and tree tags); for the relocated superblock tag,
    /// the start of the session its copy describes (its `session_start=` field).
    pub next: Option<u32>,
    /// MD5 of the covered sectors.
    pub md5: Digest,
}

/// Longest tag text we read: the longest libisofs writes is about 200 bytes.
const MAX_TAG_TEXT: usize = 512;

fn hex(d: &Digest) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &[u8]) -> Option<Digest> {
    if s.len() != 2 * ENTRY_LEN {
        return None;
    }
    let mut out = [0u8; ENTRY_LEN];
    for (o, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
        let text = std::str::from_utf8(pair).ok()?;
        // Lower case only, as recorded: anything else is not a tag this format produced.
        if text.bytes().any(|c| c.is_ascii_uppercase()) {
            return None;
        }
        *o = u8::from_str_radix(text, 16).ok()?;
    }
    Some(out)
}

impl Tag {
    /// The tag's sector: its line of text, then zeros.
    pub fn encode(&self) -> Vec<u8> {
        let mut text = format!(
            "{} pos={} range_start={} range_size={}",
            self.kind.id(),
            self.pos,
            self.range_start,
            self.range_size
        );
        if let Some(next) = self.next {
            text.push_str(&format!(" {}={next}", self.kind.next_key()));
        }
        text.push_str(&format!(" md5={}", hex(&self.md5)));
        let me = md5(text.as_bytes());
        text.push_str(&format!(" self={}\n", hex(&me)));
        let mut out = text.into_bytes();
        out.resize(SECTOR_SIZE, 0);
        out
    }

    /// Reads a tag from the start of a sector.
    ///
    /// # Errors
    /// `Ok(None)` if the sector does not start with a tag identifier; `Malformed` if it
    /// does but the text is incomplete, has a bad number or digest, or its `self=` digest
    /// does not match (a damaged tag).
    pub fn decode(sector: &[u8]) -> Result<Option<Tag>, Malformed> {
        let head = sector.get(..MAX_TAG_TEXT.min(sector.len())).unwrap_or(&[]);
        let id_end = head.iter().position(|&b| b == b' ').unwrap_or(head.len());
        let Some(kind) = head.get(..id_end).and_then(TagKind::from_id) else {
            return Ok(None);
        };
        let line_end = head
            .iter()
            .position(|&b| b == b'\n')
            .ok_or(Malformed("checksum tag without its newline"))?;
        let line = head.get(..line_end).unwrap_or(&[]);
        let (mut pos, mut start, mut size, mut next, mut digest, mut me) =
            (None, None, None, None, None, None);
        let mut md5_end = None;
        let mut off = 0usize;
        for field in line.split(|&b| b == b' ') {
            let field_end = off + field.len();
            off = field_end + 1;
            let Some(eq) = field.iter().position(|&b| b == b'=') else {
                continue;
            };
            let (key, value) = (field.get(..eq), field.get(eq + 1..));
            let (Some(key), Some(value)) = (key, value) else {
                continue;
            };
            let number = || -> Result<u32, Malformed> {
                std::str::from_utf8(value)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .ok_or(Malformed("checksum tag number not decimal"))
            };
            match key {
                b"pos" => pos = Some(number()?),
                b"range_start" => start = Some(number()?),
                b"range_size" => size = Some(number()?),
                b"next" | b"session_start" if key == kind.next_key().as_bytes() => {
                    next = Some(number()?)
                }
                b"md5" => {
                    digest =
                        Some(unhex(value).ok_or(Malformed("checksum tag md5 not 32 hex digits"))?);
                    md5_end = Some(field_end);
                }
                b"self" => {
                    me =
                        Some(unhex(value).ok_or(Malformed("checksum tag self not 32 hex digits"))?);
                }
                _ => {}
            }
        }
        let missing = Malformed("checksum tag field missing");
        let (Some(pos), Some(range_start), Some(range_size), Some(md5v), Some(me), Some(end)) =
            (pos, start, size, digest, me, md5_end)
        else {
            return Err(missing);
        };
        if md5(line.get(..end).unwrap_or(&[])) != me {
            return Err(Malformed("checksum tag damaged (self digest mismatch)"));
        }
        Ok(Some(Tag {
            kind,
            pos,
            range_start,
            range_size,
            next,
            md5: md5v,
        }))
    }
}

/// Where the checksum array is: the value of `isofs.ca`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChecksumArea {
    /// First LBA covered by entry 0 (the session start).
    pub start: u32,
    /// LBA of the array; entry 0 covers `start..end`.
    pub end: u32,
    /// Entries in the array, N + 2 for N files.
    pub count: u32,
    /// Bytes per entry (16 for MD5).
    pub entry_size: u32,
}

/// The AAIP name of the checksum area attribute, without its namespace byte.
pub const CA_NAME: &[u8] = b"ca";
/// The AAIP name of a file's checksum index attribute, without its namespace byte.
pub const CX_NAME: &[u8] = b"cx";
/// AAIP's short notation for the `isofs.` namespace at the start of a name.
pub const ISOFS_NAMESPACE: u8 = 0x04;

impl ChecksumArea {
    /// The attribute value: START, END and COUNT as 4-byte numbers and SIZE as a 1-byte
    /// number, each after its length byte, then the type text "MD5".
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(20);
        for n in [self.start, self.end, self.count] {
            v.push(4);
            v.extend_from_slice(&n.to_be_bytes());
        }
        v.push(1);
        v.push(self.entry_size as u8);
        v.extend_from_slice(b"MD5");
        v
    }

    /// Reads an `isofs.ca` value.
    ///
    /// # Errors
    /// `Malformed` for a truncated value, numbers wider than 4 bytes or a type other than MD5.
    pub fn decode(mut v: &[u8]) -> Result<ChecksumArea, Malformed> {
        let mut nums = [0u32; 4];
        for n in &mut nums {
            let (&len, rest) = v
                .split_first()
                .ok_or(Malformed("isofs.ca value truncated"))?;
            let len = usize::from(len);
            if len > 4 {
                return Err(Malformed("isofs.ca number wider than 32 bits"));
            }
            let bytes = rest
                .get(..len)
                .ok_or(Malformed("isofs.ca value truncated"))?;
            *n = be_number(bytes);
            v = rest.get(len..).unwrap_or(&[]);
        }
        if v != b"MD5" {
            return Err(Malformed("isofs.ca checksum type is not MD5"));
        }
        let [start, end, count, entry_size] = nums;
        if entry_size as usize != ENTRY_LEN {
            return Err(Malformed("isofs.ca entry size is not 16"));
        }
        Ok(ChecksumArea {
            start,
            end,
            count,
            entry_size,
        })
    }

    /// Sectors the array occupies.
    pub fn sectors(&self) -> u32 {
        (u64::from(self.count) * ENTRY_LEN as u64).div_ceil(SECTOR_SIZE as u64) as u32
    }
}

/// A big-endian number of at most 4 bytes.
pub fn be_number(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .take(4)
        .fold(0u32, |n, &b| (n << 8) | u32::from(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_round_trip_and_xorriso_sample() {
        // A tag as xorriso 1.5.4 wrote it (`-md5 on`), byte for byte.
        let text = b"libisofs_checksum_tag_v1 pos=63 range_start=32 range_size=31 \
md5=1ec0f16d5f2ebbf785602cc4a8a6623e self=2c670bfbd28be0840de61cea49e4ae73\n";
        let mut sector = text.to_vec();
        sector.resize(SECTOR_SIZE, 0);
        let tag = Tag::decode(&sector).unwrap().unwrap();
        assert_eq!(tag.kind, TagKind::Session);
        assert_eq!((tag.pos, tag.range_start, tag.range_size), (63, 32, 31));
        assert_eq!(tag.next, None);
        assert_eq!(tag.encode(), sector);

        let sb = Tag {
            kind: TagKind::Superblock,
            next: Some(56),
            ..tag
        };
        assert_eq!(Tag::decode(&sb.encode()).unwrap(), Some(sb));

        // The relocated superblock tag of an xorriso 1.5.4 stdio image, byte for byte.
        let text = b"libisofs_rlsb32_checksum_tag_v1 pos=18 range_start=0 range_size=18 \
session_start=32 md5=1fac92ce0ddfa1ae0df5e46c4b3bc6d0 self=fedc05cd4f9b6a456921557247802fcd\n";
        let mut sector = text.to_vec();
        sector.resize(SECTOR_SIZE, 0);
        let tag = Tag::decode(&sector).unwrap().unwrap();
        assert_eq!(tag.kind, TagKind::RelocatedSuperblock);
        assert_eq!((tag.pos, tag.range_start, tag.range_size), (18, 0, 18));
        assert_eq!(tag.next, Some(32));
        assert_eq!(tag.encode(), sector);
    }

    #[test]
    fn damaged_and_foreign_tags() {
        let tag = Tag {
            kind: TagKind::Tree,
            pos: 9,
            range_start: 0,
            range_size: 9,
            next: Some(20),
            md5: md5(b"x"),
        };
        let mut s = tag.encode();
        s[40] ^= 1;
        assert!(Tag::decode(&s).is_err());
        assert_eq!(Tag::decode(&[0u8; SECTOR_SIZE]).unwrap(), None);
        assert_eq!(Tag::decode(b"CD001").unwrap(), None);
        assert!(Tag::decode(b"libisofs_checksum_tag_v1 pos=1").is_err());
        assert_eq!(Tag::decode(&[]).unwrap(), None);
    }

    #[test]
    fn checksum_area_value() {
        // isofs.ca as xorriso recorded it: start 32, array at 62, 5 entries, MD5.
        let xorriso = [
            4, 0, 0, 0, 0x20, 4, 0, 0, 0, 0x3e, 4, 0, 0, 0, 5, 1, 0x10, b'M', b'D', b'5',
        ];
        let ca = ChecksumArea::decode(&xorriso).unwrap();
        assert_eq!((ca.start, ca.end, ca.count, ca.entry_size), (32, 62, 5, 16));
        assert_eq!(ca.encode(), xorriso);
        assert_eq!(ca.sectors(), 1);
        assert!(ChecksumArea::decode(&xorriso[..10]).is_err());
        assert!(ChecksumArea::decode(&[9, 0, 0]).is_err());
    }

    #[test]
    fn garbage_never_panics() {
        for n in 0..300usize {
            let v: Vec<u8> = (0..n).map(|i| (i * 37 + n) as u8).collect();
            let _ = ChecksumArea::decode(&v);
            let mut t = TagKind::Session.id().as_bytes().to_vec();
            t.extend_from_slice(&v);
            let _ = Tag::decode(&t);
        }
    }
}
