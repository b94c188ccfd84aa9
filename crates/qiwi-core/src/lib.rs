#![doc = include_str!("../README.md")]
//!
//! ## Adding a Payment Protocol notification type
//!
//! When QIWI documents a new `type` (say `CHARGEBACK`), every step below is a compile error
//! until it is done, because each match on the type is exhaustive:
//!
//! 1. Model its object in `notification/payin.rs` — or in `payin.rs` when API answers carry it
//!    too — (optional fields `Option`, enums through `open_enum!`), with a fixture of QIWI's
//!    documented body in `fixtures/payin/`.
//! 2. Add a `PayinKind` variant with its `type` and member name, a `PayinWire` member and a
//!    `PayinNotification` variant; the compiler then asks for `read_payin`, `type_name`,
//!    `to_json`, `signed_paths`, `id`, `status`, `status_is_signed`, `is_test` and the dedupe
//!    key.
//! 3. Say what QIWI signs in `signature/payin.rs` (`payin_signed`, the signed amount and dates);
//!    until then the type parses as `Unknown` and verification refuses it.
//! 4. qiwi-hooks' `Event` reads everything from these methods; add the type to its tests.

pub mod check;
pub mod currency;
pub mod datetime;
pub mod error;
pub mod link;
pub mod money;
pub mod notification;
mod open_enum;
pub mod p2p;
mod parse;
pub mod payin;
mod raw;
pub mod secret;
pub mod signature;
pub mod vocabulary;
pub mod wallet;

pub use currency::Currency;
pub use datetime::QiwiDateTime;
pub use error::ErrorBody;
pub use money::Amount;
