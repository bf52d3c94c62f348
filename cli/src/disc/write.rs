//! Burning a tree of files: an `iso9660` plan streamed straight into the burner through a
//! bounded buffer, with no temporary image (growisofs `-Z`/`-M` with a tree, done in
//! process).
//!
//! # API
//! - [`TreeBurn`]: the request (device, graft points, paths to remove from the imported
//!   tree, label, new disc or append, finalize, ownership, speed).
//! - [`plan_tree`]`(&TreeBurn) -> anyhow::Result<`[`TreePlan`]`>`: where the session goes
//!   and its exact size, with the capacity check. Nothing is written. When appending, the
//!   previous session's tree is imported from the medium ([`crate::disc::sectors`], READ(10)
//!   through the drive) and the image is planned for [`mmc::burn::Burner::next_session_start`],
//!   so the sector count is the one [`burn_tree`] writes (no estimate, no fudge factor).
//! - [`burn_tree`]`(&TreeBurn, &mut dyn BurnProgress) -> anyhow::Result<`[`BurnedTree`]`>`:
//!   plans as above, refuses a tree that does not fit before any WRITE, then runs
//!   [`iso9660::Layout::write_to`] in a thread into a bounded channel (16 × 256 KiB) whose
//!   reading end is the source of [`mmc::burn::Burner::burn`]. If a source file changes
//!   while it is read, the burn stops with the file named and the state the disc is left in.
//!
//! Targets ([`crate::disc::target::Target`]): a drive (`/dev/srN`, `/dev/sgN`, `mock:DIR`),
//! or an image file. This is the one place sessions are appended to image files: an image
//! file is an overwritable medium, written as libisoburn writes one. Its first session goes
//! to LBA 32 and LBA 0..31 holds the superblock; a later session goes after the volume,
//! rounded up to 32 blocks; its data is written and flushed, and only then are the volume
//! descriptors at LBA 16 replaced by the new session's, with the volume size patched to the
//! new end. A write cut off before that last step leaves the previous session as the one
//! readers see. The same layout is used on overwritable media (DVD+RW, DVD-RW restricted
//! overwrite, BD-RE), where [`crate::disc::session`] reads it back.
//!
//! The capacity of an image file is the space its file system has left, or
//! `SPINDLE_IMAGE_CAPACITY` (sectors with an `s` suffix, or bytes with `k`/`m`/`g`) when set:
//! an image meant for a DVD can be held to a DVD's size.
//!
//! ```no_run
//! use cli::disc::write::{burn_tree, TreeBurn};
//! let req = TreeBurn {
//!     device: "/dev/sr0".into(),
//!     grafts: vec![iso9660::GraftPoint::parse("2026/11/22=/var/backup/stage".as_ref())?],
//!     remove: Vec::new(),
//!     volume_id: "CEDAR BACKUP".into(),
//!     new_disc: false,
//!     finalize: false,
//!     ownership: iso9660::Ownership::Exact,
//!     speed_kbps: None,
//!     joliet: true,
//!     md5: true,
//! };
//! let done = burn_tree(&req, &mut ())?;
//! println!("{} sectors at LBA {}", done.plan.image_sectors, done.plan.start_lba);
//! # Ok::<(), anyhow::Error>(())
//! ```

use std::ffi::OsString;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};

use anyhow::{bail, Context};
use iso9660::multisession as iso;
use iso9660::{GraftPoint, Image, ImageBuilder, Layout, Lba, Options, Ownership, WriteSummary};
use mmc::burn::{BurnOptions, BurnPlan, BurnProgress, BurnReport, Burner, MediaCapacity};

use crate::disc::sectors::{AnyDrive, DiscSectors};
use crate::disc::session::{self, OVERWRITABLE_FIRST_SESSION};
use crate::disc::target::Target;

/// Name of the environment variable that caps an image file's capacity.
pub const IMAGE_CAPACITY_ENV: &str = "SPINDLE_IMAGE_CAPACITY";

