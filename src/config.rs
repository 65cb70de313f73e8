//! Site configuration (`dossier.yaml` at the site root) and build options.
//!
//! A missing config file means the defaults below. Every key is checked: an
//! unknown one is an error with a suggestion, like front matter.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::diag::{Diagnostic, Position};
use crate::front_matter;
use crate::mentions::{MentionMode, MentionScope};
use crate::model::{SharedText, Slug};
use crate::url::SiteUrls;

pub const CONFIG_FILE: &str = "dossier.yaml";

/// The keys of `dossier.yaml`, for "did you mean" hints.
const CONFIG_FIELDS: [&str; 15] = [
    "title",
    "description",
    "base_url",
    "theme",
    "language",
    "paginate",
    "author",
    "taxonomies",
    "mentions",
    "mention_scope",
    "feed_limit",
    "term_feeds",
    "cname",
    "search",
    "search_part_size",
];

/// URL folders the build itself uses, so no taxonomy may take them.
const RESERVED_PATHS: [&str; 5] = ["briefings", "archive", "page", "search", "static"];

/// What each term's Atom feed carries (`term_feeds`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TermFeeds {
    /// Each entry's title, dates, tags and summary, linking to the
    /// briefing: a briefing tagged with ten terms is not copied whole into
    /// ten feeds. The site's own feed always carries full bodies.
    #[default]
    Summary,
    /// Each entry also carries the briefing's whole rendered body.
    Full,
    /// No term feeds at all.
    None,
}

impl TermFeeds {
    /// Whether the site makes a feed per term.
    pub fn made(self) -> bool {
        self != TermFeeds::None
    }

    /// Whether term feed entries carry the briefing's body.
    pub fn whole(self) -> bool {
        self == TermFeeds::Full
    }
}

/// One kind of tag: `people`, `countries`, `topics`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxonomyConfig {
    /// The front-matter key, the content folder and the URL segment.
    pub name: String,
    /// What readers see: "People".
    pub title: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawConfig {
    title: String,
    description: String,
    base_url: String,
    theme: String,
    language: String,
    paginate: usize,
    author: Option<String>,
    taxonomies: Vec<TaxonomyConfig>,
    mentions: MentionMode,
    mention_scope: MentionScope,
    feed_limit: usize,
    term_feeds: TermFeeds,
    cname: Option<String>,
    search: bool,
    search_part_size: usize,
}

impl Default for RawConfig {
    fn default() -> Self {
        RawConfig {
            title: "Dossier".into(),
            description: String::new(),
            base_url: "http://127.0.0.1:1111/".into(),
            theme: "dossier".into(),
            language: "en".into(),
            paginate: 20,
            author: None,
            taxonomies: default_taxonomies(),
            mentions: MentionMode::default(),
            mention_scope: MentionScope::default(),
            feed_limit: 20,
            term_feeds: TermFeeds::default(),
            cname: None,
            search: true,
            search_part_size: crate::search::parts::DEFAULT_SIZE,
        }
    }
}

/// People, countries and topics: the taxonomies of a site that names none.
pub fn default_taxonomies() -> Vec<TaxonomyConfig> {
    vec![
        taxonomy("people", "People"),
        taxonomy("countries", "Countries"),
        taxonomy("topics", "Topics"),
    ]
}

fn taxonomy(name: &str, title: &str) -> TaxonomyConfig {
    TaxonomyConfig {
        name: name.into(),
        title: title.into(),
    }
}

/// The validated site configuration.
#[derive(Debug, Clone)]
pub struct SiteConfig {
    pub title: String,
    pub description: String,
    pub urls: SiteUrls,
    pub theme: String,
    pub language: String,
    pub paginate: usize,
    pub author: Option<String>,
    pub taxonomies: Vec<TaxonomyConfig>,
    /// Which mentions in briefing text link to their terms.
    pub mentions: MentionMode,
    /// Whose mentions: the briefing's own tags, or every known term.
    pub mention_scope: MentionScope,
    /// How many of the newest briefings each Atom feed holds.
    pub feed_limit: usize,
    /// What the term feeds carry, if there are any.
    pub term_feeds: TermFeeds,
    /// The custom domain written to `CNAME` (GitHub Pages), if any.
    pub cname: Option<String>,
    /// Whether to build the search index and the search page.
    pub search: bool,
    /// The most briefing pages one part of the search index holds.
    pub search_part_size: usize,
}

/// The configuration of a site without `dossier.yaml`.
impl Default for SiteConfig {
    fn default() -> Self {
        validate(RawConfig::default(), None, Path::new(CONFIG_FILE), None)
            .unwrap_or_else(|problems| panic!("the default configuration is invalid: {problems:?}"))
    }
}

/// What a `build` was asked to do, beyond the config file.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The site root: holds `dossier.yaml`, `content/`, `templates/`, `themes/`, `static/`.
    pub root: PathBuf,
    /// Where the site is written; `<root>/public` by default.
    pub output: PathBuf,
    /// Overrides `base_url` from the config.
    pub base_url: Option<String>,
    pub drafts: bool,
}

impl BuildOptions {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        BuildOptions {
            output: root.join("public"),
            root,
            base_url: None,
            drafts: false,
        }
    }
}

