//! Building the same site again and again, as `serve` does: a [`Session`]
//! keeps what the last good build worked out, so an edit to one briefing
//! re-renders only the pages that show it.
//!
//! The fast path takes an edit that leaves a briefing's slug, date and
//! draft flag as they were: the archive's order, every briefing's
//! neighbours and the set of pages cannot have changed, so the briefing is
//! swapped into the archive and [`render::rerender_briefing`] rewrites its
//! page, the pages that link to it and the listing pages that show its card,
//! in place. If its tags changed too (`Built::retag` says when it can go in
//! place), [`crate::index::Archive::retag`] first works out what that moved
//! in the index (the terms' lists, the related briefings, the co-occurring
//! terms and timelines), and the renderer rewrites those pages as well. A
//! name no term has yet becomes one, put in its place among the others
//! before the change (`Built::new_terms`, `Built::add_terms`); a term left
//! with no briefing and no profile is taken out after it
//! (`Built::drop_terms`); either way the mention automaton is made again
//! and the briefings whose text names the term are rendered again
//! (`Built::settle_terms`). A new briefing (`Built::place`) is added the
//! same way ([`crate::index::Archive::insert`]), and a deleted one taken
//! out ([`crate::index::Archive::remove`]); a year that gains its first
//! briefing gets its page, one that loses its last loses it, and the
//! timelines spanning it are rendered again. A changed date, slug or draft
//! flag is both, and so is a file renamed with its slug. A briefing moved
//! to another file under its slug (another folder, a folder renamed) is an
//! edit, and renders nothing when its text is the same
//! (`Built::moved_from`, `Built::briefing_files`). A listing that gains a
//! page gets it, one that loses its last page has it removed, and the
//! sitemap lists the pages the site has. A profile edit that keeps its
//! term's name and URL re-renders the term's pages and feed
//! ([`render::rerender_profile`]), with the briefings that show its role
//! when that changed, and those whose text names an alias that came or
//! went; a name spelled otherwise (case, accents: its place among the terms
//! stays) also re-renders every page that names the term. So does a
//! profile written for a term briefings name, or deleted while they still
//! do, when it names the term as they spell it (`Built::reprofile`). A new
//! profile for an entity nothing names yet adds its term, and deleting it
//! while no briefing names the entity takes the term out
//! (`Built::profile_comes_or_goes`). A static file written or
//! deleted is copied into the output, or taken out of it, alone
//! (`Built::static_file`). A term without a profile whose newest briefing
//! spells it otherwise (case, accents) is respelled the same way, after
//! the change that made it so (`Built::respell`). Anything else (the last
//! briefing taken out, a spelling that moves a term to another URL, a
//! profile's new name or URL (not merely respelled), an alias a briefing
//! tags with taken away or one that is another term's name, a term coming
//! or going when a template prints how many there are, a template, the
//! config, a static folder or a static file where the site writes one of
//! its own) is a full build into staging with the atomic
//! swap, exactly as `dossier build` does.
//! Templates alone render every page again, but from the archive the last
//! build read and indexed ([`Session::rebuild_templates`]). After a failed
//! build the next one is full too, so no problem can hide behind a fast
//! path.
//!
//! No build waits for the search index. After a full build has swapped its
//! pages in, or an in-place rebuild has written its own, a thread of the
//! index (`search::background`) reads the briefing pages back and makes
//! again only the parts of the index whose pages changed: after an edit to
//! one briefing, the one part that holds it, a couple of seconds later on
//! a large archive; until then search shows the previous index.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use crate::config::{BuildOptions, SiteConfig};
use crate::diag::{Diagnostic, Diagnostics};
use crate::highlight::Highlighter;
use crate::index::{Archive, BriefingId, Retagged, Term, TermRef, fold};
use crate::mentions::{self, MentionMode, MentionScope, TermLookup};
use crate::model::{Briefing, Profile, Slug};
use crate::output::InPlace;
use crate::render::{
    self, Edit, Prepared, Removed, RenderStats, TermsChanged, templates::Templates, views::paths,
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
    /// The warnings reading the content gave (a Markdown file where no
    /// briefing or profile goes), which a build from this archive repeats.
    /// Only a full build changes them: any change to such a file is one.
    content_warnings: Vec<Diagnostic>,
}

