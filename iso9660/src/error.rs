//! The crate's error type.

use std::path::PathBuf;

use crate::raw::date::UnixTime;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Size and modification time of a source file, as planned or as found while writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, seconds since the epoch.
    pub mtime: UnixTime,
    /// Nanoseconds of the modification time.
    pub mtime_nsec: u32,
}

impl std::fmt::Display for FileStamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} bytes, mtime {}.{:09}",
            self.size, self.mtime, self.mtime_nsec
        )
    }
}

/// How a source file was found replaced at write time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Replacement {
    /// The path is now a symbolic link (it is never followed).
    Symlink,
    /// The path is no longer a regular file.
    NotRegular,
    /// The path is a regular file, but not the one planned (another device and inode).
    OtherFile,
    /// A directory being surveyed is now a symbolic link, another type or another directory.
    NotDirectory,
}

impl std::fmt::Display for Replacement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Replacement::Symlink => "it is now a symbolic link",
            Replacement::NotRegular => "it is no longer a regular file",
            Replacement::OtherFile => "it is another file (device and inode differ)",
            Replacement::NotDirectory => "it is no longer the directory first seen there",
        })
    }
}

/// Everything that can go wrong while planning, writing or reading an image.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading a source file or directory failed.
    #[error("cannot read {}", path.display())]
    Source {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// Writing the image failed.
    #[error("cannot write the image")]
    Output(#[source] std::io::Error),
    /// Reading sectors of an existing image failed (including a source shorter than it claims).
    #[error("cannot read sectors at LBA {lba}")]
    ReadSectors {
        /// First sector of the failed read.
        lba: u32,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A source file changed between planning and writing; the image written so far is wrong
    /// and must be discarded.
    #[error("{} changed after the image was planned (planned {planned}, found {actual})", path.display())]
    FileChanged {
        /// The source file.
        path: PathBuf,
        /// What the plan recorded.
        planned: FileStamp,
        /// What was found while writing.
        actual: FileStamp,
    },
    /// A source file was replaced between planning and writing (by a symbolic link, another
    /// file or another type of entry), or a directory while it was surveyed. Nothing was read
    /// from the replacement; an image written so far is incomplete and must be discarded.
    #[error("{} was replaced while the image was being made: {how}; nothing was read from it", path.display())]
    FileReplaced {
        /// The source file.
        path: PathBuf,
        /// What was found instead.
        how: Replacement,
    },
    /// The image does not fit: in the capacity the caller gave, or in 32-bit sector numbers.
    #[error("image needs {needed} sectors but only {available} are available")]
    CapacityExceeded {
        /// Sectors the image needs (including the session start LBA).
        needed: u64,
        /// Sectors available.
        available: u64,
    },
    /// The writer produced something other than it planned. This is a bug in this crate.
    #[error("internal error: {what} is {actual}, planned {planned}")]
    LayoutMismatch {
        /// Which quantity.
        what: &'static str,
        /// Planned value.
        planned: u64,
        /// Actual value.
        actual: u64,
    },
    /// An existing image is malformed.
    #[error("corrupt image at LBA {lba}: {what}")]
    Corrupt {
        /// The sector holding the offending structure.
        lba: u32,
        /// What is wrong.
        what: &'static str,
    },
    /// Walking the image would cost more than its size allows: a well-formed image reads each
    /// directory sector and continuation area once, so more work than this means overlapping
    /// or looping structures (see [`crate::read::WalkBudget`]).
    #[error("the image's directories need more {what} than its size allows (limit {limit})")]
    BudgetExceeded {
        /// What ran out: "metadata bytes" or "path bytes".
        what: &'static str,
        /// The limit for this image.
        limit: u64,
    },
    /// A graft point or path argument cannot be used.
    #[error("invalid graft point {spec:?}: {reason}")]
    InvalidGraft {
        /// The argument as given.
        spec: std::ffi::OsString,
        /// Why.
        reason: &'static str,
    },
    /// The volume identifier is longer than 32 bytes or not ASCII.
    #[error("invalid volume identifier {0:?}: at most 32 ASCII characters")]
    InvalidVolumeId(String),
    /// Two sources map to the same path in the image.
    #[error("{} is given twice (as {} and {})", dest.display(), first.display(), second.display())]
    Conflict {
        /// Path inside the image.
        dest: PathBuf,
        /// First source.
        first: PathBuf,
        /// Second source.
        second: PathBuf,
    },
    /// A name is longer than Rock Ridge (and POSIX) allow: 255 bytes.
    #[error("name too long (over 255 bytes): {}", path.display())]
    NameTooLong {
        /// The source path.
        path: PathBuf,
    },
    /// A symbolic link's target is longer than readers accept (see
    /// [`crate::write::MAX_SYMLINK_TARGET`]): recorded, it would make xorriso refuse to load
    /// the whole tree and crash `isoinfo -R`, so the link is refused before anything is written.
    #[error(
        "symbolic link {} has a {len}-byte target; readers accept at most {max} bytes \
         (xorriso refuses to load a tree holding it), so it cannot be recorded: \
         leave it out or shorten it",
        path.display()
    )]
    SymlinkTooLong {
        /// The link.
        path: PathBuf,
        /// Length of its target in bytes.
        len: usize,
        /// The longest target recorded.
        max: usize,
    },
    /// More than 65,535 directories: path table parent numbers are 16-bit.
    #[error("too many directories ({0}); ECMA-119 path tables hold at most 65535")]
    TooManyDirectories(usize),
    /// A path looked up in an image does not exist.
    #[error("no such path in the image: {}", .0.display())]
    NotFound(PathBuf),
    /// An image holds no primary volume descriptor at the given session start.
    #[error("no ISO 9660 volume at LBA {0}")]
    NoVolume(u32),
}

impl Error {
    pub(crate) fn source_io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Source {
            path: path.into(),
            source,
        }
    }
}
