//! Cedar Backup 3's own parser is the judge of `spindle config check`.
//!
//! scripts/cedar-venv.sh installs Cedar Backup 3 from PyPI (a pinned version) and unpacks its
//! sdist, which ships Cedar's test configuration files (`tests/data/*.conf.*`, including the
//! ones for the mysql, postgresql, subversion, mbox, encrypt, split, capacity and amazons3
//! extensions) and the sample `cback3.conf`. Three sets of files are judged by both:
//!
//! 1. every file as shipped;
//! 2. every file *completed*: an `<options>` section and an empty `<purge/>` added where the
//!    file has none, so that files written to test one section (most have no `<options>`,
//!    and Cedar refuses those whatever else they hold) are judged on their own sections;
//! 3. mutants of every completed file Cedar accepts: each leaf element in turn removed, or its
//!    text replaced by an empty string, a relative path, an absolute path, numbers, booleans
//!    and a word (some with surrounding spaces), so that every element's own rules are
//!    exercised.
//!
//! Cedar's verdict is `Config(xmlPath=FILE, validate=True)` returning or raising
//! (scripts/cedar-judge.py); spindle's is the exit code of `spindle config check FILE`.
//! They must agree on every file, except where spindle refuses on purpose what Cedar would
//! pass on to a shell or a path: those refusals are listed in [`DELIBERATE`], each with its
//! reason, and a disagreement is only excused when spindle's error is one of them.
//!
//! NOT RUN without the venv (it needs PyPI the first time); with SPINDLE_ALL_TIERS=1 the
//! venv is made and the test must run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use tests::tier::tier;

const SPINDLE: &str = env!("CARGO_BIN_EXE_spindle-dev");

/// Refusals spindle keeps although Cedar accepts the file: (what spindle's error says, why).
const DELIBERATE: &[(&str, &str)] = &[
    (
        "is not a host name",
        "a remote peer's name becomes the host of `user@host:path` for scp and of ssh's \
         `user@host`: a name such as `-1` or `a/b` would be read as an option or split, so \
         only host names are accepted",
    ),
    (
        "is not a user name",
        "backup_user goes after `su` and before `@` in scp and ssh arguments: a name such as \
         `-1` or `/abs/x` would be read as an option or a path",
    ),
    (
        "cannot be a staging directory name",
        "a peer's name is the name of its staging directory: `/`, `.` and `..` would put the \
         peer's files outside the day's directory",
    ),
    (
        "required when blank_behavior is set",
        "Cedar accepts a <blank_behavior> with only one of mode and factor and then fails in \
         the middle of store (quirk Q2 of docs/cedar-compat.md); spindle refuses it up front",
    ),
];

/// Edits of Cedar's sample configuration judged too: (text in the sample, replacement).
const EDITS: &[(&str, &str)] = &[
    (
        "<mode>weekly</mode>\n         <factor>5.1</factor>",
        "<blank_mode>weekly</blank_mode>\n         <blank_factor>5.1</blank_factor>",
    ),
    ("<mode>weekly</mode>", "<blank_mode>weekly</blank_mode>"),
    ("<factor>5.1</factor>", "<factor>inf</factor>"),
    ("<factor>5.1</factor>", "<factor> 1e1 </factor>"),
    ("<factor>5.1</factor>", "<factor>-0.5</factor>"),
    ("<factor>5.1</factor>", "<factor>1_0.5</factor>"),
    (
        "<starting_day>tuesday</starting_day>",
        "<starting_day>\n  tuesday\n</starting_day>",
    ),
    ("<check_data>Y</check_data>", "<check_data> Y </check_data>"),
    (
        "<media_type>cdrw-74</media_type>",
        "<media_type>dvd+rw</media_type>",
    ),
];

/// What a completed file gets when it has no `<options>`: the fields Cedar requires.
const OPTIONS: &str = "<options><starting_day>monday</starting_day>\
    <working_dir>/tmp</working_dir><backup_user>backup</backup_user>\
    <backup_group>backup</backup_group><rcp_command>/usr/bin/scp -B</rcp_command></options>";

/// Replacement texts for the mutants (plus removal of the element).
/// Surrounding white space is kept by Cedar (` Y` is not a boolean, ` /x` not absolute)
/// except in numbers, so some probes carry it.
const PROBES: &[&str] = &[
    "",
    "relative/x",
    "/abs/x",
    " /abs/x",
    "0",
    "-1",
    "7",
    " 7 ",
    "Y",
    " Y",
    "N",
    "bogus",
];

