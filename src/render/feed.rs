//! Atom 1.0 feeds: the site's at `/atom.xml` and one per term at
//! `/<taxonomy>/<slug>/atom.xml`, each with the newest `feed_limit`
//! briefings, newest first, rendered by the `atom.xml` template.
//!
//! An entry of the site's feed carries the briefing's rendered body; an entry
//! of a term's feed carries its summary, or its body too with
//! `term_feeds: full` (`term_feeds: none` makes no term feeds). Bodies are
//! rendered once, by the briefing's page in the first pass; only those of
//! briefings some feed shows whole ([`feed_briefings`]) are kept for the
//! second pass, which renders the feeds. Root-relative links in a body
//! resolve against the entry's `xml:base` (its permalink), so they work
//! under any base path.

use serde::Serialize;
use tera::Context;

use super::sitemap::{latest, modified};
use super::views::paths;
use super::{PageRenderer, Views};
use crate::config::TermFeeds;
use crate::index::{Archive, BriefingId};

#[derive(Serialize)]
pub struct FeedView<'a> {
    pub title: String,
    pub subtitle: &'a str,
    /// The feed's permalink: its `<id>` and its `rel="self"` link.
    pub url: String,
    /// The permalink of the HTML page the feed follows (`rel="alternate"`).
    pub page: String,
    /// RFC 3339: the latest `updated` (or `date`) of its entries.
    pub updated: String,
    /// `author` from the config, else the site's title.
    pub author: &'a str,
    pub entries: Vec<FeedEntryView<'a>>,
}

#[derive(Serialize)]
pub struct FeedEntryView<'a> {
    pub title: &'a str,
    /// The briefing's permalink: its `<id>` and its link.
    pub permalink: String,
    /// RFC 3339 instants.
    pub published: String,
    pub updated: String,
    pub summary: Option<&'a str>,
    /// The rendered body (HTML); `None` in a summary-only term feed.
    pub content: Option<&'a str>,
    pub categories: Vec<CategoryView<'a>>,
}

/// One tag of an entry: `term` is the term's name, `scheme` its taxonomy's permalink.
#[derive(Serialize)]
pub struct CategoryView<'a> {
    pub term: &'a str,
    pub scheme: String,
}

/// How many of a briefing's tags its feed entries list as categories. A
/// briefing naming thousands of terms appears in thousands of term feeds;
/// listing every tag in each would cost tags² for that one briefing.
const MAX_CATEGORIES: usize = 64;

/// By briefing id, whether some feed shows its body: the newest `limit` of
/// the archive, and of each term when term feeds are full. Costs one step
/// per term and entry kept, never briefings × terms.
pub fn feed_briefings(archive: &Archive, limit: usize, term_feeds: TermFeeds) -> Vec<bool> {
    let mut kept = vec![false; archive.entries.len()];
    let newest = (0..archive.entries.len()).take(limit);
    let per_term = archive
        .taxonomies
        .iter()
        .flat_map(|t| &t.terms)
        .filter(|_| term_feeds.whole())
        .flat_map(|term| term.briefings.iter().take(limit).copied());
    for id in newest.chain(per_term) {
        kept[id] = true;
    }
    kept
}

impl PageRenderer<'_> {
    /// The site's feed (`None`) or a term's.
    pub(super) fn feed(&self, term: Option<(usize, usize)>) -> (&'static str, String, Context) {
        let views = self.views;
        let config = views.config;
        let limit = config.feed_limit;
        // The site's feed carries bodies; a term's, as `term_feeds` says.
        let whole = term.is_none() || config.term_feeds.whole();
        let (dir, title, subtitle, ids): (String, String, &str, Vec<BriefingId>) = match term {
            None => (
                String::new(),
                config.title.clone(),
                &config.description,
                (0..views.archive.entries.len()).take(limit).collect(),
            ),
            Some((t, id)) => {
                let term = views.term(t, id);
                let summary = term.profile.as_ref().and_then(|p| p.summary.as_deref());
                (
                    paths::term(&config.taxonomies[t].name, term.slug.as_str()),
                    format!("{} · {}", term.name, config.title),
                    summary.unwrap_or(""),
                    term.briefings.iter().take(limit).copied().collect(),
                )
            }
        };
        let path = paths::feed(&dir);
        let feed = FeedView {
            title,
            subtitle,
            url: views.urls.permalink(&path),
            page: views.urls.permalink(&dir),
            updated: latest(self, ids.iter().copied())
                .map(|d| d.rfc3339())
                .unwrap_or_default(),
            author: config.author.as_deref().unwrap_or(&config.title),
            entries: ids.iter().map(|&id| self.entry(views, id, whole)).collect(),
        };
        let mut context = Context::new();
        context.insert_value("site", self.site.clone());
        context.insert("feed", &feed);
        ("atom.xml", path, context)
    }

    /// Briefing `id` as a feed entry, with its body if `whole`.
    fn entry<'a>(&'a self, views: &'a Views<'a>, id: BriefingId, whole: bool) -> FeedEntryView<'a> {
        let briefing = views.briefing(id);
        let categories = views
            .config
            .taxonomies
            .iter()
            .zip(&views.archive.entries[id].terms)
            .enumerate()
            .flat_map(|(t, (config, terms))| {
                let scheme = views.urls.permalink(&paths::taxonomy(&config.name));
                terms.iter().map(move |&term| CategoryView {
                    term: &views.term(t, term).name,
                    scheme: scheme.clone(),
                })
            })
            .take(MAX_CATEGORIES)
            .collect();
        FeedEntryView {
            title: &briefing.title,
            permalink: views
                .urls
                .permalink(&paths::briefing(briefing.slug.as_str())),
            published: briefing.date.rfc3339(),
            updated: modified(self, id).rfc3339(),
            summary: views.summary(id),
            // Every briefing a feed shows whole had its body kept by its page.
            content: whole.then(|| {
                self.bodies[id]
                    .as_ref()
                    .and_then(|slot| slot.get())
                    .map_or("", String::as_str)
            }),
            categories,
        }
    }
}
