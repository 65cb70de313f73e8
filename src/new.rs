//! `dossier new "Title"`: starts a briefing at
//! `content/briefings/<year>/<slug>.md` with its front matter filled in
//! (title, date, an empty summary, an empty list per configured taxonomy)
//! and a placeholder body. It never overwrites a file, and it refuses a
//! slug another briefing already has (the build would reject the pair).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use jiff::civil::Date;

use crate::config::{BuildOptions, TaxonomyConfig};
use crate::diag::{Diagnostic, Diagnostics, io_error};
use crate::front_matter::yaml_scalar;
use crate::model::Slug;
use crate::source::BRIEFINGS_DIR;

/// The body a new briefing starts with.
pub const PLACEHOLDER: &str = "Write the briefing here.";

/// What to create.
#[derive(Debug, Clone)]
pub struct NewOptions {
    /// The site root.
    pub root: PathBuf,
    pub title: String,
    /// The briefing's date; today (local time) when `None`.
    pub date: Option<Date>,
    /// The file name and URL slug; made from the title when `None`.
    pub slug: Option<String>,
}

/// Creates the briefing; returns its path relative to the root.
pub fn new_briefing(options: &NewOptions) -> Result<PathBuf, Diagnostics> {
    let one = |d: Diagnostic| Diagnostics(vec![d]);
    let title = options.title.trim();
    if title.is_empty() {
        return Err(one(Diagnostic::error(
            BRIEFINGS_DIR,
            "a briefing needs a title",
        )));
    }
    let slug = match &options.slug {
        Some(given) => Slug::parse(given),
        None => Slug::from_name(title),
    }
    .map_err(|e| {
        one(Diagnostic::error(BRIEFINGS_DIR, format!("slug: {e}")).with_help("pass --slug"))
    })?;
    let date = options.date.unwrap_or_else(|| jiff::Zoned::now().date());

    let build = BuildOptions {
        drafts: true,
        ..BuildOptions::new(&options.root)
    };
    let loaded = crate::load(&build)?;
    if let Some(taken) = loaded
        .archive
        .iter()
        .flat_map(|a| &a.entries)
        .find(|e| e.briefing.slug == slug)
    {
        return Err(one(Diagnostic::error(
            &taken.briefing.file.path,
            format!("the slug `{slug}` is taken by this briefing"),
        )
        .with_help("choose another with --slug")));
    }

    let rel = Path::new("content")
        .join(BRIEFINGS_DIR)
        .join(date.year().to_string())
        .join(format!("{slug}.md"));
    let path = options.root.join(&rel);
    let text = front_matter_text(title, date, &loaded.config.taxonomies);
    write_new(&path, &rel, text.as_bytes()).map_err(one)?;
    Ok(rel)
}

/// The new file: front matter, then the placeholder body.
pub fn front_matter_text(title: &str, date: Date, taxonomies: &[TaxonomyConfig]) -> String {
    let mut text = format!("---\ntitle: {}\ndate: {date}\n", yaml_scalar(title));
    // `summary: ""` would be an error (an empty value); a bare key is no summary yet.
    text.push_str("summary:\n");
    for taxonomy in taxonomies {
        text.push_str(&format!("{}: []\n", taxonomy.name));
    }
    text.push_str("---\n");
    text.push_str(PLACEHOLDER);
    text.push('\n');
    text
}

/// Writes a file that must not exist yet.
fn write_new(path: &Path, rel: &Path, bytes: &[u8]) -> Result<(), Diagnostic> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| io_error(rel, "create its folder", &e))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => Diagnostic::error(rel, "already exists")
                .with_help("choose another title or --slug, or edit the file"),
            _ => io_error(rel, "create this file", &e),
        })?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| io_error(rel, "write this file", &e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::front_matter::parse_briefing;
    use crate::model::SourceFile;
    use std::sync::Arc;

    #[test]
    fn the_new_front_matter_parses_with_empty_lists() {
        let taxonomies: Vec<TaxonomyConfig> = ["people", "topics"]
            .iter()
            .map(|n| TaxonomyConfig {
                name: n.to_string(),
                title: n.to_string(),
            })
            .collect();
        let date: Date = "2024-03-05".parse().expect("date");
        let text = front_matter_text("Talks: day 2, #3", date, &taxonomies);
        let file = SourceFile {
            path: PathBuf::from("content/briefings/2024/talks.md"),
            text: Arc::new(text.clone()),
        };
        let b = parse_briefing(&file, &taxonomies).expect("parses");
        assert_eq!(b.title, "Talks: day 2, #3");
        assert_eq!(b.date.iso(), "2024-03-05");
        assert_eq!(b.summary, None);
        assert_eq!(b.tags, vec![Vec::<String>::new(), Vec::new()]);
        assert_eq!(b.markdown().trim(), PLACEHOLDER);
    }
}
