//! `dossier check`: findings at their exact lines over `tests/fixtures/check`
//! (mentions in headings, code, links, alt text and tables; look-alike names;
//! tags without profiles), the exit codes of `--strict`, `--format json`, and
//! the bundled archive passing `--strict`.

use std::path::Path;
use std::process::{Command, Output as Run};

use dossier::check::{CheckReport, check};
use dossier::diag::Severity;

use crate::support::{Site, copy_dir, fixture};

/// A copy of `tests/fixtures/check` with the repository's themes.
pub fn check_site() -> Site {
    let site = Site::empty();
    copy_dir(&fixture("check"), site.root());
    site
}

/// Runs the `dossier` binary with `args` then `--root <site>`.
pub fn dossier(args: &[&str], root: &Path) -> Run {
    Command::new(env!("CARGO_BIN_EXE_dossier"))
        .args(args)
        .arg("--root")
        .arg(root)
        .output()
        .expect("run the dossier binary")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn run_check(site: &Site) -> CheckReport {
    check(&site.options())
}

/// (severity, path, line, column, message) of every finding.
type Row = (Severity, String, usize, usize, String);

fn rows(report: &CheckReport) -> Vec<Row> {
    report
        .findings
        .iter()
        .map(|d| {
            let p = d
                .position
                .expect("every finding of the fixture has a position");
            (
                d.severity,
                d.path.display().to_string(),
                p.line,
                p.column,
                d.message.clone(),
            )
        })
        .collect()
}

fn row(severity: Severity, path: &str, line: usize, column: usize, message: &str) -> Row {
    (
        severity,
        path.to_string(),
        line,
        column,
        message.to_string(),
    )
}

const ROME: &str = "content/briefings/2021/rome.md";
const MOSUL: &str = "content/briefings/2018/mosul.md";
const BAGHDAD: &str = "content/briefings/2017/baghdad.md";
const DE_MAIO: &str =
    "`Luigi De Maio` and `Luigi Di Maio` (people) look like one name, but are two terms";

#[test]
fn findings_are_reported_at_their_lines() {
    use Severity::{Info, Warning};
    let site = check_site();
    let report = run_check(&site);
    let expected = vec![
        row(
            Info,
            BAGHDAD,
            4,
            10,
            "'Abu Bakr al-Baghdadi' (people) has no profile",
        ),
        row(Info, BAGHDAD, 5, 10, "'Al Qaeda' (topics) has no profile"),
        row(
            Info,
            MOSUL,
            4,
            10,
            "'Abu Bakr al-Bagdadi' (people) has no profile",
        ),
        row(
            Warning,
            MOSUL,
            4,
            10,
            "`Abu Bakr al-Bagdadi` and `Abu Bakr al-Baghdadi` (people) look like one name, but are two terms",
        ),
        row(Info, MOSUL, 6, 10, "'AlQaeda' (topics) has no profile"),
        row(
            Warning,
            MOSUL,
            6,
            10,
            "`Al Qaeda` and `AlQaeda` (topics) are one name written two ways, but two terms",
        ),
        row(Info, ROME, 7, 5, "'Luigi De Maio' (people) has no profile"),
        row(Warning, ROME, 7, 5, DE_MAIO),
        row(
            Info,
            ROME,
            8,
            20,
            "tags 'Iraq' (countries) but the body never mentions it",
        ),
        // Not the heading (11), the code span, link or alt text (13-15), but
        // "the pope" on line 17; the fenced "ISIS" (20) is skipped for the
        // table cell (25); "us" (15) is not the US, "US" (27) is.
        row(
            Warning,
            ROME,
            17,
            7,
            "mentions 'Pope Francis' (people) but does not tag it",
        ),
        row(
            Warning,
            ROME,
            17,
            36,
            "mentions 'Vatican City' (countries) but does not tag it",
        ),
        row(
            Warning,
            ROME,
            25,
            3,
            "mentions 'Islamic State' (topics) but does not tag it",
        ),
        row(
            Warning,
            ROME,
            27,
            44,
            "mentions 'United States' (countries) but does not tag it",
        ),
        // Two profiles: a note only. Iraq and Iran are too short to compare.
        row(
            Info,
            "content/countries/slovenia.md",
            2,
            1,
            "`Slovakia` and `Slovenia` (countries) look like one name, but are two terms",
        ),
    ];
    let found = rows(&report);
    assert_eq!(
        found,
        expected,
        "\n{}",
        report
            .findings
            .iter()
            .map(|d| format!("{d}\n"))
            .collect::<String>()
    );
    assert_eq!(report.briefings, 3);
    assert_eq!(
        report.summary(),
        "0 errors, 7 warnings, 7 notes in 3 briefings"
    );
}

#[test]
fn near_duplicates_say_which_alias_to_add_and_where() {
    let report = run_check(&check_site());
    let help = |message: &str| {
        report
            .findings
            .iter()
            .find(|d| d.message == message)
            .and_then(|d| d.help.clone())
            .unwrap_or_else(|| panic!("no finding {message:?}"))
    };
    assert_eq!(
        help(DE_MAIO),
        "if they are one, add `Luigi De Maio` to the aliases of content/people/luigi-di-maio.md"
    );
    assert_eq!(
        help(
            "`Abu Bakr al-Bagdadi` and `Abu Bakr al-Baghdadi` (people) look like one name, but are two terms"
        ),
        "if they are one, write a profile content/people/abu-bakr-al-baghdadi.md with \
         `name: Abu Bakr al-Baghdadi` and `aliases: [Abu Bakr al-Bagdadi]`"
    );
}

#[test]
fn the_de_maio_look_alike_goes_once_the_alias_joins_them() {
    let site = check_site();
    let before = run_check(&site);
    assert!(before.findings.iter().any(|d| d.message == DE_MAIO));
    site.write(
        "content/people/luigi-di-maio.md",
        "---\nname: Luigi Di Maio\naliases: [Luigi De Maio]\n---\n",
    );
    let after = run_check(&site);
    let about_de_maio: Vec<String> = after
        .findings
        .iter()
        .filter(|d| d.message.contains("De Maio"))
        .map(|d| d.to_string())
        .collect();
    assert_eq!(about_de_maio, Vec::<String>::new());
    assert_eq!(
        after.count(Severity::Warning),
        before.count(Severity::Warning) - 1
    );
}

#[test]
fn errors_are_what_the_build_rejects() {
    let site = check_site();
    site.write(
        "content/briefings/2021/broken.md",
        "---\ntitle: Broken\ndate: 2021-02-30\n---\nNo such day.\n",
    );
    site.write(
        "templates/term.html",
        "{% extends \"base.html\" %}\n{% block content %}{{ term.name }{% endblock content %}\n",
    );
    let report = run_check(&site);
    let errors: Vec<(String, Option<usize>)> = report
        .findings
        .iter()
        .filter(|d| d.is_error())
        .map(|d| (d.path.display().to_string(), d.position.map(|p| p.line)))
        .collect();
    let build: Vec<(String, Option<usize>)> = site
        .build_err()
        .errors()
        .map(|d| (d.path.display().to_string(), d.position.map(|p| p.line)))
        .collect();
    assert_eq!(errors, build);
    assert_eq!(
        errors,
        vec![
            ("content/briefings/2021/broken.md".to_string(), Some(3)),
            ("templates/term.html".to_string(), Some(2)),
        ]
    );
    // The briefings that parsed are still linted.
    assert_eq!(report.count(Severity::Warning), 7);
    assert!(!site.root().join("public").exists(), "check wrote output");
}

/// (path, line, message) of every error, sorted.
fn error_lines(diagnostics: &[dossier::diag::Diagnostic]) -> Vec<String> {
    let mut lines: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.to_string())
        .collect();
    lines.sort();
    lines
}

