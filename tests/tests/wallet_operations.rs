//! Every operation of QIWI's Wallet API through qiwi-wallet, against a local server that answers
//! each with QIWI's documented example from `spec/wallet.yaml` (`qiwi_tests::documented`): each
//! call succeeds on QIWI's own answer, no operation of the spec is left without a qiwi-wallet
//! method, and what each method sends (method, path, query string, `Accept`, body) is an insta
//! snapshot reviewed in pull requests — including QIWI's indexed `sources[0]=…` history query.

use qiwi_tests::documented::{Documented, request_example, spec};
use qiwi_wallet::types::{CheckoutBill, IdentificationRequest};
use qiwi_wallet::{
    Amount, BankTransfer, ClientId, Currency, GetChequeFileFormat, HistorySource, HookPayments,
    PersonName, Requisites, TxnDirection, Vat, Wallet, WalletToken,
};
use serde_json::Value;
use time::macros::datetime;
use wiremock::{Mock, MockServer, matchers::any};

const WALLET: &str = "79123456789";

fn amount(text: &str) -> Amount {
    text.parse().unwrap()
}

/// Calls every method of the crate once, each on QIWI's documented answer.
async fn call_everything(wallet: &Wallet, spec: &Value) {
    let at = |d: time::OffsetDateTime| d;
    let (start, end) = (
        at(datetime!(2024-01-01 00:00 +03:00)),
        at(datetime!(2024-01-31 00:00 +03:00)),
    );
    macro_rules! ok {
        ($call:expr) => {
            $call
                .await
                .unwrap_or_else(|e| panic!("{}: {e:?}", stringify!($call)))
        };
    }
    ok!(wallet.profile());
    ok!(wallet.identification());
    let person: IdentificationRequest =
        serde_json::from_value(request_example(spec, "setIdentification")).unwrap();
    ok!(wallet.identify(person));
    let operation = ok!(wallet.start_downgrade());
    ok!(wallet.confirm_downgrade(&operation));
    ok!(wallet.downgrade(&operation));
    ok!(wallet.limits(&[]));
    ok!(wallet.p2p_payment_count_limit());
    ok!(wallet.restrictions());

    ok!(wallet
        .history()
        .rows(10)
        .sources([HistorySource::QwRub, HistorySource::Card])
        .between(start, end)
        .send());
    ok!(wallet.totals(start, end));
    ok!(wallet.transaction(9112223344, Some(TxnDirection::In)));
    ok!(wallet.cheque(9112223344, TxnDirection::In, GetChequeFileFormat::Pdf));
    ok!(wallet.send_cheque(9112223344, TxnDirection::In, "payer@example.com"));

    ok!(wallet.balances());
    ok!(wallet.account_offers());
    ok!(wallet.create_account("qw_wallet_usd"));
    ok!(wallet.set_default_account("qw_wallet_usd"));
    ok!(wallet.commission(99, "+79121112233", amount("10.50")));
    ok!(wallet.cross_rates());
    ok!(wallet.search_providers("мтс"));
    ok!(wallet.mobile_operators("79161112233"));
    ok!(wallet.nickname());

    let id = |n: &str| ClientId::new(n).unwrap();
    ok!(wallet
        .pay_to_wallet("+79121112233", amount("100.50"))
        .comment("Комментарий")
        .client_id(id("1"))
        .send());
    ok!(wallet
        .pay_to_card("4256 0000 0000 1233", amount("1000"))
        .client_id(id("2"))
        .send());
    ok!(wallet
        .pay_to_mobile("+7 916 111-22-33", amount("10"))
        .client_id(id("3"))
        .send());
    let name = || PersonName {
        last: "Иванов".into(),
        first: "Иван".into(),
        middle: Some("Иванович".into()),
    };
    let requisites = Requisites {
        bank_name: "ПАО АКБ \"АВАНГАРД\"".into(),
        bik: "044525201".into(),
        city: "Москва".into(),
        organisation: "ООО \"Технический Центр ДЕЛЬТА\"".into(),
        inn: "5029184920".into(),
        kpp: "502901001".into(),
        account: "40702810000000000001".into(),
        purpose: "Оплата товара по заказу №090738231".into(),
        vat: Vat::None,
        urgent: false,
        payer: name(),
    };
    ok!(wallet
        .pay_to_requisites(requisites, amount("1000"))
        .client_id(id("4"))
        .send());
    let account = BankTransfer::account(816, "40817810000000000001", "046577795", name());
    ok!(wallet
        .pay_to_bank(account, amount("1000"))
        .client_id(id("5"))
        .send());
    let card = BankTransfer::card(464, "4256000000001233").expiry(3, 2031);
    ok!(wallet
        .pay_to_bank(card, amount("1000"))
        .client_id(id("6"))
        .send());
    ok!(wallet
        .convert_to_wallet("+79121112233", amount("100"), Currency::USD)
        .client_id(id("7"))
        .send());
    ok!(wallet
        .pay_to_kz_card("4111 1111 1111 1111", amount("1000"))
        .client_id(id("8"))
        .send());

    ok!(wallet
        .buy_card_package(amount("2999"))
        .client_id(id("9"))
        .send());
    let order = ok!(wallet.order_card("qvc-cpa"));
    ok!(wallet.confirm_card_order(order.id.as_deref().unwrap()));
    ok!(wallet.cards());
    ok!(wallet.card_statement(4200000123, start, end));
    ok!(wallet.block_card(4200000123));
    ok!(wallet.unblock_card(4200000123));
    ok!(wallet.card_details(4200000123));
    ok!(wallet.rename_card(4200000123, "new card name"));

    ok!(wallet.create_p2p_keys("shop", Some("https://shop.example/p2p")));
    let bills: Vec<CheckoutBill> = ok!(wallet.bills_to_pay());
    ok!(wallet.pay_bill(&bills[0]));
    ok!(wallet.reject_bill(bills[0].id.unwrap()));

    let hook = ok!(wallet.register_hook("https://shop.example/qiwi", HookPayments::Both));
    let hook_id = hook.hook_id.clone().unwrap();
    ok!(wallet.active_hook());
    ok!(wallet.hook_key(&hook_id));
    ok!(wallet.rotate_hook_key(&hook_id));
    ok!(wallet.send_test_hook());
    ok!(wallet.delete_hook(&hook_id));
}

#[tokio::test]
async fn every_operation_reads_qiwis_documented_answer_and_sends_what_the_snapshot_shows() {
    let spec = spec("wallet");
    let server = MockServer::start().await;
    let qiwi = Documented::new(&spec);
    Mock::given(any())
        .respond_with(qiwi.clone())
        .mount(&server)
        .await;
    let wallet = Wallet::builder(WalletToken::new("token").unwrap(), WALLET)
        .base_url(server.uri())
        .build()
        .unwrap();

    call_everything(&wallet, &spec).await;

    let requests = server.received_requests().await.unwrap();
    let called: std::collections::BTreeSet<String> = requests
        .iter()
        .filter_map(|r| qiwi.operation(r).map(|o| o.id.clone()))
        .collect();
    let ids = qiwi.ids();
    let missing: Vec<&String> = ids.difference(&called).collect();
    assert!(
        missing.is_empty(),
        "operations no method calls: {missing:?}"
    );
    // The card details request names itself with a random id.
    let shown: Vec<String> = requests
        .iter()
        .map(|r| qiwi.shown(r, &["operationId"]))
        .collect();
    insta::assert_snapshot!(shown.join("\n"));
}
