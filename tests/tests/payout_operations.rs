//! Every payout operation through qiwi-payout, against a local server that answers each with
//! QIWI's documented example from `spec/payout.yaml`: each call succeeds on QIWI's own answer,
//! none is left without a method, every request carries `X-Digital-Sign`, and what each method
//! sends is an insta snapshot.

use qiwi_payout::{CardNumber, Client, PayinApiKey, Receiver, RsaSigningKey};
use qiwi_tests::documented::{Documented, spec};
use wiremock::{Mock, MockServer, matchers::any};

#[tokio::test]
async fn every_operation_reads_qiwis_documented_answer_and_sends_what_the_snapshot_shows() {
    let spec = spec("payout");
    let server = MockServer::start().await;
    let qiwi = Documented::new(&spec);
    Mock::given(any())
        .respond_with(qiwi.clone())
        .mount(&server)
        .await;
    let key = RsaSigningKey::generate().unwrap();
    let client = Client::builder("Obuc-00", PayinApiKey::new("key").unwrap(), key)
        .base_url(server.uri())
        .build()
        .unwrap();

    let to = Receiver::Card {
        pan: CardNumber::new("4000000000000002"),
        first_name: Some("Ivan".into()),
        last_name: Some("Ivanov".into()),
    };
    let payout = client
        .payout("223E", "kxnawm631754", "40.00".parse().unwrap(), to)
        .comment("some comment for payout operation")
        .callback_url("http://test.com/")
        .send()
        .await
        .unwrap();
    assert_eq!(payout.flags, ["TEST"]);
    client.payout_status("223E", "kxnawm631754").await.unwrap();
    client
        .complete_payout("223E", "kxnawm631754")
        .await
        .unwrap();
    let sbp = Receiver::Sbp {
        phone: "+79991234567".into(),
        bank_member_id: "100000000111".into(),
    };
    client
        .payout("223E", "kxnawm631755", "2.00".parse().unwrap(), sbp)
        .send()
        .await
        .unwrap();

    let requests = server.received_requests().await.unwrap();
    let called: std::collections::BTreeSet<String> = requests
        .iter()
        .filter_map(|r| qiwi.operation(r).map(|o| o.id.clone()))
        .collect();
    assert_eq!(called, qiwi.ids());
    // Every request, as the issue of payouts says: the signature of the exact body bytes
    // (empty for a read).
    for r in &requests {
        assert!(r.headers.get("x-digital-sign").is_some(), "{}", r.url);
    }
    let shown: Vec<String> = requests.iter().map(|r| qiwi.shown(r, &[])).collect();
    insta::assert_snapshot!(shown.join("\n"));
}
