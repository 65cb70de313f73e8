//! Search: the Pagefind bundle the build writes, the search page and the
//! header's search box, with `search` on and off, and a search typed into
//! headless Chromium on a site served from 127.0.0.1 under a subpath.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::thread::JoinHandle;

use fantoccini::Locator;
use serde_json::Value;

use crate::browser::Browser;
use crate::support::{Output, Site};

/// The bundled archive's 2017 and 2021 briefings.
const WASHINGTON: &str = "/briefings/washington-coalition-meeting/";
const ROME: &str = "/briefings/rome-coalition-meeting/";

/// The bundled archive built for `base_url`.
fn bundled_at(base_url: &str) -> (Site, Output) {
    let site = Site::bundled();
    let mut options = site.options();
    options.base_url = Some(base_url.to_string());
    site.build_with(&options);
    let output = site.output_at(&options);
    (site, output)
}

fn entry(output: &Output) -> Value {
    let text = std::fs::read_to_string(output.file("/pagefind/pagefind-entry.json"))
        .expect("the build writes pagefind/pagefind-entry.json");
    serde_json::from_str(&text).expect("pagefind-entry.json is JSON")
}

/// The files of one folder of the bundle (`filter`, `fragment`, `index`).
fn bundle_files(output: &Output, folder: &str) -> Vec<PathBuf> {
    output
        .files()
        .into_iter()
        .filter(|f| f.starts_with(format!("pagefind/{folder}")))
        .collect()
}

#[test]
fn the_index_holds_the_briefings_and_the_search_page_finds_it_under_a_subpath() {
    let (_site, output) = bundled_at("https://user.github.io/archive/");
    for file in ["pagefind.js", "pagefind-ui.js", "pagefind-ui.css"] {
        assert!(
            output.exists(&format!("/pagefind/{file}")),
            "pagefind/{file} is written"
        );
    }
    // Briefings only: term, listing and archive pages are not results.
    let entry = entry(&output);
    assert_eq!(
        entry["languages"]["en"]["page_count"],
        Value::from(2),
        "{entry}"
    );
    assert_eq!(bundle_files(&output, "fragment").len(), 2);
    assert_eq!(
        bundle_files(&output, "filter").len(),
        3,
        "one filter per taxonomy: people, countries, topics"
    );

    let search = output.page("/search/");
    assert_eq!(
        search.links("head link[rel=stylesheet]"),
        ["/style.css", "/syntax.css", "/pagefind/pagefind-ui.css"]
    );
    let scripts: Vec<String> = search
        .select("script[src]")
        .into_iter()
        .filter_map(|s| s.value().attr("src").map(str::to_string))
        .collect();
    assert_eq!(scripts, ["/archive/pagefind/pagefind-ui.js"]);
    let ui = search.select("#search");
    let ui = ui
        .first()
        .expect("the search page has a #search element")
        .value();
    assert_eq!(ui.attr("data-bundle-url"), Some("/archive/pagefind/"));
    assert_eq!(ui.attr("data-base-url"), Some("/archive/"));
    assert!(
        search.text("noscript").contains("needs JavaScript"),
        "the search page says why it is empty without JavaScript"
    );
    assert_eq!(
        output.broken_links(),
        "",
        "every link, script and stylesheet resolves"
    );

    // Every other page offers search in its header: a link and a GET form.
    let home = output.page("/");
    assert!(
        home.links("header nav a[href]")
            .contains(&"/search/".to_string())
    );
    let form = home.select("header form[role=search]");
    let form = form.first().expect("a search box in the header").value();
    assert_eq!(form.attr("action"), Some("/archive/search/"));
    assert_eq!(form.attr("method"), Some("get"));
    assert_eq!(
        home.select("header form[role=search] input[name=q]").len(),
        1
    );
}

#[test]
fn briefing_pages_mark_their_text_and_filters_for_the_index() {
    let (_site, output) = bundled_at("https://example.org/");
    let page = output.page(WASHINGTON);
    assert_eq!(page.select("article[data-pagefind-body]").len(), 1);
    assert!(
        page.text("[data-pagefind-meta=title]")
            .starts_with("Tillerson promises")
    );
    let countries: Vec<String> = page
        .select("[data-pagefind-filter=Countries]")
        .into_iter()
        .map(crate::support::text_of)
        .collect();
    assert_eq!(
        countries,
        ["United States", "Syria", "Iraq", "Turkey", "Russia"]
    );
    assert_eq!(
        page.select("aside.annotations[data-pagefind-ignore]").len(),
        1,
        "the annotations panel filters but is not searched as text"
    );
    // A term page is no search result.
    let term = output.page("/people/rex-tillerson/");
    assert!(term.select("[data-pagefind-body]").is_empty());
}

