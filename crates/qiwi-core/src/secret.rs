//! Credentials, kept out of `Debug`, `Display`, logs and error messages.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// A bearer credential for QIWI's APIs: a Wallet API token, a P2P secret key or a Payment
/// Protocol API key.
///
/// Formatting it prints `ApiToken(***)`; the value leaves only through
/// [`ApiToken::expose_secret`], which the transport calls to build the `Authorization`
/// header.
#[derive(Clone)]
pub struct ApiToken(SecretString);

/// Why a text cannot be a bearer credential.
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

impl ApiToken {
    /// Checks that `token` can be sent in an `Authorization` header and wraps it.
    pub fn new(token: impl Into<String>) -> Result<Self, TokenError> {
        let token: String = token.into();
        let trimmed = token.trim();
        if trimmed.is_empty() {
            return Err(TokenError::Empty);
        }
        if !trimmed.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err(TokenError::NotHeaderSafe);
        }
        Ok(ApiToken(SecretString::from(trimmed.to_owned())))
    }

    /// The token's text. Only for building the request that carries it.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(***)")
    }
}

impl std::str::FromStr for ApiToken {
    type Err = TokenError;
    fn from_str(s: &str) -> Result<Self, TokenError> {
        ApiToken::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_printed() {
        let t = ApiToken::new("  s3cr3t-token-value ").unwrap();
        assert_eq!(t.expose_secret(), "s3cr3t-token-value");
        assert_eq!(format!("{t:?}"), "ApiToken(***)");
        let err = ApiToken::new("s3cr3t\nvalue").unwrap_err();
        assert!(!format!("{err} {err:?}").contains("s3cr3t"));
        assert_eq!(ApiToken::new(" ").unwrap_err(), TokenError::Empty);
    }
}
