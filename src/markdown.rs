//! Markdown to HTML with pulldown-cmark, in one pass over the events.
//!
//! On top of CommonMark: tables, footnotes, strikethrough, task lists, smart
//! punctuation, GFM callouts (`> [!NOTE]`, rendered as `div.callout`), unique
//! heading ids collected into a table of contents, and fenced code highlighted
//! by [`Highlighter`]. Raw HTML passes through: authors are trusted.

use std::collections::VecDeque;

use rustc_hash::FxHashSet as HashSet;

use pulldown_cmark::{
    BlockQuoteKind, CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd,
};
use pulldown_cmark_escape::escape_html;

use crate::highlight::Highlighter;
use crate::mentions::{Eligibility, Linker};

/// One heading, for the table of contents.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub title: String,
}

/// A rendered Markdown body.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub html: String,
    pub toc: Vec<Heading>,
    pub word_count: usize,
}

/// The Markdown extensions dossier enables (also used to scan for mentions).
pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_GFM
}

/// Renders `markdown` to HTML, linking mentions of terms when given a linker.
pub fn render(
    markdown: &str,
    highlighter: &Highlighter,
    linker: Option<&mut Linker<'_>>,
) -> Rendered {
    render_among(
        markdown,
        highlighter,
        linker,
        &std::collections::HashSet::new(),
    )
}

/// [`render`] for a page whose template already writes the ids in `taken`
/// (`main`, say): a heading whose slug is one of them gets another
/// (`main-1`), so each id, and each link to it, names one element.
pub fn render_among(
    markdown: &str,
    highlighter: &Highlighter,
    linker: Option<&mut Linker<'_>>,
    taken: &std::collections::HashSet<String>,
) -> Rendered {
    let mut annotate = Annotate {
        parser: Parser::new_ext(markdown, options()),
        highlighter,
        pending: VecDeque::new(),
        ids: HeadingIds {
            taken,
            used: HashSet::default(),
            next: rustc_hash::FxHashMap::default(),
        },
        out: Rendered::default(),
        eligibility: Eligibility::default(),
        linker,
    };
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, annotate.by_ref());
    let mut out = annotate.out;
    out.html = html;
    out
}

/// The plain text of the first top-level paragraph, reading no further than
/// its end: what a summary is made from when the front matter has none.
pub fn first_paragraph(markdown: &str) -> Option<String> {
    let mut depth = 0usize;
    let mut text: Option<String> = None;
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Start(Tag::Paragraph) if depth == 0 => text = Some(String::new()),
            Event::End(TagEnd::Paragraph) if depth == 0 => {
                let words = text.take().unwrap_or_default();
                let words: Vec<&str> = words.split_whitespace().collect();
                if !words.is_empty() {
                    return Some(words.join(" "));
                }
            }
            Event::Start(_) if text.is_none() => depth += 1,
            Event::End(_) if text.is_none() => depth = depth.saturating_sub(1),
            Event::Text(t) | Event::Code(t) => {
                if let Some(p) = text.as_mut() {
                    p.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(p) = text.as_mut() {
                    p.push(' ');
                }
            }
            _ => {}
        }
    }
    None
}

/// Streams the parser's events to the HTML writer, rewriting headings (ids),
/// code blocks (highlighting) and callouts on the way, and noting the table of
/// contents, word count and first paragraph. Only a heading's or a code
/// block's own events are ever buffered.
struct Annotate<'a, 'h, 'l, 'm> {
    parser: Parser<'a>,
    highlighter: &'h Highlighter,
    pending: VecDeque<Event<'a>>,
    ids: HeadingIds<'h>,
    out: Rendered,
    /// Where in the text mentions may be linked.
    eligibility: Eligibility,
    linker: Option<&'l mut Linker<'m>>,
}

impl<'a> Iterator for Annotate<'a, '_, '_, '_> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        let event = match self.pending.pop_front() {
            Some(event) => event,
            None => {
                let event = self.parser.next()?;
                self.annotate(event)
            }
        };
        Some(note_ids(event))
    }
}

/// A footnote's reference and definition with their label prefixed by
/// `fn:`, which pulldown-cmark writes as the note's `id` and the
/// reference's `href`: a bare label (`[^1]`, `[^main]`) would be the id of
/// a heading (`## 1`) or of the page's own `<main id="main">`. Heading ids
/// are slugs and never hold a colon. What the reader sees is the note's
/// number either way.
fn note_ids(event: Event<'_>) -> Event<'_> {
    match event {
        Event::FootnoteReference(label) => Event::FootnoteReference(note_id(&label)),
        Event::Start(Tag::FootnoteDefinition(label)) => {
            Event::Start(Tag::FootnoteDefinition(note_id(&label)))
        }
        other => other,
    }
}

fn note_id(label: &str) -> CowStr<'static> {
    CowStr::from(format!("fn:{label}"))
}

