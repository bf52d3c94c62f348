//! `mmc-probe --report`: one JSON file with everything needed to reproduce a drive in the
//! mock (`spindle mock new DIR --profile FILE`): the read-only battery's raw replies, what
//! they decode to, the kernel's view of the device, spindle's version and, when one ran, the
//! write test's transcript. Serial numbers are overwritten unless `--keep-serials`, and the
//! report lists every place it changed. docs/mmc-probe.md describes the format field by field.

use std::path::{Path, PathBuf};

use hal::mock::{DriveProfile, Refusal};
use hal::Transport;
use serde::{Deserialize, Serialize};

use crate::cmd::battery::{self, unhex, Decides, Reply};
use crate::cmd::human::hex;

/// The `format` field of every report.
pub const FORMAT: &str = "spindle-drive-report";
/// The schema version this spindle writes. Readers refuse a newer major version.
pub const VERSION: u32 = 1;

/// A drive report (schema: docs/mmc-probe.md, "The report").
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// Always [`FORMAT`].
    pub format: String,
    /// The schema version ([`VERSION`]).
    pub version: u32,
    /// The spindle version that wrote it.
    pub spindle_version: String,
    /// The device as given on the command line.
    pub device: String,
    /// Whether serial numbers were left in (`--keep-serials`).
    pub serials_kept: bool,
    /// Every place a serial number or other identifying value was overwritten or left out.
    pub redacted: Vec<Redaction>,
    /// INQUIRY, decoded.
    pub identity: Option<Identity>,
    /// The current profile (GET CONFIGURATION header), `null` without a medium.
    pub current_profile: Option<u16>,
    /// Every feature descriptor of GET CONFIGURATION.
    pub features: Vec<FeatureEntry>,
    /// Every mode page of MODE SENSE(10) page 3Fh (or page 2Ah alone when the drive refuses
    /// 3Fh).
    pub mode_pages: Vec<ModePageEntry>,
    /// READ BUFFER CAPACITY, `null` when refused.
    pub buffer: Option<Buffer>,
    /// GET PERFORMANCE type 03h write speed descriptors.
    pub write_speeds: Vec<WriteSpeed>,
    /// READ TOC format 0 (LBA) track descriptors.
    pub toc: Vec<TocEntry>,
    /// READ FORMAT CAPACITIES descriptors.
    pub format_capacities: Vec<FormatCapacity>,
    /// `mmc-probe --json`'s report (disc and track information, capacity, speeds), `null`
    /// when probing failed (see `probe_error`).
    pub probe: Option<serde_json::Value>,
    /// Why the probe failed (no medium, for example).
    pub probe_error: Option<String>,
    /// The kernel's view of the device (sysfs), `null` for a mock drive or a device outside
    /// sysfs.
    pub kernel: Option<Kernel>,
    /// The raw replies of the read-only battery (as `mmc-probe --battery --json`).
    pub battery: Vec<Reply>,
    /// The write test's result, when `--write-test` ran with `--report`.
    pub write_test: Option<serde_json::Value>,
}

/// What was taken out of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redaction {
    /// Where: `battery/INQUIRY VPD 80 bytes 4-23`, `kernel/vpd_pg80`, …
    pub place: String,
    /// What it held.
    pub what: String,
}

/// INQUIRY standard data, decoded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Identity {
    /// Vendor identification (bytes 8-15), trimmed.
    pub vendor: String,
    /// Product identification (bytes 16-31), trimmed.
    pub product: String,
    /// Product revision level (bytes 32-35), trimmed.
    pub revision: String,
    /// Peripheral device type (byte 0 bits 4-0; 5 for MMC).
    pub peripheral_type: u8,
    /// RMB (byte 1 bit 7).
    pub removable: bool,
    /// VERSION (byte 2).
    pub version: u8,
}

