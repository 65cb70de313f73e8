//! Mentions: finding the names and aliases of known terms in a briefing's
//! text, to link them to their pages (rendering) or to suggest tags (`check`,
//! `annotate`).
//!
//! One multi-pattern automaton (an aho-corasick NFA) holds every name and
//! alias of every term and is built once per build, so a briefing costs one
//! pass over its text however many terms the archive knows. Matches are whole words
//! (Unicode letters and digits on neither side), the longest wins where
//! candidates overlap, and short all-capital aliases ("US", "UN") match only
//! in capitals so that "us" is never the United States. Names match with or
//! without their diacritics ("Erdoğan", "Erdogan").

use aho_corasick::automaton::Automaton;
use aho_corasick::nfa::contiguous::NFA;
use aho_corasick::{Anchored, MatchKind};
use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Deserialize;

use crate::diag::Position;
use crate::index::{Archive, BriefingId, fold};
use crate::swar::{HIGH, ONES};

/// Which mentions of a term become links.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MentionMode {
    /// The first mention of each term in a briefing.
    #[default]
    First,
    /// Every mention.
    All,
    /// None: no mention links at all.
    None,
}

/// Which terms' mentions become links.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MentionScope {
    /// Only the terms the briefing is tagged with.
    #[default]
    Tagged,
    /// Every term the archive knows.
    All,
}

pub use crate::index::TermRef;

/// One pattern of the automaton.
#[derive(Debug)]
struct Pattern {
    term: TermRef,
    /// Short all-capital aliases must match exactly, not ignoring case.
    exact: bool,
}

/// A mention found in a text: byte range and the term it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub start: usize,
    pub end: usize,
    pub term: TermRef,
}

/// Every name and alias of every term, ready to search.
pub struct Matcher {
    /// Walked anchored, from where a mention may begin. A contiguous NFA,
    /// not a DFA: a few hundred KB for thousands of names rather than tens
    /// of MB, and the few words the filter lets through cost about the same.
    automaton: Option<NFA>,
    patterns: Vec<Pattern>,
    /// The first word of every pattern, ASCII letters lowercased, as a
    /// one-hash Bloom filter: a whole-word mention starts with a whole word,
    /// so a word not in here starts none (a few per hundred that are not
    /// get through, and are ruled out by the automaton).
    first_words: FirstWords,
    /// Whether some pattern starts with a character that is not a letter or
    /// digit ("#MeToo"): such a pattern may start anywhere, not only at a
    /// word's start.
    odd_starts: bool,
}

