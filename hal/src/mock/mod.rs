//! An emulated MMC optical drive whose state lives in a directory (`mock:DIR`), so that
//! separate processes — a test, the `spindle` CLI, a second `MockDrive` — see one drive.
//!
//! # API structure
//! - [`MockDrive`]: the drive. Implements [`Transport`] by decoding raw CDB bytes
//!   (independently of the `mmc` crate); host-side actions (insert, eject, power loss) are
//!   methods.
//! - [`MediaKind`]: the twelve media it can hold, by CLI name (`cd-r` … `dvd-rom`).
//! - [`MockConfig`] and [`Quirks`]: identity, buffer size, polling counts, QEMU mode, quirks.
//! - [`Fault`] and [`FaultHandle`]: deterministic fault injection.
//! - [`DriveProfile`]: a recorded drive's answers (identity, features, mode pages, speeds,
//!   refusals) replayed on top of the medium model.
//! - [`MockState`]: a serializable snapshot for `spindle mock state` and assertions.
//!
//! # The directory
//! | file | content |
//! |---|---|
//! | `state.json` | everything but sector data, JSON with a `version` field (currently 2): config, tray, prevent states, the medium's state machine (tracks, sessions, format state), queued unit attentions and media events, a pending Immed operation, page 05, speeds, the buffer index and the fault plan. Rewritten in place after every command that changes it, with one `pwrite` padded with spaces, so it always holds one complete state. |
//! | `lock` | empty; every operation holds an exclusive `flock(2)` on it from loading the state to saving it. |
//! | `drive.lease` | the pid and command line of the process using the drive for a whole operation (`hal::open` holds an `flock(2)` on it; see [`crate::lease`]). |
//! | `media.img` | the medium's user data, byte offset = LBA × 2048, sparse. For ROM media a copy of the `--image` file (`std::fs::copy`, which reflinks where the filesystem can), so the original is never touched. Outside tools (`isoinfo`, `xorriso -indev`) can read it as an image. BLANK empties it; insert replaces it; eject leaves it for inspection. |
//! | `undo.bin` | for WRITE data acknowledged but not yet flushed, the bytes it replaced in `media.img` where those were not zeros, in arrival order in a ring of twice the buffer size; the index (LBA, blocks, undo offset, previous `media.img` length) is in `state.json`. Empty while streaming onto new media. |
//! | `transcript.log` | one line per command in [`format_exchange`] format, appended (unless `config.transcript` is off). |
//!
//! # Behaviour in brief
//! - Order of checks per command: fault plan, unknown opcode (05/20/00), the commands a
//!   replayed drive refused (with its recorded sense, [`DriveProfile`]), pending UNIT
//!   ATTENTION (INQUIRY, REQUEST SENSE, GET CONFIGURATION and GET EVENT STATUS NOTIFICATION
//!   are exempt), long operation in progress (02/04/04, 02/04/07, 02/04/08 with progress),
//!   no medium (02/3A/01 tray closed, 02/3A/02 tray open, 02/3A/00 with `qemu_compat`).
//! - Data-in replies return min(allocation length, available, buffer) bytes with internal
//!   length fields describing the full data; the residual is what did not move.
//! - Long operations with Immed take effect after `immed_polls` polls (count-based, no
//!   clock); without Immed at once. A power loss in between abandons them.
//! - WRITE data goes to the drive buffer and is flushed on SYNCHRONIZE CACHE, CLOSE
//!   TRACK/SESSION, FORMAT UNIT, eject, FUA, or when the buffer overflows (oldest first).
//!   READ sees buffered data. A power loss drops it and rolls the NWA back. The buffer is
//!   write-through to `media.img` with an undo record (so a streamed burn copies each byte
//!   once, not twice): a power loss puts back the bytes the lost writes replaced, newest
//!   first, and cuts `media.img` to its earlier length, so afterwards the file holds
//!   exactly the flushed data. Between a WRITE and its flush an outside reader of
//!   `media.img` sees the buffered data, as the drive's own READ does. If the process
//!   dies between writing `media.img` and saving `state.json`, the write counts as
//!   flushed; on write-once media the medium still holds it unrecorded (the NWA did not
//!   move), so the next WRITE covers it.
//! - Malformed requests (CDB shorter than its opcode needs, wrong data direction, data
//!   phase shorter than the transfer length, larger than `max_transfer`) are
//!   [`Error::InvalidRequest`], not sense data: they are host bugs a real transport would
//!   also reject.
//!
//! # Where it follows QEMU and where real drives
//! ROM answers match QEMU 7.2's `scsi-cd` as observed through Linux (INQUIRY layout, GET
//! CONFIGURATION header, READ CAPACITY, READ TOC formats 0 and 2, READ DISC INFORMATION,
//! READ past the end 05/21/00, WRITE 07/27/00), except where QEMU is not what drives do:
//! the GESN event descriptor length is total − 2 (QEMU: total − 4); GET CONFIGURATION
//! honours RT and the starting feature; READ TOC format 1 names the first track of the last
//! session; READ DISC STRUCTURE gives physical sector numbers; FORMAT UNIT on ROM fails
//! 07/27/00. [`MockConfig::qemu_compat`] restores QEMU's no-medium 02/3A/00, its
//! insert UA 06/3A/00, zeroed lead-in/lead-out addresses of complete discs and lead-out
//! control 6 in the TOC; [`MockConfig::qemu_like`] also takes its identity and short page 2Ah.
//!
//! # Not modelled
//! DVD-RAM, BD-ROM media, DVD-R DL, BD-R pseudo-overwrite and RRM, CD SAO/raw (no SEND CUE
//! SHEET), READ CD, READ CAPACITY(16), pregaps between tracks of one CD
//! session, lead-in/lead-out gaps between DVD and BD sessions, GESN events other than
//! NewMedia and EjectRequest (QEMU reports none for removal either), BLANK types other than
//! 000b/001b. Test Write records nothing and checks only the capacity.
//!
//! This deviates from the house style's `MockDrive { tray, media: Box<dyn Media>, … }`: the
//! fields live in `state.json` between commands, so the struct holds only the directory; the
//! per-medium state machines are in `media/`, one file per family, behind the `Media` trait.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

