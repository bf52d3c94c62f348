//! Drop-in parity with cback3's command line and validate action: command lines copied from
//! cron (`-b`, `-D` alone, `--managed-only all`, `--managed collect`), and validate checking
//! the store, collect and purge sections as Cedar's validate does.

use std::process::{Command, Output};

const SPINDLE: &str = env!("CARGO_BIN_EXE_spindle-dev");

struct Conf {
    dir: tempfile::TempDir,
}

impl Conf {
    /// A configuration with a stage and store section, one managed remote peer whose remote
    /// shell is a script that records what it was asked to run, and `extra` sections.
    fn new(store_source: Option<&str>, device: Option<&str>, extra: &str) -> Conf {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for sub in ["work", "stage", "collect"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        let rsh = d.join("fake-rsh");
        std::fs::write(
            &rsh,
            format!(
                "#!/bin/sh\necho \"$@\" >> {}\n",
                d.join("rsh.log").display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&rsh, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let mock = d.join("drive");
        let o = Command::new(SPINDLE)
            .args(["mock", "new"])
            .arg(&mock)
            .args(["--media", "dvd+rw"])
            .output()
            .unwrap();
        assert!(o.status.success());
        let user = nix::unistd::User::from_uid(nix::unistd::geteuid())
            .unwrap()
            .unwrap()
            .name;
        let group = nix::unistd::Group::from_gid(nix::unistd::getegid())
            .unwrap()
            .unwrap()
            .name;
        let source = store_source.map_or_else(
            || d.join("stage").display().to_string(),
            ToString::to_string,
        );
        let device = device.map_or_else(|| format!("mock:{}", mock.display()), ToString::to_string);
        let xml = format!(
            r#"<?xml version="1.0"?>
<cb_config>
  <reference><author>test</author></reference>
  <options>
    <starting_day>monday</starting_day>
    <working_dir>{work}</working_dir>
    <backup_user>{user}</backup_user>
    <backup_group>{group}</backup_group>
    <rcp_command>/usr/bin/scp -B</rcp_command>
    <rsh_command>{rsh}</rsh_command>
    <cback_command>cback3</cback_command>
    <managed_actions>collect,stage,store,purge</managed_actions>
  </options>
  <peers>
    <peer>
      <name>farhost</name>
      <type>remote</type>
      <collect_dir>/var/backup/collect</collect_dir>
      <managed>Y</managed>
    </peer>
  </peers>
  <stage><staging_dir>{stage}</staging_dir></stage>
  <store>
    <source_dir>{source}</source_dir>
    <media_type>dvd+rw</media_type>
    <device_type>dvdwriter</device_type>
    <target_device>{device}</target_device>
  </store>
  {extra}
</cb_config>
"#,
            work = d.join("work").display(),
            rsh = rsh.display(),
            stage = d.join("stage").display(),
        );
        std::fs::write(d.join("cback3.conf"), xml).unwrap();
        Conf { dir }
    }

    fn path(&self) -> String {
        self.dir.path().join("cback3.conf").display().to_string()
    }

    fn run(&self, args: &[&str]) -> Output {
        let log = self.dir.path().join("cback3.log").display().to_string();
        Command::new(SPINDLE)
            .args(["--config", &self.path(), "--logfile", &log])
            .args(args)
            .output()
            .unwrap()
    }

    /// Replaces `from` (which must be there) by `to` in the configuration file.
    fn edit(&self, from: &str, to: &str) {
        let p = self.dir.path().join("cback3.conf");
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains(from), "{from} not in the configuration");
        std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
    }

    /// An executable script `name` in the setup's directory; returns its path.
    fn script(&self, name: &str, body: &str) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        p.display().to_string()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("cback3.log")).unwrap_or_default()
    }

