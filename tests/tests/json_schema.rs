//! The `--json` output of burn, verify, close, ls and the Cedar Backup actions, from real runs
//! against mock drives, validates against the schemas in docs/schema/.

use std::path::Path;
use std::process::Command;

use hal::mock::MediaKind;
use serde_json::Value;
use tests::cedarkit::{Knobs, Setup};
use tests::MockDisc;

const SPINDLE: &str = env!("CARGO_BIN_EXE_spindle-dev");

fn schema(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/schema")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    assert!(
        jsonschema::meta::is_valid(&v),
        "{name}.json is not a valid schema"
    );
    v
}

/// The errors of `doc` against `docs/schema/NAME.json`.
fn errors(name: &str, doc: &Value) -> Vec<String> {
    let s = schema(name);
    let v = jsonschema::validator_for(&s).expect("compile schema");
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[track_caller]
fn valid(name: &str, doc: &Value) {
    let e = errors(name, doc);
    assert!(e.is_empty(), "{name}: {e:?}\n{doc:#}");
}

/// Runs spindle; returns the exit code and stdout parsed as JSON.
fn run_json(args: &[&str]) -> (i32, Value) {
    let o = Command::new(SPINDLE)
        .args(args)
        .env("SPINDLE_TODAY", "2024-03-05")
        .output()
        .expect("run spindle");
    let out = String::from_utf8_lossy(&o.stdout);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| {
        panic!(
            "spindle {}: stdout is not JSON ({e}): {out}\nstderr: {}",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    (o.status.code().unwrap_or(-1), v)
}

fn tree(dir: &Path) -> String {
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("a.txt"), b"alpha\n").unwrap();
    std::fs::write(dir.join("sub/b.bin"), vec![7u8; 5000]).unwrap();
    std::os::unix::fs::symlink("a.txt", dir.join("link")).unwrap();
    format!("data/={}", dir.display())
}

#[test]
fn burn_verify_ls_and_close_summaries_match_their_schemas() {
    let work = tempfile::tempdir().unwrap();
    let graft = tree(&work.path().join("src"));
    // Write-once media, so close has something to say.
    let disc = MockDisc::with(MediaKind::DvdPlusR, false);
    let dev = disc.spec();

    let (code, plan) = run_json(&["burn", &dev, "--json", "--dry-run", "--tree", &graft]);
    assert_eq!(code, 0, "{plan:#}");
    valid("burn", &plan);
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["source"], "tree");

    let (code, burned) = run_json(&["burn", &dev, "--json", "-V", "JSON", "--tree", &graft]);
    assert_eq!(code, 0, "{burned:#}");
    valid("burn", &burned);
    assert_eq!(burned["dry_run"], false);
    assert_eq!(burned["files"], 2);

    let (code, checked) = run_json(&["verify", &dev, "--json", "--tree", &graft]);
    assert_eq!(code, 0, "{checked:#}");
    valid("verify", &checked);
    assert_eq!(checked["files"], 2);

    let (code, listing) = run_json(&["ls", &dev, "--json", "/data"]);
    assert_eq!(code, 0, "{listing:#}");
    valid("ls", &listing);
    let paths: Vec<&str> = listing["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/data/a.txt", "/data/link", "/data/sub"]);
    assert_eq!(listing["entries"][1]["link_target"], "a.txt");
    // A missing path is listed, and fails the command.
    let (code, partial) = run_json(&["lsl", &dev, "--json", "/data/a.txt", "/nowhere"]);
    assert_eq!(code, 1);
    valid("ls", &partial);
    assert_eq!(partial["missing"], serde_json::json!(["/nowhere"]));

    let (code, closed) = run_json(&["close", &dev, "--json"]);
    assert_eq!(code, 0, "{closed:#}");
    valid("close", &closed);

    // An image burned to a rewritable disc, then verified against it.
    let rw = MockDisc::with(MediaKind::DvdPlusRw, false);
    let image = work.path().join("s.iso");
    let o = Command::new(SPINDLE)
        .args(["image", "-V", "IMG", "-o"])
        .arg(&image)
        .arg(&graft)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let img = image.to_str().unwrap();
    let (code, plan) = run_json(&["burn", &rw.spec(), img, "--new-disc", "--dry-run", "--json"]);
    assert_eq!(code, 0, "{plan:#}");
    valid("burn", &plan);
    assert_eq!(plan["files"], Value::Null);
    let (code, burned) = run_json(&["burn", &rw.spec(), img, "--new-disc", "--json"]);
    assert_eq!(code, 0, "{burned:#}");
    valid("burn", &burned);
    assert_eq!(burned["method"], "new-disc");
    let (code, checked) = run_json(&["verify", &rw.spec(), img, "--json"]);
    assert_eq!(code, 0, "{checked:#}");
    valid("verify", &checked);
    assert_eq!(checked["against"], "image");
}

