//! A xorriso-compatible front: `spindle xorriso ARGS…`, or the spindle binary started under
//! the name `xorriso`. It speaks the subset of xorriso that duplicity's xorriso backend
//! uses (reference: docs/cedar-notes.md §11), on drives, mock drives and image files, through
//! [`crate::disc::files`].
//!
//! # What is understood
//! Program arguments and dialog lines are the same commands, run in order:
//! `-dev`/`-indev`/`-outdev TARGET`, `-dialog on|single_line|off`, `-version`, `-help`,
//! `-lsl`/`-ls [PATH…]`, `-cpr DISK… ISO [--]`, `-cpx ISO… DISK [--]`, `-rm`/`-rm_r ISO…
//! [--]`, `-commit`, `-end`, `-rollback`, `-rollback_end`, `-tell_media_space`,
//! `-abort_on SEV`, `-return_with SEV N`, `-report_about SEV`, `-osirrox on|off`,
//! `-joliet on|off`, `-volid ID`, `-speed min|max|N[k|c|d|b]`, `-close on|off|as_needed`,
//! `-assert_volid PATTERN SEV` (a shell wildcard pattern), `-cd PATH`, `-pwd`, and the
//! settings that need no action here: `-calm_drive` (spindle never keeps a drive spinning),
//! `-pkt_output off`, `-use_readline off`, `-rockridge on`; `-md5 on|all|off` records MD5
//! checksums in the sessions written (libisofs's format) or not.
//!
//! Everything else is refused: xorriso commands spindle does not implement with a FAILURE
//! naming them, unknown words with xorriso's "Not a known command", and settings spindle
//! cannot honour (`-rockridge off`, `-md5 load_check_off`) with a SORRY.
//!
//! # Exit values
//! 0, or `-return_with`'s value (default 32) when a problem of at least its severity
//! (default SORRY) occurred; 5 when `-abort_on` ends the program arguments, 6 when it ends
//! the dialog (pending changes are then not written). End of input and `-end` commit pending
//! changes.
//!
//! # Targets
//! As [`crate::disc::Target`]: `/dev/srN`, `mock:DIR`, a directory holding a mock drive
//! (duplicity needs an existing path without a colon), `stdio:PATH` or any other path as an
//! image file. An empty image file is a blank medium.

pub mod dialog;
pub mod msg;

use std::ffi::OsStr;
use std::io::BufRead;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::disc::files::restore::restore_file;
use crate::disc::files::view::{leaf, long_line, normalize, quote_name};
use crate::disc::files::{CommitOptions, Medium, NoSpace, Refusal, Speed, Target};
use msg::{Aborted, Messenger, Severity};

/// Exit value when `-abort_on` ends the program arguments.
pub const EXIT_ABORT_ARGS: u8 = 5;
/// Exit value when `-abort_on` ends the dialog.
pub const EXIT_ABORT_DIALOG: u8 = 6;

/// Real xorriso commands this front does not implement: refused by name.
const NOT_IMPLEMENTED: &[&str] = &[
    "-add",
    "-as",
    "-blank",
    "-chmod",
    "-chown",
    "-cp_rx",
    "-cpax",
    "-eject",
    "-extract",
    "-find",
    "-format",
    "-load",
    "-map",
    "-mkdir",
    "-mv",
    "-rmdir",
    "-toc",
    "-update",
    "-update_r",
    "-check_media",
    "-scdbackup_tag",
    "-boot_image",
    "-mark",
];

/// How a command is followed by its arguments.
enum Arity {
    Fixed(usize),
    /// Words up to `--` or the end of the line.
    List,
}

fn arity(cmd: &str) -> Option<Arity> {
    Some(match cmd {
        "-version" | "-help" | "-commit" | "-end" | "-rollback" | "-rollback_end"
        | "-tell_media_space" | "-pwd" | "-for_backup" => Arity::Fixed(0),
        "-padding" | "-stdio_sync" | "-compliance" | "-hardlinks" | "-acl" | "-xattr"
        | "-disk_dev_ino" => Arity::Fixed(1),
        "-dev" | "-indev" | "-outdev" | "-dialog" | "-abort_on" | "-report_about" | "-osirrox"
        | "-calm_drive" | "-joliet" | "-speed" | "-md5" | "-volid" | "-close" | "-cd"
        | "-pkt_output" | "-use_readline" | "-rockridge" => Arity::Fixed(1),
        "-return_with" | "-assert_volid" => Arity::Fixed(2),
        "-lsl" | "-ls" | "-cpr" | "-cpx" | "-rm" | "-rm_r" => Arity::List,
        _ => return None,
    })
}