impl<'a> Annotate<'a, '_, '_, '_> {
    fn annotate(&mut self, event: Event<'a>) -> Event<'a> {
        // Headings and code blocks are consumed whole below, their ends never
        // reach this point, so they are kept out of the eligibility count.
        let consumed_whole = matches!(event, Event::Start(Tag::Heading { .. } | Tag::CodeBlock(_)));
        let eligible = !consumed_whole && self.eligibility.accepts(&event);
        match event {
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs,
            }) => {
                let inner = take_until_end(&mut self.parser);
                let title = plain_text(&inner);
                self.out.word_count += count_words(&title);
                let id = self.ids.unique(id.as_deref().unwrap_or(&title));
                self.out.toc.push(Heading {
                    level: heading_number(level),
                    id: id.clone(),
                    title,
                });
                self.pending.extend(inner);
                self.pending.push_back(Event::End(TagEnd::Heading(level)));
                Event::Start(Tag::Heading {
                    level,
                    id: Some(CowStr::from(id)),
                    classes,
                    attrs,
                })
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let code = plain_text(&take_until_end(&mut self.parser));
                let language = match &kind {
                    CodeBlockKind::Fenced(info) => language_of(info),
                    CodeBlockKind::Indented => "",
                };
                Event::Html(CowStr::from(code_block(language, &code, self.highlighter)))
            }
            Event::Start(Tag::BlockQuote(Some(kind))) => {
                let (class, title) = callout(kind);
                Event::Html(CowStr::from(format!(
                    "<div class=\"callout callout-{class}\" role=\"note\">\n<p class=\"callout-title\">{title}</p>\n"
                )))
            }
            Event::End(TagEnd::BlockQuote(Some(_))) => Event::Html(CowStr::from("</div>\n")),
            Event::Text(ref text) => {
                self.out.word_count += count_words(text);
                let linked = match self.linker.as_mut() {
                    Some(linker) if eligible => linker.link(text),
                    _ => None,
                };
                match linked {
                    Some(events) => {
                        let mut events = events.into_iter();
                        let first = events.next().unwrap_or(event);
                        // Ahead of anything already pending: these come first.
                        for (i, e) in events.enumerate() {
                            self.pending.insert(i, e);
                        }
                        first
                    }
                    None => event,
                }
            }
            other => other,
        }
    }
}

/// The events up to the end of the element just opened (nested ones included).
fn take_until_end<'a>(parser: &mut Parser<'a>) -> Vec<Event<'a>> {
    let mut inner = Vec::new();
    let mut level = 1usize;
    for event in parser.by_ref() {
        match &event {
            Event::Start(_) => level += 1,
            Event::End(_) => {
                level -= 1;
                if level == 0 {
                    break;
                }
            }
            _ => {}
        }
        inner.push(event);
    }
    inner
}

fn plain_text(events: &[Event<'_>]) -> String {
    let mut text = String::new();
    for event in events {
        match event {
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                text.push_str(t)
            }
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            _ => {}
        }
    }
    text
}

/// Words are runs of characters other than white space; counted on bytes.
/// Every byte up to the ASCII space counts as white space (tab, line breaks
/// and the control characters prose never holds), which keeps the test one
/// comparison; non-ASCII spaces (rare in prose) do not split words, close
/// enough for a reading time. A word starts at a byte that is not white
/// space and opens the text or follows white space: counted pair by pair
/// without branches, into a byte per run of 255 pairs (which cannot
/// overflow it), so that the compiler compares and adds 16 or 32 bytes at a
/// step rather than widening each flag to a `usize`.
fn count_words(text: &str) -> usize {
    const RUN: usize = 255;
    let bytes = text.as_bytes();
    let Some((&first, rest)) = bytes.split_first() else {
        return 0;
    };
    let space = |b: u8| b <= b' ';
    let later: usize = bytes
        .chunks(RUN)
        .zip(rest.chunks(RUN))
        .map(|(before, at)| {
            let starts = before.iter().zip(at).fold(0u8, |sum, (&b, &a)| {
                sum.wrapping_add(u8::from(space(b) & !space(a)))
            });
            usize::from(starts)
        })
        .sum();
    usize::from(!space(first)) + later
}

fn heading_number(level: HeadingLevel) -> u8 {
    level as u8
}

/// The heading ids given so far on a page, and for each base the next
/// suffix to try, so that a thousand headings of one name cost a thousand
/// steps, not half a million.
struct HeadingIds<'t> {
    /// Ids the page's template writes: never given.
    taken: &'t std::collections::HashSet<String>,
    used: HashSet<String>,
    next: rustc_hash::FxHashMap<String, usize>,
}

impl HeadingIds<'_> {
    /// Takes `id` for a heading if neither the template nor another heading has it.
    fn claim(&mut self, id: &str) -> bool {
        !self.taken.contains(id) && self.used.insert(id.to_string())
    }

    /// An id for a heading, unique within the page: `context`, `context-1`, …
    fn unique(&mut self, text: &str) -> String {
        let base = match slug::slugify(text) {
            s if s.is_empty() => "section".to_string(),
            s => s,
        };
        if self.claim(&base) {
            return base;
        }
        let mut n = self.next.get(&base).copied().unwrap_or(1);
        let id = loop {
            let id = format!("{base}-{n}");
            n += 1;
            if self.claim(&id) {
                break id;
            }
        };
        self.next.insert(base, n);
        id
    }
}

