//! Tray and lock commands: eject, load, lock, unlock, and the media refresh Cedar runs
//! after a burn ([`refresh`] with a [`TrayPolicy`]).

use std::time::Duration;

use anyhow::Context;
use clap::Args;

use mmc::command::{PreventAllowMediumRemoval, StartStopUnit};
use mmc::Drive;

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

/// How a media refresh behaves (Cedar's `no_eject`, `eject_delay`, `refresh_media_delay`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrayPolicy {
    /// Never move the tray (drives whose tray cannot close by itself, or that lose the
    /// medium when ejected). The unlock and the refresh delay still apply.
    pub no_eject: bool,
    /// How long the tray stays open before it is closed again.
    pub eject_delay: Duration,
    /// How long to wait after the refresh before the medium is used.
    pub refresh_delay: Duration,
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

/// Refreshes the medium in `device` so the drive and the kernel see it afresh after a burn
/// (Cedar's `refreshMedia`): unlock (the persistent lock too), open the tray, wait
/// `eject_delay`, close it, wait until the drive is ready, unlock again, wait
/// `refresh_delay`. With `no_eject` the tray is not moved; the unlock and the refresh delay
/// still happen, as in Cedar.
///
/// # Errors
/// Open failures and drive refusals, with the decoded sense.
pub fn refresh(device: &str, policy: &TrayPolicy) -> anyhow::Result<()> {
    let mut d = crate::burn_cmd::open(device)?;
    refresh_drive(&mut d, policy, &mut std::thread::sleep)
        .with_context(|| format!("{device}: refreshing the media"))
}

/// [`refresh`] on an open drive, with the pauses taken by `sleep` (tests count them).
///
/// # Errors
/// Drive refusals.
pub fn refresh_drive<T: hal::Transport>(
    d: &mut Drive<T>,
    policy: &TrayPolicy,
    sleep: &mut dyn FnMut(Duration),
) -> anyhow::Result<()> {
    let name = d.name().to_owned();
    unlock_drive(d)?;
    if !policy.no_eject {
        log::info!("{name}: refreshing the media (tray out and in)");
        d.run(&StartStopUnit::eject()).context("opening the tray")?;
        if !policy.eject_delay.is_zero() {
            sleep(policy.eject_delay);
        }
        d.run(&StartStopUnit::load()).context("closing the tray")?;
        // A reloaded medium reports NOT READY 04/01, then UNIT ATTENTION 28/00.
        d.wait_ready(Duration::from_secs(60), |_| {})
            .context("waiting for the reloaded medium")?;
        d.clear_medium_changed();
        unlock_drive(d)?;
    }
    if !policy.refresh_delay.is_zero() {
        sleep(policy.refresh_delay);
    }
    Ok(())
}

/// Clears the persistent prevent (only its own code 10b does) and the normal one.
fn unlock_drive<T: hal::Transport>(d: &mut Drive<T>) -> anyhow::Result<()> {
    d.run(&PreventAllowMediumRemoval::clear_persistent())
        .context("clearing the persistent lock")?;
    d.run(&PreventAllowMediumRemoval::allow())
        .context("unlocking")?;
    Ok(())
}

/// `spindle refresh`.
///
/// # Errors
/// As [`refresh`].
pub fn refresh_cmd(a: &RefreshArgs) -> anyhow::Result<()> {
    refresh(&a.device, &a.tray.policy())
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
