//! One disc model: sessions written by genisoimage (`-C`/`-M`, burned as an image),
//! `xorriso -as mkisofs` (likewise) and xorriso's own `-dev stdio:` interleaved with spindle's
//! on mock DVD+R and DVD+RW drives, in several orders. After every session the last session is
//! read with spindle's reader, xorriso and isoinfo, and every file, its content, its recorded
//! mode and owner must agree with what the writers were given. Also: the cut-off, read-only,
//! truncated-image and device-name cases of the same issue.

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::process::{Command, Output};

use hal::mock::MediaKind;
use tests::tier::tier;
use tests::MockDisc;

const SPINDLE: &str = env!("CARGO_BIN_EXE_spindle-dev");

fn spindle(args: &[&str]) -> Output {
    Command::new(SPINDLE)
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1764547200")
        .output()
        .expect("run spindle")
}

fn ok(o: Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what} failed ({}):\n{}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Who writes a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Writer {
    /// `spindle burn DEV --tree` (Rock Ridge rationalized, `-r`, spindle's default).
    Spindle,
    /// `genisoimage -R -J -C a,b -M media.img`, then `spindle burn DEV image`.
    Genisoimage,
    /// `xorriso -as mkisofs -R -J -C a,b -M media.img`, then `spindle burn DEV image`.
    XorrisoMkisofs,
    /// `xorriso -dev stdio:media.img -map … -commit` (overwritable media only).
    XorrisoDev,
}

/// What a file on the disc must look like.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Want {
    content: Vec<u8>,
    mode: u32,
    uid: u32,
    gid: u32,
}

struct Lab {
    disc: MockDisc,
    work: tempfile::TempDir,
    want: BTreeMap<String, Want>,
    n: u32,
    root: bool,
}

impl Lab {
    fn new(kind: MediaKind) -> Lab {
        Lab {
            disc: MockDisc::with(kind, false),
            work: tempfile::tempdir().unwrap(),
            want: BTreeMap::new(),
            n: 0,
            root: nix::unistd::geteuid().is_root(),
        }
    }

    fn spec(&self) -> String {
        self.disc.spec()
    }

    fn media(&self) -> PathBuf {
        self.disc.drive.media_path()
    }

