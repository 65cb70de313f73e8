//! Search: a Pagefind index of the briefing pages, made while the site renders.
//!
//! [`Indexer::start`] opens one thread that owns a `pagefind` index on a
//! small tokio runtime. Rendering hands every page to an [`IndexingSink`],
//! which writes it through the real sink and sends briefing pages (site path
//! and HTML) down a bounded channel to that thread, so indexing overlaps
//! rendering instead of following it. [`Indexer::finish`] waits for the
//! thread and returns the bundle (index chunks, fragments, filters,
//! `pagefind.js`, `pagefind-ui.js` and its CSS) as files to write under
//! `pagefind/`; writing them is left to the output stage.
//!
//! What is indexed comes from the pages themselves: the theme marks a
//! briefing's article with `data-pagefind-body`, its term links with
//! `data-pagefind-filter` and the parts that are not text with
//! `data-pagefind-ignore`. Listing, term and archive pages are never sent.
//!
//! Pagefind numbers pages in the order they are added, and that order is in
//! the index files. Pages arrive in whatever order the render threads finish
//! them, so the thread first adds an empty record for every briefing URL in
//! archive order; adding a page under a URL it already holds replaces that
//! record in place. The bundle is then the same for the same site, however
//! the pages arrived.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pagefind::api::PagefindIndex;
use pagefind::options::PagefindServiceConfig;

use crate::diag::Diagnostic;
use crate::render::PageSink;

/// The folder of the bundle in the site, and of its URL under the base path.
pub const BUNDLE_DIR: &str = "pagefind/";

/// Briefing pages that may wait for the indexing thread before rendering
/// threads block on it: bounds the memory held when indexing falls behind.
const QUEUE: usize = 512;

/// A briefing page on its way to the index.
struct Page {
    /// Its output path: `briefings/rome/index.html`.
    path: String,
    html: String,
}

/// A file of the search bundle: its path under `pagefind/` and its bytes.
#[derive(Debug)]
pub struct BundleFile {
    pub path: String,
    pub contents: Vec<u8>,
}

/// The bundle and how long the indexing thread was busy.
#[derive(Debug)]
pub struct Bundle {
    /// Sorted by path.
    pub files: Vec<BundleFile>,
    /// Time the thread spent indexing and building the index, overlapped
    /// with rendering (for `--timings`).
    pub busy: Duration,
}

/// The indexing thread and the sending end of its queue. Dropped without
/// [`Indexer::finish`] (a build that failed), the thread stops without
/// building the index.
pub struct Indexer {
    /// Both `Some` until `finish` takes them.
    sender: Option<SyncSender<Page>>,
    thread: Option<JoinHandle<Result<Bundle, Diagnostic>>>,
    wanted: Arc<AtomicBool>,
}

impl Indexer {
    /// Starts indexing for a site in `language` whose briefing pages are at
    /// the output paths `pages` (`briefings/rome/index.html`), in archive order.
    pub fn start(language: &str, pages: Vec<String>) -> Result<Indexer, Diagnostic> {
        let (sender, receiver) = sync_channel(QUEUE);
        let language = language.to_string();
        let wanted = Arc::new(AtomicBool::new(true));
        let still_wanted = Arc::clone(&wanted);
        let thread = std::thread::Builder::new()
            .name("search-index".into())
            .spawn(move || index_pages(&language, &pages, &receiver, &still_wanted))
            .map_err(|e| {
                Diagnostic::error(BUNDLE_DIR, format!("cannot start the search indexer: {e}"))
            })?;
        Ok(Indexer {
            sender: Some(sender),
            thread: Some(thread),
            wanted,
        })
    }

    /// A sink that writes pages through `inner` and queues briefing pages for the index.
    pub fn sink<'a>(&'a self, inner: &'a dyn PageSink) -> IndexingSink<'a> {
        IndexingSink {
            inner,
            sender: self.sender.as_ref(),
        }
    }

    /// Waits for every queued page to be indexed and returns the bundle.
    pub fn finish(mut self) -> Result<Bundle, Diagnostic> {
        drop(self.sender.take());
        let Some(thread) = self.thread.take() else {
            return Err(Diagnostic::error(
                BUNDLE_DIR,
                "the search index was already finished",
            ));
        };
        thread.join().unwrap_or_else(|panic| {
            let why = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("no message");
            Err(Diagnostic::error(
                BUNDLE_DIR,
                format!("the search indexer stopped unexpectedly: {why}"),
            ))
        })
    }
}

