//! The Wallet API's first slice in the sandbox, through qiwi-sys's generated wallet client over
//! 127.0.0.1: two sandbox wallets, a transfer seen in both histories and notified to a hook that
//! a qiwi-hooks receiver verifies, QIWI's payment error codes, pagination and the rate limit.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use qiwi_core::secret::{WalletHookKey, WalletToken};
use qiwi_sandbox::{COUNTERPART_WALLET, Config, RunningSandbox};
use qiwi_sys::error::{ApiError, Classify as _};
use qiwi_sys::wallet;
use serde_json::json;

mod common;

fn client(sandbox: &RunningSandbox) -> wallet::Client {
    wallet::Client::builder(sandbox.credentials().wallet_token.clone())
        .base_url(sandbox.base_url())
        .build()
        .unwrap()
}

fn counterpart(sandbox: &RunningSandbox) -> wallet::Client {
    let token = WalletToken::new(qiwi_sandbox::config::COUNTERPART_TOKEN).unwrap();
    wallet::Client::builder(token)
        .base_url(sandbox.base_url())
        .build()
        .unwrap()
}

async fn transfer(
    client: &wallet::Client,
    id: &str,
    amount: &str,
    to: &str,
) -> Result<wallet::types::PaymentInfo, ApiError> {
    let body: wallet::types::PaymentRequest = serde_json::from_value(json!({
        "id": id, "sum": {"amount": amount.parse::<f64>().unwrap(), "currency": "643"},
        "paymentMethod": {"type": "Account", "accountId": "643"},
        "comment": "to a friend", "fields": {"account": format!("+{to}")}
    }))
    .unwrap();
    client
        .create_payment()
        .provider_id(99)
        .body(body)
        .send()
        .await
        .classify()
}

async fn history(
    client: &wallet::Client,
    wallet: &str,
    rows: u32,
    next: Option<(i64, String)>,
) -> wallet::types::PaymentHistory {
    let rows = std::num::NonZeroU32::new(rows).unwrap();
    let mut request = client.get_payment_history().wallet(wallet).rows(rows);
    if let Some((id, date)) = next {
        let date = qiwi_core::QiwiDateTime::parse(&date).unwrap();
        request = request.next_txn_id(id).next_txn_date(date);
    }
    request.send().await.classify().unwrap()
}

/// `wallet`'s balance in `currency` (ISO 4217 numeric), as the accounts list shows it.
async fn balance(client: &wallet::Client, wallet: &str, currency: u16) -> Option<String> {
    let accounts = client
        .list_accounts()
        .person_id(wallet)
        .send()
        .await
        .classify()
        .unwrap();
    accounts
        .accounts
        .iter()
        .find(|a| a.currency.as_ref().and_then(|c| c.0.numeric()) == Some(currency))
        .map(|a| a.balance.as_ref().unwrap().amount.to_string())
}

fn owner(sandbox: &RunningSandbox) -> String {
    sandbox.credentials().wallet_number.clone()
}

#[tokio::test]
async fn a_transfer_is_an_out_here_an_in_there_and_a_verified_notification() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let client = client(&sandbox);
    let me = owner(&sandbox);

    // The hook's receiver: its URL first, the key QIWI gives for it next.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/wallet", listener.local_addr().unwrap());
    let hook = client
        .register_webhook()
        .hook_type(1)
        .param(url.as_str())
        .txn_type(2)
        .send()
        .await
        .classify()
        .unwrap();
    let hook_id = hook.hook_id.unwrap();
    let key: WalletHookKey = client
        .get_webhook_key()
        .hook_id(hook_id.as_str())
        .send()
        .await
        .classify()
        .unwrap()
        .key
        .unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let keys = qiwi_hooks::Keys {
        wallet: Some(key),
        ..Default::default()
    };
    let router = qiwi_hooks::Receiver::new(keys)
        .with_test_notifications(true)
        .router(move |e: qiwi_hooks::Event| {
            let seen = seen2.clone();
            async move {
                seen.lock()
                    .unwrap()
                    .push((e.is_test(), e.id(), e.claimed_status().to_owned()));
                Ok::<(), std::io::Error>(())
            }
        });
    tokio::spawn(qiwi_hooks::serve(listener, router));

    let paid = transfer(&client, "1001", "100.50", COUNTERPART_WALLET)
        .await
        .unwrap();
    let txn_id = paid.transaction.unwrap().id.unwrap();

    let mine = history(&client, &me, 10, None).await;
    assert_eq!(mine.data.len(), 1);
    assert_eq!(mine.data[0].type_.as_ref().unwrap().as_str(), "OUT");
    assert_eq!(mine.data[0].txn_id.unwrap().to_string(), txn_id);
    assert_eq!(mine.data[0].trm_txn_id.as_deref(), Some("1001"));
    let theirs = history(&counterpart(&sandbox), COUNTERPART_WALLET, 10, None).await;
    assert_eq!(theirs.data[0].type_.as_ref().unwrap().as_str(), "IN");

    assert_eq!(balance(&client, &me, 643).await.as_deref(), Some("9899.5"));
    let read = client
        .get_transaction()
        .transaction_id(txn_id.parse::<i64>().unwrap())
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(
        read.account.as_deref(),
        Some(format!("+{COUNTERPART_WALLET}").as_str())
    );

    client.send_test_webhook().send().await.classify().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while seen.lock().unwrap().len() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            sandbox.callbacks()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let got = seen.lock().unwrap().clone();
    assert!(
        got.contains(&(false, txn_id.clone(), "SUCCESS".to_owned())),
        "{got:?}"
    );
    assert!(got.iter().any(|(test, _, _)| *test), "{got:?}");

    // One hook per wallet; deleting it stops the notifications.
    let err = client
        .register_webhook()
        .hook_type(1)
        .param(url.as_str())
        .txn_type(2)
        .send()
        .await
        .classify()
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Rejected { status: 422, .. }),
        "{err}"
    );
    client
        .delete_webhook()
        .hook_id(hook_id.as_str())
        .send()
        .await
        .classify()
        .unwrap();
    let err = client
        .get_active_webhook()
        .send()
        .await
        .classify()
        .unwrap_err();
    assert!(matches!(err, ApiError::NotFound { .. }), "{err}");
}

