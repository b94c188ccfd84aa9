//! QIWI's error body, shared by all three APIs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::QiwiDateTime;

/// The JSON body QIWI answers a failed request with, kept verbatim.
///
/// The Payment Protocol and P2P APIs document the long form (`serviceName`, `errorCode`,
/// `description`, `userMessage`, `dateTime`, `traceId`, `cause`); older P2P responses spell
/// `datetime` in lower case; the Wallet API also answers with a short `{code, message}`
/// form. Every field is optional and fields QIWI adds later are kept in [`ErrorBody::extra`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// The QIWI service that answered, e.g. `payin-core`, `invoicing-api`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    /// A dotted error code (`validation.error`, `api.invoice.not.found`) or a payment error
    /// number written as a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// A description for developers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A message fit to show to the payer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_message: Option<String>,
    /// When QIWI answered (`dateTime`, or `datetime` in older responses).
    #[serde(default, alias = "datetime", skip_serializing_if = "Option::is_none")]
    pub date_time: Option<QiwiDateTime>,
    /// QIWI's trace id: quote it when asking QIWI's support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    /// Per-field messages, e.g. `{"amount": ["Incorrect payout amount"]}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<serde_json::Value>,
    /// The short form's code (`QWPRC-220`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The short form's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Fields QIWI sent that this version does not know.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// The [`ErrorBody::extra`] key under which qiwi-sys keeps an error answer whose body was not
/// QIWI's JSON (an HTML page from a proxy): its first 4 KiB of text.
pub const NON_JSON_BODY: &str = "nonJsonBody";

impl ErrorBody {
    /// The text of an error answer that was not JSON (an HTML 502 page from a proxy), as kept
    /// by the transport; `None` for QIWI's JSON errors.
    pub fn non_json_body(&self) -> Option<&str> {
        self.extra.get(NON_JSON_BODY).and_then(|v| v.as_str())
    }

    /// The error code of either form: `errorCode`, else the short form's `code`.
    pub fn code(&self) -> Option<&str> {
        self.error_code.as_deref().or(self.code.as_deref())
    }

    /// The most specific human-readable text QIWI gave.
    pub fn text(&self) -> Option<&str> {
        self.description
            .as_deref()
            .or(self.user_message.as_deref())
            .or(self.message.as_deref())
    }

    /// Per-field messages from `cause`, as `(field, message)` pairs.
    pub fn field_errors(&self) -> Vec<(&str, &str)> {
        let Some(serde_json::Value::Object(map)) = &self.cause else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (field, v) in map {
            match v {
                serde_json::Value::Array(items) => {
                    out.extend(
                        items
                            .iter()
                            .filter_map(|m| m.as_str())
                            .map(|m| (field.as_str(), m)),
                    );
                }
                serde_json::Value::String(m) => out.push((field.as_str(), m.as_str())),
                _ => {}
            }
        }
        out
    }
}

impl std::fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.code(), self.text()) {
            (Some(c), Some(t)) => write!(f, "{c}: {t}")?,
            (Some(c), None) => f.write_str(c)?,
            (None, Some(t)) => f.write_str(t)?,
            (None, None) => f.write_str("QIWI error without code")?,
        }
        if let Some(id) = &self.trace_id {
            write!(f, " (traceId {id})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payin_error_with_cause() {
        let json = r#"{"serviceName":"payin-core","errorCode":"validation.error","description":"Validation error","userMessage":"Validation error","dateTime":"2022-11-13T16:49:59.166+03:00","traceId":"fd0e2a08c63ace83","cause":{"paymentToken":["Exchange token error. Token disabled, please create new one"]}}"#;
        let e: ErrorBody = serde_json::from_str(json).unwrap();
        assert_eq!(e.code(), Some("validation.error"));
        assert_eq!(
            e.field_errors(),
            vec![(
                "paymentToken",
                "Exchange token error. Token disabled, please create new one"
            )]
        );
        assert_eq!(
            e.to_string(),
            "validation.error: Validation error (traceId fd0e2a08c63ace83)"
        );
        let back: serde_json::Value = serde_json::to_value(&e).unwrap();
        assert_eq!(
            back,
            serde_json::from_str::<serde_json::Value>(json).unwrap()
        );
    }

    #[test]
    fn lowercase_datetime_short_form_and_unknown_fields() {
        let e: ErrorBody = serde_json::from_str(
            r#"{"serviceName":"invoicing","errorCode":"auth.unauthorized","datetime":"2018-03-01T16:06:57+03","newField":1}"#,
        )
        .unwrap();
        assert_eq!(e.date_time.unwrap().as_str(), "2018-03-01T16:06:57+03");
        assert_eq!(e.extra["newField"], 1);
        let s: ErrorBody =
            serde_json::from_str(r#"{"code":"QWPRC-220","message":"Недостаточно средств"}"#)
                .unwrap();
        assert_eq!(s.code(), Some("QWPRC-220"));
        assert_eq!(s.text(), Some("Недостаточно средств"));
    }
}
