//! Front matter: splits the `---` block off a Markdown file and deserializes
//! it into briefings and profiles. Every YAML call of the crate lives here
//! (the site config goes through [`parse_config`]) so that every YAML error is
//! reported the same way: at its line and column in the file, not in the block.
//!
//! Briefings are deserialized by a hand-written visitor rather than a derive
//! because their taxonomy keys come from the config; unknown keys are errors
//! with the nearest valid key suggested.

use std::fmt;
use std::path::Path;

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::config::TaxonomyConfig;
use crate::diag::{Diagnostic, Position};
use crate::model::{
    Body, Briefing, Link, Profile, PublishDate, SharedText, Slug, Source, SourceFile,
};

/// The fixed front-matter keys of a briefing; taxonomy names come on top.
pub const BRIEFING_FIELDS: [&str; 8] = [
    "title", "date", "summary", "source", "slug", "draft", "updated", "extra",
];
const PROFILE_FIELDS: [&str; 6] = ["name", "aliases", "role", "summary", "links", "extra"];

/// A file cut into its YAML block and its Markdown body.
#[derive(Debug)]
pub struct Split<'a> {
    pub yaml: &'a str,
    /// Byte offset of `yaml` in the file's text.
    pub yaml_start: usize,
    /// The file line of the opening `---`.
    pub opening_line: usize,
    /// Where the Markdown body starts.
    pub body: Body,
}

/// Cuts the front matter off `text`. The file must start with a `---` line
/// (after an optional byte-order mark) and the block ends at the next `---` line.
pub fn split(text: &str) -> Result<Split<'_>, (Position, String, &'static str)> {
    let bom = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let text = &text[bom..];
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "---" {
        let help =
            "start the file with a `---` line, then `title:` and `date:`, then another `---` line";
        return Err((Position::line(1), "missing front matter".into(), help));
    }
    let yaml_start = first.len();
    let mut offset = yaml_start;
    for (index, line) in lines.enumerate() {
        if line.trim_end() == "---" {
            return Ok(Split {
                yaml: &text[yaml_start..offset],
                yaml_start: bom + yaml_start,
                opening_line: 1,
                body: Body {
                    offset: bom + offset + line.len(),
                    first_line: index + 3,
                },
            });
        }
        offset += line.len();
    }
    let help = "close the front matter with a line holding only `---`";
    Err((
        Position::line(1),
        "the front matter opened here is never closed".into(),
        help,
    ))
}

/// The 1-based line of a top-level `key:` in a YAML text, if it is there.
pub fn key_line(yaml: &str, key: &str) -> Option<usize> {
    yaml.lines()
        .position(|line| {
            line.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map(|index| index + 1)
}

/// Where a top-level key and its value are written in a YAML block, as byte
/// offsets into the block: enough to edit a value in place without
/// re-serializing (and so reformatting) the rest of the front matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpan {
    /// 1-based line of the key in the block.
    pub line: usize,
    /// Start of the key's line.
    pub start: usize,
    /// Just after the key's `:`.
    pub value_start: usize,
    /// End of the value's last line, after its line ending: the key's own
    /// line, or the last indented (or, for a block list, `- `) line after
    /// it. Comment and blank lines that trail the value are not part of it.
    pub end: usize,
}

/// The span of a top-level `key:` in a YAML block, if it is there. A value
/// continues on every following line that is indented, blank, a comment or
/// starts with `]` or `}` and, when nothing follows the colon, on `- ` lines at column 0 (a block
/// list may sit at its key's indentation).
pub fn key_span(yaml: &str, key: &str) -> Option<KeySpan> {
    let mut offset = 0;
    let mut lines = yaml.split_inclusive('\n').enumerate();
    let (line, start, value_start, inline_empty) = loop {
        let (index, text) = lines.next()?;
        let start = offset;
        offset += text.len();
        let Some(after) = text
            .strip_prefix(key)
            .map(|rest| rest.trim_start_matches([' ', '\t']))
            .and_then(|rest| rest.strip_prefix(':'))
        else {
            continue;
        };
        let inline = after.trim();
        break (
            index + 1,
            start,
            offset - after.len(),
            inline.is_empty() || inline.starts_with('#'),
        );
    };
    let mut end = offset;
    for (_, text) in lines {
        let trimmed = text.trim();
        // Indented, or the closing bracket of a flow list.
        let indented = text.starts_with([' ', '\t', ']', '}']);
        let item = inline_empty && (text.starts_with("- ") || text.trim_end() == "-");
        offset += text.len();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            // Blank or comment: part of the value only if content follows.
        } else if indented || item {
            end = offset;
        } else {
            break;
        }
    }
    Some(KeySpan {
        line,
        start,
        value_start,
        end,
    })
}

