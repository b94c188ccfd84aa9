//! The transport every generated client shares: QIWI's rules for requests, written once.
//!
//! Progenitor calls these hooks around each operation (`ClientHooks::pre` and `exec`). They
//! add the bearer token and `User-Agent`, drop the `api-version` header progenitor adds and
//! QIWI does not expect, rewrite array query parameters to QIWI's indexed form
//! (`sources[0]=…&sources[1]=…`), set the `Accept`/`Content-Type` a few operations need,
//! send `Content-Length: 0` on body-less POSTs and PUTs, retry what is safe to repeat, and
//! open one tracing span per operation. The per-operation facts come from the specs through
//! the generated [`Rules`] of each API.

mod builder;
pub(crate) mod failure;
mod pages;
mod quirks;
mod rate_limit;
pub(crate) mod retry;
mod rules;
mod seams;

use std::sync::Arc;
use std::time::{Duration, Instant};

use qiwi_core::secret::{ApiToken, P2pSecretKey, PayinApiKey, TokenError, WalletToken};
use reqwest::header::{self, HeaderValue};
use reqwest::{Method, Response};
use tracing::Instrument as _;

use crate::error::ApiError;
pub use builder::{Api, ClientBuilder};
use failure::{error_chain, outcome_unknown};
pub use pages::{StuckCursor, pages};
pub use quirks::index_query_arrays;
use quirks::{buffered, error_body_as_json};
pub use rate_limit::{RateLimit, WALLET_HISTORY_OPERATIONS};
pub use retry::{RetryPolicy, is_transient_server_status};
use retry::{is_retryable_status, retry_after};
pub use rules::Rules;
pub use seams::{Idempotency, RequestSigner, SeamFuture, SpecIdempotency, Throttle};

/// The request a [`RequestSigner`] signs.
pub use reqwest::Request;
/// A base URL, as [`is_loopback`] reads it.
pub use reqwest::Url;

/// The credential an API authenticates with; each generated client's
/// `with_credential` takes only its own, so a P2P key cannot be sent to the Wallet API.
pub trait Credential {
    /// The bearer token this credential sends.
    fn bearer(self) -> Result<ApiToken, TokenError>;
}

impl Credential for WalletToken {
    fn bearer(self) -> Result<ApiToken, TokenError> {
        Ok(self.into())
    }
}

impl Credential for PayinApiKey {
    fn bearer(self) -> Result<ApiToken, TokenError> {
        Ok(self.into())
    }
}

impl Credential for P2pSecretKey {
    fn bearer(self) -> Result<ApiToken, TokenError> {
        ApiToken::try_from(&self)
    }
}

