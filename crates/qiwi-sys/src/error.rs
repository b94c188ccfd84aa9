//! One classification of every failure a generated client returns, shared by all client
//! crates: they wrap [`ApiError`], they never read progenitor's error or an HTTP status again.
//!
//! QIWI's error body is boxed in every variant that has one: it is large, and a `Result` whose
//! error is small stays cheap on the success path.
//!
//! | variant | when | retry? |
//! |---|---|---|
//! | [`ApiError::Unauthorized`] | `401`, `403`: a wrong, expired or swapped credential | no |
//! | [`ApiError::RateLimited`] | `423`, `429` (`Retry-After` kept) | after the wait |
//! | [`ApiError::Rejected`] | another `4xx`: QIWI refused the request (wallet payment code looked up) | no: fix it |
//! | [`ApiError::NotFound`] | `404` | no |
//! | [`ApiError::OutcomeUnknown`] | a payment may have reached QIWI without an answer | no: look it up |
//! | [`ApiError::Transport`] | no usable answer: connection, timeout, a body cut off | yes |
//! | [`ApiError::Decode`] | a success answer that is not the documented JSON (with its path) | no |
//! | [`ApiError::Unavailable`] | `5xx` after the transport's retries | yes, later |
//! | [`ApiError::InvalidRequest`] | the request was refused before sending | no: fix it |
//! | [`ApiError::Redirected`] | a `3xx` to a request safe to repeat (redirects are never followed; a payment's is [`ApiError::OutcomeUnknown`]) | no: check the base URL |
//! | [`ApiError::Unexpected`] | an answer no spec documents (`1xx`) | no |
//!
//! ```
//! use qiwi_sys::error::ApiError;
//! use qiwi_core::ErrorBody;
//!
//! // What a generated client returns for QIWI's "insufficient funds" answer …
//! let body: ErrorBody = serde_json::from_str(r#"{"code":"QWPRC-220","message":"Недостаточно средств"}"#)?;
//! let error = ApiError::from_answer(400, body, None);
//! // … says what it is, what QIWI's code means, and that repeating will not help.
//! let ApiError::Rejected { payment_error: Some(code), .. } = &error else { panic!() };
//! assert_eq!(code.message, "insufficient funds");
//! assert!(!error.is_retryable());
//! assert_eq!(error.body().and_then(|b| b.code()), Some("QWPRC-220"));
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::time::Duration;

use qiwi_core::ErrorBody;
use qiwi_core::vocabulary::WalletPaymentError;
use serde::de::DeserializeOwned;

use crate::transport::retry::retry_after_header;

