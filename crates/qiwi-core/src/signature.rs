//! Verifying (and producing) the signatures of QIWI's notifications, from the raw body bytes.
//!
//! | family | key | signed text | signature |
//! |---|---|---|---|
//! | wallet webhook | [`WalletHookKey`], Base64-decoded | the `payment.signFields` values in that order, joined by `\|` | body field `hash`, hex |
//! | P2P bill | [`P2pSecretKey`] as is | `amount.currency\|amount.value\|billId\|siteId\|status.value`, amount with two decimals | header `X-Api-Signature-SHA256`, hex |
//! | Payment Protocol | [`NotificationKey`] as is | per type (see below) | header `Signature` |
//!
//! Signatures cover the text of values, and QIWI's users' top complaint is verifiers that
//! re-serialize an object and so sign `1.0` where QIWI signed `1`. Here the signed text is
//! built from the body QIWI sent: strings, ids and date-times have exactly QIWI's text in the
//! typed model; a number is tried as the typed value prints (`1.09`), and, only if that does
//! not match, as written in the body (`1.10`). Every candidate spells the same field values,
//! so a match authenticates exactly the values returned; the second look at the body is paid
//! only by notifications whose numbers QIWI wrote in a longer form. All comparisons are
//! constant-time (through [`hmac::Mac::verify_slice`]).
//!
//! ## Payment Protocol choices
//!
//! QIWI documents the fields per type (PAYMENT, CAPTURE, REFUND: id, `createdDateTime`,
//! `amount.value`; CHECK_CARD: `requestUid`, `checkOperationDate`; TOKEN: `merchantSiteUid`,
//! `account`, `status.value`, `status.changedDateTime`; PAYOUT: `payoutId`, `createdDateTime`,
//! `amount.value`) but never the header's encoding nor the amount's text. So
//! [`verify_payin_notification`] accepts the header as hex (either case) or standard Base64,
//! and the amount as written (`5`) or with two decimals (`5.00`, as the only public
//! implementation, a Go client, formats it). [`sign_payin_notification`] writes lowercase hex
//! over the text as written.

use std::borrow::Cow;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::QiwiDateTime;
use crate::notification::BillNotification;
use crate::notification::payin::{
    self, CaptureNotification, CardCheckNotification, NotificationAmount, PayinNotification,
    PaymentNotification, PayoutNotification, RefundNotification, TokenNotification,
};
use crate::notification::wallet::{
    WalletMoney, WalletNotification, WalletPayment, WalletPaymentNotification,
    WalletTestNotification, WalletWebhook,
};
use crate::raw::{self, RawObject};
use crate::secret::{NotificationKey, P2pSecretKey, WalletHookKey};

type HmacSha256 = Hmac<Sha256>;

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
    /// A Payment Protocol notification type this version cannot verify.
    #[error("notification type {type_name:?} is not supported")]
    UnsupportedType {
        /// The `type` QIWI sent.
        type_name: String,
    },
}

fn malformed(path: impl Into<String>, reason: impl ToString) -> SignatureError {
    SignatureError::Malformed {
        path: path.into(),
        reason: reason.to_string(),
    }
}

fn missing(path: impl Into<String>) -> SignatureError {
    SignatureError::MissingField { path: path.into() }
}

/// Deserializes `body` into `T`. A failure is parsed again, slowly, with path tracking, so
/// that the error names the JSON path that is wrong (tracking doubles the cost of a parse, so
/// the happy path does without it).
fn typed<'a, T: serde::Deserialize<'a>>(body: &'a [u8]) -> Result<T, SignatureError> {
    if let Ok(v) = serde_json::from_slice(body) {
        return Ok(v);
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| malformed(e.path().to_string(), e.into_inner()))?;
    de.end().map_err(|e| malformed(".", e))?;
    Ok(value)
}

fn mac(key: &[u8], message: &str) -> HmacSha256 {
    // HMAC takes keys of any length; this cannot fail.
    let mut m = <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC accepts any key length");
    m.update(message.as_bytes());
    m
}

fn hex_mac(key: &[u8], message: &str) -> String {
    hex::encode(mac(key, message).finalize().into_bytes())
}

