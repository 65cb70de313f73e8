//! Publishing: Atom feeds, the sitemap, robots.txt, CNAME and .nojekyll, the
//! 404 page served at any depth, and all of it under a GitHub Pages subpath.

use std::collections::BTreeSet;

use dossier::config::BuildOptions;
use feed_rs::model::Feed;
use scraper::Html;
use url::Url;

use crate::support::{Output, Site, Target, listing, sel, sitemap_urls};

const SUBPATH: &str = "https://user.github.io/archive/";

/// The feed at a site path, parsed by feed-rs.
fn feed(output: &Output, site_path: &str) -> Feed {
    let file = output.file(site_path);
    let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
    feed_rs::parser::parse(bytes.as_slice())
        .unwrap_or_else(|e| panic!("{site_path} is not a valid feed: {e}"))
}

/// The `rel="alternate"` link of an entry or feed.
fn alternate(links: &[feed_rs::model::Link]) -> String {
    links
        .iter()
        .find(|l| l.rel.as_deref() == Some("alternate"))
        .map(|l| l.href.clone())
        .expect("an alternate link")
}

/// The site path of an absolute URL of the site; fails the test on any other URL.
fn site_path(output: &Output, absolute: &str) -> String {
    assert!(
        absolute.starts_with(output.base.as_str()),
        "{absolute} is not under {}",
        output.base
    );
    match output.resolve(&output.base, absolute) {
        Target::Internal { site_path, .. } => site_path,
        other => panic!("{absolute}: {other:?}"),
    }
}

/// The briefings a feed lists, as site paths, in order.
fn entries(output: &Output, feed: &Feed) -> Vec<String> {
    feed.entries
        .iter()
        .map(|e| site_path(output, &alternate(&e.links)))
        .collect()
}

/// A tiny site of `n` briefings (`b1` oldest) with the given extra config.
fn site_with(n: usize, config: &str) -> Site {
    let site = Site::with_briefings(n);
    site.write(
        "dossier.yaml",
        &format!("title: Tiny\nbase_url: https://tiny.example.org/\npaginate: 2\n{config}"),
    );
    site
}

fn build_at(site: &Site, base_url: &str) -> Output {
    let mut options = site.options();
    options.base_url = Some(base_url.into());
    site.build_with(&options);
    site.output_at(&options)
}

#[test]
fn the_site_feed_holds_the_newest_briefings_newest_first() {
    let site = site_with(5, "feed_limit: 3\n");
    site.write(
        "content/briefings/b4.md",
        "---\ntitle: Briefing 4\ndate: 2021-03-04\nupdated: 2021-04-01T12:30:00Z\nsummary: Four & more <b>bold</b>\npeople: [Ada Lovelace, Grace Hopper]\n---\nThe *fourth* [link](/briefings/b1/).\n",
    );
    site.build();
    let output = site.output();
    let feed = feed(&output, "/atom.xml");

    assert_eq!(
        entries(&output, &feed),
        ["/briefings/b5/", "/briefings/b4/", "/briefings/b3/"]
    );
    assert_eq!(
        feed.title.as_ref().map(|t| t.content.as_str()),
        Some("Tiny")
    );
    assert_eq!(feed.id, "https://tiny.example.org/atom.xml");
    assert_eq!(alternate(&feed.links), "https://tiny.example.org/");
    let feed_self = feed.links.iter().find(|l| l.rel.as_deref() == Some("self"));
    assert_eq!(
        feed_self.map(|l| l.href.as_str()),
        Some("https://tiny.example.org/atom.xml")
    );
    // The feed was last updated when its latest entry was.
    assert_eq!(
        feed.updated.map(|d| d.to_rfc3339()),
        Some("2021-04-01T12:30:00+00:00".into())
    );

    let four = &feed.entries[1];
    assert_eq!(four.id, "https://tiny.example.org/briefings/b4/");
    assert_eq!(
        four.published.map(|d| d.to_rfc3339()),
        Some("2021-03-04T00:00:00+00:00".into())
    );
    assert_eq!(
        four.updated.map(|d| d.to_rfc3339()),
        Some("2021-04-01T12:30:00+00:00".into())
    );
    // Summary as text, escaped once: the markup is the summary's own text.
    assert_eq!(
        four.summary.as_ref().map(|s| s.content.as_str()),
        Some("Four & more <b>bold</b>")
    );
    let content = four
        .content
        .as_ref()
        .and_then(|c| c.body.as_deref())
        .expect("content");
    let body = Html::parse_fragment(content);
    assert_eq!(
        body.select(&sel("em"))
            .map(|e| e.text().collect::<String>())
            .collect::<Vec<_>>(),
        ["fourth"]
    );
    let categories: Vec<_> = four.categories.iter().map(|c| c.term.as_str()).collect();
    assert_eq!(categories, ["Ada Lovelace", "Grace Hopper"]);
    assert!(
        four.categories
            .iter()
            .all(|c| c.scheme.as_deref() == Some("https://tiny.example.org/people/"))
    );
    // Relative links in the content resolve against the entry's permalink.
    assert_eq!(
        four.base.as_deref(),
        Some("https://tiny.example.org/briefings/b4/")
    );
}

