//! The sandbox's pages in a real browser: headless Chromium, driven over W3C WebDriver by
//! chromedriver (Debian's `chromium` and `chromium-driver`, which `.ci/run` installs), opens a
//! bill's `payUrl`, shows the bill, clicks Pay and follows `successUrl`; the bill is then `PAID`
//! through the client and its notification reaches a qiwi-hooks receiver, verified.
//!
//! The dashboard the same way: a bill paid with its button, a callback resent and its second
//! attempt shown, the clock advanced; text from bills and callbacks shown as text, never markup.
//!
//! Where the browser is not installed the test says so and passes, except under CI (`CI` set),
//! where a missing browser is a failure: CI must never skip it silently.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use qiwi_core::p2p::BillStatusValue;
use qiwi_core::secret::P2pSecretKey;
use qiwi_sandbox::Config;
use qiwi_sys::error::Classify as _;
use qiwi_sys::p2p;
use serde_json::json;

#[path = "browser/webdriver.rs"]
mod webdriver;

use webdriver::{Session, browser, url_encode};

#[tokio::test]
async fn a_payer_pays_a_bill_on_the_page_in_headless_chromium() {
    let Some((chromium, chromedriver)) = browser() else {
        return;
    };

    let world = World::start().await;
    let (seen, sandbox, client) = (&world.seen, &world.sandbox, &world.client);
    let bill = world.bill("browser-1", "Order 42: two tickets").await;
    let pay_url = bill.pay_url.unwrap();
    let uid = pay_url.split("invoice_uid=").nth(1).unwrap().to_owned();
    // After paying, the page sends the payer on to the merchant: here, the bill's own page.
    let success = format!("{}/form/?invoice_uid={uid}", sandbox.base_url());
    let success_encoded: String = url_encode(&success);

    let session = Session::start(&chromium, &chromedriver).await;
    session
        .go(&format!("{pay_url}&successUrl={success_encoded}"))
        .await;
    let shown = session.text("body").await;
    assert!(shown.contains("149.90"), "{shown}");
    assert!(shown.contains("Order 42: two tickets"), "{shown}");
    // QIWI's pay sources by name, the wallet preselected.
    for source in ["QIWI Wallet", "Bank card", "Mobile phone balance"] {
        assert!(shown.contains(source), "{source}: {shown}");
    }
    session.screenshot("payer-page").await;
    let form = session.current_url().await;
    session.click("#pay").await;
    assert_eq!(session.url_after(&form).await, success, "on to successUrl");
    let after = session.text("body").await;
    assert!(after.contains("PAID"), "{after}");
    session.end().await;

    let read = client
        .get_bill()
        .bill_id("browser-1")
        .send()
        .await
        .classify()
        .unwrap();
    assert_eq!(read.status.value, BillStatusValue::Paid);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while seen.lock().unwrap().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            sandbox.callbacks()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        *seen.lock().unwrap(),
        vec![("browser-1".to_owned(), "PAID".to_owned(), true)]
    );
}

/// Verified notifications as a receiver saw them: (id, status, status authenticated).
type Seen = Arc<Mutex<Vec<(String, String, bool)>>>;

/// A sandbox whose P2P notifications go to a qiwi-hooks receiver, and a client of it.
struct World {
    seen: Seen,
    sandbox: qiwi_sandbox::RunningSandbox,
    client: p2p::Client,
}

