//! Logger setup shared by the binaries: stderr only (stdout carries results), `-v` for info,
//! `-vv` for debug (one decoded line per drive command), `-vvv` for trace; `RUST_LOG` wins
//! when set. The Cedar Backup actions add a log file ([`set_logfile`]), written in cback3's
//! line format whatever the stderr level is.

use std::fs::File;
use std::io::Write;
use std::sync::Mutex;

use log::{LevelFilter, Log, Metadata, Record};

static LOGFILE: Mutex<Option<(File, LevelFilter)>> = Mutex::new(None);

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
        self.stderr.enabled(m) || m.level() <= file_level()
    }

    fn log(&self, r: &Record<'_>) {
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
