//! Search: a Pagefind index of the briefing pages, made while the site renders.
//!
//! The briefing pages are indexed in parts (`parts.rs`): runs of at most
//! `search_part_size` pages in archive order, each a Pagefind index of its
//! own. Rendering hands every page to an [`IndexingSink`], which writes it
//! through the real sink and, for a briefing page, reads there and then,
//! on the render thread, what the index keeps of it ([`record::extract`]:
//! text, filters, meta, sort keys) and puts that small [`record::Record`]
//! in the [`Indexer`]'s queue. One indexing thread per core takes the parts
//! in order, adds each part's records to its Pagefind index in archive
//! order as they come, and builds the part (its index made and compressed)
//! once the last is in, so a part's memory goes long before the site is
//! done. [`Indexer::finish`] waits for the parts and returns the bundle: the
//! newest part's files at `pagefind/` (with `pagefind.js`, `pagefind-ui.js`
//! and its CSS), the others' under `pagefind/parts/`, and
//! `pagefind/parts.json` naming those, which the search page merges into its
//! results. Writing them is left to the output stage.
//!
//! Rendering is several times faster than Pagefind's reading, so a render
//! thread whose page belongs to a part more than `AHEAD` parts past the
//! last one taken waits, rather than queue the text of the whole archive
//! (a page known by its hash, the bytes the last build indexed, hands in
//! no text and never waits). That
//! cannot deadlock: every part before the lowest page not yet handed in has
//! all its records, so the indexing threads finish those and take that
//! page's part, and the render thread holding the page (rayon's threads
//! work from the low end of what they hold) goes on. It needs two things.
//! Every briefing page comes or is given up: a page that fails to render
//! or to be written is reported by the renderer (`PageSink::failed`, also
//! on a panic), else a thread would wait for it forever. And no indexing
//! thread may wait for a render thread. Pagefind builds on the
//! rayon pool it is called in, so a part is built on a pool of its own,
//! never the global one the render threads are (they may all be waiting);
//! and nothing of Pagefind runs on a render thread, whose blocking on a
//! part's tokio runtime could also nest inside another part's (which tokio
//! refuses) when rayon hands it a second page while it waits.
//!
//! What is indexed comes from the pages themselves: the theme marks a
//! briefing's article with `data-pagefind-body`, its term links with
//! `data-pagefind-filter` and the parts that are not text with
//! `data-pagefind-ignore`. Listing, term and archive pages are never sent.
//! A briefing page without `data-pagefind-body` is indexed whole when no
//! page of its part marks a body (Pagefind's rule, applied to each part).
//!
//! `serve` does not wait for the index: its builds, full or in place, write
//! their pages first, and [`update_pages`] reads them back from the output
//! afterwards, on a thread of its own (`background.rs`), making again only
//! the parts whose pages changed.
//!
//! Pagefind numbers pages in the order they are added, and that order is in
//! the index files. Records arrive in whatever order the render threads
//! finish them, and an indexing thread adds them (`add_custom_record`) in
//! archive order, waiting for the next one to come: the bundle is the same
//! for the same site however the pages arrived.

pub mod background;
pub mod parts;
pub mod record;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pagefind::api::PagefindIndex;
use pagefind::options::PagefindServiceConfig;
use serde::{Deserialize, Serialize};
use walkdir::WalkDir;

use crate::diag::Diagnostic;
use crate::render::PageSink;
use record::Record;

/// The folder of the bundle in the site, and of its URL under the base path.
pub const BUNDLE_DIR: &str = "pagefind/";

/// The bundle's list of its later parts, for the search page.
pub const PARTS_LIST: &str = "pagefind/parts.json";

/// What each part of the bundle was made of (its fingerprint, by folder:
/// `pagefind/` for the newest), so that the next build can take a part
/// whose pages and records are the same from the output as it is instead
/// of indexing it again.
pub const PARTS_MADE: &str = "pagefind/dossier-parts.json";

/// The site an index is made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// The language of its briefings.
    pub language: String,
    /// The address its pages are written for (`base_url`): taken out of a
    /// page's bytes before they are hashed, so that the same page written
    /// for another address (`serve`'s) hashes the same.
    pub base_url: String,
}

/// The contents of [`PARTS_MADE`].
#[derive(Debug, Serialize, Deserialize)]
struct PartsMade {
    /// The dossier that wrote it: another takes nothing from it.
    dossier: String,
    language: String,
    /// Each part's fingerprint ([`part_fingerprint`]), in hex, by folder.
    parts: BTreeMap<String, String>,
    /// Each part's files as written ([`files_hash`]), in hex, by folder: a
    /// part whose files are no longer those is not taken.
    #[serde(default)]
    files: BTreeMap<String, String>,
    /// The [`record::READER`] that read the pages' records: the page
    /// hashes below are taken only from the same.
    #[serde(default)]
    reader: u32,
    /// The address the pages were written for (see [`PageHasher`]).
    #[serde(default)]
    base_url: String,
    /// Each briefing page's bytes and record, hashed, in hex, by output
    /// path: a page whose bytes are the same has the same record, which a
    /// build then does not read again.
    #[serde(default)]
    pages: BTreeMap<String, (String, String)>,
}

/// A briefing page's bytes, hashed, and its record, hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PageHashes {
    html: u64,
    record: u64,
}

/// Hashes a site's pages with its address (`base_url`) taken out wherever
/// it is written as it is: what tells a page is the one a build indexed,
/// also when that build wrote it for another address. The same page for
/// the same address hashes the same only if it is the same bytes. Made once
/// per index: the address's searcher is set up once, not per page.
struct PageHasher {
    /// `None` for an empty address (nothing to take out).
    address: Option<memchr::memmem::Finder<'static>>,
}

impl PageHasher {
    fn new(base_url: &str) -> PageHasher {
        let address = (!base_url.is_empty())
            .then(|| memchr::memmem::Finder::new(base_url.as_bytes()).into_owned());
        PageHasher { address }
    }

    fn hash(&self, html: &[u8]) -> u64 {
        let Some(address) = &self.address else {
            return xxhash_rust::xxh3::xxh3_64(html);
        };
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        let mut from = 0;
        for at in address.find_iter(html) {
            hasher.update(html.get(from..at).unwrap_or_default());
            // Never in UTF-8: the address's place cannot be mistaken for text.
            hasher.update(&[0xFF]);
            from = at + address.needle().len();
        }
        hasher.update(html.get(from..).unwrap_or_default());
        hasher.digest()
    }
}

/// A part's files (paths inside the part, and contents), hashed in the
/// order of their paths: what tells they are still the files a build wrote.
fn files_hash<'f>(files: impl Iterator<Item = (&'f str, &'f [u8])>) -> u64 {
    let mut files: Vec<(&str, &[u8])> = files.collect();
    files.sort_unstable_by_key(|(path, _)| *path);
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    for (path, contents) in files {
        hash_file(&mut hasher, path, contents);
    }
    hasher.digest()
}

/// One file of [`files_hash`], after those before it in path order.
fn hash_file(hasher: &mut xxhash_rust::xxh3::Xxh3, path: &str, contents: &[u8]) {
    hasher.update(path.as_bytes());
    hasher.update(&[0]);
    hasher.update(&(contents.len() as u64).to_le_bytes());
    hasher.update(contents);
}

/// A part of the earlier bundle taken as it is.
enum Taken {
    /// Its files, read (to be written elsewhere).
    Read(Vec<BundleFile>),
    /// Its files left where they are, in the output a build is about to
    /// replace: their paths inside the part, and their hash.
    InPlace { paths: Vec<String>, hash: u64 },
}

/// The parts of the bundle already in an output folder that a build may
/// take as they are: those [`PARTS_MADE`] names, made by this version of
/// dossier in the same language. The newest part's files are the bundle's
/// folder less the later parts and the lists of them; its scripts are
/// Pagefind's own, which the entry's version check covers.
#[derive(Debug, Default)]
pub struct Earlier {
    /// The output folder.
    output: PathBuf,
    /// Each part's fingerprint, by folder (`pagefind/parts/3/`).
    parts: HashMap<String, u64>,
    /// Each part's files as written, hashed, by folder.
    files: HashMap<String, u64>,
    /// What each briefing page was, by output path.
    pages: HashMap<String, PageHashes>,
    /// The address those pages were written for.
    base_url: String,
}

