//! Verifying a session against the MD5 checksums recorded in it (libisofs's format, see
//! [`crate::raw::checksum`]), without its sources: what `xorriso -check_md5` and
//! `-check_media` check, in one pass over the session and one read of every checksummed file.

use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use super::{Entry, EntryKind, Image, Namespace};
use crate::error::{Error, Result};
use crate::raw::checksum::{self, ChecksumArea, Digest, Running, Tag, TagKind, ENTRY_LEN};
use crate::raw::{FIRST_DESCRIPTOR_LBA, SECTOR_BYTES, SECTOR_SIZE};

/// Sectors after the first descriptor searched for the superblock tag (the descriptor set
/// terminator comes first; libisofs looks up to LBA 32 of the session).
const SUPERBLOCK_TAG_SEARCH: u32 = 32;
/// Sectors read at a time in the sequential pass.
const CHUNK_SECTORS: usize = 32;
/// Largest checksum array read (16 million files).
const MAX_ARRAY_ENTRIES: u32 = 1 << 24;

/// Consecutive sectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockRange {
    /// First LBA.
    pub start: u32,
    /// Number of sectors.
    pub sectors: u32,
}

impl BlockRange {
    fn between(start: u32, end: u32) -> BlockRange {
        BlockRange {
            start,
            sectors: end.saturating_sub(start),
        }
    }
}

impl std::fmt::Display for BlockRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "LBA {}..{}",
            self.start,
            u64::from(self.start) + u64::from(self.sectors)
        )
    }
}

/// One checksum tag and whether the sectors it covers match it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagCheck {
    /// Which tag.
    pub kind: TagKind,
    /// Where it was found.
    pub lba: u32,
    /// The sectors it covers.
    pub range: BlockRange,
    /// Whether they match (and the tag's own fields agree with where it was found).
    pub ok: bool,
    /// On a mismatch, where the damage is: after the last tag that matched, up to this one.
    pub suspect: Option<BlockRange>,
}

/// One file with a recorded MD5.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCheck {
    /// Path in the image.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// Whether its content matches its recorded MD5.
    pub ok: bool,
    /// Where its bytes are.
    pub ranges: Vec<BlockRange>,
    /// The verdict was taken from a file already checked with the same [`VerifiedFiles`]
    /// (same extents, size and recorded MD5: a hard link, or a file a later session kept),
    /// not read again.
    pub reused: bool,
}

/// A file's data as a session records it: its extents (LBA, bytes), size and recorded MD5.
type FileKey = (Vec<(u32, u32)>, u64, Digest);

/// Verdicts on file data already read, shared between the [`Image::check_md5_sharing`] runs
/// over the sessions of one disc.
///
/// A file kept from an earlier session is recorded in every later session's tree with the
/// same extents and (when the MD5 was carried forward) the same MD5. Reading its bytes again
/// and comparing them with the same digest cannot give another answer, so its verdict is
/// reused. The key is the file's extents, its size and the MD5 the session records: a
/// session that records a *different* MD5 for the same blocks (a damaged array, a file
/// rewritten in place on overwritable media) gets its own read.
#[derive(Debug, Default, Clone)]
pub struct VerifiedFiles {
    seen: std::collections::HashMap<FileKey, bool>,
    reads: u64,
    reused: u64,
}

impl VerifiedFiles {
    /// Files whose data was read and hashed.
    pub fn reads(&self) -> u64 {
        self.reads
    }

    /// Files whose verdict was reused instead of read again.
    pub fn reused(&self) -> u64 {
        self.reused
    }
}

/// Something that keeps a part of the session from being verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckProblem {
    /// Where.
    pub lba: u32,
    /// What.
    pub what: String,
}

