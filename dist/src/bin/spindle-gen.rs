//! `spindle-gen man|completions|all OUTDIR`: writes the manual pages (`OUTDIR/manN/`), the
//! shell completions (`OUTDIR/{bash,zsh,fish}/`), or both (`OUTDIR/man`, `OUTDIR/completions`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};

/// Generates spindle's manual pages and shell completions from its clap definitions.
#[derive(Debug, Parser)]
#[command(name = "spindle-gen", version, about)]
struct Args {
    /// What to write.
    what: What,
    /// Where to write it (made if missing).
    outdir: PathBuf,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum What {
    /// Manual pages, in OUTDIR/man1 and OUTDIR/man5.
    Man,
    /// bash, zsh and fish completions, in OUTDIR/bash, OUTDIR/zsh, OUTDIR/fish.
    Completions,
    /// Both, in OUTDIR/man and OUTDIR/completions.
    All,
}

fn main() -> ExitCode {
    let a = Args::parse();
    let r = match a.what {
        What::Man => dist::man::write(&a.outdir),
        What::Completions => dist::completions::write(&a.outdir),
        What::All => dist::write_all(&a.outdir),
    };
    match r {
        Ok(files) => {
            for f in files {
                println!("{}", f.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("spindle-gen: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