#[test]
fn every_term_feed_holds_the_newest_of_its_own_briefings() {
    let site = Site::fixture();
    site.write("dossier.yaml", &{
        let config = std::fs::read_to_string(site.root().join("dossier.yaml")).expect("config");
        format!("{config}feed_limit: 2\n")
    });
    site.build();
    let output = site.output();
    let mut feeds = 0;
    for taxonomy in ["people", "countries", "topics"] {
        let index = output.page(&format!("/{taxonomy}/"));
        for term in index.links("main a[href]") {
            if !term.starts_with(&format!("/{taxonomy}/")) || term == format!("/{taxonomy}/") {
                continue;
            }
            let (briefings, _) = listing(&output, &term);
            let page = output.page(&term);
            let linked = page.links("head link[rel=alternate][type='application/atom+xml']");
            if briefings.is_empty() {
                assert!(
                    !output.exists(&format!("{term}atom.xml")),
                    "{term} has no briefings"
                );
                assert_eq!(linked, ["/atom.xml"], "{term} links only the site's feed");
                continue;
            }
            let term_feed = format!("{term}atom.xml");
            assert_eq!(linked, ["/atom.xml", term_feed.as_str()], "{term}");
            let feed = feed(&output, &term_feed);
            let newest: Vec<String> = briefings.iter().take(2).cloned().collect();
            assert_eq!(entries(&output, &feed), newest, "{term_feed}");
            assert_eq!(alternate(&feed.links), output.url(&term).to_string());
            let name = page.text("main h1");
            assert!(
                feed.title
                    .as_ref()
                    .is_some_and(|t| t.content.starts_with(&name)),
                "{term_feed} is titled after {name}"
            );
            for entry in &feed.entries {
                assert!(
                    entry.categories.iter().any(|c| c.term == name),
                    "{term_feed}"
                );
                // By default a term feed carries summaries, not bodies.
                assert!(
                    entry
                        .summary
                        .as_ref()
                        .is_some_and(|s| !s.content.is_empty()),
                    "{term_feed}: an entry without a summary"
                );
                assert!(entry.content.is_none(), "{term_feed}: a body");
            }
            feeds += 1;
        }
    }
    assert_eq!(feeds, 10, "one feed per term with briefings");
    // Every page links the site's feed.
    for page in output.pages() {
        let links = output.page(&page).links("head link[rel=alternate]");
        assert!(
            links.contains(&"/atom.xml".to_string()),
            "{page}: {links:?}"
        );
    }
}

#[test]
fn the_sitemap_lists_every_page_and_nothing_else() {
    let site = Site::fixture();
    site.build();
    let output = site.output();
    let urls = sitemap_urls(&output, "/sitemap.xml");
    let listed: BTreeSet<String> = urls
        .iter()
        .map(|(loc, _)| {
            let path = site_path(&output, loc);
            assert!(output.exists(&path), "{loc} has no file");
            path
        })
        .collect();
    assert_eq!(listed.len(), urls.len(), "each page once");
    let pages: BTreeSet<String> = output
        .pages()
        .into_iter()
        .filter(|p| p != "/404.html")
        .collect();
    assert_eq!(listed, pages);
    for (loc, lastmod) in &urls {
        let Some(lastmod) = lastmod.as_deref() else {
            // Only a page that shows no briefing has no date to give.
            let page = output.page(&site_path(&output, loc));
            assert!(page.briefings().is_empty(), "{loc} has no lastmod");
            continue;
        };
        assert!(
            lastmod.parse::<jiff::civil::Date>().is_ok()
                || lastmod.parse::<jiff::Timestamp>().is_ok(),
            "{loc}: lastmod {lastmod} is not a W3C date"
        );
    }
    // A briefing's lastmod is its date; a listing's, its latest briefing's.
    let lastmod = |path: &str| {
        let loc = output.url(path).to_string();
        urls.iter()
            .find(|(l, _)| *l == loc)
            .and_then(|(_, m)| m.clone())
    };
    for page in output
        .pages()
        .iter()
        .filter(|p| p.starts_with("/briefings/"))
    {
        let date = output.page(page).select("main time[datetime]")[0]
            .value()
            .attr("datetime")
            .map(str::to_string);
        assert_eq!(lastmod(page), date, "{page}");
    }
    let newest = output.page("/").briefings()[0].clone();
    assert_eq!(lastmod("/"), lastmod(&newest));
}

