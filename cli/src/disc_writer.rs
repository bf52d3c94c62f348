//! Burning a tree of files: an `iso9660` plan streamed straight into the burner through a
//! bounded buffer, with no temporary image (growisofs `-Z`/`-M` with a tree, done in
//! process).
//!
//! # API
//! - [`TreeBurn`]: the request (device, graft points, paths to remove from the imported
//!   tree, label, new disc or append, finalize, ownership, speed).
//! - [`plan_tree`]`(&TreeBurn) -> anyhow::Result<`[`TreePlan`]`>`: where the session goes
//!   and its exact size, with the capacity check. Nothing is written. When appending, the
//!   previous session's tree is imported from the medium ([`crate::disc_reader`], READ(10)
//!   through the drive) and the image is planned for [`mmc::burn::Burner::next_session_start`],
//!   so the sector count is the one [`burn_tree`] writes (no estimate, no fudge factor).
//! - [`burn_tree`]`(&TreeBurn, &mut dyn BurnProgress) -> anyhow::Result<`[`BurnedTree`]`>`:
//!   plans as above, refuses a tree that does not fit before any WRITE, then runs
//!   [`iso9660::Layout::write_to`] in a thread into a bounded channel (16 × 256 KiB) whose
//!   reading end is the source of [`mmc::burn::Burner::burn`]. If a source file changes
//!   while it is read, the burn stops with the file named and the state the disc is left in.
//!
//! Targets: a drive (`/dev/srN`, `/dev/sgN`, `mock:DIR`), or an image file — a regular file,
//! or a path outside `/dev` that does not exist yet. Image files are appended to by the
//! growisofs method, in the burner's order: the session's data is written after the old
//! volume and flushed, and only then are the volume descriptors at LBA 16 replaced.
//!
//! ```no_run
//! use cli::disc_writer::{burn_tree, TreeBurn};
//! let req = TreeBurn {
//!     device: "/dev/sr0".into(),
//!     grafts: vec![iso9660::GraftPoint::parse("2026/11/22=/var/backup/stage".as_ref())?],
//!     remove: Vec::new(),
//!     volume_id: "CEDAR BACKUP".into(),
//!     new_disc: false,
//!     finalize: false,
//!     ownership: iso9660::Ownership::Exact,
//!     speed_kbps: None,
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
use std::path::Path;

use anyhow::{bail, Context};
use iso9660::{GraftPoint, Image, ImageBuilder, Layout, Lba, Options, Ownership, WriteSummary};
use mmc::burn::{iso, BurnOptions, BurnPlan, BurnProgress, BurnReport, Burner, MediaCapacity};

use crate::disc_reader::{AnyDrive, DiscSectors};

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
enum Target {
    /// The open drive and the survey the plan was made from.
    Drive(Box<AnyDrive>, Box<mmc::burn::MediumStatus>),
    File,
}

/// A planned image, the target, and the plan's facts.
struct Prepared {
    layout: Layout,
    target: Target,
    plan: TreePlan,
}

/// True when `device` is an image file target: an existing regular file, or a path outside
/// `/dev` that does not exist yet.
pub fn is_file_target(device: &str) -> bool {
    if device.starts_with("mock:") {
        return false;
    }
    match std::fs::metadata(device) {
        Ok(m) => m.is_file(),
        Err(_) => !Path::new(device).starts_with("/dev"),
    }
}

fn options(req: &TreeBurn, label: String) -> Options {
    Options {
        volume_id: label,
        joliet: true,
        ownership: req.ownership,
        source_date_epoch: Options::source_date_epoch_from_env(),
        capacity: None,
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
        None if start == 0 => ImageBuilder::new(options(req, label.clone()))?,
        None => {
            bail!("the session starts at LBA {start} but there is no earlier session to import")
        }
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
    }
}

/// Plans against a drive: survey, import, plan the image, plan the burn (a second survey,
/// so the plan is the one the burn will follow).
fn prepare_drive(req: &TreeBurn) -> anyhow::Result<Prepared> {
    let dev = &req.device;
    let mut drive = crate::burn_cmd::open(dev)?;
    let (start, readable) = {
        let b = Burner::new(&mut drive).with_context(|| dev.clone())?;
        let start = b
            .next_session_start(req.new_disc)
            .with_context(|| dev.clone())?;
        let s = b.status();
        if start.previous_session_lba.is_some() {
            for k in &s.incomplete_sessions {
                log::warn!(
                    "{dev}: session {k} holds an image that was cut off (an interrupted burn); the new session builds on the session before it, so files only in session {k} are not carried over"
                );
            }
        }
        // Everything recorded lies below the NWA on write-once media.
        let readable = if s.recipe.is_overwritable() {
            s.total_blocks
        } else {
            s.next_writable.map_or(s.total_blocks, u64::from)
        };
        (start, readable)
    };
    let ((layout, label), mut drive) = match start.previous_session_lba {
        Some(prev) => {
            let sectors = DiscSectors::new(drive, readable);
            let mut image = Image::open_session(sectors, Lba(prev)).with_context(|| {
                format!("{dev}: reading the previous session (ISO 9660 at LBA {prev})")
            })?;
            let layout = build(req, Some(&mut image), start.start_lba)?;
            let drive = image
                .into_inner()
                .into_drive()
                .context("the drive went missing")?;
            (layout, drive)
        }
        None => (build::<DiscSectors>(req, None, start.start_lba)?, drive),
    };
    let burner = Burner::new(&mut drive).with_context(|| dev.clone())?;
    let status = burner.status().clone();
    let capacity = burner.capacity(req.new_disc);
    let medium = burner.status().profile.name().to_owned();
    let (fits, write_blocks, burn_plan) = match burner.plan(layout.size_bytes(), &burn_options(req))
    {
        Ok(p) => {
            if p.session != start {
                bail!("{dev}: the medium changed while the image was planned");
            }
            (true, u64::from(p.write_blocks), Some(p))
        }
        Err(mmc::Error::InsufficientCapacity { needed, .. }) => (false, needed, None),
        Err(e) => return Err(anyhow::Error::new(e).context(dev.clone())),
    };
    let plan = TreePlan {
        device: dev.clone(),
        medium,
        image_sectors: layout.sectors(),
        start_lba: start.start_lba,
        method: method_name(start.method).to_owned(),
        previous_session_lba: start.previous_session_lba,
        capacity,
        fits,
        write_blocks,
        files: layout.files_to_copy(),
        volume_id: label,
        burn_plan,
    };
    Ok(Prepared {
        layout,
        target: Target::Drive(Box::new(drive), Box::new(status)),
        plan,
    })
}

