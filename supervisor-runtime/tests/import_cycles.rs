//! No two modules of the runtime import each other, directly or around a circle, with every
//! `crate::`, `super::` and `self::` path resolved to the file that defines the item (so that a
//! re-export such as `spec/mod.rs`'s cannot hide an import that runs back up).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path from the crate root: `["spec", "model"]`.
type ModPath = Vec<String>;

/// The runtime's shipped sources: module path -> code (comments, strings and test modules
/// gone), and the file the module is in (an inline `mod x { .. }` is in its parent's file).
struct Crate {
    modules: BTreeMap<ModPath, String>,
    files: BTreeMap<ModPath, ModPath>,
}

/// One import: the file it is in, the file it reaches, and the path as written.
#[derive(Clone, Debug)]
struct Edge {
    from: ModPath,
    to: ModPath,
    written: String,
}

impl Crate {
    fn read(src: &Path) -> Crate {
        let mut modules = BTreeMap::new();
        let mut stack = vec![src.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("read the source folder") {
                let path = entry.expect("a folder entry").path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                let module = module_path(src, &path);
                // Test modules in files of their own are not shipped code.
                if module.last().is_some_and(|m| m == "tests") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).expect("read a source file");
                modules.insert(module, text);
            }
        }
        Crate::new(modules)
    }

    fn new(sources: BTreeMap<ModPath, String>) -> Crate {
        let mut krate = Crate {
            modules: BTreeMap::new(),
            files: BTreeMap::new(),
        };
        for (module, text) in sources {
            krate.add(module.clone(), module, shipped(&strip(&text)));
        }
        krate
    }

    /// A module and the inline modules in it, each on its own.
    fn add(&mut self, module: ModPath, file: ModPath, code: String) {
        let (outer, inner) = inline_modules(&code);
        for (name, body) in inner {
            let mut path = module.clone();
            path.push(name);
            self.add(path, file.clone(), body);
        }
        self.files.insert(module.clone(), file);
        self.modules.insert(module, outer);
    }

    fn from_sources(files: &[(&str, &str)]) -> Crate {
        let sources = files
            .iter()
            .map(|(path, text)| {
                (
                    module_path(Path::new(""), Path::new(path)),
                    text.to_string(),
                )
            })
            .collect();
        Crate::new(sources)
    }

    fn is_module(&self, path: &[String]) -> bool {
        self.modules.contains_key(path)
    }

    /// Every import of every module, each resolved to the defining module. Re-exports
    /// (`pub use`, `pub(crate) use`) are not imports of their own: they are looked through.
    fn edges(&self) -> Vec<Edge> {
        let mut edges = Vec::new();
        for (module, code) in &self.modules {
            let mut paths: Vec<(ModPath, String)> = Vec::new();
            for stmt in use_statements(code) {
                if stmt.public {
                    continue;
                }
                for leaf in expand(&stmt.tree) {
                    if let Some(abs) = self.absolute(module, &leaf.path) {
                        paths.push((abs, leaf.path.join("::")));
                    }
                }
            }
            for inline in inline_paths(code) {
                if let Some(abs) = self.absolute(module, &inline) {
                    paths.push((abs, inline.join("::")));
                }
            }
            for (abs, written) in paths {
                let mut seen = BTreeSet::new();
                if let Some(to) = self.resolve(&abs, &mut seen) {
                    let (from, to) = (self.files[module].clone(), self.files[&to].clone());
                    if from != to {
                        edges.push(Edge { from, to, written });
                    }
                }
            }
        }
        edges
    }

    /// A path as written in `module`, made absolute; `None` for another crate's path.
    fn absolute(&self, module: &[String], path: &[String]) -> Option<ModPath> {
        let (first, rest) = path.split_first()?;
        let mut base: ModPath = match first.as_str() {
            "crate" => Vec::new(),
            "self" => module.to_vec(),
            "super" => {
                let mut m = module.to_vec();
                m.pop();
                let mut rest = rest;
                while rest.first().is_some_and(|s| s == "super") {
                    m.pop();
                    rest = &rest[1..];
                }
                m.extend(rest.iter().cloned());
                return Some(m);
            }
            // `use child::X` in a `mod.rs` names its own submodule.
            name => {
                let mut m = module.to_vec();
                m.push(name.to_owned());
                if !self.is_module(&m) {
                    return None;
                }
                m.pop();
                module.to_vec()
            }
        };
        if !matches!(first.as_str(), "crate" | "self" | "super") {
            base.push(first.clone());
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    /// The module that defines what an absolute path names, through re-exports.
    fn resolve(&self, path: &[String], seen: &mut BTreeSet<ModPath>) -> Option<ModPath> {
        if !seen.insert(path.to_vec()) {
            return None;
        }
        // The longest prefix that is a module of this crate.
        let split = (0..=path.len())
            .rev()
            .find(|&n| self.is_module(&path[..n]))?;
        let (module, rest) = path.split_at(split);
        let Some(name) = rest.first() else {
            return Some(module.to_vec());
        };
        let code = &self.modules[module];
        for stmt in use_statements(code).into_iter().filter(|s| s.public) {
            for leaf in expand(&stmt.tree) {
                if leaf.name() == Some(name.as_str()) {
                    let mut target = self.absolute(module, &leaf.path)?;
                    target.extend(rest[1..].iter().cloned());
                    return self.resolve(&target, seen);
                }
                if leaf.glob {
                    let from = self.absolute(module, &leaf.path)?;
                    if defines(self, &from, name) {
                        let mut target = from;
                        target.extend(rest.iter().cloned());
                        return self.resolve(&target, seen);
                    }
                }
            }
        }
        Some(module.to_vec())
    }
}

/// Whether the module's code defines `name` (for glob re-exports).
fn defines(krate: &Crate, module: &[String], name: &str) -> bool {
    krate.modules.get(module).is_some_and(|code| {
        [
            "fn",
            "struct",
            "enum",
            "trait",
            "type",
            "const",
            "static",
            "mod",
            "macro_rules!",
        ]
        .iter()
        .any(|kw| code.contains(&format!("{kw} {name}")))
    })
}

fn module_path(src: &Path, file: &Path) -> ModPath {
    let rel: PathBuf = file.strip_prefix(src).unwrap_or(file).to_path_buf();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs");
        if !matches!(stem, "lib" | "mod" | "main") {
            parts.push(stem.to_owned());
        }
    }
    parts
}

