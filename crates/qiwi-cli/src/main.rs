#![doc = include_str!("../README.md")]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Prints a line on stdout; see [`output::write`].
macro_rules! say {
    () => { $crate::output::write(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::output::write(format_args!("{}\n", format_args!($($arg)*))) };
}

/// Prints on stdout without a line break; see [`output::write`].
macro_rules! say_raw {
    ($($arg:tt)*) => { $crate::output::write(format_args!($($arg)*)) };
}

mod demo;
mod duration;
mod failure;
mod output;
mod p2p;
mod payin;
mod payout;
mod table;
mod target;
mod trigger;
mod verify;
mod wallet;

pub(crate) use failure::Failure;

/// QIWI from a shell: a local QIWI, the SDK's demo, signed test notifications, verification,
/// P2P bills and the wallet (history, balances, payments, new payments, its webhook). Keys and secrets come only from environment variables,
/// never from flags.
#[derive(Parser)]
#[command(name = "qiwi", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// A merchant's day against a sandbox started in-process: bills created, paid, rejected
    /// and expired, notifications verified, retried and forged; exits non-zero if any step
    /// ends otherwise than expected.
    Demo(demo::Args),
    /// QIWI on localhost: runs the sandbox server (the flags of `qiwi-sandbox`).
    Sandbox(qiwi_sandbox::cli::Args),
    /// Sends a correctly signed notification to your endpoint and reports whether QIWI would
    /// count the answer as delivered (keys: QIWI_WALLET_HOOK_KEY, QIWI_P2P_SECRET,
    /// QIWI_PAYIN_KEY).
    Trigger(trigger::Args),
    /// Verifies a notification body read from stdin; exit 0 only when it verifies (keys as for
    /// `trigger`).
    Verify(verify::Args),
    /// P2P bills: create, get, reject, link, wait (QIWI_P2P_SECRET, QIWI_P2P_PUBLIC_KEY).
    P2p(p2p::Args),
    /// The Wallet API: the payment history as CSV (QIWI_WALLET_TOKEN, QIWI_WALLET_NUMBER).
    Wallet(wallet::Args),
    /// The Payment Protocol, pay-in: pay by card, get, complete 3-D Secure, capture, refund,
    /// SBP QR codes (QIWI_PAYIN_SITE_ID, QIWI_PAYIN_API_KEY; the card from QIWI_CARD or stdin).
    Payin(payin::Args),
    /// The Payment Protocol, payouts: create, get — signed with the key in
    /// QIWI_PAYOUT_KEY_FILE (QIWI_PAYIN_SITE_ID, QIWI_PAYIN_API_KEY).
    Payout(payout::Args),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    let result = match cli.command {
        Command::Sandbox(args) => return qiwi_sandbox::cli::run("qiwi sandbox", args).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Trigger(args) => trigger::run(args).await,
        Command::Verify(args) => verify::run(args).await,
        Command::P2p(args) => p2p::run(args).await,
        Command::Wallet(args) => wallet::run(args).await,
        Command::Payin(args) => payin::run(args).await,
        Command::Payout(args) => payout::run(args).await,
    };
    match result {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("qiwi: {failure}");
            failure.exit_code()
        }
    }
}

/// Help and version print as clap prints them; a mistake on the command line is one line.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
    }
    // clap's first paragraph (the error and its possible values or tip), on one line.
    let text = e.to_string();
    let first: Vec<&str> = text
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.trim().trim_start_matches("error: "))
        .collect();
    eprintln!("qiwi: {}; see `qiwi --help`", first.join(" "));
    ExitCode::from(2)
}
