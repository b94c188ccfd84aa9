//! Trust round 3, items 1 and 2, over real HTTP on 127.0.0.1: a genuine notification is never
//! lost — not to a replay whose claim the API contradicted, not to a notification that arrived
//! before the API caught up, not to a delivery cut off while the handler or confirmer ran.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use qiwi_hooks::{Event, Family, Receiver};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::Notify;

/// QIWI's state as a confirmer reads it, settable by the test; counts the reads.
#[derive(Default)]
struct Api {
    status: Mutex<String>,
    reads: AtomicUsize,
}

impl Api {
    fn new(status: &str) -> Arc<Api> {
        let api = Arc::new(Api::default());
        api.set(status);
        api
    }
    fn set(&self, status: &str) {
        *self.status.lock().unwrap() = status.to_owned();
    }
    fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }
}

fn confirmed_by(api: &Arc<Api>, recheck: Duration) -> Receiver {
    let api = api.clone();
    Receiver::new(keys())
        .with_recheck_after(recheck)
        .with_confirmer(move |_: Event| {
            let api = api.clone();
            async move {
                api.reads.fetch_add(1, Ordering::SeqCst);
                Ok::<_, String>(api.status.lock().unwrap().clone())
            }
        })
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[tokio::test]
async fn a_replay_the_api_contradicts_never_swallows_qiwis_genuine_notification() {
    // Wallet transaction 6001 is WAITING at QIWI; an attacker holding its notification
    // replays it with the unsigned status edited to SUCCESS before QIWI's own SUCCESS comes.
    let api = Api::new("WAITING");
    let script = Arc::new(Script::default());
    let base = start(
        confirmed_by(&api, Duration::from_millis(300)),
        script.clone(),
    )
    .await;
    let client = reqwest::Client::new();
    let url = format!("{base}/wallet");
    let genuine = wallet_req("m-1", "6001");
    let forged = genuine.clone();

    let answer = post(&client, &url, &forged).await;
    assert_eq!(
        answer.status(),
        503,
        "a contradicted claim is not acknowledged"
    );
    assert_eq!(answer.headers()["retry-after"], "1");
    // Replays while the claim is held cost no API call.
    for _ in 0..20 {
        assert_eq!(post(&client, &url, &forged).await.status(), 503);
    }
    assert_eq!(api.reads(), 1);
    assert_eq!(script.statuses(), pairs(&[("6001", "WAITING")]));

    // The payment succeeds; QIWI's notification (retried after the hold) is handled.
    api.set("SUCCESS");
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(post(&client, &url, &genuine).await.status(), 200);
    assert_eq!(
        script.statuses(),
        pairs(&[("6001", "WAITING"), ("6001", "SUCCESS")])
    );
    assert_eq!(post(&client, &url, &genuine).await.status(), 200);
    assert_eq!(script.calls().len(), 2, "then it is a duplicate");
}

#[tokio::test]
async fn a_p2p_notification_ahead_of_the_api_is_retried_until_the_api_agrees() {
    let api = Api::new("WAITING");
    let script = Arc::new(Script::default());
    let receiver = confirmed_by(&api, Duration::from_millis(200));
    let probe = receiver.clone();
    let base = start(receiver, script.clone()).await;
    let client = reqwest::Client::new();
    let url = format!("{base}/p2p");
    let paid = bill_req("bill-early");

    assert_eq!(post(&client, &url, &paid).await.status(), 503);
    // QIWI's quick retry lands inside the hold: still not acknowledged.
    assert_eq!(post(&client, &url, &paid).await.status(), 503);
    api.set("PAID");
    tokio::time::sleep(Duration::from_millis(250)).await;
    let answer = post(&client, &url, &paid).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.text().await.unwrap(), r#"{"error":"0"}"#);
    assert_eq!(
        script.statuses(),
        pairs(&[("bill-early", "WAITING"), ("bill-early", "PAID")])
    );
    assert_eq!(api.reads(), 2);
    // Only what was confirmed and handed over is remembered.
    assert_eq!(probe.store().family_len(Family::P2p), 2);
}

/// Sends `req` on a raw connection and hangs up without reading the answer.
async fn send_and_hang_up(base: &str, family: &str, req: &qiwi_hooks::testing::SignedRequest) {
    let addr = base.trim_start_matches("http://").trim_end_matches("/qiwi");
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut head = format!(
        "POST /qiwi/{family} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: {}\r\n",
        req.body.len()
    );
    for (k, v) in &req.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&req.body).await.unwrap();
    s.flush().await.unwrap();
    drop(s);
}

