//! Invoices, SBP QR codes and tokens, card checks and card-token deletion in the sandbox,
//! through qiwi-sys's generated pay-in client over 127.0.0.1.

use qiwi_core::payin::OperationStatus;
use qiwi_sandbox::{Config, RunningSandbox};
use qiwi_sys::error::{ApiError, Classify as _};
use qiwi_sys::payin;
use serde_json::json;

const SITE: &str = qiwi_sandbox::config::DEFAULT_PAYIN_SITE_ID;

fn client(sandbox: &RunningSandbox) -> payin::Client {
    let key = sandbox.credentials().payin_api_key.clone();
    payin::Client::builder(key)
        .base_url(sandbox.base_url())
        .build()
        .unwrap()
}

fn body<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
    serde_json::from_value(v).unwrap()
}

fn callbacks_of(sandbox: &RunningSandbox, kind: &str) -> Vec<String> {
    sandbox
        .callbacks()
        .into_iter()
        .filter(|d| d.body.contains(&format!(r#""type":"{kind}""#)))
        .map(|d| d.body)
        .collect()
}

#[tokio::test]
async fn invoices_are_paid_on_the_payers_page_and_list_their_payments() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let client = client(&sandbox);
    let expiry =
        qiwi_core::QiwiDateTime::from(time::OffsetDateTime::now_utc() + time::Duration::hours(1));
    let request: payin::types::CreateInvoiceRequest = body(json!({
        "amount": {"value": "42.24", "currency": "RUB"},
        "expirationDateTime": expiry.as_str(),
        "comment": "Invoice",
        "customer": {"phone": "+7 903 123-20-01"},
    }));
    let bill = client
        .create_invoice()
        .site_id(SITE)
        .bill_id("inv-1")
        .body(request)
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(
        bill.status.as_ref().unwrap().value,
        OperationStatus::Created
    );
    let pay_url = bill.pay_url.unwrap();
    let page = reqwest::get(&pay_url).await.unwrap().text().await.unwrap();
    assert!(
        page.contains("42.24 RUB") && page.contains("id=\"pay\""),
        "{page}"
    );
    assert!(page.contains("Bank card") && page.contains("SBP"), "{page}");

    // A declined attempt (by SBP) leaves the invoice payable; then the payer pays by card.
    let uid = pay_url.rsplit('=').next().unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let declined = http
        .post(format!("{}/form/decline", sandbox.base_url()))
        .form(&[("invoice_uid", uid), ("pay_source", "sbp")])
        .send()
        .await
        .unwrap();
    assert_eq!(declined.status(), 200);
    let paid = http
        .post(format!("{}/form/pay", sandbox.base_url()))
        .form(&[("invoice_uid", uid)])
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), 200);

    let details = client
        .get_invoice()
        .site_id(SITE)
        .bill_id("inv-1")
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(details.status.unwrap().value, OperationStatus::Paid);
    let payments = client
        .list_invoice_payments()
        .site_id(SITE)
        .bill_id("inv-1")
        .send()
        .await
        .classify()
        .unwrap();
    let mut statuses: Vec<_> = payments
        .0
        .iter()
        .map(|p| p.status.as_ref().unwrap().value.clone())
        .collect();
    statuses.sort_by_key(|s| s.as_str().to_owned());
    assert_eq!(
        statuses,
        [OperationStatus::Completed, OperationStatus::Declined]
    );
    assert_eq!(callbacks_of(&sandbox, "PAYMENT").len(), 2);
    // As QIWI's example: the SBP payer's phone, the decline's reason and message, and the
    // fields QIWI adds to an invoice's payments.
    let declined = payments
        .0
        .iter()
        .find(|p| p.status.as_ref().unwrap().value == OperationStatus::Declined)
        .unwrap();
    let method = declined.payment_method.as_ref().unwrap();
    assert_eq!(method.method_type.as_deref(), Some("SBP"));
    assert_eq!(method.phone.as_deref(), Some("0079031232001"));
    let status = declined.status.as_ref().unwrap();
    assert_eq!(
        status.reason.as_ref().unwrap().as_str(),
        "GATEWAY_INTEGRATION_ERROR"
    );
    assert_eq!(
        status.reason_message.as_deref(),
        Some("I07999 OPKC_TECH_ERROR")
    );
    for p in &payments.0 {
        let fields = &p.custom_fields.as_ref().unwrap().0;
        assert_eq!(fields["auto_capture"], "true");
        assert_eq!(fields["invoice_creation_type"], "API");
    }
    // The control takes the same choice; an unknown one is refused, naming the field.
    let refused = http
        .post(format!(
            "{}/sandbox/payin/bills/inv-1/pay",
            sandbox.base_url()
        ))
        .header("content-type", "application/json")
        .body(r#"{"paySource": "cash"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("paySource"));
}

#[tokio::test]
async fn sbp_qr_codes_follow_the_test_amount_and_tokens_pay_for_their_account() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let client = client(&sandbox);
    let qr = |amount: &str| -> payin::types::CreateQrCodeRequest {
        body(
            json!({"amount": {"value": amount, "currency": "RUB"}, "qrCode": {"type": "DYNAMIC", "ttl": 60, "image": {"mediaType": "image/png", "width": 300, "height": 300}}}),
        )
    };
    let created = client
        .create_qr_code_with_id()
        .site_id(SITE)
        .qr_code_uid("qr-200")
        .body(qr("200.00"))
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(
        created.qr_code.as_ref().unwrap().status.as_deref(),
        Some("CREATED")
    );
    assert!(created.qr_code.unwrap().image.unwrap().content.is_some());
    let declined = client
        .create_qr_code_with_id()
        .site_id(SITE)
        .qr_code_uid("qr-300")
        .body(qr("300.00"))
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(
        declined.qr_code.unwrap().status.as_deref(),
        Some("DECLINED")
    );

    let token_qr: payin::types::CreateQrCodeWithUidRequest = body(json!({
        "qrCodeUid": "qr-token", "qrCode": {"type": "TOKEN"}, "flags": ["CREATE_TOKEN"],
        "tokenizationAccount": "customer123", "tokenizationPurpose": "Subscription"
    }));
    let with_token = client
        .create_qr_code()
        .site_id(SITE)
        .body(token_qr)
        .send()
        .await
        .classify()
        .unwrap();
    let token = with_token.token.unwrap().value.unwrap();
    assert_eq!(callbacks_of(&sandbox, "TOKEN").len(), 1);

    let pay = |account: &str| -> payin::types::PaySbpTokenRequest {
        body(json!({"tokenizationAccount": account, "token": token.expose_secret()}))
    };
    let err = client
        .pay_sbp_token()
        .site_id(SITE)
        .qr_code_uid("qr-200")
        .body(pay("someone-else"))
        .send()
        .await
        .classify()
        .unwrap_err();
    assert!(matches!(err, ApiError::Rejected { .. }), "{err}");
    let paying = client
        .pay_sbp_token()
        .site_id(SITE)
        .qr_code_uid("qr-200")
        .body(pay("customer123"))
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(
        paying.qr_code.unwrap().status.as_deref(),
        Some("INIT_PAYMENT_BY_TOKEN")
    );
    let read = client
        .get_qr_code()
        .site_id(SITE)
        .qr_code_uid("qr-200")
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(
        read.payment.unwrap().payment_status.as_deref(),
        Some("SUCCESS")
    );
    let payments = callbacks_of(&sandbox, "PAYMENT");
    assert!(
        payments.len() == 1 && payments[0].contains(r#""qrCodeUid":"qr-200""#),
        "{payments:?}"
    );
}

#[tokio::test]
async fn card_checks_issue_tokens_that_can_be_deleted() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let client = client(&sandbox);
    let check = |expiry: &str, holder: &str| -> payin::types::CheckCardRequest {
        body(
            json!({"cardData": {"pan": "4111111111111111", "expiryDate": expiry, "cvv2": "123", "holderName": holder},
                    "tokenizationData": {"account": "cat_girl"}}),
        )
    };
    let ok = client
        .check_card()
        .site_id(SITE)
        .request_uid("chk-1")
        .body(check("12/34", "Super Man"))
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(
        (ok.status.as_deref(), ok.is_valid_card),
        (Some("SUCCESS"), Some(true))
    );
    let token = ok.created_token.unwrap();
    assert_eq!(token.name.as_deref(), Some("411111******1111"));

    let bad = client
        .check_card()
        .site_id(SITE)
        .request_uid("chk-2")
        .body(check("02/34", "Super Man"))
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(
        (bad.status.as_deref(), bad.is_valid_card),
        (Some("ERROR"), Some(false))
    );

    let waiting = client
        .check_card()
        .site_id(SITE)
        .request_uid("chk-3")
        .body(check("12/34", "unknown name"))
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(waiting.status.as_deref(), Some("WAITING_3DS"));
    let done = client
        .complete_card_check()
        .site_id(SITE)
        .request_uid("chk-3")
        .body(payin::types::CompleteCardCheckRequest {
            pares: "eJzV".into(),
        })
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(done.three_ds_status.as_deref(), Some("PASSED"));
    let read = client
        .get_card_check()
        .site_id(SITE)
        .request_uid("chk-3")
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(read.status.as_deref(), Some("SUCCESS"));
    assert_eq!(callbacks_of(&sandbox, "CHECK_CARD").len(), 3);

    let delete = || -> payin::types::DeleteCardTokenRequest {
        body(json!({"customerAccountId": "cat_girl", "token": token.token.expose_secret()}))
    };
    client
        .delete_card_token()
        .site_id(SITE)
        .body(delete())
        .send()
        .await
        .classify()
        .unwrap();
    let again = client
        .delete_card_token()
        .site_id(SITE)
        .body(delete())
        .send()
        .await
        .classify();
    assert!(matches!(again, Err(ApiError::Rejected { .. })), "{again:?}");
}