impl Matcher {
    /// Builds the automaton over the archive's terms: each term's name and
    /// its profile's aliases, each also without diacritics.
    pub fn new(archive: &Archive) -> Matcher {
        let mut texts: Vec<String> = Vec::new();
        let mut patterns = Vec::new();
        for (t, taxonomy) in archive.taxonomies.iter().enumerate() {
            for (i, term) in taxonomy.terms.iter().enumerate() {
                let aliases = term.profile.iter().flat_map(|p| p.aliases.iter());
                for name in std::iter::once(&term.name).chain(aliases) {
                    let name = name.trim();
                    if name.is_empty() {
                        continue;
                    }
                    let exact = is_short_capitals(name);
                    let ascii = deunicode::deunicode(name);
                    if ascii != name {
                        texts.push(ascii);
                        patterns.push(Pattern {
                            term: (t, i),
                            exact,
                        });
                    }
                    texts.push(name.to_string());
                    patterns.push(Pattern {
                        term: (t, i),
                        exact,
                    });
                }
            }
        }
        let odd_starts = texts
            .iter()
            .any(|text| !text.chars().next().is_some_and(is_word_char));
        let first_words = FirstWords::new(texts.iter().map(|text| word_end(text, 0).1));
        let automaton = NFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&texts)
            .ok();
        Matcher {
            automaton,
            patterns,
            first_words,
            odd_starts,
        }
    }

    /// The mentions in `text`: whole words, longest first where they overlap,
    /// in order of position.
    ///
    /// Rather than run the automaton over every byte and sort out the
    /// overlapping matches, it is walked only from the start of a word that
    /// some name begins with (a small set of hashes, checked first, rules out
    /// "the", "said" and most other words without touching the automaton);
    /// the longest whole-word name that starts there wins and the search
    /// resumes after it.
    pub fn find(&self, text: &str) -> Vec<Hit> {
        let Some(automaton) = &self.automaton else {
            return Vec::new();
        };
        let mut hits = Vec::new();
        let mut at = 0;
        let bytes = text.as_bytes();
        while at < text.len() {
            // Spaces and punctuation, the common case between words.
            if !self.odd_starts {
                while bytes
                    .get(at)
                    .is_some_and(|b| b.is_ascii() && !b.is_ascii_alphanumeric())
                {
                    at += 1;
                }
                if at == text.len() {
                    break;
                }
            }
            let (word, width) = char_at(text, at);
            let found = if word {
                let (end, hash) = word_end(text, at);
                let hit = if self.first_words.may_hold(hash) {
                    self.longest_at(automaton, text, at)
                } else {
                    None
                };
                // No mention starts inside a word.
                at = hit.map_or(end, |hit| hit.end);
                hit
            } else {
                let hit = if self.odd_starts {
                    self.longest_at(automaton, text, at)
                } else {
                    None
                };
                at = hit.map_or(at + width, |hit| hit.end);
                hit
            };
            hits.extend(found);
        }
        hits
    }

    /// The longest whole-word mention that starts at `start`, if any.
    fn longest_at(&self, automaton: &NFA, text: &str, start: usize) -> Option<Hit> {
        let mut state = automaton.start_state(Anchored::Yes).ok()?;
        let mut best: Option<Hit> = None;
        for (end, &byte) in text.as_bytes().iter().enumerate().skip(start) {
            state = automaton.next_state(Anchored::Yes, state, byte);
            if !automaton.is_special(state) {
                continue;
            }
            if automaton.is_dead(state) {
                break;
            }
            let end = end + 1;
            for i in 0..automaton.match_len(state) {
                let id = automaton.match_pattern(state, i);
                // A match state also holds the names that end here but
                // start later (suffixes of the path walked): skip them.
                if end.checked_sub(automaton.pattern_len(id)) != Some(start) {
                    continue;
                }
                let pattern = &self.patterns[id.as_usize()];
                if best.is_some_and(|b| b.end >= end)
                    || !is_word_boundary(text, start, end)
                    || (pattern.exact && !all_capitals(&text[start..end]))
                {
                    continue;
                }
                best = Some(Hit {
                    start,
                    end,
                    term: pattern.term,
                });
            }
        }
        best
    }
}

/// Text that matched an exact pattern must be in capitals as the pattern is.
fn all_capitals(text: &str) -> bool {
    text.chars().all(|c| !c.is_alphabetic() || c.is_uppercase())
}

/// "US", "UN", "EU", "U.S.": two to four capital letters, perhaps with dots.
fn is_short_capitals(name: &str) -> bool {
    let letters: Vec<char> = name.chars().filter(|c| c.is_alphabetic()).collect();
    (1..=4).contains(&letters.len())
        && letters.iter().all(|c| c.is_uppercase())
        && name.chars().all(|c| c.is_alphabetic() || c == '.')
}

/// Whether `text[start..end]` stands as whole words: no letter or digit
/// joins it on either side (only checked where the match itself ends in one).
fn is_word_boundary(text: &str, start: usize, end: usize) -> bool {
    let (Some(matched), Some(before), Some(after)) =
        (text.get(start..end), text.get(..start), text.get(end..))
    else {
        return false;
    };
    let word = is_word_char;
    let starts_word = matched.chars().next().is_some_and(word);
    let ends_word = matched.chars().next_back().is_some_and(word);
    let clear_before = !starts_word || !before.chars().next_back().is_some_and(word);
    let clear_after = !ends_word || !after.chars().next().is_some_and(word);
    clear_before && clear_after
}

