//! Payment Protocol notifications (reference: payin-payout-api.md §10).

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use crate::QiwiDateTime;
use crate::currency::CurrencyAlpha;
use crate::money::{AmountNumber, AmountString};
use crate::open_enum::open_enum;
use crate::parse::{SignatureError, malformed, missing, typed};
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

/// An operation's amount, which notifications write as a JSON number (`5`, `200.00`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationAmount {
    /// The amount.
    pub value: AmountNumber,
    /// The currency.
    pub currency: CurrencyAlpha,
}

/// A split's amount, which notifications write as a string (`"150.00"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitAmount {
    /// The amount.
    pub value: AmountString,
    /// The currency.
    pub currency: CurrencyAlpha,
}

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
    pub split_commissions: Option<serde_json::Value>,
    /// Your order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
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

/// A PAYMENT notification's `payment`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentNotification {
    /// The payment's id.
    pub payment_id: String,
    /// When it was created (signed as written).
    pub created_date_time: QiwiDateTime,
    /// The amount (signed).
    pub amount: NotificationAmount,
    /// The status.
    pub status: PayinStatus,
    /// The invoice it pays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bill_id: Option<String>,
    /// The SBP QR code paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_code_uid: Option<String>,
    /// How it was paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<PaymentMethod>,
    /// The card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_card_info: Option<CardInfo>,
    /// The payer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    /// Custom fields.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_fields: BTreeMap<String, serde_json::Value>,
    /// Flags (`SALE`, `AUTH`, `REVERSAL`, `TEST` …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// A card token issued with the payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_data: Option<TokenData>,
    /// The fiscal receipt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cheque_data: Option<ChequeData>,
    /// Splits.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payment_splits: Vec<Split>,
    /// The acquirer's details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_data: Option<GatewayData>,
    /// The merchant site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_site_uid: Option<String>,
}

/// A CAPTURE notification's `capture`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaptureNotification {
    /// The capture's id.
    pub capture_id: String,
    /// When it was created (signed as written).
    pub created_date_time: QiwiDateTime,
    /// The amount (signed).
    pub amount: NotificationAmount,
    /// The status.
    pub status: PayinStatus,
    /// The invoice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bill_id: Option<String>,
    /// How it was paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<PaymentMethod>,
    /// The payer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    /// Custom fields.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_fields: BTreeMap<String, serde_json::Value>,
    /// Flags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
}

/// A REFUND notification's `refund`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundNotification {
    /// The refund's id.
    pub refund_id: String,
    /// When it was created (signed as written).
    pub created_date_time: QiwiDateTime,
    /// The amount (signed).
    pub amount: NotificationAmount,
    /// The status.
    pub status: PayinStatus,
    /// The invoice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bill_id: Option<String>,
    /// How the refunded payment was paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<PaymentMethod>,
    /// The payer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    /// Custom fields.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_fields: BTreeMap<String, serde_json::Value>,
    /// Flags (`REVERSAL` when the refund cancelled a hold).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// The fiscal receipt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cheque_data: Option<ChequeData>,
    /// Splits.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refund_splits: Vec<Split>,
    /// The acquirer's details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_data: Option<GatewayData>,
}

/// A CHECK_CARD notification's `checkPaymentMethod`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardCheckNotification {
    /// The check's id.
    pub request_uid: String,
    /// When it was made (signed as written).
    pub check_operation_date: QiwiDateTime,
    /// The status.
    pub status: CardCheckStatus,
    /// Whether the card can be paid with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_valid_card: Option<bool>,
    /// 3-D Secure outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub three_ds_status: Option<ThreeDsStatus>,
    /// The card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<PaymentMethod>,
    /// What QIWI knows of the card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_info: Option<CardInfo>,
    /// A card token, when one was asked for and the card is valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_token: Option<CreatedToken>,
}

/// Where an SBP token came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenizationSource {
    /// `QR_CODE`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub source_type: Option<String>,
    /// The QR code's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
}

/// A TOKEN notification's `token` (SBP tokens).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenNotification {
    /// Your site (signed).
    pub merchant_site_uid: String,
    /// The customer (signed).
    pub account: String,
    /// The status (`value` and `changedDateTime` signed).
    pub status: PayinStatus,
    /// The token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<PaymentToken>,
    /// When it expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired_date: Option<QiwiDateTime>,
    /// Where it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokenization_source: Option<TokenizationSource>,
    /// The payer's bank.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_member_id: Option<String>,
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
    /// SBP phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// SBP bank.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_member_id: Option<String>,
}