/// One feature descriptor.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FeatureEntry {
    /// Feature code.
    pub code: u16,
    /// Its MMC name.
    pub name: String,
    /// Version (byte 2 bits 5-2).
    pub version: u8,
    /// Persistent bit.
    pub persistent: bool,
    /// Current bit.
    pub current: bool,
    /// The feature-dependent data (after the 4-byte header), hex.
    pub data: String,
}

/// One mode page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModePageEntry {
    /// Page code.
    pub code: u8,
    /// The page, its 2-byte header included, hex.
    pub data: String,
}

/// READ BUFFER CAPACITY.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Buffer {
    /// Length of buffer, bytes.
    pub length_bytes: u32,
    /// Blank length of buffer (free), bytes.
    pub free_bytes: u32,
}

/// One GET PERFORMANCE write speed descriptor.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WriteSpeed {
    /// End LBA the speeds hold for.
    pub end_lba: u32,
    /// Read speed, kB/s.
    pub read_kbps: u32,
    /// Write speed, kB/s.
    pub write_kbps: u32,
}

/// One READ TOC track descriptor.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TocEntry {
    /// Track number (AAh = lead-out).
    pub track: u8,
    /// ADR/CONTROL byte.
    pub adr_control: u8,
    /// Start address (LBA).
    pub lba: u32,
}

/// One READ FORMAT CAPACITIES descriptor.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FormatCapacity {
    /// Number of blocks.
    pub blocks: u32,
    /// Descriptor type (current/maximum: bits 1-0) or format type (bits 7-2), byte 4.
    pub type_byte: u8,
    /// Type dependent parameter (bytes 5-7).
    pub parameter: u32,
}

/// The kernel's view of a SCSI device (sysfs).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Kernel {
    /// `host:channel:target:lun`.
    pub hctl: String,
    /// Attributes of /sys/bus/scsi/devices/HCTL (vendor, model, rev, type, scsi_level,
    /// state, timeout, …), as the kernel prints them, trimmed.
    pub attributes: std::collections::BTreeMap<String, String>,
    /// The driver bound to the device (`sr`).
    pub driver: Option<String>,
    /// Block nodes (`/dev/sr0`).
    pub block: Vec<String>,
    /// SCSI generic nodes (`/dev/sg1`).
    pub sg: Vec<String>,
    /// Symbolic links under /dev (and /dev/disk/by-path) that point at those nodes.
    pub links: Vec<String>,
}

/// Runs the battery and the probe on `transport` and builds the report.
pub fn collect(
    transport: Box<dyn Transport>,
    device: &str,
    keep_serials: bool,
    sysfs: &Path,
    dev: &Path,
) -> Report {
    let mut t = transport;
    let battery = battery::run(&mut t);
    let mut drive = mmc::Drive::new(t);
    let (probe, probe_error) = match drive.probe() {
        Ok(r) => (serde_json::to_value(&r).ok(), None),
        Err(e) => (None, Some(format!("{e:#}"))),
    };
    let kernel = kernel_view(device, sysfs, dev);
    build(device, battery, probe, probe_error, kernel, keep_serials)
}