#[test]
fn robots_txt_names_the_sitemap_unless_the_site_ships_one() {
    let site = Site::fixture();
    let output = build_at(&site, SUBPATH);
    let robots = std::fs::read_to_string(output.dir.join("robots.txt")).expect("robots.txt");
    let sitemap: Vec<&str> = robots
        .lines()
        .filter_map(|l| l.strip_prefix("Sitemap:"))
        .map(str::trim)
        .collect();
    assert_eq!(sitemap, ["https://user.github.io/archive/sitemap.xml"]);
    assert!(output.exists("/sitemap.xml"));
    assert!(robots.lines().any(|l| l == "User-agent: *"));

    site.write("static/robots.txt", "User-agent: *\nDisallow: /\n");
    site.build();
    let robots = std::fs::read_to_string(site.output().dir.join("robots.txt")).expect("robots.txt");
    assert_eq!(robots, "User-agent: *\nDisallow: /\n");
}

#[test]
fn cname_and_nojekyll_are_written_for_branch_deploys() {
    let site = site_with(1, "");
    site.build();
    let output = site.output();
    assert!(output.dir.join(".nojekyll").is_file());
    assert!(!output.dir.join("CNAME").exists(), "no CNAME unless asked");

    let site = site_with(1, "cname: archive.example.org\n");
    site.build();
    let cname = std::fs::read_to_string(site.output().dir.join("CNAME")).expect("CNAME");
    assert_eq!(cname, "archive.example.org\n");

    let site = site_with(1, "cname: https://archive.example.org/\n");
    let errors = site.build_err();
    assert!(
        errors
            .0
            .iter()
            .any(|d| d.message.contains("bare domain name")),
        "{errors:?}"
    );
}

#[test]
fn feed_limit_must_be_positive() {
    let site = site_with(1, "feed_limit: 0\n");
    let errors = site.build_err();
    assert!(
        errors.0.iter().any(|d| d.message.contains("feed_limit")),
        "{errors:?}"
    );
}

#[test]
fn the_404_page_works_from_any_depth_under_a_subpath() {
    let site = Site::fixture();
    let output = build_at(&site, SUBPATH);
    let page = output.page("/404.html");
    let ids = page.ids();
    let mut checked = 0;
    for depth in [
        "/",
        "/no-such-page",
        "/briefings/gone/",
        "/people/a/b/c/d/missing.html",
    ] {
        let served_at = output.url(depth);
        for href in page.link_attrs() {
            if let Some(id) = href.strip_prefix('#') {
                assert!(ids.contains(id), "404.html links #{id}, which it lacks");
                continue;
            }
            match output.resolve(&served_at, &href) {
                Target::Internal { site_path, .. } => {
                    assert!(
                        output.exists(&site_path),
                        "{href} from {depth}: no {site_path}"
                    );
                    checked += 1;
                }
                Target::External => panic!("{href} leaves the site"),
                Target::Broken(why) => panic!("{href} from {depth}: {why}"),
            }
        }
    }
    assert!(checked > 20, "the 404 page links its styles and sections");
}

/// A config that adds `extra` to the fixture's.
fn fixture_with(extra: &str) -> Site {
    let site = Site::fixture();
    let config = std::fs::read_to_string(site.root().join("dossier.yaml")).expect("config");
    site.write("dossier.yaml", &format!("{config}{extra}"));
    site
}

#[test]
fn full_term_feeds_carry_bodies_and_none_makes_no_term_feeds() {
    let site = fixture_with("term_feeds: full\n");
    site.build();
    let output = site.output();
    let term = "/people/ada-lovelace/";
    let (briefings, _) = listing(&output, term);
    let feed = feed(&output, &format!("{term}atom.xml"));
    assert_eq!(entries(&output, &feed).len(), briefings.len().min(20));
    for entry in &feed.entries {
        let body = entry.content.as_ref().and_then(|c| c.body.as_deref());
        let page = output.page(&site_path(&output, &alternate(&entry.links)));
        let first = page.text("article .briefing-body p");
        let text = Html::parse_fragment(body.expect("a body"))
            .root_element()
            .text()
            .collect::<String>();
        assert!(text.contains(&first), "the entry holds the page's body");
    }

    let site = fixture_with("term_feeds: none\n");
    site.build();
    let output = site.output();
    assert!(output.exists("/atom.xml"), "the site's feed stays");
    let page = output.page(term);
    assert_eq!(
        page.links("head link[rel=alternate][type='application/atom+xml']"),
        ["/atom.xml"]
    );
    assert!(!output.exists(&format!("{term}atom.xml")));
    let feeds = output
        .files()
        .into_iter()
        .filter(|f| f.ends_with("atom.xml"))
        .count();
    assert_eq!(feeds, 1, "only the site's feed");
}

