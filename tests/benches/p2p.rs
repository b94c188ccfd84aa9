//! What qiwi-p2p costs a merchant over a bare client, each beside a floor measured in the same
//! run, against a bare hyper server on 127.0.0.1 answering QIWI's documented bill:
//!
//! - criterion `decode`: the bill's JSON → `qiwi_p2p::Bill` (typed amount, open status enum,
//!   dates) vs → a plain serde struct of strings with the same fields;
//! - criterion `get_bill`: one `GET` of the bill on a keep-alive connection, `qiwi-p2p` vs a bare
//!   hyper client sending the same request and reading the body;
//! - a load run: `QIWI_BENCH_CONNECTIONS` (32) requests in flight for `QIWI_BENCH_SECONDS` (5)
//!   on one client thread, alternating qiwi-p2p and the floor twice; bills/s and the client
//!   thread's CPU per request.
//!
//! `cargo bench -p qiwi-tests --bench p2p`

use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput};
use http_body_util::{BodyExt as _, Empty};
use qiwi_p2p::{Client, P2pSecretKey};
use qiwi_tests::bench::{current_task, serve_json, thread_cpu};
use serde::Deserialize;

const BILL_ID: &str = "cc961e8d-d4d6-4f02-b737-2297e51fb48e";
const SECRET: &str = "bench-secret";
const BILL: &str = include_str!("../../fixtures/p2p/bill.json");