impl Drop for Indexer {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.wanted.store(false, Ordering::Relaxed);
        }
    }
}

/// Passes every page to the output and briefing pages to the indexer.
pub struct IndexingSink<'a> {
    inner: &'a dyn PageSink,
    sender: Option<&'a SyncSender<Page>>,
}

impl PageSink for IndexingSink<'_> {
    fn write(&self, path: &str, contents: &[u8]) -> Result<(), Diagnostic> {
        self.inner.write(path, contents)?;
        if let Some(sender) = self.sender.filter(|_| is_briefing_page(path)) {
            let page = Page {
                path: path.to_string(),
                html: String::from_utf8_lossy(contents).into_owned(),
            };
            // A closed queue means the indexer has already failed; `finish` says why.
            let _ = sender.send(page);
        }
        Ok(())
    }
}

/// Briefing pages are `briefings/<slug>/index.html` (see `render::views::paths`).
fn is_briefing_page(path: &str) -> bool {
    path.strip_prefix("briefings/")
        .and_then(|rest| rest.strip_suffix("/index.html"))
        .is_some_and(|slug| !slug.is_empty() && !slug.contains('/'))
}

/// The URL Pagefind records for a page: its site path with a leading slash
/// and without `index.html`. The search script puts the base path in front.
fn record_url(path: &str) -> String {
    format!("/{}", path.strip_suffix("index.html").unwrap_or(path))
}

/// The indexing thread: placeholders in archive order, then pages as they
/// come, then the index.
fn index_pages(
    language: &str,
    pages: &[String],
    receiver: &Receiver<Page>,
    wanted: &AtomicBool,
) -> Result<Bundle, Diagnostic> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| {
            Diagnostic::error(
                BUNDLE_DIR,
                format!("cannot start the search indexer's runtime: {e}"),
            )
        })?;
    let options = PagefindServiceConfig::builder()
        .force_language(language.to_string())
        .build();
    let mut index = PagefindIndex::new(Some(options)).map_err(|e| failure(BUNDLE_DIR, &e))?;
    let mut busy = Duration::ZERO;
    let started = Instant::now();
    runtime.block_on(async {
        for path in pages {
            index
                .add_custom_record(
                    record_url(path),
                    String::new(),
                    language.to_string(),
                    None,
                    None,
                    None,
                )
                .await
                .map_err(|e| failure(path, &e))?;
        }
        Ok::<(), Diagnostic>(())
    })?;
    busy += started.elapsed();
    // Pages come until every render thread is done and the sender is dropped.
    for page in receiver {
        let started = Instant::now();
        runtime
            .block_on(index.add_html_file(None, Some(record_url(&page.path)), page.html))
            .map_err(|e| failure(&page.path, &e))?;
        busy += started.elapsed();
    }
    if !wanted.load(Ordering::Relaxed) {
        return Err(Diagnostic::error(BUNDLE_DIR, "search indexing abandoned"));
    }
    let started = Instant::now();
    let files = runtime
        .block_on(index.get_files())
        .map_err(|e| failure(BUNDLE_DIR, &e))?;
    let files: BTreeMap<String, Vec<u8>> = files
        .into_iter()
        .map(|file| (bundle_path(&file.filename), file.contents))
        .collect();
    busy += started.elapsed();
    Ok(Bundle {
        files: files
            .into_iter()
            .map(|(path, contents)| BundleFile { path, contents })
            .collect(),
        busy,
    })
}

/// `pagefind/<file>`, with `/` separators whatever the platform.
fn bundle_path(file: &Path) -> String {
    let parts: Vec<_> = file
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect();
    format!("{BUNDLE_DIR}{}", parts.join("/"))
}

/// A Pagefind error as a diagnostic, with its whole cause chain.
fn failure(path: &str, error: &anyhow::Error) -> Diagnostic {
    Diagnostic::error(path, format!("search index: {error:#}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_briefing_pages_are_indexed() {
        assert!(is_briefing_page("briefings/rome/index.html"));
        assert!(!is_briefing_page("briefings/index.html"));
        assert!(!is_briefing_page("briefings/rome/page/2/index.html"));
        assert!(!is_briefing_page("people/antony-blinken/index.html"));
        assert!(!is_briefing_page("index.html"));
    }

    #[test]
    fn records_are_site_paths() {
        assert_eq!(record_url("briefings/rome/index.html"), "/briefings/rome/");
        assert_eq!(
            bundle_path(Path::new("fragment/en_1a2b.pf_fragment")),
            "pagefind/fragment/en_1a2b.pf_fragment"
        );
    }
}
