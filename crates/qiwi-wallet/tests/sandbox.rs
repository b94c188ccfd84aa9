//! qiwi-wallet against the sandbox: what a wallet is, its balances, and a history streamed
//! across pages with no row missing or repeated.

mod common;

use common::*;

use std::collections::BTreeSet;

use futures_util::TryStreamExt as _;
use qiwi_wallet::{Error, HistoryOperation};

#[tokio::test]
async fn a_wallet_reads_who_it_is_and_what_it_may_do() {
    let sandbox = sandbox().await;
    let wallet = wallet_of(&sandbox);

    let profile = wallet.profile().await.unwrap();
    let contract = profile.contract_info.expect("contractInfo");
    assert_eq!(
        contract.contract_id.map(|id| id.to_string()).as_deref(),
        Some(sandbox.credentials().wallet_number.as_str())
    );
    let limits = wallet.limits(&[]).await.unwrap();
    assert!(!limits.limits.is_empty());
    assert_eq!(wallet.restrictions().await.unwrap(), vec![]);
    let blocked = qiwi_sys::wallet::types::Restriction {
        restriction_code: Some("OUTGOING_PAYMENTS".into()),
        restriction_description: Some("Outgoing payments are not allowed".into()),
    };
    sandbox
        .set_wallet_restrictions(
            &sandbox.credentials().wallet_number,
            qiwi_sys::wallet::types::RestrictionList(vec![blocked.clone()]),
        )
        .unwrap();
    assert_eq!(wallet.restrictions().await.unwrap(), vec![blocked]);

    let person = qiwi_wallet::IdentificationRequest {
        birth_date: "1998-02-11".into(),
        first_name: "Иван".into(),
        middle_name: "Иванович".into(),
        last_name: "Иванов".into(),
        passport: "4400111222".into(),
        inn: None,
        snils: None,
        oms: None,
    };
    let identified = wallet.identify(person).await.unwrap();
    assert_eq!(identified.type_.as_deref(), Some("VERIFIED"));
    assert_eq!(
        wallet.identification().await.unwrap().type_.as_deref(),
        Some("VERIFIED")
    );
    // Only FULL can be lowered: a VERIFIED wallet's downgrade is refused by QIWI.
    assert!(wallet.start_downgrade().await.is_err());
    let count = wallet.p2p_payment_count_limit().await.unwrap();
    assert!(count.p2p_payment_count_limit.is_some());

    let accounts = wallet.balances().await.unwrap();
    let rub = accounts
        .iter()
        .find(|a| a.alias.as_deref() == Some("qw_wallet_rub"))
        .expect("the ruble account");
    let balance = rub.balance.as_ref().expect("a balance");
    assert_eq!(balance.amount.0, "10000.00".parse().unwrap());
}

#[tokio::test]
async fn a_long_history_streams_across_pages_with_no_row_missing_or_repeated() {
    let sandbox = sandbox().await;
    let wallet = wallet_of(&sandbox);
    let counterpart = counterpart_of(&sandbox);

    // A wallet with no payments is an empty stream, not an error.
    let none: Vec<_> = counterpart.history().stream().try_collect().await.unwrap();
    assert!(none.is_empty());

    let sent = transfers(&wallet, 180).await;
    let out: Vec<_> = wallet
        .history()
        .rows(50)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<String> = out.iter().map(|t| t.trm_txn_id.clone().unwrap()).collect();
    assert_eq!(ids.len(), 180, "every row once");
    let distinct: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), 180, "no row twice");
    // Newest first: the client ids come back in the reverse order they were sent.
    let mut newest_first = sent.clone();
    newest_first.reverse();
    assert_eq!(ids, newest_first);

    // The counterpart sees each as incoming, across 4 pages of 50.
    let incoming: Vec<_> = counterpart
        .history()
        .operation(HistoryOperation::In)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(incoming.len(), 180);

    // One page, then the next from its cursor: the same rows as the stream's first two pages.
    let first = wallet.history().rows(50).send().await.unwrap();
    let cursor = first.next.clone().expect("a next page");
    let second = wallet
        .history()
        .rows(50)
        .after(cursor)
        .send()
        .await
        .unwrap();
    let paged: Vec<i64> = first
        .transactions
        .iter()
        .chain(&second.transactions)
        .map(|t| t.txn_id.unwrap())
        .collect();
    let streamed: Vec<i64> = out.iter().take(100).map(|t| t.txn_id.unwrap()).collect();
    assert_eq!(paged, streamed);

    // One transaction, and the totals of the day.
    let txn = wallet.transaction(paged[0], None).await.unwrap();
    assert_eq!(txn.txn_id, Some(paged[0]));
    let now = time::OffsetDateTime::now_utc();
    let totals = wallet
        .totals(now - time::Duration::days(1), now)
        .await
        .unwrap();
    let spent = &totals.outgoing_total[0];
    assert_eq!(spent.amount.0, "180.00".parse().unwrap());
}

#[tokio::test]
async fn refused_inputs_never_reach_qiwi() {
    let sandbox = recording_sandbox().await;
    let wallet = wallet_of(&sandbox);
    let rows = wallet.history().rows(51).send().await;
    assert!(
        matches!(rows, Err(Error::InvalidInput { field: "rows", .. })),
        "{rows:?}"
    );
    let now = time::OffsetDateTime::now_utc();
    let stream: Vec<_> = wallet
        .history()
        .between(now, now - time::Duration::days(1))
        .stream()
        .collect_results()
        .await;
    assert!(
        matches!(
            stream.as_slice(),
            [Err(Error::InvalidInput {
                field: "startDate",
                ..
            })]
        ),
        "{stream:?}"
    );
    let sent: Vec<_> = sandbox.answers().iter().map(|a| format!("{a:?}")).collect();
    assert!(sent.is_empty(), "nothing was sent: {sent:?}");
}

/// Every item of a stream, errors included.
trait CollectResults: futures_util::Stream + Sized {
    async fn collect_results(self) -> Vec<Self::Item> {
        use futures_util::StreamExt as _;
        self.collect().await
    }
}
impl<S: futures_util::Stream> CollectResults for S {}