/// What the dialog does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Go,
    End,
}

/// The interpreter's state.
pub struct Xorriso {
    msg: Messenger,
    medium: Option<Medium>,
    indev: Option<Target>,
    outdev: Option<Target>,
    osirrox: bool,
    commit: CommitOptions,
    assert_volid: Option<(String, Severity)>,
    cwd: Vec<u8>,
    dialog: bool,
    in_dialog: bool,
}

impl std::fmt::Debug for Xorriso {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Xorriso")
            .field("indev", &self.indev)
            .field("outdev", &self.outdev)
            .field("dialog", &self.dialog)
            .finish_non_exhaustive()
    }
}

/// Runs the front with the process's standard streams. `args` excludes the program name.
pub fn run(args: &[String]) -> u8 {
    let stdin = std::io::stdin();
    let mut x = Xorriso::new(Messenger::new(
        Box::new(std::io::stdout()),
        Box::new(std::io::stderr()),
    ));
    x.main(args, &mut stdin.lock())
}

/// `true` when the binary was started under the name `xorriso` (a symlink or a copy).
pub fn invoked_as_xorriso(argv0: &OsStr) -> bool {
    Path::new(argv0).file_name().is_some_and(|n| n == "xorriso")
}

impl Xorriso {
    /// A front writing to `msg`.
    pub fn new(msg: Messenger) -> Xorriso {
        Xorriso {
            msg,
            medium: None,
            indev: None,
            outdev: None,
            osirrox: false,
            commit: CommitOptions::default(),
            assert_volid: None,
            cwd: b"/".to_vec(),
            dialog: false,
            in_dialog: false,
        }
    }

    /// Program arguments, then the dialog if `-dialog on` was given, then the end of the
    /// program (pending changes written). Returns the exit value.
    pub fn main(&mut self, args: &[String], input: &mut dyn BufRead) -> u8 {
        self.msg.info(&format!(
            "spindle {} : xorriso-compatible front of the spindle optical backup tool",
            env!("CARGO_PKG_VERSION")
        ));
        self.msg.info("");
        if self.execute(args).is_err() {
            return EXIT_ABORT_ARGS;
        }
        if self.dialog {
            self.in_dialog = true;
            loop {
                self.msg.prompt();
                let mut raw = Vec::new();
                match input.read_until(b'\n', &mut raw) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                let line = String::from_utf8_lossy(&raw).into_owned();
                let echo = line.trim_end_matches(['\n', '\r']);
                self.msg.result(echo);
                self.msg
                    .info("==============================================================");
                let words = match dialog::split(&line) {
                    Ok(w) => w,
                    Err(e) => {
                        self.msg.msg(
                            Severity::Sorry,
                            &format!("Quotation mark {} not closed in dialog line", e.quote),
                        );
                        if self.msg.end_command(Severity::Never).is_err() {
                            return EXIT_ABORT_DIALOG;
                        }
                        continue;
                    }
                };
                match self.execute(&words) {
                    Err(Aborted) => return EXIT_ABORT_DIALOG,
                    Ok(Flow::End) => return self.msg.exit_value(),
                    Ok(Flow::Go) => {}
                }
                if !self.dialog {
                    break;
                }
            }
        }
        // End of input or of the arguments: like -end.
        match self.end_program() {
            Ok(()) => self.msg.exit_value(),
            Err(Aborted) if self.in_dialog => EXIT_ABORT_DIALOG,
            Err(Aborted) => EXIT_ABORT_ARGS,
        }
    }

    fn default_abort(&self) -> Severity {
        if self.in_dialog {
            Severity::Never
        } else {
            Severity::Failure
        }
    }

    fn end_program(&mut self) -> Result<(), Aborted> {
        if self
            .medium
            .as_ref()
            .is_some_and(|m| !m.view.pending().is_empty())
        {
            self.do_commit();
            self.msg.end_command(self.default_abort())?;
        }
        Ok(())
    }

