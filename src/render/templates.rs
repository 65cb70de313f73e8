//! Loading Tera templates: the theme's, then same-named overrides from the
//! site's `templates/`. Compiled once per build; errors name the template
//! file and line.
//!
//! Tera escapes the output of templates named `*.html` and `*.xml` (its
//! default suffixes), so the feed and sitemap templates are escaped like
//! pages. The escape function is Tera's own (`&`, `<`, `>`, `"`) that also
//! drops the control characters XML 1.0 forbids, so no briefing text can
//! make a feed unparsable.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use regex::Regex;

use tera::{ErrorKind, Tera};
use walkdir::WalkDir;

use crate::diag::{Diagnostic, Position, io_error};
use crate::model::SharedText;
use crate::source::relative;
use crate::swar::{ONES, any_byte_under};

/// The template of one briefing card, rendered once per briefing (optional).
pub const CARD: &str = "card.html";

/// The search page, rendered when the site has search (`search: true`).
pub const SEARCH: &str = "search.html";

/// Every template a theme must provide.
pub const REQUIRED: [&str; 10] = [
    "index.html",
    "briefing.html",
    "taxonomy.html",
    "term.html",
    "archive.html",
    "archive_year.html",
    "404.html",
    "atom.xml",
    "sitemap.xml",
    "sitemap_index.xml",
];

/// The compiled templates and where each came from.
pub struct Templates {
    pub tera: Tera,
    /// Template name → file (relative to the site root) and its text, for snippets.
    files: BTreeMap<String, (PathBuf, SharedText)>,
    /// The ids the templates write as they are (`id="main"`): a heading in
    /// a briefing gets another, so a link to either leads where it should.
    ids: HashSet<String>,
    /// Whether a template other than `taxonomy.html` names `term_count`
    /// (`site.taxonomies` has it): then any page may show how many terms
    /// there are.
    counts_terms: bool,
    /// Whether a template may print a term's role on a page other than the
    /// term's own and its briefings' ([`reads_roles_elsewhere`]).
    lists_roles: bool,
}

