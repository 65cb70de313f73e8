//! Rebuilding through a `Session`, as `serve` does: whatever path a rebuild
//! takes, the output must be exactly what a fresh `dossier build` of the same
//! files writes, and an edit to one briefing must re-render only its pages.

use std::path::PathBuf;

use dossier::config::BuildOptions;
use dossier::session::Session;
use tempfile::TempDir;

use crate::support::{Output, Site, differences, lines, text_of};

const TALKS: &str = "content/briefings/2019/ankara-talks.md";

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
    (session, out)
}

fn rebuild(session: &mut Session, site: &Site, rel: &str) -> dossier::BuildReport {
    session
        .rebuild(&[site.root().join(rel)])
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
    // The search index waits for a full build.
    let differ: Vec<&PathBuf> = differences(&want, &got)
        .into_iter()
        .filter(|path| !path.starts_with("pagefind"))
        .collect();
    assert!(
        differ.is_empty(),
        "the rebuilt output differs from a fresh build in {differ:?}"
    );
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
    const GENEVA: &str = "content/briefings/2021/geneva.md";
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

#[test]
fn edits_that_move_a_briefing_in_the_index_rebuild_everything() {
    let site = Site::fixture();
    let (mut session, _out) = session(&site);
    for (from, to) in [
        ("countries: [Turkey]", "countries: [Turkey, Greece]"),
        ("date: 2019-03-05", "date: 2018-12-30"),
    ] {
        edit(&site, TALKS, from, to);
        let report = rebuild(&mut session, &site, TALKS);
        assert!(!report.incremental, "{from} → {to}: {}", report.summary());
        assert_same_tree(&session, &site);
    }
}

#[test]
fn new_deleted_and_non_content_files_rebuild_everything() {
    let site = Site::fixture();
    let (mut session, _out) = session(&site);
    let new = "content/briefings/2021/new-one.md";
    site.write(
        new,
        "---\ntitle: A new one\ndate: 2021-09-01\ncountries: [Turkey]\n---\nFresh text.\n",
    );
    assert!(!rebuild(&mut session, &site, new).incremental);
    assert!(output_of(&session).exists("/briefings/new-one/"));

    site.remove(new);
    assert!(!rebuild(&mut session, &site, new).incremental);
    assert!(!output_of(&session).exists("/briefings/new-one/"));
    assert_same_tree(&session, &site);

    site.write(
        "templates/404.html",
        "{% extends \"base.html\" %}{% block content %}<p>Gone fishing</p>{% endblock %}",
    );
    assert!(!rebuild(&mut session, &site, "templates/404.html").incremental);
    assert!(
        output_of(&session)
            .page("/404.html")
            .text("main")
            .contains("Gone fishing")
    );
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