    /// Runs a sequence of commands with their arguments.
    fn execute(&mut self, words: &[String]) -> Result<Flow, Aborted> {
        let mut i = 0;
        while i < words.len() {
            let cmd = words[i].as_str();
            let Some(ar) = arity(cmd) else {
                if NOT_IMPLEMENTED.contains(&cmd) {
                    self.msg.msg(
                        Severity::Failure,
                        &format!("{cmd}: this xorriso command is not implemented by spindle"),
                    );
                } else {
                    self.msg
                        .msg(Severity::Failure, &format!("Not a known command:  '{cmd}'"));
                    self.msg.info("");
                }
                self.msg.end_command(self.default_abort())?;
                // The rest of the line belonged to a command we do not know.
                return Ok(Flow::Go);
            };
            let rest = &words[i + 1..];
            let (args, used) = match ar {
                Arity::Fixed(n) if rest.len() < n => {
                    self.msg.msg(
                        Severity::Failure,
                        &format!("Not enough arguments with command {cmd}"),
                    );
                    self.msg.end_command(self.default_abort())?;
                    return Ok(Flow::Go);
                }
                Arity::Fixed(n) => (&rest[..n], n),
                Arity::List => match rest.iter().position(|w| w == "--") {
                    Some(p) => (&rest[..p], p + 1),
                    None => (rest, rest.len()),
                },
            };
            i += 1 + used;
            let flow = self.command(cmd, args);
            self.msg.end_command(self.default_abort())?;
            if flow == Flow::End {
                return Ok(Flow::End);
            }
        }
        Ok(Flow::Go)
    }

    fn on_off(&mut self, cmd: &str, v: &str) -> Option<bool> {
        match v {
            "on" => Some(true),
            "off" => Some(false),
            _ => {
                self.msg.msg(
                    Severity::Sorry,
                    &format!("{cmd}: unknown mode '{v}' (spindle knows 'on' and 'off')"),
                );
                None
            }
        }
    }

