//! File-level access to the last session of a drive, a mock drive or an ISO image file: list
//! it, copy files in and out, delete, and commit the changes as a new session. Both
//! `spindle ls|lsl|put|get|rm|commit` and the xorriso-compatible front use it.
//!
//! # API structure
//! - [`Target`]: what a TARGET argument names (a drive, a mock, an image file).
//! - [`Medium`]: the target's state as loaded: blank or not, the last session's volume,
//!   and the [`View`] of its tree with pending changes.
//! - [`Medium::commit`]: writes the pending changes as a new session (real sessions on
//!   write-once media, the growisofs method on overwritable media and image files).
//! - [`NoSpace`]: the error a commit that does not fit returns, before anything is written.
//!
//! # Image files
//! An image file is an overwritable medium. An empty (or missing) file is blank: the first
//! commit writes the image from LBA 0. Later commits append at the volume size rounded up to
//! 32 sectors, write only the new session's sectors there, flush, and only then rewrite the
//! volume descriptors at LBA 16 with the new volume space size: a commit cut off before that
//! last write leaves the previous session as the one readers see. The capacity of an image
//! file is the space its file system has left, or `SPINDLE_IMAGE_CAPACITY` (sectors with an
//! `s` suffix, or bytes with `k`/`m`/`g`) when set: an image meant for a DVD can be held to
//! a DVD's size.

pub mod view;

use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, FileTypeExt};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use iso9660::{ImageBuilder, Lba, Options, Ownership};
use mmc::burn::iso;

pub use view::{Node, NodeKind, Origin, Pending, Refusal, View};

const BLOCK: u64 = 2048;
/// Name of the environment variable that caps an image file's capacity.
pub const IMAGE_CAPACITY_ENV: &str = "SPINDLE_IMAGE_CAPACITY";

/// What a TARGET argument names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An ISO image file, used as an overwritable medium.
    Image(PathBuf),
    /// A drive: `/dev/srN`, `/dev/sgN` or `mock:DIR`.
    Drive(String),
}

impl Target {
    /// Classifies a TARGET: `mock:DIR`, or a directory holding a mock drive (so tools that
    /// need an existing path without a colon, such as duplicity, can name a mock), a device
    /// node or anything under `/dev/` is a drive; `stdio:PATH` and any other path is an
    /// image file (which need not exist yet).
    pub fn parse(spec: &str) -> Target {
        if spec.starts_with("mock:") {
            return Target::Drive(spec.to_owned());
        }
        if let Some(p) = spec.strip_prefix("stdio:") {
            return Target::Image(PathBuf::from(p));
        }
        let p = Path::new(spec);
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() && p.join("state.json").is_file() => {
                Target::Drive(format!("mock:{spec}"))
            }
            Ok(m) if m.file_type().is_block_device() || m.file_type().is_char_device() => {
                Target::Drive(spec.to_owned())
            }
            _ if spec.starts_with("/dev/") => Target::Drive(spec.to_owned()),
            _ => Target::Image(p.to_path_buf()),
        }
    }

    /// The name as given to the drive layer.
    pub fn name(&self) -> String {
        match self {
            Target::Image(p) => p.display().to_string(),
            Target::Drive(d) => d.clone(),
        }
    }
}

/// A commit that does not fit: nothing was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoSpace {
    /// Sectors the new session needs.
    pub needed: u64,
    /// Sectors free on the medium.
    pub free: u64,
}

impl std::error::Error for NoSpace {}

impl std::fmt::Display for NoSpace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Image size {}s exceeds free space on media {}s",
            self.needed, self.free
        )
    }
}

/// What a commit did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Committed {
    /// First sector of the new session.
    pub start_lba: u32,
    /// Sectors of the new session.
    pub sectors: u32,
}

/// Options of a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitOptions {
    /// Volume id of the new session (`None`: keep the last one, or `ISOIMAGE` on blank media).
    pub volume_id: Option<String>,
    /// Write a Joliet tree.
    pub joliet: bool,
    /// Close a write-once disc for good.
    pub finalize: bool,
    /// Write speed for drives, `None` for the drive's choice.
    pub speed: Option<Speed>,
}