mod basic;
mod bytes;
mod config;
mod configuration;
mod disc;
mod engine;
mod fault;
mod kind;
mod media;
mod mode;
mod profile;
mod rw;
mod sense;
mod state;
mod store;

#[cfg(test)]
mod tests;

pub use config::{MockConfig, Quirks};
pub use fault::{Fault, FaultEffect, FaultHandle};
pub use kind::{MediaKind, ParseMediaKindError};
pub use profile::{DriveProfile, Refusal};
pub use store::{LEASE_FILE, STATE_FILE};

use engine::{Engine, Fail};
use media::Medium;
use state::{DriveState, BLOCK};
use store::{Store, MEDIA_FILE, TRANSCRIPT_FILE};

use crate::{format_exchange, Completion, DataPhase, Error, Request, Result, Transport};

/// An emulated MMC drive persisted in a directory. Cheap to clone: it is the directory's
/// path; every command locks the directory, loads the state, runs and saves.
///
/// ```
/// use hal::mock::{MediaKind, MockConfig, MockDrive};
/// use hal::Transport;
///
/// let dir = tempfile::tempdir().unwrap();
/// let mut drive = MockDrive::create(dir.path(), MockConfig::default()).unwrap();
/// drive.insert(MediaKind::DvdPlusR, true, None).unwrap();
/// // The insert queued UNIT ATTENTION 06/28/00 for the next command.
/// let c = drive.command(&[0x00, 0, 0, 0, 0, 0]).unwrap();
/// assert_eq!(c.sense.as_slice()[12], 0x28);
/// let (c, info) = drive.command_in(&[0x51, 0, 0, 0, 0, 0, 0, 0, 34, 0], 34).unwrap();
/// assert!(c.is_good());
/// assert_eq!(info[2] & 0x03, 0); // disc status: blank
/// ```
#[derive(Debug, Clone)]
pub struct MockDrive {
    store: Store,
    name: String,
    max_transfer: usize,
    /// With pacing: when the medium will have recorded everything written so far (this
    /// handle's view; a burn is one process).
    media_clock: std::sync::Arc<std::sync::Mutex<Option<std::time::Instant>>>,
}