    fn command(&mut self, cmd: &str, a: &[String]) -> Flow {
        match cmd {
            "-version" => {
                self.msg.result(&format!(
                    "spindle {} : xorriso-compatible front (a subset of xorriso's commands)",
                    env!("CARGO_PKG_VERSION")
                ));
                self.msg
                    .result("Provided under GNU GPL version 2 or later. There is NO WARRANTY.");
            }
            "-help" => {
                for l in [
                    "spindle's xorriso-compatible front understands:",
                    "  -dev|-indev|-outdev TARGET   -dialog on|off|single_line   -version",
                    "  -lsl|-ls [path ...]   -cpr disk... iso --   -cpx iso... disk --",
                    "  -rm|-rm_r iso... --   -commit   -end   -rollback   -rollback_end",
                    "  -tell_media_space   -abort_on SEV   -return_with SEV N   -report_about SEV",
                    "  -osirrox on|off   -joliet on|off   -volid ID   -speed min|max|N",
                    "  -close on|off|as_needed   -assert_volid PATTERN SEV   -cd PATH   -pwd",
                    "  -calm_drive, -md5 on|all|off, -pkt_output off, -use_readline off, -rockridge on",
                    "TARGET: /dev/srN, mock:DIR, a mock drive directory, stdio:FILE or an image file",
                ] {
                    self.msg.result(l);
                }
            }
            "-dev" | "-indev" | "-outdev" => self.dev(cmd, &a[0]),
            "-dialog" => match a[0].as_str() {
                "on" | "single_line" => self.dialog = true,
                "off" => self.dialog = false,
                v => self
                    .msg
                    .msg(Severity::Sorry, &format!("-dialog: unknown mode '{v}'")),
            },
            "-abort_on" => match Severity::parse(&a[0]) {
                Some(s) => self.msg.abort_on = Some(s),
                None => self.bad_severity(cmd, &a[0]),
            },
            "-report_about" => match Severity::parse(&a[0]) {
                Some(s) => self.msg.report_about = s,
                None => self.bad_severity(cmd, &a[0]),
            },
            "-return_with" => match (Severity::parse(&a[0]), a[1].parse::<u8>()) {
                (Some(s), Ok(n)) => self.msg.return_with = (s, n),
                (None, _) => self.bad_severity(cmd, &a[0]),
                (_, Err(_)) => self.msg.msg(
                    Severity::Sorry,
                    &format!("-return_with: exit value '{}' is not a number 0..255", a[1]),
                ),
            },
            "-osirrox" => {
                if let Some(on) = self.on_off(cmd, &a[0]) {
                    self.osirrox = on;
                    self.msg.info(&format!(
                        "Copying of file objects from ISO image to disk filesystem is: {}",
                        if on { "Enabled" } else { "Disabled" }
                    ));
                }
            }
            "-joliet" => {
                if let Some(on) = self.on_off(cmd, &a[0]) {
                    self.commit.joliet = on;
                }
            }
            "-calm_drive" | "-use_readline" => {}
            // Options duplicity users put in XORRISO_ARGS: accepted with what they mean for
            // spindle, or refused as xorriso refuses a bad value.
            "-for_backup" => {
                // xorriso: -hardlinks on -acl on -xattr on -md5 on.
                self.msg.msg(
                    Severity::Note,
                    "-for_backup: spindle records hard links (one extent, Rock Ridge link count) and MD5 checksums; it does not record ACLs or extended attributes",
                );
                self.commit.md5 = true;
            }
            "-hardlinks" | "-disk_dev_ino" => {
                self.on_off(cmd, &a[0]);
            }
            "-acl" | "-xattr" => {
                let what = if cmd == "-acl" {
                    "ACLs"
                } else {
                    "extended attributes"
                };
                let on = self.on_off(cmd, &a[0]) == Some(true);
                let text = format!("{cmd} on: spindle does not record {what} in the image");
                self.msg.msg(
                    if on {
                        Severity::Warning
                    } else {
                        Severity::Debug
                    },
                    &text,
                );
            }
            "-padding" => {
                let v = a[0].as_str();
                let ok = matches!(v, "included" | "appended")
                    || crate::disc::write::parse_capacity(v).is_ok();
                if ok {
                    self.msg.msg(
                        Severity::Note,
                        "-padding: spindle pads every session to the medium's write unit (32 KiB on DVD, 64 KiB on BD, 300 blocks minimum on CD) and adds no other padding",
                    );
                } else {
                    self.msg.msg(
                        Severity::Failure,
                        &format!("-padding: Unrecognized size '{v}'"),
                    );
                }
            }
            "-stdio_sync" => {
                let v = a[0].as_str();
                if matches!(v, "on" | "off" | "end") || v.parse::<u64>().is_ok() {
                    self.msg.msg(
                        Severity::Note,
                        "-stdio_sync: spindle flushes an image file once, after the session's data and again after its volume descriptors, whatever this is set to",
                    );
                } else {
                    self.msg.msg(
                        Severity::Failure,
                        &format!("-stdio_sync : Unknown mode '{v}'"),
                    );
                }
            }
            "-compliance" => {
                self.msg.msg(
                    Severity::Note,
                    &format!("-compliance '{}': spindle writes ISO 9660 level 3 names with Rock Ridge 1.12 and Joliet; its rules are fixed", a[0]),
                );
            }
            // xorriso: "all" also checks files while they are read in; spindle computes each
            // file's MD5 as it writes it, which is what "on" records.
            "-md5" if matches!(a[0].as_str(), "on" | "all") => self.commit.md5 = true,
            "-md5" if a[0] == "off" => self.commit.md5 = false,
            "-md5" | "-pkt_output" if a[0] != "off" => {
                self.msg.msg(
                    Severity::Sorry,
                    &format!("{cmd} '{}': not implemented by spindle (only 'off')", a[0]),
                );
            }
            "-rockridge" if a[0] != "on" => {
                self.msg.msg(
                    Severity::Sorry,
                    "-rockridge: spindle always writes Rock Ridge",
                );
            }
            "-md5" | "-pkt_output" | "-rockridge" => {}
            "-volid" => {
                if a[0].len() > 32 || !a[0].is_ascii() {
                    self.msg.msg(
                        Severity::Sorry,
                        &format!("-volid: '{}' is longer than 32 ASCII characters", a[0]),
                    );
                } else {
                    self.commit.volume_id = Some(a[0].clone());
                }
            }
            "-speed" => match parse_speed(&a[0]) {
                Some(s) => self.commit.speed = Some(s),
                None => self.msg.msg(
                    Severity::Sorry,
                    &format!("-speed: cannot understand '{}'", a[0]),
                ),
            },
            "-close" => match a[0].as_str() {
                "on" => self.commit.finalize = true,
                "off" | "as_needed" => self.commit.finalize = false,
                v => self
                    .msg
                    .msg(Severity::Sorry, &format!("-close: unknown mode '{v}'")),
            },
            "-assert_volid" => match Severity::parse(&a[1]) {
                Some(sev) => {
                    self.assert_volid = Some((a[0].clone(), sev));
                    if let Some(m) = &self.medium {
                        let id = m.volume_id.clone();
                        let blank = m.blank;
                        if !blank && !self.volid_ok(&id) {
                            self.medium = None;
                        }
                    }
                }
                None => self.bad_severity(cmd, &a[1]),
            },
            "-cd" => self.cwd = normalize(&self.cwd, a[0].as_bytes()),
            "-pwd" => {
                let l = quote_name(&self.cwd);
                self.msg.result(&l);
            }
            "-tell_media_space" => self.tell_media_space(),
            "-lsl" => self.ls(a, true),
            "-ls" => self.ls(a, false),
            "-cpr" => self.cpr(a),
            "-cpx" => self.cpx(a),
            "-rm" => self.rm(a, false),
            "-rm_r" => self.rm(a, true),
            "-commit" => self.commit_cmd(),
            "-rollback" => self.rollback(),
            "-end" => {
                self.end_cmd();
                return Flow::End;
            }
            "-rollback_end" => return Flow::End,
            _ => {}
        }
        Flow::Go
    }

