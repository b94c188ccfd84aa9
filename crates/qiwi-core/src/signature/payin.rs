//! Payment Protocol notifications: the `Signature` header, over fields that depend on the type.

use hmac::Mac as _;

use super::{
    SignatureError, Spelling, decode_hex_or_base64, exact_amount, hex_mac, mac, missing, raw_value,
    real_date,
};
use crate::QiwiDateTime;
use crate::notification::payin::{PayinNotification, read_payin};
use crate::payin::NotificationAmount;
use crate::secret::PayinNotificationKey;

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
///
/// ```
/// use qiwi_core::notification::PayinNotification;
/// use qiwi_core::secret::PayinNotificationKey;
/// use qiwi_core::signature::verify_payin_notification;
///
/// // Vector C1 (test-vectors.md): `4504751|2019-10-08T11:31:37+03:00|2211.24` under `TOKEN`.
/// let body = br#"{"type":"PAYMENT","payment":{"paymentId":"4504751","createdDateTime":"2019-10-08T11:31:37+03:00","amount":{"value":2211.24,"currency":"RUB"},"status":{"value":"SUCCESS"}},"version":"1"}"#;
/// let header = "3c67f9a691e34e1a9e74e05927f3901186cc838cc81de2a3519c78b9612cf49e";
/// let n = verify_payin_notification(body, header, &PayinNotificationKey::new("TOKEN"))?;
/// assert_eq!(n.id(), "4504751");
/// // The status is not signed: confirm it through the API before shipping.
/// assert!(!n.status_is_signed());
/// # Ok::<(), qiwi_core::signature::SignatureError>(())
/// ```
pub fn verify_payin_notification(
    body: &[u8],
    signature: &str,
    key: &PayinNotificationKey,
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
    key: &PayinNotificationKey,
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
/// The text a Payment Protocol notification's `Signature` covers, values as the body writes
/// them (`paymentId|createdDateTime|amount` for a PAYMENT): what to compare when a signature
/// does not match.
pub fn payin_notification_signed_text(body: &[u8]) -> Result<String, SignatureError> {
    let notification = read_payin(body)?;
    payin_signed(&notification)?.written(body)
}
