//! What the API commands share: where calls go, and how results print.

use time::OffsetDateTime;

use crate::Failure;

/// Where the calls go and how results print.
#[derive(clap::Args)]
pub struct Target {
    /// Another server than QIWI's (a running `qiwi sandbox`, a proxy).
    #[arg(long, global = true, value_name = "URL", conflicts_with = "sandbox")]
    pub base_url: Option<String>,
    /// Start a sandbox in-process and use its credentials (it ends with the command).
    #[arg(long, global = true)]
    pub sandbox: bool,
    /// Print JSON instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
    /// Allow a plain http:// --base-url on another machine (the key crosses the network in
    /// clear; loopback never needs it).
    #[arg(long, global = true)]
    pub allow_insecure_http: bool,
}

/// A sandbox on a free port of 127.0.0.1, for `--sandbox`.
pub async fn start_sandbox() -> Result<qiwi_sandbox::RunningSandbox, Failure> {
    qiwi_sandbox::start(qiwi_sandbox::Config::default())
        .await
        .map_err(|e| Failure::new("starting the sandbox", e))
}

/// An instant with its offset (RFC 3339), never a naive time.
pub fn rfc3339(text: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).map_err(|e| {
        format!("{text:?}: {e}; write it with its offset, e.g. 2026-12-01T18:00:00+03:00")
    })
}

/// An environment variable's value; empty counts as unset.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}
