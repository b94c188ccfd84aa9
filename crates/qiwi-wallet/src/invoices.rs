//! Bills issued to the wallet (wallet-api.md §7.2–7.4): found, paid from the balance, rejected.

use qiwi_sys::error::Classify as _;
use qiwi_sys::wallet::types::{CheckoutBill, PayBillRequest, PayBillResult, RejectBillRequest};

use crate::{ApiError, Error, Wallet};

/// The status QIWI's answer has when a bill was paid.
pub const PAID_STATUS: &str = "PAID_STATUS";

impl Wallet {
    /// Bills waiting for the wallet to pay them (QIWI's `READY_FOR_PAY`), at most 50.
    pub async fn bills_to_pay(&self) -> Result<Vec<CheckoutBill>, Error> {
        let sent = self
            .raw
            .search_bills()
            .statuses("READY_FOR_PAY")
            .rows(50)
            .send()
            .await;
        Ok(sent.classify()?.bills)
    }

    /// Pays bill `bill` from the wallet's balance, in the bill's currency.
    ///
    /// # Errors
    /// [`Error::Api`] with [`ApiError::Rejected`] when QIWI's answer is not `PAID_STATUS`.
    pub async fn pay_bill(&self, bill: &CheckoutBill) -> Result<PayBillResult, Error> {
        let (Some(id), Some(sum)) = (bill.id, bill.sum.as_ref()) else {
            return Err(Error::invalid("invoice_uid", "a bill with its id and sum"));
        };
        let sent = self
            .raw
            .pay_bill()
            .body(PayBillRequest {
                invoice_uid: id.to_string(),
                currency: sum.currency.currency().clone().into(),
            })
            .send()
            .await;
        let answer = sent.classify()?;
        if answer.invoice_status.as_deref() != Some(PAID_STATUS) {
            return Err(Error::Api(ApiError::Decode {
                path: ".invoice_status".into(),
                message: format!(
                    "the bill was not paid: {}",
                    answer.invoice_status.as_deref().unwrap_or("no status")
                ),
            }));
        }
        Ok(answer)
    }

    /// Rejects bill `bill_id`.
    pub async fn reject_bill(&self, bill_id: i64) -> Result<(), Error> {
        let sent = self
            .raw
            .reject_bill()
            .body(RejectBillRequest { id: bill_id })
            .send()
            .await;
        Ok(sent.map_err(ApiError::from).map(|_| ())?)
    }
}
