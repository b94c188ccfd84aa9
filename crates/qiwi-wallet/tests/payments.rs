//! Payments through qiwi-wallet against the sandbox: each destination, QIWI's refusals as
//! typed reasons, and a payment whose answer is lost found by its client id, never made twice.

mod common;

use common::*;

use qiwi_wallet::{
    BankTransfer, CONVERSION_PROVIDER, ClientId, Currency, Error, ErrorClass, HistoryOperation,
    KZ_CARD_PROVIDER, PersonName, REQUISITES_PROVIDER, Requisites, Vat, Wallet, WalletToken,
};

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

fn payer() -> PersonName {
    PersonName {
        last: "Иванов".into(),
        first: "Иван".into(),
        middle: Some("Иванович".into()),
    }
}

#[tokio::test]
async fn banks_requisites_conversions_and_kazakhstan_cards_are_paid_as_qiwi_documents() {
    let sandbox = sandbox().await;
    let wallet = wallet_of(&sandbox);
    let requisites = Requisites {
        bank_name: "ПАО \"Сбербанк\"".into(),
        bik: "044525225".into(),
        city: "Москва".into(),
        organisation: "ООО \"Ромашка\"".into(),
        inn: "7710000001".into(),
        kpp: "771001001".into(),
        account: "40702810000000000001".into(),
        purpose: "Оплата по счёту 1".into(),
        vat: Vat::None,
        urgent: false,
        payer: payer(),
    };
    let sent = wallet
        .pay_to_requisites(requisites.clone(), amount("300"))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.provider_id, REQUISITES_PROVIDER);
    let mut short_inn = requisites;
    short_inn.inn = "77100".into();
    let refused = wallet
        .pay_to_requisites(short_inn, amount("300"))
        .send()
        .await;
    assert!(
        matches!(
            refused,
            Err(Error::InvalidInput {
                field: "fields.to_inn",
                ..
            })
        ),
        "{refused:?}"
    );

    let card = "4256 0000 0000 1233";
    let no_expiry = wallet
        .pay_to_bank(BankTransfer::card(464, card), amount("100"))
        .send()
        .await;
    assert!(
        matches!(
            no_expiry,
            Err(Error::InvalidInput {
                field: "fields.exp_date",
                ..
            })
        ),
        "Alfa-Bank needs the expiry: {no_expiry:?}"
    );
    let by_card = wallet
        .pay_to_bank(BankTransfer::card(464, card).expiry(3, 2031), amount("100"))
        .send()
        .await
        .unwrap();
    assert_eq!(by_card.provider_id, 464);
    let masked = by_card.answer.fields.as_ref().unwrap().0["account"].clone();
    assert_eq!(masked, "4256********1233", "QIWI masks the card it echoes");
    let by_account = BankTransfer::account(816, "40817810000000000001", "044525187", payer());
    wallet
        .pay_to_bank(by_account.urgent(), amount("500"))
        .send()
        .await
        .unwrap();
    let unknown_bank = wallet
        .pay_to_bank(BankTransfer::card(1, card), amount("1"))
        .send()
        .await;
    assert!(
        matches!(
            unknown_bank,
            Err(Error::InvalidInput {
                field: "providerId",
                ..
            })
        ),
        "{unknown_bank:?}"
    );
    // 300 + 1% requisites, 100 + 1% and 500 + 1% banks.
    assert_eq!(rub_balance(&wallet).await, amount("9091"));

    // 1000 tenge cost 180 roubles at the sandbox's cross rate (643→398: 0.18).
    let kzt = Currency::KZT;
    let cost = wallet
        .conversion_cost(amount("1000"), kzt.clone())
        .await
        .unwrap();
    assert_eq!(cost, amount("180"));
    let me = format!("+{}", wallet.number());
    let converted = wallet
        .convert_to_wallet(&me, amount("1000"), kzt.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(converted.provider_id, CONVERSION_PROVIDER);
    assert_eq!(rub_balance(&wallet).await, amount("8911"));
    assert_eq!(
        balance(&wallet, "qw_wallet_kzt").await,
        Some(amount("1000"))
    );
    let in_roubles = wallet
        .convert_to_wallet(&me, amount("1"), Currency::RUB)
        .send()
        .await;
    assert!(
        matches!(
            in_roubles,
            Err(Error::InvalidInput {
                field: "sum.currency",
                ..
            })
        ),
        "{in_roubles:?}"
    );

    // Both of QIWI's steps, from the tenge account: 500 + 1%.
    let kz = wallet
        .pay_to_kz_card("4111 1111 1111 1111", amount("500"))
        .send()
        .await
        .unwrap();
    assert_eq!(kz.provider_id, KZ_CARD_PROVIDER);
    assert_eq!(kz.answer.source.as_deref(), Some("account_398"));
    assert_eq!(balance(&wallet, "qw_wallet_kzt").await, Some(amount("495")));
    let not_a_card = wallet
        .pay_to_kz_card("4111 1111 1111 1112", amount("1"))
        .send()
        .await;
    assert!(
        matches!(
            not_a_card,
            Err(Error::InvalidInput {
                field: "cardNumber",
                ..
            })
        ),
        "{not_a_card:?}"
    );
}

#[tokio::test]
async fn a_payment_is_found_when_this_machines_clock_is_behind_qiwis() {
    let sandbox = sandbox().await;
    let wallet = wallet_of(&sandbox);
    // QIWI's clock an hour ahead of this machine's: the payment is dated in this machine's
    // future, which a window ending at this machine's now would miss.
    sandbox
        .advance_clock(std::time::Duration::from_secs(3600))
        .unwrap();
    let sent = wallet
        .pay_to_wallet(
            &format!("+{}", qiwi_sandbox::COUNTERPART_WALLET),
            amount("3"),
        )
        .send()
        .await
        .unwrap();
    let found = wallet
        .find_payment(&sent.client_id, time::Duration::days(7))
        .await
        .unwrap();
    assert_eq!(
        found.and_then(|t| t.trm_txn_id),
        Some(sent.client_id.as_str().to_owned())
    );
}
