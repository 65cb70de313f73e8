//! The search index of a site that is served while it is built (`serve`):
//! the pages are written first, and the index follows.
//!
//! A full build renders its pages without reading them for the index and
//! swaps its site in through [`Background::commit`], which carries the
//! previous build's `pagefind/` over, so search keeps working (on the last
//! index) meanwhile; an in-place rebuild writes its pages over the old
//! ones. Then [`Background::index_later`] starts a thread that brings the
//! bundle up to date ([`super::update_pages`]): it knows what the bundle in
//! the output was made of and which pages were written since, reads those
//! back, and makes again, part after part, only the parts whose pages or
//! their records changed (after an edit to one briefing, one part; after a
//! new template, none). It writes them into the output, each file replaced
//! atomically, the entries (which name the rest) and the list of parts
//! after the files they name, the bundle's own entry last, then removes the
//! files those parts no longer have and the parts that are gone. Its
//! threads (a part per core) run at the lowest priority: an edit saved
//! meanwhile has the cores it needs.
//!
//! Builds are numbered. A bundle is written only if no later build has been
//! swapped in since, and the number and the swap share a lock with the
//! writing, so a stale index never lands in a newer site. Indexes take
//! turns, each starting from what the one before wrote, so quick successive
//! builds never pile up indexes in memory and no page written meanwhile is
//! missed. A new build stops, at its next look (between pages), the index
//! waiting for its turn and any index of a site swapped out; an index
//! running for the same site (the new build rebuilt it in place) is left to
//! finish and written, and the new one makes again only what changed since
//! it started: in `serve`, edits saved every few seconds would otherwise
//! stop each index of a large archive before its end, and none would ever
//! be written. What a stopped index read and made is kept ([`Progress`])
//! for the next one.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use walkdir::WalkDir;

use super::{
    BUNDLE_DIR, BundleFile, Earlier, Indexed, Progress, Since, Site, Update, bundle_path,
    update_pages,
};
use crate::diag::{Diagnostic, Diagnostics};
use crate::output::{InPlace, OutputStats, Staging};
use crate::render::PageSink;

/// What the bundle's loader reads first: written last.
const ENTRY: &str = "pagefind/pagefind-entry.json";

/// Where a file of the bundle comes in the writing: what the search page
/// reads first comes last, so a page loaded meanwhile reads either the old
/// index or a whole new one. Each later part's entry follows its files, the
/// list of parts follows those, the bundle's own entry ends it.
fn written_late(path: &str) -> u8 {
    if path == ENTRY {
        3
    } else if path == super::PARTS_LIST {
        2
    } else if path.ends_with("/pagefind-entry.json") {
        1
    } else {
        0
    }
}

/// A finished background index.
#[derive(Debug, Clone, Copy)]
pub struct Ready {
    /// Files written.
    pub files: usize,
    /// Parts of the bundle made again (or copied), and of how many.
    pub parts: (usize, usize),
    /// Parts copied from the bundle of another build
    /// ([`Background::take_parts_from`]).
    pub taken: usize,
    /// Briefing pages read for their record.
    pub pages_read: usize,
    /// From the site swapped in to its index written.
    pub elapsed: Duration,
}

/// What the latest background index came to; `None` in place of a value:
/// it was stopped, or a later build made it stale.
pub type Outcome = Result<Option<Ready>, Diagnostics>;

/// Told how each background index ended that was not stopped.
pub type Listener = Arc<dyn Fn(&Outcome) + Send + Sync>;

/// What the builds and their index threads share.
#[derive(Default)]
struct Shared {
    /// The number of the build whose site is in the output.
    current: Mutex<u64>,
    /// Held by the one index being made.
    turn: Mutex<()>,
    /// What the bundle in the output is made of, if there is one; changed
    /// with it, under `current`.
    indexed: Mutex<Option<Indexed>>,
    /// The pages written since that bundle was made.
    dirty: Mutex<Dirty>,
    /// What indexes stopped before they were written had worked out.
    progress: Mutex<Progress>,
}

/// The pages written since the bundle in the output was made, each with
/// the mark of the last rebuild that wrote it: an index started at one mark
/// and written forgets only what was marked up to it.
#[derive(Default)]
struct Dirty {
    pages: HashMap<String, u64>,
    /// Every page counts as written, as of this mark (a full build).
    all: Option<u64>,
    /// The last mark given.
    mark: u64,
}

impl Dirty {
    /// Marks `fresh` (`None`: every page) as written.
    fn mark(&mut self, fresh: Option<HashSet<String>>) {
        self.mark += 1;
        match fresh {
            Some(fresh) => self
                .pages
                .extend(fresh.into_iter().map(|page| (page, self.mark))),
            None => self.all = Some(self.mark),
        }
    }