    /// A source tree for session `n`: `sN/key` (0600, owned by 1000:1000 when run as root)
    /// and `sN/run.sh` (0755).
    fn source(&self, n: u32) -> (PathBuf, Vec<(String, Vec<u8>, u32)>) {
        let src = self.work.path().join(format!("src{n}"));
        std::fs::create_dir_all(&src).unwrap();
        let files = vec![
            (
                "key".to_string(),
                format!("secret {n}\n")
                    .repeat(300 * n as usize)
                    .into_bytes(),
                0o600,
            ),
            (
                "run.sh".to_string(),
                format!("echo {n}\n").into_bytes(),
                0o755,
            ),
        ];
        for (name, data, mode) in &files {
            let p = src.join(name);
            std::fs::write(&p, data).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(*mode)).unwrap();
            if self.root {
                std::os::unix::fs::chown(&p, Some(1000), Some(1000)).unwrap();
            }
        }
        (src, files)
    }

    /// Where the next session goes and which session it imports, as spindle plans it (the
    /// `-C a,b` a user would get from `spindle burn --dry-run`).
    fn msinfo(&self) -> (u32, u32) {
        let empty = self.work.path().join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        let plan = cli::disc::write::plan_tree(&cli::disc::write::TreeBurn {
            device: self.spec(),
            grafts: vec![
                iso9660::GraftPoint::parse(format!("probe={}", empty.display()).as_ref()).unwrap(),
            ],
            remove: Vec::new(),
            volume_id: String::new(),
            new_disc: false,
            finalize: false,
            ownership: iso9660::Ownership::Rationalized,
            speed_kbps: None,
            joliet: true,
            md5: false,
        })
        .unwrap();
        (plan.previous_session_lba.unwrap_or(0), plan.start_lba)
    }

    fn write(&mut self, w: Writer) {
        self.n += 1;
        let n = self.n;
        let (src, files) = self.source(n);
        let dest = format!("s{n}");
        let first = self.want.is_empty();
        match w {
            Writer::Spindle => {
                let graft = format!("{dest}={}", src.display());
                let mut args = vec!["burn", "--tree", &graft, "-V", "SPINDLE"];
                let spec = self.spec();
                args.insert(1, &spec);
                ok(spindle(&args), "spindle burn --tree");
            }
            Writer::Genisoimage | Writer::XorrisoMkisofs => {
                let image = self.work.path().join(format!("s{n}.iso"));
                let mut cmd = if w == Writer::Genisoimage {
                    Command::new("genisoimage")
                } else {
                    let mut c = Command::new("xorriso");
                    c.args(["-as", "mkisofs"]);
                    c
                };
                cmd.args(["-quiet", "-R", "-J", "-V", "FOREIGN", "-graft-points", "-o"])
                    .arg(&image);
                if !first {
                    let (a, b) = self.msinfo();
                    cmd.arg("-C")
                        .arg(format!("{a},{b}"))
                        .arg("-M")
                        .arg(self.media());
                }
                cmd.arg(format!("/{dest}/={}", src.display()));
                ok(cmd.output().unwrap(), &format!("{w:?}"));
                let spec = self.spec();
                let img = image.display().to_string();
                ok(spindle(&["burn", &spec, &img]), "spindle burn IMAGE");
            }
            Writer::XorrisoDev => {
                let dev = format!("stdio:{}", self.media().display());
                let o = Command::new("xorriso")
                    .args(["-abort_on", "FAILURE", "-dev", &dev, "-volid", "XORRISO"])
                    .args(["-map", &src.display().to_string(), &format!("/{dest}")])
                    .arg("-commit")
                    .output()
                    .unwrap();
                ok(o, "xorriso -dev stdio: -commit");
            }
        }
        for (name, data, mode) in files {
            // spindle's own sessions record this session's sources rationalized (-r):
            // owner 0, read bits for all, exec bits where any was set, no write bits.
            let (mode, uid, gid) = if w == Writer::Spindle {
                let mut p = mode | 0o444;
                p &= !0o222;
                if p & 0o111 != 0 {
                    p |= 0o111;
                }
                (p, 0, 0)
            } else if self.root {
                (mode, 1000, 1000)
            } else {
                let m = std::fs::metadata(src.join(&name)).unwrap();
                (mode, m.uid(), m.gid())
            };
            self.want.insert(
                format!("{dest}/{name}"),
                Want {
                    content: data,
                    mode,
                    uid,
                    gid,
                },
            );
        }
        self.check(w);
    }

    /// Where readers find the last session: its own start on write-once media; the
    /// superblock at 0 on overwritable media.
    fn last_session(&self) -> u32 {
        let t = cli::disc::Target::parse(&self.spec()).unwrap();
        let (s, _) = cli::disc::session::survey(&t).unwrap();
        s.read_start.expect("a readable session")
    }

    fn check(&self, after: Writer) {
        let ctx = format!("after session {} ({after:?})", self.n);
        // spindle's reader, through the drive.
        let mut img = cli::disc::session::open_last_session(&self.spec()).unwrap();
        let mut seen = BTreeMap::new();
        let mut entries = Vec::new();
        img.walk(|e| {
            entries.push(e.clone());
            Ok(())
        })
        .unwrap();
        for e in entries {
            if e.entry.kind != iso9660::EntryKind::File {
                continue;
            }
            let mut content = Vec::new();
            img.read_file(&e.entry, &mut content).unwrap();
            seen.insert(
                e.path.display().to_string(),
                Want {
                    content,
                    mode: e.entry.mode & 0o7777,
                    uid: e.entry.uid,
                    gid: e.entry.gid,
                },
            );
        }
        seen.retain(|k, _| !k.starts_with("probe"));
        assert_eq!(seen, self.want, "spindle's reader {ctx}");

        let start = self.last_session();
        // xorriso: names, modes, owners, sizes; then the content of an extraction.
        let media = self.media();
        let load = if start > 0 {
            vec!["-load".to_string(), "sbsector".into(), start.to_string()]
        } else {
            Vec::new()
        };
        let o = Command::new("xorriso")
            .args(&load)
            .args(["-abort_on", "FAILURE", "-indev"])
            .arg(format!("stdio:{}", media.display()))
            .args(["-find", "/", "-type", "f", "-exec", "lsdl", "--"])
            .output()
            .unwrap();
        let text = ok(o, &format!("xorriso -find {ctx}"));
        let mut listed = BTreeMap::new();
        for line in text.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            let name = line
                .split('\'')
                .nth(1)
                .unwrap_or("")
                .trim_start_matches('/');
            listed.insert(
                name.to_string(),
                (
                    mode_of(f[0]),
                    f[2].parse::<u32>().unwrap(),
                    f[3].parse::<u32>().unwrap(),
                    f[4].parse::<usize>().unwrap(),
                ),
            );
        }
        let wanted: BTreeMap<String, (u32, u32, u32, usize)> = self
            .want
            .iter()
            .map(|(k, w)| (k.clone(), (w.mode, w.uid, w.gid, w.content.len())))
            .collect();
        assert_eq!(listed, wanted, "xorriso's listing {ctx}");
        let out = self.work.path().join(format!("x{}", self.n));
        let o = Command::new("xorriso")
            .args(&load)
            .args(["-abort_on", "FAILURE", "-osirrox", "on", "-indev"])
            .arg(format!("stdio:{}", media.display()))
            .arg("-extract")
            .arg("/")
            .arg(&out)
            .output()
            .unwrap();
        ok(o, &format!("xorriso -extract {ctx}"));
        for (k, w) in &self.want {
            let got = std::fs::read(out.join(k)).unwrap();
            assert!(got == w.content, "xorriso extracted {k} differently {ctx}");
        }

        // isoinfo, at the session's start: Rock Ridge modes and owners.
        let o = Command::new("isoinfo")
            .args(["-R", "-l", "-T", &start.to_string(), "-i"])
            .arg(&media)
            .output()
            .unwrap();
        let text = ok(o, &format!("isoinfo -R -l {ctx}"));
        let mut dir = String::new();
        let mut got = BTreeMap::new();
        for line in text.lines() {
            if let Some(d) = line.strip_prefix("Directory listing of /") {
                dir = d.trim().to_string();
                continue;
            }
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 10 || !f[0].starts_with('-') {
                continue;
            }
            let name = f.last().unwrap();
            // isoinfo prints Rock Ridge owners in octal.
            let id = |s: &str| u32::from_str_radix(s, 8).unwrap();
            got.insert(
                format!("{dir}{name}"),
                (
                    mode_of(f[0]),
                    id(f[2]),
                    id(f[3]),
                    f[4].parse::<usize>().unwrap(),
                ),
            );
        }
        assert_eq!(got, wanted, "isoinfo's listing {ctx}");
    }

    /// xorriso's session list of an overwritable medium must be whole: one entry per session
    /// that keeps its own descriptors, and no complaint about the chain.
    fn toc(&self) -> (usize, String) {
        let o = Command::new("xorriso")
            .args(["-indev"])
            .arg(format!("stdio:{}", self.media().display()))
            .arg("-toc")
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        let n = all.lines().filter(|l| l.starts_with("ISO session")).count();
        (n, all)
    }
}

