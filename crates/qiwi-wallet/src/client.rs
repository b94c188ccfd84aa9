//! The client: one token, one wallet, one connection pool and one history budget, cheap to
//! clone.

use std::time::Duration;

use qiwi_core::secret::WalletToken;
use qiwi_sys::transport::{ClientError, RateLimit};
use qiwi_sys::wallet;
use qiwi_sys::wallet::ClientInfo as _;

use crate::error::{ApiError, Error};

/// How long QIWI locks a wallet's history after more than 100 requests in a minute
/// (wallet-api.md §3); QIWI's `423` does not always say.
pub const HISTORY_LOCK: Duration = Duration::from_secs(5 * 60);

/// A Wallet API client for one wallet. Clones share the connection pool and the history
/// throttle, so every clone together stays under QIWI's 100 history requests a minute.
///
/// ```no_run
/// # async fn run() -> Result<(), qiwi_wallet::Error> {
/// use qiwi_wallet::{Wallet, WalletToken};
///
/// let token = WalletToken::new(&std::env::var("QIWI_WALLET_TOKEN").unwrap()).unwrap();
/// let wallet = Wallet::new(token, "79001234567")?;
/// for account in wallet.balances().await? {
///     println!("{}: {:?}", account.alias.as_deref().unwrap_or("?"), account.balance);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Wallet {
    pub(crate) raw: wallet::Client,
    pub(crate) number: String,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet")
            .field("base_url", &self.base_url())
            .field("number", &self.number)
            .field("token", &"***")
            .finish()
    }
}

impl Wallet {
    /// A client of QIWI's server (`https://edge.qiwi.com`) for wallet `number` (digits, an
    /// optional leading `+`), with the default retries, timeouts and history throttle.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a number that is not 10 to 15 digits.
    pub fn new(token: WalletToken, number: impl AsRef<str>) -> Result<Wallet, Error> {
        Wallet::builder(token, number).build()
    }

    /// A client to configure: another server (the sandbox), retries, timeouts, another
    /// history throttle.
    pub fn builder(token: WalletToken, number: impl AsRef<str>) -> WalletBuilder {
        WalletBuilder {
            raw: wallet::Client::builder(token).throttle(RateLimit::wallet_history()),
            number: number.as_ref().to_owned(),
        }
    }

    /// The wallet's number, digits only (`79001234567`).
    pub fn number(&self) -> &str {
        &self.number
    }

    /// The server this client talks to.
    pub fn base_url(&self) -> &str {
        self.raw.baseurl()
    }

    /// The generated client underneath, for an operation this crate does not wrap yet. It
    /// shares this client's connection pool, retries and history throttle.
    pub fn raw(&self) -> &wallet::Client {
        &self.raw
    }
}

/// Settings of a [`Wallet`]: the transport settings every QIWI client shares
/// ([`qiwi_sys::transport::ClientBuilder`]). The history throttle is on by default
/// ([`RateLimit::wallet_history`]); `throttle` replaces it, for a budget shared with other
/// processes.
#[derive(Debug)]
#[must_use]
pub struct WalletBuilder {
    raw: qiwi_sys::transport::ClientBuilder<wallet::Client>,
    number: String,
}

impl WalletBuilder {
    qiwi_sys::forward_client_settings!(raw);

    /// The client.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a wallet number that is not 10 to 15 digits, a token that
    /// cannot be sent in a header, a base URL that is not `http(s)://`, or a plain `http://`
    /// one to another machine without [`WalletBuilder::allow_insecure_http`];
    /// [`Error::Api`] with [`ApiError::Transport`] when the TLS back-end cannot start.
    pub fn build(self) -> Result<Wallet, Error> {
        let number = wallet_number(&self.number)?;
        let raw = self.raw.build().map_err(|e| match e {
            ClientError::BaseUrl { reason, .. } => Error::invalid("baseUrl", reason),
            ClientError::Credential(e) => Error::invalid("token", e.to_string()),
            ClientError::UserAgent(_) => Error::invalid("userAgent", e.to_string()),
            other => Error::Api(ApiError::Transport {
                timed_out: false,
                message: other.to_string(),
            }),
        })?;
        Ok(Wallet { raw, number })
    }
}

/// A wallet number as QIWI's paths take it: digits only. A leading `+` (as QIWI writes
/// accounts) is dropped; anything else that is not a digit is refused.
fn wallet_number(number: &str) -> Result<String, Error> {
    let digits = number.strip_prefix('+').unwrap_or(number);
    if !(10..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid(
            "wallet",
            "the wallet's number: 10 to 15 digits, international format (79001234567)",
        ));
    }
    Ok(digits.to_owned())
}

/// A failed history call: QIWI's `423` lock lasts [`HISTORY_LOCK`] when QIWI does not say.
pub(crate) fn history_failure(e: ApiError) -> Error {
    match e {
        ApiError::RateLimited {
            status: 423,
            retry_after: None,
            body,
        } => Error::Api(ApiError::RateLimited {
            status: 423,
            retry_after: Some(HISTORY_LOCK),
            body,
        }),
        other => Error::Api(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> WalletToken {
        WalletToken::new("TOKEN-VALUE").unwrap()
    }

    #[test]
    fn numbers_are_digits_and_debug_never_shows_the_token() {
        let wallet = Wallet::builder(token(), "+79001234567")
            .base_url("http://127.0.0.1:8080")
            .build()
            .unwrap();
        assert_eq!(wallet.number(), "79001234567");
        let shown = format!("{wallet:?}");
        assert!(
            shown.contains("79001234567") && shown.contains("127.0.0.1:8080"),
            "{shown}"
        );
        assert!(!shown.contains("TOKEN-VALUE"), "{shown}");
        for bad in [
            "",
            "7900",
            "7900123456789012",
            "7900-123-45-67",
            "+",
            "++79001234567",
        ] {
            let Err(Error::InvalidInput { field, .. }) = Wallet::new(token(), bad) else {
                panic!("{bad:?} accepted")
            };
            assert_eq!(field, "wallet");
        }
        assert_eq!(
            Wallet::new(token(), "79001234567").unwrap().base_url(),
            wallet::BASE_URL
        );
    }

    #[test]
    fn a_history_lock_without_retry_after_waits_five_minutes() {
        let locked = history_failure(ApiError::from_answer(423, Default::default(), None));
        let Error::Api(ApiError::RateLimited { retry_after, .. }) = locked else {
            panic!("{locked:?}")
        };
        assert_eq!(retry_after, Some(HISTORY_LOCK));
        let said = Duration::from_secs(7);
        let locked = history_failure(ApiError::from_answer(423, Default::default(), Some(said)));
        assert!(matches!(
            locked,
            Error::Api(ApiError::RateLimited { retry_after: Some(d), .. }) if d == said
        ));
    }
}
