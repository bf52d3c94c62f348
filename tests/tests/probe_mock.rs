//! mmc-probe against the mock drive, for every medium and state: each reported field is
//! checked against what the host did to the drive (the same commands a burner sends).

use serde_json::Value;
use tests::{probe_json, MockDisc, Written, OVERWRITABLE, SEQUENTIAL};

fn spindle(args: &[&str]) -> u8 {
    let mut v = vec!["spindle"];
    v.extend_from_slice(args);
    cli::spindle::run_args(v)
}

fn u(v: &Value) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("expected an integer, got {v}"))
}

/// Checks the fields every report with a medium shares.
fn check_common(j: &Value, device: &str, profile: u16) {
    assert_eq!(j["device"], device);
    assert_eq!(j["vendor"], "SPINDLE");
    assert_eq!(j["product"], "MOCK BD WRITER");
    assert_eq!(j["revision"], "1.00");
    assert_eq!(j["peripheral_type"], 5);
    assert_eq!(
        u(&j["current_profile"]["code"]),
        u64::from(profile),
        "{}",
        j["current_profile"]
    );
    assert_eq!(j["current_profile"]["current"], true);
    let profiles = j["profiles"].as_array().unwrap();
    let current: Vec<_> = profiles.iter().filter(|p| p["current"] == true).collect();
    assert_eq!(
        current.len(),
        1,
        "exactly one current profile: {profiles:?}"
    );
    assert_eq!(u(&current[0]["code"]), u64::from(profile));
    assert!(
        profiles.len() >= 10,
        "a BD writer lists CD, DVD and BD profiles: {profiles:?}"
    );
    assert_eq!(j["tray"]["open"], false);
    assert_eq!(j["tray"]["medium_present"], true);
    assert_eq!(j["tray"]["locked"], false);
    assert_eq!(j["tray"]["lock_source"], "mode-page-2a");
    assert!(
        !j["write_speeds"].as_array().unwrap().is_empty(),
        "writable media have write speeds"
    );
    for s in j["write_speeds"].as_array().unwrap() {
        assert!(u(&s["kbytes_per_sec"]) > 0);
        assert!(s["multiplier"].as_f64().unwrap() >= 1.0, "{s}");
    }
    assert_eq!(
        u(&j["buffer_size_kib"]),
        4096,
        "the mock's default 4 MiB buffer"
    );
    assert!(u(&j["max_read_speed_kbps"]) > 0);
    assert_eq!(
        j["warnings"],
        serde_json::json!([]),
        "no warnings on a healthy mock"
    );
    assert_eq!(u(&j["medium"]["capacity"]["block_size"]), 2048);
}

fn check_capacity(j: &Value, total: u64, used: u64) {
    let c = &j["medium"]["capacity"];
    assert_eq!(u(&c["total_blocks"]), total, "total blocks: {c}");
    assert_eq!(u(&c["used_blocks"]), used, "used blocks: {c}");
    assert_eq!(u(&c["free_blocks"]), total - used, "free blocks: {c}");
    assert_eq!(u(&c["total_bytes"]), total * 2048);
    assert_eq!(u(&c["used_bytes"]), used * 2048);
    assert_eq!(u(&c["free_bytes"]), (total - used) * 2048);
}

fn check_track(t: &Value, number: u64, session: u64, start: u32, size: u32, blank: bool) {
    assert_eq!(u(&t["number"]), number, "{t}");
    assert_eq!(u(&t["session"]), session, "{t}");
    assert_eq!(u(&t["start_lba"]), u64::from(start), "{t}");
    assert_eq!(u(&t["size_blocks"]), u64::from(size), "{t}");
    assert_eq!(t["mode"], "data", "{t}");
    assert_eq!(t["blank"], blank, "{t}");
}