/// The code without comments, string and char literals (their text is not imports).
fn strip(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                out.push(' ');
            }
            b'r' if matches!(b.get(i + 1), Some(b'"' | b'#'))
                && !b[..i]
                    .last()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_') =>
            {
                let mut j = i + 1;
                let mut hashes = 0;
                while b.get(j) == Some(&b'#') {
                    hashes += 1;
                    j += 1;
                }
                if b.get(j) != Some(&b'"') {
                    out.push('r');
                    i += 1;
                    continue;
                }
                let close: String = std::iter::once('"')
                    .chain(std::iter::repeat_n('#', hashes))
                    .collect();
                let end = text[j + 1..]
                    .find(&close)
                    .map_or(b.len(), |e| j + 1 + e + close.len());
                out.push_str("\"\"");
                i = end;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            // A char literal ('a', '\n', '"'), not a lifetime ('a).
            b'\'' if b.get(i + 2) == Some(&b'\'') || b.get(i + 1) == Some(&b'\\') => {
                i += 1;
                while i < b.len() && b[i] != b'\'' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("' '");
            }
            c => {
                let ch = text[i..].chars().next().unwrap_or(c as char);
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    out
}

/// The code less its `#[cfg(test)]` items (test modules, test-only helpers).
fn shipped(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        // The item ends at its `;` or at the `}` closing its first `{`.
        let mut depth = 0usize;
        let mut end = after.len();
        for (i, c) in after.char_indices().skip("#[cfg(test)]".len()) {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = i + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The code less its inline modules (`mod name { .. }`), and those modules' names and bodies.
fn inline_modules(code: &str) -> (String, Vec<(String, String)>) {
    let mut outer = String::with_capacity(code.len());
    let mut inner = Vec::new();
    let b = code.as_bytes();
    let mut rest = 0;
    let mut from = 0;
    while let Some(at) = code[from..].find("mod ") {
        let start = from + at;
        from = start + 4;
        if start > 0 && is_ident(b[start - 1]) {
            continue;
        }
        let name_end = code[from..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(code.len(), |n| from + n);
        let name = &code[from..name_end];
        let after = code[name_end..].trim_start();
        if name.is_empty() || !after.starts_with('{') {
            continue;
        }
        let open = code.len() - after.len();
        let mut depth = 0usize;
        let mut close = code.len();
        for (i, c) in code[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = open + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        outer.push_str(&code[rest..start]);
        inner.push((name.to_owned(), code[open + 1..close].to_owned()));
        rest = (close + 1).min(code.len());
        from = rest;
    }
    outer.push_str(&code[rest..]);
    (outer, inner)
}

struct UseStmt {
    public: bool,
    tree: String,
}

/// The `use` statements of some code, with whether each is a re-export.
fn use_statements(code: &str) -> Vec<UseStmt> {
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    let mut from = 0;
    while let Some(at) = code[from..].find("use ") {
        let start = from + at;
        from = start + 4;
        let word_start = start == 0 || !is_ident(bytes[start - 1]);
        if !word_start {
            continue;
        }
        let Some(end) = code[start..].find(';') else {
            break;
        };
        let tree = code[start + 4..start + end].trim().to_owned();
        let before = code[..start].trim_end();
        let public = before.ends_with("pub")
            || before.ends_with(')') && {
                let open = before.rfind("pub(").unwrap_or(0);
                before[open..].starts_with("pub(") && !before[open..].contains('\n')
            };
        found.push(UseStmt { public, tree });
        from = start + end;
    }
    found
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

struct Leaf {
    path: Vec<String>,
    alias: Option<String>,
    glob: bool,
}

impl Leaf {
    /// The name this leaf brings into scope.
    fn name(&self) -> Option<&str> {
        if self.glob {
            return None;
        }
        self.alias
            .as_deref()
            .or(self.path.last().map(String::as_str))
    }
}

/// `a::{b, c::{d as e, *}}` into its leaves.
fn expand(tree: &str) -> Vec<Leaf> {
    fn go(prefix: &[String], tree: &str, out: &mut Vec<Leaf>) {
        let tree = tree.trim().trim_start_matches("::");
        if tree.is_empty() {
            return;
        }
        if let Some(open) = tree.find('{') {
            let mut path = prefix.to_vec();
            path.extend(segments(&tree[..open]));
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            let mut depth = 0;
            let mut last = 0;
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        go(&path, &inner[last..i], out);
                        last = i + 1;
                    }
                    _ => {}
                }
            }
            go(&path, &inner[last..], out);
            return;
        }
        let (path_part, alias) = match tree.split_once(" as ") {
            Some((p, a)) => (p, Some(a.trim().to_owned())),
            None => (tree, None),
        };
        let mut path = prefix.to_vec();
        let segs = segments(path_part);
        let glob = segs.last().is_some_and(|s| s == "*");
        path.extend(segs.into_iter().filter(|s| s != "*"));
        // `self` inside braces names the module itself.
        if path.last().is_some_and(|s| s == "self") && path.len() > 1 {
            path.pop();
        }
        out.push(Leaf { path, alias, glob });
    }
    let mut out = Vec::new();
    go(&[], tree, &mut out);
    out
}

fn segments(path: &str) -> Vec<String> {
    path.split("::")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Paths such as `crate::node::join_path(..)` written in code rather than in a `use`.
fn inline_paths(code: &str) -> Vec<Vec<String>> {
    let mut without_uses = String::with_capacity(code.len());
    let mut rest = code;
    for stmt in use_statements(code) {
        if let Some(at) = rest.find(&stmt.tree) {
            without_uses.push_str(&rest[..at]);
            rest = &rest[at + stmt.tree.len()..];
        }
    }
    without_uses.push_str(rest);
    let b = without_uses.as_bytes();
    let mut found = Vec::new();
    for root in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(at) = without_uses[from..].find(root) {
            let start = from + at;
            from = start + root.len();
            if start > 0 && (is_ident(b[start - 1]) || b[start - 1] == b':') {
                continue;
            }
            let mut end = start;
            while end < b.len() && (is_ident(b[end]) || b[end] == b':') {
                end += 1;
            }
            found.push(segments(&without_uses[start..end]));
        }
    }
    found
}

/// The strongly connected components of more than one module (Tarjan).
fn circles(edges: &[Edge]) -> Vec<Vec<ModPath>> {
    let mut graph: BTreeMap<&ModPath, BTreeSet<&ModPath>> = BTreeMap::new();
    for e in edges {
        graph.entry(&e.from).or_default().insert(&e.to);
        graph.entry(&e.to).or_default();
    }
    struct State<'a> {
        index: BTreeMap<&'a ModPath, usize>,
        low: BTreeMap<&'a ModPath, usize>,
        stack: Vec<&'a ModPath>,
        on_stack: BTreeSet<&'a ModPath>,
        out: Vec<Vec<ModPath>>,
    }
    fn visit<'a>(
        v: &'a ModPath,
        graph: &BTreeMap<&'a ModPath, BTreeSet<&'a ModPath>>,
        s: &mut State<'a>,
    ) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for &w in &graph[v] {
            if !s.index.contains_key(w) {
                visit(w, graph, s);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut scc = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                scc.push(w.clone());
                if w == v {
                    break;
                }
            }
            if scc.len() > 1 {
                scc.sort();
                s.out.push(scc);
            }
        }
    }
    let mut s = State {
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for &v in graph.keys() {
        if !s.index.contains_key(v) {
            visit(v, &graph, &mut s);
        }
    }
    s.out
}

fn describe(circle: &[ModPath], edges: &[Edge]) -> String {
    let name = |m: &ModPath| {
        if m.is_empty() {
            "lib.rs".to_owned()
        } else {
            m.join("/") + ".rs"
        }
    };
    let members: BTreeSet<&ModPath> = circle.iter().collect();
    let mut lines = vec![format!(
        "circle: {}",
        circle.iter().map(name).collect::<Vec<_>>().join(", ")
    )];
    let mut shown = BTreeSet::new();
    for e in edges {
        if members.contains(&e.from)
            && members.contains(&e.to)
            && shown.insert((&e.from, &e.to, &e.written))
        {
            lines.push(format!(
                "  {} -> {} ({})",
                name(&e.from),
                name(&e.to),
                e.written
            ));
        }
    }
    lines.join("\n")
}

#[test]
fn the_runtime_has_no_import_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let krate = Crate::read(&src);
    assert!(
        krate.modules.len() > 20,
        "the runtime's modules were not found under {}",
        src.display()
    );
    let edges = krate.edges();
    assert!(
        edges.len() > 50,
        "too few imports resolved: {}",
        edges.len()
    );
    let found = circles(&edges);
    let report: Vec<String> = found.iter().map(|c| describe(c, &edges)).collect();
    assert!(
        found.is_empty(),
        "modules that import each other:\n{}",
        report.join("\n")
    );
}

