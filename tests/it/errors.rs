//! Sites that must not build. Each folder of `tests/fixtures/bad/` is laid over
//! a one-briefing site that was built first; the build must fail, report every
//! problem at its file and line, and leave the previous output as it was.
//! The reported lines are also kept as one insta snapshot per case.

use std::path::{Path, PathBuf};

use dossier::diag::Diagnostics;

use crate::support::{Site, Tree, briefing, copy_dir, differences, fixture, lines};

/// What a case must report, each as (file, line, words the message holds).
/// Every case needs an entry: a new case without one fails the tests.
fn expected(case: &str) -> &'static [(&'static str, usize, &'static str)] {
    match case {
        "alias_claimed_twice" => &[(
            "content/people/other-di-maio.md",
            4,
            "`di maio` also names Luigi Di Maio (content/people/luigi-di-maio.md)",
        )],
        "bad_date" => &[(
            "content/briefings/bad-date.md",
            3,
            "`2021-02-30` is not a valid date",
        )],
        "config_unknown_key" => &[("dossier.yaml", 2, "unknown field `paginat`")],
        "duplicate_slug" => &[(
            "content/briefings/rome-again.md",
            4,
            "is also the URL of content/briefings/2021/rome.md",
        )],
        "escaping_slug" => &[(
            "content/briefings/escape.md",
            4,
            "`../../etc` would write outside",
        )],
        "malformed_yaml" => &[(
            "content/briefings/malformed.md",
            5,
            "while parsing a flow sequence",
        )],
        "names_sharing_a_url" => &[(
            "content/briefings/c.md",
            4,
            "`C` and `C++` (named in content/briefings/cpp.md) would share the URL /topics/c/",
        )],
        "missing_title" => &[("content/briefings/untitled.md", 1, "missing field `title`")],
        "several_broken_files" => &[
            ("content/briefings/a-bad-date.md", 3, "`2021-13-01`"),
            ("content/briefings/b-typo.md", 4, "did you mean `countries`"),
            (
                "content/briefings/c-no-front-matter.md",
                1,
                "missing front matter",
            ),
            ("content/people/bad-profile.md", 4, "did you mean `role`"),
            ("templates/term.html", 2, "}}"),
        ],
        "template_syntax_error" => &[("templates/briefing.html", 5, "expected }}")],
        "undefined_variable" => &[("templates/briefing.html", 4, "`no_such_variable`")],
        "card_and_page_errors" => &[
            ("templates/briefing.html", 4, "`no_such_variable`"),
            ("templates/card.html", 3, "`no_card_variable`"),
        ],
        "unknown_key" => &[("content/briefings/typo.md", 4, "did you mean `people`")],
        "script_url" => &[
            ("content/briefings/script.md", 5, "not a web address"),
            ("content/people/ada-lovelace.md", 4, "not a web address"),
        ],
        "unterminated_front_matter" => &[("content/briefings/open.md", 1, "never closed")],
        "tab_indentation" => &[("content/briefings/tabs.md", 3, "tab character")],
        "duplicate_key" => &[("content/briefings/twice.md", 3, "duplicate field `title`")],
        "wrong_types" => &[
            ("content/briefings/map-people.md", 4, "invalid type: map"),
            ("content/briefings/map-title.md", 2, "invalid type: map"),
        ],
        "relative_date" => &[(
            "content/briefings/yesterday.md",
            3,
            "`yesterday` is not a valid date",
        )],
        "empty_file" => &[("content/briefings/empty.md", 1, "missing front matter")],
        "yaml_bomb" => &[(
            "content/briefings/laughs.md",
            2,
            "anchors and aliases expand too far",
        )],
        "non_utf8" => &[("content/briefings/latin1.md", 2, "not valid UTF-8")],
        "nameless_term" => &[("content/briefings/marks.md", 4, "no letters or digits")],
        "missing_template" => &[(
            "templates/briefing.html",
            3,
            "Unknown template `sidebar.html`",
        )],
        "include_cycle" => &[("templates/b.html", 2, "Circular include")],
        "missing_parent" => &[(
            "templates/briefing.html",
            1,
            "inheriting from 'layout.html'",
        )],
        other => panic!("tests/fixtures/bad/{other} has no expectation in tests/it/errors.rs"),
    }
}

/// The folders of `tests/fixtures/bad`, sorted.
fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixture("bad"))
        .expect("read tests/fixtures/bad")
        .map(|e| e.expect("read a bad case").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

fn case_name(case: &Path) -> String {
    case.file_name()
        .expect("a case folder has a name")
        .to_string_lossy()
        .into_owned()
}

/// A good site, built, then broken by the case; returns the failed build's
/// diagnostics after checking that the first build's output was left alone.
fn break_site(case: &Path) -> Diagnostics {
    let site = Site::tiny(&[("good.md", &briefing("Good", 1))]);
    site.build();
    let before: Tree = site.output().tree();
    copy_dir(case, site.root());
    let diagnostics = site.build_err();
    let after = site.output().tree();
    assert!(
        before == after,
        "{}: the failed build changed public/ in {:?}",
        case_name(case),
        differences(&before, &after)
    );
    let stray: Vec<_> = std::fs::read_dir(site.root())
        .expect("read the site folder")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("staging"))
        .collect();
    assert!(stray.is_empty(), "left behind: {stray:?}");
    diagnostics
}

#[test]
fn bad_inputs_match_their_snapshots() {
    // "?*", not "*": a bare star also matches "", the folder itself.
    insta::glob!("../fixtures/bad", "?*", |case| {
        if case.is_dir() {
            insta::assert_snapshot!("bad", lines(&break_site(case)));
        }
    });
}

