//! Reading images: [`Image`] over any `Read + Seek` source of 2048-byte sectors.
//!
//! Every bound is checked against the volume size and against fixed limits, so a malformed
//! or hostile image yields [`Error::Corrupt`] (or a read error), never a panic, an endless
//! loop or an unbounded allocation:
//! * [`Image::read_dir`] reads directory extents of at most [`MAX_DIR_BYTES`]; [`Image::walk`]
//!   reads any directory one record at a time (memory does not grow with its size), visits
//!   each directory extent once (a loop is an error) and goes down at most [`MAX_DEPTH`]
//!   levels;
//! * Rock Ridge CE chains stop after 32 areas or 64 KiB per record;
//! * every extent must lie inside the volume space the primary volume descriptor declares.

pub(crate) mod rock_ridge;

use std::collections::HashSet;
use std::ffi::OsString;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::raw::descriptor::{DescriptorType, VolumeDescriptor};
use crate::raw::path_table::{self, Endian, PathRecord};
use crate::raw::record::{DirRecord, FileFlags};
use crate::raw::{Lba, Malformed, FIRST_DESCRIPTOR_LBA, SECTOR_BYTES, SECTOR_SIZE};
use rock_ridge::RrFields;

/// Largest directory extent [`Image::read_dir`] reads (bytes): about 800,000 Rock Ridge
/// entries, all held in memory at once. [`Image::walk`] streams and has no such limit.
pub const MAX_DIR_BYTES: u32 = 128 << 20;
/// Deepest directory level walked.
pub const MAX_DEPTH: usize = 1024;
/// Most volume descriptors scanned before a terminator must appear.
const MAX_DESCRIPTORS: u32 = 64;
/// Largest path table read.
const MAX_PATH_TABLE: u32 = 64 << 20;

/// One extent (section) of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extent {
    /// First sector.
    pub lba: u32,
    /// Length in bytes.
    pub len: u32,
}

/// File types as Rock Ridge records them (or as plain ISO 9660 implies them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    /// A directory.
    Directory,
    /// A regular file.
    File,
    /// A symbolic link, with its target.
    Symlink(Vec<u8>),
    /// A character device (see [`Entry::rdev`]).
    CharDevice,
    /// A block device (see [`Entry::rdev`]).
    BlockDevice,
    /// A named pipe.
    Fifo,
    /// A socket.
    Socket,
}

/// A directory entry, with multi-extent sections merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Name in the image's namespace (Rock Ridge name, Joliet name or ISO 9660 identifier
    /// without version); empty for the root.
    pub name: OsString,
    /// Type.
    pub kind: EntryKind,
    /// POSIX mode with file type bits (synthesised when there is no Rock Ridge).
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Link count.
    pub nlink: u32,
    /// Rock Ridge PX serial number, if recorded.
    pub serial: Option<u32>,
    /// Modification time (TF MODIFY, else the directory record date).
    pub mtime: i64,
    /// Access time (TF ACCESS, else `mtime`).
    pub atime: i64,
    /// Attribute change time (TF ATTRIBUTES, else `mtime`).
    pub ctime: i64,
    /// Size in bytes (sum of the extents).
    pub size: u64,
    /// Where the bytes are; one extent per section.
    pub extents: Vec<Extent>,
    /// Device number of a device file.
    pub rdev: u64,
}

impl Entry {
    /// Whether this is a directory.
    pub fn is_dir(&self) -> bool {
        self.kind == EntryKind::Directory
    }
}

/// Which directory tree names come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Namespace {
    /// ISO 9660 tree with Rock Ridge names and metadata.
    RockRidge,
    /// The Joliet tree.
    Joliet,
    /// The plain ISO 9660 tree.
    Iso9660,
}

/// An entry met during [`Image::walk`].
#[derive(Debug, Clone)]
pub struct WalkEntry {
    /// Path relative to the root, without a leading `/`.
    pub path: PathBuf,
    /// 1 for children of the root.
    pub depth: usize,
    /// The entry.
    pub entry: Entry,
}

