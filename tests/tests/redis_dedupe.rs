//! qiwi-hooks' `RedisStore` against a real `redis-server` (`qiwi_tests::redis`): two stores on
//! one Redis are two machines — one claim wins, a failed handler's claim is released, a handled
//! key answers `Done`, a release never undoes a `Done` — and receivers sharing it handle a
//! notification delivered to both once. With Redis stopped a delivery is answered `503` with
//! `Retry-After` and not handled; once Redis is back (persistent, as a production Redis must
//! be), QIWI's retry is handled once and what was handled before is still a duplicate.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use qiwi_core::secret::P2pSecretKey;
use qiwi_hooks::{Claim, DedupeStore, Event, Family, Keys, Outcome, Receiver, RedisStore};
use qiwi_tests::redis::RedisServer;

async fn store(redis: &RedisServer) -> RedisStore {
    RedisStore::connect(&redis.url())
        .await
        .unwrap()
        .with_prefix("test")
        .with_lease(Duration::from_millis(300))
}

#[tokio::test]
async fn two_machines_share_claims_and_handled_keys() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let (a, b) = (store(&redis).await, store(&redis).await);
    assert_eq!(a.claim(Family::P2p, "bill-1").await, Claim::New);
    assert_eq!(b.claim(Family::P2p, "bill-1").await, Claim::InProgress);
    // The families are apart.
    assert_eq!(b.claim(Family::Wallet, "bill-1").await, Claim::New);
    // A failed handler releases: the retry is handled on any machine.
    a.release(Family::P2p, "bill-1").await;
    assert_eq!(b.claim(Family::P2p, "bill-1").await, Claim::New);
    b.complete(Family::P2p, "bill-1").await;
    assert_eq!(a.claim(Family::P2p, "bill-1").await, Claim::Done);
    // A late release of a handled key changes nothing.
    a.release(Family::P2p, "bill-1").await;
    assert_eq!(a.claim(Family::P2p, "bill-1").await, Claim::Done);
    // A claim nobody finishes ends with its lease; its late release does not undo the claim
    // another machine made since, so a third cannot take it while the second handles it.
    assert_eq!(a.claim(Family::Payin, "pay-1").await, Claim::New);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(b.claim(Family::Payin, "pay-1").await, Claim::New);
    a.release(Family::Payin, "pay-1").await;
    let c = store(&redis).await;
    assert_eq!(c.claim(Family::Payin, "pay-1").await, Claim::InProgress);
    // A store releases only what it claimed.
    c.release(Family::Payin, "pay-1").await;
    assert_eq!(a.claim(Family::Payin, "pay-1").await, Claim::InProgress);
    // A hold keeps a key claimed for its delay only.
    b.hold(Family::Payin, "pay-2", Duration::from_millis(200))
        .await;
    assert_eq!(a.claim(Family::Payin, "pay-2").await, Claim::InProgress);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(a.claim(Family::Payin, "pay-2").await, Claim::New);
}

fn signed(bill_id: &str, secret: &P2pSecretKey) -> (http::HeaderMap, Vec<u8>) {
    let req = qiwi_hooks::testing::p2p(&qiwi_hooks::testing::sample_p2p(bill_id, "PAID"), secret);
    let mut headers = http::HeaderMap::new();
    for (k, v) in &req.headers {
        headers.insert(*k, v.parse().unwrap());
    }
    (headers, req.body)
}

#[tokio::test]
async fn receivers_on_one_redis_handle_once_and_answer_retryably_while_it_is_down() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let secret = P2pSecretKey::new("test-secret");
    let keys = || Keys {
        p2p: Some(secret.clone()),
        ..Keys::default()
    };
    let receivers = [
        Receiver::new(keys()).with_store(store(&redis).await),
        Receiver::new(keys()).with_store(store(&redis).await),
    ];
    let handled = Arc::new(AtomicUsize::new(0));
    let handler = {
        let handled = handled.clone();
        move |_: Event| {
            let handled = handled.clone();
            async move {
                handled.fetch_add(1, Ordering::SeqCst);
                Ok::<(), String>(())
            }
        }
    };
    let deliver = |receiver: &Receiver<RedisStore>, bill: &str| {
        let (headers, body) = signed(bill, &secret);
        let (receiver, handler) = (receiver.clone(), handler.clone());
        async move {
            receiver
                .deliver(
                    Family::P2p,
                    &http::Method::POST,
                    &headers,
                    None,
                    &body,
                    &handler,
                )
                .await
        }
    };

    // The same notification to both machines, three times each, concurrently.
    let replies =
        futures_util::future::join_all((0..6).map(|i| deliver(&receivers[i % 2], "bill-once")))
            .await;
    assert_eq!(handled.load(Ordering::SeqCst), 1, "{replies:?}");
    assert!(replies.iter().any(|r| r.outcome == Outcome::Handled));

    // Redis goes away: answered 503 with Retry-After, the handler not called.
    redis.stop();
    let down = deliver(&receivers[0], "bill-during-outage").await;
    assert_eq!(down.status, 503, "{:?}", down.outcome);
    assert_eq!(down.outcome, Outcome::StoreUnavailable);
    assert!(down.headers.iter().any(|(k, _)| k == "retry-after"));
    assert_eq!(handled.load(Ordering::SeqCst), 1);

    // Back, with what it had written: QIWI's retry is handled once, a repeat is a duplicate,
    // and the notification handled before the outage is still known.
    redis.restart();
    let mut retried = deliver(&receivers[1], "bill-during-outage").await;
    for _ in 0..50 {
        if retried.outcome != Outcome::StoreUnavailable {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        retried = deliver(&receivers[1], "bill-during-outage").await;
    }
    assert_eq!(retried.outcome, Outcome::Handled, "{retried:?}");
    let again = deliver(&receivers[0], "bill-during-outage").await;
    assert_eq!(again.outcome, Outcome::Duplicate);
    let before = deliver(&receivers[0], "bill-once").await;
    assert_eq!(
        before.outcome,
        Outcome::Duplicate,
        "persisted across the restart"
    );
    assert_eq!(handled.load(Ordering::SeqCst), 2);
}
