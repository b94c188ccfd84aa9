//! Hostile input on every operation of the four APIs: bodies that are not JSON, JSON of the
//! wrong shape, wrong types, huge numbers, odd path values and query parameters of the wrong
//! type. Every answer is a 4xx with a
//! QIWI-shaped error body — never a 500, a dropped connection or a panic — and the sandbox
//! still answers normally afterwards.

use qiwi_sandbox::config::{
    DEFAULT_P2P_SECRET, DEFAULT_PAYIN_API_KEY, DEFAULT_PAYIN_SITE_ID, DEFAULT_WALLET_NUMBER,
    DEFAULT_WALLET_TOKEN,
};
use qiwi_sandbox::{Config, RunningSandbox};

/// A value for a path parameter: the right wallet and site where the check comes first, so the
/// body is what gets tested.
fn fill(template: &str, odd: &str) -> String {
    template
        .split('/')
        .map(|segment| match segment {
            "{wallet}" | "{personId}" => DEFAULT_WALLET_NUMBER.to_owned(),
            "{siteId}" => DEFAULT_PAYIN_SITE_ID.to_owned(),
            "{providerId}" => "99".to_owned(),
            s if s.starts_with('{') => odd.to_owned(),
            s => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// One API's operations: method, path template, `operationId`.
type Table = &'static [(&'static str, &'static str, &'static str)];

const BODIES: &[&str] = &[
    "",
    "{",
    "[]",
    "null",
    "\"text\"",
    "{\"amount\": \"x\", \"sum\": [], \"fields\": 7, \"id\": {}}",
    "{\"amount\": {\"value\": 1e400, \"currency\": \"RUB\"}}",
    "{\"sum\": {\"amount\": 99999999999999999999999999999999, \"currency\": \"643\"}}",
    "{\"cardAlias\": null, \"identificationLevel\": 5, \"operationId\": []}",
];

async fn answer(
    sandbox: &RunningSandbox,
    http: &reqwest::Client,
    (api, method, template): (&str, &str, &str),
    odd: &str,
    body: &str,
) -> Result<(u16, String), String> {
    let token = match api {
        "p2p" => DEFAULT_P2P_SECRET,
        "payin" | "payout" => DEFAULT_PAYIN_API_KEY,
        _ => DEFAULT_WALLET_TOKEN,
    };
    // Every query parameter QIWI's operations read, each of the wrong type or shape.
    let query = "rows=x&operation=Q&nextTxnId=y&nextTxnDate=z&startDate=s&endDate=e&sources%5B0%5D=Q\
                 &types%5B0%5D=%00&from=f&till=t&phoneNumber=%FF&query=&statuses=%E2%80%AE\
                 &vas-alias=1&type=Q&format=X&rows=9999999999999999999999";
    let url = format!("{}{}?{query}", sandbox.base_url(), fill(template, odd));
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let sent = http
        .request(method, url)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .map_err(|e| format!("no answer: {e}"))?;
    let status = sent.status().as_u16();
    let text = sent.text().await.map_err(|e| format!("answer cut: {e}"))?;
    Ok((status, text))
}

#[tokio::test]
async fn no_input_gets_a_500_a_dropped_connection_or_a_panic() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let http = reqwest::Client::new();
    let apis: [(&str, Table); 4] = [
        ("p2p", qiwi_sys::p2p::OPERATIONS),
        ("payin", qiwi_sys::payin::OPERATIONS),
        ("payout", qiwi_sys::payout::OPERATIONS),
        ("wallet", qiwi_sys::wallet::OPERATIONS),
    ];
    let mut failures = Vec::new();
    let mut tried = 0;
    for (api, table) in apis {
        for (method, template, id) in table {
            let bodies: &[&str] = if *method == "GET" || *method == "DELETE" {
                &[""]
            } else {
                BODIES
            };
            for odd in [
                "x",
                "0",
                "-1",
                "99999999999999999999999",
                "%00",
                "%E2%80%AE",
            ] {
                for body in bodies {
                    tried += 1;
                    let place = format!("{api}.{id} {method} {template} [{odd}] {body:?}");
                    match answer(&sandbox, &http, (api, method, template), odd, body).await {
                        Ok((status, text)) if (400..500).contains(&status) => {
                            if serde_json::from_str::<serde_json::Value>(&text).is_err() {
                                failures.push(format!("{place}: {status} not JSON: {text}"));
                            }
                        }
                        // A GET of an odd id may legitimately succeed (an empty list).
                        Ok((status, _)) if status < 300 && *method == "GET" => {}
                        Ok((status, text)) => failures.push(format!("{place}: {status} {text}")),
                        Err(e) => failures.push(format!("{place}: {e}")),
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {tried}:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let profile = http
        .get(format!(
            "{}/person-profile/v1/profile/current",
            sandbox.base_url()
        ))
        .bearer_auth(DEFAULT_WALLET_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(profile.status(), 200, "the sandbox still answers");
}
