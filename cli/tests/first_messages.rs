//! The messages a person reads first say what to do next, in one or two lines.

use std::process::{Command, Output};

fn spindle(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spindle"))
        .args(args)
        .output()
        .expect("run spindle")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn spindle_alone_names_the_nightly_job_and_where_help_is() {
    let o = spindle(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let e = stderr(&o);
    assert!(e.lines().count() <= 2, "{e}");
    assert!(
        e.contains("spindle --config /etc/cback3.conf stage store"),
        "{e}"
    );
    assert!(e.contains("spindle --help"), "{e}");
}

#[test]
fn a_command_without_its_drive_says_which_to_give() {
    for args in [&["burn"][..], &["verify"], &["close"], &["eject"]] {
        let o = spindle(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let e = stderr(&o);
        assert!(e.lines().count() <= 2, "{args:?}: {e}");
        assert!(
            e.starts_with(&format!("spindle {}: which drive?", args[0])),
            "{e}"
        );
        assert!(e.contains("mmc-probe"), "{e}");
        assert!(e.contains(&format!("spindle {} --help", args[0])), "{e}");
    }
    // Other missing arguments keep clap's message.
    let o = spindle(&["burn", "/dev/sr0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("<IMAGE>"), "{}", stderr(&o));
}

#[test]
fn a_drive_that_is_not_there_says_how_to_find_one() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("x.iso");
    std::fs::write(&image, [0u8; 2048]).unwrap();
    let o = spindle(&["burn", "/dev/no-such-sr9", image.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(10));
    let e = stderr(&o);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(e.contains("mmc-probe"), "{e}");
}
