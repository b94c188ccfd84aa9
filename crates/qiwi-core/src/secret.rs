//! Credentials, each its own type so one cannot be passed where another belongs, and none of
//! them printed by `Debug`, `Display`, logs or error messages.
//!
//! | type | what | how QIWI uses it |
//! |---|---|---|
//! | [`WalletToken`] | Wallet API token | bearer token on edge.qiwi.com |
//! | [`WalletHookKey`] | wallet webhook key (Base64 of 32 bytes) | HMAC key, **decoded** |
//! | [`P2pSecretKey`] | P2P `SecretKey` | bearer token, and HMAC key **as is** |
//! | [`P2pPublicKey`] | P2P `PublicKey` | payment-form links (not a secret) |
//! | [`PayinApiKey`] | Payment Protocol API key (pay-in and payouts) | bearer token on api.qiwi.com |
//! | [`PayinNotificationKey`] | Payment Protocol notification key | HMAC key **as is** |
//! | [`ApiToken`] | any bearer credential (Payment Protocol API key …) | what the transport sends |
//!
//! Card data and payment tokens travel in API bodies and get the same care:
//!
//! | type | what | `Debug` shows |
//! |---|---|---|
//! | [`CardNumber`] | a full card number (PAN) | its last four digits |
//! | [`CardSecurityCode`] | CVV/CVC2 | nothing |
//! | [`PaymentToken`] | a card or SBP token that pays without the payer | nothing |
//!
//! Every type here (de)serializes as the plain string QIWI's JSON carries, so the generated API
//! types hold them directly: a request body still carries the value, a `Debug` of the body does
//! not.
//!
//! ```
//! use qiwi_core::secret::{CardNumber, P2pSecretKey};
//!
//! let key: P2pSecretKey = serde_json::from_str(r#""eyJ2ZXJzaW9uIjoi""#).unwrap();
//! assert_eq!(format!("{key:?}"), "P2pSecretKey(***)");
//!
//! let pan = CardNumber::new("4111111111111111");
//! assert_eq!(format!("{pan:?}"), "CardNumber(***1111)");
//! // Serializing is how a request carries it: the value is written as is.
//! assert_eq!(serde_json::to_string(&pan).unwrap(), r#""4111111111111111""#);
//! ```

use std::fmt;

use base64::Engine as _;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a text cannot be a bearer credential. Never contains the credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The token is empty or only white space.
    #[error("the API token is empty")]
    Empty,
    /// The token holds characters an HTTP header cannot carry (the value is not shown).
    #[error("the API token holds a character that cannot go in an HTTP header")]
    NotHeaderSafe,
}

/// Why a text is not a wallet webhook key. Never contains the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key is not standard Base64, as QIWI's key endpoints return it.
    #[error("the webhook key is not Base64 (use the `key` QIWI returned, unchanged)")]
    NotBase64,
    /// The key decodes to the wrong number of bytes.
    #[error("the webhook key decodes to {0} bytes; QIWI's keys are 32")]
    WrongLength(usize),
}

fn check_header_safe(token: &str) -> Result<&str, TokenError> {
    let trimmed = token.trim();
    if trimmed.is_empty() {
        return Err(TokenError::Empty);
    }
    if !trimmed.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(TokenError::NotHeaderSafe);
    }
    Ok(trimmed)
}

/// Serde for a type that is its text in JSON: written as is (a request must carry it), read
/// through the given constructor.
macro_rules! text_serde {
    ($t:ident, |$s:ident| $read:expr, |$v:ident| $write:expr) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let $v = self;
                serializer.serialize_str($write)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let $s = String::deserialize(deserializer)?;
                $read
            }
        }
    };
}

/// Equality for the API and notification models that hold secrets; it does not stop early at
/// the first differing byte, so comparing with a guess says nothing about where it was wrong.
macro_rules! secret_eq {
    ($t:ident, |$v:ident| $bytes:expr) => {
        impl PartialEq for $t {
            fn eq(&self, other: &Self) -> bool {
                fn bytes($v: &$t) -> &[u8] {
                    $bytes
                }
                let (a, b) = (bytes(self), bytes(other));
                a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
            }
        }
        impl Eq for $t {}
    };
}