#[tokio::test]
async fn a_delivery_cut_off_mid_handler_is_not_stuck_in_flight() {
    let gate = Arc::new(Notify::new());
    let script = Arc::new(Script {
        gate: Some(gate.clone()),
        ..Script::default()
    });
    let base = start(Receiver::new(keys()), script.clone()).await;
    let req = bill_req("bill-cut");
    send_and_hang_up(&base, "p2p", &req).await;
    script.wait_for_calls(1).await;
    // The handler is still running; the first delivery's sender is gone.
    tokio::time::sleep(Duration::from_millis(100)).await;
    gate.notify_one();
    // QIWI's retry: the handler finished, so this is a duplicate, not "in flight" forever.
    let client = reqwest::Client::new();
    let retried = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let status = post(&client, &format!("{base}/p2p"), &req).await.status();
            if status != 503 {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the retry is answered 503 for good");
    assert_eq!(retried, 200);
    assert_eq!(script.calls().len(), 1, "handled once");
}

#[tokio::test]
async fn a_confirmer_that_never_answers_is_cut_short_and_its_claim_released() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let receiver = Receiver::new(keys())
        .with_confirm_timeout(Duration::from_millis(200))
        .with_confirmer(move |_: Event| {
            let first = c.fetch_add(1, Ordering::SeqCst) == 0;
            async move {
                if first {
                    // QIWI's API hangs on the first read.
                    std::future::pending::<()>().await;
                }
                Ok::<_, String>("SUCCESS".to_owned())
            }
        });
    let script = Arc::new(Script::default());
    let base = start(receiver, script.clone()).await;
    let client = reqwest::Client::new();
    let url = format!("{base}/payin");
    let req = payin_req("pay-hang");
    // The first delivery's sender gives up and hangs up while the confirmer hangs.
    send_and_hang_up(&base, "payin", &req).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(post(&client, &url, &req).await.status(), 200);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(script.statuses(), pairs(&[("pay-hang", "SUCCESS")]));
    assert!(
        qiwi_hooks::DEFAULT_CONFIRM_TIMEOUT < qiwi_hooks::QIWI_ANSWER_WAIT,
        "the confirmer answers before QIWI stops waiting"
    );
}

#[tokio::test]
async fn a_cancelled_delivery_through_deliver_releases_its_claim() {
    // Another framework than axum calls `deliver` and drops the future when the peer leaves.
    let gate = Arc::new(Notify::new());
    let entered = Arc::new(Notify::new());
    let (g, e) = (gate.clone(), entered.clone());
    let handler = Arc::new(move |_: Event| {
        let (g, e) = (g.clone(), e.clone());
        async move {
            e.notify_one();
            g.notified().await;
            Ok::<(), String>(())
        }
    });
    let receiver = Receiver::new(keys());
    let req = bill_req("bill-cancel");
    let mut headers = http::HeaderMap::new();
    for (k, v) in &req.headers {
        headers.insert(*k, v.parse().unwrap());
    }
    let deliver = {
        let (receiver, handler, headers, body) = (
            receiver.clone(),
            handler.clone(),
            headers.clone(),
            req.body.clone(),
        );
        tokio::spawn(async move {
            receiver
                .deliver(
                    Family::P2p,
                    &http::Method::POST,
                    &headers,
                    None,
                    &body,
                    &*handler,
                )
                .await
        })
    };
    entered.notified().await;
    deliver.abort();
    assert!(deliver.await.unwrap_err().is_cancelled());
    gate.notify_one();
    let ok = |_: Event| async { Ok::<(), String>(()) };
    let retry = receiver
        .deliver(
            Family::P2p,
            &http::Method::POST,
            &headers,
            None,
            &req.body,
            &ok,
        )
        .await;
    assert_eq!(retry.status, 200, "{:?}", retry.outcome);
}
