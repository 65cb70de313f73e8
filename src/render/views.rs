//! What templates see: `*View` structs borrowed from the archive, never the
//! model types themselves. The template reference in the README lists every
//! field; keep the two in step.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use rayon::prelude::*;
use serde::Serialize;

use crate::config::{SiteConfig, TaxonomyConfig};
use crate::index::{Archive, BriefingId, Entry, Term, TermRef};
use crate::markdown::{Heading, Rendered};
use crate::model::{Briefing, Link, PublishDate, Source};
use crate::url::SiteUrls;

/// Roughly how many words a reader gets through in a minute.
const WORDS_PER_MINUTE: usize = 230;
/// Length of a summary made from the first paragraph.
const AUTO_SUMMARY_WORDS: usize = 45;

#[derive(Serialize)]
pub struct SiteView<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub language: &'a str,
    pub author: Option<&'a str>,
    pub base_url: &'a str,
    pub root: &'a str,
    pub taxonomies: Vec<TaxonomyView<'a>>,
    /// The site's Atom feed (root-relative), or null when it has no briefings.
    pub feed: Option<String>,
    /// The search page, when the site has search (`search: true`).
    pub search_url: Option<String>,
}

/// What the search page needs beyond the site.
#[derive(Serialize)]
pub struct SearchView<'a> {
    /// The folder of the Pagefind bundle, ending in `/` (`/archive/pagefind/`).
    pub bundle_url: String,
    /// The taxonomies briefings can be filtered by; a filter's name in the
    /// index is the taxonomy's `title`.
    pub filters: Vec<TaxonomyView<'a>>,
}

#[derive(Serialize)]
pub struct TaxonomyView<'a> {
    pub name: &'a str,
    pub title: &'a str,
    pub url: String,
    pub term_count: usize,
}

#[derive(Serialize)]
pub struct PageView {
    pub kind: &'static str,
    pub title: String,
    pub url: String,
    pub permalink: String,
    pub description: String,
}

#[derive(Serialize)]
pub struct TermLinkView<'a> {
    pub name: &'a str,
    pub url: &'a str,
    pub role: Option<&'a str>,
    pub taxonomy: &'a str,
}

#[derive(Serialize)]
pub struct TermGroupView<'a> {
    pub name: &'a str,
    pub title: &'a str,
    /// Term links ([`TermLinkView`]), serialized once per build and shared.
    pub terms: Vec<tera::Value>,
}

/// A briefing as listings show it. The listings' copy also has `html`: what
/// `card.html` made of this.
#[derive(Serialize)]
pub struct CardView<'a> {
    pub title: &'a str,
    pub url: &'a str,
    pub date: &'a str,
    pub date_display: &'a str,
    pub summary: Option<&'a str>,
    pub taxonomies: Vec<TermGroupView<'a>>,
}

#[derive(Serialize)]
pub struct BriefingLinkView<'a> {
    pub title: &'a str,
    pub url: &'a str,
    pub date: &'a str,
    pub date_display: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared: Option<usize>,
}

/// A briefing's URL and dates as pages print them. A briefing is linked
/// from a dozen pages or so (its neighbours' and related briefings' pages,
/// its card), and formatting its date for readers is the dearest part of a
/// link, so they are made once, by [`Views`], on first use.
struct LinkParts {
    url: String,
    date: String,
    date_display: String,
}

#[derive(Serialize)]
pub struct BriefingView<'a> {
    pub title: &'a str,
    pub url: &'a str,
    pub permalink: String,
    pub date: &'a str,
    pub date_display: &'a str,
    pub updated: Option<String>,
    pub updated_display: Option<String>,
    pub summary: Option<&'a str>,
    pub source: Option<&'a Source>,
    pub content: &'a str,
    pub toc: &'a [Heading],
    pub taxonomies: Vec<TermGroupView<'a>>,
    pub extra: &'a serde_json::Value,
    pub word_count: usize,
    pub reading_minutes: usize,
}