impl Earlier {
    /// What the bundle in `output` says it was made of; nothing when there
    /// is no bundle, or it cannot be read, or another dossier or another
    /// language made it.
    pub fn load(output: &Path, language: &str) -> Earlier {
        let made: Option<PartsMade> = std::fs::read(output.join(PARTS_MADE))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        let Some(made) = made
            .filter(|made| made.dossier == env!("CARGO_PKG_VERSION") && made.language == language)
        else {
            return Earlier {
                output: output.to_path_buf(),
                ..Earlier::default()
            };
        };
        let hex = |hex: &str| u64::from_str_radix(hex, 16).ok();
        let by_folder = |hashes: BTreeMap<String, String>| -> HashMap<String, u64> {
            hashes
                .into_iter()
                .filter_map(|(folder, hash)| Some((folder, hex(&hash)?)))
                .collect()
        };
        let (parts, files) = (by_folder(made.parts), by_folder(made.files));
        let pages = if made.reader == record::READER {
            made.pages
                .into_iter()
                .filter_map(|(page, (html, record))| {
                    let hashes = PageHashes {
                        html: hex(&html)?,
                        record: hex(&record)?,
                    };
                    Some((page, hashes))
                })
                .collect()
        } else {
            HashMap::new()
        };
        Earlier {
            output: output.to_path_buf(),
            parts,
            files,
            pages,
            base_url: made.base_url,
        }
    }

    /// Forgets what the pages were unless they were written for
    /// `base_url`: a page's record may name the address it was written
    /// for, and a site deployed must not carry another's. (`serve`, whose
    /// pages are a preview for another address, keeps them.)
    pub fn for_address(mut self, base_url: &str) -> Earlier {
        if self.base_url != base_url {
            self.pages.clear();
        }
        self
    }

    /// The hash of the record of the page at `page` whose bytes hash to
    /// `html`, if the last build indexed it with those bytes.
    fn record_hash(&self, page: &str, html: u64) -> Option<u64> {
        self.pages
            .get(page)
            .filter(|was| was.html == html)
            .map(|was| was.record)
    }

    /// Whether the page at `page` with a record hashed to `record` makes
    /// its part differ from the last build's: the last build listed
    /// another record for it, or did not list it (a new page) while it
    /// listed pages.
    fn changes_part(&self, page: &str, record: u64) -> bool {
        !self.pages.is_empty() && self.pages.get(page).is_none_or(|was| was.record != record)
    }

    /// Whether a part at `folder` is in the output at all.
    fn has(&self, folder: &str) -> bool {
        self.parts.contains_key(folder)
    }

    /// The files of the part at `folder`, paths inside the part, as they
    /// are in the output, if it was made of `fingerprint` by the Pagefind
    /// this build uses (its entry names its version) and they are the
    /// files the last build wrote; `None` otherwise, or when a file cannot
    /// be read. Each file is read to be checked; it is kept only if `read`
    /// (else the files are left where they are, [`Taken::InPlace`]).
    fn take(&self, folder: &str, fingerprint: u64, read: bool) -> Option<Taken> {
        if self.parts.get(folder) != Some(&fingerprint) {
            return None;
        }
        let dir = self.output.join(folder);
        // The newest part is the bundle's folder, beside the later parts
        // and the lists of them.
        let newest = folder == BUNDLE_DIR;
        let theirs = |path: &str| {
            newest
                && (path == "parts" || path.starts_with("parts/") || {
                    let listed = format!("{BUNDLE_DIR}{path}");
                    listed == PARTS_LIST || listed == PARTS_MADE
                })
        };
        let mut paths = Vec::new();
        let walk = WalkDir::new(&dir).into_iter();
        for entry in walk.filter_entry(|entry| {
            entry
                .path()
                .strip_prefix(&dir)
                .map_or(true, |rel| !theirs(&slash_path(rel)))
        }) {
            let entry = entry.ok()?;
            if entry.file_type().is_file() {
                paths.push(slash_path(entry.path().strip_prefix(&dir).ok()?));
            }
        }
        // In the order `files_hash` takes them, a file at a time.
        paths.sort_unstable();
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        let mut files = Vec::new();
        let mut version = None;
        for path in &paths {
            let contents = std::fs::read(dir.join(path)).ok()?;
            hash_file(&mut hasher, path, &contents);
            if path == "pagefind-entry.json" {
                let entry: serde_json::Value = serde_json::from_slice(&contents).ok()?;
                version = Some(entry.get("version")?.as_str()?.to_string());
            }
            if read {
                files.push(BundleFile {
                    path: path.clone(),
                    contents,
                });
            }
        }
        let hash = hasher.digest();
        let same_pagefind = matches!(
            (version.as_deref(), pagefind_version()),
            (Some(theirs), Some(ours)) if theirs == ours
        );
        if self.files.get(folder) != Some(&hash) || !same_pagefind {
            return None;
        }
        Some(match read {
            true => Taken::Read(files),
            false => Taken::InPlace { paths, hash },
        })
    }
}

/// The version of Pagefind this build writes with, as its entry file
/// names it (read from an empty index's, once).
fn pagefind_version() -> Option<&'static str> {
    static VERSION: std::sync::LazyLock<Option<String>> = std::sync::LazyLock::new(|| {
        let files = Pagefind::new("en").ok()?.files(1).ok()?;
        let entry = files.iter().find(|f| f.path == "pagefind-entry.json")?;
        let entry: serde_json::Value = serde_json::from_slice(&entry.contents).ok()?;
        Some(entry.get("version")?.as_str()?.to_string())
    });
    VERSION.as_deref()
}

/// What a part is made of: its folder, its pages and their records, hashed
/// (`None`: the page is gone), and the language. The same fingerprint makes
/// the same files.
fn part_fingerprint<'p>(
    language: &str,
    folder: &str,
    pages: impl Iterator<Item = (&'p String, Option<u64>)>,
) -> u64 {
    hash_of(&(language, folder, pages.collect::<Vec<_>>()))
}

/// A file of the search bundle: its path under `pagefind/` and its bytes.
#[derive(Debug, Clone)]
pub struct BundleFile {
    pub path: String,
    pub contents: Vec<u8>,
}

/// The bundle and how long the indexing took.
#[derive(Debug)]
pub struct Bundle {
    /// Sorted by path.
    pub files: Vec<BundleFile>,
    /// The paths of the files of parts taken as they are, which the output
    /// the build replaces has with the bytes this bundle would write there
    /// (they were read and checked): linked from there.
    pub in_place: Vec<String>,
    /// Time spent indexing and building the parts, summed over the
    /// indexing threads (for `--timings`).
    pub busy: Duration,
    /// What was taken from the bundle in the output.
    pub reused: Reuse,
}

/// What a build took from the bundle the last one left in the output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reuse {
    /// Parts taken as they were.
    pub parts_kept: usize,
    /// Parts in the bundle.
    pub parts: usize,
    /// Briefing pages read for their record: the others were the bytes the
    /// last build indexed, and their records were known.
    pub pages_read: usize,
}

/// How many parts past those being indexed the render threads may bring
/// records for before they wait: the records are small, but rendering is
/// much faster than Pagefind's reading, and unchecked it would queue the
/// text of the whole archive.
const AHEAD: usize = 2;

