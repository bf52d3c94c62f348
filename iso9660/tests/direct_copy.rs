//! `Layout::write_to_file` lets the kernel copy large extents; its bytes must be exactly those
//! of `write_to`, into a regular file and into a pipe.

use std::io::Read;

use iso9660::{GraftPoint, ImageBuilder, Options};

fn plan(src: &std::path::Path) -> iso9660::Layout {
    let mut b = ImageBuilder::new(Options {
        source_date_epoch: Some(1_700_000_000),
        ..Options::default()
    })
    .unwrap();
    b.add(&GraftPoint::path(src.to_path_buf())).unwrap();
    b.plan().unwrap()
}

#[test]
fn direct_copy_writes_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("sub")).unwrap();
    // Sizes around the kernel-copy threshold and sector boundaries, plus small files.
    for (name, len) in [
        ("a", 1usize),
        ("b", 256 * 1024),
        ("c", 256 * 1024 + 1),
        ("sub/d", 3 * 1024 * 1024 + 17),
        ("e", 2047),
    ] {
        let data: Vec<u8> = (0..len).map(|i| (i * 7 + name.len()) as u8).collect();
        std::fs::write(src.join(name), data).unwrap();
    }
    let layout = plan(&src);
    let mut expected = Vec::new();
    layout.write_to(&mut expected).unwrap();
    assert_eq!(expected.len() as u64, layout.size_bytes());

    let out = dir.path().join("out.iso");
    let f = std::fs::File::create(&out).unwrap();
    layout.write_to_file(&f).unwrap();
    drop(f);
    assert!(
        std::fs::read(&out).unwrap() == expected,
        "file output differs"
    );

    let (mut reader, writer) = std::io::pipe().unwrap();
    let reading = std::thread::spawn(move || {
        let mut got = Vec::new();
        reader.read_to_end(&mut got).unwrap();
        got
    });
    let w = std::fs::File::from(std::os::fd::OwnedFd::from(writer));
    layout.write_to_file(&w).unwrap();
    drop(w);
    assert!(reading.join().unwrap() == expected, "pipe output differs");
}
