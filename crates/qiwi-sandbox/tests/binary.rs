//! The `qiwi-sandbox` binary's contract: one JSON line on stdout once it answers.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn the_binary_prints_one_ready_line_with_its_url_and_credentials() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_qiwi-sandbox"))
        .args(["--listen", "127.0.0.1:0", "--p2p-secret", "my-own-secret"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: serde_json::Value = serde_json::from_str(&line).unwrap();
    let base_url = ready["base_url"].as_str().unwrap().to_owned();
    assert_eq!(ready["credentials"]["p2p_secret"], "my-own-secret");
    assert_eq!(ready["credentials"]["wallet_token"], "sandbox-wallet-token");
    let defaults: Vec<&str> = ready["sandbox_only_credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(defaults.contains(&"wallet_token") && !defaults.contains(&"p2p_secret"));
    assert_eq!(
        ready["apis"],
        serde_json::json!(["p2p", "payin", "payout", "wallet"])
    );
    // It answers at once, with the secret it was given.
    let answer = reqwest::Client::new()
        .get(format!("{base_url}/partner/bill/v1/bills/none"))
        .bearer_auth("my-own-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 404);
    // The dashboard the line names is a page.
    let dashboard = ready["dashboard"].as_str().unwrap();
    assert_eq!(dashboard, format!("{base_url}/"));
    let page = reqwest::get(dashboard).await.unwrap();
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    assert!(page.text().await.unwrap().contains("id=\"callbacks\""));
    child.kill().unwrap();
    let _ = child.wait();
}

#[test]
fn bad_flags_exit_2_with_the_reason() {
    let out = Command::new(env!("CARGO_BIN_EXE_qiwi-sandbox"))
        .args(["--time-scale", "-1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--time-scale"));
    let out = Command::new(env!("CARGO_BIN_EXE_qiwi-sandbox"))
        .args(["--notify-p2p", "ftp://x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    for bad in ["+79001112233", "79000000002", "123"] {
        let out = Command::new(env!("CARGO_BIN_EXE_qiwi-sandbox"))
            .args(["--wallet-number", bad])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_qiwi-sandbox"))
        .args(["--payout-public-key", "/nonexistent/key.pem"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--payout-public-key"));
}
