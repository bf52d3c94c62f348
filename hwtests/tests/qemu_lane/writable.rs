//! The lane's writable drives: mock drives served by `mock-target` for the real burners, and
//! tgt's DVD+R for spindle's own burn. Both are iSCSI targets on 127.0.0.1 that QEMU attaches
//! with `scsi-block`; the lane starts them before the boot and stops them after it.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::common::{run, Outcome};

/// The mock-target's IQN (`hwtests::iscsi::MOCK_TARGET_NAME`).
pub const MOCK_IQN: &str = "iqn.2026-12.org.spindle:mock";
/// The IQN the lane gives tgt's target.
pub const TGT_IQN: &str = "iqn.2026-12.org.spindle:tgt";

/// A burner run on one mock drive: `BURNER` is `growisofs`, `xorriso` or `wodim-tao`
/// (`tests/lane/80-burners.sh` knows what each does), `MEDIUM` a `spindle mock new --media`.
#[derive(Debug, Clone, Copy)]
pub struct Job {
    pub burner: &'static str,
    pub medium: &'static str,
}

/// The burner jobs of the lane, in the order the guest runs them. Each costs 15-25 s under
/// TCG, so the lane holds the four media the issue puts first (DVD+RW, DVD+R, CD-R, BD-RE);
/// the README lists the other combinations as not run.
pub const JOBS: &[Job] = &[
    Job {
        burner: "growisofs",
        medium: "dvd+rw",
    },
    Job {
        burner: "growisofs",
        medium: "dvd+r",
    },
    Job {
        burner: "growisofs",
        medium: "bd-re",
    },
    Job {
        burner: "xorriso",
        medium: "dvd+rw",
    },
    Job {
        burner: "xorriso",
        medium: "dvd+r",
    },
    Job {
        burner: "xorriso",
        medium: "cd-r",
    },
    Job {
        burner: "xorriso",
        medium: "bd-re",
    },
    Job {
        burner: "wodim-tao",
        medium: "cd-r",
    },
];

/// The other combinations, run when `SPINDLE_LANE_ALL_BURNERS=1`: the lane then takes about
/// two minutes longer, past the five minutes it keeps to by default.
pub const MORE_JOBS: &[Job] = &[
    // wodim first: in a guest with 23 optical drives it could not open /dev/sr20 ("Cannot
    // open SCSI driver"), while /dev/sr12 works.
    Job {
        burner: "wodim-tao",
        medium: "cd-rw",
    },
    Job {
        burner: "growisofs",
        medium: "dvd-r",
    },
    Job {
        burner: "growisofs",
        medium: "dvd-rw",
    },
    Job {
        burner: "growisofs",
        medium: "bd-r",
    },
    Job {
        burner: "xorriso",
        medium: "dvd-r",
    },
    Job {
        burner: "xorriso",
        medium: "dvd-rw",
    },
    Job {
        burner: "xorriso",
        medium: "cd-rw",
    },
    Job {
        burner: "xorriso",
        medium: "bd-r",
    },
];

/// The jobs of this run.
pub fn jobs() -> Vec<Job> {
    let mut v = JOBS.to_vec();
    if std::env::var_os("SPINDLE_LANE_ALL_BURNERS").is_some_and(|v| v == "1") {
        v.extend_from_slice(MORE_JOBS);
    }
    v
}

impl Job {
    /// `growisofs-dvdplusrw`: the prefix of the job's result files and golden transcript.
    pub fn name(&self) -> String {
        format!("{}-{}", self.burner, self.medium.replace('+', "plus"))
    }

    /// The `lab run` names of the job's burner runs, in order.
    pub fn runs(&self) -> Vec<String> {
        let n = self.name();
        // CD-RW and DVD-RW get a session to blank first.
        let blank_first: &[&str] = match (self.burner, self.medium) {
            ("xorriso" | "wodim-tao", "cd-rw") | ("xorriso", "dvd-rw") => &["0", "blank"],
            _ => &[],
        };
        let steps: &[&str] = match self.burner {
            "growisofs" => &["1", "2", "3"],
            "xorriso" => &["1", "23"],
            _ => &["1", "msinfo2", "2", "msinfo3", "3"],
        };
        blank_first
            .iter()
            .chain(steps)
            .map(|s| format!("{n}-{s}"))
            .collect()
    }
}

/// Child processes that must not outlive the boot: killed (SIGKILL, which tgtd needs) and
/// reaped when dropped.
#[derive(Debug, Default)]
pub struct Daemons {
    children: Vec<(String, Child)>,
}