    /// The pages an index started now reads back (`None`: all), and the mark.
    fn snapshot(&self) -> (Option<HashSet<String>>, u64) {
        let pages = self
            .all
            .is_none()
            .then(|| self.pages.keys().cloned().collect());
        (pages, self.mark)
    }

    /// Whether `page` was written after `mark`.
    fn written_after(&self, page: &str, mark: u64) -> bool {
        self.all.is_some_and(|all| all > mark) || self.pages.get(page).is_some_and(|&m| m > mark)
    }

    /// An index started at `mark` was written: what was marked since stays.
    fn written(&mut self, mark: u64) {
        self.pages.retain(|_, marked| *marked > mark);
        if self.all.is_some_and(|all| all <= mark) {
            self.all = None;
        }
    }
}

/// The background indexes of one output folder.
#[derive(Default)]
pub struct Background {
    shared: Arc<Shared>,
    /// The latest index started.
    latest: Option<Started>,
    /// An index left to finish when a later one was started for the same
    /// site (after an in-place rebuild), whether it is still wanted, and
    /// its site's number: it is written, and the later one starts from it.
    finishing: Option<(Arc<AtomicBool>, u64)>,
    listener: Option<Listener>,
    /// The number of the last site committed.
    number: u64,
    /// Another output folder whose bundle parts are taken from while the
    /// output has none.
    parts_from: Option<PathBuf>,
}

/// An index thread [`Background::index_later`] started.
struct Started {
    thread: JoinHandle<Outcome>,
    /// Cleared to stop it (it looks between pages).
    wanted: Arc<AtomicBool>,
    /// Set once it has its turn: the indexes before it are done.
    running: Arc<AtomicBool>,
    /// The number of the site it indexes.
    number: u64,
}

impl Background {
    pub fn new() -> Background {
        Background::default()
    }

    /// Calls `listener` from the index thread when an index is written or fails.
    pub fn listen(&mut self, listener: Listener) {
        self.listener = Some(listener);
    }

    /// Has an index made while the output has no bundle (the first)
    /// copy the parts that the bundle in `folder` (another build's
    /// output: `serve` gives `public/`) has as this site would make them.
    pub fn take_parts_from(&mut self, folder: PathBuf) {
        self.parts_from = Some(folder);
    }

    /// Stops every index still running or waiting for its turn.
    pub fn stop(&self) {
        if let Some(latest) = &self.latest {
            latest.wanted.store(false, Ordering::Relaxed);
        }
        if let Some((wanted, _)) = &self.finishing {
            wanted.store(false, Ordering::Relaxed);
        }
    }

    /// Makes way for an index of site `number`. One waiting for its turn
    /// is stopped: the new one reads what it would have. One running for
    /// the same site (the new one follows an in-place rebuild) is left to
    /// finish: what it reads is still the site's but for the pages just
    /// written, which stay marked for the new one, and stopped it would
    /// leave its part half made (in `serve`, an edit saved every few
    /// seconds would stop every index of a large archive before its end).
    /// Any index of another site (a full build swapped in) is stopped.
    fn make_way(&mut self, number: u64) {
        if let Some((wanted, of)) = &self.finishing
            && *of != number
        {
            wanted.store(false, Ordering::Relaxed);
        }
        let Some(latest) = self.latest.take() else {
            return;
        };
        let running = latest.running.load(Ordering::Relaxed);
        if running && latest.number == number {
            // The one finishing before it, if any, is done: it had the turn first.
            self.finishing = Some((latest.wanted, latest.number));
        } else {
            latest.wanted.store(false, Ordering::Relaxed);
        }
    }

    /// Swaps `staging` in as the output, the previous search bundle carried
    /// over when the new site will have one (`searched`), and numbers it:
    /// from now on only its own index may be written. Returns the number.
    pub fn commit(
        &mut self,
        staging: Staging,
        searched: bool,
    ) -> Result<(OutputStats, u64), Diagnostic> {
        let mut current = self
            .shared
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let keep = searched.then_some(BUNDLE_DIR.trim_end_matches('/'));
        let stats = staging.commit_keeping(keep)?;
        if !searched {
            *self.shared.indexed() = None;
            *self.shared.progress() = Progress::default();
        }
        *current += 1;
        self.number = *current;
        Ok((stats, *current))
    }

    /// The number of the site in the output (the last one committed): what
    /// an index made for it after an in-place rebuild goes by.
    pub fn current(&self) -> u64 {
        self.number
    }