#[test]
fn search_false_builds_no_index_no_search_page_and_no_link() {
    let site = Site::bundled();
    let config = std::fs::read_to_string(site.root().join("dossier.yaml")).expect("dossier.yaml");
    site.write("dossier.yaml", &format!("{config}search: false\n"));
    site.build();
    let output = site.output();
    assert!(
        output
            .files()
            .iter()
            .all(|f| !f.starts_with("pagefind") && !f.starts_with("search")),
        "no pagefind/ and no search/ in {:?}",
        output.files()
    );
    for path in output.pages() {
        let page = output.page(&path);
        assert!(
            !page.links("a[href]").contains(&"/search/".to_string()),
            "{path} links to the search page"
        );
        assert!(
            page.select("form[role=search]").is_empty(),
            "{path} has a search box"
        );
        assert!(page.select("[data-pagefind-body]").len() <= 1);
    }
}

#[test]
fn a_misspelt_search_key_is_an_error_with_a_suggestion() {
    let site = Site::with_briefings(1);
    site.write(
        "dossier.yaml",
        "title: Tiny\nbase_url: https://tiny.example.org/\nserch: false\n",
    );
    let lines = crate::support::lines(&site.build_err());
    assert!(lines.contains("did you mean `search`"), "{lines}");
}

/// A site of 60 tagged briefings, enough for the render threads to finish
/// them out of order.
fn many_briefings() -> Site {
    let texts: Vec<(String, String)> = (0..60)
        .map(|i| {
            let text = format!(
                "---\ntitle: Briefing {i}\ndate: 2021-{:02}-{:02}\npeople: [Person {}]\ncountries: [Country {}]\n---\nMeeting {i} about topic {} and the coalition.\n",
                i % 12 + 1,
                i % 28 + 1,
                i % 5,
                i % 3,
                i % 7
            );
            (format!("b{i}.md"), text)
        })
        .collect();
    let refs: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    Site::tiny(&refs)
}

/// `many_briefings` indexed `size` pages to a part.
fn many_briefings_in_parts(size: usize) -> Site {
    let site = many_briefings();
    let config = std::fs::read_to_string(site.root().join("dossier.yaml")).expect("the config");
    site.write(
        "dossier.yaml",
        &format!("{config}search_part_size: {size}\n"),
    );
    site
}

#[test]
fn the_index_is_the_same_however_the_pages_arrive() {
    let site = many_briefings_in_parts(7);
    site.build();
    let first = site.output().tree();
    let again = many_briefings_in_parts(7);
    again.build();
    let second = again.output().tree();
    let bundle = |tree: &crate::support::Tree| -> Vec<(PathBuf, Vec<u8>)> {
        tree.iter()
            .filter(|(path, _)| path.starts_with("pagefind"))
            .map(|(path, bytes)| (path.clone(), bytes.clone()))
            .collect()
    };
    let (first, second) = (bundle(&first), bundle(&second));
    assert!(first.len() > 5, "a bundle was written");
    assert!(first == second, "two builds wrote different search bundles");
}

