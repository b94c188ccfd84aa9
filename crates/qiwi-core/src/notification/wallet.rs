//! Wallet webhooks (`payment-notifier`, reference: wallet-api.md §8.7).

use serde::{Deserialize, Serialize};

use crate::QiwiDateTime;

use crate::wallet::{WalletMoney, WalletTxnStatus, WalletTxnType};

/// The payment a webhook reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletPayment {
    /// QIWI's transaction id (a string here, a number in the history).
    pub txn_id: String,
    /// The wallet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<i64>,
    /// When the payment was made (Moscow time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<QiwiDateTime>,
    /// QIWI's payment error code as a string (`"0"` is success); see
    /// [`crate::vocabulary::WalletPaymentError`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The direction.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub txn_type: Option<WalletTxnType>,
    /// The status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<WalletTxnStatus>,
    /// The provider's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<i64>,
    /// The recipient (outgoing) or the sender, terminal or agent (incoming).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The payment's comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sum: Option<WalletMoney>,
    /// The commission; QIWI sends `null` while a payment is waiting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commission: Option<WalletMoney>,
    /// Amount plus commission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<WalletMoney>,
    /// The comma-separated paths of the signed fields, in signing order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_fields: Option<String>,
}

/// A webhook as QIWI sends it (the wire form; [`WalletNotification`] is what verification
/// returns).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletWebhook {
    /// The webhook's id.
    pub hook_id: String,
    /// Unique per notification: the key to deduplicate on.
    pub message_id: String,
    /// Lowercase hex HMAC-SHA256 of the signed fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// Whether this is a test notification (`GET …/hooks/test`).
    #[serde(default)]
    pub test: bool,
    /// The format version (`1.0.0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The payment; absent in some test notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<WalletPayment>,
}

/// A verified wallet webhook.
///
/// A test notification is its own variant, so it can never be taken for a payment.
#[derive(Debug, Clone, PartialEq)]
pub enum WalletNotification {
    /// A real payment, its signature verified.
    Payment(WalletPaymentNotification),
    /// A test notification (`"test": true`).
    Test(WalletTestNotification),
}

/// A payment webhook whose signature matched.
#[derive(Debug, Clone, PartialEq)]
pub struct WalletPaymentNotification {
    /// The webhook's id.
    pub hook_id: String,
    /// Unique per notification: the key to deduplicate on.
    pub message_id: String,
    /// The format version.
    pub version: Option<String>,
    /// The payment.
    pub payment: WalletPayment,
}

/// A test webhook. QIWI never documented its payload: when it carries a payment and a hash,
/// the hash was checked (`signature_verified`); when it carries none, it is still reported,
/// unverified — it moves no money either way.
#[derive(Debug, Clone, PartialEq)]
pub struct WalletTestNotification {
    /// The webhook's id.
    pub hook_id: String,
    /// The notification's id.
    pub message_id: String,
    /// The payment, if the test carried one.
    pub payment: Option<WalletPayment>,
    /// Whether a signature was present and matched.
    pub signature_verified: bool,
}

impl WalletPaymentNotification {
    /// QIWI's transaction id (`txnId`, signed).
    pub fn id(&self) -> &str {
        &self.payment.txn_id
    }

    /// The status the notification claims (`SUCCESS` …; empty when it has none), not signed
    /// with QIWI's list: see [`WalletPaymentNotification::status_is_signed`].
    pub fn status(&self) -> &str {
        self.payment.status.as_ref().map_or("", |s| s.as_str())
    }

    /// When the payment was made (`date`, Moscow time; not signed with QIWI's list).
    pub fn changed_at(&self) -> Option<&QiwiDateTime> {
        self.payment.date.as_ref()
    }

    /// The paths of the values the `hash` covers, from `payment.signFields` (which
    /// verification has checked against the receiver's list): with QIWI's list,
    /// `payment.sum.currency`, `payment.sum.amount`, `payment.type`, `payment.account` and
    /// `payment.txnId`. Every other value — `status`, `date`, `comment`, `messageId` … — is
    /// QIWI's claim, not authenticated: confirm a payment's status through the API
    /// (history by `txnId`) before shipping goods.
    pub fn signed_paths(&self) -> Vec<String> {
        self.payment
            .sign_fields
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|p| format!("payment.{}", p.trim()))
            .collect()
    }

    /// The key a repeated delivery of the same state shares with the first one: the signed
    /// `txnId` and the status. `messageId` is not signed, so it is not part of the key. With
    /// QIWI's list the status is not signed either: the key takes `confirmed` (read from
    /// QIWI's API) when given, else the claimed status if it is a documented value and `?`
    /// otherwise — a replay with an edited status gets at most one new key per documented
    /// status.
    pub fn dedupe_key(&self, confirmed: Option<&str>) -> String {
        let claimed = self.payment.status.as_ref();
        let status = match (confirmed, claimed) {
            (Some(s), _) => s,
            (None, Some(s)) if self.status_is_signed() => s.as_str(),
            (
                None,
                Some(
                    s @ (WalletTxnStatus::Waiting
                    | WalletTxnStatus::Success
                    | WalletTxnStatus::Error),
                ),
            ) => s.as_str(),
            (None, Some(WalletTxnStatus::Unknown(_))) => "?",
            (None, None) => "",
        };
        format!("{:?}|{:?}", self.payment.txn_id, status)
    }

    /// Whether the signature covers the payment's status (not with QIWI's list).
    pub fn status_is_signed(&self) -> bool {
        self.payment
            .sign_fields
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .any(|p| p.trim() == "status")
    }

    /// The wire form (without `hash`).
    pub fn to_webhook(&self) -> WalletWebhook {
        WalletWebhook {
            hook_id: self.hook_id.clone(),
            message_id: self.message_id.clone(),
            hash: None,
            test: false,
            version: self.version.clone(),
            payment: Some(self.payment.clone()),
        }
    }
}
