//! Writing images: [`ImageBuilder`] collects sources, [`ImageBuilder::plan`] fixes the
//! [`Layout`], and [`Layout::write_to`] streams it.
//!
//! # Decisions
//! * **Rock Ridge is always on.** [`Ownership::Rationalized`] (`-r`, the default, what Cedar
//!   uses) or [`Ownership::Exact`] (`-R`).
//! * **Deep directories are not relocated** (no `RE`/`CL`/`PL`, no `rr_moved`), as xorrisofs
//!   does by default: every reader we test against handles depth > 8, while a relocation
//!   directory shows up as clutter in two of three readers.
//! * **Device files and fifos are recorded** through Rock Ridge (PX file type, PN device
//!   number), as mkisofs `-R` does; they are zero-length files in the plain ISO 9660 tree and
//!   absent from Joliet. **Sockets are skipped** with a [`Warning`], as tar does: a socket is
//!   bound by a running process and cannot be restored.
//! * **Hard links** share one extent and PX serial number, with PX nlink = links in the image.
//! * **Sparse files** are read with SEEK_DATA/SEEK_HOLE; holes are written as zeros without
//!   reading them (Rock Ridge SF is not written: no reader we know restores it).
//! * **Empty files** point at LBA 0 with length 0.
//! * **Joliet** (on by default) shares file extents with the ISO 9660 tree; symlinks and special
//!   files are left out of it, as libisofs does. Names are cut to 64 UCS-2 characters.
//! * **MD5 checksums** (optional, [`Options::md5`]) are recorded in libisofs's format, so
//!   xorriso verifies our images and we verify its: the three checksum tags, the checksum
//!   array after the file data and the AAIP attributes `isofs.ca` (root) and `isofs.cx`
//!   (each file) in Rock Ridge AL entries, without the AAIP ER entry (as xorriso writes
//!   them). Hard links share one index. Files imported from an earlier session keep the MD5
//!   that session recorded (copied from its checksum array into the new one, as libisofs
//!   does), and have none if it recorded none.
//! * **Times**: with `source_date_epoch` set, the volume dates, synthetic directories and TF
//!   access/attribute times use it or the file's mtime, so the same inputs give the same bytes.

mod layout;
mod names;
pub(crate) mod rock_ridge;
mod sink;
mod tree;

use std::ffi::{OsStr, OsString};
use std::io::{Read, Seek};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

pub use layout::{Layout, WriteSummary};
pub use names::{directory_identifiers, Identifiers};
pub use sink::SparseFileWriter;

use crate::error::{Error, Result};
use crate::raw::Lba;
use crate::read::{CarriedChecksums, Image};
use tree::{components, Tree};

/// How owners and permissions are recorded in Rock Ridge PX entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ownership {
    /// `-r`: uid and gid 0, read for everyone, no write bits, execute for everyone if anyone
    /// had it, set-uid/set-gid/sticky cleared (mkisofs `-r`).
    #[default]
    Rationalized,
    /// `-R`: modes, owners and groups exactly as found.
    Exact,
}

/// Image-wide options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Volume identifier (the disc label), at most 32 ASCII characters.
    pub volume_id: String,
    /// Write a Joliet tree too.
    pub joliet: bool,
    /// Rock Ridge owners and modes.
    pub ownership: Ownership,
    /// Fixed "now" for reproducible images (seconds since the epoch), as `SOURCE_DATE_EPOCH`.
    pub source_date_epoch: Option<i64>,
    /// Fail planning if the image would end past this LBA (medium capacity in sectors).
    pub capacity: Option<u32>,
    /// Record MD5 checksums as libisofs does (xorriso `-md5 on`): superblock, tree and
    /// session checksum tags, and an MD5 for every file written, so the image can be
    /// verified without its sources (`xorriso -check_md5`, `-check_media`,
    /// [`Image::check_md5`]). Adds a few sectors; see [`crate::raw::checksum`].
    pub md5: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            volume_id: "CDROM".to_owned(),
            joliet: true,
            ownership: Ownership::default(),
            source_date_epoch: None,
            capacity: None,
            md5: false,
        }
    }
}

impl Options {
    /// `SOURCE_DATE_EPOCH` from the environment, if set and a valid integer.
    pub fn source_date_epoch_from_env() -> Option<i64> {
        std::env::var("SOURCE_DATE_EPOCH").ok()?.trim().parse().ok()
    }
}

/// The longest symbolic link target recorded, in bytes. libisofs (xorriso) refuses targets of
/// 1024 bytes and more, and fails to load the *whole* tree when it meets one; `isoinfo -R`
/// overruns a buffer on them. A backup whose restore tools give up on every file is worse
/// than a run that stops naming the link, so longer targets are refused
/// ([`crate::Error::SymlinkTooLong`]); see `docs/iso9660-notes.md`.
pub const MAX_SYMLINK_TARGET: usize = 1023;

