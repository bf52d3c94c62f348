//! `spindle burn|verify|blank|format` end to end: the capacity check refuses a disc that is
//! too small before any WRITE, `--dry-run` prints the plan, and verify reports a flipped
//! byte with its LBA.

use std::io::{Seek, SeekFrom, Write};

use hal::mock::MediaKind;
use tests::burnkit::{make_image, next_start, require_xorriso};
use tests::MockDisc;

fn spindle(args: &[&str]) -> u8 {
    let mut v = vec!["spindle"];
    v.extend_from_slice(args);
    cli::spindle::run_args(v)
}

#[test]
fn too_small_disc_is_refused_before_any_write() {
    let disc = MockDisc::with(MediaKind::CdR, true);
    let work = tempfile::tempdir().unwrap();
    // 800 MB, sparse: larger than an 80-minute CD-R (359,849 blocks).
    let big = work.path().join("big.iso");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(800_000_000)
        .unwrap();
    let img = big.to_str().unwrap();
    let dev = disc.spec();
    assert_ne!(spindle(&["burn", &dev, img, "--dry-run"]), 0);
    assert_ne!(spindle(&["burn", &dev, img]), 0);
    let t = disc.drive.transcript().unwrap();
    assert!(!t.lines().any(|l| l.starts_with("2A ")), "{t}");
    // The library says why, with both figures.
    let mut d = tests::burnkit::fast(&disc.drive);
    let b = mmc::burn::Burner::new(&mut d, &cli::disc::ISO9660).unwrap();
    let e = b
        .plan(800_000_000, &mmc::burn::BurnOptions::default())
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "the image needs 390625 blocks (800 MB) but the disc has 359849 blocks (736 MB) available"
    );
}

#[test]
fn dry_run_prints_the_plan_and_writes_nothing() {
    if !require_xorriso() {
        return;
    }
    let disc = MockDisc::with(MediaKind::DvdPlusRw, true);
    let work = tempfile::tempdir().unwrap();
    let start = next_start(&disc.drive, true);
    let img = make_image(work.path(), 1, &start, &disc.drive.media_path());
    let mut out = Vec::new();
    let a = cli::cmd::burn::BurnArgs {
        device: disc.spec(),
        image: Some(img),
        tree: Vec::new(),
        volume_id: String::new(),
        remove: Vec::new(),
        exact: false,
        no_md5: false,
        new_disc: true,
        finalize: false,
        speed: Some(4.0),
        dry_run: true,
        refresh: false,
        tray: Default::default(),
        json: false,
    };
    cli::cmd::burn::burn(&a, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("FORMAT UNIT type 26h"), "{text}");
    assert!(text.contains("SET STREAMING 5540 kB/s"), "{text}");
    assert!(text.contains("WRITE(10)"), "{text}");
    assert!(text.contains("fits"), "{text}");
    let t = disc.drive.transcript().unwrap();
    assert!(
        !t.lines()
            .any(|l| l.starts_with("2A ") || l.starts_with("04 ")),
        "{t}"
    );
}

#[test]
fn verify_reports_a_flipped_byte_with_its_lba() {
    if !require_xorriso() {
        return;
    }
    let disc = MockDisc::with(MediaKind::DvdPlusR, true);
    let work = tempfile::tempdir().unwrap();
    let start = next_start(&disc.drive, true);
    let img = make_image(work.path(), 1, &start, &disc.drive.media_path());
    let dev = disc.spec();
    let img_s = img.to_str().unwrap();
    assert_eq!(spindle(&["burn", &dev, img_s, "--new-disc"]), 0);
    assert_eq!(spindle(&["verify", &dev, img_s]), 0);

    // Flip one byte of block 40 in the medium itself.
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(disc.drive.media_path())
        .unwrap();
    f.seek(SeekFrom::Start(40 * 2048 + 100)).unwrap();
    let b = std::fs::read(&img).unwrap()[40 * 2048 + 100];
    f.write_all(&[b ^ 0xff]).unwrap();
    drop(f);

    let mut d = tests::burnkit::fast(&disc.drive);
    let e = mmc::burn::verify(
        &mut d,
        0,
        std::fs::File::open(&img).unwrap(),
        std::fs::metadata(&img).unwrap().len(),
        &mut (),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "verify: LBA 40 differs from the image (first difference at byte 100 of the block)"
    );
    assert_eq!(spindle(&["verify", &dev, img_s]), 1);
    // Verify reads through the drive: the transcript shows READ(10).
    let t = disc.drive.transcript().unwrap();
    assert!(t.lines().any(|l| l.starts_with("28 ")));
}

#[test]
fn blank_and_format_subcommands() {
    let disc = MockDisc::with(MediaKind::BdRe, true);
    let dev = disc.spec();
    assert_eq!(spindle(&["format", &dev]), 0);
    let st = disc.drive.state().unwrap().medium.unwrap();
    assert!(
        st.format.as_deref().unwrap().starts_with("formatted"),
        "{st:?}"
    );
    // BD-RE cannot be blanked: refused with a clear message, exit 1.
    assert_eq!(spindle(&["blank", &dev]), 1);

    let disc = MockDisc::with(MediaKind::CdRw, true);
    let dev = disc.spec();
    disc.write_session(&tests::SEQUENTIAL[1], 300, false);
    assert_eq!(spindle(&["blank", &dev, "--full"]), 0);
    let st = disc.drive.state().unwrap().medium.unwrap();
    assert_eq!(st.disc_status, "blank");

    let disc = MockDisc::with(MediaKind::DvdPlusRw, true);
    assert_eq!(spindle(&["format", &disc.spec(), "--full"]), 0);
    let st = disc.drive.state().unwrap().medium.unwrap();
    assert_eq!(st.format.as_deref(), Some("formatted"), "{st:?}");
}
