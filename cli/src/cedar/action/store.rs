//! The store, rebuild and initialize actions (`docs/cedar-notes.md` §3, §3.1, §7).
//!
//! store: check the media label (check_media), pick one daily staging dir (today, else
//! yesterday, else tomorrow; only today with `--full`), decide between a new disc and an
//! appended session (starting day, `--full`, or blank_behavior's ratio), write the dir at
//! `/YYYY/MM/DD` with Rock Ridge and the label `CEDAR BACKUP DD-MON-YYYY`, refresh the media,
//! compare the disc with the dir (check_data), and only then write `cback.store`.
//!
//! The image is planned exactly before anything is written ([`crate::disc::write`]): its
//! sector count is the count written, so the blank decision and the capacity check use no
//! estimate and no fudge factor, and the capacity comes from the drive.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use chrono::Days;
use mmc::burn::{Burner, Recipe};
use mmc::command::DiscStatus;

use super::{
    consistency_check, days_since_start, media_label, write_indicator, ActionContext, DailyDir,
    LABEL_PREFIX, STAGE_INDICATOR, STORE_INDICATOR,
};
use crate::cedar::config::{BlankMode, Store};
use crate::disc::write::{burn_tree, plan_tree, TreeBurn};

/// What store, rebuild or initialize wrote (`spindle --json`, docs/schema/cedar.json).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Written {
    /// `<target_device>`.
    pub device: String,
    /// A new disc (true) or an appended session.
    pub new_disc: bool,
    /// Why a new disc, or why appending (`--full`, "the disc is blank", the ratio, …).
    pub reason: String,
    /// The volume label written.
    pub label: String,
    /// The daily directories written, as `YYYY/MM/DD` (empty for initialize).
    pub directories: Vec<String>,
    /// "new-disc", "session" or "grow".
    pub method: String,
    /// The session's first block.
    pub start_lba: u32,
    /// Sectors of the session image.
    pub sectors: u32,
    /// Regular files written.
    pub files: u64,
    /// Whether check_data checked the disc: against the staging directories, or against
    /// the MD5s recorded on the disc for those listed in `checked_by_md5`.
    pub checked: bool,
    /// The directories check_data verified against the disc's recorded MD5s because their
    /// staging directory was gone or purged when it ran.
    pub checked_by_md5: Vec<String>,
}

/// What the survey before writing found.
#[derive(Debug, Clone)]
struct Medium {
    name: &'static str,
    recipe: Recipe,
    blank: bool,
    erasable: bool,
}

fn store_section<'c>(ctx: &ActionContext<'c>) -> anyhow::Result<&'c Store> {
    ctx.config
        .store
        .as_ref()
        .context("the configuration has no <store> section")
}

/// The staging root store and rebuild read: `<store><source_dir>` (quirk Q1: Cedar's store
/// reads `<stage><staging_dir>`; see docs/cedar-compat.md).
pub fn staging_root<'c>(ctx: &ActionContext<'c>, store: &'c Store) -> &'c Path {
    if let Some(stage) = &ctx.config.stage {
        if stage.staging_dir != store.source_dir {
            log::warn!(
                "store reads <store><source_dir> {} but stage writes to <stage><staging_dir> {}; they are normally the same",
                store.source_dir.display(),
                stage.staging_dir.display()
            );
        }
    }
    &store.source_dir
}

/// Surveys the medium: fails clearly when there is none or it cannot be written.
fn survey(store: &Store) -> anyhow::Result<Medium> {
    let dev = &store.target_device;
    log::info!("{dev}: looking at the medium");
    let mut drive = crate::disc::open_writer(dev, "store")?;
    let b = Burner::new(&mut drive, &crate::disc::ISO9660)
        .with_context(|| format!("{dev}: surveying the medium"))?;
    let s = b.status();
    let m = Medium {
        name: s.profile.name(),
        recipe: s.recipe,
        blank: s.disc_status == DiscStatus::Blank
            || (s.recipe.is_overwritable() && s.volume_end.is_none()),
        erasable: s.erasable || s.recipe.is_overwritable(),
    };
    let cd = m.recipe == Recipe::CdTao;
    if cd == store.media_type.is_dvd() || m.erasable != store.media_type.is_rewritable() {
        log::warn!(
            "{dev}: the drive holds {} but <media_type> is {}; spindle goes by the medium in the drive",
            m.name,
            store.media_type.name()
        );
    }
    log::info!(
        "{dev}: {} ({})",
        m.name,
        if m.blank { "blank" } else { "holds data" }
    );
    Ok(m)
}

