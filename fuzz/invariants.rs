//! What the fuzz targets check, in one file compiled into both the fuzz crate
//! (as its library) and the integration tests (`tests/it/fuzz_corpus.rs`
//! includes it with `#[path]`), so that replaying the corpus in `cargo test`
//! checks exactly what the fuzzers check.
//!
//! Each check panics with the reason when a property fails: a panic is what
//! libFuzzer reports, and what fails a test.

use std::path::PathBuf;
use std::sync::{Arc, LazyLock};

use dossier::config::SiteConfig;
use dossier::diag::{Diagnostic, Severity};
use dossier::front_matter::{parse_briefing, parse_profile};
use dossier::highlight::Highlighter;
use dossier::index::{self, Archive, fold};
use dossier::markdown::{self, Rendered};
use dossier::mentions::{self, Linker, Matcher, MentionMode, TermRef};
use dossier::model::{Body, SourceFile};
use dossier::source;

/// Where the fuzzed file claims to live, as a briefing and as a profile.
const BRIEFING_PATH: &str = "content/briefings/fuzz.md";
const PROFILE_PATH: &str = "content/people/fuzz.md";

/// Any bytes, read as `source` reads a file, then parsed as a briefing (with
/// the default taxonomies) and as a profile. Never panics; an error is an
/// error [`Diagnostic`] about the file, at a line and column that exist in
/// it, and renders with its snippet; a success has its body inside the file,
/// starting on the line it says. Returns how many errors it checked.
pub fn front_matter(bytes: &[u8]) -> usize {
    let file = match source::decode(PathBuf::from(BRIEFING_PATH), bytes.to_vec()) {
        Ok(file) => file,
        Err(d) => {
            let text = String::from_utf8_lossy(bytes);
            check_error(&d, BRIEFING_PATH, &text);
            return 1;
        }
    };
    let mut errors = 0;
    match parse_briefing(&file, &SiteConfig::default().taxonomies) {
        Ok(briefing) => {
            assert_eq!(briefing.file.text, file.text, "the briefing keeps its text");
            check_body(&file, briefing.body);
            assert_eq!(briefing.markdown(), file.body(briefing.body));
            assert!(
                (1..=line_count(&file.text)).contains(&briefing.slug_line),
                "slug line {} outside the file",
                briefing.slug_line
            );
        }
        Err(d) => {
            check_error(&d, BRIEFING_PATH, &file.text);
            errors += 1;
        }
    }
    let profile = SourceFile {
        path: PathBuf::from(PROFILE_PATH),
        text: Arc::clone(&file.text),
    };
    match parse_profile(&profile, 0) {
        Ok(parsed) => {
            assert_eq!(parsed.taxonomy, 0);
            check_body(&profile, parsed.body);
        }
        Err(d) => {
            check_error(&d, PROFILE_PATH, &profile.text);
            errors += 1;
        }
    }
    errors
}

/// Lines in `text` as an editor counts them: one more than its line feeds
/// (the last line may be empty).
fn line_count(text: &str) -> usize {
    text.bytes().filter(|&b| b == b'\n').count() + 1
}

/// An error about `path`, at a position inside `text`, that renders.
fn check_error(d: &Diagnostic, path: &str, text: &str) {
    assert_eq!(d.severity, Severity::Error, "{d}");
    assert_eq!(d.path, PathBuf::from(path), "{d}");
    assert!(!d.message.trim().is_empty(), "an error says what is wrong");
    let position = d.position.unwrap_or_else(|| panic!("no position: {d}"));
    let lines = line_count(text);
    assert!(
        (1..=lines).contains(&position.line),
        "line {} of a {lines}-line file: {d}",
        position.line
    );
    let line = text.split('\n').nth(position.line - 1).unwrap_or("");
    let columns = line.chars().count() + 1;
    assert!(
        (1..=columns).contains(&position.column),
        "column {} of a line of {} characters: {d}",
        position.column,
        columns - 1
    );
    let rendered = d.render();
    assert!(rendered.contains(&d.message), "{rendered}");
}

/// The body starts inside the file, at a character, on the line it says.
fn check_body(file: &SourceFile, body: Body) {
    let text = &file.text;
    assert!(
        text.is_char_boundary(body.offset),
        "body offset {} in a {}-byte file",
        body.offset,
        text.len()
    );
    if body.offset < text.len() {
        assert_eq!(
            body.first_line,
            line_count(&text[..body.offset]),
            "the body's first line"
        );
    }
}