/// An open ISO 9660 volume (one session).
#[derive(Debug)]
pub struct Image<R> {
    src: R,
    session: u32,
    pvd: VolumeDescriptor,
    joliet: Option<VolumeDescriptor>,
    rr_skip: Option<usize>,
    namespace: Namespace,
    sector: Box<[u8; SECTOR_SIZE]>,
    /// Where `src` is known to be positioned, so that reading on from there needs no seek
    /// (a seek empties a `BufReader`, and sequential directory sectors would each cost a
    /// seek and a refill).
    pos: Option<u64>,
}

/// Reads `buf.len()` bytes at `at`, seeking only when `src` is not already there.
fn read_at<R: Read + Seek>(
    src: &mut R,
    pos: &mut Option<u64>,
    at: u64,
    buf: &mut [u8],
) -> std::io::Result<()> {
    if *pos != Some(at) {
        *pos = None;
        src.seek(SeekFrom::Start(at))?;
    }
    *pos = None;
    src.read_exact(buf)?;
    *pos = Some(at + buf.len() as u64);
    Ok(())
}

/// Position in one directory extent while its records are read one entry at a time.
#[derive(Debug)]
struct DirCursor {
    ext: Extent,
    sector: Box<[u8; SECTOR_SIZE]>,
    /// Sector of the extent in `sector` (`None` before the first).
    index: Option<u32>,
    off: usize,
    limit: usize,
    seen_self: bool,
    /// A multi-extent file whose further sections are still to come.
    pending: Option<Entry>,
}

fn corrupt(lba: u32, m: Malformed) -> Error {
    Error::Corrupt { lba, what: m.0 }
}

impl<R: Read + Seek> Image<R> {
    /// Opens the volume whose descriptors start at LBA 16 (the first session of a disc, or
    /// the only one of an image file).
    ///
    /// # Errors
    /// `NoVolume`, `Corrupt`, `ReadSectors`.
    pub fn open(src: R) -> Result<Image<R>> {
        Image::open_session(src, Lba(0))
    }

    /// Opens the session starting at `start` (its descriptors are at `start + 16`). Extents
    /// are absolute LBAs, so earlier sessions' files stay readable.
    ///
    /// # Errors
    /// `NoVolume`, `Corrupt`, `ReadSectors`.
    pub fn open_session(src: R, start: Lba) -> Result<Image<R>> {
        let mut img = Image {
            src,
            session: start.0,
            pvd: VolumeDescriptor {
                kind: DescriptorType::PRIMARY,
                escapes: [0; 3],
                system_id: Vec::new(),
                volume_id: Vec::new(),
                volume_space_size: u32::MAX,
                path_table_size: 0,
                path_table_l: 0,
                path_table_m: 0,
                root_record: [0; 34],
                volume_set_id: Vec::new(),
                publisher_id: Vec::new(),
                preparer_id: Vec::new(),
                application_id: Vec::new(),
                created: None,
                modified: None,
            },
            joliet: None,
            rr_skip: None,
            namespace: Namespace::Iso9660,
            sector: Box::new([0u8; SECTOR_SIZE]),
            pos: None,
        };
        let first = start
            .0
            .checked_add(FIRST_DESCRIPTOR_LBA)
            .ok_or(Error::NoVolume(start.0))?;
        let mut pvd = None;
        for lba in (first..).take(MAX_DESCRIPTORS as usize) {
            img.load_sector(lba)?;
            let s: &[u8] = &img.sector[..];
            if s.get(1..6) != Some(b"CD001") {
                if pvd.is_none() {
                    return Err(Error::NoVolume(start.0));
                }
                return Err(corrupt(
                    lba,
                    Malformed("volume descriptor set not terminated"),
                ));
            }
            match DescriptorType(s.first().copied().unwrap_or(0)) {
                DescriptorType::TERMINATOR => break,
                DescriptorType::PRIMARY if pvd.is_none() => {
                    pvd = Some(VolumeDescriptor::parse(s).map_err(|m| corrupt(lba, m))?);
                }
                DescriptorType::SUPPLEMENTARY if img.joliet.is_none() => {
                    if let Ok(d) = VolumeDescriptor::parse(s) {
                        if d.is_joliet() {
                            img.joliet = Some(d);
                        }
                    }
                }
                _ => {}
            }
        }
        img.pvd = pvd.ok_or(Error::NoVolume(start.0))?;
        let root = img.root_record_of(false)?;
        // Rock Ridge is in use iff the root's "." record starts with SP (SUSP §5.3).
        let self_rec = img.first_record(root.lba)?;
        if let Ok(f) = rock_ridge::parse(&self_rec, 0, |_| Err((0, Malformed("")))) {
            img.rr_skip = f.sp_skip.map(usize::from);
        } else if self_rec.starts_with(b"SP\x07\x01\xBE\xEF") {
            img.rr_skip = self_rec.get(6).map(|&s| usize::from(s));
        }
        img.namespace = if img.rr_skip.is_some() {
            Namespace::RockRidge
        } else if img.joliet.is_some() {
            Namespace::Joliet
        } else {
            Namespace::Iso9660
        };
        Ok(img)
    }

