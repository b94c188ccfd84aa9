//! Payment Protocol notifications of every type — PAYMENT, CAPTURE, REFUND, CHECK_CARD, TOKEN
//! and PAYOUT — sent by the sandbox for operations made through qiwi-payin and qiwi-payout,
//! received and verified by a qiwi-hooks receiver with the site's notification key.

use std::collections::BTreeSet;
use std::time::Duration;

use qiwi_hooks::{Event, Keys, Notification, Receiver};
use qiwi_payin::{Card, CardNumber, CardSecurityCode, PayWith};
use qiwi_payout::RsaSigningKey;
use tokio::sync::mpsc;

#[tokio::test]
async fn every_notification_type_is_received_and_verified() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/payin", listener.local_addr().unwrap());
    let key = RsaSigningKey::generate().unwrap();
    let sandbox = qiwi_sandbox::start(qiwi_sandbox::Config {
        notify_payin: Some(url),
        payout_public_key: Some(
            qiwi_sandbox::payout_public_key_from_pem(&key.public_key_pem()).unwrap(),
        ),
        ..qiwi_sandbox::Config::default()
    })
    .await
    .unwrap();
    let c = sandbox.credentials().clone();
    let (tx, mut events) = mpsc::unbounded_channel::<Event>();
    let receiver = Receiver::new(Keys {
        payin: Some(c.payin_notification_key.clone()),
        ..Keys::default()
    })
    .router(move |event: Event| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(event);
            Ok::<_, &str>(())
        }
    });
    tokio::spawn(qiwi_hooks::serve(listener, receiver));

    let payin = qiwi_payin::Client::builder(&c.payin_site_id, c.payin_api_key.clone())
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let card = || {
        Card::new(CardNumber::new("4256000000000003"), 12, 2030).cvv(CardSecurityCode::new("123"))
    };
    let amount = |s: &str| s.parse::<qiwi_payin::Amount>().unwrap();
    payin
        .pay("n-pay", amount("10.00"), PayWith::Card(card()))
        .send()
        .await
        .unwrap();
    payin.capture("n-pay", "n-capture", None).await.unwrap();
    payin
        .refund("n-pay", "n-refund", amount("1.00"), None)
        .await
        .unwrap();
    payin.check_card("n-check", &card(), None).await.unwrap();
    payin
        .create_qr("n-token-qr")
        .amount(amount("200"))
        .create_token("customer-1", None)
        .send()
        .await
        .unwrap();
    let payout = qiwi_payout::Client::builder(&c.payin_site_id, c.payin_api_key.clone(), key)
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let to = qiwi_payout::Receiver::Card {
        pan: CardNumber::new("4000000000000002"),
        first_name: None,
        last_name: None,
    };
    payout
        .payout("n-pay", "n-payout", amount("4.00"), to)
        .send()
        .await
        .unwrap();

    let expected: BTreeSet<&str> = [
        "PAYMENT",
        "CAPTURE",
        "REFUND",
        "CHECK_CARD",
        "TOKEN",
        "PAYOUT",
    ]
    .into();
    let mut seen = BTreeSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !expected.iter().all(|t| seen.contains(*t)) {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .unwrap_or_else(|_| panic!("verified only {seen:?}"))
            .expect("the receiver runs");
        let Notification::Payin(n) = event.notification() else {
            panic!("a Payment Protocol notification: {event:?}")
        };
        seen.insert(n.type_name().to_owned());
    }
    assert!(
        seen.iter().all(|t| expected.contains(t.as_str())),
        "{seen:?}"
    );
}