/// Bytes per sector.
const BLOCK: u64 = 2048;
/// The pipe between the image writer and the burner: buffers of this many WRITE commands…
const PIPE_WRITES: usize = 4;
/// …at most this many in flight (4 MiB with 64 KiB WRITEs).
const PIPE_DEPTH: usize = 16;

/// What to burn where.
#[derive(Debug, Clone)]
pub struct TreeBurn {
    /// The target: `/dev/srN`, `/dev/sgN`, `mock:DIR`, or an image file.
    pub device: String,
    /// Sources and where they go (mkisofs graft points).
    pub grafts: Vec<GraftPoint>,
    /// Paths to delete from the tree imported from the previous session.
    pub remove: Vec<OsString>,
    /// Volume label; empty keeps the previous session's label when appending.
    pub volume_id: String,
    /// Write a new disc (growisofs `-Z`) instead of appending a session (`-M`).
    pub new_disc: bool,
    /// Close the disc for good (write-once media).
    pub finalize: bool,
    /// Rock Ridge owners and modes.
    pub ownership: Ownership,
    /// Write speed in kB/s.
    pub speed_kbps: Option<u32>,
    /// Write a Joliet tree too.
    pub joliet: bool,
    /// Record MD5 checksums (libisofs's format: `xorriso -check_md5` and `spindle check`
    /// verify the disc without its sources).
    pub md5: bool,
}

/// A planned tree burn: what `--dry-run` prints.
#[derive(Debug, Clone)]
pub struct TreePlan {
    /// The target.
    pub device: String,
    /// The medium (profile name), or "image file".
    pub medium: String,
    /// Sectors of the session image, exactly as written (before padding to the write unit).
    pub image_sectors: u32,
    /// Where the session starts.
    pub start_lba: u32,
    /// "new-disc", "session" (write-once media) or "grow" (growisofs method).
    pub method: String,
    /// The session whose tree was imported, if any.
    pub previous_session_lba: Option<u32>,
    /// The capacity the session may use.
    pub capacity: MediaCapacity,
    /// Whether the session (padding included) fits.
    pub fits: bool,
    /// Blocks written, padding to the write unit (and CD's 300-block minimum) included.
    pub write_blocks: u64,
    /// Source files whose bytes the session writes.
    pub files: usize,
    /// The volume label the session gets.
    pub volume_id: String,
    /// The burner's steps (drives, when it fits).
    pub burn_plan: Option<BurnPlan>,
}

impl fmt::Display for TreePlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "device:    {}", self.device)?;
        writeln!(f, "medium:    {}", self.medium)?;
        writeln!(
            f,
            "session:   {} at LBA {}{}",
            self.method,
            self.start_lba,
            self.previous_session_lba
                .map(|p| format!(", importing the tree of the session at LBA {p}"))
                .unwrap_or_default()
        )?;
        writeln!(f, "label:     {}", self.volume_id)?;
        writeln!(f, "sectors:   {}", self.image_sectors)?;
        writeln!(
            f,
            "image:     {} bytes, {} files to copy, {} blocks written with padding",
            u64::from(self.image_sectors) * BLOCK,
            self.files,
            self.write_blocks
        )?;
        writeln!(
            f,
            "capacity:  {} blocks used, {} available ({:.1}% utilized): {}",
            self.capacity.used_blocks,
            self.capacity.available_blocks,
            self.capacity.utilized(),
            if self.fits { "fits" } else { "DOES NOT FIT" }
        )?;
        if let Some(p) = &self.burn_plan {
            for (i, s) in p.steps.iter().enumerate() {
                writeln!(f, "step {}:    {s}", i + 1)?;
            }
        }
        Ok(())
    }
}

/// What [`burn_tree`] did.
#[derive(Debug, Clone)]
pub struct BurnedTree {
    /// The plan it followed.
    pub plan: TreePlan,
    /// The burner's report (blocks written, padding included).
    pub report: BurnReport,
    /// The image writer's summary (files and bytes copied).
    pub summary: WriteSummary,
}