    /// Gives the source back.
    pub fn into_inner(self) -> R {
        self.src
    }

    /// The session start this volume was opened at.
    pub fn session_start(&self) -> Lba {
        Lba(self.session)
    }

    /// Volume identifier of the primary volume descriptor, trailing spaces removed.
    pub fn volume_id(&self) -> String {
        String::from_utf8_lossy(&self.pvd.volume_id).into_owned()
    }

    /// Volume space size in sectors (for a multisession volume, up to the end of this
    /// session).
    pub fn volume_space_size(&self) -> u32 {
        self.pvd.volume_space_size
    }

    /// The primary volume descriptor.
    pub fn primary_descriptor(&self) -> &VolumeDescriptor {
        &self.pvd
    }

    /// Whether the root carries the SUSP SP marker (Rock Ridge).
    pub fn has_rock_ridge(&self) -> bool {
        self.rr_skip.is_some()
    }

    /// Whether a Joliet supplementary descriptor is present.
    pub fn has_joliet(&self) -> bool {
        self.joliet.is_some()
    }

    /// The namespace entries are read from.
    pub fn namespace(&self) -> Namespace {
        self.namespace
    }

    /// Chooses the namespace. Returns `false` (and keeps the current one) when the image
    /// lacks it.
    pub fn set_namespace(&mut self, ns: Namespace) -> bool {
        let ok = match ns {
            Namespace::RockRidge => self.rr_skip.is_some(),
            Namespace::Joliet => self.joliet.is_some(),
            Namespace::Iso9660 => true,
        };
        if ok {
            self.namespace = ns;
        }
        ok
    }

    fn load_sector(&mut self, lba: u32) -> Result<()> {
        let at = u64::from(lba) * SECTOR_BYTES;
        read_at(&mut self.src, &mut self.pos, at, &mut self.sector[..])
            .map_err(|source| Error::ReadSectors { lba, source })
    }

    /// Checks that `len` bytes from `lba` lie inside the volume.
    fn check_extent(&self, lba: u32, len: u64) -> Result<()> {
        let end = u64::from(lba) + len.div_ceil(SECTOR_BYTES);
        if end > u64::from(self.pvd.volume_space_size) {
            return Err(corrupt(lba, Malformed("extent past the end of the volume")));
        }
        Ok(())
    }

    fn root_record_of(&self, joliet: bool) -> Result<Extent> {
        let d = if joliet {
            self.joliet.as_ref().unwrap_or(&self.pvd)
        } else {
            &self.pvd
        };
        let lba = self.session + FIRST_DESCRIPTOR_LBA;
        let rec = DirRecord::parse(&d.root_record)
            .map_err(|m| corrupt(lba, m))?
            .ok_or(corrupt(lba, Malformed("empty root directory record")))?;
        self.check_extent(rec.extent, u64::from(rec.data_length))?;
        Ok(Extent {
            lba: rec.extent,
            len: rec.data_length,
        })
    }

    /// The first record of the directory at `lba` (its "." record), as owned bytes.
    fn first_record(&mut self, lba: u32) -> Result<Vec<u8>> {
        self.load_sector(lba)?;
        let rec = DirRecord::parse(&self.sector[..])
            .map_err(|m| corrupt(lba, m))?
            .ok_or(corrupt(lba, Malformed("directory without a \".\" record")))?;
        Ok(rec.system_use.to_vec())
    }

