//! `dossier check`: lints a site without writing anything, and reports every
//! finding of one run with its file and line.
//!
//! - errors: whatever `build` would reject. The pipeline runs as far as the
//!   index ([`crate::load`]: config, templates compiled, content read, front
//!   matter parsed, entities indexed); only rendering is skipped, so a
//!   template that compiles but fails on a page is left to `build`.
//! - warnings: a briefing that mentions a known term without tagging it, and
//!   two terms of one taxonomy that are probably one entity.
//! - notes (info): a tag the body never mentions, a term without a profile.
//!
//! The lints need the index, so a site whose briefings cannot be indexed gets
//! its errors only; a broken file elsewhere does not stop the lints of the
//! briefings that parsed.

use std::path::PathBuf;

use rayon::prelude::*;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde::Serialize;

use crate::config::{BuildOptions, SiteConfig};
use crate::diag::{Diagnostic, Diagnostics, Position, Severity};
use crate::index::{Archive, Entry, Term, fold};
use crate::mentions::{self, Matcher, TermLookup, TermRef};
use crate::model::SourceFile;
use crate::{front_matter, linkcheck, markdown, plural};

/// Names shorter than this (folded, in characters) are too short for an
/// edit distance to mean anything: "Iraq" and "Iran" are two countries.
const MIN_NEAR_LENGTH: usize = 5;
/// From this length on, two edits still make a typo; below it, one.
const LONG_NAME: usize = 8;
/// A word shared by more names than this ("united", "president") is too
/// common to say two names may be one; such buckets are skipped, which keeps
/// the near-duplicate pass linear (see [`near_duplicates`]).
const MAX_WORD_BUCKET: usize = 64;

/// Everything one `check` found.
#[derive(Debug, Default)]
pub struct CheckReport {
    /// Sorted by file and position.
    pub findings: Vec<Diagnostic>,
    /// How many briefing files were checked.
    pub briefings: usize,
    /// With `--links`: what the link check read, or why it did not run.
    pub links: Option<String>,
}

/// What `check --links` checks.
#[derive(Debug, Clone, Default)]
pub struct LinkOptions {
    /// Check this built site as it is; `None` builds the site into a scratch
    /// folder first (removed afterwards).
    pub output: Option<PathBuf>,
    /// List every external URL (never fetched), as notes.
    pub external: bool,
}

impl CheckReport {
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }

    /// Whether the run fails: on any error, and on any warning when `strict`.
    pub fn fails(&self, strict: bool) -> bool {
        let worst = if strict {
            Severity::Warning
        } else {
            Severity::Error
        };
        self.findings.iter().any(|d| d.severity >= worst)
    }

    /// "1 error, 2 warnings, 3 notes in 4 briefings", and with `--links`
    /// "; checked 61 pages and 1,204 links: 0 broken".
    pub fn summary(&self) -> String {
        let [errors, warnings, notes] =
            [Severity::Error, Severity::Warning, Severity::Info].map(|s| self.count(s));
        let mut summary = format!(
            "{errors} error{}, {warnings} warning{}, {notes} note{} in {} briefing{}",
            plural(errors),
            plural(warnings),
            plural(notes),
            self.briefings,
            plural(self.briefings)
        );
        if let Some(links) = &self.links {
            summary.push_str("; ");
            summary.push_str(links);
        }
        summary
    }

    /// `--links`: checks the links of the built site (see [`crate::linkcheck`])
    /// and adds a finding per broken link, and a note per external URL when
    /// asked. Without an output to read, the site is built into a scratch
    /// folder, unless the content already has errors (the build would fail).
    pub fn check_links(&mut self, options: &BuildOptions, links: &LinkOptions) {
        let result = match &links.output {
            Some(output) => match SiteConfig::load(options) {
                Ok(config) => linkcheck::check_links(output, &config.urls).map_err(|d| vec![d]),
                Err(problems) => Err(problems),
            },
            None if self.count(Severity::Error) > 0 => {
                self.links = Some("links not checked: the site does not build".into());
                return;
            }
            None => crate::build_scratch(options, |dir, config| {
                linkcheck::check_links(dir, &config.urls)
            })
            .map_err(|d| d.0)
            .and_then(|r| r.map_err(|d| vec![d])),
        };
        match result {
            Ok(report) => {
                self.links = Some(report.summary());
                self.findings.extend(report.broken);
                if links.external {
                    self.findings
                        .extend(report.external.into_iter().map(|(url, page)| Diagnostic {
                            severity: Severity::Info,
                            ..Diagnostic::error(page, format!("external link {url}"))
                        }));
                }
            }
            Err(problems) => {
                self.links = Some("links not checked".into());
                self.findings.extend(problems);
            }
        }
        let mut findings = Diagnostics(std::mem::take(&mut self.findings));
        findings.sort();
        self.findings = findings.0;
    }

    /// The findings as a JSON array of `{severity, path, line, column,
    /// message, help}` (`line`, `column` and `help` may be null). Not
    /// `Diagnostic`'s own serialization, which nests the position.
    pub fn to_json(&self) -> String {
        let findings: Vec<JsonFinding<'_>> = self.findings.iter().map(JsonFinding::from).collect();
        serde_json::to_string_pretty(&findings).unwrap_or_else(|_| "[]".into())
    }
}

