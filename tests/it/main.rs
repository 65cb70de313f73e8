//! The integration tests of dossier: one test binary, a module per concern.
//!
//! - `site`: the fixture site in `tests/fixtures/site`, built and read back as HTML.
//! - `listing`: pagination, drafts and archive listings.
//! - `errors`: sites that must not build (`tests/fixtures/bad/<case>/`, snapshots).
//! - `faults`: builds killed with SIGKILL leave the previous site whole.
//! - `xss`: hostile content comes out inert, in files and in Chromium.
//! - `hostile`: odd and hostile input that is built at test time or must succeed.
//! - `properties`: proptest properties of slugs and URLs.
//! - `fuzz_corpus`: the fuzz targets' corpus and found cases, replayed (`fuzz/`).
//! - `cli`: the `dossier` binary.
//! - `bundled`: the archive that ships in `content/`.
//! - `session`: rebuilds through `Session` (serve's path) match fresh builds.
//! - `browser`: the headless Chromium harness for end-to-end tests.
//! - `search`: the Pagefind bundle, the search page, and a search typed in Chromium.
//! - `check`, `annotate`, `new`: the editor commands, over `tests/fixtures/check`
//!   and small sites.
//! - `serve`: the preview server, run as the real binary and fetched over HTTP;
//!   `serve_browser`: the same in headless Chromium (live reload, the error overlay).

mod annotate;
mod browser;
mod bundled;
mod check;
mod cli;
mod errors;
mod faults;
mod fuzz_corpus;
mod hostile;
mod linkcheck;
mod listing;
mod mentions;
mod new;
mod properties;
mod publish;
mod search;
#[cfg(feature = "serve")]
mod serve;
#[cfg(feature = "serve")]
mod serve_browser;
mod session;
mod site;
mod support;
mod xss;
