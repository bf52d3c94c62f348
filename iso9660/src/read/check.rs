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
    /// Where the checksum array is (`isofs.ca`), if recorded.
    pub area: Option<ChecksumArea>,
    /// Whether the session matches checksum array entry 0 (`xorriso -check_md5 --`).
    pub session_ok: Option<bool>,
    /// Whether the array matches its own last entry.
    pub array_ok: Option<bool>,
    /// Every file with a recorded MD5.
    pub files: Vec<FileCheck>,
    /// Regular files without a recorded MD5.
    pub files_without_md5: u64,
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
            && self.session_ok != Some(false)
            && self.array_ok != Some(false)
            && self.files.iter().all(|f| f.ok)
    }
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
    /// Mismatches, damaged tags and unreadable sectors are reported, not returned as errors.
    ///
    /// # Errors
    /// The root is unreadable; [`Error::BudgetExceeded`] walking the tree.
    pub fn check_md5(&mut self) -> Result<Md5Report> {
        let area = self.checksum_area()?;
        let start = area.map_or(self.session, |a| a.start);
        let mut report = Md5Report {
            session_start: start,
            area,
            ..Md5Report::default()
        };
        let array = self.check_tags(&mut report);
        if let Some(entries) = &array {
            self.check_files(entries, &mut report)?;
        }
        Ok(report)
    }

    fn read_at(&mut self, lba: u32, buf: &mut [u8]) -> std::io::Result<()> {
        self.read_sectors(lba, buf)
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
        if area.count < 2 || area.count > MAX_ARRAY_ENTRIES {
            problem(
                report,
                area.end,
                "checksum array size implausible".to_owned(),
            );
            return None;
        }
        if u64::from(area.end) + u64::from(area.sectors()) > end {
            problem(
                report,
                area.end,
                "checksum array past the volume".to_owned(),
            );
            return None;
        }
        let mut bytes = vec![0u8; area.count as usize * ENTRY_LEN];
        if self.read_at(area.end, &mut bytes).is_err() {
            problem(report, area.end, "checksum array unreadable".to_owned());
            return None;
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
        report.array_ok =
            Some(entries.last().copied() == Some(checksum::md5(bytes.get(..own).unwrap_or(&[]))));
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

    fn check_files(&mut self, entries: &[Digest], report: &mut Md5Report) -> Result<()> {
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
                    files.push((Path::new("/").join(&w.path), w.entry.clone()));
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
                report.files_without_md5 += 1;
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
            let mut hasher = HashWriter::default();
            let ok = match self.read_file(&entry, &mut hasher) {
                Ok(_) => hasher.0.digest() == recorded,
                Err(Error::Corrupt { .. } | Error::ReadSectors { .. }) => false,
                Err(e) => return Err(e),
            };
            report.files.push(FileCheck {
                path,
                size: entry.size,
                ok,
                ranges,
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