    fn bad_severity(&mut self, cmd: &str, s: &str) {
        self.msg.msg(
            Severity::Sorry,
            &format!("{cmd}: not a known severity name '{s}'"),
        );
    }

    fn volid_ok(&mut self, id: &str) -> bool {
        let Some((pattern, sev)) = self.assert_volid.clone() else {
            return true;
        };
        if wildcard_match(pattern.as_bytes(), id.as_bytes()) {
            return true;
        }
        self.msg.msg(
            sev,
            &format!("-assert_volid: Volume id does not match pattern: '{pattern}' <> '{id}'"),
        );
        false
    }

    fn dev(&mut self, cmd: &str, spec: &str) {
        if self
            .medium
            .as_ref()
            .is_some_and(|m| !m.view.pending().is_empty())
        {
            self.msg.msg(
                Severity::Failure,
                &format!("{cmd}: Image changes pending. -commit or -rollback first"),
            );
            return;
        }
        let target = match Target::parse(spec) {
            Ok(t) => t,
            Err(e) => {
                self.msg.msg(Severity::Failure, &format!("{cmd}: {e:#}"));
                return;
            }
        };
        if cmd != "-indev" {
            self.outdev = Some(target.clone());
        }
        if cmd == "-outdev" && self.indev.is_some() && self.indev.as_ref() != Some(&target) {
            self.msg.msg(
                Severity::Failure,
                "-outdev: a different output drive than the input drive is not implemented by spindle",
            );
            return;
        }
        if cmd != "-outdev" {
            self.indev = Some(target.clone());
        }
        match Medium::load(&target) {
            Ok(m) => {
                if !m.blank {
                    self.msg.msg(
                        Severity::Note,
                        &format!("Loading ISO image tree from LBA {}", m.session_start),
                    );
                    if !self.volid_ok(&m.volume_id) {
                        return;
                    }
                }
                self.medium = Some(m);
                self.cwd = b"/".to_vec();
                self.summary(cmd);
            }
            Err(e) => {
                self.medium = None;
                self.msg.msg(
                    Severity::Failure,
                    &format!("Cannot acquire drive '{spec}' : {e:#}"),
                );
            }
        }
    }

    fn summary(&mut self, cmd: &str) {
        let Some(m) = &self.medium else { return };
        let mut lines = vec![
            format!("Drive current: {cmd} '{}'", m.target().name()),
            format!("Media current: {}", m.media_kind),
        ];
        if m.blank {
            lines.push("Media status : is blank".to_owned());
        } else if m.appendable {
            lines.push("Media status : is written , is appendable".to_owned());
        } else {
            lines.push("Media status : is written , is closed".to_owned());
        }
        let free = m
            .free_blocks
            .map_or_else(|| "unknown".to_owned(), |f| human(f * 2048));
        lines.push(format!(
            "Media summary: {} data blocks, {} data, {} free",
            m.volume_blocks,
            human(u64::from(m.volume_blocks) * 2048),
            free
        ));
        if !m.blank {
            lines.push(format!("Volume id    : '{}'", m.volume_id));
        }
        for l in lines {
            self.msg.info(&l);
        }
    }

    fn need_medium(&mut self, cmd: &str) -> bool {
        if self.medium.is_some() {
            return true;
        }
        self.msg.msg(
            Severity::Failure,
            &format!("{cmd}: No ISO image present. No -dev, -indev, or -outdev selected."),
        );
        false
    }

    fn tell_media_space(&mut self) {
        if !self.need_medium("-tell_media_space") {
            return;
        }
        let Some(m) = &self.medium else { return };
        let Some(free) = m.free_blocks else {
            self.msg.msg(
                Severity::Sorry,
                "-tell_media_space: free space is not known",
            );
            return;
        };
        let after = if m.view.pending().is_empty() {
            Ok(free)
        } else {
            crate::disc::files::plan_sectors(m, &self.commit).map(|s| free.saturating_sub(s))
        };
        self.msg.result(&format!("Media space  : {free}s"));
        match after {
            Ok(a) => self.msg.result(&format!("After commit : {a}s")),
            Err(e) => self
                .msg
                .msg(Severity::Sorry, &format!("-tell_media_space: {e:#}")),
        }
    }

