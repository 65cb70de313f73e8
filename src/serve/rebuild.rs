//! Every rebuild `serve` makes goes through [`Rebuild::run`], and the loop
//! that feeds it: one build at a time, on its own thread, with the changes
//! that arrive during a build gathered into one follow-up build.
//!
//! [`Rebuild::run`] is the seam between previewing and building: it gets the
//! classified [`ChangeSet`] and decides how much to build. Today every scope
//! runs the full pipeline (`crate::build`), which writes a staging folder and
//! swaps it in, so the server never sees a half-written site.

use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::Instant;

use crate::BuildReport;
use crate::config::BuildOptions;
use crate::diag::Diagnostics;

use super::reload::Hub;
use super::watch::{ChangeSet, Scope, Signal, Watcher};

/// Rebuilds one site into serve's own output folder.
#[derive(Debug)]
pub struct Rebuild {
    options: BuildOptions,
}

impl Rebuild {
    pub fn new(options: BuildOptions) -> Rebuild {
        Rebuild { options }
    }

    pub fn options(&self) -> &BuildOptions {
        &self.options
    }

    /// Brings the output up to date with `changes`.
    pub fn run(&mut self, changes: &ChangeSet) -> Result<BuildReport, Diagnostics> {
        match changes.scope() {
            // Content edits will re-render only the pages that show the
            // changed files; static edits only copy. Until the render stage
            // can do that, every scope is a full build, which is always right.
            Scope::Nothing | Scope::Static { .. } | Scope::Content | Scope::Full => {
                crate::build(&self.options)
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
        let why = format!("{} changed", changes.describe());
        build_and_tell(&mut rebuild, &changes, &why, &hub);
    }
}

/// Runs one rebuild and reports it to the terminal and the open tabs; `why`
/// starts the line printed ("content/a.md changed").
pub fn build_and_tell(rebuild: &mut Rebuild, changes: &ChangeSet, why: &str, hub: &Hub) -> bool {
    let started = Instant::now();
    match rebuild.run(changes) {
        Ok(report) => {
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