/// What went wrong with a call to QIWI, and what to do about it; QIWI's error body is kept
/// verbatim wherever QIWI sent one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// QIWI refused the credential (`401`, `403`): wrong, expired (wallet tokens last 180
    /// days), or the public key sent where the secret one belongs.
    #[error("QIWI refused the credentials (HTTP {status}): {body}; {}", hint.unwrap_or("check the token or key"))]
    Unauthorized {
        /// `401` or `403`.
        status: u16,
        /// QIWI's answer.
        body: Box<ErrorBody>,
        /// What the credential's shape suggests, when a client crate can tell (a P2P public
        /// key sent as the secret one); `None` from the classification itself.
        hint: Option<&'static str>,
    },
    /// QIWI asked to slow down (`423` is the wallet history's 5-minute lock-out, `429` too many
    /// requests).
    #[error("QIWI asked to slow down (HTTP {status}){}", wait(*retry_after))]
    RateLimited {
        /// `423` or `429`.
        status: u16,
        /// How long QIWI asked to wait, when it said.
        retry_after: Option<Duration>,
        /// QIWI's answer.
        body: Box<ErrorBody>,
    },
    /// QIWI refused the request (`400`, `409`, `422` …): fix it before sending it again.
    #[error("QIWI rejected the request (HTTP {status}): {body}{}", meaning(*payment_error))]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// QIWI's answer.
        body: Box<ErrorBody>,
        /// The wallet payment error table's entry for the answer's code (`QWPRC-220`, `220`),
        /// when it has one.
        payment_error: Option<&'static WalletPaymentError>,
    },
    /// What was asked for does not exist (`404`).
    #[error("not found (HTTP {status}): {body}")]
    NotFound {
        /// `404`.
        status: u16,
        /// QIWI's answer.
        body: Box<ErrorBody>,
    },
    /// A request that is not safe to repeat (a payment) may have reached QIWI, and no answer
    /// says whether it did. Do not send it again blindly: look it up (the wallet history by
    /// the payment's client `id`, the Payment Protocol by its id) and repeat it only if absent.
    #[error("{message}")]
    OutcomeUnknown {
        /// The HTTP status QIWI (or a proxy) answered, when the failure was an answer (a 5xx).
        status: Option<u16>,
        /// What happened, and how to find out.
        message: String,
    },
    /// No usable answer: the connection failed, timed out (the message says which timeout), or
    /// the body was cut off. Safe operations were already retried.
    #[error("{message}")]
    Transport {
        /// Whether a timeout ended it.
        timed_out: bool,
        /// What happened.
        message: String,
    },
    /// QIWI answered success with a body that is not the documented JSON.
    #[error("QIWI's answer does not decode at {path}: {message}")]
    Decode {
        /// The JSON path that failed (`.status.value`), or the line and column when the
        /// expected type is not known.
        path: String,
        /// What was wrong.
        message: String,
    },
    /// QIWI (or a proxy) failed (`5xx`) and the transport's retries are spent.
    #[error("QIWI is unavailable (HTTP {status}): {body}; try again later")]
    Unavailable {
        /// The HTTP status.
        status: u16,
        /// QIWI's answer (a proxy's HTML is kept in [`ErrorBody::non_json_body`]).
        body: Box<ErrorBody>,
    },
    /// The request was refused before it was sent (an amount that would lose digits, a
    /// missing parameter).
    #[error("the request was not sent: {message}")]
    InvalidRequest {
        /// What is wrong with it.
        message: String,
    },
    /// A redirect (`3xx`). QIWI's APIs never redirect and no client follows one: something
    /// between you and QIWI answered (a proxy, a captive portal, a wrong base URL).
    #[error("{message}")]
    Redirected {
        /// The HTTP status.
        status: u16,
        /// Where the answer pointed, as sent.
        location: Option<String>,
        /// What happened, with the status and the location.
        message: String,
    },
    /// An answer the specs do not document (an informational status).
    #[error("unexpected answer from QIWI (HTTP {status})")]
    Unexpected {
        /// The HTTP status.
        status: u16,
    },
}

fn wait(retry_after: Option<Duration>) -> String {
    retry_after.map_or_else(
        || "; wait before trying again".to_owned(),
        |d| format!("; wait {}s before trying again", d.as_secs()),
    )
}

fn meaning(code: Option<&'static WalletPaymentError>) -> String {
    code.map_or_else(String::new, |c| format!(" ({})", c.message))
}

impl ApiError {
    /// Classifies an HTTP error answer with QIWI's body: the one mapping of statuses and
    /// codes every client uses.
    pub fn from_answer(status: u16, body: ErrorBody, retry_after: Option<Duration>) -> ApiError {
        let body = Box::new(body);
        match status {
            401 | 403 => ApiError::Unauthorized {
                status,
                body,
                hint: None,
            },
            423 | 429 => ApiError::RateLimited {
                status,
                retry_after,
                body,
            },
            404 => ApiError::NotFound { status, body },
            400..=499 => ApiError::Rejected {
                status,
                payment_error: body.code().and_then(WalletPaymentError::lookup_str),
                body,
            },
            500..=599 => ApiError::Unavailable { status, body },
            _ => ApiError::Unexpected { status },
        }
    }

