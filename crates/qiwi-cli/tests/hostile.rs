//! Trust round 3, items 5, 6 and 8 and the node SDK comparison, through the `qiwi` binary:
//! text a hostile "QIWI", notification or endpoint wrote never reaches the terminal raw, the
//! CSV export is safe in a spreadsheet, and no redirect is followed.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

/// A canned answer: status line, extra headers, body.
#[derive(Clone)]
struct Answer {
    status: &'static str,
    headers: Vec<(String, String)>,
    body: String,
}

fn answer(status: &'static str, body: impl Into<String>) -> Answer {
    Answer {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.into(),
    }
}

/// A server on 127.0.0.1 that answers each request with `reply(method, path)` and counts
/// the requests; its base URL and the count.
fn serve(
    reply: impl Fn(&str, &str) -> Answer + Send + Sync + 'static,
) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let (counter, reply) = (count.clone(), Arc::new(reply));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            counter.fetch_add(1, Ordering::SeqCst);
            let reply = reply.clone();
            std::thread::spawn(move || handle(stream, &*reply));
        }
    });
    (base, count)
}

fn handle(stream: TcpStream, reply: &dyn Fn(&str, &str) -> Answer) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or("").to_owned(),
        parts.next().unwrap_or("").to_owned(),
    );
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
            break;
        }
        if let Some((k, v)) = header.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let a = reply(&method, &path);
    let mut out = format!(
        "HTTP/1.1 {}\r\ncontent-length: {}\r\nconnection: close\r\n",
        a.status,
        a.body.len()
    );
    for (k, v) in &a.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&a.body);
    let mut stream = stream;
    let _ = stream.write_all(out.as_bytes());
}

/// Exit code, stdout, stderr of `qiwi args…` with `env`, `stdin` on its input.
fn qiwi(args: &[&str], env: &[(&str, &str)], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_qiwi"))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// No character that moves the cursor, recolours, retitles or reorders a terminal's text.
fn terminal_safe(text: &str) {
    let hostile = text.chars().find(|&c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
    });
    assert_eq!(hostile, None, "a raw {hostile:?} in\n{text}");
}

/// What a hostile server writes into every text field it can.
const EVIL: &str =
    "\u{1b}[2J\u{1b}[1;1Hverified: yes\u{1b}]0;pwned\u{7}\r\u{9b}31m\u{202e}gpj.exe\u{7f}";

const P2P_ENV: [(&str, &str); 1] = [("QIWI_P2P_SECRET", "secret")];

#[test]
fn a_hostile_bill_and_hostile_errors_are_shown_escaped() {
    let mut bill: Value =
        serde_json::from_str(include_str!("../../../fixtures/p2p/bill.json")).unwrap();
    bill["comment"] = EVIL.into();
    bill["customFields"] = json!({ EVIL: EVIL });
    bill["status"]["value"] = EVIL.into();
    bill["customer"]["email"] = EVIL.into();
    let bill = bill.to_string();
    let (base, _) = serve(move |_, path| {
        if path.ends_with("/evil") {
            answer("200 OK", bill.clone())
        } else if path.ends_with("/refused") {
            answer(
                "400 Bad Request",
                json!({"serviceName": "invoicing-api", "errorCode": "validation.error",
                       "description": EVIL, "traceId": "t-1",
                       "cause": {"amount": ["must be positive"], "billId": ["too long"]}})
                .to_string(),
            )
        } else if path.ends_with("/html") {
            Answer {
                status: "502 Bad Gateway",
                headers: vec![("content-type".into(), "text/html".into())],
                body: format!("<html><body><h1>502 Bad Gateway</h1>{EVIL}</body></html>"),
            }
        } else {
            Answer {
                status: "503 Service Unavailable",
                headers: vec![],
                body: String::new(),
            }
        }
    });
    let p2p = |args: &[&str]| {
        let mut all = vec!["p2p", "--base-url", base.as_str()];
        all.extend_from_slice(args);
        qiwi(&all, &P2P_ENV, "")
    };
    let (code, out, err) = p2p(&["get", "evil"]);
    assert_eq!(code, 0, "{err}");
    terminal_safe(&out);
    assert!(
        out.contains("\\u{1b}[2J") && out.contains("\\u{202e}gpj.exe"),
        "{out}"
    );
    let (code, out, _) = p2p(&["--json", "get", "evil"]);
    assert_eq!(code, 0);
    terminal_safe(&out);
    let read: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        read["comment"], EVIL,
        "--json keeps the value, escaped as JSON"
    );

    // QIWI's error message, with the fields `cause` names.
    let (code, _, err) = p2p(&["get", "refused"]);
    assert_eq!(code, 1);
    terminal_safe(&err);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    for part in [
        "HTTP 400",
        "amount: must be positive",
        "billId: too long",
        "trace id t-1",
    ] {
        assert!(err.contains(part), "{part} in {err}");
    }
    // A proxy's HTML page and an empty 5xx still name the HTTP status.
    let (code, _, err) = p2p(&["get", "html"]);
    assert_eq!(code, 1);
    terminal_safe(&err);
    assert!(
        err.contains("HTTP 502") && err.contains("502 Bad Gateway"),
        "{err}"
    );
    let (code, _, err) = p2p(&["get", "empty"]);
    assert_eq!(code, 1);
    assert!(err.contains("HTTP 503"), "{err}");
    assert!(!err.contains("no message"), "{err}");
}