/// What happened when the host-side eject button was pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum EjectOutcome {
    /// The medium was removed and the tray is open.
    Ejected,
    /// The drive is locked (PREVENT ALLOW MEDIUM REMOVAL); the medium stays and the host
    /// gets a GET EVENT STATUS NOTIFICATION EjectRequest event.
    RefusedLocked,
}

/// A snapshot of the drive for `spindle mock state` and test assertions.
#[derive(Debug, Clone, Serialize)]
pub struct MockState {
    /// The mock directory.
    pub dir: PathBuf,
    /// The tray is open.
    pub tray_open: bool,
    /// Non-persistent prevent (PREVENT ALLOW MEDIUM REMOVAL 01b).
    pub prevent: bool,
    /// Persistent prevent (11b).
    pub persistent_prevent: bool,
    /// The medium in the drive (possibly sitting in the open tray).
    pub medium: Option<MediumState>,
    /// Queued UNIT ATTENTION conditions, as `6/28/00`.
    pub unit_attentions: Vec<String>,
    /// Queued GESN media events: `eject-request`, `new-media`.
    pub media_events: Vec<String>,
    /// An Immed operation in progress: its name and the polls left.
    pub busy: Option<(String, u32)>,
    /// Bytes in the drive buffer not yet on the medium.
    pub buffer_fill: u64,
    /// The buffer size.
    pub buffer_capacity: u32,
    /// Page 05 write type (0 packet, 1 TAO, 2 SAO/DAO).
    pub write_type: u8,
    /// Page 05 multi-session field (00b finalize, 01b, 11b keep appendable).
    pub multi_session: u8,
    /// Page 05 Test Write.
    pub test_write: bool,
    /// Faults not yet fired (and sticky ones).
    pub faults: Vec<Fault>,
    /// Commands executed since the drive was created.
    pub commands: u64,
    /// The write speed the host chose (SET STREAMING / SET CD SPEED), kB/s; `None` for the
    /// drive's own (fastest). Loading a medium resets it.
    pub write_speed_kbs: Option<u32>,
    /// The recorded drive it replays (`spindle mock new --profile`), as vendor, product and
    /// revision; `None` for the mock's own answers.
    pub profile: Option<String>,
}

/// The medium part of [`MockState`].
#[derive(Debug, Clone, Serialize)]
pub struct MediumState {
    /// Current kind (a formatted DVD-RW shows as `dvd-rw-ro`).
    pub kind: MediaKind,
    /// Current profile, e.g. `001Bh`.
    pub profile: String,
    /// The medium sits in the open tray (not readable until the tray closes).
    pub in_open_tray: bool,
    /// `blank`, `appendable` or `complete`.
    pub disc_status: String,
    /// `empty`, `incomplete` or `complete`.
    pub last_session: String,
    /// Sessions, counting an open last session.
    pub sessions: u16,
    /// Capacity in blocks (formatted size for overwritable media).
    pub capacity: u32,
    /// Next writable address of the invisible (or last writable) track.
    pub nwa: Option<u32>,
    /// Free blocks from that NWA.
    pub free_blocks: u32,
    /// What READ CAPACITY reports.
    pub last_lba: u32,
    /// Format state of formattable media.
    pub format: Option<String>,
    /// Every track.
    pub tracks: Vec<TrackState>,
}

/// One track in [`MediumState`].
#[derive(Debug, Clone, Serialize)]
pub struct TrackState {
    /// Track number.
    pub number: u16,
    /// Session number.
    pub session: u16,
    /// Start LBA.
    pub start: u32,
    /// Size in blocks.
    pub size: u32,
    /// Next writable address, when writable.
    pub nwa: Option<u32>,
    /// Free blocks.
    pub free: u32,
    /// Last recorded LBA.
    pub last_recorded: Option<u32>,
    /// `invisible`, `incomplete`, `reserved`, `closed` or `blank`.
    pub state: String,
}

/// Turns an engine failure during a host-side action into an error.
fn host_error(f: Fail) -> Error {
    match f {
        Fail::Transport(e) => e,
        Fail::Sense(s) => Error::InvalidRequest(format!("mock drive refused: {}", s.code())),
    }
}

