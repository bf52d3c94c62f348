//! After a burn that stops part-way on write-once media, `spindle close` closes what it left
//! open and the next burn appends again. If the interrupted session's image was cut off, the
//! next session builds on the one before it (the merged tree holds no half-written files);
//! if only the closing failed, the interrupted session was whole and is carried over.
//! Each case is read back by xorriso from `media.img`.

use std::path::{Path, PathBuf};

use hal::mock::{Fault, MediaKind};
use tests::burnkit::{list_tree, require_xorriso, tree_burn_args};
use tests::MockDisc;

/// The burn's output, or its error in full (`{:#}`).
fn burn(device: &str, tree: &str, new_disc: bool) -> Result<String, String> {
    let mut out = Vec::new();
    let a = tree_burn_args(device, vec![tree.to_owned()], new_disc, false, "REPAIR");
    cli::cmd::burn::burn(&a, &mut out).map_err(|e| format!("{e:#}"))?;
    Ok(String::from_utf8(out).unwrap())
}

fn close(device: &str) -> serde_json::Value {
    let mut out = Vec::new();
    let a = cli::cmd::burn::CloseArgs {
        device: device.to_owned(),
        finalize: false,
        json: true,
    };
    cli::cmd::burn::close_cmd(&a, &mut out).unwrap_or_else(|e| panic!("{device}: close: {e:#}"));
    serde_json::from_slice(&out).unwrap()
}

/// A tree of `mib` MiB in two files, distinct per `tag`.
fn tree(work: &Path, tag: &str, mib: usize) -> PathBuf {
    let dir = work.join(tag);
    std::fs::create_dir_all(&dir).unwrap();
    let seed = tag
        .bytes()
        .fold(7u32, |a, b| a.wrapping_mul(31).wrapping_add(u32::from(b)));
    let data: Vec<u8> = (0..mib * 1024 * 1024)
        .map(|i| ((i as u32).wrapping_mul(seed) >> 7) as u8)
        .collect();
    let half = data.len() / 2;
    std::fs::write(dir.join("one.bin"), &data[..half]).unwrap();
    std::fs::write(dir.join("two.bin"), &data[half..]).unwrap();
    dir
}

#[derive(Debug, Clone, Copy)]
enum Cut {
    /// A WRITE fails with a medium error after 10 MB (past the 4 MiB drive buffer).
    WriteError,
    /// The power fails at a WRITE after 10 MB: the buffered tail is lost, the rest stays.
    PowerLoss,
    /// The image is written and synced, and CLOSE TRACK/SESSION fails.
    CloseError,
}

fn case(kind: MediaKind, cut: Cut) {
    let disc = MockDisc::with(kind, true);
    disc.settle();
    let dev = disc.spec();
    let media = disc.drive.media_path();
    let work = tempfile::tempdir().unwrap();
    let a = tree(work.path(), "a", 1);
    let b = tree(work.path(), "b", 12);
    let c = tree(work.path(), "c", 1);
    let arg = |dest: &str, src: &Path| format!("{dest}={}", src.display());

    burn(&dev, &arg("a", &a), true).unwrap_or_else(|e| panic!("{kind} session 1: {e}"));
    let fault = match cut {
        Cut::WriteError => Fault::on(0x2a).nth(160).sense(0x3, 0x0c, 0x00),
        Cut::PowerLoss => Fault::on(0x2a).nth(160).power_loss(),
        Cut::CloseError => Fault::on(0x5b).sense(0x3, 0x0c, 0x00).sticky(),
    };
    disc.drive.add_fault(fault).unwrap();
    let msg = burn(&dev, &arg("b", &b), false).expect_err("the burn was cut off");
    assert!(msg.contains("spindle close"), "{kind} {cut:?}: {msg}");
    disc.drive.clear_faults().unwrap();
    disc.settle();

    let msg = burn(&dev, &arg("c", &c), false).expect_err("an open session takes no append");
    assert!(
        msg.contains("last session is open") && msg.contains("spindle close"),
        "{kind} {cut:?}: {msg}"
    );

    let report = close(&dev);
    assert_eq!(report["closed_session"], true, "{kind} {cut:?}: {report:#}");
    assert_eq!(
        report["last_session"], "empty",
        "{kind} {cut:?}: {report:#}"
    );
    let cut_off = !matches!(cut, Cut::CloseError);
    let expect_incomplete: Vec<u16> = if cut_off { vec![2] } else { vec![] };
    assert_eq!(
        report["incomplete_sessions"],
        serde_json::json!(expect_incomplete),
        "{kind} {cut:?}: {report:#}"
    );
    // Closing again finds nothing open.
    assert_eq!(close(&dev)["closed_session"], false);

    let out = burn(&dev, &arg("c", &c), false).unwrap_or_else(|e| panic!("{kind} {cut:?}: {e}"));
    let start: u32 = out
        .split(" at LBA ")
        .nth(1)
        .and_then(|s| s.split(|ch: char| !ch.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no start LBA in {out}"));
    let mut want = vec!["/a/one.bin", "/a/two.bin"];
    if !cut_off {
        want.extend(["/b/one.bin", "/b/two.bin"]);
    }
    want.extend(["/c/one.bin", "/c/two.bin"]);
    let mut got = list_tree(&media, start);
    got.sort();
    assert_eq!(got, want, "{kind} {cut:?}: merged tree of session 3");
    // The first session is untouched and still reads on its own.
    assert_eq!(list_tree(&media, 0), ["/a/one.bin", "/a/two.bin"]);
}

const WRITE_ONCE: [MediaKind; 4] = [
    MediaKind::DvdPlusR,
    MediaKind::CdR,
    MediaKind::BdR,
    MediaKind::DvdR,
];

#[test]
fn a_write_error_mid_burn_is_closed_and_the_next_session_skips_it() {
    if !require_xorriso() {
        return;
    }
    for kind in WRITE_ONCE {
        case(kind, Cut::WriteError);
    }
}

#[test]
fn a_power_loss_mid_burn_is_closed_and_the_next_session_skips_it() {
    if !require_xorriso() {
        return;
    }
    for kind in WRITE_ONCE {
        case(kind, Cut::PowerLoss);
    }
}

#[test]
fn a_failed_close_leaves_a_whole_session_that_the_next_one_keeps() {
    if !require_xorriso() {
        return;
    }
    for kind in WRITE_ONCE {
        case(kind, Cut::CloseError);
    }
}

#[test]
fn close_explains_itself_on_overwritable_and_clean_media() {
    let rw = MockDisc::with(MediaKind::DvdPlusRw, false);
    rw.settle();
    let a = cli::cmd::burn::CloseArgs {
        device: rw.spec(),
        finalize: false,
        json: false,
    };
    let e = cli::cmd::burn::close_cmd(&a, &mut Vec::new()).unwrap_err();
    assert!(
        format!("{e:#}").contains("overwritable media have no sessions to close"),
        "{e:#}"
    );
    let r = MockDisc::with(MediaKind::DvdPlusR, true);
    r.settle();
    let mut out = Vec::new();
    let a = cli::cmd::burn::CloseArgs {
        device: r.spec(),
        finalize: false,
        json: false,
    };
    cli::cmd::burn::close_cmd(&a, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("nothing was open"), "{text}");
}