impl Templates {
    /// Loads `<theme>/templates/` then `<root>/templates/` (the site wins).
    pub fn load(root: &Path, theme_dir: &Path) -> Result<Templates, Vec<Diagnostic>> {
        let mut problems = Vec::new();
        let mut sources: BTreeMap<String, (PathBuf, String)> = BTreeMap::new();
        let theme_templates = theme_dir.join("templates");
        if !theme_templates.is_dir() {
            let theme = relative(root, theme_dir);
            return Err(vec![
                Diagnostic::error(
                    &theme,
                    format!(
                        "theme not found: {} has no templates/ folder",
                        theme.display()
                    ),
                )
                .with_help("set `theme:` in dossier.yaml to a folder under themes/"),
            ]);
        }
        for dir in [theme_templates, root.join("templates")] {
            collect(root, &dir, &mut sources, &mut problems);
        }
        for name in REQUIRED {
            if !sources.contains_key(name) {
                problems.push(
                    Diagnostic::error(
                        relative(root, theme_dir),
                        format!("the theme has no `{name}` template"),
                    )
                    .with_help(format!("add templates/{name} to the site or the theme")),
                );
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut tera = Tera::new();
        tera.set_escape_fn(escape);
        let files = sources
            .iter()
            .map(|(name, (path, text))| (name.clone(), (path.clone(), Arc::new(text.clone()))))
            .collect();
        let templates = Templates {
            tera: Tera::new(),
            files,
            ids: literal_ids(sources.values().map(|(_, text)| text.as_str())),
            counts_terms: sources
                .iter()
                .any(|(name, (_, text))| name != "taxonomy.html" && text.contains("term_count")),
            lists_roles: sources
                .iter()
                .any(|(name, (_, text))| reads_roles_elsewhere(name, text)),
        };
        if let Err(error) = tera.add_raw_templates(
            sources
                .iter()
                .map(|(name, (_, text))| (name.as_str(), text.as_str())),
        ) {
            let reports = match error.kind() {
                ErrorKind::Msg(text) => templates.reports(text),
                _ => Vec::new(),
            };
            return Err(if reports.is_empty() {
                vec![templates.diagnostic(&error, None)]
            } else {
                reports
            });
        }
        Ok(Templates { tera, ..templates })
    }

    /// The ids the templates write as they are, whatever the page.
    pub fn ids(&self) -> &HashSet<String> {
        &self.ids
    }

    /// Whether a page other than a taxonomy's may show its number of terms
    /// (a template other than `taxonomy.html` names `term_count`): a term
    /// that comes or goes may then change every page.
    pub fn count_terms(&self) -> bool {
        self.counts_terms
    }

    /// Whether a page other than a term's own and those of the briefings
    /// naming it may print the term's role (a template other than
    /// `briefing.html` reads a `role`, other than its own term's in `term.html`):
    /// a new role may then change any listing.
    pub fn list_roles(&self) -> bool {
        self.lists_roles
    }

    /// Whether the theme or the site has a template of this name.
    pub fn has(&self, name: &str) -> bool {
        self.files.contains_key(name)
    }

    /// The file (relative to the site root) and text of the template `name`.
    pub fn source(&self, name: &str) -> Option<(&Path, &str)> {
        self.files
            .get(name)
            .map(|(path, text)| (path.as_path(), text.as_str()))
    }

    /// Tera gathers the problems it finds once every template is loaded (an
    /// unknown include, say) into one message of reports, each
    /// `error: <message>` then ` --> <template>:<line>:<column>`: one
    /// diagnostic per report, at its template's file.
    fn reports(&self, text: &str) -> Vec<Diagnostic> {
        let mut found = Vec::new();
        let mut message: Option<&str> = None;
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("error: ") {
                message = Some(rest.trim_start_matches("error: "));
            } else if let (Some(at), Some(m)) = (line.trim_start().strip_prefix("--> "), message) {
                let mut parts = at.rsplitn(3, ':');
                let (column, line, name) = (parts.next(), parts.next(), parts.next());
                let (Some(name), Some(Ok(line)), Some(Ok(column))) = (
                    name,
                    line.map(str::parse::<usize>),
                    column.map(str::parse::<usize>),
                ) else {
                    continue;
                };
                let (path, source) = match self.files.get(name) {
                    Some((path, text)) => (path.clone(), Some(text.clone())),
                    None => (PathBuf::from(name), None),
                };
                let mut d = Diagnostic::error(path, m.to_string()).at(Position::new(line, column));
                d.source = source;
                found.push(d);
                message = None;
            }
        }
        found
    }

    /// Where template `name` first quotes the template name `other`.
    fn mention_of(&self, name: &str, other: &str) -> Option<Position> {
        let (_, text) = self.files.get(name)?;
        text.lines().enumerate().find_map(|(i, line)| {
            ["\"", "'"].iter().find_map(|quote| {
                line.find(&format!("{quote}{other}{quote}"))
                    .map(|at| Position::new(i + 1, line[..at].chars().count() + 1))
            })
        })
    }

    /// A Tera error as a diagnostic at the template's file and line.
    /// `page` names the page being rendered, if any.
    pub fn diagnostic(&self, error: &tera::Error, page: Option<&str>) -> Diagnostic {
        let (template, position, message) = match error.kind() {
            ErrorKind::SyntaxError(report) | ErrorKind::RenderingError(report) => (
                Some(report.filename().to_string()),
                Some(Position::new(
                    report.span().start_line,
                    report.span().start_col + 1,
                )),
                report.message().to_string(),
            ),
            // Point at the tag that closes the loop or names the missing parent.
            ErrorKind::CircularInclude { include_chain, .. }
            | ErrorKind::CircularExtend {
                inheritance_chain: include_chain,
                ..
            } if include_chain.len() >= 2 => {
                let (from, to) = (
                    &include_chain[include_chain.len() - 2],
                    &include_chain[include_chain.len() - 1],
                );
                (
                    Some(from.clone()),
                    self.mention_of(from, to),
                    error.to_string(),
                )
            }
            ErrorKind::MissingParent { current, parent } => (
                Some(current.clone()),
                self.mention_of(current, parent),
                error.to_string(),
            ),
            ErrorKind::CircularExtend { tpl, .. } | ErrorKind::CircularInclude { tpl, .. } => {
                (Some(tpl.clone()), None, error.to_string())
            }
            _ => (None, None, error.to_string()),
        };
        let mut message = message;
        let mut cause = std::error::Error::source(error);
        while let Some(inner) = cause {
            message.push_str(&format!(": {inner}"));
            cause = inner.source();
        }
        if let Some(page) = page {
            message = format!("{message} (while rendering {page})");
        }
        let file = template.as_ref().and_then(|t| self.files.get(t));
        let path = match (file, template) {
            (Some((path, _)), _) => path.clone(),
            (None, Some(name)) => PathBuf::from(name),
            (None, None) => PathBuf::from("templates"),
        };
        let mut d = Diagnostic::error(path, message);
        d.position = position;
        if let (Some((_, text)), Some(_)) = (file, position) {
            d.source = Some(text.clone());
        }
        d
    }
}

/// Tera's HTML escaping, less the characters XML 1.0 does not allow (C0
/// controls other than tab, line feed and carriage return; U+FFFE, U+FFFF).
fn escape(text: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let forbidden = |c: char| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
    };
    let clean;
    let text = if may_hold_forbidden(text.as_bytes()) && text.contains(forbidden) {
        clean = text.replace(forbidden, "");
        clean.as_str()
    } else {
        text
    };
    tera::escape_html(text, out)
}

