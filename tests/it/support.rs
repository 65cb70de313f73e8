//! Helpers shared by the integration tests: sites in temporary folders, builds,
//! and a reader for the built output that parses pages and follows links.
//!
//! Links are compared as *site paths*: the URL path below the site root, with a
//! leading slash (`/briefings/rome/`), whatever `base_url` the site was built
//! with. [`Output::page`] and [`Page::links`] speak site paths, so a test reads
//! the same under `https://example.org/` and `https://user.github.io/archive/`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use dossier::BuildReport;
use dossier::config::BuildOptions;
use dossier::diag::Diagnostics;
use scraper::{ElementRef, Html, Selector};
use tempfile::TempDir;
use url::Url;
use walkdir::WalkDir;

/// The repository root, which holds `themes/`, `content/` and `dossier.yaml`.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/fixtures/…`
pub fn fixture(name: &str) -> PathBuf {
    repo().join("tests").join("fixtures").join(name)
}

/// Copies every file under `from` to the same relative place under `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    for entry in WalkDir::new(from).sort_by_file_name() {
        let entry = entry.unwrap_or_else(|e| panic!("walk {}: {e}", from.display()));
        let rel = entry
            .path()
            .strip_prefix(from)
            .expect("walkdir yields paths under its root");
        let target = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target)
                .unwrap_or_else(|e| panic!("create {}: {e}", target.display()));
        } else {
            std::fs::copy(entry.path(), &target).unwrap_or_else(|e| {
                panic!(
                    "copy {} to {}: {e}",
                    entry.path().display(),
                    target.display()
                )
            });
        }
    }
}

/// A site in a temporary folder, with the repository's `themes/` beside its content.
pub struct Site {
    dir: TempDir,
}

impl Site {
    /// An empty site folder holding only the repository's themes.
    pub fn empty() -> Site {
        let dir = tempfile::tempdir().expect("create a temporary site folder");
        copy_dir(&repo().join("themes"), &dir.path().join("themes"));
        Site { dir }
    }

    /// A copy of `tests/fixtures/site`.
    pub fn fixture() -> Site {
        let site = Site::empty();
        copy_dir(&fixture("site"), site.root());
        site
    }

    /// A copy of the bundled archive: the repository's `dossier.yaml` and `content/`.
    pub fn bundled() -> Site {
        let site = Site::empty();
        copy_dir(&repo().join("content"), &site.root().join("content"));
        std::fs::copy(
            repo().join("dossier.yaml"),
            site.root().join("dossier.yaml"),
        )
        .expect("copy the bundled dossier.yaml");
        site
    }

    /// A small site written from strings: `paginate: 2` and the given
    /// briefings, as (file name under content/briefings/, front matter and body).
    pub fn tiny(briefings: &[(&str, &str)]) -> Site {
        let site = Site::empty();
        site.write(
            "dossier.yaml",
            "title: Tiny\nbase_url: https://tiny.example.org/\npaginate: 2\n",
        );
        std::fs::create_dir_all(site.root().join("content/briefings"))
            .expect("create content/briefings");
        for (name, text) in briefings {
            site.write(&format!("content/briefings/{name}"), text);
        }
        site
    }

    /// A tiny site of `n` briefings, one a day from 1 March 2021, named `b1.md`…
    pub fn with_briefings(n: usize) -> Site {
        let texts: Vec<(String, String)> = (1..=n)
            .map(|i| (format!("b{i}.md"), briefing(&format!("Briefing {i}"), i)))
            .collect();
        let refs: Vec<(&str, &str)> = texts
            .iter()
            .map(|(name, text)| (name.as_str(), text.as_str()))
            .collect();
        Site::tiny(&refs)
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Build options for this site, as `dossier build --root` would make them.
    pub fn options(&self) -> BuildOptions {
        BuildOptions::new(self.root())
    }

    /// Builds with the default options; a failed build fails the test with every diagnostic.
    pub fn build(&self) -> BuildReport {
        self.build_with(&self.options())
    }

    pub fn build_with(&self, options: &BuildOptions) -> BuildReport {
        dossier::build(options).unwrap_or_else(|d| panic!("the build failed:\n{}", lines(&d)))
    }

    /// Builds and expects a failure; a successful build fails the test.
    pub fn build_err(&self) -> Diagnostics {
        match dossier::build(&self.options()) {
            Ok(report) => panic!("the build succeeded: {}", report.summary()),
            Err(diagnostics) => diagnostics,
        }
    }

    /// The default output folder, `<root>/public`.
    pub fn output(&self) -> Output {
        self.output_at(&self.options())
    }

    /// The output of a build made with `options`.
    pub fn output_at(&self, options: &BuildOptions) -> Output {
        let config = std::fs::read_to_string(self.root().join("dossier.yaml")).unwrap_or_default();
        let base = options
            .base_url
            .clone()
            .or_else(|| config_value(&config, "base_url"))
            .unwrap_or_else(|| "http://127.0.0.1:1111/".into());
        Output::new(&options.output, &base)
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.root().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("create {}: {e}", parent.display()));
        }
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    pub fn remove(&self, rel: &str) {
        let path = self.root().join(rel);
        std::fs::remove_file(&path).unwrap_or_else(|e| panic!("remove {}: {e}", path.display()));
    }
}