impl SiteConfig {
    /// Reads `dossier.yaml` under `root` (defaults when absent) and applies
    /// the command-line overrides.
    pub fn load(options: &BuildOptions) -> Result<SiteConfig, Vec<Diagnostic>> {
        let path = options.root.join(CONFIG_FILE);
        let display_path = PathBuf::from(CONFIG_FILE);
        let (raw, text) = match std::fs::read_to_string(&path) {
            Ok(text) => {
                let text: SharedText = Arc::new(text);
                let raw =
                    front_matter::parse_config::<RawConfig>(&display_path, &text, &CONFIG_FIELDS)
                        .map_err(|d| vec![d])?;
                (raw, Some(text))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (RawConfig::default(), None),
            Err(e) => return Err(vec![crate::diag::io_error(&display_path, "read", &e)]),
        };
        validate(raw, options.base_url.as_deref(), &display_path, text)
    }

    /// The index of a taxonomy by its name.
    pub fn taxonomy_index(&self, name: &str) -> Option<usize> {
        self.taxonomies.iter().position(|t| t.name == name)
    }

    pub fn theme_dir(&self, root: &Path) -> PathBuf {
        root.join("themes").join(&self.theme)
    }
}

fn validate(
    raw: RawConfig,
    base_url_override: Option<&str>,
    path: &Path,
    text: Option<SharedText>,
) -> Result<SiteConfig, Vec<Diagnostic>> {
    let mut problems = Vec::new();
    let error = |key: &str, message: String| {
        let line = text
            .as_deref()
            .and_then(|t| front_matter::key_line(t, key))
            .unwrap_or(1);
        let d = Diagnostic::error(path, message).at(Position::line(line));
        match &text {
            Some(t) => d.with_source(t.clone()),
            None => d,
        }
    };

    let base_url = base_url_override.unwrap_or(&raw.base_url);
    let urls = SiteUrls::new(base_url)
        .map_err(|message| problems.push(error("base_url", message)))
        .ok();
    if raw.paginate == 0 {
        problems.push(error("paginate", "`paginate` must be at least 1".into()));
    }
    if raw.feed_limit == 0 {
        problems.push(error(
            "feed_limit",
            "`feed_limit` must be at least 1".into(),
        ));
    }
    if raw.search_part_size == 0 {
        problems.push(error(
            "search_part_size",
            "`search_part_size` must be at least 1".into(),
        ));
    }
    if let Some(cname) = &raw.cname
        && let Err(message) = check_cname(cname)
    {
        problems.push(error("cname", message));
    }
    if raw.theme.is_empty() || raw.theme.contains(['/', '\\']) || raw.theme.starts_with('.') {
        problems.push(error(
            "theme",
            format!("`theme: {}` must name a folder under themes/", raw.theme),
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for taxonomy in &raw.taxonomies {
        if let Err(e) = Slug::parse(&taxonomy.name) {
            problems.push(error("taxonomies", format!("taxonomy name: {e}")));
        } else if RESERVED_PATHS.contains(&taxonomy.name.as_str()) {
            problems.push(error(
                "taxonomies",
                format!(
                    "taxonomy `{}` would share its URL with dossier's own pages; choose another name",
                    taxonomy.name
                ),
            ));
        } else if front_matter::BRIEFING_FIELDS.contains(&taxonomy.name.as_str()) {
            problems.push(error(
                "taxonomies",
                format!(
                    "taxonomy `{}` is already a front-matter field; choose another name",
                    taxonomy.name
                ),
            ));
        }
        if !seen.insert(taxonomy.name.as_str()) {
            problems.push(error(
                "taxonomies",
                format!("taxonomy `{}` is listed twice", taxonomy.name),
            ));
        }
    }
    match urls {
        Some(urls) if problems.is_empty() => Ok(SiteConfig {
            title: raw.title,
            description: raw.description,
            urls,
            theme: raw.theme,
            language: raw.language,
            paginate: raw.paginate,
            author: raw.author,
            taxonomies: raw.taxonomies,
            mentions: raw.mentions,
            mention_scope: raw.mention_scope,
            feed_limit: raw.feed_limit,
            term_feeds: raw.term_feeds,
            cname: raw.cname,
            search: raw.search,
            search_part_size: raw.search_part_size,
        }),
        _ => Err(problems),
    }
}

/// A `cname` is a bare domain name, as GitHub Pages reads it from `CNAME`.
fn check_cname(cname: &str) -> Result<(), String> {
    let bare = !cname.is_empty()
        && cname.len() <= 253
        && cname.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if bare {
        Ok(())
    } else {
        Err(format!(
            "`cname: {cname}` must be a bare domain name such as archive.example.org (no https://, path or port)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::check_cname;

    #[test]
    fn cnames_are_bare_domain_names() {
        assert!(check_cname("archive.example.org").is_ok());
        assert!(check_cname("www.example-news.co.uk").is_ok());
        for bad in [
            "",
            "https://archive.example.org",
            "archive.example.org/",
            "example.org:8080",
            "a..b",
            "-a.org",
            "a b.org",
        ] {
            assert!(check_cname(bad).is_err(), "{bad}");
        }
    }
}
