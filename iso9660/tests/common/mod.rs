//! Test harness shared by the integration tests: deterministic tree generators, snapshots of
//! trees on disk and in images, and drivers for the outside readers (xorriso/osirrox, bsdtar,
//! isoinfo, pycdlib). Without a reader, a plain `cargo test` says NOT RUN for the tests that
//! need it; `scripts/test-all.sh` (SPINDLE_ALL_TIERS=1) makes a missing reader a failure.

#![allow(dead_code, unused_imports)]

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs::{self, File};
use std::hash::Hasher;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use iso9660::{EntryKind, GraftPoint, Image, ImageBuilder, Layout, Options, Ownership};

/// Fixed SOURCE_DATE_EPOCH of the tests' images.
pub const EPOCH: i64 = 1_700_000_000;

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

// The same tiers as the end-to-end tests: `cargo test` without the outside readers says
// NOT RUN; `scripts/test-all.sh` (SPINDLE_ALL_TIERS=1) requires them.
#[path = "../../../tests/tier.rs"]
mod tier_impl;
pub use tier_impl::tier;

/// Panics unless `tool` is on PATH.
pub fn require_tool(tool: &str) {
    let ok = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "{tool} is not installed: run scripts/install-deps.sh (tests never skip a reader)"
    );
}

/// The venv python with pycdlib, created on first use by scripts/pycdlib-venv.sh.
pub fn pycdlib_python() -> PathBuf {
    static PY: OnceLock<PathBuf> = OnceLock::new();
    PY.get_or_init(|| {
        let script = workspace_root().join("scripts/pycdlib-venv.sh");
        let out = Command::new("bash")
            .arg(&script)
            .output()
            .expect("run pycdlib-venv.sh");
        assert!(
            out.status.success(),
            "scripts/pycdlib-venv.sh failed (pycdlib is required):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    })
    .clone()
}

/// Runs a command, panicking with its output unless it succeeds; returns stdout.
pub fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed with {}:\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Test options: reproducible, with the given ownership mode.
pub fn options(ownership: Ownership) -> Options {
    Options {
        volume_id: "CEDAR BACKUP 2026-11-22".into(),
        ownership,
        source_date_epoch: Some(EPOCH),
        ..Options::default()
    }
}

/// Plans and writes an image of `grafts` to `out`; checks that the size written equals the
/// planned size.
pub fn write_image(opts: Options, grafts: &[GraftPoint], out: &Path) -> Layout {
    let mut b = ImageBuilder::new(opts).expect("builder");
    for g in grafts {
        b.add(g).expect("add graft");
    }
    let layout = b.plan().expect("plan");
    let f = File::create(out).expect("create image");
    let mut w = iso9660::SparseFileWriter::new(f);
    let summary = layout.write_to(&mut w).expect("write image");
    w.flush().unwrap();
    w.finish().unwrap();
    assert_eq!(summary.sectors, layout.sectors());
    assert_eq!(
        fs::metadata(out).unwrap().len(),
        layout.size_bytes(),
        "print-size != written size"
    );
    layout
}

/// Deterministic pseudo-random numbers (splitmix64).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = Vec::with_capacity(n + 8);
        while v.len() < n {
            v.extend_from_slice(&self.next().to_le_bytes());
        }
        v.truncate(n);
        v
    }
}

pub fn time(secs: i64) -> SystemTime {
    if secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(secs as u64)
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
    }
}

pub fn set_mtime(path: &Path, secs: i64) {
    let f = File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    f.set_modified(time(secs)).unwrap();
}

pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

fn symlink(target: &str, at: &Path) {
    std::os::unix::fs::symlink(target, at).unwrap();
}

