//! The transport against misbehaving local servers, counting what reached them: a payment is
//! never sent twice, idempotent requests still retry, and every failure says what happened.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use qiwi_sys::error::{ApiError, Classify as _};
use qiwi_sys::transport::{RetryPolicy, Transport};
use qiwi_sys::{Error, p2p, payin, wallet};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn transport() -> Transport {
    common::transport().with_timeout(Duration::from_millis(300))
}

async fn pay(base: &str) -> ApiError {
    common::pay(base, transport()).await
}

async fn hits(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

#[tokio::test]
async fn a_wallet_payment_facing_502_is_sent_once_and_its_outcome_is_unknown() {
    let server = common::answering("POST", 502).await;
    let err = pay(&server.uri()).await;
    assert_eq!(hits(&server).await, 1);
    assert!(
        matches!(
            err,
            ApiError::OutcomeUnknown {
                status: Some(502),
                ..
            }
        ),
        "{err}"
    );
    // The verdict reaches the caller typed before any classification: no message is parsed.
    let raw = wallet::Client::with_transport(&server.uri(), transport())
        .unwrap()
        .create_payment()
        .provider_id(99)
        .body(common::sinap_payment())
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            &raw,
            Error::Transport(ApiError::OutcomeUnknown {
                status: Some(502),
                ..
            })
        ),
        "{raw:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("outcome unknown") && text.contains("history"),
        "{text}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_wallet_payment_that_times_out_is_sent_once_and_says_timed_out() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let err = pay(&server.uri()).await;
    assert_eq!(hits(&server).await, 1);
    assert!(
        matches!(err, ApiError::OutcomeUnknown { status: None, .. }),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("timed out") && text.contains("request timeout of 300ms"),
        "{text}"
    );
}

/// A raw TCP server on 127.0.0.1 that runs `serve` on each connection with a shared counter.
async fn raw_server<F, Fut>(serve: F) -> (String, Arc<AtomicUsize>)
where
    F: Fn(tokio::net::TcpStream, Arc<AtomicUsize>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(serve(s, c.clone()));
        }
    });
    (format!("http://{addr}"), count)
}

/// Reads each request whole, counts it, and closes the connection without an answer.
async fn reset_after_send() -> (String, Arc<AtomicUsize>) {
    raw_server(|mut s, count| async move {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        // Headers, then the body its content-length announces.
        loop {
            let Ok(n @ 1..) = s.read(&mut buf).await else {
                return;
            };
            seen.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&seen).to_lowercase();
            if let Some(end) = text.find("\r\n\r\n") {
                let length = text
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if seen.len() >= end + 4 + length {
                    break;
                }
            }
        }
        count.fetch_add(1, Ordering::SeqCst);
        let _ = s.shutdown().await;
    })
    .await
}

/// Pays through `base`, which must have seen the payment exactly once and left its outcome
/// unknown.
async fn sent_once_outcome_unknown(base: &str, count: &AtomicUsize) -> ApiError {
    let err = pay(base).await;
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert!(
        matches!(err, ApiError::OutcomeUnknown { status: None, .. }),
        "{err}"
    );
    err
}

#[tokio::test]
async fn a_wallet_payment_reset_after_sending_is_sent_once() {
    let (base, count) = reset_after_send().await;
    let err = sent_once_outcome_unknown(&base, &count).await;
    let text = err.to_string();
    assert!(
        text.contains("the connection failed after sending: error sending request"),
        "{text}"
    );

    // The same server behind a GET: the transport retries it.
    let client = p2p::Client::with_transport(&base, transport()).unwrap();
    let err = client
        .get_bill()
        .bill_id("b-1")
        .send()
        .await
        .classify()
        .unwrap_err();
    assert_eq!(
        count.load(Ordering::SeqCst),
        4,
        "1 payment + 3 GET attempts: {err}"
    );
    assert!(
        matches!(
            err,
            ApiError::Transport {
                timed_out: false,
                ..
            }
        ),
        "{err}"
    );
    assert!(!err.to_string().contains("timed out"), "{err}");
}

