//! Throughput of the three verify functions against a floor that does the bare minimum:
//! serde_json into a plain struct and an HMAC over a pre-built string.
//!
//! `floor` parses the same fields as the typed model, as plain strings and floats;
//! `floor_minimal` only the signed ones.
//!
//! `cargo bench -p qiwi-core --bench verify`

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use hmac::{Hmac, KeyInit, Mac};
use qiwi_core::secret::{P2pSecretKey, PayinNotificationKey, WalletHookKey};
use qiwi_core::signature::{
    sign_p2p_notification, sign_payin_notification, verify_p2p_notification,
    verify_payin_notification, verify_wallet_notification,
};
use serde::Deserialize;
use sha2::Sha256;

const WALLET: &str = include_str!("../../../fixtures/wallet/w1.json").trim_ascii_end();
const WALLET_KEY: &str = include_str!("../../../fixtures/wallet/w1.key").trim_ascii_end();
const BILL: &str = include_str!("../../../fixtures/p2p/paid.json").trim_ascii_end();
const PAYIN: &str = include_str!("../../../fixtures/payin/payment_sbp.json").trim_ascii_end();

// The floors' plain structs carry the same fields as qiwi-core's typed models, as plain
// `String`s and floats: the difference measured is what typing, tolerance and the raw-text
// signature cost. The `minimal` floors parse only the signed fields.

