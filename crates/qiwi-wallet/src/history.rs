//! The payment history (wallet-api.md §3): one page, or every transaction as a stream that
//! follows QIWI's `nextTxnId`/`nextTxnDate` cursors and splits windows longer than QIWI's 90
//! days; totals; one transaction.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::future::Either;
use futures_util::{Stream, StreamExt as _};
use qiwi_core::QiwiDateTime;
use qiwi_sys::error::Classify as _;
use qiwi_sys::transport::pages;
use qiwi_sys::wallet::types::{
    HistoryOperation, HistorySource, PaymentTotals, Transaction, TxnDirection,
};
use time::{Duration, OffsetDateTime};

use crate::client::history_failure;
use crate::{Error, Wallet};

/// The longest window QIWI answers in one request (`startDate` to `endDate`).
pub const MAX_WINDOW: Duration = Duration::days(90);
/// The most rows QIWI answers in one page.
pub const MAX_ROWS: u32 = 50;

/// Where the next page starts: QIWI's `nextTxnId` and `nextTxnDate`, always sent together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryCursor {
    /// `nextTxnId`.
    pub txn_id: i64,
    /// `nextTxnDate`, as QIWI wrote it.
    pub date: QiwiDateTime,
}

/// One page of the history, newest first, and the cursor of the next (`None` on the last).
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryPage {
    /// The page's transactions.
    pub transactions: Vec<Transaction>,
    /// Where the next page starts.
    pub next: Option<HistoryCursor>,
}

/// A history request: [`Wallet::history`], then [`History::send`] for one page or
/// [`History::stream`] for every transaction.
///
/// Without [`History::between`], QIWI answers the last day only.
///
/// ```no_run
/// # async fn run(wallet: qiwi_wallet::Wallet) -> Result<(), qiwi_wallet::Error> {
/// use futures_util::TryStreamExt as _;
/// use qiwi_wallet::HistoryOperation;
/// use time::{Duration, OffsetDateTime};
///
/// // A year of incoming payments: four windows of at most 90 days, every page of each.
/// let now = OffsetDateTime::now_utc();
/// let incoming: Vec<_> = wallet
///     .history()
///     .operation(HistoryOperation::In)
///     .between(now - Duration::days(365), now)
///     .stream()
///     .try_collect()
///     .await?;
/// println!("{} payments", incoming.len());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct History<'a> {
    wallet: &'a Wallet,
    rows: u32,
    operation: Option<HistoryOperation>,
    sources: Vec<HistorySource>,
    window: Option<(OffsetDateTime, OffsetDateTime)>,
    after: Option<HistoryCursor>,
}

impl Wallet {
    /// The payment history, newest first.
    pub fn history(&self) -> History<'_> {
        History {
            wallet: self,
            rows: MAX_ROWS,
            operation: None,
            sources: Vec::new(),
            window: None,
            after: None,
        }
    }

    /// Incoming and outgoing totals between `start` and `end` (at most [`MAX_WINDOW`]).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a window that is reversed or longer than 90 days.
    pub async fn totals(
        &self,
        start: OffsetDateTime,
        end: OffsetDateTime,
    ) -> Result<PaymentTotals, Error> {
        check_window(start, end)?;
        let sent = self
            .raw
            .get_payment_totals()
            .wallet(self.number.as_str())
            .start_date(QiwiDateTime::from(start))
            .end_date(QiwiDateTime::from(end))
            .send()
            .await;
        sent.classify().map_err(history_failure)
    }

    /// One transaction, by QIWI's `txnId`. `direction` tells QIWI which side of a transfer
    /// between two of one's own wallets is meant; `None` when it does not matter.
    pub async fn transaction(
        &self,
        txn_id: i64,
        direction: Option<TxnDirection>,
    ) -> Result<Transaction, Error> {
        let mut request = self.raw.get_transaction().transaction_id(txn_id);
        if let Some(direction) = direction {
            request = request.type_(direction);
        }
        request.send().await.classify().map_err(history_failure)
    }
}

impl<'a> History<'a> {
    /// Rows per page, 1 to [`MAX_ROWS`] (the default).
    pub fn rows(mut self, rows: u32) -> Self {
        self.rows = rows;
        self
    }