/// A PAYOUT notification's `payout`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayoutNotification {
    /// The payout's id (signed).
    pub payout_id: String,
    /// When it was created (signed as written).
    pub created_date_time: QiwiDateTime,
    /// The amount (signed).
    pub amount: NotificationAmount,
    /// The status.
    pub status: PayinStatus,
    /// The receiver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver_data: Option<ReceiverData>,
    /// Flags (`TEST`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// Splits.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payout_splits: Vec<Split>,
}

/// A Payment Protocol notification, by its `type` (boxed: the models differ a lot in size).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PayinNotification {
    /// `PAYMENT`.
    Payment(Box<PaymentNotification>),
    /// `CAPTURE`.
    Capture(Box<CaptureNotification>),
    /// `REFUND`.
    Refund(Box<RefundNotification>),
    /// `CHECK_CARD`.
    CheckCard(Box<CardCheckNotification>),
    /// `TOKEN`.
    Token(Box<TokenNotification>),
    /// `PAYOUT`.
    Payout(Box<PayoutNotification>),
    /// A type QIWI added after this version; kept whole. It cannot be verified, because its
    /// signed fields are unknown.
    Unknown {
        /// The `type` QIWI sent.
        type_name: String,
        /// The whole notification.
        raw: serde_json::Value,
    },
}

/// The Payment Protocol notification types this version knows. Parsing, [`PayinNotification::type_name`]
/// and [`PayinNotification::to_json`] all read this one mapping, and every match on it is
/// exhaustive: a new type does not compile until each of them says what it does with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PayinKind {
    Payment,
    Capture,
    Refund,
    CheckCard,
    Token,
    Payout,
}

impl PayinKind {
    const ALL: [PayinKind; 6] = [
        PayinKind::Payment,
        PayinKind::Capture,
        PayinKind::Refund,
        PayinKind::CheckCard,
        PayinKind::Token,
        PayinKind::Payout,
    ];

    /// The kind QIWI's `type` names, if this version knows it.
    fn of(type_name: &str) -> Option<PayinKind> {
        PayinKind::ALL
            .into_iter()
            .find(|k| k.type_name() == type_name)
    }

    /// The `type` as QIWI writes it.
    fn type_name(self) -> &'static str {
        match self {
            PayinKind::Payment => "PAYMENT",
            PayinKind::Capture => "CAPTURE",
            PayinKind::Refund => "REFUND",
            PayinKind::CheckCard => "CHECK_CARD",
            PayinKind::Token => "TOKEN",
            PayinKind::Payout => "PAYOUT",
        }
    }

    /// The member of the body that holds the object.
    fn member(self) -> &'static str {
        match self {
            PayinKind::Payment => "payment",
            PayinKind::Capture => "capture",
            PayinKind::Refund => "refund",
            PayinKind::CheckCard => "checkPaymentMethod",
            PayinKind::Token => "token",
            PayinKind::Payout => "payout",
        }
    }
}

/// A Payment Protocol notification's envelope, every known object typed in one pass.
#[derive(Deserialize)]
struct PayinWire {
    #[serde(rename = "type")]
    type_name: String,
    #[serde(default)]
    payment: Option<Box<PaymentNotification>>,
    #[serde(default)]
    capture: Option<Box<CaptureNotification>>,
    #[serde(default)]
    refund: Option<Box<RefundNotification>>,
    #[serde(default, rename = "checkPaymentMethod")]
    check_payment_method: Option<Box<CardCheckNotification>>,
    #[serde(default)]
    token: Option<Box<TokenNotification>>,
    #[serde(default)]
    payout: Option<Box<PayoutNotification>>,
}

/// Reads a Payment Protocol notification: the object its `type` names, or the whole body of a
/// type this version does not know.
pub(crate) fn read_payin(body: &[u8]) -> Result<PayinNotification, SignatureError> {
    /// The envelope of a type this version does not know: only `type` is read.
    #[derive(Deserialize)]
    struct TypeOnly {
        #[serde(rename = "type")]
        type_name: String,
    }
    let wire: PayinWire = match serde_json::from_slice(body) {
        Ok(w) => w,
        Err(e) => {
            // A body of an unknown type may hold objects of any shape under known names.
            let t: TypeOnly = typed(body)?;
            if PayinKind::of(&t.type_name).is_some() {
                typed::<PayinWire>(body)?;
                return Err(malformed(".", e));
            }
            return unknown(body, t.type_name);
        }
    };
    let Some(kind) = PayinKind::of(&wire.type_name) else {
        return unknown(body, wire.type_name);
    };
    let object = || missing(kind.member());
    Ok(match kind {
        PayinKind::Payment => PayinNotification::Payment(wire.payment.ok_or_else(object)?),
        PayinKind::Capture => PayinNotification::Capture(wire.capture.ok_or_else(object)?),
        PayinKind::Refund => PayinNotification::Refund(wire.refund.ok_or_else(object)?),
        PayinKind::CheckCard => {
            PayinNotification::CheckCard(wire.check_payment_method.ok_or_else(object)?)
        }
        PayinKind::Token => PayinNotification::Token(wire.token.ok_or_else(object)?),
        PayinKind::Payout => PayinNotification::Payout(wire.payout.ok_or_else(object)?),
    })
}

