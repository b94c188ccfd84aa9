//! Waiting until a bill is final: polling with backoff until a deadline, optionally woken at
//! once by your notifications.

use std::time::Duration;

use futures_util::{FutureExt as _, Stream, StreamExt as _};
use qiwi_core::p2p::BillStatusValue;

use crate::bills::{Bill, BillId, is_final};
use crate::client::Client;
use crate::error::Error;

/// What [`WaitPaid::on_read`] calls.
type OnRead<'a> = Box<dyn FnMut(&Bill) + Send + 'a>;

/// Waits until a bill is `PAID`, `REJECTED` or `EXPIRED`: [`crate::bills::Bills::wait_paid`].
///
/// It reads the bill, then again after 1 s, 2 s, 4 s … (at most [`WaitPaid::max_interval`]
/// apart) until the bill is final or the deadline passes. Failures that may pass (a `5xx`, a
/// timeout, a rate limit) are waited out; others end the wait. With
/// [`WaitPaid::wake_on`] a stream of bill ids — the ids of verified notifications from
/// qiwi-hooks, say — makes it read the bill at once when its id arrives: the notification
/// only wakes the wait, the status always comes from the API.
///
/// ```no_run
/// # async fn run(client: qiwi_p2p::Client) -> Result<(), qiwi_p2p::Error> {
/// use std::time::Duration;
/// use qiwi_core::p2p::BillStatusValue;
///
/// let bill = client.bills().wait_paid("order-42").deadline(Duration::from_secs(600)).send().await?;
/// if bill.status.value == BillStatusValue::Paid {
///     println!("paid");
/// }
/// # Ok(()) }
/// ```
#[must_use = "nothing is read until `send`"]
pub struct WaitPaid<'a> {
    client: &'a Client,
    bill_id: Result<BillId, Error>,
    deadline: Duration,
    first_interval: Duration,
    max_interval: Duration,
    wake_gap: Duration,
    on_read: Option<OnRead<'a>>,
}

impl std::fmt::Debug for WaitPaid<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitPaid")
            .field("bill_id", &self.bill_id)
            .field("deadline", &self.deadline)
            .field("first_interval", &self.first_interval)
            .field("max_interval", &self.max_interval)
            .field("wake_gap", &self.wake_gap)
            .field("on_read", &self.on_read.is_some())
            .finish()
    }
}

impl<'a> WaitPaid<'a> {
    pub(crate) fn new(client: &'a Client, bill_id: Result<BillId, Error>) -> Self {
        WaitPaid {
            client,
            bill_id,
            deadline: Duration::from_secs(15 * 60),
            first_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(30),
            wake_gap: Duration::from_millis(500),
            on_read: None,
        }
    }

    /// Calls `seen` with the bill after every successful read, final or not: for a progress
    /// line.
    pub fn on_read(mut self, seen: impl FnMut(&Bill) + Send + 'a) -> Self {
        self.on_read = Some(Box::new(seen));
        self
    }

    /// How long to wait in all (default 15 minutes); then [`Error::Deadline`].
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The first pause between reads (default 1 s); each next one doubles.
    pub fn first_interval(mut self, interval: Duration) -> Self {
        self.first_interval = interval;
        self
    }

    /// The longest pause between reads (default 30 s).
    pub fn max_interval(mut self, interval: Duration) -> Self {
        self.max_interval = interval;
        self
    }

    /// The shortest time between two reads when a wake-up comes soon after a read (default
    /// 500 ms): a stream that repeats the bill's id (replayed notifications, a bug) cannot turn
    /// the wait into a flood of API calls.
    pub fn min_wake_gap(mut self, gap: Duration) -> Self {
        self.wake_gap = gap;
        self
    }

    /// Polls until the bill is final or the deadline passes.
    pub async fn send(self) -> Result<Bill, Error> {
        self.wake_on(futures_util::stream::pending::<String>())
            .await
    }

    /// Polls, and reads the bill at once whenever `ids` yields its id (other ids are ignored;
    /// the stream ending leaves polling alone).
    pub async fn wake_on<S, I>(mut self, ids: S) -> Result<Bill, Error>
    where
        S: Stream<Item = I> + Unpin,
        I: AsRef<str>,
    {
        let id = self.bill_id.clone()?;
        let start = tokio::time::Instant::now();
        // A deadline past what an `Instant` holds means "no deadline": a century will do.
        let end = start
            .checked_add(self.deadline)
            .unwrap_or_else(|| start + Duration::from_secs(100 * 365 * 24 * 60 * 60));
        let mut interval = self.first_interval.max(Duration::from_millis(10));
        let mut last: Option<BillStatusValue> = None;
        let mut ids = ids.fuse();
        loop {
            let read_at = tokio::time::Instant::now();
            let deadline = |last| Error::Deadline {
                bill_id: id.to_string(),
                last_status: last,
                waited: start.elapsed(),
            };
            // The read's own retries must not outlast the deadline either.
            match tokio::time::timeout_at(end, self.client.bills().get(&id).send()).await {
                Err(_elapsed) => return Err(deadline(last)),
                Ok(Ok(bill)) => {
                    if let Some(seen) = self.on_read.as_mut() {
                        seen(&bill);
                    }
                    if is_final(&bill.status.value) {
                        return Ok(bill);
                    }
                    last = Some(bill.status.value);
                }
                Ok(Err(e)) if e.is_retryable() => {}
                Ok(Err(e)) => return Err(e),
            }
            let now = tokio::time::Instant::now();
            if now >= end {
                return Err(deadline(last));
            }
            let next = now.checked_add(interval).map_or(end, |at| at.min(end));
            let pause = tokio::time::sleep_until(next);
            tokio::pin!(pause);
            loop {
                tokio::select! {
                    () = &mut pause => break,
                    woken = ids.next() => match woken {
                        Some(woken) if woken.as_ref() == id.as_str() => {
                            // Woken: read at once, but never sooner than the gap after the
                            // last read (nor later than the timer would).
                            let earliest = read_at.checked_add(self.wake_gap).unwrap_or(end);
                            tokio::select! {
                                () = &mut pause => {}
                                () = tokio::time::sleep_until(earliest.min(end)) => {}
                            }
                            // Wake-ups that came meanwhile are served by this one read.
                            while let Some(Some(_)) = ids.next().now_or_never() {}
                            break;
                        }
                        Some(_) => {}
                        // Ended: only the timer wakes the wait from now on.
                        None => {
                            (&mut pause).await;
                            break;
                        }
                    },
                }
            }
            interval = interval
                .saturating_mul(2)
                .min(self.max_interval.max(Duration::from_millis(10)));
        }
    }
}
