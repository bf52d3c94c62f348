//! The `<store>` settings that shape the drive's work, end to end against the mock drive:
//! `no_eject` (no tray movement, still the unlock and the refresh delay: quirk Q5),
//! `drive_speed` (the write speed asked of the drive, as N× of the medium's 1× rate), and
//! `refresh_media_delay` (the pause after the tray cycle, before check_data reads the disc).
//! spindle runs as a program (`spindle-dev`) so its debug log, with a timestamp per drive
//! command, belongs to this run alone.

use std::process::Command;

use hal::mock::MediaKind;
use tests::cedarkit::{Knobs, Setup, WEEK};

const SPINDLE: &str = env!("CARGO_BIN_EXE_spindle-dev");

/// Runs `spindle -d --full store` on WEEK[0] with `knobs`; returns the setup, the drive
/// commands the store sent (transcript lines) and the debug log.
fn store(kind: MediaKind, knobs: &Knobs) -> (Setup, Vec<String>, String) {
    let s = Setup::new(kind, knobs);
    s.stage_day(WEEK[0], 50_000);
    let before = s
        .disc
        .drive
        .transcript()
        .unwrap_or_default()
        .lines()
        .count();
    let log = s.root.path().join("debug.log");
    let o = Command::new(SPINDLE)
        .arg("--config")
        .arg(&s.config)
        .arg("-l")
        .arg(&log)
        .args(["-d", "--today", WEEK[0], "--full", "store"])
        .output()
        .unwrap();
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}\n{log}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(s.stored(WEEK[0]), "the day is marked stored:\n{log}");
    let sent = s
        .disc
        .drive
        .transcript()
        .unwrap_or_default()
        .lines()
        .skip(before)
        .map(str::to_owned)
        .collect();
    (s, sent, log)
}

/// Milliseconds since midnight of a log line (`YYYY-MM-DD HH:MM:SS,mmm --> …`).
fn stamp(line: &str) -> u64 {
    let t = &line[11..23];
    let n = |r: std::ops::Range<usize>| t[r].parse::<u64>().unwrap();
    ((n(0..2) * 60 + n(3..5)) * 60 + n(6..8)) * 1000 + n(9..12)
}

/// The pause (ms) between the last drive command of the media refresh (the unlock after
/// the write, or after the reload) and the consistency check that follows it.
fn refresh_pause(log: &str) -> u64 {
    let lines: Vec<&str> = log.lines().collect();
    let check = lines
        .iter()
        .position(|l| l.contains("consistency check: reading the last session"))
        .unwrap_or_else(|| panic!("no consistency check in the log:\n{log}"));
    let last_unlock = lines[..check]
        .iter()
        .rposition(|l| l.contains(": 1E 00 00 00 00 00 | none"))
        .unwrap_or_else(|| panic!("no unlock before the check:\n{log}"));
    // Nothing reaches the drive between that unlock and the check: the pause is the delay.
    assert!(
        lines[last_unlock + 1..check]
            .iter()
            .all(|l| !l.contains(" | ")),
        "drive commands between the refresh and the check:\n{log}"
    );
    stamp(lines[check]) - stamp(lines[last_unlock])
}

fn tray_moves(sent: &[String]) -> (usize, usize) {
    let n = |p: &str| sent.iter().filter(|l| l.starts_with(p)).count();
    // START STOP UNIT (1Bh) with LoEj: 02h opens the tray, 03h closes it.
    (n("1B 00 00 00 02 00"), n("1B 00 00 00 03 00"))
}

fn unlocks_after_the_write(sent: &[String]) -> bool {
    let last_write = sent
        .iter()
        .rposition(|l| l.starts_with("2A ") || l.starts_with("35 "))
        .expect("the store wrote");
    let after = &sent[last_write..];
    // PREVENT ALLOW MEDIUM REMOVAL: the persistent prevent cleared (02h), then allowed (00h).
    after.iter().any(|l| l.starts_with("1E 00 00 00 02 00"))
        && after.iter().any(|l| l.starts_with("1E 00 00 00 00 00"))
}

