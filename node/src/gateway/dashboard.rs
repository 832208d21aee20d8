//! The live dashboard: the web page the node serves at `/` and its files under `/static/…`
//! (node/static/: the page, its script and style, and the vendored uPlot), compiled into the
//! binary so the page works with no network, no build step and no files beside the node.
//!
//! The page itself only reads the public API (the market-data channels of `/v1/ws` and the
//! REST snapshots); this module owns nothing but serving its bytes. Every answer carries an
//! `ETag` (CRC32 of the file) and `Cache-Control: no-cache`: a browser revalidates and gets
//! `304 Not Modified` until a new binary serves new bytes under the same names.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// One file of the page.
#[derive(Debug)]
struct StaticFile {
    /// Its path under `/static/` (the page itself: empty).
    path: &'static str,
    /// Its `Content-Type`.
    content_type: &'static str,
    /// Its bytes, compiled in.
    bytes: &'static [u8],
}

/// Every file the node serves for the page. uPlot is 1.6.32 from the npm registry
/// (node/static/vendor/uplot/SOURCE.md).
const FILES: [StaticFile; 6] = [
    StaticFile {
        path: "",
        content_type: "text/html; charset=utf-8",
        bytes: include_bytes!("../../static/index.html"),
    },
    StaticFile {
        path: "app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/app.js"),
    },
    StaticFile {
        path: "feed.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/feed.js"),
    },
    StaticFile {
        path: "style.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../static/style.css"),
    },
    StaticFile {
        path: "vendor/uplot/uPlot.iife.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/vendor/uplot/uPlot.iife.min.js"),
    },
    StaticFile {
        path: "vendor/uplot/uPlot.min.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../static/vendor/uplot/uPlot.min.css"),
    },
];

/// The page's content security policy: its own scripts, styles and connections only (the
/// WebSocket is same-origin), no frames, no plugins.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
    object-src 'none'; base-uri 'none'";

/// `GET /`: the page.
pub async fn index(headers: HeaderMap) -> Response {
    serve(0, &headers)
}

/// Where `path` (under `/static/`) is in [`FILES`].
fn position(path: &str) -> Option<usize> {
    FILES.iter().skip(1).position(|file| file.path == path).map(|at| at + 1)
}

/// `GET /static/{*path}`: one of the page's files, or 404.
pub async fn file(Path(path): Path<String>, headers: HeaderMap) -> Response {
    match position(&path) {
        Some(at) => serve(at, &headers),
        None => ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no static file `{path}`; the dashboard is at /"),
            None,
        )
        .into_response(),
    }
}

/// The strong ETag of `FILES[at]`, computed once per file on first use.
fn etag(at: usize) -> &'static str {
    static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
    let etags = ETAGS.get_or_init(|| {
        FILES
            .iter()
            .map(|file| format!("\"{:08x}-{}\"", crc32fast::hash(file.bytes), file.bytes.len()))
            .collect()
    });
    &etags[at]
}

fn serve(at: usize, headers: &HeaderMap) -> Response {
    let file = &FILES[at];
    let etag = etag(at);
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag || tag.trim() == "*"));
    let status = if fresh { StatusCode::NOT_MODIFIED } else { StatusCode::OK };
    let mut response = if fresh { status.into_response() } else { file.bytes.into_response() };
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(file.content_type));
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    out.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    out.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    if let Ok(value) = HeaderValue::from_str(etag) {
        out.insert(header::ETAG, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file the page links is served: a page naming a file the binary lacks would fail
    /// only in a browser.
    #[test]
    fn every_file_the_page_links_is_compiled_in() {
        let page = std::str::from_utf8(FILES[0].bytes).expect("the page is UTF-8");
        for link in page.split("/static/").skip(1) {
            let path = link.split('"').next().unwrap_or_default();
            assert!(FILES.iter().any(|file| file.path == path), "{path} is linked, not served");
        }
        let app = position("app.js").expect("the script is served");
        let app = std::str::from_utf8(FILES[app].bytes).expect("the script is UTF-8");
        assert!(app.contains("./feed.js"), "app.js imports feed.js");
    }

    /// A revalidation with the served ETag gets 304 and no body; another tag gets the file.
    #[test]
    fn a_known_etag_gets_not_modified() {
        let mut headers = HeaderMap::new();
        let css = position("style.css").expect("the style is served");
        let plain = serve(css, &headers);
        assert_eq!(plain.status(), StatusCode::OK);
        let tag = plain.headers().get(header::ETAG).expect("an ETag").clone();
        assert_eq!(plain.headers()[header::CONTENT_TYPE], "text/css; charset=utf-8");
        headers.insert(header::IF_NONE_MATCH, tag);
        assert_eq!(serve(css, &headers).status(), StatusCode::NOT_MODIFIED);
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert_eq!(serve(css, &headers).status(), StatusCode::OK);
    }
}
