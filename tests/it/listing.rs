//! Listings: pagination at its boundaries, drafts, and the archive by date.

use crate::support::{Site, briefing_paths, listing};

/// Briefings `b<i>` of a [`Site::with_briefings`] site, newest first.
fn newest_first(numbers: &[usize]) -> Vec<String> {
    numbers
        .iter()
        .map(|i| format!("/briefings/b{i}/"))
        .collect()
}

#[test]
fn the_home_page_paginates_at_its_boundaries() {
    // (briefings, what each page of the home listing shows), two a page.
    let cases: [(usize, &[&[usize]]); 5] = [
        (0, &[&[]]),
        (1, &[&[1]]),
        (2, &[&[2, 1]]),
        (3, &[&[3, 2], &[1]]),
        (4, &[&[4, 3], &[2, 1]]),
    ];
    for (n, pages) in cases {
        let site = Site::with_briefings(n);
        site.build();
        let output = site.output();
        let expected_paths: Vec<String> = (1..=pages.len())
            .map(|p| match p {
                1 => "/".to_string(),
                p => format!("/page/{p}/"),
            })
            .collect();
        let (all, visited) = listing(&output, "/");
        assert_eq!(visited, expected_paths, "pages of {n} briefings");
        for (path, shown) in expected_paths.iter().zip(pages) {
            assert_eq!(
                output.page(path).briefings(),
                newest_first(shown),
                "{path} of {n} briefings"
            );
        }
        assert_eq!(all.len(), n);
        if n > 0 {
            // Every briefing names Ada Lovelace: her page paginates the same way.
            let term = "/people/ada-lovelace/";
            let (on_term, term_pages) = listing(&output, term);
            assert_eq!(on_term, all, "{term} of {n} briefings");
            assert_eq!(term_pages.len(), pages.len(), "pages of {term}");
            let after = format!("{term}page/{}/", pages.len() + 1);
            assert!(!output.exists(&after), "{after} should not exist");
        }
        let after = format!("/page/{}/", pages.len() + 1);
        assert!(
            !output.exists(&after),
            "{n} briefings: {after} should not exist"
        );
        assert!(!output.exists("/page/1/"), "page 1 is the home page itself");
        if pages.len() > 1 {
            let last = output.page(&expected_paths[pages.len() - 1]);
            let back = last.links("main a[rel~=prev]");
            assert_eq!(
                back.first().map(String::as_str),
                Some(expected_paths[pages.len() - 2].as_str()),
                "the last page links back"
            );
        }
    }
}

#[test]
fn term_pages_paginate() {
    let site = Site::with_briefings(3);
    site.build();
    let output = site.output();
    // Every briefing of the tiny site names Ada Lovelace.
    let (all, pages) = listing(&output, "/people/ada-lovelace/");
    assert_eq!(
        pages,
        ["/people/ada-lovelace/", "/people/ada-lovelace/page/2/"]
    );
    assert_eq!(all, newest_first(&[3, 2, 1]));
    assert_eq!(
        output.page("/people/ada-lovelace/page/2/").briefings(),
        newest_first(&[1])
    );
    assert!(!output.exists("/people/ada-lovelace/page/3/"));
}

#[test]
fn drafts_are_left_out_by_default() {
    let site = Site::fixture();
    site.build();
    let output = site.output();
    assert!(!output.exists("/briefings/secret-draft/"));
    // Named only by the draft, so no page either.
    assert!(!output.exists("/people/draft-only-person/"));
    let draft = "/briefings/secret-draft/".to_string();
    for first in ["/", "/people/ada-lovelace/", "/archive/2021/"] {
        let (briefings, _) = listing(&output, first);
        assert!(
            !briefings.contains(&draft),
            "{first} lists the draft: {briefings:?}"
        );
    }
    for path in output.pages() {
        assert!(
            !output.page(&path).links("a[href]").contains(&draft),
            "{path} links to the draft"
        );
    }
}

#[test]
fn drafts_are_built_when_asked_for() {
    let site = Site::fixture();
    let mut options = site.options();
    options.drafts = true;
    let report = site.build_with(&options);
    assert_eq!(report.briefings, 6);
    let output = site.output_at(&options);
    assert_eq!(
        output.page("/briefings/secret-draft/").text("main h1"),
        "A draft not yet published"
    );
    let (home, _) = listing(&output, "/");
    assert_eq!(home.first(), Some(&"/briefings/secret-draft/".to_string()));
    let (ada, _) = listing(&output, "/people/ada-lovelace/");
    assert_eq!(
        ada,
        briefing_paths(&[
            "secret-draft",
            "autumn-review",
            "ankara-follow-up",
            "ankara-talks"
        ])
    );
    let (only, _) = listing(&output, "/people/draft-only-person/");
    assert_eq!(only, briefing_paths(&["secret-draft"]));
    let broken = output.broken_links();
    assert!(broken.is_empty(), "broken links:\n{broken}");
}

#[test]
fn the_archive_lists_briefings_by_year_and_month() {
    let site = Site::fixture();
    site.build();
    let output = site.output();

    let archive = output.page("/archive/");
    let targets = archive.targets("main a[href]");
    let years: Vec<&str> = targets
        .iter()
        .map(String::as_str)
        .filter(|t| t.starts_with("/archive/") && !t.contains('#'))
        .collect();
    assert_eq!(
        years,
        ["/archive/2021/", "/archive/2020/", "/archive/2019/"]
    );
    let months: Vec<&str> = targets
        .iter()
        .map(String::as_str)
        .filter(|t| t.contains('#'))
        .collect();
    assert_eq!(
        months,
        [
            "/archive/2021/#m01",
            "/archive/2020/#m06",
            "/archive/2019/#m03",
            "/archive/2019/#m10",
        ],
        "one link per month that has briefings"
    );
    assert!(
        archive.briefings().is_empty(),
        "the archive index links to years and months, not briefings"
    );

    let year = output.page("/archive/2019/");
    assert_eq!(
        year.briefings(),
        briefing_paths(&["autumn-review", "ankara-follow-up", "ankara-talks"]),
        "2019 lists its briefings only, newest month first"
    );
    assert_eq!(
        year.briefings_in("[id=m10]"),
        briefing_paths(&["autumn-review"])
    );
    assert_eq!(
        year.briefings_in("[id=m03]"),
        briefing_paths(&["ankara-follow-up", "ankara-talks"])
    );
    let ids: Vec<&str> = year
        .select("main [id]")
        .into_iter()
        .filter_map(|e| e.value().attr("id"))
        .filter(|id| id.starts_with('m') && id.len() == 3)
        .collect();
    assert_eq!(ids, ["m10", "m03"], "months with briefings, newest first");
    assert_eq!(
        output.page("/archive/2021/").briefings(),
        briefing_paths(&["geneva-appeal"])
    );
    assert_eq!(
        output.page("/archive/2020/").briefings(),
        briefing_paths(&["rome-meeting"])
    );
    assert!(!output.exists("/archive/2018/"));
}
