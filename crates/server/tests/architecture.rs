//! The server crate's layer order, enforced.
//!
//! `src/lib.rs` lists the crate's modules in layers, lowest first. This test reads
//! every `use` and every `crate::`, `super::` and `self::` path in `src/` (with
//! `syn`, so comments and strings do not count) and fails when
//! - a module uses one on its own layer or a higher one, or
//! - files use each other in a circle, inside one module or across several.
//!
//! The order lives only in the doc comment of `lib.rs`; this test reads it from there.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// A module path inside the crate: `["services", "cases"]`; `[]` is the crate root.
type ModPath = Vec<String>;

/// One use of another part of the crate: which file, which path, at which line.
#[derive(Debug, Clone)]
struct Use {
    file: String,
    target: ModPath,
    line: usize,
}

fn source_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The layers from `lib.rs`'s doc comment: lines like ``//! 3. `http`, `models`: …``.
fn layers(lib: &str) -> Vec<Vec<String>> {
    lib.lines()
        .filter_map(|line| line.strip_prefix("//! "))
        .filter(|line| {
            let digits = line.chars().take_while(char::is_ascii_digit).count();
            digits > 0 && line[digits..].starts_with(". `")
        })
        .map(|line| {
            let names = line.split(':').next().unwrap_or(line);
            names
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

/// Every `.rs` file under `src/` with its module path (`main.rs` is a separate
/// binary that uses the library by name, so it is not part of the order).
fn source_files() -> Vec<(PathBuf, ModPath)> {
    let root = source_dir();
    let mut files = Vec::new();
    let mut pending = vec![root.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(&root).unwrap().with_extension("");
                let mut module: ModPath = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                match module.last().map(String::as_str) {
                    Some("main") if module.len() == 1 => continue,
                    Some("lib") if module.len() == 1 => module.clear(),
                    Some("mod") => {
                        module.pop();
                    }
                    _ => {}
                }
                files.push((path, module));
            }
        }
    }
    files.sort();
    files
}

/// Collects the crate paths one file uses, resolving `self`, `super` and child
/// modules against the (possibly inline) module each path appears in.
struct Collector<'a> {
    file: &'a str,
    /// Whether the `use` being read is `pub` (a re-export).
    exporting: bool,
    /// Names this file re-exports (`pub use error::PortalError;` in `portal/mod.rs`),
    /// with where each really lives.
    reexports: BTreeMap<ModPath, ModPath>,
    /// The module the visitor is in now; inline `mod x { … }` pushes onto it.
    module: ModPath,
    /// Child modules declared in each module seen so far, for paths like `session::current`.
    children: BTreeMap<ModPath, BTreeSet<String>>,
    uses: Vec<Use>,
}

impl Collector<'_> {
    fn resolve(&self, segments: &[String]) -> Option<ModPath> {
        let (first, rest) = segments.split_first()?;
        let mut base = match first.as_str() {
            "crate" => Vec::new(),
            "self" => self.module.clone(),
            "super" => {
                let mut base = self.module.clone();
                base.pop();
                let mut rest = rest;
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop();
                    rest = &rest[1..];
                }
                base.extend(rest.iter().cloned());
                return Some(base);
            }
            name if self
                .children
                .get(&self.module)
                .is_some_and(|children| children.contains(name)) =>
            {
                let mut base = self.module.clone();
                base.push(name.to_owned());
                return Some(base.into_iter().chain(rest.iter().cloned()).collect());
            }
            _ => return None,
        };
        base.extend(rest.iter().cloned());
        Some(base)
    }

    fn record(&mut self, segments: Vec<String>, line: usize) {
        self.record_as(segments, None, line);
    }

    /// Records a path; in a `pub use`, also what name it is exported under.
    fn record_as(&mut self, segments: Vec<String>, exported_as: Option<String>, line: usize) {
        if let Some(target) = self.resolve(&segments) {
            if self.exporting {
                let mut name = self.module.clone();
                name.push(exported_as.unwrap_or_else(|| "*".to_owned()));
                self.reexports.insert(name, target.clone());
            }
            self.uses.push(Use {
                file: self.file.to_owned(),
                target,
                line,
            });
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(path) => {
                prefix.push(path.ident.to_string());
                self.use_tree(prefix, &path.tree);
                prefix.pop();
            }
            syn::UseTree::Name(name) => {
                let mut full = prefix.clone();
                if name.ident != "self" {
                    full.push(name.ident.to_string());
                }
                let exported = full.last().cloned();
                self.record_as(full, exported, name.ident.span().start().line);
            }
            syn::UseTree::Rename(rename) => {
                let mut full = prefix.clone();
                if rename.ident != "self" {
                    full.push(rename.ident.to_string());
                }
                let exported = Some(rename.rename.to_string());
                self.record_as(full, exported, rename.ident.span().start().line);
            }
            syn::UseTree::Glob(glob) => {
                self.record(prefix.clone(), glob.star_token.span.start().line);
            }
            syn::UseTree::Group(group) => {
                for tree in &group.items {
                    self.use_tree(prefix, tree);
                }
            }
        }
    }

    fn note_children(&mut self, items: &[syn::Item]) {
        let children = self.children.entry(self.module.clone()).or_default();
        for item in items {
            if let syn::Item::Mod(module) = item {
                children.insert(module.ident.to_string());
            }
        }
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.exporting = !matches!(item.vis, syn::Visibility::Inherited);
        self.use_tree(&mut Vec::new(), &item.tree);
        self.exporting = false;
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if let Some((_, items)) = &item.content {
            self.module.push(item.ident.to_string());
            self.note_children(items);
            for item in items {
                self.visit_item(item);
            }
            self.module.pop();
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.leading_colon.is_none() && path.segments.len() > 1 {
            let segments = path.segments.iter().map(|s| s.ident.to_string()).collect();
            let line = path.segments[0].ident.span().start().line;
            self.record(segments, line);
        }
        syn::visit::visit_path(self, path);
    }
}

