//! The output side of `Layout::write_to`: a counting, sector-checked buffer in front of any
//! `Write`, and the copy loop for source files.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::error::{Error, FileStamp, Replacement, Result};
use crate::raw::checksum::{Digest, Running};
use crate::raw::{SECTOR_BYTES, SECTOR_SIZE};

/// Output buffer size: large writes keep pipes and files busy with few system calls.
const BUF_SIZE: usize = 1 << 20;

static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];

pub(crate) struct Sink<W> {
    out: W,
    buf: Box<[u8]>,
    used: usize,
    /// Bytes handed to this sink so far (buffered or written).
    pos: u64,
    /// Byte offset of the session start on the medium.
    base: u64,
    /// The same output as a plain descriptor, when the caller has one: large file extents
    /// then go from the source to it inside the kernel (sendfile / splice / copy_file_range)
    /// instead of through `buf`, which saves a copy of every data byte.
    direct: Option<File>,
    /// MD5s of what passes through, when the image records checksums.
    md5: Option<Hashes>,
}

/// The session's running MD5 and, while a file is copied, that file's.
#[derive(Debug, Default)]
struct Hashes {
    session: Running,
    /// The file's MD5 and how many of its bytes are still to come (its padding is not hashed).
    file: Option<(Running, u64)>,
}

impl Hashes {
    fn feed(&mut self, bytes: &[u8]) {
        self.session.update(bytes);
        if let Some((h, left)) = self.file.as_mut() {
            let n = usize::try_from(*left)
                .unwrap_or(usize::MAX)
                .min(bytes.len());
            h.update(bytes.get(..n).unwrap_or(&[]));
            *left -= n as u64;
        }
    }
}

/// Extents at least this long go through the kernel copy when a direct descriptor is set;
/// shorter ones are coalesced in the buffer, where many small files make few writes.
const DIRECT_MIN: u64 = 256 * 1024;

impl<W: Write> Sink<W> {
    pub(crate) fn new(out: W, start_lba: u32) -> Sink<W> {
        Sink {
            out,
            buf: vec![0u8; BUF_SIZE].into_boxed_slice(),
            used: 0,
            pos: 0,
            base: u64::from(start_lba) * SECTOR_BYTES,
            direct: None,
            md5: None,
        }
    }

    /// Hashes every byte from here on (the session MD5); kernel-side copies are then not
    /// used, since their bytes would not pass through here.
    pub(crate) fn with_md5(mut self) -> Sink<W> {
        self.md5 = Some(Hashes::default());
        self
    }

    /// MD5 of everything written so far, if hashing.
    pub(crate) fn session_md5(&self) -> Option<Digest> {
        self.md5.as_ref().map(|h| h.session.digest())
    }

    /// Starts a file's MD5, over its next `size` bytes.
    pub(crate) fn begin_file_md5(&mut self, size: u64) {
        if let Some(h) = self.md5.as_mut() {
            h.file = Some((Running::default(), size));
        }
    }

    /// Ends the file's MD5 started by [`Sink::begin_file_md5`].
    pub(crate) fn end_file_md5(&mut self) -> Option<Digest> {
        let (h, _) = self.md5.as_mut()?.file.take()?;
        Some(h.digest())
    }

    /// Sets the descriptor for kernel-side copies (see the `direct` field).
    pub(crate) fn with_direct(mut self, direct: File) -> Sink<W> {
        self.direct = Some(direct);
        self
    }

    /// Fails unless the next byte written lands at the start of `lba`.
    pub(crate) fn expect(&self, lba: u32, what: &'static str) -> Result<()> {
        let at = self.base + self.pos;
        let planned = u64::from(lba) * SECTOR_BYTES;
        if at != planned {
            return Err(Error::LayoutMismatch {
                what,
                planned,
                actual: at,
            });
        }
        Ok(())
    }

    pub(crate) fn position(&self) -> u64 {
        self.pos
    }

    fn flush_buf(&mut self) -> Result<()> {
        if self.used > 0 {
            let data = self.buf.get(..self.used).unwrap_or(&[]);
            self.out.write_all(data).map_err(Error::Output)?;
            self.used = 0;
        }
        Ok(())
    }

    pub(crate) fn put(&mut self, mut data: &[u8]) -> Result<()> {
        if let Some(h) = self.md5.as_mut() {
            h.feed(data);
        }
        while !data.is_empty() {
            if self.used == self.buf.len() {
                self.flush_buf()?;
            }
            let space = self.buf.len() - self.used;
            let n = space.min(data.len());
            let (head, tail) = data.split_at(n);
            if let Some(dst) = self.buf.get_mut(self.used..self.used + n) {
                dst.copy_from_slice(head);
            }
            self.used += n;
            self.pos += n as u64;
            data = tail;
        }
        Ok(())
    }

    pub(crate) fn zeros(&mut self, mut n: u64) -> Result<()> {
        while n > 0 {
            let k = n.min(ZEROS.len() as u64) as usize;
            self.put(ZEROS.get(..k).unwrap_or(&[]))?;
            n -= k as u64;
        }
        Ok(())
    }

