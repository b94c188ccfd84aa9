//! The Payment Protocol's card payments in the sandbox, through qiwi-sys's generated pay-in
//! client over 127.0.0.1: QIWI's test-mode card rules, 3-D Secure, two-step payments,
//! captures, refunds, card tokens, and signed callbacks a qiwi-hooks receiver verifies.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use qiwi_core::payin::OperationStatus;
use qiwi_core::secret::{PayinApiKey, PayinNotificationKey};
use qiwi_sandbox::{Config, RunningSandbox};
use qiwi_sys::error::{ApiError, Classify as _};
use qiwi_sys::payin::{self, types::Payment};
use serde_json::json;

const SITE: &str = qiwi_sandbox::config::DEFAULT_PAYIN_SITE_ID;

fn client(sandbox: &RunningSandbox) -> payin::Client {
    let key = sandbox.credentials().payin_api_key.clone();
    payin::Client::builder(key)
        .base_url(sandbox.base_url())
        .build()
        .unwrap()
}

fn card(expiry: &str, holder: &str, flags: &[&str]) -> payin::types::CreatePaymentRequest {
    serde_json::from_value(json!({
        "amount": {"value": "5.00", "currency": "RUB"},
        "paymentMethod": {"type": "CARD", "pan": "4444443616621049", "expiryDate": expiry,
                          "cvv2": "123", "holderName": holder},
        "customer": {"account": "acc-1"},
        "flags": flags,
    }))
    .unwrap()
}

async fn pay(
    client: &payin::Client,
    id: &str,
    request: payin::types::CreatePaymentRequest,
) -> Result<Payment, ApiError> {
    client
        .create_payment()
        .site_id(SITE)
        .payment_id(id)
        .body(request)
        .send()
        .await
        .classify()
}

async fn get(client: &payin::Client, id: &str) -> Payment {
    client
        .get_payment()
        .site_id(SITE)
        .payment_id(id)
        .send()
        .await
        .classify()
        .unwrap()
}

fn status(p: &Payment) -> OperationStatus {
    p.status.as_ref().unwrap().value.clone()
}