    /// Classifies what a generated client returned for an operation answering `T`; a body
    /// that does not decode as `T` names the JSON path that failed. [`Classify::classify`]
    /// calls it for you.
    pub fn of<T: DeserializeOwned>(error: crate::Error<ErrorBody>) -> ApiError {
        match error {
            crate::Error::InvalidResponsePayload(bytes, e) => {
                let mut de = serde_json::Deserializer::from_slice(&bytes);
                match serde_path_to_error::deserialize::<_, T>(&mut de) {
                    Err(located) => ApiError::Decode {
                        path: located.path().to_string(),
                        message: without_values(&located.into_inner()),
                    },
                    Ok(_) => ApiError::Decode {
                        path: format!("line {} column {}", e.line(), e.column()),
                        message: without_values(&e),
                    },
                }
            }
            other => ApiError::from(other),
        }
    }

    /// The HTTP status, when the failure was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Unauthorized { status, .. }
            | ApiError::RateLimited { status, .. }
            | ApiError::Rejected { status, .. }
            | ApiError::NotFound { status, .. }
            | ApiError::Unavailable { status, .. }
            | ApiError::Redirected { status, .. }
            | ApiError::Unexpected { status } => Some(*status),
            ApiError::OutcomeUnknown { status, .. } => *status,
            ApiError::Transport { .. }
            | ApiError::Decode { .. }
            | ApiError::InvalidRequest { .. } => None,
        }
    }

    /// QIWI's error body, verbatim, when QIWI answered with one.
    pub fn body(&self) -> Option<&ErrorBody> {
        match self {
            ApiError::Unauthorized { body, .. }
            | ApiError::RateLimited { body, .. }
            | ApiError::Rejected { body, .. }
            | ApiError::NotFound { body, .. }
            | ApiError::Unavailable { body, .. } => Some(body),
            ApiError::OutcomeUnknown { .. }
            | ApiError::Transport { .. }
            | ApiError::Decode { .. }
            | ApiError::InvalidRequest { .. }
            | ApiError::Redirected { .. }
            | ApiError::Unexpected { .. } => None,
        }
    }

    /// Whether sending the same request again later can succeed. Never for an
    /// [`ApiError::OutcomeUnknown`]: repeating a payment blindly may pay twice.
    pub fn is_retryable(&self) -> bool {
        match self {
            ApiError::RateLimited { .. } | ApiError::Transport { .. } => true,
            ApiError::Unavailable { status, .. } => is_transient_server_status(*status),
            ApiError::Unauthorized { .. }
            | ApiError::Rejected { .. }
            | ApiError::NotFound { .. }
            | ApiError::OutcomeUnknown { .. }
            | ApiError::Decode { .. }
            | ApiError::InvalidRequest { .. }
            | ApiError::Redirected { .. }
            | ApiError::Unexpected { .. } => false,
        }
    }
}

/// Classifies an error without knowing the expected type (a decode failure then gives line and
/// column); prefer [`ApiError::of`] or [`Classify::classify`].
impl From<crate::Error<ErrorBody>> for ApiError {
    fn from(error: crate::Error<ErrorBody>) -> ApiError {
        use crate::Error as E;
        match error {
            E::ErrorResponse(answer) => {
                let status = answer.status().as_u16();
                let retry_after = retry_after_header(answer.headers());
                ApiError::from_answer(status, answer.into_inner(), retry_after)
            }
            E::UnexpectedResponse(r) => {
                let status = r.status().as_u16();
                let retry_after = retry_after_header(r.headers());
                // A status the spec's `4XX`/`5XX` did not catch still means what it means.
                match ApiError::from_answer(status, ErrorBody::default(), retry_after) {
                    ApiError::Unexpected { status } => ApiError::Unexpected { status },
                    classified => classified,
                }
            }
            E::Transport(verdict) => verdict,
            E::InvalidRequest(m) => ApiError::InvalidRequest { message: m },
            E::CommunicationError(e) | E::InvalidUpgrade(e) | E::ResponseBodyError(e) => {
                ApiError::Transport {
                    timed_out: e.is_timeout(),
                    message: crate::transport::failure::error_chain(&e),
                }
            }
            E::InvalidResponsePayload(_, e) => ApiError::Decode {
                path: format!("line {} column {}", e.line(), e.column()),
                message: without_values(&e),
            },
        }
    }
}

