//! The fixture site (`tests/fixtures/site`), built and read back: links, term
//! pages, aliases, base URLs, escaping, code, determinism and the build report.

use std::collections::{BTreeMap, BTreeSet};

use crate::support::{Output, Page, Site, Target, briefing_paths, listing, sel, text_of};

/// Every term of the fixture and its briefings, newest first, as the fixture's
/// front matter tags them (drafts left out). The names in the front matter
/// differ from the profiles' on purpose: "recep tayyip erdogan" and "Erdogan"
/// are Recep Tayyip Erdoğan, "Luigi De Maio" is Luigi Di Maio.
const TERMS: [(&str, &[&str]); 11] = [
    (
        "/people/ada-lovelace/",
        &["autumn-review", "ankara-follow-up", "ankara-talks"],
    ),
    (
        "/people/recep-tayyip-erdogan/",
        &["ankara-follow-up", "ankara-talks"],
    ),
    ("/people/luigi-di-maio/", &["rome-meeting"]),
    ("/people/grace-hopper/", &["geneva-appeal", "rome-meeting"]),
    ("/people/nobody-yet/", &[]),
    ("/countries/turkey/", &["ankara-follow-up", "ankara-talks"]),
    ("/countries/syria/", &["autumn-review", "ankara-follow-up"]),
    ("/countries/italy/", &["rome-meeting"]),
    (
        "/topics/border-security/",
        &["ankara-follow-up", "ankara-talks"],
    ),
    ("/topics/humanitarian-aid/", &["geneva-appeal"]),
    ("/topics/script-alert-1-script/", &["rome-meeting"]),
];

/// The published briefings of the fixture, newest first.
const BRIEFINGS: [&str; 5] = [
    "geneva-appeal",
    "rome-meeting",
    "autumn-review",
    "ankara-follow-up",
    "ankara-talks",
];

fn built_fixture() -> (Site, Output) {
    let site = Site::fixture();
    site.build();
    let output = site.output();
    (site, output)
}

#[test]
fn every_internal_link_and_fragment_resolves() {
    let (_site, output) = built_fixture();
    let broken = output.broken_links();
    assert!(broken.is_empty(), "broken links:\n{broken}");
}

#[test]
fn the_link_checker_catches_missing_pages_and_fragments() {
    // A checker that never fails proves nothing: feed it a page of bad links.
    let (_site, output) = built_fixture();
    let bad = r##"<!DOCTYPE html><html><head><link rel="stylesheet" href="/missing.css"></head>
<body><a href="/briefings/no-such-briefing/">x</a><a href="#nowhere">y</a>
<a href="https://dossier.example.org/people/nobody/">z</a><img src="/no.png">
<a href="https://elsewhere.example.com/">external</a><a href="/people/#letter-a">fine</a></body></html>"##;
    std::fs::write(output.dir.join("bad.html"), bad).expect("write a bad page");
    let broken = output.broken_links();
    let reported: Vec<&str> = broken.lines().collect();
    assert_eq!(reported.len(), 5, "{broken}");
    for needle in [
        "/missing.css",
        "/briefings/no-such-briefing/",
        "#nowhere",
        "/people/nobody/",
        "/no.png",
    ] {
        assert!(
            reported
                .iter()
                .any(|l| l.starts_with("/bad.html: ") && l.contains(needle)),
            "{needle} not reported:\n{broken}"
        );
    }
    let from = output.url("/bad.html");
    assert_eq!(
        output.resolve(&from, "https://elsewhere.example.com/"),
        Target::External
    );
}

#[test]
fn term_pages_list_exactly_their_briefings_newest_first() {
    let (_site, output) = built_fixture();
    for (term, slugs) in TERMS {
        let (briefings, _) = listing(&output, term);
        assert_eq!(
            briefings,
            briefing_paths(slugs),
            "briefings listed on {term}"
        );
    }
}

#[test]
fn every_term_has_exactly_one_page() {
    let (_site, output) = built_fixture();
    let mut expected: Vec<String> = TERMS.iter().map(|(t, _)| t.to_string()).collect();
    expected.sort();
    let mut found: Vec<String> = output
        .pages()
        .into_iter()
        .filter(|p| p.split('/').count() == 4 && !p.starts_with("/briefings/"))
        .filter(|p| !p.starts_with("/archive/") && !p.starts_with("/page/"))
        .collect();
    found.sort();
    assert_eq!(found, expected);
}