#[test]
fn a_subpath_build_keeps_feeds_and_sitemap_under_the_subpath() {
    // Full term feeds, so the links inside their bodies are followed too.
    let site = fixture_with("term_feeds: full\n");
    let output = build_at(&site, SUBPATH);
    let broken = output.broken_links();
    assert!(broken.is_empty(), "broken links:\n{broken}");

    for (loc, _) in sitemap_urls(&output, "/sitemap.xml") {
        assert!(output.exists(&site_path(&output, &loc)), "{loc}");
    }
    let mut feeds = vec!["/atom.xml".to_string()];
    let ada = output.page("/people/ada-lovelace/");
    feeds.extend(ada.links("head link[type='application/atom+xml']"));
    assert_eq!(feeds.len(), 3, "{feeds:?}");
    for path in feeds {
        assert!(output.exists(&path), "{path}");
        let feed = feed(&output, &path);
        for link in feed
            .links
            .iter()
            .chain(feed.entries.iter().flat_map(|e| &e.links))
        {
            assert!(
                output.exists(&site_path(&output, &link.href)),
                "{path}: {}",
                link.href
            );
        }
        for entry in &feed.entries {
            // Links in the content, read against the entry's xml:base.
            let base = Url::parse(entry.base.as_deref().expect("xml:base")).expect("a URL");
            let content = entry
                .content
                .as_ref()
                .and_then(|c| c.body.as_deref())
                .unwrap_or("");
            let html = Html::parse_fragment(content);
            for a in html.select(&sel("a[href]")) {
                let href = a.value().attr("href").unwrap_or("");
                match output.resolve(&base, href) {
                    Target::Internal { site_path, .. } => {
                        assert!(output.exists(&site_path), "{path}: {href}");
                    }
                    Target::External => {}
                    Target::Broken(why) => panic!("{path}: {href}: {why}"),
                }
            }
        }
    }
}

#[test]
fn feeds_stay_valid_xml_whatever_the_text_holds() {
    let site = Site::tiny(&[(
        "odd.md",
        "---\ntitle: \"Odd \\x01 <title> & \\\"quotes\\\"\"\ndate: 2021-03-01\nsummary: \"A\\x0Bb ]]> c\"\n---\nBody with \u{1} control and <script>x</script> raw HTML & ]]>.\n",
    )]);
    site.build();
    let output = site.output();
    let feed = feed(&output, "/atom.xml");
    let entry = &feed.entries[0];
    assert_eq!(
        entry.title.as_ref().map(|t| t.content.as_str()),
        Some("Odd  <title> & \"quotes\"")
    );
    assert_eq!(
        entry.summary.as_ref().map(|t| t.content.as_str()),
        Some("Ab ]]> c")
    );
    let content = entry
        .content
        .as_ref()
        .and_then(|c| c.body.as_deref())
        .unwrap_or("");
    assert!(content.contains("<script>x</script>"), "{content}");
    let text = std::fs::read_to_string(output.file("/atom.xml")).expect("atom.xml");
    roxmltree::Document::parse(&text).expect("atom.xml is well-formed XML");
}

#[test]
fn a_site_without_briefings_links_no_feed() {
    let site = Site::tiny(&[]);
    site.build();
    let output = site.output();
    assert!(!output.exists("/atom.xml"));
    assert!(
        output
            .page("/")
            .links("head link[rel=alternate]")
            .is_empty()
    );
    let urls = sitemap_urls(&output, "/sitemap.xml");
    assert!(
        urls.iter()
            .any(|(loc, _)| loc == "https://tiny.example.org/")
    );
}

#[test]
fn feeds_and_sitemap_are_byte_identical_across_builds() {
    let site = Site::fixture();
    site.build();
    let first = site.output().tree();
    let mut options = BuildOptions::new(site.root());
    options.output = site.root().join("again");
    site.build_with(&options);
    let second = site.output_at(&options).tree();
    for name in [
        "atom.xml",
        "sitemap.xml",
        "robots.txt",
        "people/ada-lovelace/atom.xml",
    ] {
        let key = std::path::PathBuf::from(name);
        assert!(first.contains_key(&key), "{name}");
        assert_eq!(first.get(&key), second.get(&key), "{name}");
    }
}