/// The text of a briefing with a title and a date `day` days into March 2021.
pub fn briefing(title: &str, day: usize) -> String {
    format!("---\ntitle: {title}\ndate: 2021-03-{day:02}\npeople: [Ada Lovelace]\n---\nText.\n")
}

/// A top-level `key: value` of a simple YAML file, unquoted.
fn config_value(yaml: &str, key: &str) -> Option<String> {
    yaml.lines().find_map(|line| {
        let value = line.strip_prefix(key)?.trim_start().strip_prefix(':')?;
        Some(value.trim().trim_matches(['"', '\'']).to_string())
    })
}

/// One diagnostic a line, as `dossier build` prints them without snippets.
pub fn lines(diagnostics: &Diagnostics) -> String {
    diagnostics
        .0
        .iter()
        .map(|d| format!("{d}\n"))
        .collect::<String>()
}

pub fn sel(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("bad selector {css:?}: {e}"))
}

/// Every file of an output folder and its bytes, by relative path.
pub type Tree = BTreeMap<PathBuf, Vec<u8>>;

/// The paths whose bytes differ between two trees, or that only one has.
pub fn differences<'t>(a: &'t Tree, b: &'t Tree) -> Vec<&'t PathBuf> {
    let mut paths: Vec<&PathBuf> = a
        .keys()
        .chain(b.keys())
        .filter(|path| a.get(*path) != b.get(*path))
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

/// A built site on disk.
pub struct Output {
    pub dir: PathBuf,
    /// The site's base URL, ending in `/`.
    pub base: Url,
}

impl Output {
    pub fn new(dir: &Path, base_url: &str) -> Output {
        let mut base = Url::parse(base_url).expect("a valid base_url");
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        Output {
            dir: dir.to_path_buf(),
            base,
        }
    }

    /// The file a site path is served from: `/a/` → `a/index.html`.
    pub fn file(&self, site_path: &str) -> PathBuf {
        let rel = site_path.trim_start_matches('/');
        if rel.is_empty() || rel.ends_with('/') {
            self.dir.join(format!("{rel}index.html"))
        } else {
            self.dir.join(rel)
        }
    }

    pub fn exists(&self, site_path: &str) -> bool {
        self.file(site_path).is_file()
    }

    /// The page at a site path, parsed; fails the test when there is none.
    pub fn page(&self, site_path: &str) -> Page {
        let file = self.file(site_path);
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("no page at {site_path} ({}): {e}", file.display()));
        Page {
            site_path: site_path.to_string(),
            url: self.url(site_path),
            base: self.base.clone(),
            html: Html::parse_document(&text),
        }
    }

    /// The absolute URL of a site path.
    pub fn url(&self, site_path: &str) -> Url {
        self.base
            .join(site_path.trim_start_matches('/'))
            .unwrap_or_else(|e| panic!("bad site path {site_path}: {e}"))
    }

    /// Every file under the output folder, relative, sorted.
    pub fn files(&self) -> Vec<PathBuf> {
        WalkDir::new(&self.dir)
            .sort_by_file_name()
            .into_iter()
            .map(|e| e.unwrap_or_else(|e| panic!("walk the output: {e}")))
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                e.path()
                    .strip_prefix(&self.dir)
                    .expect("walkdir yields paths under its root")
                    .to_path_buf()
            })
            .collect()
    }

    /// The site paths of every HTML page: `index.html` → `/`, `404.html` → `/404.html`.
    pub fn pages(&self) -> Vec<String> {
        self.files()
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "html"))
            .map(|f| {
                let rel = f
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                match rel.strip_suffix("index.html") {
                    Some(dir) => format!("/{dir}"),
                    None => format!("/{rel}"),
                }
            })
            .collect()
    }

    /// Every file and its contents, for comparing two builds.
    pub fn tree(&self) -> Tree {
        self.files()
            .into_iter()
            .map(|rel| {
                let bytes = std::fs::read(self.dir.join(&rel))
                    .unwrap_or_else(|e| panic!("read {}: {e}", rel.display()));
                (rel, bytes)
            })
            .collect()
    }

    /// [`Output::tree`] of a folder a server may be rebuilding right now:
    /// `None` when something listed was gone by the time it was read (a
    /// rebuild's temporary file renamed over its page, or the previous
    /// site being removed after a swap).
    pub fn tree_now(&self) -> Option<Tree> {
        let gone = |e: &std::io::Error| e.kind() == std::io::ErrorKind::NotFound;
        let mut tree = Tree::new();
        for entry in WalkDir::new(&self.dir).sort_by_file_name() {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) if e.io_error().is_some_and(gone) => return None,
                Err(e) => panic!("walk the output: {e}"),
            };
            if !entry.file_type().is_file() {
                continue;
            }
            let bytes = match std::fs::read(entry.path()) {
                Ok(bytes) => bytes,
                Err(e) if gone(&e) => return None,
                Err(e) => panic!("read {}: {e}", entry.path().display()),
            };
            let rel = entry.path().strip_prefix(&self.dir).ok()?.to_path_buf();
            tree.insert(rel, bytes);
        }
        Some(tree)
    }

    /// Where a link goes, from the page at `from`.
    pub fn resolve(&self, from: &Url, href: &str) -> Target {
        let Ok(url) = from.join(href) else {
            return Target::Broken(format!("not a URL: {href:?}"));
        };
        if !matches!(url.scheme(), "http" | "https") {
            return Target::External;
        }
        if url.host_str() != self.base.host_str()
            || url.port_or_known_default() != self.base.port_or_known_default()
        {
            return Target::External;
        }
        let Some(rest) = url.path().strip_prefix(self.base.path()) else {
            return Target::Broken(format!(
                "{} is outside the site root {}",
                url.path(),
                self.base.path()
            ));
        };
        Target::Internal {
            site_path: format!("/{}", percent_decode(rest)),
            fragment: url.fragment().map(percent_decode),
        }
    }

    /// Every link in every page that does not resolve, one line each.
    pub fn broken_links(&self) -> String {
        let mut ids: HashMap<String, HashSet<String>> = HashMap::new();
        let mut report = String::new();
        for site_path in self.pages() {
            let page = self.page(&site_path);
            for href in page.link_attrs() {
                match self.resolve(&page.url, &href) {
                    Target::External => {}
                    Target::Broken(why) => {
                        let _ = writeln!(report, "{site_path}: {href}: {why}");
                    }
                    Target::Internal {
                        site_path: target,
                        fragment,
                    } => {
                        if !self.exists(&target) {
                            let _ = writeln!(report, "{site_path}: {href}: no file for {target}");
                            continue;
                        }
                        let Some(fragment) = fragment.filter(|f| !f.is_empty()) else {
                            continue;
                        };
                        let known = ids
                            .entry(target.clone())
                            .or_insert_with(|| self.page(&target).ids());
                        if !known.contains(&fragment) {
                            let _ = writeln!(
                                report,
                                "{site_path}: {href}: no element with id {fragment:?} in {target}"
                            );
                        }
                    }
                }
            }
        }
        report
    }
}

