//! The command line: one `*Args` struct per subcommand, each with `run()`.
//!
//! The doc comments on the arguments are clap's `--help` text, written for a
//! terminal: `<year>` there is a placeholder, not an HTML tag.
#![allow(rustdoc::invalid_html_tags)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::annotate::{self, AnnotateOptions};
use crate::check;
use crate::config::BuildOptions;
use crate::diag::{Diagnostics, Severity};
use crate::new::{self, NewOptions};

#[derive(Debug, Parser)]
#[command(
    name = "dossier",
    version,
    about = "Build an annotated briefing archive into a static site"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the site into the output folder (public/ by default).
    Build(BuildArgs),
    /// Check the content without writing anything: errors, untagged mentions,
    /// look-alike names, unmentioned tags.
    Check(CheckArgs),
    /// Suggest the tags a briefing's text calls for; --write adds them.
    Annotate(AnnotateArgs),
    /// Start a new briefing in content/briefings/<year>/<slug>.md.
    New(NewArgs),
    /// Preview the site: build it, serve it on http://127.0.0.1:1111/ and
    /// rebuild and reload the browser on every save.
    #[cfg(feature = "serve")]
    Serve(ServeArgs),
}

impl Cli {
    pub fn run(self) -> ExitCode {
        match self.command {
            Command::Build(args) => args.run(),
            Command::Check(args) => args.run(),
            Command::Annotate(args) => args.run(),
            Command::New(args) => args.run(),
            #[cfg(feature = "serve")]
            Command::Serve(args) => args.run(),
        }
    }
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The site folder, holding dossier.yaml and content/.
    #[arg(long, short = 'r', default_value = ".")]
    pub root: PathBuf,
    /// Where to write the site [default: <root>/public].
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// The URL the site is served from, overriding base_url in dossier.yaml.
    #[arg(long, short = 'u')]
    pub base_url: Option<String>,
    /// Include briefings marked `draft: true`.
    #[arg(long)]
    pub drafts: bool,
    /// Print how long each stage of the build took.
    #[arg(long)]
    pub timings: bool,
}

impl BuildArgs {
    pub fn options(&self) -> BuildOptions {
        let mut options = BuildOptions::new(&self.root);
        if let Some(output) = &self.output {
            options.output = output.clone();
        }
        options.base_url = self.base_url.clone();
        options.drafts = self.drafts;
        options
    }

    pub fn run(&self) -> ExitCode {
        let options = self.options();
        match crate::build_then_exit(&options) {
            Ok(report) => {
                for warning in &report.warnings {
                    eprintln!("{}", warning.render());
                }
                if self.timings {
                    for (stage, took) in &report.timings {
                        eprintln!("{stage:>24}: {:>8.1} ms", took.as_secs_f64() * 1000.0);
                    }
                }
                if let Some(line) = report
                    .search_reuse
                    .and_then(|reuse| kept_parts((reuse.parts_kept, reuse.parts)))
                {
                    println!("{line}");
                }
                println!("{}", report.summary());
                ExitCode::SUCCESS
            }
            Err(diagnostics) => {
                report_failure(&diagnostics, &options);
                ExitCode::FAILURE
            }
        }
    }
}

/// What `dossier build` says of the search index's parts taken from the
/// last build as they were; nothing when none was.
fn kept_parts((kept, parts): (usize, usize)) -> Option<String> {
    match kept {
        0 => None,
        1 if parts == 1 => Some("Search index: as the last build made it".to_string()),
        _ if kept == parts => Some(format!(
            "Search index: all {parts} parts as the last build made them"
        )),
        _ => Some(format!(
            "Search index: {kept} of {parts} parts as the last build made them, {} made again",
            parts - kept
        )),
    }
}

fn report_failure(diagnostics: &Diagnostics, options: &BuildOptions) {
    for diagnostic in &diagnostics.0 {
        eprintln!("{}", diagnostic.render());
    }
    let errors = diagnostics.errors().count();
    eprintln!(
        "error: build failed with {errors} error{}; {} was left as it was",
        if errors == 1 { "" } else { "s" },
        options.output.display()
    );
}

#[cfg(feature = "serve")]
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The site folder, holding dossier.yaml and content/.
    #[arg(long, short = 'r', default_value = ".")]
    pub root: PathBuf,
    /// The port to listen on; 0 picks a free one.
    #[arg(long, short = 'p', default_value_t = crate::serve::DEFAULT_PORT)]
    pub port: u16,
    /// The address to listen on. Only this machine can connect unless you
    /// give another, such as 0.0.0.0 for every network interface.
    #[arg(long, short = 'b', default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// Include briefings marked `draft: true`.
    #[arg(long)]
    pub drafts: bool,
    /// Open the site in your default browser once it is built.
    #[arg(long)]
    pub open: bool,
}

#[cfg(feature = "serve")]
impl ServeArgs {
    pub fn run(&self) -> ExitCode {
        let options = crate::serve::ServeOptions {
            root: self.root.clone(),
            bind: self.bind,
            port: self.port,
            drafts: self.drafts,
            open: self.open,
        };
        match crate::serve::serve(&options) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
        }
    }
}

