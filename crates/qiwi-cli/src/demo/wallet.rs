//! The demo's wallet steps: a webhook registered and its key read, a transfer to the sandbox's
//! second wallet seen in both histories and notified to a qiwi-hooks receiver that verifies it
//! and confirms its status through the API, a payment whose connection drops found by its
//! client id and never made twice, and the history streamed across pages.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt as _;
use qiwi_hooks::{Event, Keys, Receiver};
use qiwi_sandbox::RunningSandbox;
use qiwi_wallet::{
    Amount, ClientId, Error, HistoryOperation, HookPayments, Wallet, WalletHookKey, WalletToken,
};
use tokio::sync::mpsc;

use super::Day;

/// The steps, in order: name and the outcome each must have.
pub(super) const STEPS: [(&str, &str); 5] = [
    ("register a wallet webhook", "registered, key read"),
    (
        "transfer 10.50 RUB to the second wallet",
        "seen in both histories",
    ),
    (
        "the transfer's notification is verified",
        "SUCCESS, confirmed through the API",
    ),
    (
        "a payment whose connection drops",
        "outcome unknown, found by its client id, made once",
    ),
    (
        "the history streamed 2 rows a page",
        "every row once, as one page of 50 has them",
    ),
];

fn wallets(sandbox: &RunningSandbox) -> Result<(Wallet, Wallet), String> {
    let c = sandbox.credentials();
    let build = |token: WalletToken, number: &str| {
        Wallet::builder(token, number)
            .base_url(sandbox.base_url())
            .build()
            .map_err(|e| e.to_string())
    };
    let counterpart =
        WalletToken::new(qiwi_sandbox::COUNTERPART_TOKEN).map_err(|e| e.to_string())?;
    Ok((
        build(c.wallet_token.clone(), &c.wallet_number)?,
        build(counterpart, qiwi_sandbox::COUNTERPART_WALLET)?,
    ))
}

/// Runs the wallet steps on `sandbox`, recording each in `day`.
pub(super) async fn run(day: &mut Day, sandbox: &RunningSandbox) {
    let (wallet, counterpart) = match wallets(sandbox) {
        Ok(both) => both,
        Err(e) => {
            for _ in STEPS {
                day.record(Instant::now(), Err(e.clone()));
            }
            return;
        }
    };

    // 1. The wallet's webhook points at a qiwi-hooks receiver holding the key read back.
    let started = Instant::now();
    let hooked = register(&wallet).await;
    let mut events = None;
    day.record(
        started,
        hooked.map(|(seen, url)| {
            events = Some(seen);
            ("registered, key read".to_owned(), format!("hook {url}"))
        }),
    );

    // 2. A transfer with a client id chosen before sending, seen by both wallets.
    let started = Instant::now();
    let transferred = transfer(&wallet, &counterpart).await;
    let txn_id = transferred.as_ref().ok().map(|(txn, _)| txn.clone());
    day.record(
        started,
        transferred.map(|(_, detail)| ("seen in both histories".to_owned(), detail)),
    );

    // 3. QIWI's notification of it, verified, its status confirmed through the API.
    let started = Instant::now();
    let notified = match (events.as_mut(), txn_id) {
        (Some(events), Some(txn_id)) => notified(events, &txn_id).await,
        _ => Err("no webhook or no transfer to be notified of".to_owned()),
    };
    day.record(started, notified);

    // 4. The connection drops after the payment reached QIWI.
    let started = Instant::now();
    day.record(started, lost_payment(sandbox, &wallet).await);

    // 5. The history, 2 rows a page, against one page of 50.
    let started = Instant::now();
    day.record(started, streamed(&wallet).await);
}

async fn register(wallet: &Wallet) -> Result<(mpsc::UnboundedReceiver<Event>, String), String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let url = format!(
        "http://{}/wallet",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let hook = wallet
        .register_hook(&url, HookPayments::Both)
        .await
        .map_err(|e| e.to_string())?;
    let hook_id = hook.hook_id.ok_or("QIWI's answer has no hook id")?;
    let key = wallet.hook_key(&hook_id).await.map_err(|e| e.to_string())?;
    Ok((serve_receiver(listener, key, wallet.clone()), url))
}

/// A qiwi-hooks receiver for wallet notifications: each verified with `key`, its status read
/// again through the API (wallet notifications do not sign it) before the handler runs.
fn serve_receiver(
    listener: tokio::net::TcpListener,
    key: WalletHookKey,
    wallet: Wallet,
) -> mpsc::UnboundedReceiver<Event> {
    let (tx, events) = mpsc::unbounded_channel();
    let keys = Keys {
        wallet: Some(key),
        ..Keys::default()
    };
    let confirm = move |event: Event| {
        let wallet = wallet.clone();
        async move {
            let txn_id: i64 = event.id().parse().map_err(|_| Error::InvalidInput {
                field: "txnId",
                reason: "not a QIWI transaction id".into(),
            })?;
            let txn = wallet.transaction(txn_id, None).await?;
            Ok::<_, Error>(
                txn.status
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
            )
        }
    };
    let router = Receiver::new(keys)
        .with_confirmer(confirm)
        .router(move |event: Event| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(event);
                Ok::<_, &str>(())
            }
        });
    tokio::spawn(qiwi_hooks::serve(listener, router));
    events
}

