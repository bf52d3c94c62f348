//! Writing images to media: per-medium recipes over the [`Drive`] facade, libburn-style
//! layering (transport → MMC commands → recipes).
//!
//! # API structure
//! - [`Burner`]: surveys the medium ([`MediumStatus`]), answers Cedar's capacity question
//!   ([`Burner::capacity`]), says where the next session goes before the image is built
//!   ([`Burner::next_session_start`]), plans a burn ([`Burner::plan`] → [`BurnPlan`]), runs it
//!   from any [`Read`] source ([`Burner::burn`]), and blanks or formats
//!   ([`Burner::prepare`]).
//! - [`verify`]: reads a written range back with READ(10) and compares it with the image.
//! - [`BurnProgress`]: callbacks for progress; libraries never print.
//! - [`DiscLeft`]: what a failed burn leaves on the disc, carried by [`Error::Burn`].
//!
//! The order of steps, and why a burn cut off at any point leaves earlier sessions readable,
//! is in `docs/media-recipes.md`.

use std::fmt;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hal::Transport;
use log::{debug, info, warn};
use serde::Serialize;

use crate::command::{
    BgFormatStatus, Blank, BlankType, CloseTrackSession, DescriptorType, DiscStatus,
    FormatDescriptor, FormatType, FormatUnit, GetConfiguration, ModeSelect10,
    PreventAllowMediumRemoval, Read10, ReadBufferCapacity, ReadDiscInformation,
    ReadFormatCapacities, ReadTrackInformation, SessionState, SetCdSpeed, SetStreaming,
    StreamingDescriptor, SynchronizeCache, Write10, WriteParametersPage,
};
use crate::profile::Profile;
use crate::{Drive, Error, Result};

pub mod capacity;
pub mod format;
mod recipe;
mod stream;
mod verify;

pub use capacity::MediaCapacity;
pub use format::ImageFormat;
pub use recipe::{AppendMethod, BurnPlan, Preparation, Recipe, SessionStart, Step};
pub use stream::{chunk_pipe, ChunkStream, ChunkWriter};
pub use verify::verify;

const BLOCK: usize = 2048;
/// Budget for one long operation (BLANK, FORMAT, CLOSE, SYNC) to finish.
const LONG_OP: Duration = Duration::from_secs(3 * 3600);
/// Chunks queued between the source reader and the drive: with 64 KiB chunks, 4 MiB.
const QUEUE_CHUNKS: usize = 64;
/// READ BUFFER CAPACITY once per this many WRITE commands (when the progress sink wants it).
const BUFFER_POLL_EVERY: u32 = 16;

/// What the burner is doing, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// BLANK running.
    Blanking,
    /// FORMAT UNIT running.
    Formatting,
    /// Image data going to the drive.
    Writing,
    /// SYNCHRONIZE CACHE running.
    Flushing,
    /// CLOSE TRACK/SESSION running.
    Closing,
    /// Volume descriptors being replaced (growisofs method).
    Linking,
    /// Reading back and comparing.
    Verifying,
}

/// The drive's write buffer, from READ BUFFER CAPACITY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferFill {
    /// Bytes in use.
    pub used: u32,
    /// Buffer size.
    pub size: u32,
}

/// Progress callbacks. Every method has an empty default; `()` ignores everything.
pub trait BurnProgress {
    /// A new phase starts.
    fn phase(&mut self, _phase: Phase) {}
    /// `done` of `total` bytes written (or verified).
    fn bytes(&mut self, _done: u64, _total: u64) {}
    /// The drive's buffer fill, asked only when [`wants_buffer_fill`](Self::wants_buffer_fill).
    fn buffer(&mut self, _fill: BufferFill) {}
    /// True if the sink shows the buffer fill (it costs a command every few writes).
    fn wants_buffer_fill(&self) -> bool {
        false
    }
    /// Progress of a long operation (0.0..1.0), when the drive reports one.
    fn operation(&mut self, _fraction: Option<f64>) {}
}

impl BurnProgress for () {}

/// What a burn that stopped part way leaves on the disc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DiscLeft {
    /// Nothing was written; the disc is as it was.
    Unchanged,
    /// BLANK or FORMAT UNIT was cut off: the disc needs it again.
    PreparationIncomplete,
    /// Write-once media: the new session is open (possibly empty); earlier sessions are
    /// intact. The drive may refuse further sessions until it is closed.
    SessionOpen,
    /// Write-once media: the data track is closed but the session is not.
    TrackClosedSessionOpen,
    /// The session was closed but finalizing failed: the disc stays appendable.
    NotFinalized,
    /// Overwritable media, growisofs method: data beyond the old volume is not linked in;
    /// the disc still shows the previous session, intact.
    PreviousSessionIntact,
    /// Overwritable media: the descriptor unit was being replaced; the disc shows either the
    /// previous or the new session, both complete.
    PreviousOrNewSession,
    /// Overwritable media written as a new disc: the old content is partly overwritten and
    /// the new one incomplete; no usable filesystem.
    Overwritten,
    /// Write-once media: the burn failed after it began writing, yet the drive reports the disc
    /// exactly as it was before (what was sent never reached the medium: a power loss or
    /// reset emptied the drive's buffer). No session is open.
    RolledBack,
}

impl fmt::Display for DiscLeft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DiscLeft::Unchanged => "nothing was written: the disc is unchanged",
            DiscLeft::PreparationIncomplete => {
                "blanking/formatting was cut off: blank or format the disc again"
            }
            DiscLeft::SessionOpen => {
                "the new session is left open; earlier sessions are intact and readable; sessions can be added once it is closed"
            }
            DiscLeft::TrackClosedSessionOpen => {
                "the track is closed but its session is open; earlier sessions are intact; sessions can be added once it is closed"
            }
            DiscLeft::NotFinalized => {
                "the session is complete but the disc is not finalized (it stays appendable)"
            }
            DiscLeft::PreviousSessionIntact => {
                "the new data is not linked in: the disc still shows the previous session, intact"
            }
            DiscLeft::PreviousOrNewSession => {
                "the volume descriptors were being replaced: the disc shows the previous or the new session; run verify"
            }
            DiscLeft::Overwritten => {
                "the old content is partly overwritten and the new image incomplete: burn again"
            }
            DiscLeft::RolledBack => {
                "the drive reports the disc as it was before the burn (what was sent never reached it, as after a power loss): no session is left open and earlier sessions are intact; burn again"
            }
        })
    }
}