/// What [`Image::check_md5`] found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Md5Report {
    /// First block of the checked session.
    pub session_start: u32,
    /// The checksum tags met, in order.
    pub tags: Vec<TagCheck>,
    /// The relocated superblock tag of the copy of the session's descriptors at LBA 0 of an
    /// overwritable medium, when the volume was opened there and the copy carries one.
    pub superblock_copy: Option<TagCheck>,
    /// Where the checksum array is (`isofs.ca`), if recorded.
    pub area: Option<ChecksumArea>,
    /// Whether the session matches checksum array entry 0 (`xorriso -check_md5 --`).
    pub session_ok: Option<bool>,
    /// Whether the array matches its own last entry.
    pub array_ok: Option<bool>,
    /// Every file with a recorded MD5.
    pub files: Vec<FileCheck>,
    /// Regular files without a recorded MD5 (typically kept from an earlier session written
    /// without checksums): neither verified nor found bad, as `xorriso -check_md5_r` reports
    /// them ("data files which have no MD5 and thus could not be checked").
    pub files_without_md5: Vec<PathBuf>,
    /// Damaged tags, records and unreadable sectors.
    pub problems: Vec<CheckProblem>,
}

impl Md5Report {
    /// Whether the session records any checksum to verify.
    pub fn has_checksums(&self) -> bool {
        !self.tags.is_empty() || self.area.is_some()
    }

    /// Whether everything recorded was verified and matches.
    pub fn is_ok(&self) -> bool {
        self.has_checksums()
            && self.problems.is_empty()
            && self.tags.iter().all(|t| t.ok)
            && self.superblock_copy.as_ref().is_none_or(|t| t.ok)
            && self.session_ok != Some(false)
            && self.array_ok != Some(false)
            && self.files.iter().all(|f| f.ok)
    }
}

/// A session's checksum array, read to carry its files' MD5s into a later session
/// ([`Image::carried_checksums`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecksumArray {
    area: ChecksumArea,
    entries: Vec<Digest>,
}

impl ChecksumArray {
    /// Where the array is and what it covers (`isofs.ca`).
    pub fn area(&self) -> ChecksumArea {
        self.area
    }

    /// The MD5 a file with checksum index `index` (its `isofs.cx`) records; `None` for the
    /// session's entry (0), the array's own (the last) and indices outside the array.
    pub fn file_md5(&self, index: u32) -> Option<Digest> {
        let last = self.entries.len().saturating_sub(1);
        let i = usize::try_from(index).ok()?;
        if i == 0 || i >= last {
            return None;
        }
        self.entries.get(i).copied()
    }
}

/// What [`Image::carried_checksums`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CarriedChecksums {
    /// The session records no checksum array (written without MD5s, e.g. by mkisofs or
    /// growisofs): its files have no MD5 to carry.
    Absent,
    /// The array, trusted (see [`Image::carried_checksums`]).
    Usable(ChecksumArray),
    /// The session records an array that cannot be trusted, and why.
    Unusable(CheckProblem),
}

impl<R: Read + Seek> Image<R> {
    /// `isofs.ca` of the root: where the session's checksum array is.
    ///
    /// # Errors
    /// `Corrupt`, `ReadSectors`.
    pub fn checksum_area(&mut self) -> Result<Option<ChecksumArea>> {
        if self.rr_skip.is_none() {
            return Ok(None);
        }
        let root = self.root_record_of(false)?;
        let su = self.first_record(root.lba)?;
        Ok(self.rr_fields(&su, root.lba)?.checksum_area)
    }

    /// Verifies the session against its recorded MD5s: the checksum tags (each over every
    /// sector from the session start up to it), the session MD5 and the array's own in the
    /// checksum array, and every file with an `isofs.cx` index. The session starts where
    /// `isofs.ca` says (a volume opened at an overwritable medium's superblock copy is
    /// checked at its real session), else at [`Image::session_start`].
    ///
    /// A volume opened at such a copy (at LBA 0, describing a session that starts later)
    /// also has the copy checked: its relocated superblock tag, if it carries one, must
    /// match blocks 0 up to the tag and name the session checked (libisofs checks the same
    /// before it loads a volume from LBA 0; see [`crate::multisession::seal_superblock_copy`]).
    ///
    /// Mismatches, damaged tags and unreadable sectors are reported, not returned as errors.
    ///
    /// # Errors
    /// The root is unreadable; [`Error::BudgetExceeded`] walking the tree.
    pub fn check_md5(&mut self) -> Result<Md5Report> {
        self.check_md5_scoped(None, &mut VerifiedFiles::default())
    }

