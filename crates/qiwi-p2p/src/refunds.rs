//! Refunds of paid bills, for QIWI Kassa merchants (QIWI does not refund P2P bills of
//! personal wallets): each keyed by an id you choose, so repeating one is safe.

use qiwi_core::{Amount, Currency};
use qiwi_sys::error::Classify as _;
use qiwi_sys::p2p::types::CreateRefundRequest;

use crate::bills::{BillId, bill_amount, check_id};
use crate::client::Client;
use crate::error::Error;

pub use qiwi_sys::p2p::types::Refund;

pub use qiwi_core::p2p::RefundStatus;

/// The refund calls of a [`Client`].
#[derive(Debug, Clone, Copy)]
pub struct Refunds<'a> {
    pub(crate) client: &'a Client,
}

impl<'a> Refunds<'a> {
    /// Refunds `value` of the paid bill `bill_id` under `refund_id` (letters, digits, `_`, `-`;
    /// at most 200): at most what was paid, in the bill's currency.
    ///
    /// ```no_run
    /// # async fn run(client: qiwi_p2p::Client) -> Result<(), qiwi_p2p::Error> {
    /// use qiwi_core::{Amount, Currency};
    ///
    /// let refund = client
    ///     .refunds()
    ///     .create("order-42", "refund-1", Amount::from_minor(5_000), Currency::RUB)
    ///     .send()
    ///     .await?;
    /// println!("{:?}", refund.status);
    /// # Ok(()) }
    /// ```
    pub fn create(
        self,
        bill_id: impl TryInto<BillId, Error = Error>,
        refund_id: impl Into<String>,
        value: Amount,
        currency: Currency,
    ) -> CreateRefund<'a> {
        CreateRefund {
            client: self.client,
            bill_id: bill_id.try_into(),
            refund_id: refund_id.into(),
            value,
            currency,
        }
    }

    /// The refund `refund_id` of bill `bill_id`: `refunds().get(bill, id).send().await`.
    pub fn get(
        self,
        bill_id: impl TryInto<BillId, Error = Error>,
        refund_id: impl Into<String>,
    ) -> GetRefund<'a> {
        GetRefund {
            client: self.client,
            bill_id: bill_id.try_into(),
            refund_id: refund_id.into(),
        }
    }
}

/// A refund to make: [`Refunds::create`].
#[derive(Debug)]
#[must_use = "nothing is refunded until `send`"]
pub struct CreateRefund<'a> {
    client: &'a Client,
    bill_id: Result<BillId, Error>,
    refund_id: String,
    value: Amount,
    currency: Currency,
}

impl CreateRefund<'_> {
    /// Sends it; repeating it with the same ids is safe.
    pub async fn send(self) -> Result<Refund, Error> {
        let bill_id = self.bill_id?;
        let refund_id = check_id("refundId", self.refund_id)?;
        let body = CreateRefundRequest {
            amount: bill_amount(self.value, &self.currency)?,
        };
        let sent = self
            .client
            .raw
            .create_refund()
            .bill_id(bill_id.as_str())
            .refund_id(refund_id)
            .body(body)
            .send()
            .await;
        sent.classify().map_err(|e| self.client.fail(e))
    }
}

/// Reads a refund: [`Refunds::get`].
#[derive(Debug)]
#[must_use = "nothing is sent until `send`"]
pub struct GetRefund<'a> {
    client: &'a Client,
    bill_id: Result<BillId, Error>,
    refund_id: String,
}

impl GetRefund<'_> {
    /// Sends it.
    pub async fn send(self) -> Result<Refund, Error> {
        let bill_id = self.bill_id?;
        let refund_id = check_id("refundId", self.refund_id)?;
        let sent = self
            .client
            .raw
            .get_refund()
            .bill_id(bill_id.as_str())
            .refund_id(refund_id)
            .send()
            .await;
        sent.classify().map_err(|e| self.client.fail(e))
    }
}