/// Format state of an overwritable medium.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FormatState {
    /// Not an overwritable medium.
    NotApplicable,
    /// Needs FORMAT UNIT before writing.
    Unformatted,
    /// DVD+RW background format running or suspended: writable, needs CLOSE 010b after.
    Background,
    /// DVD-RW restricted overwrite after a quick format: writable, needs CLOSE 010b after.
    Intermediate,
    /// Formatted.
    Formatted,
}

/// The medium as the burner sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct MediumStatus {
    /// Current profile.
    pub profile: Profile,
    /// The recipe for it.
    pub recipe: Recipe,
    /// READ DISC INFORMATION disc status.
    pub disc_status: DiscStatus,
    /// State of the last session.
    pub last_session: SessionState,
    /// Sessions, counting an open last one.
    pub sessions: u16,
    /// BLANK works on it.
    pub erasable: bool,
    /// Overwritable media: format state.
    pub format: FormatState,
    /// Write-once media: the next writable address.
    pub next_writable: Option<u32>,
    /// Write-once media: the track the next write goes to.
    pub next_track: u16,
    /// Blocks on the medium (write-once: NWA + free; overwritable: formatted or formattable
    /// size).
    pub total_blocks: u64,
    /// Write-once: free blocks from the NWA.
    pub free_blocks: u64,
    /// Write-once: first block of the last complete session.
    pub last_session_start: Option<u32>,
    /// Overwritable: the end of the volume the filesystem at the start of the medium records
    /// (from the [`ImageFormat`]), if it holds one.
    pub volume_end: Option<u32>,
}

/// What [`Burner::close_open_session`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CloseReport {
    /// Tracks that held data and were still open, now closed.
    pub closed_tracks: Vec<u16>,
    /// A session was closed (false: nothing was open).
    pub closed_session: bool,
    /// The disc was finalized.
    pub finalized: bool,
}

/// How a `--speed` request was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpeedMethod {
    /// SET STREAMING.
    Streaming,
    /// SET CD SPEED (the drive has no SET STREAMING).
    CdSpeed,
    /// The drive refused both; it writes at its own choice.
    Refused,
}

/// Options of a burn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BurnOptions {
    /// Write the image as the whole disc (blank rewritable sequential media first; overwrite
    /// from LBA 0 on overwritable media).
    pub new_disc: bool,
    /// Close the disc for good (write-once media).
    pub finalize: bool,
    /// Write speed in kB/s (1000 bytes/s).
    pub speed_kbps: Option<u32>,
    /// Where a new image goes on overwritable media: 0 for an image built for LBA 0, or a
    /// reserved head (libisoburn's 32 blocks) for an image built for that address, whose
    /// volume descriptors are then also written to LBA 16 with the volume size patched, so
    /// later appends by the growisofs method keep this session's own descriptors intact.
    pub overwritable_start: u32,
}

/// What a burn did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BurnReport {
    /// The session's first block.
    pub start_lba: u32,
    /// Blocks written, padding included.
    pub blocks_written: u32,
    /// Image blocks.
    pub image_blocks: u32,
}

/// Burns images on the medium in a drive.
pub struct Burner<'d, T: Transport> {
    drive: &'d mut Drive<T>,
    status: MediumStatus,
    format: &'d dyn ImageFormat,
    /// Set from elsewhere (a signal handler) to stop a burn at the next WRITE boundary.
    stop: Option<Arc<AtomicBool>>,
}

impl<T: Transport> fmt::Debug for Burner<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Burner")
            .field("drive", &self.drive)
            .field("status", &self.status)
            .finish()
    }
}

/// The image as the burner consumes it: buffers from the stream, and the bytes received but
/// not yet written.
struct Feed {
    stream: ChunkStream,
    pending: Vec<u8>,
    received: u64,
    total: u64,
}

impl Feed {
    /// The next buffer of the image (cut to the planned size); `None` after the last.
    fn next(&mut self) -> Result<Option<Vec<u8>>> {
        if self.received >= self.total {
            return Ok(None);
        }
        let offset = self.received;
        match self.stream.next() {
            Some(Ok(mut buf)) => {
                let left = usize::try_from(self.total - self.received).unwrap_or(usize::MAX);
                buf.truncate(left);
                self.received += buf.len() as u64;
                Ok(Some(buf))
            }
            Some(Err(source)) => Err(Error::Source { offset, source }),
            None => Err(self.short()),
        }
    }

    /// The source ended before the planned size.
    fn short(&self) -> Error {
        Error::Source {
            offset: self.received,
            source: std::io::ErrorKind::UnexpectedEof.into(),
        }
    }

    /// Fills `pending` to at least `n` bytes; past the end of the image with zeros when
    /// `pad`, else the image must hold them.
    fn gather(&mut self, n: usize, pad: bool) -> Result<()> {
        while self.pending.len() < n {
            match self.next()? {
                Some(buf) => {
                    self.pending.extend_from_slice(&buf);
                    self.stream.recycle(buf);
                }
                None if pad => self.pending.resize(n, 0),
                None => return Err(self.short()),
            }
        }
        Ok(())
    }
}

fn chunk_blocks(max_transfer: usize, unit: u32) -> u32 {
    let max = u32::try_from(max_transfer / BLOCK)
        .unwrap_or(32)
        .clamp(1, 32);
    (max / unit).max(1) * unit
}

impl<'d, T: Transport> Burner<'d, T> {
    /// Surveys the medium: waits for the drive, GET CONFIGURATION (current profile), READ
    /// DISC INFORMATION, READ TRACK INFORMATION (write-once) or READ FORMAT CAPACITIES and
    /// the start of `format`'s link area (overwritable), for images in `format`.
    ///
    /// # Errors
    /// No medium, a medium without a write recipe ([`Error::NotWritable`]), drive errors.
    pub fn new(drive: &'d mut Drive<T>, format: &'d dyn ImageFormat) -> Result<Self> {
        let status = survey(drive, format)?;
        Ok(Burner {
            drive,
            status,
            format,
            stop: None,
        })
    }

    /// A burner for a medium surveyed moments ago on the same open drive (for example by a
    /// planning step), without asking the drive again. Only for when nothing can have
    /// happened in between; otherwise use [`Burner::new`].
    pub fn with_status(
        drive: &'d mut Drive<T>,
        status: MediumStatus,
        format: &'d dyn ImageFormat,
    ) -> Self {
        Burner {
            drive,
            status,
            format,
            stop: None,
        }
    }

