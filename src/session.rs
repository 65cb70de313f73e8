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
//! rewrites those pages as well. A new briefing that names known terms, in
//! a year the archive has (`Built::place`), is added the same way
//! ([`crate::index::Archive::insert`]), and a deleted one taken out
//! ([`crate::index::Archive::remove`]); a changed date, slug or draft flag
//! is both; a listing that gains a page gets it, one that loses its last
//! page has it removed, and the sitemap lists the pages the site has. A
//! profile edit that keeps its name, aliases and role re-renders its term's
//! pages and feed ([`render::rerender_profile`]). Anything else (a new
//! term, a new year, a term or year left without briefings, a new or
//! deleted profile, a new name, alias or role, a template, the config,
//! static files) is a full build into staging with the atomic swap, exactly
//! as `dossier build` does.
//! After a failed build the next one is full too, so no problem can hide
//! behind a fast path.
//!
//! No build waits for the search index. After a full build has swapped its
//! pages in, or an in-place rebuild has written its own, a thread of the
//! index (`search::background`) reads the briefing pages back and makes
//! again only the parts of the index whose pages changed: after an edit to
//! one briefing, the one part that holds it, a couple of seconds later on
//! a large archive; until then search shows the previous index.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use crate::config::{BuildOptions, SiteConfig};
use crate::diag::Diagnostics;
use crate::highlight::Highlighter;
use crate::index::{Archive, BriefingId, TermRef};
use crate::mentions::TermLookup;
use crate::model::{Briefing, Profile};
use crate::output::InPlace;
use crate::render::{
    self, Edit, Prepared, Removed, RenderStats, templates::Templates, views::paths,
};
use crate::search::background::{Background, Listener, Outcome};
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
    /// every term keeps at least one briefing (a term appearing or going is
    /// a full build), and every term keeps its name ([`Built::keeps_name`]).
    fn retag(&self, id: BriefingId, briefing: &Briefing) -> Option<Vec<Vec<usize>>> {
        let lookup = self.lookup.get_or_init(|| TermLookup::new(&self.archive));
        let old = &self.archive.entries[id].terms;
        let mut terms = Vec::with_capacity(old.len());
        for (t, before) in old.iter().enumerate() {
            let after = terms_named(lookup, briefing, t)?;
            let count = |term: usize| self.archive.taxonomies[t].terms[term].briefings.len();
            // A term it lost must keep another briefing; one it gained must
            // have one already.
            let mut lost = before.iter().filter(|term| !after.contains(term));
            let mut gained = after.iter().filter(|term| !before.contains(term));
            if lost.any(|&term| count(term) < 2) || gained.any(|&term| count(term) == 0) {
                return None;
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

    /// Renders again what `edit` changed, in place.
    fn rerender(&mut self, edit: &Edit, sink: &InPlace) -> Result<RenderStats, Diagnostics> {
        render::rerender_briefing(
            &self.config,
            &self.archive,
            &self.templates,
            &self.highlighter,
            &mut self.prepared,
            edit,
            sink,
        )
        .map_err(Diagnostics)
    }

    /// Adds new briefing `briefing` (its file, `file`) at `at`, naming
    /// `terms` (see [`Built::place`]), and renders what shows it.
    fn add(
        &mut self,
        at: BriefingId,
        file: PathBuf,
        briefing: Briefing,
        terms: Vec<Vec<usize>>,
        sink: &InPlace,
    ) -> Result<RenderStats, Diagnostics> {
        self.shift_paths(at, true);
        self.by_path.insert(file, at);
        let edit = Edit {
            id: at,
            retagged: Some(self.archive.insert(at, briefing, terms)),
            redated: false,
            inserted: true,
        };
        self.rerender(&edit, sink)
    }

    /// Takes briefing `id` (its file, `file`, is gone or hidden now) out of
    /// the archive, renders again what showed it, and removes its page.
    fn remove(
        &mut self,
        id: BriefingId,
        file: &Path,
        sink: &InPlace,
    ) -> Result<RenderStats, Diagnostics> {
        self.by_path.remove(file);
        self.shift_paths(id, false);
        let (briefing, changed) = self.archive.remove(id);
        let removed = Removed {
            at: id,
            page: paths::briefing(briefing.slug.as_str()),
            changed,
        };
        render::rerender_without(
            &self.config,
            &self.archive,
            &self.templates,
            &self.highlighter,
            &mut self.prepared,
            &removed,
            sink,
        )
        .map_err(Diagnostics)
    }

    /// Moves the ids in `by_path` from `at` on one place down (a briefing
    /// goes in there: `inserted`) or up (the one there went).
    fn shift_paths(&mut self, at: BriefingId, inserted: bool) {
        for id in self.by_path.values_mut() {
            if *id > at || (*id == at && inserted) {
                if inserted {
                    *id += 1;
                } else {
                    *id -= 1;
                }
            }
        }
    }

    /// Whether briefing `id` can be taken out in place (its file is gone):
    /// the mirror of [`Built::place`]. Every term it names keeps a briefing,
    /// and its name (a term without a profile is named by the newest
    /// briefing naming it); its year keeps a briefing.
    fn can_remove(&self, id: BriefingId) -> bool {
        let entries = &self.archive.entries;
        let year = entries[id].briefing.date.year();
        let same_year = entries
            .iter()
            .filter(|e| e.briefing.date.year() == year)
            .count();
        if same_year < 2 {
            return false;
        }
        let lookup = self.lookup.get_or_init(|| TermLookup::new(&self.archive));
        let gone = &entries[id].briefing;
        entries[id].terms.iter().enumerate().all(|(t, terms)| {
            terms.iter().all(|&term| {
                self.archive.taxonomies[t].terms[term].briefings.len() > 1
                    && self.keeps_name(lookup, id, gone, (t, term), false)
            })
        })
    }

    /// Where a new `briefing` goes in the archive (newest first, then by
    /// slug) and the terms it names, when it can be added in place: its slug
    /// is free, its year already has briefings, and each name is a term the
    /// archive has and that has briefings. A term without a profile must
    /// keep its name (see [`Built::keeps_name`]).
    fn place(&self, briefing: &Briefing) -> Option<(BriefingId, Vec<Vec<usize>>)> {
        let entries = &self.archive.entries;
        let year = briefing.date.year();
        if entries.iter().any(|e| e.briefing.slug == briefing.slug)
            || !entries.iter().any(|e| e.briefing.date.year() == year)
        {
            return None;
        }
        let at = entries.partition_point(|e| {
            let other = &e.briefing;
            other.date > briefing.date
                || (other.date == briefing.date && other.slug < briefing.slug)
        });
        let lookup = self.lookup.get_or_init(|| TermLookup::new(&self.archive));
        let mut terms = Vec::with_capacity(self.archive.taxonomies.len());
        for (t, taxonomy) in self.archive.taxonomies.iter().enumerate() {
            let names = briefing.tags.get(t).map(Vec::as_slice).unwrap_or(&[]);
            let named = terms_named(lookup, briefing, t)?;
            for &term in &named {
                let entry = &taxonomy.terms[term];
                if entry.briefings.is_empty() {
                    return None;
                }
                // Newest first is ascending ids: from `at` on, it comes first.
                let first_namer = entry.briefings.first().is_some_and(|&first| at <= first);
                if entry.profile.is_none() && first_namer {
                    let spelling = names
                        .iter()
                        .find(|name| lookup.resolve(t, name) == Some(term));
                    if spelling.is_none_or(|name| *name != entry.name) {
                        return None;
                    }
                }
            }
            terms.push(named);
        }
        Some((at, terms))
    }

    /// The term whose profile is the file at `rel`, and that profile as it
    /// is on disk now, when only what the term's own pages show of it
    /// changed: its summary, links, other fields or text. A new name,
    /// alias or role shows on every page naming the term, and a profile
    /// that does not parse is reported by the full build: `None` then.
    fn reprofile(&self, root: &Path, rel: &Path) -> Option<(TermRef, Profile)> {
        let (term, old) = self
            .archive
            .taxonomies
            .iter()
            .enumerate()
            .flat_map(|(t, taxonomy)| {
                let terms = taxonomy.terms.iter().enumerate();
                terms.filter_map(move |(i, term)| Some(((t, i), term.profile.as_ref()?)))
            })
            .find(|(_, profile)| profile.file.path == rel)?;
        let file = source::read_file(root, &root.join(rel)).ok()?;
        let new = front_matter::parse_profile(&file, old.taxonomy).ok()?;
        let same = new.slug == old.slug
            && new.name == old.name
            && new.aliases == old.aliases
            && new.role == old.role;
        same.then_some((term, new))
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
    /// The search index, brought up to date after every build.
    search: Background,
    /// The briefing pages in archive order, for the search index: kept
    /// while no briefing comes, goes or moves.
    search_pages: Option<Arc<[String]>>,
}

/// A briefing changed in place.
enum Changed {
    /// Edited where it is: the briefing as it is now, and its terms when
    /// its tags changed ([`Built::retag`]).
    Edited {
        id: BriefingId,
        briefing: Briefing,
        terms: Option<Vec<Vec<usize>>>,
    },
    /// A new briefing (its file relative to the site root), where it goes
    /// and the terms it names ([`Built::place`]).
    Added {
        at: BriefingId,
        file: PathBuf,
        briefing: Briefing,
        terms: Vec<Vec<usize>>,
    },
    /// A briefing that left the site: its file is gone, or it is now a
    /// draft the site does not show ([`Built::can_remove`]).
    Removed { id: BriefingId, file: PathBuf },
    /// A briefing whose date, slug or draft flag changed, so its place in
    /// the archive may have: taken out, then added again where it goes now
    /// ([`Built::place`], asked once it is out; a full build if it says no).
    Moved {
        id: BriefingId,
        file: PathBuf,
        briefing: Briefing,
    },
    /// The profile of `term` as it is now, with the name, aliases and role
    /// it had ([`Built::reprofile`]).
    Profile { term: TermRef, profile: Profile },
}

impl Changed {
    /// Whether it moves things in the index, which is worked out against
    /// the index as it was: one such change per rebuild, or a full build.
    fn moves_index(&self) -> bool {
        !matches!(
            self,
            Changed::Edited { terms: None, .. } | Changed::Profile { .. }
        )
    }
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
            search: Background::new(),
            search_pages: None,
        }
    }

    /// Calls `listener` (from another thread) each time the search index
    /// is brought up to date after a build, or fails to be.
    pub fn listen_for_search(&mut self, listener: Listener) {
        self.search.listen(listener);
    }

    /// Waits for the last build's search index to be written; `None` if
    /// there is none to wait for (search is off, or it was waited for).
    pub fn wait_for_search(&mut self) -> Option<Outcome> {
        self.search.wait()
    }

    pub fn options(&self) -> &BuildOptions {
        &self.options
    }

    /// Builds the whole site into the output folder.
    pub fn build(&mut self) -> Result<BuildReport, Diagnostics> {
        self.last = None;
        self.search_pages = None;
        let (report, built) = crate::build_all(&self.options, &mut self.search)?;
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
        if matches!(plan, Plan::Briefings(_)) {
            // Whatever the index of the last build still had to do, the
            // index of this one does it again, after: stop it now, so the
            // two do not share the cores. (A full build stops it when its
            // site is swapped in; one that fails leaves it to finish for
            // the site still served.)
            self.search.stop();
        }
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
                match last.reprofile(&self.options.root, &rel) {
                    Some((term, profile)) => {
                        edits.push(Changed::Profile { term, profile });
                        continue;
                    }
                    None => return Plan::Full,
                }
            }
            let reparsed = reparse(&self.options.root, &rel, &last.config);
            let Some(&id) = last.by_path.get(&rel) else {
                // A new briefing, or a draft made visible; or a draft the
                // site does not show, still one: nothing it makes can have
                // changed.
                let Some(briefing) = reparsed else {
                    return Plan::Full;
                };
                if briefing.draft && !self.options.drafts {
                    continue;
                }
                let Some((at, terms)) = last.place(&briefing) else {
                    return Plan::Full;
                };
                edits.push(Changed::Added {
                    at,
                    file: rel,
                    briefing,
                    terms,
                });
                continue;
            };
            let Some(briefing) = reparsed else {
                // Gone; or unreadable or invalid: the full build says why.
                let gone = matches!(
                    std::fs::symlink_metadata(self.options.root.join(&rel)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound
                );
                if gone && last.can_remove(id) {
                    edits.push(Changed::Removed { id, file: rel });
                    continue;
                }
                return Plan::Full;
            };
            let old = &last.archive.entries[id].briefing;
            if !same_spot(old, &briefing) {
                if !last.can_remove(id) {
                    return Plan::Full;
                }
                // Made a draft the site does not show: it leaves the site.
                edits.push(if briefing.draft && !self.options.drafts {
                    Changed::Removed { id, file: rel }
                } else {
                    Changed::Moved {
                        id,
                        file: rel,
                        briefing,
                    }
                });
                continue;
            }
            let terms = if old.tags == briefing.tags {
                None
            } else {
                match last.retag(id, &briefing) {
                    Some(terms) => Some(terms),
                    None => return Plan::Full,
                }
            };
            edits.push(Changed::Edited {
                id,
                briefing,
                terms,
            });
        }
        if edits.len() > 1 && edits.iter().any(Changed::moves_index) {
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
        let mut stats = RenderStats::default();
        let mut full = false;
        for change in edits {
            if !matches!(change, Changed::Edited { .. } | Changed::Profile { .. }) {
                self.search_pages = None;
            }
            stats += match change {
                Changed::Removed { id, file } => last.remove(id, &file, &sink)?,
                Changed::Added {
                    at,
                    file,
                    briefing,
                    terms,
                } => last.add(at, file, briefing, terms, &sink)?,
                Changed::Moved { id, file, briefing } => {
                    let mut moved = last.remove(id, &file, &sink)?;
                    let Some((at, terms)) = last.place(&briefing) else {
                        // Out, but not back in place: the output is the
                        // archive without it; build it all with it.
                        full = true;
                        break;
                    };
                    moved += last.add(at, file, briefing, terms, &sink)?;
                    moved
                }
                Changed::Profile { term, profile } => {
                    let (t, i) = term;
                    last.archive.taxonomies[t].terms[i].profile = Some(profile);
                    render::rerender_profile(
                        &last.config,
                        &last.archive,
                        &last.templates,
                        &last.highlighter,
                        &last.prepared,
                        term,
                        &sink,
                    )
                    .map_err(Diagnostics)?
                }
                Changed::Edited {
                    id,
                    briefing,
                    terms,
                } => {
                    let redated = last.archive.entries[id].briefing.updated != briefing.updated;
                    last.archive.entries[id].briefing = briefing;
                    let edit = Edit {
                        id,
                        retagged: terms.map(|terms| last.archive.retag(id, terms)),
                        redated,
                        inserted: false,
                    };
                    last.rerender(&edit, &sink)?
                }
            };
        }
        if full {
            return self.build();
        }
        clock.lap("render and write pages");
        if last.config.search {
            // The parts of the search index with a page written here are
            // made again after, on the index's thread.
            let number = self.search.current();
            let pages = Arc::clone(
                self.search_pages
                    .get_or_insert_with(|| crate::briefing_pages(&last.archive).into()),
            );
            self.search.index_later(
                last.config.language.clone(),
                pages,
                last.config.search_part_size,
                self.options.output.clone(),
                number,
                Some(sink.written().into_iter().collect()),
            );
        }
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

/// The terms of taxonomy `t` that `briefing` names, each once, in the order
/// it names them; `None` if a name is no term of the archive.
fn terms_named(lookup: &TermLookup, briefing: &Briefing, t: usize) -> Option<Vec<usize>> {
    let names = briefing.tags.get(t).map(Vec::as_slice).unwrap_or(&[]);
    let mut terms: Vec<usize> = Vec::with_capacity(names.len());
    for name in names {
        let term = lookup.resolve(t, name)?;
        if !terms.contains(&term) {
            terms.push(term);
        }
    }
    Some(terms)
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