#[test]
fn names_resolve_through_aliases_case_and_diacritics() {
    let (_site, output) = built_fixture();
    // "recep tayyip erdogan" (case, no ğ) and "Erdogan" (an alias written without ğ).
    let (erdogan, _) = listing(&output, "/people/recep-tayyip-erdogan/");
    assert_eq!(
        erdogan,
        briefing_paths(&["ankara-follow-up", "ankara-talks"])
    );
    // The misspelling "Luigi De Maio" is an alias of Luigi Di Maio.
    let (di_maio, _) = listing(&output, "/people/luigi-di-maio/");
    assert_eq!(di_maio, briefing_paths(&["rome-meeting"]));
    for stray in [
        "/people/erdogan/",
        "/people/luigi-de-maio/",
        "/people/recep-tayyip-erdogan-1/",
    ] {
        assert!(!output.exists(stray), "{stray} should not have a page");
    }
    // Briefings name the term by its profile's name and link to its page.
    let page = output.page("/briefings/ankara-follow-up/");
    let erdogan_link = page
        .select("main a[href]")
        .into_iter()
        .find(|a| {
            page.site_path_of(a.value().attr("href").unwrap_or(""))
                .as_deref()
                == Some("/people/recep-tayyip-erdogan/")
        })
        .expect("ankara-follow-up links to Erdoğan's page");
    assert_eq!(text_of(erdogan_link), "Recep Tayyip Erdoğan");
    let rome = output.page("/briefings/rome-meeting/");
    assert!(
        rome.links("main a[href]")
            .contains(&"/people/luigi-di-maio/".to_string()),
        "rome-meeting links to Luigi Di Maio's page"
    );
}

#[test]
fn a_subpath_base_url_prefixes_every_internal_link() {
    let site = Site::fixture();
    let mut options = site.options();
    options.base_url = Some("https://user.github.io/archive/".into());
    site.build_with(&options);
    let output = site.output_at(&options);

    let mut outside = Vec::new();
    for site_path in output.pages() {
        let page = output.page(&site_path);
        for href in page.link_attrs() {
            let internal = matches!(
                output.resolve(&page.url, &href),
                Target::Internal { .. } | Target::Broken(_)
            );
            let prefixed = href.starts_with('#')
                || href.starts_with("/archive/")
                || href.starts_with("https://user.github.io/archive/");
            if internal && !prefixed {
                outside.push(format!("{site_path}: {href}"));
            }
        }
    }
    assert!(
        outside.is_empty(),
        "links not under /archive/:\n{}",
        outside.join("\n")
    );
    let broken = output.broken_links();
    assert!(broken.is_empty(), "broken links:\n{broken}");

    for (site_path, canonical) in [
        ("/", "https://user.github.io/archive/"),
        (
            "/briefings/ankara-talks/",
            "https://user.github.io/archive/briefings/ankara-talks/",
        ),
        (
            "/people/ada-lovelace/page/2/",
            "https://user.github.io/archive/people/ada-lovelace/page/2/",
        ),
    ] {
        let page = output.page(site_path);
        let links = page.select("head link[rel=canonical]");
        assert_eq!(links.len(), 1, "one canonical link on {site_path}");
        assert_eq!(
            links[0].value().attr("href"),
            Some(canonical),
            "canonical link of {site_path}"
        );
    }
}

fn assert_no_script_runs(page: &Page) {
    for script in page.select("script") {
        let text = script.text().collect::<String>();
        assert!(
            !text.contains("alert(1)"),
            "{}: a <script> element runs {text:?}",
            page.site_path
        );
    }
}

#[test]
fn markup_in_titles_summaries_and_names_is_escaped() {
    let (_site, output) = built_fixture();
    for site_path in output.pages() {
        assert_no_script_runs(&output.page(&site_path));
    }

    let page = output.page("/briefings/rome-meeting/");
    assert!(
        page.text("main h1")
            .contains("<script>alert(1)</script> in Rome"),
        "h1: {}",
        page.text("main h1")
    );
    assert!(page.text("title").contains("<script>alert(1)</script>"));
    let summary = "Ministers met; <script>alert(1)</script> was on the agenda.";
    assert!(
        page.select("main p")
            .into_iter()
            .any(|p| text_of(p) == summary),
        "the summary shows as text on the briefing page"
    );
    let description = page.select("meta[name=description]");
    assert_eq!(
        description.first().and_then(|m| m.value().attr("content")),
        Some(summary)
    );
    assert!(
        page.select("main a[href]")
            .into_iter()
            .any(|a| text_of(a) == "<script>alert(1)</script>"),
        "the tag shows as text on the briefing page"
    );

    let term = output.page("/topics/script-alert-1-script/");
    assert_eq!(term.text("main h1"), "<script>alert(1)</script>");
    assert!(term.text("title").contains("<script>alert(1)</script>"));

    let home = output.page("/");
    assert!(
        home.select("main a[href]")
            .into_iter()
            .any(|a| text_of(a) == "<script>alert(1)</script> in Rome"),
        "the title shows as text on the home page"
    );
}

