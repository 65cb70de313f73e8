//! dossier: a static site generator for annotated briefing archives.
//!
//! [`build`] is the whole pipeline, stage by stage:
//! load config → read `content/` → parse front matter → index entities →
//! render Markdown and templates → write atomically. Each stage lives in its
//! own module and reports problems as [`diag::Diagnostic`]s; a build that
//! found any error writes nothing and returns all of them.
//!
//! [`load`] runs the same stages up to the index and writes nothing: it is
//! what the editor commands (`check`, `annotate`, `new`) start from.
//!
//! [`serve`] (behind the default `serve` feature) previews the site: it runs
//! [`build`] into a folder of its own on every save and reloads the browser.

#![forbid(unsafe_code)]

pub mod annotate;
pub mod check;
pub mod cli;
pub mod config;
pub mod diag;
pub mod front_matter;
pub mod highlight;
pub mod index;
pub mod linkcheck;
pub mod markdown;
pub mod mentions;
pub mod model;
pub mod new;
pub mod output;
pub mod render;
pub mod search;
#[cfg(feature = "serve")]
pub mod serve;
pub mod session;
pub mod source;
mod swar;
pub mod url;

use std::time::{Duration, Instant};

use rayon::prelude::*;

use config::{BuildOptions, SiteConfig};
use diag::{Diagnostic, Diagnostics};
use index::Archive;
use model::{Briefing, Profile};
use output::{OutputStats, Staging};
use render::{PageSink, RenderStats, templates::Templates};
use source::Sources;

