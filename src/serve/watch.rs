//! Watching the site's sources for `serve`: which files changed, and what
//! kind of rebuild that calls for.
//!
//! notify's debouncer gathers the events of one save (editors that write a
//! temporary file and rename it over the original make several) into one
//! batch; each batch becomes a [`ChangeSet`], classified by what depends on
//! the files in it. Hidden files and editor leftovers are dropped here, by the
//! same rule the content walk uses, so a swap file never triggers a rebuild.
//!
//! The site root itself is watched without recursion (it sees `dossier.yaml`
//! and a source folder appearing or vanishing); each source folder that exists
//! is watched recursively. [`Watcher::refresh`] adds a folder created later,
//! such as a first `static/`, and forgets one that was removed.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::sync::mpsc::Sender;
use std::time::Duration;

use notify_debouncer_full::notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{
    DebounceEventResult, DebouncedEvent, Debouncer, RecommendedCache, new_debouncer,
    notify::RecommendedWatcher,
};

use crate::config::CONFIG_FILE;
use crate::diag::Diagnostic;
use crate::source::is_ignored;

/// The folders under the site root whose files the site is built from.
pub const SOURCE_DIRS: [&str; 4] = ["content", "templates", "themes", "static"];

/// How long the watcher waits for a burst of events to end. Short, so a save
/// feels instant; long enough to see a write-to-temporary-then-rename as one.
const DEBOUNCE: Duration = Duration::from_millis(40);

/// The files one batch of events touched, relative to the site root, sorted
/// by what depends on them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ChangeSet {
    /// Files under `content/` written or created.
    pub content: BTreeSet<PathBuf>,
    /// Files under `content/` removed or renamed away.
    pub removed: BTreeSet<PathBuf>,
    /// Files copied as they are: `static/` and a theme's `static/`.
    pub static_files: BTreeSet<PathBuf>,
    /// Templates, a theme's templates, `dossier.yaml`: every page depends on them.
    pub global: BTreeSet<PathBuf>,
    /// The watcher lost events (the kernel's queue of them overflowed, as
    /// when a checkout rewrites thousands of files): which files changed is
    /// unknown, so only reading everything again is right.
    pub rescan: bool,
}

/// What a [`ChangeSet`] asks of a rebuild.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Nothing the site is built from changed.
    Nothing,
    /// Only static files: pages are unchanged. `css_only` when every one of
    /// them is a stylesheet, which a browser can swap without reloading.
    Static { css_only: bool },
    /// Content files (and perhaps static ones): the pages that show them.
    Content,
    /// A template or the config: every page.
    Full,
}

/// Where a path under the site root belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Content,
    Static,
    Global,
}

impl ChangeSet {
    /// A change set that asks for a full build (the first one, for instance).
    pub fn everything() -> ChangeSet {
        let mut changes = ChangeSet::default();
        changes.global.insert(PathBuf::from(CONFIG_FILE));
        changes
    }

    /// Records that `path` (absolute, under `root`) changed; `exists` says
    /// whether it is still there. Paths that are not sources are ignored.
    pub fn record(&mut self, root: &Path, path: &Path, exists: bool) {
        let Ok(rel) = path.strip_prefix(root) else {
            return;
        };
        let Some(kind) = classify(rel) else {
            return;
        };
        let rel = rel.to_path_buf();
        match kind {
            Kind::Content if exists => {
                self.removed.remove(&rel);
                self.content.insert(rel);
            }
            Kind::Content => {
                self.content.remove(&rel);
                self.removed.insert(rel);
            }
            Kind::Static => {
                self.static_files.insert(rel);
            }
            Kind::Global => {
                self.global.insert(rel);
            }
        }
    }

    /// Adds a later batch: a file's last state wins.
    pub fn merge(&mut self, later: ChangeSet) {
        for rel in later.content {
            self.removed.remove(&rel);
            self.content.insert(rel);
        }
        for rel in later.removed {
            self.content.remove(&rel);
            self.removed.insert(rel);
        }
        self.static_files.extend(later.static_files);
        self.global.extend(later.global);
        self.rescan |= later.rescan;
    }

    pub fn is_empty(&self) -> bool {
        self.scope() == Scope::Nothing
    }