#[test]
fn verify_shows_a_hostile_body_escaped_under_its_verdict() {
    // A P2P body that tries to repaint the verdict line, signed with a wrong key.
    let body = json!({"bill": {"siteId": EVIL, "billId": "b-1",
        "amount": {"value": "1.00", "currency": "RUB"},
        "status": {"value": "PAID", "changedDateTime": "2021-01-18T15:25:18+03"}},
        "version": "1"})
    .to_string();
    let (code, out, _) = qiwi(
        &["verify", "p2p", "--signature", &"0".repeat(64)],
        &P2P_ENV,
        &body,
    );
    assert_eq!(code, 1, "{out}");
    terminal_safe(&out);
    assert!(out.starts_with("not verified: "), "{out}");
    assert!(
        out.contains("signed text: ") && out.contains("\\u{1b}[1;1Hverified: yes"),
        "{out}"
    );
}

#[test]
fn trigger_follows_no_redirect_and_shows_the_endpoint_escaped() {
    let (elsewhere, followed) = serve(|_, _| answer("200 OK", r#"{"error":"0"}"#));
    let target = format!("{elsewhere}/p2p");
    for status in [
        "301 Moved Permanently",
        "302 Found",
        "307 Temporary Redirect",
        "308 Permanent Redirect",
    ] {
        let location = target.clone();
        let (front, _) = serve(move |_, _| Answer {
            status,
            headers: vec![("location".into(), location.clone())],
            body: String::new(),
        });
        let (code, out, err) = qiwi(
            &["trigger", "p2p", "paid", "--to", &format!("{front}/p2p")],
            &P2P_ENV,
            "",
        );
        assert_eq!(code, 1, "{status}: {out}{err}");
        assert!(
            out.contains("follows no redirect") && out.contains(&target),
            "{out}"
        );
        let (_, out, _) = qiwi(
            &[
                "trigger",
                "p2p",
                "paid",
                "--json",
                "--to",
                &format!("{front}/p2p"),
            ],
            &P2P_ENV,
            "",
        );
        let report: Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(
            (report["delivered"].clone(), report["location"].clone()),
            (json!(false), json!(target))
        );
    }
    assert_eq!(
        followed.load(Ordering::SeqCst),
        0,
        "nothing followed a redirect"
    );
    // An endpoint's answer is shown escaped.
    let (evil, _) = serve(|_, _| answer("200 OK", EVIL));
    let (code, out, _) = qiwi(
        &["trigger", "p2p", "paid", "--to", &format!("{evil}/p2p")],
        &P2P_ENV,
        "",
    );
    assert_eq!(code, 1);
    terminal_safe(&out);
}

#[test]
fn history_rows_are_safe_on_a_terminal_and_in_a_spreadsheet() {
    let txn = |id: u64, comment: &str, account: &str, amount: &str| {
        json!({"txnId": id, "personId": 79_000_000_000u64, "date": "2024-01-15T12:00:00+03:00",
               "errorCode": 0, "error": null, "status": "SUCCESS", "type": "IN", "statusText": "ok",
               "trmTxnId": "1", "account": account, "sum": {"amount": amount.parse::<f64>().unwrap(), "currency": 643},
               "commission": {"amount": 0, "currency": 643}, "total": {"amount": amount.parse::<f64>().unwrap(), "currency": 643},
               "provider": {"id": 99, "shortName": EVIL}, "comment": comment, "currencyRate": 1})
    };
    let page = json!({"data": [
        txn(1, "-1+1", "+79161112233", "10.50"),
        txn(2, "＝HYPERLINK(\"http://evil.example\")", "@cmd", "-150.00"),
        txn(3, "\t=1+1", "-2+3+cmd|' /C calc'!A0", "1"),
        txn(4, EVIL, "＋1", "2"),
    ], "nextTxnId": null, "nextTxnDate": null})
    .to_string();
    let (base, _) = serve(move |_, _| answer("200 OK", page.clone()));
    let env = [
        ("QIWI_WALLET_TOKEN", "token"),
        ("QIWI_WALLET_NUMBER", "79000000000"),
    ];
    let (code, out, err) = qiwi(&["wallet", "--base-url", &base, "history"], &env, "");
    assert_eq!(code, 0, "{err}");
    terminal_safe(&out);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    // Amounts this export writes stay numbers; a payer's "-1+1" is a formula, defused.
    assert!(
        lines[1].contains(",10.50,") && lines[1].ends_with(",'-1+1"),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].contains(",+79161112233,"),
        "a phone is a plain number: {}",
        lines[1]
    );
    assert!(lines[2].contains(",-150.00,"), "{}", lines[2]);
    assert!(
        lines[2].contains(",'@cmd,")
            && lines[2].ends_with("\"'＝HYPERLINK(\"\"http://evil.example\"\")\""),
        "{}",
        lines[2]
    );
    assert!(lines[3].ends_with(",\\u{9}=1+1"), "{}", lines[3]);
    assert!(
        lines[3].contains(",'-2+3+cmd|' /C calc'!A0,"),
        "{}",
        lines[3]
    );
    assert!(lines[4].contains(",'＋1,"), "{}", lines[4]);
    let (code, out, _) = qiwi(
        &["wallet", "--base-url", &base, "--json", "history"],
        &env,
        "",
    );
    assert_eq!(code, 0);
    terminal_safe(&out);
    let last: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(last["comment"], EVIL);
}

#[test]
fn plain_http_to_another_machine_needs_allow_insecure_http() {
    let (base, hits) = serve(|_, _| answer("404 Not Found", "{}"));
    // 0.0.0.0 reaches this machine's listeners but is not a loopback name.
    let exposed = base.replace("127.0.0.1", "0.0.0.0");
    let env = [
        ("QIWI_P2P_SECRET", "secret"),
        ("QIWI_WALLET_TOKEN", "token"),
        ("QIWI_WALLET_NUMBER", "79000000000"),
    ];
    for args in [
        vec!["p2p", "--base-url", &exposed, "get", "b-1"],
        vec!["wallet", "--base-url", &exposed, "history"],
    ] {
        let (code, _, err) = qiwi(&args, &env, "");
        assert_ne!(code, 0, "{args:?}");
        assert!(err.contains("http://") && err.contains("allow"), "{err}");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the keys never left");
    let (code, _, err) = qiwi(
        &[
            "p2p",
            "--allow-insecure-http",
            "--base-url",
            &exposed,
            "get",
            "b-1",
        ],
        &env,
        "",
    );
    assert_eq!(code, 1);
    assert!(err.contains("HTTP 404"), "{err}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}
