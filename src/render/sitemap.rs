//! The sitemap (sitemaps.org protocol) and `robots.txt`.
//!
//! The sitemap lists every HTML page the first render pass wrote except the
//! 404 page, by absolute URL, with `lastmod` from the `updated` or `date` of
//! the briefings the page shows. Past [`SITEMAP_MAX_URLS`] it is split, as the
//! protocol requires: `sitemap.xml` becomes an index of `sitemap-1.xml`, …
//! Templates: `sitemap.xml` (a `urlset`) and `sitemap_index.xml`.

use std::collections::HashSet;

use rayon::prelude::*;
use serde::Serialize;
use tera::Context;

use super::paginate::page_count;
use super::views::paths;
use super::{Job, PageRenderer};
use crate::index::BriefingId;
use crate::model::PublishDate;
use crate::url::SiteUrls;

/// The most URLs one sitemap file may list (sitemaps.org).
pub const SITEMAP_MAX_URLS: usize = 50_000;

/// One `<url>` of a sitemap.
#[derive(Debug, Serialize)]
pub struct SitemapUrlView {
    pub loc: String,
    /// W3C Datetime: `2021-06-28`, or an RFC 3339 instant when one was given.
    pub lastmod: Option<String>,
}

/// One `<sitemap>` of a sitemap index.
#[derive(Debug, Serialize)]
struct SitemapPartView {
    loc: String,
}

/// `robots.txt`: everything may be crawled; the sitemap is named by its
/// absolute URL, as the protocol asks.
pub fn robots_txt(urls: &SiteUrls) -> String {
    format!(
        "User-agent: *\nAllow: /\n\nSitemap: {}\n",
        urls.permalink(paths::SITEMAP)
    )
}

impl PageRenderer<'_> {
    /// Records the sitemap entry of every listed page of the first pass
    /// (`written[i]` is the site path of `jobs[i]`).
    pub(super) fn keep_sitemap(&self, jobs: &[Job], written: &[String]) {
        let urls = jobs
            .par_iter()
            .zip(written)
            .filter(|(job, _)| job.is_listed_page())
            .map(|(&job, path)| self.sitemap_entry(job, path))
            .collect();
        let _ = self.sitemap.set(urls);
    }

    /// The sitemap entry of every listed page the site has now, made from
    /// the archive rather than from written pages: after an in-place change
    /// that added or removed pages.
    pub(super) fn sitemap_entries(&self) -> Vec<SitemapUrlView> {
        self.jobs()
            .into_par_iter()
            .filter(Job::is_listed_page)
            .filter_map(|job| Some(self.sitemap_entry(job, &self.page_path(job)?)))
            .collect()
    }

    /// The entries of taxonomy `t`'s pages: its index, then every page of
    /// each of its terms, as [`PageRenderer::sitemap_entries`] lists them.
    pub(super) fn taxonomy_entries(&self, t: usize) -> Vec<SitemapUrlView> {
        let terms = 0..self.views.archive.taxonomies[t].terms.len();
        let jobs: Vec<Job> = std::iter::once(Job::Taxonomy(t))
            .chain(terms.flat_map(|term| self.term_pages((t, term))))
            .collect();
        jobs.into_par_iter()
            .filter_map(|job| Some(self.sitemap_entry(job, &self.page_path(job)?)))
            .collect()
    }

    /// Where the entries of taxonomy `t`'s pages lie in `urls` (a list
    /// made by [`PageRenderer::sitemap_entries`], perhaps before terms of
    /// `t` came or went): from its index page's entry to the next
    /// taxonomy's, or to the archive page's after the last taxonomy.
    pub(super) fn taxonomy_block(
        &self,
        urls: &[SitemapUrlView],
        t: usize,
    ) -> Option<std::ops::Range<usize>> {
        let loc = |job: Job| {
            self.page_path(job)
                .map(|path| self.views.urls.permalink(&path))
        };
        let first = loc(Job::Taxonomy(t))?;
        let next = if t + 1 < self.views.archive.taxonomies.len() {
            loc(Job::Taxonomy(t + 1))?
        } else {
            loc(Job::Archive)?
        };
        let start = urls.iter().position(|url| url.loc == first)?;
        let end = start + urls[start..].iter().position(|url| url.loc == next)?;
        Some(start..end)
    }

    /// The entry of page `job`, at site path `path`.
    fn sitemap_entry(&self, job: Job, path: &str) -> SitemapUrlView {
        SitemapUrlView {
            loc: self.views.urls.permalink(path),
            lastmod: self.lastmod(job).map(|d| d.w3c()),
        }
    }

    pub(super) fn sitemap_len(&self) -> usize {
        self.sitemap.get().map_or(0, Vec::len)
    }

    /// One sitemap, or the parts of a split one and their index.
    pub(super) fn sitemap_jobs(&self) -> Vec<Job> {
        let parts = page_count(self.sitemap_len(), SITEMAP_MAX_URLS);
        if parts <= 1 {
            vec![Job::Sitemap { part: 0 }]
        } else {
            (1..=parts)
                .map(|part| Job::Sitemap { part })
                .chain([Job::SitemapIndex { parts }])
                .collect()
        }
    }

    pub(super) fn sitemap(&self, part: usize) -> (&'static str, String, Context) {
        let all = self.sitemap.get().map_or(&[][..], Vec::as_slice);
        let (path, urls) = if part == 0 {
            (paths::SITEMAP.to_string(), all)
        } else {
            (
                paths::sitemap_part(part),
                part_of(all, part, SITEMAP_MAX_URLS),
            )
        };
        let mut context = Context::new();
        context.insert_value("site", self.site.clone());
        context.insert("urls", urls);
        ("sitemap.xml", path, context)
    }

    pub(super) fn sitemap_index(&self, parts: usize) -> (&'static str, String, Context) {
        let sitemaps: Vec<SitemapPartView> = (1..=parts)
            .map(|part| SitemapPartView {
                loc: self.views.urls.permalink(&paths::sitemap_part(part)),
            })
            .collect();
        let mut context = Context::new();
        context.insert_value("site", self.site.clone());
        context.insert("sitemaps", &sitemaps);
        ("sitemap_index.xml", paths::SITEMAP.to_string(), context)
    }

    /// When the content of a page last changed: the latest `updated` or
    /// `date` of the briefings it shows. Each page reads only its own
    /// briefings (the taxonomy indexes and the archive page read them all,
    /// once each), so the whole sitemap costs one pass over the pages.
    pub(super) fn lastmod(&self, job: Job) -> Option<PublishDate> {
        let archive = self.views.archive;
        let per_page = self.views.config.paginate;
        let page_of = |ids: &[BriefingId], page: usize| {
            let start = (page - 1) * per_page;
            latest(self, ids.iter().skip(start).take(per_page).copied())
        };
        match job {
            Job::Home { page } => {
                let start = (page - 1) * per_page;
                let end = (start + per_page).min(archive.entries.len());
                latest(self, start..end)
            }
            Job::Briefing(id) => Some(modified(self, id)),
            Job::Taxonomy(t) => latest(
                self,
                (0..archive.entries.len()).filter(|&id| !archive.entries[id].terms[t].is_empty()),
            ),
            Job::Term {
                taxonomy,
                term,
                page,
            } => page_of(&self.views.term(taxonomy, term).briefings, page),
            Job::Archive => latest(self, 0..archive.entries.len()),
            Job::Year(year) => self.calendar.get(&year).and_then(|months| {
                latest(self, months.values().flat_map(|ids| ids.iter().copied()))
            }),
            Job::Search
            | Job::NotFound
            | Job::Feed(_)
            | Job::Sitemap { .. }
            | Job::SitemapIndex { .. } => None,
        }
    }
}