/// A build over the last one's output takes the parts of the search index
/// (the newest with Pagefind's scripts) whose briefings and records are the
/// same as they are, and makes
/// again a part whose briefing changed, or whose files are not what the
/// last build wrote with this Pagefind, or all of them when another dossier
/// made the output; whatever it took, the bundle is a fresh build's. It
/// reads for its record only a briefing page whose bytes changed, or that
/// is in a part made again.
#[test]
fn a_build_takes_unchanged_search_parts_from_the_last_one() {
    let site = many_briefings_in_parts(10);
    let pagefind = |site: &Site| -> Vec<(PathBuf, Vec<u8>)> {
        site.output()
            .tree()
            .into_iter()
            .filter(|(path, _)| path.starts_with("pagefind"))
            .collect()
    };
    // What a build into an empty folder writes for the site as it is now.
    let fresh = |site: &Site| {
        let dir = tempfile::tempdir().expect("a folder");
        let options = dossier::config::BuildOptions {
            output: dir.path().join("site"),
            ..site.options()
        };
        let report = dossier::build(&options).expect("a fresh build");
        let reuse = report.search_reuse.expect("search is on");
        assert_eq!(reuse.parts_kept, 0);
        assert!(reuse.pages_read >= 60, "every page read: {reuse:?}");
        let output = Output::new(&options.output, "https://example.org/");
        let files: Vec<(PathBuf, Vec<u8>)> = output
            .tree()
            .into_iter()
            .filter(|(path, _)| path.starts_with("pagefind"))
            .collect();
        files
    };
    // Builds the site, and says what it took from the last build, how
    // many briefing pages it read, and how many changed: their page's
    // bytes, or their part's files (a part made again for a change).
    let build = |site: &Site| {
        let before = site.output().tree_now().unwrap_or_default();
        let reuse = site.build().search_reuse.expect("search is on");
        let output = site.output();
        let after = output.tree();
        let mut to_read: Vec<String> = crate::support::differences(&before, &after)
            .into_iter()
            .filter(|path| after.contains_key(*path))
            .filter_map(|path| {
                let page = path.to_str()?.strip_suffix("index.html")?;
                page.starts_with("briefings/").then(|| format!("/{page}"))
            })
            .collect();
        let (parts_before, parts_after) = (search_parts(&before), search_parts(&after));
        for (folder, files) in &parts_after {
            if parts_before.get(folder) != Some(files) {
                to_read.extend(fragment_urls(&output, folder));
            }
        }
        to_read.sort();
        to_read.dedup();
        (
            reuse.parts_kept,
            reuse.parts,
            reuse.pages_read,
            to_read.len(),
        )
    };
    assert_eq!(build(&site), (0, 6, 60, 60));
    assert_eq!(build(&site), (6, 6, 0, 0), "every part, no page read");
    assert!(
        pagefind(&site) == fresh(&site),
        "the bundle of a fresh build"
    );

    // An old briefing's words change: its part (the oldest) is made again,
    // its other pages read back.
    let oldest = "content/briefings/b12.md";
    let text = std::fs::read_to_string(site.root().join(oldest)).expect("a briefing");
    assert!(text.contains("date: 2021-01-13"), "{text}");
    site.write(oldest, &text.replace("the coalition", "the quincunx"));
    let (kept, parts, read, to_read) = build(&site);
    assert_eq!((kept, parts, read), (5, 6, to_read));
    assert!(read >= 10, "the part's ten pages at least: {read}");
    assert!(
        pagefind(&site) == fresh(&site),
        "the bundle of a fresh build"
    );

    // A new briefing, the newest, while the newest part is full: a new
    // part begins with it, and the full one moves to a folder of its own
    // (parts keep their folder from the oldest end); both are made.
    site.write(
        "content/briefings/b99.md",
        "---\ntitle: Briefing 99\ndate: 2021-12-31\npeople: [Person 1]\n---\nThe newest words.\n",
    );
    let (kept, parts, read, to_read) = build(&site);
    assert_eq!((kept, parts, read), (5, 7, to_read));
    assert!(
        pagefind(&site) == fresh(&site),
        "the bundle of a fresh build"
    );

    // A part's files that are not what this Pagefind wrote are not taken.
    let entry = site
        .output()
        .dir
        .join("pagefind/parts/2/pagefind-entry.json");
    let json = std::fs::read_to_string(&entry).expect("the part's entry");
    let version = serde_json::from_str::<Value>(&json).expect("JSON")["version"]
        .as_str()
        .expect("a version")
        .to_string();
    std::fs::write(&entry, json.replace(&version, "0.0.1")).expect("entry written");
    assert_eq!(build(&site), (6, 7, 10, 10));
    assert!(
        pagefind(&site) == fresh(&site),
        "the bundle of a fresh build"
    );

    // Nor are a part's files when one of them is gone.
    let fragments = site.output().dir.join("pagefind/parts/3/fragment");
    let fragment = std::fs::read_dir(&fragments)
        .expect("the part's fragments")
        .next()
        .expect("a fragment")
        .expect("a fragment")
        .path();
    std::fs::remove_file(&fragment).expect("removed");
    assert_eq!(build(&site), (6, 7, 10, 10));
    assert!(fragment.is_file(), "the fragment is back");
    assert!(
        pagefind(&site) == fresh(&site),
        "the bundle of a fresh build"
    );

    // What the last build says a page's record was is checked when its
    // part is made: a wrong hash only has the part made again.
    let made = site.output().dir.join("pagefind/dossier-parts.json");
    let json = std::fs::read_to_string(&made).expect("what the parts are made of");
    let mut listed: Value = serde_json::from_str(&json).expect("JSON");
    let page = &mut listed["pages"]["briefings/b12/index.html"];
    assert!(page.is_array(), "{listed}");
    page[1] = Value::from("0123456789abcdef");
    std::fs::write(&made, listed.to_string()).expect("written");
    assert_eq!(build(&site), (6, 7, 10, 0));
    assert!(
        pagefind(&site) == fresh(&site),
        "the bundle of a fresh build"
    );
    let json = std::fs::read_to_string(&made).expect("what the parts are made of");
    assert!(
        !json.contains("0123456789abcdef"),
        "the record read is listed"
    );

    // Pages written for another address are read again, every one: a
    // record may name the address. Their parts are the same.
    let mut elsewhere = site.options();
    elsewhere.base_url = Some("https://mirror.example.net/".to_string());
    let reuse = dossier::build(&elsewhere)
        .expect("a build for another address")
        .search_reuse
        .expect("search is on");
    assert_eq!((reuse.parts_kept, reuse.pages_read), (7, 61));
    let reuse = dossier::build(&elsewhere)
        .expect("a build for another address")
        .search_reuse
        .expect("search is on");
    assert_eq!((reuse.parts_kept, reuse.pages_read), (7, 0), "then none");
    // Back at its own address: every page is other bytes again.
    assert_eq!(build(&site), (7, 7, 61, 61));

    // Records read by another reader are read again, every one.
    let json = std::fs::read_to_string(&made).expect("what the parts are made of");
    let mut listed: Value = serde_json::from_str(&json).expect("JSON");
    listed["reader"] = Value::from(dossier::search::record::READER + 1);
    std::fs::write(&made, listed.to_string()).expect("written");
    assert_eq!(build(&site), (7, 7, 61, 0));

    // Another dossier's output: nothing is taken.
    let json = std::fs::read_to_string(&made).expect("what the parts are made of");
    let other = json.replace(
        &format!("\"dossier\":\"{}\"", env!("CARGO_PKG_VERSION")),
        "\"dossier\":\"0.0.0-other\"",
    );
    assert_ne!(json, other);
    std::fs::write(&made, other).expect("written");
    assert_eq!(build(&site), (0, 7, 61, 0));
    assert!(
        pagefind(&site) == fresh(&site),
        "the bundle of a fresh build"
    );
}

