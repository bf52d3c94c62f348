//! Cedar Backup 3's configuration (`/etc/cback3.conf`), validated.
//!
//! [`Config::parse`] reads the `<cb_config>` XML with the element names, defaults and checks
//! Cedar applies to the sections spindle acts on: `<options>`, `<peers>`, `<stage>` and
//! `<store>` (`docs/cedar-notes.md` §2). Other sections (`<extensions>`, `<collect>`,
//! `<purge>`, the extensions' own sections, `<reference>`) belong to `cback3`: they are
//! checked as Cedar checks them and listed in [`Config::ignored`]. Every refusal names the element and the reason,
//! as `/cb_config/store/media_type: 'dvd-r' is not one of cdr-74, …`.
//!
//! Where spindle reads more leniently than Cedar (each is in `docs/cedar-compat.md`):
//! - `<blank_behavior>` needs both `mode` and `factor`, where Cedar accepts one alone and
//!   fails later in store (quirk Q2);
//! - `<target_device>` may be `mock:/abs/dir`, a mock drive.
//!
//! The other sections are checked as Cedar checks them (`cback3`, a child module), and an
//! empty element is the same as a missing one, as in Cedar: the verdict on a file is Cedar's
//! own, which `tests/tests/cedar_config_judge.rs` compares on Cedar's test files and their
//! mutants, except for the refusals listed there (names that would reach a shell or a path).

mod cback3;

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::Weekday;
use roxmltree::{Document, Node};
use serde::Serialize;

/// A refusal: the element path and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Where: `/cb_config/store/media_type`, or the file name for read and XML errors.
    pub path: String,
    /// Why.
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

impl std::error::Error for ConfigError {}

fn err<T>(path: &str, reason: impl Into<String>) -> Result<T, ConfigError> {
    Err(ConfigError {
        path: path.to_owned(),
        reason: reason.into(),
    })
}

/// The whole configuration, as spindle uses it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Config {
    /// `<options>`.
    pub options: Options,
    /// `<peers>`, when present.
    pub peers: Option<Vec<Peer>>,
    /// `<stage>`, when present.
    pub stage: Option<Stage>,
    /// `<store>`, when present.
    pub store: Option<Store>,
    /// Top-level sections spindle does not act on (`extensions`, `collect`, `purge`, …).
    pub ignored: Vec<String>,
}

/// `<options>`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Options {
    /// First day of the backup week: the disc is started anew on this day.
    #[serde(serialize_with = "ser_weekday")]
    pub starting_day: Weekday,
    /// Scratch space (temporary files, remote indicators).
    pub working_dir: PathBuf,
    /// Owner given to staged files and indicators (when running as root); default remote user.
    pub backup_user: String,
    /// Group given to staged files and indicators (when running as root).
    pub backup_group: String,
    /// Default copy command for remote peers, e.g. `/usr/bin/scp -B`.
    pub rcp_command: String,
    /// Default remote shell for managed peers.
    pub rsh_command: Option<String>,
    /// Default remote `cback3` command for managed peers.
    pub cback_command: Option<String>,
    /// Default actions run on managed peers.
    pub managed_actions: Option<Vec<String>>,
    /// `<override>`: absolute paths for commands.
    pub overrides: Vec<CommandOverride>,
    /// `<pre_action_hook>`s.
    pub pre_action_hooks: Vec<Hook>,
    /// `<post_action_hook>`s.
    pub post_action_hooks: Vec<Hook>,
}

fn ser_weekday<S: serde::Serializer>(d: &Weekday, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(weekday_name(*d))
}

/// Cedar's spelling of a weekday (`monday` … `sunday`).
pub fn weekday_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}

/// `<override>`: use `abs_path` for `command`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandOverride {
    /// The command name.
    pub command: String,
    /// Its absolute path.
    pub abs_path: PathBuf,
}

/// `<pre_action_hook>` / `<post_action_hook>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hook {
    /// The action it belongs to (empty when the element is missing: the hook never runs).
    pub action: String,
    /// The command line (split on spaces; double quotes group); empty when the element is
    /// missing, and the action then fails when the hook is reached, as in cback3.
    pub command: String,
}

/// Local or remote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PeerKind {
    /// Staged by copying from a local directory.
    Local,
    /// Staged over the rcp command (scp).
    Remote,
}

/// `<ignore_failures>`: when a peer that is not ready or fails is not an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IgnoreFailures {
    /// Never (also when absent).
    None,
    /// Always.
    All,
    /// On days that are not the start of the week (and without `--full`).
    Daily,
    /// On the start of the week or with `--full`.
    Weekly,
}

/// A `<peer>` of `<peers>` or `<stage>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Peer {
    /// Host name (remote) or a label (local); also the staging subdirectory's name.
    pub name: String,
    /// Local or remote.
    #[serde(rename = "type")]
    pub kind: PeerKind,
    /// Where the peer's collected files are.
    pub collect_dir: PathBuf,
    /// When failures are ignored.
    pub ignore_failures: IgnoreFailures,
    /// Remote user (remote peers; default: options `backup_user`).
    pub backup_user: Option<String>,
    /// Copy command (remote peers; default: options `rcp_command`).
    pub rcp_command: Option<String>,
    /// Remote shell (managed peers; default: options `rsh_command`).
    pub rsh_command: Option<String>,
    /// Remote cback3 command (managed peers; default: options `cback_command`).
    pub cback_command: Option<String>,
    /// Whether `--managed` runs actions on this peer.
    pub managed: bool,
    /// Actions run on this peer (default: options `managed_actions`).
    pub managed_actions: Option<Vec<String>>,
}