/// What serde said was wrong, without the value it quoted: serde writes the offending value
/// in backticks (`` integer `4256…` ``, `` unknown variant `X` ``) or double quotes (`string
/// "…"`), and qiwi-core's own errors quote theirs the same way; a card number or CVV in a
/// field QIWI's answer got wrong must not reach a log. The position (line and column) is kept.
pub(crate) fn without_values(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    let message = text.strip_suffix(&position).unwrap_or(&text);
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars();
    while let Some(c) = chars.next() {
        match c {
            '`' => {
                chars.by_ref().find(|&c| c == '`');
                out.push_str("(value not shown)");
            }
            '"' => {
                let mut escaped = false;
                chars.by_ref().find(|&c| {
                    let end = c == '"' && !escaped;
                    escaped = c == '\\' && !escaped;
                    end
                });
                out.push_str("(value not shown)");
            }
            c => out.push(c),
        }
    }
    if e.line() > 0 {
        out.push_str(&position);
    }
    out
}

/// Paging stopped on a cursor that does not move: QIWI's answer is not what it documents.
impl From<crate::transport::StuckCursor> for ApiError {
    fn from(stuck: crate::transport::StuckCursor) -> ApiError {
        ApiError::Decode {
            path: "(next-page cursor)".to_owned(),
            message: stuck.to_string(),
        }
    }
}

/// Kept here too, where clients looked for it first.
pub use crate::transport::is_transient_server_status;

/// `.classify()` on what a generated operation's `send()` returned: the answer's body, or an
/// [`ApiError`] whose decode failures name the JSON path.
///
/// ```no_run
/// # async fn run(client: qiwi_sys::p2p::Client) -> Result<(), qiwi_sys::error::ApiError> {
/// use qiwi_sys::error::Classify as _;
/// let bill = client.get_bill().bill_id("order-42").send().await.classify()?;
/// println!("{}", bill.status.value);
/// # Ok(()) }
/// ```
pub trait Classify<T> {
    /// The body, or the classified error.
    fn classify(self) -> Result<T, ApiError>;
}