/// The site paths of the pages `old` listed that `now` does not.
pub(super) fn unlisted(
    old: &[SitemapUrlView],
    now: &[SitemapUrlView],
    urls: &SiteUrls,
) -> Vec<String> {
    let now: HashSet<&str> = now.iter().map(|url| url.loc.as_str()).collect();
    let base = urls.permalink("");
    old.iter()
        .filter(|url| !now.contains(url.loc.as_str()))
        .filter_map(|url| url.loc.strip_prefix(&base).map(str::to_string))
        .collect()
}

/// The files of a split sitemap that a sitemap of `after` entries no longer
/// has, where it had `before`: the parts past its last, or all of them when
/// it is one file again.
pub(super) fn stale_parts(before: usize, after: usize) -> Vec<String> {
    let (had, has) = (
        page_count(before, SITEMAP_MAX_URLS),
        page_count(after, SITEMAP_MAX_URLS),
    );
    if had <= 1 {
        return Vec::new();
    }
    let first_stale = if has <= 1 { 1 } else { has + 1 };
    (first_stale..=had).map(paths::sitemap_part).collect()
}

/// Part `part` (1-based) of a list cut into parts of at most `max`.
fn part_of<T>(all: &[T], part: usize, max: usize) -> &[T] {
    let start = (part.saturating_sub(1) * max).min(all.len());
    let end = (start + max).min(all.len());
    &all[start..end]
}

/// A briefing's last change: `updated` when it is later than `date`.
pub(super) fn modified(renderer: &PageRenderer<'_>, id: BriefingId) -> PublishDate {
    let briefing = renderer.views.briefing(id);
    match briefing.updated {
        Some(updated) if updated.timestamp() > briefing.date.timestamp() => updated,
        _ => briefing.date,
    }
}

/// The latest change among some briefings.
pub(super) fn latest(
    renderer: &PageRenderer<'_>,
    ids: impl Iterator<Item = BriefingId>,
) -> Option<PublishDate> {
    ids.map(|id| modified(renderer, id))
        .max_by_key(PublishDate::timestamp)
}

#[cfg(test)]
mod tests {
    use super::{SITEMAP_MAX_URLS, page_count, part_of, stale_parts};

    #[test]
    fn big_sitemaps_split_into_parts_of_at_most_the_protocol_limit() {
        let urls: Vec<usize> = (0..SITEMAP_MAX_URLS * 2 + 1).collect();
        let parts = page_count(urls.len(), SITEMAP_MAX_URLS);
        assert_eq!(parts, 3);
        let joined: Vec<usize> = (1..=parts)
            .flat_map(|p| part_of(&urls, p, SITEMAP_MAX_URLS).iter().copied())
            .collect();
        assert_eq!(joined, urls, "every URL in exactly one part, in order");
        assert_eq!(part_of(&urls, 3, SITEMAP_MAX_URLS), [SITEMAP_MAX_URLS * 2]);
        assert_eq!(page_count(SITEMAP_MAX_URLS, SITEMAP_MAX_URLS), 1);
    }

    #[test]
    fn a_shrinking_split_sitemap_names_the_parts_it_no_longer_has() {
        let max = SITEMAP_MAX_URLS;
        assert!(stale_parts(max, max - 1).is_empty(), "one file before");
        assert!(stale_parts(max + 1, max + 2).is_empty(), "still two parts");
        assert_eq!(
            stale_parts(max + 1, max),
            ["sitemap-1.xml", "sitemap-2.xml"]
        );
        assert_eq!(stale_parts(2 * max + 1, 2 * max), ["sitemap-3.xml"]);
    }
}
