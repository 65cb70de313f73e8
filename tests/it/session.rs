//! Rebuilding through a `Session`, as `serve` does: whatever path a rebuild
//! takes, the output must be exactly what a fresh `dossier build` of the same
//! files writes, and an edit to one briefing must re-render only its pages.

use std::path::PathBuf;

use dossier::config::BuildOptions;
use dossier::session::Session;
use tempfile::TempDir;

use crate::support::{Output, Site, differences, lines, sitemap_urls, text_of};

const TALKS: &str = "content/briefings/2019/ankara-talks.md";
const GENEVA: &str = "content/briefings/2021/geneva.md";

/// A session over the fixture site, built once into its own output folder.
fn session(site: &Site) -> (Session, TempDir) {
    let out = tempfile::tempdir().expect("an output folder");
    let options = BuildOptions {
        output: out.path().join("site"),
        ..site.options()
    };
    let mut session = Session::new(options);
    session
        .build()
        .unwrap_or_else(|d| panic!("first build failed:\n{}", lines(&d)));
    settle(&mut session);
    (session, out)
}

/// Waits for the last full build's search index, which follows the pages on
/// a thread of its own: once it is written, nothing changes the output
/// behind the test's back. A site with search off has none to wait for.
fn settle(session: &mut Session) {
    if let Some(Err(d)) = session.wait_for_search() {
        panic!("the search index failed:\n{}", lines(&d));
    }
}

/// Rebuilds after the file at `rel` changed, and waits for its search
/// index to be brought up to date ([`settle`]).
fn rebuild(session: &mut Session, site: &Site, rel: &str) -> dossier::BuildReport {
    let report = rebuild_now(session, site, rel);
    settle(session);
    report
}

/// [`rebuild`] without waiting for the search index.
fn rebuild_now(session: &mut Session, site: &Site, rel: &str) -> dossier::BuildReport {
    session
        .rebuild(&[site.root().join(rel)])
        .unwrap_or_else(|d| panic!("rebuild failed:\n{}", lines(&d)))
        .expect("a change to the site rebuilds it")
}

/// [`rebuild_now`] after the file at `rel` changed and the config was
/// touched (a comment added): a full build, whatever `rel` holds.
fn rebuild_all_now(session: &mut Session, site: &Site, rel: &str) -> dossier::BuildReport {
    let config = std::fs::read_to_string(site.root().join("dossier.yaml")).expect("the config");
    site.write("dossier.yaml", &format!("{config}# touched\n"));
    session
        .rebuild(&[site.root().join(rel), site.root().join("dossier.yaml")])
        .unwrap_or_else(|d| panic!("rebuild failed:\n{}", lines(&d)))
        .expect("a change to the site rebuilds it")
}

/// What a fresh build of the same files writes.
fn fresh(site: &Site) -> Output {
    site.build();
    site.output()
}

fn output_of(session: &Session) -> Output {
    Output::new(&session.options().output, "http://127.0.0.1:1111/")
}

/// Compares the session's output with a fresh build. The search index
/// (`pagefind/`) is refreshed by full builds only: an in-place edit leaves it
/// as the last full build made it (see `session.rs`), so it is compared only
/// after a full build.
fn assert_same_tree(session: &Session, site: &Site) {
    let (got, want) = (output_of(session).tree(), fresh(site).tree());
    let differ: Vec<&PathBuf> = differences(&want, &got);
    assert!(
        differ.is_empty(),
        "the rebuilt output differs from a fresh build in {differ:?}"
    );
}

/// Rebuilds after the file at `rel` changed, checks the output against a
/// fresh build, and says whether the rebuild went in place.
fn rebuilt_in_place(session: &mut Session, site: &Site, rel: &str) -> bool {
    let report = rebuild(session, site, rel);
    assert_same_tree(session, site);
    report.incremental
}

fn edit(site: &Site, rel: &str, from: &str, to: &str) {
    let text = std::fs::read_to_string(site.root().join(rel)).expect("read the briefing");
    assert!(text.contains(from), "{rel} should contain {from:?}");
    site.write(rel, &text.replacen(from, to, 1));
}

#[test]
fn a_body_and_title_edit_rerenders_only_the_pages_that_show_the_briefing() {
    let site = Site::fixture();
    let (mut session, _out) = session(&site);
    let pages_before = output_of(&session).pages().len();
    edit(
        &site,
        TALKS,
        "Talks were held in Ankara.",
        "Talks resumed in Ankara on Tuesday.",
    );
    edit(
        &site,
        TALKS,
        "title: Ankara talks on the border",
        "title: Border talks in Ankara",
    );

    let report = rebuild(&mut session, &site, TALKS);
    assert!(report.incremental, "{}", report.summary());
    assert!(
        report.render.pages < pages_before / 2,
        "an edit of one briefing re-rendered {} of {pages_before} pages",
        report.render.pages
    );
    assert_eq!(
        report.render.template_renders,
        report.render.pages + report.render.feeds
    );
    assert_eq!(report.render.card_renders, 1, "only the edited card");

    let out = output_of(&session);
    let page = out.page("/briefings/ankara-talks/");
    assert!(
        page.text("article")
            .contains("Talks resumed in Ankara on Tuesday.")
    );
    assert_eq!(page.text("h1"), "Border talks in Ankara");
    // Its card on its terms' pages; the rest (home page, neighbours, year)
    // is compared with a fresh build below.
    assert!(
        out.page("/countries/turkey/")
            .text("main")
            .contains("Border talks in Ankara")
    );
    assert_same_tree(&session, &site);
}

/// A briefing without a `summary:` is summed up by its first paragraph: an
/// edit there changes its card on every listing, and the in-place rebuild
/// must show the new summary there, not the one the session started with.
#[test]
fn an_edit_to_the_first_paragraph_changes_the_summary_everywhere() {
    let site = Site::fixture();
    let (mut session, _out) = session(&site);
    let card_text = |session: &Session, path: &str| {
        output_of(session)
            .page(path)
            .select(".card")
            .into_iter()
            .map(text_of)
            .find(|card| card.contains("Geneva appeal"))
            .unwrap_or_else(|| panic!("{path} lists no card of the Geneva appeal"))
    };
    assert!(card_text(&session, "/topics/humanitarian-aid/").contains("launched in Geneva"));

    edit(
        &site,
        GENEVA,
        "An appeal for aid was launched in Geneva.",
        "Donors pledged more aid at a Geneva meeting.",
    );
    let report = rebuild(&mut session, &site, GENEVA);
    assert!(report.incremental, "{}", report.summary());
    for listing in [
        "/",
        "/topics/humanitarian-aid/",
        "/people/grace-hopper/",
        "/archive/2021/",
    ] {
        let card = card_text(&session, listing);
        assert!(
            card.contains("Donors pledged more aid at a Geneva meeting."),
            "{listing} shows the old summary: {card}"
        );
        assert!(!card.contains("launched in Geneva"), "{listing}: {card}");
    }
    let page = output_of(&session).page("/briefings/geneva-appeal/");
    let description = page.select("meta[name=description]");
    assert_eq!(
        description
            .first()
            .and_then(|meta| meta.value().attr("content")),
        Some("Donors pledged more aid at a Geneva meeting.")
    );
    assert_same_tree(&session, &site);
}

/// A briefing moved to a year the archive has no briefing from gives that
/// year its page, in place, and every year page and the archive page list
/// it; a year left without briefings loses its page, and the timelines
/// that span it no longer link to it. After each step the output is what a
/// fresh build writes.
#[test]
fn a_year_comes_and_goes_in_place() {
    const ROME: &str = "content/briefings/2020/rome-meeting.md";
    let site = Site::fixture();
    let (mut session, _out) = session(&site);
    edit(&site, TALKS, "date: 2019-03-05", "date: 2018-12-30");
    assert!(rebuilt_in_place(&mut session, &site, TALKS));
    let out = output_of(&session);
    assert!(out.exists("/archive/2018/"));
    assert!(
        out.page("/archive/2021/")
            .links("main a")
            .contains(&"/archive/2018/".to_string())
    );
    edit(&site, TALKS, "date: 2018-12-30", "date: 2019-03-05");
    assert!(rebuilt_in_place(&mut session, &site, TALKS));
    assert!(!output_of(&session).exists("/archive/2018/"));

    // Turkey, named in 2019 and (now) 2021, spans 2020: when the Rome
    // meeting, the only briefing of 2020, moves to 2022, its timeline's
    // 2020 no longer links to a page.
    edit(
        &site,
        GENEVA,
        "people: [Grace Hopper]",
        "people: [Grace Hopper]\ncountries: [Turkey]",
    );
    assert!(rebuilt_in_place(&mut session, &site, GENEVA));
    let timeline = |session: &Session| {
        output_of(session)
            .page("/countries/turkey/")
            .links("main .timeline a")
    };
    assert!(timeline(&session).contains(&"/archive/2020/".to_string()));
    edit(&site, ROME, "date: 2020-06-28", "date: 2022-06-28");
    assert!(rebuilt_in_place(&mut session, &site, ROME));
    assert!(!output_of(&session).exists("/archive/2020/"));
    assert!(!timeline(&session).contains(&"/archive/2020/".to_string()));
    edit(&site, ROME, "date: 2022-06-28", "date: 2020-06-28");
    assert!(rebuilt_in_place(&mut session, &site, ROME));
    assert!(timeline(&session).contains(&"/archive/2020/".to_string()));
}

