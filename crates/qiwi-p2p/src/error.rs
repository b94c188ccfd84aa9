//! What can go wrong with a P2P call, on the classification every qiwi-rs client shares.

use std::time::Duration;

use qiwi_core::ErrorBody;
use qiwi_core::p2p::BillStatusValue;
pub use qiwi_sys::error::ApiError;

/// A failed P2P call: QIWI's answer or the transport's verdict, classified once for every
/// qiwi-rs client ([`ApiError`], with QIWI's body verbatim), or what only P2P adds: an input
/// refused before sending, a wait that reached its deadline.
///
/// ```
/// use qiwi_p2p::{ApiError, Error};
///
/// let error = Error::InvalidInput { field: "billId", reason: "at most 200 characters".into() };
/// assert_eq!(error.to_string(), "billId: at most 200 characters");
/// assert!(!error.is_retryable());
/// let limited = Error::from(ApiError::from_answer(429, Default::default(), None));
/// assert!(limited.is_retryable() && limited.status() == Some(429));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// QIWI answered with an error, or no usable answer came: the shared classification
    /// (`Unauthorized` carries the swapped-key hint, `NotFound`, `RateLimited`, `Rejected`,
    /// `Unavailable`, `Transport`, `Decode` …).
    #[error(transparent)]
    Api(ApiError),
    /// An input was refused before anything was sent.
    #[error("{field}: {reason}")]
    InvalidInput {
        /// The field, as QIWI names it (`billId`, `amount.value`, `expirationDateTime`).
        field: &'static str,
        /// What is wrong and what is allowed.
        reason: String,
    },
    /// The bill was not final when the wait's deadline came.
    #[error("bill {bill_id} was still {} after {:.1} s", last_status.as_ref().map_or("unread", BillStatusValue::as_str), waited.as_secs_f64())]
    Deadline {
        /// The bill waited for.
        bill_id: String,
        /// Its status when last read.
        last_status: Option<BillStatusValue>,
        /// How long the wait lasted.
        waited: Duration,
    },
}

impl Error {
    /// Whether the same call can succeed later, as the shared classification says (rate
    /// limits, transport failures, `500`/`502`/`503`/`504`); never for P2P's own variants.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(e) => e.is_retryable(),
            Error::InvalidInput { .. } | Error::Deadline { .. } => false,
        }
    }

    /// The HTTP status, when the failure was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => e.status(),
            Error::InvalidInput { .. } | Error::Deadline { .. } => None,
        }
    }

    /// QIWI's error body, verbatim, when QIWI answered with one.
    pub fn body(&self) -> Option<&ErrorBody> {
        match self {
            Error::Api(e) => e.body(),
            Error::InvalidInput { .. } | Error::Deadline { .. } => None,
        }
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

/// The hint a `401` gets from the key's shape: a P2P secret key is Base64 of a JSON object
/// (`{"version":…,"data":{…}}`); a public key, or anything else, is not.
pub(crate) fn key_hint(secret: &str) -> Option<&'static str> {
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(secret.trim())
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok());
    match decoded {
        Some(json) if json.get("data").is_some() || json.get("version").is_some() => None,
        _ => Some(
            "the key is not shaped like a P2P SecretKey (Base64 of JSON): were the public and \
             secret keys swapped?",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_says_the_bill_its_last_status_and_the_wait_in_seconds() {
        let late = Error::Deadline {
            bill_id: "order-42".into(),
            last_status: Some(BillStatusValue::Waiting),
            waited: Duration::from_millis(3_001),
        };
        assert_eq!(
            late.to_string(),
            "bill order-42 was still WAITING after 3.0 s"
        );
        assert!(!late.is_retryable());
    }

    #[test]
    fn retryable_as_the_shared_classification_says() {
        let body = || Box::new(ErrorBody::default());
        for (status, retryable) in [
            (500, true),
            (502, true),
            (503, true),
            (504, true),
            (501, false),
            (505, false),
        ] {
            let shared = ApiError::Unavailable {
                status,
                body: body(),
            };
            assert_eq!(shared.is_retryable(), retryable, "{status}");
            assert_eq!(Error::from(shared).is_retryable(), retryable, "{status}");
        }
        let limited = Error::from(ApiError::RateLimited {
            status: 429,
            retry_after: None,
            body: body(),
        });
        assert!(limited.is_retryable() && limited.body().is_some());
        let unexpected = Error::from(ApiError::Unexpected { status: 101 });
        assert!(matches!(unexpected, Error::Api(_)));
        assert!(!unexpected.is_retryable() && unexpected.body().is_none());
        assert_eq!(unexpected.status(), Some(101));
        let invalid = Error::invalid("billId", "x");
        assert_eq!(
            (invalid.status(), invalid.body(), invalid.api()),
            (None, None, None)
        );
    }

    #[test]
    fn only_a_key_shaped_like_a_secret_key_goes_without_the_hint() {
        use base64::Engine as _;
        let b64 = |json: &str| base64::engine::general_purpose::STANDARD.encode(json);
        // Either member marks QIWI's SecretKey shape.
        assert_eq!(key_hint(&b64(r#"{"version":"rest_v3"}"#)), None);
        assert_eq!(key_hint(&b64(r#"{"data":{"secret":"x"}}"#)), None);
        // JSON of another shape, or not JSON at all, gets it.
        assert!(key_hint(&b64(r#"{"token":"x"}"#)).is_some());
        assert!(key_hint(&b64("not json")).is_some());
        assert!(key_hint("not base64 !").is_some());
    }

    #[test]
    fn a_public_key_as_the_secret_gets_the_hint() {
        // QIWI's documented secret-key example decodes to {"version":"rest_v3","data":{…}}.
        let secret = "eyJ2ZXJzaW9uIjoicmVzdF92MyIsImRhdGEiOnsibWVyY2hhbnRfaWQiOjUyNjgxMiwiYXBpX3VzZXJfaWQiOjcxNjI2MTk3LCJzZWNyZXQiOiJmZjQ5OTdjMjcwNmRmZjc2ZDBiMzgyZjI4ZDAxNmNjMmFlOWQ3YjI2NjYwZmQxZGI0ZmJiOTUxNDE5YWFhYWYxIn19";
        assert_eq!(key_hint(secret), None);
        let public = "48e7qUxn9T7RyYE1MVZswX1FRSbE6iyCj2gCRwwF3Dnh5XrasNTx3BGPiMsyXQFNKQhvukniQG8RTVhYm3iPwsFbm4kMwKchdNzTgGG4jqfixkAqE31bUjMHrmjJHfvb1VHoC8qx5RNoHV8uASqkJfWv2L9m2bRi2q2cKPq3gBTi4ST2aNCK3vRTtJ";
        assert!(key_hint(public).unwrap().contains("swapped"));
    }
}
