//! `mmc-probe --write-test`: does the drive write the way spindle expects? On a blank or
//! erasable disc it runs the medium's recipe through the same disc layer `spindle burn` uses
//! (no second burner): a new session of a small generated tree, an append, a verify of the
//! tree against its sources, a read of every session, and, where the medium allows, a blank
//! or format. Each step prints the commands it sent, the drive's answers (sense decoded) and
//! how long it took; the end is a verdict per step.

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use mmc::burn::{Burner, FormatState, Preparation, Recipe};
use mmc::command::DiscStatus;
use serde::Serialize;

use crate::cmd::probe::Args;
use crate::disc::write::{burn_tree, TreeBurn};
use crate::exit;

/// One step's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// `inspect`, `erase`, `format`, `new session`, `append`, `verify tree`, `read sessions`,
    /// `blank` or `format after`.
    pub name: String,
    /// `pass`, `fail` or `skipped`.
    pub verdict: String,
    /// What happened, or why it failed or was skipped.
    pub detail: String,
    /// Wall-clock time of the step, in milliseconds.
    pub duration_ms: u64,
    /// Every command the step sent, with the drive's answer: the CDB in hex, the data
    /// phase, the status, and for CHECK CONDITION the sense as KEY/ASC/ASCQ and its meaning.
    pub commands: Vec<String>,
}

/// The whole write test.
#[derive(Debug, Clone, Serialize)]
pub struct WriteTest {
    /// The device.
    pub device: String,
    /// The medium's profile name.
    pub medium: String,
    /// Whether the medium is write-once (used up by the test).
    pub write_once: bool,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// `pass` when no step failed, else `fail`.
    pub verdict: String,
}

/// A refusal before anything was written (exit 9).
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// `mmc-probe --write-test DEVICE`.
///
/// # Errors
/// Device errors before the test starts (no medium: exit 6); refusals come back as exit 9.
pub fn run_cli(device: &str, args: &Args, out: &mut dyn Write) -> anyhow::Result<u8> {
    match run_test(device, args.yes_write, args.yes_erase, args.json, out) {
        Ok(t) => {
            if args.json {
                serde_json::to_writer_pretty(&mut *out, &t)?;
                writeln!(out)?;
            }
            Ok(code_of(&t))
        }
        Err(e) => refusal_or(e),
    }
}

/// `--write-test` inside `--report`: the test's steps print as usual (text only), and its
/// result goes into the report.
///
/// # Errors
/// As [`run_cli`].
pub fn run_for_report(
    device: &str,
    args: &Args,
    out: &mut dyn Write,
) -> anyhow::Result<(u8, Option<serde_json::Value>)> {
    match run_test(device, args.yes_write, args.yes_erase, false, out) {
        Ok(t) => Ok((code_of(&t), Some(serde_json::to_value(&t)?))),
        Err(e) => {
            let code = refusal_or(e)?;
            Ok((code, None))
        }
    }
}

fn code_of(t: &WriteTest) -> u8 {
    if t.verdict == "pass" {
        exit::probe::OK
    } else {
        exit::probe::TEST_FAILED
    }
}

fn refusal_or(e: anyhow::Error) -> anyhow::Result<u8> {
    if let Some(r) = e.downcast_ref::<Refused>() {
        eprintln!("mmc-probe: {r}");
        return Ok(exit::probe::REFUSED);
    }
    Err(e)
}

/// What the test found on the disc before it started.
#[derive(Debug)]
struct Found {
    medium: String,
    recipe: Recipe,
    write_once: bool,
    erasable: bool,
    holds_data: bool,
    unformatted: bool,
}