#[derive(Serialize)]
pub struct TermView<'a> {
    pub name: &'a str,
    pub slug: &'a str,
    pub url: String,
    pub permalink: String,
    pub role: Option<&'a str>,
    pub summary: Option<&'a str>,
    pub aliases: &'a [String],
    pub links: &'a [Link],
    /// The profile's HTML, on the term's first page only. Always null
    /// here: the page renderer sets it on that page, so that every page of
    /// a term can share one serialized view.
    pub profile: Option<&'a str>,
    pub extra: &'a serde_json::Value,
    pub count: usize,
    pub first_seen: Option<&'a str>,
    pub last_seen: Option<&'a str>,
    /// The terms most often named in the same briefings, most shared first.
    pub appears_with: Vec<AppearsWithView<'a>>,
    /// The same terms by taxonomy, in the config's order, empty ones left out.
    pub appears_with_groups: Vec<AppearsWithGroupView<'a>>,
    /// Briefings per year, oldest first, years without one included.
    pub timeline: Vec<TimelineYearView>,
    /// The term's Atom feed (root-relative), or null when no briefing names
    /// it or the site makes no term feeds.
    pub feed: Option<String>,
}

/// A term sharing briefings with the term of the page.
#[derive(Clone, Copy, Serialize)]
pub struct AppearsWithView<'a> {
    pub name: &'a str,
    pub url: &'a str,
    /// The taxonomy's name (`people`) and title (`People`).
    pub taxonomy: &'a str,
    pub taxonomy_title: &'a str,
    /// How many briefings name both.
    pub count: usize,
}

/// The terms of one taxonomy that share briefings with the term of the page.
#[derive(Serialize)]
pub struct AppearsWithGroupView<'a> {
    /// The taxonomy's name (`people`) and title (`People`).
    pub name: &'a str,
    pub title: &'a str,
    pub terms: Vec<AppearsWithView<'a>>,
}

/// One year of a term's timeline.
#[derive(Serialize)]
pub struct TimelineYearView {
    pub year: i16,
    pub count: usize,
    /// "3 briefings", "1 briefing", "no briefings".
    pub label: String,
    /// Whether a chart should print the year: the first, the last, and
    /// every fifth year not next to either.
    pub labelled: bool,
    /// The archive page of that year; `None` when no briefing of the archive
    /// is from that year.
    pub url: Option<String>,
    /// `count` as a share of the busiest year's, 0–100, rounded up so that
    /// a year with a briefing never shows an empty bar.
    pub percent: usize,
}

#[derive(Serialize)]
pub struct TermEntryView<'a> {
    pub name: &'a str,
    pub url: &'a str,
    pub count: usize,
}

#[derive(Serialize)]
pub struct LetterView<'a> {
    pub letter: String,
    pub id: String,
    pub terms: Vec<TermEntryView<'a>>,
}

/// The empty map `extra` shows when the front matter has none.
pub static EMPTY_MAP: std::sync::LazyLock<serde_json::Value> =
    std::sync::LazyLock::new(|| serde_json::Value::Object(serde_json::Map::new()));

pub fn extra(value: &serde_json::Value) -> &serde_json::Value {
    if value.is_null() { &EMPTY_MAP } else { value }
}

/// Site paths of every kind of page; [`SiteUrls`] turns them into URLs.
pub mod paths {
    pub fn briefing(slug: &str) -> String {
        format!("briefings/{slug}/")
    }
    pub fn taxonomy(taxonomy: &str) -> String {
        format!("{taxonomy}/")
    }
    pub fn term(taxonomy: &str, slug: &str) -> String {
        format!("{taxonomy}/{slug}/")
    }
    pub const ARCHIVE: &str = "archive/";
    pub const SEARCH: &str = "search/";
    pub fn archive_year(year: i16) -> String {
        format!("archive/{year}/")
    }
    /// The Atom feed of the page at `dir` (`""` for the site, a term's path).
    pub fn feed(dir: &str) -> String {
        format!("{dir}atom.xml")
    }
    pub const SITEMAP: &str = "sitemap.xml";
    /// One part of a sitemap split by [`crate::render`] (1-based).
    pub fn sitemap_part(part: usize) -> String {
        format!("sitemap-{part}.xml")
    }
}

