//! Every rebuild `serve` makes goes through [`Rebuild::run`], and the loop
//! that feeds it: one build at a time, on its own thread, with the changes
//! that arrive during a build gathered into one follow-up build.
//!
//! [`Rebuild::run`] is the seam between previewing and building: it gets the
//! classified [`ChangeSet`] and hands it to the library's [`Session`]. A
//! config change is a full build (staged, then swapped in, so the server
//! never sees a half-written site), and so is a template change, from the
//! archive the last build read; for anything else the
//! session decides: an edit that leaves a briefing where it was in the
//! archive (same slug, date and draft flag; its tags may change among the
//! archive's terms), or adds or removes a briefing naming known terms,
//! re-renders only the pages that show what changed, each file replaced
//! atomically; a static file is copied alone.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::Instant;

use crate::BuildReport;
use crate::config::BuildOptions;
use crate::diag::Diagnostics;
use crate::search::background::{Outcome, Ready};
use crate::session::Session;

use super::reload::Hub;
use super::watch::{ChangeSet, Scope, Signal, Watcher};

/// What `serve` says when a search index was written.
fn index_written(ready: &Ready) -> String {
    let (made, parts) = ready.parts;
    let plural = if parts == 1 { "" } else { "s" };
    let ms = ready.elapsed.as_millis();
    match ready.taken {
        0 => format!(
            "search index: {made} of {parts} part{plural} made again, written {ms} ms after the pages"
        ),
        taken => format!(
            "search index: {} of {parts} part{plural} made again, {taken} as `dossier build` left {} in public/, written {ms} ms after the pages",
            made.saturating_sub(taken),
            if taken == 1 { "it" } else { "them" }
        ),
    }
}

/// Rebuilds one site into serve's own output folder.
pub struct Rebuild {
    session: Session,
}

impl Rebuild {
    pub fn new(options: BuildOptions) -> Rebuild {
        // What `dossier build` left in the site's own output folder spares
        // the first index what it already made.
        let built = BuildOptions::new(&options.root).output;
        let mut session = Session::new(options);
        session.take_search_parts_from(built);
        // A build's pages are served before its search index is brought up
        // to date; say when the index follows, or why it did not.
        // An index that only finished what a change interrupted, making no
        // part again, has nothing to say.
        session.listen_for_search(Arc::new(|outcome: &Outcome| match outcome {
            Ok(Some(ready)) if ready.parts.0 > 0 => println!("{}", index_written(ready)),
            Ok(_) => {}
            Err(diagnostics) => eprintln!(
                "{}\nerror: the search index failed; search shows the previous one",
                error_text(diagnostics)
            ),
        }));
        Rebuild { session }
    }

    /// Brings the output up to date with `changes`; `Ok(None)` when nothing
    /// the site is made of changed.
    pub fn run(&mut self, changes: &ChangeSet) -> Result<Option<BuildReport>, Diagnostics> {
        if changes.rescan {
            // Which files changed is unknown: nothing kept can be trusted.
            return self.session.build().map(Some);
        }
        match changes.scope() {
            Scope::Nothing => Ok(None),
            // The session tells templates alone from the config.
            Scope::Full | Scope::Content | Scope::Static { .. } => {
                // Absolute: `Session` resolves relative paths against the
                // working folder, which need not be the site root.
                let root = std::path::absolute(&self.session.options().root)
                    .unwrap_or_else(|_| self.session.options().root.clone());
                let paths: Vec<PathBuf> = changes.paths().iter().map(|p| root.join(p)).collect();
                self.session.rebuild(&paths)
            }
        }
    }
}

/// The errors of a failed build as one text, for the terminal and the overlay:
/// each with its `path:line:col` and snippet.
pub fn error_text(diagnostics: &Diagnostics) -> String {
    diagnostics
        .errors()
        .map(|d| d.render())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Builds on every batch of changes until told to stop. Changes that arrive
/// while a build runs wait in the channel and are merged into one next build.
pub fn keep_building(
    mut rebuild: Rebuild,
    mut watcher: Watcher,
    signals: Receiver<Signal>,
    hub: Arc<Hub>,
) {
    while let Ok(signal) = signals.recv() {
        let mut changes = match signal {
            Signal::Changes(changes) => changes,
            Signal::Trouble(message) => {
                eprintln!("warning: watching for changes: {message}");
                continue;
            }
            Signal::Stop => return,
        };
        let mut stop = false;
        for signal in signals.try_iter() {
            match signal {
                Signal::Changes(more) => changes.merge(more),
                Signal::Trouble(message) => eprintln!("warning: watching for changes: {message}"),
                Signal::Stop => stop = true,
            }
        }
        if stop {
            return;
        }
        if let Err(problem) = watcher.refresh() {
            eprintln!("warning: {problem}");
        }
        build_and_tell(&mut rebuild, &changes, &changes.why(), &hub);
    }
}

/// Runs one rebuild and reports it to the terminal and the open tabs; `why`
/// starts the line printed ("content/a.md changed").
pub fn build_and_tell(rebuild: &mut Rebuild, changes: &ChangeSet, why: &str, hub: &Hub) -> bool {
    let started = Instant::now();
    match rebuild.run(changes) {
        Ok(None) => true,
        Ok(Some(report)) => {
            for warning in &report.warnings {
                eprintln!("{}", warning.render());
            }
            let summary = report.summary();
            println!("{why}: {summary}");
            let css_only = changes.scope() == Scope::Static { css_only: true };
            hub.built(&summary, css_only);
            true
        }
        Err(diagnostics) => {
            let text = error_text(&diagnostics);
            let errors = diagnostics.errors().count();
            eprintln!("{text}");
            eprintln!(
                "error: {why}: build failed with {errors} error{} in {} ms; still serving the last good site",
                if errors == 1 { "" } else { "s" },
                started.elapsed().as_millis()
            );
            hub.failed(&text);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Ready, index_written};

    #[test]
    fn a_written_index_says_what_it_made_and_what_it_took() {
        let ready = |parts, taken| Ready {
            files: 10,
            parts,
            taken,
            pages_read: 0,
            elapsed: Duration::from_millis(120),
        };
        assert_eq!(
            index_written(&ready((1, 5), 0)),
            "search index: 1 of 5 parts made again, written 120 ms after the pages"
        );
        assert_eq!(
            index_written(&ready((5, 5), 4)),
            "search index: 1 of 5 parts made again, 4 as `dossier build` left them in public/, \
             written 120 ms after the pages"
        );
        assert_eq!(
            index_written(&ready((1, 1), 1)),
            "search index: 0 of 1 part made again, 1 as `dossier build` left it in public/, \
             written 120 ms after the pages"
        );
    }
}