#[test]
fn cedar_run_summaries_match_the_schema() {
    let setup = Setup::new(MediaKind::DvdPlusRw, &Knobs::default());
    let peer = setup.root.path().join("peers/alpha");
    std::fs::write(peer.join("data.tar"), b"tuesday\n").unwrap();
    std::fs::write(peer.join("cback.collect"), b"").unwrap();
    let conf = setup.config.to_str().unwrap().to_owned();
    let log = setup.root.path().join("log").display().to_string();

    let (code, ok) = run_json(&["--json", "-l", &log, "--config", &conf, "store", "stage"]);
    assert_eq!(code, 0, "{ok:#}");
    valid("cedar", &ok);
    assert_eq!(ok["actions"][0]["action"], "stage");
    assert_eq!(ok["actions"][0]["details"]["peers"][0]["outcome"], "staged");
    let store = &ok["actions"][1];
    assert_eq!(store["action"], "store");
    assert_eq!(
        store["details"]["directories"],
        serde_json::json!(["2024/03/05"])
    );
    assert_eq!(store["details"]["checked"], true);

    // Already stored today: store fails, and says why.
    let (code, failed) = run_json(&["--json", "-l", &log, "--config", &conf, "store"]);
    assert_eq!(code, 6);
    valid("cedar", &failed);
    assert_eq!(failed["actions"][0]["ok"], false);
    assert!(
        failed["error"].as_str().unwrap().contains("store"),
        "{failed:#}"
    );

    // A configuration that does not load: no actions, exit 4.
    let bad = setup.root.path().join("bad.conf");
    std::fs::write(&bad, "<cb_config/>").unwrap();
    let (code, refused) = run_json(&[
        "--json",
        "-l",
        &log,
        "--config",
        bad.to_str().unwrap(),
        "store",
    ]);
    assert_eq!(code, 4);
    valid("cedar", &refused);
    assert_eq!(refused["actions"], serde_json::json!([]));
}

#[test]
fn the_schemas_refuse_what_they_should() {
    let doc = serde_json::json!({
        "device": "mock:/x", "source": "tree", "dry_run": false, "fits": true,
        "method": "session", "start_lba": 0, "image_blocks": 10, "write_blocks": 16,
        "available_blocks": 100, "files": 2, "finalized": false
    });
    valid("burn", &doc);
    let mut missing = doc.clone();
    missing.as_object_mut().unwrap().remove("start_lba");
    assert!(!errors("burn", &missing).is_empty());
    let mut wrong = doc.clone();
    wrong["method"] = "overwrite".into();
    assert!(!errors("burn", &wrong).is_empty());
    let mixed = serde_json::json!({
        "device": "d", "against": "tree", "start_lba": 3, "bytes": null, "files": 1,
        "identical": true
    });
    assert!(!errors("verify", &mixed).is_empty());
}

