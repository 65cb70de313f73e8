//! `dossier check --links`: broken links and fragments of a built site, each
//! reported with its page; a clean site passes.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output as Run};

use dossier::linkcheck::check_links;
use dossier::url::SiteUrls;

use crate::support::{Site, copy_dir, fixture};

fn dossier(site: &Site, args: &[&str]) -> Run {
    Command::new(env!("CARGO_BIN_EXE_dossier"))
        .arg("check")
        .arg("--root")
        .arg(site.root())
        .args(args)
        .output()
        .expect("run the dossier binary")
}

/// The `(page, href)` of every "broken link" error line of `check`.
fn broken(stdout: &str) -> BTreeSet<(String, String)> {
    stdout
        .lines()
        .filter_map(|line| {
            let (location, rest) = line.split_once(": error: broken link `")?;
            let page = location.split(':').next()?.to_string();
            let href = rest.split('`').next()?.to_string();
            Some((page, href))
        })
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(page, href)| (page.to_string(), href.to_string()))
        .collect()
}

#[test]
fn a_broken_link_and_a_broken_fragment_are_reported_with_their_page() {
    let site = Site::empty();
    copy_dir(&fixture("links"), site.root());
    let run = dossier(&site, &["--links"]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{stdout}");
    assert_eq!(
        broken(&stdout),
        pairs(&[
            ("briefings/broken/index.html", "/briefings/nowhere/"),
            (
                "briefings/broken/index.html",
                "/briefings/fine/#no-such-heading"
            ),
        ]),
        "{stdout}"
    );
    assert!(
        stdout.contains("no file for /briefings/nowhere/"),
        "{stdout}"
    );
    assert!(
        stdout.contains("briefings/fine/index.html has no element with id `no-such-heading`"),
        "{stdout}"
    );
    let last = stdout.lines().last().unwrap_or("");
    assert!(last.ends_with(": 2 broken"), "{last}");
    // Checking writes nothing into the site.
    assert!(!site.root().join("public").exists());
}

#[test]
fn a_clean_site_passes_built_or_checked_in_place() {
    let site = Site::fixture();
    let run = dossier(&site, &["--links", "--strict"]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}");
    assert!(stdout.trim_end().ends_with(": 0 broken"), "{stdout}");
    assert!(
        !site.root().join("public").exists(),
        "the check wrote into the site"
    );

    // A site built for a subpath, checked where it was built, for that subpath.
    let subpath = "https://user.github.io/archive/";
    let mut options = site.options();
    options.base_url = Some(subpath.into());
    site.build_with(&options);
    let public = site.root().join("public");
    let public = public.to_str().expect("a UTF-8 path");
    let run = dossier(
        &site,
        &["--links", "--output", public, "--base-url", subpath],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stdout)
    );
    // Checked for the base URL of dossier.yaml instead, it says what it was
    // built for and how to check it, rather than call every link broken.
    let run = dossier(&site, &["--links", "--output", public]);
    assert_eq!(run.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.contains(&format!("this site was built for {subpath}")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("--base-url {subpath}")),
        "{stdout}"
    );
    assert!(!stdout.contains("no file for"), "{stdout}");
}

#[test]
fn external_links_are_listed_on_request_only() {
    let site = Site::bundled();
    let quiet = String::from_utf8_lossy(&dossier(&site, &["--links"]).stdout).into_owned();
    assert!(!quiet.contains("external link"), "{quiet}");
    let run = dossier(&site, &["--links", "--external"]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}");
    let external: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.split_once(": info: external link ").map(|(_, url)| url))
        .collect();
    assert!(
        external.contains(&"https://en.wikipedia.org/wiki/Luigi_Di_Maio"),
        "{external:?}"
    );
    let unique: BTreeSet<&str> = external.iter().copied().collect();
    assert_eq!(unique.len(), external.len(), "each external URL once");
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("create a folder");
    std::fs::write(&path, text).expect("write a file");
}

#[test]
fn links_resolve_as_a_server_under_the_base_path_would() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let out = dir.path();
    let page = |body: &str| {
        format!("<!DOCTYPE html><html><head><title>t</title></head><body>{body}</body></html>")
    };
    write(out, "style.css", "");
    write(out, "img.png", "");
    write(out, "café/index.html", &page("<h2 id=\"menu\">Menu</h2>"));
    write(
        out,
        "a/index.html",
        &page("<p id=\"x\">x</p><a name=\"old\"></a>"),
    );
    write(
        out,
        "index.html",
        &page(concat!(
            "<a href=\"/archive/a/\">ok</a>",
            "<a href=\"/archive/a\">ok, the server adds the slash</a>",
            "<a href=\"a/#x\">ok</a>",
            "<a href=\"a/#old\">ok, a named anchor</a>",
            "<a href=\"a/#y\">no id y</a>",
            "<a href=\"/a/\">outside the base path</a>",
            "<a href=\"/archive/caf%C3%A9/#menu\">ok, percent-encoded</a>",
            "<a href=\"https://user.github.io/archive/a/\">ok, absolute</a>",
            "<a href=\"https://elsewhere.example.org/?a=1&amp;b=2\">external</a>",
            "<a href=\"mailto:someone@example.org\">not checked</a>",
            "<a href=\"#top\">top</a><a href=\"#\">top</a>",
            "<a href=\"#here\">no id here</a>",
            "<img src=\"img.png\" srcset=\"/archive/img.png 1x, /archive/gone.png 2x\" alt=\"\">",
            "<link rel=\"stylesheet\" href=\"/archive/styles.css\">",
        )),
    );
    write(
        out,
        "404.html",
        &page("<a href=\"/archive/style.css\">ok</a><a href=\"style.css\">relative</a>"),
    );
    let urls = SiteUrls::new("https://user.github.io/archive/").expect("a base URL");
    let report = check_links(out, &urls).expect("the check runs");
    let found: BTreeSet<(String, String)> = report
        .broken
        .iter()
        .map(|d| {
            let href = d.message.split('`').nth(1).unwrap_or("").to_string();
            (d.path.display().to_string(), href)
        })
        .collect();
    assert_eq!(
        found,
        pairs(&[
            ("404.html", "style.css"),
            ("index.html", "a/#y"),
            ("index.html", "/a/"),
            ("index.html", "#here"),
            ("index.html", "/archive/gone.png"),
            ("index.html", "/archive/styles.css"),
        ]),
        "{:#?}",
        report.broken
    );
    assert!(report.broken.iter().all(|d| d.position.is_some()));
    assert_eq!(
        report.external.keys().collect::<Vec<_>>(),
        ["https://elsewhere.example.org/?a=1&b=2"]
    );
    assert_eq!(report.pages, 4);
}