    /// Stops a burn when `flag` becomes true: before the next WRITE, or before the data
    /// steps if no data went yet. Once every block is written the burn runs to its end
    /// (flushing and closing leave the disc better off than stopping would). The burn then
    /// fails with [`Error::Burn`] wrapping [`Error::Interrupted`], saying what the disc is
    /// left as, as for any other failure.
    pub fn stop_when(&mut self, flag: Arc<AtomicBool>) {
        self.stop = Some(flag);
    }

    fn stop_requested(&self) -> bool {
        stop_set(self.stop.as_ref())
    }

    /// What the burner knows about the medium.
    pub fn status(&self) -> &MediumStatus {
        &self.status
    }

    /// The drive.
    pub fn drive(&mut self) -> &mut Drive<T> {
        self.drive
    }

    /// Surveys the medium again (after a burn or an outside change).
    ///
    /// # Errors
    /// As [`Burner::new`].
    pub fn refresh(&mut self) -> Result<()> {
        self.status = survey(self.drive, self.format)?;
        Ok(())
    }

    /// Cedar's `retrieveCapacity(entireDisc)`: with `entire_disc` the space a new disc would
    /// have (rewritable media are blanked or overwritten); otherwise what an appended session
    /// can use. All figures come from the drive.
    pub fn capacity(&self, entire_disc: bool) -> MediaCapacity {
        let s = &self.status;
        if s.recipe.is_overwritable() {
            let used = match (entire_disc, s.volume_end) {
                (false, Some(v)) => u64::from(self.format.next_session_start(v)),
                _ => 0,
            };
            return MediaCapacity {
                used_blocks: used.min(s.total_blocks),
                available_blocks: s.total_blocks.saturating_sub(used),
            };
        }
        if entire_disc && (s.disc_status == DiscStatus::Blank || s.erasable) {
            return MediaCapacity {
                used_blocks: 0,
                available_blocks: s.total_blocks,
            };
        }
        match s.next_writable {
            Some(nwa) if s.disc_status != DiscStatus::Complete => MediaCapacity {
                used_blocks: u64::from(nwa),
                available_blocks: s.free_blocks,
            },
            _ => MediaCapacity {
                used_blocks: s.total_blocks,
                available_blocks: 0,
            },
        }
    }

    /// Where the next session goes: build the image for `start_lba` (and import
    /// `previous_session_lba`'s tree), then burn it with the same `new_disc`.
    ///
    /// # Errors
    /// [`Error::NotWritable`] for a complete (finalized) write-once disc, or a new disc on
    /// write-once media that is not blank.
    pub fn next_session_start(&self, new_disc: bool) -> Result<SessionStart> {
        self.next_session_start_at(new_disc, 0)
    }

    /// As [`next_session_start`](Self::next_session_start), with a new image on overwritable
    /// media at `overwritable_start` (see [`BurnOptions::overwritable_start`]).
    ///
    /// # Errors
    /// As [`next_session_start`](Self::next_session_start).
    pub fn next_session_start_at(
        &self,
        new_disc: bool,
        overwritable_start: u32,
    ) -> Result<SessionStart> {
        let s = &self.status;
        let medium = s.profile.name();
        if s.recipe.is_overwritable() {
            return Ok(match (new_disc, s.volume_end) {
                (false, Some(v)) => SessionStart {
                    method: AppendMethod::Grow,
                    start_lba: self.format.next_session_start(v),
                    previous_session_lba: Some(0),
                },
                _ => SessionStart {
                    method: AppendMethod::NewDisc,
                    start_lba: overwritable_start,
                    previous_session_lba: None,
                },
            });
        }
        let blank = s.disc_status == DiscStatus::Blank;
        if new_disc && !blank {
            if s.erasable {
                return Ok(SessionStart {
                    method: AppendMethod::NewDisc,
                    start_lba: 0,
                    previous_session_lba: None,
                });
            }
            return Err(Error::NotWritable {
                medium,
                reason: "a new disc needs blank media (this write-once disc holds data)",
            });
        }
        if s.disc_status == DiscStatus::Complete {
            return Err(Error::NotWritable {
                medium,
                reason: "the disc is finalized (complete); no session can be added",
            });
        }
        if s.last_session == SessionState::Incomplete {
            return Err(Error::NotWritable {
                medium,
                reason:
                    "the last session is open (an earlier burn stopped); close it, then burn again",
            });
        }
        let Some(nwa) = s.next_writable else {
            return Err(Error::NotWritable {
                medium,
                reason: "the drive reports no next writable address",
            });
        };
        Ok(SessionStart {
            method: if blank {
                AppendMethod::NewDisc
            } else {
                AppendMethod::Session
            },
            start_lba: nwa,
            previous_session_lba: if blank { None } else { s.last_session_start },
        })
    }

