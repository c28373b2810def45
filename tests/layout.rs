//! The workspace's standing layout rules (docs/ARCHITECTURE.md): no two modules import each
//! other, no `.rs` file over 600 lines, and no public type name defined in two library crates.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The longest a `.rs` file may be, tests included.
const MAX_LINES: usize = 600;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    out.extend(hls_swarm_testkit::tree::rust_files(dir));
}

/// Every crate's source root: the binary's `src/`, each library's, and xtask's.
fn source_roots() -> Vec<PathBuf> {
    let mut roots = vec![root().join("src"), root().join("xtask/src")];
    for entry in fs::read_dir(root().join("crates"))
        .expect("crates/ exists")
        .flatten()
    {
        if entry.path().join("src").is_dir() {
            roots.push(entry.path().join("src"));
        }
    }
    roots.sort();
    assert!(roots.len() >= 9, "found only {roots:?}");
    roots
}

#[test]
fn no_rust_file_is_over_600_lines() {
    let mut files = Vec::new();
    for dir in ["src", "crates", "xtask", "benches", "tests"] {
        rust_files(&root().join(dir), &mut files);
    }
    let long: Vec<String> = files
        .iter()
        .filter_map(|p| {
            let n = fs::read_to_string(p).ok()?.lines().count();
            (n > MAX_LINES).then(|| format!("{} ({n} lines)", p.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "split these by noun (at most {MAX_LINES} lines a file): {long:?}"
    );
}

/// A module path inside one crate, `[]` for the crate root.
type ModPath = Vec<String>;

/// The module a file defines: `a/b.rs` and `a/b/mod.rs` are `a::b`; `lib.rs`/`main.rs` the root.
fn module_of(src: &Path, file: &Path) -> ModPath {
    let rel = file.strip_prefix(src).expect("file under its source root");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod")) {
        parts.pop();
    }
    if parts.len() == 1 && matches!(parts[0].as_str(), "lib" | "main") {
        parts.clear();
    }
    parts
}

/// Source text without comments and string literals, so paths in docs are not imports.
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
                out.push_str("\"\"");
            }
            '\'' => {
                // A char literal ('x', '\n', '"', '{') is blanked; a lifetime ('a) is kept.
                let mut ahead = chars.clone();
                match (ahead.next(), ahead.next()) {
                    (Some('\\'), _) => {
                        chars.next();
                        chars.next();
                        for c in chars.by_ref() {
                            if c == '\'' {
                                break;
                            }
                        }
                        out.push_str("' '");
                    }
                    (Some(_), Some('\'')) => {
                        chars.next();
                        chars.next();
                        out.push_str("' '");
                    }
                    _ => out.push(c),
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// How a `use` statement starts, with any visibility.
const USE_STARTS: [&str; 4] = ["use ", "pub use ", "pub(crate) use ", "pub(super) use "];

/// `code` cut into statements (at `;`), each without the braces and blanks that lead it.
fn statements(code: &str) -> impl Iterator<Item = &str> {
    code.split(';')
        .map(|s| s.trim_start_matches(|c: char| c.is_whitespace() || c == '}' || c == '{'))
}

/// The tree of a `use` statement, and whether it is `pub use` (a re-export).
fn use_tree(statement: &str) -> Option<(&str, bool)> {
    let statement = statement.trim_start_matches(|c: char| c == '#' || c.is_whitespace());
    USE_STARTS
        .iter()
        .find_map(|p| Some((statement.strip_prefix(p)?, p.starts_with("pub use"))))
}

/// Every path the `use` statements of `code` name, trees expanded; re-exports too when asked.
fn use_paths(code: &str, with_reexports: bool) -> Vec<String> {
    let mut paths = Vec::new();
    for statement in statements(code) {
        if let Some((tree, reexport)) = use_tree(statement)
            && (with_reexports || !reexport)
        {
            expand_use_tree("", tree, &mut paths);
        }
    }
    paths
}

/// Every `crate::…` / `super::…` / `self::…` path written in code outside `use` statements.
fn code_paths(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for statement in statements(code).filter(|s| use_tree(s).is_none()) {
        for start in ["crate::", "super::", "self::"] {
            for (i, _) in statement.match_indices(start) {
                let glued = statement[..i]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
                if !glued {
                    paths.push(
                        statement[i..]
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                            .collect(),
                    );
                }
            }
        }
    }
    paths
}

fn expand_use_tree(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head = &tree[..open];
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let mut depth = 0;
        let mut item = String::new();
        for c in inner.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand_use_tree(&format!("{prefix}{head}"), &item, out);
                    item.clear();
                    continue;
                }
                _ => {}
            }
            item.push(c);
        }
        expand_use_tree(&format!("{prefix}{head}"), &item, out);
    } else if !tree.is_empty() {
        let path = tree.split(" as ").next().unwrap_or(tree);
        out.push(format!("{prefix}{path}").split_whitespace().collect());
    }
}

