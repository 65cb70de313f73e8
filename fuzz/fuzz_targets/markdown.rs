//! Any text as a briefing body, rendered with mention links: see [`dossier_fuzz::markdown`].
#![no_main]

libfuzzer_sys::fuzz_target!(|text: &str| {
    dossier_fuzz::markdown(text);
});
