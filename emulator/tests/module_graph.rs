//! The top-level modules of the emulator's library depend on each other without cycles, so each can be read
//! (and changed) knowing only the modules below it. The graph is read from the source itself, every
//! `crate::`, `$crate::` and `super::` path that leaves its module, so it cannot drift from the code.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};

/// Where a module uses another: the first place seen, to point at in a failure.
type Edges = BTreeMap<String, BTreeMap<String, String>>;

#[test]
fn top_level_modules_form_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules = declared_modules(&src.join("lib.rs"));
    let edges = module_graph(&src, &modules);

    // A scanner that saw nothing would pass any code: it must at least see the server start the listeners.
    assert!(
        edges
            .get("server")
            .is_some_and(|to| to.contains_key("state")),
        "the scan found no use of `state` in `server`; is the scanner still reading the source?"
    );

    let cycles: Vec<String> = strongly_connected(&modules, &edges)
        .into_iter()
        .filter(|component| component.len() > 1)
        .map(|component| describe_cycle(&component, &edges))
        .collect();
    assert!(
        cycles.is_empty(),
        "the emulator's top-level modules import each other in a circle:\n{}",
        cycles.join("\n")
    );
}

/// The modules `lib.rs` declares (`mod x;`, `pub mod x;`, `pub(crate) mod x;`).
fn declared_modules(lib: &Path) -> BTreeSet<String> {
    let text = read(lib);
    let tokens = tokens(&code_only(&text));
    let mut out = BTreeSet::new();
    for window in tokens.windows(3) {
        if let [
            Token::Ident(m, _),
            Token::Ident(name, _),
            Token::Punct(';', _),
        ] = window
            && m == "mod"
        {
            out.insert(name.clone());
        }
    }
    assert!(
        !out.is_empty(),
        "no module declarations in {}",
        lib.display()
    );
    out
}

/// Edges between top-level modules, from every file below `src` except the crate roots.
fn module_graph(src: &Path, modules: &BTreeSet<String>) -> Edges {
    let mut edges = Edges::new();
    for file in rust_files(src) {
        let relative = file.strip_prefix(src).expect("files are listed under src");
        let Some(path) = module_path(relative) else {
            continue;
        };
        let from = &path[0];
        assert!(
            modules.contains(from),
            "{} belongs to no module lib.rs declares",
            relative.display()
        );
        for (target, line) in uses(&code_only(&read(&file)), &path) {
            if &target != from && modules.contains(&target) {
                edges
                    .entry(from.clone())
                    .or_default()
                    .entry(target)
                    .or_insert_with(|| format!("{}:{line}", relative.display()));
            }
        }
    }
    edges
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries =
            fs::read_dir(&dir).unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The module a file holds (`arm/usage.rs` is `arm::usage`, `arm/mod.rs` is `arm`); none for the crate
/// roots, whose paths name the top-level modules without leaving anything.
fn module_path(relative: &Path) -> Option<Vec<String>> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let file = parts.pop()?;
    let stem = file.strip_suffix(".rs")?;
    if parts.is_empty() && (stem == "lib" || stem == "main") {
        return None;
    }
    if stem != "mod" {
        parts.push(stem.to_string());
    }
    Some(parts)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Ident(String, usize),
    Punct(char, usize),
}

