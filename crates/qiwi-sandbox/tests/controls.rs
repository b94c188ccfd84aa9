//! Trust round 3, item 7, over HTTP: one request cannot wedge the sandbox, and its
//! credential-less controls cannot be driven by another web page.

mod common;

use qiwi_sandbox::{Config, start};

#[tokio::test]
async fn an_overflowing_clock_advance_is_a_400_and_the_sandbox_keeps_answering() {
    let sandbox = start(Config::default()).await.unwrap();
    let advance = |seconds: String| {
        let sandbox = &sandbox;
        async move {
            common::control(
                sandbox,
                "/sandbox/clock/advance",
                &format!(r#"{{"seconds":{seconds}}}"#),
            )
            .await
        }
    };
    for huge in [
        u64::MAX.to_string(),
        (u64::MAX / 2).to_string(),
        "9000000000000".to_owned(),
        // 101 years.
        (101u64 * 365 * 86_400).to_string(),
    ] {
        let answer = advance(huge.clone()).await;
        assert_eq!(answer.status(), 400, "{huge}");
        let body: serde_json::Value = answer.json().await.unwrap();
        assert!(body["cause"]["seconds"].is_array(), "{body}");
    }
    // Two advances that overflow only together.
    assert_eq!(
        advance((60u64 * 365 * 86_400).to_string()).await.status(),
        200
    );
    assert_eq!(
        advance((60u64 * 365 * 86_400).to_string()).await.status(),
        400
    );
    // Every later request is answered: the clock, a bill, the wallet.
    let moved = advance("60".into()).await;
    assert_eq!(moved.status(), 200);
    let now: serde_json::Value = moved.json().await.unwrap();
    assert!(now["now"].as_str().unwrap().starts_with("20"), "{now}");
    let reset = common::control(&sandbox, "/sandbox/reset", "").await;
    assert_eq!(reset.status(), 204);
    assert_eq!(advance("1".into()).await.status(), 200);
}

#[tokio::test]
async fn controls_refuse_what_a_web_page_can_send() {
    let sandbox = start(Config::default()).await.unwrap();
    let base = sandbox.base_url().to_owned();
    let http = reqwest::Client::new();
    let url = format!("{base}/sandbox/clock/advance");
    let body = r#"{"seconds":3600}"#;
    // What a form or a no-cors fetch sends: text/plain, a form, multipart.
    for content_type in [
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let answer = http
            .post(&url)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 415, "{content_type}");
    }
    // A body without a type.
    let answer = http.post(&url).body(body).send().await.unwrap();
    assert_eq!(answer.status(), 415);
    let now = || async {
        let answer: serde_json::Value =
            common::control(&sandbox, "/sandbox/clock/advance", r#"{"seconds":0}"#)
                .await
                .json()
                .await
                .unwrap();
        qiwi_core::QiwiDateTime::from_wire(answer["now"].as_str().unwrap().to_owned())
            .instant()
            .unwrap()
    };
    let before = now().await;
    // A browser's cross-site request carries an Origin, even with no body.
    for origin in ["https://evil.example", "null", "http://127.0.0.1:1"] {
        let answer = http
            .post(&url)
            .header("origin", origin)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 403, "{origin}");
    }
    // None of them moved the clock.
    let moved = now().await - before;
    assert!(moved < time::Duration::minutes(5), "{moved}");
    // What scripts send works: JSON, or no body and no type, or the sandbox's own origin.
    let own = base.trim_start_matches("http://").to_owned();
    let answer = http
        .post(format!("{base}/sandbox/reset"))
        .header("origin", format!("http://{own}"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 204);
    assert_eq!(
        http.post(format!("{base}/sandbox/reset"))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
}

#[tokio::test]
async fn restrictions_are_set_by_a_control_and_bad_lists_are_refused() {
    let sandbox = start(Config::default()).await.unwrap();
    let me = sandbox.credentials().wallet_number.clone();
    let http = reqwest::Client::new();
    let put = |wallet: String, body: String| {
        let http = http.clone();
        let url = format!(
            "{}/sandbox/wallet/{wallet}/restrictions",
            sandbox.base_url()
        );
        async move {
            http.put(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    let read = || {
        let http = http.clone();
        let url = format!(
            "{}/person-profile/v1/persons/{me}/status/restrictions",
            sandbox.base_url()
        );
        let token = qiwi_sandbox::config::DEFAULT_WALLET_TOKEN;
        async move {
            let answer = http.get(url).bearer_auth(token).send().await.unwrap();
            assert_eq!(answer.status(), 200);
            answer.json::<serde_json::Value>().await.unwrap()
        }
    };
    assert_eq!(read().await, serde_json::json!([]));
    let one = r#"[{"restrictionCode":"OUTGOING_PAYMENTS","restrictionDescription":"Запрещены"}]"#;
    assert_eq!(put(me.clone(), one.into()).await.status(), 204);
    assert_eq!(read().await[0]["restrictionCode"], "OUTGOING_PAYMENTS");

    let many = format!("[{}]", vec![r#"{"restrictionCode":"X"}"#; 17].join(","));
    for (wallet, body, status) in [
        (me.clone(), "{}".to_owned(), 400),
        (me.clone(), "[1]".to_owned(), 400),
        (me.clone(), many, 400),
        ("70000000000".to_owned(), "[]".to_owned(), 404),
    ] {
        assert_eq!(put(wallet, body.clone()).await.status(), status, "{body}");
    }
    assert_eq!(
        read().await[0]["restrictionCode"],
        "OUTGOING_PAYMENTS",
        "unchanged"
    );
    assert_eq!(put(me.clone(), "[]".into()).await.status(), 204);
    assert_eq!(read().await, serde_json::json!([]), "lifted");

    // The same control, typed and in process.
    let list = |n: usize| -> qiwi_sys::wallet::types::RestrictionList {
        serde_json::from_str(&format!(
            "[{}]",
            vec![r#"{"restrictionCode":"X"}"#; n].join(",")
        ))
        .unwrap()
    };
    sandbox.set_wallet_restrictions(&me, list(2)).unwrap();
    assert_eq!(read().await.as_array().map(Vec::len), Some(2));
    assert_eq!(
        sandbox
            .set_wallet_restrictions(&me, list(17))
            .unwrap_err()
            .status,
        400
    );
    let unknown = sandbox
        .set_wallet_restrictions("70000000000", list(0))
        .unwrap_err();
    assert_eq!(
        (unknown.status, unknown.body.code()),
        (404, Some("wallet.not.found"))
    );
    sandbox.reset();
    assert_eq!(read().await, serde_json::json!([]), "reset forgets them");
}