    fn rr_fields(&mut self, system_use: &[u8], lba: u32) -> Result<RrFields> {
        let skip = self.rr_skip.unwrap_or(0);
        let volume_end = self.pvd.volume_space_size;
        let (src, pos) = (&mut self.src, &mut self.pos);
        rock_ridge::parse(system_use, skip, |(ce_lba, off, len)| {
            if ce_lba >= volume_end {
                return Err((ce_lba, Malformed("CE area past the end of the volume")));
            }
            let mut buf = vec![0u8; len as usize];
            let at = u64::from(ce_lba) * SECTOR_BYTES + u64::from(off);
            read_at(src, pos, at, &mut buf)
                .map_err(|_| (ce_lba, Malformed("CE area unreadable")))?;
            Ok(buf)
        })
        .map_err(|(at, m)| corrupt(if at == 0 { lba } else { at }, m))
    }

    /// The root directory.
    ///
    /// # Errors
    /// `Corrupt`, `ReadSectors`.
    pub fn root(&mut self) -> Result<Entry> {
        let joliet = self.namespace == Namespace::Joliet;
        let ext = self.root_record_of(joliet)?;
        self.load_sector(ext.lba)?;
        let rec = DirRecord::parse(&self.sector[..])
            .map_err(|m| corrupt(ext.lba, m))?
            .ok_or(corrupt(ext.lba, Malformed("root without a \".\" record")))?;
        let mtime = rec.recorded_time().unwrap_or(0);
        let su = rec.system_use.to_vec();
        let rr = if self.namespace == Namespace::RockRidge {
            self.rr_fields(&su, ext.lba)?
        } else {
            RrFields::default()
        };
        Ok(entry_from(
            OsString::new(),
            EntryKind::Directory,
            vec![ext],
            mtime,
            &rr,
        ))
    }

    /// The entries of directory `dir`, in recorded order, without "." and "..".
    ///
    /// # Errors
    /// `Corrupt` (including a directory longer than [`MAX_DIR_BYTES`]), `ReadSectors`.
    pub fn read_dir(&mut self, dir: &Entry) -> Result<Vec<Entry>> {
        let mut cursor = self.cursor(dir)?;
        if cursor.ext.len > MAX_DIR_BYTES {
            return Err(corrupt(
                cursor.ext.lba,
                Malformed("directory extent too large"),
            ));
        }
        let mut out = Vec::new();
        while let Some(e) = self.next_entry(&mut cursor)? {
            out.push(e);
        }
        Ok(out)
    }

    /// A cursor at the start of directory `dir`'s extent, which must lie inside the volume.
    fn cursor(&self, dir: &Entry) -> Result<DirCursor> {
        let ext = match (&dir.kind, dir.extents.first()) {
            (EntryKind::Directory, Some(e)) => *e,
            _ => {
                return Err(Error::Corrupt {
                    lba: 0,
                    what: "read_dir on a non-directory",
                })
            }
        };
        self.check_extent(ext.lba, u64::from(ext.len))?;
        Ok(DirCursor {
            ext,
            sector: Box::new([0u8; SECTOR_SIZE]),
            index: None,
            off: 0,
            limit: 0,
            seen_self: false,
            pending: None,
        })
    }

