//! When a failed request is sent again, and how long to wait.

use std::time::Duration;

use reqwest::Response;
use reqwest::StatusCode;
use reqwest::header;

/// When and how often a failed request is sent again.
///
/// Operations that are safe to repeat (see [`Rules::retry_safe`](super::Rules::retry_safe): every `GET`, and the `PUT`s
/// keyed by an id the caller chose) are retried after connection failures, timeouts and
/// connections lost mid-request, and after
/// `423` (QIWI's "too many requests"), `429`, `500`, `502`, `503` and `504` — but not after
/// a `423` of the wallet history ([`WALLET_HISTORY_OPERATIONS`](super::WALLET_HISTORY_OPERATIONS)),
/// QIWI's five-minute lock, which no quick retry passes. Any other
/// operation — a payment `POST` — is sent again only when it provably never left: the
/// connection could not be established (refused, DNS, TLS). Once it may have reached QIWI, a
/// failure is returned as [`ApiError::OutcomeUnknown`](crate::error::ApiError::OutcomeUnknown), never retried.
///
/// A server's `Retry-After` is honoured and never shortened: when it asks for longer than
/// [`RetryPolicy::max_delay`] (or than the time left), the call returns at once with QIWI's
/// answer, which [`ApiError`](crate::error::ApiError) reports as [`ApiError::RateLimited`](crate::error::ApiError::RateLimited) with the wait.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub(super) max_attempts: u32,
    pub(super) base_delay: Duration,
    pub(super) max_delay: Duration,
    pub(super) max_elapsed: Duration,
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
    pub(super) fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
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

/// Whether a `5xx` may pass if the same request is sent again: `500`, `502`, `503`, `504` (not
/// `501 Not Implemented`, `505` …). The transport's retries and every client's
/// `is_retryable` read this one list.
pub fn is_transient_server_status(status: u16) -> bool {
    matches!(status, 500 | 502 | 503 | 504)
}

pub(super) fn is_retryable_status(s: StatusCode) -> bool {
    matches!(s.as_u16(), 423 | 429) || is_transient_server_status(s.as_u16())
}

/// `Retry-After` in seconds; an HTTP-date value is left to the backoff.
pub(super) fn retry_after(r: &Response) -> Option<Duration> {
    retry_after_header(r.headers())
}

pub(crate) fn retry_after_header(headers: &header::HeaderMap) -> Option<Duration> {
    headers
        .get(header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}
