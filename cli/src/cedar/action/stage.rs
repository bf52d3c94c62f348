//! The stage action (`docs/cedar-notes.md` §8): copy each peer's collected files into
//! `<staging_dir>/YYYY/MM/DD/<peer>/`, write the indicators, and always mark the day staged.
//!
//! Local peers are copied file by file (content and mode). Remote peers are copied with the
//! configured rcp command (scp) using Cedar's exact remote paths, so the commands an SSH
//! forced-command script sees are the ones admins whitelisted for cback3:
//! `scp -f <collect_dir>/cback.collect`, `scp -f <collect_dir>/*` and
//! `scp -t <collect_dir>/cback.stage`. Spaces in remote paths are escaped as `\ ` as Cedar
//! does; other shell metacharacters are escaped too, so a path never reaches the remote
//! shell unquoted. Locally, commands run without a shell; as root they run through
//! `su <backup_user> -c '…'` with every argument single-quoted.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};
use nix::fcntl::OFlag;

use super::{
    backup_owner, chown_to_backup, write_indicator, ActionContext, DailyDir, COLLECT_INDICATOR,
    STAGE_INDICATOR,
};
use crate::cedar::config::{IgnoreFailures, Peer, PeerKind};
use crate::cedar::exec::{resolve, sanitize_env, split_command};

/// Whether a peer's failure is only noted (`ignore_failures`).
pub fn ignoring(ctx: &ActionContext<'_>, p: &Peer) -> bool {
    match p.ignore_failures {
        IgnoreFailures::None => false,
        IgnoreFailures::All => true,
        mode => {
            if ctx.full || ctx.today_is_start() {
                mode == IgnoreFailures::Weekly
            } else {
                mode == IgnoreFailures::Daily
            }
        }
    }
}

/// What happened to one peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerOutcome {
    /// Staged this many files.
    Staged(usize),
    /// No collect indicator.
    NotReady,
    /// Staging failed (the message was logged).
    Failed(String),
}

/// The stage action. Peer failures are logged (as errors unless ignored) and do not stop the
/// other peers; the day's `cback.stage` is written at the end in every case, as Cedar does.
///
/// # Errors
/// No `<stage>` section, no peers, the daily directory cannot be made.
pub fn stage(ctx: &ActionContext<'_>) -> anyhow::Result<Vec<(String, PeerOutcome)>> {
    let stage = ctx
        .config
        .stage
        .as_ref()
        .context("the configuration has no <stage> section")?;
    let peers = ctx.config.staging_peers();
    if peers.is_empty() {
        bail!("no peers to stage (<stage> and <peers> list none)");
    }
    let daily = DailyDir::of(&stage.staging_dir, ctx.today);
    if daily.path.is_dir() {
        log::warn!("staging directory {} already exists", daily.path.display());
    } else {
        std::fs::create_dir_all(&daily.path)
            .with_context(|| format!("creating {}", daily.path.display()))?;
        // The day, month and year dirs.
        let mut p = daily.path.clone();
        for _ in 0..3 {
            chown_to_backup(ctx, &p)?;
            if !p.pop() {
                break;
            }
        }
    }
    let mut outcomes = Vec::new();
    for peer in peers {
        let target = daily.path.join(&peer.name);
        if target.is_dir() {
            log::warn!("peer staging directory {} already exists", target.display());
        } else {
            std::fs::create_dir(&target)
                .with_context(|| format!("creating {}", target.display()))?;
            chown_to_backup(ctx, &target)?;
        }
        let ignore = ignoring(ctx, peer);
        let outcome = stage_peer(ctx, peer, &target, ignore);
        outcomes.push((peer.name.clone(), outcome));
    }
    write_indicator(ctx, &daily.path, STAGE_INDICATOR)?;
    log::info!("marked {} staged", daily.path.display());
    Ok(outcomes)
}