impl Daemons {
    pub fn add(&mut self, what: &str, child: Child) {
        self.children.push((what.to_string(), child));
    }

    /// The ones that already exited, with their status: a target that died early explains a
    /// failed boot.
    pub fn exited(&mut self) -> Vec<String> {
        self.children
            .iter_mut()
            .filter_map(|(what, c)| match c.try_wait() {
                Ok(Some(st)) => Some(format!("{what} exited early ({st})")),
                _ => None,
            })
            .collect()
    }
}

impl Drop for Daemons {
    fn drop(&mut self) {
        for (_, c) in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A mock drive of a burner job, served on `port`.
#[derive(Debug, Clone)]
pub struct MockJob {
    pub job: Job,
    pub dir: PathBuf,
    pub port: u16,
}

/// Makes each job's mock drive in `work/burn/NAME` and starts a `mock-target` for it.
pub fn start_mock_targets(
    work: &Path,
    spindle: &Path,
    mock_target: &Path,
    daemons: &mut Daemons,
) -> Result<Vec<MockJob>, String> {
    let mut started = Vec::new();
    for job in jobs() {
        let dir = work.join("burn").join(job.name());
        let mut new = Command::new(spindle);
        new.args(["mock", "new"])
            .arg(&dir)
            .args(["--media", job.medium]);
        // Unformatted, so the burners format them (growisofs on its own, xorriso -format).
        if matches!(job.medium, "dvd+rw" | "bd-re") {
            new.arg("--blank");
        }
        // Each NOT READY poll after an Immed flush, close or format costs the burner a 1 s
        // sleep under TCG. The DVD+R jobs (whose command order docs/media-recipes.md
        // compares) and wodim keep one poll per operation, so every burner's polling is
        // exercised; the others finish Immed operations at once, to keep the lane short.
        let polls = if job.medium == "dvd+r" || job.burner.starts_with("wodim") {
            "1"
        } else {
            "0"
        };
        new.args(["--immed-polls", polls]);
        let o = run(&mut new);
        if o.rc != Some(0) {
            return Err(format!(
                "spindle mock new {}: {}",
                dir.display(),
                o.describe()
            ));
        }
        let log = std::fs::File::create(dir.with_extension("target.log"))
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut child = Command::new(mock_target)
            .arg(&dir)
            .args(["--iscsi", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", mock_target.display()))?;
        let line = child.stdout.take().map(|out| {
            let mut l = String::new();
            let _ = BufReader::new(out).read_line(&mut l);
            l
        });
        daemons.add(&format!("mock-target {}", job.name()), child);
        let port = line
            .as_deref()
            .and_then(|l| l.trim().rsplit(':').next())
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| {
                format!(
                    "mock-target for {} did not say where it listens ({line:?}); see {}",
                    job.name(),
                    dir.with_extension("target.log").display()
                )
            })?;
        started.push(MockJob { job, dir, port });
    }
    Ok(started)
}

/// tgt's target: LUN 1 and LUN 2 are blank DVD+R discs (empty backing files); spindle burns
/// the first through /dev/srN and the second through /dev/sgN.
#[derive(Debug, Clone)]
pub struct TgtDrive {
    pub port: u16,
    pub sr_img: PathBuf,
    pub sg_img: PathBuf,
    /// The third DVD+R: recorded with `mmc-probe --report` and written by `--write-test`.
    pub wt_img: PathBuf,
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free TCP port on 127.0.0.1: {e}"))
}

/// Starts tgtd on a free port with its own control socket and configures the target.
pub fn start_tgt(work: &Path, daemons: &mut Daemons) -> Result<TgtDrive, String> {
    let dir = work.join("tgt");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let sr_img = dir.join("dvd-sr.img");
    let sg_img = dir.join("dvd-sg.img");
    let wt_img = dir.join("dvd-write-test.img");
    for img in [&sr_img, &sg_img, &wt_img] {
        std::fs::write(img, b"").map_err(|e| format!("{}: {e}", img.display()))?;
    }
    let port = free_port()?;
    // The control socket is /var/run/tgtd/socket.N: N from our pid keeps parallel lanes and a
    // system tgtd (N = 0) apart.
    let control = (std::process::id() % 10_000 + 100).to_string();
    let log = std::fs::File::create(dir.join("tgtd.log"))
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    let child = Command::new("tgtd")
        .args(["-f", "-C", &control, "--iscsi"])
        .arg(format!("portal=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot start tgtd (Debian package tgt): {e}"))?;
    daemons.add("tgtd", child);
    let tgtadm = |args: &[&str]| -> Outcome {
        run(Command::new("tgtadm")
            .args(["-C", &control, "--lld", "iscsi"])
            .args(args))
    };
    // tgtd takes a moment to open its control socket.
    let mut o = Outcome::default();
    for _ in 0..50 {
        o = tgtadm(&[
            "--mode",
            "target",
            "--op",
            "new",
            "--tid",
            "1",
            "--targetname",
            TGT_IQN,
        ]);
        if o.rc == Some(0) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    if o.rc != Some(0) {
        return Err(format!("tgtadm target new: {}", o.describe()));
    }
    for (lun, img) in [("1", &sr_img), ("2", &sg_img), ("3", &wt_img)] {
        let img = img.display().to_string();
        let o = tgtadm(&[
            "--mode",
            "logicalunit",
            "--op",
            "new",
            "--tid",
            "1",
            "--lun",
            lun,
            "--device-type",
            "cd",
            "--backing-store",
            &img,
        ]);
        if o.rc != Some(0) {
            return Err(format!("tgtadm logicalunit new {lun}: {}", o.describe()));
        }
    }
    let o = tgtadm(&[
        "--mode",
        "target",
        "--op",
        "bind",
        "--tid",
        "1",
        "--initiator-address",
        "127.0.0.1",
    ]);
    if o.rc != Some(0) {
        return Err(format!("tgtadm bind: {}", o.describe()));
    }
    Ok(TgtDrive {
        port,
        sr_img,
        sg_img,
        wt_img,
    })
}

/// The `--drive` argument of lab.sh for LUN `lun` of `iqn` on `port`.
pub fn iscsi_drive(port: u16, iqn: &str, lun: u32) -> String {
    format!("iscsi:iscsi://127.0.0.1:{port}/{iqn}/{lun}")
}

/// The start LBAs of the ISO 9660 sessions in an image: every block `n` that holds a
/// primary volume descriptor (`01 "CD001" 01`) with a volume space size makes `n - 16` a
/// session start. On overwritable media the descriptors at 16 are a copy of the newest
/// session's (growisofs and libburn put them there), so LBA 0 is listed too.
pub fn session_starts(image: &Path) -> Result<Vec<u64>, String> {
    let bytes = std::fs::read(image).map_err(|e| format!("{}: {e}", image.display()))?;
    Ok(bytes
        .chunks(2048)
        .enumerate()
        .filter(|(n, b)| *n >= 16 && b.len() >= 7 && b[..7] == *b"\x01CD001\x01")
        .map(|(n, _)| n as u64 - 16)
        .collect())
}

/// The regular files of the session at `start`, read with xorriso and with isoinfo (two
/// independent readers), each sorted: `(xorriso, isoinfo)`.
pub fn session_files(image: &Path, start: u64) -> Result<(Vec<String>, Vec<String>), String> {
    let o = run(Command::new("xorriso")
        .args(["-abort_on", "FAILURE", "-indev"])
        .arg(image)
        .args(["-load", "sbsector", &start.to_string()])
        .args(["-find", "/", "-type", "f", "-exec", "echo", "--"]));
    if o.rc != Some(0) {
        return Err(format!(
            "xorriso -load sbsector {start} {}: {}",
            image.display(),
            o.describe()
        ));
    }
    let mut x: Vec<String> = o
        .stdout
        .lines()
        .map(|l| l.trim().trim_matches('\'').to_string())
        .filter(|l| l.starts_with('/'))
        .collect();
    x.sort();
    let o = run(Command::new("isoinfo")
        .args(["-R", "-f", "-T", &start.to_string(), "-i"])
        .arg(image));
    if o.rc != Some(0) {
        return Err(format!(
            "isoinfo -T {start} {}: {}",
            image.display(),
            o.describe()
        ));
    }
    // isoinfo -f lists directories too; the files are those with a dot-free leaf we made.
    let mut i: Vec<String> = o
        .stdout
        .lines()
        .map(str::trim)
        .filter(|l| l.ends_with(".txt") || l.ends_with(".bin"))
        .map(str::to_string)
        .collect();
    i.sort();
    Ok((x, i))
}

/// A file of the session at `start`, extracted with isoinfo.
pub fn session_file(image: &Path, start: u64, path: &str) -> Result<Vec<u8>, String> {
    let out = Command::new("isoinfo")
        .args(["-R", "-T", &start.to_string(), "-x", path, "-i"])
        .arg(image)
        .output()
        .map_err(|e| format!("isoinfo: {e}"))?;
    if !out.status.success() {
        return Err(format!("isoinfo -x {path}: {}", out.status));
    }
    Ok(out.stdout)
}
