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
/// Operations that are safe to repeat (see [`Rules::retry_safe`]: every `GET`, and the `PUT`s
/// keyed by an id the caller chose) are retried after connection failures, timeouts and
/// connections lost mid-request, and after
/// `423` (QIWI's "too many requests"), `429`, `500`, `502`, `503` and `504`. Any other
/// operation — a payment `POST` — is sent again only when it provably never left: the
/// connection could not be established (refused, DNS, TLS). Once it may have reached QIWI, a
/// failure is returned as [`Failure::OutcomeUnknown`], never retried.
///
/// A server's `Retry-After` is honoured and never shortened: when it asks for longer than
/// [`RetryPolicy::max_delay`] (or than the time left), the call returns at once with QIWI's
/// answer, which [`Failure::of`] reports as [`Failure::RateLimited`] with the wait.
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

    /// The longest single wait. A server's `Retry-After` beyond it ends the retries instead of
    /// being shortened.
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
    /// server's `Retry-After` when it names one — `None` when that is longer than the policy
    /// allows, which ends the retries.
    fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if let Some(d) = retry_after {
            return (d <= self.max_delay).then_some(d);
        }
        let step = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
            .min(self.max_delay);
        let nanos = u64::try_from(step.as_nanos()).unwrap_or(u64::MAX);
        Some(Duration::from_nanos(fastrand::u64(0..=nanos)))
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
                let spare = if attempt < self.retry.max_attempts {
                    request.try_clone()
                } else {
                    None
                };
                let result = client.execute(request).await;
                let Some(next) = spare else { break result };
                let retry_after = match &result {
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
    /// answer (a timeout, a reset after sending, a 5xx) becomes [`Failure::OutcomeUnknown`];
    /// a timeout says "timed out" and which timeout. The `Err` is the message of the
    /// [`Error::Custom`](progenitor_client::Error::Custom) the call returns instead.
    pub fn check(
        &self,
        result: &reqwest::Result<Response>,
        operation: &str,
        rules: &Rules,
    ) -> Result<(), String> {
        let retry_safe = rules.is_retry_safe(operation);
        let timeout = |e: &reqwest::Error| {
            if e.is_connect() {
                format!(
                    "timed out: {operation} could not connect within the connect timeout of {:?} \
                     (Transport::with_connect_timeout)",
                    self.connect_timeout
                )
            } else {
                format!(
                    "timed out: {operation} got no complete answer within the request timeout of \
                     {:?} (Transport::with_timeout)",
                    self.timeout
                )
            }
        };
        let message = match result {
            Ok(r) if !retry_safe && r.status().is_server_error() => {
                Failure::outcome_unknown(operation, &format!("{ANSWERED}{}", r.status()))
            }
            Ok(_) => return Ok(()),
            Err(e) if e.is_connect() && !e.is_timeout() => return Ok(()),
            Err(e) if e.is_connect() => timeout(e),
            Err(e) if !retry_safe => {
                let cause = if e.is_timeout() {
                    timeout(e)
                } else {
                    format!("the connection failed after sending: {}", error_chain(e))
                };
                Failure::outcome_unknown(operation, &cause)
            }
            Err(e) if e.is_timeout() => timeout(e),
            Err(_) => return Ok(()),
        };
        Err(message)
    }
}

/// An error and its sources, one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// What a failed call means for the caller: the one place that reads progenitor's
/// [`Error`](progenitor_client::Error) for the transport's own verdicts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// A request that is not safe to repeat (a payment) may have reached QIWI, and no answer
    /// says whether it did. Do not send it again blindly: look it up (the wallet history by
    /// the payment's client `id`) and send it again only if it is not there.
    OutcomeUnknown {
        /// The HTTP status QIWI (or a proxy) answered, when the failure was an answer (a 5xx).
        status: Option<u16>,
    },
    /// No answer in time; the message says which timeout.
    TimedOut,
    /// QIWI asked to slow down (`423`, `429`), for `retry_after` when it said.
    RateLimited {
        /// The HTTP status.
        status: u16,
        /// How long QIWI asked to wait.
        retry_after: Option<Duration>,
    },
    /// Any other HTTP error answer (the body, even HTML or empty, is in the error).
    Status(u16),
    /// Anything else: a connection that could not be made, a body that did not decode …
    Other,
}

const OUTCOME_UNKNOWN: &str = "outcome unknown: ";
const TIMED_OUT: &str = "timed out: ";
const ANSWERED: &str = "QIWI answered HTTP ";

impl Failure {
    fn outcome_unknown(operation: &str, cause: &str) -> String {
        format!(
            "{OUTCOME_UNKNOWN}{operation} may have reached QIWI ({cause}); it was not sent again. \
             Look it up before repeating it (for a wallet payment: the payment history, by its \
             client id)"
        )
    }

