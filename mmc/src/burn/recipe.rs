//! Per-medium write recipes (`docs/mmc-notes.md` §3, `docs/media-recipes.md`): which commands, in which
//! order, for each profile. A [`BurnPlan`] is the list of [`Step`]s, made before anything is
//! sent, so `--dry-run` prints exactly what a burn would do.

use std::fmt;

use serde::Serialize;

use crate::burn::capacity::MediaCapacity;
use crate::command::{CloseFunction, FormatType, WriteParametersPage};
use crate::profile::Profile;

/// How a profile is written. One variant per distinct command sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Recipe {
    /// CD-R, CD-RW: Track At Once, page 05 multi-session per finalize, sessions.
    CdTao,
    /// DVD-R, DVD-RW sequential: incremental streaming (page 05 write type 0), sessions.
    DvdMinusIncremental,
    /// DVD+R, DVD+R DL: sequential, no page 05, sessions closed with CLOSE 010b.
    DvdPlusR,
    /// BD-R SRM: like DVD+R, 64 KiB units.
    BdR,
    /// DVD+RW: overwrite, background format; appends by the growisofs method.
    DvdPlusRw,
    /// BD-RE: overwrite, 64 KiB units; appends by the growisofs method.
    BdRe,
    /// DVD-RW restricted overwrite: overwrite in 32 KiB units; growisofs method.
    DvdRwRestrictedOverwrite,
}

impl Recipe {
    /// The recipe for a current profile, `None` for media spindle does not write.
    pub fn for_profile(p: Profile) -> Option<Recipe> {
        Some(match p {
            Profile::CD_R | Profile::CD_RW => Recipe::CdTao,
            Profile::DVD_R_SEQUENTIAL | Profile::DVD_RW_SEQUENTIAL => Recipe::DvdMinusIncremental,
            Profile::DVD_PLUS_R | Profile::DVD_PLUS_R_DL => Recipe::DvdPlusR,
            Profile::BD_R_SRM => Recipe::BdR,
            Profile::DVD_PLUS_RW => Recipe::DvdPlusRw,
            Profile::BD_RE => Recipe::BdRe,
            Profile::DVD_RW_RESTRICTED_OVERWRITE => Recipe::DvdRwRestrictedOverwrite,
            _ => return None,
        })
    }

    /// The write unit in blocks (CD sector, DVD ECC block 32 KiB, BD cluster 64 KiB): writes
    /// start and end on it, and the tail of an image is padded with zeros to it.
    pub fn unit(self) -> u32 {
        match self {
            Recipe::CdTao => 1,
            Recipe::BdR | Recipe::BdRe => 32,
            _ => 16,
        }
    }

    /// True for media written in place (sessions appended by the growisofs method).
    pub fn is_overwritable(self) -> bool {
        matches!(
            self,
            Recipe::DvdPlusRw | Recipe::BdRe | Recipe::DvdRwRestrictedOverwrite
        )
    }

    /// The smallest track the recipe writes, in blocks (CD: 300, as drives and libburn
    /// expect of a data track).
    pub fn min_track(self) -> u32 {
        match self {
            Recipe::CdTao => 300,
            _ => 0,
        }
    }
}

/// How the next session is placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AppendMethod {
    /// The image becomes the whole disc, from LBA 0 (after blanking if needed).
    NewDisc,
    /// A real new session on write-once media, at the next writable address.
    Session,
    /// The growisofs method on overwritable media: the image goes after the old volume, then
    /// the volume descriptors at LBA 16 are replaced by the image's, patched to the new size.
    Grow,
}

/// Where the next session goes, known before the image is built (`xorrisofs -C a,b`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SessionStart {
    /// How it is placed.
    pub method: AppendMethod,
    /// The session's first block: build the image for this address (`b` of `-C a,b`).
    pub start_lba: u32,
    /// Where the previous session's filesystem starts (`a` of `-C a,b`), to import its
    /// tree; `None` when there is nothing to import.
    pub previous_session_lba: Option<u32>,
}

impl SessionStart {
    /// The `-C a,b` argument of mkisofs/xorrisofs, when the image must merge a previous
    /// session.
    pub fn mkisofs_c(&self) -> Option<String> {
        self.previous_session_lba
            .map(|a| format!("{a},{}", self.start_lba))
    }
}

/// What `prepare` does to a medium.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preparation {
    /// BLANK (CD-RW, DVD-RW): minimal, or `full`.
    Blank {
        /// Erase the whole disc (BLANK 000b), not just the lead-in and TOC (001b).
        full: bool,
    },
    /// FORMAT UNIT (DVD+RW 26h, BD-RE 00h, DVD-RW 15h quick / 10h full).
    Format {
        /// DVD+RW: wait for the background format to finish; BD-RE: full certification;
        /// DVD-RW: full format (10h) instead of quick (15h).
        full: bool,
    },
}

