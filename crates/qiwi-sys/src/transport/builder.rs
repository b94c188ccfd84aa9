//! The one client builder every API shares: a typed credential in, a configured client out.

use std::marker::PhantomData;
use std::time::Duration;

use reqwest::header::HeaderValue;

use super::{
    ClientError, Credential, Idempotency, RequestSigner, RetryPolicy, Throttle, Transport,
    USER_AGENT, is_loopback,
};

/// What [`ClientBuilder`] needs of a generated client: its credential and its server. Each
/// API module's `Client` implements it; a client crate never does.
pub trait Api: Sized {
    /// The one credential this API accepts.
    type Credential: Credential;
    /// QIWI's production server for this API.
    const BASE_URL: &'static str;
    /// The client over a finished transport and HTTP client.
    #[doc(hidden)]
    fn assemble(base_url: &str, http: reqwest::Client, transport: Transport) -> Self;
}

/// Settings of a generated client, made by `Client::builder` of each API module (the
/// payout API's also takes its signer, so it cannot be built unsigned).
///
/// ```no_run
/// # #[cfg(feature = "wallet")]
/// # fn run() -> Result<(), qiwi_sys::transport::ClientError> {
/// use std::time::Duration;
/// use qiwi_core::secret::WalletToken;
/// use qiwi_sys::transport::RetryPolicy;
/// use qiwi_sys::wallet;
///
/// let token = WalletToken::new(std::env::var("QIWI_WALLET_TOKEN").unwrap())?;
/// let client = wallet::Client::builder(token)
///     .timeout(Duration::from_secs(10))
///     .retry(RetryPolicy::default().max_attempts(5))
///     .user_agent("shop-backend/2.1")
///     .build()?;
/// # let _ = client;
/// # Ok(()) }
/// ```
#[must_use]
pub struct ClientBuilder<C: Api> {
    credential: C::Credential,
    base_url: String,
    transport: Transport,
    user_agent: Option<String>,
    client: PhantomData<fn() -> C>,
}

impl<C: Api> std::fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("transport", &self.transport)
            .field("user_agent", &self.user_agent)
            .finish_non_exhaustive()
    }
}

impl<C: Api> ClientBuilder<C> {
    /// Crate-private: `Client::builder` of each API is the way in, so that the payout API's
    /// can require its signer.
    pub(crate) fn new(credential: C::Credential) -> Self {
        ClientBuilder {
            credential,
            base_url: C::BASE_URL.to_owned(),
            transport: Transport::anonymous(),
            user_agent: None,
            client: PhantomData,
        }
    }

    /// Another server than QIWI's: the sandbox (`RunningSandbox::base_url`), a proxy. Scheme,
    /// host and optional path stem.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The retry policy of the calls safe to repeat ([`RetryPolicy::disabled`] turns retries
    /// off). A payment is never repeated, whatever the policy.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.transport = self.transport.with_retry(retry);
        self
    }

    /// The limit on one attempt, from connecting to the last body byte (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.transport = self.transport.with_timeout(timeout);
        self
    }

    /// The limit on establishing a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.transport = self.transport.with_connect_timeout(timeout);
        self
    }

    /// Waits on `throttle` before every attempt of every request ([`super::RateLimit`] keeps
    /// under QIWI's limits instead of meeting its `423`).
    pub fn throttle(mut self, throttle: impl Throttle + 'static) -> Self {
        self.transport = self.transport.with_throttle(throttle);
        self
    }

    /// Signs every request once it is prepared (the payout API's `X-Digital-Sign`).
    pub fn signer(mut self, signer: impl RequestSigner + 'static) -> Self {
        self.transport = self.transport.with_signer(signer);
        self
    }

    /// Which operations may be sent again after a failure that may have reached QIWI (the
    /// spec's rules by default).
    pub fn idempotency(mut self, idempotency: impl Idempotency + 'static) -> Self {
        self.transport = self.transport.with_idempotency(idempotency);
        self
    }

    /// Your application's name and version, sent before qiwi-rs's own in `User-Agent`
    /// (`shop-backend/2.1 qiwi-rs/0.1.0`), so that QIWI's support can tell your traffic apart.
    pub fn user_agent(mut self, product: impl Into<String>) -> Self {
        self.user_agent = Some(product.into());
        self
    }

    /// Allows a plain `http://` base URL on another machine than this one (a test server you
    /// trust). Off by default: the credential, card data and the answers would cross the
    /// network in clear, so [`ClientBuilder::build`] refuses it; `http://127.0.0.1`,
    /// `localhost` and `[::1]` (the sandbox) always work.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.transport = self.transport.allow_insecure_http(allow);
        self
    }

    /// The client.
    ///
    /// # Errors
    /// [`ClientError::BaseUrl`] for a base URL that is not `http(s)://`, or a plain `http://`
    /// one to another machine without [`ClientBuilder::allow_insecure_http`];
    /// [`ClientError::Credential`] for a credential that cannot be sent in a header;
    /// [`ClientError::UserAgent`] for a product name that cannot; [`ClientError::Http`] when
    /// the TLS back-end cannot start. None of them contains the credential.
    pub fn build(self) -> Result<C, ClientError> {
        let ClientBuilder {
            credential,
            base_url,
            mut transport,
            user_agent,
            ..
        } = self;
        let bad = |reason: String| ClientError::BaseUrl {
            url: base_url.clone(),
            reason,
        };
        let url: reqwest::Url = base_url
            .parse()
            .map_err(|e| bad(format!("not a URL: {e}")))?;
        match url.scheme() {
            "https" => {}
            "http" if transport.insecure_http || is_loopback(&url) => {}
            "http" => {
                return Err(bad("plain http:// only to this machine; use https://, or \
                     allow_insecure_http(true) for a test server you trust"
                    .to_owned()));
            }
            _ => return Err(bad("an http:// or https:// address".to_owned())),
        }
        transport.set_bearer(&credential.bearer()?);
        if let Some(product) = &user_agent {
            let value = HeaderValue::from_str(&format!("{product} {USER_AGENT}"))
                .map_err(|_| ClientError::UserAgent(product.clone()))?;
            transport.user_agent = value;
        }
        let http = transport.http_client()?;
        Ok(C::assemble(&base_url, http, transport))
    }
}