/// The files of a tree's search bundle by part folder (`pagefind`,
/// `pagefind/parts/2`), but the lists of parts.
fn search_parts(tree: &crate::support::Tree) -> BTreeMap<String, Vec<(&PathBuf, &Vec<u8>)>> {
    let mut parts: BTreeMap<String, Vec<(&PathBuf, &Vec<u8>)>> = BTreeMap::new();
    for (path, bytes) in tree {
        let Some(inside) = path.to_str().and_then(|p| p.strip_prefix("pagefind/")) else {
            continue;
        };
        let folder = match inside.strip_prefix("parts/") {
            Some(rest) => match rest.split_once('/') {
                Some((number, _)) => format!("pagefind/parts/{number}"),
                None => continue,
            },
            None if inside == "parts.json" || inside == "dossier-parts.json" => continue,
            None => "pagefind".to_string(),
        };
        parts.entry(folder).or_default().push((path, bytes));
    }
    parts
}

/// The URL of every page a bundle folder's fragments describe.
fn fragment_urls(output: &Output, folder: &str) -> Vec<String> {
    output
        .files()
        .into_iter()
        .filter(|f| {
            f.parent()
                .is_some_and(|dir| dir == std::path::Path::new(folder).join("fragment"))
        })
        .map(|f| {
            let bytes = std::fs::read(output.dir.join(&f)).expect("a fragment");
            let mut json = String::new();
            std::io::Read::read_to_string(
                &mut flate2::read::GzDecoder::new(bytes.as_slice()),
                &mut json,
            )
            .expect("a gzipped fragment");
            let json = json
                .strip_prefix("pagefind_dcd")
                .expect("Pagefind's prefix");
            let fragment: Value = serde_json::from_str(json).expect("JSON");
            fragment["url"].as_str().expect("a URL").to_string()
        })
        .collect()
}

/// The bundle's files under `folder` (`pagefind/parts/1`), by path.
fn files_under(output: &Output, folder: &str) -> Vec<(PathBuf, Vec<u8>)> {
    output
        .tree()
        .into_iter()
        .filter(|(path, _)| path.starts_with(folder))
        .collect()
}