#[tokio::test]
async fn a_payment_that_never_left_is_a_plain_connection_failure() {
    // A port nobody listens on: the connection is refused, nothing reached a server.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let start = Instant::now();
    let err = pay(&format!("http://127.0.0.1:{port}")).await;
    assert!(
        matches!(
            err,
            ApiError::Transport {
                timed_out: false,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        matches!(
            err,
            ApiError::Transport {
                timed_out: false,
                ..
            }
        ),
        "{err}"
    );
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn gets_and_caller_keyed_puts_still_retry() {
    let server = common::answering("GET", 502).await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(504))
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
    assert_eq!(err.status(), Some(502));
    assert_eq!(hits(&server).await, 3);
    let payin = payin::Client::with_transport(&server.uri(), transport()).unwrap();
    let body: payin::types::CreateInvoiceRequest = serde_json::from_value(
        json!({"amount": {"value": "10.00", "currency": "RUB"}, "expirationDateTime": "2030-01-01T00:00:00+03:00"}),
    )
    .unwrap();
    let err = payin
        .create_invoice()
        .site_id("s")
        .bill_id("b")
        .body(body)
        .send()
        .await
        .classify()
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Unavailable { status: 504, .. }),
        "{err}"
    );
    assert_eq!(hits(&server).await, 6);

    // A GET that times out is retried too, and says so at the end.
    let slow = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&slow)
        .await;
    let client = p2p::Client::with_transport(&slow.uri(), transport()).unwrap();
    let err = client
        .get_bill()
        .bill_id("b-1")
        .send()
        .await
        .classify()
        .unwrap_err();
    assert_eq!(hits(&slow).await, 3);
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
    assert!(err.to_string().contains("timed out"), "{err}");
}

#[tokio::test]
async fn a_long_retry_after_is_returned_not_shortened() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "120"))
        .mount(&server)
        .await;
    let client = p2p::Client::with_transport(&server.uri(), transport()).unwrap();
    let start = Instant::now();
    let err = client
        .get_bill()
        .bill_id("b-1")
        .send()
        .await
        .classify()
        .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_eq!(hits(&server).await, 1, "not retried early");
    assert!(
        matches!(err, ApiError::RateLimited { status: 429, retry_after: Some(d), .. } if d == Duration::from_secs(120)),
        "{err}"
    );
}

#[tokio::test]
async fn an_html_error_keeps_its_status_and_text() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(502)
                .insert_header("content-type", "text/html")
                .set_body_string("<html><body>502 Bad Gateway</body></html>"),
        )
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
    assert_eq!(err.status(), Some(502));
    assert!(
        matches!(err, ApiError::Unavailable { status: 502, .. }),
        "{err}"
    );
    let body = err.body().expect("QIWI's answer");
    assert_eq!(
        body.non_json_body(),
        Some("<html><body>502 Bad Gateway</body></html>")
    );
}

/// A listener whose accept queue is full, so that the next connection attempt hangs: the
/// connect timeout fires before anything was sent.
async fn full_backlog() -> (String, Vec<tokio::net::TcpStream>) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut held = Vec::new();
    // Fill the queue; never accept. Connections past it hang in SYN-SENT.
    for _ in 0..4 {
        match tokio::time::timeout(
            Duration::from_millis(200),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            Ok(Ok(s)) => held.push(s),
            _ => break,
        }
    }
    std::mem::forget(listener);
    (format!("http://{addr}"), held)
}

#[tokio::test]
async fn a_connect_timeout_is_retried_even_for_a_payment_and_says_which_timeout() {
    let (base, _held) = full_backlog().await;
    let t = transport().with_connect_timeout(Duration::from_millis(150));
    let start = Instant::now();
    let err = common::pay(&base, t).await;
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
    let text = err.to_string();
    assert!(
        text.contains("could not connect") && text.contains("connect timeout of 150ms"),
        "{text}"
    );
    // Three connection attempts, each cut at 150 ms: it never left, so it was sent again.
    assert!(
        start.elapsed() >= Duration::from_millis(400),
        "{:?}",
        start.elapsed()
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_refused_payment_is_qiwis_answer_not_an_unknown_outcome() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"code": "QWPRC-220", "message": "Недостаточно средств"})),
        )
        .mount(&server)
        .await;
    let err = pay(&server.uri()).await;
    assert_eq!(hits(&server).await, 1);
    assert!(
        matches!(err, ApiError::Rejected { status: 400, .. }),
        "{err}"
    );
    assert!(!err.is_retryable());
    let body = err.body().expect("QIWI's answer");
    assert_eq!(body.code(), Some("QWPRC-220"));
}