/// Assembles a report from its parts, redacting serial numbers unless `keep_serials`.
pub fn build(
    device: &str,
    mut battery: Vec<Reply>,
    mut probe: Option<serde_json::Value>,
    probe_error: Option<String>,
    mut kernel: Option<Kernel>,
    keep_serials: bool,
) -> Report {
    let mut redacted = Vec::new();
    if !keep_serials {
        redact_battery(&mut battery, &mut redacted);
        if let Some(k) = kernel.as_mut() {
            redact_kernel(k, &mut redacted);
        }
        // The probe report holds no serials, but keep it from growing one unnoticed.
        if let Some(p) = probe.as_mut().and_then(|p| p.as_object_mut()) {
            if p.remove("serial").is_some() {
                redacted.push(Redaction {
                    place: "probe/serial".into(),
                    what: "serial number".into(),
                });
            }
        }
    }
    let data = |name: &str| -> Option<Vec<u8>> {
        battery
            .iter()
            .find(|r| r.name == name && r.status == "GOOD")
            .and_then(|r| unhex(&r.data).ok())
    };
    let identity = data("INQUIRY").map(|d| Identity {
        vendor: ascii(&d, 8..16),
        product: ascii(&d, 16..32),
        revision: ascii(&d, 32..36),
        peripheral_type: d.first().map_or(0x1f, |b| b & 0x1f),
        removable: d.get(1).is_some_and(|b| b & 0x80 != 0),
        version: d.get(2).copied().unwrap_or(0),
    });
    let config = data("GET CONFIGURATION all");
    let current_profile = config.as_deref().map(|d| be16(d, 6)).filter(|&p| p != 0);
    let features = config
        .as_deref()
        .map(|d| {
            mmc::Feature::parse_list(feature_bytes(d))
                .into_iter()
                .map(|f| FeatureEntry {
                    code: f.code.0,
                    name: f.code.name().to_string(),
                    version: f.version,
                    persistent: f.persistent,
                    current: f.current,
                    data: hex(&f.data),
                })
                .collect()
        })
        .unwrap_or_default();
    let mode_pages = mode_pages(&battery)
        .into_iter()
        .map(|p| ModePageEntry {
            code: p.first().map_or(0, |b| b & 0x3f),
            data: hex(&p),
        })
        .collect();
    let buffer = data("READ BUFFER CAPACITY").map(|d| Buffer {
        length_bytes: be32(&d, 4),
        free_bytes: be32(&d, 8),
    });
    let write_speeds = data("GET PERFORMANCE write speeds")
        .map(|d| {
            let end = (usize::try_from(be32(&d, 0)).unwrap_or(0) + 4).min(d.len());
            d.get(8..end)
                .unwrap_or(&[])
                .chunks_exact(16)
                .map(|e| WriteSpeed {
                    end_lba: be32(e, 4),
                    read_kbps: be32(e, 8),
                    write_kbps: be32(e, 12),
                })
                .collect()
        })
        .unwrap_or_default();
    let toc = data("READ TOC format 0 LBA")
        .map(|d| {
            let end = (be16(&d, 0) as usize + 2).min(d.len());
            d.get(4..end)
                .unwrap_or(&[])
                .chunks_exact(8)
                .map(|e| TocEntry {
                    track: e.get(2).copied().unwrap_or(0),
                    adr_control: e.get(1).copied().unwrap_or(0),
                    lba: be32(e, 4),
                })
                .collect()
        })
        .unwrap_or_default();
    let format_capacities = data("READ FORMAT CAPACITIES")
        .map(|d| {
            let end = (usize::from(d.get(3).copied().unwrap_or(0)) + 4).min(d.len());
            d.get(4..end)
                .unwrap_or(&[])
                .chunks_exact(8)
                .map(|e| FormatCapacity {
                    blocks: be32(e, 0),
                    type_byte: e.get(4).copied().unwrap_or(0),
                    parameter: be32(e, 4) & 0x00ff_ffff,
                })
                .collect()
        })
        .unwrap_or_default();
    Report {
        format: FORMAT.into(),
        version: VERSION,
        spindle_version: env!("CARGO_PKG_VERSION").into(),
        device: device.into(),
        serials_kept: keep_serials,
        redacted,
        identity,
        current_profile,
        features,
        mode_pages,
        buffer,
        write_speeds,
        toc,
        format_capacities,
        probe,
        probe_error,
        kernel,
        battery,
        write_test: None,
    }
}

fn ascii(d: &[u8], r: std::ops::Range<usize>) -> String {
    d.get(r)
        .map(|b| String::from_utf8_lossy(b).trim().to_string())
        .unwrap_or_default()
}

fn be16(d: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([
        d.get(at).copied().unwrap_or(0),
        d.get(at + 1).copied().unwrap_or(0),
    ])
}