impl MockDrive {
    /// Creates a drive in `dir` (created if missing) with the tray closed and no medium,
    /// replacing any mock drive state and data already there.
    ///
    /// # Errors
    /// The directory or its files cannot be created or written.
    pub fn create(dir: impl AsRef<Path>, config: MockConfig) -> Result<MockDrive> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("cannot create mock directory {}", dir.display()), e))?;
        let store = Store::new(dir);
        let _lock = store.lock()?;
        store.remove_data()?;
        store.truncate(MEDIA_FILE)?;
        let max_transfer = config.max_transfer;
        store.save(&DriveState::new(config))?;
        Ok(MockDrive {
            name: format!("mock:{}", dir.display()),
            store,
            max_transfer,
            media_clock: Default::default(),
        })
    }

    /// Opens the drive in `dir`.
    ///
    /// # Errors
    /// [`Error::Open`] with [`crate::ErrorKind::NotFound`] when `dir` does not exist or holds no
    /// mock drive; [`Error::CorruptMock`] when its state is unreadable, of another version,
    /// or inconsistent with its data files.
    pub fn open(dir: impl AsRef<Path>) -> Result<MockDrive> {
        let dir = dir.as_ref();
        let store = Store::new(dir);
        store.check_exists()?;
        let st = {
            let _lock = store.lock()?;
            store.load()?
        };
        Ok(MockDrive {
            name: format!("mock:{}", dir.display()),
            store,
            max_transfer: st.config.max_transfer,
            media_clock: Default::default(),
        })
    }

    /// The mock directory.
    pub fn dir(&self) -> &Path {
        &self.store.dir
    }

    /// `DIR/media.img`, the medium's sectors (LBA × 2048).
    pub fn media_path(&self) -> PathBuf {
        self.store.path(MEDIA_FILE)
    }

    /// `DIR/transcript.log`.
    pub fn transcript_path(&self) -> PathBuf {
        self.store.path(TRANSCRIPT_FILE)
    }

    /// The transcript so far (empty if none was written).
    ///
    /// # Errors
    /// The file exists but cannot be read.
    pub fn transcript(&self) -> Result<String> {
        match std::fs::read_to_string(self.transcript_path()) {
            Ok(s) => Ok(s),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
            Err(e) => Err(Error::io("cannot read the mock transcript", e)),
        }
    }

    /// The stored configuration.
    ///
    /// # Errors
    /// The state cannot be locked or read.
    pub fn config(&self) -> Result<MockConfig> {
        self.store.read(|st| st.config.clone())
    }

    /// Replaces the configuration (quirks, polling counts, identity …) from the next
    /// command on.
    ///
    /// # Errors
    /// The state cannot be locked, read or written.
    pub fn set_config(&mut self, config: MockConfig) -> Result<()> {
        self.max_transfer = config.max_transfer;
        self.store.update(|st| st.config = config)
    }

    /// Runs a host-side action on the loaded state under the lock.
    fn host<R>(&mut self, f: impl FnOnce(&mut Engine<'_>) -> Result<R>) -> Result<R> {
        self.store.check_exists()?;
        let _lock = self.store.lock()?;
        let mut st = self.store.load()?;
        let r = f(&mut Engine {
            st: &mut st,
            store: &self.store,
            device: &self.name,
        });
        self.store.save(&st)?;
        r
    }

    /// Puts a medium in the drive and closes the tray, as an operator would: queues UNIT
    /// ATTENTION 06/28/00 (preceded by 06/3A/00 with `qemu_compat`) and a NewMedia event.
    /// Writable media start blank; `blank = false` inserts overwritable media (DVD+RW,
    /// BD-RE) already formatted, and is ignored for the others. ROM kinds need `image`,
    /// whose size / 2048 (rounded down) gives the capacity; it is copied to `media.img`. A
    /// medium already in the drive is replaced (its unsynced buffer data is lost).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a ROM kind without image, an image for a writable kind,
    /// an image smaller than one block, or a locked drive with the tray closed (the operator
    /// cannot open it; an EjectRequest event is queued as when the button is pressed);
    /// [`Error::Io`] when the image cannot be copied; state errors as for [`MockDrive::open`].
    pub fn insert(&mut self, kind: MediaKind, blank: bool, image: Option<&Path>) -> Result<()> {
        let rom_blocks = match (kind.is_rom(), image) {
            (true, Some(path)) => {
                let len = std::fs::metadata(path)
                    .map_err(|e| Error::io(format!("cannot read image {}", path.display()), e))?
                    .len();
                let blocks = u32::try_from(len / BLOCK as u64).unwrap_or(u32::MAX);
                if blocks == 0 {
                    return Err(Error::InvalidRequest(format!(
                        "image {} is smaller than one 2048-byte block",
                        path.display()
                    )));
                }
                blocks
            }
            (true, None) => {
                return Err(Error::InvalidRequest(format!("{kind} needs an image file")))
            }
            (false, Some(_)) => {
                return Err(Error::InvalidRequest(format!(
                    "{kind} starts blank; only cd-rom and dvd-rom are loaded from an image"
                )))
            }
            (false, None) => 0,
        };
        self.host(|e| {
            if e.st.locked() && !e.st.tray_open {
                e.st.media_events.push_back(basic::EVENT_EJECT_REQUEST);
                return Err(Error::InvalidRequest(
                    "the drive is locked by PREVENT ALLOW MEDIUM REMOVAL; the host must allow removal first".into(),
                ));
            }
            e.finish_pending().map_err(host_error)?;
            e.drop_buffer(false)?;
            match image {
                Some(path) if kind.is_rom() => {
                    e.store.install_image(path)?;
                }
                _ => e.store.truncate(MEDIA_FILE)?,
            }
            e.st.medium = Some(Medium::new(kind, !blank, rom_blocks));
            e.st.tray_open = false;
            e.reset_write_settings();
            if e.st.config.qemu_compat {
                e.st.unit_attentions.push_back(sense::UA_MEDIUM_NOT_PRESENT);
            }
            e.st.unit_attentions.push_back(sense::UA_MEDIUM_MAY_HAVE_CHANGED);
            e.st.media_events.push_back(basic::EVENT_NEW_MEDIA);
            e.spin_up();
            Ok(())
        })
    }

    /// Presses the eject button. While the host holds a prevent (either kind) the drive
    /// refuses and queues an EjectRequest event; otherwise a running Immed operation is
    /// finished, the buffer flushed, the medium taken out, the tray left open, and UNIT
    /// ATTENTION 06/3A/00 queued if a medium was loaded. `media.img` stays for inspection.
    ///
    /// # Errors
    /// State or file errors.
    pub fn eject(&mut self) -> Result<EjectOutcome> {
        self.host(|e| {
            if e.st.locked() {
                e.st.media_events.push_back(basic::EVENT_EJECT_REQUEST);
                return Ok(EjectOutcome::RefusedLocked);
            }
            e.finish_pending().map_err(host_error)?;
            e.flush_all()?;
            let was_loaded = e.st.loaded().is_some();
            e.st.medium = None;
            e.st.tray_open = true;
            if was_loaded {
                e.st.unit_attentions.push_back(sense::UA_MEDIUM_NOT_PRESENT);
            }
            Ok(EjectOutcome::Ejected)
        })
    }

    /// Ejects even when locked (like QEMU's `eject -f`): clears both prevent states first.
    ///
    /// # Errors
    /// State or file errors.
    pub fn force_eject(&mut self) -> Result<()> {
        self.host(|e| {
            e.st.prevent = false;
            e.st.persistent_prevent = false;
            Ok(())
        })?;
        self.eject().map(drop)
    }

    /// Pushes the tray in from outside. If a medium sits in it, it is loaded: NewMedia event
    /// and UNIT ATTENTION 06/28/00.
    ///
    /// # Errors
    /// State errors.
    pub fn close_tray(&mut self) -> Result<()> {
        self.host(|e| {
            if e.st.tray_open {
                e.st.tray_open = false;
                if e.st.medium.is_some() {
                    e.st.unit_attentions
                        .push_back(sense::UA_MEDIUM_MAY_HAVE_CHANGED);
                    e.st.media_events.push_back(basic::EVENT_NEW_MEDIA);
                    e.spin_up();
                }
            }
            Ok(())
        })
    }

    /// Cuts the power: buffered writes are lost, a running Immed operation is abandoned, the
    /// prevent states are cleared and UNIT ATTENTION 06/29/00 is queued.
    ///
    /// # Errors
    /// State or file errors.
    pub fn power_loss(&mut self) -> Result<()> {
        self.host(|e| e.power_loss())
    }

    /// A handle to the fault plan that stays valid wherever this drive is moved.
    pub fn faults(&self) -> FaultHandle {
        FaultHandle {
            store: self.store.clone(),
        }
    }

    /// Adds a fault (see [`FaultHandle::add`]).
    ///
    /// # Errors
    /// State errors.
    pub fn add_fault(&self, fault: Fault) -> Result<()> {
        self.faults().add(fault)
    }

    /// Removes all pending faults.
    ///
    /// # Errors
    /// State errors.
    pub fn clear_faults(&self) -> Result<()> {
        self.faults().clear()
    }

    /// A snapshot of the drive.
    ///
    /// # Errors
    /// State errors.
    pub fn state(&self) -> Result<MockState> {
        let dir = self.store.dir.clone();
        self.store.read(|st| {
            let wp = mode::write_params(&st.page05, st.page05_selected);
            MockState {
                dir,
                tray_open: st.tray_open,
                prevent: st.prevent,
                persistent_prevent: st.persistent_prevent,
                medium: st
                    .medium
                    .as_ref()
                    .map(|m| medium_state(m.get(), st.tray_open)),
                unit_attentions: st
                    .unit_attentions
                    .iter()
                    .map(|&(a, q)| sense::Sense::new(6, a, q).code())
                    .collect(),
                media_events: st
                    .media_events
                    .iter()
                    .map(|&e| match e {
                        basic::EVENT_EJECT_REQUEST => "eject-request".to_string(),
                        basic::EVENT_NEW_MEDIA => "new-media".to_string(),
                        other => format!("event-{other}"),
                    })
                    .collect(),
                busy: st
                    .pending
                    .as_ref()
                    .map(|p| (p.action.name().to_string(), p.remaining)),
                buffer_fill: st.buffer.fill(),
                buffer_capacity: st.config.buffer_bytes,
                write_type: wp.write_type,
                multi_session: wp.multi_session,
                test_write: wp.test_write,
                faults: st.faults.iter().map(|f| f.fault).collect(),
                commands: st.commands,
                write_speed_kbs: st.write_speed_kbs,
                profile: st.config.profile.as_ref().map(|p| p.source.clone()),
            }
        })
    }

    /// Runs a command without data phase (convenience for tests and scripts).
    ///
    /// # Errors
    /// As [`Transport::execute`].
    pub fn command(&mut self, cdb: &[u8]) -> Result<Completion> {
        self.execute(Request {
            cdb,
            data: DataPhase::None,
            timeout: Duration::from_secs(30),
        })
    }

    /// Runs a data-in command with a `len`-byte buffer; returns the bytes that moved.
    ///
    /// # Errors
    /// As [`Transport::execute`].
    pub fn command_in(&mut self, cdb: &[u8], len: usize) -> Result<(Completion, Vec<u8>)> {
        let mut buf = vec![0u8; len];
        let c = self.execute(Request {
            cdb,
            data: DataPhase::In(&mut buf),
            timeout: Duration::from_secs(30),
        })?;
        buf.truncate(len.saturating_sub(c.residual));
        Ok((c, buf))
    }

    /// Runs a data-out command.
    ///
    /// # Errors
    /// As [`Transport::execute`].
    pub fn command_out(&mut self, cdb: &[u8], data: &[u8]) -> Result<Completion> {
        self.execute(Request {
            cdb,
            data: DataPhase::Out(data),
            timeout: Duration::from_secs(30),
        })
    }
}

