//! Verifying (and producing) the signatures of QIWI's notifications, from the raw body bytes.
//!
//! | family | key | signed text | signature |
//! |---|---|---|---|
//! | wallet webhook | [`WalletHookKey`], Base64-decoded | the values of the receiver's [`WalletSignFields`] (QIWI's `sum.currency,sum.amount,type,account,txnId`), which `payment.signFields` must list exactly, joined by `\|` | body field `hash`, hex |
//! | P2P bill | [`P2pSecretKey`] as is | `amount.currency\|amount.value\|billId\|siteId\|status.value`, amount with two decimals | header `X-Api-Signature-SHA256`, hex |
//! | Payment Protocol | [`NotificationKey`] as is | per type (see below) | header `Signature` |
//!
//! **What a signature covers.** Only the values above: each verified model says which
//! (`signed_paths`). The wallet's and most Payment Protocol types' *status* is not signed, so a
//! captured notification can be replayed with its status edited; confirm the status through the
//! API before shipping goods (qiwi-hooks' `Confirmer` does it before the handler runs). Bodies
//! that are not JSON objects, and impossible date-times in signed fields, are refused.
//!
//! Signatures cover the text of values, and QIWI's users' top complaint is verifiers that
//! re-serialize an object and so sign `1.0` where QIWI signed `1`. Here the signed text is
//! built from the body QIWI sent: strings, ids and date-times have exactly QIWI's text in the
//! typed model; a number is tried as the typed value prints (`1.09`), and, only if that does
//! not match, as written in the body (`1.10`). Every candidate spells the same field values,
//! and an amount matched as written is returned as exactly that decimal, so what comes back
//! is what was signed; the second look at the body is paid only by notifications whose
//! numbers QIWI wrote in a longer form. No signed value is ever looked up by a path the body
//! chose. All comparisons are constant-time (through [`hmac::Mac::verify_slice`]).
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
use crate::{Amount, QiwiDateTime};

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
    /// A wallet webhook's `payment.signFields` is not the list of fields the receiver
    /// expects QIWI to sign (see [`WalletSignFields`]). The list is not itself signed, so a
    /// body that names other fields is treated as forged.
    #[error("payment.signFields lists {found:?}, not the fields QIWI signs")]
    UnexpectedSignFields {
        /// The list the body carried (at most 64 characters of it).
        found: String,
    },
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
    // serde reads a struct from a JSON array too (`[…]` in field order); QIWI sends objects.
    if body.trim_ascii_start().first() != Some(&b'{') {
        return Err(malformed(".", "not a JSON object"));
    }
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

/// A field of a wallet payment that a webhook's signature can cover, named as in
/// `payment.signFields` (`sum.amount`, `txnId` …).
///
/// Only these fields can be signed: each has a typed value, so what verification returns is
/// what was signed. A `signFields` path outside this list is refused, never looked up in the
/// body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WalletField {
    /// `txnId`.
    TxnId,
    /// `account`.
    Account,
    /// `comment`.
    Comment,
    /// `errorCode`.
    ErrorCode,
    /// `type` (`IN`, `OUT`).
    Type,
    /// `status`.
    Status,
    /// `date`.
    Date,
    /// `personId`.
    PersonId,
    /// `provider`.
    Provider,
    /// `sum.currency`.
    SumCurrency,
    /// `sum.amount`.
    SumAmount,
    /// `commission.currency`.
    CommissionCurrency,
    /// `commission.amount`.
    CommissionAmount,
    /// `total.currency`.
    TotalCurrency,
    /// `total.amount`.
    TotalAmount,
}

const WALLET_FIELDS: [(WalletField, &str); 15] = [
    (WalletField::TxnId, "txnId"),
    (WalletField::Account, "account"),
    (WalletField::Comment, "comment"),
    (WalletField::ErrorCode, "errorCode"),
    (WalletField::Type, "type"),
    (WalletField::Status, "status"),
    (WalletField::Date, "date"),
    (WalletField::PersonId, "personId"),
    (WalletField::Provider, "provider"),
    (WalletField::SumCurrency, "sum.currency"),
    (WalletField::SumAmount, "sum.amount"),
    (WalletField::CommissionCurrency, "commission.currency"),
    (WalletField::CommissionAmount, "commission.amount"),
    (WalletField::TotalCurrency, "total.currency"),
    (WalletField::TotalAmount, "total.amount"),
];