/// Builds the mixed tree: odd and long names, symlinks, hard links, a fifo, empty files and
/// directories, a deep chain, a wide directory, assorted modes, owners and mtimes.
pub fn make_mixed(root: &Path) {
    let mut rng = Rng(9660);
    fs::create_dir_all(root).unwrap();
    let mut dir_modes: Vec<(PathBuf, u32)> = Vec::new();
    let mut mtimes: Vec<(PathBuf, i64)> = Vec::new();
    let file = |p: &Path, data: &[u8]| fs::write(p, data).unwrap();

    // Sizes around sector boundaries, and a few larger ones.
    for (i, size) in [0usize, 1, 2047, 2048, 2049, 65_536, 100_003, (1 << 20) + 3]
        .iter()
        .enumerate()
    {
        file(&root.join(format!("size_{i}_{size}")), &rng.bytes(*size));
    }
    let names: Vec<Vec<u8>> = vec![
        b"tab\tname".to_vec(),
        b"new\nline".to_vec(),
        b"sp ace".to_vec(),
        b"eq=ual".to_vec(),
        b"back\\slash".to_vec(),
        b"star*q?".to_vec(),
        b"colon:semi;1".to_vec(),
        b"-dash".to_vec(),
        b".hidden".to_vec(),
        b"..dots".to_vec(),
        b"trailing.".to_vec(),
        "ünïcödé ✓".as_bytes().to_vec(),
        "日本語のファイル名".as_bytes().to_vec(),
        "emoji 🎉 party".as_bytes().to_vec(),
        b"Readme.txt".to_vec(),
        b"README.TXT".to_vec(),
        b"readme.txt".to_vec(),
        b"x.tar.gz".to_vec(),
        b"file.withaverylongextension".to_vec(),
        vec![b'L'; 255],
        {
            let mut v = "é".repeat(127).into_bytes();
            v.push(b'x');
            v
        },
    ];
    for (i, n) in names.iter().enumerate() {
        file(
            &root.join(OsStr::from_bytes(n)),
            format!("name {i}\n").as_bytes(),
        );
    }
    // Names that collide after ISO 9660 truncation and case folding.
    let clash = root.join("clash");
    fs::create_dir(&clash).unwrap();
    for i in 0..40u8 {
        file(
            &clash.join(format!("a_very_long_common_prefix_for_names_{i:03}.data")),
            &[i],
        );
        file(
            &clash.join(format!("A_VERY_LONG_COMMON_PREFIX_FOR_NAMES_{i:03}.DATA")),
            &[i, 1],
        );
    }
    for i in 0..60 {
        file(&clash.join(format!("{}{i}", "n".repeat(200))), b"long");
    }
    // Symlinks.
    let links = root.join("links");
    fs::create_dir(&links).unwrap();
    symlink("../size_1_1", &links.join("relative"));
    symlink("/etc/passwd", &links.join("absolute"));
    symlink("does/not/exist", &links.join("dangling"));
    symlink("../clash", &links.join("to_dir"));
    symlink("./x/../y/.", &links.join("dots"));
    let long_target: Vec<String> = (0..30)
        .map(|i| format!("component{i:02}_{}", "z".repeat(i)))
        .collect();
    symlink(&long_target.join("/"), &links.join("long_target"));
    // Hard links: three names for one file.
    let hl = root.join("hardlinks");
    fs::create_dir(&hl).unwrap();
    file(&hl.join("one"), &rng.bytes(5000));
    fs::hard_link(hl.join("one"), hl.join("two")).unwrap();
    fs::hard_link(hl.join("one"), root.join("three")).unwrap();
    // A fifo.
    nix::unistd::mkfifo(
        &root.join("fifo"),
        nix::sys::stat::Mode::from_bits_truncate(0o640),
    )
    .unwrap();
    // Empty directories.
    fs::create_dir_all(root.join("empty/nested_empty")).unwrap();
    // Deep chain: 40 levels.
    let mut deep = root.join("deep");
    for i in 0..40 {
        deep = deep.join(format!("level{i:02}"));
    }
    fs::create_dir_all(&deep).unwrap();
    file(&deep.join("bottom.txt"), b"bottom\n");
    // Wide directory: its records span many sectors.
    let wide = root.join("wide");
    fs::create_dir(&wide).unwrap();
    for i in 0..3000 {
        let n = rng.below(300) as usize;
        file(&wide.join(format!("entry_{i:05}")), &rng.bytes(n));
    }
    // Modes.
    let modes = root.join("modes");
    fs::create_dir(&modes).unwrap();
    for (name, mode) in [
        ("m0600", 0o600),
        ("m0444", 0o444),
        ("m0755", 0o755),
        ("m4755", 0o4755),
        ("m2750", 0o2750),
        ("m0000", 0o000),
    ] {
        let p = modes.join(name);
        file(&p, name.as_bytes());
        fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
    }
    fs::create_dir(modes.join("d0700")).unwrap();
    file(&modes.join("d0700/inside"), b"x");
    dir_modes.push((modes.join("d0700"), 0o700));
    fs::create_dir(modes.join("d1777")).unwrap();
    dir_modes.push((modes.join("d1777"), 0o1777));
    fs::create_dir(modes.join("d0555")).unwrap();
    file(&modes.join("d0555/inside"), b"y");
    dir_modes.push((modes.join("d0555"), 0o555));
    // Owners (only possible as root).
    if is_root() {
        std::os::unix::fs::lchown(modes.join("m0600"), Some(1234), Some(5678)).unwrap();
        std::os::unix::fs::lchown(modes.join("d0700"), Some(4321), Some(8765)).unwrap();
        std::os::unix::fs::lchown(links.join("relative"), Some(99), Some(98)).unwrap();
    }
    // Times: 1969, 1970, 1980, just after 2038, 2040, 2100.
    let times = root.join("times");
    fs::create_dir(&times).unwrap();
    for t in [
        -86_400i64,
        0,
        315_532_800,
        2_147_483_648,
        2_208_988_800,
        4_107_542_400,
    ] {
        let p = times.join(format!("t{t}"));
        file(&p, b"t");
        mtimes.push((p, t));
    }
    mtimes.push((times.clone(), 4_107_542_400));
    mtimes.push((wide.clone(), 315_532_800));
    // Directory mtimes last (adding entries changes them), deepest first.
    let mut dirs: Vec<PathBuf> = Vec::new();
    collect_dirs(root, &mut dirs);
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for (i, d) in dirs.iter().enumerate() {
        if !mtimes.iter().any(|(p, _)| p == d) {
            mtimes.push((d.clone(), 1_600_000_000 + i as i64 * 3600));
        }
    }
    for (p, t) in &mtimes {
        set_mtime(p, *t);
    }
    for (p, m) in dir_modes {
        fs::set_permissions(&p, fs::Permissions::from_mode(m)).unwrap();
    }
}

