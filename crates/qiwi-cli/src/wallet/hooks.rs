//! `qiwi wallet hooks`: the wallet's webhook — register, send a test, read or rotate its key,
//! delete.

use std::process::ExitCode;

use qiwi_wallet::HookPayments;

use super::{Which, connect, wallet_failure};
use crate::Failure;
use crate::target::Target;

#[derive(clap::Args)]
pub struct HooksArgs {
    #[command(subcommand)]
    command: HooksCommand,
    #[command(flatten)]
    which: Which,
}

#[derive(clap::Subcommand)]
enum HooksCommand {
    /// Registers URL as the wallet's webhook (one per wallet) and prints its id.
    Register {
        /// Your handler, http(s)://, at most 100 characters.
        url: String,
        /// Which payments QIWI notifies.
        #[arg(long, value_enum, default_value = "in")]
        payments: Payments,
    },
    /// Has QIWI send a test notification to the webhook.
    Test,
    /// Prints the key the webhook's notifications are signed with (Base64), for
    /// `QIWI_WALLET_HOOK_KEY`; `--rotate` makes a new one first.
    Key {
        /// Make a new key (the old one stops signing).
        #[arg(long)]
        rotate: bool,
    },
    /// Deletes the webhook.
    Delete,
}

#[derive(clap::ValueEnum, Clone, Copy)]
enum Payments {
    In,
    Out,
    Both,
}

/// `qiwi wallet hooks`.
pub async fn run(args: HooksArgs, target: &Target) -> Result<ExitCode, Failure> {
    let (wallet, _sandbox) = connect(target, args.which.wallet.as_deref()).await?;
    let active = || async {
        wallet
            .active_hook()
            .await
            .map_err(|e| wallet_failure("read the webhook", &e))?
            .and_then(|h| h.hook_id)
            .ok_or_else(|| {
                Failure::new("webhook", "the wallet has none")
                    .hint("register one with `qiwi wallet hooks register URL`")
            })
    };
    match args.command {
        HooksCommand::Register { url, payments } => {
            let payments = match payments {
                Payments::In => HookPayments::Incoming,
                Payments::Out => HookPayments::Outgoing,
                Payments::Both => HookPayments::Both,
            };
            let hook = wallet
                .register_hook(&url, payments)
                .await
                .map_err(|e| wallet_failure("register the webhook", &e))?;
            let id = hook.hook_id.unwrap_or_default();
            say!("hook_id {}", crate::output::untrusted(&id));
        }
        HooksCommand::Test => {
            wallet
                .send_test_hook()
                .await
                .map_err(|e| wallet_failure("send a test notification", &e))?;
            say!("test notification sent");
        }
        HooksCommand::Key { rotate } => {
            let id = active().await?;
            let key = if rotate {
                wallet.rotate_hook_key(&id).await
            } else {
                wallet.hook_key(&id).await
            }
            .map_err(|e| wallet_failure("read the webhook's key", &e))?;
            // Asked for by name: the one place the key is printed, on stdout only.
            say!("{}", key.to_base64());
        }
        HooksCommand::Delete => {
            let id = active().await?;
            wallet
                .delete_hook(&id)
                .await
                .map_err(|e| wallet_failure("delete the webhook", &e))?;
            say!("deleted {}", crate::output::untrusted(&id));
        }
    }
    Ok(ExitCode::SUCCESS)
}