/// Every use of a crate path, by file, and every re-exported name.
fn crate_uses(files: &[(PathBuf, ModPath)]) -> (Vec<Use>, BTreeMap<ModPath, ModPath>) {
    let root = source_dir();
    let mut uses = Vec::new();
    let mut reexports = BTreeMap::new();
    for (path, module) in files {
        let text = std::fs::read_to_string(path).expect("read source");
        let parsed = syn::parse_file(&text)
            .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
        let name = path.strip_prefix(&root).unwrap().display().to_string();
        let mut collector = Collector {
            file: &name,
            exporting: false,
            reexports: BTreeMap::new(),
            module: module.clone(),
            children: BTreeMap::new(),
            uses: Vec::new(),
        };
        collector.note_children(&parsed.items);
        collector.visit_file(&parsed);
        uses.extend(collector.uses);
        reexports.extend(collector.reexports);
    }
    (uses, reexports)
}

/// The file a path lands in: the longest prefix that is a file, following the
/// file's re-exports to where a name really lives.
fn file_of(
    target: &ModPath,
    files: &BTreeMap<ModPath, String>,
    reexports: &BTreeMap<ModPath, ModPath>,
) -> Option<String> {
    let mut target = target.clone();
    for _ in 0..8 {
        let n = (0..=target.len())
            .rev()
            .find(|&n| files.contains_key(&target[..n].to_vec()))?;
        let Some(name) = target.get(n) else {
            return files.get(&target).cloned();
        };
        let mut exported = target[..n].to_vec();
        exported.push(name.clone());
        match reexports.get(&exported) {
            Some(real) if *real != exported => {
                target = real.iter().chain(&target[n + 1..]).cloned().collect();
            }
            _ => return files.get(&target[..n].to_vec()).cloned(),
        }
    }
    None
}

/// The module a path belongs to in the layer order: its first segment, or the
/// crate root (`crate`) for items of `lib.rs` itself.
fn top_module(path: &ModPath, files: &BTreeMap<ModPath, String>) -> String {
    match path.first() {
        Some(first) if files.contains_key(&vec![first.clone()]) => first.clone(),
        _ => "crate".to_owned(),
    }
}

