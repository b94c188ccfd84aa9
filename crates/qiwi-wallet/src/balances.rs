//! The wallet's currency accounts and their balances (wallet-api.md §4.1).

use qiwi_sys::error::Classify as _;
use qiwi_sys::wallet::types::Account;

use crate::{Error, Wallet};

impl Wallet {
    /// Every currency account of the wallet with its balance (`qw_wallet_rub` …). An account
    /// with `hasBalance` but no balance in the answer is read again, once, as QIWI documents
    /// (`alias`, `timeout=1000`); if it is still empty, `balance` stays `None`: no amount is
    /// made up.
    pub async fn balances(&self) -> Result<Vec<Account>, Error> {
        let sent = self
            .raw
            .list_accounts()
            .person_id(self.number.as_str())
            .send()
            .await;
        let mut accounts = sent.classify()?.accounts;
        for account in &mut accounts {
            if account.has_balance == Some(true)
                && account.balance.is_none()
                && let Some(alias) = account.alias.clone()
                && let Some(again) = self.reread_balance(&alias).await?
            {
                *account = again;
            }
        }
        Ok(accounts)
    }
}
