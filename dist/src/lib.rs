//! What a package of spindle ships besides the two binaries, made from the code so it cannot
//! drift from it: manual pages generated from the clap definitions ([`man`]) with written
//! sections (EXIT STATUS from [`cli::exit`], FILES, EXAMPLES, SEE ALSO), the hand-written
//! `spindle-cedar(5)`, and shell completions for bash, zsh and fish ([`completions`]).
//! `spindle-gen man|completions|all OUTDIR` writes them; `scripts/build-deb.sh` packs them
//! with the binaries and the systemd units in `dist/systemd/`.
//!
//! API structure: [`spindle_command`] and [`probe_command`] are the two clap trees;
//! [`man::pages`] renders every page as a [`man::Page`]; [`completions::write`] writes the
//! completion scripts; [`write_all`] lays out both as a package wants them.
#![forbid(unsafe_code)]

pub mod completions;
pub mod man;

use std::path::{Path, PathBuf};

use clap::CommandFactory;

/// The `spindle` command tree.
pub fn spindle_command() -> clap::Command {
    cli::spindle::Cli::command()
}

/// The `mmc-probe` command tree.
pub fn probe_command() -> clap::Command {
    cli::cmd::probe::Args::command()
}

/// Writes the manual pages to `OUT/man/manN/` and the completions to
/// `OUT/completions/{bash,zsh,fish}/`, the layout `scripts/build-deb.sh` packs. Returns every
/// file written.
///
/// # Errors
/// I/O errors, naming the path.
pub fn write_all(out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = man::write(&out.join("man"))?;
    files.extend(completions::write(&out.join("completions"))?);
    Ok(files)
}
