//! What a generated operation's `send()` returns when it fails.
//!
//! Progenitor's own error can carry a hook's verdict only as a string (`Error::Custom`), which
//! would then have to be parsed back. The generated clients return this type instead: the
//! same cases progenitor reports, plus [`Error::Transport`], the transport's verdict already
//! classified. `.classify()` ([`crate::error::Classify`]) turns any of them into one
//! [`ApiError`].

use bytes::Bytes;

use crate::ResponseValue;
use crate::error::ApiError;

/// A failed call to a generated operation, before classification; prefer `.classify()`,
/// which turns it into an [`ApiError`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Error<E = ()> {
    /// The request was refused before it was sent: a missing or invalid parameter, a plain
    /// `http://` URL to another machine, a signer's failure.
    InvalidRequest(String),
    /// The connection failed, or no answer came.
    CommunicationError(reqwest::Error),
    /// A connection upgrade failed (no QIWI operation upgrades).
    InvalidUpgrade(reqwest::Error),
    /// A documented error answer, with QIWI's body.
    ErrorResponse(ResponseValue<E>),
    /// The body of an answer could not be read.
    ResponseBodyError(reqwest::Error),
    /// A documented success answer whose body does not decode.
    InvalidResponsePayload(Bytes, serde_json::Error),
    /// An answer the spec does not document (a `3xx` to a request safe to repeat is reported
    /// as [`Error::Transport`] instead).
    UnexpectedResponse(reqwest::Response),
    /// The transport's verdict on a call that failed in a way that matters for what to do
    /// next: an outcome unknown, a timeout, a redirect.
    Transport(ApiError),
}

impl<E> Error<E> {
    /// The HTTP status, when the failure was an answer.
    pub fn status(&self) -> Option<reqwest::StatusCode> {
        match self {
            Error::ErrorResponse(answer) => Some(answer.status()),
            Error::UnexpectedResponse(r) => Some(r.status()),
            Error::CommunicationError(e)
            | Error::InvalidUpgrade(e)
            | Error::ResponseBodyError(e) => e.status(),
            Error::Transport(e) => e
                .status()
                .and_then(|s| reqwest::StatusCode::from_u16(s).ok()),
            Error::InvalidRequest(_) | Error::InvalidResponsePayload(..) => None,
        }
    }
}

impl<E> From<progenitor_client::Error<E>> for Error<E> {
    fn from(error: progenitor_client::Error<E>) -> Self {
        use progenitor_client::Error as P;
        match error {
            P::InvalidRequest(m) => Error::InvalidRequest(m),
            P::CommunicationError(e) => Error::CommunicationError(e),
            P::InvalidUpgrade(e) => Error::InvalidUpgrade(e),
            P::ErrorResponse(r) => Error::ErrorResponse(r),
            P::ResponseBodyError(e) => Error::ResponseBodyError(e),
            P::InvalidResponsePayload(b, e) => Error::InvalidResponsePayload(b, e),
            P::UnexpectedResponse(r) => Error::UnexpectedResponse(r),
            // The hooks report refusals as `InvalidRequest` and verdicts as `Transport`;
            // a hook that did report `Custom` refused before anything was sent.
            P::Custom(m) => Error::InvalidRequest(m),
        }
    }
}

impl<E> From<reqwest::Error> for Error<E> {
    fn from(e: reqwest::Error) -> Self {
        Error::CommunicationError(e)
    }
}

impl<E> From<reqwest::header::InvalidHeaderValue> for Error<E> {
    fn from(e: reqwest::header::InvalidHeaderValue) -> Self {
        Error::InvalidRequest(e.to_string())
    }
}

impl<E> From<std::convert::Infallible> for Error<E> {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

impl<E> From<ApiError> for Error<E> {
    fn from(verdict: ApiError) -> Self {
        Error::Transport(verdict)
    }
}

impl<E: std::fmt::Debug> std::fmt::Display for Error<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::InvalidRequest(m) => write!(f, "the request was not sent: {m}"),
            Error::CommunicationError(e) => write!(f, "communication error: {e}"),
            Error::InvalidUpgrade(e) => write!(f, "invalid connection upgrade: {e}"),
            Error::ErrorResponse(answer) => write!(
                f,
                "QIWI answered HTTP {}: {:?}",
                answer.status(),
                answer.as_ref()
            ),
            Error::ResponseBodyError(e) => write!(f, "the answer could not be read: {e}"),
            // serde quotes the value it failed on, which may be card data.
            Error::InvalidResponsePayload(_, e) => write!(
                f,
                "the answer does not decode: {}",
                crate::error::without_values(e)
            ),
            Error::UnexpectedResponse(r) => {
                write!(f, "an answer no spec documents: HTTP {}", r.status())
            }
            Error::Transport(e) => e.fmt(f),
        }
    }
}

impl<E: std::fmt::Debug> std::error::Error for Error<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::CommunicationError(e)
            | Error::InvalidUpgrade(e)
            | Error::ResponseBodyError(e) => Some(e),
            Error::InvalidResponsePayload(_, e) => Some(e),
            Error::Transport(e) => Some(e),
            _ => None,
        }
    }
}
