//! qiwi-payin against the sandbox: QIWI's test-mode card rules, 3-D Secure completed, two-step
//! payments captured and refunded, refunds above the capture refused with QIWI's error, card
//! tokens, SBP QR codes, card checks and invoices.

use std::time::Duration;

use qiwi_payin::{
    Amount, Card, CardNumber, CardSecurityCode, Client, Error, InvoiceMethod, OperationStatus,
    PayWith, ThreeDs,
};

async fn sandbox() -> qiwi_sandbox::RunningSandbox {
    qiwi_sandbox::start(qiwi_sandbox::Config::default())
        .await
        .unwrap()
}

fn client_of(sandbox: &qiwi_sandbox::RunningSandbox) -> Client {
    let c = sandbox.credentials();
    Client::builder(&c.payin_site_id, c.payin_api_key.clone())
        .base_url(sandbox.base_url())
        .build()
        .unwrap()
}

fn amount(text: &str) -> Amount {
    text.parse().unwrap()
}

/// QIWI's test card, expiring in `month`.
fn card(month: u8) -> PayWith {
    PayWith::Card(
        Card::new(CardNumber::new("4256 0000 0000 0003"), month, 2030)
            .cvv(CardSecurityCode::new("123"))
            .holder("IVAN IVANOV"),
    )
}

fn status(payment: &qiwi_payin::Payment) -> Option<OperationStatus> {
    payment.status.as_ref().map(|s| s.value.clone())
}