#[tokio::test]
async fn payments_are_refused_with_qiwis_codes() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let client = client(&sandbox);
    let code = |e: &ApiError| match e {
        ApiError::Rejected {
            payment_error: Some(p),
            ..
        } => p.code,
        other => panic!("{other}"),
    };
    let err = transfer(&client, "1", "20000", COUNTERPART_WALLET)
        .await
        .unwrap_err();
    assert_eq!(code(&err), 220, "insufficient funds");
    let err = transfer(&client, "2", "10", "79990000000")
        .await
        .unwrap_err();
    assert_eq!(code(&err), 5, "no such wallet");
    transfer(&client, "3", "10", COUNTERPART_WALLET)
        .await
        .unwrap();
    let err = transfer(&client, "3", "10", COUNTERPART_WALLET)
        .await
        .unwrap_err();
    assert_eq!(code(&err), 408, "a payment with this id exists");
    let err = transfer(&client, "4", "0.5", COUNTERPART_WALLET)
        .await
        .unwrap_err();
    assert_eq!(code(&err), 241);

    let wrong = wallet::Client::builder(WalletToken::new("nope").unwrap())
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let err = wrong.get_profile().send().await.classify().unwrap_err();
    assert!(
        matches!(err, ApiError::Unauthorized { status: 401, .. }),
        "{err}"
    );
    let err = client
        .list_accounts()
        .person_id(COUNTERPART_WALLET)
        .send()
        .await
        .classify()
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Unauthorized { status: 403, .. }),
        "{err}"
    );
    let profile = client.get_profile().send().await.classify().unwrap();
    assert_eq!(
        profile.auth_info.unwrap().person_id.unwrap().to_string(),
        owner(&sandbox)
    );
}

#[tokio::test]
async fn history_pages_and_its_rate_limit_follow_qiwi() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let client = client(&sandbox);
    let me = owner(&sandbox);
    for id in ["11", "12", "13"] {
        transfer(&client, id, "1", COUNTERPART_WALLET)
            .await
            .unwrap();
    }
    let first = history(&client, &me, 2, None).await;
    assert_eq!(first.data.len(), 2);
    let next = first.next_txn_id.expect("a next page");
    let date = first.next_txn_date.clone().expect("with its date");
    let second = history(&client, &me, 2, Some((next, date))).await;
    assert_eq!(second.data.len(), 1);
    assert_eq!(second.next_txn_id, None);
    let ids: Vec<_> = first
        .data
        .iter()
        .chain(&second.data)
        .map(|t| t.trm_txn_id.clone().unwrap())
        .collect();
    assert_eq!(ids, ["13", "12", "11"], "newest first");

    // 100 requests a minute (two made above), then a 5-minute block with QIWI's 423.
    for _ in 0..98 {
        history(&client, &me, 1, None).await;
    }
    let no_retry = wallet::Client::with_transport(
        sandbox.base_url(),
        qiwi_sys::transport::Transport::new(sandbox.credentials().wallet_token.clone().into())
            .with_retry(qiwi_sys::transport::RetryPolicy::disabled()),
    )
    .unwrap();
    let err = no_retry
        .get_payment_history()
        .wallet(me.as_str())
        .rows(1)
        .send()
        .await
        .classify()
        .unwrap_err();
    assert!(
        matches!(err, ApiError::RateLimited { status: 423, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn a_paid_p2p_bill_is_money_in_the_merchants_wallet() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let p2p = qiwi_sys::p2p::Client::builder(sandbox.credentials().p2p_secret.clone())
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let expiry =
        qiwi_core::QiwiDateTime::from(time::OffsetDateTime::now_utc() + time::Duration::hours(1));
    let request: qiwi_sys::p2p::types::CreateBillRequest = serde_json::from_value(json!({
        "amount": {"value": "25.00", "currency": "RUB"}, "expirationDateTime": expiry.as_str(),
        "customer": {"phone": "79001112233"}
    }))
    .unwrap();
    p2p.create_bill()
        .bill_id("b-1")
        .body(request)
        .send()
        .await
        .classify()
        .unwrap();
    reqwest::Client::new()
        .post(format!("{}/sandbox/p2p/bills/b-1/pay", sandbox.base_url()))
        .send()
        .await
        .unwrap();
    let client = client(&sandbox);
    let me = owner(&sandbox);
    let page = history(&client, &me, 10, None).await;
    assert_eq!(page.data.len(), 1);
    let txn = &page.data[0];
    assert_eq!(txn.type_.as_ref().unwrap().as_str(), "IN");
    assert_eq!(txn.trm_txn_id.as_deref(), Some("b-1"));
    assert_eq!(
        txn.sum.as_ref().unwrap().amount.0,
        "25".parse::<qiwi_core::Amount>().unwrap()
    );
    assert_eq!(balance(&client, &me, 643).await.as_deref(), Some("10025"));
}

#[tokio::test]
async fn p2p_keys_made_through_the_wallet_work_with_the_p2p_api_at_once() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let client = client(&sandbox);
    let request: wallet::types::P2pKeysRequest = serde_json::from_value(json!({
        "keysPairName": "shop", "serverNotificationsUrl": "http://127.0.0.1:9/p2p"
    }))
    .unwrap();
    let keys = client
        .create_p2p_keys()
        .body(request)
        .send()
        .await
        .classify()
        .unwrap();
    let secret = keys.secret_key.unwrap();
    assert!(keys.public_key.is_some());
    let p2p = qiwi_sys::p2p::Client::builder(secret.clone())
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let expiry =
        qiwi_core::QiwiDateTime::from(time::OffsetDateTime::now_utc() + time::Duration::hours(1));
    let bill: qiwi_sys::p2p::types::CreateBillRequest = serde_json::from_value(json!({
        "amount": {"value": "3.00", "currency": "RUB"}, "expirationDateTime": expiry.as_str()
    }))
    .unwrap();
    p2p.create_bill()
        .bill_id("with-new-keys")
        .body(bill)
        .send()
        .await
        .classify()
        .unwrap();
    reqwest::Client::new()
        .post(format!(
            "{}/sandbox/p2p/bills/with-new-keys/pay",
            sandbox.base_url()
        ))
        .send()
        .await
        .unwrap();
    // The notification goes where the pair said, signed with the new secret.
    let delivery = sandbox
        .callbacks()
        .into_iter()
        .find(|d| d.family == "p2p")
        .unwrap();
    assert_eq!(delivery.url.as_deref(), Some("http://127.0.0.1:9/p2p"));
    let (_, signature) = &delivery.headers[0];
    let verified =
        qiwi_core::signature::verify_p2p_notification(delivery.body.as_bytes(), signature, &secret);
    assert!(verified.is_ok(), "{verified:?}");
}

#[tokio::test]
async fn totals_rates_commissions_and_nickname() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let client = client(&sandbox);
    let me = owner(&sandbox);
    transfer(&client, "21", "30", COUNTERPART_WALLET)
        .await
        .unwrap();
    transfer(&client, "22", "12.50", COUNTERPART_WALLET)
        .await
        .unwrap();
    let now = time::OffsetDateTime::now_utc();
    let totals = client
        .get_payment_totals()
        .wallet(me.as_str())
        .start_date(qiwi_core::QiwiDateTime::from(now - time::Duration::days(1)))
        .end_date(qiwi_core::QiwiDateTime::from(
            now + time::Duration::hours(1),
        ))
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(
        totals.outgoing_total[0].amount.0,
        "42.50".parse::<qiwi_core::Amount>().unwrap()
    );
    let rates = client.get_cross_rates().send().await.classify().unwrap();
    assert_eq!(rates.result.len(), qiwi_sandbox::CROSS_RATES.len());
    let quote = |provider: i64, amount: f64| {
        let client = client.clone();
        let body: wallet::types::CommissionRequest = serde_json::from_value(json!({
            "account": "4256000000000003", "paymentMethod": {"type": "Account", "accountId": "643"},
            "purchaseTotals": {"total": {"amount": amount, "currency": "643"}}
        }))
        .unwrap();
        async move {
            client
                .get_online_commission()
                .provider_id(provider)
                .body(body)
                .send()
                .await
                .classify()
                .unwrap()
        }
    };
    let free = quote(99, 100.0).await;
    assert_eq!(
        free.qw_commission.unwrap().amount.0,
        qiwi_core::Amount::ZERO
    );
    let card = quote(1963, 100.0).await;
    assert_eq!(
        card.qw_commission.unwrap().amount.0,
        "50".parse::<qiwi_core::Amount>().unwrap(),
        "2%, at least 50"
    );
    assert_eq!(
        card.withdraw_sum.unwrap().amount.0,
        "150".parse::<qiwi_core::Amount>().unwrap()
    );
    let nick = client
        .get_nickname()
        .wallet(me.as_str())
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(nick.nickname.as_deref(), Some("SANDBOX0001"));
}

