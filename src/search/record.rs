//! What the search index keeps of a briefing page, read from its HTML on the
//! render thread that made it.
//!
//! [`extract`] reads a page the way Pagefind's own HTML reader does (the
//! same `lol_html` selectors, the same rules for `data-pagefind-body`,
//! `-ignore`, `-weight`, `-filter`, `-meta`, `-sort` and `-index-attrs`, the
//! same sentence punctuation between blocks and heading weights) and keeps
//! the result as a [`Record`]: the text with Pagefind's weight markers, the
//! filters, the meta and the sort keys. The indexer adds it with
//! `add_custom_record`, which runs it through the same word splitting as a
//! parsed page, so the words, positions, weights, excerpts, titles and
//! filters in the index are those Pagefind would have made from the HTML.
//!
//! One thing is left out: the anchors Pagefind records for elements with an
//! `id` (its "sub-results"), since a custom record cannot carry their text.
//! The search page does not show sub-results; the anchors' markers are
//! dropped from the text, which leaves every word where it was.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::LazyLock;

use lol_html::html_content::Element;
use lol_html::{HtmlRewriter, Settings, element, text};
use regex::Regex;

/// Elements after which Pagefind ends a sentence.
const SENTENCE_ELEMENTS: &[&str] = &[
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "td", "div", "ul", "li", "article", "section",
];
/// Elements Pagefind never reads text from (its `REMOVE_SELECTORS`).
const REMOVED: &str = "html head, html style, html script, html noscript, html label, \
                       html form, html svg, html footer, html nav, html iframe, html template";
/// The marker Pagefind puts in the text where an element with an `id` starts.
const ANCHOR: &str = "___PAGEFIND_ANCHOR___";

/// The last character of a block that needs a full stop after it.
static SENTENCE_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"[\w'"\)\$\*]"#).unwrap_or_else(|e| unreachable!("a fixed pattern: {e}"))
});
/// `name[attribute]` in a `data-pagefind-*` value: the value of that attribute.
static ATTRIBUTE_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?P<name>[^:\[\]]+)\[(?P<attribute>.+)\]\s*$")
        .unwrap_or_else(|e| unreachable!("a fixed pattern: {e}"))
});

/// The version of what [`extract`] makes of a page. A build takes the
/// record of a page whose bytes are those the last build indexed by its
/// hash, without reading the page again, only from the same reader: change
/// this whenever a page's record changes (the test
/// `the_reader_reads_a_page_as_it_did` fails until it is).
pub const READER: u32 = 1;

/// A page as the index takes it (the arguments of Pagefind's
/// `add_custom_record` but its URL and language).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Record {
    /// The text, with Pagefind's weight markers around headings and
    /// weighted elements.
    pub content: String,
    pub filters: BTreeMap<String, Vec<String>>,
    pub meta: BTreeMap<String, String>,
    pub sort: BTreeMap<String, String>,
    /// The page marks its indexed part with `data-pagefind-body`.
    pub has_body: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Status {
    Indexing,
    /// Not text, but filters and meta count.
    Ignored,
    /// Nothing inside counts.
    Excluded,
    Body,
    /// A body is below: its own text is dropped.
    ParentOfBody,
}

/// An element being read. Its text joins its parent's at its end tag.
struct Node {
    value: String,
    parent: Option<usize>,
    filter: Option<Vec<String>>,
    sort: Option<Vec<String>>,
    meta: Option<Vec<String>>,
    default_meta: Option<Vec<String>>,
    weight: Option<String>,
    status: Status,
}

impl Node {
    fn new(parent: Option<usize>, status: Status) -> Node {
        Node {
            value: String::new(),
            parent,
            filter: None,
            sort: None,
            meta: None,
            default_meta: None,
            weight: None,
            status,
        }
    }

    /// `name:value`, or `name` and the element's text.
    fn pair(&self, spec: &str) -> Option<(String, String)> {
        match spec.split_once(':') {
            Some((name, value)) => Some((name.to_string(), normalize(value))),
            None if self.value.is_empty() => None,
            None => Some((spec.to_string(), normalize(&self.value))),
        }
    }
}

