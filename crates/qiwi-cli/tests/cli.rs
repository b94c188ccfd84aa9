//! The `qiwi` binary as users run it: every subcommand against an in-process sandbox or a
//! qiwi-hooks receiver on 127.0.0.1, its output and exit code.

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Command, Output, Stdio};

use qiwi_core::secret::{P2pSecretKey, PayinNotificationKey};
use serde_json::Value;

const W1_KEY: &str = include_str!("../../../fixtures/wallet/w1.key");
const W1: &str = include_str!("../../../fixtures/wallet/w1.json");
const SANDBOX_SECRET: &str = qiwi_sandbox::config::DEFAULT_P2P_SECRET;

/// `qiwi args…` with only `env` set of QIWI's variables, `stdin` on its standard input.
fn qiwi(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_qiwi"));
    command.args(args);
    for name in [
        "QIWI_WALLET_HOOK_KEY",
        "QIWI_P2P_SECRET",
        "QIWI_P2P_PUBLIC_KEY",
        "QIWI_PAYIN_KEY",
        "QIWI_PAYIN_SITE_ID",
        "QIWI_PAYIN_API_KEY",
        "QIWI_CARD",
        "QIWI_PAYOUT_CARD",
        "QIWI_PAYOUT_KEY_FILE",
    ] {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("qiwi runs");
    let mut input = child.stdin.take().expect("stdin");
    let stdin = stdin.to_owned();
    // A command may exit before reading all of it (a usage error, a body over the limit).
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(stdin.as_bytes());
    });
    let out = child.wait_with_output().expect("qiwi ends");
    let _ = writer.join();
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Exit code, stdout, stderr.
fn run(args: &[&str], env: &[(&str, &str)], stdin: &str) -> (i32, String, String) {
    let out = qiwi(args, env, stdin);
    (
        out.status.code().expect("an exit code, not a signal"),
        text(&out.stdout),
        text(&out.stderr),
    )
}

