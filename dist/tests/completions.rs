//! The generated completions load in the shells and complete spindle's subcommands.

use std::process::Command;

use clap_complete::Shell;

fn written() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    dist::completions::write(dir.path()).unwrap();
    let p = dir.path().to_path_buf();
    (dir, p)
}

fn shell(program: &str, script: &str) -> String {
    let o = Command::new(program)
        .args(["-c", script])
        .output()
        .expect("run the shell");
    assert!(
        o.status.success(),
        "{program} -c {script}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn bash_loads_the_completion_and_completes_subcommands() {
    if !tests::tier::tier("bash_loads_the_completion", &["bash"]) {
        return;
    }
    let (_keep, dir) = written();
    for (cmd, partial, want) in [
        ("spindle", "bu", "burn"),
        ("mmc-probe", "--ba", "--battery"),
    ] {
        let file = dir
            .join("bash")
            .join(dist::completions::file_name(Shell::Bash, cmd));
        let spec = shell(
            "bash",
            &format!("source '{}' && complete -p {cmd}", file.display()),
        );
        assert!(spec.trim_end().ends_with(cmd), "{spec}");
        let function = spec
            .split_whitespace()
            .skip_while(|w| *w != "-F")
            .nth(1)
            .expect("complete -F FUNCTION");
        let replies = shell(
            "bash",
            &format!(
                "source '{}'; COMP_WORDS=({cmd} {partial}); COMP_CWORD=1; \
                 COMP_LINE='{cmd} {partial}'; COMP_POINT=${{#COMP_LINE}}; \
                 {function} {cmd} {partial} {cmd}; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                file.display()
            ),
        );
        assert!(
            replies.lines().any(|l| l == want),
            "{cmd} {partial}<TAB>: {replies:?}"
        );
    }
}

#[test]
fn zsh_parses_the_completion() {
    if !tests::tier::tier("zsh_parses_the_completion", &["zsh"]) {
        return;
    }
    let (_keep, dir) = written();
    for cmd in ["spindle", "mmc-probe"] {
        let file = dir
            .join("zsh")
            .join(dist::completions::file_name(Shell::Zsh, cmd));
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.starts_with(&format!("#compdef {cmd}")), "{cmd}");
        let o = Command::new("zsh").arg("-n").arg(&file).output().unwrap();
        assert!(
            o.status.success() && o.stderr.is_empty(),
            "zsh -n {}: {}",
            file.display(),
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

#[test]
fn fish_loads_the_completion_and_completes_subcommands() {
    if !tests::tier::tier("fish_loads_the_completion", &["fish"]) {
        return;
    }
    let (_keep, dir) = written();
    let file = dir
        .join("fish")
        .join(dist::completions::file_name(Shell::Fish, "spindle"));
    let out = shell(
        "fish",
        &format!("source '{}'; complete -C 'spindle bu'", file.display()),
    );
    assert!(out.lines().any(|l| l.starts_with("burn")), "{out:?}");
}
