//! The `spindle` and `mmc-probe` command-line tools. The binaries are thin: each calls a
//! `run()` here that returns an exit code, so the logic is testable and the codes documented
//! in one place ([`exit`]).
#![forbid(unsafe_code)]

pub mod action;
pub mod args;
pub mod battery;
pub mod burn_cmd;
pub mod cedar;
pub mod config;
pub mod disc_reader;
pub mod disc_writer;
pub mod discfs;
pub mod exit;
pub mod files_cmd;
pub mod human;
pub mod image_cmd;
pub mod logging;
pub mod mock_cmd;
pub mod probe;
pub mod spindle;
pub mod tray;
pub mod xorriso;

/// Prints an error chain the way every spindle tool does: `error: outer: inner: root`.
pub fn report_error(prog: &str, e: &anyhow::Error) {
    eprintln!("{prog}: error: {e:#}");
}