fn stage_peer(ctx: &ActionContext<'_>, peer: &Peer, target: &Path, ignore: bool) -> PeerOutcome {
    let ready = match peer.kind {
        PeerKind::Local => peer.collect_dir.join(COLLECT_INDICATOR).is_file(),
        PeerKind::Remote => remote_ready(ctx, peer),
    };
    if !ready {
        if ignore {
            log::info!("Peer [{}] was not ready to be staged (ignored).", peer.name);
        } else {
            log::error!("Peer [{}] was not ready to be staged.", peer.name);
        }
        return PeerOutcome::NotReady;
    }
    let r = match peer.kind {
        PeerKind::Local => stage_local(ctx, peer, target),
        PeerKind::Remote => stage_remote(ctx, peer, target),
    };
    match r {
        Ok(n) => {
            log::info!(
                "staged {n} files from peer [{}] into {}",
                peer.name,
                target.display()
            );
            let ind = match peer.kind {
                PeerKind::Local => write_indicator(ctx, &peer.collect_dir, STAGE_INDICATOR),
                PeerKind::Remote => remote_stage_indicator(ctx, peer),
            };
            if let Err(e) = ind {
                log::error!(
                    "peer [{}]: writing the stage indicator failed: {e:#}",
                    peer.name
                );
            }
            PeerOutcome::Staged(n)
        }
        Err(e) => {
            let msg = format!("{e:#}");
            if ignore {
                log::info!("peer [{}]: staging failed (ignored): {msg}", peer.name);
            } else {
                log::error!("peer [{}]: staging failed: {msg}", peer.name);
            }
            PeerOutcome::Failed(msg)
        }
    }
}

/// Copies a local peer's collect dir (not recursive). Every entry is checked before the first
/// copy (quirk Q8: Cedar stops part way at the first non-file), so a peer is staged whole or
/// not at all; each file is then copied from a descriptor that is checked to be the entry
/// seen (see [`copy_checked`]).
fn stage_local(ctx: &ActionContext<'_>, peer: &Peer, target: &Path) -> anyhow::Result<usize> {
    let files = check_collect_dir(&peer.collect_dir)?;
    let owner = if ctx.root {
        Some(backup_owner(ctx.options())?)
    } else {
        None
    };
    for f in &files {
        copy_checked(&peer.collect_dir, f, target, owner)?;
    }
    Ok(files.len())
}

/// One entry of a collect dir as checked before copying.
#[derive(Debug)]
struct Checked {
    name: OsString,
    /// `(st_dev, st_ino)` of the regular file seen (never through a symbolic link).
    id: (u64, u64),
}

/// Lists a collect dir, refusing any entry that is not a regular file (a symbolic link
/// included: it is not followed). Sorted by name.
fn check_collect_dir(src: &Path) -> anyhow::Result<Vec<Checked>> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(src).with_context(|| format!("reading {}", src.display()))? {
        let e = e.with_context(|| format!("reading {}", src.display()))?;
        // lstat relative to the directory being read.
        let md = e
            .metadata()
            .with_context(|| format!("reading {}", e.path().display()))?;
        if !md.file_type().is_file() {
            bail!(
                "{} is not a regular file (a collect dir holds only files); nothing was copied",
                e.path().display()
            );
        }
        files.push(Checked {
            name: e.file_name(),
            id: (md.dev(), md.ino()),
        });
    }
    if files.is_empty() {
        bail!("{} holds no files", src.display());
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

/// Copies the checked file `src/NAME` to `target/NAME` with its mode (and, as root, gives it
/// to `owner`). The source is opened without following a symbolic link and must still be the
/// regular file that was checked (device and inode), or nothing is copied: stage runs as root,
/// and a collect dir is writable by the peer's user, who could otherwise swap a checked file
/// for a link to a root-only file and have it staged and burnt. The copy is made from that
/// descriptor, and the destination is never reached through a link either.
fn copy_checked(
    src: &Path,
    file: &Checked,
    target: &Path,
    owner: Option<(nix::unistd::Uid, nix::unistd::Gid)>,
) -> anyhow::Result<()> {
    let from = src.join(&file.name);
    let to = target.join(&file.name);
    let flags = (OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_NOCTTY).bits();
    let mut input = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(&from)
    {
        Ok(f) => f,
        Err(e) if e.raw_os_error() == Some(nix::errno::Errno::ELOOP as i32) => bail!(
            "{} became a symbolic link after it was checked; not copied (it is never followed)",
            from.display()
        ),
        Err(e) => return Err(e).with_context(|| format!("opening {}", from.display())),
    };
    let md = input
        .metadata()
        .with_context(|| format!("reading {}", from.display()))?;
    if !md.file_type().is_file() || (md.dev(), md.ino()) != file.id {
        bail!(
            "{} was replaced by another file after it was checked (device and inode differ); \
             not copied",
            from.display()
        );
    }
    let mut output = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .custom_flags(OFlag::O_NOFOLLOW.bits())
        .open(&to)
        .with_context(|| format!("creating {}", to.display()))?;
    std::io::copy(&mut input, &mut output)
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::fchown(&output, Some(uid.as_raw()), Some(gid.as_raw()))
            .with_context(|| format!("chown {}", to.display()))?;
    }
    // After the chown, which clears set-id bits.
    output
        .set_permissions(std::fs::Permissions::from_mode(md.mode() & 0o7777))
        .with_context(|| format!("setting the mode of {}", to.display()))?;
    Ok(())
}

