//! Every writable medium: a new disc, then two appended sessions, with images made by
//! xorrisofs (`-C a,b -M media.img` for the appends); after each burn xorriso reads the
//! merged tree from `media.img` and the probe reports the session layout.

use hal::mock::MediaKind;
use mmc::burn::{AppendMethod, BurnOptions, Burner, Preparation};
use tests::burnkit::{burn, fast, list_tree, make_image, next_start, require_xorriso};
use tests::MockDisc;

fn three_sessions(kind: MediaKind) {
    if !require_xorriso() {
        return;
    }
    let disc = MockDisc::with(kind, true);
    let media = disc.drive.media_path();
    let work = tempfile::tempdir().expect("tempdir");
    let mut expected = Vec::new();
    let mut starts = Vec::new();
    for n in 1..=3u32 {
        let start = next_start(&disc.drive, n == 1);
        let img = make_image(work.path(), n, &start, &media);
        let opts = BurnOptions {
            new_disc: n == 1,
            ..BurnOptions::default()
        };
        burn(&disc.drive, &img, &opts).unwrap_or_else(|e| panic!("{kind} session {n}: {e:#}"));
        expected.push(format!("/d{n}/f{n}"));
        starts.push(start);

        let sb = if matches!(
            kind,
            MediaKind::DvdPlusRw | MediaKind::BdRe | MediaKind::DvdRwRo
        ) {
            0
        } else {
            start.start_lba
        };
        let mut files = list_tree(&media, sb);
        files.sort();
        assert_eq!(files, expected, "{kind} after session {n}");

        // The probe sees the layout the burner planned.
        let (code, probe) = disc.probe();
        assert_eq!(code, 0, "{kind}: probe exit code");
        let m = &probe["medium"];
        let after = next_start(&disc.drive, false);
        if matches!(
            kind,
            MediaKind::DvdPlusRw | MediaKind::BdRe | MediaKind::DvdRwRo
        ) {
            assert_eq!(after.method, AppendMethod::Grow, "{kind}");
            assert_eq!(after.start_lba % 32, 0);
            assert!(after.start_lba > start.start_lba, "{kind}: {after:?}");
        } else {
            assert_eq!(m["disc_status"], "appendable", "{kind}: {m}");
            assert_eq!(
                m["last_session_start_lba"].as_u64(),
                Some(u64::from(start.start_lba)),
                "{kind} session {n}: {m}"
            );
            assert_eq!(
                m["next_writable_address"].as_u64(),
                Some(u64::from(after.start_lba)),
                "{kind}: {m}"
            );
            assert_eq!(after.previous_session_lba, Some(start.start_lba));
            let cap = &m["capacity"];
            assert_eq!(
                cap["free_blocks"].as_u64().unwrap() + u64::from(after.start_lba),
                cap["total_blocks"].as_u64().unwrap(),
                "{kind}: {cap}"
            );
            let mut d = fast(&disc.drive);
            let b = Burner::new(&mut d, &cli::disc::ISO9660).unwrap();
            let c = b.capacity(false);
            assert_eq!(c.used_blocks, u64::from(after.start_lba));
            assert_eq!(c.available_blocks, cap["free_blocks"].as_u64().unwrap());
        }
    }
    println!(
        "{kind}: sessions at {:?}",
        starts.iter().map(|s| s.start_lba).collect::<Vec<_>>()
    );
}

#[test]
fn cd_r_three_sessions() {
    three_sessions(MediaKind::CdR);
}

#[test]
fn cd_rw_three_sessions() {
    three_sessions(MediaKind::CdRw);
}

#[test]
fn dvd_r_three_sessions() {
    three_sessions(MediaKind::DvdR);
}

#[test]
fn dvd_rw_three_sessions() {
    three_sessions(MediaKind::DvdRw);
}

#[test]
fn dvd_plus_r_three_sessions() {
    three_sessions(MediaKind::DvdPlusR);
}

#[test]
fn dvd_plus_r_dl_three_sessions() {
    three_sessions(MediaKind::DvdPlusRDl);
}

