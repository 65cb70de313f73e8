//! The integration tests of dossier: one test binary, a module per concern.
//!
//! - `site`: the fixture site in `tests/fixtures/site`, built and read back as HTML.
//! - `listing`: pagination, drafts and archive listings.
//! - `errors`: sites that must not build (`tests/fixtures/bad/<case>/`, snapshots).
//! - `cli`: the `dossier` binary.
//! - `bundled`: the archive that ships in `content/`.
//! - `browser`: the headless Chromium harness for end-to-end tests.
//! - `search`: the Pagefind bundle, the search page, and a search typed in Chromium.
//! - `check`, `annotate`, `new`: the editor commands, over `tests/fixtures/check`
//!   and small sites.

mod annotate;
mod browser;
mod bundled;
mod check;
mod cli;
mod errors;
mod listing;
mod mentions;
mod new;
mod search;
mod site;
mod support;
