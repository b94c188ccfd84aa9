//! Callback faults: QIWI may deliver a notification twice or out of order; the sandbox does so
//! on demand, and a qiwi-hooks receiver handles each state once, whatever the order.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use qiwi_core::secret::P2pSecretKey;
use qiwi_sandbox::{Config, RunningSandbox};
use qiwi_sys::error::Classify as _;
use qiwi_sys::p2p;
use serde_json::json;

mod common;

async fn post(sandbox: &RunningSandbox, path: &str, body: &str) -> u16 {
    common::control(sandbox, path, body).await.status().as_u16()
}

#[tokio::test]
async fn duplicated_and_reordered_notifications_reach_the_handler_once_each() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let keys = qiwi_hooks::Keys {
        p2p: Some(P2pSecretKey::new(qiwi_sandbox::config::DEFAULT_P2P_SECRET)),
        ..Default::default()
    };
    let router = qiwi_hooks::Receiver::new(keys).router(move |e: qiwi_hooks::Event| {
        let seen = seen2.clone();
        async move {
            seen.lock().unwrap().push(e.id());
            Ok::<(), std::io::Error>(())
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/p2p", listener.local_addr().unwrap());
    tokio::spawn(qiwi_hooks::serve(listener, router));
    let sandbox = qiwi_sandbox::start(Config {
        notify_p2p: Some(url),
        ..Config::default()
    })
    .await
    .unwrap();
    let client = p2p::Client::builder(sandbox.credentials().p2p_secret.clone())
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let expiry =
        qiwi_core::QiwiDateTime::from(time::OffsetDateTime::now_utc() + time::Duration::hours(1));
    for id in ["first", "second"] {
        let bill: p2p::types::CreateBillRequest = serde_json::from_value(json!({
            "amount": {"value": "1.00", "currency": "RUB"}, "expirationDateTime": expiry.as_str()
        }))
        .unwrap();
        client
            .create_bill()
            .bill_id(id)
            .body(bill)
            .send()
            .await
            .classify()
            .unwrap();
    }
    // The first bill's notification comes twice and late: the second overtakes it.
    let fault = r#"{"family":"p2p","duplicate":true,"delay_ms":300}"#;
    assert_eq!(post(&sandbox, "/sandbox/callback-faults", fault).await, 201);
    assert_eq!(
        post(
            &sandbox,
            "/sandbox/callback-faults",
            r#"{"duplicate":false}"#
        )
        .await,
        400
    );
    post(&sandbox, "/sandbox/p2p/bills/first/pay", "").await;
    post(&sandbox, "/sandbox/p2p/bills/second/pay", "").await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !sandbox.callbacks().iter().all(|d| d.acknowledged) || sandbox.callbacks().len() < 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            sandbox.callbacks()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        sandbox.callbacks().len(),
        3,
        "the first twice, the second once"
    );
    assert_eq!(
        *seen.lock().unwrap(),
        ["second", "first"],
        "reordered, and each once"
    );
}
