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

use criterion::{Criterion, Throughput};
use qiwi_p2p::{Client, P2pSecretKey};
use qiwi_tests::bench::{
    self, HyperClient, Variant, alternate, env, hyper_client, run, runtime, serve_json,
};
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

/// The floor of a request ([`qiwi_tests::bench::bare_get`]) with the same path and headers
/// as qiwi-p2p sends, the address built from the bill id as any client must.
async fn bare_get(client: &HyperClient, base: &str, bill_id: &str) -> usize {
    let url = format!("{base}/partner/bill/v1/bills/{bill_id}");
    bench::bare_get(client, &url, SECRET).await.len()
}

/// A client as users build it: default retries and timeouts.
fn p2p_client(base: &str) -> Client {
    Client::builder(P2pSecretKey::new(SECRET))
        .base_url(base)
        .build()
        .expect("a client")
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

fn load(base: &str) {
    let seconds = env("QIWI_BENCH_SECONDS", 5);
    let connections = env("QIWI_BENCH_CONNECTIONS", 32) as usize;
    println!("load: GET bill, {connections} in flight, {seconds} s per run, one client thread");
    let only = std::env::var("QIWI_BENCH_ONLY").ok();
    let variants: [Variant<'_>; 3] = [
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
    let (rate, cpu) = alternate(&variants, "bills");
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
