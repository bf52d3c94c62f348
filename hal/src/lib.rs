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
pub mod lease;
#[cfg(feature = "mock")]
pub mod mock;
pub mod sg;

pub use error::{host_status_name, Error, ErrorKind, Result};

use std::path::Path;
pub use transcript::{format_exchange, Recorder};
pub use transport::{Completion, DataPhase, Request, ScsiStatus, SenseBytes, Transport};

/// Opens a device by the name a user types: `mock:DIR` for a mock drive, anything else is a
/// device node for SG_IO. The drive's lease is taken (a drive another spindle process is
/// writing is busy), but a device node is not opened with `O_EXCL`: reading a disc that is
/// mounted, or probing a drive, must work. Writers use [`open_exclusive`].
///
/// # Errors
/// Whatever [`sg::SgDevice::open`] or [`mock::MockDrive::open`] returns: a missing node, a
/// permission problem, a node that is not an MMC device, or a corrupt mock directory.
pub fn open(spec: &str) -> Result<Box<dyn Transport>> {
    open_with(spec, false)
}

/// As [`open`], and a device node is opened with `O_EXCL`: the kernel then refuses it while
/// its medium is mounted or another program holds it exclusively ([`ErrorKind::Busy`]).
///
/// # Errors
/// As [`open`]; [`ErrorKind::Busy`].
pub fn open_exclusive(spec: &str) -> Result<Box<dyn Transport>> {
    open_with(spec, true)
}

fn open_with(spec: &str, exclusive_open: bool) -> Result<Box<dyn Transport>> {
    #[cfg(feature = "mock")]
    if let Some(dir) = spec.strip_prefix("mock:") {
        // The lease first: a mock drive another process is using is busy, not corrupt.
        let lease = if Path::new(dir).is_dir() {
            Some(lease::acquire(
                &Path::new(dir).join(mock::LEASE_FILE),
                spec,
            )?)
        } else {
            None
        };
        return Ok(Box::new(Leased {
            inner: mock::MockDrive::open(dir)?,
            _lease: lease,
        }));
    }
    let lock_path = lease::sg_lock_path(Path::new(spec));
    let ours_already = lock_path.as_deref().is_some_and(lease::is_held);
    let lease = match &lock_path {
        Some(p) => match lease::acquire(p, spec) {
            Ok(l) => Some(l),
            Err(e) if e.kind() == ErrorKind::Busy => return Err(e),
            Err(e) => {
                log::warn!("{spec}: {e}; relying on the exclusive open alone");
                None
            }
        },
        None => None,
    };
    let open = |exclusive| {
        sg::SgDevice::open(
            spec,
            &sg::OpenOptions {
                exclusive,
                ..sg::OpenOptions::default()
            },
        )
    };
    let inner = match open(exclusive_open) {
        // This command already has the node open exclusively (it holds the lease, and an
        // earlier handle is alive): the kernel refuses us against ourselves.
        Err(e) if e.kind() == ErrorKind::Busy && ours_already => open(false)?,
        r => r?,
    };
    Ok(Box::new(Leased {
        inner,
        _lease: lease,
    }))
}

/// A transport that holds its drive's [`lease::Lease`] for as long as it lives.
#[derive(Debug)]
struct Leased<T> {
    inner: T,
    _lease: Option<std::sync::Arc<lease::Lease>>,
}

impl<T: Transport> Transport for Leased<T> {
    fn execute(&mut self, req: Request<'_>) -> Result<Completion> {
        self.inner.execute(req)
    }
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn max_transfer(&self) -> usize {
        self.inner.max_transfer()
    }
}