    fn ls(&mut self, args: &[String], long: bool) {
        let cmd = if long { "-lsl" } else { "-ls" };
        if !self.need_medium(cmd) {
            return;
        }
        let default = [".".to_owned()];
        let args = if args.is_empty() { &default[..] } else { args };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let mut out = Vec::new();
        let mut warnings = Vec::new();
        let Some(m) = &self.medium else { return };
        let many = args.len() > 1;
        for a in args {
            let p = normalize(&self.cwd, a.as_bytes());
            match m.view.get(&p) {
                None => warnings.push(format!("Not found in ISO image: {}", quote_name(&p))),
                Some(n) if n.is_dir() => {
                    let kids = m.view.children(&p);
                    if many {
                        out.push(String::new());
                        out.push(format!("{}:", quote_name(&p)));
                    }
                    out.push(format!("total {}", kids.len()));
                    for (name, node) in kids {
                        out.push(if long {
                            long_line(node, name, now)
                        } else {
                            quote_name(name)
                        });
                    }
                }
                Some(n) => out.push(if long {
                    long_line(n, a.as_bytes(), now)
                } else {
                    quote_name(a.as_bytes())
                }),
            }
        }
        for l in out {
            self.msg.result(&l);
        }
        for w in warnings {
            self.msg.msg(Severity::Warning, &w);
        }
    }

    fn cpr(&mut self, args: &[String]) {
        if !self.need_medium("-cpr") {
            return;
        }
        let Some((dest, sources)) = args.split_last().filter(|(_, s)| !s.is_empty()) else {
            self.msg
                .msg(Severity::Failure, "-cpr: Not enough arguments");
            return;
        };
        let started = Instant::now();
        let dest = normalize(&self.cwd, dest.as_bytes());
        let mut added = 0u64;
        let mut lines = Vec::new();
        let mut problems = Vec::new();
        let Some(m) = self.medium.as_mut() else {
            return;
        };
        let into_dir = sources.len() > 1 || m.view.get(&dest).is_some_and(|n| n.is_dir());
        for src in sources {
            let src_path = Path::new(src);
            let target = if into_dir {
                match src_path.file_name() {
                    Some(n) => normalize(&dest, n.as_bytes()),
                    None => {
                        problems.push(format!("-cpr: Source has no file name: '{src}'"));
                        continue;
                    }
                }
            } else {
                dest.clone()
            };
            let is_dir = std::fs::symlink_metadata(src_path).is_ok_and(|md| md.is_dir());
            match m.view.copy_in(src_path, &target) {
                Ok(n) => {
                    added += n;
                    lines.push(format!(
                        "Added to ISO image: {} {}={}",
                        if is_dir { "directory" } else { "file" },
                        quote_name(&target),
                        quote_name(src.as_bytes())
                    ));
                }
                Err(e) => problems.push(format!("-cpr: {e:#}")),
            }
        }
        for l in lines {
            self.msg.info(&l);
        }
        for p in problems {
            self.msg.msg(Severity::Failure, &p);
        }
        if added > 0 {
            let secs = started.elapsed().as_secs().max(1);
            self.msg.msg(
                Severity::Update,
                &format!("{added:>7} files added in {secs} seconds"),
            );
        }
    }

