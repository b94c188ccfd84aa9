//! qiwi-sys against a local HTTP server (wiremock on 127.0.0.1): what each generated client
//! puts on the wire and how the shared transport behaves.

mod common;

use std::time::Duration;

use futures_util::TryStreamExt as _;
use qiwi_core::p2p::BillStatusValue;
use qiwi_core::payin::OperationStatus;
use qiwi_core::secret::ApiToken;
use qiwi_core::secret::PayinApiKey;
use qiwi_sys::error::{ApiError, Classify as _};
use qiwi_sys::signer::RsaSigningKey;
use qiwi_sys::transport::{RetryPolicy, Transport, USER_AGENT};
use qiwi_sys::{p2p, payin, payout, wallet};
use serde_json::json;
use wiremock::matchers::{body_json, header, header_exists, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "test-token-123";

fn transport() -> Transport {
    Transport::new(ApiToken::new(TOKEN).unwrap()).with_retry(
        RetryPolicy::default()
            .base_delay(Duration::from_millis(1))
            .max_delay(Duration::from_millis(5)),
    )
}

fn error_body() -> serde_json::Value {
    json!({"serviceName": "payin-core", "errorCode": "validation.error", "description": "Validation error",
           "userMessage": "Validation error", "dateTime": "2022-11-13T16:49:59.166+03:00",
           "traceId": "fd0e2a08c63ace83", "cause": {"amount": ["Incorrect payout amount"]}})
}

/// What every request of every client must carry, and must not.
fn assert_common_headers(requests: &[Request]) {
    assert!(!requests.is_empty());
    for r in requests {
        let h = |name: &str| r.headers.get(name).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(
            h("authorization").as_deref(),
            Some("Bearer test-token-123"),
            "{}",
            r.url
        );
        assert_eq!(h("user-agent").as_deref(), Some(USER_AGENT));
        assert!(USER_AGENT.starts_with("qiwi-rs/"));
        assert_eq!(
            h("api-version"),
            None,
            "progenitor's api-version header must not reach QIWI"
        );
    }
}

fn bill_json(status: &str) -> serde_json::Value {
    json!({"siteId": "9hh4jb-00", "billId": "b-1", "amount": {"currency": "RUB", "value": "1.00"},
           "status": {"value": status, "changedDateTime": "2021-01-18T14:22:56.672+03:00"},
           "creationDateTime": "2021-01-18T14:22:56.672+03:00", "expirationDateTime": "2025-12-10T09:02:00+03:00",
           "payUrl": "https://oplata.qiwi.com/form/?invoice_uid=aa0fa2bb"})
}

#[tokio::test]
async fn p2p_sends_typed_json_and_reads_the_bill() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/partner/bill/v1/bills/b-1"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({"amount": {"currency": "RUB", "value": "1.00"},
                              "expirationDateTime": "2025-12-10T09:02:00+03:00", "comment": "Text comment"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(bill_json("WAITING")))
        .expect(1)
        .mount(&server)
        .await;
    let client = p2p::Client::with_transport(&server.uri(), transport()).unwrap();
    let body = p2p::types::CreateBillRequest {
        amount: p2p::types::BillAmount {
            value: qiwi_core::Amount::from_minor(100).into(),
            currency: qiwi_core::Currency::RUB.into(),
        },
        expiration_date_time: "2025-12-10T09:02:00+03:00".parse().unwrap(),
        comment: Some("Text comment".into()),
        customer: None,
        custom_fields: None,
    };
    let bill = client
        .create_bill()
        .bill_id("b-1")
        .body(body)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(bill.status.value, BillStatusValue::Waiting);
    assert_eq!(bill.amount.value.to_fixed2().unwrap(), "1.00");
    assert_common_headers(&server.received_requests().await.unwrap());
}

#[tokio::test]
async fn p2p_reject_sends_an_empty_body_with_a_length() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/partner/bill/v1/bills/b-1/reject"))
        .and(header("content-length", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(bill_json("REJECTED")))
        .expect(1)
        .mount(&server)
        .await;
    let client = p2p::Client::with_transport(&server.uri(), transport()).unwrap();
    let bill = client
        .reject_bill()
        .bill_id("b-1")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(bill.status.value, BillStatusValue::Rejected);
}

