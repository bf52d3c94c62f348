//! Cedar Backup actions that must fail: each with cback3's exit code and nothing marked
//! stored. check_media refusing a foreign disc, check_data catching a flipped byte, bad
//! config, missing dirs, a full disc, a drive with no medium, actions spindle leaves to cback3.

use std::time::{Duration, Instant};

use hal::mock::MediaKind;
use tests::cedarkit::{Knobs, Setup, WEEK};

#[test]
fn check_media_refuses_a_foreign_disc() {
    let s = Setup::new(
        MediaKind::DvdPlusRw,
        &Knobs {
            check_media: true,
            ..Knobs::default()
        },
    );
    let photos = s.root.path().join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    std::fs::write(photos.join("beach.jpg"), b"not really a jpeg").unwrap();
    let req = cli::disc::write::TreeBurn {
        device: s.disc.spec(),
        grafts: vec![iso9660::GraftPoint::path(&photos)],
        remove: Vec::new(),
        volume_id: "HOLIDAY PHOTOS".into(),
        new_disc: true,
        finalize: false,
        ownership: iso9660::Ownership::Rationalized,
        speed_kbps: None,
        joliet: true,
        md5: true,
    };
    cli::disc::write::burn_tree(&req, &mut ()).expect("foreign disc");
    s.stage_day(WEEK[0], 2000);
    // Even on the starting day (a new disc), the foreign disc is not overwritten (Q6).
    assert_eq!(s.run(WEEK[0], &["store"]), 6);
    assert!(!s.stored(WEEK[0]));
    let (files, label) = s.last_session();
    assert_eq!(
        (files, label.as_str()),
        (vec!["beach.jpg".to_owned()], "HOLIDAY PHOTOS")
    );
    // initialize is allowed to take it over; then store works.
    assert_eq!(s.run(WEEK[0], &["initialize"]), 0);
    assert_eq!(s.run(WEEK[0], &["store"]), 0);
}

/// Flips one byte of `needle`'s first occurrence in `media`.
fn flip(media: &std::path::Path, needle: &[u8]) -> bool {
    let mut bytes = std::fs::read(media).unwrap();
    let Some(at) = bytes.windows(needle.len()).position(|w| w == needle) else {
        return false;
    };
    bytes[at + 3] ^= 0x20;
    std::fs::write(media, bytes).unwrap();
    true
}

#[test]
fn check_data_catches_a_flipped_byte() {
    // eject_delay keeps the tray open for a second between the write and the check: the
    // test flips a byte of the new session in media.img then, as a bad burn would.
    let s = Setup::new(
        MediaKind::DvdPlusRw,
        &Knobs {
            eject_delay: Some(1),
            ..Knobs::default()
        },
    );
    s.stage_day(WEEK[0], 2000);
    assert_eq!(s.run(WEEK[0], &["store"]), 0);
    let d = s.stage_day(WEEK[1], 5000);
    std::fs::write(d.join("alpha/marker.txt"), b"MARKER-FOR-THE-FLIP-TEST").unwrap();
    let drive = s.disc.drive.clone();
    let media = drive.media_path();
    let code = std::thread::scope(|scope| {
        let t = scope.spawn(|| s.run(WEEK[1], &["store"]));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if drive.state().map(|st| st.tray_open).unwrap_or(false) {
                assert!(
                    flip(&media, b"MARKER-FOR-THE-FLIP-TEST"),
                    "marker on the disc"
                );
                break;
            }
            assert!(Instant::now() < deadline, "the tray never opened");
            std::thread::sleep(Duration::from_millis(5));
        }
        t.join().unwrap()
    });
    assert_eq!(code, 6, "check_data fails");
    assert!(!s.stored(WEEK[1]), "a failed check leaves the dir unmarked");
    assert!(s.stored(WEEK[0]));
}

#[test]
fn bad_config_exits_4() {
    let s = Setup::new(MediaKind::DvdPlusRw, &Knobs::default());
    s.stage_day(WEEK[0], 2000);
    s.write_config(&Knobs {
        media_type: "dvd-r",
        ..Knobs::default()
    });
    assert_eq!(s.run(WEEK[0], &["store"]), 4);
    std::fs::write(&s.config, "<cb_config><options>").unwrap();
    assert_eq!(s.run(WEEK[0], &["store"]), 4);
    std::fs::remove_file(&s.config).unwrap();
    assert_eq!(s.run(WEEK[0], &["store"]), 4);
    assert!(!s.stored(WEEK[0]));
}

#[test]
fn missing_dirs_exit_6() {
    let s = Setup::new(MediaKind::DvdPlusRw, &Knobs::default());
    // Nothing staged at all.
    assert_eq!(s.run(WEEK[0], &["store"]), 6);
    assert_eq!(s.run(WEEK[0], &["rebuild"]), 6);
    // A staged dir without cback.stage is not stored.
    let d = s.stage_day(WEEK[0], 2000);
    std::fs::remove_file(d.join("cback.stage")).unwrap();
    assert_eq!(s.run(WEEK[0], &["store"]), 6);
    assert!(!s.stored(WEEK[0]));
    // initialize needs working_dir.
    std::fs::remove_dir(s.root.path().join("work")).unwrap();
    assert_eq!(s.run(WEEK[0], &["initialize"]), 6);
}

#[test]
fn a_full_disc_exits_6_and_writes_nothing() {
    let s = Setup::new(
        MediaKind::CdRw,
        &Knobs {
            media_type: "cdrw-80",
            ..Knobs::default()
        },
    );
    let d = s.stage_day(WEEK[0], 2000);
    // 800 MB, sparse: planning needs only its size.
    let big = std::fs::File::create(d.join("alpha/huge.tar")).unwrap();
    big.set_len(800 << 20).unwrap();
    assert_eq!(s.run(WEEK[0], &["store"]), 6);
    assert!(!s.stored(WEEK[0]));
    let media = s.disc.drive.media_path();
    let len = std::fs::metadata(&media).map(|m| m.len()).unwrap_or(0);
    assert!(len < 1 << 20, "nothing written: media.img is {len} bytes");
}

#[test]
fn no_medium_exits_6() {
    let s = Setup::new(MediaKind::DvdPlusRw, &Knobs::default());
    s.stage_day(WEEK[0], 2000);
    let mut d = s.disc.drive.clone();
    d.force_eject().unwrap();
    assert_eq!(s.run(WEEK[0], &["store"]), 6);
    assert!(!s.stored(WEEK[0]));
}

#[test]
fn cback3_only_actions_and_usage() {
    let s = Setup::new(MediaKind::DvdPlusRw, &Knobs::default());
    assert_eq!(s.run(WEEK[0], &["collect"]), 6);
    assert_eq!(s.run(WEEK[0], &["all"]), 6);
    assert_eq!(s.run(WEEK[0], &["sysinfo"]), 2);
    assert_eq!(s.run(WEEK[0], &["initialize", "store"]), 2);
    assert_eq!(s.run(WEEK[0], &["--managed", "--managed-only", "store"]), 2);
    assert_eq!(s.run(WEEK[0], &["validate"]), 0);
}
