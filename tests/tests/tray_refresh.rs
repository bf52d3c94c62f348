//! The media refresh Cedar runs after a burn (`cli::disc::tray::refresh`): unlock (persistent lock
//! included), tray out, eject delay, tray in, wait ready, unlock, refresh delay; `no_eject`
//! keeps the tray still but still unlocks and waits.

use std::time::Duration;

use hal::mock::MediaKind;
use mmc::command::PreventAllowMediumRemoval;
use tests::MockDisc;

fn lines_since(disc: &MockDisc, skip: usize) -> Vec<String> {
    let t = disc.drive.transcript().unwrap_or_default();
    t.lines().skip(skip).map(str::to_owned).collect()
}

fn policy(no_eject: bool) -> cli::disc::tray::TrayPolicy {
    cli::disc::tray::TrayPolicy {
        no_eject,
        eject_delay: Duration::from_secs(3),
        refresh_delay: Duration::from_secs(5),
    }
}

#[test]
fn refresh_moves_the_tray_and_waits_the_delays() {
    let disc = MockDisc::with(MediaKind::DvdPlusR, false);
    disc.settle();
    let mut d = disc.mmc();
    // A persistent lock would make a plain `eject -i off` fail: the refresh clears it.
    d.run(&PreventAllowMediumRemoval::set_persistent()).unwrap();
    let before = lines_since(&disc, 0).len();
    let mut slept = Vec::new();
    cli::disc::tray::refresh_drive(&mut d, &policy(false), &mut |t| slept.push(t)).unwrap();
    assert_eq!(slept, [Duration::from_secs(3), Duration::from_secs(5)]);
    let sent = lines_since(&disc, before);
    let eject = sent.iter().position(|l| l.starts_with("1B 00 00 00 02 00"));
    let load = sent.iter().position(|l| l.starts_with("1B 00 00 00 03 00"));
    let unlock = sent.iter().position(|l| l.starts_with("1E 00 00 00 02 00"));
    assert!(
        matches!((unlock, eject, load), (Some(u), Some(e), Some(l)) if u < e && e < l),
        "{sent:#?}"
    );
    assert!(
        sent.iter()
            .filter(|l| l.starts_with("1B "))
            .all(|l| l.ends_with("GOOD")),
        "{sent:#?}"
    );
    // The medium is back and ready.
    assert!(disc.drive.state().unwrap().medium.is_some());
    assert!(!disc.drive.state().unwrap().tray_open);
}

#[test]
fn no_eject_keeps_the_tray_but_unlocks_and_waits() {
    let disc = MockDisc::with(MediaKind::CdR, false);
    disc.settle();
    let mut d = disc.mmc();
    let before = lines_since(&disc, 0).len();
    let mut slept = Vec::new();
    cli::disc::tray::refresh_drive(&mut d, &policy(true), &mut |t| slept.push(t)).unwrap();
    assert_eq!(slept, [Duration::from_secs(5)]);
    let sent = lines_since(&disc, before);
    assert!(!sent.iter().any(|l| l.starts_with("1B ")), "{sent:#?}");
    assert!(sent.iter().any(|l| l.starts_with("1E ")), "{sent:#?}");
}

#[test]
fn burn_then_refresh_from_the_command_line() {
    let disc = MockDisc::with(MediaKind::DvdPlusRw, true);
    let src = tempfile::tempdir().unwrap();
    std::fs::write(src.path().join("f"), b"hello").unwrap();
    let dev = disc.spec();
    let graft = format!("x={}", src.path().display());
    let code = cli::spindle::run_args([
        "spindle",
        "burn",
        &dev,
        "--new-disc",
        "--refresh",
        "--tree",
        &graft,
    ]);
    assert_eq!(code, 0);
    let t = disc.drive.transcript().unwrap();
    assert!(t.lines().any(|l| l.starts_with("1B 00 00 00 02 00")), "{t}");
    assert_eq!(
        cli::spindle::run_args([
            "spindle",
            "refresh",
            &dev,
            "--no-eject",
            "--refresh-delay",
            "0"
        ]),
        0
    );
    let mut image = cli::disc::session::open_last_session(&dev).unwrap();
    let e = image.lookup("x/f").unwrap();
    assert_eq!(e.size, 5);
}
