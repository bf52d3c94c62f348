//! Decoding SUSP entries and RRIP 1.09–1.12 fields, following CE continuation chains with
//! hard limits so hostile images cannot loop or make us allocate without bound.
//!
//! # References
//! SUSP 1.12 §4 (entry format), §5.1 (CE), §5.3 (SP), §5.4 (ST); RRIP 1.12 §4.1 (PX, PN, SL,
//! NM, CL, PL, RE, TF).

use crate::raw::bytes::{both_u32, slice, u8_at};
use crate::raw::checksum::{be_number, ChecksumArea, CA_NAME, CX_NAME, ISOFS_NAMESPACE};
use crate::raw::date::{decode_long, decode_short, UnixTime};
use crate::raw::{Malformed, SECTOR_SIZE};

/// Most continuation areas followed for one record.
pub(crate) const MAX_CE_HOPS: usize = 32;
/// Most SUSP bytes gathered for one record (record plus continuation areas).
pub(crate) const MAX_SUSP_BYTES: usize = 64 * 1024;
/// Longest name or symlink target accepted.
const MAX_TEXT: usize = 16 * 1024;

/// What the Rock Ridge entries of one directory record say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RrFields {
    /// SP found (only meaningful in the root's "." record): its skip length.
    pub sp_skip: Option<u8>,
    pub name: Option<Vec<u8>>,
    pub mode: Option<u32>,
    pub nlink: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub serial: Option<u32>,
    pub mtime: Option<UnixTime>,
    pub atime: Option<UnixTime>,
    pub ctime: Option<UnixTime>,
    pub symlink: Option<Vec<u8>>,
    pub rdev: Option<u64>,
    /// CL: this is a placeholder for a directory relocated to this LBA.
    pub child_link: Option<u32>,
    /// RE: this is a relocated directory, to be hidden where it is.
    pub relocated: bool,
    /// AAIP `isofs.cx`: the file's index into the checksum array.
    pub md5_index: Option<u32>,
    /// AAIP `isofs.ca` (root only): where the checksum array is.
    pub checksum_area: Option<ChecksumArea>,
}

/// A continuation area to read: (LBA, offset, length).
pub(crate) type CeRef = (u32, u32, u32);

/// Parses the SUSP entries of one record's system use field (after `skip` bytes), reading
/// continuation areas through `read_ce`.
pub(crate) fn parse(
    system_use: &[u8],
    skip: usize,
    mut read_ce: impl FnMut(CeRef) -> Result<Vec<u8>, (u32, Malformed)>,
) -> Result<RrFields, (u32, Malformed)> {
    let mut out = RrFields::default();
    let mut state = TextState::default();
    let area = system_use.get(skip..).unwrap_or(&[]);
    let mut next = parse_area(area, &mut out, &mut state).map_err(|m| (0, m))?;
    let mut hops = 0;
    let mut total = area.len();
    while let Some(ce) = next {
        hops += 1;
        total += ce.2 as usize;
        if hops > MAX_CE_HOPS {
            return Err((ce.0, Malformed("Rock Ridge CE chain too long or cyclic")));
        }
        if total > MAX_SUSP_BYTES {
            return Err((ce.0, Malformed("Rock Ridge continuation areas too large")));
        }
        if ce.1 as usize + ce.2 as usize > SECTOR_SIZE {
            return Err((ce.0, Malformed("Rock Ridge CE area crosses its sector")));
        }
        let bytes = read_ce(ce)?;
        next = parse_area(&bytes, &mut out, &mut state).map_err(|m| (ce.0, m))?;
    }
    if let Some(name) = state.name {
        out.name = Some(name);
    }
    if let Some(t) = state.link {
        out.symlink = Some(t);
    }
    // A damaged attribute list costs the checksums, not the entry: the check reports the
    // file as having none.
    let _ = parse_attributes(&state.attributes, &mut out);
    Ok(out)
}

#[derive(Debug, Default)]
struct TextState {
    name: Option<Vec<u8>>,
    link: Option<Vec<u8>>,
    link_sep: bool,
    /// Component areas of the AL entries, concatenated: records may continue across them.
    attributes: Vec<u8>,
}

fn push_text(v: &mut Vec<u8>, more: &[u8]) -> Result<(), Malformed> {
    if v.len() + more.len() > MAX_TEXT {
        return Err(Malformed("Rock Ridge name or link target too long"));
    }
    v.extend_from_slice(more);
    Ok(())
}