    /// The next entry of the directory `c` reads (multi-extent sections merged), or `None`
    /// at its end.
    fn next_entry(&mut self, c: &mut DirCursor) -> Result<Option<Entry>> {
        loop {
            if c.off >= c.limit {
                let next = c.index.map_or(0, |i| i + 1);
                if next >= c.ext.len.div_ceil(SECTOR_SIZE as u32) {
                    return match c.pending.take() {
                        Some(p) => self.checked_file(p).map(Some),
                        None => Ok(None),
                    };
                }
                let lba = c.ext.lba + next;
                let at = u64::from(lba) * SECTOR_BYTES;
                read_at(&mut self.src, &mut self.pos, at, &mut c.sector[..])
                    .map_err(|source| Error::ReadSectors { lba, source })?;
                c.index = Some(next);
                c.off = 0;
                c.limit = (c.ext.len - next * SECTOR_SIZE as u32).min(SECTOR_SIZE as u32) as usize;
            }
            let lba = c.ext.lba + c.index.unwrap_or(0);
            let rest = c.sector.get(c.off..c.limit).unwrap_or(&[]);
            let Some(rec) = DirRecord::parse(rest).map_err(|m| corrupt(lba, m))? else {
                // The rest of the sector is padding.
                c.off = c.limit;
                continue;
            };
            c.off += DirRecord::len_in(rest).map_err(|m| corrupt(lba, m))?;
            if rec.is_self() || rec.is_parent() {
                c.seen_self = true;
                continue;
            }
            if !c.seen_self {
                return Err(corrupt(
                    lba,
                    Malformed("directory does not start with \".\""),
                ));
            }
            let extent = Extent {
                lba: rec.extent,
                len: rec.data_length,
            };
            if let Some(p) = c.pending.as_mut() {
                // A further section of a multi-extent file.
                p.extents.push(extent);
                p.size += u64::from(extent.len);
                if rec.flags.contains(FileFlags::MULTI_EXTENT) {
                    continue;
                }
                return match c.pending.take() {
                    Some(p) => self.checked_file(p).map(Some),
                    None => continue,
                };
            }
            let Some(entry) = self.entry(&rec, lba)? else {
                continue;
            };
            if rec.flags.contains(FileFlags::MULTI_EXTENT) && !entry.is_dir() {
                c.pending = Some(entry);
                continue;
            }
            return self.checked_file(entry).map(Some);
        }
    }

    /// `entry`, after checking that a file's extents lie inside the volume.
    fn checked_file(&self, entry: Entry) -> Result<Entry> {
        if entry.kind == EntryKind::File {
            for x in &entry.extents {
                if x.len > 0 {
                    self.check_extent(x.lba, u64::from(x.len))?;
                }
            }
        }
        Ok(entry)
    }

    /// Builds an entry from one record; `None` for entries to hide (Rock Ridge RE).
    fn entry(&mut self, rec: &DirRecord<'_>, lba: u32) -> Result<Option<Entry>> {
        let is_dir = rec.flags.contains(FileFlags::DIRECTORY);
        let mtime = rec.recorded_time().unwrap_or(0);
        let mut extents = vec![Extent {
            lba: rec.extent,
            len: rec.data_length,
        }];
        let (name, rr) = match self.namespace {
            Namespace::RockRidge => {
                let su = rec.system_use.to_vec();
                let rr = self.rr_fields(&su, lba)?;
                if rr.relocated {
                    return Ok(None);
                }
                let name = rr
                    .name
                    .clone()
                    .unwrap_or_else(|| plain_name(rec.identifier, is_dir));
                (name, rr)
            }
            Namespace::Joliet => (joliet_name(rec.identifier, is_dir), RrFields::default()),
            Namespace::Iso9660 => (plain_name(rec.identifier, is_dir), RrFields::default()),
        };
        if name.is_empty() || name.contains(&b'/') || name == b"." || name == b".." {
            return Err(corrupt(lba, Malformed("invalid file name")));
        }
        let mut kind = match rr.mode.map(|m| m & 0o170_000) {
            Some(0o040_000) => EntryKind::Directory,
            Some(0o120_000) => EntryKind::Symlink(rr.symlink.clone().unwrap_or_default()),
            Some(0o020_000) => EntryKind::CharDevice,
            Some(0o060_000) => EntryKind::BlockDevice,
            Some(0o010_000) => EntryKind::Fifo,
            Some(0o140_000) => EntryKind::Socket,
            Some(_) => EntryKind::File,
            None if is_dir => EntryKind::Directory,
            None => EntryKind::File,
        };
        if let Some(cl) = rr.child_link {
            // A relocated directory: its real extent is at the CL location.
            kind = EntryKind::Directory;
            self.check_extent(cl, 1)?;
            self.load_sector(cl)?;
            let me = DirRecord::parse(&self.sector[..])
                .map_err(|m| corrupt(cl, m))?
                .ok_or(corrupt(cl, Malformed("relocated directory without \".\"")))?;
            extents = vec![Extent {
                lba: cl,
                len: me.data_length,
            }];
        }
        if kind == EntryKind::Directory && !is_dir && rr.child_link.is_none() {
            return Err(corrupt(
                lba,
                Malformed("PX says directory, record does not"),
            ));
        }
        if is_dir && kind != EntryKind::Directory {
            kind = EntryKind::Directory;
        }
        if kind != EntryKind::File && kind != EntryKind::Directory {
            extents.clear();
        }
        Ok(Some(entry_from(
            OsString::from_vec(name),
            kind,
            extents,
            mtime,
            &rr,
        )))
    }

