//! `dossier annotate`: the tags a briefing's text calls for, and `--write`
//! adding them for every shape a list can take, changing nothing else.

use std::path::PathBuf;

use dossier::annotate::{AnnotateOptions, suggest};
use dossier::config::TaxonomyConfig;
use dossier::front_matter::parse_briefing;
use dossier::model::SourceFile;

use crate::check::{dossier, text};
use crate::support::{Site, briefing_paths, listing};

const FILE: &str = "content/briefings/2021/visit.md";

const PROFILES: &[(&str, &str)] = &[
    ("content/people/joe-biden.md", "---\nname: Joe Biden\n---\n"),
    (
        "content/people/pope-francis.md",
        "---\nname: Pope Francis\naliases: [the pope]\n---\n",
    ),
    ("content/countries/italy.md", "---\nname: Italy\n---\n"),
    (
        "content/countries/vatican-city.md",
        "---\nname: Vatican City\naliases: [Vatican, Holy See]\n---\n",
    ),
    (
        "content/topics/islamic-state.md",
        "---\nname: Islamic State\naliases: [ISIS]\n---\n",
    ),
];

/// Mentions, in order: Joe Biden, Pope Francis, Vatican City, Italy, Islamic State.
const BODY: &str = "## Joe Biden and the pope\n\nJoe Biden met the pope in the Holy See, in Italy.\nThey spoke of ISIS.\n";

/// A site with the profiles and one briefing whose `people:` is `people`
/// (a front-matter fragment, or nothing), with `eol` line endings.
fn site(people: &str, eol: &str) -> (Site, String) {
    let site = Site::empty();
    for (path, text) in PROFILES {
        site.write(path, text);
    }
    let text = format!(
        "---\n# Kept as it is.\ntitle: \"Visit: Biden at the Vatican\"\ndate: 2021-10-29\n{people}countries: [Italy]   # more?\n---\n{BODY}"
    )
    .replace('\n', eol);
    site.write(FILE, &text);
    (site, text)
}

fn taxonomies() -> Vec<TaxonomyConfig> {
    [
        ("people", "People"),
        ("countries", "Countries"),
        ("topics", "Topics"),
    ]
    .iter()
    .map(|(name, title)| TaxonomyConfig {
        name: name.to_string(),
        title: title.to_string(),
    })
    .collect()
}