/// The names of the child modules a file declares (`mod x;`, `pub mod x {`).
fn declared_children(code: &str) -> BTreeSet<String> {
    code.lines()
        .filter_map(|line| {
            let line = line.trim();
            let rest = ["mod ", "pub mod ", "pub(crate) mod "]
                .iter()
                .find_map(|p| line.strip_prefix(p))?;
            Some(rest.trim_end_matches([';', '{', ' ']).trim().to_owned())
        })
        .collect()
}

/// The module `path`, written in module `from`, refers to: the longest known module prefix;
/// an item the crate root re-exports (`crate::Item`) belongs to the module that defines it.
fn resolve(
    from: &ModPath,
    path: &str,
    children: &BTreeSet<String>,
    modules: &BTreeSet<ModPath>,
    reexports: &BTreeMap<String, ModPath>,
) -> Option<ModPath> {
    let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let (mut at, rest): (ModPath, &[&str]) = match segments.first().copied()? {
        "crate" => (Vec::new(), &segments[1..]),
        "super" => (
            from[..from.len().saturating_sub(1)].to_vec(),
            &segments[1..],
        ),
        "self" => (from.clone(), &segments[1..]),
        child if children.contains(child) => (from.clone(), &segments[..]),
        _ => return None,
    };
    for (i, segment) in rest.iter().enumerate() {
        if *segment == "super" {
            at.pop();
            continue;
        }
        let mut next = at.clone();
        next.push((*segment).to_owned());
        if modules.contains(&next) {
            at = next;
        } else {
            if at.is_empty()
                && i == rest.len() - 1
                && let Some(defined_in) = reexports.get(*segment)
            {
                return Some(defined_in.clone());
            }
            break;
        }
    }
    Some(at)
}

