//! Load test of the receiver against a floor, over keep-alive HTTP on 127.0.0.1.
//!
//! `cargo bench -p qiwi-hooks --bench receiver` (optional env: `QIWI_BENCH_SECONDS`, default 5;
//! `QIWI_BENCH_CONNECTIONS`, default 32).
//!
//! The server runs on a single-threaded runtime on one thread, the load generator on another
//! (this machine has two cores). Every request carries a signed, unique notification, half
//! wallet webhooks and half P2P bill notifications. The floor is a bare hyper handler that
//! only reads the body, parses the JSON and computes the HMAC.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use http_body_util::BodyExt as _;
use hyper::service::service_fn;
use qiwi_core::Amount;
use qiwi_core::secret::{P2pSecretKey, WalletHookKey};
use qiwi_hooks::testing::{self, SignedRequest};
use qiwi_hooks::{Event, Keys, MemoryStore, Receiver};
use sha2::Sha256;

const WALLET_KEY: &str = include_str!("../../../fixtures/wallet/w1.key").trim_ascii_end();
const P2P_SECRET: &str = "bench-secret";

fn notifications(n: usize) -> Vec<(&'static str, SignedRequest)> {
    let wallet_key = WalletHookKey::from_base64(WALLET_KEY).unwrap();
    let secret = P2pSecretKey::new(P2P_SECRET);
    (0..n)
        .map(|i| {
            if i % 2 == 0 {
                let n = testing::sample_wallet_payment(
                    &format!("m-{i}"),
                    &format!("{i}"),
                    Amount::from_minor(109),
                );
                ("wallet", testing::wallet(&n, &wallet_key))
            } else {
                (
                    "p2p",
                    testing::p2p(&testing::sample_p2p(&format!("bill-{i}"), "PAID"), &secret),
                )
            }
        })
        .collect()
}

/// The floor: read the body, parse the JSON, compute and compare the HMAC.
async fn floor(
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<String>, hyper::Error> {
    let wallet = req.uri().path().ends_with("/wallet");
    let signature = req
        .headers()
        .get("x-api-signature-sha256")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = req.into_body().collect().await?.to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let s = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let (key, text, expected) = if wallet {
        let p = &v["payment"];
        let text = format!(
            "{}|{}|{}|{}|{}",
            s(&p["sum"]["currency"]),
            s(&p["sum"]["amount"]),
            s(&p["type"]),
            s(&p["account"]),
            s(&p["txnId"])
        );
        let key = base64_key();
        (key, text, s(&v["hash"]))
    } else {
        let b = &v["bill"];
        let text = format!(
            "{}|{}|{}|{}|{}",
            s(&b["amount"]["currency"]),
            s(&b["amount"]["value"]),
            s(&b["billId"]),
            s(&b["siteId"]),
            s(&b["status"]["value"])
        );
        (
            P2P_SECRET.as_bytes().to_vec(),
            text,
            signature.unwrap_or_default(),
        )
    };
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).unwrap();
    mac.update(text.as_bytes());
    let ok = mac
        .verify_slice(&hex::decode(expected).unwrap_or_default())
        .is_ok();
    let status = if ok { 200 } else { 401 };
    Ok(hyper::Response::builder()
        .status(status)
        .body(String::new())
        .unwrap())
}

/// The 32 bytes of `WALLET_KEY`, decoded ahead of time: the floor does no key handling.
fn base64_key() -> Vec<u8> {
    const KEY: [u8; 32] = [
        0x25, 0xcc, 0x95, 0x86, 0x31, 0xc2, 0xbc, 0x74, 0x30, 0xb9, 0xfc, 0xfe, 0x20, 0x75, 0xe8,
        0x97, 0x2a, 0x87, 0x80, 0x47, 0x39, 0x32, 0x86, 0xb2, 0x05, 0xf3, 0xda, 0xae, 0x5e, 0x86,
        0xba, 0x87,
    ];
    KEY.to_vec()
}

/// This thread's CPU time so far (user + system), from `/proc` (Linux; `None` elsewhere).
fn thread_cpu(task: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{task}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// The id of the calling thread under `/proc/self/task`.
fn current_task() -> String {
    std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default()
}

/// Runs `server` on a single-threaded runtime on this thread, after telling `task` which
/// thread that is (for its CPU time).
fn on_this_thread<F: std::future::Future>(
    task: std::sync::mpsc::Sender<String>,
    server: F,
) -> F::Output {
    task.send(current_task()).unwrap();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(server)
}

fn serve_floor(listener: std::net::TcpListener, task: std::sync::mpsc::Sender<String>) {
    on_this_thread(task, async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service_fn(floor))
                    .await;
            });
        }
    });
}

