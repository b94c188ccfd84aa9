//! Load test of the receiver against a floor, over keep-alive HTTP on 127.0.0.1.
//!
//! `cargo bench -p qiwi-hooks --bench receiver` (optional env: `QIWI_BENCH_SECONDS`, default 5;
//! `QIWI_BENCH_CONNECTIONS`, default 32).
//!
//! The server runs on a single-threaded runtime on one thread, the load generator on another
//! (this machine has two cores). Every request carries a signed, unique notification, half
//! wallet webhooks and half P2P bill notifications. The floor is a bare hyper handler that
//! only reads the body, parses the JSON and computes the HMAC.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use http_body_util::BodyExt as _;
use hyper::service::service_fn;
use qiwi_core::Amount;
use qiwi_core::secret::{P2pSecretKey, WalletHookKey};
use qiwi_hooks::testing::{self, SignedRequest};
use qiwi_hooks::{Event, Keys, MemoryStore, Receiver};
use qiwi_tests::bench::{load, serve_on_one_thread, thread_cpu};
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

fn serve_floor(listener: std::net::TcpListener) -> String {
    serve_on_one_thread(move || async move {
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
    })
}

fn serve_receiver(listener: std::net::TcpListener) -> String {
    serve_on_one_thread(move || async move {
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
    type Serve = fn(std::net::TcpListener) -> String;
    for (name, serve) in [
        ("floor (bare hyper: parse + HMAC)", serve_floor as Serve),
        ("qiwi-hooks receiver", serve_receiver as Serve),
    ] {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let task = serve(listener);
        let before = thread_cpu(&task);
        let all = notifications.clone();
        let r = load(connections, seconds, move |client, i| {
            let (family, req) = &all[i % all.len()];
            let mut r = client
                .post(format!("http://{addr}/qiwi/{family}"))
                .body(req.body.clone());
            for (k, v) in &req.headers {
                r = r.header(*k, v);
            }
            r
        });
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