    /// Classifies an error a generated client returned.
    ///
    /// ```
    /// use qiwi_sys::hooks::Failure;
    /// let e = qiwi_sys::Error::<()>::Custom("outcome unknown: create_payment …".into());
    /// assert_eq!(Failure::of(&e), Failure::OutcomeUnknown { status: None });
    /// ```
    pub fn of<E>(error: &progenitor_client::Error<E>) -> Failure {
        use progenitor_client::Error as E;
        match error {
            E::Custom(m) if m.starts_with(OUTCOME_UNKNOWN) => Failure::OutcomeUnknown {
                status: m
                    .split_once(ANSWERED)
                    .and_then(|(_, rest)| rest.get(..3))
                    .and_then(|s| s.parse().ok()),
            },
            E::Custom(m) if m.starts_with(TIMED_OUT) => Failure::TimedOut,
            E::CommunicationError(e) | E::ResponseBodyError(e) if e.is_timeout() => {
                Failure::TimedOut
            }
            E::ErrorResponse(r) => Failure::from_answer(r.status(), r.headers()),
            E::UnexpectedResponse(r) => Failure::from_answer(r.status(), r.headers()),
            _ => Failure::Other,
        }
    }

    fn from_answer(status: StatusCode, headers: &header::HeaderMap) -> Failure {
        match status.as_u16() {
            s @ (423 | 429) => Failure::RateLimited {
                status: s,
                retry_after: retry_after_header(headers),
            },
            s => Failure::Status(s),
        }
    }

    /// Whether sending the same request again later can succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Failure::TimedOut | Failure::RateLimited { .. } => true,
            Failure::Status(s) => matches!(s, 500 | 502 | 503 | 504),
            Failure::OutcomeUnknown { .. } | Failure::Other => false,
        }
    }
}

/// A success answer read whole before it is handed on: for an operation that is not safe to
/// repeat, a body lost on the way (a timeout, a reset) must be reported here, where the
/// transport knows the outcome is unknown, not later as a plain body error.
async fn buffered(r: Response) -> reqwest::Result<Response> {
    let status = r.status();
    let version = r.version();
    let headers = r.headers().clone();
    let body = r.bytes().await?;
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    Ok(Response::from(rebuilt))
}

/// The most of a non-JSON error body kept in the error.
const NON_JSON_BODY_LIMIT: usize = 4096;

/// The generated clients read every error body as QIWI's JSON error. QIWI answers some
/// failures (a 500 it wants retried, a 503 from its balancer, a 401) with no body at all, and
/// proxies in front of it with HTML; either would surface as a decode error that has lost the
/// HTTP status. So an empty body becomes `{}` and any other body that is not a JSON object
/// becomes `{"nonJsonBody": "<its first 4 KiB>"}` ([`qiwi_core::ErrorBody::non_json_body`]):
/// a typed error response that keeps the status and the text.
async fn error_body_as_json(r: Response) -> reqwest::Result<Response> {
    let status = r.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(r);
    }
    let version = r.version();
    let headers = r.headers().clone();
    let body = r.bytes().await?;
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        bytes::Bytes::from_static(b"{}")
    } else if serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&body).is_ok() {
        body
    } else {
        let text = String::from_utf8_lossy(&body);
        let end = text
            .char_indices()
            .map(|(i, c)| i + c.len_utf8())
            .take_while(|end| *end <= NON_JSON_BODY_LIMIT)
            .last()
            .unwrap_or(0);
        let wrapped = serde_json::json!({ qiwi_core::error::NON_JSON_BODY: &text[..end] });
        bytes::Bytes::from(wrapped.to_string())
    };
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    rebuilt.headers_mut().remove(header::CONTENT_LENGTH);
    rebuilt.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(Response::from(rebuilt))
}

fn is_retryable_status(s: StatusCode) -> bool {
    matches!(s.as_u16(), 423 | 429 | 500 | 502 | 503 | 504)
}

/// `Retry-After` in seconds; an HTTP-date value is left to the backoff.
fn retry_after(r: &Response) -> Option<Duration> {
    retry_after_header(r.headers())
}

fn retry_after_header(headers: &header::HeaderMap) -> Option<Duration> {
    headers
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

            async fn post<E>(
                &self,
                result: &::reqwest::Result<::reqwest::Response>,
                info: &progenitor_client::OperationInfo,
            ) -> ::std::result::Result<(), progenitor_client::Error<E>> {
                self.inner
                    .check(result, info.operation_id, &RULES)
                    .map_err(progenitor_client::Error::Custom)
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
        t.prepare(&mut r, "get_thing", &RULES);
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
        t.prepare(&mut pdf, "get_pdf", &RULES);
        assert_eq!(pdf.headers()[header::ACCEPT], "application/pdf");

        let mut own = Request::new(Method::GET, url.clone());
        own.headers_mut()
            .insert(header::ACCEPT, HeaderValue::from_static("text/csv"));
        t.prepare(&mut own, "get_thing", &RULES);
        assert_eq!(
            own.headers()[header::ACCEPT],
            "text/csv",
            "an Accept already set stays"
        );

        let mut post = Request::new(Method::POST, url);
        t.prepare(&mut post, "pay_bill", &RULES);
        assert_eq!(post.headers()[header::CONTENT_LENGTH], "0");
        assert_eq!(
            post.headers()[header::CONTENT_TYPE],
            "application/json;charset=UTF-8"
        );
        assert!(post.body().is_some());

        let mut anonymous = Request::new(Method::GET, "https://x/".parse().unwrap());
        Transport::anonymous().prepare(&mut anonymous, "get_thing", &RULES);
        assert!(anonymous.headers().get(header::AUTHORIZATION).is_none());
    }
}
