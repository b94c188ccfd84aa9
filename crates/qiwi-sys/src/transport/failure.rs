//! The transport's verdicts, as the tagged messages [`crate::error::ApiError`] reads.
//!
//! Progenitor's hooks can fail a call only with `Error::Custom(String)`, so each verdict is a
//! message that starts with a tag; the tags are written here and read only by
//! `crate::error`.

/// A request not safe to repeat may have reached QIWI.
pub(crate) const OUTCOME_UNKNOWN: &str = "outcome unknown: ";
/// No answer in time.
pub(crate) const TIMED_OUT: &str = "timed out: ";
/// Refused before sending (a signer's failure).
pub(crate) const INVALID_REQUEST: &str = "invalid request: ";
/// A `3xx` answer to a request that is safe to repeat; redirects are never followed.
pub(crate) const REDIRECTED: &str = "redirected: ";
/// Precedes a redirect's `Location` in a message.
pub(crate) const REDIRECTING_TO: &str = " redirecting to ";
/// Stands for a redirect without a `Location`.
pub(crate) const NO_LOCATION: &str = "(no Location)";
/// Follows a redirect's `Location` in a message.
pub(crate) const REDIRECTS_NOT_FOLLOWED: &str = "; redirects are not followed";
/// Precedes the status of an answer in a message.
pub(crate) const ANSWERED: &str = "QIWI answered HTTP ";

/// An error and its sources, one line.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The message of an [`ApiError::OutcomeUnknown`](crate::error::ApiError::OutcomeUnknown):
/// what happened, and the API's own way of finding out (`look_up`, from its spec).
pub(super) fn outcome_unknown(operation: &str, cause: &str, look_up: &str) -> String {
    format!(
        "{OUTCOME_UNKNOWN}{operation} may have reached QIWI ({cause}); it was not sent again. {look_up}"
    )
}
