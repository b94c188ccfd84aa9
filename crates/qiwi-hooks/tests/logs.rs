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

/// A P2P receiver keyed with `secret`, and a delivery to it with a wrong signature.
struct Forged {
    receiver: Receiver,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Forged {
    fn new(secret: &str, bill: &str) -> Forged {
        let secret = P2pSecretKey::new(secret);
        let mut forged = testing::p2p(&testing::sample_p2p(bill, "PAID"), &secret);
        forged.headers[1].1 = "0".repeat(64);
        let mut headers = HeaderMap::new();
        for (k, v) in &forged.headers {
            headers.insert(*k, v.parse().unwrap());
        }
        let receiver = Receiver::new(Keys {
            p2p: Some(secret),
            ..Keys::default()
        });
        Forged {
            receiver,
            headers,
            body: forged.body,
        }
    }

    async fn send(&self) -> StatusCode {
        let handler = |_: Event| async { Ok::<(), String>(()) };
        let (method, family) = (Method::POST, Family::P2p);
        self.receiver
            .deliver(family, &method, &self.headers, None, &self.body, &handler)
            .await
            .status
    }
}

#[tokio::test]
async fn rejections_are_logged_with_their_reason_and_never_a_key() {
    let sink = sink();
    let forged = Forged::new("very-secret-key", "b-log");
    assert_eq!(forged.send().await, StatusCode::UNAUTHORIZED);
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
    let forged = Forged::new("flood-key", "b-flood");
    // Only what the flood writes is read below.
    let start = sink.0.lock().unwrap().len();
    let began = std::time::Instant::now();
    for _ in 0..20_000 {
        assert_eq!(forged.send().await, StatusCode::UNAUTHORIZED);
    }
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(forged.send().await, StatusCode::UNAUTHORIZED);
    let logged = String::from_utf8(sink.0.lock().unwrap()[start..].to_vec()).unwrap();
    let lines = logged
        .lines()
        .filter(|l| l.contains("b-flood") || l.contains("rejected"))
        .count();
    // At most ten a second, however long the flood took on this machine.
    let seconds = began.elapsed().as_secs() as usize + 2;
    assert!(
        lines <= 10 * seconds,
        "{lines} lines for 20,001 rejections in {seconds} s"
    );
    assert!(logged.contains("suppressed="), "{logged}");
    // Every rejection is either a line or counted in the next line's `suppressed=` (however
    // many seconds the flood took on a busy machine).
    let suppressed: u64 = logged
        .lines()
        .filter_map(|l| l.split("suppressed=").nth(1))
        .filter_map(|n| n.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    assert_eq!(
        suppressed + lines as u64,
        20_001,
        "the summaries count what was left out: {suppressed} suppressed, {lines} lines"
    );
}
