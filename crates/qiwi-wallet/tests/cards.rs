//! QIWI Master virtual cards through qiwi-wallet against the sandbox: the package bought, a
//! free card issued, a paid one paid once, its secrets revealed without ever printing, renamed,
//! blocked and unblocked, and its statement read.

mod common;

use common::*;

use qiwi_wallet::{CARD_PACKAGE_PROVIDER, Error};

#[tokio::test]
async fn a_card_is_ordered_confirmed_paid_revealed_renamed_blocked_and_stated() {
    let sandbox = sandbox().await;
    let wallet = wallet_of(&sandbox);

    // QIWI sells cards only with the package.
    let early = wallet.order_card("qvc-cpa").await;
    assert_eq!(early.as_ref().err().and_then(Error::status), Some(422));
    let package = wallet
        .buy_card_package(amount("2999"))
        .send()
        .await
        .unwrap();
    assert_eq!(package.provider_id, CARD_PACKAGE_PROVIDER);

    let draft = wallet.order_card("qvc-cpa").await.unwrap();
    assert_eq!(draft.status.as_deref(), Some("DRAFT"));
    let free = wallet
        .confirm_card_order(draft.id.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(free.status.as_deref(), Some("COMPLETED"));
    let card_id: i64 = free.card_id.as_deref().unwrap().parse().unwrap();

    // A draft cannot be paid; a confirmed paid order is paid once, at its price.
    let debit = wallet.order_card("qvc-cpa-debit").await.unwrap();
    let early_payment = wallet.pay_card_order(&debit).send().await;
    assert!(
        matches!(
            early_payment,
            Err(Error::InvalidInput {
                field: "fields.order_id",
                ..
            })
        ),
        "{early_payment:?}"
    );
    let waiting = wallet
        .confirm_card_order(debit.id.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(waiting.status.as_deref(), Some("PAYMENT_REQUIRED"));
    wallet.pay_card_order(&waiting).send().await.unwrap();
    let twice = wallet.pay_card_order(&waiting).send().await;
    assert!(twice.is_err(), "an order is paid once: {twice:?}");
    // 10 000 - the package's 2999 - the debit card's 199.
    assert_eq!(rub_balance(&wallet).await, amount("6802"));

    let cards = wallet.cards().await.unwrap();
    assert_eq!(cards.len(), 2);
    let listed = cards
        .iter()
        .find(|c| c.qvx.as_ref().and_then(|q| q.id) == Some(card_id))
        .expect("the free card is listed");
    let masked = listed.qvx.as_ref().unwrap().masked_pan.clone().unwrap();

    let secrets = wallet.card_details(card_id).await.unwrap();
    let pan = secrets.pan.expose_secret().to_owned();
    assert_eq!(masked, format!("****{}", &pan[pan.len() - 4..]));
    assert_eq!(secrets.cvv.expose_secret().len(), 3);
    let printed = format!("{secrets:?}");
    assert!(
        !printed.contains(&pan) && !printed.contains(secrets.cvv.expose_secret()),
        "{printed}"
    );

    wallet.rename_card(card_id, "groceries").await.unwrap();
    let too_long = wallet.rename_card(card_id, &"x".repeat(51)).await;
    assert!(matches!(
        too_long,
        Err(Error::InvalidInput { field: "alias", .. })
    ));
    let renamed = wallet.cards().await.unwrap();
    let alias = renamed
        .iter()
        .filter_map(|c| c.qvx.as_ref())
        .find(|q| q.id == Some(card_id))
        .and_then(|q| q.card_alias.clone());
    assert_eq!(alias.as_deref(), Some("groceries"));

    wallet.block_card(card_id).await.unwrap();
    let blocked = wallet.cards().await.unwrap();
    let status = |cards: &[qiwi_wallet::Card]| {
        cards
            .iter()
            .filter_map(|c| c.qvx.as_ref())
            .find(|q| q.id == Some(card_id))
            .and_then(|q| q.status.clone())
    };
    assert_eq!(status(&blocked).as_deref(), Some("BLOCKED"));
    let unblocked = wallet.unblock_card(card_id).await.unwrap();
    assert_eq!(unblocked.status.as_deref(), Some("OK"));
    assert_eq!(
        status(&wallet.cards().await.unwrap()).as_deref(),
        Some("ACTIVE")
    );

    let now = time::OffsetDateTime::now_utc();
    let statement = wallet
        .card_statement(card_id, now - time::Duration::days(30), now)
        .await
        .unwrap();
    assert!(statement.starts_with(b"%PDF"), "a PDF");
    let too_long = wallet
        .card_statement(card_id, now - time::Duration::days(91), now)
        .await;
    assert!(matches!(
        too_long,
        Err(Error::InvalidInput { field: "till", .. })
    ));
    let unknown = wallet.card_details(1).await;
    assert_eq!(unknown.as_ref().err().and_then(Error::status), Some(404));
}
