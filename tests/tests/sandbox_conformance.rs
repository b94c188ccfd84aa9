//! The sandbox cannot drift from the specs unnoticed: every answer it gives on QIWI's API, in a
//! scenario that calls every operation it serves (successes and errors), validates against the
//! spec's JSON schema for that operation and status with an independent validator (the
//! `jsonschema` crate), and deserializes into the type qiwi-sys generated for it.

use std::collections::BTreeSet;

use qiwi_core::Amount;
use qiwi_core::p2p::BillAmount;
use qiwi_sandbox::{Answer, Config, RunningSandbox};
use qiwi_sys::{p2p, payin, payout};
use serde_json::{Value, json};
#[path = "../../xtask/src/spec_ref.rs"]
mod spec_ref;
use spec_ref::resolve;
mod fidelity;

type RoundTrip = fn(&str, Value) -> Option<Result<Value, serde_json::Error>>;

fn load(stem: &str) -> Value {
    let path = format!("{}/../spec/{stem}.yaml", env!("CARGO_MANIFEST_DIR"));
    serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// OpenAPI 3.0's `nullable: true` as JSON Schema: `null` or the schema without it.
fn nullable_to_json_schema(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for child in map.values_mut() {
                nullable_to_json_schema(child);
            }
            if map.remove("nullable") == Some(Value::Bool(true)) {
                let rest = Value::Object(std::mem::take(map));
                map.insert("anyOf".into(), json!([{"type": "null"}, rest]));
            }
        }
        Value::Array(items) => items.iter_mut().for_each(nullable_to_json_schema),
        _ => {}
    }
}

/// The operation a request matched: its path template's segments equal the request's, with
/// any value in place of a `{param}`.
fn operation<'a>(spec: &'a Value, method: &str, path: &str) -> Option<(&'a str, &'a Value)> {
    let actual: Vec<&str> = path.split('/').collect();
    for (template, item) in spec["paths"].as_object()? {
        let segments: Vec<&str> = template.split('/').collect();
        let fits = segments.len() == actual.len()
            && segments
                .iter()
                .zip(&actual)
                .all(|(t, a)| t.starts_with('{') || t == a);
        if fits && let Some(op) = item.get(method.to_lowercase()) {
            return Some((template, op));
        }
    }
    None
}

/// The fidelity gaps of `answers` against spec `stem`'s documented examples (see
/// `fidelity`), held in a reviewed snapshot (`fidelity/snapshots/fidelity_<stem>.snap`): a gap
/// fixed, or a new field in an example, fails the test until the snapshot says so, and the
/// snapshot's diff in a pull request shows what the sandbox now sends.
fn fidelity_gaps(stem: &str, answers: &[Answer]) {
    let spec = load(stem);
    let operation_id = |a: &Answer| {
        (a.status < 300)
            .then(|| operation(&spec, &a.method, &a.path))
            .flatten()
            .and_then(|(_, op)| op["operationId"].as_str().map(str::to_owned))
    };
    let (gaps, compared) = fidelity::check(&spec, answers, operation_id);
    let ops: BTreeSet<&str> = gaps.iter().filter_map(|g| g.split(' ').next()).collect();
    let mut text = format!(
        "{}/{compared} operations answer every field of QIWI's example\n",
        compared - ops.len()
    );
    for g in &gaps {
        text.push_str(g);
        text.push('\n');
    }
    insta::with_settings!({
        snapshot_path => "fidelity/snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(format!("fidelity_{stem}"), text);
    });
}