    pub fn scope(&self) -> Scope {
        if self.rescan || !self.global.is_empty() {
            Scope::Full
        } else if !self.content.is_empty() || !self.removed.is_empty() {
            Scope::Content
        } else if !self.static_files.is_empty() {
            let css_only = self
                .static_files
                .iter()
                .all(|p| p.extension().is_some_and(|e| e == "css"));
            Scope::Static { css_only }
        } else {
            Scope::Nothing
        }
    }

    /// Every path in the set, sorted.
    pub fn paths(&self) -> BTreeSet<&Path> {
        self.content
            .iter()
            .chain(&self.removed)
            .chain(&self.static_files)
            .chain(&self.global)
            .map(PathBuf::as_path)
            .collect()
    }

    /// Why a build of these changes runs, to start the line it prints:
    /// "content/briefings/2021/rome.md changed", "3 files changed".
    pub fn why(&self) -> String {
        if self.rescan {
            "the watcher missed changes (its event queue overflowed), so every file was read again"
                .to_string()
        } else {
            format!("{} changed", self.describe())
        }
    }

    /// "content/briefings/2021/rome.md" for one file, "3 files" for more.
    pub fn describe(&self) -> String {
        let paths = self.paths();
        match paths.len() {
            1 => paths
                .first()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            n => format!("{n} files"),
        }
    }
}

/// What one batch of debounced events changed under `root`, if anything
/// the site is built from. An event that says events were lost (notify's
/// rescan flag, with no paths) asks for everything to be read again.
fn changes_of(root: &Path, events: &[DebouncedEvent]) -> Option<ChangeSet> {
    let mut changes = ChangeSet::default();
    for event in events
        .iter()
        .filter(|e| !matches!(e.kind, EventKind::Access(_)))
    {
        changes.rescan |= event.need_rescan();
        for path in &event.paths {
            changes.record(root, path, path.exists());
        }
    }
    (!changes.is_empty()).then_some(changes)
}

/// The kind of source a path relative to the root is, if it is one.
fn classify(rel: &Path) -> Option<Kind> {
    let names: Vec<&std::ffi::OsStr> = rel
        .components()
        .map(|c| match c {
            Component::Normal(name) => Some(name),
            _ => None,
        })
        .collect::<Option<_>>()?;
    if names.iter().any(|name| is_ignored(name)) {
        return None;
    }
    let top = names.first()?.to_str()?;
    match (top, names.len()) {
        (CONFIG_FILE, 1) => Some(Kind::Global),
        ("content", _) => Some(Kind::Content),
        ("static", _) => Some(Kind::Static),
        ("templates", _) => Some(Kind::Global),
        // themes/<name>/static/… is copied as it is; the rest is templates.
        ("themes", _) if names.get(2).is_some_and(|n| *n == "static") => Some(Kind::Static),
        ("themes", _) => Some(Kind::Global),
        _ => None,
    }
}

/// What the watcher tells the rebuild loop.
#[derive(Debug)]
pub enum Signal {
    Changes(ChangeSet),
    /// The watcher itself failed (a folder it cannot read, too many watches).
    Trouble(String),
    /// Serving has stopped; so should the loop.
    Stop,
}

/// The file watcher of one site: the root and its source folders.
pub struct Watcher {
    root: PathBuf,
    debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
    /// The source folders watched recursively now.
    watched: BTreeSet<PathBuf>,
}