/// Escapes a remote path for the remote shell: Cedar escapes spaces as `\ `; every other
/// character a shell treats specially is escaped the same way (a newline, which a backslash
/// cannot escape, is single-quoted). A path without such characters is unchanged, so the
/// remote command is byte for byte Cedar's.
pub fn remote_escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        let plain = c.is_ascii_alphanumeric()
            || matches!(c, '/' | '.' | '_' | '-' | '+' | ',' | ':' | '@' | '%' | '=')
            || !c.is_ascii();
        if c == '\n' {
            out.push_str("'\n'");
            continue;
        }
        if !plain {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Quotes one word for a POSIX shell (unchanged when it is plain).
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '/' | '.' | '_' | '-' | '+' | ',' | ':' | '@' | '%' | '=')
        })
    {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn remote_spec(user: &str, host: &str, path: &str) -> String {
    format!("{user}@{host}:{path}")
}

/// Runs `rcp src dst`, directly, or through `su <backup_user> -c` when root.
fn run_copy(ctx: &ActionContext<'_>, peer: &Peer, src: &str, dst: &str) -> anyhow::Result<()> {
    let rcp = peer.rcp(ctx.options());
    let mut argv = split_command(rcp);
    let Some(first) = argv.first_mut() else {
        bail!("rcp_command is empty");
    };
    // `<override>` names the copy program by its first word, as Cedar resolves it.
    *first = resolve(ctx.options(), first);
    argv.push(src.to_owned());
    argv.push(dst.to_owned());
    let mut cmd = if ctx.root {
        let line = argv
            .iter()
            .map(|a| shell_quote(a))
            .collect::<Vec<_>>()
            .join(" ");
        let mut c = Command::new(resolve(ctx.options(), "su"));
        c.arg(&ctx.options().backup_user).arg("-c").arg(line);
        c
    } else {
        let mut c = Command::new(argv.remove(0));
        c.args(&argv);
        c
    };
    sanitize_env(&mut cmd);
    log::debug!("running {cmd:?}");
    let out = cmd.output().with_context(|| format!("running {rcp}"))?;
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr);
        let why = why.trim();
        let sep = if why.is_empty() { "" } else { ": " };
        bail!("{rcp} {src} {dst} failed ({}){sep}{why}", out.status);
    }
    Ok(())
}

fn remote_ready(ctx: &ActionContext<'_>, peer: &Peer) -> bool {
    let local = ctx.options().working_dir.join(COLLECT_INDICATOR);
    let _ = std::fs::remove_file(&local);
    let remote = format!("{}/{COLLECT_INDICATOR}", peer.collect_dir.display());
    let src = remote_spec(
        peer.remote_user(ctx.options()),
        &peer.name,
        &remote_escape(&remote),
    );
    let r = run_copy(ctx, peer, &src, &local.to_string_lossy());
    let ready = local.is_file();
    if let (Err(e), false) = (&r, ready) {
        // Why: no indicator on the peer, or the peer, ssh or working_dir is the problem.
        log::info!(
            "peer [{}]: fetching {COLLECT_INDICATOR} failed: {e:#}",
            peer.name
        );
    }
    let _ = std::fs::remove_file(&local);
    ready
}

fn list_files(dir: &Path) -> anyhow::Result<BTreeSet<PathBuf>> {
    let mut out = BTreeSet::new();
    for e in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        out.insert(e?.path());
    }
    Ok(out)
}

fn stage_remote(ctx: &ActionContext<'_>, peer: &Peer, target: &Path) -> anyhow::Result<usize> {
    let before = list_files(target)?;
    // Only the final `*` is left for the remote shell to expand.
    let remote = format!(
        "{}/*",
        remote_escape(&peer.collect_dir.display().to_string())
    );
    let src = remote_spec(peer.remote_user(ctx.options()), &peer.name, &remote);
    run_copy(ctx, peer, &src, &target.to_string_lossy())?;
    let after = list_files(target)?;
    if after.is_empty() {
        bail!("no files were copied from remote peer [{}]", peer.name);
    }
    let new: Vec<&PathBuf> = after.difference(&before).collect();
    if new.is_empty() {
        bail!("Apparently did not copy any new files from remote peer.");
    }
    for p in &new {
        chown_to_backup(ctx, p)?;
    }
    Ok(new.len())
}

