//! File-level access to the last session of a drive, a mock drive or an ISO image file: list
//! it, copy files in and out, delete, and commit the changes as a new session. Both
//! `spindle ls|lsl|put|get|rm|commit` and the xorriso-compatible front use it.
//!
//! # API structure
//! - [`Target`]: what a TARGET argument names ([`crate::disc::target`], the one classifier).
//! - [`Medium`]: the target's state as loaded: blank or not, the last session's volume,
//!   and the [`View`] of its tree with pending changes.
//! - [`Medium::commit`]: writes the pending changes as a new session (real sessions on
//!   write-once media, the growisofs method on overwritable media and image files).
//! - [`NoSpace`]: the error a commit that does not fit returns, before anything is written.
//!
//! # Image files
//! An image file is an overwritable medium. An empty (or missing) file is blank. Sessions
//! are written by [`crate::disc::write`], the one place that appends to image files and
//! drives alike, and read back by [`crate::disc::session`]'s rule.

pub mod restore;
pub mod view;

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;

use anyhow::{bail, Context};
use iso9660::Ownership;

pub use crate::disc::target::Target;
pub use crate::disc::write::{parse_capacity, IMAGE_CAPACITY_ENV};
pub use view::{Node, NodeKind, Origin, Pending, Refusal, Scope, View};

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
    /// Record MD5 checksums (xorriso `-md5 on`).
    pub md5: bool,
}

