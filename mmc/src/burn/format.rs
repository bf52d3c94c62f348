//! What the burner must know of the filesystem in the images it writes. `mmc` knows drives,
//! not filesystems: the caller supplies an [`ImageFormat`] (spindle's is ISO 9660, from its
//! `iso9660` crate). The burner asks it three things: whether the medium of an overwritable
//! disc already holds a volume and where it ends (to append by the growisofs method), whether
//! an image was built for the address it is about to be written to, and which blocks link a
//! new session in at the start of the medium.

/// A filesystem, as far as burning needs it. All block arguments are 2048-byte blocks.
pub trait ImageFormat {
    /// Where the filesystem's superblock area starts and how many blocks it may take
    /// (ISO 9660: the volume descriptors at 16..31). Linking a session rewrites it.
    fn link_area(&self) -> (u32, u32);

    /// The end of the volume (in blocks from LBA 0) that the block read at the start of the
    /// link area records; `None` when it holds no filesystem.
    fn volume_end(&self, block: &[u8]) -> Option<u32>;

    /// The first block the image's metadata points to (ISO 9660: the root directory), from
    /// its first blocks `head`; `None` when `head` holds no filesystem. An image built for
    /// address S points at or after S.
    fn root_block(&self, head: &[u8]) -> Option<u32>;

    /// The blocks of the link area in `head` that make up the image's superblock (ISO 9660:
    /// its volume descriptor set up to the terminator); `None` when there is none.
    fn superblock<'h>(&self, head: &'h [u8]) -> Option<&'h [u8]>;

    /// Records `volume_end` as the volume's size in a superblock from
    /// [`superblock`](Self::superblock), so the medium's start describes the whole volume.
    fn set_volume_end(&self, superblock: &mut [u8], volume_end: u32);

    /// Where a session appended after a volume ending at `end` starts.
    fn next_session_start(&self, end: u32) -> u32;

    /// Whether the copy of the superblock of the image whose first blocks are `head` gets a
    /// checksum over the medium's first blocks (ISO 9660: an image that records MD5
    /// checksums gets libisofs's relocated superblock tag in the copy). The burner then also
    /// reads the blocks before the link area, so that [`seal_copy`](Self::seal_copy) sees
    /// them. None by default.
    fn copy_checksummed(&self, head: &[u8]) -> bool {
        let _ = head;
        false
    }

    /// Finishes the copy of the superblock at the start of the medium, just before it is
    /// written: `blocks` are the medium's blocks from `first` up to the end of the link area,
    /// the new superblock in place. `session_start` is where the image begins; `checksummed`
    /// is [`copy_checksummed`](Self::copy_checksummed)'s answer (`first` is then 0). ISO 9660
    /// clears checksum tags an earlier copy left and writes the copy's own tag. Nothing by
    /// default.
    fn seal_copy(&self, blocks: &mut [u8], first: u32, session_start: u32, checksummed: bool) {
        let _ = (blocks, first, session_start, checksummed);
    }
}
