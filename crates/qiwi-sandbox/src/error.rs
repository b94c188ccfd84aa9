//! QIWI's error answers, in each API's shape.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use qiwi_core::ErrorBody;

use crate::clock::stamp;

/// An error answer: the HTTP status and QIWI's body.
#[derive(Debug, Clone)]
pub struct QiwiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body, as QIWI writes it (boxed: every handler's `Result` carries it).
    pub body: Box<ErrorBody>,
}

impl QiwiError {
    /// An error of `service` (`invoicing-api`, `payin-core` …).
    pub fn new(status: StatusCode, service: &str, code: &str, description: &str) -> Self {
        QiwiError {
            status,
            body: Box::new(ErrorBody {
                service_name: Some(service.to_owned()),
                error_code: Some(code.to_owned()),
                description: Some(description.to_owned()),
                user_message: Some(description.to_owned()),
                date_time: Some(stamp(time::OffsetDateTime::now_utc())),
                trace_id: Some(trace_id()),
                ..ErrorBody::default()
            }),
        }
    }

    /// Adds a per-field cause (`{"amount.value": ["…"]}`), as QIWI's validation errors carry.
    pub fn with_cause(mut self, field: &str, message: &str) -> Self {
        let mut cause: BTreeMap<String, Vec<String>> = self
            .body
            .cause
            .take()
            .and_then(|c| serde_json::from_value(c).ok())
            .unwrap_or_default();
        cause
            .entry(field.to_owned())
            .or_default()
            .push(message.to_owned());
        self.body.cause = serde_json::to_value(cause).ok();
        self
    }
}

impl IntoResponse for QiwiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body)).into_response()
    }
}

/// Turns the framework's plain-text rejections (a path segment that is not a number, a query
/// value of the wrong type, a body that is too large) into QIWI-shaped error bodies, so that
/// every error of the sandbox's QIWI API is JSON a client can read.
pub(crate) async fn json_rejections(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    let plain = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !plain || !(response.status().is_client_error() || response.status().is_server_error()) {
        return response;
    }
    let status = response.status();
    let text = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    QiwiError::new(status, "sandbox", "validation.error", "Bad request")
        .with_cause("request", text.trim())
        .into_response()
}

/// A trace id like QIWI's (16 hex digits).
pub fn trace_id() -> String {
    format!("{:016x}", fastrand::u64(..))
}

/// A random UUID (version 4), as QIWI's invoice uids are.
pub fn uuid() -> String {
    let b: [u8; 16] = std::array::from_fn(|_| fastrand::u8(..));
    let v = u128::from_be_bytes(b) & !(0xf000 << 64) | (0x4000 << 64);
    let v = v & !(0xc000 << 48) | (0x8000 << 48);
    let h = format!("{v:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_version_4() {
        let u = uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"), "{u}");
        assert_ne!(uuid(), u);
    }

    #[test]
    fn causes_accumulate_per_field() {
        let e = QiwiError::new(
            StatusCode::BAD_REQUEST,
            "invoicing-api",
            "validation.error",
            "Validation error",
        )
        .with_cause("billId", "too long")
        .with_cause("billId", "bad characters")
        .with_cause("amount.value", "more than two decimals");
        assert_eq!(
            e.body.field_errors(),
            vec![
                ("amount.value", "more than two decimals"),
                ("billId", "too long"),
                ("billId", "bad characters")
            ]
        );
    }
}
