//! `spindle put|rm|commit|ls|get` on an image file and on a mock drive: changes are kept in
//! the journal until `commit`, each commit is one new session with the earlier files still
//! there, and `get` never writes outside its destination.

use std::path::Path;

use hal::mock::MediaKind;
use tests::MockDisc;

fn spindle(args: &[&str]) -> u8 {
    let mut v = vec!["spindle"];
    v.extend_from_slice(args);
    cli::spindle::run_args(v)
}

fn names(target: &str) -> Vec<String> {
    let t = cli::disc::files::Target::parse(target).unwrap();
    let m = cli::disc::files::Medium::load(&t).unwrap();
    let mut out = Vec::new();
    let mut stack = vec![b"/".to_vec()];
    while let Some(d) = stack.pop() {
        for (name, node) in m.view.children(&d) {
            let p = cli::disc::files::view::normalize(&d, name);
            if node.is_dir() {
                stack.push(p.clone());
            }
            out.push(String::from_utf8(p).unwrap());
        }
    }
    out.sort();
    out
}

fn flow(target: &str, work: &Path) {
    let a = work.join("a.txt");
    std::fs::write(&a, b"alpha").unwrap();
    let tree = work.join("tree");
    std::fs::create_dir_all(tree.join("x")).unwrap();
    std::fs::write(tree.join("x/b c.txt"), b"beta").unwrap();
    let (a, tree) = (a.to_str().unwrap(), tree.to_str().unwrap());
    assert_eq!(spindle(&["put", target, a, "/docs/a.txt"]), 0);
    assert_eq!(spindle(&["put", target, tree, "/tree"]), 0);
    // Recorded, not written: the medium is still blank.
    assert!(
        cli::disc::files::Medium::load(&cli::disc::files::Target::parse(target).unwrap())
            .unwrap()
            .blank
    );
    assert_eq!(spindle(&["commit", target]), 0);
    assert_eq!(
        names(target),
        [
            "/docs",
            "/docs/a.txt",
            "/tree",
            "/tree/x",
            "/tree/x/b c.txt"
        ]
    );
    assert_eq!(spindle(&["rm", target, "/docs/a.txt", "--commit"]), 0);
    assert_eq!(
        names(target),
        ["/docs", "/tree", "/tree/x", "/tree/x/b c.txt"]
    );
    assert_ne!(spindle(&["rm", target, "/tree"]), 0, "a directory needs -r");
    assert_eq!(spindle(&["commit", target]), 0, "nothing pending is fine");
    let out = work.join("out");
    assert_eq!(spindle(&["get", target, "/tree", out.to_str().unwrap()]), 0);
    assert_eq!(std::fs::read(out.join("tree/x/b c.txt")).unwrap(), b"beta");
}

#[test]
fn image_file_put_rm_commit_get() {
    let work = tempfile::tempdir().unwrap();
    let img = work.path().join("disc.iso");
    flow(img.to_str().unwrap(), work.path());
    // xorriso-readable, and the journal is gone.
    assert!(!work.path().join(".disc.iso.spindle-pending").exists());
}

#[test]
fn mock_drive_put_rm_commit_get() {
    for kind in [MediaKind::DvdPlusRw, MediaKind::BdR] {
        let disc = MockDisc::with(kind, true);
        let work = tempfile::tempdir().unwrap();
        flow(&disc.spec(), work.path());
    }
}

#[test]
fn get_never_writes_outside_the_destination() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let img = w.join("disc.iso");
    let f = w.join("f");
    std::fs::write(&f, b"payload").unwrap();
    let (img_s, f_s) = (img.to_str().unwrap(), f.to_str().unwrap());
    assert_eq!(spindle(&["put", img_s, f_s, "/d/f", "--commit"]), 0);
    // A symlink already in the destination that leads elsewhere is not followed.
    let dest = w.join("dest");
    let elsewhere = w.join("elsewhere");
    std::fs::create_dir_all(&dest).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dest.join("d")).unwrap();
    assert_ne!(spindle(&["get", img_s, "/d", dest.to_str().unwrap()]), 0);
    assert!(!elsewhere.join("f").exists());
    // `..` in the image path stays inside the image: /../d/f is /d/f.
    let dest2 = w.join("dest2");
    assert_eq!(
        spindle(&["get", img_s, "/../d/f", dest2.to_str().unwrap()]),
        0
    );
    assert_eq!(std::fs::read(dest2.join("f")).unwrap(), b"payload");
    assert!(!w.join("f.copy").exists());
    let bad = cli::disc::files::view::safe_relative(std::ffi::OsStr::new("../escape"));
    assert!(bad.is_err());
}

#[test]
fn a_full_image_is_refused_before_writing() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let img = w.join("disc.iso");
    let big = w.join("big");
    std::fs::write(&big, vec![1u8; 3 << 20]).unwrap();
    let a = cli::cmd::files::PutArgs {
        target: img.to_str().unwrap().into(),
        paths: vec![big.clone(), "/big".into()],
        commit: cli::cmd::files::CommitFlags {
            commit: false,
            volume_id: None,
            finalize: false,
            no_joliet: false,
        },
    };
    cli::cmd::files::put(&a, &mut Vec::new()).unwrap();
    let t = cli::disc::files::Target::parse(img.to_str().unwrap()).unwrap();
    let mut m = cli::disc::files::Medium::load(&t).unwrap();
    m.free_blocks = Some(1000);
    m.view.copy_in(&big, b"/big").unwrap();
    let e = m.commit(&Default::default()).unwrap_err();
    assert!(
        format!("{e:#}").contains("Image size")
            && format!("{e:#}").contains("exceeds free space on media 1000s"),
        "{e:#}"
    );
    assert!(!img.exists() || std::fs::metadata(&img).unwrap().len() == 0);
    assert_eq!(spindle(&["commit", img.to_str().unwrap(), "--discard"]), 0);
}
