//! The disc layer: everything spindle knows about a disc, used by every command front-end,
//! the Cedar actions and the xorriso front alike, so that each decision is made in one
//! place.
//!
//! - [`target`]: what a target name means (a drive, a mock drive, an image file), and
//!   opening a drive.
//! - [`session`]: which session of a disc a reader sees (the last one whose image is whole),
//!   for drives of every profile, ROM included, and for image files.
//! - [`sectors`]: `Read + Seek` over a target's sectors, READ(10) through the drive.
//! - [`write`](mod@write): writing a session: a tree streamed to a drive, and appending to an image
//!   file (the one way both are done).
//! - [`format`](mod@format): ISO 9660 as the burner needs to know it.
//! - [`tray`]: eject, load, lock, unlock, refresh.
//! - [`compare`]: digests of a tree on disc and on the local filesystem, and their
//!   comparison (verify --tree, the consistency check).
//! - [`files`]: the file view of the last session with pending changes (ls, get, put, rm,
//!   commit, the xorriso front).
//!
//! This module imports nothing from the front-ends ([`crate::cmd`], [`crate::cedar`],
//! [`crate::xorriso`]); `cli/tests/layering.rs` checks it.

pub mod compare;
pub mod files;
pub mod format;
pub mod sectors;
pub mod session;
pub mod target;
pub mod tray;
pub mod write;

pub use format::ISO9660;
pub use target::{open_drive, open_writer, AnyDrive, Target};

/// Logs what an appended session records of the MD5s of the files it keeps from earlier
/// sessions (nothing for a new disc or without MD5s).
pub fn log_carried_md5s(layout: &iso9660::Layout) {
    match layout.carried_md5s() {
        (0, 0) => {}
        (carried, 0) => log::info!(
            "{carried} file contents kept from the previous session keep their recorded MD5"
        ),
        (carried, none) => log::warn!(
            "{none} files kept from the previous session have no MD5 (that session recorded \
             none, or its checksums could not be trusted): spindle check reports them as not \
             verified; {carried} others keep their recorded MD5"
        ),
    }
}