/// An archive larger than `search_part_size` is indexed in parts, cut from
/// the oldest end: the newest part is the bundle, the others hold only
/// their index, `parts.json` names them, and every briefing is in exactly
/// one of them. A new briefing leaves the older parts as they were.
#[test]
fn a_large_archive_is_indexed_in_parts_each_briefing_in_one() {
    let site = many_briefings_in_parts(25);
    site.build();
    let output = site.output();
    let list: Value = serde_json::from_str(
        &std::fs::read_to_string(output.file("/pagefind/parts.json")).expect("parts.json"),
    )
    .expect("parts.json is JSON");
    assert_eq!(list, serde_json::json!(["parts/2/", "parts/1/"]));

    let mut seen = Vec::new();
    for (folder, pages) in [
        ("pagefind", 10),
        ("pagefind/parts/2", 25),
        ("pagefind/parts/1", 25),
    ] {
        let text = std::fs::read_to_string(output.dir.join(folder).join("pagefind-entry.json"))
            .expect("each part has its entry");
        let entry: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(
            entry["languages"]["en"]["page_count"],
            Value::from(pages),
            "{folder}: {entry}"
        );
        let urls = fragment_urls(&output, folder);
        assert_eq!(urls.len(), pages, "{folder}");
        seen.extend(urls);
    }
    // Only the bundle carries the scripts and the WebAssembly.
    for file in ["pagefind.js", "pagefind-ui.js", "wasm.en.pagefind"] {
        assert!(output.exists(&format!("/pagefind/{file}")), "{file}");
        for part in ["parts/1", "parts/2"] {
            assert!(
                !output.exists(&format!("/pagefind/{part}/{file}")),
                "{part}/{file}"
            );
        }
    }
    // Each briefing once, the ten newest (November's and December's) in the bundle.
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 60, "{seen:?}");
    let mut newest: Vec<String> = (0..60)
        .filter(|i| i % 12 >= 10)
        .map(|i| format!("/briefings/b{i}/"))
        .collect();
    let mut bundle = fragment_urls(&output, "pagefind");
    newest.sort();
    bundle.sort();
    assert_eq!(newest, bundle);

    // A newer briefing: the bundle changes, the older parts keep every byte.
    let older = (
        files_under(&output, "pagefind/parts/1"),
        files_under(&output, "pagefind/parts/2"),
    );
    site.write(
        "content/briefings/newest.md",
        "---\ntitle: The newest\ndate: 2022-01-01\n---\nMeeting about the coalition.\n",
    );
    site.build();
    let output = site.output();
    assert_eq!(fragment_urls(&output, "pagefind").len(), 11);
    assert!(
        older
            == (
                files_under(&output, "pagefind/parts/1"),
                files_under(&output, "pagefind/parts/2"),
            ),
        "the older parts changed"
    );

    // One part: no parts folder, an empty list.
    let small = many_briefings_in_parts(60);
    small.build();
    let output = small.output();
    assert_eq!(
        std::fs::read_to_string(output.file("/pagefind/parts.json")).expect("parts.json"),
        "[]"
    );
    assert!(
        !output
            .files()
            .iter()
            .any(|f| f.starts_with("pagefind/parts"))
    );
}

#[test]
fn a_search_part_size_of_zero_is_an_error() {
    let site = many_briefings_in_parts(0);
    let lines = crate::support::lines(&site.build_err());
    assert!(lines.contains("dossier.yaml"), "{lines}");
    assert!(
        lines.contains("`search_part_size` must be at least 1"),
        "{lines}"
    );
}