/// Plans against an image file: a new image at 0, or the growisofs method after the volume
/// found at LBA 16.
fn prepare_file(req: &TreeBurn) -> anyhow::Result<Prepared> {
    let dev = &req.device;
    let previous = if req.new_disc || !Path::new(dev).exists() {
        None
    } else {
        match crate::disc_reader::open_file_session(Path::new(dev), 0) {
            Ok(image) => Some(image),
            Err(e) => {
                // An empty or non-ISO file is written over only on request.
                if std::fs::metadata(dev).map(|m| m.len()).unwrap_or(0) == 0 {
                    None
                } else {
                    return Err(e.context("appending needs an ISO 9660 image (or use --new-disc)"));
                }
            }
        }
    };
    let ((layout, label), start, prev) = match previous {
        Some(mut image) => {
            let start = iso::next_session_start(image.volume_space_size());
            (build(req, Some(&mut image), start)?, start, Some(0))
        }
        None => (build::<DiscSectors>(req, None, 0)?, 0, None),
    };
    let capacity = MediaCapacity {
        used_blocks: u64::from(start),
        available_blocks: u64::from(u32::MAX) - u64::from(start),
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
        target: Target::File,
        plan,
    })
}

fn prepare(req: &TreeBurn) -> anyhow::Result<Prepared> {
    if is_file_target(&req.device) {
        prepare_file(req)
    } else {
        prepare_drive(req)
    }
}

/// Plans a tree burn: session start, exact size and the capacity check. Writes nothing.
///
/// # Errors
/// Open failures, a medium that cannot take a session (finalized, open last session), an
/// unreadable previous session, bad sources. A tree that does not fit is not an error here:
/// see [`TreePlan::fits`].
pub fn plan_tree(req: &TreeBurn) -> anyhow::Result<TreePlan> {
    Ok(prepare(req)?.plan)
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
    } = prepare(req)?;
    if !plan.fits {
        bail!(
            "{}: the tree needs {} blocks but the medium has {} available; nothing was written",
            req.device,
            plan.write_blocks,
            plan.capacity.available_blocks
        );
    }
    match target {
        Target::Drive(mut drive, status) => {
            burn_to_drive(req, plan, &layout, &mut drive, *status, progress)
        }
        Target::File => burn_to_file(req, plan, &layout, progress),
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
    let mut burner = Burner::with_status(drive, status);
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
    req: &TreeBurn,
    plan: TreePlan,
    layout: &Layout,
    progress: &mut dyn BurnProgress,
) -> anyhow::Result<BurnedTree> {
    let dev = &req.device;
    let start = u64::from(plan.start_lba) * BLOCK;
    let file = if plan.previous_session_lba.is_some() {
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(dev)
            .with_context(|| dev.clone())?;
        // Whatever lies after the old volume is not part of it; the sparse writer skips
        // zero sectors, so stale bytes there must go.
        f.set_len(start).with_context(|| dev.clone())?;
        f
    } else {
        File::create(dev).with_context(|| dev.clone())?
    };
    progress.phase(mmc::burn::Phase::Writing);
    let total = layout.size_bytes();
    let mut w = Counting {
        inner: iso9660::SparseFileWriter::at(file, start).with_context(|| dev.clone())?,
        done: 0,
        total,
        progress,
    };
    let summary = layout
        .write_to(&mut w)
        .with_context(|| format!("writing {dev}"))?;
    let file = w.inner.finish().with_context(|| dev.clone())?;
    w.progress.phase(mmc::burn::Phase::Flushing);
    file.sync_data().with_context(|| dev.clone())?;
    if plan.previous_session_lba.is_some() {
        w.progress.phase(mmc::burn::Phase::Linking);
        link_descriptors(&file, plan.start_lba, layout.sectors())
            .with_context(|| format!("{dev}: replacing the volume descriptors at LBA 16"))?;
    }
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

/// The growisofs method's last step on an image file: copy the new session's descriptor
/// set to LBA 16, its volume space size patched to cover the whole file.
fn link_descriptors(file: &File, start: u32, sectors: u32) -> io::Result<()> {
    let mut set = vec![0u8; (iso::DESCRIPTOR_MAX as u64 * BLOCK) as usize];
    file.read_exact_at(
        &mut set,
        (u64::from(start) + u64::from(iso::DESCRIPTOR_START)) * BLOCK,
    )?;
    let n = iso::descriptor_set_len(&set)
        .ok_or_else(|| io::Error::other("the new session has no volume descriptor set"))?;
    set.truncate((u64::from(n) * BLOCK) as usize);
    iso::patch_volume_space_size(&mut set, start + sectors);
    file.write_all_at(&set, u64::from(iso::DESCRIPTOR_START) * BLOCK)?;
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