/// One finding as `--format json` prints it: flat, the path as text.
#[derive(Debug, Serialize)]
struct JsonFinding<'a> {
    severity: Severity,
    path: String,
    line: Option<usize>,
    column: Option<usize>,
    message: &'a str,
    help: Option<&'a str>,
}

impl<'a> From<&'a Diagnostic> for JsonFinding<'a> {
    fn from(d: &'a Diagnostic) -> Self {
        JsonFinding {
            severity: d.severity,
            path: d.path.display().to_string(),
            line: d.position.map(|p| p.line),
            column: d.position.map(|p| p.column),
            message: &d.message,
            help: d.help.as_deref(),
        }
    }
}

/// Checks the site described by `options`; writes nothing.
pub fn check(options: &BuildOptions) -> CheckReport {
    let loaded = match crate::load(options) {
        Ok(loaded) => loaded,
        Err(problems) => return report(problems.0, 0),
    };
    let mut findings = loaded.diagnostics.0;
    if let Some(archive) = &loaded.archive {
        let cx = Context {
            archive,
            config: &loaded.config,
            lookup: TermLookup::new(archive),
        };
        let matcher = Matcher::new(archive);
        let per_briefing: Vec<Vec<Diagnostic>> = archive
            .entries
            .par_iter()
            .map(|entry| lint_briefing(&cx, entry, &matcher))
            .collect();
        findings.extend(per_briefing.into_iter().flatten());
        findings.extend(near_duplicates(&cx));
        findings.extend(missing_profiles(&cx));
    }
    report(findings, loaded.briefing_files)
}

/// What the lints read.
struct Context<'a> {
    archive: &'a Archive,
    config: &'a SiteConfig,
    lookup: TermLookup,
}

impl Context<'_> {
    fn key(&self, t: usize) -> &str {
        &self.config.taxonomies[t].name
    }

    /// The names a briefing writes in taxonomy `t`, each with its term, each
    /// term once (a briefing may name one term by two of its names).
    fn written<'e>(&self, entry: &'e Entry, t: usize) -> Vec<(usize, &'e str)> {
        let mut seen = HashSet::default();
        entry.briefing.tags[t]
            .iter()
            .filter_map(|name| Some((self.lookup.resolve(t, name)?, name.as_str())))
            .filter(|(term, _)| seen.insert(*term))
            .collect()
    }
}

fn report(findings: Vec<Diagnostic>, briefings: usize) -> CheckReport {
    let mut findings = Diagnostics(findings);
    findings.sort();
    CheckReport {
        findings: findings.0,
        briefings,
        links: None,
    }
}