/// Something the builder skipped or changed, also logged with `log::warn!`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// A socket was found and left out.
    SkippedSocket(PathBuf),
    /// The earlier session records a checksum array that cannot be trusted
    /// ([`Image::carried_checksums`]): the files kept from it get no MD5 in this session.
    ChecksumsNotCarried {
        /// Where the damage is.
        lba: u32,
        /// What is wrong.
        reason: String,
    },
}

/// One source and where it goes in the image.
///
/// A directory source has its *contents* put at `dest` (which becomes a directory with the
/// source's metadata); any other source becomes `dest` itself, or `dest/NAME` when `dest` ends
/// with `/` (mkisofs `-graft-points` rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraftPoint {
    /// Path inside the image; "/" or "" is the root.
    pub dest: OsString,
    /// Path on the local file system.
    pub source: PathBuf,
}

impl GraftPoint {
    /// A bare `PATH` argument: a directory's contents go to the root, a file goes to `/NAME`.
    pub fn path(source: impl Into<PathBuf>) -> GraftPoint {
        GraftPoint {
            dest: OsString::from("/"),
            source: source.into(),
        }
    }

    /// Parses `DEST=SOURCE`, where `\=` and `\\` stand for a literal `=` and `\` in either
    /// part (mkisofs syntax). A spec without an unescaped `=` is a bare path.
    ///
    /// # Errors
    /// `InvalidGraft` for an empty source.
    pub fn parse(spec: &OsStr) -> Result<GraftPoint> {
        let bytes = spec.as_bytes();
        let mut dest = Vec::new();
        let mut cur = Vec::new();
        let mut split = false;
        let mut it = bytes.iter().copied();
        while let Some(c) = it.next() {
            match c {
                b'\\' => match it.next() {
                    Some(n @ (b'=' | b'\\')) => cur.push(n),
                    Some(n) => {
                        cur.push(b'\\');
                        cur.push(n);
                    }
                    None => cur.push(b'\\'),
                },
                b'=' if !split => {
                    split = true;
                    dest = std::mem::take(&mut cur);
                }
                c => cur.push(c),
            }
        }
        if cur.is_empty() {
            return Err(Error::InvalidGraft {
                spec: spec.to_owned(),
                reason: "empty source path",
            });
        }
        let source = PathBuf::from(OsStr::from_bytes(&cur));
        if !split {
            return Ok(GraftPoint::path(source));
        }
        Ok(GraftPoint {
            dest: OsStr::from_bytes(&dest).to_owned(),
            source,
        })
    }
}

/// Collects sources (and optionally an earlier session) for one image or session.
#[derive(Debug)]
pub struct ImageBuilder {
    options: Options,
    tree: Tree,
    start: u32,
}

impl ImageBuilder {
    /// A builder for a new, single-session image.
    ///
    /// # Errors
    /// `InvalidVolumeId` when the label is not at most 32 ASCII characters.
    pub fn new(options: Options) -> Result<ImageBuilder> {
        if options.volume_id.len() > 32 || !options.volume_id.is_ascii() {
            return Err(Error::InvalidVolumeId(options.volume_id));
        }
        let time = options.source_date_epoch.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
        Ok(ImageBuilder {
            tree: Tree::new(time),
            options,
            start: 0,
        })
    }

    /// A builder for a new volume whose first block is `start` (mkisofs `-C 0,start`
    /// without `-M`): every extent is addressed from there. libisoburn and spindle put the
    /// first session of an overwritable medium at LBA 32, leaving 0..31 for the superblock.
    ///
    /// # Errors
    /// `InvalidVolumeId`.
    pub fn new_at(options: Options, start: Lba) -> Result<ImageBuilder> {
        let mut b = ImageBuilder::new(options)?;
        b.start = start.0;
        Ok(b)
    }

