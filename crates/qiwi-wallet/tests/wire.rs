//! qiwi-wallet's history against QIWI's documented answers replayed by a local server: what
//! goes on the wire (cursors as QIWI wrote them, indexed sources, windows of at most 90 days)
//! and what comes back (every row once, the lock's wait, a stuck cursor ended).

use futures_util::{StreamExt as _, TryStreamExt as _};
use qiwi_wallet::{ApiError, Error, HistorySource, MAX_WINDOW, QiwiDateTime, Wallet, WalletToken};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const HISTORY: &str = "/payment-history/v2/persons/79161122331/payments";

/// QIWI's documented history row (wallet-api.md §3.1), with another `txnId`.
fn row(txn_id: i64) -> Value {
    let mut row = json!({"txnId":11233344692u64,"personId":79161122331u64,"date":"2017-08-30T14:38:09+03:00","errorCode":0,"error":null,"status":"WAITING","type":"OUT","statusText":"Запрос обрабатывается","trmTxnId":"11233344691","account":"15040930424823121081","sum":{"amount":1,"currency":643},"commission":{"amount":0,"currency":643},"total":{"amount":1,"currency":643},"provider":{"id":1,"shortName":"MTS","longName":"MTS","logoUrl":null,"description":null,"keys":null,"siteUrl":null,"extras":[]},"source":{"id":7,"shortName":"QIWI Wallet","longName":"QIWI Wallet","logoUrl":null,"description":null,"keys":"мобильный кошелек","siteUrl":null,"extras":[]},"comment":"","currencyRate":1,"extras":[],"features":{"chequeReady":false,"bankDocumentAvailable":false,"bankDocumentReady":false,"repeatPaymentEnabled":false,"favoritePaymentEnabled":false,"regularPaymentEnabled":false}});
    row["txnId"] = json!(txn_id);
    row
}

fn wallet(server: &MockServer) -> Wallet {
    Wallet::builder(WalletToken::new("token").unwrap(), "79161122331")
        .base_url(server.uri())
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_stream_follows_qiwis_cursors_as_written_with_indexed_sources() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(HISTORY))
        .and(query_param_is_missing("nextTxnId"))
        .and(query_param("rows", "2"))
        .and(query_param("sources[0]", "QW_RUB"))
        .and(query_param("sources[1]", "CARD"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [row(3), row(2)],
            "nextTxnId": 2,
            "nextTxnDate": "2017-08-30T14:38:09+03:00"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(HISTORY))
        .and(query_param("nextTxnId", "2"))
        .and(query_param("nextTxnDate", "2017-08-30T14:38:09+03:00"))
        .and(query_param("sources[0]", "QW_RUB"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [row(1)],
            "nextTxnId": null,
            "nextTxnDate": null
        })))
        .expect(1)
        .mount(&server)
        .await;
    let rows: Vec<_> = wallet(&server)
        .history()
        .rows(2)
        .sources([HistorySource::QwRub, HistorySource::Card])
        .stream()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<i64> = rows.iter().map(|t| t.txn_id.unwrap()).collect();
    assert_eq!(ids, [3, 2, 1]);
    // QIWI's documented row is read whole: money exact, the provider's nulls kept.
    assert_eq!(rows[0].sum.as_ref().unwrap().amount.0, "1".parse().unwrap());
    assert_eq!(
        rows[0].provider.as_ref().unwrap().short_name.as_deref(),
        Some("MTS")
    );
}

#[tokio::test]
async fn a_cursor_that_does_not_move_ends_the_stream_instead_of_looping() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(HISTORY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [row(7)],
            "nextTxnId": 7,
            "nextTxnDate": "2017-08-30T14:38:09+03:00"
        })))
        .expect(2)
        .mount(&server)
        .await;
    let items: Vec<_> = wallet(&server).history().stream().collect().await;
    assert_eq!(items.len(), 3, "{items:?}");
    assert!(items[0].is_ok() && items[1].is_ok());
    assert!(
        matches!(&items[2], Err(Error::Api(ApiError::Decode { .. }))),
        "{:?}",
        items[2]
    );
}

