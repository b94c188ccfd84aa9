//! New incoming payments as a stream: the history polled within the throttle, each payment
//! yielded once, across restarts, through a checkpoint store.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{Stream, TryStreamExt as _};
use qiwi_core::wallet::WalletTxnStatus;
use qiwi_sys::wallet::types::{HistoryOperation, Transaction};
use time::OffsetDateTime;

use crate::{Error, Wallet};

/// How far before the checkpoint each poll reads again: QIWI may show a transaction a little
/// after its date, and a waiting payment keeps its date when it succeeds.
pub const OVERLAP: time::Duration = time::Duration::minutes(10);

/// Where [`Wallet::incoming`] keeps what it has yielded: from this time on, these ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Payments dated from here on (less [`OVERLAP`]) are read on the next poll.
    pub since: OffsetDateTime,
    /// The ids of the payments yielded that are still inside the overlap.
    pub seen: BTreeSet<i64>,
}

impl Checkpoint {
    /// The checkpoint as text: the time (RFC 3339), then one id a line. For a file.
    pub fn to_text(&self) -> String {
        let since = self
            .since
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let mut text = since;
        for id in &self.seen {
            text.push('\n');
            text.push_str(&id.to_string());
        }
        text.push('\n');
        text
    }

    /// Reads [`Checkpoint::to_text`]'s text.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (field `checkpoint`) for anything else.
    pub fn from_text(text: &str) -> Result<Checkpoint, Error> {
        let bad = |why: &str| Error::invalid("checkpoint", why.to_owned());
        let mut lines = text.lines();
        let since = lines.next().ok_or_else(|| bad("empty"))?;
        let since =
            OffsetDateTime::parse(since.trim(), &time::format_description::well_known::Rfc3339)
                .map_err(|_| bad("the first line is not an RFC 3339 time"))?;
        let seen = lines
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                l.trim()
                    .parse::<i64>()
                    .map_err(|_| bad("an id is not a number"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Checkpoint { since, seen })
    }
}

/// Where checkpoints are kept, one per wallet: memory by default ([`MemoryCheckpoints`]); a
/// file or a shared store for a process that restarts.
pub trait CheckpointStore: Send + Sync {
    /// The wallet's checkpoint, if one was saved.
    fn load(&self, wallet: &str) -> impl Future<Output = Result<Option<Checkpoint>, Error>> + Send;
    /// Keeps the wallet's checkpoint.
    fn save(
        &self,
        wallet: &str,
        checkpoint: &Checkpoint,
    ) -> impl Future<Output = Result<(), Error>> + Send;
    /// Claims payment `txn_id` for this process before it is yielded: `false` when another
    /// process sharing the store has yielded it. A store of one process has nothing to share
    /// (the default: always `true`); a shared one claims atomically (`SET NX`).
    fn claim(&self, wallet: &str, txn_id: i64) -> impl Future<Output = Result<bool, Error>> + Send {
        let _ = (wallet, txn_id);
        async { Ok(true) }
    }
}

/// Checkpoints in memory, shared by clones: a restart of the stream in the same process
/// resumes; a new process starts afresh.
#[derive(Debug, Clone, Default)]
pub struct MemoryCheckpoints(Arc<Mutex<HashMap<String, Checkpoint>>>);

impl CheckpointStore for MemoryCheckpoints {
    async fn load(&self, wallet: &str) -> Result<Option<Checkpoint>, Error> {
        Ok(self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(wallet)
            .cloned())
    }

    async fn save(&self, wallet: &str, checkpoint: &Checkpoint) -> Result<(), Error> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(wallet.to_owned(), checkpoint.clone());
        Ok(())
    }
}

/// New incoming payments: [`Wallet::incoming`], then [`Incoming::stream`].
///
/// ```no_run
/// # async fn run(wallet: qiwi_wallet::Wallet) -> Result<(), qiwi_wallet::Error> {
/// use futures_util::StreamExt as _;
///
/// let mut payments = std::pin::pin!(wallet.incoming().stream());
/// while let Some(payment) = payments.next().await {
///     let payment = payment?;
///     println!("{:?} from {:?}: {:?}", payment.txn_id, payment.account, payment.sum);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Incoming<'a, S = MemoryCheckpoints> {
    wallet: &'a Wallet,
    store: S,
    interval: Duration,
    since: Option<OffsetDateTime>,
}

