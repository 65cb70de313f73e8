//! Search: a Pagefind index of the briefing pages, made while the site renders.
//!
//! [`Indexer::start`] opens one thread that owns a `pagefind` index on a
//! small tokio runtime. Rendering hands every page to an [`IndexingSink`],
//! which writes it through the real sink and, for a briefing page, reads
//! there and then, on the render thread, what the index keeps of it
//! ([`record::extract`]: text, filters, meta, sort keys) and sends that small
//! [`record::Record`] down a bounded channel to the indexing thread. The
//! HTML is read in parallel, by the render threads, and never by Pagefind.
//! [`Indexer::finish`] waits for the thread and returns the bundle (index
//! chunks, fragments, filters, `pagefind.js`, `pagefind-ui.js` and its CSS)
//! as files to write under `pagefind/`; writing them is left to the output
//! stage.
//!
//! What is indexed comes from the pages themselves: the theme marks a
//! briefing's article with `data-pagefind-body`, its term links with
//! `data-pagefind-filter` and the parts that are not text with
//! `data-pagefind-ignore`. Listing, term and archive pages are never sent.
//!
//! `serve` does not wait for the index: its full builds swap their pages in
//! first, and [`index_pages`] reads them back from the output afterwards,
//! on a thread of its own (`background.rs`).
//!
//! Pagefind numbers pages in the order they are added, and that order is in
//! the index files. Records arrive in whatever order the render threads
//! finish them, so the thread keeps a slot per briefing in archive order and
//! adds a record to Pagefind (`add_custom_record`) only once every briefing
//! before it has been added: the index is built while the site renders, as
//! far as archive order allows, and the bundle is the same for the same
//! site however the pages arrived.

pub mod background;
pub mod record;

use std::collections::{BTreeMap, HashMap};
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
use record::Record;

/// The folder of the bundle in the site, and of its URL under the base path.
pub const BUNDLE_DIR: &str = "pagefind/";

/// Records that may wait for the indexing thread before rendering threads
/// block on it. The thread takes them off as they come, so this is slack.
const QUEUE: usize = 512;

/// A briefing's record on its way to the index, with its place in archive order.
struct Arrival {
    slot: usize,
    record: Record,
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
    /// The archive position of each briefing page, by output path.
    slots: HashMap<String, usize>,
    /// Both `Some` until `finish` takes them.
    sender: Option<SyncSender<Arrival>>,
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
        let urls: Vec<String> = pages.iter().map(|path| record_url(path)).collect();
        let slots = pages
            .into_iter()
            .enumerate()
            .map(|(slot, path)| (path, slot))
            .collect();
        let thread = std::thread::Builder::new()
            .name("search-index".into())
            .spawn(move || index_records(&language, &urls, &receiver, &still_wanted))
            .map_err(|e| {
                Diagnostic::error(BUNDLE_DIR, format!("cannot start the search indexer: {e}"))
            })?;
        Ok(Indexer {
            slots,
            sender: Some(sender),
            thread: Some(thread),
            wanted,
        })
    }

    /// A sink that writes pages through `inner` and sends the records of
    /// briefing pages to the indexer.
    pub fn sink<'a>(&'a self, inner: &'a dyn PageSink) -> IndexingSink<'a> {
        IndexingSink {
            inner,
            slots: &self.slots,
            sender: self.sender.as_ref(),
        }
    }

    /// Waits for every record to be indexed and returns the bundle.
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

/// Passes every page to the output and the records of briefing pages to the indexer.
pub struct IndexingSink<'a> {
    inner: &'a dyn PageSink,
    slots: &'a HashMap<String, usize>,
    sender: Option<&'a SyncSender<Arrival>>,
}

impl PageSink for IndexingSink<'_> {
    fn write(&self, path: &str, contents: &[u8]) -> Result<(), Diagnostic> {
        self.inner.write(path, contents)?;
        let (Some(sender), Some(&slot)) = (self.sender, self.slots.get(path)) else {
            return Ok(());
        };
        let record = record::extract(contents).map_err(|e| unreadable(path, e))?;
        // A closed queue means the indexer has already failed; `finish` says why.
        let _ = sender.send(Arrival { slot, record });
        Ok(())
    }
}

/// The URL Pagefind records for a page: its site path with a leading slash
/// and without `index.html`. The search script puts the base path in front.
fn record_url(path: &str) -> String {
    format!("/{}", path.strip_suffix("index.html").unwrap_or(path))
}

/// The records received so far, by archive position, and how far the index
/// has got through them.
struct Slots {
    records: Vec<Option<Record>>,
    /// Every slot before this one is added (or was set aside).
    next: usize,
    /// Records of pages without `data-pagefind-body`, by position. Pagefind
    /// indexes them only when no page of the site marks a body.
    unmarked: BTreeMap<usize, Record>,
    any_body: bool,
}

impl Slots {
    fn new(count: usize) -> Slots {
        Slots {
            records: vec![None; count],
            next: 0,
            unmarked: BTreeMap::new(),
            any_body: false,
        }
    }

    fn put(&mut self, arrival: Arrival) {
        self.any_body |= arrival.record.has_body;
        if let Some(slot) = self.records.get_mut(arrival.slot) {
            *slot = Some(arrival.record);
        }
    }

    /// The records ready to be added: from `next` up to the first gap, or
    /// (`all`) every one left, the gaps skipped. Pages without a body wait
    /// in `unmarked`.
    fn ready(&mut self, all: bool) -> Vec<(usize, Record)> {
        let mut ready = Vec::new();
        while let Some(slot) = self.records.get_mut(self.next) {
            match slot.take() {
                Some(record) if record.has_body => ready.push((self.next, record)),
                Some(record) => {
                    self.unmarked.insert(self.next, record);
                }
                None if all => {}
                None => break,
            }
            self.next += 1;
        }
        ready
    }
}