#[test]
fn every_bad_fixture_fails_check_as_it_fails_the_build() {
    let mut cases: Vec<_> = std::fs::read_dir(fixture("bad"))
        .expect("read tests/fixtures/bad")
        .map(|e| e.expect("read a bad case").path())
        .collect();
    cases.sort();
    for case in cases {
        let name = case.file_name().map(|n| n.to_string_lossy().into_owned());
        let site = Site::tiny(&[("good.md", &crate::support::briefing("Good", 1))]);
        copy_dir(&case, site.root());
        let checked = error_lines(&run_check(&site).findings);
        let built = error_lines(&site.build_err().0);
        if matches!(
            name.as_deref(),
            Some("undefined_variable" | "card_and_page_errors")
        ) {
            // Raised while rendering a page, which check does not do.
            assert_eq!(checked, Vec::<String>::new(), "{name:?}");
        } else {
            assert_eq!(checked, built, "{name:?}");
        }
    }
}

#[test]
fn strict_turns_warnings_into_failure() {
    let site = check_site();
    let plain = dossier(&["check"], site.root());
    assert_eq!(plain.status.code(), Some(0), "{}", text(&plain.stderr));
    let strict = dossier(&["check", "--strict"], site.root());
    assert_eq!(strict.status.code(), Some(1), "{}", text(&strict.stderr));
    let stdout = text(&strict.stdout);
    assert_eq!(
        stdout.lines().last(),
        Some("0 errors, 7 warnings, 7 notes in 3 briefings")
    );
    // Notes are one line each, `path:line:col: info: message`.
    assert!(
        stdout
            .lines()
            .any(|l| l == "content/briefings/2021/rome.md:8:20: info: tags 'Iraq' (countries) but the body never mentions it"),
        "{stdout}"
    );

    site.write(
        "content/briefings/2021/broken.md",
        "---\ntitle: Broken\ndate: 2021-02-30\n---\n",
    );
    let broken = dossier(&["check"], site.root());
    assert_eq!(broken.status.code(), Some(1));
    assert!(!site.root().join("public").exists(), "check wrote output");
}