    /// Plans a burn of an image of `image_bytes` bytes: the steps, and the capacity check.
    ///
    /// # Errors
    /// [`Error::InsufficientCapacity`] when it does not fit; as
    /// [`next_session_start`](Self::next_session_start).
    pub fn plan(&self, image_bytes: u64, opts: &BurnOptions) -> Result<BurnPlan> {
        let s = &self.status;
        let recipe = s.recipe;
        let session = self.next_session_start_at(opts.new_disc, opts.overwritable_start)?;
        let mut capacity = self.capacity(opts.new_disc);
        // A new image after a reserved head: the head is used too.
        let head = recipe.is_overwritable()
            && session.method == AppendMethod::NewDisc
            && session.start_lba > 0;
        if head {
            capacity.used_blocks = u64::from(session.start_lba);
            capacity.available_blocks = s.total_blocks.saturating_sub(capacity.used_blocks);
        }
        let image_blocks_u64 = image_bytes.div_ceil(BLOCK as u64);
        let unit = u64::from(recipe.unit());
        let padded = (image_blocks_u64.div_ceil(unit) * unit).max(u64::from(recipe.min_track()));
        if image_blocks_u64 == 0 {
            return Err(Error::ImageMismatch {
                reason: "the image is empty",
                start: session.start_lba,
            });
        }
        if !capacity.fits(padded) {
            return Err(Error::InsufficientCapacity {
                needed: padded,
                available: capacity.available_blocks,
            });
        }
        // Fits in the capacity, which is below 2^32 blocks.
        let image_blocks = u32::try_from(image_blocks_u64).unwrap_or(u32::MAX);
        let write_blocks = u32::try_from(padded).unwrap_or(u32::MAX);
        let mut steps = Vec::new();
        let wiped =
            opts.new_disc && s.disc_status != DiscStatus::Blank && !recipe.is_overwritable();
        if wiped {
            steps.push(Step::Blank { full: false });
        }
        if s.format == FormatState::Unformatted {
            steps.push(self.format_step(false)?);
        }
        if let Some(kbytes_per_sec) = opts.speed_kbps {
            steps.push(Step::SetSpeed { kbytes_per_sec });
        }
        let keep_open = !opts.finalize;
        let start = session.start_lba;
        let track = if wiped { 1 } else { s.next_track };
        match recipe {
            Recipe::CdTao => {
                steps.push(Step::WriteParameters(WriteParametersPage::cd_tao(
                    keep_open,
                )));
            }
            Recipe::DvdMinusIncremental => {
                steps.push(Step::WriteParameters(WriteParametersPage::dvd_incremental(
                    keep_open, 16,
                )));
            }
            _ => {}
        }
        steps.push(Step::Write {
            start,
            blocks: write_blocks,
        });
        steps.push(Step::SyncCache);
        match recipe {
            Recipe::CdTao | Recipe::DvdMinusIncremental => {
                // Finalizing or not was chosen by page 05's multi-session field.
                steps.push(Step::CloseTrack { track });
                steps.push(Step::CloseSession);
            }
            Recipe::DvdPlusR | Recipe::BdR => {
                steps.push(Step::CloseTrack { track });
                if opts.finalize {
                    steps.push(Step::Finalize(if recipe == Recipe::BdR {
                        crate::command::CloseFunction::FINALIZE
                    } else {
                        crate::command::CloseFunction::FINALIZE_MINIMAL_RADIUS
                    }));
                } else {
                    steps.push(Step::CloseSession);
                }
            }
            Recipe::DvdPlusRw | Recipe::DvdRwRestrictedOverwrite => {
                if matches!(
                    s.format,
                    FormatState::Unformatted | FormatState::Background | FormatState::Intermediate
                ) {
                    steps.push(Step::CloseSession);
                }
            }
            Recipe::BdRe => {}
        }
        if session.method == AppendMethod::Grow {
            let (area, area_blocks) = self.format.link_area();
            let unit = recipe.unit().max(area_blocks);
            // The unit holding the link area (ISO 9660's 16..31): DVD 16..31, BD 0..31.
            let unit_start = (area / unit) * unit;
            steps.push(Step::RewriteDescriptors {
                unit_start,
                unit_blocks: unit,
                volume_blocks: start.saturating_add(image_blocks),
                fresh: false,
            });
        } else if head {
            // The whole head, system area included: nothing of an earlier disc stays there.
            steps.push(Step::RewriteDescriptors {
                unit_start: 0,
                unit_blocks: start.min(32),
                volume_blocks: start.saturating_add(image_blocks),
                fresh: true,
            });
        }
        Ok(BurnPlan {
            profile: s.profile,
            recipe,
            session,
            image_bytes,
            image_blocks,
            write_blocks,
            capacity,
            finalize: opts.finalize && !recipe.is_overwritable(),
            steps,
        })
    }

    fn format_step(&self, full: bool) -> Result<Step> {
        let medium = self.status.profile.name();
        match self.status.recipe {
            Recipe::DvdPlusRw => Ok(Step::Format {
                format_type: FormatType::DVD_PLUS_RW_BASIC,
                blocks: u32::MAX,
                parameter: 0,
            }),
            Recipe::BdRe | Recipe::DvdMinusIncremental | Recipe::DvdRwRestrictedOverwrite => {
                let ft = match self.status.recipe {
                    Recipe::BdRe => FormatType::FULL,
                    _ if full => FormatType::CD_DVD_RW_FULL,
                    _ => FormatType::DVD_RW_QUICK,
                };
                if self.status.recipe == Recipe::DvdMinusIncremental && !self.status.erasable {
                    return Err(Error::NotWritable {
                        medium,
                        reason: "DVD-R cannot be formatted",
                    });
                }
                Ok(Step::Format {
                    format_type: ft,
                    blocks: 0,
                    parameter: 0,
                })
            }
            _ => Err(Error::NotWritable {
                medium,
                reason: "this medium is not formatted (blank it instead)",
            }),
        }
    }

    /// Blanks or formats the medium, with progress, then surveys it again.
    ///
    /// # Errors
    /// [`Error::NotWritable`] when the medium cannot be blanked or formatted; drive errors.
    pub fn prepare(&mut self, what: Preparation, progress: &mut dyn BurnProgress) -> Result<()> {
        let medium = self.status.profile.name();
        let step = match what {
            Preparation::Blank { full } => {
                if !self.status.erasable
                    || !matches!(
                        self.status.profile,
                        Profile::CD_RW
                            | Profile::DVD_RW_SEQUENTIAL
                            | Profile::DVD_RW_RESTRICTED_OVERWRITE
                    )
                {
                    return Err(Error::NotWritable {
                        medium,
                        reason: "only CD-RW and DVD-RW can be blanked",
                    });
                }
                Step::Blank { full }
            }
            Preparation::Format { full } => self.format_step(full)?,
        };
        self.run_prepare_step(&step, progress)?;
        if let (Preparation::Format { full: true }, Recipe::DvdPlusRw) = (what, self.status.recipe)
        {
            self.wait_background_format(progress)?;
        }
        self.refresh()
    }

    fn wait_background_format(&mut self, progress: &mut dyn BurnProgress) -> Result<()> {
        loop {
            let info = self.drive.run(&ReadDiscInformation::default())?;
            match info.bg_format_status {
                BgFormatStatus::InProgress => {
                    progress.operation(None);
                    std::thread::sleep(self.drive.policy().poll_interval);
                }
                _ => return Ok(()),
            }
        }
    }

    fn run_prepare_step(&mut self, step: &Step, progress: &mut dyn BurnProgress) -> Result<()> {
        match *step {
            Step::Blank { full } => {
                progress.phase(Phase::Blanking);
                info!(
                    "{}: blanking ({})",
                    self.drive.name(),
                    if full { "full" } else { "minimal" }
                );
                let cmd = Blank {
                    blank_type: if full {
                        BlankType::FULL
                    } else {
                        BlankType::MINIMAL
                    },
                    ..Blank::full()
                };
                self.drive.run(&cmd)?;
                self.wait(progress)
            }
            Step::Format {
                format_type,
                blocks,
                parameter,
            } => {
                progress.phase(Phase::Formatting);
                let (blocks, parameter) = self.format_blocks(format_type, blocks, parameter)?;
                info!(
                    "{}: FORMAT UNIT {:02X}h, {blocks} blocks",
                    self.drive.name(),
                    format_type.0
                );
                self.drive.run(&FormatUnit::new(FormatDescriptor {
                    blocks,
                    format_type,
                    subtype: 0,
                    parameter,
                }))?;
                self.wait(progress)
            }
            _ => Ok(()),
        }
    }

