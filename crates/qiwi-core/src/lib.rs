//! Primitives shared by every qiwi-rs crate: money, currencies, date-times, secrets, QIWI's
//! error body and error vocabulary, notification models and their signature checks.
//!
//! This crate has no HTTP dependency, so a service that only receives QIWI's notifications
//! never compiles an HTTP client.
//!
//! ## Notification families
//!
//! QIWI sends three families of notification, and each has one name everywhere — types,
//! functions, qiwi-hooks' routes and features, docs:
//!
//! | family | what | models | signature |
//! |---|---|---|---|
//! | `wallet` | wallet webhooks | [`notification::wallet`] | [`signature::verify_wallet_notification`] |
//! | `p2p` | P2P bills changing status | [`notification::p2p`] | [`signature::verify_p2p_notification`] |
//! | `payin` | Payment Protocol callbacks: payments, captures, refunds, card checks, tokens **and payouts** (one channel, one key) | [`notification::payin`] | [`signature::verify_payin_notification`] |
//!
//! Each family's models, parsing and id/status/dedupe-key methods live in its
//! `notification::<family>` module; its signature in `signature/<family>.rs`.
//!
//! ## Adding a Payment Protocol notification type
//!
//! When QIWI documents a new `type` (say `CHARGEBACK`), every step below is a compile error
//! until it is done, because each match on the type is exhaustive:
//!
//! 1. Model its object in `notification/payin.rs` (optional fields `Option`, enums through
//!    `open_enum!`), with a fixture of QIWI's documented body in `fixtures/payin/`.
//! 2. Add a `PayinKind` variant with its `type` and member name, a `PayinWire` member and a
//!    `PayinNotification` variant; the compiler then asks for `read_payin`, `type_name`,
//!    `to_json`, `signed_paths`, `id`, `status`, `status_is_signed`, `is_test` and the dedupe
//!    key.
//! 3. Say what QIWI signs in `signature/payin.rs` (`payin_signed`, the signed amount and dates);
//!    until then the type parses as `Unknown` and verification refuses it.
//! 4. qiwi-hooks' `Event` reads everything from these methods; add the type to its tests.

pub mod currency;
pub mod datetime;
pub mod error;
pub mod money;
pub mod notification;
mod open_enum;
mod raw;
pub mod secret;
pub mod signature;
pub mod vocabulary;

pub use currency::Currency;
pub use datetime::QiwiDateTime;
pub use error::ErrorBody;
pub use money::Amount;
