//! Building the same site again and again, as `serve` does: a [`Session`]
//! keeps what the last good build worked out, so an edit to one briefing
//! re-renders only the pages that show it.
//!
//! The fast path takes an edit that leaves a briefing's slug, date and
//! draft flag as they were: the archive's order, every briefing's
//! neighbours and the set of pages cannot have changed, so the briefing is
//! swapped into the archive and [`render::rerender_briefing`] rewrites its
//! page, the pages that link to it and the listing pages that show its card,
//! in place. If its tags changed too, among terms the archive already has
//! (`Built::retag` says when), [`crate::index::Archive::retag`] first
//! works out what that moved in the index (the terms' lists, the related
//! briefings, the co-occurring terms and timelines), and the renderer
//! rewrites those pages as well. Anything else (a new or deleted file, a
//! changed date or slug, a new term, a profile, a template, the config,
//! static files) is a full build into staging with the atomic swap, exactly
//! as `dossier build` does. After a failed build the next one is full too,
//! so no problem can hide behind a fast path.
//!
//! The search index is the one thing the fast path leaves behind: Pagefind
//! builds its index from every page at once, which takes seconds on a large
//! archive, so an in-place edit keeps the index of the last full build
//! (search finds the briefing under its old words and tags) until the next
//! full one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use crate::config::{BuildOptions, SiteConfig};
use crate::diag::Diagnostics;
use crate::highlight::Highlighter;
use crate::index::{Archive, BriefingId};
use crate::mentions::TermLookup;
use crate::model::Briefing;
use crate::output::InPlace;
use crate::render::{self, Edit, Prepared, templates::Templates};
use crate::{BuildReport, Stopwatch, front_matter, source};

/// What a successful full build leaves for the next rebuild.
pub struct Built {
    config: SiteConfig,
    templates: Templates,
    archive: Archive,
    highlighter: Highlighter,
    prepared: Prepared,
    /// Each briefing's id by its path relative to the site root.
    by_path: HashMap<PathBuf, BriefingId>,
    /// The terms by name and alias, made on the first change of tags.
    lookup: OnceLock<TermLookup>,
}

impl Built {
    pub(crate) fn new(
        config: SiteConfig,
        templates: Templates,
        archive: Archive,
        highlighter: Highlighter,
        prepared: Prepared,
    ) -> Built {
        let by_path = archive
            .entries
            .iter()
            .enumerate()
            .map(|(id, entry)| (entry.briefing.file.path.clone(), id))
            .collect();
        Built {
            config,
            templates,
            archive,
            highlighter,
            prepared,
            by_path,
            lookup: OnceLock::new(),
        }
    }

    /// The terms `briefing` (an edit of briefing `id`) names, when they can
    /// replace its terms in place: each name is a term the archive has,
    /// every term keeps at least one briefing and its number of pages (a
    /// term appearing or going, or a page more or less, is a full build),
    /// and every term keeps its name ([`Built::keeps_name`]).
    fn retag(&self, id: BriefingId, briefing: &Briefing) -> Option<Vec<Vec<usize>>> {
        let lookup = self.lookup.get_or_init(|| TermLookup::new(&self.archive));
        let per_page = self.config.paginate;
        let old = &self.archive.entries[id].terms;
        let mut terms = Vec::with_capacity(old.len());
        for (t, before) in old.iter().enumerate() {
            let names = briefing.tags.get(t).map(Vec::as_slice).unwrap_or(&[]);
            let mut after: Vec<usize> = Vec::with_capacity(names.len());
            for name in names {
                let term = lookup.resolve(t, name)?;
                if !after.contains(&term) {
                    after.push(term);
                }
            }
            let moved = before.iter().filter(|term| !after.contains(term));
            let added = after.iter().filter(|term| !before.contains(term));
            for (&term, gained) in moved
                .map(|term| (term, false))
                .chain(added.map(|t| (t, true)))
            {
                let count = self.archive.taxonomies[t].terms[term].briefings.len();
                let now = if gained { count + 1 } else { count - 1 };
                if count == 0
                    || now == 0
                    || render::pages_for(count, per_page) != render::pages_for(now, per_page)
                {
                    return None;
                }
            }
            let kept = before.iter().chain(&after).all(|&term| {
                self.keeps_name(lookup, id, briefing, (t, term), after.contains(&term))
            });
            if !kept {
                return None;
            }
            terms.push(after);
        }
        Some(terms)
    }

