//! Manual pages: one for `spindle`, one for each of its subcommands (nested ones too:
//! `spindle-mock-new(1)`), `mmc-probe(1)` and `spindle-cedar(5)`.
//!
//! NAME, SYNOPSIS, DESCRIPTION, OPTIONS and SUBCOMMANDS come from the clap definitions
//! (`clap_mangen`), so a new flag is documented the moment it exists. The rest is written
//! here: EXIT STATUS from the tables in [`cli::exit`], NOTES and EXAMPLES from each
//! command's `after_help` (its "Examples:" block becomes EXAMPLES; "Exit codes:" is replaced
//! by EXIT STATUS), more EXAMPLES where a command has none, FILES, ENVIRONMENT and SEE ALSO.
//! `spindle-cedar(5)` describes a file format, not a command, and is written by hand in
//! `dist/man/spindle-cedar.5`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap_mangen::roff::{bold, italic, roman, Inline, Roff};

/// One manual page.
#[derive(Debug, Clone)]
pub struct Page {
    /// The page name: `spindle`, `spindle-burn`, `spindle-mock-new`, `mmc-probe`.
    pub name: String,
    /// The manual section: "1" or "5".
    pub section: &'static str,
    /// The page source (man(7) macros).
    pub roff: String,
}

impl Page {
    /// `NAME.SECTION`, the file name `man` looks up.
    pub fn file_name(&self) -> String {
        format!("{}.{}", self.name, self.section)
    }
}

/// The configuration page, written by hand: it documents a file, not a command line.
pub const CEDAR_PAGE: &str = include_str!("../man/spindle-cedar.5");

/// Every page.
pub fn pages() -> Vec<Page> {
    let mut out = Vec::new();
    let mut spindle = no_help_subcommands(crate::spindle_command());
    spindle.build();
    collect(&spindle, &mut out);
    let mut probe = crate::probe_command();
    probe.build();
    out.push(render(&probe, Tool::Probe));
    out.push(Page {
        name: "spindle-cedar".into(),
        section: "5",
        roff: CEDAR_PAGE.to_owned(),
    });
    out
}

/// Writes every page to `DIR/manN/NAME.N`. Returns the files written.
///
/// # Errors
/// I/O errors, naming the path.
pub fn write(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for p in pages() {
        let d = dir.join(format!("man{}", p.section));
        std::fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
        let path = d.join(p.file_name());
        std::fs::write(&path, &p.roff).with_context(|| format!("writing {}", path.display()))?;
        files.push(path);
    }
    Ok(files)
}

/// clap adds a `help` subcommand to every command with subcommands; it has no page.
fn no_help_subcommands(cmd: clap::Command) -> clap::Command {
    cmd.disable_help_subcommand(true)
        .mut_subcommands(no_help_subcommands)
}

fn collect(cmd: &clap::Command, out: &mut Vec<Page>) {
    out.push(render(cmd, Tool::Spindle));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub, out);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tool {
    Spindle,
    Probe,
}

/// The command's page name: `spindle`, `spindle-mock-new`.
fn page_name(cmd: &clap::Command) -> String {
    cmd.get_display_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_owned()
}

/// The part after `spindle-`: `burn`, `mock-new`; empty for `spindle` itself.
fn sub_name(name: &str) -> &str {
    name.strip_prefix("spindle-").unwrap_or("")
}

const CEDAR_ACTIONS: [&str; 8] = [
    "store",
    "stage",
    "rebuild",
    "initialize",
    "validate",
    "collect",
    "purge",
    "all",
];

fn is_cedar(sub: &str) -> bool {
    CEDAR_ACTIONS.contains(&sub) || sub == "config" || sub == "config-check"
}

fn render(cmd: &clap::Command, tool: Tool) -> Page {
    let name = page_name(cmd);
    let man = clap_mangen::Man::new(cmd.clone())
        .title(name.to_uppercase())
        .section("1")
        .source(format!("spindle {}", env!("CARGO_PKG_VERSION")))
        .manual("spindle manual");
    let mut src = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = man.render_title(&mut src);
    let _ = man.render_name_section(&mut src);
    let _ = man.render_synopsis_section(&mut src);
    let _ = man.render_description_section(&mut src);
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        let _ = man.render_options_section(&mut src);
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        let _ = man.render_subcommands_section(&mut src);
    }
    let after = cmd
        .get_after_long_help()
        .or_else(|| cmd.get_after_help())
        .map(ToString::to_string)
        .unwrap_or_default();
    let help = AfterHelp::parse(&after);
    let mut r = Roff::new();
    exit_status(&mut r, tool, &name);
    environment(&mut r, tool, &name);
    files(&mut r, tool, &name);
    notes(&mut r, &name, &help.notes);
    examples(&mut r, &name, &help.examples);
    see_also(&mut r, cmd, tool, &name);
    let mut text = String::from_utf8_lossy(&src).into_owned();
    text.push_str(&r.to_roff());
    Page {
        name,
        section: "1",
        roff: text,
    }
}

