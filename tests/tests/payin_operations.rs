//! Every operation of QIWI's Payment Protocol (pay-in) through qiwi-payin, against a local
//! server that answers each with QIWI's documented example from `spec/payin.yaml`
//! (`qiwi_tests::documented`): each call succeeds on QIWI's own answer, no operation of the
//! spec is left without a qiwi-payin method, and what each method sends (method, path, body) is
//! an insta snapshot reviewed in pull requests. Card numbers and CVVs appear in the snapshot
//! only as the test cards QIWI documents.

use std::time::Duration;

use qiwi_payin::{
    Amount, Card, CardNumber, CardSecurityCode, Client, InvoiceMethod, PayWith, PayinApiKey,
    PaymentToken, ThreeDs,
};
use qiwi_tests::documented::{Documented, spec};
use wiremock::{Mock, MockServer, matchers::any};

/// Operations qiwi-payin reaches another way.
const NOT_CALLED: &[(&str, &str)] = &[(
    "createQrCode",
    "the same QR code with its id in the body (POST); qiwi-payin puts the id in the path (PUT, createQrCodeWithId)",
)];

fn amount(text: &str) -> Amount {
    text.parse().unwrap()
}

fn card() -> Card {
    Card::new(CardNumber::new("4444443616621049"), 12, 2030)
        .cvv(CardSecurityCode::new("123"))
        .holder("CARDHOLDER NAME")
}

/// Calls every method of the crate once, each on QIWI's documented answer.
async fn call_everything(client: &Client) {
    macro_rules! ok {
        ($call:expr) => {
            $call
                .await
                .unwrap_or_else(|e| panic!("{}: {e:?}", stringify!($call)))
        };
    }
    let bill = ok!(client
        .create_invoice("893794793973", amount("100.00"))
        .expires_in(Duration::from_secs(3600))
        .comment("Text comment")
        .custom_field("cf1", "Some data")
        .callback_url("https://example.com/callbacks")
        .methods([InvoiceMethod::Card, InvoiceMethod::Sbp])
        .customer_email("customer@example.com")
        .receiver_data(
            serde_json::json!({"account": "40702810000000000001"})
                .as_object()
                .unwrap()
                .clone()
        )
        .one_step()
        .send());
    assert!(bill.pay_url.is_some());
    ok!(client.invoice("893794793973"));
    ok!(client.invoice_payments("893794793973"));

    let payment = ok!(client
        .pay("223E", amount("200.00"), PayWith::Card(card()))
        .callback_url("https://example.com/callbacks")
        .comment("Example payment")
        .customer_account("customer-1")
        .customer_phone("+79991234567")
        .bind_token()
        .send());
    // QIWI's documented answer waits for 3-D Secure.
    assert!(ThreeDs::of(&payment).is_some());
    ok!(client.payment("223E"));
    ok!(client.complete_3ds("223E", "eJyrrgUAAXUA+Q=="));
    let token = PayWith::Token {
        token: PaymentToken::new("c5ba4a05-21c9-4a36-af7a-b709b4caa4d6"),
        account: "customer-1".into(),
    };
    ok!(client.pay("223F", amount("10.50"), token).one_step().send());

    ok!(client.capture("223E", "bxwd8096", Some("https://example.com/callbacks")));
    ok!(client.capture_status("223E", "bxwd8096"));
    ok!(client.refund("223E", "tcwv3132", amount("2.34"), None));
    ok!(client.refund_status("223E", "tcwv3132"));
    ok!(client.refunds("223E"));
    ok!(client.decline_refund("223E", "tcwv3132"));

    ok!(client
        .create_qr("Test12")
        .amount(amount("1.00"))
        .ttl_minutes(60)
        .image(300, 300)
        .purpose("order 42")
        .send());
    ok!(client.qr("Test12"));
    let sbp_token = PaymentToken::new("c5ba4a05-21c9-4a36-af7a-b709b4caa4d6");
    ok!(client.pay_with_sbp_token("Test12", "customer123", sbp_token));

    ok!(client.check_card(
        "acd7bf20-22e2-4cbf-a218-38d90e9f29b9",
        &card(),
        Some("cat_girl")
    ));
    ok!(client.card_check("acd7bf20-22e2-4cbf-a218-38d90e9f29b9"));
    ok!(client.complete_card_check("acd7bf20-22e2-4cbf-a218-38d90e9f29b9", "eJyrrgUAAXUA+Q=="));
    let card_token = PaymentToken::new("1a77343a-dd8a-11eb-ba80-0242ac130004");
    ok!(client.delete_card_token("customer123", card_token));
}

#[tokio::test]
async fn every_operation_reads_qiwis_documented_answer_and_sends_what_the_snapshot_shows() {
    let spec = spec("payin");
    let server = MockServer::start().await;
    let qiwi = Documented::new(&spec);
    Mock::given(any())
        .respond_with(qiwi.clone())
        .mount(&server)
        .await;
    let client = Client::builder("test-01", PayinApiKey::new("key").unwrap())
        .base_url(server.uri())
        .build()
        .unwrap();

    call_everything(&client).await;

    let requests = server.received_requests().await.unwrap();
    let called: std::collections::BTreeSet<String> = requests
        .iter()
        .filter_map(|r| qiwi.operation(r).map(|o| o.id.clone()))
        .collect();
    let missing: Vec<String> = qiwi
        .ids()
        .difference(&called)
        .filter(|id| !NOT_CALLED.iter().any(|(n, _)| n == id))
        .cloned()
        .collect();
    assert!(
        missing.is_empty(),
        "operations no method calls: {missing:?}"
    );
    // The invoice's expiry is an hour from now.
    let shown: Vec<String> = requests
        .iter()
        .map(|r| qiwi.shown(r, &["expirationDateTime"]))
        .collect();
    insta::assert_snapshot!(shown.join("\n"));
}