/// Where a tree goes.
enum Dest {
    /// The open drive and the survey the plan was made from.
    Drive(Box<AnyDrive>, Box<mmc::burn::MediumStatus>),
    File(PathBuf),
}

/// A planned image, the target, and the plan's facts.
struct Prepared {
    layout: Layout,
    target: Dest,
    plan: TreePlan,
}

/// Parses a capacity: `N` or `Ns` sectors, `Nk`, `Nm`, `Ng` bytes (binary multiples).
///
/// # Errors
/// Not a number with one of those suffixes.
pub fn parse_capacity(s: &str) -> anyhow::Result<u64> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, 's' | 'S')) => (&s[..i], 0),
        Some((i, 'k' | 'K')) => (&s[..i], 1024),
        Some((i, 'm' | 'M')) => (&s[..i], 1024 * 1024),
        Some((i, 'g' | 'G')) => (&s[..i], 1024 * 1024 * 1024),
        _ => (s, 0),
    };
    let n: u64 = num
        .parse()
        .with_context(|| format!("capacity '{s}': want sectors (N or Ns) or bytes (Nk, Nm, Ng)"))?;
    Ok(if mult == 0 { n } else { n * mult / BLOCK })
}

/// The sectors an image file may grow to: `SPINDLE_IMAGE_CAPACITY`, else what its file
/// system has free plus what the file holds now.
///
/// # Errors
/// A malformed `SPINDLE_IMAGE_CAPACITY`.
pub fn image_capacity(path: &Path) -> anyhow::Result<u64> {
    if let Ok(v) = std::env::var(IMAGE_CAPACITY_ENV) {
        return parse_capacity(&v).with_context(|| IMAGE_CAPACITY_ENV);
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let len = std::fs::metadata(path).map_or(0, |m| m.len());
    Ok(nix::sys::statvfs::statvfs(&dir)
        .ok()
        .map_or(u64::from(u32::MAX), |s| {
            (s.blocks_available() * s.fragment_size() + len) / BLOCK
        }))
}

fn options(req: &TreeBurn, label: String) -> Options {
    Options {
        volume_id: label,
        joliet: req.joliet,
        ownership: req.ownership,
        source_date_epoch: Options::source_date_epoch_from_env(),
        capacity: None,
        md5: req.md5,
    }
}

/// Imports the previous session (when there is one) and adds the request's sources;
/// returns the layout and the label.
fn build<R: Read + io::Seek>(
    req: &TreeBurn,
    previous: Option<&mut Image<R>>,
    start: u32,
) -> anyhow::Result<(Layout, String)> {
    let mut label = req.volume_id.clone();
    let mut builder = match previous {
        Some(image) => {
            if label.is_empty() {
                label = image.volume_id();
            }
            ImageBuilder::append(options(req, label.clone()), image, Lba(start))
                .context("importing the previous session's tree")?
        }
        None => ImageBuilder::new_at(options(req, label.clone()), Lba(start))?,
    };
    for r in &req.remove {
        if !builder.remove(r) {
            bail!(
                "remove {}: no such path in the previous session",
                r.to_string_lossy()
            );
        }
    }
    for g in &req.grafts {
        builder.add(g).with_context(|| {
            format!("adding {}={}", g.dest.to_string_lossy(), g.source.display())
        })?;
    }
    let layout = builder.plan().context("planning the image")?;
    for w in layout.warnings() {
        log::warn!("{w:?}");
    }
    crate::disc::log_carried_md5s(&layout);
    Ok((layout, label))
}

fn method_name(m: mmc::burn::AppendMethod) -> &'static str {
    match m {
        mmc::burn::AppendMethod::NewDisc => "new-disc",
        mmc::burn::AppendMethod::Session => "session",
        mmc::burn::AppendMethod::Grow => "grow",
    }
}

fn burn_options(req: &TreeBurn) -> BurnOptions {
    BurnOptions {
        new_disc: req.new_disc,
        finalize: req.finalize,
        speed_kbps: req.speed_kbps,
        overwritable_start: OVERWRITABLE_FIRST_SESSION,
    }
}

