//! A [`Throttle`] that keeps under a limit instead of meeting it: GCRA from `governor`.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use super::{SeamFuture, Throttle};

/// At most `count` requests in any `period`, spread evenly (GCRA), for the operations it is
/// given. Clones share one budget: give every client of one wallet the same `RateLimit`.
///
/// QIWI locks a wallet's history for 5 minutes after 100 history requests in a minute (HTTP
/// `423`); [`RateLimit::wallet_history`] keeps under it:
///
/// ```no_run
/// # #[cfg(feature = "wallet")]
/// # fn run(token: qiwi_core::secret::WalletToken) -> Result<(), qiwi_sys::transport::ClientError> {
/// use qiwi_sys::transport::RateLimit;
///
/// let client = qiwi_sys::wallet::Client::builder(token)
///     .throttle(RateLimit::wallet_history())
///     .build()?;
/// # let _ = client;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RateLimit {
    limiter: Arc<DefaultDirectRateLimiter>,
    count: NonZeroU32,
    period: Duration,
    burst: NonZeroU32,
    operations: Option<&'static [&'static str]>,
}

impl std::fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimit")
            .field("count", &self.count)
            .field("period", &self.period)
            .field("burst", &self.burst)
            .field("operations", &self.operations)
            .finish()
    }
}

/// The Wallet API operations QIWI counts against a wallet's history limit.
pub const WALLET_HISTORY_OPERATIONS: &[&str] = &[
    "get_payment_history",
    "get_payment_totals",
    "get_transaction",
];

impl RateLimit {
    /// At most `count` requests of every operation in any `period`, spread evenly: the first
    /// goes at once, the next after `period / count`.
    ///
    /// # Panics
    /// Never: a `count` of 0 is taken as 1, a zero `period` as one millisecond.
    pub fn new(count: u32, period: Duration) -> RateLimit {
        let count = NonZeroU32::new(count).unwrap_or(NonZeroU32::MIN);
        let period = period.max(Duration::from_millis(1));
        RateLimit::build(count, period, NonZeroU32::MIN, None)
    }

    /// QIWI's wallet history limit (100 requests a minute per wallet) with a margin: 90 a
    /// minute and a burst of 5, so that no 60-second window, however it falls, holds more than
    /// 95 of them; only the history operations ([`WALLET_HISTORY_OPERATIONS`]) wait.
    pub fn wallet_history() -> RateLimit {
        RateLimit::new(90, Duration::from_secs(60))
            .burst(5)
            .only(WALLET_HISTORY_OPERATIONS)
    }

    /// Lets `burst` requests go at once after a quiet spell (1 by default). A window of
    /// `period` can then hold `count + burst - 1` of them: subtract the burst from the count
    /// when the server counts in windows.
    pub fn burst(self, burst: u32) -> RateLimit {
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        RateLimit::build(self.count, self.period, burst, self.operations)
    }

    /// Only these operations (progenitor's operation ids) wait; the others pass.
    pub fn only(mut self, operations: &'static [&'static str]) -> RateLimit {
        self.operations = Some(operations);
        self
    }

    fn build(
        count: NonZeroU32,
        period: Duration,
        burst: NonZeroU32,
        operations: Option<&'static [&'static str]>,
    ) -> RateLimit {
        RateLimit {
            limiter: Arc::new(RateLimiter::direct(quota(count, period, burst))),
            count,
            period,
            burst,
            operations,
        }
    }

    fn applies_to(&self, operation: &str) -> bool {
        self.operations.is_none_or(|ops| ops.contains(&operation))
    }
}

/// GCRA's quota: one replenishment every `period / count` (at least a nanosecond, so that the
/// quota is always valid), `burst` at once.
fn quota(count: NonZeroU32, period: Duration, burst: NonZeroU32) -> Quota {
    let interval = (period / count.get()).max(Duration::from_nanos(1));
    Quota::with_period(interval)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

impl Throttle for RateLimit {
    fn acquire<'a>(&'a self, operation: &'a str) -> SeamFuture<'a> {
        Box::pin(async move {
            if self.applies_to(operation) {
                self.limiter.until_ready().await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::{Clock as _, FakeRelativeClock, Reference as _};

    /// Sends as fast as the quota allows for `total`, on a fake clock: the send times.
    fn send_times(limit: &RateLimit, total: Duration) -> Vec<Duration> {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::direct_with_clock(
            quota(limit.count, limit.period, limit.burst),
            clock.clone(),
        );
        let start = clock.now();
        let mut times = Vec::new();
        loop {
            let now = clock.now().duration_since(start).into();
            if now > total {
                return times;
            }
            match limiter.check() {
                Ok(()) => times.push(now),
                Err(not_yet) => clock.advance(not_yet.wait_time_from(clock.now())),
            }
        }
    }

    #[test]
    fn the_wallet_history_limit_keeps_every_minute_under_qiwis_100() {
        let times = send_times(&RateLimit::wallet_history(), Duration::from_secs(600));
        let minute = Duration::from_secs(60);
        // However a 60-second window falls (starting at any send), it holds at most 95.
        let busiest = times
            .iter()
            .map(|&from| {
                times
                    .iter()
                    .filter(|&&t| t >= from && t < from + minute)
                    .count()
            })
            .max()
            .unwrap();
        assert_eq!(busiest, 95);
        // And the pace is the 90 a minute it promises: 10 minutes hold 5 + 90 * 10.
        assert_eq!(times.len(), 5 + 900);
    }

    #[test]
    fn only_the_named_operations_wait() {
        let limit = RateLimit::wallet_history();
        assert!(limit.applies_to("get_payment_history") && limit.applies_to("get_transaction"));
        assert!(!limit.applies_to("create_payment"));
        assert!(RateLimit::new(1, Duration::from_secs(1)).applies_to("anything"));
    }

    #[cfg(feature = "wallet")]
    #[test]
    fn the_history_operations_are_the_wallet_apis() {
        let snake = |id: &str| {
            id.chars().fold(String::new(), |mut s, c| {
                if c.is_ascii_uppercase() {
                    s.push('_');
                }
                s.push(c.to_ascii_lowercase());
                s
            })
        };
        let ids: Vec<String> = crate::wallet::OPERATIONS
            .iter()
            .map(|(_, _, id)| snake(id))
            .collect();
        for op in WALLET_HISTORY_OPERATIONS {
            assert!(ids.iter().any(|id| id == op), "{op} in {ids:?}");
        }
    }
}
