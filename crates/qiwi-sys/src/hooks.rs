//! The transport every generated client shares: QIWI's rules for requests, written once.
//!
//! Progenitor calls these hooks around each operation (`ClientHooks::pre` and `exec`). They
//! add the bearer token and `User-Agent`, drop the `api-version` header progenitor adds and
//! QIWI does not expect, rewrite array query parameters to QIWI's indexed form
//! (`sources[0]=…&sources[1]=…`), set the `Accept`/`Content-Type` a few operations need,
//! send `Content-Length: 0` on body-less POSTs and PUTs, retry what is safe to repeat, and
//! open one tracing span per operation. The per-operation facts come from the specs through
//! the generated [`Rules`] of each API.

use std::time::{Duration, Instant};

use qiwi_core::secret::ApiToken;
use reqwest::header::{self, HeaderValue};
use reqwest::{Method, Request, Response, StatusCode};
use tracing::Instrument as _;

/// `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("qiwi-rs/", env!("CARGO_PKG_VERSION"));

/// Per-operation transport facts of one API, generated from its spec.
#[derive(Debug)]
pub struct Rules {
    /// Operations that may be sent again after a failure: every `GET`, and the `PUT`s keyed
    /// by an id the caller chose (`x-qiwi-retry-safe` in the spec).
    pub retry_safe: &'static [&'static str],
    /// Operations that need another `Accept` than `application/json`.
    pub accept: &'static [(&'static str, &'static str)],
    /// Operations that need another `Content-Type` than `application/json`.
    pub content_type: &'static [(&'static str, &'static str)],
    /// Query parameters QIWI reads as indexed arrays (`types[0]=…`).
    pub indexed_query: &'static [&'static str],
}