impl WalletField {
    /// The path inside `payment`, as `signFields` writes it.
    pub fn path(self) -> &'static str {
        WALLET_FIELDS
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("", |(_, p)| p)
    }

    /// The field a `signFields` path names; `None` for any other path.
    pub fn from_path(path: &str) -> Option<WalletField> {
        WALLET_FIELDS
            .iter()
            .find(|(_, p)| *p == path)
            .map(|(f, _)| *f)
    }
}

/// The fields a wallet webhook's signature covers, in signing order.
///
/// The list comes from the receiver, never from the notification: `payment.signFields` is
/// not itself signed, so a body that lists other fields than these is refused
/// ([`SignatureError::UnexpectedSignFields`]). The default is the list QIWI documents and
/// always sends, `sum.currency,sum.amount,type,account,txnId`; configure another one only
/// when QIWI announces a change.
///
/// ```
/// use qiwi_core::signature::{WalletField, WalletSignFields};
///
/// let qiwi = WalletSignFields::default();
/// assert_eq!(qiwi.to_string(), "sum.currency,sum.amount,type,account,txnId");
/// assert!(qiwi.contains(WalletField::SumAmount) && !qiwi.contains(WalletField::Status));
/// // A future list, named explicitly by the receiver:
/// let with_status = WalletSignFields::parse("sum.currency,sum.amount,type,account,txnId,status")?;
/// assert!(with_status.contains(WalletField::Status));
/// // Paths outside the typed payment are refused.
/// assert!(WalletSignFields::parse("sum.amount,extra.copy").is_err());
/// # Ok::<(), qiwi_core::signature::SignatureError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WalletSignFields(Vec<WalletField>);

impl Default for WalletSignFields {
    fn default() -> Self {
        WalletSignFields::qiwi()
    }
}

impl WalletSignFields {
    /// The list QIWI documents (wallet-api §8.8): `sum.currency,sum.amount,type,account,txnId`.
    pub fn qiwi() -> Self {
        WalletSignFields(vec![
            WalletField::SumCurrency,
            WalletField::SumAmount,
            WalletField::Type,
            WalletField::Account,
            WalletField::TxnId,
        ])
    }

    /// Reads a comma-separated `signFields` list. Every path must name a [`WalletField`],
    /// and none may repeat.
    pub fn parse(list: &str) -> Result<Self, SignatureError> {
        let mut fields = Vec::with_capacity(5);
        for path in list.split(',') {
            let field = WalletField::from_path(path.trim()).ok_or_else(|| {
                malformed(
                    "payment.signFields",
                    format!("{:?} is not a signable payment field", clip(path)),
                )
            })?;
            if fields.contains(&field) {
                return Err(malformed(
                    "payment.signFields",
                    format!("{:?} is listed twice", field.path()),
                ));
            }
            fields.push(field);
        }
        Ok(WalletSignFields(fields))
    }

    /// The fields in signing order.
    pub fn fields(&self) -> &[WalletField] {
        &self.0
    }

    /// Whether the signature covers `field`.
    pub fn contains(&self, field: WalletField) -> bool {
        self.0.contains(&field)
    }

    /// Whether `list` (a body's `signFields`) names exactly these fields in this order.
    fn is_listed_by(&self, list: &str) -> bool {
        let mut listed = list.split(',');
        self.0.iter().all(|f| listed.next() == Some(f.path())) && listed.next().is_none()
    }
}

impl std::fmt::Display for WalletSignFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, field) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(field.path())?;
        }
        Ok(())
    }
}

/// At most 64 characters of a text an attacker chose, for an error message.
fn clip(text: &str) -> &str {
    text.char_indices()
        .nth(64)
        .map_or(text, |(i, _)| &text[..i])
}

/// How a signed number is spelled in a candidate signed text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Spelling {
    /// As the typed value prints (`1.1`): no second look at the body.
    Typed,
    /// As written in the body (`1.10`).
    Written,
}

