//! Rendering: every page through its Tera template, in parallel, each page
//! handed to the output as soon as it is made. A briefing's Markdown is
//! rendered with its page and dropped with it, so memory never holds the
//! whole rendered site; in `dossier build` its source text goes too.
//!
//! Each page's context holds only what that page shows: a listing page gets
//! its own page of cards (pre-serialized once per briefing and shared), never
//! the whole archive, so the cost of a build is linear in its pages.
//!
//! Pages render in two parallel passes through the same jobs and sink: the
//! HTML pages first (the briefings', then the cards, then the pages that show
//! cards: see [`render_site`]), then what is made from them (`feed.rs`: the
//! Atom feeds, whose entries carry the bodies the first pass kept for them;
//! `sitemap.rs`: the sitemap, listing the pages the first pass wrote).

mod feed;
mod paginate;
mod sitemap;
pub mod templates;
pub mod views;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Value};

use crate::config::{SiteConfig, TaxonomyConfig};
use crate::diag::Diagnostic;
use crate::highlight::Highlighter;
use crate::index::{Archive, BriefingId, Retagged, Term, TermRef};
use crate::markdown;
use crate::mentions::{Linker, Matcher, MentionScope};
use crate::model::SharedText;
use crate::output::InPlace;
use paginate::{Pager, page_count, page_path};
use templates::Templates;
use views::{ViewData, Views, paths};

pub use sitemap::{SITEMAP_MAX_URLS, robots_txt};

/// Where rendered pages go: a site path (`briefings/rome/index.html`) and its bytes.
pub trait PageSink: Sync {
    fn write(&self, path: &str, contents: &[u8]) -> Result<(), Diagnostic>;

    /// Told that the briefing page at `path` (the file `write` would have
    /// been given) failed to render or to be written: it will not come. A
    /// sink that waits for the briefing pages in order (the search index)
    /// stops waiting for it.
    fn failed(&self, _path: &str) {}
}

/// Tells the sink a briefing page will not come unless it is defused: on
/// an error, and on a panic, which would otherwise leave a sink that waits
/// for it waiting, and the render threads it holds back with it.
struct Unwritten<'a> {
    renderer: &'a PageRenderer<'a>,
    sink: &'a dyn PageSink,
    id: BriefingId,
    written: bool,
}

impl Drop for Unwritten<'_> {
    fn drop(&mut self) {
        if !self.written {
            let path = self.renderer.path_of(Job::Briefing(self.id));
            self.sink.failed(&format!("{path}index.html"));
        }
    }
}

/// What was rendered, for the closing line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RenderStats {
    /// HTML pages.
    pub pages: usize,
    pub briefing_pages: usize,
    pub term_pages: usize,
    /// How many times a page template was rendered (one per page, feed and sitemap).
    pub template_renders: usize,
    /// Cards rendered by `card.html` (one per briefing).
    pub card_renders: usize,
    /// Atom feeds: the site's and one per term that has briefings.
    pub feeds: usize,
    /// Sitemap files: one, or the parts of a split sitemap and their index.
    pub sitemaps: usize,
    /// Pages listed in the sitemap.
    pub sitemap_urls: usize,
}

/// Two partial renders, counted as one (a rebuild of several edits).
impl std::ops::AddAssign for RenderStats {
    fn add_assign(&mut self, other: RenderStats) {
        self.pages += other.pages;
        self.briefing_pages += other.briefing_pages;
        self.term_pages += other.term_pages;
        self.template_renders += other.template_renders;
        self.card_renders += other.card_renders;
        self.feeds += other.feeds;
        self.sitemaps += other.sitemaps;
        self.sitemap_urls += other.sitemap_urls;
    }
}

/// One page to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Job {
    Home {
        page: usize,
    },
    Briefing(BriefingId),
    Taxonomy(usize),
    Term {
        taxonomy: usize,
        term: usize,
        page: usize,
    },
    Archive,
    Year(i16),
    Search,
    NotFound,
    /// The site's Atom feed (`None`) or a term's (`taxonomy`, `term`).
    Feed(Option<(usize, usize)>),
    /// The sitemap, whole (`part` 0) or one part of a split one (1-based).
    Sitemap {
        part: usize,
    },
    /// The index of a split sitemap's parts.
    SitemapIndex {
        parts: usize,
    },
}

impl Job {
    /// Whether one page of this kind can be as large as a thousand others.
    fn is_large(&self) -> bool {
        matches!(
            self,
            Job::Year(_) | Job::Archive | Job::Sitemap { .. } | Job::Taxonomy(_)
        )
    }

    /// Whether this is an HTML page that belongs in the sitemap.
    fn is_listed_page(&self) -> bool {
        !matches!(
            self,
            Job::NotFound | Job::Feed(_) | Job::Sitemap { .. } | Job::SitemapIndex { .. }
        )
    }
}

/// A rendered page, kept in memory: its output file and text.
struct RenderedPage {
    file: String,
    text: Vec<u8>,
}

/// What a rendering thread keeps from one page to the next (one per rayon
/// work split): the buffer pages are rendered into, never a fresh `String`
/// each, and the serialized view of the term whose page it rendered last.
/// A term's pages are next to each other in the job list and all show the
/// same `term`, so its view is made once, not once per page.
#[derive(Default)]
struct Scratch {
    buffer: Vec<u8>,
    term: LastTermView,
}

/// The serialized view of the term whose page a thread rendered last.
#[derive(Default)]
struct LastTermView(Option<(TermRef, Value)>);

impl LastTermView {
    /// The view of term `key`: the one kept if it is this term's, otherwise
    /// the one `make` serializes, which is kept for the next page.
    fn get_or_make(&mut self, key: TermRef, make: impl FnOnce() -> Value) -> Value {
        let view = match self.0.take() {
            Some((made_for, view)) if made_for == key => view,
            _ => make(),
        };
        self.0 = Some((key, view.clone()));
        view
    }
}

/// Where a page is rendered, by [`PageRenderer::render_into`].
struct PageFile {
    /// Its site path (`briefings/rome/`).
    path: String,
    /// Its output file (`briefings/rome/index.html`).
    file: String,
}

/// Briefings by year, then month, newest first inside each.
type Calendar = BTreeMap<i16, BTreeMap<i8, Vec<BriefingId>>>;

/// What rendering makes of an archive before its first page, and keeps
/// between builds of the same archive: the views' data, the mention
/// automaton and links, the site's view, the calendar and every briefing's
/// card, each of which costs a pass over the whole archive.
/// [`rerender_briefing`] reuses them, changing only what an edit changed.
pub struct Prepared {
    views: ViewData,
    /// Every term's names and aliases, to link mentions.
    matcher: Matcher,
    /// The opening tag of each term's mention link: `[taxonomy][term]`.
    mention_links: Vec<Vec<String>>,
    /// The site as every template sees it.
    site: Value,
    calendar: Calendar,
    /// Every briefing's card, by id: made by [`render_site`] once the
    /// briefing pages are rendered, before any listing page.
    cards: OnceLock<Vec<Value>>,
    /// By briefing id: a slot for the rendered body of each briefing some
    /// feed shows (filled by its page, read by the feeds), `None` for the rest.
    bodies: Vec<Option<OnceLock<String>>>,
    /// By briefing id: the briefings whose related list names it. Made on
    /// the first in-place edit (a build never needs it), so that each edit
    /// finds the pages to render again without a pass over the archive.
    related_by: OnceLock<Vec<Vec<BriefingId>>>,
    /// Every listed page's sitemap entry, in the order of the page list:
    /// set by [`render_site`] between its passes.
    sitemap: OnceLock<Vec<sitemap::SitemapUrlView>>,
}

impl Prepared {
    /// `summaries` are [`views::summaries`] of `archive`, and `matcher`
    /// finds the mentions of its terms (see [`Matcher::new`]); both are made
    /// by the caller while the briefings' texts are still in the archive.
    pub fn new(
        config: &SiteConfig,
        archive: &Archive,
        summaries: Vec<Option<String>>,
        matcher: Matcher,
    ) -> Prepared {
        let views = ViewData::new(config, archive, summaries);
        let (mention_links, site) = {
            let views = Views::new(config, archive, &views);
            (
                mention_links(&views),
                Value::from_serializable(&views.site()),
            )
        };
        let kept = feed::feed_briefings(archive, config.feed_limit, config.term_feeds);
        Prepared {
            views,
            matcher,
            mention_links,
            site,
            calendar: calendar(archive),
            cards: OnceLock::new(),
            bodies: kept.iter().map(|&keep| keep.then(OnceLock::new)).collect(),
            related_by: OnceLock::new(),
            sitemap: OnceLock::new(),
        }
    }