#[test]
fn code_is_highlighted_and_unknown_languages_are_escaped() {
    let (_site, output) = built_fixture();
    let page = output.page("/briefings/ankara-talks/");
    let blocks = page.select("main pre.code");
    assert_eq!(blocks.len(), 1, "one highlighted block");
    let spans: Vec<String> = blocks[0]
        .select(&sel("span[class]"))
        .filter_map(|s| s.value().attr("class").map(str::to_string))
        .collect();
    assert!(
        !spans.is_empty() && spans.iter().all(|c| c.starts_with("hl-")),
        "highlight classes: {spans:?}"
    );
    assert!(
        blocks[0]
            .text()
            .collect::<String>()
            .contains("let zones = 3;"),
        "the code survives highlighting"
    );

    let plain: Vec<_> = page
        .select("main pre > code")
        .into_iter()
        .filter(|c| c.text().collect::<String>().contains("not bold"))
        .collect();
    assert_eq!(plain.len(), 1, "the nosuchlang block is on the page");
    assert_eq!(
        plain[0].text().collect::<String>(),
        "<b>not bold</b> & not a tag\n"
    );
    assert!(
        plain[0].select(&sel("b")).next().is_none(),
        "markup in unknown code is escaped, not parsed"
    );

    let css = std::fs::read_to_string(output.dir.join("syntax.css")).expect("syntax.css exists");
    assert!(css.contains(".hl-"), "syntax.css styles the hl- classes");
    assert!(
        page.links("head link[rel=stylesheet]")
            .contains(&"/syntax.css".to_string()),
        "pages link syntax.css"
    );
}

#[test]
fn two_builds_are_byte_identical() {
    let (site, first) = built_fixture();
    let tree = first.tree();
    site.build();
    assert!(tree == site.output().tree(), "a rebuild changed the output");
    let elsewhere = Site::fixture();
    elsewhere.build();
    let other = elsewhere.output().tree();
    assert_eq!(
        tree.keys().collect::<Vec<_>>(),
        other.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &tree {
        assert!(
            other.get(path) == Some(bytes),
            "{} differs between two sites in two folders",
            path.display()
        );
    }
}

#[test]
fn every_page_is_rendered_once_and_counted() {
    let site = Site::fixture();
    let report = site.build();
    let output = site.output();
    let html_files = output
        .files()
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "html"))
        .count();
    let xml_files = output
        .files()
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "xml"))
        .count();
    let render = report.render;
    assert_eq!(
        render.template_renders,
        render.pages + render.feeds + render.sitemaps
    );
    assert_eq!(render.pages, html_files);
    assert_eq!(render.feeds + render.sitemaps, xml_files);
    // The site's feed and one per term with briefings (ten of the eleven:
    // Nobody Yet has a profile and no briefing); one sitemap listing every
    // page but 404.html.
    assert_eq!(render.feeds, 1 + 10);
    assert_eq!(render.sitemaps, 1);
    assert_eq!(render.sitemap_urls, html_files - 1);
    // Cards are rendered once per briefing, not once per listing they appear on.
    assert_eq!(report.render.card_renders, BRIEFINGS.len());
    assert_eq!(report.render.briefing_pages, BRIEFINGS.len());
    // Eleven terms, and Ada Lovelace's three briefings take two pages.
    assert_eq!(report.render.term_pages, 12);
    assert_eq!(report.briefings, BRIEFINGS.len());
    assert_eq!(report.output.files, output.files().len());
    let bytes: u64 = output.tree().values().map(|b| b.len() as u64).sum();
    assert_eq!(report.output.bytes, bytes);
}

#[test]
fn files_of_deleted_content_do_not_linger() {
    let (site, output) = built_fixture();
    assert!(output.exists("/briefings/geneva-appeal/"));
    assert!(output.exists("/topics/humanitarian-aid/"));
    site.remove("content/briefings/2021/geneva.md");
    site.build();
    assert!(!output.exists("/briefings/geneva-appeal/"));
    // Humanitarian aid was named by that briefing only, and has no profile.
    assert!(!output.exists("/topics/humanitarian-aid/"));
    let (home, _) = listing(&output, "/");
    assert_eq!(home, briefing_paths(&BRIEFINGS[1..]));
    let leftovers: Vec<_> = std::fs::read_dir(site.root())
        .expect("read the site folder")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("staging") || n.contains("old"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "left beside the output: {leftovers:?}"
    );
}

#[test]
fn briefing_pages_link_older_newer_and_related_briefings() {
    let (_site, output) = built_fixture();
    for (i, slug) in BRIEFINGS.iter().enumerate() {
        let page = output.page(&format!("/briefings/{slug}/"));
        let newer = i.checked_sub(1).map(|n| BRIEFINGS[n]);
        let older = BRIEFINGS.get(i + 1).copied();
        assert_eq!(
            page.briefings_in(".adjacent-newer"),
            briefing_paths(newer.as_slice()),
            "newer than {slug}"
        );
        assert_eq!(
            page.briefings_in(".adjacent-older"),
            briefing_paths(older.as_slice()),
            "older than {slug}"
        );
    }

    // Most shared terms first: follow-up shares four, autumn-review one.
    let talks = output.page("/briefings/ankara-talks/");
    assert_eq!(
        talks.briefings_in(".related"),
        briefing_paths(&["ankara-follow-up", "autumn-review"])
    );
    // Grace Hopper is all the two share; Italy's and Rome's terms are their own.
    let rome = output.page("/briefings/rome-meeting/");
    assert_eq!(
        rome.briefings_in(".related"),
        briefing_paths(&["geneva-appeal"])
    );
}