/// Appends the text of one signed wallet field. Strings and integers have one spelling, their
/// typed value; a currency and an amount are spelled per `spelling` — the typed value, or the
/// body's text at the same path (which the typed value was read from).
fn wallet_field_text(
    body: &[u8],
    p: &WalletPayment,
    field: WalletField,
    spelling: Spelling,
    out: &mut String,
) -> Result<(), SignatureError> {
    use WalletField as F;
    use std::fmt::Write as _;
    let absent = || missing(format!("payment.{}", field.path()));
    let text = |out: &mut String, v: Option<&str>| {
        out.push_str(v.ok_or_else(absent)?);
        Ok(())
    };
    let number = |out: &mut String, v: Option<i64>| {
        let _ = write!(out, "{}", v.ok_or_else(absent)?);
        Ok(())
    };
    let money = |m: &Option<WalletMoney>, member: &str, part: &str, out: &mut String| {
        let m = m.as_ref().ok_or_else(absent)?;
        match (spelling, part) {
            (Spelling::Typed, "amount") => {
                let _ = write!(out, "{}", m.amount);
            }
            (Spelling::Typed, _) => match m.currency.numeric() {
                Some(n) => {
                    let _ = write!(out, "{n}");
                }
                None => out.push_str(m.currency.alpha().ok_or_else(absent)?),
            },
            (Spelling::Written, _) => out.push_str(&raw_value(body, &["payment", member, part])?),
        }
        Ok(())
    };
    match field {
        F::TxnId => text(out, Some(&p.txn_id)),
        F::Account => text(out, p.account.as_deref()),
        F::Comment => text(out, p.comment.as_deref()),
        F::ErrorCode => text(out, p.error_code.as_deref()),
        F::Type => text(out, p.txn_type.as_ref().map(|t| t.as_str())),
        F::Status => text(out, p.status.as_ref().map(|t| t.as_str())),
        F::Date => text(out, p.date.as_ref().map(|d| d.as_str())),
        F::PersonId => number(out, p.person_id),
        F::Provider => number(out, p.provider),
        F::SumCurrency => money(&p.sum, "sum", "currency", out),
        F::SumAmount => money(&p.sum, "sum", "amount", out),
        F::CommissionCurrency => money(&p.commission, "commission", "currency", out),
        F::CommissionAmount => money(&p.commission, "commission", "amount", out),
        F::TotalCurrency => money(&p.total, "total", "currency", out),
        F::TotalAmount => money(&p.total, "total", "amount", out),
    }
}

/// The wallet webhook's signed text: the values of `fields` joined by `|`.
fn wallet_signed_text(
    body: &[u8],
    payment: &WalletPayment,
    fields: &WalletSignFields,
    spelling: Spelling,
) -> Result<String, SignatureError> {
    let mut text = String::with_capacity(64);
    for (i, field) in fields.fields().iter().enumerate() {
        if i > 0 {
            text.push('|');
        }
        wallet_field_text(body, payment, *field, spelling, &mut text)?;
    }
    Ok(text)
}

/// After the text as written matched: every signed amount becomes exactly the decimal QIWI
/// wrote (`1.10`, or 17 digits a JSON float would round), or the body is refused.
fn exact_wallet_amounts(
    body: &[u8],
    payment: &mut WalletPayment,
    fields: &WalletSignFields,
) -> Result<(), SignatureError> {
    for (field, member, money) in [
        (WalletField::SumAmount, "sum", &mut payment.sum),
        (
            WalletField::CommissionAmount,
            "commission",
            &mut payment.commission,
        ),
        (WalletField::TotalAmount, "total", &mut payment.total),
    ] {
        if !fields.contains(field) {
            continue;
        }
        let money = money
            .as_mut()
            .ok_or_else(|| missing(format!("payment.{member}")))?;
        money.amount = exact_amount(body, &["payment", member, "amount"])?.into();
    }
    Ok(())
}

/// The amount at `path` read from its text as written, exactly.
fn exact_amount(body: &[u8], path: &[&str]) -> Result<Amount, SignatureError> {
    let text = raw_value(body, path)?;
    text.parse::<Amount>()
        .map_err(|e| malformed(path.join("."), e))
}

/// Refuses a signed or keyed date-time that names no instant (`2019-01-01T10:99:00`).
fn real_date(path: &str, t: &QiwiDateTime) -> Result<(), SignatureError> {
    t.instant().map(drop).map_err(|e| malformed(path, e))
}

/// Refuses a signed `date` that names no instant.
fn wallet_real_date(
    payment: &WalletPayment,
    fields: &WalletSignFields,
) -> Result<(), SignatureError> {
    match &payment.date {
        Some(date) if fields.contains(WalletField::Date) => real_date("payment.date", date),
        _ => Ok(()),
    }
}

/// Which of two spellings of the signed text has the expected MAC: the typed one first (no
/// second look at the body), then — only if it differs — the one as written.
fn matches_either(
    key: &[u8],
    expected: &[u8; 32],
    typed: impl FnOnce() -> Result<String, SignatureError>,
    written: impl FnOnce() -> Result<String, SignatureError>,
) -> Result<Option<Spelling>, SignatureError> {
    let check = |text: &str| mac(key, text).verify_slice(expected).is_ok();
    let typed = typed()?;
    if check(&typed) {
        return Ok(Some(Spelling::Typed));
    }
    let written = written()?;
    Ok((written != typed && check(&written)).then_some(Spelling::Written))
}