/// The search index being made while the site renders: the render threads
/// hand in records, and one indexing thread per core takes the parts in
/// order, reads each part's records as they come and builds the part when
/// its last is in. Dropped without [`Indexer::finish`] (a build that
/// failed), the threads stop at their next record.
pub struct Indexer {
    /// The archive position of each briefing page, by output path.
    slots: HashMap<String, usize>,
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

/// What the render threads and the indexing threads share.
struct Shared {
    language: String,
    /// See [`Site::base_url`].
    base_url: String,
    pages_hashed: PageHasher,
    /// Each page's URL in the index, by archive position.
    urls: Vec<String>,
    cut: parts::Cut,
    /// The pages of each part, by archive position.
    parts: Vec<Range<usize>>,
    /// Each page's output path, by archive position.
    pages: Vec<String>,
    /// The parts of the bundle in the output, which an unchanged part is
    /// taken from, and what its pages were.
    earlier: Earlier,
    /// The folder the pages are written to, where a page whose record was
    /// known is read back when its part is made again.
    written_to: PathBuf,
    /// What each part is made of, by part, once its last record is in.
    fingerprints: Mutex<Vec<u64>>,
    /// What each page is, by archive position, once its part is done.
    page_hashes: Mutex<Vec<Option<PageHashes>>>,
    /// Parts taken from the output as they were.
    reused: AtomicUsize,
    /// Pages read for their record.
    pages_read: AtomicUsize,
    /// Whether each part, by part, is certain to be made again (a page's
    /// record differs from the last build's): its pages are read as they
    /// come, not read back later.
    parts_changed: Vec<AtomicBool>,
    queue: Mutex<Queue>,
    /// Told whenever a record comes, a part is taken, or indexing ends.
    changed: Condvar,
    /// Nanoseconds the indexing threads spent in Pagefind, summed.
    busy: AtomicU64,
}

/// A briefing page's place in the queue.
enum Slot {
    /// Not rendered yet.
    Waiting,
    /// Its record, read from the page, and what the page and the record
    /// are, hashed.
    Ready(Record, PageHashes),
    /// The page is what the last build indexed: its record is known by its
    /// hash, and read back only if its part is made again.
    Known(PageHashes),
    /// Taken by its part, or never coming (its page failed).
    Gone,
}

struct Queue {
    /// Records handed in and not yet taken, by archive position.
    records: Vec<Slot>,
    /// Parts taken by an indexing thread: every part before this one.
    taken: usize,
    /// Every record that will come has come (or the build failed).
    closed: bool,
    /// The build failed: nothing more is wanted.
    abandoned: bool,
    /// Each part's files once built, by part.
    built: Vec<Option<Result<PartFiles, Diagnostic>>>,
}

impl Indexer {
    /// Starts indexing for `site`, whose briefing pages are at
    /// the output paths `pages` (`briefings/rome/index.html`), in archive
    /// order, `size` pages to a part, written under `written_to`. A part
    /// whose pages and records are those of one in `earlier` is taken from
    /// there as it is; a page whose bytes are those `earlier` indexed is not
    /// read for its record unless its part is made again.
    pub fn start(
        site: &Site,
        (pages, written_to): (Vec<String>, &Path),
        size: usize,
        earlier: Earlier,
    ) -> Result<Indexer, Diagnostic> {
        let cut = parts::Cut::new(pages.len(), size);
        let parts: Vec<Range<usize>> = cut.ranges().collect();
        let shared = Arc::new(Shared {
            language: site.language.clone(),
            base_url: site.base_url.clone(),
            pages_hashed: PageHasher::new(&site.base_url),
            urls: pages.iter().map(|path| record_url(path)).collect(),
            pages: pages.clone(),
            earlier,
            written_to: written_to.to_path_buf(),
            fingerprints: Mutex::new(vec![0; parts.len()]),
            page_hashes: Mutex::new(vec![None; pages.len()]),
            reused: AtomicUsize::new(0),
            pages_read: AtomicUsize::new(0),
            parts_changed: parts.iter().map(|_| AtomicBool::new(false)).collect(),
            queue: Mutex::new(Queue {
                records: pages.iter().map(|_| Slot::Waiting).collect(),
                taken: 0,
                closed: false,
                abandoned: false,
                built: parts.iter().map(|_| None).collect(),
            }),
            cut,
            parts,
            changed: Condvar::new(),
            busy: AtomicU64::new(0),
        });
        let threads = std::thread::available_parallelism()
            .map_or(2, usize::from)
            .min(shared.parts.len());
        let threads = (0..threads)
            .map(|_| {
                let shared = Arc::clone(&shared);
                std::thread::Builder::new()
                    .name("search-index".into())
                    .spawn(move || shared.index_parts())
            })
            .collect::<Result<_, _>>()
            .map_err(|e| {
                // The threads that did start stop at once.
                shared.abandon();
                Diagnostic::error(BUNDLE_DIR, format!("cannot start the search indexer: {e}"))
            })?;
        let slots = pages
            .into_iter()
            .enumerate()
            .map(|(slot, path)| (path, slot))
            .collect();
        Ok(Indexer {
            slots,
            shared,
            threads,
        })
    }

    /// A sink that writes pages through `inner` and indexes the briefing pages.
    pub fn sink<'a>(&'a self, inner: &'a dyn PageSink) -> IndexingSink<'a> {
        IndexingSink {
            inner,
            indexer: self,
        }
    }

    /// Hands in what the page at archive position `slot` is: a record
    /// once its part is no more than [`AHEAD`] parts past the last one
    /// taken, a known hash at once (it takes no room worth holding back
    /// for, and a render thread waiting here is a core not rendering).
    fn deliver(&self, slot: usize, record: Slot) {
        let part = self.shared.cut.part_of(slot);
        let mut queue = self.shared.lock();
        let held_back = matches!(record, Slot::Ready(..));
        while held_back && part >= queue.taken + AHEAD && !queue.closed {
            queue = self.shared.wait(queue);
        }
        if let Some(place) = queue.records.get_mut(slot) {
            *place = record;
        }
        self.shared.changed.notify_all();
    }

    /// The page at archive position `slot` will not come: its part goes on
    /// without it. Never waits (the page's part may be the one held up).
    fn skip(&self, slot: usize) {
        if let Some(place) = self.shared.lock().records.get_mut(slot) {
            *place = Slot::Gone;
        }
        self.shared.changed.notify_all();
    }