/// Parses one area; returns the CE it points to, if any.
fn parse_area(
    area: &[u8],
    out: &mut RrFields,
    st: &mut TextState,
) -> Result<Option<CeRef>, Malformed> {
    let mut off = 0usize;
    let mut ce = None;
    while off + 4 <= area.len() {
        let sig = slice(area, off, 2, "SUSP signature")?;
        let len = usize::from(u8_at(area, off + 2, "SUSP length")?);
        if len < 4 {
            // Padding or garbage: nothing more can be parsed from this area.
            break;
        }
        let Ok(e) = slice(area, off, len, "SUSP entry past area end") else {
            break;
        };
        match sig {
            b"ST" => break,
            b"CE" if len >= 28 => {
                ce = Some((
                    both_u32(e, 4, "CE block")?,
                    both_u32(e, 12, "CE offset")?,
                    both_u32(e, 20, "CE length")?,
                ));
            }
            b"SP" if len >= 7 && slice(e, 4, 2, "SP check bytes")? == [0xBE, 0xEF] => {
                out.sp_skip = Some(u8_at(e, 6, "SP skip")?);
            }
            b"PX" if len >= 36 => {
                out.mode = Some(both_u32(e, 4, "PX mode")?);
                out.nlink = Some(both_u32(e, 12, "PX links")?);
                out.uid = Some(both_u32(e, 20, "PX uid")?);
                out.gid = Some(both_u32(e, 28, "PX gid")?);
                if len >= 44 {
                    out.serial = Some(both_u32(e, 36, "PX serial")?);
                }
            }
            b"PN" if len >= 20 => {
                let hi = u64::from(both_u32(e, 4, "PN high")?);
                let lo = u64::from(both_u32(e, 12, "PN low")?);
                out.rdev = Some(hi << 32 | lo);
            }
            b"TF" if len >= 5 => parse_tf(e, out)?,
            b"NM" if len >= 5 => {
                let flags = u8_at(e, 4, "NM flags")?;
                // CURRENT and PARENT name "." and ".."; they never name a child.
                if flags & 0x06 == 0 {
                    let name = st.name.get_or_insert_with(Vec::new);
                    push_text(name, e.get(5..).unwrap_or(&[]))?;
                }
            }
            b"SL" if len >= 5 => parse_sl(e.get(5..).unwrap_or(&[]), st)?,
            b"CL" if len >= 12 => out.child_link = Some(both_u32(e, 4, "CL location")?),
            b"RE" => out.relocated = true,
            b"AL" if len >= 5 => {
                let more = e.get(5..).unwrap_or(&[]);
                if st.attributes.len() + more.len() > MAX_SUSP_BYTES {
                    return Err(Malformed("AAIP attribute list too long"));
                }
                st.attributes.extend_from_slice(more);
            }
            _ => {}
        }
        off += len;
    }
    Ok(ce)
}

fn parse_tf(e: &[u8], out: &mut RrFields) -> Result<(), Malformed> {
    let flags = u8_at(e, 4, "TF flags")?;
    let long = flags & 0x80 != 0;
    let width = if long { 17 } else { 7 };
    let mut off = 5;
    // Bit order: CREATION, MODIFY, ACCESS, ATTRIBUTES, BACKUP, EXPIRATION, EFFECTIVE.
    for bit in 0..7 {
        if flags & (1 << bit) == 0 {
            continue;
        }
        let raw = slice(e, off, width, "TF time stamp")?;
        let t = if long {
            decode_long(raw)
        } else {
            decode_short(raw)
        }
        .ok()
        .flatten();
        match bit {
            1 => out.mtime = t,
            2 => out.atime = t,
            3 => out.ctime = t,
            _ => {}
        }
        off += width;
    }
    Ok(())
}

fn parse_sl(mut comps: &[u8], st: &mut TextState) -> Result<(), Malformed> {
    let target = st.link.get_or_insert_with(Vec::new);
    while comps.len() >= 2 {
        let flags = u8_at(comps, 0, "SL component flags")?;
        let len = usize::from(u8_at(comps, 1, "SL component length")?);
        let content = slice(comps, 2, len, "SL component past entry end")?;
        if flags & 0x08 != 0 {
            target.clear();
            target.push(b'/');
            st.link_sep = false;
        } else {
            if st.link_sep {
                push_text(target, b"/")?;
            }
            if flags & 0x02 != 0 {
                push_text(target, b".")?;
            } else if flags & 0x04 != 0 {
                push_text(target, b"..")?;
            } else {
                push_text(target, content)?;
            }
            st.link_sep = flags & 0x01 == 0;
        }
        comps = comps.get(2 + len..).unwrap_or(&[]);
    }
    Ok(())
}