/// `text` as a YAML scalar that reads back as exactly `text`, in block or
/// flow context (inside `[…]`): as it is when it is a plain word or name,
/// else double-quoted. Quoted when it holds `:`, `#`, `,`, brackets, braces
/// or quotes, starts with an indicator or a digit, has edge spaces or
/// control characters, or would read as `true`, `null` and the like.
pub fn yaml_scalar(text: &str) -> std::borrow::Cow<'_, str> {
    const RESERVED: [&str; 11] = [
        "true", "false", "null", "yes", "no", "on", "off", "y", "n", "~", "",
    ];
    let plain = text.chars().next().is_some_and(|c| {
        !"-?:,[]{}#&*!|>'\"%@`~+.=".contains(c) && !c.is_ascii_digit() && !c.is_whitespace()
    }) && !text.ends_with(char::is_whitespace)
        && !text.contains([':', '#', ',', '[', ']', '{', '}', '"', '\\'])
        && !text.chars().any(|c| c.is_control() || c == '\u{feff}')
        && !RESERVED.contains(&text.to_ascii_lowercase().as_str());
    if plain {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            c if c.is_control() || c == '\u{feff}' => {
                quoted.push_str(&format!("\\u{:04X}", u32::from(c)));
            }
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    std::borrow::Cow::Owned(quoted)
}

/// Parses a briefing: front matter checked against the configured taxonomies.
pub fn parse_briefing(
    file: &SourceFile,
    taxonomies: &[TaxonomyConfig],
) -> Result<Briefing, Diagnostic> {
    let error = |position: Position, message: String| {
        Diagnostic::error(&file.path, message)
            .at(position)
            .with_source(file.text.clone())
    };
    let split = split(&file.text).map_err(|(p, m, help)| error(p, m).with_help(help))?;
    let raw = from_yaml(split.yaml, BriefingFields { taxonomies })
        .map_err(|e| yaml_diagnostic(file, &split, &e, &briefing_keys(taxonomies)))?;
    let (slug, slug_line) = match raw.slug {
        Some(slug) => (slug, file.key_line(split.body, "slug")),
        None => (stem_slug(file).map_err(|m| error(Position::line(1), m))?, 1),
    };
    Ok(Briefing {
        file: file.clone(),
        slug,
        slug_line,
        title: raw.title,
        date: raw.date,
        updated: raw.updated,
        summary: raw.summary,
        source: raw.source,
        tags: raw.tags,
        draft: raw.draft,
        extra: raw.extra,
        body: split.body,
    })
}

/// Parses the profile of one term of taxonomy number `taxonomy`.
pub fn parse_profile(file: &SourceFile, taxonomy: usize) -> Result<Profile, Diagnostic> {
    let split = split(&file.text).map_err(|(p, m, help)| {
        Diagnostic::error(&file.path, m)
            .at(p)
            .with_help(help)
            .with_source(file.text.clone())
    })?;
    let raw: RawProfile = from_yaml(split.yaml, std::marker::PhantomData)
        .map_err(|e| yaml_diagnostic(file, &split, &e, &PROFILE_FIELDS))?;
    let slug = stem_slug(file).map_err(|m| {
        Diagnostic::error(&file.path, m)
            .at(Position::line(1))
            .with_source(file.text.clone())
    })?;
    Ok(Profile {
        file: file.clone(),
        taxonomy,
        slug,
        name: raw.name.0,
        aliases: raw.aliases.0,
        role: raw.role,
        summary: raw.summary,
        links: raw.links,
        extra: raw.extra.unwrap_or(serde_json::Value::Null),
        body: split.body,
    })
}