#[tokio::test]
async fn deferred_refunds_wait_a_day_and_can_be_declined_until_then() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let client = client(&sandbox);
    let http = reqwest::Client::new();
    let payment: payin::types::CreatePaymentRequest = body(json!({
        "amount": {"value": "10.00", "currency": "RUB"}, "flags": ["SALE"],
        "paymentMethod": {"type": "CARD", "pan": "4444443616621049", "expiryDate": "12/30", "cvv2": "123"},
        "callbackUrl": "http://127.0.0.1:9/callbacks"
    }));
    client
        .create_payment()
        .site_id(SITE)
        .payment_id("d-1")
        .body(payment)
        .send()
        .await
        .classify()
        .unwrap();
    let switch = |enabled: bool| {
        let http = http.clone();
        let url = format!(
            "{}/sandbox/payin/sites/{SITE}/deferred-refunds",
            sandbox.base_url()
        );
        async move {
            http.put(url)
                .json(&json!({"enabled": enabled}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let refund = |id: &'static str, value: &'static str| {
        let client = client.clone();
        async move {
            client
                .create_refund()
                .site_id(SITE)
                .payment_id("d-1")
                .refund_id(id)
                .body(body::<payin::types::CreateRefundRequest>(
                    json!({"amount": {"value": value, "currency": "RUB"}}),
                ))
                .send()
                .await
                .classify()
        }
    };
    let decline = |id: &'static str| {
        let client = client.clone();
        async move {
            client
                .decline_refund()
                .site_id(SITE)
                .payment_id("d-1")
                .refund_id(id)
                .send()
                .await
                .classify()
        }
    };
    let refunded = |client: payin::Client| async move {
        let p = client
            .get_payment()
            .site_id(SITE)
            .payment_id("d-1")
            .send()
            .await
            .classify()
            .unwrap();
        p.refunded_amount.unwrap().value.0.to_string()
    };

    // Without the scheme a refund is made at once and cannot be declined.
    let made = refund("r-now", "1.00").await.unwrap();
    assert_eq!(made.status.unwrap().value, OperationStatus::Completed);
    let err = decline("r-now").await.unwrap_err();
    assert!(
        matches!(err, ApiError::Rejected { status: 400, .. }),
        "{err}"
    );

    assert_eq!(switch(true).await, 204);
    let waiting = refund("r-wait", "9.00").await.unwrap();
    assert_eq!(waiting.status.unwrap().value, OperationStatus::Waiting);
    assert_eq!(
        refunded(client.clone()).await,
        "10.00",
        "held while it waits"
    );
    assert!(
        callbacks_of(&sandbox, "REFUND").len() == 1,
        "no callback while it waits"
    );

    // Declined: the amount can be refunded again, and QIWI's callback says DECLINE.
    let declined = decline("r-wait").await.unwrap();
    assert_eq!(declined.status.unwrap().value, OperationStatus::Declined);
    assert_eq!(refunded(client.clone()).await, "1.00");
    assert!(decline("r-wait").await.is_err(), "declined once");
    let callbacks = callbacks_of(&sandbox, "REFUND");
    assert_eq!(callbacks.len(), 2);
    assert!(
        callbacks[1].contains(r#""value":"DECLINE""#),
        "{}",
        callbacks[1]
    );

    // Not declined: made after a day of sandbox time, then no longer declinable.
    let later = refund("r-later", "4.00").await.unwrap();
    assert_eq!(later.status.unwrap().value, OperationStatus::Waiting);
    let advanced = http
        .post(format!("{}/sandbox/clock/advance", sandbox.base_url()))
        .json(&json!({"seconds": 86_400}))
        .send()
        .await
        .unwrap();
    assert_eq!(advanced.status(), 200);
    let read = client
        .get_refund()
        .site_id(SITE)
        .payment_id("d-1")
        .refund_id("r-later")
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(read.status.unwrap().value, OperationStatus::Completed);
    assert!(decline("r-later").await.is_err());
    assert_eq!(callbacks_of(&sandbox, "REFUND").len(), 3);

    assert_eq!(switch(false).await, 204);
    let again = refund("r-off", "1.00").await.unwrap();
    assert_eq!(again.status.unwrap().value, OperationStatus::Completed);
}