impl Default for CommitOptions {
    fn default() -> CommitOptions {
        CommitOptions {
            volume_id: None,
            joliet: true,
            finalize: false,
            speed: None,
        }
    }
}

/// A write speed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speed {
    /// The slowest the drive offers.
    Min,
    /// The fastest.
    Max,
    /// kB/s (1000 bytes per second).
    Kbps(u32),
}

/// A target as loaded: its last session and the tree with pending changes.
#[derive(Debug)]
pub struct Medium {
    target: Target,
    /// True when the medium holds no ISO 9660 session.
    pub blank: bool,
    /// Volume id of the last session.
    pub volume_id: String,
    /// Volume space size of the last session (0 when blank).
    pub volume_blocks: u32,
    /// First sector of the last session.
    pub session_start: u32,
    /// A short description of the medium, as xorriso's "Media current" line.
    pub media_kind: String,
    /// Whether further sessions can be added.
    pub appendable: bool,
    /// Free sectors for the next session, when known.
    pub free_blocks: Option<u64>,
    /// The tree.
    pub view: View,
}

impl Medium {
    /// Loads the last session of `target`.
    ///
    /// # Errors
    /// The target cannot be opened or read, or holds something that is not ISO 9660.
    pub fn load(target: &Target) -> anyhow::Result<Medium> {
        match target {
            Target::Image(p) => load_image(target, p),
            Target::Drive(d) => load_drive(target, d),
        }
    }

    /// The target.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Copies the regular file at normalized image path `path` into `out`. A file added
    /// but not committed yet is read from its local source.
    ///
    /// # Errors
    /// Missing paths, non-files, read errors.
    pub fn read_file(&self, path: &[u8], out: &mut dyn Write) -> anyhow::Result<u64> {
        let name = String::from_utf8_lossy(path).into_owned();
        let node = self
            .view
            .get(path)
            .with_context(|| format!("'{name}' is not in the image"))?;
        if node.kind != NodeKind::File {
            bail!("'{name}' is not a regular file");
        }
        match &node.origin {
            Origin::Local(src) => {
                let mut f =
                    File::open(src).with_context(|| format!("opening '{}'", src.display()))?;
                Ok(std::io::copy(&mut f, out)?)
            }
            _ => {
                let mut w = WriteAdapter(out);
                match &self.target {
                    Target::Image(p) => {
                        let f =
                            File::open(p).with_context(|| format!("opening {}", p.display()))?;
                        let mut img = iso9660::Image::open(BufReader::new(f))?;
                        let e = img.lookup(std::ffi::OsStr::from_bytes(path))?;
                        Ok(img.read_file(&e, &mut w)?)
                    }
                    Target::Drive(d) => {
                        let mut img = crate::disc_reader::open_last_session(d)?;
                        let e = img.lookup(std::ffi::OsStr::from_bytes(path))?;
                        Ok(img.read_file(&e, &mut w)?)
                    }
                }
            }
        }
    }

    /// Writes the pending changes as a new session and reloads the medium. With nothing
    /// pending, does nothing and returns `None`.
    ///
    /// # Errors
    /// [`NoSpace`] (in the chain) when the session does not fit, before anything is
    /// written; source files that changed or vanished; write errors.
    pub fn commit(&mut self, opts: &CommitOptions) -> anyhow::Result<Option<Committed>> {
        if self.view.pending().is_empty() {
            return Ok(None);
        }
        let volume_id = opts.volume_id.clone().unwrap_or_else(|| {
            if self.blank || self.volume_id.is_empty() {
                "ISOIMAGE".to_owned()
            } else {
                self.volume_id.clone()
            }
        });
        let done = match &self.target {
            Target::Image(p) => commit_image(p, self, &volume_id, opts)?,
            Target::Drive(_) => commit_drive(self, &volume_id, opts)?,
        };
        *self = Medium::load(&self.target)?;
        Ok(Some(done))
    }

    /// Drops the pending changes.
    pub fn rollback(&mut self) -> anyhow::Result<()> {
        *self = Medium::load(&self.target)?;
        Ok(())
    }
}

struct WriteAdapter<'a>(&'a mut dyn Write);

impl Write for WriteAdapter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
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