#[test]
fn bd_r_three_sessions() {
    three_sessions(MediaKind::BdR);
}

#[test]
fn dvd_plus_rw_three_sessions() {
    three_sessions(MediaKind::DvdPlusRw);
}

#[test]
fn bd_re_three_sessions() {
    three_sessions(MediaKind::BdRe);
}

#[test]
fn dvd_rw_restricted_overwrite_three_sessions() {
    if !require_xorriso() {
        return;
    }
    // A blank sequential DVD-RW, quick-formatted into restricted overwrite by the burner.
    let disc = MockDisc::with(MediaKind::DvdRw, true);
    {
        let mut d = fast(&disc.drive);
        let mut b = Burner::new(&mut d, &cli::disc::ISO9660).unwrap();
        b.prepare(Preparation::Format { full: false }, &mut ())
            .unwrap();
        assert_eq!(
            b.status().profile,
            mmc::Profile::DVD_RW_RESTRICTED_OVERWRITE
        );
    }
    let media = disc.drive.media_path();
    let work = tempfile::tempdir().unwrap();
    let mut expected = Vec::new();
    for n in 1..=3u32 {
        let start = next_start(&disc.drive, n == 1);
        let img = make_image(work.path(), n, &start, &media);
        burn(
            &disc.drive,
            &img,
            &BurnOptions {
                new_disc: n == 1,
                ..BurnOptions::default()
            },
        )
        .unwrap_or_else(|e| panic!("dvd-rw-ro session {n}: {e:#}"));
        expected.push(format!("/d{n}/f{n}"));
        let mut files = list_tree(&media, 0);
        files.sort();
        assert_eq!(files, expected);
    }
    let st = disc.drive.state().unwrap();
    assert_eq!(st.medium.unwrap().kind, MediaKind::DvdRwRo);
}

#[test]
fn finalize_closes_the_disc() {
    if !require_xorriso() {
        return;
    }
    for kind in [
        MediaKind::DvdPlusR,
        MediaKind::CdR,
        MediaKind::BdR,
        MediaKind::DvdR,
    ] {
        let disc = MockDisc::with(kind, true);
        let work = tempfile::tempdir().unwrap();
        let start = next_start(&disc.drive, true);
        let img = make_image(work.path(), 1, &start, &disc.drive.media_path());
        burn(
            &disc.drive,
            &img,
            &BurnOptions {
                new_disc: true,
                finalize: true,
                ..BurnOptions::default()
            },
        )
        .unwrap();
        let (_, probe) = disc.probe();
        assert_eq!(probe["medium"]["disc_status"], "complete", "{kind}");
        let mut d = fast(&disc.drive);
        let b = Burner::new(&mut d, &cli::disc::ISO9660).unwrap();
        let e = b.next_session_start(false).unwrap_err();
        assert!(e.to_string().contains("finalized"), "{e}");
        assert_eq!(b.capacity(false).available_blocks, 0);
    }
}

#[test]
fn speed_falls_back_to_set_cd_speed() {
    if !require_xorriso() {
        return;
    }
    let disc = MockDisc::with(MediaKind::CdR, true);
    let mut cfg = disc.drive.config().unwrap();
    cfg.quirks.set_streaming_unsupported = true;
    let mut drive = disc.drive.clone();
    drive.set_config(cfg).unwrap();
    let work = tempfile::tempdir().unwrap();
    let start = next_start(&disc.drive, true);
    let img = make_image(work.path(), 1, &start, &disc.drive.media_path());
    burn(
        &disc.drive,
        &img,
        &BurnOptions {
            new_disc: true,
            speed_kbps: Some(1764),
            ..BurnOptions::default()
        },
    )
    .unwrap();
    let t = disc.drive.transcript().unwrap();
    assert!(
        t.lines()
            .any(|l| l.starts_with("B6 ") && l.contains("5/20/00")),
        "{t}"
    );
    assert!(
        t.lines()
            .any(|l| l.starts_with("BB ") && l.ends_with("GOOD")),
        "{t}"
    );
}