#[tokio::test]
async fn p2p_get_is_retried_after_503_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/partner/bill/v1/bills/b-1"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/partner/bill/v1/bills/b-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(bill_json("PAID")))
        .mount(&server)
        .await;
    let client = p2p::Client::with_transport(&server.uri(), transport()).unwrap();
    let bill = client
        .get_bill()
        .bill_id("b-1")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(bill.status.value, BillStatusValue::Paid);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert_common_headers(&requests);
}

#[tokio::test]
async fn retries_stop_at_the_attempt_limit_and_return_qiwis_answer() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .mount(&server)
        .await;
    let client = p2p::Client::with_transport(&server.uri(), transport()).unwrap();
    let err = client
        .get_bill()
        .bill_id("b-1")
        .send()
        .await
        .classify()
        .unwrap_err();
    assert_eq!(err.status(), Some(429));
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn retries_can_be_switched_off() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let t = transport().with_retry(RetryPolicy::disabled());
    let client = p2p::Client::with_transport(&server.uri(), t).unwrap();
    assert!(client.get_bill().bill_id("b-1").send().await.is_err());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn payin_error_body_comes_back_typed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/partner/payin/v1/sites/test-01/payments/223E"))
        .respond_with(ResponseTemplate::new(400).set_body_json(error_body()))
        .expect(1)
        .mount(&server)
        .await;
    let client = payin::Client::with_transport(&server.uri(), transport()).unwrap();
    let err = client
        .get_payment()
        .site_id("test-01")
        .payment_id("223E")
        .send()
        .await
        .classify()
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Rejected { status: 400, .. }),
        "{err}"
    );
    let body = err.body().expect("QIWI's answer");
    assert_eq!(body.code(), Some("validation.error"));
    assert_eq!(body.trace_id.as_deref(), Some("fd0e2a08c63ace83"));
    assert_eq!(
        body.field_errors(),
        vec![("amount", "Incorrect payout amount")]
    );
    assert_common_headers(&server.received_requests().await.unwrap());
}

#[tokio::test]
async fn payin_put_keyed_by_caller_id_is_retried_with_the_same_body() {
    let server = MockServer::start().await;
    let body = json!({"amount": {"currency": "RUB", "value": "200.00"},
                      "paymentMethod": {"type": "TOKEN", "paymentToken": "tok"},
                      "customer": {"account": "acc-1"}});
    Mock::given(method("PUT"))
        .and(path("/partner/payin/v1/sites/test-01/payments/p-1"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/partner/payin/v1/sites/test-01/payments/p-1"))
        .and(body_json(body.clone()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "paymentId": "p-1", "amount": {"currency": "RUB", "value": "200.00"},
            "status": {"value": "COMPLETED", "changedDateTime": "2018-11-01T17:10:32.607+03:00"}})))
        .mount(&server)
        .await;
    let client = payin::Client::with_transport(&server.uri(), transport()).unwrap();
    let request: payin::types::CreatePaymentRequest = serde_json::from_value(body).unwrap();
    let p = client
        .create_payment()
        .site_id("test-01")
        .payment_id("p-1")
        .body(request)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(p.status.unwrap().value, OperationStatus::Completed);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body, requests[1].body);
}

#[tokio::test]
async fn payin_non_idempotent_post_is_never_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(
            "/partner/payin/v1/sites/test-01/payments/p-1/complete",
        ))
        .and(body_json(json!({"threeDS": {"pares": "eJzV"}})))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let client = payin::Client::with_transport(&server.uri(), transport()).unwrap();
    let body: payin::types::Complete3dsRequest =
        serde_json::from_value(json!({"threeDS": {"pares": "eJzV"}})).unwrap();
    let err = client
        .complete_payment3_ds()
        .site_id("test-01")
        .payment_id("p-1")
        .body(body)
        .send()
        .await
        .classify()
        .unwrap_err();
    // A 5xx after sending leaves the payment's outcome unknown: not retried, and said so.
    assert!(
        matches!(
            err,
            ApiError::OutcomeUnknown {
                status: Some(503),
                ..
            }
        ),
        "{err}"
    );
    // `expect(1)` is verified when the server drops.
}