fn remote_stage_indicator(ctx: &ActionContext<'_>, peer: &Peer) -> anyhow::Result<()> {
    let local = ctx.options().working_dir.join(STAGE_INDICATOR);
    std::fs::write(&local, b"").with_context(|| format!("writing {}", local.display()))?;
    chown_to_backup(ctx, &local)?;
    let remote = format!("{}/{STAGE_INDICATOR}", peer.collect_dir.display());
    let dst = remote_spec(
        peer.remote_user(ctx.options()),
        &peer.name,
        &remote_escape(&remote),
    );
    let r = run_copy(ctx, peer, &local.to_string_lossy(), &dst);
    let _ = std::fs::remove_file(&local);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            remote_escape("/opt/backup/collect/cback.collect"),
            "/opt/backup/collect/cback.collect"
        );
        assert_eq!(remote_escape("/a b/c"), r"/a\ b/c");
        assert_eq!(remote_escape("/a*b"), r"/a\*b");
        assert_eq!(remote_escape("/a;rm -rf x"), r"/a\;rm\ -rf\ x");
        assert_eq!(remote_escape("/a$(x)'`"), r"/a\$\(x\)\'\`");
        assert_eq!(remote_escape("/a\nb"), "/a'\n'b");
        assert_eq!(shell_quote("/usr/bin/scp"), "/usr/bin/scp");
        assert_eq!(shell_quote(r"b@h:/a\ b/*"), r"'b@h:/a\ b/*'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    const SECRET: &[u8] = b"root-only bytes that must never be staged";

    /// A collect-dir file swapped for a symbolic link (or for another file) between the check
    /// and the copy is not copied, and the link's target is not read.
    #[test]
    fn swap_between_check_and_copy_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let collect = tmp.path().join("collect");
        let target = tmp.path().join("target");
        std::fs::create_dir(&collect).unwrap();
        std::fs::create_dir(&target).unwrap();
        let secret = tmp.path().join("secret");
        std::fs::write(&secret, SECRET).unwrap();
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
        for (name, swap) in [("link.tar", true), ("other.tar", false)] {
            let victim = collect.join(name);
            std::fs::write(&victim, b"harmless").unwrap();
            let checked = check_collect_dir(&collect).unwrap();
            let entry = checked.iter().find(|c| c.name == name).unwrap();
            std::fs::remove_file(&victim).unwrap();
            if swap {
                std::os::unix::fs::symlink(&secret, &victim).unwrap();
            } else {
                std::fs::hard_link(&secret, &victim).unwrap();
            }
            let err = copy_checked(&collect, entry, &target, None).unwrap_err();
            let msg = format!("{err:#}");
            assert!(msg.contains(name), "{msg}");
            let staged = std::fs::read(target.join(name)).unwrap_or_default();
            assert!(
                !staged.windows(SECRET.len()).any(|w| w == SECRET),
                "{name}: the secret was staged"
            );
            std::fs::remove_file(&victim).unwrap();
        }
    }

    /// The checked file itself is copied with its mode.
    #[test]
    fn checked_file_is_copied_with_mode() {
        let tmp = tempfile::tempdir().unwrap();
        let collect = tmp.path().join("collect");
        let target = tmp.path().join("target");
        std::fs::create_dir(&collect).unwrap();
        std::fs::create_dir(&target).unwrap();
        std::fs::write(collect.join("a.tar"), b"data").unwrap();
        std::fs::set_permissions(
            collect.join("a.tar"),
            std::fs::Permissions::from_mode(0o640),
        )
        .unwrap();
        std::os::unix::fs::symlink("a.tar", collect.join("b.tar")).unwrap();
        let err = check_collect_dir(&collect).unwrap_err();
        assert!(format!("{err:#}").contains("b.tar"), "{err:#}");
        std::fs::remove_file(collect.join("b.tar")).unwrap();
        let checked = check_collect_dir(&collect).unwrap();
        copy_checked(&collect, &checked[0], &target, None).unwrap();
        assert_eq!(std::fs::read(target.join("a.tar")).unwrap(), b"data");
        let mode = std::fs::metadata(target.join("a.tar")).unwrap().mode();
        assert_eq!(mode & 0o7777, 0o640);
    }
}