fn inspect(device: &str) -> anyhow::Result<Found> {
    let mut drive = crate::disc::open_writer(device, "write test")?;
    let burner = match Burner::new(&mut drive, &crate::disc::ISO9660) {
        Ok(b) => b,
        // A pressed disc, or a disc a drive reports as one: nothing to test on it.
        Err(mmc::Error::NotWritable { medium, reason }) => {
            bail!(Refused(format!(
                "{device}: the {medium} cannot be written ({reason}); the write test needs a blank or erasable disc"
            )))
        }
        Err(e) => {
            return Err(
                anyhow::Error::new(e).context(format!("{device}: reading the medium's state"))
            )
        }
    };
    let s = burner.status();
    let overwritable = s.recipe.is_overwritable();
    Ok(Found {
        medium: s.profile.name().to_string(),
        recipe: s.recipe,
        write_once: !overwritable && !s.erasable,
        erasable: s.erasable,
        holds_data: if overwritable {
            s.volume_end.is_some()
        } else {
            s.disc_status != DiscStatus::Blank
        },
        unformatted: s.format == FormatState::Unformatted,
    })
}

/// Runs the test. Refusals are [`Refused`] errors and come before anything is written.
fn run_test(
    device: &str,
    yes_write: bool,
    yes_erase: bool,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<WriteTest> {
    if !yes_write {
        bail!(Refused(format!(
            "{device}: --write-test writes to the disc (a new session, an append, and a blank or format where the medium allows; a write-once disc is used up); add --yes-write to run it"
        )));
    }
    let mut steps = Vec::new();
    // Inspecting is the first step; its failure (no medium, a pressed disc) ends the test
    // with that failure's own exit code, since nothing was tried.
    let (first, f) = run_step("inspect", json, out, true, || {
        let f = inspect(device)?;
        let what = format!(
            "{}, {}{}",
            f.medium,
            if f.holds_data { "holds data" } else { "blank" },
            if f.write_once {
                ", write-once"
            } else if f.recipe.is_overwritable() {
                ", overwritable"
            } else {
                ", rewritable"
            }
        );
        Ok((f, what))
    })?;
    steps.push(first);
    let Some(f) = f else {
        bail!("{device}: inspecting the medium failed");
    };
    if f.holds_data {
        if f.write_once {
            bail!(Refused(format!(
                "{device}: the {} holds data and is write-once, so the test cannot use it; insert a blank disc",
                f.medium
            )));
        }
        if !yes_erase {
            bail!(Refused(format!(
                "{device}: the {} holds data; the test would {} it. Add --yes-erase to allow that, or insert a blank disc",
                f.medium,
                if f.recipe.is_overwritable() { "overwrite" } else { "blank" }
            )));
        }
    }
    if f.write_once {
        eprintln!(
            "mmc-probe: warning: the write test uses up this {}: it writes two sessions to a write-once disc, which cannot be blanked",
            f.medium
        );
    }
    let work = tempfile::tempdir().context("creating the test tree")?;
    let (a, b) = make_trees(work.path())?;
    let tree_a = graft("TEST", &a);
    let tree_b = graft("APPEND", &b);
    let burn = |grafts: &[OsString], new_disc: bool| -> anyhow::Result<String> {
        let req = TreeBurn {
            device: device.to_string(),
            grafts: grafts
                .iter()
                .map(|g| iso9660::GraftPoint::parse(g))
                .collect::<Result<_, _>>()
                .context("the generated tree")?,
            remove: Vec::new(),
            volume_id: "SPINDLE_WRITE_TEST".into(),
            new_disc,
            finalize: false,
            ownership: iso9660::Ownership::default(),
            speed_kbps: None,
            joliet: false,
            md5: true,
        };
        let done = burn_tree(&req, &mut ())?;
        Ok(format!(
            "{} blocks at LBA {} ({}), {} files",
            done.report.blocks_written, done.plan.start_lba, done.plan.method, done.plan.files
        ))
    };
    let sequential_rw = !f.recipe.is_overwritable() && f.erasable;
    if f.holds_data && sequential_rw {
        steps.push(step("erase", json, out, || {
            prepare(device, Preparation::Blank { full: false })?;
            Ok("BLANK minimal: the disc is blank again".into())
        })?);
    } else if f.unformatted {
        steps.push(step("format", json, out, || {
            prepare(device, Preparation::Format { full: false })?;
            Ok("FORMAT UNIT: the disc is formatted".into())
        })?);
    }
    steps.push(step("new session", json, out, || {
        burn(std::slice::from_ref(&tree_a), true)
    })?);
    steps.push(step("append", json, out, || {
        burn(std::slice::from_ref(&tree_b), false)
    })?);
    steps.push(step("verify tree", json, out, || {
        let n = crate::disc::compare::verify_sources(device, &[tree_a.clone(), tree_b.clone()])?;
        Ok(format!("{n} files match their sources"))
    })?);
    steps.push(step("read sessions", json, out, || read_sessions(device))?);
    if f.write_once {
        steps.push(skipped(
            "blank",
            &format!("the {} is write-once: it cannot be blanked", f.medium),
            json,
            out,
        )?);
    } else if sequential_rw {
        steps.push(step("blank", json, out, || {
            prepare(device, Preparation::Blank { full: false })?;
            let after = inspect(device)?;
            if after.holds_data {
                bail!("BLANK succeeded but the disc still reports data");
            }
            Ok("BLANK minimal: the disc reads as blank".into())
        })?);
    } else {
        steps.push(step("format after", json, out, || {
            prepare(device, Preparation::Format { full: false })?;
            Ok("FORMAT UNIT accepted on the written disc".into())
        })?);
    }
    finish(device, f.medium, f.write_once, steps, json, out)
}

fn finish(
    device: &str,
    medium: String,
    write_once: bool,
    steps: Vec<Step>,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<WriteTest> {
    let failed = steps.iter().filter(|s| s.verdict == "fail").count();
    let t = WriteTest {
        device: device.to_string(),
        medium,
        write_once,
        verdict: if failed == 0 { "pass" } else { "fail" }.into(),
        steps,
    };
    if !json {
        writeln!(out, "\nverdicts:")?;
        for s in &t.steps {
            writeln!(
                out,
                "  {:<14} {:<8} {:>9.3} s  {}",
                s.name,
                s.verdict,
                s.duration_ms as f64 / 1000.0,
                s.detail
            )?;
        }
        writeln!(
            out,
            "write test: {} ({} steps, {failed} failed)",
            t.verdict.to_uppercase(),
            t.steps.len()
        )?;
    }
    Ok(t)
}

fn prepare(device: &str, what: Preparation) -> anyhow::Result<()> {
    let mut drive = crate::disc::open_writer(device, "write test")?;
    let mut burner =
        Burner::new(&mut drive, &crate::disc::ISO9660).with_context(|| device.to_string())?;
    burner
        .prepare(what, &mut ())
        .with_context(|| device.to_string())
}

/// Reads every block of every session and checks each holds its volume.
fn read_sessions(device: &str) -> anyhow::Result<String> {
    let target = crate::disc::Target::parse(device)?;
    let (sessions, mut sectors) = crate::disc::session::survey(&target)?;
    let mut blocks = 0u64;
    let mut labels = Vec::new();
    for s in &sessions.sessions {
        for lba in u64::from(s.start)..s.end() {
            let lba = u32::try_from(lba).context("an LBA beyond 32 bits")?;
            if sectors.read_block(lba)?.is_none() {
                bail!(
                    "session {} block {lba} is beyond what the drive reads",
                    s.number
                );
            }
            blocks += 1;
        }
        let label = s
            .volume_id
            .clone()
            .with_context(|| format!("session {} at LBA {} holds no volume", s.number, s.start))?;
        labels.push(format!("{}: {label} at LBA {}", s.number, s.start));
    }
    if sessions.sessions.len() < 2 {
        bail!(
            "{} session(s) found after a new session and an append; expected 2",
            sessions.sessions.len()
        );
    }
    Ok(format!(
        "{blocks} blocks read; sessions {}",
        labels.join(", ")
    ))
}

/// The generated trees: a few files of known content, small enough for any medium.
fn make_trees(dir: &Path) -> anyhow::Result<(std::path::PathBuf, std::path::PathBuf)> {
    let a = dir.join("a");
    let b = dir.join("b");
    std::fs::create_dir_all(a.join("sub/deeper"))?;
    std::fs::create_dir_all(&b)?;
    std::fs::write(a.join("README.txt"), b"spindle write test: first session\n")?;
    let pattern: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(a.join("sub/pattern.bin"), &pattern)?;
    std::fs::write(a.join("sub/deeper/empty"), b"")?;
    std::fs::write(
        b.join("appended.txt"),
        b"spindle write test: appended session\n",
    )?;
    std::fs::write(
        b.join("pattern-tail.bin"),
        pattern.get(..70_000).unwrap_or(&[]),
    )?;
    Ok((a, b))
}

fn graft(dest: &str, src: &Path) -> OsString {
    let mut g = OsString::from(format!("{dest}="));
    g.push(src);
    g
}

/// Adds the meaning of a CHECK CONDITION's sense to a transcript line.
fn decode_line(line: &str) -> String {
    let Some(tail) = line.rsplit(' ').next() else {
        return line.to_string();
    };
    let parts: Vec<&str> = tail.split('/').collect();
    if let [k, a, q] = parts.as_slice() {
        if let (Ok(k), Ok(a), Ok(q)) = (
            u8::from_str_radix(k, 16),
            u8::from_str_radix(a, 16),
            u8::from_str_radix(q, 16),
        ) {
            let key = mmc::SenseKey::from_nibble(k);
            return format!(
                "{line} ({}, {})",
                key.name(),
                mmc::AscAscq(a, q).description()
            );
        }
    }
    line.to_string()
}

fn step(
    name: &str,
    json: bool,
    out: &mut dyn Write,
    f: impl FnOnce() -> anyhow::Result<String>,
) -> anyhow::Result<Step> {
    run_step(name, json, out, false, || f().map(|d| ((), d))).map(|(s, _)| s)
}

/// Runs one step: prints its name, collects the commands it sends, times it, and prints
/// them with its verdict. A refusal always propagates; with `fatal`, so does any failure.
fn run_step<T>(
    name: &str,
    json: bool,
    out: &mut dyn Write,
    fatal: bool,
    f: impl FnOnce() -> anyhow::Result<(T, String)>,
) -> anyhow::Result<(Step, Option<T>)> {
    if !json {
        writeln!(out, "== {name}")?;
    }
    crate::logging::capture_start();
    let started = Instant::now();
    let r = f();
    let duration = started.elapsed();
    let commands: Vec<String> = crate::logging::capture_take()
        .iter()
        .map(|l| decode_line(l))
        .collect();
    if !json {
        for c in &commands {
            writeln!(out, "   {c}")?;
        }
    }
    let (verdict, detail, value) = match r {
        Ok((v, d)) => ("pass", d, Some(v)),
        Err(e) => {
            if fatal || e.downcast_ref::<Refused>().is_some() {
                return Err(e);
            }
            ("fail", format!("{e:#}"), None)
        }
    };
    let s = Step {
        name: name.into(),
        verdict: verdict.into(),
        detail,
        duration_ms: ms(duration),
        commands,
    };
    if !json {
        writeln!(
            out,
            "   -> {} in {:.3} s: {}",
            s.verdict,
            duration.as_secs_f64(),
            s.detail
        )?;
    }
    Ok((s, value))
}

fn skipped(name: &str, why: &str, json: bool, out: &mut dyn Write) -> anyhow::Result<Step> {
    if !json {
        writeln!(out, "== {name}\n   -> skipped: {why}")?;
    }
    Ok(Step {
        name: name.into(),
        verdict: "skipped".into(),
        detail: why.into(),
        duration_ms: 0,
        commands: Vec::new(),
    })
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sense_in_a_transcript_line_is_decoded() {
        let l = decode_line(
            "mock:/d: 2A 00 00 00 00 00 00 00 10 00 | out 0/32768 | CHECK CONDITION 3/0C/00",
        );
        assert!(l.ends_with("(MEDIUM ERROR, write error)"), "{l}");
        let good = "mock:/d: 00 00 00 00 00 00 | none 0/0 | GOOD";
        assert_eq!(decode_line(good), good);
    }
}