#[tokio::test]
async fn identification_raises_the_limits_that_payments_spend() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let client = client(&sandbox);
    let me = owner(&sandbox);
    let level = |c: wallet::Client, me: String| async move {
        c.get_identification()
            .wallet(me.as_str())
            .send()
            .await
            .classify()
            .unwrap()
            .type_
            .unwrap()
    };
    assert_eq!(level(client.clone(), me.clone()).await, "SIMPLE");
    let limits = |c: wallet::Client, me: String| async move {
        let types = vec![wallet::types::LimitType::Turnover];
        c.get_limits()
            .person_id(me.as_str())
            .types(types)
            .send()
            .await
            .classify()
            .unwrap()
    };
    let simple = limits(client.clone(), me.clone()).await;
    let turnover = &simple.limits["RU"][0];
    assert_eq!(
        turnover.max.as_ref().unwrap().0,
        "40000".parse::<qiwi_core::Amount>().unwrap()
    );

    let bad: wallet::types::IdentificationRequest = serde_json::from_value(json!({
        "birthDate": "18.03.1996", "firstName": "Иван", "middleName": "Иванович", "lastName": "Иванов", "passport": "1122333000"
    }))
    .unwrap();
    let err = client
        .set_identification()
        .wallet(me.as_str())
        .body(bad)
        .send()
        .await
        .classify()
        .unwrap_err();
    assert_eq!(field_of(&err), "birthDate");
    let good: wallet::types::IdentificationRequest = serde_json::from_value(json!({
        "birthDate": "1996-03-18", "firstName": "Иван", "middleName": "Иванович", "lastName": "Иванов",
        "passport": "1122333000", "inn": "7710000001"
    }))
    .unwrap();
    client
        .set_identification()
        .wallet(me.as_str())
        .body(good)
        .send()
        .await
        .classify()
        .unwrap();
    let read = client
        .get_identification()
        .wallet(me.as_str())
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(
        (read.type_.as_deref(), read.passport.as_deref()),
        (Some("VERIFIED"), Some("11***00"))
    );

    transfer(&client, "31", "1500", COUNTERPART_WALLET)
        .await
        .unwrap();
    let verified = limits(client.clone(), me.clone()).await;
    let turnover = &verified.limits["RU"][0];
    assert_eq!(
        turnover.max.as_ref().unwrap().0,
        "200000".parse::<qiwi_core::Amount>().unwrap()
    );
    assert_eq!(
        turnover.spent.as_ref().unwrap().0,
        "1500".parse::<qiwi_core::Amount>().unwrap()
    );
    let count = client
        .get_p2p_payment_count_limit()
        .person_id(me.as_str())
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(count.p2p_payment_count_limit, Some(1));
    let restrictions = client
        .get_restrictions()
        .person_id(me.as_str())
        .send()
        .await
        .classify()
        .unwrap();
    assert!(restrictions.0.is_empty());
}

#[tokio::test]
async fn currency_accounts_are_offered_opened_and_made_default() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let client = client(&sandbox);
    let me = owner(&sandbox);
    let offers = client
        .list_account_offers()
        .person_id(me.as_str())
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(offers.0.len(), 3);
    let open = |alias: &str| -> wallet::types::CreateAccountRequest {
        serde_json::from_value(json!({"alias": alias})).unwrap()
    };
    client
        .create_account()
        .person_id(me.as_str())
        .body(open("qw_wallet_usd"))
        .send()
        .await
        .classify()
        .unwrap();
    let err = client
        .create_account()
        .person_id(me.as_str())
        .body(open("qw_wallet_usd"))
        .send()
        .await
        .classify();
    assert!(
        matches!(err, Err(ApiError::Rejected { .. })),
        "opened once: {err:?}"
    );
    let offers = client
        .list_account_offers()
        .person_id(me.as_str())
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(offers.0.len(), 2);
    let default: wallet::types::SetDefaultAccountRequest =
        serde_json::from_value(json!({"defaultAccount": true})).unwrap();
    client
        .set_default_account()
        .person_id(me.as_str())
        .account_alias("qw_wallet_usd")
        .body(default)
        .send()
        .await
        .classify()
        .unwrap();
    let accounts = client
        .list_accounts()
        .person_id(me.as_str())
        .send()
        .await
        .classify()
        .unwrap();
    let defaults: Vec<_> = accounts
        .accounts
        .iter()
        .map(|a| (a.alias.clone().unwrap(), a.default_account.unwrap()))
        .collect();
    assert_eq!(
        defaults,
        [
            ("qw_wallet_rub".to_owned(), false),
            ("qw_wallet_usd".to_owned(), true)
        ]
    );
}

