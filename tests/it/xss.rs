//! Hostile content (`tests/fixtures/xss`): titles, summaries, tags, aliases,
//! roles, profile fields and links that try to run a script. Every one of
//! them must come out inert, wherever it is printed.

use std::path::Path;

use scraper::{Html, Selector};

use crate::support::{Output, Site, copy_dir, fixture};

fn xss_site() -> Site {
    let site = Site::empty();
    copy_dir(&fixture("xss"), site.root());
    site
}

/// What the fixture's payloads do when they run.
const MARK: &str = "__pwned";

/// Why an HTML document would run something of the content's, if it would.
fn live_payloads(html: &str) -> Vec<String> {
    let document = Html::parse_document(html);
    let mut found = Vec::new();
    let all = Selector::parse("*").expect("a selector");
    for element in document.select(&all) {
        let name = element.value().name();
        if name == "script" {
            let text: String = element.text().collect();
            if text.contains(MARK) {
                found.push(format!("<script> holding {text:?}"));
            }
        }
        for (attribute, value) in element.value().attrs() {
            if attribute.starts_with("on") {
                found.push(format!("<{name} {attribute}={value:?}>"));
            }
            let url_like = matches!(attribute, "href" | "src" | "action" | "formaction");
            let scheme = value
                .trim()
                .to_ascii_lowercase()
                .replace(['\t', '\n', '\r'], "");
            if url_like && (scheme.starts_with("javascript:") || scheme.starts_with("data:")) {
                found.push(format!("<{name} {attribute}={value:?}>"));
            }
        }
    }
    found
}

#[test]
fn hostile_fields_are_inert_in_every_file_of_the_output() {
    let site = xss_site();
    site.build();
    let output = site.output();
    let mut problems = Vec::new();
    let mut pages = 0;
    for file in output.files() {
        let path = output.file(&format!("/{}", file.display()));
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue; // binary (a search index chunk, an image)
        };
        let is = |ext: &str| Path::new(&file).extension().is_some_and(|e| e == ext);
        if is("html") {
            pages += 1;
            problems.extend(
                live_payloads(&text)
                    .into_iter()
                    .map(|p| format!("{}: {p}", file.display())),
            );
        }
        // In any text file (pages, feeds, sitemap, scripts, JSON), a payload
        // never appears as markup: its `<` is always escaped.
        for raw in [
            "<script>window.__pwned",
            "<img src=x onerror",
            "<svg onload",
        ] {
            if text.contains(raw) {
                problems.push(format!("{}: holds {raw:?} unescaped", file.display()));
            }
        }
    }
    assert!(pages >= 10, "only {pages} pages built");
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // And the text is still there for readers, as text.
    let page = output.page("/briefings/hostile-talks/");
    assert!(
        page.text("h1")
            .starts_with("<script>window.__pwned='title'</script> Talks")
    );
    let title = page.text("title");
    assert!(title.contains("</title><script>"), "{title}");
}

#[cfg(feature = "serve")]
#[test]
fn no_script_from_the_content_runs_in_chromium() {
    let Some(browser) = crate::browser::Browser::launch() else {
        return;
    };
    let site = xss_site();
    let server = crate::serve::Server::start(&site, &[]);
    let pages = Output::new(&server.preview, server.url.as_str()).pages();
    assert!(pages.len() >= 10, "{pages:?}");
    for page in &pages {
        browser.goto(&server.at(page.trim_start_matches('/')));
        browser.wait_until("the page to load", "document.readyState === 'complete'");
        // Let any image error or svg load handler fire.
        std::thread::sleep(std::time::Duration::from_millis(50));
        let ran =
            browser.eval("return window.__pwned === undefined ? null : String(window.__pwned)");
        assert!(ran.is_null(), "{page}: a payload ran: {ran}");
        let handlers = browser.eval(
            "return [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]) \
             .filter(a => a.name.startsWith('on')).map(a => a.name + '=' + a.value)",
        );
        assert_eq!(
            handlers,
            serde_json::json!([]),
            "{page}: event handlers in the DOM"
        );
    }

    // The search index: results for the payloads' own words show their
    // titles and excerpts as text.
    for query in ["pwned", "Mallory", "script"] {
        browser.goto(&server.at(&format!("search/?q={query}")));
        browser.wait_until(
            "search results",
            "document.querySelectorAll('.pagefind-ui__result-link').length > 0 \
             && !document.querySelector('.pagefind-ui__loading')",
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
        let ran =
            browser.eval("return window.__pwned === undefined ? null : String(window.__pwned)");
        assert!(ran.is_null(), "searching {query:?}: a payload ran: {ran}");
        let injected = browser.eval(
            "return document.querySelectorAll('.pagefind-ui__results script, .pagefind-ui__results img, .pagefind-ui__results svg').length",
        );
        assert_eq!(
            injected,
            serde_json::json!(0),
            "searching {query:?}: markup from the content"
        );
    }
}
