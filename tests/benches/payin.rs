//! What the Payment Protocol clients cost, each beside a floor measured in the same run:
//!
//! - a load run: a card payment created (`PUT …/payments/{id}`, QIWI's documented answer from
//!   `spec/payin.yaml` served by a bare hyper server on 127.0.0.1), `QIWI_BENCH_CONNECTIONS`
//!   (32) in flight for `QIWI_BENCH_SECONDS` (5) on one client thread: qiwi-payin's
//!   `pay(…).send()` against a bare hyper client sending the same body bytes and reading the
//!   answer, against that client decoding the answer into the same `Payment`, and against
//!   reqwest (the transport's HTTP client) doing the same; payments/s and the client thread's
//!   CPU per request;
//! - payout signing: `RsaSigningKey::sign` (RSA-2048 PKCS#1 v1.5 SHA-256, aws-lc-rs) over a
//!   payout body, signatures per second, beside `openssl speed -seconds N rsa2048` on the same
//!   machine (its `sign/s`), when OpenSSL is installed.
//!
//! `cargo bench -p qiwi-tests --bench payin`

use std::rc::Rc;
use std::time::Instant;

use qiwi_payin::{Card, CardNumber, CardSecurityCode, Client, PayWith, PayinApiKey};
use qiwi_payout::RsaSigningKey;
use qiwi_tests::bench::{Variant, alternate, bare_put, env, hyper_body_client, run, serve_json};
use qiwi_tests::documented::{Documented, spec};

const KEY: &str = "bench-key";
const SITE: &str = "test-01";

/// QIWI's documented answer of `createPayment`.
fn documented_payment() -> Vec<u8> {
    Documented::new(&spec("payin"))
        .answer("createPayment")
        .expect("the spec documents createPayment's answer")
        .to_vec()
}

fn client(base: &str) -> Client {
    Client::builder(SITE, PayinApiKey::new(KEY).expect("a key"))
        .base_url(base)
        .build()
        .expect("a client")
}

fn card() -> PayWith {
    PayWith::Card(
        Card::new(CardNumber::new("4444443616621049"), 12, 2030)
            .cvv(CardSecurityCode::new("123"))
            .holder("CARDHOLDER NAME"),
    )
}

/// The body qiwi-payin sends for [`card`], so that the floor sends the same bytes.
const BODY: &str = r#"{"amount":{"currency":"RUB","value":"200.00"},"flags":["SALE"],"paymentMethod":{"cvv2":"123","expiryDate":"12/30","holderName":"CARDHOLDER NAME","pan":"4444443616621049","type":"CARD"}}"#;