    /// Waits for every part and returns the bundle.
    pub fn finish(mut self) -> Result<Bundle, Diagnostic> {
        self.shared.lock().closed = true;
        self.shared.changed.notify_all();
        for thread in std::mem::take(&mut self.threads) {
            if thread.join().is_err() {
                return Err(Diagnostic::error(
                    BUNDLE_DIR,
                    "the search indexer stopped unexpectedly",
                ));
            }
        }
        let built = std::mem::take(&mut self.shared.lock().built);
        let started = Instant::now();
        let built = built
            .into_iter()
            .map(|part| part.unwrap_or_else(|| Ok(PartFiles::Made(Vec::new()))))
            .collect::<Result<Vec<_>, _>>()?;
        let parts = built.len();
        let shared = &self.shared;
        let fingerprints = std::mem::take(
            &mut *shared
                .fingerprints
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let page_hashes = std::mem::take(
            &mut *shared
                .page_hashes
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let pages: Vec<(&str, PageHashes)> = shared
            .pages
            .iter()
            .zip(page_hashes)
            .filter_map(|(page, hashes)| Some((page.as_str(), hashes?)))
            .collect();
        let site = (shared.language.as_str(), shared.base_url.as_str());
        let assembled = assemble(site, shared.cut, built, &fingerprints, &pages)?;
        let busy = Duration::from_nanos(shared.busy.load(Ordering::Relaxed));
        Ok(Bundle {
            files: assembled.files,
            in_place: assembled.in_place,
            busy: busy + started.elapsed(),
            reused: Reuse {
                parts_kept: shared.reused.load(Ordering::Relaxed),
                parts,
                pages_read: shared.pages_read.load(Ordering::Relaxed),
            },
        })
    }
}

impl Drop for Indexer {
    fn drop(&mut self) {
        self.shared.abandon();
    }
}

impl Shared {
    /// Nothing more is wanted: the indexing threads stop at their next look.
    fn abandon(&self) {
        let mut queue = self.lock();
        queue.closed = true;
        queue.abandoned = true;
        drop(queue);
        self.changed.notify_all();
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'a>(&self, queue: MutexGuard<'a, Queue>) -> MutexGuard<'a, Queue> {
        self.changed
            .wait(queue)
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// An indexing thread: the next part not taken, until there is none.
    fn index_parts(&self) {
        let _closing = ClosedIfPanicking(self);
        loop {
            let mut queue = self.lock();
            let number = queue.taken;
            if number >= self.parts.len() || queue.abandoned {
                return;
            }
            queue.taken += 1;
            drop(queue);
            self.changed.notify_all();
            let started = Instant::now();
            let built = self.index_part(number);
            let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
            self.busy.fetch_add(nanos, Ordering::Relaxed);
            if let Some(place) = self.lock().built.get_mut(number) {
                *place = Some(built);
            }
        }
    }

    /// Reads part `number`'s records in archive order as they come, and
    /// builds it. A page whose record never came is left out. A part the
    /// output has is taken from there if its pages and records are the
    /// same; until its last record is in, its records are held rather than
    /// read (they are small next to what Pagefind makes of them). A page
    /// whose record is known only by its hash is read back if the part is
    /// made.
    fn index_part(&self, number: usize) -> Result<PartFiles, Diagnostic> {
        let folder = self.cut.folder(number);
        let mut candidate = self.earlier.has(&folder);
        let range = self.parts.get(number).cloned().unwrap_or_default();
        let mut part = Part::default();
        let mut held = Vec::new();
        let mut hashes: HashMap<usize, PageHashes> = HashMap::with_capacity(range.len());
        for slot in range.clone() {
            let mut queue = self.lock();
            while matches!(queue.records.get(slot), Some(Slot::Waiting)) && !queue.closed {
                queue = self.wait(queue);
            }
            if queue.abandoned {
                return Err(Diagnostic::error(BUNDLE_DIR, "search indexing abandoned"));
            }
            let came = queue
                .records
                .get_mut(slot)
                .map(|s| std::mem::replace(s, Slot::Gone));
            drop(queue);
            let (record, page) = match came {
                Some(Slot::Ready(record, page)) => (Some(record), page),
                Some(Slot::Known(page)) => (None, page),
                _ => continue,
            };
            hashes.insert(slot, page);
            if candidate && self.part_changed(number) {
                // It will be made: what was held goes in now, while the
                // pages still render.
                candidate = false;
                for (slot, record) in std::mem::take(&mut held) {
                    let record = self.record_of(slot, record, &mut hashes)?;
                    part.add(&self.language, &self.urls, slot, record)?;
                }
            }
            if candidate {
                held.push((slot, record));
            } else {
                let record = self.record_of(slot, record, &mut hashes)?;
                part.add(&self.language, &self.urls, slot, record)?;
            }
        }
        let fingerprint = |hashes: &HashMap<usize, PageHashes>| {
            part_fingerprint(
                &self.language,
                &folder,
                range.clone().filter_map(|slot| {
                    Some((self.pages.get(slot)?, hashes.get(&slot).map(|h| h.record)))
                }),
            )
        };
        // Left where it is in the output this build replaces, and linked
        // from there: not read into memory to be written again.
        let taken = candidate
            .then(|| self.earlier.take(&folder, fingerprint(&hashes), false))
            .flatten();
        let files = match taken {
            Some(Taken::InPlace { paths, hash }) => {
                self.reused.fetch_add(1, Ordering::Relaxed);
                PartFiles::InPlace { paths, hash }
            }
            Some(Taken::Read(files)) => {
                self.reused.fetch_add(1, Ordering::Relaxed);
                PartFiles::Made(files)
            }
            None => {
                for (slot, record) in held {
                    let record = self.record_of(slot, record, &mut hashes)?;
                    part.add(&self.language, &self.urls, slot, record)?;
                }
                PartFiles::Made(part.build(&self.language, &self.urls)?)
            }
        };
        // A record read back may (with another reader) differ from the
        // hash it was known by: the part is what was read.
        let fingerprint = fingerprint(&hashes);
        if let Some(place) = self
            .fingerprints
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_mut(number)
        {
            *place = fingerprint;
        }
        let mut page_hashes = self
            .page_hashes
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for (slot, page) in hashes {
            if let Some(place) = page_hashes.get_mut(slot) {
                *place = Some(page);
            }
        }
        Ok(files)
    }

    /// Whether part `number` is certain to be made again.
    fn part_changed(&self, number: usize) -> bool {
        self.parts_changed
            .get(number)
            .is_some_and(|changed| changed.load(Ordering::Relaxed))
    }

    /// The record of the page at archive position `slot`: `record` if it
    /// came with one, else read back from the page as written (its hash in
    /// `hashes` set to what was read).
    fn record_of(
        &self,
        slot: usize,
        record: Option<Record>,
        hashes: &mut HashMap<usize, PageHashes>,
    ) -> Result<Record, Diagnostic> {
        if let Some(record) = record {
            return Ok(record);
        }
        let page = self.pages.get(slot).map_or("", String::as_str);
        let html = std::fs::read(self.written_to.join(page)).map_err(|e| unreadable(page, e))?;
        let record = record::extract(&html).map_err(|e| unreadable(page, e))?;
        self.pages_read.fetch_add(1, Ordering::Relaxed);
        if let Some(known) = hashes.get_mut(&slot) {
            known.record = hash_of(&record);
        }
        Ok(record)
    }
}

/// Passes every page to the output and the records of briefing pages to the indexer.
pub struct IndexingSink<'a> {
    inner: &'a dyn PageSink,
    indexer: &'a Indexer,
}

impl PageSink for IndexingSink<'_> {
    fn write(&self, path: &str, contents: &[u8]) -> Result<(), Diagnostic> {
        self.inner.write(path, contents)?;
        let Some(&slot) = self.indexer.slots.get(path) else {
            return Ok(());
        };
        let shared = &self.indexer.shared;
        let html = shared.pages_hashed.hash(contents);
        // A page of a part that is to be made is read here, on a render
        // thread, rather than read back later on the part's.
        let part = shared.cut.part_of(slot);
        let known = if shared.part_changed(part) {
            None
        } else {
            shared.earlier.record_hash(path, html)
        };
        let page = match known {
            Some(record) => Slot::Known(PageHashes { html, record }),
            None => {
                let record = record::extract(contents).map_err(|e| unreadable(path, e))?;
                shared.pages_read.fetch_add(1, Ordering::Relaxed);
                let record_hash = hash_of(&record);
                if shared.earlier.changes_part(path, record_hash)
                    && let Some(changed) = shared.parts_changed.get(part)
                {
                    changed.store(true, Ordering::Relaxed);
                }
                let page = PageHashes {
                    html,
                    record: record_hash,
                };
                Slot::Ready(record, page)
            }
        };
        self.indexer.deliver(slot, page);
        Ok(())
    }

    fn failed(&self, path: &str) {
        self.inner.failed(path);
        if let Some(&slot) = self.indexer.slots.get(path) {
            self.indexer.skip(slot);
        }
    }
}

/// The URL Pagefind records for a page: its site path with a leading slash
/// and without `index.html`. The search script puts the base path in front.
fn record_url(path: &str) -> String {
    format!("/{}", path.strip_suffix("index.html").unwrap_or(path))
}

/// Closes the queue if its indexing thread panics, so no render thread
/// waits for a part nobody will take; `finish` reports the panic.
struct ClosedIfPanicking<'a>(&'a Shared);

impl Drop for ClosedIfPanicking<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.lock().closed = true;
            self.0.changed.notify_all();
        }
    }
}

/// One part of the index, its records added in archive order.
#[derive(Default)]
struct Part {
    /// Made with the first record added.
    index: Option<Pagefind>,
    /// Records of pages without `data-pagefind-body`, by archive position.
    /// They are indexed only when no page of the part marks a body.
    unmarked: Vec<(usize, Record)>,
    any_body: bool,
    /// The threads Pagefind builds it on; 0: one per core.
    threads: usize,
}

