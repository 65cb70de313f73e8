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
        allocator::tune_for_one_shot_build();
    }
    cli.run()
}

mod allocator {
    use libmimalloc_sys::{
        mi_option_get, mi_option_large_os_pages, mi_option_set, mi_option_set_enabled, mi_option_t,
    };

    /// `mi_option_purge_delay` in mimalloc 3's `mimalloc.h` (the enum's 16th
    /// member); the `libmimalloc-sys` bindings name no constant for it.
    const PURGE_DELAY: mi_option_t = 15;
    /// Its default there, in milliseconds: how it is recognised.
    const PURGE_DELAY_DEFAULT: std::ffi::c_long = 1000;

    /// Tells mimalloc never to hand freed memory back to the kernel, and to
    /// take memory from it in 2 MiB pages where the kernel allows
    /// (transparent huge pages in `madvise` mode, the common default).
    ///
    /// Both are about the kernel's cost of fresh memory: every new page is
    /// cleared on first touch, and on a virtual machine each 4 KiB fault is
    /// also a trip to the host. A build frees and reallocates memory all
    /// along, and returned pages would come back as fresh ones (5 to 10% of
    /// a 100,000-briefing build's time); huge pages take one fault per 2 MiB
    /// instead of 512 (3% at 10,000 briefings; a tie at 100,000, where huge
    /// pages can be slow to come back just after a large delete:
    /// BENCHMARKS.md, "Fresh memory on this machine"). A one-shot build ends
    /// soon after and gives everything back then; `serve` keeps the
    /// defaults so that a preview left open shrinks between rebuilds.
    ///
    /// The purge delay is only changed while it still has its known
    /// default, so a mimalloc that numbers its options differently is left
    /// alone; `large_os_pages` is a constant the bindings name.
    #[allow(unsafe_code)]
    pub fn tune_for_one_shot_build() {
        // SAFETY: reading and setting options are plain calls into
        // mimalloc, allowed at any time from any thread.
        unsafe {
            if mi_option_get(PURGE_DELAY) == PURGE_DELAY_DEFAULT {
                mi_option_set(PURGE_DELAY, -1);
            }
            mi_option_set_enabled(mi_option_large_os_pages, true);
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
            // SAFETY: as in `tune_for_one_shot_build`.
            assert_eq!(unsafe { mi_option_get(PURGE_DELAY) }, PURGE_DELAY_DEFAULT);
        }
    }
}