/// Letters and digits make words; anything else separates them.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// A set of word hashes that may answer "yes" for a word not in it, but
/// never "no" for one that is: 2^18 bits (32 KiB), so it stays in cache
/// while a text is searched.
struct FirstWords(Vec<u64>);

impl FirstWords {
    const BITS: u32 = 18;

    fn new(hashes: impl Iterator<Item = u64>) -> FirstWords {
        let mut bits = vec![0u64; 1 << (Self::BITS - 6)];
        for hash in hashes {
            let bit = Self::bit(hash);
            bits[bit / 64] |= 1 << (bit % 64);
        }
        FirstWords(bits)
    }

    fn bit(hash: u64) -> usize {
        // The top bits: the last multiply of `WordHash::finish` mixes them best.
        (hash >> (64 - Self::BITS)) as usize
    }

    fn may_hold(&self, hash: u64) -> bool {
        let bit = Self::bit(hash);
        self.0[bit / 64] & (1 << (bit % 64)) != 0
    }
}

/// Whether the character at byte `at` is a word character, and its width.
fn char_at(text: &str, at: usize) -> (bool, usize) {
    match text.as_bytes().get(at) {
        Some(b) if b.is_ascii() => (b.is_ascii_alphanumeric(), 1),
        _ => text
            .get(at..)
            .and_then(|rest| rest.chars().next())
            .map_or((false, 1), |c| (is_word_char(c), c.len_utf8())),
    }
}

/// Where the word starting at byte `start` ends, and the hash of its bytes
/// with ASCII letters lowercased (as the automaton compares them). ASCII
/// letters and digits are taken eight at a time; a word is hashed the same
/// however its bytes were taken (see [`WordHash`]).
fn word_end(text: &str, start: usize) -> (usize, u64) {
    let bytes = text.as_bytes();
    let mut hash = WordHash::default();
    let mut at = start;
    // Whole steps of eight, the common case, without a branch a byte.
    while let Some(step) = bytes
        .get(at..at + 8)
        .and_then(|s| <[u8; 8]>::try_from(s).ok())
    {
        let step = u64::from_le_bytes(step);
        let run = ascii_alphanumeric_run(step);
        at += run;
        if run < 8 {
            hash.last(lowercase(step), run);
            if bytes[at].is_ascii() {
                // Neither a letter nor a digit: the word ends here.
                return (at, hash.finish());
            }
            break;
        }
        hash.eight(lowercase(step));
    }
    // The last few bytes of the text, and characters beyond ASCII.
    loop {
        while let Some(&byte) = bytes.get(at).filter(|b| b.is_ascii_alphanumeric()) {
            hash.byte(byte.to_ascii_lowercase());
            at += 1;
        }
        match text.get(at..).and_then(|rest| rest.chars().next()) {
            Some(c) if !c.is_ascii() && is_word_char(c) => {
                let width = c.len_utf8();
                bytes[at..at + width].iter().for_each(|&b| hash.byte(b));
                at += width;
            }
            _ => return (at, hash.finish()),
        }
    }
}

/// How many of the eight bytes in `step` (little-endian), from the first,
/// are ASCII letters or digits: each byte is range-checked in place. Below
/// 0x80 a byte plus at most 0x7f cannot carry into the next, so adding
/// `0x80 - lo` sets a byte's top bit exactly when it is `lo` or more.
fn ascii_alphanumeric_run(step: u64) -> usize {
    let ascii = !step & HIGH;
    let low = step & !HIGH;
    let at_least = |v: u64, lo: u8| v + ONES * u64::from(0x80 - lo);
    let above = |v: u64, hi: u8| v + ONES * u64::from(0x7f - hi);
    let folded = lowercase(low);
    let letter = at_least(folded, b'a') & !above(folded, b'z');
    let digit = at_least(low, b'0') & !above(low, b'9');
    let alphanumeric = (letter | digit) & ascii & HIGH;
    ((!alphanumeric & HIGH).trailing_zeros() / 8) as usize
}

