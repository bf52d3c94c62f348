//! Reading images: [`Image`] over any `Read + Seek` source of 2048-byte sectors.
//!
//! Every bound is checked against the volume size and against fixed limits, so a malformed
//! or hostile image yields [`Error::Corrupt`] (or a read error), never a panic, an endless
//! loop or an unbounded allocation:
//! * a directory's extent must lie inside the volume, and a walk reads each directory sector
//!   at most once: a directory whose extent overlaps one already read (a loop, or records
//!   pointing into each other's extents) is damaged, down to [`MAX_DEPTH`] levels;
//! * a walk reads each open directory one record at a time through a cursor of one sector,
//!   so its memory grows with the tree's depth, not with a directory's size (a flat backup
//!   of a million files is one directory of 130 MB);
//! * Rock Ridge CE chains stop after 32 areas or 64 KiB per record;
//! * every extent must lie inside the volume space the primary volume descriptor declares;
//! * a walk's total work is bounded by the volume's size ([`WalkBudget`]): metadata bytes
//!   read (directory sectors and continuation areas), and path bytes handed out, so memory
//!   and time stay proportional to the image whatever its records point at.
//!
//! A damaged record costs only itself: [`Image::walk_lossy`] and [`Image::read_dir_lossy`]
//! report it as [`Damaged`] and go on with its siblings (a damaged directory loses what is
//! below it). [`Image::walk`] and [`Image::read_dir`] stop at the first damage instead, for
//! callers that must see a whole tree (importing a session to append to it).

mod check;
pub(crate) mod rock_ridge;

pub use check::{
    BlockRange, CarriedChecksums, CheckProblem, ChecksumArray, FileCheck, Md5Report, TagCheck,
    VerifiedFiles,
};

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::raw::descriptor::{DescriptorType, VolumeDescriptor};
use crate::raw::path_table::{self, Endian, PathRecord};
use crate::raw::record::{DirRecord, FileFlags, FIXED_LEN};
use crate::raw::{Lba, Malformed, FIRST_DESCRIPTOR_LBA, SECTOR_BYTES, SECTOR_SIZE};
use rock_ridge::RrFields;

/// Deepest directory level walked.
pub const MAX_DEPTH: usize = 1024;
/// Why a directory deeper than [`MAX_DEPTH`] is not read.
const NESTED_TOO_DEEP: &str = "directories nested too deep";
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
    /// Index of the file's MD5 in the session's checksum array (AAIP `isofs.cx`), if
    /// recorded; see [`Image::check_md5`].
    pub md5_index: Option<u32>,
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

/// A record or directory that could not be read; its siblings are unaffected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damaged {
    /// Path relative to the root: the entry's name as far as it could be read (its ISO 9660
    /// identifier when the Rock Ridge fields are what is broken), or the directory's own path
    /// with an empty name when a record's name could not be read at all.
    pub path: PathBuf,
    /// Whether the damaged entry is (or claims to be) a directory, whose contents are lost.
    pub is_dir: bool,
    /// The sector holding the offending structure.
    pub lba: u32,
    /// What is wrong.
    pub what: &'static str,
}

impl std::fmt::Display for Damaged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LBA {}: {}", self.lba, self.what)
    }
}

/// A directory's entries, and the records in it that could not be read.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// Readable entries, in recorded order, without "." and "..".
    pub entries: Vec<Entry>,
    /// Damaged records; `path` holds just the name (relative to the directory).
    pub damaged: Vec<Damaged>,
}

/// Limits on one walk, in proportion to the volume, and what it used.
///
/// A well-formed image reads each directory sector once and each continuation area once, so
/// its metadata is at most the volume's bytes; paths are a small multiple of that. Anything
/// beyond means records that point into each other, and the walk stops with
/// [`Error::BudgetExceeded`] instead of amplifying a small image into gigabytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalkBudget {
    /// Directory and continuation-area bytes that may be read.
    pub metadata_bytes: u64,
    /// Bytes of paths that may be handed out (the sum of every visited entry's path length).
    pub path_bytes: u64,
}

impl WalkBudget {
    /// Slack for tiny images, so a few sectors still list a realistic tree.
    const SLACK: u64 = 1 << 20;