    /// Pads with zeros to the next sector boundary.
    pub(crate) fn pad_sector(&mut self) -> Result<()> {
        let r = self.pos % SECTOR_BYTES;
        if r != 0 {
            self.zeros(SECTOR_BYTES - r)?;
        }
        Ok(())
    }

    /// Reads up to `max` bytes from `r` straight into the buffer; returns the count (0 = EOF).
    fn fill_from(&mut self, r: &mut File, max: u64, path: &Path) -> Result<usize> {
        if self.used == self.buf.len() {
            self.flush_buf()?;
        }
        let space = (self.buf.len() - self.used).min(usize::try_from(max).unwrap_or(usize::MAX));
        let dst = self
            .buf
            .get_mut(self.used..self.used + space)
            .unwrap_or(&mut []);
        loop {
            match r.read(dst) {
                Ok(n) => {
                    if let Some(h) = self.md5.as_mut() {
                        h.feed(dst.get(..n).unwrap_or(&[]));
                    }
                    self.used += n;
                    self.pos += n as u64;
                    return Ok(n);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::source_io(path, e)),
            }
        }
    }

    pub(crate) fn finish(mut self) -> Result<W> {
        self.flush_buf()?;
        self.out.flush().map_err(Error::Output)?;
        Ok(self.out)
    }

    /// Copies a source file of `planned` size and mtime, padded to a whole sector. Fails with
    /// `FileChanged` when the file is not what the plan saw, before or during the copy.
    ///
    /// The file is opened without following a symbolic link and must be the surveyed file
    /// `file_id` (`FileReplaced` otherwise, and nothing is read from it).
    pub(crate) fn copy_file(
        &mut self,
        path: &Path,
        file_id: (u64, u64),
        planned: FileStamp,
    ) -> Result<()> {
        let io = |e| Error::source_io(path, e);
        let (mut f, md) = open_planned(path, file_id)?;
        let stamp = |md: &std::fs::Metadata, size| FileStamp {
            size,
            mtime: md.mtime(),
            mtime_nsec: md.mtime_nsec().clamp(0, 999_999_999) as u32,
        };
        let before = stamp(&md, md.len());
        if before != planned {
            return Err(Error::FileChanged {
                path: path.to_path_buf(),
                planned,
                actual: before,
            });
        }
        let start = self.pos;
        let sparse = md.blocks().saturating_mul(512) < md.len();
        let copied = if sparse {
            self.copy_sparse(&mut f, planned.size, path)?
        } else {
            self.copy_range(&mut f, planned.size, path)?
        };
        // A file that shrank ends early; one that grew shows its new size in fstat (a read
        // past the planned end would tell the same at one more system call per file, which
        // a million small files notice).
        let after_md = f.metadata().map_err(io)?;
        let after = stamp(
            &after_md,
            if copied == planned.size {
                after_md.len()
            } else {
                copied
            },
        );
        if copied != planned.size || after != planned {
            return Err(Error::FileChanged {
                path: path.to_path_buf(),
                planned,
                actual: after,
            });
        }
        debug_assert_eq!(self.pos - start, planned.size);
        self.pad_sector()
    }

    fn copy_range(&mut self, f: &mut File, len: u64, path: &Path) -> Result<u64> {
        if len >= DIRECT_MIN && self.direct.is_some() && self.md5.is_none() {
            // Everything buffered must reach the output before the kernel appends to it.
            self.flush_buf()?;
            self.out.flush().map_err(Error::Output)?;
            if let Some(direct) = self.direct.as_ref() {
                if let Some(copied) = kernel_copy(f, direct, len).map_err(|e| {
                    // A failed read and a failed write look alike here; name both ends.
                    Error::source_io(
                        path,
                        std::io::Error::new(e.kind(), format!("copying to the output: {e}")),
                    )
                })? {
                    self.pos += copied;
                    return Ok(copied);
                }
            }
        }
        let mut done = 0u64;
        while done < len {
            let n = self.fill_from(f, len - done, path)?;
            if n == 0 {
                break;
            }
            done += n as u64;
        }
        Ok(done)
    }

    /// Copies the data segments of a sparse file and writes holes as zeros without reading
    /// them (SEEK_DATA/SEEK_HOLE).
    fn copy_sparse(&mut self, f: &mut File, len: u64, path: &Path) -> Result<u64> {
        use nix::unistd::{lseek, Whence};
        let io = |e: std::io::Error| Error::source_io(path, e);
        let fd = f.as_raw_fd();
        let mut pos = 0u64;
        while pos < len {
            let at = i64::try_from(pos).map_err(|e| io(std::io::Error::other(e)))?;
            let data = match lseek(fd, at, Whence::SeekData) {
                Ok(d) => (d.max(0) as u64).min(len),
                Err(nix::errno::Errno::ENXIO) => len,
                Err(e) => return Err(io(e.into())),
            };
            self.zeros(data - pos)?;
            pos = data;
            if pos >= len {
                break;
            }
            let at = i64::try_from(pos).map_err(|e| io(std::io::Error::other(e)))?;
            let hole = lseek(fd, at, Whence::SeekHole).map_err(|e| io(e.into()))?;
            let hole = (hole.max(0) as u64).clamp(pos, len);
            f.seek(SeekFrom::Start(pos)).map_err(io)?;
            // A hole at a data offset cannot happen; copy the rest plainly rather than loop.
            let want = if hole > pos { hole - pos } else { len - pos };
            let n = self.copy_range(f, want, path)?;
            pos += n;
            if n < want {
                return Ok(pos);
            }
        }
        f.seek(SeekFrom::Start(len)).map_err(io)?;
        Ok(pos)
    }
}