/// The language named by a fence's info string (` ```rust,ignore ` → `rust`).
fn language_of(info: &str) -> &str {
    info.split([' ', ',', '{', '\t'])
        .find(|s| !s.is_empty())
        .unwrap_or("")
}

fn code_block(language: &str, code: &str, highlighter: &Highlighter) -> String {
    let mut html = String::with_capacity(code.len() * 2 + 64);
    let highlighted = if language.is_empty() {
        None
    } else {
        highlighter.highlight(language, code)
    };
    match highlighted {
        Some(spans) => {
            html.push_str("<pre class=\"code\" data-lang=\"");
            let _ = escape_html(&mut html, language);
            html.push_str("\"><code>");
            html.push_str(&spans);
        }
        None if language.is_empty() => {
            html.push_str("<pre><code>");
            let _ = escape_html(&mut html, code);
        }
        None => {
            html.push_str("<pre><code class=\"language-");
            let _ = escape_html(&mut html, language);
            html.push_str("\">");
            let _ = escape_html(&mut html, code);
        }
    }
    html.push_str("</code></pre>\n");
    html
}

fn callout(kind: BlockQuoteKind) -> (&'static str, &'static str) {
    match kind {
        BlockQuoteKind::Note => ("note", "Note"),
        BlockQuoteKind::Tip => ("tip", "Tip"),
        BlockQuoteKind::Important => ("important", "Important"),
        BlockQuoteKind::Warning => ("warning", "Warning"),
        BlockQuoteKind::Caution => ("caution", "Caution"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(markdown: &str) -> Rendered {
        render(markdown, &Highlighter::new(), None)
    }

    #[test]
    fn repeated_headings_count_on_past_ids_already_taken() {
        let r = html("## Same\n\n## Other {#same-1}\n\n## Same\n\n## Same\n");
        let ids: Vec<_> = r.toc.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["same", "same-1", "same-2", "same-3"]);
        let many = "## Notes\n\n".repeat(2000);
        let r = html(&many);
        let ids: HashSet<&str> = r.toc.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids.len(), 2000);
        assert!(ids.contains("notes-1999"));
    }

    #[test]
    fn headings_get_unique_ids_and_a_toc() {
        let r = html("## Context\n\ntext\n\n## Context\n\n### What's next {#next}\n");
        let ids: Vec<_> = r.toc.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["context", "context-1", "next"]);
        assert!(r.html.contains("<h2 id=\"context-1\">"), "{}", r.html);
        assert_eq!(r.toc[2].level, 3);
    }

    #[test]
    fn callouts_become_divs() {
        let r = html("> [!WARNING]\n> Mind the gap.\n");
        assert!(
            r.html.contains("<div class=\"callout callout-warning\""),
            "{}",
            r.html
        );
        assert!(r.html.contains("Mind the gap."));
    }

    #[test]
    fn code_is_highlighted_or_escaped() {
        let r = html("```rust\nlet x = 1;\n```\n\n```nosuchlang\n<b>\n```\n");
        assert!(r.html.contains("<pre class=\"code\" data-lang=\"rust\">"));
        assert!(
            r.html.contains("class=\"language-nosuchlang\">&lt;b&gt;"),
            "{}",
            r.html
        );
    }

    #[test]
    fn words_start_after_spaces_and_at_the_start() {
        for (text, words) in [
            ("", 0),
            (" ", 0),
            ("a", 1),
            (" a", 1),
            ("a ", 1),
            ("  two \t words\n", 2),
            ("one\ttwo\nthree\r\nfour\x0cfive", 5),
            ("café au lait", 3),
            ("no\u{a0}break", 1),
        ] {
            assert_eq!(count_words(text), words, "{text:?}");
        }
    }

    #[test]
    fn long_texts_are_counted_across_runs_of_bytes() {
        // Words of every length up to 300 bytes, so that word starts fall on
        // and around every boundary of the 255-byte runs counted at a time.
        let mut text = String::new();
        for length in 1..300 {
            text.push_str(&"x".repeat(length));
            text.push(if length % 3 == 0 { '\n' } else { ' ' });
        }
        text.push_str(&"a ".repeat(400));
        // The same rule, a character at a time.
        let words = |text: &str| {
            text.split(|c: char| c <= ' ')
                .filter(|w| !w.is_empty())
                .count()
        };
        assert_eq!(words(&text), 299 + 400);
        for cut in [0, 1, 254, 255, 256, 510, text.len()] {
            let part = &text[cut..];
            assert_eq!(count_words(part), words(part), "from byte {cut}");
        }
    }

    #[test]
    fn first_paragraph_and_words_are_counted() {
        let text = "# Title\n\n> quoted\n\n- item\n\n  loose item\n\nThe *first* paragraph\nhere.\n\nSecond one.\n";
        assert_eq!(
            first_paragraph(text).as_deref(),
            Some("The first paragraph here.")
        );
        assert_eq!(html(text).word_count, 11);
        assert_eq!(first_paragraph("## Only a heading\n"), None);
    }
}
