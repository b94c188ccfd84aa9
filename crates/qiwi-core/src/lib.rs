//! Primitives shared by every qiwi-rs crate: money, currencies, date-times, secrets, QIWI's
//! error body and error vocabulary, notification models and their signature checks.
//!
//! This crate has no HTTP dependency, so a service that only receives QIWI's notifications
//! never compiles an HTTP client.

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
