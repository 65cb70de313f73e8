//! The fuzzers' corpus and every input they found a bug with, replayed in
//! plain `cargo test` through the same checks the fuzz targets make
//! (`fuzz/invariants.rs`, compiled in here as a module).
//!
//! Each target has its inputs in `fuzz/corpus/<target>/` (the minimized
//! corpus) and `fuzz/regressions/<target>/` (found cases, named for the bug).

use std::path::{Path, PathBuf};

#[path = "../../fuzz/invariants.rs"]
mod invariants;

/// Every input file of a target, sorted; fails when there are none, so a
/// moved corpus cannot make the test pass by testing nothing.
fn inputs(target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut files = Vec::new();
    for folder in ["corpus", "regressions"] {
        let dir = fuzz.join(folder).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("a readable corpus folder").path();
            if path.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(
        !files.is_empty(),
        "no inputs for the `{target}` fuzz target"
    );
    files
}

/// Runs `check` on each input, naming the input that fails; returns the sum
/// of what the checks counted.
fn replay(target: &str, check: impl Fn(&[u8]) -> usize) -> usize {
    let mut checked = 0;
    for path in inputs(target) {
        let bytes = std::fs::read(&path).expect("a readable corpus file");
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&bytes))) {
            Ok(count) => checked += count,
            Err(panic) => {
                let reason = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("(no message)");
                panic!("{}: {reason}", path.display());
            }
        }
    }
    checked
}

#[test]
fn front_matter_corpus_parses_without_panics_and_with_located_errors() {
    let errors = replay("front_matter", invariants::front_matter);
    assert!(
        errors > 0,
        "no input of the corpus is an error: the error checks never ran"
    );
}

#[test]
fn markdown_corpus_renders_with_well_formed_mention_links() {
    // libFuzzer's `&str` targets skip input that is not UTF-8; so does this.
    let links = replay("markdown", |bytes| {
        std::str::from_utf8(bytes).map_or(0, invariants::markdown)
    });
    assert!(
        links > 0,
        "no mention link in the corpus: the link checks never ran"
    );
}