#[tokio::test]
async fn bills_issued_to_a_wallet_are_paid_from_it_or_rejected() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let p2p = qiwi_sys::p2p::Client::builder(sandbox.credentials().p2p_secret.clone())
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let expiry =
        qiwi_core::QiwiDateTime::from(time::OffsetDateTime::now_utc() + time::Duration::hours(1));
    for id in ["to-pay", "to-reject"] {
        let bill: qiwi_sys::p2p::types::CreateBillRequest = serde_json::from_value(json!({
            "amount": {"value": "40.00", "currency": "RUB"}, "expirationDateTime": expiry.as_str(),
            "customer": {"phone": format!("+{COUNTERPART_WALLET}")}, "comment": "for the counterpart"
        }))
        .unwrap();
        p2p.create_bill()
            .bill_id(id)
            .body(bill)
            .send()
            .await
            .classify()
            .unwrap();
    }
    let payer = counterpart(&sandbox);
    let found = payer
        .search_bills()
        .statuses("READY_FOR_PAY")
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(found.bills.len(), 2);
    let id_of = |external: &str| {
        found
            .bills
            .iter()
            .find(|b| b.external_id.as_deref() == Some(external))
            .unwrap()
            .id
            .unwrap()
    };
    let pay = |id: i64| -> wallet::types::PayBillRequest {
        serde_json::from_value(json!({"invoice_uid": id.to_string(), "currency": "643"})).unwrap()
    };
    // The counterpart starts empty: QIWI's insufficient funds.
    let err = payer
        .pay_bill()
        .body(pay(id_of("to-pay")))
        .send()
        .await
        .classify()
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Rejected { payment_error: Some(p), .. } if p.code == 220),
        "{err}"
    );
    transfer(&client(&sandbox), "41", "100", COUNTERPART_WALLET)
        .await
        .unwrap();
    let paid = payer
        .pay_bill()
        .body(pay(id_of("to-pay")))
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(paid.invoice_status.as_deref(), Some("PAID_STATUS"));
    let bill = p2p
        .get_bill()
        .bill_id("to-pay")
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(bill.status.value.as_str(), "PAID");
    let reject: wallet::types::RejectBillRequest =
        serde_json::from_value(json!({"id": id_of("to-reject")})).unwrap();
    payer
        .reject_bill()
        .body(reject)
        .send()
        .await
        .classify()
        .unwrap();
    let bill = p2p
        .get_bill()
        .bill_id("to-reject")
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(bill.status.value.as_str(), "REJECTED");
    let left = payer
        .search_bills()
        .statuses("READY_FOR_PAY")
        .send()
        .await
        .classify()
        .unwrap();
    assert!(left.bills.is_empty());
    let left = balance(&payer, COUNTERPART_WALLET, 643).await;
    assert_eq!(left.as_deref(), Some("60"));
}

#[tokio::test]
async fn a_transactions_receipt_is_a_pdf_and_can_be_mailed() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let client = client(&sandbox);
    let paid = transfer(&client, "51", "7.25", COUNTERPART_WALLET)
        .await
        .unwrap();
    let txn: i64 = paid.transaction.unwrap().id.unwrap().parse().unwrap();
    let file = client
        .get_cheque_file()
        .transaction_id(txn)
        .type_(wallet::types::TxnDirection::Out)
        .send()
        .await
        .classify_bytes()
        .await;
    assert!(file.starts_with(b"%PDF-1.4") && file.ends_with(b"%%EOF\n"));
    assert!(String::from_utf8_lossy(&file).contains("Amount 7.25 RUB"));
    let email: wallet::types::ChequeSendRequest =
        serde_json::from_value(json!({"email": "me@example.com"})).unwrap();
    client
        .send_cheque()
        .transaction_id(txn)
        .body(email)
        .send()
        .await
        .classify()
        .unwrap();
    assert!(sandbox.callbacks().iter().any(|d| {
        d.headers
            .iter()
            .any(|(k, v)| k == "To" && v == "me@example.com")
    }));
    let missing = client
        .get_cheque_file()
        .transaction_id(1)
        .type_(wallet::types::TxnDirection::Out)
        .send()
        .await;
    assert!(missing.is_err());
}

/// The whole body of a binary answer (a PDF).
trait Bytes {
    async fn classify_bytes(self) -> Vec<u8>;
}

impl Bytes
    for Result<qiwi_sys::ResponseValue<qiwi_sys::ByteStream>, qiwi_sys::Error<qiwi_core::ErrorBody>>
{
    async fn classify_bytes(self) -> Vec<u8> {
        use futures_util::TryStreamExt as _;
        let stream = self.unwrap().into_inner().into_inner();
        let chunks: Vec<_> = stream.try_collect().await.unwrap();
        chunks.concat()
    }
}

#[tokio::test]
async fn mobile_operators_are_found_and_topped_up_from_the_wallet() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let client = client(&sandbox);
    let found = client
        .resolve_mobile_provider()
        .phone_number("79031234567")
        .send()
        .await
        .classify()
        .unwrap();
    let operator = &found.mobile_operator_provider_list[0];
    assert_eq!(
        (operator.id, operator.short_name.as_deref()),
        (Some(2), Some("Beeline"))
    );
    let unknown = client
        .resolve_mobile_provider()
        .phone_number("7903")
        .send()
        .await
        .classify()
        .unwrap_err();
    assert!(
        matches!(unknown, ApiError::Rejected { status: 400, .. }),
        "{unknown}"
    );
    let search = client
        .search_providers()
        .query("rost")
        .send()
        .await
        .classify()
        .unwrap();
    let ids: Vec<_> = search
        .items
        .iter()
        .filter_map(|i| i.data.as_ref()?.id)
        .collect();
    assert_eq!(ids, [23729]);

    let top_up = |id: &str, account: &str| {
        let body: wallet::types::PaymentRequest = serde_json::from_value(json!({
            "id": id, "sum": {"amount": 150, "currency": "643"},
            "paymentMethod": {"type": "Account", "accountId": "643"},
            "fields": {"account": account}
        }))
        .unwrap();
        client.create_payment().provider_id(2).body(body).send()
    };
    let paid = top_up("1001", "9031234567").await.classify().unwrap();
    let txn: i64 = paid.transaction.unwrap().id.unwrap().parse().unwrap();
    let page = history(&client, &owner(&sandbox), 5, None).await;
    let row = page.data.iter().find(|t| t.txn_id == Some(txn)).unwrap();
    assert_eq!(
        row.type_.as_ref().map(|t| t.to_string()).as_deref(),
        Some("OUT")
    );
    assert_eq!(row.provider.as_ref().and_then(|p| p.id), Some(2));
    assert_eq!(
        balance(&client, &owner(&sandbox), 643).await.as_deref(),
        Some("9848.5"),
        "10 000 RUB less the top-up and its 1% commission"
    );

    let code = |e: ApiError| match e {
        ApiError::Rejected {
            payment_error: Some(p),
            ..
        } => p.code,
        other => panic!("{other}"),
    };
    let megafon = top_up("1002", "9261234567").await.classify().unwrap_err();
    assert_eq!(code(megafon), 4, "the number is not Beeline's");
    let short = top_up("1003", "903123").await.classify().unwrap_err();
    assert_eq!(code(short), 303, "not a phone number");
    let again = top_up("1001", "9031234567").await.classify().unwrap_err();
    assert_eq!(code(again), 408, "the same id twice");
}

