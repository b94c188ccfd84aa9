//! Payouts: refused without a valid `X-Digital-Sign`, accepted with one made by the merchant's
//! RSA key (through qiwi-sys's request-signer seam), settled by QIWI's test-mode amount rules.

use std::time::Duration;

use qiwi_sandbox::{Config, RunningSandbox};
use qiwi_sys::error::{ApiError, Classify as _};
use qiwi_sys::signer::{DigitalSign, RsaSigningKey};
use qiwi_sys::transport::Transport;
use qiwi_sys::{payin, payout};
use serde_json::json;

const SITE: &str = qiwi_sandbox::config::DEFAULT_PAYIN_SITE_ID;

fn token(sandbox: &RunningSandbox) -> qiwi_core::secret::ApiToken {
    sandbox.credentials().payin_api_key.clone().into()
}

async fn paid_payment(sandbox: &RunningSandbox) {
    let client = payin::Client::builder(sandbox.credentials().payin_api_key.clone())
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let body: payin::types::CreatePaymentRequest = serde_json::from_value(json!({
        "amount": {"value": "600.00", "currency": "RUB"},
        "paymentMethod": {"type": "CARD", "pan": "4444443616621049", "expiryDate": "12/30", "cvv2": "123"},
        "flags": ["SALE"],
    }))
    .unwrap();
    client
        .create_payment()
        .site_id(SITE)
        .payment_id("pay-1")
        .body(body)
        .send()
        .await
        .classify()
        .unwrap();
}

fn request(value: &str) -> payout::types::CreatePayoutRequest {
    serde_json::from_value(json!({
        "amount": {"value": value, "currency": "RUB"},
        "receiverData": {"type": "CARD", "pan": "4000000000000002", "receiverFirstName": "Ivan", "receiverLastName": "Ivanov"},
    }))
    .unwrap()
}

async fn create(
    client: &payout::Client,
    id: &str,
    value: &str,
) -> Result<payout::types::Payout, ApiError> {
    client
        .create_payout()
        .site_id(SITE)
        .payment_id("pay-1")
        .payout_id(id)
        .body(request(value))
        .send()
        .await
        .classify()
}

fn status(p: &payout::types::Payout) -> String {
    p.status.as_ref().unwrap().value.as_str().to_owned()
}

#[tokio::test]
async fn payouts_need_the_merchants_signature_and_follow_the_test_amounts() {
    let key = RsaSigningKey::generate().unwrap();
    let sandbox = qiwi_sandbox::start(Config {
        payout_public_key: Some(
            qiwi_sandbox::payout_public_key_from_pem(&key.public_key_pem()).unwrap(),
        ),
        time_scale: 100.0,
        ..Config::default()
    })
    .await
    .unwrap();
    paid_payment(&sandbox).await;

    // Without a real signature, and with another key's: refused with QIWI's error.
    let unsigned =
        payout::Client::with_transport(sandbox.base_url(), Transport::new(token(&sandbox)))
            .unwrap();
    let err = create(&unsigned, "po-0", "40.00").await.unwrap_err();
    assert!(
        matches!(err, ApiError::Rejected { status: 400, .. }),
        "{err}"
    );
    assert_eq!(err.body().unwrap().field_errors()[0].0, "X-Digital-Sign");
    let stranger = RsaSigningKey::generate().unwrap();
    let forged = payout::Client::builder(
        sandbox.credentials().payin_api_key.clone(),
        DigitalSign::new(stranger),
    )
    .base_url(sandbox.base_url())
    .build()
    .unwrap();
    assert!(create(&forged, "po-0", "40.00").await.is_err());

    let signed = payout::Client::builder(
        sandbox.credentials().payin_api_key.clone(),
        DigitalSign::new(key),
    )
    .base_url(sandbox.base_url())
    .build()
    .unwrap();
    let done = create(&signed, "po-1", "40.00").await.unwrap();
    assert_eq!(status(&done), "COMPLETED");
    assert_eq!(done.flags, ["TEST"]);
    assert_eq!(
        done.receiver_data.unwrap().masked_pan.as_deref(),
        Some("400000******0002")
    );
    assert_eq!(
        status(&create(&signed, "po-2", "500.00").await.unwrap()),
        "DECLINED"
    );
    assert_eq!(
        status(&create(&signed, "po-3", "200.00").await.unwrap()),
        "WAITING"
    );
    assert_eq!(
        status(&create(&signed, "po-4", "5.10").await.unwrap()),
        "WAITING"
    );
    let read = |id: &'static str| {
        let signed = signed.clone();
        async move {
            signed
                .get_payout()
                .site_id(SITE)
                .payment_id("pay-1")
                .payout_id(id)
                .send()
                .await
                .classify()
                .unwrap()
        }
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while status(&read("po-3").await) == "WAITING" || status(&read("po-4").await) == "WAITING" {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(status(&read("po-3").await), "COMPLETED");
    assert_eq!(status(&read("po-4").await), "DECLINED");

    // Every status change was a PAYOUT callback: 1 + 1 + 2 + 2.
    let payouts: Vec<_> = sandbox
        .callbacks()
        .into_iter()
        .filter(|d| d.body.contains(r#""type":"PAYOUT""#))
        .collect();
    assert_eq!(payouts.len(), 6);
}
