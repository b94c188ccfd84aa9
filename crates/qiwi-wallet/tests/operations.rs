//! Every operation of QIWI's Wallet API through qiwi-wallet, against a local server that answers
//! each with QIWI's documented example from `spec/wallet.yaml`: each call succeeds on QIWI's own
//! answer, no operation of the spec is left without a qiwi-wallet method, and what each method
//! sends (method, path, query string, `Accept`, body) is an insta snapshot reviewed in pull
//! requests — including QIWI's indexed `sources[0]=…` history query.

#[path = "../../../xtask/src/spec_ref.rs"]
mod spec_ref;

use std::collections::BTreeSet;

use qiwi_wallet::types::{CheckoutBill, IdentificationRequest};
use qiwi_wallet::{
    Amount, BankTransfer, ClientId, Currency, FormField, GetChequeFileFormat, HistorySource,
    HookPayments, PaymentForm, PersonName, Requisites, TxnDirection, Vat, Wallet, WalletToken,
};
use serde_json::Value;
use spec_ref::resolve;
use time::macros::datetime;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers::any};

const WALLET: &str = "79123456789";

/// One operation of the spec: how to recognise its requests and what QIWI answers.
struct Operation {
    id: String,
    method: String,
    /// Path segments; `None` for a template parameter.
    segments: Vec<Option<String>>,
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

impl Operation {
    fn matches(&self, request: &Request) -> bool {
        let segments: Vec<&str> = request.url.path().split('/').skip(1).collect();
        request.method.as_str().eq_ignore_ascii_case(&self.method)
            && segments.len() == self.segments.len()
            && self
                .segments
                .iter()
                .zip(&segments)
                .all(|(want, got)| want.as_deref().is_none_or(|w| w == *got))
    }

    /// Literal segments: `/sinap/api/terms/27292/payments` wins over a template.
    fn literals(&self) -> usize {
        self.segments.iter().filter(|s| s.is_some()).count()
    }
}

fn spec() -> Value {
    let path = format!("{}/../../spec/wallet.yaml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_yaml::from_str(&text).unwrap()
}

fn operations(spec: &Value) -> Vec<Operation> {
    let mut all = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let responses = op["responses"].as_object().unwrap();
            let (status, response) = responses
                .iter()
                .find(|(code, _)| code.starts_with('2'))
                .expect("a success answer");
            let response = resolve(spec, response);
            let (content_type, body) = match response.get("content").and_then(Value::as_object) {
                Some(content) => {
                    let (kind, media) = content.iter().next().unwrap();
                    let example = media.get("example").cloned().or_else(|| {
                        let examples = media.get("examples")?.as_object()?;
                        examples.values().next()?.get("value").cloned()
                    });
                    match example {
                        Some(example) => (kind.clone(), serde_json::to_vec(&example).unwrap()),
                        // A file: QIWI's documents show none.
                        None => (kind.clone(), b"%PDF-1.4 documented file".to_vec()),
                    }
                }
                None => ("application/json".into(), Vec::new()),
            };
            all.push(Operation {
                id: id.to_owned(),
                method: method.clone(),
                segments: path
                    .split('/')
                    .skip(1)
                    .map(|s| (!s.starts_with('{')).then(|| s.to_owned()))
                    .collect(),
                status: status.parse().unwrap(),
                content_type,
                body,
            });
        }
    }
    all.sort_by_key(|o| std::cmp::Reverse(o.literals()));
    all
}

struct Qiwi(Vec<Operation>);

impl Qiwi {
    fn operation(&self, request: &Request) -> Option<&Operation> {
        self.0.iter().find(|o| o.matches(request))
    }
}

impl Respond for Qiwi {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        match self.operation(request) {
            Some(op) => {
                ResponseTemplate::new(op.status).set_body_raw(op.body.clone(), &op.content_type)
            }
            None => ResponseTemplate::new(404),
        }
    }
}

fn amount(text: &str) -> Amount {
    text.parse().unwrap()
}

/// The documented request body of operation `id`.
fn request_example(spec: &Value, id: &str) -> Value {
    let op = spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .find(|op| op.get("operationId").and_then(Value::as_str) == Some(id))
        .unwrap_or_else(|| panic!("no operation {id}"));
    op["requestBody"]["content"]["application/json"]["example"].clone()
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

/// A request as the snapshot shows it: the operation, the request line, QIWI's `Accept`, and
/// the body (random ids QIWI asks for replaced by their shape).
fn shown(qiwi: &Qiwi, request: &Request) -> String {
    let op = qiwi.operation(request).map_or("(no operation)", |o| &o.id);
    let target = match request.url.query() {
        Some(q) => format!("{}?{q}", request.url.path()),
        None => request.url.path().to_owned(),
    };
    let accept = request
        .headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    let mut line = format!("{op}: {} {target}\n  accept: {accept}", request.method);
    if !request.body.is_empty() {
        let mut body: Value = serde_json::from_slice(&request.body).expect("a JSON body");
        if op == "getCardDetails" {
            body["operationId"] = "<random UUID>".into();
        }
        line.push_str(&format!("\n  body: {body}"));
    }
    line
}

#[tokio::test]
async fn every_operation_reads_qiwis_documented_answer_and_sends_what_the_snapshot_shows() {
    let spec = spec();
    let server = MockServer::start().await;
    let all = operations(&spec);
    let ids: BTreeSet<String> = all.iter().map(|o| o.id.clone()).collect();
    Mock::given(any())
        .respond_with(Qiwi(operations(&spec)))
        .mount(&server)
        .await;
    let wallet = Wallet::builder(WalletToken::new("token").unwrap(), WALLET)
        .base_url(server.uri())
        .build()
        .unwrap();

    call_everything(&wallet, &spec).await;

    let qiwi = Qiwi(all);
    let requests = server.received_requests().await.unwrap();
    let called: BTreeSet<String> = requests
        .iter()
        .filter_map(|r| qiwi.operation(r).map(|o| o.id.clone()))
        .collect();
    let missing: Vec<&String> = ids.difference(&called).collect();
    assert!(
        missing.is_empty(),
        "operations no method calls: {missing:?}"
    );
    let shown: Vec<String> = requests.iter().map(|r| shown(&qiwi, r)).collect();
    insta::assert_snapshot!(shown.join("\n"));
}

#[test]
fn form_links_are_exactly_what_qiwi_documents() {
    let links = [
        PaymentForm::new(99)
            .account("+79991112233")
            .amount(amount("10.50"))
            .comment("за обед & кофе")
            .blocked(FormField::Sum)
            .blocked(FormField::Account)
            .build(),
        PaymentForm::new(99).amount(amount("0.05")).build(),
        PaymentForm::new(31652)
            .account("2200000000000004")
            .amount(amount("1000"))
            .build(),
    ];
    let links: Vec<String> = links.into_iter().map(Result::unwrap).collect();
    insta::assert_snapshot!(links.join("\n"));
}