fn create_payment(base: &str) {
    let seconds = env("QIWI_BENCH_SECONDS", 5);
    let connections = env("QIWI_BENCH_CONNECTIONS", 32) as usize;
    println!(
        "load: PUT a card payment, {connections} in flight, {seconds} s per run, one client thread"
    );
    let url = format!("{base}/partner/payin/v1/sites/{SITE}/payments/bench-1");
    let variants: [Variant<'_>; 4] = [
        ("floor: bare hyper client", &|| {
            let (client, url) = (Rc::new(hyper_body_client()), Rc::<str>::from(url.as_str()));
            run(connections, seconds, move || {
                let (client, url) = (client.clone(), url.clone());
                async move {
                    let body = bytes::Bytes::from_static(BODY.as_bytes());
                    std::hint::black_box(bare_put(&client, &url, KEY, body).await);
                }
            })
        }),
        ("floor: hyper + serde Payment", &|| {
            let (client, url) = (Rc::new(hyper_body_client()), Rc::<str>::from(url.as_str()));
            run(connections, seconds, move || {
                let (client, url) = (client.clone(), url.clone());
                async move {
                    let body = bytes::Bytes::from_static(BODY.as_bytes());
                    let answer = bare_put(&client, &url, KEY, body).await;
                    let payment: qiwi_payin::Payment =
                        serde_json::from_slice(&answer).expect("a payment");
                    std::hint::black_box(payment);
                }
            })
        }),
        ("reqwest + serde Payment", &|| {
            let (client, url) = (
                Rc::new(reqwest::Client::new()),
                Rc::<str>::from(url.as_str()),
            );
            run(connections, seconds, move || {
                let (client, url) = (client.clone(), url.clone());
                async move {
                    let answer = client
                        .put(&*url)
                        .bearer_auth(KEY)
                        .header("accept", "application/json")
                        .header("content-type", "application/json")
                        .body(BODY)
                        .send()
                        .await
                        .expect("an answer");
                    let body = answer.bytes().await.expect("a body");
                    let payment: qiwi_payin::Payment =
                        serde_json::from_slice(&body).expect("a payment");
                    std::hint::black_box(payment);
                }
            })
        }),
        ("qiwi-payin pay().send()", &|| {
            let client = Rc::new(client(base));
            run(connections, seconds, move || {
                let client = client.clone();
                async move {
                    let payment = client
                        .pay("bench-1", "200.00".parse().expect("an amount"), card())
                        .one_step()
                        .send()
                        .await
                        .expect("a payment");
                    std::hint::black_box(payment);
                }
            })
        }),
    ];
    let (rate, cpu) = alternate(&variants, "payments");
    for (floor, name) in [
        (0, "bare hyper, answer not decoded"),
        (1, "hyper + serde"),
        (2, "reqwest + serde, the transport's own client"),
    ] {
        println!(
            "qiwi-payin / {name}: payments/s {:.2}× ({:.0} vs {:.0}); client CPU per request {:.2}× ({:.1} vs {:.1} µs)",
            rate[3] / rate[floor],
            rate[3],
            rate[floor],
            cpu[3] / cpu[floor],
            cpu[3],
            cpu[floor]
        );
    }
}

/// Signatures per second of `key` over `body` for about `seconds`.
fn signs_per_second(key: &RsaSigningKey, body: &[u8], seconds: f64) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        std::hint::black_box(key.sign(body).expect("a signature"));
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// `openssl speed`'s RSA-2048 signatures per second, if OpenSSL is installed.
fn openssl_signs_per_second(seconds: u64) -> Option<f64> {
    let out = std::process::Command::new("openssl")
        .args(["speed", "-seconds", &seconds.to_string(), "rsa2048"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // "rsa 2048 bits 0.000624s 0.000018s   1602.6  55331.6": sign/s, then verify/s, after
    // the two times (which end in `s`).
    let line = text
        .lines()
        .find(|l| l.split_whitespace().take(3).eq(["rsa", "2048", "bits"]))?;
    line.split_whitespace()
        .skip(3)
        .filter(|w| !w.ends_with('s'))
        .find_map(|w| w.parse::<f64>().ok())
}

fn payout_signing() {
    let seconds = env("QIWI_BENCH_SECONDS", 5);
    let key = RsaSigningKey::generate().expect("a key");
    let body = br#"{"amount":{"currency":"RUB","value":"40.00"},"receiverData":{"pan":"4000000000000002","receiverFirstName":"Ivan","receiverLastName":"Ivanov","type":"CARD"}}"#;
    let ours = signs_per_second(&key, body, seconds as f64);
    println!("payout signing (RSA-2048 PKCS#1 v1.5 SHA-256, one thread): {ours:.0} signatures/s");
    match openssl_signs_per_second(seconds) {
        Some(theirs) => println!(
            "  beside `openssl speed -seconds {seconds} rsa2048`: {theirs:.0} sign/s; ratio {:.2}×",
            ours / theirs
        ),
        None => println!("  (openssl not found: no comparison)"),
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let (base, _server) = serve_json(documented_payment());
    // `cargo test --benches` runs each benchmark once to see it works: one request then.
    if !std::env::args().any(|a| a == "--bench") {
        let rt = qiwi_tests::bench::runtime();
        rt.block_on(
            client(&base)
                .pay("bench-1", "200.00".parse().expect("an amount"), card())
                .one_step()
                .send(),
        )
        .expect("a payment");
        return;
    }
    create_payment(&base);
    payout_signing();
}
