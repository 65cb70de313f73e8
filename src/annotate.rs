//! `dossier annotate <file>`: the tags a briefing's body calls for. It
//! finds the people, countries and topics of the site's archive that the
//! body mentions and the front matter does not tag, and with `--write`
//! appends them to the front matter's lists.
//!
//! The file is edited as text, never re-serialized: only the lists that gain
//! a name change (one line, or new lines under a block list, or one new
//! `key: [..]` line), and comments, key order, quoting, line endings and the
//! body stay byte for byte. The edited text must parse again to the same
//! briefing with the new names appended, or nothing is written. The write is
//! atomic (a temporary file beside it, then a rename, keeping the file's
//! permissions) and refused if the file changed on disk since it was read.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustc_hash::FxHashSet as HashSet;

use crate::config::{BuildOptions, TaxonomyConfig};
use crate::diag::{Diagnostic, Diagnostics, io_error};
use crate::front_matter::{self, KeySpan, yaml_scalar};
use crate::index::Archive;
use crate::mentions::{self, Matcher, TermLookup, TermRef};
use crate::model::{Briefing, SourceFile};
use crate::source::relative;

/// Which file, in which site.
#[derive(Debug, Clone)]
pub struct AnnotateOptions {
    /// The site root, whose archive supplies the known terms.
    pub root: PathBuf,
    /// The briefing, as a path from the current folder.
    pub file: PathBuf,
}

/// A tag the body calls for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// Index of the taxonomy in the config.
    pub taxonomy: usize,
    /// The taxonomy's front-matter key (`people`).
    pub key: String,
    /// The term's name, as the tag to add.
    pub name: String,
    /// The file line of its first mention.
    pub line: usize,
}

/// A briefing read and compared with the archive.
#[derive(Debug)]
pub struct Annotation {
    /// The file as given, for writing.
    pub file: PathBuf,
    /// The file relative to the site root when it is inside it, for messages.
    pub path: PathBuf,
    /// The text as read.
    pub original: String,
    /// In order of taxonomy, then of first mention.
    pub suggestions: Vec<Suggestion>,
    taxonomies: Vec<TaxonomyConfig>,
}

/// Reads `options.file` and finds the tags its body calls for. Fails when
/// the file is not a valid briefing, or when the site cannot be indexed.
pub fn suggest(options: &AnnotateOptions) -> Result<Annotation, Diagnostics> {
    let one = |d: Diagnostic| Diagnostics(vec![d]);
    let path = relative(&options.root, &options.file);
    let bytes = std::fs::read(&options.file).map_err(|e| one(io_error(&path, "read", &e)))?;
    let original = String::from_utf8(bytes).map_err(|_| {
        one(Diagnostic::error(
            &path,
            "not valid UTF-8; save the file as UTF-8",
        ))
    })?;
    let loaded = crate::load(&BuildOptions::new(&options.root))?;
    let taxonomies = loaded.config.taxonomies.clone();
    let file = SourceFile {
        path: path.clone(),
        text: Arc::new(original.clone()),
    };
    let briefing = front_matter::parse_briefing(&file, &taxonomies).map_err(one)?;
    let Some(archive) = &loaded.archive else {
        let mut problems = loaded.diagnostics;
        problems.sort();
        problems.push(Diagnostic::error(
            &options.root,
            "the site's briefings cannot be indexed, so its terms are unknown; fix the errors above first",
        ));
        return Err(problems);
    };
    let suggestions = mentioned_untagged(&briefing, archive, &taxonomies);
    Ok(Annotation {
        file: options.file.clone(),
        path,
        original,
        suggestions,
        taxonomies,
    })
}

/// The archive's terms that `briefing` mentions but does not tag, each once.
fn mentioned_untagged(
    briefing: &Briefing,
    archive: &Archive,
    taxonomies: &[TaxonomyConfig],
) -> Vec<Suggestion> {
    let lookup = TermLookup::new(archive);
    let tagged: HashSet<TermRef> = briefing
        .tags
        .iter()
        .enumerate()
        .flat_map(|(t, names)| names.iter().map(move |n| (t, n)))
        .filter_map(|(t, name)| lookup.resolve(t, name).map(|id| (t, id)))
        .collect();

    let matcher = Matcher::new(archive);
    let body = briefing.markdown();
    let mut seen: HashSet<TermRef> = HashSet::default();
    let mut suggestions = Vec::new();
    for found in mentions::scan(body, &matcher, crate::markdown::options()) {
        if tagged.contains(&found.term) || !seen.insert(found.term) {
            continue;
        }
        let (t, id) = found.term;
        let (position, _) = mentions::position(body, briefing.body.first_line, found, &matcher);
        suggestions.push(Suggestion {
            taxonomy: t,
            key: taxonomies[t].name.clone(),
            name: archive.taxonomies[t].terms[id].name.clone(),
            line: position.line,
        });
    }
    // Stable: by taxonomy, each in order of first mention.
    suggestions.sort_by_key(|s| s.taxonomy);
    suggestions
}