macro_rules! redacted_debug {
    ($t:ident) => {
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($t), "(***)"))
            }
        }
    };
}

/// A bearer credential as the transport sends it: a Wallet API token, a P2P secret key or a
/// Payment Protocol API key.
///
/// Formatting it prints `ApiToken(***)`; the value leaves only through
/// [`ApiToken::expose_secret`], which the transport calls to build the `Authorization`
/// header.
#[derive(Clone)]
pub struct ApiToken(SecretString);
redacted_debug!(ApiToken);

impl ApiToken {
    /// Checks that `token` can be sent in an `Authorization` header and wraps it.
    pub fn new(token: impl Into<String>) -> Result<Self, TokenError> {
        let token: String = token.into();
        let trimmed = check_header_safe(&token)?;
        Ok(ApiToken(SecretString::from(trimmed.to_owned())))
    }

    /// The token's text. Only for building the request that carries it.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

secret_eq!(ApiToken, |v| v.expose_secret().as_bytes());
text_serde!(
    ApiToken,
    |s| ApiToken::new(s).map_err(serde::de::Error::custom),
    |v| v.expose_secret()
);

impl std::str::FromStr for ApiToken {
    type Err = TokenError;
    fn from_str(s: &str) -> Result<Self, TokenError> {
        ApiToken::new(s)
    }
}

/// The QIWI Wallet API token (valid 180 days; one active at a time).
#[derive(Clone)]
pub struct WalletToken(ApiToken);
redacted_debug!(WalletToken);

impl WalletToken {
    /// Checks that `token` can be sent in an `Authorization` header and wraps it.
    pub fn new(token: impl Into<String>) -> Result<Self, TokenError> {
        ApiToken::new(token).map(WalletToken)
    }
}

secret_eq!(WalletToken, |v| v.0.expose_secret().as_bytes());
text_serde!(
    WalletToken,
    |s| WalletToken::new(s).map_err(serde::de::Error::custom),
    |v| v.0.expose_secret()
);

impl From<WalletToken> for ApiToken {
    fn from(t: WalletToken) -> Self {
        t.0
    }
}

/// The Payment Protocol API key from the merchant cabinet (pay-in and payouts): the bearer
/// token of `/partner/payin/v1` and `/partner/payout/v1`. Not the notification key.
#[derive(Clone)]
pub struct PayinApiKey(ApiToken);
redacted_debug!(PayinApiKey);

impl PayinApiKey {
    /// Checks that `key` can be sent in an `Authorization` header and wraps it.
    pub fn new(key: impl Into<String>) -> Result<Self, TokenError> {
        ApiToken::new(key).map(PayinApiKey)
    }
}

impl From<PayinApiKey> for ApiToken {
    fn from(k: PayinApiKey) -> Self {
        k.0
    }
}

secret_eq!(PayinApiKey, |v| v.0.expose_secret().as_bytes());
text_serde!(
    PayinApiKey,
    |s| PayinApiKey::new(s).map_err(serde::de::Error::custom),
    |v| v.0.expose_secret()
);

/// The P2P bills API `SecretKey`: the bearer token of the P2P API and, used as is (its UTF-8
/// bytes, never Base64-decoded), the HMAC key of P2P bill notifications.
#[derive(Clone)]
pub struct P2pSecretKey(SecretString);
redacted_debug!(P2pSecretKey);

impl P2pSecretKey {
    /// Wraps the key exactly as p2p.qiwi.com issued it.
    pub fn new(key: impl Into<String>) -> Self {
        P2pSecretKey(SecretString::from(key.into()))
    }

    /// The key's text, for the request that carries it.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    pub(crate) fn hmac_key(&self) -> &[u8] {
        self.0.expose_secret().as_bytes()
    }
}

secret_eq!(P2pSecretKey, |v| v.hmac_key());
text_serde!(P2pSecretKey, |s| Ok(P2pSecretKey::new(s)), |v| v
    .expose_secret());

