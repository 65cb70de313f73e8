//! Properties that must hold for every input, checked with proptest: slugs
//! (made from any name, or given as-is) are always one URL-safe path
//! segment, and URLs joined under any base path stay under it.

use dossier::model::{Slug, SlugError};
use dossier::url::SiteUrls;
use proptest::prelude::*;
use url::Url;

/// Names as people type them: any Unicode, plus the characters that try to
/// escape a folder or break a URL.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9 ./\\\\%?#&'\"<>:_-]{0,24}",
        "\\PC{0,16}",
    ]
}

fn url_safe(slug: &str) -> bool {
    !slug.is_empty()
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
}

/// A base path of a few URL-ish segments: `/`, `/archive/`, `/a b/ü/`…
fn base_url() -> impl Strategy<Value = String> {
    (
        prop_oneof!["https", "http"],
        prop::collection::vec("[a-zA-Z0-9 ._~üé-]{1,8}", 0..3),
        any::<bool>(),
    )
        .prop_filter_map(
            "segments that are not . or ..",
            |(scheme, segments, slash)| {
                if segments.iter().any(|s| s.trim() == "." || s.trim() == "..") {
                    return None;
                }
                let mut url = format!("{scheme}://example.org/{}", segments.join("/"));
                if slash && !url.ends_with('/') {
                    url.push('/');
                }
                Some(url)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_slug_made_from_any_name_is_one_url_safe_segment(name in name()) {
        match Slug::from_name(&name) {
            Ok(slug) => {
                prop_assert!(url_safe(slug.as_str()), "{name:?} → {:?}", slug.as_str());
                prop_assert!(!slug.as_str().contains(".."));
            }
            Err(SlugError::NothingToSlug(_)) => {
                let ascii = deunicode::deunicode(&name);
                prop_assert!(
                    !ascii.chars().any(|c| c.is_ascii_alphanumeric()),
                    "{name:?} has letters or digits but made no slug"
                );
            }
            Err(other) => prop_assert!(false, "{name:?}: unexpected {other}"),
        }
    }

    #[test]
    fn slugs_are_idempotent(name in name()) {
        if let Ok(slug) = Slug::from_name(&name) {
            let again = Slug::from_name(slug.as_str()).expect("a slug slugs to itself");
            prop_assert_eq!(again.as_str(), slug.as_str());
            let parsed = Slug::parse(slug.as_str()).expect("a made slug is accepted as given");
            prop_assert_eq!(parsed.as_str(), slug.as_str());
        }
    }

    #[test]
    fn a_given_slug_is_accepted_only_when_url_safe(given in name()) {
        match Slug::parse(&given) {
            Ok(slug) => {
                prop_assert!(url_safe(slug.as_str()));
                prop_assert_eq!(slug.as_str(), given.as_str());
            }
            Err(SlugError::NotUrlSafe { suggestion, .. }) => {
                prop_assert!(url_safe(&suggestion), "suggested {suggestion:?} for {given:?}");
            }
            Err(SlugError::Escapes(_)) => prop_assert!(
                given.contains(['/', '\\']) || given.contains("..") || given.starts_with('.')
            ),
            Err(SlugError::Empty) => prop_assert!(given.is_empty()),
            Err(SlugError::NothingToSlug(_)) => {}
        }
    }

    #[test]
    fn links_and_permalinks_stay_under_the_base_path(
        base in base_url(),
        names in prop::collection::vec(name(), 1..4),
        trailing in any::<bool>(),
    ) {
        let urls = SiteUrls::new(&base).expect("an http(s) base URL is accepted");
        prop_assert!(urls.root().starts_with('/') && urls.root().ends_with('/'));
        let slugs: Vec<String> = names
            .iter()
            .filter_map(|n| Slug::from_name(n).ok())
            .map(|s| s.as_str().to_string())
            .collect();
        let mut site_path = slugs.join("/");
        if trailing && !site_path.is_empty() {
            site_path.push('/');
        }
        let link = urls.path(&site_path);
        let permalink = urls.permalink(&site_path);
        prop_assert!(link.starts_with(urls.root()), "{link} not under {}", urls.root());
        let base = Url::parse(urls.base_url()).expect("the base URL parses");
        let resolved = base.join(&link).expect("a link resolves against the base");
        let absolute = Url::parse(&permalink).expect("a permalink is an absolute URL");
        // The link, followed from any page, and the permalink name the same place…
        prop_assert_eq!(resolved.as_str(), absolute.as_str());
        // …which is under the base path, with every slug in order.
        prop_assert!(absolute.path().starts_with(base.path()), "{absolute} escapes {base}");
        let below = &absolute.path()[base.path().len()..];
        prop_assert_eq!(below, site_path.as_str());
    }
}