impl Default for CommitOptions {
    fn default() -> CommitOptions {
        CommitOptions {
            volume_id: None,
            joliet: true,
            finalize: false,
            speed: None,
            md5: false,
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
        Medium::load_scoped(target, &Scope::All)
    }

    /// Loads the last session of `target`, reading only the directories `scope` needs.
    ///
    /// # Errors
    /// As [`Medium::load`].
    pub fn load_scoped(target: &Target, scope: &Scope) -> anyhow::Result<Medium> {
        match target {
            Target::Image(p) => load_image(target, p, scope),
            Target::Drive(_) => load_drive(target, scope),
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
                let (sessions, src) = crate::disc::session::survey(&self.target)?;
                let mut img = crate::disc::session::open_current(&sessions, src)?;
                let e = img.lookup(std::ffi::OsStr::from_bytes(path))?;
                Ok(img.read_file(&e, &mut w)?)
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
        let done = commit_tree(self, &volume_id, opts)?;
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

fn load_image(target: &Target, path: &std::path::Path, scope: &Scope) -> anyhow::Result<Medium> {
    let len = match std::fs::metadata(path) {
        Ok(m) if m.is_file() => m.len(),
        Ok(_) => bail!("{}: not a regular file", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => return Err(e).with_context(|| path.display().to_string()),
    };
    let capacity = crate::disc::write::image_capacity(path)?;
    let mut m = Medium {
        target: target.clone(),
        blank: true,
        volume_id: String::new(),
        volume_blocks: 0,
        session_start: 0,
        media_kind: "stdio file, overwriteable".to_owned(),
        appendable: true,
        free_blocks: Some(capacity),
        view: View::blank(),
    };
    if len == 0 {
        return Ok(m);
    }
    let (sessions, src) = crate::disc::session::survey(target)?;
    if sessions.read_start.is_none() {
        bail!(
            "{}: not an ISO 9660 image (no volume descriptor at LBA 16)",
            path.display()
        );
    }
    let mut img = crate::disc::session::open_current(&sessions, src)?;
    fill(&mut m, &sessions, &mut img, scope)?;
    m.free_blocks =
        Some(capacity.saturating_sub(crate::disc::session::next_session_start(img.volume_end())));
    Ok(m)
}

fn fill(
    m: &mut Medium,
    sessions: &crate::disc::session::DiscSessions,
    img: &mut iso9660::Image<crate::disc::sectors::DiscSectors>,
    scope: &Scope,
) -> anyhow::Result<()> {
    m.blank = false;
    m.volume_id = img.volume_id();
    m.volume_blocks = u32::try_from(img.volume_end()).unwrap_or(u32::MAX);
    m.session_start = sessions.current_session().map_or(0, |s| s.start);
    m.view = View::load_scoped(img, scope)?;
    Ok(())
}

/// Loads a drive: what can be written comes from the burner's survey (none for read-only
/// media such as pressed discs or closed discs a drive reports as ROM, which are still read),
/// what a reader sees from [`crate::disc::session`].
fn load_drive(target: &Target, scope: &Scope) -> anyhow::Result<Medium> {
    let device = target.name();
    let mut drive = target.open_drive("reading")?;
    let writable = {
        match mmc::burn::Burner::new(&mut drive, &crate::disc::ISO9660) {
            Ok(burner) => {
                let status = burner.status().clone();
                let cap = burner.capacity(false);
                let next = burner.next_session_start(false).ok();
                Some((status, cap, next))
            }
            Err(mmc::Error::NotWritable { .. }) => None,
            Err(e) => return Err(anyhow::Error::new(e).context(device)),
        }
    };
    let (sessions, src) = crate::disc::session::survey_drive(drive)?;
    let mut m = Medium {
        target: target.clone(),
        blank: sessions.read_start.is_none(),
        volume_id: String::new(),
        volume_blocks: 0,
        session_start: 0,
        media_kind: match &writable {
            Some((s, _, _)) if s.recipe.is_overwritable() => {
                format!("{}, overwriteable", s.profile.name())
            }
            Some((s, _, _)) => s.profile.name().to_owned(),
            None => format!("{}, read-only", sessions.medium),
        },
        appendable: writable.as_ref().is_some_and(|(_, _, n)| n.is_some()),
        free_blocks: Some(writable.as_ref().map_or(0, |(_, c, _)| c.available_blocks)),
        view: View::blank(),
    };
    if m.blank {
        let holds_data = writable.as_ref().is_some_and(|(s, _, _)| {
            !s.recipe.is_overwritable() && s.disc_status != mmc::command::DiscStatus::Blank
        }) || (writable.is_none() && !sessions.sessions.is_empty());
        if holds_data {
            bail!(
                "{device}: the medium holds {} session(s) but none with a whole ISO 9660 volume",
                sessions.sessions.len()
            );
        }
        return Ok(m);
    }
    let mut img = crate::disc::session::open_current(&sessions, src)?;
    fill(&mut m, &sessions, &mut img, scope)?;
    Ok(m)
}

fn tree_request(
    m: &Medium,
    volume_id: String,
    opts: &CommitOptions,
) -> crate::disc::write::TreeBurn {
    let pending = m.view.pending();
    crate::disc::write::TreeBurn {
        device: m.target.name(),
        grafts: pending.grafts(),
        remove: pending.removes.clone(),
        volume_id,
        new_disc: m.blank,
        finalize: opts.finalize,
        ownership: Ownership::Exact,
        speed_kbps: match opts.speed {
            Some(Speed::Min) => Some(1),
            Some(Speed::Kbps(k)) => Some(k),
            Some(Speed::Max) | None => None,
        },
        joliet: opts.joliet,
        md5: opts.md5,
    }
}

/// A commit is a tree burn ([`crate::disc::write`]) of the pending changes, onto a drive or an
/// image file alike. `Speed::Min` asks for 1 kB/s (the drive picks its slowest speed),
/// `Speed::Max` leaves the drive at its default, which is its fastest.
fn commit_tree(m: &Medium, volume_id: &str, opts: &CommitOptions) -> anyhow::Result<Committed> {
    use crate::disc::write::{burn_tree, plan_tree};
    let req = tree_request(m, volume_id.to_owned(), opts);
    let plan = plan_tree(&req)?;
    let free = m
        .free_blocks
        .unwrap_or(plan.capacity.available_blocks)
        .min(plan.capacity.available_blocks);
    if !plan.fits || plan.write_blocks > free {
        return Err(NoSpace {
            needed: plan.write_blocks,
            free,
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
    let plan = crate::disc::write::plan_tree(&tree_request(m, volume_id, opts))?;
    Ok(plan.write_blocks)
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
        // libisoburn's layout: the first session after the 32-block head.
        assert_eq!(c.start_lba, 32);
        assert!(!m.blank);
        let first_volume = m.volume_blocks;
        std::fs::write(&a, b"second!").unwrap();
        m.view.copy_in(&a, b"/b").unwrap();
        let c = m.commit(&CommitOptions::default()).unwrap().unwrap();
        assert_eq!(
            u64::from(c.start_lba),
            crate::disc::session::next_session_start(u64::from(first_volume))
        );
        let m = Medium::load(&t).unwrap();
        assert_eq!(m.volume_blocks, c.start_lba + c.sectors);
        assert_eq!(m.view.get(b"/a").unwrap().size, 5);
        assert_eq!(m.view.get(b"/b").unwrap().size, 7);
        let mut out = Vec::new();
        m.read_file(b"/b", &mut out).unwrap();
        assert_eq!(out, b"second!");
        assert_eq!(
            std::fs::metadata(&img).unwrap().len(),
            u64::from(m.volume_blocks) * 2048
        );
        // Each session keeps its own descriptors: the chain lists both.
        let (sessions, _) = crate::disc::session::survey(&t).unwrap();
        let starts: Vec<u32> = sessions.sessions.iter().map(|s| s.start).collect();
        assert_eq!(starts, [32, c.start_lba]);
        assert!(!sessions.chain_broken);
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
