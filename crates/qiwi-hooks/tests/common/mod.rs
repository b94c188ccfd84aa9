//! What the receiver's HTTP tests share: a real server on 127.0.0.1, a scripted handler and
//! signed requests.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use qiwi_core::Amount;
use qiwi_core::secret::{P2pSecretKey, PayinNotificationKey, WalletHookKey};
use qiwi_hooks::testing::{self, SignedRequest};
use qiwi_hooks::{Event, Keys, Receiver};
use tokio::sync::Notify;

/// QIWI's documented wallet key (test-vectors.md).
pub const WALLET_KEY: &str = include_str!("../../../../fixtures/wallet/w1.key").trim_ascii_end();
/// QIWI's documented wallet webhook W1, with its hash.
pub const W1: &str = include_str!("../../../../fixtures/wallet/w1.json");
pub const P2P_SECRET: &str = "p2p-secret";
pub const PAYIN_KEY: &str = "payin-key";

pub fn keys() -> Keys {
    Keys {
        wallet: Some(WalletHookKey::from_base64(WALLET_KEY).unwrap()),
        p2p: Some(P2pSecretKey::new(P2P_SECRET)),
        payin: Some(PayinNotificationKey::new(PAYIN_KEY)),
    }
}

/// What the handler saw, and how it should behave.
#[derive(Default)]
pub struct Script {
    /// (family, id, status) per call.
    pub calls: Mutex<Vec<(String, String, String)>>,
    /// Fail (or panic) on the first N calls.
    pub fail_first: AtomicUsize,
    pub panic: bool,
    /// Wait for this before returning.
    pub gate: Option<Arc<Notify>>,
}

impl Script {
    /// (family, id) per call.
    pub fn calls(&self) -> Vec<(String, String)> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .map(|(f, i, _)| (f.clone(), i.clone()))
            .collect()
    }

    /// (id, status) per call.
    pub fn statuses(&self) -> Vec<(String, String)> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .map(|(_, i, s)| (i.clone(), s.clone()))
            .collect()
    }

    /// Waits, at most 10 s, until the handler has been called `n` times.
    pub async fn wait_for_calls(&self, n: usize) {
        let waited = tokio::time::timeout(Duration::from_secs(10), async {
            while self.calls.lock().unwrap().len() < n {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
        assert!(
            waited.is_ok(),
            "the handler was not called {n} times in 10 s"
        );
    }
}

/// Serves `receiver` with a handler that follows `script`; returns `http://addr/qiwi`.
pub async fn start(receiver: Receiver, script: Arc<Script>) -> String {
    let s = script.clone();
    let router = receiver.router(move |event: Event| {
        let s = s.clone();
        async move {
            s.calls
                .lock()
                .unwrap()
                .push((event.family().to_string(), event.id(), event.status()));
            if let Some(gate) = &s.gate {
                gate.notified().await;
            }
            if s.fail_first.load(Ordering::SeqCst) > 0 {
                s.fail_first.fetch_sub(1, Ordering::SeqCst);
                if s.panic {
                    panic!("handler bug");
                }
                return Err("database down".to_owned());
            }
            Ok(())
        }
    });
    let app = axum::Router::new().nest("/qiwi", router);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(qiwi_hooks::serve(listener, app));
    format!("http://{addr}/qiwi")
}

pub async fn post(client: &reqwest::Client, url: &str, req: &SignedRequest) -> reqwest::Response {
    let mut r = client.post(url).body(req.body.clone());
    for (k, v) in &req.headers {
        r = r.header(*k, v);
    }
    r.send().await.unwrap()
}

/// POSTs a raw JSON body with no signature header.
pub async fn post_json(client: &reqwest::Client, url: &str, body: impl Into<String>) -> u16 {
    client
        .post(url)
        .header("content-type", "application/json")
        .body(body.into())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

pub fn wallet_req(message: &str, txn: &str) -> SignedRequest {
    let key = WalletHookKey::from_base64(WALLET_KEY).unwrap();
    testing::wallet(
        &testing::sample_wallet_payment(message, txn, Amount::from_minor(109)),
        &key,
    )
}

pub fn bill_req(bill: &str) -> SignedRequest {
    testing::p2p(
        &testing::sample_p2p(bill, "PAID"),
        &P2pSecretKey::new(P2P_SECRET),
    )
}

pub fn payin_req(payment: &str) -> SignedRequest {
    testing::payin(
        &testing::sample_payin_payment(payment),
        &PayinNotificationKey::new(PAYIN_KEY),
    )
}

/// `req` with its body's text edited (the signature left as it was).
pub fn edited(req: &SignedRequest, from: &str, to: &str) -> SignedRequest {
    let text = String::from_utf8(req.body.clone()).unwrap();
    assert!(text.contains(from), "{from:?} is not in {text}");
    SignedRequest {
        headers: req.headers.clone(),
        body: text.replace(from, to).into_bytes(),
    }
}
