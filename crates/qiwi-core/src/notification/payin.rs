//! Payment Protocol notifications (reference: payin-payout-api.md §10).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::QiwiDateTime;
use crate::parse::{SignatureError, malformed, missing, typed};
use crate::secret::PaymentToken;

use crate::payin::{
    CardCheckStatus, CardInfo, ChequeData, CreatedToken, Customer, GatewayData, NotificationAmount,
    OperationStatus, PayinStatus, PaymentMethod, ReceiverData, Split, ThreeDsStatus, TokenData,
};

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
