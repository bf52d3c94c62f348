//! The tray and the lock: eject, load, lock, unlock, and the media refresh Cedar runs after
//! a burn ([`refresh`] with a [`TrayPolicy`]). Every unlock clears the persistent prevent
//! too, so `spindle eject`, the store's tray cycle and `spindle unlock` behave alike.

use std::time::Duration;

use anyhow::Context;

use mmc::command::{PreventAllowMediumRemoval, StartStopUnit};
use mmc::Drive;

use crate::disc::target::open_drive;

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

/// Refreshes the medium in `device` so the drive and the kernel see it afresh after a burn
/// (Cedar's `refreshMedia`): unlock (the persistent lock too), open the tray, wait
/// `eject_delay`, close it, wait until the drive is ready, unlock again, wait
/// `refresh_delay`. With `no_eject` the tray is not moved; the unlock and the refresh delay
/// still happen, as in Cedar.
///
/// # Errors
/// Open failures and drive refusals, with the decoded sense.
pub fn refresh(device: &str, policy: &TrayPolicy) -> anyhow::Result<()> {
    let mut d = open_drive(device, "refresh")?;
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
pub fn unlock_drive<T: hal::Transport>(d: &mut Drive<T>) -> anyhow::Result<()> {
    d.run(&PreventAllowMediumRemoval::clear_persistent())
        .context("clearing the persistent lock")?;
    d.run(&PreventAllowMediumRemoval::allow())
        .context("unlocking")?;
    Ok(())
}

/// Opens the tray. With `unlock`, clears both locks first (a persistent prevent is cleared
/// only by its own code, 10b; `eject -i off` sends 00b and leaves it set, which is why
/// ejects fail on such drives).
///
/// # Errors
/// Open failures and drive refusals, with the decoded sense.
pub fn eject(device: &str, unlock: bool) -> anyhow::Result<()> {
    let mut d = open_drive(device, "eject")?;
    if unlock {
        unlock_drive(&mut d).with_context(|| device.to_owned())?;
    }
    d.run(&StartStopUnit::eject())
        .with_context(|| format!("{device}: ejecting"))?;
    log::info!("{device}: tray open");
    Ok(())
}

/// Closes the tray.
///
/// # Errors
/// Open failures and drive refusals.
pub fn load(device: &str) -> anyhow::Result<()> {
    let mut d = open_drive(device, "load")?;
    d.run(&StartStopUnit::load())
        .with_context(|| format!("{device}: loading"))?;
    Ok(())
}

/// Locks the medium in: the normal prevent, or the persistent one that survives the
/// kernel's unlock when the last user closes the drive.
///
/// # Errors
/// Open failures and drive refusals.
pub fn lock(device: &str, persistent: bool) -> anyhow::Result<()> {
    let mut d = open_drive(device, "lock")?;
    let cmd = if persistent {
        PreventAllowMediumRemoval::set_persistent()
    } else {
        PreventAllowMediumRemoval::prevent()
    };
    d.run(&cmd).with_context(|| format!("{device}: locking"))?;
    if !persistent && !d.name().starts_with("mock:") {
        log::warn!(
            "{device}: Linux sends ALLOW MEDIUM REMOVAL when the last user closes the drive, so this lock lasts only while another program keeps it open; use --persistent to keep it"
        );
    }
    Ok(())
}

/// Clears both the normal and the persistent lock.
///
/// # Errors
/// Open failures and drive refusals.
pub fn unlock(device: &str) -> anyhow::Result<()> {
    let mut d = open_drive(device, "unlock")?;
    unlock_drive(&mut d).with_context(|| device.to_owned())
}
