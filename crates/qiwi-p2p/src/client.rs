//! The client: one secret key, one connection pool, cheap to clone.

use std::time::Duration;

use qiwi_core::secret::{ApiToken, P2pPublicKey, P2pSecretKey};
use qiwi_sys::p2p;
use qiwi_sys::transport::{RetryPolicy, Transport};

use crate::error::{ApiError, Error, key_hint};

/// A P2P bills API client. Clones share the connection pool and settings.
///
/// ```no_run
/// # async fn run() -> Result<(), qiwi_p2p::Error> {
/// use qiwi_core::secret::P2pSecretKey;
///
/// let client = qiwi_p2p::Client::new(P2pSecretKey::new(std::env::var("QIWI_P2P_SECRET").unwrap()))?;
/// let bill = client.bills().get("order-42").send().await?;
/// println!("{}", bill.status.value);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) raw: p2p::Client,
    base_url: String,
    secret: P2pSecretKey,
    pub(crate) public_key: Option<P2pPublicKey>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url)
            .field("secret", &"***")
            .field("public_key", &self.public_key)
            .finish()
    }
}

impl Client {
    /// A client of QIWI's server (`https://api.qiwi.com`) with the default retries and
    /// timeouts.
    pub fn new(secret: P2pSecretKey) -> Result<Client, Error> {
        Client::builder(secret).build()
    }

    /// A client to configure: another server (the sandbox), retries, timeouts, the public key
    /// for form links.
    pub fn builder(secret: P2pSecretKey) -> ClientBuilder {
        ClientBuilder {
            secret,
            base_url: p2p::BASE_URL.to_owned(),
            public_key: None,
            retry: None,
            timeout: None,
            connect_timeout: None,
            insecure_http: false,
        }
    }

    /// The server this client talks to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Bills: create, read, reject, wait until paid.
    pub fn bills(&self) -> crate::bills::Bills<'_> {
        crate::bills::Bills { client: self }
    }

    /// Refunds of paid bills (QIWI Kassa merchants).
    pub fn refunds(&self) -> crate::refunds::Refunds<'_> {
        crate::refunds::Refunds { client: self }
    }

    /// A payment-form link made without the API, with this client's public key: to QIWI's form
    /// ([`crate::CREATE_FORM_URL`]), or to `{base_url}/create` when the client talks to another
    /// server (the sandbox serves the form there).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the client has no public key
    /// ([`ClientBuilder::public_key`]).
    pub fn form_link(&self) -> Result<crate::links::FormLink, Error> {
        let key = self.public_key.clone().ok_or_else(|| {
            Error::invalid(
                "publicKey",
                "set ClientBuilder::public_key to make form links",
            )
        })?;
        let link = crate::links::FormLink::new(key);
        Ok(if self.base_url == p2p::BASE_URL {
            link
        } else {
            link.form_url(format!("{}/create", self.base_url.trim_end_matches('/')))
        })
    }

    /// Maps a failed call: a `401` gets the key-shape hint.
    pub(crate) fn fail(&self, e: qiwi_sys::error::ApiError) -> Error {
        match e {
            ApiError::Unauthorized { status, body, .. } => {
                let swapped = self
                    .public_key
                    .as_ref()
                    .is_some_and(|p| p.as_str() == self.secret.expose_secret());
                let hint = if swapped {
                    Some("the secret key equals the public key: pass the SecretKey")
                } else {
                    key_hint(self.secret.expose_secret())
                };
                Error::Api(ApiError::Unauthorized { status, body, hint })
            }
            other => Error::Api(other),
        }
    }
}

/// Settings of a [`Client`].
#[derive(Debug)]
#[must_use]
pub struct ClientBuilder {
    secret: P2pSecretKey,
    base_url: String,
    public_key: Option<P2pPublicKey>,
    retry: Option<RetryPolicy>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    insecure_http: bool,
}

impl ClientBuilder {
    /// Another server: the sandbox (`RunningSandbox::base_url`), a proxy.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The public key, for payment-form links ([`Client::form_link`]).
    pub fn public_key(mut self, key: P2pPublicKey) -> Self {
        self.public_key = Some(key);
        self
    }