/// Each briefing's summary by id: the one its front matter gives, or one
/// made from the first paragraph of its body. Only that paragraph is read;
/// bodies are rendered with their page, so no rendered body outlives it.
pub fn summaries(archive: &Archive) -> Vec<Option<String>> {
    archive.entries.par_iter().map(summary_of).collect()
}

fn summary_of(entry: &Entry) -> Option<String> {
    let briefing = &entry.briefing;
    briefing
        .summary
        .clone()
        .or_else(|| crate::markdown::first_paragraph(briefing.markdown()).map(|p| auto_summary(&p)))
}

/// What [`Views`] make of an archive once, for every page to read: the
/// summaries, every term's URL and link, each briefing's URL and dates, the
/// years. It is owned apart from the archive so that a
/// [`crate::session::Session`] keeps it from one rebuild to the next: an
/// edit that keeps a briefing's slug and date and names no new term changes
/// nothing here but that briefing's summary ([`ViewData::resummarize`]). At 100,000 briefings
/// making it again for every edit took 20 ms, and dropping it 10 more.
pub struct ViewData {
    /// Summaries, given or made from the first paragraph, by briefing id.
    summaries: Vec<Option<String>>,
    /// Every term's URL, made once: `[taxonomy][term]`.
    term_urls: Vec<Vec<String>>,
    /// Every term's link as templates see it, serialized once: `[taxonomy][term]`.
    term_links: Vec<Vec<tera::Value>>,
    /// Each briefing's URL and dates as pages print them, by id, made the
    /// first time a page asks (see [`LinkParts`]).
    link_parts: Vec<OnceLock<LinkParts>>,
    /// The years that have an archive page.
    years: BTreeSet<i16>,
}

impl ViewData {
    /// `summaries` are [`summaries`] of `archive` (made before its texts
    /// were taken, say).
    pub fn new(config: &SiteConfig, archive: &Archive, summaries: Vec<Option<String>>) -> ViewData {
        let term_urls: Vec<Vec<String>> = config
            .taxonomies
            .iter()
            .zip(&archive.taxonomies)
            .map(|(tc, taxonomy)| {
                let url = |term| term_url(config, tc, term);
                taxonomy.terms.iter().map(url).collect()
            })
            .collect();
        let term_links = config
            .taxonomies
            .iter()
            .zip(&archive.taxonomies)
            .zip(&term_urls)
            .map(|((tc, taxonomy), urls)| {
                let link = |(term, url): (&Term, &String)| term_link(tc, term, url);
                taxonomy.terms.iter().zip(urls).map(link).collect()
            })
            .collect();
        let years = archive
            .entries
            .iter()
            .map(|entry| entry.briefing.date.year())
            .collect();
        ViewData {
            summaries,
            term_urls,
            term_links,
            link_parts: archive.entries.iter().map(|_| OnceLock::new()).collect(),
            years,
        }
    }

    /// Room for briefing `at`, just added to `archive`: its summary and
    /// link parts; every briefing's from `at` on move one place down. The
    /// years are the caller's to keep ([`ViewData::set_years`]).
    pub fn insert(&mut self, archive: &Archive, at: BriefingId) {
        if let Some(entry) = archive.entries.get(at) {
            self.summaries.insert(at, summary_of(entry));
            self.link_parts.insert(at, OnceLock::new());
        }
    }

    /// What was kept for briefing `at`, taken out of the archive, let go;
    /// every briefing's after it moves one place up.
    pub fn remove(&mut self, at: BriefingId) {
        if at < self.summaries.len() {
            self.summaries.remove(at);
            self.link_parts.remove(at);
        }
    }

    /// Room for term `i` of taxonomy `t`, just added to `archive` by
    /// [`Archive::add_term`]: its URL and link; every later term's move one
    /// place down.
    pub fn insert_term(&mut self, config: &SiteConfig, archive: &Archive, (t, i): TermRef) {
        let (tc, term) = (&config.taxonomies[t], &archive.taxonomies[t].terms[i]);
        let url = term_url(config, tc, term);
        self.term_links[t].insert(i, term_link(tc, term, &url));
        self.term_urls[t].insert(i, url);
    }

