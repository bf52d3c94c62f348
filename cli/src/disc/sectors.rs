//! Reading the filesystem on a disc through the drive, not through the kernel's block device.
//!
//! # API
//! - [`DiscSectors`]: `Read + Seek` over a target's 2048-byte sectors, bounded by what is
//!   readable. On a drive every read is a READ(10) through [`mmc::Drive`] (SG_IO, or the
//!   mock), so data the burner just wrote with SG_IO is seen even though the page cache of
//!   `/dev/srN` is stale. A small read-ahead cache ([`READ_AHEAD_BLOCKS`] blocks) keeps
//!   directory walks from sending one command per record; a failed read-ahead (CD run-out
//!   blocks after a track are unreadable on real drives) is retried as one block. Read
//!   errors are `io::Error`s whose message names the LBA and the decoded sense. An image
//!   file is read with plain `pread`.
//!   - [`DiscSectors::new`]`(drive, blocks)` / [`DiscSectors::file`]`(file)`: from parts;
//!     [`DiscSectors::into_drive`] gives the drive back (to burn after importing a tree).
//!
//! Which session a reader opens is [`crate::disc::session`]'s decision.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;

use mmc::command::Read10;

pub use crate::disc::target::AnyDrive;

/// Bytes per sector.
pub const BLOCK: u64 = 2048;
/// Sectors fetched per READ(10) when the caller reads less (64 KiB).
pub const READ_AHEAD_BLOCKS: u32 = 32;

enum Backend {
    Drive(Box<AnyDrive>),
    File(File),
}

/// `Read + Seek` over the sectors of a drive's medium (READ(10) through SG_IO or the mock)
/// or of an image file. See the [module documentation](self).
pub struct DiscSectors {
    backend: Backend,
    name: String,
    /// Readable sectors: reads stop (end of file) there.
    blocks: u64,
    /// Byte position.
    pos: u64,
    /// First sector held in `cache`.
    cache_lba: u64,
    cache: Vec<u8>,
}

impl std::fmt::Debug for DiscSectors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiscSectors")
            .field("name", &self.name)
            .field("blocks", &self.blocks)
            .field("pos", &self.pos)
            .field("drive", &matches!(self.backend, Backend::Drive(_)))
            .finish_non_exhaustive()
    }
}

impl DiscSectors {
    /// Sectors `0..blocks` of the medium in `drive`.
    pub fn new(drive: AnyDrive, blocks: u64) -> DiscSectors {
        DiscSectors {
            name: drive.name().to_owned(),
            backend: Backend::Drive(Box::new(drive)),
            blocks,
            pos: 0,
            cache_lba: 0,
            cache: Vec::new(),
        }
    }

    /// The sectors of an image file (its length rounded up to whole sectors).
    ///
    /// # Errors
    /// When the file's length cannot be read.
    pub fn file(file: File, name: &str) -> io::Result<DiscSectors> {
        let len = file.metadata()?.len();
        Ok(DiscSectors {
            name: name.to_owned(),
            backend: Backend::File(file),
            blocks: len.div_ceil(BLOCK),
            pos: 0,
            cache_lba: 0,
            cache: Vec::new(),
        })
    }

    /// The target's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Reads one sector outside the cache, for probing what is recorded where: `None` when
    /// nothing is recorded there (a drive's BLANK CHECK or LBA out of range, past the end of
    /// an image file), an error for any other failure.
    ///
    /// # Errors
    /// Read errors other than "nothing recorded", naming the LBA and the decoded sense.
    pub fn read_block(&mut self, lba: u32) -> io::Result<Option<Vec<u8>>> {
        match &mut self.backend {
            Backend::Drive(drive) => match drive.run(&Read10::new(lba, 1)) {
                Ok(mut d) => {
                    d.resize(BLOCK as usize, 0);
                    Ok(Some(d))
                }
                Err(e) if e.is_unrecorded() => Ok(None),
                Err(e) => Err(read_error(&self.name, u64::from(lba), e)),
            },
            Backend::File(f) => {
                let mut buf = vec![0u8; BLOCK as usize];
                let got = read_file_at(f, &mut buf, u64::from(lba), &self.name)?;
                Ok((got > 0).then_some(buf))
            }
        }
    }

    /// Limits reads to the first `blocks` sectors.
    pub fn set_blocks(&mut self, blocks: u64) {
        self.blocks = blocks;
        self.cache.clear();
    }

    /// Readable sectors.
    pub fn blocks(&self) -> u64 {
        self.blocks
    }

