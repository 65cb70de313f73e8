//! Splitting a list across pages, and the links between them.
//!
//! Page 1 lives at the list's own path, page N at `<path>page/N/`. The page
//! links are windowed (first, last, and two either side of the current page)
//! so a listing of ten thousand pages does not carry ten thousand links.

use serde::Serialize;

use crate::url::SiteUrls;

/// Pages either side of the current one that get a link.
const WINDOW: usize = 2;

/// The site path of page `number` of the listing at `base` (`""`, `people/iraq/`).
pub fn page_path(base: &str, number: usize) -> String {
    if number <= 1 {
        base.to_string()
    } else {
        format!("{base}page/{number}/")
    }
}

/// How many pages `items` items take at `per_page` a page (at least one).
pub fn page_count(items: usize, per_page: usize) -> usize {
    items.div_ceil(per_page.max(1)).max(1)
}

/// One link in the page list; `number: None` is a gap ("…").
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct PageLink {
    pub number: Option<usize>,
    pub url: Option<String>,
    pub current: bool,
}

/// What a template knows about the page it is on, apart from the items.
#[derive(Debug, Serialize)]
pub struct Pager {
    pub current: usize,
    pub total_pages: usize,
    pub total_items: usize,
    pub first: String,
    pub last: String,
    pub previous: Option<String>,
    pub next: Option<String>,
    pub pages: Vec<PageLink>,
}

impl Pager {
    pub fn new(
        urls: &SiteUrls,
        base: &str,
        current: usize,
        total_items: usize,
        per_page: usize,
    ) -> Pager {
        let total_pages = page_count(total_items, per_page);
        let url = |n: usize| urls.path(&page_path(base, n));
        let mut pages = Vec::new();
        let mut last_shown = 0;
        // The first, the window around the current page, the last: in
        // order, each once, never a pass over every page (a listing of
        // 5,000 pages would make that 5,000 × 5,000 steps).
        let window = current.saturating_sub(WINDOW).max(1)..=(current + WINDOW).min(total_pages);
        let shown = std::iter::once(1).chain(window).chain([total_pages]);
        for n in shown {
            if n <= last_shown {
                continue;
            }
            if n > last_shown + 1 {
                pages.push(PageLink {
                    number: None,
                    url: None,
                    current: false,
                });
            }
            pages.push(PageLink {
                number: Some(n),
                url: Some(url(n)),
                current: n == current,
            });
            last_shown = n;
        }
        Pager {
            current,
            total_pages,
            total_items,
            first: url(1),
            last: url(total_pages),
            previous: (current > 1).then(|| url(current - 1)),
            next: (current < total_pages).then(|| url(current + 1)),
            pages,
        }
    }

    /// The index range of this page's items.
    pub fn range(&self, per_page: usize) -> std::ops::Range<usize> {
        let start = (self.current - 1) * per_page;
        start..(start + per_page).min(self.total_items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(pager: &Pager) -> Vec<Option<usize>> {
        pager.pages.iter().map(|p| p.number).collect()
    }

    #[test]
    fn windows_long_listings_with_gaps() {
        let urls = SiteUrls::new("https://example.org/").expect("url");
        let pager = Pager::new(&urls, "", 5, 200, 20);
        assert_eq!(
            numbers(&pager),
            [
                Some(1),
                None,
                Some(3),
                Some(4),
                Some(5),
                Some(6),
                Some(7),
                None,
                Some(10)
            ]
        );
        assert_eq!(pager.previous.as_deref(), Some("/page/4/"));
        assert_eq!(pager.first, "/");
        assert_eq!(pager.range(20), 80..100);
    }

    #[test]
    fn windows_at_both_ends_and_of_one_page() {
        let urls = SiteUrls::new("https://example.org/").expect("url");
        let at = |current, items| numbers(&Pager::new(&urls, "", current, items, 20));
        assert_eq!(at(1, 200), [Some(1), Some(2), Some(3), None, Some(10)]);
        assert_eq!(
            at(2, 200),
            [Some(1), Some(2), Some(3), Some(4), None, Some(10)]
        );
        assert_eq!(at(4, 200)[..3], [Some(1), Some(2), Some(3)]);
        assert_eq!(at(10, 200), [Some(1), None, Some(8), Some(9), Some(10)]);
        assert_eq!(
            at(9, 200),
            [Some(1), None, Some(7), Some(8), Some(9), Some(10)]
        );
        assert_eq!(at(1, 5), [Some(1)]);
        assert_eq!(at(2, 40), [Some(1), Some(2)]);
    }

    #[test]
    fn empty_and_exact_listings() {
        assert_eq!(page_count(0, 20), 1);
        assert_eq!(page_count(20, 20), 1);
        assert_eq!(page_count(21, 20), 2);
        let urls = SiteUrls::new("https://example.org/a/").expect("url");
        let pager = Pager::new(&urls, "people/iraq/", 2, 21, 20);
        assert_eq!(pager.range(20), 20..21);
        assert_eq!(pager.next, None);
        assert_eq!(pager.previous.as_deref(), Some("/a/people/iraq/"));
    }
}