    fn cpx(&mut self, args: &[String]) {
        if !self.need_medium("-cpx") {
            return;
        }
        if !self.osirrox {
            self.msg.msg(
                Severity::Failure,
                "-cpx: image-to-disk copies are not enabled by option -osirrox",
            );
            return;
        }
        let Some((dest, sources)) = args.split_last().filter(|(_, s)| !s.is_empty()) else {
            self.msg
                .msg(Severity::Failure, "-cpx: Not enough arguments");
            return;
        };
        let started = Instant::now();
        let dest = PathBuf::from(dest);
        let into_dir = sources.len() > 1 || dest.is_dir();
        let as_root = nix::unistd::geteuid().is_root();
        let mut restored = 0u64;
        let mut bytes = 0u64;
        for s in sources {
            let p = normalize(&self.cwd, s.as_bytes());
            let Some(m) = &self.medium else { return };
            let node = match m.view.get(&p) {
                None => Err(format!(
                    "Cannot find path {} in loaded ISO image",
                    quote_name(&p)
                )),
                Some(n) if n.is_dir() => {
                    Err(format!("-cpx: May not copy directory {}", quote_name(&p)))
                }
                Some(n) if n.kind != crate::disc::files::NodeKind::File => Err(format!(
                    "-cpx: {} is not a regular file (spindle copies only those)",
                    quote_name(&p)
                )),
                Some(n) => Ok(n.clone()),
            };
            let node = match node {
                Ok(n) => n,
                Err(problem) => {
                    self.msg.msg(Severity::Failure, &problem);
                    continue;
                }
            };
            let out_path = if into_dir {
                dest.join(OsStr::from_bytes(leaf(&p)))
            } else {
                dest.clone()
            };
            // As `spindle get` restores: mode and times kept, and the owner when root.
            match restore_file(m, &p, &out_path, &node, as_root) {
                Ok(()) => {
                    restored += 1;
                    bytes += node.size;
                    self.msg.info(&format!(
                        "Copied from ISO image to disk: file {} = {}",
                        quote_name(&p),
                        quote_name(out_path.as_os_str().as_bytes())
                    ));
                }
                Err(e) => self.msg.msg(
                    Severity::Failure,
                    &format!(
                        "-cpx: Cannot copy {} to {} : {e:#}",
                        quote_name(&p),
                        quote_name(out_path.as_os_str().as_bytes())
                    ),
                ),
            }
        }
        if restored > 0 {
            let secs = started.elapsed().as_secs().max(1);
            self.msg.msg(
                Severity::Update,
                &format!(
                    "{restored:>7} files restored ({}) in {secs} seconds",
                    restored_size(bytes)
                ),
            );
        }
    }

    fn rm(&mut self, args: &[String], recursive: bool) {
        let cmd = if recursive { "-rm_r" } else { "-rm" };
        if !self.need_medium(cmd) {
            return;
        }
        for a in args {
            let p = normalize(&self.cwd, a.as_bytes());
            let Some(m) = self.medium.as_mut() else {
                return;
            };
            let was_dir = m.view.get(&p).is_some_and(|n| n.is_dir());
            match m.view.remove(&p, recursive) {
                Ok(()) => self.msg.info(&format!(
                    "Removed from ISO image: {} {}",
                    if was_dir { "subtree" } else { "file" },
                    quote_name(&p)
                )),
                Err(Refusal::NotFound) => self.msg.msg(
                    Severity::Sorry,
                    &format!(
                        "Cannot find path {} in loaded ISO image for removal",
                        quote_name(&p)
                    ),
                ),
                Err(Refusal::IsDirectory) => self.msg.msg(
                    Severity::Failure,
                    &format!("{} in loaded ISO image is a directory", quote_name(&p)),
                ),
                Err(r) => self.msg.msg(
                    Severity::Failure,
                    &format!(
                        "{cmd}: cannot remove {} ({r:?}): it lies in a directory copied by a pending -cpr; -commit first",
                        quote_name(&p)
                    ),
                ),
            }
        }
    }

    fn commit_cmd(&mut self) {
        let pending = self.medium.as_ref().map(|m| !m.view.pending().is_empty());
        match pending {
            None => {
                self.need_medium("-commit");
            }
            Some(false) => self
                .msg
                .msg(Severity::Warning, "-commit: No image modifications pending"),
            Some(true) => self.do_commit(),
        }
    }

    fn do_commit(&mut self) {
        if self.outdev.is_none() || self.outdev != self.indev && self.indev.is_some() {
            self.msg.msg(
                Severity::Failure,
                "-commit: No output drive selected (spindle writes where -dev loaded from)",
            );
            return;
        }
        let Some(m) = self.medium.as_mut() else {
            return;
        };
        let name = m.target().name();
        match m.commit(&self.commit) {
            Ok(Some(c)) => {
                let start = m.session_start;
                for l in [
                    format!("ISO image produced: {} sectors", c.sectors),
                    format!(
                        "Written to medium : {} sectors at LBA {}",
                        c.sectors, c.start_lba
                    ),
                    format!("Writing to '{name}' completed successfully."),
                    String::new(),
                ] {
                    self.msg.info(&l);
                }
                self.msg
                    .msg(Severity::Note, &format!("Re-assessing -outdev '{name}'"));
                self.msg.msg(
                    Severity::Note,
                    &format!("Loading ISO image tree from LBA {start}"),
                );
                self.summary("-dev");
            }
            Ok(None) => self
                .msg
                .msg(Severity::Warning, "-commit: No image modifications pending"),
            Err(e) => {
                if let Some(ns) = e.downcast_ref::<NoSpace>() {
                    self.msg.msg(Severity::Failure, &ns.to_string());
                } else {
                    self.msg.msg(
                        Severity::Failure,
                        &format!("-commit: writing to '{name}' failed: {e:#}"),
                    );
                }
            }
        }
    }