/// Opens the source file at `path` as surveyed: never through a symbolic link in its last
/// component, and only if the descriptor is the regular file `file_id` (`st_dev`, `st_ino`).
/// A swap of any component between survey and write (a directory for a link, a file for
/// another) shows as another inode; the caller reads only from the returned descriptor, so
/// what is checked is what is written. Returns the descriptor and its `fstat`.
pub(crate) fn open_planned(path: &Path, file_id: (u64, u64)) -> Result<(File, std::fs::Metadata)> {
    use nix::fcntl::OFlag;
    use std::os::unix::fs::OpenOptionsExt;
    let replaced = |how| Error::FileReplaced {
        path: path.to_path_buf(),
        how,
    };
    // O_NONBLOCK: a FIFO swapped in must not hang the open; it is refused below.
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_NOCTTY).bits())
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(nix::errno::Errno::ELOOP as i32) {
                replaced(Replacement::Symlink)
            } else {
                Error::source_io(path, e)
            }
        })?;
    let md = f.metadata().map_err(|e| Error::source_io(path, e))?;
    if !md.file_type().is_file() {
        return Err(replaced(Replacement::NotRegular));
    }
    if (md.dev(), md.ino()) != file_id {
        return Err(replaced(Replacement::OtherFile));
    }
    Ok((f, md))
}

/// Copies `len` bytes from `src`'s current position to `dst` with sendfile(2), so the data
/// never enters user space. `Ok(None)` when the kernel cannot do it for this pair of
/// descriptors (then nothing was copied and the caller uses its buffer); the source position
/// is left after the copied bytes either way.
fn kernel_copy(src: &mut File, dst: &File, len: u64) -> std::io::Result<Option<u64>> {
    use std::os::fd::AsFd;
    let start = src.stream_position()?;
    let mut offset = i64::try_from(start).map_err(std::io::Error::other)?;
    let mut done = 0u64;
    while done < len {
        // sendfile moves at most about 2 GiB per call.
        let chunk = usize::try_from((len - done).min(1 << 30)).unwrap_or(1 << 30);
        match nix::sys::sendfile::sendfile64(dst.as_fd(), src.as_fd(), Some(&mut offset), chunk) {
            Ok(0) => break,
            Ok(n) => done += n as u64,
            Err(nix::errno::Errno::EINTR) | Err(nix::errno::Errno::EAGAIN) => continue,
            Err(nix::errno::Errno::EINVAL) | Err(nix::errno::Errno::ENOSYS) if done == 0 => {
                return Ok(None)
            }
            Err(e) => return Err(e.into()),
        }
    }
    src.seek(SeekFrom::Start(start + done))?;
    Ok(Some(done))
}

/// A `Write` for image files that turns runs of zero sectors into holes, so sparse sources and
/// large zero areas cost no disk space. Call [`SparseFileWriter::finish`] to set the final
/// length (a trailing hole is otherwise lost).
#[derive(Debug)]
pub struct SparseFileWriter {
    file: File,
    pos: u64,
}

impl SparseFileWriter {
    /// Writes from the file's current start (offset 0); use [`SparseFileWriter::at`] to start
    /// elsewhere (appending a session to an image file).
    pub fn new(file: File) -> SparseFileWriter {
        SparseFileWriter { file, pos: 0 }
    }

    /// Starts writing at byte `offset` of `file`.
    ///
    /// # Errors
    /// The seek fails.
    pub fn at(mut file: File, offset: u64) -> std::io::Result<SparseFileWriter> {
        file.seek(SeekFrom::Start(offset))?;
        Ok(SparseFileWriter { file, pos: offset })
    }

    /// Extends the file over a trailing hole and returns it.
    ///
    /// # Errors
    /// Setting the length fails.
    pub fn finish(self) -> std::io::Result<File> {
        if self.file.metadata()?.len() < self.pos {
            self.file.set_len(self.pos)?;
        }
        Ok(self.file)
    }
}

impl Write for SparseFileWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.len() >= SECTOR_SIZE && buf.iter().all(|&b| b == 0) {
            self.pos += buf.len() as u64;
            self.file.seek(SeekFrom::Start(self.pos))?;
            return Ok(buf.len());
        }
        let n = self.file.write(buf)?;
        self.pos += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}
