//! A minimal `mkisofs`-like front end over the library, for benchmarks and manual checks:
//!
//! ```text
//! mkiso [-V LABEL] [--no-joliet] [-R|-r] [--print-size] -o OUT.iso|- PATH|DEST=SRC…
//! ```
//! (`spindle image` is the real CLI; this example exists so the benchmark can run the writer
//! without the rest of spindle.)

use std::ffi::OsString;
use std::io::Write;
use std::os::fd::AsFd;
use std::process::ExitCode;

use iso9660::{GraftPoint, ImageBuilder, Options, Ownership};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mkiso: {e}");
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                eprintln!("  caused by: {s}");
                src = s.source();
            }
            ExitCode::FAILURE
        }
    }
}

fn run() -> iso9660::Result<()> {
    let mut opts = Options {
        source_date_epoch: Options::source_date_epoch_from_env(),
        ..Options::default()
    };
    let mut out: Option<OsString> = None;
    let mut print_size = false;
    let mut grafts = Vec::new();
    let mut args = std::env::args_os().skip(1);
    while let Some(a) = args.next() {
        match a.to_str() {
            Some("-V") => {
                opts.volume_id = args
                    .next()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned()
            }
            Some("-o") => out = args.next(),
            Some("--no-joliet") => opts.joliet = false,
            Some("-R") => opts.ownership = Ownership::Exact,
            Some("-r") => opts.ownership = Ownership::Rationalized,
            Some("--print-size") => print_size = true,
            Some("--md5") => opts.md5 = true,
            Some("--graft-points") => {}
            _ => grafts.push(GraftPoint::parse(&a)?),
        }
    }
    let mut b = ImageBuilder::new(opts)?;
    for g in &grafts {
        b.add(g)?;
    }
    let layout = b.plan()?;
    if print_size {
        println!("{}", layout.sectors());
        return Ok(());
    }
    match out.as_deref().and_then(|o| o.to_str()) {
        Some("-") | None => {
            // Raw fd 1, not the line-buffered `Stdout`.
            let fd = std::io::stdout()
                .as_fd()
                .try_clone_to_owned()
                .map_err(iso9660::Error::Output)?;
            layout.write_to_file(&std::fs::File::from(fd))?;
        }
        Some(_) => {
            let path = out.unwrap_or_default();
            let f = std::fs::File::create(&path).map_err(iso9660::Error::Output)?;
            let mut w = iso9660::SparseFileWriter::new(f);
            layout.write_to(&mut w)?;
            w.flush().map_err(iso9660::Error::Output)?;
            w.finish().map_err(iso9660::Error::Output)?;
        }
    }
    Ok(())
}
