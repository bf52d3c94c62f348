//! [`Drive::probe`]: the drive and medium survey of `docs/mmc-notes.md` §3.0-3.1, as a serializable
//! [`ProbeReport`] whose JSON field names are a documented interface of the CLI.

use std::error::Error as _;
use std::time::Duration;

use hal::Transport;
use log::{info, warn};
use serde::Serialize;

use crate::command::{
    BgFormatStatus, Configuration, DescriptorType, DiscInformation, DiscStatus, FormatCapacities,
    FormatType, GetConfiguration, GetEventStatusNotification, GetWriteSpeeds, Inquiry, ModeSense10,
    ReadCapacity, ReadDiscInformation, ReadFormatCapacities, ReadSessionInfo, ReadToc,
    ReadTrackInformation, SessionState, TrackInformation,
};
use crate::profile::{MediaClass, Profile};
use crate::sense::Sense;
use crate::{Drive, Error, Result};

/// How long the probe waits for a loaded medium to become ready.
const READY_BUDGET: Duration = Duration::from_secs(30);
/// Upper bound on READ TRACK INFORMATION calls (garbage track counts must not loop for long).
const MAX_TRACKS: u32 = 512;
/// Bytes per block in every capacity figure.
const BLOCK_SIZE: u32 = 2048;
/// Features reported in [`ProbeReport::features`]: the ones that matter for writing.
const WRITE_FEATURES: [u16; 23] = [
    0x0020, 0x0021, 0x0023, 0x0024, 0x0025, 0x0026, 0x0027, 0x0028, 0x002A, 0x002B, 0x002C, 0x002D,
    0x002E, 0x002F, 0x0033, 0x0035, 0x0037, 0x0038, 0x003A, 0x003B, 0x0040, 0x0041, 0x0107,
];

/// Everything the probe learned. Field names are the CLI's JSON schema: do not rename.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeReport {
    /// The device name (`/dev/sr0`, `mock:DIR`).
    pub device: String,
    /// INQUIRY vendor, trimmed.
    pub vendor: String,
    /// INQUIRY product, trimmed.
    pub product: String,
    /// INQUIRY revision, trimmed.
    pub revision: String,
    /// INQUIRY peripheral device type (5).
    pub peripheral_type: u8,
    /// The Profile List (GET CONFIGURATION feature 0000h).
    pub profiles: Vec<ProfileInfo>,
    /// The current profile; `None` without a (ready) medium.
    pub current_profile: Option<ProfileInfo>,
    /// Tray, medium presence and lock.
    pub tray: TrayInfo,
    /// The medium, when one is present and readable.
    pub medium: Option<MediumInfo>,
    /// Write speeds for the mounted medium, fastest first.
    pub write_speeds: Vec<Speed>,
    /// Page 2Ah maximum read speed, kB/s.
    pub max_read_speed_kbps: Option<u32>,
    /// Page 2Ah buffer size, KiB.
    pub buffer_size_kib: Option<u32>,
    /// Writing-related features (see the list in `WRITE_FEATURES`).
    pub features: Vec<FeatureInfo>,
    /// Non-fatal problems met while probing.
    pub warnings: Vec<String>,
}

/// A profile and whether it is the current one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileInfo {
    /// Profile number.
    pub code: u16,
    /// Profile name ("DVD+RW").
    pub name: String,
    /// CurrentP.
    pub current: bool,
}

/// Tray and lock state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrayInfo {
    /// Tray open (GESN media status, or TEST UNIT READY 3A/01 vs 3A/02); `None` if unknown.
    pub open: Option<bool>,
    /// A medium is present.
    pub medium_present: bool,
    /// The medium is locked in (page 2Ah Lock State); `None` if unknown.
    pub locked: Option<bool>,
    /// Where `locked` came from: "mode-page-2a" or "unknown".
    pub lock_source: String,
}

/// The mounted medium.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MediumInfo {
    /// "blank", "appendable", "complete" or "other".
    pub disc_status: String,
    /// "empty", "incomplete", "damaged" or "complete".
    pub last_session_state: String,
    /// The medium can be blanked.
    pub erasable: bool,
    /// Overwritable media: "unformatted", "formatting", "suspended" or "formatted".
    pub formatted: Option<String>,
    /// Number of sessions (including an empty or incomplete last one).
    pub sessions: u32,
    /// First track number on the disc.
    pub first_track: u32,
    /// Last track in the last session.
    pub last_track: u32,
    /// Every track.
    pub tracks: Vec<TrackInfo>,
    /// Where the next write must start (sequential media that are blank or appendable).
    pub next_writable_address: Option<u32>,
    /// Start of the first track of the last complete session (ISO multisession "-C a,…").
    pub last_session_start_lba: Option<u32>,
    /// Capacity figures.
    pub capacity: Capacity,
}

/// One track.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrackInfo {
    /// Track number.
    pub number: u32,
    /// Session number.
    pub session: u32,
    /// Track start address.
    pub start_lba: u32,
    /// Track size in blocks.
    pub size_blocks: u32,
    /// "data" or "audio".
    pub mode: String,
    /// The track is blank (an empty invisible track).
    pub blank: bool,
    /// The track is open: partially written, or damaged.
    pub incomplete: bool,
    /// Next writable address, when the track can be written.
    pub next_writable_address: Option<u32>,
    /// Free blocks (READ TRACK INFORMATION only).
    pub free_blocks: Option<u32>,
    /// Last recorded address, when the drive reports it.
    pub last_recorded_address: Option<u32>,
}

/// Capacity in 2048-byte blocks and bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capacity {
    /// Always 2048.
    pub block_size: u32,
    /// Total blocks.
    pub total_blocks: u64,
    /// Recorded blocks (0 for overwritable media, where MMC cannot tell; read the
    /// filesystem).
    pub used_blocks: u64,
    /// Writable blocks left.
    pub free_blocks: u64,
    /// `total_blocks × block_size`.
    pub total_bytes: u64,
    /// `used_blocks × block_size`.
    pub used_bytes: u64,
    /// `free_blocks × block_size`.
    pub free_bytes: u64,
}

impl Capacity {
    fn new(total: u64, used: u64, free: u64) -> Self {
        let b = u64::from(BLOCK_SIZE);
        Capacity {
            block_size: BLOCK_SIZE,
            total_blocks: total,
            used_blocks: used,
            free_blocks: free,
            total_bytes: total.saturating_mul(b),
            used_bytes: used.saturating_mul(b),
            free_bytes: free.saturating_mul(b),
        }
    }
}

