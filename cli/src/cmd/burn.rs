//! `spindle burn`, `blank`, `format` and `verify`: the CLI over `mmc::burn`.

use std::ffi::OsString;
use std::fs::File;
use std::io::{BufReader, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cmd::json::{method_name, BurnSummary, VerifySummary};
use crate::disc::session;
use crate::disc::Target;
use mmc::burn::{
    verify, BufferFill, BurnOptions, BurnProgress, Burner, Phase, Preparation, Recipe,
};

/// Arguments of `spindle burn`.
#[derive(Debug, Args)]
#[command(after_help = "\
With --tree the image is built from files and streamed to the drive as it is written (no
temporary image). Without --new-disc the tree of the last session is imported and the new
files are added to it (growisofs -M); with --new-disc the tree is the whole disc (-Z).
DEVICE may also be an image file: appends to it use the growisofs method.

Examples:
  spindle burn /dev/sr0 --new-disc -V 'CEDAR BACKUP' --tree 2026/11/22/=/var/backup/stage
  spindle burn /dev/sr0 --tree 2026/11/23/=/var/backup/stage --dry-run
  spindle burn /dev/sr0 session.iso")]
pub struct BurnArgs {
    /// The drive: /dev/srN, /dev/sgN or mock:DIR (with --tree, also an image file).
    pub device: String,
    /// The image to write (built for the address `--dry-run` prints, when appending).
    #[arg(required_unless_present = "tree", conflicts_with = "tree")]
    pub image: Option<PathBuf>,
    /// Build the session from these sources (DEST=SRC graft points, or PATH) and stream it.
    #[arg(long, value_name = "DEST=SRC", num_args = 1..)]
    pub tree: Vec<OsString>,
    /// With --tree: the volume label (default: the previous session's, when appending).
    #[arg(short = 'V', long = "volid", value_name = "LABEL", default_value = "")]
    pub volume_id: String,
    /// With --tree: remove these paths from the imported tree.
    #[arg(long, value_name = "PATH", requires = "tree")]
    pub remove: Vec<OsString>,
    /// With --tree: record owners and modes exactly (mkisofs -R) instead of rationalized (-r).
    #[arg(short = 'R', long = "rock")]
    pub exact: bool,
    /// With --tree: leave out the MD5 checksums (recorded by default, as `xorriso -md5 on`
    /// records them, so `spindle check` and `xorriso -check_md5` verify the disc alone).
    #[arg(long, requires = "tree")]
    pub no_md5: bool,
    /// Write the image as a new disc (blank rewritable media first) instead of appending.
    #[arg(long)]
    pub new_disc: bool,
    /// Close the disc for good afterwards (write-once media).
    #[arg(long)]
    pub finalize: bool,
    /// Write speed as a multiple of the medium's 1x (CD 176.4, DVD 1385, BD 4495.5 kB/s).
    #[arg(long, value_name = "N")]
    pub speed: Option<f64>,
    /// Print the plan and the capacity check; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// After burning, reload the medium (as `spindle refresh`, with the delays below).
    #[arg(long)]
    pub refresh: bool,
    /// The refresh's delays and no-eject.
    #[command(flatten)]
    pub tray: crate::cmd::tray::TrayArgs,
    /// Print a summary as JSON (docs/schema/burn.json) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `spindle blank` and `spindle format`.
#[derive(Debug, Args)]
pub struct PrepareArgs {
    /// The drive: /dev/srN, /dev/sgN or mock:DIR.
    pub device: String,
    /// Blank: erase the whole disc. Format: full format (DVD+RW: wait for the background
    /// format; DVD-RW: format 10h instead of the quick 15h).
    #[arg(long)]
    pub full: bool,
}

/// Arguments of `spindle close`.
#[derive(Debug, Args)]
#[command(after_help = "\
A burn that stops mid-way on write-once media (CD-R/RW, DVD-R/RW sequential, DVD+R, BD-R)
leaves its session open, and no session can be appended until it is closed: burn says so.
close sends SYNCHRONIZE CACHE, CLOSE TRACK for each open track holding data, then CLOSE
SESSION. The blocks already written stay on the disc. If that session's image was cut off,
the next burn builds on the session before it (its files, not the broken ones) and says so.
Overwritable media (DVD+RW, DVD-RW restricted overwrite, BD-RE) have nothing to close: an
interrupted burn leaves their previous session in place.

Examples:
  spindle close /dev/sr0
  spindle close --finalize --json mock:/tmp/drive")]
pub struct CloseArgs {
    /// The drive: /dev/srN, /dev/sgN or mock:DIR.
    pub device: String,
    /// Finalize the disc instead (no session can be added afterwards).
    #[arg(long)]
    pub finalize: bool,
    /// Print what was done as JSON (closed_tracks, closed_session, finalized,
    /// incomplete_sessions, and the disc state after).
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `spindle verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The drive: /dev/srN, /dev/sgN or mock:DIR.
    pub device: String,
    /// The image that was written (block by block from its start LBA).
    #[arg(required_unless_present = "tree")]
    pub image: Option<PathBuf>,
    /// Where the image starts on the disc (default: the last session on write-once media,
    /// 0 on overwritable media).
    #[arg(long, conflicts_with = "tree")]
    pub lba: Option<u32>,
    /// Instead of an image: check that these sources (DEST=SRC or PATH, as given to
    /// `burn --tree`) are in the disc's last session with identical contents (SHA-1 of every
    /// regular file, read through the drive).
    #[arg(long, value_name = "DEST=SRC", num_args = 1.., conflicts_with = "image")]
    pub tree: Vec<std::ffi::OsString>,
    /// Print the result as JSON (docs/schema/verify.json) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// A progress bar on a terminal (stderr), nothing otherwise.
struct Bar {
    bar: Option<ProgressBar>,
    fill: Option<BufferFill>,
}

impl Bar {
    fn new() -> Bar {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = ProgressBar::new(0);
            b.set_style(
                ProgressStyle::with_template(
                    "{prefix:>9} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b
        });
        Bar { bar, fill: None }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl BurnProgress for Bar {
    fn phase(&mut self, phase: Phase) {
        if let Some(b) = &self.bar {
            b.set_prefix(format!("{phase:?}").to_lowercase());
            b.set_message("");
        }
    }

    fn bytes(&mut self, done: u64, total: u64) {
        if let Some(b) = &self.bar {
            b.set_length(total);
            b.set_position(done);
        }
    }

    fn buffer(&mut self, fill: BufferFill) {
        self.fill = Some(fill);
        if let Some(b) = &self.bar {
            let pct = u64::from(fill.used) * 100 / u64::from(fill.size.max(1));
            b.set_message(format!("buffer {pct}%"));
        }
    }

    fn wants_buffer_fill(&self) -> bool {
        self.bar.is_some()
    }

    fn operation(&mut self, fraction: Option<f64>) {
        if let (Some(b), Some(f)) = (&self.bar, fraction) {
            b.set_message(format!("{:.0}%", f * 100.0));
            b.tick();
        }
    }
}

fn one_x_kbps(recipe: Recipe) -> f64 {
    match recipe {
        Recipe::CdTao => 176.4,
        Recipe::BdR | Recipe::BdRe => 4495.5,
        _ => 1385.0,
    }
}

/// `spindle burn`.
///
/// # Errors
/// Open failures, an image that does not fit (found before anything is written), drive
/// errors during the burn (with how far it got and what the disc is left as).
pub fn burn(a: &BurnArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    match &a.image {
        Some(image) => burn_image(a, image, out)?,
        None => burn_tree_cmd(a, out)?,
    }
    if a.refresh && !a.dry_run && !Target::parse(&a.device)?.is_image() {
        crate::disc::tray::refresh(&a.device, &a.tray.policy())?;
    }
    Ok(())
}

fn burn_image(a: &BurnArgs, image: &std::path::Path, out: &mut dyn Write) -> anyhow::Result<()> {
    let file = File::open(image).with_context(|| format!("{}", image.display()))?;
    let len = file
        .metadata()
        .with_context(|| format!("{}", image.display()))?
        .len();
    check_image_whole(image, &file, len)?;
    let mut drive = crate::disc::open_writer(&a.device, "burn")?;
    let mut burner =
        Burner::new(&mut drive, &crate::disc::ISO9660).with_context(|| a.device.clone())?;
    let speed_kbps = a
        .speed
        .map(|n| (n * one_x_kbps(burner.status().recipe)).round() as u32);
    let opts = BurnOptions {
        new_disc: a.new_disc,
        finalize: a.finalize,
        speed_kbps,
        overwritable_start: 0,
    };
    let capacity = burner.capacity(a.new_disc);
    if a.dry_run && !a.json {
        writeln!(
            out,
            "device:    {}\ncapacity:  {} blocks used, {} available ({} bytes), {:.1}% utilized",
            a.device,
            capacity.used_blocks,
            capacity.available_blocks,
            capacity.bytes_available(),
            capacity.utilized()
        )?;
    }
    let plan = burner
        .plan(len, &opts)
        .with_context(|| format!("{}: {}", a.device, image.display()))
        .map_err(|e| crate::disc::write::advise(e, &a.device))?;
    let summary = |dry_run: bool, start_lba: u32, write_blocks: u64| BurnSummary {
        device: a.device.clone(),
        source: "image",
        dry_run,
        fits: true,
        method: method_name(plan.session.method).to_owned(),
        start_lba,
        image_blocks: plan.image_blocks,
        write_blocks,
        available_blocks: plan.capacity.available_blocks,
        files: None,
        finalized: plan.finalize,
    };
    if a.dry_run {
        if a.json {
            let s = summary(true, plan.session.start_lba, u64::from(plan.write_blocks));
            return crate::cmd::json::print(out, &s);
        }
        write!(out, "{plan}")?;
        return Ok(());
    }
    stop_burns_on_sigint();
    burner.stop_when(crate::disc::write::interrupt_flag());
    let mut bar = Bar::new();
    let report = burner.burn(&plan, BufReader::new(file), &mut bar);
    bar.finish();
    let report = report
        .with_context(|| a.device.clone())
        .map_err(|e| crate::disc::write::advise(e, &a.device))?;
    if a.json {
        let s = summary(false, report.start_lba, u64::from(report.blocks_written));
        return crate::cmd::json::print(out, &s);
    }
    writeln!(
        out,
        "burned {} blocks ({} image blocks) at LBA {}{}",
        report.blocks_written,
        report.image_blocks,
        report.start_lba,
        if plan.finalize {
            "; disc finalized"
        } else {
            ""
        }
    )?;
    Ok(())
}

/// `spindle burn --tree`: plan (and with `--dry-run` print) or burn a tree.
fn burn_tree_cmd(a: &BurnArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let grafts = a
        .tree
        .iter()
        .map(|s| {
            iso9660::GraftPoint::parse(s)
                .with_context(|| format!("--tree '{}'", s.to_string_lossy()))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let speed_kbps = match a.speed {
        None => None,
        Some(n) => {
            let mut drive = crate::disc::open_drive(&a.device, "burn --speed")?;
            let burner =
                Burner::new(&mut drive, &crate::disc::ISO9660).with_context(|| a.device.clone())?;
            Some((n * one_x_kbps(burner.status().recipe)).round() as u32)
        }
    };
    let req = crate::disc::write::TreeBurn {
        device: a.device.clone(),
        grafts,
        remove: a.remove.clone(),
        volume_id: a.volume_id.clone(),
        new_disc: a.new_disc,
        finalize: a.finalize,
        ownership: if a.exact {
            iso9660::Ownership::Exact
        } else {
            iso9660::Ownership::Rationalized
        },
        speed_kbps,
        joliet: true,
        md5: !a.no_md5,
    };
    let summary = |plan: &crate::disc::write::TreePlan, dry_run: bool| BurnSummary {
        device: a.device.clone(),
        source: "tree",
        dry_run,
        fits: plan.fits,
        method: plan.method.clone(),
        start_lba: plan.start_lba,
        image_blocks: plan.image_sectors,
        write_blocks: plan.write_blocks,
        available_blocks: plan.capacity.available_blocks,
        files: Some(plan.files as u64),
        finalized: plan.burn_plan.as_ref().is_some_and(|p| p.finalize),
    };
    if a.dry_run {
        let plan = crate::disc::write::plan_tree(&req)?;
        if a.json {
            crate::cmd::json::print(out, &summary(&plan, true))?;
        } else {
            write!(out, "{plan}")?;
        }
        if !plan.fits {
            anyhow::bail!(
                "{}: the tree needs {} blocks but the medium has {} available",
                a.device,
                plan.write_blocks,
                plan.capacity.available_blocks
            );
        }
        return Ok(());
    }
    // An image file is written by this process alone: SIGINT keeps its default there.
    if !Target::parse(&a.device)?.is_image() {
        stop_burns_on_sigint();
    }
    let mut bar = Bar::new();
    let done = crate::disc::write::burn_tree(&req, &mut bar);
    bar.finish();
    let done = done?;
    if a.json {
        let mut s = summary(&done.plan, false);
        s.start_lba = done.report.start_lba;
        s.write_blocks = u64::from(done.report.blocks_written);
        s.files = Some(done.summary.files);
        return crate::cmd::json::print(out, &s);
    }
    writeln!(
        out,
        "burned {} blocks ({} image blocks, {} files) at LBA {} ({}){}",
        done.report.blocks_written,
        done.report.image_blocks,
        done.summary.files,
        done.report.start_lba,
        done.plan.method,
        if done.plan.burn_plan.as_ref().is_some_and(|p| p.finalize) {
            "; disc finalized"
        } else {
            ""
        }
    )?;
    Ok(())
}

/// SIGINT during a burn to a drive: the first one stops the burn before its next WRITE, and
/// the burn then fails like any other, saying how far it got and what the disc is left as
/// (exit 5, interrupted); a second one exits at once (130). Killing the process outright
/// would leave the user guessing about the disc.
fn stop_burns_on_sigint() {
    let flag = crate::disc::write::interrupt_flag();
    let installed = ctrlc::set_handler(move || {
        if flag.swap(true, std::sync::atomic::Ordering::SeqCst) {
            eprintln!(
                "spindle: interrupted again: exiting now; the disc may be left with an open \
                 session (`spindle close` closes it)"
            );
            std::process::exit(130);
        }
        eprintln!(
            "spindle: interrupt: stopping the burn before its next write \
             (interrupt again to exit at once)"
        );
    });
    if let Err(e) = installed {
        log::debug!("no SIGINT handler for the burn: {e}");
    }
}

fn prepare(a: &PrepareArgs, what: Preparation) -> anyhow::Result<()> {
    let mut drive = crate::disc::open_writer(&a.device, "blank/format")?;
    let mut burner =
        Burner::new(&mut drive, &crate::disc::ISO9660).with_context(|| a.device.clone())?;
    let mut bar = Bar::new();
    let r = burner.prepare(what, &mut bar);
    bar.finish();
    r.with_context(|| a.device.clone())
}

/// `spindle blank`.
///
/// # Errors
/// Media that cannot be blanked; drive errors.
pub fn blank(a: &PrepareArgs) -> anyhow::Result<()> {
    prepare(a, Preparation::Blank { full: a.full })
}

/// `spindle format`.
///
/// # Errors
/// Media that cannot be formatted; drive errors.
pub fn format(a: &PrepareArgs) -> anyhow::Result<()> {
    prepare(a, Preparation::Format { full: a.full })
}

/// `spindle close`.
///
/// # Errors
/// Overwritable media; drive errors.
pub fn close_cmd(a: &CloseArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut drive = crate::disc::open_writer(&a.device, "close")?;
    let mut burner =
        Burner::new(&mut drive, &crate::disc::ISO9660).with_context(|| a.device.clone())?;
    let mut bar = Bar::new();
    let r = burner.close_open_session(a.finalize, &mut bar);
    bar.finish();
    let report = r.with_context(|| a.device.clone())?;
    let s = burner.status().clone();
    // Which sessions a reader passes over is the disc layer's one rule.
    let (sessions, _) = session::survey_drive(drive)?;
    let incomplete = sessions.passed_over.clone();
    let state = format!(
        "{}, last session {}, {} session(s), next writable address {}",
        s.disc_status.as_str(),
        s.last_session.as_str(),
        s.sessions,
        s.next_writable
            .map_or_else(|| "none".to_string(), |n| n.to_string())
    );
    if a.json {
        let v = serde_json::json!({
            "device": a.device,
            "closed_tracks": report.closed_tracks,
            "closed_session": report.closed_session,
            "finalized": report.finalized,
            "incomplete_sessions": incomplete,
            "disc_status": s.disc_status.as_str(),
            "last_session": s.last_session.as_str(),
            "sessions": s.sessions,
            "next_writable_address": s.next_writable,
            "last_session_start": s.last_session_start,
        });
        writeln!(out, "{v:#}")?;
        return Ok(());
    }
    if !report.closed_session {
        writeln!(out, "{}: nothing was open ({state})", a.device)?;
        return Ok(());
    }
    let tracks = if report.closed_tracks.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = report.closed_tracks.iter().map(u16::to_string).collect();
        format!("closed track(s) {}, ", list.join(", "))
    };
    let what = if report.finalized {
        "finalized the disc"
    } else {
        "closed the session"
    };
    writeln!(out, "{}: {tracks}{what}; now {state}", a.device)?;
    for k in &incomplete {
        writeln!(
            out,
            "{}: session {k} holds an image that was cut off; the next burn builds on the session before it",
            a.device
        )?;
    }
    Ok(())
}

/// Refuses an image file shorter than the volume its own descriptor declares: burning or
/// verifying it would put (or accept) zeros where its last files belong.
///
/// # Errors
/// A truncated image, naming both sizes; read errors.
fn check_image_whole(path: &std::path::Path, file: &File, len: u64) -> anyhow::Result<()> {
    use std::os::unix::fs::FileExt;
    let mut block = vec![0u8; 2048];
    let got = file
        .read_at(&mut block, 16 * 2048)
        .with_context(|| format!("{}", path.display()))?;
    if got < block.len() {
        return Ok(());
    }
    if let Some(pvd) = session::primary_descriptor(&block) {
        let declared = u64::from(pvd.volume_space_size);
        let have = len.div_ceil(2048);
        if declared > have {
            anyhow::bail!(
                "{}: the image holds {have} blocks ({len} bytes) but its volume descriptor declares {declared} blocks ({} bytes): it is truncated (an interrupted copy or download?); nothing was written",
                path.display(),
                declared * 2048
            );
        }
    }
    Ok(())
}

/// `spindle verify`.
///
/// # Errors
/// The first block that differs (with its LBA), read errors, drive errors.
pub fn verify_cmd(a: &VerifyArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let Some(image) = &a.image else {
        return verify_tree(a, out);
    };
    let file = File::open(image).with_context(|| format!("{}", image.display()))?;
    let len = file
        .metadata()
        .with_context(|| format!("{}", image.display()))?
        .len();
    if len == 0 {
        anyhow::bail!(
            "{}: the image is empty; there is nothing to compare",
            image.display()
        );
    }
    check_image_whole(image, &file, len)?;
    let target = Target::parse(&a.device)?;
    let (sessions, src) = session::survey(&target)?;
    // By default, where the last session starts: the one the last burn wrote.
    let start = a
        .lba
        .unwrap_or_else(|| sessions.last_session().map_or(0, |s| s.start));
    let r = match src.into_drive() {
        Some(mut drive) => {
            let mut bar = Bar::new();
            let r = verify(&mut drive, start, BufReader::new(file), len, &mut bar);
            bar.finish();
            r.map_err(anyhow::Error::new)
        }
        None => verify_file(&a.device, start, file, len),
    };
    r.with_context(|| format!("{}: {}", a.device, image.display()))?;
    if a.json {
        let s = VerifySummary {
            device: a.device.clone(),
            against: "image",
            start_lba: Some(start),
            bytes: Some(len),
            files: None,
            identical: true,
        };
        return crate::cmd::json::print(out, &s);
    }
    writeln!(out, "verified {} bytes at LBA {start}: identical", len)?;
    Ok(())
}

/// [`verify`] for an image file target: the same comparison, block by block.
fn verify_file(target: &str, start: u32, image: File, len: u64) -> anyhow::Result<()> {
    use std::io::Read;
    let disc = File::open(target).with_context(|| target.to_owned())?;
    let mut a = BufReader::new(image);
    let mut b = BufReader::new(disc);
    std::io::Seek::seek(&mut b, std::io::SeekFrom::Start(u64::from(start) * 2048))?;
    let mut x = vec![0u8; 2048];
    let mut y = vec![0u8; 2048];
    let mut done = 0u64;
    while done < len {
        let n = usize::try_from((len - done).min(2048)).unwrap_or(2048);
        a.read_exact(&mut x[..n])?;
        let got = b.read(&mut y[..n])?;
        if got < n || x[..n] != y[..n] {
            anyhow::bail!(
                "block at LBA {} differs from the image",
                u64::from(start) + done / 2048
            );
        }
        done += n as u64;
    }
    Ok(())
}

/// `spindle verify DEVICE --tree …`: every regular file of the sources must be in the last
/// session with the same SHA-1. Files on the disc that the sources do not have (earlier
/// days, other grafts) are listed but are not a failure.
fn verify_tree(a: &VerifyArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let files = crate::disc::compare::verify_sources(&a.device, &a.tree)?;
    if a.json {
        let s = VerifySummary {
            device: a.device.clone(),
            against: "tree",
            start_lba: None,
            bytes: None,
            files: Some(files),
            identical: true,
        };
        return crate::cmd::json::print(out, &s);
    }
    writeln!(
        out,
        "verified {files} files against the last session: identical"
    )?;
    Ok(())
}
