//! Helpers shared by the hardware tests: building the `cli` binaries, running commands with
//! their output captured, and reading `mmc-probe` JSON.
#![allow(dead_code)] // each test binary uses a different part

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// The environment variable naming a real drive for `real_drive.rs`.
pub const DEVICE_VAR: &str = "SPINDLE_TEST_DEVICE";
/// The house-style name of the same variable, accepted too.
pub const DEVICE_VAR_ALIAS: &str = "OPTICAL_TEST_DEVICE";

/// The drive under test from `SPINDLE_TEST_DEVICE` (or `OPTICAL_TEST_DEVICE`). Without
/// either, prints that the calling test was not run and returns from it: a test that did not
/// run must not look like a drive that passed.
#[macro_export]
macro_rules! require_device {
    () => {
        match $crate::common::test_device() {
            Some(d) => d,
            None => {
                eprintln!(
                    "NOT RUN: set {}=/dev/srN (or {}) to run this test against a real drive",
                    $crate::common::DEVICE_VAR,
                    $crate::common::DEVICE_VAR_ALIAS
                );
                return;
            }
        }
    };
}

/// The value of the device variable, if set and not empty.
pub fn test_device() -> Option<String> {
    [DEVICE_VAR, DEVICE_VAR_ALIAS]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.is_empty())
}

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

/// This crate's directory.
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The workspace target directory: `CARGO_TARGET_DIR` if set, else `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if !d.is_empty() => {
            let d = PathBuf::from(d);
            if d.is_absolute() {
                d
            } else {
                workspace_root().join(d)
            }
        }
        _ => workspace_root().join("target"),
    }
}

/// Paths of the `cli` release binaries.
#[derive(Debug, Clone)]
pub struct CliBins {
    /// `mmc-probe`.
    pub mmc_probe: PathBuf,
    /// `spindle`.
    pub spindle: PathBuf,
}

/// Builds the `cli` binaries in release mode in the workspace target directory and returns
/// their paths, taken from cargo's artifact messages. `SPINDLE_CLI_BIN_DIR=DIR` skips the
/// build and takes `DIR/mmc-probe` and `DIR/spindle` (an installed or prebuilt copy).
pub fn build_cli() -> Result<CliBins, String> {
    if let Some(dir) = std::env::var_os("SPINDLE_CLI_BIN_DIR").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        let bins = CliBins {
            mmc_probe: dir.join("mmc-probe"),
            spindle: dir.join("spindle"),
        };
        for p in [&bins.mmc_probe, &bins.spindle] {
            if !p.is_file() {
                return Err(format!("SPINDLE_CLI_BIN_DIR: {} is missing", p.display()));
            }
        }
        return Ok(bins);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(&cargo)
        .current_dir(workspace_root())
        .args(["build", "--release", "-p", "cli", "--bins"])
        .arg("--message-format=json-render-diagnostics")
        .env("CARGO_TARGET_DIR", target_dir())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", Path::new(&cargo).display()))?;
    if !out.status.success() {
        return Err(format!(
            "`cargo build --release -p cli --bins` failed ({})",
            out.status
        ));
    }
    let mut mmc_probe = None;
    let mut spindle = None;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if msg["reason"] != "compiler-artifact" {
            continue;
        }
        let Some(exe) = msg["executable"].as_str() else {
            continue;
        };
        match msg["target"]["name"].as_str() {
            Some("mmc-probe") => mmc_probe = Some(PathBuf::from(exe)),
            Some("spindle") => spindle = Some(PathBuf::from(exe)),
            _ => {}
        }
    }
    let release = target_dir().join("release");
    let pick = |found: Option<PathBuf>, name: &str| -> Result<PathBuf, String> {
        let p = found.unwrap_or_else(|| release.join(name));
        if p.is_file() {
            Ok(p)
        } else {
            Err(format!(
                "cargo built the cli package but {} is missing",
                p.display()
            ))
        }
    };
    Ok(CliBins {
        mmc_probe: pick(mmc_probe, "mmc-probe")?,
        spindle: pick(spindle, "spindle")?,
    })
}

/// Builds binary `bin` of package `package` in release mode (workspace target directory) and
/// returns its path, from cargo's artifact messages.
pub fn build_release_bin(package: &str, bin: &str) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(&cargo)
        .current_dir(workspace_root())
        .args(["build", "--release", "-p", package, "--bin", bin])
        .arg("--message-format=json-render-diagnostics")
        .env("CARGO_TARGET_DIR", target_dir())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", Path::new(&cargo).display()))?;
    if !out.status.success() {
        return Err(format!(
            "`cargo build --release -p {package} --bin {bin}` failed ({})",
            out.status
        ));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == bin)
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| format!("cargo built no executable {bin}"))
}

/// Builds this crate's integration test `name` (debug, like `cargo test`) and returns the
/// path of its executable, from cargo's artifact messages.
pub fn build_test_binary(name: &str) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(&cargo)
        .current_dir(workspace_root())
        .args(["test", "-p", "hwtests", "--test", name, "--no-run"])
        .arg("--message-format=json-render-diagnostics")
        .env("CARGO_TARGET_DIR", target_dir())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", Path::new(&cargo).display()))?;
    if !out.status.success() {
        return Err(format!(
            "`cargo test -p hwtests --test {name} --no-run` failed ({})",
            out.status
        ));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == name)
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| format!("cargo built no executable for test {name}"))
}

/// What a finished command left behind.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The exit status; `None` if it was killed by a signal or never ran.
    pub rc: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Outcome {
    /// A one-line description for assertion messages.
    pub fn describe(&self) -> String {
        format!(
            "exit {:?}; stderr: {}; stdout starts: {}",
            self.rc,
            self.stderr.trim(),
            self.stdout.chars().take(300).collect::<String>().trim()
        )
    }

    /// The standard output parsed as JSON.
    pub fn json(&self) -> Result<Value, String> {
        serde_json::from_str(&self.stdout)
            .map_err(|e| format!("stdout is not JSON ({e}): {}", self.describe()))
    }

    /// True when the process panicked (Rust's panic exit status, or the panic message).
    pub fn panicked(&self) -> bool {
        self.rc == Some(101) || self.stderr.contains("panicked at")
    }
}

/// Runs a command, capturing stdout and stderr.
pub fn run(cmd: &mut Command) -> Outcome {
    match cmd.output() {
        Ok(o) => Outcome {
            rc: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        },
        Err(e) => Outcome {
            rc: None,
            stdout: String::new(),
            stderr: format!("could not run {cmd:?}: {e}"),
        },
    }
}

/// `v[key]` as `u64`, or `None`.
pub fn u64_at(v: &Value, pointer: &str) -> Option<u64> {
    v.pointer(pointer).and_then(Value::as_u64)
}

/// `v[key]` as a string, or `""`.
pub fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// Parses the `"data"` hex string of a battery reply ("01 43 44 …").
pub fn hex_bytes(s: &str) -> Result<Vec<u8>, String> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).map_err(|e| format!("bad hex byte {b:?}: {e}")))
        .collect()
}
