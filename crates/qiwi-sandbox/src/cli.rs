//! The command line of the sandbox, shared by the `qiwi-sandbox` binary and `qiwi sandbox`
//! (qiwi-cli), so that both take exactly the same flags.

use std::process::ExitCode;

use qiwi_core::secret::{
    P2pPublicKey, P2pSecretKey, PayinApiKey, PayinNotificationKey, WalletToken,
};

use crate::config::{
    DEFAULT_P2P_PUBLIC_KEY, DEFAULT_P2P_SECRET, DEFAULT_P2P_SITE_ID, DEFAULT_PAYIN_API_KEY,
    DEFAULT_PAYIN_NOTIFICATION_KEY, DEFAULT_PAYIN_SITE_ID, DEFAULT_WALLET_NUMBER,
    DEFAULT_WALLET_TOKEN,
};
use crate::{Config, Credentials};

/// The sandbox's command-line flags (`qiwi-sandbox`, `qiwi sandbox`). Every default
/// credential is a sandbox-only value, never a real one.
#[derive(clap::Args, Clone)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// The sandbox wallet's number (sandbox-only default).
    #[arg(long, default_value = DEFAULT_WALLET_NUMBER)]
    pub wallet_number: String,
    /// The Wallet API token the sandbox accepts (sandbox-only default).
    #[arg(long, default_value = DEFAULT_WALLET_TOKEN)]
    pub wallet_token: String,
    /// The P2P secret key the sandbox accepts and signs notifications with (sandbox-only default).
    #[arg(long, default_value = DEFAULT_P2P_SECRET)]
    pub p2p_secret: String,
    /// The P2P public key (sandbox-only default).
    #[arg(long, default_value = DEFAULT_P2P_PUBLIC_KEY)]
    pub p2p_public_key: String,
    /// The P2P site id bills are issued under.
    #[arg(long, default_value = DEFAULT_P2P_SITE_ID)]
    pub p2p_site_id: String,
    /// The Payment Protocol site id.
    #[arg(long, default_value = DEFAULT_PAYIN_SITE_ID)]
    pub payin_site_id: String,
    /// The Payment Protocol API key the sandbox accepts (sandbox-only default).
    #[arg(long, default_value = DEFAULT_PAYIN_API_KEY)]
    pub payin_api_key: String,
    /// The key Payment Protocol callbacks are signed with (sandbox-only default).
    #[arg(long, default_value = DEFAULT_PAYIN_NOTIFICATION_KEY)]
    pub payin_notification_key: String,
    /// The merchant's RSA public key (PEM file) that payouts' `X-Digital-Sign` is verified
    /// with; without it every payout is refused.
    #[arg(long, value_name = "PEM_FILE")]
    pub payout_public_key: Option<std::path::PathBuf>,
    /// Where P2P notifications go (QIWI: the URL set with the key pair); unset: recorded only.
    #[arg(long, value_name = "URL")]
    pub notify_p2p: Option<String>,
    /// Where Payment Protocol callbacks go when an operation names no `callbackUrl`.
    #[arg(long, value_name = "URL")]
    pub notify_payin: Option<String>,
    /// QIWI's delays and retry schedules run this many times faster.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1.0,
        allow_negative_numbers = true
    )]
    pub time_scale: f64,
}

/// The sandbox's configuration from `args`; the error names the flag.
pub fn config(args: &Args) -> Result<Config, String> {
    if !(args.time_scale.is_finite() && args.time_scale > 0.0) {
        return Err(format!(
            "--time-scale must be a positive number, not {}",
            args.time_scale
        ));
    }
    let number = &args.wallet_number;
    if !(11..=15).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "--wallet-number must be 11 to 15 digits without '+', not {number:?}"
        ));
    }
    if number == crate::COUNTERPART_WALLET {
        return Err(format!(
            "--wallet-number {number} is the sandbox's second wallet; choose another"
        ));
    }
    for (flag, url) in [
        ("--notify-p2p", &args.notify_p2p),
        ("--notify-payin", &args.notify_payin),
    ] {
        if let Some(url) = url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(format!("{flag} must be an http(s) URL, not {url:?}"));
        }
    }
    let payout_public_key = match &args.payout_public_key {
        Some(path) => {
            let pem = std::fs::read_to_string(path)
                .map_err(|e| format!("--payout-public-key {}: {e}", path.display()))?;
            Some(
                crate::payout_public_key_from_pem(&pem)
                    .map_err(|e| format!("--payout-public-key {}: {e}", path.display()))?,
            )
        }
        None => None,
    };
    Ok(Config {
        payout_public_key,
        credentials: Credentials {
            wallet_number: args.wallet_number.clone(),
            wallet_token: WalletToken::new(&args.wallet_token)
                .map_err(|e| format!("--wallet-token: {e}"))?,
            p2p_secret: P2pSecretKey::new(&args.p2p_secret),
            p2p_public_key: P2pPublicKey::new(&args.p2p_public_key),
            p2p_site_id: args.p2p_site_id.clone(),
            payin_site_id: args.payin_site_id.clone(),
            payin_api_key: PayinApiKey::new(&args.payin_api_key)
                .map_err(|e| format!("--payin-api-key: {e}"))?,
            payin_notification_key: PayinNotificationKey::new(&args.payin_notification_key),
        },
        notify_p2p: args.notify_p2p.clone(),
        notify_payin: args.notify_payin.clone(),
        time_scale: args.time_scale,
        ..Config::default()
    })
}

/// Runs the sandbox `args` describe until Ctrl-C: the start line on stdout, errors on stderr
/// prefixed with `name` (the command's name). Exit 2 for a bad flag.
pub async fn run(name: &str, args: Args) -> ExitCode {
    let config = match config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{name}: {e}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(&args.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{name}: cannot listen on {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    let sandbox = match crate::start_on(listener, config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{name}: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The values nobody passed are the sandbox's own: say which, so nobody mistakes them for
    // real ones (or real ones for them).
    let defaults = [
        ("wallet_number", args.wallet_number == DEFAULT_WALLET_NUMBER),
        ("wallet_token", args.wallet_token == DEFAULT_WALLET_TOKEN),
        ("p2p_secret", args.p2p_secret == DEFAULT_P2P_SECRET),
        (
            "p2p_public_key",
            args.p2p_public_key == DEFAULT_P2P_PUBLIC_KEY,
        ),
        ("p2p_site_id", args.p2p_site_id == DEFAULT_P2P_SITE_ID),
        ("payin_site_id", args.payin_site_id == DEFAULT_PAYIN_SITE_ID),
        ("payin_api_key", args.payin_api_key == DEFAULT_PAYIN_API_KEY),
        (
            "payin_notification_key",
            args.payin_notification_key == DEFAULT_PAYIN_NOTIFICATION_KEY,
        ),
    ];
    let sandbox_only: Vec<&str> = defaults
        .iter()
        .filter(|(_, d)| *d)
        .map(|(n, _)| *n)
        .collect();
    let ready = serde_json::json!({
        "base_url": sandbox.base_url(),
        "dashboard": format!("{}/", sandbox.base_url()),
        "credentials": sandbox.credentials(),
        "sandbox_only_credentials": sandbox_only,
        "apis": ["p2p", "payin", "payout", "wallet"],
    });
    println!("{ready}");
    let _ = tokio::signal::ctrl_c().await;
    ExitCode::SUCCESS
}