/// Asserts one line on stderr starting `qiwi: ` and no panic.
fn one_error_line(stderr: &str) {
    assert!(stderr.starts_with("qiwi: "), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn demo_runs_a_merchants_day_and_every_step_is_as_expected() {
    let (code, out, err) = run(&["demo"], &[], "");
    assert_eq!(code, 0, "{out}{err}");
    for step in [
        "WAITING (ok",
        "paid (ok",
        "PAID, signed and confirmed (ok",
        "REJECTED (ok",
        "EXPIRED (ok",
        "acknowledged on attempt 2 (ok",
        "refused with 401 (ok",
        "registered, key read (ok",
        "seen in both histories (ok",
        "SUCCESS, confirmed through the API (ok",
        "outcome unknown, found by its client id, made once (ok",
        "every row once, as one page of 50 has them (ok",
        "COMPLETED after 3-D Secure (ok",
        "captured 10.00, refunded 3.00 (ok",
        "PAYMENT, CAPTURE, REFUND verified (ok",
        "PAYED, its PAYMENT verified (ok",
        "refused with 400 (ok",
    ] {
        assert!(out.contains(step), "{step} in\n{out}");
    }
    assert!(out.contains("20 of 20 steps as expected"), "{out}");

    let (code, out, _) = run(&["demo", "--json"], &[], "");
    assert_eq!(code, 0);
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 21, "twenty steps and a summary");
    assert!(lines[..20].iter().all(|s| s["ok"] == true), "{out}");
    assert_eq!(lines[4]["name"], "wait_paid");
    assert_eq!(lines[4]["outcome"], "PAID");
    assert_eq!(lines[12]["name"], "a payment whose connection drops");
    assert_eq!(lines[18]["name"], "a payout signed and settled");
    assert_eq!(lines[20]["summary"]["failed"], 0);
}

#[test]
fn sandbox_serves_qiwi_with_qiwi_sandboxs_flags() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_qiwi"))
        .args(["sandbox", "--listen", "127.0.0.1:0", "--time-scale", "60"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("qiwi sandbox runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the start line");
    let ready: Value = serde_json::from_str(&line).expect("a JSON start line");
    let base = ready["base_url"].as_str().expect("base_url").to_owned();
    assert!(
        ready["sandbox_only_credentials"]
            .as_array()
            .unwrap()
            .contains(&"p2p_secret".into())
    );
    // A P2P client of the printed address and secret gets QIWI's 404 for an unknown bill.
    let (code, _, err) = run(
        &["p2p", "--base-url", &base, "get", "no-such-bill"],
        &[("QIWI_P2P_SECRET", SANDBOX_SECRET)],
        "",
    );
    child.kill().expect("stopped");
    let _ = child.wait();
    assert_eq!(code, 1);
    one_error_line(&err);
    assert!(err.contains("api.invoice.not.found"), "{err}");

    let (code, _, err) = run(&["sandbox", "--time-scale", "0"], &[], "");
    assert_eq!(code, 2);
    assert!(
        err.contains("--time-scale must be a positive number"),
        "{err}"
    );
}

/// A qiwi-hooks receiver on 127.0.0.1 accepting every family with these keys; its base URL.
fn receiver(runtime: &tokio::runtime::Runtime) -> String {
    runtime.block_on(async {
        let keys = qiwi_hooks::Keys {
            wallet: Some(qiwi_core::secret::WalletHookKey::from_base64(W1_KEY.trim()).unwrap()),
            p2p: Some(P2pSecretKey::new("p2p-secret")),
            payin: Some(PayinNotificationKey::new("payin-key")),
        };
        let router = qiwi_hooks::Receiver::new(keys)
            .router(|_event: qiwi_hooks::Event| async { Ok::<(), std::io::Error>(()) });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(qiwi_hooks::serve(listener, router));
        url
    })
}

#[test]
fn trigger_sends_every_family_and_event_signed_and_reports_delivery() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let base = receiver(&runtime);
    let keys = [
        ("QIWI_WALLET_HOOK_KEY", W1_KEY.trim()),
        ("QIWI_P2P_SECRET", "p2p-secret"),
        ("QIWI_PAYIN_KEY", "payin-key"),
    ];
    let events = [
        ("wallet", "payment"),
        ("p2p", "paid"),
        ("p2p", "rejected"),
        ("p2p", "expired"),
        ("p2p", "waiting"),
        ("payin", "payment"),
        ("payin", "capture"),
        ("payin", "refund"),
        ("payin", "check-card"),
        ("payin", "token"),
        ("payin", "payout"),
    ];
    for (family, event) in events {
        let url = format!("{base}/{family}");
        let (code, out, err) = run(&["trigger", family, event, "--to", &url], &keys, "");
        assert_eq!(code, 0, "{family} {event}: {out}{err}");
        assert!(out.contains("HTTP 200"), "{out}");
        assert!(out.contains("QIWI would count it as delivered"), "{out}");
    }
    let url = format!("{base}/p2p");
    let (code, out, _) = run(
        &[
            "trigger", "p2p", "paid", "--to", &url, "--id", "order-42", "--json",
        ],
        &keys,
        "",
    );
    assert_eq!(code, 0);
    let report: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(report["delivered"], true);
    assert_eq!(report["body"], r#"{"error":"0"}"#);
    assert_eq!(report["id"], "order-42");

    // Signed with another key: the receiver refuses it, and QIWI would send it again.
    let (code, out, _) = run(
        &["trigger", "p2p", "paid", "--to", &url],
        &[("QIWI_P2P_SECRET", "someone-elses-key")],
        "",
    );
    assert_eq!(code, 1);
    assert!(out.contains("HTTP 401"), "{out}");
    assert!(out.contains("QIWI would retry it"), "{out}");

    for (args, env) in [
        (vec!["trigger", "p2p", "refunded", "--to", &url], &keys[..]),
        (vec!["trigger", "p2p", "paid", "--to", "ftp://x"], &keys[..]),
        (vec!["trigger", "p2p", "paid", "--to", &url], &[][..]),
        (
            vec!["trigger", "wallet", "payment", "--to", &url, "--id", "abc"],
            &keys[..],
        ),
    ] {
        let (code, _, err) = run(&args, env, "");
        assert_eq!(code, 2, "{args:?}: {err}");
        one_error_line(&err);
    }
    let (code, _, err) = run(
        &["trigger", "p2p", "paid", "--to", "http://127.0.0.1:9/p2p"],
        &keys,
        "",
    );
    assert_eq!(code, 1);
    one_error_line(&err);
    assert!(err.contains("QIWI would retry it later"), "{err}");
}

#[test]
fn verify_accepts_qiwis_vectors_and_names_what_a_tampered_body_fails_on() {
    let wallet = [("QIWI_WALLET_HOOK_KEY", W1_KEY.trim())];
    let (code, out, _) = run(&["verify", "wallet"], &wallet, W1);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("13353941550"), "{out}");
    assert!(
        out.contains("SUCCESS (not signed: confirm it through the API)"),
        "{out}"
    );
    let (code, out, _) = run(&["verify", "wallet", "--json"], &wallet, W1);
    assert_eq!(code, 0);
    let event: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(event["id"], "13353941550");
    assert_eq!(event["status_signed"], false);

    // A wallet test notification without its hash authenticates nothing: not verified.
    let unsigned_test = W1.replace(r#""test":false"#, r#""test":true"#).replace(
        r#""hash":"f05c4e7bdf00620205d47696d77f924bfd3ba4d02b0398ac8a626e737dc27243","#,
        "",
    );
    assert!(!unsigned_test.contains("hash"), "{unsigned_test}");
    let (code, out, _) = run(&["verify", "wallet"], &wallet, &unsigned_test);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("not verified: the notification carries no signature"),
        "{out}"
    );
    // With its hash, a test notification verifies (as a TEST).
    let signed_test = qiwi_core::signature::sign_wallet_notification(
        unsigned_test.as_bytes(),
        &qiwi_core::secret::WalletHookKey::from_base64(W1_KEY.trim()).unwrap(),
    )
    .unwrap();
    let (code, out, _) = run(&["verify", "wallet"], &wallet, &text(&signed_test));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("TEST"), "{out}");

    // The amount changed after signing: refused, with the text the signature must cover.
    let tampered = W1.replace(r#""sum":{"amount":1,"#, r#""sum":{"amount":100,"#);
    assert_ne!(tampered, W1);
    let (code, out, _) = run(&["verify", "wallet"], &wallet, &tampered);
    assert_eq!(code, 1);
    assert!(out.contains("signature does not match"), "{out}");
    assert!(
        out.contains("signed text: 643|100|IN|+79161112233|13353941550"),
        "{out}"
    );

    // QIWI's Java SDK's P2P string (P2s) and its HMAC under `key`.
    let p2p = r#"{"bill":{"siteId":"siteId","billId":"billId","amount":{"value":10,"currency":"RUB"},"status":{"value":"PAID"}},"version":"1"}"#;
    let signature =
        qiwi_core::signature::sign_p2p_notification(p2p.as_bytes(), &P2pSecretKey::new("key"))
            .unwrap();
    let key = [("QIWI_P2P_SECRET", "key")];
    let (code, out, _) = run(&["verify", "p2p", "--signature", &signature], &key, p2p);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("PAID"), "{out}");
    let paid_to_rejected = p2p.replace("PAID", "REJECTED");
    let (code, out, _) = run(
        &["verify", "p2p", "--signature", &signature, "--json"],
        &key,
        &paid_to_rejected,
    );
    assert_eq!(code, 1);
    let refusal: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(refusal["verified"], false);
    assert_eq!(refusal["signed_text"], "RUB|10.00|billId|siteId|REJECTED");

    // Vector C1 (Payment Protocol), key `TOKEN`.
    let c1 = r#"{"type":"PAYMENT","payment":{"paymentId":"4504751","createdDateTime":"2019-10-08T11:31:37+03:00","amount":{"value":2211.24,"currency":"RUB"},"status":{"value":"SUCCESS"}},"version":"1"}"#;
    let header = "3c67f9a691e34e1a9e74e05927f3901186cc838cc81de2a3519c78b9612cf49e";
    let (code, out, _) = run(
        &["verify", "payin", "--signature", header],
        &[("QIWI_PAYIN_KEY", "TOKEN")],
        c1,
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("4504751"), "{out}");

    for (args, env, body) in [
        (vec!["verify", "p2p"], &key[..], p2p),
        (
            vec!["verify", "wallet", "--signature", "ab"],
            &wallet[..],
            W1,
        ),
        (vec!["verify", "payin", "--signature", header], &[][..], c1),
    ] {
        let (code, _, err) = run(&args, env, body);
        assert_eq!(code, 2, "{args:?}: {err}");
        one_error_line(&err);
    }
    // Not JSON, not a notification, too large: refused with the reason, never a panic.
    let huge = "x".repeat(2 * 1024 * 1024);
    for body in ["", "not json", "[]", r#"{"bill":{}}"#, &huge] {
        let (code, out, err) = run(&["verify", "p2p", "--signature", "00"], &key, body);
        assert!(code == 1 || code == 2, "{code}: {out}{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn p2p_commands_drive_a_bill_through_a_sandbox() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sandbox = runtime
        .block_on(qiwi_sandbox::start(qiwi_sandbox::Config::default()))
        .unwrap();
    let base = sandbox.base_url().to_owned();
    let env = [
        ("QIWI_P2P_SECRET", SANDBOX_SECRET),
        (
            "QIWI_P2P_PUBLIC_KEY",
            qiwi_sandbox::config::DEFAULT_P2P_PUBLIC_KEY,
        ),
    ];
    let p2p = |args: &[&str]| {
        let mut all = vec!["p2p", "--base-url", base.as_str()];
        all.extend_from_slice(args);
        run(&all, &env, "")
    };
    let (code, out, err) = p2p(&[
        "create",
        "cli-1",
        "--amount",
        "149.90",
        "--lifetime",
        "30m",
        "--comment",
        "Два билета",
        "--email",
        "payer@example.com",
        "--field",
        "order=42",
        "--pay-sources",
        "qw,card",
    ]);
    assert_eq!(code, 0, "{err}");
    for cell in [
        "cli-1",
        "WAITING",
        "149.90 RUB",
        "Два билета",
        "payer@example.com",
        "order=42",
        "paySourcesFilter=qw,card",
    ] {
        assert!(out.contains(cell), "{cell} in\n{out}");
    }
    let (code, out, _) = p2p(&["--json", "get", "cli-1"]);
    assert_eq!(code, 0);
    let bill: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(bill["status"]["value"], "WAITING");
    assert_eq!(bill["amount"]["value"], "149.90");

    // Paid through the sandbox while `wait` waits: it prints each read, then the bill.
    let paying = {
        let addr = base.trim_start_matches("http://").to_owned();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            let mut http = std::net::TcpStream::connect(addr).unwrap();
            http.write_all(
                b"POST /sandbox/p2p/bills/cli-1/pay HTTP/1.1\r\nHost: sandbox\r\n\
                  Content-Length: 0\r\nConnection: close\r\n\r\n",
            )
            .unwrap();
            let mut answer = String::new();
            std::io::Read::read_to_string(&mut http, &mut answer).unwrap();
            answer
        })
    };
    let (code, out, err) = p2p(&["wait", "cli-1", "--interval", "100ms", "--deadline", "20s"]);
    let paid = paying.join().unwrap();
    assert!(paid.starts_with("HTTP/1.1 200"), "{paid}");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("PAID"), "{out}");
    assert!(err.contains("bill cli-1: WAITING after"), "{err}");
    assert!(err.contains("bill cli-1: PAID after"), "{err}");

    let (code, _, err) = p2p(&[
        "create",
        "cli-2",
        "--amount",
        "10",
        "--expires-at",
        "2099-01-01T00:00:00+03:00",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("at most 45 days ahead"), "{err}");
    let (code, _, err) = p2p(&["create", "cli-2", "--amount", "10", "--lifetime", "1m"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = p2p(&["reject", "cli-2"]);
    assert_eq!(code, 0);
    assert!(out.contains("REJECTED"), "{out}");
    let (code, _, err) = p2p(&["reject", "cli-2"]);
    assert_eq!(code, 1);
    one_error_line(&err);
    let (code, out, _) = p2p(&["wait", "cli-2", "--deadline", "5s"]);
    assert_eq!(code, 0);
    assert!(out.contains("REJECTED"), "{out}");

    let (code, out, _) = p2p(&[
        "link",
        "--amount",
        "200.34",
        "--bill-id",
        "cli-3",
        "--success-url",
        "http://test.ru/",
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        out.trim(),
        format!(
            "{base}/create?publicKey=sandbox-p2p-public-key&amount=200.34&billId=cli-3&successUrl=http%3A%2F%2Ftest.ru%2F"
        )
    );

    // Bad input: one line, the field named, nothing sent, no panic; exit 1 or 2.
    for (args, needle) in [
        (
            vec!["create", "bad id", "--amount", "1", "--lifetime", "1m"],
            "billId",
        ),
        (
            vec!["create", "cli-4", "--amount", "1.005", "--lifetime", "1m"],
            "amount.value",
        ),
        (
            vec![
                "create",
                "cli-4",
                "--amount",
                "1",
                "--currency",
                "USD",
                "--lifetime",
                "1m",
            ],
            "amount.currency",
        ),
        (
            vec!["create", "cli-4", "--amount", "1", "--lifetime", "46d"],
            "expirationDateTime",
        ),
        (vec!["create", "cli-4", "--amount", "1"], "--lifetime"),
        (
            vec![
                "create",
                "cli-4",
                "--amount",
                "1",
                "--expires-at",
                "2026-12-01T18:00:00",
            ],
            "offset",
        ),
        (
            vec!["create", "cli-4", "--amount", "ten", "--lifetime", "1m"],
            "ten",
        ),
        (
            vec!["create", "cli-4", "--amount", "1", "--lifetime", "5w"],
            "unit",
        ),
        (vec!["wait", "cli-1", "--deadline", "forever"], "unit"),
        (vec!["link", "--amount", "1", "--currency", "KZT"], "RUB"),
        (vec!["get", "nope"], "api.invoice.not.found"),
    ] {
        let (code, out, err) = p2p(&args);
        assert!(code == 1 || code == 2, "{args:?}: {code} {out}");
        assert!(err.contains(needle), "{needle} in {err}");
        one_error_line(&err);
    }
    let (code, _, err) = run(&["p2p", "get", "x"], &[], "");
    assert_eq!(code, 2);
    one_error_line(&err);
    assert!(err.contains("QIWI_P2P_SECRET"), "{err}");

    // A refused key's error names neither key, and hints at a swap when shapes suggest one.
    let (code, _, err) = run(
        &["p2p", "--base-url", &base, "get", "cli-1"],
        &[("QIWI_P2P_SECRET", "MARKER-secret-value")],
        "",
    );
    assert_eq!(code, 1);
    one_error_line(&err);
    assert!(!err.contains("MARKER"), "{err}");
    assert!(err.contains("swapped"), "{err}");
    drop(sandbox);
}

#[test]
fn p2p_sandbox_flag_needs_no_credentials() {
    let (code, out, err) = run(
        &[
            "p2p",
            "--sandbox",
            "create",
            "try-1",
            "--amount",
            "5",
            "--lifetime",
            "10m",
        ],
        &[],
        "",
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("WAITING"), "{out}");
    let (code, out, _) = run(&["p2p", "--sandbox", "link", "--amount", "5"], &[], "");
    assert_eq!(code, 0);
    assert!(
        out.contains("/create?publicKey=sandbox-p2p-public-key&amount=5.00"),
        "{out}"
    );
}

#[test]
fn command_line_mistakes_are_one_line_and_help_is_help() {
    for args in [
        vec!["demo", "--frobnicate"],
        vec!["trigger", "p2p"],
        vec!["verify", "bitcoin"],
        vec!["p2p", "get"],
        vec!["nope"],
    ] {
        let (code, out, err) = run(&args, &[], "");
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        one_error_line(&err);
    }
    let (code, out, _) = run(&["--help"], &[], "");
    assert_eq!(code, 0);
    for command in ["demo", "sandbox", "trigger", "verify", "p2p"] {
        assert!(out.contains(command), "{command} in {out}");
    }
    let (code, out, _) = run(&["sandbox", "--help"], &[], "");
    assert_eq!(code, 0);
    assert!(
        out.contains("--notify-p2p") && out.contains("--time-scale"),
        "{out}"
    );
}

#[test]
fn wallet_history_exports_every_page_as_csv() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sandbox = runtime
        .block_on(qiwi_sandbox::start(qiwi_sandbox::Config::default()))
        .unwrap();
    let base = sandbox.base_url().to_owned();
    // Paid P2P bills are money in the sandbox wallet: 55 of them, more than QIWI's page of 50,
    // two with comments a spreadsheet must not run or split.
    runtime.block_on(async {
        let client = qiwi_p2p::Client::builder(P2pSecretKey::new(SANDBOX_SECRET))
            .base_url(&base)
            .build()
            .unwrap();
        for i in 0..55 {
            let comment = match i {
                0 => "=HYPERLINK(\"http://evil.example\")".to_owned(),
                1 => "two tickets, row 5".to_owned(),
                _ => format!("order {i}"),
            };
            client
                .bills()
                .create(format!("w-{i}"))
                .amount(
                    format!("{}.50", 10 + i).parse().unwrap(),
                    qiwi_p2p::Currency::RUB,
                )
                .expires_in(std::time::Duration::from_secs(600))
                .comment(comment)
                .send()
                .await
                .unwrap();
            sandbox.pay_bill(&format!("w-{i}")).unwrap();
        }
    });
    let env = [
        (
            "QIWI_WALLET_TOKEN",
            qiwi_sandbox::config::DEFAULT_WALLET_TOKEN,
        ),
        (
            "QIWI_WALLET_NUMBER",
            qiwi_sandbox::config::DEFAULT_WALLET_NUMBER,
        ),
    ];
    let wallet = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["wallet", "--base-url", base.as_str(), "history"];
        all.extend_from_slice(args);
        run(&all, env, "")
    };
    let (code, out, err) = wallet(&[], &env);
    assert_eq!(code, 0, "{err}");
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("txn_id,date,type,status,amount,currency,commission,total,account,provider,comment")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 55, "both pages:\n{out}");
    let first_bill = rows
        .iter()
        .find(|r| r.contains(",10.50,"))
        .unwrap_or_else(|| panic!("w-0's row in\n{out}"));
    assert!(
        first_bill.contains(",IN,SUCCESS,10.50,RUB,"),
        "{first_bill}"
    );
    assert!(
        first_bill.ends_with(",\"'=HYPERLINK(\"\"http://evil.example\"\")\""),
        "{first_bill}"
    );
    let second = rows
        .iter()
        .find(|r| r.contains(",11.50,"))
        .unwrap_or_else(|| panic!("w-1's row in\n{out}"));
    assert!(second.ends_with(",\"two tickets, row 5\""), "{second}");

    let (code, out, _) = wallet(&["--limit", "3"], &env);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 4, "header and 3 rows");
    let (code, out, _) = wallet(&["--json", "--operation", "in", "--limit", "2"], &env);
    assert_eq!(code, 0);
    for line in out.lines() {
        let txn: Value = serde_json::from_str(line).unwrap();
        assert_eq!(txn["type"], "IN");
    }

    for (args, env, code) in [
        (vec![], &[][..], 2),
        (vec!["--wallet", "+79000000001"], &env[..], 2),
        (vec!["--from", "2026-11-01T00:00:00+03:00"], &env[..], 2),
        (vec!["--operation", "sideways"], &env[..], 2),
        (
            vec![],
            &[("QIWI_WALLET_TOKEN", "wrong-token"), env[1]][..],
            1,
        ),
    ] {
        let (got, _, err) = wallet(&args, env);
        assert_eq!(got, code, "{args:?}: {err}");
        one_error_line(&err);
        assert!(!err.contains("wrong-token"), "{err}");
    }
    drop(sandbox);
}