/// The settings of [`ClientBuilder`], forwarded by a client crate's own builder that keeps
/// the shared one in the field `$raw`; the crate's builder then adds only what is its own
/// (qiwi-p2p's public key). Written once here, so that every client crate spells every
/// setting the same way.
///
/// ```
/// # #[cfg(feature = "p2p")] {
/// use qiwi_sys::transport::ClientBuilder;
///
/// pub struct MyBuilder {
///     raw: ClientBuilder<qiwi_sys::p2p::Client>,
///     label: Option<String>,
/// }
///
/// impl MyBuilder {
///     qiwi_sys::forward_client_settings!(raw);
///
///     /// What is this crate's own.
///     pub fn label(mut self, label: impl Into<String>) -> Self {
///         self.label = Some(label.into());
///         self
///     }
/// }
/// # }
/// ```
#[macro_export]
macro_rules! forward_client_settings {
    ($raw:ident) => {
        /// Another server than QIWI's: the sandbox (`RunningSandbox::base_url`), a proxy.
        /// Scheme, host and optional path stem.
        pub fn base_url(mut self, url: impl Into<String>) -> Self {
            self.$raw = self.$raw.base_url(url);
            self
        }

        /// The retry policy of the calls safe to repeat
        /// ([`RetryPolicy::disabled`]($crate::transport::RetryPolicy::disabled) turns retries
        /// off). A payment is never repeated, whatever the policy.
        pub fn retry(mut self, retry: $crate::transport::RetryPolicy) -> Self {
            self.$raw = self.$raw.retry(retry);
            self
        }

        /// The limit on one attempt, from connecting to the last body byte (default 30 s).
        pub fn timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.$raw = self.$raw.timeout(timeout);
            self
        }

        /// The limit on establishing a connection (default 10 s).
        pub fn connect_timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.$raw = self.$raw.connect_timeout(timeout);
            self
        }

        /// Waits on `throttle` before every attempt of every request
        /// ([`RateLimit`]($crate::transport::RateLimit) keeps under QIWI's limits).
        pub fn throttle(mut self, throttle: impl $crate::transport::Throttle + 'static) -> Self {
            self.$raw = self.$raw.throttle(throttle);
            self
        }

        /// Your application's name and version, sent before qiwi-rs's own in `User-Agent`.
        pub fn user_agent(mut self, product: impl Into<String>) -> Self {
            self.$raw = self.$raw.user_agent(product);
            self
        }

        /// Allows a plain `http://` base URL on another machine than this one (a test server
        /// you trust). Off by default: the credential would cross the network in clear, so
        /// `build` refuses it; `http://127.0.0.1`, `localhost` and `[::1]` (the sandbox)
        /// always work.
        pub fn allow_insecure_http(mut self, allow: bool) -> Self {
            self.$raw = self.$raw.allow_insecure_http(allow);
            self
        }
    };
}