/// Decodes a hex signature (either case) to the 32 MAC bytes.
fn decode_hex(sig: &str) -> Result<[u8; 32], SignatureError> {
    let sig = sig.trim();
    if sig.is_empty() {
        return Err(SignatureError::MissingSignature);
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(sig, &mut out).map_err(|_| SignatureError::GarbledSignature)?;
    Ok(out)
}

/// Decodes a Payment Protocol signature: hex (either case) or standard Base64.
fn decode_hex_or_base64(sig: &str) -> Result<[u8; 32], SignatureError> {
    let sig = sig.trim();
    if sig.is_empty() {
        return Err(SignatureError::MissingSignature);
    }
    if sig.len() == 64 {
        return decode_hex(sig);
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(sig)
        .map_err(|_| SignatureError::GarbledSignature)?;
    bytes
        .try_into()
        .map_err(|_| SignatureError::GarbledSignature)
}

/// The text of the value at `path` (keys from the body's top) in `body`, exactly as QIWI
/// wrote it (strings unescaped). Only for bodies serde_json has accepted.
fn raw_value<'a>(body: &'a [u8], path: &[&str]) -> Result<Cow<'a, str>, SignatureError> {
    let span = raw::find(body, path.iter().copied()).filter(|s| *s != b"null");
    let span = span.ok_or_else(|| missing(path.join(".")))?;
    raw::span_text(span).ok_or_else(|| malformed(path.join("."), "not valid JSON text"))
}

/// A signed wallet field whose typed value has exactly the text QIWI wrote: strings (kept
/// verbatim, unknown enum values included) and integers (JSON has one spelling for them).
/// Amounts are not among them — `1.10` reads as the number 1.1 — so they, and any field not
/// listed, are read from the body.
fn typed_wallet_text(p: &WalletPayment, path: &str, spelling: Spelling, out: &mut String) -> bool {
    use std::fmt::Write as _;
    let text = |out: &mut String, v: Option<&str>| v.map(|v| out.push_str(v)).is_some();
    let number = |out: &mut String, v: Option<i64>| v.map(|v| write!(out, "{v}")).is_some();
    let currency = |out: &mut String, m: &Option<WalletMoney>| {
        number(
            out,
            m.as_ref().and_then(|m| m.currency.numeric()).map(i64::from),
        )
    };
    let amount = |out: &mut String, m: &Option<WalletMoney>| {
        spelling == Spelling::Typed && m.as_ref().map(|m| write!(out, "{}", m.amount)).is_some()
    };
    match path {
        "txnId" => text(out, Some(&p.txn_id)),
        "account" => text(out, p.account.as_deref()),
        "comment" => text(out, p.comment.as_deref()),
        "errorCode" => text(out, p.error_code.as_deref()),
        "type" => text(out, p.txn_type.as_ref().map(|t| t.as_str())),
        "status" => text(out, p.status.as_ref().map(|t| t.as_str())),
        "date" => text(out, p.date.as_ref().map(|d| d.as_str())),
        "personId" => number(out, p.person_id),
        "provider" => number(out, p.provider),
        "sum.currency" => currency(out, &p.sum),
        "commission.currency" => currency(out, &p.commission),
        "total.currency" => currency(out, &p.total),
        "sum.amount" => amount(out, &p.sum),
        "commission.amount" => amount(out, &p.commission),
        "total.amount" => amount(out, &p.total),
        _ => false,
    }
}

/// How a signed number is spelled in a candidate signed text.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Spelling {
    /// As the typed value prints (`1.1`): no second look at the body.
    Typed,
    /// As written in the body (`1.10`).
    Written,
}

/// The wallet webhook's signed text: the `payment.signFields` values joined by `|`.
fn wallet_signed_text(
    body: &[u8],
    payment: &WalletPayment,
    sign_fields: &str,
    spelling: Spelling,
) -> Result<String, SignatureError> {
    let mut text = String::with_capacity(64);
    for (i, field) in sign_fields.split(',').enumerate() {
        if i > 0 {
            text.push('|');
        }
        let field = field.trim();
        if !typed_wallet_text(payment, field, spelling, &mut text) {
            let mut path = [""; 5];
            path[0] = "payment";
            let mut n = 1;
            for part in field.split('.') {
                *path
                    .get_mut(n)
                    .ok_or_else(|| missing(format!("payment.{field}")))? = part;
                n += 1;
            }
            text.push_str(&raw_value(body, &path[..n])?);
        }
    }
    Ok(text)
}

