//! The Payment Protocol's shared models (pay-in and payouts): what API answers and callbacks
//! both carry — statuses, amounts, payment methods, customers, splits, receipts (reference:
//! payin-payout-api.md). The notification envelopes are [`crate::notification::payin`].

use serde::{Deserialize, Deserializer, Serialize};

use crate::QiwiDateTime;
use crate::money::AmountNumber;
use crate::money::Money;
use crate::open_enum::open_enum;
use crate::secret::PaymentToken;
use crate::vocabulary::ReasonCode;

open_enum! {
    /// An operation's status in a notification.
    pub enum OperationStatus {
        /// Done (payments, captures, refunds, payouts).
        Success = "SUCCESS",
        /// Declined (payments, captures, refunds).
        Decline = "DECLINE",
        /// Declined (payouts).
        Declined = "DECLINED",
        /// In progress (payouts).
        Waiting = "WAITING",
        /// Completed (as in API answers).
        Completed = "COMPLETED",
        /// Created (tokens).
        Created = "CREATED",
        /// Rejected (tokens).
        Rejected = "REJECTED",
        /// Paid (invoices, in API answers).
        Paid = "PAID",
        /// Expired unpaid (invoices, in API answers).
        Expired = "EXPIRED",
    }
}

open_enum! {
    /// A card check's status.
    pub enum CardCheckStatus {
        /// Started.
        Init = "INIT",
        /// Checked.
        Success = "SUCCESS",
        /// Failed.
        Error = "ERROR",
        /// Waiting for 3-D Secure.
        Waiting3ds = "WAITING_3DS",
    }
}

open_enum! {
    /// The outcome of 3-D Secure in a card check.
    pub enum ThreeDsStatus {
        /// Passed.
        Passed = "PASSED",
        /// Not passed.
        NotPassed = "NOT_PASSED",
        /// Done without 3-D Secure.
        Without = "WITHOUT",
    }
}

/// Reads a string or a number as its text (QIWI documents `rrn` and `authCode` as numbers but
/// sends strings). Reads from bytes and from a `serde_json::Value` alike; a number is an RRN
/// (12 digits) or an authorisation code (6), which JSON integers hold exactly.
fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        String(String),
        Number(serde_json::Number),
    }
    Ok(match Option::<Text>::deserialize(d)? {
        Some(Text::String(s)) => Some(s),
        Some(Text::Number(n)) => Some(n.to_string()),
        None => None,
    })
}

/// An operation's amount, which notifications write as a JSON number (`5`, `200.00`); API
/// answers write the same object with a string ([`Money`]).
pub type NotificationAmount = Money<AmountNumber>;

/// A split's amount, which notifications write as a string (`"150.00"`).
pub type SplitAmount = Money;

/// A Payment Protocol operation's status, as API answers and notifications both carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayinStatus {
    /// The status.
    pub value: OperationStatus,
    /// When it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_date_time: Option<QiwiDateTime>,
    /// Why it was declined, as API answers write it (`GATEWAY_INTEGRATION_ERROR`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<ReasonCode>,
    /// Why it was declined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<ReasonCode>,
    /// QIWI's explanation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_message: Option<String>,
    /// QIWI's error number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<serde_json::Value>,
    /// The payment system's code (`51`, `CW` …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ps_error_code: Option<String>,
    /// Why a token was rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject_reason: Option<String>,
}

impl PayinStatus {
    /// A status with its value and change time and no decline details.
    pub fn new(value: OperationStatus, changed_date_time: Option<QiwiDateTime>) -> Self {
        PayinStatus {
            value,
            changed_date_time,
            reason: None,
            reason_code: None,
            reason_message: None,
            error_code: None,
            ps_error_code: None,
            reject_reason: None,
        }
    }
}

/// How an operation was paid.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMethod {
    /// `CARD`, `TOKEN`, `SBP`, `QIWI_WALLET` …
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub method_type: Option<String>,
    /// The card number, masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub masked_pan: Option<String>,
    /// The card token used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_token: Option<PaymentToken>,
    /// Retrieval reference number.
    #[serde(
        default,
        deserialize_with = "string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub rrn: Option<String>,
    /// Authorisation code.
    #[serde(
        default,
        deserialize_with = "string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub auth_code: Option<String>,
    /// SBP payer's phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Card holder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_holder: Option<String>,
    /// Card expiry (`12/2022`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_expire_date: Option<String>,
}

/// What QIWI knows of a card.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardInfo {
    /// Issuing country (`RUS`, `643`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuing_country: Option<String>,
    /// Issuing bank.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuing_bank: Option<String>,
    /// `VISA`, `MASTERCARD`, `MIR` …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_system: Option<String>,
    /// `DEBIT`, `CREDIT`, `PREPAID` …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funding_source: Option<String>,
    /// The card product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_system_product: Option<String>,
}

/// The payer, including SBP payer data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    /// Your id of the payer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// E-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// IP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// Country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// SBP payer's account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_account_number: Option<String>,
    /// SBP payer's bank BIC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bic: Option<String>,
    /// SBP payer's last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// SBP payer's first name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// SBP payer's middle name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    /// SBP payer's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub simple_address: Option<String>,
    /// SBP payer's INN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inn: Option<String>,
    /// SBP payer's bank.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_member_id: Option<String>,
    /// The payer's postal address, as payment requests send it (boxed: notifications never
    /// carry it, and every notification would otherwise move its four empty fields around).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Box<Address>>,
}

/// A postal address.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Address {
    /// Country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Street, house and the rest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

/// A marketplace split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Split {
    /// `MERCHANT_DETAILS`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub split_type: Option<String>,
    /// The merchant site the split goes to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_uid: Option<String>,
    /// The split's amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split_amount: Option<SplitAmount>,
    /// Fees QIWI took from the split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split_commissions: Option<SplitCommissions>,
    /// Your order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// Fees QIWI took from a split.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SplitCommissions {
    /// The merchant's fee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_cms: Option<Money>,
    /// The payer's fee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_cms: Option<Money>,
}

/// A card token issued with a payment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenData {
    /// The token.
    pub payment_token: PaymentToken,
    /// When it expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired_date: Option<QiwiDateTime>,
}

/// A card token issued with a card check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedToken {
    /// The token.
    pub token: PaymentToken,
    /// The masked card number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// When it expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired_date: Option<QiwiDateTime>,
    /// The customer it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

/// The fiscal receipt issued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChequeData {
    /// The receipt's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<serde_json::Value>,
    /// Where to see it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// The acquirer's details.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayData {
    /// `ACQUIRING`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub gateway_type: Option<String>,
    /// ECI.
    #[serde(
        default,
        deserialize_with = "string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub eci: Option<String>,
    /// Authorisation code.
    #[serde(
        default,
        deserialize_with = "string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub auth_code: Option<String>,
    /// Retrieval reference number.
    #[serde(
        default,
        deserialize_with = "string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub rrn: Option<String>,
}

/// Who received a payout.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiverData {
    /// `CARD` or `SBP`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub receiver_type: Option<String>,
    /// The card, masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub masked_pan: Option<String>,
    /// The card holder's first name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver_first_name: Option<String>,
    /// The card holder's last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver_last_name: Option<String>,
    /// SBP phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// SBP bank.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_member_id: Option<String>,
}