    /// Visits every entry below the root, depth first, parents before children, each
    /// directory's entries in recorded order.
    ///
    /// # Errors
    /// `Corrupt` for a directory visited twice (a loop) or nested deeper than
    /// [`MAX_DEPTH`], any error of [`Image::read_dir`] but its size limit, and whatever
    /// `visit` returns.
    pub fn walk(&mut self, mut visit: impl FnMut(&WalkEntry) -> Result<()>) -> Result<()> {
        let root = self.root()?;
        let mut seen: HashSet<u32> = HashSet::new();
        if let Some(e) = root.extents.first() {
            seen.insert(e.lba);
        }
        // One cursor per open directory, with the path and depth of its entries: a directory
        // of a million entries is read as it is visited, never held.
        let mut stack: Vec<(DirCursor, PathBuf, usize)> =
            vec![(self.cursor(&root)?, PathBuf::new(), 1)];
        while let Some((cursor, dir_path, depth)) = stack.last_mut() {
            let Some(entry) = self.next_entry(cursor)? else {
                stack.pop();
                continue;
            };
            let w = WalkEntry {
                path: dir_path.join(&entry.name),
                depth: *depth,
                entry,
            };
            visit(&w)?;
            if w.entry.is_dir() {
                let lba = w.entry.extents.first().map_or(0, |e| e.lba);
                if !seen.insert(lba) {
                    return Err(corrupt(lba, Malformed("directory loop")));
                }
                if w.depth >= MAX_DEPTH {
                    return Err(corrupt(lba, Malformed("directories nested too deep")));
                }
                let cursor = self.cursor(&w.entry)?;
                stack.push((cursor, w.path, w.depth + 1));
            }
        }
        Ok(())
    }

    /// The entry at `path` ("/" or "" is the root).
    ///
    /// # Errors
    /// `NotFound`, and any error of [`Image::read_dir`].
    pub fn lookup(&mut self, path: impl AsRef<Path>) -> Result<Entry> {
        let path = path.as_ref();
        let mut cur = self.root()?;
        for comp in path
            .as_os_str()
            .as_bytes()
            .split(|&c| c == b'/')
            .filter(|c| !c.is_empty())
        {
            if !cur.is_dir() {
                return Err(Error::NotFound(path.to_path_buf()));
            }
            let kids = self.read_dir(&cur)?;
            cur = kids
                .into_iter()
                .find(|e| e.name.as_bytes() == comp)
                .ok_or_else(|| Error::NotFound(path.to_path_buf()))?;
        }
        Ok(cur)
    }

    /// Copies a regular file's content into `out`; returns the byte count.
    ///
    /// # Errors
    /// `Corrupt` if an extent lies outside the volume, `ReadSectors`, `Output`.
    pub fn read_file(&mut self, entry: &Entry, out: &mut impl Write) -> Result<u64> {
        let mut r = self.open_file(entry)?;
        let mut buf = vec![0u8; 256 * 1024];
        let mut total = 0u64;
        loop {
            let n = r
                .read(&mut buf)
                .map_err(|source| Error::ReadSectors { lba: 0, source })?;
            if n == 0 {
                return Ok(total);
            }
            out.write_all(buf.get(..n).unwrap_or(&[]))
                .map_err(Error::Output)?;
            total += n as u64;
        }
    }