    /// The briefings whose related list names briefing `id`, in id order.
    fn related_by(&self, archive: &Archive, id: BriefingId) -> &[BriefingId] {
        let all = self.related_by.get_or_init(|| {
            let mut by = vec![Vec::new(); archive.entries.len()];
            for (other, entry) in archive.entries.iter().enumerate() {
                for &(related, _) in &entry.related {
                    by[related].push(other);
                }
            }
            by
        });
        all.get(id).map_or(&[], Vec::as_slice)
    }

    /// The views of `archive`, which must be the one this was made of.
    fn views<'a>(&'a self, config: &'a SiteConfig, archive: &'a Archive) -> Views<'a> {
        Views::new(config, archive, &self.views)
    }
}

/// Renders every page of the site into `sink`, and returns `prepared` for
/// [`rerender_briefing`] to reuse later.
///
/// `texts` are the briefings' source texts by id, each dropped as soon as its
/// page is rendered. The briefing pages come first, then the cards, then
/// every page that shows cards. When `texts` hold the only copies (`dossier
/// build`: [`crate::index::Archive::take_texts`]), the cards are made in the
/// memory the texts leave rather than in fresh memory, which the kernel must
/// clear first: a third less peak memory at 100,000 briefings (see
/// BENCHMARKS.md). The feeds and the sitemap come last, made from what the
/// pages left.
pub fn render_site(
    config: &SiteConfig,
    archive: &Archive,
    templates: &Templates,
    highlighter: &Highlighter,
    prepared: Prepared,
    texts: Vec<SharedText>,
    sink: &dyn PageSink,
) -> Result<(RenderStats, Prepared), Vec<Diagnostic>> {
    let views = prepared.views(config, archive);
    let renderer = PageRenderer::new(&views, templates, highlighter, &prepared);
    let pages = renderer.jobs();
    // Every problem of the three, each once: a template error in a card
    // shows even when the briefing pages failed too.
    let briefings = renderer.run_briefings(texts, sink);
    let card_renders = AtomicUsize::new(0);
    let ids: Vec<BriefingId> = (0..archive.entries.len()).collect();
    let cards = render_cards(&views, templates, &prepared.site, &ids, &card_renders);
    let listings: Vec<Job> = pages
        .iter()
        .filter(|job| !matches!(job, Job::Briefing(_)))
        .copied()
        .collect();
    // The listings show the cards: without them there is nothing to render.
    let listed = cards.map(|cards| {
        let _ = prepared.cards.set(cards);
        renderer.run(&listings, sink)
    });
    let (mut briefings, mut listed) = match (briefings, listed) {
        (Ok(briefings), Ok(Ok(listed))) => (briefings, listed.into_iter()),
        (briefings, listed) => {
            let problems = [briefings.err(), listed.and_then(|l| l).err()];
            return Err(dedup(problems.into_iter().flatten().flatten().collect()));
        }
    };
    // The site paths back in the order of `pages`, for the sitemap.
    let written: Vec<String> = pages
        .iter()
        .map(|job| match job {
            Job::Briefing(id) => std::mem::take(&mut briefings[*id]),
            _ => listed.next().unwrap_or_default(),
        })
        .collect();
    renderer.keep_sitemap(&pages, &written);
    let derived = renderer.derived_jobs();
    renderer.run(&derived, sink)?;
    let stats = RenderStats {
        feeds: derived.iter().filter(|j| matches!(j, Job::Feed(_))).count(),
        sitemaps: derived
            .iter()
            .filter(|j| matches!(j, Job::Sitemap { .. } | Job::SitemapIndex { .. }))
            .count(),
        sitemap_urls: renderer.sitemap_len(),
        ..renderer.stats(&pages, card_renders.into_inner())
    };
    Ok((stats, prepared))
}

/// An in-place edit of one briefing, for [`rerender_briefing`].
pub struct Edit {
    pub id: BriefingId,
    /// What [`Archive::retag`] changed, when the edit changed the briefing's
    /// tags (already applied to the archive).
    pub retagged: Option<Retagged>,
    /// Whether its `updated` date changed: the sitemap's dates of the pages
    /// that show it may have moved.
    pub redated: bool,
    /// Whether it is a new briefing, just added to the archive by
    /// [`Archive::insert`] (`retagged` says what that changed in the index).
    pub inserted: bool,
    /// The terms that came or went with it.
    pub terms: TermsChanged,
}

/// The terms an in-place change added to the archive or took out of it
/// ([`Archive::add_term`], [`Archive::remove_term`], with
/// [`Prepared::insert_term`] and [`Prepared::remove_term`]), for the
/// renderer: what shows the list of terms or their names.
#[derive(Debug, Default)]
pub struct TermsChanged {
    /// The taxonomies that gained or lost a term: their index pages.
    pub taxonomies: Vec<usize>,
    /// The briefings whose text names one of those terms: a mention of it
    /// may have become a link, or stopped being one, or a longer name may
    /// now win over a shorter one there.
    pub naming: Vec<BriefingId>,
    /// The site paths of the pages and feeds of the terms taken out.
    pub gone: Vec<String>,
    /// Terms that came with no briefing naming them (a new profile): their
    /// pages are new too.
    pub came: Vec<TermRef>,
    /// Terms without a profile whose name is spelled otherwise now (their
    /// newest briefing spells it so): every page naming them shows it
    /// (`PageRenderer::jobs_respelled`).
    pub respelled: Vec<TermRef>,
}

impl TermsChanged {
    pub fn is_empty(&self) -> bool {
        self.taxonomies.is_empty()
    }

    /// The index pages and briefings to render again.
    fn jobs(&self) -> impl Iterator<Item = Job> + '_ {
        let taxonomies = self.taxonomies.iter().map(|&t| Job::Taxonomy(t));
        taxonomies.chain(self.naming.iter().map(|&id| Job::Briefing(id)))
    }
}

impl Edit {
    /// Whether this edit (a change of tags) gave a term's listing a page
    /// more or less: each term the briefing gained has one briefing more
    /// than before, each it lost one fewer.
    fn repaged(&self, config: &SiteConfig, archive: &Archive) -> bool {
        let Some(retagged) = &self.retagged else {
            return false;
        };
        let per_page = config.paginate;
        retagged.members.iter().any(|&(t, term)| {
            let count = archive.taxonomies[t].terms[term].briefings.len();
            let before = if archive.entries[self.id].terms[t].contains(&term) {
                count.saturating_sub(1)
            } else {
                count + 1
            };
            page_count(before, per_page) != page_count(count, per_page)
        })
    }
}

/// Re-renders what shows briefing `edit.id` after an edit that left its
/// slug, date and draft flag as they were, or after it was added: its own
/// page, the briefings that link to it (neighbours and related), the listing
/// pages that show its card and the feeds that carry it. When its tags
/// changed (or it is new), also every page of the terms whose briefings,
/// co-occurring terms or timeline changed, the briefings whose related list
/// changed, the taxonomy pages and those terms' feeds; when it is new, every
/// home page, year page and the archive page; and the sitemap, if an entry
/// came or went or a page's date in it moved. A term's listing that lost its
/// last page (a tag taken away) has that page removed. When terms came or
/// went with the edit (`edit.terms`), also their taxonomies' pages and the
/// briefings whose text names them, and the pages and feeds of the terms
/// gone are removed. Every page is rendered before any is written, so a
/// template error writes nothing.
pub fn rerender_briefing(
    config: &SiteConfig,
    archive: &Archive,
    templates: &Templates,
    highlighter: &Highlighter,
    prepared: &mut Prepared,
    edit: &Edit,
    sink: &InPlace,
) -> Result<RenderStats, Vec<Diagnostic>> {
    if config.search && !templates.has(templates::SEARCH) {
        return Err(vec![
            Diagnostic::error(
                crate::config::CONFIG_FILE,
                format!(
                    "search is on but the theme has no `{}` template",
                    templates::SEARCH
                ),
            )
            .with_help(format!(
                "add templates/{} to the site or the theme, or set `search: false`",
                templates::SEARCH
            )),
        ]);
    }
    let id = edit.id;
    let new_year = if edit.inserted {
        prepared.make_room(archive, id)
    } else {
        None
    };
    prepared.views.resummarize(archive, id);
    let card_renders = prepared.recard(config, archive, templates, &[id])?;
    // Its page renders the body again; a feed needs the new one. So do
    // the pages of the briefings naming a term that came or went, and
    // those of a term spelled otherwise (their cards too).
    prepared.renew_bodies(std::iter::once(id).chain(edit.terms.naming.iter().copied()));
    let respelled_cards =
        prepared.recard_terms(config, archive, templates, &edit.terms.respelled)?;
    let mut jobs = Vec::new();
    // The feeds, and the sitemap if it changed: made from what the pages leave.
    let mut derived = Vec::new();
    if edit.retagged.is_some() {
        prepared.related_by = OnceLock::new();
        jobs.extend(prepared.keep_new_bodies(config, archive, edit.inserted));
    }
    // A new page (its own, a listing's next) joins the sitemap; a listing
    // that lost one had its last page taken out.
    let repaged = edit.inserted || edit.repaged(config, archive);
    let relisted = repaged || !edit.terms.is_empty();
    // Only the pages of the taxonomies whose terms came or went, when no
    // other page came or went.
    let spliced = if repaged || edit.terms.is_empty() {
        None
    } else {
        let taxonomies = &edit.terms.taxonomies;
        prepared.relist_taxonomies(config, archive, templates, highlighter, taxonomies)
    };
    let gone = match spliced {
        Some(gone) => {
            prepared.redate_sitemap(config, archive, templates, highlighter, edit, &mut derived);
            gone
        }
        None if relisted => prepared.relist_sitemap(config, archive, templates, highlighter),
        None => {
            if edit.retagged.is_some() || edit.redated {
                prepared.redate_sitemap(
                    config,
                    archive,
                    templates,
                    highlighter,
                    edit,
                    &mut derived,
                );
            }
            Vec::new()
        }
    };
    let views = prepared.views(config, archive);
    let renderer = PageRenderer::new(&views, templates, highlighter, prepared);
    jobs.extend(renderer.jobs_showing(id, prepared.related_by(archive, id)));
    derived.extend(renderer.feeds_showing(id));
    if relisted {
        derived.extend(renderer.sitemap_jobs());
    }
    if edit.inserted {
        jobs.extend(renderer.jobs_renumbered());
    }
    if let Some(year) = new_year {
        jobs.extend(renderer.terms_spanning(year));
    }
    if let Some(retagged) = &edit.retagged {
        jobs.extend(renderer.jobs_retagged(retagged));
        derived.extend(
            retagged
                .members
                .iter()
                .filter_map(|&t| renderer.term_feed(t)),
        );
    }
    let mut rendered = Rendered {
        jobs,
        derived,
        gone,
    };
    rendered.extend(renderer.for_terms(&edit.terms));
    write_rendered(&renderer, rendered, card_renders + respelled_cards, sink)
}

