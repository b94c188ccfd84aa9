//! The client: one secret key, one connection pool, cheap to clone.

use qiwi_core::secret::{P2pPublicKey, P2pSecretKey};
use qiwi_sys::p2p;
use qiwi_sys::p2p::ClientInfo as _;
use qiwi_sys::transport::ClientError;

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
    secret: P2pSecretKey,
    pub(crate) public_key: Option<P2pPublicKey>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url())
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
            raw: p2p::Client::builder(secret.clone()),
            secret,
            public_key: None,
        }
    }

    /// The server this client talks to.
    pub fn base_url(&self) -> &str {
        self.raw.baseurl()
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
        Ok(if self.base_url() == p2p::BASE_URL {
            link
        } else {
            link.form_url(format!("{}/create", self.base_url().trim_end_matches('/')))
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

/// Settings of a [`Client`]: the transport settings every QIWI client shares
/// ([`qiwi_sys::transport::ClientBuilder`]), and the public key, which is P2P's own.
#[derive(Debug)]
#[must_use]
pub struct ClientBuilder {
    raw: qiwi_sys::transport::ClientBuilder<p2p::Client>,
    secret: P2pSecretKey,
    public_key: Option<P2pPublicKey>,
}

impl ClientBuilder {
    qiwi_sys::forward_client_settings!(raw);

    /// The public key, for payment-form links ([`Client::form_link`]).
    pub fn public_key(mut self, key: P2pPublicKey) -> Self {
        self.public_key = Some(key);
        self
    }

    /// The client.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a key that cannot be sent in a header, a base URL that is
    /// not `http(s)://`, or a plain `http://` one to another machine without
    /// [`ClientBuilder::allow_insecure_http`]; [`Error::Api`] with [`ApiError::Transport`]
    /// when the TLS back-end cannot start.
    pub fn build(self) -> Result<Client, Error> {
        let raw = self.raw.build().map_err(|e| match e {
            ClientError::BaseUrl { reason, .. } => Error::invalid("baseUrl", reason),
            ClientError::Credential(e) => Error::invalid("secretKey", e.to_string()),
            ClientError::UserAgent(_) => Error::invalid("userAgent", e.to_string()),
            other => Error::Api(ApiError::Transport {
                timed_out: false,
                message: other.to_string(),
            }),
        })?;
        Ok(Client {
            raw,
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
