//! Block-level helpers for appending sessions by the growisofs method (docs/mmc-notes.md
//! §3.2), for writers that handle raw blocks rather than an [`Image`](crate::Image): find the
//! volume space size and the root directory in a primary volume descriptor, measure a
//! descriptor set, and patch the volume space size in every descriptor of a set (the
//! superblock of an overwritable medium records the absolute end of the whole volume).

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

    #[test]
    fn next_session_rounds_to_32() {
        assert_eq!(next_session_start(0), 0);
        assert_eq!(next_session_start(1), 32);
        assert_eq!(next_session_start(184), 192);
        assert_eq!(next_session_start(192), 192);
    }
}