#[test]
fn a_re_export_does_not_hide_a_circle() {
    // `b` imports `a` through the re-export of `spec/mod.rs`, and `a` imports `b` with an
    // inline path: a circle of the defining files, not of `spec/mod.rs`.
    let krate = Crate::from_sources(&[
        ("lib.rs", "mod spec; mod b;"),
        (
            "spec/mod.rs",
            "mod a;\npub(crate) use a::{Thing, Other as Renamed};",
        ),
        (
            "spec/a.rs",
            "pub struct Thing; fn f() -> crate::b::B { todo() }",
        ),
        ("b.rs", "use crate::spec::Thing;\npub struct B;"),
    ]);
    let edges = krate.edges();
    let found = circles(&edges);
    assert_eq!(
        found,
        vec![vec![
            vec!["b".to_owned()],
            vec!["spec".to_owned(), "a".to_owned()]
        ]],
        "{edges:?}"
    );
}

#[test]
fn comments_strings_and_test_modules_are_not_imports() {
    let krate = Crate::from_sources(&[
        ("lib.rs", "mod a; mod b;"),
        (
            "a.rs",
            "//! See [`B`](crate::b::B).\nconst S: &str = \"crate::b::B\";\n#[cfg(test)]\nmod tests { use crate::b::B; }",
        ),
        ("b.rs", "use crate::a::S;\npub struct B;"),
    ]);
    let edges = krate.edges();
    assert!(circles(&edges).is_empty(), "{edges:?}");
    assert_eq!(edges.len(), 1, "{edges:?}");
}

#[test]
fn super_and_nested_groups_resolve() {
    let krate = Crate::from_sources(&[
        ("lib.rs", "mod spec;"),
        ("spec/mod.rs", "mod x; mod y;"),
        ("spec/x.rs", "use super::{y::{self, Why}};\npub struct Ex;"),
        ("spec/y.rs", "pub struct Why; fn f(_: super::x::Ex) {}"),
    ]);
    let edges = krate.edges();
    let found = circles(&edges);
    assert_eq!(found.len(), 1, "{edges:?}");
}
