//! `dossier new "Title"`: the file it creates, that it builds, and that it
//! never overwrites.

use std::path::Path;

use crate::check::{dossier, text};
use crate::support::{Site, briefing};

const EXPECTED: &str = "---
title: \"Talks in Rome: day 2\"
date: 2024-03-05
summary:
people: []
countries: []
topics: []
---
Write the briefing here.
";

#[test]
fn new_creates_the_briefing_which_builds() {
    let site = Site::tiny(&[("old.md", &briefing("Old", 1))]);
    let run = dossier(
        &["new", "Talks in Rome: day 2", "--date", "2024-03-05"],
        site.root(),
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let rel = "content/briefings/2024/talks-in-rome-day-2.md";
    assert_eq!(
        text(&run.stdout).trim_end(),
        site.root().join(rel).display().to_string()
    );
    let written = std::fs::read_to_string(site.root().join(rel)).expect("the new file");
    assert_eq!(written, EXPECTED);
    site.build();
    let page = site.output().page("/briefings/talks-in-rome-day-2/");
    assert_eq!(page.text("main h1"), "Talks in Rome: day 2");
}

#[test]
fn new_refuses_to_overwrite() {
    let site = Site::tiny(&[]);
    let args = ["new", "Talks in Rome", "--date", "2024-03-05"];
    assert_eq!(dossier(&args, site.root()).status.code(), Some(0));
    let path = site.root().join("content/briefings/2024/talks-in-rome.md");
    std::fs::write(&path, "edited by hand\n").expect("edit the file");
    let again = dossier(&args, site.root());
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("already exists"));
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        "edited by hand\n"
    );
}

#[test]
fn new_takes_a_slug_and_refuses_one_already_used() {
    let site = Site::tiny(&[("2021/rome.md", &briefing("Rome", 1))]);
    let run = dossier(
        &[
            "new",
            "Back in Rome",
            "--date",
            "2023-01-02",
            "--slug",
            "rome",
        ],
        site.root(),
    );
    assert_eq!(run.status.code(), Some(1), "a second /briefings/rome/");
    assert!(!site.root().join("content/briefings/2023").exists());
    let run = dossier(
        &[
            "new",
            "Back in Rome",
            "--date",
            "2023-01-02",
            "--slug",
            "rome-2023",
        ],
        site.root(),
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    assert!(
        site.root()
            .join("content/briefings/2023/rome-2023.md")
            .is_file()
    );
    site.build();
    assert!(site.output().exists("/briefings/rome-2023/"));
}

#[test]
fn new_without_a_date_uses_today() {
    let site = Site::tiny(&[]);
    let before = jiff::Zoned::now().date();
    let run = dossier(&["new", "Today"], site.root());
    let after = jiff::Zoned::now().date();
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let printed = text(&run.stdout);
    let path = Path::new(printed.trim_end());
    let written = std::fs::read_to_string(path).expect("the new file");
    let date = written
        .lines()
        .find_map(|l| l.strip_prefix("date: "))
        .expect("a date line");
    assert!(
        [before.to_string(), after.to_string()].contains(&date.to_string()),
        "{date}"
    );
    assert_eq!(
        path.parent().and_then(|p| p.file_name()),
        Some(std::ffi::OsStr::new(&date[..4]))
    );
}