/// Whether `bytes` may hold a character XML forbids: true for any byte
/// under 0x20 (a C0 control, or a tab, line feed or carriage return, which
/// are allowed: the caller tells them apart) or equal to 0xEF (the first
/// byte of U+FFFE and U+FFFF, and of a few allowed characters). This runs on
/// every value a template prints, mostly names, titles and URLs of a few
/// dozen bytes with none of them, so it looks at eight bytes per step (a
/// `u64`, each test one subtraction and two masks) rather than one.
fn may_hold_forbidden(bytes: &[u8]) -> bool {
    // A byte equal to 0xEF is a zero byte once 0xEF is xored away.
    let flagged = |word: u64| any_byte_under(word, 0x20) || any_byte_under(word ^ (ONES * 0xEF), 1);
    let mut words = bytes.chunks_exact(8);
    let word = |chunk: &[u8]| {
        let mut eight = [b' '; 8];
        eight[..chunk.len()].copy_from_slice(chunk);
        u64::from_le_bytes(eight)
    };
    words.by_ref().any(|chunk| flagged(word(chunk)))
        || (!words.remainder().is_empty() && flagged(word(words.remainder())))
}

fn collect(
    root: &Path,
    dir: &Path,
    sources: &mut BTreeMap<String, (PathBuf, String)>,
    problems: &mut Vec<Diagnostic>,
) {
    if !dir.is_dir() {
        return;
    }
    let walk = WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walk {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                let path = e.path().unwrap_or(dir).to_path_buf();
                problems.push(Diagnostic::error(
                    relative(root, &path),
                    format!("cannot read: {e}"),
                ));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let name = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        match std::fs::read_to_string(entry.path()) {
            Ok(text) => {
                sources.insert(name, (relative(root, entry.path()), text));
            }
            Err(e) => problems.push(io_error(
                &relative(root, entry.path()),
                "read this template",
                &e,
            )),
        }
    }
}

/// Whether template `name` (its text, `text`) may print the role of a term
/// on a page other than the term's own and its briefings': whether it reads
/// a field named `role` (`x.role`, `x["role"]`) anywhere but in
/// `briefing.html` (which shows the roles of the briefing's own terms) or
/// as `term.role` in a `term.html` that never binds `term` to another value
/// (a loop, a `set`, a macro's argument). It errs on the side of yes: a
/// role written in HTML (`role="search"`) does not count, any other use
/// does.
fn reads_roles_elsewhere(name: &str, text: &str) -> bool {
    if name == "briefing.html" {
        return false;
    }
    let reads = [".role", "\"role\"", "'role'"]
        .iter()
        .map(|read| text.matches(read).count())
        .sum::<usize>();
    static REBINDS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(concat!(
            r"\bfor\s+(?:\w+\s*,\s*)?term\s+in\b",
            r"|\bset(?:_global)?\s+term\s*=",
            r"|\bmacro\s+\w+\s*\([^)]*\bterm\b",
        ))
        .unwrap_or_else(|e| unreachable!("a fixed pattern: {e}"))
    });
    let own = if name == "term.html" && !REBINDS.is_match(text) {
        text.matches("term.role").count()
    } else {
        0
    };
    reads > own
}

