//! `spindle image`: build an ISO 9660 image, as mkisofs / genisoimage / xorrisofs do, with the
//! flags their users know.

use std::ffi::OsString;
use std::io::Write;
use std::os::fd::AsFd;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use iso9660::{GraftPoint, Image, ImageBuilder, Lba, Options, Ownership};

/// Arguments of `spindle image`.
#[derive(Debug, Args)]
#[command(after_help = "\
Sources are PATH (a directory's contents go to the image root, a file to /NAME) or DEST=SRC
(graft points, always accepted; `\\=` escapes an = in a name). Rock Ridge is always written;
Joliet unless --no-joliet. The same inputs and SOURCE_DATE_EPOCH give byte-identical images.

mkisofs spellings work too: -print-size, -graft-points, -joliet-long is implied.

Examples:
  spindle image -V 'CEDAR BACKUP 22-NOV-2026' -o /tmp/b.iso 2026/11/22/=/var/backup/stage
  spindle image --print-size /srv/data                       # sectors, exactly as written
  spindle image -o - /srv/data | ssh host 'cat > disc.iso'
  spindle image -C 0,1200 -M old.iso -o session2.iso new/=/srv/more   # next session")]
pub struct ImageArgs {
    /// Volume label (32 characters at most; Cedar's are 24).
    #[arg(short = 'V', long = "volid", value_name = "LABEL", default_value = "")]
    pub volume_id: String,
    /// Where to write the image; `-` is standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Record owners and modes exactly as they are (what backups want).
    #[arg(short = 'R', long = "rock", conflicts_with = "rational_rock")]
    pub exact: bool,
    /// Rationalize owners and modes as mkisofs -r does (owner root, read for everyone). The default.
    #[arg(short = 'r', long = "rational-rock")]
    pub rational_rock: bool,
    /// Leave out the Joliet tree.
    #[arg(long)]
    pub no_joliet: bool,
    /// Leave out the MD5 checksums (recorded by default in libisofs's format, as
    /// `xorrisofs --md5` does, so `spindle check` and `xorriso -check_md5` verify the image).
    #[arg(long)]
    pub no_md5: bool,
    /// Record MD5 checksums (the default; accepted for xorrisofs compatibility).
    #[arg(long = "md5", conflicts_with = "no_md5")]
    pub md5: bool,
    /// Write the Joliet tree (the default; accepted for mkisofs compatibility).
    #[arg(short = 'J', long = "joliet", conflicts_with = "no_joliet")]
    pub joliet: bool,
    /// Accepted for mkisofs compatibility: DEST=SRC is always understood.
    #[arg(long)]
    pub graft_points: bool,
    /// Print the image size in 2048-byte sectors (exactly what would be written) and stop.
    #[arg(long)]
    pub print_size: bool,
    /// Multisession: LAST_START,NEXT_START in sectors (mkisofs -C); needs -M.
    #[arg(short = 'C', value_name = "A,B", requires = "previous")]
    pub cdrecord: Option<String>,
    /// Multisession: the image (or medium image) holding the earlier sessions (mkisofs -M).
    #[arg(short = 'M', value_name = "FILE", requires = "cdrecord")]
    pub previous: Option<PathBuf>,
    /// Remove these paths from the merged tree of a multisession image.
    #[arg(long, value_name = "PATH", requires = "previous")]
    pub remove: Vec<OsString>,
    /// The sources: PATH or DEST=SRC.
    #[arg(value_name = "SOURCE", required = true)]
    pub sources: Vec<OsString>,
}

/// Rewrites mkisofs's single-dash long options to clap's spelling.
pub fn mkisofs_spellings(args: Vec<OsString>) -> Vec<OsString> {
    args.into_iter()
        .map(|a| match a.to_str() {
            Some("-print-size") => "--print-size".into(),
            Some("-graft-points") => "--graft-points".into(),
            Some("-joliet") => "-J".into(),
            Some("-volid") => "-V".into(),
            Some("-rock") => "-R".into(),
            Some("-rational-rock") => "-r".into(),
            _ => a,
        })
        .collect()
}

fn parse_c(s: &str) -> anyhow::Result<(u32, u32)> {
    let (a, b) = s
        .split_once(',')
        .with_context(|| format!("-C wants LAST_START,NEXT_START, got '{s}'"))?;
    Ok((
        a.trim()
            .parse()
            .with_context(|| format!("-C: '{a}' is not a sector number"))?,
        b.trim()
            .parse()
            .with_context(|| format!("-C: '{b}' is not a sector number"))?,
    ))
}

/// Runs `spindle image`.
///
/// # Errors
/// Bad sources (named), unreadable previous sessions, write failures.
pub fn run(a: &ImageArgs) -> anyhow::Result<()> {
    let options = Options {
        volume_id: a.volume_id.clone(),
        joliet: !a.no_joliet,
        ownership: if a.exact {
            Ownership::Exact
        } else {
            Ownership::Rationalized
        },
        source_date_epoch: Options::source_date_epoch_from_env(),
        md5: !a.no_md5,
        ..Options::default()
    };
    let mut builder = match (&a.cdrecord, &a.previous) {
        (Some(c), Some(prev)) => {
            let (last, next) = parse_c(c)?;
            let f = std::fs::File::open(prev)
                .with_context(|| format!("opening the previous session {}", prev.display()))?;
            let mut image = Image::open_session(std::io::BufReader::new(f), Lba(last))
                .with_context(|| {
                    format!(
                        "{}: no ISO 9660 session at sector {last} (check the first -C number)",
                        prev.display()
                    )
                })?;
            ImageBuilder::append(options, &mut image, Lba(next))
                .context("importing the previous session")?
        }
        _ => ImageBuilder::new(options)?,
    };
    for r in &a.remove {
        if !builder.remove(r) {
            bail!(
                "--remove {}: no such path in the previous session",
                r.to_string_lossy()
            );
        }
    }
    for s in &a.sources {
        let g =
            GraftPoint::parse(s).with_context(|| format!("source '{}'", s.to_string_lossy()))?;
        builder
            .add(&g)
            .with_context(|| format!("adding '{}'", s.to_string_lossy()))?;
    }
    let layout = builder.plan()?;
    for w in layout.warnings() {
        log::warn!("{w:?}");
    }
    crate::disc::log_carried_md5s(&layout);
    if a.print_size {
        println!("{}", layout.sectors());
        return Ok(());
    }
    let Some(out) = &a.output else {
        bail!("say where the image goes with -o FILE (or -o - for standard output), or use --print-size")
    };
    if out.as_os_str() == "-" {
        // The raw descriptor, not the line-buffered Stdout: the image is megabytes of binary.
        let fd = std::io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .context("duplicating standard output")?;
        layout.write_to_file(&std::fs::File::from(fd))?;
    } else if std::fs::metadata(out).is_ok_and(|m| !m.is_file()) {
        // A device node or a pipe: written in place (there is nothing to rename over).
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(out)
            .with_context(|| format!("opening {}", out.display()))?;
        layout
            .write_to_file(&f)
            .with_context(|| format!("writing {}", out.display()))?;
    } else {
        write_atomically(&layout, out)?;
    }
    log::info!("{} sectors written", layout.sectors());
    Ok(())
}

/// Writes the image to a temporary file beside `out` and renames it over `out` only when
/// the whole image is written and flushed: a failed run (a source that vanished, a full
/// disk) leaves neither a partial image nor a damaged earlier one.
fn write_atomically(layout: &iso9660::Layout, out: &std::path::Path) -> anyhow::Result<()> {
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".spindle-image-")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    let (f, tmp_path) = tmp.into_parts();
    let mut w = iso9660::SparseFileWriter::new(f);
    layout
        .write_to(&mut w)
        .with_context(|| format!("writing {}", out.display()))?;
    w.flush()
        .with_context(|| format!("writing {}", out.display()))?;
    let f = w
        .finish()
        .with_context(|| format!("writing {}", out.display()))?;
    f.sync_data()
        .with_context(|| format!("flushing {}", out.display()))?;
    // Temporary files are created 0600; an image is as readable as any new file.
    let mode = 0o666 & !current_umask();
    std::fs::set_permissions(
        &tmp_path,
        std::os::unix::fs::PermissionsExt::from_mode(mode),
    )?;
    tmp_path
        .persist(out)
        .map_err(|e| e.error)
        .with_context(|| format!("renaming the finished image to {}", out.display()))?;
    Ok(())
}

fn current_umask() -> u32 {
    let old = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o022));
    nix::sys::stat::umask(old);
    old.bits()
}