    /// What was kept for term `i` of taxonomy `t`, just taken out of the
    /// archive by [`Archive::remove_term`], let go.
    pub fn remove_term(&mut self, (t, i): TermRef) {
        self.term_urls[t].remove(i);
        self.term_links[t].remove(i);
    }

    /// The years that have an archive page, after a year came or went.
    pub fn set_years(&mut self, years: BTreeSet<i16>) {
        self.years = years;
    }

    /// Makes the link of term `i` of taxonomy `t` again (its role), after
    /// its profile changed in `archive`; its URL stays.
    pub fn relink_term(&mut self, config: &SiteConfig, archive: &Archive, (t, i): TermRef) {
        let (tc, term) = (&config.taxonomies[t], &archive.taxonomies[t].terms[i]);
        self.term_links[t][i] = term_link(tc, term, &self.term_urls[t][i]);
    }

    /// Makes briefing `id`'s summary again from `archive`, after an edit
    /// that left its slug and date as they were and named no new term
    /// (everything else here depends only on those, the terms and the
    /// config).
    pub fn resummarize(&mut self, archive: &Archive, id: BriefingId) {
        if let (Some(slot), Some(entry)) = (self.summaries.get_mut(id), archive.entries.get(id)) {
            *slot = summary_of(entry);
        }
    }
}

/// The URL of `term`'s first page.
fn term_url(config: &SiteConfig, tc: &TaxonomyConfig, term: &Term) -> String {
    config.urls.path(&paths::term(&tc.name, term.slug.as_str()))
}

/// `term`'s link as templates see it ([`TermLinkView`]), serialized.
fn term_link(tc: &TaxonomyConfig, term: &Term, url: &str) -> tera::Value {
    tera::Value::from_serializable(&TermLinkView {
        name: &term.name,
        url,
        role: term.profile.as_ref().and_then(|p| p.role.as_deref()),
        taxonomy: &tc.name,
    })
}

/// Builds views from the archive; shared by every page.
pub struct Views<'a> {
    pub config: &'a SiteConfig,
    pub urls: &'a SiteUrls,
    pub archive: &'a Archive,
    data: &'a ViewData,
}

impl<'a> Views<'a> {
    /// `data` must have been made of this `archive` with this `config`.
    pub fn new(config: &'a SiteConfig, archive: &'a Archive, data: &'a ViewData) -> Views<'a> {
        Views {
            config,
            urls: &config.urls,
            archive,
            data,
        }
    }

    pub fn site(&self) -> SiteView<'a> {
        SiteView {
            title: &self.config.title,
            description: &self.config.description,
            language: &self.config.language,
            author: self.config.author.as_deref(),
            base_url: self.urls.base_url(),
            root: self.urls.root(),
            taxonomies: self
                .config
                .taxonomies
                .iter()
                .zip(&self.archive.taxonomies)
                .map(|(config, taxonomy)| TaxonomyView {
                    name: &config.name,
                    title: &config.title,
                    url: self.urls.path(&paths::taxonomy(&config.name)),
                    term_count: taxonomy.terms.len(),
                })
                .collect(),
            feed: (!self.archive.entries.is_empty()).then(|| self.urls.path(&paths::feed(""))),
            search_url: self.config.search.then(|| self.urls.path(paths::SEARCH)),
        }
    }

