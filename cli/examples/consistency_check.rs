//! Runs Cedar's consistency check (`check_data`, the function `spindle store` calls after
//! writing) alone, for benchmarks: `scripts/bench-scale.sh` times it against `sha1sum` over
//! the same files.
//!
//!   usage: consistency_check TARGET STAGING_DIR [SUFFIX]
//!
//! TARGET is what `<target_device>` names (a drive, mock:DIR or an image file); STAGING_DIR
//! is compared with `/SUFFIX` in its last session (default: the root, for an image made of
//! STAGING_DIR itself). Exit 0 when they match, 1 with the differences otherwise.

use std::path::PathBuf;

use cli::cedar::action::{consistency_check, DailyDir};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(target), Some(dir)) = (args.first(), args.get(1)) else {
        eprintln!("usage: consistency_check TARGET STAGING_DIR [SUFFIX]");
        std::process::exit(2);
    };
    let daily = DailyDir {
        path: PathBuf::from(dir),
        suffix: args.get(2).cloned().unwrap_or_default(),
    };
    match consistency_check::check(target, &[daily]) {
        Ok(c) if c.by_md5.is_empty() => println!("{dir} matches {target}"),
        // The staging dir was gone or empty: the check fell back to the recorded MD5s, so
        // the figure would not be a comparison with the local files.
        Ok(_) => println!("{dir} is gone or empty: {target} checked by its recorded MD5s"),
        Err(e) => {
            eprintln!("consistency_check: {e:#}");
            std::process::exit(1);
        }
    }
}
