//! The words of the transport's verdicts; the verdicts themselves are typed
//! [`ApiError`](crate::error::ApiError)s.

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
        "outcome unknown: {operation} may have reached QIWI ({cause}); it was not sent again. {look_up}"
    )
}