/// Reads AAIP name/value pairs (component records as in SL) and keeps the checksum ones.
fn parse_attributes(mut recs: &[u8], out: &mut RrFields) -> Result<(), Malformed> {
    let mut component = Vec::new();
    let mut name: Option<Vec<u8>> = None;
    while recs.len() >= 2 {
        let flags = u8_at(recs, 0, "AL component flags")?;
        let len = usize::from(u8_at(recs, 1, "AL component length")?);
        component.extend_from_slice(slice(recs, 2, len, "AL component past list end")?);
        recs = recs.get(2 + len..).unwrap_or(&[]);
        if flags & 0x01 != 0 {
            continue;
        }
        let done = std::mem::take(&mut component);
        match name.take() {
            None => name = Some(done),
            Some(n) => {
                let short = n.split_first().filter(|(&b, _)| b == ISOFS_NAMESPACE);
                let isofs = short
                    .map(|(_, rest)| rest)
                    .or_else(|| n.strip_prefix(b"isofs.".as_slice()));
                match isofs {
                    Some(CX_NAME) if (1..=4).contains(&done.len()) => {
                        out.md5_index = Some(be_number(&done));
                    }
                    Some(CA_NAME) => out.checksum_area = Some(ChecksumArea::decode(&done)?),
                    _ => {}
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::rock_ridge::{spread, CeCursor, Entries};

    fn no_ce(_: CeRef) -> Result<Vec<u8>, (u32, Malformed)> {
        Err((0, Malformed("no CE expected")))
    }

    #[test]
    fn writer_entries_parse_back() {
        let mut e = Entries::default();
        e.px(0o120777, 1, 1000, 100, 42);
        e.tf(86_400, 2 * 86_400, 3 * 86_400);
        e.nm(b"link");
        e.sl(b"../a//b/./c");
        e.pn(0x0000_0001_0000_0002);
        let (mut su, mut ce) = (Vec::new(), Vec::new());
        spread(&e, 254, &mut CeCursor::new(0), &mut su, &mut ce);
        let f = parse(&su, 0, no_ce).unwrap();
        assert_eq!(f.mode, Some(0o120777));
        assert_eq!((f.uid, f.gid, f.serial), (Some(1000), Some(100), Some(42)));
        assert_eq!(
            (f.mtime, f.atime, f.ctime),
            (Some(86_400), Some(172_800), Some(259_200))
        );
        assert_eq!(f.name.as_deref(), Some(&b"link"[..]));
        assert_eq!(f.symlink.as_deref(), Some(&b"../a/b/./c"[..]));
        assert_eq!(f.rdev, Some(0x0000_0001_0000_0002));
    }

    #[test]
    fn continuation_areas_are_followed() {
        let mut e = Entries::default();
        let name = [b'n'; 255];
        e.px(0o100644, 1, 0, 0, 1);
        e.nm(&name);
        let long_target: Vec<u8> = (0..2000)
            .map(|i| if i % 100 == 0 { b'/' } else { b'x' })
            .collect();
        e.sl(&long_target);
        let (mut su, mut ce) = (Vec::new(), Vec::new());
        spread(&e, 150, &mut CeCursor::new(10), &mut su, &mut ce);
        let f = parse(&su, 0, |(lba, off, len)| {
            let at = (lba - 10) as usize * SECTOR_SIZE + off as usize;
            Ok(ce[at..at + len as usize].to_vec())
        })
        .unwrap();
        assert_eq!(f.name.as_deref(), Some(&name[..]));
        assert_eq!(f.symlink.as_deref(), Some(&long_target[..]));
    }

    #[test]
    fn ce_cycle_is_an_error() {
        // A CE pointing at itself (SUSP §5.1 layout: block, offset, length, each both-endian).
        let mut ce = vec![b'C', b'E', 28, 1];
        for v in [5u32, 0, 28] {
            ce.extend_from_slice(&v.to_le_bytes());
            ce.extend_from_slice(&v.to_be_bytes());
        }
        let area = ce.clone();
        let err = parse(&ce, 0, |_| Ok(area.clone())).unwrap_err();
        assert_eq!(err.0, 5);
    }

    #[test]
    fn garbage_never_panics() {
        for len in 0..64u8 {
            let mut b = vec![b'N', b'M', len, 1, 0];
            b.resize(40, 0xFF);
            let _ = parse(&b, 0, no_ce);
            let mut b = vec![b'S', b'L', len, 1, 0, 0, 200];
            b.resize(40, 0x01);
            let _ = parse(&b, 3, no_ce);
        }
    }
}