impl Part {
    /// Adds the record of the page at archive position `slot`, or sets it
    /// aside if it has no body.
    fn add(
        &mut self,
        language: &str,
        urls: &[String],
        slot: usize,
        record: Record,
    ) -> Result<(), Diagnostic> {
        if !record.has_body {
            self.unmarked.push((slot, record));
            return Ok(());
        }
        self.any_body = true;
        self.index_record(language, urls, slot, record)
    }

    fn index_record(
        &mut self,
        language: &str,
        urls: &[String],
        slot: usize,
        record: Record,
    ) -> Result<(), Diagnostic> {
        let url = urls.get(slot).map_or("", String::as_str);
        let index = match &mut self.index {
            Some(index) => index,
            None => self.index.insert(Pagefind::new(language)?),
        };
        index.add(url, record)
    }

    /// The part's files (paths inside its own bundle); none for a part
    /// without pages.
    fn build(mut self, language: &str, urls: &[String]) -> Result<Vec<BundleFile>, Diagnostic> {
        if !self.any_body {
            for (slot, record) in std::mem::take(&mut self.unmarked) {
                self.index_record(language, urls, slot, record)?;
            }
        }
        match self.index {
            Some(index) => index.files(self.threads),
            None => Ok(Vec::new()),
        }
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

    /// Builds the index on `threads` threads (0: one per core): its files,
    /// paths inside the bundle. Pagefind spreads the building over the
    /// rayon pool it is called in; this is a pool of its own, not the
    /// render threads' (see `Indexer`).
    fn files(mut self, threads: usize) -> Result<Vec<BundleFile>, Diagnostic> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("search-build-{i}"))
            .build()
            .map_err(|e| {
                Diagnostic::error(BUNDLE_DIR, format!("cannot start the search indexer: {e}"))
            })?;
        let (runtime, index) = (&self.runtime, &mut self.index);
        let files = pool
            .install(move || runtime.block_on(index.get_files()))
            .map_err(|e| failure(BUNDLE_DIR, &e))?;
        Ok(files
            .into_iter()
            .map(|file| BundleFile {
                path: slash_path(&file.filename),
                contents: file.contents,
            })
            .collect())
    }
}

/// A part of a bundle being put together: made now, or left as it is in
/// the output (only when bringing a bundle up to date, [`update_pages`]).
enum PartFiles {
    Made(Vec<BundleFile>),
    /// Taken from the output a build replaces, and left there
    /// ([`Taken::InPlace`]).
    InPlace {
        paths: Vec<String>,
        hash: u64,
    },
    /// With its files hashed, if known.
    Kept {
        listed: bool,
        files: Option<u64>,
    },
}

/// A bundle put together: its files, the folders listed in `parts.json`,
/// and each part's files hashed, by folder.
struct Assembled {
    files: Vec<BundleFile>,
    /// See [`Bundle::in_place`].
    in_place: Vec<String>,
    listed: HashSet<String>,
    part_files: HashMap<String, u64>,
}

/// The bundle from each part's files, newest part first (as `cut` orders
/// them): the newest whole at `pagefind/`, every other one that holds an
/// index under `pagefind/parts/`, the list of those, and what they were
/// made of ([`PARTS_MADE`]: each part's fingerprint, and what each page in
/// `pages` was). An empty site still gets the bundle's scripts, from an
/// index of nothing.
fn assemble(
    (language, base_url): (&str, &str),
    cut: parts::Cut,
    parts: Vec<PartFiles>,
    fingerprints: &[u64],
    pages: &[(&str, PageHashes)],
) -> Result<Assembled, Diagnostic> {
    let mut parts = parts;
    match parts.first_mut() {
        Some(PartFiles::Made(files)) if files.is_empty() => {
            *files = Pagefind::new(language)?.files(0)?;
        }
        None => parts.push(PartFiles::Made(Pagefind::new(language)?.files(0)?)),
        _ => {}
    }
    let mut later = Vec::new();
    let mut listed = HashSet::new();
    let mut made_of = BTreeMap::new();
    let mut part_files = HashMap::new();
    let mut in_place = Vec::new();
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (part, this_part) in parts.into_iter().enumerate() {
        let folder = cut.folder(part);
        let fingerprint = fingerprints
            .get(part)
            .map(|fingerprint| (folder.clone(), format!("{fingerprint:016x}")));
        // The part's files in memory, or the paths of those left in place.
        let (made, left, kept) = match this_part {
            PartFiles::InPlace { paths, hash } => {
                part_files.insert(folder.clone(), hash);
                (Vec::new(), paths, false)
            }
            PartFiles::Made(made) => {
                let made: Vec<BundleFile> = made
                    .into_iter()
                    .filter(|f| parts::keeps(part, &f.path))
                    .collect();
                let written = files_hash(
                    made.iter()
                        .map(|f| (f.path.as_str(), f.contents.as_slice())),
                );
                part_files.insert(folder.clone(), written);
                (made, Vec::new(), false)
            }
            PartFiles::Kept { listed, files } => {
                part_files.extend(files.map(|files| (folder.clone(), files)));
                if !listed {
                    // The newest part, kept, is in the output unlisted.
                    if part == 0 {
                        made_of.extend(fingerprint);
                    }
                    continue;
                }
                (Vec::new(), Vec::new(), true)
            }
        };
        // Pagefind leaves out pages without words: a part of such pages has
        // no index, and merging it would break the search page.
        let has_index = made
            .iter()
            .map(|file| file.path.as_str())
            .chain(left.iter().map(String::as_str))
            .any(|path| path.ends_with(".pf_meta"));
        if part > 0 && !kept && !has_index {
            continue;
        }
        if part > 0 {
            later.push(
                folder
                    .strip_prefix(BUNDLE_DIR)
                    .unwrap_or(&folder)
                    .to_string(),
            );
            listed.insert(folder.clone());
        }
        made_of.extend(fingerprint);
        for file in made {
            files.insert(format!("{folder}{}", file.path), file.contents);
        }
        in_place.extend(left.iter().map(|path| format!("{folder}{path}")));
    }
    // Only the parts in the bundle.
    part_files.retain(|folder, _| made_of.contains_key(folder));
    let list = serde_json::to_vec(&later)
        .map_err(|e| Diagnostic::error(PARTS_LIST, format!("cannot list the search parts: {e}")))?;
    files.insert(PARTS_LIST.to_string(), list);
    let made = PartsMade {
        dossier: env!("CARGO_PKG_VERSION").to_string(),
        language: language.to_string(),
        parts: made_of,
        files: part_files
            .iter()
            .map(|(folder, hash)| (folder.clone(), format!("{hash:016x}")))
            .collect(),
        reader: record::READER,
        base_url: base_url.to_string(),
        pages: pages
            .iter()
            .map(|(page, hashes)| {
                let hex = (
                    format!("{:016x}", hashes.html),
                    format!("{:016x}", hashes.record),
                );
                (page.to_string(), hex)
            })
            .collect(),
    };
    let made = serde_json::to_vec(&made).map_err(|e| {
        Diagnostic::error(
            PARTS_MADE,
            format!("cannot list what the parts are made of: {e}"),
        )
    })?;
    files.insert(PARTS_MADE.to_string(), made);
    Ok(Assembled {
        files: files
            .into_iter()
            .map(|(path, contents)| BundleFile { path, contents })
            .collect(),
        in_place,
        listed,
        part_files,
    })
}

/// What a bundle in an output folder was made of: enough to tell which of
/// its parts a later site leaves as they were.
#[derive(Debug, Clone, Default)]
pub struct Indexed {
    /// Each briefing page's bytes and record, hashed, by output path.
    records: HashMap<String, PageHashes>,
    /// Each part's pages and their records, hashed, by folder.
    parts: HashMap<String, u64>,
    /// Each part's files as written, hashed, by folder.
    files: HashMap<String, u64>,
    /// The folders `parts.json` lists.
    listed: HashSet<String>,
}