    /// Brings the bundle of `site` in `output` up to date with its
    /// briefing pages at `pages` (output paths, in archive order),
    /// `part_size` pages to a part, on a thread of its own, and
    /// writes what changed there if build `number` is still the one there.
    /// `fresh`: the pages written since the last index (`None`: any may
    /// have been); only the parts whose pages changed are made again.
    pub fn index_later(
        &mut self,
        site: Site,
        pages: Arc<[String]>,
        part_size: usize,
        output: PathBuf,
        number: u64,
        fresh: Option<HashSet<String>>,
    ) {
        self.shared.dirty().mark(fresh);
        self.make_way(number);
        let wanted = Arc::new(AtomicBool::new(true));
        let running = Arc::new(AtomicBool::new(false));
        let job = Job {
            site,
            pages,
            part_size,
            output,
            parts_from: self.parts_from.clone(),
            number,
            shared: Arc::clone(&self.shared),
            wanted: Arc::clone(&wanted),
            running: Arc::clone(&running),
            started: Instant::now(),
        };
        let listener = self.listener.clone();
        let spawned = std::thread::Builder::new()
            .name("search-index".into())
            .spawn(move || {
                yield_to_rebuilds();
                job.run(listener.as_ref())
            });
        self.latest = match spawned {
            Ok(thread) => Some(Started {
                thread,
                wanted,
                running,
                number,
            }),
            Err(e) => {
                let problem = Diagnostic::error(
                    BUNDLE_DIR,
                    format!("cannot start the search index's thread: {e}"),
                );
                if let Some(listener) = &self.listener {
                    listener(&Err(Diagnostics(vec![problem])));
                }
                None
            }
        };
    }

    /// Waits for the latest index to be written (or to fail, or to be
    /// stopped); `None` when there was none.
    pub fn wait(&mut self) -> Option<Outcome> {
        let thread = self.latest.take()?.thread;
        Some(thread.join().unwrap_or_else(|_| {
            Err(Diagnostics(vec![Diagnostic::error(
                BUNDLE_DIR,
                "the search index's thread stopped unexpectedly",
            )]))
        }))
    }
}

impl Drop for Background {
    /// An index nobody will serve is not worth finishing, nor writing: once
    /// this returns, no index thread writes into the output (which `serve`
    /// removes next). One writing now finishes first.
    fn drop(&mut self) {
        self.stop();
        let mut current = self
            .shared
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *current = current.wrapping_add(1);
    }
}

/// One background index: see [`Background::index_later`].
struct Job {
    site: Site,
    pages: Arc<[String]>,
    part_size: usize,
    output: PathBuf,
    /// See [`Background::take_parts_from`].
    parts_from: Option<PathBuf>,
    number: u64,
    shared: Arc<Shared>,
    wanted: Arc<AtomicBool>,
    /// Set once it has the turn.
    running: Arc<AtomicBool>,
    started: Instant,
}

impl Job {
    /// Makes the index and writes it, and tells `listener` how that went
    /// unless it was stopped, before the next index has its turn (so the
    /// outcomes are told in the order the indexes were written).
    fn run(self, listener: Option<&Listener>) -> Outcome {
        let wanted = || self.wanted.load(Ordering::Relaxed);
        // Held to the end: the next index starts from what this one wrote.
        let _turn = self
            .shared
            .turn
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        self.running.store(true, Ordering::Relaxed);
        let previous = self.shared.indexed().clone();
        // What the indexes stopped before this one read and made, less the
        // records of pages written since: given back unless this one is
        // written (then the bundle in the output holds it all).
        let mut progress = std::mem::take(&mut *self.shared.progress());
        let (fresh, mark) = {
            let dirty = self.shared.dirty();
            let (fresh, mark) = dirty.snapshot();
            progress.resume(mark, |page, read_at| dirty.written_after(page, read_at));
            (fresh, mark)
        };
        // Another build's bundle, while the output has none of its own.
        let earlier = match (&previous, &self.parts_from) {
            (None, Some(folder)) => Some(Earlier::load(folder, &self.site.language)),
            _ => None,
        };
        let since = Since {
            previous: previous.as_ref(),
            fresh: fresh.as_ref(),
            earlier: earlier.as_ref(),
        };
        let update = update_pages(
            &self.site,
            &self.output,
            &self.pages,
            self.part_size,
            since,
            &mut progress,
            wanted,
        );
        let outcome = self.write(update, mark);
        if !matches!(outcome, Ok(Some(_))) {
            *self.shared.progress() = progress;
        }
        if let (Some(listener), false) = (listener, matches!(outcome, Ok(None))) {
            listener(&outcome);
        }
        outcome
    }