/// A briefing taken out of the archive by [`Archive::remove`], for
/// [`rerender_without`].
pub struct Removed {
    /// Where it was: the briefing there now is the one after it.
    pub at: BriefingId,
    /// Its page's site path (`briefings/rome/`).
    pub page: String,
    /// What taking it out changed in the index.
    pub changed: Retagged,
    /// The terms that went with it.
    pub terms: TermsChanged,
}

/// Re-renders what showed a briefing now taken out of the archive: its
/// neighbours (now next to each other), every home page and year page, the
/// archive page, the pages of its terms and their taxonomies, the briefings
/// whose related list changed, the feeds and the sitemap; and removes its
/// page, and the last page of each listing that lost one.
pub fn rerender_without(
    config: &SiteConfig,
    archive: &Archive,
    templates: &Templates,
    highlighter: &Highlighter,
    prepared: &mut Prepared,
    removed: &Removed,
    sink: &InPlace,
) -> Result<RenderStats, Vec<Diagnostic>> {
    let at = removed.at;
    let gone_year = prepared.take_room(archive, at);
    prepared.renew_bodies(removed.terms.naming.iter().copied());
    let respelled_cards =
        prepared.recard_terms(config, archive, templates, &removed.terms.respelled)?;
    prepared.related_by = OnceLock::new();
    let mut jobs = prepared.keep_new_bodies(config, archive, true);
    let mut gone = prepared.relist_sitemap(config, archive, templates, highlighter);
    if !gone.contains(&removed.page) {
        gone.push(removed.page.clone());
    }
    let views = prepared.views(config, archive);
    let renderer = PageRenderer::new(&views, templates, highlighter, prepared);
    // Its page left the sitemap, whether or not any date in it moved.
    let mut derived = renderer.sitemap_jobs();
    jobs.extend(renderer.jobs_renumbered());
    if let Some(year) = gone_year {
        jobs.extend(renderer.terms_spanning(year));
    }
    jobs.extend(at.checked_sub(1).map(Job::Briefing));
    if at < archive.entries.len() {
        jobs.push(Job::Briefing(at));
    }
    jobs.extend(renderer.jobs_retagged(&removed.changed));
    if !archive.entries.is_empty() {
        derived.push(Job::Feed(None));
    }
    derived.extend((removed.changed.members.iter()).filter_map(|&term| renderer.term_feed(term)));
    let mut rendered = Rendered {
        jobs,
        derived,
        gone,
    };
    rendered.extend(renderer.for_terms(&removed.terms));
    write_rendered(&renderer, rendered, respelled_cards, sink)
}

/// Re-renders what shows that terms came or went while no briefing changed
/// (the profile of an entity no briefing names, written or deleted): what
/// `terms` names (the new terms' pages, the taxonomies' pages, the
/// briefings whose text names them, the feeds that carry those) and the
/// sitemap; removes the pages and feeds of the terms gone.
pub fn rerender_terms(
    config: &SiteConfig,
    archive: &Archive,
    templates: &Templates,
    highlighter: &Highlighter,
    prepared: &mut Prepared,
    terms: &TermsChanged,
    sink: &InPlace,
) -> Result<RenderStats, Vec<Diagnostic>> {
    prepared.renew_bodies(terms.naming.iter().copied());
    let relisted =
        prepared.relist_taxonomies(config, archive, templates, highlighter, &terms.taxonomies);
    let gone = relisted
        .unwrap_or_else(|| prepared.relist_sitemap(config, archive, templates, highlighter));
    let views = prepared.views(config, archive);
    let renderer = PageRenderer::new(&views, templates, highlighter, prepared);
    let mut rendered = Rendered {
        jobs: (terms.came.iter())
            .flat_map(|&key| renderer.term_pages(key))
            .collect(),
        derived: renderer.sitemap_jobs(),
        gone,
    };
    rendered.extend(renderer.for_terms(terms));
    write_rendered(&renderer, rendered, 0, sink)
}

/// A term's profile edited, written or deleted in place, the term keeping
/// its URL and its name (but for its spelling), for [`rerender_profile`].
pub struct Reprofiled {
    pub term: TermRef,
    /// Whether its role changed: the pages of the briefings naming it show
    /// it, and so do their cards.
    pub role: bool,
    /// Whether its name is spelled otherwise (its place among the terms
    /// stays): every page that names it shows it.
    pub respelled: bool,
    /// The briefings whose text names one of its names or aliases, before
    /// or after, when a mention there may link differently now (an alias
    /// came or went, or every mention links and the role is in the link).
    pub naming: Vec<BriefingId>,
}

/// Re-renders what shows the profile of term `change.term` (the profile
/// as it is now, or its absence, is already in `archive`): every page of
/// the term (its summary, links, fields, role and aliases on each, its text
/// on the first) and its feed (the summary). When its role changed, also
/// the pages of the briefings naming it and their cards, and, if a
/// template may print roles in listings ([`Templates::list_roles`]), every
/// listing page one of those cards is on; when its name is spelled
/// otherwise, those pages and cards, every listing page of those cards, its
/// taxonomy's page and the pages of the terms that list it as appearing
/// with them; and the briefings of `change.naming`; with the feeds that
/// carry any of those briefings.
pub fn rerender_profile(
    config: &SiteConfig,
    archive: &Archive,
    templates: &Templates,
    highlighter: &Highlighter,
    prepared: &mut Prepared,
    change: &Reprofiled,
    sink: &InPlace,
) -> Result<RenderStats, Vec<Diagnostic>> {
    let key @ (t, i) = change.term;
    prepared.relink_term(config, archive, key);
    let named_by: &[BriefingId] = if change.role || change.respelled {
        &archive.taxonomies[t].terms[i].briefings
    } else {
        &[]
    };
    let card_renders = prepared.recard(config, archive, templates, named_by)?;
    let mut briefings: Vec<BriefingId> = named_by.iter().chain(&change.naming).copied().collect();
    briefings.sort_unstable();
    briefings.dedup();
    prepared.renew_bodies(briefings.iter().copied());
    let views = prepared.views(config, archive);
    let renderer = PageRenderer::new(&views, templates, highlighter, prepared);
    let mut jobs: Vec<Job> = renderer.term_pages(key).collect();
    jobs.extend(briefings.iter().map(|&id| Job::Briefing(id)));
    if templates.list_roles() {
        for &id in named_by {
            jobs.extend(renderer.listings_showing(id));
        }
    }
    let mut derived: Vec<Job> = renderer.term_feed(key).into_iter().collect();
    for &id in &briefings {
        derived.extend(renderer.feeds_showing(id));
    }
    if change.respelled {
        let (pages, feeds) = renderer.jobs_respelled(key);
        jobs.extend(pages);
        derived.extend(feeds);
    }
    let rendered = Rendered {
        jobs,
        derived,
        gone: Vec::new(),
    };
    write_rendered(&renderer, rendered, card_renders, sink)
}

