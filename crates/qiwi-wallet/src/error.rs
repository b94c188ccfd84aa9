//! What can go wrong with a Wallet API call, on the classification every qiwi-rs client shares.

use qiwi_core::ErrorBody;
use qiwi_core::vocabulary::{ErrorClass, WalletPaymentError};
pub use qiwi_sys::error::ApiError;

use crate::payments::ClientId;

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
    /// QIWI refused the payment (it was not made): the code of QIWI's payment error table,
    /// its meaning when QIWI documents it, and QIWI's answer verbatim.
    #[error("payment {client_id} refused: QIWI error {code}: {}", reason.map_or("not in QIWI's table", |r| r.message))]
    PaymentRejected {
        /// The payment's client id.
        client_id: ClientId,
        /// QIWI's code (`220`; `QWPRC-220` in the answer).
        code: u32,
        /// The table's entry: QIWI's meaning and what can be done about it.
        reason: Option<&'static WalletPaymentError>,
        /// QIWI's answer.
        answer: ApiError,
    },
    /// A checkpoint store ([`crate::CheckpointStore`]) could not load or save.
    #[error("checkpoint store: {message}")]
    Checkpoint {
        /// What failed.
        message: String,
    },
    /// The payment may or may not have been made (the connection dropped after sending, or a
    /// 5xx): it was not sent again. Look it up by its client id
    /// ([`crate::Wallet::find_payment`]) before paying again.
    #[error(
        "payment {client_id}: outcome unknown ({answer}); look it up by its client id before paying again"
    )]
    OutcomeUnknown {
        /// The payment's client id, to look up in the history.
        client_id: ClientId,
        /// What the transport saw.
        answer: ApiError,
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
    ///
    /// A refused payment can be tried again (with a new client id) only when QIWI's table says
    /// the failure was technical; an unknown outcome never: look it up first.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(e) => e.is_retryable(),
            Error::PaymentRejected { reason, .. } => {
                reason.is_some_and(|r| r.class == ErrorClass::RetryLater)
            }
            Error::InvalidInput { .. }
            | Error::OutcomeUnknown { .. }
            | Error::Checkpoint { .. } => false,
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
            Error::Api(e)
            | Error::PaymentRejected { answer: e, .. }
            | Error::OutcomeUnknown { answer: e, .. } => Some(e),
            Error::InvalidInput { .. } | Error::Checkpoint { .. } => None,
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