/// Plans against a drive: survey, import the session a reader sees ([`session`]'s rule),
/// plan the image, plan the burn (a second survey, so the plan is the one the burn will
/// follow).
fn prepare_drive(req: &TreeBurn, target: &Target) -> anyhow::Result<Prepared> {
    let dev = &req.device;
    let mut drive = crate::disc::open_writer(&target.name(), "burn")?;
    let start = {
        let b = Burner::new(&mut drive, &crate::disc::ISO9660).with_context(|| dev.clone())?;
        b.next_session_start_at(req.new_disc, OVERWRITABLE_FIRST_SESSION)
            .with_context(|| dev.clone())?
    };
    let mut imported = None;
    let ((layout, label), mut drive) = if start.previous_session_lba.is_some() {
        let (sessions, src) = session::survey_drive(drive)?;
        for w in sessions.warnings() {
            log::warn!("{w}; the new session builds on it");
        }
        match sessions.read_start {
            Some(prev) => {
                let mut image = Image::open_session(src, Lba(prev)).with_context(|| {
                    format!("{dev}: reading the previous session (ISO 9660 at LBA {prev})")
                })?;
                let layout = build(req, Some(&mut image), start.start_lba)?;
                imported = Some(prev);
                let drive = image
                    .into_inner()
                    .into_drive()
                    .context("the drive went missing")?;
                (layout, drive)
            }
            None => {
                log::warn!(
                    "{dev}: no earlier session holds a whole ISO 9660 volume; the new session at LBA {} holds only the new files",
                    start.start_lba
                );
                let drive = src.into_drive().context("the drive went missing")?;
                (build::<DiscSectors>(req, None, start.start_lba)?, drive)
            }
        }
    } else {
        (build::<DiscSectors>(req, None, start.start_lba)?, drive)
    };
    let burner = Burner::new(&mut drive, &crate::disc::ISO9660).with_context(|| dev.clone())?;
    let status = burner.status().clone();
    let medium = burner.status().profile.name().to_owned();
    let (fits, write_blocks, burn_plan, capacity) =
        match burner.plan(layout.size_bytes(), &burn_options(req)) {
            Ok(p) => {
                if p.session != start {
                    bail!("{dev}: the medium changed while the image was planned");
                }
                (true, u64::from(p.write_blocks), Some(p.clone()), p.capacity)
            }
            Err(mmc::Error::InsufficientCapacity { needed, .. }) => {
                (false, needed, None, burner.capacity(req.new_disc))
            }
            Err(e) => return Err(anyhow::Error::new(e).context(dev.clone())),
        };
    let plan = TreePlan {
        device: dev.clone(),
        medium,
        image_sectors: layout.sectors(),
        start_lba: start.start_lba,
        method: method_name(start.method).to_owned(),
        previous_session_lba: imported,
        capacity,
        fits,
        write_blocks,
        files: layout.files_to_copy(),
        volume_id: label,
        burn_plan,
    };
    Ok(Prepared {
        layout,
        target: Dest::Drive(Box::new(drive), Box::new(status)),
        plan,
    })
}

