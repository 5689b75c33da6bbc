//! What the parity gate observes of a compile besides its result, each from its own source: the
//! files it left in its directory (a snapshot of the whole tree, before and after), the cache's
//! counters (`zcwrap --print-stats`), and its audit events (the JSON Lines file). Plus the
//! fixtures: the `zcwrap` under test and scratch directories.

#![allow(dead_code)] // each test binary uses its own part

use std::collections::BTreeMap;
use std::env;
use std::fmt;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

// ---- Fixtures -----------------------------------------------------------------------------------

/// The zcwrap under test. Fails loudly: a parity gate that skips itself is no gate.
pub fn zcwrap_bin() -> PathBuf {
    let bin = env::var_os("ZCWRAP_BIN").unwrap_or_else(|| {
        panic!(
            "ZCWRAP_BIN is not set: point it at the zcwrap of the build under test \
             (ZCWRAP_BIN=<meson build dir>/wrapper/zcwrap), or run tests/shim/cargo_test.sh"
        )
    });
    let bin = PathBuf::from(bin);
    assert!(bin.is_file(), "ZCWRAP_BIN={} does not exist (build it first)", bin.display());
    bin
}

pub fn on_path(program: &str) -> bool {
    env::var_os("PATH")
        .map(|path| env::split_paths(&path).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}

/// A fresh directory, removed on drop.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let dir = env::temp_dir().join(format!(
            "zcshim-parity-{name}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn dir(&self, name: &str) -> PathBuf {
        let dir = self.0.join(name);
        fs::create_dir_all(&dir).unwrap();
        dir
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Stops the daemon of a cache directory when dropped (also when a test fails).
pub struct DaemonStopper {
    pub zcwrap: PathBuf,
    pub cache: PathBuf,
}

impl Drop for DaemonStopper {
    fn drop(&mut self) {
        let _ =
            Command::new(&self.zcwrap).arg("--daemon-stop").env("ZCWRAP_DIR", &self.cache).output();
    }
}

// ---- Directory trees ----------------------------------------------------------------------------

/// One entry of a directory tree.
#[derive(Clone, PartialEq, Eq)]
pub enum Node {
    File { mode: u32, data: Vec<u8> },
    Dir { mode: u32 },
    Symlink { target: PathBuf },
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::File { mode, data } => write!(f, "file {mode:04o}, {} bytes", data.len()),
            Node::Dir { mode } => write!(f, "directory {mode:04o}"),
            Node::Symlink { target } => write!(f, "symlink to {}", target.display()),
        }
    }
}

/// Every entry under a directory, by path relative to it: names, kinds, permission bits, bytes.
pub type Tree = BTreeMap<PathBuf, Node>;

pub fn snapshot(root: &Path) -> Tree {
    fn walk(root: &Path, dir: &Path, tree: &mut Tree) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            let meta = fs::symlink_metadata(&path).unwrap();
            let mode = meta.permissions().mode() & 0o7777;
            let name = path.strip_prefix(root).unwrap().to_path_buf();
            if meta.file_type().is_symlink() {
                tree.insert(name, Node::Symlink { target: fs::read_link(&path).unwrap() });
            } else if meta.is_dir() {
                tree.insert(name, Node::Dir { mode });
                walk(root, &path, tree);
            } else {
                tree.insert(name, Node::File { mode, data: fs::read(&path).unwrap() });
            }
        }
    }
    let mut tree = Tree::new();
    walk(root, root, &mut tree);
    tree
}

/// Copies a tree with its permission bits and mtimes (`cp -a`), as a checkout nothing touched:
/// what a PCH compile reads is keyed with its mtimes (docs/direct-mode.md). `to` must not exist.
pub fn copy_tree(from: &Path, to: &Path) {
    let status = Command::new("cp").arg("-a").arg(from).arg(to).status().unwrap();
    assert!(status.success(), "cp -a {} {}", from.display(), to.display());
}

/// What happened to one path between two snapshots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Created(Node),
    Changed(Node),
    Removed,
}