/// What an in-place change renders, and removes.
struct Rendered {
    /// The pages to render again.
    jobs: Vec<Job>,
    /// The feeds, which read what the pages leave (the bodies): rendered
    /// after `jobs`; and the sitemap's files, rendered with them.
    derived: Vec<Job>,
    /// Site paths of pages and files the site no longer has.
    gone: Vec<String>,
}

impl Rendered {
    fn extend(&mut self, more: Rendered) {
        self.jobs.extend(more.jobs);
        self.derived.extend(more.derived);
        self.gone.extend(more.gone);
    }
}

/// Renders `rendered`'s jobs and sitemap files, then its feeds, each once;
/// writes them all once every one is made, so that a template error writes
/// nothing; then removes what is gone.
fn write_rendered(
    renderer: &PageRenderer<'_>,
    rendered: Rendered,
    card_renders: usize,
    sink: &InPlace,
) -> Result<RenderStats, Vec<Diagnostic>> {
    let (jobs, derived) = (unique(rendered.jobs), unique(rendered.derived));
    let is_sitemap = |j: &&Job| matches!(j, Job::Sitemap { .. } | Job::SitemapIndex { .. });
    // The sitemap reads no page: it renders with them (first, being the
    // largest), where it would otherwise hold one core alone at the end.
    let (sitemaps, feeds): (Vec<Job>, Vec<Job>) = derived.iter().partition(is_sitemap);
    let first: Vec<Job> = sitemaps.iter().chain(&jobs).copied().collect();
    let mut pages = render_all(renderer, &first)?;
    pages.extend(render_all(renderer, &feeds)?);
    let written: Vec<Diagnostic> = pages
        .par_iter()
        .filter_map(|page| sink.write(&page.file, &page.text).err())
        .collect();
    if !written.is_empty() {
        return Err(written);
    }
    let removed: Vec<Diagnostic> = rendered
        .gone
        .iter()
        .filter_map(|path| sink.remove(path).err())
        .collect();
    if !removed.is_empty() {
        return Err(removed);
    }
    Ok(RenderStats {
        feeds: feeds.len(),
        sitemaps: sitemaps.len(),
        ..renderer.stats(&jobs, card_renders)
    })
}

/// `jobs` without repeats, in their first order.
fn unique(jobs: Vec<Job>) -> Vec<Job> {
    let mut seen = HashSet::new();
    jobs.into_iter().filter(|job| seen.insert(*job)).collect()
}

impl Prepared {
    /// After a change of tags with `term_feeds: full`, or a new briefing
    /// (`inserted`: the site's feed moved too): a slot for the body of each
    /// briefing some feed now shows whole that none did, and the pages that
    /// fill them.
    fn keep_new_bodies(
        &mut self,
        config: &SiteConfig,
        archive: &Archive,
        inserted: bool,
    ) -> Vec<Job> {
        if !inserted && !config.term_feeds.whole() {
            return Vec::new();
        }
        let kept = feed::feed_briefings(archive, config.feed_limit, config.term_feeds);
        let mut pages = Vec::new();
        for (id, (keep, slot)) in kept.into_iter().zip(&mut self.bodies).enumerate() {
            if keep && slot.is_none() {
                *slot = Some(OnceLock::new());
                pages.push(Job::Briefing(id));
            }
        }
        pages
    }

    /// Room for term `key`, just added to `archive` by
    /// [`Archive::add_term`]: its URL, link and mention link; everything
    /// kept by term after it moves one place down. The mention automaton
    /// is made again by [`Prepared::terms_settled`], once the terms are
    /// settled.
    pub fn insert_term(&mut self, config: &SiteConfig, archive: &Archive, key: TermRef) {
        self.views.insert_term(config, archive, key);
        let link = self.mention_link_of(config, archive, key);
        self.mention_links[key.0].insert(key.1, link);
    }

    /// The opening tag of term `key`'s mention links ([`mention_link`]),
    /// with its URL as the views have it.
    fn mention_link_of(&self, config: &SiteConfig, archive: &Archive, (t, i): TermRef) -> String {
        let views = self.views(config, archive);
        mention_link(
            &config.taxonomies[t],
            views.term_url(t, i),
            views.term(t, i),
        )
    }

    /// The cards of the briefings of each of `terms` made again (their term
    /// links changed), and their bodies' slots emptied for their pages to
    /// fill again. Returns the card renders.
    fn recard_terms(
        &mut self,
        config: &SiteConfig,
        archive: &Archive,
        templates: &Templates,
        terms: &[TermRef],
    ) -> Result<usize, Vec<Diagnostic>> {
        let mut ids: Vec<BriefingId> = (terms.iter())
            .flat_map(|&(t, i)| archive.taxonomies[t].terms[i].briefings.iter().copied())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let renders = self.recard(config, archive, templates, &ids)?;
        self.renew_bodies(ids.into_iter());
        Ok(renders)
    }

    /// The cards of briefings `ids` made again and kept; returns the card
    /// renders.
    fn recard(
        &mut self,
        config: &SiteConfig,
        archive: &Archive,
        templates: &Templates,
        ids: &[BriefingId],
    ) -> Result<usize, Vec<Diagnostic>> {
        let renders = AtomicUsize::new(0);
        let cards = {
            let views = self.views(config, archive);
            render_cards(&views, templates, &self.site, ids, &renders)?
        };
        if let Some(kept) = self.cards.get_mut() {
            for (&id, card) in ids.iter().zip(cards) {
                if let Some(slot) = kept.get_mut(id) {
                    *slot = card;
                }
            }
        }
        Ok(renders.into_inner())
    }

    /// The link and mention link of term `key` made again (its role), after
    /// its profile changed in `archive`. The mention automaton, if its
    /// names changed, is made again by [`Prepared::terms_settled`].
    pub fn relink_term(&mut self, config: &SiteConfig, archive: &Archive, key: TermRef) {
        self.views.relink_term(config, archive, key);
        self.mention_links[key.0][key.1] = self.mention_link_of(config, archive, key);
    }

    /// What was kept for term `key`, just taken out of the archive by
    /// [`Archive::remove_term`], let go.
    pub fn remove_term(&mut self, (t, i): TermRef) {
        self.views.remove_term((t, i));
        self.mention_links[t].remove(i);
    }

    /// After terms came or went: the mention automaton made again over
    /// the terms `archive` has now, and the site's view (its counts).
    pub fn terms_settled(&mut self, config: &SiteConfig, archive: &Archive) {
        self.matcher = Matcher::new(archive);
        self.site = Value::from_serializable(&self.views(config, archive).site());
    }

    /// An empty slot for the body of each of `ids` some feed shows, for
    /// its page (rendered again) to fill.
    fn renew_bodies(&mut self, ids: impl Iterator<Item = BriefingId>) {
        for id in ids {
            if let Some(slot @ Some(_)) = self.bodies.get_mut(id) {
                *slot = Some(OnceLock::new());
            }
        }
    }

    /// Room for briefing `at`, just added to `archive` by
    /// [`Archive::insert`]: everything kept by briefing id moves one place
    /// down from there. Its card is made by the caller.
    fn make_room(&mut self, archive: &Archive, at: BriefingId) -> Option<i16> {
        self.views.insert(archive, at);
        if let Some(cards) = self.cards.get_mut() {
            cards.insert(at, Value::from(()));
        }
        self.bodies.insert(at, None);
        self.recount_years(archive)
    }

    /// After a briefing went in or out: the calendar made again, and the
    /// years that have a page with it. Returns the year that came or went,
    /// if one did.
    fn recount_years(&mut self, archive: &Archive) -> Option<i16> {
        let before: BTreeSet<i16> = self.calendar.keys().copied().collect();
        self.calendar = calendar(archive);
        let after: BTreeSet<i16> = self.calendar.keys().copied().collect();
        let changed = before.symmetric_difference(&after).next().copied();
        if changed.is_some() {
            self.views.set_years(after);
        }
        changed
    }

    /// What was kept for briefing `at`, just taken out of `archive` by
    /// [`Archive::remove`], let go: everything kept by id after it moves up.
    fn take_room(&mut self, archive: &Archive, at: BriefingId) -> Option<i16> {
        self.views.remove(at);
        if let Some(cards) = self.cards.get_mut().filter(|cards| at < cards.len()) {
            cards.remove(at);
        }
        if at < self.bodies.len() {
            self.bodies.remove(at);
        }
        self.recount_years(archive)
    }

    /// After a change that added or removed pages (a briefing, a listing's
    /// last page): the sitemap's entries made again for the pages the site
    /// has now, each dated. Returns the site paths of the pages it listed
    /// that the site no longer has, and of split sitemap files it no longer
    /// needs.
    fn relist_sitemap(
        &mut self,
        config: &SiteConfig,
        archive: &Archive,
        templates: &Templates,
        highlighter: &Highlighter,
    ) -> Vec<String> {
        let entries = {
            let views = self.views(config, archive);
            PageRenderer::new(&views, templates, highlighter, self).sitemap_entries()
        };
        let Some(urls) = self.sitemap.get_mut() else {
            return Vec::new();
        };
        let old = std::mem::replace(urls, entries);
        let mut gone = sitemap::unlisted(&old, urls, &config.urls);
        gone.extend(sitemap::stale_parts(old.len(), urls.len()));
        gone
    }

