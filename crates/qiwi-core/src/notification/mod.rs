//! Typed envelopes of the notifications QIWI sends: wallet webhooks, P2P notifications and
//! Payment Protocol callbacks. The objects they share with API answers (a bill's amount and
//! status, a payer, a payment method …) live at home in [`crate::p2p`], [`crate::payin`] and
//! [`crate::wallet`], which the generated API types in qiwi-sys use too, so an answer and a
//! notification about the same thing hold the same type.
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