    /// Blocks and parameter for a FORMAT UNIT descriptor: copied from the matching READ
    /// FORMAT CAPACITIES descriptor, as MMC asks (except DVD+RW 26h, which takes FFFFFFFFh).
    fn format_blocks(&mut self, ft: FormatType, blocks: u32, parameter: u32) -> Result<(u32, u32)> {
        if ft == FormatType::DVD_PLUS_RW_BASIC {
            let restart = self.status.format == FormatState::Background;
            return Ok((blocks, u32::from(restart)));
        }
        let caps = self.drive.run(&ReadFormatCapacities::default())?;
        Ok(match caps.find(ft) {
            Some(d) => (d.blocks, d.parameter),
            None => (blocks, parameter),
        })
    }

    fn wait(&mut self, progress: &mut dyn BurnProgress) -> Result<()> {
        self.drive
            .wait_ready(LONG_OP, |p| progress.operation(p.map(|p| p.fraction())))
    }

    /// Sets the write speed: SET STREAMING, falling back to SET CD SPEED when the drive
    /// refuses it. Refusals of both are logged, not fatal (the drive picks a speed).
    ///
    /// # Errors
    /// Transport failures and timeouts.
    pub fn set_speed(&mut self, kbytes_per_sec: u32) -> Result<SpeedMethod> {
        let end = u32::try_from(self.status.total_blocks.max(1) - 1).unwrap_or(u32::MAX);
        let streaming = SetStreaming::new(StreamingDescriptor::speed(end, kbytes_per_sec));
        match self.drive.run(&streaming) {
            Ok(()) => return Ok(SpeedMethod::Streaming),
            Err(e @ (Error::Transport(_) | Error::Timeout { .. })) => return Err(e),
            Err(e) => warn!("{e}; trying SET CD SPEED"),
        }
        let kbps = u16::try_from(kbytes_per_sec).unwrap_or(SetCdSpeed::MAX);
        match self.drive.run(&SetCdSpeed::write(kbps)) {
            Ok(()) => Ok(SpeedMethod::CdSpeed),
            Err(e @ (Error::Transport(_) | Error::Timeout { .. })) => Err(e),
            Err(e) => {
                warn!("{e}; writing at the drive's own speed");
                Ok(SpeedMethod::Refused)
            }
        }
    }

    /// Closes what an interrupted burn left open on write-once media, so sessions can be
    /// appended again: SYNCHRONIZE CACHE, CLOSE TRACK for each track of the last session
    /// that holds data and is still open, then CLOSE SESSION (or, with `finalize`, the
    /// medium's finalize function). CD and DVD-R get page 05 again first (a power loss
    /// resets it, and its multi-session field decides whether closing the session leaves
    /// the disc appendable). The data already written stays where it is; if its image was
    /// cut off, readers and the next append should use the session before it (which is the
    /// caller's decision: it needs the filesystem). Surveys the medium again afterwards.
    ///
    /// # Errors
    /// [`Error::NotWritable`] for overwritable media (they have nothing to close); drive
    /// errors, naming the command.
    pub fn close_open_session(
        &mut self,
        finalize: bool,
        progress: &mut dyn BurnProgress,
    ) -> Result<CloseReport> {
        let recipe = self.status.recipe;
        if recipe.is_overwritable() {
            return Err(Error::NotWritable {
                medium: self.status.profile.name(),
                reason: "overwritable media have no sessions to close (an interrupted burn leaves the previous session in place)",
            });
        }
        let mut report = CloseReport::default();
        if self.status.disc_status == DiscStatus::Complete
            || (self.status.last_session != SessionState::Incomplete && !finalize)
            || self.status.disc_status == DiscStatus::Blank
        {
            return Ok(report);
        }
        progress.phase(Phase::Flushing);
        self.drive.run(&SynchronizeCache::immediate())?;
        self.wait(progress)?;
        let disc = self.drive.run(&ReadDiscInformation::default())?;
        progress.phase(Phase::Closing);
        if self.status.last_session == SessionState::Incomplete {
            for track in disc.first_track_in_last_session..=disc.last_track_in_last_session {
                let ti = self
                    .drive
                    .run(&ReadTrackInformation::track(u32::from(track)))?;
                if ti.blank || ti.next_writable_address.is_none() {
                    continue;
                }
                info!("{}: closing track {track}", self.drive.name());
                self.drive.run(&CloseTrackSession::close_track(track))?;
                self.wait(progress)?;
                report.closed_tracks.push(track);
            }
        }
        match recipe {
            Recipe::CdTao => {
                self.drive.run(&ModeSelect10::write_parameters(
                    &WriteParametersPage::cd_tao(!finalize),
                ))?;
            }
            Recipe::DvdMinusIncremental => {
                self.drive.run(&ModeSelect10::write_parameters(
                    &WriteParametersPage::dvd_incremental(!finalize, 16),
                ))?;
            }
            _ => {}
        }
        let close = match (recipe, finalize) {
            (Recipe::BdR, true) => {
                CloseTrackSession::function(crate::command::CloseFunction::FINALIZE)
            }
            (Recipe::DvdPlusR, true) => {
                CloseTrackSession::function(crate::command::CloseFunction::FINALIZE_MINIMAL_RADIUS)
            }
            // CD and DVD-R: page 05 decided above whether this finalizes.
            _ => CloseTrackSession::close_session(),
        };
        self.drive.run(&close)?;
        self.wait(progress)?;
        report.closed_session = true;
        report.finalized = finalize;
        self.refresh()?;
        Ok(report)
    }

    /// Runs `plan` with the image from `source` (exactly `plan.image_bytes` long), read by a
    /// helper thread through a bounded queue of chunks: no temporary image, and the source
    /// is read while the drive writes.
    ///
    /// Before anything is written the image head is checked: appended sessions must be ISO
    /// 9660 images whose root directory lies at or after the session start (an image built
    /// for another address would point at the wrong blocks).
    ///
    /// # Errors
    /// [`Error::ImageMismatch`] before writing; once a step has sent a command,
    /// [`Error::Burn`] saying the step, how many blocks went to the drive and what the disc
    /// is left as, wrapping the drive's error.
    pub fn burn<R: Read + Send>(
        &mut self,
        plan: &BurnPlan,
        mut source: R,
        progress: &mut dyn BurnProgress,
    ) -> Result<BurnReport> {
        let (mut w, stream) = chunk_pipe(self.write_bytes(plan), QUEUE_CHUNKS);
        let total = plan.image_bytes;
        std::thread::scope(|scope| {
            scope.spawn(move || match w.copy_from(&mut source, total) {
                Ok(()) => {
                    // The burner may have stopped early: nothing to report then.
                    let _ = w.finish();
                }
                Err(e) => w.fail(e),
            });
            // Returning drops the stream, which stops the reader if the burn failed.
            self.burn_stream(plan, stream, progress)
        })
    }