fn cedar_venv() -> (PathBuf, PathBuf) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/cedar-venv.sh");
    let out = Command::new("bash").arg(&script).output().unwrap();
    assert!(
        out.status.success(),
        "scripts/cedar-venv.sh failed; Cedar Backup 3 is required:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let py = PathBuf::from(lines.next().unwrap());
    let sdist = PathBuf::from(lines.next().unwrap());
    (py, sdist)
}

/// Cedar's verdict on every file of `dir`: name → None (valid) or Some(reason).
fn cedar_verdicts(py: &Path, dir: &Path) -> BTreeMap<String, Option<String>> {
    let judge = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/cedar-judge.py");
    let out = Command::new(py).arg(judge).arg(dir).output().unwrap();
    assert!(
        out.status.success(),
        "cedar-judge.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let mut f = l.splitn(3, '\t');
            let name = f.next().unwrap().to_owned();
            match f.next() {
                Some("valid") => (name, None),
                Some("invalid") => (name, Some(f.next().unwrap_or("").to_owned())),
                v => panic!("cedar-judge.py printed {v:?} for {name}"),
            }
        })
        .collect()
}

/// spindle's verdict: None (exit 0) or Some(its error); any other exit than 0 and 4 fails.
fn spindle_verdict(path: &Path) -> Option<String> {
    let out = Command::new(SPINDLE)
        .args(["config", "check"])
        .arg(path)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    match out.status.code() {
        Some(0) => None,
        Some(4) => Some(
            err.lines()
                .find(|l| l.starts_with("spindle: error"))
                .unwrap_or(&err)
                .to_owned(),
        ),
        c => panic!(
            "spindle config check {} exited {c:?}:\n{err}",
            path.display()
        ),
    }
}

/// The file with an `<options>` (when it has none) and a `<purge/>` (when it configures no
/// action) added at the start of `<cb_config>`; also the byte range of what was added.
fn complete(text: &str) -> (String, std::ops::Range<usize>) {
    let mut add = String::new();
    if !text.contains("<options>") {
        add.push_str(OPTIONS);
    }
    if !["<collect>", "<stage>", "<store>", "<purge>"]
        .iter()
        .any(|s| text.contains(s))
    {
        add.push_str("<purge/>");
    }
    if let Some(at) = text.find("<cb_config/>") {
        let start = at + "<cb_config>".len();
        let out = format!(
            "{}<cb_config>{add}</cb_config>{}",
            &text[..at],
            &text[at + "<cb_config/>".len()..]
        );
        return (out, start..start + add.len());
    }
    let at = text
        .find("<cb_config>")
        .expect("every Cedar test file has <cb_config>")
        + "<cb_config>".len();
    let out = format!("{}{add}{}", &text[..at], &text[at..]);
    (out, at..at + add.len())
}

/// Leaf elements `<name>text</name>`: (start of `<name>`, text range, end of `</name>`).
fn leaves(text: &str) -> Vec<(usize, std::ops::Range<usize>, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(p) = text[i..].find('<') {
        let start = i + p;
        i = start + 1;
        let name_len = b[i..]
            .iter()
            .take_while(|c| c.is_ascii_lowercase() || **c == b'_' || c.is_ascii_digit())
            .count();
        if name_len == 0 || b.get(i + name_len) != Some(&b'>') {
            continue;
        }
        let name = &text[i..i + name_len];
        let body = i + name_len + 1;
        let Some(q) = text[body..].find('<') else {
            break;
        };
        let close = format!("</{name}>");
        if text[body + q..].starts_with(&close) {
            out.push((start, body..body + q, body + q + close.len()));
        }
    }
    out
}