/// Whether one of two spellings of the signed text has the expected MAC: the typed one
/// first (no second look at the body), then — only if it differs — the one as written.
fn matches_either(
    key: &[u8],
    expected: &[u8; 32],
    typed: impl FnOnce() -> Result<String, SignatureError>,
    written: impl FnOnce() -> Result<String, SignatureError>,
) -> Result<bool, SignatureError> {
    let check = |text: &str| mac(key, text).verify_slice(expected).is_ok();
    let typed = typed()?;
    if check(&typed) {
        return Ok(true);
    }
    let written = written()?;
    Ok(written != typed && check(&written))
}

/// Verifies a wallet webhook from its raw body: resolves `payment.signFields` in order,
/// takes each value's text as it appears in the body, joins them with `|`, and compares the
/// HMAC-SHA256 under the decoded key with `hash` in constant time.
///
/// A test notification (`"test": true`) comes back as [`WalletNotification::Test`], never as
/// a payment: verified when it carries a hash (a wrong hash is still an error), reported
/// unverified when it carries none.
pub fn verify_wallet_notification(
    body: &[u8],
    key: &WalletHookKey,
) -> Result<WalletNotification, SignatureError> {
    let webhook: WalletWebhook = typed(body)?;
    let sign_fields = webhook
        .payment
        .as_ref()
        .and_then(|p| p.sign_fields.as_deref());
    if webhook.test && (webhook.hash.is_none() || sign_fields.is_none()) {
        return Ok(WalletNotification::Test(WalletTestNotification {
            hook_id: webhook.hook_id,
            message_id: webhook.message_id,
            payment: webhook.payment,
            signature_verified: false,
        }));
    }
    let hash = webhook
        .hash
        .as_deref()
        .ok_or(SignatureError::MissingSignature)?;
    let expected = decode_hex(hash)?;
    if webhook.payment.is_none() {
        return Err(missing("payment"));
    }
    let sign_fields = sign_fields.ok_or_else(|| missing("payment.signFields"))?;
    let payment = webhook.payment.as_ref().ok_or_else(|| missing("payment"))?;
    let text = |spelling| wallet_signed_text(body, payment, sign_fields, spelling);
    if !matches_either(
        key.hmac_key(),
        &expected,
        || text(Spelling::Typed),
        || text(Spelling::Written),
    )? {
        return Err(SignatureError::Mismatch);
    }
    let payment = webhook.payment.ok_or_else(|| missing("payment"))?;
    Ok(if webhook.test {
        WalletNotification::Test(WalletTestNotification {
            hook_id: webhook.hook_id,
            message_id: webhook.message_id,
            payment: Some(payment),
            signature_verified: true,
        })
    } else {
        WalletNotification::Payment(WalletPaymentNotification {
            hook_id: webhook.hook_id,
            message_id: webhook.message_id,
            version: webhook.version,
            payment,
        })
    })
}

/// Signs a wallet webhook body: computes `hash` over its `payment.signFields` and returns the
/// body with `hash` set. Every other value keeps its exact text.
pub fn sign_wallet_notification(
    body: &[u8],
    key: &WalletHookKey,
) -> Result<Vec<u8>, SignatureError> {
    let webhook: WalletWebhook = typed(body)?;
    let payment = webhook.payment.as_ref().ok_or_else(|| missing("payment"))?;
    let sign_fields = payment
        .sign_fields
        .as_deref()
        .ok_or_else(|| missing("payment.signFields"))?;
    let text = wallet_signed_text(body, payment, sign_fields, Spelling::Written)?;
    let hash = hex_mac(key.hmac_key(), &text);
    let text = std::str::from_utf8(body).map_err(|e| malformed(".", e))?;
    let top = RawObject::parse(text).ok_or_else(|| malformed(".", "not an object"))?;
    let mut out = Vec::with_capacity(body.len() + 80);
    out.push(b'{');
    for (k, v) in top.members().filter(|(k, _)| *k != "hash") {
        serde_json::to_writer(&mut out, k).map_err(|e| malformed(".", e))?;
        out.push(b':');
        out.extend_from_slice(v.get().as_bytes());
        out.push(b',');
    }
    out.extend_from_slice(b"\"hash\":\"");
    out.extend_from_slice(hash.as_bytes());
    out.extend_from_slice(b"\"}");
    Ok(out)
}

