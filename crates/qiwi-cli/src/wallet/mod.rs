//! `qiwi wallet`: the Wallet API through qiwi-wallet — history, balances, payments, new
//! incoming payments, webhooks.

mod history;
mod hooks;
mod incoming;
mod pay;

use std::process::ExitCode;

use qiwi_core::secret::WalletToken;
use qiwi_wallet::Wallet;

use crate::Failure;
use crate::target::{Target, var};

/// The Wallet API.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: WalletCommand,
    #[command(flatten)]
    target: Target,
}

#[derive(clap::Subcommand)]
enum WalletCommand {
    /// The payment history, newest first, every page, as CSV with a header row (`--json`: one
    /// JSON object per transaction).
    History(history::History),
    /// The wallet's accounts and balances, a line each.
    Balance(Which),
    /// Pays from the wallet: to another wallet, a card or a mobile number. Prints the payment's
    /// client id before sending it.
    Pay(pay::Pay),
    /// Looks a payment up by its client id (after an unknown outcome).
    FindPayment(pay::FindPayment),
    /// New incoming payments, a line each (`--json`: JSON lines); `--follow` keeps polling.
    Incoming(incoming::IncomingArgs),
    /// The wallet's webhook: register, test, key, delete.
    Hooks(hooks::HooksArgs),
}

/// Which wallet.
#[derive(clap::Args)]
pub struct Which {
    /// The wallet's number, digits without `+` (default: QIWI_WALLET_NUMBER).
    #[arg(long)]
    pub wallet: Option<String>,
}

pub async fn run(args: Args) -> Result<ExitCode, Failure> {
    let target = args.target;
    match args.command {
        WalletCommand::History(history) => history::run(history, &target).await,
        WalletCommand::Balance(which) => balance(which, &target).await,
        WalletCommand::Pay(pay) => pay::run(pay, &target).await,
        WalletCommand::FindPayment(find) => pay::find(find, &target).await,
        WalletCommand::Incoming(incoming) => incoming::run(incoming, &target).await,
        WalletCommand::Hooks(hooks) => hooks::run(hooks, &target).await,
    }
}

/// The client for the wallet the command names, and the sandbox it runs against with
/// `--sandbox` (kept alive as long as the client is used).
pub(crate) async fn connect(
    target: &Target,
    wallet: Option<&str>,
) -> Result<(Wallet, Option<qiwi_sandbox::RunningSandbox>), Failure> {
    let (base, token, number, sandbox) = if target.sandbox {
        let sandbox = crate::target::start_sandbox().await?;
        let c = sandbox.credentials();
        (
            sandbox.base_url().to_owned(),
            c.wallet_token.clone(),
            c.wallet_number.clone(),
            Some(sandbox),
        )
    } else {
        let token = var("QIWI_WALLET_TOKEN").ok_or_else(|| {
            Failure::usage("no wallet token", "QIWI_WALLET_TOKEN is not set")
                .hint("set it in the environment (never on the command line), or pass --sandbox")
        })?;
        let token = WalletToken::new(&token).map_err(|e| Failure::usage("QIWI_WALLET_TOKEN", e))?;
        let number = wallet
            .map(str::to_owned)
            .or_else(|| var("QIWI_WALLET_NUMBER"))
            .ok_or_else(|| {
                Failure::usage(
                    "no wallet number",
                    "pass --wallet or set QIWI_WALLET_NUMBER",
                )
            })?;
        let base = target
            .base_url
            .clone()
            .unwrap_or_else(|| qiwi_wallet::BASE_URL.to_owned());
        (base, token, number, None)
    };
    let number = wallet.map(str::to_owned).unwrap_or(number);
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Failure::usage(
            "--wallet",
            "the wallet's number is digits without '+'",
        ));
    }
    // qiwi-wallet's history throttle (on by default) keeps every command under QIWI's 100
    // history requests a minute, which would otherwise lock the wallet's history for 5 minutes.
    let client = Wallet::builder(token, &number)
        .base_url(&base)
        .allow_insecure_http(target.allow_insecure_http)
        .build()
        .map_err(|e| wallet_failure("building the Wallet API client", &e))?;
    Ok((client, sandbox))
}

/// A failed Wallet API call as one line.
pub(crate) fn wallet_failure(what: &str, e: &qiwi_wallet::Error) -> Failure {
    const CREDENTIAL: &str = "QIWI_WALLET_TOKEN (tokens last 180 days)";
    match e {
        qiwi_wallet::Error::Api(e) => Failure::api(what, e, CREDENTIAL),
        qiwi_wallet::Error::InvalidInput { .. } => Failure::usage(what, e),
        qiwi_wallet::Error::PaymentRejected { reason, .. } => {
            let failure = Failure::new(what, crate::output::untrusted(&e.to_string()));
            match reason.map(|r| r.class) {
                Some(qiwi_wallet::ErrorClass::RetryLater) => {
                    failure.hint("a technical failure: pay again later with a new client id")
                }
                Some(qiwi_wallet::ErrorClass::InsufficientFunds) => {
                    failure.hint("top the wallet up, then pay with a new client id")
                }
                _ => failure,
            }
        }
        other => Failure::new(what, crate::output::untrusted(&other.to_string())),
    }
}

/// `qiwi wallet balance`.
async fn balance(which: Which, target: &Target) -> Result<ExitCode, Failure> {
    let (wallet, _sandbox) = connect(target, which.wallet.as_deref()).await?;
    let accounts = wallet
        .balances()
        .await
        .map_err(|e| wallet_failure("read the balances", &e))?;
    for account in &accounts {
        if target.json {
            let line = serde_json::to_string(account).map_err(|e| Failure::new("JSON", e))?;
            say!("{}", crate::output::json_line(line));
            continue;
        }
        let alias = account.alias.as_deref().unwrap_or("?");
        let balance = account.balance.as_ref().map_or_else(
            || "-".to_owned(),
            |b| {
                let amount = b.amount.0;
                let shown = amount.to_fixed2().unwrap_or_else(|_| amount.to_string());
                format!("{shown} {}", b.currency.currency())
            },
        );
        let default = if account.default_account == Some(true) {
            " (default)"
        } else {
            ""
        };
        say!("{}  {balance}{default}", crate::output::untrusted(alias));
    }
    Ok(ExitCode::SUCCESS)
}
