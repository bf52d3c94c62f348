//! Options duplicity users put in `XORRISO_ARGS` (xorriso's own spellings) are accepted by
//! spindle's xorriso front with what they mean for spindle, or refused with xorriso's
//! FAILURE text, and never abort a backup that real xorriso would run.

use std::process::Command;

const SPINDLE: &str = env!("CARGO_BIN_EXE_spindle-dev");

fn front(args: &[&str]) -> (i32, String) {
    let o = Command::new(SPINDLE)
        .arg("xorriso")
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

#[test]
fn backup_options_are_accepted_and_the_backup_runs() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("vol1.difftar.gpg");
    std::fs::write(&src, vec![5u8; 100_000]).unwrap();
    let img = work.path().join("backup.iso");
    let dev = format!("stdio:{}", img.display());
    let (code, text) = front(&[
        "-for_backup",
        "-padding",
        "300k",
        "-stdio_sync",
        "off",
        "-compliance",
        "no_emul_toc",
        "-hardlinks",
        "on",
        "-abort_on",
        "FAILURE",
        "-return_with",
        "SORRY",
        "32",
        "-dev",
        &dev,
        "-cpr",
        &src.display().to_string(),
        "/vol1.difftar.gpg",
        "--",
        "-commit",
    ]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("-for_backup"),
        "what -for_backup means is said: {text}"
    );
    let mut image = cli::disc::session::open_last_session(&img.display().to_string()).unwrap();
    let e = image.lookup("vol1.difftar.gpg").unwrap();
    assert_eq!(e.size, 100_000);
}

#[test]
fn bad_values_fail_as_xorriso_fails() {
    for (args, want) in [
        (
            vec!["-padding", "lots"],
            "-padding: Unrecognized size 'lots'",
        ),
        (
            vec!["-stdio_sync", "sometimes"],
            "-stdio_sync : Unknown mode 'sometimes'",
        ),
        (
            vec!["-boot_image", "any", "discard"],
            "not implemented by spindle",
        ),
    ] {
        let (code, text) = front(&args);
        assert_eq!(code, 5, "{args:?}: {text}");
        assert!(
            text.contains("FAILURE") && text.contains(want),
            "{args:?}: {text}"
        );
    }
}