#[test]
fn taxonomy_indexes_list_every_term_with_its_count() {
    let (_site, output) = built_fixture();
    for taxonomy in ["people", "countries", "topics"] {
        let index = format!("/{taxonomy}/");
        let page = output.page(&index);
        let mut listed = BTreeMap::new();
        for item in page.select("main li") {
            let Some(link) = item.select(&sel("a[href]")).next() else {
                continue;
            };
            let Some(target) = page.site_path_of(link.value().attr("href").unwrap_or("")) else {
                continue;
            };
            if target == index || !target.starts_with(&index) {
                continue;
            }
            let rest = text_of(item).replacen(&text_of(link), "", 1);
            let count: usize = rest
                .split_whitespace()
                .find_map(|w| w.parse().ok())
                .unwrap_or_else(|| panic!("{index}: no count beside {target}: {rest:?}"));
            listed.insert(target, count);
        }
        let expected: BTreeMap<String, usize> = TERMS
            .iter()
            .filter(|(t, _)| t.starts_with(&index))
            .map(|(t, b)| (t.to_string(), b.len()))
            .collect();
        assert_eq!(listed, expected, "terms and counts on {index}");
    }
}

#[test]
fn headings_get_unique_ids_that_the_contents_link_to() {
    let (_site, output) = built_fixture();
    let page = output.page("/briefings/ankara-follow-up/");
    let here = "/briefings/ankara-follow-up/";
    let contents: Vec<String> = page
        .targets("main a[href^='#']")
        .into_iter()
        .filter_map(|t| t.strip_prefix(here).map(str::to_string))
        .collect();
    assert_eq!(contents, ["#context", "#context-1"]);
    let headings: Vec<&str> = page
        .select("main h2[id]")
        .into_iter()
        .filter_map(|h| h.value().attr("id"))
        .collect();
    assert!(
        headings.contains(&"context") && headings.contains(&"context-1"),
        "heading ids: {headings:?}"
    );
}

/// A heading named like something the theme writes an id for (`## Main`,
/// the page's `<main id="main">`) gets an id of its own, and the contents
/// lead to it, not to the theme's element.
#[test]
fn headings_do_not_take_the_ids_of_the_theme() {
    let site = Site::tiny(&[(
        "ids.md",
        "---\ntitle: Ids\ndate: 2021-03-01\npeople: [Ada Lovelace]\n---\n## Main\n\nText.\n\n\
         ## Annotations panel title\n\nMore.\n",
    )]);
    site.build();
    let page = site.output().page("/briefings/ids/");
    let ids = unique_ids(&page);
    assert!(
        ids.iter().any(|id| id == "main") && ids.iter().any(|id| id == "annotations-panel-title")
    );
    let headings: Vec<&str> = page
        .select(".briefing-body h2")
        .into_iter()
        .filter_map(|e| e.value().attr("id"))
        .collect();
    assert_eq!(headings, ["main-1", "annotations-panel-title-1"]);
    // Each entry of the contents leads to its heading.
    let here = "/briefings/ids/";
    let toc: Vec<String> = page
        .targets(".toc a")
        .into_iter()
        .filter_map(|t| t.strip_prefix(here).map(str::to_string))
        .collect();
    assert_eq!(toc.len(), 2, "{toc:?}");
    for (fragment, title) in toc.iter().zip(["Main", "Annotations panel title"]) {
        let id = fragment.trim_start_matches('#');
        let target = page
            .select("[id]")
            .into_iter()
            .find(|e| e.value().attr("id") == Some(id))
            .unwrap_or_else(|| panic!("{fragment} names no element"));
        assert_eq!(target.value().name(), "h2", "{fragment}");
        assert_eq!(text_of(target).trim(), title, "{fragment}");
    }
}

/// Every id on `page`, each checked to be there once.
fn unique_ids(page: &Page) -> Vec<String> {
    let ids: Vec<String> = page
        .select("[id]")
        .into_iter()
        .filter_map(|e| e.value().attr("id").map(str::to_string))
        .collect();
    let unique: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
    assert_eq!(unique.len(), ids.len(), "an id used twice: {ids:?}");
    ids
}

/// A footnote's id must not be the id of anything else on the page: not a
/// heading named like its label (`## 1` and `[^1]`), not the page's own
/// `<main id="main">` (`[^main]`). Each reference, one in a heading too,
/// leads to exactly one element, its note, which holds the note's text.
#[test]
fn footnotes_have_ids_of_their_own() {
    let site = Site::tiny(&[(
        "notes.md",
        "---\ntitle: Notes\ndate: 2021-03-01\n---\n## 1\n\nA claim[^1] and another[^main].\n\n\
         ## Background[^h]\n\nMore.\n\n[^1]: The first source.\n[^main]: The main source.\n\
         [^h]: A note on a heading.\n",
    )]);
    site.build();
    let page = site.output().page("/briefings/notes/");
    unique_ids(&page);
    let here = "/briefings/notes/";
    let refs: Vec<String> = page
        .targets("main sup.footnote-reference a")
        .into_iter()
        .filter_map(|t| t.strip_prefix(here).map(str::to_string))
        .collect();
    assert_eq!(refs.len(), 3, "{refs:?}");
    let texts = [
        "The first source.",
        "The main source.",
        "A note on a heading.",
    ];
    for (fragment, text) in refs.iter().zip(texts) {
        let id = fragment.trim_start_matches('#');
        let targets: Vec<_> = page
            .select("[id]")
            .into_iter()
            .filter(|e| e.value().attr("id") == Some(id))
            .collect();
        assert_eq!(
            targets.len(),
            1,
            "{fragment} names {} elements",
            targets.len()
        );
        let note = targets[0];
        assert!(
            note.value().classes().any(|c| c == "footnote-definition"),
            "{fragment} leads to a <{}>",
            note.value().name()
        );
        assert!(
            text_of(note).contains(text),
            "{fragment}: {}",
            text_of(note)
        );
    }
    assert_eq!(page.select("main#main").len(), 1);
}