#[tokio::test]
async fn a_full_identification_is_downgraded_once_confirmed_and_its_time_has_passed() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let client = client(&sandbox);
    let me = owner(&sandbox);
    let full_path = format!("/sandbox/wallet/{me}/full-identification");
    let not_yet = common::control(&sandbox, &full_path, "").await;
    assert_eq!(
        not_yet.status(),
        409,
        "only an identified wallet becomes FULL"
    );
    let to_verified: wallet::types::IdentificationDowngradeRequest =
        serde_json::from_value(json!({"identificationLevel": "VERIFIED"})).unwrap();
    let downgrade = || {
        client
            .create_identification_downgrade()
            .wallet(me.as_str())
            .body(to_verified.clone())
            .send()
    };
    let simple = downgrade().await.classify().unwrap_err();
    assert!(
        matches!(simple, ApiError::Rejected { status: 422, .. }),
        "{simple}"
    );

    let identity: wallet::types::IdentificationRequest = serde_json::from_value(json!({
        "birthDate": "1996-03-18", "firstName": "Иван", "middleName": "Иванович",
        "lastName": "Иванов", "passport": "1122333000"
    }))
    .unwrap();
    let level = || async {
        let found = client.get_identification().wallet(me.as_str()).send().await;
        found.classify().unwrap().type_.unwrap()
    };
    client
        .set_identification()
        .wallet(me.as_str())
        .body(identity)
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(
        common::control(&sandbox, &full_path, "").await.status(),
        204
    );
    assert_eq!(level().await, "FULL");

    let to_simple: wallet::types::IdentificationDowngradeRequest =
        serde_json::from_value(json!({"identificationLevel": "SIMPLE"})).unwrap();
    let err = client
        .create_identification_downgrade()
        .wallet(me.as_str())
        .body(to_simple)
        .send()
        .await
        .classify()
        .unwrap_err();
    assert_eq!(field_of(&err), "identificationLevel");

    let id = downgrade().await.classify().unwrap().downgrade_operation_id;
    let status = |answer: wallet::types::IdentificationDowngrade| {
        answer
            .downgrade_operation
            .unwrap()
            .status
            .unwrap()
            .type_
            .unwrap()
    };
    let read = || {
        client
            .get_identification_downgrade()
            .wallet(me.as_str())
            .downgrade_operation_id(id.as_str())
            .send()
    };
    sandbox.advance_clock(Duration::from_secs(600)).unwrap();
    assert_eq!(status(read().await.classify().unwrap()), "IN_PROGRESS");
    assert_eq!(
        level().await,
        "FULL",
        "nothing happens before the confirmation"
    );
    let confirmed = client
        .confirm_identification_downgrade()
        .wallet(me.as_str())
        .downgrade_operation_id(id.as_str())
        .body(wallet::types::EmptyObject(Default::default()))
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(status(confirmed), "IN_PROGRESS");
    assert_eq!(level().await, "FULL");
    sandbox.advance_clock(Duration::from_secs(61)).unwrap();
    assert_eq!(status(read().await.classify().unwrap()), "SUCCESS");
    assert_eq!(level().await, "VERIFIED");

    let unknown = client
        .get_identification_downgrade()
        .wallet(me.as_str())
        .downgrade_operation_id("1747ea28-1082-41bc-bde4-72994b3ffeb4")
        .send()
        .await
        .classify()
        .unwrap_err();
    assert!(matches!(unknown, ApiError::NotFound { .. }), "{unknown}");
}

/// A sinap payment body: `amount` in `currency` from the rouble account, with `fields`.
fn payment(
    id: &str,
    amount: &str,
    currency: &str,
    fields: serde_json::Value,
) -> wallet::types::PaymentRequest {
    serde_json::from_value(json!({
        "id": id, "sum": {"amount": amount.parse::<f64>().unwrap(), "currency": currency},
        "paymentMethod": {"type": "Account", "accountId": "643"}, "fields": fields
    }))
    .unwrap()
}

/// The first field a validation error names.
fn field_of(e: &ApiError) -> String {
    e.body().unwrap().field_errors()[0].0.to_owned()
}