/// A Pagefind index being filled, on a small runtime of its own.
struct Pagefind {
    runtime: tokio::runtime::Runtime,
    index: PagefindIndex,
    language: String,
}

impl Pagefind {
    fn new(language: &str) -> Result<Pagefind, Diagnostic> {
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
        let index = PagefindIndex::new(Some(options)).map_err(|e| failure(BUNDLE_DIR, &e))?;
        Ok(Pagefind {
            runtime,
            index,
            language: language.to_string(),
        })
    }

    /// Adds the page at `url` (a site path: `/briefings/rome/`).
    fn add(&mut self, url: &str, record: Record) -> Result<(), Diagnostic> {
        self.runtime
            .block_on(self.index.add_custom_record(
                url.to_string(),
                record.content,
                self.language.clone(),
                Some(record.meta),
                Some(record.filters),
                Some(record.sort),
            ))
            .map(|_| ())
            .map_err(|e| failure(url, &e))
    }

    /// Builds the index: the bundle's files, sorted by path.
    fn files(mut self) -> Result<Vec<BundleFile>, Diagnostic> {
        let files = self
            .runtime
            .block_on(self.index.get_files())
            .map_err(|e| failure(BUNDLE_DIR, &e))?;
        let files: BTreeMap<String, Vec<u8>> = files
            .into_iter()
            .map(|file| (bundle_path(&file.filename), file.contents))
            .collect();
        Ok(files
            .into_iter()
            .map(|(path, contents)| BundleFile { path, contents })
            .collect())
    }
}

/// The indexing thread: records added in archive order as soon as every
/// one before them is in, then the index.
fn index_records(
    language: &str,
    urls: &[String],
    receiver: &Receiver<Arrival>,
    wanted: &AtomicBool,
) -> Result<Bundle, Diagnostic> {
    let mut index = Pagefind::new(language)?;
    let mut add = |slot: usize, record: Record| {
        let url = urls.get(slot).map_or("", String::as_str);
        index.add(url, record)
    };
    let mut busy = Duration::ZERO;
    let mut slots = Slots::new(urls.len());
    // Records come until every render thread is done and the sender is dropped.
    for arrival in receiver {
        slots.put(arrival);
        let started = Instant::now();
        for (slot, record) in slots.ready(false) {
            add(slot, record)?;
        }
        busy += started.elapsed();
    }
    if !wanted.load(Ordering::Relaxed) {
        return Err(Diagnostic::error(BUNDLE_DIR, "search indexing abandoned"));
    }
    let started = Instant::now();
    for (slot, record) in slots.ready(true) {
        add(slot, record)?;
    }
    if !slots.any_body {
        for (slot, record) in std::mem::take(&mut slots.unmarked) {
            add(slot, record)?;
        }
    }
    let files = index.files()?;
    busy += started.elapsed();
    Ok(Bundle { files, busy })
}

/// The bundle of the briefing pages at `pages` (output paths, in archive
/// order) as they are in the `output` folder now, read one after another on
/// the calling thread: the same index as [`Indexer`] makes of the same
/// pages. A page gone meanwhile is left out. `None` as soon as `wanted`
/// says no (it is asked between pages).
pub fn index_pages(
    language: &str,
    output: &Path,
    pages: &[String],
    wanted: impl Fn() -> bool,
) -> Result<Option<Vec<BundleFile>>, Diagnostic> {
    let mut index = Pagefind::new(language)?;
    let mut any_body = false;
    let mut unmarked = Vec::new();
    for page in pages {
        if !wanted() {
            return Ok(None);
        }
        let html = match std::fs::read(output.join(page)) {
            Ok(html) => html,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(unreadable(page, e)),
        };
        let record = record::extract(&html).map_err(|e| unreadable(page, e))?;
        let url = record_url(page);
        if record.has_body {
            any_body = true;
            index.add(&url, record)?;
        } else {
            unmarked.push((url, record));
        }
    }
    // As `Slots`: pages without a body count only when no page has one.
    if !any_body {
        for (url, record) in unmarked {
            index.add(&url, record)?;
        }
    }
    if !wanted() {
        return Ok(None);
    }
    index.files().map(Some)
}

/// A page the index could not read, and why.
fn unreadable(page: &str, why: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error(
        page,
        format!("cannot read the page for the search index: {why}"),
    )
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

    fn record(body: bool) -> Record {
        Record {
            content: "text".into(),
            has_body: body,
            ..Record::default()
        }
    }

    #[test]
    fn records_are_added_in_archive_order_as_soon_as_those_before_are_in() {
        let mut slots = Slots::new(4);
        slots.put(Arrival {
            slot: 1,
            record: record(true),
        });
        assert!(slots.ready(false).is_empty(), "slot 0 is still missing");
        slots.put(Arrival {
            slot: 0,
            record: record(true),
        });
        slots.put(Arrival {
            slot: 3,
            record: record(false),
        });
        let ready: Vec<usize> = slots.ready(false).into_iter().map(|(s, _)| s).collect();
        assert_eq!(ready, [0, 1]);
        let rest: Vec<usize> = slots.ready(true).into_iter().map(|(s, _)| s).collect();
        assert!(rest.is_empty(), "slot 2 never came, slot 3 has no body");
        assert_eq!(slots.unmarked.keys().copied().collect::<Vec<_>>(), [3]);
        assert!(slots.any_body);
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