    /// Writes what [`update_pages`] made, if this job's site is still the
    /// one in the output and the job is still wanted.
    fn write(&self, update: Result<Option<Update>, Diagnostic>, mark: u64) -> Outcome {
        let wanted = || self.wanted.load(Ordering::Relaxed);
        let update = match update {
            Ok(Some(update)) => update,
            Ok(None) => return Ok(None),
            // A stopped index's trouble is nobody's: its site is gone.
            Err(_) if !wanted() => return Ok(None),
            Err(problem) => return Err(Diagnostics(vec![problem])),
        };
        let current = self
            .shared
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if *current != self.number || !wanted() {
            return Ok(None);
        }
        let sink = InPlace::new(&self.output);
        let mut in_order: Vec<&BundleFile> = update.files.iter().collect();
        in_order.sort_by_key(|file| written_late(&file.path));
        let mut problems: Vec<Diagnostic> = in_order
            .iter()
            .filter_map(|file| sink.write(&file.path, &file.contents).err())
            .collect();
        if problems.is_empty() {
            // What the new bundle no longer has: files of parts made again
            // that they do not have now, and parts that are no more.
            let written: HashSet<&str> = update.files.iter().map(|f| f.path.as_str()).collect();
            let made: HashMap<&str, bool> = update
                .folders
                .iter()
                .map(|(folder, made)| (folder.as_str(), *made))
                .collect();
            let stale = |path: &String| match made.get(part_folder(path)) {
                None => true,
                Some(true) => !written.contains(path.as_str()),
                Some(false) => false,
            };
            problems.extend(
                old_files(&self.output)
                    .iter()
                    .filter(|path| stale(path))
                    .filter_map(|path| sink.remove(path).err()),
            );
        }
        let outcome = if problems.is_empty() {
            Ok(Some(Ready {
                files: update.files.len(),
                parts: update.made(),
                taken: update.taken,
                pages_read: update.pages_read,
                elapsed: self.started.elapsed(),
            }))
        } else {
            Err(Diagnostics(problems))
        };
        // What is on disk now; after a failure, not known: all is made
        // again next time.
        let written = outcome.is_ok();
        *self.shared.indexed() = written.then_some(update.indexed);
        if written {
            self.shared.dirty().written(mark);
        }
        drop(current);
        outcome
    }
}

