//! Writes the hostile images of `tests/support/crafted.rs` into a directory, for the
//! figures in BENCHMARKS.md: `cargo run -p iso9660 --example crafted -- DIR`.

#[path = "../tests/support/crafted.rs"]
mod crafted;

fn main() -> std::io::Result<()> {
    let dir = std::env::args_os()
        .nth(1)
        .map_or_else(|| std::path::PathBuf::from("."), std::path::PathBuf::from);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join("overlapping-dirs.iso"),
        crafted::overlapping_dirs(),
    )?;
    std::fs::write(dir.join("one-bad-extent.iso"), crafted::one_bad_extent())?;
    Ok(())
}