/// The permission bits of an `ls -l` mode string.
fn mode_of(s: &str) -> u32 {
    let b = s.as_bytes();
    let mut m = 0;
    for (i, bit) in [0o400, 0o200, 0o100, 0o40, 0o20, 0o10, 0o4, 0o2, 0o1]
        .iter()
        .enumerate()
    {
        if b.get(i + 1).is_some_and(|&c| c != b'-') {
            m |= bit;
        }
    }
    m
}

const TOOLS: &[&str] = &["xorriso", "genisoimage", "isoinfo"];

#[test]
fn dvd_plus_r_sessions_from_every_tool_interleaved() {
    if !tier("dvd_plus_r_sessions_from_every_tool_interleaved", TOOLS) {
        return;
    }
    use Writer::*;
    for order in [
        [Genisoimage, Spindle, XorrisoMkisofs, Spindle],
        [Spindle, XorrisoMkisofs, Genisoimage, Spindle],
        [XorrisoMkisofs, Genisoimage, Spindle, Genisoimage],
    ] {
        let mut lab = Lab::new(MediaKind::DvdPlusR);
        for w in order {
            lab.write(w);
        }
    }
}

#[test]
fn dvd_plus_rw_sessions_from_every_tool_interleaved() {
    if !tier("dvd_plus_rw_sessions_from_every_tool_interleaved", TOOLS) {
        return;
    }
    use Writer::*;
    for (order, chained) in [
        // Both start at LBA 32: every session keeps its descriptors, and xorriso lists all.
        (vec![Spindle, XorrisoDev, Spindle, XorrisoDev], 4),
        (vec![XorrisoDev, Spindle, Spindle, XorrisoDev], 4),
        // A first session at LBA 0 (an image burned as a new disc, as growisofs writes it)
        // is one session to every reader; appends after it keep the merged tree.
        (
            vec![Genisoimage, Spindle, XorrisoDev, XorrisoMkisofs, Spindle],
            1,
        ),
    ] {
        let mut lab = Lab::new(MediaKind::DvdPlusRw);
        for w in &order {
            lab.write(*w);
        }
        let (n, text) = lab.toc();
        assert!(
            !text.contains("Chain of ISO session headers broken")
                && !text.contains("larger than readable size"),
            "{order:?}: xorriso -toc complains:\n{text}"
        );
        assert_eq!(n, chained, "{order:?}: xorriso -toc:\n{text}");
        let t = cli::disc::Target::parse(&lab.spec()).unwrap();
        let (sessions, _) = cli::disc::session::survey(&t).unwrap();
        assert_eq!(sessions.sessions.len(), chained, "{order:?}: {sessions:?}");
        assert!(!sessions.chain_broken, "{order:?}: {sessions:?}");
    }
}

