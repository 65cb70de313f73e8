//! Reading `content/`: one sorted walk, files read in parallel.
//!
//! `content/briefings/**.md` are briefings; `content/<taxonomy>/*.md` are
//! entity profiles. Hidden files and editor leftovers (`.#x.md`, `x.md~`,
//! `.x.md.swp`) are skipped; anything unreadable becomes a diagnostic.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::config::SiteConfig;
use crate::diag::{Diagnostic, Severity, io_error};
use crate::model::SourceFile;

pub const BRIEFINGS_DIR: &str = "briefings";

/// What a file under `content/` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Briefing,
    Profile(usize),
}

/// Every Markdown file of the site, read.
#[derive(Debug, Default)]
pub struct Sources {
    pub briefings: Vec<SourceFile>,
    /// Profiles with the index of their taxonomy.
    pub profiles: Vec<(usize, SourceFile)>,
}

/// Walks `<root>/content` and reads every briefing and profile.
pub fn read_content(root: &Path, config: &SiteConfig) -> (Sources, Vec<Diagnostic>) {
    let content = root.join("content");
    let mut diagnostics = Vec::new();
    if !content.is_dir() {
        // An empty site is still a site: it builds a home page and nothing else.
        return (Sources::default(), diagnostics);
    }
    let walk = WalkDir::new(&content)
        .follow_links(true)
        .sort_by(by_name)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_ignored(e.file_name()));
    // Files are read on the other threads while the walk goes on; the walk's
    // order (sorted by name, depth first) is restored afterwards.
    let mut read: Vec<(usize, Found)> = walk
        .enumerate()
        .par_bridge()
        .filter_map(|(order, entry)| Some((order, visit(root, &content, config, entry)?)))
        .collect();
    read.sort_unstable_by_key(|(order, _)| *order);
    let mut sources = Sources::default();
    for (_, found) in read {
        match found {
            Found::File(Kind::Briefing, Ok(file)) => sources.briefings.push(file),
            Found::File(Kind::Profile(t), Ok(file)) => sources.profiles.push((t, file)),
            Found::File(_, Err(d)) | Found::Problem(d) => diagnostics.push(d),
        }
    }
    (sources, diagnostics)
}

/// Orders the entries of one folder by name, as walkdir's
/// `sort_by_file_name` does, but by comparing their paths' bytes: siblings
/// share their folder's path, so the names decide, and no path is taken apart
/// into components for every comparison. (walkdir's own took a quarter of a
/// second at 100,000 briefings, on the one thread walking while the other
/// waited for files to read.)
pub fn by_name(a: &walkdir::DirEntry, b: &walkdir::DirEntry) -> std::cmp::Ordering {
    a.path().as_os_str().cmp(b.path().as_os_str())
}

/// What one entry of the walk gave.
enum Found {
    File(Kind, Result<SourceFile, Diagnostic>),
    Problem(Diagnostic),
}

/// Reads the walk's entry if it is a briefing or a profile; `None` for
/// folders and files that are neither.
fn visit(
    root: &Path,
    content: &Path,
    config: &SiteConfig,
    entry: walkdir::Result<walkdir::DirEntry>,
) -> Option<Found> {
    let entry = match entry {
        Ok(entry) => entry,
        Err(e) => {
            let path = e
                .path()
                .map_or_else(|| content.to_path_buf(), Path::to_path_buf);
            let message = match e.loop_ancestor() {
                Some(ancestor) => format!(
                    "symbolic link loop back to {}; remove the link",
                    relative(root, ancestor).display()
                ),
                None => format!("cannot read: {e}"),
            };
            return Some(Found::Problem(Diagnostic::error(
                relative(root, &path),
                message,
            )));
        }
    };
    if !entry.file_type().is_file() || entry.path().extension().is_none_or(|e| e != "md") {
        return None;
    }
    let rel = entry.path().strip_prefix(content).unwrap_or(entry.path());
    Some(match classify(rel, config) {
        Some(kind) => Found::File(kind, read_file(root, entry.path())),
        None => Found::Problem(Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(
                relative(root, entry.path()),
                "ignored: Markdown in content/ must be under briefings/ or a taxonomy folder (such as people/)",
            )
        }),
    })
}

fn classify(rel: &Path, config: &SiteConfig) -> Option<Kind> {
    let mut parts = rel.components();
    let top = parts.next()?.as_os_str().to_str()?;
    let depth = rel.components().count();
    if top == BRIEFINGS_DIR {
        return Some(Kind::Briefing);
    }
    let taxonomy = config.taxonomy_index(top)?;
    (depth == 2).then_some(Kind::Profile(taxonomy))
}

