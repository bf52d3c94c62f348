//! The `spindle` and `mmc-probe` command-line tools. The binaries are thin: each calls a
//! `run()` here that returns an exit code, so the logic is testable and the codes documented
//! in one place ([`exit`]).
//!
//! # Layers
//! - [`disc`]: the reusable disc layer. What a target name means, which session of a disc
//!   a reader sees, reading sectors and files, writing sessions (to drives and to image
//!   files), the tray, comparing trees, and the file view with pending changes. It imports
//!   none of the modules below; `tests/layering.rs` fails if it does.
//! - [`cmd`]: the command front-ends (`burn`, `verify`, `close`, `ls`, `get`, …, `image`,
//!   `mock`, tray commands, `mmc-probe`): argument grammar, progress bars and output.
//! - [`cedar`]: Cedar Backup's configuration and actions (stage, store, rebuild,
//!   initialize, the consistency check).
//! - [`xorriso`]: the xorriso-compatible front for duplicity.
//! - [`spindle`], [`exit`], [`logging`]: the `spindle` dispatcher, exit codes, logging.
#![forbid(unsafe_code)]

pub mod cedar;
pub mod cmd;
pub mod disc;
pub mod exit;
pub mod logging;
pub mod spindle;
pub mod xorriso;

/// Prints an error chain the way every spindle tool does: `error: outer: inner: root`.
pub fn report_error(prog: &str, e: &anyhow::Error) {
    eprintln!("{prog}: error: {e:#}");
}