    /// Which payments: `ALL` (QIWI's default), `IN`, `OUT`, `QIWI_CARD`.
    pub fn operation(mut self, operation: HistoryOperation) -> Self {
        self.operation = Some(operation);
        self
    }

    /// Only payments from these funding sources (sent as QIWI's indexed `sources[0]=…`).
    pub fn sources(mut self, sources: impl IntoIterator<Item = HistorySource>) -> Self {
        self.sources = sources.into_iter().collect();
        self
    }

    /// Only transactions from `start` to `end`. [`History::send`] takes at most
    /// [`MAX_WINDOW`]; [`History::stream`] reads a longer window as consecutive windows of 90
    /// days, newest first.
    pub fn between(mut self, start: OffsetDateTime, end: OffsetDateTime) -> Self {
        self.window = Some((start, end));
        self
    }

    /// Start at `cursor` (a page's [`HistoryPage::next`]) instead of the newest transaction.
    pub fn after(mut self, cursor: HistoryCursor) -> Self {
        self.after = Some(cursor);
        self
    }

    /// One page.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for rows outside 1 to 50 or a window reversed or longer than
    /// 90 days; QIWI's history lock is [`crate::ApiError::RateLimited`] (`423`) with the wait.
    pub async fn send(self) -> Result<HistoryPage, Error> {
        self.check_rows()?;
        let window = self.window.map(|(start, end)| whole_seconds(start, end));
        if let Some((start, end)) = window {
            check_window(start, end)?;
        }
        let (transactions, next) = self.page(window, self.after.clone()).await?;
        Ok(HistoryPage { transactions, next })
    }

    /// Every transaction, newest first, page after page until QIWI's cursors end; an empty
    /// history is an empty stream. A window longer than 90 days is read as consecutive
    /// windows. The stream ends after its first error (a cursor that does not move is
    /// [`crate::ApiError::Decode`]).
    pub fn stream(self) -> impl Stream<Item = Result<Transaction, Error>> + 'a {
        let checked = self.check_rows().and_then(|()| match self.window {
            Some((start, end)) if end < start => Err(Error::invalid(
                "startDate",
                "the window's start is after its end",
            )),
            _ => Ok(()),
        });
        let windows: Vec<Option<(OffsetDateTime, OffsetDateTime)>> = match self.window {
            None => vec![None],
            Some((start, end)) => split(start, end).into_iter().map(Some).collect(),
        };
        let first = self.after.clone();
        // Set by the first error: no later window is asked for (the stream ends there).
        let failed = Arc::new(AtomicBool::new(checked.is_err()));
        let pages = futures_util::stream::iter(windows.into_iter().enumerate()).flat_map(
            move |(i, window)| {
                if failed.load(Ordering::Relaxed) {
                    return Either::Left(futures_util::stream::empty());
                }
                let history = self.clone();
                let failed = failed.clone();
                let mut start = if i == 0 { first.clone() } else { None };
                let window_pages = pages(move |cursor: Option<HistoryCursor>| {
                    let cursor = cursor.or_else(|| start.take());
                    let history = history.clone();
                    async move { history.page(window, cursor).await }
                });
                Either::Right(window_pages.inspect(move |page| {
                    if page.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                }))
            },
        );
        let rows = pages.flat_map(|page| {
            futures_util::stream::iter(match page {
                Ok(transactions) => transactions.into_iter().map(Ok).collect::<Vec<_>>(),
                Err(e) => vec![Err(e)],
            })
        });
        // A refused input is the stream's only item: nothing is sent.
        futures_util::stream::iter(checked.err().map(Err)).chain(rows)
    }

    fn check_rows(&self) -> Result<(), Error> {
        if (1..=MAX_ROWS).contains(&self.rows) {
            Ok(())
        } else {
            Err(Error::invalid("rows", "1 to 50 rows a page"))
        }
    }

    /// One request: the page's rows and the cursor after it.
    async fn page(
        &self,
        window: Option<(OffsetDateTime, OffsetDateTime)>,
        cursor: Option<HistoryCursor>,
    ) -> Result<(Vec<Transaction>, Option<HistoryCursor>), Error> {
        let mut request = self
            .wallet
            .raw
            .get_payment_history()
            .wallet(self.wallet.number.as_str())
            .rows(self.rows);
        if let Some(operation) = self.operation {
            request = request.operation(operation);
        }
        if !self.sources.is_empty() {
            request = request.sources(self.sources.clone());
        }
        if let Some((start, end)) = window {
            request = request
                .start_date(QiwiDateTime::from(start))
                .end_date(QiwiDateTime::from(end));
        }
        if let Some(cursor) = cursor {
            request = request
                .next_txn_id(cursor.txn_id)
                .next_txn_date(cursor.date);
        }
        let page = request.send().await.classify().map_err(history_failure)?;
        let next = match (page.next_txn_id, page.next_txn_date) {
            (Some(txn_id), Some(date)) => Some(HistoryCursor {
                txn_id,
                date: QiwiDateTime::from_wire(date),
            }),
            _ => None,
        };
        Ok((page.data, next))
    }
}

