//! Wallet webhooks: the body's `hash` over the fields `payment.signFields` lists.

use super::{
    SignatureError, Spelling, clip, decode_hex, exact_amount, hex_mac, malformed, matches_either,
    missing, raw_value, real_date, typed,
};
use crate::notification::wallet::{
    WalletNotification, WalletPayment, WalletPaymentNotification, WalletTestNotification,
    WalletWebhook,
};
use crate::raw::RawObject;
use crate::secret::WalletHookKey;
use crate::wallet::WalletMoney;

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
pub(super) fn wallet_signed_text(
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
    let (payment, fields, text) = listed_text(body)?;
    // Refuse to sign what verification would refuse.
    exact_wallet_amounts(body, &mut payment.clone(), &fields)?;
    wallet_real_date(&payment, &fields)?;
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
/// The text a wallet webhook's `hash` covers, the fields its `payment.signFields` lists joined
/// by `|` as the body writes them: what to compare when a signature does not match.
pub fn wallet_notification_signed_text(body: &[u8]) -> Result<String, SignatureError> {
    listed_text(body).map(|(_, _, text)| text)
}
/// The payment, the fields its `signFields` lists and their text as the body writes them.
fn listed_text(body: &[u8]) -> Result<(WalletPayment, WalletSignFields, String), SignatureError> {
    let webhook: WalletWebhook = typed(body)?;
    let payment = webhook.payment.ok_or_else(|| missing("payment"))?;
    let listed = payment
        .sign_fields
        .as_deref()
        .ok_or_else(|| missing("payment.signFields"))?;
    let fields = WalletSignFields::parse(listed)?;
    let text = wallet_signed_text(body, &payment, &fields, Spelling::Written)?;
    Ok((payment, fields, text))
}
