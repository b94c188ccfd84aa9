//! The receiver over real HTTP on 127.0.0.1: a real server, a real client.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use common::*;
use qiwi_core::secret::P2pSecretKey;
use qiwi_hooks::testing::SignedRequest;
use qiwi_hooks::{Keys, Receiver, SourcePolicy};
use tokio::sync::Notify;

#[tokio::test]
async fn valid_notifications_of_every_family_are_handled_once_and_acknowledged() {
    let script = Arc::new(Script::default());
    let base = start(Receiver::new(keys()), script.clone()).await;
    let client = reqwest::Client::new();

    let r = post(
        &client,
        &format!("{base}/wallet"),
        &wallet_req("m-1", "101"),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers().get("content-type").is_none(),
        "an empty 200 declares no type"
    );
    let r = post(&client, &format!("{base}/p2p"), &bill_req("bill-1")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(r.text().await.unwrap(), r#"{"error":"0"}"#);
    let r = post(&client, &format!("{base}/payin"), &payin_req("pay-1")).await;
    assert_eq!(r.status(), 200);

    assert_eq!(
        script.calls(),
        vec![
            ("wallet".into(), "101".into()),
            ("p2p".into(), "bill-1".into()),
            ("payin".into(), "pay-1".into())
        ]
    );
}

#[tokio::test]
async fn bad_deliveries_are_rejected_with_their_statuses() {
    let script = Arc::new(Script::default());
    let base = start(Receiver::new(keys()).with_body_limit(4096), script.clone()).await;
    let client = reqwest::Client::new();
    let wallet = format!("{base}/wallet");

    let mut tampered = wallet_req("m-2", "102");
    let text = String::from_utf8(tampered.body.clone())
        .unwrap()
        .replace("+79161112233", "+79990000000");
    tampered.body = text.into_bytes();
    assert_eq!(post(&client, &wallet, &tampered).await.status(), 401);

    let mut unsigned = bill_req("bill-2");
    unsigned.headers.retain(|(k, _)| *k == "content-type");
    assert_eq!(
        post(&client, &format!("{base}/p2p"), &unsigned)
            .await
            .status(),
        401
    );

    let mut wrong_sig = payin_req("pay-2");
    wrong_sig.headers[1].1 = "0".repeat(64);
    assert_eq!(
        post(&client, &format!("{base}/payin"), &wrong_sig)
            .await
            .status(),
        401
    );

    let mut oversize = wallet_req("m-3", "103");
    oversize.body = vec![b' '; 5000];
    assert_eq!(post(&client, &wallet, &oversize).await.status(), 413);
    // Chunked, with no length declared: the limit holds while reading.
    let stream =
        futures_util::stream::iter((0..10).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1000])));
    let r = client
        .post(&wallet)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);

    let mut text_plain = wallet_req("m-4", "104");
    text_plain.headers[0].1 = "text/plain".into();
    assert_eq!(post(&client, &wallet, &text_plain).await.status(), 415);
    let mut utf8 = wallet_req("m-5", "105");
    utf8.headers[0].1 = "application/json;charset=UTF-8".into();
    assert_eq!(post(&client, &wallet, &utf8).await.status(), 200);

    let r = client.get(&wallet).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "POST");

    let mut malformed = payin_req("pay-3");
    malformed.body = br#"{"payment":{"paymentId":1},"type":"PAYMENT"}"#.to_vec();
    assert_eq!(
        post(&client, &format!("{base}/payin"), &malformed)
            .await
            .status(),
        400
    );

    assert_eq!(script.calls(), vec![("wallet".into(), "105".into())]);
}

