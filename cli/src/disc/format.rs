//! ISO 9660 as the burner sees it ([`mmc::burn::ImageFormat`]): the filesystem facts the
//! burner needs come from the `iso9660` crate, so `mmc` parses no filesystem.

use iso9660::multisession as ms;
use mmc::burn::ImageFormat;

/// The ISO 9660 image format; pass [`ISO9660`] to [`mmc::burn::Burner::new`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Iso9660;

/// The one instance.
pub static ISO9660: Iso9660 = Iso9660;

const BLOCK: usize = 2048;

impl ImageFormat for Iso9660 {
    fn link_area(&self) -> (u32, u32) {
        (ms::DESCRIPTOR_START, ms::DESCRIPTOR_MAX)
    }

    fn volume_end(&self, block: &[u8]) -> Option<u32> {
        ms::volume_space_size(block)
    }

    fn root_block(&self, head: &[u8]) -> Option<u32> {
        ms::root_extent(head.get(ms::DESCRIPTOR_START as usize * BLOCK..)?)
    }

    fn superblock<'h>(&self, head: &'h [u8]) -> Option<&'h [u8]> {
        let set = head.get(ms::DESCRIPTOR_START as usize * BLOCK..)?;
        let n = ms::descriptor_set_len(set)?;
        set.get(..n as usize * BLOCK)
    }

    fn set_volume_end(&self, superblock: &mut [u8], volume_end: u32) {
        ms::patch_volume_space_size(superblock, volume_end);
    }

    fn next_session_start(&self, end: u32) -> u32 {
        ms::next_session_start(end)
    }

    fn copy_checksummed(&self, head: &[u8]) -> bool {
        head.get(ms::DESCRIPTOR_START as usize * BLOCK..)
            .is_some_and(ms::has_superblock_tag)
    }

    fn seal_copy(&self, blocks: &mut [u8], first: u32, session_start: u32, checksummed: bool) {
        ms::seal_superblock_copy(blocks, first, session_start, checksummed);
    }
}
