//! The layering of `cli/src`: the disc layer (`disc/`) imports none of the front-ends
//! (`cmd/`, `cedar/`, `xorriso/`, the `spindle` dispatcher), and the top-level modules import
//! each other without cycles. Read from the sources, so a new `use` that breaks the rule
//! fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a source file belongs to (`disc`, `cmd`, …; `lib` for lib.rs).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_owned()
}

/// Top-level modules named by `crate::X` paths in `text`, outside comments.
fn imports(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let m = module_of(&src, &f);
        if m == "bin" || m == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let deps = g.entry(m.clone()).or_default();
        for d in imports(&text) {
            // `crate::report_error` and friends live in lib.rs, which every module may use.
            let is_module = src.join(format!("{d}.rs")).exists() || src.join(&d).is_dir();
            if d != m && is_module {
                deps.insert(d);
            }
        }
    }
    g
}

#[test]
fn the_disc_layer_imports_no_front_end() {
    let g = graph();
    eprintln!("cli/src module imports: {g:?}");
    let disc = g.get("disc").expect("cli/src/disc exists");
    let allowed: BTreeSet<String> = ["exit", "logging"].iter().map(|s| s.to_string()).collect();
    let bad: Vec<&String> = disc.iter().filter(|d| !allowed.contains(*d)).collect();
    assert!(
        bad.is_empty(),
        "cli/src/disc imports {bad:?}; the disc layer must not depend on front-ends"
    );
}

#[test]
fn top_level_modules_have_no_import_cycles() {
    let g = graph();
    // Depth-first search for a back edge.
    fn visit<'a>(
        n: &'a str,
        g: &'a BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| *s == n) {
            return Some(stack[i..].iter().map(|s| s.to_string()).collect());
        }
        if done.contains(n) {
            return None;
        }
        stack.push(n);
        for d in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(d, g, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(n);
        None
    }
    let mut done = BTreeSet::new();
    for n in g.keys() {
        if let Some(cycle) = visit(n, &g, &mut Vec::new(), &mut done) {
            panic!("import cycle among cli/src modules: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn the_check_sees_an_import() {
    // The scanner itself: a front-end path in code is found, one in a comment is not.
    let found = imports("use crate::cmd::burn::Bar; // crate::xorriso");
    assert_eq!(found.into_iter().collect::<Vec<_>>(), ["cmd"]);
}