impl Watcher {
    /// Starts watching `root`; each batch of changes is sent to `signals`.
    pub fn start(root: &Path, signals: Sender<Signal>) -> Result<Watcher, Diagnostic> {
        let root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
        let handler_root = root.clone();
        let handler = move |result: DebounceEventResult| {
            let signal = match result {
                Ok(events) => match changes_of(&handler_root, &events) {
                    Some(changes) => Signal::Changes(changes),
                    None => return,
                },
                Err(errors) => Signal::Trouble(
                    errors
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
            };
            // The loop is gone only when serving stopped: nothing to tell.
            let _ = signals.send(signal);
        };
        let mut debouncer = new_debouncer(DEBOUNCE, None, handler).map_err(|e| {
            Diagnostic::error(&root, format!("cannot start watching for changes: {e}"))
        })?;
        debouncer
            .watch(&root, RecursiveMode::NonRecursive)
            .map_err(|e| Diagnostic::error(&root, format!("cannot watch the site folder: {e}")))?;
        let mut watcher = Watcher {
            root,
            debouncer,
            watched: BTreeSet::new(),
        };
        watcher.refresh()?;
        Ok(watcher)
    }

    /// Watches the source folders that exist now and were not watched, and
    /// forgets those that are gone.
    pub fn refresh(&mut self) -> Result<(), Diagnostic> {
        for dir in SOURCE_DIRS.map(|d| self.root.join(d)) {
            let present = dir.is_dir();
            let watched = self.watched.contains(&dir);
            if present && !watched {
                self.debouncer
                    .watch(&dir, RecursiveMode::Recursive)
                    .map_err(|e| Diagnostic::error(&dir, format!("cannot watch: {e}")))?;
                self.watched.insert(dir);
            } else if !present && watched {
                // The folder's watch went with it; unwatching only tidies up.
                let _ = self.debouncer.unwatch(&dir);
                self.watched.remove(&dir);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changes(paths: &[(&str, bool)]) -> ChangeSet {
        let root = Path::new("/site");
        let mut set = ChangeSet::default();
        for (rel, exists) in paths {
            set.record(root, &root.join(rel), *exists);
        }
        set
    }

    #[test]
    fn content_edits_are_content_and_removals_are_kept_apart() {
        let set = changes(&[
            ("content/briefings/2021/rome.md", true),
            ("content/people/old.md", false),
        ]);
        assert_eq!(set.scope(), Scope::Content);
        assert!(
            set.content
                .contains(Path::new("content/briefings/2021/rome.md"))
        );
        assert!(set.removed.contains(Path::new("content/people/old.md")));
    }

    #[test]
    fn templates_themes_and_config_rebuild_everything() {
        for path in [
            "dossier.yaml",
            "templates/briefing.html",
            "themes/dossier/templates/base.html",
        ] {
            assert_eq!(changes(&[(path, true)]).scope(), Scope::Full, "{path}");
        }
        let mixed = changes(&[("content/a.md", true), ("templates/base.html", true)]);
        assert_eq!(mixed.scope(), Scope::Full);
    }

    #[test]
    fn stylesheets_alone_can_be_swapped() {
        let css = changes(&[
            ("static/style.css", true),
            ("themes/dossier/static/x.css", true),
        ]);
        assert_eq!(css.scope(), Scope::Static { css_only: true });
        let image = changes(&[("static/style.css", true), ("static/logo.svg", true)]);
        assert_eq!(image.scope(), Scope::Static { css_only: false });
    }

    #[test]
    fn editor_leftovers_and_other_folders_are_ignored() {
        let set = changes(&[
            ("content/briefings/.#rome.md", true),
            ("content/briefings/rome.md~", true),
            ("content/briefings/.rome.md.swp", true),
            ("content/briefings/4913", true),
            ("content/.git/index", true),
            ("public/index.html", true),
            ("target/debug/dossier", true),
            ("nested/dossier.yaml", true),
        ]);
        assert_eq!(set.scope(), Scope::Nothing, "{set:?}");
    }

    #[test]
    fn lost_events_ask_for_everything_to_be_read_again() {
        use notify_debouncer_full::notify::event::{Event, Flag};
        use std::time::Instant;
        let root = Path::new("/site");
        let debounced = |event: Event| DebouncedEvent::new(event, Instant::now());
        let overflow = debounced(Event::new(EventKind::Other).set_flag(Flag::Rescan));
        let set = changes_of(root, &[overflow]).expect("a rescan is a change");
        assert!(set.rescan);
        assert_eq!(set.scope(), Scope::Full);
        assert!(set.why().contains("missed changes"), "{}", set.why());
        // An event about nothing the site is made of is no change at all.
        let elsewhere = debounced(Event::new(EventKind::Any).add_path(root.join("public/x.html")));
        assert_eq!(changes_of(root, &[elsewhere]), None);
        // A rescan merged into a later batch's edits still reads everything.
        let mut edits = changes(&[("content/a.md", true)]);
        edits.merge(set);
        assert_eq!(edits.scope(), Scope::Full);
    }

    #[test]
    fn a_later_batch_wins_for_each_file() {
        let mut set = changes(&[("content/a.md", false)]);
        set.merge(changes(&[("content/a.md", true), ("static/x.css", true)]));
        assert!(set.removed.is_empty());
        assert_eq!(set.describe(), "2 files");
        assert_eq!(
            changes(&[("content/a.md", true)]).describe(),
            "content/a.md"
        );
    }
}