#[test]
fn json_findings_have_the_documented_fields() {
    let site = check_site();
    let run = dossier(&["check", "--format", "json"], site.root());
    assert_eq!(run.status.code(), Some(0));
    let findings: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_slice(&run.stdout).expect("--format json prints a JSON array");
    assert_eq!(findings.len(), 14);
    for finding in &findings {
        let mut keys: Vec<&str> = finding.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["column", "help", "line", "message", "path", "severity"]
        );
    }
    let de_maio = findings
        .iter()
        .find(|f| f["message"] == DE_MAIO)
        .expect("the De Maio finding");
    assert_eq!(
        serde_json::Value::Object(de_maio.clone()),
        serde_json::json!({
            "severity": "warning",
            "path": "content/briefings/2021/rome.md",
            "line": 7,
            "column": 5,
            "message": DE_MAIO,
            "help": "if they are one, add `Luigi De Maio` to the aliases of content/people/luigi-di-maio.md",
        })
    );
    let severities: Vec<&str> = findings
        .iter()
        .filter_map(|f| f["severity"].as_str())
        .collect();
    assert_eq!(severities.iter().filter(|s| **s == "warning").count(), 7);
    assert_eq!(severities.iter().filter(|s| **s == "info").count(), 7);
}

#[test]
fn crlf_briefings_report_the_same_lines() {
    let site = check_site();
    let rome = std::fs::read_to_string(site.root().join(ROME)).expect("read rome.md");
    site.write(ROME, &rome.replace('\n', "\r\n"));
    let crlf = rows(&run_check(&site));
    let lf = rows(&run_check(&check_site()));
    assert_eq!(crlf, lf);
}

#[test]
fn the_bundled_archive_passes_strict() {
    let site = Site::bundled();
    let run = dossier(&["check", "--strict"], site.root());
    let stdout = text(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{stdout}{}", text(&run.stderr));
    let last = stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("0 errors, 0 warnings, ") && last.ends_with(" in 2 briefings"),
        "{stdout}"
    );
}

#[test]
fn a_term_tagged_under_two_names_is_one_tag() {
    let site = check_site();
    site.write(
        "content/people/luigi-di-maio.md",
        "---\nname: Luigi Di Maio\naliases: [Luigi De Maio]\n---\n",
    );
    site.write(
        "content/briefings/2021/twice.md",
        "---\ntitle: Twice\ndate: 2021-07-01\npeople: [Luigi De Maio, Luigi Di Maio, Antony Blinken]\n---\nLuigi Di Maio spoke.\n",
    );
    let report = run_check(&site);
    let twice: Vec<Row> = rows(&report)
        .into_iter()
        .filter(|r| r.1 == "content/briefings/2021/twice.md")
        .collect();
    assert_eq!(
        twice,
        vec![row(
            Severity::Info,
            "content/briefings/2021/twice.md",
            4,
            40,
            "tags 'Antony Blinken' (people) but the body never mentions it"
        )]
    );
}
