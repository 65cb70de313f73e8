//! The benchmark of serve's rebuild path: builds a site once through a
//! `Session`, then edits one briefing's body again and again and times each
//! `Session::rebuild`, from the file's change to its pages written. The
//! file watcher's debounce (see `dossier serve`) comes on top of this.
//! With `--tags` the edits change the briefing's tags instead: a topic of
//! another briefing is added to its `topics:` list, then taken away, and so
//! on. With `--new-person` they tag it with a person no briefing names (a
//! new term, with a page and a feed, on the taxonomy's page), then take
//! the person away again (the term goes). With `--new`, new briefings are
//! added next to it one at a time, then removed one at a time. With
//! `--role` the edits change the role in the profile of the first person
//! it names who has one, and back (with `--alias`, an alias added and
//! taken away).
//!
//! ```sh
//! cargo run --release --example rebuild -- --root /tmp/corpus --edits 20
//! cargo run --release --example rebuild -- --root /tmp/corpus --edits 20 --tags
//! cargo run --release --example rebuild -- --root /tmp/corpus --edits 20 --new-person
//! cargo run --release --example rebuild -- --root /tmp/corpus --edits 20 --role
//! ```

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use dossier::config::BuildOptions;
use dossier::session::Session;
use walkdir::WalkDir;

#[derive(Debug, Parser)]
#[command(about = "Time one-briefing edits through serve's incremental rebuild")]
struct Args {
    /// The site folder (holds content/briefings/).
    #[arg(long)]
    root: PathBuf,
    /// How many edits to time.
    #[arg(long, default_value_t = 20)]
    edits: usize,
    /// Add and remove a topic instead of editing the body.
    #[arg(long)]
    tags: bool,
    /// Add new briefings instead (copies of the chosen one, each with a
    /// slug of its own and one topic of it), then remove them, timing both.
    #[arg(long, conflicts_with = "tags")]
    new: bool,
    /// Add and remove a person no briefing names instead of editing the body.
    #[arg(long, conflicts_with_all = ["tags", "new"])]
    new_person: bool,
    /// Change the role in the profile of a person the briefing names, and
    /// back, instead of editing the briefing.
    #[arg(long, conflicts_with_all = ["tags", "new", "new_person"])]
    role: bool,
    /// Add an alias to that profile and take it away again.
    #[arg(long, conflicts_with_all = ["tags", "new", "new_person", "role"])]
    alias: bool,
}

/// The allocator `dossier serve` runs with (see `src/main.rs`), so that
/// these timings are serve's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The person `--new-person` tags the briefing with.
const NEWCOMER: &str = "Quentin Newcomer";