impl Peer {
    /// The remote user: the peer's own, else the options'.
    pub fn remote_user<'a>(&'a self, o: &'a Options) -> &'a str {
        self.backup_user.as_deref().unwrap_or(&o.backup_user)
    }

    /// The copy command: the peer's own, else the options'.
    pub fn rcp<'a>(&'a self, o: &'a Options) -> &'a str {
        self.rcp_command.as_deref().unwrap_or(&o.rcp_command)
    }
}

/// `<stage>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stage {
    /// Root of the daily directories `YYYY/MM/DD`.
    pub staging_dir: PathBuf,
    /// Peers to stage; when not empty they replace `<peers>`.
    pub peers: Vec<Peer>,
}

/// `<media_type>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MediaType {
    /// 650 MiB CD-R.
    #[serde(rename = "cdr-74")]
    Cdr74,
    /// 650 MiB CD-RW.
    #[serde(rename = "cdrw-74")]
    Cdrw74,
    /// 700 MiB CD-R.
    #[serde(rename = "cdr-80")]
    Cdr80,
    /// 700 MiB CD-RW.
    #[serde(rename = "cdrw-80")]
    Cdrw80,
    /// DVD+R.
    #[serde(rename = "dvd+r")]
    DvdPlusR,
    /// DVD+RW.
    #[serde(rename = "dvd+rw")]
    DvdPlusRw,
}

impl MediaType {
    const ALL: [(&'static str, MediaType); 6] = [
        ("cdr-74", MediaType::Cdr74),
        ("cdrw-74", MediaType::Cdrw74),
        ("cdr-80", MediaType::Cdr80),
        ("cdrw-80", MediaType::Cdrw80),
        ("dvd+r", MediaType::DvdPlusR),
        ("dvd+rw", MediaType::DvdPlusRw),
    ];

    /// Cedar's name.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, m)| *m == self)
            .map_or("?", |(n, _)| n)
    }

    /// Rewritable types: `cdrw-74`, `cdrw-80`, `dvd+rw`.
    pub fn is_rewritable(self) -> bool {
        matches!(
            self,
            MediaType::Cdrw74 | MediaType::Cdrw80 | MediaType::DvdPlusRw
        )
    }

    /// A DVD type.
    pub fn is_dvd(self) -> bool {
        matches!(self, MediaType::DvdPlusR | MediaType::DvdPlusRw)
    }
}

/// `<device_type>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceType {
    /// CD writer (the default).
    Cdwriter,
    /// DVD writer.
    Dvdwriter,
}

/// `<blank_behavior>` mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BlankMode {
    /// Consider a new disc every day.
    Daily,
    /// Consider a new disc on the starting day only.
    Weekly,
}

/// `<blank_behavior>`: start a new disc when `available / (1 + required) <= factor`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BlankBehavior {
    /// When the ratio is looked at.
    pub mode: BlankMode,
    /// The threshold.
    pub factor: f64,
}

/// `<store>`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Store {
    /// Staging root the daily directories are written from.
    pub source_dir: PathBuf,
    /// The media in use.
    pub media_type: MediaType,
    /// CD or DVD writer.
    pub device_type: DeviceType,
    /// The drive: an absolute device path or `mock:/abs/dir`.
    pub target_device: String,
    /// cdrecord's address; spindle addresses the drive by `target_device` and ignores it.
    pub target_scsi_id: Option<String>,
    /// Write speed multiplier.
    pub drive_speed: Option<u32>,
    /// Compare the disc with the staging dirs after writing.
    pub check_data: bool,
    /// Refuse discs without a Cedar Backup label.
    pub check_media: bool,
    /// Warn when the staging dir taken is yesterday's or tomorrow's.
    pub warn_midnite: bool,
    /// Never open or close the tray.
    pub no_eject: bool,
    /// Seconds to wait after a media refresh.
    pub refresh_media_delay: Option<u32>,
    /// Seconds to wait with the tray open during a refresh.
    pub eject_delay: Option<u32>,
    /// Optimised blanking.
    pub blank_behavior: Option<BlankBehavior>,
}

const KNOWN: [&str; 4] = ["options", "peers", "stage", "store"];

/// Largest configuration file read. Cedar's sample is 7 KiB and a site with a thousand peers
/// needs a few hundred; beyond this the file is not a configuration anyone wrote by hand,
/// and parsing it would only cost memory and time.
pub const MAX_CONFIG_BYTES: u64 = 4 << 20;
/// Deepest element nesting accepted. Cedar's elements nest five deep; the XML parser
/// recurses per level, so a limit checked before parsing keeps a crafted file from
/// overflowing the stack.
pub const MAX_NESTING: usize = 64;
/// Most peers in one `<peers>` or `<stage>` section.
pub const MAX_PEERS: usize = 10_000;