fn finding(severity: Severity, file: &SourceFile, message: String) -> Diagnostic {
    Diagnostic {
        severity,
        ..Diagnostic::error(&file.path, message).with_source(file.text.clone())
    }
}

/// A briefing's own lints: terms it mentions but does not tag (warnings,
/// one per term at its first mention) and tags it never mentions (notes).
fn lint_briefing(cx: &Context<'_>, entry: &Entry, matcher: &Matcher) -> Vec<Diagnostic> {
    let briefing = &entry.briefing;
    let body = briefing.markdown();
    let tagged = |(t, term): TermRef| entry.terms.get(t).is_some_and(|ts| ts.contains(&term));
    let mut findings = Vec::new();
    let mut reported: HashSet<TermRef> = HashSet::default();
    for found in mentions::scan(body, matcher, markdown::options()) {
        if tagged(found.term) || !reported.insert(found.term) {
            continue;
        }
        let (t, term) = found.term;
        let key = cx.key(t);
        let name = &cx.archive.taxonomies[t].terms[term].name;
        let (position, written) =
            mentions::position(body, briefing.body.first_line, found, matcher);
        let help = match written {
            Some(text) if text != name.as_str() => format!(
                "\"{text}\" names {name}; add `{name}` to `{key}:`, or run `dossier annotate {} --write`",
                briefing.file.path.display()
            ),
            _ => format!(
                "add `{name}` to `{key}:`, or run `dossier annotate {} --write`",
                briefing.file.path.display()
            ),
        };
        findings.push(
            finding(
                Severity::Warning,
                &briefing.file,
                format!("mentions '{name}' ({key}) but does not tag it"),
            )
            .at(position)
            .with_help(help),
        );
    }

    // Anywhere in the body counts here, headings and link texts included.
    let mentioned: HashSet<TermRef> = matcher.find(body).into_iter().map(|h| h.term).collect();
    for t in 0..entry.terms.len() {
        let key = cx.key(t);
        for (term, written) in cx.written(entry, t) {
            if mentioned.contains(&(t, term)) {
                continue;
            }
            let name = &cx.archive.taxonomies[t].terms[term].name;
            findings.push(
                finding(
                    Severity::Info,
                    &briefing.file,
                    format!("tags '{name}' ({key}) but the body never mentions it"),
                )
                .at(tag_position(&briefing.file, key, written)),
            );
        }
    }
    findings
}

/// Where a tag is written in a briefing's front matter: the line (and
/// column) of `name` within the value of `key:`, else the key's line.
fn tag_position(file: &SourceFile, key: &str, name: &str) -> Position {
    let Ok(split) = front_matter::split(&file.text) else {
        return Position::line(1);
    };
    let Some(span) = front_matter::key_span(split.yaml, key) else {
        return Position::line(1);
    };
    let first_line = file.text[..split.yaml_start].matches('\n').count() + span.line;
    let value = &split.yaml[span.start..span.end];
    for (index, line) in value.split_inclusive('\n').enumerate() {
        // On the key's own line, only after the colon.
        let from = if index == 0 {
            span.value_start - span.start
        } else {
            0
        };
        if let Some(at) = line.get(from..).and_then(|l| l.find(name)) {
            let column = line[..from + at].chars().count() + 1;
            return Position::new(first_line + index, column);
        }
    }
    Position::line(first_line)
}

/// The briefing that first named a term (the oldest of its briefings), for
/// findings about terms without a profile.
fn first_briefing<'a>(archive: &'a Archive, term: &Term) -> Option<&'a Entry> {
    term.briefings.last().map(|&id| &archive.entries[id])
}