    fn rsh_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("rsh.log")).unwrap_or_default()
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn cron_command_lines_work() {
    let c = Conf::new(None, None, "");
    // -b is cback3's --verbose.
    let o = c.run(&["-b", "validate"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // -D alone prints the diagnostics.
    let o = Command::new(SPINDLE).arg("-D").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("spindle"), "{}", text(&o));

    // --managed-only all runs collect, stage, store and purge on the managed peer, and
    // nothing locally.
    let o = c.run(&["--managed-only", "all"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let log = c.rsh_log();
    for a in ["collect", "stage", "store", "purge"] {
        assert!(log.contains(&format!("cback3 {a}")), "{a} missing: {log}");
    }
    assert!(
        std::fs::read_dir(c.dir.path().join("stage"))
            .unwrap()
            .next()
            .is_none(),
        "nothing ran locally"
    );

    // --managed collect runs the managed collect, then says the local one did not run.
    let c = Conf::new(None, None, "");
    let o = c.run(&["--managed", "collect"]);
    assert!(c.rsh_log().contains("cback3 collect"), "{}", c.rsh_log());
    assert_eq!(o.status.code(), Some(6), "{}", text(&o));
    assert!(
        text(&o).contains("local collect did not run"),
        "{}",
        text(&o)
    );
}

#[test]
fn validate_checks_what_cedar_checks() {
    // A valid file validates.
    let c = Conf::new(None, None, "");
    let o = c.run(&["validate"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    let cases: Vec<(Conf, &str)> = vec![
        (
            Conf::new(Some("/nonexistent/stage"), None, ""),
            "store source_dir /nonexistent/stage does not exist",
        ),
        (
            Conf::new(None, Some("/dev/nonexistent-sr9"), ""),
            "target_device /dev/nonexistent-sr9",
        ),
        (
            Conf::new(
                None,
                None,
                "<purge><dir><abs_path>/nonexistent/purge</abs_path><retain_days>7</retain_days></dir></purge>",
            ),
            "purge dir /nonexistent/purge does not exist",
        ),
        (
            Conf::new(
                None,
                None,
                "<collect><collect_dir>/nonexistent/collect</collect_dir><collect_mode>daily</collect_mode><archive_mode>tar</archive_mode></collect>",
            ),
            "collect target_dir /nonexistent/collect does not exist",
        ),
    ];
    for (c, want) in cases {
        let o = c.run(&["validate"]);
        assert_eq!(o.status.code(), Some(6), "{want}: {}", text(&o));
        assert!(text(&o).contains(want), "{want}: {}", text(&o));
    }
}

#[test]
fn a_file_with_no_action_section_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.conf");
    std::fs::write(
        &p,
        r#"<cb_config><reference/><options><starting_day>monday</starting_day><working_dir>/tmp</working_dir><backup_user>root</backup_user><backup_group>root</backup_group></options></cb_config>"#,
    )
    .unwrap();
    let o = Command::new(SPINDLE)
        .args(["config", "check", "--config"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert!(
        text(&o).contains("at least one of <collect>, <stage>, <store> and <purge>"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_persistent_lock_does_not_stop_the_store_or_leave_the_day_unmarked() {
    use tests::cedarkit::{Knobs, Setup, WEEK};
    let s = Setup::new(hal::mock::MediaKind::DvdPlusRw, &Knobs::default());
    s.stage_day(WEEK[0], 2000);
    let spec = s.disc.spec();
    assert_eq!(
        cli::spindle::run_args(["spindle", "lock", "--persistent", spec.as_str()]),
        0
    );
    assert_eq!(s.run(WEEK[0], &["store"]), 0);
    assert!(
        s.stored(WEEK[0]),
        "the written and checked day is marked stored"
    );
    let (files, _) = s.last_session();
    assert!(!files.is_empty());
}

#[test]
fn overrides_replace_the_commands_spindle_runs_and_are_noted_for_the_others() {
    let c = Conf::new(None, None, "");
    let d = c.dir.path().display().to_string();
    // The remote shell is configured as /usr/bin/ssh and overridden by a script that
    // records its arguments; su (used because the test may run as root) is overridden by a
    // script that records its arguments and runs the real su.
    let rsh = c.script(
        "override-rsh",
        &format!("echo \"rsh $@\" >> {d}/overrides.log"),
    );
    let su = c.script(
        "override-su",
        &format!("echo \"su $@\" >> {d}/overrides.log\nexec su \"$@\""),
    );
    // The copy program of remote peers (rcp_command /usr/bin/scp -B): a script that
    // records its arguments and fails, so the peer is not ready.
    let scp = c.script(
        "override-scp",
        &format!("echo \"scp $@\" >> {d}/overrides.log\nexit 1"),
    );
    let fake = c.dir.path().join("fake-rsh").display().to_string();
    c.edit(
        &format!("<rsh_command>{fake}</rsh_command>"),
        &format!(
            "<rsh_command>/usr/bin/ssh -q</rsh_command>\
             <override><command>/usr/bin/ssh</command><abs_path>{rsh}</abs_path></override>\
             <override><command>su</command><abs_path>{su}</abs_path></override>\
             <override><command>/usr/bin/scp</command><abs_path>{scp}</abs_path></override>\
             <override><command>growisofs</command><abs_path>/opt/none/growisofs</abs_path></override>\
             <override><command>mysqldump</command><abs_path>/opt/none/mysqldump</abs_path></override>"
        ),
    );
    let o = c.run(&["--managed-only", "stage"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let log = std::fs::read_to_string(c.dir.path().join("overrides.log")).unwrap_or_default();
    assert!(
        log.contains("rsh -q ") && log.contains("@farhost cback3 stage"),
        "the overridden remote shell did not run: {log}\n{}",
        c.log()
    );
    assert!(c.rsh_log().is_empty(), "the configured one ran");
    // The local stage asks the remote peer for its cback.collect through the copy program.
    let o = c.run(&["--today", "2024-03-04", "stage"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let log = std::fs::read_to_string(c.dir.path().join("overrides.log")).unwrap_or_default();
    assert!(
        log.contains("scp -B ") && log.contains("@farhost:/var/backup/collect/cback.collect"),
        "the overridden copy program did not run: {log}\n{}",
        c.log()
    );
    if nix::unistd::geteuid().is_root() {
        assert!(log.contains("su "), "su was not overridden: {log}");
        assert!(
            log.contains(&rsh),
            "the su command line names the override: {log}"
        );
    }
    // What each override does is in the log: used, replaced by spindle's own code, or for
    // cback3's extensions.
    let l = c.log();
    assert!(
        l.contains("override /usr/bin/ssh -> ") && l.contains("spindle runs"),
        "{l}"
    );
    assert!(
        l.contains(
            "override growisofs -> /opt/none/growisofs: not used (spindle writes DVDs itself"
        ),
        "{l}"
    );
    assert!(
        l.contains("override mysqldump -> /opt/none/mysqldump: not used by spindle"),
        "{l}"
    );

    // A store with the native overrides writes the disc as always (they are never run).
    std::fs::create_dir_all(c.dir.path().join("stage/2024/03/04")).unwrap();
    std::fs::write(c.dir.path().join("stage/2024/03/04/f"), b"data").unwrap();
    std::fs::write(c.dir.path().join("stage/2024/03/04/cback.stage"), b"").unwrap();
    let o = Command::new(SPINDLE)
        .args(["--config", &c.path(), "--logfile"])
        .arg(c.dir.path().join("cback3.log"))
        .args(["--today", "2024-03-04", "--full", "store"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn hooks_run_without_a_shell_in_cedars_environment_and_log_their_output() {
    let c = Conf::new(None, None, "");
    let d = c.dir.path().display().to_string();
    let env = c.script("print-env", "echo ARGS: \"$@\"\nenv | sort");
    c.edit(
        "<managed_actions>",
        &format!(
            "<pre_action_hook><action>validate</action>\
             <command>{env} \"two words\" $HOME;x</command></pre_action_hook>\
             <post_action_hook><action>validate</action>\
             <command>/bin/sh -c \"echo to stderr >&amp;2; exit 3\"</command></post_action_hook>\
             <managed_actions>"
        ),
    );
    // Without -O (or -d) the hooks' output stays out of the log, as with cback3; the error
    // of the failing hook still quotes it.
    let o = c.run(&["validate"]);
    assert_eq!(o.status.code(), Some(6), "{}", text(&o));
    assert!(!c.log().contains("pre-action hook: "), "{}", c.log());
    assert!(text(&o).contains("last output: to stderr"), "{}", text(&o));
    std::fs::remove_file(c.dir.path().join("cback3.log")).unwrap();
    let o = Command::new(SPINDLE)
        .args([
            "--config",
            &c.path(),
            "--logfile",
            &format!("{d}/cback3.log"),
        ])
        .args(["-O", "validate"])
        .env("LANG", "de_DE.UTF-8")
        .env("LC_ALL", "de_DE.UTF-8")
        .env("LC_TIME", "de_DE.UTF-8")
        .env("LC_MESSAGES", "fr_FR.UTF-8")
        .env("SPINDLE_HOOK_TEST", "kept")
        .output()
        .unwrap();
    let log = c.log();
    let hook: Vec<&str> = log
        .lines()
        .filter_map(|l| l.split_once("pre-action hook: ").map(|(_, v)| v))
        .collect();
    // The words are Cedar's, with no shell: `$HOME;x` arrives as it was written.
    assert!(hook.contains(&"ARGS: two words $HOME;x"), "{log}");
    // Cedar's environment: locale variables removed, LANG=C, the rest (PATH too) kept.
    assert!(hook.contains(&"LANG=C"), "{log}");
    assert!(!hook.iter().any(|l| l.starts_with("LC_")), "{log}");
    assert!(hook.contains(&"SPINDLE_HOOK_TEST=kept"), "{log}");
    let path = format!("PATH={}", std::env::var("PATH").unwrap());
    assert!(hook.contains(&path.as_str()), "{log}");
    // The failing post-action hook: its standard error is in the log and in the error, and
    // the run fails as an action failure.
    assert_eq!(o.status.code(), Some(6), "{}", text(&o));
    assert!(log.contains("post-action hook: to stderr"), "{log}");
    assert!(
        text(&o).contains("failed (exit status: 3); last output: to stderr"),
        "{}",
        text(&o)
    );
}