/// The P2P bill notification's signed text, the amount with exactly two decimals. The ids
/// and status are strings, so their typed values are QIWI's text; the currency is the typed
/// letter code, or with [`Spelling::Written`] the text in the body (the typed one is upper
/// case).
fn bill_signed_text(
    body: &[u8],
    n: &BillNotification,
    spelling: Spelling,
) -> Result<String, SignatureError> {
    let bill = &n.bill;
    let amount = bill
        .amount
        .value
        .to_fixed2()
        .map_err(|e| malformed("bill.amount.value", e))?;
    let currency = match (spelling, bill.amount.currency.alpha()) {
        (Spelling::Typed, Some(alpha)) => Cow::Borrowed(alpha),
        _ => raw_value(body, &["bill", "amount", "currency"])?,
    };
    Ok(format!(
        "{currency}|{amount}|{}|{}|{}",
        bill.bill_id,
        bill.site_id,
        bill.status.value.as_str(),
    ))
}

/// Verifies a P2P bill notification: `amount.currency|amount.value|billId|siteId|status.value`
/// with the amount written with exactly two decimals (whether it came as `"1.00"`, `"1"`, `1`
/// or `1.0`), HMAC-SHA256 keyed with the secret key's UTF-8 bytes, compared with the
/// `X-Api-Signature-SHA256` header as hex, case-insensitively, in constant time.
pub fn verify_bill_notification(
    body: &[u8],
    signature: &str,
    secret: &P2pSecretKey,
) -> Result<BillNotification, SignatureError> {
    let expected = decode_hex(signature)?;
    let notification: BillNotification = typed(body)?;
    let text = |spelling| bill_signed_text(body, &notification, spelling);
    if matches_either(
        secret.hmac_key(),
        &expected,
        || text(Spelling::Typed),
        || text(Spelling::Written),
    )? {
        Ok(notification)
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The value of the `X-Api-Signature-SHA256` header for a P2P bill notification body
/// (lowercase hex).
pub fn sign_bill_notification(
    body: &[u8],
    secret: &P2pSecretKey,
) -> Result<String, SignatureError> {
    let notification: BillNotification = typed(body)?;
    let text = bill_signed_text(body, &notification, Spelling::Written)?;
    Ok(hex_mac(secret.hmac_key(), &text))
}

/// A Payment Protocol notification's envelope, every known object typed in one pass.
#[derive(serde::Deserialize)]
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

fn read_payin(body: &[u8]) -> Result<PayinNotification, SignatureError> {
    /// The envelope of a type this version does not know: only `type` is read.
    #[derive(serde::Deserialize)]
    struct TypeOnly {
        #[serde(rename = "type")]
        type_name: String,
    }
    let wire: PayinWire = match serde_json::from_slice(body) {
        Ok(w) => w,
        Err(e) => {
            // A body of an unknown type may hold objects of any shape under known names.
            let t: TypeOnly = typed(body)?;
            if payin::KINDS.iter().any(|(k, _)| *k == t.type_name) {
                typed::<PayinWire>(body)?;
                return Err(malformed(".", e));
            }
            return unknown(body, t.type_name);
        }
    };
    let Some(&(_, name)) = payin::KINDS.iter().find(|(t, _)| *t == wire.type_name) else {
        return unknown(body, wire.type_name);
    };
    let object = || missing(name);
    Ok(match name {
        "payment" => PayinNotification::Payment(wire.payment.ok_or_else(object)?),
        "capture" => PayinNotification::Capture(wire.capture.ok_or_else(object)?),
        "refund" => PayinNotification::Refund(wire.refund.ok_or_else(object)?),
        "checkPaymentMethod" => {
            PayinNotification::CheckCard(wire.check_payment_method.ok_or_else(object)?)
        }
        "token" => PayinNotification::Token(wire.token.ok_or_else(object)?),
        _ => PayinNotification::Payout(wire.payout.ok_or_else(object)?),
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

/// What a Payment Protocol notification signs. Ids, date-times and statuses are strings
/// whose typed values are QIWI's text; an amount may be spelled several ways.
enum PayinSigned<'a> {
    /// A signed text without an amount.
    Text(String),
    /// `head` followed by the amount of `member`.
    Amount {
        head: String,
        member: &'static str,
        amount: &'a NotificationAmount,
    },
}

impl PayinSigned<'_> {
    /// The candidate texts in the order they are tried: the amount as the typed value prints
    /// (`5`), with two decimals (`5.00`), and as written in the body (`5.0`); the body is read
    /// again only when the first two fail.
    fn candidates(
        &self,
        body: &[u8],
        mut accept: impl FnMut(&str) -> bool,
    ) -> Result<bool, SignatureError> {
        use std::fmt::Write as _;
        let (head, member, amount) = match self {
            PayinSigned::Text(t) => return Ok(accept(t)),
            PayinSigned::Amount {
                head,
                member,
                amount,
            } => (head, *member, amount),
        };
        let mut text = String::with_capacity(head.len() + 16);
        text.push_str(head);
        let _ = write!(text, "{}", amount.value);
        if accept(&text) {
            return Ok(true);
        }
        let typed = text.split_off(head.len());
        if let Ok(fixed) = amount.value.to_fixed2()
            && fixed != typed
        {
            text.push_str(&fixed);
            if accept(&text) {
                return Ok(true);
            }
            text.truncate(head.len());
        }
        let written = raw_value(body, &[member, "amount", "value"])?;
        if written != typed {
            text.push_str(&written);
            return Ok(accept(&text));
        }
        Ok(false)
    }

    /// The text as written in the body, which is what QIWI signs.
    fn written(&self, body: &[u8]) -> Result<String, SignatureError> {
        match self {
            PayinSigned::Text(t) => Ok(t.clone()),
            PayinSigned::Amount { head, member, .. } => Ok(format!(
                "{head}{}",
                raw_value(body, &[member, "amount", "value"])?
            )),
        }
    }
}

fn payin_signed(n: &PayinNotification) -> Result<PayinSigned<'_>, SignatureError> {
    use PayinNotification as N;
    let amount = |member, id: &str, created: &QiwiDateTime, amount| PayinSigned::Amount {
        head: format!("{id}|{}|", created.as_str()),
        member,
        amount,
    };
    Ok(match n {
        N::Payment(p) => amount("payment", &p.payment_id, &p.created_date_time, &p.amount),
        N::Capture(c) => amount("capture", &c.capture_id, &c.created_date_time, &c.amount),
        N::Refund(r) => amount("refund", &r.refund_id, &r.created_date_time, &r.amount),
        N::Payout(p) => amount("payout", &p.payout_id, &p.created_date_time, &p.amount),
        N::CheckCard(c) => PayinSigned::Text(format!(
            "{}|{}",
            c.request_uid,
            c.check_operation_date.as_str()
        )),
        N::Token(t) => {
            let changed = t
                .status
                .changed_date_time
                .as_ref()
                .ok_or_else(|| missing("token.status.changedDateTime"))?;
            PayinSigned::Text(format!(
                "{}|{}|{}|{}",
                t.merchant_site_uid,
                t.account,
                t.status.value.as_str(),
                changed.as_str()
            ))
        }
        N::Unknown { type_name, .. } => {
            return Err(SignatureError::UnsupportedType {
                type_name: type_name.clone(),
            });
        }
    })
}

/// Verifies a Payment Protocol notification (PAYMENT, CAPTURE, REFUND, CHECK_CARD, TOKEN,
/// PAYOUT) from its raw body and `Signature` header; see the module docs for the choices made
/// where QIWI's documents are silent. Unknown types are refused with
/// [`SignatureError::UnsupportedType`].
pub fn verify_payin_notification(
    body: &[u8],
    signature: &str,
    key: &NotificationKey,
) -> Result<PayinNotification, SignatureError> {
    let expected = decode_hex_or_base64(signature)?;
    let notification = read_payin(body)?;
    let signed = payin_signed(&notification)?;
    let accept = |text: &str| mac(key.hmac_key(), text).verify_slice(&expected).is_ok();
    if signed.candidates(body, accept)? {
        Ok(notification)
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The `Signature` header for a Payment Protocol notification body: lowercase hex over the
/// values as written.
pub fn sign_payin_notification(
    body: &[u8],
    key: &NotificationKey,
) -> Result<String, SignatureError> {
    let notification = read_payin(body)?;
    let text = payin_signed(&notification)?.written(body)?;
    Ok(hex_mac(key.hmac_key(), &text))
}

#[cfg(test)]
mod tests;
