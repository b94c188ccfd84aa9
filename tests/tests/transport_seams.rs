//! The transport's seams, each replaced by a custom one that must be called.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use qiwi_sys::error::{ApiError, Classify as _};
use qiwi_sys::p2p;
use qiwi_sys::transport::{Idempotency, Request, RequestSigner, Rules, SeamFuture, Throttle};
use wiremock::matchers::{header_exists, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::transport;

#[derive(Clone, Default)]
struct CountingThrottle(Arc<AtomicUsize>);

impl Throttle for CountingThrottle {
    fn acquire<'a>(&'a self, operation: &'a str) -> SeamFuture<'a> {
        assert_eq!(operation, "get_bill");
        self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {})
    }
}

#[tokio::test]
async fn a_throttle_is_awaited_before_every_attempt() {
    let server = common::answering("GET", 503).await;
    let throttle = CountingThrottle::default();
    let client =
        p2p::Client::with_transport(&server.uri(), transport().with_throttle(throttle.clone()))
            .unwrap();
    let _ = client
        .get_bill()
        .bill_id("b-1")
        .send()
        .await
        .classify()
        .unwrap_err();
    assert_eq!(throttle.0.load(Ordering::SeqCst), 3, "one wait per attempt");
    assert!(format!("{:?}", transport().with_throttle(throttle)).contains("throttle: \"custom\""));
}

struct Signer;

impl RequestSigner for Signer {
    fn sign(&self, request: &mut Request, operation: &str) -> Result<(), String> {
        if operation == "get_bill" {
            return Err("no key for this operation".into());
        }
        let body = request
            .body()
            .and_then(|b| b.as_bytes())
            .unwrap_or_default();
        let signature = format!("{operation}:{}", body.len());
        request
            .headers_mut()
            .insert("x-digital-sign", signature.parse().unwrap());
        Ok(())
    }
}

#[tokio::test]
async fn a_signer_signs_the_prepared_request_once_and_can_refuse() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header_exists("x-digital-sign"))
        .respond_with(ResponseTemplate::new(502))
        .expect(1)
        .mount(&server)
        .await;
    let t = transport().with_signer(Signer);
    let err = common::pay(&server.uri(), t.clone()).await;
    assert!(
        matches!(
            err,
            ApiError::OutcomeUnknown {
                status: Some(502),
                ..
            }
        ),
        "{err}"
    );
    let sent = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        sent.headers["x-digital-sign"],
        format!("create_payment:{}", sent.body.len()).as_str(),
        "signed over the body that was sent"
    );

    let p2p = p2p::Client::with_transport(&server.uri(), t).unwrap();
    let err = p2p
        .get_bill()
        .bill_id("b-1")
        .send()
        .await
        .classify()
        .unwrap_err();
    assert!(
        matches!(&err, ApiError::InvalidRequest { message } if message == "get_bill: the request could not be signed: no key for this operation"),
        "{err}"
    );
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "nothing unsigned was sent"
    );
}

struct EverythingRepeatable;

impl Idempotency for EverythingRepeatable {
    fn is_repeatable(&self, _operation: &str, _rules: &Rules) -> bool {
        true
    }
}

#[tokio::test]
async fn an_idempotency_decision_replaces_the_specs() {
    let server = common::answering("POST", 502).await;
    let err = common::pay(
        &server.uri(),
        transport().with_idempotency(EverythingRepeatable),
    )
    .await;
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
    assert!(
        matches!(err, ApiError::Unavailable { status: 502, .. }),
        "{err}"
    );
}
