//! Three receiver processes (`qiwi-test-receiver`) sharing one Redis: 1,000 distinct signed
//! P2P notifications, each delivered three times concurrently to random processes, retried as
//! QIWI retries until acknowledged, with handler failures injected — and Redis restarted in the
//! middle. Every notification is handled exactly once: none lost (QIWI's retries complete
//! them), none handled twice.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use qiwi_core::secret::P2pSecretKey;
use qiwi_hooks::Family;
use qiwi_tests::redis::RedisServer;

const NOTIFICATIONS: usize = 1_000;
const SECRET: &str = "receivers-test-secret";

/// A receiver process, killed when dropped; its `handled` lines are read on a thread.
struct Process {
    child: Child,
    addr: String,
    handled: std::thread::JoinHandle<Vec<String>>,
}

impl Process {
    fn start(redis: &str) -> Process {
        let mut child = Command::new(env!("CARGO_BIN_EXE_qiwi-test-receiver"))
            .env("REDIS_URL", redis)
            .env("QIWI_P2P_SECRET", SECRET)
            .env("FAIL_EVERY", "7")
            // A claim whose answer was lost as Redis went down stays until its lease ends:
            // 2 s here, so that QIWI's retries (10 s of them below) outlast it.
            .env("LEASE_MS", "2000")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the receiver starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = lines.next().expect("a first line").expect("text");
        let addr = first
            .strip_prefix("listening ")
            .expect("listening <addr>")
            .to_owned();
        let handled = std::thread::spawn(move || {
            lines
                .map_while(Result::ok)
                .filter_map(|l| l.strip_prefix("handled ").map(str::to_owned))
                .collect()
        });
        Process {
            child,
            addr,
            handled,
        }
    }

    fn stop(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.handled.join().expect("the reader")
    }
}

/// Delivers one notification to `addrs[pick]` as QIWI does: again, after a pause, until an
/// answer counts as delivered.
async fn deliver_until_acknowledged(
    http: &reqwest::Client,
    addrs: &[String],
    headers: &[(&'static str, String)],
    body: &[u8],
    retries: &std::sync::atomic::AtomicUsize,
) {
    for attempt in 0.. {
        if attempt > 0 {
            retries.fetch_add(1, Ordering::Relaxed);
        }
        let addr = &addrs[fastrand::usize(..addrs.len())];
        let mut request = http.post(format!("http://{addr}/p2p"));
        for (k, v) in headers {
            request = request.header(*k, v);
        }
        if let Ok(answer) = request.body(body.to_vec()).send().await {
            let status = answer.status().as_u16();
            let text = answer.bytes().await.unwrap_or_default();
            if Family::P2p.acknowledged(status, &text) {
                return;
            }
        }
        assert!(attempt < 200, "never acknowledged");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_receivers_on_one_redis_handle_each_notification_once() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let processes: Vec<Process> = (0..3).map(|_| Process::start(&redis.url())).collect();
    let addrs: Arc<Vec<String>> = Arc::new(processes.iter().map(|p| p.addr.clone()).collect());
    let secret = P2pSecretKey::new(SECRET);
    let http = reqwest::Client::new();
    let restarted = Arc::new(AtomicBool::new(false));
    let retries = Arc::new(std::sync::atomic::AtomicUsize::new(0));

    let mut deliveries = tokio::task::JoinSet::new();
    for i in 0..NOTIFICATIONS {
        let signed = qiwi_hooks::testing::p2p(
            &qiwi_hooks::testing::sample_p2p(&format!("bill-{i}"), "PAID"),
            &secret,
        );
        for _ in 0..3 {
            let (http, addrs, signed) = (http.clone(), addrs.clone(), signed.clone());
            let retries = retries.clone();
            deliveries.spawn(async move {
                deliver_until_acknowledged(&http, &addrs, &signed.headers, &signed.body, &retries)
                    .await;
            });
        }
        // Redis goes down and comes back while deliveries are in flight.
        if i == NOTIFICATIONS / 2 && !restarted.swap(true, Ordering::SeqCst) {
            redis.stop();
            tokio::time::sleep(Duration::from_millis(300)).await;
            redis.restart();
        }
        // Keep a bounded number in flight, as QIWI's senders would be.
        while deliveries.len() > 300 {
            deliveries
                .join_next()
                .await
                .expect("a delivery")
                .expect("it ends");
        }
    }
    while let Some(done) = deliveries.join_next().await {
        done.expect("it ends");
    }

    let mut handled: BTreeMap<String, usize> = BTreeMap::new();
    for p in processes {
        for id in p.stop() {
            *handled.entry(id).or_default() += 1;
        }
    }
    let twice: Vec<_> = handled.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "handled more than once: {twice:?}");
    assert_eq!(handled.len(), NOTIFICATIONS, "every notification handled");
    // Injected failures, concurrent copies and the outage were answered retryably and retried.
    assert!(retries.load(Ordering::Relaxed) > 0);
}
