//! Receive QIWI's notifications — wallet webhooks, P2P bill notifications and Payment
//! Protocol callbacks — and lose none of them.
//!
//! Each delivery is checked (POST, `application/json`, size, optionally the source network),
//! verified with qiwi-core over the raw body, deduplicated *after* verification (so a forged
//! body can never shadow a real one), handed to your handler, and acknowledged only when the
//! handler returned `Ok`. A failing or panicking handler answers 500 so QIWI delivers again;
//! a duplicate that arrives while the first is still being handled gets a retryable 503.
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
pub use event::{Event, Family};
#[cfg(feature = "axum")]
pub use http::serve;
pub use receiver::{
    DEFAULT_BODY_LIMIT, Handler, Keys, Outcome, P2P_SIGNATURE_HEADER, PAYIN_SIGNATURE_HEADER,
    Receiver, Rejection, Reply,
};
pub use source::{IpNet, QIWI_NETWORKS, SourcePolicy};
