//! The `dossier` binary: exit codes, the closing line, and errors on stderr.

use std::process::{Command, Output as Run};

use crate::support::{Output, Site, briefing};

fn dossier(args: &[&str], site: &Site) -> Run {
    Command::new(env!("CARGO_BIN_EXE_dossier"))
        .args(args)
        .arg("--root")
        .arg(site.root())
        .output()
        .expect("run the dossier binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The numbers of "Built N briefings, M term pages, K files in T ms".
fn closing_line(line: &str) -> Option<[u64; 4]> {
    let rest = line.strip_prefix("Built ")?;
    let (briefings, rest) = rest.split_once(" briefings, ")?;
    let (terms, rest) = rest.split_once(" term pages, ")?;
    let (files, rest) = rest.split_once(" files in ")?;
    let millis = rest.strip_suffix(" ms")?;
    Some([
        briefings.parse().ok()?,
        terms.parse().ok()?,
        files.parse().ok()?,
        millis.parse().ok()?,
    ])
}

#[test]
fn build_exits_zero_and_prints_the_closing_line() {
    let site = Site::fixture();
    let run = dossier(&["build"], &site);
    let (stdout, stderr) = (text(&run.stdout), text(&run.stderr));
    assert!(run.status.success(), "exit {:?}\n{stderr}", run.status);
    let last = stdout.lines().last().unwrap_or("");
    let [briefings, terms, files, _millis] =
        closing_line(last).unwrap_or_else(|| panic!("not a closing line: {last:?}"));
    assert_eq!(briefings, 5);
    assert_eq!(terms, 12);
    assert_eq!(files, site.output().files().len() as u64);
}

/// A build over the last one's output says how much of the search index it
/// took from there, before its closing line.
#[test]
fn a_second_build_says_it_took_the_search_index_as_it_was() {
    let site = Site::fixture();
    let first = text(&dossier(&["build"], &site).stdout);
    assert!(!first.contains("Search index"), "{first}");
    let run = dossier(&["build"], &site);
    let stdout = text(&run.stdout);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.first().copied(),
        Some("Search index: as the last build made it"),
        "{stdout}"
    );
    assert!(
        closing_line(lines.last().copied().unwrap_or("")).is_some(),
        "{stdout}"
    );
    // A briefing's new words: its part is made again, and nothing is said.
    let rome = "content/briefings/2020/rome-meeting.md";
    let text_now = std::fs::read_to_string(site.root().join(rome)).expect("a briefing");
    site.write(
        rome,
        &text_now.replace("met in Rome", "met in Rome, palimpsest"),
    );
    let third = text(&dossier(&["build"], &site).stdout);
    assert!(!third.contains("Search index"), "{third}");
}

#[test]
fn build_honours_output_base_url_and_drafts() {
    let site = Site::fixture();
    let elsewhere = tempfile::tempdir().expect("create an output folder");
    let out = elsewhere.path().join("site");
    let out_arg = out.to_string_lossy().into_owned();
    let run = dossier(
        &[
            "build",
            "--output",
            &out_arg,
            "--base-url",
            // Without its trailing slash: dossier adds it.
            "https://user.github.io/archive",
            "--drafts",
        ],
        &site,
    );
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(!site.root().join("public").exists(), "--output was ignored");
    let output = Output::new(&out, "https://user.github.io/archive/");
    let page = output.page("/briefings/secret-draft/");
    let canonical = page.select("link[rel=canonical]");
    assert_eq!(
        canonical.first().and_then(|l| l.value().attr("href")),
        Some("https://user.github.io/archive/briefings/secret-draft/")
    );
}

#[test]
fn a_broken_briefing_fails_the_build_with_its_file_and_line() {
    let site = Site::tiny(&[
        ("good.md", &briefing("Good", 1)),
        (
            "broken.md",
            "---\ntitle: Broken\ndate: 2021-02-30\n---\nThere is no such day.\n",
        ),
    ]);
    let run = dossier(&["build"], &site);
    let (stdout, stderr) = (text(&run.stdout), text(&run.stderr));
    assert_eq!(
        run.status.code(),
        Some(1),
        "exit status of a failed build:\n{stdout}"
    );
    assert!(
        stderr.contains("content/briefings/broken.md:3:7"),
        "no file:line:col in\n{stderr}"
    );
    assert!(
        stderr.contains("`2021-02-30` is not a valid date"),
        "no message in\n{stderr}"
    );
    assert!(
        !stdout.contains("Built "),
        "a failed build printed a closing line"
    );
    assert!(!site.root().join("public").exists());
}
