//! The benchmark's floor: the least work any generator must do for a dossier
//! site. Reads every briefing, skips its front matter without parsing it,
//! renders the Markdown with pulldown-cmark (the options dossier uses) and
//! writes one HTML file per briefing, all in parallel with rayon. No
//! templates, no entity index, no listings, no highlighting.
//!
//! ```sh
//! cargo run --release --example floor -- --root /tmp/corpus --output /tmp/floor-out
//! ```

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use pulldown_cmark::{Options, Parser as Markdown, html};
use rayon::prelude::*;
use walkdir::WalkDir;

#[derive(Debug, Parser)]
#[command(about = "Render every briefing's Markdown to HTML, and nothing else")]
struct Args {
    /// The site folder (holds content/briefings/).
    #[arg(long)]
    root: PathBuf,
    /// Where to write `briefings/<file stem>/index.html`.
    #[arg(long)]
    output: PathBuf,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let started = Instant::now();
    let briefings = args.root.join("content/briefings");
    let files: Vec<PathBuf> = WalkDir::new(&briefings)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
        .map(walkdir::DirEntry::into_path)
        .collect();
    let bytes: usize = files
        .par_iter()
        .map(|path| render_one(path, &args.output))
        .sum::<Result<usize>>()?;
    eprintln!(
        "floor: {} briefings, {:.1} MB of HTML in {} ms",
        files.len(),
        bytes as f64 / 1e6,
        started.elapsed().as_millis()
    );
    Ok(())
}

fn render_one(path: &Path, output: &Path) -> Result<usize> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_FOOTNOTES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_TASKLISTS);
    options.insert(Options::ENABLE_SMART_PUNCTUATION);
    options.insert(Options::ENABLE_HEADING_ATTRIBUTES);
    let mut page = String::with_capacity(text.len() * 2);
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<meta charset=\"utf-8\">\n<main>\n");
    html::push_html(&mut page, Markdown::new_ext(body(&text), options));
    page.push_str("</main>\n</html>\n");
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .context("a briefing file name")?;
    let dir = output.join("briefings").join(stem);
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    fs::write(dir.join("index.html"), &page)?;
    Ok(page.len())
}

/// The text after the closing `---` of the front matter (all of it if none).
fn body(text: &str) -> &str {
    let Some(rest) = text.strip_prefix("---\n") else {
        return text;
    };
    match rest.find("\n---\n") {
        Some(end) => &rest[end + 5..],
        None => text,
    }
}