/// Parses a whole YAML file (the site config); an empty file gives the defaults.
pub fn parse_config<T: DeserializeOwned + Default>(
    path: &Path,
    text: &SharedText,
    fields: &[&str],
) -> Result<T, Diagnostic> {
    if text.trim().is_empty() {
        return Ok(T::default());
    }
    serde_yaml::from_str(text).map_err(|e| {
        let (position, message, help) = describe_yaml_error(&e, text, 0, fields);
        let mut d = Diagnostic::error(path, message).with_source(text.clone());
        d.position = Some(position);
        d.help = help;
        d
    })
}

fn from_yaml<'de, S: DeserializeSeed<'de>>(
    yaml: &'de str,
    seed: S,
) -> Result<S::Value, serde_yaml::Error> {
    if yaml.trim().is_empty() {
        // An empty block is an empty mapping, so "missing field" is what the author sees.
        return seed.deserialize(serde_yaml::Deserializer::from_str("{}"));
    }
    seed.deserialize(serde_yaml::Deserializer::from_str(yaml))
}

fn stem_slug(file: &SourceFile) -> Result<Slug, String> {
    let stem = file
        .path
        .file_stem()
        .map(|s| s.to_string_lossy())
        .unwrap_or_default();
    Slug::from_name(&stem).map_err(|e| format!("file name: {e}; rename the file or set `slug:`"))
}

fn briefing_keys(taxonomies: &[TaxonomyConfig]) -> Vec<&str> {
    BRIEFING_FIELDS
        .iter()
        .copied()
        .chain(taxonomies.iter().map(|t| t.name.as_str()))
        .collect()
}

fn yaml_diagnostic(
    file: &SourceFile,
    split: &Split<'_>,
    error: &serde_yaml::Error,
    fields: &[&str],
) -> Diagnostic {
    let (position, message, help) =
        describe_yaml_error(error, split.yaml, split.opening_line, fields);
    let mut d = Diagnostic::error(&file.path, message)
        .at(position)
        .with_source(file.text.clone());
    d.help = help;
    d
}

/// The file position, message and advice for a YAML error inside a block that
/// starts after `line_offset` lines of the file.
fn describe_yaml_error(
    error: &serde_yaml::Error,
    yaml: &str,
    line_offset: usize,
    fields: &[&str],
) -> (Position, String, Option<String>) {
    let mut position = error
        .location()
        .map_or(Position::line(line_offset + 1), |l| {
            position_at(yaml, l.index(), line_offset)
        });
    let message = strip_block_locations(&error.to_string());
    // Errors about keys are located at the map, not the key: find the key.
    if message.contains("missing field `") {
        position = Position::line(line_offset.max(1));
    }
    if let Some(line) =
        quoted_after(&message, "duplicate field `").and_then(|f| nth_key_line(yaml, f, 2))
    {
        position = Position::line(line + line_offset);
    }
    if let Some(field) = quoted_after(&message, "unknown field `") {
        let field = field.to_string();
        if let Some(line) = nth_key_line(yaml, &field, 1) {
            position = Position::line(line + line_offset);
        }
        return match nearest(&field, fields) {
            Some(near) => (
                position,
                format!("unknown field `{field}` — did you mean `{near}`?"),
                Some(format!("valid fields: {}", fields.join(", "))),
            ),
            None => (
                position,
                format!("unknown field `{field}`"),
                Some(format!("valid fields: {}", fields.join(", "))),
            ),
        };
    }
    if message.contains("found a tab character") {
        return (
            position,
            message,
            Some("indent front matter with spaces: YAML does not allow tabs there".into()),
        );
    }
    if message.contains("repetition limit exceeded") || message.contains("recursion limit exceeded")
    {
        return (
            position,
            format!("{message}: the YAML's anchors and aliases expand too far"),
            Some(
                "write the values out instead of nesting aliases (`*name`) inside each other"
                    .into(),
            ),
        );
    }
    (position, message, None)
}