/// The files of a one-page Pagefind bundle, fragments decompressed and
/// without their anchors (which a custom record does not carry), renamed by
/// kind since their names hash their contents.
fn one_page_bundle(html: &str, as_record: bool) -> Vec<(String, Vec<u8>)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let options = pagefind::options::PagefindServiceConfig::builder()
        .force_language("en".to_string())
        .build();
    let mut index = pagefind::api::PagefindIndex::new(Some(options)).expect("an index");
    let url = "/briefings/page/".to_string();
    if as_record {
        let record = dossier::search::record::extract(html.as_bytes()).expect("a record");
        runtime
            .block_on(index.add_custom_record(
                url,
                record.content,
                "en".into(),
                Some(record.meta),
                Some(record.filters),
                Some(record.sort),
            ))
            .expect("the record is added");
    } else {
        runtime
            .block_on(index.add_html_file(None, Some(url), html.to_string()))
            .expect("the page is added");
    }
    let files = runtime.block_on(index.get_files()).expect("the bundle");
    let mut files: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .filter_map(|file| {
            let name = file.filename.to_string_lossy().into_owned();
            if name.ends_with(".pf_fragment") {
                let mut json = String::new();
                std::io::Read::read_to_string(
                    &mut flate2::read::GzDecoder::new(file.contents.as_slice()),
                    &mut json,
                )
                .expect("a gzipped fragment");
                let json = json
                    .strip_prefix("pagefind_dcd")
                    .expect("Pagefind's prefix");
                let mut fragment: Value = serde_json::from_str(json).expect("JSON");
                let anchors = fragment.as_object_mut().and_then(|f| f.remove("anchors"));
                assert!(anchors.is_some(), "a fragment lists its anchors");
                let bytes = serde_json::to_vec_pretty(&fragment).expect("JSON");
                Some(("fragment".to_string(), bytes))
            } else if name.ends_with(".pf_meta") || name.ends_with("pagefind-entry.json") {
                // They name the fragment files, whose hashes cover the anchors.
                None
            } else {
                Some((name, file.contents))
            }
        })
        .collect();
    files.sort();
    files
}

/// A page with what Pagefind reads in a page: a body, ignored and excluded
/// parts, weights, headings, filters, meta, sort keys, entities, line
/// breaks, inline elements, ids, an image after the title, an attribute
/// given twice (the first counts) and one named in capitals.
const EVERY_MARK: &str = r#"<!DOCTYPE html>
<html lang="en"><head><title>Site &amp; page</title><script>var x = "no";</script></head>
<body><header><nav>Menu words</nav></header>
<div data-pagefind-filter="Outside:value">Not in the body</div>
<article data-pagefind-body>
  <h1 data-pagefind-meta="title">The <em>Rome</em> &amp; Paris   meeting</h1>
  <p class="dek">A summary, with a question?</p>
  <div data-pagefind-ignore><time datetime="2021-06-28" data-pagefind-meta="date:June 28, 2021" data-pagefind-sort="date[datetime]">June 28</time> 5 words</div>
  <h2 id="first part">First part</h2>
  <p>Blinken met<br>Di Maio in Rome. Caf&eacute; talk &lt;ok&gt;
  across lines</p>
  <p data-pagefind-weight="3" data-pagefind-weight="9">Weighted <strong>words</strong></p>
  <p><span Data-Pagefind-Filter="Mixed:Case">Capitals</span> in a name</p>
  <ul><li>One</li><li>Two <a href="/x/" id="two">linked</a></li></ul>
  <img src="/map.png" alt="A map" data-pagefind-index-attrs="alt">
  <h3>Third level</h3><table><tr><td>Cell</td><td>Other cell</td></tr></table>
  <div data-pagefind-ignore="all"><a data-pagefind-filter="Hidden">Gone</a> never</div>
  <aside data-pagefind-ignore>
    <a data-pagefind-filter="Countries">Italy</a>
    <a data-pagefind-filter="Countries">United   States</a>
    <a data-pagefind-filter="People, Topics">Antony &amp; Blinken</a>
  </aside>
  <footer>Footer words</footer><script>var y = 1;</script>
</article>
<p>After the body</p>
</body></html>
"#;

#[test]
fn records_read_from_the_pages_index_as_pagefind_reads_the_pages() {
    let (_site, output) = bundled_at("https://example.org/");
    let mut pages = vec![EVERY_MARK.to_string()];
    for path in [WASHINGTON, ROME] {
        pages.push(std::fs::read_to_string(output.file(path)).expect("a briefing page"));
    }
    for html in &pages {
        let from_html = one_page_bundle(html, false);
        assert!(from_html.iter().any(|(name, _)| name == "fragment"));
        assert!(
            from_html
                .iter()
                .any(|(name, _)| name.ends_with(".pf_filter"))
        );
        let from_record = one_page_bundle(html, true);
        for ((name, html_bytes), (record_name, record_bytes)) in from_html.iter().zip(&from_record)
        {
            assert_eq!(name, record_name);
            assert!(
                html_bytes == record_bytes,
                "{name} differs:\n{}\n---\n{}",
                String::from_utf8_lossy(html_bytes),
                String::from_utf8_lossy(record_bytes)
            );
        }
        assert_eq!(from_html.len(), from_record.len());
    }
}

