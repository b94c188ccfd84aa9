//! What a failed call means for the caller.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header;

use super::retry::retry_after_header;

/// An error and its sources, one line.
pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// What a failed call means for the caller: the one place that reads progenitor's
/// [`Error`](progenitor_client::Error) for the transport's own verdicts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// A request that is not safe to repeat (a payment) may have reached QIWI, and no answer
    /// says whether it did. Do not send it again blindly: look it up (the wallet history by
    /// the payment's client `id`) and send it again only if it is not there.
    OutcomeUnknown {
        /// The HTTP status QIWI (or a proxy) answered, when the failure was an answer (a 5xx).
        status: Option<u16>,
    },
    /// No answer in time; the message says which timeout.
    TimedOut,
    /// QIWI asked to slow down (`423`, `429`), for `retry_after` when it said.
    RateLimited {
        /// The HTTP status.
        status: u16,
        /// How long QIWI asked to wait.
        retry_after: Option<Duration>,
    },
    /// Any other HTTP error answer (the body, even HTML or empty, is in the error).
    Status(u16),
    /// Anything else: a connection that could not be made, a body that did not decode …
    Other,
}

pub(super) const OUTCOME_UNKNOWN: &str = "outcome unknown: ";
pub(super) const TIMED_OUT: &str = "timed out: ";
pub(super) const ANSWERED: &str = "QIWI answered HTTP ";

impl Failure {
    pub(super) fn outcome_unknown(operation: &str, cause: &str) -> String {
        format!(
            "{OUTCOME_UNKNOWN}{operation} may have reached QIWI ({cause}); it was not sent again. \
             Look it up before repeating it (for a wallet payment: the payment history, by its \
             client id)"
        )
    }

    /// Classifies an error a generated client returned.
    ///
    /// ```
    /// use qiwi_sys::transport::Failure;
    /// let e = qiwi_sys::Error::<()>::Custom("outcome unknown: create_payment …".into());
    /// assert_eq!(Failure::of(&e), Failure::OutcomeUnknown { status: None });
    /// ```
    pub fn of<E>(error: &progenitor_client::Error<E>) -> Failure {
        use progenitor_client::Error as E;
        match error {
            E::Custom(m) if m.starts_with(OUTCOME_UNKNOWN) => Failure::OutcomeUnknown {
                status: m
                    .split_once(ANSWERED)
                    .and_then(|(_, rest)| rest.get(..3))
                    .and_then(|s| s.parse().ok()),
            },
            E::Custom(m) if m.starts_with(TIMED_OUT) => Failure::TimedOut,
            E::CommunicationError(e) | E::ResponseBodyError(e) if e.is_timeout() => {
                Failure::TimedOut
            }
            E::ErrorResponse(r) => Failure::from_answer(r.status(), r.headers()),
            E::UnexpectedResponse(r) => Failure::from_answer(r.status(), r.headers()),
            _ => Failure::Other,
        }
    }

    fn from_answer(status: StatusCode, headers: &header::HeaderMap) -> Failure {
        match status.as_u16() {
            s @ (423 | 429) => Failure::RateLimited {
                status: s,
                retry_after: retry_after_header(headers),
            },
            s => Failure::Status(s),
        }
    }

    /// Whether sending the same request again later can succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Failure::TimedOut | Failure::RateLimited { .. } => true,
            Failure::Status(s) => matches!(s, 500 | 502 | 503 | 504),
            Failure::OutcomeUnknown { .. } | Failure::Other => false,
        }
    }
}
