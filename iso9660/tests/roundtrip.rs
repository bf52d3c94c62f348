//! Properties: writing then reading is the identity on arbitrary trees (read through a source
//! that returns short reads), and the reader returns `Ok` or `Err` on corrupted images, never
//! panicking or hanging.

mod common;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::sync::OnceLock;

use common::*;
use iso9660::{GraftPoint, Image, ImageBuilder, Ownership};
use proptest::prelude::*;

/// A reader that hands out at most `max` bytes per call (tar-rs's trick for finding code that
/// assumes `read` fills the buffer).
struct ShortReads<R> {
    inner: R,
    max: usize,
}

impl<R: Read> Read for ShortReads<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.max);
        self.inner.read(&mut buf[..n])
    }
}

impl<R: Seek> Seek for ShortReads<R> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

#[derive(Debug, Clone)]
enum Node {
    File { len: usize, mode: u32, mtime: i64 },
    Symlink(String),
    Dir(Vec<(String, Node)>),
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9._-]{1,12}",
        "[a-z]{1,3}\\.[a-z]{0,3}",
        "[ -~]{1,40}".prop_filter("no slash", |s| !s.contains('/') && s != "." && s != ".."),
        "[a-zé日]{20,80}",
    ]
    .prop_filter("not . or ..", |s| s != "." && s != "..")
}

fn node() -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![
        (
            0usize..6000,
            prop::sample::select(vec![0o644u32, 0o600, 0o755, 0o4711]),
            -100_000_000i64..5_000_000_000
        )
            .prop_map(|(len, mode, mtime)| Node::File { len, mode, mtime }),
        // Rock Ridge SL stores components, so "//" and a trailing "/" cannot be represented.
        (any::<bool>(), prop::collection::vec("[a-z.]{1,40}", 1..20)).prop_map(|(abs, c)| {
            Node::Symlink(format!("{}{}", if abs { "/" } else { "" }, c.join("/")))
        }),
    ];
    leaf.prop_recursive(4, 40, 8, |inner| {
        prop::collection::vec((name(), inner), 0..8).prop_map(Node::Dir)
    })
}

fn materialize(dir: &std::path::Path, entries: &[(String, Node)], seed: &mut common::Rng) {
    let mut seen = std::collections::HashSet::new();
    for (n, node) in entries {
        if !seen.insert(n.clone()) {
            continue;
        }
        let p = dir.join(OsStr::from_bytes(n.as_bytes()));
        match node {
            Node::File { len, mode, mtime } => {
                fs::write(&p, seed.bytes(*len)).unwrap();
                fs::set_permissions(&p, fs::Permissions::from_mode(*mode)).unwrap();
                set_mtime(&p, *mtime);
            }
            Node::Symlink(t) => std::os::unix::fs::symlink(t, &p).unwrap(),
            Node::Dir(kids) => {
                fs::create_dir(&p).unwrap();
                materialize(&p, kids, seed);
                set_mtime(&p, 1_000_000_000);
            }
        }
    }
}

fn strip_dir_mtime(mut m: BTreeMap<Vec<u8>, Item>) -> BTreeMap<Vec<u8>, Item> {
    for v in m.values_mut() {
        if v.kind == 'd' {
            v.mtime = None;
        }
    }
    m
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn write_then_read_is_identity(root in prop::collection::vec((name(), node()), 0..10), max in 1usize..5000, joliet: bool) {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        fs::create_dir(&src).unwrap();
        materialize(&src, &root, &mut common::Rng(1));
        let opts = iso9660::Options { joliet, ..options(Ownership::Exact) };
        let mut b = ImageBuilder::new(opts).unwrap();
        b.add(&GraftPoint::path(&src)).unwrap();
        let layout = b.plan().unwrap();
        let mut bytes = Vec::new();
        layout.write_to(&mut bytes).unwrap();
        prop_assert_eq!(bytes.len() as u64, layout.size_bytes());
        let cmp = Compare { rational: false, owner: false, symlink_meta: false };
        let mut img = Image::open(ShortReads { inner: Cursor::new(bytes), max }).unwrap();
        let got = strip_dir_mtime(snapshot_image(&mut img, cmp));
        let want = strip_dir_mtime(snapshot_dir(&src, cmp, true));
        prop_assert_eq!(got, want);
    }
}

/// A small but complete image (Rock Ridge with CE areas, Joliet, symlinks, a fifo).
fn sample_image() -> &'static [u8] {
    static IMG: OnceLock<Vec<u8>> = OnceLock::new();
    IMG.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("s");
        fs::create_dir_all(src.join("d/e")).unwrap();
        fs::write(src.join("d/e/f"), b"content").unwrap();
        fs::write(src.join(OsStr::from_bytes(&[b'n'; 255])), b"long name").unwrap();
        std::os::unix::fs::symlink("../".repeat(100), src.join("d/up")).unwrap();
        nix::unistd::mkfifo(
            &src.join("p"),
            nix::sys::stat::Mode::from_bits_truncate(0o600),
        )
        .unwrap();
        let mut b = ImageBuilder::new(options(Ownership::Exact)).unwrap();
        b.add(&GraftPoint::path(&src)).unwrap();
        let mut v = Vec::new();
        b.plan().unwrap().write_to(&mut v).unwrap();
        v
    })
}

fn read_everything(bytes: Vec<u8>) {
    let Ok(mut img) = Image::open(Cursor::new(bytes)) else {
        return;
    };
    let _ = img.path_table();
    let mut files = Vec::new();
    let _ = img.walk(|w| {
        files.push(w.entry.clone());
        Ok(())
    });
    for f in files {
        let _ = img.read_file(&f, &mut std::io::sink());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn corrupted_images_never_panic(flips in prop::collection::vec((16usize * 2048..40 * 2048, any::<u8>()), 1..40)) {
        let mut bytes = sample_image().to_vec();
        for (at, v) in flips {
            if let Some(b) = bytes.get_mut(at) {
                *b = v;
            }
        }
        read_everything(bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic(head in prop::collection::vec(any::<u8>(), 0..4096), lba in 0u32..40) {
        let mut bytes = vec![0u8; 16 * 2048];
        bytes.extend_from_slice(sample_image().get(16 * 2048..17 * 2048).unwrap());
        bytes.extend_from_slice(&head);
        let root = lba.to_le_bytes();
        bytes[16 * 2048 + 158..16 * 2048 + 162].copy_from_slice(&root);
        read_everything(bytes);
    }
}
