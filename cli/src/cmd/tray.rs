//! `spindle eject`, `load`, `lock`, `unlock` and `refresh`: arguments over [`crate::disc::tray`].

use std::time::Duration;

use clap::Args;

use crate::disc::tray::{self, TrayPolicy};

/// A device argument.
#[derive(Debug, Args)]
pub struct DeviceArg {
    /// The drive: /dev/srN, /dev/sgN or mock:DIR.
    pub device: String,
}

/// Arguments of `spindle eject`.
#[derive(Debug, Args)]
pub struct EjectArgs {
    /// The drive: /dev/srN, /dev/sgN or mock:DIR.
    pub device: String,
    /// Do not clear locks first: if the drive is locked, the eject is refused and reported.
    #[arg(long)]
    pub no_unlock: bool,
}

/// Arguments of `spindle lock`.
#[derive(Debug, Args)]
pub struct LockArgs {
    /// The drive: /dev/srN, /dev/sgN or mock:DIR.
    pub device: String,
    /// Set the persistent prevent state, which survives the kernel's unlock on close and is
    /// cleared only by `spindle unlock` (or a reset).
    #[arg(long)]
    pub persistent: bool,
}

/// Arguments of `spindle refresh` (and `spindle burn --refresh`).
#[derive(Debug, Clone, Default, Args)]
pub struct TrayArgs {
    /// Do not open and close the tray; only unlock and wait the refresh delay.
    #[arg(long)]
    pub no_eject: bool,
    /// Seconds the tray stays open.
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    pub eject_delay: u64,
    /// Seconds to wait after the tray is closed again.
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    pub refresh_delay: u64,
}

impl TrayArgs {
    /// The policy these arguments describe.
    pub fn policy(&self) -> TrayPolicy {
        TrayPolicy {
            no_eject: self.no_eject,
            eject_delay: Duration::from_secs(self.eject_delay),
            refresh_delay: Duration::from_secs(self.refresh_delay),
        }
    }
}

/// Arguments of `spindle refresh`.
#[derive(Debug, Args)]
pub struct RefreshArgs {
    /// The drive: /dev/srN, /dev/sgN or mock:DIR.
    pub device: String,
    /// Delays and no_eject.
    #[command(flatten)]
    pub tray: TrayArgs,
}

/// `spindle refresh`.
///
/// # Errors
/// As [`tray::refresh`].
pub fn refresh_cmd(a: &RefreshArgs) -> anyhow::Result<()> {
    tray::refresh(&a.device, &a.tray.policy())
}

/// `spindle eject`.
///
/// # Errors
/// As [`tray::eject`].
pub fn eject(a: &EjectArgs) -> anyhow::Result<()> {
    tray::eject(&a.device, !a.no_unlock)
}

/// `spindle load`.
///
/// # Errors
/// As [`tray::load`].
pub fn load(a: &DeviceArg) -> anyhow::Result<()> {
    tray::load(&a.device)
}

/// `spindle lock`.
///
/// # Errors
/// As [`tray::lock`].
pub fn lock(a: &LockArgs) -> anyhow::Result<()> {
    tray::lock(&a.device, a.persistent)
}

/// `spindle unlock`.
///
/// # Errors
/// As [`tray::unlock`].
pub fn unlock(a: &DeviceArg) -> anyhow::Result<()> {
    tray::unlock(&a.device)
}