impl Rules {
    fn lookup(table: &[(&str, &'static str)], operation: &str) -> Option<&'static str> {
        table
            .iter()
            .find(|(op, _)| *op == operation)
            .map(|(_, v)| *v)
    }

    /// Whether `operation` may be repeated.
    pub fn is_retry_safe(&self, operation: &str) -> bool {
        self.retry_safe.contains(&operation)
    }
}

/// When and how often a failed request is sent again.
///
/// Only operations that are safe to repeat are retried (see [`Rules::retry_safe`]); a
/// payment `POST` is never sent twice by the transport. Retried: connection failures and
/// timeouts, `423` (QIWI's "too many requests"), `429`, `500`, `502`, `503`, `504`.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_elapsed: Duration,
}

impl Default for RetryPolicy {
    /// Three attempts, backoff from 250 ms up to 5 s with full jitter, 30 s in all.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn disabled() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// How many times a request is sent at most, the first included (at least 1).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// The first backoff; each further one doubles, up to [`RetryPolicy::max_delay`].
    pub fn base_delay(mut self, d: Duration) -> Self {
        self.base_delay = d;
        self
    }

    /// The longest single wait, also the cap on a server's `Retry-After`.
    pub fn max_delay(mut self, d: Duration) -> Self {
        self.max_delay = d;
        self
    }

    /// No retry starts once this much time has passed since the first attempt.
    pub fn max_elapsed(mut self, d: Duration) -> Self {
        self.max_elapsed = d;
        self
    }

    /// The wait before attempt `attempt + 1`: full jitter over the exponential step, or the
    /// server's `Retry-After` when it names one.
    fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(d) = retry_after {
            return d.min(self.max_delay);
        }
        let step = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
            .min(self.max_delay);
        let nanos = u64::try_from(step.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }
}

/// The hand-written half of every generated client: credentials and transport settings.
#[derive(Clone)]
pub struct Transport {
    token: Option<ApiToken>,
    retry: RetryPolicy,
    timeout: Duration,
    connect_timeout: Duration,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("retry", &self.retry)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

impl Transport {
    /// A transport that authenticates with `token` (Wallet API token, P2P secret key or
    /// Payment Protocol API key), with the default retry policy and timeouts.
    pub fn new(token: ApiToken) -> Self {
        Transport {
            token: Some(token),
            ..Self::anonymous()
        }
    }

    /// A transport that sends no `Authorization` header.
    pub fn anonymous() -> Self {
        Transport {
            token: None,
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
        }
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

    /// An HTTP client with this transport's timeouts and TLS backend.
    pub fn http_client(&self) -> Result<reqwest::Client, reqwest::Error> {
        reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .build()
    }

    /// Applies QIWI's request rules to `request` for `operation`.
    pub fn prepare(&self, request: &mut Request, operation: &str, rules: &Rules) {
        let headers = request.headers_mut();
        headers.remove("api-version");
        headers.insert(header::USER_AGENT, HeaderValue::from_static(USER_AGENT));
        if let Some(token) = &self.token {
            // ApiToken only holds visible ASCII, so the header value is always valid.
            if let Ok(mut v) = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())) {
                v.set_sensitive(true);
                headers.insert(header::AUTHORIZATION, v);
            }
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
        let retry_safe = rules.is_retry_safe(operation);
        async move {
            let start = Instant::now();
            let mut attempt = 1;
            let mut request = request;
            let result = loop {
                let spare = if retry_safe && attempt < self.retry.max_attempts {
                    request.try_clone()
                } else {
                    None
                };
                let result = client.execute(request).await;
                let Some(next) = spare else { break result };
                let retry_after = match &result {
                    Ok(r) if is_retryable_status(r.status()) => retry_after(r),
                    Ok(_) => break result,
                    Err(e) if e.is_connect() || e.is_timeout() => None,
                    Err(_) => break result,
                };
                let wait = self.retry.delay(attempt, retry_after);
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
                Ok(r) => empty_error_body_as_json(r).await,
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
}

/// QIWI answers some failures (a 500 it wants retried, a 503 from its balancer, a 401) with
/// no body at all. The generated clients read every error body as JSON, so an empty one would
/// surface as a decode error that has lost the HTTP status; as `{}` it becomes a typed error
/// response with the status and an error body whose fields are all absent.
async fn empty_error_body_as_json(r: Response) -> reqwest::Result<Response> {
    let status = r.status();
    if !(status.is_client_error() || status.is_server_error()) || r.content_length() > Some(0) {
        return Ok(r);
    }
    let version = r.version();
    let headers = r.headers().clone();
    let body = r.bytes().await?;
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        bytes::Bytes::from_static(b"{}")
    } else {
        body
    };
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    rebuilt.headers_mut().remove(header::CONTENT_LENGTH);
    Ok(Response::from(rebuilt))
}

fn is_retryable_status(s: StatusCode) -> bool {
    matches!(s.as_u16(), 423 | 429 | 500 | 502 | 503 | 504)
}

/// `Retry-After` in seconds; an HTTP-date value is left to the backoff.
fn retry_after(r: &Response) -> Option<Duration> {
    r.headers()
        .get(header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// Rewrites `name=a&name=b` to `name[0]=a&name[1]=b` for the parameters QIWI reads as
/// indexed arrays, keeping every other pair and the order.
pub fn index_query_arrays(url: &mut reqwest::Url, names: &[&str]) {
    if url.query().is_none() {
        return;
    }
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    if !pairs.iter().any(|(k, _)| names.contains(&k.as_str())) {
        return;
    }
    let mut counters = vec![0usize; names.len()];
    let mut q = url.query_pairs_mut();
    q.clear();
    for (k, v) in &pairs {
        match names.iter().position(|n| n == k) {
            Some(i) => {
                q.append_pair(&format!("{k}[{}]", counters[i]), v);
                counters[i] += 1;
            }
            None => {
                q.append_pair(k, v);
            }
        }
    }
}

/// Implements progenitor's hooks for a generated `Client`, with the API's generated rules.
macro_rules! impl_client_hooks {
    () => {
        impl progenitor_client::ClientHooks<$crate::hooks::Transport> for Client {
            async fn pre<E>(
                &self,
                request: &mut ::reqwest::Request,
                info: &progenitor_client::OperationInfo,
            ) -> ::std::result::Result<(), progenitor_client::Error<E>> {
                self.inner.prepare(request, info.operation_id, &RULES);
                Ok(())
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

        impl Client {
            /// A client for `baseurl` (scheme, host and optional path stem) that sends every
            /// request through `transport`.
            pub fn with_transport(
                baseurl: &str,
                transport: $crate::hooks::Transport,
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
            let d = p.delay(attempt, None);
            assert!(d <= Duration::from_millis(300), "{d:?}");
        }
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(60))),
            Duration::from_millis(300)
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_millis(10))),
            Duration::from_millis(10)
        );
    }

    #[test]
    fn debug_hides_the_token() {
        let t = Transport::new(ApiToken::new("very-secret-token").unwrap());
        assert!(!format!("{t:?}").contains("very-secret-token"));
    }
}
