//! QIWI locks a wallet's history for 5 minutes after 100 history requests in a minute (HTTP
//! `423`). A client with `RateLimit::wallet_history()` pages through it for longer than a
//! minute without meeting that lock; the sandbox enforces the limit as QIWI does.
//!
//! This test runs for about 70 seconds of real time: the limit is a minute long.

use futures_util::StreamExt as _;
use qiwi_core::QiwiDateTime;
use qiwi_sys::error::{ApiError, Classify as _};
use qiwi_sys::transport::{RateLimit, pages};
use qiwi_sys::wallet;

/// Requests past QIWI's 100 a minute.
const REQUESTS: usize = 110;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_history_export_never_meets_the_423_lock() {
    let sandbox = qiwi_sandbox::start(qiwi_sandbox::Config::default())
        .await
        .unwrap();
    let c = sandbox.credentials();
    let client = wallet::Client::builder(c.wallet_token.clone())
        .base_url(sandbox.base_url())
        .throttle(RateLimit::wallet_history())
        .build()
        .unwrap();
    let number = c.wallet_number.clone();

    // The history stream, restarted from the top each time it ends, for REQUESTS pages.
    let mut answered = 0;
    while answered < REQUESTS {
        let stream = pages(|cursor: Option<(QiwiDateTime, i64)>| {
            let mut request = client
                .get_payment_history()
                .wallet(number.as_str())
                .rows(50u32);
            if let Some((date, id)) = cursor {
                request = request.next_txn_date(date).next_txn_id(id);
            }
            async move {
                let page = request.send().await.classify()?;
                let next = page
                    .next_txn_date
                    .zip(page.next_txn_id)
                    .map(|(date, id)| (QiwiDateTime::from_wire(date), id));
                Ok::<_, ApiError>((page.data.len(), next))
            }
        });
        let mut stream = std::pin::pin!(stream);
        while let Some(page) = stream.next().await {
            if let Err(e) = page {
                panic!("request {} of {REQUESTS}: {e}", answered + 1);
            }
            answered += 1;
        }
    }

    // The same wallet without the throttle meets the lock within a few requests: the
    // throttled client went as close to QIWI's limit as it promises, and the sandbox counts.
    let unthrottled = wallet::Client::builder(c.wallet_token.clone())
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let mut locked = None;
    for sent in 1..=20 {
        let answer = unthrottled
            .get_payment_history()
            .wallet(number.as_str())
            .rows(50u32)
            .send()
            .await
            .classify();
        if let Err(e) = answer {
            locked = Some((sent, e));
            break;
        }
    }
    let Some((sent, ApiError::RateLimited { status: 423, .. })) = locked else {
        panic!("an unthrottled burst was never locked: {locked:?}")
    };
    assert!(sent <= 11, "locked after {sent} more requests");
}
