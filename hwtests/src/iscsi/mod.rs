//! A small iSCSI target (RFC 7143) that serves one SCSI device, a [`hal::Transport`], as
//! LUN 1, so that QEMU's iSCSI initiator (libiscsi) can hand it to a guest kernel with
//! `scsi-block`. `hwtests/src/bin/mock-target.rs` serves a `mock:DIR` drive with it.
//!
//! # API structure
//! - [`pdu::Pdu`]: framing of one PDU, with [`pdu::parse_text`] / [`pdu::encode_text`] for
//!   the `key=value` data of login and text PDUs.
//! - [`Target`]: the target's name, portal and device; [`Target::serve`] runs one connection
//!   from login to logout.
//! - [`scsi`]: the commands the SCSI target layer answers itself (REPORT LUNS, and LUN 0:
//!   INQUIRY, TEST UNIT READY, REQUEST SENSE); everything else for LUN 1 goes to the device
//!   unchanged.
//!
//! # What it implements
//! Login without authentication (`AuthMethod=None`), operational negotiation, discovery
//! sessions with `SendTargets`, SCSI Command with immediate data, unsolicited Data-Out
//! (`InitialR2T=No`) and R2T for the rest, Data-In with the status in the last PDU, SCSI
//! Response with sense data, NOP-Out/NOP-In, task management (answered "function
//! complete"; queued tasks are dropped), Logout, and Reject for the rest. Error recovery
//! level 0, one connection per session, no digests.

use std::io;

pub mod pdu;
pub mod scsi;
mod target;

pub use target::{Summary, Target};

/// The target name QEMU's `iscsi://HOST:PORT/TARGET/LUN` URL names.
pub const MOCK_TARGET_NAME: &str = "iqn.2026-12.org.spindle:mock";

/// Errors of the target. A connection ends with the first one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The connection failed.
    #[error("connection: {0}")]
    Io(#[from] io::Error),
    /// The input ended inside a PDU.
    #[error("truncated PDU: need {need} bytes, got {got}")]
    Truncated {
        /// Bytes the PDU needs.
        need: usize,
        /// Bytes there were.
        got: usize,
    },
    /// A data segment longer than this side declared it would take.
    #[error("data segment of {len} bytes exceeds MaxRecvDataSegmentLength {max}")]
    DataTooLong {
        /// The DataSegmentLength.
        len: usize,
        /// The largest accepted.
        max: usize,
    },
    /// A login or text data segment that is not `key=value` pairs.
    #[error("bad text data: {0}")]
    BadText(String),
    /// The initiator broke the protocol in a way that ends the connection.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// Login failed; the Login Response with this status class and detail was sent.
    #[error("login refused ({class:02x}{detail:02x}): {why}")]
    LoginRefused {
        /// Status-Class (RFC 7143 §11.13.5).
        class: u8,
        /// Status-Detail.
        detail: u8,
        /// Why.
        why: String,
    },
}
