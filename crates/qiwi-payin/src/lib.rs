#![doc = include_str!("../README.md")]

mod cards;
mod client;
mod error;
mod ids;
mod invoices;
mod links;
mod operations;
mod payments;
mod sbp;

pub use client::{Client, ClientBuilder};
pub use error::{ApiError, Error};
pub use invoices::{CreateInvoice, InvoiceMethod, MAX_INVOICE_LIFETIME};
pub use links::{CREATE_FORM_URL, InvoiceLink, MAX_LINK_AMOUNT};
pub use payments::{Card, CreatePayment, PayWith, ThreeDs, WaitFinal};
pub use qiwi_core::payin::{CardCheckStatus, OperationStatus, PayinStatus, ThreeDsStatus};
pub use qiwi_core::secret::{CardNumber, CardSecurityCode, PayinApiKey, PaymentToken};
pub use qiwi_core::vocabulary::ReasonCode;
pub use qiwi_core::{Amount, Currency};
/// Every type of QIWI's Payment Protocol (pay-in) as qiwi-sys generates it from the spec.
pub use qiwi_sys::payin::types;
pub use qiwi_sys::payin::types::{Bill, BillDetails, Capture, CardCheck, Payment, Refund, SbpQr};
/// QIWI's Payment Protocol servers.
pub use qiwi_sys::payin::{BASE_URL, BASE_URL_B2B};
pub use qiwi_sys::transport::RetryPolicy;
pub use sbp::CreateQr;
