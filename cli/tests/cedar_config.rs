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

/// A configuration with `peers` inside `<peers>` and `tail` after it.
fn config_text(peers: &str, tail: &str) -> String {
    format!(
        "<cb_config><options><starting_day>monday</starting_day>\
         <working_dir>/tmp</working_dir><backup_user>backup</backup_user>\
         <backup_group>backup</backup_group><rcp_command>/usr/bin/scp -B</rcp_command>\
         </options><peers>{peers}</peers><stage><staging_dir>/s</staging_dir></stage>{tail}\
         </cb_config>"
    )
}

fn check(text: &str) -> (Option<i32>, String, std::time::Duration) {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("cback3.conf");
    std::fs::write(&conf, text).unwrap();
    let started = std::time::Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_spindle"))
        .args(["config", "check", "--config"])
        .arg(&conf)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        started.elapsed(),
    )
}

const PEER: &str = "<peer><name>p</name><type>local</type><collect_dir>/c</collect_dir></peer>";

#[test]
fn deeply_nested_elements_are_a_config_error_not_a_crash() {
    let text = config_text(
        PEER,
        &format!("<x>{}{}</x>", "<a>".repeat(20_000), "</a>".repeat(20_000)),
    );
    let (code, err, _) = check(&text);
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("nested deeper than 64"), "{err}");
    // Cedar's own nesting is fine, and so are comments and quoted '>' on the way.
    let ok = config_text(
        "<!-- <a><a><a> --><peer><name a='>'>p</name><type>local</type>\
         <collect_dir>/c</collect_dir></peer>",
        "",
    );
    let (code, err, _) = check(&ok);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn a_huge_config_is_refused_at_once() {
    let peers: String = (0..450_000)
        .map(|i| {
            format!(
                "<peer><name>peer{i}</name><type>local</type>\
                 <collect_dir>/srv/collect/{i}</collect_dir></peer>\n"
            )
        })
        .collect();
    let (code, err, took) = check(&config_text(&peers, ""));
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("larger than"), "{err}");
    assert!(took < std::time::Duration::from_secs(10), "{took:?}");
    // Just under the peer limit, peers are checked in linear time.
    let peers: String = (0..10_000)
        .map(|i| {
            format!("<peer><name>p{i}</name><type>local</type><collect_dir>/c</collect_dir></peer>")
        })
        .collect();
    let (code, err, took) = check(&config_text(&peers, ""));
    assert_eq!(code, Some(0), "{err}");
    assert!(took < std::time::Duration::from_secs(10), "{took:?}");
    let peers: String = (0..10_001)
        .map(|i| {
            format!("<peer><name>p{i}</name><type>local</type><collect_dir>/c</collect_dir></peer>")
        })
        .collect();
    let (code, err, _) = check(&config_text(&peers, ""));
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("more than 10000 peers"), "{err}");
}

#[test]
fn remote_peer_names_must_be_host_names() {
    let remote = |name: &str| {
        format!("<peer><name>{name}</name><type>remote</type><collect_dir>/c</collect_dir></peer>")
    };
    for bad in [
        "host:$(touch /tmp/x)",
        "a@host:/etc",
        "a@host",
        "host`id`",
        "host;id",
        "-oProxyCommand=id",
        "host name",
        "",
    ] {
        let xml = bad.replace('&', "&amp;").replace('<', "&lt;");
        let (code, err, _) = check(&config_text(&remote(&xml), ""));
        assert_eq!(code, Some(4), "{bad:?} was accepted: {err}");
        assert!(err.contains("/cb_config/peers/peer[1]/name"), "{err}");
    }
    for good in ["host", "backup-1.example.org", "10.0.0.7", "a.b-c.d"] {
        let (code, err, _) = check(&config_text(&remote(good), ""));
        assert_eq!(code, Some(0), "{good:?}: {err}");
    }
    // A remote user that would reach the same command line is refused too.
    let user = "<peer><name>h</name><type>remote</type><collect_dir>/c</collect_dir>\
                <backup_user>a@evil:x</backup_user></peer>";
    let (code, err, _) = check(&config_text(user, ""));
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("backup_user"), "{err}");
}