impl<T: DeserializeOwned> Classify<T> for Result<crate::ResponseValue<T>, crate::Error<ErrorBody>> {
    fn classify(self) -> Result<T, ApiError> {
        self.map(crate::ResponseValue::into_inner)
            .map_err(ApiError::of::<T>)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(code: &str) -> ErrorBody {
        ErrorBody {
            error_code: Some(code.to_owned()),
            ..ErrorBody::default()
        }
    }

    #[test]
    fn every_status_has_one_meaning() {
        let kind = |status| match ApiError::from_answer(status, body("x"), None) {
            ApiError::Unauthorized { .. } => "unauthorized",
            ApiError::RateLimited { .. } => "rate-limited",
            ApiError::Rejected { .. } => "rejected",
            ApiError::NotFound { .. } => "not found",
            ApiError::Unavailable { .. } => "unavailable",
            ApiError::Unexpected { .. } => "unexpected",
            other => panic!("{other:?}"),
        };
        let table = [
            (400, "rejected"),
            (401, "unauthorized"),
            (403, "unauthorized"),
            (404, "not found"),
            (409, "rejected"),
            (422, "rejected"),
            (423, "rate-limited"),
            (429, "rate-limited"),
            (500, "unavailable"),
            (503, "unavailable"),
            (302, "unexpected"),
            (200, "unexpected"),
        ];
        for (status, expected) in table {
            assert_eq!(kind(status), expected, "{status}");
        }
    }

    #[test]
    fn wallet_payment_codes_are_looked_up_in_either_form() {
        for code in ["QWPRC-220", "220"] {
            let e = ApiError::from_answer(400, body(code), None);
            let ApiError::Rejected { payment_error, .. } = &e else {
                panic!("{e:?}")
            };
            assert_eq!(payment_error.map(|p| p.code), Some(220));
            assert!(e.to_string().ends_with("(insufficient funds)"), "{e}");
        }
        let e = ApiError::from_answer(400, body("validation.error"), None);
        assert!(matches!(
            e,
            ApiError::Rejected {
                payment_error: None,
                ..
            }
        ));
    }

    #[test]
    fn decode_errors_name_the_path_and_type_never_the_value() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Card {
            pan: String,
            cvv: String,
            kind: Kind,
            amount: qiwi_core::Amount,
            currency: qiwi_core::Currency,
        }
        #[derive(Debug, serde::Deserialize)]
        enum Kind {
            Visa,
        }
        let valid = r#"{"pan":"x","cvv":"x","kind":"Visa","amount":"1.00","currency":"643"}"#;
        for (field, bad, secret) in [
            ("pan", "4256000000000000", "4256000000000000"),
            ("cvv", "123", "123"),
            ("cvv", "-987", "987"),
            ("cvv", "9.87", "9.87"),
            ("cvv", "true", "true"),
            ("kind", r#""4256000000000001""#, "4256000000000001"),
            ("pan", r#"{"4256000000000002":1}"#, "4256000000000002"),
            ("amount", r#""42560000x""#, "42560000x"),
            ("currency", r#""4256\"0009""#, "0009"),
            ("currency", "42560000003", "42560000003"),
        ] {
            let body = valid.replacen(
                &format!(r#""{field}":"#),
                &format!(r#""{field}":{bad},"_":"#),
                1,
            );
            let error = crate::Error::InvalidResponsePayload(
                body.clone().into_bytes().into(),
                serde_json::from_str::<Card>(&body).unwrap_err(),
            );
            let e = ApiError::of::<Card>(error);
            let ApiError::Decode { path, message } = &e else {
                panic!("{e:?}")
            };
            assert_eq!(path, field, "{body}");
            assert!(!e.to_string().contains(secret), "{field}={bad}: {e}");
            assert!(
                message.contains("(value not shown)") || message.contains("expected"),
                "{message}"
            );
        }
        // Escaped quotes and backslashes inside a quoted value, at either parity.
        for text in [
            r#""a\"b 4256""#,
            r#""ab\"4256""#,
            r#""\\""#,
            r#""x\\\"4256\\""#,
        ] {
            let e = serde_json::from_str::<u8>(text).unwrap_err();
            let shown = without_values(&e);
            assert!(
                !shown.contains("4256") && !shown.contains('\\'),
                "{text}: {shown}"
            );
            assert!(
                shown.starts_with("invalid type: string (value not shown), expected u8"),
                "{shown}"
            );
        }
        // An error without a position (from a `Value`) gets none.
        let e = serde_json::from_value::<u8>(serde_json::json!("4256")).unwrap_err();
        assert_eq!(
            without_values(&e),
            "invalid type: string (value not shown), expected u8"
        );
        // The position survives, and a message with nothing quoted is kept whole.
        let e = serde_json::from_str::<Card>("{").unwrap_err();
        assert_eq!(without_values(&e), e.to_string());
    }

    #[test]
    fn retry_advice() {
        let retryable = [
            ApiError::from_answer(429, body("x"), Some(Duration::from_secs(1))),
            ApiError::from_answer(503, body("x"), None),
            ApiError::Transport {
                timed_out: true,
                message: String::new(),
            },
        ];
        let final_ = [
            ApiError::from_answer(401, body("x"), None),
            ApiError::from_answer(400, body("x"), None),
            ApiError::from_answer(501, body("x"), None),
            ApiError::OutcomeUnknown {
                status: Some(502),
                message: String::new(),
            },
        ];
        assert!(retryable.iter().all(ApiError::is_retryable));
        assert!(!final_.iter().any(ApiError::is_retryable));
        assert_eq!(
            ApiError::from_answer(429, body("x"), Some(Duration::from_secs(120))).to_string(),
            "QIWI asked to slow down (HTTP 429); wait 120s before trying again"
        );
    }
}
