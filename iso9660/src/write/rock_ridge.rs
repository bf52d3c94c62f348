//! Encoding SUSP (IEEE P1281) and RRIP 1.12 (IEEE P1282) entries, and spreading them over a
//! directory record's system use field and chained continuation areas.
//!
//! # References
//! SUSP 1.12 §5.1 (CE), §5.3 (SP), §5.5 (ER); RRIP 1.12 §4.1.1 (PX), §4.1.2 (PN), §4.1.3 (SL),
//! §4.1.4 (NM), §4.1.6 (TF).

use std::collections::VecDeque;

use crate::raw::bytes::{enc_both_u32, put};
use crate::raw::checksum::ISOFS_NAMESPACE;
use crate::raw::date::{encode_short, UnixTime};
use crate::raw::SECTOR_SIZE;

/// Length of a CE entry: every split reserves this much for the pointer to the next area.
pub(crate) const CE_LEN: usize = 28;

/// Extension identifier, descriptor and source for the ER entry, as RRIP 1.12 §5.3 specifies.
pub(crate) const ER_ID: &[u8] = b"IEEE_P1282";
pub(crate) const ER_DESCRIPTOR: &[u8] =
    b"THE IEEE P1282 PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS.";
pub(crate) const ER_SOURCE: &[u8] = b"PLEASE CONTACT THE IEEE STANDARDS DEPARTMENT, PISCATAWAY, NJ, USA FOR THE P1282 SPECIFICATION.";

/// TF flags: which time stamps follow (RRIP 1.12 §4.1.6).
pub(crate) const TF_MODIFY: u8 = 0x02;
pub(crate) const TF_ACCESS: u8 = 0x04;
pub(crate) const TF_ATTRIBUTES: u8 = 0x08;

/// A list of complete SUSP entries, in the order they are to be recorded.
#[derive(Debug, Default)]
pub(crate) struct Entries {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Entries {
    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }

    fn push(&mut self, sig: &[u8; 2], body: &[&[u8]]) {
        let len = 4 + body.iter().map(|b| b.len()).sum::<usize>();
        self.bytes.extend_from_slice(sig);
        self.bytes.push(len as u8);
        self.bytes.push(1);
        for b in body {
            self.bytes.extend_from_slice(b);
        }
        self.ends.push(self.bytes.len());
    }