#[test]
fn no_eject_keeps_the_tray_still_but_still_unlocks_and_waits() {
    // Without no_eject: the tray goes out and in after the write.
    let (_s, sent, _log) = store(MediaKind::DvdPlusRw, &Knobs::default());
    assert_eq!(tray_moves(&sent), (1, 1), "{sent:#?}");

    // With it: no START STOP UNIT at all, but the unlock and the refresh delay (Q5), and
    // the written day is checked and marked as usual.
    let knobs = Knobs {
        no_eject: true,
        refresh_media_delay: Some(1),
        ..Knobs::default()
    };
    let (s, sent, log) = store(MediaKind::DvdPlusRw, &knobs);
    assert_eq!(tray_moves(&sent), (0, 0), "{sent:#?}");
    assert!(!sent.iter().any(|l| l.starts_with("1B ")), "{sent:#?}");
    assert!(unlocks_after_the_write(&sent), "{sent:#?}");
    assert!(
        !log.contains("refreshing the media (tray out and in)"),
        "{log}"
    );
    let pause = refresh_pause(&log);
    assert!(pause >= 1000, "paused {pause} ms:\n{log}");
    let (files, label) = s.last_session();
    assert!(
        files.iter().any(|f| f.starts_with("2024/03/04/")),
        "{files:?}"
    );
    assert_eq!(label, "CEDAR BACKUP 04-MAR-2024");
    assert!(!s.disc.drive.state().unwrap().tray_open);
}

#[test]
fn refresh_media_delay_is_the_pause_after_the_tray_cycle() {
    let knobs = Knobs {
        refresh_media_delay: Some(2),
        ..Knobs::default()
    };
    let (_s, sent, log) = store(
        MediaKind::CdRw,
        &Knobs {
            media_type: "cdrw-74",
            ..knobs
        },
    );
    assert_eq!(tray_moves(&sent), (1, 1), "{sent:#?}");
    // The pause follows the reload: it comes after the tray closed.
    let lines: Vec<&str> = log.lines().collect();
    let load = lines
        .iter()
        .rposition(|l| l.contains(": 1B 00 00 00 03 00 |"))
        .expect("the tray closed");
    let check = lines
        .iter()
        .position(|l| l.contains("consistency check: reading the last session"))
        .expect("the check ran");
    assert!(load < check);
    let pause = refresh_pause(&log);
    assert!((2000..6000).contains(&pause), "paused {pause} ms:\n{log}");

    // Without the setting there is no such pause.
    let (_s, _sent, log) = store(
        MediaKind::CdRw,
        &Knobs {
            media_type: "cdrw-74",
            ..Knobs::default()
        },
    );
    let pause = refresh_pause(&log);
    assert!(
        pause < 1000,
        "paused {pause} ms without a refresh delay:\n{log}"
    );
}

#[test]
fn drive_speed_is_the_write_speed_asked_of_the_drive() {
    // N× of the medium's 1× rate (MMC: DVD 1385 kB/s, CD 176.4 kB/s). no_eject keeps the
    // medium loaded, so the mock still shows the speed it was given.
    for (kind, media_type, speed, kbs) in [
        (MediaKind::DvdPlusRw, "dvd+rw", 2, 2770),
        (MediaKind::DvdPlusR, "dvd+r", 4, 5540),
        (MediaKind::CdR, "cdr-80", 4, 706),
    ] {
        let knobs = Knobs {
            media_type,
            drive_speed: Some(speed),
            no_eject: true,
            ..Knobs::default()
        };
        let (s, sent, log) = store(kind, &knobs);
        // SET STREAMING (B6h) first; SET CD SPEED (BBh) where a drive refuses it.
        let set = sent
            .iter()
            .position(|l| l.starts_with("B6 ") || l.starts_with("BB "))
            .unwrap_or_else(|| panic!("{media_type}: no speed command:\n{sent:#?}"));
        let first_write = sent.iter().position(|l| l.starts_with("2A ")).unwrap();
        assert!(set < first_write, "{media_type}: speed set after writing");
        assert!(
            log.contains(&format!("{kbs} kB/s")),
            "{media_type}: {kbs} kB/s not asked:\n{log}"
        );
        assert_eq!(
            s.disc.drive.state().unwrap().write_speed_kbs,
            Some(kbs),
            "{media_type}"
        );
    }
    // Without drive_speed the drive keeps its own (fastest) speed: no speed command.
    let (s, sent, _log) = store(
        MediaKind::DvdPlusRw,
        &Knobs {
            no_eject: true,
            ..Knobs::default()
        },
    );
    assert!(
        !sent
            .iter()
            .any(|l| l.starts_with("B6 ") || l.starts_with("BB ")),
        "{sent:#?}"
    );
    assert_eq!(s.disc.drive.state().unwrap().write_speed_kbs, None);
}
