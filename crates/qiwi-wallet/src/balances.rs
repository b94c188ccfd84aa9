//! The wallet's currency accounts and their balances (wallet-api.md §4).

use qiwi_sys::error::Classify as _;
use qiwi_sys::wallet::types::Account;

use crate::{Error, Wallet};

impl Wallet {
    /// Every currency account of the wallet with its balance (`qw_wallet_rub` …). An account
    /// whose `hasBalance` is false has no balance to show (`balance` is `None`).
    pub async fn balances(&self) -> Result<Vec<Account>, Error> {
        let sent = self
            .raw
            .list_accounts()
            .person_id(self.number.as_str())
            .send()
            .await;
        Ok(sent.classify()?.accounts)
    }
}
