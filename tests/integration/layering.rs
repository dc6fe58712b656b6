//! The crate's layers, checked: every `crate::` path in `src/` points at a layer above the
//! file's own (or inside it), and the folders of one layer import each other without a circle.
//!
//! The layers, in order (each may use only those before it; `src/lib.rs` names them too):
//! kernels → contract → tape → graph → ops → diff → train → viz.
//!
//! Test code is exempt, as integration tests are: a `#[cfg(test)] mod … { … }` block, and a
//! file declared as `#[cfg(test)] mod name;` (a test module or test helpers such as
//! `src/diff/testing.rs`). Doc comments are not code: a doc link may point anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const LAYERS: [&str; 8] = [
    "kernels", "contract", "tape", "graph", "ops", "diff", "train", "viz",
];

/// Paths under `crate::` that are not layers: re-exported external crates.
const EXTERNAL: [&str; 1] = ["num_dual"];

/// One source file: its path relative to `src/`, its text.
struct Source {
    path: String,
    text: String,
}

#[test]
fn the_crate_follows_its_layers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    read_tree(&root, &root, &mut files);
    let violations = check(&files);
    assert!(
        violations.is_empty(),
        "the layering of src/ is broken:\n  {}",
        violations.join("\n  ")
    );
}

#[test]
fn a_planted_upward_import_is_caught() {
    let files = [
        source("lib.rs", "mod kernels; mod ops;"),
        source("kernels/mod.rs", "mod rows;"),
        source(
            "kernels/rows.rs",
            "use crate::kernels::Real;\nuse crate::ops::Relu; // the planted one\n",
        ),
        source("ops/mod.rs", "use crate::kernels::Real;"),
    ];
    let violations = check(&files);
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(
        violations[0].starts_with("kernels/rows.rs:2: `crate::ops` is layer 5 (ops)"),
        "{}",
        violations[0]
    );
}

#[test]
fn a_planted_circle_between_folders_of_one_layer_is_caught() {
    let files = [
        source("lib.rs", ""),
        source("train/mod.rs", "mod io; mod optim;"),
        source("train/io/mod.rs", "use crate::train::optim::Parameters;"),
        source(
            "train/optim/mod.rs",
            "use crate::graph::Var;\nuse crate::train::io::save;",
        ),
    ];
    let violations = check(&files);
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(violations[0].contains("circle"), "{}", violations[0]);
    assert!(
        violations[0].contains("train/io → train/optim → train/io"),
        "{}",
        violations[0]
    );
}

#[test]
fn test_code_comments_and_strings_are_not_imports() {
    let files = [
        source("lib.rs", ""),
        source(
            "kernels/mod.rs",
            "#[cfg(test)]\nmod helpers;\n\
             /// [`Graph`](crate::Graph) is far above.\n\
             fn f() { let s = \"crate::train\"; /* crate::viz */ }\n\
             #[cfg(test)]\nmod tests {\n    use crate::train::nn::Dense;\n    fn g() { {} }\n}\n",
        ),
        source("kernels/helpers.rs", "use crate::diff::check::gradcheck;"),
    ];
    assert_eq!(check(&files), Vec::<String>::new());
}

#[test]
fn only_lib_rs_and_the_layer_folders_sit_at_the_top_of_src() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    found.sort();
    let mut expected: Vec<String> = LAYERS.iter().map(|l| l.to_string()).collect();
    expected.push("lib.rs".into());
    expected.sort();
    assert_eq!(found, expected);
}

fn source(path: &str, text: &str) -> Source {
    Source {
        path: path.into(),
        text: text.into(),
    }
}

fn read_tree(root: &Path, dir: &Path, out: &mut Vec<Source>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            read_tree(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push(Source {
                path: rel,
                text: std::fs::read_to_string(&path).unwrap(),
            });
        }
    }
}

