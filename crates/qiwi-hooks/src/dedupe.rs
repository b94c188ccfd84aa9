//! Deduplication of deliveries, after verification only.
//!
//! Only verified notifications that are not tests reach the store, under keys built from
//! their signed values ([`Event::dedupe_key`](crate::Event::dedupe_key)), so nobody without a
//! genuine notification can add a key, and each family has its own share of the store, so
//! one family's volume never evicts another's keys. The store is an optimisation: handlers
//! must still be idempotent on the signed id.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::event::Family;

/// What the store says about a notification's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Not seen (or forgotten): the caller now owns it and must `complete` or `release` it.
    New,
    /// Another delivery of it is being handled right now.
    InProgress,
    /// Handled successfully before: acknowledge without handling again.
    Done,
    /// The store could not say (a shared store that is unreachable): the receiver answers
    /// QIWI with a retryable status — neither acknowledged nor handled, so neither lost nor
    /// handled twice — and QIWI's retry finds the store back.
    Unavailable,
}

/// Where handled notification keys are remembered. Implement it over Redis or a database to
/// deduplicate across processes (keep the families apart, e.g. by key prefix, and keep keys
/// at least as long as QIWI retries); [`MemoryStore`] is the default.
pub trait DedupeStore: Send + Sync + 'static {
    /// Claims `key` of `family` for handling, atomically.
    fn claim(&self, family: Family, key: &str) -> impl Future<Output = Claim> + Send;
    /// Records that the handler succeeded for `key`.
    fn complete(&self, family: Family, key: &str) -> impl Future<Output = ()> + Send;
    /// Forgets `key` after the handler failed, so QIWI's retry is handled.
    fn release(&self, family: Family, key: &str) -> impl Future<Output = ()> + Send;
    /// Keeps `key` claimed (answered [`Claim::InProgress`]) for `delay`, then forgets it: a
    /// claim QIWI's API contradicted is checked again after that, not on every replay. The
    /// default forgets it at once; a shared store should expire it (`SET … PX`).
    fn hold(&self, family: Family, key: &str, delay: Duration) -> impl Future<Output = ()> + Send {
        let _ = delay;
        self.release(family, key)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Claimed, until the instant given (the lease, or a hold).
    InProgress(Instant),
    Done,
}

struct Inner {
    entries: HashMap<Arc<str>, (State, Instant)>,
    /// Keys in the order they were last touched; stale duplicates are skipped lazily.
    order: VecDeque<(Arc<str>, Instant)>,
}

/// A bounded in-memory store: at most `capacity` keys per family, each forgotten `ttl` after
/// it was last touched. When a family's share is full, its oldest keys go first. A claim
/// nobody completed or released ends after the in-flight lease (see
/// [`MemoryStore::with_lease`]).
pub struct MemoryStore {
    families: [Mutex<Inner>; 3],
    capacity: usize,
    ttl: Duration,
    lease: Duration,
}

/// How long a claim lasts when the delivery that made it neither completes nor releases it (a
/// handler that hangs): the receiver releases cancelled deliveries itself, so this is only the
/// backstop. Longer than any handler should run, shorter than QIWI's retry interval.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);

impl Default for MemoryStore {
    /// 100 000 keys per family for 48 hours: longer than QIWI retries (P2P: 24 hours;
    /// wallet: 1 hour; Payment Protocol: minutes).
    fn default() -> Self {
        MemoryStore::new(100_000, Duration::from_secs(48 * 3600))
    }
}

