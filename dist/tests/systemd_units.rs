//! The systemd units: `systemd-analyze verify` accepts them (with the man pages they cite and
//! the binary they start in place), and the service's command is Cedar's nightly order whose
//! failure fails the unit.

use std::path::{Path, PathBuf};
use std::process::Command;

use hal::mock::MediaKind;
use tests::cedarkit::{Knobs, Setup};

fn units_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("systemd")
}

fn unit(name: &str) -> String {
    std::fs::read_to_string(units_dir().join(name)).expect("read unit")
}

/// The values of `key=` in `[section]`, in order.
fn values(text: &str, section: &str, key: &str) -> Vec<String> {
    let mut current = String::new();
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = s.to_owned();
            continue;
        }
        if current == section {
            if let Some((k, v)) = line.split_once('=') {
                if k.trim() == key {
                    out.push(v.trim().to_owned());
                }
            }
        }
    }
    out
}

#[test]
fn units_pass_systemd_analyze_verify() {
    if !tests::tier::tier(
        "units_pass_systemd_analyze_verify",
        &["systemd-analyze", "man"],
    ) {
        return;
    }
    // An image root holding the system's own units (verify needs sysinit.target and the
    // rest), ours, and an executable at ExecStart's path, so the check sees what a package
    // installs; the man pages the units cite are found through MANPATH.
    let root = tempfile::tempdir().unwrap();
    let sys = root.path().join("usr/lib/systemd/system");
    std::fs::create_dir_all(&sys).unwrap();
    let host = ["/usr/lib/systemd/system", "/lib/systemd/system"]
        .into_iter()
        .find(|d| Path::new(d).join("sysinit.target").exists())
        .expect("the host's systemd units");
    let cp = Command::new("cp")
        .args(["-a", &format!("{host}/."), sys.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(cp.success());
    for u in ["spindle-nightly.service", "spindle-nightly.timer"] {
        std::fs::copy(units_dir().join(u), sys.join(u)).unwrap();
    }
    let bin = root.path().join("usr/bin/spindle");
    std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
    // verify looks only at whether ExecStart's program is executable.
    std::fs::write(&bin, "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(&bin, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let man = root.path().join("man");
    dist::man::write(&man).unwrap();

    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(format!("--root={}", root.path().display()))
        .arg(sys.join("spindle-nightly.service"))
        .arg(sys.join("spindle-nightly.timer"))
        .env("MANPATH", &man)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "systemd-analyze verify: {stderr}");
    assert!(stderr.trim().is_empty(), "systemd-analyze verify: {stderr}");

    // The check is not blind: a misspelt key is reported.
    let svc = sys.join("spindle-nightly.service");
    let bad = std::fs::read_to_string(&svc)
        .unwrap()
        .replace("ProtectSystem=", "ProtectSytem=");
    std::fs::write(&svc, bad).unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(format!("--root={}", root.path().display()))
        .arg(&svc)
        .env("MANPATH", &man)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("ProtectSytem"),
        "a misspelt key went unreported"
    );
}

#[test]
fn the_timer_starts_the_service_nightly() {
    let timer = unit("spindle-nightly.timer");
    assert_eq!(values(&timer, "Install", "WantedBy"), ["timers.target"]);
    let on = values(&timer, "Timer", "OnCalendar");
    assert_eq!(on.len(), 1, "{on:?}");
    assert!(on[0].starts_with("*-*-* "), "nightly, not {on:?}");
    assert_eq!(values(&timer, "Timer", "Persistent"), ["true"]);
    // No Unit= line: the timer starts the service of its own name.
    assert!(values(&timer, "Timer", "Unit").is_empty());
}

#[test]
fn the_service_can_reach_the_drive() {
    let svc = unit("spindle-nightly.service");
    assert_eq!(values(&svc, "Service", "DevicePolicy"), ["closed"]);
    let allow = values(&svc, "Service", "DeviceAllow");
    assert!(allow.iter().any(|a| a == "block-sr rw"), "{allow:?}");
    assert!(allow.iter().any(|a| a == "char-sg rw"), "{allow:?}");
    // A private /dev would hide /dev/sr* and /dev/sg* whatever DeviceAllow says.
    assert!(values(&svc, "Service", "PrivateDevices")
        .iter()
        .all(|v| v == "no" || v == "false"));
    assert_eq!(values(&svc, "Service", "SupplementaryGroups"), ["cdrom"]);
    // SG_IO commands outside the kernel's safe list need CAP_SYS_RAWIO.
    let caps = values(&svc, "Service", "CapabilityBoundingSet").join(" ");
    assert!(caps.contains("CAP_SYS_RAWIO"), "{caps}");
}

/// ExecStart as argv, with the config path and the program replaced, and a log file and the
/// date pinned (switches go before the actions, as cback3's do).
fn exec_start_argv(setup: &Setup, day: &str) -> Vec<String> {
    let svc = unit("spindle-nightly.service");
    let exec = values(&svc, "Service", "ExecStart");
    assert_eq!(exec.len(), 1, "one ExecStart: {exec:?}");
    let line = &exec[0];
    // A '-' prefix would make systemd ignore the exit code.
    assert!(line.starts_with("/usr/bin/spindle "), "{line}");
    let mut argv: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
    let i = argv.iter().position(|a| a == "--config").expect("--config");
    assert_eq!(argv[i + 1], "/etc/cback3.conf");
    argv[i + 1] = setup.config.display().to_string();
    argv[0] = "spindle".into();
    let log = setup.root.path().join("unit.log").display().to_string();
    argv.splice(1..1, ["-l".into(), log, "--today".into(), day.into()]);
    argv
}

#[test]
fn the_service_runs_stage_then_store_and_a_failed_store_fails_the_unit() {
    let svc = unit("spindle-nightly.service");
    let exec = values(&svc, "Service", "ExecStart");
    let words: Vec<&str> = exec[0].split_whitespace().collect();
    assert_eq!(
        &words[words.len() - 2..],
        ["stage", "store"],
        "Cedar's order"
    );
    let success: Vec<String> = values(&svc, "Service", "SuccessExitStatus")
        .iter()
        .flat_map(|v| v.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    let unit_succeeds = |code: u8| code == 0 || success.iter().any(|s| s == &code.to_string());

    let day = "2024-03-05";
    let setup = Setup::new(MediaKind::DvdPlusRw, &Knobs::default());
    let peer = setup.root.path().join("peers/alpha");
    std::fs::write(peer.join("data.tar"), b"tuesday\n").unwrap();
    std::fs::write(peer.join("cback.collect"), b"").unwrap();

    let code = cli::spindle::run_args(exec_start_argv(&setup, day));
    assert_eq!(code, 0, "the nightly job on a good disc");
    assert!(unit_succeeds(code));
    assert!(setup.stored(day));
    let (files, _) = setup.last_session();
    assert!(
        files.iter().any(|f| f.ends_with("alpha/data.tar")),
        "{files:?}"
    );

    // The next night, with the disc taken out: stage works, store cannot, and the unit fails.
    let next = "2024-03-06";
    std::fs::write(peer.join("cback.collect"), b"").unwrap();
    setup.disc.drive.clone().force_eject().unwrap();
    let code = cli::spindle::run_args(exec_start_argv(&setup, next));
    assert_eq!(code, cli::exit::spindle::ACTION_FAILED);
    assert!(!unit_succeeds(code), "a failed store must fail the unit");
    assert!(!setup.stored(next));
}
