//! Odd and hostile input that must still end in a correct site or a clear
//! error naming the file: never a panic, a hang or a partial output. The
//! inputs that must fail with a precise message live in
//! `tests/fixtures/bad/` (see `errors.rs`); these are the ones that are
//! built at test time (huge, binary, links) or that must succeed.

use std::fmt::Write as _;
use std::path::Path;

use crate::support::{Site, briefing, lines};

fn good_site() -> Site {
    Site::tiny(&[("good.md", &briefing("Good", 1))])
}

#[test]
fn a_byte_order_mark_and_crlf_line_endings_are_read_as_plain_text() {
    let site = good_site();
    site.write(
        "content/briefings/windows.md",
        "\u{feff}---\r\ntitle: Saved on Windows\r\ndate: 2021-03-10\r\npeople:\r\n  - Ada Lovelace\r\n---\r\n## Heading\r\n\r\nFirst line\r\nsecond line.\r\n",
    );
    site.build();
    let page = site.output().page("/briefings/windows/");
    assert_eq!(page.text("h1"), "Saved on Windows");
    assert!(page.text("article").contains("First line"));
    assert!(!page.text("article").contains('\u{feff}'));
    assert!(!page.text("h1").contains('\r'));
}

#[test]
fn a_number_for_a_title_and_an_empty_body_make_a_page() {
    let site = good_site();
    site.write(
        "content/briefings/number.md",
        "---\ntitle: 1989\ndate: 2021-03-11\n---\n",
    );
    site.write(
        "content/briefings/no-newline.md",
        "---\ntitle: Only front matter\ndate: 2021-03-12\n---",
    );
    site.build();
    assert_eq!(site.output().page("/briefings/number/").text("h1"), "1989");
    assert_eq!(
        site.output().page("/briefings/no-newline/").text("h1"),
        "Only front matter"
    );
}

#[test]
fn a_ten_megabyte_briefing_builds_whole() {
    let site = good_site();
    let mut text = String::from("---\ntitle: Long\ndate: 2021-03-13\n---\n");
    let mut n = 0;
    while text.len() < 10 * 1024 * 1024 {
        n += 1;
        let _ = writeln!(
            text,
            "Paragraph {n} of a very long briefing about the talks.\n"
        );
    }
    site.write("content/briefings/long.md", &text);
    site.build();
    let page = site.output().page("/briefings/long/");
    assert!(page.text("article").contains(&format!("Paragraph {n} of")));
}

#[test]
fn ten_thousand_tags_on_one_briefing_make_ten_thousand_term_pages() {
    let site = good_site();
    let mut text = String::from("---\ntitle: Everyone\ndate: 2021-03-14\npeople:\n");
    for i in 0..10_000 {
        let _ = writeln!(text, "  - Person {i}");
    }
    text.push_str("---\nA list of everyone, Person 42 among them.\n");
    site.write("content/briefings/everyone.md", &text);
    let report = site.build();
    // 10,000 new people plus Ada Lovelace from good.md.
    assert_eq!(report.render.term_pages, 10_001);
    let out = site.output();
    let page = out.page("/people/person-9999/");
    assert!(
        page.briefings()
            .contains(&"/briefings/everyone/".to_string())
    );
    assert!(
        out.page("/briefings/everyone/")
            .links("a.mention")
            .contains(&"/people/person-42/".to_string())
    );
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_and_a_dangling_link_are_errors_naming_the_link() {
    let site = good_site();
    let briefings = site.root().join("content/briefings");
    std::fs::create_dir_all(briefings.join("loop")).expect("mkdir");
    std::os::unix::fs::symlink("..", briefings.join("loop/up")).expect("symlink");
    std::os::unix::fs::symlink("nowhere.md", briefings.join("dangling.md")).expect("symlink");
    let problems = site.build_err();
    let text = lines(&problems);
    assert!(
        text.contains("content/briefings/loop/up: error: symbolic link loop"),
        "{text}"
    );
    assert!(text.contains("content/briefings/dangling.md"), "{text}");
    assert_eq!(problems.errors().count(), 2, "{text}");
}

#[cfg(unix)]
#[test]
fn an_unreadable_file_is_an_error_naming_it() {
    use std::os::unix::fs::PermissionsExt;
    let site = good_site();
    let path = site.root().join("content/briefings/locked.md");
    site.write("content/briefings/locked.md", &briefing("Locked", 2));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    if std::fs::read(&path).is_ok() {
        eprintln!("skipped: running as a user who can read a mode-000 file (root)");
        return;
    }
    let text = lines(&site.build_err());
    assert!(text.contains("content/briefings/locked.md"), "{text}");
    assert!(
        text.contains("Permission denied") || text.contains("permission"),
        "{text}"
    );
}

#[cfg(unix)]
#[test]
fn folders_and_pipes_named_like_briefings_are_not_read_as_briefings() {
    let site = good_site();
    let briefings = site.root().join("content/briefings");
    std::fs::create_dir_all(briefings.join("folder.md")).expect("mkdir");
    site.write(
        "content/briefings/folder.md/inside.md",
        &briefing("Inside", 3),
    );
    // A named pipe would block a reader forever.
    let fifo = briefings.join("pipe.md");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    let report = site.build();
    assert_eq!(report.briefings, 2, "good.md and folder.md/inside.md");
    assert!(site.output().exists("/briefings/inside/"));
    assert!(!made || Path::new(&fifo).exists());
}