/// A fixed archive to link mentions to: a few people, countries and topics,
/// with aliases, diacritics, short capitals, a name holding `&` and names
/// that overlap ("Islamic State", "Islamic State group").
struct Fixture {
    matcher: Matcher,
    /// The opening tag of each term's mention link, `[taxonomy][term]`.
    links: Vec<Vec<String>>,
    /// Every name and alias of each term, folded, `[taxonomy][term]`.
    names: Vec<Vec<Vec<String>>>,
    /// The terms of the briefing a tagged-scope linker is for.
    tagged: Vec<Vec<usize>>,
    highlighter: Highlighter,
}

const PROFILES: [(usize, &str, &str); 7] = [
    (
        0,
        "content/people/recep-tayyip-erdogan.md",
        "---\nname: Recep Tayyip Erdoğan\naliases: [Erdoğan, RTE]\n---\n",
    ),
    (
        0,
        "content/people/antony-blinken.md",
        "---\nname: Antony Blinken\naliases: [Blinken]\n---\n",
    ),
    (
        1,
        "content/countries/united-states.md",
        "---\nname: United States\naliases: [US, U.S., USA]\n---\n",
    ),
    (1, "content/countries/iran.md", "---\nname: Iran\n---\n"),
    (
        1,
        "content/countries/cote-d-ivoire.md",
        "---\nname: Côte d'Ivoire\naliases: [Ivory Coast]\n---\n",
    ),
    (
        2,
        "content/topics/islamic-state.md",
        "---\nname: Islamic State\naliases: [Islamic State group, ISIS]\n---\n",
    ),
    (2, "content/topics/at-t.md", "---\nname: AT&T\n---\n"),
];

/// Names without a profile become terms of their own.
const BRIEFING: &str = "---\ntitle: Fixture\ndate: 2024-01-02\npeople: [Antony Blinken, Ana Brnabić]\ncountries: [Iran]\ntopics: [Kyiv talks, AT&T]\n---\n";

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let config = SiteConfig::default();
    let file = |path: &str, text: &str| SourceFile {
        path: PathBuf::from(path),
        text: Arc::new(text.to_string()),
    };
    let briefing = parse_briefing(
        &file("content/briefings/fixture.md", BRIEFING),
        &config.taxonomies,
    )
    .unwrap_or_else(|d| panic!("{d}"));
    let profiles = PROFILES
        .iter()
        .map(|&(taxonomy, path, text)| {
            parse_profile(&file(path, text), taxonomy).unwrap_or_else(|d| panic!("{d}"))
        })
        .collect();
    let archive = index::index(&config, vec![briefing], profiles)
        .unwrap_or_else(|problems| panic!("{problems:?}"));
    Fixture {
        matcher: Matcher::new(&archive),
        links: mention_links(&config, &archive),
        names: names(&archive),
        tagged: archive.entries[0].terms.clone(),
        highlighter: Highlighter::new(),
    }
});

fn mention_links(config: &SiteConfig, archive: &Archive) -> Vec<Vec<String>> {
    config
        .taxonomies
        .iter()
        .zip(&archive.taxonomies)
        .map(|(config, taxonomy)| {
            let name = &config.name;
            taxonomy
                .terms
                .iter()
                .map(|term| {
                    let slug = term.slug.as_str();
                    format!("<a class=\"mention mention-{name}\" href=\"/{name}/{slug}/\">")
                })
                .collect()
        })
        .collect()
}

