//! Faults: a build killed at any moment (SIGKILL, so nothing can clean up)
//! leaves the previous output complete and unchanged, and the next build
//! succeeds.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::Site;

fn dossier_build(site: &Site) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dossier"));
    command
        .arg("build")
        .arg("--root")
        .arg(site.root())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

#[test]
fn a_build_killed_at_any_moment_leaves_the_previous_site_whole() {
    let site = Site::with_briefings(28);
    // The search index would only make the build slower; what is written,
    // and how it is swapped in, is the same with it off.
    site.write(
        "dossier.yaml",
        "title: Tiny\nbase_url: https://tiny.example.org/\npaginate: 2\nsearch: false\n",
    );
    // Enough pages that a build spends a while writing.
    for i in 0..800 {
        site.write(
            &format!("content/briefings/more/m{i}.md"),
            &format!(
                "---\ntitle: More {i}\ndate: 2020-01-{:02}\npeople: [Person {}]\n---\n{}\n",
                i % 28 + 1,
                i % 40,
                "Words about the meeting. ".repeat(40)
            ),
        );
    }
    // The faster of two builds: a first build slowed by the tests running
    // beside it would set the kills below too late to catch later builds.
    let mut full = Duration::MAX;
    for _ in 0..2 {
        let started = Instant::now();
        let status = dossier_build(&site).status().expect("run dossier build");
        assert!(status.success());
        full = full.min(started.elapsed());
    }
    let before = site.output().tree();
    assert!(before.len() > 800, "{} files", before.len());

    // Change the content so a finished build would change the output, and
    // make the changed site whole elsewhere, to know it when it appears.
    site.write(
        "content/briefings/b1.md",
        &crate::support::briefing("Changed", 1),
    );
    let mut elsewhere = site.options();
    elsewhere.output = site.root().join("changed");
    site.build_with(&elsewhere);
    let changed = site.output_at(&elsewhere).tree();
    assert_ne!(changed, before);
    let mut before = before;
    let mut killed = 0;
    for tenth in 1..=10 {
        let mut child = dossier_build(&site).spawn().expect("start dossier build");
        std::thread::sleep(full * tenth / 10);
        // A build that got to the end first has swapped in a whole new site.
        let finished = child.try_wait().expect("poll the build").is_some();
        let _ = child.kill(); // SIGKILL on Unix
        let _ = child.wait();
        let now = site.output().tree();
        if finished {
            assert_eq!(site.output().page("/briefings/b1/").text("h1"), "Changed");
            before = now;
        } else {
            killed += 1;
            // Killed at any moment, even after its swap but before the
            // process ended (while it removes the old site): public/ is
            // one whole site, the one before or the changed one.
            assert!(
                now == before || now == changed,
                "killed after {tenth}/10 of a build, public/ is neither the site before nor the changed one; it differs from the one before in {:?}",
                crate::support::differences(&before, &now)
            );
        }
    }
    assert!(
        killed >= 5,
        "only {killed} of 10 builds were killed before they finished"
    );
    let status = dossier_build(&site).status().expect("run dossier build");
    assert!(status.success(), "the build after the kills fails");
    let after = site.output();
    assert_eq!(after.page("/briefings/b1/").text("h1"), "Changed");
    let leftovers: Vec<_> = std::fs::read_dir(site.root())
        .expect("read the site folder")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("staging") || n.ends_with(".old"))
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
    eprintln!("a full build took {full:?}; killed at each tenth of it");
}
