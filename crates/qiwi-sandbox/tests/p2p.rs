//! The P2P bills API of the sandbox, driven through qiwi-sys's generated P2P client over HTTP
//! on 127.0.0.1, with notifications received by a qiwi-hooks receiver.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use qiwi_core::p2p::{BillAmount, BillStatusValue};
use qiwi_core::secret::P2pSecretKey;
use qiwi_core::{Amount, Currency, QiwiDateTime};
use qiwi_sandbox::{Config, RunningSandbox};
use qiwi_sys::error::{ApiError, Classify as _};
use qiwi_sys::p2p::{self, types::CreateBillRequest};

fn client(sandbox: &RunningSandbox) -> p2p::Client {
    let key = sandbox.credentials().p2p_secret.clone();
    p2p::Client::builder(key)
        .base_url(sandbox.base_url())
        .build()
        .unwrap()
}

fn in_minutes(minutes: i64) -> QiwiDateTime {
    let t = time::OffsetDateTime::now_utc() + time::Duration::minutes(minutes);
    QiwiDateTime::from(t)
}

fn bill_request(value: &str, minutes: i64) -> CreateBillRequest {
    CreateBillRequest {
        amount: BillAmount {
            value: value.parse::<Amount>().unwrap().into(),
            currency: Currency::RUB.into(),
        },
        expiration_date_time: in_minutes(minutes),
        comment: Some("Text comment".into()),
        customer: None,
        custom_fields: None,
    }
}

/// Creates bill `id` of `value` roubles expiring in `minutes`, which must succeed.
async fn create(client: &p2p::Client, id: &str, value: &str, minutes: i64) -> p2p::types::Bill {
    client
        .create_bill()
        .bill_id(id)
        .body(bill_request(value, minutes))
        .send()
        .await
        .classify()
        .unwrap()
}

mod common;
use common::control;

async fn sandbox() -> RunningSandbox {
    qiwi_sandbox::start(Config::default()).await.unwrap()
}

#[tokio::test]
async fn bills_are_created_once_read_and_rejected_only_while_waiting() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let bill = create(&client, "order-1", "10", 30).await;
    assert_eq!(bill.status.value, BillStatusValue::Waiting);
    assert_eq!(bill.amount.value.0.to_fixed2().unwrap(), "10.00");
    assert_eq!(bill.site_id.as_deref(), Some("sandbox-p2p-00"));
    let pay_url = bill.pay_url.clone().unwrap();
    assert!(
        pay_url.starts_with(&format!("{}/form/?invoice_uid=", sandbox.base_url())),
        "{pay_url}"
    );

    // A repeated billId returns the bill QIWI has, whatever the new body says.
    let again = create(&client, "order-1", "99", 30).await;
    assert_eq!(again, bill);
    let read = client
        .get_bill()
        .bill_id("order-1")
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(read, bill);

    let rejected = client
        .reject_bill()
        .bill_id("order-1")
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(rejected.status.value, BillStatusValue::Rejected);
    let err = client
        .reject_bill()
        .bill_id("order-1")
        .send()
        .await
        .classify()
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Rejected { status: 400, .. }),
        "{err}"
    );
    assert_eq!(err.body().unwrap().code(), Some("validation.error"));

    let err = client
        .get_bill()
        .bill_id("nope")
        .send()
        .await
        .classify()
        .unwrap_err();
    let ApiError::NotFound { body, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(body.code(), Some("api.invoice.not.found"));
    assert_eq!(body.service_name.as_deref(), Some("invoicing-api"));
    assert!(body.trace_id.is_some() && body.date_time.is_some());
}

