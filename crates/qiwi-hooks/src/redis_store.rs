//! [`RedisStore`]: the deduplication store of receivers on several machines, in Redis
//! (feature `redis`).
//!
//! Each key is one Redis string, `{prefix}:{family}:{key}`, holding `inflight:<claim>` (with
//! the lease as its expiry; `<claim>` names the delivery that owns it) or `done` (with the
//! store's TTL): a claim is one atomic script (`SET NX PX`, or the value that is there), so two
//! machines never both own one notification, and a release deletes only its own claim — never a
//! `done`, never another machine's claim made after this one's lease ended. Memory is
//! bounded by the TTL and by Redis' own `maxmemory`: run Redis with
//! `maxmemory-policy volatile-ttl` (every key here has an expiry, the soonest go first) or
//! `noeviction` (writes then fail, which the receiver answers with a retryable status —
//! nothing is lost), never an `allkeys-*` policy that may evict a `done` key of a notification
//! QIWI still retries.
//!
//! When Redis cannot be reached, [`DedupeStore::claim`] says [`Claim::Unavailable`] and the
//! receiver answers QIWI `503` with `Retry-After`: nothing is acknowledged or handled until
//! Redis is back, so nothing is lost and nothing is handled twice. A `complete` (or `release`)
//! that fails is written again in the background until Redis takes it; meanwhile the key stays
//! claimed, so no other machine handles it. An outage longer than the lease (60 s by default)
//! could let a redelivery be handled again before the write lands: keep the lease above the
//! outages you plan for (`with_lease`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::dedupe::{Claim, DEFAULT_LEASE, DedupeStore};
use crate::event::Family;

/// How long a Redis command may take before the store counts Redis as unreachable: well
/// within the 10 s QIWI waits for an answer.
pub const REDIS_TIMEOUT: Duration = Duration::from_millis(500);

/// Claims a key for claim ARGV[2]: `new` when it was free (now claimed for the lease ARGV[1]),
/// else what it holds.
const CLAIM: &str = r"
if redis.call('SET', KEYS[1], ARGV[2], 'NX', 'PX', ARGV[1]) then return 'new' end
return redis.call('GET', KEYS[1]) or 'new'
";

/// Forgets a key only while it holds claim ARGV[1]: a release never undoes a `done` nor
/// another delivery's claim.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

/// A claim's value: `inflight:` and the claim's name.
const INFLIGHT: &str = "inflight:";

/// Why a [`RedisStore`] could not be made. Never holds the URL (it may carry a password).
#[derive(Debug)]
pub struct RedisStoreError(String);

impl std::fmt::Display for RedisStoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redis: {}", self.0)
    }
}

impl std::error::Error for RedisStoreError {}

/// What kind of failure, without the server's text or the URL.
fn kind(e: &redis::RedisError) -> String {
    format!("{:?}", e.kind())
}

/// Deduplication shared by every receiver that points at one Redis.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use qiwi_hooks::{Keys, Receiver, RedisStore};
///
/// let store = RedisStore::connect(&std::env::var("REDIS_URL")?).await?.with_prefix("shop");
/// let receiver = Receiver::new(Keys::from_env()?).with_store(store);
/// # let _ = receiver;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    prefix: String,
    ttl: Duration,
    lease: Duration,
    claim: redis::Script,
    release: redis::Script,
    /// This store's claims still open: full key → claim value, so that a release deletes only
    /// its own claim.
    claims: Arc<Mutex<HashMap<String, String>>>,
    /// Names this store's claims apart from other processes' (process, start time, counter).
    owner: Arc<(String, AtomicU64)>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("ttl", &self.ttl)
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects to the Redis at `url` (`redis://host:port/db`, `rediss://` for TLS where the
    /// redis crate is built with it). Keys are kept 48 hours (longer than QIWI retries) under
    /// the prefix `qiwi-hooks`; a claim nobody completes ends after [`DEFAULT_LEASE`].
    ///
    /// # Errors
    /// A URL that is not one, or a Redis that does not answer now. Once made, the store
    /// reconnects by itself.
    pub async fn connect(url: &str) -> Result<RedisStore, RedisStoreError> {
        // The URL may hold a password: errors name the failure, never the URL.
        let client = redis::Client::open(url)
            .map_err(|e| RedisStoreError(format!("not a Redis URL ({})", kind(&e))))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(REDIS_TIMEOUT))
            .set_response_timeout(Some(REDIS_TIMEOUT))
            .set_number_of_retries(1);
        let connection = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(|e| RedisStoreError(format!("no answer ({})", kind(&e))))?;
        Ok(RedisStore {
            connection,
            prefix: "qiwi-hooks".into(),
            ttl: Duration::from_secs(48 * 3600),
            lease: DEFAULT_LEASE,
            claim: redis::Script::new(CLAIM),
            release: redis::Script::new(RELEASE),
            claims: Arc::default(),
            owner: Arc::new((owner_name(), AtomicU64::new(0))),
        })
    }

    /// Keys under `prefix` (one per application sharing a Redis).
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long a handled key is kept (at least as long as QIWI retries: 24 hours for P2P).
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl.max(Duration::from_millis(1));
        self
    }

    /// How long a claim lasts when its delivery neither completes nor releases it.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(1));
        self
    }

    fn key(&self, family: Family, key: &str) -> String {
        format!("{}:{family}:{key}", self.prefix)
    }
}

