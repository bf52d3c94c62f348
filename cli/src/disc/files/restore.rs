//! Restoring entries of a [`Medium`] to the local file system, as `spindle get` and the
//! xorriso front's `-cpx` do: files are written under a temporary name beside their place
//! (never through a symbolic link) and renamed into place; mode, times and, as root, owner
//! are kept.

use std::ffi::{OsStr, OsString};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::{bail, Context};

use super::{Medium, Node, NodeKind};

/// Makes (or reuses) a directory to restore into, writable by us until its final mode is
/// set after its contents.
///
/// # Errors
/// Something other than a directory is there, or it cannot be made.
pub fn restore_dir(local: &Path) -> anyhow::Result<()> {
    match std::fs::symlink_metadata(local) {
        Ok(md) if md.is_dir() => {}
        Ok(_) => bail!("{} exists and is not a directory", local.display()),
        Err(_) => {
            std::fs::create_dir(local).with_context(|| format!("creating {}", local.display()))?
        }
    }
    std::fs::set_permissions(local, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("making {} writable", local.display()))
}

/// Writes a file under a temporary name beside its place (never following a symlink), sets
/// its metadata on the open handle, and renames it into place. `ip` is the normalized image
/// path of `node`; the owner is kept only `as_root` (set-id bits too).
///
/// # Errors
/// Reading the medium, writing the file or setting its metadata; the temporary file is
/// removed then.
pub fn restore_file(
    m: &Medium,
    ip: &[u8],
    local: &Path,
    node: &Node,
    as_root: bool,
) -> anyhow::Result<()> {
    let mut tmp_name = OsString::from(".");
    tmp_name.push(local.file_name().unwrap_or_default());
    tmp_name.push(".spindle-get");
    let tmp = local.with_file_name(tmp_name);
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
        .open(&tmp)
        .with_context(|| format!("creating {}", tmp.display()))?;
    let written = m.read_file(ip, &mut f).and_then(|_| {
        apply_metadata(&f, node, as_root)?;
        std::fs::rename(&tmp, local).with_context(|| format!("renaming to {}", local.display()))
    });
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Mode, times and (as root) owner of a restored file, through its open handle.
fn apply_metadata(f: &std::fs::File, node: &Node, as_root: bool) -> anyhow::Result<()> {
    use nix::sys::stat::{fchmod, futimens, Mode};
    use nix::sys::time::TimeSpec;
    if as_root {
        nix::unistd::fchown(
            f.as_raw_fd(),
            Some(nix::unistd::Uid::from_raw(node.uid)),
            Some(nix::unistd::Gid::from_raw(node.gid)),
        )
        .context("setting the owner")?;
    }
    let mode = node.mode & if as_root { 0o7777 } else { 0o777 };
    fchmod(f.as_raw_fd(), Mode::from_bits_truncate(mode)).context("setting the mode")?;
    let t = TimeSpec::new(node.mtime, 0);
    futimens(f.as_raw_fd(), &TimeSpec::new(node.atime, 0), &t).context("setting the times")?;
    Ok(())
}

/// Mode, times and (as root) owner of a restored directory or symlink, by path without
/// following a final symlink (`link`: it is a symlink, whose mode is not set).
///
/// # Errors
/// Setting the owner, mode or times fails.
pub fn set_metadata(local: &Path, node: &Node, as_root: bool, link: bool) -> anyhow::Result<()> {
    use nix::fcntl::AtFlags;
    use nix::sys::stat::{utimensat, UtimensatFlags};
    use nix::sys::time::TimeSpec;
    if as_root {
        nix::unistd::fchownat(
            None,
            local,
            Some(nix::unistd::Uid::from_raw(node.uid)),
            Some(nix::unistd::Gid::from_raw(node.gid)),
            AtFlags::AT_SYMLINK_NOFOLLOW,
        )
        .context("setting the owner")?;
    }
    if !link {
        let mode = node.mode & if as_root { 0o7777 } else { 0o777 };
        std::fs::set_permissions(local, std::fs::Permissions::from_mode(mode))
            .context("setting the mode")?;
    }
    utimensat(
        None,
        local,
        &TimeSpec::new(node.atime, 0),
        &TimeSpec::new(node.mtime, 0),
        UtimensatFlags::NoFollowSymlink,
    )
    .context("setting the times")?;
    Ok(())
}

/// Makes a symlink; one already there (from an earlier run) is replaced, anything else is
/// left alone.
///
/// # Errors
/// Something other than a symlink is at `local`, or making it fails.
pub fn restore_symlink(local: &Path, node: &Node, as_root: bool) -> anyhow::Result<()> {
    let NodeKind::Symlink(t) = &node.kind else {
        bail!("not a symlink");
    };
    match std::fs::symlink_metadata(local) {
        Ok(md) if md.file_type().is_symlink() => std::fs::remove_file(local)
            .with_context(|| format!("replacing the symlink {}", local.display()))?,
        Ok(_) => bail!(
            "{} exists; not replacing it with a symlink",
            local.display()
        ),
        Err(_) => {}
    }
    std::os::unix::fs::symlink(OsStr::from_bytes(t), local)
        .with_context(|| format!("creating the symlink {}", local.display()))?;
    set_metadata(local, node, as_root, true)
}

/// Fails if a component of `rel` below `dest` is a symbolic link (a restore must not write
/// through one: it may lead outside `dest`).
///
/// # Errors
/// Such a component, naming it.
pub fn check_no_symlink_on_the_way(dest: &Path, rel: &Path) -> anyhow::Result<()> {
    let mut cur = dest.to_path_buf();
    for c in rel.components() {
        cur.push(c);
        if let Ok(md) = std::fs::symlink_metadata(&cur) {
            if md.file_type().is_symlink() {
                bail!(
                    "{} is a symlink: refusing to write through it (it may lead outside {})",
                    cur.display(),
                    dest.display()
                );
            }
        }
    }
    Ok(())
}
