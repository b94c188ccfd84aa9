//! qiwi-wallet's shared state in a real `redis-server` (`qiwi_tests::redis`): four clients of
//! one wallet, each built on its own (as four processes would be), share one history budget
//! through `RedisThrottle` — no second holds more than its budget of requests at the server —
//! and fall back to their own budget while Redis is down; two followers of one wallet sharing
//! `RedisCheckpoints` yield each new payment once between them.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use qiwi_tests::documented::{Documented, spec};
use qiwi_tests::redis::RedisServer;
use qiwi_wallet::{RateLimit, RedisCheckpoints, RedisThrottle, Wallet, WalletToken};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers::any};

const WALLET: &str = "79123456789";

/// QIWI's documented answers, each request's arrival time noted.
struct Timed(Documented, Arc<Mutex<Vec<Instant>>>);

impl Respond for Timed {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.1.lock().unwrap().push(Instant::now());
        self.0.respond(request)
    }
}

/// The most requests that arrived within any `window`.
fn busiest(times: &[Instant], window: Duration) -> usize {
    let mut times = times.to_vec();
    times.sort();
    (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|t| **t - times[i] < window)
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_clients_of_one_wallet_share_one_history_budget() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let server = MockServer::start().await;
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    Mock::given(any())
        .respond_with(Timed(Documented::new(&spec("wallet")), arrivals.clone()))
        .mount(&server)
        .await;
    // 10 a second, no burst: a budget small enough to see in a few seconds.
    let mut clients = Vec::new();
    for _ in 0..4 {
        let throttle = RedisThrottle::connect(&redis.url(), WALLET)
            .await
            .unwrap()
            .with_budget(10, Duration::from_secs(1), 1);
        let wallet = Wallet::builder(WalletToken::new("token").unwrap(), WALLET)
            .base_url(server.uri())
            .throttle(throttle)
            .build()
            .unwrap();
        clients.push(wallet);
    }
    let started = Instant::now();
    let runs = clients.iter().map(|wallet| async move {
        for _ in 0..10 {
            wallet.history().rows(1).send().await.unwrap();
        }
    });
    futures_util::future::join_all(runs).await;
    let took = started.elapsed();
    let times = arrivals.lock().unwrap().clone();
    assert_eq!(times.len(), 40);
    // Evenly spaced grants put at most one more than the budget in a window whose edges fall
    // on two of them, and the network moves arrivals a little: at most 11 (four unshared
    // budgets would allow 40). RateLimit::wallet_history keeps a margin (90 of QIWI's 100).
    let peak = busiest(&times, Duration::from_secs(1));
    assert!(peak <= 11, "{peak} requests within one second");
    assert!(
        took >= Duration::from_millis(3800),
        "40 requests at 10 a second: {took:?}"
    );
    // Requests other than the history's are not counted.
    clients[0].profile().await.unwrap();

    // Redis down: each client keeps to its own fallback budget instead of waiting for Redis.
    redis.stop();
    let before = arrivals.lock().unwrap().len();
    let t = Instant::now();
    clients[1].history().rows(1).send().await.unwrap();
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    assert_eq!(arrivals.lock().unwrap().len(), before + 1);
}

