//! Golden transcripts: the exact command sequence `spindle burn --tree` sends to each medium
//! for a new disc and one append, as the mock drive logged it (`DIR/transcript.log`, the same
//! format `hal::Recorder` writes on real drives). A change in the sequence (an extra command, a
//! different close function, a lost SYNCHRONIZE CACHE) fails here and has to be looked at;
//! `UPDATE_GOLDEN=1 cargo test -p tests --test burn_golden` re-blesses the files in
//! tests/data/golden/ after review.

use std::path::{Path, PathBuf};

use hal::mock::{MediaKind, MockConfig, MockDrive};

fn spindle(args: &[&str]) -> u8 {
    let mut v = vec!["spindle"];
    v.extend_from_slice(args);
    cli::spindle::run_args(v)
}

fn tree(root: &Path, tag: &str, files: usize) -> PathBuf {
    let dir = root.join(tag);
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    for i in 0..files {
        // Sizes only matter here (the transcript has no data), so they are fixed.
        std::fs::write(
            dir.join(format!("sub/f{i}.bin")),
            vec![i as u8; 3000 + i * 4096],
        )
        .unwrap();
    }
    std::fs::write(dir.join("README"), format!("{tag}\n")).unwrap();
    dir
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/golden")
}

#[test]
fn burn_sequences_match_the_golden_transcripts() {
    let kinds = [
        MediaKind::CdR,
        MediaKind::CdRw,
        MediaKind::DvdR,
        MediaKind::DvdRw,
        MediaKind::DvdPlusR,
        MediaKind::DvdPlusRDl,
        MediaKind::DvdPlusRw,
        MediaKind::BdR,
        MediaKind::BdRe,
    ];
    let work = tempfile::tempdir().unwrap();
    let t1 = tree(work.path(), "one", 3);
    let t2 = tree(work.path(), "two", 2);
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    for kind in kinds {
        let dir = work.path().join(format!("drive-{kind}"));
        let mut drive = MockDrive::create(&dir, MockConfig::default()).unwrap();
        drive.insert(kind, false, None).unwrap();
        let dev = format!("mock:{}", dir.display());
        let g1 = format!("day1/={}", t1.display());
        let g2 = format!("day2/={}", t2.display());
        assert_eq!(
            spindle(&["burn", &dev, "--new-disc", "-V", "GOLDEN", "--tree", &g1]),
            0,
            "{kind}: new disc"
        );
        assert_eq!(
            spindle(&["burn", &dev, "-V", "GOLDEN", "--tree", &g2]),
            0,
            "{kind}: append"
        );
        let got = drive.transcript().unwrap();
        let file = golden_dir().join(format!("{kind}.transcript"));
        if update {
            std::fs::create_dir_all(golden_dir()).unwrap();
            std::fs::write(&file, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("{}: {e} (bless with UPDATE_GOLDEN=1)", file.display()));
        if got != want {
            let first = got
                .lines()
                .zip(want.lines())
                .enumerate()
                .find(|(_, (g, w))| g != w)
                .map(|(i, (g, w))| format!("line {}: got `{g}`, golden `{w}`", i + 1))
                .unwrap_or_else(|| {
                    format!(
                        "{} lines against {} golden",
                        got.lines().count(),
                        want.lines().count()
                    )
                });
            failures.push(format!("{kind}: {first}"));
        }
    }
    assert!(
        failures.is_empty(),
        "transcripts differ from tests/data/golden:\n  {}",
        failures.join("\n  ")
    );
}
