//! The sandbox wallets' money: a balance per currency, the transactions, and the rules every
//! payment from a wallet meets (QIWI's codes 5, 408, 220) — one path for transfers, provider
//! payments, conversions and bills paid from a wallet, so that each is in the history and
//! notified to the wallet's hook the same way.

use crate::sync::Locked as _;
use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use time::OffsetDateTime;

use crate::Sandbox;
use crate::wallet::{COUNTERPART, Hook};

/// What the token's wallet holds when the sandbox starts, in RUB.
const OPENING_BALANCE: i64 = 10_000;

/// The rouble account's ISO 4217 code.
pub(crate) const RUB: u16 = 643;

/// The currency accounts a wallet can open besides its rouble one, as QIWI offers them.
pub(crate) const ACCOUNT_OFFERS: &[(&str, u16)] = &[
    ("qw_wallet_usd", 840),
    ("qw_wallet_eur", 978),
    ("qw_wallet_kzt", 398),
];

/// One wallet transaction.
#[derive(Debug, Clone)]
pub(crate) struct Txn {
    pub id: i64,
    pub date: OffsetDateTime,
    pub incoming: bool,
    pub account: String,
    pub amount: Decimal,
    /// ISO 4217 numeric code of `amount` and `fee`.
    pub currency: u16,
    /// QIWI's commission, taken on top of `amount`.
    pub fee: Decimal,
    pub client_id: String,
    pub provider: i64,
    pub comment: Option<String>,
}

/// The wallet world.
#[derive(Debug, Default)]
pub(crate) struct WalletState {
    /// Balance (RUB) and transactions, by wallet number.
    pub wallets: BTreeMap<String, (Decimal, Vec<Txn>)>,
    /// Balances of the other currency accounts, by wallet and currency.
    pub foreign: BTreeMap<(String, u16), Decimal>,
    /// Each wallet's currency accounts besides roubles, and its default account.
    pub accounts: BTreeMap<String, Vec<String>>,
    pub default_account: BTreeMap<String, String>,
    /// Each identified wallet's identification.
    pub identities: BTreeMap<String, qiwi_sys::wallet::types::IdentificationRequest>,
    /// Wallets identified at the `FULL` level (`POST /sandbox/wallet/{wallet}/full-identification`).
    pub full: BTreeSet<String>,
    /// Identification downgrades by id.
    pub downgrades: BTreeMap<String, crate::wallet::identity::Downgrade>,
    /// Kazakhstan card look-ups: `ev_account1` → the card number it was given for.
    pub kz_lookups: BTreeMap<String, String>,
    /// Restrictions set by `PUT /sandbox/wallet/{wallet}/restrictions`, as QIWI lists them.
    pub restrictions: BTreeMap<String, serde_json::Value>,
    /// Wallets that bought the `qvc-master` card package.
    pub packages: BTreeSet<String>,
    /// QIWI Master card orders by id, and the cards issued.
    pub card_orders: BTreeMap<String, crate::wallet::cards::CardOrder>,
    pub cards: Vec<crate::wallet::cards::Card>,
    /// Each wallet's webhook (one per wallet, as at QIWI).
    pub hooks: BTreeMap<String, Hook>,
    pub next_txn: i64,
    /// History requests in the last minute, and the end of a block.
    pub history_calls: Vec<OffsetDateTime>,
    pub blocked_until: Option<OffsetDateTime>,
}

/// A payment leaving a wallet: `amount` plus `fee` in `currency`, shown as `account` through
/// `provider` in the payer's history.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub client_id: String,
    pub account: String,
    pub provider: i64,
    pub amount: Decimal,
    pub currency: u16,
    pub fee: Decimal,
    pub comment: Option<String>,
}

/// Money arriving in another sandbox wallet with an [`Outgoing`] payment.
#[derive(Debug, Clone)]
pub(crate) struct Credit {
    pub wallet: String,
    /// The payer as the receiver's history shows it.
    pub from: String,
    pub amount: Decimal,
    pub currency: u16,
}

impl WalletState {
    pub(crate) fn new(owner: &str) -> Self {
        let mut wallets = BTreeMap::new();
        wallets.insert(
            owner.to_owned(),
            (Decimal::from(OPENING_BALANCE), Vec::new()),
        );
        wallets.insert(COUNTERPART.to_owned(), (Decimal::ZERO, Vec::new()));
        WalletState {
            wallets,
            next_txn: 30_000_000_000,
            ..WalletState::default()
        }
    }

    /// `wallet`'s balance in `currency` (zero for an account it has not opened).
    pub(crate) fn balance(&self, wallet: &str, currency: u16) -> Decimal {
        if currency == RUB {
            self.wallets.get(wallet).map_or(Decimal::ZERO, |w| w.0)
        } else {
            self.foreign
                .get(&(wallet.to_owned(), currency))
                .copied()
                .unwrap_or_default()
        }
    }