/// A command's `after_help`, split into paragraphs and examples.
#[derive(Debug, Default)]
struct AfterHelp {
    notes: Vec<String>,
    examples: Vec<(String, String)>,
}

impl AfterHelp {
    fn parse(text: &str) -> AfterHelp {
        let mut h = AfterHelp::default();
        for block in text.split("\n\n") {
            let mut lines = block.lines();
            let Some(first) = lines.next() else { continue };
            match first.trim() {
                "Examples:" => {
                    for l in lines {
                        let l = l.trim();
                        let (cmd, what) = match l.split_once("  ") {
                            Some((c, w)) => (c.trim(), w.trim()),
                            None => (l, ""),
                        };
                        h.examples.push((cmd.to_owned(), what.to_owned()));
                    }
                }
                // EXIT STATUS is written from cli::exit's tables.
                "Exit codes:" => {}
                "" => {}
                _ => h
                    .notes
                    .push(block.split_whitespace().collect::<Vec<_>>().join(" ")),
            }
        }
        h
    }
}

fn section(r: &mut Roff, title: &str) {
    r.control("SH", [title]);
}

fn exit_status(r: &mut Roff, tool: Tool, name: &str) {
    section(r, "EXIT STATUS");
    let table = match tool {
        Tool::Probe => cli::exit::probe::TABLE,
        Tool::Spindle => cli::exit::spindle::TABLE,
    };
    if tool == Tool::Spindle && is_cedar(sub_name(name)) {
        r.text([roman(
            "The Cedar Backup actions exit with cback3's codes, 0 and 2 to 6, so a wrapper \
             written for cback3 keeps working:",
        )]);
    } else if tool == Tool::Spindle {
        r.text([roman(
            "Every spindle command uses the same codes: Cedar Backup's 0 to 6, and 10 and up \
             for device problems.",
        )]);
    }
    for (code, what) in table {
        r.control("TP", []);
        r.text([bold(code.to_string())]);
        r.text([roman(*what)]);
    }
}

fn environment(r: &mut Roff, tool: Tool, name: &str) {
    let mut vars: Vec<(&str, &str)> = vec![(
        "RUST_LOG",
        "A log filter for stderr (env_logger syntax); it wins over -v.",
    )];
    let sub = sub_name(name);
    if tool == Tool::Spindle && (sub.is_empty() || sub == "image" || sub == "burn") {
        vars.push((
            "SOURCE_DATE_EPOCH",
            "The time recorded in the images spindle builds, so the same inputs give \
             byte-identical images.",
        ));
    }
    if tool == Tool::Spindle && (sub.is_empty() || sub == "xorriso") {
        vars.push((
            "XORRISO_PATH",
            "Read by duplicity, not by spindle: set it to /usr/lib/spindle/xorriso and \
             duplicity's xorriso:// backend runs spindle.",
        ));
    }
    section(r, "ENVIRONMENT");
    for (var, what) in vars {
        r.control("TP", []);
        r.text([bold(var)]);
        r.text([roman(what)]);
    }
}

fn files(r: &mut Roff, tool: Tool, name: &str) {
    let sub = sub_name(name);
    let mut list: Vec<(&str, &str)> = vec![
        (
            "/dev/sr*",
            "The optical drives (block nodes); the cdrom group may open them.",
        ),
        (
            "/dev/sg*",
            "The same drives as SCSI generic nodes; either kind of node works.",
        ),
    ];
    if tool == Tool::Spindle && (sub.is_empty() || is_cedar(sub)) {
        list.push((
            "/etc/cback3.conf",
            "Cedar Backup 3's configuration; the elements spindle reads are in spindle-cedar(5).",
        ));
        list.push((
            "/var/log/cback3.log",
            "The log of the Cedar Backup actions (-l changes it).",
        ));
    }
    if tool == Tool::Spindle && (sub.is_empty() || sub == "xorriso") {
        list.push((
            "/usr/lib/spindle/xorriso",
            "A link to spindle: started under the name xorriso, spindle runs its xorriso \
             front. It stays out of PATH so the real xorriso package is untouched.",
        ));
    }
    if tool == Tool::Spindle && (sub.is_empty() || CEDAR_ACTIONS.contains(&sub)) {
        list.push((
            "/usr/lib/systemd/system/spindle-nightly.timer",
            "Runs spindle-nightly.service every night: spindle --config /etc/cback3.conf \
             stage store. Enable it with systemctl enable --now spindle-nightly.timer.",
        ));
    }
    if tool == Tool::Spindle && (sub.is_empty() || sub.starts_with("mock")) {
        list.push((
            "DIR/media.img",
            "A mock drive's medium, 2048 bytes a block; DIR/transcript.log holds one line \
             per command the mock drive received.",
        ));
    }
    section(r, "FILES");
    for (path, what) in list {
        r.control("TP", []);
        r.text([italic(path)]);
        r.text([roman(what)]);
    }
}