fn medium_state(m: &dyn media::Media, tray_open: bool) -> MediumState {
    let s = m.summary();
    let tracks = m.tracks();
    let writable = tracks.iter().rev().find(|t| t.nwa.is_some());
    MediumState {
        kind: m.kind(),
        profile: format!("{:04X}h", m.kind().profile()),
        in_open_tray: tray_open,
        disc_status: s.status.name().to_string(),
        last_session: s.last_session.name().to_string(),
        sessions: s.sessions,
        capacity: m.capacity(),
        nwa: writable.and_then(|t| t.nwa),
        free_blocks: writable.map_or(0, |t| t.free),
        last_lba: m.last_lba(),
        format: m.format_state(),
        tracks: tracks
            .iter()
            .map(|t| TrackState {
                number: t.number,
                session: t.session,
                start: t.start,
                size: t.size,
                nwa: t.nwa,
                free: t.free,
                last_recorded: t.last_recorded,
                state: if t.closed {
                    "closed"
                } else if t.reserved {
                    "reserved"
                } else if t.invisible && t.blank {
                    "invisible"
                } else if t.invisible {
                    "incomplete"
                } else {
                    "blank"
                }
                .to_string(),
            })
            .collect(),
    }
}

impl MockDrive {
    /// Paces a command as a drive with a write buffer does: WRITE data goes to the buffer
    /// and the medium records it at `kbs`, so a WRITE returns at once while the buffer has
    /// room and the host's own work overlaps the recording; SYNCHRONIZE CACHE returns when
    /// the medium has caught up; a READ takes its data's time at the medium's rate.
    fn pace(&self, kbs: u32, opcode: u8, write: bool, moved: u64, buffer_bytes: u32) {
        const SYNCHRONIZE_CACHE: u8 = 0x35;
        let rate = f64::from(kbs.max(1)) * 1000.0;
        let now = std::time::Instant::now();
        let mut clock = self
            .media_clock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let recorded = clock.map_or(now, |c| c.max(now));
        let wait_until = if write && moved > 0 {
            let done = recorded + Duration::from_secs_f64(moved as f64 / rate);
            *clock = Some(done);
            // The host may run ahead of the medium by one buffer's worth.
            done.checked_sub(Duration::from_secs_f64(f64::from(buffer_bytes) / rate))
        } else if opcode == SYNCHRONIZE_CACHE {
            Some(recorded)
        } else if moved > 0 {
            let done = recorded + Duration::from_secs_f64(moved as f64 / rate);
            *clock = Some(done);
            Some(done)
        } else {
            None
        };
        drop(clock);
        if let Some(t) = wait_until {
            let now = std::time::Instant::now();
            if t > now {
                std::thread::sleep(t - now);
            }
        }
    }
}

