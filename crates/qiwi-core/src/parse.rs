//! The floor every notification model stands on: the error of a notification that was not
//! accepted, and reading a body into a typed model with the failing JSON path. The models
//! (`notification`) and the signature checks (`signature`) both build on it; neither needs
//! the other to parse.

/// Why a notification was not accepted. Each case calls for a different answer from a
/// receiver; none of them contains a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The body is not the JSON QIWI sends.
    #[error("malformed notification at {path}: {reason}")]
    Malformed {
        /// Where in the body (`payment.sum.amount`, `.` for the whole body).
        path: String,
        /// What was wrong.
        reason: String,
    },
    /// A field the signature covers is absent.
    #[error("signed field {path} is missing")]
    MissingField {
        /// The field's path in the body.
        path: String,
    },
    /// No signature came with the notification (empty header or no `hash`).
    #[error("the notification carries no signature")]
    MissingSignature,
    /// The signature is not an HMAC-SHA256 in hex (or, for the Payment Protocol, Base64).
    #[error("the signature is not an HMAC-SHA256 in hex or Base64")]
    GarbledSignature,
    /// The signature does not match the body and key.
    #[error("the signature does not match the notification")]
    Mismatch,
    /// A wallet webhook's `payment.signFields` is not the list of fields the receiver
    /// expects QIWI to sign (see [`WalletSignFields`](crate::signature::WalletSignFields)). The list is not itself signed, so a
    /// body that names other fields is treated as forged.
    #[error("payment.signFields lists {found:?}, not the fields QIWI signs")]
    UnexpectedSignFields {
        /// The list the body carried (at most 64 characters of it).
        found: String,
    },
    /// A Payment Protocol notification type this version cannot verify.
    #[error("notification type {type_name:?} is not supported")]
    UnsupportedType {
        /// The `type` QIWI sent.
        type_name: String,
    },
}
pub(crate) fn malformed(path: impl Into<String>, reason: impl ToString) -> SignatureError {
    SignatureError::Malformed {
        path: path.into(),
        reason: reason.to_string(),
    }
}
pub(crate) fn missing(path: impl Into<String>) -> SignatureError {
    SignatureError::MissingField { path: path.into() }
}
/// Deserializes `body` into `T`. A failure is parsed again, slowly, with path tracking, so
/// that the error names the JSON path that is wrong (tracking doubles the cost of a parse, so
/// the happy path does without it).
pub(crate) fn typed<'a, T: serde::Deserialize<'a>>(body: &'a [u8]) -> Result<T, SignatureError> {
    // serde reads a struct from a JSON array too (`[…]` in field order); QIWI sends objects.
    if body.trim_ascii_start().first() != Some(&b'{') {
        return Err(malformed(".", "not a JSON object"));
    }
    if let Ok(v) = serde_json::from_slice(body) {
        return Ok(v);
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| malformed(e.path().to_string(), e.into_inner()))?;
    de.end().map_err(|e| malformed(".", e))?;
    Ok(value)
}
