//! A copy of every answer of QIWI's APIs, for tests that check the sandbox against the specs.

use crate::sync::Locked as _;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde::Serialize;

use crate::SharedState;

/// One answer the sandbox gave on QIWI's API.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    /// `GET`, `PUT` …
    pub method: String,
    /// The request's path (`/partner/bill/v1/bills/order-1`).
    pub path: String,
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The body as sent.
    pub body: Vec<u8>,
}

/// Records the answer, then sends it on unchanged.
pub(crate) async fn answers(
    State(s): State<SharedState>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    s.answers.locked().push(Answer {
        method,
        path,
        status: parts.status.as_u16(),
        content_type: parts
            .headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: body.to_vec(),
    });
    Response::from_parts(parts, Body::from(body))
}
