//! The search index of a site that is served while it is built (`serve`):
//! the pages are swapped in first, and the index follows.
//!
//! A full build renders its pages without reading them for the index and
//! swaps its site in through [`Background::commit`], which carries the
//! previous build's `pagefind/` over, so search keeps working (on the last
//! index) meanwhile. Then [`Background::index_later`] starts a thread that
//! reads the briefing pages back from the output ([`super::index_pages`]),
//! part after part, and writes the bundle into the output, each file
//! replaced atomically, the entries (which name the rest) and the list of
//! parts after the files they name, the bundle's own entry last, then
//! removes the files of the old bundle that the new one does not have.
//! The thread works alone, one page after another: an edit saved meanwhile
//! still has the other core.
//!
//! Builds are numbered. A bundle is written only if no later build has been
//! swapped in since, and the number and the swap share a lock with the
//! writing, so a stale index never lands in a newer site. A new build stops
//! the index of the one before at its next look (between pages), and
//! indexes take turns, so quick successive builds never pile up indexes in
//! memory.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use walkdir::WalkDir;

use super::{BUNDLE_DIR, BundleFile, bundle_path, index_pages};
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
    /// Files of the bundle.
    pub files: usize,
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
}

/// The background indexes of one output folder.
#[derive(Default)]
pub struct Background {
    shared: Arc<Shared>,
    /// The latest index's thread, and whether it is still wanted.
    latest: Option<(JoinHandle<Outcome>, Arc<AtomicBool>)>,
    listener: Option<Listener>,
}

impl Background {
    pub fn new() -> Background {
        Background::default()
    }

    /// Calls `listener` from the index thread when an index is written or fails.
    pub fn listen(&mut self, listener: Listener) {
        self.listener = Some(listener);
    }

    /// Stops the latest index, if it still runs: a later build's site is in.
    fn stop(&mut self) {
        if let Some((_, wanted)) = &self.latest {
            wanted.store(false, Ordering::Relaxed);
        }
    }

    /// Swaps `staging` in as the output, the previous search bundle carried
    /// over when the new site will have one (`searched`), and numbers it:
    /// from now on only its own index may be written. Returns the number.
    pub fn commit(
        &self,
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
        *current += 1;
        Ok((stats, *current))
    }

    /// Indexes the briefing pages at `pages` (output paths, in archive
    /// order) of the site in `output`, in `language`, `part_size` pages to a
    /// part, on a thread of its own, and writes the bundle there if build
    /// `number` is still the one there.
    pub fn index_later(
        &mut self,
        language: String,
        pages: Vec<String>,
        part_size: usize,
        output: PathBuf,
        number: u64,
    ) {
        self.stop();
        let wanted = Arc::new(AtomicBool::new(true));
        let job = Job {
            language,
            pages,
            part_size,
            output,
            number,
            shared: Arc::clone(&self.shared),
            wanted: Arc::clone(&wanted),
            started: Instant::now(),
        };
        let listener = self.listener.clone();
        let spawned = std::thread::Builder::new()
            .name("search-index".into())
            .spawn(move || {
                let outcome = job.run();
                if let (Some(listener), false) = (&listener, matches!(outcome, Ok(None))) {
                    listener(&outcome);
                }
                outcome
            });
        self.latest = match spawned {
            Ok(thread) => Some((thread, wanted)),
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
        let (thread, _) = self.latest.take()?;
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
    language: String,
    pages: Vec<String>,
    part_size: usize,
    output: PathBuf,
    number: u64,
    shared: Arc<Shared>,
    wanted: Arc<AtomicBool>,
    started: Instant,
}

impl Job {
    fn run(self) -> Outcome {
        let wanted = || self.wanted.load(Ordering::Relaxed);
        let turn = self
            .shared
            .turn
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let files = match index_pages(
            &self.language,
            &self.output,
            &self.pages,
            self.part_size,
            wanted,
        ) {
            Ok(Some(files)) => files,
            Ok(None) => return Ok(None),
            // A stopped index's trouble is nobody's: its site is gone.
            Err(_) if !wanted() => return Ok(None),
            Err(problem) => return Err(Diagnostics(vec![problem])),
        };
        drop(turn);
        let current = self
            .shared
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if *current != self.number || !wanted() {
            return Ok(None);
        }
        let sink = InPlace::new(&self.output);
        let mut in_order: Vec<&BundleFile> = files.iter().collect();
        in_order.sort_by_key(|file| written_late(&file.path));
        let mut problems: Vec<Diagnostic> = in_order
            .iter()
            .filter_map(|file| sink.write(&file.path, &file.contents).err())
            .collect();
        if problems.is_empty() {
            let kept: HashSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
            problems.extend(
                old_files(&self.output)
                    .iter()
                    .filter(|path| !kept.contains(path.as_str()))
                    .filter_map(|path| sink.remove(path).err()),
            );
        }
        drop(current);
        if problems.is_empty() {
            Ok(Some(Ready {
                files: files.len(),
                elapsed: self.started.elapsed(),
            }))
        } else {
            Err(Diagnostics(problems))
        }
    }
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