/// ASCII letters and digits of `step` as the automaton compares them: a
/// letter's 0x20 bit set (lowercase), which digits have already.
fn lowercase(step: u64) -> u64 {
    step | (ONES * 0x20)
}

/// A word's hash: its bytes in eight-byte chunks from its first, each folded
/// in with a multiply, the last chunk zero-padded, then its length. Fed
/// eight at a time or a byte at a time, a word hashes the same.
#[derive(Default)]
struct WordHash {
    state: u64,
    chunk: u64,
    filled: u32,
    len: u64,
}

impl WordHash {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;

    fn eight(&mut self, chunk: u64) {
        self.chunk = chunk;
        self.len += 8;
        self.mix();
    }

    /// The first `n` (under eight) bytes of `step`, after whole chunks only.
    fn last(&mut self, step: u64, n: usize) {
        if n > 0 {
            self.chunk = step & (u64::MAX >> (64 - 8 * n));
            self.filled = n as u32;
            self.len += n as u64;
        }
    }

    fn byte(&mut self, byte: u8) {
        self.chunk |= u64::from(byte) << (8 * self.filled);
        self.filled += 1;
        self.len += 1;
        if self.filled == 8 {
            self.mix();
        }
    }

    fn mix(&mut self) {
        self.state = (self.state ^ self.chunk)
            .wrapping_mul(Self::K)
            .rotate_left(31);
        self.chunk = 0;
        self.filled = 0;
    }

    fn finish(self) -> u64 {
        let h = (self.state ^ self.chunk ^ self.len.rotate_right(8)).wrapping_mul(Self::K);
        h ^ (h >> 29)
    }
}

/// Walks a Markdown text's events and says which text may hold mentions:
/// never inside code, a link, a heading, an image (its alt text) or raw HTML.
#[derive(Debug, Default)]
pub struct Eligibility {
    link: usize,
    heading: usize,
    image: usize,
    raw_link: usize,
    /// Fenced and indented code blocks (the renderer consumes them whole,
    /// but [`scan`] sees their text).
    code: usize,
}

impl Eligibility {
    /// Notes an event; returns whether it is a `Text` event whose words may be linked.
    pub fn accepts(&mut self, event: &Event<'_>) -> bool {
        match event {
            Event::Start(Tag::Link { .. }) => self.link += 1,
            Event::End(TagEnd::Link) => self.link = self.link.saturating_sub(1),
            Event::Start(Tag::Heading { .. }) => self.heading += 1,
            Event::End(TagEnd::Heading(_)) => self.heading = self.heading.saturating_sub(1),
            Event::Start(Tag::Image { .. }) => self.image += 1,
            Event::End(TagEnd::Image) => self.image = self.image.saturating_sub(1),
            Event::Start(Tag::CodeBlock(_)) => self.code += 1,
            Event::End(TagEnd::CodeBlock) => self.code = self.code.saturating_sub(1),
            // Raw HTML, inline or a block: a link it opens and does not
            // close covers the text that follows until its `</a>`.
            Event::InlineHtml(html) | Event::Html(html) => {
                let (opened, closed) = raw_links(html);
                self.raw_link = (self.raw_link + opened).saturating_sub(closed);
            }
            Event::Text(_) => {
                return self.link == 0
                    && self.heading == 0
                    && self.image == 0
                    && self.raw_link == 0
                    && self.code == 0;
            }
            _ => {}
        }
        false
    }
}