#[tokio::test]
async fn payout_sends_the_signature_header_and_json_body() {
    let server = MockServer::start().await;
    let body = json!({"amount": {"value": "40.00", "currency": "RUB"},
                      "receiverData": {"type": "CARD", "pan": "86003300000000000"}});
    Mock::given(method("PUT"))
        .and(path(
            "/partner/payin/v1/sites/Obuc-00/payments/223E/payouts/po-1",
        ))
        .and(header_exists("x-digital-sign"))
        .and(body_json(body.clone()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "createdDateTime": "2022-12-21T16:04:29+03:00",
            "status": {"value": "WAITING", "changedDateTime": "2022-12-21T16:04:29+03:00"},
            "amount": {"currency": "RUB", "value": "40.00"},
            "receiverData": {"type": "CARD", "maskedPan": "860033*******0000"}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_json(error_body()))
        .mount(&server)
        .await;
    let signer = qiwi_sys::signer::DigitalSign::new(RsaSigningKey::generate().unwrap());
    let client = payout::Client::builder(PayinApiKey::new("test-token-123").unwrap(), signer)
        .base_url(server.uri())
        .build()
        .unwrap();
    let payout = client
        .create_payout()
        .site_id("Obuc-00")
        .payment_id("223E")
        .payout_id("po-1")
        .body(serde_json::from_value::<payout::types::CreatePayoutRequest>(body).unwrap())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(payout.status.unwrap().value, OperationStatus::Waiting);
    let err = client
        .get_payout()
        .site_id("Obuc-00")
        .payment_id("223E")
        .payout_id("po-1")
        .send()
        .await
        .classify()
        .unwrap_err();
    assert!(
        matches!(err, ApiError::NotFound { ref body, .. } if body.error_code.as_deref() == Some("validation.error")),
        "{err}"
    );
    assert_common_headers(&server.received_requests().await.unwrap());
}

#[tokio::test]
async fn wallet_history_sends_indexed_arrays_and_reads_numbers_exactly() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/payment-history/v2/persons/79111234567/payments"))
        .and(query_param("rows", "10"))
        .and(query_param("sources[0]", "QW_RUB"))
        .and(query_param("sources[1]", "CARD"))
        .and(query_param("startDate", "2017-08-01T00:00:00+03:00"))
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{"txnId": 11233344692u64, "personId": 79161122331u64, "date": "2017-08-30T14:38:09+03:00",
                      "errorCode": 0, "status": "SUCCESS", "type": "OUT",
                      "sum": {"amount": 1.09, "currency": 643}, "total": {"amount": 1.09, "currency": 643},
                      "someNewField": {"x": 1}}],
            "nextTxnId": null, "nextTxnDate": null})))
        .expect(1)
        .mount(&server)
        .await;
    let client = wallet::Client::with_transport(&server.uri(), transport()).unwrap();
    let page = client
        .get_payment_history()
        .wallet("79111234567")
        .rows(10)
        .sources(vec![
            wallet::types::HistorySource::QwRub,
            wallet::types::HistorySource::Card,
        ])
        .start_date(
            "2017-08-01T00:00:00+03:00"
                .parse::<qiwi_core::QiwiDateTime>()
                .unwrap(),
        )
        .end_date(
            "2017-08-31T00:00:00+03:00"
                .parse::<qiwi_core::QiwiDateTime>()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    let txn = &page.data[0];
    assert_eq!(txn.sum.as_ref().unwrap().amount.to_string(), "1.09");
    assert_eq!(txn.sum.as_ref().unwrap().currency.numeric(), Some(643));
    assert_eq!(page.next_txn_id, None);
    let requests = server.received_requests().await.unwrap();
    assert_common_headers(&requests);
    let q = requests[0].url.query().unwrap();
    assert!(
        !q.contains("sources=QW_RUB"),
        "plain repeated keys must not reach QIWI: {q}"
    );
}