    /// After terms of the `taxonomies` came or went while no briefing did:
    /// the sitemap's entries of those taxonomies' pages made again, where
    /// they lie in the list (every other page's entry stays: a sitemap
    /// remade whole took 11 ms at 10,000 briefings and 130 to 190 ms at
    /// 100,000). Returns the site paths of the pages it listed that the
    /// site no longer has, and of split sitemap files it no longer needs;
    /// `None` if an entry it looked for is not there (then
    /// [`Prepared::relist_sitemap`] makes them all again).
    fn relist_taxonomies(
        &mut self,
        config: &SiteConfig,
        archive: &Archive,
        templates: &Templates,
        highlighter: &Highlighter,
        taxonomies: &[usize],
    ) -> Option<Vec<String>> {
        let mut blocks: Vec<_> = {
            let views = self.views(config, archive);
            let renderer = PageRenderer::new(&views, templates, highlighter, self);
            let urls = self.sitemap.get()?;
            let block = |t| {
                Some((
                    renderer.taxonomy_block(urls, t)?,
                    renderer.taxonomy_entries(t),
                ))
            };
            taxonomies
                .iter()
                .map(|&t| block(t))
                .collect::<Option<_>>()?
        };
        let urls = self.sitemap.get_mut()?;
        let before = urls.len();
        let mut gone = Vec::new();
        // The last block first, so that each range still holds its place.
        blocks.sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
        for (range, entries) in blocks {
            let start = range.start;
            let count = entries.len();
            let old: Vec<_> = urls.splice(range, entries).collect();
            gone.extend(sitemap::unlisted(
                &old,
                &urls[start..start + count],
                &config.urls,
            ));
        }
        gone.extend(sitemap::stale_parts(before, urls.len()));
        Some(gone)
    }

    /// After a change of tags or of the `updated` date that added or
    /// removed no page: the sitemap's dates made again for the pages whose
    /// briefings may have changed (the pages of the terms that gained or
    /// lost the briefing and of their taxonomies; with a new `updated`,
    /// every page that shows it); when one moved, the sitemap's files join
    /// `derived`.
    fn redate_sitemap(
        &mut self,
        config: &SiteConfig,
        archive: &Archive,
        templates: &Templates,
        highlighter: &Highlighter,
        edit: &Edit,
        derived: &mut Vec<Job>,
    ) {
        let moved: Vec<(usize, Option<String>)> = {
            let views = self.views(config, archive);
            let renderer = PageRenderer::new(&views, templates, highlighter, self);
            let Some(urls) = self.sitemap.get() else {
                return;
            };
            let members = edit
                .retagged
                .as_ref()
                .map_or(&[][..], |r| r.members.as_slice());
            let showing: HashSet<Job> = if edit.redated {
                renderer.jobs_showing(edit.id, &[]).into_iter().collect()
            } else {
                HashSet::new()
            };
            let named = |t: usize| !archive.entries[edit.id].terms[t].is_empty();
            let touched = |job: &Job| match *job {
                Job::Term { taxonomy, term, .. } if members.contains(&(taxonomy, term)) => true,
                Job::Taxonomy(t) if members.iter().any(|&(mt, _)| mt == t) => true,
                Job::Taxonomy(t) => edit.redated && named(t),
                Job::Archive => edit.redated,
                _ => showing.contains(job),
            };
            renderer
                .jobs()
                .into_iter()
                .filter(Job::is_listed_page)
                .zip(urls)
                .enumerate()
                .filter(|(_, (job, _))| touched(job))
                .filter_map(|(i, (job, url))| {
                    let lastmod = renderer.lastmod(job).map(|d| d.w3c());
                    (lastmod != url.lastmod).then_some((i, lastmod))
                })
                .collect()
        };
        if moved.is_empty() {
            return;
        }
        if let Some(urls) = self.sitemap.get_mut() {
            for (i, lastmod) in moved {
                urls[i].lastmod = lastmod;
            }
        }
        let views = self.views(config, archive);
        derived.extend(PageRenderer::new(&views, templates, highlighter, self).sitemap_jobs());
    }
}

/// Renders `jobs` in parallel, keeping the pages in memory; every problem once.
fn render_all(
    renderer: &PageRenderer<'_>,
    jobs: &[Job],
) -> Result<Vec<RenderedPage>, Vec<Diagnostic>> {
    all_or_problems(jobs.par_iter().map(|&job| renderer.render(job)).collect())
}

/// The site path of each of `count` pages from `results` (a page's number
/// and what writing it gave, in any order), in the pages' order; or every
/// problem (each once) in that order, so that of two pages failing alike the
/// same one is reported every time.
fn in_order(
    results: Vec<(usize, Result<String, Diagnostic>)>,
    count: usize,
) -> Result<Vec<String>, Vec<Diagnostic>> {
    // Each path put back at its page's place in one pass, rather than the
    // results sorted and partitioned (100 ms on one thread at 100,000
    // briefings, with the other idle).
    let mut paths = vec![String::new(); count];
    let mut problems = Vec::new();
    for (i, written) in results {
        match written {
            Ok(path) => paths[i] = path,
            Err(problem) => problems.push((i, problem)),
        }
    }
    if problems.is_empty() {
        return Ok(paths);
    }
    problems.sort_by_key(|&(i, _)| i);
    Err(dedup(
        problems.into_iter().map(|(_, problem)| problem).collect(),
    ))
}

/// Every value, or every problem (each once) if there was any.
fn all_or_problems<T>(results: Vec<Result<T, Diagnostic>>) -> Result<Vec<T>, Vec<Diagnostic>> {
    if results.iter().all(Result::is_ok) {
        // One pass into a vector of the right size: at 100,000 briefings a
        // partition and two growing vectors cost 60 ms on one thread.
        let mut values = Vec::with_capacity(results.len());
        values.extend(results.into_iter().flatten());
        return Ok(values);
    }
    Err(dedup(results.into_iter().filter_map(Result::err).collect()))
}

/// Reads the cards a listing page is about to show, every cache line of
/// their HTML, before any is cloned. The cards lie scattered through hundreds
/// of MB: read in one pass, with nothing waiting on the card before, their
/// cache misses overlap, where the clones (an atomic increment each) and the
/// template's reads would each wait for the one before. At 100,000 briefings
/// a term page went from 48 to 41 µs.
fn read_ahead<'c>(cards: impl Iterator<Item = &'c Value>) {
    const CACHE_LINE: usize = 64;
    for card in cards {
        if let Some(html) = card.get_from_path("html").and_then(Value::as_str) {
            let bytes = html.as_bytes().iter().step_by(CACHE_LINE);
            std::hint::black_box(bytes.fold(0u8, |all, &byte| all ^ byte));
        }
    }
}

/// Every briefing's card as listings get it, serialized once, with its HTML
/// from `card.html` (rendered once per briefing, however many listings show it).
fn render_cards(
    views: &Views<'_>,
    templates: &Templates,
    site: &Value,
    ids: &[BriefingId],
    renders: &AtomicUsize,
) -> Result<Vec<Value>, Vec<Diagnostic>> {
    let with_html = templates.has(templates::CARD);
    let cards: Vec<Result<Value, Diagnostic>> = ids
        .par_iter()
        .map(|&id| {
            // Serialized once: `card.html` reads it, and it is kept with the
            // HTML added.
            let card = Value::from_serializable(&views.card(id));
            if !with_html {
                return Ok(card);
            }
            let mut context = Context::new();
            context.insert_value("site", site.clone());
            context.insert_value("item", card.clone());
            renders.fetch_add(1, Ordering::Relaxed);
            let html = templates
                .tera
                .render(templates::CARD, &context)
                .map_err(|e| {
                    let url = views
                        .urls
                        .path(&paths::briefing(views.briefing(id).slug.as_str()));
                    templates.diagnostic(&e, Some(&format!("the card of {url}")))
                })?;
            // The context's copy let go, the card's map is this one's alone
            // and `into_map` takes it without copying.
            drop(context);
            let mut fields = card.into_map().unwrap_or_default();
            fields.insert("html".into(), Value::from(html));
            Ok(Value::from(fields))
        })
        .collect();
    all_or_problems(cards)
}

/// `<a class="mention mention-people" href="…" title="role">` for every term.
fn mention_links(views: &Views<'_>) -> Vec<Vec<String>> {
    views
        .config
        .taxonomies
        .iter()
        .zip(&views.archive.taxonomies)
        .enumerate()
        .map(|(t, (config, taxonomy))| {
            let terms = taxonomy.terms.iter().enumerate();
            terms
                .map(|(i, term)| mention_link(config, views.term_url(t, i), term))
                .collect()
        })
        .collect()
}

