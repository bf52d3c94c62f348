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
//!   - [`DiscSectors::open`]`(device)`: a drive (`/dev/srN`, `/dev/sgN`, `mock:DIR`) or an
//!     image file, bounded by its readable capacity.
//!   - [`DiscSectors::new`]`(drive, blocks)` / [`DiscSectors::file`]`(file)`: from parts;
//!     [`DiscSectors::into_drive`] gives the drive back (to burn after importing a tree).
//! - [`open_last_session`]`(device) -> anyhow::Result<iso9660::Image<DiscSectors>>`: the ISO
//!   9660 volume of the last complete session: its start on write-once media, LBA 0 on
//!   overwritable and ROM media (the growisofs method keeps the merged tree's descriptors
//!   at LBA 16) and on image files.
//!
//! ```no_run
//! let mut image = cli::disc_reader::open_last_session("/dev/sr0")?;
//! image.walk(|e| Ok(println!("{}", e.path.display())))?;
//! # Ok::<(), anyhow::Error>(())
//! ```

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::Path;

use anyhow::Context;
use mmc::command::{Read10, ReadCapacity};
use mmc::Drive;

/// Bytes per sector.
pub const BLOCK: u64 = 2048;
/// Sectors fetched per READ(10) when the caller reads less (64 KiB).
pub const READ_AHEAD_BLOCKS: u32 = 32;

/// The drive type every CLI command uses.
pub type AnyDrive = Drive<Box<dyn hal::Transport>>;

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

/// True when `device` names a regular file (an image file target) rather than a drive.
pub fn is_image_file(device: &str) -> bool {
    !device.starts_with("mock:") && std::fs::metadata(device).is_ok_and(|m| m.is_file())
}

/// What the probe says about where the last complete session starts and how far the
/// medium is readable.
struct Survey {
    last_session: u32,
    blocks: u64,
}

fn survey(drive: &mut AnyDrive) -> anyhow::Result<Survey> {
    let report = drive.probe()?;
    let Some(m) = report.medium else {
        anyhow::bail!("no medium in the drive");
    };
    let overwritable = m.formatted.is_some();
    let last_session = if overwritable {
        0
    } else {
        m.last_session_start_lba.unwrap_or(0)
    };
    let mut blocks = if overwritable {
        m.capacity.total_blocks
    } else {
        m.capacity.used_blocks
    };
    if blocks == 0 {
        // ROM media without track information: READ CAPACITY is all there is.
        blocks = drive.run(&ReadCapacity).map(|c| c.blocks()).unwrap_or(0);
    }
    Ok(Survey {
        last_session,
        blocks,
    })
}

/// The first block of the last complete session of the medium in `drive`: 0 on
/// overwritable media (the growisofs method keeps the merged tree at LBA 16) and on media
/// without sessions.
///
/// # Errors
/// No medium; drive errors.
pub fn last_session_start(drive: &mut AnyDrive) -> anyhow::Result<u32> {
    Ok(survey(drive)?.last_session)
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

    /// Opens `device` (a drive or an image file), bounded by its readable capacity (from
    /// the probe; READ CAPACITY on ROM media).
    ///
    /// # Errors
    /// Open failures, no medium, drive errors.
    pub fn open(device: &str) -> anyhow::Result<DiscSectors> {
        Ok(open_with_session(device)?.0)
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
                let mut got = 0;
                while got < buf.len() {
                    match f.read_at(&mut buf[got..], lba * BLOCK + got as u64) {
                        Ok(0) => break,
                        Ok(k) => got += k,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            return Err(io::Error::new(
                                e.kind(),
                                format!("{}: reading sector {lba}: {e}", self.name),
                            ))
                        }
                    }
                }
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

/// Opens `device` and finds the last complete session's start (0 for image files).
fn open_with_session(device: &str) -> anyhow::Result<(DiscSectors, u32)> {
    if is_image_file(device) {
        let f = File::open(device).with_context(|| device.to_owned())?;
        return Ok((
            DiscSectors::file(f, device).with_context(|| device.to_owned())?,
            0,
        ));
    }
    let mut drive = crate::burn_cmd::open(device).with_context(|| device.to_owned())?;
    let s = survey(&mut drive).with_context(|| device.to_owned())?;
    log::debug!(
        "{device}: last session at LBA {}, {} readable blocks",
        s.last_session,
        s.blocks
    );
    Ok((DiscSectors::new(drive, s.blocks), s.last_session))
}

/// Opens the ISO 9660 volume of the last complete session on `device`: a drive
/// (`/dev/srN`, `/dev/sgN`, `mock:DIR`) or an image file.
///
/// # Errors
/// Open failures, no medium, drive errors, no ISO 9660 volume at the session start.
pub fn open_last_session(device: &str) -> anyhow::Result<iso9660::Image<DiscSectors>> {
    let (sectors, start) = open_with_session(device)?;
    iso9660::Image::open_session(sectors, iso9660::Lba(start))
        .with_context(|| format!("{device}: no ISO 9660 volume in the session at LBA {start}"))
}

/// Opens the session at `start` of `path`, an image file.
///
/// # Errors
/// Open failures; no ISO 9660 volume there.
pub fn open_file_session(path: &Path, start: u32) -> anyhow::Result<iso9660::Image<DiscSectors>> {
    let name = path.display().to_string();
    let f = File::open(path).with_context(|| name.clone())?;
    let s = DiscSectors::file(f, &name).with_context(|| name.clone())?;
    iso9660::Image::open_session(s, iso9660::Lba(start))
        .with_context(|| format!("{name}: no ISO 9660 volume in the session at LBA {start}"))
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
