//! What the sandbox tests share: a sandbox, its two wallets' clients, a ruble balance.

#![allow(dead_code)]

use qiwi_wallet::{Amount, ClientId, Wallet, WalletToken};

/// A sandbox on a free port.
pub async fn sandbox() -> qiwi_sandbox::RunningSandbox {
    qiwi_sandbox::start(qiwi_sandbox::Config::default())
        .await
        .unwrap()
}

/// A sandbox on a free port that records its answers (see what was sent). Its recorder reads
/// whole answers, so a `drop_connection` fault does not drop under it.
pub async fn recording_sandbox() -> qiwi_sandbox::RunningSandbox {
    let config = qiwi_sandbox::Config {
        record_answers: true,
        ..qiwi_sandbox::Config::default()
    };
    qiwi_sandbox::start(config).await.unwrap()
}

/// The client of the sandbox's token wallet (10 000 RUB).
pub fn wallet_of(sandbox: &qiwi_sandbox::RunningSandbox) -> Wallet {
    let c = sandbox.credentials();
    Wallet::builder(c.wallet_token.clone(), &c.wallet_number)
        .base_url(sandbox.base_url())
        .build()
        .unwrap()
}

/// The client of the sandbox's counterpart wallet (empty).
pub fn counterpart_of(sandbox: &qiwi_sandbox::RunningSandbox) -> Wallet {
    Wallet::builder(
        WalletToken::new("sandbox-counterpart-token").unwrap(),
        qiwi_sandbox::COUNTERPART_WALLET,
    )
    .base_url(sandbox.base_url())
    .build()
    .unwrap()
}

/// The wallet's ruble balance.
pub async fn rub_balance(wallet: &Wallet) -> Amount {
    balance(wallet, "qw_wallet_rub")
        .await
        .expect("the ruble account's balance")
}

/// The balance of the wallet's account `alias` (`qw_wallet_kzt`), if it has that account.
pub async fn balance(wallet: &Wallet, alias: &str) -> Option<Amount> {
    let accounts = wallet.balances().await.unwrap();
    let account = accounts
        .iter()
        .find(|a| a.alias.as_deref() == Some(alias))?;
    Some(account.balance.as_ref()?.amount.0)
}

/// An amount written as text (`"10.50"`).
pub fn amount(text: &str) -> Amount {
    text.parse().unwrap()
}

/// `count` transfers of 1 RUB to the counterpart, commented `transfer {i}`; their client ids.
pub async fn transfers(wallet: &Wallet, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..count {
        let id = ClientId::new(format!("{}", 1_700_000_000_000u64 + i as u64)).unwrap();
        let to = format!("+{}", qiwi_sandbox::COUNTERPART_WALLET);
        wallet
            .pay_to_wallet(&to, amount("1.00"))
            .comment(format!("transfer {i}"))
            .client_id(id.clone())
            .send()
            .await
            .unwrap();
        ids.push(id.as_str().to_owned());
    }
    ids
}
