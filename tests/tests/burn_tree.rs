//! `spindle burn DEVICE --tree DEST=SRC…` on every medium: a new disc, then two appended
//! sessions, each built in process and streamed to the drive (no xorrisofs, no temporary
//! image). After each burn xorriso reads the merged tree from `media.img`, spindle's own
//! reader reads it back through the drive, and `--dry-run` printed the exact sector count
//! that was then written.

use std::io::Read;
use std::path::Path;

use hal::mock::MediaKind;
use mmc::burn::{Burner, Preparation};
use tests::burnkit::{fast, list_tree, require_xorriso, tree_burn_args};
use tests::MockDisc;

fn burn_args(
    device: &str,
    tree: Vec<String>,
    new_disc: bool,
    dry_run: bool,
) -> cli::cmd::burn::BurnArgs {
    tree_burn_args(device, tree, new_disc, dry_run, "TREES")
}

fn run(a: &cli::cmd::burn::BurnArgs) -> String {
    let mut out = Vec::new();
    cli::cmd::burn::burn(a, &mut out).unwrap_or_else(|e| panic!("{}: {e:#}", a.device));
    String::from_utf8(out).unwrap()
}

/// The number after `key` in `text`.
fn field(text: &str, key: &str) -> u32 {
    let at = text
        .find(key)
        .unwrap_or_else(|| panic!("no '{key}' in:\n{text}"))
        + key.len();
    text[at..]
        .trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number after '{key}' in:\n{text}"))
}

/// Session `n`'s source tree: `dN/fN` plus a larger file.
fn make_tree(work: &Path, n: u32) -> std::path::PathBuf {
    let dir = work.join(format!("src{n}"));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(
        dir.join(format!("f{n}")),
        format!("session {n}\n").repeat(500 * n as usize),
    )
    .unwrap();
    let big: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(n + 7) >> 3) as u8)
        .collect();
    std::fs::write(dir.join("sub").join("big.bin"), big).unwrap();
    dir
}

fn three_tree_sessions(disc: &MockDisc, kind: &str, overwritable: bool) {
    let dev = disc.spec();
    let media = disc.drive.media_path();
    let work = tempfile::tempdir().unwrap();
    let mut expected = Vec::new();
    for n in 1..=3u32 {
        let src = make_tree(work.path(), n);
        let tree = vec![format!("d{n}={}", src.display())];
        let writes = || {
            let t = disc.drive.transcript().unwrap_or_default();
            t.lines().filter(|l| l.starts_with("2A ")).count()
        };
        let before = writes();
        let plan = run(&burn_args(&dev, tree.clone(), n == 1, true));
        assert_eq!(writes(), before, "{kind}: the dry run wrote");
        let burned = run(&burn_args(&dev, tree, n == 1, false));
        let planned = field(&plan, "sectors:");
        let written = field(&burned, "blocks (");
        assert_eq!(planned, written, "{kind} session {n}:\n{plan}\n{burned}");
        let start = field(&plan, " at LBA ");
        assert_eq!(start, field(&burned, "at LBA "), "{kind}: {burned}");
        assert!(plan.contains(": fits"), "{plan}");
        if n > 1 {
            let method = if overwritable { "grow" } else { "session" };
            assert!(
                plan.contains(&format!("session:   {method}")),
                "{kind}: {plan}"
            );
        }
        for f in [format!("/d{n}/f{n}"), format!("/d{n}/sub/big.bin")] {
            expected.push(f);
        }
        expected.sort();
        let mut files = list_tree(&media, if overwritable { 0 } else { start });
        files.sort();
        assert_eq!(files, expected, "{kind} after session {n}");

        // Spindle's reader, through the drive: the merged tree with the right bytes.
        let mut image = cli::disc::session::open_last_session(&dev).unwrap();
        assert_eq!(image.volume_id(), "TREES", "{kind}");
        for m in 1..=n {
            let e = image.lookup(format!("d{m}/f{m}")).unwrap();
            let mut got = Vec::new();
            image.read_file(&e, &mut got).unwrap();
            assert_eq!(
                got,
                format!("session {m}\n")
                    .repeat(500 * m as usize)
                    .into_bytes()
            );
        }
        let e = image.lookup(format!("d{n}/sub/big.bin")).unwrap();
        let mut got = Vec::new();
        image.open_file(&e).unwrap().read_to_end(&mut got).unwrap();
        assert_eq!(
            got,
            std::fs::read(src.join("sub/big.bin")).unwrap(),
            "{kind}"
        );
    }
}

