#![doc = include_str!("../README.md")]

mod bills;
mod client;
mod error;
mod links;
mod refunds;
mod wait;

pub use bills::{
    Bill, BillId, Bills, CreateBill, GetBill, MAX_LIFETIME, PaySource, RejectBill, is_final,
};
pub use client::{Client, ClientBuilder};
pub use error::{ApiError, Error};
pub use links::{CREATE_FORM_URL, FormLink, moscow_lifetime, pay_url_with};
pub use qiwi_core::p2p::{BillAmount, BillCustomer, BillStatus, BillStatusValue};
pub use qiwi_core::secret::{P2pPublicKey, P2pSecretKey};
pub use qiwi_core::{Amount, Currency, QiwiDateTime};
pub use qiwi_sys::transport::RetryPolicy;
pub use refunds::{CreateRefund, GetRefund, Refund, RefundStatus, Refunds};
pub use wait::WaitPaid;