/// Plans against an image file (see the [module documentation](self)): a new image after
/// the 32-block head, or a session after the volume the superblock describes.
fn prepare_file(req: &TreeBurn, path: &Path) -> anyhow::Result<Prepared> {
    let dev = &req.device;
    let len = match std::fs::metadata(path) {
        Ok(m) if m.is_file() => m.len(),
        Ok(_) => bail!("{dev}: not a regular file"),
        Err(e) if e.kind() == io::ErrorKind::NotFound => 0,
        Err(e) => return Err(e).with_context(|| dev.clone()),
    };
    let previous = if req.new_disc || len == 0 {
        None
    } else {
        let (sessions, src) = session::survey_file(path)?;
        for w in sessions.warnings() {
            log::warn!("{w}");
        }
        if sessions.read_start.is_none() {
            bail!("{dev}: not an ISO 9660 image; appending needs one (or use --new-disc to write over it)");
        }
        let image =
            Image::open(src).with_context(|| format!("{dev}: reading the volume at LBA 16"))?;
        Some(image)
    };
    let ((layout, label), start, prev) = match previous {
        Some(mut image) => {
            let start = u32::try_from(session::next_session_start(image.volume_end()))
                .context("the image file is larger than 2^32 sectors")?;
            (build(req, Some(&mut image), start)?, start, Some(0))
        }
        None => (
            build::<DiscSectors>(req, None, OVERWRITABLE_FIRST_SESSION)?,
            OVERWRITABLE_FIRST_SESSION,
            None,
        ),
    };
    let total = image_capacity(path)?;
    let capacity = MediaCapacity {
        used_blocks: u64::from(start),
        available_blocks: total.saturating_sub(u64::from(start)),
    };
    let sectors = layout.sectors();
    let plan = TreePlan {
        device: dev.clone(),
        medium: "image file".to_owned(),
        image_sectors: sectors,
        start_lba: start,
        method: if prev.is_some() { "grow" } else { "new-disc" }.to_owned(),
        previous_session_lba: prev,
        capacity,
        fits: capacity.fits(u64::from(sectors)),
        write_blocks: u64::from(sectors),
        files: layout.files_to_copy(),
        volume_id: label,
        burn_plan: None,
    };
    Ok(Prepared {
        layout,
        target: Dest::File(path.to_path_buf()),
        plan,
    })
}

fn prepare(req: &TreeBurn) -> anyhow::Result<Prepared> {
    let target = Target::parse(&req.device)?;
    match &target {
        Target::Image(p) => prepare_file(req, p),
        Target::Drive(_) => prepare_drive(req, &target),
    }
}

/// Plans a tree burn: session start, exact size and the capacity check. Writes nothing.
///
/// # Errors
/// Open failures, a medium that cannot take a session (finalized, open last session), an
/// unreadable previous session, bad sources. A tree that does not fit is not an error here:
/// see [`TreePlan::fits`].
pub fn plan_tree(req: &TreeBurn) -> anyhow::Result<TreePlan> {
    Ok(prepare(req).map_err(|e| advise(e, &req.device))?.plan)
}

/// The flag every burn of this process stops on (at its next WRITE boundary, see
/// [`mmc::burn::Burner::stop_when`]). A front-end sets it from its SIGINT handler; burns
/// then fail with the usual report of how far they got and what the disc is left as.
pub fn interrupt_flag() -> Arc<AtomicBool> {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    FLAG.get_or_init(|| Arc::new(AtomicBool::new(false)))
        .clone()
}

/// Whether an error chain is a burn stopped by [`interrupt_flag`].
pub fn is_interrupted(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        matches!(
            c.downcast_ref::<mmc::Error>().map(mmc::Error::innermost),
            Some(mmc::Error::Interrupted)
        )
    })
}

/// Adds what to do next when a write-once medium's last session was left open: the library
/// says the session is open; the command that closes it is the application's.
pub fn advise(e: anyhow::Error, device: &str) -> anyhow::Error {
    use mmc::burn::DiscLeft;
    let open = e.chain().any(|c| match c.downcast_ref::<mmc::Error>() {
        Some(mmc::Error::Burn { left, .. }) => {
            matches!(
                left,
                DiscLeft::SessionOpen | DiscLeft::TrackClosedSessionOpen
            )
        }
        Some(mmc::Error::NotWritable { reason, .. }) => reason.contains("last session is open"),
        _ => false,
    });
    if open {
        e.context(format!(
            "`spindle close {device}` closes the open session so that sessions can be added again"
        ))
    } else {
        e
    }
}