impl Wallet {
    /// New incoming payments, polled every 30 s (within the history throttle), checkpointed
    /// in memory; without a checkpoint, payments from now on.
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming {
            wallet: self,
            store: MemoryCheckpoints::default(),
            interval: Duration::from_secs(30),
            since: None,
        }
    }
}

/// What one poll found.
struct Poll {
    /// New successful payments, oldest first.
    new: Vec<Transaction>,
    /// The checkpoint once all of them are yielded.
    after: Checkpoint,
}

impl<'a, S: CheckpointStore + 'a> Incoming<'a, S> {
    /// How long to wait between polls (default 30 s).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Where the checkpoint is kept.
    pub fn store<T: CheckpointStore>(self, store: T) -> Incoming<'a, T> {
        Incoming {
            wallet: self.wallet,
            store,
            interval: self.interval,
            since: self.since,
        }
    }

    /// Without a saved checkpoint, start from `since` instead of now.
    pub fn since(mut self, since: OffsetDateTime) -> Self {
        self.since = Some(since);
        self
    }

    /// Every new successful incoming payment, oldest first, forever. A payment is yielded
    /// once: it is written to the checkpoint as it is yielded, so a stream started again
    /// with the same store (after a restart) goes on after it. A payment still `WAITING` is
    /// yielded when it succeeds. A failed poll is yielded as an error and polling goes on.
    ///
    /// Because the checkpoint is written as the payment is yielded, a process that dies while
    /// handling it does not see it again here; it is still in the history.
    pub fn stream(self) -> impl Stream<Item = Result<Transaction, Error>> + 'a {
        struct State<'a, S> {
            incoming: Incoming<'a, S>,
            checkpoint: Option<Checkpoint>,
            queue: VecDeque<Transaction>,
            after: Option<Checkpoint>,
            polled: bool,
        }
        let state = State {
            incoming: self,
            checkpoint: None,
            queue: VecDeque::new(),
            after: None,
            polled: false,
        };
        futures_util::stream::unfold(state, |mut st| async move {
            loop {
                let wallet = st.incoming.wallet.number.clone();
                if st.checkpoint.is_none() {
                    let loaded = match st.incoming.store.load(&wallet).await {
                        Ok(Some(saved)) => Ok(saved),
                        Ok(None) => st.incoming.baseline().await,
                        Err(e) => Err(e),
                    };
                    match loaded {
                        Ok(checkpoint) => st.checkpoint = Some(checkpoint),
                        Err(e) => return Some((Err(e), st)),
                    }
                }
                let checkpoint = st.checkpoint.as_mut().expect("loaded above");
                if let Some(txn) = st.queue.pop_front() {
                    if let Some(id) = txn.txn_id {
                        checkpoint.seen.insert(id);
                    }
                    if let Err(e) = st.incoming.store.save(&wallet, checkpoint).await {
                        return Some((Err(e), st));
                    }
                    // Another process sharing the store may have yielded it already.
                    match txn.txn_id {
                        Some(id) => match st.incoming.store.claim(&wallet, id).await {
                            Ok(true) => return Some((Ok(txn), st)),
                            Ok(false) => continue,
                            Err(e) => return Some((Err(e), st)),
                        },
                        None => return Some((Ok(txn), st)),
                    }
                }
                // Every payment of the last poll is out: the checkpoint moves on.
                if let Some(after) = st.after.take() {
                    *checkpoint = after;
                    if let Err(e) = st.incoming.store.save(&wallet, checkpoint).await {
                        return Some((Err(e), st));
                    }
                }
                if st.polled {
                    tokio::time::sleep(st.incoming.interval).await;
                }
                st.polled = true;
                match st.incoming.poll(checkpoint).await {
                    Ok(poll) => {
                        st.queue.extend(poll.new);
                        st.after = Some(poll.after);
                    }
                    Err(e) => return Some((Err(e), st)),
                }
            }
        })
    }

    /// One poll: the new successful incoming payments since the checkpoint, oldest first,
    /// written to the checkpoint before they are returned (as [`Incoming::stream`] writes
    /// them). For a job that runs now and then instead of following.
    pub async fn once(self) -> Result<Vec<Transaction>, Error> {
        let wallet = self.wallet.number.clone();
        let checkpoint = match self.store.load(&wallet).await? {
            Some(saved) => saved,
            None => self.baseline().await?,
        };
        let poll = self.poll(&checkpoint).await?;
        self.store.save(&wallet, &poll.after).await?;
        let mut mine = Vec::with_capacity(poll.new.len());
        for txn in poll.new {
            let claimed = match txn.txn_id {
                Some(id) => self.store.claim(&wallet, id).await?,
                None => true,
            };
            if claimed {
                mine.push(txn);
            }
        }
        Ok(mine)
    }

    /// The first checkpoint: from `since` (or now), the payments already there before it
    /// counted as seen, so that only later ones are new.
    async fn baseline(&self) -> Result<Checkpoint, Error> {
        let since = self.since.unwrap_or_else(OffsetDateTime::now_utc);
        let empty = Checkpoint {
            since,
            seen: BTreeSet::new(),
        };
        let before = self.poll(&empty).await?;
        let seen = before
            .new
            .iter()
            .filter(|t| {
                t.date
                    .as_ref()
                    .and_then(|d| d.instant().ok())
                    .is_some_and(|d| d < since)
            })
            .filter_map(|t| t.txn_id)
            .collect();
        Ok(Checkpoint { since, seen })
    }

    /// Reads the history from the checkpoint (less the overlap) to now.
    async fn poll(&self, checkpoint: &Checkpoint) -> Result<Poll, Error> {
        let now = OffsetDateTime::now_utc();
        let from = checkpoint.since - OVERLAP;
        let mut rows: Vec<Transaction> = self
            .wallet
            .history()
            .operation(HistoryOperation::In)
            .between(from, now)
            .stream()
            .try_collect()
            .await?;
        rows.reverse();
        let date = |t: &Transaction| t.date.as_ref().and_then(|d| d.instant().ok());
        // A waiting payment holds the checkpoint back until it is final.
        let waiting_since = rows
            .iter()
            .filter(|t| t.status == Some(WalletTxnStatus::Waiting))
            .filter_map(date)
            .min();
        let since = waiting_since
            .map_or(now, |w| w.min(now))
            .max(checkpoint.since);
        let new: Vec<Transaction> = rows
            .iter()
            .filter(|t| t.status == Some(WalletTxnStatus::Success))
            .filter(|t| t.txn_id.is_some_and(|id| !checkpoint.seen.contains(&id)))
            .cloned()
            .collect();
        // The ids still inside the next poll's overlap, to be recognised there.
        let seen = rows
            .iter()
            .filter(|t| date(t).is_some_and(|d| d >= since - OVERLAP))
            .filter(|t| t.status == Some(WalletTxnStatus::Success))
            .filter_map(|t| t.txn_id)
            .collect();
        Ok(Poll {
            new,
            after: Checkpoint { since, seen },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_reads_back_its_text_and_refuses_other_text() {
        let checkpoint = Checkpoint {
            since: time::macros::datetime!(2026-12-05 10:00:00 +03:00),
            seen: [11, 12].into(),
        };
        let text = checkpoint.to_text();
        assert_eq!(text, "2026-12-05T10:00:00+03:00\n11\n12\n");
        assert_eq!(Checkpoint::from_text(&text).unwrap(), checkpoint);
        for bad in ["", "yesterday\n1\n", "2026-12-05T10:00:00+03:00\nx\n"] {
            assert!(Checkpoint::from_text(bad).is_err(), "{bad:?}");
        }
    }
}