fn check_window(start: OffsetDateTime, end: OffsetDateTime) -> Result<(), Error> {
    if end < start {
        return Err(Error::invalid(
            "startDate",
            "the window's start is after its end",
        ));
    }
    if end - start > MAX_WINDOW {
        return Err(Error::invalid(
            "startDate",
            "at most 90 days before endDate (History::stream splits longer windows)",
        ));
    }
    Ok(())
}

/// The window widened to whole seconds, as QIWI's dates are written: the start down, the end
/// up, so that a transaction in the end's second (a payment just made, read with `now`) is in.
fn whole_seconds(start: OffsetDateTime, end: OffsetDateTime) -> (OffsetDateTime, OffsetDateTime) {
    let floor = |t: OffsetDateTime| t.replace_nanosecond(0).unwrap_or(t);
    let end = if end.nanosecond() == 0 {
        end
    } else {
        floor(end) + Duration::SECOND
    };
    (floor(start), end)
}

/// `start..=end` as consecutive windows of at most [`MAX_WINDOW`], newest first. QIWI's
/// dates have whole seconds, so a window ends a second before the next one starts: no
/// transaction falls in two windows or between them.
fn split(start: OffsetDateTime, end: OffsetDateTime) -> Vec<(OffsetDateTime, OffsetDateTime)> {
    let (start, mut end) = whole_seconds(start, end);
    let mut windows = Vec::new();
    loop {
        let from = (end - MAX_WINDOW).max(start);
        windows.push((from, end));
        if from == start {
            return windows;
        }
        end = from - Duration::SECOND;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn long_windows_split_into_90_days_without_gap_or_overlap() {
        let start = datetime!(2026-01-01 00:00:00 +03:00);
        let end = datetime!(2026-12-01 12:30:00.750 +03:00);
        let windows = split(start, end);
        assert_eq!(windows.len(), 4);
        // The end's second is in: it rounds up.
        assert_eq!(windows[0].1, datetime!(2026-12-01 12:30:01 +03:00));
        assert_eq!(windows.last().unwrap().0, start);
        for w in &windows {
            assert!(w.0 <= w.1 && w.1 - w.0 <= MAX_WINDOW, "{w:?}");
        }
        for pair in windows.windows(2) {
            assert_eq!(pair[1].1 + Duration::SECOND, pair[0].0, "{pair:?}");
        }
        assert_eq!(split(start, start), vec![(start, start)]);
        let exactly = start + MAX_WINDOW;
        assert_eq!(split(start, exactly), vec![(start, exactly)]);
    }

    #[test]
    fn windows_are_checked_before_sending() {
        let t = datetime!(2026-06-01 00:00:00 UTC);
        assert!(check_window(t, t + MAX_WINDOW).is_ok());
        assert!(matches!(
            check_window(t, t + MAX_WINDOW + Duration::SECOND),
            Err(Error::InvalidInput {
                field: "startDate",
                ..
            })
        ));
        assert!(matches!(
            check_window(t, t - Duration::SECOND),
            Err(Error::InvalidInput {
                field: "startDate",
                ..
            })
        ));
    }
}