impl TryFrom<&P2pSecretKey> for ApiToken {
    type Error = TokenError;
    fn try_from(k: &P2pSecretKey) -> Result<Self, TokenError> {
        ApiToken::new(k.0.expose_secret())
    }
}

/// The P2P bills API `PublicKey`, for payment-form links. Not a secret, but its own type so it
/// is never sent where the secret key belongs.
#[derive(Clone, PartialEq, Eq)]
pub struct P2pPublicKey(String);

impl P2pPublicKey {
    /// Wraps the key exactly as issued.
    pub fn new(key: impl Into<String>) -> Self {
        P2pPublicKey(key.into())
    }

    /// The key's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

text_serde!(P2pPublicKey, |s| Ok(P2pPublicKey::new(s)), |v| v.as_str());

impl fmt::Debug for P2pPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "P2pPublicKey({:?})", self.0)
    }
}

/// The wallet webhook key: QIWI returns it as Base64 (`GET …/hooks/{hookId}/key`); the HMAC
/// key is the 32 decoded bytes.
pub struct WalletHookKey(SecretBox<[u8; 32]>);
redacted_debug!(WalletHookKey);

impl Clone for WalletHookKey {
    fn clone(&self) -> Self {
        WalletHookKey(SecretBox::new(Box::new(*self.0.expose_secret())))
    }
}

impl WalletHookKey {
    /// Decodes the key as QIWI returned it (standard Base64, 32 bytes).
    pub fn from_base64(key: &str) -> Result<WalletHookKey, KeyError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(key.trim())
            .map_err(|_| KeyError::NotBase64)?;
        let len = bytes.len();
        let array: [u8; 32] = bytes.try_into().map_err(|_| KeyError::WrongLength(len))?;
        Ok(WalletHookKey(SecretBox::new(Box::new(array))))
    }

    /// A key from its raw 32 bytes (for tests and emulators).
    pub fn from_bytes(bytes: [u8; 32]) -> WalletHookKey {
        WalletHookKey(SecretBox::new(Box::new(bytes)))
    }

    /// The key as QIWI writes it (standard Base64), for the answer that carries it.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0.expose_secret())
    }

    pub(crate) fn hmac_key(&self) -> &[u8] {
        self.0.expose_secret()
    }
}

secret_eq!(WalletHookKey, |v| v.hmac_key());

impl Serialize for WalletHookKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_base64())
    }
}

impl<'de> Deserialize<'de> for WalletHookKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = SecretString::from(String::deserialize(deserializer)?);
        WalletHookKey::from_base64(text.expose_secret()).map_err(serde::de::Error::custom)
    }
}

/// The Payment Protocol "server notifications key" from the merchant cabinet; the HMAC key is
/// its UTF-8 bytes as is (no decoding).
#[derive(Clone)]
pub struct PayinNotificationKey(SecretString);

/// The old name of [`PayinNotificationKey`].
#[deprecated(
    since = "0.1.0",
    note = "named for its family: use PayinNotificationKey"
)]
pub type NotificationKey = PayinNotificationKey;
redacted_debug!(PayinNotificationKey);

impl PayinNotificationKey {
    /// Wraps the key exactly as the cabinet shows it.
    pub fn new(key: impl Into<String>) -> Self {
        PayinNotificationKey(SecretString::from(key.into()))
    }

    pub(crate) fn hmac_key(&self) -> &[u8] {
        self.0.expose_secret().as_bytes()
    }
}

secret_eq!(PayinNotificationKey, |v| v.hmac_key());
text_serde!(
    PayinNotificationKey,
    |s| Ok(PayinNotificationKey::new(s)),
    |v| v.0.expose_secret()
);

/// A full card number (PAN), as a payment request sends it or the wallet's card details return
/// it. `Debug` shows only the last four digits; QIWI's masked forms (`maskedPan`) stay strings.
///
/// ```
/// let pan = qiwi_core::secret::CardNumber::new("4256 9012 3456 7890");
/// assert_eq!(pan.last_four(), "7890");
/// assert_eq!(format!("{pan:?}"), "CardNumber(***7890)");
/// ```
#[derive(Clone)]
pub struct CardNumber(SecretString);

