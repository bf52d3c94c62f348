//! Tray and lock commands: eject, load, lock, unlock.

use anyhow::Context;
use clap::Args;

use mmc::command::{PreventAllowMediumRemoval, StartStopUnit};

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

fn open(device: &str) -> anyhow::Result<mmc::Drive<Box<dyn hal::Transport>>> {
    Ok(mmc::Drive::new(hal::open(device)?))
}

/// `spindle eject`.
///
/// # Errors
/// Open failures and drive refusals, with the decoded sense.
pub fn eject(a: &EjectArgs) -> anyhow::Result<()> {
    let mut d = open(&a.device)?;
    if !a.no_unlock {
        // A persistent prevent is cleared only by its own code (10b); `eject -i off` sends
        // 00b and leaves it set, which is why ejects fail on such drives.
        d.run(&PreventAllowMediumRemoval::clear_persistent())
            .with_context(|| format!("{}: clearing the persistent lock", a.device))?;
        d.run(&PreventAllowMediumRemoval::allow())
            .with_context(|| format!("{}: unlocking", a.device))?;
    }
    d.run(&StartStopUnit::eject())
        .with_context(|| format!("{}: ejecting", a.device))?;
    log::info!("{}: tray open", a.device);
    Ok(())
}

/// `spindle load`.
///
/// # Errors
/// Open failures and drive refusals.
pub fn load(a: &DeviceArg) -> anyhow::Result<()> {
    let mut d = open(&a.device)?;
    d.run(&StartStopUnit::load())
        .with_context(|| format!("{}: loading", a.device))?;
    Ok(())
}

/// `spindle lock`.
///
/// # Errors
/// Open failures and drive refusals.
pub fn lock(a: &LockArgs) -> anyhow::Result<()> {
    let mut d = open(&a.device)?;
    let cmd = if a.persistent {
        PreventAllowMediumRemoval::set_persistent()
    } else {
        PreventAllowMediumRemoval::prevent()
    };
    d.run(&cmd)
        .with_context(|| format!("{}: locking", a.device))?;
    if !a.persistent && !a.device.starts_with("mock:") {
        log::warn!(
            "{}: Linux sends ALLOW MEDIUM REMOVAL when the last user closes the drive, so this lock lasts only while another program keeps it open; use --persistent to keep it",
            a.device
        );
    }
    Ok(())
}

/// `spindle unlock`.
///
/// # Errors
/// Open failures and drive refusals.
pub fn unlock(a: &DeviceArg) -> anyhow::Result<()> {
    let mut d = open(&a.device)?;
    d.run(&PreventAllowMediumRemoval::clear_persistent())
        .with_context(|| format!("{}: clearing the persistent lock", a.device))?;
    d.run(&PreventAllowMediumRemoval::allow())
        .with_context(|| format!("{}: unlocking", a.device))?;
    Ok(())
}