/// A term without a profile: one note, at the first briefing naming it.
fn missing_profiles(cx: &Context<'_>) -> Vec<Diagnostic> {
    let mut findings = Vec::new();
    for (t, taxonomy) in cx.archive.taxonomies.iter().enumerate() {
        let key = cx.key(t);
        for (id, term) in taxonomy.terms.iter().enumerate() {
            if term.profile.is_some() {
                continue;
            }
            let Some(entry) = first_briefing(cx.archive, term) else {
                continue;
            };
            findings.push(
                finding(
                    Severity::Info,
                    &entry.briefing.file,
                    format!("'{}' ({key}) has no profile", term.name),
                )
                .at(written_tag_position(cx, entry, t, id))
                .with_help(format!(
                    "write content/{key}/{}.md to say who or what it is",
                    term.slug
                )),
            );
        }
    }
    findings
}

/// Where `entry` writes the tag that resolved to term `id` of taxonomy `t`.
fn written_tag_position(cx: &Context<'_>, entry: &Entry, t: usize, id: usize) -> Position {
    let written = cx
        .written(entry, t)
        .into_iter()
        .find(|(term, _)| *term == id)
        .map_or("", |(_, written)| written);
    tag_position(&entry.briefing.file, cx.key(t), written)
}

/// One name of a term, prepared for comparison.
struct Name<'a> {
    term: usize,
    text: &'a str,
    folded: String,
    /// Length of `folded` in characters.
    len: usize,
    counts: [u8; BAG],
}

impl<'a> Name<'a> {
    fn new(term: usize, text: &'a str) -> Self {
        let folded = fold(text);
        Name {
            term,
            text,
            len: folded.chars().count(),
            counts: bag(&folded),
            folded,
        }
    }
}

/// Two terms of one taxonomy whose names are probably one name: the best
/// (closest) pair of their names.
struct NearPair {
    distance: usize,
    /// Indices into the names.
    a: usize,
    b: usize,
}

/// Pairs of terms (same taxonomy) that are probably one: the same name once
/// transliterated, folded and stripped of spaces and punctuation ("Al Qaeda",
/// "AlQaeda"), or a small edit distance between folded names (Damerau–
/// Levenshtein ≤ 2 from 8 characters, ≤ 1 from 5; shorter names are
/// skipped) — with no alias joining them. Every name and alias of a term
/// takes part.
///
/// Comparing every pair would be quadratic in the terms, so candidates are
/// blocked with two hash maps of keys, and two names are compared only when
/// they share a key:
/// - a folded word of three letters or more: a typo in any *other* word is
///   caught ("Luigi De Maio", "Luigi Di Maio" share "luigi" and "maio"). A
///   word shared by more than [`MAX_WORD_BUCKET`] names ("president",
///   "united") is skipped: it says little, and would make its bucket
///   quadratic;
/// - the same initials (first letter of each word) and a length within two:
///   a typo anywhere but a word's first letter, one-word names included
///   ("Tillerson", "Tilerson"), and multi-word names whose shared words are
///   too common for the first key.
///
/// Buckets stay small (people's initials and lengths spread them out, and
/// word buckets are capped), so each name meets a bounded number of others
/// and the pass is near linear; lengths and character counts then rule out
/// most candidates before the edit distance is computed. The cost: a typo in
/// the first letter of a word, when no other word is shared (or only common
/// ones), is not caught.
fn near_duplicates(cx: &Context<'_>) -> Vec<Diagnostic> {
    let mut findings = Vec::new();
    for (t, taxonomy) in cx.archive.taxonomies.iter().enumerate() {
        let names = names_of(&taxonomy.terms);
        for pair in near_pairs(&names).0 {
            let (a, b) = (&names[pair.a], &names[pair.b]);
            findings.push(near_finding(cx, t, (a, b), pair.distance));
        }
    }
    findings
}

fn names_of(terms: &[Term]) -> Vec<Name<'_>> {
    let mut names = Vec::new();
    for (id, term) in terms.iter().enumerate() {
        let aliases = term.profile.iter().flat_map(|p| p.aliases.iter());
        for text in std::iter::once(&term.name).chain(aliases) {
            names.push(Name::new(id, text));
        }
    }
    names
}