/// Polls until `id` leaves `WAITING`.
async fn settled(client: &payin::Client, id: &str) -> Payment {
    for _ in 0..200 {
        let p = get(client, id).await;
        if status(&p) != OperationStatus::Waiting {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{id} stayed WAITING")
}

async fn fast_sandbox() -> RunningSandbox {
    // QIWI's 3 s test-mode delay takes 30 ms.
    qiwi_sandbox::start(Config {
        time_scale: 100.0,
        ..Config::default()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn test_mode_card_rules() {
    let sandbox = fast_sandbox().await;
    let client = client(&sandbox);
    let done = pay(&client, "ok", card("12/30", "IVAN", &["SALE"]))
        .await
        .unwrap();
    assert_eq!(status(&done), OperationStatus::Completed);
    assert_eq!(
        done.captured_amount, done.amount,
        "a one-step payment is captured"
    );
    assert_eq!(
        done.payment_method.as_ref().unwrap().masked_pan.as_deref(),
        Some("444444******1049")
    );

    let declined = pay(&client, "m02", card("02/30", "IVAN", &["SALE"]))
        .await
        .unwrap();
    assert_eq!(status(&declined), OperationStatus::Declined);

    let later = pay(&client, "m03", card("03/30", "IVAN", &["SALE"]))
        .await
        .unwrap();
    assert_eq!(status(&later), OperationStatus::Waiting);
    assert_eq!(
        status(&settled(&client, "m03").await),
        OperationStatus::Completed
    );

    let later = pay(&client, "m04", card("04/30", "IVAN", &["SALE"]))
        .await
        .unwrap();
    assert_eq!(status(&later), OperationStatus::Waiting);
    assert_eq!(status(&settled(&client, "m04").await).as_str(), "DECLINE");

    let three_ds = pay(&client, "3ds", card("12/30", "unknown name", &["SALE"]))
        .await
        .unwrap();
    assert_eq!(status(&three_ds), OperationStatus::Waiting);
    let acs = three_ds.requirements.unwrap().three_ds.unwrap();
    assert!(acs.acs_url.is_some() && acs.pareq.is_some());
    tokio::time::sleep(Duration::from_millis(60)).await;
    assert_eq!(
        status(&get(&client, "3ds").await),
        OperationStatus::Waiting,
        "until complete"
    );
    let body: payin::types::Complete3dsRequest =
        serde_json::from_value(json!({"threeDS": {"pares": "eJzV"}})).unwrap();
    let completed = client
        .complete_payment3_ds()
        .site_id(SITE)
        .payment_id("3ds")
        .body(body)
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(status(&completed), OperationStatus::Completed);

    // A repeated paymentId returns the payment QIWI has.
    let again = pay(&client, "ok", card("02/30", "IVAN", &["SALE"]))
        .await
        .unwrap();
    assert_eq!(again, done);
}

#[tokio::test]
async fn bad_cards_keys_and_sites_are_refused() {
    let sandbox = fast_sandbox().await;
    let client = client(&sandbox);
    let mut bad = card("12/30", "IVAN", &["SALE"]);
    bad.payment_method.pan = Some(qiwi_core::secret::CardNumber::new("4444443616621048"));
    let err = pay(&client, "luhn", bad).await.unwrap_err();
    assert!(
        matches!(err, ApiError::Rejected { status: 400, .. }),
        "{err}"
    );
    assert_eq!(err.body().unwrap().field_errors()[0].0, "paymentMethod.pan");

    let wrong = payin::Client::builder(PayinApiKey::new("nope").unwrap())
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let err = pay(&wrong, "x", card("12/30", "IVAN", &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Unauthorized { status: 401, .. }),
        "{err}"
    );
    let err = client
        .get_payment()
        .site_id("someone-else")
        .payment_id("x")
        .send()
        .await
        .classify()
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Unauthorized { status: 403, .. }),
        "{err}"
    );
    let err = client
        .get_payment()
        .site_id(SITE)
        .payment_id("none")
        .send()
        .await
        .classify();
    assert!(matches!(err, Err(ApiError::NotFound { .. })), "{err:?}");
}

#[tokio::test]
async fn two_step_payments_are_captured_then_refunded_within_what_was_captured() {
    let sandbox = fast_sandbox().await;
    let client = client(&sandbox);
    let held = pay(&client, "hold", card("12/30", "IVAN", &[]))
        .await
        .unwrap();
    assert_eq!(status(&held), OperationStatus::Completed);
    assert_eq!(
        held.captured_amount
            .as_ref()
            .unwrap()
            .value
            .0
            .to_fixed2()
            .unwrap(),
        "0.00"
    );

    let refund = |id: &'static str, value: &'static str| {
        let client = client.clone();
        async move {
            let body: payin::types::CreateRefundRequest =
                serde_json::from_value(json!({"amount": {"value": value, "currency": "RUB"}}))
                    .unwrap();
            client
                .create_refund()
                .site_id(SITE)
                .payment_id("hold")
                .refund_id(id)
                .body(body)
                .send()
                .await
                .classify()
        }
    };
    // Before the capture a refund reverses the hold.
    let reversal = refund("r-1", "1").await.unwrap();
    assert_eq!(reversal.flags.unwrap().0, ["REVERSAL"]);

    let capture = client
        .capture_payment()
        .site_id(SITE)
        .payment_id("hold")
        .capture_id("c-1")
        .body(payin::types::CaptureRequest {
            callback_url: None,
            comment: None,
        })
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(capture.status.unwrap().value, OperationStatus::Completed);
    let read = client
        .get_capture()
        .site_id(SITE)
        .payment_id("hold")
        .capture_id("c-1")
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(read.capture_id, "c-1");
    let err = client
        .capture_payment()
        .site_id(SITE)
        .payment_id("hold")
        .capture_id("c-2")
        .body(payin::types::CaptureRequest {
            callback_url: None,
            comment: None,
        })
        .send()
        .await
        .classify()
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Rejected { .. }),
        "captured once: {err}"
    );

    refund("r-2", "3").await.unwrap();
    let err = refund("r-3", "1.01").await.unwrap_err();
    assert!(
        matches!(err, ApiError::Rejected { .. }),
        "5 paid, 4 refunded: {err}"
    );
    let list = client
        .list_refunds()
        .site_id(SITE)
        .payment_id("hold")
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(list.0.len(), 2);
    let p = get(&client, "hold").await;
    assert_eq!(
        p.refunded_amount.unwrap().value.0.to_fixed2().unwrap(),
        "4.00"
    );
    let err = client
        .decline_refund()
        .site_id(SITE)
        .payment_id("hold")
        .refund_id("r-2")
        .send()
        .await
        .classify()
        .unwrap_err();
    assert!(matches!(err, ApiError::Rejected { .. }), "{err}");
}

#[tokio::test]
async fn card_tokens_pay_for_their_own_customer_only() {
    let sandbox = fast_sandbox().await;
    let client = client(&sandbox);
    let first = pay(
        &client,
        "bind",
        card("12/30", "IVAN", &["SALE", "BIND_PAYMENT_TOKEN"]),
    )
    .await
    .unwrap();
    let token = first.created_token.unwrap().token;
    let by_token = |account: &str, token: &str| {
        serde_json::from_value::<payin::types::CreatePaymentRequest>(json!({
            "amount": {"value": "1.00", "currency": "RUB"},
            "paymentMethod": {"type": "TOKEN", "paymentToken": token},
            "customer": {"account": account},
            "flags": ["SALE"],
        }))
        .unwrap()
    };
    let second = pay(&client, "again", by_token("acc-1", token.expose_secret()))
        .await
        .unwrap();
    assert_eq!(status(&second), OperationStatus::Completed);
    let err = pay(&client, "stolen", by_token("acc-2", token.expose_secret()))
        .await
        .unwrap_err();
    assert_eq!(err.body().unwrap().field_errors()[0].0, "paymentToken");
}

#[tokio::test]
async fn callbacks_are_signed_and_verified_by_a_receiver() {
    use qiwi_hooks::{Event, Keys, Receiver};
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let keys = Keys {
        payin: Some(PayinNotificationKey::new(
            qiwi_sandbox::config::DEFAULT_PAYIN_NOTIFICATION_KEY,
        )),
        ..Keys::default()
    };
    let router = Receiver::new(keys).router(move |e: Event| {
        let seen = seen2.clone();
        async move {
            let n = e.notification().clone();
            let qiwi_hooks::Notification::Payin(p) = n else {
                panic!("a Payment Protocol callback")
            };
            seen.lock().unwrap().push((
                p.type_name().to_owned(),
                e.id(),
                e.claimed_status().to_owned(),
            ));
            Ok::<(), std::io::Error>(())
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/payin", listener.local_addr().unwrap());
    tokio::spawn(qiwi_hooks::serve(listener, router));
    let sandbox = qiwi_sandbox::start(Config {
        notify_payin: Some(url),
        time_scale: 100.0,
        ..Config::default()
    })
    .await
    .unwrap();
    let client = client(&sandbox);
    pay(&client, "cb-1", card("12/30", "IVAN", &[]))
        .await
        .unwrap();
    client
        .capture_payment()
        .site_id(SITE)
        .payment_id("cb-1")
        .capture_id("cap-1")
        .body(payin::types::CaptureRequest {
            callback_url: None,
            comment: None,
        })
        .send()
        .await
        .classify()
        .unwrap();
    pay(&client, "cb-2", card("02/30", "IVAN", &["SALE"]))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while seen.lock().unwrap().len() < 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            sandbox.callbacks()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut got = seen.lock().unwrap().clone();
    got.sort();
    assert_eq!(
        got,
        vec![
            (
                "CAPTURE".to_owned(),
                "cap-1".to_owned(),
                "SUCCESS".to_owned()
            ),
            (
                "PAYMENT".to_owned(),
                "cb-1".to_owned(),
                "SUCCESS".to_owned()
            ),
            (
                "PAYMENT".to_owned(),
                "cb-2".to_owned(),
                "DECLINED".to_owned()
            ),
        ]
    );
    // The handler ran before the answer reached the sandbox: wait for its record.
    while !sandbox.callbacks().iter().all(|d| d.acknowledged) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            sandbox.callbacks()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