/// How many `<a …>` tags a piece of raw HTML opens and how many `</a>` it
/// closes, in any case.
fn raw_links(html: &str) -> (usize, usize) {
    let bytes = html.as_bytes();
    let (mut opened, mut closed) = (0, 0);
    for (at, _) in html.match_indices('<') {
        let rest = &bytes[at + 1..];
        let (closing, name) = match rest.first() {
            Some(b'/') => (true, &rest[1..]),
            _ => (false, rest),
        };
        let is_a = name.first().is_some_and(|b| b.eq_ignore_ascii_case(&b'a'))
            && name
                .get(1)
                .is_none_or(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/');
        match (is_a, closing) {
            (true, false) => opened += 1,
            (true, true) => closed += 1,
            _ => {}
        }
    }
    (opened, closed)
}

/// Turns mentions in a briefing's text into links, remembering across the
/// briefing which terms it has linked (for `mentions: first`).
pub struct Linker<'m> {
    matcher: &'m Matcher,
    /// The opening `<a …>` tag of each term's mention link: `[taxonomy][term]`.
    links: &'m [Vec<String>],
    /// The briefing's own terms per taxonomy, or `None` to link every term.
    allowed: Option<&'m [Vec<usize>]>,
    mode: MentionMode,
    linked: rustc_hash::FxHashSet<TermRef>,
    /// With `mentions: first` and a briefing's own terms: how many of them
    /// are still to link. At zero the rest of the text needs no search.
    unlinked: Option<usize>,
}

impl<'m> Linker<'m> {
    pub fn new(
        matcher: &'m Matcher,
        links: &'m [Vec<String>],
        allowed: Option<&'m [Vec<usize>]>,
        mode: MentionMode,
    ) -> Linker<'m> {
        Linker {
            matcher,
            links,
            allowed,
            mode,
            linked: Default::default(),
            unlinked: match (mode, allowed) {
                (MentionMode::First, Some(allowed)) => Some(allowed.iter().map(Vec::len).sum()),
                _ => None,
            },
        }
    }

    /// The events that replace a text event, if any of its words become links.
    pub fn link<'a>(&mut self, text: &str) -> Option<Vec<Event<'a>>> {
        if self.mode == MentionMode::None || self.unlinked == Some(0) {
            return None;
        }
        let mut events = Vec::new();
        let mut at = 0;
        for hit in self.matcher.find(text) {
            let (t, term) = hit.term;
            let allowed = self
                .allowed
                .is_none_or(|a| a.get(t).is_some_and(|terms| terms.contains(&term)));
            let fresh = self.mode == MentionMode::All || !self.linked.contains(&hit.term);
            if !allowed || !fresh {
                continue;
            }
            self.linked.insert(hit.term);
            self.unlinked = self.unlinked.map(|n| n.saturating_sub(1));
            if hit.start > at {
                events.push(Event::Text(text[at..hit.start].to_string().into()));
            }
            events.push(Event::InlineHtml(self.links[t][term].clone().into()));
            events.push(Event::Text(text[hit.start..hit.end].to_string().into()));
            events.push(Event::InlineHtml("</a>".into()));
            at = hit.end;
        }
        if events.is_empty() {
            return None;
        }
        if at < text.len() {
            events.push(Event::Text(text[at..].to_string().into()));
        }
        Some(events)
    }
}

/// The briefings of `archive` whose text holds one of `names` (or its
/// spelling without diacritics), in any case: those whose mention links can
/// change when terms of those names come or go. More than that, since word
/// boundaries, code and links are not looked at: it finds the pages to
/// render again, which then link what they link.
pub fn naming(archive: &Archive, names: &[&str]) -> Vec<BriefingId> {
    let mut patterns: Vec<String> = Vec::with_capacity(names.len() * 2);
    for name in names
        .iter()
        .map(|name| name.trim())
        .filter(|n| !n.is_empty())
    {
        let ascii = deunicode::deunicode(name);
        if ascii != name {
            patterns.push(ascii);
        }
        patterns.push(name.to_string());
    }
    if patterns.is_empty() {
        return Vec::new();
    }
    let Ok(searcher) = aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(&patterns)
    else {
        // Too many names for one automaton: every briefing, then.
        return (0..archive.entries.len()).collect();
    };
    (archive.entries.par_iter().enumerate())
        .filter(|(_, entry)| searcher.is_match(entry.briefing.markdown()))
        .map(|(id, _)| id)
        .collect()
}

