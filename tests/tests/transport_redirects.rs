//! Trust round 3, items 3, 10 and 11: the transport follows no redirect, sends nothing in
//! clear to another machine, and never quotes a value in a decode error — against local
//! servers that count what reached them.

mod common;

use qiwi_sys::error::{ApiError, Classify as _};
use qiwi_sys::transport::RetryPolicy;
use qiwi_sys::{p2p, payin};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const PAN: &str = "4444443616621049";

async fn hits(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

/// A server that answers everything `status` with `Location: location`.
async fn redirecting(status: u16, location: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(status).insert_header("location", location))
        .mount(&server)
        .await;
    server
}

/// QIWI's documented card payment (spec/payin.yaml), card number and CVV included.
fn card_payment() -> payin::types::CreatePaymentRequest {
    serde_json::from_value(json!({
        "amount": {"currency": "RUB", "value": "200.00"},
        "paymentMethod": {"type": "CARD", "pan": PAN, "expiryDate": "12/19", "cvv2": "123",
                          "holderName": "CARDHOLDER NAME"},
        "flags": ["SALE"]
    }))
    .unwrap()
}

#[tokio::test]
async fn no_redirect_is_followed_and_a_payment_redirected_is_an_unknown_outcome() {
    let elsewhere = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&elsewhere)
        .await;
    let target = format!("{}/steal", elsewhere.uri());
    for status in [301, 302, 303, 307, 308] {
        let front = redirecting(status, &target).await;
        // A card payment: the card must not travel to the other host. Its PUT is keyed by
        // the caller's id, so repeating it is harmless: a redirect, not an unknown outcome.
        let payin = payin::Client::with_transport(&front.uri(), common::transport()).unwrap();
        let err = payin
            .create_payment()
            .site_id("site")
            .payment_id("pay-1")
            .body(card_payment())
            .send()
            .await
            .classify()
            .unwrap_err();
        assert!(
            matches!(err, ApiError::Redirected { status: s, .. } if s == status),
            "{status}: {err:?}"
        );
        assert!(!err.to_string().contains(PAN), "{err}");
        // A wallet payment cannot be repeated: its outcome is unknown, with the wallet's advice.
        let err = common::pay(&front.uri(), common::transport()).await;
        assert!(
            matches!(err, ApiError::OutcomeUnknown { status: Some(s), .. } if s == status),
            "{status}: {err:?}"
        );
        let text = err.to_string();
        assert!(
            text.contains(&status.to_string()) && text.contains(&target),
            "{text}"
        );
        assert!(text.contains("payment history by its client id"), "{text}");
        // A P2P reject cannot be repeated either: the advice is P2P's.
        let p2p = p2p::Client::with_transport(&front.uri(), common::transport()).unwrap();
        let err = p2p
            .reject_bill()
            .bill_id("b-1")
            .send()
            .await
            .classify()
            .unwrap_err();
        assert!(matches!(err, ApiError::OutcomeUnknown { .. }), "{err:?}");
        assert!(
            err.to_string().contains("Read the bill") && !err.to_string().contains("history"),
            "{err}"
        );
        let err = common::get_bill(&front.uri(), common::transport(), "b-1").await;
        let ApiError::Redirected {
            status: s,
            location,
            ..
        } = &err
        else {
            panic!("{status}: {err:?}")
        };
        assert_eq!((*s, location.as_deref()), (status, Some(target.as_str())));
        assert!(!err.is_retryable());
        assert_eq!(hits(&front).await, 4, "{status}: each request sent once");
    }
    assert_eq!(hits(&elsewhere).await, 0, "nothing followed a redirect");

    // A 307 loop: the payment is sent once, not eleven times.
    let looping = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("location", format!("{}/again", looping.uri())),
        )
        .mount(&looping)
        .await;
    let err = common::pay(&looping.uri(), common::transport()).await;
    assert_eq!(hits(&looping).await, 1);
    assert!(err.to_string().contains("was not sent again"), "{err}");

    // Progenitor's own constructor follows none either, and sends no Referer.
    let front = redirecting(302, &target).await;
    let raw = p2p::Client::new(&front.uri(), common::transport());
    let err = raw
        .get_bill()
        .bill_id("b-2")
        .send()
        .await
        .classify()
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Redirected { status: 302, .. }),
        "{err:?}"
    );
    assert_eq!(hits(&elsewhere).await, 0);
    let sent = &front.received_requests().await.unwrap()[0];
    assert!(sent.headers.get("referer").is_none());
}

#[tokio::test]
async fn plain_http_goes_only_to_loopback_unless_allowed() {
    let server = common::answering("GET", 404).await;
    let port = server.address().port();
    // 0.0.0.0 reaches this machine's listeners, but it is not a loopback name: refused.
    let exposed = format!("http://0.0.0.0:{port}");
    let err = common::get_bill(&exposed, common::transport(), "b").await;
    let ApiError::InvalidRequest { message } = &err else {
        panic!("{err:?}")
    };
    assert!(
        message.contains("not encrypted") && message.contains("allow_insecure_http"),
        "{message}"
    );
    assert_eq!(
        hits(&server).await,
        0,
        "nothing was sent, the key least of all"
    );
    let err = common::pay(&exposed, common::transport()).await;
    assert!(matches!(err, ApiError::InvalidRequest { .. }), "{err:?}");
    assert_eq!(hits(&server).await, 0);

    // Opted in: it goes.
    let allowed = common::transport()
        .allow_insecure_http(true)
        .with_retry(RetryPolicy::disabled());
    let err = common::get_bill(&exposed, allowed, "b").await;
    assert!(matches!(err, ApiError::NotFound { .. }), "{err:?}");
    assert_eq!(hits(&server).await, 1);

    // Loopback in every spelling works without opting in.
    for base in [
        format!("http://127.0.0.1:{port}"),
        format!("http://localhost:{port}"),
        format!("http://LOCALHOST:{port}"),
    ] {
        let err = common::get_bill(&base, common::transport(), "b").await;
        assert!(matches!(err, ApiError::NotFound { .. }), "{base}: {err:?}");
    }
    for (url, loopback) in [
        ("http://[::1]:8080/", true),
        ("http://127.8.9.10/", true),
        ("http://localhost.evil.example/", false),
        ("http://10.0.0.1/", false),
        ("https://edge.qiwi.com/", false),
    ] {
        let url: reqwest::Url = url.parse().unwrap();
        assert_eq!(qiwi_sys::transport::is_loopback(&url), loopback, "{url}");
    }
}

#[tokio::test]
async fn a_card_number_in_a_malformed_answer_is_never_quoted() {
    let server = MockServer::start().await;
    // A bill whose id QIWI (or a proxy) wrote as a JSON number: a card number, say.
    let mut bill: serde_json::Value =
        serde_json::from_str(include_str!("../../fixtures/p2p/bill.json")).unwrap();
    bill["billId"] = json!(4444111122223333u64);
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(bill))
        .mount(&server)
        .await;
    let err = common::get_bill(&server.uri(), common::transport(), "b").await;
    let ApiError::Decode { path, message } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(path, "billId");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("4444111122223333"), "{shown}");
    assert!(message.contains("expected a string"), "{message}");
}
