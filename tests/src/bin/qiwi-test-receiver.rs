//! A P2P notification receiver process for the multi-process tests (`tests/redis_receivers.rs`):
//! a qiwi-hooks receiver with its deduplication in the Redis at `REDIS_URL`, keyed with
//! `QIWI_P2P_SECRET`, on a free port of 127.0.0.1. Prints `listening <addr>` first, then
//! `handled <bill id>` for each notification its handler handled. With `FAIL_EVERY=n` the
//! handler fails every n-th call (QIWI then retries it); `LEASE_MS` sets the store's lease.
//! For the load benchmark: `STORE=memory` keeps deduplication in the process instead, and
//! `QUIET=1` prints nothing per notification.

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use qiwi_core::secret::P2pSecretKey;
use qiwi_hooks::{Event, Keys, Receiver, RedisStore};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"));
    let quiet = std::env::var_os("QUIET").is_some();
    let fail_every: u64 = std::env::var("FAIL_EVERY")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let keys = Keys {
        p2p: Some(P2pSecretKey::new(var("QIWI_P2P_SECRET"))),
        ..Keys::default()
    };
    let calls = Arc::new(AtomicU64::new(0));
    let handler = move |event: Event| {
        let calls = calls.clone();
        async move {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            if fail_every > 0 && n.is_multiple_of(fail_every) {
                return Err("injected failure");
            }
            if !quiet {
                let mut out = std::io::stdout().lock();
                writeln!(out, "handled {}", event.id()).expect("stdout");
                out.flush().expect("stdout");
            }
            Ok(())
        }
    };
    let router = if std::env::var("STORE").as_deref() == Ok("memory") {
        Receiver::new(keys).router(handler)
    } else {
        let store = RedisStore::connect(&var("REDIS_URL"))
            .await
            .expect("Redis answers")
            .with_prefix("receivers-test");
        let store = match std::env::var("LEASE_MS").ok().and_then(|n| n.parse().ok()) {
            Some(ms) => store.with_lease(std::time::Duration::from_millis(ms)),
            None => store,
        };
        Receiver::new(keys).with_store(store).router(handler)
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    println!("listening {}", listener.local_addr().expect("an address"));
    std::io::stdout().flush().expect("stdout");
    qiwi_hooks::serve(listener, router).await.expect("serves");
}