/// A new, changed or removed `updated` date is rebuilt in place: the page
/// says when it was updated, the feeds carry the date, and the sitemap's
/// date of every page showing the briefing follows it (its terms' pages, its
/// year, the archive, the taxonomy pages, its home page).
#[test]
fn an_updated_date_is_rebuilt_in_place() {
    let site = Site::fixture();
    let (mut session, _out) = session(&site);
    for (from, to) in [
        (
            "date: 2019-03-05\n",
            "date: 2019-03-05\nupdated: 2022-05-01\n",
        ),
        ("updated: 2022-05-01", "updated: 2022-05-02"),
        // Before its date: the date counts again.
        ("updated: 2022-05-02", "updated: 2019-01-01"),
        ("updated: 2019-01-01\n", ""),
    ] {
        edit(&site, TALKS, from, to);
        let report = rebuild(&mut session, &site, TALKS);
        assert!(
            report.incremental,
            "{from:?} → {to:?}: {}",
            report.summary()
        );
        assert_same_tree(&session, &site);
    }
    edit(
        &site,
        TALKS,
        "date: 2019-03-05\n",
        "date: 2019-03-05\nupdated: 2022-05-01\n",
    );
    rebuild(&mut session, &site, TALKS);
    let page = output_of(&session).page("/briefings/ankara-talks/");
    assert!(
        page.text(".dateline").contains("Updated"),
        "{}",
        page.text(".dateline")
    );
    let sitemap =
        std::fs::read_to_string(output_of(&session).file("/sitemap.xml")).expect("the sitemap");
    assert!(
        sitemap.contains("<lastmod>2022-05-01</lastmod>"),
        "{sitemap}"
    );
    assert_same_tree(&session, &site);
}

/// A change of tags among the archive's terms is rebuilt in place: the terms
/// that gained or lost the briefing (their pages shifting, their counts,
/// co-occurring terms and timelines), the related lists of the briefings
/// sharing them, the taxonomy pages, the feeds and the sitemap's dates. After
/// each edit the output must be what a fresh build writes; a term's listing
/// may gain or lose a page, a term may come or go, or be respelled by its
/// newest briefing.
#[test]
fn a_change_of_tags_rebuilds_in_place() {
    const ROME: &str = "content/briefings/2020/rome-meeting.md";
    let site = Site::fixture();
    let (mut session, _out) = session(&site);
    let pages = output_of(&session).pages().len();
    for (rel, from, to, in_place) in [
        // A topic another briefing has.
        (
            TALKS,
            "topics: [Border security]",
            "topics: [Border security, Humanitarian aid]",
            true,
        ),
        // Ada Lovelace's newest briefing: both her pages shift, and their
        // dates in the sitemap.
        (
            ROME,
            "people: [Luigi De Maio, Grace Hopper]",
            "people: [Luigi De Maio, Grace Hopper, Ada Lovelace]",
            true,
        ),
        // Grace Hopper has no profile: she is named as the newest briefing
        // naming her spells it, and that is this one. Another spelling
        // respells her on every page that shows her, in place.
        (
            GENEVA,
            "people: [Grace Hopper]",
            "people: [GRACE HOPPER]",
            true,
        ),
        (
            GENEVA,
            "people: [GRACE HOPPER]",
            "people: [Grace Hopper]",
            true,
        ),
        // A person dropped; the same people in another order, by an alias.
        (GENEVA, "people: [Grace Hopper]", "people: []", true),
        (
            TALKS,
            "people: [recep tayyip erdogan, Ada Lovelace]",
            "people: [Ada Lovelace, Erdogan]",
            true,
        ),
        (
            TALKS,
            "topics: [Border security, Humanitarian aid]",
            "topics: [Border security]",
            true,
        ),
        // Humanitarian aid left with no briefing and no profile: it goes,
        // its page and feed with it.
        (GENEVA, "topics: [Humanitarian aid]", "topics: []", true),
        // Nobody Yet's first briefing: her profile's page gets a feed.
        (GENEVA, "people: []", "people: [Nobody Yet]", true),
        // And her last: the page stays, the feed goes.
        (GENEVA, "people: [Nobody Yet]", "people: []", true),
        // A person no briefing named: a new term, its page and feed.
        (GENEVA, "people: []", "people: [Someone Else]", true),
        // Ada Lovelace back to three briefings, her two pages kept.
        (
            ROME,
            "people: [Luigi De Maio, Grace Hopper, Ada Lovelace]",
            "people: [Luigi De Maio, Grace Hopper]",
            true,
        ),
        // Turkey's third briefing: a second page, listed in the sitemap.
        (
            ROME,
            "countries: [Italy]",
            "countries: [Italy, Turkey]",
            true,
        ),
        // And taken away again: the page is removed.
        (
            ROME,
            "countries: [Italy, Turkey]",
            "countries: [Italy]",
            true,
        ),
    ] {
        edit(&site, rel, from, to);
        let report = rebuild(&mut session, &site, rel);
        assert_eq!(
            report.incremental,
            in_place,
            "{from} → {to}: {}",
            report.summary()
        );
        if in_place {
            assert!(
                report.render.pages < pages,
                "{from} → {to} re-rendered {} of {pages} pages",
                report.render.pages
            );
        }
        assert_same_tree(&session, &site);
    }
}

/// A briefing in a year the archive has no briefing from, with a country
/// no briefing names, comes and goes in place; with the config touched
/// too, and after a template edit, the rebuild is a whole one. After each
/// step the output is what a fresh build writes.
#[test]
fn a_new_year_goes_in_place_and_the_config_rebuilds_everything() {
    let site = Site::fixture();
    let (mut session, _out) = session(&site);
    let new = "content/briefings/2022/new-one.md";
    site.write(
        new,
        "---\ntitle: A new one\ndate: 2022-09-01\ncountries: [Chile]\n---\nFresh text.\n",
    );
    // 2022 is a new year, with a new country: in place.
    assert!(rebuilt_in_place(&mut session, &site, new));
    assert!(output_of(&session).exists("/briefings/new-one/"));

    site.remove(new);
    assert!(rebuilt_in_place(&mut session, &site, new));
    assert!(!output_of(&session).exists("/briefings/new-one/"));

    // The config: a full build, whatever else changed.
    site.write(
        new,
        "---\ntitle: A new one\ndate: 2022-09-01\n---\nFresh text.\n",
    );
    assert!(!rebuild_all_now(&mut session, &site, new).incremental);
    settle(&mut session);
    assert_same_tree(&session, &site);
    site.remove(new);
    assert!(rebuilt_in_place(&mut session, &site, new));

    site.write(
        "templates/404.html",
        "{% extends \"base.html\" %}{% block content %}<p>Gone fishing</p>{% endblock %}",
    );
    assert!(!rebuild(&mut session, &site, "templates/404.html").incremental);
    assert_same_tree(&session, &site);
    assert!(
        output_of(&session)
            .page("/404.html")
            .text("main")
            .contains("Gone fishing")
    );
}

/// A new briefing that names only terms the archive has, in a year it has,
/// is added in place: its page, its neighbours, every home page (their items
/// move by one), its terms' pages, the taxonomy, year and archive pages, the
/// related lists that moved, the feeds and the sitemap; and a deleted one
/// is taken out the same way, a listing gaining or losing a page with it, a
/// term coming or going with it, and a year left without briefings.
/// After each the output must be what a fresh build writes.
#[test]
fn briefings_added_and_removed_go_in_place() {
    let site = Site::fixture();
    let (mut session, _out) = session(&site);
    let briefing = |title: &str, date: &str, tags: &str| {
        format!(
            "---\ntitle: {title}\ndate: {date}\n{tags}---\n{title}: Ada Lovelace spoke in Rome.\n"
        )
    };
    let steps: [(&str, Option<String>, bool); 11] = [
        // Between the Rome meeting (2020-06-28) and the Geneva appeal.
        (
            "content/briefings/2020/summer-talks.md",
            Some(briefing(
                "Summer talks",
                "2020-07-01",
                "people: [Ada Lovelace, Luigi Di Maio]\ncountries: [Italy]\ntopics: [Humanitarian aid]\n",
            )),
            true,
        ),
        // Deleted again: in place too.
        ("content/briefings/2020/summer-talks.md", None, true),
        // The newest of all: every briefing moves one place down.
        (
            "content/briefings/2021/spring.md",
            Some(briefing(
                "Spring review",
                "2021-05-01",
                "people: [Ada Lovelace]\ntopics: [Humanitarian aid]\n",
            )),
            true,
        ),
        // A seventh briefing: a fourth home page, and Ada Lovelace's
        // listing a third.
        (
            "content/briefings/2021/autumn.md",
            Some(briefing("Autumn", "2021-09-01", "people: [Ada Lovelace]\n")),
            true,
        ),
        // Gone again: both pages are removed.
        ("content/briefings/2021/autumn.md", None, true),
        // A year the archive has no briefing from: its page comes.
        (
            "content/briefings/2018/old.md",
            Some(briefing("Old", "2018-01-01", "countries: [Italy]\n")),
            true,
        ),
        // The newest briefing naming Grace Hopper spells her otherwise:
        // every page naming her follows it, and the older spelling comes
        // back when it goes.
        (
            "content/briefings/2021/grace.md",
            Some(briefing("Grace", "2021-06-01", "people: [GRACE HOPPER]\n")),
            true,
        ),
        ("content/briefings/2021/grace.md", None, true),
        // A person no briefing named before: a new term.
        (
            "content/briefings/2019/new-name.md",
            Some(briefing(
                "New name",
                "2019-05-05",
                "people: [Someone New]\n",
            )),
            true,
        ),
        // Taking out the only briefing naming Someone New: the term goes.
        ("content/briefings/2019/new-name.md", None, true),
        // Taking out the Rome meeting, the only briefing left from 2020:
        // the year goes with it.
        ("content/briefings/2020/rome-meeting.md", None, true),
    ];
    for (rel, text, in_place) in steps {
        match &text {
            Some(text) => site.write(rel, text),
            None => site.remove(rel),
        }
        let report = rebuild(&mut session, &site, rel);
        assert_eq!(report.incremental, in_place, "{rel}: {}", report.summary());
        assert_same_tree(&session, &site);
    }
    let home = output_of(&session).page("/");
    assert!(
        home.text("main").contains("Spring review"),
        "{}",
        home.text("main")
    );
}

