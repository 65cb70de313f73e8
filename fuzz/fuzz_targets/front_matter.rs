//! Any bytes as a briefing and as a profile: see [`dossier_fuzz::front_matter`].
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    dossier_fuzz::front_matter(bytes);
});