/// The file position of byte `index` of a YAML block that starts after
/// `line_offset` lines of the file. Counted here rather than taken from the
/// YAML error's own line and column: YAML also breaks lines at a lone `\r`
/// (and at U+2028, U+2029 and U+0085), which neither editors nor
/// [`Diagnostic`] count as lines.
fn position_at(yaml: &str, index: usize, line_offset: usize) -> Position {
    let mut index = index.min(yaml.len());
    while !yaml.is_char_boundary(index) {
        index -= 1;
    }
    let before = &yaml[..index];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Position::new(
        line_offset + 1 + before.matches('\n').count(),
        before[line_start..].chars().count() + 1,
    )
}

/// Removes every ` at line N column M` the YAML crate writes into its
/// messages: they count from the top of the block, and the diagnostic already
/// gives the position in the file.
fn strip_block_locations(text: &str) -> String {
    const MARK: &str = " at line ";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(MARK) {
        out.push_str(&rest[..at]);
        let after = &rest[at + MARK.len()..];
        let digits = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let line_len = digits(after);
        let tail = &after[line_len..];
        match tail.strip_prefix(" column ") {
            Some(col) if line_len > 0 && digits(col) > 0 => rest = &col[digits(col)..],
            _ => {
                out.push_str(MARK);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.trim_end_matches(['.', ' ']).to_string()
}

/// The text between `prefix` and the next backtick.
fn quoted_after<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = message.split(prefix).nth(1)?;
    rest.split('`').next()
}

/// The line of the `n`th top-level occurrence of `key:` (1-based both).
fn nth_key_line(yaml: &str, key: &str, n: usize) -> Option<usize> {
    yaml.lines()
        .enumerate()
        .filter(|(_, line)| key_line(line, key).is_some())
        .nth(n - 1)
        .map(|(index, _)| index + 1)
}

/// The valid key closest to a misspelt one, if any is close enough to be a typo.
fn nearest<'a>(given: &str, fields: &[&'a str]) -> Option<&'a str> {
    fields
        .iter()
        .map(|f| (strsim::damerau_levenshtein(given, f), *f))
        .filter(|(distance, f)| *distance <= 2.max(f.len() / 3))
        .min()
        .map(|(_, f)| f)
}

/// A briefing's front matter exactly as written, values already checked.
struct RawBriefing {
    title: String,
    date: PublishDate,
    summary: Option<String>,
    source: Option<Source>,
    slug: Option<Slug>,
    draft: bool,
    updated: Option<PublishDate>,
    extra: serde_json::Value,
    tags: Vec<Vec<String>>,
}

/// Deserializes a briefing's map, knowing which taxonomy keys are valid.
struct BriefingFields<'a> {
    taxonomies: &'a [TaxonomyConfig],
}

impl<'de> DeserializeSeed<'de> for BriefingFields<'_> {
    type Value = RawBriefing;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<RawBriefing, D::Error> {
        deserializer.deserialize_map(self)
    }
}

fn once<T, E: de::Error>(slot: &mut Option<T>, key: &'static str, value: T) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::duplicate_field(key));
    }
    *slot = Some(value);
    Ok(())
}