#[test]
fn wallet_commands_pay_once_find_by_client_id_read_new_payments_and_manage_the_hook() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sandbox = runtime
        .block_on(qiwi_sandbox::start(qiwi_sandbox::Config::default()))
        .unwrap();
    let base = sandbox.base_url().to_owned();
    let payer = [
        (
            "QIWI_WALLET_TOKEN",
            qiwi_sandbox::config::DEFAULT_WALLET_TOKEN,
        ),
        (
            "QIWI_WALLET_NUMBER",
            qiwi_sandbox::config::DEFAULT_WALLET_NUMBER,
        ),
    ];
    let payee = [
        ("QIWI_WALLET_TOKEN", "sandbox-counterpart-token"),
        ("QIWI_WALLET_NUMBER", qiwi_sandbox::COUNTERPART_WALLET),
    ];
    let wallet = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["wallet", "--base-url", base.as_str()];
        all.extend_from_slice(args);
        run(&all, env, "")
    };
    let (code, out, err) = wallet(&["balance"], &payer);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "qw_wallet_rub  10000.00 RUB (default)\n");

    let checkpoint = std::env::temp_dir().join(format!("qiwi-incoming-{}", std::process::id()));
    let _ = std::fs::remove_file(&checkpoint);
    let incoming = || {
        wallet(
            &["incoming", "--checkpoint", checkpoint.to_str().unwrap()],
            &payee,
        )
    };
    let (code, out, err) = incoming();
    assert_eq!((code, out.as_str()), (0, ""), "nothing new yet: {err}");

    // The client id is on screen before the payment is sent.
    let to = format!("+{}", qiwi_sandbox::COUNTERPART_WALLET);
    let pay = |id: &str| {
        wallet(
            &[
                "pay",
                "wallet",
                &to,
                "--amount",
                "10.50",
                "--client-id",
                id,
                "--comment",
                "lunch",
            ],
            &payer,
        )
    };
    let (code, out, err) = pay("1700000000000777");
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "client_id 1700000000000777");
    assert!(
        lines[1].starts_with("accepted transaction ") && lines[1].ends_with(" provider 99"),
        "{out}"
    );
    let (code, out, err) = incoming();
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1, "{out}");
    assert!(
        lines[0].contains(" 10.50 RUB from ") && lines[0].ends_with(" lunch"),
        "{out}"
    );
    let (_, out, _) = incoming();
    assert_eq!(
        out, "",
        "printed once: the checkpoint file goes on after it"
    );
    let _ = std::fs::remove_file(&checkpoint);

    // The same client id again: QIWI's duplicate refusal, typed.
    let (code, _, err) = pay("1700000000000777");
    assert_eq!(code, 1);
    assert!(err.contains("QIWI error 408"), "{err}");
    one_error_line(&err);

    // The answer is lost: never sent again, and the look-up command is printed.
    sandbox
        .add_fault(
            serde_json::from_value(serde_json::json!({
                "operation": "wallet.createPayment", "drop_connection": true
            }))
            .unwrap(),
        )
        .unwrap();
    let (code, out, err) = pay("1700000000000778");
    assert_eq!(code, 1);
    assert_eq!(out, "client_id 1700000000000778\n");
    let lookup = format!(
        "qiwi wallet find-payment 1700000000000778 --wallet {}",
        qiwi_sandbox::config::DEFAULT_WALLET_NUMBER
    );
    assert!(
        err.contains("outcome unknown") && err.contains(&lookup),
        "{err}"
    );
    let (code, out, err) = wallet(&["find-payment", "1700000000000778"], &payer);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("found transaction ") && out.contains("SUCCESS"),
        "{out}"
    );
    let (_, out, _) = wallet(&["balance"], &payer);
    assert_eq!(
        out, "qw_wallet_rub  9979.00 RUB (default)\n",
        "each payment made once"
    );

    let (code, out, err) = wallet(&["hooks", "register", "https://example.com/qiwi"], &payer);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("hook_id "), "{out}");
    let (code, key, err) = wallet(&["hooks", "key"], &payer);
    assert_eq!(code, 0, "{err}");
    assert!(
        qiwi_core::secret::WalletHookKey::from_base64(key.trim()).is_ok(),
        "{key}"
    );
    let (code, out, _) = wallet(&["hooks", "test"], &payer);
    assert_eq!((code, out.as_str()), (0, "test notification sent\n"));
    let (code, _, _) = wallet(&["hooks", "delete"], &payer);
    assert_eq!(code, 0);
    let (code, _, err) = wallet(&["hooks", "key"], &payer);
    assert_eq!(code, 1);
    assert!(err.contains("the wallet has none"), "{err}");
}