/// The closest pair of names of each pair of terms that look like one, and
/// how many pairs of names were compared.
fn near_pairs(names: &[Name<'_>]) -> (Vec<NearPair>, usize) {
    // Exact after folding away spaces and punctuation.
    let mut compact: HashMap<String, Vec<usize>> = HashMap::default();
    // Blocking keys for the edit distance.
    let mut words: HashMap<&str, Vec<usize>> = HashMap::default();
    let mut shapes: HashMap<(String, usize), Vec<usize>> = HashMap::default();
    for (i, name) in names.iter().enumerate() {
        let key: String = name
            .folded
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect();
        if key.chars().count() >= 2 {
            compact.entry(key).or_default().push(i);
        }
        if name.len < MIN_NEAR_LENGTH {
            continue;
        }
        for word in name.folded.split([' ', '-']).filter(|w| w.len() >= 3) {
            let bucket = words.entry(word).or_default();
            if bucket.last() != Some(&i) {
                bucket.push(i);
            }
        }
        shapes
            .entry((initials(&name.folded), name.len))
            .or_default()
            .push(i);
    }

    let mut best: HashMap<(usize, usize), NearPair> = HashMap::default();
    let mut consider = |a: usize, b: usize, distance: usize| {
        let (a, b) = if names[a].term < names[b].term {
            (a, b)
        } else {
            (b, a)
        };
        let terms = (names[a].term, names[b].term);
        let pair = NearPair { distance, a, b };
        match best.get(&terms) {
            Some(known) if known.distance <= distance => {}
            _ => {
                best.insert(terms, pair);
            }
        }
    };
    for group in compact.values() {
        for (x, &a) in group.iter().enumerate() {
            for &b in &group[x + 1..] {
                if names[a].term != names[b].term {
                    consider(a, b, 0);
                }
            }
        }
    }
    let mut compared: HashSet<(usize, usize)> = HashSet::default();
    let mut compare = |a: usize, b: usize| {
        let (x, y) = (&names[a], &names[b]);
        if x.term == y.term || !compared.insert((a.min(b), a.max(b))) {
            return;
        }
        let limit = if x.len.min(y.len) >= LONG_NAME { 2 } else { 1 };
        // Cheap lower bounds first: an edit changes the length, and the
        // count of any one character, by at most one.
        if x.len.abs_diff(y.len) > limit || bag_distance(&x.counts, &y.counts) > limit {
            return;
        }
        let distance = strsim::damerau_levenshtein(&x.folded, &y.folded);
        if distance <= limit {
            consider(a, b, distance);
        }
    };
    for bucket in words.values().filter(|b| b.len() <= MAX_WORD_BUCKET) {
        for (x, &a) in bucket.iter().enumerate() {
            for &b in &bucket[x + 1..] {
                compare(a, b);
            }
        }
    }
    for ((initials, len), bucket) in &shapes {
        for &a in bucket {
            for other in *len..=len + 2 {
                let Some(others) = shapes.get(&(initials.clone(), other)) else {
                    continue;
                };
                for &b in others {
                    if other != *len || a < b {
                        compare(a, b);
                    }
                }
            }
        }
    }
    let compared = compared.len();
    let mut pairs: Vec<NearPair> = best.into_values().collect();
    pairs.sort_by_key(|p| (names[p.a].term, names[p.b].term));
    (pairs, compared)
}

/// The first letter of each word: "luigi di maio" → "ldm".
fn initials(folded: &str) -> String {
    folded.split(' ').filter_map(|w| w.chars().next()).collect()
}

/// How many characters each name has that the other lacks, the larger of
/// the two: no more than the edit distance.
fn bag_distance(a: &[u8; BAG], b: &[u8; BAG]) -> usize {
    let (mut more, mut fewer) = (0, 0);
    for (x, y) in a.iter().zip(b) {
        if x > y {
            more += usize::from(x - y);
        } else {
            fewer += usize::from(y - x);
        }
    }
    more.max(fewer)
}

/// Character counts of a folded name: letters, digits, space, anything else.
const BAG: usize = 38;

fn bag(folded: &str) -> [u8; BAG] {
    let mut counts = [0u8; BAG];
    for b in folded.bytes() {
        let slot = match b {
            b'a'..=b'z' => usize::from(b - b'a'),
            b'0'..=b'9' => 26 + usize::from(b - b'0'),
            b' ' => 36,
            _ => 37,
        };
        counts[slot] = counts[slot].saturating_add(1);
    }
    counts
}

/// The finding for two look-alike terms, saying which alias to add where.
fn near_finding(
    cx: &Context<'_>,
    t: usize,
    (a, b): (&Name<'_>, &Name<'_>),
    distance: usize,
) -> Diagnostic {
    let key = cx.key(t);
    let terms = &cx.archive.taxonomies[t].terms;
    let (ta, tb) = (&terms[a.term], &terms[b.term]);
    let described = |name: &Name<'_>, term: &Term| {
        if name.text == term.name {
            format!("`{}`", name.text)
        } else {
            format!("`{}` (an alias of {})", name.text, term.name)
        }
    };
    let message = if distance == 0 {
        format!(
            "{} and {} ({key}) are one name written two ways, but two terms",
            described(a, ta),
            described(b, tb)
        )
    } else {
        format!(
            "{} and {} ({key}) look like one name, but are two terms",
            described(a, ta),
            described(b, tb)
        )
    };
    match (&ta.profile, &tb.profile) {
        // Both profiled: most likely two entities on purpose (Slovenia,
        // Slovakia), so only a note.
        (Some(pa), Some(pb)) => {
            let (keep, merge, merged) = if pa.file.path <= pb.file.path {
                (pa, pb, tb)
            } else {
                (pb, pa, ta)
            };
            finding(Severity::Info, &merge.file, message)
                .at(Position::line(merge.file.key_line(merge.body, "name")))
                .with_help(format!(
                    "if they are one, merge {} into {} and list `{}` in its aliases",
                    merge.file.path.display(),
                    keep.file.path.display(),
                    merged.name
                ))
        }
        // One profiled: the other name is a missing alias of that profile.
        (Some(profile), None) | (None, Some(profile)) => {
            let (loose, loose_id) = if ta.profile.is_none() {
                (ta, a.term)
            } else {
                (tb, b.term)
            };
            located_at_first_use(cx, t, loose_id, loose, message).with_help(format!(
                "if they are one, add `{}` to the aliases of {}",
                loose.name,
                profile.file.path.display()
            ))
        }
        // Neither: a profile would join them. The name used more often (then
        // the one with diacritics, then the one used first) becomes its name.
        (None, None) => {
            let rank = |term: &Term| {
                (
                    term.briefings.len(),
                    !term.name.is_ascii(),
                    // Ids are newest first: the oldest briefing has the largest.
                    term.briefings.last().copied(),
                    std::cmp::Reverse(fold(&term.name)),
                )
            };
            let ((main, _), (alias, alias_id)) = if rank(ta) >= rank(tb) {
                ((ta, a.term), (tb, b.term))
            } else {
                ((tb, b.term), (ta, a.term))
            };
            located_at_first_use(cx, t, alias_id, alias, message).with_help(format!(
                "if they are one, write a profile content/{key}/{}.md with `name: {}` and `aliases: [{}]`",
                main.slug,
                front_matter::yaml_scalar(&main.name),
                front_matter::yaml_scalar(&alias.name)
            ))
        }
    }
}

