//! What QIWI's servers need on the wire beyond the spec, and how their odd answers are kept.

use reqwest::Response;
use reqwest::header::{self, HeaderValue};

/// A success answer read whole before it is handed on: for an operation that is not safe to
/// repeat, a body lost on the way (a timeout, a reset) must be reported here, where the
/// transport knows the outcome is unknown, not later as a plain body error.
pub(super) async fn buffered(r: Response) -> reqwest::Result<Response> {
    let status = r.status();
    let version = r.version();
    let headers = r.headers().clone();
    let body = r.bytes().await?;
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    Ok(Response::from(rebuilt))
}

/// The most of a non-JSON error body kept in the error.
const NON_JSON_BODY_LIMIT: usize = 4096;

/// The generated clients read every error body as QIWI's JSON error. QIWI answers some
/// failures (a 500 it wants retried, a 503 from its balancer, a 401) with no body at all, and
/// proxies in front of it with HTML; either would surface as a decode error that has lost the
/// HTTP status. So an empty body becomes `{}` and any other body that is not a JSON object
/// becomes `{"nonJsonBody": "<its first 4 KiB>"}` ([`qiwi_core::ErrorBody::non_json_body`]):
/// a typed error response that keeps the status and the text.
pub(super) async fn error_body_as_json(r: Response) -> reqwest::Result<Response> {
    let status = r.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(r);
    }
    let version = r.version();
    let headers = r.headers().clone();
    let body = r.bytes().await?;
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        bytes::Bytes::from_static(b"{}")
    } else if serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&body).is_ok() {
        body
    } else {
        let text = String::from_utf8_lossy(&body);
        let end = text
            .char_indices()
            .map(|(i, c)| i + c.len_utf8())
            .take_while(|end| *end <= NON_JSON_BODY_LIMIT)
            .last()
            .unwrap_or(0);
        let wrapped = serde_json::json!({ qiwi_core::error::NON_JSON_BODY: &text[..end] });
        bytes::Bytes::from(wrapped.to_string())
    };
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    rebuilt.headers_mut().remove(header::CONTENT_LENGTH);
    rebuilt.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(Response::from(rebuilt))
}

/// Rewrites `name=a&name=b` to `name[0]=a&name[1]=b` for the parameters QIWI reads as
/// indexed arrays, keeping every other pair and the order.
pub fn index_query_arrays(url: &mut reqwest::Url, names: &[&str]) {
    if url.query().is_none() {
        return;
    }
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    if !pairs.iter().any(|(k, _)| names.contains(&k.as_str())) {
        return;
    }
    let mut counters = vec![0usize; names.len()];
    let mut q = url.query_pairs_mut();
    q.clear();
    for (k, v) in &pairs {
        match names.iter().position(|n| n == k) {
            Some(i) => {
                q.append_pair(&format!("{k}[{}]", counters[i]), v);
                counters[i] += 1;
            }
            None => {
                q.append_pair(k, v);
            }
        }
    }
}
