//! Primitives shared by every qiwi-rs crate: money, currencies, date-times, secrets and
//! QIWI's error body.
//!
//! This crate has no HTTP dependency, so a service that only receives QIWI's notifications
//! never compiles an HTTP client.

pub mod currency;
pub mod datetime;
pub mod error;
pub mod money;
pub mod secret;

pub use currency::Currency;
pub use datetime::QiwiDateTime;
pub use error::ErrorBody;
pub use money::Amount;
