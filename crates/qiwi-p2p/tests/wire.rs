//! One test per operation over real HTTP: qiwi-p2p's request, checked against what QIWI
//! documents (method, path, headers, body — the body also as a reviewed snapshot), answered with
//! QIWI's documented JSON (../shared/reference/p2p-bills-api.md), read back typed.

use std::time::Duration;

use qiwi_p2p::{
    Amount, ApiError, BillStatusValue, Client, Currency, Error, P2pSecretKey, PaySource,
    RefundStatus, RetryPolicy,
};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// QIWI's documented bill (p2p-bills-api.md §2.1) with status `status`.
fn documented_bill(status: &str) -> Value {
    let mut bill: Value =
        serde_json::from_str(include_str!("../../../fixtures/p2p/bill.json")).unwrap();
    bill["status"]["value"] = status.into();
    bill
}

const BILL: &str = "cc961e8d-d4d6-4f02-b737-2297e51fb48e";

async fn client(server: &MockServer) -> Client {
    Client::builder(P2pSecretKey::new("test-secret"))
        .base_url(server.uri())
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap()
}

/// The one request the server got, as JSON.
async fn sent_body(server: &MockServer) -> Value {
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    serde_json::from_slice(&requests[0].body).unwrap()
}

/// QIWI's documented bill request (p2p-bills-api.md §2.1), without its expiry.
fn documented_request(client: &Client) -> qiwi_p2p::CreateBill<'_> {
    client
        .bills()
        .create(BILL)
        .amount("1.00".parse::<Amount>().unwrap(), Currency::RUB)
        .comment("Text comment")
        .customer_phone("78710009999")
        .customer_email("test@example.com")
        .customer_account("454678")
        .pay_sources([PaySource::Wallet])
        .theme_code("Yvan-YKaSh")
        .custom_field("yourParam1", "64728940")
        .custom_field("yourParam2", "order 678")
}

#[tokio::test]
async fn create_bill_sends_qiwis_shape_and_reads_the_documented_bill() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path(format!("/partner/bill/v1/bills/{BILL}")))
        .and(header("authorization", "Bearer test-secret"))
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(documented_bill("WAITING")))
        .expect(1)
        .mount(&server)
        .await;
    let expires = time::macros::datetime!(2025-12-10 09:02 +03:00);
    let client = client(&server).await;
    let bill = documented_request(&client).expires_at(expires).send().await;
    // An expiry in the past is refused before sending: QIWI's example date has passed.
    assert!(
        matches!(
            bill,
            Err(Error::InvalidInput {
                field: "expirationDateTime",
                ..
            })
        ),
        "{bill:?}"
    );
    let bill = documented_request(&client)
        .expires_in(Duration::from_secs(600))
        .send()
        .await
        .unwrap();
    assert_eq!(bill.status.value, BillStatusValue::Waiting);
    assert_eq!(bill.amount.value.0.to_fixed2().unwrap(), "1.00");
    assert_eq!(
        bill.pay_url.as_deref(),
        Some("https://oplata.qiwi.com/form/?invoice_uid=aa0fa2bb-5452-47ca-9190-cd9c1a73718f")
    );
    let mut body = sent_body(&server).await;
    // The expiry is ten minutes from now: checked, then set aside for the snapshot.
    let expiry = body["expirationDateTime"].take();
    let at = qiwi_core::QiwiDateTime::parse(expiry.as_str().unwrap()).unwrap();
    let ahead = at.instant().unwrap() - time::OffsetDateTime::now_utc();
    assert!(ahead > time::Duration::minutes(9) && ahead <= time::Duration::minutes(10));
    insta::assert_snapshot!(serde_json::to_string_pretty(&body).unwrap());
}

