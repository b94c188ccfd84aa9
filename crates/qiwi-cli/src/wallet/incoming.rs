//! `qiwi wallet incoming`: new incoming payments, once or following, resumable from a
//! checkpoint file.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use futures_util::StreamExt as _;
use qiwi_wallet::{Checkpoint, CheckpointStore, Error, Transaction};
use time::OffsetDateTime;

use super::{Which, connect, wallet_failure};
use crate::Failure;
use crate::target::Target;

#[derive(clap::Args)]
pub struct IncomingArgs {
    /// Keep polling and print each new payment as it arrives (until Ctrl-C).
    #[arg(long)]
    follow: bool,
    /// Where to keep what was printed, so that the next run goes on after it.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    /// Without a checkpoint, payments from this time on (RFC 3339); default: now.
    #[arg(long, value_parser = crate::target::rfc3339)]
    since: Option<OffsetDateTime>,
    /// Seconds between polls with --follow.
    #[arg(long, default_value_t = 30)]
    interval: u64,
    #[command(flatten)]
    which: Which,
}

/// A checkpoint in a file: written whole to a temporary file beside it, then renamed over it,
/// so that a crash never leaves half a checkpoint.
struct FileCheckpoint(PathBuf);

impl CheckpointStore for FileCheckpoint {
    async fn load(&self, _wallet: &str) -> Result<Option<Checkpoint>, Error> {
        match std::fs::read_to_string(&self.0) {
            Ok(text) => Checkpoint::from_text(&text).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::Checkpoint {
                message: format!("{}: {e}", self.0.display()),
            }),
        }
    }

    async fn save(&self, _wallet: &str, checkpoint: &Checkpoint) -> Result<(), Error> {
        let mut temporary = self.0.clone().into_os_string();
        temporary.push(".tmp");
        let temporary = PathBuf::from(temporary);
        std::fs::write(&temporary, checkpoint.to_text())
            .and_then(|()| std::fs::rename(&temporary, &self.0))
            .map_err(|e| Error::Checkpoint {
                message: format!("{}: {e}", self.0.display()),
            })
    }
}

/// `qiwi wallet incoming`.
pub async fn run(args: IncomingArgs, target: &Target) -> Result<ExitCode, Failure> {
    let (wallet, _sandbox) = connect(target, args.which.wallet.as_deref()).await?;
    let mut incoming = wallet
        .incoming()
        .interval(Duration::from_secs(args.interval.max(1)));
    if let Some(since) = args.since {
        incoming = incoming.since(since);
    }
    match (args.checkpoint, args.follow) {
        (Some(file), true) => follow(incoming.store(FileCheckpoint(file)).stream(), target).await,
        (None, true) => follow(incoming.stream(), target).await,
        (Some(file), false) => {
            let new = incoming.store(FileCheckpoint(file)).once().await;
            print_all(new, target)
        }
        (None, false) => print_all(incoming.once().await, target),
    }
}

fn print_all(new: Result<Vec<Transaction>, Error>, target: &Target) -> Result<ExitCode, Failure> {
    let new = new.map_err(|e| wallet_failure("read new payments", &e))?;
    for txn in &new {
        print(txn, target)?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn follow(
    stream: impl futures_util::Stream<Item = Result<Transaction, Error>>,
    target: &Target,
) -> Result<ExitCode, Failure> {
    let mut stream = std::pin::pin!(stream);
    while let Some(next) = stream.next().await {
        match next {
            Ok(txn) => print(&txn, target)?,
            // A failed poll is reported and polling goes on; a bad checkpoint ends it.
            Err(e @ (Error::Checkpoint { .. } | Error::InvalidInput { .. })) => {
                return Err(wallet_failure("read new payments", &e));
            }
            Err(e) => eprintln!("qiwi: {}", wallet_failure("poll", &e)),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One payment: `txn_id date amount currency from comment` (QIWI's text escaped), or JSON.
fn print(txn: &Transaction, target: &Target) -> Result<(), Failure> {
    if target.json {
        let line = serde_json::to_string(txn).map_err(|e| Failure::new("JSON", e))?;
        say!("{}", crate::output::json_line(line));
        return Ok(());
    }
    let (amount, currency) = txn.sum.as_ref().map_or_else(
        || ("-".to_owned(), String::new()),
        |m| {
            let a = m.amount.0;
            (
                a.to_fixed2().unwrap_or_else(|_| a.to_string()),
                m.currency.currency().to_string(),
            )
        },
    );
    say!(
        "{} {} {amount} {currency} from {} {}",
        txn.txn_id.map(|t| t.to_string()).unwrap_or_default(),
        crate::output::untrusted(txn.date.as_ref().map(|d| d.as_str()).unwrap_or_default()),
        crate::output::untrusted(txn.account.as_deref().unwrap_or("-")),
        crate::output::untrusted(txn.comment.as_deref().unwrap_or(""))
    );
    Ok(())
}