    fn entries(&self) -> impl Iterator<Item = &[u8]> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let e = self.bytes.get(start..end).unwrap_or(&[]);
            start = end;
            e
        })
    }

    /// SP: marks SUSP use; only in the root's "." record, first (SUSP §5.3).
    pub(crate) fn sp(&mut self) {
        self.push(b"SP", &[&[0xBE, 0xEF, 0]]);
    }

    /// ER: names the RRIP extension (SUSP §5.5).
    pub(crate) fn er(&mut self) {
        let lens = [
            ER_ID.len() as u8,
            ER_DESCRIPTOR.len() as u8,
            ER_SOURCE.len() as u8,
            1,
        ];
        self.push(b"ER", &[&lens, ER_ID, ER_DESCRIPTOR, ER_SOURCE]);
    }

    /// PX: mode, links, owner, group and serial number (RRIP 1.12 §4.1.1, 44 bytes).
    pub(crate) fn px(&mut self, mode: u32, nlink: u32, uid: u32, gid: u32, serial: u32) {
        self.push(
            b"PX",
            &[
                &enc_both_u32(mode),
                &enc_both_u32(nlink),
                &enc_both_u32(uid),
                &enc_both_u32(gid),
                &enc_both_u32(serial),
            ],
        );
    }

    /// TF with MODIFY, ACCESS and ATTRIBUTES in the 7-byte form, in that order.
    pub(crate) fn tf(&mut self, mtime: UnixTime, atime: UnixTime, ctime: UnixTime) {
        self.push(
            b"TF",
            &[
                &[TF_MODIFY | TF_ACCESS | TF_ATTRIBUTES],
                &encode_short(mtime),
                &encode_short(atime),
                &encode_short(ctime),
            ],
        );
    }

    /// PN: device number, high and low 32 bits (RRIP 1.12 §4.1.2).
    pub(crate) fn pn(&mut self, rdev: u64) {
        self.push(
            b"PN",
            &[
                &enc_both_u32((rdev >> 32) as u32),
                &enc_both_u32(rdev as u32),
            ],
        );
    }

    /// NM: the POSIX name, split over several entries with CONTINUE when over 250 bytes.
    pub(crate) fn nm(&mut self, name: &[u8]) {
        let mut chunks = name.chunks(250).peekable();
        while let Some(chunk) = chunks.next() {
            let flags = u8::from(chunks.peek().is_some());
            self.push(b"NM", &[&[flags], chunk]);
        }
    }

    /// SL: a symbolic link target as component records, over as many entries as needed.
    pub(crate) fn sl(&mut self, target: &[u8]) {
        // Component records: (flags, bytes). ROOT=8, PARENT=4, CURRENT=2, CONTINUE=1.
        let mut comps: Vec<(u8, &[u8])> = Vec::new();
        let mut rest = target;
        if let Some(stripped) = rest.strip_prefix(b"/") {
            comps.push((0x08, &[]));
            rest = stripped;
        }
        for part in rest.split(|&c| c == b'/') {
            match part {
                b"" => {}
                b"." => comps.push((0x02, &[])),
                b".." => comps.push((0x04, &[])),
                _ => {
                    let mut pieces = part.chunks(248).peekable();
                    while let Some(p) = pieces.next() {
                        comps.push((u8::from(pieces.peek().is_some()), p));
                    }
                }
            }
        }
        if comps.is_empty() {
            comps.push((0x02, &[]));
        }
        // An SL entry holds at most 255 − 5 bytes of component records. When a target needs
        // several entries, each entry ends inside a text component (flagged CONTINUE): the
        // kernel then joins the pieces by the component flag, and libarchive, which joins the
        // first component of a continuing entry without a separator, reads the same target.
        let mut queue: VecDeque<(u8, Vec<u8>)> =
            comps.into_iter().map(|(f, b)| (f, b.to_vec())).collect();
        let mut cur: Vec<(u8, Vec<u8>)> = Vec::new();
        let mut used = 0usize;
        while let Some((flags, content)) = queue.pop_front() {
            let need = 2 + content.len();
            if used + need <= 250 {
                used += need;
                cur.push((flags, content));
                continue;
            }
            let room = 250 - used;
            if flags & 0x0E == 0 && room >= 3 {
                let (head, tail) = content.split_at(room - 2);
                cur.push((flags | 1, head.to_vec()));
                queue.push_front((flags, tail.to_vec()));
            } else {
                queue.push_front((flags, content));
                if let Some((last_flags, last)) = cur.last_mut() {
                    if *last_flags & 0x0E == 0 && last.len() >= 2 {
                        let tail = last.split_off(last.len() - 1);
                        queue.push_front((*last_flags, tail));
                        *last_flags |= 1;
                    }
                }
            }
            self.push_sl(1, &cur);
            cur.clear();
            used = 0;
        }
        self.push_sl(0, &cur);
    }

    /// AL (AAIP 2.0): one attribute in namespace `isofs.` (short notation 0x04), as
    /// libisofs records checksum locations. `name` and `value` are short, so one entry with
    /// one component record each suffices.
    pub(crate) fn al_isofs(&mut self, name: &[u8], value: &[u8]) {
        let mut body = vec![0u8, 0, (name.len() + 1) as u8, ISOFS_NAMESPACE];
        body.extend_from_slice(name);
        body.push(0);
        body.push(value.len() as u8);
        body.extend_from_slice(value);
        self.push(b"AL", &[&body]);
    }

    fn push_sl(&mut self, flags: u8, comps: &[(u8, Vec<u8>)]) {
        let mut body = vec![flags];
        for (f, c) in comps {
            body.push(*f);
            body.push(c.len() as u8);
            body.extend_from_slice(c);
        }
        self.push(b"SL", &[&body]);
    }
}

/// Where continuation areas go: packed into the sectors reserved after a directory's extent,
/// an area never crossing a sector boundary (SUSP §5.1).
#[derive(Debug)]
pub(crate) struct CeCursor {
    base_lba: u32,
    sector: u32,
    offset: usize,
}

impl CeCursor {
    pub(crate) fn new(base_lba: u32) -> CeCursor {
        CeCursor {
            base_lba,
            sector: 0,
            offset: 0,
        }
    }

    fn place(&mut self, len: usize) -> (u32, usize) {
        if self.offset + len > SECTOR_SIZE {
            self.sector += 1;
            self.offset = 0;
        }
        let at = (self.sector, self.offset);
        self.offset += len;
        at
    }

    /// Sectors used so far.
    pub(crate) fn sectors(&self) -> u32 {
        self.sector + u32::from(self.offset > 0)
    }
}

fn ce_entry(lba: u32, offset: usize, len: usize) -> [u8; CE_LEN] {
    let mut e = [0u8; CE_LEN];
    put(&mut e, 0, b"CE");
    put(&mut e, 2, &[CE_LEN as u8, 1]);
    put(&mut e, 4, &enc_both_u32(lba));
    put(&mut e, 12, &enc_both_u32(offset as u32));
    put(&mut e, 20, &enc_both_u32(len as u32));
    e
}

