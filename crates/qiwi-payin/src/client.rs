//! The client: one site, one API key, one connection pool, cheap to clone.

use qiwi_core::secret::PayinApiKey;
use qiwi_sys::payin;
use qiwi_sys::payin::ClientInfo as _;
use qiwi_sys::transport::ClientError;

use crate::error::{ApiError, Error};

/// A Payment Protocol pay-in client for one site (`siteId`). Clones share the connection pool
/// and settings.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use qiwi_payin::{Client, PayinApiKey};
///
/// let key = PayinApiKey::new(&std::env::var("QIWI_PAYIN_API_KEY")?)?;
/// let client = Client::new("test-01", key)?;
/// let payment = client.payment("order-42").await?;
/// println!("{:?}", payment.status.map(|s| s.value));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) raw: payin::Client,
    pub(crate) site_id: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url())
            .field("site_id", &self.site_id)
            .field("api_key", &"***")
            .finish()
    }
}

impl Client {
    /// A client of QIWI's server (`https://api.qiwi.com`) for site `site_id`, with the default
    /// retries and timeouts.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty site id or one with characters QIWI's ids do not
    /// have.
    pub fn new(site_id: &str, key: PayinApiKey) -> Result<Client, Error> {
        Client::builder(site_id, key).build()
    }

    /// A client to configure: another server (the sandbox, `b2b-api.qiwi.com`), retries,
    /// timeouts.
    pub fn builder(site_id: &str, key: PayinApiKey) -> ClientBuilder {
        ClientBuilder {
            raw: payin::Client::builder(key),
            site_id: site_id.to_owned(),
        }
    }

    /// The server this client talks to.
    pub fn base_url(&self) -> &str {
        self.raw.baseurl()
    }

    /// The site its calls are for.
    pub fn site_id(&self) -> &str {
        &self.site_id
    }

    /// The generated client, for what is not wrapped (same pool and settings).
    pub fn raw(&self) -> &payin::Client {
        &self.raw
    }
}

/// Settings of a [`Client`]: the transport settings every QIWI client shares
/// ([`qiwi_sys::transport::ClientBuilder`]).
#[derive(Debug)]
#[must_use]
pub struct ClientBuilder {
    raw: qiwi_sys::transport::ClientBuilder<payin::Client>,
    site_id: String,
}

impl ClientBuilder {
    qiwi_sys::forward_client_settings!(raw);

    /// The client.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a site id that is not 1 to 200 of letters, digits, `_` and
    /// `-`, a key that cannot be sent in a header, a base URL that is not `http(s)://`, or a
    /// plain `http://` one to another machine without [`ClientBuilder::allow_insecure_http`];
    /// [`Error::Api`] with [`ApiError::Transport`] when the TLS back-end cannot start.
    pub fn build(self) -> Result<Client, Error> {
        let site_id = crate::ids::check("siteId", self.site_id)?;
        let raw = self.raw.build().map_err(|e| match e {
            ClientError::BaseUrl { reason, .. } => Error::invalid("baseUrl", reason),
            ClientError::Credential(e) => Error::invalid("apiKey", e.to_string()),
            ClientError::UserAgent(_) => Error::invalid("userAgent", e.to_string()),
            other => Error::Api(ApiError::Transport {
                timed_out: false,
                message: other.to_string(),
            }),
        })?;
        Ok(Client { raw, site_id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_the_site_never_the_key() {
        let key = PayinApiKey::new("SECRET-VALUE").unwrap();
        let client = Client::builder("test-01", key)
            .base_url("http://127.0.0.1:8080")
            .build()
            .unwrap();
        let shown = format!("{client:?}");
        assert!(
            shown.contains("test-01") && shown.contains("***"),
            "{shown}"
        );
        assert!(!shown.contains("SECRET-VALUE"), "{shown}");
        let key = PayinApiKey::new("k").unwrap();
        assert!(matches!(
            Client::new("site/../other", key),
            Err(Error::InvalidInput {
                field: "siteId",
                ..
            })
        ));
    }
}
