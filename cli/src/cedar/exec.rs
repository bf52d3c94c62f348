//! Outside commands run the way cback3 runs them.
//!
//! - **Splitting**: a command line from the configuration (`rcp_command`, `rsh_command`, a
//!   hook) is cut into words as Cedar cuts it: runs of characters other than space and `"`,
//!   or a double-quoted run of at least one character; quotes are dropped and nothing else
//!   is special. No shell ever reads it (`$HOME`, `;`, `|` are plain characters).
//! - **Environment**: every child gets Cedar's clean-up, so that programs whose output is
//!   read answer in the same language everywhere: the thirteen POSIX locale categories
//!   `LC_ADDRESS` … `LC_TIME` (and `LC_ALL`) are removed and `LANG`, when set, becomes `C`.
//!   Everything else, `PATH` included, is passed on unchanged, and a bare program name is
//!   looked up in `PATH`.
//! - **Overrides**: `<options><override><command>NAME</command><abs_path>PATH</abs_path>`
//!   makes Cedar run PATH wherever it would run NAME, matched on the exact first word
//!   (`su`, or `/usr/bin/scp` for `rcp_command /usr/bin/scp -B`). spindle runs `su` and the
//!   first words of the rcp and rsh commands, and resolves those; the programs Cedar uses to
//!   write, eject, mount and label discs are replaced by spindle's own code, so overrides
//!   for them are accepted and reported as unused.
//! - **Output**: a hook's standard output and standard error are one stream, logged line by
//!   line: at info with `-O` (cback3's "record sub-command output to the log"), at debug
//!   otherwise, so the log file has it with `-O` or `-d`, as cback3's has; the last lines
//!   go into the error when the hook fails. Standard input is the caller's.

use std::io::{BufRead, BufReader};
use std::process::{Command, ExitStatus, Stdio};

use anyhow::Context;

use crate::cedar::config::{Config, Options};

/// The locale variables Cedar removes from the environment of every command it runs.
pub const LOCALE_VARS: [&str; 13] = [
    "LC_ADDRESS",
    "LC_ALL",
    "LC_COLLATE",
    "LC_CTYPE",
    "LC_IDENTIFICATION",
    "LC_MEASUREMENT",
    "LC_MESSAGES",
    "LC_MONETARY",
    "LC_NAME",
    "LC_NUMERIC",
    "LC_PAPER",
    "LC_TELEPHONE",
    "LC_TIME",
];

/// Applies Cedar's environment clean-up to `cmd`: no locale variables, `LANG=C` when set.
pub fn sanitize_env(cmd: &mut Command) {
    for v in LOCALE_VARS {
        cmd.env_remove(v);
    }
    if std::env::var_os("LANG").is_some() {
        cmd.env("LANG", "C");
    }
}

/// Splits a command line into words as Cedar does (see the module doc):
/// `scp -o "A B"` → `scp`, `-o`, `A B`; `a""b` → `a`, `b`; tabs are not separators.
pub fn split_command(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        match c {
            ' ' => rest = &rest[1..],
            '"' => {
                // A quoted word needs a closing quote and at least one character between;
                // otherwise the quote is skipped on its own.
                match rest[1..].find('"') {
                    Some(end) if end > 0 => {
                        out.push(rest[1..=end].to_owned());
                        rest = &rest[end + 2..];
                    }
                    _ => rest = &rest[1..],
                }
            }
            _ => {
                let end = rest.find([' ', '"']).unwrap_or(rest.len());
                out.push(rest[..end].to_owned());
                rest = &rest[end..];
            }
        }
    }
    out
}

/// The program to run for `name`: the override's path when `<override>` names it exactly,
/// else `name` itself.
pub fn resolve(o: &Options, name: &str) -> String {
    o.overrides
        .iter()
        .rev()
        .find(|ov| ov.command == name)
        .map_or_else(|| name.to_owned(), |ov| ov.abs_path.display().to_string())
}

/// Programs cback3 runs that spindle does not, because it does their work itself.
const NATIVE: [(&str, &str); 7] = [
    ("cdrecord", "spindle writes CDs itself (SCSI MMC commands)"),
    (
        "growisofs",
        "spindle writes DVDs itself (SCSI MMC commands)",
    ),
    ("mkisofs", "spindle builds the ISO 9660 image itself"),
    ("eject", "spindle moves the tray itself (START STOP UNIT)"),
    ("volname", "spindle reads the label from the disc itself"),
    (
        "mount",
        "check_data reads the disc through the drive, not a mount",
    ),
    (
        "umount",
        "check_data reads the disc through the drive, not a mount",
    ),
];

