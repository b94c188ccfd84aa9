//! What the receiver logs. Alone in its test binary: it installs the process's global
//! subscriber, which scoped subscribers in parallel tests would race with.

use std::sync::{Arc, Mutex};

use http::{HeaderMap, Method, StatusCode};
use qiwi_core::secret::P2pSecretKey;
use qiwi_hooks::{Event, Family, Keys, Receiver, testing};

#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The process's one subscriber, writing into one sink.
fn sink() -> &'static Sink {
    static SINK: std::sync::OnceLock<Sink> = std::sync::OnceLock::new();
    SINK.get_or_init(|| {
        let sink = Sink::default();
        let writer = sink.clone();
        tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .init();
        sink
    })
}

#[tokio::test]
async fn rejections_are_logged_with_their_reason_and_never_a_key() {
    let sink = sink();
    let secret = P2pSecretKey::new("very-secret-key");
    let receiver = Receiver::new(Keys {
        p2p: Some(secret.clone()),
        ..Keys::default()
    });
    let mut forged = testing::p2p(&testing::sample_p2p("b-log", "PAID"), &secret);
    forged.headers[1].1 = "0".repeat(64);
    let mut headers = HeaderMap::new();
    for (k, v) in &forged.headers {
        headers.insert(*k, v.parse().unwrap());
    }
    let handler = |_: Event| async { Ok::<(), String>(()) };
    let reply = receiver
        .deliver(
            Family::P2p,
            &Method::POST,
            &headers,
            None,
            &forged.body,
            &handler,
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let logged = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    assert!(
        logged.contains("qiwi notification rejected")
            && logged.contains("does not match")
            && logged.contains("p2p"),
        "{logged}"
    );
    assert!(!logged.contains("very-secret-key"), "{logged}");
    a_flood_of_rejections_is_sampled_not_written_whole().await;
}

/// Run after the test above, in the same test: the sampler is the process's.
async fn a_flood_of_rejections_is_sampled_not_written_whole() {
    let sink = sink();
    let receiver = Receiver::new(Keys {
        p2p: Some(P2pSecretKey::new("flood-key")),
        ..Keys::default()
    });
    let mut forged = testing::p2p(
        &testing::sample_p2p("b-flood", "PAID"),
        &P2pSecretKey::new("x"),
    );
    forged.headers[1].1 = "1".repeat(64);
    let mut headers = HeaderMap::new();
    for (k, v) in &forged.headers {
        headers.insert(*k, v.parse().unwrap());
    }
    let handler = |_: Event| async { Ok::<(), String>(()) };
    for _ in 0..20_000 {
        let reply = receiver
            .deliver(
                Family::P2p,
                &Method::POST,
                &headers,
                None,
                &forged.body,
                &handler,
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let reply = receiver
        .deliver(
            Family::P2p,
            &Method::POST,
            &headers,
            None,
            &forged.body,
            &handler,
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let logged = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    let lines = logged
        .lines()
        .filter(|l| l.contains("b-flood") || l.contains("rejected"))
        .count();
    // At most ten a second.
    assert!(lines <= 40, "{lines} lines for 20,001 rejections");
    assert!(logged.contains("suppressed="), "{logged}");
    let most = logged
        .lines()
        .filter_map(|l| l.split("suppressed=").nth(1))
        .filter_map(|n| n.split_whitespace().next()?.parse::<u64>().ok())
        .max()
        .unwrap_or(0);
    assert!(
        most >= 19_000,
        "the summary counts what was left out: {most}"
    );
}