/// Where a link points.
#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    /// Another host or scheme: not checked.
    External,
    /// A page of the site, by site path, with its `#fragment` if any.
    Internal {
        site_path: String,
        fragment: Option<String>,
    },
    Broken(String),
}

/// Decodes `%XX` escapes (slugs are ASCII, but headings and aliases need not be).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One parsed page of the output.
pub struct Page {
    pub site_path: String,
    pub url: Url,
    base: Url,
    pub html: Html,
}

impl Page {
    pub fn select<'a>(&'a self, css: &str) -> Vec<ElementRef<'a>> {
        self.html.select(&sel(css)).collect()
    }

    /// The text of the first element matching `css`, whitespace collapsed.
    pub fn text(&self, css: &str) -> String {
        let element = self
            .select(css)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("{}: nothing matches {css:?}", self.site_path));
        text_of(element)
    }

    /// The raw URL of every `a[href]`, `link[href]`, `script[src]` and `img[src]`.
    pub fn link_attrs(&self) -> Vec<String> {
        let mut found = Vec::new();
        for (css, attr) in [
            ("a[href]", "href"),
            ("link[href]", "href"),
            ("script[src]", "src"),
            ("img[src]", "src"),
        ] {
            for element in self.select(css) {
                if let Some(value) = element.value().attr(attr) {
                    found.push(value.to_string());
                }
            }
        }
        found
    }

    /// The site paths (without fragments) of the internal links matched by
    /// `css` (elements with an `href`), in document order.
    pub fn links(&self, css: &str) -> Vec<String> {
        self.select(css)
            .into_iter()
            .filter_map(|a| a.value().attr("href"))
            .filter_map(|href| self.site_path_of(href))
            .collect()
    }

    /// The briefings linked from `<main>`, in order, each once.
    pub fn briefings(&self) -> Vec<String> {
        briefings_in(self.links("main a[href]"))
    }

    /// The briefings linked from inside the elements matched by `css`, each once.
    pub fn briefings_in(&self, css: &str) -> Vec<String> {
        briefings_in(self.links(&format!("{css} a[href]")))
    }

    /// Like [`Page::links`], with the `#fragment` kept when there is one.
    pub fn targets(&self, css: &str) -> Vec<String> {
        self.select(css)
            .into_iter()
            .filter_map(|a| a.value().attr("href"))
            .filter_map(|href| {
                let path = self.site_path_of(href)?;
                let url = self.url.join(href).ok()?;
                Some(match url.fragment() {
                    Some(fragment) => format!("{path}#{}", percent_decode(fragment)),
                    None => path,
                })
            })
            .collect()
    }

    /// The site path a link points to, if it is internal.
    pub fn site_path_of(&self, href: &str) -> Option<String> {
        let url = self.url.join(href).ok()?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str() != self.base.host_str() {
            return None;
        }
        let rest = url.path().strip_prefix(self.base.path())?;
        Some(format!("/{}", percent_decode(rest)))
    }

    /// The `rel="next"` link of the page's pagination, as a site path.
    pub fn next_page(&self) -> Option<String> {
        self.links("main a[rel~=next]").into_iter().next()
    }

    /// Every element id in the page.
    pub fn ids(&self) -> HashSet<String> {
        self.select("[id]")
            .into_iter()
            .filter_map(|e| e.value().attr("id").map(str::to_string))
            .collect()
    }
}