#[test]
fn bad_inputs_are_reported_at_their_file_and_line() {
    let mut failures = String::new();
    for case in cases() {
        let name = case_name(&case);
        let diagnostics = break_site(&case);
        let wanted = expected(&name);
        for &(path, line, words) in wanted {
            let found = diagnostics.errors().any(|d| {
                d.path == Path::new(path)
                    && d.position.map(|p| p.line) == Some(line)
                    && d.message.contains(words)
            });
            if !found {
                failures.push_str(&format!(
                    "{name}: no error at {path}:{line} saying {words:?}; got:\n{}",
                    lines(&diagnostics)
                ));
            }
        }
        let count = diagnostics.errors().count();
        if count != wanted.len() {
            failures.push_str(&format!(
                "{name}: {count} errors, expected {}:\n{}",
                wanted.len(),
                lines(&diagnostics)
            ));
        }
    }
    assert!(failures.is_empty(), "{failures}");
}

#[test]
fn every_snapshot_belongs_to_a_bad_case() {
    let names: Vec<String> = cases().iter().map(|c| case_name(c)).collect();
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/snapshots");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&snapshots).expect("read tests/it/snapshots") {
        let file = entry
            .expect("read a snapshot")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if let Some(case) = file
            .strip_prefix("it__errors__bad@")
            .and_then(|rest| rest.strip_suffix(".snap"))
        {
            assert!(
                names.iter().any(|n| n == case),
                "{file} is unused: tests/fixtures/bad/{case} does not exist"
            );
            found.push(case.to_string());
        }
    }
    found.sort();
    assert_eq!(found, names, "every bad case has a snapshot");
}

#[test]
fn unknown_front_matter_keys_suggest_the_nearest_key() {
    let site = Site::tiny(&[(
        "typo.md",
        "---\ntitle: T\ndate: 2021-03-01\npeple: [Ada Lovelace]\n---\n",
    )]);
    let diagnostics = site.build_err();
    let error = diagnostics.errors().next().expect("one error");
    assert_eq!(
        error.to_string(),
        "content/briefings/typo.md:4:1: error: unknown field `peple` — did you mean `people`? \
         (help: valid fields: title, date, summary, source, slug, draft, updated, extra, people, countries, topics)"
    );
}

#[test]
fn unknown_config_keys_suggest_the_nearest_key() {
    // config.rs: "an unknown one is an error with a suggestion, like front matter".
    let site = Site::empty();
    site.write("dossier.yaml", "title: T\npaginat: 2\n");
    let diagnostics = site.build_err();
    let error = diagnostics.errors().next().expect("one error");
    assert_eq!(error.path, Path::new("dossier.yaml"));
    assert_eq!(error.position.map(|p| p.line), Some(2));
    assert!(
        error.message.contains("did you mean `paginate`"),
        "no suggestion: {error}"
    );
    let help = error.help.as_deref().unwrap_or("");
    assert!(
        help.contains("paginate") && help.contains("base_url"),
        "the help should list the valid keys: {help:?}"
    );
}

#[test]
fn yaml_syntax_errors_speak_of_file_lines_only() {
    // The block starts on line 2 of the file, so the YAML parser's own
    // "line 4" (of the block) is line 5 of the file: the message must not
    // contradict the position it is reported at.
    let site = Site::tiny(&[(
        "malformed.md",
        "---\ntitle: Malformed\ndate: 2021-03-01\npeople: [Ada Lovelace, Grace Hopper\ncountries: [Italy]\n---\n",
    )]);
    let diagnostics = site.build_err();
    let error = diagnostics.errors().next().expect("one error");
    assert_eq!(
        error.position.map(|p| (p.line, p.column)),
        Some((5, 10)),
        "{error}"
    );
    assert!(
        !error.message.contains("line 4 column 10"),
        "the message gives a line of the YAML block, not of the file: {error}"
    );
}

#[test]
fn a_path_escaping_slug_writes_nothing_outside() {
    let site = Site::tiny(&[(
        "escape.md",
        "---\ntitle: Escape\ndate: 2021-03-01\nslug: ../../etc\n---\n",
    )]);
    let diagnostics = site.build_err();
    assert_eq!(diagnostics.errors().count(), 1, "{}", lines(&diagnostics));
    assert!(!site.root().join("public").exists());
    let parent = site.root().parent().expect("a temp dir has a parent");
    assert!(!parent.join("etc/index.html").exists());
}

#[test]
fn stray_markdown_is_a_warning_and_editor_leftovers_are_ignored() {
    let site = Site::tiny(&[("good.md", &briefing("Good", 1))]);
    site.write("content/notes.md", "# Not a briefing\n");
    // Broken on purpose: were they read, the build would fail.
    for leftover in [".#good.md", "good.md~", ".good.md.swp", ".hidden.md"] {
        site.write(
            &format!("content/briefings/{leftover}"),
            "no front matter\n",
        );
    }
    let report = site.build();
    assert_eq!(report.briefings, 1);
    let warnings: Vec<String> = report.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("content/notes.md: warning: "),
        "{warnings:?}"
    );
}

#[test]
fn an_output_folder_holding_the_sources_is_refused() {
    let site = Site::tiny(&[("good.md", &briefing("Good", 1))]);
    for output in [site.root().to_path_buf(), site.root().join("content")] {
        let mut options = site.options();
        options.output = output.clone();
        let diagnostics = match dossier::build(&options) {
            Ok(report) => panic!("built into {}: {}", output.display(), report.summary()),
            Err(diagnostics) => diagnostics,
        };
        assert!(
            diagnostics
                .errors()
                .any(|d| d.message.contains("refusing to build here")),
            "{}",
            lines(&diagnostics)
        );
        assert!(
            site.root().join("content/briefings/good.md").is_file(),
            "the sources survived"
        );
    }
}