#[tokio::test]
async fn two_followers_sharing_redis_checkpoints_yield_each_payment_once() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let sandbox = qiwi_sandbox::start(qiwi_sandbox::Config::default())
        .await
        .unwrap();
    let c = sandbox.credentials();
    let follower = || {
        Wallet::builder(c.wallet_token.clone(), &c.wallet_number)
            .base_url(sandbox.base_url())
            .throttle(RateLimit::new(1000, Duration::from_secs(1)))
            .build()
            .unwrap()
    };
    let counterpart = Wallet::builder(
        WalletToken::new(qiwi_sandbox::COUNTERPART_TOKEN).unwrap(),
        qiwi_sandbox::COUNTERPART_WALLET,
    )
    .base_url(sandbox.base_url())
    .build()
    .unwrap();
    let me = format!("+{}", c.wallet_number);
    // The counterpart needs money: the sandbox wallet sends it some first.
    follower()
        .pay_to_wallet(
            &format!("+{}", qiwi_sandbox::COUNTERPART_WALLET),
            "100".parse().unwrap(),
        )
        .send()
        .await
        .unwrap();
    let since = time::OffsetDateTime::now_utc() - time::Duration::minutes(1);
    for amount in ["1.10", "2.20", "3.30"] {
        counterpart
            .pay_to_wallet(&me, amount.parse().unwrap())
            .send()
            .await
            .unwrap();
    }
    let (a, b) = (follower(), follower());
    let store = || async {
        RedisCheckpoints::connect(&redis.url())
            .await
            .unwrap()
            .with_prefix("test")
    };
    let (store_a, store_b) = (store().await, store().await);
    let (from_a, from_b) = tokio::join!(
        a.incoming().store(store_a).since(since).once(),
        b.incoming().store(store_b).since(since).once()
    );
    let ids = |txns: Vec<qiwi_wallet::Transaction>| -> Vec<i64> {
        txns.into_iter().filter_map(|t| t.txn_id).collect()
    };
    let (from_a, from_b) = (ids(from_a.unwrap()), ids(from_b.unwrap()));
    let all: BTreeSet<i64> = from_a.iter().chain(&from_b).copied().collect();
    assert_eq!(all.len(), 3, "every payment: {from_a:?} {from_b:?}");
    assert_eq!(
        from_a.len() + from_b.len(),
        3,
        "each once: {from_a:?} {from_b:?}"
    );
}

/// Pages of the sandbox wallet's history requested in all.
const HISTORY_REQUESTS: usize = 110;

/// Four clients of the sandbox wallet, each built on its own (four processes but for the
/// address space), stream its history for more than a minute through one Redis budget with
/// QIWI's own limit: the sandbox, which locks the history for 5 minutes after 100 requests a
/// minute as QIWI does, never answers 423. About 70 seconds of real time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_clients_stream_the_sandboxs_history_past_a_minute_without_its_lock() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let sandbox = qiwi_sandbox::start(qiwi_sandbox::Config::default())
        .await
        .unwrap();
    let c = sandbox.credentials();
    // 25 rows: three pages of 10 a stream.
    let payer = Wallet::builder(c.wallet_token.clone(), &c.wallet_number)
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    for i in 0..25 {
        payer
            .pay_to_wallet(
                &format!("+{}", qiwi_sandbox::COUNTERPART_WALLET),
                "1".parse().unwrap(),
            )
            .comment(format!("transfer {i}"))
            .send()
            .await
            .unwrap();
    }
    let mut clients = Vec::new();
    for _ in 0..4 {
        let throttle = RedisThrottle::connect(&redis.url(), &c.wallet_number)
            .await
            .unwrap();
        clients.push(
            Wallet::builder(c.wallet_token.clone(), &c.wallet_number)
                .base_url(sandbox.base_url())
                .throttle(throttle)
                .build()
                .unwrap(),
        );
    }
    let pages = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let streams = clients.into_iter().map(|wallet| {
        let pages = pages.clone();
        tokio::spawn(async move {
            use futures_util::TryStreamExt as _;
            while pages.load(std::sync::atomic::Ordering::SeqCst) < HISTORY_REQUESTS {
                let rows: Vec<_> = wallet.history().rows(10).stream().try_collect().await?;
                assert_eq!(rows.len(), 25);
                pages.fetch_add(3, std::sync::atomic::Ordering::SeqCst);
            }
            Ok::<_, qiwi_wallet::Error>(())
        })
    });
    for stream in futures_util::future::join_all(streams).await {
        stream
            .unwrap()
            .unwrap_or_else(|e| panic!("a stream met {e:?}"));
    }
    assert!(pages.load(std::sync::atomic::Ordering::SeqCst) >= HISTORY_REQUESTS);
}
