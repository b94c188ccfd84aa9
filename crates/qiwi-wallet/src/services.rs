//! The wallet's accounts beyond their balances, and QIWI's lookups: offers, a new account, the
//! default one, commissions, cross rates, providers, the nickname, receipts
//! (wallet-api.md §3.4–3.5, §4, §5.2, §5.5, §5.13–5.15).

use futures_util::StreamExt as _;
use qiwi_core::{Amount, Currency};
use qiwi_sys::error::Classify as _;
use qiwi_sys::wallet::types::{
    Account, AccountOffer, ChequeSendRequest, Commission, CommissionRequest,
    CommissionRequestPurchaseTotals, CreateAccountRequest, CrossRate, GetChequeFileFormat,
    MobileProvider, Nickname, PaymentMethod, ProviderSearch, SetDefaultAccountRequest, SinapMoney,
    TxnDirection,
};

use crate::{ApiError, Error, Wallet};

/// The largest receipt read into memory: QIWI's are a few kilobytes.
pub const MAX_CHEQUE_BYTES: usize = 4 * 1024 * 1024;

impl Wallet {
    /// The currency accounts the wallet can open (`qw_wallet_usd` …).
    pub async fn account_offers(&self) -> Result<Vec<AccountOffer>, Error> {
        let sent = self
            .raw
            .list_account_offers()
            .person_id(self.number.as_str())
            .send()
            .await;
        Ok(sent.classify()?.0)
    }

    /// Opens the currency account `alias` (one of [`Wallet::account_offers`]).
    pub async fn create_account(&self, alias: &str) -> Result<(), Error> {
        let sent = self
            .raw
            .create_account()
            .person_id(self.number.as_str())
            .body(CreateAccountRequest {
                alias: alias.to_owned(),
            })
            .send()
            .await;
        Ok(sent.map_err(ApiError::from).map(|_| ())?)
    }

    /// Makes account `alias` the one payments are taken from by default.
    pub async fn set_default_account(&self, alias: &str) -> Result<(), Error> {
        let sent = self
            .raw
            .set_default_account()
            .person_id(self.number.as_str())
            .account_alias(alias)
            .body(SetDefaultAccountRequest {
                default_account: true,
            })
            .send()
            .await;
        Ok(sent.map_err(ApiError::from).map(|_| ())?)
    }

    /// Reads account `alias` again, as QIWI documents for an account whose `hasBalance` is
    /// true but whose balance came empty.
    pub(crate) async fn reread_balance(&self, alias: &str) -> Result<Option<Account>, Error> {
        let sent = self
            .raw
            .list_accounts()
            .person_id(self.number.as_str())
            .alias(alias)
            .timeout(1000)
            .send()
            .await;
        Ok(sent
            .classify()?
            .accounts
            .into_iter()
            .find(|a| a.alias.as_deref() == Some(alias)))
    }

    /// What a payment of `amount` RUB to `account` through `provider_id` costs: QIWI's
    /// commission, what is charged and what arrives.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an amount that is not positive with at most two decimals.
    pub async fn commission(
        &self,
        provider_id: i64,
        account: &str,
        amount: Amount,
    ) -> Result<Commission, Error> {
        if amount <= Amount::ZERO || amount.to_fixed2().is_err() {
            return Err(Error::invalid(
                "purchaseTotals.total.amount",
                "a positive amount with at most two decimals",
            ));
        }
        let request = CommissionRequest {
            account: account.to_owned(),
            payment_method: PaymentMethod {
                type_: "Account".into(),
                account_id: "643".into(),
            },
            purchase_totals: CommissionRequestPurchaseTotals {
                total: SinapMoney {
                    amount: amount.into(),
                    currency: Currency::RUB.into(),
                },
            },
        };
        let sent = self
            .raw
            .get_online_commission()
            .provider_id(provider_id)
            .body(request)
            .send()
            .await;
        Ok(sent.classify()?)
    }

    /// QIWI's cross rates between currencies (`from`, `to`, `rate`).
    pub async fn cross_rates(&self) -> Result<Vec<CrossRate>, Error> {
        Ok(self.raw.get_cross_rates().send().await.classify()?.result)
    }

    /// Providers whose names match `query`.
    pub async fn search_providers(&self, query: &str) -> Result<ProviderSearch, Error> {
        let sent = self.raw.search_providers().query(query).send().await;
        Ok(sent.classify()?)
    }

    /// The mobile operators QIWI resolves for `phone` (11 digits starting with 7).
    pub async fn mobile_operators(&self, phone: &str) -> Result<Vec<MobileProvider>, Error> {
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        if digits.len() != 11 || !digits.starts_with('7') {
            return Err(Error::invalid(
                "phoneNumber",
                "11 digits starting with 7 (79161112233)",
            ));
        }
        let sent = self
            .raw
            .resolve_mobile_provider()
            .phone_number(digits)
            .send()
            .await;
        Ok(sent.classify()?.mobile_operator_provider_list)
    }

    /// The wallet's nickname.
    pub async fn nickname(&self) -> Result<Nickname, Error> {
        let sent = self
            .raw
            .get_nickname()
            .wallet(self.number.as_str())
            .send()
            .await;
        Ok(sent.classify()?)
    }

    /// The receipt of transaction `txn_id` (`direction` as in the history), as QIWI sends it:
    /// PDF or JPEG bytes, at most [`MAX_CHEQUE_BYTES`].
    pub async fn cheque(
        &self,
        txn_id: i64,
        direction: TxnDirection,
        format: GetChequeFileFormat,
    ) -> Result<Vec<u8>, Error> {
        let answer = self
            .raw
            .get_cheque_file()
            .transaction_id(txn_id)
            .type_(direction)
            .format(format)
            .send()
            .await
            .map_err(ApiError::from)?;
        read_file(answer.into_inner(), "the receipt").await
    }

    /// Has QIWI e-mail the receipt of transaction `txn_id` to `email`.
    pub async fn send_cheque(
        &self,
        txn_id: i64,
        direction: TxnDirection,
        email: &str,
    ) -> Result<(), Error> {
        if !email.contains('@') || email.chars().any(char::is_whitespace) {
            return Err(Error::invalid("email", "an e-mail address"));
        }
        let sent = self
            .raw
            .send_cheque()
            .transaction_id(txn_id)
            .type_(direction)
            .body(ChequeSendRequest {
                email: email.to_owned(),
            })
            .send()
            .await;
        Ok(sent.map_err(ApiError::from).map(|_| ())?)
    }
}

/// A file QIWI sends (a receipt, a statement), read whole up to [`MAX_CHEQUE_BYTES`].
pub(crate) async fn read_file(
    file: qiwi_sys::wallet::ByteStream,
    what: &str,
) -> Result<Vec<u8>, Error> {
    let mut body = file.into_inner();
    let mut bytes = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| ApiError::Transport {
            timed_out: e.is_timeout(),
            message: format!("{what} was cut off: {e}"),
        })?;
        if bytes.len() + chunk.len() > MAX_CHEQUE_BYTES {
            return Err(Error::Api(ApiError::Transport {
                timed_out: false,
                message: format!("{what} is larger than {MAX_CHEQUE_BYTES} bytes"),
            }));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}