fn payment_code(e: ApiError) -> u32 {
    match e {
        ApiError::Rejected {
            payment_error: Some(p),
            ..
        } => p.code,
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn cards_banks_requisites_and_services_are_paid_with_their_commission() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let client = client(&sandbox);
    let pay = |provider: i64, body: wallet::types::PaymentRequest| {
        client
            .create_payment()
            .provider_id(provider)
            .body(body)
            .send()
    };
    let visa = "4256000000001233";
    let spaced: wallet::types::CardProviderRequest =
        serde_json::from_value(json!({"account": "4256 0000 0000 1233"})).unwrap();
    let found = client
        .find_card_provider()
        .body(spaced)
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(found.elements[0].value.as_deref(), Some("1963"));

    let paid = pay(
        1963,
        payment("2001", "1000", "643", json!({"account": visa})),
    )
    .await
    .classify()
    .unwrap();
    assert_eq!(
        paid.fields.unwrap().0["account"],
        "4256********1233",
        "the card number is masked"
    );
    let txn: i64 = paid.transaction.unwrap().id.unwrap().parse().unwrap();
    let row = client
        .get_transaction()
        .transaction_id(txn)
        .send()
        .await
        .classify()
        .unwrap();
    let money = |m: &Option<wallet::types::WalletMoney>| m.as_ref().unwrap().amount.0.to_string();
    assert_eq!(
        (money(&row.sum), money(&row.commission), money(&row.total)),
        ("1000".into(), "50".into(), "1050".into()),
        "2%, at least 50 RUB"
    );
    let mc = pay(
        21013,
        payment("2002", "100", "643", json!({"account": visa})),
    )
    .await;
    assert_eq!(
        payment_code(mc.classify().unwrap_err()),
        522,
        "a Visa card is not MasterCard's"
    );
    let bad = pay(
        1963,
        payment("2003", "100", "643", json!({"account": "4256000000001231"})),
    )
    .await;
    assert_eq!(
        payment_code(bad.classify().unwrap_err()),
        522,
        "fails the Luhn check"
    );
    let abroad = json!({"account": visa, "rem_name": "Сергей", "rem_name_f": "Иванов",
        "rec_address": "Ленинский проспект 131, 56", "rec_city": "Москва", "rec_country": "Россия",
        "reg_name": "Виктор", "reg_name_f": "Петров"});
    let stopped = pay(1960, payment("2004", "100", "643", abroad)).await;
    assert_eq!(
        payment_code(stopped.classify().unwrap_err()),
        131,
        "QIWI stopped these"
    );

    let vtb = json!({"account_type": "2", "urgent": "0", "lname": "Иванов", "fname": "Иван",
        "mname": "Иванович", "mfo": "046577795", "account": "40817810000000000001"});
    pay(816, payment("2005", "500", "643", vtb.clone()))
        .await
        .classify()
        .unwrap();
    let mut no_bik = vtb.clone();
    no_bik["mfo"] = json!("0465");
    let err = pay(816, payment("2006", "500", "643", no_bik))
        .await
        .classify()
        .unwrap_err();
    assert_eq!(field_of(&err), "fields.mfo");
    let alfa_card = json!({"account_type": "1", "account": visa, "exp_date": "1399"});
    let expiry = pay(464, payment("2007", "100", "643", alfa_card)).await;
    assert_eq!(payment_code(expiry.classify().unwrap_err()), 547);

    let requisites = json!({"name": "ПАО \"Сбербанк\"", "extra_to_bik": "044525225",
        "to_bik": "044525225", "city": "Москва", "info": "Коммерческие организации",
        "is_commercial": "1", "to_name": "ООО Ромашка", "to_inn": "7710000001", "to_kpp": "771001001",
        "nds": "НДС не облагается", "goal": "Оплата по счёту 1", "urgent": "0",
        "account": "40702810000000000001", "from_name": "Иван", "from_name_p": "Иванович",
        "from_name_f": "Иванов", "requestProtocol": "qw1", "toServiceId": "1717"});
    pay(1717, payment("2008", "300", "643", requisites.clone()))
        .await
        .classify()
        .unwrap();
    let mut no_goal = requisites;
    no_goal["goal"] = json!("");
    let err = pay(1717, payment("2009", "300", "643", no_goal))
        .await
        .classify()
        .unwrap_err();
    assert_eq!(field_of(&err), "fields.goal");
    pay(
        23729,
        payment("2010", "200", "643", json!({"account": "1234567"})),
    )
    .await
    .classify()
    .unwrap();
    let unknown = pay(5, payment("2011", "200", "643", json!({"account": "1"}))).await;
    assert_eq!(
        unknown
            .classify()
            .unwrap_err()
            .body()
            .unwrap()
            .field_errors()[0]
            .0,
        "providerId"
    );

    // 1050 card + 500 + 5 bank + 300 + 3 requisites + 200 + 2 service, all from 10 000.
    let rub = balance(&client, &owner(&sandbox), 643).await;
    assert_eq!(rub.as_deref(), Some("7940"));
}

#[tokio::test]
async fn roubles_convert_to_tenge_that_pays_a_kazakhstan_card() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let client = client(&sandbox);
    let me = owner(&sandbox);
    let convert = payment("3001", "1000", "398", json!({"account": format!("+{me}")}));
    let converted = client
        .create_payment()
        .provider_id(1099)
        .body(convert)
        .send()
        .await;
    converted.classify().unwrap();
    assert_eq!(
        balance(&client, &me, 398).await.as_deref(),
        Some("1000"),
        "a tenge account opened and credited"
    );
    assert_eq!(
        balance(&client, &me, 643).await.as_deref(),
        Some("9820"),
        "1000 KZT at 0.18 RUB"
    );

    let lookup: wallet::types::KzCardLookupRequest = serde_json::from_value(json!({
        "cardNumber": "4400430000000007", "version": "2", "transferSum": "100", "src": "sinap"
    }))
    .unwrap();
    let found = client
        .lookup_kz_card()
        .body(lookup)
        .send()
        .await
        .classify()
        .unwrap();
    let element = |name: &str| {
        found
            .elements
            .iter()
            .find(|e| e.name.as_deref() == Some(name))
            .unwrap()
            .value
            .clone()
            .unwrap()
    };
    assert_eq!(element("account"), "440043******0007");
    let kz = |id: &str, amount: &str, ev: &str| -> wallet::types::PaymentRequest {
        serde_json::from_value(json!({
            "id": id, "sum": {"amount": amount.parse::<f64>().unwrap(), "currency": "398"},
            "paymentMethod": {"type": "Account", "accountId": "398"}, "comment": "",
            "fields": {"cardNumber": "4400430000000007", "version": "2", "transferSum": amount,
                "info": "Для продолжения оплаты, подтвердите, что являетесь держателем указанного банковского счета.",
                "accept": "1", "account": element("account"), "ev_account1": ev}
        }))
        .unwrap()
    };
    let forged = client
        .pay_kz_card()
        .body(kz("3002", "100", "nope"))
        .send()
        .await;
    let err = forged.classify().unwrap_err();
    assert_eq!(field_of(&err), "fields.ev_account1");
    let too_much = client
        .pay_kz_card()
        .body(kz("3003", "995", &element("ev_account1")))
        .send()
        .await;
    assert_eq!(
        payment_code(too_much.classify().unwrap_err()),
        220,
        "995 + 1% > 1000 KZT"
    );
    let paid = client
        .pay_kz_card()
        .body(kz("3004", "500", &element("ev_account1")))
        .send()
        .await;
    let paid = paid.classify().unwrap();
    assert_eq!(paid.source.as_deref(), Some("account_398"));
    let kzt = balance(&client, &me, 398).await;
    assert_eq!(kzt.as_deref(), Some("495"));

    let now = time::OffsetDateTime::now_utc();
    let totals = client
        .get_payment_totals()
        .wallet(me.as_str())
        .start_date(qiwi_core::QiwiDateTime::from(now - time::Duration::days(1)))
        .end_date(qiwi_core::QiwiDateTime::from(
            now + time::Duration::hours(1),
        ))
        .send()
        .await
        .classify()
        .unwrap();
    let sums = |list: &[qiwi_core::wallet::WalletMoney]| {
        let mut sums: Vec<String> = list
            .iter()
            .map(|m| format!("{} {}", m.amount.0, m.currency.currency()))
            .collect();
        sums.sort();
        sums
    };
    assert_eq!(sums(&totals.incoming_total), ["1000 KZT"]);
    assert_eq!(
        sums(&totals.outgoing_total),
        ["180 RUB", "505 KZT"],
        "each currency apart, commission included"
    );
}

