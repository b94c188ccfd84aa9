//! What qiwi-wallet costs over a bare client, each beside a floor measured in the same run,
//! against a bare hyper server on 127.0.0.1 answering a 50-row history page built from QIWI's
//! documented history row (spec/wallet.yaml, `getPaymentHistory`):
//!
//! - criterion `decode`: the page's JSON → `PaymentHistory` (amounts as `Amount`, tolerant
//!   dates, open enums) vs → a plain serde struct with the same fields (amounts `f64`, dates
//!   and enums `String`);
//! - criterion `get_history`: one `GET` of the page on a keep-alive connection, qiwi-wallet's
//!   `history().rows(50).send()` vs a bare hyper client sending the same request and reading
//!   the body, and vs that client decoding the body into the plain struct (every client must
//!   decode the 75 KB page, which costs four times the request);
//! - a load run: `QIWI_BENCH_CONNECTIONS` (32) requests in flight for `QIWI_BENCH_SECONDS` (5)
//!   on one client thread, alternating the floors and qiwi-wallet twice; pages/s and the client
//!   thread's CPU per request, and the decode ratio measured the same way.
//!
//! The wallet's history throttle (QIWI's 100 requests a minute) is lifted here: with it this
//! would measure the throttle.
//!
//! `cargo bench -p qiwi-tests --bench wallet`

use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Instant;

use criterion::{Criterion, Throughput};
use qiwi_tests::bench::{
    self, HyperClient, Variant, alternate, env, hyper_client, run, runtime, serve_json,
};
use qiwi_wallet::{RateLimit, Wallet, WalletToken};
use serde::Deserialize;
use serde_json::Value;

const TOKEN: &str = "bench-token";
const WALLET: &str = "79161122331";

/// A 50-row page: QIWI's documented row, each with its own id, date and amount.
fn page() -> Vec<u8> {
    let path = format!("{}/../spec/wallet.yaml", env!("CARGO_MANIFEST_DIR"));
    let spec: Value =
        serde_yaml::from_str(&std::fs::read_to_string(&path).expect("the spec")).expect("YAML");
    let example = &spec["paths"]["/payment-history/v2/persons/{wallet}/payments"]["get"]["responses"]
        ["200"]["content"]["application/json"]["example"];
    let row = &example["data"][0];
    let rows: Vec<Value> = (0..50)
        .map(|i| {
            let mut row = row.clone();
            row["txnId"] = (11233344692_i64 - i).into();
            row["trmTxnId"] = (11233344691_i64 - i).to_string().into();
            row["date"] = format!("2017-08-30T14:{:02}:09+03:00", 59 - i).into();
            row["sum"]["amount"] = serde_json::from_str(&format!("{}.{:02}", 10 + i, i)).unwrap();
            row
        })
        .collect();
    let page = serde_json::json!({
        "data": rows,
        "nextTxnId": 11233344642_i64,
        "nextTxnDate": "2017-08-30T14:09:09+03:00",
    });
    serde_json::to_vec(&page).expect("JSON")
}