#[tokio::test]
async fn a_wrong_or_missing_key_gets_qiwis_401() {
    let sandbox = sandbox().await;
    let wrong = p2p::Client::builder(P2pSecretKey::new("not-it"))
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let err = wrong
        .get_bill()
        .bill_id("x")
        .send()
        .await
        .classify()
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Unauthorized { status: 401, .. }),
        "{err}"
    );
    assert_eq!(err.body().unwrap().code(), Some("auth.unauthorized"));
    let anonymous = reqwest::get(format!("{}/partner/bill/v1/bills/x", sandbox.base_url()))
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn bad_requests_get_400s_with_causes_never_500s() {
    let sandbox = sandbox().await;
    let put = |bill_id: &str, body: &str| {
        reqwest::Client::new()
            .put(format!(
                "{}/partner/bill/v1/bills/{bill_id}",
                sandbox.base_url()
            ))
            .bearer_auth("sandbox-p2p-secret")
            .header("content-type", "application/json")
            .body(body.to_owned())
    };
    let future = in_minutes(30);
    let cases = [
        ("b-1", "{not json".to_owned(), "http.message.conversion.failed", "body"),
        ("b-2", r#"{"expirationDateTime":"2030-01-01T00:00:00+03:00"}"#.to_owned(), "http.message.conversion.failed", "amount"),
        ("b-3", format!(r#"{{"amount":{{"value":true,"currency":"RUB"}},"expirationDateTime":"{future}"}}"#), "http.message.conversion.failed", "amount.value"),
        ("b-4", format!(r#"{{"amount":{{"value":"1.005","currency":"RUB"}},"expirationDateTime":"{future}"}}"#), "validation.error", "amount.value"),
        ("b-5", format!(r#"{{"amount":{{"value":"1.00","currency":"USD"}},"expirationDateTime":"{future}"}}"#), "validation.error", "amount.currency"),
        ("b-6", r#"{"amount":{"value":"1.00","currency":"RUB"},"expirationDateTime":"2020-01-01T00:00:00+03:00"}"#.to_owned(), "validation.error", "expirationDateTime"),
        ("b-7", format!(r#"{{"amount":{{"value":"1.00","currency":"RUB"}},"expirationDateTime":"{}"}}"#, in_minutes(60 * 24 * 46)), "validation.error", "expirationDateTime"),
        ("bad*id", format!(r#"{{"amount":{{"value":"1.00","currency":"RUB"}},"expirationDateTime":"{future}"}}"#), "validation.error", "billId"),
    ];
    for (bill_id, body, code, field) in cases {
        let answer = put(bill_id, &body).send().await.unwrap();
        assert_eq!(answer.status(), 400, "{bill_id}: {body}");
        let error: qiwi_core::ErrorBody = answer.json().await.unwrap();
        assert_eq!(error.code(), Some(code), "{bill_id}: {error:?}");
        assert!(
            error
                .field_errors()
                .iter()
                .any(|(f, _)| f.starts_with(field)),
            "{bill_id}: {:?}",
            error.field_errors()
        );
    }
}

#[tokio::test]
async fn bills_expire_on_the_sandbox_clock() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    create(&client, "short", "1", 1).await;
    sandbox
        .advance_clock(std::time::Duration::from_secs(120))
        .unwrap();
    let bill = client
        .get_bill()
        .bill_id("short")
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(bill.status.value, BillStatusValue::Expired);
    let refused = sandbox.pay_bill("short").unwrap_err();
    assert_eq!(refused.status, 400, "an expired bill cannot be paid");
    assert_eq!(
        refused.body.field_errors(),
        [("status", "the bill is EXPIRED, not WAITING")],
        "{refused}"
    );
    assert!(
        refused
            .to_string()
            .ends_with("; status: the bill is EXPIRED, not WAITING"),
        "{refused}"
    );
    // The HTTP control says the same.
    let paid = control(&sandbox, "/sandbox/p2p/bills/short/pay", "").await;
    assert_eq!(paid.status(), 400);
    // Recorded, though no notification URL is configured.
    let deliveries = sandbox.callbacks();
    assert_eq!(deliveries.len(), 1);
    assert!(deliveries[0].body.contains(r#""value":"EXPIRED""#));
    assert!(deliveries[0].attempts.is_empty());
}

#[tokio::test]
async fn refunds_never_exceed_what_was_paid() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    create(&client, "paid", "10.00", 30).await;
    let refund = |id: &'static str, value: &'static str| {
        let client = client.clone();
        async move {
            let body = p2p::types::CreateRefundRequest {
                amount: BillAmount {
                    value: value.parse::<Amount>().unwrap().into(),
                    currency: Currency::RUB.into(),
                },
            };
            client
                .create_refund()
                .bill_id("paid")
                .refund_id(id)
                .body(body)
                .send()
                .await
                .classify()
        }
    };
    let err = refund("r0", "1").await.unwrap_err();
    assert!(
        matches!(err, ApiError::Rejected { .. }),
        "a waiting bill: {err}"
    );
    sandbox.pay_bill("paid").unwrap();

    let first = refund("r1", "4").await.unwrap();
    assert_eq!(first.status.as_ref().map(|s| s.as_str()), Some("PARTIAL"));
    let again = refund("r1", "9").await.unwrap();
    assert_eq!(
        again, first,
        "a repeated refundId returns the refund QIWI has"
    );
    let err = refund("r2", "6.01").await.unwrap_err();
    assert_eq!(err.body().unwrap().code(), Some("refund.incorrect.amount"));
    let last = refund("r2", "6").await.unwrap();
    assert_eq!(last.status.as_ref().map(|s| s.as_str()), Some("FULL"));
    let read = client
        .get_refund()
        .bill_id("paid")
        .refund_id("r2")
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(read, last);
}

#[tokio::test]
async fn notifications_are_signed_as_qiwi_signs_them_and_retried_until_acknowledged() {
    use qiwi_hooks::{Event, Keys, Receiver};

    // A receiver that fails the first delivery and accepts the next.
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (calls2, seen2) = (calls.clone(), seen.clone());
    let keys = Keys {
        p2p: Some(P2pSecretKey::new(qiwi_sandbox::config::DEFAULT_P2P_SECRET)),
        ..Keys::default()
    };
    let router = Receiver::new(keys).router(move |event: Event| {
        let (calls, seen) = (calls2.clone(), seen2.clone());
        async move {
            if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                return Err(std::io::Error::other("not yet"));
            }
            seen.lock().unwrap().push((
                event.id(),
                event.status(),
                event.status_is_authenticated(),
            ));
            Ok(())
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let receiver_url = format!("http://{}/p2p", listener.local_addr().unwrap());
    tokio::spawn(qiwi_hooks::serve(listener, router));

    // QIWI's first retry waits a minute; at 600× it is 0.1 s.
    let sandbox = qiwi_sandbox::start(Config {
        notify_p2p: Some(receiver_url),
        time_scale: 600.0,
        ..Config::default()
    })
    .await
    .unwrap();
    create(&client(&sandbox), "notified", "5", 30).await;
    sandbox.pay_bill("notified").unwrap();

    // The handler runs before the receiver answers, and the sandbox records the answer after
    // it arrives: wait for both, not for the handler alone.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let acknowledged = |sandbox: &qiwi_sandbox::RunningSandbox| {
        sandbox.callbacks().first().is_some_and(|d| d.acknowledged)
    };
    while seen.lock().unwrap().is_empty() || !acknowledged(&sandbox) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            sandbox.callbacks()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        *seen.lock().unwrap(),
        vec![("notified".to_owned(), "PAID".to_owned(), true)]
    );
    let deliveries = sandbox.callbacks();
    assert_eq!(deliveries.len(), 1);
    let statuses: Vec<_> = deliveries[0].attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, vec![Some(500), Some(200)]);
    assert!(deliveries[0].acknowledged);
}

#[tokio::test]
async fn the_payers_page_shows_the_bill_and_pays_it() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let bill = create(&client, "page", "12.50", 30).await;
    let pay_url = bill.pay_url.unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let html = http
        .get(format!(
            "{pay_url}&successUrl=https%3A%2F%2Fshop.example%2Fthanks&paySource=card"
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("12.50 RUB") && html.contains("Text comment"),
        "{html}"
    );
    assert!(
        html.contains(r#"value="card" checked"#),
        "paySource preselects: {html}"
    );
    let uid = pay_url.rsplit('=').next().unwrap();
    let paid = http
        .post(format!("{}/form/pay", sandbox.base_url()))
        .form(&[
            ("invoice_uid", uid),
            ("success_url", "https://shop.example/thanks"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), 303);
    assert_eq!(paid.headers()["location"], "https://shop.example/thanks");
    let bill = client
        .get_bill()
        .bill_id("page")
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(bill.status.value, BillStatusValue::Paid);
    let again = http
        .get(&pay_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        again.contains("Bill PAID") && !again.contains("id=\"pay\""),
        "{again}"
    );
}

#[tokio::test]
async fn form_links_make_bills_as_qiwis_form_does_and_refuse_what_it_refuses() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let public = sandbox.credentials().p2p_public_key.as_str().to_owned();
    let base = format!("{}/create?publicKey={public}", sandbox.base_url());
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let open = |query: String| {
        let browser = browser.clone();
        async move { browser.get(query).send().await.unwrap().status().as_u16() }
    };
    // A third decimal is rounded down, as QIWI's form does; no lifetime means 45 days.
    assert_eq!(open(format!("{base}&amount=200.345&billId=f-1")).await, 303);
    let bill = client(&sandbox)
        .get_bill()
        .bill_id("f-1")
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(bill.amount.value.0.to_fixed2().unwrap(), "200.34");
    let expires = bill.expiration_date_time.unwrap().instant().unwrap();
    let days = (expires - time::OffsetDateTime::now_utc()).whole_hours();
    assert!((44 * 24..=45 * 24).contains(&days), "{days} hours");
    // Without a billId each opening makes a new bill.
    assert_eq!(open(format!("{base}&amount=5")).await, 303);

    let refused = [
        (format!("{}/create?amount=1", sandbox.base_url()), 400),
        (base.clone(), 400),
        (format!("{base}&amount=ten"), 400),
        (format!("{base}&amount=-1"), 400),
        (format!("{base}&amount=1&billId=no%20spaces"), 400),
        (format!("{base}&amount=1&lifetime=2026-12-01T25:00"), 400),
        (format!("{base}&amount=1&lifetime=2000-01-01T0000"), 400),
        (format!("{base}&amount=1&lifetime=2999-01-01T0000"), 400),
        (format!("{base}&amount=1&comment={}", "x".repeat(256)), 400),
        (
            format!("{}/create?publicKey=other&amount=1", sandbox.base_url()),
            401,
        ),
    ];
    for (link, status) in refused {
        assert_eq!(open(link.clone()).await, status, "{link}");
    }
}
