//! `incoming()` against the sandbox while payments keep arriving: stopped and started again
//! with the same checkpoint store, it yields every payment once and misses none.

use std::collections::BTreeSet;
use std::time::Duration;

use futures_util::StreamExt as _;
use qiwi_wallet::{Amount, MemoryCheckpoints, Wallet, WalletToken};

const PAYMENTS: usize = 24;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incoming_resumed_after_a_restart_yields_each_payment_once_and_misses_none() {
    let sandbox = qiwi_sandbox::start(qiwi_sandbox::Config::default())
        .await
        .unwrap();
    let c = sandbox.credentials();
    let payer = Wallet::builder(c.wallet_token.clone(), &c.wallet_number)
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let payee = Wallet::builder(
        WalletToken::new("sandbox-counterpart-token").unwrap(),
        qiwi_sandbox::COUNTERPART_WALLET,
    )
    .base_url(sandbox.base_url())
    .build()
    .unwrap();
    let to = format!("+{}", qiwi_sandbox::COUNTERPART_WALLET);

    // A payment made before the stream starts is not new.
    payer
        .pay_to_wallet(&to, "7".parse().unwrap())
        .send()
        .await
        .unwrap();

    let store = MemoryCheckpoints::default();
    let paying = tokio::spawn({
        let payer = payer.clone();
        let to = to.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            for _ in 0..PAYMENTS {
                payer
                    .pay_to_wallet(&to, "1".parse::<Amount>().unwrap())
                    .send()
                    .await
                    .unwrap();
                tokio::time::sleep(Duration::from_millis(40)).await;
            }
        }
    });

    let read = |wanted: usize| {
        let payee = payee.clone();
        let store = store.clone();
        async move {
            let stream = payee
                .incoming()
                .interval(Duration::from_millis(100))
                .store(store)
                .stream()
                .take(wanted);
            let rows: Vec<_> = tokio::time::timeout(Duration::from_secs(60), stream.collect())
                .await
                .expect("the payments arrive");
            rows.into_iter()
                .map(|r| r.unwrap())
                .collect::<Vec<qiwi_wallet::Transaction>>()
        }
    };
    // The first run stops part-way (a restart); the second goes on from its checkpoint.
    let first = read(PAYMENTS / 3).await;
    let second = read(PAYMENTS - PAYMENTS / 3).await;
    paying.await.unwrap();

    let ids: Vec<i64> = first
        .iter()
        .chain(&second)
        .map(|t| t.txn_id.unwrap())
        .collect();
    let distinct: BTreeSet<i64> = ids.iter().copied().collect();
    assert_eq!(distinct.len(), PAYMENTS, "no payment twice: {ids:?}");
    for t in first.iter().chain(&second) {
        assert_eq!(
            t.sum.as_ref().unwrap().amount.0,
            "1".parse().unwrap(),
            "not the earlier 7 RUB"
        );
    }
    // Oldest first, across the restart.
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);

    // Nothing more is new: a third run finds nothing within a few polls.
    let third = payee
        .incoming()
        .interval(Duration::from_millis(200))
        .store(store.clone())
        .stream();
    let mut third = std::pin::pin!(third);
    let more = tokio::time::timeout(Duration::from_secs(2), third.next()).await;
    assert!(more.is_err(), "nothing new: {more:?}");
}