/// What indexes stopped before they were written worked out, for the next
/// one to start from: in `serve`, an edit saved every few seconds stops
/// each index of a large archive before it is done, and without this none
/// would ever be written.
#[derive(Debug, Default)]
pub struct Progress {
    /// Records read back, hashed, by output path, each with the mark of the
    /// index that read it: good while the page is not written after it.
    records: HashMap<String, (PageHashes, u64)>,
    /// Parts made, by folder: their fingerprint (folder, pages and records)
    /// and their files, which are the same bytes for the same fingerprint.
    parts: HashMap<String, (u64, Vec<BundleFile>)>,
    /// The mark of the index using it now, given to the records it reads.
    mark: u64,
}

impl Progress {
    /// Readies it for an index started at `mark`: forgets the records of
    /// the pages `written_after` says were written after the mark they
    /// were read at.
    pub fn resume(&mut self, mark: u64, written_after: impl Fn(&str, u64) -> bool) {
        self.records
            .retain(|page, (_, read_at)| !written_after(page, *read_at));
        self.mark = mark;
    }

    /// How many parts it holds made.
    pub fn parts_made(&self) -> usize {
        self.parts.len()
    }
}

/// A bundle brought up to date in an output folder ([`update_pages`]).
#[derive(Debug)]
pub struct Update {
    /// The files of the parts made again, and `parts.json`.
    pub files: Vec<BundleFile>,
    /// The folder of each part of the bundle (`pagefind/`,
    /// `pagefind/parts/3/`), and whether it was made again (or copied).
    pub folders: Vec<(String, bool)>,
    /// How many parts were copied from the earlier bundle.
    pub taken: usize,
    /// How many pages were read for their record.
    pub pages_read: usize,
    /// What the bundle is made of, once these files are written.
    pub indexed: Indexed,
}

impl Update {
    /// How many parts were made again or copied, of how many.
    pub fn made(&self) -> (usize, usize) {
        let made = self.folders.iter().filter(|(_, made)| *made).count();
        (made, self.folders.len())
    }
}

/// The page at `page` in `output`, hashed by `hasher`: its record
/// (`None` when `earlier` lists the page with these bytes: its hash is
/// known) and what the page and the record are, hashed; `None` if the page
/// is gone.
fn read_page(
    (output, hasher): (&Path, &PageHasher),
    page: &str,
    earlier: Option<&Earlier>,
) -> Result<Option<(Option<Record>, PageHashes)>, Diagnostic> {
    let html = match std::fs::read(output.join(page)) {
        Ok(html) => html,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(unreadable(page, e)),
    };
    let html_hash = hasher.hash(&html);
    if let Some(record) = earlier.and_then(|earlier| earlier.record_hash(page, html_hash)) {
        let hashes = PageHashes {
            html: html_hash,
            record,
        };
        return Ok(Some((None, hashes)));
    }
    let record = record::extract(&html).map_err(|e| unreadable(page, e))?;
    let hashes = PageHashes {
        html: html_hash,
        record: hash_of(&record),
    };
    Ok(Some((Some(record), hashes)))
}

fn hash_of(value: &impl Hash) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// What [`update_pages`] starts from, besides the pages.
#[derive(Debug, Clone, Copy, Default)]
pub struct Since<'a> {
    /// What the bundle in the output was made of (`None`: there is none).
    pub previous: Option<&'a Indexed>,
    /// The pages written since (`None`: any may have been).
    pub fresh: Option<&'a HashSet<String>>,
    /// A bundle another build left in another folder (`serve` gives the
    /// one `dossier build` left in `public/`): a part it has as this site
    /// would make it is copied from there, and a page it lists with the same
    /// bytes (but for the address they were written for) is not read for
    /// its record.
    pub earlier: Option<&'a Earlier>,
}

/// Brings the bundle in `output` up to date with the briefing pages at
/// `pages` (output paths, in archive order) as they are there now, `size`
/// pages to a part, the parts side by side, one per core, each read one
/// page after another on a thread of its own (which inherits the calling
/// thread's priority), from what `since` says was there before. Only the
/// parts whose pages or records changed are made again: a part is the same
/// bytes for the same records. With no `previous`, the same bundle as
/// [`Indexer`] makes of the same pages. A page gone meanwhile is left out.
/// `None` as soon as `wanted` says no (it is asked between pages).
///
/// `progress` holds what earlier calls stopped before their end worked out
/// (records whose pages were not written since, parts made; see
/// [`Progress::resume`]): it is used where it still holds, and what this
/// call reads and makes goes into it, so that a call stopped part of the
/// way is not work lost.
pub fn update_pages(
    site: &Site,
    output: &Path,
    pages: &[String],
    size: usize,
    since: Since,
    progress: &mut Progress,
    wanted: impl Fn() -> bool + Sync,
) -> Result<Option<Update>, Diagnostic> {
    let Since {
        previous,
        fresh,
        earlier,
    } = since;
    let urls: Vec<String> = pages.iter().map(|page| record_url(page)).collect();
    let cut = parts::Cut::new(pages.len(), size);
    let ranges: Vec<Range<usize>> = cut.ranges().collect();
    let known = Known {
        language: &site.language,
        pages_hashed: &PageHasher::new(&site.base_url),
        output,
        pages,
        urls: &urls,
        previous,
        fresh,
        earlier,
        progress,
        wanted: &wanted,
    };
    // The parts side by side, one per core, each on one thread; a thread
    // that meets a stop or a failure takes no further part.
    let done: Vec<OnceLock<PartOutcome>> = ranges.iter().map(|_| OnceLock::new()).collect();
    let next = AtomicUsize::new(0);
    let halted = AtomicBool::new(false);
    let work = || {
        while !halted.load(Ordering::Relaxed) {
            let number = next.fetch_add(1, Ordering::Relaxed);
            let (Some(range), Some(slot)) = (ranges.get(number), done.get(number)) else {
                break;
            };
            let outcome = known.part(range.clone(), cut.folder(number));
            if !matches!(outcome, Ok(Some(_))) {
                halted.store(true, Ordering::Relaxed);
            }
            let _ = slot.set(outcome);
        }
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(ranges.len());
    std::thread::scope(|scope| {
        for _ in 1..threads {
            // Should a thread not start, the others take its parts.
            let _ = std::thread::Builder::new()
                .name("search-part".into())
                .spawn_scoped(scope, work);
        }
        work();
    });

    let mut records = HashMap::with_capacity(pages.len());
    let mut made = Vec::with_capacity(ranges.len());
    let mut folders = Vec::with_capacity(ranges.len());
    let mut fingerprints = HashMap::with_capacity(ranges.len());
    let mut in_order = Vec::with_capacity(ranges.len());
    let mut taken = 0;
    let mut pages_read = 0;
    let mut stopped = false;
    for outcome in done.into_iter().map(OnceLock::into_inner) {
        let part = match outcome {
            Some(Ok(Some(part))) => part,
            Some(Ok(None)) | None => {
                stopped = true;
                continue;
            }
            Some(Err(problem)) => return Err(problem),
        };
        let mark = progress.mark;
        progress.records.extend(
            part.read
                .into_iter()
                .map(|(page, hash)| (page, (hash, mark))),
        );
        if let (true, PartFiles::Made(files)) = (part.built, &part.files) {
            progress
                .parts
                .insert(part.folder.clone(), (part.fingerprint, files.clone()));
        }
        records.extend(part.hashes);
        in_order.push(part.fingerprint);
        fingerprints.insert(part.folder.clone(), part.fingerprint);
        folders.push((part.folder, part.changed));
        taken += usize::from(part.taken);
        pages_read += part.pages_read;
        made.push(part.files);
    }
    if stopped || !wanted() {
        return Ok(None);
    }
    if folders.is_empty() {
        // No briefings: the bundle is the scripts over an index of nothing.
        folders.push((BUNDLE_DIR.to_string(), true));
    }
    let listed: Vec<(&str, PageHashes)> = records
        .iter()
        .map(|(page, hashes)| (page.as_str(), *hashes))
        .collect();
    let assembled = assemble(
        (&site.language, &site.base_url),
        cut,
        made,
        &in_order,
        &listed,
    )?;
    Ok(Some(Update {
        files: assembled.files,
        folders,
        taken,
        pages_read,
        indexed: Indexed {
            records,
            parts: fingerprints,
            files: assembled.part_files,
            listed: assembled.listed,
        },
    }))
}

/// What [`update_pages`] knows before it reads a page: the pages, the
/// bundle in the output and what was written since, what stopped indexes
/// left, and whether it is still wanted.
struct Known<'a> {
    language: &'a str,
    pages_hashed: &'a PageHasher,
    output: &'a Path,
    pages: &'a [String],
    urls: &'a [String],
    previous: Option<&'a Indexed>,
    fresh: Option<&'a HashSet<String>>,
    earlier: Option<&'a Earlier>,
    progress: &'a Progress,
    wanted: &'a (dyn Fn() -> bool + Sync),
}

