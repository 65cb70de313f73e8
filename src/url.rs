//! Every URL the site links to is made here, from `base_url`.
//!
//! Links in pages are root-relative and carry the base path
//! (`/archive/briefings/rome/` for `https://user.github.io/archive/`), so they
//! work at any depth, on the 404 page and in a local preview; permalinks
//! (canonical links, feeds) are absolute.

use url::Url;

/// The site's address and the helpers that turn output paths into URLs.
#[derive(Debug, Clone)]
pub struct SiteUrls {
    base: Url,
    root: String,
}

impl SiteUrls {
    /// Accepts an absolute `http(s)` URL; a missing trailing slash is added.
    pub fn new(base_url: &str) -> Result<SiteUrls, String> {
        let mut base = Url::parse(base_url).map_err(|e| {
            format!("base_url `{base_url}` is not an absolute URL ({e}); write it like https://user.github.io/archive/")
        })?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(format!(
                "base_url `{base_url}` must start with https:// or http://"
            ));
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(format!(
                "base_url `{base_url}` must not have a query or a #fragment"
            ));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let root = base.path().to_string();
        Ok(SiteUrls { base, root })
    }

    /// The absolute base URL, ending in `/`.
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// The root-relative prefix of every link, ending in `/` (`/` or `/archive/`).
    pub fn root(&self) -> &str {
        &self.root
    }

    /// Root-relative URL of a site path such as `briefings/rome/` (no leading slash).
    pub fn path(&self, site_path: &str) -> String {
        format!("{}{}", self.root, site_path.trim_start_matches('/'))
    }

    /// Absolute URL of a site path, for canonical links and feeds.
    pub fn permalink(&self, site_path: &str) -> String {
        format!(
            "{}{}",
            self.base.as_str(),
            site_path.trim_start_matches('/')
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subpath_base_urls_prefix_every_link() {
        let urls = SiteUrls::new("https://user.github.io/archive").expect("valid");
        assert_eq!(urls.root(), "/archive/");
        assert_eq!(urls.path("briefings/rome/"), "/archive/briefings/rome/");
        assert_eq!(
            urls.permalink("people/antony-blinken/"),
            "https://user.github.io/archive/people/antony-blinken/"
        );
    }

    #[test]
    fn base_urls_must_be_absolute_http() {
        assert!(SiteUrls::new("/archive/").is_err());
        assert!(SiteUrls::new("ftp://example.org/").is_err());
        assert!(SiteUrls::new("https://example.org/?q=1").is_err());
        assert_eq!(
            SiteUrls::new("https://example.org").map(|u| u.root().to_string()),
            Ok("/".to_string())
        );
    }
}