#[tokio::test]
async fn a_family_without_a_key_answers_404() {
    let script = Arc::new(Script::default());
    let only_p2p = Keys {
        p2p: Some(P2pSecretKey::new("p2p-secret")),
        ..Keys::default()
    };
    let base = start(Receiver::new(only_p2p), script.clone()).await;
    let client = reqwest::Client::new();
    assert_eq!(
        post(&client, &format!("{base}/wallet"), &wallet_req("m", "1"))
            .await
            .status(),
        404
    );
    assert_eq!(
        post(&client, &format!("{base}/payin"), &payin_req("p"))
            .await
            .status(),
        404
    );
    assert_eq!(
        post(&client, &format!("{base}/p2p"), &bill_req("b"))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_duplicate_is_acknowledged_without_a_second_handler_call() {
    let script = Arc::new(Script::default());
    let base = start(Receiver::new(keys()), script.clone()).await;
    let client = reqwest::Client::new();
    let req = wallet_req("m-dup", "201");
    for _ in 0..3 {
        assert_eq!(
            post(&client, &format!("{base}/wallet"), &req)
                .await
                .status(),
            200
        );
    }
    let bill = bill_req("bill-dup");
    for _ in 0..2 {
        let r = post(&client, &format!("{base}/p2p"), &bill).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), r#"{"error":"0"}"#);
    }
    assert_eq!(script.calls().len(), 2);
}

#[tokio::test]
async fn a_failing_handler_gets_500_and_the_retry_is_processed() {
    for panic in [false, true] {
        let script = Arc::new(Script {
            fail_first: AtomicUsize::new(1),
            panic,
            ..Script::default()
        });
        let base = start(Receiver::new(keys()), script.clone()).await;
        let client = reqwest::Client::new();
        let req = payin_req("pay-retry");
        assert_eq!(
            post(&client, &format!("{base}/payin"), &req).await.status(),
            500,
            "panic={panic}"
        );
        assert_eq!(
            post(&client, &format!("{base}/payin"), &req).await.status(),
            200,
            "panic={panic}"
        );
        assert_eq!(
            post(&client, &format!("{base}/payin"), &req).await.status(),
            200,
            "panic={panic}"
        );
        assert_eq!(
            script.calls().len(),
            2,
            "the retry ran the handler, the duplicate did not"
        );
    }
}

#[tokio::test]
async fn a_duplicate_during_handling_gets_a_retryable_status() {
    let gate = Arc::new(Notify::new());
    let script = Arc::new(Script {
        gate: Some(gate.clone()),
        ..Script::default()
    });
    let base = start(Receiver::new(keys()), script.clone()).await;
    let client = reqwest::Client::new();
    let req = wallet_req("m-slow", "301");
    let url = format!("{base}/wallet");
    let first = {
        let (client, url, req) = (client.clone(), url.clone(), req.clone());
        tokio::spawn(async move { post(&client, &url, &req).await.status() })
    };
    script.wait_for_calls(1).await;
    let second = post(&client, &url, &req).await;
    assert_eq!(second.status(), 503, "an ack must never outrun the handler");
    assert_eq!(second.headers()["retry-after"], "5");
    gate.notify_one();
    assert_eq!(first.await.unwrap(), 200);
    assert_eq!(post(&client, &url, &req).await.status(), 200);
    assert_eq!(script.calls().len(), 1);
}

#[tokio::test]
async fn parallel_deliveries_are_each_handled_exactly_once() {
    let script = Arc::new(Script::default());
    let base = start(Receiver::new(keys()), script.clone()).await;
    let client = reqwest::Client::new();
    let requests: Vec<(String, SignedRequest)> = (0..50)
        .map(|i| match i % 3 {
            0 => (
                format!("{base}/wallet"),
                wallet_req(&format!("m-{i}"), &format!("{i}")),
            ),
            1 => (format!("{base}/p2p"), bill_req(&format!("bill-{i}"))),
            _ => (format!("{base}/payin"), payin_req(&format!("pay-{i}"))),
        })
        .collect();
    let mut tasks = Vec::new();
    for round in 0..4 {
        for (url, req) in &requests {
            let (client, url, req) = (client.clone(), url.clone(), req.clone());
            tasks.push(tokio::spawn(async move {
                // Like QIWI: deliver until acknowledged.
                for attempt in 0..50 {
                    let status = post(&client, &url, &req).await.status();
                    if status == 200 {
                        return attempt;
                    }
                    assert_eq!(status, 503, "round {round}");
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                panic!("never acknowledged");
            }));
        }
    }
    assert_eq!(tasks.len(), 200);
    for t in tasks {
        t.await.unwrap();
    }
    let mut per_id: HashMap<(String, String), usize> = HashMap::new();
    for call in script.calls() {
        *per_id.entry(call).or_default() += 1;
    }
    assert_eq!(per_id.len(), 50);
    assert!(per_id.values().all(|&n| n == 1), "{per_id:?}");
}

#[tokio::test]
async fn the_source_allow_list_uses_forwarded_for_only_from_named_proxies() {
    let script = Arc::new(Script::default());
    let strict = Receiver::new(keys()).with_sources(SourcePolicy::qiwi_networks());
    let base = start(strict, script.clone()).await;
    let client = reqwest::Client::new();
    let mut spoofed = wallet_req("m-ip", "401");
    spoofed
        .headers
        .push(("x-forwarded-for", "91.213.51.7".into()));
    assert_eq!(
        post(&client, &format!("{base}/wallet"), &spoofed)
            .await
            .status(),
        403
    );

    let behind_proxy = Receiver::new(keys())
        .with_sources(SourcePolicy::qiwi_networks().trust_proxies(["127.0.0.1".parse().unwrap()]));
    let base = start(behind_proxy, script.clone()).await;
    assert_eq!(
        post(&client, &format!("{base}/wallet"), &spoofed)
            .await
            .status(),
        200
    );
    let mut outsider = wallet_req("m-ip2", "402");
    outsider.headers.push(("x-forwarded-for", "8.8.8.8".into()));
    assert_eq!(
        post(&client, &format!("{base}/wallet"), &outsider)
            .await
            .status(),
        403
    );
    assert_eq!(script.calls(), vec![("wallet".into(), "401".into())]);
}

#[tokio::test]
async fn qiwis_documented_webhook_is_accepted_and_its_stale_twin_refused() {
    // shared/reference/test-vectors.md: W1 verifies; the docs' JSON hash (W3) must not.
    let w1 = W1.trim_end();
    let w3 = w1.replace(
        "f05c4e7bdf00620205d47696d77f924bfd3ba4d02b0398ac8a626e737dc27243",
        "76687ffe5c516c793faa46fafba0994e7ca7a6d735966e0e0c0b65eaa43bdca0",
    );
    let script = Arc::new(Script::default());
    let base = start(Receiver::new(keys()), script.clone()).await;
    let client = reqwest::Client::new();
    let send = |body: String| {
        client
            .post(format!("{base}/wallet"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    assert_eq!(send(w3).await.unwrap().status(), 401);
    assert_eq!(send(w1.to_owned()).await.unwrap().status(), 200);
    assert_eq!(
        script.calls(),
        vec![("wallet".into(), "13353941550".into())]
    );
}