/// Strongly connected groups of more than one file (Tarjan).
fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Search<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Search<'a> {
        fn visit(&mut self, node: &'a str) {
            let n = self.index.len();
            self.index.insert(node, n);
            self.low.insert(node, n);
            self.stack.push(node);
            self.on_stack.insert(node);
            for next in self.edges.get(node).into_iter().flatten() {
                let next = next.as_str();
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(next) {
                    let low = self.low[node].min(self.index[next]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut group = Vec::new();
                while let Some(member) = self.stack.pop() {
                    self.on_stack.remove(member);
                    group.push(member.to_owned());
                    if member == node {
                        break;
                    }
                }
                if group.len() > 1 {
                    group.sort();
                    self.found.push(group);
                }
            }
        }
    }
    let mut search = Search {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in edges.keys() {
        if !search.index.contains_key(node.as_str()) {
            search.visit(node);
        }
    }
    search.found
}

struct Crate {
    layers: Vec<Vec<String>>,
    files: BTreeMap<ModPath, String>,
    uses: Vec<Use>,
    reexports: BTreeMap<ModPath, ModPath>,
}

fn read_crate() -> Crate {
    let lib = std::fs::read_to_string(source_dir().join("lib.rs")).expect("read lib.rs");
    let sources = source_files();
    let files = sources
        .iter()
        .map(|(path, module)| {
            let name = path
                .strip_prefix(source_dir())
                .unwrap()
                .display()
                .to_string();
            (module.clone(), name)
        })
        .collect();
    let (uses, reexports) = crate_uses(&sources);
    Crate {
        layers: layers(&lib),
        uses,
        reexports,
        files,
    }
}

#[test]
fn every_module_of_the_crate_has_a_place_in_the_layer_order() {
    let krate = read_crate();
    let placed: BTreeSet<&String> = krate.layers.iter().flatten().collect();
    let top_level: BTreeSet<String> = krate
        .files
        .keys()
        .filter(|m| !m.is_empty())
        .map(|m| m[0].clone())
        .chain(["crate".to_owned()])
        .collect();
    let missing: Vec<&String> = top_level.iter().filter(|m| !placed.contains(m)).collect();
    assert!(
        missing.is_empty(),
        "add {missing:?} to the layer list in src/lib.rs's doc comment"
    );
    let unknown: Vec<&&String> = placed.iter().filter(|m| !top_level.contains(**m)).collect();
    assert!(
        unknown.is_empty(),
        "src/lib.rs lists {unknown:?}, which are not modules of the crate"
    );
    assert!(
        krate.uses.len() > 500,
        "the reader found only {} crate paths; it has stopped seeing them",
        krate.uses.len()
    );
}

#[test]
fn no_module_uses_one_on_its_own_layer_or_above() {
    let krate = read_crate();
    let layer_of = |module: &str| {
        krate
            .layers
            .iter()
            .position(|layer| layer.iter().any(|m| m == module))
    };
    let mut wrong = BTreeSet::new();
    for using in &krate.uses {
        let from = top_module(
            &krate
                .files
                .iter()
                .find(|(_, name)| **name == using.file)
                .map(|(module, _)| module.clone())
                .unwrap_or_default(),
            &krate.files,
        );
        let to = top_module(&using.target, &krate.files);
        if from == to {
            continue;
        }
        let (Some(from_layer), Some(to_layer)) = (layer_of(&from), layer_of(&to)) else {
            continue; // reported by the test above
        };
        if to_layer >= from_layer {
            wrong.insert(format!(
                "{}:{} uses crate::{}: `{from}` (layer {}) may only use layers below it, and `{to}` is on layer {}",
                using.file,
                using.line,
                using.target.join("::"),
                from_layer + 1,
                to_layer + 1,
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "these uses point up the layer order in src/lib.rs; move what both sides need into a lower module:\n{}",
        wrong.into_iter().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn no_files_use_each_other_in_a_circle() {
    let krate = read_crate();
    // For each pair of files, the first use that links them, to show in a failure.
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut example: BTreeMap<(String, String), String> = BTreeMap::new();
    for using in &krate.uses {
        if let Some(target) = file_of(&using.target, &krate.files, &krate.reexports)
            && target != using.file
        {
            edges
                .entry(using.file.clone())
                .or_default()
                .insert(target.clone());
            example
                .entry((using.file.clone(), target))
                .or_insert_with(|| {
                    format!(
                        "  {}:{} uses crate::{}",
                        using.file,
                        using.line,
                        using.target.join("::")
                    )
                });
        }
    }
    let found = circles(&edges);
    let explain = |group: &Vec<String>| {
        let links = example
            .iter()
            .filter(|((from, to), _)| group.contains(from) && group.contains(to))
            .map(|(_, text)| text.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        format!("{}\n{links}", group.join(" ↔ "))
    };
    assert!(
        found.is_empty(),
        "these files use each other in a circle; move what they share into one of them or a module of its own:\n{}",
        found.iter().map(explain).collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn the_reader_sees_paths_in_uses_groups_inline_modules_and_expressions() {
    let source = r#"
        use crate::http::{ApiError, time::{rfc3339 as when}};
        use super::sibling;
        mod inner { use super::super::super::config::Config; }
        mod child;
        fn f() { crate::state::AppState::new(); child::g(); let _ = "crate::portal::x"; }
    "#;
    let parsed = syn::parse_file(source).unwrap();
    let mut collector = Collector {
        file: "services/x.rs",
        exporting: false,
        reexports: BTreeMap::new(),
        module: vec!["services".into(), "x".into()],
        children: BTreeMap::new(),
        uses: Vec::new(),
    };
    collector.note_children(&parsed.items);
    collector.visit_file(&parsed);
    let seen: BTreeSet<String> = collector.uses.iter().map(|u| u.target.join("::")).collect();
    let expected: BTreeSet<String> = [
        "http::ApiError",
        "http::time::rfc3339",
        "services::sibling",
        "config::Config",
        "state::AppState::new",
        "services::x::child::g",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(seen, expected);
}