#[tokio::test]
async fn hostile_payments_are_refused_and_the_ledger_keeps_working() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let client = client(&sandbox);
    let me = owner(&sandbox);
    let pay = |provider: i64, body: wallet::types::PaymentRequest| {
        client
            .create_payment()
            .provider_id(provider)
            .body(body)
            .send()
    };
    // A huge conversion would overflow a decimal (sent raw: the client refuses such a number);
    // a short `cardNumber` would be sliced.
    let huge = format!(
        r#"{{"id":"4001","sum":{{"amount":7900000000000000000000000000,"currency":"840"}},
        "paymentMethod":{{"type":"Account","accountId":"643"}},"fields":{{"account":"+{me}"}}}}"#
    );
    let answer = reqwest::Client::new()
        .post(format!(
            "{}/sinap/api/v2/terms/1099/payments",
            sandbox.base_url()
        ))
        .bearer_auth(
            qiwi_core::secret::ApiToken::from(sandbox.credentials().wallet_token.clone())
                .expose_secret(),
        )
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["code"], "QWPRC-242", "{body}");
    let odd = json!({"account": "1234567", "cardNumber": "ё1"});
    let echoed = pay(23729, payment("4002", "10", "643", odd))
        .await
        .classify()
        .unwrap();
    assert_eq!(echoed.fields.unwrap().0["cardNumber"], "**");
    let to_self = pay(
        99,
        payment("4003", "10", "643", json!({"account": format!("+{me}")})),
    );
    assert_eq!(payment_code(to_self.await.classify().unwrap_err()), 5);
    assert_eq!(balance(&client, &me, 643).await.as_deref(), Some("9989.9"));
}

#[tokio::test]
async fn qiwi_master_cards_are_bought_issued_revealed_renamed_blocked_and_stated() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let client = client(&sandbox);
    let me = owner(&sandbox);
    let order = |alias: &str| {
        let body: wallet::types::CardOrderRequest =
            serde_json::from_value(json!({"cardAlias": alias})).unwrap();
        client
            .create_card_order()
            .wallet(me.as_str())
            .body(body)
            .send()
    };
    let early = order("qvc-cpa").await.classify().unwrap_err();
    assert!(
        matches!(early, ApiError::Rejected { status: 422, .. }),
        "{early}"
    );
    let pay = |provider: i64, id: &str, amount: &str, fields: serde_json::Value| {
        client
            .create_payment()
            .provider_id(provider)
            .body(payment(id, amount, "643", fields))
            .send()
    };
    let package = json!({"account": me, "vas_alias": "qvc-master"});
    let cheap = pay(28004, "5001", "10", package.clone())
        .await
        .classify()
        .unwrap_err();
    assert_eq!(field_of(&cheap), "sum.amount");
    pay(28004, "5002", "2999", package.clone())
        .await
        .classify()
        .unwrap();
    let twice = pay(28004, "5003", "2999", package)
        .await
        .classify()
        .unwrap_err();
    assert_eq!(field_of(&twice), "fields.vas_alias");

    let free = order("qvc-cpa").await.classify().unwrap();
    assert_eq!(free.status.as_deref(), Some("DRAFT"));
    let submit = |id: String| {
        let (client, me) = (client.clone(), me.clone());
        async move {
            let sent = client
                .submit_card_order()
                .wallet(me.as_str())
                .order_id(id)
                .send();
            sent.await.classify().unwrap()
        }
    };
    let issued = submit(free.id.clone().unwrap()).await;
    assert_eq!(issued.status.as_deref(), Some("COMPLETED"));
    let first = issued.card_id.unwrap();

    let debit = order("qvc-cpa-debit").await.classify().unwrap();
    let order_id = debit.id.clone().unwrap();
    let waiting = submit(order_id.clone()).await;
    assert_eq!(waiting.status.as_deref(), Some("PAYMENT_REQUIRED"));
    assert_eq!(waiting.card_id, None);
    let for_order = json!({"account": me, "order_id": order_id});
    let wrong = pay(32064, "5004", "1", for_order.clone())
        .await
        .classify()
        .unwrap_err();
    assert_eq!(field_of(&wrong), "sum.amount");
    pay(32064, "5005", "199", for_order.clone())
        .await
        .classify()
        .unwrap();
    let again = pay(32064, "5006", "199", for_order)
        .await
        .classify()
        .unwrap_err();
    assert_eq!(field_of(&again), "fields.order_id", "paid once");
    assert_eq!(
        balance(&client, &me, 643).await.as_deref(),
        Some("6802"),
        "10 000 less the package and the paid card, no commission"
    );

    let cards = client
        .list_cards()
        .vas_alias("qvc-master")
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(cards.len(), 2);
    let details: wallet::types::CardDetailsRequest =
        serde_json::from_value(json!({"operationId": "9d3a1c1e-3e0b-4f7e-9f5b-7b5a2f7e1c3d"}))
            .unwrap();
    let revealed = client
        .get_card_details()
        .card_id(first.as_str())
        .body(details.clone())
        .send();
    let revealed = revealed.await.classify().unwrap();
    let pan = revealed.pan.as_ref().unwrap().expose_secret().to_owned();
    assert_eq!(pan.len(), 16);
    assert_eq!(revealed.cvv.as_ref().unwrap().expose_secret().len(), 3);
    assert!(
        !format!("{revealed:?}").contains(&pan),
        "Debug never shows the number"
    );
    let masked = cards[0].qvx.as_ref().unwrap().masked_pan.clone().unwrap();
    assert_eq!(masked, format!("****{}", &pan[12..]));

    let name: wallet::types::CardAliasRequest =
        serde_json::from_value(json!({"alias": "Subscriptions"})).unwrap();
    client
        .rename_card()
        .card_id(first.as_str())
        .body(name)
        .send()
        .await
        .classify()
        .unwrap();
    client
        .block_card()
        .wallet(me.as_str())
        .card_id(first.as_str())
        .send()
        .await
        .classify()
        .unwrap();
    let cards = client.list_cards().send().await.classify().unwrap();
    let qvx = cards[0].qvx.as_ref().unwrap();
    assert_eq!(
        (qvx.card_alias.as_deref(), qvx.status.as_deref()),
        (Some("Subscriptions"), Some("BLOCKED"))
    );
    let unblocked = client
        .unblock_card()
        .wallet(me.as_str())
        .card_id(first.as_str())
        .send();
    assert_eq!(
        unblocked.await.classify().unwrap().status.as_deref(),
        Some("OK")
    );
    let unblocked = client
        .unblock_card()
        .wallet(me.as_str())
        .card_id(first.as_str())
        .send();
    assert_eq!(
        unblocked.await.classify().unwrap().status.as_deref(),
        Some("FAIL"),
        "not blocked"
    );

    let at = |t: &str| qiwi_core::QiwiDateTime::parse(t).unwrap();
    let statement = client
        .get_card_statement()
        .wallet(me.as_str())
        .card_id(first.as_str())
        .from(at("2026-01-01T00:00:00+03:00"))
        .till(at("2026-03-01T00:00:00+03:00"))
        .send()
        .await
        .classify_bytes()
        .await;
    assert!(statement.starts_with(b"%PDF-1.4"));
    assert!(String::from_utf8_lossy(&statement).contains(&format!("Card ****{}", &pan[12..])));
    let long = client
        .get_card_statement()
        .wallet(me.as_str())
        .card_id(first.as_str())
        .from(at("2026-01-01T00:00:00+03:00"))
        .till(at("2026-06-01T00:00:00+03:00"))
        .send()
        .await
        .map(|_| ())
        .map_err(ApiError::from)
        .unwrap_err();
    assert_eq!(field_of(&long), "till", "at most 90 days");

    let other = counterpart(&sandbox);
    let theirs = other
        .get_card_details()
        .card_id(first.as_str())
        .body(details)
        .send();
    let theirs = theirs.await.classify().unwrap_err();
    assert!(
        matches!(theirs, ApiError::NotFound { .. }),
        "another wallet's card: {theirs}"
    );
}