#[test]
fn a_pressed_disc_and_a_closed_disc_reported_as_rom_are_read() {
    if !tier(
        "a_pressed_disc_and_a_closed_disc_reported_as_rom_are_read",
        &["genisoimage"],
    ) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    std::fs::create_dir_all(src.join("d")).unwrap();
    std::fs::write(src.join("d/f"), b"pressed\n").unwrap();
    let iso = work.path().join("rom.iso");
    ok(
        Command::new("genisoimage")
            .args(["-quiet", "-R", "-J", "-o"])
            .arg(&iso)
            .arg(&src)
            .output()
            .unwrap(),
        "genisoimage",
    );
    for kind in [MediaKind::DvdRom, MediaKind::CdRom] {
        let disc = MockDisc::rom(kind, &iso);
        let spec = disc.spec();
        let text = ok(
            spindle(&["ls", &spec, "/d"]),
            &format!("spindle ls on {kind:?}"),
        );
        assert!(text.contains('f'), "{kind:?}: {text}");
        let dest = work.path().join(format!("out-{kind:?}"));
        let d = dest.display().to_string();
        ok(spindle(&["get", &spec, "/d/f", &d]), "spindle get");
        let got = if dest.is_dir() {
            std::fs::read(dest.join("f")).unwrap()
        } else {
            std::fs::read(&dest).unwrap()
        };
        assert_eq!(got, b"pressed\n");
        // Writing is refused, and says why.
        let o = spindle(&["burn", &spec, "--tree", &format!("x={}", src.display())]);
        assert!(!o.status.success());
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains("cannot be written"), "{kind:?}: {e}");
    }
}