#[test]
fn term_pages_give_first_and_last_appearances() {
    let (_site, output) = built_fixture();
    let page = output.page("/people/ada-lovelace/page/2/");
    let facts: BTreeMap<String, String> = page
        .select("main dt")
        .into_iter()
        .filter_map(|dt| {
            let dd = dt
                .next_siblings()
                .filter_map(scraper::ElementRef::wrap)
                .next()?;
            Some((text_of(dt), text_of(dd)))
        })
        .collect();
    assert_eq!(
        facts.get("First seen").map(String::as_str),
        Some("5 March 2019")
    );
    assert_eq!(
        facts.get("Last seen").map(String::as_str),
        Some("2 October 2019")
    );
    assert_eq!(facts.get("Briefings").map(String::as_str), Some("3"));
}

#[test]
fn the_site_overrides_theme_templates_and_static_files() {
    let site = Site::with_briefings(1);
    site.write("static/style.css", "/* the site's own */\n");
    site.write("static/robots.txt", "User-agent: *\n");
    site.write(
        "templates/404.html",
        "{% extends \"base.html\" %}{% block content %}<h1>Lost in the archive</h1>{% endblock content %}",
    );
    site.build();
    let output = site.output();
    let css = std::fs::read_to_string(output.dir.join("style.css")).expect("style.css");
    assert_eq!(css, "/* the site's own */\n");
    assert!(output.exists("/robots.txt"));
    assert!(
        output.exists("/favicon.svg"),
        "the theme's other files stay"
    );
    assert!(output.exists("/.nojekyll"));
    assert_eq!(
        output.page("/404.html").text("main h1"),
        "Lost in the archive"
    );
    let broken = output.broken_links();
    assert!(broken.is_empty(), "broken links:\n{broken}");
}

#[test]
fn every_page_is_well_formed_html() {
    let (_site, output) = built_fixture();
    let problems = output.html_problems();
    assert!(problems.is_empty(), "{problems}");
}

#[test]
fn the_html_check_catches_broken_markup() {
    let (_site, output) = built_fixture();
    let bad = "<!DOCTYPE html><html><head><title>x</title></head><body><main><h1>a</h1><h1 id=\"d\">b</h1><p id=\"d\"></span></main></body></html>";
    std::fs::write(output.dir.join("bad.html"), bad).expect("write a bad page");
    let problems = output.html_problems();
    for needle in [
        "parse error",
        "duplicate id `d`",
        "2 <h1> elements",
        "no lang",
    ] {
        assert!(problems.contains(needle), "{needle} not in:\n{problems}");
    }
}

/// A term page's "appears with" list: each linked term's site path and the
/// briefings it shares, with the title of the group it is listed under.
pub fn appears_with(page: &Page) -> BTreeMap<String, (String, usize)> {
    let mut found = BTreeMap::new();
    for group in page.select("main .record-appears .appears-group") {
        let title = group
            .select(&sel(".appears-group-title"))
            .next()
            .map(text_of)
            .unwrap_or_default();
        for item in group.select(&sel("li")) {
            let link = item
                .select(&sel("a[href]"))
                .next()
                .unwrap_or_else(|| panic!("{}: an item without a link", page.site_path));
            let target = page
                .site_path_of(link.value().attr("href").unwrap_or(""))
                .unwrap_or_else(|| panic!("{}: an external term link", page.site_path));
            // "2 briefings together", the first word shown, the rest for screen readers.
            let count = item
                .select(&sel(".appears-count"))
                .next()
                .map(text_of)
                .and_then(|t| t.split_whitespace().next()?.parse().ok())
                .unwrap_or_else(|| panic!("{}: no count beside {target}", page.site_path));
            found.insert(target, (title.clone(), count));
        }
    }
    found
}

/// A term page's timeline: per bar, the year, the count it shows, what it
/// says to a screen reader, and the archive page it links to.
pub fn timeline(page: &Page) -> Vec<(i16, usize, String, Option<String>)> {
    page.select("main figure.timeline li")
        .into_iter()
        .map(|bar| {
            let text = |css: &str| {
                bar.select(&sel(css))
                    .next()
                    .map(text_of)
                    .unwrap_or_default()
            };
            let year = text(".timeline-label")
                .parse()
                .expect("a year under each bar");
            let count = text(".timeline-count")
                .parse()
                .expect("a count on each bar");
            let link = bar
                .select(&sel("a[href]"))
                .next()
                .and_then(|a| page.site_path_of(a.value().attr("href")?));
            (year, count, text(".visually-hidden"), link)
        })
        .collect()
}