fn collect_dirs(d: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(d).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            collect_dirs(&e.path(), out);
            out.push(e.path());
        }
    }
}

/// Builds `n` small files (1–16 KiB) in a 10×10×10 directory tree.
pub fn make_small(root: &Path, n: usize) {
    let mut rng = Rng(20_000);
    for i in 0..n {
        let d = root.join(format!("d{}/d{}/d{}", i % 10, i / 10 % 10, i / 100 % 10));
        if i < 1000 {
            fs::create_dir_all(&d).unwrap();
        }
        let size = 1024 + rng.below(15 * 1024) as usize;
        fs::write(d.join(format!("file_{i:06}.dat")), rng.bytes(size)).unwrap();
    }
}

/// What is compared per entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub kind: char,
    pub perm: u32,
    pub size: u64,
    pub content: u64,
    pub target: Vec<u8>,
    pub mtime: Option<i64>,
    pub owner: Option<(u32, u32)>,
}

#[derive(Debug, Clone, Copy)]
pub struct Compare {
    /// Map source modes/owners as `-r` does.
    pub rational: bool,
    /// Compare uid:gid.
    pub owner: bool,
    /// Compare symlink mtimes and owners (osirrox restores neither).
    pub symlink_meta: bool,
}

pub fn rationalize(perm: u32) -> u32 {
    let mut p = perm & 0o777;
    p |= 0o444;
    p &= !0o222;
    if p & 0o111 != 0 {
        p |= 0o111;
    }
    p
}

fn hash_reader(mut r: impl Read) -> (u64, u64) {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = r.read(&mut buf).unwrap();
        if k == 0 {
            return (h.finish(), n);
        }
        h.write(&buf[..k]);
        n += k as u64;
    }
}

/// Snapshot of a directory tree on disk (the root itself excluded).
pub fn snapshot_dir(root: &Path, cmp: Compare, source_side: bool) -> BTreeMap<Vec<u8>, Item> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let md = fs::symlink_metadata(&p).unwrap();
            let ft = md.file_type();
            let kind = if ft.is_dir() {
                'd'
            } else if ft.is_symlink() {
                'l'
            } else if ft.is_fifo() {
                'p'
            } else if ft.is_file() {
                'f'
            } else {
                '?'
            };
            let (content, size) = if kind == 'f' {
                hash_reader(File::open(&p).unwrap())
            } else {
                (0, 0)
            };
            let mut perm = md.mode() & 0o7777;
            let mut owner = (md.uid(), md.gid());
            if source_side && cmp.rational {
                perm = rationalize(perm);
                owner = (0, 0);
            }
            if kind == 'l' {
                perm = 0o777;
            }
            let rel = p
                .strip_prefix(root)
                .unwrap()
                .as_os_str()
                .as_bytes()
                .to_vec();
            let target = if kind == 'l' {
                fs::read_link(&p).unwrap().as_os_str().as_bytes().to_vec()
            } else {
                Vec::new()
            };
            out.insert(
                rel,
                Item {
                    kind,
                    perm,
                    size,
                    content,
                    target,
                    mtime: (kind != 'l' || cmp.symlink_meta).then_some(md.mtime()),
                    owner: (cmp.owner && (kind != 'l' || cmp.symlink_meta)).then_some(owner),
                },
            );
            if kind == 'd' {
                stack.push(p);
            }
        }
    }
    out
}

