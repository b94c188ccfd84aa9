//! qiwi-payout against the sandbox: each of QIWI's test-mode payout amounts, a payout signed
//! with another key refused with QIWI's error, receivers checked before signing, and the key
//! never printed.

use std::time::Duration;

use qiwi_payout::{Client, Error, OperationStatus, Receiver, RsaSigningKey};

/// A sandbox that knows `key`'s public half, with a paid payment `pay-1` of 600 RUB.
async fn sandbox_with(key: &RsaSigningKey) -> qiwi_sandbox::RunningSandbox {
    let sandbox = qiwi_sandbox::start(qiwi_sandbox::Config {
        payout_public_key: Some(
            qiwi_sandbox::payout_public_key_from_pem(&key.public_key_pem()).unwrap(),
        ),
        time_scale: 100.0,
        ..qiwi_sandbox::Config::default()
    })
    .await
    .unwrap();
    let c = sandbox.credentials();
    let payin = qiwi_payin::Client::builder(&c.payin_site_id, c.payin_api_key.clone())
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let card = qiwi_payin::Card::new(qiwi_payin::CardNumber::new("4444443616621049"), 12, 2030);
    payin
        .pay(
            "pay-1",
            "600.00".parse().unwrap(),
            qiwi_payin::PayWith::Card(card),
        )
        .one_step()
        .send()
        .await
        .unwrap();
    sandbox
}

fn client(sandbox: &qiwi_sandbox::RunningSandbox, key: RsaSigningKey) -> Client {
    let c = sandbox.credentials();
    Client::builder(&c.payin_site_id, c.payin_api_key.clone(), key)
        .base_url(sandbox.base_url())
        .build()
        .unwrap()
}

fn card() -> Receiver {
    Receiver::Card {
        pan: qiwi_payout::CardNumber::new("4000 0000 0000 0002"),
        first_name: Some("Ivan".into()),
        last_name: Some("Ivanov".into()),
    }
}

fn status(p: &qiwi_payout::Payout) -> Option<OperationStatus> {
    p.status.as_ref().map(|s| s.value.clone())
}

#[tokio::test]
async fn payouts_are_signed_settled_by_the_test_amounts_and_refused_with_another_key() {
    let key = RsaSigningKey::generate().unwrap();
    let sandbox = sandbox_with(&key).await;
    let client = client(&sandbox, key);
    let shown = format!("{client:?}");
    let api_key = qiwi_core::secret::ApiToken::from(sandbox.credentials().payin_api_key.clone())
        .expose_secret()
        .to_owned();
    assert!(
        shown.contains("signing_key: \"***\"") && !shown.contains(&api_key),
        "{shown}"
    );

    let pay = |id: &'static str, amount: &str| {
        client
            .payout("pay-1", id, amount.parse().unwrap(), card())
            .comment("order 42")
            .send()
    };
    let done = pay("po-40", "40.00").await.unwrap();
    assert_eq!(status(&done), Some(OperationStatus::Completed));
    assert_eq!(
        done.receiver_data.and_then(|r| r.masked_pan).as_deref(),
        Some("400000******0002")
    );
    assert_eq!(
        status(&pay("po-500", "5.00").await.unwrap()),
        Some(OperationStatus::Declined)
    );
    assert_eq!(
        status(&pay("po-200", "2.00").await.unwrap()),
        Some(OperationStatus::Waiting)
    );
    assert_eq!(
        status(&pay("po-510", "5.10").await.unwrap()),
        Some(OperationStatus::Waiting)
    );
    // WAITING settles on the sandbox clock (100× here).
    let mut settled = (None, None);
    for _ in 0..100 {
        settled = (
            status(&client.payout_status("pay-1", "po-200").await.unwrap()),
            status(&client.payout_status("pay-1", "po-510").await.unwrap()),
        );
        if !matches!(
            settled,
            (Some(OperationStatus::Waiting), _) | (_, Some(OperationStatus::Waiting))
        ) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        matches!(
            settled.0,
            Some(OperationStatus::Completed | OperationStatus::Success)
        ),
        "{settled:?}"
    );
    assert!(
        matches!(settled.1, Some(OperationStatus::Declined)),
        "{settled:?}"
    );

    // Signed with a key QIWI does not know: QIWI's 400 naming the signature, nothing paid.
    let stranger = client_for_stranger(&sandbox);
    let refused = stranger
        .payout("pay-1", "po-forged", "40.00".parse().unwrap(), card())
        .send()
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(400), "{refused:?}");
    assert!(client.payout_status("pay-1", "po-forged").await.is_err());

    // Refused before anything is signed or sent.
    let bad_card = Receiver::Card {
        pan: qiwi_payout::CardNumber::new("4000000000000003"),
        first_name: None,
        last_name: None,
    };
    for (sent, field) in [
        (
            client
                .payout("pay-1", "po-x", "1".parse().unwrap(), bad_card)
                .send()
                .await,
            "receiverData.pan",
        ),
        (
            client
                .payout("pay-1", "po x", "1".parse().unwrap(), card())
                .send()
                .await,
            "payoutId",
        ),
        (
            client
                .payout("pay-1", "po-y", "1.001".parse().unwrap(), card())
                .send()
                .await,
            "amount.value",
        ),
    ] {
        assert!(
            matches!(&sent, Err(Error::InvalidInput { field: f, .. }) if *f == field),
            "{sent:?}"
        );
    }
}

fn client_for_stranger(sandbox: &qiwi_sandbox::RunningSandbox) -> Client {
    client(sandbox, RsaSigningKey::generate().unwrap())
}