#[test]
fn cedar_and_spindle_agree_on_every_file() {
    if !tier("cedar_and_spindle_agree_on_every_file", &["cedar"]) {
        return;
    }
    let (py, sdist) = cedar_venv();
    let mut shipped: Vec<PathBuf> = std::fs::read_dir(sdist.join("tests/data"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_str().unwrap().contains(".conf."))
        .collect();
    shipped.push(sdist.join("samples/cback3.conf.sample"));
    shipped.sort();
    assert!(shipped.len() >= 58, "{} files in the sdist", shipped.len());
    for ext in [
        "mysql",
        "postgresql",
        "subversion",
        "mbox",
        "encrypt",
        "split",
        "capacity",
        "amazons3",
    ] {
        assert!(
            shipped
                .iter()
                .any(|p| p.file_name().unwrap().to_str().unwrap().starts_with(ext)),
            "no {ext} test file in the sdist"
        );
    }

    // The corpus: shipped files, completed files, then mutants of the accepted completed ones.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("corpus");
    std::fs::create_dir(&dir).unwrap();
    let mut completed = Vec::new();
    for p in &shipped {
        let name = p.file_name().unwrap().to_str().unwrap();
        let text = std::fs::read_to_string(p).unwrap();
        std::fs::write(dir.join(format!("{name}.shipped")), &text).unwrap();
        let (done, added) = complete(&text);
        std::fs::write(dir.join(format!("{name}.completed")), &done).unwrap();
        completed.push((name.to_owned(), done, added));
    }
    // The sample as admins edit it: the manual's element names, other number spellings,
    // spaces around values.
    let sample = std::fs::read_to_string(sdist.join("samples/cback3.conf.sample")).unwrap();
    for (i, (from, to)) in EDITS.iter().enumerate() {
        assert!(sample.contains(from), "{from} is not in the sample");
        std::fs::write(
            dir.join(format!("sample.edit{i}")),
            sample.replacen(from, to, 1),
        )
        .unwrap();
    }
    let first = cedar_verdicts(&py, &dir);
    let mut mutants = 0;
    let mut added_mutated = false;
    for (name, text, added) in &completed {
        if first[&format!("{name}.completed")].is_some() {
            continue;
        }
        // The added <options> is the same in every file: mutate it in one of them only.
        let mutate_added = !added.is_empty() && text[added.clone()].contains("<options>");
        let mutate_added = mutate_added && !std::mem::replace(&mut added_mutated, true);
        for (k, (start, body, end)) in leaves(text).into_iter().enumerate() {
            if added.contains(&start) && !mutate_added {
                continue;
            }
            let tag = &text[start + 1..body.start - 1];
            let mut variants = vec![(
                "del".to_owned(),
                format!("{}{}", &text[..start], &text[end..]),
            )];
            for probe in PROBES {
                if text[body.clone()] != **probe {
                    variants.push((
                        format!("={probe}"),
                        format!("{}{probe}{}", &text[..body.start], &text[body.end..]),
                    ));
                }
            }
            for (what, v) in variants {
                let file = format!("{name}.m{k}.{tag}{}", what.replace(['/', ' '], "_"));
                std::fs::write(dir.join(file), v).unwrap();
                mutants += 1;
            }
        }
    }
    assert!(added_mutated, "the added <options> was never mutated");
    assert!(mutants > 1000, "only {mutants} mutants");

    let cedar = cedar_verdicts(&py, &dir);
    // spindle starts once per file; a few at a time, as the files are independent.
    let names: Vec<&String> = cedar.keys().collect();
    let spindle: BTreeMap<&String, Option<String>> = std::thread::scope(|s| {
        let workers: Vec<_> = names
            .chunks(names.len().div_ceil(4))
            .map(|chunk| {
                let dir = &dir;
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|n| (*n, spindle_verdict(&dir.join(n))))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let mut disagree = Vec::new();
    let mut excused: BTreeMap<&str, usize> = BTreeMap::new();
    let (mut valid, mut invalid) = (0, 0);
    for (name, c) in &cedar {
        let s = &spindle[name];
        if c.is_none() {
            valid += 1;
        } else {
            invalid += 1;
        }
        match (c, s) {
            (None, None) | (Some(_), Some(_)) => {}
            (None, Some(err)) => match DELIBERATE.iter().find(|(m, _)| err.contains(m)) {
                Some((m, _)) => *excused.entry(m).or_default() += 1,
                None => disagree.push(format!("{name}: Cedar accepts it, spindle says {err}")),
            },
            (Some(reason), None) => {
                disagree.push(format!(
                    "{name}: Cedar refuses it ({reason}), spindle accepts it"
                ));
            }
        }
    }
    eprintln!(
        "judged {} files ({} shipped, {mutants} mutants): Cedar accepts {valid}, refuses {invalid}; \
         deliberate refusals {excused:?}",
        cedar.len(),
        shipped.len()
    );
    // Every shipped file gets Cedar's verdict, deliberate refusals or not.
    for p in &shipped {
        let name = format!("{}.shipped", p.file_name().unwrap().to_str().unwrap());
        let s = &spindle[&name];
        assert_eq!(
            cedar[&name].is_none(),
            s.is_none(),
            "{name}: Cedar {:?}, spindle {s:?}",
            cedar[&name]
        );
    }
    assert!(
        valid > 500 && invalid > 500,
        "{valid} valid, {invalid} invalid"
    );
    assert!(
        disagree.is_empty(),
        "{} of {} files judged differently:\n{}",
        disagree.len(),
        cedar.len(),
        disagree
            .iter()
            .take(60)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