impl Built {
    pub(crate) fn new(
        config: SiteConfig,
        templates: Templates,
        archive: Archive,
        highlighter: Highlighter,
        prepared: Prepared,
        content_warnings: Vec<Diagnostic>,
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
            content_warnings,
        }
    }

    /// What a build from new templates reuses (`crate::rebuild_templates`):
    /// the config, the archive, the highlighter and the content's warnings.
    pub(crate) fn into_parts(self) -> (SiteConfig, Archive, Highlighter, Vec<Diagnostic>) {
        (
            self.config,
            self.archive,
            self.highlighter,
            self.content_warnings,
        )
    }

    /// The terms by name and alias, made on first use after each change of
    /// the archive's terms.
    fn lookup(&self) -> &TermLookup {
        self.lookup.get_or_init(|| TermLookup::new(&self.archive))
    }

    /// The names `briefing` gives that are no term of the archive, as the
    /// terms a build would make of them (each folded name once, spelled as
    /// the briefing first spells it), by taxonomy; `None` if one cannot be a
    /// term (no letter or digit for its URL, or another term's URL), which
    /// the full build reports.
    fn new_terms(&self, briefing: &Briefing) -> Option<Vec<(usize, Term)>> {
        let lookup = self.lookup();
        let mut new: Vec<(usize, Term)> = Vec::new();
        for (t, names) in briefing.tags.iter().enumerate() {
            for name in names {
                let known = lookup.resolve(t, name).is_some()
                    || new
                        .iter()
                        .any(|(nt, n)| *nt == t && fold(&n.name) == fold(name));
                if known {
                    continue;
                }
                let slug = Slug::from_name(name).ok()?;
                let taxonomy = self.archive.taxonomies.get(t)?;
                let taken = taxonomy.terms.iter().any(|term| term.slug == slug)
                    || new.iter().any(|(nt, n)| *nt == t && n.slug == slug);
                if taken {
                    return None;
                }
                new.push((t, Term::named(name, slug, briefing.file.path.clone())));
            }
        }
        Some(new)
    }

    /// Whether term `(t, term)`, which briefing `id` names before an edit,
    /// goes with it, in place: it has no profile and no other briefing (a
    /// fresh build makes no such term), and terms may go
    /// ([`Built::terms_may_change`]).
    fn goes_without(&self, id: BriefingId, (t, term): TermRef) -> bool {
        let term = &self.archive.taxonomies[t].terms[term];
        self.terms_may_change() && term.profile.is_none() && term.briefings.iter().all(|&b| b == id)
    }

    /// Whether terms may come or go in place: not when a template other
    /// than the taxonomy's may print how many terms there are (then every
    /// page may change: a full build).
    fn terms_may_change(&self) -> bool {
        !self.templates.count_terms()
    }

    /// When `briefing` (an edit of briefing `id`) can replace its tags in
    /// place, the terms it names that the archive does not have yet
    /// ([`Built::new_terms`]). A term it no longer names and that no other
    /// briefing names goes, unless it has a profile; every term that stays
    /// keeps its URL ([`Built::keeps_url`]).
    fn retag(&self, id: BriefingId, briefing: &Briefing) -> Option<Vec<(usize, Term)>> {
        let new = self
            .new_terms(briefing)
            .filter(|new| new.is_empty() || self.terms_may_change())?;
        let lookup = self.lookup();
        let old = &self.archive.entries[id].terms;
        for (t, before) in old.iter().enumerate() {
            let after = known_terms(lookup, briefing, t);
            let kept = before.iter().chain(&after).all(|&term| {
                let names = after.contains(&term);
                (!names && self.goes_without(id, (t, term)))
                    || self.keeps_url(lookup, id, briefing, (t, term), names)
            });
            if !kept {
                return None;
            }
        }
        Some(new)
    }

    /// Adds `new` terms ([`Built::new_terms`]) to the archive and to what
    /// rendering keeps by term; returns them as `(taxonomy, name)`.
    fn add_terms(&mut self, new: Vec<(usize, Term)>) -> Vec<(usize, String)> {
        let mut added = Vec::with_capacity(new.len());
        for (t, term) in new {
            added.push((t, term.name.clone()));
            let at = self.archive.add_term(t, term);
            self.prepared
                .insert_term(&self.config, &self.archive, (t, at));
        }
        if !added.is_empty() {
            self.lookup = OnceLock::new();
        }
        added
    }

    /// The terms `briefing` names, by taxonomy, each once, in its order;
    /// `None` if a name is no term of the archive (not after
    /// [`Built::add_terms`] of its [`Built::new_terms`]).
    fn terms_of(&self, briefing: &Briefing) -> Option<Vec<Vec<usize>>> {
        let lookup = self.lookup();
        (0..self.archive.taxonomies.len())
            .map(|t| terms_named(lookup, briefing, t))
            .collect()
    }

    /// Takes out the terms among `changed.members` that no briefing names
    /// any more and that have no profile (as a fresh build would not make
    /// them), and renumbers `changed` to match; returns them.
    fn drop_terms(&mut self, changed: &mut Retagged) -> Vec<(usize, Term)> {
        let mut gone: Vec<TermRef> = changed
            .members
            .iter()
            .copied()
            .filter(|&(t, i)| {
                let term = &self.archive.taxonomies[t].terms[i];
                term.briefings.is_empty() && term.profile.is_none()
            })
            .collect();
        // The last first, so that each index still names its term.
        gone.sort_unstable_by(|a, b| b.cmp(a));
        gone.dedup();
        let mut removed = Vec::with_capacity(gone.len());
        for &(t, i) in &gone {
            removed.push((t, self.archive.remove_term(t, i)));
            self.prepared.remove_term((t, i));
            for list in [&mut changed.members, &mut changed.profiles] {
                list.retain(|&key| key != (t, i));
                for (lt, li) in list.iter_mut() {
                    if *lt == t && *li > i {
                        *li -= 1;
                    }
                }
            }
        }
        if !removed.is_empty() {
            self.lookup = OnceLock::new();
        }
        removed
    }

    /// After terms were added (`added`, as `(taxonomy, name)` for each of
    /// their names and aliases) and taken
    /// out (`removed`) around a change of the index (`changed`): the
    /// mention automaton made again, and what the renderer must show of it
    /// ([`TermsChanged`]), with the feeds of the terms left without
    /// briefings.
    fn settle_terms(
        &mut self,
        added: &[(usize, String)],
        removed: &[(usize, Term)],
        changed: &Retagged,
        respelled: &[(TermRef, String)],
    ) -> TermsChanged {
        // A term with a profile stays without briefings, but has no feed.
        let emptied = changed.members.iter().filter_map(|&(t, i)| {
            let term = &self.archive.taxonomies[t].terms[i];
            term.briefings.is_empty().then(|| {
                let page = paths::term(&self.config.taxonomies[t].name, term.slug.as_str());
                paths::feed(&page)
            })
        });
        let emptied: Vec<String> = emptied.collect();
        if added.is_empty() && removed.is_empty() && respelled.is_empty() {
            return TermsChanged {
                gone: emptied,
                ..TermsChanged::default()
            };
        }
        let mut taxonomies: Vec<usize> = added
            .iter()
            .map(|(t, _)| *t)
            .chain(removed.iter().map(|(t, _)| *t))
            .collect();
        taxonomies.sort_unstable();
        taxonomies.dedup();
        let mut names: Vec<&str> = added.iter().map(|(_, name)| name.as_str()).collect();
        for (_, term) in removed {
            names.push(&term.name);
            names.extend(
                term.profile
                    .iter()
                    .flat_map(|p| p.aliases.iter().map(String::as_str)),
            );
        }
        for ((t, i), old) in respelled {
            names.push(old);
            names.push(&self.archive.taxonomies[*t].terms[*i].name);
        }
        // The automaton is made on one thread while the texts are searched
        // on the others.
        let (config, archive, prepared) = (&self.config, &self.archive, &mut self.prepared);
        let ((), naming) = rayon::join(
            || prepared.terms_settled(config, archive),
            || match config.mentions {
                MentionMode::None => Vec::new(),
                _ => mentions::naming(archive, &names),
            },
        );
        let mut gone = emptied;
        for (t, term) in removed {
            let page = paths::term(&self.config.taxonomies[*t].name, term.slug.as_str());
            gone.push(paths::feed(&page));
            gone.push(page);
        }
        TermsChanged {
            taxonomies,
            naming,
            gone,
            came: Vec::new(),
            respelled: respelled.iter().map(|(key, _)| *key).collect(),
        }
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
    /// `None` when it cannot go in place after all (see
    /// [`Built::terms_of`]): the caller builds it all.
    fn add(
        &mut self,
        at: BriefingId,
        file: PathBuf,
        briefing: Briefing,
        new: Vec<(usize, Term)>,
        sink: &InPlace,
    ) -> Result<Option<RenderStats>, Diagnostics> {
        let added = self.add_terms(new);
        let Some(terms) = self.terms_of(&briefing) else {
            return Ok(None);
        };
        self.shift_paths(at, true);
        self.by_path.insert(file, at);
        let retagged = self.archive.insert(at, briefing, terms);
        let respelled = self.respell(&retagged.members);
        let terms = self.settle_terms(&added, &[], &retagged, &respelled);
        let edit = Edit {
            id: at,
            retagged: Some(retagged),
            redated: false,
            inserted: true,
            terms,
        };
        self.rerender(&edit, sink).map(Some)
    }

    /// Gives briefing `id` its edited front matter and text (`briefing`,
    /// with `retag` from [`Built::retag`] when its tags changed) and renders
    /// what shows it. `None` as for [`Built::add`].
    fn edit(
        &mut self,
        id: BriefingId,
        briefing: Briefing,
        retag: Option<Vec<(usize, Term)>>,
        sink: &InPlace,
    ) -> Result<Option<RenderStats>, Diagnostics> {
        let redated = self.archive.entries[id].briefing.updated != briefing.updated;
        self.archive.entries[id].briefing = briefing;
        let (retagged, terms) = match retag {
            None => (None, TermsChanged::default()),
            Some(new) => {
                let added = self.add_terms(new);
                let Some(terms) = self.terms_of(&self.archive.entries[id].briefing) else {
                    return Ok(None);
                };
                let mut retagged = self.archive.retag(id, terms);
                let removed = self.drop_terms(&mut retagged);
                let named = self.archive.entries[id].terms.iter().enumerate();
                let mut touched: Vec<TermRef> = named
                    .flat_map(|(t, terms)| terms.iter().map(move |&i| (t, i)))
                    .collect();
                touched.extend_from_slice(&retagged.members);
                let respelled = self.respell(&touched);
                let terms = self.settle_terms(&added, &removed, &retagged, &respelled);
                (Some(retagged), terms)
            }
        };
        let edit = Edit {
            id,
            retagged,
            redated,
            inserted: false,
            terms,
        };
        self.rerender(&edit, sink).map(Some)
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
        let (briefing, mut changed) = self.archive.remove(id);
        let dropped = self.drop_terms(&mut changed);
        let respelled = self.respell(&changed.members);
        let terms = self.settle_terms(&[], &dropped, &changed, &respelled);
        let removed = Removed {
            at: id,
            page: paths::briefing(briefing.slug.as_str()),
            changed,
            terms,
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
    /// the mirror of [`Built::place`]. Every term it names keeps its URL
    /// (a term without a profile is named by the newest briefing naming
    /// it), or goes with it ([`Built::goes_without`]); the archive keeps a
    /// briefing (an empty site has no feed, which every page links to).
    fn can_remove(&self, id: BriefingId) -> bool {
        let entries = &self.archive.entries;
        if entries.len() < 2 {
            return false;
        }
        let lookup = self.lookup();
        let gone = &entries[id].briefing;
        entries[id].terms.iter().enumerate().all(|(t, terms)| {
            terms.iter().all(|&term| {
                self.goes_without(id, (t, term))
                    || self.keeps_url(lookup, id, gone, (t, term), false)
            })
        })
    }

    /// Whether `rels` (paths relative to the site root) are templates, the
    /// site's or its theme's, and nothing else the site is made from (an
    /// editor's leftovers aside).
    fn templates_alone(&self, rels: &[PathBuf]) -> bool {
        let theme = self.config.theme_dir(Path::new("")).join("templates");
        let changed = rels.iter().filter(|rel| !is_noise(rel));
        let mut changed = changed.peekable();
        changed.peek().is_some()
            && changed.all(|rel| rel.starts_with("templates") || rel.starts_with(&theme))
    }

    /// `rels` (paths relative to the site root at `root`) with each folder
    /// of briefings in their place: the files in it when it is there (a
    /// folder moved or copied in, whose files come with no change of their
    /// own), the briefings the archive has from it when it is gone (moved
    /// away or deleted). Each path says whether it came from a folder.
    fn briefing_files(&self, root: &Path, rels: Vec<PathBuf>) -> Vec<(PathBuf, bool)> {
        let briefings = Path::new("content").join(source::BRIEFINGS_DIR);
        let mut files = Vec::with_capacity(rels.len());
        for rel in rels {
            let folder = root.join(&rel);
            if !rel.starts_with(&briefings) || self.by_path.contains_key(&rel) {
                files.push((rel, false));
            } else if folder.is_dir() {
                let walk = walkdir::WalkDir::new(&folder).sort_by(source::by_name);
                let inside = (walk.into_iter().filter_map(Result::ok))
                    .filter(|entry| entry.file_type().is_file())
                    .filter_map(|entry| Some(entry.path().strip_prefix(root).ok()?.to_path_buf()));
                files.extend(inside.map(|file| (file, true)));
            } else if folder.exists() {
                files.push((rel, false));
            } else {
                let mut known: Vec<&PathBuf> = self
                    .by_path
                    .keys()
                    .filter(|path| path.starts_with(&rel))
                    .collect();
                known.sort();
                if known.is_empty() {
                    files.push((rel, false));
                } else {
                    files.extend(known.into_iter().map(|file| (file.clone(), true)));
                }
            }
        }
        // A file named on its own and inside a folder too (moved into a
        // new folder) is one change, its own.
        files.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        files.dedup_by(|later, first| later.0 == first.0);
        files
    }

    /// The briefing whose slug `briefing` (in a file the archive does not
    /// know) has, when that briefing's file is gone: it moved to this one.
    fn moved_from(&self, root: &Path, briefing: &Briefing) -> Option<BriefingId> {
        let entries = &self.archive.entries;
        let id = entries
            .iter()
            .position(|entry| entry.briefing.slug == briefing.slug)?;
        is_gone(root, &entries[id].briefing.file.path).then_some(id)
    }

    /// Briefing `id`, moved to the file at `to` where it is now `briefing`
    /// ([`Built::moved_from`]): an edit in place when it keeps its date and
    /// draft flag and its tags can change in place ([`Built::retag`]);
    /// taken out and put back where it goes when its date or draft flag
    /// changed too (if it can be taken out).
    fn renamed(&self, id: BriefingId, to: PathBuf, briefing: Briefing) -> Option<Changed> {
        let old = &self.archive.entries[id].briefing;
        if !same_spot(old, &briefing) {
            return self.can_remove(id).then(|| Changed::Moved {
                id,
                from: old.file.path.clone(),
                to,
                briefing,
            });
        }
        let retag = if old.tags == briefing.tags {
            None
        } else {
            Some(self.retag(id, &briefing)?)
        };
        Some(Changed::Renamed {
            id,
            to,
            briefing,
            retag,
        })
    }

    /// Where a new `briefing` goes in the archive (newest first, then by
    /// slug) and the terms it names that the archive does not have yet
    /// ([`Built::new_terms`]), when it can be added in place: its slug is
    /// free (a year without briefings gets its page with it). A term it
    /// names that has no profile must keep its URL (see
    /// [`Built::keeps_url`]).
    fn place(&self, briefing: &Briefing) -> Option<(BriefingId, Vec<(usize, Term)>)> {
        let entries = &self.archive.entries;
        if entries.iter().any(|e| e.briefing.slug == briefing.slug) {
            return None;
        }
        let at = entries.partition_point(|e| {
            let other = &e.briefing;
            other.date > briefing.date
                || (other.date == briefing.date && other.slug < briefing.slug)
        });
        let new = self
            .new_terms(briefing)
            .filter(|new| new.is_empty() || self.terms_may_change())?;
        let lookup = self.lookup();
        for (t, taxonomy) in self.archive.taxonomies.iter().enumerate() {
            let names = briefing.tags.get(t).map(Vec::as_slice).unwrap_or(&[]);
            for term in known_terms(lookup, briefing, t) {
                let entry = &taxonomy.terms[term];
                // Newest first is ascending ids: from `at` on, it comes first.
                let first_namer = entry.briefings.first().is_none_or(|&first| at <= first);
                if entry.profile.is_none() && first_namer {
                    let spelling = names
                        .iter()
                        .find(|name| lookup.resolve(t, name) == Some(term));
                    if spelling.is_none_or(|name| !same_url(entry, name)) {
                        return None;
                    }
                }
            }
        }
        Some((at, new))
    }

    /// The change of the profile file at `rel` (edited, written or deleted)
    /// when its term keeps its URL and its name (but for its spelling: case,
    /// accents), and every briefing naming the
    /// term still names it while no other term's name becomes its: an edit
    /// of a profile, a new profile for a term briefings name (the name they
    /// give it, at the URL they give it), or a deleted one for a term they
    /// still name (and spell as the profile did). Its aliases and role may
    /// change. `None` for anything else, and for a profile that does not
    /// parse, which the full build reports; a profile that comes or goes
    /// with an entity nothing names is [`Built::profile_comes_or_goes`]'s.
    fn reprofile(&self, root: &Path, rel: &Path) -> Option<Changed> {
        let t = source::profile_taxonomy(rel, &self.config)?;
        let terms = &self.archive.taxonomies[t].terms;
        let held = terms.iter().position(|term| {
            term.profile
                .as_ref()
                .is_some_and(|profile| profile.file.path == rel)
        });
        let profile = if is_gone(root, rel) {
            None
        } else {
            let file = source::read_file(root, &root.join(rel)).ok()?;
            Some(front_matter::parse_profile(&file, t).ok()?)
        };
        let i = match (held, &profile) {
            (Some(i), _) => i,
            (None, Some(new)) => terms
                .iter()
                .position(|term| term.profile.is_none() && term.slug == new.slug)?,
            (None, None) => return None,
        };
        let term = &terms[i];
        // Its name may change in spelling only (case, accents, spaces):
        // its place among the terms and its URL stay.
        let names: Vec<&str> = match &profile {
            Some(new) => {
                if new.slug != term.slug || fold(&new.name) != fold(&term.name) {
                    return None;
                }
                std::iter::once(&new.name)
                    .chain(&new.aliases)
                    .map(String::as_str)
                    .collect()
            }
            None => {
                // Named by its briefings alone, as the newest spells it.
                let &newest = term.briefings.first()?;
                let tags = self.archive.entries[newest].briefing.tags.get(t)?;
                let spelling = tags.iter().find(|tag| fold(tag) == fold(&term.name))?;
                if Slug::from_name(spelling).ok()? != term.slug {
                    return None;
                }
                vec![spelling.as_str()]
            }
        };
        let lookup = self.lookup();
        let anothers = |name: &&str| lookup.resolve(t, name).is_some_and(|other| other != i);
        if names.iter().any(anothers) {
            return None;
        }
        let folded: Vec<String> = names.iter().map(|name| fold(name)).collect();
        let still_named = term.briefings.iter().all(|&b| {
            let tags = self.archive.entries[b].briefing.tags.get(t);
            tags.into_iter()
                .flatten()
                .filter(|tag| lookup.resolve(t, tag) == Some(i))
                .all(|tag| folded.contains(&fold(tag)))
        });
        if !still_named {
            return None;
        }
        let renamed = names_of(term) != names;
        let name = names.first()?.to_string();
        Some(Changed::Profile {
            term: (t, i),
            name,
            profile,
            renamed,
        })
    }

    /// Gives term `key` its profile as it is now (`profile`, `None` when
    /// deleted: see [`Built::reprofile`]), and renders what shows it: with
    /// its names (`renamed`: its aliases changed) the mention automaton is
    /// made again, and the briefings naming an alias that came or went are
    /// rendered again (with every mention linked, a new role changes the
    /// link at each of its names).
    fn reprofiled(
        &mut self,
        key: TermRef,
        name: String,
        profile: Option<Profile>,
        renamed: bool,
        sink: &InPlace,
    ) -> Result<RenderStats, Diagnostics> {
        let (t, i) = key;
        let newest = self.archive.taxonomies[t].terms[i].briefings.first();
        let origin = match (&profile, newest) {
            (Some(profile), _) => profile.file.path.clone(),
            (None, Some(&newest)) => self.archive.entries[newest].briefing.file.path.clone(),
            (None, None) => self.archive.taxonomies[t].terms[i].origin.clone(),
        };
        let term = &mut self.archive.taxonomies[t].terms[i];
        let before: Vec<String> = names_of(term).into_iter().map(str::to_owned).collect();
        let role = |term: &Term| term.profile.as_ref().and_then(|p| p.role.clone());
        let old_role = role(term);
        let respelled = term.name != name;
        term.name = name;
        term.profile = profile;
        term.origin = origin;
        let term = &self.archive.taxonomies[t].terms[i];
        let role = old_role != role(term);
        let links_all = self.config.mention_scope == MentionScope::All;
        let linked = self.config.mentions != MentionMode::None && (renamed || role && links_all);
        let after = names_of(term);
        // Every mention of the term shows its role when every mention links;
        // otherwise only where a name came or went can a link change.
        let names: Vec<&str> = if role && links_all {
            before.iter().map(String::as_str).chain(after).collect()
        } else {
            let came = after
                .iter()
                .copied()
                .filter(|name| !before.iter().any(|b| b == name));
            let went = before
                .iter()
                .map(String::as_str)
                .filter(|name| !after.contains(name));
            came.chain(went).collect()
        };
        let (config, archive, prepared) = (&self.config, &self.archive, &mut self.prepared);
        // The automaton is made on one thread while the texts are searched
        // on the others.
        let ((), naming) = rayon::join(
            || {
                if renamed {
                    prepared.terms_settled(config, archive);
                }
            },
            || match linked {
                true => mentions::naming(archive, &names),
                false => Vec::new(),
            },
        );
        if renamed {
            self.lookup = OnceLock::new();
        }
        let change = render::Reprofiled {
            term: key,
            role,
            respelled,
            naming,
        };
        render::rerender_profile(
            &self.config,
            &self.archive,
            &self.templates,
            &self.highlighter,
            &mut self.prepared,
            &change,
            sink,
        )
        .map_err(Diagnostics)
    }

    /// A profile file at `rel` that came or went, when that can go in
    /// place: a new profile for an entity nothing names yet (none of its
    /// names and aliases is a term's, its URL is free), which becomes a
    /// term of its own with no briefings; or a deleted one whose term no
    /// briefing names, which goes with it. `None` for anything else (a
    /// profile for someone briefings already name changes how every page
    /// shows them), which is a full build.
    fn profile_comes_or_goes(&self, root: &Path, rel: &Path) -> Option<Changed> {
        if !self.terms_may_change() {
            return None;
        }
        let t = source::profile_taxonomy(rel, &self.config)?;
        let held = self.archive.taxonomies[t].terms.iter().position(|term| {
            term.profile
                .as_ref()
                .is_some_and(|profile| profile.file.path == rel)
        });
        if let Some(i) = held {
            let unnamed = self.archive.taxonomies[t].terms[i].briefings.is_empty();
            return (is_gone(root, rel) && unnamed)
                .then_some(Changed::ProfileGone { term: (t, i) });
        }
        let file = source::read_file(root, &root.join(rel)).ok()?;
        let profile = front_matter::parse_profile(&file, t).ok()?;
        let lookup = self.lookup();
        let mut names = std::iter::once(&profile.name).chain(&profile.aliases);
        let taken = names.any(|name| lookup.resolve(t, name).is_some())
            || (self.archive.taxonomies[t].terms.iter()).any(|term| term.slug == profile.slug);
        (!taken).then_some(Changed::NewProfile {
            taxonomy: t,
            profile,
        })
    }

    /// Adds the term of `profile` (see [`Built::profile_comes_or_goes`]) to
    /// taxonomy `t` and renders what shows it.
    fn add_profile(
        &mut self,
        t: usize,
        profile: Profile,
        sink: &InPlace,
    ) -> Result<RenderStats, Diagnostics> {
        let names: Vec<(usize, String)> = std::iter::once(&profile.name)
            .chain(&profile.aliases)
            .map(|name| (t, name.clone()))
            .collect();
        let at = self.archive.add_term(t, Term::profiled(profile));
        self.prepared
            .insert_term(&self.config, &self.archive, (t, at));
        self.lookup = OnceLock::new();
        let mut terms = self.settle_terms(&names, &[], &Retagged::default(), &[]);
        terms.came.push((t, at));
        self.rerender_terms(&terms, sink)
    }

    /// Takes term `key` out with its deleted profile (see
    /// [`Built::profile_comes_or_goes`]) and renders what showed it.
    fn remove_profile(&mut self, key: TermRef, sink: &InPlace) -> Result<RenderStats, Diagnostics> {
        let (t, i) = key;
        let term = self.archive.remove_term(t, i);
        self.prepared.remove_term(key);
        self.lookup = OnceLock::new();
        let terms = self.settle_terms(&[], &[(t, term)], &Retagged::default(), &[]);
        self.rerender_terms(&terms, sink)
    }

    /// The folders static files are copied from, relative to the site
    /// root, the one that wins last: the theme's, then the site's.
    fn static_dirs(&self) -> [PathBuf; 2] {
        [
            self.config.theme_dir(Path::new("")).join("static"),
            PathBuf::from("static"),
        ]
    }

    /// For `rel`, a file in a static folder ([`Built::static_dirs`]) of the
    /// site at `root`: its site path in the output (`output`), when it can
    /// be copied (or removed) alone; `Some(None)` when it cannot: a folder
    /// (in a static folder or in the output), or a path the site also makes
    /// a file at (a page, a feed, the sitemap, `robots.txt`, `syntax.css`,
    /// the search index), which the full build settles. `None` if `rel` is
    /// in no static folder.
    fn static_file(&self, root: &Path, output: &Path, rel: &Path) -> Option<Option<String>> {
        let dirs = self.static_dirs();
        let inner = dirs.iter().find_map(|dir| rel.strip_prefix(dir).ok())?;
        let path = inner.to_str().filter(|path| !path.is_empty())?;
        let generated = path.ends_with(".html")
            || path.ends_with(".xml")
            || [".nojekyll", "CNAME", "robots.txt", "syntax.css"].contains(&path)
            || inner.starts_with(crate::search::BUNDLE_DIR);
        let mut folders = dirs
            .iter()
            .map(|dir| root.join(dir))
            .chain([output.to_path_buf()]);
        let folder = folders.any(|dir| dir.join(inner).is_dir());
        Some((!generated && !folder).then(|| path.to_string()))
    }

    /// Copies static file `path` (a site path, see [`Built::static_file`])
    /// into the output from the last static folder that has it, or removes
    /// it from the output when none does.
    fn copy_static(&self, root: &Path, path: &str, sink: &InPlace) -> Result<(), Diagnostics> {
        let dirs = self.static_dirs();
        let source = dirs.iter().rev().map(|dir| root.join(dir).join(path));
        match source.into_iter().find(|file| file.is_file()) {
            Some(file) => sink.copy(path, &file),
            None => sink.remove(path),
        }
        .map_err(|d| Diagnostics(vec![d]))
    }

    fn rerender_terms(
        &mut self,
        terms: &TermsChanged,
        sink: &InPlace,
    ) -> Result<RenderStats, Diagnostics> {
        render::rerender_terms(
            &self.config,
            &self.archive,
            &self.templates,
            &self.highlighter,
            &mut self.prepared,
            terms,
            sink,
        )
        .map_err(Diagnostics)
    }

    /// Whether `term`, which briefing `id` names after the edit (`names`)
    /// or not, keeps its URL. A term without a profile is named as the
    /// newest briefing naming it spells it (the index numbers terms in
    /// briefing order): when that briefing is or was `id`, the spelling
    /// now first may differ from the term's name in case or accents (the
    /// term is respelled after the change: `Built::respell`), but not in
    /// its URL.
    fn keeps_url(
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
        spelling.is_some_and(|name| same_url(entry, name))
    }

    /// After a change of the index around briefing terms `touched` (the
    /// terms a briefing named before or after it, or gained or lost): each
    /// one without a profile is named again as the newest briefing naming
    /// it spells it, as a build names it ([`Built::keeps_url`] checked the
    /// URL stays). Returns the terms respelled, with their old names.
    fn respell(&mut self, touched: &[TermRef]) -> Vec<(TermRef, String)> {
        let mut respelled = Vec::new();
        for &(t, i) in touched {
            let Some(term) = self.archive.taxonomies.get(t).and_then(|x| x.terms.get(i)) else {
                continue;
            };
            let Some(&newest) = term.briefings.first().filter(|_| term.profile.is_none()) else {
                continue;
            };
            let key = fold(&term.name);
            let tags = self.archive.entries[newest].briefing.tags.get(t);
            let spelling = tags.into_iter().flatten().find(|tag| fold(tag) == key);
            if let Some(spelling) = spelling.filter(|spelling| **spelling != term.name) {
                let spelling = spelling.clone();
                let old =
                    std::mem::replace(&mut self.archive.taxonomies[t].terms[i].name, spelling);
                self.prepared
                    .relink_term(&self.config, &self.archive, (t, i));
                respelled.push(((t, i), old));
            }
        }
        respelled.sort();
        respelled.dedup_by(|a, b| a.0 == b.0);
        respelled
    }
}

/// Whether `spelling`, a name that resolves to `term`, keeps its URL as the
/// term's name: the name itself, or the name in other case or accents with
/// the same URL.
fn same_url(term: &Term, spelling: &str) -> bool {
    spelling == term.name || Slug::from_name(spelling).is_ok_and(|slug| slug == term.slug)
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
    /// Edited where it is: the briefing as it is now, and the terms it
    /// names that are new, when its tags changed ([`Built::retag`]).
    Edited {
        id: BriefingId,
        briefing: Briefing,
        retag: Option<Vec<(usize, Term)>>,
    },
    /// A new briefing (its file relative to the site root), where it goes
    /// and the terms it names that are new ([`Built::place`]).
    Added {
        at: BriefingId,
        file: PathBuf,
        briefing: Briefing,
        new: Vec<(usize, Term)>,
    },
    /// A briefing whose file moved (renamed, or into another folder) and
    /// that keeps its slug, date and draft flag: `id`, its file now (`to`,
    /// relative to the site root) and the briefing as it is there, with
    /// `retag` as for an edit ([`Built::renamed`]).
    Renamed {
        id: BriefingId,
        to: PathBuf,
        briefing: Briefing,
        retag: Option<Vec<(usize, Term)>>,
    },
    /// A briefing that left the site: its file is gone, or it is now a
    /// draft the site does not show ([`Built::can_remove`]).
    Removed { id: BriefingId, file: PathBuf },
    /// A briefing whose date, slug or draft flag changed, so its place in
    /// the archive may have: taken out, then added again where it goes now
    /// ([`Built::place`], asked once it is out; a full build if it says no).
    /// Its file was `from` and is `to` (the same file, or a file renamed,
    /// which renames its slug when it has no `slug:`).
    Moved {
        id: BriefingId,
        from: PathBuf,
        to: PathBuf,
        briefing: Briefing,
    },
    /// The profile of `term` as it is now (`None`: deleted), the term
    /// keeping its URL and its name but for its spelling (`name`, as it is
    /// now: see [`Built::reprofile`]); `renamed` when its name or aliases
    /// changed.
    Profile {
        term: TermRef,
        name: String,
        profile: Option<Profile>,
        renamed: bool,
    },
    /// A new profile of taxonomy `taxonomy`, for an entity nothing names
    /// yet ([`Built::profile_comes_or_goes`]).
    NewProfile { taxonomy: usize, profile: Profile },
    /// The profile of `term`, which no briefing names, deleted: the term
    /// goes.
    ProfileGone { term: TermRef },
    /// A static file written or removed: `path` in the output, copied from
    /// the static folder that has it now (the site's before the theme's),
    /// or removed when neither does ([`Built::static_file`]).
    Static { path: String },
}

impl Changed {
    /// Whether it moves things in the index, or the names that resolve to
    /// its terms, which are worked out against the index as it was: one
    /// such change per rebuild, or a full build.
    fn moves_index(&self) -> bool {
        !matches!(
            self,
            Changed::Edited { retag: None, .. }
                | Changed::Renamed { retag: None, .. }
                | Changed::Profile { renamed: false, .. }
                | Changed::Static { .. }
        )
    }
}

/// How a rebuild will go.
enum Plan {
    /// Nothing the site is made from changed (an editor's swap file, say).
    Nothing,
    /// These briefings changed in place.
    Briefings(Vec<Changed>),
    /// Templates alone changed: every page, from what was read before.
    Templates,
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

    /// Has the first search index copy what it can from the bundle a
    /// `dossier build` left in `folder` (see
    /// [`Background::take_parts_from`]).
    pub fn take_search_parts_from(&mut self, folder: PathBuf) {
        self.search.take_parts_from(folder);
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

    /// Builds the whole site again after a change to templates alone: the
    /// templates loaded again, every page rendered from what the last build
    /// read and indexed (nothing read again), staged and swapped in as
    /// [`Session::build`] does. Without a last good build, a full build.
    pub fn rebuild_templates(&mut self) -> Result<BuildReport, Diagnostics> {
        let Some(last) = self.last.take() else {
            return self.build();
        };
        self.search_pages = None;
        let (report, built) = crate::rebuild_templates(&self.options, last, &mut self.search)?;
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
        // An index still running is left to finish: an in-place rebuild's
        // own index follows it and makes again only what changed; a full
        // build stops it when its site is swapped in (one that fails leaves
        // it to finish for the site still served).
        match plan {
            Plan::Nothing => Ok(None),
            Plan::Full => self.build().map(Some),
            Plan::Templates => self.rebuild_templates().map(Some),
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
        let mut rels = Vec::with_capacity(changed.len());
        for path in changed {
            let path = if path.is_relative() {
                root.join(path)
            } else {
                path.clone()
            };
            match absolute(&path).strip_prefix(&root) {
                Ok(rel) => rels.push(rel.to_path_buf()),
                Err(_) => return Plan::Full,
            }
        }
        if last.templates_alone(&rels) {
            return Plan::Templates;
        }
        let mut edits = Vec::new();
        for (rel, in_folder) in last.briefing_files(&root, rels) {
            if is_noise(&rel) {
                continue;
            }
            if let Some(copied) = last.static_file(&self.options.root, &self.options.output, &rel) {
                match copied {
                    Some(path) => edits.push(Changed::Static { path }),
                    None => return Plan::Full,
                }
                continue;
            }
            if !source::is_briefing(&rel) {
                match (last.reprofile(&self.options.root, &rel))
                    .or_else(|| last.profile_comes_or_goes(&self.options.root, &rel))
                {
                    Some(change) => {
                        edits.push(change);
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
                if let Some(id) = last.moved_from(&self.options.root, &briefing) {
                    match last.renamed(id, rel, briefing) {
                        Some(change) => edits.push(change),
                        None => return Plan::Full,
                    }
                    continue;
                }
                let Some((at, new)) = last.place(&briefing) else {
                    return Plan::Full;
                };
                edits.push(Changed::Added {
                    at,
                    file: rel,
                    briefing,
                    new,
                });
                continue;
            };
            let Some(briefing) = reparsed else {
                // Gone (whether it can go in place is known once every
                // change is: it may have moved to another file); or
                // unreadable or invalid: the full build says why.
                if is_gone(&self.options.root, &rel) {
                    edits.push(Changed::Removed { id, file: rel });
                    continue;
                }
                return Plan::Full;
            };
            let old = &last.archive.entries[id].briefing;
            if in_folder && old.file.text == briefing.file.text {
                // Unchanged, in a folder that changed around it.
                continue;
            }
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
                        from: rel.clone(),
                        to: rel,
                        briefing,
                    }
                });
                continue;
            }
            let retag = if old.tags == briefing.tags {
                None
            } else {
                match last.retag(id, &briefing) {
                    Some(new) => Some(new),
                    None => return Plan::Full,
                }
            };
            edits.push(Changed::Edited {
                id,
                briefing,
                retag,
            });
        }
        // A briefing that moved to another file is not removed.
        let mut moved = HashSet::new();
        for change in &edits {
            if let Changed::Renamed { id, .. } = change
                && !moved.insert(*id)
            {
                return Plan::Full; // two files claim it
            }
        }
        edits.retain(|change| !matches!(change, Changed::Removed { id, .. } if moved.contains(id)));

        let removed = edits.iter().filter_map(|change| match change {
            Changed::Removed { id, .. } => Some(*id),
            _ => None,
        });
        if removed.into_iter().any(|id| !last.can_remove(id)) {
            return Plan::Full;
        }
        let edits = as_move(edits);
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
            if !matches!(
                change,
                Changed::Edited { .. }
                    | Changed::Renamed { .. }
                    | Changed::Profile { .. }
                    | Changed::Static { .. }
            ) {
                self.search_pages = None;
            }
            let done = match change {
                Changed::Removed { id, file } => Some(last.remove(id, &file, &sink)?),
                Changed::Added {
                    at,
                    file,
                    briefing,
                    new,
                } => last.add(at, file, briefing, new, &sink)?,
                Changed::Moved {
                    id,
                    from,
                    to,
                    briefing,
                } => {
                    let mut moved = last.remove(id, &from, &sink)?;
                    // Out, but perhaps not back in place: the output is
                    // then the archive without it; build it all with it.
                    match last.place(&briefing) {
                        Some((at, new)) => last.add(at, to, briefing, new, &sink)?.map(|added| {
                            moved += added;
                            moved
                        }),
                        None => None,
                    }
                }
                Changed::Profile {
                    term,
                    name,
                    profile,
                    renamed,
                } => Some(last.reprofiled(term, name, profile, renamed, &sink)?),
                Changed::Edited {
                    id,
                    briefing,
                    retag,
                } => last.edit(id, briefing, retag, &sink)?,
                Changed::Renamed {
                    id,
                    to,
                    briefing,
                    retag,
                } => {
                    let old = &last.archive.entries[id].briefing;
                    last.by_path.remove(&old.file.path);
                    last.by_path.insert(to, id);
                    if old.file.text == briefing.file.text {
                        // The same text elsewhere: no page can have changed.
                        last.archive.entries[id].briefing = briefing;
                        Some(RenderStats::default())
                    } else {
                        last.edit(id, briefing, retag, &sink)?
                    }
                }
                Changed::NewProfile { taxonomy, profile } => {
                    Some(last.add_profile(taxonomy, profile, &sink)?)
                }
                Changed::ProfileGone { term } => Some(last.remove_profile(term, &sink)?),
                Changed::Static { path } => {
                    last.copy_static(&self.options.root, &path, &sink)?;
                    Some(RenderStats::default())
                }
            };
            match done {
                Some(done) => stats += done,
                None => {
                    full = true;
                    break;
                }
            }
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
                crate::search_site(&last.config),
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
            search_reuse: None,
        })
    }
}

