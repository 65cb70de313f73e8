//! The content model: briefings and entity profiles as validated Rust values.
//!
//! Nothing here knows about YAML, HTML or Tera. A value of these types has
//! already been checked: a [`Slug`] is always URL-safe and can never escape the
//! output folder, a [`PublishDate`] is a real calendar date.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

/// A URL path segment: lowercase ASCII letters, digits and single hyphens,
/// never empty. It is safe to join under the output folder.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Slug(String);

/// Why a string cannot be a slug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("slug is empty")]
    Empty,
    #[error("`{0}` would write outside its folder: a slug is a single URL segment")]
    Escapes(String),
    #[error("`{given}` is not URL-safe; use `{suggestion}`")]
    NotUrlSafe { given: String, suggestion: String },
    #[error("`{0}` has no letters or digits to make a URL slug from")]
    NothingToSlug(String),
}

impl Slug {
    /// Accepts a slug exactly as given, or says what is wrong with it.
    pub fn parse(given: &str) -> Result<Slug, SlugError> {
        if given.is_empty() {
            return Err(SlugError::Empty);
        }
        if given.contains(['/', '\\']) || given.contains("..") || given.starts_with('.') {
            return Err(SlugError::Escapes(given.to_string()));
        }
        let valid = given
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !given.starts_with('-')
            && !given.ends_with('-');
        if valid {
            return Ok(Slug(given.to_string()));
        }
        let suggestion = slug::slugify(given);
        if suggestion.is_empty() {
            return Err(SlugError::NothingToSlug(given.to_string()));
        }
        Err(SlugError::NotUrlSafe {
            given: given.to_string(),
            suggestion,
        })
    }

    /// Makes a slug from a display name: transliterated to ASCII, lowercase,
    /// hyphen-separated ("Côte d'Ivoire" → `cote-d-ivoire`).
    pub fn from_name(name: &str) -> Result<Slug, SlugError> {
        let slug = slug::slugify(name);
        if slug.is_empty() {
            Err(SlugError::NothingToSlug(name.to_string()))
        } else {
            Ok(Slug(slug))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Slug {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Checked inside the visitor so the error carries the value's location.
        struct SlugVisitor;
        impl Visitor<'_> for SlugVisitor {
            type Value = Slug;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a URL slug such as `rome-2021`")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Slug, E> {
                Slug::parse(text).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(SlugVisitor)
    }
}

/// When a briefing was published: a calendar date, with the exact instant
/// when the front matter gave an RFC 3339 timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PublishDate {
    pub date: Date,
    pub instant: Option<Timestamp>,
}

impl PublishDate {
    /// Days from 1970-01-01 to its date (negative before): how far apart two
    /// briefings are in time, whatever else is in the archive.
    pub fn day_number(&self) -> i32 {
        const EPOCH: Date = Date::constant(1970, 1, 1);
        self.date.since(EPOCH).map_or(0, |span| span.get_days())
    }

    /// Parses `YYYY-MM-DD` or an RFC 3339 timestamp.
    pub fn parse(text: &str) -> Result<PublishDate, String> {
        let text = text.trim();
        if text.len() == 10 {
            return text
                .parse::<Date>()
                .map(|date| PublishDate {
                    date,
                    instant: None,
                })
                .map_err(|e| date_error(text, &e.to_string()));
        }
        // The calendar date is the one written, in the timestamp's own offset.
        let instant = text
            .parse::<Timestamp>()
            .map_err(|e| date_error(text, &e.to_string()))?;
        let date = text
            .get(..10)
            .and_then(|d| d.parse::<Date>().ok())
            .ok_or_else(|| date_error(text, "it does not start with YYYY-MM-DD"))?;
        Ok(PublishDate {
            date,
            instant: Some(instant),
        })
    }

    /// `2021-06-28`, as used in `<time datetime>` and sorting.
    pub fn iso(&self) -> String {
        self.date.to_string()
    }

    /// `28 June 2021`, for readers.
    pub fn display(&self) -> String {
        self.date.strftime("%-d %B %Y").to_string()
    }

    pub fn year(&self) -> i16 {
        self.date.year()
    }