/// Snapshot of an image through our own reader.
pub fn snapshot_image<R: Read + std::io::Seek>(
    img: &mut Image<R>,
    cmp: Compare,
) -> BTreeMap<Vec<u8>, Item> {
    let mut entries = Vec::new();
    img.walk(|w| {
        entries.push(w.clone());
        Ok(())
    })
    .unwrap();
    let mut out = BTreeMap::new();
    for w in entries {
        let e = &w.entry;
        let kind = match &e.kind {
            EntryKind::Directory => 'd',
            EntryKind::File => 'f',
            EntryKind::Symlink(_) => 'l',
            EntryKind::Fifo => 'p',
            _ => '?',
        };
        let (content, size) = if kind == 'f' {
            hash_reader(img.open_file(e).unwrap())
        } else {
            (0, 0)
        };
        assert_eq!(size, e.size, "{}", w.path.display());
        out.insert(
            w.path.as_os_str().as_bytes().to_vec(),
            Item {
                kind,
                perm: if kind == 'l' { 0o777 } else { e.mode & 0o7777 },
                size,
                content,
                target: match &e.kind {
                    EntryKind::Symlink(t) => t.clone(),
                    _ => Vec::new(),
                },
                mtime: (kind != 'l' || cmp.symlink_meta).then_some(e.mtime),
                owner: cmp.owner.then_some((e.uid, e.gid)),
            },
        );
    }
    out
}