/// New briefings that give the home page and a term's listing a page more
/// get both pages, listed in the sitemap; taking them out again removes the
/// pages from the output and the sitemap, with the folders they leave empty.
#[test]
fn listings_gain_and_lose_pages_in_place() {
    let site = Site::fixture();
    let (mut session, _out) = session(&site);
    // Five briefings, two of them Turkey's, two to a page.
    let new_pages = ["/page/4/", "/countries/turkey/page/2/"];
    let listed = |session: &Session, page: &str| {
        sitemap_urls(&output_of(session), "/sitemap.xml")
            .iter()
            .any(|(loc, _)| url::Url::parse(loc).is_ok_and(|url| url.path() == page))
    };
    for page in new_pages {
        assert!(!output_of(&session).exists(page), "{page} before");
    }
    let added = [
        "content/briefings/2021/autumn.md",
        "content/briefings/2021/winter.md",
    ];
    for (rel, title) in added.iter().zip(["Autumn", "Winter"]) {
        site.write(
            rel,
            &format!(
                "---\ntitle: {title}\ndate: 2021-09-01\ncountries: [Turkey]\n---\nIn Ankara.\n"
            ),
        );
        assert!(rebuilt_in_place(&mut session, &site, rel), "{rel}");
    }
    for page in new_pages {
        assert!(
            output_of(&session).exists(page),
            "{page} after the additions"
        );
        assert!(listed(&session, page), "{page} in the sitemap");
    }

    for rel in added {
        site.remove(rel);
        assert!(rebuilt_in_place(&mut session, &site, rel), "{rel} removed");
    }
    for page in new_pages {
        assert!(
            !output_of(&session).exists(page),
            "{page} after the removals"
        );
        assert!(!listed(&session, page), "{page} still in the sitemap");
    }
    let out = output_of(&session);
    assert!(
        !out.file("/countries/turkey/page/").exists(),
        "an empty page/ folder is left behind"
    );
    assert!(out.exists("/page/3/"), "the home page keeps its third page");
}

/// An edit to a profile's summary, links or text shows only on its term's
/// pages and feed: rebuilt in place. A new role shows on every page naming
/// the person (mention links carry it), a new alias may claim another
/// briefing's name, a new name renames the term everywhere: full builds.
#[test]
fn a_profile_edit_rerenders_its_term_pages_in_place() {
    const ADA: &str = "content/people/ada-lovelace.md";
    let site = Site::fixture();
    let (mut session, _out) = session(&site);
    let pages = output_of(&session).pages().len();
    for (from, to, in_place) in [
        (
            "summary: Present at every talk of 2019.",
            "summary: Mathematician, at every talk of 2019.",
            true,
        ),
        (
            "so her page spans two pages.",
            "so her listing spans two pages.\n\nShe wrote the first program.",
            true,
        ),
        (
            "role: Analyst\n",
            "role: Analyst\nlinks:\n  - title: Notes\n    url: https://example.org/notes\n",
            true,
        ),
        // A new name shows on every page naming her.
        (
            "name: Ada Lovelace\naliases: [Countess of Lovelace]",
            "name: Ada King\naliases: [Countess of Lovelace, Ada Lovelace]",
            false,
        ),
    ] {
        edit(&site, ADA, from, to);
        let report = rebuild(&mut session, &site, ADA);
        assert_eq!(report.incremental, in_place, "{from} → {to}");
        if in_place {
            assert!(
                report.render.pages <= 2,
                "{from} → {to} re-rendered {} of {pages} pages",
                report.render.pages
            );
        }
        assert_same_tree(&session, &site);
    }
    let page = output_of(&session).page("/people/ada-lovelace/");
    assert!(page.text("main").contains("She wrote the first program."));
    assert!(page.text("main").contains("Mathematician"));

    // A profile no briefing names has a page but no feed.
    const NOBODY: &str = "content/people/nobody-yet.md";
    edit(
        &site,
        NOBODY,
        "summary: A profile no briefing names.",
        "summary: Still named by no briefing.",
    );
    assert!(rebuilt_in_place(&mut session, &site, NOBODY));
    let page = output_of(&session).page("/people/nobody-yet/");
    assert!(page.text("main").contains("Still named by no briefing."));
}

/// The `pagefind/` files of an output, with their bytes.
fn bundle(output: &Output) -> Vec<(PathBuf, Vec<u8>)> {
    output
        .tree()
        .into_iter()
        .filter(|(path, _)| path.starts_with("pagefind"))
        .collect()
}

/// The number of parts of the search index in `output`.
fn index_parts(output: &Output) -> usize {
    let list = std::fs::read_to_string(output.file("/pagefind/parts.json")).expect("parts.json");
    let list: Vec<String> = serde_json::from_str(&list).expect("a list of parts");
    list.len() + 1
}

/// Waits for the session's search index and checks it is written.
fn index_written(session: &mut Session) -> dossier::search::background::Ready {
    match session.wait_for_search() {
        Some(Ok(Some(ready))) => {
            assert!(ready.files > 0, "{ready:?}");
            ready
        }
        Some(Ok(None)) => panic!("the search index was stopped"),
        Some(Err(d)) => panic!("the search index failed:\n{}", lines(&d)),
        None => panic!("no search index on its way"),
    }
}

/// A full build in a session (`serve`) swaps its pages in without waiting
/// for the search index: the index follows from a thread of its own, and is
/// the very bundle `dossier build` writes, with nothing of the one before
/// left over. Until it lands, the previous index stays, so the preview's
/// search never goes missing.
#[test]
fn a_full_build_writes_its_search_index_after_the_pages() {
    let site = Site::fixture();
    let (mut session, _out) = session(&site);
    assert_eq!(bundle(&output_of(&session)), bundle(&fresh(&site)));
    let before = bundle(&output_of(&session));

    // A person no briefing named before (a new filter value), with the
    // config touched: a full build.
    edit(
        &site,
        TALKS,
        "people: [recep tayyip erdogan, Ada Lovelace]",
        "people: [recep tayyip erdogan, Ada Lovelace, Someone New]",
    );
    assert!(!rebuild_all_now(&mut session, &site, TALKS).incremental);
    let now = output_of(&session);
    assert!(
        now.exists("/pagefind/pagefind-entry.json") && now.exists("/pagefind/pagefind.js"),
        "the site swapped in without a search index"
    );
    index_written(&mut session);
    let after = bundle(&output_of(&session));
    assert_ne!(after, before, "the new index is not the old one");
    assert_eq!(after, bundle(&fresh(&site)));

    // Two full builds in a row: only the second one's index is written.
    for name in ["Another One", "A Third"] {
        edit(&site, TALKS, "Someone New", &format!("Someone New, {name}"));
        assert!(!rebuild_all_now(&mut session, &site, TALKS).incremental);
    }
    index_written(&mut session);
    assert_eq!(bundle(&output_of(&session)), bundle(&fresh(&site)));

    // In parts of one page each, then in one part again: the parts no
    // longer named go, with their folders.
    let config = std::fs::read_to_string(site.root().join("dossier.yaml")).expect("the config");
    site.write("dossier.yaml", &format!("{config}search_part_size: 1\n"));
    assert!(!rebuild_now(&mut session, &site, "dossier.yaml").incremental);
    index_written(&mut session);
    let in_parts = bundle(&output_of(&session));
    assert!(
        in_parts
            .iter()
            .any(|(path, _)| path.starts_with("pagefind/parts/2/")),
        "the fixture's briefings in parts"
    );
    assert_eq!(in_parts, bundle(&fresh(&site)));
    let parts = index_parts(&output_of(&session));

    // A new title changes every page but no briefing's indexed text: no
    // part is made again.
    site.write(
        "dossier.yaml",
        &format!("{config}search_part_size: 1\n").replacen("title:", "title: Renamed", 1),
    );
    assert!(!rebuild_now(&mut session, &site, "dossier.yaml").incremental);
    assert_eq!(index_written(&mut session).parts, (0, parts));
    assert_eq!(bundle(&output_of(&session)), bundle(&fresh(&site)));

    // An edit in place: the search finds the new words once the one part
    // holding the briefing is made again.
    edit(&site, TALKS, "held in Ankara.", "held in Ankara, quincunx.");
    assert!(rebuild_now(&mut session, &site, TALKS).incremental);
    assert_eq!(index_written(&mut session).parts, (1, parts));
    assert_eq!(bundle(&output_of(&session)), bundle(&fresh(&site)));

    // Two edits in a row: the first one's index, if it is still waiting
    // for its turn, is stopped and the second makes both parts again; if
    // it is running, it is written and the second makes one part again.
    const ROME: &str = "content/briefings/2020/rome-meeting.md";
    edit(&site, TALKS, "quincunx.", "quincunx, twice.");
    assert!(rebuild_now(&mut session, &site, TALKS).incremental);
    edit(&site, ROME, "met in Rome.", "met in Rome, palimpsest.");
    assert!(rebuild_now(&mut session, &site, ROME).incremental);
    let made = index_written(&mut session).parts.0;
    assert!((1..=2).contains(&made), "{made} parts made again");
    assert_eq!(bundle(&output_of(&session)), bundle(&fresh(&site)));

    site.write("dossier.yaml", &config);
    assert!(!rebuild_now(&mut session, &site, "dossier.yaml").incremental);
    index_written(&mut session);
    assert_eq!(bundle(&output_of(&session)), bundle(&fresh(&site)));
    assert!(!output_of(&session).dir.join("pagefind/parts").exists());

    // Search turned off: the new site has no index, not the last one's.
    let config = std::fs::read_to_string(site.root().join("dossier.yaml")).expect("the config");
    site.write("dossier.yaml", &format!("{config}search: false\n"));
    assert!(!rebuild_now(&mut session, &site, "dossier.yaml").incremental);
    assert!(session.wait_for_search().is_none(), "an index on its way");
    assert!(bundle(&output_of(&session)).is_empty());
    assert_same_tree(&session, &site);
}