#[tokio::test]
async fn qiwis_history_lock_is_rate_limited_with_five_minutes_and_ends_the_stream() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(HISTORY))
        .respond_with(ResponseTemplate::new(423).set_body_json(json!({
            "serviceName": "payment-history",
            "errorCode": "request.blocked",
            "userMessage": "Request blocked",
            "dateTime": "2018-04-05T12:12:12.123+03:00",
            "traceId": "a8c5ef1e1b4a7b3f"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let now = time::OffsetDateTime::now_utc();
    // Two windows: the lock on the first ends the stream before the second is asked for.
    let items: Vec<_> = wallet(&server)
        .history()
        .between(now - time::Duration::days(150), now)
        .stream()
        .collect()
        .await;
    let [Err(e)] = items.as_slice() else {
        panic!("{items:?}")
    };
    let Error::Api(ApiError::RateLimited {
        status: 423,
        retry_after,
        body,
    }) = e
    else {
        panic!("{e:?}")
    };
    assert_eq!(*retry_after, Some(qiwi_wallet::HISTORY_LOCK));
    assert_eq!(body.error_code.as_deref(), Some("request.blocked"));
    assert!(e.is_retryable());
}

#[tokio::test]
async fn a_long_window_is_asked_for_in_windows_of_at_most_90_days_newest_first() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(HISTORY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [], "nextTxnId": null, "nextTxnDate": null
        })))
        .mount(&server)
        .await;
    let end = time::macros::datetime!(2026-12-01 12:00:00 +03:00);
    let start = end - time::Duration::days(200);
    let rows: Vec<_> = wallet(&server)
        .history()
        .between(start, end)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert!(rows.is_empty());
    let windows: Vec<(time::OffsetDateTime, time::OffsetDateTime)> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let date = |name: &str| {
                let (_, v) = r.url.query_pairs().find(|(k, _)| k == name).unwrap();
                QiwiDateTime::parse(&v).unwrap().instant().unwrap()
            };
            (date("startDate"), date("endDate"))
        })
        .collect();
    assert_eq!(windows.len(), 3, "{windows:?}");
    assert_eq!(windows[0].1, end);
    assert_eq!(windows[2].0, start);
    for (from, to) in &windows {
        assert!(*to - *from <= MAX_WINDOW);
    }
    for pair in windows.windows(2) {
        assert_eq!(pair[1].1 + time::Duration::SECOND, pair[0].0);
    }
}

#[tokio::test]
async fn an_account_with_has_balance_but_no_balance_is_read_again_once() {
    let server = MockServer::start().await;
    const ACCOUNTS: &str = "/funding-sources/v2/persons/79161122331/accounts";
    // QIWI's documented accounts (wallet-api.md §4.1), the wallet's balance missing.
    let accounts = |balance: Value| {
        json!({"accounts":[
            {"alias":"mc_beeline_rub","fsAlias":"qb_mc_beeline","bankAlias":"QIWI","title":"MC","type":{"id":"MC","title":"Счет мобильного кошелька"},"hasBalance":false,"balance":null,"currency":643},
            {"alias":"qw_wallet_rub","fsAlias":"qb_wallet","bankAlias":"QIWI","title":"WALLET","type":{"id":"WALLET","title":"QIWI Wallet"},"hasBalance":true,"balance":balance,"currency":643}
        ]})
    };
    Mock::given(method("GET"))
        .and(path(ACCOUNTS))
        .and(query_param_is_missing("alias"))
        .respond_with(ResponseTemplate::new(200).set_body_json(accounts(Value::Null)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(ACCOUNTS))
        .and(query_param("alias", "qw_wallet_rub"))
        .and(query_param("timeout", "1000"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(accounts(json!({"amount": 8.74, "currency": 643}))),
        )
        .expect(1)
        .mount(&server)
        .await;
    let read = wallet(&server).balances().await.unwrap();
    assert_eq!(read.len(), 2);
    assert_eq!(read[0].balance, None, "no balance is made up");
    assert_eq!(
        read[1].balance.as_ref().unwrap().amount.0,
        "8.74".parse().unwrap()
    );
}