/// The violations in `files`, one line each: `path:line: what`.
fn check(files: &[Source]) -> Vec<String> {
    let test_files = test_only_files(files);
    let folders: BTreeSet<String> = files.iter().filter_map(|f| folder_of(&f.path)).collect();
    let mut violations = Vec::new();
    // Edges between the folders of one layer: (from, to) → the first place it was seen.
    let mut edges: BTreeMap<(String, String), String> = BTreeMap::new();
    for file in files {
        if file.path == "lib.rs" || test_files.contains(&file.path) {
            continue;
        }
        let own_layer = file.path.split('/').next().unwrap();
        let Some(own) = LAYERS.iter().position(|l| *l == own_layer) else {
            violations.push(format!(
                "{}: `{own_layer}` is not a layer folder ({})",
                file.path,
                LAYERS.join(", ")
            ));
            continue;
        };
        let code = without_test_modules(&code_only(&file.text));
        for (line, path) in crate_paths(&code) {
            let head = path[0].as_str();
            if EXTERNAL.contains(&head) {
                continue;
            }
            let Some(target) = LAYERS.iter().position(|l| *l == head) else {
                violations.push(format!(
                    "{}:{line}: `crate::{head}` is not a layer: import through a layer folder \
                     (`crate::<layer>::…`), not a root re-export",
                    file.path
                ));
                continue;
            };
            if target > own {
                violations.push(format!(
                    "{}:{line}: `crate::{head}` is layer {} ({head}), above this file's layer \
                     {} ({own_layer}): a layer may use only the layers before it",
                    file.path,
                    target + 1,
                    own + 1
                ));
            } else if target == own {
                let from = folder_of(&file.path);
                if let (Some(from), Some(next)) = (from, path.get(1)) {
                    let to = format!("{own_layer}/{next}");
                    if from != to && folders.contains(&to) {
                        edges
                            .entry((from, to))
                            .or_insert_with(|| format!("{}:{line}", file.path));
                    }
                }
            }
        }
    }
    violations.extend(circles(&edges));
    violations
}

/// The folder inside a layer that a file belongs to: `train/optim/adam.rs` → `train/optim`;
/// `None` for a file directly in the layer's folder (`train/datasets.rs`, `ops/relu.rs`).
fn folder_of(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').collect();
    (parts.len() >= 3).then(|| format!("{}/{}", parts[0], parts[1]))
}

/// One line per circle among the folders of a layer.
fn circles(edges: &BTreeMap<(String, String), String>) -> Vec<String> {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in edges.keys() {
        next.entry(from).or_default().push(to);
    }
    let mut found = Vec::new();
    let mut reported: BTreeSet<BTreeSet<String>> = BTreeSet::new();
    for &start in next.keys() {
        // Depth-first search for a way back to `start`.
        let mut stack = vec![(start, vec![start])];
        let mut seen = BTreeSet::new();
        while let Some((at, way)) = stack.pop() {
            for &to in next.get(at).into_iter().flatten() {
                if to == start {
                    let members: BTreeSet<String> = way.iter().map(|s| s.to_string()).collect();
                    if reported.insert(members) {
                        let mut shown = way.clone();
                        shown.push(start);
                        let places: Vec<&str> = way
                            .iter()
                            .zip(shown.iter().skip(1))
                            .map(|(a, b)| edges[&(a.to_string(), b.to_string())].as_str())
                            .collect();
                        found.push(format!(
                            "circle between folders: {} (imports at {})",
                            shown.join(" → "),
                            places.join(", ")
                        ));
                    }
                } else if seen.insert(to) {
                    let mut longer = way.clone();
                    longer.push(to);
                    stack.push((to, longer));
                }
            }
        }
    }
    found
}

/// The files declared as `#[cfg(test)] mod name;`.
fn test_only_files(files: &[Source]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for file in files {
        let code = code_only(&file.text);
        let dir = match file.path.rsplit_once('/') {
            Some((dir, name)) if name == "mod.rs" || file.path == "lib.rs" => dir.to_string(),
            Some((dir, name)) => format!("{dir}/{}", name.trim_end_matches(".rs")),
            None if file.path == "lib.rs" => String::new(),
            None => file.path.trim_end_matches(".rs").to_string(),
        };
        let mut rest = code.as_str();
        while let Some(at) = rest.find("#[cfg(test)]") {
            rest = &rest[at + "#[cfg(test)]".len()..];
            let item = rest.trim_start();
            let item = item
                .strip_prefix("pub(crate) ")
                .or_else(|| item.strip_prefix("pub "))
                .unwrap_or(item);
            if let Some(decl) = item.strip_prefix("mod ") {
                let name: String = decl
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if decl[name.len()..].trim_start().starts_with(';') {
                    let prefix = if dir.is_empty() {
                        String::new()
                    } else {
                        format!("{dir}/")
                    };
                    out.insert(format!("{prefix}{name}.rs"));
                    out.insert(format!("{prefix}{name}/mod.rs"));
                }
            }
        }
    }
    out
}