/// Runs `write` again in the background, with backoff, until Redis takes it (or ten minutes
/// pass): a notification handled while Redis was away is recorded as soon as Redis is back —
/// before its claim's lease ends, when the outage was shorter — and a failed one is released
/// so that QIWI's retry is handled without waiting for the lease.
fn again_until_ok<F, Fut>(write: F)
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = redis::RedisResult<()>> + Send,
{
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        let mut wait = Duration::from_millis(100);
        let give_up = tokio::time::Instant::now() + Duration::from_secs(600);
        while tokio::time::Instant::now() < give_up {
            tokio::time::sleep(wait).await;
            if write().await.is_ok() {
                return;
            }
            wait = (wait * 2).min(Duration::from_secs(5));
        }
        tracing::error!("Redis stayed away for ten minutes; a claim ends with its lease");
    });
}

/// This process and this moment: unique enough between machines that share a Redis (the
/// counter makes each claim of one store distinct).
fn owner_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{}-{nanos:x}", std::process::id())
}

impl RedisStore {
    fn open_claims(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.claims
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl DedupeStore for RedisStore {
    async fn claim(&self, family: Family, key: &str) -> Claim {
        let mut connection = self.connection.clone();
        let key = self.key(family, key);
        let n = self.owner.1.fetch_add(1, Ordering::Relaxed);
        let value = format!("{INFLIGHT}{}-{n}", self.owner.0);
        let answer: redis::RedisResult<String> = self
            .claim
            .key(&key)
            .arg(millis(self.lease))
            .arg(&value)
            .invoke_async(&mut connection)
            .await;
        match answer.as_deref() {
            Ok("new") => {
                self.open_claims().insert(key, value);
                Claim::New
            }
            Ok("done") => Claim::Done,
            Ok(_) => Claim::InProgress,
            Err(e) => {
                tracing::warn!(%family, error = %kind(e), "Redis did not answer a claim");
                Claim::Unavailable
            }
        }
    }

    async fn complete(&self, family: Family, key: &str) {
        let store = self.clone();
        let key = self.key(family, key);
        self.open_claims().remove(&key);
        let done = move || {
            let (store, key) = (store.clone(), key.clone());
            async move {
                let mut connection = store.connection.clone();
                redis::cmd("SET")
                    .arg(&key)
                    .arg("done")
                    .arg("PX")
                    .arg(millis(store.ttl))
                    .query_async::<()>(&mut connection)
                    .await
            }
        };
        if let Err(e) = done().await {
            tracing::error!(%family, error = %kind(&e), "Redis did not record a handled notification; retrying until it does");
            again_until_ok(done);
        }
    }

    async fn release(&self, family: Family, key: &str) {
        let store = self.clone();
        let key = self.key(family, key);
        // Only a claim this store made is released, and only while Redis still holds it.
        let Some(value) = self.open_claims().remove(&key) else {
            return;
        };
        let release = move || {
            let (store, key, value) = (store.clone(), key.clone(), value.clone());
            async move {
                let mut connection = store.connection.clone();
                store
                    .release
                    .key(&key)
                    .arg(&value)
                    .invoke_async::<i64>(&mut connection)
                    .await
                    .map(drop)
            }
        };
        if let Err(e) = release().await {
            tracing::warn!(%family, error = %kind(&e), "Redis did not release a claim; retrying until it does");
            again_until_ok(release);
        }
    }

    async fn hold(&self, family: Family, key: &str, delay: Duration) {
        let mut connection = self.connection.clone();
        let key = self.key(family, key);
        self.open_claims().remove(&key);
        let set: redis::RedisResult<()> = redis::cmd("SET")
            .arg(&key)
            .arg(format!("{INFLIGHT}hold"))
            .arg("PX")
            .arg(millis(delay))
            .query_async(&mut connection)
            .await;
        if let Err(e) = set {
            tracing::warn!(%family, error = %kind(&e), "Redis did not hold a contradicted claim");
        }
    }
}