/// Every path a run created, changed (bytes, mode or kind) or removed.
pub type Changes = BTreeMap<PathBuf, Change>;

pub fn changes(before: &Tree, after: &Tree) -> Changes {
    let mut out = Changes::new();
    for (name, node) in after {
        match before.get(name) {
            None => {
                out.insert(name.clone(), Change::Created(node.clone()));
            }
            Some(old) if old != node => {
                out.insert(name.clone(), Change::Changed(node.clone()));
            }
            Some(_) => {}
        }
    }
    for name in before.keys().filter(|name| !after.contains_key(*name)) {
        out.insert(name.clone(), Change::Removed);
    }
    out
}

/// Where two byte strings first differ, for messages.
pub fn first_difference(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).position(|(x, y)| x != y).unwrap_or_else(|| a.len().min(b.len()))
}

/// Both runs created, changed and removed the same paths, with the same kinds, modes and bytes.
pub fn assert_same_changes(what: &str, a: &Changes, b: &Changes) {
    if a == b {
        return;
    }
    let mut problems = Vec::new();
    for name in a.keys().chain(b.keys()).collect::<std::collections::BTreeSet<_>>() {
        let (x, y) = (a.get(name), b.get(name));
        if x == y {
            continue;
        }
        let detail = match (x, y) {
            (
                Some(Change::Created(Node::File { mode: m1, data: d1 }))
                | Some(Change::Changed(Node::File { mode: m1, data: d1 })),
                Some(Change::Created(Node::File { mode: m2, data: d2 }))
                | Some(Change::Changed(Node::File { mode: m2, data: d2 })),
            ) if d1 != d2 => format!(
                "bytes differ (modes {m1:04o} and {m2:04o}, lengths {} and {}, first difference \
                 at byte {})",
                d1.len(),
                d2.len(),
                first_difference(d1, d2)
            ),
            _ => format!("{x:?} vs {y:?}"),
        };
        problems.push(format!("  {}: {detail}", name.display()));
    }
    panic!("{what}: the runs left different files:\n{}", problems.join("\n"));
}

// ---- Cache counters -----------------------------------------------------------------------------

/// Cache counters by name, as `zcwrap --print-stats` prints them.
pub type Counters = BTreeMap<String, u64>;

/// Counters that move without a compile.
pub fn is_clock(name: &str) -> bool {
    name.ends_with("_timestamp")
}

/// The counters of the cache in `cache`, read by `zcwrap --print-stats`: the CLI's own reader of
/// the stats files, independent of any audit event.
pub fn zcwrap_counters(zcwrap: &Path, cache: &Path) -> Counters {
    let out = Command::new(zcwrap)
        .arg("--print-stats")
        .env_clear()
        .env("PATH", env::var_os("PATH").unwrap_or_default())
        .env("ZCWRAP_DIR", cache)
        .output()
        .unwrap();
    assert!(out.status.success(), "zcwrap --print-stats: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let (name, value) = line.split_once('\t').unwrap_or_else(|| panic!("stats: {line:?}"));
            (name.to_string(), value.parse().unwrap_or_else(|_| panic!("stats: {line:?}")))
        })
        .collect()
}

/// `after - before` per counter, the unchanged ones and the clocks left out.
pub fn delta(before: &Counters, after: &Counters) -> BTreeMap<String, i64> {
    after
        .iter()
        .filter(|(name, _)| !is_clock(name))
        .map(|(name, value)| (name.clone(), *value as i64 - *before.get(name).unwrap_or(&0) as i64))
        .filter(|(_, d)| *d != 0)
        .collect()
}

// ---- Audit events -------------------------------------------------------------------------------