/// Puts `entries` into `su` (the record's system use field, at most `room` bytes) and, if they
/// do not fit, into continuation areas placed by `cursor` and written into `ce_buf` (byte 0 of
/// `ce_buf` is the first sector the cursor places into).
pub(crate) fn spread(
    entries: &Entries,
    room: usize,
    cursor: &mut CeCursor,
    su: &mut Vec<u8>,
    ce_buf: &mut Vec<u8>,
) {
    let all: Vec<&[u8]> = entries.entries().collect();
    let total: usize = all.iter().map(|e| e.len()).sum();
    let mut i = 0;
    if total <= room {
        for e in &all {
            su.extend_from_slice(e);
        }
        return;
    }
    while let Some(e) = all.get(i) {
        if su.len() + e.len() + CE_LEN > room {
            break;
        }
        su.extend_from_slice(e);
        i += 1;
    }
    // Areas: each holds what fits, less room for the next CE when more remains.
    let mut pending_ce: Option<CePatch> = Some(CePatch::Record(su.len()));
    su.extend_from_slice(&[0u8; CE_LEN]);
    while i < all.len() {
        let rest: usize = all.iter().skip(i).map(|e| e.len()).sum();
        let mut area: Vec<u8> = Vec::new();
        if rest <= SECTOR_SIZE {
            for e in all.iter().skip(i) {
                area.extend_from_slice(e);
            }
            i = all.len();
        } else {
            while let Some(e) = all.get(i) {
                if area.len() + e.len() + CE_LEN > SECTOR_SIZE {
                    break;
                }
                area.extend_from_slice(e);
                i += 1;
            }
        }
        let more = i < all.len();
        let area_len = area.len() + if more { CE_LEN } else { 0 };
        let (sector, offset) = cursor.place(area_len);
        let ce = ce_entry(cursor.base_lba + sector, offset, area_len);
        match pending_ce.take() {
            Some(CePatch::Record(at)) => put(su, at, &ce),
            Some(CePatch::Area(at)) => put(ce_buf, at, &ce),
            None => {}
        }
        let at = sector as usize * SECTOR_SIZE + offset;
        if ce_buf.len() < at + area_len {
            ce_buf.resize(at + area_len, 0);
        }
        put(ce_buf, at, &area);
        if more {
            pending_ce = Some(CePatch::Area(at + area.len()));
        }
    }
}

enum CePatch {
    Record(usize),
    Area(usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn px_tf_lengths() {
        let mut e = Entries::default();
        e.px(0o100644, 1, 0, 0, 7);
        e.tf(0, 0, 0);
        let v: Vec<&[u8]> = e.entries().collect();
        // RRIP 1.12 PX is 44 bytes (with the serial number); TF with 3 short stamps is 26.
        assert_eq!(v[0].len(), 44);
        assert_eq!(&v[0][..4], b"PX\x2c\x01");
        assert_eq!(v[1].len(), 26);
        assert_eq!(v[1][4], 0x0E);
    }

    #[test]
    fn long_name_splits() {
        let mut e = Entries::default();
        e.nm(&[b'n'; 255]);
        let v: Vec<&[u8]> = e.entries().collect();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0][4], 1, "CONTINUE on the first NM");
        assert_eq!(v[0].len(), 255);
        assert_eq!(v[1].len(), 5 + 5);
    }

    #[test]
    fn symlink_components() {
        let mut e = Entries::default();
        e.sl(b"/a/../b/./c");
        let v: Vec<&[u8]> = e.entries().collect();
        assert_eq!(v.len(), 1);
        assert_eq!(
            &v[0][5..],
            &[8, 0, 0, 1, b'a', 4, 0, 0, 1, b'b', 2, 0, 0, 1, b'c']
        );
        let mut e = Entries::default();
        let long = [b'x'; 600];
        e.sl(&long);
        assert!(e.entries().count() >= 3);
        // Every SL entry but the last ends with a CONTINUE text component.
        let mut e = Entries::default();
        let target: Vec<u8> = (0..40)
            .flat_map(|i| format!("comp{i:02}/").into_bytes())
            .collect();
        e.sl(&target);
        let v: Vec<&[u8]> = e.entries().collect();
        assert!(v.len() > 1);
        for entry in &v[..v.len() - 1] {
            assert_eq!(entry[4], 1, "SL CONTINUE");
            let mut off = 5;
            let mut last_flags = 0;
            while off < entry.len() {
                last_flags = entry[off];
                off += 2 + entry[off + 1] as usize;
            }
            assert_eq!(last_flags, 1);
        }
    }

    #[test]
    fn spread_into_chained_areas() {
        let mut e = Entries::default();
        for _ in 0..20 {
            e.nm(&[b'q'; 250]);
        }
        let mut cur = CeCursor::new(100);
        let (mut su, mut ce) = (Vec::new(), Vec::new());
        spread(&e, 200, &mut cur, &mut su, &mut ce);
        assert_eq!(su.len(), CE_LEN);
        assert_eq!(&su[..2], b"CE");
        assert_eq!(&su[4..8], &100u32.to_le_bytes());
        // 20 × 255 bytes need three sectors: two full areas chained by CE, then the rest.
        assert_eq!(cur.sectors(), 3);
        let first_len = u32::from_le_bytes(su[20..24].try_into().unwrap()) as usize;
        assert!(first_len <= SECTOR_SIZE);
        assert_eq!(&ce[first_len - CE_LEN..first_len - CE_LEN + 2], b"CE");
    }
}
