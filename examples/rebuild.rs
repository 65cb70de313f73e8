//! The benchmark of serve's rebuild path: builds a site once through a
//! `Session`, then edits one briefing's body again and again and times each
//! `Session::rebuild`, from the file's change to its pages written. The
//! file watcher's debounce (see `dossier serve`) comes on top of this.
//!
//! ```sh
//! cargo run --release --example rebuild -- --root /tmp/corpus --edits 20
//! ```

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use dossier::config::BuildOptions;
use dossier::session::Session;
use walkdir::WalkDir;

#[derive(Debug, Parser)]
#[command(about = "Time one-briefing edits through serve's incremental rebuild")]
struct Args {
    /// The site folder (holds content/briefings/).
    #[arg(long)]
    root: PathBuf,
    /// How many edits to time.
    #[arg(long, default_value_t = 20)]
    edits: usize,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let output = tempfile::tempdir().context("create an output folder")?;
    let options = BuildOptions {
        output: output.path().join("site"),
        ..BuildOptions::new(&args.root)
    };
    let mut session = Session::new(options);
    let started = Instant::now();
    session
        .build()
        .map_err(|d| anyhow::anyhow!("the first build failed: {} problems", d.0.len()))?;
    println!("first build: {:.0} ms", ms(started.elapsed()));

    // A briefing from the middle of the archive, as a writer would pick.
    let mut briefings: Vec<PathBuf> = WalkDir::new(args.root.join("content/briefings"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(walkdir::DirEntry::into_path)
        .collect();
    briefings.sort();
    let Some(path) = briefings.get(briefings.len() / 2).cloned() else {
        bail!("no briefings under {}", args.root.display());
    };
    let original = std::fs::read_to_string(&path)?;
    let mut times = Vec::with_capacity(args.edits);
    let mut pages = 0;
    for edit in 0..args.edits {
        std::fs::write(&path, format!("{original}\nEdit number {edit}.\n"))?;
        let started = Instant::now();
        let report = session
            .rebuild(std::slice::from_ref(&path))
            .map_err(|d| anyhow::anyhow!("rebuild failed: {} problems", d.0.len()))?
            .context("the edit was not seen as a change")?;
        times.push(started.elapsed());
        if !report.incremental {
            bail!("the edit took the full-build path");
        }
        pages = report.render.pages;
    }
    std::fs::write(&path, original)?;
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "one-briefing edit ({}): median {:.1} ms, min {:.1} ms, max {:.1} ms over {} edits, {pages} pages re-rendered",
        path.display(),
        ms(median),
        ms(times[0]),
        ms(times[times.len() - 1]),
        times.len()
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
