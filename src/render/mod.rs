//! Rendering: every page through its Tera template, in parallel, each page
//! handed to the output as soon as it is made. A briefing's Markdown is
//! rendered with its page and dropped with it, so memory holds sources and
//! small cards, never the whole rendered site.
//!
//! Each page's context holds only what that page shows: a listing page gets
//! its own page of cards (pre-serialized once per briefing and shared), never
//! the whole archive, so the cost of a build is linear in its pages.

mod paginate;
pub mod templates;
pub mod views;

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Value};

use crate::config::SiteConfig;
use crate::diag::Diagnostic;
use crate::highlight::Highlighter;
use crate::index::{Archive, BriefingId};
use crate::markdown;
use crate::mentions::{Linker, Matcher, MentionScope};
use paginate::{Pager, page_count, page_path};
use templates::Templates;
use views::{Views, paths};

pub use paginate::page_count as pages_for;

/// Where rendered pages go: a site path (`briefings/rome/index.html`) and its bytes.
pub trait PageSink: Sync {
    fn write(&self, path: &str, contents: &[u8]) -> Result<(), Diagnostic>;
}

/// What was rendered, for the closing line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RenderStats {
    pub pages: usize,
    pub briefing_pages: usize,
    pub term_pages: usize,
    /// How many times a page template was rendered (one per page).
    pub template_renders: usize,
    /// Cards rendered by `card.html` (one per briefing).
    pub card_renders: usize,
}

/// One page to make.
#[derive(Debug, Clone, Copy)]
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
}

/// Briefings by year, then month, newest first inside each.
type Calendar = BTreeMap<i16, BTreeMap<i8, Vec<BriefingId>>>;

/// Renders every page of the site into `sink`.
pub fn render_site(
    config: &SiteConfig,
    archive: &Archive,
    templates: &Templates,
    highlighter: &Highlighter,
    sink: &dyn PageSink,
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
    let views = Views::new(config, archive);
    let site = Value::from_serializable(&views.site());
    let renders = AtomicUsize::new(0);
    let cards = render_cards(&views, templates, &site, &renders)?;
    let card_renders = renders.swap(0, Ordering::Relaxed);
    let calendar = calendar(archive);
    let renderer = PageRenderer {
        matcher: Matcher::new(archive),
        mention_links: mention_links(&views),
        views: &views,
        templates,
        highlighter,
        site,
        cards,
        calendar,
        renders,
    };
    let jobs = renderer.jobs();
    let problems = Mutex::new(Vec::new());
    jobs.par_iter().for_each(|&job| {
        let result = renderer
            .render(job)
            .and_then(|(path, html)| sink.write(&path, html.as_bytes()));
        if let Err(d) = result {
            problems.lock().unwrap_or_else(|e| e.into_inner()).push(d);
        }
    });
    let problems = dedup(problems.into_inner().unwrap_or_else(|e| e.into_inner()));
    if !problems.is_empty() {
        return Err(problems);
    }
    let count = |f: fn(&Job) -> bool| jobs.iter().filter(|j| f(j)).count();
    Ok(RenderStats {
        pages: jobs.len(),
        briefing_pages: count(|j| matches!(j, Job::Briefing(_))),
        term_pages: count(|j| matches!(j, Job::Term { .. })),
        template_renders: renderer.renders.load(Ordering::Relaxed),
        card_renders,
    })
}

/// Every briefing's card as listings get it, serialized once, with its HTML
/// from `card.html` (rendered once per briefing, however many listings show it).
fn render_cards(
    views: &Views<'_>,
    templates: &Templates,
    site: &Value,
    renders: &AtomicUsize,
) -> Result<Vec<Value>, Vec<Diagnostic>> {
    let with_html = templates.has(templates::CARD);
    let cards: Vec<Result<Value, Diagnostic>> = (0..views.archive.entries.len())
        .into_par_iter()
        .map(|id| {
            let mut card = views.card(id);
            if with_html {
                let mut context = Context::new();
                context.insert_value("site", site.clone());
                context.insert("item", &card);
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
                card.html = Some(html);
            }
            Ok(Value::from_serializable(&card))
        })
        .collect();
    let (cards, problems): (Vec<_>, Vec<_>) = cards.into_iter().partition(Result::is_ok);
    if problems.is_empty() {
        Ok(cards.into_iter().flatten().collect())
    } else {
        Err(dedup(
            problems.into_iter().filter_map(Result::err).collect(),
        ))
    }
}

