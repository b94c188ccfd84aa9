//! Verifying (and producing) the signatures of QIWI's notifications, from the raw body bytes.
//!
//! | family | key | signed text | signature |
//! |---|---|---|---|
//! | wallet webhook | [`WalletHookKey`](crate::secret::WalletHookKey), Base64-decoded | the values of the receiver's [`WalletSignFields`] (QIWI's `sum.currency,sum.amount,type,account,txnId`), which `payment.signFields` must list exactly, joined by `\|` | body field `hash`, hex |
//! | P2P bill | [`P2pSecretKey`](crate::secret::P2pSecretKey) as is | `amount.currency\|amount.value\|billId\|siteId\|status.value`, amount with two decimals | header `X-Api-Signature-SHA256`, hex |
//! | Payment Protocol | [`PayinNotificationKey`](crate::secret::PayinNotificationKey) as is | per type (see below) | header `Signature` |
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

use crate::raw;
use crate::{Amount, QiwiDateTime};

mod p2p;
mod payin;
mod wallet;

#[doc(inline)]
pub use crate::notification::payin::parse_payin_notification;
pub use p2p::{p2p_notification_signed_text, sign_p2p_notification, verify_p2p_notification};
pub use payin::{
    payin_notification_signed_text, sign_payin_notification, verify_payin_notification,
};
pub use wallet::{
    WalletField, WalletSignFields, sign_wallet_notification, verify_wallet_notification,
    verify_wallet_notification_with, wallet_notification_signed_text,
};

pub use crate::parse::SignatureError;
use crate::parse::{malformed, missing, typed};

type HmacSha256 = Hmac<Sha256>;
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
#[cfg(test)]
mod tests;
