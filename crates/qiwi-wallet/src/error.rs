//! What can go wrong with a Wallet API call, on the classification every qiwi-rs client shares.

use qiwi_core::ErrorBody;
pub use qiwi_sys::error::ApiError;

/// A failed Wallet API call: QIWI's answer or the transport's verdict, classified once for
/// every qiwi-rs client ([`ApiError`], QIWI's body verbatim; QIWI's history lock, `423`, is
/// [`ApiError::RateLimited`] with the wait), or an input refused before sending.
///
/// ```
/// use qiwi_wallet::{ApiError, Error};
///
/// let error = Error::InvalidInput { field: "rows", reason: "1 to 50".into() };
/// assert_eq!(error.to_string(), "rows: 1 to 50");
/// assert!(!error.is_retryable());
/// let locked = Error::from(ApiError::from_answer(423, Default::default(), None));
/// assert!(locked.is_retryable() && locked.status() == Some(423));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// QIWI answered with an error, or no usable answer came (`Unauthorized`, `NotFound`,
    /// `RateLimited`, `Rejected`, `Unavailable`, `Transport`, `Decode` …).
    #[error(transparent)]
    Api(ApiError),
    /// An input was refused before anything was sent.
    #[error("{field}: {reason}")]
    InvalidInput {
        /// The field, as QIWI names it (`wallet`, `rows`, `startDate`).
        field: &'static str,
        /// What is wrong and what is allowed.
        reason: String,
    },
}

impl Error {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Error {
        Error::InvalidInput {
            field,
            reason: reason.into(),
        }
    }

    /// Whether the same call can succeed later, as the shared classification says (rate limits
    /// and QIWI's history lock, transport failures, `500`/`502`/`503`/`504`).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(e) => e.is_retryable(),
            Error::InvalidInput { .. } => false,
        }
    }

    /// The HTTP status, when the failure was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => e.status(),
            Error::InvalidInput { .. } => None,
        }
    }

    /// QIWI's error body, verbatim, when QIWI answered with one.
    pub fn body(&self) -> Option<&ErrorBody> {
        match self {
            Error::Api(e) => e.body(),
            Error::InvalidInput { .. } => None,
        }
    }

    /// The shared classification, when the failure is one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            Error::InvalidInput { .. } => None,
        }
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Error {
        Error::Api(e)
    }
}

impl From<qiwi_sys::transport::StuckCursor> for Error {
    fn from(e: qiwi_sys::transport::StuckCursor) -> Error {
        Error::Api(e.into())
    }
}