    /// Whether `term`, which briefing `id` names after the edit (`names`)
    /// or not, keeps its name. A term without a profile is named as the
    /// newest briefing naming it spells it (the index numbers terms in
    /// briefing order): when that briefing is or was `id`, the spelling
    /// now first must be the term's name, or every page showing it would
    /// change.
    fn keeps_name(
        &self,
        lookup: &TermLookup,
        id: BriefingId,
        edited: &Briefing,
        (t, term): (usize, usize),
        names: bool,
    ) -> bool {
        let entry = &self.archive.taxonomies[t].terms[term];
        if entry.profile.is_some() {
            return true;
        }
        // Newest first is ascending ids.
        let first = entry.briefings.iter().copied().find(|&b| b != id);
        let namer = match first {
            Some(b) if !names || b < id => b,
            _ => id,
        };
        if entry.briefings.first() == Some(&namer) && namer != id {
            return true; // the same briefing names it first, unchanged
        }
        let briefing = if namer == id {
            edited
        } else {
            &self.archive.entries[namer].briefing
        };
        let spelling = briefing
            .tags
            .get(t)
            .into_iter()
            .flatten()
            .find(|name| lookup.resolve(t, name) == Some(term));
        spelling.is_some_and(|name| *name == entry.name)
    }
}

/// A site built once and rebuilt on every change.
pub struct Session {
    options: BuildOptions,
    /// The last good build, when the output on disk is exactly its output.
    last: Option<Built>,
}

/// A briefing changed in place.
struct Changed {
    id: BriefingId,
    /// The briefing as it is now.
    briefing: Briefing,
    /// Its terms, when its tags changed ([`Built::retag`]).
    terms: Option<Vec<Vec<usize>>>,
}

/// How a rebuild will go.
enum Plan {
    /// Nothing the site is made from changed (an editor's swap file, say).
    Nothing,
    /// These briefings changed in place.
    Briefings(Vec<Changed>),
    Full,
}

impl Session {
    pub fn new(options: BuildOptions) -> Session {
        Session {
            options,
            last: None,
        }
    }

    pub fn options(&self) -> &BuildOptions {
        &self.options
    }

    /// Builds the whole site into the output folder.
    pub fn build(&mut self) -> Result<BuildReport, Diagnostics> {
        self.last = None;
        let (report, built) = crate::build_all(&self.options)?;
        self.last = Some(built);
        Ok(report)
    }

    /// Rebuilds after the files at `changed` (absolute, or relative to the
    /// site root) were created, modified or removed. Returns `Ok(None)` when
    /// none of them is part of the site.
    pub fn rebuild(&mut self, changed: &[PathBuf]) -> Result<Option<BuildReport>, Diagnostics> {
        let started = Instant::now();
        let plan = match &self.last {
            None => Plan::Full,
            Some(last) => self.plan(last, changed),
        };
        match plan {
            Plan::Nothing => Ok(None),
            Plan::Full => self.build().map(Some),
            Plan::Briefings(edits) => {
                let result = self.rerender(edits, started);
                if result.is_err() {
                    // The output still shows the last good build, but the
                    // archive in memory no longer does: start over next time.
                    self.last = None;
                }
                result.map(Some)
            }
        }
    }