#[tokio::test]
async fn odd_answers_keep_their_status() {
    let server = MockServer::start().await;
    let big = format!("<html>{}</html>", "я".repeat(5000));
    Mock::given(method("GET"))
        .and(wiremock::matchers::path("/partner/bill/v1/bills/big"))
        .respond_with(ResponseTemplate::new(404).set_body_string(big))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::path("/partner/bill/v1/bills/array"))
        .respond_with(ResponseTemplate::new(409).set_body_string("[1,2]"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::path("/partner/bill/v1/bills/odd"))
        .respond_with(ResponseTemplate::new(399))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::path("/partner/bill/v1/bills/dated"))
        .respond_with(
            ResponseTemplate::new(423)
                .insert_header("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"),
        )
        .mount(&server)
        .await;
    let client = p2p::Client::with_transport(
        &server.uri(),
        transport().with_retry(RetryPolicy::disabled()),
    )
    .unwrap();
    let get = |id: &'static str| {
        let client = client.clone();
        async move {
            client
                .get_bill()
                .bill_id(id)
                .send()
                .await
                .classify()
                .unwrap_err()
        }
    };

    let err = get("big").await;
    assert!(
        matches!(err, ApiError::NotFound { status: 404, .. }),
        "{err}"
    );
    let body = err.body().expect("QIWI's answer");
    let text = body.non_json_body().unwrap();
    assert!(
        text.starts_with("<html>яя") && text.len() <= 4096,
        "{}",
        text.len()
    );
    assert!(text.len() > 4090, "cut at a character boundary near 4 KiB");

    let err = get("array").await;
    assert!(
        matches!(err, ApiError::Rejected { status: 409, .. }),
        "{err}"
    );
    let body = err.body().expect("QIWI's answer");
    assert_eq!(body.non_json_body(), Some("[1,2]"));

    // 3xx: never followed, and the status and (missing) Location are named.
    let err = get("odd").await;
    assert!(
        matches!(
            err,
            ApiError::Redirected {
                status: 399,
                location: None,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("HTTP 399") && err.to_string().contains("no Location"));

    let err = get("dated").await;
    assert!(
        matches!(
            err,
            ApiError::RateLimited {
                status: 423,
                retry_after: None,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.is_retryable());
    let unavailable = |status| ApiError::Unavailable {
        status,
        body: Box::default(),
    };
    assert!(unavailable(503).is_retryable() && !unavailable(501).is_retryable());
    assert!(
        !ApiError::NotFound {
            status: 404,
            body: Box::default()
        }
        .is_retryable()
    );
}

#[tokio::test]
async fn the_attempt_limit_and_the_time_budget_are_the_callers() {
    let server = common::answering("GET", 503).await;
    let five = transport().with_retry(
        RetryPolicy::default()
            .max_attempts(5)
            .base_delay(Duration::from_millis(1))
            .max_delay(Duration::from_millis(5)),
    );
    let client = p2p::Client::with_transport(&server.uri(), five).unwrap();
    let _ = client
        .get_bill()
        .bill_id("b-1")
        .send()
        .await
        .classify()
        .unwrap_err();
    assert_eq!(hits(&server).await, 5);

    // QIWI asks for a second; the policy allows it, but not within a 300 ms budget.
    let waiting = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "1"))
        .mount(&waiting)
        .await;
    let budget = transport().with_retry(
        RetryPolicy::default()
            .max_delay(Duration::from_secs(2))
            .max_elapsed(Duration::from_millis(300)),
    );
    let client = p2p::Client::with_transport(&waiting.uri(), budget).unwrap();
    let start = Instant::now();
    let err = client
        .get_bill()
        .bill_id("b-1")
        .send()
        .await
        .classify()
        .unwrap_err();
    assert!(
        start.elapsed() < Duration::from_millis(900),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(hits(&waiting).await, 1);
    assert!(
        matches!(err, ApiError::Unavailable { status: 503, .. }),
        "{err}"
    );
}

/// Answers 200 with headers that promise a body, then stalls.
async fn stalled_body() -> (String, Arc<AtomicUsize>) {
    raw_server(|mut s, count| async move {
        count.fetch_add(1, Ordering::SeqCst);
        let mut buf = [0u8; 4096];
        let _ = s.read(&mut buf).await;
        let head =
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{";
        let _ = s.write_all(head.as_bytes()).await;
        tokio::time::sleep(Duration::from_secs(10)).await;
    })
    .await
}

#[tokio::test]
async fn a_body_that_stalls_after_200_says_timed_out_and_a_payment_stays_unknown() {
    let (base, count) = stalled_body().await;
    let err = sent_once_outcome_unknown(&base, &count).await;
    assert!(err.to_string().contains("timed out"), "{err}");

    let client = p2p::Client::with_transport(&base, transport()).unwrap();
    let err = client
        .get_bill()
        .bill_id("b-1")
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
}

#[tokio::test]
async fn a_success_body_that_does_not_decode_names_its_json_path() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "billId": "b-1",
            "amount": {"value": "1.00", "currency": "RUB"},
            "status": {"value": 7}
        })))
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
    assert!(
        matches!(&err, ApiError::Decode { path, .. } if path == "status.value"),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    // Without the expected type, the error still says where: line and column.
    let err = client.get_bill().bill_id("b-1").send().await.unwrap_err();
    assert!(
        matches!(ApiError::from(err), ApiError::Decode { path, .. } if path.starts_with("line 1 column")),
    );
}
