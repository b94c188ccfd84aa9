//! What can go wrong with a Payment Protocol call, on the classification every qiwi-rs client
//! shares.

use std::time::Duration;

use qiwi_core::ErrorBody;
use qiwi_core::payin::OperationStatus;
pub use qiwi_sys::error::ApiError;

/// A failed pay-in call: QIWI's answer or the transport's verdict, classified once for every
/// qiwi-rs client ([`ApiError`], QIWI's body verbatim with its per-field `cause`), or what only
/// pay-in adds: an input refused before sending, a wait that reached its deadline.
///
/// ```
/// use qiwi_payin::{ApiError, Error};
///
/// let error = Error::InvalidInput { field: "paymentId", reason: "1 to 200 characters".into() };
/// assert_eq!(error.to_string(), "paymentId: 1 to 200 characters");
/// assert!(!error.is_retryable());
/// let busy = Error::from(ApiError::from_answer(503, Default::default(), None));
/// assert!(busy.is_retryable() && busy.status() == Some(503));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// QIWI answered with an error, or no usable answer came (`Unauthorized`, `NotFound`,
    /// `RateLimited`, `Rejected` with QIWI's `errorCode` and `cause`, `Unavailable`,
    /// `Transport`, `Decode` …).
    #[error(transparent)]
    Api(ApiError),
    /// An input was refused before anything was sent.
    #[error("{field}: {reason}")]
    InvalidInput {
        /// The field, as QIWI names it (`paymentId`, `amount.value`, `paymentMethod.pan`).
        field: &'static str,
        /// What is wrong and what is allowed.
        reason: String,
    },
    /// The payment was not final when the wait's deadline came: read it again later, or wait
    /// for its notification.
    #[error("payment {payment_id} was still {} after {:.1} s", last_status.as_ref().map_or("unread", OperationStatus::as_str), waited.as_secs_f64())]
    Deadline {
        /// The payment waited for.
        payment_id: String,
        /// Its status when last read.
        last_status: Option<OperationStatus>,
        /// How long the wait lasted.
        waited: Duration,
    },
}

impl Error {
    /// Whether the same call can succeed later, as the shared classification says (rate
    /// limits, transport failures, `500`/`502`/`503`/`504`); never for pay-in's own variants.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(e) => e.is_retryable(),
            Error::InvalidInput { .. } | Error::Deadline { .. } => false,
        }
    }

    /// The HTTP status, when the failure was an answer.
    pub fn status(&self) -> Option<u16> {
        self.api().and_then(ApiError::status)
    }

    /// QIWI's error body, verbatim, when QIWI answered with one.
    pub fn body(&self) -> Option<&ErrorBody> {
        self.api().and_then(ApiError::body)
    }

    /// The shared classification, when the failure is one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            Error::InvalidInput { .. } | Error::Deadline { .. } => None,
        }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            field,
            reason: reason.into(),
        }
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_says_the_payment_its_last_status_and_the_wait() {
        let late = Error::Deadline {
            payment_id: "order-42".into(),
            last_status: Some(OperationStatus::Waiting),
            waited: Duration::from_millis(3_001),
        };
        assert_eq!(
            late.to_string(),
            "payment order-42 was still WAITING after 3.0 s"
        );
        assert!(!late.is_retryable() && late.status().is_none());
    }
}