    /// As [`Image::check_md5`], for checking several sessions of one disc: a file whose
    /// extents, size and recorded MD5 were verified by an earlier call with the same `seen`
    /// gets that verdict ([`FileCheck::reused`]) instead of being read again (see
    /// [`VerifiedFiles`]). Checking the newest session first lets every older session reuse
    /// what the newest one kept.
    ///
    /// # Errors
    /// As [`Image::check_md5`].
    pub fn check_md5_sharing(&mut self, seen: &mut VerifiedFiles) -> Result<Md5Report> {
        self.check_md5_scoped(None, seen)
    }

    /// As [`Image::check_md5`], but only the files below the directories `dirs` (absolute
    /// image paths, `/2026/11/22`) are read and reported; the tags and the checksum array
    /// still cover the whole session. For verifying a part of a disc without reading every
    /// file an appended session shows.
    ///
    /// # Errors
    /// As [`Image::check_md5`].
    pub fn check_md5_below(&mut self, dirs: &[PathBuf]) -> Result<Md5Report> {
        self.check_md5_scoped(Some(dirs), &mut VerifiedFiles::default())
    }

    fn check_md5_scoped(
        &mut self,
        dirs: Option<&[PathBuf]>,
        seen: &mut VerifiedFiles,
    ) -> Result<Md5Report> {
        let area = self.checksum_area()?;
        let start = area.map_or(self.session, |a| a.start);
        let mut report = Md5Report {
            session_start: start,
            area,
            ..Md5Report::default()
        };
        if self.session == 0 && start > 0 {
            self.check_superblock_copy(&mut report);
        }
        let array = self.check_tags(&mut report);
        if let Some(entries) = &array {
            self.check_files(entries, &mut report, dirs, seen)?;
        }
        Ok(report)
    }

    /// The session's checksum array, for carrying the MD5s of files kept from this session
    /// into an appended one (libisofs does the same: a kept file's `isofs.cx` index into the
    /// old array becomes an index into the new array holding the same MD5).
    ///
    /// The array is trusted when `isofs.ca` is well formed, the array lies inside the volume
    /// and matches its own last entry (what libisofs checks when it loads an array), and the
    /// session tag after it is present, undamaged (its `self=` digest) and placed and ranged
    /// as that array's session tag. The tag's MD5 over the session is *not* recomputed: that
    /// means reading the whole earlier session, gigabytes on a full disc, at every append.
    /// A file whose data was damaged since keeps its recorded MD5, so the damage shows at the
    /// next `check_md5` of the new session instead of being written over by a fresh digest.
    ///
    /// # Errors
    /// Only [`Error::ReadSectors`] reading the root directory; a damaged `isofs.ca`, array
    /// or tag is [`CarriedChecksums::Unusable`].
    pub fn carried_checksums(&mut self) -> Result<CarriedChecksums> {
        let area = match self.checksum_area() {
            Ok(Some(a)) => a,
            Ok(None) => return Ok(CarriedChecksums::Absent),
            Err(Error::Corrupt { lba, what }) => {
                return Ok(CarriedChecksums::Unusable(CheckProblem {
                    lba,
                    what: what.to_owned(),
                }))
            }
            Err(e) => return Err(e),
        };
        let unusable = |lba, what: &str| {
            CarriedChecksums::Unusable(CheckProblem {
                lba,
                what: what.to_owned(),
            })
        };
        let entries = match self.read_array(area) {
            Ok((entries, true)) => entries,
            Ok((_, false)) => {
                return Ok(unusable(
                    area.end,
                    "checksum array damaged (does not match its own MD5)",
                ))
            }
            Err(p) => return Ok(CarriedChecksums::Unusable(p)),
        };
        let tag_lba = area.end.saturating_add(area.sectors());
        let mut sector = vec![0u8; SECTOR_SIZE];
        if u64::from(tag_lba) >= self.volume_end() || self.read_at(tag_lba, &mut sector).is_err() {
            return Ok(unusable(
                tag_lba,
                "session tag after the checksum array unreadable",
            ));
        }
        match Tag::decode(&sector) {
            Ok(Some(t))
                if t.kind == TagKind::Session
                    && t.pos == tag_lba
                    && t.range_start == area.start
                    && u64::from(t.range_size) == u64::from(tag_lba.saturating_sub(area.start)) =>
            {
                Ok(CarriedChecksums::Usable(ChecksumArray { area, entries }))
            }
            Ok(Some(_)) => Ok(unusable(
                tag_lba,
                "the tag after the checksum array is not its session tag",
            )),
            Ok(None) => Ok(unusable(tag_lba, "no session tag after the checksum array")),
            Err(m) => Ok(unusable(tag_lba, m.0)),
        }
    }