/// `<a class="mention mention-people" href="…" title="role">` for `term`
/// of taxonomy `config`, whose page is at `url`.
fn mention_link(config: &TaxonomyConfig, url: &str, term: &Term) -> String {
    let attribute = |text: &str| {
        let mut out = String::with_capacity(text.len());
        let _ = pulldown_cmark_escape::escape_html(&mut out, text);
        out
    };
    let (class, url) = (attribute(&config.name), attribute(url));
    match term.profile.as_ref().and_then(|p| p.role.as_deref()) {
        Some(role) => format!(
            "<a class=\"mention mention-{class}\" href=\"{url}\" title=\"{}\">",
            attribute(role)
        ),
        None => format!("<a class=\"mention mention-{class}\" href=\"{url}\">"),
    }
}

/// One template error breaks every page that uses it: report it once.
fn dedup(problems: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut seen = HashSet::new();
    problems
        .into_iter()
        .filter(|d| {
            let message = d.message.split(" (while rendering").next().unwrap_or("");
            seen.insert((
                d.path.clone(),
                d.position.map(|p| (p.line, p.column)),
                message.to_string(),
            ))
        })
        .collect()
}

fn calendar(archive: &Archive) -> Calendar {
    let mut calendar = Calendar::new();
    for (id, entry) in archive.entries.iter().enumerate() {
        let date = entry.briefing.date;
        calendar
            .entry(date.year())
            .or_default()
            .entry(date.month())
            .or_default()
            .push(id);
    }
    calendar
}

struct PageRenderer<'a> {
    /// Every term's names and aliases, to link mentions (built once).
    matcher: &'a Matcher,
    /// The opening tag of each term's mention link: `[taxonomy][term]`.
    mention_links: &'a [Vec<String>],
    views: &'a Views<'a>,
    templates: &'a Templates,
    highlighter: &'a Highlighter,
    site: &'a Value,
    /// Each briefing's card, serialized once: see [`Prepared::cards`].
    cards: &'a OnceLock<Vec<Value>>,
    calendar: &'a Calendar,
    /// Page templates rendered so far.
    renders: AtomicUsize,
    /// The feeds' bodies: see [`Prepared`].
    bodies: &'a [Option<OnceLock<String>>],
    /// Every page of the first pass for the sitemap: see [`Prepared::sitemap`].
    sitemap: &'a OnceLock<Vec<sitemap::SitemapUrlView>>,
}

#[derive(Serialize)]
struct PaginatorView<'a> {
    items: Vec<Value>,
    #[serde(flatten)]
    pager: &'a Pager,
}

#[derive(Serialize)]
struct YearLink {
    year: i16,
    url: String,
    count: usize,
}

#[derive(Serialize)]
struct MonthView {
    name: &'static str,
    number: i8,
    id: String,
    count: usize,
    url: String,
    briefings: Vec<Value>,
}

#[derive(Serialize)]
struct YearView {
    year: i16,
    url: String,
    count: usize,
    months: Vec<MonthView>,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl<'a> PageRenderer<'a> {
    fn new(
        views: &'a Views<'a>,
        templates: &'a Templates,
        highlighter: &'a Highlighter,
        prepared: &'a Prepared,
    ) -> Self {
        PageRenderer {
            matcher: &prepared.matcher,
            mention_links: &prepared.mention_links,
            site: &prepared.site,
            calendar: &prepared.calendar,
            cards: &prepared.cards,
            bodies: &prepared.bodies,
            sitemap: &prepared.sitemap,
            views,
            templates,
            highlighter,
            renders: AtomicUsize::new(0),
        }
    }

    /// Every briefing's card, by id.
    ///
    /// # Panics
    /// Before [`render_site`] or [`rerender_briefing`] has made the cards:
    /// only the briefing pages, which come first, may render before them.
    fn cards(&self) -> &'a [Value] {
        self.cards
            .get()
            .expect("the cards are made before any page that shows them")
    }

    fn stats(&self, jobs: &[Job], card_renders: usize) -> RenderStats {
        let count = |f: fn(&Job) -> bool| jobs.iter().filter(|j| f(j)).count();
        RenderStats {
            pages: jobs.len(),
            briefing_pages: count(|j| matches!(j, Job::Briefing(_))),
            term_pages: count(|j| matches!(j, Job::Term { .. })),
            template_renders: self.renders.load(Ordering::Relaxed),
            card_renders,
            ..RenderStats::default()
        }
    }

    /// The feeds that carry briefing `id`: the site's and its terms', where
    /// it is among the newest `feed_limit`.
    fn feeds_showing(&self, id: BriefingId) -> Vec<Job> {
        let archive = self.views.archive;
        let config = self.views.config;
        let limit = config.feed_limit;
        let mut feeds = Vec::new();
        if id < limit {
            feeds.push(Job::Feed(None));
        }
        if !config.term_feeds.made() {
            return feeds;
        }
        for (t, terms) in archive.entries[id].terms.iter().enumerate() {
            for &term in terms {
                let briefings = &archive.taxonomies[t].terms[term].briefings;
                if briefings.iter().take(limit).any(|&b| b == id) {
                    feeds.push(Job::Feed(Some((t, term))));
                }
            }
        }
        feeds
    }

    /// The pages that show briefing `id`, its title or its card: its own
    /// page, its neighbours', those of the briefings `related_by` (which list
    /// it as related), and the page of each listing it is on
    /// ([`PageRenderer::listings_showing`]).
    fn jobs_showing(&self, id: BriefingId, related_by: &[BriefingId]) -> Vec<Job> {
        let archive = self.views.archive;
        let mut jobs = vec![Job::Briefing(id)];
        if let Some(newer) = id.checked_sub(1) {
            jobs.push(Job::Briefing(newer));
        }
        if id + 1 < archive.entries.len() {
            jobs.push(Job::Briefing(id + 1));
        }
        jobs.extend(
            related_by
                .iter()
                .filter(|other| other.abs_diff(id) > 1)
                .map(|&other| Job::Briefing(other)),
        );
        jobs.extend(self.listings_showing(id));
        jobs
    }

    /// The page of each listing briefing `id`'s card is on: home, its
    /// terms', its year's.
    fn listings_showing(&self, id: BriefingId) -> Vec<Job> {
        let archive = self.views.archive;
        let per_page = self.views.config.paginate.max(1);
        let mut jobs = vec![Job::Home {
            page: id / per_page + 1,
        }];
        for (t, terms) in archive.entries[id].terms.iter().enumerate() {
            for &term in terms {
                let at = archive.taxonomies[t].terms[term]
                    .briefings
                    .iter()
                    .position(|&b| b == id);
                if let Some(at) = at {
                    jobs.push(Job::Term {
                        taxonomy: t,
                        term,
                        page: at / per_page + 1,
                    });
                }
            }
        }
        jobs.push(Job::Year(archive.entries[id].briefing.date.year()));
        jobs
    }

    /// After a briefing went in or out: every home page (their items moved
    /// by one), the archive page and every year's page (its list of years
    /// counts them).
    fn jobs_renumbered(&self) -> Vec<Job> {
        let pages = page_count(self.views.archive.entries.len(), self.views.config.paginate);
        let homes = (1..=pages).map(|page| Job::Home { page });
        let years = self.calendar.keys().map(|&year| Job::Year(year));
        homes.chain([Job::Archive]).chain(years).collect()
    }

    /// What shows that terms came, went or were respelled (`terms`): the
    /// taxonomy pages and the briefings whose text names them
    /// ([`TermsChanged::jobs`]), the feeds carrying those, what shows each
    /// term respelled ([`PageRenderer::jobs_respelled`]), and the pages
    /// and feeds of the terms gone, to remove.
    fn for_terms(&self, terms: &TermsChanged) -> Rendered {
        let mut jobs: Vec<Job> = terms.jobs().collect();
        let mut derived: Vec<Job> = (terms.naming.iter())
            .flat_map(|&id| self.feeds_showing(id))
            .collect();
        for &key in &terms.respelled {
            let (pages, feeds) = self.jobs_respelled(key);
            jobs.extend(pages);
            derived.extend(feeds);
        }
        Rendered {
            jobs,
            derived,
            gone: terms.gone.clone(),
        }
    }

    /// After term `key`'s name was spelled otherwise: the pages that name
    /// it (its own, its taxonomy's, its briefings' and every listing page
    /// of their cards, the pages of the terms it appears with), and the
    /// feeds (its own, those that carry its briefings).
    fn jobs_respelled(&self, key: TermRef) -> (Vec<Job>, Vec<Job>) {
        let briefings = &self.views.term(key.0, key.1).briefings;
        let mut jobs: Vec<Job> = self.term_pages(key).collect();
        jobs.push(Job::Taxonomy(key.0));
        jobs.extend(self.terms_appearing_with(key));
        let mut derived: Vec<Job> = self.term_feed(key).into_iter().collect();
        for &id in briefings {
            jobs.push(Job::Briefing(id));
            jobs.extend(self.listings_showing(id));
            derived.extend(self.feeds_showing(id));
        }
        (jobs, derived)
    }

