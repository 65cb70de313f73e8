//! The search index in parts: the briefing pages, in archive order, cut
//! into runs of at most `search_part_size` pages from the oldest end, each
//! indexed by a Pagefind index of its own.
//!
//! Pagefind holds everything it has read of a page until its index is built
//! (about a quarter of a megabyte per briefing), so one index of a whole
//! large archive needs more memory than the machine has, and its reading is
//! one thread's work. Parts are read side by side, one per core, and built
//! as soon as their last page is in, so the memory of a part is let go long
//! before the site is done. The search page loads the newest part as the
//! bundle and merges the others into its results (Pagefind's `mergeIndex`):
//! one search box over every briefing.
//!
//! The newest part is the whole bundle at `pagefind/`: the scripts, styles,
//! the WebAssembly and its own index. The others live at
//! `pagefind/parts/<n>/`, numbered from the oldest (1), and keep only their
//! index (entry, metadata, word chunks, fragments and filters); the
//! bundle's WebAssembly searches them.
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
use crate::diag::{Diagnostic, Severity};
use crate::render::templates::{SEARCH, Templates};

/// The default `search_part_size`.
pub const DEFAULT_SIZE: usize = 2_000;

/// How an archive of `pages` briefing pages (archive order: newest first)
/// is cut into parts of `size`. The cut starts at the oldest end, so every
/// part but the newest is full, and a new briefing changes only the newest
/// part until it is full: the older parts keep their pages, their folder
/// and their bytes from one build to the next (a reader's browser keeps
/// them cached; a deploy leaves them as they were).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    pages: usize,
    size: usize,
}

impl Cut {
    pub fn new(pages: usize, size: usize) -> Cut {
        Cut {
            pages,
            size: size.max(1),
        }
    }

    /// How many parts: none for no pages.
    pub fn count(self) -> usize {
        self.pages.div_ceil(self.size)
    }

    /// The pages of the newest part, which is the bundle itself.
    fn newest(self) -> usize {
        self.pages - (self.count().saturating_sub(1)) * self.size
    }

    /// The pages of each part (archive positions), newest part first.
    pub fn ranges(self) -> impl Iterator<Item = Range<usize>> {
        let newest = self.newest();
        (0..self.count()).map(move |part| match part {
            0 => 0..newest,
            part => {
                let start = newest + (part - 1) * self.size;
                start..start + self.size
            }
        })
    }

    /// The part (by [`Cut::ranges`]'s order) of the page at archive position `slot`.
    pub fn part_of(self, slot: usize) -> usize {
        match slot.checked_sub(self.newest()) {
            None => 0,
            Some(past) => 1 + past / self.size,
        }
    }

    /// The site folder of a part (by [`Cut::ranges`]'s order), ending in
    /// `/`: the newest at `pagefind/`, the others numbered from the oldest
    /// end, so a part keeps its folder as the archive grows.
    pub fn folder(self, part: usize) -> String {
        match part {
            0 => BUNDLE_DIR.to_string(),
            part => format!("{BUNDLE_DIR}parts/{}/", self.count() - part),
        }
    }
}

/// A warning when the archive's index has more than one part and the
/// search template never names the list of parts: its searches would find
/// only the newest part's briefings (a theme made before the parts, say).
pub fn unmerged(templates: &Templates, briefings: usize, size: usize) -> Option<Diagnostic> {
    let (path, text) = templates.source(SEARCH)?;
    if briefings <= size || text.contains("parts.json") {
        return None;
    }
    let mut warning = Diagnostic::error(
        path,
        format!(
            "the search index of these {briefings} briefings is in {} parts, and \
             `{SEARCH}` never reads `pagefind/parts.json`: a search would find only the \
             newest {size}",
            Cut::new(briefings, size).count()
        ),
    )
    .with_help(
        "merge the parts listed in `pagefind/parts.json` with Pagefind's `mergeIndex`, as \
         the default theme's search.html does, or raise `search_part_size`",
    );
    warning.severity = Severity::Warning;
    Some(warning)
}

/// Whether part `part` (0: the newest, the bundle) keeps `file` (a path
/// inside its own bundle, `/` separated): the bundle keeps everything, the
/// others their index.
pub fn keeps(part: usize, file: &str) -> bool {
    if part == 0 {
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
    fn parts_are_cut_from_the_oldest_end_and_cover_every_page_once() {
        let cut = Cut::new(7, 3);
        assert_eq!(cut.ranges().collect::<Vec<_>>(), [0..1, 1..4, 4..7]);
        let parts: Vec<usize> = (0..7).map(|slot| cut.part_of(slot)).collect();
        assert_eq!(parts, [0, 1, 1, 1, 2, 2, 2]);
        assert_eq!(Cut::new(6, 3).ranges().collect::<Vec<_>>(), [0..3, 3..6]);
        assert_eq!(Cut::new(0, 3).ranges().count(), 0);
        assert_eq!(Cut::new(2, 3).ranges().next(), Some(0..2));
        assert_eq!(Cut::new(2, 3).count(), 1);
    }

    #[test]
    fn older_parts_keep_their_folder_as_the_archive_grows() {
        let before = Cut::new(6, 3);
        assert_eq!(before.folder(0), "pagefind/");
        assert_eq!(before.folder(1), "pagefind/parts/1/");
        // One more briefing, the newest: a new bundle part of one page, and
        // the part that was the bundle is now parts/2.
        let after = Cut::new(7, 3);
        assert_eq!(after.folder(0), "pagefind/");
        assert_eq!(after.folder(1), "pagefind/parts/2/");
        assert_eq!(after.folder(2), "pagefind/parts/1/");
        // The oldest part: the same pages (shifted by the one added) in the
        // same folder.
        assert_eq!(before.ranges().last(), Some(3..6));
        assert_eq!(after.ranges().last(), Some(4..7));
    }

    #[test]
    fn later_parts_keep_only_their_index() {
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