fn names(archive: &Archive) -> Vec<Vec<Vec<String>>> {
    archive
        .taxonomies
        .iter()
        .map(|taxonomy| {
            taxonomy
                .terms
                .iter()
                .map(|term| {
                    let aliases = term.profile.iter().flat_map(|p| p.aliases.iter());
                    std::iter::once(&term.name)
                        .chain(aliases)
                        .map(|n| fold(n))
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// Any text as a briefing body, rendered without mention links, with every
/// mention of every term linked, and with the first mention of the
/// briefing's own terms linked. Never panics, and linking only wraps words
/// in links: take the mention links out and what is left is the page
/// without them, byte for byte, with the same table of contents and word
/// count. Every mention link is closed, holds only text (a name or alias of
/// the term it links to), and is never inside another link. The editor
/// commands' scan finds mentions at positions inside the text. Returns how
/// many mention links it checked.
pub fn markdown(text: &str) -> usize {
    let fixture = &*FIXTURE;
    let plain = markdown::render(text, &fixture.highlighter, None);
    let mut every = Linker::new(&fixture.matcher, &fixture.links, None, MentionMode::All);
    let all = markdown::render(text, &fixture.highlighter, Some(&mut every));
    let linked = check_linked(text, &all, &plain, fixture).len();
    let mut first = Linker::new(
        &fixture.matcher,
        &fixture.links,
        Some(&fixture.tagged),
        MentionMode::First,
    );
    let tagged = markdown::render(text, &fixture.highlighter, Some(&mut first));
    let mentions = check_linked(text, &tagged, &plain, fixture);
    for (i, &(t, term)) in mentions.iter().enumerate() {
        assert!(
            fixture.tagged[t].contains(&term),
            "an untagged term ({t}, {term}) was linked"
        );
        assert!(
            !mentions[..i].contains(&(t, term)),
            "term ({t}, {term}) linked twice in `first` mode"
        );
    }
    check_scan(text, fixture);
    markdown::first_paragraph(text);
    linked + mentions.len()
}

/// `linked` is `plain` with mention links around some words; returns the
/// terms linked, in order.
fn check_linked(
    text: &str,
    linked: &Rendered,
    plain: &Rendered,
    fixture: &Fixture,
) -> Vec<TermRef> {
    assert_eq!(
        linked.toc, plain.toc,
        "mention links changed the table of contents"
    );
    assert_eq!(
        linked.word_count, plain.word_count,
        "mention links changed the word count"
    );
    let mut terms = Vec::new();
    let (mut l, mut p) = (linked.html.as_str(), plain.html.as_str());
    loop {
        let same = l.bytes().zip(p.bytes()).take_while(|(a, b)| a == b).count();
        // A mention link starts with `<`, its text with a letter or digit,
        // so `same` never ends inside a link's tag or text.
        let (lt, pt) = (&l.as_bytes()[same..], &p.as_bytes()[same..]);
        if lt.is_empty() && pt.is_empty() {
            break;
        }
        let at = linked.html.len() - l.len() + same;
        let found = fixture.links.iter().enumerate().find_map(|(t, links)| {
            let term = links
                .iter()
                .position(|link| lt.starts_with(link.as_bytes()))?;
            Some((t, term, links[term].len()))
        });
        let Some((t, term, open)) = found else {
            panic!(
                "the linked page differs from the plain one at byte {at}, not at a mention link: {:?}",
                String::from_utf8_lossy(&lt[..lt.len().min(80)])
            );
        };
        let after = &l[same + open..];
        let close = after
            .find("</a>")
            .unwrap_or_else(|| panic!("the mention link at byte {at} is never closed"));
        let inside = &after[..close];
        assert!(
            !inside.is_empty() && !inside.contains('<'),
            "the mention link at byte {at} holds {inside:?}"
        );
        let name = fold(&unescape(inside));
        assert!(
            fixture.names[t][term].contains(&name),
            "the mention link at byte {at} to term ({t}, {term}) holds {inside:?}"
        );
        assert!(
            p[same..].starts_with(inside),
            "the mention link at byte {at} holds {inside:?}, not the page's text"
        );
        if !text.contains('<') {
            // Without raw HTML, every `<a` of the page is a Markdown link's or a mention's.
            assert_eq!(
                link_depth(&linked.html[..at]),
                0,
                "the mention link at byte {at} is inside another link"
            );
        }
        terms.push((t, term));
        l = &after[close + "</a>".len()..];
        p = &p[same + inside.len()..];
    }
    terms
}

/// How many `<a` elements are open at the end of `html`.
fn link_depth(html: &str) -> usize {
    let opened = html.matches("<a ").count() + html.matches("<a>").count();
    opened.saturating_sub(html.matches("</a>").count())
}

/// Text as pulldown-cmark escapes it, unescaped.
fn unescape(html: &str) -> String {
    html.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The mentions `check` and `annotate` find are inside the text, at a line
/// and column that exist, written as a name of their term.
fn check_scan(text: &str, fixture: &Fixture) {
    for found in mentions::scan(text, &fixture.matcher, markdown::options()) {
        assert!(
            text.is_char_boundary(found.offset) && found.offset < text.len(),
            "mention at byte {} of {}",
            found.offset,
            text.len()
        );
        let (position, written) = mentions::position(text, 1, found, &fixture.matcher);
        assert!(
            position.line <= line_count(text),
            "mention on line {}",
            position.line
        );
        if let Some(written) = written {
            let (t, term) = found.term;
            assert!(
                fixture.names[t][term].contains(&fold(written)),
                "{written:?} found as term ({t}, {term})"
            );
        }
    }
}