/// Source text with comments and string and character literals blanked (newlines kept, for line numbers),
/// so a path in a doc comment or a message is not taken for a dependency.
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let blank = |out: &mut String, c: char| out.push(if c == '\n' { '\n' } else { ' ' });
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let prev_ident = i > 0 && ident(chars[i - 1]);
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                match (chars[i], chars.get(i + 1)) {
                    ('/', Some('*')) => {
                        depth += 1;
                        out.push_str("  ");
                        i += 2;
                    }
                    ('*', Some('/')) => {
                        depth -= 1;
                        out.push_str("  ");
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    }
                    (c, _) => {
                        blank(&mut out, c);
                        i += 1;
                    }
                }
            }
        } else if let Some(end) = (!prev_ident || c == 'r' && i > 0 && chars[i - 1] == 'b')
            .then(|| raw_string_end(&chars, i))
            .flatten()
        {
            for &c in &chars[i..end] {
                blank(&mut out, c);
            }
            i = end;
        } else if c == '"' {
            blank(&mut out, c);
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                let skip = if chars[i] == '\\' { 2 } else { 1 };
                for &c in chars.iter().skip(i).take(skip) {
                    blank(&mut out, c);
                }
                i += skip;
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && next == Some('\\') {
            // An escaped character literal: up to the next quote after the escape.
            let end = (i + 3..chars.len())
                .find(|&j| chars[j] == '\'')
                .map_or(chars.len(), |j| j + 1);
            for &c in &chars[i..end] {
                blank(&mut out, c);
            }
            i = end;
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            out.push_str("   ");
            i += 3;
        } else {
            // Code, and the quote of a lifetime.
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The end of a raw string (`r"…"`, `r#"…"#`) starting at `start`, if one starts there.
fn raw_string_end(chars: &[char], start: usize) -> Option<usize> {
    if chars[start] != 'r' {
        return None;
    }
    let hashes = chars[start + 1..].iter().take_while(|&&c| c == '#').count();
    let open = start + 1 + hashes;
    if chars.get(open) != Some(&'"') {
        return None;
    }
    (open + 1..chars.len())
        .find(|&j| {
            chars[j] == '"'
                && chars[j + 1..]
                    .iter()
                    .take(hashes)
                    .filter(|&&c| c == '#')
                    .count()
                    == hashes
        })
        .map(|j| j + 1 + hashes)
}

fn tokens(code: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut chars = code.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' {
            line += 1;
        } else if c.is_alphabetic() || c == '_' {
            let mut word = c.to_string();
            while let Some(&c) = chars.peek().filter(|c| c.is_alphanumeric() || **c == '_') {
                word.push(c);
                chars.next();
            }
            out.push(Token::Ident(word, line));
        } else if c.is_ascii_digit() {
            while chars
                .peek()
                .is_some_and(|c| c.is_alphanumeric() || *c == '_')
            {
                chars.next();
            }
        } else if !c.is_whitespace() {
            out.push(Token::Punct(c, line));
        }
    }
    out
}

/// The first segment after the crate root of every path in `code` that reaches the crate root, with its
/// line. `path` is the file's module; inline modules (`mod tests { … }`) nest below it.
fn uses(code: &str, path: &[String]) -> Vec<(String, usize)> {
    let tokens = tokens(code);
    let ident = |i: usize| match tokens.get(i) {
        Some(Token::Ident(word, _)) => Some(word.as_str()),
        _ => None,
    };
    let punct = |i: usize, p: char| matches!(tokens.get(i), Some(Token::Punct(c, _)) if *c == p);
    let path_sep = |i: usize| punct(i, ':') && punct(i + 1, ':');

    let mut out = Vec::new();
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < tokens.len() {
        if punct(i, '{') {
            depth += 1;
        } else if punct(i, '}') {
            if inline.last().is_some_and(|(_, at)| *at == depth) {
                inline.pop();
            }
            depth -= 1;
        } else if ident(i) == Some("mod")
            && let Some(name) = ident(i + 1)
            && punct(i + 2, '{')
        {
            inline.push((name.to_string(), depth + 1));
        }

        let starts_path = i < 2 || !path_sep(i - 2);
        let root_after = match ident(i) {
            Some("crate") if path_sep(i + 1) => Some((Vec::new(), i + 3)),
            Some("super") if starts_path && path_sep(i + 1) => {
                let mut module: Vec<String> = path
                    .iter()
                    .cloned()
                    .chain(inline.iter().map(|(name, _)| name.clone()))
                    .collect();
                let mut at = i;
                while ident(at) == Some("super") && path_sep(at + 1) {
                    module.pop();
                    at += 3;
                }
                Some((module, at))
            }
            _ => None,
        };
        if let Some((module, at)) = root_after {
            let line = match &tokens[i] {
                Token::Ident(_, line) | Token::Punct(_, line) => *line,
            };
            let targets = match module.first() {
                Some(top) => vec![top.clone()],
                None => first_segments(&tokens, at),
            };
            out.extend(targets.into_iter().map(|t| (t, line)));
        }
        i += 1;
    }
    out
}

