//! `qiwi wallet history`: the wallet's payment history, every page, as CSV (or JSON lines).
//! It calls qiwi-sys's generated Wallet API client until the qiwi-wallet crate exists.

use std::io::Write as _;
use std::process::ExitCode;

use qiwi_core::QiwiDateTime;
use qiwi_core::secret::WalletToken;
use qiwi_sys::error::{ApiError, Classify as _};
use qiwi_sys::wallet::{self, types::HistoryOperation, types::Transaction};
use time::OffsetDateTime;

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
    History(History),
}

#[derive(clap::Args)]
struct History {
    /// The wallet's number, digits without `+` (default: QIWI_WALLET_NUMBER).
    #[arg(long)]
    wallet: Option<String>,
    /// The window's start, with its offset (RFC 3339); with --to. QIWI's default window
    /// otherwise.
    #[arg(long, value_parser = crate::target::rfc3339, requires = "to")]
    from: Option<OffsetDateTime>,
    /// The window's end, with its offset (RFC 3339); with --from.
    #[arg(long, value_parser = crate::target::rfc3339, requires = "from")]
    to: Option<OffsetDateTime>,
    /// Which payments: all, in, out, qiwi-card.
    #[arg(long, value_enum, default_value = "all")]
    operation: Operation,
    /// At most this many transactions.
    #[arg(long)]
    limit: Option<usize>,
}

#[derive(clap::ValueEnum, Clone, Copy)]
enum Operation {
    All,
    In,
    Out,
    QiwiCard,
}

impl From<Operation> for HistoryOperation {
    fn from(o: Operation) -> Self {
        match o {
            Operation::All => HistoryOperation::All,
            Operation::In => HistoryOperation::In,
            Operation::Out => HistoryOperation::Out,
            Operation::QiwiCard => HistoryOperation::QiwiCard,
        }
    }
}

/// The CSV's columns, in order.
pub const COLUMNS: [&str; 11] = [
    "txn_id",
    "date",
    "type",
    "status",
    "amount",
    "currency",
    "commission",
    "total",
    "account",
    "provider",
    "comment",
];

/// QIWI's largest page.
const ROWS: u32 = 50;

pub async fn run(args: Args) -> Result<ExitCode, Failure> {
    let WalletCommand::History(history) = args.command;
    let target = args.target;
    let (base, token, number, _sandbox) = if target.sandbox {
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
        let number = history
            .wallet
            .clone()
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
            .unwrap_or_else(|| wallet::BASE_URL.to_owned());
        (base, token, number, None)
    };
    let number = history.wallet.clone().unwrap_or(number);
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Failure::usage(
            "--wallet",
            "the wallet's number is digits without '+'",
        ));
    }
    let client = wallet::Client::with_credential(&base, token)
        .map_err(|e| Failure::new("building the Wallet API client", e))?;

    let mut out = std::io::stdout().lock();
    let write_failed = |e: std::io::Error| -> Failure { crate::output::ended(&e) };
    if !target.json {
        writeln!(out, "{}", COLUMNS.join(",")).map_err(write_failed)?;
    }
    let limit = history.limit.unwrap_or(usize::MAX);
    let mut written = 0;
    let mut cursor: Option<(QiwiDateTime, i64)> = None;
    'pages: loop {
        let mut request = client
            .get_payment_history()
            .wallet(number.as_str())
            .rows(ROWS)
            .operation(HistoryOperation::from(history.operation));
        if let (Some(from), Some(to)) = (history.from, history.to) {
            request = request
                .start_date(QiwiDateTime::from(from))
                .end_date(QiwiDateTime::from(to));
        }
        if let Some((date, id)) = &cursor {
            request = request.next_txn_date(date.clone()).next_txn_id(*id);
        }
        let page = request
            .send()
            .await
            .classify()
            .map_err(|e| api_failure("read the payment history", &e))?;
        for txn in &page.data {
            if written == limit {
                break 'pages;
            }
            if target.json {
                let line = serde_json::to_string(txn).map_err(|e| Failure::new("JSON", e))?;
                writeln!(out, "{line}").map_err(write_failed)?;
            } else {
                writeln!(out, "{}", csv_row(txn)).map_err(write_failed)?;
            }
            written += 1;
        }
        let next = match (page.next_txn_date, page.next_txn_id) {
            (Some(date), Some(id)) => (QiwiDateTime::from_wire(date), id),
            _ => break,
        };
        // A cursor that does not move would page forever.
        if page.data.is_empty() || cursor.as_ref() == Some(&next) {
            return Err(Failure::new(
                "read the payment history",
                "QIWI's next page is the page just read",
            ));
        }
        cursor = Some(next);
    }
    out.flush().map_err(write_failed)?;
    Ok(ExitCode::SUCCESS)
}

/// A failed Wallet API call as one line.
fn api_failure(what: &str, e: &ApiError) -> Failure {
    let failure = Failure::new(what, e);
    match e {
        ApiError::Unauthorized { .. } => {
            failure.hint("check QIWI_WALLET_TOKEN (tokens last 180 days)")
        }
        e if e.is_retryable() => failure.hint("try again later"),
        _ => failure,
    }
}

/// One transaction as a CSV row (RFC 4180), the columns of [`COLUMNS`].
fn csv_row(t: &Transaction) -> String {
    // Kopecks always written (`64.50`), as QIWI shows money; a finer amount as it came.
    let money = |m: &Option<qiwi_core::notification::wallet::WalletMoney>| {
        m.as_ref()
            .map(|m| {
                let amount = m.amount.0;
                amount.to_fixed2().unwrap_or_else(|_| amount.to_string())
            })
            .unwrap_or_default()
    };
    let currency = t
        .sum
        .as_ref()
        .map(|m| m.currency.currency().to_string())
        .unwrap_or_default();
    let cells = [
        t.txn_id.map(|id| id.to_string()).unwrap_or_default(),
        t.date
            .as_ref()
            .map(|d| d.as_str().to_owned())
            .unwrap_or_default(),
        t.type_.as_ref().map(|v| v.to_string()).unwrap_or_default(),
        t.status.as_ref().map(|v| v.to_string()).unwrap_or_default(),
        money(&t.sum),
        currency,
        money(&t.commission),
        money(&t.total),
        t.account.clone().unwrap_or_default(),
        t.provider
            .as_ref()
            .and_then(|p| p.short_name.clone().or(p.long_name.clone()))
            .unwrap_or_default(),
        t.comment.clone().unwrap_or_default(),
    ];
    cells
        .iter()
        .map(|c| csv_cell(c))
        .collect::<Vec<_>>()
        .join(",")
}

/// A CSV cell: quoted when it holds a comma, quote or line break; a cell a spreadsheet would
/// run as a formula (`=…`, `@…`, `+`/`-` not followed by a digit) gets a leading `'`, because
/// comments and accounts come from payers.
fn csv_cell(text: &str) -> String {
    let mut chars = text.chars();
    let formula = match chars.next() {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => !chars.next().is_some_and(|c| c.is_ascii_digit()),
        _ => false,
    };
    let text = if formula {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        use super::csv_cell;
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(csv_cell("+79161112233"), "+79161112233");
        assert_eq!(csv_cell("-5.00"), "-5.00");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("+cmd"), "'+cmd");
        assert_eq!(csv_cell(""), "");
    }
}
