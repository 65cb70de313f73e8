//! The preview's HTTP side: axum routes over tower-http's `ServeDir`.
//!
//! - The site is served from serve's output folder under the base path of
//!   `base_url` (`/` or, for a GitHub Pages project site, `/archive/`), with
//!   `index.html` for folders and the site's `404.html` (status 404) for
//!   anything missing. `ServeDir` handles content types, HEAD and refusing
//!   paths that leave its folder; `refuse_traversal` answers 400 before any
//!   of that to a path with a `..` segment or a backslash, raw or encoded.
//! - `/__dossier/livereload.js` and `/__dossier/events` are the live-reload
//!   script and its event stream; `inject_live_reload` adds the script to
//!   every HTML response. Only `serve` does: `build` output never has it.
//! - Nothing is cached: every response says `no-store`, and conditional
//!   request headers are dropped, so a rebuild in the same second as the last
//!   one is never answered with "304 Not Modified".

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::sse::{KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use futures_util::StreamExt;
use tower_http::services::ServeDir;

use super::reload::Hub;

/// Where the live-reload script is served; the one URL `serve` adds.
pub const SCRIPT_PATH: &str = "/__dossier/livereload.js";
const EVENTS_PATH: &str = "/__dossier/events";
const SCRIPT: &str = include_str!("livereload.js");

/// The largest HTML page the script is injected into (bigger ones pass as they are).
const MAX_INJECTED_PAGE: usize = 64 * 1024 * 1024;

/// What the handlers share.
#[derive(Debug)]
pub struct AppState {
    /// Serve's output folder.
    pub output: PathBuf,
    /// The base path of the site, `/` or `/archive/`.
    pub base_path: String,
    pub hub: Arc<Hub>,
}

/// The whole preview server.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(SCRIPT_PATH, get(script))
        .route(EVENTS_PATH, get(events))
        .fallback(site)
        .layer(middleware::from_fn(inject_live_reload))
        .layer(middleware::from_fn(refuse_traversal))
        .with_state(state)
}

async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        SCRIPT,
    )
        .into_response()
}

async fn events(State(state): State<Arc<AppState>>) -> Response {
    let stream = state
        .hub
        .stream()
        .filter_map(|event| async move { event.to_sse().map(Ok::<_, Infallible>) });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// A file of the site: under the base path, from the output folder.
async fn site(State(state): State<Arc<AppState>>, mut request: Request) -> Response {
    let path = request.uri().path().to_string();
    let base = state.base_path.as_str();
    let prefix = base.trim_end_matches('/');
    // `/archive` → `/archive/`; `/` → the site when it lives under a path.
    if path == prefix || (path == "/" && base != "/") {
        return Redirect::temporary(base).into_response();
    }
    let Some(rest) = path.strip_prefix(prefix).filter(|r| r.starts_with('/')) else {
        return not_found(&state).await;
    };
    let rewritten = match request.uri().query() {
        Some(query) => format!("{rest}?{query}"),
        None => rest.to_string(),
    };
    let Ok(uri) = rewritten.parse::<Uri>() else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    *request.uri_mut() = uri;
    let headers = request.headers_mut();
    for name in [
        header::IF_MODIFIED_SINCE,
        header::IF_NONE_MATCH,
        header::IF_UNMODIFIED_SINCE,
        header::IF_MATCH,
    ] {
        headers.remove(name);
    }
    let mut files = ServeDir::new(&state.output).redirect_path_prefix(prefix);
    match files.try_call(request).await {
        Ok(response) if response.status() == StatusCode::NOT_FOUND => not_found(&state).await,
        Ok(response) => response.map(Body::new),
        // A path through a file (`/style.css/x`) and the like: not there.
        Err(error)
            if matches!(
                error.kind(),
                std::io::ErrorKind::NotFound
                    | std::io::ErrorKind::NotADirectory
                    | std::io::ErrorKind::InvalidInput
                    | std::io::ErrorKind::InvalidFilename
            ) =>
        {
            not_found(&state).await
        }
        Err(error) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot read the file: {error}"),
        )
            .into_response(),
    }
}

/// The site's 404 page with status 404; a stand-in while there is no site yet.
async fn not_found(state: &AppState) -> Response {
    let page = tokio::fs::read(state.output.join("404.html"))
        .await
        .unwrap_or_else(|_| NO_SITE_YET.as_bytes().to_vec());
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page,
    )
        .into_response()
}