/// The top-level fields of a one-line JSON object, in order, each value as its JSON text
/// (strings keep their quotes and escapes; objects and arrays are kept whole). None if the line
/// is not one object.
pub fn json_fields(line: &str) -> Option<Vec<(String, String)>> {
    let b = line.trim().as_bytes();
    let text = line.trim();
    let skip_ws = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    // The index after the string that starts at i.
    let string_end = |mut i: usize| -> Option<usize> {
        i += 1;
        while i < b.len() {
            match b[i] {
                b'\\' => i += 2,
                b'"' => return Some(i + 1),
                _ => i += 1,
            }
        }
        None
    };
    let value_end = |mut i: usize| -> Option<usize> {
        match *b.get(i)? {
            b'"' => string_end(i),
            b'{' | b'[' => {
                let mut depth = 0;
                while i < b.len() {
                    match b[i] {
                        b'"' => {
                            i = string_end(i)?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                return Some(i + 1);
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                None
            }
            _ => {
                let start = i;
                while i < b.len()
                    && !matches!(b[i], b',' | b'}' | b']')
                    && !b[i].is_ascii_whitespace()
                {
                    i += 1;
                }
                (i > start).then(|| i)
            }
        }
    };
    let mut fields = Vec::new();
    let mut i = skip_ws(0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(i + 1);
    if b.get(i) == Some(&b'}') {
        return (skip_ws(i + 1) == b.len()).then(|| fields);
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let key_end = string_end(i)?;
        let key = text[i + 1..key_end - 1].to_string();
        i = skip_ws(key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(i + 1);
        let end = value_end(i)?;
        fields.push((key, text[i..end].to_string()));
        i = skip_ws(end);
        match b.get(i) {
            Some(b',') => i = skip_ws(i + 1),
            Some(b'}') => return (skip_ws(i + 1) == b.len()).then(|| fields),
            _ => return None,
        }
    }
}

/// One audit event, with only the fields that say what the compile did.
#[derive(Clone, PartialEq, Eq)]
pub struct Event {
    pub name: String,
    /// The other fields, in order, values as JSON text.
    pub fields: Vec<(String, String)>,
}

impl Event {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name)?;
        for (name, value) in &self.fields {
            write!(f, " {name}={value}")?;
        }
        Ok(())
    }
}

/// Fields that differ between any two runs of one compile, or between the backends by design:
/// ids, clocks, the writer (origin, pid, the embedded service's host identity).
pub const UNCOMPARED_FIELDS: &[&str] = &[
    "schema",
    "event",
    "ts",
    "compile_id",
    "origin",
    "pid",
    "host",
    "run_id",
    "trace_id",
    "parent_span_id",
    "command_id",
    "session_id",
    "duration_us",
    "queued_us",
];

/// The events of compile `compile_id` in the audit file `path`, in order (none for an empty id).
/// The service's own events (service.started, service.flushed, ...) carry no compile id.
pub fn events_of(path: &Path, compile_id: &str) -> Vec<Event> {
    if compile_id.is_empty() {
        return Vec::new();
    }
    let text = fs::read_to_string(path).unwrap_or_default();
    let id = format!("\"{compile_id}\"");
    text.lines()
        .filter_map(|line| {
            let fields = json_fields(line).unwrap_or_else(|| panic!("a torn audit line: {line}"));
            let of_this = fields.iter().any(|(n, v)| n == "compile_id" && *v == id);
            let name = fields.iter().find(|(n, _)| n == "event")?.1.trim_matches('"').to_string();
            if !of_this || name.starts_with("service.") {
                return None;
            }
            let fields = fields
                .into_iter()
                .filter(|(n, _)| !UNCOMPARED_FIELDS.contains(&n.as_str()))
                .collect();
            Some(Event { name, fields })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_fields_keeps_values_as_text() {
        let line = r#"{"schema":1,"event":"x","host":{"a":"}"},"s":"q\"}","n":null,"arr":[1,[2]]}"#;
        let fields = json_fields(line).unwrap();
        let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["schema", "event", "host", "s", "n", "arr"]);
        assert_eq!(fields[2].1, r#"{"a":"}"}"#);
        assert_eq!(fields[3].1, r#""q\"}""#);
        assert_eq!(fields[4].1, "null");
        assert_eq!(fields[5].1, "[1,[2]]");
        assert!(json_fields(r#"{"event":"compile.fin"#).is_none());
        assert!(json_fields("{} x").is_none());
    }
}
