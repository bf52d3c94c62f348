//! A simulated Cedar Backup week against the mock drive: a new disc on the starting day,
//! daily appends (each day visible in the last session), the blank factor, a store across
//! midnight, `--full`, rebuild and initialize.

use hal::mock::MediaKind;
use tests::cedarkit::{days_in, suffix, Knobs, Setup, WEEK};

fn week(kind: MediaKind, media_type: &'static str) {
    let s = Setup::new(
        kind,
        &Knobs {
            media_type,
            ..Knobs::default()
        },
    );
    for (i, day) in WEEK[..7].iter().enumerate() {
        s.stage_day(day, 3000 + i * 1000);
        assert_eq!(s.run(day, &["store"]), 0, "{media_type}: store on {day}");
        assert!(s.stored(day), "{day} marked stored");
        let (files, label) = s.last_session();
        let want: Vec<String> = WEEK[..=i].iter().map(|d| suffix(d)).collect();
        assert_eq!(
            days_in(&files),
            want,
            "{media_type}: days on the disc after {day}"
        );
        assert!(files.contains(&format!("{}/cback.stage", suffix(day))));
        assert!(files.contains(&format!("{}/alpha/data-{day}.tar", suffix(day))));
        let d = &day[8..10];
        assert_eq!(label, format!("CEDAR BACKUP {d}-MAR-2024"));
    }
    // A second run the same day finds nothing unstored (today, yesterday and tomorrow).
    assert_eq!(s.run(WEEK[6], &["store"]), 6);
    // The next starting day: a new disc on rewritable media.
    s.stage_day(WEEK[7], 1000);
    if media_type == "dvd+r" {
        // Q4: the written DVD+R cannot become a new disc; refused, nothing marked.
        assert_eq!(s.run(WEEK[7], &["store"]), 6);
        assert!(!s.stored(WEEK[7]));
    } else {
        assert_eq!(s.run(WEEK[7], &["store"]), 0);
        let (files, _) = s.last_session();
        assert_eq!(days_in(&files), [suffix(WEEK[7])], "{media_type}: new disc");
    }
}

#[test]
fn week_on_dvd_plus_rw() {
    week(MediaKind::DvdPlusRw, "dvd+rw");
}

#[test]
fn week_on_dvd_plus_r() {
    week(MediaKind::DvdPlusR, "dvd+r");
}

#[test]
fn week_on_cd_rw() {
    week(MediaKind::CdRw, "cdrw-80");
}

#[test]
fn blank_factor_forces_a_new_disc() {
    // daily mode, a factor no ratio stays under: every day is a new disc.
    let s = Setup::new(
        MediaKind::DvdPlusRw,
        &Knobs {
            blank: Some(("daily", "1e15")),
            ..Knobs::default()
        },
    );
    for day in &WEEK[1..3] {
        s.stage_day(day, 2000);
        assert_eq!(s.run(day, &["store"]), 0);
        let (files, _) = s.last_session();
        assert_eq!(days_in(&files), [suffix(day)], "new disc on {day}");
    }
    // weekly mode with factor 0: even the starting day appends (the ratio is above 0).
    s.write_config(&Knobs {
        blank: Some(("weekly", "0")),
        ..Knobs::default()
    });
    s.stage_day(WEEK[7], 2000);
    assert_eq!(s.run(WEEK[7], &["store"]), 0);
    let (files, _) = s.last_session();
    assert_eq!(days_in(&files), [suffix(WEEK[2]), suffix(WEEK[7])]);
}

#[test]
fn store_crossing_midnight_takes_yesterday() {
    let s = Setup::new(MediaKind::DvdPlusRw, &Knobs::default());
    s.stage_day(WEEK[0], 2000);
    assert_eq!(s.run(WEEK[0], &["store"]), 0);
    s.stage_day(WEEK[1], 2000);
    // The clock passed midnight before store ran: Tuesday's dir is found from Wednesday.
    assert_eq!(s.run(WEEK[2], &["store"]), 0);
    assert!(s.stored(WEEK[1]));
    assert!(!s.daily(WEEK[2]).exists());
    let (files, _) = s.last_session();
    assert_eq!(days_in(&files), [suffix(WEEK[0]), suffix(WEEK[1])]);
}