impl World {
    async fn start() -> World {
        let seen: Seen = Arc::default();
        let seen2 = seen.clone();
        let keys = qiwi_hooks::Keys {
            p2p: Some(P2pSecretKey::new(qiwi_sandbox::config::DEFAULT_P2P_SECRET)),
            ..qiwi_hooks::Keys::default()
        };
        let router = qiwi_hooks::Receiver::new(keys).router(move |event: qiwi_hooks::Event| {
            let seen = seen2.clone();
            async move {
                seen.lock().unwrap().push((
                    event.id(),
                    event.status(),
                    event.status_is_authenticated(),
                ));
                Ok::<_, std::io::Error>(())
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver_url = format!("http://{}/p2p", listener.local_addr().unwrap());
        tokio::spawn(qiwi_hooks::serve(listener, router));
        let sandbox = qiwi_sandbox::start(Config {
            notify_p2p: Some(receiver_url),
            ..Config::default()
        })
        .await
        .unwrap();
        let client = p2p::Client::builder(sandbox.credentials().p2p_secret.clone())
            .base_url(sandbox.base_url())
            .build()
            .unwrap();
        World {
            seen,
            sandbox,
            client,
        }
    }

    /// A waiting bill of 149.90 RUB, payable for an hour.
    async fn bill(&self, id: &str, comment: &str) -> p2p::types::Bill {
        let expiry = qiwi_core::QiwiDateTime::from(
            time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        );
        let request: p2p::types::CreateBillRequest = serde_json::from_value(json!({
            "amount": {"value": "149.90", "currency": "RUB"}, "comment": comment,
            "expirationDateTime": expiry.as_str()
        }))
        .unwrap();
        self.client
            .create_bill()
            .bill_id(id)
            .body(request)
            .send()
            .await
            .classify()
            .unwrap()
    }
}

#[tokio::test]
async fn the_dashboard_pays_a_bill_resends_a_callback_and_moves_the_clock() {
    // Without a browser, the page's own promises still hold: no external asset, a policy
    // that runs only the sandbox's script, markup from a bill shown as text.
    let world = World::start().await;
    let hostile = "<img src=x onerror=alert(1)> & \"quotes\"";
    world.bill("dash-1", hostile).await;
    let base = world.sandbox.base_url().to_owned();
    let page = reqwest::get(format!("{base}/")).await.unwrap();
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    let html = page.text().await.unwrap();
    assert!(!html.contains("<img src=x"), "{html}");
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{html}"
    );
    for attribute in ["src=\"", "href=\""] {
        for (at, _) in html.match_indices(attribute) {
            let target = &html[at + attribute.len()..];
            assert!(
                target.starts_with('/'),
                "an external asset: {}",
                &target[..40.min(target.len())]
            );
        }
    }
    let Some((chromium, chromedriver)) = browser() else {
        return;
    };
    let session = Session::start(&chromium, &chromedriver).await;
    session.go(&format!("{base}/")).await;
    let row = "tr[data-bill=\"dash-1\"]";
    let shown = session.text(row).await;
    assert!(
        shown.contains("WAITING") && shown.contains("149.90 RUB"),
        "{shown}"
    );
    assert!(shown.contains(hostile), "the comment as text: {shown}");

    // Pay it with its button: the page reloads with the bill PAID, and the receiver verifies
    // the notification.
    session
        .click(&format!("{row} button[data-action=\"pay\"]"))
        .await;
    session.wait_text(row, false, |t| t.contains("PAID")).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while world.seen.lock().unwrap().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            world.sandbox.callbacks()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let delivery = world.sandbox.callbacks().pop().unwrap();
    let callback = format!("tr[data-callback=\"{}\"]", delivery.id);
    let attempts = format!("{callback} ol.attempts li");
    session
        .wait_text(&callback, true, |t| t.contains("acknowledged"))
        .await;
    assert_eq!(session.find_all(&attempts).await.len(), 1);
    session.screenshot("dashboard").await;

    // Resend it: the second attempt, acknowledged again (the receiver dedupes it), is shown.
    session
        .click(&format!("{callback} button[data-action=\"resend\"]"))
        .await;
    for _ in 0..50 {
        if session.find_all(&attempts).await.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        session
            .command(reqwest::Method::POST, "/refresh", Some(json!({})))
            .await;
    }
    assert_eq!(
        session.find_all(&attempts).await.len(),
        2,
        "{:?}",
        world.sandbox.callbacks()
    );
    let second = session
        .text(&format!("{callback} ol.attempts li:nth-child(2)"))
        .await;
    assert!(second.contains("HTTP 200"), "{second}");
    assert_eq!(world.sandbox.callbacks().pop().unwrap().attempts.len(), 2);
    assert_eq!(world.seen.lock().unwrap().len(), 1, "handled once");
    let scroll = "document.getElementById('callbacks').scrollIntoView()";
    session
        .command(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": scroll, "args": []})),
        )
        .await;
    session.screenshot("dashboard-callbacks").await;

    // Advance the clock by an hour from the page.
    let before = session.text("#clock").await;
    session.click("#advance").await;
    let after = session.wait_text("#clock", false, |t| t != before).await;
    let read = |t: &str| {
        qiwi_core::QiwiDateTime::parse(t)
            .unwrap()
            .instant()
            .unwrap()
    };
    assert!(
        read(&after) - read(&before) >= time::Duration::hours(1),
        "{before} → {after}"
    );

    // Reset: every section empty again.
    session.click("#reset").await;
    session
        .wait_text("#bills", false, |t| t.contains("None yet"))
        .await;
    assert!(world.sandbox.callbacks().is_empty());
    session.end().await;
}