/// What a successful build made.
#[derive(Debug)]
pub struct BuildReport {
    pub briefings: usize,
    pub render: RenderStats,
    pub output: OutputStats,
    pub elapsed: Duration,
    /// Problems that did not stop the build.
    pub warnings: Vec<Diagnostic>,
    /// How long each stage took, in order (`dossier build --timings`).
    pub timings: Vec<(&'static str, Duration)>,
    /// Only the pages an edit touched were rendered ([`session::Session::rebuild`]).
    pub incremental: bool,
    /// With the search index made in the build: what it took from the
    /// last build's output (parts as they were, records of pages not read).
    pub search_reuse: Option<search::Reuse>,
}

impl BuildReport {
    /// "Built 2 briefings, 37 term pages, 61 files in 41 ms".
    pub fn summary(&self) -> String {
        if self.incremental && self.render.pages == 0 {
            // Static files copied, feeds or the sitemap made again.
            return format!(
                "Updated {} file{} in {} ms",
                self.output.files,
                plural(self.output.files),
                self.elapsed.as_millis()
            );
        }
        if self.incremental {
            return format!(
                "Rebuilt {} page{} in {} ms",
                self.render.pages,
                plural(self.render.pages),
                self.elapsed.as_millis()
            );
        }
        format!(
            "Built {} briefing{}, {} term page{}, {} files in {} ms",
            self.briefings,
            plural(self.briefings),
            self.render.term_pages,
            plural(self.render.term_pages),
            self.output.files,
            self.elapsed.as_millis()
        )
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Builds the site described by `options` into its output folder.
pub fn build(options: &BuildOptions) -> Result<BuildReport, Diagnostics> {
    build_staged(options, Texts::Release, None).map(|(report, _)| report)
}

/// [`build`] for a process that exits right after it (`dossier build`): what
/// the build worked out (sources, index, cards) is left for the operating
/// system to reclaim at exit rather than freed allocation by allocation,
/// which takes a quarter of a second at 100,000 briefings. The output is
/// complete before this returns.
pub fn build_then_exit(options: &BuildOptions) -> Result<BuildReport, Diagnostics> {
    build_staged(options, Texts::Release, None).map(|(report, staged)| {
        std::mem::forget(staged);
        report
    })
}

/// [`build`], also returning what a [`session::Session`] keeps to rebuild
/// part of the site later. The search index follows in `search`'s thread,
/// after the site is swapped in.
fn build_all(
    options: &BuildOptions,
    search: &mut search::background::Background,
) -> Result<(BuildReport, session::Built), Diagnostics> {
    let (report, staged) = build_staged(options, Texts::Keep, Some(search))?;
    Ok((report, staged.into_built()))
}

/// Whether a build keeps the briefings' source texts once their pages are
/// rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Texts {
    /// In the archive: a [`session::Session`] renders pages from them again.
    Keep,
    /// Each freed as soon as its page is made (see [`render::render_site`]).
    Release,
}

/// [`build`], also returning what it worked out on the way. With `later`,
/// the search index is made after the swap, in its thread.
fn build_staged(
    options: &BuildOptions,
    texts: Texts,
    later: Option<&mut search::background::Background>,
) -> Result<(BuildReport, Staged), Diagnostics> {
    let started = Instant::now();
    let mut clock = Stopwatch::new();
    let search = if later.is_some() {
        Search::Later
    } else {
        Search::InBuild
    };
    let staged = stage(options, texts, search, &mut clock)?;
    swap_in(options, staged, later, started, clock)
}

/// [`build_all`] again after a change to templates alone: the templates
/// loaded again, and the site rendered from the config, archive and
/// highlighter `last` kept (nothing read or indexed again), staged and
/// swapped in as a full build is.
fn rebuild_templates(
    options: &BuildOptions,
    last: session::Built,
    search: &mut search::background::Background,
) -> Result<(BuildReport, session::Built), Diagnostics> {
    let started = Instant::now();
    let mut clock = Stopwatch::new();
    let (config, archive, highlighter, content_warnings) = last.into_parts();
    let templates = Templates::load(&options.root, &config.theme_dir(&options.root))
        .map_err(|problems| sorted(Diagnostics(problems)))?;
    clock.lap("load templates");
    let inputs = Inputs {
        config,
        templates,
        archive,
        highlighter: Some(highlighter),
        warnings: Diagnostics(content_warnings),
    };
    let staged = stage_from(options, inputs, Texts::Keep, Search::Later, &mut clock)?;
    let (report, staged) = swap_in(options, staged, Some(search), started, clock)?;
    Ok((report, staged.into_built()))
}

/// The last stage of a build: `staging` (with what it `staged`) swapped in
/// as the output, the search index following in `later`'s thread if given.
fn swap_in(
    options: &BuildOptions,
    (staging, mut staged): (Staging, Staged),
    later: Option<&mut search::background::Background>,
    started: Instant,
    mut clock: Stopwatch,
) -> Result<(BuildReport, Staged), Diagnostics> {
    let output = match later {
        None => staging.commit().map_err(|d| Diagnostics(vec![d]))?,
        Some(later) => {
            let searched = staged.search_pages.is_some();
            let (output, number) = later
                .commit(staging, searched)
                .map_err(|d| Diagnostics(vec![d]))?;
            if let Some(pages) = staged.search_pages.take() {
                let site = search_site(&staged.config);
                let size = staged.config.search_part_size;
                later.index_later(site, pages, size, options.output.clone(), number, None);
            }
            output
        }
    };
    clock.lap("swap output");
    let report = BuildReport {
        briefings: staged.archive.entries.len(),
        render: staged.render,
        output,
        elapsed: started.elapsed(),
        warnings: std::mem::take(&mut staged.warnings),
        timings: clock.laps,
        incremental: false,
        search_reuse: staged.search_reuse,
    };
    Ok((report, staged))
}

/// Builds the site into a scratch folder outside it, hands that folder and
/// the config to `inspect`, and removes it: what `check --links` reads.
/// The site's own output is left alone.
pub fn build_scratch<T>(
    options: &BuildOptions,
    inspect: impl FnOnce(&std::path::Path, &SiteConfig) -> T,
) -> Result<T, Diagnostics> {
    let mut options = options.clone();
    options.output = std::env::temp_dir().join(format!("dossier-check-{}", std::process::id()));
    let (staging, staged) = stage(
        &options,
        Texts::Release,
        Search::InBuild,
        &mut Stopwatch::new(),
    )?;
    // Never committed: dropping the staging folder removes it.
    Ok(inspect(staging.dir(), &staged.config))
}

/// What a build worked out on the way to its staging folder.
struct Staged {
    config: SiteConfig,
    templates: Templates,
    archive: Archive,
    highlighter: highlight::Highlighter,
    prepared: render::Prepared,
    render: RenderStats,
    warnings: Vec<Diagnostic>,
    /// See [`BuildReport::search_reuse`].
    search_reuse: Option<search::Reuse>,
    /// The warnings of reading the content (in `warnings` too), which a
    /// later build from the same archive repeats.
    content_warnings: Vec<Diagnostic>,
    /// With [`Search::Later`] and search on: the briefing pages to index
    /// once the site is swapped in (output paths, in archive order).
    search_pages: Option<std::sync::Arc<[String]>>,
}

impl Staged {
    /// What a [`session::Session`] keeps of this build.
    fn into_built(self) -> session::Built {
        session::Built::new(
            self.config,
            self.templates,
            self.archive,
            self.highlighter,
            self.prepared,
            self.content_warnings,
        )
    }
}

/// When a build makes the search index (with `search: true`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Search {
    /// While the pages render, written before the swap (`dossier build`).
    InBuild,
    /// After the swap, from the pages written (`serve`: see `search::background`).
    Later,
}

/// Every stage of a build but the last: the site rendered into a staging
/// folder beside the output, not yet swapped in; with [`Search::InBuild`],
/// the search bundle in it.
fn stage(
    options: &BuildOptions,
    texts: Texts,
    search: Search,
    clock: &mut Stopwatch,
) -> Result<(Staging, Staged), Diagnostics> {
    let config = SiteConfig::load(options).map_err(Diagnostics)?;
    output::check_output_location(&options.root, &options.output)
        .map_err(|d| Diagnostics(vec![d]))?;

    let Loaded {
        config,
        templates,
        archive,
        diagnostics,
        ..
    } = load_content(options, config, clock);
    let (Some(templates), Some(archive)) = (templates, archive) else {
        return Err(sorted(diagnostics));
    };
    if diagnostics.has_errors() {
        return Err(sorted(diagnostics));
    }
    let inputs = Inputs {
        config,
        templates,
        archive,
        highlighter: None,
        warnings: diagnostics,
    };
    stage_from(options, inputs, texts, search, clock)
}

/// What a build renders from: the config, the templates and the archive
/// loaded without errors, and the warnings found on the way.
struct Inputs {
    config: SiteConfig,
    templates: Templates,
    archive: Archive,
    /// The highlighter of an earlier build, if there is one to reuse.
    highlighter: Option<highlight::Highlighter>,
    warnings: Diagnostics,
}

/// The stages of a build after loading (see [`stage`]), from `inputs`.
fn stage_from(
    options: &BuildOptions,
    inputs: Inputs,
    texts: Texts,
    search: Search,
    clock: &mut Stopwatch,
) -> Result<(Staging, Staged), Diagnostics> {
    let Inputs {
        config,
        templates,
        mut archive,
        highlighter,
        warnings: mut diagnostics,
    } = inputs;
    let content_warnings = diagnostics.0.clone();
    if config.search {
        let briefings = archive.entries.len();
        diagnostics.0.extend(search::parts::unmerged(
            &templates,
            briefings,
            config.search_part_size,
        ));
    }

    let staging = Staging::create(&options.output).map_err(|d| Diagnostics(vec![d]))?;
    let static_dirs = [
        config.theme_dir(&options.root).join("static"),
        options.root.join("static"),
    ];
    staging.copy_static(&static_dirs).map_err(Diagnostics)?;
    write_site_files(&config, &static_dirs, &staging).map_err(|d| Diagnostics(vec![d]))?;
    clock.lap("static files");
    let highlighter = highlighter.unwrap_or_default();
    let indexer = (config.search && search == Search::InBuild)
        .then(|| {
            search::Indexer::start(
                &search_site(&config),
                (briefing_pages(&archive), staging.dir()),
                config.search_part_size,
                search::Earlier::load(&options.output, &config.language)
                    .for_address(config.urls.base_url()),
            )
        })
        .transpose()
        .map_err(|d| Diagnostics(vec![d]))?;
    let sink = indexer.as_ref().map(|indexer| indexer.sink(&staging));
    let sink: &dyn PageSink = match &sink {
        Some(sink) => sink,
        None => &staging,
    };
    // What every page reads (URLs, summaries, term links) and the mention
    // automaton, made once; the summaries before the texts are taken.
    let (summaries, matcher) = rayon::join(
        || render::views::summaries(&archive),
        || mentions::Matcher::new(&archive),
    );
    let texts = match texts {
        Texts::Keep => archive.texts(),
        Texts::Release => archive.take_texts(),
    };
    let prepared = render::Prepared::new(&config, &archive, summaries, matcher);
    clock.lap("summaries and mentions");
    let (render, prepared) = render::render_site(
        &config,
        &archive,
        &templates,
        &highlighter,
        prepared,
        texts,
        sink,
    )
    .map_err(|problems| sorted(Diagnostics(problems)))?;
    clock.lap("render and write pages");
    let search_reuse = match indexer {
        Some(indexer) => Some(write_search_bundle(indexer, &staging, clock)?),
        None => None,
    };
    let search_pages =
        (config.search && search == Search::Later).then(|| briefing_pages(&archive).into());
    let staged = Staged {
        config,
        templates,
        archive,
        highlighter,
        prepared,
        render,
        warnings: diagnostics.0,
        search_reuse,
        content_warnings,
        search_pages,
    };
    Ok((staging, staged))
}

/// The files beside the pages: `syntax.css`; `.nojekyll` and, when `cname`
/// is set, `CNAME`, for GitHub Pages deploying from a branch; `robots.txt`
/// naming the sitemap, unless a static folder ships one.
fn write_site_files(
    config: &SiteConfig,
    static_dirs: &[std::path::PathBuf],
    staging: &Staging,
) -> Result<(), Diagnostic> {
    staging.write(".nojekyll", b"")?;
    staging.write("syntax.css", highlight::stylesheet().as_bytes())?;
    if let Some(cname) = &config.cname {
        staging.write("CNAME", format!("{cname}\n").as_bytes())?;
    }
    if !static_dirs.iter().any(|d| d.join("robots.txt").is_file()) {
        staging.write("robots.txt", render::robots_txt(&config.urls).as_bytes())?;
    }
    Ok(())
}

/// What the search index needs to know of the site.
pub(crate) fn search_site(config: &SiteConfig) -> search::Site {
    search::Site {
        language: config.language.clone(),
        base_url: config.urls.base_url().to_string(),
    }
}

/// The output path of every briefing page, in archive order.
pub(crate) fn briefing_pages(archive: &Archive) -> Vec<String> {
    archive
        .entries
        .iter()
        .map(|entry| {
            format!(
                "{}index.html",
                render::views::paths::briefing(entry.briefing.slug.as_str())
            )
        })
        .collect()
}

/// Waits for the search index (built while the pages rendered) and writes
/// its bundle under `pagefind/`.
fn write_search_bundle(
    indexer: search::Indexer,
    staging: &Staging,
    clock: &mut Stopwatch,
) -> Result<search::Reuse, Diagnostics> {
    let bundle = indexer.finish().map_err(|d| Diagnostics(vec![d]))?;
    let mut problems: Vec<Diagnostic> = bundle
        .files
        .par_iter()
        .filter_map(|file| staging.write(&file.path, &file.contents).err())
        .collect();
    problems.extend(
        bundle
            .in_place
            .par_iter()
            .filter_map(|path| staging.keep_previous(path).err())
            .collect::<Vec<_>>(),
    );
    if !problems.is_empty() {
        return Err(sorted(Diagnostics(problems)));
    }
    clock.lap("search index: wait, write");
    clock
        .laps
        .push(("search index: parts, summed", bundle.busy));
    Ok(bundle.reused)
}

/// The site as far as the pipeline goes without rendering: what `check`,
/// `annotate` and `new` work from, and what `build` renders.
pub struct Loaded {
    pub config: SiteConfig,
    /// `None` when a template failed to load or compile (the errors are in `diagnostics`).
    pub templates: Option<Templates>,
    /// `None` when the briefings and profiles could not be indexed (ditto).
    pub archive: Option<Archive>,
    /// Every problem found on the way, errors and warnings, unsorted.
    pub diagnostics: Diagnostics,
    /// How many briefing files were read (drafts and unparsable ones included).
    pub briefing_files: usize,
}

/// Runs the pipeline up to the index (config, templates, content, front
/// matter, index) and writes nothing. Fails only when the config cannot be
/// loaded; every other problem is in [`Loaded::diagnostics`], with as much
/// of the site as could be made despite it.
pub fn load(options: &BuildOptions) -> Result<Loaded, Diagnostics> {
    let config = SiteConfig::load(options).map_err(Diagnostics)?;
    Ok(load_content(options, config, &mut Stopwatch::new()))
}

/// The stages [`build`] and [`load`] share: templates, content, parse, index.
fn load_content(options: &BuildOptions, config: SiteConfig, clock: &mut Stopwatch) -> Loaded {
    let mut diagnostics = Diagnostics::default();
    let templates = Templates::load(&options.root, &config.theme_dir(&options.root));
    clock.lap("load templates");
    let (sources, read_problems) = source::read_content(&options.root, &config);
    diagnostics.extend(read_problems);
    clock.lap("read content");
    let (briefings, profiles) = parse(&sources, &config, options.drafts, &mut diagnostics);
    clock.lap("parse front matter");
    let templates = match templates {
        Ok(templates) => Some(templates),
        Err(problems) => {
            diagnostics.extend(problems);
            None
        }
    };
    let archive = match index::index(&config, briefings, profiles) {
        Ok(archive) => Some(archive),
        Err(problems) => {
            diagnostics.extend(problems);
            None
        }
    };
    clock.lap("index entities");
    Loaded {
        config,
        templates,
        archive,
        diagnostics,
        briefing_files: sources.briefings.len(),
    }
}

/// Times the stages of a build.
pub(crate) struct Stopwatch {
    last: Instant,
    laps: Vec<(&'static str, Duration)>,
}

impl Stopwatch {
    pub(crate) fn new() -> Self {
        Stopwatch {
            last: Instant::now(),
            laps: Vec::new(),
        }
    }