fn be32(d: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([
        d.get(at).copied().unwrap_or(0),
        d.get(at + 1).copied().unwrap_or(0),
        d.get(at + 2).copied().unwrap_or(0),
        d.get(at + 3).copied().unwrap_or(0),
    ])
}

/// The feature descriptors of a GET CONFIGURATION reply: after the header, up to its data
/// length.
fn feature_bytes(d: &[u8]) -> &[u8] {
    let end = (usize::try_from(be32(d, 0)).unwrap_or(0) + 4).min(d.len());
    d.get(8..end).unwrap_or(&[])
}

/// The pages of a MODE SENSE(10) reply, each with its header.
fn pages_of(d: &[u8]) -> Vec<Vec<u8>> {
    let end = (usize::from(be16(d, 0)) + 2).min(d.len());
    let mut at = 8 + usize::from(be16(d, 6));
    let mut out = Vec::new();
    while at + 2 <= end {
        let len = usize::from(d.get(at + 1).copied().unwrap_or(0));
        let Some(p) = d.get(at..(at + 2 + len).min(end)) else {
            break;
        };
        out.push(p.to_vec());
        at += 2 + len;
    }
    out
}

/// The drive's mode pages: page 3Fh's list, plus page 2Ah from its own request when the list
/// lacks it.
fn mode_pages(battery: &[Reply]) -> Vec<Vec<u8>> {
    let get = |name: &str| {
        battery
            .iter()
            .find(|r| r.name == name && r.status == "GOOD")
            .and_then(|r| unhex(&r.data).ok())
    };
    let mut pages = get("MODE SENSE(10) all pages")
        .map(|d| pages_of(&d))
        .unwrap_or_default();
    if !pages
        .iter()
        .any(|p| p.first().map(|b| b & 0x3f) == Some(0x2a))
    {
        if let Some(p2a) = get("MODE SENSE(10) 2A").map(|d| pages_of(&d)) {
            pages.extend(
                p2a.into_iter()
                    .filter(|p| p.first().map(|b| b & 0x3f) == Some(0x2a)),
            );
        }
    }
    pages
}

/// Overwrites bytes with a filler that keeps the reply's structure: `X` in ASCII fields,
/// zero in binary ones.
fn overwrite(d: &mut [u8], range: std::ops::Range<usize>, ascii: bool) -> bool {
    let mut changed = false;
    let end = range.end.min(d.len());
    for b in d.get_mut(range.start.min(end)..end).unwrap_or(&mut []) {
        let filler = if ascii { b'X' } else { 0 };
        // Blank fields identify nothing; leave them as the drive sent them.
        if *b != filler && *b != b' ' && *b != 0 {
            changed = true;
        }
        *b = if ascii && (*b == b' ' || *b == 0) {
            *b
        } else {
            filler
        };
    }
    changed
}