#[test]
fn a_cut_off_session_is_passed_over_by_every_reader() {
    let disc = MockDisc::with(MediaKind::DvdPlusR, false);
    let spec = disc.spec();
    let work = tempfile::tempdir().unwrap();
    let a = work.path().join("a");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::write(a.join("one"), b"first session\n").unwrap();
    let b = work.path().join("b");
    std::fs::create_dir_all(&b).unwrap();
    for i in 0..8 {
        std::fs::write(b.join(format!("big{i}")), vec![i as u8; 1 << 20]).unwrap();
    }
    ok(
        spindle(&["burn", &spec, "--tree", &format!("a={}", a.display())]),
        "session 1",
    );
    disc.drive
        .add_fault(hal::mock::Fault::on(0x2a).nth(40).sense(0x3, 0x0c, 0x00))
        .unwrap();
    let o = spindle(&["burn", &spec, "--tree", &format!("b={}", b.display())]);
    assert!(!o.status.success(), "the burn was cut off");
    disc.drive.clear_faults().unwrap();
    ok(spindle(&["close", &spec]), "spindle close");

    // The disc layer reads session 1 and names session 2 as passed over.
    let t = cli::disc::Target::parse(&spec).unwrap();
    let (sessions, _) = cli::disc::session::survey(&t).unwrap();
    assert_eq!(sessions.sessions.len(), 2, "{sessions:?}");
    assert_eq!(sessions.current, Some(1), "{sessions:?}");
    assert_eq!(sessions.passed_over, [2], "{sessions:?}");
    let w = sessions.warnings().join("\n");
    assert!(w.contains("session 2") && w.contains("cut off"), "{w}");

    // ls, get and verify --tree see session 1, whole.
    let o = spindle(&["-v", "ls", &spec, "/"]);
    let text = ok(o.clone(), "ls");
    assert!(text.contains('a') && !text.contains("big"), "{text}");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("session 2"),
        "ls warns about the session it passed over"
    );
    let dest = work.path().join("got");
    ok(
        spindle(&["get", &spec, "/a/one", &dest.display().to_string()]),
        "get",
    );
    let got = if dest.is_dir() {
        std::fs::read(dest.join("one")).unwrap()
    } else {
        std::fs::read(&dest).unwrap()
    };
    assert_eq!(got, b"first session\n");
    ok(
        spindle(&["verify", &spec, "--tree", &format!("a={}", a.display())]),
        "verify --tree of the whole session",
    );
    // The xorriso front too.
    let o = Command::new(SPINDLE)
        .args(["xorriso", "-indev", &spec, "-lsl", "/"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("'a'") && !text.contains("'b'"), "{text}");
}

#[test]
fn truncated_images_are_refused_and_failed_images_leave_nothing() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("f"), vec![7u8; 300_000]).unwrap();
    let iso = work.path().join("full.iso");
    let iso_s = iso.display().to_string();
    ok(
        spindle(&["image", "-o", &iso_s, &src.display().to_string()]),
        "spindle image",
    );
    let full = std::fs::read(&iso).unwrap();
    let part = work.path().join("partial.iso");
    std::fs::write(&part, &full[..full.len() - 100 * 2048]).unwrap();
    let disc = MockDisc::with(MediaKind::DvdPlusR, false);
    let spec = disc.spec();
    let part_s = part.display().to_string();
    let o = spindle(&["burn", &spec, &part_s]);
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("truncated") && e.contains(&format!("{} blocks", full.len() / 2048 - 100)),
        "{e}"
    );
    // Nothing was written: the disc is still blank.
    let (_, v) = tests::probe_json(&spec);
    assert_eq!(v["medium"]["disc_status"], "blank", "{v}");
    // verify refuses it too, and an empty image.
    ok(spindle(&["burn", &spec, &iso_s]), "burn the whole image");
    let o = spindle(&["verify", &spec, &part_s]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("truncated"));
    let empty = work.path().join("empty.iso");
    std::fs::write(&empty, b"").unwrap();
    let o = spindle(&["verify", &spec, &empty.display().to_string()]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("empty"));
    ok(
        spindle(&["verify", &spec, &iso_s]),
        "verify the whole image",
    );

    // A failed `spindle image -o FILE` leaves no FILE, and an earlier FILE stays whole.
    let gone = work.path().join("gone");
    let out = work.path().join("out.iso");
    let o = spindle(&[
        "image",
        "-o",
        &out.display().to_string(),
        &gone.display().to_string(),
    ]);
    assert!(!o.status.success());
    assert!(!out.exists(), "a failed image left {}", out.display());
    let o = spindle(&["image", "-o", &iso_s, &gone.display().to_string()]);
    assert!(!o.status.success());
    assert_eq!(
        std::fs::read(&iso).unwrap(),
        full,
        "the earlier image was damaged"
    );
}

