//! Faults injected through `/sandbox/faults`, met by qiwi-sys's transport over 127.0.0.1: what
//! QIWI's outages look like to a client, on demand.

use std::time::Duration;

use qiwi_core::p2p::BillStatusValue;
use qiwi_sandbox::{Config, RunningSandbox};
use qiwi_sys::error::{ApiError, Classify as _};
use qiwi_sys::p2p;
use qiwi_sys::transport::{RetryPolicy, Transport};

mod common;

async fn fault(sandbox: &RunningSandbox, json: &str) -> reqwest::StatusCode {
    common::control(sandbox, "/sandbox/faults", json)
        .await
        .status()
}

fn client(sandbox: &RunningSandbox, retry: RetryPolicy, timeout: Duration) -> p2p::Client {
    let token = qiwi_core::secret::ApiToken::try_from(&sandbox.credentials().p2p_secret).unwrap();
    let transport = Transport::new(token)
        .with_retry(retry)
        .with_timeout(timeout);
    p2p::Client::with_transport(sandbox.base_url(), transport).unwrap()
}

async fn bill(client: &p2p::Client, id: &str) -> Result<p2p::types::Bill, ApiError> {
    let expiry =
        qiwi_core::QiwiDateTime::from(time::OffsetDateTime::now_utc() + time::Duration::hours(1));
    let body = p2p::types::CreateBillRequest {
        amount: qiwi_core::p2p::BillAmount {
            value: qiwi_core::Amount::from(3).into(),
            currency: qiwi_core::Currency::RUB.into(),
        },
        expiration_date_time: expiry,
        comment: None,
        customer: None,
        custom_fields: None,
    };
    client
        .create_bill()
        .bill_id(id)
        .body(body)
        .send()
        .await
        .classify()
}

fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(5))
}

#[tokio::test]
async fn outages_are_retried_by_the_transport_until_qiwi_answers() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let client = client(&sandbox, quick_retries(), Duration::from_secs(5));
    assert_eq!(
        fault(
            &sandbox,
            r#"{"operation":"createBill","count":2,"status":503}"#
        )
        .await,
        201
    );
    // A create keyed by the caller's billId is safe to repeat: two 503s, then the bill.
    let created = bill(&client, "b-1").await.unwrap();
    assert_eq!(created.status.value, BillStatusValue::Waiting);

    // A connection dropped mid-answer is retried too, for a GET.
    fault(
        &sandbox,
        r#"{"operation":"getBill","drop_connection":true}"#,
    )
    .await;
    let read = client
        .get_bill()
        .bill_id("b-1")
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(read.bill_id, "b-1");
    let pending: serde_json::Value = reqwest::get(format!("{}/sandbox/faults", sandbox.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pending, serde_json::json!([]), "every fault was used");

    // Without retries, the dropped connection is what the caller sees.
    let once = client_without_retries(&sandbox);
    fault(
        &sandbox,
        r#"{"operation":"getBill","drop_connection":true}"#,
    )
    .await;
    let err = once
        .get_bill()
        .bill_id("b-1")
        .send()
        .await
        .classify()
        .unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::Transport {
                timed_out: false,
                ..
            }
        ),
        "{err}"
    );
    fault(&sandbox, r#"{"operation":"getBill","status":502}"#).await;
    let err = once
        .get_bill()
        .bill_id("b-1")
        .send()
        .await
        .classify()
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Unavailable { status: 502, .. }),
        "{err}"
    );
    assert_eq!(
        err.body().unwrap().service_name.as_deref(),
        Some("invoicing-api")
    );
}

fn client_without_retries(sandbox: &RunningSandbox) -> p2p::Client {
    client(sandbox, RetryPolicy::disabled(), Duration::from_secs(5))
}

#[tokio::test]
async fn rate_limits_and_slow_answers_reach_the_caller_as_qiwi_sends_them() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let client = client(&sandbox, quick_retries(), Duration::from_millis(300));
    bill(&client, "b-2").await.unwrap();

    fault(
        &sandbox,
        r#"{"operation":"getBill","status":429,"retry_after_seconds":120}"#,
    )
    .await;
    let err = client
        .get_bill()
        .bill_id("b-2")
        .send()
        .await
        .classify()
        .unwrap_err();
    assert!(
        matches!(err, ApiError::RateLimited { status: 429, retry_after: Some(d), .. } if d == Duration::from_secs(120)),
        "{err}"
    );

    fault(
        &sandbox,
        r#"{"operation":"getBill","count":3,"delay_ms":1000}"#,
    )
    .await;
    let err = client
        .get_bill()
        .bill_id("b-2")
        .send()
        .await
        .classify()
        .unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::Transport {
                timed_out: true,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn faults_that_cannot_apply_are_refused_with_the_reason() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    for bad in [
        r#"{"operation":"payEverything","status":500}"#,
        r#"{"operation":"getBill","status":200}"#,
        r#"{"operation":"getBill"}"#,
        r#"{"operation":"getBill","status":500,"count":0}"#,
        r#"{"operation":"getBill","status":500,"typo":1}"#,
    ] {
        assert_eq!(fault(&sandbox, bad).await, 400, "{bad}");
    }
}