/// A static file server for a built site, on 127.0.0.1, serving `dir` under
/// the URL path `prefix`. The port is taken before the site is built, so the
/// site can be built for its address.
struct StaticServer {
    listener: Option<TcpListener>,
    port: u16,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl StaticServer {
    fn bind() -> StaticServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port on 127.0.0.1");
        let port = listener.local_addr().expect("the bound address").port();
        StaticServer {
            listener: Some(listener),
            port,
            shutdown: None,
            thread: None,
        }
    }

    fn serve(&mut self, dir: PathBuf, prefix: &str) {
        let listener = self.listener.take().expect("serve is called once");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let prefix = prefix.to_string();
        self.shutdown = Some(shutdown);
        self.thread = Some(std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime for the file server");
            runtime.block_on(async move {
                let listener =
                    tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
                let files = tower_http::services::ServeDir::new(dir);
                let app = axum::Router::new().nest_service(&prefix, files);
                axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stop.await;
                    })
                    .await
                    .expect("the file server runs");
            });
        }));
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The hrefs of the search results shown.
fn result_links(browser: &Browser) -> Vec<String> {
    let links = browser.eval(
        "return Array.from(document.querySelectorAll('.pagefind-ui__result-link'))\
         .map(a => a.getAttribute('href'));",
    );
    serde_json::from_value(links).expect("a list of hrefs")
}

/// Waits until exactly `count` results are shown.
fn wait_for_results(browser: &Browser, count: usize) {
    browser.wait_until(
        &format!("{count} search results"),
        &format!(
            "document.querySelectorAll('.pagefind-ui__result-link').length === {count} \
             && !document.querySelector('.pagefind-ui__result-title.pagefind-ui__loading')"
        ),
    );
}

/// Opens the search page's `filter` (a taxonomy's title) and ticks `value`.
fn tick_filter(browser: &Browser, filter: &str, value: &str) {
    let summary = browser
        .block_on(
            browser
                .client()
                .wait()
                .at_most(crate::browser::PATIENCE)
                .for_element(Locator::XPath(&format!(
                    "//summary[contains(@class, 'pagefind-ui__filter-name')][normalize-space()='{filter}']"
                ))),
        )
        .unwrap_or_else(|e| panic!("a {filter} filter: {e}"));
    browser
        .block_on(summary.click())
        .unwrap_or_else(|e| panic!("open the {filter} filter: {e}"));
    browser.click(&format!("label[for='{filter}-{value}']"));
}

#[test]
fn typing_a_query_finds_the_briefing_and_a_country_filter_narrows_the_results() {
    let Some(browser) = Browser::launch() else {
        return;
    };
    let mut server = StaticServer::bind();
    let base = format!("http://127.0.0.1:{}/archive/", server.port);
    let (_site, output) = bundled_at(&base);
    server.serve(output.dir.clone(), "/archive");

    browser.goto(&format!("{base}search/"));
    browser.type_into(".pagefind-ui__search-input", "Tillerson");
    wait_for_results(&browser, 1);
    assert_eq!(result_links(&browser), [format!("/archive{WASHINGTON}")]);
    assert!(
        browser
            .text(".pagefind-ui__result-title")
            .starts_with("Tillerson promises"),
        "the result shows the briefing's title"
    );
    let address = browser.eval("return window.location.search;");
    assert_eq!(
        address,
        Value::from("?q=Tillerson"),
        "the query is kept in the address"
    );

    // A link to a query runs it; both briefings mention the coalition.
    browser.goto(&format!("{base}search/?q=coalition"));
    wait_for_results(&browser, 2);
    let mut links = result_links(&browser);
    links.sort();
    assert_eq!(
        links,
        [format!("/archive{ROME}"), format!("/archive{WASHINGTON}")]
    );
    for link in &links {
        let site_path = link.strip_prefix("/archive").expect("under the base path");
        assert!(output.exists(site_path), "{link} is a page of the site");
    }

    // Only the Rome meeting is tagged with Italy.
    tick_filter(&browser, "Countries", "Italy");
    wait_for_results(&browser, 1);
    assert_eq!(result_links(&browser), [format!("/archive{ROME}")]);
}

/// Waits until the results line reads `message` ("60 results for coalition").
fn wait_for_message(browser: &Browser, message: &str) {
    browser.wait_until(
        &format!("the message {message:?}"),
        &format!(
            "(document.querySelector('.pagefind-ui__message') || {{}}).textContent === {}",
            Value::from(message)
        ),
    );
}