#[test]
fn every_command_takes_every_spelling_of_a_drive() {
    let disc = MockDisc::with(MediaKind::DvdPlusRw, false);
    let dir = disc.dir.path().display().to_string();
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("f"), b"x\n").unwrap();
    let tree = format!("d={}", src.display());
    // The mock's directory, without the mock: prefix, as duplicity passes it.
    ok(spindle(&["burn", &dir, "--tree", &tree]), "burn DIR");
    ok(spindle(&["verify", &dir, "--tree", &tree]), "verify DIR");
    ok(spindle(&["ls", &dir, "/d"]), "ls DIR");
    ok(spindle(&["lock", &dir]), "lock DIR");
    ok(spindle(&["unlock", &dir]), "unlock DIR");
    let o = spindle(&["close", &dir]);
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("is a directory"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // A directory that holds no drive is refused, saying what would work.
    let plain = work.path().display().to_string();
    for args in [
        vec!["burn", &plain, "--tree", &tree],
        vec!["verify", &plain, "--tree", &tree],
        vec!["ls", &plain],
    ] {
        let o = spindle(&args);
        assert!(!o.status.success(), "{args:?}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains("holds no mock drive"), "{args:?}: {e}");
    }
    // An image file where a drive is needed.
    let img = work.path().join("a.iso");
    std::fs::write(&img, b"").unwrap();
    let o = spindle(&["close", &img.display().to_string()]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("close needs a drive"), "{e}");
}

#[test]
fn joliet_names_are_the_ones_xorriso_and_genisoimage_write() {
    if !tier(
        "joliet_names_are_the_ones_xorriso_and_genisoimage_write",
        &["xorriso", "genisoimage", "isoinfo"],
    ) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let names = [
        "plain.txt",
        "UPPER lower.Tar.GZ",
        "semi;colon",
        "star*name",
        "x:y",
        "q?mark",
        "A long name that goes well beyond the sixty-four characters Joliet keeps.txt",
    ];
    for n in names {
        std::fs::write(src.join(n), format!("content of {n}\n")).unwrap();
    }
    let joliet = |iso: &std::path::Path| -> Vec<String> {
        let text = ok(
            Command::new("isoinfo")
                .args(["-J", "-l", "-i"])
                .arg(iso)
                .output()
                .unwrap(),
            "isoinfo -J -l",
        );
        let mut v: Vec<String> = text
            .lines()
            .filter(|l| l.starts_with('-'))
            .filter_map(|l| l.split("] ").nth(1))
            .map(|s| s.trim().to_string())
            .collect();
        v.sort();
        v
    };
    let ours = work.path().join("ours.iso");
    ok(
        spindle(&[
            "image",
            "-J",
            "-o",
            &ours.display().to_string(),
            &src.display().to_string(),
        ]),
        "spindle image",
    );
    let xo = work.path().join("xo.iso");
    ok(
        Command::new("xorriso")
            .args(["-as", "mkisofs", "-quiet", "-R", "-J", "-o"])
            .arg(&xo)
            .arg(&src)
            .output()
            .unwrap(),
        "xorriso -as mkisofs",
    );
    let gi = work.path().join("gi.iso");
    ok(
        Command::new("genisoimage")
            .args(["-quiet", "-R", "-J", "-o"])
            .arg(&gi)
            .arg(&src)
            .output()
            .unwrap(),
        "genisoimage",
    );
    // Names up to Joliet's 64 characters are the same in all three. Longer ones differ among
    // the tools themselves: genisoimage cuts at 64 and loses the extension, xorriso keeps the
    // extension but records 65 characters; spindle keeps the extension within 64.
    let short =
        |v: Vec<String>| -> Vec<String> { v.into_iter().filter(|n| n.len() < 60).collect() };
    let ours_names = joliet(&ours);
    assert_eq!(
        short(ours_names.clone()),
        short(joliet(&xo)),
        "Joliet: spindle vs xorriso"
    );
    assert_eq!(
        short(ours_names.clone()),
        short(joliet(&gi)),
        "Joliet: spindle vs genisoimage"
    );
    let long = ours_names.iter().find(|n| n.len() >= 60).unwrap();
    assert!(
        long.chars().count() <= 64 && long.ends_with(".txt"),
        "{long}"
    );
    // A name can be extracted by its Joliet path, as a Windows user would see it.
    for n in ["plain.txt", "x_y", "UPPER lower.Tar.GZ"] {
        let o = Command::new("isoinfo")
            .args(["-J", "-x", &format!("/{n}"), "-i"])
            .arg(&ours)
            .output()
            .unwrap();
        let want = names.iter().find(|m| m.replace(':', "_") == n).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            format!("content of {want}\n"),
            "isoinfo -J -x /{n}"
        );
    }
}