fn tags(text: &str) -> Vec<Vec<String>> {
    let file = SourceFile {
        path: PathBuf::from(FILE),
        text: std::sync::Arc::new(text.to_string()),
    };
    parse_briefing(&file, &taxonomies())
        .unwrap_or_else(|d| panic!("the annotated file does not parse: {d}\n{text}"))
        .tags
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Every line of `before` is in `after`, in order and unchanged, except
/// lines of a taxonomy key (`people: …`) that were modified; every other
/// line of `after` is new and holds a tag (`  - Name` or `topics: […]`).
/// Line endings included.
fn assert_only_tags_added(before: &str, after: &str) {
    let old: Vec<&str> = before.split_inclusive('\n').collect();
    let new: Vec<&str> = after.split_inclusive('\n').collect();
    let is_key = |line: &str| {
        ["people:", "countries:", "topics:"]
            .iter()
            .any(|k| line.starts_with(k))
    };
    let (mut i, mut j) = (0, 0);
    let mut modified = Vec::new();
    while j < new.len() {
        if i < old.len() && old[i] == new[j] {
            i += 1;
        } else if i < old.len()
            && is_key(old[i])
            && is_key(new[j])
            && old[i].split(':').next() == new[j].split(':').next()
        {
            modified.push(old[i].split(':').next().unwrap_or_default().to_string());
            i += 1;
        } else {
            let added = new[j].trim_start();
            assert!(
                added.starts_with("- ") || is_key(added),
                "line {} is new and not a tag: {:?}\n{after}",
                j + 1,
                new[j]
            );
        }
        j += 1;
    }
    assert_eq!(i, old.len(), "lines of the original are missing:\n{after}");
    let mut keys = modified.clone();
    keys.dedup();
    assert_eq!(keys, modified, "a key's line changed twice");
    let eol = if before.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    for line in &new {
        assert!(line.ends_with(eol), "line ending changed: {line:?}");
    }
}

/// Runs `annotate --write` on each shape and checks the result.
fn annotate_shape(people: &str, expected_people: &[&str]) {
    for eol in ["\n", "\r\n"] {
        let (site, before) = site(people, eol);
        let run = dossier(
            &[
                "annotate",
                &site.root().join(FILE).to_string_lossy(),
                "--write",
            ],
            site.root(),
        );
        assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
        let after = std::fs::read_to_string(site.root().join(FILE)).expect("read the file");
        assert_only_tags_added(&before, &after);
        assert_eq!(
            tags(&after),
            vec![
                names(expected_people),
                names(&["Italy", "Vatican City"]),
                names(&["Islamic State"]),
            ],
            "{people:?} {eol:?}\n{after}"
        );
        // The body and the comment are as they were, and the site builds.
        assert!(after.ends_with(&BODY.replace('\n', eol)));
        assert!(after.contains(&format!("# Kept as it is.{eol}")));
        site.build();
        let (briefings, _) = listing(&site.output(), "/people/pope-francis/");
        assert_eq!(briefings, briefing_paths(&["visit"]));
        // Nothing left to suggest.
        let again = dossier(
            &["annotate", &site.root().join(FILE).to_string_lossy()],
            site.root(),
        );
        assert_eq!(
            text(&again.stdout).lines().last(),
            Some(format!("{FILE}: every known term the text mentions is tagged").as_str())
        );
    }
}

#[test]
fn a_flow_list_gains_names_before_its_bracket() {
    annotate_shape(
        "people: [Joe Biden]  # so far\n",
        &["Joe Biden", "Pope Francis"],
    );
}

#[test]
fn an_empty_flow_list_is_filled() {
    annotate_shape("people: []\n", &["Joe Biden", "Pope Francis"]);
}

#[test]
fn a_block_list_gains_lines_in_its_style() {
    annotate_shape(
        "people:\n    -  Joe Biden\n    # more to come\n",
        &["Joe Biden", "Pope Francis"],
    );
}

#[test]
fn a_single_name_becomes_a_list() {
    annotate_shape("people: Joe Biden\n", &["Joe Biden", "Pope Francis"]);
}

#[test]
fn a_missing_key_is_added_before_the_closing_line() {
    annotate_shape("", &["Joe Biden", "Pope Francis"]);
}

#[test]
fn suggestions_name_the_line_of_the_first_mention() {
    let (site, before) = site("people: [Joe Biden]\n", "\n");
    let annotation = suggest(&AnnotateOptions {
        root: site.root().to_path_buf(),
        file: site.root().join(FILE),
    })
    .unwrap_or_else(|d| panic!("{:?}", d.0));
    let found: Vec<(&str, &str, usize)> = annotation
        .suggestions
        .iter()
        .map(|s| (s.key.as_str(), s.name.as_str(), s.line))
        .collect();
    // The heading (line 8) does not count; the text on line 10 does.
    assert_eq!(
        found,
        vec![
            ("people", "Pope Francis", 10),
            ("countries", "Vatican City", 10),
            ("topics", "Islamic State", 11),
        ]
    );
    assert_eq!(annotation.path, PathBuf::from(FILE));
    let run = dossier(
        &["annotate", &site.root().join(FILE).to_string_lossy()],
        site.root(),
    );
    assert_eq!(run.status.code(), Some(0));
    let stdout = text(&run.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "people: Pope Francis (line 10)",
            "countries: Vatican City (line 10)",
            "topics: Islamic State (line 11)",
        ]
    );
    // Without --write the file is untouched.
    let after = std::fs::read_to_string(site.root().join(FILE)).expect("read");
    assert_eq!(after, before);
}

#[test]
fn an_invalid_file_is_refused_and_left_unchanged() {
    for broken in [
        // Not a valid briefing.
        "---\ntitle: T\ndate: 2021-10-29\npeple: [Joe Biden]\n---\nJoe Biden met the pope.\n",
        // Valid, but written in a form annotate does not edit.
        "---\ntitle: T\ndate: 2021-10-29\npeople: &who [Joe Biden]\n---\nJoe Biden met the pope.\n",
    ] {
        let (site, _) = site("", "\n");
        site.write(FILE, broken);
        let run = dossier(
            &[
                "annotate",
                &site.root().join(FILE).to_string_lossy(),
                "--write",
            ],
            site.root(),
        );
        assert_eq!(run.status.code(), Some(1), "{broken}");
        assert!(!text(&run.stderr).is_empty());
        let after = std::fs::read_to_string(site.root().join(FILE)).expect("read");
        assert_eq!(after, broken);
        let leftovers: Vec<_> = std::fs::read_dir(site.root().join("content/briefings/2021"))
            .expect("read the folder")
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("visit.md")]);
    }
}

#[cfg(unix)]
#[test]
fn writing_keeps_the_file_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let (site, _) = site("people: []\n", "\n");
    let path = site.root().join(FILE);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let run = dossier(
        &["annotate", &path.to_string_lossy(), "--write"],
        site.root(),
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
}