fn serve_receiver(listener: std::net::TcpListener, task: std::sync::mpsc::Sender<String>) {
    on_this_thread(task, async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        let keys = Keys {
            wallet: Some(WalletHookKey::from_base64(WALLET_KEY).unwrap()),
            p2p: Some(P2pSecretKey::new(P2P_SECRET)),
            payin: None,
        };
        let receiver =
            Receiver::new(keys).with_store(MemoryStore::new(1_000_000, Duration::from_secs(3600)));
        let router = receiver.router(|e: Event| async move {
            std::hint::black_box(e);
            Ok::<(), std::convert::Infallible>(())
        });
        let app = axum::Router::new().nest("/qiwi", router);
        qiwi_hooks::serve(listener, app).await.unwrap();
    });
}

struct Report {
    ok: usize,
    failed: usize,
    seconds: f64,
    p50: Duration,
    p99: Duration,
}

/// Sends the notifications over `connections` keep-alive connections for at most `seconds`.
fn load(
    addr: SocketAddr,
    notifications: Arc<Vec<(&'static str, SignedRequest)>>,
    connections: usize,
    seconds: u64,
) -> Report {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(connections)
            .build()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..connections {
            let (client, notifications, next) =
                (client.clone(), notifications.clone(), next.clone());
            tasks.push(tokio::spawn(async move {
                let (mut ok, mut failed, mut lat) = (0usize, 0usize, Vec::new());
                while Instant::now() < deadline {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((family, req)) = notifications.get(i) else {
                        break;
                    };
                    let mut r = client
                        .post(format!("http://{addr}/qiwi/{family}"))
                        .body(req.body.clone());
                    for (k, v) in &req.headers {
                        r = r.header(*k, v);
                    }
                    let t = Instant::now();
                    match r.send().await {
                        Ok(resp) if resp.status().is_success() => {
                            let _ = resp.bytes().await;
                            ok += 1;
                        }
                        _ => failed += 1,
                    }
                    lat.push(t.elapsed());
                }
                (ok, failed, lat)
            }));
        }
        let (mut ok, mut failed, mut lat) = (0, 0, Vec::new());
        for t in tasks {
            let (o, f, l) = t.await.unwrap();
            ok += o;
            failed += f;
            lat.extend(l);
        }
        let seconds = start.elapsed().as_secs_f64();
        lat.sort();
        let pick = |q: f64| {
            lat.get(((lat.len() as f64 - 1.0) * q) as usize)
                .copied()
                .unwrap_or_default()
        };
        Report {
            ok,
            failed,
            seconds,
            p50: pick(0.5),
            p99: pick(0.99),
        }
    })
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let seconds: u64 = std::env::var("QIWI_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let connections: usize = std::env::var("QIWI_BENCH_CONNECTIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(32);
    let notifications = Arc::new(notifications(400_000));
    println!(
        "{} signed unique notifications, {connections} connections, {seconds} s each",
        notifications.len()
    );
    let mut rates = Vec::new();
    let mut cpu = Vec::new();
    type Serve = fn(std::net::TcpListener, std::sync::mpsc::Sender<String>);
    for (name, serve) in [
        ("floor (bare hyper: parse + HMAC)", serve_floor as Serve),
        ("qiwi-hooks receiver", serve_receiver as Serve),
    ] {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || serve(listener, tx));
        let task = rx.recv().unwrap();
        let before = thread_cpu(&task);
        let r = load(addr, notifications.clone(), connections, seconds);
        let used = thread_cpu(&task)
            .zip(before)
            .map(|(a, b)| a.saturating_sub(b));
        let rate = r.ok as f64 / r.seconds;
        let per_request = used.map_or(f64::NAN, |u| {
            u.as_secs_f64() * 1e6 / (r.ok + r.failed).max(1) as f64
        });
        println!(
            "{name:34} {rate:>9.0} accepted/s  non-2xx {:>5}  p50 {:>8.2?}  p99 {:>8.2?}  server CPU {per_request:>6.1} µs/request  ({} requests)",
            r.failed,
            r.p50,
            r.p99,
            r.ok + r.failed
        );
        assert!(
            r.ok + r.failed < notifications.len(),
            "ran out of unique notifications; lower QIWI_BENCH_SECONDS"
        );
        rates.push(rate);
        cpu.push(per_request);
    }
    println!(
        "receiver / floor: accepted/s {:.2}; server CPU per request {:.2}, so on a saturated core ≈ {:.2}× the floor's throughput",
        rates[1] / rates[0],
        cpu[1] / cpu[0],
        cpu[0] / cpu[1]
    );
}
