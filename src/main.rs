//! The `dossier` binary: parse arguments, run, map the result to an exit code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    dossier::cli::Cli::parse().run()
}