/// `serve`'s first search index copies from `public/` the parts that
/// `dossier build` left there as this site would make them, and makes the
/// others: a briefing edited since, and every part when the bundle in
/// `public/` is not one it can trust. Its pages are written for another
/// address; those that are otherwise the bytes `public/` lists are not read
/// for their records. The bundle is a build's.
#[test]
fn the_first_index_of_a_session_takes_the_parts_dossier_build_left() {
    let site = Site::fixture();
    let config = std::fs::read_to_string(site.root().join("dossier.yaml")).expect("the config");
    site.write("dossier.yaml", &format!("{config}search_part_size: 1\n"));
    site.build();
    let parts = index_parts(&site.output());
    assert!(parts > 3, "the fixture's briefings in parts");
    // The bundle but what it says its pages' bytes were: those have
    // another base URL here.
    let index_files = |output: &Output| {
        let mut files = bundle(output);
        files.retain(|(path, _)| path != std::path::Path::new("pagefind/dossier-parts.json"));
        files
    };
    let first_index = |site: &Site| {
        let out = tempfile::tempdir().expect("an output folder");
        let options = BuildOptions {
            output: out.path().join("site"),
            base_url: Some("http://127.0.0.1:1111/".to_string()),
            ..site.options()
        };
        let mut session = Session::new(options);
        session.take_search_parts_from(site.options().output);
        session
            .build()
            .unwrap_or_else(|d| panic!("first build failed:\n{}", lines(&d)));
        let ready = index_written(&mut session);
        (ready, index_files(&output_of(&session)))
    };

    let (ready, made) = first_index(&site);
    assert_eq!((ready.parts, ready.taken), ((parts, parts), parts));
    assert_eq!(ready.pages_read, 0, "no page read for its record");
    assert!(
        made == index_files(&site.output()),
        "the bundle a build made"
    );

    // A briefing edited since the build: its part is made.
    edit(&site, TALKS, "held in Ankara.", "held in Ankara, quincunx.");
    let (ready, made) = first_index(&site);
    assert_eq!((ready.parts, ready.taken), ((parts, parts), parts - 1));
    assert!(
        (1..parts).contains(&ready.pages_read),
        "the edited briefing's page read, not every one: {}",
        ready.pages_read
    );
    assert!(
        made == index_files(&fresh(&site)),
        "the bundle a build makes"
    );

    // A part's files changed after the build: not taken.
    let entry = site
        .output()
        .dir
        .join("pagefind/parts/1/pagefind-entry.json");
    let json = std::fs::read_to_string(&entry).expect("a part's entry");
    std::fs::write(&entry, format!("{json} ")).expect("written");
    let (ready, made) = first_index(&site);
    assert_eq!((ready.parts, ready.taken), ((parts, parts), parts - 1));
    assert!(
        made == index_files(&fresh(&site)),
        "the bundle a build makes"
    );
}

/// A draft the site does not show is left out of every page: editing it,
/// as long as it stays a draft, changes nothing the site is made of. Once
/// it is published, it is added as a new briefing is, in place.
#[test]
fn edits_to_a_hidden_draft_do_not_rebuild() {
    const DRAFT: &str = "content/briefings/2021/secret-draft.md";
    let site = Site::fixture();
    let (mut session, _out) = session(&site);
    let before = output_of(&session).tree();
    edit(
        &site,
        DRAFT,
        "This briefing is a draft.",
        "Still a draft, longer now.",
    );
    let result = session.rebuild(&[site.root().join(DRAFT)]);
    assert!(
        matches!(result, Ok(None)),
        "{:?}",
        result.map(|r| r.map(|r| r.summary()))
    );
    assert!(differences(&before, &output_of(&session).tree()).is_empty());
    assert_same_tree(&session, &site);

    edit(&site, DRAFT, "draft: true\n", "");
    let report = rebuild(&mut session, &site, DRAFT);
    assert!(report.incremental, "{}", report.summary());
    assert!(output_of(&session).exists("/briefings/secret-draft/"));
    assert_same_tree(&session, &site);
}

#[test]
fn editor_leftovers_do_not_rebuild() {
    let site = Site::fixture();
    let (mut session, _out) = session(&site);
    for noise in [
        "content/briefings/2019/.ankara-talks.md.swp",
        "content/briefings/2019/ankara-talks.md~",
        "content/briefings/2019/.#ankara-talks.md",
        "content/briefings/2019/4913",
    ] {
        site.write(noise, "junk");
        let result = session.rebuild(&[site.root().join(noise)]);
        assert!(
            matches!(result, Ok(None)),
            "{noise} should not rebuild the site"
        );
    }
}

#[test]
fn a_broken_edit_keeps_the_last_good_output_and_the_fix_rebuilds_it() {
    let site = Site::fixture();
    let (mut session, _out) = session(&site);
    let before = output_of(&session).tree();
    edit(
        &site,
        TALKS,
        "date: 2019-03-05",
        "date: 2019-03-05\ntitle: [unclosed",
    );
    let problems = session
        .rebuild(&[site.root().join(TALKS)])
        .expect_err("a broken front matter fails the rebuild");
    let text = lines(&problems);
    assert!(text.contains("ankara-talks.md:"), "{text}");
    assert_eq!(
        output_of(&session).tree(),
        before,
        "the last good site stays"
    );

    edit(&site, TALKS, "\ntitle: [unclosed", "");
    edit(
        &site,
        TALKS,
        "Talks were held in Ankara.",
        "Talks ended early.",
    );
    rebuild(&mut session, &site, TALKS);
    let page = output_of(&session).page("/briefings/ankara-talks/");
    assert!(page.text("article").contains("Talks ended early."));
    assert_same_tree(&session, &site);
}

/// The fixture with every mention of every term linked, and the Geneva
/// appeal naming `speaker` in its text (no briefing tags them).
fn naming_in_geneva(speaker: &str) -> Site {
    let site = Site::fixture();
    let config = std::fs::read_to_string(site.root().join("dossier.yaml")).expect("the config");
    site.write("dossier.yaml", &format!("{config}mention_scope: all\n"));
    edit(
        &site,
        GENEVA,
        "An appeal for aid was launched in Geneva.",
        &format!("An appeal for aid was launched in Geneva. {speaker} spoke for the donors."),
    );
    site
}

/// Where the mention links of the Geneva appeal's page lead.
fn geneva_mentions(session: &Session) -> Vec<String> {
    output_of(session)
        .page("/briefings/geneva-appeal/")
        .links("main a.mention")
}