fn amount(text: &str) -> Amount {
    text.parse().expect("the demo's amounts are valid")
}

fn rubles(amount: Amount) -> String {
    amount.to_fixed2().unwrap_or_else(|_| amount.to_string())
}

async fn rub_balance(wallet: &Wallet) -> Result<Amount, String> {
    let accounts = wallet.balances().await.map_err(|e| e.to_string())?;
    accounts
        .iter()
        .find(|a| a.alias.as_deref() == Some("qw_wallet_rub"))
        .and_then(|a| a.balance.as_ref())
        .map(|b| b.amount.0)
        .ok_or_else(|| "no rouble balance".to_owned())
}

/// The payer's QIWI transaction id, and what the step shows.
async fn transfer(wallet: &Wallet, counterpart: &Wallet) -> Result<(String, String), String> {
    let to = format!("+{}", counterpart.number());
    let payment = wallet
        .pay_to_wallet(&to, amount("10.50"))
        .comment("demo transfer");
    let id = payment.id().clone();
    payment.send().await.map_err(|e| e.to_string())?;
    let out = wallet
        .find_payment(&id, time::Duration::hours(1))
        .await
        .map_err(|e| e.to_string())?
        .ok_or("not in the payer's history")?;
    let incoming = counterpart
        .history()
        .operation(HistoryOperation::In)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let received = incoming.transactions.iter().any(|t| {
        t.comment.as_deref() == Some("demo transfer")
            && t.sum.as_ref().map(|s| s.amount.0) == Some(amount("10.50"))
    });
    if !received {
        return Err("not in the second wallet's history".to_owned());
    }
    let txn = out.txn_id.map(|t| t.to_string()).unwrap_or_default();
    Ok((
        txn.clone(),
        format!("client id {id}, QIWI transaction {txn}"),
    ))
}

async fn notified(
    events: &mut mpsc::UnboundedReceiver<Event>,
    txn_id: &str,
) -> Result<(String, String), String> {
    let wait = async {
        while let Some(e) = events.recv().await {
            if e.id() == txn_id {
                return Ok(e);
            }
        }
        Err("the receiver stopped".to_owned())
    };
    let event = tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .map_err(|_| format!("no notification of transaction {txn_id} within 10 s"))??;
    let outcome = match event.confirmed_status() {
        Some(confirmed) if confirmed == event.claimed_status() => {
            format!("{confirmed}, confirmed through the API")
        }
        confirmed => format!(
            "claims {}, the API says {confirmed:?}",
            event.claimed_status()
        ),
    };
    let signed: Vec<String> = event
        .signed_paths()
        .iter()
        .map(ToString::to_string)
        .collect();
    Ok((outcome, format!("signed: {}", signed.join(", "))))
}

async fn lost_payment(
    sandbox: &RunningSandbox,
    wallet: &Wallet,
) -> Result<(String, String), String> {
    let before = rub_balance(wallet).await?;
    let fault = serde_json::json!({"operation": "wallet.createPayment", "drop_connection": true});
    sandbox
        .add_fault(serde_json::from_value(fault).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let to = format!("+{}", qiwi_sandbox::COUNTERPART_WALLET);
    let payment = wallet.pay_to_wallet(&to, amount("5"));
    let id: ClientId = payment.id().clone();
    match payment.send().await {
        Err(Error::OutcomeUnknown { client_id, .. }) if client_id == id => {}
        other => return Err(format!("expected an unknown outcome, got {other:?}")),
    }
    let found = wallet
        .find_payment(&id, time::Duration::hours(1))
        .await
        .map_err(|e| e.to_string())?
        .ok_or("not found by its client id")?;
    let after = rub_balance(wallet).await?;
    if before.value() - after.value() != amount("5").value() {
        return Err(format!("the balance went from {before} to {after}"));
    }
    Ok((
        "outcome unknown, found by its client id, made once".to_owned(),
        format!(
            "client id {id}: QIWI transaction {}, balance {} → {} RUB",
            found.txn_id.unwrap_or_default(),
            rubles(before),
            rubles(after)
        ),
    ))
}

async fn streamed(wallet: &Wallet) -> Result<(String, String), String> {
    let to = format!("+{}", qiwi_sandbox::COUNTERPART_WALLET);
    for _ in 0..3 {
        wallet
            .pay_to_wallet(&to, amount("1"))
            .send()
            .await
            .map_err(|e| e.to_string())?;
    }
    let rows: Vec<i64> = wallet
        .history()
        .rows(2)
        .stream()
        .map_ok(|t| t.txn_id.unwrap_or_default())
        .try_collect()
        .await
        .map_err(|e| e.to_string())?;
    let page = wallet
        .history()
        .rows(50)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let one_page: Vec<i64> = page
        .transactions
        .iter()
        .map(|t| t.txn_id.unwrap_or_default())
        .collect();
    let distinct: BTreeSet<i64> = rows.iter().copied().collect();
    if rows != one_page || distinct.len() != rows.len() {
        return Err(format!(
            "streamed {} rows ({} distinct), one page has {}",
            rows.len(),
            distinct.len(),
            one_page.len()
        ));
    }
    Ok((
        "every row once, as one page of 50 has them".to_owned(),
        format!(
            "{} rows over {} pages, paced by the history throttle (QIWI allows 100 a minute)",
            rows.len(),
            rows.len().div_ceil(2)
        ),
    ))
}
