//! What the sandbox's tests share.

use qiwi_sandbox::RunningSandbox;

/// `POST`s `body` (JSON or empty) to one of the sandbox's controls under `/sandbox/`.
pub async fn control(sandbox: &RunningSandbox, path: &str, body: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}{path}", sandbox.base_url()))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}
