//! Logger setup shared by the binaries: stderr only (stdout carries results), `-v` for info,
//! `-vv` for debug (one decoded line per drive command), `-vvv` for trace; `RUST_LOG` wins
//! when set. The Cedar Backup actions add a log file ([`set_logfile`]), written in cback3's
//! line format whatever the stderr level is.

use std::fs::File;
use std::io::Write;
use std::sync::Mutex;

use log::{LevelFilter, Log, Metadata, Record};

static LOGFILE: Mutex<Option<(File, LevelFilter)>> = Mutex::new(None);

/// Drive transcript lines collected for `mmc-probe --write-test` (see [`capture_start`]).
static CAPTURE: Mutex<Option<Vec<String>>> = Mutex::new(None);

/// The log target of `mmc::Drive`'s one-line-per-command transcript.
const DRIVE_TARGET: &str = "mmc::drive";

fn capturing(m: &Metadata<'_>) -> bool {
    m.level() <= log::Level::Debug
        && m.target().starts_with(DRIVE_TARGET)
        && CAPTURE.lock().is_ok_and(|g| g.is_some())
}

/// Starts collecting the drive's transcript lines (every command `mmc::Drive` sends, with
/// the status and sense it got), whatever the stderr level. Needs the logger ([`init`]).
pub fn capture_start() {
    if let Ok(mut g) = CAPTURE.lock() {
        *g = Some(Vec::new());
    }
    if log::max_level() < LevelFilter::Debug {
        log::set_max_level(LevelFilter::Debug);
    }
}

/// Stops collecting and returns the lines collected since [`capture_start`].
pub fn capture_take() -> Vec<String> {
    CAPTURE
        .lock()
        .ok()
        .and_then(|mut g| g.take())
        .unwrap_or_default()
}

struct Dual {
    stderr: env_logger::Logger,
}

fn file_level() -> LevelFilter {
    LOGFILE
        .lock()
        .ok()
        .and_then(|g| g.as_ref().map(|(_, l)| *l))
        .unwrap_or(LevelFilter::Off)
}

impl Log for Dual {
    fn enabled(&self, m: &Metadata<'_>) -> bool {
        self.stderr.enabled(m) || m.level() <= file_level() || capturing(m)
    }

    fn log(&self, r: &Record<'_>) {
        if capturing(r.metadata()) && r.level() == log::Level::Debug {
            if let Ok(mut g) = CAPTURE.lock() {
                if let Some(lines) = g.as_mut() {
                    lines.push(r.args().to_string());
                }
            }
        }
        if self.stderr.matches(r) {
            self.stderr.log(r);
        }
        if let Ok(mut g) = LOGFILE.lock() {
            if let Some((f, level)) = g.as_mut() {
                // Drive traffic from the libraries only at debug, as cback3's -d.
                if r.level() <= *level {
                    let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S,%3f");
                    let _ = writeln!(
                        f,
                        "{now} --> [{:<6}] - {}: {}",
                        std::process::id(),
                        r.level(),
                        r.args()
                    );
                }
            }
        }
    }

    fn flush(&self) {
        self.stderr.flush();
        if let Ok(mut g) = LOGFILE.lock() {
            if let Some((f, _)) = g.as_mut() {
                let _ = f.flush();
            }
        }
    }
}

/// Installs the logger. `verbose` is the number of `-v` flags.
pub fn init(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    init_filter(default, verbose >= 2);
}

/// Installs the logger with a default stderr filter (`RUST_LOG` wins when set).
pub fn init_filter(default: &str, targets: bool) {
    let env = env_logger::Env::default().filter_or("RUST_LOG", default);
    let stderr = env_logger::Builder::from_env(env)
        .format_timestamp(None)
        .format_target(targets)
        .build();
    let max = stderr.filter();
    // A second init (tests calling run() twice) is harmless; the first logger stays.
    if log::set_boxed_logger(Box::new(Dual { stderr })).is_ok() {
        log::set_max_level(max.max(file_level()));
    }
}

/// Sends log lines up to `level` to `file` too (or stops, with `None`).
pub fn set_logfile(file: Option<File>, level: LevelFilter) {
    if let Ok(mut g) = LOGFILE.lock() {
        *g = file.map(|f| (f, level));
    }
    let l = file_level();
    if l > log::max_level() {
        log::set_max_level(l);
    }
}
