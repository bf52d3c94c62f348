//! Block-level helpers for appending sessions by the growisofs method (docs/mmc-notes.md
//! §3.2), for writers that handle raw blocks rather than an [`Image`](crate::Image): find the
//! volume space size and the root directory in a primary volume descriptor, measure a
//! descriptor set, and patch the volume space size in every descriptor of a set (the
//! superblock of an overwritable medium records the absolute end of the whole volume), and
//! finish that copy with its checksum tag ([`seal_superblock_copy`]).

use crate::raw::checksum::{self, Tag, TagKind};

/// Logical block of the first volume descriptor (ECMA-119 §6.2.1: system area is 0-15).
pub const DESCRIPTOR_START: u32 = 16;
/// The set may take at most 16 blocks here: 16..=31 (one 32 KiB DVD ECC block).
pub const DESCRIPTOR_MAX: u32 = 16;
const BLOCK: usize = 2048;

/// Descriptor type byte: primary (1), supplementary/enhanced (2), terminator (255).
const PRIMARY: u8 = 1;
const SUPPLEMENTARY: u8 = 2;
const TERMINATOR: u8 = 255;

fn is_descriptor(block: &[u8]) -> bool {
    block.get(1..6) == Some(b"CD001".as_slice())
}

/// The volume space size (bytes 80-83, little-endian half of the both-endian field) of a
/// primary volume descriptor block; `None` if `block` is not one.
pub fn volume_space_size(block: &[u8]) -> Option<u32> {
    if !is_descriptor(block) || block.first() != Some(&PRIMARY) {
        return None;
    }
    let field: [u8; 4] = block.get(80..84)?.try_into().ok()?;
    Some(u32::from_le_bytes(field))
}

/// The extent (first block) of the root directory named in a primary volume descriptor
/// block (the directory record at bytes 156-189, extent at its bytes 2-5, little-endian).
pub fn root_extent(block: &[u8]) -> Option<u32> {
    volume_space_size(block)?;
    let field: [u8; 4] = block.get(158..162)?.try_into().ok()?;
    Some(u32::from_le_bytes(field))
}

/// The number of descriptor blocks in `set` (blocks from LBA 16 on), terminator included;
/// `None` when no terminator is found within [`DESCRIPTOR_MAX`] blocks or the first block
/// is not a primary volume descriptor.
pub fn descriptor_set_len(set: &[u8]) -> Option<u32> {
    volume_space_size(set.get(..BLOCK)?)?;
    for (i, block) in set.chunks(BLOCK).take(DESCRIPTOR_MAX as usize).enumerate() {
        if !is_descriptor(block) {
            return None;
        }
        if block.first() == Some(&TERMINATOR) {
            return u32::try_from(i + 1).ok();
        }
    }
    None
}

/// Sets the volume space size of every primary and supplementary descriptor in `set` to
/// `blocks` (both byte orders, ECMA-119 §7.3.3).
pub fn patch_volume_space_size(set: &mut [u8], blocks: u32) {
    for block in set.chunks_mut(BLOCK) {
        if !is_descriptor(block) {
            break;
        }
        if matches!(block.first(), Some(&PRIMARY) | Some(&SUPPLEMENTARY)) {
            if let Some(field) = block.get_mut(80..88) {
                let (le, be) = field.split_at_mut(4);
                le.copy_from_slice(&blocks.to_le_bytes());
                be.copy_from_slice(&blocks.to_be_bytes());
            }
        }
    }
}

/// Whether the session whose blocks from its LBA 16 on are `set` records MD5 checksums: a
/// superblock checksum tag (libisofs's format, [`crate::raw::checksum`]) follows its
/// descriptor set terminator.
pub fn has_superblock_tag(set: &[u8]) -> bool {
    let Some(n) = descriptor_set_len(set) else {
        return false;
    };
    let at = n as usize * BLOCK;
    matches!(
        set.get(at..at + BLOCK).map(Tag::decode),
        Some(Ok(Some(Tag {
            kind: TagKind::Superblock,
            ..
        })))
    )
}

/// Finishes the copy of a session's descriptor set at LBA 16 of an overwritable medium (or
/// an image file laid out as one), as libisofs does:
/// * checksum tags left after the set by an earlier copy are cleared (their first byte
///   zeroed): such a tag names another session and no longer matches, and libisofs refuses
///   to load a volume whose copy carries a tag that does not match;
/// * with `checksum` (the session records MD5s), the relocated superblock tag is written
///   right after the terminator: the MD5 of blocks 0 up to the tag, and the session the
///   copy describes (`session_start`), so a reader that opens the volume at LBA 0 can check
///   the copy and then go on to the session's own tags.
///
/// `head` holds the medium's blocks from LBA `head_start` (0, or 16 when only the link area
/// is at hand) up to at most LBA 32, the new set already at LBA 16 with its volume space
/// size patched. The tag needs blocks 0..15 too: it is written only when `head_start` is 0.
/// Returns the LBA of the tag written, if any.
pub fn seal_superblock_copy(
    head: &mut [u8],
    head_start: u32,
    session_start: u32,
    checksum: bool,
) -> Option<u32> {
    let at16 = DESCRIPTOR_START.checked_sub(head_start)? as usize * BLOCK;
    let n = descriptor_set_len(head.get(at16..)?)?;
    let after = DESCRIPTOR_START + n;
    let blocks = u32::try_from(head.len() / BLOCK).ok()?;
    let end = (head_start + blocks).min(DESCRIPTOR_START + DESCRIPTOR_MAX);
    let offset = |lba: u32| (lba - head_start) as usize * BLOCK;
    for lba in after..end {
        if let Some(block) = head.get_mut(offset(lba)..offset(lba) + BLOCK) {
            // A damaged tag (Err) is a tag too: it would stop libisofs just the same.
            if !matches!(Tag::decode(block), Ok(None)) {
                if let Some(first) = block.first_mut() {
                    *first = 0;
                }
            }
        }
    }
    if !checksum || head_start != 0 || after >= end {
        return None;
    }
    let tag = Tag {
        kind: TagKind::RelocatedSuperblock,
        pos: after,
        range_start: 0,
        range_size: after,
        next: Some(session_start),
        md5: checksum::md5(head.get(..offset(after))?),
    };
    head.get_mut(offset(after)..offset(after) + BLOCK)?
        .copy_from_slice(&tag.encode());
    Some(after)
}