    /// The bytes of one WRITE command for `plan`: the transport's maximum, at most 32
    /// blocks, in whole units of the medium's ECC block.
    pub fn write_bytes(&self, plan: &BurnPlan) -> usize {
        chunk_blocks(self.drive.transport().max_transfer(), plan.recipe.unit()) as usize * BLOCK
    }

    /// As [`Burner::burn`], with the image coming from a producer thread through a
    /// [`chunk_pipe`] (exactly `plan.image_bytes` in all): the producer's buffers go to WRITE
    /// without another copy.
    ///
    /// # Errors
    /// As [`Burner::burn`].
    pub fn burn_stream(
        &mut self,
        plan: &BurnPlan,
        stream: ChunkStream,
        progress: &mut dyn BurnProgress,
    ) -> Result<BurnReport> {
        // The medium stays in the drive while it is written (an eject mid-burn ruins the
        // session), and is let go afterwards whether the burn worked or not. PREVENT is
        // mandatory for MMC drives, so a refusal is a drive fault: stop before writing.
        // A refused ALLOW after a good burn leaves the burn good; `spindle unlock` or
        // `eject` clears the lock.
        if let Err(e) = self.drive.run(&PreventAllowMediumRemoval::prevent()) {
            return Err(Error::Burn {
                step: "locking the medium in the drive",
                written: 0,
                planned: plan.write_blocks,
                start: plan.session.start_lba,
                left: DiscLeft::Unchanged,
                source: Box::new(e),
            });
        }
        let mut r = self.burn_locked(plan, stream, progress);
        if let Err(e) = self.drive.run(&PreventAllowMediumRemoval::allow()) {
            warn!(
                "{}: cannot unlock the medium ({e}); `spindle unlock` clears it",
                self.drive.name()
            );
        }
        if let Err(Error::Burn { left, .. }) = &mut r {
            if matches!(
                left,
                DiscLeft::SessionOpen | DiscLeft::TrackClosedSessionOpen
            ) && self.rolled_back()
            {
                *left = DiscLeft::RolledBack;
            }
        }
        r
    }

    /// After a failed burn on write-once media: whether the drive now reports the disc
    /// exactly as surveyed before the burn (no open session, the same sessions and next
    /// writable address). A power loss or reset before the buffer reached the medium does
    /// that; the failure report must then not send the user to close a session that does
    /// not exist.
    fn rolled_back(&mut self) -> bool {
        match survey(self.drive, self.format) {
            Ok(now) => {
                let before = &self.status;
                now.last_session != SessionState::Incomplete
                    && now.disc_status == before.disc_status
                    && now.last_session == before.last_session
                    && now.sessions == before.sessions
                    && now.next_writable == before.next_writable
            }
            Err(e) => {
                warn!(
                    "{}: cannot read the disc's state after the failed burn: {e}",
                    self.drive.name()
                );
                false
            }
        }
    }

    fn burn_locked(
        &mut self,
        plan: &BurnPlan,
        stream: ChunkStream,
        progress: &mut dyn BurnProgress,
    ) -> Result<BurnReport> {
        let mut feed = Feed {
            stream,
            pending: Vec::new(),
            received: 0,
            total: plan.image_bytes,
        };
        // The head: up to 32 blocks, enough for the system area and the descriptor set. It
        // stays queued in the feed to be written first.
        let head_len = usize::try_from(plan.image_bytes.min(32 * BLOCK as u64)).unwrap_or(0);
        feed.gather(head_len, false)?;
        let descriptors = check_head(
            plan,
            self.format,
            feed.pending.get(..head_len).unwrap_or(&[]),
        )?;

        let mut run = Run {
            plan,
            written: 0,
            left: DiscLeft::Unchanged,
        };
        // Steps up to the data's end may stop on request; flushing and closing may not.
        let data_end = plan
            .steps
            .iter()
            .rposition(|s| matches!(s, Step::Write { .. }))
            .unwrap_or(0);
        for (i, step) in plan.steps.iter().enumerate() {
            debug!("{}: step {step}", self.drive.name());
            if i <= data_end && self.stop_requested() {
                return Err(Error::Burn {
                    step: step.doing(),
                    written: run.written,
                    planned: plan.write_blocks,
                    start: plan.session.start_lba,
                    left: run.left,
                    source: Box::new(Error::Interrupted),
                });
            }
            let r = match step {
                Step::Blank { .. } | Step::Format { .. } => {
                    run.left = DiscLeft::PreparationIncomplete;
                    let r = self.run_prepare_step(step, progress);
                    if r.is_ok() {
                        run.left = DiscLeft::Unchanged;
                    }
                    r
                }
                Step::SetSpeed { kbytes_per_sec } => self.set_speed(*kbytes_per_sec).map(drop),
                Step::WriteParameters(page) => {
                    self.drive.run(&ModeSelect10::write_parameters(page))
                }
                Step::Write { start, blocks } => {
                    run.left = match (plan.recipe.is_overwritable(), plan.session.method) {
                        (false, _) => DiscLeft::SessionOpen,
                        (true, AppendMethod::Grow) => DiscLeft::PreviousSessionIntact,
                        (true, _) => DiscLeft::Overwritten,
                    };
                    progress.phase(Phase::Writing);
                    self.write_image(*start, *blocks, &mut feed, &mut run, progress)
                }
                Step::SyncCache => {
                    progress.phase(Phase::Flushing);
                    self.drive
                        .run(&SynchronizeCache::immediate())
                        .and_then(|()| self.wait(progress))
                }
                Step::CloseTrack { track } => {
                    progress.phase(Phase::Closing);
                    self.drive
                        .run(&CloseTrackSession::close_track(*track))
                        .and_then(|()| self.wait(progress))
                }
                Step::CloseSession => {
                    progress.phase(Phase::Closing);
                    if !plan.recipe.is_overwritable() {
                        run.left = DiscLeft::TrackClosedSessionOpen;
                    }
                    self.drive
                        .run(&CloseTrackSession::close_session())
                        .and_then(|()| self.wait(progress))
                }
                Step::Finalize(function) => {
                    progress.phase(Phase::Closing);
                    run.left = DiscLeft::TrackClosedSessionOpen;
                    self.drive
                        .run(&CloseTrackSession::function(*function))
                        .and_then(|()| self.wait(progress))
                }
                Step::RewriteDescriptors {
                    unit_start,
                    unit_blocks,
                    volume_blocks,
                    fresh,
                } => {
                    progress.phase(Phase::Linking);
                    if !*fresh {
                        run.left = DiscLeft::PreviousOrNewSession;
                    }
                    self.rewrite_descriptors(
                        Link {
                            unit_start: *unit_start,
                            unit_blocks: *unit_blocks,
                            volume_blocks: *volume_blocks,
                            fresh: *fresh,
                            session_start: plan.session.start_lba,
                        },
                        descriptors.as_ref(),
                        progress,
                    )
                }
            };
            if let Err(e) = r {
                return Err(Error::Burn {
                    step: step.doing(),
                    written: run.written,
                    planned: plan.write_blocks,
                    start: plan.session.start_lba,
                    left: run.left,
                    source: Box::new(e),
                });
            }
        }
        info!(
            "{}: burned {} blocks at LBA {}",
            self.drive.name(),
            plan.write_blocks,
            plan.session.start_lba
        );
        Ok(BurnReport {
            start_lba: plan.session.start_lba,
            blocks_written: plan.write_blocks,
            image_blocks: plan.image_blocks,
        })
    }