fn unknown(body: &[u8], type_name: String) -> Result<PayinNotification, SignatureError> {
    Ok(PayinNotification::Unknown {
        type_name,
        raw: typed(body)?,
    })
}

/// Parses a Payment Protocol notification without checking its signature; only for bodies
/// whose signature was checked by other means. Unknown types become
/// [`PayinNotification::Unknown`].
pub fn parse_payin_notification(body: &[u8]) -> Result<PayinNotification, SignatureError> {
    read_payin(body)
}

impl PayinNotification {
    /// The paths of the values the `Signature` header covers (payin-payout-api §10.1). Every
    /// other value, the status of payments, captures, refunds, card checks and payouts among
    /// them, is QIWI's claim, not authenticated: confirm it through the API before acting.
    ///
    /// ```
    /// use qiwi_core::notification::PayinNotification;
    /// let n = qiwi_core::signature::parse_payin_notification(
    ///     br#"{"type":"TOKEN","token":{"merchantSiteUid":"s","account":"a","status":{"value":"CREATED","changedDateTime":"2024-01-01T00:00:00+03:00"}}}"#,
    /// )?;
    /// assert!(n.status_is_signed());
    /// assert_eq!(n.signed_paths()[2], "token.status.value");
    /// # Ok::<(), qiwi_core::signature::SignatureError>(())
    /// ```
    pub fn signed_paths(&self) -> &'static [&'static str] {
        match self {
            PayinNotification::Payment(_) => &[
                "payment.paymentId",
                "payment.createdDateTime",
                "payment.amount.value",
            ],
            PayinNotification::Capture(_) => &[
                "capture.captureId",
                "capture.createdDateTime",
                "capture.amount.value",
            ],
            PayinNotification::Refund(_) => &[
                "refund.refundId",
                "refund.createdDateTime",
                "refund.amount.value",
            ],
            PayinNotification::CheckCard(_) => &[
                "checkPaymentMethod.requestUid",
                "checkPaymentMethod.checkOperationDate",
            ],
            PayinNotification::Token(_) => &[
                "token.merchantSiteUid",
                "token.account",
                "token.status.value",
                "token.status.changedDateTime",
            ],
            PayinNotification::Payout(_) => &[
                "payout.payoutId",
                "payout.createdDateTime",
                "payout.amount.value",
            ],
            PayinNotification::Unknown { .. } => &[],
        }
    }

    /// The id of the operation: the payment, capture, refund, card check (`requestUid`),
    /// token account or payout; the `type` of an unknown type. Signed in every known type.
    pub fn id(&self) -> &str {
        match self {
            PayinNotification::Payment(x) => &x.payment_id,
            PayinNotification::Capture(x) => &x.capture_id,
            PayinNotification::Refund(x) => &x.refund_id,
            PayinNotification::CheckCard(x) => &x.request_uid,
            PayinNotification::Token(x) => &x.account,
            PayinNotification::Payout(x) => &x.payout_id,
            PayinNotification::Unknown { type_name, .. } => type_name,
        }
    }

    /// The status the notification claims (signed only for TOKEN); empty for an unknown type.
    pub fn status(&self) -> &str {
        match self {
            PayinNotification::Payment(x) => x.status.value.as_str(),
            PayinNotification::Capture(x) => x.status.value.as_str(),
            PayinNotification::Refund(x) => x.status.value.as_str(),
            PayinNotification::CheckCard(x) => x.status.as_str(),
            PayinNotification::Token(x) => x.status.value.as_str(),
            PayinNotification::Payout(x) => x.status.value.as_str(),
            PayinNotification::Unknown { .. } => "",
        }
    }

    /// When the status changed (`status.changedDateTime`; a card check's signed
    /// `checkOperationDate`); `None` when QIWI sent none or the type is unknown. Signed only
    /// for card checks and tokens.
    pub fn changed_at(&self) -> Option<&QiwiDateTime> {
        match self {
            PayinNotification::Payment(x) => x.status.changed_date_time.as_ref(),
            PayinNotification::Capture(x) => x.status.changed_date_time.as_ref(),
            PayinNotification::Refund(x) => x.status.changed_date_time.as_ref(),
            PayinNotification::CheckCard(x) => Some(&x.check_operation_date),
            PayinNotification::Token(x) => x.status.changed_date_time.as_ref(),
            PayinNotification::Payout(x) => x.status.changed_date_time.as_ref(),
            PayinNotification::Unknown { .. } => None,
        }
    }

    /// Whether the claimed status is one QIWI documents (not an `Unknown` value).
    fn status_is_documented(&self) -> bool {
        let op = |s: &OperationStatus| !matches!(s, OperationStatus::Unknown(_));
        match self {
            PayinNotification::Payment(x) => op(&x.status.value),
            PayinNotification::Capture(x) => op(&x.status.value),
            PayinNotification::Refund(x) => op(&x.status.value),
            PayinNotification::Payout(x) => op(&x.status.value),
            PayinNotification::Token(x) => op(&x.status.value),
            PayinNotification::CheckCard(x) => !matches!(x.status, CardCheckStatus::Unknown(_)),
            PayinNotification::Unknown { .. } => false,
        }
    }

    /// Whether QIWI flagged the operation `TEST`.
    pub fn is_test(&self) -> bool {
        let flags: &[String] = match self {
            PayinNotification::Payment(x) => &x.flags,
            PayinNotification::Capture(x) => &x.flags,
            PayinNotification::Refund(x) => &x.flags,
            PayinNotification::Payout(x) => &x.flags,
            PayinNotification::CheckCard(_)
            | PayinNotification::Token(_)
            | PayinNotification::Unknown { .. } => &[],
        };
        flags.iter().any(|f| f == "TEST")
    }

    /// The key a repeated delivery of the same state shares with the first one, from signed
    /// values only: the type and id, plus the status. TOKEN signs its status and change time,
    /// so they are part of its key. The other types sign no status, so the key takes
    /// `confirmed` (the status read from QIWI's API) when given, else the claimed status if
    /// it is a documented value and `?` otherwise — a replay with an edited status gets at
    /// most one new key per documented status.
    pub fn dedupe_key(&self, confirmed: Option<&str>) -> String {
        if let PayinNotification::Token(x) = self {
            let changed = x.status.changed_date_time.as_ref().map(|t| t.as_str());
            return format!(
                "TOKEN|{:?}|{:?}|{:?}|{:?}",
                x.merchant_site_uid,
                x.account,
                confirmed.unwrap_or(x.status.value.as_str()),
                changed.unwrap_or_default()
            );
        }
        let status = match confirmed {
            Some(s) => s,
            None if self.status_is_documented() => self.status(),
            None => "?",
        };
        format!("{}|{:?}|{:?}", self.type_name(), self.id(), status)
    }

    /// Whether the signature covers the status (only TOKEN's does).
    pub fn status_is_signed(&self) -> bool {
        match self {
            PayinNotification::Token(_) => true,
            PayinNotification::Payment(_)
            | PayinNotification::Capture(_)
            | PayinNotification::Refund(_)
            | PayinNotification::CheckCard(_)
            | PayinNotification::Payout(_)
            | PayinNotification::Unknown { .. } => false,
        }
    }

    /// The `type` as QIWI writes it.
    pub fn type_name(&self) -> &str {
        let kind = match self {
            PayinNotification::Payment(_) => PayinKind::Payment,
            PayinNotification::Capture(_) => PayinKind::Capture,
            PayinNotification::Refund(_) => PayinKind::Refund,
            PayinNotification::CheckCard(_) => PayinKind::CheckCard,
            PayinNotification::Token(_) => PayinKind::Token,
            PayinNotification::Payout(_) => PayinKind::Payout,
            PayinNotification::Unknown { type_name, .. } => return type_name,
        };
        kind.type_name()
    }

    /// The notification as QIWI writes it: `{"<member>": {…}, "type": "…", "version": "1"}`.
    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        use serde_json::to_value;
        let (kind, object) = match self {
            PayinNotification::Payment(v) => (PayinKind::Payment, to_value(v)?),
            PayinNotification::Capture(v) => (PayinKind::Capture, to_value(v)?),
            PayinNotification::Refund(v) => (PayinKind::Refund, to_value(v)?),
            PayinNotification::CheckCard(v) => (PayinKind::CheckCard, to_value(v)?),
            PayinNotification::Token(v) => (PayinKind::Token, to_value(v)?),
            PayinNotification::Payout(v) => (PayinKind::Payout, to_value(v)?),
            PayinNotification::Unknown { raw, .. } => return serde_json::to_vec(raw),
        };
        let mut m = serde_json::Map::new();
        m.insert(kind.member().to_owned(), object);
        m.insert("type".into(), kind.type_name().into());
        m.insert("version".into(), "1".into());
        serde_json::to_vec(&m)
    }
}