/// The label on the disc, from the last session's primary volume descriptor (no `volname`).
/// `None` for a blank disc or one without an ISO 9660 filesystem.
///
/// # Errors
/// No medium, drive errors.
pub fn read_label(device: &str) -> anyhow::Result<Option<String>> {
    let target = crate::disc::Target::parse(device)?;
    let (sessions, src) = crate::disc::session::survey(&target)?;
    if sessions.read_start.is_none() {
        return Ok(None);
    }
    match crate::disc::session::open_current(&sessions, src) {
        Ok(image) => {
            let label = image.volume_id().trim_end().to_owned();
            Ok(if label.is_empty() { None } else { Some(label) })
        }
        Err(e) => {
            log::debug!("{device}: no ISO 9660 volume: {e:#}");
            Ok(None)
        }
    }
}

/// check_media: refuses a disc that Cedar Backup (or spindle) did not initialize.
///
/// # Errors
/// A rewritable medium without a label, any label not starting with `CEDAR BACKUP`.
pub fn check_media(store: &Store) -> anyhow::Result<()> {
    let dev = &store.target_device;
    log::info!("{dev}: checking the media label (check_media)");
    match read_label(dev)? {
        None if store.media_type.is_rewritable() => bail!(
            "{dev}: Media has not been initialized: no media label available (run `spindle initialize` on a new {} disc)",
            store.media_type.name()
        ),
        None => {
            log::info!("{dev}: no media label; accepted for write-once media");
            Ok(())
        }
        Some(l) if !l.starts_with(LABEL_PREFIX) => bail!(
            "{dev}: Media has not been initialized: unrecognized media label [{l}]; it was not written by Cedar Backup or spindle"
        ),
        Some(l) => {
            log::info!("{dev}: media label [{l}]");
            Ok(())
        }
    }
}

/// Picks the daily dir to store: today's with `--full`; otherwise the first of today,
/// yesterday and tomorrow that is staged (`cback.stage`) and not stored (`cback.store`).
///
/// # Errors
/// None qualifies.
pub fn find_store_dir(
    ctx: &ActionContext<'_>,
    root: &Path,
    warn_midnite: bool,
) -> anyhow::Result<DailyDir> {
    let today = ctx.today;
    if ctx.full {
        let d = DailyDir::of(root, today);
        if d.path.join(STAGE_INDICATOR).is_file() {
            log::info!("storing {} (--full: today only)", d.path.display());
            return Ok(d);
        }
        bail!(
            "Unable to find staging directory to store (only tried today due to full option): {} {}",
            d.path.display(),
            if d.path.is_dir() {
                "has no cback.stage (stage has not run)"
            } else {
                "does not exist"
            }
        );
    }
    let candidates = [
        Some(today),
        today.checked_sub_days(Days::new(1)),
        today.checked_add_days(Days::new(1)),
    ];
    let mut tried = Vec::new();
    for (i, day) in candidates.into_iter().flatten().enumerate() {
        let d = DailyDir::of(root, day);
        let staged = d.path.join(STAGE_INDICATOR).is_file();
        let stored = d.path.join(STORE_INDICATOR).exists();
        if staged && !stored {
            if i > 0 {
                if warn_midnite {
                    log::warn!(
                        "store process crossed midnite boundary: storing {}",
                        d.path.display()
                    );
                } else {
                    log::info!("storing {} (not today's)", d.path.display());
                }
            } else {
                log::info!("storing {}", d.path.display());
            }
            return Ok(d);
        }
        tried.push(format!(
            "{} ({})",
            d.path.display(),
            if stored {
                "already stored"
            } else if d.path.is_dir() {
                "not staged"
            } else {
                "missing"
            }
        ));
    }
    bail!(
        "Unable to find unused staging directory to store (tried today, yesterday, tomorrow): {}",
        tried.join(", ")
    )
}

