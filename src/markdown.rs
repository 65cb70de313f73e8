//! Markdown to HTML with pulldown-cmark, in one pass over the events.
//!
//! On top of CommonMark: tables, footnotes, strikethrough, task lists, smart
//! punctuation, GFM callouts (`> [!NOTE]`, rendered as `div.callout`), unique
//! heading ids collected into a table of contents, and fenced code highlighted
//! by [`Highlighter`]. Raw HTML passes through: authors are trusted.

use rustc_hash::FxHashSet as HashSet;

use pulldown_cmark::{
    BlockQuoteKind, CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd,
};
use pulldown_cmark_escape::escape_html;

use crate::highlight::Highlighter;

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
    /// The plain text of the first paragraph, for a summary when none is given.
    pub first_paragraph: Option<String>,
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_GFM
}

/// Renders `markdown` to HTML.
pub fn render(markdown: &str, highlighter: &Highlighter) -> Rendered {
    let mut out = Rendered::default();
    let mut events: Vec<Event<'_>> = Vec::new();
    let mut ids = HashSet::default();
    let mut parser = Parser::new_ext(markdown, options());
    let mut depth = 0usize; // nesting of block containers, to find top-level paragraphs
    let mut paragraph: Option<String> = None;

    while let Some(event) = parser.next() {
        match event {
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs,
            }) => {
                let inner = take_until_end(&mut parser);
                let title = plain_text(&inner);
                out.word_count += count_words(&title);
                let id = unique_id(id.as_deref().unwrap_or(&title), &mut ids);
                out.toc.push(Heading {
                    level: heading_number(level),
                    id: id.clone(),
                    title,
                });
                events.push(Event::Start(Tag::Heading {
                    level,
                    id: Some(CowStr::from(id)),
                    classes,
                    attrs,
                }));
                events.extend(inner);
                events.push(Event::End(TagEnd::Heading(level)));
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let code = plain_text(&take_until_end(&mut parser));
                let language = match &kind {
                    CodeBlockKind::Fenced(info) => language_of(info),
                    CodeBlockKind::Indented => "",
                };
                events.push(Event::Html(CowStr::from(code_block(
                    language,
                    &code,
                    highlighter,
                ))));
            }
            Event::Start(Tag::BlockQuote(Some(kind))) => {
                depth += 1;
                let (class, title) = callout(kind);
                events.push(Event::Html(CowStr::from(format!(
                    "<div class=\"callout callout-{class}\" role=\"note\">\n<p class=\"callout-title\">{title}</p>\n"
                ))));
            }
            Event::End(TagEnd::BlockQuote(Some(_))) => {
                depth = depth.saturating_sub(1);
                events.push(Event::Html(CowStr::from("</div>\n")));
            }
            Event::Start(Tag::Paragraph) => {
                if depth == 0 && out.first_paragraph.is_none() {
                    paragraph = Some(String::new());
                }
                events.push(Event::Start(Tag::Paragraph));
            }
            Event::End(TagEnd::Paragraph) => {
                if let Some(text) = paragraph.take() {
                    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                    if !text.is_empty() {
                        out.first_paragraph = Some(text);
                    }
                }
                events.push(Event::End(TagEnd::Paragraph));
            }
            Event::Start(
                tag @ (Tag::BlockQuote(None)
                | Tag::List(_)
                | Tag::FootnoteDefinition(_)
                | Tag::Table(_)
                | Tag::HtmlBlock),
            ) => {
                depth += 1;
                events.push(Event::Start(tag));
            }
            Event::End(
                tag @ (TagEnd::BlockQuote(None)
                | TagEnd::List(_)
                | TagEnd::FootnoteDefinition
                | TagEnd::Table
                | TagEnd::HtmlBlock),
            ) => {
                depth = depth.saturating_sub(1);
                events.push(Event::End(tag));
            }
            Event::Text(text) => {
                out.word_count += count_words(&text);
                if let Some(p) = paragraph.as_mut() {
                    p.push_str(&text);
                }
                events.push(Event::Text(text));
            }
            Event::Code(code) => {
                if let Some(p) = paragraph.as_mut() {
                    p.push_str(&code);
                }
                events.push(Event::Code(code));
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(p) = paragraph.as_mut() {
                    p.push(' ');
                }
                events.push(event);
            }
            other => events.push(other),
        }
    }
    out.html.reserve(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut out.html, events.into_iter());
    out
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

/// Words are runs of non-space characters; counted on bytes, since every
/// ASCII space byte is a space character in UTF-8 too. Non-ASCII spaces (rare
/// in prose) do not split words, which is close enough for a reading time.
fn count_words(text: &str) -> usize {
    let mut words = 0;
    let mut in_word = false;
    for &byte in text.as_bytes() {
        let space = byte.is_ascii_whitespace();
        words += usize::from(!space && !in_word);
        in_word = !space;
    }
    words
}

fn heading_number(level: HeadingLevel) -> u8 {
    level as u8
}

/// An id for a heading, unique within the page: `context`, `context-1`, …
fn unique_id(text: &str, used: &mut HashSet<String>) -> String {
    let base = match slug::slugify(text) {
        s if s.is_empty() => "section".to_string(),
        s => s,
    };
    let mut id = base.clone();
    let mut n = 1;
    while !used.insert(id.clone()) {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
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
        render(markdown, &Highlighter::new())
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
    fn first_paragraph_and_words_are_counted() {
        let r = html("# Title\n\nThe *first* paragraph\nhere.\n\nSecond one.\n");
        assert_eq!(
            r.first_paragraph.as_deref(),
            Some("The first paragraph here.")
        );
        assert_eq!(r.word_count, 7);
    }
}
