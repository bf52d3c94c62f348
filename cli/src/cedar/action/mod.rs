//! Cedar Backup's actions over spindle's drive and image code: [`store`] (store, rebuild,
//! initialize), [`consistency_check`] (check_data, read back through the drive, no mount)
//! and [`stage`] (local and remote peers).
//!
//! Every action gets an [`ActionContext`]: the validated configuration, the day it runs for
//! and the command-line switches. Actions log one line per step at info level and return an
//! error chain that names what failed; the caller maps it to Cedar's exit code 6.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use chrono::{Datelike, NaiveDate, Weekday};

use crate::cedar::config::{Config, Options};

pub mod consistency_check;
pub mod managed;
pub mod stage;
pub mod store;

/// The collect indicator, in a peer's collect dir.
pub const COLLECT_INDICATOR: &str = "cback.collect";
/// The stage indicator, in a peer's collect dir and in the daily staging dir.
pub const STAGE_INDICATOR: &str = "cback.stage";
/// The store indicator, in the daily staging dir.
pub const STORE_INDICATOR: &str = "cback.store";
/// Every disc label starts with this.
pub const LABEL_PREFIX: &str = "CEDAR BACKUP";

/// What every action runs with.
#[derive(Debug)]
pub struct ActionContext<'c> {
    /// The configuration.
    pub config: &'c Config,
    /// The local date the run is for (`--today` in tests).
    pub today: NaiveDate,
    /// `--full`.
    pub full: bool,
    /// Whether the process runs as root (chown to the backup user, `su` for remote copies).
    pub root: bool,
    /// The configuration file (validate reads the sections spindle does not run itself).
    pub config_path: &'c std::path::Path,
}

impl ActionContext<'_> {
    /// The options section.
    pub fn options(&self) -> &Options {
        &self.config.options
    }

    /// True when today is the configured first day of the week.
    pub fn today_is_start(&self) -> bool {
        self.today.weekday() == self.config.options.starting_day
    }
}

/// `YYYY/MM/DD`, Cedar's daily directory suffix.
pub fn date_suffix(day: NaiveDate) -> String {
    day.format("%Y/%m/%d").to_string()
}

/// `CEDAR BACKUP DD-MON-YYYY`, upper case (`CEDAR BACKUP 05-MAR-2024`).
pub fn media_label(day: NaiveDate) -> String {
    format!(
        "{LABEL_PREFIX} {}",
        day.format("%d-%b-%Y").to_string().to_uppercase()
    )
}

/// Days back to the most recent start of the week, today included: 1 on the start day,
/// 7 on the day before it.
pub fn days_since_start(today: Weekday, start: Weekday) -> u32 {
    let w = today.num_days_from_monday();
    let s = start.num_days_from_monday();
    if w >= s {
        w - s + 1
    } else {
        7 - (s - w) + 1
    }
}

/// A staging directory chosen for writing, and where it goes on the disc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyDir {
    /// `<root>/YYYY/MM/DD`.
    pub path: PathBuf,
    /// `YYYY/MM/DD`: its path on the disc.
    pub suffix: String,
}

impl DailyDir {
    /// The daily dir of `day` under `root`.
    pub fn of(root: &Path, day: NaiveDate) -> DailyDir {
        let suffix = date_suffix(day);
        DailyDir {
            path: root.join(&suffix),
            suffix,
        }
    }
}

/// The uid and gid of the backup user and group, for chown when running as root.
///
/// # Errors
/// The user or group does not exist.
pub fn backup_owner(o: &Options) -> anyhow::Result<(nix::unistd::Uid, nix::unistd::Gid)> {
    let user = nix::unistd::User::from_name(&o.backup_user)
        .with_context(|| format!("looking up backup_user '{}'", o.backup_user))?;
    let Some(user) = user else {
        bail!("backup_user '{}' does not exist", o.backup_user);
    };
    let group = nix::unistd::Group::from_name(&o.backup_group)
        .with_context(|| format!("looking up backup_group '{}'", o.backup_group))?;
    let Some(group) = group else {
        bail!("backup_group '{}' does not exist", o.backup_group);
    };
    Ok((user.uid, group.gid))
}

/// Gives `path` to the backup user and group when running as root; does nothing otherwise.
///
/// # Errors
/// Unknown user or group, chown failures.
pub fn chown_to_backup(ctx: &ActionContext<'_>, path: &Path) -> anyhow::Result<()> {
    if !ctx.root {
        return Ok(());
    }
    let (uid, gid) = backup_owner(ctx.options())?;
    nix::unistd::chown(path, Some(uid), Some(gid))
        .with_context(|| format!("chown {}", path.display()))?;
    Ok(())
}

/// Creates an empty indicator file `dir/name` (owned by the backup user when root).
///
/// # Errors
/// The file cannot be created.
pub fn write_indicator(ctx: &ActionContext<'_>, dir: &Path, name: &str) -> anyhow::Result<()> {
    let p = dir.join(name);
    std::fs::write(&p, b"").with_context(|| format!("writing {}", p.display()))?;
    chown_to_backup(ctx, &p)?;
    log::debug!("wrote indicator {}", p.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_suffixes() {
        let d = NaiveDate::from_ymd_opt(2024, 3, 5).unwrap();
        assert_eq!(media_label(d), "CEDAR BACKUP 05-MAR-2024");
        assert_eq!(media_label(d).len(), 24);
        assert_eq!(date_suffix(d), "2024/03/05");
    }

    #[test]
    fn week_walk_back() {
        assert_eq!(days_since_start(Weekday::Tue, Weekday::Tue), 1);
        assert_eq!(days_since_start(Weekday::Mon, Weekday::Tue), 7);
        assert_eq!(days_since_start(Weekday::Sun, Weekday::Mon), 7);
        assert_eq!(days_since_start(Weekday::Wed, Weekday::Mon), 3);
    }
}