/// Every `id` attribute value written as it is in `texts` (`id="main"`,
/// `id='search'`), not one made by the template (`id="{{ h.id }}"`).
fn literal_ids<'a>(texts: impl Iterator<Item = &'a str>) -> HashSet<String> {
    static ID: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?:^|\s)id\s*=\s*(?:"([^"{}\s]+)"|'([^'{}\s]+)')"#)
            .unwrap_or_else(|e| unreachable!("a fixed pattern: {e}"))
    });
    texts
        .flat_map(|text| ID.captures_iter(text))
        .filter_map(|c| c.get(1).or_else(|| c.get(2)))
        .map(|m| m.as_str().to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn roles_are_read_elsewhere_unless_by_a_term_page_of_its_own_term() {
        let reads = super::reads_roles_elsewhere;
        // The theme's own uses.
        assert!(!reads(
            "term.html",
            "{% if term.role %}<p>{{ term.role }}</p>{% endif %}"
        ));
        assert!(!reads(
            "briefing.html",
            "{% for term in g.terms %}{{ term.role }}{% endfor %}"
        ));
        assert!(!reads("base.html", r#"<form role="search">"#));
        // A card, a listing, a term page reading its cards' terms.
        assert!(reads(
            "card.html",
            "{% for t in g.terms %}{{ t.role }}{% endfor %}"
        ));
        assert!(reads(
            "index.html",
            r#"{{ item.taxonomies[0].terms[0]["role"] }}"#
        ));
        assert!(reads(
            "term.html",
            "{{ term.role }}{% for term in g.terms %}{{ term.role }}{% endfor %}"
        ));
        assert!(reads(
            "term.html",
            "{{ term.role }}{{ item.taxonomies[0].terms[0].role }}"
        ));
        assert!(reads("term.html", "{% set term = item %}{{ term.role }}"));
        assert!(reads(
            "term.html",
            "{% macro tag(term) %}{{ term.role }}{% endmacro %}"
        ));
        assert!(reads(
            "term.html",
            "{% for k, term in map %}{{ term.role }}{% endfor %}"
        ));
        // A comment naming `term.timeline` binds nothing.
        assert!(!reads(
            "term.html",
            "{# (term.timeline, term.appears_with) #}{{ term.role }}"
        ));
        // Nor does the theme's own term page.
        let theme = include_str!("../../themes/dossier/templates/term.html");
        assert!(!reads("term.html", theme));
    }

    #[test]
    fn the_ids_a_template_writes_as_they_are() {
        let ids = super::literal_ids(
            [
                r#"<main id="main"><h2 id='side-title' class="x">"#,
                r#"<h3 id="{{ h.id }}">x</h3><a data-id="not-an-id"><div id = "spaced">"#,
            ]
            .into_iter(),
        );
        let mut ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        ids.sort_unstable();
        assert_eq!(ids, ["main", "side-title", "spaced"]);
    }

    use super::{escape, may_hold_forbidden};

    #[test]
    fn the_forbidden_byte_check_finds_every_such_byte_wherever_it_stands() {
        // Two flagged bytes side by side, and each beside bytes the
        // subtraction's borrow could carry into.
        assert!(may_hold_forbidden(&[0x00, 0xEF]));
        assert!(may_hold_forbidden(&[b'a', 0x1F, 0x20, 0xF0, 0xEE]));
        assert!(!may_hold_forbidden(&[
            0x20, 0xF0, 0xEE, 0x7F, 0x80, 0xFF, 0x21, 0xE0
        ]));
        let flagged = |b: u8| b < b' ' || b == 0xEF;
        // Every byte value at every place of texts of one to three steps of
        // eight bytes, with and without a remainder.
        for len in [1, 7, 8, 9, 16, 23, 24] {
            for at in 0..len {
                for b in 0..=u8::MAX {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = b;
                    assert_eq!(
                        may_hold_forbidden(&bytes),
                        flagged(b),
                        "{b:#x} at {at} of {len}"
                    );
                }
            }
        }
        assert!(!may_hold_forbidden(b""));
        assert!(!may_hold_forbidden(
            "Ankara talks, é, ü, 世界 <&>".as_bytes()
        ));
        assert!(may_hold_forbidden("a tab\tin a title".as_bytes()));
    }

    #[test]
    fn escaping_drops_what_xml_forbids() {
        let mut out = Vec::new();
        escape("a\u{0}b\u{b}<c> & \"d\"\t\n\u{FFFE}é", &mut out).expect("escape");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "ab&lt;c&gt; &amp; &quot;d&quot;\t\né"
        );
    }
}
