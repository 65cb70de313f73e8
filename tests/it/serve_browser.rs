//! `dossier serve` in a real browser (headless Chromium, see `browser.rs`):
//! a saved edit reloads the open page by itself, a broken file shows the
//! error overlay over the last good page, and a stylesheet edit restyles the
//! page without reloading it.

use crate::browser::Browser;
use crate::serve::Server;
use crate::support::Site;

const GENEVA: &str = "content/briefings/2021/geneva.md";

/// Opens the Geneva briefing and waits until its live-reload stream is open.
/// A property set on `window` now is gone after any reload.
fn open_geneva(browser: &Browser, server: &Server) {
    browser.goto(&server.at("briefings/geneva-appeal/"));
    browser.wait_until(
        "the live-reload stream to open",
        "document.documentElement.dataset.dossierLiveReload === 'connected'",
    );
    browser.eval("window.notReloaded = true; return null");
}

fn edit(site: &Site, rel: &str, from: &str, to: &str) {
    let path = site.root().join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {rel}: {e}"));
    assert!(text.contains(from), "{rel} has no {from:?}");
    site.write(rel, &text.replace(from, to));
}

#[test]
fn a_saved_edit_reloads_the_page_and_a_broken_file_shows_the_overlay() {
    let site = Site::fixture();
    let server = Server::start(&site, &[]);
    let Some(browser) = Browser::launch() else {
        return;
    };
    open_geneva(&browser, &server);
    assert_eq!(browser.text("h1"), "Geneva appeal");

    edit(
        &site,
        GENEVA,
        "title: Geneva appeal",
        "title: Geneva appeal, live",
    );
    browser.wait_until(
        "the page to reload with the new title",
        "!window.notReloaded && document.querySelector('h1').textContent === 'Geneva appeal, live'",
    );

    browser.eval("window.notReloaded = true; return null");
    edit(
        &site,
        GENEVA,
        "slug: geneva-appeal",
        "slug: geneva-appeal\nsulg: oops",
    );
    browser.wait_until(
        "the error overlay",
        "document.getElementById('dossier-build-error') !== null",
    );
    let overlay = browser.text("#dossier-build-error");
    assert!(overlay.contains(&format!("{GENEVA}:5:1")), "{overlay}");
    assert!(overlay.contains("unknown field `sulg`"), "{overlay}");
    // Still the last good page underneath, not reloaded.
    assert_eq!(browser.text("h1"), "Geneva appeal, live");
    assert_eq!(browser.eval("return window.notReloaded === true"), true);

    edit(&site, GENEVA, "sulg: oops\n", "");
    browser.wait_until(
        "the overlay to go after the fix",
        "!window.notReloaded && document.getElementById('dossier-build-error') === null",
    );
    assert_eq!(browser.text("h1"), "Geneva appeal, live");
}

#[test]
fn a_stylesheet_edit_restyles_the_page_without_a_reload() {
    let site = Site::fixture();
    let server = Server::start(&site, &[]);
    let Some(browser) = Browser::launch() else {
        return;
    };
    open_geneva(&browser, &server);
    let rel = "themes/dossier/static/style.css";
    let mut css = std::fs::read_to_string(site.root().join(rel)).expect("read the stylesheet");
    css.push_str("\nbody { --live-reload-test: swapped; }\n");
    site.write(rel, &css);
    browser.wait_until(
        "the new stylesheet to apply",
        "getComputedStyle(document.body).getPropertyValue('--live-reload-test').trim() === 'swapped'",
    );
    assert_eq!(
        browser.eval("return window.notReloaded === true"),
        true,
        "the page was reloaded for a stylesheet edit"
    );
}