/// An archive in three parts searches as one: the results of every part,
/// counted together, and a filter narrows them across the parts.
#[test]
fn a_search_covers_every_part_of_the_index() {
    let Some(browser) = Browser::launch() else {
        return;
    };
    let mut server = StaticServer::bind();
    let base = format!("http://127.0.0.1:{}/archive/", server.port);
    let site = many_briefings_in_parts(25);
    let mut options = site.options();
    options.base_url = Some(base.clone());
    site.build_with(&options);
    let output = site.output_at(&options);
    assert!(output.exists("/pagefind/parts/2/pagefind-entry.json"));
    server.serve(output.dir.clone(), "/archive");

    // Every briefing mentions the coalition; 20 of them Country 1.
    browser.goto(&format!("{base}search/?q=coalition"));
    wait_for_message(&browser, "60 results for coalition");
    wait_for_results(&browser, 10);
    for link in result_links(&browser) {
        let site_path = link.strip_prefix("/archive").expect("under the base path");
        assert!(output.exists(site_path), "{link} is a page of the site");
    }
    // "Meeting 12" is in the oldest part only.
    browser.goto(&format!("{base}search/?q=%22Meeting%2012%22"));
    wait_for_results(&browser, 1);
    assert_eq!(
        browser.text(".pagefind-ui__result-title"),
        "Briefing 12",
        "a briefing of the oldest part is found"
    );

    browser.goto(&format!("{base}search/?q=coalition"));
    wait_for_message(&browser, "60 results for coalition");
    tick_filter(&browser, "Countries", "Country 1");
    wait_for_message(&browser, "20 results for coalition");
}

/// A briefing page that fails to render holds up neither the search index
/// nor the render threads waiting for it: the build ends, with the error,
/// and the previous output stays.
#[test]
fn a_briefing_page_that_fails_does_not_hold_the_index_up() {
    let site = many_briefings_in_parts(7);
    site.build();
    let before = site.output().tree();
    let theme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("themes/dossier/templates/briefing.html"),
    )
    .expect("the theme's briefing template");
    // One briefing in five fails, in every part: each indexing thread
    // comes to a page that never comes.
    let failing: Vec<String> = (0..60)
        .step_by(5)
        .map(|i| format!("\"Briefing {i}\""))
        .collect();
    site.write(
        "templates/briefing.html",
        &theme.replacen(
            "{% block content %}",
            &format!(
                "{{% block content %}}{{% if briefing.title in [{}] %}}{{{{ no_such_variable }}}}{{% endif %}}",
                failing.join(", ")
            ),
            1,
        ),
    );
    let (sender, receiver) = std::sync::mpsc::channel();
    let root = site.root().to_path_buf();
    std::thread::spawn(move || {
        let result = dossier::build(&dossier::config::BuildOptions::new(root));
        let _ = sender.send(result.map(|_| ()));
    });
    let result = receiver
        .recv_timeout(std::time::Duration::from_secs(120))
        .expect("the build ended");
    let problems = result.expect_err("the build fails");
    let text = crate::support::lines(&problems);
    assert!(text.contains("no_such_variable"), "{text}");
    assert!(text.contains("templates/briefing.html"), "{text}");
    assert!(site.output().tree() == before, "the last good output stays");
}

/// A site's own search page made before the index came in parts (it never
/// reads `parts.json`) would search only the newest part: the build says so.
#[test]
fn a_search_page_that_does_not_merge_the_parts_is_warned_about() {
    let site = many_briefings_in_parts(25);
    site.write(
        "templates/search.html",
        "{% extends \"base.html\" %}{% block content %}<div id=\"search\"></div>{% endblock content %}\n",
    );
    let report = site.build();
    let warning = report
        .warnings
        .iter()
        .find(|w| w.message.contains("parts.json"))
        .expect("a warning about the parts");
    assert_eq!(warning.path, std::path::Path::new("templates/search.html"));
    assert!(warning.message.contains("3 parts"), "{}", warning.message);
    assert!(warning.message.contains("newest 25"), "{}", warning.message);

    // The default theme's page merges them: no warning.
    let site = many_briefings_in_parts(25);
    let report = site.build();
    assert!(
        !report
            .warnings
            .iter()
            .any(|w| w.message.contains("parts.json")),
        "{:?}",
        report.warnings
    );
}