fn request(
    store: &Store,
    ctx: &ActionContext<'_>,
    dirs: &[DailyDir],
    new_disc: bool,
    m: &Medium,
) -> anyhow::Result<TreeBurn> {
    let mut grafts = Vec::new();
    for d in dirs {
        grafts.push(iso9660::GraftPoint {
            dest: d.suffix.clone().into(),
            source: d.path.clone(),
        });
    }
    let one_x = if m.recipe == Recipe::CdTao {
        176.4
    } else {
        1385.0
    };
    Ok(TreeBurn {
        device: store.target_device.clone(),
        grafts,
        remove: Vec::new(),
        volume_id: media_label(ctx.today),
        new_disc,
        finalize: false,
        ownership: iso9660::Ownership::Rationalized,
        speed_kbps: store
            .drive_speed
            .map(|n| (f64::from(n) * one_x).round() as u32),
        joliet: true,
        md5: true,
    })
}

/// Q4: a new disc on write-once media needs a blank disc; say so before anything happens.
fn check_new_disc_possible(store: &Store, m: &Medium, why: &str) -> anyhow::Result<()> {
    if !m.blank && !m.erasable {
        bail!(
            "{}: a new disc is needed ({why}) but the {} in the drive already holds data and cannot be erased; insert a blank disc",
            store.target_device,
            m.name
        );
    }
    Ok(())
}

/// Cedar's new-disc decision (§3.3). Returns whether to write a new disc, and why.
fn decide_new_disc(
    ctx: &ActionContext<'_>,
    store: &Store,
    m: &Medium,
    req: &TreeBurn,
) -> anyhow::Result<(bool, String)> {
    let start = ctx.today_is_start();
    if ctx.full {
        return Ok((true, "--full".into()));
    }
    if m.blank {
        return Ok((true, "the disc is blank".into()));
    }
    let Some(bb) = &store.blank_behavior else {
        return Ok(if start {
            (true, "today is the starting day".into())
        } else {
            (false, "not the starting day".into())
        });
    };
    if bb.mode == BlankMode::Weekly && !start {
        return Ok((false, "weekly blank mode, not the starting day".into()));
    }
    let mut append = req.clone();
    append.new_disc = false;
    let plan = plan_tree(&append).context("planning an appended session for the blank decision")?;
    let available = plan.capacity.bytes_available() as f64;
    let required = u64::from(plan.image_sectors) as f64 * 2048.0;
    let ratio = available / (1.0 + required);
    log::info!(
        "blank decision: {:.0} bytes available / (1 + {:.0} bytes required) = {ratio:.3}, factor {}",
        available,
        required,
        bb.factor
    );
    Ok(if ratio <= bb.factor {
        (
            true,
            format!("ratio {ratio:.3} <= blank factor {}", bb.factor),
        )
    } else {
        (
            false,
            format!("ratio {ratio:.3} > blank factor {}", bb.factor),
        )
    })
}

/// Opens and closes the tray (unless no_eject), unlocks it, and waits the configured delays,
/// so the drive sees the new session (Cedar's refreshMedia; quirk Q5 kept: the unlock and
/// the refresh delay also apply with no_eject).
fn refresh_media(store: &Store) -> anyhow::Result<()> {
    // The same code as `spindle refresh` and `spindle eject`: every unlock clears the
    // persistent prevent too, so a drive left locked by `spindle lock --persistent` does not
    // stop the tray cycle after the disc was written.
    let policy = crate::disc::tray::TrayPolicy {
        no_eject: store.no_eject,
        eject_delay: Duration::from_secs(store.eject_delay.map_or(0, u64::from)),
        refresh_delay: Duration::from_secs(store.refresh_media_delay.map_or(0, u64::from)),
    };
    crate::disc::tray::refresh(&store.target_device, &policy)?;
    Ok(())
}

