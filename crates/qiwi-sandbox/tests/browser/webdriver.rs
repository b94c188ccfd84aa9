//! Headless Chromium over W3C WebDriver (chromedriver), for the sandbox's page tests.

use std::time::Duration;

use serde_json::{Value, json};

/// The key W3C WebDriver names an element by.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The browser and its driver, from `QIWI_CHROMIUM`/`QIWI_CHROMEDRIVER` or Debian's paths.
///
/// Where they are not installed the test says so and passes, except under CI (`CI` set), where
/// a missing browser is a failure: CI must never skip it silently.
pub fn browser() -> Option<(String, String)> {
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

/// One WebDriver session in its own chromedriver and profile, gone when dropped.
pub struct Session {
    http: reqwest::Client,
    url: String,
    profile: std::path::PathBuf,
    _driver: Killed,
}

impl Session {
    /// Starts chromedriver on a free port and a headless Chromium session in it.
    pub async fn start(chromium: &str, chromedriver: &str) -> Session {
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let driver = Killed(
            std::process::Command::new(chromedriver)
                .arg(format!("--port={port}"))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap(),
        );
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let ready = http.get(format!("{base}/status")).send().await;
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
                "--disable-dev-shm-usage", "--window-size=1280,1000",
                format!("--user-data-dir={}", profile.display()),
            ]}
        }}});
        let created: Value = http
            .post(format!("{base}/session"))
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
        Session {
            http,
            url: format!("{base}/session/{id}"),
            profile,
            _driver: driver,
        }
    }

    pub async fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        self.try_command(method, path, body)
            .await
            .unwrap_or_else(|answer| panic!("WebDriver {path}: {answer}"))
    }

    /// A command whose WebDriver error is the caller's to judge (a page reloading under it
    /// makes its elements stale).
    async fn try_command(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, Value> {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        match answer["value"].get("error") {
            None => Ok(answer["value"].clone()),
            Some(_) => Err(answer),
        }
    }

    pub async fn go(&self, url: &str) {
        self.command(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    pub async fn current_url(&self) -> String {
        let url = self.command(reqwest::Method::GET, "/url", None).await;
        url.as_str().unwrap().to_owned()
    }

    /// The page's address once it is no longer `from`: a click's navigation may still be
    /// under way when the click command returns.
    pub async fn url_after(&self, from: &str) -> String {
        for _ in 0..200 {
            let url = self.current_url().await;
            if url != from {
                return url;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("still on {from} after 10 s")
    }

    /// The elements `css` matches now (none, or a page between loads, is not an error).
    pub async fn find_all(&self, css: &str) -> Vec<String> {
        let Ok(found) = self
            .try_command(
                reqwest::Method::POST,
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await
        else {
            return Vec::new();
        };
        found
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e[ELEMENT].as_str().unwrap().to_owned())
            .collect()
    }

    /// The element `css` matches, waiting up to 10 s for it (a page may be reloading).
    pub async fn find(&self, css: &str) -> String {
        for _ in 0..200 {
            if let Some(e) = self.find_all(css).await.into_iter().next() {
                return e;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no element {css} after 10 s")
    }

    pub async fn text(&self, css: &str) -> String {
        for _ in 0..50 {
            if let Some(text) = self.try_text(css).await {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("no text of {css} after 10 s")
    }

    /// The text of `css`, or `None` when it is not there or went stale while read.
    async fn try_text(&self, css: &str) -> Option<String> {
        let element = self.find_all(css).await.into_iter().next()?;
        let text = self
            .try_command(
                reqwest::Method::GET,
                &format!("/element/{element}/text"),
                None,
            )
            .await
            .ok()?;
        Some(text.as_str().unwrap_or_default().to_owned())
    }

    /// Waits up to 10 s for the text of `css` to satisfy `wanted`, reloading the page between
    /// looks when `reload` (the dashboard shows state as of its load).
    pub async fn wait_text(
        &self,
        css: &str,
        reload: bool,
        wanted: impl Fn(&str) -> bool,
    ) -> String {
        let mut last = String::new();
        for _ in 0..50 {
            match self.try_text(css).await {
                None => last = format!("(no {css})"),
                Some(text) if wanted(&text) => return text,
                Some(text) => last = text,
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            if reload {
                self.command(reqwest::Method::POST, "/refresh", Some(json!({})))
                    .await;
            }
        }
        panic!("{css} still reads {last:?} after 10 s")
    }

    /// Clicks `css`, finding it again when the page reloaded under the first find (a stale
    /// element is never clicked, so trying again cannot click twice).
    pub async fn click(&self, css: &str) {
        let mut last = Value::Null;
        for _ in 0..50 {
            let element = self.find(css).await;
            match self
                .try_command(
                    reqwest::Method::POST,
                    &format!("/element/{element}/click"),
                    Some(json!({})),
                )
                .await
            {
                Ok(_) => return,
                Err(answer) if answer["value"]["error"] == "stale element reference" => {
                    last = answer;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(answer) => panic!("WebDriver click {css}: {answer}"),
            }
        }
        panic!("{css} stayed stale: {last}")
    }

    /// Saves a PNG of the window into `$QIWI_SCREENSHOTS/<name>.png` when that is set.
    pub async fn screenshot(&self, name: &str) {
        let Some(dir) = std::env::var_os("QIWI_SCREENSHOTS") else {
            return;
        };
        use base64::Engine as _;
        let png = self
            .command(reqwest::Method::GET, "/screenshot", None)
            .await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            std::path::Path::new(&dir).join(format!("{name}.png")),
            bytes,
        )
        .unwrap();
    }

    /// Ends the browser session and removes its profile.
    pub async fn end(self) {
        self.command(reqwest::Method::DELETE, "", None).await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Percent-encodes everything but unreserved characters, for a URL inside a query.
pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
