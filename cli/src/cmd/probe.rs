//! `mmc-probe`: drive bring-up diagnostics.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use crate::cmd::human::{bytes, grouped};
use crate::exit;

const AFTER_HELP: &str = "\
Examples:
  mmc-probe                      list the optical drives on this machine
  mmc-probe /dev/sr0             everything the drive says about itself and its medium
  mmc-probe --json /dev/sr0      the same as JSON (schema: docs/mmc-probe.md)
  mmc-probe mock:/tmp/drive      probe a mock drive (see `spindle mock new --help`)
  mmc-probe --battery /dev/sr0   raw replies to a fixed set of read-only commands
  mmc-probe --report /dev/sr0 -o drive.json
      everything needed to reproduce the drive, in one JSON file to send
      with a bug report (serial numbers removed)
  spindle mock new /tmp/d --profile drive.json --media dvd+r
  mmc-probe --battery --against drive.json mock:/tmp/d
      replay the report in the mock, and check it answers the same
  mmc-probe --write-test --yes-write /dev/sr0
      burn, append, verify and read back a small tree on a blank or
      erasable disc (a write-once disc is used up)

Exit codes:
  0  probed, medium present (or drives listed)
  1  other failure (the message names the command and the decoded sense)
  2  bad command line
  3  no such device
  4  permission denied (the message names the group to join)
  5  not an optical drive (regular file, directory, /dev/null, a disk)
  6  no medium, or the tray is open (the report is still printed)
  7  device busy (mounted, or held exclusively by another program)
  8  --battery --against: the battery differs beyond the medium fields
  9  --write-test refused before writing (no --yes-write; a disc holding data
     without --yes-erase; a medium it cannot test)
 10  --write-test: a step failed (the verdicts say which)";

/// Probes an optical drive and reports identity, profiles, medium, tray and capacity.
#[derive(Debug, Parser)]
#[command(name = "mmc-probe", version, about, long_about = None, after_help = AFTER_HELP)]
pub struct Args {
    /// The drive: /dev/srN, /dev/sgN, or mock:DIR. Without it, the drives are listed.
    pub device: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Send a fixed battery of read-only commands and print the raw replies.
    #[arg(long)]
    pub battery: bool,
    /// With --battery: compare the replies with a report's battery (`--report`), field by
    /// field except what the mock's medium model decides (docs/mmc-probe.md lists those
    /// fields); exit 8 when they differ.
    #[arg(long, value_name = "REPORT", requires = "battery")]
    pub against: Option<std::path::PathBuf>,
    /// Write a drive report to the file given with -o: the battery's raw replies with
    /// timings, every feature and mode page, buffer, speeds, disc, track and TOC
    /// information, the kernel's sysfs view, spindle's version (docs/mmc-probe.md, "The
    /// report"). Only read commands are sent unless --write-test is also given.
    #[arg(long, requires = "output", conflicts_with = "battery")]
    pub report: bool,
    /// Where --report writes (`-` for standard output).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    /// Keep serial numbers in the report (INQUIRY VPD pages 80h/83h, feature 0108h,
    /// sysfs vpd_pg80/vpd_pg83/wwid, /dev/disk/by-id names). By default they are
    /// overwritten and the report's `redacted` list says where.
    #[arg(long, requires = "report")]
    pub keep_serials: bool,
    /// Test that the drive writes the way spindle expects: on a blank or erasable disc, a
    /// new session of a small generated tree, an append, a verify of the tree, a read of
    /// every session, and blank or format where the medium allows. Each step prints the
    /// commands sent, the drive's answers and the time taken; the end is a verdict per step.
    /// Needs --yes-write; a write-once disc is used up.
    #[arg(long, conflicts_with = "battery")]
    pub write_test: bool,
    /// Allow --write-test to write to the disc (refused with exit 9 without it).
    #[arg(long, requires = "write_test")]
    pub yes_write: bool,
    /// Allow --write-test to blank or format a disc that already holds data (refused with
    /// exit 9 without it).
    #[arg(long, requires = "write_test")]
    pub yes_erase: bool,
    /// More logging on stderr: -v steps, -vv every drive command, -vvv data bytes.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// Runs `mmc-probe` with the process arguments.
pub fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::probe::USAGE
            } else {
                exit::probe::OK
            });
        }
    };
    crate::logging::init(args.verbose);
    match run(&args, &mut std::io::stdout().lock()) {
        Ok(code) => ExitCode::from(code),
        // A reader that stops early (`mmc-probe /dev/sr0 | head`) is not a failure.
        Err(e) if is_broken_pipe(&e) => ExitCode::from(exit::probe::OK),
        Err(e) => {
            crate::report_error("mmc-probe", &e);
            ExitCode::from(exit::probe_code(&e))
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .and_then(|j| j.io_error_kind())
                == Some(std::io::ErrorKind::BrokenPipe)
    })
}

