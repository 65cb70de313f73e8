//! `dossier check --links`: every internal link, asset and `#fragment` of a
//! built site must resolve to a file, and a fragment to an element id.
//!
//! The output folder is read as GitHub Pages serves it from `base_url`: a
//! link is internal when it is on the base URL's host; it must then stay
//! under the base path (`/repo/` on a project site) and name a file, or a
//! folder with an `index.html`. Other hosts are external: listed on request,
//! never fetched. `404.html` is read as if served at a deep missing URL, as
//! GitHub serves it for every missing path, so a link of it that only works
//! from the root is caught.
//!
//! HTML is read with `lol_html`, a streaming parser: no tree is built, only
//! ids and URL attributes are kept, and every page is read in parallel.
//! Fragments pointing into other pages are checked once all pages are read.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use lol_html::{HtmlRewriter, Settings, element};
use rayon::prelude::*;
use url::Url;
use walkdir::WalkDir;

use crate::diag::{Diagnostic, Position, io_error};
use crate::url::SiteUrls;

/// Where `404.html` is read from: a missing page some levels down.
const DEEP_MISSING_PATH: &str = "no/such/page/at/depth/";

/// Attributes holding one URL, by the elements that carry them.
const URL_ATTRIBUTES: &[(&str, &str)] = &[
    ("a[href]", "href"),
    ("area[href]", "href"),
    ("link[href]", "href"),
    ("img[src]", "src"),
    ("script[src]", "src"),
    ("iframe[src]", "src"),
    ("embed[src]", "src"),
    ("source[src]", "src"),
    ("track[src]", "src"),
    ("audio[src]", "src"),
    ("video[src]", "src"),
    ("video[poster]", "poster"),
    ("object[data]", "data"),
];

/// Attributes holding a list of image candidates (`url 2x, url 640w`).
const SRCSET_ATTRIBUTES: &[&str] = &["img[srcset]", "source[srcset]"];

/// What one link check found.
#[derive(Debug, Default)]
pub struct LinkReport {
    /// HTML pages read.
    pub pages: usize,
    /// URLs checked (internal and external), counting each occurrence.
    pub links: usize,
    /// One error per broken link or fragment, by page then position.
    pub broken: Vec<Diagnostic>,
    /// Every external URL, once, sorted, with the first page (by path) that links to it.
    pub external: BTreeMap<String, PathBuf>,
}

impl LinkReport {
    /// "checked 61 pages and 1204 links: 2 broken".
    pub fn summary(&self) -> String {
        format!(
            "checked {} page{} and {} link{}: {} broken",
            self.pages,
            crate::plural(self.pages),
            self.links,
            crate::plural(self.links),
            self.broken.len()
        )
    }
}

/// One URL found in a page.
struct Link {
    url: String,
    /// Byte offset of its element's start tag.
    offset: usize,
}

/// What reading one page gave.
struct PageScan {
    ids: HashSet<String>,
    links: Vec<Link>,
}

/// A fragment that points into another page, checked once all are read.
struct Pending {
    target: String,
    fragment: String,
    diagnostic: Diagnostic,
}

/// Checks every HTML page under `output`, built for `urls`.
pub fn check_links(output: &Path, urls: &SiteUrls) -> Result<LinkReport, Diagnostic> {
    if !output.is_dir() {
        return Err(Diagnostic::error(output, "no built site here")
            .with_help("run `dossier build` first, or leave out --output to build and check"));
    }
    if let Some(built_for) = home_canonical(output)
        && !built_for.starts_with(urls.base_url())
    {
        // Read for the wrong base, every internal link would be reported.
        return Err(Diagnostic::error(
            output.join("index.html"),
            format!(
                "this site was built for {built_for}, not {}: its links cannot be checked as served from there",
                urls.base_url()
            ),
        )
        .with_help(format!(
            "pass the URL it was built for: --base-url {built_for}"
        )));
    }
    let files = output_files(output)?;
    let site = Site {
        files: &files,
        urls,
        base: Url::parse(urls.base_url())
            .map_err(|e| Diagnostic::error(output, format!("base_url {}: {e}", urls.base_url())))?,
    };
    let mut pages: Vec<&String> = files.iter().filter(|f| f.ends_with(".html")).collect();
    pages.sort();
    let results: Vec<Result<PageResult, Diagnostic>> = pages
        .par_iter()
        .map(|rel| site.check_page(output, rel))
        .collect();
    let mut report = LinkReport {
        pages: pages.len(),
        ..LinkReport::default()
    };
    let mut ids: HashMap<&str, HashSet<String>> = HashMap::new();
    let mut pending = Vec::new();
    for (rel, result) in pages.iter().zip(results) {
        let result = result?;
        report.links += result.links;
        report.broken.extend(result.broken);
        for url in result.external {
            report
                .external
                .entry(url)
                .or_insert_with(|| PathBuf::from(rel.as_str()));
        }
        pending.extend(result.pending);
        ids.insert(rel.as_str(), result.ids);
    }
    for p in pending {
        let found = ids
            .get(p.target.as_str())
            .is_some_and(|known| known.contains(&p.fragment));
        if !found {
            report.broken.push(p.diagnostic);
        }
    }
    report.broken.sort_by(|a, b| {
        (&a.path, a.position.map(|p| (p.line, p.column)))
            .cmp(&(&b.path, b.position.map(|p| (p.line, p.column))))
    });
    Ok(report)
}