/// The floor of decoding: the same fields, every value a plain string.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct PlainBill {
    site_id: Option<String>,
    bill_id: String,
    amount: PlainAmount,
    status: PlainStatus,
    customer: Option<BTreeMap<String, String>>,
    custom_fields: Option<BTreeMap<String, String>>,
    comment: Option<String>,
    creation_date_time: Option<String>,
    expiration_date_time: Option<String>,
    pay_url: Option<String>,
    recipient_phone_number: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PlainAmount {
    value: String,
    currency: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct PlainStatus {
    value: String,
    changed_date_time: Option<String>,
}

type HyperClient = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    Empty<Bytes>,
>;

/// The floor of a request: hyper's pooled client, the same method, path and headers as
/// qiwi-p2p sends, the address built from the bill id as any client must, the body read whole
/// and not decoded.
async fn bare_get(client: &HyperClient, base: &str, bill_id: &str) -> usize {
    let url: hyper::Uri = format!("{base}/partner/bill/v1/bills/{bill_id}")
        .parse()
        .expect("a URI");
    let request = hyper::Request::get(url)
        .header("authorization", format!("Bearer {SECRET}"))
        .header("accept", "application/json")
        .body(Empty::new())
        .expect("a request");
    let answer = client.request(request).await.expect("an answer");
    assert!(answer.status().is_success());
    let body = answer.into_body().collect().await.expect("a body");
    body.to_bytes().len()
}

/// A client as users build it: default retries and timeouts.
fn p2p_client(base: &str) -> Client {
    Client::builder(P2pSecretKey::new(SECRET))
        .base_url(base)
        .build()
        .expect("a client")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

fn hyper_client() -> HyperClient {
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http()
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Bytes(BILL.len() as u64));
    group.bench_function("floor: plain serde struct", |b| {
        b.iter(|| serde_json::from_str::<PlainBill>(std::hint::black_box(BILL)).unwrap())
    });
    group.bench_function("qiwi_p2p::Bill", |b| {
        b.iter(|| serde_json::from_str::<qiwi_p2p::Bill>(std::hint::black_box(BILL)).unwrap())
    });
    group.finish();
}

fn get_bill(c: &mut Criterion, base: &str) {
    let rt = runtime();
    let (bare, typed) = (hyper_client(), p2p_client(base));
    let mut group = c.benchmark_group("get_bill");
    group.bench_function("floor: bare hyper client", |b| {
        b.iter(|| rt.block_on(bare_get(&bare, base, BILL_ID)))
    });
    group.bench_function("qiwi-p2p bills().get", |b| {
        b.iter(|| rt.block_on(typed.bills().get(BILL_ID).send()).unwrap())
    });
    group.finish();
}

/// What one load run measured.
struct Measured {
    answered: usize,
    seconds: f64,
    cpu: Option<Duration>,
}

impl Measured {
    fn rate(&self) -> f64 {
        self.answered as f64 / self.seconds
    }

    fn cpu_us(&self) -> f64 {
        self.cpu.map_or(f64::NAN, |c| {
            c.as_secs_f64() * 1e6 / self.answered.max(1) as f64
        })
    }
}

/// `connections` requests kept in flight for `seconds` on the calling thread, which does all of
/// the client's work (its runtime has one thread), so the thread's CPU time is the client's.
fn run<F, Fut>(connections: usize, seconds: u64, request: F) -> Measured
where
    F: Fn() -> Fut + 'static,
    Fut: std::future::Future<Output = ()> + 'static,
{
    let rt = runtime();
    let request = Rc::new(request);
    let answered = Rc::new(std::cell::Cell::new(0usize));
    let local = tokio::task::LocalSet::new();
    let task = current_task();
    let before = thread_cpu(&task);
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    for _ in 0..connections {
        let (request, answered) = (request.clone(), answered.clone());
        local.spawn_local(async move {
            while Instant::now() < deadline {
                request().await;
                answered.set(answered.get() + 1);
            }
        });
    }
    rt.block_on(local);
    Measured {
        answered: answered.get(),
        seconds: start.elapsed().as_secs_f64(),
        cpu: thread_cpu(&task)
            .zip(before)
            .map(|(a, b)| a.saturating_sub(b)),
    }
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn load(base: &str) {
    let seconds = env("QIWI_BENCH_SECONDS", 5);
    let connections = env("QIWI_BENCH_CONNECTIONS", 32) as usize;
    println!("load: GET bill, {connections} in flight, {seconds} s per run, one client thread");
    let only = std::env::var("QIWI_BENCH_ONLY").ok();
    let variants: [(&str, &dyn Fn() -> Measured); 3] = [
        ("floor: bare hyper client", &|| {
            let (client, base) = (Rc::new(hyper_client()), Rc::<str>::from(base));
            run(connections, seconds, move || {
                let (client, base) = (client.clone(), base.clone());
                async move {
                    bare_get(&client, &base, BILL_ID).await;
                }
            })
        }),
        ("reqwest + serde into Bill", &|| {
            let client = Rc::new(reqwest::Client::new());
            let url = Rc::<str>::from(base);
            run(connections, seconds, move || {
                let (client, url) = (client.clone(), url.clone());
                async move {
                    let answer = client
                        .get(format!("{url}/partner/bill/v1/bills/{BILL_ID}"))
                        .bearer_auth(SECRET)
                        .header("accept", "application/json")
                        .send()
                        .await
                        .expect("an answer");
                    let body = answer.bytes().await.expect("a body");
                    let bill = serde_json::from_slice::<qiwi_p2p::Bill>(&body).expect("a bill");
                    std::hint::black_box(bill);
                }
            })
        }),
        ("qiwi-p2p bills().get", &|| {
            let client = Rc::new(p2p_client(base));
            run(connections, seconds, move || {
                let client = client.clone();
                async move {
                    let bill = client.bills().get(BILL_ID).send().await.expect("the bill");
                    std::hint::black_box(bill);
                }
            })
        }),
    ];
    // `QIWI_BENCH_ONLY=<n>` runs variant n alone (for a profiler).
    if let Some(n) = only.and_then(|n| n.parse::<usize>().ok()) {
        let (name, f) = variants[n];
        let m = f();
        println!(
            "  {name:28} {:>8.0} bills/s  client CPU {:>6.1} µs/request",
            m.rate(),
            m.cpu_us()
        );
        return;
    }
    let mut measured: [Vec<Measured>; 3] = Default::default();
    for round in 1..=2 {
        for (i, (name, f)) in variants.iter().enumerate() {
            let m = f();
            println!(
                "  run {round} {name:28} {:>8.0} bills/s  client CPU {:>6.1} µs/request",
                m.rate(),
                m.cpu_us()
            );
            measured[i].push(m);
        }
    }
    let mean =
        |ms: &[Measured], f: fn(&Measured) -> f64| ms.iter().map(f).sum::<f64>() / ms.len() as f64;
    let rate: Vec<f64> = measured.iter().map(|m| mean(m, Measured::rate)).collect();
    let cpu: Vec<f64> = measured.iter().map(|m| mean(m, Measured::cpu_us)).collect();
    for (i, name) in [(1, "reqwest + serde"), (2, "qiwi-p2p")] {
        println!(
            "{name} / floor: bills/s {:.2} ({:.0} vs {:.0}); client CPU per request {:.2}× ({:.1} vs {:.1} µs)",
            rate[i] / rate[0],
            rate[i],
            rate[0],
            cpu[i] / cpu[0],
            cpu[i],
            cpu[0]
        );
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let (base, _server) = serve_json(BILL.trim_ascii_end().as_bytes().to_vec());
    let mut c = Criterion::default().configure_from_args();
    decode(&mut c);
    get_bill(&mut c, &base);
    c.final_summary();
    // `cargo test --benches` runs each benchmark once to see it works: no load run then.
    if std::env::args().any(|a| a == "--bench") {
        load(&base);
    }
}