#[tokio::test]
async fn each_test_mode_card_rule_ends_as_qiwi_documents() {
    let sandbox = sandbox().await;
    let client = client_of(&sandbox);
    let pay = |id: &'static str, month: u8| {
        client
            .pay(id, amount("10.00"), card(month))
            .one_step()
            .send()
    };

    let declined = pay("month-02", 2).await.unwrap();
    assert_eq!(status(&declined), Some(OperationStatus::Declined));
    assert!(declined.status.unwrap().reason.is_some(), "with a reason");

    let later = pay("month-03", 3).await.unwrap();
    assert_eq!(status(&later), Some(OperationStatus::Waiting));
    let done = client
        .wait_final("month-03")
        .interval(Duration::from_millis(200))
        .deadline(Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    assert_eq!(status(&done), Some(OperationStatus::Completed));

    pay("month-04", 4).await.unwrap();
    let failed = client
        .wait_final("month-04")
        .interval(Duration::from_millis(200))
        .deadline(Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    assert!(matches!(
        status(&failed),
        Some(OperationStatus::Declined | OperationStatus::Decline)
    ));

    // A wait that is too short says how far it got.
    pay("month-03-b", 3).await.unwrap();
    let short = client
        .wait_final("month-03-b")
        .interval(Duration::from_millis(50))
        .deadline(Duration::from_millis(200))
        .send()
        .await;
    let Err(Error::Deadline {
        last_status: Some(OperationStatus::Waiting),
        ..
    }) = short
    else {
        panic!("{short:?}")
    };

    // The payer's bank asks for 3-D Secure: the step is typed, and completing it pays.
    let unknown = PayWith::Card(
        Card::new(CardNumber::new("4256000000000003"), 12, 2030).holder("unknown name"),
    );
    let waiting = client
        .pay("three-ds", amount("10.00"), unknown)
        .one_step()
        .send()
        .await
        .unwrap();
    let step = ThreeDs::of(&waiting).expect("a 3-D Secure step");
    assert!(step.acs_url.starts_with("http") && !step.pareq.is_empty());
    let waited = client.wait_final("three-ds").send().await.unwrap();
    assert!(ThreeDs::of(&waited).is_some(), "only the payer moves it on");
    let completed = client
        .complete_3ds("three-ds", "PaRes-from-the-bank")
        .await
        .unwrap();
    assert_eq!(status(&completed), Some(OperationStatus::Completed));

    // Repeating an id answers the payment as it is: never a second payment.
    let again = pay("month-02", 5).await.unwrap();
    assert_eq!(status(&again), Some(OperationStatus::Declined));
}

#[tokio::test]
async fn a_two_step_payment_is_captured_and_refunded_never_beyond_the_capture() {
    let sandbox = sandbox().await;
    let client = client_of(&sandbox);
    let held = client
        .pay("two-step", amount("10.00"), card(12))
        .comment("order 42")
        .send()
        .await
        .unwrap();
    assert_eq!(status(&held), Some(OperationStatus::Completed));
    let flags = held.flags.clone().map(|f| f.0).unwrap_or_default();
    assert!(!flags.contains(&"SALE".to_owned()), "{flags:?}");

    let capture = client.capture("two-step", "capture-1", None).await.unwrap();
    assert_eq!(
        capture.status.as_ref().map(|s| s.value.clone()),
        Some(OperationStatus::Completed)
    );
    assert_eq!(
        client
            .capture_status("two-step", "capture-1")
            .await
            .unwrap(),
        capture
    );

    let part = client
        .refund("two-step", "refund-1", amount("2.50"), None)
        .await
        .unwrap();
    assert_eq!(part.amount.unwrap().value.0, amount("2.50"));
    let too_much = client
        .refund("two-step", "refund-2", amount("7.51"), None)
        .await;
    let err = too_much.unwrap_err();
    assert_eq!(err.status(), Some(400), "{err:?}");
    assert!(
        err.body().is_some_and(|b| b.error_code.is_some()),
        "{err:?}"
    );
    client
        .refund("two-step", "refund-3", amount("7.50"), None)
        .await
        .unwrap();
    let refunds = client.refunds("two-step").await.unwrap();
    let ids: Vec<&str> = refunds.iter().map(|r| r.refund_id.as_str()).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let paid = client.payment("two-step").await.unwrap();
    assert_eq!(paid.refunded_amount.unwrap().value.0, amount("10.00"));

    // Inputs refused before anything is sent.
    for (bad, field) in [
        (
            client.refund("two-step", "r 4", amount("1"), None).await,
            "refundId",
        ),
        (
            client.refund("two-step", "r4", amount("1.001"), None).await,
            "amount.value",
        ),
    ] {
        assert!(
            matches!(&bad, Err(Error::InvalidInput { field: f, .. }) if *f == field),
            "{bad:?}"
        );
    }
}

#[tokio::test]
async fn a_card_token_pays_for_its_customer_until_it_is_deleted() {
    let sandbox = sandbox().await;
    let client = client_of(&sandbox);
    let first = client
        .pay("with-token", amount("5.00"), card(12))
        .one_step()
        .customer_account("customer-1")
        .bind_token()
        .send()
        .await
        .unwrap();
    let token = first.created_token.expect("a token").token;
    let by_token = PayWith::Token {
        token: token.clone(),
        account: "customer-1".into(),
    };
    let second = client
        .pay("by-token", amount("3.00"), by_token.clone())
        .one_step()
        .send()
        .await
        .unwrap();
    assert_eq!(status(&second), Some(OperationStatus::Completed));
    client.delete_card_token("customer-1", token).await.unwrap();
    let after = client
        .pay("by-token-2", amount("3.00"), by_token)
        .one_step()
        .send()
        .await;
    match after {
        Err(e) => assert_eq!(e.status(), Some(400), "{e:?}"),
        Ok(p) => assert_ne!(status(&p), Some(OperationStatus::Completed), "{p:?}"),
    }
}

#[tokio::test]
async fn sbp_codes_card_checks_and_invoices() {
    let sandbox = sandbox().await;
    let client = client_of(&sandbox);

    let qr = client
        .create_qr("qr-200")
        .amount(amount("200"))
        .image(300, 300)
        .purpose("order 42")
        .send()
        .await
        .unwrap();
    let code = qr.qr_code.expect("the code");
    assert_eq!(code.status.as_deref(), Some("CREATED"));
    assert!(code.payload.is_some_and(|p| p.starts_with("https://")));
    let other = client
        .create_qr("qr-150")
        .amount(amount("150"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        other.qr_code.and_then(|c| c.status).as_deref(),
        Some("DECLINED")
    );
    assert_eq!(
        client.qr("qr-200").await.unwrap().qr_code_uid.as_deref(),
        Some("qr-200")
    );
    // The payer scans it and pays: the code is PAYED, its payment succeeded.
    sandbox.pay_qr("qr-200").unwrap();
    let paid = client.qr("qr-200").await.unwrap();
    assert_eq!(
        paid.qr_code.and_then(|c| c.status).as_deref(),
        Some("PAYED")
    );
    assert_eq!(
        paid.payment.and_then(|p| p.payment_status).as_deref(),
        Some("SUCCESS")
    );
    assert!(sandbox.pay_qr("qr-200").is_err(), "paid once");
    let nothing = client.create_qr("qr-empty").send().await;
    assert!(matches!(
        nothing,
        Err(Error::InvalidInput {
            field: "amount",
            ..
        })
    ));

    let valid =
        Card::new(CardNumber::new("4256000000000003"), 12, 2030).cvv(CardSecurityCode::new("123"));
    let check = client
        .check_card("check-1", &valid, Some("customer-1"))
        .await
        .unwrap();
    assert_eq!(check.status.as_deref(), Some("SUCCESS"));
    assert_eq!(check.is_valid_card, Some(true));
    assert!(check.created_token.is_some());
    let three_ds = Card::new(CardNumber::new("4256000000000003"), 12, 2030).holder("unknown name");
    let waiting = client.check_card("check-2", &three_ds, None).await.unwrap();
    assert_eq!(waiting.status.as_deref(), Some("WAITING_3DS"));
    assert!(ThreeDs::of_check(&waiting).is_some_and(|s| s.acs_url.starts_with("http")));
    let passed = client
        .complete_card_check("check-2", "PaRes")
        .await
        .unwrap();
    assert_eq!(passed.three_ds_status.as_deref(), Some("PASSED"));
    assert_eq!(client.card_check("check-2").await.unwrap(), passed);

    let invoice = client
        .create_invoice("invoice-1", amount("149.90"))
        .comment("two tickets")
        .methods([InvoiceMethod::Card, InvoiceMethod::Sbp])
        .customer_email("payer@example.com")
        .one_step()
        .send()
        .await
        .unwrap();
    assert!(invoice.pay_url.is_some());
    sandbox.settle_invoice("invoice-1", true).unwrap();
    let details = client.invoice("invoice-1").await.unwrap();
    assert_eq!(details.status.map(|s| s.value), Some(OperationStatus::Paid));
    let payments = client.invoice_payments("invoice-1").await.unwrap();
    assert_eq!(payments.len(), 1);
    assert_eq!(
        payments[0].amount.clone().unwrap().value.0,
        amount("149.90")
    );
}