/// Burns a tree: plans as [`plan_tree`], then streams the image into the burner (or the
/// image file) with no temporary image.
///
/// # Errors
/// As [`plan_tree`]; a tree that does not fit (before anything is written); drive errors,
/// saying how far the burn got and what the disc is left as; a source file that changed
/// while it was read.
pub fn burn_tree(req: &TreeBurn, progress: &mut dyn BurnProgress) -> anyhow::Result<BurnedTree> {
    let Prepared {
        layout,
        target,
        plan,
    } = prepare(req).map_err(|e| advise(e, &req.device))?;
    if !plan.fits {
        bail!(
            "{}: the tree needs {} blocks but the medium has {} available; nothing was written",
            req.device,
            plan.write_blocks,
            plan.capacity.available_blocks
        );
    }
    match target {
        Dest::Drive(mut drive, status) => {
            burn_to_drive(req, plan, &layout, &mut drive, *status, progress)
                .map_err(|e| advise(e, &req.device))
        }
        Dest::File(path) => burn_to_file(&path, plan, &layout, progress),
    }
}

fn burn_to_drive(
    req: &TreeBurn,
    plan: TreePlan,
    layout: &Layout,
    drive: &mut AnyDrive,
    status: mmc::burn::MediumStatus,
    progress: &mut dyn BurnProgress,
) -> anyhow::Result<BurnedTree> {
    let dev = &req.device;
    // The plan's survey is from this same open drive a moment ago (planning only read the
    // previous session), so it is not repeated.
    let mut burner = Burner::with_status(drive, status, &crate::disc::ISO9660);
    burner.stop_when(interrupt_flag());
    let burn_plan = burner
        .plan(layout.size_bytes(), &burn_options(req))
        .with_context(|| dev.clone())?;
    if Some(&burn_plan) != plan.burn_plan.as_ref() {
        bail!("{dev}: the medium changed while the image was planned; nothing was written");
    }
    // The image writer fills the pipe's buffers; the burner writes them to the drive as
    // they are, so the image is copied once on its way from the source files.
    let (mut w, stream) =
        mmc::burn::chunk_pipe(burner.write_bytes(&burn_plan) * PIPE_WRITES, PIPE_DEPTH);
    let (written, burned) = std::thread::scope(|scope| {
        let writer = scope.spawn(move || match layout.write_to(&mut w) {
            Ok(summary) => w.finish().map(|()| summary).map_err(iso9660::Error::Output),
            Err(e) => {
                // The burner stops at the offset it reached; the cause is reported below.
                w.fail(io::Error::other("the image writer stopped"));
                Err(e)
            }
        });
        let burned = burner.burn_stream(&burn_plan, stream, progress);
        let written = writer.join().unwrap_or_else(|_| {
            Err(iso9660::Error::Output(io::Error::other(
                "the image writer panicked",
            )))
        });
        (written, burned)
    });
    match (written, burned) {
        (Ok(summary), Ok(report)) => Ok(BurnedTree {
            plan,
            report,
            summary,
        }),
        // The writer only saw the burner go away: the burner's error is the whole story.
        (Err(iso9660::Error::Output(e)), Err(b)) if e.kind() == io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(b).context(dev.clone()))
        }
        (Err(w), Err(b)) => Err(anyhow::Error::new(b).context(format!(
            "{dev}: reading the tree failed ({:#}), so the burn stopped",
            anyhow::Error::new(w)
        ))),
        (_, Err(b)) => Err(anyhow::Error::new(b).context(dev.clone())),
        (Err(w), Ok(_)) => Err(anyhow::Error::new(w).context(format!(
            "{dev}: the image writer failed after the burn completed"
        ))),
    }
}

fn burn_to_file(
    path: &Path,
    plan: TreePlan,
    layout: &Layout,
    progress: &mut dyn BurnProgress,
) -> anyhow::Result<BurnedTree> {
    let dev = path.display().to_string();
    let existed = path.exists();
    let r = write_image_file(path, &plan, layout, progress);
    if r.is_err() && !existed {
        // A file this burn created holds nothing usable: do not leave it behind.
        let _ = std::fs::remove_file(path);
    }
    let summary = r.with_context(|| format!("writing {dev}"))?;
    let image_blocks = layout.sectors();
    Ok(BurnedTree {
        report: BurnReport {
            start_lba: plan.start_lba,
            blocks_written: image_blocks,
            image_blocks,
        },
        plan,
        summary,
    })
}