/// Runs `mmc-probe`, writing results to `out`.
///
/// # Errors
/// Device and I/O failures, classified by [`exit::probe_code`].
pub fn run(args: &Args, out: &mut dyn Write) -> anyhow::Result<u8> {
    let Some(device) = args.device.as_deref() else {
        return list(args.json, out);
    };
    // A mock drive's directory is named as the disc layer names it; anything that is not a
    // drive goes to hal as given, so its refusal keeps its exit code (not an optical drive).
    let name = match crate::disc::Target::parse(device) {
        Ok(crate::disc::Target::Drive(d)) => d,
        _ => device.to_owned(),
    };
    if args.write_test && !args.report {
        return crate::cmd::writetest::run_cli(&name, args, out);
    }
    let transport = hal::open(&name)?;
    if args.report {
        return write_report(transport, &name, device, args, out);
    }
    if args.battery {
        let mut t = transport;
        let results = crate::cmd::battery::run(&mut t);
        if let Some(path) = &args.against {
            return against(&results, path, args.json, out);
        }
        if args.json {
            serde_json::to_writer_pretty(&mut *out, &results)?;
            writeln!(out)?;
        } else {
            crate::cmd::battery::print(&results, out)?;
        }
        return Ok(exit::probe::OK);
    }
    let mut drive = mmc::Drive::new(transport);
    let report = drive.probe().with_context(|| format!("probing {device}"))?;
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        print_report(&report, out)?;
    }
    if report.medium.is_none() {
        let why = if report.tray.open == Some(true) {
            "the tray is open"
        } else {
            "no medium in the drive"
        };
        eprintln!("mmc-probe: {device}: {why}");
        return Ok(exit::probe::NO_MEDIUM);
    }
    Ok(exit::probe::OK)
}

/// `--battery --against REPORT`: the comparison table, and exit 8 on a difference.
fn against(
    results: &[crate::cmd::battery::Reply],
    path: &std::path::Path,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let report = crate::cmd::report::load(path)?;
    let (table, diffs) = crate::cmd::battery::compare(&report.battery, results);
    if json {
        serde_json::to_writer_pretty(
            &mut *out,
            &serde_json::json!({ "compared": table, "differences": diffs }),
        )?;
        writeln!(out)?;
    } else {
        for c in &table {
            writeln!(
                out,
                "{}  {:<38} {}{}",
                if c.same { "same   " } else { "DIFFERS" },
                c.command,
                c.rule,
                if c.medium_fields.is_empty() {
                    String::new()
                } else {
                    format!(" (left out: {})", c.medium_fields.join("; "))
                }
            )?;
        }
        for d in &diffs {
            writeln!(
                out,
                "difference: {} {}: recorded {} / here {}",
                d.command, d.what, d.recorded, d.replayed
            )?;
        }
    }
    Ok(if diffs.is_empty() {
        exit::probe::OK
    } else {
        exit::probe::DIFFERS
    })
}

