//! What the sandbox's web pages share: escaping, the page frame, and the stylesheet and script
//! served by the sandbox itself (no external assets: the pages work offline).

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::SharedState;

const STYLE: &str = include_str!("assets/style.css");
const DASHBOARD_JS: &str = include_str!("assets/dashboard.js");

/// Only the sandbox's own stylesheet and script run on its pages, whatever text a bill or a
/// callback carries; no other site may frame them (the dashboard's buttons move money).
const POLICY: &str = "default-src 'none'; style-src 'self'; script-src 'self'; \
                      connect-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'";

pub(crate) fn routes() -> Router<SharedState> {
    Router::new()
        .route(
            "/sandbox/assets/style.css",
            get(|| asset("text/css", STYLE)),
        )
        .route(
            "/sandbox/assets/dashboard.js",
            get(|| asset("text/javascript", DASHBOARD_JS)),
        )
}

async fn asset(content_type: &'static str, text: &'static str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                format!("{content_type}; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, "no-cache".to_owned()),
        ],
        text,
    )
        .into_response()
}

/// Escapes text for HTML text and quoted attributes: every text the pages show comes from
/// requests, merchants' answers or notification bodies.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes everything but unreserved characters: a path segment or a query value.
pub(crate) fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A whole page: the bar, `main` (of `class`), the sandbox's stylesheet and, for the
/// dashboard, its script.
pub(crate) fn page(title: &str, class: &str, script: bool, bar: &str, main: &str) -> Response {
    let script = if script {
        "<script src=\"/sandbox/assets/dashboard.js\" defer></script>"
    } else {
        ""
    };
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/sandbox/assets/style.css\">\
         {script}</head><body><header class=\"bar\"><span class=\"brand\">QIWI \
         <span>sandbox</span></span>{bar}</header><main class=\"{class}\">{main}</main>\
         <footer>qiwi-sandbox — not QIWI, no money moves.</footer></body></html>",
        title = esc(title),
    );
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}

/// A status as a coloured badge: final successes green, waiting yellow, failures red.
pub(crate) fn badge(status: &str) -> String {
    let tone = match status {
        "PAID" | "SUCCESS" | "COMPLETED" | "acknowledged" => "good",
        "WAITING" | "CREATED" | "PARTIAL" | "pending" => "warn",
        "REJECTED" | "EXPIRED" | "DECLINED" | "ERROR" | "failing" => "bad",
        _ => "",
    };
    format!("<span class=\"badge {tone}\">{}</span>", esc(status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_outside_cannot_become_markup() {
        assert_eq!(
            esc("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
        assert_eq!(url_encode("a/b c?d"), "a%2Fb%20c%3Fd");
    }
}