#[derive(Deserialize)]
#[allow(dead_code)]
#[serde(rename_all = "camelCase")]
struct PlainWallet {
    hook_id: String,
    message_id: String,
    hash: Option<String>,
    #[serde(default)]
    test: bool,
    version: Option<String>,
    payment: Option<PlainWalletPayment>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
#[serde(rename_all = "camelCase")]
struct PlainWalletPayment {
    txn_id: String,
    person_id: Option<i64>,
    date: Option<String>,
    error_code: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    status: Option<String>,
    provider: Option<i64>,
    account: Option<String>,
    comment: Option<String>,
    sum: Option<PlainMoney>,
    commission: Option<PlainMoney>,
    total: Option<PlainMoney>,
    sign_fields: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PlainMoney {
    amount: f64,
    currency: u16,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct MinimalWallet {
    hash: String,
    payment: MinimalWalletPayment,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct MinimalWalletPayment {
    #[serde(rename = "txnId")]
    txn_id: String,
    account: String,
    #[serde(rename = "type")]
    kind: String,
    sum: PlainMoney,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PlainBill {
    bill: PlainBillInner,
    version: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
#[serde(rename_all = "camelCase")]
struct PlainBillInner {
    site_id: String,
    bill_id: String,
    amount: PlainBillAmount,
    status: PlainStatus,
    customer: Option<PlainCustomer>,
    custom_fields: Option<std::collections::BTreeMap<String, String>>,
    comment: Option<String>,
    creation_date_time: Option<String>,
    expiration_date_time: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PlainCustomer {
    phone: Option<String>,
    email: Option<String>,
    account: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PlainBillAmount {
    value: String,
    currency: String,
}

#[derive(Deserialize)]
#[allow(dead_code)]
#[serde(rename_all = "camelCase")]
struct PlainStatus {
    value: String,
    changed_date_time: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct MinimalBill {
    bill: MinimalBillInner,
}

#[derive(Deserialize)]
#[allow(dead_code)]
#[serde(rename_all = "camelCase")]
struct MinimalBillInner {
    site_id: String,
    bill_id: String,
    amount: PlainBillAmount,
    status: PlainStatus,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PlainPayin {
    #[serde(rename = "type")]
    kind: String,
    version: Option<String>,
    payment: PlainPayment,
}

#[derive(Deserialize)]
#[allow(dead_code)]
#[serde(rename_all = "camelCase")]
struct PlainPayment {
    payment_id: String,
    created_date_time: String,
    amount: PlainMoneyAlpha,
    status: PlainStatus,
    bill_id: Option<String>,
    qr_code_uid: Option<String>,
    payment_method: Option<PlainPaymentMethod>,
    customer: Option<std::collections::BTreeMap<String, String>>,
    custom_fields: Option<std::collections::BTreeMap<String, String>>,
    flags: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PlainPaymentMethod {
    #[serde(rename = "type")]
    kind: Option<String>,
    phone: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PlainMoneyAlpha {
    value: f64,
    currency: String,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct MinimalPayin {
    payment: MinimalPayment,
}

#[derive(Deserialize)]
#[allow(dead_code)]
#[serde(rename_all = "camelCase")]
struct MinimalPayment {
    payment_id: String,
    created_date_time: String,
    amount: PlainMoneyAlpha,
}

/// The floor: a plain parse and one HMAC over the already-built signed string.
fn floor<T: for<'de> Deserialize<'de>>(body: &[u8], key: &[u8], signed: &str, mac: &[u8]) -> bool {
    let parsed: T = serde_json::from_slice(body).unwrap();
    black_box(&parsed);
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
    m.update(signed.as_bytes());
    m.verify_slice(mac).is_ok()
}

/// A measured function: group, name, and the body of one iteration.
type Case = (&'static str, &'static str, Box<dyn Fn()>);

/// Every measured function.
fn cases() -> Vec<Case> {
    let wallet_key = WalletHookKey::from_base64(WALLET_KEY).unwrap();
    let wallet_raw_key =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, WALLET_KEY).unwrap();
    let wallet_mac =
        hex::decode("f05c4e7bdf00620205d47696d77f924bfd3ba4d02b0398ac8a626e737dc27243").unwrap();
    let wallet_signed = "643|1|IN|+79161112233|13353941550";
    let secret = P2pSecretKey::new("secret-key");
    let bill_sig = sign_p2p_notification(BILL.as_bytes(), &secret).unwrap();
    let bill_mac = hex::decode(&bill_sig).unwrap();
    let bill_signed = "RUB|1.00|cc961e8d-d4d6-4f02-b737-2297e51fb48e|9hh4jb-00|PAID";
    let payin_key = PayinNotificationKey::new("TOKEN");
    let payin_sig = sign_payin_notification(PAYIN.as_bytes(), &payin_key).unwrap();
    let payin_mac = hex::decode(&payin_sig).unwrap();
    let payin_signed = "A22170834426031500000733E625FCB3|2022-08-05T11:34:42+03:00|5";

    let (k1, k2, m1, m2) = (
        wallet_raw_key.clone(),
        wallet_raw_key,
        wallet_mac.clone(),
        wallet_mac,
    );
    let (b1, b2, b3) = (bill_mac.clone(), bill_mac.clone(), bill_mac);
    let (p1, p2) = (payin_mac.clone(), payin_mac);
    vec![
        (
            "wallet",
            "verify_wallet_notification",
            Box::new(move || {
                verify_wallet_notification(black_box(WALLET.as_bytes()), &wallet_key).unwrap();
            }),
        ),
        (
            "wallet",
            "floor",
            Box::new(move || {
                assert!(floor::<PlainWallet>(
                    black_box(WALLET.as_bytes()),
                    &k1,
                    wallet_signed,
                    &m1
                ))
            }),
        ),
        (
            "wallet",
            "floor_minimal",
            Box::new(move || {
                assert!(floor::<MinimalWallet>(
                    black_box(WALLET.as_bytes()),
                    &k2,
                    wallet_signed,
                    &m2
                ))
            }),
        ),
        (
            "p2p",
            "verify_p2p_notification",
            Box::new(move || {
                verify_p2p_notification(black_box(BILL.as_bytes()), &bill_sig, &secret).unwrap();
                black_box(&b3);
            }),
        ),
        (
            "p2p",
            "floor",
            Box::new(move || {
                assert!(floor::<PlainBill>(
                    black_box(BILL.as_bytes()),
                    b"secret-key",
                    bill_signed,
                    &b1
                ))
            }),
        ),
        (
            "p2p",
            "floor_minimal",
            Box::new(move || {
                assert!(floor::<MinimalBill>(
                    black_box(BILL.as_bytes()),
                    b"secret-key",
                    bill_signed,
                    &b2
                ))
            }),
        ),
        (
            "payin",
            "verify_payin_notification",
            Box::new(move || {
                verify_payin_notification(black_box(PAYIN.as_bytes()), &payin_sig, &payin_key)
                    .unwrap();
            }),
        ),
        (
            "payin",
            "floor",
            Box::new(move || {
                assert!(floor::<PlainPayin>(
                    black_box(PAYIN.as_bytes()),
                    b"TOKEN",
                    payin_signed,
                    &p1
                ))
            }),
        ),
        (
            "payin",
            "floor_minimal",
            Box::new(move || {
                assert!(floor::<MinimalPayin>(
                    black_box(PAYIN.as_bytes()),
                    b"TOKEN",
                    payin_signed,
                    &p2
                ))
            }),
        ),
    ]
}

fn benches(c: &mut Criterion) {
    let cases = cases();
    for group in ["wallet", "p2p", "payin"] {
        let mut g = c.benchmark_group(group);
        g.throughput(Throughput::Elements(1));
        for (_, name, f) in cases.iter().filter(|(g, _, _)| *g == group) {
            g.bench_function(*name, |b| b.iter(f));
        }
        g.finish();
    }
}

/// `QIWI_BENCH_ONLY=wallet/floor QIWI_BENCH_ITERATIONS=10000` runs one case a fixed number of
/// times and exits: for instruction counts under `valgrind --tool=callgrind`, which do not
/// depend on what else the machine is doing.
fn main() {
    if let Ok(only) = std::env::var("QIWI_BENCH_ONLY") {
        let n: u32 = std::env::var("QIWI_BENCH_ITERATIONS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(10_000);
        let cases = cases();
        let (_, _, f) = cases
            .iter()
            .find(|(g, name, _)| format!("{g}/{name}") == only)
            .unwrap_or_else(|| panic!("no case {only}"));
        for _ in 0..n {
            f();
        }
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
}