/// Shown for every missing page while no build has succeeded (the site's own
/// 404 page does not exist yet). The overlay shows why.
const NO_SITE_YET: &str = "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>Not found</title></head>\n<body>\n<main><h1>Not found</h1><p>There is no page here, and no site has been built yet: the build's errors are shown over this page and in the terminal.</p></main>\n</body>\n</html>\n";

/// 400 for a path that tries to climb out of the site: a `..` segment, or a
/// backslash (a separator on some systems), written raw or percent-encoded.
async fn refuse_traversal(request: Request, next: Next) -> Response {
    let raw = request.uri().path();
    let decoded = percent_decode(raw);
    let climbs = |path: &str| {
        path.contains('\\') || path.contains('\0') || path.split('/').any(|segment| segment == "..")
    };
    if climbs(raw) || decoded.as_deref().is_none_or(climbs) {
        return (StatusCode::BAD_REQUEST, "bad path\n").into_response();
    }
    next.run(request).await
}

/// `%XX` escapes decoded, repeatedly, so `%252e` cannot hide a `.`; `None`
/// when the result is not UTF-8.
fn percent_decode(path: &str) -> Option<String> {
    let mut current = path.to_string();
    // Each round removes at least one level of escaping; a few are plenty.
    for _ in 0..4 {
        if !current.contains('%') {
            break;
        }
        let decoded = percent_encoding::percent_decode_str(&current)
            .decode_utf8()
            .ok()?
            .into_owned();
        if decoded == current {
            break;
        }
        current = decoded;
    }
    Some(current)
}

/// Adds the live-reload script to HTML responses (content length fixed), and
/// `no-store` to every response. HEAD is answered as GET without the body, so
/// its length is that of the page as served, script included.
async fn inject_live_reload(mut request: Request, next: Next) -> Response {
    let head = request.method() == Method::HEAD;
    if head {
        *request.method_mut() = Method::GET;
    }
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let status = response.status();
    if !is_html || !(status == StatusCode::OK || status == StatusCode::NOT_FOUND) {
        return without_body_if(head, response);
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_INJECTED_PAGE).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "cannot read the page\n").into_response();
    };
    let page = with_script(&bytes);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, page.len().into());
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // They described the file on disk, not the page as served.
    parts.headers.remove(header::ETAG);
    parts.headers.remove(header::LAST_MODIFIED);
    let body = if head {
        Body::empty()
    } else {
        Body::from(page)
    };
    Response::from_parts(parts, body)
}

fn without_body_if(head: bool, response: Response) -> Response {
    if !head {
        return response;
    }
    let (parts, _) = response.into_parts();
    Response::from_parts(parts, Body::empty())
}

/// The page with the script tag before its last `</body>` (or at the end).
pub fn with_script(page: &[u8]) -> Vec<u8> {
    let tag = format!("<script src=\"{SCRIPT_PATH}\" data-dossier-live-reload></script>\n");
    let at = rfind_ascii_case_insensitive(page, b"</body>").unwrap_or(page.len());
    let mut out = Vec::with_capacity(page.len() + tag.len());
    out.extend_from_slice(&page[..at]);
    out.extend_from_slice(tag.as_bytes());
    out.extend_from_slice(&page[at..]);
    out
}

fn rfind_ascii_case_insensitive(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .rposition(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_goes_before_the_last_closing_body() {
        let page = with_script(b"<html><body><p>x</p></BODY></html>");
        let text = String::from_utf8(page).expect("utf-8");
        assert!(
            text.starts_with("<html><body><p>x</p><script src=\"/__dossier/livereload.js\""),
            "{text}"
        );
        assert!(text.ends_with("</script>\n</BODY></html>"), "{text}");
        let bare = String::from_utf8(with_script(b"<p>x</p>")).expect("utf-8");
        assert!(bare.starts_with("<p>x</p><script"), "{bare}");
    }

    #[test]
    fn encoded_dots_and_backslashes_are_decoded_before_checking() {
        assert_eq!(percent_decode("/%2e%2e/x").as_deref(), Some("/../x"));
        assert_eq!(percent_decode("/%252e%252e/x").as_deref(), Some("/../x"));
        assert_eq!(percent_decode("/a%5cb").as_deref(), Some("/a\\b"));
        assert_eq!(percent_decode("/%ff"), None);
    }
}