fn redact_battery(battery: &mut [Reply], redacted: &mut Vec<Redaction>) {
    for r in battery.iter_mut() {
        if r.status != "GOOD" {
            continue;
        }
        let Ok(mut d) = unhex(&r.data) else { continue };
        let mut places: Vec<(String, &str)> = Vec::new();
        // Bytes after the reply's own length are whatever the drive or target had in its
        // buffer (tgt leaves its memory there): they could hold anything, so they go.
        if let Some(n) = battery::declared_len(&r.name, &d) {
            if d.get(n..).is_some_and(|rest| rest.iter().any(|&b| b != 0)) {
                places.push((
                    format!("bytes {n}-{}", d.len() - 1),
                    "stale bytes after the reply's declared length",
                ));
                d.truncate(n);
            }
        }
        match r.name.as_str() {
            // Bytes 36-55 are vendor specific; some drives put their serial there.
            "INQUIRY" if overwrite(&mut d, 36..56, true) => {
                places.push((
                    "bytes 36-55".into(),
                    "vendor-specific INQUIRY bytes (drives put their serial number there)",
                ));
            }
            "INQUIRY VPD 80" => {
                let end = (4 + usize::from(be16(&d, 2))).min(d.len());
                if overwrite(&mut d, 4..end, true) {
                    places.push((
                        format!("bytes 4-{}", end.saturating_sub(1)),
                        "unit serial number (VPD page 80h)",
                    ));
                }
            }
            "INQUIRY VPD 83" => {
                let end = (4 + usize::from(be16(&d, 2))).min(d.len());
                let mut at = 4;
                while at + 4 <= end {
                    let code_set = d.get(at).copied().unwrap_or(0) & 0x0f;
                    let kind = d.get(at + 1).copied().unwrap_or(0) & 0x0f;
                    let len = usize::from(d.get(at + 3).copied().unwrap_or(0));
                    // A T10 vendor ID designator starts with the 8-byte vendor name, which
                    // INQUIRY shows anyway; the rest is the unit's own.
                    let from = at + 4 + if kind == 1 { 8 } else { 0 };
                    let to = (at + 4 + len).min(end);
                    if overwrite(&mut d, from..to, code_set != 1) {
                        places.push((
                            format!("bytes {from}-{}", to.saturating_sub(1)),
                            "device identification designator (VPD page 83h)",
                        ));
                    }
                    at += 4 + len;
                }
            }
            "GET CONFIGURATION all" => {
                let end = (usize::try_from(be32(&d, 0)).unwrap_or(0) + 4).min(d.len());
                let mut at = 8;
                while at + 4 <= end {
                    let code = be16(&d, at);
                    let len = usize::from(d.get(at + 3).copied().unwrap_or(0));
                    if code == 0x0108 {
                        let to = (at + 4 + len).min(end);
                        if overwrite(&mut d, at + 4..to, true) {
                            places.push((
                                format!("bytes {}-{}", at + 4, to.saturating_sub(1)),
                                "logical unit serial number (feature 0108h)",
                            ));
                        }
                    }
                    at += 4 + len;
                }
            }
            _ => {}
        }
        if !places.is_empty() {
            r.data = hex(&d);
            for (where_, what) in places {
                redacted.push(Redaction {
                    place: format!("battery/{} {where_}", r.name),
                    what: what.into(),
                });
            }
        }
    }
}

/// sysfs attributes and links that identify one unit rather than a model.
const IDENTIFYING_ATTRIBUTES: &[&str] = &["vpd_pg80", "vpd_pg83", "wwid", "serial", "unique_id"];

fn redact_kernel(k: &mut Kernel, redacted: &mut Vec<Redaction>) {
    for a in IDENTIFYING_ATTRIBUTES {
        if k.attributes.remove(*a).is_some() {
            redacted.push(Redaction {
                place: format!("kernel/{a}"),
                what: "a serial number or unique identifier".into(),
            });
        }
    }
    let before = k.links.len();
    // /dev/disk/by-id names carry the serial.
    k.links.retain(|l| !l.contains("/by-id/"));
    if k.links.len() != before {
        redacted.push(Redaction {
            place: "kernel/links".into(),
            what: format!(
                "{} /dev/disk/by-id link(s), whose names carry the serial number",
                before - k.links.len()
            ),
        });
    }
}

/// The sysfs attributes read from the SCSI device directory.
const ATTRIBUTES: &[&str] = &[
    "vendor",
    "model",
    "rev",
    "type",
    "scsi_level",
    "state",
    "timeout",
    "eh_timeout",
    "queue_depth",
    "device_blocked",
    "vpd_pg80",
    "vpd_pg83",
    "wwid",
];