/// One part brought up to date ([`Known::part`]); `None`: stopped.
type PartOutcome = Result<Option<PartDone>, Diagnostic>;

/// A part brought up to date by [`update_pages`].
struct PartDone {
    folder: String,
    /// Its pages and their records, hashed, with its folder and language.
    fingerprint: u64,
    /// Each of its pages' bytes and record, hashed, by output path (a page
    /// gone is left out).
    hashes: Vec<(String, PageHashes)>,
    /// The records read back here, hashed: for [`Progress`].
    read: Vec<(String, PageHashes)>,
    /// Its files, or that the bundle's are kept.
    files: PartFiles,
    /// Whether it differs from the bundle in the output.
    changed: bool,
    /// Whether it was built here (not kept, not taken from [`Progress`]).
    built: bool,
    /// Whether it was copied from the earlier bundle ([`Since::earlier`]).
    taken: bool,
    /// Pages read for their record.
    pages_read: usize,
}

impl Known<'_> {
    /// The part of the pages at `range`, at `folder`: its records read back
    /// where they are not known, and made again if they changed.
    fn part(&self, range: Range<usize>, folder: String) -> PartOutcome {
        let wanted = self.wanted;
        // The part's records: each page written since read back (kept for
        // the index, should the part be made again), the others as they were.
        let mut read: HashMap<usize, Record> = HashMap::new();
        let mut hashes = Vec::with_capacity(range.len());
        let mut read_hashes = Vec::new();
        let mut pages_read = 0;
        for slot in range.clone() {
            let Some(page) = self.pages.get(slot) else {
                continue;
            };
            let unwritten = self.fresh.is_some_and(|fresh| !fresh.contains(page));
            let known = self
                .progress
                .records
                .get(page)
                .map(|&(hash, _)| hash)
                .or_else(|| {
                    self.previous
                        .and_then(|p| p.records.get(page))
                        .filter(|_| unwritten)
                        .copied()
                });
            let hash = match known {
                Some(hash) => Some(hash),
                None => {
                    if !wanted() {
                        return Ok(None);
                    }
                    let page_read =
                        read_page((self.output, self.pages_hashed), page, self.earlier)?;
                    page_read.map(|(record, hashes)| {
                        if let Some(record) = record {
                            read.insert(slot, record);
                            pages_read += 1;
                        }
                        read_hashes.push((page.clone(), hashes));
                        hashes
                    })
                }
            };
            if let Some(hash) = hash {
                hashes.push((page.clone(), hash));
            }
        }
        let by_page: HashMap<&str, u64> =
            hashes.iter().map(|(p, h)| (p.as_str(), h.record)).collect();
        let part_pages = self.pages.get(range.clone()).unwrap_or_default();
        let fingerprint = part_fingerprint(
            self.language,
            &folder,
            part_pages
                .iter()
                .map(|page| (page, by_page.get(page.as_str()).copied())),
        );
        let mut taken = false;
        let (files, changed, built) = 'made: {
            if self
                .previous
                .is_some_and(|p| p.parts.get(&folder) == Some(&fingerprint))
            {
                let listed = self.previous.is_some_and(|p| p.listed.contains(&folder));
                let files = self.previous.and_then(|p| p.files.get(&folder).copied());
                break 'made (PartFiles::Kept { listed, files }, false, false);
            }
            if let Some((_, files)) = self
                .progress
                .parts
                .get(&folder)
                .filter(|(made_of, _)| *made_of == fingerprint)
            {
                break 'made (PartFiles::Made(files.clone()), true, false);
            }
            // Read: the earlier bundle is another folder's.
            if let Some(Taken::Read(files)) = self
                .earlier
                .and_then(|earlier| earlier.take(&folder, fingerprint, true))
            {
                taken = true;
                break 'made (PartFiles::Made(files), true, false);
            }
            // On this thread alone: Pagefind is given no pool of threads.
            let mut part = Part {
                threads: 1,
                ..Part::default()
            };
            for slot in range {
                if !wanted() {
                    return Ok(None);
                }
                let record = match (read.remove(&slot), self.pages.get(slot)) {
                    (Some(record), _) => Some(record),
                    (None, Some(page)) if by_page.contains_key(page.as_str()) => {
                        let record = read_page((self.output, self.pages_hashed), page, None)?
                            .and_then(|(record, _)| record);
                        pages_read += usize::from(record.is_some());
                        record
                    }
                    (None, _) => None,
                };
                if let Some(record) = record {
                    part.add(self.language, self.urls, slot, record)?;
                }
            }
            (
                PartFiles::Made(part.build(self.language, self.urls)?),
                true,
                true,
            )
        };
        Ok(Some(PartDone {
            folder,
            fingerprint,
            hashes,
            read: read_hashes,
            files,
            changed,
            built,
            taken,
            pages_read,
        }))
    }
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
    format!("{BUNDLE_DIR}{}", slash_path(file))
}