/// The first segment of the path at `at`, or of each path of a `{a::b, c}` group there.
fn first_segments(tokens: &[Token], at: usize) -> Vec<String> {
    match tokens.get(at) {
        Some(Token::Ident(word, _)) => vec![word.clone()],
        Some(Token::Punct('{', _)) => {
            let mut out = Vec::new();
            let mut depth = 0;
            let mut item_start = true;
            for token in &tokens[at..] {
                match token {
                    Token::Punct('{', _) => {
                        depth += 1;
                        item_start = depth == 1;
                    }
                    Token::Punct('}', _) => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    Token::Punct(',', _) if depth == 1 => item_start = true,
                    Token::Ident(word, _) if item_start => {
                        out.push(word.clone());
                        item_start = false;
                    }
                    _ => item_start = false,
                }
            }
            out
        }
        _ => Vec::new(),
    }
}

/// Tarjan's strongly connected components.
fn strongly_connected(modules: &BTreeSet<String>, edges: &Edges) -> Vec<Vec<String>> {
    struct Walk<'a> {
        edges: &'a Edges,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        components: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, node: &'a str) {
            let n = self.index.len();
            self.index.insert(node, n);
            self.low.insert(node, n);
            self.stack.push(node);
            self.on_stack.insert(node);
            let edges = self.edges;
            for next in edges.get(node).into_iter().flat_map(|to| to.keys()) {
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
                let mut component = Vec::new();
                while let Some(member) = self.stack.pop() {
                    self.on_stack.remove(member);
                    component.push(member.to_string());
                    if member == node {
                        break;
                    }
                }
                component.sort();
                self.components.push(component);
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        components: Vec::new(),
    };
    for module in modules {
        if !walk.index.contains_key(module.as_str()) {
            walk.visit(module);
        }
    }
    walk.components
}

/// One shortest cycle through the first module of a component, each step with where it is used, then every
/// use inside the component: all of them have to go for the cycle to break.
fn describe_cycle(component: &[String], edges: &Edges) -> String {
    let start = &component[0];
    let members: BTreeSet<&String> = component.iter().collect();
    let mut came_from: BTreeMap<&String, &String> = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    let mut last = None;
    'search: while let Some(node) = queue.pop_front() {
        for next in edges.get(node).into_iter().flat_map(|to| to.keys()) {
            if !members.contains(next) {
                continue;
            }
            if next == start {
                last = Some(node);
                break 'search;
            }
            if !came_from.contains_key(next) {
                came_from.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    let mut back = Vec::new();
    let mut node = last.expect("a strongly connected component has a cycle");
    while node != start {
        back.push(node);
        node = came_from[node];
    }
    let cycle: Vec<&String> = std::iter::once(start)
        .chain(back.into_iter().rev())
        .chain(std::iter::once(start))
        .collect();
    let steps: Vec<String> = cycle
        .windows(2)
        .map(|pair| format!("  {} -> {} ({})", pair[0], pair[1], edges[pair[0]][pair[1]]))
        .collect();
    let mut inside = Vec::new();
    for from in component {
        for (target, at) in edges.get(from).into_iter().flatten() {
            if members.contains(target) {
                inside.push(format!("    {from} -> {target} ({at})"));
            }
        }
    }
    format!(
        "cycle among {{{}}}:\n{}\n  every use inside that set:\n{}",
        component.join(", "),
        steps.join("\n"),
        inside.join("\n")
    )
}

#[test]
fn the_scanner_reads_paths_and_skips_comments_and_strings() {
    let code = code_only(
        "use crate::{arm::x, azure};\n\
         // crate::pep in a comment\n\
         let s = \"crate::state in a string\";\n\
         let r = r#\"crate::faults\"#; let c = '\"'; let l: &'static str = crate::tls::X;\n\
         mod tests { use super::*; use super::super::config; }\n",
    );
    let found: Vec<(String, usize)> = uses(&code, &["server".to_string()]);
    assert_eq!(
        found,
        [
            ("arm".to_string(), 1),
            ("azure".to_string(), 1),
            ("tls".to_string(), 4),
            ("server".to_string(), 5),
            ("config".to_string(), 5),
        ]
    );
}