    /// A reader over a regular file's content.
    ///
    /// # Errors
    /// `Corrupt` if an extent lies outside the volume.
    pub fn open_file(&mut self, entry: &Entry) -> Result<FileReader<'_, R>> {
        for x in &entry.extents {
            if x.len > 0 {
                self.check_extent(x.lba, u64::from(x.len))?;
            }
        }
        let extents = if entry.kind == EntryKind::File {
            entry.extents.clone()
        } else {
            Vec::new()
        };
        // The file reader moves the source where this image cannot see it.
        self.pos = None;
        Ok(FileReader {
            src: &mut self.src,
            extents,
            index: 0,
            offset: 0,
        })
    }

    /// The type L path table of the current namespace's volume descriptor.
    ///
    /// # Errors
    /// `Corrupt` for a malformed or oversized table, `ReadSectors`.
    pub fn path_table(&mut self) -> Result<Vec<PathRecord>> {
        let d = match (self.namespace, &self.joliet) {
            (Namespace::Joliet, Some(j)) => j.clone(),
            _ => self.pvd.clone(),
        };
        let lba = d.path_table_l;
        if d.path_table_size > MAX_PATH_TABLE {
            return Err(corrupt(lba, Malformed("path table too large")));
        }
        self.check_extent(lba, u64::from(d.path_table_size))?;
        let mut buf = vec![0u8; d.path_table_size as usize];
        read_at(
            &mut self.src,
            &mut self.pos,
            u64::from(lba) * SECTOR_BYTES,
            &mut buf,
        )
        .map_err(|source| Error::ReadSectors { lba, source })?;
        path_table::parse(&buf, Endian::Little).map_err(|m| corrupt(lba, m))
    }
}

fn entry_from(
    name: OsString,
    kind: EntryKind,
    extents: Vec<Extent>,
    mtime: i64,
    rr: &RrFields,
) -> Entry {
    let default_mode = match kind {
        EntryKind::Directory => 0o040_555,
        _ => 0o100_444,
    };
    let size = match kind {
        EntryKind::File => extents.iter().map(|e| u64::from(e.len)).sum(),
        _ => 0,
    };
    let mtime = rr.mtime.unwrap_or(mtime);
    Entry {
        name,
        mode: rr.mode.unwrap_or(default_mode),
        uid: rr.uid.unwrap_or(0),
        gid: rr.gid.unwrap_or(0),
        nlink: rr.nlink.unwrap_or(1),
        serial: rr.serial,
        mtime,
        atime: rr.atime.unwrap_or(mtime),
        ctime: rr.ctime.unwrap_or(mtime),
        size,
        rdev: rr.rdev.unwrap_or(0),
        kind,
        extents,
    }
}

/// ISO 9660 identifier without ";version" and without a trailing '.'.
fn plain_name(id: &[u8], is_dir: bool) -> Vec<u8> {
    let mut v = id;
    if !is_dir {
        if let Some(p) = v.iter().rposition(|&c| c == b';') {
            v = v.get(..p).unwrap_or(v);
        }
        if let Some(stripped) = v.strip_suffix(b".") {
            v = stripped;
        }
    }
    v.to_vec()
}

/// Joliet identifier (UCS-2BE) as UTF-8, without ";version".
fn joliet_name(id: &[u8], is_dir: bool) -> Vec<u8> {
    let units: Vec<u16> = id
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes(c.try_into().unwrap_or([0, 0])))
        .collect();
    let mut s = String::from_utf16_lossy(&units);
    if !is_dir {
        if let Some(p) = s.rfind(';') {
            s.truncate(p);
        }
    }
    s.into_bytes()
}

/// Reads a file's bytes across its extents. Borrowed from [`Image::open_file`].
#[derive(Debug)]
pub struct FileReader<'a, R> {
    src: &'a mut R,
    extents: Vec<Extent>,
    index: usize,
    offset: u32,
}

impl<R: Read + Seek> Read for FileReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let Some(x) = self.extents.get(self.index) else {
                return Ok(0);
            };
            let left = x.len - self.offset;
            if left == 0 {
                self.index += 1;
                self.offset = 0;
                continue;
            }
            let n = buf.len().min(left as usize);
            let at = u64::from(x.lba) * SECTOR_BYTES + u64::from(self.offset);
            self.src.seek(SeekFrom::Start(at))?;
            let dst = buf.get_mut(..n).unwrap_or(&mut []);
            self.src.read_exact(dst)?;
            self.offset += n as u32;
            return Ok(n);
        }
    }
}