#[test]
fn full_writes_today_on_a_new_disc() {
    let s = Setup::new(MediaKind::DvdPlusRw, &Knobs::default());
    s.stage_day(WEEK[0], 2000);
    assert_eq!(s.run(WEEK[0], &["store"]), 0);
    s.stage_day(WEEK[2], 2000);
    assert_eq!(s.run(WEEK[2], &["--full", "store"]), 0);
    let (files, _) = s.last_session();
    assert_eq!(days_in(&files), [suffix(WEEK[2])]);
    // --full even rewrites a stored dir; but only today's.
    assert_eq!(s.run(WEEK[2], &["--full", "store"]), 0);
    assert_eq!(s.run(WEEK[3], &["--full", "store"]), 6, "no dir today");
}

#[test]
fn rebuild_writes_the_week() {
    let s = Setup::new(MediaKind::DvdPlusRw, &Knobs::default());
    for day in &WEEK[..3] {
        s.stage_day(day, 2000);
    }
    assert_eq!(
        s.run(WEEK[1], &["store"]),
        0,
        "Tuesday stored (new disc: blank)"
    );
    assert_eq!(s.run(WEEK[2], &["rebuild"]), 0);
    let (files, _) = s.last_session();
    assert_eq!(
        days_in(&files),
        WEEK[..3].iter().map(|d| suffix(d)).collect::<Vec<_>>()
    );
    assert!(WEEK[..3].iter().all(|d| s.stored(d)));
    // rebuild must run alone (usage error).
    assert_eq!(s.run(WEEK[2], &["rebuild", "store"]), 2);
}

#[test]
fn initialize_then_check_media_accepts() {
    let s = Setup::new(
        MediaKind::DvdPlusRw,
        &Knobs {
            check_media: true,
            ..Knobs::default()
        },
    );
    s.stage_day(WEEK[0], 2000);
    // A fresh DVD+RW has no label: refused until initialized.
    assert_eq!(s.run(WEEK[0], &["store"]), 6);
    assert!(!s.stored(WEEK[0]));
    assert_eq!(s.run(WEEK[0], &["initialize"]), 0);
    let (files, label) = s.last_session();
    assert!(files.is_empty(), "{files:?}");
    assert_eq!(label, "CEDAR BACKUP 04-MAR-2024");
    let mut image = cli::disc::session::open_last_session(&s.disc.spec()).unwrap();
    assert!(image.lookup("CedarBackup").unwrap().is_dir());
    assert_eq!(s.run(WEEK[0], &["store"]), 0);
    assert!(s.stored(WEEK[0]));
    // initialize is for rewritable media types only.
    s.write_config(&Knobs {
        media_type: "dvd+r",
        ..Knobs::default()
    });
    assert_eq!(s.run(WEEK[0], &["initialize"]), 6);
}

#[test]
fn stage_then_store_from_local_peers() {
    let s = Setup::new(MediaKind::DvdPlusRw, &Knobs::default());
    let peer = s.root.path().join("peers/alpha");
    std::fs::write(peer.join("etc.tar.gz"), b"etc contents").unwrap();
    std::fs::write(peer.join("cback.collect"), b"").unwrap();
    assert_eq!(s.run(WEEK[3], &["store", "stage"]), 0);
    assert!(peer.join("cback.stage").exists(), "peer stage indicator");
    assert!(s.daily(WEEK[3]).join("alpha/etc.tar.gz").is_file());
    assert!(s.stored(WEEK[3]));
    let (files, _) = s.last_session();
    assert!(files.contains(&format!("{}/alpha/etc.tar.gz", suffix(WEEK[3]))));
}