impl<'de> Visitor<'de> for BriefingFields<'_> {
    type Value = RawBriefing;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("front matter keys such as `title:` and `date:`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawBriefing, A::Error> {
        let mut title = None;
        let mut date = None;
        let mut summary = None;
        let mut source = None;
        let mut slug = None;
        let mut draft = None;
        let mut updated = None;
        let mut extra = None;
        let mut tags: Vec<Option<Vec<String>>> = vec![None; self.taxonomies.len()];
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "title" => once(&mut title, "title", map.next_value::<Text>()?.0)?,
                "date" => once(&mut date, "date", map.next_value::<PublishDate>()?)?,
                // An empty summary is no summary: the first paragraph stands in.
                "summary" => once(&mut summary, "summary", map.next_value::<Option<String>>()?)?,
                "source" => once(&mut source, "source", map.next_value::<Source>()?)?,
                "slug" => once(&mut slug, "slug", map.next_value::<Slug>()?)?,
                "draft" => once(&mut draft, "draft", map.next_value::<bool>()?)?,
                "updated" => once(&mut updated, "updated", map.next_value::<PublishDate>()?)?,
                "extra" => once(&mut extra, "extra", map.next_value::<Extra>()?.0)?,
                other => match self.taxonomies.iter().position(|t| t.name == other) {
                    Some(index) => {
                        if tags[index].is_some() {
                            return Err(de::Error::custom(format!("duplicate field `{other}`")));
                        }
                        tags[index] = Some(map.next_value::<Names>()?.0);
                    }
                    None => {
                        return Err(de::Error::custom(format!("unknown field `{other}`")));
                    }
                },
            }
        }
        Ok(RawBriefing {
            title: title.ok_or_else(|| de::Error::missing_field("title"))?,
            date: date.ok_or_else(|| de::Error::missing_field("date"))?,
            summary: summary
                .flatten()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()),
            source,
            slug,
            draft: draft.unwrap_or(false),
            updated,
            extra: extra.unwrap_or(serde_json::Value::Null),
            tags: tags.into_iter().map(Option::unwrap_or_default).collect(),
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    name: Text,
    #[serde(default)]
    aliases: Names,
    role: Option<String>,
    summary: Option<String>,
    #[serde(default)]
    links: Vec<Link>,
    #[serde(default)]
    extra: Option<serde_json::Value>,
}

/// Non-empty text, trimmed.
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(de::Error::custom("this value must not be empty"));
        }
        Ok(Text(trimmed.to_string()))
    }
}

/// A list of names; a single name is a list of one, and an empty value no names.
#[derive(Default)]
struct Names(Vec<String>);