fn medium(kind: MediaKind) {
    if !require_xorriso() {
        return;
    }
    let disc = MockDisc::with(kind, true);
    let overwritable = matches!(kind, MediaKind::DvdPlusRw | MediaKind::BdRe);
    three_tree_sessions(&disc, &kind.to_string(), overwritable);
}

#[test]
fn cd_r_tree_sessions() {
    medium(MediaKind::CdR);
}

#[test]
fn cd_rw_tree_sessions() {
    medium(MediaKind::CdRw);
}

#[test]
fn dvd_r_tree_sessions() {
    medium(MediaKind::DvdR);
}

#[test]
fn dvd_rw_tree_sessions() {
    medium(MediaKind::DvdRw);
}

#[test]
fn dvd_plus_r_tree_sessions() {
    medium(MediaKind::DvdPlusR);
}

#[test]
fn dvd_plus_r_dl_tree_sessions() {
    medium(MediaKind::DvdPlusRDl);
}

#[test]
fn bd_r_tree_sessions() {
    medium(MediaKind::BdR);
}

#[test]
fn dvd_plus_rw_tree_sessions() {
    medium(MediaKind::DvdPlusRw);
}

#[test]
fn bd_re_tree_sessions() {
    medium(MediaKind::BdRe);
}

#[test]
fn dvd_rw_restricted_overwrite_tree_sessions() {
    if !require_xorriso() {
        return;
    }
    let disc = MockDisc::with(MediaKind::DvdRw, true);
    {
        let mut d = fast(&disc.drive);
        let mut b = Burner::new(&mut d, &cli::disc::ISO9660).unwrap();
        b.prepare(Preparation::Format { full: false }, &mut ())
            .unwrap();
    }
    three_tree_sessions(&disc, "dvd-rw-ro", true);
}

#[test]
fn a_tree_too_big_is_refused_before_any_write() {
    let disc = MockDisc::with(MediaKind::CdR, true);
    let work = tempfile::tempdir().unwrap();
    // 800 MB of holes: larger than an 80-minute CD-R.
    let src = work.path().join("big");
    std::fs::create_dir(&src).unwrap();
    std::fs::File::create(src.join("huge"))
        .unwrap()
        .set_len(800_000_000)
        .unwrap();
    let dev = disc.spec();
    let tree = vec![format!("x={}", src.display())];
    let mut out = Vec::new();
    let e = cli::cmd::burn::burn(&burn_args(&dev, tree.clone(), true, true), &mut out).unwrap_err();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("DOES NOT FIT"), "{text}");
    assert!(format!("{e:#}").contains("available"), "{e:#}");
    let e = cli::cmd::burn::burn(&burn_args(&dev, tree, true, false), &mut Vec::new()).unwrap_err();
    assert!(format!("{e:#}").contains("nothing was written"), "{e:#}");
    let t = disc.drive.transcript().unwrap();
    assert!(!t.lines().any(|l| l.starts_with("2A ")), "{t}");
}

#[test]
fn image_file_target_new_and_grown() {
    if !require_xorriso() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let iso = work.path().join("t.iso");
    let dev = iso.to_str().unwrap().to_owned();
    let mut expected = Vec::new();
    for n in 1..=3u32 {
        let src = make_tree(work.path(), n);
        let tree = vec![format!("d{n}={}", src.display())];
        let plan = run(&burn_args(&dev, tree.clone(), n == 1, true));
        let burned = run(&burn_args(&dev, tree, n == 1, false));
        assert_eq!(field(&plan, "sectors:"), field(&burned, "blocks ("));
        expected.push(format!("/d{n}/f{n}"));
        expected.push(format!("/d{n}/sub/big.bin"));
        expected.sort();
        let mut files = list_tree(&iso, 0);
        files.sort();
        assert_eq!(files, expected, "image file after session {n}");
        let mut image = cli::disc::session::open_last_session(&dev).unwrap();
        let e = image.lookup("d1/f1").unwrap();
        assert_eq!(e.size, 500 * "session 1\n".len() as u64);
    }
}