/// Expected timeline bars, in the shape [`timeline`] returns.
pub fn bars(
    expected: &[(i16, usize, &str, Option<&str>)],
) -> Vec<(i16, usize, String, Option<String>)> {
    expected
        .iter()
        .map(|&(year, count, text, link)| (year, count, text.to_string(), link.map(str::to_string)))
        .collect()
}

fn counts(pairs: &[(&str, &str, usize)]) -> BTreeMap<String, (String, usize)> {
    pairs
        .iter()
        .map(|&(term, group, n)| (term.to_string(), (group.to_string(), n)))
        .collect()
}

#[test]
fn appears_with_counts_the_briefings_two_terms_share() {
    let (_site, output) = built_fixture();
    // Syria is tagged by ankara-follow-up (Erdoğan, Ada Lovelace, Turkey,
    // Border security) and autumn-review (Ada Lovelace): Ada shares both.
    let syria = output.page("/countries/syria/");
    assert_eq!(
        appears_with(&syria),
        counts(&[
            ("/people/ada-lovelace/", "People", 2),
            ("/people/recep-tayyip-erdogan/", "People", 1),
            ("/countries/turkey/", "Countries", 1),
            ("/topics/border-security/", "Topics", 1),
        ])
    );
    // Ada Lovelace: ankara-talks, ankara-follow-up and autumn-review.
    let ada = output.page("/people/ada-lovelace/");
    assert_eq!(
        appears_with(&ada),
        counts(&[
            ("/people/recep-tayyip-erdogan/", "People", 2),
            ("/countries/syria/", "Countries", 2),
            ("/countries/turkey/", "Countries", 2),
            ("/topics/border-security/", "Topics", 2),
        ])
    );
    // A term named by no briefing appears with nothing.
    let nobody = output.page("/people/nobody-yet/");
    assert!(appears_with(&nobody).is_empty());
    assert!(nobody.select("main .record").is_empty());
}

#[test]
fn appears_with_keeps_the_twelve_most_shared_then_by_name() {
    let mut names: Vec<String> = (1..=14).map(|i| format!("Person {i:02}")).collect();
    names.push("Ada".into());
    let first = format!(
        "---\ntitle: One\ndate: 2021-03-01\npeople: [{}]\n---\nText.\n",
        names.join(", ")
    );
    let second =
        "---\ntitle: Two\ndate: 2021-03-02\npeople: [Ada, Person 14, Person 13]\n---\nText.\n";
    let site = Site::tiny(&[("one.md", &first), ("two.md", second)]);
    site.build();
    let page = site.output().page("/people/ada/");
    let listed: Vec<(String, usize)> = page
        .select("main .appears-list li")
        .into_iter()
        .map(|li| {
            let name = li.select(&sel("a")).next().map(text_of).unwrap_or_default();
            let count = li
                .select(&sel(".appears-count"))
                .next()
                .map(text_of)
                .and_then(|t| t.split_whitespace().next()?.parse().ok())
                .unwrap_or(0);
            (name, count)
        })
        .collect();
    let mut expected = vec![("Person 13".to_string(), 2), ("Person 14".to_string(), 2)];
    expected.extend((1..=10).map(|i| (format!("Person {i:02}"), 1)));
    assert_eq!(listed, expected);
}

#[test]
fn term_timelines_count_briefings_per_year() {
    let (_site, output) = built_fixture();
    let hopper = output.page("/people/grace-hopper/");
    assert_eq!(
        timeline(&hopper),
        bars(&[
            (2020, 1, "2020: 1 briefing", Some("/archive/2020/")),
            (2021, 1, "2021: 1 briefing", Some("/archive/2021/")),
        ])
    );
    assert_eq!(
        hopper.text("main figure.timeline figcaption"),
        "Briefings per year, 2020–2021"
    );
    let ada = output.page("/people/ada-lovelace/");
    assert_eq!(
        timeline(&ada),
        bars(&[(2019, 3, "2019: 3 briefings", Some("/archive/2019/"))])
    );
    assert_eq!(
        ada.text("main figure.timeline figcaption"),
        "Briefings per year, 2019"
    );
    // Like the profile, the record shows on a term's first page only.
    let second = output.page("/people/ada-lovelace/page/2/");
    assert!(second.select("main figure.timeline").is_empty());
    assert!(timeline(&output.page("/people/nobody-yet/")).is_empty());
}