#[tokio::test]
async fn wallet_limits_send_indexed_types() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/qw-limits/v1/persons/79111234567/actual-limits"))
        .and(query_param("types[0]", "TURNOVER"))
        .and(query_param("types[1]", "REFILL"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"limits": {"RU": [
            {"type": "TURNOVER", "currency": "RUB", "rest": 200.00, "max": 40000.00, "spent": 39800.00,
             "interval": {"dateFrom": "2019-11-01T:00:00", "dateTill": "2019-12-01T00:00"}}]}})))
        .expect(1)
        .mount(&server)
        .await;
    let client = wallet::Client::with_transport(&server.uri(), transport()).unwrap();
    let limits = client
        .get_limits()
        .person_id("79111234567")
        .types(vec![
            wallet::types::LimitType::Turnover,
            wallet::types::LimitType::Refill,
        ])
        .send()
        .await
        .unwrap()
        .into_inner();
    let ru = &limits.limits["RU"][0];
    assert_eq!(ru.max.unwrap().to_string(), "40000");
    // QIWI's malformed date is kept, not a reason to lose the response.
    let from = ru.interval.as_ref().unwrap().date_from.as_ref().unwrap();
    assert_eq!(from.as_str(), "2019-11-01T:00:00");
    assert!(from.instant().is_err());
}

#[tokio::test]
async fn wallet_receipt_is_streamed_as_bytes() {
    let pdf: Vec<u8> = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n".repeat(2000);
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(
            "/payment-history/v1/transactions/11233344692/cheque/file",
        ))
        .and(query_param("type", "QIWI_CARD"))
        .and(query_param("format", "PDF"))
        // QIWI's documents send JSON's Accept and answer with the file.
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(pdf.clone(), "application/pdf"))
        .expect(1)
        .mount(&server)
        .await;
    let client = wallet::Client::with_transport(&server.uri(), transport()).unwrap();
    let file = client
        .get_cheque_file()
        .transaction_id(11233344692i64)
        .type_(wallet::types::TxnDirection::QiwiCard)
        .format(wallet::types::GetChequeFileFormat::Pdf)
        .send()
        .await
        .unwrap();
    let mut stream = file.into_inner().into_inner();
    let mut got = Vec::new();
    let mut chunks = 0;
    while let Some(chunk) = stream.try_next().await.unwrap() {
        chunks += 1;
        got.extend_from_slice(&chunk);
    }
    assert!(chunks >= 1);
    assert_eq!(got, pdf);
    assert_common_headers(&server.received_requests().await.unwrap());
}

