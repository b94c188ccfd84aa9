//! Webhooks (wallet-api.md §8) and P2P key pairs (§7.1): registered, tested, their keys read
//! and rotated as secrets.

use qiwi_core::secret::WalletHookKey;
use qiwi_sys::error::Classify as _;
use qiwi_sys::wallet::types::{Hook, P2pKeys, P2pKeysRequest};

use crate::{ApiError, Error, Wallet};

/// The longest handler URL QIWI takes (un-encoded).
pub const MAX_HOOK_URL: usize = 100;

/// Which payments a webhook is sent for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookPayments {
    /// Incoming payments (`txnType=0`).
    Incoming,
    /// Outgoing payments (`txnType=1`).
    Outgoing,
    /// Both (`txnType=2`).
    Both,
}

impl Wallet {
    /// Registers `url` as the wallet's webhook (one per wallet: QIWI answers 422 for a second).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a URL that is not `http(s)://` or is longer than
    /// [`MAX_HOOK_URL`].
    pub async fn register_hook(&self, url: &str, payments: HookPayments) -> Result<Hook, Error> {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(Error::invalid("param", "an http(s):// URL"));
        }
        if url.chars().count() > MAX_HOOK_URL {
            return Err(Error::invalid("param", "at most 100 characters"));
        }
        let txn_type = match payments {
            HookPayments::Incoming => 0,
            HookPayments::Outgoing => 1,
            HookPayments::Both => 2,
        };
        let sent = self
            .raw
            .register_webhook()
            .hook_type(1)
            .param(url)
            .txn_type(txn_type)
            .send()
            .await;
        Ok(sent.classify()?)
    }

    /// The wallet's webhook, or `None` when none is registered.
    pub async fn active_hook(&self) -> Result<Option<Hook>, Error> {
        match self.raw.get_active_webhook().send().await.classify() {
            Ok(hook) => Ok(Some(hook)),
            Err(ApiError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes webhook `hook_id`.
    pub async fn delete_hook(&self, hook_id: &str) -> Result<(), Error> {
        let sent = self.raw.delete_webhook().hook_id(hook_id).send().await;
        sent.classify().map(|_| ()).map_err(Error::from)
    }

    /// The key webhook `hook_id`'s notifications are signed with (qiwi-hooks verifies them).
    pub async fn hook_key(&self, hook_id: &str) -> Result<WalletHookKey, Error> {
        let sent = self.raw.get_webhook_key().hook_id(hook_id).send().await;
        key_of(sent.classify()?.key)
    }

    /// A new key for webhook `hook_id`; the old one stops signing.
    pub async fn rotate_hook_key(&self, hook_id: &str) -> Result<WalletHookKey, Error> {
        let sent = self.raw.rotate_webhook_key().hook_id(hook_id).send().await;
        key_of(sent.classify()?.key)
    }

    /// Has QIWI send a test notification to the wallet's webhook.
    pub async fn send_test_hook(&self) -> Result<(), Error> {
        let sent = self.raw.send_test_webhook().send().await;
        sent.classify().map(|_| ()).map_err(Error::from)
    }

    /// A new P2P key pair named `name` for the P2P bills API, its bills' notifications sent to
    /// `notifications_url` when given; both keys come back as secret types.
    pub async fn create_p2p_keys(
        &self,
        name: &str,
        notifications_url: Option<&str>,
    ) -> Result<P2pKeys, Error> {
        let sent = self
            .raw
            .create_p2p_keys()
            .body(P2pKeysRequest {
                keys_pair_name: name.to_owned(),
                server_notifications_url: notifications_url.map(str::to_owned),
            })
            .send()
            .await;
        Ok(sent.classify()?)
    }
}

fn key_of(key: Option<WalletHookKey>) -> Result<WalletHookKey, Error> {
    key.ok_or_else(|| {
        Error::Api(ApiError::Decode {
            path: ".key".into(),
            message: "QIWI's answer has no key".into(),
        })
    })
}