/// The attributes of an element the reader acts on, read in one pass over
/// its attributes: looking each up by name would go through them all, and
/// make two strings, for every name asked (nine per element). The first of
/// two attributes of the same name counts, as in a lookup.
#[derive(Default)]
struct Marks {
    ignore: Option<String>,
    body: bool,
    id: Option<String>,
    index_attrs: Option<String>,
    filter: Option<String>,
    meta: Option<String>,
    default_meta: Option<String>,
    sort: Option<String>,
    weight: Option<String>,
}

impl Marks {
    fn of(el: &Element) -> Marks {
        let mut marks = Marks::default();
        for attribute in el.attributes() {
            let name = attribute.name();
            let slot = match name.as_str() {
                "id" => &mut marks.id,
                "data-pagefind-body" => {
                    marks.body = true;
                    continue;
                }
                "data-pagefind-ignore" => &mut marks.ignore,
                "data-pagefind-index-attrs" => &mut marks.index_attrs,
                "data-pagefind-filter" => &mut marks.filter,
                "data-pagefind-meta" => &mut marks.meta,
                "data-pagefind-default-meta" => &mut marks.default_meta,
                "data-pagefind-sort" => &mut marks.sort,
                "data-pagefind-weight" => &mut marks.weight,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(attribute.value());
            }
        }
        marks
    }
}

/// The reader's state: the elements open so far (an arena: an element's
/// text is moved to its parent's at its end tag) and what was collected.
struct Reader {
    nodes: Vec<Node>,
    current: usize,
    anchors: usize,
    filters: BTreeMap<String, Vec<String>>,
    sort: BTreeMap<String, String>,
    meta: BTreeMap<String, String>,
    default_meta: BTreeMap<String, String>,
}

impl Reader {
    fn new() -> Reader {
        Reader {
            nodes: vec![Node::new(None, Status::Indexing)],
            current: 0,
            anchors: 0,
            filters: BTreeMap::new(),
            sort: BTreeMap::new(),
            meta: BTreeMap::new(),
            default_meta: BTreeMap::new(),
        }
    }

    /// An element starts: a node under the current one.
    fn open(&mut self, el: &Element) -> usize {
        let marks = Marks::of(el);
        let ignore = marks
            .ignore
            .map(|value| match value.to_ascii_lowercase().as_str() {
                "" | "index" | "true" => Status::Ignored,
                _ => Status::Excluded,
            });
        let status = if marks.body {
            Status::Body
        } else {
            ignore.unwrap_or(Status::Indexing)
        };
        let tag = el.tag_name();
        let parent = self.current;
        // Where an element with an id starts, unless it is outside a body.
        let parent_status = self.nodes[parent].status;
        if !matches!(status, Status::Excluded | Status::Ignored)
            && (parent_status != Status::ParentOfBody
                || matches!(status, Status::Body | Status::ParentOfBody))
            && let Some(id) = marks.id
        {
            let id: String = id.chars().filter(|c| !c.is_whitespace()).collect();
            let marker = format!(" {ANCHOR}{tag}:{}:{id} ", self.anchors);
            self.nodes[parent].value.push_str(&marker);
            self.anchors += 1;
        }
        if status != Status::Excluded {
            if let Some(attributes) = marks.index_attrs {
                for attribute in attributes.split(',') {
                    let mut value = el.get_attribute(attribute.trim()).unwrap_or_default();
                    if ends_sentence(&value) {
                        value.push('.');
                    }
                    let text = &mut self.nodes[parent].value;
                    text.push(' ');
                    text.push_str(&value);
                    text.push(' ');
                }
            }
            if tag == "br" {
                self.nodes[parent].value.push(' ');
            }
        }
        let mut node = Node::new(
            Some(parent),
            if parent_status == Status::Excluded {
                parent_status
            } else {
                status
            },
        );
        let spec = |value: Option<String>| value.map(|value| attribute_specs(&value, el));
        node.filter = spec(marks.filter);
        node.meta = spec(marks.meta);
        node.default_meta = spec(marks.default_meta);
        node.sort = spec(marks.sort);
        node.weight = marks.weight;
        self.nodes.push(node);
        self.current = self.nodes.len() - 1;
        self.current
    }

