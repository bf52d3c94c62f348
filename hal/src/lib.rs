//! spindle's hardware abstraction: moves SCSI command bytes, never interprets them.
//!
//! # API structure
//! - [`Transport`]: the one trait. `execute` runs a CDB with a data phase and a timeout and
//!   returns a [`Completion`] (SAM status, raw sense bytes, residual), undecoded.
//! - [`sg::SgDevice`]: Linux SG_IO on `/dev/srN` and `/dev/sgN`.
//! - [`mock::MockDrive`]: an emulated MMC drive persisted in a directory (`mock:DIR`), so separate
//!   processes see one drive. It decodes CDBs itself, independently of the `mmc` crate.
//! - [`Recorder`]: a decorator that writes one transcript line per exchange.
//! - [`discover`]: lists the optical drives the kernel knows about.
//!
//! `hal` never retries and never decodes sense: that is `mmc`'s job. Errors returned here are
//! transport failures only (the command did not complete); a CHECK CONDITION is a successful
//! exchange carrying sense bytes.
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod transcript;
mod transport;

pub mod discover;
#[cfg(feature = "mock")]
pub mod mock;
pub mod sg;

pub use error::{host_status_name, Error, ErrorKind, Result};
pub use transcript::{format_exchange, Recorder};
pub use transport::{Completion, DataPhase, Request, ScsiStatus, SenseBytes, Transport};

/// Opens a device by the name a user types: `mock:DIR` for a mock drive, anything else is a
/// device node for SG_IO.
///
/// # Errors
/// Whatever [`sg::SgDevice::open`] or [`mock::MockDrive::open`] returns: a missing node, a
/// permission problem, a node that is not an MMC device, or a corrupt mock directory.
pub fn open(spec: &str) -> Result<Box<dyn Transport>> {
    #[cfg(feature = "mock")]
    if let Some(dir) = spec.strip_prefix("mock:") {
        return Ok(Box::new(mock::MockDrive::open(dir)?));
    }
    Ok(Box::new(sg::SgDevice::open(
        spec,
        &sg::OpenOptions::default(),
    )?))
}
