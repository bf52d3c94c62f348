//! Helpers for the burn tests: images made by `xorrisofs` (multisession with `-C`/`-M`
//! against the mock's `media.img`), burns through `mmc::burn`, and reading the merged tree
//! back with `xorriso`.

use std::path::{Path, PathBuf};
use std::process::Command;

use hal::mock::MockDrive;
use mmc::burn::{BurnOptions, Burner, SessionStart};

/// Whether the xorriso tools are here (see [`crate::tier`]): `false` means the test prints
/// NOT RUN and returns.
pub fn require_xorriso() -> bool {
    let test = std::thread::current()
        .name()
        .unwrap_or("this test")
        .to_owned();
    crate::tier::tier(&test, &["xorriso", "xorrisofs"])
}

/// Builds session `n`'s image in `work`: a tree holding `dN/fN`, for `start`
/// (`-C a,b -M media.img` when it must import a previous session).
pub fn make_image(work: &Path, n: u32, start: &SessionStart, media: &Path) -> PathBuf {
    let tree = work.join(format!("tree{n}"));
    let dir = tree.join(format!("d{n}"));
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join(format!("f{n}")),
        format!("session {n}\n").repeat(1000 * n as usize),
    )
    .expect("write file");
    let out = work.join(format!("s{n}.iso"));
    let mut cmd = Command::new("xorrisofs");
    cmd.args(["-quiet", "-R", "-V", &format!("S{n}"), "-o"])
        .arg(&out);
    if let Some(c) = start.mkisofs_c() {
        cmd.arg("-C").arg(c).arg("-M").arg(media);
    } else if start.start_lba != 0 {
        cmd.arg("-C").arg(format!("0,{}", start.start_lba));
    }
    cmd.arg(&tree);
    let o = cmd.output().expect("run xorrisofs");
    assert!(
        o.status.success(),
        "xorrisofs failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// The files `xorriso` sees in the image whose superblock is at `session_lba` of `media`.
pub fn list_tree(media: &Path, session_lba: u32) -> Vec<String> {
    let o = Command::new("xorriso")
        .args(["-abort_on", "FAILURE", "-load", "sbsector"])
        .arg(session_lba.to_string())
        .arg("-indev")
        .arg(media)
        .args(["-find", "/", "-type", "f"])
        .output()
        .expect("run xorriso");
    assert!(
        o.status.success(),
        "xorriso -indev {} failed: {}",
        media.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| l.trim_matches('\'').to_string())
        .collect()
}

/// The mmc facade over a mock, polling without pauses.
pub fn fast(drive: &MockDrive) -> mmc::Drive<MockDrive> {
    let mut d = mmc::Drive::new(drive.clone());
    d.set_policy(mmc::DrivePolicy {
        poll_interval: std::time::Duration::from_millis(0),
        ..mmc::DrivePolicy::default()
    });
    d
}

/// Where the next session goes on the medium in `drive`.
///
/// # Panics
/// On any drive error.
pub fn next_start(drive: &MockDrive, new_disc: bool) -> SessionStart {
    let mut d = fast(drive);
    let b = Burner::new(&mut d, &cli::disc::ISO9660).expect("survey");
    b.next_session_start(new_disc).expect("next session")
}

/// Burns `image` with `opts`.
///
/// # Errors
/// The burner's error.
pub fn burn(drive: &MockDrive, image: &Path, opts: &BurnOptions) -> mmc::Result<()> {
    let mut d = fast(drive);
    let mut b = Burner::new(&mut d, &cli::disc::ISO9660)?;
    let len = std::fs::metadata(image).expect("image").len();
    let plan = b.plan(len, opts)?;
    b.burn(
        &plan,
        std::fs::File::open(image).expect("open image"),
        &mut (),
    )?;
    Ok(())
}

/// Bytes `[lba, lba + len)` of `media.img` (zeros past its end).
pub fn media_bytes(media: &Path, lba: u32, len: usize) -> Vec<u8> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(media).expect("open media.img");
    f.seek(SeekFrom::Start(u64::from(lba) * 2048))
        .expect("seek");
    let mut v = Vec::with_capacity(len);
    f.take(len as u64)
        .read_to_end(&mut v)
        .expect("read media.img");
    v.resize(len, 0);
    v
}

/// `spindle burn DEVICE --tree TREE…` arguments: a new disc labelled `label`, or an append
/// (no label), with `--dry-run` as asked.
pub fn tree_burn_args(
    device: &str,
    tree: Vec<String>,
    new_disc: bool,
    dry_run: bool,
    label: &str,
) -> cli::cmd::burn::BurnArgs {
    cli::cmd::burn::BurnArgs {
        device: device.to_owned(),
        image: None,
        tree: tree.into_iter().map(Into::into).collect(),
        volume_id: if new_disc {
            label.to_owned()
        } else {
            String::new()
        },
        remove: Vec::new(),
        exact: false,
        no_md5: false,
        new_disc,
        finalize: false,
        speed: None,
        dry_run,
        refresh: false,
        tray: Default::default(),
        json: false,
    }
}