#[tokio::test]
async fn get_bill_reads_unknown_fields_and_statuses() {
    let server = MockServer::start().await;
    let mut answer = documented_bill("PAID");
    answer["status"]["value"] = json!("HOLD");
    answer["somethingNew"] = json!({"a": 1});
    Mock::given(method("GET"))
        .and(path(format!("/partner/bill/v1/bills/{BILL}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .mount(&server)
        .await;
    let bill = client(&server)
        .await
        .bills()
        .get(BILL)
        .send()
        .await
        .unwrap();
    assert_eq!(bill.status.value, BillStatusValue::Unknown("HOLD".into()));
    assert!(!qiwi_p2p::is_final(&bill.status.value));
}

#[tokio::test]
async fn reject_bill_posts_nothing_and_reads_the_rejected_bill() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/partner/bill/v1/bills/{BILL}/reject")))
        .respond_with(ResponseTemplate::new(200).set_body_json(documented_bill("REJECTED")))
        .expect(1)
        .mount(&server)
        .await;
    let bill = client(&server)
        .await
        .bills()
        .reject(BILL)
        .send()
        .await
        .unwrap();
    assert_eq!(bill.status.value, BillStatusValue::Rejected);
    let requests = server.received_requests().await.unwrap();
    assert!(requests[0].body.is_empty(), "QIWI's reject has no body");
}

#[tokio::test]
async fn create_refund_sends_the_amount_and_reads_the_documented_refund() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path(format!("/partner/bill/v1/bills/{BILL}/refunds/1")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!(
            {"amount":{"value":50.50,"currency":"RUB"},"datetime":"2018-03-01T16:06:57+03","refundId":"1","status":"PARTIAL"}
        )))
        .expect(1)
        .mount(&server)
        .await;
    let refund = client(&server)
        .await
        .refunds()
        .create(BILL, "1", "50.50".parse().unwrap(), Currency::RUB)
        .send()
        .await
        .unwrap();
    assert_eq!(refund.status, Some(RefundStatus::Partial));
    assert_eq!(
        refund.amount.unwrap().value.0,
        "50.5".parse::<Amount>().unwrap()
    );
    insta::assert_snapshot!(serde_json::to_string_pretty(&sent_body(&server).await).unwrap());
}

#[tokio::test]
async fn get_refund_reads_the_documented_refund() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/partner/bill/v1/bills/{BILL}/refunds/1")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!(
            {"amount":{"value":"100.00","currency":"RUB"},"datetime":"2018-03-01T16:06:57+03","refundId":"1","status":"FULL"}
        )))
        .mount(&server)
        .await;
    let refund = client(&server)
        .await
        .refunds()
        .get(BILL, "1")
        .send()
        .await
        .unwrap();
    assert_eq!(refund.status, Some(RefundStatus::Full));
}

#[tokio::test]
async fn qiwis_errors_come_back_typed_and_verbatim() {
    let server = MockServer::start().await;
    let not_found = json!({"serviceName":"invoicing-api","errorCode":"api.invoice.not.found","description":"Invoice not found","userMessage":"Invoice not found","dateTime":"2021-01-18T14:34:40.865+03:00","traceId":"b3d41cafa0c6d088"});
    Mock::given(method("GET"))
        .and(path("/partner/bill/v1/bills/missing"))
        .respond_with(ResponseTemplate::new(404).set_body_json(not_found))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/partner/bill/v1/bills/secret"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"serviceName":"invoicing-api","errorCode":"auth.unauthorized","description":"Unauthorized","userMessage":"Unauthorized","dateTime":"2021-01-18T14:34:40.865+03:00","traceId":"c3d41cafa0c6d088"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/partner/bill/v1/bills/proxy"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad gateway</html>"))
        .mount(&server)
        .await;
    let client = client(&server).await;
    let err = client.bills().get("missing").send().await.unwrap_err();
    let Error::Api(ApiError::NotFound { body, .. }) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(body.trace_id.as_deref(), Some("b3d41cafa0c6d088"));
    assert!(!err.is_retryable());

    let err = client.bills().get("secret").send().await.unwrap_err();
    let Error::Api(ApiError::Unauthorized { hint, .. }) = &err else {
        panic!("{err:?}")
    };
    assert!(
        hint.is_some(),
        "test-secret is not shaped like a P2P secret key"
    );
    assert!(!err.to_string().contains("test-secret"), "{err}");

    let err = client.bills().get("proxy").send().await.unwrap_err();
    assert!(
        matches!(err, Error::Api(ApiError::Unavailable { status: 502, .. })),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert!(
        err.body()
            .unwrap()
            .non_json_body()
            .unwrap_or_default()
            .contains("Bad gateway")
    );

    let err = client.bills().get("has space").send().await.unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidInput {
            field: "billId",
            ..
        }
    ));
}

#[tokio::test]
async fn inputs_are_refused_before_sending_never_rounded() {
    let server = MockServer::start().await;
    let client = client(&server).await;
    let create = |amount: &str, currency: Currency| {
        client
            .bills()
            .create("b-1")
            .amount(amount.parse::<Amount>().unwrap(), currency)
            .expires_in(Duration::from_secs(60))
    };
    let field = |e: Error| match e {
        Error::InvalidInput { field, .. } => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        field(create("1.005", Currency::RUB).send().await.unwrap_err()),
        "amount.value"
    );
    assert_eq!(
        field(create("0", Currency::RUB).send().await.unwrap_err()),
        "amount.value"
    );
    assert_eq!(
        field(create("1", Currency::USD).send().await.unwrap_err()),
        "amount.currency"
    );
    let long = create("1", Currency::RUB).expires_in(Duration::from_secs(46 * 86_400));
    assert_eq!(field(long.send().await.unwrap_err()), "expirationDateTime");
    let none = client
        .bills()
        .create("b-1")
        .amount(Amount::from_minor(100), Currency::RUB);
    assert_eq!(field(none.send().await.unwrap_err()), "expirationDateTime");
    let comment = create("1", Currency::KZT).comment("x".repeat(256));
    assert_eq!(field(comment.send().await.unwrap_err()), "comment");
    let id = client
        .bills()
        .create("x".repeat(201))
        .amount(Amount::from_minor(1), Currency::RUB);
    assert_eq!(field(id.send().await.unwrap_err()), "billId");
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing was sent"
    );
}

