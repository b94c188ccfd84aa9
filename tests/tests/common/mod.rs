//! What the transport tests share: a transport with short waits, servers answering one
//! status, QIWI's documented payment.

#![allow(dead_code)]

use std::time::Duration;

use qiwi_core::secret::ApiToken;
use qiwi_sys::error::{ApiError, Classify as _};
use qiwi_sys::transport::{RetryPolicy, Transport};
use qiwi_sys::wallet;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A transport with the test token and millisecond backoff.
pub fn transport() -> Transport {
    Transport::new(ApiToken::new("test-token-123").unwrap()).with_retry(
        RetryPolicy::default()
            .base_delay(Duration::from_millis(1))
            .max_delay(Duration::from_millis(5)),
    )
}

/// A local server that answers every `http_method` request with `status`.
pub async fn answering(http_method: &str, status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method(http_method))
        .respond_with(ResponseTemplate::new(status))
        .mount(&server)
        .await;
    server
}

/// A wallet transfer of 100.50 RUB to +79121112233 (QIWI's documented sinap payment).
pub fn sinap_payment() -> wallet::types::PaymentRequest {
    wallet::types::PaymentRequest {
        id: "11111111111111".into(),
        sum: wallet::types::SinapMoney {
            amount: "100.50".parse().unwrap(),
            currency: qiwi_core::Currency::RUB.into(),
        },
        payment_method: wallet::types::PaymentMethod {
            type_: "Account".into(),
            account_id: "643".into(),
        },
        comment: Some("Комментарий".into()),
        fields: wallet::types::PaymentFields(
            [("account".to_owned(), "+79121112233".to_owned())].into(),
        ),
    }
}

/// Sends [`sinap_payment`] through `transport` to `base`; the test servers never answer 200.
pub async fn pay(base: &str, transport: Transport) -> ApiError {
    let client = wallet::Client::with_transport(base, transport).unwrap();
    client
        .create_payment()
        .provider_id(99)
        .body(sinap_payment())
        .send()
        .await
        .classify()
        .expect_err("the server never answers 200")
}

/// Reads P2P bill `id` from `base` through `transport`; the test servers never answer 200.
pub async fn get_bill(base: &str, transport: Transport, id: &str) -> ApiError {
    qiwi_sys::p2p::Client::with_transport(base, transport)
        .unwrap()
        .get_bill()
        .bill_id(id)
        .send()
        .await
        .classify()
        .expect_err("the server never answers 200")
}