impl MemoryStore {
    /// A store of at most `capacity` keys per family (at least 1), each kept for `ttl`.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        let inner = || {
            Mutex::new(Inner {
                entries: HashMap::new(),
                order: VecDeque::new(),
            })
        };
        MemoryStore {
            families: [inner(), inner(), inner()],
            capacity: capacity.max(1),
            ttl,
            lease: DEFAULT_LEASE,
        }
    }

    /// Sets how long an unfinished claim lasts (default [`DEFAULT_LEASE`], 60 s). A handler
    /// still running after it may be run again by QIWI's retry, so keep it above your
    /// handler's longest run.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// How many keys are remembered, in all families.
    pub fn len(&self) -> usize {
        Family::ALL.iter().map(|f| self.family_len(*f)).sum()
    }

    /// How many keys of `family` are remembered.
    pub fn family_len(&self, family: Family) -> usize {
        self.lock(family).entries.len()
    }

    /// Whether no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self, family: Family) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves the maps consistent (every update is one
        // insert or remove), so a poisoned lock is still usable.
        self.families[family.index()]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    fn evict(&self, inner: &mut Inner, now: Instant) {
        while let Some((key, at)) = inner.order.front() {
            let live = inner.entries.get(key).is_some_and(|(_, t)| t == at);
            let expired = now.duration_since(*at) >= self.ttl;
            if live && !expired && inner.entries.len() <= self.capacity {
                break;
            }
            let (key, at) = inner.order.pop_front().expect("front exists");
            if inner.entries.get(&key).is_some_and(|(_, t)| *t == at) {
                inner.entries.remove(&key);
            }
        }
        // Stale order entries of keys touched again are dropped as they reach the front.
        if inner.order.len() > 2 * self.capacity + 16 {
            let entries = &inner.entries;
            inner
                .order
                .retain(|(k, at)| entries.get(k).is_some_and(|(_, t)| t == at));
        }
    }

    fn touch(&self, inner: &mut Inner, key: &str, state: State, now: Instant) {
        let key: Arc<str> = match inner.entries.get_key_value(key) {
            Some((k, _)) => k.clone(),
            None => Arc::from(key),
        };
        inner.order.push_back((key.clone(), now));
        inner.entries.insert(key, (state, now));
        self.evict(inner, now);
    }
}

impl DedupeStore for MemoryStore {
    async fn claim(&self, family: Family, key: &str) -> Claim {
        let now = Instant::now();
        let mut inner = self.lock(family);
        self.evict(&mut inner, now);
        match inner.entries.get(key) {
            Some((State::Done, _)) => Claim::Done,
            Some((State::InProgress(until), _)) if *until > now => Claim::InProgress,
            Some((State::InProgress(_), _)) | None => {
                let until = now.checked_add(self.lease).unwrap_or(now);
                self.touch(&mut inner, key, State::InProgress(until), now);
                Claim::New
            }
        }
    }

    async fn complete(&self, family: Family, key: &str) {
        let now = Instant::now();
        let mut inner = self.lock(family);
        self.touch(&mut inner, key, State::Done, now);
    }

    async fn release(&self, family: Family, key: &str) {
        self.lock(family).entries.remove(key);
    }