fn notes(r: &mut Roff, name: &str, paragraphs: &[String]) {
    let sub = sub_name(name);
    let mut all: Vec<String> = Vec::new();
    if CEDAR_ACTIONS.contains(&sub) {
        all.push(
            "cback3's switches (--config, --full, --managed, --logfile, …) come before the \
             first action and are listed in spindle(1); the actions run in Cedar Backup's \
             order (collect, stage, store, purge) whatever order they are given in."
                .into(),
        );
    }
    if sub == "xorriso" {
        all.push(
            "duplicity's xorriso:// backend starts the program named by XORRISO_PATH; \
             point it at /usr/lib/spindle/xorriso (a link to spindle). spindle xorriso ARGS \
             is the same front under spindle's own name."
                .into(),
        );
    }
    all.extend(paragraphs.iter().cloned());
    if all.is_empty() {
        return;
    }
    section(r, "NOTES");
    for (i, p) in all.iter().enumerate() {
        if i > 0 {
            r.control("PP", []);
        }
        r.text([roman(p.as_str())]);
    }
}

/// Examples for the commands whose `after_help` has none.
fn written_examples(name: &str) -> &'static [(&'static str, &'static str)] {
    match name {
        "spindle" => &[
            (
                "spindle --config /etc/cback3.conf stage store",
                "The nightly job of a Cedar Backup master, as spindle-nightly.service runs it.",
            ),
            (
                "spindle burn /dev/sr0 --tree 2026/11/22/=/srv/stage -V LABEL",
                "Append a session holding a directory, streamed with no temporary image.",
            ),
            ("spindle ls /dev/sr0", "List the files of the last session."),
            (
                "spindle mock new /tmp/drive --media dvd+rw",
                "Make a mock drive to try all of this without a drive.",
            ),
        ],
        "spindle-store" => &[
            (
                "spindle --config /etc/cback3.conf store",
                "Write today's staging directory to the disc.",
            ),
            (
                "spindle --config /etc/cback3.conf --full store",
                "The same on a new disc (rewritable media are blanked first).",
            ),
        ],
        "spindle-stage" => &[(
            "spindle --config /etc/cback3.conf stage store",
            "Stage the peers' collected files, then store them.",
        )],
        "spindle-rebuild" => &[(
            "spindle --config /etc/cback3.conf rebuild",
            "Write every staged directory of this week to a new disc.",
        )],
        "spindle-initialize" => &[(
            "spindle --config /etc/cback3.conf initialize",
            "Label the rewritable disc in the drive so check_media accepts it.",
        )],
        "spindle-validate" => &[(
            "spindle --config /etc/cback3.conf validate",
            "Check the configuration, its users and its directories.",
        )],
        "spindle-collect" | "spindle-purge" | "spindle-all" => &[(
            "cback3 collect",
            "These actions belong to Cedar Backup itself: run them with cback3.",
        )],
        "spindle-config" | "spindle-config-check" => &[
            (
                "spindle config check /etc/cback3.conf",
                "Say whether the file is valid, with the verdict cback3 itself would give; exit 4 naming the element when it is not.",
            ),
            (
                "spindle config check --dump-json",
                "Print the options, peers, stage and store as spindle reads them.",
            ),
        ],
        "spindle-image" => &[
            (
                "spindle image -V LABEL -o out.iso /srv/data",
                "An image of a directory's contents.",
            ),
            (
                "spindle image --print-size 2026/11/22/=/srv/stage",
                "The exact size in blocks, without writing anything.",
            ),
        ],
        "spindle-eject" => &[
            ("spindle eject /dev/sr0", "Unlock and open the tray."),
            (
                "spindle eject --no-unlock /dev/sr0",
                "Open it only if nothing holds it locked.",
            ),
        ],
        "spindle-load" => &[("spindle load /dev/sr0", "Close the tray and load the disc.")],
        "spindle-lock" => &[
            ("spindle lock /dev/sr0", "Disable the eject button."),
            (
                "spindle lock --persistent /dev/sr0",
                "Keep it disabled until spindle unlock, whoever closes the device.",
            ),
        ],
        "spindle-unlock" => &[(
            "spindle unlock /dev/sr0",
            "Clear the normal and the persistent lock.",
        )],
        "spindle-refresh" => &[(
            "spindle refresh --eject-delay 2 --refresh-delay 5 /dev/sr0",
            "Reload the medium so the drive reports the session just written.",
        )],
        "spindle-blank" => &[
            (
                "spindle blank /dev/sr0",
                "A minimal blank of a CD-RW or DVD-RW.",
            ),
            ("spindle blank --full /dev/sr0", "Erase the whole disc."),
        ],
        "spindle-format" => &[
            (
                "spindle format /dev/sr0",
                "Format a DVD+RW or BD-RE, or turn a DVD-RW into restricted overwrite.",
            ),
            (
                "spindle format --full /dev/sr0",
                "A full format, waiting for it to finish.",
            ),
        ],
        "spindle-verify" => &[
            (
                "spindle verify /dev/sr0 out.iso",
                "Read the last session back through the drive and compare it with the image.",
            ),
            (
                "spindle verify /dev/sr0 --tree 2026/11/22/=/srv/stage",
                "Compare every file of the tree with the disc (SHA-1).",
            ),
            (
                "spindle verify --json /dev/sr0 out.iso",
                "The result as JSON (docs/schema/verify.json).",
            ),
        ],
        "spindle-ls" | "spindle-lsl" => &[
            ("spindle ls /dev/sr0", "The root of the last session."),
            (
                "spindle lsl mock:/tmp/drive /2026",
                "A directory in xorriso's long format.",
            ),
        ],
        "spindle-get" => &[(
            "spindle get /dev/sr0 /2026/11/22 /srv/restore",
            "Copy a day's tree out of the last session.",
        )],
        "spindle-rm" => &[(
            "spindle rm /tmp/b.iso /old --commit",
            "Delete a tree and write the change at once.",
        )],
        "spindle-commit" => &[
            (
                "spindle commit /dev/sr0",
                "Write the recorded copies and removals as a new session.",
            ),
            ("spindle commit --discard /dev/sr0", "Forget them."),
        ],
        "spindle-xorriso" => &[(
            "XORRISO_PATH=/usr/lib/spindle/xorriso duplicity full /home xorriso:///dev/sr0",
            "A full backup of /home by duplicity, written by spindle.",
        )],
        "spindle-mock-new" => &[(
            "spindle mock new /tmp/drive --media bd-r",
            "A drive holding a blank BD-R.",
        )],
        "spindle-mock-insert" => &[(
            "spindle mock insert /tmp/drive --media cd-rw",
            "Put a CD-RW in and close the tray.",
        )],
        "spindle-mock-eject" => &[("spindle mock eject /tmp/drive", "Press the eject button.")],
        "spindle-mock-close" => &[("spindle mock close /tmp/drive", "Push the tray in.")],
        "spindle-mock-power-loss" => &[(
            "spindle mock power-loss /tmp/drive",
            "Lose what the drive's buffer held.",
        )],
        "spindle-mock-state" => &[(
            "spindle mock state /tmp/drive --json",
            "The drive's state as JSON.",
        )],
        "spindle-mock-fault" => &[(
            "spindle mock fault /tmp/drive --opcode 2A --nth 3 --sense 3/0C/00",
            "Fail the third WRITE(10) with a medium error.",
        )],
        "spindle-mock-transcript" => &[(
            "spindle mock transcript /tmp/drive",
            "One line per command the drive received.",
        )],
        _ => &[],
    }
}