/// One step of a burn, in the order sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// BLANK, Immed, then poll.
    Blank {
        /// BLANK 000b instead of 001b.
        full: bool,
    },
    /// FORMAT UNIT, Immed, then poll (DVD+RW: the format goes on in the background).
    Format {
        /// The format type.
        format_type: FormatType,
        /// Blocks in the descriptor.
        blocks: u32,
        /// The type-dependent parameter (DVD+RW: restart bit; BD-RE: spare clusters).
        parameter: u32,
    },
    /// SET STREAMING, falling back to SET CD SPEED.
    SetSpeed {
        /// kB/s (1000 bytes per second).
        kbytes_per_sec: u32,
    },
    /// MODE SELECT(10) with page 05.
    WriteParameters(WriteParametersPage),
    /// WRITE(10) of the image from `start`, zero padded to `blocks`.
    Write {
        /// First block.
        start: u32,
        /// Blocks written, padding included.
        blocks: u32,
    },
    /// SYNCHRONIZE CACHE, Immed, then poll.
    SyncCache,
    /// CLOSE TRACK/SESSION 001b, Immed, then poll.
    CloseTrack {
        /// Track number.
        track: u16,
    },
    /// CLOSE TRACK/SESSION 010b (close session; DVD+RW: stop background format;
    /// DVD-RW restricted overwrite: leave the intermediate state), Immed, then poll.
    CloseSession,
    /// CLOSE TRACK/SESSION with a finalizing function, Immed, then poll.
    Finalize(CloseFunction),
    /// Growisofs method: overwrite the unit holding LBA 16.. with the image's descriptor set,
    /// volume space size patched to `volume_blocks`, then SYNCHRONIZE CACHE.
    RewriteDescriptors {
        /// First block of the unit rewritten (read, patched, written back whole).
        unit_start: u32,
        /// Blocks in that unit.
        unit_blocks: u32,
        /// The new volume space size: session start + image blocks.
        volume_blocks: u32,
        /// The unit is written from zeros instead of read first: the first session of a new
        /// disc written after a reserved head (nothing before it is kept).
        fresh: bool,
    },
}

impl Step {
    /// What the burner is doing during this step, for messages ("writing the image").
    pub fn doing(&self) -> &'static str {
        match self {
            Step::Blank { .. } => "blanking",
            Step::Format { .. } => "formatting",
            Step::SetSpeed { .. } => "setting the speed",
            Step::WriteParameters(_) => "sending the write parameters (page 05)",
            Step::Write { .. } => "writing the image",
            Step::SyncCache => "flushing the drive buffer",
            Step::CloseTrack { .. } => "closing the track",
            Step::CloseSession => "closing the session",
            Step::Finalize(_) => "finalizing the disc",
            Step::RewriteDescriptors { .. } => "rewriting the volume descriptors",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Blank { full } => write!(
                f,
                "BLANK {} (Immed), poll until done",
                if *full { "full (000b)" } else { "minimal (001b)" }
            ),
            Step::Format {
                format_type,
                blocks,
                parameter,
            } => write!(
                f,
                "FORMAT UNIT type {:02X}h ({}), {blocks} blocks, parameter {parameter} (Immed), poll",
                format_type.0,
                format_type.name()
            ),
            Step::SetSpeed { kbytes_per_sec } => write!(
                f,
                "SET STREAMING {kbytes_per_sec} kB/s (fallback SET CD SPEED)"
            ),
            Step::WriteParameters(p) => write!(
                f,
                "MODE SELECT(10) page 05: write type {}, multi-session {:?}",
                p.write_type.name(),
                p.multi_session
            ),
            Step::Write { start, blocks } => write!(
                f,
                "WRITE(10) {blocks} blocks at LBA {start}..{}",
                (u64::from(*start) + u64::from(*blocks)).saturating_sub(1)
            ),
            Step::SyncCache => f.write_str("SYNCHRONIZE CACHE (Immed), poll"),
            Step::CloseTrack { track } => {
                write!(f, "CLOSE TRACK/SESSION 001b track {track} (Immed), poll")
            }
            Step::CloseSession => f.write_str("CLOSE TRACK/SESSION 010b (Immed), poll"),
            Step::Finalize(func) => write!(
                f,
                "CLOSE TRACK/SESSION {:03b}b: finalize (Immed), poll",
                func.0
            ),
            Step::RewriteDescriptors {
                unit_start,
                unit_blocks,
                volume_blocks,
                fresh,
            } => write!(
                f,
                "{}WRITE(10) LBA {unit_start}..{}: new volume descriptors, volume size {volume_blocks}; SYNCHRONIZE CACHE",
                if *fresh { "" } else { "READ(10) + " },
                unit_start + unit_blocks - 1
            ),
        }
    }
}

/// A burn worked out in full before anything is written.
#[derive(Debug, Clone, PartialEq)]
pub struct BurnPlan {
    /// The medium's profile.
    pub profile: Profile,
    /// The recipe.
    pub recipe: Recipe,
    /// Where the session goes.
    pub session: SessionStart,
    /// Image length in bytes.
    pub image_bytes: u64,
    /// Image length in blocks (rounded up).
    pub image_blocks: u32,
    /// Blocks written, padding to the write unit (and CD's minimum track) included.
    pub write_blocks: u32,
    /// Capacity for this burn (the whole disc for a new disc).
    pub capacity: MediaCapacity,
    /// The disc is finalized (closed for good) at the end.
    pub finalize: bool,
    /// The commands, in order.
    pub steps: Vec<Step>,
}

impl fmt::Display for BurnPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "medium:    {} ({:?})", self.profile.name(), self.recipe)?;
        writeln!(
            f,
            "session:   {:?} at LBA {}{}",
            self.session.method,
            self.session.start_lba,
            self.session
                .mkisofs_c()
                .map(|c| format!(" (image built with -C {c})"))
                .unwrap_or_default()
        )?;
        writeln!(
            f,
            "image:     {} bytes = {} blocks, {} written with padding",
            self.image_bytes, self.image_blocks, self.write_blocks
        )?;
        writeln!(
            f,
            "capacity:  {} blocks used, {} available ({:.1}% utilized): fits",
            self.capacity.used_blocks,
            self.capacity.available_blocks,
            self.capacity.utilized()
        )?;
        writeln!(
            f,
            "finalize:  {}",
            if self.finalize {
                "yes"
            } else {
                "no (stays appendable)"
            }
        )?;
        for (i, s) in self.steps.iter().enumerate() {
            writeln!(f, "step {}:    {s}", i + 1)?;
        }
        Ok(())
    }
}