/// A write speed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Speed {
    /// kB/s (1000 bytes per second).
    pub kbytes_per_sec: u32,
    /// Relative to 1x of the current media class (CD 176.4, DVD 1385, BD 4495.5 kB/s),
    /// rounded to 0.1.
    pub multiplier: f64,
}

/// A feature and whether it is current.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeatureInfo {
    /// Feature code.
    pub code: u16,
    /// Feature name.
    pub name: String,
    /// Current bit.
    pub current: bool,
}

/// Error text with its source chain, for warnings.
fn describe(e: &Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(cause) = src {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        src = cause.source();
    }
    s
}

/// Keeps going after a drive-level refusal (CHECK CONDITION, odd status, unparsable reply),
/// recording it as a warning; stops on transport failures and timeouts, after which the drive
/// cannot be trusted.
fn soft<R>(warnings: &mut Vec<String>, r: Result<R>) -> Result<Option<R>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e @ (Error::Transport(_) | Error::Timeout { .. })) => Err(e),
        Err(e) => {
            let text = describe(&e);
            warn!("probe: {text}");
            warnings.push(text);
            Ok(None)
        }
    }
}

fn profile_info(profile: Profile, current: bool) -> ProfileInfo {
    ProfileInfo {
        code: profile.0,
        name: profile.name().to_owned(),
        current,
    }
}

/// CD, DVD+R and DVD+R DL answer READ TRACK INFORMATION for the invisible track as FFh
/// (`docs/mmc-notes.md` §2.2.7).
fn asks_invisible_track(p: Profile) -> bool {
    matches!(
        p,
        Profile::CD_R | Profile::CD_RW | Profile::DVD_PLUS_R | Profile::DVD_PLUS_R_DL
    )
}

fn track_from_rti(t: &TrackInformation, overwritable: bool) -> TrackInfo {
    let nwa = t.next_writable_address.map(|nwa| {
        // Some drives report NWA −150 on blank CD-R: use the track start (libburn).
        if t.blank && (nwa as i32) < (t.track_start as i32) {
            t.track_start
        } else {
            nwa
        }
    });
    TrackInfo {
        number: u32::from(t.track_number),
        session: u32::from(t.session_number),
        start_lba: t.track_start,
        size_blocks: t.track_size,
        mode: if t.is_data() { "data" } else { "audio" }.to_owned(),
        blank: t.blank,
        incomplete: !overwritable && ((nwa.is_some() && !t.blank) || t.damage),
        next_writable_address: nwa,
        free_blocks: Some(t.free_blocks),
        last_recorded_address: t.last_recorded_address,
    }
}

/// The blocks of a READ FORMAT CAPACITIES figure in 2048-byte units.
fn in_blocks(blocks: u32, block_length: u32) -> u64 {
    if block_length == 0 || block_length == BLOCK_SIZE {
        u64::from(blocks)
    } else {
        u64::from(blocks) * u64::from(block_length) / u64::from(BLOCK_SIZE)
    }
}

impl<T: Transport> Drive<T> {
    /// Surveys the drive and its medium (`docs/mmc-notes.md` §3.0): INQUIRY (refusing non-MMC
    /// devices), GET CONFIGURATION, GET EVENT STATUS NOTIFICATION for tray and medium (TEST
    /// UNIT READY as fallback and to wait for a spinning-up medium), MODE SENSE page 2Ah
    /// (lock state, speeds, buffer), GET PERFORMANCE type 03h (write speeds, falling back to
    /// page 2Ah descriptors), and with a medium: READ DISC INFORMATION, READ TRACK
    /// INFORMATION per track (READ TOC + READ CAPACITY on ROM media and drives without it),
    /// READ FORMAT CAPACITIES on overwritable media, READ CAPACITY. Capacity follows §3.1.
    ///
    /// Only INQUIRY failures, transport failures and timeouts abort the probe; anything else
    /// becomes a [`ProbeReport::warnings`] entry. Without a medium the report has
    /// `medium: None`.
    ///
    /// # Errors
    /// [`Error::NotMmc`] for a peripheral type other than 5, [`Error::Transport`],
    /// [`Error::Timeout`], and INQUIRY's own errors.
    pub fn probe(&mut self) -> Result<ProbeReport> {
        info!("probing {}", self.name());
        let mut warnings = Vec::new();
        let inquiry = self.run(&Inquiry::default())?;
        if !inquiry.is_mmc() {
            return Err(Error::NotMmc {
                peripheral_type: inquiry.peripheral_device_type,
            });
        }

        let mut config_ok = soft(&mut warnings, self.read_configuration())?;

        let mut tray = TrayInfo {
            open: None,
            medium_present: false,
            locked: None,
            lock_source: "unknown".to_owned(),
        };
        let media = soft(
            &mut warnings,
            self.run(&GetEventStatusNotification::media()),
        )?
        .and_then(|e| e.media);
        if let Some(m) = media {
            tray.open = Some(m.door_open);
            tray.medium_present = m.media_present;
        }
        let mut readable = false;
        if media.is_none_or(|m| m.media_present) {
            match self.wait_ready(READY_BUDGET, |_| {}) {
                Ok(()) => {
                    tray.medium_present = true;
                    readable = true;
                }
                Err(e) if e.is_no_medium() => {
                    tray.medium_present = false;
                    if tray.open.is_none() {
                        tray.open = e.sense().and_then(Sense::tray_open);
                    }
                }
                Err(e) => {
                    // Present but unusable (incompatible medium, needs START UNIT, ...).
                    soft::<()>(&mut warnings, Err(e))?;
                }
            }
        }
        // A medium that was still spinning up had no current profile yet.
        if readable
            && config_ok
                .as_ref()
                .is_some_and(|c| c.current_profile == Profile::NONE)
        {
            if let Some(c) = soft(&mut warnings, self.read_configuration())? {
                config_ok = Some(c);
            }
        }

        let caps = soft(&mut warnings, self.run(&ModeSense10::capabilities()))?.and_then(|m| {
            soft(
                &mut warnings,
                m.capabilities().map_err(|source| Error::Parse {
                    command: "MODE SENSE(10)",
                    source,
                }),
            )
            .ok()
            .flatten()
        });
        if let Some(c) = &caps {
            tray.locked = Some(c.lock_state);
            tray.lock_source = "mode-page-2a".to_owned();
        }

        let current = config_ok
            .as_ref()
            .map(|c| c.current_profile)
            .filter(|p| *p != Profile::NONE);
        let mut write_kbps: Vec<u32> = Vec::new();
        if readable {
            if let Some(v) = soft(&mut warnings, self.write_speeds())? {
                write_kbps = v;
            }
        }
        if write_kbps.is_empty() {
            if let Some(c) = &caps {
                write_kbps = c
                    .write_speeds
                    .iter()
                    .map(|w| u32::from(w.kbytes_per_sec))
                    .collect();
            }
        }
        let write_speeds = speeds(write_kbps, current.map_or(MediaClass::Cd, Profile::class));

        let medium = if readable {
            self.probe_medium(current.unwrap_or(Profile::NONE), &mut warnings)?
        } else {
            None
        };

        let (profiles, features) = match &config_ok {
            Some(c) => (
                c.profiles()
                    .iter()
                    .map(|p| profile_info(p.profile, p.current))
                    .collect(),
                c.features
                    .iter()
                    .filter(|f| WRITE_FEATURES.contains(&f.code.0))
                    .map(|f| FeatureInfo {
                        code: f.code.0,
                        name: f.code.name().to_owned(),
                        current: f.current,
                    })
                    .collect(),
            ),
            None => (Vec::new(), Vec::new()),
        };
        Ok(ProbeReport {
            device: self.name().to_owned(),
            vendor: inquiry.vendor,
            product: inquiry.product,
            revision: inquiry.revision,
            peripheral_type: inquiry.peripheral_device_type,
            profiles,
            current_profile: current.map(|p| profile_info(p, true)),
            tray,
            medium,
            write_speeds,
            max_read_speed_kbps: caps
                .as_ref()
                .map(|c| u32::from(c.max_read_speed))
                .filter(|&s| s > 0),
            buffer_size_kib: caps
                .as_ref()
                .map(|c| u32::from(c.buffer_size_kib))
                .filter(|&s| s > 0),
            features,
            warnings,
        })
    }