/// Writes the session to the image file: its sectors from the plan's start, a flush, then
/// the link (the superblock at LBA 16) and another flush.
fn write_image_file(
    path: &Path,
    plan: &TreePlan,
    layout: &Layout,
    progress: &mut dyn BurnProgress,
) -> anyhow::Result<WriteSummary> {
    let start = u64::from(plan.start_lba) * BLOCK;
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    // Appending: whatever lies after the old volume is not part of it, and the sparse writer
    // skips zero sectors, so stale bytes there must go. A new disc: nothing is kept.
    file.set_len(if plan.previous_session_lba.is_some() {
        start
    } else {
        0
    })?;
    progress.phase(mmc::burn::Phase::Writing);
    let total = layout.size_bytes();
    let mut w = Counting {
        inner: iso9660::SparseFileWriter::at(file, start)?,
        done: 0,
        total,
        progress,
    };
    let summary = layout.write_to(&mut w)?;
    let file = w.inner.finish()?;
    w.progress.phase(mmc::burn::Phase::Flushing);
    file.sync_data()?;
    if plan.start_lba > 0 {
        w.progress.phase(mmc::burn::Phase::Linking);
        link_descriptors(
            &file,
            plan.start_lba,
            layout.sectors(),
            summary.session_md5.is_some(),
        )
        .context("replacing the volume descriptors at LBA 16")?;
    }
    Ok(summary)
}

/// The growisofs method's last step on an image file: copy the new session's descriptor
/// set to LBA 16, its volume space size patched to the new absolute end, and finish the copy
/// as libisofs does (stale checksum tags cleared; with `md5`, the relocated superblock tag
/// over blocks 0 up to it), in one write of blocks 16..31, then flush.
fn link_descriptors(file: &File, start: u32, sectors: u32, md5: bool) -> io::Result<()> {
    let at = (u64::from(start) + u64::from(iso::DESCRIPTOR_START)) * BLOCK;
    let len = file.metadata()?.len();
    // A short session (a few files) may end before 16 descriptor blocks would.
    let want = (u64::from(iso::DESCRIPTOR_MAX) * BLOCK).min(len.saturating_sub(at));
    let mut set = vec![0u8; usize::try_from(want).unwrap_or(0)];
    file.read_exact_at(&mut set, at)?;
    let n = iso::descriptor_set_len(&set)
        .ok_or_else(|| io::Error::other("the new session has no volume descriptor set"))?;
    set.truncate((u64::from(n) * BLOCK) as usize);
    iso::patch_volume_space_size(&mut set, start + sectors);
    // The head as it is (system area, the earlier copy), with the new set in place.
    let head_blocks = u64::from(iso::DESCRIPTOR_START + iso::DESCRIPTOR_MAX);
    let mut head = vec![0u8; (head_blocks * BLOCK) as usize];
    file.read_exact_at(&mut head, 0)?;
    let link = iso::DESCRIPTOR_START as usize * BLOCK as usize;
    head.get_mut(link..link + set.len())
        .ok_or_else(|| io::Error::other("descriptor set larger than the link area"))?
        .copy_from_slice(&set);
    iso::seal_superblock_copy(&mut head, 0, start, md5);
    file.write_all_at(head.get(link..).unwrap_or(&[]), link as u64)?;
    file.sync_data()
}

/// Progress for image-file targets.
struct Counting<'p, W> {
    inner: W,
    done: u64,
    total: u64,
    progress: &'p mut dyn BurnProgress,
}

impl<W: Write> Write for Counting<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        let before = self.done / (1 << 20);
        self.done += n as u64;
        if self.done / (1 << 20) != before || self.done == self.total {
            self.progress.bytes(self.done, self.total);
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