/// The kernel's view of `device` (a /dev/srN or /dev/sgN node, or a link to one), read
/// under `sysfs` and `dev`; `None` for anything else (a mock drive).
pub fn kernel_view(device: &str, sysfs: &Path, dev: &Path) -> Option<Kernel> {
    let path = PathBuf::from(device);
    let real = std::fs::canonicalize(&path).unwrap_or(path);
    let name = real.file_name()?.to_string_lossy().into_owned();
    let class = if name.starts_with("sr") {
        "class/block"
    } else if name.starts_with("sg") {
        "class/scsi_generic"
    } else {
        return None;
    };
    let devdir = std::fs::canonicalize(sysfs.join(class).join(&name).join("device")).ok()?;
    let hctl = devdir.file_name()?.to_string_lossy().into_owned();
    let mut k = Kernel {
        hctl,
        ..Kernel::default()
    };
    for a in ATTRIBUTES {
        if let Ok(v) = std::fs::read(devdir.join(a)) {
            let text = String::from_utf8_lossy(&v);
            // VPD attributes are binary: keep them as hex.
            let v = if a.starts_with("vpd_") {
                hex(&v)
            } else {
                text.trim().to_string()
            };
            k.attributes.insert((*a).to_string(), v);
        }
    }
    k.driver = std::fs::read_link(devdir.join("driver"))
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
    let children = |sub: &str| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(devdir.join(sub))
            .map(|rd| {
                rd.flatten()
                    .map(|e| dev.join(e.file_name()).display().to_string())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    k.block = children("block");
    k.sg = children("scsi_generic");
    let targets: Vec<PathBuf> = k.block.iter().chain(&k.sg).map(PathBuf::from).collect();
    for dir in [
        dev.to_path_buf(),
        dev.join("disk/by-path"),
        dev.join("disk/by-id"),
    ] {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if !p.is_symlink() {
                continue;
            }
            let Ok(to) = std::fs::canonicalize(&p) else {
                continue;
            };
            if targets.contains(&to) {
                k.links.push(format!("{} -> {}", p.display(), to.display()));
            }
        }
    }
    k.links.sort();
    Some(k)
}

/// What a report says about a drive, as the mock replays it: the profile, and the buffer
/// size READ BUFFER CAPACITY reported.
#[derive(Debug, Clone)]
pub struct Replay {
    /// The recorded answers.
    pub profile: DriveProfile,
    /// READ BUFFER CAPACITY's length of buffer, bytes.
    pub buffer_bytes: Option<u32>,
}

/// Reads a report file.
///
/// # Errors
/// Unreadable file, not JSON, not a spindle drive report, or a newer schema version.
pub fn load(path: &Path) -> anyhow::Result<Report> {
    use anyhow::Context;
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the drive report {}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    if v.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        anyhow::bail!(
            "{} is not a drive report (no \"format\": \"{FORMAT}\"); make one with `mmc-probe --report DEVICE -o FILE`",
            path.display()
        );
    }
    let version = v.get("version").and_then(serde_json::Value::as_u64);
    if version.is_none_or(|n| n > u64::from(VERSION)) {
        anyhow::bail!(
            "{}: report version {version:?} is newer than this spindle reads ({VERSION}); use a newer spindle",
            path.display()
        );
    }
    serde_json::from_value(v)
        .with_context(|| format!("reading the drive report {}", path.display()))
}