impl CardNumber {
    /// Wraps a card number as given; QIWI, not the SDK, decides whether it is valid.
    pub fn new(pan: impl Into<String>) -> Self {
        CardNumber(SecretString::from(pan.into()))
    }

    /// The number, for the request that carries it.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    /// The last four digits (fewer if the number is shorter), which receipts may show.
    pub fn last_four(&self) -> String {
        let digits: Vec<char> = self
            .0
            .expose_secret()
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        digits[digits.len().saturating_sub(4)..].iter().collect()
    }
}

impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardNumber(***{})", self.last_four())
    }
}

secret_eq!(CardNumber, |v| v.expose_secret().as_bytes());
text_serde!(CardNumber, |s| Ok(CardNumber::new(s)), |v| v
    .expose_secret());

/// A card's security code (CVV2/CVC2). Never shown.
#[derive(Clone)]
pub struct CardSecurityCode(SecretString);
redacted_debug!(CardSecurityCode);

impl CardSecurityCode {
    /// Wraps the code as given.
    pub fn new(code: impl Into<String>) -> Self {
        CardSecurityCode(SecretString::from(code.into()))
    }

    /// The code, for the request that carries it.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

secret_eq!(CardSecurityCode, |v| v.expose_secret().as_bytes());
text_serde!(CardSecurityCode, |s| Ok(CardSecurityCode::new(s)), |v| v
    .expose_secret());

/// A card token (`paymentToken`, `createdToken.token`) or SBP token: whoever holds it can charge
/// the payer without them, so it is never shown.
#[derive(Clone)]
pub struct PaymentToken(SecretString);
redacted_debug!(PaymentToken);

impl PaymentToken {
    /// Wraps the token as QIWI issued it.
    pub fn new(token: impl Into<String>) -> Self {
        PaymentToken(SecretString::from(token.into()))
    }

    /// The token, for the request that pays with it.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

secret_eq!(PaymentToken, |v| v.expose_secret().as_bytes());
text_serde!(PaymentToken, |s| Ok(PaymentToken::new(s)), |v| v
    .expose_secret());

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "s3cr3t-token-value";
    /// QIWI's documented wallet hook key.
    const HOOK_B64: &str = include_str!("../../../fixtures/wallet/w1.key").trim_ascii_end();

    #[test]
    fn no_secret_is_ever_formatted() {
        let hook_b64 = HOOK_B64;
        let hook = WalletHookKey::from_base64(hook_b64).unwrap();
        let shown = [
            format!("{:?}", ApiToken::new(SECRET).unwrap()),
            format!("{:?}", WalletToken::new(SECRET).unwrap()),
            format!("{:?}", PayinApiKey::new(SECRET).unwrap()),
            format!("{:?}", P2pSecretKey::new(SECRET)),
            format!("{:?}", PayinNotificationKey::new(SECRET)),
            format!("{hook:?}"),
            format!("{:?}", hook.clone()),
        ];
        for s in &shown {
            assert!(!s.contains(SECRET) && !s.contains(hook_b64), "{s}");
            assert!(s.ends_with("(***)"), "{s}");
        }
        let errors: Vec<Box<dyn std::error::Error>> = vec![
            Box::new(ApiToken::new(format!("{SECRET}\u{7f}x")).unwrap_err()),
            Box::new(ApiToken::new(format!("{SECRET} x")).unwrap_err()),
            Box::new(WalletHookKey::from_base64(SECRET).unwrap_err()),
            Box::new(WalletHookKey::from_base64("c2VjcmV0").unwrap_err()),
        ];
        for e in &errors {
            let text = format!("{e} {e:?}");
            assert!(
                !text.contains(SECRET) && !text.contains("c2VjcmV0"),
                "{text}"
            );
        }
    }