    fn end_cmd(&mut self) {
        if self
            .medium
            .as_ref()
            .is_some_and(|m| !m.view.pending().is_empty())
        {
            self.do_commit();
        }
    }

    fn rollback(&mut self) {
        if let Some(m) = self.medium.as_mut() {
            if let Err(e) = m.rollback() {
                self.msg
                    .msg(Severity::Failure, &format!("-rollback: {e:#}"));
            }
        }
    }
}

/// `-speed`: `min`, `max`, or a number with an optional unit (`k` kB/s, the default; `c`
/// CD 1x = 176.4 kB/s; `d` DVD 1x = 1385 kB/s; `b` BD 1x = 4495.625 kB/s).
fn parse_speed(s: &str) -> Option<Speed> {
    match s {
        "min" => return Some(Speed::Min),
        "max" | "0" | "-1" | "any" => return Some(Speed::Max),
        _ => {}
    }
    let (num, factor) = match s.as_bytes().last()? {
        b'k' | b'K' => (&s[..s.len() - 1], 1.0),
        b'c' | b'C' => (&s[..s.len() - 1], 176.4),
        b'd' | b'D' => (&s[..s.len() - 1], 1385.0),
        b'b' | b'B' => (&s[..s.len() - 1], 4495.625),
        _ => (s, 1.0),
    };
    let v: f64 = num.parse().ok()?;
    if v.is_nan() || v <= 0.0 {
        return None;
    }
    Some(Speed::Kbps(
        (v * factor).round().min(f64::from(u32::MAX)) as u32
    ))
}

/// Shell wildcard matching (`*`, `?`, `[...]`) for `-assert_volid`.
fn wildcard_match(pat: &[u8], s: &[u8]) -> bool {
    match pat.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| wildcard_match(rest, &s[i..])),
        Some((b'?', rest)) => !s.is_empty() && wildcard_match(rest, &s[1..]),
        Some((b'[', rest)) => {
            let Some(end) = rest.iter().skip(1).position(|&c| c == b']').map(|p| p + 1) else {
                return s.first() == Some(&b'[') && wildcard_match(rest, &s[1..]);
            };
            let (set, after) = (&rest[..end], &rest[end + 1..]);
            let Some(&c) = s.first() else { return false };
            let (negate, set) = match set.split_first() {
                Some((b'!' | b'^', r)) => (true, r),
                _ => (false, set),
            };
            let mut hit = false;
            let mut i = 0;
            while i < set.len() {
                if i + 2 < set.len() && set[i + 1] == b'-' {
                    hit |= set[i] <= c && c <= set[i + 2];
                    i += 3;
                } else {
                    hit |= set[i] == c;
                    i += 1;
                }
            }
            hit != negate && wildcard_match(after, &s[1..])
        }
        Some((&c, rest)) => s.first() == Some(&c) && wildcard_match(rest, &s[1..]),
    }
}

/// Sizes as xorriso's summaries show them: `62.0k`, `4.4g`.
fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if b < 1024.0 * 1024.0 {
        format!("{:.1}k", b / 1024.0)
    } else if b < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.1}m", b / (1024.0 * 1024.0))
    } else {
        format!("{:.1}g", b / (1024.0 * 1024.0 * 1024.0))
    }
}

fn restored_size(bytes: u64) -> String {
    if bytes < 1_000_000 {
        format!("{bytes:>6}b")
    } else {
        format!("{:>6}", human(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speeds() {
        assert_eq!(parse_speed("min"), Some(Speed::Min));
        assert_eq!(parse_speed("max"), Some(Speed::Max));
        assert_eq!(parse_speed("4d"), Some(Speed::Kbps(5540)));
        assert_eq!(parse_speed("1385"), Some(Speed::Kbps(1385)));
        assert_eq!(parse_speed("fast"), None);
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match(b"ISO*", b"ISOIMAGE"));
        assert!(!wildcard_match(b"FOO*", b"ISOIMAGE"));
        assert!(wildcard_match(b"DUP_??", b"DUP_01"));
        assert!(wildcard_match(b"[A-C]X", b"BX"));
        assert!(!wildcard_match(b"[!A-C]X", b"BX"));
        assert!(wildcard_match(b"*", b""));
    }

    #[test]
    fn argv0() {
        assert!(invoked_as_xorriso(OsStr::new("/usr/local/bin/xorriso")));
        assert!(!invoked_as_xorriso(OsStr::new("spindle")));
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human(31 * 2048), "62.0k");
        assert_eq!(restored_size(6), "     6b");
    }
}