#[test]
fn blank_write_once_and_sequential_media() {
    for m in SEQUENTIAL {
        let disc = MockDisc::with(m.kind, true);
        let (code, j) = disc.probe();
        assert_eq!(code, 0, "{:?}: {j}", m.kind);
        check_common(&j, &disc.spec(), m.profile);
        let med = &j["medium"];
        assert_eq!(med["disc_status"], "blank", "{:?}", m.kind);
        assert_eq!(med["last_session_state"], "empty");
        assert_eq!(med["erasable"], m.erasable, "{:?}", m.kind);
        assert_eq!(med["formatted"], Value::Null);
        assert_eq!(u(&med["sessions"]), 1);
        assert_eq!(u(&med["first_track"]), 1);
        assert_eq!(u(&med["last_track"]), 1);
        let tracks = med["tracks"].as_array().unwrap();
        assert_eq!(tracks.len(), 1, "{:?}: {tracks:?}", m.kind);
        assert_eq!(u(&tracks[0]["number"]), 1);
        assert_eq!(tracks[0]["blank"], true);
        assert_eq!(u(&tracks[0]["next_writable_address"]), 0);
        assert_eq!(u(&tracks[0]["free_blocks"]), u64::from(m.capacity));
        assert_eq!(u(&med["next_writable_address"]), 0);
        assert_eq!(
            med["last_session_start_lba"],
            Value::Null,
            "a blank disc has no complete session"
        );
        check_capacity(&j, u64::from(m.capacity), 0);
    }
}

/// On CD the lead-out and next lead-in take 11400 blocks after the first session and 6900
/// after later ones (docs/mmc-notes.md §3.1), and a TAO track ends with 2 run-out blocks.
fn cd_track_size(w: &Written) -> u32 {
    w.blocks + 2
}

#[test]
fn appendable_with_two_sessions() {
    for m in SEQUENTIAL {
        let disc = MockDisc::with(m.kind, true);
        let w1 = disc.write_session(m, 300, false);
        let w2 = disc.write_session(m, 500, false);
        let is_cd = m.profile == 0x0009 || m.profile == 0x000A;
        let (size1, size2) = if is_cd {
            (cd_track_size(&w1), cd_track_size(&w2))
        } else {
            (w1.blocks, w2.blocks)
        };
        assert_eq!(w1.start, 0);
        if is_cd {
            assert_eq!(w2.start, size1 + 11_400, "CD second session start");
        } else {
            assert!(
                w2.start >= size1,
                "{:?}: session 2 starts after session 1",
                m.kind
            );
        }
        let (code, j) = disc.probe();
        assert_eq!(code, 0, "{:?}: {j}", m.kind);
        check_common(&j, &disc.spec(), m.profile);
        let med = &j["medium"];
        assert_eq!(med["disc_status"], "appendable", "{:?}", m.kind);
        assert_eq!(med["last_session_state"], "empty", "{:?}", m.kind);
        assert_eq!(
            u(&med["sessions"]),
            3,
            "{:?}: two closed sessions and the open one",
            m.kind
        );
        assert_eq!(u(&med["first_track"]), 1);
        assert_eq!(u(&med["last_track"]), 3);
        let tracks = med["tracks"].as_array().unwrap();
        assert_eq!(tracks.len(), 3, "{:?}: {tracks:?}", m.kind);
        check_track(&tracks[0], 1, 1, w1.start, size1, false);
        check_track(&tracks[1], 2, 2, w2.start, size2, false);
        let nwa = u(&tracks[2]["start_lba"]) as u32;
        if is_cd {
            assert_eq!(nwa, w2.start + size2 + 6_900, "CD third session start");
        } else {
            assert!(nwa >= w2.start + size2);
        }
        assert_eq!(u(&tracks[2]["session"]), 3);
        assert_eq!(tracks[2]["blank"], true);
        assert_eq!(u(&tracks[2]["next_writable_address"]), u64::from(nwa));
        assert_eq!(u(&med["next_writable_address"]), u64::from(nwa));
        assert_eq!(
            u(&med["last_session_start_lba"]),
            u64::from(w2.start),
            "{:?}",
            m.kind
        );
        assert_eq!(u(&tracks[2]["free_blocks"]), u64::from(m.capacity - nwa));
        check_capacity(&j, u64::from(m.capacity), u64::from(nwa));
        for t in &tracks[..2] {
            assert_eq!(
                t["next_writable_address"],
                Value::Null,
                "closed tracks are not writable: {t}"
            );
            assert_eq!(t["incomplete"], false);
        }
    }
}

