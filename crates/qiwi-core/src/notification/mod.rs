//! Typed models of the notifications QIWI sends: wallet webhooks, P2P bill notifications and
//! Payment Protocol callbacks.
//!
//! The models are forward-compatible: unknown fields are ignored, unknown enum values are
//! kept as `Unknown(String)`, and fields QIWI may omit or null are `Option`s. Get them from
//! the `verify_*` functions of [`crate::signature`], which check the signature first.

pub mod p2p;
pub mod payin;
pub mod wallet;

pub use p2p::P2pNotification;
pub use payin::PayinNotification;
pub use wallet::WalletNotification;

#[cfg(test)]
mod tests;