    /// The budget for a volume ending at block `volume_end`: twice its bytes of metadata,
    /// sixteen times its bytes of paths, each plus 1 MiB.
    pub fn for_volume_end(volume_end: u64) -> WalkBudget {
        let bytes = volume_end.saturating_mul(SECTOR_BYTES);
        WalkBudget {
            metadata_bytes: bytes.saturating_mul(2).saturating_add(Self::SLACK),
            path_bytes: bytes.saturating_mul(16).saturating_add(Self::SLACK),
        }
    }
}

/// What a walk did: the figures its [`WalkBudget`] bounds, and the entries it met.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalkStats {
    /// Directory and continuation-area bytes read.
    pub metadata_bytes: u64,
    /// Sum of the path lengths of the entries visited.
    pub path_bytes: u64,
    /// Entries visited.
    pub entries: u64,
    /// Damaged records and directories reported.
    pub damaged: u64,
    /// Directories read.
    pub directories: u64,
}

/// Directory extents read so far in a walk, as disjoint `start -> end` sector ranges.
#[derive(Debug, Default)]
struct ClaimedSectors(BTreeMap<u32, u64>);

impl ClaimedSectors {
    /// Records `[lba, lba + sectors)`; `false` (recording nothing) when it overlaps a range
    /// already read.
    fn claim(&mut self, lba: u32, sectors: u64) -> bool {
        let end = u64::from(lba) + sectors.max(1);
        if let Some((_, &prev_end)) = self.0.range(..=lba).next_back() {
            if prev_end > u64::from(lba) {
                return false;
            }
        }
        if let Some((&next, _)) = self.0.range(lba..).next() {
            if u64::from(next) < end {
                return false;
            }
        }
        self.0.insert(lba, end);
        true
    }
}

/// Work done against a [`WalkBudget`] by one walk or one directory listing.
#[derive(Debug)]
struct Meter {
    budget: WalkBudget,
    /// The image's continuation-area count when the work began.
    ce_start: u64,
    /// Directory extent bytes claimed.
    dir_bytes: u64,
    stats: WalkStats,
}

impl Meter {
    fn new(volume_end: u64, ce_bytes: u64) -> Meter {
        Meter {
            budget: WalkBudget::for_volume_end(volume_end),
            ce_start: ce_bytes,
            dir_bytes: 0,
            stats: WalkStats::default(),
        }
    }

    /// Updates the metadata bytes with the image's continuation-area count `ce_bytes`.
    fn check(&mut self, ce_bytes: u64) -> Result<()> {
        self.stats.metadata_bytes = self
            .dir_bytes
            .saturating_add(ce_bytes.saturating_sub(self.ce_start));
        if self.stats.metadata_bytes > self.budget.metadata_bytes {
            return Err(Error::BudgetExceeded {
                what: "metadata bytes",
                limit: self.budget.metadata_bytes,
            });
        }
        Ok(())
    }

    /// Charges a directory extent of `len` bytes, read in full.
    fn charge_dir(&mut self, len: u32, ce_bytes: u64) -> Result<()> {
        self.dir_bytes = self.dir_bytes.saturating_add(u64::from(len));
        self.check(ce_bytes)
    }

    /// Charges a path (or name) of `len` bytes handed out.
    fn charge_path(&mut self, len: usize, ce_bytes: u64) -> Result<()> {
        self.stats.path_bytes = self.stats.path_bytes.saturating_add(len as u64);
        if self.stats.path_bytes > self.budget.path_bytes {
            return Err(Error::BudgetExceeded {
                what: "path bytes",
                limit: self.budget.path_bytes,
            });
        }
        self.check(ce_bytes)
    }
}

/// Where a directory is being read, one record at a time: one sector in memory, whatever
/// the directory's size.
#[derive(Debug)]
struct DirCursor {
    ext: Extent,
    sector: Box<[u8; SECTOR_SIZE]>,
    /// Sectors of the extent read so far; the last is in `sector`.
    loaded: u32,
    /// Next record's offset in `sector`.
    off: usize,
    /// End of the extent's bytes in `sector`.
    limit: usize,
    seen_self: bool,
    /// Further sections of a damaged multi-extent file are skipped with it.
    skipping_sections: bool,
    /// A multi-extent file whose further sections are still to come.
    pending: Option<Entry>,
}

/// What a [`DirCursor`] yields.
#[derive(Debug)]
enum Item {
    Entry(Entry),
    /// A damaged record; `path` holds its name as far as it could be read.
    Damaged(Damaged),
}

fn damaged_item(name: Vec<u8>, is_dir: bool, lba: u32, what: &'static str) -> Item {
    Item::Damaged(Damaged {
        path: PathBuf::from(OsString::from_vec(name)),
        is_dir,
        lba,
        what,
    })
}

