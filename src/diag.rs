//! Diagnostics: every problem dossier finds in a site, with the file, line and
//! column it comes from and, where we have the text, a snippet of it.
//!
//! Stages never stop at the first problem: they push `Diagnostic`s and carry on,
//! and the build fails once at the end with all of them. `Display` gives the
//! one-line `path:line:col: error: message` form (stable, grep-able, used in
//! tests); [`Diagnostic::render`] adds the source snippet for terminals.

use std::fmt;
use std::path::{Path, PathBuf};

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor::NoColor};
use serde::Serialize;

use crate::model::SharedText;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// A 1-based line and column in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    pub fn new(line: usize, column: usize) -> Self {
        Position {
            line: line.max(1),
            column: column.max(1),
        }
    }

    pub fn line(line: usize) -> Self {
        Position::new(line, 1)
    }
}

/// One problem (or hint) about one file.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub path: PathBuf,
    pub position: Option<Position>,
    pub message: String,
    /// What to do about it, when we can say.
    pub help: Option<String>,
    /// The whole text of the file, for the snippet; shared, never copied.
    #[serde(skip)]
    pub source: Option<SharedText>,
}

impl Diagnostic {
    pub fn error(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            path: path.into(),
            position: None,
            message: message.into(),
            help: None,
            source: None,
        }
    }

    pub fn at(mut self, position: Position) -> Self {
        self.position = Some(position);
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_source(mut self, source: SharedText) -> Self {
        self.source = Some(source);
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The diagnostic with its source snippet, as printed in a terminal.
    pub fn render(&self) -> String {
        let (Some(source), Some(position)) = (&self.source, self.position) else {
            return self.to_string();
        };
        let name = self.path.display().to_string();
        let file = SimpleFile::new(name, source.as_ref());
        let start = byte_offset(source, position);
        let end = line_end(source, start);
        let mut diagnostic = match self.severity {
            Severity::Error => CsDiagnostic::error(),
            Severity::Warning => CsDiagnostic::warning(),
            Severity::Info => CsDiagnostic::note(),
        }
        .with_message(&self.message)
        .with_labels(vec![Label::primary((), start..end)]);
        if let Some(help) = &self.help {
            diagnostic = diagnostic.with_notes(vec![format!("help: {help}")]);
        }
        let mut out = NoColor::new(Vec::new());
        let config = term::Config::default();
        match term::emit(&mut out, &config, &file, &diagnostic) {
            Ok(()) => String::from_utf8_lossy(&out.into_inner())
                .trim_end()
                .to_string(),
            Err(_) => self.to_string(),
        }
    }
}

/// Byte offset of a 1-based line and column (columns count characters).
fn byte_offset(source: &str, position: Position) -> usize {
    let mut offset = 0;
    for (index, line) in source.split_inclusive('\n').enumerate() {
        if index + 1 == position.line {
            let column = line
                .char_indices()
                .nth(position.column - 1)
                .map_or(line.trim_end_matches(['\n', '\r']).len(), |(i, _)| i);
            return offset + column;
        }
        offset += line.len();
    }
    source.len()
}

fn line_end(source: &str, start: usize) -> usize {
    source[start..]
        .find(['\n', '\r'])
        .map_or(source.len(), |i| start + i)
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(Position { line, column }) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, ": {}: {}", self.severity, self.message)?;
        if let Some(help) = &self.help {
            write!(f, " (help: {help})")?;
        }
        Ok(())
    }
}

/// Every problem a failed build found; printed one per paragraph.
#[derive(Debug, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(other);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.is_error())
    }

    /// Sorted by file and position, so output is stable across parallel runs.
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| {
            (&a.path, a.position.map(|p| (p.line, p.column)))
                .cmp(&(&b.path, b.position.map(|p| (p.line, p.column))))
                .then_with(|| a.message.cmp(&b.message))
        });
    }
}

/// Turns an I/O error into a diagnostic that names the path.
pub fn io_error(path: &Path, action: &str, error: &std::io::Error) -> Diagnostic {
    Diagnostic::error(path, format!("cannot {action}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_and_column() {
        let d = Diagnostic::error("content/a.md", "bad date")
            .at(Position::new(3, 7))
            .with_help("write 2021-06-28");
        assert_eq!(
            d.to_string(),
            "content/a.md:3:7: error: bad date (help: write 2021-06-28)"
        );
    }

    #[test]
    fn render_shows_the_offending_line() {
        let source: SharedText =
            std::sync::Arc::new("---\ntitle: x\npeple: [A]\n---\n".to_string());
        let d = Diagnostic::error("a.md", "unknown field `peple`")
            .at(Position::new(3, 1))
            .with_source(source);
        let text = d.render();
        assert!(text.contains("a.md:3:1"), "{text}");
        assert!(text.contains("peple: [A]"), "{text}");
    }
}