/// `--report -o FILE`: the battery, the probe, the kernel's view, and with `--write-test`
/// the write test, in one JSON file.
fn write_report(
    transport: Box<dyn hal::Transport>,
    name: &str,
    device: &str,
    args: &Args,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let mut report = crate::cmd::report::collect(
        transport,
        device,
        args.keep_serials,
        std::path::Path::new("/sys"),
        std::path::Path::new("/dev"),
    );
    let mut code = exit::probe::OK;
    if args.write_test {
        let (c, result) = crate::cmd::writetest::run_for_report(name, args, out)?;
        code = c;
        report.write_test = result;
    }
    let text = serde_json::to_string_pretty(&report)? + "\n";
    match args.output.as_deref() {
        Some(p) if p != std::path::Path::new("-") => {
            std::fs::write(p, text)
                .with_context(|| format!("writing the report to {}", p.display()))?;
            let removed = if report.serials_kept {
                "serial numbers kept (--keep-serials)".to_string()
            } else if report.redacted.is_empty() {
                "no serial numbers found".to_string()
            } else {
                format!(
                    "{} identifying value(s) removed, listed under \"redacted\"",
                    report.redacted.len()
                )
            };
            eprintln!(
                "mmc-probe: report written to {} ({} commands; {removed})",
                p.display(),
                report.battery.len()
            );
        }
        _ => out.write_all(text.as_bytes())?,
    }
    Ok(code)
}

fn list(json: bool, out: &mut dyn Write) -> anyhow::Result<u8> {
    let drives = hal::discover::list()?;
    list_drives(&drives, json, out, &mut std::io::stderr())
}

/// What `mmc-probe` says when no drive is found: what to do next, in two lines.
pub const NO_DRIVES: &str = "\
mmc-probe: no optical drive found. Connect one, or load its driver (modprobe sr_mod); `lsblk -S` lists the SCSI devices the kernel sees.
To try spindle without a drive: spindle mock new /tmp/drive --media dvd+rw && mmc-probe mock:/tmp/drive";

fn list_drives(
    drives: &[hal::discover::DriveNode],
    json: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    if json {
        serde_json::to_writer_pretty(&mut *out, &drives)?;
        writeln!(out)?;
        return Ok(exit::probe::OK);
    }
    if drives.is_empty() {
        writeln!(err, "{NO_DRIVES}")?;
        return Ok(exit::probe::OK);
    }
    for d in drives {
        let node = |p: &Option<std::path::PathBuf>| {
            p.as_ref()
                .map_or("-".to_string(), |p| p.display().to_string())
        };
        writeln!(
            out,
            "{:<10} {:<10} {:<8} {:<16} {:<4}  [{}]",
            node(&d.block),
            node(&d.sg),
            d.vendor,
            d.product,
            d.revision,
            d.hctl
        )?;
    }
    Ok(exit::probe::OK)
}

fn yes_no(v: Option<bool>, yes: &str, no: &str) -> String {
    match v {
        Some(true) => yes.to_string(),
        Some(false) => no.to_string(),
        None => "unknown".to_string(),
    }
}

