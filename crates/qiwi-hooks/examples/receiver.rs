//! A QIWI notification receiver that doubles as a contract test target.
//!
//! ```text
//! export QIWI_WALLET_HOOK_KEY=<base64> QIWI_P2P_SECRET=<secret> QIWI_PAYIN_KEY=<key>
//! cargo run -p qiwi-hooks --example receiver -- --listen 127.0.0.1:8080
//! ```
//!
//! Serves `POST /qiwi/wallet`, `POST /qiwi/p2p` and `POST /qiwi/payin` and prints one JSON
//! line per handled event: `{"family":"wallet","id":"…","status":"SUCCESS","test":false}`.
//! A family whose key is not set answers 404. Keys come only from the environment: a
//! command line is readable by every user of the host (`/proc/<pid>/cmdline`). Every
//! decision, rejections with their reason, is logged on stderr; keys never are.
//!
//! `--test-notifications` passes wallet test notifications to the handler (by default they
//! are acknowledged without it).

use std::process::ExitCode;

use qiwi_hooks::{Event, Keys, Receiver};

const USAGE: &str = "usage: receiver --listen ADDR [--test-notifications]\n\
    keys from the environment: QIWI_WALLET_HOOK_KEY (Base64), QIWI_P2P_SECRET, QIWI_PAYIN_KEY";

fn fail(message: &str) -> ExitCode {
    eprintln!("{message}");
    ExitCode::from(2)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .init();
    let mut listen = None;
    let mut tests = false;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--listen" => match args.next() {
                Some(v) => listen = Some(v),
                None => return fail(USAGE),
            },
            "--test-notifications" => tests = true,
            "--wallet-key" | "--p2p-secret" | "--payin-key" => {
                return fail(&format!(
                    "{flag} is no longer accepted: a command line is visible to every user of \
                     the host. Set QIWI_WALLET_HOOK_KEY, QIWI_P2P_SECRET or QIWI_PAYIN_KEY instead."
                ));
            }
            _ => return fail(USAGE),
        }
    }
    let Some(listen) = listen else {
        return fail(USAGE);
    };
    let keys = match Keys::from_env() {
        Ok(k) => k,
        Err(e) => return fail(&e),
    };
    let router =
        Receiver::new(keys)
            .with_test_notifications(tests)
            .router(|event: Event| async move {
                let line = serde_json::json!({
                    "family": event.family().as_str(),
                    "id": event.id(),
                    "status": event.status(),
                    "test": event.is_test(),
                });
                println!("{line}");
                Ok::<(), std::convert::Infallible>(())
            });
    let app = axum::Router::new().nest("/qiwi", router);
    let listener = match tokio::net::TcpListener::bind(&listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "listening on {}",
        listener.local_addr().map_or(listen, |a| a.to_string())
    );
    match qiwi_hooks::serve(listener, app).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("server failed: {e}");
            ExitCode::FAILURE
        }
    }
}
