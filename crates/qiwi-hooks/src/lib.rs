//! Receive QIWI's notifications — wallet webhooks, P2P bill notifications and Payment
//! Protocol callbacks — and lose none of them.
//!
//! Each delivery is checked (POST, `application/json`, size, optionally the source network),
//! verified with qiwi-core over the raw body, deduplicated *after* verification (so a forged
//! body can never shadow a real one), handed to your handler, and acknowledged only when the
//! handler returned `Ok`. A failing or panicking handler answers 500 so QIWI delivers again;
//! a duplicate that arrives while the first is still being handled gets a retryable 503.
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
//! [`serve`] closes connections that do not send their headers within 5 s (or sit idle that
//! long between requests), serves at most 512 connections at once and reads each body within
//! 10 s; see [`ServeConfig`] for what a reverse proxy in front of it must add.
//!
//! ```no_run
//! use qiwi_core::secret::{P2pSecretKey, WalletHookKey};
//! use qiwi_hooks::{Event, Keys, Receiver};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let keys = Keys {
//!     wallet: Some(WalletHookKey::from_base64(&std::env::var("QIWI_HOOK_KEY")?)?),
//!     p2p: Some(P2pSecretKey::new(std::env::var("QIWI_P2P_SECRET")?)),
//!     payin: None,
//! };
//! let router = Receiver::new(keys).router(|event: Event| async move {
//!     println!("{} {} {}", event.family(), event.id(), event.status());
//!     Ok::<(), std::io::Error>(())
//! });
//! let app = axum::Router::new().nest("/qiwi", router);
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//! qiwi_hooks::serve(listener, app).await?;
//! # Ok(()) }
//! ```

pub mod dedupe;
mod event;
#[cfg(feature = "axum")]
mod http;
mod receiver;
pub mod source;
pub mod testing;

pub use dedupe::{Claim, DedupeStore, MemoryStore};
pub use event::{Event, Family, Notification};
#[cfg(feature = "axum")]
pub use http::{ServeConfig, serve, serve_with};
pub use receiver::{
    Confirmer, DEFAULT_BODY_LIMIT, DEFAULT_BODY_TIMEOUT, Handler, Keys, Outcome,
    P2P_SIGNATURE_HEADER, PAYIN_SIGNATURE_HEADER, Receiver, Rejection, Reply,
};
pub use source::{IpNet, QIWI_NETWORKS, SourcePolicy};