#[test]
fn every_page_of_a_term_sees_the_whole_term_and_the_first_its_profile() {
    // A site's own term template may show the record on every page; only
    // the profile is the first page's alone. Built on one thread too, where
    // every term page follows another on the same thread.
    let site = Site::fixture();
    site.write(
        "templates/term.html",
        "<main><h1>{{ term.name }}</h1>\
         <div class=\"profile\">{% if term.profile %}{{ term.profile | safe }}{% else %}none{% endif %}</div>\
         <p class=\"record\">{{ term.count }} {{ term.timeline | length }} {{ term.appears_with | length }} \
         {% for g in term.appears_with_groups %}{{ g.name }}:{{ g.terms | length }} {% endfor %}</p>\
         <p class=\"page\">{{ paginator.current }}</p></main>",
    );
    for threads in ["1", "2"] {
        let run = std::process::Command::new(env!("CARGO_BIN_EXE_dossier"))
            .args(["build", "--root"])
            .arg(site.root())
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .expect("run the dossier binary");
        assert!(run.status.success(), "{run:?}");
        let output = site.output();
        let first = output.page("/people/ada-lovelace/");
        let second = output.page("/people/ada-lovelace/page/2/");
        assert_eq!(first.text("main p.page"), "1");
        assert_eq!(second.text("main p.page"), "2");
        assert_eq!(
            first.text("main .profile"),
            "Ada Lovelace appears in three briefings, so her page spans two pages."
        );
        assert_eq!(second.text("main .profile"), "none");
        // Three briefings in one year, with others named alongside.
        let record = first.text("main p.record");
        assert!(
            record.starts_with("3 1 ") && record.contains("people:"),
            "{record}"
        );
        assert_eq!(second.text("main h1"), "Ada Lovelace");
        assert_eq!(second.text("main p.record"), record);
        // Each term's pages show that term, not the one rendered before.
        let hopper = output.page("/people/grace-hopper/");
        assert_eq!(hopper.text("main h1"), "Grace Hopper");
        let record = hopper.text("main p.record");
        assert!(record.starts_with("2 2 "), "{record}");
        let terms: Vec<String> = output
            .pages()
            .into_iter()
            .filter(|p| p.matches('/').count() == 3 && p.starts_with("/people/"))
            .collect();
        let names: BTreeSet<String> = terms
            .iter()
            .map(|p| output.page(p).text("main h1"))
            .collect();
        assert_eq!(names.len(), terms.len(), "{terms:?} named {names:?}");
    }
}

#[test]
fn the_annotations_panel_lists_every_tagged_entity_with_its_role() {
    let (_site, output) = built_fixture();
    let page = output.page("/briefings/ankara-follow-up/");
    let panels: Vec<_> = page
        .select("main aside[aria-labelledby]")
        .into_iter()
        .filter(|aside| {
            let id = aside.value().attr("aria-labelledby").unwrap_or_default();
            page.select(&format!("[id='{id}']"))
                .first()
                .is_some_and(|label| text_of(*label) == "Annotations")
        })
        .collect();
    assert_eq!(panels.len(), 1, "one panel labelled Annotations");
    let mut listed = Vec::new();
    for group in panels[0].select(&sel(".annotations-group")) {
        let title = group
            .select(&sel("h3"))
            .next()
            .map(text_of)
            .unwrap_or_default();
        for item in group.select(&sel("li")) {
            let link = item.select(&sel("a[href]")).next().expect("a term link");
            listed.push((
                title.clone(),
                text_of(link),
                page.site_path_of(link.value().attr("href").unwrap_or(""))
                    .unwrap_or_default(),
                item.select(&sel(".entity-role")).next().map(text_of),
            ));
        }
    }
    let entry = |group: &str, name: &str, path: &str, role: Option<&str>| {
        (
            group.to_string(),
            name.to_string(),
            path.to_string(),
            role.map(str::to_string),
        )
    };
    // In the front matter's order, by taxonomy, each group titled with its count.
    assert_eq!(
        listed,
        [
            entry(
                "People 2",
                "Recep Tayyip Erdoğan",
                "/people/recep-tayyip-erdogan/",
                Some("President of Turkey")
            ),
            entry(
                "People 2",
                "Ada Lovelace",
                "/people/ada-lovelace/",
                Some("Analyst")
            ),
            entry("Countries 2", "Turkey", "/countries/turkey/", None),
            entry("Countries 2", "Syria", "/countries/syria/", None),
            entry(
                "Topics 1",
                "Border security",
                "/topics/border-security/",
                None
            ),
        ]
    );
}

