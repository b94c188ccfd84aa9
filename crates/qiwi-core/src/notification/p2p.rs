//! P2P bill notifications (reference: p2p-bills-api.md §4).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::QiwiDateTime;

use crate::p2p::{BillAmount, BillCustomer, BillStatus};

/// The bill a notification reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotifiedBill {
    /// Your P2P site id.
    pub site_id: String,
    /// Your bill id.
    pub bill_id: String,
    /// The amount.
    pub amount: BillAmount,
    /// The status.
    pub status: BillStatus,
    /// The payer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<BillCustomer>,
    /// Your custom fields, as sent with the bill.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_fields: BTreeMap<String, serde_json::Value>,
    /// The bill's comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// When the bill was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_date_time: Option<QiwiDateTime>,
    /// When the bill expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_date_time: Option<QiwiDateTime>,
}

/// A P2P notification: a bill changed status; `{"bill": {…}, "version": "1"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct P2pNotification {
    /// The bill.
    pub bill: NotifiedBill,
    /// The format version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl P2pNotification {
    /// The paths of the values the `X-Api-Signature-SHA256` header covers; the status is among
    /// them. Every other value (`changedDateTime`, `customer`, `customFields` …) is not
    /// authenticated.
    pub const SIGNED_PATHS: [&'static str; 5] = [
        "bill.amount.currency",
        "bill.amount.value",
        "bill.billId",
        "bill.siteId",
        "bill.status.value",
    ];

    /// The bill's id (`billId`, signed).
    pub fn id(&self) -> &str {
        &self.bill.bill_id
    }

    /// The bill's status (`WAITING`, `PAID` …), signed.
    pub fn status(&self) -> &str {
        self.bill.status.value.as_str()
    }

    /// When the status changed (`status.changedDateTime`, not signed).
    pub fn changed_at(&self) -> Option<&QiwiDateTime> {
        self.bill.status.changed_date_time.as_ref()
    }

    /// The key a repeated delivery of the same state shares with the first one, from signed
    /// values only: site, bill and status (`confirmed`, when read from QIWI's API).
    /// `changedDateTime` is not signed, so it is not part of the key.
    pub fn dedupe_key(&self, confirmed: Option<&str>) -> String {
        let status = confirmed.unwrap_or(self.bill.status.value.as_str());
        format!(
            "{:?}|{:?}|{:?}",
            self.bill.site_id, self.bill.bill_id, status
        )
    }
}

/// The answer QIWI's P2P documentation asks a receiver for (with HTTP `200` and
/// `Content-Type: application/json`).
pub const ACKNOWLEDGEMENT: &str = r#"{"error":"0"}"#;

/// Whether an answer's body acknowledges a P2P notification, as QIWI reads it: JSON whose
/// `error` is `"0"` (or the number `0`). QIWI also needs status `200`; anything else is
/// retried.
///
/// ```
/// use qiwi_core::notification::p2p::is_acknowledgement;
///
/// assert!(is_acknowledgement(br#"{"error":"0"}"#));
/// assert!(!is_acknowledgement(b"OK"));
/// ```
pub fn is_acknowledgement(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("error").cloned())
        .is_some_and(|e| e == "0" || e == 0)
}