/// Why a client could not be built. Never contains the credential.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The credential cannot be sent in an `Authorization` header.
    #[error(transparent)]
    Credential(#[from] TokenError),
    /// The HTTP client could not be built (TLS back-end initialisation).
    #[error("the HTTP client could not be built: {0}")]
    Http(#[from] reqwest::Error),
    /// The base URL is not one a client may send the credential to.
    #[error("base URL {url}: {reason}")]
    BaseUrl {
        /// The base URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The product name given to `user_agent` cannot be sent in a header.
    #[error("user agent {0:?}: only visible ASCII can be sent in a header")]
    UserAgent(String),
}

/// `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("qiwi-rs/", env!("CARGO_PKG_VERSION"));

/// The hand-written half of every generated client: credentials and transport settings.
#[derive(Clone)]
pub struct Transport {
    /// `Bearer <token>`, made once (marked sensitive) rather than formatted for every request.
    bearer: Option<HeaderValue>,
    user_agent: HeaderValue,
    retry: RetryPolicy,
    timeout: Duration,
    connect_timeout: Duration,
    throttle: Option<Arc<dyn Throttle>>,
    signer: Option<Arc<dyn RequestSigner>>,
    idempotency: Arc<dyn Idempotency>,
    insecure_http: bool,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("token", &self.bearer.as_ref().map(|_| "***"))
            .field("user_agent", &self.user_agent)
            .field("retry", &self.retry)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("throttle", &seams::describe(&self.throttle))
            .field("signer", &seams::describe(&self.signer))
            .field("insecure_http", &self.insecure_http)
            .finish()
    }
}

impl Transport {
    /// A transport that authenticates with `token` (Wallet API token, P2P secret key or
    /// Payment Protocol API key), with the default retry policy and timeouts.
    pub fn new(token: ApiToken) -> Self {
        let mut transport = Self::anonymous();
        transport.set_bearer(&token);
        transport
    }

    fn set_bearer(&mut self, token: &ApiToken) {
        // ApiToken only holds visible ASCII, so the header value is always valid.
        self.bearer = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
            .ok()
            .map(|mut v| {
                v.set_sensitive(true);
                v
            });
    }

    /// A transport that sends no `Authorization` header.
    pub fn anonymous() -> Self {
        Transport {
            bearer: None,
            user_agent: HeaderValue::from_static(USER_AGENT),
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            throttle: None,
            signer: None,
            idempotency: Arc::new(SpecIdempotency),
            insecure_http: false,
        }
    }

    /// Allows plain `http://` to hosts other than loopback. Off by default: every request to
    /// such a URL is refused before it is sent, because the credential, card data and the
    /// answers would cross the network in clear. `http://localhost`, `127.0.0.0/8` and `[::1]`
    /// (the sandbox) always work.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.insecure_http = allow;
        self
    }

    /// Waits on `throttle` before every attempt of every request.
    pub fn with_throttle(mut self, throttle: impl Throttle + 'static) -> Self {
        self.throttle = Some(Arc::new(throttle));
        self
    }

    /// Signs every request with `signer` once it is prepared.
    pub fn with_signer(mut self, signer: impl RequestSigner + 'static) -> Self {
        self.signer = Some(Arc::new(signer));
        self
    }

    /// Replaces the decision of which operations may be sent again ([`SpecIdempotency`] by
    /// default).
    pub fn with_idempotency(mut self, idempotency: impl Idempotency + 'static) -> Self {
        self.idempotency = Arc::new(idempotency);
        self
    }

    /// Replaces the retry policy ([`RetryPolicy::disabled`] turns retries off).
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The limit on one attempt, from connecting to the last body byte (default 30 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The limit on establishing a connection (default 10 s).
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// An HTTP client with this transport's timeouts and TLS backend, following no
    /// redirect ([`client_builder`]).
    pub fn http_client(&self) -> Result<reqwest::Client, reqwest::Error> {
        client_builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .build()
    }

    /// Applies QIWI's request rules to `request` for `operation`, then the signer, if any;
    /// the `Err` is the signer's.
    pub fn prepare(
        &self,
        request: &mut Request,
        operation: &str,
        rules: &Rules,
    ) -> Result<(), String> {
        if !self.insecure_http {
            refuse_cleartext(request.url(), operation)?;
        }
        let headers = request.headers_mut();
        headers.remove("api-version");
        headers.insert(header::USER_AGENT, self.user_agent.clone());
        if let Some(bearer) = &self.bearer {
            headers.insert(header::AUTHORIZATION, bearer.clone());
        }
        if let Some(accept) = Rules::lookup(rules.accept, operation) {
            headers.insert(header::ACCEPT, HeaderValue::from_static(accept));
        } else if !headers.contains_key(header::ACCEPT) {
            headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        }
        if let Some(ct) = Rules::lookup(rules.content_type, operation) {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        if request.body().is_none() && matches!(*request.method(), Method::POST | Method::PUT) {
            // QIWI's servers answer 411 to a body-less POST or PUT without a length (QIWI's own
            // examples send `--data-raw ''`); hyper sends no length for an empty body unless
            // told to.
            *request.body_mut() = Some(reqwest::Body::from(""));
            request
                .headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
        }
        if !rules.indexed_query.is_empty() {
            index_query_arrays(request.url_mut(), rules.indexed_query);
        }
        match &self.signer {
            Some(signer) => signer
                .sign(request, operation)
                .map_err(|e| format!("{operation}: the request could not be signed: {e}")),
            None => Ok(()),
        }
    }

    /// Sends `request`, retrying per the policy when `operation` is safe to repeat, inside a
    /// tracing span that records the operation, final status, attempts and duration.
    pub async fn execute(
        &self,
        client: &reqwest::Client,
        request: Request,
        operation: &'static str,
        rules: &Rules,
    ) -> reqwest::Result<Response> {
        let span = tracing::info_span!(
            "qiwi.request",
            operation,
            method = %request.method(),
            path = request.url().path(),
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
            elapsed_ms = tracing::field::Empty,
        );
        let retry_safe = self.idempotency.is_repeatable(operation, rules);
        async move {
            let start = Instant::now();
            let mut attempt = 1;
            let mut request = request;
            let result = loop {
                let spare = if attempt < self.retry.max_attempts {
                    request.try_clone()
                } else {
                    None
                };
                if let Some(throttle) = &self.throttle {
                    throttle.acquire(operation).await;
                }
                let result = client.execute(request).await;
                let Some(next) = spare else { break result };
                let retry_after = match &result {
                    // QIWI's history lock lasts 5 minutes: a retry within seconds cannot
                    // pass and counts against the wallet's budget.
                    Ok(r)
                        if r.status().as_u16() == 423
                            && WALLET_HISTORY_OPERATIONS.contains(&operation) =>
                    {
                        break result;
                    }
                    Ok(r) if retry_safe && is_retryable_status(r.status()) => retry_after(r),
                    Ok(_) => break result,
                    // Never reached the server: safe to send again, whatever the operation.
                    Err(e) if e.is_connect() => None,
                    // A timeout or a connection lost mid-request: harmless to repeat.
                    Err(e) if retry_safe && !e.is_builder() => None,
                    Err(_) => break result,
                };
                let Some(wait) = self.retry.delay(attempt, retry_after) else {
                    break result;
                };
                if start.elapsed() + wait > self.retry.max_elapsed {
                    break result;
                }
                tracing::debug!(
                    attempt,
                    wait_ms = wait.as_millis() as u64,
                    status = result.as_ref().ok().map(|r| r.status().as_u16()),
                    "retrying"
                );
                drop(result);
                tokio::time::sleep(wait).await;
                request = next;
                attempt += 1;
            };
            let result = match result {
                Ok(r) if !retry_safe && r.status().is_success() => buffered(r).await,
                Ok(r) => error_body_as_json(r).await,
                Err(e) => Err(e),
            };
            let span = tracing::Span::current();
            span.record("attempts", attempt);
            span.record("elapsed_ms", start.elapsed().as_millis() as u64);
            match &result {
                Ok(r) => {
                    span.record("status", r.status().as_u16());
                    tracing::debug!(status = r.status().as_u16(), "qiwi response");
                }
                Err(e) => tracing::debug!(error = %e, "qiwi request failed"),
            }
            result
        }
        .instrument(span)
        .await
    }

    /// Turns what [`Transport::execute`] returned into the error a caller can act on: an
    /// operation that is not safe to repeat and may have reached QIWI without a definite
    /// answer (a timeout, a reset after sending, a 5xx) is [`ApiError::OutcomeUnknown`]; a
    /// timeout says "timed out" and which timeout; a `3xx` is [`ApiError::Redirected`].
    /// `Ok` leaves the result to the generated code's own reading of the answer.
    pub fn check(
        &self,
        result: &reqwest::Result<Response>,
        operation: &str,
        rules: &Rules,
    ) -> Result<(), ApiError> {
        let retry_safe = self.idempotency.is_repeatable(operation, rules);
        let timeout = |e: &reqwest::Error| {
            if e.is_connect() {
                format!(
                    "timed out: {operation} could not connect within the connect timeout of {:?} \
                     (ClientBuilder::connect_timeout)",
                    self.connect_timeout
                )
            } else {
                format!(
                    "timed out: {operation} got no complete answer within the request timeout of \
                     {:?} (ClientBuilder::timeout)",
                    self.timeout
                )
            }
        };
        let timed_out = |message| ApiError::Transport {
            timed_out: true,
            message,
        };
        let unknown = |status, cause: &str| ApiError::OutcomeUnknown {
            status,
            message: outcome_unknown(operation, cause, rules.look_up),
        };
        let verdict = match result {
            Ok(r) if r.status().is_redirection() => {
                // QIWI never redirects, and the client follows no redirect: a 3xx is an
                // answer from something that is not QIWI's API (a captive portal, a proxy, a
                // wrong base URL). A payment that got one may still have reached QIWI.
                let status = r.status();
                let location = r
                    .headers()
                    .get(header::LOCATION)
                    .map(|l| String::from_utf8_lossy(l.as_bytes()).into_owned());
                let answer = format!(
                    "QIWI answered HTTP {status} redirecting to {}; redirects are not followed",
                    location.as_deref().unwrap_or("(no Location)")
                );
                if retry_safe {
                    ApiError::Redirected {
                        status: status.as_u16(),
                        location,
                        message: format!("redirected: {operation}: {answer}"),
                    }
                } else {
                    unknown(Some(status.as_u16()), &answer)
                }
            }
            Ok(r) if !retry_safe && r.status().is_server_error() => unknown(
                Some(r.status().as_u16()),
                &format!("QIWI answered HTTP {}", r.status()),
            ),
            Ok(_) => return Ok(()),
            Err(e) if e.is_connect() && !e.is_timeout() => return Ok(()),
            Err(e) if e.is_connect() => timed_out(timeout(e)),
            Err(e) if !retry_safe => {
                let cause = if e.is_timeout() {
                    timeout(e)
                } else {
                    format!("the connection failed after sending: {}", error_chain(e))
                };
                unknown(None, &cause)
            }
            Err(e) if e.is_timeout() => timed_out(timeout(e)),
            Err(_) => return Ok(()),
        };
        Err(verdict)
    }
}

/// The builder of every HTTP client that talks to QIWI: no redirect is followed (QIWI never
/// redirects, and a followed redirect would carry a card number or repeat a payment on
/// another host) and no `Referer` is sent. The generated `Client::new` uses it too.
pub fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
}

/// Whether `url` may be sent without TLS: only to this machine (`localhost`, `127.0.0.0/8`,
/// `[::1]`).
pub fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Refuses plain `http://` to anything but loopback, before a credential is attached.
fn refuse_cleartext(url: &reqwest::Url, operation: &str) -> Result<(), String> {
    if url.scheme() == "https" || is_loopback(url) {
        return Ok(());
    }
    Err(format!(
        "{operation}: {}:// to {} is not encrypted; use https://, or \
         Transport::allow_insecure_http(true) for a test server you trust",
        url.scheme(),
        url.host_str().unwrap_or("no host")
    ))
}

/// Implements progenitor's hooks and the builder for a generated `Client`, with the API's
/// generated rules; `signed` makes `builder` take the signer too.
macro_rules! impl_client_hooks {
    ($credential:ty) => {
        $crate::transport::impl_client_hooks!(@hooks $credential);

        impl Client {
            /// A client authenticated with this API's own credential, to configure: another
            /// server (the sandbox), retries, timeouts, a throttle, your `User-Agent`.
            pub fn builder(credential: $credential) -> $crate::transport::ClientBuilder<Client> {
                $crate::transport::ClientBuilder::new(credential)
            }
        }
    };
    ($credential:ty, signed) => {
        $crate::transport::impl_client_hooks!(@hooks $credential);

        impl Client {
            /// A client authenticated with this API's own credential that signs every request
            /// with `signer`: this API refuses unsigned requests, so there is no builder
            /// without one.
            pub fn builder(
                credential: $credential,
                signer: impl $crate::transport::RequestSigner + 'static,
            ) -> $crate::transport::ClientBuilder<Client> {
                $crate::transport::ClientBuilder::new(credential).signer(signer)
            }
        }
    };
    (@hooks $credential:ty) => {
        impl progenitor_client::ClientHooks<$crate::transport::Transport> for Client {
            async fn pre<E>(
                &self,
                request: &mut ::reqwest::Request,
                info: &progenitor_client::OperationInfo,
            ) -> ::std::result::Result<(), progenitor_client::Error<E>> {
                self.inner
                    .prepare(request, info.operation_id, &RULES)
                    .map_err(progenitor_client::Error::InvalidRequest)
            }

            async fn exec(
                &self,
                request: ::reqwest::Request,
                info: &progenitor_client::OperationInfo,
            ) -> ::reqwest::Result<::reqwest::Response> {
                self.inner
                    .execute(&self.client, request, info.operation_id, &RULES)
                    .await
            }
        }

        impl $crate::transport::Api for Client {
            type Credential = $credential;
            const BASE_URL: &'static str = BASE_URL;

            fn assemble(
                base_url: &str,
                http: ::reqwest::Client,
                transport: $crate::transport::Transport,
            ) -> Self {
                Self::new_with_client(base_url, http, transport)
            }
        }

        impl Client {
            /// The transport's verdict on what an operation's request met, typed; the
            /// generated operations call it where progenitor's `post` hook would run.
            pub(crate) fn verdict(
                &self,
                result: &::reqwest::Result<::reqwest::Response>,
                info: &progenitor_client::OperationInfo,
            ) -> ::std::result::Result<(), $crate::error::ApiError> {
                self.inner.check(result, info.operation_id, &RULES)
            }

            /// A client for `baseurl` (scheme, host and optional path stem) that sends every
            /// request through `transport`: the way to assemble a transport by hand (tests,
            /// a custom [`Idempotency`]($crate::transport::Idempotency)); prefer
            /// `Client::builder`.
            pub fn with_transport(
                baseurl: &str,
                transport: $crate::transport::Transport,
            ) -> ::std::result::Result<Self, ::reqwest::Error> {
                let http = transport.http_client()?;
                Ok(Self::new_with_client(baseurl, http, transport))
            }
        }
    };
}
pub(crate) use impl_client_hooks;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_become_indexed_and_other_pairs_stay() {
        let mut url: reqwest::Url =
            "https://edge.qiwi.com/p?rows=5&sources=QW_RUB&operation=IN&sources=CARD"
                .parse()
                .unwrap();
        index_query_arrays(&mut url, &["sources", "types"]);
        assert_eq!(
            url.query(),
            Some("rows=5&sources%5B0%5D=QW_RUB&operation=IN&sources%5B1%5D=CARD")
        );
    }

    #[test]
    fn backoff_stays_within_bounds_and_honours_retry_after() {
        let p = RetryPolicy::default()
            .base_delay(Duration::from_millis(100))
            .max_delay(Duration::from_millis(300));
        for attempt in 1..10 {
            let d = p.delay(attempt, None).unwrap();
            assert!(d <= Duration::from_millis(300), "{d:?}");
        }
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(60))),
            None,
            "a longer Retry-After ends the retries, never shortened"
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_millis(10))),
            Some(Duration::from_millis(10))
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_millis(300))),
            Some(Duration::from_millis(300)),
            "a wait the policy allows is kept exactly"
        );
    }

    #[test]
    fn debug_hides_the_token() {
        let t = Transport::new(ApiToken::new("very-secret-token").unwrap());
        let shown = format!("{t:?}");
        assert!(!shown.contains("very-secret-token"));
        assert!(
            shown.starts_with("Transport {") && shown.contains(r#"token: Some("***")"#),
            "{shown}"
        );
        assert!(shown.contains("timeout: 30s") && shown.contains("connect_timeout: 10s"));
        assert!(format!("{:?}", Transport::anonymous()).contains("token: None"));
    }

    #[test]
    fn the_policy_builders_set_what_they_name() {
        let p = RetryPolicy::default()
            .max_attempts(5)
            .base_delay(Duration::from_millis(10))
            .max_delay(Duration::from_secs(1))
            .max_elapsed(Duration::from_secs(7));
        assert_eq!(p.max_attempts, 5);
        assert_eq!(p.max_elapsed, Duration::from_secs(7));
        // The first wait is jittered over [0, base]; later ones double.
        for _ in 0..200 {
            assert!(p.delay(1, None).unwrap() <= Duration::from_millis(10));
            assert!(p.delay(3, None).unwrap() <= Duration::from_millis(40));
        }
        assert!(
            (0..200).any(|_| p.delay(3, None).unwrap() > Duration::from_millis(10)),
            "the third wait may be longer than the first"
        );
        assert_eq!(RetryPolicy::default().max_attempts(0).max_attempts, 1);
        assert_eq!(RetryPolicy::disabled().max_attempts, 1);
    }

    #[test]
    fn prepare_applies_qiwis_rules() {
        const RULES: Rules = Rules {
            look_up: "Look it up.",
            retry_safe: &["get_thing"],
            accept: &[("get_pdf", "application/pdf")],
            content_type: &[("pay_bill", "application/json;charset=UTF-8")],
            indexed_query: &["sources"],
        };
        let t = Transport::new(ApiToken::new("tok").unwrap());
        let url: reqwest::Url = "https://edge.qiwi.com/x?sources=A&sources=B"
            .parse()
            .unwrap();
        let mut r = Request::new(Method::GET, url.clone());
        r.headers_mut()
            .insert("api-version", HeaderValue::from_static("1"));
        t.prepare(&mut r, "get_thing", &RULES).unwrap();
        let h = r.headers();
        assert_eq!(h[header::ACCEPT], "application/json", "the default Accept");
        assert_eq!(h[header::USER_AGENT], USER_AGENT);
        assert_eq!(h[header::AUTHORIZATION], "Bearer tok");
        assert!(h[header::AUTHORIZATION].is_sensitive());
        assert!(h.get("api-version").is_none());
        assert!(h.get(header::CONTENT_LENGTH).is_none(), "a GET has no body");
        assert_eq!(r.url().query(), Some("sources%5B0%5D=A&sources%5B1%5D=B"));
        assert!(RULES.is_retry_safe("get_thing") && !RULES.is_retry_safe("pay_bill"));

        let mut pdf = Request::new(Method::GET, url.clone());
        pdf.headers_mut()
            .insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        t.prepare(&mut pdf, "get_pdf", &RULES).unwrap();
        assert_eq!(pdf.headers()[header::ACCEPT], "application/pdf");

        let mut own = Request::new(Method::GET, url.clone());
        own.headers_mut()
            .insert(header::ACCEPT, HeaderValue::from_static("text/csv"));
        t.prepare(&mut own, "get_thing", &RULES).unwrap();
        assert_eq!(
            own.headers()[header::ACCEPT],
            "text/csv",
            "an Accept already set stays"
        );

        let mut post = Request::new(Method::POST, url);
        t.prepare(&mut post, "pay_bill", &RULES).unwrap();
        assert_eq!(post.headers()[header::CONTENT_LENGTH], "0");
        assert_eq!(
            post.headers()[header::CONTENT_TYPE],
            "application/json;charset=UTF-8"
        );
        assert!(post.body().is_some());

        let mut anonymous = Request::new(Method::GET, "https://x/".parse().unwrap());
        Transport::anonymous()
            .prepare(&mut anonymous, "get_thing", &RULES)
            .unwrap();
        assert!(anonymous.headers().get(header::AUTHORIZATION).is_none());
    }
}