/// `<a class="mention mention-people" href="…" title="role">` for every term.
fn mention_links(views: &Views<'_>) -> Vec<Vec<String>> {
    let attribute = |text: &str| {
        let mut out = String::with_capacity(text.len());
        let _ = pulldown_cmark_escape::escape_html(&mut out, text);
        out
    };
    views
        .config
        .taxonomies
        .iter()
        .zip(&views.archive.taxonomies)
        .enumerate()
        .map(|(t, (config, taxonomy))| {
            let class = attribute(&config.name);
            taxonomy
                .terms
                .iter()
                .enumerate()
                .map(|(i, term)| {
                    let url = attribute(views.term_url(t, i));
                    match term.profile.as_ref().and_then(|p| p.role.as_deref()) {
                        Some(role) => format!(
                            "<a class=\"mention mention-{class}\" href=\"{url}\" title=\"{}\">",
                            attribute(role)
                        ),
                        None => format!("<a class=\"mention mention-{class}\" href=\"{url}\">"),
                    }
                })
                .collect()
        })
        .collect()
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
    matcher: Matcher,
    /// The opening tag of each term's mention link: `[taxonomy][term]`.
    mention_links: Vec<Vec<String>>,
    views: &'a Views<'a>,
    templates: &'a Templates,
    highlighter: &'a Highlighter,
    site: Value,
    /// Each briefing's card, serialized once.
    cards: Vec<Value>,
    calendar: Calendar,
    /// Page templates rendered so far.
    renders: AtomicUsize,
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

impl PageRenderer<'_> {
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
            for (term, entry) in taxonomy.terms.iter().enumerate() {
                jobs.extend(
                    (1..=page_count(entry.briefings.len(), per_page)).map(|page| Job::Term {
                        taxonomy: t,
                        term,
                        page,
                    }),
                );
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

    fn context(&self, page: views::PageView) -> Context {
        let mut context = Context::new();
        context.insert_value("site", self.site.clone());
        context.insert("page", &page);
        context
    }

    /// Renders one page: its output path and HTML.
    fn render(&self, job: Job) -> Result<(String, String), Diagnostic> {
        let (template, path, context) = match job {
            Job::Home { page } => self.home(page),
            Job::Briefing(id) => self.briefing(id),
            Job::Taxonomy(t) => self.taxonomy(t),
            Job::Term {
                taxonomy,
                term,
                page,
            } => self.term(taxonomy, term, page),
            Job::Archive => self.archive(),
            Job::Year(year) => self.year(year),
            Job::Search => self.search(),
            Job::NotFound => ("404.html", "404.html".to_string(), {
                let page = self
                    .views
                    .page("404", "Page not found".into(), "404.html", None);
                self.context(page)
            }),
        };
        let file = if path.is_empty() || path.ends_with('/') {
            format!("{path}index.html")
        } else {
            path.clone()
        };
        let url = self.views.urls.path(&path);
        self.renders.fetch_add(1, Ordering::Relaxed);
        self.templates
            .tera
            .render(template, &context)
            .map(|html| (file, html))
            .map_err(|e| self.templates.diagnostic(&e, Some(&url)))
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
        let items = pager
            .range(per_page)
            .map(|i| self.cards[id_at(i)].clone())
            .collect();
        Value::from_serializable(&PaginatorView {
            items,
            pager: &pager,
        })
    }

    fn home(&self, page: usize) -> (&'static str, String, Context) {
        let path = page_path("", page);
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

    fn briefing(&self, id: BriefingId) -> (&'static str, String, Context) {
        let views = self.views;
        let briefing = views.briefing(id);
        let path = paths::briefing(briefing.slug.as_str());
        let mut context =
            self.context(views.page("briefing", briefing.title.clone(), &path, views.summary(id)));
        let allowed = match views.config.mention_scope {
            MentionScope::Tagged => Some(views.archive.entries[id].terms.as_slice()),
            MentionScope::All => None,
        };
        let mut linker = Linker::new(
            &self.matcher,
            &self.mention_links,
            allowed,
            views.config.mentions,
        );
        let body = markdown::render(briefing.markdown(), self.highlighter, Some(&mut linker));
        context.insert("briefing", &views.briefing_view(id, &body));
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
        let path = paths::taxonomy(&config.name);
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

    fn term(&self, t: usize, term_id: usize, page: usize) -> (&'static str, String, Context) {
        let views = self.views;
        let term = views.term(t, term_id);
        let base = paths::term(&views.config.taxonomies[t].name, term.slug.as_str());
        let path = page_path(&base, page);
        let title = if page == 1 {
            term.name.clone()
        } else {
            format!("{}, page {page}", term.name)
        };
        let summary = term.profile.as_ref().and_then(|p| p.summary.as_deref());
        let mut context = self.context(views.page("term", title, &path, summary));
        // The profile shows on the first page only, so it is rendered once.
        let profile_html = (page == 1)
            .then_some(term.profile.as_ref())
            .flatten()
            .map(|p| markdown::render(p.markdown(), self.highlighter, None).html);
        context.insert("taxonomy", &self.taxonomy_view(t));
        context.insert("term", &views.term_view(t, term, profile_html.as_deref()));
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
                        ids.iter().map(|&id| self.cards[id].clone()).collect()
                    } else {
                        Vec::new()
                    },
                })
                .collect(),
            url,
        }
    }

    fn archive(&self) -> (&'static str, String, Context) {
        let path = paths::ARCHIVE.to_string();
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
        let path = paths::SEARCH.to_string();
        let mut context = self.context(self.views.page("search", "Search".into(), &path, None));
        context.insert("search", &self.views.search());
        (templates::SEARCH, path, context)
    }

    fn year(&self, year: i16) -> (&'static str, String, Context) {
        let path = paths::archive_year(year);
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