    /// GET CONFIGURATION in two passes: the header for the length, then everything.
    fn read_configuration(&mut self) -> Result<Configuration> {
        let header = self.run(&GetConfiguration::header())?;
        let len = header.full_length();
        if len <= 8 {
            return Ok(header);
        }
        self.run(&GetConfiguration::all().allocation_length(len))
    }

    /// GET PERFORMANCE type 03h in two passes: one descriptor to learn the count, then all.
    fn write_speeds(&mut self) -> Result<Vec<u32>> {
        let first = self.run(&GetWriteSpeeds { max_descriptors: 1 })?;
        let n = u16::try_from(first.available().min(64)).unwrap_or(64);
        let all = if n > 1 {
            self.run(&GetWriteSpeeds { max_descriptors: n })?
        } else {
            first
        };
        Ok(all.descriptors.iter().map(|d| d.write_speed).collect())
    }

    fn probe_medium(
        &mut self,
        profile: Profile,
        warnings: &mut Vec<String>,
    ) -> Result<Option<MediumInfo>> {
        let disc = match self.run(&ReadDiscInformation::default()) {
            Err(e) if e.is_no_medium() => return Ok(None),
            r => soft(warnings, r)?,
        };
        let overwritable = profile.is_overwritable();

        // Tracks: READ TRACK INFORMATION where the drive and medium support it.
        let mut tracks: Vec<TrackInfo> = Vec::new();
        let mut use_toc = profile.is_rom() || disc.is_none();
        if let Some(d) = disc.as_ref().filter(|_| !use_toc) {
            let first = u32::from(d.first_track);
            let last = u32::from(d.last_track_in_last_session).min(first + MAX_TRACKS);
            let open = matches!(d.disc_status, DiscStatus::Blank | DiscStatus::Appendable);
            for n in first..=last {
                let ask = if n == last && open && asks_invisible_track(profile) {
                    ReadTrackInformation::invisible()
                } else {
                    ReadTrackInformation::track(n)
                };
                match self.run(&ask) {
                    Ok(t) => tracks.push(track_from_rti(&t, overwritable)),
                    Err(e) if e.is_invalid_opcode() && tracks.is_empty() => {
                        warnings.push(format!("{}; track list built from READ TOC", describe(&e)));
                        use_toc = true;
                        break;
                    }
                    Err(e) => {
                        soft::<()>(warnings, Err(e))?;
                    }
                }
            }
        }

        let formats = if overwritable {
            soft(warnings, self.run(&ReadFormatCapacities::default()))?
        } else {
            None
        };
        // Blank sequential media often fail READ CAPACITY; that is expected, not a warning.
        let blank = disc
            .as_ref()
            .is_some_and(|d| d.disc_status == DiscStatus::Blank);
        let capacity = match self.run(&ReadCapacity) {
            Ok(c) => Some(c),
            Err(_) if blank => None,
            r => soft(warnings, r)?,
        };

        if use_toc {
            tracks = self.tracks_from_toc(disc.as_ref(), capacity.map(|c| c.blocks()), warnings)?;
        }

        let (disc_status, session_state) = match &disc {
            Some(d) => (d.disc_status, d.last_session_state),
            None => {
                warnings.push("disc status assumed complete (no READ DISC INFORMATION)".into());
                (DiscStatus::Complete, SessionState::Complete)
            }
        };
        let sessions = disc.as_ref().map_or(1, |d| u32::from(d.sessions));
        let first_track = disc
            .as_ref()
            .map(|d| u32::from(d.first_track))
            .or_else(|| tracks.first().map(|t| t.number))
            .unwrap_or(1);
        let last_track = disc
            .as_ref()
            .map(|d| u32::from(d.last_track_in_last_session))
            .or_else(|| tracks.last().map(|t| t.number))
            .unwrap_or(first_track);

        // The track the next write goes to: the last one with a next writable address.
        let writable = tracks
            .iter()
            .rev()
            .find(|t| t.next_writable_address.is_some())
            .filter(|_| !overwritable && disc_status != DiscStatus::Complete);
        let track_end = tracks
            .iter()
            .map(|t| u64::from(t.start_lba) + u64::from(t.size_blocks))
            .max();
        let read_capacity = capacity.map(|c| c.blocks());

        let capacity = if overwritable {
            let total = formats
                .as_ref()
                .and_then(|f| overwritable_blocks(profile, f))
                .or(read_capacity)
                .unwrap_or(0);
            Capacity::new(total, 0, total)
        } else if let Some(w) = writable {
            let nwa = u64::from(w.next_writable_address.unwrap_or(0));
            let free = u64::from(w.free_blocks.unwrap_or(0));
            Capacity::new(nwa + free, nwa, free)
        } else {
            let total = if profile.is_rom() {
                read_capacity.or(track_end)
            } else {
                track_end.or(read_capacity)
            }
            .unwrap_or(0);
            Capacity::new(total, total, 0)
        };

        let formatted = overwritable.then(|| {
            format_state(
                profile,
                disc.as_ref().map(|d| d.bg_format_status),
                formats.as_ref(),
            )
            .to_owned()
        });

        let last_session_start_lba = if overwritable {
            None
        } else {
            let complete = if session_state == SessionState::Complete {
                sessions
            } else {
                sessions.saturating_sub(1)
            };
            tracks
                .iter()
                .find(|t| complete > 0 && t.session == complete)
                .map(|t| t.start_lba)
        };

        Ok(Some(MediumInfo {
            disc_status: disc_status.as_str().to_owned(),
            last_session_state: session_state.as_str().to_owned(),
            erasable: disc.as_ref().is_some_and(|d| d.erasable),
            formatted,
            sessions,
            first_track,
            last_track,
            // Overwritable media take writes anywhere; the drive's own NWA for track 1 is
            // where a fresh image goes (appending by the growisofs method is the burner's
            // decision, made from the filesystem on the disc).
            next_writable_address: if overwritable {
                tracks.iter().find_map(|t| t.next_writable_address)
            } else {
                writable.and_then(|w| w.next_writable_address)
            },
            last_session_start_lba,
            tracks,
            capacity,
        }))
    }

