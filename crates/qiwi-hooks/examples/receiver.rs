//! A QIWI notification receiver that doubles as a contract test target.
//!
//! ```text
//! cargo run -p qiwi-hooks --example receiver -- --listen 127.0.0.1:8080 \
//!     --wallet-key <base64> --p2p-secret <secret> --payin-key <key>
//! ```
//!
//! Serves `POST /qiwi/wallet`, `POST /qiwi/p2p` and `POST /qiwi/payin` and prints one JSON
//! line per handled event: `{"family":"wallet","id":"…","status":"SUCCESS","test":false}`.
//! A family whose key is not given answers 404.

use std::process::ExitCode;

use qiwi_core::secret::{NotificationKey, P2pSecretKey, WalletHookKey};
use qiwi_hooks::{Event, Keys, Receiver};

fn usage() -> ExitCode {
    eprintln!(
        "usage: receiver --listen ADDR [--wallet-key BASE64] [--p2p-secret SECRET] [--payin-key KEY]"
    );
    ExitCode::from(2)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut listen = None;
    let mut keys = Keys::default();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let Some(value) = args.next() else {
            return usage();
        };
        match flag.as_str() {
            "--listen" => listen = Some(value),
            "--wallet-key" => match WalletHookKey::from_base64(&value) {
                Ok(k) => keys.wallet = Some(k),
                Err(e) => {
                    eprintln!("--wallet-key: {e}");
                    return ExitCode::from(2);
                }
            },
            "--p2p-secret" => keys.p2p = Some(P2pSecretKey::new(value)),
            "--payin-key" => keys.payin = Some(NotificationKey::new(value)),
            _ => return usage(),
        }
    }
    let Some(listen) = listen else {
        return usage();
    };
    let router = Receiver::new(keys).router(|event: Event| async move {
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