/// Rounds a block count up to the 32-block (64 KiB) boundary the growisofs method uses for
/// the next session on every medium (libisoburn's rule: one rule for CD, DVD and BD).
pub fn next_session_start(volume_blocks: u32) -> u32 {
    volume_blocks.div_ceil(32).saturating_mul(32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn descriptor(kind: u8, size: u32) -> Vec<u8> {
        let mut b = vec![0u8; BLOCK];
        b[0] = kind;
        b[1..6].copy_from_slice(b"CD001");
        b[6] = 1;
        b[80..84].copy_from_slice(&size.to_le_bytes());
        b[84..88].copy_from_slice(&size.to_be_bytes());
        b
    }

    #[test]
    fn set_length_and_patch() {
        let mut set = descriptor(1, 184);
        set.extend(descriptor(2, 184));
        set.extend(descriptor(255, 0));
        set.extend(vec![0u8; BLOCK]);
        assert_eq!(descriptor_set_len(&set), Some(3));
        assert_eq!(volume_space_size(&set), Some(184));
        patch_volume_space_size(&mut set, 270);
        assert_eq!(volume_space_size(&set), Some(270));
        assert_eq!(&set[BLOCK + 84..BLOCK + 88], &270u32.to_be_bytes());
        assert_eq!(descriptor_set_len(&[0u8; BLOCK]), None);
        assert_eq!(descriptor_set_len(&descriptor(1, 5)), None);
    }

    fn tag(kind: TagKind, pos: u32, next: u32) -> Vec<u8> {
        Tag {
            kind,
            pos,
            range_start: 0,
            range_size: pos,
            next: Some(next),
            md5: [7; 16],
        }
        .encode()
    }

    #[test]
    fn sealing_the_superblock_copy() {
        // An earlier copy: PVD, SVD, terminator, its relocated tag at 19, and a stray tag.
        let mut head = vec![0u8; 16 * BLOCK];
        head[5] = 0xEB; // system area content is covered too
        head.extend(descriptor(1, 300));
        head.extend(descriptor(2, 300));
        head.extend(descriptor(255, 0));
        head.extend(tag(TagKind::RelocatedSuperblock, 19, 32));
        head.extend(tag(TagKind::Superblock, 20, 25));
        head.resize(32 * BLOCK, 0);
        // The new set is shorter: PVD and terminator.
        let mut set = descriptor(1, 400);
        set.extend(descriptor(255, 0));
        head[16 * BLOCK..18 * BLOCK].copy_from_slice(&set);

        let mut plain = head.clone();
        assert_eq!(seal_superblock_copy(&mut plain, 0, 320, false), None);
        for lba in 18..21 {
            let b = &plain[lba * BLOCK..(lba + 1) * BLOCK];
            assert_eq!(Tag::decode(b).unwrap(), None, "stale tag at {lba}");
        }

        assert_eq!(seal_superblock_copy(&mut head, 0, 320, true), Some(18));
        let t = Tag::decode(&head[18 * BLOCK..19 * BLOCK]).unwrap().unwrap();
        assert_eq!(t.kind, TagKind::RelocatedSuperblock);
        assert_eq!((t.pos, t.range_start, t.range_size), (18, 0, 18));
        assert_eq!(t.next, Some(320));
        assert_eq!(t.md5, checksum::md5(&head[..18 * BLOCK]));
        for lba in 19..32 {
            let b = &head[lba * BLOCK..(lba + 1) * BLOCK];
            assert_eq!(Tag::decode(b).unwrap(), None, "stale tag at {lba}");
        }

        // Only the link area at hand (a DVD's 16..31 unit): stale tags go, no new tag.
        let mut unit = plain[16 * BLOCK..].to_vec();
        unit[2 * BLOCK..3 * BLOCK].copy_from_slice(&tag(TagKind::RelocatedSuperblock, 18, 32));
        assert_eq!(seal_superblock_copy(&mut unit, 16, 320, true), None);
        assert_eq!(Tag::decode(&unit[2 * BLOCK..3 * BLOCK]).unwrap(), None);
        // Not a descriptor set: nothing is touched.
        let mut junk = vec![0u8; 32 * BLOCK];
        assert_eq!(seal_superblock_copy(&mut junk, 0, 32, true), None);
        assert!(junk.iter().all(|&b| b == 0));
    }

    #[test]
    fn superblock_tag_after_the_set() {
        let mut set = descriptor(1, 40);
        set.extend(descriptor(255, 0));
        assert!(!has_superblock_tag(&set));
        set.extend(tag(TagKind::Superblock, 18, 25));
        assert!(has_superblock_tag(&set));
    }

    #[test]
    fn next_session_rounds_to_32() {
        assert_eq!(next_session_start(0), 0);
        assert_eq!(next_session_start(1), 32);
        assert_eq!(next_session_start(184), 192);
        assert_eq!(next_session_start(192), 192);
    }
}