/// Writes `dirs` (new disc or appended), refreshes, checks, and marks them stored.
fn write_check_mark(
    ctx: &ActionContext<'_>,
    store: &Store,
    req: &TreeBurn,
    dirs: &[DailyDir],
    reason: &str,
) -> anyhow::Result<Written> {
    let dev = &store.target_device;
    log::info!(
        "{dev}: writing {} as {} with label [{}]",
        dirs.iter()
            .map(|d| format!("/{}", d.suffix))
            .collect::<Vec<_>>()
            .join(", "),
        if req.new_disc {
            "a new disc"
        } else {
            "an appended session"
        },
        req.volume_id
    );
    let done = burn_tree(req, &mut ()).with_context(|| format!("{dev}: writing the disc"))?;
    log::info!(
        "{dev}: wrote {} sectors at LBA {} ({} method, {} files)",
        done.plan.image_sectors,
        done.plan.start_lba,
        done.plan.method,
        done.summary.files
    );
    refresh_media(store)?;
    let checked = if store.check_data {
        consistency_check::check(dev, dirs)?
    } else {
        consistency_check::Checked::default()
    };
    for d in dirs {
        if !d.path.exists() {
            // Gone since it was written (and checked through the disc's MD5s): there is
            // nothing to mark, and nothing left for a later store to pick.
            log::info!(
                "{} no longer exists: nothing to mark stored",
                d.path.display()
            );
            continue;
        }
        write_indicator(ctx, &d.path, STORE_INDICATOR)?;
        log::info!("marked {} stored", d.path.display());
    }
    Ok(Written {
        device: dev.clone(),
        new_disc: req.new_disc,
        reason: reason.to_owned(),
        label: req.volume_id.clone(),
        directories: dirs.iter().map(|d| d.suffix.clone()).collect(),
        method: done.plan.method.clone(),
        start_lba: done.plan.start_lba,
        sectors: done.plan.image_sectors,
        files: done.summary.files,
        checked: store.check_data,
        checked_by_md5: checked.by_md5,
    })
}

/// The store action.
///
/// # Errors
/// No `<store>` section, a foreign disc (check_media), no staging dir to store, no medium or
/// a medium that cannot take the write, a tree that does not fit, drive errors, a failed
/// consistency check. In every case the staging dir is left unmarked.
pub fn store(ctx: &ActionContext<'_>) -> anyhow::Result<Written> {
    let store = store_section(ctx)?;
    // The drive is ours from the first look to the last refresh.
    let _lease = crate::disc::target::lease(&store.target_device)?;
    if store.target_scsi_id.is_some() {
        log::info!("<target_scsi_id> is ignored: spindle addresses the drive by <target_device>");
    }
    if store.check_media {
        check_media(store)?;
    }
    let root = staging_root(ctx, store);
    let dir = find_store_dir(ctx, root, store.warn_midnite)?;
    let dirs = [dir];
    let m = survey(store)?;
    let mut req = request(store, ctx, &dirs, false, &m)?;
    let (new_disc, why) = decide_new_disc(ctx, store, &m, &req)?;
    log::info!(
        "{}: {} ({why})",
        store.target_device,
        if new_disc { "new disc" } else { "appending" }
    );
    if new_disc {
        check_new_disc_possible(store, &m, &why)?;
    }
    req.new_disc = new_disc;
    write_check_mark(ctx, store, &req, &dirs, &why)
}