    /// Filters, sort keys and meta of an element that has ended.
    fn collect(&mut self, id: usize) {
        let node = &self.nodes[id];
        for spec in node.filter.iter().flatten() {
            if let Some((name, value)) = node.pair(spec) {
                self.filters
                    .entry(name)
                    .or_default()
                    .push(normalize(&value));
            }
        }
        for spec in node.sort.iter().flatten() {
            if let Some((name, value)) = node.pair(spec) {
                self.sort.insert(name, value);
            }
        }
        for spec in node.meta.iter().flatten() {
            if let Some((name, value)) = node.pair(spec) {
                self.meta.insert(name, value);
            }
        }
        for spec in node.default_meta.iter().flatten() {
            if let Some((name, value)) = node.pair(spec) {
                self.default_meta.insert(name, value);
            }
        }
    }

    /// Steps out of element `id` to its parent and gathers its text, unless
    /// it is the root or excluded: the parent, when there is more to do.
    fn leave(&mut self, id: usize) -> Option<usize> {
        let parent = self.nodes[id].parent?;
        self.current = parent;
        if self.nodes[id].status == Status::Excluded {
            return None;
        }
        self.collect(id);
        Some(parent)
    }

    /// The end tag of `id` (`tag` at its start, `end` as closed).
    fn close(&mut self, id: usize, tag: &str, end: &str) {
        let Some(parent) = self.leave(id) else {
            return;
        };
        let node = &self.nodes[id];
        if tag == "h1" && !self.meta.contains_key("auto_title") && !node.value.trim().is_empty() {
            let title = normalize(&node.value);
            self.meta.insert("auto_title".into(), title);
        }
        if tag == "title" && !self.meta.contains_key("auto_page_title") {
            let title = normalize(&node.value);
            self.meta.insert("auto_page_title".into(), title);
        }
        if node.status == Status::Ignored {
            return;
        }
        let mut value = std::mem::take(&mut self.nodes[id].value);
        if SENTENCE_ELEMENTS.contains(&end) {
            value.insert(0, ' ');
            if ends_sentence(&value) {
                value.push('.');
            }
            value.push(' ');
        }
        let node = &self.nodes[id];
        let weight = match (&node.weight, end) {
            (Some(weight), _) => Some(("___PAGEFIND_WEIGHT___", weight.as_str())),
            (None, "h1") => Some(("___PAGEFIND_AUTO_WEIGHT___", "7")),
            (None, "h2") => Some(("___PAGEFIND_AUTO_WEIGHT___", "6")),
            (None, "h3") => Some(("___PAGEFIND_AUTO_WEIGHT___", "5")),
            (None, "h4") => Some(("___PAGEFIND_AUTO_WEIGHT___", "4")),
            (None, "h5") => Some(("___PAGEFIND_AUTO_WEIGHT___", "3")),
            (None, "h6") => Some(("___PAGEFIND_AUTO_WEIGHT___", "2")),
            (None, _) => None,
        };
        if let Some((marker, weight)) = weight {
            value = [
                " ",
                marker,
                weight,
                " ",
                &value,
                " ___END_PAGEFIND_WEIGHT___ ",
            ]
            .concat();
        }
        let status = node.status;
        self.nodes[id].value = value;
        self.attach(id, parent, status, false);
    }

    /// Moves the text of `id` into `parent`'s.
    fn attach(&mut self, id: usize, parent: usize, status: Status, collapsing: bool) {
        let parent_status = self.nodes[parent].status;
        if parent_status == Status::ParentOfBody
            && (collapsing || !matches!(status, Status::Body | Status::ParentOfBody))
        {
            return;
        }
        let value = std::mem::take(&mut self.nodes[id].value);
        let parent = &mut self.nodes[parent];
        match status {
            Status::Ignored | Status::Excluded => {}
            Status::Indexing => parent.value.push_str(&value),
            Status::Body | Status::ParentOfBody => {
                if parent_status != Status::ParentOfBody {
                    parent.value.clear();
                }
                parent.value.push_str(&value);
                parent.status = Status::ParentOfBody;
            }
        }
        self.nodes[id].value = value;
    }