    async fn hold(&self, family: Family, key: &str, delay: Duration) {
        let now = Instant::now();
        let until = now.checked_add(delay).unwrap_or(now);
        let mut inner = self.lock(family);
        self.touch(&mut inner, key, State::InProgress(until), now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: Family = Family::Wallet;

    fn block<F: Future>(f: F) -> F::Output {
        futures_util::FutureExt::now_or_never(f).expect("the memory store never waits")
    }

    #[test]
    fn claim_complete_release() {
        let s = MemoryStore::default();
        assert!(s.is_empty());
        assert_eq!(block(s.claim(W, "a")), Claim::New);
        assert!(!s.is_empty());
        assert_eq!(block(s.claim(W, "a")), Claim::InProgress);
        block(s.complete(W, "a"));
        block(s.hold(W, "held", Duration::from_secs(60)));
        assert_eq!(block(s.claim(W, "held")), Claim::InProgress);
        block(s.release(W, "held"));
        assert_eq!(block(s.claim(W, "a")), Claim::Done);
        assert_eq!(block(s.claim(W, "b")), Claim::New);
        block(s.release(W, "b"));
        assert_eq!(block(s.claim(W, "b")), Claim::New);
        // The same key text in another family is another key.
        assert_eq!(block(s.claim(Family::P2p, "a")), Claim::New);
        assert_eq!(s.len(), 3);
        assert_eq!(s.family_len(Family::P2p), 1);
    }

    #[test]
    fn unfinished_claims_and_holds_end_with_their_lease() {
        let s = MemoryStore::default().with_lease(Duration::from_millis(30));
        assert_eq!(block(s.claim(W, "a")), Claim::New);
        assert_eq!(block(s.claim(W, "a")), Claim::InProgress);
        block(s.hold(W, "h", Duration::from_millis(30)));
        assert_eq!(block(s.claim(W, "h")), Claim::InProgress);
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(block(s.claim(W, "a")), Claim::New, "the lease ended");
        assert_eq!(block(s.claim(W, "h")), Claim::New, "the hold ended");
        // A completed key is not subject to the lease.
        block(s.complete(W, "a"));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(block(s.claim(W, "a")), Claim::Done);
        // The default lease is a minute, and a held key does not outlive its hold by a lease.
        assert_eq!(DEFAULT_LEASE, Duration::from_secs(60));
        let d = MemoryStore::default();
        block(d.hold(W, "x", Duration::ZERO));
        assert_eq!(block(d.claim(W, "x")), Claim::New);
    }

    #[test]
    fn capacity_and_ttl_bound_memory() {
        let s = MemoryStore::new(3, Duration::from_secs(3600));
        for k in ["a", "b", "c", "d"] {
            assert_eq!(block(s.claim(W, k)), Claim::New);
            block(s.complete(W, k));
        }
        assert_eq!(s.len(), 3);
        assert_eq!(
            block(s.claim(W, "a")),
            Claim::New,
            "the oldest key was evicted"
        );
        assert_eq!(block(s.claim(W, "d")), Claim::Done, "the newest key stays");
        for i in 0..1000 {
            block(s.complete(W, &format!("k{i}")));
        }
        assert_eq!(s.len(), 3);

        let short = MemoryStore::new(10, Duration::from_millis(0));
        block(short.complete(W, "x"));
        assert_eq!(
            block(short.claim(W, "x")),
            Claim::New,
            "expired keys are forgotten"
        );
    }

    #[test]
    fn touching_one_key_again_and_again_stays_bounded() {
        // Every touch queues the key again; the stale entries must be compacted away.
        let s = MemoryStore::new(3, Duration::from_secs(3600));
        block(s.complete(W, "first"));
        let mut longest = 0;
        for _ in 0..1000 {
            block(s.complete(W, "hot"));
            longest = longest.max(s.lock(W).order.len());
        }
        // Compaction is O(n): it runs only once the queue holds more than 2 × capacity + 16
        // entries, never on every touch.
        assert_eq!(longest, 2 * 3 + 16);
        assert_eq!(
            block(s.claim(W, "first")),
            Claim::Done,
            "compaction keeps live keys"
        );
        assert_eq!(block(s.claim(W, "hot")), Claim::Done);
        // ... in their order: the oldest live key is still the first to go.
        block(s.complete(W, "new"));
        assert_eq!(s.len(), 3);
        block(s.complete(W, "newer"));
        assert_eq!(s.len(), 3);
        assert_eq!(
            block(s.claim(W, "first")),
            Claim::New,
            "the oldest went first"
        );
    }

    #[test]
    fn one_family_never_evicts_another() {
        let s = MemoryStore::new(10, Duration::from_secs(3600));
        block(s.complete(Family::P2p, "bill"));
        block(s.complete(Family::Payin, "payment"));
        for i in 0..1000 {
            block(s.complete(W, &format!("w{i}")));
        }
        assert_eq!(block(s.claim(Family::P2p, "bill")), Claim::Done);
        assert_eq!(block(s.claim(Family::Payin, "payment")), Claim::Done);
        assert_eq!(s.family_len(W), 10);
    }
}
