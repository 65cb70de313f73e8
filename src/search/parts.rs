//! The search index in parts: the briefing pages, in archive order, cut
//! into runs of at most `search_part_size` pages, each indexed by a Pagefind
//! index of its own.
//!
//! Pagefind holds everything it has read of a page until its index is built
//! (about a quarter of a megabyte per briefing), so one index of a whole
//! large archive needs more memory than the machine has, and its reading is
//! one thread's work. Parts are read by the render threads side by side and
//! built as soon as their last page is in, so the memory of a part is let
//! go long before the site is done. The search page loads the first part
//! as the bundle and merges the others into its results (Pagefind's
//! `mergeIndex`): one search box over every briefing.
//!
//! The first part is the whole bundle at `pagefind/`: the scripts, styles,
//! the WebAssembly and its own index. Part `n` after it lives at
//! `pagefind/parts/<n>/` and keeps only its index (entry, metadata, word
//! chunks, fragments and filters); the first part's WebAssembly searches it.
//! `pagefind/parts.json` lists the later parts for the search page, which
//! reads it while `pagefind-ui.js` loads. A part of pages without a word
//! (Pagefind leaves such pages out) has no index and is not listed.
//!
//! The size is a trade: a part of 2,000 briefings holds about half a
//! gigabyte while it is read, and the search page fetches a little of
//! every part for each query (its entry, metadata and filters once, a word
//! chunk per query), so fewer, larger parts cost more memory at build time
//! and less bandwidth in the browser.

use std::ops::Range;

use super::BUNDLE_DIR;

/// The default `search_part_size`.
pub const DEFAULT_SIZE: usize = 2_000;

/// The pages of each part: ranges of archive positions.
pub fn ranges(pages: usize, size: usize) -> impl Iterator<Item = Range<usize>> {
    let size = size.max(1);
    (0..pages.div_ceil(size)).map(move |n| n * size..((n + 1) * size).min(pages))
}

/// The site folder of part `n` (from 0), ending in `/`.
pub fn folder(n: usize) -> String {
    match n {
        0 => BUNDLE_DIR.to_string(),
        n => format!("{BUNDLE_DIR}parts/{n}/"),
    }
}

/// Whether part `n` keeps `file` (a path inside its own bundle, `/`
/// separated): the first part keeps everything, the others their index.
pub fn keeps(n: usize, file: &str) -> bool {
    if n == 0 {
        return true;
    }
    match file.split_once('/') {
        Some((dir, _)) => matches!(dir, "index" | "fragment" | "filter"),
        None => file == "pagefind-entry.json" || file.ends_with(".pf_meta"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cover_every_page_once_in_order() {
        let seven: Vec<_> = ranges(7, 3).collect();
        assert_eq!(seven, [0..3, 3..6, 6..7]);
        assert_eq!(ranges(6, 3).count(), 2);
        assert_eq!(ranges(0, 3).count(), 0);
    }

    #[test]
    fn later_parts_keep_only_their_index() {
        assert_eq!(folder(0), "pagefind/");
        assert_eq!(folder(2), "pagefind/parts/2/");
        for file in [
            "pagefind.js",
            "pagefind-ui.css",
            "wasm.en.pagefind",
            "pagefind-worker.js",
        ] {
            assert!(keeps(0, file), "{file}");
            assert!(!keeps(1, file), "{file}");
        }
        for file in [
            "pagefind-entry.json",
            "pagefind.en_1a2b3c.pf_meta",
            "index/en_1a2b.pf_index",
            "fragment/en_1a2b.pf_fragment",
            "filter/en_1a2b.pf_filter",
        ] {
            assert!(keeps(1, file), "{file}");
        }
    }
}
