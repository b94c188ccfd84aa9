#![doc = include_str!("../README.md")]
//!
//! ## What is authenticated, and what is not
//!
//! A signature covers only some values ([`Event::signed_paths`]):
//!
//! | family | signed | not signed |
//! |---|---|---|
//! | wallet | `sum.currency`, `sum.amount`, `type`, `account`, `txnId` (QIWI's list; the body's `signFields` must match the receiver's) | **status**, date, comment, `messageId`, `test` … |
//! | P2P | currency, amount, `billId`, `siteId`, **status** | `changedDateTime`, customer, custom fields … |
//! | Payment Protocol | PAYMENT/CAPTURE/REFUND/PAYOUT: id, `createdDateTime`, amount; CHECK_CARD: `requestUid`, `checkOperationDate`; TOKEN: site, account, **status**, change time | the **status** of all but TOKEN, everything else |
//!
//! So a captured wallet or Payment Protocol notification can be replayed with its status
//! edited. Before shipping goods, confirm the state through QIWI's API — or give the receiver a
//! [`Confirmer`] that does it before your handler runs, so that [`Event::status`] is QIWI's
//! answer. Without one, [`Event::status_is_authenticated`] tells you whether to trust it.
//!
//! Dedupe keys are built from signed values only (plus the status — confirmed, or one of the
//! documented values), so replays with an edited `messageId` or `changedDateTime` are
//! recognised; test notifications never touch the store and reach the handler only with
//! [`Receiver::with_test_notifications`]; each family has its own share of the store. The
//! store is an optimisation: **handlers must still be idempotent on the signed id**
//! ([`Event::id`]).
//!
//! A claim QIWI's API contradicts is never recorded as handled: the handler gets the API's
//! state once, and QIWI is answered 503 so that it delivers again — a replay cannot make QIWI's
//! genuine notification look like a duplicate. A delivery whose sender hangs up still runs its
//! handler to the end (under [`serve`] and [`Receiver::router`]); one cancelled by another
//! framework releases its claim, and an unfinished claim ends after the store's lease.
//!
//! [`serve`] closes connections that do not send their headers within 5 s (or sit idle that
//! long between requests), serves at most 512 connections at once and reads each body within
//! 10 s; see [`ServeConfig`] for what a reverse proxy in front of it must add.
//!

pub mod dedupe;
mod event;
#[cfg(feature = "axum")]
mod http;
mod receiver;
#[cfg(feature = "redis")]
mod redis_store;
pub mod source;
pub mod testing;

pub use dedupe::{Claim, DedupeStore, MemoryStore};
pub use event::{Event, Family, Notification};
#[cfg(feature = "axum")]
pub use http::{ServeConfig, serve, serve_with};
pub use receiver::{
    Confirmer, DEFAULT_BODY_LIMIT, DEFAULT_BODY_TIMEOUT, DEFAULT_CONFIRM_TIMEOUT, Handler,
    KEY_VARIABLES, Keys, Outcome, P2P_SIGNATURE_HEADER, PAYIN_SIGNATURE_HEADER, QIWI_ANSWER_WAIT,
    RECHECK_AFTER, Receiver, Rejection, Reply,
};
#[cfg(feature = "redis")]
pub use redis_store::{REDIS_TIMEOUT, RedisStore, RedisStoreError};
pub use source::{IpNet, QIWI_NETWORKS, SourcePolicy};
