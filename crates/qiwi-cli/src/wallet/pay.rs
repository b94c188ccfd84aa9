//! `qiwi wallet pay` and `qiwi wallet find-payment`: a payment made once, and found again by
//! its client id when its outcome is unknown.

use std::process::ExitCode;

use qiwi_wallet::{Amount, ClientId, Error};

use super::{Which, connect, wallet_failure};
use crate::Failure;
use crate::target::Target;

/// Where a payment goes.
#[derive(clap::ValueEnum, Clone, Copy)]
enum To {
    /// A QIWI wallet (`+79001234567`).
    Wallet,
    /// A Russian card's number.
    Card,
    /// A Russian mobile number (top-up).
    Mobile,
}

#[derive(clap::Args)]
pub struct Pay {
    /// What the recipient is.
    #[arg(value_enum)]
    to: To,
    /// The recipient: a wallet number, a card number or a mobile number.
    recipient: String,
    /// The amount in rubles, at most two decimals (`10.50`).
    #[arg(long)]
    amount: Amount,
    /// Your client id for the payment (up to 20 digits); generated when not given.
    #[arg(long)]
    client_id: Option<String>,
    /// A comment for the recipient (transfers to wallets only).
    #[arg(long)]
    comment: Option<String>,
    #[command(flatten)]
    which: Which,
}

#[derive(clap::Args)]
pub struct FindPayment {
    /// The payment's client id.
    client_id: String,
    /// How far back to look, in days (at most 90 are read per request; longer is split).
    #[arg(long, default_value_t = 1)]
    days: u16,
    #[command(flatten)]
    which: Which,
}

/// `qiwi wallet pay`.
pub async fn run(pay: Pay, target: &Target) -> Result<ExitCode, Failure> {
    let (wallet, _sandbox) = connect(target, pay.which.wallet.as_deref()).await?;
    let mut payment = match pay.to {
        To::Wallet => wallet.pay_to_wallet(&pay.recipient, pay.amount),
        To::Card => wallet.pay_to_card(&pay.recipient, pay.amount),
        To::Mobile => wallet.pay_to_mobile(&pay.recipient, pay.amount),
    };
    if let Some(id) = pay.client_id {
        let id = ClientId::new(id).map_err(|e| wallet_failure("--client-id", &e))?;
        payment = payment.client_id(id);
    }
    if let Some(comment) = pay.comment {
        payment = payment.comment(comment);
    }
    let id = payment.id().clone();
    // Before sending: whatever happens next, the id is on screen to look the payment up.
    if !target.json {
        say!("client_id {id}");
    }
    match payment.send().await {
        Ok(sent) => {
            if target.json {
                let line = serde_json::json!({
                    "client_id": sent.client_id.as_str(),
                    "provider_id": sent.provider_id,
                    "transaction_id": sent.transaction_id,
                });
                say!("{}", crate::output::json_line(line.to_string()));
            } else {
                let txn = sent.transaction_id.as_deref().unwrap_or("-");
                say!(
                    "accepted transaction {} provider {}",
                    crate::output::untrusted(txn),
                    sent.provider_id
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ Error::OutcomeUnknown { .. }) => {
            let wallet_flag = format!(" --wallet {}", wallet.number());
            Err(wallet_failure("pay", &e).hint(format!(
                "do not pay again yet: look it up with `qiwi wallet find-payment {id}{wallet_flag}`"
            )))
        }
        Err(e) => Err(wallet_failure("pay", &e)),
    }
}

/// `qiwi wallet find-payment`.
pub async fn find(find: FindPayment, target: &Target) -> Result<ExitCode, Failure> {
    let id = ClientId::new(find.client_id).map_err(|e| wallet_failure("client id", &e))?;
    let (wallet, _sandbox) = connect(target, find.which.wallet.as_deref()).await?;
    let within = time::Duration::days(i64::from(find.days.max(1)));
    let found = wallet
        .find_payment(&id, within)
        .await
        .map_err(|e| wallet_failure("look the payment up", &e))?;
    let Some(txn) = found else {
        return Err(Failure::new(
            format!("payment {id}"),
            format!(
                "not in the last {} day(s) of outgoing payments",
                find.days.max(1)
            ),
        )
        .hint(format!(
            "not found: pay again with the same id (`--client-id {id}`), which QIWI refuses (408) if the first payment was made after all"
        )));
    };
    if target.json {
        let line = serde_json::to_string(&txn).map_err(|e| Failure::new("JSON", e))?;
        say!("{}", crate::output::json_line(line));
    } else {
        let status = txn
            .status
            .as_ref()
            .map(|s| s.to_string())
            .unwrap_or_default();
        say!(
            "found transaction {} status {}",
            txn.txn_id.map(|t| t.to_string()).unwrap_or_default(),
            crate::output::untrusted(&status)
        );
    }
    Ok(ExitCode::SUCCESS)
}
