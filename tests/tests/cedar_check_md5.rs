//! check_data without the staging dir: when the day's staging dir is gone (or purged) by the
//! time the consistency check runs, the day is verified against the MD5s recorded on the
//! disc, the log says so and names the session and the files; a flipped byte in a file or
//! in a directory fails it, and so does a disc without MD5s for the day, with what to do.
//!
//! The store runs with `<eject_delay>`: the tray stays open for a second between the write
//! and the check, and the test removes the staging dir (or flips a byte of the disc) then.

use std::path::Path;
use std::time::{Duration, Instant};

use cli::cedar::action::consistency_check::{self, CheckFailed};
use cli::cedar::action::DailyDir;
use hal::mock::MediaKind;
use tests::cedarkit::{suffix, Knobs, Setup, WEEK};
use tests::MockDisc;

/// spindle's log file is one per process: tests that read it run one at a time, and so do
/// the others here, so that their lines do not land in another test's log.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn setup() -> Setup {
    Setup::new(
        MediaKind::DvdPlusRw,
        &Knobs {
            eject_delay: Some(1),
            ..Knobs::default()
        },
    )
}

/// Runs `store` for `day` and calls `meanwhile` once, while the tray is open between the
/// write and the check. Returns the exit code.
fn store_with(s: &Setup, day: &str, meanwhile: impl FnOnce()) -> u8 {
    let drive = s.disc.drive.clone();
    std::thread::scope(|scope| {
        let t = scope.spawn(|| s.run(day, &["store"]));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if drive.state().map(|st| st.tray_open).unwrap_or(false) {
                meanwhile();
                break;
            }
            assert!(Instant::now() < deadline, "the tray never opened");
            std::thread::sleep(Duration::from_millis(5));
        }
        t.join().unwrap()
    })
}

fn log(s: &Setup) -> String {
    std::fs::read_to_string(s.root.path().join("spindle.log")).unwrap_or_default()
}

/// Flips one byte of `needle`'s first occurrence in `media`.
fn flip(media: &Path, needle: &[u8]) {
    let mut bytes = std::fs::read(media).unwrap();
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("needle on the disc");
    bytes[at + 3] ^= 0x20;
    std::fs::write(media, bytes).unwrap();
}

#[test]
fn a_gone_staging_dir_is_checked_through_the_recorded_md5s() {
    let _serial = serial();
    let s = setup();
    s.stage_day(WEEK[0], 2000);
    assert_eq!(s.run(WEEK[0], &["store"]), 0);
    let day = s.stage_day(WEEK[1], 5000);
    let code = store_with(&s, WEEK[1], || std::fs::remove_dir_all(&day).unwrap());
    let log = log(&s);
    assert_eq!(code, 0, "{log}");
    let sfx = suffix(WEEK[1]);
    assert!(
        log.contains(&format!(
            "the staging dir {} no longer exists; /{sfx} is verified against the MD5 checksums recorded on the disc instead",
            day.display()
        )),
        "{log}"
    );
    // The session and the files checked are named.
    let line = log
        .lines()
        .find(|l| l.contains(&format!("/{sfx} verified against the MD5s recorded on")))
        .unwrap_or_else(|| panic!("{log}"));
    assert!(line.contains("the session at LBA "), "{line}");
    assert!(line.contains("3 files match their MD5"), "{line}");
    assert!(
        line.contains(&format!("[/{sfx}/alpha/data-{}.tar]", WEEK[1])),
        "{line}"
    );
    assert!(
        log.contains("no longer exists: nothing to mark stored"),
        "{log}"
    );
    // The day is on the disc, and the first day was compared with its staging dir as usual.
    assert!(
        log.contains(&format!("/{} matches", suffix(WEEK[0]))),
        "{log}"
    );
    let (files, _) = s.last_session();
    assert!(files.iter().any(|f| f.starts_with(&sfx)), "{files:?}");
}

#[test]
fn a_purged_staging_dir_is_checked_through_the_recorded_md5s() {
    let _serial = serial();
    let s = setup();
    let day = s.stage_day(WEEK[0], 3000);
    // Cedar's purge removes the files and may leave the directories.
    let code = store_with(&s, WEEK[0], || {
        std::fs::remove_file(day.join("cback.stage")).unwrap();
        for e in std::fs::read_dir(day.join("alpha")).unwrap() {
            std::fs::remove_file(e.unwrap().path()).unwrap();
        }
    });
    let log = log(&s);
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("holds no files any more (purged)"), "{log}");
    assert!(
        log.contains(&format!("/{} verified against the MD5s", suffix(WEEK[0]))),
        "{log}"
    );
    // The directory is still there: it is marked.
    assert!(s.stored(WEEK[0]));
}