    /// A builder for a session appended at `next_session` to the volume `previous` was opened
    /// on (mkisofs `-C last_start,next_session -M`). The previous session's tree (Rock Ridge
    /// names and metadata, or Joliet or plain names if it has no Rock Ridge) is imported;
    /// its files are referenced where they are, not copied. Sources added afterwards replace
    /// imported entries of the same path; [`ImageBuilder::remove`] deletes imported entries.
    ///
    /// With [`Options::md5`], each kept file whose session recorded an MD5 keeps it: the
    /// digest is copied from that session's checksum array into the new one (see
    /// [`Image::carried_checksums`] for when the old array is trusted), so the new session
    /// verifies every file it shows. Files from a session written without checksums have
    /// none.
    ///
    /// # Errors
    /// `InvalidVolumeId`, `CapacityExceeded` if `next_session` is inside the previous volume,
    /// and any error reading or parsing the previous session.
    pub fn append<R: Read + Seek>(
        options: Options,
        previous: &mut Image<R>,
        next_session: Lba,
    ) -> Result<ImageBuilder> {
        let mut b = ImageBuilder::new(options)?;
        if u64::from(next_session.0) < previous.volume_end() {
            return Err(Error::CapacityExceeded {
                needed: previous.volume_end(),
                available: u64::from(next_session.0),
            });
        }
        b.start = next_session.0;
        let root = previous.root()?;
        b.tree.set_root_meta(tree::Meta {
            mode: root.mode,
            uid: root.uid,
            gid: root.gid,
            mtime: root.mtime,
            mtime_nsec: 0,
            atime: root.atime,
            ctime: root.ctime,
        });
        // The kept files' MD5s come from the earlier session's checksum array; the new
        // session has no other way to know them, as it does not read those files again.
        let array = if b.options.md5 {
            match previous.carried_checksums()? {
                CarriedChecksums::Usable(a) => Some(a),
                CarriedChecksums::Absent => None,
                CarriedChecksums::Unusable(p) => {
                    log::warn!(
                        "the previous session's MD5 checksums are not carried forward (LBA {}: {}): \
                         the files kept from it get no MD5 in the new session",
                        p.lba,
                        p.what
                    );
                    b.tree.warnings.push(Warning::ChecksumsNotCarried {
                        lba: p.lba,
                        reason: p.what,
                    });
                    None
                }
            }
        } else {
            None
        };
        let mut stack: Vec<tree::NodeId> = vec![tree::ROOT];
        let tree = &mut b.tree;
        previous.walk(|w| {
            stack.truncate(w.depth);
            let parent = stack.last().copied().unwrap_or(tree::ROOT);
            let md5 = match (&array, w.entry.md5_index) {
                (Some(a), Some(i)) => a.file_md5(i),
                _ => None,
            };
            let id = tree.add_imported(parent, &w.entry, md5)?;
            if w.entry.is_dir() {
                stack.push(id);
            }
            Ok(())
        })?;
        b.tree.sort_imported();
        Ok(b)
    }

    /// Adds one source (see [`GraftPoint`]).
    ///
    /// # Errors
    /// `Source` if the source cannot be read, `Conflict` if a non-directory lands on a path
    /// that another source of this session already occupies, `NameTooLong` for names over 255
    /// bytes, `SymlinkTooLong` for a link target over [`MAX_SYMLINK_TARGET`] bytes, and
    /// `FileReplaced` when a directory is swapped for something else while it is surveyed.
    pub fn add(&mut self, graft: &GraftPoint) -> Result<&mut Self> {
        let dest = graft.dest.as_bytes();
        let mut comps = components(dest);
        let md = std::fs::symlink_metadata(&graft.source)
            .map_err(|e| Error::source_io(&graft.source, e))?;
        if !md.is_dir() && (comps.is_empty() || dest.ends_with(b"/")) {
            let name = graft.source.file_name().ok_or(Error::InvalidGraft {
                spec: graft.source.as_os_str().to_owned(),
                reason: "source has no file name",
            })?;
            comps.push(name.as_bytes().to_vec());
        }
        let dest_text = Path::new("/").join(OsStr::from_bytes(dest));
        self.tree.add_graft(&comps, &graft.source, &dest_text)?;
        Ok(self)
    }

    /// Deletes `path` (and everything below it) from the tree built so far, typically an
    /// entry imported from the previous session. Returns whether it existed.
    pub fn remove(&mut self, path: impl AsRef<OsStr>) -> bool {
        self.tree.remove(&components(path.as_ref().as_bytes()))
    }

    /// Fixes the layout: names, directory sizes, every LBA and the total size.
    ///
    /// # Errors
    /// `TooManyDirectories`, `CapacityExceeded`.
    pub fn plan(self) -> Result<Layout> {
        Layout::plan(self.options, self.tree, self.start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graft_parsing() {
        let g = GraftPoint::parse(OsStr::new("2005/02/10/=/opt/stage/2005/02/10")).unwrap();
        assert_eq!(g.dest, "2005/02/10/");
        assert_eq!(g.source, Path::new("/opt/stage/2005/02/10"));
        let g = GraftPoint::parse(OsStr::new(r"a\=b=c=d")).unwrap();
        assert_eq!(g.dest, "a=b");
        assert_eq!(g.source, Path::new("c=d"));
        let g = GraftPoint::parse(OsStr::new("plain")).unwrap();
        assert_eq!(g, GraftPoint::path("plain"));
        assert!(GraftPoint::parse(OsStr::new("x=")).is_err());
    }

    #[test]
    fn volume_id_is_checked() {
        let o = Options {
            volume_id: "X".repeat(33),
            ..Options::default()
        };
        assert!(matches!(
            ImageBuilder::new(o),
            Err(Error::InvalidVolumeId(_))
        ));
        let o = Options {
            volume_id: "CEDAR BACKUP 2026-11-22 X".into(),
            ..Options::default()
        };
        assert!(ImageBuilder::new(o).is_ok());
    }
}
