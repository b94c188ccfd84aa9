//! The payer's page in a real browser: headless Chromium, driven over W3C WebDriver by
//! chromedriver (Debian's `chromium` and `chromium-driver`, which `.ci/run` installs), opens a
//! bill's `payUrl`, shows the bill, clicks Pay and follows `successUrl`; the bill is then `PAID`
//! through the client and its notification reaches a qiwi-hooks receiver, verified.
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
use serde_json::{Value, json};

/// The key W3C WebDriver names an element by.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The browser and its driver, from `QIWI_CHROMIUM`/`QIWI_CHROMEDRIVER` or Debian's paths.
fn browser() -> Option<(String, String)> {
    let find = |var: &str, default: &str| {
        let path = std::env::var(var).unwrap_or_else(|_| default.to_owned());
        std::path::Path::new(&path).exists().then_some(path)
    };
    let found = find("QIWI_CHROMIUM", "/usr/bin/chromium")
        .zip(find("QIWI_CHROMEDRIVER", "/usr/bin/chromedriver"));
    if found.is_none() {
        let hint = "Chromium and chromedriver are missing: apt-get install chromium chromium-driver \
                    (.ci/run installs them)";
        assert!(std::env::var_os("CI").is_none(), "{hint}");
        eprintln!("skipped: {hint}");
    }
    found
}

/// A child process ended with the test, however it ends.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One WebDriver session.
struct Session {
    http: reqwest::Client,
    url: String,
}

impl Session {
    async fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        assert!(
            answer["value"].get("error").is_none(),
            "WebDriver {path}: {answer}"
        );
        answer["value"].clone()
    }

    async fn go(&self, url: &str) {
        self.command(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    async fn current_url(&self) -> String {
        let url = self.command(reqwest::Method::GET, "/url", None).await;
        url.as_str().unwrap().to_owned()
    }

    /// The page's address once it is no longer `from`: a click's navigation may still be
    /// under way when the click command returns.
    async fn url_after(&self, from: &str) -> String {
        for _ in 0..200 {
            let url = self.current_url().await;
            if url != from {
                return url;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("still on {from} after 10 s")
    }

    async fn find(&self, css: &str) -> String {
        let found = self
            .command(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        found[ELEMENT].as_str().unwrap().to_owned()
    }

    async fn text(&self, css: &str) -> String {
        let element = self.find(css).await;
        let text = self
            .command(
                reqwest::Method::GET,
                &format!("/element/{element}/text"),
                None,
            )
            .await;
        text.as_str().unwrap().to_owned()
    }

    async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await;
    }
}

#[tokio::test]
async fn a_payer_pays_a_bill_on_the_page_in_headless_chromium() {
    let Some((chromium, chromedriver)) = browser() else {
        return;
    };

    // A qiwi-hooks receiver that records what it verified.
    let seen = Arc::new(Mutex::new(Vec::new()));
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
    let expiry =
        qiwi_core::QiwiDateTime::from(time::OffsetDateTime::now_utc() + time::Duration::hours(1));
    let request: p2p::types::CreateBillRequest = serde_json::from_value(json!({
        "amount": {"value": "149.90", "currency": "RUB"}, "comment": "Order 42: two tickets",
        "expirationDateTime": expiry.as_str()
    }))
    .unwrap();
    let bill = client
        .create_bill()
        .bill_id("browser-1")
        .body(request)
        .send()
        .await
        .classify()
        .unwrap();
    let pay_url = bill.pay_url.unwrap();
    let uid = pay_url.split("invoice_uid=").nth(1).unwrap().to_owned();
    // After paying, the page sends the payer on to the merchant: here, the bill's own page.
    let success = format!("{}/form/?invoice_uid={uid}", sandbox.base_url());
    let success_encoded: String = url_encode(&success);

    // chromedriver on a free port, gone when the test ends.
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let _driver = Killed(
        std::process::Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let http = reqwest::Client::new();
    let driver = format!("http://127.0.0.1:{port}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let ready = http.get(format!("{driver}/status")).send().await;
        if let Ok(r) = ready
            && r.json::<Value>().await.unwrap()["value"]["ready"] == true
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "chromedriver did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let profile = std::env::temp_dir().join(format!("qiwi-sandbox-chromium-{port}"));
    let capabilities = json!({"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "goog:chromeOptions": {"binary": chromium, "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", format!("--user-data-dir={}", profile.display()),
        ]}
    }}});
    let created: Value = http
        .post(format!("{driver}/session"))
        .json(&capabilities)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["value"]["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no browser session: {created}"))
        .to_owned();
    let session = Session {
        http: http.clone(),
        url: format!("{driver}/session/{id}"),
    };

    session
        .go(&format!("{pay_url}&successUrl={success_encoded}"))
        .await;
    let shown = session.text("body").await;
    assert!(shown.contains("149.90"), "{shown}");
    assert!(shown.contains("Order 42: two tickets"), "{shown}");
    let form = session.current_url().await;
    session.click("#pay").await;
    assert_eq!(session.url_after(&form).await, success, "on to successUrl");
    let after = session.text("body").await;
    assert!(after.contains("PAID"), "{after}");
    session.command(reqwest::Method::DELETE, "", None).await;
    let _ = std::fs::remove_dir_all(&profile);

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

/// Percent-encodes everything but unreserved characters, for a URL inside a query.
fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