/// Panics with the first differences when the two snapshots differ.
pub fn assert_same(
    reader: &str,
    expected: &BTreeMap<Vec<u8>, Item>,
    actual: &BTreeMap<Vec<u8>, Item>,
) {
    if expected == actual {
        return;
    }
    let mut report = Vec::new();
    for (k, v) in expected {
        match actual.get(k) {
            None => report.push(format!("only in source: {:?}", String::from_utf8_lossy(k))),
            Some(a) if a != v => report.push(format!(
                "{:?}:\n  source {v:?}\n  image  {a:?}",
                String::from_utf8_lossy(k)
            )),
            _ => {}
        }
    }
    for k in actual.keys().filter(|k| !expected.contains_key(*k)) {
        report.push(format!("only in image: {:?}", String::from_utf8_lossy(k)));
    }
    panic!(
        "[{reader}] {} differences (source {} entries, image {}):\n{}",
        report.len(),
        expected.len(),
        actual.len(),
        report
            .iter()
            .take(25)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Extracts with `xorriso -osirrox on` (optionally the session whose superblock is at
/// `sbsector`), failing on any SORRY or worse.
pub fn xorriso_extract(iso: &Path, dest: &Path, sbsector: Option<u32>) {
    require_tool("xorriso");
    let mut cmd = Command::new("xorriso");
    cmd.args(["-abort_on", "FAILURE", "-return_with", "SORRY", "32"]);
    if let Some(s) = sbsector {
        cmd.args(["-load", "sbsector", &s.to_string()]);
    }
    cmd.args(["-osirrox", "on", "-indev"])
        .arg(iso)
        .args(["-extract", "/"])
        .arg(dest);
    let out = cmd.output().expect("run xorriso");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "xorriso extract failed: {stderr}");
    assert!(
        !stderr.contains("SORRY") && !stderr.contains("FAILURE"),
        "xorriso complained: {stderr}"
    );
}

/// Extracts with bsdtar (libarchive), failing on any message.
pub fn bsdtar_extract(iso: &Path, dest: &Path) {
    require_tool("bsdtar");
    fs::create_dir_all(dest).unwrap();
    let out = Command::new("bsdtar")
        .arg("-xpf")
        .arg(iso)
        .arg("-C")
        .arg(dest)
        .output()
        .expect("run bsdtar");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "bsdtar: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `isoinfo -d` must report our label, size, Rock Ridge and (optionally) Joliet, and
/// `isoinfo -l -R` (and `-J`) must list the tree without complaint. Returns the RR listing.
pub fn isoinfo_check(iso: &Path, volume_id: &str, sectors: u32, joliet: bool) -> String {
    require_tool("isoinfo");
    let d = String::from_utf8_lossy(&run(Command::new("isoinfo").arg("-d").arg("-i").arg(iso)))
        .into_owned();
    assert!(d.contains(&format!("Volume id: {volume_id}\n")), "{d}");
    assert!(d.contains(&format!("Volume size is: {sectors}\n")), "{d}");
    assert!(d.contains("Rock Ridge signatures version 1 found"), "{d}");
    assert_eq!(d.contains("Joliet with UCS level 3 found"), joliet, "{d}");
    let out = Command::new("isoinfo")
        .args(["-l", "-R", "-i"])
        .arg(iso)
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "isoinfo -l: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    if joliet {
        let j = Command::new("isoinfo")
            .args(["-l", "-J", "-i"])
            .arg(iso)
            .output()
            .unwrap();
        assert!(
            j.status.success() && j.stderr.is_empty(),
            "isoinfo -J: {}",
            String::from_utf8_lossy(&j.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// pycdlib's listing (JSON lines keyed by path) of an image or, with `--source`, a directory.
pub fn pycdlib_listing(args: &[&OsStr]) -> BTreeMap<String, serde_json::Value> {
    let py = pycdlib_python();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/pycdlib_list.py");
    let out = run(Command::new(py).arg(script).args(args));
    let mut map = BTreeMap::new();
    for line in out.split(|&c| c == b'\n').filter(|l| !l.is_empty()) {
        let v: serde_json::Value = serde_json::from_slice(line).expect("json line");
        map.insert(v["path"].as_str().unwrap().to_owned(), v);
    }
    map
}

/// Compares pycdlib's strict parse and Rock Ridge walk of `iso` with its listing of `src`.
pub fn pycdlib_check(src: &Path, iso: &Path, rational: bool) {
    let mut expected = pycdlib_listing(&["--source".as_ref(), src.as_os_str()]);
    let mut actual = pycdlib_listing(&[iso.as_os_str()]);
    for v in expected.values_mut() {
        if rational && v["type"] != "l" {
            let p = v["perm"].as_u64().unwrap() as u32;
            v["perm"] = rationalize(p).into();
        }
    }
    for v in actual.values_mut().chain(expected.values_mut()) {
        if v["type"] == "l" {
            v["perm"] = 0o777.into();
        }
    }
    if expected != actual {
        let mut report = Vec::new();
        for (k, v) in &expected {
            match actual.get(k) {
                None => report.push(format!("only in source: {k:?}")),
                Some(a) if a != v => report.push(format!("{k:?}: source {v} image {a}")),
                _ => {}
            }
        }
        for k in actual.keys().filter(|k| !expected.contains_key(*k)) {
            report.push(format!("only in image: {k:?}"));
        }
        panic!(
            "[pycdlib] {} differences:\n{}",
            report.len(),
            report
                .iter()
                .take(25)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

/// Checks `iso` against `src` with our reader, xorriso/osirrox and bsdtar.
pub fn check_extracting_readers(src: &Path, iso: &Path, cmp: Compare, work: &Path) {
    let t = std::time::Instant::now();
    let expected = snapshot_dir(src, cmp, true);
    eprintln!("source snapshot {:?}", t.elapsed());
    let mut img = Image::open(File::open(iso).unwrap()).unwrap();
    assert_same("iso9660 reader", &expected, &snapshot_image(&mut img, cmp));
    eprintln!("our reader {:?}", t.elapsed());

    let x = work.join("xorriso");
    xorriso_extract(iso, &x, None);
    let xcmp = Compare {
        symlink_meta: false,
        ..cmp
    };
    assert_same(
        "xorriso",
        &snapshot_dir(src, xcmp, true),
        &snapshot_dir(&x, xcmp, false),
    );
    make_writable(&x);
    fs::remove_dir_all(&x).unwrap();
    eprintln!("xorriso {:?}", t.elapsed());

    let b = work.join("bsdtar");
    bsdtar_extract(iso, &b);
    assert_same("bsdtar", &expected, &snapshot_dir(&b, cmp, false));
    make_writable(&b);
    fs::remove_dir_all(&b).unwrap();
    eprintln!("bsdtar {:?}", t.elapsed());
}

/// Restores write permission on every directory so the tree can be removed.
pub fn make_writable(root: &Path) {
    let mut dirs = Vec::new();
    collect_dirs(root, &mut dirs);
    for d in dirs {
        let _ = fs::set_permissions(&d, fs::Permissions::from_mode(0o755));
    }
}