    /// The drive, if this reads one (an image file gives `None`).
    pub fn into_drive(self) -> Option<AnyDrive> {
        match self.backend {
            Backend::Drive(d) => Some(*d),
            Backend::File(_) => None,
        }
    }

    /// Fills the cache with sectors from `lba`: a read-ahead chunk, or one sector when the
    /// chunk fails.
    fn fill(&mut self, lba: u64) -> io::Result<()> {
        let n = u64::from(READ_AHEAD_BLOCKS).min(self.blocks - lba);
        self.cache.clear();
        let lba32 = u32::try_from(lba).map_err(|_| io::Error::other("LBA beyond 2^32"))?;
        match &mut self.backend {
            Backend::Drive(drive) => {
                // n ≤ 32.
                let r = drive.run(&Read10::new(lba32, n as u16));
                let data = match r {
                    Ok(d) => d,
                    Err(e) if n > 1 => {
                        log::debug!(
                            "{}: read-ahead at LBA {lba}: {e}; reading one block",
                            self.name
                        );
                        drive
                            .run(&Read10::new(lba32, 1))
                            .map_err(|e| read_error(&self.name, lba, e))?
                    }
                    Err(e) => return Err(read_error(&self.name, lba, e)),
                };
                self.cache = data;
            }
            Backend::File(f) => {
                let mut buf = vec![0u8; (n * BLOCK) as usize];
                let got = read_file_at(f, &mut buf, lba, &self.name)?;
                // The last sector of a file whose length is not a multiple of 2048.
                buf.truncate(got.max(1).div_ceil(BLOCK as usize) * BLOCK as usize);
                buf.resize(buf.len().max(BLOCK as usize), 0);
                self.cache = buf;
            }
        }
        self.cache_lba = lba;
        Ok(())
    }
}

/// Fills `buf` from sector `lba` of an image file, stopping at its end; returns the bytes
/// read. Errors name the file and the sector.
fn read_file_at(f: &File, buf: &mut [u8], lba: u64, name: &str) -> io::Result<usize> {
    let at = lba * BLOCK;
    let mut got = 0;
    while got < buf.len() {
        match f.read_at(&mut buf[got..], at + got as u64) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("{name}: reading sector {lba}: {e}"),
                ))
            }
        }
    }
    Ok(got)
}

fn read_error(name: &str, lba: u64, e: mmc::Error) -> io::Error {
    // The mmc error already names the command and decoded sense (and usually the LBA).
    io::Error::other(format!("{name}: reading LBA {lba}: {e}"))
}

impl Read for DiscSectors {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let end = self.blocks * BLOCK;
        if buf.is_empty() || self.pos >= end {
            return Ok(0);
        }
        let lba = self.pos / BLOCK;
        let cached_end = self.cache_lba * BLOCK + self.cache.len() as u64;
        if self.pos < self.cache_lba * BLOCK || self.pos >= cached_end {
            self.fill(lba)?;
        }
        let off = (self.pos - self.cache_lba * BLOCK) as usize;
        let avail = self.cache.get(off..).unwrap_or_default();
        let n = avail.len().min(buf.len()).min((end - self.pos) as usize);
        buf[..n].copy_from_slice(&avail[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for DiscSectors {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let end = self.blocks * BLOCK;
        let new = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => end.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = new.ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "seek before the first sector")
        })?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn file_sectors_read_and_seek() {
        let mut t = tempfile::NamedTempFile::new().unwrap();
        let data: Vec<u8> = (0..(BLOCK as usize * 70 + 100))
            .map(|i| (i % 251) as u8)
            .collect();
        t.write_all(&data).unwrap();
        let mut s = DiscSectors::file(File::open(t.path()).unwrap(), "t").unwrap();
        assert_eq!(s.blocks(), 71);
        let mut all = Vec::new();
        s.read_to_end(&mut all).unwrap();
        assert_eq!(all.len(), 71 * BLOCK as usize);
        assert_eq!(&all[..data.len()], &data[..]);
        assert!(all[data.len()..].iter().all(|&b| b == 0));
        s.seek(SeekFrom::Start(BLOCK * 40 + 7)).unwrap();
        let mut b = [0u8; 5000];
        s.read_exact(&mut b).unwrap();
        assert_eq!(
            &b[..],
            &data[BLOCK as usize * 40 + 7..BLOCK as usize * 40 + 5007]
        );
        assert!(s.seek(SeekFrom::Current(-1_000_000)).is_err());
    }
}