/// A warning about a term without a profile, at the first briefing naming it.
fn located_at_first_use(
    cx: &Context<'_>,
    t: usize,
    id: usize,
    term: &Term,
    message: String,
) -> Diagnostic {
    match first_briefing(cx.archive, term) {
        Some(entry) => finding(Severity::Warning, &entry.briefing.file, message)
            .at(written_tag_position(cx, entry, t, id)),
        None => Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(&term.origin, message)
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names<'a>(list: &[(usize, &'a str)]) -> Vec<Name<'a>> {
        list.iter()
            .map(|&(term, text)| Name::new(term, text))
            .collect()
    }

    fn pairs(list: &[(usize, &str)]) -> Vec<(String, String, usize)> {
        let names = names(list);
        near_pairs(&names)
            .0
            .into_iter()
            .map(|p| {
                (
                    names[p.a].text.to_string(),
                    names[p.b].text.to_string(),
                    p.distance,
                )
            })
            .collect()
    }

    #[test]
    fn typos_are_near_and_distinct_short_names_are_not() {
        assert_eq!(
            pairs(&[(0, "Luigi Di Maio"), (1, "Luigi De Maio")]),
            vec![("Luigi Di Maio".into(), "Luigi De Maio".into(), 1)]
        );
        // One word, typo past the first letter: the shape block finds it.
        assert_eq!(
            pairs(&[(0, "Tillerson"), (1, "Tilerson")]),
            vec![("Tillerson".into(), "Tilerson".into(), 1)]
        );
        // Too short to judge; two edits on a short name is two names.
        assert!(pairs(&[(0, "Iraq"), (1, "Iran")]).is_empty());
        assert!(pairs(&[(0, "Austria"), (1, "Australia")]).is_empty());
        // Names of one term never pair with each other.
        assert!(pairs(&[(0, "Luigi Di Maio"), (0, "Luigi De Maio")]).is_empty());
    }

    #[test]
    fn names_equal_once_folded_and_compacted_are_one() {
        assert_eq!(
            pairs(&[(0, "Al Qaeda"), (1, "AlQaeda")]),
            vec![("Al Qaeda".into(), "AlQaeda".into(), 0)]
        );
        assert_eq!(
            pairs(&[(0, "Erdoğan Recep"), (1, "erdogan recep")]),
            vec![("Erdoğan Recep".into(), "erdogan recep".into(), 0)]
        );
    }

    #[test]
    fn each_pair_of_terms_is_reported_once_at_its_closest_names() {
        let found = pairs(&[
            (0, "Luigi Di Maio"),
            (0, "Di Maio"),
            (1, "Luigi De Maio"),
            (1, "De Maio"),
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].2, 1);
    }

    #[test]
    fn blocking_keeps_the_pass_near_linear_over_thousands_of_names() {
        // 5,000 made-up people (a first name and a surname of three
        // syllables, chosen by a fixed sequence): all pairs would be 12.5
        // million comparisons.
        const FIRST: [&str; 20] = [
            "James", "Mary", "Robert", "Linda", "David", "Susan", "Joseph", "Sarah", "Karen",
            "Daniel", "Nancy", "Mark", "Paul", "Emily", "Kevin", "Amanda", "Brian", "George",
            "Fatima", "Omar",
        ];
        const SYLLABLES: [&str; 24] = [
            "ba", "ro", "ki", "tan", "mel", "so", "ver", "al", "din", "ko", "par", "ne", "lu",
            "gor", "ish", "we", "zan", "ti", "mor", "ca", "hel", "ek", "do", "ri",
        ];
        let mut seed: u64 = 7;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        let owned: Vec<String> = (0..5000)
            .map(|_| {
                let surname: String = (0..3).map(|_| SYLLABLES[next(24)]).collect();
                format!("{} {surname}", FIRST[next(20)])
            })
            .collect();
        let list: Vec<(usize, &str)> = owned
            .iter()
            .enumerate()
            .map(|(i, s)| (i, s.as_str()))
            .collect();
        let names = names(&list);
        let (_, compared) = near_pairs(&names);
        assert!(compared < 20 * names.len(), "{compared} comparisons");
    }
}