    /// The retry policy of safe calls ([`RetryPolicy::disabled`] turns retries off). Every P2P
    /// call is safe to repeat: bills and refunds are keyed by ids you choose.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// The limit on one attempt (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The limit on connecting (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Allows a plain `http://` base URL on another machine than this one (a test server you
    /// trust). Off by default: the secret key would cross the network in clear, so
    /// [`ClientBuilder::build`] refuses it; `http://127.0.0.1`, `localhost` and `[::1]` (the
    /// sandbox) always work.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.insecure_http = allow;
        self
    }

    /// The client.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a key that cannot be sent in a header, a base URL that is
    /// not `http(s)://`, or a plain `http://` one to another machine without
    /// [`ClientBuilder::allow_insecure_http`]; [`Error::Transport`] when the TLS back-end
    /// cannot start.
    pub fn build(self) -> Result<Client, Error> {
        if !(self.base_url.starts_with("https://") || self.base_url.starts_with("http://")) {
            return Err(Error::invalid("baseUrl", "an http:// or https:// address"));
        }
        let url: qiwi_sys::transport::Url = self
            .base_url
            .parse()
            .map_err(|e| Error::invalid("baseUrl", format!("not a URL: {e}")))?;
        if url.scheme() == "http" && !self.insecure_http && !qiwi_sys::transport::is_loopback(&url)
        {
            return Err(Error::invalid(
                "baseUrl",
                "plain http:// only to this machine; use https://, or allow_insecure_http(true) \
                 for a test server you trust",
            ));
        }
        let token = ApiToken::try_from(&self.secret)
            .map_err(|e| Error::invalid("secretKey", e.to_string()))?;
        let mut transport = Transport::new(token).allow_insecure_http(self.insecure_http);
        if let Some(retry) = self.retry {
            transport = transport.with_retry(retry);
        }
        if let Some(t) = self.timeout {
            transport = transport.with_timeout(t);
        }
        if let Some(t) = self.connect_timeout {
            transport = transport.with_connect_timeout(t);
        }
        let raw = p2p::Client::with_transport(&self.base_url, transport).map_err(|e| {
            Error::Api(ApiError::Transport {
                timed_out: false,
                message: format!("the HTTP client could not be built: {e}"),
            })
        })?;
        Ok(Client {
            raw,
            base_url: self.base_url,
            secret: self.secret,
            public_key: self.public_key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_where_and_which_public_key_never_the_secret() {
        let client = Client::builder(P2pSecretKey::new("SECRET-VALUE"))
            .base_url("http://127.0.0.1:8080")
            .public_key(P2pPublicKey::new("PUBLIC-VALUE"))
            .build()
            .unwrap();
        assert_eq!(client.base_url(), "http://127.0.0.1:8080");
        let shown = format!("{client:?}");
        assert!(shown.contains("http://127.0.0.1:8080"), "{shown}");
        assert!(shown.contains("secret: \"***\""), "{shown}");
        assert!(!shown.contains("SECRET-VALUE"), "{shown}");
        assert_eq!(
            Client::new(P2pSecretKey::new("k")).unwrap().base_url(),
            p2p::BASE_URL
        );
    }

    #[test]
    fn plain_http_to_another_machine_needs_an_opt_in() {
        let build = |url: &str, allow: bool| {
            Client::builder(P2pSecretKey::new("k"))
                .base_url(url)
                .allow_insecure_http(allow)
                .build()
        };
        for url in [
            "http://10.0.0.1:8080",
            "http://sandbox.example",
            "http://0.0.0.0:1",
        ] {
            let Err(Error::InvalidInput { field, .. }) = build(url, false) else {
                panic!("{url} accepted")
            };
            assert_eq!(field, "baseUrl");
            assert!(build(url, true).is_ok(), "{url}");
        }
        for url in [
            "http://127.0.0.1:1",
            "http://localhost",
            "http://[::1]:1",
            "https://a.example",
        ] {
            assert!(build(url, false).is_ok(), "{url}");
        }
        assert!(build("http://exa mple", false).is_err());
    }
}