    /// The instant: the timestamp given, or midnight UTC of the date.
    pub fn timestamp(&self) -> Timestamp {
        self.instant.unwrap_or_else(|| {
            self.date
                .to_zoned(jiff::tz::TimeZone::UTC)
                .map(|z| z.timestamp())
                .unwrap_or(Timestamp::UNIX_EPOCH)
        })
    }

    /// The instant in RFC 3339 (`2021-06-28T00:00:00Z`), as Atom wants it.
    pub fn rfc3339(&self) -> String {
        self.timestamp().to_string()
    }

    /// As a sitemap `lastmod` (W3C Datetime): the date alone when only a
    /// date was given, else the RFC 3339 instant.
    pub fn w3c(&self) -> String {
        match self.instant {
            Some(instant) => instant.to_string(),
            None => self.iso(),
        }
    }

    pub fn month(&self) -> i8 {
        self.date.month()
    }
}

fn date_error(text: &str, detail: &str) -> String {
    format!(
        "`{text}` is not a valid date ({detail}); write it as 2021-06-28 or 2021-06-28T14:30:00Z"
    )
}

impl<'de> Deserialize<'de> for PublishDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DateVisitor;
        impl Visitor<'_> for DateVisitor {
            type Value = PublishDate;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date like 2021-06-28 or 2021-06-28T14:30:00Z")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<PublishDate, E> {
                PublishDate::parse(text).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(DateVisitor)
    }
}

/// Where a briefing's facts come from.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub name: String,
    #[serde(default)]
    pub url: Option<LinkUrl>,
}

/// A titled external link on a profile.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub title: String,
    pub url: LinkUrl,
}

/// An address a front-matter field links to: `http:`, `https:`, `mailto:`
/// or a path without a scheme. Never `javascript:`, `data:` or any other
/// scheme a browser would run or render in place, however it is spelled
/// (`JavaScript:`, ` java\tscript:`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct LinkUrl(String);

impl LinkUrl {
    const SCHEMES: [&str; 3] = ["http", "https", "mailto"];