fn image_capacity(path: &Path) -> anyhow::Result<Option<u64>> {
    if let Ok(v) = std::env::var(IMAGE_CAPACITY_ENV) {
        return Ok(Some(
            parse_capacity(&v).with_context(|| IMAGE_CAPACITY_ENV)?,
        ));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let len = std::fs::metadata(path).map_or(0, |m| m.len());
    Ok(nix::sys::statvfs::statvfs(&dir)
        .ok()
        .map(|s| (s.blocks_available() * s.fragment_size() + len) / BLOCK))
}

fn load_image(target: &Target, path: &Path) -> anyhow::Result<Medium> {
    let len = match std::fs::metadata(path) {
        Ok(m) if m.is_file() => m.len(),
        Ok(_) => bail!("{}: not a regular file", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => return Err(e).with_context(|| path.display().to_string()),
    };
    let capacity = image_capacity(path)?;
    let mut m = Medium {
        target: target.clone(),
        blank: true,
        volume_id: String::new(),
        volume_blocks: 0,
        session_start: 0,
        media_kind: "stdio file, overwriteable".to_owned(),
        appendable: true,
        free_blocks: capacity,
        view: View::blank(),
    };
    if len == 0 {
        return Ok(m);
    }
    let f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut img = iso9660::Image::open(BufReader::new(f))
        .with_context(|| format!("{}: not an ISO 9660 image", path.display()))?;
    m.blank = false;
    m.volume_id = img.volume_id();
    m.volume_blocks = img.volume_space_size();
    m.free_blocks =
        capacity.map(|c| c.saturating_sub(u64::from(iso::next_session_start(m.volume_blocks))));
    m.view = View::load(&mut img)?;
    Ok(m)
}

fn load_drive(target: &Target, device: &str) -> anyhow::Result<Medium> {
    let (status, capacity, next) = {
        let mut drive = crate::burn_cmd::open(device)?;
        let burner = mmc::burn::Burner::new(&mut drive).with_context(|| device.to_owned())?;
        let status = burner.status().clone();
        let cap = burner.capacity(false);
        let next = burner.next_session_start(false).ok();
        (status, cap, next)
    };
    let overwritable = status.recipe.is_overwritable();
    let blank = if overwritable {
        status.iso_volume_blocks.is_none()
    } else {
        status.disc_status == mmc::command::DiscStatus::Blank
    };
    let mut m = Medium {
        target: target.clone(),
        blank,
        volume_id: String::new(),
        volume_blocks: 0,
        session_start: 0,
        media_kind: format!(
            "{}{}",
            status.profile.name(),
            if overwritable { ", overwriteable" } else { "" }
        ),
        appendable: next.is_some(),
        free_blocks: Some(capacity.available_blocks),
        view: View::blank(),
    };
    if blank {
        return Ok(m);
    }
    let mut img = crate::disc_reader::open_last_session(device)?;
    m.volume_id = img.volume_id();
    m.volume_blocks = img.volume_space_size();
    m.session_start = img.session_start().0;
    m.view = View::load(&mut img)?;
    Ok(m)
}

fn builder_options(volume_id: &str, opts: &CommitOptions) -> Options {
    Options {
        volume_id: volume_id.to_owned(),
        joliet: opts.joliet,
        ownership: Ownership::Exact,
        source_date_epoch: Options::source_date_epoch_from_env(),
        capacity: None,
    }
}

fn commit_image(
    path: &Path,
    m: &Medium,
    volume_id: &str,
    opts: &CommitOptions,
) -> anyhow::Result<Committed> {
    let pending = m.view.pending();
    let options = builder_options(volume_id, opts);
    let (mut builder, next) = if m.blank {
        (ImageBuilder::new(options)?, 0)
    } else {
        let next = iso::next_session_start(m.volume_blocks);
        let f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let mut img = iso9660::Image::open(BufReader::new(f))?;
        (
            ImageBuilder::append(options, &mut img, Lba(next))
                .context("importing the last session")?,
            next,
        )
    };
    for r in &pending.removes {
        builder.remove(r);
    }
    for g in pending.grafts() {
        builder
            .add(&g)
            .with_context(|| format!("adding '{}'", g.source.display()))?;
    }
    let layout = builder.plan()?;
    let sectors = layout.sectors();
    if let Some(free) = m.free_blocks {
        if u64::from(sectors) > free {
            return Err(NoSpace {
                needed: u64::from(sectors),
                free,
            }
            .into());
        }
    }
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .with_context(|| format!("opening {} for writing", path.display()))?;
    // Nothing past the old volume is referenced: drop it, so sectors the sparse writer
    // skips (zeros) read back as zeros, not as leftovers of an earlier failed commit.
    let start_byte = u64::from(next) * BLOCK;
    f.set_len(start_byte)
        .with_context(|| format!("truncating {}", path.display()))?;
    let mut w = iso9660::SparseFileWriter::at(f, start_byte)?;
    layout
        .write_to(&mut w)
        .with_context(|| format!("writing {}", path.display()))?;
    w.flush()?;
    let f = w.finish()?;
    f.sync_data()
        .with_context(|| format!("flushing {}", path.display()))?;
    if next > 0 {
        link_session(&f, next, layout.end_lba().0)
            .with_context(|| format!("{}: linking the new session", path.display()))?;
    }
    Ok(Committed {
        start_lba: next,
        sectors,
    })
}

/// The growisofs method's last step on an image file: copy the new session's descriptor set
/// to LBA 16, volume space size patched to the whole volume, in one write, then flush.
fn link_session(f: &File, next: u32, volume_blocks: u32) -> anyhow::Result<()> {
    let at = u64::from(next + iso::DESCRIPTOR_START) * BLOCK;
    let len = f.metadata()?.len();
    let want = (u64::from(iso::DESCRIPTOR_MAX) * BLOCK).min(len.saturating_sub(at));
    let mut set = vec![0u8; want as usize];
    f.read_exact_at(&mut set, at)
        .context("reading back the new volume descriptors")?;
    let n = iso::descriptor_set_len(&set)
        .context("the new session's volume descriptor set has no terminator")?;
    set.truncate((u64::from(n) * BLOCK) as usize);
    iso::patch_volume_space_size(&mut set, volume_blocks);
    f.write_all_at(&set, u64::from(iso::DESCRIPTOR_START) * BLOCK)?;
    f.sync_data()?;
    Ok(())
}

/// Drives go through [`crate::disc_writer`]: a real session on write-once media, the
/// growisofs method on overwritable ones. `Speed::Min` asks for 1 kB/s (the drive picks its
/// slowest speed), `Speed::Max` leaves the drive at its default, which is its fastest.
fn commit_drive(m: &Medium, volume_id: &str, opts: &CommitOptions) -> anyhow::Result<Committed> {
    use crate::disc_writer::{burn_tree, plan_tree, TreeBurn};
    let pending = m.view.pending();
    let req = TreeBurn {
        device: m.target.name(),
        grafts: pending.grafts(),
        remove: pending.removes.clone(),
        volume_id: volume_id.to_owned(),
        new_disc: m.blank,
        finalize: opts.finalize,
        ownership: Ownership::Exact,
        speed_kbps: match opts.speed {
            Some(Speed::Min) => Some(1),
            Some(Speed::Kbps(k)) => Some(k),
            Some(Speed::Max) | None => None,
        },
    };
    let plan = plan_tree(&req)?;
    if !plan.fits {
        return Err(NoSpace {
            needed: plan.write_blocks,
            free: plan.capacity.available_blocks,
        }
        .into());
    }
    let done = burn_tree(&req, &mut ())?;
    Ok(Committed {
        start_lba: done.plan.start_lba,
        sectors: done.plan.image_sectors,
    })
}

/// The sectors the pending changes would take as a new session (for `-tell_media_space`).
///
/// # Errors
/// As a commit's planning.
pub fn plan_sectors(m: &Medium, opts: &CommitOptions) -> anyhow::Result<u64> {
    let volume_id = opts
        .volume_id
        .clone()
        .unwrap_or_else(|| "ISOIMAGE".to_owned());
    match &m.target {
        Target::Image(p) => {
            let options = builder_options(&volume_id, opts);
            let mut builder = if m.blank {
                ImageBuilder::new(options)?
            } else {
                let f = File::open(p)?;
                let mut img = iso9660::Image::open(BufReader::new(f))?;
                ImageBuilder::append(
                    options,
                    &mut img,
                    Lba(iso::next_session_start(m.volume_blocks)),
                )?
            };
            let pending = m.view.pending();
            for r in &pending.removes {
                builder.remove(r);
            }
            for g in pending.grafts() {
                builder.add(&g)?;
            }
            Ok(u64::from(builder.plan()?.sectors()))
        }
        Target::Drive(d) => {
            let pending = m.view.pending();
            let plan = crate::disc_writer::plan_tree(&crate::disc_writer::TreeBurn {
                device: d.clone(),
                grafts: pending.grafts(),
                remove: pending.removes.clone(),
                volume_id,
                new_disc: m.blank,
                finalize: false,
                ownership: Ownership::Exact,
                speed_kbps: None,
            })?;
            Ok(plan.write_blocks)
        }
    }
}

/// Reads a whole file from `r` to the end; helper for tests.
#[doc(hidden)]
pub fn read_all(mut r: impl Read + Seek) -> std::io::Result<Vec<u8>> {
    r.seek(SeekFrom::Start(0))?;
    let mut v = Vec::new();
    r.read_to_end(&mut v)?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacities() {
        assert_eq!(parse_capacity("100").unwrap(), 100);
        assert_eq!(parse_capacity("100s").unwrap(), 100);
        assert_eq!(parse_capacity("4m").unwrap(), 2048);
        assert_eq!(parse_capacity("2k").unwrap(), 1);
        assert!(parse_capacity("lots").is_err());
    }

    #[test]
    fn targets() {
        assert_eq!(Target::parse("mock:/x"), Target::Drive("mock:/x".into()));
        assert_eq!(Target::parse("/dev/sr9"), Target::Drive("/dev/sr9".into()));
        assert_eq!(
            Target::parse("stdio:/dev/shm/x.iso"),
            Target::Image("/dev/shm/x.iso".into())
        );
        assert_eq!(
            Target::parse("/tmp/a.iso"),
            Target::Image("/tmp/a.iso".into())
        );
    }

    #[test]
    fn image_file_sessions_append_and_link() {
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("x.iso");
        File::create(&img).unwrap();
        let a = dir.path().join("a");
        std::fs::write(&a, b"first").unwrap();
        let t = Target::Image(img.clone());
        let mut m = Medium::load(&t).unwrap();
        assert!(m.blank);
        m.view.copy_in(&a, b"/a").unwrap();
        let c = m.commit(&CommitOptions::default()).unwrap().unwrap();
        assert_eq!(c.start_lba, 0);
        assert!(!m.blank);
        let first_volume = m.volume_blocks;
        std::fs::write(&a, b"second!").unwrap();
        m.view.copy_in(&a, b"/b").unwrap();
        let c = m.commit(&CommitOptions::default()).unwrap().unwrap();
        assert_eq!(c.start_lba, iso::next_session_start(first_volume));
        let m = Medium::load(&t).unwrap();
        assert_eq!(m.volume_blocks, c.start_lba + c.sectors);
        assert_eq!(m.view.get(b"/a").unwrap().size, 5);
        assert_eq!(m.view.get(b"/b").unwrap().size, 7);
        let mut out = Vec::new();
        m.read_file(b"/b", &mut out).unwrap();
        assert_eq!(out, b"second!");
        assert_eq!(
            std::fs::metadata(&img).unwrap().len(),
            u64::from(m.volume_blocks) * BLOCK
        );
    }

    #[test]
    fn full_image_is_refused_before_writing() {
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("x.iso");
        File::create(&img).unwrap();
        let a = dir.path().join("a");
        std::fs::write(&a, vec![7u8; 200_000]).unwrap();
        let t = Target::Image(img.clone());
        let mut m = Medium::load(&t).unwrap();
        m.free_blocks = Some(50);
        m.view.copy_in(&a, b"/a").unwrap();
        let e = m.commit(&CommitOptions::default()).unwrap_err();
        let ns = e.downcast_ref::<NoSpace>().unwrap();
        assert!(ns.needed > 50);
        assert!(e.to_string().contains("exceeds free space on media 50s"));
        assert_eq!(std::fs::metadata(&img).unwrap().len(), 0);
    }
}
