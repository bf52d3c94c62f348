//! Every manual page renders with `man -l --warnings` at 80 columns without a warning, as an
//! admin's `man spindle-burn` would.

use std::path::Path;
use std::process::Command;

/// `MANWIDTH=80 man -l --warnings PAGE`: (stdout, stderr).
fn render(page: &Path) -> (String, String) {
    let o = Command::new("man")
        .args(["-l", "--warnings"])
        .arg(page)
        .env("MANWIDTH", "80")
        .env("MANPAGER", "cat")
        .env("LANG", "C.UTF-8")
        .output()
        .expect("run man");
    assert!(
        o.status.success(),
        "man -l {}: {}",
        page.display(),
        o.status
    );
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn every_page_renders_without_warnings() {
    if !tests::tier::tier("every_page_renders_without_warnings", &["man", "groff"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let files = dist::man::write(dir.path()).unwrap();
    assert!(files.len() > 30, "{files:?}");
    for f in &files {
        let (out, err) = render(f);
        assert!(err.is_empty(), "{}: {err}", f.display());
        assert!(out.contains("NAME"), "{}: {out}", f.display());
        assert!(out.contains("SEE ALSO"), "{}: {out}", f.display());
    }
    let cedar = files
        .iter()
        .find(|f| f.ends_with("man5/spindle-cedar.5"))
        .expect("spindle-cedar(5)");
    let (out, _) = render(cedar);
    for element in [
        "target_device",
        "blank_behavior",
        "starting_day",
        "collect_dir",
    ] {
        assert!(out.contains(element), "spindle-cedar(5) lacks {element}");
    }
}

#[test]
fn the_warning_check_sees_a_broken_page() {
    if !tests::tier::tier("the_warning_check_sees_a_broken_page", &["man", "groff"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("broken.1");
    std::fs::write(
        &page,
        ".TH BROKEN 1\n.SH NAME\nbroken \\- a test\n.XX undefined\n",
    )
    .unwrap();
    let (_, err) = render(&page);
    assert!(
        err.contains("warning"),
        "no warning for an undefined macro: {err:?}"
    );
}
