//! `qiwi-sandbox`: QIWI on localhost.
//!
//! ```text
//! cargo run -p qiwi-sandbox -- --listen 127.0.0.1:8080
//! ```
//!
//! Prints one JSON line on stdout once it answers — `base_url`, the credentials in effect
//! (sandbox-only unless you pass your own) and the APIs served — and runs until Ctrl-C.

use std::process::ExitCode;

use clap::Parser;

/// QIWI on localhost: QIWI's APIs at their official paths, stateful, with signed callbacks.
/// Every default credential is a sandbox-only value, never a real one.
#[derive(Parser)]
#[command(name = "qiwi-sandbox", version)]
struct Cli {
    #[command(flatten)]
    args: qiwi_sandbox::cli::Args,
}

#[tokio::main]
async fn main() -> ExitCode {
    qiwi_sandbox::cli::run("qiwi-sandbox", Cli::parse().args).await
}
