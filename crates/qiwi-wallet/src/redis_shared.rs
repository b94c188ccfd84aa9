//! Clients of one wallet on several machines (feature `redis`): the history budget shared
//! through Redis ([`RedisThrottle`]) and `incoming()`'s checkpoint in Redis
//! ([`RedisCheckpoints`]), so that each new payment is yielded by one process only.

use std::time::Duration;

use qiwi_sys::transport::{RateLimit, SeamFuture, Throttle, WALLET_HISTORY_OPERATIONS};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::Error;
use crate::incoming::{Checkpoint, CheckpointStore};

/// How long a Redis command may take before Redis counts as unreachable.
pub const REDIS_TIMEOUT: Duration = Duration::from_millis(500);

/// GCRA on Redis' own clock (one clock for every machine): `0` when a request may go now,
/// else how many microseconds to wait. ARGV: emission interval, burst tolerance (µs).
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allowed_at = tat - tolerance
if now < allowed_at then return allowed_at - now end
local next_tat = tat + interval
redis.call('SET', KEYS[1], next_tat, 'PX', math.ceil((next_tat - now) / 1000) + 1000)
return 0
";

/// Why a Redis-backed store could not be made. Never holds the URL (it may carry a password).
#[derive(Debug)]
pub struct RedisError(String);

impl std::fmt::Display for RedisError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redis: {}", self.0)
    }
}

impl std::error::Error for RedisError {}

fn kind(e: &redis::RedisError) -> String {
    format!("{:?}", e.kind())
}

async fn connect(url: &str) -> Result<ConnectionManager, RedisError> {
    let client = redis::Client::open(url)
        .map_err(|e| RedisError(format!("not a Redis URL ({})", kind(&e))))?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(REDIS_TIMEOUT))
        .set_response_timeout(Some(REDIS_TIMEOUT))
        .set_number_of_retries(1);
    ConnectionManager::new_with_config(client, config)
        .await
        .map_err(|e| RedisError(format!("no answer ({})", kind(&e))))
}

/// One wallet's history budget shared by every process that points at one Redis: QIWI's
/// limit with [`RateLimit::wallet_history`]'s margin (90 a minute, a burst of 5), counted
/// by one script on Redis' clock. While Redis is unreachable each process keeps to its
/// fallback (a quarter of the budget by default: four processes stay under QIWI's limit).
///
/// ```no_run
/// # async fn run(token: qiwi_wallet::WalletToken) -> Result<(), Box<dyn std::error::Error>> {
/// use qiwi_wallet::{RedisThrottle, Wallet};
///
/// let throttle = RedisThrottle::connect(&std::env::var("REDIS_URL")?, "79001234567").await?;
/// let wallet = Wallet::builder(token, "79001234567").throttle(throttle).build()?;
/// # let _ = wallet;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisThrottle {
    connection: ConnectionManager,
    key: String,
    interval_us: u64,
    tolerance_us: u64,
    script: redis::Script,
    fallback: RateLimit,
}

impl std::fmt::Debug for RedisThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisThrottle")
            .field("key", &self.key)
            .field("interval_us", &self.interval_us)
            .field("tolerance_us", &self.tolerance_us)
            .field("fallback", &self.fallback)
            .finish_non_exhaustive()
    }
}

impl RedisThrottle {
    /// The budget of wallet `number` in the Redis at `url`.
    ///
    /// # Errors
    /// A URL that is not one, or a Redis that does not answer now.
    pub async fn connect(url: &str, number: &str) -> Result<RedisThrottle, RedisError> {
        Ok(RedisThrottle {
            connection: connect(url).await?,
            key: format!("qiwi-wallet:history:{number}"),
            // 90 a minute with a burst of 5, as RateLimit::wallet_history.
            interval_us: 60_000_000 / 90,
            tolerance_us: 60_000_000 / 90 * 4,
            script: redis::Script::new(GCRA),
            fallback: RateLimit::new(22, Duration::from_secs(60)).only(WALLET_HISTORY_OPERATIONS),
        })
    }