/// The rebuild action: every staged dir of this week, from the starting day to today, on a
/// new disc, whether stored or not.
///
/// # Errors
/// As [`store`]; no staged dir this week.
pub fn rebuild(ctx: &ActionContext<'_>) -> anyhow::Result<Written> {
    let store = store_section(ctx)?;
    // The drive is ours from the first look to the last refresh.
    let _lease = crate::disc::target::lease(&store.target_device)?;
    if store.check_media {
        check_media(store)?;
    }
    let root = &store.source_dir;
    let days = days_since_start(
        chrono::Datelike::weekday(&ctx.today),
        ctx.options().starting_day,
    );
    let mut dirs = Vec::new();
    for back in (0..days).rev() {
        let Some(day) = ctx.today.checked_sub_days(Days::new(u64::from(back))) else {
            continue;
        };
        let d = DailyDir::of(root, day);
        if d.path.join(STAGE_INDICATOR).is_file() {
            log::info!("rebuild: including {}", d.path.display());
            dirs.push(d);
        } else {
            log::debug!("rebuild: {} is not staged", d.path.display());
        }
    }
    if dirs.is_empty() {
        bail!(
            "rebuild: no staged directories under {} since the last {} ({} days back)",
            root.display(),
            crate::cedar::config::weekday_name(ctx.options().starting_day),
            days
        );
    }
    let m = survey(store)?;
    check_new_disc_possible(store, &m, "rebuild")?;
    let req = request(store, ctx, &dirs, true, &m)?;
    write_check_mark(ctx, store, &req, &dirs, "rebuild")
}

/// The initialize action: a new disc holding only an empty `/CedarBackup`, labelled, so
/// check_media accepts it. Rewritable media types only.
///
/// # Errors
/// A write-once media type, no `<store>`, a missing working_dir, drive errors.
pub fn initialize(ctx: &ActionContext<'_>) -> anyhow::Result<Written> {
    let store = store_section(ctx)?;
    // The drive is ours from the first look to the last refresh.
    let _lease = crate::disc::target::lease(&store.target_device)?;
    if !store.media_type.is_rewritable() {
        bail!(
            "initialize works only on rewritable media (cdrw-74, cdrw-80, dvd+rw); <media_type> is {}",
            store.media_type.name()
        );
    }
    let work = &ctx.options().working_dir;
    let tmp = tempdir_in(work)?;
    let m = survey(store)?;
    if !m.erasable {
        bail!(
            "{}: initialize needs a rewritable disc, but the drive holds {}",
            store.target_device,
            m.name
        );
    }
    refresh_media(store)?;
    let req = TreeBurn {
        device: store.target_device.clone(),
        grafts: vec![iso9660::GraftPoint {
            dest: "CedarBackup".into(),
            source: tmp.clone(),
        }],
        remove: Vec::new(),
        volume_id: media_label(ctx.today),
        new_disc: true,
        finalize: false,
        ownership: iso9660::Ownership::Rationalized,
        speed_kbps: None,
        joliet: true,
        md5: true,
    };
    log::info!(
        "{}: initializing with label [{}]",
        store.target_device,
        req.volume_id
    );
    let r =
        burn_tree(&req, &mut ()).with_context(|| format!("{}: initializing", store.target_device));
    let _ = std::fs::remove_dir(&tmp);
    let done = r?;
    refresh_media(store)?;
    log::info!("{}: initialized", store.target_device);
    Ok(Written {
        device: store.target_device.clone(),
        new_disc: true,
        reason: "initialize".into(),
        label: req.volume_id.clone(),
        directories: Vec::new(),
        method: done.plan.method.clone(),
        start_lba: done.plan.start_lba,
        sectors: done.plan.image_sectors,
        files: done.summary.files,
        checked: false,
        checked_by_md5: Vec::new(),
    })
}

fn tempdir_in(work: &Path) -> anyhow::Result<PathBuf> {
    if !work.is_dir() {
        bail!("<working_dir> {} does not exist", work.display());
    }
    for n in 0..1000u32 {
        let p = work.join(format!("spindle-init-{}-{n}", std::process::id()));
        match std::fs::create_dir(&p) {
            Ok(()) => return Ok(p),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("creating {}", p.display())),
        }
    }
    bail!("cannot make a temporary directory in {}", work.display())
}
