//! The sections spindle does not run (`<reference>`, `<extensions>`, `<collect>`, `<purge>`),
//! checked as Cedar Backup 3 checks them, so that `spindle config check` and `spindle
//! validate` refuse exactly the files `cback3` refuses: a file shared by both programs must
//! not pass one and stop the other at 2 a.m.
//!
//! Cedar checks in two passes: while parsing, each value must fit its element (an absolute
//! path, one of a list of words, an integer ≥ 0, a regular expression…); then the document
//! rules (a collect directory needs a collect mode, here or in `<collect>`; an extension
//! needs an index in index order…). Both passes are here, with the element named in each
//! refusal. The extensions' own sections (`<mysql>`, `<encrypt>`…) are read by the extension
//! modules only when their action runs, not by Cedar's configuration parser, so they are
//! not checked here either.

use roxmltree::Node;

use super::{absolute, child, elements, err, is_action_name, parse_py_int, ConfigError, Section};

/// Checks the cback3-only sections of the `<cb_config>` element `root`.
///
/// # Errors
/// The first value or rule Cedar would refuse, with its element path.
pub(super) fn check(root: Node<'_, '_>) -> Result<(), ConfigError> {
    if let Some(e) = child(root, "extensions") {
        check_extensions(e)?;
    }
    if let Some(c) = child(root, "collect") {
        check_collect(c)?;
    }
    if let Some(p) = child(root, "purge") {
        check_purge(p)?;
    }
    // <reference> holds free text only; Cedar checks nothing in it.
    Ok(())
}

const COLLECT_MODES: [&str; 3] = ["daily", "weekly", "incr"];
const ARCHIVE_MODES: [&str; 3] = ["tar", "targz", "tarbz2"];
const ORDER_MODES: [&str; 2] = ["index", "dependency"];

impl Section<'_, '_> {
    /// An optional word from `choices`.
    fn word(&self, name: &str, choices: &[&str]) -> Result<Option<String>, ConfigError> {
        match self.opt_string(name)? {
            Some(t) if !choices.contains(&t.as_str()) => err(
                &self.at(name),
                format!("'{t}' is not one of {}", choices.join(", ")),
            ),
            v => Ok(v),
        }
    }

    /// An optional absolute path.
    fn opt_abs(&self, name: &str) -> Result<Option<String>, ConfigError> {
        match self.opt_string(name)? {
            Some(p) => absolute(&self.at(name), &p).map(|_| Some(p)),
            None => Ok(None),
        }
    }

    /// An optional integer as Python's `int()` reads it, at least `min` when given.
    fn py_int(&self, name: &str, min: Option<i64>) -> Result<Option<i64>, ConfigError> {
        let Some(t) = self.opt_string(name)? else {
            return Ok(None);
        };
        let Some(v) = parse_py_int(&t) else {
            return err(&self.at(name), format!("'{t}' is not an integer"));
        };
        match min {
            Some(m) if v < m => err(&self.at(name), format!("'{t}' must be at least {m}")),
            _ => Ok(Some(v)),
        }
    }

    /// Every `<name>` child's text, for the lists Cedar reads (`<exclude><abs_path>…`).
    fn list(&self, name: &str) -> Vec<(String, String)> {
        elements(self.node)
            .filter(|c| c.tag_name().name() == name)
            .map(super::text)
            .filter(|t| !t.is_empty())
            .map(|t| (self.at(name), t))
            .collect()
    }
}

/// Cedar compiles exclusion patterns with Python's `re`; fancy-regex accepts the same
/// constructs (look-around, back-references), so a pattern Python cannot compile is
/// refused here too.
fn check_pattern(at: &str, p: &str) -> Result<(), ConfigError> {
    match fancy_regex::Regex::new(p) {
        Ok(_) => Ok(()),
        Err(e) => err(at, format!("'{p}' is not a valid regular expression: {e}")),
    }
}

/// `<exclude>`: absolute paths, relative paths (`rel_path`, in a `<dir>` only) and patterns.
fn check_exclude(parent: &Section<'_, '_>) -> Result<(), ConfigError> {
    let Some(x) = child(parent.node, "exclude") else {
        return Ok(());
    };
    let x = Section::new(x, parent.at("exclude"));
    for (at, p) in x.list("abs_path") {
        absolute(&at, &p)?;
    }
    for (at, p) in x.list("pattern") {
        check_pattern(&at, &p)?;
    }
    Ok(())
}