/// Truncates a source file once the first data reaches the drive.
struct Saboteur {
    victim: std::path::PathBuf,
    done: bool,
}

impl mmc::burn::BurnProgress for Saboteur {
    fn bytes(&mut self, _done: u64, _total: u64) {
        if !self.done {
            self.done = true;
            std::fs::write(&self.victim, b"changed").unwrap();
        }
    }
}

#[test]
fn a_file_that_changes_while_streamed_stops_the_burn() {
    let disc = MockDisc::with(MediaKind::DvdPlusR, true);
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    std::fs::create_dir(&src).unwrap();
    // 12 MB ahead of the victim: more than the pipe and the burner's queue hold together,
    // so the victim is read after the first WRITE.
    std::fs::write(src.join("a"), vec![1u8; 12 << 20]).unwrap();
    std::fs::write(src.join("z"), vec![2u8; 1 << 20]).unwrap();
    let req = cli::disc::write::TreeBurn {
        device: disc.spec(),
        grafts: vec![iso9660::GraftPoint::parse(format!("d={}", src.display()).as_ref()).unwrap()],
        remove: Vec::new(),
        volume_id: "X".into(),
        new_disc: true,
        finalize: false,
        ownership: iso9660::Ownership::Rationalized,
        speed_kbps: None,
        joliet: true,
        md5: true,
    };
    let plan = cli::disc::write::plan_tree(&req).unwrap();
    assert!(plan.fits);
    assert_eq!((plan.method.as_str(), plan.start_lba), ("new-disc", 0));
    let mut sab = Saboteur {
        victim: src.join("z"),
        done: false,
    };
    let e = cli::disc::write::burn_tree(&req, &mut sab).unwrap_err();
    let msg = format!("{e:#}");
    assert!(msg.contains("changed after the image was planned"), "{msg}");
    assert!(msg.contains("session is left open"), "{msg}");
}

#[test]
fn verify_and_read_a_pressed_disc() {
    // The media QEMU's drives show: read-only, no burner. `spindle verify` falls back to the
    // probe for the session start; the reader opens the tree at LBA 0.
    let work = tempfile::tempdir().unwrap();
    let src = make_tree(work.path(), 2);
    let iso = work.path().join("rom.iso");
    let iso_s = iso.to_str().unwrap().to_owned();
    run(&burn_args(
        &iso_s,
        vec![format!("d={}", src.display())],
        true,
        false,
    ));
    let disc = MockDisc::rom(MediaKind::CdRom, &iso);
    let dev = disc.spec();
    assert_eq!(
        cli::spindle::run_args(["spindle", "verify", &dev, &iso_s]),
        0
    );
    // Flip one byte in the middle of the big file: verify names that block.
    let mut bytes = std::fs::read(&iso).unwrap();
    let mut image = cli::disc::session::open_last_session(&dev).unwrap();
    let e = image.lookup("d/sub/big.bin").unwrap();
    let lba = e.extents[0].lba + 3;
    bytes[lba as usize * 2048 + 77] ^= 0xff;
    let other = work.path().join("other.iso");
    std::fs::write(&other, &bytes).unwrap();
    let a = cli::cmd::burn::VerifyArgs {
        device: dev.clone(),
        image: Some(other),
        lba: None,
        tree: Vec::new(),
        json: false,
    };
    let err = cli::cmd::burn::verify_cmd(&a, &mut Vec::new()).unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains(&format!(
            "LBA {lba} differs from the image (first difference at byte 77"
        )),
        "{msg}"
    );
}