/// Every file under the output folder, relative, with `/` separators.
fn output_files(output: &Path) -> Result<HashSet<String>, Diagnostic> {
    let mut files = HashSet::new();
    for entry in WalkDir::new(output) {
        let entry = entry.map_err(|e| {
            Diagnostic::error(e.path().unwrap_or(output), format!("cannot read: {e}"))
        })?;
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(output).unwrap_or(entry.path());
            files.insert(slash_path(rel));
        }
    }
    Ok(files)
}

fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The checks of one page, before fragments into other pages are known.
struct PageResult {
    ids: HashSet<String>,
    links: usize,
    broken: Vec<Diagnostic>,
    external: Vec<String>,
    pending: Vec<Pending>,
}

/// Where a URL of a page leads.
enum Target {
    /// Not http(s) (`mailto:`, `data:`…): nothing to check.
    Other,
    External(String),
    /// A file of the output and the fragment, if any.
    Internal {
        file: String,
        fragment: Option<String>,
    },
    Broken(String),
}

struct Site<'a> {
    files: &'a HashSet<String>,
    urls: &'a SiteUrls,
    base: Url,
}

impl Site<'_> {
    fn check_page(&self, output: &Path, rel: &str) -> Result<PageResult, Diagnostic> {
        let path = output.join(rel);
        let text = std::fs::read_to_string(&path).map_err(|e| io_error(&path, "read", &e))?;
        let scan = scan(&text).map_err(|e| {
            Diagnostic::error(PathBuf::from(rel), format!("cannot parse this page: {e}"))
        })?;
        let page_url = self.page_url(rel);
        let mut result = PageResult {
            ids: HashSet::new(),
            links: scan.links.len(),
            broken: Vec::new(),
            external: Vec::new(),
            pending: Vec::new(),
        };
        for link in &scan.links {
            let diagnostic = |message: String| {
                Diagnostic::error(PathBuf::from(rel), message).at(position(&text, link.offset))
            };
            match self.resolve(&page_url, rel, &link.url) {
                Target::Other => {}
                Target::External(url) => result.external.push(url),
                Target::Broken(why) => result
                    .broken
                    .push(diagnostic(format!("broken link `{}`: {why}", link.url))),
                Target::Internal { fragment: None, .. } => {}
                Target::Internal {
                    file,
                    fragment: Some(fragment),
                } => {
                    let message = format!(
                        "broken link `{}`: {file} has no element with id `{fragment}`",
                        link.url
                    );
                    if file == rel {
                        if !scan.ids.contains(&fragment) {
                            result.broken.push(diagnostic(message));
                        }
                    } else {
                        result.pending.push(Pending {
                            target: file,
                            fragment,
                            diagnostic: diagnostic(message),
                        });
                    }
                }
            }
        }
        result.ids = scan.ids;
        Ok(result)
    }

    /// The URL a page is read at; `404.html` at a deep missing path.
    fn page_url(&self, rel: &str) -> Url {
        let site_path = if rel == "404.html" {
            DEEP_MISSING_PATH
        } else {
            rel.strip_suffix("index.html").unwrap_or(rel)
        };
        self.base
            .join(&self.urls.path(site_path))
            .unwrap_or_else(|_| self.base.clone())
    }

    /// Where `raw`, found in the page `rel` read at `page`, leads.
    fn resolve(&self, page: &Url, rel: &str, raw: &str) -> Target {
        let href = raw.trim_matches(|c: char| c.is_ascii_whitespace());
        let Ok(url) = page.join(href) else {
            return Target::Broken("not a valid URL".into());
        };
        if !matches!(url.scheme(), "http" | "https") {
            return Target::Other;
        }
        let fragment = |url: &Url, file: &str| {
            url.fragment()
                .map(|f| decode(f).into_owned())
                // `#` and `#top` go to the top of any page.
                .filter(|f| !f.is_empty() && f != "top" && file.ends_with(".html"))
        };
        if url.as_str().split('#').next() == page.as_str().split('#').next() {
            // The page itself (`#id`, or its own URL): whatever URL it is read at.
            return Target::Internal {
                file: rel.to_string(),
                fragment: fragment(&url, rel),
            };
        }
        if url.host_str() != self.base.host_str()
            || url.port_or_known_default() != self.base.port_or_known_default()
        {
            return Target::External(url.to_string());
        }
        let Some(rest) = url.path().strip_prefix(self.urls.root()) else {
            return Target::Broken(format!(
                "{} is outside the site's base path {}",
                url.path(),
                self.urls.root()
            ));
        };
        let rest = decode(rest);
        let file = if rest.is_empty() || rest.ends_with('/') {
            format!("{rest}index.html")
        } else if self.files.contains(rest.as_ref()) {
            rest.to_string()
        } else {
            // A folder without its slash: servers redirect to the slash.
            format!("{rest}/index.html")
        };
        if !self.files.contains(&file) {
            return Target::Broken(format!("no file for {}", url.path()));
        }
        let fragment = fragment(&url, &file);
        Target::Internal { file, fragment }
    }
}