    /// Every page of each term that lists term `key` among those appearing
    /// with it.
    fn terms_appearing_with(&self, key: TermRef) -> Vec<Job> {
        let taxonomies = self.views.archive.taxonomies.iter().enumerate();
        let holders = taxonomies.flat_map(|(t, taxonomy)| {
            let terms = taxonomy.terms.iter().enumerate();
            terms
                .filter(move |(_, term)| {
                    (term.appears_with.iter()).any(|&(ot, oi, _)| (ot, oi) == key)
                })
                .map(move |(i, _)| (t, i))
        });
        holders.flat_map(|holder| self.term_pages(holder)).collect()
    }

    /// After `year` got its first briefing or lost its last: every page of
    /// each term whose timeline spans it (each year of a timeline links to
    /// its archive page, if it has one).
    fn terms_spanning(&self, year: i16) -> Vec<Job> {
        let taxonomies = self.views.archive.taxonomies.iter().enumerate();
        let spanning = taxonomies.flat_map(|(t, taxonomy)| {
            let terms = taxonomy.terms.iter().enumerate();
            terms
                .filter(
                    move |(_, term)| match (term.timeline.first(), term.timeline.last()) {
                        (Some(&(first, _)), Some(&(last, _))) => first <= year && year <= last,
                        _ => false,
                    },
                )
                .map(move |(i, _)| (t, i))
        });
        spanning.flat_map(|key| self.term_pages(key)).collect()
    }

    /// After a change of tags: the briefings whose related list changed,
    /// the pages of the taxonomies whose terms gained or lost a briefing
    /// (their counts), and every page of each term whose briefings,
    /// co-occurring terms or timeline changed.
    fn jobs_retagged(&self, retagged: &Retagged) -> Vec<Job> {
        let mut jobs: Vec<Job> = retagged.related.iter().map(|&b| Job::Briefing(b)).collect();
        jobs.extend(retagged.members.iter().map(|&(t, _)| Job::Taxonomy(t)));
        for &term in retagged.members.iter().chain(&retagged.profiles) {
            jobs.extend(self.term_pages(term));
        }
        jobs
    }

    /// Every page of term `key`'s listing (at least one).
    fn term_pages(&self, key: TermRef) -> impl Iterator<Item = Job> {
        let (taxonomy, term) = key;
        let count = self.views.term(taxonomy, term).briefings.len();
        (1..=page_count(count, self.views.config.paginate)).map(move |page| Job::Term {
            taxonomy,
            term,
            page,
        })
    }

    /// Term `key`'s feed, when term feeds are made and it has briefings.
    fn term_feed(&self, key: TermRef) -> Option<Job> {
        let made = self.views.config.term_feeds.made();
        (made && !self.views.term(key.0, key.1).briefings.is_empty())
            .then_some(Job::Feed(Some(key)))
    }

    fn jobs(&self) -> Vec<Job> {
        let archive = self.views.archive;
        let per_page = self.views.config.paginate;
        let mut jobs = Vec::new();
        jobs.extend(
            (1..=page_count(archive.entries.len(), per_page)).map(|page| Job::Home { page }),
        );
        jobs.extend((0..archive.entries.len()).map(Job::Briefing));
        for (t, taxonomy) in archive.taxonomies.iter().enumerate() {
            jobs.push(Job::Taxonomy(t));
            for term in 0..taxonomy.terms.len() {
                jobs.extend(self.term_pages((t, term)));
            }
        }
        jobs.push(Job::Archive);
        jobs.extend(self.calendar.keys().rev().map(|&y| Job::Year(y)));
        if self.views.config.search {
            jobs.push(Job::Search);
        }
        jobs.push(Job::NotFound);
        jobs
    }

    /// The site path of page `job` (`None` for a feed or a sitemap file):
    /// where its renderer below writes it and what the sitemap lists.
    fn page_path(&self, job: Job) -> Option<String> {
        let views = self.views;
        Some(match job {
            Job::Home { page } => page_path("", page),
            Job::Briefing(id) => paths::briefing(views.briefing(id).slug.as_str()),
            Job::Taxonomy(t) => paths::taxonomy(&views.config.taxonomies[t].name),
            Job::Term {
                taxonomy,
                term,
                page,
            } => page_path(
                &paths::term(
                    &views.config.taxonomies[taxonomy].name,
                    views.term(taxonomy, term).slug.as_str(),
                ),
                page,
            ),
            Job::Archive => paths::ARCHIVE.to_string(),
            Job::Year(year) => paths::archive_year(year),
            Job::Search => paths::SEARCH.to_string(),
            Job::NotFound => "404.html".to_string(),
            Job::Feed(_) | Job::Sitemap { .. } | Job::SitemapIndex { .. } => return None,
        })
    }

    /// [`PageRenderer::page_path`] of a page job.
    fn path_of(&self, job: Job) -> String {
        self.page_path(job).unwrap_or_default()
    }

    fn context(&self, page: views::PageView) -> Context {
        let mut context = Context::new();
        context.insert_value("site", self.site.clone());
        context.insert("page", &page);
        context
    }

    /// Renders `jobs` in parallel into `sink`: the site path of each page
    /// written, in the order of `jobs`, or every problem (each once). Pages
    /// are rendered into a buffer reused page after page (one per rayon
    /// work split), never a fresh `String` each.
    ///
    /// The largest jobs (year pages, sitemap parts: megabytes each at
    /// 100,000 briefings) are started first, so that no thread is left with
    /// one at the end while the other waits.
    fn run(&self, jobs: &[Job], sink: &dyn PageSink) -> Result<Vec<String>, Vec<Diagnostic>> {
        let mut order: Vec<usize> = (0..jobs.len()).collect();
        order.sort_by_key(|&i| !jobs[i].is_large());
        let results = order
            .par_iter()
            .map_init(Scratch::default, |scratch, &i| {
                (
                    i,
                    self.write_page(sink, scratch, |s| self.render_into(jobs[i], s)),
                )
            })
            .collect();
        in_order(results, jobs.len())
    }

    /// Renders the page of every briefing into `sink`, each from its source
    /// text in `texts` (by id), which is dropped as soon as the page is
    /// made: the site path of each page by id, or every problem (each once).
    fn run_briefings(
        &self,
        texts: Vec<SharedText>,
        sink: &dyn PageSink,
    ) -> Result<Vec<String>, Vec<Diagnostic>> {
        let count = texts.len();
        let results = texts
            .into_par_iter()
            .enumerate()
            .map_init(Scratch::default, |scratch, (id, text)| {
                let markdown = text.get(self.views.briefing(id).body.offset..);
                let page = |s: &mut Scratch| {
                    let (template, path, context) = self.briefing(id, markdown.unwrap_or(""));
                    self.render_page(template, path, &context, s)
                };
                let mut unwritten = Unwritten {
                    renderer: self,
                    sink,
                    id,
                    written: false,
                };
                let result = self.write_page(sink, scratch, page);
                unwritten.written = result.is_ok();
                (id, result)
            })
            .collect();
        in_order(results, count)
    }

    /// Renders one page with `render` into `scratch`'s buffer and hands it
    /// to `sink`: the page's site path.
    fn write_page(
        &self,
        sink: &dyn PageSink,
        scratch: &mut Scratch,
        render: impl FnOnce(&mut Scratch) -> Result<PageFile, Diagnostic>,
    ) -> Result<String, Diagnostic> {
        scratch.buffer.clear();
        let page = render(scratch)?;
        sink.write(&page.file, &scratch.buffer)?;
        Ok(page.path)
    }

    /// The jobs of the second pass: feeds and the sitemap.
    fn derived_jobs(&self) -> Vec<Job> {
        let archive = self.views.archive;
        let mut jobs = Vec::new();
        if !archive.entries.is_empty() {
            jobs.push(Job::Feed(None));
        }
        for (t, taxonomy) in archive.taxonomies.iter().enumerate() {
            jobs.extend((0..taxonomy.terms.len()).filter_map(|term| self.term_feed((t, term))));
        }
        jobs.extend(self.sitemap_jobs());
        jobs
    }

    /// Renders one page into memory.
    fn render(&self, job: Job) -> Result<RenderedPage, Diagnostic> {
        let mut scratch = Scratch::default();
        let PageFile { file, .. } = self.render_into(job, &mut scratch)?;
        Ok(RenderedPage {
            file,
            text: scratch.buffer,
        })
    }