/// QIWI's documented request body of operation `id` in spec `stem`, with `changes` merged
/// in: what "the equivalent request" to a documented answer is.
fn documented_request(stem: &str, id: &str, changes: Value) -> Value {
    let spec = load(stem);
    let op = spec["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.values())
        .flat_map(|item| item.as_object().into_iter().flat_map(|m| m.values()))
        .find(|op| op["operationId"] == id)
        .unwrap_or_else(|| panic!("{id} in spec/{stem}.yaml"));
    let mut body = op["requestBody"]["content"]["application/json"]["example"].clone();
    assert!(body.is_object(), "{id} documents a request example");
    for (k, v) in changes.as_object().into_iter().flatten() {
        body[k] = v.clone();
    }
    body
}

/// The wallet's payment totals over the last day.
async fn payment_totals(client: &qiwi_sys::wallet::Client, wallet: &str) {
    let now = time::OffsetDateTime::now_utc();
    client
        .get_payment_totals()
        .wallet(wallet)
        .start_date(qiwi_core::QiwiDateTime::from(now - time::Duration::days(1)))
        .end_date(qiwi_core::QiwiDateTime::from(
            now + time::Duration::hours(1),
        ))
        .send()
        .await
        .unwrap();
}

/// Every `operationId` of an API, from the table generated from its spec.
fn every(table: &[(&'static str, &'static str, &'static str)]) -> BTreeSet<&'static str> {
    table.iter().map(|(_, _, id)| *id).collect()
}

/// Checks `answers` against `spec`; returns what failed and the operations seen.
fn check(stem: &str, round_trip: RoundTrip, answers: &[Answer]) -> (Vec<String>, BTreeSet<String>) {
    let spec = load(stem);
    let mut components = spec["components"].clone();
    nullable_to_json_schema(&mut components);
    let mut failures = Vec::new();
    let mut seen = BTreeSet::new();
    for a in answers {
        let place = format!("{} {} → {}", a.method, a.path, a.status);
        let Some((_, op)) = operation(&spec, &a.method, &a.path) else {
            failures.push(format!("{place}: no operation of spec/{stem}.yaml"));
            continue;
        };
        let id = op["operationId"].as_str().unwrap_or("?").to_owned();
        let status = a.status.to_string();
        let range = format!("{}XX", &status[..1]);
        let Some(response) = op["responses"]
            .get(&status)
            .or_else(|| op["responses"].get(&range))
        else {
            failures.push(format!("{place} ({id}): the spec documents no {status}"));
            continue;
        };
        seen.insert(format!("{id} {status}"));
        let response = resolve(&spec, response);
        let Some(schema) = response["content"]["application/json"].get("schema") else {
            // A file (a receipt PDF) is fine when the spec lists its media type.
            let media_type = a.content_type.as_deref().unwrap_or_default();
            let documented = response["content"].get(media_type).is_some();
            if !a.body.is_empty() && !documented {
                failures.push(format!(
                    "{place} ({id}): a body of {media_type:?} the spec does not list"
                ));
            }
            continue;
        };
        let body: Value = match serde_json::from_slice(&a.body) {
            Ok(b) => b,
            Err(e) => {
                failures.push(format!("{place} ({id}): not JSON: {e}"));
                continue;
            }
        };
        let root = json!({"allOf": [schema], "components": components});
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&root)
            .unwrap_or_else(|e| panic!("spec/{stem}.yaml: {e}"));
        for error in validator.iter_errors(&body) {
            failures.push(format!(
                "{place} ({id}): {} at {}",
                error,
                error.instance_path()
            ));
        }
        let component = schema["$ref"].as_str().and_then(|r| r.rsplit('/').next());
        if let Some(name) = component {
            match round_trip(name, body.clone()) {
                Some(Ok(_)) => {}
                Some(Err(e)) => failures.push(format!("{place} ({id}): not a {name}: {e}")),
                None => failures.push(format!("{place} ({id}): no generated type {name}")),
            }
        }
    }
    (failures, seen)
}

fn amount(value: &str) -> BillAmount {
    BillAmount {
        value: value.parse::<Amount>().unwrap().into(),
        currency: qiwi_core::Currency::RUB.into(),
    }
}

async fn raw(sandbox: &RunningSandbox, method: reqwest::Method, path: &str, body: &str) {
    let _ = reqwest::Client::new()
        .request(method, format!("{}{path}", sandbox.base_url()))
        .bearer_auth("sandbox-p2p-secret")
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
}

/// Every P2P operation, its successes and its documented errors.
async fn p2p_scenario(sandbox: &RunningSandbox) {
    let key = sandbox.credentials().p2p_secret.clone();
    let client = p2p::Client::builder(key)
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let expiry =
        qiwi_core::QiwiDateTime::from(time::OffsetDateTime::now_utc() + time::Duration::hours(1));
    let create = |id: &'static str| {
        let client = client.clone();
        let body: p2p::types::CreateBillRequest = body(documented_request(
            "p2p",
            "createBill",
            json!({"amount": amount("10.00"), "expirationDateTime": expiry.as_str()}),
        ));
        async move { client.create_bill().bill_id(id).body(body).send().await }
    };
    create("c-1").await.unwrap();
    create("c-1").await.unwrap();
    create("c-2").await.unwrap();
    client.get_bill().bill_id("c-1").send().await.unwrap();
    let _ = client.get_bill().bill_id("missing").send().await;
    client.reject_bill().bill_id("c-2").send().await.unwrap();
    let _ = client.reject_bill().bill_id("c-2").send().await;
    reqwest::Client::new()
        .post(format!("{}/sandbox/p2p/bills/c-1/pay", sandbox.base_url()))
        .send()
        .await
        .unwrap();
    let refund = |id: &'static str, value: &'static str| {
        let client = client.clone();
        let body = p2p::types::CreateRefundRequest {
            amount: amount(value),
        };
        async move {
            client
                .create_refund()
                .bill_id("c-1")
                .refund_id(id)
                .body(body)
                .send()
                .await
        }
    };
    refund("r-1", "4").await.unwrap();
    let _ = refund("r-2", "7").await;
    client
        .get_refund()
        .bill_id("c-1")
        .refund_id("r-1")
        .send()
        .await
        .unwrap();
    let _ = client
        .get_refund()
        .bill_id("c-1")
        .refund_id("none")
        .send()
        .await;
    raw(
        sandbox,
        reqwest::Method::PUT,
        "/partner/bill/v1/bills/bad",
        "{",
    )
    .await;
    raw(
        sandbox,
        reqwest::Method::PUT,
        "/partner/bill/v1/bills/bad*id",
        "{}",
    )
    .await;
    let _ = reqwest::get(format!("{}/partner/bill/v1/bills/c-1", sandbox.base_url())).await;
}

#[tokio::test]
async fn every_p2p_answer_fits_the_spec_and_its_generated_type() {
    let sandbox = qiwi_sandbox::start(Config {
        record_answers: true,
        ..Config::default()
    })
    .await
    .unwrap();
    p2p_scenario(&sandbox).await;
    let answers = sandbox.answers();
    assert_eq!(answers.len(), 14, "every call of the scenario was recorded");
    let (failures, seen) = check("p2p", p2p::schema_registry::round_trip, &answers);
    fidelity_gaps("p2p", &answers);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every P2P operation answered, and errors of each kind were checked too.
    let ops: BTreeSet<&str> = seen.iter().filter_map(|s| s.split(' ').next()).collect();
    assert_eq!(ops, every(p2p::OPERATIONS), "every P2P operation answered");
    assert_eq!(ops.len(), 5);
    for status in ["200", "400", "401", "404"] {
        assert!(
            seen.iter().any(|s| s.ends_with(status)),
            "{status}: {seen:?}"
        );
    }
}

#[test]
fn the_checker_catches_an_answer_that_drifted() {
    let bill = |body: Value| Answer {
        method: "GET".into(),
        path: "/partner/bill/v1/bills/x".into(),
        status: 200,
        content_type: Some("application/json".into()),
        body: serde_json::to_vec(&body).unwrap(),
    };
    let good = json!({"billId": "x", "amount": {"value": "1.00", "currency": "RUB"}, "status": {"value": "PAID"}});
    let (failures, _) = check("p2p", p2p::schema_registry::round_trip, &[bill(good)]);
    assert!(failures.is_empty(), "{failures:?}");
    let missing_status = json!({"billId": "x", "amount": {"value": "1.00", "currency": "RUB"}});
    let amount_as_object = json!({"billId": "x", "amount": {"value": {}, "currency": "RUB"}, "status": {"value": "PAID"}});
    let unknown_path = Answer {
        path: "/partner/bill/v2/x".into(),
        ..bill(json!({}))
    };
    let (failures, _) = check(
        "p2p",
        p2p::schema_registry::round_trip,
        &[bill(missing_status), bill(amount_as_object), unknown_path],
    );
    assert_eq!(
        failures.len(),
        5,
        "schema + type for each body, and the path: {failures:#?}"
    );
}

/// Every card-payment operation of the Payment Protocol, its successes and its errors.
async fn payin_scenario(sandbox: &RunningSandbox) {
    let key = sandbox.credentials().payin_api_key.clone();
    let client = payin::Client::builder(key)
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let site = qiwi_sandbox::config::DEFAULT_PAYIN_SITE_ID;
    let card = |expiry: &str, holder: &str, flags: Value| -> payin::types::CreatePaymentRequest {
        serde_json::from_value(json!({
            "amount": {"value": "5.00", "currency": "RUB"},
            "paymentMethod": {"type": "CARD", "pan": "4444443616621049", "expiryDate": expiry,
                              "cvv2": "123", "holderName": holder},
            "customer": {"account": "acc-1", "email": "payer@example.com"},
            "customFields": {"cf1": "conformance"},
            "deviceData": documented_request("payin", "createPayment", json!({}))["deviceData"],
            "flags": flags,
        }))
        .unwrap()
    };
    let pay = |id: &'static str, body: payin::types::CreatePaymentRequest| {
        let client = client.clone();
        async move {
            client
                .create_payment()
                .site_id(site)
                .payment_id(id)
                .body(body)
                .send()
                .await
        }
    };
    pay("p-1", card("12/30", "IVAN", json!([]))).await.unwrap();
    pay("p-2", card("02/30", "IVAN", json!(["SALE"])))
        .await
        .unwrap();
    pay(
        "p-3",
        card(
            "12/30",
            "unknown name",
            json!(["SALE", "BIND_PAYMENT_TOKEN"]),
        ),
    )
    .await
    .unwrap();
    let _ = pay("p-4", card("1230", "IVAN", json!([]))).await;
    client
        .get_payment()
        .site_id(site)
        .payment_id("p-1")
        .send()
        .await
        .unwrap();
    let _ = client
        .get_payment()
        .site_id(site)
        .payment_id("none")
        .send()
        .await;
    let _ = client
        .get_payment()
        .site_id("other-site")
        .payment_id("p-1")
        .send()
        .await;
    // A payment waiting for 3-D Secure, read before it is completed: its requirements.
    client
        .get_payment()
        .site_id(site)
        .payment_id("p-3")
        .send()
        .await
        .unwrap();
    let three_ds: payin::types::Complete3dsRequest =
        serde_json::from_value(json!({"threeDS": {"pares": "eJzV"}})).unwrap();
    client
        .complete_payment3_ds()
        .site_id(site)
        .payment_id("p-3")
        .body(three_ds.clone())
        .send()
        .await
        .unwrap();
    let _ = client
        .complete_payment3_ds()
        .site_id(site)
        .payment_id("p-3")
        .body(three_ds)
        .send()
        .await;
    let capture = payin::types::CaptureRequest {
        callback_url: None,
        comment: Some("all".into()),
    };
    client
        .capture_payment()
        .site_id(site)
        .payment_id("p-1")
        .capture_id("c-1")
        .body(capture.clone())
        .send()
        .await
        .unwrap();
    let _ = client
        .capture_payment()
        .site_id(site)
        .payment_id("p-1")
        .capture_id("c-2")
        .body(capture)
        .send()
        .await;
    client
        .get_capture()
        .site_id(site)
        .payment_id("p-1")
        .capture_id("c-1")
        .send()
        .await
        .unwrap();
    let refund = |id: &'static str, value: &'static str| {
        let client = client.clone();
        let body: payin::types::CreateRefundRequest =
            serde_json::from_value(json!({"amount": {"value": value, "currency": "RUB"}})).unwrap();
        async move {
            client
                .create_refund()
                .site_id(site)
                .payment_id("p-1")
                .refund_id(id)
                .body(body)
                .send()
                .await
        }
    };
    refund("r-1", "2").await.unwrap();
    let _ = refund("r-2", "9").await;
    // A refund of a hold not yet captured: QIWI's reversal (`flags: ["REVERSAL"]`).
    pay("p-5", card("12/30", "IVAN", json!([]))).await.unwrap();
    let reversal: payin::types::CreateRefundRequest =
        serde_json::from_value(json!({"amount": {"value": "1.00", "currency": "RUB"}})).unwrap();
    client
        .create_refund()
        .site_id(site)
        .payment_id("p-5")
        .refund_id("r-3")
        .body(reversal)
        .send()
        .await
        .unwrap();
    client
        .get_refund()
        .site_id(site)
        .payment_id("p-5")
        .refund_id("r-3")
        .send()
        .await
        .unwrap();
    client
        .list_refunds()
        .site_id(site)
        .payment_id("p-5")
        .send()
        .await
        .unwrap();
    // QIWI's deferred-refund scheme: a refund that waits can be declined.
    let deferred = reqwest::Client::new()
        .put(format!(
            "{}/sandbox/payin/sites/{site}/deferred-refunds",
            sandbox.base_url()
        ))
        .json(&json!({"enabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(deferred.status(), 204);
    let waiting: payin::types::CreateRefundRequest =
        serde_json::from_value(json!({"amount": {"value": "2.00", "currency": "RUB"}})).unwrap();
    let made = client
        .create_refund()
        .site_id(site)
        .payment_id("p-5")
        .refund_id("r-4")
        .body(waiting)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(made.status.unwrap().value.as_str(), "WAITING");
    let declined = client
        .decline_refund()
        .site_id(site)
        .payment_id("p-5")
        .refund_id("r-4")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(declined.status.unwrap().value.as_str(), "DECLINED");
    client
        .get_refund()
        .site_id(site)
        .payment_id("p-1")
        .refund_id("r-1")
        .send()
        .await
        .unwrap();
    client
        .list_refunds()
        .site_id(site)
        .payment_id("p-1")
        .send()
        .await
        .unwrap();
    let _ = client
        .decline_refund()
        .site_id(site)
        .payment_id("p-1")
        .refund_id("r-1")
        .send()
        .await;
    payin_extras(sandbox, &client).await;
}

fn body<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}

/// Invoices, SBP, card checks and token deletion.
async fn payin_extras(sandbox: &RunningSandbox, client: &payin::Client) {
    let site = qiwi_sandbox::config::DEFAULT_PAYIN_SITE_ID;
    let expiry =
        qiwi_core::QiwiDateTime::from(time::OffsetDateTime::now_utc() + time::Duration::hours(1));
    let invoice: payin::types::CreateInvoiceRequest = body(documented_request(
        "payin",
        "createInvoice",
        json!({
            "amount": {"value": "42.24", "currency": "RUB"}, "expirationDateTime": expiry.as_str(),
            "customer": {"email": "payer@example.com"}, "customFields": {"cf1": "x"}
        }),
    ));
    client
        .create_invoice()
        .site_id(site)
        .bill_id("i-1")
        .body(invoice)
        .send()
        .await
        .unwrap();
    // A payer's SBP payment is declined, then a card pays: the invoice lists both, as QIWI's
    // example does.
    sandbox
        .settle_invoice_by("i-1", false, qiwi_sandbox::PaySource::Sbp)
        .unwrap();
    reqwest::Client::new()
        .post(format!(
            "{}/sandbox/payin/bills/i-1/pay",
            sandbox.base_url()
        ))
        .send()
        .await
        .unwrap();
    client
        .get_invoice()
        .site_id(site)
        .bill_id("i-1")
        .send()
        .await
        .unwrap();
    client
        .list_invoice_payments()
        .site_id(site)
        .bill_id("i-1")
        .send()
        .await
        .unwrap();
    let _ = client
        .get_invoice()
        .site_id(site)
        .bill_id("none")
        .send()
        .await;

    let qr: payin::types::CreateQrCodeRequest = body(json!({
        "amount": {"value": "200.00", "currency": "RUB"}, "paymentPurpose": "order",
        "qrCode": {"type": "DYNAMIC", "ttl": 60, "image": {"mediaType": "image/png", "width": 300, "height": 300}},
        "redirectUrl": "https://example.com/return"
    }));
    client
        .create_qr_code_with_id()
        .site_id(site)
        .qr_code_uid("q-1")
        .body(qr)
        .send()
        .await
        .unwrap();
    // QIWI's documented QR requests, one per operation, as its examples answer them.
    let documented: payin::types::CreateQrCodeRequest =
        body(documented_request("payin", "createQrCodeWithId", json!({})));
    client
        .create_qr_code_with_id()
        .site_id(site)
        .qr_code_uid("q-doc")
        .body(documented)
        .send()
        .await
        .unwrap();
    let documented: payin::types::CreateQrCodeWithUidRequest =
        body(documented_request("payin", "createQrCode", json!({})));
    client
        .create_qr_code()
        .site_id(site)
        .body(documented)
        .send()
        .await
        .unwrap();
    let token_qr: payin::types::CreateQrCodeWithUidRequest = body(json!({
        "qrCodeUid": "q-2", "qrCode": {"type": "TOKEN"}, "flags": ["CREATE_TOKEN"],
        "tokenizationAccount": "acc-9"
    }));
    let token = client
        .create_qr_code()
        .site_id(site)
        .body(token_qr)
        .send()
        .await
        .unwrap()
        .into_inner()
        .token
        .unwrap()
        .value
        .unwrap();
    let pay: payin::types::PaySbpTokenRequest =
        body(json!({"tokenizationAccount": "acc-9", "token": token.expose_secret()}));
    client
        .pay_sbp_token()
        .site_id(site)
        .qr_code_uid("q-1")
        .body(pay)
        .send()
        .await
        .unwrap();
    client
        .get_qr_code()
        .site_id(site)
        .qr_code_uid("q-1")
        .send()
        .await
        .unwrap();
    let _ = client
        .get_qr_code()
        .site_id(site)
        .qr_code_uid("none")
        .send()
        .await;

    let check: payin::types::CheckCardRequest = body(json!({
        "cardData": {"pan": "4111111111111111", "expiryDate": "12/34", "holderName": "unknown name"},
        "tokenizationData": {"account": "acc-7"}
    }));
    client
        .check_card()
        .site_id(site)
        .request_uid("k-1")
        .body(check)
        .send()
        .await
        .unwrap();
    client
        .get_card_check()
        .site_id(site)
        .request_uid("k-1")
        .send()
        .await
        .unwrap();
    // QIWI's documented check (a card without 3-D Secure, tokenized), with a card number the
    // sandbox accepts (QIWI's example number fails the Luhn check).
    let documented: payin::types::CheckCardRequest = body(documented_request(
        "payin",
        "checkCard",
        json!({"cardData": {"pan": "4111111111111111", "expiryDate": "12/34", "cvv2": "123",
                            "holderName": "Super Man"}}),
    ));
    client
        .check_card()
        .site_id(site)
        .request_uid("k-2")
        .body(documented)
        .send()
        .await
        .unwrap();
    let done = client
        .complete_card_check()
        .site_id(site)
        .request_uid("k-1")
        .body(payin::types::CompleteCardCheckRequest {
            pares: "eJzV".into(),
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    client
        .get_card_check()
        .site_id(site)
        .request_uid("k-1")
        .send()
        .await
        .unwrap();
    let delete: payin::types::DeleteCardTokenRequest = body(json!({
        "customerAccountId": "acc-7",
        "token": done.created_token.unwrap().token.expose_secret()
    }));
    client
        .delete_card_token()
        .site_id(site)
        .body(delete.clone())
        .send()
        .await
        .unwrap();
    let _ = client
        .delete_card_token()
        .site_id(site)
        .body(delete)
        .send()
        .await;
}

#[tokio::test]
async fn every_payin_answer_fits_the_spec_and_its_generated_type() {
    let sandbox = qiwi_sandbox::start(Config {
        record_answers: true,
        ..Config::default()
    })
    .await
    .unwrap();
    payin_scenario(&sandbox).await;
    let answers = sandbox.answers();
    let (failures, seen) = check("payin", payin::schema_registry::round_trip, &answers);
    fidelity_gaps("payin", &answers);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let ops: BTreeSet<&str> = seen.iter().filter_map(|s| s.split(' ').next()).collect();
    assert_eq!(
        ops,
        every(payin::OPERATIONS),
        "every pay-in operation answered"
    );
    assert_eq!(ops.len(), 20);
    for status in ["200", "400", "403", "404"] {
        assert!(
            seen.iter().any(|s| s.ends_with(status)),
            "{status}: {seen:?}"
        );
    }
}

#[tokio::test]
async fn every_payout_answer_fits_the_spec_and_its_generated_type() {
    let key = qiwi_sys::signer::RsaSigningKey::generate().unwrap();
    let pem = key.public_key_pem();
    let sandbox = qiwi_sandbox::start(Config {
        record_answers: true,
        payout_public_key: Some(qiwi_sandbox::payout_public_key_from_pem(&pem).unwrap()),
        ..Config::default()
    })
    .await
    .unwrap();
    let site = qiwi_sandbox::config::DEFAULT_PAYIN_SITE_ID;
    let api_key = sandbox.credentials().payin_api_key.clone();
    let payin = payin::Client::builder(api_key.clone())
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let payment: payin::types::CreatePaymentRequest = body(json!({
        "amount": {"value": "100.00", "currency": "RUB"}, "flags": ["SALE"],
        "paymentMethod": {"type": "CARD", "pan": "4444443616621049", "expiryDate": "12/30"}
    }));
    payin
        .create_payment()
        .site_id(site)
        .payment_id("p-1")
        .body(payment)
        .send()
        .await
        .unwrap();
    let client = payout::Client::builder(api_key, qiwi_sys::signer::DigitalSign::new(key))
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let request = |value: &str| -> payout::types::CreatePayoutRequest {
        body(documented_request(
            "payout",
            "createPayout",
            json!({"amount": {"value": value, "currency": "RUB"}}),
        ))
    };
    for (id, value) in [("po-1", "40.00"), ("po-2", "200.00"), ("po-3", "500.00")] {
        client
            .create_payout()
            .site_id(site)
            .payment_id("p-1")
            .payout_id(id)
            .body(request(value))
            .send()
            .await
            .unwrap();
    }
    client
        .get_payout()
        .site_id(site)
        .payment_id("p-1")
        .payout_id("po-1")
        .send()
        .await
        .unwrap();
    client
        .complete_payout()
        .site_id(site)
        .payment_id("p-1")
        .payout_id("po-2")
        .send()
        .await
        .unwrap();
    let _ = client
        .get_payout()
        .site_id(site)
        .payment_id("p-1")
        .payout_id("none")
        .send()
        .await;
    let unsigned = payout::Client::with_transport(
        sandbox.base_url(),
        qiwi_sys::transport::Transport::new(sandbox.credentials().payin_api_key.clone().into()),
    )
    .unwrap();
    let _ = unsigned
        .create_payout()
        .site_id(site)
        .payment_id("p-1")
        .payout_id("po-4")
        .body(request("40.00"))
        .send()
        .await;
    let answers: Vec<Answer> = sandbox
        .answers()
        .into_iter()
        .filter(|a| a.path.contains("/payouts/"))
        .collect();
    let (failures, seen) = check("payout", payout::schema_registry::round_trip, &answers);
    fidelity_gaps("payout", &answers);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let ops: BTreeSet<&str> = seen.iter().filter_map(|s| s.split(' ').next()).collect();
    assert_eq!(
        ops,
        every(payout::OPERATIONS),
        "every payout operation answered"
    );
    assert_eq!(ops.len(), 3);
    for status in ["200", "400", "404"] {
        assert!(
            seen.iter().any(|s| s.ends_with(status)),
            "{status}: {seen:?}"
        );
    }
}

#[tokio::test]
async fn every_wallet_answer_fits_the_spec_and_its_generated_type() {
    use qiwi_sys::wallet;
    let sandbox = qiwi_sandbox::start(Config {
        record_answers: true,
        ..Config::default()
    })
    .await
    .unwrap();
    let me = sandbox.credentials().wallet_number.clone();
    let client = wallet::Client::builder(sandbox.credentials().wallet_token.clone())
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    client.get_profile().send().await.unwrap();
    client
        .list_accounts()
        .person_id(me.as_str())
        .send()
        .await
        .unwrap();
    let _ = client.list_accounts().person_id("79990000000").send().await;
    let pay = |id: &'static str, amount: f64| {
        let client = client.clone();
        let body: wallet::types::PaymentRequest = body(json!({
            "id": id, "sum": {"amount": amount, "currency": "643"},
            "paymentMethod": {"type": "Account", "accountId": "643"}, "comment": "Комментарий",
            "fields": {"account": format!("+{}", qiwi_sandbox::COUNTERPART_WALLET)}
        }));
        async move {
            client
                .create_payment()
                .provider_id(99)
                .body(body)
                .send()
                .await
        }
    };
    let paid = pay("1", 10.0).await.unwrap().into_inner();
    let _ = pay("2", 1_000_000.0).await;
    client
        .get_payment_history()
        .wallet(me.as_str())
        .rows(std::num::NonZeroU32::new(10).unwrap())
        .send()
        .await
        .unwrap();
    let txn: i64 = paid.transaction.unwrap().id.unwrap().parse().unwrap();
    client
        .get_transaction()
        .transaction_id(txn)
        .send()
        .await
        .unwrap();
    let _ = client.get_transaction().transaction_id(1).send().await;
    let hook = client
        .register_webhook()
        .hook_type(1)
        .param("http://127.0.0.1:9/hook")
        .txn_type(2)
        .send()
        .await
        .unwrap()
        .into_inner();
    let _ = client
        .register_webhook()
        .hook_type(1)
        .param("http://127.0.0.1:9/hook")
        .txn_type(2)
        .send()
        .await;
    let id = hook.hook_id.unwrap();
    client
        .get_webhook_key()
        .hook_id(id.as_str())
        .send()
        .await
        .unwrap();
    client
        .rotate_webhook_key()
        .hook_id(id.as_str())
        .send()
        .await
        .unwrap();
    client.get_active_webhook().send().await.unwrap();
    client.send_test_webhook().send().await.unwrap();
    client
        .delete_webhook()
        .hook_id(id.as_str())
        .send()
        .await
        .unwrap();
    let _ = client.get_active_webhook().send().await;

    payment_totals(&client, &me).await;
    client.get_cross_rates().send().await.unwrap();
    let quote: wallet::types::CommissionRequest = body(json!({
        "account": "4256000000000003", "paymentMethod": {"type": "Account", "accountId": "643"},
        "purchaseTotals": {"total": {"amount": 100, "currency": "643"}}
    }));
    client
        .get_online_commission()
        .provider_id(1963)
        .body(quote)
        .send()
        .await
        .unwrap();
    client
        .get_nickname()
        .wallet(me.as_str())
        .send()
        .await
        .unwrap();
    let keys: wallet::types::P2pKeysRequest = body(json!({"keysPairName": "shop"}));
    client.create_p2p_keys().body(keys).send().await.unwrap();
    client
        .get_identification()
        .wallet(me.as_str())
        .send()
        .await
        .unwrap();
    let identity: wallet::types::IdentificationRequest = body(json!({
        "birthDate": "1996-03-18", "firstName": "Ivan", "middleName": "I", "lastName": "Ivanov",
        "passport": "1122333000"
    }));
    client
        .set_identification()
        .wallet(me.as_str())
        .body(identity)
        .send()
        .await
        .unwrap();
    client
        .get_identification()
        .wallet(me.as_str())
        .send()
        .await
        .unwrap();
    let to_verified: wallet::types::IdentificationDowngradeRequest =
        body(json!({"identificationLevel": "VERIFIED"}));
    let _ = client
        .create_identification_downgrade()
        .wallet(me.as_str())
        .body(to_verified.clone())
        .send()
        .await;
    let full = format!("/sandbox/wallet/{me}/full-identification");
    raw(&sandbox, reqwest::Method::POST, &full, "").await;
    let downgrade = client
        .create_identification_downgrade()
        .wallet(me.as_str())
        .body(to_verified)
        .send()
        .await
        .unwrap()
        .into_inner()
        .downgrade_operation_id;
    client
        .confirm_identification_downgrade()
        .wallet(me.as_str())
        .downgrade_operation_id(downgrade.as_str())
        .body(wallet::types::EmptyObject(Default::default()))
        .send()
        .await
        .unwrap();
    client
        .get_identification_downgrade()
        .wallet(me.as_str())
        .downgrade_operation_id(downgrade.as_str())
        .send()
        .await
        .unwrap();
    client
        .get_limits()
        .person_id(me.as_str())
        .types(vec![
            wallet::types::LimitType::Turnover,
            wallet::types::LimitType::Refill,
        ])
        .send()
        .await
        .unwrap();
    client
        .get_p2p_payment_count_limit()
        .person_id(me.as_str())
        .send()
        .await
        .unwrap();
    client
        .get_restrictions()
        .person_id(me.as_str())
        .send()
        .await
        .unwrap();
    // A restricted wallet, as QIWI lists its restrictions.
    let restricted = reqwest::Client::new()
        .put(format!(
            "{}/sandbox/wallet/{me}/restrictions",
            sandbox.base_url()
        ))
        .json(&json!([{"restrictionCode": "OUTGOING_PAYMENTS",
                       "restrictionDescription": "Исходящие платежи запрещены"}]))
        .send()
        .await
        .unwrap();
    assert_eq!(restricted.status(), 204);
    let listed = client
        .get_restrictions()
        .person_id(me.as_str())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.0.len(), 1, "{listed:?}");
    client
        .list_account_offers()
        .person_id(me.as_str())
        .send()
        .await
        .unwrap();
    let open: wallet::types::CreateAccountRequest = body(json!({"alias": "qw_wallet_eur"}));
    client
        .create_account()
        .person_id(me.as_str())
        .body(open.clone())
        .send()
        .await
        .unwrap();
    let _ = client
        .create_account()
        .person_id(me.as_str())
        .body(open)
        .send()
        .await;
    let default: wallet::types::SetDefaultAccountRequest = body(json!({"defaultAccount": true}));
    client
        .set_default_account()
        .person_id(me.as_str())
        .account_alias("qw_wallet_eur")
        .body(default)
        .send()
        .await
        .unwrap();
    client
        .list_accounts()
        .person_id(me.as_str())
        .send()
        .await
        .unwrap();
    // A P2P bill issued to this wallet's phone, found, one paid and one rejected from it.
    let p2p = p2p::Client::builder(sandbox.credentials().p2p_secret.clone())
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let expiry =
        qiwi_core::QiwiDateTime::from(time::OffsetDateTime::now_utc() + time::Duration::hours(1));
    for id in ["w-1", "w-2"] {
        let bill: p2p::types::CreateBillRequest = body(json!({
            "amount": {"value": "5.00", "currency": "RUB"}, "expirationDateTime": expiry.as_str(),
            "customer": {"phone": me.as_str()}, "comment": "Спасибо"
        }));
        p2p.create_bill()
            .bill_id(id)
            .body(bill)
            .send()
            .await
            .unwrap();
    }
    let found = client
        .search_bills()
        .statuses("READY_FOR_PAY")
        .send()
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<i64> = found.bills.iter().filter_map(|b| b.id).collect();
    let pay: wallet::types::PayBillRequest =
        body(json!({"invoice_uid": ids[0].to_string(), "currency": "643"}));
    client.pay_bill().body(pay).send().await.unwrap();
    let reject: wallet::types::RejectBillRequest = body(json!({"id": ids[1]}));
    client
        .reject_bill()
        .body(reject.clone())
        .send()
        .await
        .unwrap();
    let _ = client.reject_bill().body(reject).send().await;

    client
        .get_cheque_file()
        .transaction_id(txn)
        .type_(wallet::types::TxnDirection::Out)
        .send()
        .await
        .unwrap();
    let email: wallet::types::ChequeSendRequest = body(json!({"email": "payer@example.com"}));
    client
        .send_cheque()
        .transaction_id(txn)
        .body(email.clone())
        .send()
        .await
        .unwrap();
    let _ = client
        .send_cheque()
        .transaction_id(1)
        .body(email)
        .send()
        .await;

    client
        .resolve_mobile_provider()
        .phone_number("79031234567")
        .send()
        .await
        .unwrap();
    let _ = client
        .resolve_mobile_provider()
        .phone_number("1")
        .send()
        .await;
    client
        .search_providers()
        .query("mobile")
        .send()
        .await
        .unwrap();
    let top_up: wallet::types::PaymentRequest = body(json!({
        "id": "7001", "sum": {"amount": 100, "currency": "643"},
        "paymentMethod": {"type": "Account", "accountId": "643"},
        "fields": {"account": "9031234567"}
    }));
    client
        .create_payment()
        .provider_id(2)
        .body(top_up)
        .send()
        .await
        .unwrap();

    let card: wallet::types::CardProviderRequest = body(json!({"account": "4256 0000 0000 1233"}));
    client.find_card_provider().body(card).send().await.unwrap();
    let not_a_card: wallet::types::CardProviderRequest = body(json!({"account": "1234"}));
    let _ = client.find_card_provider().body(not_a_card).send().await;
    let to_card: wallet::types::PaymentRequest = body(json!({
        "id": "7002", "sum": {"amount": 100, "currency": "643"},
        "paymentMethod": {"type": "Account", "accountId": "643"},
        "fields": {"account": "4256000000001233"}
    }));
    client
        .create_payment()
        .provider_id(1963)
        .body(to_card)
        .send()
        .await
        .unwrap();
    let convert: wallet::types::PaymentRequest = body(json!({
        "id": "7003", "sum": {"amount": 1000, "currency": "398"},
        "paymentMethod": {"type": "Account", "accountId": "643"},
        "fields": {"account": format!("+{me}")}
    }));
    client
        .create_payment()
        .provider_id(1099)
        .body(convert)
        .send()
        .await
        .unwrap();
    let lookup: wallet::types::KzCardLookupRequest = body(json!({
        "cardNumber": "4400430000000007", "version": "2", "transferSum": "100", "src": "sinap"
    }));
    let found = client
        .lookup_kz_card()
        .body(lookup)
        .send()
        .await
        .unwrap()
        .into_inner();
    let element = |name: &str| {
        found
            .elements
            .iter()
            .find(|e| e.name.as_deref() == Some(name))
            .and_then(|e| e.value.clone())
            .unwrap()
    };
    let kz: wallet::types::PaymentRequest = body(json!({
        "id": "7004", "sum": {"amount": 100, "currency": "398"},
        "paymentMethod": {"type": "Account", "accountId": "398"}, "comment": "",
        "fields": {"cardNumber": "4400430000000007", "version": "2", "transferSum": "100",
            "accept": "1", "account": element("account"), "ev_account1": element("ev_account1")}
    }));
    client.pay_kz_card().body(kz).send().await.unwrap();

    let order = |alias: &str| {
        let body: wallet::types::CardOrderRequest = body(json!({"cardAlias": alias}));
        client
            .create_card_order()
            .wallet(me.as_str())
            .body(body)
            .send()
    };
    let _ = order("qvc-cpa").await;
    let package: wallet::types::PaymentRequest = body(json!({
        "id": "7005", "sum": {"amount": 2999, "currency": "643"},
        "paymentMethod": {"type": "Account", "accountId": "643"},
        "fields": {"account": me, "vas_alias": "qvc-master"}
    }));
    client
        .create_payment()
        .provider_id(28004)
        .body(package)
        .send()
        .await
        .unwrap();
    let free = order("qvc-cpa").await.unwrap().into_inner().id.unwrap();
    let card = client
        .submit_card_order()
        .wallet(me.as_str())
        .order_id(free)
        .send()
        .await
        .unwrap()
        .into_inner()
        .card_id
        .unwrap();
    let paid = order("qvc-cpa-debit")
        .await
        .unwrap()
        .into_inner()
        .id
        .unwrap();
    client
        .submit_card_order()
        .wallet(me.as_str())
        .order_id(paid.as_str())
        .send()
        .await
        .unwrap();
    let for_order: wallet::types::PaymentRequest = body(json!({
        "id": "7006", "sum": {"amount": 199, "currency": "643"},
        "paymentMethod": {"type": "Account", "accountId": "643"},
        "fields": {"account": me, "order_id": paid}
    }));
    client
        .create_payment()
        .provider_id(32064)
        .body(for_order)
        .send()
        .await
        .unwrap();
    client
        .list_cards()
        .vas_alias("qvc-master")
        .send()
        .await
        .unwrap();
    let at = |t: &str| qiwi_core::QiwiDateTime::parse(t).unwrap();
    client
        .get_card_statement()
        .wallet(me.as_str())
        .card_id(card.as_str())
        .from(at("2026-01-01T00:00:00+03:00"))
        .till(at("2026-02-01T00:00:00+03:00"))
        .send()
        .await
        .unwrap();
    client
        .block_card()
        .wallet(me.as_str())
        .card_id(card.as_str())
        .send()
        .await
        .unwrap();
    client
        .unblock_card()
        .wallet(me.as_str())
        .card_id(card.as_str())
        .send()
        .await
        .unwrap();
    let reveal: wallet::types::CardDetailsRequest =
        body(json!({"operationId": "9d3a1c1e-3e0b-4f7e-9f5b-7b5a2f7e1c3d"}));
    client
        .get_card_details()
        .card_id(card.as_str())
        .body(reveal)
        .send()
        .await
        .unwrap();
    let name: wallet::types::CardAliasRequest = body(json!({"alias": "Travel"}));
    client
        .rename_card()
        .card_id(card.as_str())
        .body(name)
        .send()
        .await
        .unwrap();
    let _ = client
        .get_card_details()
        .card_id("1")
        .body(body::<wallet::types::CardDetailsRequest>(
            json!({"operationId": "x"}),
        ))
        .send()
        .await;

    // The profile again, now that the wallet has a first transaction to name.
    client.get_profile().send().await.unwrap();
    // Money in (a P2P bill paid to the wallet), and the totals again: both directions.
    let incoming: p2p::types::CreateBillRequest = body(json!({
        "amount": {"value": "7.00", "currency": "RUB"}, "expirationDateTime": expiry.as_str()
    }));
    p2p.create_bill()
        .bill_id("w-in")
        .body(incoming)
        .send()
        .await
        .unwrap();
    sandbox.pay_bill("w-in").unwrap();
    payment_totals(&client, &me).await;

    let answers: Vec<Answer> = sandbox
        .answers()
        .into_iter()
        .filter(|a| !a.path.starts_with("/partner/"))
        .collect();
    let (failures, seen) = check("wallet", wallet::schema_registry::round_trip, &answers);
    fidelity_gaps("wallet", &answers);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let ops: BTreeSet<&str> = seen.iter().filter_map(|s| s.split(' ').next()).collect();
    assert_eq!(
        ops,
        every(wallet::OPERATIONS),
        "every wallet operation answered"
    );
    assert_eq!(
        ops.len(),
        45,
        "5 + 20 + 3 + 45: all 73 of QIWI's operations"
    );
    for status in ["200", "201", "400", "403", "404", "422"] {
        assert!(
            seen.iter().any(|s| s.ends_with(status)),
            "{status}: {seen:?}"
        );
    }
}