#[test]
fn finalized_media_are_complete() {
    for m in SEQUENTIAL {
        let disc = MockDisc::with(m.kind, true);
        let w = disc.write_session(m, 400, true);
        let (code, j) = disc.probe();
        assert_eq!(code, 0, "{:?}: {j}", m.kind);
        check_common(&j, &disc.spec(), m.profile);
        let med = &j["medium"];
        assert_eq!(med["disc_status"], "complete", "{:?}: {med}", m.kind);
        assert_eq!(med["last_session_state"], "complete", "{:?}", m.kind);
        assert_eq!(u(&med["sessions"]), 1, "{:?}", m.kind);
        assert_eq!(med["next_writable_address"], Value::Null, "{:?}", m.kind);
        let tracks = med["tracks"].as_array().unwrap();
        assert_eq!(tracks.len(), 1, "{:?}: {tracks:?}", m.kind);
        let is_cd = m.profile == 0x0009 || m.profile == 0x000A;
        let size = if is_cd { cd_track_size(&w) } else { w.blocks };
        check_track(&tracks[0], 1, 1, 0, size, false);
        assert_eq!(u(&med["last_session_start_lba"]), 0);
        // A complete disc has no room left: what is recorded is all there is.
        check_capacity(&j, u64::from(size), u64::from(size));
    }
}

#[test]
fn overwritable_media_formatted_and_unformatted() {
    for m in OVERWRITABLE {
        let disc = MockDisc::with(m.kind, false);
        let (code, j) = disc.probe();
        assert_eq!(code, 0, "{:?}: {j}", m.kind);
        check_common(&j, &disc.spec(), m.profile);
        assert_eq!(j["medium"]["formatted"], "formatted", "{:?}", m.kind);
        assert_eq!(
            u(&j["medium"]["next_writable_address"]),
            0,
            "overwritable media are writable at 0"
        );
        check_capacity(&j, u64::from(m.capacity), 0);

        let disc = MockDisc::with(m.kind, true);
        let (code, j) = disc.probe();
        assert_eq!(code, 0, "{:?}: {j}", m.kind);
        check_common(&j, &disc.spec(), m.profile);
        assert_eq!(
            j["medium"]["formatted"], "unformatted",
            "{:?}: {}",
            m.kind, j["medium"]
        );
        assert_eq!(j["medium"]["disc_status"], "blank", "{:?}", m.kind);
    }
}