    /// Reads the checksum array `area` describes; returns its entries and whether the last
    /// one is the MD5 of the others.
    fn read_array(
        &mut self,
        area: ChecksumArea,
    ) -> std::result::Result<(Vec<Digest>, bool), CheckProblem> {
        let problem = |what: &str| CheckProblem {
            lba: area.end,
            what: what.to_owned(),
        };
        if area.count < 2 || area.count > MAX_ARRAY_ENTRIES {
            return Err(problem("checksum array size implausible"));
        }
        if u64::from(area.end) + u64::from(area.sectors()) > self.volume_end() {
            return Err(problem("checksum array past the volume"));
        }
        let mut bytes = vec![0u8; area.count as usize * ENTRY_LEN];
        if self.read_at(area.end, &mut bytes).is_err() {
            return Err(problem("checksum array unreadable"));
        }
        let entries: Vec<Digest> = bytes
            .chunks_exact(ENTRY_LEN)
            .map(|c| {
                let mut d = [0u8; ENTRY_LEN];
                d.copy_from_slice(c);
                d
            })
            .collect();
        let own = bytes.len().saturating_sub(ENTRY_LEN);
        let ok = entries.last().copied() == Some(checksum::md5(bytes.get(..own).unwrap_or(&[])));
        Ok((entries, ok))
    }

    fn read_at(&mut self, lba: u32, buf: &mut [u8]) -> std::io::Result<()> {
        self.read_sectors(lba, buf)
    }

    /// The relocated superblock tag in blocks 16..31 of the copy at LBA 0, as libisofs looks
    /// for it: the first tag there decides. A superblock tag copied along with the
    /// descriptors (by a tool that writes no relocated tag) covers the session, not the
    /// copy, and is not checked here.
    fn check_superblock_copy(&mut self, report: &mut Md5Report) {
        let mut running = Running::default();
        let mut sector = vec![0u8; SECTOR_SIZE];
        for lba in 0..SUPERBLOCK_TAG_SEARCH {
            if self.read_at(lba, &mut sector).is_err() {
                report.problems.push(CheckProblem {
                    lba,
                    what: "superblock copy unreadable".to_owned(),
                });
                return;
            }
            if lba > FIRST_DESCRIPTOR_LBA {
                match Tag::decode(&sector) {
                    Ok(Some(t)) if t.kind == TagKind::RelocatedSuperblock => {
                        let md5_ok = t.pos == lba
                            && t.range_start == 0
                            && t.range_size == lba
                            && t.md5 == running.digest();
                        let names = t.next.unwrap_or(0);
                        if md5_ok && names != report.session_start {
                            report.problems.push(CheckProblem {
                                lba,
                                what: format!(
                                    "the superblock copy's tag names the session at LBA {names}, \
                                     but the copy describes the session at LBA {}",
                                    report.session_start
                                ),
                            });
                        }
                        let ok = md5_ok && names == report.session_start;
                        report.superblock_copy = Some(TagCheck {
                            kind: t.kind,
                            lba,
                            range: BlockRange::between(0, lba),
                            ok,
                            suspect: (!ok).then(|| BlockRange::between(0, lba)),
                        });
                        return;
                    }
                    Ok(Some(_)) => return,
                    Ok(None) => {}
                    Err(m) => {
                        report.problems.push(CheckProblem {
                            lba,
                            what: format!("superblock copy: {}", m.0),
                        });
                        return;
                    }
                }
            }
            running.update(&sector);
        }
    }