/// A person tagged for the first time becomes a term in place: their page
/// and feed appear, the taxonomy lists them, and with `mention_scope: all`
/// another briefing that names them links the name. Untagged again, the
/// term goes the same way: its page and feed are removed, the link with
/// them. After each step the output is what a fresh build writes.
#[test]
fn a_term_comes_and_goes_in_place_with_its_mentions() {
    let site = naming_in_geneva("Zelda Quinn");
    let (mut session, _out) = session(&site);
    let mentions = geneva_mentions;
    assert!(!mentions(&session).contains(&"/people/zelda-quinn/".to_string()));

    edit(
        &site,
        TALKS,
        "people: [recep tayyip erdogan, Ada Lovelace]",
        "people: [recep tayyip erdogan, Ada Lovelace, Zelda Quinn]",
    );
    assert!(rebuilt_in_place(&mut session, &site, TALKS));
    let out = output_of(&session);
    assert!(out.exists("/people/zelda-quinn/"));
    assert!(out.exists("/people/zelda-quinn/atom.xml"));
    assert!(
        out.page("/people/")
            .links("main a")
            .contains(&"/people/zelda-quinn/".to_string()),
        "the taxonomy page lists the new person"
    );
    assert!(
        mentions(&session).contains(&"/people/zelda-quinn/".to_string()),
        "another briefing naming the new person links the name: {:?}",
        mentions(&session)
    );

    edit(&site, TALKS, ", Zelda Quinn]", "]");
    assert!(rebuilt_in_place(&mut session, &site, TALKS));
    let out = output_of(&session);
    assert!(!out.exists("/people/zelda-quinn/"));
    assert!(!out.exists("/people/zelda-quinn/atom.xml"));
    assert!(!mentions(&session).contains(&"/people/zelda-quinn/".to_string()));

    // A new person and a known country at once: Italy's page now shows a
    // newer briefing, and its date in the sitemap moves with it.
    edit(
        &site,
        GENEVA,
        "people: [Grace Hopper]",
        "people: [Grace Hopper, Yann Newman]\ncountries: [Italy]",
    );
    assert!(rebuilt_in_place(&mut session, &site, GENEVA));
    edit(
        &site,
        GENEVA,
        "people: [Grace Hopper, Yann Newman]\ncountries: [Italy]",
        "people: [Grace Hopper]",
    );
    assert!(rebuilt_in_place(&mut session, &site, GENEVA));
}

/// A profile written before any briefing names its entity becomes a term
/// in place: its page, the taxonomy's page, and (with `mention_scope: all`)
/// the links in briefings that mention a name or alias of it. Tagged by a
/// briefing through an alias and untagged, it stays; deleted while no
/// briefing names it, the term goes in place, its page with it. A profile
/// for someone briefings already name goes in place when it names them as
/// they do; under another name it is a full build (every page naming them
/// shows it). After each step the output is what a fresh build writes.
#[test]
fn a_profile_for_someone_new_comes_and_goes_in_place() {
    const ZELDA: &str = "content/people/zelda-quinn.md";
    let site = naming_in_geneva("Z. Quinn");
    let (mut session, _out) = session(&site);
    let mentions = geneva_mentions;
    let zelda = "/people/zelda-quinn/".to_string();

    site.write(
        ZELDA,
        "---\nname: Zelda Quinn\naliases: [Z. Quinn]\nrole: Donor envoy\n---\nShe speaks for the donors.\n",
    );
    assert!(rebuilt_in_place(&mut session, &site, ZELDA));
    let out = output_of(&session);
    assert!(
        out.page(&zelda)
            .text("main")
            .contains("She speaks for the donors.")
    );
    assert!(out.page("/people/").links("main a").contains(&zelda));
    assert!(
        mentions(&session).contains(&zelda),
        "{:?}",
        mentions(&session)
    );

    // Tagged through her alias, then not: her page stays either way.
    edit(&site, TALKS, "Ada Lovelace]", "Ada Lovelace, Z. Quinn]");
    assert!(rebuilt_in_place(&mut session, &site, TALKS));
    edit(&site, TALKS, ", Z. Quinn]", "]");
    assert!(rebuilt_in_place(&mut session, &site, TALKS));
    assert!(output_of(&session).exists(&zelda));

    site.remove(ZELDA);
    assert!(rebuilt_in_place(&mut session, &site, ZELDA));
    assert!(!output_of(&session).exists(&zelda));
    assert!(!mentions(&session).contains(&zelda));

    // Grace Hopper is named by briefings and has no profile: one for her
    // under the name they give her goes in place, her role with it.
    const GRACE: &str = "content/people/grace-hopper.md";
    let role = |session: &Session| {
        output_of(session)
            .page("/briefings/geneva-appeal/")
            .text(".annotations")
    };
    site.write(
        GRACE,
        "---\nname: Grace Hopper\nrole: Rear admiral\n---\nA pioneer.\n",
    );
    assert!(rebuilt_in_place(&mut session, &site, GRACE));
    assert!(role(&session).contains("Rear admiral"));
    site.remove(GRACE);
    assert!(rebuilt_in_place(&mut session, &site, GRACE));
    assert!(!role(&session).contains("Rear admiral"));
    // Spelled otherwise, her name changes on every page naming her, in
    // place; deleted, the briefings' spelling comes back. Two newer
    // briefings on Italy first, so that the first page of Italy's listing
    // names her only among the people appearing with it.
    for day in ["01", "02"] {
        let rel = format!("content/briefings/2021/italy-{day}.md");
        site.write(
            &rel,
            &format!(
                "---\ntitle: Italy {day}\ndate: 2021-03-{day}\ncountries: [Italy]\n---\nText.\n"
            ),
        );
        assert!(rebuilt_in_place(&mut session, &site, &rel));
    }
    site.write(GRACE, "---\nname: GRACE HOPPER\n---\n");
    assert!(rebuilt_in_place(&mut session, &site, GRACE));
    assert!(
        output_of(&session)
            .page("/people/")
            .text("main")
            .contains("GRACE HOPPER")
    );
    site.remove(GRACE);
    assert!(rebuilt_in_place(&mut session, &site, GRACE));
    // Under another name (and so another place among the people): a full
    // build.
    site.write(
        GRACE,
        "---\nname: Grace B. Hopper\naliases: [Grace Hopper]\n---\n",
    );
    assert!(!rebuilt_in_place(&mut session, &site, GRACE));
}

/// A site whose templates print how many terms a taxonomy has on pages
/// other than the taxonomy's (here the 404 page): a term that comes or goes
/// may change any page, so it is a full build, which shows the new count.
#[test]
fn a_template_that_counts_terms_makes_a_new_term_a_full_build() {
    let site = Site::fixture();
    site.write(
        "templates/404.html",
        "{% extends \"base.html\" %}{% block content %}<p>{{ site.taxonomies[0].term_count }} people</p>{% endblock %}",
    );
    let (mut session, _out) = session(&site);
    let count = |session: &Session| output_of(session).page("/404.html").text("main");
    let before = count(&session);
    edit(
        &site,
        TALKS,
        "people: [recep tayyip erdogan, Ada Lovelace]",
        "people: [recep tayyip erdogan, Ada Lovelace, Zelda Quinn]",
    );
    assert!(!rebuilt_in_place(&mut session, &site, TALKS));
    assert_ne!(count(&session), before);
    edit(&site, TALKS, ", Zelda Quinn]", "]");
    assert!(!rebuilt_in_place(&mut session, &site, TALKS));
    assert_eq!(count(&session), before);
    // A change among known terms still goes in place.
    edit(
        &site,
        TALKS,
        "topics: [Border security]",
        "topics: [Border security, Humanitarian aid]",
    );
    assert!(rebuilt_in_place(&mut session, &site, TALKS));
}