fn examples(r: &mut Roff, name: &str, from_help: &[(String, String)]) {
    let mut all: Vec<(String, String)> = from_help.to_vec();
    all.extend(
        written_examples(name)
            .iter()
            .map(|(c, w)| ((*c).to_owned(), (*w).to_owned())),
    );
    if all.is_empty() {
        return;
    }
    section(r, "EXAMPLES");
    for (cmd, what) in all {
        r.control("TP", []);
        r.text([bold(cmd)]);
        if !what.is_empty() {
            r.text([roman(what)]);
        }
    }
}

/// Which pages belong together, for SEE ALSO.
const GROUPS: [&[&str]; 4] = [
    &[
        "burn", "blank", "format", "verify", "close", "image", "refresh",
    ],
    &["eject", "load", "lock", "unlock", "refresh"],
    &["ls", "lsl", "put", "get", "rm", "commit", "xorriso"],
    &[
        "store",
        "stage",
        "rebuild",
        "initialize",
        "validate",
        "config",
    ],
];

fn see_also(r: &mut Roff, cmd: &clap::Command, tool: Tool, name: &str) {
    let sub = sub_name(name);
    let mut refs: Vec<(String, &str)> = Vec::new();
    let mut add = |page: String, sec: &'static str| {
        if page != name && !refs.iter().any(|(p, _)| *p == page) {
            refs.push((page, sec));
        }
    };
    if tool == Tool::Probe || !sub.is_empty() {
        add("spindle".into(), "1");
    }
    // The parent of a nested page: spindle-mock for spindle-mock-new.
    if let Some((parent, _)) = sub.rsplit_once('-') {
        if cmd.get_subcommands().next().is_none()
            && GROUPS.iter().all(|g| !g.contains(&sub))
            && !parent.is_empty()
        {
            add(format!("spindle-{parent}"), "1");
        }
    }
    for g in GROUPS.iter().filter(|g| g.contains(&sub)) {
        for s in g.iter() {
            add(format!("spindle-{s}"), "1");
        }
    }
    add("mmc-probe".into(), "1");
    if tool == Tool::Spindle && (sub.is_empty() || is_cedar(sub)) {
        add("spindle-cedar".into(), "5");
        add("cback3".into(), "1");
    }
    if sub.is_empty() || sub == "xorriso" {
        add("xorriso".into(), "1");
        add("duplicity".into(), "1");
    }
    if sub.is_empty() || sub == "burn" {
        add("growisofs".into(), "1");
    }
    section(r, "SEE ALSO");
    let mut line: Vec<Inline> = Vec::new();
    let n = refs.len();
    for (i, (page, sec)) in refs.into_iter().enumerate() {
        line.push(bold(page));
        line.push(roman(format!(
            "({sec}){}",
            if i + 1 < n { ", " } else { "" }
        )));
    }
    r.text(line);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_for_every_command_and_no_help_pages() {
        let pages = pages();
        let names: Vec<&str> = pages.iter().map(|p| p.name.as_str()).collect();
        for n in [
            "spindle",
            "spindle-burn",
            "spindle-verify",
            "spindle-close",
            "spindle-ls",
            "spindle-store",
            "spindle-mock-new",
            "spindle-config-check",
            "spindle-xorriso",
            "mmc-probe",
            "spindle-cedar",
        ] {
            assert!(names.contains(&n), "no page {n}: {names:?}");
        }
        assert!(!names.iter().any(|n| n.ends_with("-help")), "{names:?}");
        let top = crate::spindle_command();
        for sub in top.get_subcommands().filter(|s| !s.is_hide_set()) {
            let want = format!("spindle-{}", sub.get_name());
            assert!(names.contains(&want.as_str()), "no page {want}");
        }
    }

    #[test]
    fn written_sections_are_on_every_command_page() {
        for p in pages().iter().filter(|p| p.section == "1") {
            for s in ["EXIT STATUS", "FILES", "EXAMPLES", "SEE ALSO", "SYNOPSIS"] {
                assert!(
                    p.roff.contains(&format!(".SH \"{s}\""))
                        || p.roff.contains(&format!(".SH {s}")),
                    "{} has no {s} section",
                    p.name
                );
            }
        }
    }

    #[test]
    fn exit_status_lists_every_code_and_drops_the_help_text_copy() {
        let pages = pages();
        let top = pages.iter().find(|p| p.name == "spindle").unwrap();
        for (code, _) in cli::exit::spindle::TABLE {
            assert!(top.roff.contains(&format!(".TP\n\\fB{code}\\fR")), "{code}");
        }
        assert!(!top.roff.contains("Exit codes:"));
        let probe = pages.iter().find(|p| p.name == "mmc-probe").unwrap();
        assert!(probe.roff.contains("tray is open"));
        assert!(probe.roff.contains("mmc\\-probe \\-\\-battery /dev/sr0"));
    }

    #[test]
    fn after_help_splits_into_notes_and_examples() {
        let h = AfterHelp::parse(
            "A first\nparagraph.\n\nExamples:\n  spindle x /dev/sr0      does x\n  spindle y\n\nExit codes:\n  0 ok",
        );
        assert_eq!(h.notes, ["A first paragraph."]);
        assert_eq!(
            h.examples,
            [
                ("spindle x /dev/sr0".to_owned(), "does x".to_owned()),
                ("spindle y".to_owned(), String::new())
            ]
        );
    }
}
