//! QIWI locks a wallet's history for 5 minutes after 100 history requests in a minute (HTTP
//! `423`). Four tasks streaming one wallet's history through clones of one `Wallet` share its
//! default throttle and page through it for more than a minute without meeting that lock; the
//! sandbox enforces the limit as QIWI does (an unthrottled client meets it at once).
//!
//! This test runs for about 70 seconds of real time: the limit is a minute long. It stands in
//! for qiwi-sys's own `RateLimit::wallet_history()` test, which it covers.

mod common;

use common::*;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::TryStreamExt as _;
use qiwi_wallet::{ApiError, Error, RateLimit, Wallet};

/// History requests past QIWI's 100 a minute, across all streams.
const REQUESTS: usize = 110;
/// Rows per page, and rows in the wallet: three pages per stream.
const ROWS: u32 = 10;
const TRANSFERS: usize = 25;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_concurrent_streams_share_the_throttle_and_never_meet_the_423_lock() {
    let sandbox = sandbox().await;
    let wallet = wallet_of(&sandbox);
    transfers(&wallet, TRANSFERS).await;

    let requests = Arc::new(AtomicUsize::new(0));
    let streams = (0..4).map(|_| {
        let (wallet, requests) = (wallet.clone(), requests.clone());
        tokio::spawn(async move {
            while requests.load(Ordering::SeqCst) < REQUESTS {
                let rows: Vec<_> = wallet.history().rows(ROWS).stream().try_collect().await?;
                assert_eq!(rows.len(), TRANSFERS, "every row, each stream");
                requests.fetch_add(TRANSFERS.div_ceil(ROWS as usize), Ordering::SeqCst);
            }
            Ok::<_, Error>(())
        })
    });
    for stream in futures_util::future::join_all(streams).await {
        stream
            .unwrap()
            .unwrap_or_else(|e| panic!("a stream met {e:?}"));
    }
    assert!(requests.load(Ordering::SeqCst) >= REQUESTS);

    // Without the throttle the same wallet meets the lock within a few requests: the shared
    // throttle went as close to QIWI's limit as it promises, and the sandbox counts.
    let c = sandbox.credentials();
    let unthrottled = Wallet::builder(c.wallet_token.clone(), &c.wallet_number)
        .base_url(sandbox.base_url())
        .throttle(RateLimit::new(10_000, std::time::Duration::from_secs(1)))
        .build()
        .unwrap();
    let mut locked = None;
    for _ in 0..20 {
        if let Err(e) = unthrottled.history().rows(ROWS).send().await {
            locked = Some(e);
            break;
        }
    }
    let Some(Error::Api(ApiError::RateLimited { status: 423, .. })) = locked else {
        panic!("an unthrottled burst was never locked: {locked:?}")
    };
}