impl Shared {
    fn indexed(&self) -> MutexGuard<'_, Option<Indexed>> {
        self.indexed.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn dirty(&self) -> MutexGuard<'_, Dirty> {
        self.dirty.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn progress(&self) -> MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Lowers the calling thread's priority where the system allows it (on
/// Linux the nice value is the thread's own, and the threads it starts
/// inherit it), so that an index running beside an edit's rebuild takes
/// only the time the rebuild leaves: the rebuild is what the writer waits
/// for. Raising one's own nice value needs no privilege; should it fail,
/// the thread runs as it was.
fn yield_to_rebuilds() {
    #[cfg(target_os = "linux")]
    {
        const NICE: i32 = 19;
        let _ = rustix::process::setpriority_process(Some(rustix::thread::gettid()), NICE);
    }
}

/// The folder of the part a bundle file belongs to: `pagefind/parts/3/`,
/// or `pagefind/` for the bundle's own files (and the list of parts).
fn part_folder(path: &str) -> &str {
    let parts = format!("{BUNDLE_DIR}parts/");
    path.strip_prefix(&parts)
        .and_then(|rest| rest.find('/'))
        .and_then(|end| path.get(..parts.len() + end + 1))
        .unwrap_or(BUNDLE_DIR)
}

/// The site paths (`pagefind/…`) of every file under `output`'s bundle folder.
fn old_files(output: &Path) -> Vec<String> {
    let folder = output.join(BUNDLE_DIR);
    WalkDir::new(&folder)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file())
        .filter_map(|entry| Some(bundle_path(entry.path().strip_prefix(&folder).ok()?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(pages: &[&str]) -> HashSet<String> {
        pages.iter().map(|p| (*p).to_string()).collect()
    }

    #[test]
    fn an_index_written_forgets_only_the_pages_marked_before_it_started() {
        let mut dirty = Dirty::default();
        dirty.mark(Some(set(&["a", "b"])));
        let (pages, mark) = dirty.snapshot();
        assert_eq!(pages, Some(set(&["a", "b"])));
        // Written again while the index runs: still to be read next time.
        dirty.mark(Some(set(&["b", "c"])));
        dirty.written(mark);
        assert_eq!(dirty.snapshot().0, Some(set(&["b", "c"])));

        // A full build: every page, until an index started after it is written.
        dirty.mark(None);
        let (pages, mark) = dirty.snapshot();
        assert_eq!(pages, None);
        dirty.mark(Some(set(&["d"])));
        dirty.written(mark);
        assert_eq!(dirty.snapshot().0, Some(set(&["d"])));
    }

    /// An index running when an in-place rebuild of the same site starts
    /// another is left to finish and written; the later one makes again
    /// only the part it has to.
    #[test]
    fn a_running_index_of_the_same_site_is_left_to_finish() {
        let dir = tempfile::tempdir().expect("a folder");
        let pages: Arc<[String]> = crate::search::tests::write_pages(dir.path(), 40, "word").into();
        let told = Arc::new(Mutex::new(Vec::new()));
        let mut background = Background::new();
        let listened = Arc::clone(&told);
        background.listen(Arc::new(move |outcome: &Outcome| {
            let made = outcome
                .as_ref()
                .ok()
                .and_then(|ready| ready.map(|r| r.parts));
            listened.lock().expect("not poisoned").push(made);
        }));
        let index = |background: &mut Background, number, fresh| {
            let output = dir.path().to_path_buf();
            let site = crate::search::tests::site();
            background.index_later(site, Arc::clone(&pages), 10, output, number, fresh);
        };
        let running = |background: &Background| {
            let latest = background.latest.as_ref().expect("an index");
            while !latest.running.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(1));
            }
        };

        index(&mut background, 0, None);
        running(&background);
        // Held, the site's number keeps the first index from being written
        // (so from being done) while an in-place rebuild writes a page
        // (which the first index may or may not have read) and starts the
        // second one.
        let shared = Arc::clone(&background.shared);
        let current = shared.current.lock().expect("not poisoned");
        const EDITED: &str = "briefings/3/index.html";
        std::fs::write(
            dir.path().join(EDITED),
            "<html><body><article data-pagefind-body><h1>Briefing 3</h1>\
             <p>Rewritten: a palimpsest.</p></article></body></html>",
        )
        .expect("rewritten");
        index(&mut background, 0, Some(set(&[EDITED])));
        drop(current);
        assert!(background.wait().expect("an index").is_ok());
        let told = told.lock().expect("not poisoned").clone();
        assert_eq!(
            told.first(),
            Some(&Some((4, 4))),
            "the first written: {told:?}"
        );
        assert!(
            matches!(told.get(1..), Some([Some((0 | 1, 4))])),
            "the second made again at most the edited page's part: {told:?}"
        );
        // What is in the output is what an index of the pages now makes.
        let mut fresh_files: Vec<(String, Vec<u8>)> = update_pages(
            &crate::search::tests::site(),
            dir.path(),
            &pages,
            10,
            super::Since::default(),
            &mut Progress::default(),
            || true,
        )
        .expect("indexed")
        .expect("not stopped")
        .files
        .into_iter()
        .map(|file| (file.path, file.contents))
        .collect();
        fresh_files.sort();
        let mut written: Vec<(String, Vec<u8>)> = old_files(dir.path())
            .into_iter()
            .map(|path| {
                let contents = std::fs::read(dir.path().join(&path)).expect("a bundle file");
                (path, contents)
            })
            .collect();
        written.sort();
        let paths = |files: &[(String, Vec<u8>)]| -> Vec<String> {
            files.iter().map(|(path, _)| path.clone()).collect()
        };
        assert_eq!(paths(&written), paths(&fresh_files));
        assert!(
            written == fresh_files,
            "the bundle in the output is up to date"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_index_thread_yields_to_rebuilds() {
        let own = || rustix::process::getpriority_process(Some(rustix::thread::gettid())).ok();
        let before = own();
        let nice = std::thread::spawn(|| {
            yield_to_rebuilds();
            rustix::process::getpriority_process(Some(rustix::thread::gettid()))
        })
        .join()
        .expect("the thread ran")
        .expect("its priority");
        assert_eq!(nice, 19);
        assert_eq!(own(), before, "other threads are left as they were");
    }

    #[test]
    fn bundle_files_belong_to_their_part() {
        assert_eq!(
            part_folder("pagefind/parts/12/index/en_1.pf_index"),
            "pagefind/parts/12/"
        );
        assert_eq!(
            part_folder("pagefind/parts/3/pagefind-entry.json"),
            "pagefind/parts/3/"
        );
        assert_eq!(
            part_folder("pagefind/fragment/en_1.pf_fragment"),
            "pagefind/"
        );
        assert_eq!(part_folder("pagefind/parts.json"), "pagefind/");
    }
}