/// The first words of every rcp and rsh command the configuration can make spindle run.
fn remote_programs(c: &Config) -> Vec<String> {
    let o = &c.options;
    let mut lines: Vec<&str> = vec![&o.rcp_command];
    lines.extend(o.rsh_command.as_deref());
    let peers = c
        .peers
        .iter()
        .flatten()
        .chain(c.stage.iter().flat_map(|s| s.peers.iter()));
    for p in peers {
        lines.extend(p.rcp_command.as_deref());
        lines.extend(p.rsh_command.as_deref());
    }
    if c.peers.iter().flatten().any(|p| p.managed) && o.rsh_command.is_none() {
        lines.push(crate::cedar::action::managed::DEFAULT_RSH);
    }
    lines
        .into_iter()
        .filter_map(|l| split_command(l).into_iter().next())
        .collect()
}

/// Logs, once per run, what each `<override>` does in spindle.
pub fn note_overrides(c: &Config) {
    let remote = remote_programs(c);
    for ov in &c.options.overrides {
        let path = ov.abs_path.display();
        if let Some((_, why)) = NATIVE.iter().find(|(n, _)| *n == ov.command) {
            log::info!(
                "override {} -> {path}: not used ({why}; {} is never run)",
                ov.command,
                ov.command
            );
        } else if ov.command == "su" || remote.contains(&ov.command) {
            log::info!(
                "override {} -> {path}: spindle runs {path} for it",
                ov.command
            );
        } else {
            log::info!(
                "override {} -> {path}: not used by spindle (cback3 or its extensions run {})",
                ov.command,
                ov.command
            );
        }
    }
}

/// Runs `argv` as cback3 runs a hook: no shell, Cedar's environment, standard error merged
/// into standard output, every output line logged as `prefix: line` (at info when
/// `output`, else at debug). Returns the exit status and the last lines of output (for the
/// error message).
///
/// # Errors
/// The program cannot be started.
pub fn run_logged(
    argv: &[String],
    prefix: &str,
    output: bool,
) -> anyhow::Result<(ExitStatus, Vec<String>)> {
    let Some((prog, args)) = argv.split_first() else {
        anyhow::bail!("empty command");
    };
    let (reader, writer) = std::io::pipe().context("creating a pipe")?;
    let mut cmd = Command::new(prog);
    cmd.args(args)
        .stdin(Stdio::inherit())
        .stdout(writer.try_clone().context("duplicating a pipe")?)
        .stderr(writer);
    sanitize_env(&mut cmd);
    log::debug!("running {cmd:?}");
    let mut child = cmd.spawn().with_context(|| format!("starting {prog}"))?;
    // The command holds the write ends; dropping ours lets the read end see EOF.
    drop(cmd);
    let mut tail = std::collections::VecDeque::new();
    for line in BufReader::new(reader).split(b'\n') {
        let line = line.context("reading the command's output")?;
        let line = String::from_utf8_lossy(&line).into_owned();
        if output {
            log::info!("{prefix}: {line}");
        } else {
            log::debug!("{prefix}: {line}");
        }
        if tail.len() == 10 {
            tail.pop_front();
        }
        tail.push_back(line);
    }
    let status = child.wait().context("waiting for the command")?;
    Ok((status, tail.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting_as_cedar() {
        assert_eq!(split_command("/usr/bin/scp -B"), ["/usr/bin/scp", "-B"]);
        assert_eq!(
            split_command(r#"echo "I AM A HOOK"  x"#),
            ["echo", "I AM A HOOK", "x"]
        );
        // An empty quoted word is no word; a quote ends an unquoted word.
        assert_eq!(split_command(r#"a "" b"#), ["a", "b"]);
        assert_eq!(split_command(r#"a"b c"d"#), ["a", "b c", "d"]);
        // An unmatched quote is dropped; tabs stay inside words; no shell syntax.
        assert_eq!(split_command(r#"a "b c"#), ["a", "b", "c"]);
        assert_eq!(split_command("a\tb $HOME;x"), ["a\tb", "$HOME;x"]);
        assert!(split_command("   ").is_empty());
    }

    #[test]
    fn the_environment_is_cleaned_as_cedar_cleans_it() {
        let mut c = Command::new("env");
        sanitize_env(&mut c);
        let removed: Vec<_> = c
            .get_envs()
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect();
        assert_eq!(removed.len(), 13);
        assert!(removed.iter().all(|k| k.starts_with("LC_")));
    }
}
