#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]
#![cfg_attr(not(test), deny(clippy::indexing_slicing, clippy::unwrap_used))]

pub mod multisession;
pub mod raw;
pub mod read;
pub mod write;

mod error;

pub use error::{Error, FileStamp, Replacement, Result};
pub use raw::Lba;
pub use read::{
    BlockRange, CarriedChecksums, CheckProblem, ChecksumArray, Damaged, Entry, EntryKind, Extent,
    FileCheck, Image, Listing, Md5Report, Namespace, TagCheck, VerifiedFiles, WalkBudget,
    WalkEntry, WalkStats,
};
pub use write::{
    GraftPoint, ImageBuilder, Layout, Options, Ownership, SparseFileWriter, Warning, WriteSummary,
};
