//! Test tiers: what a test needs from outside the workspace (readers and burners we did not
//! write, root, PyPI packages). `cargo test` on a fresh clone runs without them: such a test
//! prints `NOT RUN: <test>: needs …` and returns. `scripts/test-all.sh` sets
//! `SPINDLE_ALL_TIERS=1`, which installs what is missing first and turns a missing need into
//! a failure, so CI never passes a test that did not run.

use std::path::Path;
use std::process::Command;

/// Whether every tier must run (`SPINDLE_ALL_TIERS=1`, set by `scripts/test-all.sh`).
pub fn all_tiers() -> bool {
    std::env::var_os("SPINDLE_ALL_TIERS").is_some_and(|v| v == "1")
}

fn workspace() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// Whether one need is met. Names: a program on PATH, `root`, `sshd`, a PyPI package the
/// scripts put in a venv under `target/` (`duplicity`, `pycdlib`, `cedar`), or `cargo-deb` (crates.io;
/// `scripts/build-deb.sh` installs it).
pub fn have(need: &str) -> bool {
    match need {
        "root" => nix::unistd::geteuid().is_root(),
        "sshd" => Path::new("/usr/sbin/sshd").exists(),
        // The venvs need PyPI the first time; with all tiers the test's own setup makes them.
        "duplicity" => {
            all_tiers()
                || workspace()
                    .join("target/duplicity-venv/bin/duplicity")
                    .exists()
        }
        "pycdlib" => all_tiers() || workspace().join("target/pycdlib-venv/bin/python").exists(),
        "cedar" => {
            all_tiers()
                || workspace()
                    .join("target/cedar-venv/venv/bin/python")
                    .exists()
        }
        // Needs crates.io the first time; with all tiers the test's own build script installs it.
        "cargo-deb" => {
            all_tiers()
                || Command::new("cargo")
                    .args(["deb", "--version"])
                    .output()
                    .is_ok_and(|o| o.status.success())
        }
        tool => Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success()),
    }
}

/// True when `test` may run: every need in `needs` is met. Otherwise prints `NOT RUN` and
/// returns false, or, with [`all_tiers`], panics naming what is missing.
pub fn tier(test: &str, needs: &[&str]) -> bool {
    let missing: Vec<&str> = needs.iter().copied().filter(|n| !have(n)).collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        !all_tiers(),
        "{test} needs {} (SPINDLE_ALL_TIERS=1: every tier must run; scripts/install-deps.sh installs the programs, and root is needed for some)",
        missing.join(", ")
    );
    eprintln!("NOT RUN: {test}: needs {}", missing.join(", "));
    false
}