/// Verifies a wallet webhook from its raw body with QIWI's documented list of signed fields
/// ([`WalletSignFields::qiwi`]); see [`verify_wallet_notification_with`].
///
/// ```
/// use qiwi_core::notification::WalletNotification;
/// use qiwi_core::secret::WalletHookKey;
/// use qiwi_core::signature::verify_wallet_notification;
///
/// // QIWI's documented key and notification (shared/reference/test-vectors.md, W1).
/// let key = WalletHookKey::from_base64("JcyVhjHCvHQwufz+IHXolyqHgEc5MoayBfParl6Guoc=")?;
/// let body = r#"{"messageId":"7814c49d-2d29-4b14-b2dc-36b377c76156","hookId":"5e2027d1-f5f3-4ad1-b409-058b8b8a8c22","payment":{"txnId":"13353941550","date":"2018-06-27T13:39:00+03:00","type":"IN","status":"SUCCESS","errorCode":"0","personId":78000008000,"account":"+79161112233","comment":"","provider":7,"sum":{"amount":1,"currency":643},"commission":{"amount":0,"currency":643},"total":{"amount":1,"currency":643},"signFields":"sum.currency,sum.amount,type,account,txnId"},"hash":"f05c4e7bdf00620205d47696d77f924bfd3ba4d02b0398ac8a626e737dc27243","version":"1.0.0","test":false}"#;
/// let WalletNotification::Payment(n) = verify_wallet_notification(body.as_bytes(), &key)? else {
///     panic!("QIWI's example is a payment");
/// };
/// assert_eq!(n.payment.txn_id, "13353941550");
/// // Signed: sum.currency, sum.amount, type, account, txnId. Not signed: status, date …
/// assert_eq!(n.signed_paths()[1], "payment.sum.amount");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify_wallet_notification(
    body: &[u8],
    key: &WalletHookKey,
) -> Result<WalletNotification, SignatureError> {
    verify_wallet_notification_with(body, key, &WalletSignFields::qiwi())
}