#[test]
fn a_reader_that_goes_away_ends_the_command_quietly() {
    // `qiwi demo --json | head -1`: the pipe closes after one line.
    let mut child = Command::new(env!("CARGO_BIN_EXE_qiwi"))
        .args(["demo", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("qiwi runs");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("a line");
    assert!(first.contains("\"step\":1"), "{first}");
    let out = child.wait_with_output().expect("qiwi ends");
    let err = text(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
}

#[test]
fn payin_pays_a_card_read_from_stdin_or_the_environment_never_from_argv() {
    // 3-D Secure asked for (holder `unknown name`), printed, and completed on the sandbox.
    let (code, out, err) = run(
        &[
            "payin",
            "pay",
            "--card",
            "--amount",
            "10.00",
            "--id",
            "order-1",
            "--sandbox",
        ],
        &[],
        "4256 0000 0000 0003 12/30 123 unknown name\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("payment_id order-1\n"), "{out}");
    assert!(out.contains("3-D Secure: send the payer to http"), "{out}");
    assert!(out.contains("3-D Secure completed on the sandbox"), "{out}");
    assert!(
        out.contains("COMPLETED") && out.contains("425600******0003"),
        "{out}"
    );
    assert!(!out.contains("4256 0000 0000 0003") && !out.contains("4256000000000003"));

    let (code, out, err) = run(
        &[
            "payin",
            "pay",
            "--card",
            "env",
            "--amount",
            "10.50",
            "--two-step",
            "--sandbox",
            "--json",
        ],
        &[("QIWI_CARD", "4256000000000003 12/30 123")],
        "",
    );
    assert_eq!(code, 0, "{out}{err}");
    let payment: Value = serde_json::from_str(out.trim()).expect("one JSON line");
    assert_eq!(payment["status"]["value"], "COMPLETED");
    assert_eq!(payment["capturedAmount"]["value"], "0.00", "two-step: held");

    // A card number on the command line: refused, and not echoed.
    let (code, out, err) = run(
        &[
            "payin",
            "pay",
            "--card",
            "4256000000000003",
            "--amount",
            "10",
            "--sandbox",
        ],
        &[],
        "",
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("never goes on the command line"), "{err}");
    assert!(!err.contains("4256"), "{err}");

    let (code, out, _) = run(
        &["payin", "qr", "qr-1", "--amount", "200", "--sandbox"],
        &[],
        "",
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("CREATED") && out.contains("https://qr.nspk.ru/"),
        "{out}"
    );
}

#[test]
fn payout_signs_with_the_key_file_and_reads_the_receivers_card_from_stdin() {
    let (code, out, err) = run(
        &[
            "payout",
            "create",
            "--payment",
            "p-1",
            "--id",
            "po-1",
            "--amount",
            "40",
            "--sandbox",
        ],
        &[],
        "4000 0000 0000 0002\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("COMPLETED") && out.contains("400000******0002"),
        "{out}"
    );
    let (code, _, err) = run(
        &[
            "payout",
            "create",
            "--payment",
            "p-1",
            "--id",
            "po-1",
            "--amount",
            "40",
        ],
        &[],
        "",
    );
    assert_eq!(code, 2);
    assert!(err.contains("QIWI_PAYOUT_KEY_FILE"), "{err}");
    let (code, _, err) = run(
        &["payout", "get", "--payment", "p-1", "po-1"],
        &[("QIWI_PAYOUT_KEY_FILE", "/nonexistent/key.pem")],
        "",
    );
    assert_eq!(code, 2);
    assert!(err.contains("QIWI_PAYOUT_KEY_FILE"), "{err}");
}
