//! P2P bill notifications: the `X-Api-Signature-SHA256` header.

use std::borrow::Cow;

use super::{
    SignatureError, Spelling, decode_hex, hex_mac, malformed, matches_either, raw_value, typed,
};
use crate::notification::P2pNotification;
use crate::secret::P2pSecretKey;

/// The P2P notification's signed text, the amount with exactly two decimals. The ids
/// and status are strings, so their typed values are QIWI's text; the currency is the typed
/// letter code, or with [`Spelling::Written`] the text in the body (the typed one is upper
/// case).
pub(super) fn p2p_signed_text(
    body: &[u8],
    n: &P2pNotification,
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
///
/// ```
/// use qiwi_core::secret::P2pSecretKey;
/// use qiwi_core::signature::{sign_p2p_notification, verify_p2p_notification};
///
/// // QIWI's Java SDK vector: site `siteId`, bill `billId`, 10 RUB, PAID signs
/// // `RUB|10.00|billId|siteId|PAID` (the amount always with two decimals).
/// let body = br#"{"bill":{"siteId":"siteId","billId":"billId","amount":{"value":10,"currency":"RUB"},"status":{"value":"PAID"}},"version":"1"}"#;
/// let key = P2pSecretKey::new("key");
/// let header = sign_p2p_notification(body, &key)?;
/// let n = verify_p2p_notification(body, &header, &key)?;
/// assert_eq!(n.bill.status.value.as_str(), "PAID"); // signed, unlike the wallet's status
/// assert!(verify_p2p_notification(body, &header, &P2pSecretKey::new("other")).is_err());
/// # Ok::<(), qiwi_core::signature::SignatureError>(())
/// ```
pub fn verify_p2p_notification(
    body: &[u8],
    signature: &str,
    secret: &P2pSecretKey,
) -> Result<P2pNotification, SignatureError> {
    let expected = decode_hex(signature)?;
    let notification: P2pNotification = typed(body)?;
    let text = |spelling| p2p_signed_text(body, &notification, spelling);
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
pub fn sign_p2p_notification(body: &[u8], secret: &P2pSecretKey) -> Result<String, SignatureError> {
    let notification: P2pNotification = typed(body)?;
    let text = p2p_signed_text(body, &notification, Spelling::Written)?;
    Ok(hex_mac(secret.hmac_key(), &text))
}
/// The text a P2P notification's signature covers, with its values as the body writes them
/// (`RUB|10.00|billId|siteId|PAID`): what to compare when a signature does not match.
pub fn p2p_notification_signed_text(body: &[u8]) -> Result<String, SignatureError> {
    let notification: P2pNotification = typed(body)?;
    p2p_signed_text(body, &notification, Spelling::Written)
}