    /// Adds `delta` to `wallet`'s `currency` balance, opening that account if it is not open.
    fn add(&mut self, wallet: &str, currency: u16, delta: Decimal) {
        if currency == RUB {
            if let Some(w) = self.wallets.get_mut(wallet) {
                w.0 += delta;
            }
            return;
        }
        *self
            .foreign
            .entry((wallet.to_owned(), currency))
            .or_default() += delta;
        if let Some((alias, _)) = ACCOUNT_OFFERS.iter().find(|(_, c)| *c == currency) {
            let opened = self.accounts.entry(wallet.to_owned()).or_default();
            if !opened.iter().any(|a| a == alias) {
                opened.push((*alias).to_owned());
            }
        }
    }

    /// QIWI's refusals of payment `id` of `total` in `currency` from `from`: no such wallet (5),
    /// an id already used (408), or too little money (220).
    pub(crate) fn may_pay(
        &self,
        from: &str,
        id: &str,
        total: Decimal,
        currency: u16,
    ) -> Result<(), u32> {
        let (_, txns) = self.wallets.get(from).ok_or(5_u32)?;
        if txns.iter().any(|t| !t.incoming && t.client_id == id) {
            return Err(408);
        }
        if self.balance(from, currency) < total {
            return Err(220);
        }
        Ok(())
    }
}

impl Sandbox {
    /// Takes `out.amount + out.fee` from `wallet` and, with `credit`, gives money to another
    /// sandbox wallet: an `OUT` in the payer's history (and an `IN` in the receiver's), each
    /// notified to its wallet's hook. `Err` with QIWI's payment code: 5 no such receiver,
    /// 408 a used id, 220 too little money, 704 past the monthly limit of the payer's
    /// identification level.
    /// `admit` runs last, under the same lock: it may refuse the payment or record what it
    /// buys, and nothing can come between it and the debit.
    pub(crate) fn pay_out<E: From<u32>>(
        &self,
        wallet: &str,
        out: Outgoing,
        credit: Option<Credit>,
        admit: impl FnOnce(&mut WalletState, OffsetDateTime) -> Result<(), E>,
    ) -> Result<Txn, E> {
        let now = self.clock.now();
        let mut w = self.wallet.locked();
        if let Some(c) = &credit
            && !w.wallets.contains_key(&c.wallet)
        {
            return Err(5.into());
        }
        w.may_pay(wallet, &out.client_id, out.amount + out.fee, out.currency)?;
        if out.currency == RUB {
            let due = self.clock.scaled(crate::wallet::identity::DOWNGRADE_TIME);
            crate::wallet::identity::within_limits(&mut w, wallet, out.amount, now, due)?;
        }
        admit(&mut w, now)?;
        w.next_txn += 1;
        let txn = Txn {
            id: w.next_txn,
            date: now,
            incoming: false,
            account: out.account,
            amount: out.amount,
            currency: out.currency,
            fee: out.fee,
            client_id: out.client_id,
            provider: out.provider,
            comment: out.comment,
        };
        w.add(wallet, txn.currency, -(txn.amount + txn.fee));
        w.wallets
            .get_mut(wallet)
            .expect("checked by may_pay")
            .1
            .push(txn.clone());
        let mut notify = vec![(wallet.to_owned(), txn.clone())];
        if let Some(c) = credit {
            w.next_txn += 1;
            let incoming = Txn {
                id: w.next_txn,
                incoming: true,
                account: c.from,
                amount: c.amount,
                currency: c.currency,
                fee: Decimal::ZERO,
                ..txn.clone()
            };
            w.add(&c.wallet, c.currency, c.amount);
            w.wallets
                .get_mut(&c.wallet)
                .expect("checked above")
                .1
                .push(incoming.clone());
            notify.push((c.wallet, incoming));
        }
        let hooks: Vec<(String, Hook, Txn)> = notify
            .into_iter()
            .filter_map(|(owner, t)| Some((owner.clone(), w.hooks.get(&owner)?.clone(), t)))
            .collect();
        drop(w);
        for (owner, hook, t) in hooks {
            self.notify_hook(&hook, &owner, &t, false);
        }
        Ok(txn)
    }

    /// Credits the token's wallet with an incoming payment (a paid P2P bill): an `IN` in its
    /// history, notified to its hook.
    pub(crate) fn credit_wallet(
        &self,
        amount: Decimal,
        from: &str,
        client_id: &str,
        comment: Option<String>,
    ) {
        let owner = self.config.credentials.wallet_number.clone();
        let mut w = self.wallet.locked();
        w.next_txn += 1;
        let txn = Txn {
            id: w.next_txn,
            date: self.clock.now(),
            incoming: true,
            account: from.to_owned(),
            amount,
            currency: RUB,
            fee: Decimal::ZERO,
            client_id: client_id.to_owned(),
            // QIWI's provider id of P2P bill payments is undocumented; the sandbox uses its own.
            provider: 1_001,
            comment,
        };
        w.add(&owner, RUB, amount);
        w.wallets
            .get_mut(&owner)
            .expect("the owner exists")
            .1
            .push(txn.clone());
        let hook = w.hooks.get(&owner).cloned();
        drop(w);
        if let Some(hook) = hook {
            self.notify_hook(&hook, &owner, &txn, false);
        }
    }
}