#[test]
fn drive_reports_match_their_schema() {
    const PROBE: &str = env!("CARGO_BIN_EXE_mmc-probe-dev");
    // A mock's report, with its write test.
    let m = MockDisc::with(MediaKind::CdRw, false);
    let file = m.dir.path().join("report.json");
    let o = Command::new(PROBE)
        .args(["--report", "--write-test", "--yes-write", &m.spec(), "-o"])
        .arg(&file)
        .output()
        .expect("run mmc-probe");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let doc: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert!(doc["write_test"].is_object());
    valid("drive-report", &doc);
    // The recordings kept in hwtests/drives/ (made under the QEMU lane's kernel).
    let kept = Path::new(env!("CARGO_MANIFEST_DIR")).join("../hwtests/drives");
    let mut n = 0;
    for e in std::fs::read_dir(&kept).unwrap().flatten() {
        if e.path().extension().is_some_and(|x| x == "json") {
            let doc: Value = serde_json::from_slice(&std::fs::read(e.path()).unwrap()).unwrap();
            assert!(doc["kernel"].is_object(), "{:?}", e.path());
            valid("drive-report", &doc);
            n += 1;
        }
    }
    assert!(n >= 3, "{n} kept reports");
    // A newer version, or a reply that is not hex, is refused.
    let mut bad = doc.clone();
    bad["version"] = 2.into();
    assert!(!errors("drive-report", &bad).is_empty());
    let mut bad = doc;
    bad["battery"][0]["data"] = "not hex".into();
    assert!(!errors("drive-report", &bad).is_empty());
}

#[test]
fn check_reports_match_the_schema() {
    let work = tempfile::tempdir().unwrap();
    let graft = tree(&work.path().join("src"));
    let more = work.path().join("more");
    std::fs::create_dir_all(&more).unwrap();
    std::fs::write(more.join("a.txt"), b"replaced\n").unwrap();
    let more = format!("data/={}", more.display());
    let disc = MockDisc::with(MediaKind::DvdPlusRw, true);
    let dev = disc.spec();
    for g in [&graft, &more] {
        let (code, burned) = run_json(&["burn", &dev, "--json", "--tree", g]);
        assert_eq!(code, 0, "{burned:#}");
    }

    let (code, ok) = run_json(&["check", &dev, "--json"]);
    assert_eq!(code, 0, "{ok:#}");
    valid("check", &ok);
    assert_eq!(ok["sessions_checked"], 2, "{ok:#}");
    assert_eq!(ok["current"], 2, "{ok:#}");
    let (code, one) = run_json(&["check", &dev, "--json", "--session", "1"]);
    assert_eq!(code, 0, "{one:#}");
    valid("check", &one);
    assert_eq!(one["sessions_checked"], 1, "{one:#}");

    // A flipped byte in the first session's /data/a.txt, replaced by the second session.
    let media = disc.drive.media_path();
    let lba = {
        let f = std::fs::File::open(&media).unwrap();
        let mut image = iso9660::Image::open_session(f, iso9660::Lba(32)).unwrap();
        image.lookup("/data/a.txt").unwrap().extents[0].lba
    };
    let mut bytes = std::fs::read(&media).unwrap();
    bytes[lba as usize * 2048] ^= 1;
    std::fs::write(&media, &bytes).unwrap();
    let (code, bad) = run_json(&["check", &dev, "--json"]);
    assert_eq!(code, 16, "{bad:#}");
    valid("check", &bad);
    assert_eq!(bad["bad_files"][0]["session"], 1, "{bad:#}");
    assert_eq!(bad["bad_files"][0]["path"], "/data/a.txt", "{bad:#}");
    assert_eq!(bad["bad_files"][0]["ranges"][0]["start"], lba, "{bad:#}");
    assert_eq!(bad["problems"].as_array().unwrap().len(), 0, "{bad:#}");

    let plain = MockDisc::with(MediaKind::DvdPlusRw, true);
    let (code, _) = run_json(&[
        "burn",
        &plain.spec(),
        "--json",
        "--no-md5",
        "--tree",
        &graft,
    ]);
    assert_eq!(code, 0);
    let (code, none) = run_json(&["check", &plain.spec(), "--json"]);
    assert_eq!(code, 17, "{none:#}");
    valid("check", &none);
    assert_eq!(none["sessions"][0]["status"], "no_checksums", "{none:#}");
}