fn answer_bill(status: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(documented_bill(status))
}

/// The first `times` reads of the bill get `first`, the later ones the bill `PAID`.
async fn reads_answer(server: &MockServer, first: ResponseTemplate, times: u64) {
    Mock::given(method("GET"))
        .respond_with(first)
        .up_to_n_times(times)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .respond_with(answer_bill("PAID"))
        .mount(server)
        .await;
}

#[tokio::test]
async fn unbounded_lifetimes_and_deadlines_are_refused_or_honoured_never_overflow() {
    let server = MockServer::start().await;
    let client = client(&server).await;
    let forever = client
        .bills()
        .create("b-1")
        .amount(Amount::from_minor(100), Currency::RUB)
        .expires_in(Duration::MAX)
        .send()
        .await;
    assert!(
        matches!(
            forever,
            Err(Error::InvalidInput {
                field: "expirationDateTime",
                ..
            })
        ),
        "{forever:?}"
    );

    // WAITING once, then PAID: a deadline and a backoff ceiling of `Duration::MAX` still end.
    reads_answer(&server, answer_bill("WAITING"), 1).await;
    let mut seen = Vec::new();
    let paid = client
        .bills()
        .wait_paid(BILL)
        .deadline(Duration::MAX)
        .first_interval(Duration::from_millis(20))
        .max_interval(Duration::MAX)
        .on_read(|bill| seen.push(bill.status.value.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status.value, BillStatusValue::Paid);
    assert_eq!(
        seen,
        [BillStatusValue::Waiting, BillStatusValue::Paid],
        "every read reported"
    );
}

#[tokio::test]
async fn the_wait_outlasts_failures_that_pass_and_stops_at_those_that_do_not() {
    let server = MockServer::start().await;
    let client = client(&server).await;
    // Two 503s (retries are off in this client, so the wait itself waits them out), then PAID.
    reads_answer(
        &server,
        ResponseTemplate::new(503).set_body_string("busy"),
        2,
    )
    .await;
    let wait = client
        .bills()
        .wait_paid(BILL)
        .first_interval(Duration::from_millis(20));
    assert_eq!(
        wait.send().await.unwrap().status.value,
        BillStatusValue::Paid
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 3);

    // A refused key ends the wait at once: waiting cannot mend it.
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"serviceName":"invoicing-api","errorCode":"auth.unauthorized","description":"Unauthorized","userMessage":"Unauthorized","dateTime":"2021-01-18T14:34:40.865+03:00","traceId":"b3d41cafa0c6d088"})))
        .mount(&server)
        .await;
    let refused = client.bills().wait_paid(BILL).send().await;
    assert!(
        matches!(refused, Err(Error::Api(ApiError::Unauthorized { .. }))),
        "{refused:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_read_slower_than_the_deadline_ends_the_wait_at_the_deadline() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(answer_bill("PAID").set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    let client = client(&server).await;
    let started = std::time::Instant::now();
    let late = client
        .bills()
        .wait_paid(BILL)
        .deadline(Duration::from_millis(200))
        .send()
        .await;
    let Err(Error::Deadline { last_status, .. }) = late else {
        panic!("{late:?}")
    };
    assert_eq!(last_status, None, "never read");
    // Not the read's own 30 s: the deadline, with room for a slow machine.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_flood_of_wake_ups_reads_the_bill_at_most_once_per_gap() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(documented_bill("WAITING")))
        .mount(&server)
        .await;
    let client = client(&server).await;
    // 2,000 wake-ups for the bill over about 2 s (a replayed notification, a loop's bug).
    let wakes = futures_util::stream::unfold(0, |i| async move {
        if i == 2000 {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
        Some((BILL, i + 1))
    });
    let result = client
        .bills()
        .wait_paid(BILL)
        .first_interval(Duration::from_secs(60))
        .min_wake_gap(Duration::from_millis(400))
        .deadline(Duration::from_millis(3000))
        .wake_on(Box::pin(wakes))
        .await;
    assert!(matches!(result, Err(Error::Deadline { .. })), "{result:?}");
    let reads = server.received_requests().await.unwrap().len();
    // One read at the start, then at most one per 400 ms over 3 s.
    assert!((2..=9).contains(&reads), "{reads} reads");
}