impl Transport for MockDrive {
    fn execute(&mut self, req: Request<'_>) -> Result<Completion> {
        let Request {
            cdb,
            mut data,
            timeout,
        } = req;
        if cdb.is_empty() || cdb.len() > 16 {
            return Err(Error::InvalidRequest(format!(
                "CDB length {} (must be 1 to 16)",
                cdb.len()
            )));
        }
        if data.len() > self.max_transfer {
            return Err(Error::InvalidRequest(format!(
                "{}: data phase of {} bytes exceeds the maximum transfer of {} bytes",
                self.name,
                data.len(),
                self.max_transfer
            )));
        }
        let direction = data.direction();
        let requested = data.len();
        let lock = self.store.lock()?;
        let mut st = self.store.load()?;
        let exec = Engine {
            st: &mut st,
            store: &self.store,
            device: &self.name,
        }
        .execute(cdb, &mut data, timeout);
        self.store.save(&st)?;
        let line = format_exchange(cdb, direction, requested, &exec.outcome);
        // mmc::Drive logs every exchange at debug already (and a real drive has only that
        // line); the mock's own copy is for tracing the mock alone.
        log::trace!("{}: {line}", self.name);
        if st.config.transcript {
            // A failed transcript write must not turn the exchange into a failure.
            if let Err(e) = self.store.append_transcript(&line) {
                log::warn!("{}: {e}", self.name);
            }
        }
        drop(lock);
        if let Some(kbs) = st.config.pace_kbs {
            // Outside the lock: a paced drive is slow, not blocking other processes.
            self.pace(
                kbs,
                cdb.first().copied().unwrap_or(0),
                direction == "out",
                exec.moved,
                st.config.buffer_bytes,
            );
        }
        exec.outcome
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn max_transfer(&self) -> usize {
        self.max_transfer
    }
}