/// `edits` with one briefing gone and one come (a file renamed, its slug
/// with it: `content/…/rome.md` to `…/rome-meeting.md`) made one move: taken
/// out, then put back where it goes, as one change.
fn as_move(edits: Vec<Changed>) -> Vec<Changed> {
    let [one, other]: [Changed; 2] = match edits.try_into() {
        Ok(pair) => pair,
        Err(edits) => return edits,
    };
    match (one, other) {
        (
            Changed::Removed { id, file: from },
            Changed::Added {
                file: to, briefing, ..
            },
        )
        | (
            Changed::Added {
                file: to, briefing, ..
            },
            Changed::Removed { id, file: from },
        ) => {
            vec![Changed::Moved {
                id,
                from,
                to,
                briefing,
            }]
        }
        (one, other) => vec![one, other],
    }
}

/// The terms of taxonomy `t` that `briefing` names and the archive has,
/// each once, in the order it names them.
fn known_terms(lookup: &TermLookup, briefing: &Briefing, t: usize) -> Vec<usize> {
    let names = briefing.tags.get(t).map(Vec::as_slice).unwrap_or(&[]);
    let mut terms: Vec<usize> = Vec::with_capacity(names.len());
    for term in names.iter().filter_map(|name| lookup.resolve(t, name)) {
        if !terms.contains(&term) {
            terms.push(term);
        }
    }
    terms
}

/// The terms of taxonomy `t` that `briefing` names, each once, in the order
/// it names them; `None` if a name is no term of the archive.
fn terms_named(lookup: &TermLookup, briefing: &Briefing, t: usize) -> Option<Vec<usize>> {
    let names = briefing.tags.get(t).map(Vec::as_slice).unwrap_or(&[]);
    let known = names.iter().all(|name| lookup.resolve(t, name).is_some());
    known.then(|| known_terms(lookup, briefing, t))
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Whether the file at `rel` under `root` is gone (not merely unreadable).
fn is_gone(root: &Path, rel: &Path) -> bool {
    matches!(
        std::fs::symlink_metadata(root.join(rel)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound
    )
}

/// `term`'s name, then its profile's aliases: the names that resolve to it.
fn names_of(term: &Term) -> Vec<&str> {
    let aliases = term.profile.iter().flat_map(|p| p.aliases.iter());
    std::iter::once(&term.name)
        .chain(aliases)
        .map(String::as_str)
        .collect()
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