impl<'de> Deserialize<'de> for Names {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NamesVisitor;
        impl<'de> Visitor<'de> for NamesVisitor {
            type Value = Names;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a name or a list of names")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Names, E> {
                let name = name.trim();
                if name.is_empty() {
                    return Err(E::custom("a name must not be empty"));
                }
                Ok(Names(vec![name.to_string()]))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Names, E> {
                Ok(Names(Vec::new()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Names, A::Error> {
                let mut names = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(Text(name)) = seq.next_element::<Text>()? {
                    names.push(name);
                }
                Ok(Names(names))
            }
        }
        deserializer.deserialize_any(NamesVisitor)
    }
}

/// `extra:`, a free-form map handed to templates as it is.
struct Extra(serde_json::Value);

impl<'de> Deserialize<'de> for Extra {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        if value.is_object() || value.is_null() {
            Ok(Extra(value))
        } else {
            Err(de::Error::custom("`extra` must be a map of keys to values"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn taxonomies() -> Vec<TaxonomyConfig> {
        crate::config::default_taxonomies()
    }

    fn briefing(text: &str) -> Result<Briefing, Diagnostic> {
        let file = SourceFile {
            path: PathBuf::from("content/briefings/rome.md"),
            text: std::sync::Arc::new(text.to_string()),
        };
        parse_briefing(&file, &taxonomies())
    }

    #[test]
    fn a_single_name_is_a_list_of_one() {
        let b = briefing("---\ntitle: T\ndate: 2021-06-28\npeople: Antony Blinken\n---\nBody\n")
            .expect("valid");
        assert_eq!(b.tags[0], vec!["Antony Blinken".to_string()]);
        assert_eq!(b.slug.as_str(), "rome");
        assert_eq!(b.body.first_line, 6);
        assert_eq!(b.markdown(), "Body\n");
    }

    #[test]
    fn unknown_keys_name_the_line_and_the_nearest_key() {
        let e = briefing("---\ntitle: T\ndate: 2021-06-28\npeple: [A]\n---\n").expect_err("typo");
        assert_eq!(e.position.map(|p| p.line), Some(4));
        assert!(e.message.contains("did you mean `people`"), "{}", e.message);
    }

    #[test]
    fn a_bad_date_is_reported_at_its_line() {
        let e = briefing("---\ntitle: T\ndate: 2021-02-30\n---\n").expect_err("bad date");
        assert_eq!(e.position.map(|p| p.line), Some(3));
        assert!(e.message.contains("2021-02-30"), "{}", e.message);
    }

    #[test]
    fn yaml_errors_count_lines_as_editors_do_not_as_yaml_does() {
        // YAML ends a line at a lone `\r`; the file's line 4 holds them all.
        let e = briefing("---\ntitle: T\ndate: 2021-06-28\npeople: [\"\r\r\r\n---\n")
            .expect_err("unterminated quote");
        let position = e.position.expect("a position");
        assert_eq!((position.line, position.column), (5, 1), "{e}");
        // `\r\n` is one line end, for both.
        let e = briefing("---\r\ntitle: T\r\ndate: [2021]\r\n---\r\n").expect_err("a list");
        let position = e.position.expect("a position");
        assert_eq!((position.line, position.column), (3, 7), "{e}");
    }

    #[test]
    fn missing_and_unclosed_front_matter_are_errors() {
        assert!(briefing("no front matter").is_err());
        let e = briefing("---\ntitle: T\n").expect_err("unclosed");
        assert!(e.message.contains("never closed"));
        let e = briefing("---\n---\n").expect_err("empty");
        assert!(e.message.contains("missing field `title`"), "{}", e.message);
    }

    #[test]
    fn crlf_and_bom_are_accepted() {
        let b = briefing("\u{feff}---\r\ntitle: T\r\ndate: 2021-06-28\r\n---\r\nBody\r\n")
            .expect("valid");
        assert_eq!(b.title, "T");
    }

    #[test]
    fn block_locations_are_stripped_from_messages() {
        assert_eq!(
            strip_block_locations(
                "did not find expected ',' at line 4 column 10, while parsing a flow sequence at line 3 column 9"
            ),
            "did not find expected ',', while parsing a flow sequence"
        );
        assert_eq!(
            strip_block_locations("seen at line one"),
            "seen at line one"
        );
    }

    #[test]
    fn key_spans_cover_the_value_and_not_what_trails_it() {
        let yaml = "title: T\npeople:\n  - A\n  # gone\n  - B\n\n# next\ntopics: [X,\n]\n";
        let span = key_span(yaml, "people").expect("people");
        assert_eq!(span.line, 2);
        assert_eq!(&yaml[span.start..span.value_start], "people:");
        assert_eq!(
            &yaml[span.value_start..span.end],
            "\n  - A\n  # gone\n  - B\n"
        );
        let span = key_span(yaml, "topics").expect("topics");
        assert_eq!(&yaml[span.value_start..span.end], " [X,\n]\n");
        assert_eq!(key_span(yaml, "countries"), None);
        assert_eq!(
            key_span("people: A\n- B\n", "people").map(|s| s.end),
            Some(10)
        );
    }

    #[test]
    fn scalars_are_quoted_only_when_yaml_needs_it() {
        for plain in [
            "Ada Lovelace",
            "Côte d'Ivoire",
            "G20",
            "Recep Tayyip Erdoğan",
        ] {
            assert_eq!(yaml_scalar(plain), plain);
        }
        for (text, quoted) in [
            ("Talks: day 2", "\"Talks: day 2\""),
            ("Smith, John", "\"Smith, John\""),
            ("C#", "\"C#\""),
            ("[draft]", "\"[draft]\""),
            ("yes", "\"yes\""),
            ("1984", "\"1984\""),
            ("-5 degrees", "\"-5 degrees\""),
            ("'quoted'", "\"'quoted'\""),
            ("say \"hi\"\n", "\"say \\\"hi\\\"\\n\""),
        ] {
            assert_eq!(yaml_scalar(text), quoted, "{text:?}");
        }
    }

    #[test]
    fn key_line_finds_top_level_keys() {
        assert_eq!(key_line("title: a\nslug: b\n", "slug"), Some(2));
        assert_eq!(key_line("title: a\n  slug: b\n", "slug"), None);
    }
}
