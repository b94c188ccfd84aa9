//! P2P bills' shared models: what a bill answer and a bill notification both carry (reference:
//! p2p-bills-api.md). The notification envelope is [`crate::notification::p2p`].

use serde::{Deserialize, Serialize};

use crate::QiwiDateTime;
use crate::money::{AmountNumber, Money};
use crate::open_enum::open_enum;

open_enum! {
    /// A P2P bill's status.
    pub enum BillStatusValue {
        /// Issued, awaiting payment (not final).
        Waiting = "WAITING",
        /// Paid (final).
        Paid = "PAID",
        /// Rejected (final).
        Rejected = "REJECTED",
        /// Expired unpaid (final).
        Expired = "EXPIRED",
    }
}

open_enum! {
    /// A P2P bill refund's status.
    pub enum RefundStatus {
        /// Part of the bill refunded so far (not final).
        Partial = "PARTIAL",
        /// The whole bill refunded (final).
        Full = "FULL",
    }
}

/// A bill's amount: QIWI writes the value as a string (`"1.00"`), older messages as a number.
/// The one amount-with-currency of every API but the Wallet's.
pub type BillAmount = Money;

/// A refund's amount: QIWI's refund answers write the value as a number (`50.50`); a string
/// is read too.
pub type RefundAmount = Money<AmountNumber>;

/// A bill's status and when it changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BillStatus {
    /// The status.
    pub value: BillStatusValue,
    /// When it changed (QIWI writes offsets like `+03`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_date_time: Option<QiwiDateTime>,
}

/// The payer's identifiers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BillCustomer {
    /// Phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// E-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The payer's id in your system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}