#[tokio::test]
async fn wallet_vendor_accept_header_and_sinap_payment_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(
            "/sinap/api/refs/bd6fb248-2bdf-49ed-bcb2-9b0a789cfde8/containers",
        ))
        .and(header("accept", "application/vnd.qiwi.v1+json"))
        .and(body_json(json!({"account": "1234 1234 1234 1234"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"elements": [{"type": "field", "name": "termsId", "value": "36390"}]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/sinap/api/v2/terms/99/payments"))
        .and(body_json(json!({"id": "11111111111111", "sum": {"amount": 100.5, "currency": "643"},
                              "paymentMethod": {"type": "Account", "accountId": "643"},
                              "comment": "Комментарий", "fields": {"account": "+79121112233"}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "11111111111111", "terms": "99",
            "fields": {"account": "+79121112233"}, "sum": {"amount": 100.5, "currency": "643"},
            "transaction": {"id": "11982501857", "state": {"code": "Accepted"}}, "source": "account_643"})))
        .expect(1)
        .mount(&server)
        .await;
    let client = wallet::Client::with_transport(&server.uri(), transport()).unwrap();
    let found = client
        .find_card_provider()
        .body(wallet::types::CardProviderRequest {
            account: "1234 1234 1234 1234".into(),
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.elements[0].value.as_deref(), Some("36390"));
    let payment = common::sinap_payment();
    let info = client
        .create_payment()
        .provider_id(99)
        .body(payment)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(info.transaction.unwrap().id.as_deref(), Some("11982501857"));
    assert_common_headers(&server.received_requests().await.unwrap());
}

#[tokio::test]
async fn wallet_error_in_short_form_is_kept() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/sinap/api/v2/terms/99/payments"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"code": "QWPRC-220", "message": "Недостаточно средств"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = wallet::Client::with_transport(&server.uri(), transport()).unwrap();
    let payment: wallet::types::PaymentRequest = serde_json::from_value(json!({"id": "1", "sum": {"amount": 1, "currency": "643"},
        "paymentMethod": {"type": "Account", "accountId": "643"}, "fields": {"account": "+79121112233"}})).unwrap();
    let err = client
        .create_payment()
        .provider_id(99)
        .body(payment)
        .send()
        .await
        .classify()
        .unwrap_err();
    let body = err.body().expect("QIWI's answer");
    assert_eq!(body.code(), Some("QWPRC-220"));
}

#[tokio::test]
async fn amounts_that_would_lose_digits_are_refused_before_sending() {
    let server = MockServer::start().await;
    let client = p2p::Client::with_transport(&server.uri(), transport()).unwrap();
    let body = p2p::types::CreateBillRequest {
        amount: p2p::types::BillAmount {
            value: "200.345".parse().unwrap(),
            currency: qiwi_core::Currency::RUB.into(),
        },
        expiration_date_time: "2025-12-10T09:02:00+03:00".parse().unwrap(),
        comment: None,
        customer: None,
        custom_fields: None,
    };
    let err = client
        .create_bill()
        .bill_id("b")
        .body(body)
        .send()
        .await
        .classify()
        .unwrap_err();
    let mut chain = Vec::new();
    let mut cur: Option<&dyn std::error::Error> = Some(&err);
    while let Some(e) = cur {
        chain.push(e.to_string());
        cur = e.source();
    }
    assert!(
        chain
            .iter()
            .any(|m| m.contains("more than 2 decimal places")),
        "{chain:?}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[test]
fn payin_payment_keeps_its_callback_url_and_a_posted_qr_code_needs_its_id() {
    let p: payin::types::Payment = serde_json::from_value(
        json!({"paymentId": "p-1", "callbackUrl": "https://example.com/callbacks"}),
    )
    .unwrap();
    assert_eq!(
        p.callback_url.as_deref(),
        Some("https://example.com/callbacks")
    );
    assert_eq!(
        serde_json::to_value(&p).unwrap()["callbackUrl"],
        "https://example.com/callbacks",
        "a round trip keeps it"
    );
    let qr = json!({"qrCode": {"type": "DYNAMIC", "ttl": 60}});
    assert!(
        serde_json::from_value::<payin::types::CreateQrCodeWithUidRequest>(qr.clone()).is_err()
    );
    assert!(serde_json::from_value::<payin::types::CreateQrCodeRequest>(qr).is_ok());
}

#[tokio::test]
async fn payin_invoice_sends_receiver_data() {
    let server = MockServer::start().await;
    let body = json!({"amount": {"value": "42.24", "currency": "RUB"}, "expirationDateTime": "2030-01-01T00:00:00+03:00",
                      "receiverData": {"type": "CARD", "receiverFirstName": "Ivan"}});
    Mock::given(method("PUT"))
        .and(path("/partner/payin/v1/sites/test-01/bills/b-rd"))
        .and(body_json(body.clone()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"billId": "b-rd",
            "invoiceUid": "d875277b-6f0f-445d-8a83-f62c7c07be77", "amount": {"value": "42.24", "currency": "RUB"},
            "status": {"value": "CREATED", "changedDateTime": "2022-04-05T11:27:41"},
            "payUrl": "https://oplata.qiwi.com/form/?invoice_uid=d875277b-6f0f-445d-8a83-f62c7c07be77"})))
        .expect(1)
        .mount(&server)
        .await;
    let client = payin::Client::with_transport(&server.uri(), transport()).unwrap();
    let request: payin::types::CreateInvoiceRequest = serde_json::from_value(body).unwrap();
    assert_eq!(request.receiver_data["receiverFirstName"], "Ivan");
    let bill = client
        .create_invoice()
        .site_id("test-01")
        .bill_id("b-rd")
        .body(request)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(bill.bill_id, "b-rd");
}

#[tokio::test]
async fn each_client_is_built_from_its_own_credential() {
    use qiwi_core::secret::{P2pSecretKey, PayinApiKey, WalletToken};
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_json(error_body()))
        .mount(&server)
        .await;
    let base = server.uri();
    let token = || "test-token-123";

    let wallet = wallet::Client::builder(WalletToken::new(token()).unwrap())
        .base_url(&base)
        .build()
        .unwrap();
    let _ = wallet.get_profile().send().await;
    let p2p = p2p::Client::builder(P2pSecretKey::new(token()))
        .base_url(&base)
        .build()
        .unwrap();
    let _ = p2p.get_bill().bill_id("b-1").send().await;
    let payin = payin::Client::builder(PayinApiKey::new(token()).unwrap())
        .base_url(&base)
        .build()
        .unwrap();
    let _ = payin
        .get_payment()
        .site_id("s")
        .payment_id("p")
        .send()
        .await;
    // Unsigned on purpose: the headers under test are the transport's, not the signer's.
    let payout = payout::Client::with_transport(
        &base,
        qiwi_sys::transport::Transport::new(PayinApiKey::new(token()).unwrap().into()),
    )
    .unwrap();
    let _ = payout
        .get_payout()
        .site_id("s")
        .payment_id("p")
        .payout_id("po")
        .send()
        .await;
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 4);
    assert_common_headers(&requests);

    // A P2P key that cannot be a header is refused when the client is built, and not shown.
    let err = p2p::Client::builder(P2pSecretKey::new("s3cr3t key"))
        .base_url(&base)
        .build()
        .unwrap_err();
    assert!(matches!(
        err,
        qiwi_sys::transport::ClientError::Credential(_)
    ));
    assert!(!format!("{err} {err:?}").contains("s3cr3t"), "{err:?}");
}

#[tokio::test]
async fn the_client_builder_sets_what_it_names_and_refuses_what_would_leak() {
    use qiwi_core::secret::WalletToken;
    use qiwi_sys::transport::ClientError;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).set_body_json(error_body()))
        .mount(&server)
        .await;
    let token = || WalletToken::new("test-token-123").unwrap();
    let client = wallet::Client::builder(token())
        .base_url(server.uri())
        .user_agent("shop-backend/2.1")
        .retry(
            RetryPolicy::default()
                .max_attempts(2)
                .base_delay(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let err = client.get_profile().send().await.classify().unwrap_err();
    assert!(
        matches!(err, ApiError::Unavailable { status: 503, .. }),
        "{err}"
    );
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2, "the retry policy set on the builder");
    assert_eq!(
        requests[0].headers["user-agent"].to_str().unwrap(),
        format!("shop-backend/2.1 {USER_AGENT}")
    );
    assert_eq!(
        requests[0].headers["authorization"],
        "Bearer test-token-123"
    );

    // The timeout set on the builder is the one that ends a call, and the one it names.
    let silent = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&silent)
        .await;
    let err = wallet::Client::builder(token())
        .base_url(silent.uri())
        .timeout(Duration::from_millis(200))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap()
        .get_profile()
        .send()
        .await
        .classify()
        .unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::Transport {
                timed_out: true,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("200ms (ClientBuilder::timeout)"),
        "{err}"
    );

    // Where the token would leave in clear, or go nowhere sensible, nothing is built.
    for (url, allow) in [
        ("http://10.0.0.1:8080", false),
        ("http://sandbox.example", false),
        ("ftp://127.0.0.1", true),
        ("not a url", true),
    ] {
        let err = wallet::Client::builder(token())
            .base_url(url)
            .allow_insecure_http(allow)
            .build()
            .unwrap_err();
        assert!(matches!(err, ClientError::BaseUrl { .. }), "{url}: {err}");
        assert!(!format!("{err} {err:?}").contains("test-token-123"));
    }
    assert!(
        wallet::Client::builder(token())
            .base_url("http://10.0.0.1:8080")
            .allow_insecure_http(true)
            .build()
            .is_ok()
    );
    let err = wallet::Client::builder(token())
        .user_agent("shop\r\nX-Injected: 1")
        .build()
        .unwrap_err();
    assert!(matches!(err, ClientError::UserAgent(_)), "{err}");
    let shown = format!("{:?}", wallet::Client::builder(token()));
    assert!(
        shown.contains("edge.qiwi.com") && !shown.contains("test-token-123"),
        "{shown}"
    );
}
