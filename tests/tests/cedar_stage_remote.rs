//! The stage action's remote peers, and managed actions, against a real OpenSSH server.
//!
//! Each test starts its own `sshd` (`-D -e`, a config in a tempdir, a throwaway host key,
//! `ListenAddress 127.0.0.1` on a free high port) and stops it at the end. The server lets in
//! one throwaway user with one throwaway key, and every session goes through a forced-command
//! script that records `$SSH_ORIGINAL_COMMAND` and allows only what a Cedar whitelist allows
//! (`scp -f …`, `scp -t …`, the cback command), so the tests see the exact remote command
//! lines. Peer names are not host names here: the rcp and rsh commands carry
//! `-o HostName=127.0.0.1`, so every peer reaches the local server.
//!
//! spindle runs as root (as Cedar's stage does) and so copies through
//! `su <backup_user> -c "<rcp_command> …"`. The backup user is a system user `spindlessh`
//! (shell `/bin/sh`, no password, no home) created here when missing; the backup group is
//! `nogroup`, so the chown to backup_user:backup_group shows. A missing `sshd`, a server that
//! does not come up, or not being root fails the test with the reason.

use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const USER: &str = "spindlessh";
const GROUP: &str = "nogroup";
const SSHD: &str = "/usr/sbin/sshd";

fn sh(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn uid_of(name: &str) -> u32 {
    sh(Command::new("id").args(["-u", name]))
        .trim()
        .parse()
        .expect("uid")
}

fn gid_of_group(name: &str) -> u32 {
    let line = sh(Command::new("getent").args(["group", name]));
    line.split(':').nth(2).expect("gid").parse().expect("gid")
}

/// The backup user: made once (useradd), with `*` as password so sshd does not see a
/// locked account.
fn ensure_user() {
    static DONE: Mutex<bool> = Mutex::new(false);
    let mut done = DONE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if *done {
        return;
    }
    assert!(
        is_root(),
        "cedar_stage_remote needs root (su to the backup user, chown, useradd); run it as root"
    );
    let known = Command::new("id")
        .arg(USER)
        .output()
        .is_ok_and(|o| o.status.success());
    if !known {
        sh(Command::new("useradd").args([
            "-r",
            "-U",
            "-M",
            "-d",
            "/nonexistent",
            "-s",
            "/bin/sh",
            USER,
        ]));
    }
    let shadow = std::fs::read_to_string("/etc/shadow").unwrap_or_default();
    let locked = shadow
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{USER}:")))
        .is_some_and(|rest| rest.starts_with('!'));
    if locked {
        sh(Command::new("usermod").args(["-p", "*", USER]));
    }
    gid_of_group(GROUP);
    *done = true;
}

fn is_root() -> bool {
    sh(Command::new("id").arg("-u")).trim() == "0"
}

fn chown(path: &Path, user: &str, group: &str) {
    sh(Command::new("chown")
        .arg(format!("{user}:{group}"))
        .arg(path));
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("addr").port()
}

/// A running sshd and everything the tests need around it.
struct Lab {
    /// Everything (mode 0755 so the backup user can reach it).
    root: tempfile::TempDir,
    sshd: Child,
    port: u16,
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.sshd.kill();
        let _ = self.sshd.wait();
    }
}

