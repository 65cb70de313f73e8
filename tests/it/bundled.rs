//! The archive that ships with dossier (`content/`, `dossier.yaml`), built as is.

use crate::site::{appears_with, bars, timeline};
use crate::support::{Output, Site, briefing_paths, listing, repo, text_of};

const WASHINGTON: &str = "washington-coalition-meeting";
const ROME: &str = "rome-coalition-meeting";

fn built() -> (Site, Output, dossier::BuildReport) {
    let site = Site::bundled();
    let report = site.build();
    let output = site.output();
    (site, output, report)
}

#[test]
fn the_bundled_archive_builds_with_every_link_resolving() {
    let (_site, output, report) = built();
    assert_eq!(report.briefings, 2);
    assert!(
        report.warnings.is_empty(),
        "warnings: {:?}",
        report.warnings
    );
    let broken = output.broken_links();
    assert!(broken.is_empty(), "broken links:\n{broken}");
}

#[test]
fn terms_named_by_both_briefings_list_both() {
    let (_site, output, _) = built();
    for term in [
        "/countries/syria/",
        "/countries/iraq/",
        "/countries/united-states/",
        "/topics/islamic-state/",
        "/topics/global-coalition-to-defeat-isis/",
    ] {
        let (briefings, _) = listing(&output, term);
        assert_eq!(briefings, briefing_paths(&[ROME, WASHINGTON]), "{term}");
    }
}

#[test]
fn every_term_has_a_page() {
    let (_site, output, report) = built();
    let mut profiles = 0;
    for taxonomy in ["people", "countries", "topics"] {
        let folder = repo().join("content").join(taxonomy);
        for entry in std::fs::read_dir(&folder).expect("read a taxonomy folder") {
            let path = entry.expect("read a profile").path();
            let slug = path
                .file_stem()
                .expect("a profile has a name")
                .to_string_lossy();
            let term = format!("/{taxonomy}/{slug}/");
            assert!(output.exists(&term), "no page for {term}");
            profiles += 1;
        }
        // Every term a briefing names is linked from it, and resolves (checked
        // above); here: every one of them is in the taxonomy's index.
        let index = output.page(&format!("/{taxonomy}/"));
        let listed = index.links("main a[href]");
        for briefing in [ROME, WASHINGTON] {
            let page = output.page(&format!("/briefings/{briefing}/"));
            for term in page.links("main a[href]") {
                if term.starts_with(&format!("/{taxonomy}/")) {
                    assert!(
                        listed.contains(&term),
                        "{term}, named by {briefing}, is missing from /{taxonomy}/"
                    );
                }
            }
        }
    }
    // Every term of the bundled archive has a profile, and one page each.
    assert_eq!(report.render.term_pages, profiles);
}

#[test]
fn the_misspelt_alias_lands_on_luigi_di_maio() {
    let (_site, output, _) = built();
    let (briefings, _) = listing(&output, "/people/luigi-di-maio/");
    assert_eq!(briefings, briefing_paths(&[ROME]));
    assert!(!output.exists("/people/luigi-de-maio/"));
}

#[test]
fn every_bundled_page_is_well_formed_html() {
    let (_site, output, _report) = built();
    let problems = output.html_problems();
    assert!(problems.is_empty(), "{problems}");
}

#[test]
fn syria_shows_its_timeline_and_the_entities_it_appears_with() {
    let (_site, output, _) = built();
    let page = output.page("/countries/syria/");
    // One briefing in 2017, one in 2021, and the empty years between, which
    // have no archive page to link to.
    assert_eq!(
        timeline(&page),
        bars(&[
            (2017, 1, "2017: 1 briefing", Some("/archive/2017/")),
            (2018, 0, "2018: no briefings", None),
            (2019, 0, "2019: no briefings", None),
            (2020, 0, "2020: no briefings", None),
            (2021, 1, "2021: 1 briefing", Some("/archive/2021/")),
        ])
    );
    assert_eq!(
        page.text("main figure.timeline figcaption"),
        "Briefings per year, 2017–2021"
    );
    let heights: Vec<_> = page
        .select("main figure.timeline .timeline-bar")
        .into_iter()
        .map(|bar| bar.value().attr("style").unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        heights,
        [
            "height: 100%",
            "height: 0%",
            "height: 0%",
            "height: 0%",
            "height: 100%"
        ]
    );

    let with = appears_with(&page);
    for (term, name) in [
        ("/countries/iraq/", "Iraq"),
        ("/countries/united-states/", "United States"),
    ] {
        assert_eq!(
            with.get(term),
            Some(&("Countries".to_string(), 2)),
            "{term} in {with:?}"
        );
        assert!(
            page.select("main .record-appears a[href]")
                .into_iter()
                .any(|a| text_of(a) == name
                    && page
                        .site_path_of(a.value().attr("href").unwrap_or(""))
                        .as_deref()
                        == Some(term)),
            "{name} links to {term}"
        );
    }
    assert!(with.len() <= 12, "at most twelve: {with:?}");
}

#[test]
fn the_bundled_archive_passes_check_links_strictly() {
    let site = Site::bundled();
    let options = site.options();
    let mut report = dossier::check::check(&options);
    report.check_links(&options, &dossier::check::LinkOptions::default());
    let problems: Vec<String> = report
        .findings
        .iter()
        .filter(|d| d.severity >= dossier::diag::Severity::Warning)
        .map(ToString::to_string)
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
    let summary = report.summary();
    assert!(summary.ends_with(": 0 broken"), "{summary}");
    assert!(!report.fails(true));
}