/// Turns a report's battery into what the mock replays.
pub fn replay(report: &Report) -> Replay {
    // Replies are replayed up to their declared length: what a drive left after it is stale.
    let good = |name: &str| {
        report
            .battery
            .iter()
            .find(|r| r.name == name && r.status == "GOOD")
            .and_then(|r| unhex(&r.data).ok())
            .map(|mut d| {
                if let Some(n) = battery::declared_len(name, &d) {
                    d.truncate(n);
                }
                d
            })
    };
    let mut profile = DriveProfile {
        source: report.identity.as_ref().map_or_else(
            || report.device.clone(),
            |i| format!("{} {} {}", i.vendor, i.product, i.revision),
        ),
        inquiry: good("INQUIRY"),
        features: good("GET CONFIGURATION all").map(|d| feature_bytes(&d).to_vec()),
        mode_pages: mode_pages(&report.battery),
        event_header: good("GET EVENT STATUS NOTIFICATION media")
            .and_then(|d| d.get(..4).map(<[u8]>::to_vec)),
        ..DriveProfile::default()
    };
    for (name, page) in [
        ("INQUIRY VPD 00", 0x00),
        ("INQUIRY VPD 80", 0x80),
        ("INQUIRY VPD 83", 0x83),
    ] {
        if let Some(d) = good(name) {
            profile.vpd.push((page, d));
        }
    }
    for r in &report.battery {
        let Ok(cdb) = unhex(&r.cdb) else { continue };
        if r.status == "GOOD" && cdb.first() == Some(&0xac) {
            if let (Some(key), Ok(d)) = (cdb.get(1..12), unhex(&r.data)) {
                profile.performance.push((key.to_vec(), d));
            }
        }
        if r.status != "CHECK CONDITION" {
            continue;
        }
        // The sense key is replayed as recorded: tgt, for one, refuses a field with
        // NOT READY rather than ILLEGAL REQUEST.
        let (Some(key), Some(asc), Some(ascq)) = (r.sense_key, r.asc, r.ascq) else {
            continue;
        };
        let decides = battery::probe(&r.name).map_or(Decides::Everything, |p| p.decides);
        let prefix = match asc {
            // The drive lacks the command: every CDB with that opcode.
            0x20 => cdb.get(..1).map(<[u8]>::to_vec),
            // A field the drive refuses, where the answer does not depend on the medium.
            0x24 if decides != Decides::Everything => Some(cdb.clone()),
            _ => None,
        };
        if let Some(cdb_prefix) = prefix {
            if !profile.refused.iter().any(|x| x.cdb_prefix == cdb_prefix) {
                profile.refused.push(Refusal {
                    cdb_prefix,
                    sense: [key, asc, ascq],
                });
            }
        }
    }
    Replay {
        profile,
        buffer_bytes: good("READ BUFFER CAPACITY").map(|d| be32(&d, 4)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(name: &str, data: &[u8]) -> Reply {
        let p = battery::probe(name).unwrap();
        Reply {
            name: name.into(),
            cdb: hex(p.cdb),
            status: "GOOD".into(),
            sense: String::new(),
            sense_key: None,
            asc: None,
            ascq: None,
            data: hex(data),
            error: None,
            duration_us: 5,
        }
    }

    #[test]
    fn serials_are_overwritten_and_listed() {
        let mut vpd80 = vec![0x05, 0x80, 0x00, 0x08];
        vpd80.extend(b"SN123456");
        let mut config = vec![0, 0, 0, 20, 0, 0, 0, 0];
        config.extend([0x01, 0x08, 0x03, 0x08]);
        config.extend(b"ABCD1234");
        let battery = vec![
            reply("INQUIRY VPD 80", &vpd80),
            reply("GET CONFIGURATION all", &config),
        ];
        let kernel = Kernel {
            attributes: [
                ("vpd_pg80".to_string(), "00".to_string()),
                ("vendor".to_string(), "HL-DT-ST".to_string()),
            ]
            .into_iter()
            .collect(),
            links: vec![
                "/dev/disk/by-id/ata-X_SN123 -> /dev/sr0".into(),
                "/dev/cdrom -> /dev/sr0".into(),
            ],
            ..Kernel::default()
        };
        let r = build(
            "/dev/sr0",
            battery.clone(),
            None,
            None,
            Some(kernel.clone()),
            false,
        );
        let text = serde_json::to_string(&r).unwrap();
        assert!(!text.contains(&hex(b"SN123456")), "{text}");
        assert!(!text.contains(&hex(b"ABCD1234")), "{text}");
        assert!(!text.contains("SN123"), "{text}");
        assert!(text.contains("/dev/cdrom"));
        let places: Vec<_> = r.redacted.iter().map(|x| x.place.as_str()).collect();
        assert_eq!(
            places,
            [
                "battery/INQUIRY VPD 80 bytes 4-11",
                "battery/GET CONFIGURATION all bytes 12-19",
                "kernel/vpd_pg80",
                "kernel/links"
            ]
        );
        // The decoded feature shows the overwritten bytes, not the serial.
        assert_eq!(r.features[0].code, 0x0108);
        assert_eq!(r.features[0].data, hex(b"XXXXXXXX"));
        // --keep-serials keeps them and says so.
        let k = build("/dev/sr0", battery, None, None, Some(kernel), true);
        assert!(k.serials_kept && k.redacted.is_empty());
        assert!(serde_json::to_string(&k)
            .unwrap()
            .contains(&hex(b"SN123456")));
    }

    #[test]
    fn stale_bytes_after_a_reply_are_cut_off() {
        // GET CONFIGURATION declaring 4 bytes after the header, then a target's stale memory.
        let mut config = vec![0, 0, 0, 8, 0, 0, 0, 0x1b];
        config.extend([0xde, 0xad, 0xbe, 0xef, 0x41, 0x42]);
        let zeros = [0x05, 0x80, 0x00, 0x00, 0, 0, 0];
        let battery = vec![
            reply("GET CONFIGURATION all", &config),
            reply("INQUIRY VPD 80", &zeros),
        ];
        let r = build("/dev/sr0", battery.clone(), None, None, None, false);
        assert_eq!(r.battery[0].data, hex(&config[..12]));
        assert_eq!(
            r.redacted[0].place,
            "battery/GET CONFIGURATION all bytes 12-13"
        );
        // Zero padding reveals nothing and stays.
        assert_eq!(r.battery[1].data, hex(&zeros));
        assert_eq!(r.redacted.len(), 1);
        let k = build("/dev/sr0", battery, None, None, None, true);
        assert_eq!(k.battery[0].data, hex(&config));
    }

    #[test]
    fn kernel_view_reads_sysfs_and_links() {
        let root = tempfile::tempdir().unwrap();
        let sys = root.path().join("sys");
        let dev = root.path().join("dev");
        let devdir = sys.join("devices/pci/host0/target0:0:0/0:0:0:0");
        std::fs::create_dir_all(devdir.join("block/sr0")).unwrap();
        std::fs::create_dir_all(devdir.join("scsi_generic/sg1")).unwrap();
        std::fs::write(devdir.join("vendor"), "QEMU    \n").unwrap();
        std::fs::write(devdir.join("model"), "QEMU CD-ROM     \n").unwrap();
        std::fs::write(devdir.join("vpd_pg80"), [0u8, 0x80, 0, 2, b'4', b'2']).unwrap();
        std::fs::create_dir_all(sys.join("class/block/sr0")).unwrap();
        std::os::unix::fs::symlink(&devdir, sys.join("class/block/sr0/device")).unwrap();
        std::fs::create_dir_all(dev.join("disk/by-id")).unwrap();
        std::fs::write(dev.join("sr0"), "").unwrap();
        std::fs::write(dev.join("sg1"), "").unwrap();
        std::os::unix::fs::symlink(dev.join("sr0"), dev.join("cdrom")).unwrap();
        std::os::unix::fs::symlink(dev.join("sr0"), dev.join("disk/by-id/ata-QEMU_42")).unwrap();
        let k = kernel_view(&dev.join("cdrom").display().to_string(), &sys, &dev).unwrap();
        assert_eq!(k.hctl, "0:0:0:0");
        assert_eq!(k.attributes["vendor"], "QEMU");
        assert_eq!(k.attributes["model"], "QEMU CD-ROM");
        assert_eq!(k.attributes["vpd_pg80"], "00 80 00 02 34 32");
        assert_eq!(k.block, [dev.join("sr0").display().to_string()]);
        assert_eq!(k.sg, [dev.join("sg1").display().to_string()]);
        assert_eq!(k.links.len(), 2, "{:?}", k.links);
        // A mock drive has no kernel view.
        assert!(kernel_view("mock:/tmp/x", &sys, &dev).is_none());
    }
}
