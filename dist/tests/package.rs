//! The Debian package as an admin meets it: built by `scripts/build-deb.sh`, installed with
//! `dpkg -i`, used (`spindle --version`, `mmc-probe --help`, `man -w`, the completions, the
//! xorriso link, the units), removed with `dpkg -r`, and nothing of it left behind.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"))
}

fn ok(program: &str, args: &[&str]) -> String {
    let o = run(program, args);
    assert!(
        o.status.success(),
        "{program} {}: {}\n{}",
        args.join(" "),
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn installed() -> bool {
    let o = run("dpkg-query", &["-W", "-f=${Status}", "spindle"]);
    o.status.success() && String::from_utf8_lossy(&o.stdout) == "install ok installed"
}

/// Removes the package if a check failed half-way, so the machine is left as it was.
struct Uninstall;

impl Drop for Uninstall {
    fn drop(&mut self) {
        if installed() {
            let _ = run("dpkg", &["-r", "spindle"]);
        }
    }
}

#[test]
fn deb_package_is_built_installed_used_and_removed() {
    if !tests::tier::tier(
        "deb_package_is_built_installed_used_and_removed",
        &["root", "dpkg", "dpkg-shlibdeps", "cargo-deb", "man"],
    ) {
        return;
    }
    assert!(
        !installed(),
        "a spindle package is installed on this machine already; this test installs and removes its own"
    );
    // --fast: lighter compression; the package is the same otherwise.
    let built = ok(
        "bash",
        &[
            workspace().join("scripts/build-deb.sh").to_str().unwrap(),
            "--fast",
        ],
    );
    let deb = built
        .lines()
        .last()
        .expect("build-deb.sh prints the .deb")
        .trim()
        .to_owned();
    assert!(
        deb.ends_with(".deb") && Path::new(&deb).is_file(),
        "{built}"
    );

    // What the package holds, and which of those paths the machine had before.
    let names = ok(
        "sh",
        &["-c", &format!("dpkg-deb --fsys-tarfile '{deb}' | tar -t")],
    );
    let paths: Vec<PathBuf> = names
        .lines()
        .map(|l| Path::new("/").join(l.trim_start_matches("./").trim_end_matches('/')))
        .filter(|p| p != Path::new("/"))
        .collect();
    for want in [
        "/usr/bin/spindle",
        "/usr/bin/mmc-probe",
        "/usr/lib/spindle/xorriso",
        "/usr/share/man/man1/spindle.1.gz",
        "/usr/share/man/man1/spindle-burn.1.gz",
        "/usr/share/man/man1/mmc-probe.1.gz",
        "/usr/share/man/man5/spindle-cedar.5.gz",
        "/usr/share/bash-completion/completions/spindle",
        "/usr/share/zsh/vendor-completions/_spindle",
        "/usr/share/fish/vendor_completions.d/spindle.fish",
        "/usr/lib/systemd/system/spindle-nightly.service",
        "/usr/lib/systemd/system/spindle-nightly.timer",
        "/usr/share/doc/spindle/examples/cback3.conf",
    ] {
        assert!(
            paths.iter().any(|p| p == Path::new(want)),
            "{want} not in the package"
        );
    }
    // The xorriso link must not take the real xorriso's place.
    assert!(!paths.iter().any(|p| p.ends_with("bin/xorriso")));
    let before: BTreeSet<PathBuf> = paths
        .iter()
        .filter(|p| p.symlink_metadata().is_ok())
        .cloned()
        .collect();
    let new: Vec<&PathBuf> = paths.iter().filter(|p| !before.contains(*p)).collect();
    assert!(
        new.contains(&&PathBuf::from("/usr/bin/spindle")),
        "/usr/bin/spindle exists already"
    );

    let _guard = Uninstall;
    ok("dpkg", &["-i", &deb]);
    assert!(installed());

    let version = ok("/usr/bin/spindle", &["--version"]);
    assert_eq!(
        version.trim(),
        format!("spindle {}", env!("CARGO_PKG_VERSION"))
    );
    let help = ok("/usr/bin/mmc-probe", &["--help"]);
    assert!(help.contains("Usage: mmc-probe"), "{help}");
    let page = ok("man", &["-w", "spindle"]);
    assert_eq!(page.trim(), "/usr/share/man/man1/spindle.1.gz");
    let page = ok("man", &["-w", "5", "spindle-cedar"]);
    assert_eq!(page.trim(), "/usr/share/man/man5/spindle-cedar.5.gz");
    let rendered = Command::new("man")
        .args(["--warnings", "spindle-burn"])
        .env("MANWIDTH", "80")
        .env("MANPAGER", "cat")
        .output()
        .unwrap();
    assert!(rendered.status.success());
    assert!(
        rendered.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    assert!(String::from_utf8_lossy(&rendered.stdout).contains("EXIT STATUS"));
    let complete = ok(
        "bash",
        &[
            "-c",
            "source /usr/share/bash-completion/completions/spindle && complete -p spindle",
        ],
    );
    assert!(complete.contains("spindle"), "{complete}");
    // Started as xorriso, the binary is duplicity's xorriso front.
    let link = std::fs::read_link("/usr/lib/spindle/xorriso").unwrap();
    assert_eq!(
        Path::new("/usr/lib/spindle")
            .join(link)
            .canonicalize()
            .unwrap(),
        Path::new("/usr/bin/spindle").canonicalize().unwrap()
    );
    let front = run("/usr/lib/spindle/xorriso", &["-version"]);
    let said = String::from_utf8_lossy(&front.stdout).to_string()
        + &String::from_utf8_lossy(&front.stderr);
    assert!(said.contains("xorriso"), "{said}");
    assert!(!said.contains("Usage: spindle"), "{said}");
    if tests::tier::have("systemd-analyze") {
        let o = run(
            "systemd-analyze",
            &[
                "verify",
                "/usr/lib/systemd/system/spindle-nightly.service",
                "/usr/lib/systemd/system/spindle-nightly.timer",
            ],
        );
        assert!(
            o.status.success() && o.stderr.is_empty(),
            "systemd-analyze verify on the installed units: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }

    ok("dpkg", &["-r", "spindle"]);
    assert!(!installed(), "dpkg -r left the package installed");
    let left: Vec<&&PathBuf> = new
        .iter()
        .filter(|p| p.symlink_metadata().is_ok())
        .collect();
    assert!(left.is_empty(), "left behind after dpkg -r: {left:?}");
    // Nor does dpkg remember it (no conffiles kept for a purge).
    let o = run("dpkg-query", &["-W", "-f=${Status}", "spindle"]);
    let status = String::from_utf8_lossy(&o.stdout);
    assert!(
        !o.status.success() || status.contains("not-installed"),
        "dpkg still knows the package: {status}"
    );
}
