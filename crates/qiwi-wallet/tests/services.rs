//! qiwi-wallet's webhooks, accounts, lookups, receipts and bills against the sandbox.

mod common;

use common::*;

use std::time::Duration;

use qiwi_core::notification::WalletNotification;
use qiwi_core::signature::verify_wallet_notification;
use qiwi_wallet::{Amount, Error, HistoryOperation, HookPayments, TxnDirection};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The bodies `server` has received, once there are `n`.
async fn received(server: &MockServer, n: usize) -> Vec<Vec<u8>> {
    for _ in 0..100 {
        let got = server.received_requests().await.unwrap();
        if got.len() >= n {
            return got.into_iter().map(|r| r.body).collect();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("fewer than {n} notifications arrived");
}

#[tokio::test]
async fn a_registered_webhook_is_notified_and_verified_with_the_key_read_through_the_client() {
    let sandbox = sandbox().await;
    let wallet = wallet_of(&sandbox);
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;

    assert!(wallet.active_hook().await.unwrap().is_none());
    let url = format!("{}/qiwi", receiver.uri());
    let hook = wallet
        .register_hook(&url, HookPayments::Incoming)
        .await
        .unwrap();
    let hook_id = hook.hook_id.clone().unwrap();
    assert_eq!(
        wallet.active_hook().await.unwrap().and_then(|h| h.hook_id),
        Some(hook_id.clone())
    );
    let key = wallet.hook_key(&hook_id).await.unwrap();
    assert_eq!(
        format!("{key:?}").matches("***").count(),
        1,
        "the key never prints"
    );

    // Money arrives from the counterpart: QIWI notifies the hook, signed with that key.
    let to = format!("+{}", sandbox.credentials().wallet_number);
    counterpart_of(&sandbox)
        .pay_to_wallet(&to, "1.10".parse().unwrap())
        .send()
        .await
        .unwrap_err(); // the counterpart starts empty: refused, nothing notified
    wallet
        .pay_to_wallet(
            &format!("+{}", qiwi_sandbox::COUNTERPART_WALLET),
            "5".parse().unwrap(),
        )
        .send()
        .await
        .unwrap();
    counterpart_of(&sandbox)
        .pay_to_wallet(&to, "1.10".parse().unwrap())
        .send()
        .await
        .unwrap();
    let bodies = received(&receiver, 1).await;
    let WalletNotification::Payment(n) = verify_wallet_notification(&bodies[0], &key).unwrap()
    else {
        panic!("a payment notification")
    };
    let incoming = wallet
        .history()
        .operation(HistoryOperation::In)
        .send()
        .await
        .unwrap();
    assert_eq!(
        n.payment.txn_id,
        incoming.transactions[0].txn_id.unwrap().to_string()
    );

    // A rotated key: the old one no longer verifies what comes next.
    let new_key = wallet.rotate_hook_key(&hook_id).await.unwrap();
    wallet.send_test_hook().await.unwrap();
    let bodies = received(&receiver, 2).await;
    assert!(matches!(
        verify_wallet_notification(&bodies[1], &new_key),
        Ok(WalletNotification::Test(_))
    ));
    assert!(verify_wallet_notification(&bodies[1], &key).is_err());

    wallet.delete_hook(&hook_id).await.unwrap();
    assert!(wallet.active_hook().await.unwrap().is_none());
    let long = format!("https://example.com/{}", "a".repeat(100));
    assert!(matches!(
        wallet.register_hook(&long, HookPayments::Both).await,
        Err(Error::InvalidInput { field: "param", .. })
    ));
}

#[tokio::test]
async fn accounts_rates_lookups_and_receipts() {
    let sandbox = sandbox().await;
    let wallet = wallet_of(&sandbox);

    let offers = wallet.account_offers().await.unwrap();
    assert!(
        offers
            .iter()
            .any(|o| o.alias.as_deref() == Some("qw_wallet_usd"))
    );
    wallet.create_account("qw_wallet_usd").await.unwrap();
    wallet.set_default_account("qw_wallet_usd").await.unwrap();
    let accounts = wallet.balances().await.unwrap();
    let usd = accounts
        .iter()
        .find(|a| a.alias.as_deref() == Some("qw_wallet_usd"))
        .expect("the new account");
    assert_eq!(usd.default_account, Some(true));

    let rates = wallet.cross_rates().await.unwrap();
    assert!(!rates.is_empty());
    assert!(wallet.nickname().await.unwrap().nickname.is_some());
    let fee = wallet
        .commission(1963, "4111111111111111", "100".parse().unwrap())
        .await
        .unwrap();
    // The sandbox's card transfers: 2%, at least 50 RUB.
    assert_eq!(
        fee.qw_commission.unwrap().amount.0,
        "50".parse::<Amount>().unwrap()
    );
    assert!(
        !wallet
            .search_providers("MTS")
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let operators = wallet.mobile_operators("+7 916 111-22-33").await.unwrap();
    assert_eq!(operators[0].id, Some(1));
    assert!(matches!(
        wallet.mobile_operators("12345").await,
        Err(Error::InvalidInput { .. })
    ));

    wallet
        .pay_to_wallet(
            &format!("+{}", qiwi_sandbox::COUNTERPART_WALLET),
            "3".parse().unwrap(),
        )
        .send()
        .await
        .unwrap();
    let txn = wallet.history().send().await.unwrap().transactions[0]
        .txn_id
        .unwrap();
    let pdf = wallet
        .cheque(
            txn,
            TxnDirection::Out,
            qiwi_sys::wallet::types::GetChequeFileFormat::Pdf,
        )
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    wallet
        .send_cheque(txn, TxnDirection::Out, "payer@example.com")
        .await
        .unwrap();
    assert!(matches!(
        wallet
            .send_cheque(txn, TxnDirection::Out, "not an address")
            .await,
        Err(Error::InvalidInput { field: "email", .. })
    ));
}

#[tokio::test]
async fn bills_issued_to_the_wallet_are_paid_from_its_balance_or_rejected() {
    let sandbox = sandbox().await;
    let c = sandbox.credentials();
    // The sandbox's P2P merchant is its first wallet: the counterpart is the payer here.
    let payer = counterpart_of(&sandbox);
    wallet_of(&sandbox)
        .pay_to_wallet(
            &format!("+{}", qiwi_sandbox::COUNTERPART_WALLET),
            "200".parse().unwrap(),
        )
        .send()
        .await
        .unwrap();
    let p2p = qiwi_p2p::Client::builder(c.p2p_secret.clone())
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    for id in ["to-pay", "to-reject"] {
        p2p.bills()
            .create(id)
            .amount("149.90".parse().unwrap(), qiwi_p2p::Currency::RUB)
            .expires_in(Duration::from_secs(3600))
            .customer_phone(format!("+{}", qiwi_sandbox::COUNTERPART_WALLET))
            .send()
            .await
            .unwrap();
    }
    let bills = payer.bills_to_pay().await.unwrap();
    assert_eq!(bills.len(), 2);
    let by_id = |id: &str| {
        bills
            .iter()
            .find(|b| b.external_id.as_deref() == Some(id))
            .unwrap()
    };
    let (pay, reject) = (by_id("to-pay"), by_id("to-reject"));
    payer.pay_bill(pay).await.unwrap();
    payer.reject_bill(reject.id.unwrap()).await.unwrap();
    assert!(payer.bills_to_pay().await.unwrap().is_empty());
    let accounts = payer.balances().await.unwrap();
    let rub = accounts
        .iter()
        .find(|a| a.alias.as_deref() == Some("qw_wallet_rub"))
        .unwrap();
    assert_eq!(
        rub.balance.as_ref().unwrap().amount.0,
        "50.10".parse::<Amount>().unwrap()
    );
    let statuses: Vec<_> = futures_util::future::join_all(
        ["to-pay", "to-reject"].map(|id| p2p.bills().get(id).send()),
    )
    .await
    .into_iter()
    .map(|b| b.unwrap().status.value)
    .collect();
    assert_eq!(
        statuses,
        [
            qiwi_p2p::BillStatusValue::Paid,
            qiwi_p2p::BillStatusValue::Rejected
        ]
    );
}
