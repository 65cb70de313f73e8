//! Building the same site again and again, as `serve` does: a [`Session`]
//! keeps what the last good build worked out, so an edit to one briefing
//! re-renders only the pages that show it.
//!
//! The fast path takes an edit that leaves a briefing's slug, dates, draft
//! flag and tags as they were: the index (terms, neighbours, related
//! briefings, timelines) cannot have changed, so the briefing is swapped into
//! the archive and [`render::rerender_briefing`] rewrites its page, the pages
//! that link to it and the listing pages that show its card, in place.
//! Anything else (a new or deleted file, a changed tag or date, a profile,
//! a template, the config, static files) is a full build into staging with
//! the atomic swap, exactly as `dossier build` does. After a failed build
//! the next one is full too, so no problem can hide behind a fast path.
//!
//! The search index is the one thing the fast path leaves behind: Pagefind
//! builds its index from every page at once, which takes seconds on a large
//! archive, so an in-place edit keeps the index of the last full build
//! (search finds the briefing under its old words) until the next full one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::config::{BuildOptions, SiteConfig};
use crate::diag::Diagnostics;
use crate::highlight::Highlighter;
use crate::index::{Archive, BriefingId};
use crate::model::Briefing;
use crate::output::InPlace;
use crate::render::{self, Prepared, templates::Templates};
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
        }
    }
}

/// A site built once and rebuilt on every change.
pub struct Session {
    options: BuildOptions,
    /// The last good build, when the output on disk is exactly its output.
    last: Option<Built>,
}

/// How a rebuild will go.
enum Plan {
    /// Nothing the site is made from changed (an editor's swap file, say).
    Nothing,
    /// These briefings changed in place: `(id, the briefing as it is now)`.
    Briefings(Vec<(BriefingId, Briefing)>),
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
            let Some(&id) = last.by_path.get(&rel) else {
                return Plan::Full; // a new briefing, or a draft becoming visible
            };
            match reparse(&self.options.root, &rel, &last.config) {
                Some(briefing) if same_place(&last.archive.entries[id].briefing, &briefing) => {
                    edits.push((id, briefing));
                }
                // Deleted, unreadable, invalid or moved: the full build says why.
                _ => return Plan::Full,
            }
        }
        if edits.is_empty() {
            Plan::Nothing
        } else {
            Plan::Briefings(edits)
        }
    }

    fn rerender(
        &mut self,
        edits: Vec<(BriefingId, Briefing)>,
        started: Instant,
    ) -> Result<BuildReport, Diagnostics> {
        let Some(last) = self.last.as_mut() else {
            return self.build();
        };
        let mut clock = Stopwatch::new();
        let sink = InPlace::new(&self.options.output);
        let mut stats = render::RenderStats::default();
        for (id, briefing) in edits {
            last.archive.entries[id].briefing = briefing;
            let pages = render::rerender_briefing(
                &last.config,
                &last.archive,
                &last.templates,
                &last.highlighter,
                &mut last.prepared,
                id,
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

/// Whether `new` sits where `old` did in the index: same slug, date, draft
/// flag and tags, so no other briefing's neighbours, terms or related list
/// moved; and the same `updated`, so no page's date in the sitemap changed.
fn same_place(old: &Briefing, new: &Briefing) -> bool {
    old.slug == new.slug
        && old.date == new.date
        && old.updated == new.updated
        && old.draft == new.draft
        && old.tags == new.tags
}