impl Lab {
    fn start() -> Lab {
        ensure_user();
        assert!(
            Path::new(SSHD).exists(),
            "{SSHD} is missing: install openssh-server (scripts/install-deps.sh does)"
        );
        // sshd's privilege separation directory (the Debian service makes it at boot).
        std::fs::create_dir_all("/run/sshd").expect("mkdir /run/sshd");
        let root = tempfile::tempdir().expect("tempdir");
        chmod(root.path(), 0o755);
        let r = root.path();
        let ssh = r.join("ssh");
        std::fs::create_dir(&ssh).expect("mkdir");
        chmod(&ssh, 0o755);
        for k in ["hostkey", "userkey"] {
            sh(Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", "spindle-test", "-f"])
                .arg(ssh.join(k)));
        }
        std::fs::copy(ssh.join("userkey.pub"), ssh.join("authorized_keys")).expect("copy");
        chown(&ssh.join("userkey"), USER, USER);
        // The forced command: records the command, allows what a Cedar whitelist allows.
        let log = ssh.join("commands.log");
        std::fs::write(&log, b"").expect("log");
        chmod(&log, 0o666);
        let forced = ssh.join("forced.sh");
        std::fs::write(
            &forced,
            format!(
                "#!/bin/sh\n\
                 printf '%s\\n' \"$SSH_ORIGINAL_COMMAND\" >> {log}\n\
                 case \"$SSH_ORIGINAL_COMMAND\" in\n\
                 'scp -f '*|'scp -t '*|{cback}' '*) exec /bin/sh -c \"$SSH_ORIGINAL_COMMAND\" ;;\n\
                 esac\n\
                 echo \"refused: $SSH_ORIGINAL_COMMAND\" >&2\n\
                 exit 1\n",
                log = log.display(),
                cback = r.join("cback3").display(),
            ),
        )
        .expect("forced.sh");
        chmod(&forced, 0o755);
        let mut last_err = String::new();
        for _attempt in 0..3 {
            let port = free_port();
            let conf = ssh.join("sshd_config");
            std::fs::write(
                &conf,
                format!(
                    "Port {port}\n\
                     ListenAddress 127.0.0.1\n\
                     HostKey {s}/hostkey\n\
                     PidFile {s}/sshd.pid\n\
                     AuthorizedKeysFile {s}/authorized_keys\n\
                     StrictModes no\n\
                     UsePAM no\n\
                     PasswordAuthentication no\n\
                     KbdInteractiveAuthentication no\n\
                     PermitRootLogin no\n\
                     AllowUsers {USER}\n\
                     ForceCommand {forced}\n\
                     LogLevel DEBUG1\n",
                    s = ssh.display(),
                    forced = forced.display(),
                ),
            )
            .expect("sshd_config");
            let errlog = ssh.join("sshd.log");
            let err = std::fs::File::create(&errlog).expect("sshd.log");
            let mut child = Command::new(SSHD)
                .args(["-D", "-e", "-f"])
                .arg(&conf)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(err)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {SSHD}: {e}"));
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if let Ok(Some(st)) = child.try_wait() {
                    last_err = format!(
                        "sshd exited ({st}): {}",
                        std::fs::read_to_string(&errlog).unwrap_or_default()
                    );
                    break;
                }
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Lab {
                        root,
                        sshd: child,
                        port,
                    };
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    last_err = format!(
                        "sshd did not listen on 127.0.0.1:{port} within 10 s: {}",
                        std::fs::read_to_string(&errlog).unwrap_or_default()
                    );
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("sshd could not start: {last_err}");
    }

    fn path(&self, p: &str) -> PathBuf {
        self.root.path().join(p)
    }

    fn key(&self) -> PathBuf {
        self.path("ssh/userkey")
    }

    /// The rcp command for a peer on `port` (the server's unless told): legacy scp protocol
    /// (`-O`, as Cedar's docs say for restricted SSH), batch mode, this key.
    fn rcp(&self, port: u16) -> String {
        format!(
            "/usr/bin/scp -O -B -q -C -P {port} -i {} -o StrictHostKeyChecking=no \
             -o UserKnownHostsFile=/dev/null -o HostName=127.0.0.1 -o LogLevel=ERROR",
            self.key().display()
        )
    }

    fn rsh(&self) -> String {
        format!(
            "/usr/bin/ssh -p {} -i {} -o BatchMode=yes -o StrictHostKeyChecking=no \
             -o UserKnownHostsFile=/dev/null -o HostName=127.0.0.1 -o LogLevel=ERROR",
            self.port,
            self.key().display()
        )
    }

    /// The remote commands the forced-command script saw, one a line.
    fn commands(&self) -> Vec<String> {
        std::fs::read_to_string(self.path("ssh/commands.log"))
            .expect("commands.log")
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn clear_commands(&self) {
        std::fs::write(self.path("ssh/commands.log"), b"").expect("clear");
    }

    /// A collect dir on the "peer" (owned by the remote user), with `files` and, when
    /// `ready`, `cback.collect`.
    fn collect_dir(&self, rel: &str, files: &[(&str, &str, u32)], ready: bool) -> PathBuf {
        let d = self.path(rel);
        std::fs::create_dir_all(&d).expect("mkdir collect");
        for (name, body, mode) in files {
            let p = d.join(name);
            std::fs::write(&p, body).expect("file");
            chmod(&p, *mode);
            chown(&p, USER, USER);
        }
        if ready {
            let p = d.join("cback.collect");
            std::fs::write(&p, b"").expect("indicator");
            chown(&p, USER, USER);
        }
        chown(&d, USER, USER);
        d
    }

    /// Writes the config: options, `<peers>` (`peers`, XML) and `<stage>` (`stage_peers`).
    fn config(&self, peers: &str, stage_peers: &str) -> PathBuf {
        let work = self.path("work");
        std::fs::create_dir_all(&work).expect("mkdir");
        // Remote copies of cback.collect land here as the backup user (Cedar's layout).
        chown(&work, USER, GROUP);
        std::fs::create_dir_all(self.path("stage")).expect("mkdir");
        let peers = if peers.is_empty() {
            String::new()
        } else {
            format!("<peers>{peers}</peers>")
        };
        let text = format!(
            r#"<?xml version="1.0"?>
<cb_config>
  <options>
    <starting_day>monday</starting_day>
    <working_dir>{work}</working_dir>
    <backup_user>{USER}</backup_user>
    <backup_group>{GROUP}</backup_group>
    <rcp_command>{rcp}</rcp_command>
  </options>
  {peers}
  <stage>
    <staging_dir>{stage}</staging_dir>
    {stage_peers}
  </stage>
</cb_config>
"#,
            work = work.display(),
            rcp = self.rcp(self.port),
            stage = self.path("stage").display(),
        );
        let c = self.path("cback3.conf");
        std::fs::write(&c, text).expect("config");
        c
    }

    /// Runs `spindle --config … -l LOG --today DAY ARGS…` as a program (cwd: `w`, a
    /// world-writable dir where relative injected commands would leave their markers).
    /// Returns the exit code and the log.
    fn run(&self, day: &str, args: &[&str]) -> (i32, String) {
        let w = self.path("w");
        std::fs::create_dir_all(&w).expect("mkdir");
        chmod(&w, 0o777);
        let log = self.path(&format!("spindle-{day}.log"));
        let _ = std::fs::remove_file(&log);
        let mut child = Command::new(env!("CARGO_BIN_EXE_spindle-dev"))
            .arg("--config")
            .arg(self.path("cback3.conf"))
            .arg("-l")
            .arg(&log)
            .args(["--today", day])
            .args(args)
            .current_dir(&w)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn spindle-dev");
        let mut stderr = String::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(st) = child.try_wait().expect("wait") {
                break st;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("spindle {args:?} ran over 60 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut stderr);
        }
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        eprintln!("--- spindle {args:?} on {day}: {status}\n{stderr}\n--- log:\n{text}");
        (status.code().unwrap_or(-1), text)
    }
}

fn remote_peer(name: &str, dir: &Path, extra: &str) -> String {
    format!(
        "<peer><name>{name}</name><type>remote</type><collect_dir>{}</collect_dir>{extra}</peer>",
        dir.display()
    )
}

/// Whether the log has a line at `level` containing `text`.
fn logged(log: &str, level: &str, text: &str) -> bool {
    log.lines()
        .any(|l| l.contains(&format!("] - {level}: ")) && l.contains(text))
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn owner(p: &Path) -> (u32, u32) {
    let m = std::fs::metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    (m.uid(), m.gid())
}

#[test]
fn remote_peers_stage_with_cedars_exact_commands() {
    if !tests::tier::tier(
        "remote_peers_stage_with_cedars_exact_commands",
        &["root", "sshd", "ssh", "scp"],
    ) {
        return;
    }
    let lab = Lab::start();
    let alpha = lab.collect_dir(
        "peers/with space",
        &[
            ("a file.tar", "alpha's first file\n", 0o640),
            ("b.tar", "alpha's second file\n", 0o644),
        ],
        true,
    );
    let beta = lab.collect_dir("peers/beta", &[("x.tar", "not yet\n", 0o644)], false);
    lab.config(
        "",
        &[
            remote_peer("alpha", &alpha, ""),
            remote_peer("beta", &beta, ""),
        ]
        .concat(),
    );
    let day = "2024-03-05"; // a Tuesday
    let (code, log) = lab.run(day, &["stage"]);
    assert_eq!(code, 0, "stage exits 0 even when a peer is not ready");

    // The exact remote commands (what a forced-command whitelist sees), in order.
    let a = alpha.display().to_string().replace(' ', "\\ ");
    let b = beta.display();
    assert_eq!(
        lab.commands(),
        [
            format!("scp -f {a}/cback.collect"),
            format!("scp -f {a}/*"),
            format!("scp -t {a}/cback.stage"),
            format!("scp -f {b}/cback.collect"),
        ]
    );

    // alpha: every file, content and mode (scp keeps the mode, stage never chmods),
    // owned by backup_user:backup_group.
    let (uid, gid) = (uid_of(USER), gid_of_group(GROUP));
    let daily = lab.path("stage/2024/03/05");
    let target = daily.join("alpha");
    assert_eq!(
        names_in(&target),
        ["a file.tar", "b.tar", "cback.collect"],
        "alpha staged"
    );
    for (name, mode) in [("a file.tar", 0o640), ("b.tar", 0o644)] {
        let p = target.join(name);
        assert_eq!(
            std::fs::read(&p).expect("read"),
            std::fs::read(alpha.join(name)).expect("read")
        );
        assert_eq!(owner(&p), (uid, gid), "{name} owner");
        assert_eq!(
            std::fs::metadata(&p).expect("meta").mode() & 0o7777,
            mode,
            "{name} mode"
        );
    }
    for d in [
        lab.path("stage/2024"),
        lab.path("stage/2024/03"),
        daily.clone(),
        target.clone(),
        daily.join("beta"),
        daily.join("cback.stage"),
    ] {
        assert_eq!(owner(&d), (uid, gid), "{} owner", d.display());
    }
    assert!(logged(&log, "INFO", "staged 3 files from peer [alpha]"));
    // The stage indicator was pushed back to alpha (by the backup user).
    let pushed = alpha.join("cback.stage");
    assert!(pushed.is_file(), "cback.stage pushed to alpha");
    assert_eq!(owner(&pushed).0, uid);
    // beta was not ready: an error, skipped, nothing staged or pushed.
    assert!(logged(
        &log,
        "ERROR",
        "Peer [beta] was not ready to be staged."
    ));
    assert!(names_in(&daily.join("beta")).is_empty());
    assert!(!beta.join("cback.stage").exists());
    // The day is marked staged; the working dir keeps no temp indicators.
    assert!(daily.join("cback.stage").is_file());
    assert!(names_in(&lab.path("work")).is_empty());

    // Staging again the same day: alpha's files are already there, so nothing new was
    // copied, which Cedar treats as a failure ("Apparently did not copy any new files").
    // (Without the pushed indicator, which would be a new file.)
    std::fs::remove_file(&pushed).expect("rm");
    lab.clear_commands();
    let (code, log) = lab.run(day, &["stage"]);
    assert_eq!(code, 0);
    assert!(logged(
        &log,
        "ERROR",
        "Apparently did not copy any new files from remote peer."
    ));
}

#[test]
fn failing_peers_and_ignore_failures() {
    if !tests::tier::tier(
        "failing_peers_and_ignore_failures",
        &["root", "sshd", "ssh", "scp"],
    ) {
        return;
    }
    let lab = Lab::start();
    let ok = lab.collect_dir("peers/ok", &[("ok.tar", "fine\n", 0o644)], true);
    // Ready, but scp exits 1 (a subdirectory, without -r): a staging failure.
    let broken = lab.collect_dir("peers/broken", &[("f.tar", "data\n", 0o644)], true);
    std::fs::create_dir(broken.join("subdir")).expect("mkdir");
    // A peer nobody listens for: its collect indicator cannot be fetched, so not ready.
    let dead_port = free_port();
    let down = |name: &str, ignore: &str| {
        let extra = format!(
            "<ignore_failures>{ignore}</ignore_failures><rcp_command>{}</rcp_command>",
            lab.rcp(dead_port)
        );
        remote_peer(name, &lab.path("peers/nowhere"), &extra)
    };
    let peers = [
        down("down-none", "none"),
        down("down-all", "all"),
        down("down-daily", "daily"),
        down("down-weekly", "weekly"),
        remote_peer("broken", &broken, ""),
        remote_peer(
            "broken-ignored",
            &broken,
            "<ignore_failures>all</ignore_failures>",
        ),
        remote_peer("ok", &ok, ""),
    ]
    .concat();
    lab.config("", &peers);

    // (day, switches, whether daily-mode failures are ignored, weekly-mode ones)
    let runs: [(&str, &[&str], bool, bool); 3] = [
        ("2024-03-05", &["stage"], true, false),           // Tuesday
        ("2024-03-04", &["stage"], false, true),           // Monday, the starting day
        ("2024-03-06", &["--full", "stage"], false, true), // --full counts as the start
    ];
    for (day, args, daily_ignored, weekly_ignored) in runs {
        // ok's stage indicator from the previous run would not matter; its files would.
        let (code, log) = lab.run(day, args);
        assert_eq!(code, 0, "{day}: peer failures do not fail the action");
        let level = |ignored: bool| if ignored { "INFO" } else { "ERROR" };
        for (name, ignored) in [
            ("down-none", false),
            ("down-all", true),
            ("down-daily", daily_ignored),
            ("down-weekly", weekly_ignored),
        ] {
            let msg = format!("Peer [{name}] was not ready to be staged");
            assert!(
                logged(&log, level(ignored), &msg),
                "{day}: {name} not ready at {}",
                level(ignored)
            );
            assert!(
                !logged(&log, level(!ignored), &msg),
                "{day}: {name} logged once, at {}",
                level(ignored)
            );
            assert!(
                logged(
                    &log,
                    "INFO",
                    &format!("peer [{name}]: fetching cback.collect failed")
                ),
                "{day}: the reason is logged"
            );
        }
        assert!(logged(&log, "ERROR", "peer [broken]: staging failed"));
        assert!(logged(
            &log,
            "INFO",
            "peer [broken-ignored]: staging failed (ignored)"
        ));
        assert!(
            !broken.join("cback.stage").exists(),
            "no indicator on failure"
        );
        // The good peer is staged all the same, and the day is marked.
        let daily = lab.path(&format!("stage/{}", day.replace('-', "/")));
        assert_eq!(names_in(&daily.join("ok")), ["cback.collect", "ok.tar"]);
        assert!(daily.join("cback.stage").is_file(), "{day} marked staged");
        assert!(ok.join("cback.stage").is_file());
        std::fs::remove_file(ok.join("cback.stage")).expect("rm");
    }
}

#[test]
fn hostile_names_and_paths_never_reach_a_shell() {
    if !tests::tier::tier(
        "hostile_names_and_paths_never_reach_a_shell",
        &["root", "sshd", "ssh", "scp"],
    ) {
        return;
    }
    let lab = Lab::start();
    let w = lab.path("w");
    let wd = w.display();
    // A collect dir whose path would run commands if it reached either shell unquoted
    // (the `/`s inside make it a few nested directories, which is fine).
    // Its quotes are balanced and the commands need no spaces, so a shell given it raw, or
    // escaped as Cedar escapes it (spaces only), would run all three.
    let rel = format!(
        "peers/it's 'q;touch${{IFS}}{wd}/p1;$(touch${{IFS}}{wd}/p2) `touch${{IFS}}{wd}/p3` & \
         x|y>z*?[a] ~ \"q\""
    );
    let files = [("data 1.tar", "hostile\n", 0o644)];
    let evil_dir = lab.collect_dir(&rel, &files, true);
    // A peer name that would do the same is refused by the configuration check
    // (cli/tests/cedar_config.rs, remote_peer_names_must_be_host_names), so it never gets here.
    let xml = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let peers = format!(
        "<peer><name>evil-path</name><type>remote</type><collect_dir>{}</collect_dir></peer>",
        xml(&evil_dir.display().to_string())
    );
    lab.config("", &peers);
    let (code, log) = lab.run("2024-03-05", &["stage"]);
    assert_eq!(code, 0);
    // Nothing ran: no marker locally (cwd w, world-writable) or remotely (absolute, in w).
    assert!(
        names_in(&w).is_empty(),
        "injected commands ran: {:?}",
        names_in(&w)
    );
    // The odd path was staged, with the indicator pushed back to it.
    let daily = lab.path("stage/2024/03/05");
    assert_eq!(
        names_in(&daily.join("evil-path")),
        ["cback.collect", "data 1.tar"]
    );
    assert!(logged(&log, "INFO", "staged 2 files from peer [evil-path]"));
    assert!(evil_dir.join("cback.stage").is_file());
    // The remote commands carry the path escaped for the remote shell.
    let cmds = lab.commands();
    assert_eq!(cmds.len(), 3, "{cmds:?}");
    assert!(
        cmds[1].starts_with("scp -f ") && cmds[1].ends_with("\\\"q\\\"/*"),
        "{cmds:?}"
    );
    assert!(
        cmds[1].contains("it\\'s\\ \\'q\\;touch\\$\\{IFS\\}/"),
        "{cmds:?}"
    );
}

#[test]
fn managed_actions_run_cedars_remote_command() {
    if !tests::tier::tier(
        "managed_actions_run_cedars_remote_command",
        &["root", "sshd", "ssh", "scp"],
    ) {
        return;
    }
    let lab = Lab::start();
    // The peer's cback3: records its arguments; fails for "purge".
    let record = lab.path("cback3.args");
    std::fs::write(&record, b"").expect("record");
    chmod(&record, 0o666);
    let cback = lab.path("cback3");
    std::fs::write(
        &cback,
        format!(
            "#!/bin/sh\necho \"$*\" >> {}\ncase \"$*\" in *purge) exit 3 ;; esac\n",
            record.display()
        ),
    )
    .expect("cback3");
    chmod(&cback, 0o755);
    let dir = lab.collect_dir("peers/managed", &[], false);
    let extra = format!(
        "<rsh_command>{}</rsh_command><cback_command>{}</cback_command>\
         <managed>Y</managed><managed_actions>collect,purge</managed_actions>",
        lab.rsh(),
        cback.display()
    );
    let unmanaged = lab.collect_dir("peers/unmanaged", &[], false);
    let peers = [
        remote_peer("client-a", &dir, &extra),
        remote_peer("client-b", &unmanaged, ""),
    ]
    .concat();
    let local = lab.collect_dir("peers/local", &[], true);
    lab.config(
        &peers,
        &format!(
            "<peer><name>local</name><type>local</type><collect_dir>{}</collect_dir></peer>",
            local.display()
        ),
    );
    let c = cback.display();
    // --managed-only: no local action; collect runs on the managed peer only.
    let (code, log) = lab.run("2024-03-05", &["--managed-only", "collect"]);
    assert_eq!(code, 0);
    assert_eq!(lab.commands(), [format!("{c} collect")]);
    assert!(logged(
        &log,
        "INFO",
        "managed peer [client-a]: collect done"
    ));
    // --full goes before the action, as Cedar builds it; a failing remote action is an
    // error that does not fail the run.
    lab.clear_commands();
    let (code, log) = lab.run("2024-03-05", &["--managed-only", "--full", "purge"]);
    assert_eq!(code, 0);
    assert_eq!(lab.commands(), [format!("{c} --full purge")]);
    assert!(logged(
        &log,
        "ERROR",
        "managed peer [client-a]: purge failed"
    ));
    // An action the peer does not list is not sent.
    lab.clear_commands();
    let (code, _) = lab.run("2024-03-05", &["--managed", "stage"]);
    assert_eq!(code, 0);
    assert!(lab.commands().is_empty());
    assert_eq!(
        std::fs::read_to_string(&record).expect("record"),
        "collect\n--full purge\n"
    );
}