/// Prints the report as text for people.
///
/// # Errors
/// Only write errors.
pub fn print_report(r: &mmc::ProbeReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "Device:        {}", r.device)?;
    writeln!(
        out,
        "Drive:         {} {} (revision {})",
        r.vendor, r.product, r.revision
    )?;
    let profiles: Vec<String> = r
        .profiles
        .iter()
        .map(|p| {
            if p.current {
                format!("{} ({:04X}h, current)", p.name, p.code)
            } else {
                format!("{} ({:04X}h)", p.name, p.code)
            }
        })
        .collect();
    writeln!(
        out,
        "Profiles:      {}",
        if profiles.is_empty() {
            "none reported".into()
        } else {
            profiles.join(", ")
        }
    )?;
    match &r.current_profile {
        Some(p) => writeln!(out, "Medium:        {} ({:04X}h)", p.name, p.code)?,
        None => writeln!(out, "Medium:        none")?,
    }
    writeln!(
        out,
        "Tray:          {}, {}, {}",
        yes_no(r.tray.open, "open", "closed"),
        if r.tray.medium_present {
            "medium present"
        } else {
            "no medium"
        },
        yes_no(r.tray.locked, "locked", "unlocked"),
    )?;
    if let Some(m) = &r.medium {
        let fmt = m
            .formatted
            .as_deref()
            .map(|f| format!(", {f}"))
            .unwrap_or_default();
        writeln!(
            out,
            "Disc status:   {}{fmt}; last session {}; {}",
            m.disc_status,
            m.last_session_state,
            if m.erasable {
                "erasable"
            } else {
                "not erasable"
            }
        )?;
        writeln!(
            out,
            "Sessions:      {} (tracks {}-{})",
            m.sessions, m.first_track, m.last_track
        )?;
        for t in &m.tracks {
            let mut extra = Vec::new();
            if t.blank {
                extra.push("blank".to_string());
            }
            if t.incomplete {
                extra.push("incomplete".to_string());
            }
            if let Some(n) = t.next_writable_address {
                extra.push(format!("NWA {n}"));
            }
            if let Some(f) = t.free_blocks {
                extra.push(format!("{} free", grouped(u64::from(f))));
            }
            writeln!(
                out,
                "  track {:>3}  session {:>3}  start {:>9}  size {:>9} blocks  {}{}",
                t.number,
                t.session,
                t.start_lba,
                t.size_blocks,
                t.mode,
                if extra.is_empty() {
                    String::new()
                } else {
                    format!("  ({})", extra.join(", "))
                }
            )?;
        }
        if let Some(lba) = m.last_session_start_lba {
            writeln!(out, "Last session:  starts at LBA {lba}")?;
        }
        match m.next_writable_address {
            Some(n) => writeln!(out, "Next writable: LBA {n}")?,
            None => writeln!(out, "Next writable: none (not writable)")?,
        }
        let c = &m.capacity;
        writeln!(
            out,
            "Capacity:      {} blocks of {} bytes, {}",
            grouped(c.total_blocks),
            c.block_size,
            bytes(c.total_bytes)
        )?;
        writeln!(
            out,
            "  used         {} blocks, {}",
            grouped(c.used_blocks),
            bytes(c.used_bytes)
        )?;
        writeln!(
            out,
            "  free         {} blocks, {}",
            grouped(c.free_blocks),
            bytes(c.free_bytes)
        )?;
    }
    if r.write_speeds.is_empty() {
        writeln!(out, "Write speeds:  none reported")?;
    } else {
        let s: Vec<String> = r
            .write_speeds
            .iter()
            .map(|s| format!("{:.1}x ({} kB/s)", s.multiplier, s.kbytes_per_sec))
            .collect();
        writeln!(out, "Write speeds:  {}", s.join(", "))?;
    }
    if let Some(k) = r.max_read_speed_kbps {
        writeln!(out, "Max read:      {k} kB/s")?;
    }
    if let Some(b) = r.buffer_size_kib {
        writeln!(out, "Buffer:        {b} KiB")?;
    }
    if !r.features.is_empty() {
        writeln!(out, "Write features:")?;
        for f in &r.features {
            writeln!(
                out,
                "  {:04X}h {}{}",
                f.code,
                f.name,
                if f.current { " (current)" } else { "" }
            )?;
        }
    }
    for w in &r.warnings {
        writeln!(out, "Warning:       {w}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_drives_says_what_to_do_next_in_two_lines() {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = list_drives(&[], false, &mut out, &mut err).unwrap();
        assert_eq!(code, exit::probe::OK);
        assert!(out.is_empty());
        let err = String::from_utf8(err).unwrap();
        assert_eq!(err.lines().count(), 2, "{err}");
        assert!(err.contains("modprobe sr_mod"), "{err}");
        assert!(err.contains("mmc-probe mock:/tmp/drive"), "{err}");
        // JSON callers get an empty list and no prose.
        let (mut out, mut err) = (Vec::new(), Vec::new());
        list_drives(&[], true, &mut out, &mut err).unwrap();
        assert_eq!(String::from_utf8(out).unwrap().trim(), "[]");
        assert!(err.is_empty());
    }
}