/// The floor of decoding: the same fields, plain types.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct PlainPage {
    data: Vec<PlainTxn>,
    next_txn_id: Option<i64>,
    next_txn_date: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct PlainTxn {
    txn_id: i64,
    person_id: i64,
    date: String,
    error_code: i64,
    error: Option<String>,
    status: String,
    #[serde(rename = "type")]
    kind: String,
    status_text: String,
    trm_txn_id: String,
    account: String,
    sum: PlainMoney,
    commission: PlainMoney,
    total: PlainMoney,
    provider: PlainProvider,
    source: PlainProvider,
    comment: Option<String>,
    currency_rate: f64,
    extras: Vec<Value>,
    features: BTreeMap<String, bool>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PlainMoney {
    amount: f64,
    currency: u16,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct PlainProvider {
    id: i64,
    short_name: Option<String>,
    long_name: Option<String>,
    logo_url: Option<String>,
    description: Option<String>,
    keys: Option<String>,
    site_url: Option<String>,
    extras: Vec<Value>,
}

/// The floor of a request ([`qiwi_tests::bench::bare_get`]) with the same path, query and
/// headers as qiwi-wallet sends.
async fn bare_get(client: &HyperClient, base: &str) -> bytes::Bytes {
    let url = format!("{base}/payment-history/v2/persons/{WALLET}/payments?rows=50");
    bench::bare_get(client, &url, TOKEN).await
}

/// The floor with the decoding every client does: [`bare_get`], then serde into [`PlainPage`].
async fn bare_get_decoded(client: &HyperClient, base: &str) -> PlainPage {
    let body = bare_get(client, base).await;
    serde_json::from_slice(&body).expect("a page")
}

/// A wallet client as users build it, its history throttle lifted.
fn wallet(base: &str) -> Wallet {
    Wallet::builder(WalletToken::new(TOKEN).expect("a token"), WALLET)
        .base_url(base)
        .throttle(RateLimit::new(1_000_000, std::time::Duration::from_secs(1)))
        .build()
        .expect("a client")
}

fn decode(c: &mut Criterion, page: &[u8]) {
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Bytes(page.len() as u64));
    group.bench_function("floor: plain serde struct", |b| {
        b.iter(|| serde_json::from_slice::<PlainPage>(std::hint::black_box(page)).unwrap())
    });
    group.bench_function("qiwi_wallet::types::PaymentHistory", |b| {
        b.iter(|| {
            serde_json::from_slice::<qiwi_wallet::types::PaymentHistory>(std::hint::black_box(page))
                .unwrap()
        })
    });
    group.finish();
}

fn get_history(c: &mut Criterion, base: &str) {
    let rt = runtime();
    let (bare, typed) = (hyper_client(), wallet(base));
    let mut group = c.benchmark_group("get_history");
    group.bench_function("floor: bare hyper client", |b| {
        b.iter(|| rt.block_on(bare_get(&bare, base)))
    });
    group.bench_function("floor: bare hyper client + plain serde struct", |b| {
        b.iter(|| rt.block_on(bare_get_decoded(&bare, base)))
    });
    group.bench_function("qiwi-wallet history().rows(50).send()", |b| {
        b.iter(|| rt.block_on(typed.history().rows(50).send()).unwrap())
    });
    group.finish();
}

/// Decodes per second of `decode` over about `seconds`.
fn decode_rate(seconds: f64, decode: impl Fn()) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        for _ in 0..100 {
            decode();
        }
        n += 100;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn ratios(base: &str, page: &[u8]) {
    let seconds = env("QIWI_BENCH_SECONDS", 5);
    let connections = env("QIWI_BENCH_CONNECTIONS", 32) as usize;

    let (mut plain, mut typed) = (Vec::new(), Vec::new());
    for _ in 0..2 {
        plain.push(decode_rate(seconds as f64 / 2.0, || {
            std::hint::black_box(serde_json::from_slice::<PlainPage>(page).unwrap());
        }));
        typed.push(decode_rate(seconds as f64 / 2.0, || {
            std::hint::black_box(
                serde_json::from_slice::<qiwi_wallet::types::PaymentHistory>(page).unwrap(),
            );
        }));
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    println!(
        "decode a 50-row page / floor: {:.2}× ({:.0} vs {:.0} pages/s)",
        mean(&typed) / mean(&plain),
        mean(&typed),
        mean(&plain)
    );

    println!(
        "load: GET a 50-row page, {connections} in flight, {seconds} s per run, one client thread"
    );
    let variants: [Variant<'_>; 3] = [
        ("floor: bare hyper client", &|| {
            let (client, base) = (Rc::new(hyper_client()), Rc::<str>::from(base));
            run(connections, seconds, move || {
                let (client, base) = (client.clone(), base.clone());
                async move {
                    std::hint::black_box(bare_get(&client, &base).await);
                }
            })
        }),
        ("floor: hyper + plain serde", &|| {
            let (client, base) = (Rc::new(hyper_client()), Rc::<str>::from(base));
            run(connections, seconds, move || {
                let (client, base) = (client.clone(), base.clone());
                async move {
                    std::hint::black_box(bare_get_decoded(&client, &base).await);
                }
            })
        }),
        ("qiwi-wallet history", &|| {
            let client = Rc::new(wallet(base));
            run(connections, seconds, move || {
                let client = client.clone();
                async move {
                    let page = client.history().rows(50).send().await.expect("a page");
                    std::hint::black_box(page);
                }
            })
        }),
    ];
    let (rate, cpu) = alternate(&variants, "pages");
    for (floor, name) in [
        (0, "bare hyper, body not decoded"),
        (1, "hyper + plain serde"),
    ] {
        println!(
            "qiwi-wallet / floor ({name}): pages/s {:.2}× ({:.0} vs {:.0}); client CPU per request {:.2}× ({:.1} vs {:.1} µs)",
            rate[2] / rate[floor],
            rate[2],
            rate[floor],
            cpu[2] / cpu[floor],
            cpu[2],
            cpu[floor]
        );
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let page = page();
    let (base, _server) = serve_json(page.clone());
    let mut c = Criterion::default().configure_from_args();
    decode(&mut c, &page);
    get_history(&mut c, &base);
    c.final_summary();
    // `cargo test --benches` runs each benchmark once to see it works: no load run then.
    if std::env::args().any(|a| a == "--bench") {
        ratios(&base, &page);
    }
}