    fn plan(&self, last: &Built, changed: &[PathBuf]) -> Plan {
        let root = absolute(&self.options.root);
        let mut edits = Vec::new();
        for path in changed {
            let path = if path.is_relative() {
                root.join(path)
            } else {
                path.clone()
            };
            let rel = match absolute(&path).strip_prefix(&root) {
                Ok(rel) => rel.to_path_buf(),
                Err(_) => return Plan::Full,
            };
            if is_noise(&rel) {
                continue;
            }
            if !source::is_briefing(&rel) {
                return Plan::Full;
            }
            let reparsed = reparse(&self.options.root, &rel, &last.config);
            let Some(&id) = last.by_path.get(&rel) else {
                // A draft the site does not show, still one: nothing it
                // makes can have changed.
                if reparsed.is_some_and(|b| b.draft && !self.options.drafts) {
                    continue;
                }
                return Plan::Full; // a new briefing, or a draft becoming visible
            };
            let Some(briefing) = reparsed else {
                // Deleted, unreadable or invalid: the full build says why.
                return Plan::Full;
            };
            let old = &last.archive.entries[id].briefing;
            if !same_spot(old, &briefing) {
                return Plan::Full;
            }
            let terms = if old.tags == briefing.tags {
                None
            } else {
                match last.retag(id, &briefing) {
                    Some(terms) => Some(terms),
                    None => return Plan::Full,
                }
            };
            edits.push(Changed {
                id,
                briefing,
                terms,
            });
        }
        // Each change of tags is worked out against the index as it was:
        // with another edit in the same rebuild, start over.
        if edits.len() > 1 && edits.iter().any(|edit| edit.terms.is_some()) {
            return Plan::Full;
        }
        if edits.is_empty() {
            Plan::Nothing
        } else {
            Plan::Briefings(edits)
        }
    }

    fn rerender(
        &mut self,
        edits: Vec<Changed>,
        started: Instant,
    ) -> Result<BuildReport, Diagnostics> {
        let Some(last) = self.last.as_mut() else {
            return self.build();
        };
        let mut clock = Stopwatch::new();
        let sink = InPlace::new(&self.options.output);
        let mut stats = render::RenderStats::default();
        for Changed {
            id,
            briefing,
            terms,
        } in edits
        {
            let redated = last.archive.entries[id].briefing.updated != briefing.updated;
            last.archive.entries[id].briefing = briefing;
            let edit = Edit {
                id,
                retagged: terms.map(|terms| last.archive.retag(id, terms)),
                redated,
            };
            let pages = render::rerender_briefing(
                &last.config,
                &last.archive,
                &last.templates,
                &last.highlighter,
                &mut last.prepared,
                &edit,
                &sink,
            )
            .map_err(Diagnostics)?;
            stats += pages;
        }
        clock.lap("render and write pages");
        Ok(BuildReport {
            briefings: last.archive.entries.len(),
            render: stats,
            output: sink.stats(),
            elapsed: started.elapsed(),
            warnings: Vec::new(),
            timings: clock.laps,
            incremental: true,
        })
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Editor leftovers and hidden files anywhere under the site: never a reason to rebuild.
fn is_noise(rel: &Path) -> bool {
    rel.file_name().is_some_and(source::is_ignored)
}

/// The briefing at `rel` as it is on disk now, if it reads and parses.
fn reparse(root: &Path, rel: &Path, config: &SiteConfig) -> Option<Briefing> {
    let file = source::read_file(root, &root.join(rel)).ok()?;
    front_matter::parse_briefing(&file, &config.taxonomies).ok()
}

/// Whether `new` keeps the place of `old` in the archive: same slug, date
/// and draft flag, so the briefings' order, their neighbours and the pages
/// of the site are as they were. Its tags may differ ([`Built::retag`]),
/// and its `updated` date (the sitemap's dates are made again).
fn same_spot(old: &Briefing, new: &Briefing) -> bool {
    old.slug == new.slug && old.date == new.date && old.draft == new.draft
}