fn is_identifier(s: &str) -> bool {
    let mut b = s.bytes();
    b.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

fn check_extensions(n: Node<'_, '_>) -> Result<(), ConfigError> {
    let s = Section::new(n, "/cb_config/extensions");
    let order = s.word("order_mode", &ORDER_MODES)?;
    let mut names = std::collections::HashSet::new();
    for (i, a) in elements(n)
        .filter(|c| c.tag_name().name() == "action")
        .enumerate()
    {
        let a = Section::new(a, format!("{}/action[{}]", s.path, i + 1));
        let Some(name) = a.opt_string("name")? else {
            return err(
                &a.at("name"),
                "missing (each extended action must set a name)",
            );
        };
        if !is_action_name(&name) {
            return err(
                &a.at("name"),
                format!("'{name}' is not an action name (lowercase letters and digits)"),
            );
        }
        let Some(module) = a.opt_string("module")? else {
            return err(
                &a.at("module"),
                "missing (each extended action must set a module)",
            );
        };
        if !module.split('.').all(is_identifier) {
            return err(
                &a.at("module"),
                format!("'{module}' is not a Python module name"),
            );
        }
        let Some(function) = a.opt_string("function")? else {
            return err(
                &a.at("function"),
                "missing (each extended action must set a function)",
            );
        };
        if !is_identifier(&function) {
            return err(
                &a.at("function"),
                format!("'{function}' is not a Python function name"),
            );
        }
        let index = a.py_int("index", Some(0))?;
        let depends = match child(a.node, "depends") {
            Some(d) => {
                let d = Section::new(d, a.at("depends"));
                for list in ["run_before", "run_after"] {
                    d.action_list(list)?;
                }
                true
            }
            None => false,
        };
        match order.as_deref() {
            None | Some("index") if index.is_none() => {
                return err(
                    &a.at("index"),
                    "missing (needed when order_mode is index, the default)",
                );
            }
            Some("dependency") if !depends => {
                return err(
                    &a.at("depends"),
                    "missing (needed when order_mode is dependency)",
                );
            }
            _ => {}
        }
        if !names.insert(name.clone()) {
            return err(
                &a.at("name"),
                format!("'{name}' names two extended actions"),
            );
        }
    }
    Ok(())
}

fn check_collect(n: Node<'_, '_>) -> Result<(), ConfigError> {
    let s = Section::new(n, "/cb_config/collect");
    if s.opt_abs("collect_dir")?.is_none() {
        return err(&s.at("collect_dir"), "missing (required)");
    }
    let mode = s.word("collect_mode", &COLLECT_MODES)?;
    let archive = s.word("archive_mode", &ARCHIVE_MODES)?;
    let ignore = s.opt_string("ignore_file")?;
    check_exclude(&s)?;
    // A file's or directory's collect mode is `<mode>`, else `<collect_mode>`.
    let own_mode = |e: &Section<'_, '_>| -> Result<Option<String>, ConfigError> {
        match e.word("mode", &COLLECT_MODES)? {
            Some(m) => Ok(Some(m)),
            None => e.word("collect_mode", &COLLECT_MODES),
        }
    };
    let inherit = |e: &Section<'_, '_>, what: &str, own: bool, parent: bool, name: &str| {
        if own || parent {
            Ok(())
        } else {
            err(
                &e.at(name),
                format!("missing here and in <collect> (each {what} needs one)"),
            )
        }
    };
    for (i, f) in elements(n)
        .filter(|c| c.tag_name().name() == "file")
        .enumerate()
    {
        let f = Section::new(f, format!("{}/file[{}]", s.path, i + 1));
        if f.opt_abs("abs_path")?.is_none() {
            return err(&f.at("abs_path"), "missing (each collect file needs one)");
        }
        let m = own_mode(&f)?;
        let a = f.word("archive_mode", &ARCHIVE_MODES)?;
        inherit(&f, "file", m.is_some(), mode.is_some(), "collect_mode")?;
        inherit(&f, "file", a.is_some(), archive.is_some(), "archive_mode")?;
    }
    for (i, d) in elements(n)
        .filter(|c| c.tag_name().name() == "dir")
        .enumerate()
    {
        let d = Section::new(d, format!("{}/dir[{}]", s.path, i + 1));
        if d.opt_abs("abs_path")?.is_none() {
            return err(
                &d.at("abs_path"),
                "missing (each collect directory needs one)",
            );
        }
        let m = own_mode(&d)?;
        let a = d.word("archive_mode", &ARCHIVE_MODES)?;
        let ig = d.opt_string("ignore_file")?;
        let depth = d.py_int("link_depth", Some(0))?;
        let deref = d.flag("dereference")?;
        d.py_int("recursion_level", None)?;
        check_exclude(&d)?;
        inherit(&d, "directory", m.is_some(), mode.is_some(), "collect_mode")?;
        inherit(
            &d,
            "directory",
            a.is_some(),
            archive.is_some(),
            "archive_mode",
        )?;
        inherit(
            &d,
            "directory",
            ig.is_some(),
            ignore.is_some(),
            "ignore_file",
        )?;
        if deref && depth.unwrap_or(0) < 1 {
            return err(&d.at("dereference"), "Y needs a link_depth of at least 1");
        }
    }
    Ok(())
}

fn check_purge(n: Node<'_, '_>) -> Result<(), ConfigError> {
    for (i, d) in elements(n)
        .filter(|c| c.tag_name().name() == "dir")
        .enumerate()
    {
        let d = Section::new(d, format!("/cb_config/purge/dir[{}]", i + 1));
        if d.opt_abs("abs_path")?.is_none() {
            return err(
                &d.at("abs_path"),
                "missing (each purge directory needs one)",
            );
        }
        if d.py_int("retain_days", Some(0))?.is_none() {
            return err(
                &d.at("retain_days"),
                "missing (each purge directory needs one)",
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_text(inner: &str) -> Result<(), ConfigError> {
        let text = format!("<cb_config>{inner}</cb_config>");
        let doc = roxmltree::Document::parse(&text).unwrap();
        check(doc.root_element())
    }

    #[test]
    fn python_integers() {
        for (t, v) in [
            ("7", 7),
            ("-1", -1),
            ("+3", 3),
            ("1_000", 1000),
            (" 7\n", 7),
        ] {
            assert_eq!(parse_py_int(t), Some(v), "{t}");
        }
        for t in ["", "-", "1.0", "_1", "1__0", "1_", "Y", "0x10", "- 1"] {
            assert_eq!(parse_py_int(t), None, "{t}");
        }
    }

    #[test]
    fn collect_rules() {
        let dir = "<dir><abs_path>/etc</abs_path></dir>";
        let top = "<collect_dir>/c</collect_dir><collect_mode>daily</collect_mode>\
                   <archive_mode>tar</archive_mode><ignore_file>.i</ignore_file>";
        assert!(check_text(&format!("<collect>{top}{dir}</collect>")).is_ok());
        // Without the parent's archive mode the directory needs its own.
        let e = check_text(&format!(
            "<collect>{}{dir}</collect>",
            top.replace("<archive_mode>tar</archive_mode>", "")
        ))
        .unwrap_err();
        assert_eq!(e.path, "/cb_config/collect/dir[1]/archive_mode");
        let e = check_text(&format!(
            "<collect>{top}<dir><abs_path>etc</abs_path></dir></collect>"
        ))
        .unwrap_err();
        assert_eq!(e.path, "/cb_config/collect/dir[1]/abs_path");
        let e = check_text(&format!(
            "<collect>{top}<dir><abs_path>/e</abs_path><dereference>Y</dereference></dir></collect>"
        ))
        .unwrap_err();
        assert!(e.reason.contains("link_depth"), "{e}");
        let e = check_text(&format!(
            "<collect>{top}<exclude><pattern>(</pattern></exclude>{dir}</collect>"
        ))
        .unwrap_err();
        assert_eq!(e.path, "/cb_config/collect/exclude/pattern");
        // Python's re accepts look-behind; so does the check.
        assert!(check_text(&format!(
            "<collect>{top}<exclude><pattern>(?&lt;=a)b</pattern></exclude>{dir}</collect>"
        ))
        .is_ok());
    }

    #[test]
    fn purge_and_extensions() {
        assert!(check_text(
            "<purge><dir><abs_path>/p</abs_path><retain_days>0</retain_days></dir></purge>"
        )
        .is_ok());
        let e = check_text(
            "<purge><dir><abs_path>/p</abs_path><retain_days>-1</retain_days></dir></purge>",
        )
        .unwrap_err();
        assert_eq!(e.path, "/cb_config/purge/dir[1]/retain_days");
        let a = "<action><name>db</name><module>a.b</module><function>f</function>";
        assert!(check_text(&format!(
            "<extensions>{a}<index>1</index></action></extensions>"
        ))
        .is_ok());
        let e = check_text(&format!("<extensions>{a}</action></extensions>")).unwrap_err();
        assert_eq!(e.path, "/cb_config/extensions/action[1]/index");
        let e = check_text(&format!(
            "<extensions><order_mode>dependency</order_mode>{a}<index>1</index></action></extensions>"
        ))
        .unwrap_err();
        assert_eq!(e.path, "/cb_config/extensions/action[1]/depends");
        let e = check_text(&format!(
            "<extensions>{}<index>1</index></action></extensions>",
            a.replace("a.b", "a-b")
        ))
        .unwrap_err();
        assert_eq!(e.path, "/cb_config/extensions/action[1]/module");
    }
}
