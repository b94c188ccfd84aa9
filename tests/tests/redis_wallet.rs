//! qiwi-wallet's shared state in a real `redis-server` (`qiwi_tests::redis`): four clients of
//! one wallet, each built on its own, share one history budget through `RedisThrottle` — no
//! second holds more than its budget of requests at the server — and fall back to their own
//! budget while Redis is down; four worker processes (`qiwi-test-wallet`) stream the sandbox's
//! history past a minute without its 423 lock; two follower processes sharing
//! `RedisCheckpoints` yield each new payment once between them.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use qiwi_tests::documented::{Documented, spec};
use qiwi_tests::redis::RedisServer;
use qiwi_wallet::{RedisThrottle, Wallet, WalletToken};
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

/// A `qiwi-test-wallet` process of the sandbox's wallet with `args`; its stdout once it ends.
fn worker(
    sandbox: &qiwi_sandbox::RunningSandbox,
    redis: &RedisServer,
    args: &[String],
) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_qiwi-test-wallet"))
        .args(args)
        .env("REDIS_URL", redis.url())
        .env("QIWI_BASE_URL", sandbox.base_url())
        .env("WALLET_NUMBER", &sandbox.credentials().wallet_number)
        .env(
            "QIWI_WALLET_TOKEN",
            qiwi_sandbox::config::DEFAULT_WALLET_TOKEN,
        )
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the worker starts")
}

fn finish(child: std::process::Child) -> (bool, String) {
    let out = child.wait_with_output().expect("the worker ends");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// `count` transfers of 1 RUB from the sandbox wallet to its counterpart.
async fn transfers(sandbox: &qiwi_sandbox::RunningSandbox, count: usize) {
    let c = sandbox.credentials();
    let payer = Wallet::builder(c.wallet_token.clone(), &c.wallet_number)
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    for i in 0..count {
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
}

#[tokio::test]
async fn two_follower_processes_sharing_redis_checkpoints_yield_each_payment_once() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let sandbox = qiwi_sandbox::start(qiwi_sandbox::Config::default())
        .await
        .unwrap();
    let c = sandbox.credentials();
    let counterpart = Wallet::builder(
        WalletToken::new(qiwi_sandbox::COUNTERPART_TOKEN).unwrap(),
        qiwi_sandbox::COUNTERPART_WALLET,
    )
    .base_url(sandbox.base_url())
    .build()
    .unwrap();
    // The counterpart needs money: the sandbox wallet sends it some first.
    transfers(&sandbox, 10).await;
    let since = time::OffsetDateTime::now_utc() - time::Duration::minutes(1);
    let me = format!("+{}", c.wallet_number);
    for amount in ["1.10", "2.20", "3.30"] {
        counterpart
            .pay_to_wallet(&me, amount.parse().unwrap())
            .send()
            .await
            .unwrap();
    }
    let args = vec!["incoming".to_owned(), since.unix_timestamp().to_string()];
    let (a, b) = (
        worker(&sandbox, &redis, &args),
        worker(&sandbox, &redis, &args),
    );
    let ((ok_a, out_a), (ok_b, out_b)) =
        tokio::task::spawn_blocking(move || (finish(a), finish(b)))
            .await
            .unwrap();
    assert!(ok_a && ok_b, "{out_a}{out_b}");
    let ids: Vec<&str> = out_a
        .lines()
        .chain(out_b.lines())
        .filter_map(|l| l.strip_prefix("payment "))
        .collect();
    let distinct: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(distinct.len(), 3, "every payment: {out_a:?} {out_b:?}");
    assert_eq!(ids.len(), 3, "each once: {out_a:?} {out_b:?}");
}

/// Pages of the sandbox wallet's history each process asks for: 112 in all.
const PAGES_EACH: usize = 28;

/// Four worker processes stream the sandbox wallet's history for more than a minute through
/// one Redis budget with QIWI's own limit: the sandbox, which locks the history for 5 minutes
/// after 100 requests a minute as QIWI does, never answers 423. About 70 seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_stream_the_sandboxs_history_past_a_minute_without_its_lock() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let sandbox = qiwi_sandbox::start(qiwi_sandbox::Config::default())
        .await
        .unwrap();
    // 25 rows: three pages of 10 a stream.
    transfers(&sandbox, 25).await;
    let args = vec!["stream".to_owned(), PAGES_EACH.to_string(), "10".to_owned()];
    let workers: Vec<_> = (0..4).map(|_| worker(&sandbox, &redis, &args)).collect();
    let outcomes =
        tokio::task::spawn_blocking(move || workers.into_iter().map(finish).collect::<Vec<_>>())
            .await
            .unwrap();
    for (ok, out) in outcomes {
        assert!(ok, "a worker met {out}");
        assert!(out.starts_with("pages "), "{out}");
    }
}