    /// At most `count` history requests in any `period` with a burst of `burst` (for a wallet
    /// QIWI limits otherwise, or a test).
    pub fn with_budget(mut self, count: u32, period: Duration, burst: u32) -> Self {
        let interval =
            u64::try_from(period.as_micros()).unwrap_or(u64::MAX) / u64::from(count.max(1));
        self.interval_us = interval.max(1);
        self.tolerance_us = interval * u64::from(burst.max(1) - 1);
        self
    }

    /// What each process keeps to while Redis is unreachable.
    pub fn with_fallback(mut self, fallback: RateLimit) -> Self {
        self.fallback = fallback;
        self
    }

    /// Keys under `prefix` instead of `qiwi-wallet` (one per application sharing a Redis).
    pub fn with_prefix(mut self, prefix: &str) -> Self {
        if let Some(rest) = self.key.strip_prefix("qiwi-wallet") {
            self.key = format!("{prefix}{rest}");
        }
        self
    }

    async fn wait(&self) -> Result<(), redis::RedisError> {
        loop {
            let mut connection = self.connection.clone();
            let wait_us: u64 = self
                .script
                .key(&self.key)
                .arg(self.interval_us)
                .arg(self.tolerance_us)
                .invoke_async(&mut connection)
                .await?;
            if wait_us == 0 {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_micros(wait_us)).await;
        }
    }
}

impl Throttle for RedisThrottle {
    fn acquire<'a>(&'a self, operation: &'a str) -> SeamFuture<'a> {
        Box::pin(async move {
            if !WALLET_HISTORY_OPERATIONS.contains(&operation) {
                return;
            }
            if let Err(e) = self.wait().await {
                tracing::warn!(
                    error = %kind(&e),
                    "Redis did not answer the history throttle; keeping to the fallback budget"
                );
                self.fallback.acquire(operation).await;
            }
        })
    }
}

/// `incoming()`'s checkpoint in Redis, shared by every process that follows one wallet: the
/// checkpoint under `{prefix}:{wallet}`, and each payment claimed once (`SET NX`, kept 48 hours)
/// before a process yields it, so that of two processes only one yields each payment.
#[derive(Clone)]
pub struct RedisCheckpoints {
    connection: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for RedisCheckpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCheckpoints")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisCheckpoints {
    /// Checkpoints in the Redis at `url`, under the prefix `qiwi-wallet:incoming`.
    ///
    /// # Errors
    /// A URL that is not one, or a Redis that does not answer now.
    pub async fn connect(url: &str) -> Result<RedisCheckpoints, RedisError> {
        Ok(RedisCheckpoints {
            connection: connect(url).await?,
            prefix: "qiwi-wallet:incoming".into(),
        })
    }

    /// Keys under `prefix` (one per application sharing a Redis).
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }
}

fn unavailable(e: &redis::RedisError) -> Error {
    Error::Checkpoint {
        message: format!("Redis did not answer ({})", kind(e)),
    }
}

impl CheckpointStore for RedisCheckpoints {
    async fn load(&self, wallet: &str) -> Result<Option<Checkpoint>, Error> {
        let mut connection = self.connection.clone();
        let text: Option<String> = redis::cmd("GET")
            .arg(format!("{}:{wallet}", self.prefix))
            .query_async(&mut connection)
            .await
            .map_err(|e| unavailable(&e))?;
        text.map(|t| Checkpoint::from_text(&t)).transpose()
    }

    async fn save(&self, wallet: &str, checkpoint: &Checkpoint) -> Result<(), Error> {
        let mut connection = self.connection.clone();
        redis::cmd("SET")
            .arg(format!("{}:{wallet}", self.prefix))
            .arg(checkpoint.to_text())
            .query_async::<()>(&mut connection)
            .await
            .map_err(|e| unavailable(&e))
    }

    async fn claim(&self, wallet: &str, txn_id: i64) -> Result<bool, Error> {
        let mut connection = self.connection.clone();
        let set: Option<String> = redis::cmd("SET")
            .arg(format!("{}:{wallet}:txn:{txn_id}", self.prefix))
            .arg(1)
            .arg("NX")
            .arg("EX")
            .arg(48 * 3600)
            .query_async(&mut connection)
            .await
            .map_err(|e| unavailable(&e))?;
        Ok(set.is_some())
    }
}