/// Reads `buf.len()` bytes at `at`, seeking only when `src` is not known to be there: a
/// seek empties a `BufReader`, and a directory's sectors are read one after another.
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
    // Unknown until the read succeeds: a failed read leaves the source anywhere.
    *pos = None;
    src.read_exact(buf)?;
    *pos = Some(at + buf.len() as u64);
    Ok(())
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
    /// Continuation-area bytes read since the image was opened (a walk charges the growth).
    ce_bytes: u64,
    /// Where `src` is known to be positioned (see [`read_at`]).
    pos: Option<u64>,
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
            ce_bytes: 0,
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

    /// Volume space size in sectors, as recorded: counted from the session's start by
    /// mkisofs -C, libisofs and spindle, or the absolute end in the superblock (LBA 16) of
    /// an overwritable medium. See [`Image::volume_end`].
    pub fn volume_space_size(&self) -> u32 {
        self.pvd.volume_space_size
    }

    /// The first block after this volume: the session's start plus its volume space size.
    /// For the superblock at LBA 0 both conventions agree; for a session opened at its own
    /// start, writers record the size counted from there. A volume written by a tool that
    /// recorded the absolute end instead is still bounded by this (a larger bound), so its
    /// files read too.
    pub fn volume_end(&self) -> u64 {
        u64::from(self.session) + u64::from(self.pvd.volume_space_size)
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

    /// Reads `buf.len()` bytes from sector `lba` on.
    fn read_sectors(&mut self, lba: u32, buf: &mut [u8]) -> std::io::Result<()> {
        read_at(
            &mut self.src,
            &mut self.pos,
            u64::from(lba) * SECTOR_BYTES,
            buf,
        )
    }

    /// Checks that `len` bytes from `lba` lie inside the volume.
    fn check_extent(&self, lba: u32, len: u64) -> Result<()> {
        let end = u64::from(lba) + len.div_ceil(SECTOR_BYTES);
        if end > self.volume_end() {
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
        let volume_end = self.volume_end();
        let (src, pos) = (&mut self.src, &mut self.pos);
        let ce_bytes = &mut self.ce_bytes;
        rock_ridge::parse(system_use, skip, |(ce_lba, off, len)| {
            if u64::from(ce_lba) >= volume_end {
                return Err((ce_lba, Malformed("CE area past the end of the volume")));
            }
            *ce_bytes = ce_bytes.saturating_add(u64::from(len));
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
    /// `Corrupt` (the first damaged record: see [`Image::read_dir_lossy`] for the rest),
    /// [`Error::BudgetExceeded`], `ReadSectors`.
    pub fn read_dir(&mut self, dir: &Entry) -> Result<Vec<Entry>> {
        let listing = self.read_dir_lossy(dir)?;
        match listing.damaged.first() {
            Some(d) => Err(Error::Corrupt {
                lba: d.lba,
                what: d.what,
            }),
            None => Ok(listing.entries),
        }
    }

    /// The entries of directory `dir` that can be read, and the records that cannot.
    ///
    /// The listing is held whole, so its cost is bounded like a walk's, by the volume's
    /// [`WalkBudget`]. A caller that need not hold a large directory at once walks it
    /// ([`Image::walk_lossy`]): that reads one record at a time.
    ///
    /// # Errors
    /// The directory as a whole is unreadable: not a directory, an extent past the volume,
    /// no "." record first (`Corrupt`); its first sector unreadable (`ReadSectors`);
    /// [`Error::BudgetExceeded`]. A later sector that cannot be read is reported as a
    /// damaged record.
    pub fn read_dir_lossy(&mut self, dir: &Entry) -> Result<Listing> {
        let mut meter = Meter::new(self.volume_end(), self.ce_bytes);
        let mut cursor = self.open_dir(dir)?;
        meter.charge_dir(cursor.ext.len, self.ce_bytes)?;
        let mut out = Listing::default();
        while let Some(item) = self.next_item(&mut cursor)? {
            match item {
                Item::Entry(e) => {
                    meter.charge_path(e.name.len(), self.ce_bytes)?;
                    out.entries.push(e);
                }
                Item::Damaged(d) => {
                    meter.check(self.ce_bytes)?;
                    out.damaged.push(d);
                }
            }
        }
        Ok(out)
    }

    /// A cursor at the start of directory `dir`'s extent, which must lie inside the volume.
    /// The extent's size is bounded by the volume alone: the cursor holds one sector.
    fn open_dir(&self, dir: &Entry) -> Result<DirCursor> {
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
            loaded: 0,
            off: 0,
            limit: 0,
            seen_self: false,
            skipping_sections: false,
            pending: None,
        })
    }

    /// The next entry (multi-extent sections merged) or damaged record of the directory `c`
    /// reads, or `None` at its end.
    ///
    /// # Errors
    /// Only for the directory as a whole, and so only before its first item: its first
    /// sector unreadable (`ReadSectors`), no "." record first (`Corrupt`). Everything later
    /// is an [`Item::Damaged`] and the directory reads on.
    fn next_item(&mut self, c: &mut DirCursor) -> Result<Option<Item>> {
        loop {
            if c.off >= c.limit {
                let i = c.loaded;
                if i >= c.ext.len.div_ceil(SECTOR_SIZE as u32) {
                    let lba = c.ext.lba;
                    return Ok(c.pending.take().map(|p| self.checked(p, lba)));
                }
                let lba = c.ext.lba + i;
                c.loaded += 1;
                c.off = 0;
                c.limit = (c.ext.len - i * SECTOR_SIZE as u32).min(SECTOR_SIZE as u32) as usize;
                let at = u64::from(lba) * SECTOR_BYTES;
                if let Err(source) = read_at(&mut self.src, &mut self.pos, at, &mut c.sector[..]) {
                    c.limit = 0;
                    if i == 0 {
                        return Err(Error::ReadSectors { lba, source });
                    }
                    if source.kind() == std::io::ErrorKind::UnexpectedEof {
                        // The source ends inside the extent: no later sector can be read
                        // either, and trying each one would let a tiny image that declares a
                        // huge volume cost a loop per declared sector.
                        c.loaded = c.ext.len.div_ceil(SECTOR_SIZE as u32);
                        return Ok(Some(damaged_item(
                            Vec::new(),
                            false,
                            lba,
                            "directory extent past the end of the data",
                        )));
                    }
                    return Ok(Some(damaged_item(
                        Vec::new(),
                        false,
                        lba,
                        "directory sector unreadable",
                    )));
                }
            }
            let lba = c.ext.lba + c.loaded.saturating_sub(1);
            let rest = c.sector.get(c.off..c.limit).unwrap_or(&[]);
            let rec = match DirRecord::parse(rest) {
                Ok(Some(rec)) => rec,
                Ok(None) => {
                    // The rest of the sector is padding.
                    c.off = c.limit;
                    continue;
                }
                Err(m) if !c.seen_self => return Err(corrupt(lba, m)),
                Err(m) => {
                    // The length byte is the only way to the next record: trust it when it
                    // is plausible, else give up on the rest of this sector.
                    match DirRecord::len_in(rest) {
                        Ok(n) if n > FIXED_LEN && n <= rest.len() => c.off += n,
                        _ => c.off = c.limit,
                    }
                    return Ok(Some(damaged_item(Vec::new(), false, lba, m.0)));
                }
            };
            // A record that parsed has a length byte, and it is within `rest`.
            c.off += DirRecord::len_in(rest).unwrap_or(rest.len());
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
            let more = rec.flags.contains(FileFlags::MULTI_EXTENT);
            if c.skipping_sections {
                // After a damaged first section, its further sections go with it.
                c.skipping_sections = more;
                continue;
            }
            let extent = Extent {
                lba: rec.extent,
                len: rec.data_length,
            };
            if let Some(p) = c.pending.as_mut() {
                // A further section of a multi-extent file.
                p.extents.push(extent);
                p.size += u64::from(extent.len);
                if !more {
                    if let Some(done) = c.pending.take() {
                        return Ok(Some(self.checked(done, lba)));
                    }
                }
                continue;
            }
            let is_dir = rec.flags.contains(FileFlags::DIRECTORY);
            let entry = match self.entry(&rec, lba) {
                Ok(Some(entry)) => entry,
                Ok(None) => continue,
                Err(e) => {
                    let (at, what) = match e {
                        Error::Corrupt { lba, what } => (lba, what),
                        _ => (lba, "a sector the record needs is unreadable"),
                    };
                    let name = match self.namespace {
                        Namespace::Joliet => joliet_name(rec.identifier, is_dir),
                        _ => plain_name(rec.identifier, is_dir),
                    };
                    c.skipping_sections = more && !is_dir;
                    return Ok(Some(damaged_item(name, is_dir, at, what)));
                }
            };
            if more && !entry.is_dir() {
                c.pending = Some(entry);
                continue;
            }
            return Ok(Some(self.checked(entry, lba)));
        }
    }

    /// `entry`, or a damaged record when one of a file's extents lies outside the volume.
    fn checked(&self, entry: Entry, lba: u32) -> Item {
        if entry.kind == EntryKind::File {
            for x in &entry.extents {
                if x.len > 0 {
                    if let Err(Error::Corrupt { lba: at, what }) =
                        self.check_extent(x.lba, u64::from(x.len))
                    {
                        let at = if at == 0 { lba } else { at };
                        return damaged_item(entry.name.into_vec(), false, at, what);
                    }
                }
            }
        }
        Item::Entry(entry)
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
    /// The first damage met (`Corrupt`: a directory overlapping one already read, which is
    /// what a loop looks like, nesting deeper than [`MAX_DEPTH`], any damaged record);
    /// [`Error::BudgetExceeded`]; read errors; whatever `visit` returns.
    pub fn walk(&mut self, visit: impl FnMut(&WalkEntry) -> Result<()>) -> Result<()> {
        let root = self.root()?;
        self.walk_lossy(&root, Path::new(""), visit, |d| {
            Err(Error::Corrupt {
                lba: d.lba,
                what: d.what,
            })
        })
        .map(|_| ())
    }

    /// Visits every entry below directory `top` (whose path is `base`, empty for the root),
    /// depth first, parents before children, each directory's entries in recorded order.
    /// Damaged records and directories go to `damaged` and the walk goes on: a damaged
    /// directory loses only what is below it.
    ///
    /// Each open directory is read one record at a time through a cursor of one sector, so
    /// the walk's memory grows with the depth of the tree, not with the size of a directory:
    /// a directory of a million entries costs what one of ten does, beyond what `visit`
    /// keeps.
    ///
    /// # Errors
    /// [`Error::BudgetExceeded`] when the walk would cost more than the volume's
    /// [`WalkBudget`]; `top` itself unreadable; whatever `visit` or `damaged` return.
    pub fn walk_lossy(
        &mut self,
        top: &Entry,
        base: &Path,
        mut visit: impl FnMut(&WalkEntry) -> Result<()>,
        mut damaged: impl FnMut(&Damaged) -> Result<()>,
    ) -> Result<WalkStats> {
        let mut meter = Meter::new(self.volume_end(), self.ce_bytes);
        let mut claimed = ClaimedSectors::default();
        // The open directories, outermost first: each one's cursor, and the path and depth
        // of its entries. The bottom one is `top`, whose damage is an error, not a report.
        let mut open: Vec<(DirCursor, PathBuf, usize)> = Vec::new();
        let top_depth = base.components().count();
        if !top.is_dir() {
            return Ok(meter.stats);
        }
        if top_depth >= MAX_DEPTH {
            meter.stats.damaged += 1;
            damaged(&Damaged {
                path: base.to_path_buf(),
                is_dir: true,
                lba: top.extents.first().map_or(0, |e| e.lba),
                what: NESTED_TOO_DEEP,
            })?;
            return Ok(meter.stats);
        }
        match self.enter_dir(top, top_depth, &mut claimed, &mut meter)? {
            Ok(cursor) => open.push((cursor, base.to_path_buf(), top_depth + 1)),
            Err((lba, what)) => return Err(Error::Corrupt { lba, what }),
        }
        while let Some((cursor, dir_path, depth)) = open.last_mut() {
            let broken = match self.next_item(cursor) {
                Ok(Some(Item::Entry(entry))) => {
                    let path = dir_path.join(&entry.name);
                    meter.charge_path(path.as_os_str().len(), self.ce_bytes)?;
                    meter.stats.entries += 1;
                    let w = WalkEntry {
                        path,
                        depth: *depth,
                        entry,
                    };
                    visit(&w)?;
                    if w.entry.is_dir() {
                        match self.enter_dir(&w.entry, w.depth, &mut claimed, &mut meter)? {
                            Ok(cursor) => open.push((cursor, w.path, w.depth + 1)),
                            Err((lba, what)) => {
                                meter.stats.damaged += 1;
                                damaged(&Damaged {
                                    path: w.path,
                                    is_dir: true,
                                    lba,
                                    what,
                                })?;
                            }
                        }
                    }
                    continue;
                }
                Ok(Some(Item::Damaged(mut d))) => {
                    d.path = dir_path.join(&d.path);
                    meter.stats.damaged += 1;
                    meter.check(self.ce_bytes)?;
                    damaged(&d)?;
                    continue;
                }
                Ok(None) => None,
                // Before its first item: the directory as a whole is unreadable.
                Err(e) if open.len() == 1 => return Err(e),
                Err(Error::Corrupt { lba, what }) => Some((lba, what)),
                Err(Error::ReadSectors { lba, .. }) => Some((lba, "directory unreadable")),
                Err(e) => return Err(e),
            };
            if let Some((_, path, _)) = open.pop() {
                if let Some((lba, what)) = broken {
                    meter.stats.damaged += 1;
                    damaged(&Damaged {
                        path,
                        is_dir: true,
                        lba,
                        what,
                    })?;
                }
            }
        }
        Ok(meter.stats)
    }

    /// Opens directory `dir` (at `depth`) for a walk: claims its sectors and charges them to
    /// `meter`. The inner error is why the directory cannot be read (its sector and what);
    /// the outer one stops the walk.
    #[allow(clippy::type_complexity)]
    fn enter_dir(
        &mut self,
        dir: &Entry,
        depth: usize,
        claimed: &mut ClaimedSectors,
        meter: &mut Meter,
    ) -> Result<std::result::Result<DirCursor, (u32, &'static str)>> {
        let ext = dir
            .extents
            .first()
            .copied()
            .unwrap_or(Extent { lba: 0, len: 0 });
        if !claimed.claim(ext.lba, u64::from(ext.len.div_ceil(SECTOR_SIZE as u32))) {
            return Ok(Err((ext.lba, "directory overlaps another (a loop)")));
        }
        if depth >= MAX_DEPTH {
            return Ok(Err((ext.lba, NESTED_TOO_DEEP)));
        }
        meter.stats.directories += 1;
        let cursor = match self.open_dir(dir) {
            Ok(c) => c,
            Err(Error::Corrupt { lba, what }) => return Ok(Err((lba, what))),
            Err(e) => return Err(e),
        };
        meter.charge_dir(ext.len, self.ce_bytes)?;
        Ok(Ok(cursor))
    }

    /// The entry at `path` ("/" or "" is the root). Damaged siblings on the way do not
    /// matter.
    ///
    /// # Errors
    /// `NotFound`; `Corrupt` when the entry itself (or a directory on the way) is damaged;
    /// read errors.
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
            // Read through the cursor up to the name: a lookup in a directory of a million
            // entries holds one of them. A readable entry of that name wins over a damaged
            // record of the same name wherever it comes.
            let mut meter = Meter::new(self.volume_end(), self.ce_bytes);
            let mut cursor = self.open_dir(&cur)?;
            meter.charge_dir(cursor.ext.len, self.ce_bytes)?;
            let mut found = None;
            let mut broken = None;
            while let Some(item) = self.next_item(&mut cursor)? {
                match item {
                    Item::Entry(e) if e.name.as_bytes() == comp => {
                        found = Some(e);
                        break;
                    }
                    Item::Entry(e) => meter.charge_path(e.name.len(), self.ce_bytes)?,
                    Item::Damaged(d) if d.path.as_os_str().as_bytes() == comp => {
                        broken.get_or_insert(d);
                    }
                    Item::Damaged(_) => meter.check(self.ce_bytes)?,
                }
            }
            cur = match (found, broken) {
                (Some(e), _) => e,
                (None, Some(d)) => {
                    return Err(Error::Corrupt {
                        lba: d.lba,
                        what: d.what,
                    })
                }
                (None, None) => return Err(Error::NotFound(path.to_path_buf())),
            };
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
        if entry.kind == EntryKind::File {
            self.open_extents(&entry.extents)
        } else {
            self.open_extents(&[])
        }
    }

    /// A reader over the bytes of `extents`, one after another: a file's content when a
    /// caller kept only its extents (a walk over a million files need not keep their
    /// entries).
    ///
    /// # Errors
    /// `Corrupt` if an extent lies outside the volume.
    pub fn open_extents(&mut self, extents: &[Extent]) -> Result<FileReader<'_, R>> {
        for x in extents {
            if x.len > 0 {
                self.check_extent(x.lba, u64::from(x.len))?;
            }
        }
        let extents = extents.to_vec();
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
        self.read_sectors(lba, &mut buf)
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
        md5_index: rr.md5_index,
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