/// Verifies a wallet webhook from its raw body: `payment.signFields` must list exactly
/// `fields`; their values, joined by `|`, must have the HMAC-SHA256 (under the decoded key)
/// that `hash` carries, compared in constant time.
///
/// What comes back is what was signed: the signed strings and numbers are those of the typed
/// model, and an amount matched as written (`1.10`) is returned as exactly that decimal. Every
/// other field — `status`, `date`, `messageId` … with QIWI's list — is *not* covered by the
/// signature; [`WalletPaymentNotification::signed_paths`] names the covered ones.
///
/// A test notification (`"test": true`) comes back as [`WalletNotification::Test`], never as
/// a payment: verified when it carries a hash (a wrong hash is still an error), reported
/// unverified when it carries none. A body that is not a JSON object is refused.
pub fn verify_wallet_notification_with(
    body: &[u8],
    key: &WalletHookKey,
    fields: &WalletSignFields,
) -> Result<WalletNotification, SignatureError> {
    let webhook: WalletWebhook = typed(body)?;
    let listed = webhook
        .payment
        .as_ref()
        .and_then(|p| p.sign_fields.as_deref());
    if webhook.test && (webhook.hash.is_none() || listed.is_none()) {
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
    let listed = listed.ok_or_else(|| {
        missing(if webhook.payment.is_none() {
            "payment"
        } else {
            "payment.signFields"
        })
    })?;
    if !fields.is_listed_by(listed) {
        return Err(SignatureError::UnexpectedSignFields {
            found: clip(listed).to_owned(),
        });
    }
    let mut payment = webhook.payment.ok_or_else(|| missing("payment"))?;
    let text = |spelling| wallet_signed_text(body, &payment, fields, spelling);
    let spelling = matches_either(
        key.hmac_key(),
        &expected,
        || text(Spelling::Typed),
        || text(Spelling::Written),
    )?
    .ok_or(SignatureError::Mismatch)?;
    if spelling == Spelling::Written {
        exact_wallet_amounts(body, &mut payment, fields)?;
    }
    wallet_real_date(&payment, fields)?;
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

/// Signs a wallet webhook body: computes `hash` over the fields its `payment.signFields`
/// lists, each spelled as the body spells it (`"RUB"` stays `RUB`, `0` stays `0`), and
/// returns the body with `hash` set. Every other value keeps its exact text.
pub fn sign_wallet_notification(
    body: &[u8],
    key: &WalletHookKey,
) -> Result<Vec<u8>, SignatureError> {
    let webhook: WalletWebhook = typed(body)?;
    let payment = webhook.payment.as_ref().ok_or_else(|| missing("payment"))?;
    let listed = payment
        .sign_fields
        .as_deref()
        .ok_or_else(|| missing("payment.signFields"))?;
    let fields = WalletSignFields::parse(listed)?;
    let text = wallet_signed_text(body, payment, &fields, Spelling::Written)?;
    // Refuse to sign what verification would refuse.
    exact_wallet_amounts(body, &mut payment.clone(), &fields)?;
    wallet_real_date(payment, &fields)?;
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
    matches_either(
        secret.hmac_key(),
        &expected,
        || text(Spelling::Typed),
        || text(Spelling::Written),
    )?
    .ok_or(SignatureError::Mismatch)?;
    Ok(notification)
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
    ) -> Result<Option<Spelling>, SignatureError> {
        use std::fmt::Write as _;
        let typed_if = |ok: bool| ok.then_some(Spelling::Typed);
        let (head, member, amount) = match self {
            PayinSigned::Text(t) => return Ok(typed_if(accept(t))),
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
            return Ok(Some(Spelling::Typed));
        }
        let typed = text.split_off(head.len());
        // Two decimals of the typed value spell the same decimal: still the typed value.
        if let Ok(fixed) = amount.value.to_fixed2()
            && fixed != typed
        {
            text.push_str(&fixed);
            if accept(&text) {
                return Ok(Some(Spelling::Typed));
            }
            text.truncate(head.len());
        }
        let written = raw_value(body, &[member, "amount", "value"])?;
        if written != typed {
            text.push_str(&written);
            return Ok(accept(&text).then_some(Spelling::Written));
        }
        Ok(None)
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
    let mut notification = read_payin(body)?;
    let signed = payin_signed(&notification)?;
    let accept = |text: &str| mac(key.hmac_key(), text).verify_slice(&expected).is_ok();
    let spelling = signed
        .candidates(body, accept)?
        .ok_or(SignatureError::Mismatch)?;
    drop(signed);
    payin_real_dates(&notification)?;
    if spelling == Spelling::Written
        && let Some((member, amount)) = payin_amount_mut(&mut notification)
    {
        // The text as written matched: return exactly that decimal, not a float's reading.
        amount.value = exact_amount(body, &[member, "amount", "value"])?.into();
    }
    Ok(notification)
}

/// The signed amount of a notification and the member it sits in.
fn payin_amount_mut(n: &mut PayinNotification) -> Option<(&'static str, &mut NotificationAmount)> {
    use PayinNotification as N;
    match n {
        N::Payment(p) => Some(("payment", &mut p.amount)),
        N::Capture(c) => Some(("capture", &mut c.amount)),
        N::Refund(r) => Some(("refund", &mut r.amount)),
        N::Payout(p) => Some(("payout", &mut p.amount)),
        N::CheckCard(_) | N::Token(_) | N::Unknown { .. } => None,
    }
}

/// Refuses signed date-times that name no instant.
fn payin_real_dates(n: &PayinNotification) -> Result<(), SignatureError> {
    use PayinNotification as N;
    match n {
        N::Payment(p) => real_date("payment.createdDateTime", &p.created_date_time),
        N::Capture(c) => real_date("capture.createdDateTime", &c.created_date_time),
        N::Refund(r) => real_date("refund.createdDateTime", &r.created_date_time),
        N::Payout(p) => real_date("payout.createdDateTime", &p.created_date_time),
        N::CheckCard(c) => real_date(
            "checkPaymentMethod.checkOperationDate",
            &c.check_operation_date,
        ),
        N::Token(t) => t
            .status
            .changed_date_time
            .as_ref()
            .map_or(Ok(()), |d| real_date("token.status.changedDateTime", d)),
        N::Unknown { .. } => Ok(()),
    }
}

/// The `Signature` header for a Payment Protocol notification body: lowercase hex over the
/// values as written.
pub fn sign_payin_notification(
    body: &[u8],
    key: &NotificationKey,
) -> Result<String, SignatureError> {
    let mut notification = read_payin(body)?;
    let text = payin_signed(&notification)?.written(body)?;
    // Refuse to sign what verification would refuse.
    payin_real_dates(&notification)?;
    if let Some((member, _)) = payin_amount_mut(&mut notification) {
        exact_amount(body, &[member, "amount", "value"])?;
    }
    Ok(hex_mac(key.hmac_key(), &text))
}

#[cfg(test)]
mod tests;
