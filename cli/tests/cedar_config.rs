//! Cedar Backup configuration: Cedar's own sample parses with its values as cback3 reads
//! them; `spindle config check` and the log file through the real binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::Weekday;
use cli::cedar::config::{BlankMode, Config, DeviceType, IgnoreFailures, MediaType, PeerKind};

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cback3.conf.sample")
}

#[test]
fn cedar_sample_reads_as_cedar_reads_it() {
    let c = Config::load(&sample()).expect("the sample config is valid");
    let o = &c.options;
    assert_eq!(o.starting_day, Weekday::Tue);
    assert_eq!(o.working_dir, Path::new("/opt/backup/tmp"));
    assert_eq!(o.backup_user, "backup");
    assert_eq!(o.backup_group, "group");
    assert_eq!(o.rcp_command, "/usr/bin/scp -B");
    assert_eq!(o.rsh_command, None);
    assert_eq!(o.cback_command, None);
    assert_eq!(o.managed_actions, None);
    let ov: Vec<(&str, &Path)> = o
        .overrides
        .iter()
        .map(|x| (x.command.as_str(), x.abs_path.as_path()))
        .collect();
    assert_eq!(
        ov,
        [
            ("cdrecord", Path::new("/opt/local/bin/cdrecord")),
            ("mkisofs", Path::new("/opt/local/bin/mkisofs"))
        ]
    );
    assert_eq!(o.pre_action_hooks.len(), 1);
    assert_eq!(o.pre_action_hooks[0].action, "collect");
    assert_eq!(
        o.pre_action_hooks[0].command,
        r#"echo "I AM A PRE-ACTION HOOK RELATED TO COLLECT""#
    );
    assert_eq!(
        o.post_action_hooks[0].command,
        r#"echo "I AM A POST-ACTION HOOK RELATED TO COLLECT""#
    );
    assert_eq!(c.peers, None);
    let st = c.stage.as_ref().unwrap();
    assert_eq!(st.staging_dir, Path::new("/opt/backup/stage"));
    assert_eq!(st.peers.len(), 1);
    let p = &st.peers[0];
    assert_eq!(p.name, "debian");
    assert_eq!(p.kind, PeerKind::Local);
    assert_eq!(p.collect_dir, Path::new("/opt/backup/collect"));
    assert_eq!(p.ignore_failures, IgnoreFailures::None);
    assert!(!p.managed);
    assert_eq!(c.staging_peers().len(), 1);
    let s = c.store.as_ref().unwrap();
    assert_eq!(s.source_dir, Path::new("/opt/backup/stage"));
    assert_eq!(s.media_type, MediaType::Cdrw74);
    assert_eq!(s.device_type, DeviceType::Cdwriter);
    assert_eq!(s.target_device, "/dev/cdrw");
    assert_eq!(s.target_scsi_id.as_deref(), Some("0,0,0"));
    assert_eq!(s.drive_speed, Some(4));
    assert!(s.check_data);
    assert!(!s.check_media);
    assert!(!s.warn_midnite);
    assert!(!s.no_eject);
    assert_eq!(s.refresh_media_delay, None);
    assert_eq!(s.eject_delay, None);
    let b = s.blank_behavior.as_ref().unwrap();
    assert_eq!(b.mode, BlankMode::Weekly);
    assert_eq!(b.factor, 5.1);
    assert_eq!(
        c.ignored,
        [
            "reference",
            "extensions",
            "collect",
            "purge",
            "mysql",
            "postgresql",
            "subversion",
            "mbox",
            "encrypt"
        ]
    );
}

#[test]
fn config_check_and_dump_json() {
    let out = Command::new(env!("CARGO_BIN_EXE_spindle"))
        .args(["config", "check", "--dump-json", "--config"])
        .arg(sample())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["store"]["media_type"], "cdrw-74");
    assert_eq!(v["options"]["starting_day"], "tuesday");
    assert_eq!(v["stage"]["peers"][0]["type"], "local");
    assert_eq!(v["store"]["blank_behavior"]["factor"], 5.1);

    let t = tempfile::tempdir().unwrap();
    let bad = t.path().join("bad.conf");
    let text = std::fs::read_to_string(sample())
        .unwrap()
        .replace("cdrw-74", "dvd-r");
    std::fs::write(&bad, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_spindle"))
        .args(["config", "check", "--config"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/cb_config/store/media_type: 'dvd-r' is not one of cdr-74"),
        "{err}"
    );
}

#[test]
fn logfile_gets_cedar_lines_and_bad_logfile_exits_3() {
    let t = tempfile::tempdir().unwrap();
    let log = t.path().join("cback3.log");
    // validate fails here (/opt/backup/tmp is missing): exit 6, and the log says why.
    let out = Command::new(env!("CARGO_BIN_EXE_spindle"))
        .arg("--config")
        .arg(sample())
        .arg("-l")
        .arg(&log)
        .args(["-m", "600", "validate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("] - INFO: executing the validate action"),
        "{text}"
    );
    assert!(
        text.contains("ERROR: validate: working_dir /opt/backup/tmp does not exist"),
        "{text}"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&log).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let out = Command::new(env!("CARGO_BIN_EXE_spindle"))
        .arg("--config")
        .arg(sample())
        .args(["-l", "/nonexistent-dir/x.log", "validate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
}
