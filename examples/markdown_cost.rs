//! What rendering a briefing's Markdown costs, part by part, on one thread:
//! pulldown-cmark alone (what the benchmark's floor does), dossier's event
//! pass on top (heading ids, word counts, callouts), code highlighting, and
//! mention links; then the mention search alone, over every text a link may
//! go in. BENCHMARKS.md quotes its figures.
//!
//! ```sh
//! cargo run --release --example gen-corpus -- --count 10000 --out /tmp/corpus
//! cargo run --release --example markdown-cost -- --root /tmp/corpus
//! ```

use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use clap::Parser;
use dossier::config::BuildOptions;
use dossier::highlight::Highlighter;
use dossier::markdown;
use dossier::mentions::{Eligibility, Linker, Matcher};

#[derive(Debug, Parser)]
#[command(about = "Time the parts of rendering every briefing's Markdown")]
struct Args {
    /// The site folder.
    #[arg(long)]
    root: std::path::PathBuf,
    /// Passes over the archive; the fastest is reported.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let loaded = dossier::load(&BuildOptions::new(&args.root))
        .map_err(|d| {
            anyhow!(
                "{}",
                d.0.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        })
        .context("load the site")?;
    let archive = loaded
        .archive
        .ok_or_else(|| anyhow!("the site does not index: run `dossier check`"))?;
    let matcher = Matcher::new(&archive);
    // The links' opening tags do not change the search; one stands for all.
    let links: Vec<Vec<String>> = archive
        .taxonomies
        .iter()
        .map(|t| vec!["<a href=\"#\">".to_string(); t.terms.len()])
        .collect();
    let highlighter = Highlighter::new();
    let bodies: Vec<&str> = archive
        .entries
        .iter()
        .map(|e| e.briefing.markdown())
        .collect();
    let plain: Vec<&str> = bodies
        .iter()
        .copied()
        .filter(|b| !b.contains("```"))
        .collect();
    println!(
        "{} briefings, {} without a code block; per briefing, fastest of {} rounds:",
        bodies.len(),
        plain.len(),
        args.rounds
    );

    let pulldown = |texts: &[&str]| {
        for text in texts {
            let mut html = String::new();
            let parser = pulldown_cmark::Parser::new_ext(text, markdown::options());
            pulldown_cmark::html::push_html(&mut html, parser);
            std::hint::black_box(html);
        }
    };
    let dossier = |texts: &[&str]| {
        for text in texts {
            std::hint::black_box(markdown::render(text, &highlighter, None));
        }
    };
    let linked = || {
        for (id, text) in bodies.iter().enumerate() {
            let terms = archive.entries[id].terms.as_slice();
            let mut linker = Linker::new(&matcher, &links, Some(terms), loaded.config.mentions);
            std::hint::black_box(markdown::render(text, &highlighter, Some(&mut linker)));
        }
    };
    let no_code_pulldown = fastest(args.rounds, plain.len(), || pulldown(&plain));
    let no_code_dossier = fastest(args.rounds, plain.len(), || dossier(&plain));
    let all_dossier = fastest(args.rounds, bodies.len(), || dossier(&bodies));
    let all_linked = fastest(args.rounds, bodies.len(), linked);
    // The search alone, over every text a link may go in (a linker with
    // `mentions: first` stops early once each tag is linked).
    let eligible: Vec<String> = bodies
        .iter()
        .flat_map(|body| eligible_texts(body))
        .collect();
    let search = fastest(args.rounds, bodies.len(), || {
        for text in &eligible {
            std::hint::black_box(matcher.find(text));
        }
    });
    let show = |what: &str, d: Duration| println!("  {what:<44} {:>7.1} µs", micros(d));
    show("pulldown-cmark alone (no code blocks)", no_code_pulldown);
    show("dossier's render (no code blocks)", no_code_dossier);
    show(
        "  of which its event pass",
        no_code_dossier.saturating_sub(no_code_pulldown),
    );
    show("dossier's render (all)", all_dossier);
    show(
        "  of which highlighting, on average",
        all_dossier.saturating_sub(no_code_dossier),
    );
    show("dossier's render with mention links (all)", all_linked);
    show(
        "  of which mention links",
        all_linked.saturating_sub(all_dossier),
    );
    show("mention search alone, over all eligible text", search);
    Ok(())
}

/// The texts of `markdown` where mentions may be linked.
fn eligible_texts(markdown: &str) -> Vec<String> {
    let mut eligibility = Eligibility::default();
    pulldown_cmark::Parser::new_ext(markdown, markdown::options())
        .filter(|event| eligibility.accepts(event))
        .filter_map(|event| match event {
            pulldown_cmark::Event::Text(text) => Some(text.into_string()),
            _ => None,
        })
        .collect()
}

/// The fastest of `rounds` runs of `work`, per item.
fn fastest(rounds: usize, items: usize, mut work: impl FnMut()) -> Duration {
    (0..rounds.max(1))
        .map(|_| {
            let started = Instant::now();
            work();
            started.elapsed() / u32::try_from(items.max(1)).unwrap_or(u32::MAX)
        })
        .min()
        .unwrap_or_default()
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