impl Annotation {
    /// The file's text with the suggestions added, checked.
    pub fn edited(&self) -> Result<String, Diagnostic> {
        let mut additions = vec![Vec::new(); self.taxonomies.len()];
        for s in &self.suggestions {
            additions[s.taxonomy].push(s.name.clone());
        }
        add_tags(&self.original, &additions, &self.taxonomies).map_err(|message| {
            Diagnostic::error(&self.path, message).with_help("add the tags by hand")
        })
    }

    /// Writes the file with the suggestions added: atomically, keeping its
    /// permissions, and only if it still holds what was read.
    pub fn write(&self) -> Result<(), Diagnostic> {
        let edited = self.edited()?;
        replace_file(
            &self.file,
            &self.path,
            self.original.as_bytes(),
            edited.as_bytes(),
        )
    }
}

/// `text` (a briefing) with `additions[t]` appended to the list of
/// taxonomy `t`, editing only those lists; or why that cannot be done.
/// The result is parsed again and must give the same briefing with the
/// names appended.
pub fn add_tags(
    text: &str,
    additions: &[Vec<String>],
    taxonomies: &[TaxonomyConfig],
) -> Result<String, String> {
    let file = |text: &str| SourceFile {
        path: PathBuf::from("briefing.md"),
        text: Arc::new(text.to_string()),
    };
    let before = front_matter::parse_briefing(&file(text), taxonomies)
        .map_err(|d| format!("the file is not a valid briefing: {}", d.message))?;
    let split = front_matter::split(text).map_err(|(_, message, _)| message)?;
    let eol = if text[..split.yaml_start].ends_with("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let mut edits: Vec<Edit> = Vec::new();
    let mut new_keys = String::new();
    for (t, names) in additions.iter().enumerate() {
        if names.is_empty() {
            continue;
        }
        let key = &taxonomies[t].name;
        let items: Vec<String> = names.iter().map(|n| yaml_scalar(n).into_owned()).collect();
        match front_matter::key_span(split.yaml, key) {
            Some(span) => {
                let at = |offset: usize| split.yaml_start + offset;
                let span = KeySpan {
                    start: at(span.start),
                    value_start: at(span.value_start),
                    end: at(span.end),
                    ..span
                };
                edits.extend(
                    list_edits(text, &span, &items, &before.tags[t])
                        .map_err(|why| format!("`{key}:` {why}"))?,
                );
            }
            None => {
                new_keys.push_str(&format!("{key}: [{}]{eol}", items.join(", ")));
            }
        }
    }
    if !new_keys.is_empty() {
        let end = split.yaml_start + split.yaml.len();
        edits.push(Edit {
            range: end..end,
            text: new_keys,
        });
    }
    let edited = apply(text, edits);
    verify(&before, &edited, additions, taxonomies, file)?;
    Ok(edited)
}

/// Replace `range` of the text with `text`.
#[derive(Debug)]
struct Edit {
    range: Range<usize>,
    text: String,
}

fn apply(text: &str, mut edits: Vec<Edit>) -> String {
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for edit in edits {
        out.push_str(&text[at..edit.range.start]);
        out.push_str(&edit.text);
        at = edit.range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// The edited text must be the same briefing with the names appended.
fn verify(
    before: &Briefing,
    edited: &str,
    additions: &[Vec<String>],
    taxonomies: &[TaxonomyConfig],
    file: impl Fn(&str) -> SourceFile,
) -> Result<(), String> {
    let after = front_matter::parse_briefing(&file(edited), taxonomies).map_err(|d| {
        format!(
            "the edit would not parse ({}); nothing was written",
            d.message
        )
    })?;
    let expected: Vec<Vec<String>> = before
        .tags
        .iter()
        .zip(additions)
        .map(|(tags, added)| tags.iter().chain(added).cloned().collect())
        .collect();
    let same = after.tags == expected
        && after.title == before.title
        && after.date == before.date
        && after.summary == before.summary
        && after.slug == before.slug
        && after.draft == before.draft
        && after.extra == before.extra
        && after.markdown() == before.markdown();
    if same {
        Ok(())
    } else {
        Err("the edit would change more than the tags; nothing was written".into())
    }
}

/// The edits that append `items` (YAML scalars) to the list written at
/// `span` (absolute offsets), whose current names are `current`.
fn list_edits(
    text: &str,
    span: &KeySpan,
    items: &[String],
    current: &[String],
) -> Result<Vec<Edit>, String> {
    let region = span.value_start..span.end;
    let insert = |at: usize, text: String| Edit {
        range: at..at,
        text,
    };
    let Some(first) = skip_blank(text, span.value_start, span.end) else {
        // `people:` with no value: a list of the new names after the colon.
        return Ok(vec![insert(
            span.value_start,
            format!(" [{}]", items.join(", ")),
        )]);
    };
    let rest = &text[first..span.end];
    if rest.starts_with('[') {
        flow_list(text, first, span.end, items)
    } else if rest.starts_with("- ")
        || rest.starts_with("-\n")
        || rest.starts_with("-\r\n")
        || rest.starts_with("-\t")
    {
        Ok(vec![block_list(text, first, span.end, items)])
    } else if rest.starts_with(['"', '\'']) {
        let end = quoted_end(text, first, line_end(text, first))
            .ok_or("holds a quoted name that does not end on its line")?;
        if skip_blank(text, end, region.end).is_some() {
            return Err("holds more than one name without a list".into());
        }
        Ok(vec![
            insert(first, "[".into()),
            insert(end, format!(", {}]", items.join(", "))),
        ])
    } else if rest.starts_with(['{', '|', '>', '&', '*', '!', '?', '%', '@', '`']) {
        Err("is written in a form annotate does not edit".into())
    } else {
        plain_scalar(text, first, region, items, current)
    }
}

/// `[A, B]` (on one line or several): `, C` before the `]`.
fn flow_list(text: &str, open: usize, end: usize, items: &[String]) -> Result<Vec<Edit>, String> {
    let mut depth = 0;
    let mut last: Option<(usize, char)> = None;
    let mut at = open;
    let close = loop {
        let Some(c) = text[at..end].chars().next() else {
            return Err("has a `[` list that is never closed".into());
        };
        let after = at + c.len_utf8();
        match c {
            '[' | '{' => depth += 1,
            ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    break at;
                }
            }
            '#' if text[..at].ends_with(char::is_whitespace) => {
                at = line_end(text, at);
                continue;
            }
            '"' | '\'' => {
                let closing =
                    quoted_end(text, at, end).ok_or("has a quoted name that is never closed")?;
                last = Some((closing, c));
                at = closing;
                continue;
            }
            _ => {}
        }
        if !c.is_whitespace() && at != open {
            last = Some((after, c));
        }
        at = after;
    };
    if skip_blank(text, close + 1, end).is_some() {
        return Err("has text after its list".into());
    }
    let names = items.join(", ");
    let edit = match last {
        None => Edit {
            range: open + 1..open + 1,
            text: names,
        },
        // A trailing comma stays trailing.
        Some((after, ',')) => Edit {
            range: after..after,
            text: format!(" {names},"),
        },
        Some((after, _)) => Edit {
            range: after..after,
            text: format!(", {names}"),
        },
    };
    Ok(vec![edit])
}

/// `people:` then `  - A` lines: one more line per name, indented and
/// dashed like the last item, after the list's last line.
fn block_list(text: &str, first_dash: usize, end: usize, items: &[String]) -> Edit {
    let indent_of = |line_start: usize| {
        text[line_start..]
            .find(|c: char| c != ' ' && c != '\t')
            .unwrap_or(0)
    };
    let first_line = line_start(text, first_dash);
    let indent = first_dash - first_line;
    // The last line at the items' indentation that starts with a dash.
    let mut prefix = format!("{}- ", &text[first_line..first_dash]);
    let mut at = first_line;
    while at < end {
        let next = text[at..end].find('\n').map_or(end, |i| at + i + 1);
        let line = &text[at..next];
        if indent_of(at) == indent && line[indent..].starts_with('-') {
            let dash = &line[indent + 1..];
            let spaces = dash.len() - dash.trim_start_matches([' ', '\t']).len();
            if spaces > 0 && !dash.trim().is_empty() {
                prefix = line[..indent + 1 + spaces].to_string();
            }
        }
        at = next;
    }
    let eol = if text[..end].ends_with("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let mut lines = String::new();
    if !text[..end].ends_with('\n') {
        lines.push_str(eol);
    }
    for item in items {
        lines.push_str(&prefix);
        lines.push_str(item);
        lines.push_str(eol);
    }
    Edit {
        range: end..end,
        text: lines,
    }
}

/// `people: A` (one unquoted name): `[A, C]`. The name is kept as written
/// when it can stand in a list, and quoted when it cannot (`A, B` is one
/// name outside brackets, two inside).
fn plain_scalar(
    text: &str,
    first: usize,
    region: Range<usize>,
    items: &[String],
    current: &[String],
) -> Result<Vec<Edit>, String> {
    let eol = line_end(text, first);
    let line = &text[first..eol];
    let comment = line
        .char_indices()
        .find(|&(i, c)| c == '#' && line[..i].ends_with(char::is_whitespace))
        .map_or(line.len(), |(i, _)| i);
    let written = line[..comment].trim_end();
    let end = first + written.len();
    if skip_blank(text, end, region.end).is_some() {
        return Err("holds a name over several lines".into());
    }
    let names = items.join(", ");
    let replacement = match (written, current) {
        ("~" | "null" | "Null" | "NULL", []) => format!("[{names}]"),
        (_, [name]) => {
            let scalar = yaml_scalar(name);
            let kept = if scalar == written { written } else { &*scalar };
            format!("[{kept}, {names}]")
        }
        _ => return Err("holds a value annotate does not understand".into()),
    };
    Ok(vec![Edit {
        range: first..end,
        text: replacement,
    }])
}

/// The first byte from `from` (before `end`) that is neither blank nor in a comment.
fn skip_blank(text: &str, from: usize, end: usize) -> Option<usize> {
    let mut at = from;
    while at < end {
        let c = text[at..].chars().next()?;
        if c == '#' && (at == from || text[..at].ends_with(char::is_whitespace)) {
            at = line_end(text, at);
        } else if c.is_whitespace() {
            at += c.len_utf8();
        } else {
            return Some(at);
        }
    }
    None
}

/// Just past the quote that closes the string opened at `open`.
fn quoted_end(text: &str, open: usize, end: usize) -> Option<usize> {
    let quote = text[open..].chars().next()?;
    let mut chars = text[open + 1..end].char_indices();
    while let Some((i, c)) = chars.next() {
        let at = open + 1 + i;
        match (quote, c) {
            ('"', '\\') => {
                chars.next();
            }
            ('\'', '\'') if text[at + 1..end].starts_with('\'') => {
                chars.next();
            }
            (q, c) if q == c => return Some(at + 1),
            _ => {}
        }
    }
    None
}

/// The offset of the line ending (`\r\n` or `\n`) of the line holding `at`.
fn line_end(text: &str, at: usize) -> usize {
    text[at..].find('\n').map_or(text.len(), |i| {
        let end = at + i;
        if text[..end].ends_with('\r') {
            end - 1
        } else {
            end
        }
    })
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// Replaces `file` with `bytes`: a temporary file in the same folder (so the
/// rename is atomic) with the file's permissions, renamed over it only if
/// the file still holds `expected`.
fn replace_file(file: &Path, path: &Path, expected: &[u8], bytes: &[u8]) -> Result<(), Diagnostic> {
    // Write beside the real file when this one is a link to it.
    let target = std::fs::canonicalize(file).map_err(|e| io_error(path, "find", &e))?;
    let permissions = std::fs::metadata(&target)
        .map_err(|e| io_error(path, "read the metadata of", &e))?
        .permissions();
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = target.with_file_name(format!(".{name}.{}.dossier.tmp", std::process::id()));
    let guard = TempFile(&temp);
    let mut out = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
        .map_err(|e| io_error(&temp, "create a temporary file", &e))?;
    out.write_all(bytes)
        .and_then(|()| out.sync_all())
        .map_err(|e| io_error(&temp, "write", &e))?;
    drop(out);
    std::fs::set_permissions(&temp, permissions)
        .map_err(|e| io_error(&temp, "set the permissions of", &e))?;
    let now = std::fs::read(&target).map_err(|e| io_error(path, "read", &e))?;
    if now != expected {
        return Err(Diagnostic::error(
            path,
            "the file changed on disk since it was read; nothing was written",
        )
        .with_help("run `dossier annotate` again"));
    }
    std::fs::rename(&temp, &target).map_err(|e| io_error(path, "replace", &e))?;
    std::mem::forget(guard);
    Ok(())
}

/// Removes a temporary file unless forgotten.
struct TempFile<'a>(&'a Path);

impl Drop for TempFile<'_> {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taxonomies() -> Vec<TaxonomyConfig> {
        crate::config::default_taxonomies()
    }

    fn add(text: &str, people: &[&str], topics: &[&str]) -> Result<String, String> {
        let owned = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        add_tags(
            text,
            &[owned(people), Vec::new(), owned(topics)],
            &taxonomies(),
        )
    }

    const HEAD: &str = "---\ntitle: T\ndate: 2021-06-28\n";

    #[test]
    fn flow_lists_gain_names_before_the_bracket() {
        let text = format!("{HEAD}people: [A, \"B: c\"]  # who\n---\nBody\n");
        assert_eq!(
            add(&text, &["C"], &[]).as_deref(),
            Ok(format!("{HEAD}people: [A, \"B: c\", C]  # who\n---\nBody\n").as_str())
        );
        let text = format!("{HEAD}people: []\n---\n");
        assert_eq!(
            add(&text, &["C", "D, E"], &[]).as_deref(),
            Ok(format!("{HEAD}people: [C, \"D, E\"]\n---\n").as_str())
        );
        let text = format!("{HEAD}people: [A,\n  B,  # last\n]\n---\n");
        assert_eq!(
            add(&text, &["C"], &[]).as_deref(),
            Ok(format!("{HEAD}people: [A,\n  B, C,  # last\n]\n---\n").as_str())
        );
    }

    #[test]
    fn block_lists_gain_lines_in_their_style() {
        let text =
            format!("{HEAD}people:\n  -   A\n  # gone: B\n  -   'C'\n# next\ntopics: [X]\n---\n");
        assert_eq!(
            add(&text, &["D"], &[]).as_deref(),
            Ok(format!(
                "{HEAD}people:\n  -   A\n  # gone: B\n  -   'C'\n  -   D\n# next\ntopics: [X]\n---\n"
            )
            .as_str())
        );
        let text = format!("{HEAD}people:\n- A\n---\n");
        assert_eq!(
            add(&text, &["B"], &[]).as_deref(),
            Ok(format!("{HEAD}people:\n- A\n- B\n---\n").as_str())
        );
    }

    #[test]
    fn single_names_missing_keys_and_nulls_become_lists() {
        let text = format!("{HEAD}people: Ada Lovelace # the analyst\n---\n");
        assert_eq!(
            add(&text, &["C"], &["T"]).as_deref(),
            Ok(
                format!("{HEAD}people: [Ada Lovelace, C] # the analyst\ntopics: [T]\n---\n")
                    .as_str()
            )
        );
        let text = format!("{HEAD}people: 'O''Brien'\n---\n");
        assert_eq!(
            add(&text, &["C"], &[]).as_deref(),
            Ok(format!("{HEAD}people: ['O''Brien', C]\n---\n").as_str())
        );
        let text = format!("{HEAD}people: Smith, John\n---\n");
        assert_eq!(
            add(&text, &["C"], &[]).as_deref(),
            Ok(format!("{HEAD}people: [\"Smith, John\", C]\n---\n").as_str())
        );
        let text = format!("{HEAD}people:\ntopics: ~\n---\n");
        assert_eq!(
            add(&text, &["C"], &["T"]).as_deref(),
            Ok(format!("{HEAD}people: [C]\ntopics: [T]\n---\n").as_str())
        );
    }

    #[test]
    fn crlf_is_kept() {
        let text = "---\r\ntitle: T\r\ndate: 2021-06-28\r\npeople:\r\n  - A\r\n---\r\nBody\r\n";
        assert_eq!(
            add(text, &["B"], &["T"]).as_deref(),
            Ok(
                "---\r\ntitle: T\r\ndate: 2021-06-28\r\npeople:\r\n  - A\r\n  - B\r\ntopics: [T]\r\n---\r\nBody\r\n"
            )
        );
    }

    #[test]
    fn forms_it_cannot_edit_are_refused() {
        let text = format!("{HEAD}people: &p [A]\n---\n");
        assert!(add(&text, &["C"], &[]).is_err());
        let text = format!("{HEAD}people: {{a: b}}\n---\n");
        assert!(add(&text, &["C"], &[]).is_err());
        assert!(add("no front matter", &["C"], &[]).is_err());
    }

    #[test]
    fn a_file_changed_since_it_was_read_is_not_replaced() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("b.md");
        std::fs::write(&path, "changed on disk").expect("write");
        let refused = replace_file(&path, Path::new("b.md"), b"as read", b"edited");
        let message = refused.expect_err("refused").message;
        assert!(message.contains("changed on disk"), "{message}");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "changed on disk"
        );
        let files = std::fs::read_dir(dir.path()).expect("list").count();
        assert_eq!(files, 1, "the temporary file was left behind");

        replace_file(&path, Path::new("b.md"), b"changed on disk", b"edited").expect("written");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "edited");
    }
}