    /// An element with no end tag (`<img>`): done at its start.
    fn close_void(&mut self, id: usize, el: &Element) {
        if self.leave(id).is_none() {
            return;
        }
        if el.tag_name() == "img"
            && !self.meta.contains_key("auto_image")
            && (self.meta.contains_key("auto_title") || self.meta.contains_key("title"))
            && let Some(src) = el.get_attribute("src")
        {
            self.meta.insert("auto_image".into(), normalize(&src));
            if let Some(alt) = el.get_attribute("alt") {
                self.meta.insert("auto_image_alt".into(), normalize(&alt));
            }
        }
    }

    /// The record, once the whole page was read.
    fn finish(mut self) -> Record {
        // Elements left open join their parents, up to the root.
        let mut id = self.current;
        while let Some(parent) = self.nodes[id].parent {
            let status = self.nodes[id].status;
            self.attach(id, parent, status, true);
            id = parent;
        }
        let mut meta = self.meta;
        if let Some(image) = meta.remove("auto_image") {
            let alt = meta.remove("auto_image_alt").unwrap_or_default();
            if !meta.contains_key("image") {
                meta.insert("image".into(), image);
                meta.insert("image_alt".into(), alt);
            }
        }
        for fallback in ["auto_title", "auto_page_title"] {
            if let Some(title) = meta.remove(fallback) {
                meta.entry("title".into()).or_insert(title);
            }
        }
        let mut all_meta = self.default_meta;
        all_meta.extend(meta);
        let root = &self.nodes[id];
        let content = normalize(&root.value)
            .split_whitespace()
            .filter(|word| !word.starts_with(ANCHOR))
            .collect::<Vec<_>>()
            .join(" ");
        Record {
            content,
            filters: self.filters,
            meta: all_meta,
            sort: self.sort,
            has_body: root.status == Status::ParentOfBody,
        }
    }
}

/// Reads a page's record from its HTML.
pub fn extract(html: &[u8]) -> Result<Record, String> {
    let reader = Rc::new(RefCell::new(Reader::new()));
    let on_element = Rc::clone(&reader);
    let on_removed = Rc::clone(&reader);
    let on_text = Rc::clone(&reader);
    let settings = Settings::new()
        .append_element_content_handler(element!("html, html *", move |el| {
            let id = on_element.borrow_mut().open(el);
            let tag = el.tag_name();
            if let Some(handlers) = el.end_tag_handlers() {
                let reader = Rc::clone(&on_element);
                handlers.push(Box::new(move |end| {
                    reader.borrow_mut().close(id, &tag, &end.name());
                    Ok(())
                }));
            } else {
                on_element.borrow_mut().close_void(id, el);
            }
            Ok(())
        }))
        .append_element_content_handler(element!(REMOVED, move |_| {
            let mut reader = on_removed.borrow_mut();
            let current = reader.current;
            reader.nodes[current].status = Status::Ignored;
            Ok(())
        }))
        .append_element_content_handler(text!("html", move |chunk| {
            let mut reader = on_text.borrow_mut();
            let current = reader.current;
            reader.nodes[current].value.push_str(chunk.as_str());
            Ok(())
        }));
    let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
    rewriter.write(html).map_err(|e| e.to_string())?;
    // Like Pagefind, read what was written and do not end the document:
    // ending it would close elements Pagefind leaves open.
    drop(rewriter);
    let reader = Rc::try_unwrap(reader)
        .map_err(|_| "the page reader is still in use".to_string())?
        .into_inner();
    Ok(reader.finish())
}