    /// The tags and the array; returns the array's entries when it could be read.
    fn check_tags(&mut self, report: &mut Md5Report) -> Option<Vec<Digest>> {
        let start = report.session_start;
        let end = self.volume_end();
        let problem = |report: &mut Md5Report, lba, what: String| {
            report.problems.push(CheckProblem { lba, what });
        };
        // Where the tags are: the superblock tag right after the descriptors, the others
        // where the one before says; without it, the session tag after the array.
        let mut expected: Vec<(u32, TagKind)> = Vec::new();
        let mut sector = vec![0u8; SECTOR_SIZE];
        let first = start.saturating_add(FIRST_DESCRIPTOR_LBA + 1);
        for lba in first..first.saturating_add(SUPERBLOCK_TAG_SEARCH) {
            if u64::from(lba) >= end || self.read_at(lba, &mut sector).is_err() {
                break;
            }
            match Tag::decode(&sector) {
                Ok(Some(t)) if t.kind == TagKind::Superblock => {
                    expected.push((lba, t.kind));
                    break;
                }
                Ok(_) => {}
                Err(m) => {
                    problem(report, lba, m.0.to_owned());
                    break;
                }
            }
        }
        let array_sectors = report.area.map(|a| (a.end, a.sectors()));
        if expected.is_empty() {
            if let Some((at, n)) = array_sectors {
                expected.push((at.saturating_add(n), TagKind::Session));
            }
        }

        // One pass from the session start, hashing; each expected tag is checked against
        // the MD5 of what came before it, then hashed too.
        let mut running = Running::default();
        let mut at_array: Option<Digest> = None;
        let mut last_good = start;
        let mut next_index = 0usize;
        let mut lba = start;
        let mut chunk = vec![0u8; CHUNK_SECTORS * SECTOR_SIZE];
        while let Some(&(tag_lba, kind)) = expected.get(next_index) {
            if tag_lba < lba || u64::from(tag_lba) >= end {
                problem(
                    report,
                    tag_lba,
                    format!("{} tag expected outside the session", kind.name()),
                );
                break;
            }
            // Hash up to the tag, a chunk at a time.
            let mut failed = false;
            while lba < tag_lba {
                let n = (tag_lba - lba).min(CHUNK_SECTORS as u32);
                let buf = chunk.get_mut(..n as usize * SECTOR_SIZE).unwrap_or(&mut []);
                if self.read_at(lba, buf).is_err() {
                    problem(report, lba, "unreadable".to_owned());
                    failed = true;
                    break;
                }
                if let Some((array_lba, _)) = array_sectors {
                    if (lba..lba + n).contains(&array_lba) {
                        let before = (array_lba - lba) as usize * SECTOR_SIZE;
                        let mut r = running.clone();
                        r.update(buf.get(..before).unwrap_or(&[]));
                        at_array = Some(r.digest());
                    }
                }
                running.update(buf);
                lba += n;
            }
            if failed {
                break;
            }
            if self.read_at(tag_lba, &mut sector).is_err() {
                problem(report, tag_lba, "unreadable".to_owned());
                break;
            }
            match Tag::decode(&sector) {
                Ok(Some(t)) => {
                    let ok = t.kind == kind
                        && t.pos == tag_lba
                        && t.range_start == start
                        && u64::from(t.range_size) == u64::from(tag_lba - start)
                        && t.md5 == running.digest();
                    report.tags.push(TagCheck {
                        kind: t.kind,
                        lba: tag_lba,
                        range: BlockRange::between(start, tag_lba),
                        ok,
                        suspect: (!ok).then(|| BlockRange::between(last_good, tag_lba)),
                    });
                    if ok {
                        last_good = tag_lba + 1;
                    }
                    if let Some(next) = t.next {
                        let kind = if t.kind == TagKind::Superblock {
                            TagKind::Tree
                        } else {
                            TagKind::Session
                        };
                        expected.push((next, kind));
                    }
                }
                Ok(None) => problem(
                    report,
                    tag_lba,
                    format!("{} tag missing where expected", kind.name()),
                ),
                Err(m) => problem(report, tag_lba, m.0.to_owned()),
            }
            running.update(&sector);
            lba = tag_lba + 1;
            next_index += 1;
            if expected.len() > 3 {
                break;
            }
        }

        let area = report.area?;
        let (entries, array_ok) = match self.read_array(area) {
            Ok(read) => read,
            Err(p) => {
                report.problems.push(p);
                return None;
            }
        };
        report.array_ok = Some(array_ok);
        if at_array.is_none() && lba <= area.end {
            // No tag past the array was followed: hash up to it now.
            let mut failed = false;
            while lba < area.end {
                let n = (area.end - lba).min(CHUNK_SECTORS as u32);
                let buf = chunk.get_mut(..n as usize * SECTOR_SIZE).unwrap_or(&mut []);
                if self.read_at(lba, buf).is_err() {
                    problem(report, lba, "unreadable".to_owned());
                    failed = true;
                    break;
                }
                running.update(buf);
                lba += n;
            }
            if !failed {
                at_array = Some(running.digest());
            }
        }
        report.session_ok = at_array.map(|d| entries.first() == Some(&d));
        Some(entries)
    }