    /// Tracks from READ TOC format 0 (and READ CAPACITY for a missing lead-out): for ROM
    /// media and drives without READ TRACK INFORMATION. Sessions come from READ TOC format 1
    /// on multi-session discs (tracks from its first track on belong to the last session).
    fn tracks_from_toc(
        &mut self,
        disc: Option<&DiscInformation>,
        capacity: Option<u64>,
        warnings: &mut Vec<String>,
    ) -> Result<Vec<TrackInfo>> {
        let Some(toc) = soft(warnings, self.run(&ReadToc::default()))? else {
            return Ok(Vec::new());
        };
        let sessions = disc.map_or(1, |d| u32::from(d.sessions)).max(1);
        let last_session_first_track = if sessions > 1 {
            soft(warnings, self.run(&ReadSessionInfo::default()))?
                .map(|s| u32::from(s.first_track_in_last_session))
        } else {
            None
        };
        let starts: Vec<i64> = toc
            .entries
            .iter()
            .map(|e| i64::from(e.address.lba()))
            .collect();
        let lead_out = toc.lead_out().map(|e| i64::from(e.address.lba()));
        let mut out = Vec::new();
        for (i, e) in toc.entries.iter().enumerate() {
            if e.is_lead_out() {
                continue;
            }
            let start = starts.get(i).copied().unwrap_or(0).max(0);
            let end = starts
                .get(i + 1)
                .copied()
                .or(lead_out)
                .or(capacity.and_then(|c| i64::try_from(c).ok()))
                .unwrap_or(start);
            let number = u32::from(e.track);
            let session = match last_session_first_track {
                Some(f) if f > 0 && number >= f => sessions,
                _ => 1,
            };
            out.push(TrackInfo {
                number,
                session,
                start_lba: u32::try_from(start).unwrap_or(0),
                size_blocks: u32::try_from((end - start).max(0)).unwrap_or(u32::MAX),
                mode: if e.is_data() { "data" } else { "audio" }.to_owned(),
                blank: false,
                incomplete: false,
                next_writable_address: None,
                free_blocks: None,
                last_recorded_address: None,
            });
        }
        Ok(out)
    }
}

/// Total capacity of overwritable media from READ FORMAT CAPACITIES (`docs/mmc-notes.md` §3.1): the
/// DVD+RW 26h descriptor, else the current/maximum descriptor.
fn overwritable_blocks(profile: Profile, f: &FormatCapacities) -> Option<u64> {
    if profile.is_dvd_plus_rw() {
        if let Some(d) = f.find(FormatType::DVD_PLUS_RW_BASIC) {
            return Some(in_blocks(d.blocks, f.current.block_length));
        }
    }
    (f.current.descriptor_type != DescriptorType::NoMedium && f.current.blocks > 0)
        .then(|| in_blocks(f.current.blocks, f.current.block_length))
}

/// Format state of overwritable media: DVD+RW from the background format status; others
/// from READ FORMAT CAPACITIES. Without evidence, "formatted": claiming "unformatted" could
/// lead a caller to format, which destroys data.
fn format_state(
    profile: Profile,
    bg: Option<BgFormatStatus>,
    formats: Option<&FormatCapacities>,
) -> &'static str {
    match bg {
        Some(BgFormatStatus::InProgress) => return "formatting",
        Some(BgFormatStatus::Suspended) => return "suspended",
        _ => {}
    }
    if profile.is_dvd_plus_rw() {
        return match bg {
            Some(BgFormatStatus::None) => "unformatted",
            _ => "formatted",
        };
    }
    match formats.map(|f| f.current.descriptor_type) {
        Some(DescriptorType::Unformatted) => "unformatted",
        _ => "formatted",
    }
}