    /// Renders one page at the end of `scratch.buffer`: where it goes.
    fn render_into(&self, job: Job, scratch: &mut Scratch) -> Result<PageFile, Diagnostic> {
        let (template, path, context) = match job {
            Job::Home { page } => self.home(page),
            Job::Briefing(id) => self.briefing(id, self.views.briefing(id).markdown()),
            Job::Taxonomy(t) => self.taxonomy(t),
            Job::Term {
                taxonomy,
                term,
                page,
            } => self.term((taxonomy, term), page, &mut scratch.term),
            Job::Archive => self.archive(),
            Job::Year(year) => self.year(year),
            Job::Search => self.search(),
            Job::NotFound => ("404.html", self.path_of(job), {
                let page = self
                    .views
                    .page("404", "Page not found".into(), "404.html", None);
                self.context(page)
            }),
            Job::Feed(term) => self.feed(term),
            Job::Sitemap { part } => self.sitemap(part),
            Job::SitemapIndex { parts } => self.sitemap_index(parts),
        };
        self.render_page(template, path, &context, scratch)
    }

    /// Renders `template` with `context` at the end of `scratch.buffer`: the
    /// page at site path `path`.
    fn render_page(
        &self,
        template: &str,
        path: String,
        context: &Context,
        scratch: &mut Scratch,
    ) -> Result<PageFile, Diagnostic> {
        let file = if path.is_empty() || path.ends_with('/') {
            format!("{path}index.html")
        } else {
            path.clone()
        };
        self.renders.fetch_add(1, Ordering::Relaxed);
        match self
            .templates
            .tera
            .render_to(template, context, &mut scratch.buffer)
        {
            Ok(()) => Ok(PageFile { path, file }),
            Err(e) => {
                let url = self.views.urls.path(&path);
                Err(self.templates.diagnostic(&e, Some(&url)))
            }
        }
    }

    /// Page `page` of a listing of `total` briefings, the `i`th being `id_at(i)`.
    fn paginator(
        &self,
        base: &str,
        page: usize,
        total: usize,
        id_at: impl Fn(usize) -> BriefingId,
    ) -> Value {
        let per_page = self.views.config.paginate;
        let pager = Pager::new(self.views.urls, base, page, total, per_page);
        let cards = self.cards();
        read_ahead(pager.range(per_page).map(|i| &cards[id_at(i)]));
        let items = pager
            .range(per_page)
            .map(|i| cards[id_at(i)].clone())
            .collect();
        Value::from_serializable(&PaginatorView {
            items,
            pager: &pager,
        })
    }

    fn home(&self, page: usize) -> (&'static str, String, Context) {
        let path = self.path_of(Job::Home { page });
        let title = if page == 1 {
            self.views.config.title.clone()
        } else {
            format!("Latest briefings, page {page}")
        };
        let mut context = self.context(self.views.page("home", title, &path, None));
        let total = self.views.archive.entries.len();
        context.insert_value("paginator", self.paginator("", page, total, |i| i));
        ("index.html", path, context)
    }

    /// The page of briefing `id`, whose body is `markdown`.
    fn briefing(&self, id: BriefingId, markdown: &str) -> (&'static str, String, Context) {
        let views = self.views;
        let briefing = views.briefing(id);
        let path = self.path_of(Job::Briefing(id));
        let mut context =
            self.context(views.page("briefing", briefing.title.clone(), &path, views.summary(id)));
        let allowed = match views.config.mention_scope {
            MentionScope::Tagged => Some(views.archive.entries[id].terms.as_slice()),
            MentionScope::All => None,
        };
        let mut linker = Linker::new(
            self.matcher,
            self.mention_links,
            allowed,
            views.config.mentions,
        );
        let body = markdown::render_among(
            markdown,
            self.highlighter,
            Some(&mut linker),
            self.templates.ids(),
        );
        context.insert("briefing", &views.briefing_view(id, &body));
        if let Some(slot) = &self.bodies[id] {
            // A feed shows this briefing: keep its body for the second pass.
            let _ = slot.set(body.html);
        }
        // Newest first: the previous (older) briefing has the next id.
        let older = (id + 1 < views.archive.entries.len()).then(|| views.link(id + 1, None));
        let newer = id.checked_sub(1).map(|n| views.link(n, None));
        context.insert("previous", &older);
        context.insert("next", &newer);
        let related: Vec<_> = views.archive.entries[id]
            .related
            .iter()
            .map(|&(other, shared)| views.link(other, Some(shared)))
            .collect();
        context.insert("related", &related);
        ("briefing.html", path, context)
    }

    fn taxonomy(&self, t: usize) -> (&'static str, String, Context) {
        let config = &self.views.config.taxonomies[t];
        let path = self.path_of(Job::Taxonomy(t));
        let mut context =
            self.context(
                self.views
                    .page("taxonomy", config.title.clone(), &path, None),
            );
        context.insert("taxonomy", &self.taxonomy_view(t));
        context.insert("letters", &self.views.letters(t));
        ("taxonomy.html", path, context)
    }

    fn taxonomy_view(&self, t: usize) -> views::TaxonomyView<'_> {
        let config = &self.views.config.taxonomies[t];
        views::TaxonomyView {
            name: &config.name,
            title: &config.title,
            url: self.views.urls.path(&paths::taxonomy(&config.name)),
            term_count: self.views.archive.taxonomies[t].terms.len(),
        }
    }

    /// Page `page` of term `key`, its view shared with the term's other
    /// pages through `last`.
    fn term(
        &self,
        key: TermRef,
        page: usize,
        last: &mut LastTermView,
    ) -> (&'static str, String, Context) {
        let views = self.views;
        let (t, term_id) = key;
        let term = views.term(t, term_id);
        let at = |page| Job::Term {
            taxonomy: t,
            term: term_id,
            page,
        };
        // Page 1 is at the listing's own path.
        let (base, path) = (self.path_of(at(1)), self.path_of(at(page)));
        let title = if page == 1 {
            term.name.clone()
        } else {
            format!("{}, page {page}", term.name)
        };
        let summary = term.profile.as_ref().and_then(|p| p.summary.as_deref());
        let mut context = self.context(views.page("term", title, &path, summary));
        let view = last.get_or_make(key, || Value::from_serializable(&views.term_view(t, term)));
        // The profile shows on the first page only, so it is rendered once.
        let profile_html = (page == 1)
            .then_some(term.profile.as_ref())
            .flatten()
            .map(|p| {
                markdown::render_among(p.markdown(), self.highlighter, None, self.templates.ids())
                    .html
            });
        let view = match profile_html {
            Some(html) => {
                let mut fields = view.into_map().unwrap_or_default();
                fields.insert("profile".into(), Value::from(html));
                Value::from(fields)
            }
            None => view,
        };
        context.insert("taxonomy", &self.taxonomy_view(t));
        context.insert_value("term", view);
        context.insert_value(
            "paginator",
            self.paginator(&base, page, term.briefings.len(), |i| term.briefings[i]),
        );
        ("term.html", path, context)
    }

    fn year_links(&self) -> Vec<YearLink> {
        self.calendar
            .iter()
            .rev()
            .map(|(&year, months)| YearLink {
                year,
                url: self.views.urls.path(&paths::archive_year(year)),
                count: months.values().map(Vec::len).sum(),
            })
            .collect()
    }

    fn year_view(&self, year: i16, with_briefings: bool) -> YearView {
        let months = &self.calendar[&year];
        let url = self.views.urls.path(&paths::archive_year(year));
        YearView {
            year,
            count: months.values().map(Vec::len).sum(),
            months: months
                .iter()
                .rev()
                .map(|(&number, ids)| MonthView {
                    name: MONTHS[(number as usize).saturating_sub(1) % 12],
                    number,
                    id: format!("m{number:02}"),
                    count: ids.len(),
                    url: format!("{url}#m{number:02}"),
                    briefings: if with_briefings {
                        ids.iter().map(|&id| self.cards()[id].clone()).collect()
                    } else {
                        Vec::new()
                    },
                })
                .collect(),
            url,
        }
    }

    fn archive(&self) -> (&'static str, String, Context) {
        let path = self.path_of(Job::Archive);
        let mut context = self.context(self.views.page("archive", "Archive".into(), &path, None));
        let years: Vec<YearView> = self
            .calendar
            .keys()
            .rev()
            .map(|&year| self.year_view(year, false))
            .collect();
        context.insert("years", &years);
        ("archive.html", path, context)
    }

    fn search(&self) -> (&'static str, String, Context) {
        let path = self.path_of(Job::Search);
        let mut context = self.context(self.views.page("search", "Search".into(), &path, None));
        context.insert("search", &self.views.search());
        (templates::SEARCH, path, context)
    }

    fn year(&self, year: i16) -> (&'static str, String, Context) {
        let path = self.path_of(Job::Year(year));
        let mut context = self.context(self.views.page(
            "archive_year",
            format!("Briefings of {year}"),
            &path,
            None,
        ));
        context.insert("year", &self.year_view(year, true));
        context.insert("years", &self.year_links());
        ("archive_year.html", path, context)
    }
}