/// `code` with every `#[cfg(test)] mod name { … }` block blanked (newlines kept).
fn without_test_modules(code: &str) -> String {
    let mut out = code.to_string();
    let mut from = 0;
    while let Some(found) = out[from..].find("#[cfg(test)]") {
        let at = from + found;
        let after = &out[at + "#[cfg(test)]".len()..];
        let item = after.trim_start();
        let item = item
            .strip_prefix("pub(crate) ")
            .unwrap_or(item)
            .strip_prefix("mod ");
        let open = item.and_then(|decl| {
            let name_len = decl
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .count();
            decl[name_len..]
                .trim_start()
                .starts_with('{')
                .then(|| at + out[at..].find('{').unwrap())
        });
        let Some(open) = open else {
            from = at + 1;
            continue;
        };
        let mut depth = 0;
        let mut end = out.len();
        for (i, c) in out[open..].char_indices() {
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
        let blank: String = out[at..end]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect();
        out.replace_range(at..end, &blank);
        from = at + blank.len();
    }
    out
}

/// The source with comments, strings and character literals blanked (newlines kept, so line
/// numbers stay right).
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !ident_before(&chars, i) {
            // A raw string r"…" or r#"…"#.
            let mut hashes = 0;
            let mut j = i + 1;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let close: String = std::iter::once('"')
                .chain("#".repeat(hashes).chars())
                .collect();
            let close: Vec<char> = close.chars().collect();
            let mut k = j + 1;
            while k < chars.len() && chars[k..].iter().take(close.len()).ne(close.iter()) {
                k += 1;
            }
            let end = (k + close.len()).min(chars.len());
            out.extend(chars[i..end].iter().map(|&c| blank(c)));
            i = end;
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && (chars.get(i + 2) == Some(&'\'') || next == Some('\\')) {
            // A character literal ('a', '\n', '\''); a lifetime has no closing quote.
            out.push(' ');
            i += 1;
            if chars.get(i) == Some(&'\\') {
                out.push(' ');
                i += 1;
            }
            while i < chars.len() && chars[i] != '\'' {
                out.push(' ');
                i += 1;
            }
            out.push(' ');
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// Every `crate::a::b…` path in `code` with its line: the segments after `crate::` (for a
/// group `crate::{a::b, c}`, one path per item).
fn crate_paths(code: &str) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = code[from..].find("crate::") {
        let at = from + found;
        from = at + "crate::".len();
        if at > 0 {
            let before = code[..at].chars().next_back().unwrap();
            if before.is_alphanumeric() || before == '_' || before == '$' {
                continue; // `$crate::`, `shapegrad_crate::`
            }
        }
        let line = code[..at].matches('\n').count() + 1;
        let rest = &code[from..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut end = group.len();
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            for item in top_level_items(&group[..end]) {
                out.push((line, segments(&item)));
            }
        } else {
            out.push((line, segments(rest)));
        }
    }
    out
}

fn top_level_items(group: &str) -> Vec<String> {
    let mut items = Vec::new();
    let (mut depth, mut current) = (0, String::new());
    for c in group.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    items.push(current);
    items
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// `a::b::{c, d}` → `[a, b]`; `a::b::C<T>` → `[a, b, C]`.
fn segments(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = path.trim_start();
    loop {
        let ident: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if ident.is_empty() {
            break;
        }
        rest = &rest[ident.len()..];
        out.push(ident);
        match rest.strip_prefix("::") {
            Some(more) => rest = more,
            None => break,
        }
    }
    out
}
