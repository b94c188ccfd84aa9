//! Payments through qiwi-wallet against the sandbox: each destination, QIWI's refusals as
//! typed reasons, and a payment whose answer is lost found by its client id, never made twice.

mod common;

use common::*;

use qiwi_wallet::{Amount, ClientId, Error, ErrorClass, HistoryOperation, Wallet, WalletToken};

fn amount(text: &str) -> Amount {
    text.parse().unwrap()
}

#[tokio::test]
async fn a_transfer_to_a_wallet_is_seen_by_both_wallets_under_its_client_id() {
    let sandbox = sandbox().await;
    let wallet = wallet_of(&sandbox);
    let counterpart = Wallet::builder(
        WalletToken::new("sandbox-counterpart-token").unwrap(),
        qiwi_sandbox::COUNTERPART_WALLET,
    )
    .base_url(sandbox.base_url())
    .build()
    .unwrap();

    let id = ClientId::new("1700000000000042").unwrap();
    let sent = wallet
        .pay_to_wallet(
            &format!("+{}", qiwi_sandbox::COUNTERPART_WALLET),
            amount("10.50"),
        )
        .comment("lunch")
        .client_id(id.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(sent.client_id, id);
    assert_eq!(sent.provider_id, 99);
    assert!(sent.transaction_id.is_some());
    // 10.50 is 10.50, not 10.05 (a peer's float bug) nor 10.5 rounded elsewhere.
    assert_eq!(sent.answer.sum.as_ref().unwrap().amount.0, amount("10.50"));
    assert_eq!(rub_balance(&wallet).await, amount("9989.50"));

    let out = wallet
        .find_payment(&id, time::Duration::days(1))
        .await
        .unwrap();
    let out = out.expect("the payment is in the payer's history");
    assert_eq!(out.comment.as_deref(), Some("lunch"));
    let incoming = counterpart
        .history()
        .operation(HistoryOperation::In)
        .send()
        .await
        .unwrap();
    assert_eq!(incoming.transactions.len(), 1);
    assert_eq!(
        incoming.transactions[0].sum.as_ref().unwrap().amount.0,
        amount("10.50")
    );

    // The same client id again is QIWI's duplicate refusal: never a second payment.
    let again = wallet
        .pay_to_wallet(
            &format!("+{}", qiwi_sandbox::COUNTERPART_WALLET),
            amount("10.50"),
        )
        .client_id(id.clone())
        .send()
        .await;
    let Err(Error::PaymentRejected {
        code: 408,
        reason: Some(reason),
        ..
    }) = &again
    else {
        panic!("{again:?}")
    };
    assert_eq!(reason.class, ErrorClass::FixInput);
    assert_eq!(rub_balance(&wallet).await, amount("9989.50"));
}

#[tokio::test]
async fn cards_and_mobiles_go_through_the_provider_qiwi_names() {
    let sandbox = sandbox().await;
    let wallet = wallet_of(&sandbox);

    let card = wallet
        .pay_to_card("4111 1111 1111 1111", amount("100"))
        .send()
        .await
        .unwrap();
    assert_eq!(card.provider_id, 1963, "Visa (Russia)");
    let fields = card.answer.fields.as_ref().unwrap();
    assert_eq!(
        fields.0["account"], "4111********1111",
        "masked as QIWI masks it"
    );

    let mobile = wallet
        .pay_to_mobile("+7 (916) 111-22-33", amount("100"))
        .send()
        .await
        .unwrap();
    assert_eq!(mobile.provider_id, 1, "MTS");
    assert_eq!(
        mobile.answer.fields.as_ref().unwrap().0["account"],
        "9161112233"
    );

    let comment = wallet
        .pay_to_mobile("9161112233", amount("1"))
        .comment("hi")
        .send()
        .await;
    assert!(
        matches!(
            comment,
            Err(Error::InvalidInput {
                field: "comment",
                ..
            })
        ),
        "{comment:?}"
    );
}

#[tokio::test]
async fn qiwis_refusals_come_back_as_typed_reasons() {
    let sandbox = sandbox().await;
    let wallet = wallet_of(&sandbox);
    let to = format!("+{}", qiwi_sandbox::COUNTERPART_WALLET);

    let poor = wallet.pay_to_wallet(&to, amount("20000")).send().await;
    let Err(Error::PaymentRejected {
        code,
        reason: Some(reason),
        ..
    }) = &poor
    else {
        panic!("{poor:?}")
    };
    assert_eq!(*code, 220);
    assert_eq!(reason.class, ErrorClass::InsufficientFunds);
    assert!(!poor.as_ref().unwrap_err().is_retryable());

    // Luhn-valid, but no Russian payment system QIWI transfers to.
    let card = wallet
        .pay_to_card("6011000990139424", amount("100"))
        .send()
        .await;
    // QIWI's card look-up refuses it: no payment is attempted.
    let Err(Error::Api(qiwi_wallet::ApiError::Rejected { status: 400, .. })) = &card else {
        panic!("{card:?}")
    };

    // Refused before sending: a bad number, an amount QIWI would round.
    let typo = wallet
        .pay_to_card("4111 1111 1111 1112", amount("100"))
        .send()
        .await;
    assert!(
        matches!(
            typo,
            Err(Error::InvalidInput {
                field: "fields.account",
                ..
            })
        ),
        "{typo:?}"
    );
    let kopeck_fraction = wallet.pay_to_wallet(&to, amount("10.505")).send().await;
    assert!(
        matches!(
            kopeck_fraction,
            Err(Error::InvalidInput {
                field: "sum.amount",
                ..
            })
        ),
        "{kopeck_fraction:?}"
    );
    assert_eq!(rub_balance(&wallet).await, amount("10000"));
}

#[tokio::test]
async fn a_payment_whose_answer_is_lost_is_found_by_its_client_id_and_never_sent_twice() {
    let sandbox = sandbox().await;
    let wallet = wallet_of(&sandbox);
    sandbox
        .add_fault(
            serde_json::from_value(serde_json::json!({
                "operation": "wallet.createPayment",
                "drop_connection": true
            }))
            .unwrap(),
        )
        .unwrap();
    let payment = wallet.pay_to_wallet(
        &format!("+{}", qiwi_sandbox::COUNTERPART_WALLET),
        amount("5"),
    );
    let id = payment.id().clone();
    let lost = payment.send().await;
    let Err(Error::OutcomeUnknown { client_id, .. }) = &lost else {
        panic!("{lost:?}")
    };
    assert_eq!(client_id, &id);
    assert!(!lost.as_ref().unwrap_err().is_retryable());
    let found = wallet
        .find_payment(&id, time::Duration::days(1))
        .await
        .unwrap();
    assert!(
        found.is_some(),
        "the payment was made before the answer was lost"
    );
    // Made once: the transport did not send it again.
    assert_eq!(rub_balance(&wallet).await, amount("9995"));
    let unknown = ClientId::new("1").unwrap();
    assert!(
        wallet
            .find_payment(&unknown, time::Duration::days(1))
            .await
            .unwrap()
            .is_none()
    );
}