/// How deep the elements of `text` nest, scanning tags only (comments, CDATA, processing
/// instructions and declarations are skipped, quoted attribute values too); stops counting
/// past `limit`. Malformed XML is left for the parser to refuse.
fn nesting_depth(text: &str, limit: usize) -> usize {
    let b = text.as_bytes();
    let mut depth = 0usize;
    let mut max = 0usize;
    let mut i = 0usize;
    let skip_to = |from: usize, end: &[u8]| -> usize {
        b.get(from..)
            .and_then(|rest| rest.windows(end.len()).position(|w| w == end))
            .map_or(b.len(), |p| from + p + end.len())
    };
    while let Some(p) = b.get(i..).and_then(|r| r.iter().position(|&c| c == b'<')) {
        i += p;
        let rest = b.get(i..).unwrap_or(&[]);
        if rest.starts_with(b"<!--") {
            i = skip_to(i + 4, b"-->");
        } else if rest.starts_with(b"<![CDATA[") {
            i = skip_to(i + 9, b"]]>");
        } else if rest.starts_with(b"<?") {
            i = skip_to(i + 2, b"?>");
        } else if rest.starts_with(b"<!") {
            i = skip_to(i + 2, b">");
        } else if rest.starts_with(b"</") {
            depth = depth.saturating_sub(1);
            i = skip_to(i + 2, b">");
        } else {
            // A start tag: find its end outside quoted attribute values.
            let mut j = i + 1;
            let mut quote = None;
            while let Some(&c) = b.get(j) {
                match (quote, c) {
                    (None, b'"' | b'\'') => quote = Some(c),
                    (Some(q), c) if c == q => quote = None,
                    (None, b'>') => break,
                    _ => {}
                }
                j += 1;
            }
            if b.get(j.wrapping_sub(1)) != Some(&b'/') {
                depth += 1;
                max = max.max(depth);
                if max > limit {
                    return max;
                }
            }
            i = j + 1;
        }
    }
    max
}

/// Whether `name` is a host name (RFC 1123 §2.1: dot-separated labels of letters, digits and
/// hyphens, 1-63 bytes each, not starting or ending with a hyphen, 253 bytes in all) or an
/// IPv4 address, which is the same alphabet. Nothing else can safely follow `user@` in an
/// scp or ssh argument: a `:` ends the host for scp, and the remote shell sees the rest.
pub fn is_host_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
        })
}

/// Whether `name` is a portable user name (POSIX portable file name characters, not
/// starting with `-`, as `useradd` accepts them): what goes before the `@` of a remote
/// copy and after `su`.
pub fn is_user_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

impl Config {
    /// Reads and validates `path`.
    ///
    /// # Errors
    /// The file cannot be read, is not XML, or fails validation.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let cannot_read = |e: std::io::Error| ConfigError {
            path: path.display().to_string(),
            reason: format!("cannot read: {e}"),
        };
        let file = std::fs::File::open(path).map_err(cannot_read)?;
        let mut text = String::new();
        // One byte more than allowed tells a file at the limit from one over it.
        file.take(MAX_CONFIG_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(cannot_read)?;
        if text.len() as u64 > MAX_CONFIG_BYTES {
            return err(
                &path.display().to_string(),
                format!("larger than {MAX_CONFIG_BYTES} bytes; not a Cedar Backup configuration"),
            );
        }
        Config::parse(&text).map_err(|e| {
            if e.path.starts_with('/') {
                e
            } else {
                ConfigError {
                    path: format!("{}: {}", path.display(), e.path),
                    reason: e.reason,
                }
            }
        })
    }

    /// Parses and validates configuration text.
    ///
    /// # Errors
    /// Not XML, a root other than `<cb_config>`, or a failed check (with the element path).
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        if text.len() as u64 > MAX_CONFIG_BYTES {
            return err("XML", format!("larger than {MAX_CONFIG_BYTES} bytes"));
        }
        if nesting_depth(text, MAX_NESTING) > MAX_NESTING {
            return err(
                "XML",
                format!("elements nested deeper than {MAX_NESTING} levels"),
            );
        }
        let doc = Document::parse(text).map_err(|e| ConfigError {
            path: "XML".into(),
            reason: e.to_string(),
        })?;
        let root = doc.root_element();
        if root.tag_name().name() != "cb_config" {
            return err(
                &format!("/{}", root.tag_name().name()),
                "the root element must be <cb_config>",
            );
        }
        let mut ignored = Vec::new();
        for c in elements(root) {
            let n = c.tag_name().name();
            if !KNOWN.contains(&n) && !ignored.iter().any(|i| i == n) {
                ignored.push(n.to_owned());
            }
        }
        let Some(options) = child(root, "options") else {
            return err("/cb_config/options", "missing (required)");
        };
        // Cedar refuses a file that configures no action.
        if !["collect", "stage", "store", "purge"]
            .iter()
            .any(|n| child(root, n).is_some())
        {
            return err(
                "/cb_config",
                "at least one of <collect>, <stage>, <store> and <purge> is required",
            );
        }
        let options = parse_options(options)?;
        // The sections cback3 runs are checked as Cedar checks them, so that a file both
        // programs read is refused by both or by neither.
        cback3::check(root)?;
        let peers = match child(root, "peers") {
            Some(p) => {
                let list = parse_peers(p, "/cb_config/peers")?;
                if list.is_empty() {
                    return err("/cb_config/peers", "at least one <peer> is required");
                }
                Some(list)
            }
            None => None,
        };
        let stage = match child(root, "stage") {
            Some(s) => Some(parse_stage(s)?),
            None => None,
        };
        if let (Some(s), None) = (&stage, &peers) {
            if s.peers.is_empty() {
                return err(
                    "/cb_config/stage",
                    "at least one <peer> is required here when there is no <peers> section",
                );
            }
        }
        for (list, at) in [
            (peers.as_deref(), "/cb_config/peers"),
            (
                stage.as_ref().map(|s| s.peers.as_slice()),
                "/cb_config/stage",
            ),
        ] {
            for p in list.unwrap_or(&[]) {
                check_managed(p, &options, at)?;
            }
        }
        let store = match child(root, "store") {
            Some(s) => Some(parse_store(s)?),
            None => None,
        };
        Ok(Config {
            options,
            peers,
            stage,
            store,
            ignored,
        })
    }

    /// The peers stage works on: `<stage>`'s when it lists any, else `<peers>`'s.
    pub fn staging_peers(&self) -> &[Peer] {
        match &self.stage {
            Some(s) if !s.peers.is_empty() => &s.peers,
            _ => self.peers.as_deref().unwrap_or(&[]),
        }
    }
}