/// The taxonomy whose profile the file at `rel` (relative to the site root)
/// would be, as the walk of `content/` reads it: `content/<taxonomy>/<name>.md`.
pub fn profile_taxonomy(rel: &Path, config: &SiteConfig) -> Option<usize> {
    let inside = rel.strip_prefix("content").ok()?;
    let markdown = rel.extension().is_some_and(|e| e == "md");
    match classify(inside, config)? {
        Kind::Profile(taxonomy) if markdown && visible(inside.components()) => Some(taxonomy),
        _ => None,
    }
}

/// Whether none of `parts` (of a path inside `content/`) is hidden or left
/// behind by an editor ([`is_ignored`]), nor `.` or `..`.
fn visible<'a>(parts: impl IntoIterator<Item = std::path::Component<'a>>) -> bool {
    parts.into_iter().all(|c| match c {
        std::path::Component::Normal(name) => !is_ignored(name),
        _ => false,
    })
}

/// Hidden files, editor backups, swap and lock files, and the `4913` file
/// Vim creates to probe whether it may write in a folder. `serve` ignores
/// changes to them by the same rule.
pub fn is_ignored(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    name.starts_with('.')
        || name.starts_with('#')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".tmp")
        || name == "4913"
}

/// Whether `rel`, a path relative to the site root, is a briefing the walk of
/// `content/` would read: `content/briefings/**/*.md`, nothing hidden or
/// left behind by an editor on the way.
pub fn is_briefing(rel: &Path) -> bool {
    let mut parts = rel.components();
    let top_two = [parts.next(), parts.next()].map(|c| c.map(|c| c.as_os_str()));
    top_two == [Some("content".as_ref()), Some(BRIEFINGS_DIR.as_ref())]
        && rel.extension().is_some_and(|e| e == "md")
        && visible(rel.components().skip(2))
}

/// Reads one file of the site (`path` as the walk found it, or absolute).
pub fn read_file(root: &Path, path: &Path) -> Result<SourceFile, Diagnostic> {
    let display = relative(root, path);
    let bytes = std::fs::read(path).map_err(|e| io_error(&display, "read this file", &e))?;
    decode(display, bytes)
}

/// The file `display` (a path relative to the site root) from its bytes,
/// which must be UTF-8; otherwise an error at the line of the first bad byte.
pub fn decode(display: PathBuf, bytes: Vec<u8>) -> Result<SourceFile, Diagnostic> {
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line = bytes[..valid].iter().filter(|&&b| b == b'\n').count() + 1;
        Diagnostic::error(
            &display,
            format!("not valid UTF-8 (byte {valid}); save the file as UTF-8"),
        )
        .at(crate::diag::Position::line(line))
    })?;
    Ok(SourceFile {
        path: display,
        text: Arc::new(text),
    })
}

/// A path relative to the site root, for messages.
pub fn relative(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every entry of a walk, relative to `root`, in the walk's order.
    fn walk_with(
        root: &Path,
        sort: impl FnMut(&walkdir::DirEntry, &walkdir::DirEntry) -> std::cmp::Ordering
        + Send
        + Sync
        + 'static,
    ) -> Vec<PathBuf> {
        WalkDir::new(root)
            .sort_by(sort)
            .into_iter()
            .map(|e| relative(root, e.expect("walkable").path()))
            .collect()
    }

    #[test]
    fn folders_are_walked_in_the_order_walkdir_sorts_names() {
        // Names where a byte-wise order of whole paths and a by-name order of
        // siblings could part: a name that prefixes another, '-', '.' and
        // '/' (a folder "a" before "a-c" though '/' sorts after '-'),
        // capitals, digits and non-ASCII.
        let dir = tempfile::tempdir().expect("temp dir");
        for name in [
            "a/z.md", "a/b/c.md", "a-c.md", "a.md", "a0/x.md", "B.md", "é.md", "ab.md",
        ] {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("folders");
            std::fs::write(&path, "x").expect("file");
        }
        let expected = walk_with(dir.path(), |a, b| a.file_name().cmp(b.file_name()));
        assert_eq!(walk_with(dir.path(), by_name), expected);
        let names: Vec<String> = expected.iter().map(|p| p.display().to_string()).collect();
        let position = |name: &str| names.iter().position(|n| n == name).expect(name);
        assert!(position("a/b/c.md") < position("a-c.md"), "{names:?}");
    }
}
