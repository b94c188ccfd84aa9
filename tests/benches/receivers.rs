//! Receivers with the Redis deduplication store against the memory store and the hyper floor,
//! on one process and on three (`qiwi-test-receiver`, round-robin), all on this machine's
//! 127.0.0.1: `QIWI_BENCH_CONNECTIONS` (32) signed P2P notifications in flight for
//! `QIWI_BENCH_SECONDS` (5) from one load thread, each a distinct bill (then repeats, which are
//! duplicates), answered `200`. Notifications/s and p99 latency, and their ratios to the floor
//! — a bare hyper server answering every request at once — measured in the same run.
//!
//! `cargo bench -p qiwi-tests --bench receivers` (skipped without `redis-server`)

use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use qiwi_core::secret::P2pSecretKey;
use qiwi_tests::bench::{Report, env, load, serve_json};
use qiwi_tests::redis::RedisServer;

const SECRET: &str = "receivers-bench-secret";
/// Distinct notifications signed beforehand (so the load thread does not sign).
const DISTINCT: usize = 20_000;

struct Receivers(Vec<Child>, Vec<String>);

impl Receivers {
    fn start(count: usize, store: &str, redis: &str) -> Receivers {
        let (mut children, mut addrs) = (Vec::new(), Vec::new());
        for _ in 0..count {
            let mut child = Command::new(env!("CARGO_BIN_EXE_qiwi-test-receiver"))
                .env("REDIS_URL", redis)
                .env("QIWI_P2P_SECRET", SECRET)
                .env("STORE", store)
                .env("QUIET", "1")
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("the receiver starts");
            let mut line = String::new();
            std::io::BufRead::read_line(
                &mut std::io::BufReader::new(child.stdout.take().expect("stdout")),
                &mut line,
            )
            .expect("its first line");
            addrs.push(
                line.trim()
                    .strip_prefix("listening ")
                    .expect("listening <addr>")
                    .to_owned(),
            );
            children.push(child);
        }
        Receivers(children, addrs)
    }
}

impl Drop for Receivers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn run(addrs: Vec<String>, notifications: Arc<Vec<(String, Vec<u8>)>>) -> Report {
    let seconds = env("QIWI_BENCH_SECONDS", 5);
    let connections = env("QIWI_BENCH_CONNECTIONS", 32) as usize;
    load(connections, seconds, move |client, i| {
        let (signature, body) = &notifications[i % notifications.len()];
        client
            .post(format!("{}/p2p", addrs[i % addrs.len()]))
            .header("content-type", "application/json")
            .header(qiwi_hooks::P2P_SIGNATURE_HEADER, signature)
            .body(body.clone())
    })
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let secret = P2pSecretKey::new(SECRET);
    let count = if std::env::args().any(|a| a == "--bench") {
        DISTINCT
    } else {
        100
    };
    let notifications: Arc<Vec<(String, Vec<u8>)>> = Arc::new(
        (0..count)
            .map(|i| {
                let signed = qiwi_hooks::testing::p2p(
                    &qiwi_hooks::testing::sample_p2p(&format!("bill-{i}"), "PAID"),
                    &secret,
                );
                let signature = signed
                    .headers
                    .iter()
                    .find(|(k, _)| *k == qiwi_hooks::P2P_SIGNATURE_HEADER)
                    .map(|(_, v)| v.clone())
                    .expect("a signature");
                (signature, signed.body)
            })
            .collect(),
    );
    // `cargo test --benches` runs each benchmark once to see it works: one short run.
    if !std::env::args().any(|a| a == "--bench") {
        let receivers = Receivers::start(1, "redis", &redis.url());
        let addrs = receivers.1.iter().map(|a| format!("http://{a}")).collect();
        let report = run(addrs, notifications);
        assert!(report.ok > 0 && report.failed == 0, "{report:?}");
        return;
    }
    println!("signed P2P notifications, each answered 200; notifications/s and p99");
    let (floor_url, _floor) = serve_json(b"{\"error\":\"0\"}".to_vec());
    let floor = run(vec![floor_url], notifications.clone());
    let mut rows = vec![("floor: bare hyper server".to_owned(), floor)];
    for processes in [1, 3] {
        for store in ["memory", "redis"] {
            let receivers = Receivers::start(processes, store, &redis.url());
            let addrs = receivers.1.iter().map(|a| format!("http://{a}")).collect();
            let report = run(addrs, notifications.clone());
            rows.push((format!("{processes} × receiver, {store} store"), report));
        }
    }
    let floor_rate = rows[0].1.ok as f64 / rows[0].1.seconds;
    let floor_p99 = rows[0].1.p99;
    for (name, r) in &rows {
        let rate = r.ok as f64 / r.seconds;
        println!(
            "  {name:34} {rate:>8.0}/s ({:.2}× the floor)  p99 {:>7.2} ms ({:.1}× the floor)  failed {}",
            rate / floor_rate,
            r.p99.as_secs_f64() * 1e3,
            r.p99.as_secs_f64() / floor_p99.as_secs_f64().max(1e-9),
            r.failed
        );
    }
}