/// What `dossier build` does with the briefings' source texts: each is let go
/// as soon as its page is rendered, so the cards and the listing pages after
/// are made in that memory; and each page still has its whole body.
#[test]
fn each_briefing_text_is_let_go_once_its_page_is_rendered() {
    use std::sync::{Arc, Mutex, Weak};

    use dossier::diag::Diagnostic;
    use dossier::render::{PageSink, Prepared, render_site, views};

    /// Keeps every page, and how many texts were still held when each page
    /// that is not a briefing's was written.
    struct Watch {
        texts: Vec<Weak<String>>,
        pages: Mutex<BTreeMap<String, String>>,
        held: Mutex<Vec<(String, usize)>>,
    }
    impl PageSink for Watch {
        fn write(&self, path: &str, contents: &[u8]) -> Result<(), Diagnostic> {
            if !path.starts_with("briefings/") {
                let held = self.texts.iter().filter(|t| t.strong_count() > 0).count();
                self.held
                    .lock()
                    .expect("lock")
                    .push((path.to_string(), held));
            }
            let text = String::from_utf8_lossy(contents).into_owned();
            self.pages
                .lock()
                .expect("lock")
                .insert(path.to_string(), text);
            Ok(())
        }
    }

    let site = Site::fixture();
    let loaded = dossier::load(&site.options()).expect("the fixture loads");
    let mut archive = loaded.archive.expect("an archive");
    let templates = loaded.templates.expect("templates");
    let summaries = views::summaries(&archive);
    let matcher = dossier::mentions::Matcher::new(&archive);
    let texts = archive.take_texts();
    let watch = Watch {
        texts: texts.iter().map(Arc::downgrade).collect(),
        pages: Mutex::default(),
        held: Mutex::default(),
    };
    assert_eq!(watch.texts.len(), BRIEFINGS.len());
    let prepared = Prepared::new(&loaded.config, &archive, summaries, matcher);
    let highlighter = dossier::highlight::Highlighter::new();
    render_site(
        &loaded.config,
        &archive,
        &templates,
        &highlighter,
        prepared,
        texts,
        &watch,
    )
    .unwrap_or_else(|d| panic!("{}", crate::support::lines(&dossier::diag::Diagnostics(d))));

    let held = watch.held.into_inner().expect("lock");
    assert!(held.iter().any(|(path, _)| path == "index.html"));
    for (path, count) in held {
        assert_eq!(
            count, 0,
            "{count} source texts still held when {path} was written"
        );
    }
    let pages = watch.pages.into_inner().expect("lock");
    let geneva = &pages["briefings/geneva-appeal/index.html"];
    assert!(
        geneva.contains("An appeal for aid was launched in Geneva."),
        "the page lost its body: {geneva}"
    );
    // The same pages as a build that keeps the texts (what `serve` does).
    let session_dir = tempfile::tempdir().expect("a folder");
    let options = dossier::config::BuildOptions {
        output: session_dir.path().join("site"),
        ..site.options()
    };
    dossier::session::Session::new(options.clone())
        .build()
        .unwrap_or_else(|d| panic!("{}", crate::support::lines(&d)));
    let kept = site.output_at(&options).tree();
    for (path, text) in &pages {
        let want = kept.get(std::path::Path::new(path));
        assert!(
            want.map(|b| String::from_utf8_lossy(b)) == Some(text.into()),
            "{path} differs from the page a session renders"
        );
    }
}

/// A rebuild writes anew only the files whose bytes changed: every other
/// file is the previous build's own (linked, so it keeps its modification
/// time, which incremental uploads go by), and the output is byte for byte
/// what a build into an empty folder writes.
#[cfg(unix)]
#[test]
fn a_rebuild_keeps_the_files_whose_bytes_did_not_change() {
    use std::os::unix::fs::MetadataExt;
    use std::path::PathBuf;
    let site = Site::fixture();
    site.build();
    let files = |output: &Output| -> BTreeMap<PathBuf, (Vec<u8>, u64)> {
        output
            .files()
            .into_iter()
            .map(|rel| {
                let path = output.dir.join(&rel);
                let bytes = std::fs::read(&path).expect("a file");
                let inode = std::fs::metadata(&path).expect("a file").ino();
                (rel, (bytes, inode))
            })
            .collect()
    };
    let before = files(&site.output());

    let talks = "content/briefings/2019/ankara-talks.md";
    let text = std::fs::read_to_string(site.root().join(talks)).expect("a briefing");
    assert!(text.contains("Talks were held in Ankara."), "{text}");
    site.write(
        talks,
        &text.replace("Talks were held in Ankara.", "Talks were held in Izmir."),
    );
    site.build();
    let after = files(&site.output());

    let mut rewritten = BTreeSet::new();
    let mut kept = BTreeSet::new();
    for (path, (bytes, inode)) in &after {
        match before.get(path) {
            Some((was, old)) if was == bytes => {
                assert_eq!(inode, old, "{} has the same bytes: kept", path.display());
                kept.insert(path.clone());
            }
            Some((_, old)) => {
                assert_ne!(inode, old, "{} changed: written anew", path.display());
                rewritten.insert(path.clone());
            }
            None => {
                rewritten.insert(path.clone());
            }
        }
    }
    assert!(
        rewritten.contains(&PathBuf::from("briefings/ankara-talks/index.html")),
        "{rewritten:?}"
    );
    assert!(kept.contains(&PathBuf::from("syntax.css")), "{kept:?}");
    assert!(
        kept.len() > rewritten.len(),
        "{} kept, {} rewritten",
        kept.len(),
        rewritten.len()
    );

    let dir = tempfile::tempdir().expect("a folder");
    let mut options = site.options();
    options.output = dir.path().join("site");
    site.build_with(&options);
    let fresh: BTreeMap<PathBuf, Vec<u8>> = site.output_at(&options).tree().into_iter().collect();
    let after: BTreeMap<PathBuf, Vec<u8>> = after.into_iter().map(|(p, (b, _))| (p, b)).collect();
    assert!(after == fresh, "the rebuilt output is a fresh build's");
}