/// A relative path with `/` separators whatever the platform.
fn slash_path(file: &Path) -> String {
    let parts: Vec<_> = file
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect();
    parts.join("/")
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

    /// The site the tests' pages are written for.
    pub(in crate::search) fn site() -> Site {
        Site {
            language: "en".to_string(),
            base_url: "https://example.org/".to_string(),
        }
    }

    /// The number of pages in a part's index, from its entry file.
    fn page_count(files: &[BundleFile]) -> u64 {
        let entry = files
            .iter()
            .find(|f| f.path == "pagefind-entry.json")
            .expect("an entry");
        let entry: serde_json::Value = serde_json::from_slice(&entry.contents).expect("JSON");
        entry["languages"]["en"]["page_count"]
            .as_u64()
            .unwrap_or_default()
    }

    #[test]
    fn pages_without_a_body_count_only_in_a_part_where_none_has_one() {
        let urls: Vec<String> = (0..4).map(|i| format!("/briefings/{i}/")).collect();
        let mut marked = Part::default();
        marked.add("en", &urls, 0, record(false)).expect("added");
        marked.add("en", &urls, 1, record(true)).expect("added");
        assert_eq!(page_count(&marked.build("en", &urls).expect("built")), 1);

        let mut unmarked = Part::default();
        unmarked.add("en", &urls, 2, record(false)).expect("added");
        unmarked.add("en", &urls, 3, record(false)).expect("added");
        assert_eq!(page_count(&unmarked.build("en", &urls).expect("built")), 2);

        assert!(
            Part::default()
                .build("en", &urls)
                .expect("built")
                .is_empty()
        );
    }

    /// Briefing pages `briefings/<i>/index.html` in `dir`, each naming its
    /// own word, and their paths in archive order (the background index's
    /// tests write theirs with it too).
    pub(in crate::search) fn write_pages(dir: &Path, count: usize, word: &str) -> Vec<String> {
        (0..count)
            .map(|i| {
                let page = format!("briefings/{i}/index.html");
                let file = dir.join(&page);
                std::fs::create_dir_all(file.parent().expect("a folder")).expect("folder");
                let html = format!(
                    "<html><head><title>{i}</title></head><body><article data-pagefind-body>\
                     <h1>Briefing {i}</h1><p>{word}{i} and more text.</p></article></body></html>"
                );
                std::fs::write(file, html).expect("page written");
                page
            })
            .collect()
    }

    fn sorted(update: Update) -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<_> = update
            .files
            .into_iter()
            .map(|f| (f.path, f.contents))
            .collect();
        files.sort();
        files
    }

    /// What an index stopped part of the way had made is not made again by
    /// the next one (each page read back, each record added, is one ask of
    /// `wanted`), and a page written since is read again, whatever was
    /// made of it; the bundle is the one an index made in one go makes.
    #[test]
    fn an_index_stopped_part_of_the_way_is_not_work_lost() {
        let dir = tempfile::tempdir().expect("a folder");
        // Four parts of two pages: four asks each (two pages read, two added).
        let pages = write_pages(dir.path(), 8, "quince");
        let asks = AtomicUsize::new(0);
        let asking = |limit: usize| {
            asks.store(0, Ordering::Relaxed);
            let asks = &asks;
            move || asks.fetch_add(1, Ordering::Relaxed) < limit
        };
        let update = |progress: &mut Progress, mark, fresh, wanted| {
            progress.resume(mark, |_, _| false);
            let since = Since {
                fresh,
                ..Since::default()
            };
            update_pages(&site(), dir.path(), &pages, 2, since, progress, wanted).expect("indexed")
        };
        let whole = update(&mut Progress::default(), 1, None, asking(usize::MAX));
        let whole = sorted(whole.expect("not stopped"));
        let whole_asks = asks.load(Ordering::Relaxed);

        // Stopped after 13 asks: whatever the threads, the parts left half
        // made (one per thread at most, three asks each) cannot have had
        // them all, so at least one part was made.
        let mut progress = Progress::default();
        assert!(
            update(&mut progress, 1, None, asking(13)).is_none(),
            "stopped"
        );
        let made = progress.parts_made();
        assert!(made >= 1, "{made} parts made before the stop");
        let resumed = update(&mut progress, 2, None, asking(usize::MAX));
        let resumed = sorted(resumed.expect("not stopped"));
        assert!(resumed == whole, "the same bundle as in one go");
        let resumed_asks = asks.load(Ordering::Relaxed);
        assert!(
            resumed_asks + 4 * made <= whole_asks,
            "the {made} parts made before the stop are not made again: \
             {resumed_asks} asks, {whole_asks} in one go"
        );

        // Everything read and made, then a page written again: it is read
        // again, and its part made again.
        let mut progress = Progress::default();
        assert!(update(&mut progress, 1, None, asking(usize::MAX)).is_some());
        let first = pages.first().cloned().expect("a page");
        std::fs::write(
            dir.path().join(&first),
            "<html><body><article data-pagefind-body><h1>Briefing 0</h1>\
             <p>Rewritten with a palimpsest.</p></article></body></html>",
        )
        .expect("rewritten");
        progress.resume(3, |page, read_at| page == first && read_at < 3);
        let fresh = HashSet::from([first.clone()]);
        let resumed = update(&mut progress, 3, Some(&fresh), asking(usize::MAX));
        let again = update(&mut Progress::default(), 4, None, asking(usize::MAX));
        let resumed = sorted(resumed.expect("not stopped"));
        assert!(resumed != whole, "the rewritten page is in the index");
        let again = sorted(again.expect("not stopped"));
        assert!(resumed == again, "the same bundle as one made afresh");
    }

    /// Writes pages into a folder, as the staging folder has them.
    struct Folder<'a>(&'a Path);

    impl PageSink for Folder<'_> {
        fn write(&self, path: &str, contents: &[u8]) -> Result<(), Diagnostic> {
            let file = self.0.join(path);
            std::fs::create_dir_all(file.parent().expect("a folder")).expect("folder");
            std::fs::write(file, contents).map_err(|e| unreadable(path, e))
        }
    }

    /// Builds the index of `pages` (as `write_pages` wrote them in `from`),
    /// `size` to a part, written in the order of `order` into `to`, over
    /// the bundle in `to`; `then` is called after each page is written.
    fn index_in_order(
        (from, to): (&Path, &Path),
        (pages, size): (&[String], usize),
        order: &[usize],
        then: impl Fn(&str),
    ) -> Result<Bundle, Diagnostic> {
        let earlier = Earlier::load(to, "en");
        let indexer = Indexer::start(&site(), (pages.to_vec(), to), size, earlier)?;
        let folder = Folder(to);
        let sink = indexer.sink(&folder);
        for &slot in order {
            let page = &pages[slot];
            let html = std::fs::read(from.join(page)).expect("a page");
            sink.write(page, &html)?;
            then(page);
        }
        let bundle = indexer.finish()?;
        for file in &bundle.files {
            folder.write(&file.path, &file.contents)?;
        }
        Ok(bundle)
    }

    /// A page whose bytes are those the last build indexed is not read
    /// again for its record; once a page of a part has a record other than
    /// the last build's, the part's pages that come after it are read as
    /// they come (they are not read back from the written pages later).
    #[test]
    fn pages_of_a_part_that_changed_are_read_as_they_come() {
        let (from, to) = (
            tempfile::tempdir().expect("a folder"),
            tempfile::tempdir().expect("a folder"),
        );
        let (from, to) = (from.path(), to.path());
        // Two parts of four: slots 0 to 3 are the newest.
        let pages = write_pages(from, 8, "quince");
        let order: Vec<usize> = (0..8).collect();
        let first = index_in_order((from, to), (&pages, 4), &order, |_| {}).expect("indexed");
        assert_eq!(
            first.reused,
            Reuse {
                parts_kept: 0,
                parts: 2,
                pages_read: 8
            }
        );
        let again = index_in_order((from, to), (&pages, 4), &order, |_| {}).expect("indexed");
        assert_eq!(
            again.reused,
            Reuse {
                parts_kept: 2,
                parts: 2,
                pages_read: 0
            }
        );

        // Page 0 rewritten: the newest part changes as soon as it comes.
        // The others of its part are read as they are written: should they
        // be left to be read back, they would be missing.
        let zero = pages.first().cloned().expect("a page");
        let html = std::fs::read_to_string(from.join(&zero)).expect("a page");
        std::fs::write(from.join(&zero), html.replace("quince0", "medlar0")).expect("written");
        let gone = |page: &str| {
            if page != zero
                && pages
                    .get(..4)
                    .is_some_and(|newest| newest.iter().any(|p| p == page))
            {
                std::fs::remove_file(to.join(page)).expect("removed");
            }
        };
        let changed = index_in_order((from, to), (&pages, 4), &order, gone).expect("indexed");
        assert_eq!(
            changed.reused,
            Reuse {
                parts_kept: 1,
                parts: 2,
                pages_read: 4
            }
        );
    }

    /// Render threads hand in pages in rough archive order, and one whose
    /// record is read waits while its part is far ahead of those being
    /// indexed. A page known by its hash never waits: pages handed in
    /// newest part last, by one thread, all known, make the bundle.
    #[test]
    fn known_pages_never_wait_for_their_part() {
        let (from, to) = (
            tempfile::tempdir().expect("a folder"),
            tempfile::tempdir().expect("a folder"),
        );
        let (from, to) = (from.path().to_path_buf(), to.path().to_path_buf());
        let pages = write_pages(&from, 8, "quince");
        let order: Vec<usize> = (0..8).collect();
        index_in_order((&from, &to), (&pages, 1), &order, |_| {}).expect("indexed");
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let reversed: Vec<usize> = (0..8).rev().collect();
            let bundle = index_in_order((&from, &to), (&pages, 1), &reversed, |_| {});
            let _ = done.send(bundle.map(|bundle| bundle.reused));
        });
        let reused = finished
            .recv_timeout(Duration::from_secs(60))
            .expect("no page waits")
            .expect("indexed");
        assert_eq!(
            reused,
            Reuse {
                parts_kept: 8,
                parts: 8,
                pages_read: 0
            }
        );
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