fn main() -> Result<()> {
    let args = Args::parse();
    // Where `dossier serve` would build the preview.
    let output = dossier::serve::preview_folder(&args.root).context("create an output folder")?;
    let options = BuildOptions {
        output: output.path().join("site"),
        ..BuildOptions::new(&args.root)
    };
    let mut session = Session::new(options);
    let started = Instant::now();
    session
        .build()
        .map_err(|d| anyhow::anyhow!("the first build failed: {} problems", d.0.len()))?;
    println!("first build: {:.0} ms", ms(started.elapsed()));
    // With `search: true` the index follows on a thread of its own, which
    // would share the cores with the edits timed below: wait for it.
    if let Some(Ok(Some(ready))) = session.wait_for_search() {
        println!(
            "search index: {} ms after the pages ({} parts)",
            ms(ready.elapsed),
            ready.parts.1
        );
    }

    // A briefing from the middle of the archive, as a writer would pick.
    let mut briefings: Vec<PathBuf> = WalkDir::new(args.root.join("content/briefings"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(walkdir::DirEntry::into_path)
        .collect();
    briefings.sort();
    let Some(path) = briefings.get(briefings.len() / 2).cloned() else {
        bail!("no briefings under {}", args.root.display());
    };
    let mut original = std::fs::read_to_string(&path)?;
    if args.new {
        return time_new_briefings(&mut session, &path, &original, args.edits);
    }
    let mut path = path;
    let edited = if args.tags {
        with_topic(&mut session, &path, &original, &briefings)?
    } else if args.new_person {
        with_newcomer(&path, &original)?
    } else if args.role || args.alias {
        path = profile_named_in(&args.root, &original)?;
        original = std::fs::read_to_string(&path)?;
        with_new_role_or_alias(&path, &original, args.alias)?
    } else {
        String::new()
    };
    let alternate = args.tags || args.new_person || args.role || args.alias;
    let mut times = Vec::with_capacity(args.edits);
    let mut pages = 0;
    for edit in 0..args.edits {
        let text = match (alternate, edit % 2) {
            (true, 0) => edited.clone(),
            (true, _) => original.clone(),
            (false, _) => format!("{original}\nEdit number {edit}.\n"),
        };
        std::fs::write(&path, text)?;
        let started = Instant::now();
        let report = session
            .rebuild(std::slice::from_ref(&path))
            .map_err(|d| anyhow::anyhow!("rebuild failed: {} problems", d.0.len()))?
            .context("the edit was not seen as a change")?;
        times.push(started.elapsed());
        if !report.incremental {
            bail!("the edit took the full-build path");
        }
        pages = pages.max(report.render.pages);
    }
    // With `search: true` every edit also sets an index going (after the
    // one running, which finishes; one still waiting is stopped): how long
    // the last one took to catch up.
    if let Some(Ok(Some(ready))) = session.wait_for_search() {
        println!(
            "search index after the last edit: {} of {} parts made again, {:.0} ms after its pages",
            ready.parts.0,
            ready.parts.1,
            ms(ready.elapsed)
        );
    }
    std::fs::write(&path, original)?;
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "{} ({}): median {:.1} ms, min {:.1} ms, max {:.1} ms over {} edits, {pages} pages re-rendered",
        if args.tags {
            "one-briefing tag change"
        } else if args.new_person {
            "one-briefing new person"
        } else if args.role {
            "profile's role"
        } else if args.alias {
            "profile's alias"
        } else {
            "one-briefing edit"
        },
        path.display(),
        ms(median),
        ms(times[0]),
        ms(times[times.len() - 1]),
        times.len()
    );
    Ok(())
}

/// `original` (the text of `path`) with one more topic: the first topic of a
/// nearby briefing that `path` lacks and that the session rebuilds in place
/// (a topic given a page more by it would make every edit a full build).
fn with_topic(
    session: &mut Session,
    path: &PathBuf,
    original: &str,
    briefings: &[PathBuf],
) -> Result<String> {
    let Some(line) = original.lines().find(|l| l.starts_with("topics: [")) else {
        bail!("{} has no `topics: [...]` line", path.display());
    };
    let own = topics(line);
    let at = briefings.iter().position(|p| p == path).unwrap_or(0);
    for other in briefings.iter().skip(at + 1).take(50) {
        let text = std::fs::read_to_string(other)?;
        let Some(other_line) = text.lines().find(|l| l.starts_with("topics: [")) else {
            continue;
        };
        for topic in topics(other_line) {
            if own.contains(&topic) {
                continue;
            }
            let mut list = own.clone();
            list.push(topic);
            let edited = original.replacen(line, &format!("topics: [{}]", list.join(", ")), 1);
            std::fs::write(path, &edited)?;
            let report = session
                .rebuild(std::slice::from_ref(path))
                .map_err(|d| anyhow::anyhow!("rebuild failed: {} problems", d.0.len()))?;
            std::fs::write(path, original)?;
            let undone = session
                .rebuild(std::slice::from_ref(path))
                .map_err(|d| anyhow::anyhow!("rebuild failed: {} problems", d.0.len()))?;
            if report.is_some_and(|r| r.incremental) && undone.is_some_and(|r| r.incremental) {
                return Ok(edited);
            }
        }
    }
    bail!(
        "no topic of the next 50 briefings can be added to {} in place",
        path.display()
    )
}

/// `original` (the text of `path`) with [`NEWCOMER`] added to its people.
fn with_newcomer(path: &Path, original: &str) -> Result<String> {
    if original.contains(NEWCOMER) {
        bail!("{} already names {NEWCOMER}", path.display());
    }
    let Some(line) = original.lines().find(|l| l.starts_with("people: [")) else {
        bail!("{} has no `people: [...]` line", path.display());
    };
    let list = line.trim_end().trim_end_matches(']');
    let more = if list.ends_with('[') { "" } else { ", " };
    Ok(original.replacen(line, &format!("{list}{more}\"{NEWCOMER}\"]"), 1))
}

/// The profile of the first person the briefing `text` names who has one
/// (`content/people/<file>.md` whose `name:` is theirs).
fn profile_named_in(root: &Path, text: &str) -> Result<PathBuf> {
    let Some(line) = text.lines().find(|l| l.starts_with("people: [")) else {
        bail!("the briefing has no `people: [...]` line");
    };
    let people: Vec<&str> = line
        .trim_start_matches("people: [")
        .trim_end_matches(']')
        .split(", ")
        .map(|name| name.trim_matches('"'))
        .collect();
    let mut profiles = Vec::new();
    for entry in std::fs::read_dir(root.join("content/people"))? {
        let path = entry?.path();
        let text = std::fs::read_to_string(&path)?;
        let name = text.lines().find_map(|l| l.strip_prefix("name: "));
        if let Some(name) = name.map(|n| n.trim_matches('"').to_string()) {
            profiles.push((name, path));
        }
    }
    people
        .iter()
        .find_map(|person| profiles.iter().find(|(name, _)| name == person))
        .map(|(_, path)| path.clone())
        .context("no person the briefing names has a profile")
}

/// `original` (the profile at `path`) with its role changed, or an alias more.
fn with_new_role_or_alias(path: &Path, original: &str, alias: bool) -> Result<String> {
    let (key, change) = if alias {
        ("aliases: [", "aliases: [\"Dossier Benchmark Alias\", ")
    } else {
        ("role: \"", "role: \"Acting, ")
    };
    if !original.contains(key) {
        bail!("{} has no `{key}` line", path.display());
    }
    Ok(original.replacen(key, change, 1))
}

/// Adds `count` new briefings next to `path`, one at a time, each timed,
/// then removes them again, one at a time, each timed; prints the median of
/// each kind done in place, and how many were full builds.
fn time_new_briefings(
    session: &mut Session,
    path: &Path,
    original: &str,
    count: usize,
) -> Result<()> {
    let mut created = Vec::with_capacity(count);
    let mut added = Timed::default();
    let mut removed = Timed::default();
    let result = (|| -> Result<()> {
        for n in 0..count {
            let file = path.with_file_name(format!("dossier-rebuild-new-{n}.md"));
            std::fs::write(&file, new_briefing(original, n))?;
            created.push(file.clone());
            added.time(session, &file)?;
        }
        while let Some(file) = created.pop() {
            std::fs::remove_file(&file)?;
            removed.time(session, &file)?;
        }
        Ok(())
    })();
    for file in &created {
        std::fs::remove_file(file)?;
    }
    result?;
    added.print("new briefing", path)?;
    removed.print("removed briefing", path)
}

/// Rebuilds timed, those done in place apart from the full builds.
#[derive(Default)]
struct Timed {
    times: Vec<Duration>,
    full: usize,
    pages: usize,
}

impl Timed {
    fn time(&mut self, session: &mut Session, file: &Path) -> Result<()> {
        let started = Instant::now();
        let report = session
            .rebuild(&[file.to_path_buf()])
            .map_err(|d| anyhow::anyhow!("rebuild failed: {} problems", d.0.len()))?
            .context("the change was not seen")?;
        if report.incremental {
            self.times.push(started.elapsed());
            self.pages = self.pages.max(report.render.pages);
        } else {
            self.full += 1;
        }
        Ok(())
    }

    fn print(mut self, what: &str, path: &Path) -> Result<()> {
        self.times.sort();
        let Some(median) = self.times.get(self.times.len() / 2) else {
            bail!("no {what} was done in place");
        };
        println!(
            "{what} (next to {}): median {:.1} ms, min {:.1} ms, max {:.1} ms over {} in place ({} full builds), {} pages re-rendered",
            path.display(),
            ms(*median),
            ms(self.times[0]),
            ms(self.times[self.times.len() - 1]),
            self.times.len(),
            self.full,
            self.pages,
        );
        Ok(())
    }
}

/// `original` as a new briefing: its own slug and title, and of its tags
/// only its first topic (the table's rows have measured a new briefing so
/// since the days a listing gaining a page was a full build: kept, so that
/// they compare).
fn new_briefing(original: &str, n: usize) -> String {
    original
        .lines()
        .map(|line| {
            if let Some(slug) = line.strip_prefix("slug: ") {
                format!("slug: {slug}-new-{n}")
            } else if line.starts_with("title: ") {
                format!("title: \"New briefing {n}\"")
            } else if line.starts_with("people: ") || line.starts_with("countries: ") {
                let key = line.split(':').next().unwrap_or_default();
                format!("{key}: []")
            } else if line.starts_with("topics: [") {
                let first = topics(line).into_iter().next().unwrap_or_default();
                format!("topics: [{first}]")
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// The items of a `topics: [...]` line, quoted as they were.
fn topics(line: &str) -> Vec<String> {
    line.trim_start_matches("topics: [")
        .trim_end_matches(']')
        .split(", ")
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