    /// Writes the image from `feed`, zero padded to `blocks`. Buffers that start on a WRITE
    /// boundary go to the drive slice by slice without a copy; bytes that straddle buffers
    /// (the head, a producer's odd-sized buffer, the padded tail) are gathered first.
    fn write_image(
        &mut self,
        start: u32,
        blocks: u32,
        feed: &mut Feed,
        run: &mut Run<'_>,
        progress: &mut dyn BurnProgress,
    ) -> Result<()> {
        let chunk = u32::try_from(self.write_bytes(run.plan) / BLOCK).unwrap_or(1);
        let total = run.plan.image_bytes;
        let end = start + blocks;
        let mut lba = start;
        let mut writes = 0u32;
        let stop = self.stop.clone();
        let mut write = |drive: &mut Drive<T>, lba: u32, data: &[u8]| -> Result<()> {
            if stop_set(stop.as_ref()) {
                return Err(Error::Interrupted);
            }
            let cmd = Write10::new(lba, data).ok_or(Error::Unsupported {
                feature: "WRITE(10) of this size",
            })?;
            drive.run(&cmd)?;
            run.written += u32::try_from(data.len() / BLOCK).unwrap_or(0);
            writes += 1;
            progress.bytes((u64::from(run.written) * BLOCK as u64).min(total), total);
            if progress.wants_buffer_fill() && writes.is_multiple_of(BUFFER_POLL_EVERY) {
                match drive.run(&ReadBufferCapacity::default()) {
                    Ok(b) => {
                        if let Some(size) = b.buffer_length {
                            progress.buffer(BufferFill {
                                used: size.saturating_sub(b.available),
                                size,
                            });
                        }
                    }
                    Err(e) => debug!("READ BUFFER CAPACITY: {e}"),
                }
            }
            Ok(())
        };
        let n_at = |lba: u32| chunk.min(end - lba) as usize * BLOCK;
        while lba < end {
            if feed.pending.is_empty() {
                if let Some(buf) = feed.next()? {
                    let mut off = 0;
                    while lba < end && buf.len() - off >= n_at(lba) {
                        let n = n_at(lba);
                        write(self.drive, lba, buf.get(off..off + n).unwrap_or(&[]))?;
                        off += n;
                        lba += (n / BLOCK) as u32;
                    }
                    feed.pending
                        .extend_from_slice(buf.get(off..).unwrap_or(&[]));
                    feed.stream.recycle(buf);
                    continue;
                }
            }
            let n = n_at(lba);
            feed.gather(n, true)?;
            let data: Vec<u8> = feed.pending.drain(..n).collect();
            write(self.drive, lba, &data)?;
            lba += (n / BLOCK) as u32;
        }
        Ok(())
    }

    /// The growisofs method's last step: read the unit holding LBA 16.., put the new
    /// descriptor set in, let the format finish the copy (for ISO 9660 with checksums, over
    /// the blocks from LBA 0, read too when the unit starts later), write the unit back
    /// whole, flush.
    fn rewrite_descriptors(
        &mut self,
        link: Link,
        superblock: Option<&Superblock>,
        progress: &mut dyn BurnProgress,
    ) -> Result<()> {
        let Link {
            unit_start,
            unit_blocks,
            volume_blocks,
            fresh,
            session_start,
        } = link;
        let (descriptors, checksummed) = superblock.map_or((&[][..], false), |s| {
            (s.descriptors.as_slice(), s.checksummed)
        });
        let read = |drive: &mut Drive<T>, lba: u32, blocks: u32| -> Result<Vec<u8>> {
            if fresh {
                return Ok(vec![0u8; blocks as usize * BLOCK]);
            }
            let mut data = drive.run(&Read10::new(lba, u16::try_from(blocks).unwrap_or(32)))?;
            data.resize(blocks as usize * BLOCK, 0);
            Ok(data)
        };
        // The blocks before the unit, only for the checksum over them (never written).
        let before = if checksummed { unit_start } else { 0 };
        let mut blocks = if before > 0 {
            read(self.drive, 0, before)?
        } else {
            Vec::new()
        };
        blocks.extend(read(self.drive, unit_start, unit_blocks)?);
        let first = unit_start - before;
        let mut set = descriptors.to_vec();
        self.format.set_volume_end(&mut set, volume_blocks);
        let at = self.format.link_area().0.saturating_sub(first) as usize * BLOCK;
        if let Some(dst) = blocks.get_mut(at..at + set.len()) {
            dst.copy_from_slice(&set);
        }
        self.format
            .seal_copy(&mut blocks, first, session_start, checksummed);
        let unit = blocks.get(before as usize * BLOCK..).unwrap_or(&[]);
        let cmd = Write10::new(unit_start, unit).ok_or(Error::Unsupported {
            feature: "WRITE(10) of this size",
        })?;
        self.drive.run(&cmd)?;
        self.drive.run(&SynchronizeCache::immediate())?;
        self.wait(progress)
    }
}