/// `code` without its inline `mod name { … }` blocks: a child module of their own (in this
/// workspace, unit tests whose `use super::*` imports the file they sit in, not its parent).
fn without_inline_modules(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = find_inline_module(rest) {
        out.push_str(&rest[..at]);
        let open = at + rest[at..].find('{').expect("found with a brace");
        let mut depth = 0;
        let mut end = rest.len();
        for (i, c) in rest[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Where the next line `mod name {` (any visibility) starts.
fn find_inline_module(code: &str) -> Option<usize> {
    let mut offset = 0;
    for line in code.split_inclusive('\n') {
        let trimmed = line.trim();
        let is_inline = ["mod ", "pub mod ", "pub(crate) mod "]
            .iter()
            .any(|p| trimmed.starts_with(p))
            && trimmed.ends_with('{');
        if is_inline {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

/// One crate's module graph: which modules each module imports.
fn import_graph(src: &Path) -> BTreeMap<ModPath, BTreeSet<ModPath>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let sources: Vec<(ModPath, String)> = files
        .iter()
        .map(|f| {
            let code = code_only(&fs::read_to_string(f).unwrap());
            (module_of(src, f), without_inline_modules(&code))
        })
        .collect();
    let modules: BTreeSet<ModPath> = sources.iter().map(|(m, _)| m.clone()).collect();
    // The crate root's `pub use a::Item` lines are its facade, not imports.
    let mut reexports = BTreeMap::new();
    if let Some((_, root_code)) = sources.iter().find(|(m, _)| m.is_empty()) {
        let children = declared_children(root_code);
        for path in use_paths(root_code, true) {
            let item = path.rsplit("::").next().unwrap_or_default().to_owned();
            if let Some(module) = resolve(&Vec::new(), &path, &children, &modules, &BTreeMap::new())
                && !module.is_empty()
            {
                reexports.insert(item, module);
            }
        }
    }
    let mut edges = BTreeMap::new();
    for (module, code) in &sources {
        let children = declared_children(code);
        let is_root = module.is_empty();
        let mut targets: BTreeSet<ModPath> = use_paths(code, !is_root)
            .into_iter()
            .chain(code_paths(code))
            .filter_map(|p| resolve(module, &p, &children, &modules, &reexports))
            .collect();
        targets.remove(module);
        edges.insert(module.clone(), targets);
    }
    edges
}

/// A cycle through `start` in `edges`, as the modules along it, if there is one.
fn cycle_through(
    start: &ModPath,
    edges: &BTreeMap<ModPath, BTreeSet<ModPath>>,
) -> Option<Vec<ModPath>> {
    // Depth-first from `start`, remembering how each module was reached.
    let mut came_from: BTreeMap<&ModPath, &ModPath> = BTreeMap::new();
    let mut stack = vec![start];
    while let Some(at) = stack.pop() {
        for next in edges.get(at).into_iter().flatten() {
            if next == start {
                let mut path = vec![at.clone()];
                let mut back = at;
                while back != start {
                    back = came_from[back];
                    path.push(back.clone());
                }
                path.reverse();
                return Some(path);
            }
            if !came_from.contains_key(next) && next != start {
                came_from.insert(next, at);
                stack.push(next);
            }
        }
    }
    None
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let mut cycles = BTreeSet::new();
    let mut edges_seen = 0;
    for src in source_roots() {
        let edges = import_graph(&src);
        edges_seen += edges.values().map(BTreeSet::len).sum::<usize>();
        for module in edges.keys() {
            if let Some(mut cycle) = cycle_through(module, &edges) {
                // Each cycle once: rotated to start at its smallest module.
                let smallest = (0..cycle.len()).min_by_key(|&i| &cycle[i]).unwrap();
                cycle.rotate_left(smallest);
                let names: Vec<String> = cycle.iter().chain(&cycle[..1]).map(name).collect();
                cycles.insert(format!("{}: {}", src.display(), names.join(" -> ")));
            }
        }
    }
    assert!(
        edges_seen > 100,
        "only {edges_seen} imports found: the scanner is broken"
    );
    assert!(
        cycles.is_empty(),
        "module import cycles (move what they share into a module of its own): {cycles:#?}"
    );
}

fn name(module: &ModPath) -> String {
    if module.is_empty() {
        "crate".to_owned()
    } else {
        module.join("::")
    }
}

fn m(path: &str) -> ModPath {
    path.split("::")
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_import_scanner_sees_use_trees_code_paths_and_relative_children() {
    let code = code_only(
        "mod kid;\nconst Q: char = '\"'; const B: char = '{';\nuse crate::a::{b::{C, D}, e};\n// use crate::comment::X;\nfn f() { crate::g::h(); let s = \"crate::string\"; }\npub(crate) use super::k;\nuse kid::Thing;\n",
    );
    let paths: Vec<String> = use_paths(&code, false)
        .into_iter()
        .chain(code_paths(&code))
        .collect();
    for want in [
        "crate::a::b::C",
        "crate::a::b::D",
        "crate::a::e",
        "crate::g::h",
        "super::k",
        "kid::Thing",
    ] {
        assert!(paths.iter().any(|p| p == want), "{want} in {paths:?}");
    }
    assert!(
        !paths
            .iter()
            .any(|p| p.contains("comment") || p.contains("string")),
        "{paths:?}"
    );
    let modules: BTreeSet<ModPath> = [m(""), m("a"), m("a::b"), m("x"), m("x::kid")]
        .into_iter()
        .collect();
    let reexports = BTreeMap::from([("Z".to_owned(), m("a"))]);
    let children = declared_children(&code);
    assert_eq!(children, BTreeSet::from(["kid".to_owned()]));
    let from = m("x");
    let resolved = |p: &str| resolve(&from, p, &children, &modules, &reexports);
    assert_eq!(resolved("crate::a::b::C"), Some(m("a::b")));
    assert_eq!(resolved("crate::Z"), Some(m("a")));
    assert_eq!(resolved("super::a"), Some(m("a")));
    assert_eq!(resolved("kid::Thing"), Some(m("x::kid")));
    assert_eq!(resolved("std::fmt"), None);
    let edges = BTreeMap::from([
        (m("a"), BTreeSet::from([m("b")])),
        (m("b"), BTreeSet::from([m("c")])),
        (m("c"), BTreeSet::from([m("a"), m("d")])),
        (m("d"), BTreeSet::new()),
    ]);
    assert_eq!(
        cycle_through(&m("a"), &edges),
        Some(vec![m("a"), m("b"), m("c")])
    );
    assert_eq!(cycle_through(&m("d"), &edges), None);
    let inline = without_inline_modules(
        "fn a() {}\n#[cfg(test)]\nmod tests {\n    use super::*;\n    fn b() { if x { y } }\n}\nfn c() {}\n",
    );
    assert_eq!(inline, "fn a() {}\n#[cfg(test)]\n\nfn c() {}\n");
}

/// `pub struct|enum|trait|type NAME` (not `pub(crate)`) in a crate's sources.
fn public_type_names(src: &Path) -> BTreeSet<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut names = BTreeSet::new();
    for file in files {
        let code = code_only(&fs::read_to_string(&file).unwrap());
        for line in code.lines() {
            let Some(rest) = line.trim().strip_prefix("pub ") else {
                continue;
            };
            for keyword in ["struct ", "enum ", "trait ", "type "] {
                if let Some(decl) = rest.strip_prefix(keyword) {
                    let name: String = decl
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    names.insert(name);
                }
            }
        }
    }
    names
}

#[test]
fn no_public_type_name_is_defined_in_two_library_crates() {
    let mut defined: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let libraries: Vec<PathBuf> = source_roots()
        .into_iter()
        .filter(|src| src.starts_with(root().join("crates")))
        .collect();
    for src in &libraries {
        let krate = src
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        for name in public_type_names(src) {
            defined.entry(name).or_default().push(krate.clone());
        }
    }
    assert!(
        defined.len() > 50,
        "found only {} public types",
        defined.len()
    );
    let twice: Vec<_> = defined
        .iter()
        .filter(|(_, crates)| crates.len() > 1)
        .collect();
    assert!(
        twice.is_empty(),
        "public type names defined in more than one library crate (name one of each pair for what it is): {twice:?}"
    );
}