fn briefings_in(links: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    links
        .into_iter()
        .filter(|l| l.starts_with("/briefings/"))
        .filter(|l| seen.insert(l.clone()))
        .collect()
}

/// An element's text with runs of whitespace collapsed to one space.
pub fn text_of(element: ElementRef<'_>) -> String {
    element
        .text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The briefings of a paginated listing, across all its pages (following
/// `rel="next"` from `first`), and the site paths of the pages visited.
pub fn listing(output: &Output, first: &str) -> (Vec<String>, Vec<String>) {
    let mut briefings = Vec::new();
    let mut pages = Vec::new();
    let mut next = Some(first.to_string());
    while let Some(path) = next {
        assert!(
            !pages.contains(&path),
            "pagination of {first} loops back to {path}"
        );
        let page = output.page(&path);
        briefings.extend(page.briefings());
        next = page.next_page();
        pages.push(path);
    }
    (briefings, pages)
}

/// `/briefings/<slug>/` for each slug.
pub fn briefing_paths(slugs: &[&str]) -> Vec<String> {
    slugs.iter().map(|s| format!("/briefings/{s}/")).collect()
}

impl Output {
    /// Every HTML page's structural problems: HTML5 parse errors, duplicate
    /// ids, a count of `<h1>` or `<main>` other than one (404 included).
    pub fn html_problems(&self) -> String {
        let mut problems = Vec::new();
        for site_path in self.pages() {
            let page = self.page(&site_path);
            for error in &page.html.errors {
                problems.push(format!("{site_path}: parse error: {error}"));
            }
            let mut ids = std::collections::BTreeSet::new();
            for element in page.select("[id]") {
                let id = element.value().attr("id").unwrap_or_default();
                if !ids.insert(id.to_string()) {
                    problems.push(format!("{site_path}: duplicate id `{id}`"));
                }
            }
            for tag in ["h1", "main"] {
                let count = page.select(tag).len();
                if count != 1 {
                    problems.push(format!("{site_path}: {count} <{tag}> elements"));
                }
            }
            if page.select("html[lang]").is_empty() {
                problems.push(format!("{site_path}: <html> has no lang"));
            }
        }
        problems.join("\n")
    }
}

/// Every `loc` of a sitemap file, with its `lastmod`; fails on anything but
/// a `urlset` of the sitemaps.org namespace.
pub fn sitemap_urls(output: &Output, site_path: &str) -> Vec<(String, Option<String>)> {
    let text = std::fs::read_to_string(output.file(site_path)).expect("read the sitemap");
    let doc = roxmltree::Document::parse(&text).expect("the sitemap is XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "urlset");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.sitemaps.org/schemas/sitemap/0.9")
    );
    root.children()
        .filter(|n| n.is_element())
        .map(|url| {
            assert_eq!(url.tag_name().name(), "url");
            let child = |name: &str| {
                url.children()
                    .find(|c| c.tag_name().name() == name)
                    .and_then(|c| c.text())
                    .map(str::to_string)
            };
            (child("loc").expect("a loc"), child("lastmod"))
        })
        .collect()
}