/// A `data-pagefind-*` value as a list of `name` or `name:value` specs,
/// `name[attribute]` read from the element.
fn attribute_specs(value: &str, el: &Element) -> Vec<String> {
    if let Some((names, literal)) = value.split_once(':') {
        let mut specs = attribute_specs(names, el);
        if let Some(last) = specs.last_mut() {
            last.push(':');
            last.push_str(literal);
        }
        return specs;
    }
    value
        .split(',')
        .map(|chunk| {
            let chunk = chunk.trim();
            match ATTRIBUTE_VALUE.captures(chunk) {
                Some(found) => format!(
                    "{}:{}",
                    &found["name"],
                    el.get_attribute(&found["attribute"]).unwrap_or_default()
                ),
                None => chunk.to_string(),
            }
        })
        .collect()
}

fn ends_sentence(text: &str) -> bool {
    text.chars()
        .last()
        .is_some_and(|c| SENTENCE_END.is_match(c.encode_utf8(&mut [0; 4])))
}

/// Entities decoded, the ends trimmed, a run of white space made one space
/// (a lone white-space character other than a line feed is kept as it is):
/// what Pagefind does to every text it keeps.
fn normalize(text: &str) -> String {
    let decoded = html_escape::decode_html_entities(text);
    let trimmed = decoded.trim();
    let mut out = String::with_capacity(trimmed.len());
    let mut chars = trimmed.chars().peekable();
    while let Some(c) = chars.next() {
        if !c.is_whitespace() {
            out.push(c);
            continue;
        }
        let mut run = 1;
        while chars.next_if(|c| c.is_whitespace()).is_some() {
            run += 1;
        }
        out.push(if run == 1 && c != '\n' { c } else { ' ' });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What [`extract`] makes of a page like a briefing's, as it is for
    /// this [`READER`]. A build trusts the records the last one listed for
    /// pages whose bytes are the same, so a change here must come with a
    /// new `READER`.
    #[test]
    fn the_reader_reads_a_page_as_it_did() {
        let page = r#"<!doctype html><html lang="en"><head><title>Rome</title>
<meta property="og:image" content="/rome.png"></head>
<body><nav>Home · People</nav>
<article data-pagefind-body>
<h1 id="top">Rome &amp; the <em>coalition</em></h1>
<p class="meta" data-pagefind-ignore>3 min read</p>
<p>Ministers met on <time data-pagefind-sort="date:2021-03-04">4 March</time>.</p>
<ul><li><a data-pagefind-filter="people" href="/people/ada/">Ada Lovelace</a></li>
<li><a data-pagefind-filter="countries:Italy" href="/countries/italy/">Italy</a></li></ul>
<h2>Outcome</h2><p data-pagefind-weight="2">Agreed</p>
<img data-pagefind-meta="image[src]" src="/map.png" alt="Map">
<pre><code>let x = 1;</code></pre>
</article><footer>Written by us</footer></body></html>"#;
        let record = extract(page.as_bytes()).expect("a page");
        let pairs = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let expected = Record {
            content: "___PAGEFIND_AUTO_WEIGHT___7 Rome & the coalition. ___END_PAGEFIND_WEIGHT___ \
                      Ministers met on 4 March. Ada Lovelace. Italy. \
                      ___PAGEFIND_AUTO_WEIGHT___6 Outcome. ___END_PAGEFIND_WEIGHT___ \
                      ___PAGEFIND_WEIGHT___2 Agreed. ___END_PAGEFIND_WEIGHT___ let x = 1;"
                .to_string(),
            filters: [
                ("countries".to_string(), vec!["Italy".to_string()]),
                ("people".to_string(), vec!["Ada Lovelace".to_string()]),
            ]
            .into(),
            meta: pairs(&[("image", "/map.png"), ("title", "Rome & the coalition")]),
            sort: pairs(&[("date", "2021-03-04")]),
            has_body: true,
        };
        assert_eq!(
            record, expected,
            "what a page's record is changed: give `READER` a new number"
        );
    }

    #[test]
    fn white_space_is_normalized_as_pagefind_does() {
        assert_eq!(
            normalize("  a\n\nb\tc \t d &amp; e\r\nf\rg \n"),
            "a b\tc d & e f\rg"
        );
    }
}