#[test]
fn no_medium_reports_and_exits_6() {
    let disc = MockDisc::empty();
    let (code, j) = disc.probe();
    assert_eq!(code, 6, "{j}");
    assert_eq!(j["medium"], Value::Null);
    assert_eq!(j["current_profile"], Value::Null);
    assert_eq!(j["tray"]["open"], false);
    assert_eq!(j["tray"]["medium_present"], false);
    assert!(j["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["current"] == false));
    assert_eq!(
        j["vendor"], "SPINDLE",
        "identity is reported without a medium"
    );
}

#[test]
fn tray_open_and_closed_again() {
    let disc = MockDisc::with(hal::mock::MediaKind::DvdPlusRw, false);
    assert_eq!(spindle(&["eject", &disc.spec()]), 0);
    let (code, j) = disc.probe();
    assert_eq!(code, 6, "{j}");
    assert_eq!(j["tray"]["open"], true);
    assert_eq!(j["tray"]["medium_present"], false);
    assert_eq!(j["medium"], Value::Null);
    assert_eq!(spindle(&["load", &disc.spec()]), 0);
    let (code, j) = disc.probe();
    assert_eq!(code, 0, "the medium stays in the tray and loads again: {j}");
    assert_eq!(j["tray"]["open"], false);
    assert_eq!(u(&j["current_profile"]["code"]), 0x1A);
}

#[test]
fn locked_drive_refuses_eject_until_unlocked() {
    let disc = MockDisc::with(hal::mock::MediaKind::DvdPlusR, true);
    let dev = disc.spec();
    assert_eq!(spindle(&["lock", &dev]), 0);
    let (code, j) = disc.probe();
    assert_eq!(code, 0);
    assert_eq!(j["tray"]["locked"], true);
    // The drive's own refusal, with its sense, when we do not unlock first.
    assert_eq!(
        spindle(&["eject", "--no-unlock", &dev]),
        cli::exit::spindle::DRIVE_ERROR
    );
    assert_eq!(disc.probe().1["tray"]["open"], false);
    // A persistent lock survives a plain ALLOW (what Linux sends on close and `eject -i off`).
    assert_eq!(spindle(&["lock", "--persistent", &dev]), 0);
    let mut d = disc.mmc();
    d.run(&mmc::command::PreventAllowMediumRemoval::allow())
        .unwrap();
    assert_eq!(
        disc.probe().1["tray"]["locked"],
        true,
        "persistent prevent outlives ALLOW 00b"
    );
    assert_eq!(
        spindle(&["eject", "--no-unlock", &dev]),
        cli::exit::spindle::DRIVE_ERROR
    );
    // spindle eject clears both locks first.
    assert_eq!(spindle(&["eject", &dev]), 0);
    let (code, j) = disc.probe();
    assert_eq!(code, 6);
    assert_eq!(j["tray"]["open"], true);
    assert_eq!(j["tray"]["locked"], false);
}

#[test]
fn pressed_rom_discs() {
    let dir = tempfile::tempdir().unwrap();
    for (kind, blocks, profile) in [
        (hal::mock::MediaKind::CdRom, 1720u32, 0x0008u16),
        (hal::mock::MediaKind::DvdRom, 400_000, 0x0010),
    ] {
        let img = dir.path().join(format!("{kind}.img"));
        let f = std::fs::File::create(&img).unwrap();
        f.set_len(u64::from(blocks) * 2048).unwrap();
        let disc = MockDisc::rom(kind, &img);
        let (code, j) = disc.probe();
        assert_eq!(code, 0, "{j}");
        assert_eq!(u(&j["current_profile"]["code"]), u64::from(profile));
        let med = &j["medium"];
        assert_eq!(med["disc_status"], "complete");
        assert_eq!(u(&med["sessions"]), 1);
        let tracks = med["tracks"].as_array().unwrap();
        assert_eq!(tracks.len(), 1);
        check_track(&tracks[0], 1, 1, 0, blocks, false);
        assert_eq!(med["next_writable_address"], Value::Null);
        check_capacity(&j, u64::from(blocks), u64::from(blocks));
    }
}

#[test]
fn bad_devices_get_clear_errors_and_codes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("regular");
    std::fs::write(&file, b"not a drive").unwrap();
    let corrupt = dir.path().join("corrupt");
    let disc = MockDisc::with(hal::mock::MediaKind::CdR, true);
    std::fs::create_dir(&corrupt).unwrap();
    std::fs::write(corrupt.join("state.json"), b"{ this is not json").unwrap();
    let cases: Vec<(String, u8)> = vec![
        ("/nonexistent/sr9".into(), 3),
        ("/dev/null".into(), 5),
        (dir.path().display().to_string(), 5),
        (file.display().to_string(), 5),
        (format!("mock:{}", dir.path().join("missing").display()), 3),
        (format!("mock:{}", corrupt.display()), 1),
        ("".into(), 3),
    ];
    for (dev, want) in cases {
        let (code, _) = probe_json(&dev);
        assert_eq!(code, want, "mmc-probe {dev:?}");
    }
    drop(disc);
}