fn decode(text: &str) -> Cow<'_, str> {
    percent_encoding::percent_decode_str(text).decode_utf8_lossy()
}

/// The 1-based line and column of a byte offset.
fn position(text: &str, offset: usize) -> Position {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(1, |l| l.chars().count() + 1);
    Position::new(line, column)
}

/// The ids and URLs of a page, attribute values decoded as HTML does.
fn scan(text: &str) -> Result<PageScan, lol_html::errors::RewritingError> {
    let mut ids = HashSet::new();
    // Several handlers push links, so they share the list through a RefCell.
    let links = RefCell::new(Vec::new());
    let mut handlers = vec![element!("[id], a[name]", |el| {
        let name = (el.tag_name() == "a")
            .then(|| el.get_attribute("name"))
            .flatten();
        ids.extend(
            el.get_attribute("id")
                .into_iter()
                .chain(name)
                .map(|v| unescape(&v)),
        );
        Ok(())
    })];
    for &(selector, attribute) in URL_ATTRIBUTES {
        let links = &links;
        handlers.push(element!(selector, move |el| {
            if let Some(value) = el.get_attribute(attribute) {
                links.borrow_mut().push(Link {
                    url: unescape(&value),
                    offset: el.source_location().bytes().start,
                });
            }
            Ok(())
        }));
    }
    for &selector in SRCSET_ATTRIBUTES {
        let links = &links;
        handlers.push(element!(selector, move |el| {
            if let Some(value) = el.get_attribute("srcset") {
                let offset = el.source_location().bytes().start;
                for candidate in unescape(&value).split(',') {
                    if let Some(url) = candidate.split_whitespace().next() {
                        links.borrow_mut().push(Link {
                            url: url.to_string(),
                            offset,
                        });
                    }
                }
            }
            Ok(())
        }));
    }
    let settings = handlers
        .into_iter()
        .fold(Settings::new(), Settings::append_element_content_handler);
    let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
    rewriter.write(text.as_bytes())?;
    rewriter.end()?;
    Ok(PageScan {
        ids,
        links: links.into_inner(),
    })
}

/// The canonical URL the home page names (`<link rel="canonical">`), which
/// tells what base URL the site was built for; `None` without one.
fn home_canonical(output: &Path) -> Option<String> {
    let text = std::fs::read_to_string(output.join("index.html")).ok()?;
    let canonical = RefCell::new(None);
    let settings = Settings::new().append_element_content_handler(element!(
        "link[rel=canonical][href]",
        |el| {
            if let Some(href) = el.get_attribute("href") {
                canonical.borrow_mut().get_or_insert(unescape(&href));
            }
            Ok(())
        }
    ));
    let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
    rewriter.write(text.as_bytes()).ok()?;
    rewriter.end().ok()?;
    canonical.into_inner()
}

fn unescape(value: &str) -> String {
    htmlize::unescape_attribute(value).into_owned()
}