fn elements<'a, 'i>(n: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    n.children().filter(Node::is_element)
}

fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    elements(n).find(|c| c.tag_name().name() == name)
}

/// An element's text as Cedar reads it: its first text child, spaces and line breaks
/// included (`<check_data> Y </check_data>` is ` Y `, which is not a boolean for Cedar
/// either). Numbers are read as Python reads them, which ignores surrounding white space.
fn text(n: Node<'_, '_>) -> String {
    n.children()
        .find(|c| c.is_text())
        .and_then(|c| c.text())
        .unwrap_or("")
        .to_owned()
}

/// Python's `int()`: surrounding white space, an optional sign, decimal digits with single
/// underscores between them. `None` for anything else (or beyond `i64`).
fn parse_py_int(t: &str) -> Option<i64> {
    let t = t.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    py_digit_groups(digits).then(|| t.replace('_', "").parse().ok())?
}

/// Digits with single underscores between digits (Python's numeric literal rule).
fn py_digit_groups(s: &str) -> bool {
    !s.is_empty()
        && s.split('_')
            .all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()))
}

/// Python's `float()`: surrounding white space, decimal or exponent notation with
/// underscores between digits, `inf`, `infinity` and `nan` in any case.
fn parse_py_float(t: &str) -> Option<f64> {
    let t = t.trim();
    if t.contains('_') {
        // Every underscore must sit between two digits.
        let b = t.as_bytes();
        let ok = b.iter().enumerate().all(|(i, &c)| {
            c != b'_'
                || (i > 0
                    && b[i - 1].is_ascii_digit()
                    && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        });
        if !ok {
            return None;
        }
    }
    t.replace('_', "").parse().ok()
}

/// One section's reader: tracks which children were used, so the rest can be reported.
struct Section<'a, 'i> {
    node: Node<'a, 'i>,
    path: String,
}

impl<'a, 'i> Section<'a, 'i> {
    fn new(node: Node<'a, 'i>, path: impl Into<String>) -> Self {
        Section {
            node,
            path: path.into(),
        }
    }

    fn at(&self, name: &str) -> String {
        format!("{}/{name}", self.path)
    }

    /// Warns about children nobody reads (a typo, or a newer Cedar's element).
    fn unknown(&self, known: &[&str]) {
        for c in elements(self.node) {
            let n = c.tag_name().name();
            if !known.contains(&n) {
                log::warn!("{}: unknown element, ignored", self.at(n));
            }
        }
    }

    /// The element's text; an element that is absent or empty is `None`, as Cedar reads
    /// it (an element without text is the same as no element).
    fn opt_string(&self, name: &str) -> Result<Option<String>, ConfigError> {
        Ok(child(self.node, name).map(text).filter(|t| !t.is_empty()))
    }

    fn string(&self, name: &str) -> Result<String, ConfigError> {
        self.opt_string(name)?
            .map_or_else(|| err(&self.at(name), "missing (required)"), Ok)
    }

    fn abs_path(&self, name: &str) -> Result<PathBuf, ConfigError> {
        let s = self.string(name)?;
        absolute(&self.at(name), &s)
    }

    fn flag(&self, name: &str) -> Result<bool, ConfigError> {
        match self.opt_string(name)?.as_deref() {
            None | Some("N" | "n") => Ok(false),
            Some("Y" | "y") => Ok(true),
            Some(t) => err(&self.at(name), format!("'{t}' is not a boolean (Y or N)")),
        }
    }

    fn int(&self, name: &str, min: u32) -> Result<Option<u32>, ConfigError> {
        let Some(t) = self.opt_string(name)? else {
            return Ok(None);
        };
        match parse_py_int(&t) {
            Some(v) if v >= i64::from(min) && v <= i64::from(u32::MAX) => Ok(Some(v as u32)),
            Some(v) if v > i64::from(u32::MAX) => {
                err(&self.at(name), format!("'{t}' is too large"))
            }
            Some(_) => err(&self.at(name), format!("'{t}' must be at least {min}")),
            None => err(&self.at(name), format!("'{t}' is not an integer")),
        }
    }

    fn one_of<T: Copy>(&self, name: &str, choices: &[(&str, T)]) -> Result<Option<T>, ConfigError> {
        let Some(t) = self.opt_string(name)? else {
            return Ok(None);
        };
        match choices.iter().find(|(n, _)| *n == t) {
            Some((_, v)) => Ok(Some(*v)),
            None => {
                let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
                err(
                    &self.at(name),
                    format!("'{t}' is not one of {}", names.join(", ")),
                )
            }
        }
    }

    fn action_list(&self, name: &str) -> Result<Option<Vec<String>>, ConfigError> {
        let Some(t) = self.opt_string(name)? else {
            return Ok(None);
        };
        // Empty items are dropped, as Cedar's comma-separated lists do (`a,,b` is a, b).
        let list: Vec<String> = t
            .split(',')
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty())
            .collect();
        for a in &list {
            if !is_action_name(a) {
                return err(
                    &self.at(name),
                    format!("'{a}' is not an action name (lowercase letters and digits)"),
                );
            }
        }
        Ok(Some(list))
    }
}