    pub fn search(&self) -> SearchView<'a> {
        SearchView {
            bundle_url: self.urls.path(crate::search::BUNDLE_DIR),
            filters: self.site().taxonomies,
        }
    }

    pub fn page(
        &self,
        kind: &'static str,
        title: String,
        path: &str,
        description: Option<&str>,
    ) -> PageView {
        PageView {
            kind,
            title,
            url: self.urls.path(path),
            permalink: self.urls.permalink(path),
            description: description.unwrap_or(&self.config.description).to_string(),
        }
    }

    pub fn briefing(&self, id: BriefingId) -> &'a Briefing {
        &self.archive.entries[id].briefing
    }

    pub fn summary(&self, id: BriefingId) -> Option<&str> {
        self.data.summaries[id].as_deref()
    }

    pub fn term(&self, taxonomy: usize, term: usize) -> &'a Term {
        &self.archive.taxonomies[taxonomy].terms[term]
    }

    pub fn term_url(&self, taxonomy: usize, term: usize) -> &str {
        &self.data.term_urls[taxonomy][term]
    }

    pub fn groups(&self, id: BriefingId) -> Vec<TermGroupView<'_>> {
        let entry = &self.archive.entries[id];
        self.config
            .taxonomies
            .iter()
            .zip(&entry.terms)
            .enumerate()
            .filter(|(_, (_, terms))| !terms.is_empty())
            .map(|(t, (config, terms))| TermGroupView {
                name: &config.name,
                title: &config.title,
                terms: terms
                    .iter()
                    .map(|&id| self.data.term_links[t][id].clone())
                    .collect(),
            })
            .collect()
    }

    /// Briefing `id`'s URL and dates, made on the first call.
    fn link_parts(&self, id: BriefingId) -> &LinkParts {
        self.data.link_parts[id].get_or_init(|| {
            let briefing = self.briefing(id);
            LinkParts {
                url: self.urls.path(&paths::briefing(briefing.slug.as_str())),
                date: briefing.date.iso(),
                date_display: briefing.date.display(),
            }
        })
    }

    pub fn card(&self, id: BriefingId) -> CardView<'_> {
        let briefing = self.briefing(id);
        let parts = self.link_parts(id);
        CardView {
            title: &briefing.title,
            url: &parts.url,
            date: &parts.date,
            date_display: &parts.date_display,
            summary: self.summary(id),
            taxonomies: self.groups(id),
        }
    }

    pub fn link(&self, id: BriefingId, shared: Option<usize>) -> BriefingLinkView<'_> {
        let briefing = self.briefing(id);
        let parts = self.link_parts(id);
        BriefingLinkView {
            title: &briefing.title,
            url: &parts.url,
            date: &parts.date,
            date_display: &parts.date_display,
            shared,
        }
    }

    pub fn briefing_view<'b>(&'b self, id: BriefingId, body: &'b Rendered) -> BriefingView<'b> {
        let briefing = self.briefing(id);
        let parts = self.link_parts(id);
        BriefingView {
            title: &briefing.title,
            url: &parts.url,
            permalink: self
                .urls
                .permalink(&paths::briefing(briefing.slug.as_str())),
            date: &parts.date,
            date_display: &parts.date_display,
            updated: briefing.updated.as_ref().map(PublishDate::iso),
            updated_display: briefing.updated.as_ref().map(PublishDate::display),
            summary: self.summary(id),
            source: briefing.source.as_ref(),
            content: &body.html,
            toc: &body.toc,
            taxonomies: self.groups(id),
            extra: extra(&briefing.extra),
            word_count: body.word_count,
            reading_minutes: body.word_count.div_ceil(WORDS_PER_MINUTE).max(1),
        }
    }

    /// What a term's pages show of it (its profile's HTML left out: see
    /// [`TermView::profile`]).
    pub fn term_view<'b>(&'b self, taxonomy: usize, term: &'b Term) -> TermView<'b> {
        let path = paths::term(&self.config.taxonomies[taxonomy].name, term.slug.as_str());
        let profile = term.profile.as_ref();
        let date =
            |id: Option<&BriefingId>| id.map(|&id| self.link_parts(id).date_display.as_str());
        let appears_with = self.appears_with(term);
        TermView {
            name: &term.name,
            slug: term.slug.as_str(),
            url: self.urls.path(&path),
            permalink: self.urls.permalink(&path),
            role: profile.and_then(|p| p.role.as_deref()),
            summary: profile.and_then(|p| p.summary.as_deref()),
            aliases: profile.map_or(&[], |p| p.aliases.as_slice()),
            links: profile.map_or(&[], |p| p.links.as_slice()),
            profile: None,
            extra: profile.map_or(&EMPTY_MAP, |p| extra(&p.extra)),
            count: term.briefings.len(),
            first_seen: date(term.briefings.last()),
            last_seen: date(term.briefings.first()),
            appears_with_groups: self.appears_with_groups(term, &appears_with),
            appears_with,
            timeline: self.timeline(term),
            feed: (self.config.term_feeds.made() && !term.briefings.is_empty())
                .then(|| self.urls.path(&paths::feed(&path))),
        }
    }

    fn appears_with(&self, term: &Term) -> Vec<AppearsWithView<'_>> {
        term.appears_with
            .iter()
            .map(|&(t, other, count)| {
                let config = &self.config.taxonomies[t];
                AppearsWithView {
                    name: &self.term(t, other).name,
                    url: self.term_url(t, other),
                    taxonomy: &config.name,
                    taxonomy_title: &config.title,
                    count,
                }
            })
            .collect()
    }

    /// `appears_with` (the views of `term.appears_with`) by taxonomy.
    fn appears_with_groups<'v>(
        &'v self,
        term: &Term,
        appears_with: &[AppearsWithView<'v>],
    ) -> Vec<AppearsWithGroupView<'v>> {
        let mut groups: Vec<AppearsWithGroupView<'_>> = self
            .config
            .taxonomies
            .iter()
            .map(|config| AppearsWithGroupView {
                name: &config.name,
                title: &config.title,
                terms: Vec::new(),
            })
            .collect();
        for (&(t, _, _), view) in term.appears_with.iter().zip(appears_with) {
            if let Some(group) = groups.get_mut(t) {
                group.terms.push(*view);
            }
        }
        groups.retain(|group| !group.terms.is_empty());
        groups
    }

    fn timeline(&self, term: &Term) -> Vec<TimelineYearView> {
        let busiest = term.timeline.iter().map(|&(_, n)| n).max().unwrap_or(1);
        let (first, last) = match (term.timeline.first(), term.timeline.last()) {
            (Some(&(first, _)), Some(&(last, _))) => (first, last),
            _ => (0, 0),
        };
        term.timeline
            .iter()
            .map(|&(year, count)| TimelineYearView {
                year,
                count,
                label: match count {
                    0 => "no briefings".to_string(),
                    1 => "1 briefing".to_string(),
                    n => format!("{n} briefings"),
                },
                labelled: year == first
                    || year == last
                    || (year % 5 == 0 && year - first > 1 && last - year > 1),
                url: self
                    .data
                    .years
                    .contains(&year)
                    .then(|| self.urls.path(&paths::archive_year(year))),
                percent: (count * 100).div_ceil(busiest),
            })
            .collect()
    }

    /// Terms grouped by initial for the taxonomy index ("#" for the rest, last).
    pub fn letters(&self, taxonomy: usize) -> Vec<LetterView<'_>> {
        let mut letters: Vec<LetterView<'_>> = Vec::new();
        let mut others: Vec<TermEntryView<'_>> = Vec::new();
        for (id, term) in self.archive.taxonomies[taxonomy].terms.iter().enumerate() {
            let entry = TermEntryView {
                name: &term.name,
                url: self.term_url(taxonomy, id),
                count: term.briefings.len(),
            };
            let initial = crate::index::fold(&term.name)
                .chars()
                .next()
                .filter(char::is_ascii_alphabetic)
                .map(|c| c.to_ascii_uppercase());
            match initial {
                Some(c) => match letters.last_mut() {
                    Some(last) if last.letter.starts_with(c) => last.terms.push(entry),
                    _ => letters.push(LetterView {
                        letter: c.to_string(),
                        id: format!("letter-{}", c.to_ascii_lowercase()),
                        terms: vec![entry],
                    }),
                },
                None => others.push(entry),
            }
        }
        if !others.is_empty() {
            letters.push(LetterView {
                letter: "#".into(),
                id: "letter-other".into(),
                terms: others,
            });
        }
        letters
    }
}

/// The first `AUTO_SUMMARY_WORDS` words of a paragraph, with an ellipsis if cut.
fn auto_summary(paragraph: &str) -> String {
    let mut words = paragraph.split_whitespace();
    let summary: Vec<&str> = words.by_ref().take(AUTO_SUMMARY_WORDS).collect();
    let summary = summary.join(" ");
    if words.next().is_some() {
        format!("{summary}…")
    } else {
        summary
    }
}
