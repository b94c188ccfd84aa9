#![doc = include_str!("../README.md")]

mod balances;
mod cards;
mod client;
mod destinations;
mod error;
mod form;
mod history;
mod hooks;
mod incoming;
mod invoices;
mod payments;
mod profile;
#[cfg(feature = "redis")]
mod redis_shared;
mod services;

pub use cards::{CARD_ORDER_PROVIDER, CARD_PACKAGE_PROVIDER, CardSecrets, MAX_STATEMENT_PERIOD};
pub use client::{HISTORY_LOCK, Wallet, WalletBuilder};
pub use destinations::{
    BANKS_BY_ACCOUNT, BANKS_BY_CARD, BankTransfer, KZ_CARD_PROVIDER, PersonName,
    REQUISITES_PROVIDER, Requisites, Vat,
};
pub use error::{ApiError, Error};
pub use form::{FORM_URL, FormField, MAX_FORM_RUBLES, PaymentForm};
pub use history::{History, HistoryCursor, HistoryPage, MAX_ROWS, MAX_WINDOW};
pub use hooks::{HookPayments, MAX_HOOK_URL};
pub use incoming::{Checkpoint, CheckpointStore, Incoming, MemoryCheckpoints, OVERLAP};
pub use invoices::PAID_STATUS;
pub use payments::{CONVERSION_PROVIDER, ClientId, Payment, SentPayment, WALLET_PROVIDER};
pub use profile::ALL_LIMIT_TYPES;
pub use qiwi_core::secret::{WalletHookKey, WalletToken};
pub use qiwi_core::vocabulary::{ErrorClass, WalletPaymentError};
pub use qiwi_core::{Amount, Currency, QiwiDateTime};
pub use qiwi_sys::transport::{RateLimit, RetryPolicy};
/// QIWI's Wallet API server.
pub use qiwi_sys::wallet::BASE_URL;
/// Every type of QIWI's Wallet API as qiwi-sys generates it from the spec.
pub use qiwi_sys::wallet::types;
pub use qiwi_sys::wallet::types::{
    Account, Card, CardOrder, CardUnblock, GetChequeFileFormat, HistoryOperation, HistorySource,
    Identification, IdentificationDowngrade, IdentificationRequest, LimitType, Limits,
    P2pPaymentCountLimit, PaymentInfo, PaymentTotals, Profile, Restriction, Transaction,
    TxnDirection,
};
#[cfg(feature = "redis")]
pub use redis_shared::{REDIS_TIMEOUT, RedisCheckpoints, RedisError, RedisThrottle};
pub use services::MAX_CHEQUE_BYTES;
