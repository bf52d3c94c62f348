//! Logger setup shared by the binaries: stderr only (stdout carries results), `-v` for info,
//! `-vv` for debug (one decoded line per drive command), `-vvv` for trace; `RUST_LOG` wins
//! when set.

/// Installs the logger. `verbose` is the number of `-v` flags.
pub fn init(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let env = env_logger::Env::default().filter_or("RUST_LOG", default);
    // A second init (tests calling run() twice) is harmless; ignore it.
    let _ = env_logger::Builder::from_env(env)
        .format_timestamp(None)
        .format_target(verbose >= 2)
        .try_init();
}