    #[test]
    fn secrets_travel_in_json_as_their_text_and_never_print() {
        let hook_b64 = HOOK_B64;
        fn round_trip<T>(text: &str) -> (T, String, String)
        where
            T: serde::de::DeserializeOwned + Serialize + fmt::Debug,
        {
            let json = serde_json::to_string(text).unwrap();
            let value: T = serde_json::from_str(&json).unwrap();
            let back = serde_json::to_string(&value).unwrap();
            assert_eq!(back, json, "{}", std::any::type_name::<T>());
            let shown = format!("{value:?}");
            (value, back, shown)
        }
        let shown = [
            round_trip::<ApiToken>(SECRET).2,
            round_trip::<WalletToken>(SECRET).2,
            round_trip::<PayinApiKey>(SECRET).2,
            round_trip::<P2pSecretKey>(SECRET).2,
            round_trip::<PayinNotificationKey>(SECRET).2,
            round_trip::<CardSecurityCode>(SECRET).2,
            round_trip::<PaymentToken>(SECRET).2,
            round_trip::<WalletHookKey>(hook_b64).2,
            round_trip::<CardNumber>("4111111111111111").2,
        ];
        for s in &shown {
            assert!(
                !s.contains(SECRET) && !s.contains(hook_b64) && !s.contains("411111"),
                "{s}"
            );
        }
        assert_eq!(shown[8], "CardNumber(***1111)");
        // The public key is not a secret and shows as itself.
        assert_eq!(
            round_trip::<P2pPublicKey>("pub").2,
            r#"P2pPublicKey("pub")"#
        );
        // What the constructors refuse, JSON cannot smuggle in.
        assert!(serde_json::from_str::<ApiToken>(r#""a b""#).is_err());
        assert!(serde_json::from_str::<WalletHookKey>(r#""c2VjcmV0""#).is_err());
        let err = serde_json::from_str::<WalletHookKey>(&format!("\"{SECRET}\"")).unwrap_err();
        assert!(!err.to_string().contains(SECRET), "{err}");
    }

    #[test]
    fn secrets_compare_by_value() {
        assert_eq!(PaymentToken::new("t1"), PaymentToken::new("t1"));
        assert_ne!(PaymentToken::new("t1"), PaymentToken::new("t2"));
        assert_ne!(PaymentToken::new("t1"), PaymentToken::new("t10"));
        assert_eq!(CardNumber::new("4111"), CardNumber::new("4111"));
        assert_ne!(P2pSecretKey::new("a"), P2pSecretKey::new("b"));
        assert_eq!(
            WalletHookKey::from_bytes([7; 32]),
            WalletHookKey::from_bytes([7; 32])
        );
        assert_ne!(
            WalletHookKey::from_bytes([7; 32]),
            WalletHookKey::from_bytes([8; 32])
        );
        assert_eq!(CardNumber::new("12").last_four(), "12");
        assert_eq!(CardNumber::new("4256 9012 3456 7890").last_four(), "7890");
    }

    #[test]
    fn tokens_must_fit_a_header() {
        let t = ApiToken::new("  s3cr3t-token-value ").unwrap();
        assert_eq!(t.expose_secret(), SECRET);
        assert_eq!(ApiToken::new(" ").unwrap_err(), TokenError::Empty);
        assert_eq!(ApiToken::new("a b").unwrap_err(), TokenError::NotHeaderSafe);
        let from_p2p = ApiToken::try_from(&P2pSecretKey::new(SECRET)).unwrap();
        assert_eq!(from_p2p.expose_secret(), SECRET);
        let from_wallet = ApiToken::from(WalletToken::new(SECRET).unwrap());
        assert_eq!(from_wallet.expose_secret(), SECRET);
    }

    #[test]
    fn hook_key_is_decoded_and_checked() {
        let k = WalletHookKey::from_base64(HOOK_B64).unwrap();
        assert_eq!(k.hmac_key().len(), 32);
        assert_eq!(k.hmac_key()[0], 0x25);
        assert_eq!(
            WalletHookKey::from_base64("not base64!").unwrap_err(),
            KeyError::NotBase64
        );
        assert_eq!(
            WalletHookKey::from_base64("c2VjcmV0").unwrap_err(),
            KeyError::WrongLength(6)
        );
    }
}