/// How `check` prints its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    /// Errors and warnings with a snippet, notes on one line, then a summary.
    #[default]
    Human,
    /// A JSON array of {severity, path, line, column, message, help}.
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The site folder, holding dossier.yaml and content/.
    #[arg(long, short = 'r', default_value = ".")]
    pub root: PathBuf,
    /// Fail (exit 1) on warnings too, not only on errors.
    #[arg(long)]
    pub strict: bool,
    /// How to print the findings.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Check briefings marked `draft: true` as well.
    #[arg(long)]
    pub drafts: bool,
    /// Also check every internal link, asset and #fragment of the built site.
    /// Builds into a scratch folder first, unless --output names a built site.
    #[arg(long)]
    pub links: bool,
    /// With --links: check the site already built in this folder, as it is.
    #[arg(long, short = 'o', requires = "links")]
    pub output: Option<PathBuf>,
    /// With --links --output: the URL that site was built for [default: base_url].
    #[arg(long, short = 'u', requires = "links")]
    pub base_url: Option<String>,
    /// With --links: list every external URL as a note (never fetched).
    #[arg(long, requires = "links")]
    pub external: bool,
}

impl CheckArgs {
    pub fn run(&self) -> ExitCode {
        let mut options = BuildOptions::new(&self.root);
        options.drafts = self.drafts;
        options.base_url = self.base_url.clone();
        let mut report = check::check(&options);
        if self.links {
            report.check_links(
                &options,
                &check::LinkOptions {
                    output: self.output.clone(),
                    external: self.external,
                },
            );
        }
        let mut out = String::new();
        match self.format {
            Format::Json => out.push_str(&report.to_json()),
            Format::Human => {
                for finding in &report.findings {
                    if finding.severity == Severity::Info {
                        out.push_str(&format!("{finding}\n"));
                    } else {
                        out.push_str(&format!("{}\n\n", finding.render()));
                    }
                }
                out.push_str(&report.summary());
            }
        }
        out.push('\n');
        // Findings are often piped (`| head`, `| jq`): a reader that stops
        // early is not an error, so write errors are ignored, not panicked on.
        let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes());
        exit(!report.fails(self.strict))
    }
}

#[derive(Debug, Args)]
pub struct AnnotateArgs {
    /// The briefing to annotate.
    pub file: PathBuf,
    /// The site folder whose people, countries and topics are known.
    #[arg(long, short = 'r', default_value = ".")]
    pub root: PathBuf,
    /// Add the suggested tags to the file's front matter.
    #[arg(long)]
    pub write: bool,
}

impl AnnotateArgs {
    pub fn run(&self) -> ExitCode {
        let options = AnnotateOptions {
            root: self.root.clone(),
            file: self.file.clone(),
        };
        let annotation = match annotate::suggest(&options) {
            Ok(annotation) => annotation,
            Err(problems) => {
                print_all(&problems);
                return ExitCode::FAILURE;
            }
        };
        let path = annotation.path.display();
        if annotation.suggestions.is_empty() {
            println!("{path}: every known term the text mentions is tagged");
            return ExitCode::SUCCESS;
        }
        let mut keys: Vec<&str> = annotation
            .suggestions
            .iter()
            .map(|s| s.key.as_str())
            .collect();
        keys.dedup();
        for key in keys {
            let names: Vec<String> = annotation
                .suggestions
                .iter()
                .filter(|s| s.key == key)
                .map(|s| format!("{} (line {})", s.name, s.line))
                .collect();
            println!("{key}: {}", names.join(", "));
        }
        if !self.write {
            println!("{path}: run with --write to add them");
            return ExitCode::SUCCESS;
        }
        match annotation.write() {
            Ok(()) => {
                let n = annotation.suggestions.len();
                println!("{path}: added {n} tag{}", if n == 1 { "" } else { "s" });
                ExitCode::SUCCESS
            }
            Err(problem) => {
                eprintln!("{}", problem.render());
                ExitCode::FAILURE
            }
        }
    }
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The briefing's title.
    pub title: String,
    /// The site folder.
    #[arg(long, short = 'r', default_value = ".")]
    pub root: PathBuf,
    /// The briefing's date, YYYY-MM-DD [default: today].
    #[arg(long)]
    pub date: Option<jiff::civil::Date>,
    /// The file name and URL slug [default: made from the title].
    #[arg(long)]
    pub slug: Option<String>,
}

impl NewArgs {
    pub fn run(&self) -> ExitCode {
        let options = NewOptions {
            root: self.root.clone(),
            title: self.title.clone(),
            date: self.date,
            slug: self.slug.clone(),
        };
        match new::new_briefing(&options) {
            Ok(rel) => {
                let path = if self.root == std::path::Path::new(".") {
                    rel
                } else {
                    self.root.join(rel)
                };
                println!("{}", path.display());
                ExitCode::SUCCESS
            }
            Err(problems) => {
                print_all(&problems);
                ExitCode::FAILURE
            }
        }
    }
}

fn print_all(problems: &Diagnostics) {
    for problem in &problems.0 {
        eprintln!("{}", problem.render());
    }
}

fn exit(success: bool) -> ExitCode {
    if success {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::kept_parts;

    #[test]
    fn a_build_says_how_much_of_the_search_index_it_took_as_it_was() {
        assert_eq!(kept_parts((0, 5)), None);
        assert_eq!(
            kept_parts((1, 1)).as_deref(),
            Some("Search index: as the last build made it")
        );
        assert_eq!(
            kept_parts((5, 5)).as_deref(),
            Some("Search index: all 5 parts as the last build made them")
        );
        assert_eq!(
            kept_parts((4, 6)).as_deref(),
            Some("Search index: 4 of 6 parts as the last build made them, 2 made again")
        );
    }
}