    fn check_files(
        &mut self,
        entries: &[Digest],
        report: &mut Md5Report,
        dirs: Option<&[PathBuf]>,
        seen: &mut VerifiedFiles,
    ) -> Result<()> {
        if self.namespace != Namespace::RockRidge {
            return Ok(());
        }
        let mut files: Vec<(PathBuf, Entry)> = Vec::new();
        let mut damaged = Vec::new();
        let root = self.root()?;
        self.walk_lossy(
            &root,
            Path::new(""),
            |w| {
                if w.entry.kind == EntryKind::File {
                    let path = Path::new("/").join(&w.path);
                    if dirs.is_none_or(|d| d.iter().any(|d| path.starts_with(d))) {
                        files.push((path, w.entry.clone()));
                    }
                }
                Ok(())
            },
            |d| {
                damaged.push(CheckProblem {
                    lba: d.lba,
                    what: format!("{d}"),
                });
                Ok(())
            },
        )?;
        report.problems.extend(damaged);
        // The first and last entries are the session's and the array's own.
        let last = entries.len().saturating_sub(1);
        for (path, entry) in files {
            let Some(index) = entry.md5_index else {
                report.files_without_md5.push(path);
                continue;
            };
            let ranges = entry
                .extents
                .iter()
                .filter(|x| x.len > 0)
                .map(|x| BlockRange {
                    start: x.lba,
                    sectors: u64::from(x.len).div_ceil(SECTOR_BYTES) as u32,
                })
                .collect();
            let recorded = match entries.get(index as usize) {
                Some(d) if index != 0 && (index as usize) < last => *d,
                _ => {
                    report.problems.push(CheckProblem {
                        lba: entry.extents.first().map_or(0, |x| x.lba),
                        what: format!(
                            "{}: checksum index {index} outside the array",
                            path.display()
                        ),
                    });
                    continue;
                }
            };
            let key = (
                entry.extents.iter().map(|x| (x.lba, x.len)).collect(),
                entry.size,
                recorded,
            );
            let (ok, reused) = match seen.seen.get(&key) {
                Some(&ok) => {
                    seen.reused += 1;
                    (ok, true)
                }
                None => {
                    let mut hasher = HashWriter::default();
                    let ok = match self.read_file(&entry, &mut hasher) {
                        Ok(_) => hasher.0.digest() == recorded,
                        Err(Error::Corrupt { .. } | Error::ReadSectors { .. }) => false,
                        Err(e) => return Err(e),
                    };
                    seen.reads += 1;
                    seen.seen.insert(key, ok);
                    (ok, false)
                }
            };
            report.files.push(FileCheck {
                path,
                size: entry.size,
                ok,
                ranges,
                reused,
            });
        }
        Ok(())
    }
}

#[derive(Default)]
struct HashWriter(Running);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
