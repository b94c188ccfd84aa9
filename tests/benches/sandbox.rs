//! The sandbox's `GET /partner/bill/v1/bills/{billId}` under load, on one core, beside a floor:
//! a bare hyper handler returning the same JSON. Users' test suites run against the sandbox; it
//! must never be what slows them.
//!
//! `cargo bench -p qiwi-tests --bench sandbox` (env: `QIWI_BENCH_SECONDS`, default 5;
//! `QIWI_BENCH_CONNECTIONS`, default 32).

use std::time::Duration;

use qiwi_tests::bench::{load, serve_json, serve_on_one_thread, thread_cpu};

const TOKEN: &str = qiwi_sandbox::config::DEFAULT_P2P_SECRET;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Starts a sandbox with one bill on its own thread; returns its base URL, the bill's JSON and
/// the thread.
fn sandbox() -> (String, Vec<u8>, String) {
    let (tx, rx) = std::sync::mpsc::channel();
    let task = serve_on_one_thread(move || async move {
        let sandbox = qiwi_sandbox::start(qiwi_sandbox::Config::default())
            .await
            .unwrap();
        let url = format!("{}/partner/bill/v1/bills/bench-1", sandbox.base_url());
        let expiry = qiwi_core::QiwiDateTime::from(
            time::OffsetDateTime::now_utc() + time::Duration::days(1),
        );
        let body = format!(
            r#"{{"amount":{{"value":"10.00","currency":"RUB"}},"expirationDateTime":"{expiry}","comment":"bench"}}"#
        );
        let client = reqwest::Client::new();
        let created = client
            .put(&url)
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 200);
        let bill = client
            .get(&url)
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        tx.send((sandbox.base_url().to_owned(), bill.to_vec()))
            .unwrap();
        // Serve until the process ends.
        std::future::pending::<()>().await;
        drop(sandbox);
    });
    let (base, bill) = rx.recv().unwrap();
    (base, bill, task)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let seconds = env("QIWI_BENCH_SECONDS", 5);
    let connections = env("QIWI_BENCH_CONNECTIONS", 32) as usize;
    let (sandbox_base, bill, sandbox_task) = sandbox();
    let (floor_base, floor_task) = serve_json(bill.clone());
    println!(
        "GET one bill ({} bytes), {connections} connections, {seconds} s each",
        bill.len()
    );
    let mut rates = Vec::new();
    let mut cpu = Vec::new();
    for (name, base, task) in [
        ("floor (bare hyper, same JSON)", floor_base, floor_task),
        ("qiwi-sandbox GET bill", sandbox_base, sandbox_task),
    ] {
        let url = format!("{base}/partner/bill/v1/bills/bench-1");
        let before = thread_cpu(&task);
        let r = load(connections, seconds, move |c, _| {
            c.get(&url).bearer_auth(TOKEN)
        });
        let used = thread_cpu(&task)
            .zip(before)
            .map(|(a, b)| a.saturating_sub(b));
        let rate = r.ok as f64 / r.seconds;
        let per_request = used.map_or(f64::NAN, |u: Duration| {
            u.as_secs_f64() * 1e6 / (r.ok + r.failed).max(1) as f64
        });
        println!(
            "{name:32} {rate:>9.0} answers/s  failed {:>5}  p50 {:>8.2?}  p99 {:>8.2?}  server CPU {per_request:>6.1} µs/request",
            r.failed, r.p50, r.p99
        );
        assert_eq!(r.failed, 0, "{name}: every request answered 200");
        rates.push(rate);
        cpu.push(per_request);
    }
    println!(
        "sandbox / floor: answers/s {:.2}; server CPU per request {:.2}, so on a saturated core ≈ {:.2}× the floor's throughput",
        rates[1] / rates[0],
        cpu[1] / cpu[0],
        cpu[0] / cpu[1]
    );
}