/// Distinct non-zero speeds, fastest first, with multipliers for `class`.
fn speeds(mut kbps: Vec<u32>, class: MediaClass) -> Vec<Speed> {
    kbps.retain(|&s| s > 0);
    kbps.sort_unstable_by(|a, b| b.cmp(a));
    kbps.dedup();
    kbps.into_iter()
        .map(|s| Speed {
            kbytes_per_sec: s,
            multiplier: (f64::from(s) / class.one_x_kbps() * 10.0).round() / 10.0,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drive::tests::{drive, sense, Reply};

    const INQUIRY: [u8; 6] = [0x12, 0, 0, 0, 0x60, 0];
    const CONFIG_HEADER: [u8; 10] = [0x46, 0, 0, 0, 0, 0, 0, 0, 0x08, 0];
    const GESN: [u8; 10] = [0x4a, 0x01, 0, 0, 0x10, 0, 0, 0, 0x08, 0];
    const TUR: [u8; 6] = [0; 6];
    const MODE_2A: [u8; 10] = [0x5a, 0x08, 0x2a, 0, 0, 0, 0, 0, 0xff, 0];
    const PERF_1: [u8; 12] = [0xac, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 0];
    const DISC_INFO: [u8; 10] = [0x51, 0, 0, 0, 0, 0, 0, 0, 0x22, 0];
    const READ_CAP: [u8; 10] = [0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const TOC: [u8; 10] = [0x43, 0, 0, 0, 0, 0, 0, 0x03, 0x24, 0];
    const RFC: [u8; 10] = [0x23, 0, 0, 0, 0, 0, 0, 0, 0xfc, 0];

    fn config_all(len: u8) -> Vec<u8> {
        vec![0x46, 0, 0, 0, 0, 0, 0, 0, len, 0]
    }

    fn rti(track: u8) -> Vec<u8> {
        vec![0x52, 0x01, 0, 0, 0, track, 0, 0, 0x30, 0]
    }

    fn pad(mut v: Vec<u8>, n: usize) -> Vec<u8> {
        v.resize(n, 0);
        v
    }

    // docs/qemu-notes.md §3.1, INQUIRY (96 bytes).
    fn qemu_inquiry() -> Vec<u8> {
        pad(
            b"\x05\x80\x05\x12\x5b\x00\x00\x12QEMU    QEMU CD-ROM     2.5+".to_vec(),
            96,
        )
    }

    // docs/qemu-notes.md §3.3, GET CONFIGURATION (40 bytes): current profile 0010h;
    // features 0000h (0010h current, 0008h), 0001h, 0003h. `current` patches the current
    // profile (b7) and the CurrentP bit of the DVD-ROM entry (b14).
    fn qemu_config(current: bool) -> Vec<u8> {
        let mut c = vec![
            0x00, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x10, //
            0x00, 0x00, 0x03, 0x08, 0x00, 0x10, 0x01, 0x00, 0x00, 0x08, 0x00, 0x00, //
            0x00, 0x01, 0x0b, 0x08, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, //
            0x00, 0x03, 0x0b, 0x04, 0x39, 0x00, 0x00, 0x00,
        ];
        if !current {
            c[7] = 0;
            c[14] = 0;
        }
        c
    }

    // docs/qemu-notes.md §3.4, MODE SENSE(10) page 2Ah.
    fn qemu_page_2a() -> Vec<u8> {
        vec![
            0x00, 0x1c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0x14, 0x3b, 0x00, 0x7f, 0xff,
            0x2d, 0x00, 0x22, 0x60, 0x00, 0x02, 0x08, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x0b, 0x00,
            0x0b, 0x00,
        ]
    }

    // docs/qemu-notes.md §3.7, READ DISC INFORMATION (34 bytes).
    fn qemu_disc_info() -> Vec<u8> {
        pad(vec![0x00, 0x20, 0x0e, 0x01, 0x01, 0x01, 0x01, 0x20], 34)
    }

    // The exchange of docs/qemu-notes.md §3, in probe order.
    fn qemu_dvd_exchange() -> Vec<(Vec<u8>, Reply)> {
        let config = qemu_config(true);
        vec![
            (INQUIRY.to_vec(), Reply::Data(qemu_inquiry())),
            (CONFIG_HEADER.to_vec(), Reply::Data(config[..8].to_vec())),
            (config_all(40), Reply::Data(config)),
            (
                GESN.to_vec(),
                Reply::Data(vec![0x00, 0x04, 0x04, 0x10, 0x00, 0x02, 0x00, 0x00]),
            ),
            (TUR.to_vec(), Reply::Good),
            (MODE_2A.to_vec(), Reply::Data(qemu_page_2a())),
            (PERF_1.to_vec(), Reply::Sense(sense(5, 0x20, 0))),
            (DISC_INFO.to_vec(), Reply::Data(qemu_disc_info())),
            (
                READ_CAP.to_vec(),
                Reply::Data(vec![0x00, 0x07, 0xff, 0xff, 0x00, 0x00, 0x08, 0x00]),
            ),
            (
                TOC.to_vec(),
                Reply::Data(vec![
                    0x00, 0x12, 0x01, 0x01, 0x00, 0x14, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                    0x16, 0xaa, 0x00, 0x00, 0x08, 0x00, 0x00,
                ]),
            ),
        ]
    }

    #[test]
    fn scsi_cd_dvd_1gib() {
        // The exchange of docs/qemu-notes.md §3, in probe order.
        let (mut d, _) = drive(qemu_dvd_exchange());
        let r = d.probe().unwrap();
        assert!(d.transport().script.is_empty());
        let dvd = ProfileInfo {
            code: 0x0010,
            name: "DVD-ROM".into(),
            current: true,
        };
        let expected = ProbeReport {
            device: "/dev/sr0".into(),
            vendor: "QEMU".into(),
            product: "QEMU CD-ROM".into(),
            revision: "2.5+".into(),
            peripheral_type: 5,
            profiles: vec![
                dvd.clone(),
                ProfileInfo {
                    code: 0x0008,
                    name: "CD-ROM".into(),
                    current: false,
                },
            ],
            current_profile: Some(dvd),
            tray: TrayInfo {
                open: Some(false),
                medium_present: true,
                locked: Some(false),
                lock_source: "mode-page-2a".into(),
            },
            medium: Some(MediumInfo {
                disc_status: "complete".into(),
                last_session_state: "complete".into(),
                erasable: false,
                formatted: None,
                sessions: 1,
                first_track: 1,
                last_track: 1,
                tracks: vec![TrackInfo {
                    number: 1,
                    session: 1,
                    start_lba: 0,
                    size_blocks: 524_288,
                    mode: "data".into(),
                    blank: false,
                    incomplete: false,
                    next_writable_address: None,
                    free_blocks: None,
                    last_recorded_address: None,
                }],
                next_writable_address: None,
                last_session_start_lba: Some(0),
                capacity: Capacity {
                    block_size: 2048,
                    total_blocks: 524_288,
                    used_blocks: 524_288,
                    free_blocks: 0,
                    total_bytes: 1 << 30,
                    used_bytes: 1 << 30,
                    free_bytes: 0,
                },
            }),
            write_speeds: vec![],
            max_read_speed_kbps: Some(8800),
            buffer_size_kib: Some(2048),
            features: vec![],
            warnings: vec![
                "GET PERFORMANCE: ILLEGAL REQUEST 5/20/00 invalid command operation code".into(),
            ],
        };
        assert_eq!(r, expected);
    }

    #[test]
    fn json_field_names() {
        let (mut d, _) = drive(qemu_dvd_exchange());
        let v = serde_json::to_value(d.probe().unwrap()).unwrap();
        let keys = |v: &serde_json::Value| -> Vec<String> {
            let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        assert_eq!(
            keys(&v),
            [
                "buffer_size_kib",
                "current_profile",
                "device",
                "features",
                "max_read_speed_kbps",
                "medium",
                "peripheral_type",
                "product",
                "profiles",
                "revision",
                "tray",
                "vendor",
                "warnings",
                "write_speeds",
            ]
        );
        assert_eq!(keys(&v["profiles"][0]), ["code", "current", "name"]);
        assert_eq!(
            keys(&v["tray"]),
            ["lock_source", "locked", "medium_present", "open"]
        );
        assert_eq!(
            keys(&v["medium"]),
            [
                "capacity",
                "disc_status",
                "erasable",
                "first_track",
                "formatted",
                "last_session_start_lba",
                "last_session_state",
                "last_track",
                "next_writable_address",
                "sessions",
                "tracks",
            ]
        );
        assert_eq!(
            keys(&v["medium"]["tracks"][0]),
            [
                "blank",
                "free_blocks",
                "incomplete",
                "last_recorded_address",
                "mode",
                "next_writable_address",
                "number",
                "session",
                "size_blocks",
                "start_lba",
            ]
        );
        assert_eq!(
            keys(&v["medium"]["capacity"]),
            [
                "block_size",
                "free_blocks",
                "free_bytes",
                "total_blocks",
                "total_bytes",
                "used_blocks",
                "used_bytes"
            ]
        );
        assert_eq!(v["medium"]["formatted"], serde_json::Value::Null);
        assert_eq!(v["current_profile"]["name"], "DVD-ROM");
        assert_eq!(v["medium"]["capacity"]["total_bytes"], 1_073_741_824u64);
    }

    #[test]
    fn scsi_cd_empty() {
        // docs/qemu-notes.md §5: no current profile, GESN status 00 (closed, empty).
        let config = qemu_config(false);
        let (mut d, _) = drive(vec![
            (INQUIRY.to_vec(), Reply::Data(qemu_inquiry())),
            (CONFIG_HEADER.to_vec(), Reply::Data(config[..8].to_vec())),
            (config_all(40), Reply::Data(config)),
            (
                GESN.to_vec(),
                Reply::Data(vec![0x00, 0x04, 0x04, 0x10, 0x00, 0x00, 0x00, 0x00]),
            ),
            (MODE_2A.to_vec(), Reply::Data(qemu_page_2a())),
        ]);
        let r = d.probe().unwrap();
        assert!(d.transport().script.is_empty());
        assert_eq!(r.current_profile, None);
        assert!(r.profiles.iter().all(|p| !p.current));
        assert_eq!(r.tray.open, Some(false));
        assert!(!r.tray.medium_present);
        assert_eq!(r.tray.locked, Some(false));
        assert!(r.medium.is_none());
        assert!(r.write_speeds.is_empty());
        assert!(r.warnings.is_empty());
    }

    #[test]
    fn fallbacks_when_commands_are_missing() {
        // An MMC-1 drive: no GET CONFIGURATION, no GESN, no page 2Ah; TUR says tray open.
        let (mut d, _) = drive(vec![
            (INQUIRY.to_vec(), Reply::Data(qemu_inquiry())),
            (CONFIG_HEADER.to_vec(), Reply::Sense(sense(5, 0x20, 0))),
            (GESN.to_vec(), Reply::Sense(sense(5, 0x24, 0))),
            (TUR.to_vec(), Reply::Sense(sense(2, 0x3a, 0x02))),
            (MODE_2A.to_vec(), Reply::Sense(sense(5, 0x24, 0))),
        ]);
        let r = d.probe().unwrap();
        assert!(d.transport().script.is_empty());
        assert!(r.profiles.is_empty() && r.current_profile.is_none());
        assert_eq!(
            r.tray,
            TrayInfo {
                open: Some(true),
                medium_present: false,
                locked: None,
                lock_source: "unknown".into()
            }
        );
        assert_eq!(
            r.warnings,
            vec![
                "GET CONFIGURATION: ILLEGAL REQUEST 5/20/00 invalid command operation code",
                "GET EVENT STATUS NOTIFICATION: ILLEGAL REQUEST 5/24/00 invalid field in CDB",
                "MODE SENSE(10): ILLEGAL REQUEST 5/24/00 invalid field in CDB",
            ]
        );
        assert_eq!(r.max_read_speed_kbps, None);
    }

    #[test]
    fn not_mmc() {
        let mut inq = qemu_inquiry();
        inq[0] = 0x00;
        let (mut d, _) = drive(vec![(INQUIRY.to_vec(), Reply::Data(inq))]);
        assert!(matches!(
            d.probe(),
            Err(Error::NotMmc { peripheral_type: 0 })
        ));
    }

    /// GET CONFIGURATION for a DVD writer with `current` mounted: profile list (DVD+R, DVD+RW,
    /// DVD-R, DVD-ROM, CD-R, CD-ROM), Core, and the given features as (code, current, data).
    fn writer_config(current: u16, features: &[(u16, bool, &[u8])]) -> Vec<u8> {
        let mut body = vec![0x00, 0x00, 0x03, 0x18];
        for p in [0x001bu16, 0x001a, 0x0011, 0x0010, 0x0009, 0x0008] {
            body.extend_from_slice(&p.to_be_bytes());
            body.extend_from_slice(&[u8::from(p == current), 0]);
        }
        body.extend_from_slice(&[0x00, 0x01, 0x0b, 0x08, 0, 0, 0, 2, 1, 0, 0, 0]);
        for (code, cur, data) in features {
            body.extend_from_slice(&code.to_be_bytes());
            body.push(0x04 | u8::from(*cur));
            body.push(data.len() as u8);
            body.extend_from_slice(data);
        }
        let mut c = ((body.len() + 4) as u32).to_be_bytes().to_vec();
        c.extend_from_slice(&[0, 0]);
        c.extend_from_slice(&current.to_be_bytes());
        c.extend_from_slice(&body);
        c
    }

    /// A writer's inquiry (hand-built, 36 bytes).
    fn writer_inquiry() -> Vec<u8> {
        b"\x05\x80\x05\x32\x1f\x00\x00\x00HL-DT-STDVDRAM GH24NSD1 LG00".to_vec()
    }

    /// Page 2Ah of a writer: locked (b6 bit 1), 2 write speed descriptors.
    fn writer_page_2a() -> Vec<u8> {
        let mut p = vec![0u8; 8 + 2 + 0x26];
        p[1] = (p.len() - 2) as u8;
        p[8] = 0x2a;
        p[9] = 0x26;
        p[14] = 0x2b; // tray, eject, lock state, lock
        p[16..18].copy_from_slice(&8310u16.to_be_bytes());
        p[20..22].copy_from_slice(&4096u16.to_be_bytes());
        p[38..40].copy_from_slice(&2u16.to_be_bytes());
        p[42..44].copy_from_slice(&7056u16.to_be_bytes());
        p[46..48].copy_from_slice(&4234u16.to_be_bytes());
        p
    }

    fn perf_reply(speeds: &[u32], total: u32) -> Vec<u8> {
        let mut d = (4 + 16 * total).to_be_bytes().to_vec();
        d.extend_from_slice(&[0; 4]);
        for s in speeds {
            d.extend_from_slice(&[0; 4]);
            d.extend_from_slice(&2_295_103u32.to_be_bytes());
            d.extend_from_slice(&s.to_be_bytes());
            d.extend_from_slice(&s.to_be_bytes());
        }
        d
    }

    #[test]
    fn appendable_dvd_plus_r() {
        let config = writer_config(
            0x001b,
            &[
                (0x0021, false, &[0, 1, 0x03, 1, 16, 0, 0, 0]),
                (0x002b, true, &[1, 0, 0, 0]),
                (0x0107, true, &[0x0f, 0, 0, 0]),
            ],
        );
        let len = config.len() as u8;
        // Disc information (MMC-6 table 311): appendable, last session empty (b2 = 01h), first
        // track 1, 2 sessions, tracks 2/2 in the last session, URU.
        let disc = pad(vec![0x00, 0x20, 0x01, 0x01, 0x02, 0x02, 0x02, 0x20], 34);
        // Track 1 (MMC-6 table 525): closed data track 0..4FFFh in session 1, LRA_V.
        let mut t1 = vec![0u8; 40];
        t1[1] = 0x26;
        t1[2] = 1;
        t1[3] = 1;
        t1[5] = 0x04;
        t1[6] = 0x01;
        t1[7] = 0x02;
        t1[24..28].copy_from_slice(&0x5000u32.to_be_bytes());
        t1[28..32].copy_from_slice(&0x4fffu32.to_be_bytes());
        // The invisible track 2 (asked as FFh): blank, NWA_V, start = NWA = 5000h.
        let mut t2 = vec![0u8; 40];
        t2[1] = 0x26;
        t2[2] = 2;
        t2[3] = 2;
        t2[5] = 0x07;
        t2[6] = 0x41;
        t2[7] = 0x01;
        t2[8..12].copy_from_slice(&0x5000u32.to_be_bytes());
        t2[12..16].copy_from_slice(&0x5000u32.to_be_bytes());
        t2[16..20].copy_from_slice(&2_274_624u32.to_be_bytes());
        t2[20..24].copy_from_slice(&16u32.to_be_bytes());
        t2[24..28].copy_from_slice(&2_274_624u32.to_be_bytes());
        let (mut d, _) = drive(vec![
            (INQUIRY.to_vec(), Reply::Data(writer_inquiry())),
            (CONFIG_HEADER.to_vec(), Reply::Data(config[..8].to_vec())),
            (config_all(len), Reply::Data(config)),
            (
                GESN.to_vec(),
                Reply::Data(vec![0x00, 0x06, 0x04, 0x54, 0x02, 0x02, 0x00, 0x00]),
            ),
            (TUR.to_vec(), Reply::Sense(sense(6, 0x28, 0))),
            (TUR.to_vec(), Reply::Good),
            (MODE_2A.to_vec(), Reply::Data(writer_page_2a())),
            (PERF_1.to_vec(), Reply::Data(perf_reply(&[22_160], 3))),
            (
                vec![0xac, 0, 0, 0, 0, 0, 0, 0, 0, 3, 3, 0],
                Reply::Data(perf_reply(&[22_160, 11_080, 5_540], 3)),
            ),
            (DISC_INFO.to_vec(), Reply::Data(disc)),
            (rti(1), Reply::Data(t1)),
            (rti(0xff), Reply::Data(t2)),
            (
                READ_CAP.to_vec(),
                Reply::Data(vec![0, 0, 0x4f, 0xff, 0, 0, 0x08, 0]),
            ),
        ]);
        let r = d.probe().unwrap();
        assert!(d.transport().script.is_empty());
        assert!(d.medium_may_have_changed());
        assert_eq!(
            (r.vendor.as_str(), r.product.as_str(), r.revision.as_str()),
            ("HL-DT-ST", "DVDRAM GH24NSD1", "LG00")
        );
        assert_eq!(
            r.current_profile,
            Some(ProfileInfo {
                code: 0x1b,
                name: "DVD+R".into(),
                current: true
            })
        );
        assert_eq!(r.profiles.len(), 6);
        assert_eq!(r.tray.locked, Some(true));
        assert_eq!(r.max_read_speed_kbps, Some(8310));
        assert_eq!(r.buffer_size_kib, Some(4096));
        assert_eq!(
            r.write_speeds,
            vec![
                Speed {
                    kbytes_per_sec: 22_160,
                    multiplier: 16.0
                },
                Speed {
                    kbytes_per_sec: 11_080,
                    multiplier: 8.0
                },
                Speed {
                    kbytes_per_sec: 5_540,
                    multiplier: 4.0
                },
            ]
        );
        assert_eq!(
            r.features,
            vec![
                FeatureInfo {
                    code: 0x21,
                    name: "Incremental Streaming Writable".into(),
                    current: false
                },
                FeatureInfo {
                    code: 0x2b,
                    name: "DVD+R".into(),
                    current: true
                },
                FeatureInfo {
                    code: 0x107,
                    name: "Real Time Streaming".into(),
                    current: true
                },
            ]
        );
        let m = r.medium.unwrap();
        assert_eq!(m.disc_status, "appendable");
        assert_eq!(m.last_session_state, "empty");
        assert_eq!((m.sessions, m.first_track, m.last_track), (2, 1, 2));
        assert_eq!(m.formatted, None);
        assert_eq!(
            m.tracks,
            vec![
                TrackInfo {
                    number: 1,
                    session: 1,
                    start_lba: 0,
                    size_blocks: 0x5000,
                    mode: "data".into(),
                    blank: false,
                    incomplete: false,
                    next_writable_address: None,
                    free_blocks: Some(0),
                    last_recorded_address: Some(0x4fff),
                },
                TrackInfo {
                    number: 2,
                    session: 2,
                    start_lba: 0x5000,
                    size_blocks: 2_274_624,
                    mode: "data".into(),
                    blank: true,
                    incomplete: false,
                    next_writable_address: Some(0x5000),
                    free_blocks: Some(2_274_624),
                    last_recorded_address: None,
                },
            ]
        );
        assert_eq!(m.next_writable_address, Some(0x5000));
        assert_eq!(m.last_session_start_lba, Some(0));
        assert_eq!(m.capacity, Capacity::new(2_295_104, 0x5000, 2_274_624));
        assert_eq!(m.capacity.total_bytes, 2_295_104 * 2048);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }

    #[test]
    fn blank_dvd_plus_rw() {
        let config = writer_config(0x001a, &[(0x002a, true, &[1, 0, 0, 0])]);
        let len = config.len() as u8;
        // Disc information: erasable, empty session, status other (b2 = 13h), BG format 00b.
        let disc = pad(vec![0x00, 0x20, 0x13, 0x01, 0x01, 0x01, 0x01, 0x20], 34);
        let mut t1 = vec![0u8; 40];
        t1[1] = 0x26;
        t1[2] = 1;
        t1[3] = 1;
        t1[5] = 0x07;
        t1[6] = 0x01;
        t1[7] = 0x01;
        t1[16..20].copy_from_slice(&2_295_104u32.to_be_bytes());
        t1[24..28].copy_from_slice(&2_295_104u32.to_be_bytes());
        // READ FORMAT CAPACITIES (MMC-6 table 489): unformatted max, one 26h descriptor.
        let mut rfc = vec![0, 0, 0, 0x10];
        rfc.extend_from_slice(&2_295_104u32.to_be_bytes());
        rfc.extend_from_slice(&[0x01, 0x00, 0x08, 0x00]);
        rfc.extend_from_slice(&2_295_104u32.to_be_bytes());
        rfc.extend_from_slice(&[0x98, 0x00, 0x00, 0x00]);
        let (mut d, _) = drive(vec![
            (INQUIRY.to_vec(), Reply::Data(writer_inquiry())),
            (CONFIG_HEADER.to_vec(), Reply::Data(config[..8].to_vec())),
            (config_all(len), Reply::Data(config)),
            (
                GESN.to_vec(),
                Reply::Data(vec![0x00, 0x06, 0x04, 0x54, 0x00, 0x02, 0x00, 0x00]),
            ),
            (TUR.to_vec(), Reply::Good),
            (MODE_2A.to_vec(), Reply::Data(writer_page_2a())),
            (PERF_1.to_vec(), Reply::Data(perf_reply(&[11_080], 1))),
            (DISC_INFO.to_vec(), Reply::Data(disc)),
            (rti(1), Reply::Data(t1)),
            (RFC.to_vec(), Reply::Data(rfc)),
            (READ_CAP.to_vec(), Reply::Sense(sense(5, 0x24, 0))),
        ]);
        let r = d.probe().unwrap();
        assert!(d.transport().script.is_empty());
        assert_eq!(
            r.write_speeds,
            vec![Speed {
                kbytes_per_sec: 11_080,
                multiplier: 8.0
            }]
        );
        let m = r.medium.unwrap();
        assert_eq!(m.disc_status, "other");
        assert!(m.erasable);
        assert_eq!(m.formatted.as_deref(), Some("unformatted"));
        assert_eq!(m.capacity, Capacity::new(2_295_104, 0, 2_295_104));
        // Overwritable media report the drive's NWA of track 1 (writes may go anywhere).
        assert_eq!(m.next_writable_address, m.tracks[0].next_writable_address);
        assert_eq!(m.last_session_start_lba, None);
        assert!(!m.tracks[0].incomplete);
        assert_eq!(
            r.warnings,
            vec!["READ CAPACITY(10): ILLEGAL REQUEST 5/24/00 invalid field in CDB"]
        );
    }

    #[test]
    fn format_states() {
        use BgFormatStatus as Bg;
        let plus = |bg| format_state(Profile::DVD_PLUS_RW, Some(bg), None);
        assert_eq!(plus(Bg::None), "unformatted");
        assert_eq!(plus(Bg::Suspended), "suspended");
        assert_eq!(plus(Bg::InProgress), "formatting");
        assert_eq!(plus(Bg::Complete), "formatted");
        let rfc = |t| FormatCapacities {
            current: crate::command::CurrentCapacity {
                blocks: 1,
                descriptor_type: t,
                block_length: 2048,
            },
            formattable: vec![],
        };
        let unformatted = rfc(DescriptorType::Unformatted);
        assert_eq!(
            format_state(Profile::BD_RE, Some(Bg::None), Some(&unformatted)),
            "unformatted"
        );
        assert_eq!(
            format_state(
                Profile::BD_RE,
                Some(Bg::Complete),
                Some(&rfc(DescriptorType::Formatted))
            ),
            "formatted"
        );
        assert_eq!(format_state(Profile::DVD_RAM, None, None), "formatted");
        assert_eq!(overwritable_blocks(Profile::BD_RE, &unformatted), Some(1));
        assert_eq!(
            overwritable_blocks(Profile::BD_RE, &rfc(DescriptorType::NoMedium)),
            None
        );
        assert_eq!(in_blocks(100, 512), 25);
        assert_eq!(speeds(vec![0, 7056, 7056, 1764], MediaClass::Cd).len(), 2);
        assert_eq!(speeds(vec![4495], MediaClass::Bd)[0].multiplier, 1.0);
    }
}