/// A mention found by [`scan`]: the term and where its text starts in the Markdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub term: TermRef,
    /// Byte offset of the text node in the Markdown, for its line.
    pub offset: usize,
}

/// Every mention of any known term in a Markdown body, where a link could go.
pub fn scan(markdown: &str, matcher: &Matcher, options: pulldown_cmark::Options) -> Vec<Found> {
    let mut eligibility = Eligibility::default();
    let mut found = Vec::new();
    for (event, range) in Parser::new_ext(markdown, options).into_offset_iter() {
        if eligibility.accepts(&event)
            && let Event::Text(text) = &event
        {
            found.extend(matcher.find(text).into_iter().map(|hit| Found {
                term: hit.term,
                offset: range.start,
            }));
        }
    }
    found
}

/// The file position of a mention found by [`scan`] (which gives
/// the start of its text node), and the mention's text: the line is the
/// body's first line plus the newlines before the node; the column is the
/// mention's own, found again in the rest of the node's line.
pub fn position<'b>(
    body: &'b str,
    first_line: usize,
    found: Found,
    matcher: &Matcher,
) -> (Position, Option<&'b str>) {
    let before = &body[..found.offset];
    let line = first_line + before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line_end = body[found.offset..]
        .find(['\n', '\r'])
        .map_or(body.len(), |i| found.offset + i);
    let rest = &body[found.offset..line_end];
    let hit = matcher
        .find(rest)
        .into_iter()
        .find(|h| h.term == found.term);
    let start = hit.map_or(found.offset, |h| found.offset + h.start);
    let column = body[line_start..start].chars().count() + 1;
    let written = hit.map(|h| &rest[h.start..h.end]);
    (Position::new(line, column), written)
}

/// Every name and alias of every term, folded, to its term: a name written
/// in a briefing resolves here as the index resolved it.
pub struct TermLookup(Vec<FxHashMap<String, usize>>);

impl TermLookup {
    pub fn new(archive: &Archive) -> Self {
        let by_name = archive
            .taxonomies
            .iter()
            .map(|taxonomy| {
                let mut names = FxHashMap::default();
                for (id, term) in taxonomy.terms.iter().enumerate() {
                    let aliases = term.profile.iter().flat_map(|p| p.aliases.iter());
                    for name in std::iter::once(&term.name).chain(aliases) {
                        names.insert(fold(name), id);
                    }
                }
                names
            })
            .collect();
        TermLookup(by_name)
    }

