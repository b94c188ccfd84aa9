//! Every link the builders produce, as reviewed snapshots: the no-API form link (QIWI's node
//! SDK's own test link, and one with every parameter) and `payUrl` with its additions.

use qiwi_p2p::{FormLink, P2pPublicKey, PaySource, pay_url_with};
use time::macros::datetime;

/// QIWI's documented public key (p2p-bills-api.md, the node SDK's test).
const PUBLIC: &str = "48e7qUxn9T7RyYE1MVZswX1FRSbE6iyCj2gCRwwF3Dnh5XrasNTx3BGPiMsyXQFNKQhvukniQG8RTVhYm3iPwsFbm4kMwKchdNzTgGG4jqfixkAqE31bUjMHrmjJHfvb1VHoC8qx5RNoHV8uASqkJfWv2L9m2bRi2q2cKPq3gBTi4ST2aNCK3vRTtJ";

/// QIWI's documented `payUrl` (p2p-bills-api.md §2.1).
const PAY_URL: &str =
    "https://oplata.qiwi.com/form/?invoice_uid=aa0fa2bb-5452-47ca-9190-cd9c1a73718f";

#[test]
fn the_node_sdks_form_link() {
    let link = FormLink::new(P2pPublicKey::new(PUBLIC))
        .amount("200.34".parse().unwrap())
        .bill_id("893794793973")
        .success_url("http://test.ru/")
        .custom_field("apiClient", "node_sdk")
        .custom_field("apiClientVersion", "3.1.2")
        .build()
        .unwrap();
    // The node SDK's test, with its key, id and version.
    assert_eq!(
        link,
        format!(
            "https://oplata.qiwi.com/create?publicKey={PUBLIC}&amount=200.34&billId=893794793973\
             &successUrl=http%3A%2F%2Ftest.ru%2F&customFields[apiClient]=node_sdk\
             &customFields[apiClientVersion]=3.1.2"
        )
    );
    insta::assert_snapshot!(link);
}

#[test]
fn a_form_link_with_every_parameter() {
    let now = datetime!(2026-11-30 12:00 UTC);
    // 22:30 UTC is 01:30 the next day in Moscow: `lifetime` is written in Moscow time.
    let link = FormLink::new(P2pPublicKey::new(PUBLIC))
        .amount("1499.90".parse().unwrap())
        .bill_id("order-42_a")
        .phone("79123456789")
        .email("payer+shop@example.com")
        .account("client 17/a")
        .comment("Заказ №42 & доставка")
        .lifetime(datetime!(2026-12-01 22:30 UTC))
        .success_url("https://shop.example/thanks?order=42&lang=ru")
        .pay_sources([PaySource::Wallet, PaySource::Card])
        .custom_field("themeCode", "Yvan-YKaSh")
        .custom_field("order[id]", "42 & 43")
        .build_at(now)
        .unwrap();
    insta::assert_snapshot!(link);
}

#[test]
fn a_form_link_on_the_sandbox() {
    let link = FormLink::new(P2pPublicKey::new("sandbox-public"))
        .form_url("http://127.0.0.1:8080/create")
        .amount("10".parse().unwrap())
        .build()
        .unwrap();
    insta::assert_snapshot!(link);
}

#[test]
fn pay_urls_with_success_url_and_pay_source() {
    let links = [
        pay_url_with(PAY_URL, None, None),
        pay_url_with(PAY_URL, Some("https://shop.example/thanks?order=42"), None),
        pay_url_with(PAY_URL, None, Some(PaySource::Wallet)),
        pay_url_with(PAY_URL, Some("google.com"), Some(PaySource::Mobile)),
        pay_url_with("https://oplata.qiwi.com/form", None, Some(PaySource::Card)),
    ];
    insta::assert_snapshot!(links.join("\n"));
}