    pub(crate) fn lap(&mut self, stage: &'static str) {
        let now = Instant::now();
        self.laps.push((stage, now - self.last));
        self.last = now;
    }
}

fn sorted(mut diagnostics: Diagnostics) -> Diagnostics {
    diagnostics.sort();
    diagnostics
}

/// Parses every briefing and profile in parallel; drafts are dropped unless
/// asked for, after they have been checked like the rest.
fn parse(
    sources: &Sources,
    config: &SiteConfig,
    drafts: bool,
    diagnostics: &mut Diagnostics,
) -> (Vec<Briefing>, Vec<Profile>) {
    // Parsed straight into one vector, then unwrapped where it lies: a
    // partition would gather pieces and copy them into two new vectors
    // (30 MB of fresh memory twice over at 100,000 briefings).
    let mut parsed = Vec::with_capacity(sources.briefings.len());
    sources
        .briefings
        .par_iter()
        .map(|file| front_matter::parse_briefing(file, &config.taxonomies))
        .collect_into_vec(&mut parsed);
    let briefings: Vec<Briefing> = parsed
        .into_iter()
        .filter_map(|parsed| match parsed {
            Ok(briefing) => (drafts || !briefing.draft).then_some(briefing),
            Err(problem) => {
                diagnostics.push(problem);
                None
            }
        })
        .collect();
    let (profiles, problems): (Vec<_>, Vec<_>) = sources
        .profiles
        .par_iter()
        .map(|(taxonomy, file)| front_matter::parse_profile(file, *taxonomy))
        .partition_map(|r| match r {
            Ok(p) => rayon::iter::Either::Left(p),
            Err(d) => rayon::iter::Either::Right(d),
        });
    diagnostics.extend(problems);
    (briefings, profiles)
}