    /// The term of taxonomy `t` that `name` names, if any.
    pub fn resolve(&self, t: usize, name: &str) -> Option<usize> {
        self.0.get(t)?.get(&fold(name)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_bytes_are_classed_as_one_at_a_time() {
        // Every byte value at every place among seven letters.
        for value in 0..=u8::MAX {
            for place in 0..8 {
                let mut step = *b"aBcD3fGh";
                step[place] = value;
                let expected = if value.is_ascii_alphanumeric() {
                    8
                } else {
                    place
                };
                let run = ascii_alphanumeric_run(u64::from_le_bytes(step));
                assert_eq!(run, expected, "byte {value:#04x} at {place}");
            }
        }
        let lower = lowercase(u64::from_le_bytes(*b"AZaz09Mm"));
        assert_eq!(&lower.to_le_bytes(), b"azaz09mm");
    }

    #[test]
    fn words_end_where_letters_and_digits_stop() {
        let texts = [
            "Iran",
            "Antony Blinken, 2021",
            "a-b c.d e'f",
            "Erdoğan Ana Brnabić",
            "ğğğğğğğğğğ x",
            "abcdefgh",
            "abcdefghi",
            "abcdefghijklmnopq rstuvwx",
            "abcdefgé hijklmnoé",
            "twelve_chars__x",
            "日本語のテキスト and more",
            "x\u{a0}y\tz",
        ];
        for text in texts {
            for (start, c) in text.char_indices().filter(|(_, c)| is_word_char(*c)) {
                let expected = text[start..]
                    .char_indices()
                    .find(|(_, c)| !is_word_char(*c))
                    .map_or(text.len(), |(i, _)| start + i);
                assert_eq!(word_end(text, start).0, expected, "{text:?} from {c:?}");
            }
        }
    }

    #[test]
    fn a_word_hashes_the_same_wherever_it_stands() {
        let words = [
            "a",
            "Iran",
            "Blinken",
            "Brnabić",
            "Erdoğan",
            "abcdefgh",
            "ABCDEFGHI",
            "Vereinigtenstaaten",
            "é",
            "abcdefgé",
            "日本",
        ];
        for word in words {
            let alone = word_end(word, 0).1;
            let lower = word_end(&word.to_ascii_lowercase(), 0).1;
            assert_eq!(alone, lower, "{word}: ASCII case does not change the hash");
            for context in [
                "{} ",
                "{}, and on",
                "x {}",
                "—{}—",
                "{}. A long tail after the word",
            ] {
                let text = context.replace("{}", word);
                let start = text.find(word).expect("present");
                assert_eq!(
                    word_end(&text, start),
                    (start + word.len(), alone),
                    "{text:?}"
                );
            }
        }
        let hashes: std::collections::HashSet<u64> =
            words.iter().map(|w| word_end(w, 0).1).collect();
        assert_eq!(
            hashes.len(),
            words.len(),
            "different words, different hashes"
        );
    }

    #[test]
    fn short_capitals_are_recognised() {
        assert!(is_short_capitals("US"));
        assert!(is_short_capitals("U.S."));
        assert!(!is_short_capitals("Iraq"));
        assert!(!is_short_capitals("ISIS group"));
    }

    /// The texts of `markdown` whose words may be linked.
    fn eligible_texts(markdown: &str) -> Vec<String> {
        let mut eligibility = Eligibility::default();
        Parser::new_ext(markdown, crate::markdown::options())
            .filter(|event| eligibility.accepts(event))
            .filter_map(|event| match event {
                Event::Text(text) => Some(text.to_string()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn code_blocks_hold_no_mentions() {
        let markdown = "```text\nISIS in code\n```\n\n    ISIS indented\n\nISIS in text\n";
        assert_eq!(eligible_texts(markdown), ["ISIS in text"]);
    }

    #[test]
    fn raw_html_links_are_counted_open_and_closed() {
        assert_eq!(raw_links("<a href=\"x\">"), (1, 0));
        assert_eq!(raw_links("<A HREF=x>Iran</A>"), (1, 1));
        assert_eq!(raw_links("<abbr>US</abbr> <aside>"), (0, 0));
        assert_eq!(raw_links("<div>\n<a\nhref=x>\n"), (1, 0));
    }

    #[test]
    fn text_after_a_block_that_opens_a_link_holds_no_mentions() {
        let markdown =
            "<div><a href=\"https://example.org\">\n\nIran inside\n\n</a></div>\n\nIran outside\n";
        assert_eq!(eligible_texts(markdown), ["Iran outside"]);
    }

    #[test]
    fn word_boundaries_are_unicode_aware() {
        let text = "Iranian and Iran, Blinken's trip, Erdoğanx";
        assert!(!is_word_boundary(text, 0, 4));
        assert!(is_word_boundary(text, 12, 16));
        assert!(is_word_boundary(text, 18, 25));
        let e = text.find("Erdoğan").expect("present");
        assert!(!is_word_boundary(text, e, e + "Erdoğan".len()));
    }
}
