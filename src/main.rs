//! The `dossier` binary: parse arguments, run, map the result to an exit code.

use clap::Parser;
use dossier::cli::{Cli, Command};

/// A build allocates many small strings and values from several threads at
/// once; mimalloc handles that far better than the system allocator (about a
/// tenth fewer instructions per build, see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, Command::Build(_)) {
        allocator::keep_freed_memory();
    }
    cli.run()
}

mod allocator {
    use libmimalloc_sys::{mi_option_get, mi_option_set, mi_option_t};

    /// `mi_option_purge_delay` in mimalloc 3's `mimalloc.h` (the enum's 16th
    /// member); the `libmimalloc-sys` bindings name no constant for it.
    const PURGE_DELAY: mi_option_t = 15;
    /// Its default there, in milliseconds: how it is recognised.
    const PURGE_DELAY_DEFAULT: std::ffi::c_long = 1000;

    /// Tells mimalloc never to hand freed memory back to the kernel. A
    /// build frees and reallocates memory all along; returned pages come
    /// back as fresh ones the kernel must zero again, which cost 5 to 10% of
    /// a 100,000-briefing build's time (BENCHMARKS.md). A one-shot build
    /// ends soon after and gives everything back then; `serve` keeps the
    /// default so that a preview left open shrinks between rebuilds.
    ///
    /// Only done when the option still has its known default, so a
    /// mimalloc that numbers its options differently is left alone.
    #[allow(unsafe_code)]
    pub fn keep_freed_memory() {
        // SAFETY: reading and setting an option are plain calls into
        // mimalloc, allowed at any time from any thread.
        unsafe {
            if mi_option_get(PURGE_DELAY) == PURGE_DELAY_DEFAULT {
                mi_option_set(PURGE_DELAY, -1);
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        #[allow(unsafe_code)]
        fn the_purge_delay_option_is_where_we_expect_it() {
            // If mimalloc renumbers its options, this fails, and the build
            // leaves the option alone rather than change some other one.
            // SAFETY: as in `keep_freed_memory`.
            assert_eq!(unsafe { mi_option_get(PURGE_DELAY) }, PURGE_DELAY_DEFAULT);
        }
    }
}
