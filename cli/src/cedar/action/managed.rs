//! Managed actions (`--managed`, `--managed-only`): run an action on managed remote peers
//! with `<rsh_command> <user>@<host> '<cback_command> [--full] <action>'`.
//!
//! Cedar runs this through `su <backup_user> -c` and so needs root (quirk Q9). spindle uses
//! `su` only when it runs as root; otherwise it runs the remote shell as the current user.
//! The remote command string is Cedar's, byte for byte, so forced-command scripts that
//! whitelist it keep working; locally every word (the peer name included) is quoted for the
//! `su` shell.

use std::process::Command;

use super::stage::shell_quote;
use super::ActionContext;
use crate::cedar::config::PeerKind;
use crate::cedar::exec::{resolve, sanitize_env, split_command};

/// The remote shell when neither the peer nor `<options>` names one (Cedar's default).
pub const DEFAULT_RSH: &str = "/usr/bin/ssh";

/// Runs `action` on every managed peer of `<peers>` that lists it. Failures are logged and
/// do not stop the run, as in Cedar.
pub fn run(ctx: &ActionContext<'_>, action: &str) {
    let o = ctx.options();
    for p in ctx.config.peers.as_deref().unwrap_or(&[]) {
        if p.kind != PeerKind::Remote || !p.managed {
            continue;
        }
        let actions = p
            .managed_actions
            .as_ref()
            .or(o.managed_actions.as_ref())
            .cloned()
            .unwrap_or_default();
        if !actions.iter().any(|a| a == action) {
            continue;
        }
        let rsh = p
            .rsh_command
            .as_deref()
            .or(o.rsh_command.as_deref())
            .unwrap_or(DEFAULT_RSH);
        let cback = p
            .cback_command
            .as_deref()
            .or(o.cback_command.as_deref())
            .unwrap_or("/usr/bin/cback3");
        // Cedar's remote command string, byte for byte (forced-command scripts match it):
        // `<cback_command> [--full] <action>`. The cback command is the admin's shell text;
        // the action is validated (`[a-z0-9]*`).
        let remote_cmd = if ctx.full {
            format!("{cback} --full {action}")
        } else {
            format!("{cback} {action}")
        };
        let target = format!("{}@{}", p.remote_user(o), p.name);
        let mut argv = split_command(rsh);
        // `<override>` names the remote shell by its first word, as Cedar resolves it.
        if let Some(first) = argv.first_mut() {
            *first = resolve(o, first);
        }
        argv.push(target);
        argv.push(remote_cmd);
        let mut cmd = if ctx.root {
            let line = argv
                .iter()
                .map(|a| shell_quote(a))
                .collect::<Vec<_>>()
                .join(" ");
            let mut c = Command::new(resolve(o, "su"));
            c.arg(&o.backup_user).arg("-c").arg(line);
            c
        } else {
            let mut c = Command::new(argv.remove(0));
            c.args(&argv);
            c
        };
        sanitize_env(&mut cmd);
        log::info!("managed peer [{}]: running {action}", p.name);
        log::debug!("running {cmd:?}");
        match cmd.output() {
            Ok(out) if out.status.success() => {
                log::info!("managed peer [{}]: {action} done", p.name);
            }
            Ok(out) => log::error!(
                "managed peer [{}]: {action} failed ({}): {}",
                p.name,
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
            Err(e) => log::error!("managed peer [{}]: {action}: {e}", p.name),
        }
    }
}