#[test]
fn a_flipped_file_byte_fails_the_check_without_staging_dir() {
    let _serial = serial();
    let s = setup();
    let day = s.stage_day(WEEK[0], 2000);
    std::fs::write(day.join("alpha/marker.txt"), b"MARKER-FOR-THE-MD5-FLIP").unwrap();
    let media = s.disc.drive.media_path();
    let code = store_with(&s, WEEK[0], || {
        std::fs::remove_dir_all(&day).unwrap();
        flip(&media, b"MARKER-FOR-THE-MD5-FLIP");
    });
    let log = log(&s);
    assert_eq!(code, 6, "{log}");
    let sfx = suffix(WEEK[0]);
    assert!(
        log.contains(&format!(
            "/{sfx}: file contents do not match the MD5 recorded on the disc for [/{sfx}/alpha/marker.txt] (LBA "
        )),
        "{log}"
    );
}

#[test]
fn a_flipped_directory_byte_fails_the_check_without_staging_dir() {
    let _serial = serial();
    let s = setup();
    let day = s.stage_day(WEEK[0], 2000);
    let media = s.disc.drive.media_path();
    // The Rock Ridge name of the day's file, in its directory's records.
    let name = format!("data-{}.tar", WEEK[0]);
    let code = store_with(&s, WEEK[0], || {
        std::fs::remove_dir_all(&day).unwrap();
        flip(&media, name.as_bytes());
    });
    let log = log(&s);
    assert_eq!(code, 6, "{log}");
    assert!(
        log.contains("does not match its recorded checksums"),
        "{log}"
    );
    assert!(log.contains("the tree tag at LBA "), "{log}");
}

fn burn(disc: &MockDisc, src: &Path, dest: &str, md5: bool) {
    let req = cli::disc::write::TreeBurn {
        device: disc.spec(),
        grafts: vec![iso9660::GraftPoint {
            dest: dest.into(),
            source: src.to_path_buf(),
        }],
        remove: Vec::new(),
        volume_id: "CEDAR BACKUP 04-MAR-2024".into(),
        new_disc: false,
        finalize: false,
        ownership: iso9660::Ownership::Rationalized,
        speed_kbps: None,
        joliet: true,
        md5,
    };
    cli::disc::write::burn_tree(&req, &mut ()).unwrap();
}

/// The check's failure, from the error `check` returned.
macro_rules! failure {
    ($r:expr) => {
        $r.unwrap_err()
            .downcast_ref::<CheckFailed>()
            .expect("a CheckFailed")
            .clone()
    };
}

#[test]
fn days_without_recorded_md5s_fail_with_what_to_do() {
    let _serial = serial();
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("data.tar"), b"day one").unwrap();
    let gone = |sfx: &str| DailyDir {
        path: work.path().join("stage").join(sfx),
        suffix: sfx.to_owned(),
    };
    let (d1, d2) = ("2024/03/04", "2024/03/05");

    // A disc written without MD5s at all.
    let disc = MockDisc::with(MediaKind::DvdPlusRw, false);
    burn(&disc, &src, d1, false);
    let f = failure!(consistency_check::check(&disc.spec(), &[gone(d1)]));
    let text = f.md5_failures.join("\n");
    assert!(text.contains("records no MD5 checksums"), "{text}");
    assert!(
        text.contains(&format!("spindle verify {} --tree {d1}=COPY", disc.spec())),
        "{text}"
    );

    // A day kept from a session without MD5s, in a session with them: that day cannot be
    // verified, the new one can.
    std::fs::write(src.join("data.tar"), b"day two").unwrap();
    burn(&disc, &src, d2, true);
    let f = failure!(consistency_check::check(
        &disc.spec(),
        &[gone(d1), gone(d2)]
    ));
    assert_eq!(f.md5_failures.len(), 1, "{f}");
    assert!(
        f.md5_failures[0].contains(&format!(
            "/{d1}: its staging dir is gone and these files have no MD5 recorded on the disc"
        )),
        "{f}"
    );
    assert!(
        f.md5_failures[0].contains(&format!("[/{d1}/data.tar]")),
        "{f}"
    );
    let ok = consistency_check::check(&disc.spec(), &[gone(d2)]).unwrap();
    assert_eq!(ok.by_md5, [d2]);

    // A day that is not on the disc at all.
    let f = failure!(consistency_check::check(
        &disc.spec(),
        &[gone("2024/03/06")]
    ));
    assert!(f.md5_failures[0].contains("the day is not on"), "{f}");
}