    pub fn parse(given: &str) -> Result<LinkUrl, String> {
        // What a browser reads: no tabs or newlines anywhere, no leading or
        // trailing spaces or control characters.
        let seen: String = given
            .chars()
            .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
            .collect();
        let seen = seen.trim_matches(|c: char| c <= ' ');
        let scheme_end = seen.find([':', '/', '?', '#']);
        if let Some(end) = scheme_end.filter(|&end| seen[end..].starts_with(':')) {
            let scheme = seen[..end].to_ascii_lowercase();
            if !Self::SCHEMES.contains(&scheme.as_str()) {
                return Err(format!(
                    "`{given}` is not a web address: links may use http:, https: or mailto:, not {scheme}:"
                ));
            }
        }
        Ok(LinkUrl(seen.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for LinkUrl {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let given = String::deserialize(deserializer)?;
        LinkUrl::parse(&given).map_err(serde::de::Error::custom)
    }
}

/// A file's whole text, shared (by the briefing made from it and by the
/// diagnostics that quote it) and never copied: the `String` it was read
/// into, behind an `Arc`. (An `Arc<str>` would copy it once more, out of
/// that `String`: half a gigabyte at 100,000 briefings.)
pub type SharedText = Arc<String>;

/// A Markdown file as read from disk. The text is shared so diagnostics can
/// show a snippet without reading the file again.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the site root, for messages (`content/briefings/a.md`).
    pub path: PathBuf,
    pub text: SharedText,
}

/// Where the Markdown body starts in its file (after the front matter).
#[derive(Debug, Clone, Copy)]
pub struct Body {
    /// Byte offset into the file's text.
    pub offset: usize,
    /// 1-based line.
    pub first_line: usize,
}

impl SourceFile {
    /// The text from `body` on.
    pub fn body(&self, body: Body) -> &str {
        self.text.get(body.offset..).unwrap_or("")
    }

    /// The file line of a top-level front-matter key, or 1.
    pub fn key_line(&self, body: Body, key: &str) -> usize {
        let front = self.text.get(..body.offset).unwrap_or("");
        crate::front_matter::key_line(front, key).unwrap_or(1)
    }
}

/// One briefing, validated.
#[derive(Debug, Clone)]
pub struct Briefing {
    pub file: SourceFile,
    pub slug: Slug,
    /// The line of the `slug:` key, or 1 when the slug comes from the file name.
    pub slug_line: usize,
    pub title: String,
    pub date: PublishDate,
    pub updated: Option<PublishDate>,
    pub summary: Option<String>,
    pub source: Option<Source>,
    /// Names as written, one list per configured taxonomy (same order as the config).
    pub tags: Vec<Vec<String>>,
    pub draft: bool,
    pub extra: serde_json::Value,
    pub body: Body,
}

/// The profile of one person, country or topic: `content/<taxonomy>/<slug>.md`.
#[derive(Debug, Clone)]
pub struct Profile {
    pub file: SourceFile,
    /// Index of the taxonomy in the config.
    pub taxonomy: usize,
    pub slug: Slug,
    pub name: String,
    pub aliases: Vec<String>,
    pub role: Option<String>,
    pub summary: Option<String>,
    pub links: Vec<Link>,
    pub extra: serde_json::Value,
    pub body: Body,
}

impl Briefing {
    pub fn markdown(&self) -> &str {
        self.file.body(self.body)
    }
}

impl Profile {
    pub fn markdown(&self) -> &str {
        self.file.body(self.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_urls_allow_web_addresses_and_refuse_script_schemes() {
        for ok in [
            "https://example.org/a?b#c",
            "http://example.org",
            "mailto:desk@example.org",
            "/briefings/rome/",
            "../x",
            "#notes",
        ] {
            assert!(LinkUrl::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "\u{1}javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "page:2", // a colon before any slash makes a scheme, as browsers read it
        ] {
            assert!(LinkUrl::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn slugs_from_names_are_transliterated() {
        let slug = |s| Slug::from_name(s).map(|s| s.to_string());
        assert_eq!(
            slug("Recep Tayyip Erdoğan").as_deref(),
            Ok("recep-tayyip-erdogan")
        );
        assert_eq!(slug("Côte d'Ivoire").as_deref(), Ok("cote-d-ivoire"));
        assert_eq!(slug("???"), Err(SlugError::NothingToSlug("???".into())));
    }

    #[test]
    fn slugs_that_escape_are_rejected() {
        for bad in ["../../etc", "a/b", "..", ".hidden", "a\\b"] {
            assert!(
                matches!(Slug::parse(bad), Err(SlugError::Escapes(_))),
                "{bad}"
            );
        }
        assert_eq!(Slug::parse(""), Err(SlugError::Empty));
        assert!(matches!(
            Slug::parse("My Slug"),
            Err(SlugError::NotUrlSafe { suggestion, .. }) if suggestion == "my-slug"
        ));
        assert_eq!(
            Slug::parse("rome-2021").map(|s| s.to_string()),
            Ok("rome-2021".into())
        );
    }

    #[test]
    fn dates_parse_plain_and_rfc3339() {
        let d = PublishDate::parse("2021-06-28").expect("date");
        assert_eq!(d.display(), "28 June 2021");
        let t = PublishDate::parse("2017-03-22T15:04:05+01:00").expect("timestamp");
        assert_eq!(t.iso(), "2017-03-22");
        assert!(t.instant.is_some());
        assert!(PublishDate::parse("2021-02-30").is_err());
        assert!(PublishDate::parse("yesterday").is_err());
    }

    #[test]
    fn dates_print_for_feeds_and_sitemaps() {
        let d = PublishDate::parse("2021-06-28").expect("date");
        assert_eq!(d.rfc3339(), "2021-06-28T00:00:00Z");
        assert_eq!(d.w3c(), "2021-06-28");
        let t = PublishDate::parse("2017-03-22T15:04:05+01:00").expect("timestamp");
        assert_eq!(t.rfc3339(), "2017-03-22T14:04:05Z");
        assert_eq!(t.w3c(), "2017-03-22T14:04:05Z");
    }
}
