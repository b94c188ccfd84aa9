//! Credentials, each its own type so one cannot be passed where another belongs, and none of
//! them printed by `Debug`, `Display`, logs or error messages.
//!
//! | type | what | how QIWI uses it |
//! |---|---|---|
//! | [`WalletToken`] | Wallet API token | bearer token on edge.qiwi.com |
//! | [`WalletHookKey`] | wallet webhook key (Base64 of 32 bytes) | HMAC key, **decoded** |
//! | [`P2pSecretKey`] | P2P `SecretKey` | bearer token, and HMAC key **as is** |
//! | [`P2pPublicKey`] | P2P `PublicKey` | payment-form links (not a secret) |
//! | [`NotificationKey`] | Payment Protocol notification key | HMAC key **as is** |
//! | [`ApiToken`] | any bearer credential (Payment Protocol API key …) | what the transport sends |

use std::fmt;

use base64::Engine as _;
use secrecy::{ExposeSecret, SecretBox, SecretString};

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

impl From<WalletToken> for ApiToken {
    fn from(t: WalletToken) -> Self {
        t.0
    }
}

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

    pub(crate) fn hmac_key(&self) -> &[u8] {
        self.0.expose_secret().as_bytes()
    }
}

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

    pub(crate) fn hmac_key(&self) -> &[u8] {
        self.0.expose_secret()
    }
}

/// The Payment Protocol "server notifications key" from the merchant cabinet; the HMAC key is
/// its UTF-8 bytes as is (no decoding).
#[derive(Clone)]
pub struct NotificationKey(SecretString);
redacted_debug!(NotificationKey);

impl NotificationKey {
    /// Wraps the key exactly as the cabinet shows it.
    pub fn new(key: impl Into<String>) -> Self {
        NotificationKey(SecretString::from(key.into()))
    }

    pub(crate) fn hmac_key(&self) -> &[u8] {
        self.0.expose_secret().as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "s3cr3t-token-value";

    #[test]
    fn no_secret_is_ever_formatted() {
        let hook_b64 = "JcyVhjHCvHQwufz+IHXolyqHgEc5MoayBfParl6Guoc=";
        let hook = WalletHookKey::from_base64(hook_b64).unwrap();
        let shown = [
            format!("{:?}", ApiToken::new(SECRET).unwrap()),
            format!("{:?}", WalletToken::new(SECRET).unwrap()),
            format!("{:?}", P2pSecretKey::new(SECRET)),
            format!("{:?}", NotificationKey::new(SECRET)),
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
        let k = WalletHookKey::from_base64("JcyVhjHCvHQwufz+IHXolyqHgEc5MoayBfParl6Guoc=").unwrap();
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