/// Where and how a session is linked in at the start of the medium (`Step::RewriteDescriptors`).
#[derive(Debug, Clone, Copy)]
struct Link {
    unit_start: u32,
    unit_blocks: u32,
    volume_blocks: u32,
    fresh: bool,
    session_start: u32,
}

/// The image's superblock, for the copy at the start of the medium.
#[derive(Debug, Clone)]
struct Superblock {
    descriptors: Vec<u8>,
    /// [`ImageFormat::copy_checksummed`].
    checksummed: bool,
}

fn stop_set(flag: Option<&Arc<AtomicBool>>) -> bool {
    flag.is_some_and(|f| f.load(Ordering::SeqCst))
}

/// A burn in progress: for the failure report.
struct Run<'p> {
    plan: &'p BurnPlan,
    written: u32,
    left: DiscLeft,
}

/// Checks the image head against the plan; when the session is linked in at the start of the
/// medium (the growisofs method, or a new image after a reserved head) returns the image's
/// superblock (ISO 9660: its descriptor set).
fn check_head(
    plan: &BurnPlan,
    format: &dyn ImageFormat,
    head: &[u8],
) -> Result<Option<Superblock>> {
    let start = plan.session.start_lba;
    let root = format.root_block(head);
    let linked_head = plan.recipe.is_overwritable() && start > 0;
    match plan.session.method {
        AppendMethod::NewDisc if !linked_head => {
            if let Some(r) = root {
                if r < start {
                    return Err(Error::ImageMismatch {
                        reason: "the image's root directory lies before the session start",
                        start,
                    });
                }
            }
            Ok(None)
        }
        AppendMethod::NewDisc | AppendMethod::Session | AppendMethod::Grow => {
            let Some(r) = root else {
                return Err(Error::ImageMismatch {
                    reason:
                        "an appended session must hold a filesystem (none found in the image head)",
                    start,
                });
            };
            if r < start || r >= start.saturating_add(plan.image_blocks) {
                return Err(Error::ImageMismatch {
                    reason: "the image was built for another start address (see -C)",
                    start,
                });
            }
            if plan.session.method == AppendMethod::Session {
                return Ok(None);
            }
            let set = format.superblock(head).ok_or(Error::ImageMismatch {
                reason: "the image's superblock (volume descriptor set) does not end within its link area",
                start,
            })?;
            Ok(Some(Superblock {
                descriptors: set.to_vec(),
                checksummed: format.copy_checksummed(head),
            }))
        }
    }
}

fn survey<T: Transport>(drive: &mut Drive<T>, format: &dyn ImageFormat) -> Result<MediumStatus> {
    drive.wait_ready(Duration::from_secs(60), |_| {})?;
    drive.clear_medium_changed();
    let config = drive.run(&GetConfiguration::header())?;
    let profile = config.current_profile;
    let recipe = Recipe::for_profile(profile).ok_or(Error::NotWritable {
        medium: profile.name(),
        reason: "this medium cannot be written (no write recipe for its profile)",
    })?;
    let disc = drive.run(&ReadDiscInformation::default())?;
    let mut status = MediumStatus {
        profile,
        recipe,
        disc_status: disc.disc_status,
        last_session: disc.last_session_state,
        sessions: disc.sessions,
        erasable: disc.erasable,
        format: FormatState::NotApplicable,
        next_writable: None,
        next_track: disc.last_track_in_last_session,
        total_blocks: 0,
        free_blocks: 0,
        last_session_start: None,
        volume_end: None,
    };
    if recipe.is_overwritable() {
        let caps = drive.run(&ReadFormatCapacities::default())?;
        let unformatted = match recipe {
            Recipe::DvdPlusRw => disc.bg_format_status == BgFormatStatus::None,
            _ => caps.current.descriptor_type == DescriptorType::Unformatted,
        };
        status.format = if unformatted {
            FormatState::Unformatted
        } else if recipe == Recipe::DvdPlusRw
            && matches!(
                disc.bg_format_status,
                BgFormatStatus::InProgress | BgFormatStatus::Suspended
            )
        {
            FormatState::Background
        } else if caps.current.descriptor_type == DescriptorType::NoMedium
            && recipe == Recipe::DvdRwRestrictedOverwrite
        {
            FormatState::Intermediate
        } else {
            FormatState::Formatted
        };
        let formatted_size = |t: FormatType| caps.find(t).map(|d| u64::from(d.blocks));
        status.total_blocks = match (recipe, status.format) {
            (Recipe::DvdPlusRw, _) => formatted_size(FormatType::DVD_PLUS_RW_BASIC),
            (_, FormatState::Unformatted) => formatted_size(FormatType::FULL),
            _ => None,
        }
        .unwrap_or(u64::from(caps.current.blocks));
        if status.format != FormatState::Unformatted {
            // Only "nothing recorded there" means "no filesystem": any other failure must
            // stop the burn, or a flaky read would turn an append into a new disc.
            match drive.run(&Read10::new(format.link_area().0, 1)) {
                Ok(block) => status.volume_end = format.volume_end(&block),
                Err(e) if e.is_unrecorded() => {
                    debug!("no filesystem at the start of the medium: {e}")
                }
                Err(e) => return Err(e),
            }
        }
        return Ok(status);
    }
    if disc.disc_status == DiscStatus::Complete {
        return Ok(status);
    }
    let ask = if matches!(recipe, Recipe::CdTao | Recipe::DvdPlusR) {
        ReadTrackInformation::invisible()
    } else {
        ReadTrackInformation::track(u32::from(disc.last_track_in_last_session))
    };
    let ti = drive.run(&ask)?;
    // Some drives report NWA −150 on blank CD-R (docs/mmc-notes.md §2.2.7): use the track start.
    let nwa = ti
        .next_writable_address
        .map(|n| if (n as i32) < 0 { ti.track_start } else { n });
    status.next_writable = nwa;
    status.next_track = ti.track_number;
    status.free_blocks = u64::from(ti.free_blocks);
    status.total_blocks = u64::from(nwa.unwrap_or(0)) + u64::from(ti.free_blocks);
    let complete_sessions = if disc.last_session_state == SessionState::Complete {
        disc.sessions
    } else {
        disc.sessions.saturating_sub(1)
    };
    // The last complete session's start. Which session's files a new session carries
    // forward (a session whose image was cut off is passed over) is the caller's decision,
    // made from the filesystem on the disc, not the drive's.
    if complete_sessions > 0 {
        let first = drive.run(&ReadTrackInformation::session(u32::from(complete_sessions)))?;
        status.last_session_start = Some(first.track_start);
    }
    Ok(status)
}
