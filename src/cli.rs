//! The command line: one `*Args` struct per subcommand, each with `run()`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::BuildOptions;
use crate::diag::Diagnostics;

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
}

impl Cli {
    pub fn run(self) -> ExitCode {
        match self.command {
            Command::Build(args) => args.run(),
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
        match crate::build(&options) {
            Ok(report) => {
                for warning in &report.warnings {
                    eprintln!("{}", warning.render());
                }
                if self.timings {
                    for (stage, took) in &report.timings {
                        eprintln!("{stage:>24}: {:>8.1} ms", took.as_secs_f64() * 1000.0);
                    }
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
