//! `qiwi wallet history`: the wallet's payment history, every page, as CSV (or JSON lines),
//! streamed by qiwi-wallet.

use std::io::Write as _;
use std::process::ExitCode;

use futures_util::StreamExt as _;
use qiwi_wallet::{HistoryOperation, Transaction};
use time::OffsetDateTime;

use super::wallet_failure;
use crate::Failure;
use crate::target::Target;

#[derive(clap::Args)]
pub struct History {
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

/// `qiwi wallet history`.
pub async fn run(history: History, target: &Target) -> Result<ExitCode, Failure> {
    let (client, _sandbox) = super::connect(target, history.wallet.as_deref()).await?;
    let mut out = std::io::stdout().lock();
    let write_failed = |e: std::io::Error| -> Failure { crate::output::ended(&e) };
    if !target.json {
        writeln!(out, "{}", COLUMNS.join(",")).map_err(write_failed)?;
    }
    let limit = history.limit.unwrap_or(usize::MAX);
    let mut request = client
        .history()
        .rows(qiwi_wallet::MAX_ROWS)
        .operation(HistoryOperation::from(history.operation));
    if let Some((from, to)) = history.from.zip(history.to) {
        request = request.between(from, to);
    }
    let rows = request.stream().take(limit);
    let mut rows = std::pin::pin!(rows);
    while let Some(txn) = rows.next().await {
        let txn = txn.map_err(|e| wallet_failure("read the payment history", &e))?;
        if target.json {
            let line = serde_json::to_string(&txn).map_err(|e| Failure::new("JSON", e))?;
            let line = crate::output::json_line(line);
            writeln!(out, "{line}").map_err(write_failed)?;
        } else {
            writeln!(out, "{}", csv_row(&txn)).map_err(write_failed)?;
        }
    }
    out.flush().map_err(write_failed)?;
    Ok(ExitCode::SUCCESS)
}

/// One transaction as a CSV row (RFC 4180), the columns of [`COLUMNS`].
fn csv_row(t: &Transaction) -> String {
    // Kopecks always written (`64.50`), as QIWI shows money; a finer amount as it came.
    let money = |m: &Option<qiwi_core::wallet::WalletMoney>| {
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
    // Numbers this export writes itself (the id, amounts) stay numbers; every other cell is
    // QIWI's or a payer's text.
    let number = |n: String| csv_quoted(n);
    let cells = [
        number(t.txn_id.map(|id| id.to_string()).unwrap_or_default()),
        csv_cell(
            &t.date
                .as_ref()
                .map(|d| d.as_str().to_owned())
                .unwrap_or_default(),
        ),
        csv_cell(&t.type_.as_ref().map(|v| v.to_string()).unwrap_or_default()),
        csv_cell(&t.status.as_ref().map(|v| v.to_string()).unwrap_or_default()),
        number(money(&t.sum)),
        csv_cell(&currency),
        number(money(&t.commission)),
        number(money(&t.total)),
        csv_cell(&t.account.clone().unwrap_or_default()),
        csv_cell(
            &t.provider
                .as_ref()
                .and_then(|p| p.short_name.clone().or(p.long_name.clone()))
                .unwrap_or_default(),
        ),
        csv_cell(&t.comment.clone().unwrap_or_default()),
    ];
    cells.join(",")
}

/// A text cell from QIWI or a payer, under OWASP's CSV-injection rule: control and bidi
/// characters shown escaped (a terminal `cat`s this file too), and a cell a spreadsheet would
/// run as a formula — starting with `=`, `+`, `-`, `@`, tab, CR, NUL or their full-width forms —
/// gets a leading `'`, unless it is a plain number (`-150.00`, `+79161112233`): `-1+1` is a
/// formula, `-150` is not.
fn csv_cell(text: &str) -> String {
    let shown = crate::output::untrusted(text);
    let formula = matches!(
        shown.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\0' | '＝' | '＋' | '－' | '＠')
    ) && !is_plain_number(&shown);
    if formula {
        csv_quoted(format!("'{shown}"))
    } else {
        csv_quoted(shown.into_owned())
    }
}

/// An optional sign, digits, and an optional fraction: a value no spreadsheet evaluates.
fn is_plain_number(text: &str) -> bool {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// RFC 4180: quoted when the cell holds a comma, quote or line break.
fn csv_quoted(text: String) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::{csv_cell, csv_quoted};

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell(""), "");
        // OWASP's triggers, full-width forms included.
        for (cell, safe) in [
            ("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("+cmd", "'+cmd"),
            ("-1+1", "'-1+1"),
            ("+1-2", "'+1-2"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("-10.5.1", "'-10.5.1"),
            ("＝1+1", "'＝1+1"),
            ("＋1", "'＋1"),
            ("－1", "'－1"),
            ("＠SUM(A1)", "'＠SUM(A1)"),
            // Controls are shown escaped, so none starts a cell raw.
            ("\t=1+1", "\\u{9}=1+1"),
            ("\r=1+1", "\\u{d}=1+1"),
            ("\0=1", "\\u{0}=1"),
        ] {
            assert_eq!(csv_cell(cell), safe, "{cell:?}");
        }
        // Plain numbers are values, not formulas.
        for number in ["+79161112233", "-150.00", "-5", "42", "+1.5"] {
            assert_eq!(csv_cell(number), number);
        }
        assert_eq!(csv_cell("line\nbreak\x1b[2J"), "line\\u{a}break\\u{1b}[2J");
        // What the export writes itself is never prefixed.
        assert_eq!(csv_quoted("-150.00".into()), "-150.00");
    }
}