/// Cedar's action names: lower-case letters and digits.
pub fn is_action_name(a: &str) -> bool {
    !a.is_empty()
        && a.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

fn absolute(at: &str, s: &str) -> Result<PathBuf, ConfigError> {
    let p = PathBuf::from(s);
    if !p.is_absolute() {
        return err(at, format!("'{s}' is not an absolute path"));
    }
    Ok(p)
}

const WEEKDAYS: [(&str, Weekday); 7] = [
    ("monday", Weekday::Mon),
    ("tuesday", Weekday::Tue),
    ("wednesday", Weekday::Wed),
    ("thursday", Weekday::Thu),
    ("friday", Weekday::Fri),
    ("saturday", Weekday::Sat),
    ("sunday", Weekday::Sun),
];

fn parse_options(n: Node<'_, '_>) -> Result<Options, ConfigError> {
    let s = Section::new(n, "/cb_config/options");
    s.unknown(&[
        "starting_day",
        "working_dir",
        "backup_user",
        "backup_group",
        "rcp_command",
        "rsh_command",
        "cback_command",
        "managed_actions",
        "override",
        "pre_action_hook",
        "post_action_hook",
    ]);
    let starting_day = s
        .one_of("starting_day", &WEEKDAYS)?
        .map_or_else(|| err(&s.at("starting_day"), "missing (required)"), Ok)?;
    let mut overrides = Vec::new();
    let mut pre = Vec::new();
    let mut post = Vec::new();
    for c in elements(n) {
        match c.tag_name().name() {
            "override" => {
                let o = Section::new(c, s.at("override"));
                let abs_path = match o.opt_string("abs_path")? {
                    Some(p) => Some(absolute(&o.at("abs_path"), &p)?),
                    None => None,
                };
                // Cedar accepts an override missing either part; it then replaces nothing.
                match (o.opt_string("command")?, abs_path) {
                    (Some(command), Some(abs_path)) => {
                        overrides.push(CommandOverride { command, abs_path });
                    }
                    _ => log::warn!(
                        "{}: needs both <command> and <abs_path>; this override is not used",
                        o.path
                    ),
                }
            }
            name @ ("pre_action_hook" | "post_action_hook") => {
                let h = Section::new(c, s.at(name));
                // Both parts are optional for Cedar: a hook without an action never runs,
                // one without a command fails its action when it is reached, as in cback3.
                let action = h.opt_string("action")?.unwrap_or_default();
                if !action.is_empty() && !is_action_name(&action) {
                    return err(
                        &h.at("action"),
                        format!("'{action}' is not an action name (lowercase letters and digits)"),
                    );
                }
                let hook = Hook {
                    action,
                    command: h.opt_string("command")?.unwrap_or_default(),
                };
                if name == "pre_action_hook" {
                    pre.push(hook);
                } else {
                    post.push(hook);
                }
            }
            _ => {}
        }
    }
    Ok(Options {
        starting_day,
        working_dir: s.abs_path("working_dir")?,
        backup_user: {
            let u = s.string("backup_user")?;
            if !is_user_name(&u) {
                return err(&s.at("backup_user"), format!("{u:?} is not a user name"));
            }
            u
        },
        backup_group: s.string("backup_group")?,
        rcp_command: s.string("rcp_command")?,
        rsh_command: s.opt_string("rsh_command")?,
        cback_command: s.opt_string("cback_command")?,
        managed_actions: s.action_list("managed_actions")?,
        overrides,
        pre_action_hooks: pre,
        post_action_hooks: post,
    })
}

fn parse_peers(n: Node<'_, '_>, at: &str) -> Result<Vec<Peer>, ConfigError> {
    let mut out: Vec<Peer> = Vec::new();
    let mut names = std::collections::HashSet::new();
    for (i, c) in elements(n)
        .filter(|c| c.tag_name().name() == "peer")
        .enumerate()
    {
        if i >= MAX_PEERS {
            return err(at, format!("more than {MAX_PEERS} peers"));
        }
        let s = Section::new(c, format!("{at}/peer[{}]", i + 1));
        // Cedar reads only peers whose type is local or remote and skips any other, so
        // such a peer is left out here too, with a warning (the section may then have no
        // peer left, which is refused below).
        let kind = match s.opt_string("type")?.as_deref() {
            Some("local") => PeerKind::Local,
            Some("remote") => PeerKind::Remote,
            other => {
                log::warn!(
                    "{}: type is {}, not local or remote; this peer is ignored",
                    s.path,
                    other.map_or_else(|| "missing".to_owned(), |t| format!("'{t}'"))
                );
                continue;
            }
        };
        let known_remote = [
            "backup_user",
            "rcp_command",
            "rsh_command",
            "cback_command",
            "managed",
            "managed_actions",
        ];
        let mut known = vec!["name", "type", "collect_dir", "ignore_failures"];
        if kind == PeerKind::Remote {
            known.extend(known_remote);
        }
        s.unknown(&known);
        let name = s.string("name")?;
        if !names.insert(name.clone()) {
            return err(
                &s.at("name"),
                format!("'{name}' names two peers (peer names must be unique)"),
            );
        }
        if name.contains('/') || name == "." || name == ".." || name.chars().any(char::is_control) {
            return err(
                &s.at("name"),
                format!("{name:?} cannot be a staging directory name"),
            );
        }
        let remote = kind == PeerKind::Remote;
        // A remote peer's name is the host of `user@host:path` and of ssh's `user@host`:
        // anything but a host name would be split by scp or read by the peer's shell.
        // The user comes from backup_user, never from the name.
        if remote && !is_host_name(&name) {
            return err(
                &s.at("name"),
                format!(
                    "{name:?} is not a host name (letters, digits, '-' and '.'; \
                     the remote user goes in <backup_user>)"
                ),
            );
        }
        if remote {
            if let Some(u) = s.opt_string("backup_user")? {
                if !is_user_name(&u) {
                    return err(&s.at("backup_user"), format!("{u:?} is not a user name"));
                }
            }
        }
        out.push(Peer {
            name,
            kind,
            collect_dir: s.abs_path("collect_dir")?,
            ignore_failures: s
                .one_of(
                    "ignore_failures",
                    &[
                        ("none", IgnoreFailures::None),
                        ("all", IgnoreFailures::All),
                        ("daily", IgnoreFailures::Daily),
                        ("weekly", IgnoreFailures::Weekly),
                    ],
                )?
                .unwrap_or(IgnoreFailures::None),
            backup_user: if remote {
                s.opt_string("backup_user")?
            } else {
                None
            },
            rcp_command: if remote {
                s.opt_string("rcp_command")?
            } else {
                None
            },
            rsh_command: if remote {
                s.opt_string("rsh_command")?
            } else {
                None
            },
            cback_command: if remote {
                s.opt_string("cback_command")?
            } else {
                None
            },
            managed: remote && s.flag("managed")?,
            managed_actions: if remote {
                s.action_list("managed_actions")?
            } else {
                None
            },
        });
    }
    Ok(out)
}

fn check_managed(p: &Peer, o: &Options, at: &str) -> Result<(), ConfigError> {
    if !p.managed {
        return Ok(());
    }
    let at = format!("{at}/peer[name={}]", p.name);
    if p.rsh_command.is_none() && o.rsh_command.is_none() {
        return err(
            &at,
            "a managed peer needs rsh_command (in the peer or in <options>)",
        );
    }
    if p.cback_command.is_none() && o.cback_command.is_none() {
        return err(
            &at,
            "a managed peer needs cback_command (in the peer or in <options>)",
        );
    }
    let actions = p.managed_actions.as_ref().or(o.managed_actions.as_ref());
    if !matches!(actions, Some(v) if !v.is_empty()) {
        return err(
            &at,
            "a managed peer needs managed_actions (in the peer or in <options>)",
        );
    }
    Ok(())
}

fn parse_stage(n: Node<'_, '_>) -> Result<Stage, ConfigError> {
    let s = Section::new(n, "/cb_config/stage");
    s.unknown(&["staging_dir", "peer"]);
    Ok(Stage {
        staging_dir: s.abs_path("staging_dir")?,
        peers: parse_peers(n, "/cb_config/stage")?,
    })
}

fn parse_store(n: Node<'_, '_>) -> Result<Store, ConfigError> {
    let s = Section::new(n, "/cb_config/store");
    s.unknown(&[
        "source_dir",
        "media_type",
        "device_type",
        "target_device",
        "target_scsi_id",
        "drive_speed",
        "check_data",
        "check_media",
        "warn_midnite",
        "no_eject",
        "refresh_media_delay",
        "eject_delay",
        "blank_behavior",
    ]);
    let media_type = s
        .one_of("media_type", &MediaType::ALL)?
        .map_or_else(|| err(&s.at("media_type"), "missing (required)"), Ok)?;
    let device_type = s
        .one_of(
            "device_type",
            &[
                ("cdwriter", DeviceType::Cdwriter),
                ("dvdwriter", DeviceType::Dvdwriter),
            ],
        )?
        .unwrap_or(DeviceType::Cdwriter);
    if media_type.is_dvd() != (device_type == DeviceType::Dvdwriter) {
        return err(
            &s.at("media_type"),
            format!(
                "'{}' does not go with device_type {} ({})",
                media_type.name(),
                if device_type == DeviceType::Dvdwriter {
                    "dvdwriter"
                } else {
                    "cdwriter (the default)"
                },
                if device_type == DeviceType::Dvdwriter {
                    "use dvd+r or dvd+rw"
                } else {
                    "use cdr-74, cdrw-74, cdr-80 or cdrw-80, or set device_type dvdwriter"
                }
            ),
        );
    }
    let target_device = s.string("target_device")?;
    match target_device.strip_prefix("mock:") {
        Some(dir) => {
            absolute(&s.at("target_device"), dir)?;
        }
        None => {
            absolute(&s.at("target_device"), &target_device)?;
        }
    }
    let target_scsi_id = s.opt_string("target_scsi_id")?;
    if let Some(id) = &target_scsi_id {
        if !valid_scsi_id(id) {
            return err(
                &s.at("target_scsi_id"),
                format!("'{id}' is not a SCSI address ([method:]bus,target,lun)"),
            );
        }
    }
    let blank_behavior = match child(n, "blank_behavior") {
        None => None,
        Some(b) => Some(parse_blank(b)?),
    };
    Ok(Store {
        source_dir: s.abs_path("source_dir")?,
        media_type,
        device_type,
        target_device,
        target_scsi_id,
        drive_speed: s.int("drive_speed", 1)?,
        check_data: s.flag("check_data")?,
        check_media: s.flag("check_media")?,
        warn_midnite: s.flag("warn_midnite")?,
        no_eject: s.flag("no_eject")?,
        refresh_media_delay: s.int("refresh_media_delay", 0)?.filter(|&d| d > 0),
        eject_delay: s.int("eject_delay", 0)?.filter(|&d| d > 0),
        blank_behavior,
    })
}

/// Cedar's pattern: `[method:]bus,target,lun`, or a macOS `IO…Services[/N]` id.
fn valid_scsi_id(id: &str) -> bool {
    let addr = id
        .rsplit_once(':')
        .map_or(id, |(m, a)| if m.is_empty() { "x" } else { a });
    let parts: Vec<&str> = addr.split(',').map(str::trim).collect();
    let numeric = parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let mac = id.starts_with("IO") && id.contains("Services");
    numeric || mac
}

fn parse_blank(n: Node<'_, '_>) -> Result<BlankBehavior, ConfigError> {
    let s = Section::new(n, "/cb_config/store/blank_behavior");
    s.unknown(&["mode", "factor", "blank_mode", "blank_factor"]);
    // Cedar's parser reads <mode> and <factor> only; its manual prints <blank_mode> and
    // <blank_factor>, which cback3 ignores (and then refuses the section). The refusal
    // names the right element.
    let missing = |name: &str, manual: &str| {
        let hint = if child(n, manual).is_some() {
            format!(
                "missing (required when blank_behavior is set): cback3 reads <{name}>, \
                 not <{manual}> (the manual's name); rename it"
            )
        } else {
            "missing (required when blank_behavior is set)".to_owned()
        };
        err(&s.at(name), hint)
    };
    let mode = s.opt_string("mode")?;
    let factor = s.opt_string("factor")?;
    let mode = match mode.as_deref() {
        None => return missing("mode", "blank_mode"),
        Some("daily") => BlankMode::Daily,
        Some("weekly") => BlankMode::Weekly,
        Some(t) => return err(&s.at("mode"), format!("'{t}' is not one of daily, weekly")),
    };
    let Some(factor_text) = factor else {
        return missing("factor", "blank_factor");
    };
    // Cedar takes any float that is not below zero: `inf` (always a new disc) and `nan`
    // (never, as no ratio compares with it) included.
    let factor = match parse_py_float(&factor_text) {
        Some(f) if f >= 0.0 || f.is_nan() => f,
        _ => {
            return err(
                &s.at("factor"),
                format!("'{factor_text}' is not a number >= 0"),
            )
        }
    };
    Ok(BlankBehavior { mode, factor })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: &str = "<cb_config><options><starting_day>monday</starting_day>\
        <working_dir>/tmp/w</working_dir><backup_user>b</backup_user>\
        <backup_group>g</backup_group><rcp_command>/usr/bin/scp -B</rcp_command></options>\
        <stage><staging_dir>/s</staging_dir><peer><name>p</name><type>local</type>\
        <collect_dir>/c</collect_dir></peer></stage>STORE</cb_config>";

    fn with_store(store: &str) -> Result<Config, ConfigError> {
        Config::parse(&MIN.replace("STORE", store))
    }

    fn store(inner: &str) -> String {
        format!(
            "<store><source_dir>/s</source_dir><media_type>dvd+rw</media_type>\
             <device_type>dvdwriter</device_type><target_device>/dev/sr0</target_device>\
             {inner}</store>"
        )
    }

    #[test]
    fn minimal_defaults() {
        let c = with_store(&store("")).unwrap();
        let s = c.store.unwrap();
        assert!(!s.check_data && !s.check_media && !s.warn_midnite && !s.no_eject);
        assert_eq!(s.blank_behavior, None);
        assert_eq!(s.drive_speed, None);
        assert_eq!(c.options.starting_day, Weekday::Mon);
    }

    #[test]
    fn refusals_name_the_element() {
        let e = with_store(&store("").replace("dvd+rw", "dvd-r")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/cb_config/store/media_type: 'dvd-r' is not one of cdr-74, cdrw-74, cdr-80, cdrw-80, dvd+r, dvd+rw"
        );
        let e = with_store(&store("<check_data>yes</check_data>")).unwrap_err();
        assert_eq!(e.path, "/cb_config/store/check_data");
        let e = with_store(&store("<drive_speed>0</drive_speed>")).unwrap_err();
        assert_eq!(e.path, "/cb_config/store/drive_speed");
        let e = with_store(&store("").replace("/dev/sr0", "sr0")).unwrap_err();
        assert_eq!(e.path, "/cb_config/store/target_device");
        let e = with_store(&store("").replace("dvdwriter", "cdwriter")).unwrap_err();
        assert!(e.reason.contains("does not go with"), "{e}");
        let e = Config::parse(&MIN.replace("monday", "Monday")).unwrap_err();
        assert_eq!(e.path, "/cb_config/options/starting_day");
        let e = Config::parse("<cb_config/>").unwrap_err();
        assert_eq!(e.path, "/cb_config/options");
    }

    #[test]
    fn blank_behavior_both_spellings_and_both_required() {
        let c = with_store(&store(
            "<blank_behavior><mode>daily</mode><factor>1.5</factor></blank_behavior>",
        ))
        .unwrap();
        assert_eq!(
            c.store.unwrap().blank_behavior,
            Some(BlankBehavior {
                mode: BlankMode::Daily,
                factor: 1.5
            })
        );
        // The manual's names are not read by cback3; the refusal says so.
        let e = with_store(&store(
            "<blank_behavior><blank_mode>daily</blank_mode><blank_factor>1.5</blank_factor></blank_behavior>",
        ))
        .unwrap_err();
        assert_eq!(e.path, "/cb_config/store/blank_behavior/mode");
        assert!(e.reason.contains("not <blank_mode>"), "{e}");
        let e = with_store(&store(
            "<blank_behavior><mode>daily</mode></blank_behavior>",
        ))
        .unwrap_err();
        assert_eq!(e.path, "/cb_config/store/blank_behavior/factor");
    }

    #[test]
    fn mock_devices_and_delays() {
        let c = with_store(&store(
            "<refresh_media_delay>0</refresh_media_delay><eject_delay>3</eject_delay>",
        ))
        .unwrap();
        let s = c.store.unwrap();
        assert_eq!((s.refresh_media_delay, s.eject_delay), (None, Some(3)));
        assert!(with_store(&store("").replace("/dev/sr0", "mock:/tmp/d")).is_ok());
        assert!(with_store(&store("").replace("/dev/sr0", "mock:d")).is_err());
    }

    #[test]
    fn scsi_ids() {
        for ok in [
            "0,0,0",
            "ATA:1,0,0",
            "ATAPI:0,1,0",
            "IOCompactDiscServices/2",
        ] {
            assert!(valid_scsi_id(ok), "{ok}");
        }
        for bad in ["0,0", "a,b,c", ":0,0,0"] {
            assert!(!valid_scsi_id(bad), "{bad}");
        }
    }

    #[test]
    fn read_as_cedar_reads() {
        // An empty element is a missing one: optional ones take their default.
        let c = with_store(&store(
            "<check_data></check_data><drive_speed/><refresh_media_delay></refresh_media_delay>",
        ))
        .unwrap();
        let s = c.store.unwrap();
        assert!(!s.check_data);
        assert_eq!((s.drive_speed, s.refresh_media_delay), (None, None));
        // Spaces are part of the text, as for Cedar, except around numbers.
        let e = with_store(&store("<check_data> Y </check_data>")).unwrap_err();
        assert_eq!(e.path, "/cb_config/store/check_data");
        let c = with_store(&store("<drive_speed> 4\n</drive_speed>")).unwrap();
        assert_eq!(c.store.unwrap().drive_speed, Some(4));
        assert!(with_store(&store("").replace("/dev/sr0", " /dev/sr0")).is_err());
        // A peer of another type is skipped, as Cedar skips it.
        let text = MIN.replace(
            "<peer><name>p</name>",
            "<peer><name>x</name><type>ftp</type><collect_dir>/x</collect_dir></peer><peer><name>p</name>",
        );
        let c = Config::parse(&text.replace("STORE", "")).unwrap();
        assert_eq!(c.staging_peers().len(), 1);
        // Hooks: both parts optional, the action a Cedar action name when given.
        let hooks = |h: &str| {
            Config::parse(
                &MIN.replace("</options>", &format!("{h}</options>"))
                    .replace("STORE", ""),
            )
        };
        assert!(hooks("<pre_action_hook><action>store</action></pre_action_hook>").is_ok());
        let e =
            hooks("<pre_action_hook><action>Store</action><command>x</command></pre_action_hook>")
                .unwrap_err();
        assert_eq!(e.path, "/cb_config/options/pre_action_hook/action");
        // Lists drop empty items, as Cedar's comma-separated lists do.
        let c = Config::parse(
            &MIN.replace(
                "</options>",
                "<managed_actions>collect,,stage, </managed_actions></options>",
            )
            .replace("STORE", ""),
        )
        .unwrap();
        assert_eq!(
            c.options.managed_actions,
            Some(vec!["collect".to_owned(), "stage".to_owned()])
        );
        // The cback3 sections are checked too.
        let e = Config::parse(&MIN.replace(
            "STORE",
            "<purge><dir><abs_path>/p</abs_path><retain_days>x</retain_days></dir></purge>",
        ))
        .unwrap_err();
        assert_eq!(e.path, "/cb_config/purge/dir[1]/retain_days");
    }

    #[test]
    fn managed_peer_needs_commands() {
        let text = MIN.replace(
            "<stage>",
            "<peers><peer><name>h</name><type>remote</type><collect_dir>/c</collect_dir>\
             <managed>Y</managed></peer></peers><stage>",
        );
        let e = Config::parse(&text.replace("STORE", "")).unwrap_err();
        assert!(e.reason.contains("rsh_command"), "{e}");
    }
}