/// Money in the token's wallet: a P2P bill of `amount` RUB paid by a payer.
async fn fund(sandbox: &RunningSandbox, bill_id: &str, amount: &str) {
    let p2p = qiwi_sys::p2p::Client::builder(sandbox.credentials().p2p_secret.clone())
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let expiry =
        qiwi_core::QiwiDateTime::from(time::OffsetDateTime::now_utc() + time::Duration::hours(1));
    let request: qiwi_sys::p2p::types::CreateBillRequest = serde_json::from_value(json!({
        "amount": {"value": amount, "currency": "RUB"}, "expirationDateTime": expiry.as_str()
    }))
    .unwrap();
    let created = p2p.create_bill().bill_id(bill_id).body(request).send();
    created.await.classify().unwrap();
    sandbox.pay_bill(bill_id).unwrap();
}

#[tokio::test]
async fn payments_past_the_monthly_limit_of_the_level_are_refused() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let client = client(&sandbox);
    let me = owner(&sandbox);
    fund(&sandbox, "limit-1", "60000.00").await;
    transfer(&client, "6001", "30000", COUNTERPART_WALLET)
        .await
        .unwrap();
    let past = transfer(&client, "6002", "10000.01", COUNTERPART_WALLET).await;
    assert_eq!(
        payment_code(past.unwrap_err()),
        704,
        "SIMPLE: 40 000 a month"
    );
    transfer(&client, "6003", "10000", COUNTERPART_WALLET)
        .await
        .unwrap();

    let identity: wallet::types::IdentificationRequest = serde_json::from_value(json!({
        "birthDate": "1996-03-18", "firstName": "Иван", "middleName": "Иванович",
        "lastName": "Иванов", "passport": "1122333000"
    }))
    .unwrap();
    let identified = client
        .set_identification()
        .wallet(me.as_str())
        .body(identity)
        .send();
    identified.await.classify().unwrap();
    transfer(&client, "6004", "10000", COUNTERPART_WALLET)
        .await
        .unwrap();
    assert_eq!(balance(&client, &me, 643).await.as_deref(), Some("20000"));
}

#[tokio::test]
async fn the_history_window_is_the_last_day_by_default_and_at_most_90_days() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let client = client(&sandbox);
    let me = owner(&sandbox);
    transfer(&client, "7001", "5", COUNTERPART_WALLET)
        .await
        .unwrap();
    assert_eq!(history(&client, &me, 10, None).await.data.len(), 1);
    sandbox.advance_clock(Duration::from_secs(172800)).unwrap();
    assert!(
        history(&client, &me, 10, None).await.data.is_empty(),
        "two days later the default window (the last day) misses it"
    );
    let at = |t: time::OffsetDateTime| qiwi_core::QiwiDateTime::from(t);
    let now = time::OffsetDateTime::now_utc() + time::Duration::days(2);
    let window = |days: i64, sources: Vec<wallet::types::HistorySource>| {
        client
            .get_payment_history()
            .wallet(me.as_str())
            .rows(10)
            .start_date(at(now - time::Duration::days(days)))
            .end_date(at(now))
            .sources(sources)
            .send()
    };
    let found = window(90, vec![]).await.classify().unwrap();
    assert_eq!(found.data.len(), 1, "an explicit window finds it");
    let rub = window(90, vec![wallet::types::HistorySource::QwRub]).await;
    assert_eq!(rub.classify().unwrap().data.len(), 1);
    let usd = window(90, vec![wallet::types::HistorySource::QwUsd]).await;
    assert!(usd.classify().unwrap().data.is_empty(), "a rouble payment");
    let long = window(91, vec![]).await.classify().unwrap_err();
    assert_eq!(field_of(&long), "startDate", "at most 90 days");
    let half = client
        .get_payment_history()
        .wallet(me.as_str())
        .rows(10)
        .start_date(at(now))
        .send()
        .await
        .classify()
        .unwrap_err();
    assert_eq!(field_of(&half), "startDate", "with endDate");
    let alone = client
        .get_payment_history()
        .wallet(me.as_str())
        .rows(10)
        .next_txn_id(1)
        .send()
        .await
        .classify()
        .unwrap_err();
    assert_eq!(field_of(&alone), "nextTxnDate", "with nextTxnId");
}