/// Changes of tags one after another on a generated archive (four
/// briefings a page, full term feeds of four entries, mentions linked
/// only for tagged terms), then new briefings, deletions, and changes of
/// date, slug and draft flag: each goes in place, and its output is what a
/// fresh build of the same files writes.
#[test]
fn changes_of_tags_in_a_row_match_fresh_builds() {
    const PEOPLE: [&str; 6] = [
        "Ada Lovelace",
        "Grace Hopper",
        "Alan Turing",
        "Emmy Noether",
        "Kurt Gödel",
        "Lise Meitner",
    ];
    const TOPICS: [&str; 4] = ["Energy", "Trade", "Border security", "Elections"];
    // A small linear congruential generator: the same archive and edits
    // every run.
    struct Lcg(u64);
    impl Lcg {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) as usize % n
        }
        /// `at_least` to `at_least + 2` names of `pool`, each once.
        fn pick(&mut self, pool: &[&'static str], at_least: usize) -> Vec<&'static str> {
            let count = (at_least + self.below(3)).min(pool.len());
            let mut chosen: Vec<&str> = Vec::new();
            while chosen.len() < count {
                let name = pool[self.below(pool.len())];
                if !chosen.contains(&name) {
                    chosen.push(name);
                }
            }
            chosen
        }
    }
    let mut random = Lcg(2017);
    let text = |n: usize, people: &[&str], topics: &[&str]| {
        format!(
            "---\ntitle: Briefing {n}\ndate: 2021-01-{:02}\npeople: [{}]\ntopics: [{}]\n---\n\
             {} met about {}. Later, {} spoke.\n",
            n % 28 + 1,
            people.join(", "),
            topics.join(", "),
            people.first().copied().unwrap_or("Nobody"),
            topics.first().copied().unwrap_or("nothing"),
            PEOPLE[n % PEOPLE.len()],
        )
    };
    let site = Site::empty();
    site.write(
        "dossier.yaml",
        "title: Tags\nbase_url: https://tags.example.org/\npaginate: 4\nfeed_limit: 4\n\
         term_feeds: full\nmention_scope: tagged\ntaxonomies:\n  - name: people\n    \
         title: People\n  - name: topics\n    title: Topics\n",
    );
    // Every name has a profile, so no term ever disappears, and every
    // briefing is from 2021: every change below goes in place, listings
    // gaining and losing pages on the way (four briefings a page).
    for name in PEOPLE {
        let slug = name.to_lowercase().replace(' ', "-").replace('ö', "o");
        site.write(
            &format!("content/people/{slug}.md"),
            &format!("---\nname: {name}\n---\nA person.\n"),
        );
    }
    let mut tags: Vec<(Vec<&str>, Vec<&str>)> = (0..30)
        .map(|_| (random.pick(&PEOPLE, 1), random.pick(&TOPICS, 0)))
        .collect();
    for (n, (people, topics)) in tags.iter().enumerate() {
        site.write(
            &format!("content/briefings/b{n}.md"),
            &text(n, people, topics),
        );
    }
    let (mut session, _out) = session(&site);
    let mut in_place = 0;
    for edit in 0..16 {
        // One name added or dropped: a person, or every other time a topic.
        let n = random.below(tags.len());
        let (list, pool): (&mut Vec<&str>, &[&'static str]) = if edit % 2 == 0 {
            (&mut tags[n].0, &PEOPLE)
        } else {
            (&mut tags[n].1, &TOPICS)
        };
        let name = pool[random.below(pool.len())];
        match list.iter().position(|&x| x == name) {
            Some(at) => {
                list.remove(at);
            }
            None => list.insert(random.below(list.len() + 1), name),
        }
        let rel = format!("content/briefings/b{n}.md");
        site.write(&rel, &text(n, &tags[n].0, &tags[n].1));
        if rebuilt_in_place(&mut session, &site, &rel) {
            in_place += 1;
        }
    }
    assert_eq!(in_place, 16, "changes of tags in place");
    // New briefings among them.
    let mut added_in_place = 0;
    for n in 30..38 {
        // One person each.
        let people = [PEOPLE[random.below(PEOPLE.len())]];
        let topics: [&str; 0] = [];
        let rel = format!("content/briefings/b{n}.md");
        site.write(&rel, &text(n, &people, &topics));
        if rebuilt_in_place(&mut session, &site, &rel) {
            added_in_place += 1;
        }
    }
    assert_eq!(added_in_place, 8, "new briefings in place");
    // And some taken out again.
    let mut left: Vec<usize> = (0..38).collect();
    let mut removed_in_place = 0;
    for _ in 0..8 {
        let n = left.remove(random.below(left.len()));
        let rel = format!("content/briefings/b{n}.md");
        site.remove(&rel);
        if rebuilt_in_place(&mut session, &site, &rel) {
            removed_in_place += 1;
        }
    }
    assert_eq!(removed_in_place, 8, "removals in place");
    // And some moved: a new date (its place in the archive moves), a new
    // slug (its page moves), made a draft (it leaves the site).
    let mut moved_in_place = 0;
    for round in 0..9 {
        let pick = random.below(left.len());
        // A draft is out of the site: not picked again.
        let n = if round % 3 == 2 {
            left.remove(pick)
        } else {
            left[pick]
        };
        let rel = format!("content/briefings/b{n}.md");
        let text = std::fs::read_to_string(site.root().join(&rel)).expect("read it");
        let day = random.below(28) + 1;
        let changed = match round % 3 {
            0 => {
                let date = text
                    .lines()
                    .find(|l| l.starts_with("date: "))
                    .expect("a date");
                text.replacen(date, &format!("date: 2021-01-{day:02}"), 1)
            }
            1 => text.replacen(
                "---\ntitle:",
                &format!("---\nslug: moved-{n}-{round}\ntitle:"),
                1,
            ),
            _ => text.replacen("---\ntitle:", "---\ndraft: true\ntitle:", 1),
        };
        site.write(&rel, &changed);
        if rebuilt_in_place(&mut session, &site, &rel) {
            moved_in_place += 1;
        }
    }
    assert_eq!(moved_in_place, 9, "moves in place");
}

/// Terms coming and going one edit after another on a generated archive
/// (two briefings a page, full term feeds, every mention of every term
/// linked): names are added to and dropped from briefings' tags, from a
/// pool where only two people have profiles, where one name is the start
/// of another ("Alan", "Alan Turing"), where some are spelled two ways
/// ("Kurt Gödel", "Kurt Godel") and where every name is also in bodies
/// that do not tag it; then briefings naming new people come and go. Each goes in place, and its output is what a fresh build of the
/// same files writes.
#[test]
fn terms_coming_and_going_in_a_row_match_fresh_builds() {
    const PEOPLE: [&str; 12] = [
        "Ada Lovelace",
        "Grace Hopper",
        "Alan",
        "Alan Turing",
        "Emmy Noether",
        "Kurt Gödel",
        "Lise Meitner",
        "Rosalind Franklin",
        "Hedy Lamarr",
        // Other spellings of three of them: the newest briefing naming
        // one decides how every page spells the name.
        "EMMY NOETHER",
        "Kurt Godel",
        "alan turing",
    ];
    const TOPICS: [&str; 4] = ["Energy", "Trade", "Border security", "Elections"];
    let mut random = 2017_u64;
    let mut below = |n: usize| {
        random = random
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (random >> 33) as usize % n
    };
    let text = |n: usize, people: &[&str], topics: &[&str]| {
        format!(
            "---\ntitle: Briefing {n}\ndate: 2021-02-{:02}\npeople: [{}]\ntopics: [{}]\n---\n\
             {} and {} met about {}. Later, {} spoke on {}.\n",
            n % 28 + 1,
            people.join(", "),
            topics.join(", "),
            PEOPLE[n % PEOPLE.len()],
            PEOPLE[(n * 5 + 3) % PEOPLE.len()],
            TOPICS[n % TOPICS.len()],
            PEOPLE[(n * 7 + 1) % PEOPLE.len()],
            TOPICS[(n + 1) % TOPICS.len()],
        )
    };
    let site = Site::empty();
    site.write(
        "dossier.yaml",
        "title: Terms\nbase_url: https://terms.example.org/\npaginate: 2\nfeed_limit: 3\n\
         term_feeds: full\nmentions: all\nmention_scope: all\ntaxonomies:\n  - name: people\n    \
         title: People\n  - name: topics\n    title: Topics\n",
    );
    for (name, slug) in [
        ("Ada Lovelace", "ada-lovelace"),
        ("Grace Hopper", "grace-hopper"),
    ] {
        site.write(
            &format!("content/people/{slug}.md"),
            &format!("---\nname: {name}\nrole: Pioneer\n---\nA person.\n"),
        );
    }
    // Few tags at first: most names are no term yet.
    let mut tags: Vec<(Vec<&str>, Vec<&str>)> =
        (0..12).map(|n| (vec![PEOPLE[n % 3]], Vec::new())).collect();
    for (n, (people, topics)) in tags.iter().enumerate() {
        site.write(
            &format!("content/briefings/b{n}.md"),
            &text(n, people, topics),
        );
    }
    let (mut session, _out) = session(&site);
    let terms = |session: &Session| output_of(session).page("/people/").links("main li a");
    let before = terms(&session);
    let mut in_place = 0;
    for round in 0..24 {
        let n = below(tags.len());
        let (list, pool): (&mut Vec<&str>, &[&str]) = if round % 3 == 2 {
            (&mut tags[n].1, &TOPICS)
        } else {
            (&mut tags[n].0, &PEOPLE)
        };
        let name = pool[below(pool.len())];
        match list.iter().position(|&x| x == name) {
            Some(at) => {
                list.remove(at);
            }
            None => list.insert(below(list.len() + 1), name),
        }
        let rel = format!("content/briefings/b{n}.md");
        site.write(&rel, &text(n, &tags[n].0, &tags[n].1));
        if rebuilt_in_place(&mut session, &site, &rel) {
            in_place += 1;
        }
    }
    assert_eq!(in_place, 24, "changes of tags in place");
    assert_ne!(terms(&session), before, "people came or went");
    // Briefings naming people no briefing named, added and taken out.
    for n in 12..16 {
        let newcomer = format!("Newcomer {n}");
        let rel = format!("content/briefings/b{n}.md");
        site.write(&rel, &text(n, &[newcomer.as_str(), "Alan"], &["Trade"]));
        assert!(rebuilt_in_place(&mut session, &site, &rel), "{rel} added");
        assert!(output_of(&session).exists(&format!("/people/newcomer-{n}/")));
    }
    for n in [13, 12, 15] {
        let rel = format!("content/briefings/b{n}.md");
        site.remove(&rel);
        assert!(rebuilt_in_place(&mut session, &site, &rel), "{rel} removed");
        assert!(!output_of(&session).exists(&format!("/people/newcomer-{n}/")));
    }
}

/// With `term_feeds: full`, a term's feed shows its newest briefings whole.
/// When a change of tags brings a briefing into a term's feed that no feed
/// showed before, its body must be there, as in a fresh build.
#[test]
fn a_change_of_tags_gives_a_full_term_feed_its_new_bodies() {
    let site = Site::empty();
    site.write(
        "dossier.yaml",
        "title: Feeds\nbase_url: https://feeds.example.org/\nfeed_limit: 1\nterm_feeds: full\n",
    );
    // Briefing c is in no feed before the change (Energy's shows a, the
    // others' show newer briefings) and none of its pages shows a: only its
    // body being kept makes c's page render again.
    let briefings = [
        ("a", 9, "Energy"),
        ("d", 8, "P, Q"),
        ("e", 7, "P, Q"),
        ("f", 6, "P, Q"),
        ("g", 5, "P, Q"),
        ("h", 4, "P, Q"),
        ("b", 2, "Trade"),
        ("c", 1, "Energy, P, Q"),
    ];
    for (name, day, topics) in briefings {
        site.write(
            &format!("content/briefings/{name}.md"),
            &format!(
                "---\ntitle: Briefing {name}\ndate: 2021-03-0{day}\ntopics: [{topics}]\n---\n\
                 The whole text of briefing {name}.\n"
            ),
        );
    }
    let (mut session, _out) = session(&site);
    let feed = |session: &Session| {
        std::fs::read_to_string(output_of(session).file("/topics/energy/atom.xml"))
            .expect("the Energy feed")
    };
    // The body, escaped inside <content type="html">; the summary (its
    // first paragraph as text) says the same words without the <p>.
    let body = |name: &str| format!("&lt;p&gt;The whole text of briefing {name}.&lt;/p&gt;");
    assert!(feed(&session).contains(&body("a")), "{}", feed(&session));

    edit(
        &site,
        "content/briefings/a.md",
        "topics: [Energy]",
        "topics: [Trade]",
    );
    let report = rebuild(&mut session, &site, "content/briefings/a.md");
    assert!(report.incremental, "{}", report.summary());
    assert!(feed(&session).contains(&body("c")), "{}", feed(&session));
    assert_same_tree(&session, &site);
}

/// A profile's role and aliases change in place: the briefings naming the
/// person show the new role (in their annotations, and in the mention
/// links of every briefing with `mention_scope: all`), a new alias links
/// where another briefing's text names it, and the link goes with the
/// alias. A change that would move a briefing's tag to another term (an
/// alias a briefing tags with taken away, another term's name made an
/// alias) is a full build. After each step the output is what a fresh
/// build writes.
#[test]
fn a_role_or_alias_changes_in_place_where_it_shows() {
    const ADA: &str = "content/people/ada-lovelace.md";
    const ERDOGAN: &str = "content/people/recep-tayyip-erdogan.md";
    let site = naming_in_geneva("Ada King");
    let (mut session, _out) = session(&site);
    let ada = "/people/ada-lovelace/".to_string();
    let annotations = |session: &Session| {
        output_of(session)
            .page("/briefings/ankara-talks/")
            .text(".annotations")
    };
    assert!(!geneva_mentions(&session).contains(&ada));

    edit(&site, ADA, "role: Analyst", "role: Chief analyst");
    let report = rebuild(&mut session, &site, ADA);
    assert!(report.incremental);
    assert_same_tree(&session, &site);
    assert!(annotations(&session).contains("Chief analyst"));
    // Her two pages and her three briefings': the theme prints no role
    // in a listing.
    assert_eq!(report.render.pages, 5, "{}", report.summary());

    edit(
        &site,
        ADA,
        "aliases: [Countess of Lovelace]",
        "aliases: [Countess of Lovelace, Ada King]",
    );
    assert!(rebuilt_in_place(&mut session, &site, ADA));
    assert!(
        geneva_mentions(&session).contains(&ada),
        "the Geneva appeal links the new alias: {:?}",
        geneva_mentions(&session)
    );
    let page = output_of(&session).page("/briefings/geneva-appeal/");
    let titles: Vec<&str> = (page.select("main a.mention").into_iter())
        .filter(|a| a.value().attr("href").is_some_and(|h| h.ends_with(&ada)))
        .filter_map(|a| a.value().attr("title"))
        .collect();
    assert_eq!(titles, ["Chief analyst"]);
    // Every mention links: the Geneva appeal, which does not tag her,
    // shows her new role in its link.
    edit(&site, ADA, "role: Chief analyst", "role: Analyst emerita");
    assert!(rebuilt_in_place(&mut session, &site, ADA));

    // The alias gone, then the role.
    edit(&site, ADA, ", Ada King]", "]");
    assert!(rebuilt_in_place(&mut session, &site, ADA));
    assert!(!geneva_mentions(&session).contains(&ada));
    edit(&site, ADA, "role: Analyst emerita\n", "");
    assert!(rebuilt_in_place(&mut session, &site, ADA));
    assert!(!annotations(&session).to_lowercase().contains("analyst"));

    // His name respelled (its place among the people and its URL stay):
    // every page naming him shows it, another term's "appears with" too.
    edit(
        &site,
        ERDOGAN,
        "name: Recep Tayyip Erdoğan",
        "name: Recep Tayyip ERDOĞAN",
    );
    let report = rebuild(&mut session, &site, ERDOGAN);
    assert!(report.incremental, "{}", report.summary());
    assert_same_tree(&session, &site);
    let turkey = output_of(&session).page("/countries/turkey/").text("main");
    assert!(turkey.contains("Recep Tayyip ERDOĞAN"), "{turkey}");
    edit(
        &site,
        ERDOGAN,
        "name: Recep Tayyip ERDOĞAN",
        "name: Recep Tayyip Erdoğan",
    );
    assert!(rebuilt_in_place(&mut session, &site, ERDOGAN));

    // The follow-up tags him "Erdogan": without that alias it names
    // someone else.
    edit(
        &site,
        ERDOGAN,
        "aliases: [Erdoğan, Tayyip Erdoğan]",
        "aliases: [Tayyip Erdoğan]",
    );
    assert!(!rebuilt_in_place(&mut session, &site, ERDOGAN));
    // Grace Hopper's briefings would be Ada's.
    edit(
        &site,
        ADA,
        "aliases: [Countess of Lovelace]",
        "aliases: [Countess of Lovelace, Grace Hopper]",
    );
    assert!(!rebuilt_in_place(&mut session, &site, ADA));
}

/// A card template that prints its terms' roles: a new role changes every
/// listing page showing a card of a briefing naming the person, and they
/// are rendered again in place.
#[test]
fn a_role_printed_on_cards_changes_the_listings() {
    const ADA: &str = "content/people/ada-lovelace.md";
    let site = Site::fixture();
    site.write(
        "templates/card.html",
        "<article class=\"card\"><h3><a href=\"{{ item.url }}\">{{ item.title }}</a></h3>\
         {% for group in item.taxonomies %}{% for t in group.terms %}\
         <span class=\"who\">{{ t.name }}{% if t.role %} ({{ t.role }}){% endif %}</span>\
         {% endfor %}{% endfor %}</article>",
    );
    let (mut session, _out) = session(&site);
    edit(&site, ADA, "role: Analyst", "role: Chief analyst");
    let report = rebuild(&mut session, &site, ADA);
    assert!(report.incremental);
    assert_same_tree(&session, &site);
    // Another term's listing.
    let syria = output_of(&session).page("/countries/syria/").text("main");
    assert!(syria.contains("Ada Lovelace (Chief analyst)"), "{syria}");
}

/// A static file written, changed or deleted is copied into the output (or
/// taken out of it) in place, without rendering a page: the site's own
/// `static/` wins over the theme's, and deleting the site's copy brings the
/// theme's back. A static file at a path the site also makes (here
/// `robots.txt`), or a new static folder, is a full build. After each step
/// the output is what a fresh build writes.
#[test]
fn static_files_are_copied_and_removed_in_place() {
    let site = Site::fixture();
    let (mut session, _out) = session(&site);
    let served = |session: &Session, path: &str| {
        std::fs::read_to_string(session.options().output.join(path)).ok()
    };
    let theme_style = served(&session, "style.css").expect("the theme's stylesheet");

    site.write("static/css/extra.css", "body { color: red; }\n");
    let report = rebuild(&mut session, &site, "static/css/extra.css");
    assert!(report.incremental);
    assert_eq!(report.render.pages, 0, "no page shows a static file");
    assert_same_tree(&session, &site);
    site.write("static/css/extra.css", "body { color: blue; }\n");
    assert!(rebuilt_in_place(
        &mut session,
        &site,
        "static/css/extra.css"
    ));
    assert_eq!(
        served(&session, "css/extra.css").as_deref(),
        Some("body { color: blue; }\n")
    );

    // The site's stylesheet over the theme's, then the theme's again.
    site.write("static/style.css", "/* the site's own */\n");
    assert!(rebuilt_in_place(&mut session, &site, "static/style.css"));
    assert_eq!(
        served(&session, "style.css").as_deref(),
        Some("/* the site's own */\n")
    );
    site.remove("static/style.css");
    assert!(rebuilt_in_place(&mut session, &site, "static/style.css"));
    assert_eq!(served(&session, "style.css"), Some(theme_style));
    // A change to the theme's copy while the site has none shows.
    let theme_css = "themes/dossier/static/style.css";
    let edited = format!(
        "{}\n/* edited */\n",
        served(&session, "style.css").unwrap_or_default()
    );
    site.write(theme_css, &edited);
    assert!(rebuilt_in_place(&mut session, &site, theme_css));
    assert_eq!(served(&session, "style.css"), Some(edited));

    site.remove("static/css/extra.css");
    assert!(rebuilt_in_place(
        &mut session,
        &site,
        "static/css/extra.css"
    ));
    assert!(
        !session.options().output.join("css").exists(),
        "its emptied folder goes too"
    );

    // The site writes a robots.txt unless a static folder has one.
    site.write("static/robots.txt", "User-agent: *\nDisallow: /\n");
    assert!(!rebuilt_in_place(&mut session, &site, "static/robots.txt"));
    assert_eq!(
        served(&session, "robots.txt").as_deref(),
        Some("User-agent: *\nDisallow: /\n")
    );
    // A folder is copied whole by a full build.
    site.write("static/fonts/a.woff2", "font");
    assert!(!rebuilt_in_place(&mut session, &site, "static/fonts"));
}

/// A briefing whose file moves to another folder keeps its slug and date:
/// the same briefing, edited in place, even when it is the only briefing of
/// its year (which could not be removed in place), and with a change of its
/// tags on the way; a folder of briefings renamed renders nothing. A file
/// renamed renames the briefing's slug (it has no `slug:`): its old page
/// goes and its new one comes, in place. After each step the output is
/// what a fresh build writes.
#[test]
fn a_briefing_moved_to_another_file_stays_in_place() {
    const ROME: &str = "content/briefings/2020/rome-meeting.md";
    const MOVED: &str = "content/briefings/italy/rome-meeting.md";
    let site = Site::fixture();
    let (mut session, _out) = session(&site);
    let move_file = |session: &mut Session, from: &str, to: &str| {
        let text = std::fs::read_to_string(site.root().join(from)).expect("the briefing");
        site.write(to, &text);
        site.remove(from);
        let report = session
            .rebuild(&[site.root().join(from), site.root().join(to)])
            .unwrap_or_else(|d| panic!("rebuild failed:\n{}", lines(&d)))
            .expect("a change to the site rebuilds it");
        settle(session);
        assert_same_tree(session, &site);
        report
    };
    // The only briefing of 2020, into a new folder: the folder is a
    // change too.
    let text = std::fs::read_to_string(site.root().join(ROME)).expect("the briefing");
    site.write(MOVED, &text);
    site.remove(ROME);
    let report = session
        .rebuild(&[
            site.root().join(ROME),
            site.root().join("content/briefings/italy"),
            site.root().join(MOVED),
        ])
        .unwrap_or_else(|d| panic!("rebuild failed:\n{}", lines(&d)))
        .expect("a change to the site rebuilds it");
    settle(&mut session);
    assert_same_tree(&session, &site);
    assert!(report.incremental, "a moved file is an edit in place");
    assert_eq!(report.render.pages, 0, "the same text shows the same pages");

    // Its new file is the one the session follows now.
    edit(
        &site,
        MOVED,
        "Ministers met in Rome.",
        "Ministers met in Rome at length.",
    );
    assert!(rebuilt_in_place(&mut session, &site, MOVED));
    let page = output_of(&session).page("/briefings/rome-meeting/");
    assert!(page.text("article").contains("at length"));

    // Moved back naming someone more.
    let text = std::fs::read_to_string(site.root().join(MOVED)).expect("the briefing");
    site.write(
        MOVED,
        &text.replace("Grace Hopper]", "Grace Hopper, Ada Lovelace]"),
    );
    assert!(move_file(&mut session, MOVED, ROME).incremental);

    // Renamed: a new slug, so a new page in place of the old one.
    const AUTUMN: &str = "content/briefings/2019/autumn-review.md";
    const RENAMED: &str = "content/briefings/2019/review-of-the-autumn.md";
    assert!(move_file(&mut session, AUTUMN, RENAMED).incremental);
    let out = output_of(&session);
    assert!(out.exists("/briefings/review-of-the-autumn/"));
    assert!(!out.exists("/briefings/autumn-review/"));

    // A whole folder renamed: its files say nothing of their own.
    let (from, to) = ("content/briefings/2019", "content/briefings/spring-2019");
    std::fs::rename(site.root().join(from), site.root().join(to)).expect("rename the folder");
    let report = session
        .rebuild(&[site.root().join(from), site.root().join(to)])
        .unwrap_or_else(|d| panic!("rebuild failed:\n{}", lines(&d)))
        .expect("a change to the site rebuilds it");
    settle(&mut session);
    assert_same_tree(&session, &site);
    assert!(report.incremental);
    assert_eq!(report.render.pages, 0);
    // And an edit in it is followed there.
    edit(
        &site,
        "content/briefings/spring-2019/ankara-talks.md",
        "## What happened",
        "## What happened first",
    );
    assert!(rebuilt_in_place(
        &mut session,
        &site,
        "content/briefings/spring-2019/ankara-talks.md"
    ));

    // A copy under a new name while the first file stays is two briefings
    // with one slug: a full build reports it.
    let text = std::fs::read_to_string(site.root().join(ROME)).expect("the briefing");
    site.write(MOVED, &text);
    let failed = session.rebuild(&[site.root().join(MOVED)]);
    assert!(failed.is_err(), "two files with one slug fail the build");
}

/// A template edited alone renders every page again from what the last
/// build read and indexed: no file of `content/` is read again, and the
/// output is what a fresh build writes. Edits in place go on after it. A
/// broken template fails the rebuild with its file named, leaves the last
/// good site, and the fix builds it all again.
#[test]
fn a_template_edit_renders_every_page_from_what_was_read() {
    const NOT_FOUND: &str = "templates/404.html";
    let site = Site::fixture();
    let (mut session, _out) = session(&site);
    site.write(
        NOT_FOUND,
        "{% extends \"base.html\" %}{% block content %}<p>Gone fishing</p>{% endblock %}",
    );
    let report = rebuild(&mut session, &site, NOT_FOUND);
    let stages: Vec<&str> = report.timings.iter().map(|(stage, _)| *stage).collect();
    assert!(stages.contains(&"load templates"), "{stages:?}");
    assert!(!stages.contains(&"read content"), "{stages:?}");
    assert_same_tree(&session, &site);
    assert!(
        output_of(&session)
            .page("/404.html")
            .text("main")
            .contains("Gone fishing")
    );

    edit(&site, TALKS, "## What happened", "## What happened first");
    assert!(rebuilt_in_place(&mut session, &site, TALKS));

    let before = output_of(&session).tree();
    site.write(
        NOT_FOUND,
        "{% extends \"base.html\" %}{% block content %}{% if %}",
    );
    let problems = session
        .rebuild(&[site.root().join(NOT_FOUND)])
        .expect_err("a broken template fails the rebuild");
    assert!(
        lines(&problems).contains("404.html"),
        "{}",
        lines(&problems)
    );
    assert_eq!(
        output_of(&session).tree(),
        before,
        "the last good site stays"
    );
    site.write(
        NOT_FOUND,
        "{% extends \"base.html\" %}{% block content %}<p>Back</p>{% endblock %}",
    );
    let report = rebuild(&mut session, &site, NOT_FOUND);
    let stages: Vec<&str> = report.timings.iter().map(|(stage, _)| *stage).collect();
    assert!(
        stages.contains(&"read content"),
        "after a failure, all: {stages:?}"
    );
    assert_same_tree(&session, &site);
}

/// A template saved in `serve` renders from the archive the last build
/// read, and says again what reading it warned about, as a full build would.
#[test]
fn a_template_edit_repeats_the_warnings_of_the_content() {
    const STRAY: &str = "content/notes.md";
    const NOT_FOUND: &str = "templates/404.html";
    let site = Site::fixture();
    site.write(STRAY, "Notes to self.\n");
    let out = tempfile::tempdir().expect("an output folder");
    let mut session = Session::new(BuildOptions {
        output: out.path().join("site"),
        ..site.options()
    });
    let first = session
        .build()
        .unwrap_or_else(|d| panic!("first build failed:\n{}", lines(&d)));
    settle(&mut session);
    let stray = |report: &dossier::BuildReport| {
        report
            .warnings
            .iter()
            .filter(|w| w.render().contains("notes.md") && w.render().contains("ignored"))
            .count()
    };
    assert_eq!(stray(&first), 1, "{:?}", first.warnings);
    site.write(
        NOT_FOUND,
        "{% extends \"base.html\" %}{% block content %}<p>Gone</p>{% endblock %}",
    );
    let report = rebuild(&mut session, &site, NOT_FOUND);
    let stages: Vec<&str> = report.timings.iter().map(|(stage, _)| *stage).collect();
    assert!(
        !stages.contains(&"read content"),
        "from the kept archive: {stages:?}"
    );
    assert_eq!(stray(&report), 1, "{:?}", report.warnings);
    // A stray file gone is a full build, which no longer warns of it.
    site.remove(STRAY);
    let report = rebuild(&mut session, &site, STRAY);
    assert!(!report.incremental);
    assert_eq!(stray(&report), 0, "{:?}", report.warnings);
    let report = rebuild(&mut session, &site, NOT_FOUND);
    assert_eq!(stray(&report), 0, "{:?}", report.warnings);
}
